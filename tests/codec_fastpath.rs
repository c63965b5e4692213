//! The decoder's inline path (plain lines, reads that end inside a line) and every place where
//! it hands over to the full state machine: each case cut at every byte boundary, in 1-byte
//! reads and whole, through `next_frame` and through `Reader::next_item`. Expected frames are
//! written by hand from the framing rules.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod common;

use atmodem::codec::{DecodeError, Decoder, Dialect, Expect, Item, Reader};
use atmodem::dialects::luat::Luat;
use atmodem::dialects::quectel::Quectel;
use common::{Out, TestDialect, run};

/// The frames for `input` fed whole, byte by byte, and cut in two at every position; all must
/// be equal. With `prompt`, the decoder expects a prompt from the start.
fn every_cut<D: Dialect, const N: usize>(input: &[u8], prompt: bool) -> Vec<Out> {
    let make = || {
        let mut d: Decoder<D, [u8; N]> = Decoder::new();
        if prompt {
            d.expect_prompt();
        }
        d
    };
    let reference = run(&mut make(), input, &[usize::MAX]);
    assert_eq!(
        run(&mut make(), input, &[1]),
        reference,
        "1-byte reads differ"
    );
    for cut in 1..input.len() {
        let mut d = make();
        assert_eq!(
            run(&mut d, input, &[cut, usize::MAX]),
            reference,
            "cut at {cut} differs"
        );
    }
    reference
}

fn data(bytes: &str, remaining: usize) -> Out {
    Out::Data(bytes.as_bytes().to_vec(), remaining)
}

#[test]
fn plain_lines_then_a_crlf_split_across_reads() {
    assert_eq!(
        every_cut::<TestDialect, 64>(
            b"\r\n+QMTPING: 0,1\r\n\r\n+QMTSTAT: 0,1\r\n\r\nOK\r\n",
            false
        ),
        vec![
            Out::line("+QMTPING: 0,1"),
            Out::line("+QMTSTAT: 0,1"),
            Out::line("OK")
        ]
    );
}

#[test]
fn lines_ended_by_a_lone_lf() {
    assert_eq!(
        every_cut::<TestDialect, 64>(b"+CEREG: 1\n\n\nOK\n+CEREG: 5\r\n", false),
        vec![
            Out::line("+CEREG: 1"),
            Out::line("OK"),
            Out::line("+CEREG: 5")
        ]
    );
}

#[test]
fn echo_right_after_a_plain_line() {
    assert_eq!(
        every_cut::<TestDialect, 64>(b"\r\nOK\r\nAT+CSQ\r\r\n+CSQ: 20,99\r\n", false),
        vec![
            Out::line("OK"),
            Out::Echo(b"AT+CSQ".to_vec()),
            Out::line("+CSQ: 20,99")
        ]
    );
}

#[test]
fn garbage_after_a_plain_line_is_skipped_and_counted() {
    let input = b"\r\nOK\r\n\x00\xffRDY\r\n\x01\x02\r\n+CEREG: 1\r\n";
    assert_eq!(
        every_cut::<TestDialect, 64>(input, false),
        vec![
            Out::line("OK"),
            Out::line("RDY"),
            Out::Err(DecodeError::Garbage(2)),
            Out::line("+CEREG: 1")
        ]
    );
    let mut d: Decoder<TestDialect, [u8; 64]> = Decoder::new();
    run(&mut d, input, &[usize::MAX]);
    assert_eq!(d.stats().garbage_bytes, 4);
}

#[test]
fn prompt_expected_is_never_taken_by_the_plain_line_path() {
    assert_eq!(
        every_cut::<TestDialect, 64>(b"\r\n+CEREG: 1\r\n> ", true),
        vec![Out::line("+CEREG: 1"), Out::Prompt]
    );
    // Not expected: a `>` line is a line.
    assert_eq!(
        every_cut::<TestDialect, 64>(b"\r\n+CEREG: 1\r\n> x\r\n", false),
        vec![Out::line("+CEREG: 1"), Out::line("> x")]
    );
}

#[test]
fn data_following_a_line_after_plain_lines() {
    assert_eq!(
        every_cut::<Luat, 64>(
            b"\r\nOK\r\n\r\n+HTTPREAD: 7\r\nab\r\nOK\r\n\r\nOK\r\n",
            false
        ),
        vec![
            Out::line("OK"),
            Out::line("+HTTPREAD: 7"),
            data("ab\r\nOK\r", 0),
            Out::line("OK")
        ]
    );
}

