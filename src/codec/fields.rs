//! Small `nom` parsers for AT information text: headers, numbers, quoted and bare fields.
//!
//! The crate's one field grammar. Response parsers combine these parsers with nom's own;
//! the URC parsers on the hot path run them one after another through a [`Cursor`]. Where
//! a nom built-in costs more than the field needs (a comma, a decimal with its bound, a
//! quoted text found with `memchr`), the primitive is written here as a function returning
//! [`IResult`], with the same grammar. Errors are [`Fail`]: zero-size, so a failed branch
//! costs no more than a flag.
//!
//! Private to the crate: nom types never appear in the public API.

use nom::{
    IResult, Parser,
    bytes::complete::{tag, take_till, take_while},
    combinator::map_opt,
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
    (tag(tok), colon).map(|_| ())
}

/// Optional spaces, `:`, optional spaces: what follows a token.
#[inline]
pub(crate) fn colon(i: &[u8]) -> Res<'_, ()> {
    // The common case first: `: ` right after the token, then the first field.
    if let [b':', b' ', rest @ ..] = i
        && !matches!(rest.first(), Some(b' ' | b'\t'))
    {
        return Ok((rest, ()));
    }
    let (i, ()) = spaces0(i)?;
    let (i, ()) = byte(b':')(i)?;
    spaces0(i)
}

/// A failed parse.
#[inline]
fn fail<T>() -> Result<T, nom::Err<Fail>> {
    Err(nom::Err::Error(Fail))
}

/// Spaces and tabs, maybe none (nom's `space0`).
#[inline]
pub(crate) fn spaces0(mut i: &[u8]) -> Res<'_, ()> {
    while let [b' ' | b'\t', rest @ ..] = i {
        i = rest;
    }
    Ok((i, ()))
}

/// One or more spaces or tabs (nom's `space1`).
#[inline]
pub(crate) fn spaces1(i: &[u8]) -> Res<'_, ()> {
    let (rest, ()) = spaces0(i)?;
    if rest.len() < i.len() {
        Ok((rest, ()))
    } else {
        fail()
    }
}

/// Exactly the byte `b` (nom's `char`, for bytes).
#[inline]
pub(crate) fn byte(b: u8) -> impl Fn(&[u8]) -> Res<'_, ()> {
    move |i| match i {
        [first, rest @ ..] if *first == b => Ok((rest, ())),
        _ => fail(),
    }
}

/// A `,` with optional spaces around it.
#[inline]
pub(crate) fn comma(i: &[u8]) -> Res<'_, ()> {
    // The common case first: a bare comma.
    if let [b',', rest @ ..] = i
        && !matches!(rest.first(), Some(b' ' | b'\t'))
    {
        return Ok((rest, ()));
    }
    let (i, ()) = spaces0(i)?;
    let (i, ()) = byte(b',')(i)?;
    spaces0(i)
}

/// Optional trailing spaces, then the end of the line.
#[inline]
pub(crate) fn end(i: &[u8]) -> Res<'_, ()> {
    if i.is_empty() {
        return Ok((i, ()));
    }
    let (rest, ()) = spaces0(i)?;
    if rest.is_empty() {
        Ok((rest, ()))
    } else {
        fail()
    }
}

/// Decimal digits whose value is at most `max`: at least one digit, no sign, a failure
/// above `max` (nom's `u8`, `u16`, `u32` for a `max` of their type).
#[inline]
fn digits(i: &[u8], max: u32) -> Res<'_, u32> {
    // The common field first: one digit (a client index, a result code, a status), then a
    // byte that is not a digit or the end of the line. Every `max` is at least 9.
    if let [d @ b'0'..=b'9', rest @ ..] = i
        && !matches!(rest.first(), Some(b'0'..=b'9'))
    {
        return Ok((rest, u32::from(d.wrapping_sub(b'0'))));
    }
    // The value never exceeds `max` before the next step, so `value * 10 + 9` fits in a
    // u64: no overflow to check but the comparison with `max`.
    let mut value: u64 = 0;
    let mut taken = 0usize;
    for &b in i {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            break;
        }
        value = value.wrapping_mul(10).wrapping_add(u64::from(d));
        if value > u64::from(max) {
            return fail();
        }
        taken = taken.wrapping_add(1);
    }
    match (taken, i.get(taken..), u32::try_from(value)) {
        (1.., Some(rest), Ok(v)) => Ok((rest, v)),
        _ => fail(),
    }
}

/// A decimal `u8` (nom's `u8`).
#[inline]
pub(crate) fn dec_u8(i: &[u8]) -> Res<'_, u8> {
    let (rest, v) = digits(i, u8::MAX.into())?;
    u8::try_from(v).map_or_else(|_| fail(), |v| Ok((rest, v)))
}

