//! Small `nom` parsers for AT information text: headers, numbers, quoted and bare fields.
//!
//! Private to the crate: nom types never appear in the public API.

use nom::{
    IResult, Parser,
    bytes::complete::{tag, take_till, take_while},
    character::complete::{char, space0},
    combinator::{eof, map_opt},
    sequence::delimited,
};

/// The field parsers' error: that a parser failed, and nothing else (no input, no error
/// kind), so that no error carries data and a failed branch costs no more than a flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Fail;

impl<I> nom::error::ParseError<I> for Fail {
    fn from_error_kind(_: I, _: nom::error::ErrorKind) -> Self {
        Self
    }

    fn append(_: I, _: nom::error::ErrorKind, _: Self) -> Self {
        Self
    }
}

impl<I, E> nom::error::FromExternalError<I, E> for Fail {
    fn from_external_error(_: I, _: nom::error::ErrorKind, _: E) -> Self {
        Self
    }
}

impl<I> nom::error::ContextError<I> for Fail {}

pub(crate) type Res<'a, T> = IResult<&'a [u8], T, Fail>;

/// `<token>`, optional spaces, `:`, optional spaces (`+CEREG: `, `+MQTTSTATU :`).
pub(crate) fn header<'a>(tok: &'static [u8]) -> impl Parser<&'a [u8], Output = (), Error = Fail> {
    (tag(tok), space0, char(':'), space0).map(|_| ())
}

/// A `,` with optional spaces around it.
pub(crate) fn comma(i: &[u8]) -> Res<'_, ()> {
    delimited(space0, char(','), space0).map(|_| ()).parse(i)
}

/// Optional trailing spaces, then the end of the line.
pub(crate) fn end(i: &[u8]) -> Res<'_, ()> {
    (space0, eof).map(|_| ()).parse(i)
}

/// `"..."` without escapes: the bytes between the quotes.
pub(crate) fn quoted(i: &[u8]) -> Res<'_, &[u8]> {
    delimited(char('"'), take_till(|b| b == b'"'), char('"')).parse(i)
}

/// A quoted field as text: UTF-8 with no control byte but tab. A NUL or another control
/// byte inside is line noise (UART garbage), never part of a typed field; MQTT forbids
/// U+0000 in topic names and advises against the other controls.
pub(crate) fn quoted_str(i: &[u8]) -> Res<'_, &str> {
    map_opt(quoted, text_field).parse(i)
}

/// Field bytes as text, refusing control bytes but tab (see [`quoted_str`]).
pub(crate) fn text_field(t: &[u8]) -> Option<&str> {
    if has_control(t) {
        return None;
    }
    core::str::from_utf8(t).ok()
}

/// A control byte but tab (`< 0x20`, `0x7f`).
#[inline]
fn is_control(b: u8) -> bool {
    (b < 0x20 && b != b'\t') || b == 0x7f
}

/// Whether `t` holds a control byte but tab. Eight bytes at a time: a word with no byte
/// below 0x20 and none equal to 0x7f is passed at once (the usual case: topics, names);
/// only a word that may hold one (a tab, say) is looked at byte by byte.
fn has_control(t: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut words = t.chunks_exact(8);
    for w in &mut words {
        let x = u64::from_le_bytes(<[u8; 8]>::try_from(w).unwrap_or([0; 8]));
        // A byte below 0x20 (bytes with the high bit set are masked out: UTF-8 validation
        // judges them), or one equal to 0x7f.
        let below = x.wrapping_sub(ONES.wrapping_mul(0x20)) & !x & HIGH;
        let y = x ^ ONES.wrapping_mul(0x7f);
        let del = y.wrapping_sub(ONES) & !y & HIGH;
        if below | del != 0 && w.iter().any(|&b| is_control(b)) {
            return true;
        }
    }
    words.remainder().iter().any(|&b| is_control(b))
}

/// A field up to the next `,` (not quoted), as text, trailing spaces trimmed.
#[allow(dead_code)] // for the dialect parsers
pub(crate) fn bare_str(i: &[u8]) -> Res<'_, &str> {
    map_opt(take_till(|b| b == b','), |f: &[u8]| text_field(trim(f))).parse(i)
}

/// A quoted or bare field as text.
#[allow(dead_code)] // for the dialect parsers
pub(crate) fn text(i: &[u8]) -> Res<'_, &str> {
    if i.first() == Some(&b'"') {
        quoted_str(i)
    } else {
        bare_str(i)
    }
}

/// The rest of the line as text, trailing spaces trimmed.
pub(crate) fn rest_str(i: &[u8]) -> Res<'_, &str> {
    map_opt(take_while(|_| true), |f: &[u8]| text_field(trim(f))).parse(i)
}

