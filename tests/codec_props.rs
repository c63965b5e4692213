//! Properties: chunking invariance, no panic and steady progress on arbitrary bytes, encoder
//! round trips, and injection attempts always rejected.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod common;

use atmodem::codec::{CommandWriter, Decoder, EncodeError, Generic, Reader};
use common::{TestDialect, run};
use proptest::prelude::*;

/// Bytes rich in what the framer reacts to.
fn modem_bytes() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just(b"\r\n".to_vec()),
        Just(b"\r".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"> ".to_vec()),
        Just(b"OK".to_vec()),
        Just(b"ERROR".to_vec()),
        Just(b"+CEREG: 1".to_vec()),
        Just(b"+HTTPREAD: 5".to_vec()),
        Just(b"+QMTRECV: 0,1,\"t\",4,\"".to_vec()),
        Just(b"AT+CSQ".to_vec()),
        Just(b"\"".to_vec()),
        Just(vec![0u8, 0xff]),
        proptest::collection::vec(any::<u8>(), 0..8),
        "[ -~]{0,12}".prop_map(String::into_bytes),
    ];
    proptest::collection::vec(piece, 0..40).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn same_frames_for_every_chunking(
        input in modem_bytes(),
        chunks in proptest::collection::vec(1usize..70, 1..6),
        prompt in any::<bool>(),
    ) {
        let mut a: Decoder<TestDialect, [u8; 48]> = Decoder::new();
        let mut b: Decoder<TestDialect, [u8; 48]> = Decoder::new();
        if prompt {
            a.expect_prompt();
            b.expect_prompt();
        }
        let whole = run(&mut a, &input, &[usize::MAX]);
        let cut = run(&mut b, &input, &chunks);
        prop_assert_eq!(whole, cut);
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_always_progress(
        input in proptest::collection::vec(any::<u8>(), 0..600),
        chunks in proptest::collection::vec(1usize..100, 1..4),
    ) {
        // `run` asserts that every feed either takes bytes or yields frames.
        let mut d: Decoder<TestDialect, [u8; 32]> = Decoder::new();
        let _ = run(&mut d, &input, &chunks);
        let mut r: Reader<Generic, [u8; 16]> = Reader::new();
        let mut rest = &input[..];
        let mut guard = 0;
        while !rest.is_empty() {
            let n = r.feed(rest);
            rest = &rest[n..];
            while r.next_item().is_some() {}
            guard += 1;
            prop_assert!(guard <= input.len() + 2, "no progress");
        }
    }

    #[test]
    fn encoder_output_parses_back(
        nums in proptest::collection::vec(any::<u32>(), 0..4),
        strs in proptest::collection::vec("[ !#-~]{0,16}", 0..4),
    ) {
        let mut buf = [0u8; 512];
        let mut w = CommandWriter::new(&mut buf, "+TEST");
        for n in &nums { w.uint(u64::from(*n)); }
        for s in &strs { w.string("s", s); }
        let out = w.finish().unwrap();
        let text = std::str::from_utf8(out).unwrap();
        let body = text.strip_prefix("AT+TEST").unwrap().strip_suffix('\r').unwrap();
        if nums.is_empty() && strs.is_empty() {
            prop_assert_eq!(body, "");
        } else {
            let args = body.strip_prefix('=').unwrap();
            // Quoted strings hold no quotes; split on quotes first, then commas outside them.
            let mut fields = Vec::new();
            let mut cur = String::new();
            let mut quoted = false;
            for c in args.chars() {
                match c {
                    '"' => quoted = !quoted,
                    ',' if !quoted => fields.push(std::mem::take(&mut cur)),
                    c => cur.push(c),
                }
            }
            fields.push(cur);
            let want: Vec<String> = nums.iter().map(u32::to_string).chain(strs.iter().cloned()).collect();
            prop_assert_eq!(fields, want);
        }
    }

    #[test]
    fn injection_attempts_are_always_rejected(
        prefix in "[ -~]{0,8}",
        bad in prop_oneof![Just('"'), Just('\r'), Just('\n'), (0u8..0x20).prop_map(char::from), Just('\u{7f}')],
        suffix in "[ -~]{0,8}",
    ) {
        let value = format!("{prefix}{bad}{suffix}");
        let mut buf = [0u8; 128];
        let mut w = CommandWriter::new(&mut buf, "+MSUB");
        w.string("topic", &value).uint(0);
        prop_assert_eq!(w.finish(), Err(EncodeError::InvalidArgument("topic")));
    }
}

/// Bytes rich in what the real families' framing rules react to: announced payloads cut
/// short by a reboot, payloads holding line ends, HTTP data announcements, noise inside and
/// before lines, lone CR and lone LF line ends.
fn family_bytes() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just(b"\r\n".to_vec()),
        Just(b"\r".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"RDY\r\n".to_vec()),
        Just(b"APP RDY\r\n".to_vec()),
        Just(b"POWERED DOWN\r\n".to_vec()),
        Just(b"+QMTSTAT: 0,1".to_vec()),
        Just(b"+QMTRECV: 0,1,\"t\",4,\"a\r\nb\"".to_vec()),
        Just(b"+QMTRECV: 0,1,\"t\",40,\"cut".to_vec()),
        Just(b"+QMTRECV: 0,1,\"t\",4294967296,\"x\"".to_vec()),
        Just(b"+MSUB: \"t\",4 byte,a\r\nb".to_vec()),
        Just(b"+MSUB: \"t\",40 byte,cut".to_vec()),
        Just(b"+HTTPREAD: 5".to_vec()),
        Just(b"+HTTPHEAD: 3".to_vec()),
        Just(b"+PDP: DEACT".to_vec()),
        Just(b"+PDP DEACT".to_vec()),
        Just(b"+QIURC: \"pdpdeact\",1".to_vec()),
        Just(b"OK".to_vec()),
        Just(vec![0u8, 0xff]),
        Just(b"+QMT\x00STAT: 0,1".to_vec()),
        proptest::collection::vec(any::<u8>(), 0..8),
        "[ -~]{0,12}".prop_map(String::into_bytes),
    ];
    proptest::collection::vec(piece, 0..40).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// The same frames whatever the read sizes, with each family's own rules.
    #[test]
    fn family_rules_give_the_same_frames_for_every_chunking(
        input in family_bytes(),
        chunks in proptest::collection::vec(1usize..70, 1..6),
    ) {
        use atmodem::dialects::luat::Luat;
        use atmodem::dialects::quectel::Quectel;
        let mut a: Decoder<Quectel, [u8; 96]> = Decoder::new();
        let mut b: Decoder<Quectel, [u8; 96]> = Decoder::new();
        prop_assert_eq!(run(&mut a, &input, &[usize::MAX]), run(&mut b, &input, &chunks));
        let mut a: Decoder<Luat, [u8; 96]> = Decoder::new();
        let mut b: Decoder<Luat, [u8; 96]> = Decoder::new();
        prop_assert_eq!(run(&mut a, &input, &[usize::MAX]), run(&mut b, &input, &chunks));
    }
}
