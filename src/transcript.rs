//! The AT transcript format (host-only, feature `std`): one text format for AT exchanges,
//! used by golden tests, the `decode` example and simulated-modem scripts.
//!
//! | line | meaning |
//! |---|---|
//! | `# ...` | comment |
//! | empty line | readability only |
//! | `>> X` | host writes `X` + `\r` |
//! | `>>\| "json"` | host writes exactly these bytes |
//! | `<< X` | modem writes `X` + `\r\n` |
//! | `<<` alone | modem writes `\r\n` |
//! | `<<\| "json"` | modem writes exactly these bytes |
//!
//! JSON strings map each code point 0..=255 to one byte (ISO-8859-1); plain `<< X` / `>> X`
//! lines are the UTF-8 bytes of `X`.

use std::string::String;
use std::vec::Vec;

/// One event on the wire, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The host sends a command line (`>> X`); the bytes include the final `\r`.
    Command(Vec<u8>),
    /// The host sends raw data after a prompt (`>>| "..."`).
    HostData(Vec<u8>),
    /// The modem sends bytes (`<< X`, `<<`, `<<| "..."`).
    Modem(Vec<u8>),
}

/// A line of a transcript that does not follow the format.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("transcript line {line}: {what}")]
pub struct TranscriptError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong with it.
    pub what: &'static str,
}

/// Parse a whole transcript into events. Consecutive modem lines stay separate events.
///
/// ```
/// use atmodem::transcript::{Event, parse};
/// let events = parse("# a comment\n>> AT+CSQ\n<< +CSQ: 20,99\n<<| \"\\r\\n> \"\n>>| \"hi\"\n").unwrap();
/// assert_eq!(events, [
///     Event::Command(b"AT+CSQ\r".to_vec()),
///     Event::Modem(b"+CSQ: 20,99\r\n".to_vec()),
///     Event::Modem(b"\r\n> ".to_vec()),
///     Event::HostData(b"hi".to_vec()),
/// ]);
/// assert_eq!(parse(">> AT\nOK\n").unwrap_err().line, 2);
/// ```
pub fn parse(text: &str) -> Result<Vec<Event>, TranscriptError> {
    let mut events = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let line_no = n.saturating_add(1);
        let err = |what| TranscriptError {
            line: line_no,
            what,
        };
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(rest) = line.strip_prefix(">>|") {
            events.push(Event::HostData(
                json_bytes(rest.trim()).ok_or(err("bad JSON string"))?,
            ));
        } else if let Some(rest) = line.strip_prefix("<<|") {
            events.push(Event::Modem(
                json_bytes(rest.trim()).ok_or(err("bad JSON string"))?,
            ));
        } else if let Some(rest) = line.strip_prefix(">>") {
            let cmd = rest.strip_prefix(' ').unwrap_or(rest);
            let mut bytes = cmd.as_bytes().to_vec();
            bytes.push(b'\r');
            events.push(Event::Command(bytes));
        } else if let Some(rest) = line.strip_prefix("<<") {
            let text = rest.strip_prefix(' ').unwrap_or(rest);
            let mut bytes = text.as_bytes().to_vec();
            bytes.extend_from_slice(b"\r\n");
            events.push(Event::Modem(bytes));
        } else {
            return Err(err("line must start with >>, >>|, <<, <<| or #"));
        }
    }
    Ok(events)
}

/// Decode a JSON string literal whose code points are all below 256 into bytes.
///
/// ```
/// use atmodem::transcript::json_bytes;
/// assert_eq!(json_bytes(r#""a\r\n\u00ff""#), Some(b"a\r\n\xff".to_vec()));
/// assert_eq!(json_bytes(r#""\u0100""#), None); // not a byte
/// assert_eq!(json_bytes("no quotes"), None);
/// ```
pub fn json_bytes(s: &str) -> Option<Vec<u8>> {
    let inner = s.strip_prefix('"')?.strip_suffix('"')?;
    let mut out = Vec::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        let c = if c == '\\' {
            match chars.next()? {
                '"' => '"',
                '\\' => '\\',
                '/' => '/',
                'b' => '\u{8}',
                'f' => '\u{c}',
                'n' => '\n',
                'r' => '\r',
                't' => '\t',
                'u' => {
                    let hex: String = chars.by_ref().take(4).collect();
                    char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?
                }
                _ => return None,
            }
        } else if c == '"' {
            return None;
        } else {
            c
        };
        out.push(u8::try_from(u32::from(c)).ok()?);
    }
    Some(out)
}

/// Write bytes as a JSON string literal in the transcript's byte mapping.
///
/// ```
/// use atmodem::transcript::{json_bytes, json_string};
/// let bytes = b"\"ok\"\r\n\x00\xff";
/// let text = json_string(bytes);
/// assert_eq!(json_bytes(&text).as_deref(), Some(&bytes[..]));
/// assert_eq!(json_string(b"> "), r#""> ""#);
/// ```
pub fn json_string(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len().saturating_add(2));
    s.push('"');
    for &b in bytes {
        match b {
            b'"' => s.push_str("\\\""),
            b'\\' => s.push_str("\\\\"),
            b'\n' => s.push_str("\\n"),
            b'\r' => s.push_str("\\r"),
            b'\t' => s.push_str("\\t"),
            0x20..=0x7e => s.push(char::from(b)),
            _ => {
                use core::fmt::Write;
                let _ = write!(s, "\\u{:04x}", b);
            }
        }
    }
    s.push('"');
    s
}
