//! Replays the committed fuzz seed corpus through the fuzz entry points, on stable Rust.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

#[path = "../fuzz/entry.rs"]
mod entry;

fn replay(target: &str, f: fn(&[u8])) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut n = 0;
    for file in std::fs::read_dir(&dir).unwrap() {
        let path = file.unwrap().path();
        f(&std::fs::read(&path).unwrap());
        n += 1;
    }
    assert!(n > 0, "no seeds in {}", dir.display());
}

#[test]
fn decoder_corpus() {
    replay("decoder", entry::decoder);
}

#[test]
fn urc_corpus() {
    replay("urc", entry::urc);
}

#[test]
fn client_corpus() {
    replay("client", entry::client);
}

#[test]
fn client_script_corpus() {
    replay("client_script", entry::client_script);
}
