//! One pass of the decoder (or of a memchr line scan) over a benchmark stream, for counting
//! instructions with callgrind (see README, "Performance"):
//!
//! ```text
//! cargo build --release --example stream_pass
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!     target/release/examples/stream_pass quectel_mqtt decode 64
//! ```
//!
//! Arguments: `quectel_mqtt|short_urcs`, `decode|memchr|none`, read size in bytes. `none`
//! only builds the stream, so the decoder's cost is the difference.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use atmodem::codec::{Generic, Item, Reader};

#[path = "../benches/stream.rs"]
mod stream;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let which = args.get(1).map_or("quectel_mqtt", String::as_str);
    let mode = args.get(2).map_or("decode", String::as_str);
    let chunk: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(64);
    let input = match which {
        "short_urcs" => stream::short_urcs(1 << 20),
        _ => stream::quectel_mqtt(1 << 20),
    };
    let mut sum = 0usize;
    match mode {
        "decode" => {
            let mut r: Reader<Generic, [u8; 1024]> = Reader::new();
            for part in input.chunks(chunk.max(1)) {
                let mut part = part;
                while !part.is_empty() {
                    let n = r.feed(part);
                    part = &part[n..];
                    while let Some(item) = r.next_item() {
                        sum += matches!(item, Ok(Item::Urc(_) | Item::Unknown { .. })) as usize;
                    }
                }
            }
        }
        "memchr" => sum = memchr::memchr_iter(b'\n', &input).count(),
        _ => {}
    }
    println!("{} bytes, {sum}", input.len());
}
