//! The field grammar of the URCs on the hot path, at its edges: number ranges, signs, leading
//! zeros, spaces and tabs around separators, quotes and lengths. Expected values written by
//! hand from the grammar (`<tok>: ` header, `,` with optional spaces, decimal fields that fail
//! on overflow, the whole line consumed but trailing spaces).
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use atmodem::codec::{RegStatus, Registration, Urc, token};
use atmodem::dialects::luat::{LuatUrc, MsubUrc};
use atmodem::dialects::quectel::{MqttAck, QmtRecv, QuectelUrc};

fn quectel(line: &[u8]) -> Option<QuectelUrc<'_>> {
    QuectelUrc::parse(token(line), line)
}

fn luat(line: &[u8]) -> Option<LuatUrc<'_>> {
    LuatUrc::parse(token(line), line)
}

fn malformed(line: &[u8]) -> bool {
    matches!(quectel(line), Some(QuectelUrc::Malformed { .. }))
}

#[test]
fn unsigned_fields_fail_above_their_range() {
    assert_eq!(
        quectel(b"+QMTSTAT: 0,255"),
        Some(QuectelUrc::QmtStat {
            client: 0,
            err: 255
        })
    );
    assert!(malformed(b"+QMTSTAT: 0,256"));
    assert!(matches!(
        quectel(b"+QMTPUBEX: 1,65535,0"),
        Some(QuectelUrc::QmtPubEx(MqttAck {
            client: 1,
            msg_id: 65535,
            result: 0,
            value: None
        }))
    ));
    assert!(malformed(b"+QMTPUBEX: 1,65536,0"));
    assert!(malformed(b"+QMTPUBEX: 1,99999999999,0"));
}

#[test]
fn leading_zeros_are_digits() {
    assert_eq!(
        quectel(b"+QMTSTAT: 000,0000000000007"),
        Some(QuectelUrc::QmtStat { client: 0, err: 7 })
    );
}

#[test]
fn signed_results_take_a_sign_and_their_range() {
    let open = |line: &'static [u8]| match quectel(line) {
        Some(QuectelUrc::QmtOpen { result, .. }) => Some(result),
        _ => None,
    };
    assert_eq!(open(b"+QMTOPEN: 0,-1"), Some(-1));
    assert_eq!(open(b"+QMTOPEN: 0,+3"), Some(3));
    assert_eq!(open(b"+QMTOPEN: 0,-128"), Some(-128));
    assert_eq!(open(b"+QMTOPEN: 0,127"), Some(127));
    assert!(malformed(b"+QMTOPEN: 0,-129"));
    assert!(malformed(b"+QMTOPEN: 0,128"));
    assert!(malformed(b"+QMTOPEN: 0,-"));
    assert!(malformed(b"+QMTOPEN: 0,--1"));
    // Unsigned fields take no sign.
    assert!(malformed(b"+QMTSTAT: +0,1"));
}

#[test]
fn spaces_and_tabs_around_separators_and_at_the_end() {
    assert_eq!(
        quectel(b"+QMTPING:\t0 ,\t1 \t"),
        Some(QuectelUrc::QmtPing {
            client: 0,
            result: 1
        })
    );
    assert_eq!(
        quectel(b"+QMTSTAT :  0,1"),
        Some(QuectelUrc::QmtStat { client: 0, err: 1 })
    );
    assert!(malformed(b"+QMTSTAT: 0,1 x"));
    assert!(malformed(b"+QMTSTAT: 0,,1"));
    assert!(malformed(b"+QMTSTAT: 0"));
}

#[test]
fn ack_value_is_the_trimmed_rest() {
    match quectel(b"+QMTSUB: 0,5,0, 1,2 ") {
        Some(QuectelUrc::QmtSub(ack)) => {
            assert_eq!((ack.msg_id, ack.value), (5, Some("1,2")));
            assert_eq!(ack.values().collect::<Vec<_>>(), vec![1, 2]);
        }
        other => panic!("{other:?}"),
    }
    // An empty value is no value.
    assert!(matches!(
        quectel(b"+QMTPUB: 0,5,1,  "),
        Some(QuectelUrc::QmtPub(MqttAck { value: None, .. }))
    ));
    // A value that is not text makes the line malformed.
    assert!(malformed(b"+QMTPUB: 0,5,1,\xff"));
}

#[test]
fn qmtrecv_payload_bounds() {
    let msg = |line: &'static [u8]| match quectel(line) {
        Some(QuectelUrc::QmtRecv(QmtRecv::Message { len, message, .. })) => {
            Some((len, message.topic, message.payload))
        }
        _ => None,
    };
    // Without a length: up to the last quote, which only spaces may follow.
    assert_eq!(
        msg(b"+QMTRECV: 0,1,\"a/b\",\"x\"y\"  "),
        Some((None, "a/b", &b"x\"y"[..]))
    );
    assert!(malformed(b"+QMTRECV: 0,1,\"a/b\",\"x\"y"));
    assert!(malformed(b"+QMTRECV: 0,1,\"a/b\",\"xy\" z"));
    // With a length: exactly that many bytes, then the closing quote.
    assert_eq!(
        msg(b"+QMTRECV: 0,1,\"a/b\",3,\"x\"y\""),
        Some((Some(3), "a/b", &b"x\"y"[..]))
    );
    assert!(malformed(b"+QMTRECV: 0,1,\"a/b\",4,\"x\"y\""));
    assert!(malformed(b"+QMTRECV: 0,1,\"a/b\",2,\"x\"y\""));
    // A topic that is not UTF-8.
    assert!(malformed(b"+QMTRECV: 0,1,\"a\xffb\",1,\"x\""));
    // The buffered-message notice.
    assert_eq!(
        quectel(b"+QMTRECV: 1,4"),
        Some(QuectelUrc::QmtRecv(QmtRecv::Stored {
            client: 1,
            recv_id: 4
        }))
    );
}

