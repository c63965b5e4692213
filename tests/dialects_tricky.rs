//! The tricky framing cases of both dialects (unescaped quotes, payloads with CR/LF, shared
//! tokens with other shapes, bare words, odd separators, optional fields, ...), as tables.
//! Expected values are written by hand from the Quectel and Luat manuals' grammar.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use atmodem::codec::{
    Dialect, EncodeError, Expect, Item, Lines, LinkEvent, PdpEvent, Reader, RegStatus, Urc, token,
};
use atmodem::dialects::Command;
use atmodem::dialects::luat::{
    HttpSslRead, Luat, LuatUrc, MipStart, Mpub, MqttMsgGet, MqttMsgGetRead, MqttStatu, MsubUrc,
    SapbrParams,
};
use atmodem::dialects::quectel::{
    HttpResult, MqttAck, QiactRead, Qind, Qiurc, QmtConnRead, QmtOpenRead, QmtRecv, QmtRecvRead,
    Quectel, QuectelUrc,
};

/// Owned summary of an item.
#[derive(Debug, PartialEq, Eq)]
enum K {
    Prompt,
    Response(Vec<u8>),
    Final(String),
    Unsolicited(String),
    Data(Vec<u8>),
    Urc(String),
    Unknown(Vec<u8>),
    Overflow,
}

/// Feed `input` in `chunk`-byte pieces with `expect` in flight.
fn run<D: Dialect>(expect: Option<Expect>, input: &[u8], chunk: usize) -> Vec<K>
where
    for<'a> D::Urc<'a>: core::fmt::Debug,
{
    let mut r: Reader<D, [u8; 160]> = Reader::new();
    if let Some(e) = expect {
        r.begin(e);
    }
    let mut out = Vec::new();
    for part in input.chunks(chunk.max(1)) {
        let mut part = part;
        while !part.is_empty() {
            let n = r.feed(part);
            part = &part[n..];
            while let Some(item) = r.next_item() {
                out.push(match item {
                    Ok(Item::Echo(_)) => continue,
                    Ok(Item::Prompt(_)) => K::Prompt,
                    Ok(Item::Response { line, .. }) => K::Response(line.to_vec()),
                    Ok(Item::Final(c)) => K::Final(c.name().into()),
                    Ok(Item::Unsolicited(c)) => K::Unsolicited(c.name().into()),
                    Ok(Item::Data { bytes, .. }) => K::Data(bytes.to_vec()),
                    Ok(Item::Urc(u)) => K::Urc(format!("{u:?}")),
                    Ok(Item::Unknown { line, .. }) => K::Unknown(line.to_vec()),
                    Err(_) => K::Overflow,
                });
            }
        }
    }
    out
}

/// The same items for 1-byte, 7-byte and whole reads.
fn run_all<D: Dialect>(expect: Option<Expect>, input: &[u8]) -> Vec<K>
where
    for<'a> D::Urc<'a>: core::fmt::Debug,
{
    let whole = run::<D>(expect, input, input.len());
    assert_eq!(run::<D>(expect, input, 1), whole, "1-byte reads differ");
    assert_eq!(run::<D>(expect, input, 7), whole, "7-byte reads differ");
    whole
}

fn q(line: &[u8]) -> QuectelUrc<'_> {
    Quectel::parse_urc(token(line), line).unwrap()
}

fn l(line: &[u8]) -> LuatUrc<'_> {
    Luat::parse_urc(token(line), line).unwrap()
}

// ---- Quectel ------------------------------------------------------------------------------

