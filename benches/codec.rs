//! Decoder + classification throughput on realistic Quectel MQTT traffic, beside a `memchr`
//! line scan of the same bytes, and command encoding.
#![allow(clippy::unwrap_used)]

use std::hint::black_box;

use atmodem::codec::{CommandWriter, Generic, Item, Reader};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

#[path = "stream.rs"]
mod stream;

/// Feed `input` in `chunk`-byte reads and classify every item; returns a checksum.
fn decode(input: &[u8], chunk: usize) -> usize {
    let mut r: Reader<Generic, [u8; 1024]> = Reader::new();
    let mut sum = 0usize;
    for part in input.chunks(chunk) {
        let mut part = part;
        while !part.is_empty() {
            let n = r.feed(part);
            part = &part[n..];
            while let Some(item) = r.next_item() {
                sum += match item {
                    Ok(Item::Urc(_)) => 1,
                    Ok(Item::Unknown { line, .. }) => line.len(),
                    Ok(_) => 2,
                    Err(_) => 3,
                };
            }
        }
    }
    sum
}

/// The baseline: find every line end with memchr.
fn memchr_lines(input: &[u8]) -> usize {
    memchr::memchr_iter(b'\n', input).count()
}

fn bench(c: &mut Criterion) {
    for (name, input) in [
        ("quectel_mqtt", stream::quectel_mqtt(256 * 1024)),
        ("short_urcs", stream::short_urcs(64 * 1024)),
    ] {
        let mut g = c.benchmark_group(name);
        g.throughput(Throughput::Bytes(input.len() as u64));
        g.bench_function("decode_64B_reads", |b| {
            b.iter(|| decode(black_box(&input), 64))
        });
        g.bench_function("decode_whole", |b| {
            b.iter(|| decode(black_box(&input), usize::MAX))
        });
        g.bench_function("memchr_lines", |b| {
            b.iter(|| memchr_lines(black_box(&input)))
        });
        g.finish();
    }
    c.bench_function("encode_qmtpubex", |b| {
        b.iter(|| {
            let mut buf = [0u8; 128];
            let mut w = CommandWriter::new(&mut buf, "+QMTPUBEX");
            w.uint(0).uint(1).uint(1).uint(0);
            w.string(
                "topic",
                black_box("/sys/a1B2c3D4e5F/device-0001/thing/event/property/post"),
            );
            w.uint(black_box(133));
            w.finish().map(<[u8]>::len).unwrap_or(0)
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