/// Strip ASCII spaces at both ends.
pub(crate) fn trim(mut s: &[u8]) -> &[u8] {
    while let [b' ', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' '] = s {
        s = rest;
    }
    s
}

/// Run `p` over the whole line: `Some` only if it consumed everything but trailing spaces.
pub(crate) fn full<'a, T>(
    line: &'a [u8],
    p: impl Parser<&'a [u8], Output = T, Error = Fail>,
) -> Option<T> {
    // `end` consumed the rest.
    let (_, v) = (p, end).map(|(v, ())| v).parse(line).ok()?;
    Some(v)
}

/// The first `needle` in `hay`. On x86-64 the SSE2 searcher (always present there) is called
/// directly: the haystacks are short (a topic, a line), where the runtime CPU dispatch of
/// [`memchr::memchr`] costs more than the search.
#[inline]
pub(crate) fn find_byte(needle: u8, hay: &[u8]) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    if let Some(one) = memchr::arch::x86_64::sse2::memchr::One::new(needle) {
        return one.find(hay);
    }
    memchr::memchr(needle, hay)
}

/// The last `needle` in `hay` (see [`find_byte`]).
#[inline]
pub(crate) fn rfind_byte(needle: u8, hay: &[u8]) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    if let Some(one) = memchr::arch::x86_64::sse2::memchr::One::new(needle) {
        return one.rfind(hay);
    }
    memchr::memrchr(needle, hay)
}

/// `s` without its trailing spaces.
pub(crate) fn trim_end(mut s: &[u8]) -> &[u8] {
    while let [rest @ .., b' '] = s {
        s = rest;
    }
    s
}

/// A hand-written reader over one line's fields, for the URCs on the hot path (`+QMTRECV`,
/// `+QMTPUBEX`, `+CEREG`, `+MSUB`, ...). It reads the same grammar as the parsers above
/// (`header`, `comma`, `quoted`, nom's decimal numbers, `end`) without their per-call cost.
/// A method that returns `None` may have moved the cursor: use [`Cursor::opt`] to try
/// something and step back when it fails.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cursor<'a> {
    rest: &'a [u8],
}

