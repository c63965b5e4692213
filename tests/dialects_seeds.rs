//! Every AT command of the two application notes, encoded by its typed command and compared
//! byte for byte with the note's line; every modem reply of the notes decoded to the typed
//! value written here by hand. OCR errors and typing errors of the notes are corrected, each
//! with its source in a comment (the verdicts of the vendors' manuals win).
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use atmodem::codec::{Dialect, Expect, Item, Lines, Reader, RegStatus, SimState, Urc};
use atmodem::dialects::common::{At, CeregRead, CgattRead, Cgmr, Cgpaddr, CpinRead, Csq};
use atmodem::dialects::luat::{
    self, BearerStatus, HttpAction, HttpData, HttpInit, HttpMethod, HttpPara, HttpRead, HttpTerm,
    Luat, LuatUrc, Mconfig, Mconnect, MipStart, Mpub, MqttMsgSet, Msub, SapbrOpen, SapbrQuery,
    SapbrSet,
};
use atmodem::dialects::quectel::{
    MqttVersion, PdpAuth, PdpContext, PdpType, PublishForm, QengServingCell, QhttpPost, QhttpRead,
    QhttpUrl, Qiact, Qicsgp, QmtCfg, QmtCfgQuery, QmtClose, QmtConn, QmtOpen, QmtPublish, QmtRecv,
    QmtSetting, QmtSettingName, QmtSub, Quectel, QuectelUrc, ServingCell,
};
use atmodem::dialects::{Command, MqttMessage, Redacted};

fn enc(cmd: &impl Command) -> String {
    let mut buf = [0u8; 600];
    String::from_utf8(cmd.encode(&mut buf).unwrap().to_vec()).unwrap()
}

/// Owned summary of what the reader made of modem output.
#[derive(Debug, PartialEq, Eq)]
enum K {
    Prompt(String),
    Response(String),
    Final(String),
    Unsolicited(String),
    Data(Vec<u8>),
    Urc(String),
    Unknown(String),
}

/// Decode `modem` as the answer to a command with `expect` in flight.
fn decode<D: Dialect>(expect: Option<Expect>, modem: &[u8]) -> Vec<K>
where
    for<'a> D::Urc<'a>: core::fmt::Debug,
{
    let mut r: Reader<D, [u8; 512]> = Reader::new();
    if let Some(e) = expect {
        r.begin(e);
    }
    let mut out = Vec::new();
    let mut rest = modem;
    while !rest.is_empty() {
        let n = r.feed(rest);
        rest = &rest[n..];
        while let Some(item) = r.next_item() {
            out.push(match item.unwrap() {
                Item::Echo(_) => continue,
                Item::Prompt(p) => K::Prompt(format!("{p:?}")),
                Item::Response { line, .. } => K::Response(String::from_utf8_lossy(line).into()),
                Item::Final(c) => K::Final(c.name().into()),
                Item::Unsolicited(c) => K::Unsolicited(c.name().into()),
                Item::Data { bytes, .. } => K::Data(bytes.to_vec()),
                Item::Urc(u) => K::Urc(format!("{u:?}")),
                Item::Unknown { line, .. } => K::Unknown(String::from_utf8_lossy(line).into()),
            });
        }
    }
    out
}

fn one(line: &str) -> Vec<&[u8]> {
    vec![line.as_bytes()]
}

fn urc_q(line: &str) -> QuectelUrc<'_> {
    let l = line.as_bytes();
    Quectel::parse_urc(atmodem::codec::token(l), l).unwrap()
}

fn urc_l(line: &str) -> LuatUrc<'_> {
    let l = line.as_bytes();
    Luat::parse_urc(atmodem::codec::token(l), l).unwrap()
}

// ---- Luat note (000): Air72x + Aliyun ---------------------------------------------------

