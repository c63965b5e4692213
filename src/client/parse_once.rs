//! Each delivered message is parsed exactly once from the wire to the caller: when it is
//! classified. Taking it (straight from the decoder's buffer, or from the queue) slices the
//! line by the spans that parse found. Counted with the family parsers' call counter.
#![cfg(all(test, feature = "std"))]

use std::format;
use std::string::String;
use std::vec::Vec;

use embassy_futures::block_on;

use super::{Client, Mqtt, State};
use crate::dialects::common::Csq;
use crate::dialects::luat::Luat;
use crate::dialects::quectel::Quectel;
use crate::parse_count;
use crate::sim::InstantDelay;

/// A UART whose next `size` bytes are always ready; writes vanish. Once the stream is
/// exhausted, reads wait for ever.
struct Ready {
    stream: Vec<u8>,
    at: usize,
    size: usize,
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
        let n = self.size.min(left).min(buf.len());
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

/// Payload `i`: some hold line ends and lines that read like the module's own.
fn payload(i: usize) -> String {
    match i % 3 {
        0 => format!("{{\"id\":\"{i}\",\"params\":{{\"n\":{i}}}}}"),
        1 => format!("m{i}\r\nOK\r\n+QMTSTAT: 0,1\r\n"),
        _ => format!("\"quoted\" {i}"),
    }
}

/// `+QMTRECV: <client>,<id>,"<topic>",<len>,"<payload>"` (recv/mode with the length field,
/// Quectel MQTT application note).
fn qmtrecv(client: u8, id: usize, topic: &str, payload: &str) -> String {
    format!(
        "\r\n+QMTRECV: {client},{id},\"{topic}\",{},\"{payload}\"\r\n",
        payload.len()
    )
}

const TOPIC: &str = "/sys/a1b2c3d4e5f/device001/thing/service/property/set";

#[test]
fn a_delivered_message_is_parsed_once_with_another_clients_records_queued_ahead() {
    const N: usize = 30;
    let mut stream = String::new();
    // 16 messages of client 1, which nobody takes: they are queued ahead.
    for i in 0..16 {
        stream += &qmtrecv(1, i, "t", "abcd");
    }
    let mut urcs = 16;
    for i in 0..N {
        stream += &qmtrecv(0, i, TOPIC, &payload(i));
        urcs += 1;
        if i % 4 == 0 {
            stream += "\r\n+QMTPUBEX: 0,7,0\r\n";
            urcs += 1;
        }
    }
    for size in [1, 7, 64, 4096] {
        let io = Ready {
            stream: stream.clone().into_bytes(),
            at: 0,
            size,
        };
        let mut state: State = State::new();
        let mut c: Client<_, _, Quectel> = Client::new(io, InstantDelay, &mut state);
        let before = parse_count::urc();
        for i in 0..N {
            let m = block_on(c.mqtt_next_message(c.mqtt_session(0), 1_000)).unwrap();
            assert_eq!(m.topic, TOPIC, "read size {size}, message {i}");
            assert_eq!(
                m.payload,
                payload(i).as_bytes(),
                "read size {size}, message {i}"
            );
        }
        // Every URC line read was parsed once: none twice to be delivered, none again while
        // it waited in the queue.
        assert_eq!(parse_count::urc() - before, urcs, "read size {size}");
        assert_eq!(c.queued_urcs(), 16 + N.div_ceil(4), "read size {size}");
    }
}

#[test]
fn a_message_queued_during_a_command_is_taken_without_a_second_parse() {
    // Messages arrive while `AT+CSQ` is in flight: they are queued (with their spans), the
    // command gets its answer, then each is taken from the queue.
    let mut stream = String::new();
    for i in 0..5 {
        stream += &qmtrecv(0, i, TOPIC, &payload(i));
    }
    stream += "\r\n+CSQ: 20,99\r\n\r\nOK\r\n";
    let io = Ready {
        stream: stream.into_bytes(),
        at: 0,
        size: 64,
    };
    let mut state: State = State::new();
    let mut c: Client<_, _, Quectel> = Client::new(io, InstantDelay, &mut state);
    let before = parse_count::urc();
    block_on(c.send(&Csq)).unwrap();
    assert_eq!(c.queued_urcs(), 5);
    assert_eq!(parse_count::urc() - before, 5);
    for i in 0..5 {
        let m = block_on(c.mqtt_next_message(c.mqtt_session(0), 1_000)).unwrap();
        assert_eq!((m.topic, m.payload), (TOPIC, payload(i).as_bytes()));
    }
    assert_eq!(parse_count::urc() - before, 5);
}

#[test]
fn a_luat_message_is_parsed_once() {
    // `+MSUB: "<topic>",<len> byte,<payload>` (Luat MQTT AT manual).
    let mut stream = String::new();
    let n = 12;
    for i in 0..n {
        let p = payload(i);
        stream += &format!("\r\n+MSUB: \"{TOPIC}\",{} byte,{p}\r\n", p.len());
    }
    for size in [1, 64, 4096] {
        let io = Ready {
            stream: stream.clone().into_bytes(),
            at: 0,
            size,
        };
        let mut state: State = State::new();
        let mut c: Client<_, _, Luat> = Client::new(io, InstantDelay, &mut state);
        let before = parse_count::urc();
        for i in 0..n {
            let m = block_on(c.mqtt_next_message(c.mqtt_session(0), 1_000)).unwrap();
            assert_eq!((m.topic, m.payload), (TOPIC, payload(i).as_bytes()));
        }
        assert_eq!(parse_count::urc() - before, n, "read size {size}");
    }
}

#[test]
fn a_message_ended_by_lone_carriage_returns_is_delivered() {
    // Some firmware ends every line with a lone CR: the message is still a message, with its
    // bytes (it used to be handed out as an empty line). The next line's byte tells the lone
    // CR from the first half of a CRLF. Both forms of `+QMTRECV`: with the length field and
    // without it (recv/mode 0,0).
    let line = format!(
        "+QMTRECV: 0,3,\"{TOPIC}\",5,\"hello\"\r+QMTRECV: 0,4,\"{TOPIC}\",\"world\"\r+CEREG: 1\r"
    );
    let io = Ready {
        stream: [b"\r".to_vec(), line.into_bytes()].concat(),
        at: 0,
        size: 64,
    };
    let mut state: State = State::new();
    let mut c: Client<_, _, Quectel> = Client::new(io, InstantDelay, &mut state);
    let m = block_on(c.mqtt_next_message(c.mqtt_session(0), 1_000)).unwrap();
    assert_eq!((m.topic, m.payload), (TOPIC, &b"hello"[..]));
    let m = block_on(c.mqtt_next_message(c.mqtt_session(0), 1_000)).unwrap();
    assert_eq!((m.topic, m.payload), (TOPIC, &b"world"[..]));
}
