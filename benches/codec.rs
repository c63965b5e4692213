//! Decoder + URC classification throughput on realistic Quectel and Luat traffic, each beside
//! a `memchr` line scan of the same bytes; command encoding; the Aliyun sign methods.
//!
//! `cargo bench --bench codec` (1 s warm-up and 2 s of measurement a benchmark unless given
//! otherwise, e.g. `-- --measurement-time 10`). For machine-independent numbers see
//! `benches/callgrind.sh`.
#![allow(clippy::unwrap_used)]

use std::hint::black_box;
use std::time::Duration;

use atmodem::aliyun::{SignMethod, hmac_hex};
use atmodem::codec::CommandWriter;
use atmodem::dialects::Command;
use atmodem::dialects::luat::{Mconfig, MpubEx};
use atmodem::dialects::quectel::{PublishForm, QmtConn, QmtOpen, QmtPublish};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

#[path = "pass.rs"]
mod pass;
#[path = "stream.rs"]
mod stream;

const TOPIC: &str = "/sys/a1B2c3D4e5F/device-0001/thing/event/property/post";

fn streams(c: &mut Criterion) {
    for (name, input) in [
        ("quectel_mqtt", stream::quectel_mqtt(256 * 1024)),
        ("short_urcs", stream::short_urcs(64 * 1024)),
        ("luat_mqtt", stream::luat_mqtt(256 * 1024)),
    ] {
        let decode = pass::decoder_for(name);
        let mut g = c.benchmark_group(name);
        g.throughput(Throughput::Bytes(input.len() as u64));
        g.bench_function("decode_64B_reads", |b| {
            b.iter(|| decode(black_box(&input), 64))
        });
        g.bench_function("decode_whole", |b| {
            b.iter(|| decode(black_box(&input), usize::MAX))
        });
        g.bench_function("memchr_lines", |b| {
            b.iter(|| pass::memchr_lines(black_box(&input), usize::MAX))
        });
        g.finish();
    }
    // The path a firmware runs: bytes -> client -> `mqtt_next_message`, beside the codec
    // alone on the same bytes; also with 16 messages of another client queued ahead.
    for (name, input) in [
        ("quectel_client", stream::quectel_client(256 * 1024, 0)),
        ("quectel_client16", stream::quectel_client(256 * 1024, 16)),
    ] {
        let mut g = c.benchmark_group(name);
        g.throughput(Throughput::Bytes(input.len() as u64));
        g.bench_function("client_64B_reads", |b| {
            b.iter(|| pass::client_quectel(black_box(&input), 64))
        });
        g.bench_function("decode_64B_reads", |b| {
            b.iter(|| pass::quectel(black_box(&input), 64))
        });
        g.finish();
    }
}

fn encoding(c: &mut Criterion) {
    let mut g = c.benchmark_group("encode");
    g.bench_function("command_writer_qmtpubex", |b| {
        b.iter(|| {
            let mut buf = [0u8; 128];
            let mut w = CommandWriter::new(&mut buf, "+QMTPUBEX");
            w.uint(0).uint(1).uint(1).uint(0);
            w.string("topic", black_box(TOPIC));
            w.uint(black_box(133));
            w.finish().map(<[u8]>::len).unwrap_or(0)
        })
    });
    let payload = [b'x'; 133];
    let publish = QmtPublish {
        client: 0,
        msg_id: 1,
        qos: 1,
        retain: false,
        topic: TOPIC,
        payload: &payload,
        form: PublishForm::Length,
    };
    let open = QmtOpen {
        client: 0,
        host: "a1B2c3D4e5F.iot-as-mqtt.cn-shanghai.aliyuncs.com",
        port: 1883,
    };
    let conn = QmtConn {
        client: 0,
        client_id: "device-0001|securemode=3,signmethod=hmacsha256,timestamp=1700000000000|",
        login: Some((
            "device-0001&a1B2c3D4e5F",
            "4f1d2c7a9e0b3f6a8c5d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b",
        )),
    };
    let mconfig = Mconfig {
        client_id: "device-0001|securemode=3,signmethod=hmacsha256,timestamp=1700000000000|",
        login: Some((
            "device-0001&a1B2c3D4e5F",
            "4f1d2c7a9e0b3f6a8c5d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b",
        )),
    };
    let mpubex = MpubEx {
        topic: TOPIC,
        qos: 1,
        retain: false,
        payload: &payload,
    };
    fn enc(c: &impl Command) -> usize {
        let mut buf = [0u8; 256];
        c.encode(&mut buf).map(<[u8]>::len).unwrap_or(0)
    }
    g.bench_function("quectel_qmtpubex", |b| b.iter(|| enc(black_box(&publish))));
    g.bench_function("quectel_qmtopen", |b| b.iter(|| enc(black_box(&open))));
    g.bench_function("quectel_qmtconn", |b| b.iter(|| enc(black_box(&conn))));
    g.bench_function("luat_mconfig", |b| b.iter(|| enc(black_box(&mconfig))));
    g.bench_function("luat_mpubex", |b| b.iter(|| enc(black_box(&mpubex))));
    g.finish();
}

fn signing(c: &mut Criterion) {
    // The one-device-one-secret MQTT password content and a 32-character device secret.
    let content =
        b"clientIddevice-0001deviceNamedevice-0001productKeya1B2c3D4e5Ftimestamp1700000000000";
    let secret = b"0123456789abcdef0123456789abcdef";
    let mut g = c.benchmark_group("sign");
    g.throughput(Throughput::Bytes(content.len() as u64));
    for method in SignMethod::ALL {
        g.bench_function(method.wire_name(), |b| {
            b.iter(|| hmac_hex(method, black_box(secret), black_box(content)).is_ok())
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    // Short by default (a full run takes about a minute); criterion's command-line options
    // (`-- --measurement-time 10`) still override it.
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2));
    targets = streams, encoding, signing
}
criterion_main!(benches);