#[test]
fn luat_baud_sync_and_firmware_check() {
    assert_eq!(enc(&At), "AT\r");
    assert_eq!(enc(&Cgmr), "AT+CGMR\r");
    // The note prints a placeholder (`AirM2M_Air72xUy_V409_LTE_AT`); the Air724 tutorial
    // logs the real line.
    let lines = one("+CGMR: \"AirM2M_Air724UG_V409_LTE_AT\"");
    let rev = Cgmr.parse(Lines::from_slice(&lines)).unwrap();
    assert_eq!(rev.0, "AirM2M_Air724UG_V409_LTE_AT");
    assert_eq!(rev.luat_firmware(), Some(409));
    // As the note prints it (bare text), the number is still found.
    let lines = one("AirM2M_Air72xUy_V409_LTE_AT");
    assert_eq!(
        Cgmr.parse(Lines::from_slice(&lines))
            .unwrap()
            .luat_firmware(),
        Some(409)
    );
    // The bare reply is the command's response, not a URC.
    assert_eq!(
        decode::<Luat>(
            Some(Cgmr.expect()),
            b"\r\nAirM2M_Air72xUy_V409_LTE_AT\r\n\r\nOK\r\n"
        ),
        vec![
            K::Response("AirM2M_Air72xUy_V409_LTE_AT".into()),
            K::Final("OK".into())
        ]
    );
}

#[test]
fn luat_attach_and_bearer() {
    assert_eq!(enc(&CgattRead), "AT+CGATT?\r");
    let lines = one("+CGATT: 1");
    assert!(CgattRead.parse(Lines::from_slice(&lines)).unwrap());
    assert_eq!(
        enc(&SapbrSet {
            cid: 1,
            tag: "CONTYPE",
            value: "GPRS"
        }),
        "AT+SAPBR=3,1,\"CONTYPE\",\"GPRS\"\r"
    );
    // The note prints `CMIIOT`; the China Mobile IoT APN is `CMIOT` (Air724 tutorial).
    assert_eq!(
        enc(&SapbrSet {
            cid: 1,
            tag: "APN",
            value: "CMIOT"
        }),
        "AT+SAPBR=3,1,\"APN\",\"CMIOT\"\r"
    );
    assert_eq!(enc(&SapbrOpen { cid: 1 }), "AT+SAPBR=1,1\r");
    assert_eq!(enc(&SapbrQuery { cid: 1 }), "AT+SAPBR=2,1\r");
    // The manual's two address shapes.
    for (line, ip) in [
        ("+SAPBR: 1,1,\"10.159.1.145\"", [10, 159, 1, 145]),
        ("+SAPBR: 1,1,010.169.179.213", [10, 169, 179, 213]),
    ] {
        let lines = one(line);
        let b = SapbrQuery { cid: 1 }
            .parse(Lines::from_slice(&lines))
            .unwrap();
        assert_eq!((b.cid, b.status), (1, BearerStatus::Connected));
        assert_eq!(b.ipv4(), Some(ip));
    }
}

const REGISTER_BODY: &str = "productKey=b1KCi45LcCP&deviceName=862991419835241&random=123456&sign=1770d38260cc980dbc4337ed7fe1e8de&signMethod=HmacMD5";
const REGISTER_REPLY: &str = r#"{"code":200,"data":{"deviceName":"862991419835241","deviceSecret":"mRMyB50qafv74A5FofvhxZ2h9iTL9wX7","productKey":"b1KCi45LcCP"},"message":"success"}"#;

