//! One pass over a stream as a client makes it: bytes go in as reads of a given size, every
//! item is taken with `next_item()` and every URC is looked at (its MQTT message, its link
//! event). Shared by `benches/codec.rs` and `examples/stream_pass.rs`.
#![allow(dead_code, clippy::indexing_slicing)]

use std::hint::black_box;

use atmodem::client::State;
use atmodem::codec::{Dialect, Item, Reader};
use atmodem::dialects::luat::Luat;
use atmodem::dialects::quectel::Quectel;

/// The decoder buffer of the benchmarks: room for a 500-byte JSON payload and its topic.
pub const BUF: usize = 1024;

/// Feed `input` in `read`-byte reads through a `Reader<D, [u8; BUF]>`; `look` weighs each
/// URC. Returns a checksum so that nothing is optimised away.
fn decode<D: Dialect>(input: &[u8], read: usize, look: impl Fn(&D::Urc<'_>) -> usize) -> usize {
    let mut r: Reader<D, [u8; BUF]> = Reader::new();
    let mut sum = 0usize;
    for part in input.chunks(read.max(1)) {
        let mut part = part;
        while !part.is_empty() {
            let n = r.feed(part);
            part = &part[n..];
            while let Some(item) = r.next_item() {
                sum = sum.wrapping_add(match item {
                    Ok(Item::Urc(u)) => look(&u) + usize::from(D::link_event(&u).is_some()),
                    Ok(Item::Unknown { line, .. }) => line.len(),
                    Ok(Item::Data { bytes, .. }) => bytes.len(),
                    Ok(_) => 2,
                    Err(_) => 3,
                });
            }
        }
    }
    sum
}

/// The Quectel dialect: topic and payload of every `+QMTRECV`.
pub fn quectel(input: &[u8], read: usize) -> usize {
    decode::<Quectel>(input, read, |u| {
        u.message()
            .map_or(1, |(_, m)| m.topic.len() + m.payload.len())
    })
}

/// The Luat dialect: topic and payload of every `+MSUB`.
pub fn luat(input: &[u8], read: usize) -> usize {
    decode::<Luat>(input, read, |u| {
        u.message().map_or(1, |m| m.topic.len() + m.payload.len())
    })
}

/// The decoder pass a stream is measured with: Luat for `luat_*`, else Quectel.
pub fn decoder_for(stream: &str) -> fn(&[u8], usize) -> usize {
    if stream.starts_with("luat") {
        luat
    } else {
        quectel
    }
}

/// A UART that hands out the stream in `read`-byte reads, each ready at once; at the end of
/// the stream it waits for ever (the client's wait then times out).
pub struct Uart<'a> {
    input: &'a [u8],
    read: usize,
}

impl embedded_io::ErrorType for Uart<'_> {
    type Error = core::convert::Infallible;
}

impl embedded_io_async::Read for Uart<'_> {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        if self.input.is_empty() {
            core::future::pending::<()>().await;
        }
        let n = self.read.min(self.input.len()).min(buf.len());
        buf[..n].copy_from_slice(&self.input[..n]);
        self.input = &self.input[n..];
        Ok(n)
    }
}

impl embedded_io_async::Write for Uart<'_> {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
        Ok(buf.len())
    }

    async fn flush(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// The path a firmware runs: a `Client<_, _, Quectel>` (default buffers) over a UART with
/// `read`-byte reads, every message of client 0 taken with `mqtt_next_message`. Returns a
/// checksum (topic and payload lengths, message count).
pub fn client_quectel(input: &[u8], read: usize) -> usize {
    use atmodem::client::{Client, Mqtt};
    use atmodem::sim::InstantDelay;
    let uart = Uart {
        input,
        read: read.max(1),
    };
    let mut state: State = State::new();
    let mut c: Client<Uart<'_>, InstantDelay, Quectel> =
        Client::new(uart, InstantDelay, &mut state);
    let mut sum = 0usize;
    embassy_futures::block_on(async {
        while let Ok(m) = c.mqtt_next_message(c.mqtt_session(0), 1_000).await {
            sum = sum.wrapping_add(m.topic.len() + m.payload.len() + 1);
        }
    });
    sum
}

/// The baseline: find every line end with memchr, in the same reads.
pub fn memchr_lines(input: &[u8], read: usize) -> usize {
    input
        .chunks(read.max(1))
        .map(|part| memchr::memchr_iter(b'\n', black_box(part)).count())
        .sum()
}