#[test]
fn registration_shapes() {
    let reg = |line: &'static [u8]| match Urc::parse(token(line), line) {
        Some(Urc::Cereg(r)) => Some(r),
        _ => None,
    };
    assert_eq!(
        reg(b"+CEREG: 5"),
        Some(Registration {
            n: None,
            stat: RegStatus::Roaming,
            area: None,
            cell: None,
            act: None
        })
    );
    assert_eq!(
        reg(b"+CEREG: 2,1"),
        Some(Registration {
            n: Some(2),
            stat: RegStatus::Home,
            area: None,
            cell: None,
            act: None
        })
    );
    assert_eq!(
        reg(b"+CEREG: 1,\"550B\",\"5C4EF01\",7,0,13"),
        Some(Registration {
            n: None,
            stat: RegStatus::Home,
            area: Some("550B"),
            cell: Some("5C4EF01"),
            act: Some(7)
        })
    );
    // An access technology that does not fit is no access technology; the rest is ignored.
    assert_eq!(reg(b"+CEREG: 1,\"1\",\"2\",300").unwrap().act, None);
    // Empty location fields.
    assert_eq!(
        reg(b"+CEREG: 1,,"),
        Some(Registration {
            n: None,
            stat: RegStatus::Home,
            area: None,
            cell: None,
            act: None
        })
    );
    // One location field alone is not a registration.
    assert!(matches!(
        Urc::parse(b"+CEREG", b"+CEREG: 1,\"550B\""),
        Some(Urc::Malformed { .. })
    ));
}

#[test]
fn msub_lengths_and_topics() {
    assert_eq!(
        luat(b"+MSUB: \"a/b\",3 byte,x,y")
            .and_then(|u| u.message())
            .map(|m| (m.topic, m.payload)),
        Some(("a/b", &b"x,y"[..]))
    );
    // Unquoted topic (AT+MQTTMSGGET), spaces around the length.
    assert_eq!(
        luat(b"+MSUB: a/b, 2  byte,xy")
            .and_then(|u| u.message())
            .map(|m| (m.topic, m.payload)),
        Some(("a/b", &b"xy"[..]))
    );
    // The first ` byte,` ends the length field, even inside a quoted topic.
    assert!(matches!(
        luat(b"+MSUB: \"a byte,b\",2 byte,xy"),
        Some(LuatUrc::Malformed { .. })
    ));
    // The length must match the payload (trailing spaces aside).
    assert!(matches!(
        luat(b"+MSUB: \"t\",3 byte,xy"),
        Some(LuatUrc::Malformed { .. })
    ));
    assert!(matches!(
        luat(b"+MSUB: \"t\",1 byte,xy"),
        Some(LuatUrc::Malformed { .. })
    ));
    assert!(
        luat(b"+MSUB: \"t\",2 byte,xy  ")
            .and_then(|u| u.message())
            .is_some()
    );
    // The cache notice.
    assert_eq!(
        luat(b"+MSUB: 3"),
        Some(LuatUrc::Msub(MsubUrc::Stored { slot: 3 }))
    );
}

/// Control bytes (but tab) in a text field, at every position of fields of every length
/// from 0 to 40 (the eight-byte scan and its tail), make a `+QMTSTAT`-free, topic-carrying
/// `+QMTRECV` malformed; the same field without them is taken.
#[test]
fn control_bytes_anywhere_in_a_topic_are_refused() {
    use atmodem::codec::{Dialect, token};
    use atmodem::dialects::quectel::{Quectel, QuectelUrc};
    let parse = |topic: &[u8]| {
        let mut line = b"+QMTRECV: 0,1,\"".to_vec();
        line.extend_from_slice(topic);
        line.extend_from_slice(b"\",\"x\"");
        matches!(
            Quectel::parse_urc(token(&line), &line),
            Some(u @ QuectelUrc::QmtRecv(_)) if u.message().is_some()
        )
    };
    for len in 0..40usize {
        let clean: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
        assert!(parse(&clean), "len {len}");
        for pos in 0..len {
            for bad in [0x00u8, 0x01, 0x0d, 0x1f, 0x7f] {
                let mut t = clean.clone();
                t[pos] = bad;
                assert!(!parse(&t), "len {len} pos {pos} byte {bad:#x}");
            }
            let mut t = clean.clone();
            t[pos] = b'\t';
            assert!(parse(&t), "tab at {pos} of {len}");
            t[pos] = b' ';
            assert!(parse(&t), "space at {pos} of {len}");
            t[pos] = b'~';
            assert!(parse(&t), "tilde at {pos} of {len}");
        }
    }
}