#[test]
fn luat_https_registration_commands() {
    // The note's `AT+HTTPIPINIT` and `AT+HTTTPARA` are typing errors (Luat HTTP manual).
    assert_eq!(enc(&HttpInit), "AT+HTTPINIT\r");
    assert_eq!(
        enc(&HttpPara::url(
            "https://iot-auth.cn-shanghai.aliyuncs.com/auth/register/device"
        )),
        "AT+HTTPPARA=\"URL\",\"https://iot-auth.cn-shanghai.aliyuncs.com/auth/register/device\"\r"
    );
    assert_eq!(
        enc(&HttpPara::header(
            "Content-Type: application/x-www-form-urlencoded"
        )),
        "AT+HTTPPARA=\"USER_DEFINED\",\"Content-Type: application/x-www-form-urlencoded\"\r"
    );
    let data = HttpData {
        body: REGISTER_BODY.as_bytes(),
        time_ms: 20000,
    };
    assert_eq!(enc(&data), "AT+HTTPDATA=120,20000\r");
    assert_eq!(
        data.data(),
        Some((
            atmodem::codec::PromptKind::Download,
            REGISTER_BODY.as_bytes()
        ))
    );
    assert_eq!(enc(&HttpAction(HttpMethod::Post)), "AT+HTTPACTION=1\r");
    assert_eq!(enc(&HttpRead::default()), "AT+HTTPREAD\r");
    assert_eq!(enc(&HttpTerm), "AT+HTTPTERM\r");
    // The second request of the note.
    assert_eq!(
        enc(&HttpPara::url(
            "https://iot-auth.cn-shanghai.aliyuncs.com/auth/devicename"
        )),
        "AT+HTTPPARA=\"URL\",\"https://iot-auth.cn-shanghai.aliyuncs.com/auth/devicename\"\r"
    );
}

#[test]
fn luat_https_registration_replies() {
    assert_eq!(
        decode::<Luat>(None, b"\r\nDOWNLOAD\r\n"),
        vec![K::Prompt("Download".into())]
    );
    assert_eq!(
        urc_l("+HTTPACTION: 1,200,149"),
        LuatUrc::HttpAction {
            method: 1,
            status: 200,
            len: 149
        }
    );
    // `+HTTPREAD: 149`, then exactly 149 bytes of body, then OK.
    let mut modem = b"\r\n+HTTPREAD: 149\r\n".to_vec();
    modem.extend_from_slice(REGISTER_REPLY.as_bytes());
    modem.extend_from_slice(b"\r\nOK\r\n");
    let got = decode::<Luat>(Some(HttpRead::default().expect()), &modem);
    assert_eq!(
        got,
        vec![
            K::Response("+HTTPREAD: 149".into()),
            K::Data(REGISTER_REPLY.as_bytes().to_vec()),
            K::Final("OK".into())
        ]
    );
    let lines = one("+HTTPREAD: 149");
    assert_eq!(
        HttpRead::default()
            .parse(Lines::from_slice(&lines))
            .unwrap(),
        149
    );
}

#[test]
fn luat_mqtt_commands() {
    let cfg = Mconfig {
        client_id: "862991419835241",
        login: Some((
            "PbUqGh2URAJ1AtNyyd7X00107ceb00",
            "425656f625b64560a4bff2a0f16946a3",
        )),
    };
    assert_eq!(
        enc(&cfg),
        "AT+MCONFIG=\"862991419835241\",\"PbUqGh2URAJ1AtNyyd7X00107ceb00\",\"425656f625b64560a4bff2a0f16946a3\"\r"
    );
    // The token is a password: Debug must not show it.
    assert!(!format!("{cfg:?}").contains("425656f6"));
    assert_eq!(
        enc(&MipStart {
            host: "b1KCi45LcCP.iot-as-mqtt.cn-shanghai.aliyuncs.com",
            port: 1883,
            tls: true
        }),
        "AT+SSLMIPSTART=\"b1KCi45LcCP.iot-as-mqtt.cn-shanghai.aliyuncs.com\",1883\r"
    );
    assert_eq!(
        enc(&Mconnect {
            clean_session: true,
            keepalive_secs: 300
        }),
        "AT+MCONNECT=1,300\r"
    );
    assert_eq!(
        enc(&Msub {
            topic: "/b1KCi45LcCP/862991419835241/user/get",
            qos: 0
        }),
        "AT+MSUB=\"/b1KCi45LcCP/862991419835241/user/get\",0\r"
    );
    assert_eq!(enc(&MqttMsgSet { cache: false }), "AT+MQTTMSGSET=0\r");
    // The note's `"/ b1KCi45LcCP/..."` has a stray space (the echoed command of the Air724
    // tutorial has none; a space would be another, unauthorised topic).
    for qos in [0, 1] {
        assert_eq!(
            enc(&Mpub {
                topic: "/b1KCi45LcCP/862991419835241/user/update",
                qos,
                retain: false,
                message: b"HelloWorld"
            }),
            format!(
                "AT+MPUB=\"/b1KCi45LcCP/862991419835241/user/update\",{qos},0,\"HelloWorld\"\r"
            )
        );
    }
}

