//! The library's own code never asserts or panics: no `assert!`-family, `panic!`,
//! `unreachable!`, `todo!` or `unimplemented!` outside `#[cfg(test)]` modules and comments
//! (doc examples included). Clippy's `disallowed-macros` cannot say this, as the tests,
//! benches and examples use `assert!` freely; this test reads the sources instead.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;
use std::path::{Path, PathBuf};

const FORBIDDEN: &[&str] = &[
    // Calls that panic on a bad index (their `_checked` forms do not).
    ".split_at(",
    ".split_at_mut(",
    "assert!",
    "assert_eq!",
    "assert_ne!",
    "debug_assert!",
    "debug_assert_eq!",
    "debug_assert_ne!",
    "panic!",
    "unreachable!",
    "todo!",
    "unimplemented!",
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The lines of `source` that are code outside `#[cfg(test)]` items, with their numbers.
/// Comment lines (`//`, `///`, `//!`) are left out, and so is the rest of a line after `//`
/// that is preceded by a space (a trailing comment). A file that starts (after its comments)
/// with `#![cfg(test)]` or `#![cfg(all(test, ..))]` is a test module: none of it counts.
fn library_lines(source: &str) -> Vec<(usize, &str)> {
    let first_code = source
        .lines()
        .map(str::trim_start)
        .find(|l| !l.is_empty() && !l.starts_with("//"));
    if first_code
        .is_some_and(|l| l.starts_with("#![cfg(test)]") || l.starts_with("#![cfg(all(test,"))
    {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut skipping = false;
    let mut depth = 0i64;
    let mut opened = false;
    for (n, line) in source.lines().enumerate() {
        let code = line.trim_start();
        if code.starts_with("//") {
            continue;
        }
        if !skipping && code.starts_with("#[cfg(test)]") {
            skipping = true;
            depth = 0;
            opened = false;
            continue;
        }
        if skipping {
            for c in code.chars() {
                match c {
                    '{' => {
                        depth += 1;
                        opened = true;
                    }
                    '}' => depth -= 1,
                    _ => {}
                }
            }
            // A one-line item (`#[cfg(test)] use ...;`) or the end of the block.
            if (opened && depth <= 0) || (!opened && code.ends_with(';')) {
                skipping = false;
            }
            continue;
        }
        let code = code.split(" //").next().unwrap();
        out.push((n + 1, code));
    }
    out
}

/// Whether `code` invokes macro `name` (`name` not part of a longer identifier).
fn invokes(code: &str, name: &str) -> bool {
    code.match_indices(name).any(|(i, _)| {
        !code[..i]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_')
    })
}

#[test]
fn library_code_has_no_panicking_macros() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(files.len() > 10, "{files:?}");
    let mut found = Vec::new();
    for file in &files {
        let source = fs::read_to_string(file).unwrap();
        for (n, code) in library_lines(&source) {
            for name in FORBIDDEN {
                if invokes(code, name) {
                    found.push(format!("{}:{n}: {name} in `{code}`", file.display()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "panicking macros in library code:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_scan_sees_code_and_skips_tests_and_comments() {
    let source = "fn a() {\n    assert!(x);\n}\n/// assert!(doc);\n#[cfg(test)]\nmod tests {\n    fn t() { panic!(); }\n}\nfn b() { todo!() } // panic!(no)\n";
    let lines = library_lines(source);
    let hits: Vec<_> = lines
        .iter()
        .filter(|(_, c)| FORBIDDEN.iter().any(|m| invokes(c, m)))
        .map(|(n, _)| *n)
        .collect();
    assert_eq!(hits, [2, 9]);
    assert!(!invokes("my_assert!(x)", "assert!"));
    assert!(invokes("debug_assert!(x)", "debug_assert!"));
}