#[test]
fn quectel_urc_shapes() {
    let ack = |client, msg_id, result, value| MqttAck {
        client,
        msg_id,
        result,
        value,
    };
    let table: &[(&[u8], QuectelUrc<'_>)] = &[
        (
            b"+QMTOPEN: 0,-1",
            QuectelUrc::QmtOpen {
                client: 0,
                result: -1,
            },
        ),
        (
            b"+QMTOPEN: 5,3",
            QuectelUrc::QmtOpen {
                client: 5,
                result: 3,
            },
        ),
        (
            b"+QMTCONN: 0,2",
            QuectelUrc::QmtConn {
                client: 0,
                result: 2,
                ret_code: None,
            },
        ),
        (
            b"+QMTCONN: 1,0,4",
            QuectelUrc::QmtConn {
                client: 1,
                result: 0,
                ret_code: Some(4),
            },
        ),
        (
            b"+QMTDISC: 0,0",
            QuectelUrc::QmtDisc {
                client: 0,
                result: 0,
            },
        ),
        (
            b"+QMTPUB: 0,5,1,2",
            QuectelUrc::QmtPub(ack(0, 5, 1, Some("2"))),
        ),
        (
            b"+QMTPUBEX: 0,5,0",
            QuectelUrc::QmtPubEx(ack(0, 5, 0, None)),
        ),
        (
            b"+QMTSUB: 0,2,0,0,1",
            QuectelUrc::QmtSub(ack(0, 2, 0, Some("0,1"))),
        ),
        (b"+QMTUNS: 0,3,0", QuectelUrc::QmtUns(ack(0, 3, 0, None))),
        (b"+QMTSTAT: 0,7", QuectelUrc::QmtStat { client: 0, err: 7 }),
        (
            b"+QMTPING: 2,1",
            QuectelUrc::QmtPing {
                client: 2,
                result: 1,
            },
        ),
        (
            b"+QMTRECV: 0,2",
            QuectelUrc::QmtRecv(QmtRecv::Stored {
                client: 0,
                recv_id: 2,
            }),
        ),
        (
            b"+QIURC: \"pdpdeact\",1",
            QuectelUrc::Qiurc(Qiurc::PdpDeact { cid: 1 }),
        ),
        (
            b"+QIURC: \"recv\",3",
            QuectelUrc::Qiurc(Qiurc::Recv { connect_id: 3 }),
        ),
        (
            b"+QIURC: \"closed\",0",
            QuectelUrc::Qiurc(Qiurc::Closed { connect_id: 0 }),
        ),
        (
            b"+QIURC: \"incoming full\"",
            QuectelUrc::Qiurc(Qiurc::Other("\"incoming full\"")),
        ),
        (
            b"+QHTTPGET: 0,200",
            QuectelUrc::QhttpGet(HttpResult {
                err: 0,
                status: Some(200),
                content_length: None,
            }),
        ),
        (
            b"+QHTTPPOST: 702",
            QuectelUrc::QhttpPost(HttpResult {
                err: 702,
                status: None,
                content_length: None,
            }),
        ),
        (b"+QHTTPREAD: 0", QuectelUrc::QhttpRead { err: 0 }),
        (b"+CFUN: 1", QuectelUrc::Cfun(1)),
        (b"+QUSIM: 1", QuectelUrc::Qusim(1)),
        (b"+QIND: SMS DONE", QuectelUrc::Qind(Qind::SmsDone)),
        (b"+QIND: PB DONE", QuectelUrc::Qind(Qind::PbDone)),
        (b"APP RDY", QuectelUrc::AppReady),
        (b"RDY", QuectelUrc::Common(Urc::Ready)),
        (b"POWERED DOWN", QuectelUrc::Common(Urc::PoweredDown)),
    ];
    for (line, want) in table {
        assert_eq!(q(line), *want, "{}", String::from_utf8_lossy(line));
    }
}

#[test]
fn quectel_known_tokens_with_bad_fields_are_kept_as_malformed() {
    for line in [
        &b"+QMTOPEN: 0,\"host\",1883"[..], // the read shape, with no query in flight
        b"+QMTSTAT: x",
        b"+QMTRECV: 0,0,\"t\",5,\"abc\"", // shorter than announced
        b"+QMTCONN:",
    ] {
        assert_eq!(
            q(line),
            QuectelUrc::Malformed {
                token: token(line),
                line: atmodem::codec::RawLine(line)
            }
        );
    }
}

#[test]
fn qmtpub_does_not_match_qmtpubex_and_back() {
    assert!(matches!(q(b"+QMTPUBEX: 0,1,0"), QuectelUrc::QmtPubEx(_)));
    assert!(matches!(q(b"+QMTPUB: 0,1,0"), QuectelUrc::QmtPub(_)));
    assert!(Quectel::parse_urc(b"+QMTPU", b"+QMTPU: 0,1,0").is_none());
}

#[test]
fn qmtrecv_unescaped_quotes_take_the_last_quote() {
    let line = br#"+QMTRECV: 1,7,"a/b,c","say "hi", then "bye"""#;
    let QuectelUrc::QmtRecv(QmtRecv::Message {
        client,
        msg_id,
        len,
        message,
    }) = q(line)
    else {
        panic!()
    };
    assert_eq!((client, msg_id, len), (1, 7, None));
    assert_eq!(message.topic, "a/b,c");
    assert_eq!(message.payload, br#"say "hi", then "bye""#);
}

#[test]
fn qmtrecv_with_length_is_framed_by_length_whatever_it_holds() {
    // The payload holds CR/LF, an `OK` line, a URC-looking line, quotes and binary bytes.
    let payload = b"a\r\nOK\r\n+QMTSTAT: 0,1\r\n\"\x00\xff\x1a";
    let mut input = b"\r\n+QMTRECV: 0,3,\"t/x\",".to_vec();
    input.extend_from_slice(payload.len().to_string().as_bytes());
    input.extend_from_slice(b",\"");
    input.extend_from_slice(payload);
    input.extend_from_slice(b"\"\r\n\r\n+CEREG: 1\r\n");
    let got = run_all::<Quectel>(None, &input);
    assert_eq!(got.len(), 2, "{got:?}");
    let mut r: Reader<Quectel, [u8; 160]> = Reader::new();
    r.feed(&input);
    let Some(Ok(Item::Urc(urc))) = r.next_item() else {
        panic!()
    };
    let (client, m) = urc.message().unwrap();
    assert_eq!((client, m.topic, m.payload), (0, "t/x", &payload[..]));
    assert!(matches!(
        r.next_item(),
        Some(Ok(Item::Urc(QuectelUrc::Common(Urc::Cereg(_)))))
    ));
}

/// The length field frames the line whatever the fields before it hold: a head the parser
/// refuses (a packet id out of range, a topic with a NUL) is one malformed URC, and the CR/LF
/// and `OK` inside its payload never become lines of their own.
#[test]
fn qmtrecv_with_a_bad_head_is_still_framed_by_its_length() {
    let payload = b"a\r\nOK\r\n";
    for head in [
        &b"+QMTRECV: 0,65536,\"t\","[..],
        b"+QMTRECV: 0,1,\"a\x00b\",",
        b"+QMTRECV: 9999,1,\"t\",",
    ] {
        let mut input = b"\r\n".to_vec();
        input.extend_from_slice(head);
        input.extend_from_slice(payload.len().to_string().as_bytes());
        input.extend_from_slice(b",\"");
        input.extend_from_slice(payload);
        input.extend_from_slice(b"\"\r\n\r\n+QMTSTAT: 0,1\r\n");
        for chunk in [1, 5, 64] {
            let got = run::<Quectel>(None, &input, chunk);
            assert_eq!(got.len(), 2, "{head:?} in {chunk}-byte reads: {got:?}");
            assert!(
                matches!(&got[0], K::Urc(s) if s.starts_with("Malformed")),
                "{got:?}"
            );
            assert_eq!(got[1], K::Urc("QmtStat { client: 0, err: 1 }".into()));
        }
    }
}

/// Blanks around the separators of the head (as V.250 allows) do not stop the length field
/// from framing the payload.
#[test]
fn qmtrecv_with_blanks_in_its_head_is_framed_by_its_length() {
    let input = b"\r\n+QMTRECV:\t0, 1,\t\"t/x\", 7 ,\"a\r\nOK\r\n\"\r\n";
    for chunk in [1, 3, 64] {
        let mut r: Reader<Quectel, [u8; 160]> = Reader::new();
        let mut messages = Vec::new();
        let mut others = 0;
        for part in input.chunks(chunk) {
            r.feed(part);
            while let Some(item) = r.next_item() {
                match item {
                    Ok(Item::Urc(u)) if u.message().is_some() => {
                        let (client, m) = u.message().unwrap();
                        messages.push((client, m.topic.to_string(), m.payload.to_vec()));
                    }
                    _ => others += 1,
                }
            }
        }
        assert_eq!(
            messages,
            vec![(0, "t/x".to_string(), b"a\r\nOK\r\n".to_vec())]
        );
        assert_eq!(others, 0, "{chunk}-byte reads");
    }
}

#[test]
fn qmtrecv_longer_than_the_buffer_is_dropped_by_length_and_decoding_goes_on() {
    // 300 payload bytes with CRLFs, in a 160-byte decoder: the overflow is reported once,
    // exactly the payload is skipped (not resynchronised on a CRLF inside it).
    let payload: Vec<u8> = (0..300u32)
        .map(|i| if i % 10 == 9 { b'\n' } else { b'x' })
        .collect();
    let mut input = b"\r\n+QMTRECV: 0,1,\"t\",300,\"".to_vec();
    input.extend_from_slice(&payload);
    input.extend_from_slice(b"\"\r\n\r\n+QMTSTAT: 0,1\r\n");
    let got = run_all::<Quectel>(None, &input);
    assert_eq!(
        got,
        vec![K::Overflow, K::Urc("QmtStat { client: 0, err: 1 }".into())]
    );
}

#[test]
fn read_shapes_are_responses_of_their_queries() {
    let open = QmtOpenRead;
    assert_eq!(
        run_all::<Quectel>(
            Some(open.expect()),
            b"\r\n+QMTOPEN: 0,\"iot-06z00hxss3rggno.mqtt.iothub.aliyuncs.com\",1883\r\n\r\nOK\r\n"
        ),
        vec![
            K::Response(
                b"+QMTOPEN: 0,\"iot-06z00hxss3rggno.mqtt.iothub.aliyuncs.com\",1883".to_vec()
            ),
            K::Final("OK".into())
        ]
    );
    let lines: Vec<&[u8]> = vec![b"+QMTOPEN: 0,\"h.example\",8883"];
    let link = open
        .parse(Lines::from_slice(&lines))
        .unwrap()
        .iter()
        .next()
        .unwrap();
    assert_eq!((link.client, link.host, link.port), (0, "h.example", 8883));

    // `+QMTCONN: 0,3` (state connected) is the query's; a URC in the middle is not.
    let got = run_all::<Quectel>(
        Some(QmtConnRead.expect()),
        b"\r\n+QMTCONN: 0,3\r\n\r\n+QMTSTAT: 1,2\r\n\r\nOK\r\n",
    );
    assert_eq!(
        got,
        vec![
            K::Response(b"+QMTCONN: 0,3".to_vec()),
            K::Urc("QmtStat { client: 1, err: 2 }".into()),
            K::Final("OK".into())
        ]
    );
    let lines: Vec<&[u8]> = vec![b"+QMTCONN: 0,3"];
    assert_eq!(
        QmtConnRead
            .parse(Lines::from_slice(&lines))
            .unwrap()
            .state(0),
        Some(3)
    );

    let lines: Vec<&[u8]> = vec![b"+QMTRECV: 0,1,0,0,1,0"];
    let status = QmtRecvRead.parse(Lines::from_slice(&lines)).unwrap();
    assert_eq!(status.full, [true, false, false, true, false]);

    let lines: Vec<&[u8]> = vec![b"+QIACT: 1,1,1,\"10.7.157.1\"", b"+QIACT: 2,0,3"];
    let ctx = QiactRead.parse(Lines::from_slice(&lines)).unwrap();
    let one = ctx.get(1).unwrap();
    assert_eq!(
        (one.active, one.kind, one.address),
        (true, 1, Some("10.7.157.1"))
    );
    assert!(!ctx.get(2).unwrap().active);
}

#[test]
fn urc_between_echo_and_response_is_not_the_response() {
    let got = run_all::<Quectel>(
        Some(Expect::tokens(&[b"+CSQ"])),
        b"AT+CSQ\r\r\n+QMTRECV: 0,0,\"t\",\"{}\"\r\n\r\n+CSQ: 20,99\r\n\r\nOK\r\n",
    );
    assert_eq!(got.len(), 3);
    assert!(matches!(&got[0], K::Urc(s) if s.starts_with("QmtRecv(Message")));
    assert_eq!(got[1], K::Response(b"+CSQ: 20,99".to_vec()));
}

#[test]
fn qhttpread_body_is_taken_by_length_after_connect() {
    // The body itself contains `\r\nOK\r\n`; only the announced length tells where it ends.
    let body = b"{\"a\":1}\r\nOK\r\n{\"b\":2}";
    let mut input = b"\r\nCONNECT\r\n".to_vec();
    input.extend_from_slice(body);
    input.extend_from_slice(b"\r\nOK\r\n\r\n+QHTTPREAD: 0\r\n");
    for chunk in [1, 5, input.len()] {
        let mut r: Reader<Quectel, [u8; 64]> = Reader::new();
        r.begin(Expect::NOTHING);
        let mut got = Vec::new();
        for part in input.chunks(chunk) {
            r.feed(part);
            while let Some(item) = r.next_item() {
                match item.unwrap() {
                    Item::Prompt(_) => {
                        r.decoder_mut().expect_data(body.len());
                        got.push(K::Prompt);
                    }
                    Item::Data { bytes, .. } => got.push(K::Data(bytes.to_vec())),
                    Item::Final(c) => got.push(K::Final(c.name().into())),
                    Item::Urc(u) => got.push(K::Urc(format!("{u:?}"))),
                    other => panic!("{other:?}"),
                }
            }
        }
        let data: Vec<u8> = got
            .iter()
            .filter_map(|k| match k {
                K::Data(d) => Some(d.clone()),
                _ => None,
            })
            .flatten()
            .collect();
        assert_eq!(data, body, "chunk {chunk}");
        assert_eq!(
            got.last(),
            Some(&K::Urc("QhttpRead { err: 0 }".into())),
            "chunk {chunk}"
        );
    }
}

#[test]
fn quectel_link_events() {
    assert_eq!(
        Quectel::link_event(&q(b"+QIURC: \"pdpdeact\",1")),
        Some(LinkEvent::BearerDown(1))
    );
    assert_eq!(
        Quectel::link_event(&q(b"+QMTSTAT: 2,1")),
        Some(LinkEvent::MqttDown(2))
    );
    assert_eq!(Quectel::link_event(&q(b"RDY")), Some(LinkEvent::Rebooted));
    assert_eq!(
        Quectel::link_event(&q(b"+CGEV: NW PDN DEACT 1")),
        Some(LinkEvent::BearerDown(1))
    );
    assert_eq!(Quectel::link_event(&q(b"+QMTRECV: 0,1")), None);
}

#[test]
fn quectel_boot_sequence() {
    let got = run_all::<Quectel>(
        None,
        b"\xff\x00\r\nRDY\r\n\r\n+CFUN: 1\r\n\r\n+CPIN: READY\r\n\r\n+QUSIM: 1\r\n\r\n+QIND: SMS DONE\r\n\r\n+QIND: PB DONE\r\n\r\nAPP RDY\r\n",
    );
    let urcs: Vec<&str> = got
        .iter()
        .filter_map(|k| match k {
            K::Urc(s) => Some(s.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(
        urcs,
        vec![
            "Common(Ready)",
            "Cfun(1)",
            "Common(Cpin(Ready))",
            "Qusim(1)",
            "Qind(SmsDone)",
            "Qind(PbDone)",
            "AppReady"
        ]
    );
}

// ---- Luat ---------------------------------------------------------------------------------

#[test]
fn luat_urc_shapes() {
    let table: &[(&[u8], LuatUrc<'_>)] = &[
        (b"+SAPBR 1: DEACT", LuatUrc::SapbrDeact { cid: 1 }),
        (b"+PDP DEACT", LuatUrc::PdpDeact),
        (
            b"+HTTPACTION:0,200,1348",
            LuatUrc::HttpAction {
                method: 0,
                status: 200,
                len: 1348,
            },
        ),
        (
            b"+HTTPACTION: 0,601,0",
            LuatUrc::HttpAction {
                method: 0,
                status: 601,
                len: 0,
            },
        ),
        (b"ERROR: 3", LuatUrc::HttpError(3)),
        (b"CONNECT OK", LuatUrc::ConnectOk),
        (b"ALREADY CONNECT", LuatUrc::AlreadyConnect),
        (b"CONNECT FAIL", LuatUrc::ConnectFail),
        (b"STATE: TCP CLOSED", LuatUrc::State("TCP CLOSED")),
        (b"CONNACK OK", LuatUrc::ConnackOk),
        (b"SUBACK", LuatUrc::Suback),
        (b"UNSUBACK", LuatUrc::Unsuback),
        (b"PUBACK", LuatUrc::Puback),
        (b"PUBREC", LuatUrc::Pubrec),
        (b"PUBCOMP", LuatUrc::Pubcomp),
        (b"CLOSED", LuatUrc::Closed),
        (b"+MSUB: 2", LuatUrc::Msub(MsubUrc::Stored { slot: 2 })),
        (b"+MQTTSTATU :0", LuatUrc::MqttStatu(0)),
        (b"+E_UTRAN Service", LuatUrc::Service("+E_UTRAN Service")),
        (b"+GSM Service", LuatUrc::Service("+GSM Service")),
        (
            b"^MODE: 17,17",
            LuatUrc::Mode {
                sys_mode: 17,
                sub_mode: 17,
            },
        ),
        (
            b"+NITZ: 24/08/22,07:27:15+32, ",
            LuatUrc::Nitz("24/08/22,07:27:15+32, "),
        ),
        (
            b"+CGEV: ME PDN ACT 1",
            LuatUrc::Common(Urc::Cgev(PdpEvent::MePdnAct(1))),
        ),
    ];
    for (line, want) in table {
        assert_eq!(l(line), *want, "{}", String::from_utf8_lossy(line));
    }
}

#[test]
fn connect_ok_connack_ok_and_connect_are_three_things() {
    let got = run_all::<Luat>(
        Some(Expect::NOTHING),
        b"\r\nOK\r\n\r\nCONNECT OK\r\n\r\nCONNACK OK\r\n\r\nCONNECT\r\n\r\nCONNECT 115200\r\n",
    );
    assert_eq!(
        got,
        vec![
            K::Final("OK".into()),
            K::Urc("ConnectOk".into()),
            K::Urc("ConnackOk".into()),
            K::Prompt,
            K::Prompt
        ]
    );
}

#[test]
fn msub_payload_spans_lines_and_is_framed_by_its_length() {
    // The MQTT guide's pretty-printed JSON, then a SUBACK that must survive.
    let input = b"\r\n+MSUB: \"mqtt/pub\",22 byte,{\r\n  \"msg\": \"hello\"\r\n}\r\n\r\nSUBACK\r\n";
    let got = run_all::<Luat>(None, input);
    assert_eq!(got.len(), 2);
    assert_eq!(got[1], K::Urc("Suback".into()));
    let m = l(b"+MSUB: \"mqtt/pub\",22 byte,{\r\n  \"msg\": \"hello\"\r\n}")
        .message()
        .unwrap();
    assert_eq!(m.payload, b"{\r\n  \"msg\": \"hello\"\r\n}");
    // A payload that itself reads `OK` and ` byte,`.
    let m = l(b"+MSUB: \"t\",9 byte,OK 2 byte").message().unwrap();
    assert_eq!(m.payload, b"OK 2 byte");
}

#[test]
fn mqttmsgget_prints_unquoted_topics() {
    let lines: Vec<&[u8]> = vec![
        b"+MSUB: mqtt/topic,9 byte,SSSSddddd",
        b"+MSUB: \"a/b\",2 byte,hi",
    ];
    let got: Vec<_> = MqttMsgGet
        .parse(Lines::from_slice(&lines))
        .unwrap()
        .iter()
        .map(|m| (m.topic, m.payload))
        .collect();
    assert_eq!(
        got,
        vec![("mqtt/topic", &b"SSSSddddd"[..]), ("a/b", &b"hi"[..])]
    );
    let lines: Vec<&[u8]> = vec![
        b"+MQTTMSGGET: 0,VALID",
        b"+MQTTMSGGET: 1,INVALID",
        b"+MQTTMSGGET: 2,INVALID",
        b"+MQTTMSGGET: 3,VALID",
    ];
    assert_eq!(
        MqttMsgGetRead.parse(Lines::from_slice(&lines)).unwrap(),
        [true, false, false, true]
    );
}

#[test]
fn a_bare_error_after_mconnect_ok_is_unsolicited() {
    // `AT+MCONNECT` answers OK; the failed CONNECT comes later as a bare ERROR, which must
    // not end the next command.
    let got = run_all::<Luat>(Some(Expect::NOTHING), b"\r\nOK\r\n\r\nERROR\r\n");
    assert_eq!(
        got,
        vec![K::Final("OK".into()), K::Unsolicited("ERROR".into())]
    );
}

#[test]
fn http_error_lines_are_not_final_codes() {
    let got = run_all::<Luat>(Some(Expect::NOTHING), b"\r\nERROR: 3\r\n\r\nERROR\r\n");
    assert_eq!(
        got,
        vec![K::Urc("HttpError(3)".into()), K::Final("ERROR".into())]
    );
}

#[test]
fn httpread_trusts_its_own_length() {
    // `+HTTPACTION` announced 1348; `+HTTPREAD:1592` (no space) is the length that counts,
    // and the body holds an `OK` line.
    let mut body = vec![b'a'; 1592];
    body[10..16].copy_from_slice(b"\r\nOK\r\n");
    let mut input = b"\r\n+HTTPACTION:0,200,1348\r\n\r\n+HTTPREAD:1592\r\n".to_vec();
    input.extend_from_slice(&body);
    input.extend_from_slice(b"\r\nOK\r\n");
    let got = run::<Luat>(Some(Expect::tokens(&[b"+HTTPREAD"])), &input, 64);
    let data: Vec<u8> = got
        .iter()
        .filter_map(|k| match k {
            K::Data(d) => Some(d.clone()),
            _ => None,
        })
        .flatten()
        .collect();
    assert_eq!(data, body);
    assert_eq!(got.last(), Some(&K::Final("OK".into())));
    assert!(matches!(&got[0], K::Urc(s) if s.contains("1348")));
    assert_eq!(got[1], K::Response(b"+HTTPREAD:1592".to_vec()));
}

#[test]
fn odd_separators_in_responses() {
    let lines: Vec<&[u8]> = vec![b"+ HTTPSSL: 1"];
    assert!(HttpSslRead.parse(Lines::from_slice(&lines)).unwrap());
    // `+ HTTPSSL: 1` is the response of `AT+HTTPSSL?`, not a URC.
    assert_eq!(
        run_all::<Luat>(
            Some(HttpSslRead.expect()),
            b"\r\n+ HTTPSSL: 1\r\n\r\nOK\r\n"
        ),
        vec![K::Response(b"+ HTTPSSL: 1".to_vec()), K::Final("OK".into())]
    );
    let lines: Vec<&[u8]> = vec![b"+MQTTSTATU :2"];
    assert_eq!(MqttStatu.parse(Lines::from_slice(&lines)).unwrap(), 2);
    let lines: Vec<&[u8]> = vec![b"+SAPBR: \"CONTYPE\",\"GPRS\"", b"+SAPBR:APN,CMIOT"];
    let p = SapbrParams { cid: 1 }
        .parse(Lines::from_slice(&lines))
        .unwrap();
    assert_eq!(p.get("contype"), Some("GPRS"));
    assert_eq!(p.get("APN"), Some("CMIOT"));
}

#[test]
fn luat_link_events() {
    assert_eq!(
        Luat::link_event(&l(b"+SAPBR 1: DEACT")),
        Some(LinkEvent::BearerDown(1))
    );
    assert_eq!(
        Luat::link_event(&l(b"+PDP DEACT")),
        Some(LinkEvent::AllBearersDown)
    );
    assert_eq!(
        Luat::link_event(&l(b"CLOSED")),
        Some(LinkEvent::MqttDown(0))
    );
    assert_eq!(Luat::link_event(&l(b"SUBACK")), None);
}

#[test]
fn luat_boot_noise_then_rdy() {
    let got = run_all::<Luat>(
        None,
        b"?\xfe\r\nRDY\r\n\r\n^MODE: 17,17\r\n\r\n+E_UTRAN Service\r\n\r\n+CGEV: ME PDN ACT 1\r\n",
    );
    let urcs: Vec<&K> = got.iter().filter(|k| matches!(k, K::Urc(_))).collect();
    assert_eq!(urcs.len(), 4);
    assert_eq!(*urcs[0], K::Urc("Common(Ready)".into()));
    // The noise before RDY is its own (unknown) line, kept as it came, not a crash.
    assert_eq!(got[0], K::Unknown(b"?\xfe".to_vec()));
}

#[test]
fn mpub_escapes_quotes_line_ends_and_backslashes() {
    let mut buf = [0u8; 128];
    let cmd = Mpub {
        topic: "t",
        qos: 1,
        retain: false,
        message: b"{\"a\":\"x\\y\"}\r\n",
    };
    assert_eq!(
        cmd.encode(&mut buf).unwrap(),
        b"AT+MPUB=\"t\",1,0,\"{\\22a\\22:\\22x\\5Cy\\22}\\0D\\0A\"\r"
    );
}

#[test]
fn injection_through_an_argument_is_refused_and_names_it() {
    let mut buf = [0u8; 128];
    let bad = MipStart {
        host: "h\",1\r\nAT+MIPCLOSE",
        port: 1883,
        tls: false,
    };
    assert_eq!(
        bad.encode(&mut buf),
        Err(EncodeError::InvalidArgument("host"))
    );
    let topic = [("a\"b", 0u8)];
    let sub = atmodem::dialects::quectel::QmtSub {
        client: 0,
        msg_id: 1,
        topics: &topic,
    };
    assert_eq!(
        sub.encode(&mut buf),
        Err(EncodeError::InvalidArgument("topic"))
    );
}

#[test]
fn registration_urc_versus_read_shape() {
    let got = run_all::<Luat>(None, b"\r\n+CEREG: 1\r\n\r\n+CGREG: 0,5\r\n");
    assert_eq!(got.len(), 2);
    let Urc::Cereg(r) = Urc::parse(b"+CEREG", b"+CEREG: 1").unwrap() else {
        panic!()
    };
    assert_eq!((r.n, r.stat), (None, RegStatus::Home));
}

#[test]
fn code_tables() {
    use atmodem::dialects::quectel::{
        connack_text, http_error_text, open_result_text, packet_result_text, stat_text,
    };
    assert_eq!(open_result_text(3), Some("failed to activate PDP"));
    assert_eq!(open_result_text(-1), Some("failed to open network"));
    assert_eq!(open_result_text(6), None);
    assert_eq!(
        stat_text(5),
        Some("the client sent DISCONNECT and the server closed the connection")
    );
    assert_eq!(stat_text(8), None);
    assert_eq!(
        connack_text(4),
        Some("connection refused: bad user name or password")
    );
    assert_eq!(packet_result_text(1), Some("packet retransmission"));
    assert_eq!(http_error_text(714), Some("DNS error"));
    assert_eq!(http_error_text(731), None);
    let lines: Vec<&[u8]> = vec![b"+MQTTMSGSET:1"];
    assert!(
        atmodem::dialects::luat::MqttMsgSetRead
            .parse(Lines::from_slice(&lines))
            .unwrap()
    );
}

/// UART noise inside a line (NUL, 0xFF, other control bytes) never becomes part of a URC
/// name or a typed field: a token holding it names no URC, a text field holding it makes
/// the line malformed; a line after leading noise is still decoded.
#[test]
fn garbage_inside_lines_is_never_a_name_or_a_field() {
    // In the token: no URC of that name.
    for line in [
        &b"+QMT\x00STAT: 0,1"[..],
        b"+QMTSTAT\xff: 0,1",
        b"+QMT\x07STAT: 0,1",
    ] {
        assert_eq!(Quectel::parse_urc(token(line), line), None, "{line:?}");
    }
    // In a quoted field (a topic): malformed, not a message with a NUL in its topic.
    for line in [
        &b"+QMTRECV: 0,1,\"a\x00b\",1,\"x\""[..],
        b"+QMTRECV: 0,1,\"a\x1bb\",\"x\"",
        b"+QMTRECV: 0,1,\"a\xffb\",1,\"x\"",
    ] {
        assert!(
            matches!(q(line), QuectelUrc::Malformed { .. }),
            "{line:?}: {:?}",
            q(line)
        );
    }
    for line in [
        &b"+MSUB: \"a\x00b\",1 byte,x"[..],
        b"+MSUB: \"a\x7fb\",1 byte,x",
    ] {
        assert!(
            matches!(l(line), LuatUrc::Malformed { .. }),
            "{line:?}: {:?}",
            l(line)
        );
    }
    // A tab is text; the message is kept.
    assert!(q(b"+QMTRECV: 0,1,\"a\tb\",1,\"x\"").message().is_some());
    // Leading noise is skipped, counted, and the line after it decoded.
    let items = run::<Quectel>(None, b"\x00\xff\x00+QMTSTAT: 0,1\r\n", 64);
    assert!(
        items
            .iter()
            .any(|k| matches!(k, K::Urc(s) if s.contains("QmtStat"))),
        "{items:?}"
    );
}