#[test]
fn luat_mqtt_replies() {
    assert_eq!(urc_l("CONNECT OK"), LuatUrc::ConnectOk);
    assert_eq!(urc_l("CONNACK OK"), LuatUrc::ConnackOk);
    assert_eq!(urc_l("SUBACK"), LuatUrc::Suback);
    // The note's `OKPUBACK` is `OK` then, later, `PUBACK` (Luat MPUB manual).
    assert_eq!(
        decode::<Luat>(Some(Expect::NOTHING), b"\r\nOK\r\n\r\nPUBACK\r\n"),
        vec![K::Final("OK".into()), K::Urc("Puback".into())]
    );
    // The message the console publishes in the note's screenshots, as the Air724 tutorial
    // logs it.
    let m = urc_l("+MSUB: \"/a1mxL3s6Z7m/866714043075174/user/get\",11 byte,Hello World");
    assert_eq!(
        m.message(),
        Some(MqttMessage {
            topic: "/a1mxL3s6Z7m/866714043075174/user/get",
            payload: b"Hello World"
        })
    );
}

// ---- Quectel note (004): QMT* + Aliyun --------------------------------------------------

#[test]
fn quectel_network_checks() {
    assert_eq!(enc(&CeregRead), "AT+CEREG?\r"); // printed `AI+CEREG` (OCR)
    let lines = one("+CEREG: 0,1"); // printed `+CEREG. 0, 1` (OCR)
    let r = CeregRead.parse(Lines::from_slice(&lines)).unwrap();
    assert_eq!((r.n, r.stat), (Some(0), RegStatus::Home));
    assert_eq!(enc(&QengServingCell), "AT+QENG=\"servingcell\"\r");
    let lines = one(
        "+QENG: \"servingcell\",\"NOCONN\",\"LTE\",\"TDD\",460,00,5C4EF01,121,38400,39,5,5,550B,-98,-8,-70,21,42",
    );
    let ServingCell::Lte(c) = QengServingCell.parse(Lines::from_slice(&lines)).unwrap() else {
        panic!("not LTE");
    };
    assert_eq!(
        (c.state, c.duplex, c.mcc, c.mnc),
        ("NOCONN", "TDD", 460, "00")
    );
    assert_eq!(
        (c.cell_id, c.pcid, c.earfcn, c.band),
        ("5C4EF01", 121, 38400, 39)
    );
    assert_eq!((c.ul_bandwidth, c.dl_bandwidth, c.tac), (5, 5, "550B"));
    assert_eq!(
        (c.rsrp, c.rsrq, c.rssi, c.sinr, c.srxlev),
        (-98, -8, -70, 21, 42)
    );

    assert_eq!(enc(&Cgpaddr::default()), "AT+CGPADDR\r"); // printed `AI+CGPADDR`
    let lines = one("+CGPADDR: 1,\"10.113.242.215\",\"2409:8930:434:5ACF:ACC8:DEB2:8B17:44DB\"");
    let a = Cgpaddr::default()
        .parse(Lines::from_slice(&lines))
        .unwrap()
        .get(1)
        .unwrap();
    assert_eq!(a.first, Some("10.113.242.215"));
    assert_eq!(a.second, Some("2409:8930:434:5ACF:ACC8:DEB2:8B17:44DB"));
    assert_eq!(a.ipv4(), Some("10.113.242.215"));

    // Printed `AT+OICSGP=1.3.""."".0` and `AT+OIACT=1` once (OCR); §4.2.1 prints them right.
    let ctx = Qicsgp {
        cid: 1,
        context: PdpContext {
            kind: PdpType::Ipv4v6,
            apn: "",
            username: "",
            password: Redacted::new(""),
            auth: PdpAuth::None,
        },
    };
    assert_eq!(enc(&ctx), "AT+QICSGP=1,3,\"\",\"\",\"\",0\r");
    assert_eq!(enc(&Qiact { cid: 1 }), "AT+QIACT=1\r");
}

