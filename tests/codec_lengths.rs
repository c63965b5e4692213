//! Length fields that cannot be lengths — negative, not a number, beyond any buffer, 2^32 and
//! beyond — are errors (or plain lines) that consume no more than their own line: the next
//! line is still read as a line. Shapes: Quectel `+QMTRECV: <idx>,<msgid>,"<topic>",<len>,
//! "<payload>"` (MQTT application note, `recv/mode` length field), Luat `+MSUB: "<topic>",<len>
//! byte,<payload>` and `+HTTPREAD: <len>` / `+HTTPHEAD: <len>` (Luat MQTT and HTTP guides).
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use atmodem::codec::{Decoder, Dialect, Frame};
use atmodem::dialects::luat::Luat;
use atmodem::dialects::quectel::Quectel;

const BAD: &[&str] = &[
    "-5",
    "-0",
    "abc",
    "5x",
    "",
    " ",
    "4294967296",
    "4294967301",
    "18446744073709551616",
    "99999999999999999999999999999999",
    "0x10",
    "1e3",
];

/// Every frame of `wire` with the given read size, lines as text, the rest by kind.
fn frames<D: Dialect>(wire: &[u8], chunk: usize) -> Vec<String> {
    let mut d: Decoder<D, [u8; 256]> = Decoder::new();
    let mut out = Vec::new();
    let mut fed = 0;
    while fed < wire.len() {
        let n = chunk.min(wire.len() - fed);
        fed += d.feed(&wire[fed..fed + n]);
        while let Some(f) = d.next_frame() {
            out.push(match f {
                Ok(Frame::Line(l)) => String::from_utf8_lossy(l).into_owned(),
                Ok(Frame::Data { bytes, .. }) => format!("data {}", bytes.len()),
                Ok(other) => format!("{other:?}"),
                Err(e) => format!("error {e:?}"),
            });
        }
    }
    out
}

fn check<D: Dialect>(line: &str) {
    let wire = format!("{line}\r\nOK\r\n+CSQ: 20,99\r\n");
    for chunk in [1, 3, 7, 64, 4096] {
        let got = frames::<D>(wire.as_bytes(), chunk);
        // Whatever became of the bad line, the two lines after it are intact and last.
        assert!(
            got.len() >= 2 && got[got.len() - 2..] == ["OK", "+CSQ: 20,99"],
            "{line:?} chunk {chunk}: {got:?}"
        );
        assert!(
            got.len() <= 3,
            "{line:?} chunk {chunk}: more than its line: {got:?}"
        );
        assert!(
            !got.iter().any(|f| f.starts_with("data")),
            "{line:?} chunk {chunk}: taken as a length: {got:?}"
        );
    }
}

#[test]
fn quectel_qmtrecv_bad_lengths_consume_only_their_line() {
    for len in BAD {
        check::<Quectel>(&format!("+QMTRECV: 0,1,\"t\",{len},\"hello\""));
    }
}

#[test]
fn luat_msub_bad_lengths_consume_only_their_line() {
    for len in BAD {
        check::<Luat>(&format!("+MSUB: \"t\",{len} byte,hello"));
    }
}

#[test]
fn luat_http_bad_lengths_consume_only_their_line() {
    for len in BAD {
        check::<Luat>(&format!("+HTTPREAD: {len}"));
        check::<Luat>(&format!("+HTTPHEAD: {len}"));
    }
}