/// A decimal `u16` (nom's `u16`).
#[inline]
pub(crate) fn dec_u16(i: &[u8]) -> Res<'_, u16> {
    let (rest, v) = digits(i, u16::MAX.into())?;
    u16::try_from(v).map_or_else(|_| fail(), |v| Ok((rest, v)))
}

/// A decimal `u32`, as a `usize` (the payload lengths).
#[inline]
pub(crate) fn dec_len(i: &[u8]) -> Res<'_, usize> {
    let (rest, v) = digits(i, u32::MAX)?;
    Ok((rest, usize::try_from(v).unwrap_or(usize::MAX)))
}

/// A decimal `i8` with an optional `+` or `-` (nom's `i8`).
pub(crate) fn dec_i8(i: &[u8]) -> Res<'_, i8> {
    let (negative, i) = match i {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        _ => (false, i),
    };
    let (rest, v) = digits(i, if negative { 128 } else { 127 })?;
    let v = i32::try_from(v).unwrap_or(i32::MAX);
    let v = if negative {
        0i32.checked_sub(v)
    } else {
        Some(v)
    };
    v.and_then(|v| i8::try_from(v).ok())
        .map_or_else(fail, |v| Ok((rest, v)))
}

/// `"..."` without escapes: the bytes between the quotes.
#[inline]
pub(crate) fn quoted(i: &[u8]) -> Res<'_, &[u8]> {
    let [b'"', inner @ ..] = i else {
        return fail();
    };
    let Some(close) = find_byte(b'"', inner) else {
        return fail();
    };
    match (inner.get(..close), inner.get(close.wrapping_add(1)..)) {
        (Some(text), Some(rest)) => Ok((rest, text)),
        _ => fail(),
    }
}

/// A quoted field, or an empty one (nothing is consumed) when no quote opens it.
pub(crate) fn quoted_or_empty(i: &[u8]) -> Res<'_, &str> {
    if i.first() == Some(&b'"') {
        quoted_str(i)
    } else {
        Ok((i, ""))
    }
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

/// One line's fields read in sequence with the parsers above, for the URCs on the hot path
/// (`+QMTRECV`, `+QMTPUBEX`, `+CEREG`, `+MSUB`, ...): the position between parsers, kept so
/// that a dialect's URC parser reads like the grammar it implements. It has no grammar of its
/// own: every method runs one of the nom parsers above ([`Cursor::run`]) and, when that
/// fails, leaves the cursor where it was.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cursor<'a> {
    rest: &'a [u8],
}

impl<'a> Cursor<'a> {
    /// A cursor at the start of `bytes`.
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self { rest: bytes }
    }

    /// Run the parser `p` at the cursor: its output, and the cursor after what it consumed;
    /// `None`, and the cursor unmoved, when it fails.
    #[inline]
    pub(crate) fn run<T>(
        &mut self,
        mut p: impl Parser<&'a [u8], Output = T, Error = Fail>,
    ) -> Option<T> {
        let (rest, v) = p.parse(self.rest).ok()?;
        self.rest = rest;
        Some(v)
    }

    /// After `tok` and [`colon`], like [`header`]. When `tok` is the head of `line` itself
    /// (the token [`token`](crate::codec::token) cut from it), its bytes need no comparing.
    #[inline]
    pub(crate) fn header(line: &'a [u8], tok: &[u8]) -> Option<Self> {
        let after = if core::ptr::eq(line.as_ptr(), tok.as_ptr()) && tok.len() <= line.len() {
            line.get(tok.len()..)?
        } else {
            line.strip_prefix(tok)?
        };
        let mut c = Self::new(after);
        c.run(colon)?;
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

    /// [`spaces0`].
    pub(crate) fn spaces(&mut self) {
        self.run(spaces0);
    }

    /// [`byte`].
    #[inline]
    pub(crate) fn byte(&mut self, b: u8) -> Option<()> {
        self.run(byte(b))
    }

    /// [`comma`].
    #[inline]
    pub(crate) fn comma(&mut self) -> Option<()> {
        self.run(comma)
    }

    /// [`dec_u8`].
    #[inline]
    pub(crate) fn u8(&mut self) -> Option<u8> {
        self.run(dec_u8)
    }

    /// [`dec_u16`].
    #[inline]
    pub(crate) fn u16(&mut self) -> Option<u16> {
        self.run(dec_u16)
    }

    /// [`dec_len`].
    #[inline]
    pub(crate) fn len(&mut self) -> Option<usize> {
        self.run(dec_len)
    }

    /// [`dec_i8`].
    pub(crate) fn i8(&mut self) -> Option<i8> {
        self.run(dec_i8)
    }

    /// [`quoted`].
    pub(crate) fn quoted(&mut self) -> Option<&'a [u8]> {
        self.run(quoted)
    }

    /// [`quoted_str`].
    pub(crate) fn quoted_str(&mut self) -> Option<&'a str> {
        self.run(quoted_str)
    }

    /// [`quoted_or_empty`].
    pub(crate) fn quoted_or_empty(&mut self) -> Option<&'a str> {
        self.run(quoted_or_empty)
    }

    /// [`rest_str`].
    pub(crate) fn rest_str(&mut self) -> Option<&'a str> {
        self.run(rest_str)
    }

    /// Take everything that is left (nom's `rest`).
    pub(crate) fn skip_rest(&mut self) {
        self.rest = &[];
    }

    /// [`spaces1`].
    pub(crate) fn spaces1(&mut self) -> Option<()> {
        self.run(spaces1)
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

    /// Only spaces and tabs are left: [`end`].
    pub(crate) fn end(mut self) -> Option<()> {
        self.run(end)
    }
}