const PK: &str = "i2uqc2dloOl";

#[test]
fn quectel_device_secret_via_aliauth() {
    // Printed `AT+QWITCFG= Version ,0,4` once (OCR); later pages print it right.
    assert_eq!(
        enc(&QmtCfg {
            client: 0,
            setting: QmtSetting::Version(MqttVersion::V3_1_1)
        }),
        "AT+QMTCFG=\"version\",0,4\r"
    );
    // §4.1.3 prints the whole secret (§4.1.1 masks its last three characters).
    let aliauth = QmtCfg {
        client: 0,
        setting: QmtSetting::AliAuth {
            product_key: PK,
            device_name: "device001",
            device_secret: Redacted::new("c4fa40df9c8078073d75a26be2bc8f58"),
        },
    };
    assert_eq!(
        enc(&aliauth),
        "AT+QMTCFG=\"aliauth\",0,\"i2uqc2dloOl\",\"device001\",\"c4fa40df9c8078073d75a26be2bc8f58\"\r"
    );
    assert!(!format!("{aliauth:?}").contains("c4fa40df"));
    assert_eq!(
        enc(&QmtOpen {
            client: 0,
            host: "iot-06z00hxss3rggno.mqtt.iothub.aliyuncs.com",
            port: 1883
        }),
        "AT+QMTOPEN=0,\"iot-06z00hxss3rggno.mqtt.iothub.aliyuncs.com\",1883\r"
    );
    assert_eq!(
        urc_q("+QMTOPEN: 0,0"),
        QuectelUrc::QmtOpen {
            client: 0,
            result: 0
        }
    );
    assert_eq!(
        enc(&QmtConn {
            client: 0,
            client_id: "device001",
            login: None
        }),
        "AT+QMTCONN=0,\"device001\"\r"
    );
    // One repeated block prints `>> AT+QMTCONN: 0,0,0`: a URC never carries `AT`.
    assert_eq!(
        urc_q("+QMTCONN: 0,0,0"),
        QuectelUrc::QmtConn {
            client: 0,
            result: 0,
            ret_code: Some(0)
        }
    );
    assert_eq!(enc(&QmtClose { client: 0 }), "AT+QMTCLOSE=0\r");
    assert_eq!(
        urc_q("+QMTCLOSE: 0,0"),
        QuectelUrc::QmtClose {
            client: 0,
            result: 0
        }
    );
}

#[test]
fn quectel_setting_queries() {
    let q = QmtCfgQuery {
        client: 0,
        name: QmtSettingName::AliAuth,
    };
    assert_eq!(enc(&q), "AT+QMTCFG=\"aliauth\",0\r");
    // Printed `+QIVITUEG: anduun ,,,` once (OCR); §4.2.2 prints `+QMTCFG: "aliauth",,,`.
    let lines = one("+QMTCFG: \"aliauth\",,,");
    let QmtSetting::AliAuth {
        product_key,
        device_name,
        device_secret,
    } = q.parse(Lines::from_slice(&lines)).unwrap()
    else {
        panic!()
    };
    assert_eq!((product_key, device_name), ("", ""));
    assert!(device_secret.is_empty());

    let will = QmtCfgQuery {
        client: 0,
        name: QmtSettingName::Will,
    };
    assert_eq!(enc(&will), "AT+QMTCFG=\"will\",0\r");
    let lines = one("+QMTCFG: \"will\",0");
    assert_eq!(
        will.parse(Lines::from_slice(&lines)).unwrap(),
        QmtSetting::Will(None)
    );
    // The query response is the command's, not a URC.
    assert_eq!(
        decode::<Quectel>(
            Some(will.expect()),
            b"\r\n+QMTCFG: \"will\",0\r\n\r\nOK\r\n"
        ),
        vec![
            K::Response("+QMTCFG: \"will\",0".into()),
            K::Final("OK".into())
        ]
    );
}

