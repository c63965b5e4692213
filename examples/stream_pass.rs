//! One pass of the decoder (or of a memchr line scan) over a benchmark stream, for counting
//! instructions with callgrind. `benches/callgrind.sh` runs every combination and prints
//! instructions per byte; one run by hand:
//!
//! ```text
//! cargo build --profile bench --example stream_pass      # release + LTO
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!     target/release/examples/stream_pass quectel_mqtt decode 64
//! ```
//!
//! Arguments: the stream (`quectel_mqtt`, `short_urcs`, `quectel_client`, `quectel_client<N>`
//! through `Reader<Quectel, _>`, `luat_mqtt` through `Reader<Luat, _>`), what to run
//! (`decode`, `client` — a `Client<_, _, Quectel>` taking every message of client 0 with
//! `mqtt_next_message`, for the `quectel_client*` streams —, `memchr`, or `none`, which only
//! builds the stream, so the others' cost is the difference), and the read size in bytes or
//! `whole` (as much as the decoder buffer takes). Prints the stream's length in bytes.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::hint::black_box;

#[path = "../benches/pass.rs"]
mod pass;
#[path = "../benches/stream.rs"]
mod stream;

/// The size of every stream.
const SIZE: usize = 1 << 20;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let which = args.get(1).map_or("quectel_mqtt", String::as_str);
    let mode = args.get(2).map_or("decode", String::as_str);
    let read = match args.get(3).map_or("64", String::as_str) {
        "whole" => usize::MAX,
        n => n.parse().unwrap_or_else(|_| {
            eprintln!("read size must be a number or `whole`");
            std::process::exit(2)
        }),
    };
    let Some(input) = stream::by_name(which, SIZE) else {
        eprintln!(
            "unknown stream {which}: quectel_mqtt, short_urcs, luat_mqtt, quectel_client, quectel_client<N>"
        );
        std::process::exit(2)
    };
    let input = black_box(input);
    let sum = match mode {
        "decode" => pass::decoder_for(which)(&input, read),
        "client" => pass::client_quectel(&input, read),
        // How many messages of client 0 the stream holds (a plain byte search).
        "messages" => input.windows(12).filter(|w| w == b"+QMTRECV: 0,").count(),
        "memchr" => pass::memchr_lines(&input, read),
        "none" => 0,
        other => {
            eprintln!("unknown mode {other}: decode, client, memchr or none");
            std::process::exit(2)
        }
    };
    println!("{} bytes, checksum {}", input.len(), black_box(sum));
}
