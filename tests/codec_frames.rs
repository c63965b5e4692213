//! Framing: table tests for each frame kind, the tricky cases of the grammar notes, and the
//! regression cases. Expected frames are written by hand from V.250 / 27.005 framing rules.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod common;

use atmodem::codec::{DecodeError, Decoder, Generic};
use common::{Out, TestDialect, run};

fn whole<const N: usize>(input: &[u8]) -> Vec<Out> {
    let mut d: Decoder<TestDialect, [u8; N]> = Decoder::new();
    run(&mut d, input, &[usize::MAX])
}

fn bytewise<const N: usize>(input: &[u8]) -> Vec<Out> {
    let mut d: Decoder<TestDialect, [u8; N]> = Decoder::new();
    run(&mut d, input, &[1])
}

/// Same frames whole, byte by byte and in a few odd chunk sizes.
fn all_chunkings<const N: usize>(input: &[u8]) -> Vec<Out> {
    let reference = whole::<N>(input);
    assert_eq!(bytewise::<N>(input), reference, "1-byte chunks differ");
    for sizes in [&[2usize][..], &[3, 7], &[5, 1, 64], &[64]] {
        let mut d: Decoder<TestDialect, [u8; N]> = Decoder::new();
        assert_eq!(
            run(&mut d, input, sizes),
            reference,
            "chunks {sizes:?} differ"
        );
    }
    reference
}

#[test]
fn crlf_lines_and_blank_lines() {
    let out = all_chunkings::<64>(b"\r\n+CSQ: 20,99\r\n\r\nOK\r\n");
    assert_eq!(out, vec![Out::line("+CSQ: 20,99"), Out::line("OK")]);
}

#[test]
fn echo_is_a_segment_ended_by_a_lone_cr() {
    let out = all_chunkings::<64>(b"AT+CSQ\r\r\n+CSQ: 20,99\r\n\r\nOK\r\n");
    assert_eq!(
        out,
        vec![
            Out::Echo(b"AT+CSQ".to_vec()),
            Out::line("+CSQ: 20,99"),
            Out::line("OK")
        ]
    );
}

#[test]
fn echo_of_ate0_then_ok() {
    let out = all_chunkings::<64>(b"ATE0\r\r\nOK\r\n");
    assert_eq!(out, vec![Out::Echo(b"ATE0".to_vec()), Out::line("OK")]);
}

#[test]
fn lone_lf_ends_a_line() {
    assert_eq!(all_chunkings::<64>(b"OK\n"), vec![Out::line("OK")]);
}

#[test]
fn prompt_only_when_expected() {
    let input = b"AT+QMTPUBEX=0,0,0,0,\"t\",5\r\r\n> ";
    let mut d: Decoder<TestDialect, [u8; 64]> = Decoder::new();
    // Not expected: the `> ` waits for a line end that never comes.
    let out = run(&mut d, input, &[usize::MAX]);
    assert_eq!(
        out,
        vec![Out::Echo(b"AT+QMTPUBEX=0,0,0,0,\"t\",5".to_vec())]
    );

    for chunks in [&[usize::MAX][..], &[1], &[3]] {
        let mut d: Decoder<TestDialect, [u8; 64]> = Decoder::new();
        d.expect_prompt();
        let out = run(&mut d, input, chunks);
        assert_eq!(
            out,
            vec![
                Out::Echo(b"AT+QMTPUBEX=0,0,0,0,\"t\",5".to_vec()),
                Out::Prompt
            ]
        );
    }
}

#[test]
fn prompt_without_space_and_then_the_result() {
    let mut d: Decoder<TestDialect, [u8; 64]> = Decoder::new();
    d.expect_prompt();
    let out = run(&mut d, b"\r\n>\r\nOK\r\n", &[1]);
    assert_eq!(out, vec![Out::Prompt, Out::line("OK")]);
}