#[test]
fn quectel_device_secret_via_password() {
    // The spaces in the printed clientId are lost `|` characters: the password only matches
    // the `|`-delimited content string.
    assert_eq!(
        enc(&QmtConn {
            client: 0,
            client_id: "i2uqc2dloOl.device001|securemode=2,signmethod=hmacsha256,timestamp=1680937625134|",
            login: Some((
                "device001&i2uqc2dloOl",
                "0309b31761c30d24d37a25558c5604de308c92eb6ac8656a1981f85783fb23db"
            )),
        }),
        "AT+QMTCONN=0,\"i2uqc2dloOl.device001|securemode=2,signmethod=hmacsha256,timestamp=1680937625134|\",\"device001&i2uqc2dloOl\",\"0309b31761c30d24d37a25558c5604de308c92eb6ac8656a1981f85783fb23db\"\r"
    );
}

#[test]
fn quectel_property_post_exchange() {
    // The note's `i2uqc2dloOI` (capital I) in the subscribe line is OCR: the product key
    // that reproduces the note's password is `i2uqc2dloOl`.
    let topics = [(
        "/sys/i2uqc2dloOl/device001/thing/event/property/post_reply",
        0,
    )];
    assert_eq!(
        enc(&QmtSub {
            client: 0,
            msg_id: 1,
            topics: &topics
        }),
        "AT+QMTSUB=0,1,\"/sys/i2uqc2dloOl/device001/thing/event/property/post_reply\",0\r"
    );
    let QuectelUrc::QmtSub(ack) = urc_q("+QMTSUB: 0,1,0,1") else {
        panic!()
    };
    assert_eq!((ack.client, ack.msg_id, ack.result), (0, 1, 0));
    assert_eq!(ack.values().collect::<Vec<_>>(), vec![1]);

    // 133 bytes, no newline before `}` (the note wraps the PDF line).
    let payload = br#"{"id":1681363292898,"params":{"Temp":23.9,"Humi":69,"mlux":825,"LightStatus":1},"version":"1.0","method":"thing.event.property.post"}"#;
    assert_eq!(payload.len(), 133);
    let publish = QmtPublish {
        client: 0,
        msg_id: 0,
        qos: 0,
        retain: false,
        topic: "/sys/i2uqc2dloOl/device001/thing/event/property/post",
        payload,
        form: PublishForm::Length,
    };
    assert_eq!(
        enc(&publish),
        "AT+QMTPUBEX=0,0,0,0,\"/sys/i2uqc2dloOl/device001/thing/event/property/post\",133\r"
    );
    // The note's `>>>` is the log marker `>> ` plus the `>` prompt.
    let mut r: Reader<Quectel, [u8; 256]> = Reader::new();
    r.decoder_mut().expect_prompt();
    r.begin(publish.expect());
    r.feed(b"\r\n> ");
    assert!(matches!(r.next_item(), Some(Ok(Item::Prompt(_)))));
    let QuectelUrc::QmtPubEx(ack) = urc_q("+QMTPUBEX: 0,0,0") else {
        panic!()
    };
    assert_eq!(
        (ack.client, ack.msg_id, ack.result, ack.value),
        (0, 0, 0, None)
    );

    // The reply arrives without a length field; its JSON payload is not escaped. The note
    // wraps it over three PDF lines: on the wire it is one.
    let line = r#"+QMTRECV: 0,0,"/sys/i2uqc2dloOl/device001/thing/event/property/post_reply","{"code":200,"data":{},"id":"1681363292898","message":"success","method":"thing.event.property.post","version":"1.0"}""#;
    let QuectelUrc::QmtRecv(QmtRecv::Message {
        client,
        msg_id,
        len,
        message,
    }) = urc_q(line)
    else {
        panic!()
    };
    assert_eq!((client, msg_id, len), (0, 0, None));
    assert_eq!(
        message.topic,
        "/sys/i2uqc2dloOl/device001/thing/event/property/post_reply"
    );
    assert_eq!(
        message.payload,
        br#"{"code":200,"data":{},"id":"1681363292898","message":"success","method":"thing.event.property.post","version":"1.0"}"#
    );
}

