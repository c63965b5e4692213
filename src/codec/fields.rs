//! Small `nom` parsers for AT information text: headers, numbers, quoted and bare fields.
//!
//! Private to the crate: nom types never appear in the public API.

use nom::{
    IResult, Parser,
    bytes::complete::{tag, take_till, take_while},
    character::complete::{char, space0},
    combinator::{eof, map_res},
    sequence::delimited,
};

pub(crate) type Res<'a, T> = IResult<&'a [u8], T>;

/// `<token>`, optional spaces, `:`, optional spaces (`+CEREG: `, `+MQTTSTATU :`).
pub(crate) fn header<'a>(
    tok: &'static [u8],
) -> impl Parser<&'a [u8], Output = (), Error = nom::error::Error<&'a [u8]>> {
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

/// A quoted field as text.
pub(crate) fn quoted_str(i: &[u8]) -> Res<'_, &str> {
    map_res(quoted, core::str::from_utf8).parse(i)
}

/// A field up to the next `,` (not quoted), as text, trailing spaces trimmed.
#[allow(dead_code)] // for the dialect parsers
pub(crate) fn bare_str(i: &[u8]) -> Res<'_, &str> {
    map_res(take_till(|b| b == b','), |f: &[u8]| {
        core::str::from_utf8(trim(f))
    })
    .parse(i)
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
    map_res(take_while(|_| true), |f: &[u8]| {
        core::str::from_utf8(trim(f))
    })
    .parse(i)
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
    p: impl Parser<&'a [u8], Output = T, Error = nom::error::Error<&'a [u8]>>,
) -> Option<T> {
    let (rest, v) = (p, end).map(|(v, ())| v).parse(line).ok()?;
    debug_assert!(rest.is_empty());
    Some(v)
}