#[test]
fn urc_without_leading_crlf_right_after_prompt() {
    // The modem sends `> `, the host its data, then the modem a URC with no CRLF before it.
    let input = b"\r\n> +QMTPUBEX: 0,0,0\r\n\r\nOK\r\n";
    for chunks in [&[usize::MAX][..], &[1], &[4]] {
        let mut d: Decoder<TestDialect, [u8; 64]> = Decoder::new();
        d.expect_prompt();
        assert_eq!(
            run(&mut d, input, chunks),
            vec![Out::Prompt, Out::line("+QMTPUBEX: 0,0,0"), Out::line("OK")]
        );
    }
}

#[test]
fn following_data_is_taken_by_length_even_with_ok_inside() {
    // Luat AT+HTTPREAD: the body holds CRLF, a line reading OK and a URC-looking line.
    let input = b"\r\n+HTTPREAD: 21\r\nab\r\nOK\r\n+CEREG: 1\r\ncd\r\n\r\nOK\r\n";
    let out = all_chunkings::<64>(input);
    assert_eq!(
        out,
        vec![
            Out::line("+HTTPREAD: 21"),
            Out::Data(b"ab\r\nOK\r\n+CEREG: 1\r\ncd".to_vec(), 0),
            Out::line("OK"),
        ]
    );
}

#[test]
fn following_data_longer_than_the_buffer_comes_in_pieces() {
    let mut input = b"+HTTPREAD: 40\r\n".to_vec();
    input.extend(std::iter::repeat_n(b'x', 40));
    input.extend(b"\r\nOK\r\n");
    let out = all_chunkings::<16>(&input);
    assert_eq!(
        out,
        vec![
            Out::line("+HTTPREAD: 40"),
            Out::Data(vec![b'x'; 16], 24),
            Out::Data(vec![b'x'; 16], 8),
            Out::Data(vec![b'x'; 8], 0),
            Out::line("OK"),
        ]
    );
}

#[test]
fn caller_announced_data_after_connect() {
    // Quectel AT+QHTTPREAD: `CONNECT`, raw body of the length the earlier URC gave, `OK`.
    let input = b"\r\nCONNECT\r\n{\"a\":\r\n1}\r\nOK\r\n\r\n+QHTTPREAD: 0\r\n";
    let mut d: Decoder<TestDialect, [u8; 64]> = Decoder::new();
    d.feed(input);
    assert_eq!(
        d.next_frame(),
        Some(Ok(atmodem::codec::Frame::Line(b"CONNECT")))
    );
    d.expect_data(9);
    let rest: Vec<Out> = std::iter::from_fn(|| {
        d.next_frame().map(|f| match f {
            Ok(atmodem::codec::Frame::Line(l)) => Out::Line(l.to_vec()),
            Ok(atmodem::codec::Frame::Data { bytes, remaining }) => {
                Out::Data(bytes.to_vec(), remaining)
            }
            other => panic!("unexpected {other:?}"),
        })
    })
    .collect();
    assert_eq!(
        rest,
        vec![
            Out::Data(b"{\"a\":\r\n1}".to_vec(), 0),
            Out::line("OK"),
            Out::line("+QHTTPREAD: 0")
        ]
    );
}

#[test]
fn inline_payload_with_crlf_is_one_line() {
    let input = b"\r\n+QMTRECV: 0,1,\"a/b\",8,\"x\r\nOK\r\ny\"\r\n\r\nOK\r\n";
    let out = all_chunkings::<64>(input);
    assert_eq!(
        out,
        vec![
            Out::line("+QMTRECV: 0,1,\"a/b\",8,\"x\r\nOK\r\ny\""),
            Out::line("OK")
        ]
    );
}

#[test]
fn prompt_and_at_sign_inside_a_payload_at_a_read_boundary() {
    // A `>` right after a CRLF inside a payload, while a prompt is expected, cut so that a
    // read ends just before the `>`.
    let input = b"\r\n+QMTRECV: 0,1,\"t\",5,\"\r\n> @\"\r\n\r\n> ";
    let split = input.iter().position(|&b| b == b'>').unwrap();
    for sizes in [vec![split, usize::MAX], vec![1], vec![split + 1, 1]] {
        let mut d: Decoder<TestDialect, [u8; 64]> = Decoder::new();
        d.expect_prompt();
        let out = run(&mut d, input, &sizes);
        assert_eq!(
            out,
            vec![Out::line("+QMTRECV: 0,1,\"t\",5,\"\r\n> @\""), Out::Prompt],
            "chunks {sizes:?}"
        );
    }
}