#[test]
fn quectel_mqtt_register_exchange() {
    assert_eq!(
        enc(&QmtCfg {
            client: 0,
            setting: QmtSetting::Ssl {
                enable: true,
                ctx: Some(2)
            }
        }),
        "AT+QMTCFG=\"ssl\",0,1,2\r"
    );
    // `instanceId=iot-` ⏎ `06z00hxss3rggno|` is a PDF wrap: one token.
    assert_eq!(
        enc(&QmtConn {
            client: 0,
            client_id: "864430010001091|securemode=2,authType=register,random=123,signmethod=hmacsha1,instanceId=iot-06z00hxss3rggno|",
            login: Some((
                "meter001&i2uqZnX9tZK",
                "25f4b80c3fab2ed6e41644a38f2c5b67eac1b505"
            )),
        }),
        "AT+QMTCONN=0,\"864430010001091|securemode=2,authType=register,random=123,signmethod=hmacsha1,instanceId=iot-06z00hxss3rggno|\",\"meter001&i2uqZnX9tZK\",\"25f4b80c3fab2ed6e41644a38f2c5b67eac1b505\"\r"
    );
    let line = r#"+QMTRECV: 0,0,"/ext/register","{"deviceSecret":"d2a03b64a5e06b051f481136668133cf","productKey":"i2uqZnX9tZK","deviceName":"meter001"}""#;
    let (client, m) = urc_q(line).message().unwrap();
    assert_eq!((client, m.topic), (0, "/ext/register"));
    assert_eq!(
        m.payload,
        br#"{"deviceSecret":"d2a03b64a5e06b051f481136668133cf","productKey":"i2uqZnX9tZK","deviceName":"meter001"}"#
    );
    assert_eq!(
        urc_q("+QMTSTAT: 0,1"),
        QuectelUrc::QmtStat { client: 0, err: 1 }
    );
    assert_eq!(
        enc(&QmtCfg {
            client: 0,
            setting: QmtSetting::AliAuth {
                product_key: "i2uqZnX9tZK",
                device_name: "meter001",
                device_secret: Redacted::new("d2a03b64a5e06b051f481136668133cf"),
            }
        }),
        "AT+QMTCFG=\"aliauth\",0,\"i2uqZnX9tZK\",\"meter001\",\"d2a03b64a5e06b051f481136668133cf\"\r"
    );
    assert_eq!(
        enc(&QmtConn {
            client: 0,
            client_id: "meter001",
            login: None
        }),
        "AT+QMTCONN=0,\"meter001\"\r"
    );
}

