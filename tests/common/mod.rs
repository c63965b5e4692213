//! Helpers shared by the codec tests: drive a decoder over a byte stream cut into chunks, and
//! collect what it produced as owned values.
#![allow(dead_code, clippy::unwrap_used, clippy::indexing_slicing)]

use atmodem::codec::{DecodeError, Decoder, Dialect, Frame, Framing};

/// An owned copy of a frame or error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Out {
    Line(Vec<u8>),
    Echo(Vec<u8>),
    Prompt,
    Data(Vec<u8>, usize),
    Err(DecodeError),
}

impl Out {
    pub fn line(s: &str) -> Self {
        Out::Line(s.as_bytes().to_vec())
    }
}

fn own(f: Result<Frame<'_>, DecodeError>) -> Out {
    match f {
        Ok(Frame::Line(l)) => Out::Line(l.to_vec()),
        Ok(Frame::Echo(l)) => Out::Echo(l.to_vec()),
        Ok(Frame::Prompt) => Out::Prompt,
        Ok(Frame::Data { bytes, remaining }) => Out::Data(bytes.to_vec(), remaining),
        Err(e) => Out::Err(e),
    }
}

/// Feed `input` in chunks whose sizes cycle through `chunks` (0 is read as 1), taking every
/// frame after each chunk. `before` runs once before anything is fed.
pub fn run<D: Dialect, B: AsRef<[u8]> + AsMut<[u8]>>(
    dec: &mut Decoder<D, B>,
    input: &[u8],
    chunks: &[usize],
) -> Vec<Out> {
    let mut out = Vec::new();
    let mut pos = 0;
    let mut k = 0;
    let mut stalls = 0;
    while pos < input.len() {
        let size = chunks
            .get(k % chunks.len().max(1))
            .copied()
            .unwrap_or(usize::MAX)
            .max(1);
        k += 1;
        let end = pos.saturating_add(size).min(input.len());
        let mut chunk = &input[pos..end];
        while !chunk.is_empty() {
            let n = dec.feed(chunk);
            chunk = &chunk[n..];
            pos += n;
            let mut produced = false;
            while let Some(f) = dec.next_frame() {
                out.push(own(f));
                produced = true;
            }
            if n == 0 && !produced {
                stalls += 1;
                assert!(stalls < 4, "decoder made no progress at byte {pos}");
            } else {
                stalls = 0;
            }
        }
    }
    while let Some(f) = dec.next_frame() {
        out.push(own(f));
    }
    out
}

/// A test dialect with the two payload rules the codec must support: an inline payload
/// (`+QMTRECV: <idx>,<msgid>,"<topic>",<len>,"<payload>"`) and data following a line
/// (`+HTTPREAD: <len>`). Written here from the manuals' grammar, independently of the
/// crate's dialect modules.
pub struct TestDialect;

fn digits(s: &[u8]) -> Option<usize> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(s).ok()?.parse().ok()
}

impl Dialect for TestDialect {
    type Urc<'a> = atmodem::codec::Urc<'a>;

    /// The `+QMTRECV` shape: a closing quote after the payload.
    const INLINE_TRAILER: &'static [u8] = b"\"";

    fn framing(head: &[u8]) -> Framing {
        if let Some(len) = head.strip_prefix(b"+HTTPREAD: ").and_then(digits) {
            return Framing::Following { len };
        }
        inline_header(head).map_or(Framing::Line, |(header, len)| Framing::Inline {
            header,
            len,
        })
    }

    fn parse_urc<'a>(token: &'a [u8], line: &'a [u8]) -> Option<Self::Urc<'a>> {
        atmodem::codec::Urc::parse(token, line)
    }
}

/// `+QMTRECV: <idx>,<msgid>,"<topic>",<len>,"` → (header length, len).
fn inline_header(head: &[u8]) -> Option<(usize, usize)> {
    let rest = head.strip_prefix(b"+QMTRECV: ")?;
    let mut parts = rest.splitn(3, |&b| b == b',');
    let tail = parts.nth(2)?;
    let topic = tail.strip_prefix(b"\"")?;
    let close = topic.iter().position(|&b| b == b'"')?;
    let after = topic.get(close + 2..)?;
    let comma = after.iter().position(|&b| b == b',')?;
    let len = digits(&after[..comma])?;
    (after.get(comma + 1) == Some(&b'"')).then(|| (head.len() - after.len() + comma + 2, len))
}