#[test]
fn overlong_line_is_reported_once_and_the_next_urc_survives() {
    let mut input = b"\r\n+QMTRECV: 0,0,\"t\",\"".to_vec();
    input.extend(std::iter::repeat_n(b'z', 100));
    input.extend(b"\"\r\n+CEREG: 1\r\n");
    let out = all_chunkings::<32>(&input);
    assert_eq!(
        out,
        vec![Out::Err(DecodeError::Overflow), Out::line("+CEREG: 1")]
    );
}

#[test]
fn overlong_inline_payload_drops_exactly_its_length() {
    // The payload holds CRLF and an `OK` line: they must be dropped with it, not resynced on.
    let mut input = b"+QMTRECV: 0,1,\"t\",60,\"".to_vec();
    let payload: Vec<u8> = b"0123456789\r\nOK\r\n"
        .iter()
        .copied()
        .cycle()
        .take(60)
        .collect();
    input.extend(&payload);
    input.extend(b"\"\r\n+CEREG: 5\r\nOK\r\n");
    let out = all_chunkings::<32>(&input);
    assert_eq!(
        out,
        vec![
            Out::Err(DecodeError::Overflow),
            Out::line("+CEREG: 5"),
            Out::line("OK")
        ]
    );
}

#[test]
fn line_of_exactly_capacity_minus_two_fits() {
    let line = "A".repeat(14);
    let input = format!("{line}\r\nOK\r\n");
    assert_eq!(
        all_chunkings::<16>(input.as_bytes()),
        vec![Out::line(&line), Out::line("OK")]
    );
    let line = "A".repeat(15);
    let input = format!("{line}\r\nOK\r\n");
    assert_eq!(
        all_chunkings::<16>(input.as_bytes()),
        vec![Out::Err(DecodeError::Overflow), Out::line("OK")]
    );
}

#[test]
fn garbage_before_rdy_is_skipped_and_counted() {
    let mut d: Decoder<Generic, [u8; 64]> = Decoder::new();
    let out = run(&mut d, b"\x00\xff\r\n\xfe\xfeRDY\r\n", &[1]);
    assert_eq!(
        out,
        vec![Out::Err(DecodeError::Garbage(2)), Out::line("RDY")]
    );
    assert_eq!(d.stats().garbage_bytes, 4);
}

#[test]
fn lone_cr_and_lf_runs_are_not_frames() {
    assert_eq!(
        all_chunkings::<64>(b"\r\r\n\n\r\n\rOK\r\n"),
        vec![Out::line("OK")]
    );
}

#[test]
fn urc_split_into_one_byte_reads() {
    assert_eq!(
        bytewise::<64>(b"\r\n+QMTSTAT: 0,1\r\n"),
        vec![Out::line("+QMTSTAT: 0,1")]
    );
}

#[test]
fn flush_partial_hands_out_a_line_with_no_terminator() {
    // Luat V1121 sends `CONNECT OK` without its CRLF.
    let mut d: Decoder<Generic, [u8; 64]> = Decoder::new();
    d.feed(b"\r\nOK\r\nCONNECT OK");
    assert_eq!(d.next_frame(), Some(Ok(atmodem::codec::Frame::Line(b"OK"))));
    assert_eq!(d.next_frame(), None);
    assert_eq!(
        d.flush_partial(),
        Some(atmodem::codec::Frame::Line(b"CONNECT OK"))
    );
    assert_eq!(d.next_frame(), None);
}

#[test]
fn spare_and_commit_read_straight_into_the_buffer() {
    let mut d: Decoder<Generic, [u8; 8]> = Decoder::new();
    let spare = d.spare();
    assert_eq!(spare.len(), 8);
    spare[..4].copy_from_slice(b"OK\r\n");
    d.commit(4);
    assert_eq!(d.next_frame(), Some(Ok(atmodem::codec::Frame::Line(b"OK"))));
    assert_eq!(d.spare().len(), 8, "an emptied buffer starts over at 0");
}