#[test]
fn inline_payload_with_line_ends_after_a_plain_line() {
    let input =
        b"\r\n+QMTPUBEX: 0,3,0\r\n\r\n+QMTRECV: 0,1,\"t\",8,\"a\r\nOK\r\n>\"\r\n\r\n+QMTPING: 0,1\r\n";
    let expected = vec![
        Out::line("+QMTPUBEX: 0,3,0"),
        Out::line("+QMTRECV: 0,1,\"t\",8,\"a\r\nOK\r\n>\""),
        Out::line("+QMTPING: 0,1"),
    ];
    assert_eq!(every_cut::<Quectel, 64>(input, false), expected);
    assert_eq!(every_cut::<TestDialect, 64>(input, false), expected);
}

#[test]
fn inline_payload_without_line_ends_is_a_plain_line() {
    let input = b"\r\n+MSUB: \"t\",5 byte,a>b@c\r\n\r\nPUBACK\r\n";
    assert_eq!(
        every_cut::<Luat, 64>(input, false),
        vec![Out::line("+MSUB: \"t\",5 byte,a>b@c"), Out::line("PUBACK")]
    );
}

#[test]
fn a_line_that_fills_the_buffer_after_plain_lines() {
    // 16-byte buffer: lines up to 14 bytes fit.
    let input = b"\r\nOK\r\n+QMTSTAT: 0,12\r\n+QMTSTAT: 0,123456789\r\n\r\nOK\r\n";
    assert_eq!(
        every_cut::<TestDialect, 16>(input, false),
        vec![
            Out::line("OK"),
            Out::line("+QMTSTAT: 0,12"),
            Out::Err(DecodeError::Overflow),
            Out::line("OK")
        ]
    );
}

#[test]
fn reader_takes_the_same_items_on_both_paths() {
    // A response, a URC between it and OK, and a message, in every cut, through next_item.
    let input =
        b"\r\n+CEREG: 0,1\r\n\r\n+QMTSTAT: 0,1\r\n\r\nOK\r\n\r\n+QMTRECV: 0,1,\"a/b\",2,\"{}\"\r\n";
    let items = |chunks: &[usize]| {
        let mut r: Reader<Quectel, [u8; 64]> = Reader::new();
        r.begin(Expect::tokens(&[b"+CEREG"]));
        let mut out = Vec::new();
        let mut rest = &input[..];
        let mut k = 0;
        while !rest.is_empty() {
            let size = chunks[k % chunks.len()].min(rest.len());
            k += 1;
            let mut chunk = &rest[..size];
            rest = &rest[size..];
            while !chunk.is_empty() {
                let n = r.feed(chunk);
                chunk = &chunk[n..];
                while let Some(item) = r.next_item() {
                    out.push(match item.unwrap() {
                        Item::Response { line, .. } => {
                            format!("response {}", String::from_utf8_lossy(line))
                        }
                        Item::Final(code) => format!("final {}", code.name()),
                        Item::Urc(u) => match u.message() {
                            Some((_, m)) => format!("message {} {:?}", m.topic, m.payload),
                            None => format!("urc {u:?}"),
                        },
                        other => format!("other {other:?}"),
                    });
                }
            }
        }
        out
    };
    let expected = vec![
        "response +CEREG: 0,1".to_string(),
        "urc QmtStat { client: 0, err: 1 }".to_string(),
        "final OK".to_string(),
        "message a/b [123, 125]".to_string(),
    ];
    assert_eq!(items(&[usize::MAX]), expected);
    assert_eq!(items(&[1]), expected);
    for cut in 1..input.len() {
        assert_eq!(items(&[cut, usize::MAX]), expected, "cut at {cut}");
    }
}

#[test]
fn compaction_keeps_a_partial_line_whole() {
    // Lines that end near the end of a 32-byte buffer force the unfinished one to the front,
    // with gaps both shorter and longer than the bytes that move.
    let input = b"\r\n+QMTPUBEX: 0,1,0\r\n\r\n+QMTPUBEX: 0,22,0\r\nOK\r\n+QMTPUBEX: 0,333,0\r\n";
    assert_eq!(
        every_cut::<TestDialect, 32>(input, false),
        vec![
            Out::line("+QMTPUBEX: 0,1,0"),
            Out::line("+QMTPUBEX: 0,22,0"),
            Out::line("OK"),
            Out::line("+QMTPUBEX: 0,333,0")
        ]
    );
    for chunks in [&[3usize, 29][..], &[30, 1], &[31], &[7, 5]] {
        let mut d: Decoder<TestDialect, [u8; 32]> = Decoder::new();
        assert_eq!(
            run(&mut d, input, chunks),
            every_cut::<TestDialect, 32>(input, false),
            "chunks {chunks:?}"
        );
    }
}
