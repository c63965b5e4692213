//! Nothing lost under load: a UART that always has the next bytes ready (a DMA ring after a
//! burst) and an application that takes messages with `mqtt_next_message` in a loop. Every
//! message must arrive, in order, for every read size, with other URCs interleaved; the
//! client stops reading when its queue is full instead of dropping what it read.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use atmodem::client::{Client, Mqtt, State};
use atmodem::dialects::luat::Luat;
use atmodem::dialects::quectel::Quectel;
use atmodem::sim::InstantDelay;
use embassy_futures::block_on;
use proptest::prelude::*;

/// A UART whose next `size` bytes are always ready (the sizes taken in turn); once the
/// stream is exhausted, reads wait for ever (the client's wait then times out).
struct Ready {
    stream: Vec<u8>,
    at: usize,
    sizes: Vec<usize>,
    reads: usize,
}

impl Ready {
    fn new(stream: Vec<u8>, sizes: &[usize]) -> Self {
        Self {
            stream,
            at: 0,
            sizes: sizes.to_vec(),
            reads: 0,
        }
    }
}

impl embedded_io::ErrorType for Ready {
    type Error = core::convert::Infallible;
}

impl embedded_io_async::Read for Ready {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        let left = self.stream.len() - self.at;
        if left == 0 {
            core::future::pending::<()>().await;
        }
        let size = self.sizes[self.reads % self.sizes.len()].max(1);
        self.reads += 1;
        let n = size.min(left).min(buf.len());
        buf[..n].copy_from_slice(&self.stream[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

impl embedded_io_async::Write for Ready {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
        Ok(buf.len())
    }

    async fn flush(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// The JSON of message `i`: 50 to about 500 bytes, as Aliyun property sets are.
fn payload(i: usize) -> String {
    let pad = "x".repeat((i * 37) % 450);
    format!("{{\"id\":\"{i}\",\"params\":{{\"n\":{i},\"pad\":\"{pad}\"}},\"version\":\"1.0\"}}")
}

const TOPIC: &str = "/sys/a1b2c3d4e5f/device001/thing/service/property/set";

/// Status URCs and unknown lines that can come between messages.
const OTHERS: [&str; 4] = [
    "+QMTPUBEX: 0,7,0",
    "+CEREG: 1",
    "+QIURC: \"recv\",1",
    "+XUNKNOWN: 3,4",
];

fn quectel_stream(n: usize, others: &[usize]) -> Vec<u8> {
    let mut s = Vec::new();
    for i in 0..n {
        for k in 0..others.get(i).copied().unwrap_or(0) {
            s.extend_from_slice(format!("\r\n{}\r\n", OTHERS[(i + k) % OTHERS.len()]).as_bytes());
        }
        let p = payload(i);
        // Every other message without the length field, as the seed's modules send them.
        let line = if i % 2 == 0 {
            format!(
                "\r\n+QMTRECV: 0,{},\"{TOPIC}\",{},\"{p}\"\r\n",
                i % 65536,
                p.len()
            )
        } else {
            format!("\r\n+QMTRECV: 0,{},\"{TOPIC}\",\"{p}\"\r\n", i % 65536)
        };
        s.extend_from_slice(line.as_bytes());
    }
    s
}

fn luat_stream(n: usize, others: &[usize]) -> Vec<u8> {
    let mut s = Vec::new();
    for i in 0..n {
        for k in 0..others.get(i).copied().unwrap_or(0) {
            let other = ["SUBACK", "PUBACK", "+CEREG: 1", "+XUNKNOWN: 1"][(i + k) % 4];
            s.extend_from_slice(format!("\r\n{other}\r\n").as_bytes());
        }
        let p = payload(i);
        s.extend_from_slice(format!("\r\n+MSUB: \"{TOPIC}\",{} byte,{p}\r\n", p.len()).as_bytes());
    }
    s
}

fn take_all_quectel(stream: Vec<u8>, sizes: &[usize], n: usize) {
    let mut state: State = State::new();
    let mut c: Client<Ready, InstantDelay, Quectel> =
        Client::new(Ready::new(stream, sizes), InstantDelay, &mut state);
    for i in 0..n {
        let m = block_on(c.mqtt_next_message(c.mqtt_session(0), 1_000))
            .unwrap_or_else(|e| panic!("message {i}, reads {sizes:?}: {e:?}"));
        assert_eq!(m.topic, TOPIC);
        assert_eq!(
            m.payload,
            payload(i).as_bytes(),
            "message {i}, reads {sizes:?}"
        );
    }
    assert!(block_on(c.mqtt_next_message(c.mqtt_session(0), 1_000)).is_err());
    let s = c.stats();
    assert_eq!((s.overflows, s.bad_lengths), (0, 0), "{s:?}");
}

fn take_all_luat(stream: Vec<u8>, sizes: &[usize], n: usize) {
    let mut state: State = State::new();
    let mut c: Client<Ready, InstantDelay, Luat> =
        Client::new(Ready::new(stream, sizes), InstantDelay, &mut state);
    for i in 0..n {
        let m = block_on(c.mqtt_next_message(c.mqtt_session(0), 1_000))
            .unwrap_or_else(|e| panic!("message {i}, reads {sizes:?}: {e:?}"));
        assert_eq!(m.topic, TOPIC);
        assert_eq!(
            m.payload,
            payload(i).as_bytes(),
            "message {i}, reads {sizes:?}"
        );
    }
}

/// Read sizes from one byte to the whole buffer (and more than the buffer: the client never
/// asks for more than it has room for).
const SIZES: [usize; 12] = [1, 2, 3, 7, 16, 64, 100, 333, 512, 1000, 1024, usize::MAX];

#[test]
fn two_thousand_quectel_messages_arrive_in_order_for_every_read_size() {
    let stream = quectel_stream(2_000, &[]);
    for size in SIZES {
        take_all_quectel(stream.clone(), &[size], 2_000);
    }
}

#[test]
fn two_thousand_luat_messages_arrive_in_order_for_every_read_size() {
    let stream = luat_stream(2_000, &[]);
    for size in SIZES {
        take_all_luat(stream.clone(), &[size], 2_000);
    }
}

#[test]
fn status_urcs_between_messages_never_push_a_message_out() {
    // Two to four status lines before every message: the queue fills with them while the
    // application only takes messages; they go (counted), the messages never.
    let others: Vec<usize> = (0..500).map(|i| 2 + i % 3).collect();
    let stream = quectel_stream(500, &others);
    for size in [1, 64, usize::MAX] {
        take_all_quectel(stream.clone(), &[size], 500);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn every_message_arrives_for_random_reads_and_interleavings(
        sizes in proptest::collection::vec(1usize..1200, 1..8),
        others in proptest::collection::vec(0usize..4, 150),
    ) {
        take_all_quectel(quectel_stream(150, &others), &sizes, 150);
        take_all_luat(luat_stream(150, &others), &sizes, 150);
    }
}