#[test]
fn quectel_regnwl_then_connwl_exchange() {
    // The spaces around `securemode=-2,...` in the note are lost `|` characters.
    assert_eq!(
        enc(&QmtConn {
            client: 0,
            client_id: "Kit001|securemode=-2,authType=regnwl,random=123,signmethod=hmacsha1,instanceId=iot-06z00hxss3rggno|",
            login: Some((
                "Kit001&i2uq9ORmOSM",
                "f9130cc77eff4d4474b28da225509a38e7e78b3a"
            )),
        }),
        "AT+QMTCONN=0,\"Kit001|securemode=-2,authType=regnwl,random=123,signmethod=hmacsha1,instanceId=iot-06z00hxss3rggno|\",\"Kit001&i2uq9ORmOSM\",\"f9130cc77eff4d4474b28da225509a38e7e78b3a\"\r"
    );
    let line = r#"+QMTRECV: 0,0,"/ext/regnwl","{"clientId":"KzLKNeWyE7SxiWLuPpZQ000100","productKey":"i2uq9ORmOSM","deviceName":"Kit001","deviceToken":"^1^1681709523062^0c5cce0a49b03685"}""#;
    let (_, m) = urc_q(line).message().unwrap();
    assert_eq!(m.topic, "/ext/regnwl");
    assert!(
        m.payload
            .ends_with(br#""deviceToken":"^1^1681709523062^0c5cce0a49b03685"}"#)
    );
    // The connwl login of the note's second session (`securemode=-` ⏎ `2,authType=connwl "`
    // is a wrap and a lost `|`).
    assert_eq!(
        enc(&QmtConn {
            client: 0,
            client_id: "IXywJDukE7AKz0sfbvmZ000100|securemode=-2,authType=connwl|",
            login: Some(("Kit001&i2uq9ORmOSM", "^1^1681710731098^563fbcfe8c38f88")),
        }),
        "AT+QMTCONN=0,\"IXywJDukE7AKz0sfbvmZ000100|securemode=-2,authType=connwl|\",\"Kit001&i2uq9ORmOSM\",\"^1^1681710731098^563fbcfe8c38f88\"\r"
    );
}

const HTTPS_BODY: &str = "productKey=i2uqzmkZsLG&deviceName=device001&random=003&sign=277969e6c596f0d127fd1d3bf3229f396a3ddff6&signMethod=hmacsha1";
const HTTPS_REPLY: &str = r#"{"code":200,"data":{"deviceName":"device001","deviceSecret":"3c35df4417faf854be8e780536d84c23","productKey":"i2uqzmkZsLG"},"message":"success"}"#;

#[test]
fn quectel_https_registration_exchange() {
    let url = QhttpUrl {
        url: "https://iot-auth.cn-shanghai.aliyuncs.com/auth/register/device",
        input_secs: 80,
    };
    assert_eq!(enc(&url), "AT+QHTTPURL=62,80\r");
    assert_eq!(
        decode::<Quectel>(Some(url.expect()), b"\r\nCONNECT\r\n"),
        vec![K::Prompt("Connect(None)".into())]
    );
    // `signMethod=hmac` ⏎ `sha1` is a page break: the body is 120 bytes.
    assert_eq!(HTTPS_BODY.len(), 120);
    let post = QhttpPost {
        body: HTTPS_BODY.as_bytes(),
        times: Some((120, 120)),
    };
    assert_eq!(enc(&post), "AT+QHTTPPOST=120,120,120\r");
    let QuectelUrc::QhttpPost(r) = urc_q("+QHTTPPOST: 0,200,143") else {
        panic!()
    };
    assert_eq!(
        (r.err, r.status, r.content_length),
        (0, Some(200), Some(143))
    );
    assert_eq!(HTTPS_REPLY.len(), 143);
    let read = QhttpRead {
        wait_secs: Some(200),
        len: 143,
        header: false,
    };
    assert_eq!(enc(&read), "AT+QHTTPREAD=200\r");
    assert_eq!(read.receive(), Some(143));
    assert_eq!(urc_q("+QHTTPREAD: 0"), QuectelUrc::QhttpRead { err: 0 });
    assert_eq!(
        enc(&QmtCfg {
            client: 0,
            setting: QmtSetting::AliAuth {
                product_key: "i2uqzmkZsLG",
                device_name: "device001",
                device_secret: Redacted::new("3c35df4417faf854be8e780536d84c23"),
            }
        }),
        "AT+QMTCFG=\"aliauth\",0,\"i2uqzmkZsLG\",\"device001\",\"3c35df4417faf854be8e780536d84c23\"\r"
    );
}

#[test]
fn shared_queries_in_both_dialects() {
    assert_eq!(enc(&CpinRead), "AT+CPIN?\r");
    let lines = one("+CPIN: READY");
    assert_eq!(
        CpinRead.parse(Lines::from_slice(&lines)).unwrap(),
        SimState::Ready
    );
    assert_eq!(enc(&Csq), "AT+CSQ\r");
    let lines = one("+CSQ: 20,99");
    let q = Csq.parse(Lines::from_slice(&lines)).unwrap();
    assert_eq!((q.rssi, q.ber, q.dbm()), (20, 99, Some(-73)));
    // `RDY` means the same in both.
    assert_eq!(urc_q("RDY"), QuectelUrc::Common(Urc::Ready));
    assert_eq!(urc_l("RDY"), LuatUrc::Common(Urc::Ready));
    let _ = luat::MAX_PAYLOAD;
}
