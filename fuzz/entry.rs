//! Fuzz entry points, shared by the cargo-fuzz targets and the corpus replay test
//! (`tests/fuzz_corpus.rs`), so the seed corpus runs on stable Rust too.
//!
//! Each function must return normally for every input; a panic is a finding.
#![allow(
    dead_code,
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::panic
)]

use atmodem::codec::{
    Decoder, Expect, FinalCode, Frame, Generic, Item, PdpEvent, Prompt, Reader, Registration,
    SimState, Urc, token,
};

/// Owned copy of a frame, for comparing runs.
#[derive(Debug, PartialEq, Eq)]
enum Owned {
    Line(Vec<u8>),
    Echo(Vec<u8>),
    Prompt,
    Data(Vec<u8>, usize),
    Err,
}

fn drive(input: &[u8], chunks: &[usize], prompt: bool, cap: usize) -> Vec<Owned> {
    let mut d: Decoder<Generic, Vec<u8>> = Decoder::with_buffer(vec![0; cap]);
    if prompt {
        d.expect_prompt();
    }
    let mut out = Vec::new();
    let mut rest = input;
    let mut k = 0usize;
    let mut stalls = 0;
    while !rest.is_empty() {
        let size = chunks[k % chunks.len()].max(1).min(rest.len());
        k += 1;
        let mut part = &rest[..size];
        rest = &rest[size..];
        while !part.is_empty() {
            let n = d.feed(part);
            part = &part[n..];
            let mut produced = false;
            while let Some(f) = d.next_frame() {
                produced = true;
                out.push(match f {
                    Ok(Frame::Line(l)) => Owned::Line(l.to_vec()),
                    Ok(Frame::Echo(l)) => Owned::Echo(l.to_vec()),
                    Ok(Frame::Prompt) => Owned::Prompt,
                    Ok(Frame::Data { bytes, remaining }) => Owned::Data(bytes.to_vec(), remaining),
                    Err(_) => Owned::Err,
                });
                // Announce data now and then, as a client does after `CONNECT`.
                if let Some(Owned::Line(l)) = out.last()
                    && l.as_slice() == b"CONNECT"
                {
                    d.expect_data(7);
                }
            }
            if n == 0 && !produced {
                stalls += 1;
                assert!(stalls < 3, "decoder stalled");
            } else {
                stalls = 0;
            }
        }
    }
    out
}

/// Arbitrary modem bytes through the framer and the classifier. The first bytes choose the
/// buffer size, the chunk sizes and whether a prompt is expected; the frames must be the same
/// as when the bytes are fed whole.
pub fn decoder(data: &[u8]) {
    let Some((&head, rest)) = data.split_first() else {
        return;
    };
    let Some((&c2, input)) = rest.split_first() else {
        return;
    };
    let cap = 4 + usize::from(head & 0x3f);
    let prompt = head & 0x80 != 0;
    let chunks = [usize::from(c2 & 0x0f) + 1, usize::from(c2 >> 4) + 1, 64];
    let whole = drive(input, &[usize::MAX], prompt, cap);
    let cut = drive(input, &chunks, prompt, cap);
    assert_eq!(whole, cut, "chunking changed the frames");

    let mut r: Reader<Generic, Vec<u8>> = Reader::with_buffer(vec![0; cap]);
    r.classifier.begin(Expect::tokens(&[b"+CSQ"]));
    let mut rest = input;
    while !rest.is_empty() {
        let n = r.feed(rest);
        rest = &rest[n..];
        while let Some(item) = r.next_item() {
            if let Ok(Item::Final(_) | Item::Unsolicited(_)) = item {
                r.classifier.begin(Expect::BARE);
            }
        }
    }
}

/// One line through every line parser.
pub fn urc(line: &[u8]) {
    let tok = token(line);
    assert!(line.starts_with(tok) || tok == line);
    let _ = Urc::parse(tok, line);
    let _ = FinalCode::parse(line);
    let _ = Prompt::parse_line(line);
    let _ = Registration::parse_read(b"+CEREG", line);
    let _ = Registration::parse_urc(b"+CREG", line);
    let _ = SimState::parse(line);
    let _ = PdpEvent::parse(line);
}
