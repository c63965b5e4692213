//! A cheap look at the bracket structure of JSON text, before anything recurses into it.
//!
//! One pass, no recursion, no allocation: `{`/`[` open a level and must be closed by their
//! own kind, brackets inside strings do not count (a `\` escapes the next byte, so `\"` does
//! not end a string). It checks nesting only; whether the text is valid JSON is left to the
//! parser that follows.

/// Deepest nesting of objects and arrays in a reply the parsers read (the deepest reply the
/// platform documents, `/auth/devicename` with `resources.mqtt`, has 4). A deeper reply is
/// [`ReplyError::Malformed`](super::ReplyError::Malformed): `serde-json-core` recurses once
/// per level, members it ignores included, so the depth is bounded before it runs.
pub const MAX_REPLY_DEPTH: usize = 8;

/// Deepest nesting of the `params` object of an Alink message (the object itself is level 1).
pub const MAX_PARAMS_DEPTH: usize = 32;

/// Most levels the scanner tracks (one bit of `u128` per level).
const TRACKED: usize = 128;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Stop {
    /// At the end of the first top-level value.
    FirstValue,
    /// At the end of the input.
    End,
}

/// Walks the brackets of `input`: `Some(end)` when they pair up no deeper than `limit`,
/// `end` being the index just after the first top-level value ([`Stop::FirstValue`]) or the
/// input's length ([`Stop::End`]); `None` when they do not pair up, a string is left open or
/// the nesting is deeper than `limit`.
fn walk(input: &[u8], limit: usize, stop: Stop) -> Option<usize> {
    let limit = limit.min(TRACKED);
    // Bit `d` set: level `d` (0-based) is an array.
    let mut arrays: u128 = 0;
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for (i, &b) in input.iter().enumerate() {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                if depth >= limit {
                    return None;
                }
                let bit = 1u128.checked_shl(u32::try_from(depth).ok()?)?;
                if b == b'[' {
                    arrays |= bit;
                } else {
                    arrays &= !bit;
                }
                depth = depth.checked_add(1)?;
            }
            b'}' | b']' => {
                depth = depth.checked_sub(1)?;
                let bit = 1u128.checked_shl(u32::try_from(depth).ok()?)?;
                if (arrays & bit != 0) != (b == b']') {
                    return None;
                }
                if depth == 0 && stop == Stop::FirstValue {
                    return Some(i.saturating_add(1));
                }
            }
            _ => {}
        }
    }
    (stop == Stop::End && depth == 0 && !in_string).then_some(input.len())
}

/// JSON whitespace.
const fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// Whether `input`'s objects and arrays pair up and nest no deeper than `limit` (at most
/// 128), brackets inside strings not counting.
pub(crate) fn within_depth(input: &[u8], limit: usize) -> bool {
    walk(input, limit, Stop::End).is_some()
}

/// Whether `text` is exactly one JSON object: optional whitespace, `{`, brackets that pair
/// up (strings skipped) no deeper than `limit`, the closing `}`, then only whitespace.
pub(crate) fn is_one_object(text: &str, limit: usize) -> bool {
    let bytes = text.as_bytes();
    let start = bytes.iter().position(|&b| !is_ws(b)).unwrap_or(bytes.len());
    let Some(body) = bytes.get(start..) else {
        return false;
    };
    if body.first() != Some(&b'{') {
        return false;
    }
    walk(body, limit, Stop::FirstValue)
        .and_then(|end| body.get(end..))
        .is_some_and(|rest| rest.iter().all(|&b| is_ws(b)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brackets_in_strings_and_escaped_quotes_do_not_count() {
        assert!(is_one_object(r#"{"a":"}{[","b":"\"}"}"#, 2));
        assert!(is_one_object(" {\"a\":[1,{\"b\":2}]}\r\n", 3));
        assert!(!is_one_object(r#"{"a":[1,{"b":2}]}"#, 2));
        assert!(!is_one_object(r#"{"Temp":1},"method":"x","x":{"#, 8));
        assert!(!is_one_object(r#"{"a":1]"#, 8));
        assert!(!is_one_object(r#"{"a":"}"#, 8));
        assert!(!is_one_object("[1]", 8));
        assert!(!is_one_object("", 8));
        assert!(within_depth(br#"{"x":"[[[[[[","y":[[1]]}"#, 3));
        assert!(!within_depth(br#"{"y":[[[1]]]}"#, 3));
        assert!(!within_depth(b"{}}", 3));
    }
}