impl<'a> Cursor<'a> {
    /// A cursor at the start of `bytes`.
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self { rest: bytes }
    }

    /// After `tok`, optional spaces, `:` and optional spaces, like [`header`]. When `tok` is
    /// the head of `line` itself (the token [`token`](crate::codec::token) cut from it), its
    /// bytes need no comparing.
    #[inline]
    pub(crate) fn header(line: &'a [u8], tok: &[u8]) -> Option<Self> {
        let after = if core::ptr::eq(line.as_ptr(), tok.as_ptr()) && tok.len() <= line.len() {
            line.get(tok.len()..)?
        } else {
            line.strip_prefix(tok)?
        };
        let mut c = Self::new(after);
        c.spaces();
        c.byte(b':')?;
        c.spaces();
        Some(c)
    }

    /// What is left.
    pub(crate) fn rest(&self) -> &'a [u8] {
        self.rest
    }

    /// Run `f`; when it fails, put the cursor back where it was (nom's `opt`).
    pub(crate) fn opt<T>(&mut self, f: impl FnOnce(&mut Self) -> Option<T>) -> Option<T> {
        let save = *self;
        let r = f(self);
        if r.is_none() {
            *self = save;
        }
        r
    }

    /// Skip spaces and tabs (nom's `space0`).
    pub(crate) fn spaces(&mut self) {
        while let [b' ' | b'\t', rest @ ..] = self.rest {
            self.rest = rest;
        }
    }

    /// Exactly the byte `b`.
    pub(crate) fn byte(&mut self, b: u8) -> Option<()> {
        match self.rest {
            [first, rest @ ..] if *first == b => {
                self.rest = rest;
                Some(())
            }
            _ => None,
        }
    }

    /// A `,` with optional spaces around it, like [`comma`].
    #[inline]
    pub(crate) fn comma(&mut self) -> Option<()> {
        // The common case first: a bare comma.
        if let [b',', rest @ ..] = self.rest
            && !matches!(rest.first(), Some(b' ' | b'\t'))
        {
            self.rest = rest;
            return Some(());
        }
        self.spaces();
        self.byte(b',')?;
        self.spaces();
        Some(())
    }

    /// Decimal digits whose value is at most `max`; `None` without a digit or above `max`.
    #[inline]
    fn digits(&mut self, max: u32) -> Option<u32> {
        // The value never exceeds `max` before the next step, so `value * 10 + 9` fits in a
        // u64: no overflow to check but the comparison with `max`.
        let mut value: u64 = 0;
        let mut taken = 0usize;
        for &b in self.rest {
            let d = b.wrapping_sub(b'0');
            if d > 9 {
                break;
            }
            value = value.wrapping_mul(10).wrapping_add(u64::from(d));
            if value > u64::from(max) {
                return None;
            }
            taken = taken.wrapping_add(1);
        }
        if taken == 0 {
            return None;
        }
        self.rest = self.rest.get(taken..)?;
        u32::try_from(value).ok()
    }

    /// A decimal `u8` (nom's `u8`: at least one digit, no sign, `None` on overflow).
    #[inline]
    pub(crate) fn u8(&mut self) -> Option<u8> {
        self.digits(u8::MAX.into())
            .and_then(|v| u8::try_from(v).ok())
    }

    /// A decimal `u16`.
    #[inline]
    pub(crate) fn u16(&mut self) -> Option<u16> {
        self.digits(u16::MAX.into())
            .and_then(|v| u16::try_from(v).ok())
    }

    /// A decimal `u32`, as a `usize` (the payload lengths).
    #[inline]
    pub(crate) fn len(&mut self) -> Option<usize> {
        self.digits(u32::MAX)
            .map(|v| usize::try_from(v).unwrap_or(usize::MAX))
    }

    /// A decimal `i8` with an optional `+` or `-` (nom's `i8`).
    pub(crate) fn i8(&mut self) -> Option<i8> {
        let negative = match self.rest {
            [b'-', rest @ ..] => {
                self.rest = rest;
                true
            }
            [b'+', rest @ ..] => {
                self.rest = rest;
                false
            }
            _ => false,
        };
        if negative {
            let v = self.digits(128)?;
            i8::try_from(0i32.checked_sub(i32::try_from(v).ok()?)?).ok()
        } else {
            self.digits(127).and_then(|v| i8::try_from(v).ok())
        }
    }

    /// `"..."` without escapes: the bytes between the quotes, like [`quoted`].
    pub(crate) fn quoted(&mut self) -> Option<&'a [u8]> {
        let [b'"', inner @ ..] = self.rest else {
            return None;
        };
        let close = find_byte(b'"', inner)?;
        let (text, after) = inner.split_at_checked(close)?;
        self.rest = after.get(1..)?;
        Some(text)
    }

    /// A quoted field as text, like [`quoted_str`].
    pub(crate) fn quoted_str(&mut self) -> Option<&'a str> {
        self.quoted().and_then(text_field)
    }

    /// A quoted field, or an empty one (nothing is consumed) when no quote opens it.
    pub(crate) fn quoted_or_empty(&mut self) -> Option<&'a str> {
        if self.rest.first() == Some(&b'"') {
            self.quoted_str()
        } else {
            Some("")
        }
    }

    /// The rest of the line as text, trailing spaces trimmed, like [`rest_str`].
    pub(crate) fn rest_str(&mut self) -> Option<&'a str> {
        let text = text_field(trim(self.rest))?;
        self.rest = &[];
        Some(text)
    }

    /// Take everything that is left (nom's `rest`).
    pub(crate) fn skip_rest(&mut self) {
        self.rest = &[];
    }

    /// One or more spaces or tabs (nom's `space1`).
    pub(crate) fn spaces1(&mut self) -> Option<()> {
        let before = self.rest.len();
        self.spaces();
        (self.rest.len() < before).then_some(())
    }

    /// `<tok>: <u8>` and nothing else.
    pub(crate) fn header_u8(line: &'a [u8], tok: &[u8]) -> Option<u8> {
        let mut c = Self::header(line, tok)?;
        let v = c.u8()?;
        c.end()?;
        Some(v)
    }

    /// `<tok>: <u16>` and nothing else.
    pub(crate) fn header_u16(line: &'a [u8], tok: &[u8]) -> Option<u16> {
        let mut c = Self::header(line, tok)?;
        let v = c.u16()?;
        c.end()?;
        Some(v)
    }

    /// `<tok>: <text>`: the text after the header, trailing spaces trimmed.
    pub(crate) fn header_text(line: &'a [u8], tok: &[u8]) -> Option<&'a str> {
        Self::header(line, tok)?.rest_str()
    }

    /// Only spaces and tabs are left, like [`end`].
    pub(crate) fn end(mut self) -> Option<()> {
        self.spaces();
        self.rest.is_empty().then_some(())
    }
}

#[cfg(test)]
mod tests {
    use super::{Fail, comma, quoted};

    #[test]
    fn a_failed_parse_carries_no_data() {
        assert_eq!(core::mem::size_of::<Fail>(), 0);
        assert_eq!(comma(b"x,"), Err(nom::Err::Error(Fail)));
        assert_eq!(quoted(b"\"open"), Err(nom::Err::Error(Fail)));
        assert_eq!(quoted(b"\"a\",1"), Ok((&b",1"[..], &b"a"[..])));
    }
}