#[cfg(test)]
mod tests {
    use super::{Fail, comma, dec_i8, dec_len, dec_u8, dec_u16, quoted};
    use nom::character::complete as nc;

    /// The primitives against nom's own number parsers on the same input: the same output
    /// and the same rest, or both failing.
    #[test]
    fn the_number_primitives_agree_with_nom_s_built_ins() {
        let inputs: [&[u8]; 22] = [
            b"0",
            b"7,",
            b"255",
            b"256",
            b"00255",
            b"1000",
            b"65535",
            b"65536",
            b"4294967295",
            b"4294967296",
            b"18446744073709551616",
            b"-1",
            b"+1",
            b"-128",
            b"-129",
            b"127",
            b"128",
            b"+127,x",
            b"",
            b",",
            b" 1",
            b"12a",
        ];
        for i in inputs {
            let s = core::str::from_utf8(i);
            assert_eq!(dec_u8(i).ok(), nc::u8::<_, Fail>(i).ok(), "{s:?}");
            assert_eq!(dec_u16(i).ok(), nc::u16::<_, Fail>(i).ok(), "{s:?}");
            assert_eq!(dec_i8(i).ok(), nc::i8::<_, Fail>(i).ok(), "{s:?}");
            let len = dec_len(i).ok().map(|(r, v)| (r, u32::try_from(v).ok()));
            let nom = nc::u32::<_, Fail>(i).ok().map(|(r, v)| (r, Some(v)));
            assert_eq!(len, nom, "{:?}", core::str::from_utf8(i));
        }
    }

    proptest::proptest! {
        /// The same agreement on any short input of digits, signs, separators and letters:
        /// one digit before the end, a separator or another digit, and runs of any length.
        #[test]
        fn the_number_primitives_agree_with_nom_on_any_input(
            i in proptest::collection::vec(proptest::sample::select(b"0123456789+-, a".to_vec()), 0..14)
        ) {
            let i = i.as_slice();
            proptest::prop_assert_eq!(dec_u8(i).ok(), nc::u8::<_, Fail>(i).ok());
            proptest::prop_assert_eq!(dec_u16(i).ok(), nc::u16::<_, Fail>(i).ok());
            proptest::prop_assert_eq!(dec_i8(i).ok(), nc::i8::<_, Fail>(i).ok());
            let len = dec_len(i).ok().map(|(r, v)| (r, u32::try_from(v).ok()));
            let nom = nc::u32::<_, Fail>(i).ok().map(|(r, v)| (r, Some(v)));
            proptest::prop_assert_eq!(len, nom);
        }
    }

    /// The separators against the same grammar written with nom's combinators.
    #[test]
    fn the_separators_agree_with_nom_s_combinators() {
        use nom::Parser;
        let inputs: [&[u8]; 14] = [
            b": 1", b":1", b" : 1", b":  1", b": \t1", b":\t 1", b", 1", b",1", b" ,1", b",", b"",
            b"  ", b"x", b": ",
        ];
        for i in inputs {
            let s = core::str::from_utf8(i);
            let sep = |c| (nc::space0::<_, Fail>, nc::char(c), nc::space0).map(|_| ());
            assert_eq!(super::colon(i), sep(':').parse(i), "{s:?}");
            assert_eq!(comma(i), sep(',').parse(i), "{s:?}");
            let mut end = (nc::space0::<_, Fail>, nom::combinator::eof).map(|_| ());
            assert_eq!(super::end(i).ok(), end.parse(i).ok(), "{s:?}");
        }
    }

    #[test]
    fn a_failed_parse_carries_no_data() {
        assert_eq!(core::mem::size_of::<Fail>(), 0);
        assert_eq!(comma(b"x,"), Err(nom::Err::Error(Fail)));
        assert_eq!(quoted(b"\"open"), Err(nom::Err::Error(Fail)));
        assert_eq!(quoted(b"\"a\",1"), Ok((&b",1"[..], &b"a"[..])));
    }
}
