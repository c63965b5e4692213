//! Inputs that must never reach the modem, or the logs, as given: data phases, escapes,
//! length limits, secrets in `Debug`, hostile JSON and the field names of the errors.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use atmodem::codec::EncodeError;
use atmodem::dialects::Command;
use atmodem::dialects::quectel::{PublishForm, QmtPublish};

fn ctrl_z_publish(payload: &[u8]) -> QmtPublish<'_> {
    QmtPublish {
        client: 0,
        msg_id: 0,
        qos: 0,
        retain: false,
        topic: "t",
        payload,
        form: PublishForm::CtrlZ,
    }
}

#[test]
fn ctrl_z_publish_refuses_esc_and_ctrl_z_naming_the_byte() {
    let mut buf = [0u8; 64];
    // ESC (0x1B) cancels the data after the prompt; 0x1A ends it early.
    assert_eq!(
        ctrl_z_publish(b"on\x1boff").encode(&mut buf),
        Err(EncodeError::ForbiddenByte {
            arg: "payload",
            byte: 0x1b
        })
    );
    assert_eq!(
        ctrl_z_publish(b"a\x1ab").encode(&mut buf),
        Err(EncodeError::ForbiddenByte {
            arg: "payload",
            byte: 0x1a
        })
    );
    let err = ctrl_z_publish(b"\x1b").encode(&mut buf).unwrap_err();
    assert!(err.to_string().contains("0x1B"), "{err}");
    // Other control bytes are data like any other.
    assert_eq!(
        ctrl_z_publish(b"a\r\nb\x00").encode(&mut buf).unwrap(),
        b"AT+QMTPUB=0,0,0,0,\"t\"\r"
    );
}

// ---- Data phases: URLs and bodies ----------------------------------------------------------

use atmodem::client::{Client, Error as ClientError, FORM_URLENCODED, Http, HttpPost, State};
use atmodem::codec::{check_body, check_url};
use atmodem::dialects::luat::{HttpPara, Luat};
use atmodem::dialects::quectel::{QhttpUrl, Quectel};
use atmodem::sim::{InstantDelay, SimModem};
use embassy_futures::block_on;

type Sim<'s, D> = Client<'s, SimModem, InstantDelay, D>;

/// A modem that expects nothing: any byte written is a mismatch.
fn silent<D: atmodem::codec::Dialect>() -> Sim<'static, D> {
    let state: &mut State<512, 512, 512> = Box::leak(Box::new(State::new()));
    Client::new(SimModem::new("").unwrap(), InstantDelay, state)
}

const SPLIT_URL: &str = "a\r\nAT+QPOWD\r";

#[test]
fn quectel_url_data_phase_refuses_a_command_inside_the_url() {
    let mut buf = [0u8; 64];
    let cmd = QhttpUrl {
        url: SPLIT_URL,
        input_secs: 60,
    };
    assert_eq!(
        cmd.encode(&mut buf),
        Err(EncodeError::ForbiddenByte {
            arg: "url",
            byte: b'\r'
        })
    );
    // Through the capability: refused before a byte is written.
    let mut c: Sim<Quectel> = silent();
    let mut body = [0u8; 8];
    let r = block_on(c.http_post(&HttpPost::form(SPLIT_URL, b"a=1"), &mut body));
    assert_eq!(
        r,
        Err(ClientError::Encode(EncodeError::ForbiddenByte {
            arg: "url",
            byte: b'\r'
        }))
    );
    assert!(c.transport().mismatch().is_none());
    // Both families refuse the same URLs.
    for bad in [
        SPLIT_URL,
        "",
        "https://h/a b",
        "https://h/\u{e9}",
        "https://h/\x7f",
    ] {
        let q = QhttpUrl {
            url: bad,
            input_secs: 60,
        }
        .encode(&mut buf)
        .map(|_| ());
        let l = HttpPara::url(bad).encode(&mut buf).map(|_| ());
        assert!(q.is_err() && l.is_err(), "{bad:?}: {q:?} {l:?}");
        assert_eq!(q.unwrap_err().argument(), Some("url"));
        assert_eq!(l.unwrap_err().argument(), Some("url"));
    }
    // Luat: refused before `AT+HTTPINIT`: nothing is written at all.
    let mut state: State<512, 512, 512> = State::new();
    let mut c: Sim<Luat> = Client::new(SimModem::new("").unwrap(), InstantDelay, &mut state);
    let r = block_on(c.http_post(&HttpPost::form(SPLIT_URL, b"a=1"), &mut body));
    assert!(matches!(r, Err(ClientError::Encode(_))), "{r:?}");
    assert!(c.transport().mismatch().is_none() && c.transport().is_done());
}

#[test]
fn good_urls_are_sent_unchanged() {
    let url = "https://iot-auth.cn-shanghai.aliyuncs.com/auth/register/device?a=%20b&c=~";
    assert_eq!(check_url("url", url), Ok(()));
    let mut buf = [0u8; 128];
    assert_eq!(
        QhttpUrl {
            url,
            input_secs: 80
        }
        .encode(&mut buf)
        .unwrap(),
        format!("AT+QHTTPURL={},80\r", url.len()).as_bytes()
    );
}

#[test]
fn text_bodies_refuse_line_breaks_and_control_bytes() {
    let split = b"productKey=a&sign=1\r\nAT+QPOWD\r";
    assert_eq!(
        check_body(FORM_URLENCODED, split),
        Err(EncodeError::ForbiddenByte {
            arg: "body",
            byte: b'\r'
        })
    );
    assert!(check_body("Application/X-WWW-Form-Urlencoded; charset=utf-8", b"a=1 b").is_err());
    assert!(check_body(FORM_URLENCODED, "a=\u{e9}".as_bytes()).is_err());
    assert_eq!(check_body(FORM_URLENCODED, b"a=1&b=%0D%0A+x"), Ok(()));
    // JSON and text: UTF-8 without control bytes.
    assert_eq!(
        check_body("application/json", "{\"t\":\"25°C\"}".as_bytes()),
        Ok(())
    );
    assert!(check_body("application/json", b"{\"a\":1}\n").is_err());
    assert!(check_body("text/plain", b"a\tb").is_err());
    assert_eq!(
        check_body("application/json", b"{\"a\":\"\xff\"}"),
        Err(EncodeError::ForbiddenByte {
            arg: "body",
            byte: 0xff
        })
    );
    // Binary types are binary.
    assert_eq!(
        check_body("application/octet-stream", b"\r\n\x1a\x00\xff"),
        Ok(())
    );
}

// ---- Luat escapes and the manuals' length limits ---------------------------------------------

use atmodem::dialects::luat::{
    MAX_MQTT_TEXT, MAX_PAYLOAD, MAX_URL, Mconfig, MipStart, Mpub, MpubEx, Msub, Munsubscribe,
    SapbrSet,
};

fn enc(cmd: &impl Command) -> Result<Vec<u8>, EncodeError> {
    let mut buf = vec![0u8; 8192];
    cmd.encode(&mut buf).map(<[u8]>::to_vec)
}

const BACKSLASH: EncodeError = EncodeError::ForbiddenByte {
    arg: "topic",
    byte: b'\\',
};

#[test]
fn luat_topics_refuse_the_backslash_the_firmware_would_decode() {
    // `a\22b` would be published on `a"b`.
    let topic = "a\\22b";
    let publish = Mpub {
        topic,
        qos: 0,
        retain: false,
        message: b"1",
    };
    assert_eq!(enc(&publish), Err(BACKSLASH));
    let ex = MpubEx {
        topic,
        qos: 0,
        retain: false,
        payload: b"\x00",
    };
    assert_eq!(enc(&ex), Err(BACKSLASH));
    assert_eq!(enc(&Msub { topic, qos: 0 }), Err(BACKSLASH));
    assert_eq!(enc(&Munsubscribe { topic }), Err(BACKSLASH));
    // The message is escaped as the manual says: `"` \22, CR \0D, LF \0A, `\` \5C.
    let publish = Mpub {
        topic: "a/b",
        qos: 0,
        retain: false,
        message: b"q\"\r\n\\22",
    };
    assert_eq!(
        enc(&publish).unwrap(),
        b"AT+MPUB=\"a/b\",0,0,\"q\\22\\0D\\0A\\5C22\"\r"
    );
    // The other quoted arguments refuse it too.
    let cfg = Mconfig {
        client_id: "id\\22",
        login: None,
    };
    assert!(matches!(
        enc(&cfg),
        Err(EncodeError::ForbiddenByte { byte: b'\\', .. })
    ));
    let host = MipStart {
        host: "h\\2C1",
        port: 1,
        tls: true,
    };
    assert!(matches!(
        enc(&host),
        Err(EncodeError::ForbiddenByte { byte: b'\\', .. })
    ));
    let apn = SapbrSet {
        cid: 1,
        tag: "APN",
        value: "cmnet\\22",
    };
    assert!(matches!(
        enc(&apn),
        Err(EncodeError::ForbiddenByte { byte: b'\\', .. })
    ));
    assert!(matches!(
        enc(&HttpPara::header("X-A: \\22")),
        Err(EncodeError::ForbiddenByte { byte: b'\\', .. })
    ));
    // Through the capability nothing is written.
    let mut c: Sim<Luat> = silent();
    use atmodem::client::Mqtt;
    let r = block_on(c.mqtt_publish(c.mqtt_session(0), topic, b"{}", 0, false));
    assert_eq!(r, Err(ClientError::Encode(BACKSLASH)));
    assert!(c.transport().mismatch().is_none());
}

#[test]
fn luat_length_limits_name_the_field() {
    assert_eq!((MAX_MQTT_TEXT, MAX_URL, MAX_PAYLOAD), (256, 500, 4100));
    let at = "a".repeat(256);
    let over = "a".repeat(257);
    let cfg = |id, user, pass| Mconfig {
        client_id: id,
        login: Some((user, pass)),
    };
    assert!(enc(&cfg(&at, &at, &at)).is_ok());
    for (i, (c, u, p)) in [(&over, &at, &at), (&at, &over, &at), (&at, &at, &over)]
        .into_iter()
        .enumerate()
    {
        match enc(&cfg(c, u, p)) {
            Err(EncodeError::TooLong { arg, max: 256 }) => {
                assert_eq!(arg.contains("user"), i == 1, "{arg}");
                assert_eq!(arg.contains("pass"), i == 2, "{arg}");
            }
            other => panic!("{i}: {other:?}"),
        }
    }
    assert!(enc(&Msub { topic: &at, qos: 1 }).is_ok());
    assert_eq!(
        enc(&Msub {
            topic: &over,
            qos: 1
        }),
        Err(EncodeError::TooLong {
            arg: "topic",
            max: 256
        })
    );
    let message = vec![b'm'; 4101];
    assert_eq!(
        enc(&Mpub {
            topic: "t",
            qos: 0,
            retain: false,
            message: &message
        }),
        Err(EncodeError::TooLong {
            arg: "message",
            max: 4100
        })
    );
    assert!(
        enc(&Mpub {
            topic: "t",
            qos: 0,
            retain: false,
            message: &message[..4100]
        })
        .is_ok()
    );
    let long_url = format!("https://h/{}", "p".repeat(500 - 10));
    assert_eq!(long_url.len(), 500);
    assert!(enc(&HttpPara::url(&long_url)).is_ok());
    assert_eq!(
        enc(&HttpPara::url(&format!("{long_url}p"))),
        Err(EncodeError::TooLong {
            arg: "url",
            max: 500
        })
    );
}

// ---- Errors name the caller's fields -----------------------------------------------------------

use atmodem::client::{Bearer, BearerConfig, Mqtt, MqttLogin, MqttSession};

fn named(arg: &'static str) -> impl Fn(&Result<(), ClientError<atmodem::sim::SimError>>) -> bool {
    move |r| matches!(r, Err(ClientError::Encode(e)) if e.argument() == Some(arg))
}

fn scripted<D: atmodem::codec::Dialect>(script: &str) -> Sim<'static, D> {
    let state: &mut State<512, 512, 512> = Box::leak(Box::new(State::new()));
    Client::new(SimModem::new(script).unwrap(), InstantDelay, state)
}

#[test]
fn bearer_errors_name_the_bearer_config_fields() {
    let bad = "x\",\"y";
    let cfgs = [
        (
            "apn",
            BearerConfig {
                apn: bad,
                ..BearerConfig::default()
            },
        ),
        (
            "username",
            BearerConfig {
                username: bad,
                password: "p",
                ..BearerConfig::default()
            },
        ),
        (
            "password",
            BearerConfig {
                username: "u",
                password: bad,
                ..BearerConfig::default()
            },
        ),
    ];
    for (field, cfg) in &cfgs {
        // Quectel: one AT+QICSGP carries them all; nothing is written.
        let mut c: Sim<Quectel> = silent();
        let r = block_on(c.bearer_up(cfg));
        assert!(named(field)(&r), "quectel {field}: {r:?}");
        // Luat: AT+SAPBR=3 one parameter at a time.
        let mut script = String::from(">> AT+SAPBR=3,1,\"CONTYPE\",\"GPRS\"\n<< OK\n");
        if *field != "apn" {
            script.push_str(">> AT+SAPBR=3,1,\"APN\",\"\"\n<< OK\n");
        }
        if *field == "password" {
            script.push_str(">> AT+SAPBR=3,1,\"USER\",\"u\"\n<< OK\n");
        }
        let mut c: Sim<Luat> = scripted(&script);
        let r = block_on(c.bearer_up(cfg));
        assert!(named(field)(&r), "luat {field}: {r:?}");
        assert!(c.transport().is_done() && c.transport().mismatch().is_none());
    }
}

#[test]
fn mqtt_errors_name_the_session_fields() {
    let bad = "x\"y";
    let session = |host, login| MqttSession::new(host, 1883, login);
    // Luat AT+MCONFIG and AT+MIPSTART.
    let mut c: Sim<Luat> = silent();
    let r = block_on(c.mqtt_configure(&session("h", MqttLogin::ClientId(bad))));
    assert!(named("client_id")(&r), "{r:?}");
    for (field, login) in [
        (
            "username",
            MqttLogin::Password {
                client_id: "c",
                username: bad,
                password: "p",
            },
        ),
        (
            "password",
            MqttLogin::Password {
                client_id: "c",
                username: "u",
                password: bad,
            },
        ),
    ] {
        let r = block_on(c.mqtt_configure(&session("h", login)));
        assert!(named(field)(&r), "{field}: {r:?}");
    }
    let r = block_on(c.mqtt_open(&session(bad, MqttLogin::ClientId("c"))));
    assert!(named("host")(&r), "{r:?}");
    assert!(c.transport().mismatch().is_none());
    // Quectel AT+QMTOPEN and AT+QMTCONN.
    let mut c: Sim<Quectel> = silent();
    let r = block_on(c.mqtt_open(&session(bad, MqttLogin::ClientId("c"))));
    assert!(named("host")(&r), "{r:?}");
    let r = block_on(c.mqtt_connect(&session("h", MqttLogin::ClientId(bad)))).map(|_| ());
    assert!(named("client_id")(&r), "{r:?}");
    let login = MqttLogin::AliAuth {
        client_id: "c",
        product_key: "pk",
        device_name: bad,
        device_secret: "s",
    };
    let script = ">> AT+QMTCFG=\"version\",0,4\n<< OK\n>> AT+QMTCFG=\"recv/mode\",0,0,1\n<< OK\n";
    let mut c: Sim<Quectel> = scripted(script);
    let r = block_on(c.mqtt_configure(&session("h", login)));
    assert!(named("device_name")(&r), "{r:?}");
    assert!(c.transport().mismatch().is_none());
}

#[test]
fn http_errors_name_the_post_fields() {
    let mut body = [0u8; 8];
    let req = HttpPost {
        content_type: "text/plain\r\nX-A: 1",
        ..HttpPost::form("https://h/p", b"a")
    };
    let script = ">> AT+HTTPINIT\n<< OK\n>> AT+HTTPPARA=\"URL\",\"https://h/p\"\n<< OK\n>> AT+HTTPTERM\n<< OK\n";
    let mut c: Sim<Luat> = scripted(script);
    let r = block_on(c.http_post(&req, &mut body)).map(|_| ());
    assert!(named("content_type")(&r), "{r:?}");
    assert!(c.transport().is_done() && c.transport().mismatch().is_none());
    let mut c: Sim<Quectel> = silent();
    let r = block_on(c.http_post(&HttpPost::form("https://h/ p", b"a"), &mut body)).map(|_| ());
    assert!(named("url")(&r), "{r:?}");
}

// ---- Aliyun clientId: only what every encoder can send --------------------------------------

use atmodem::aliyun::{
    DeviceSecretLogin, Error as AliyunError, Field, HttpChannelAuth, HttpsDeviceAuth,
    MqttRegistration, Problem, connwl_login, token_login,
};

#[test]
fn client_ids_no_encoder_can_send_are_refused_by_the_builders() {
    const PK: &str = "i2uqc2dloOl";
    const DN: &str = "device001";
    const DS: &str = "c4fa40df9c8078073d75a26be2bc8f58";
    let refused = Err(AliyunError::invalid(Field::ClientId, Problem::BadCharacter));
    for id in ["a\"b", "a\\22b", "a\u{7f}", "a b", "é"] {
        let r = [
            DeviceSecretLogin::new(PK, DN, DS)
                .client_id(id)
                .build()
                .map(|_| ()),
            MqttRegistration::new(PK, DN, "xTzMxVmm9HUY19Pr", "123")
                .client_id(id)
                .build()
                .map(|_| ()),
            HttpsDeviceAuth::new(PK, DN, DS)
                .client_id(id)
                .build()
                .map(|_| ()),
            HttpChannelAuth::new(PK, DN, DS)
                .client_id(id)
                .build()
                .map(|_| ()),
            connwl_login(PK, DN, id, "^1^1681709523062^c5cce0a49b03685").map(|_| ()),
            token_login(id, "iotid", "425656f625b64560a4bff2a0f16946a3").map(|_| ()),
        ];
        for (i, r) in r.into_iter().enumerate() {
            assert_eq!(r, refused, "builder {i}, client id {id:?}");
        }
    }
    // What passes is what the encoders take.
    let creds = DeviceSecretLogin::new(PK, DN, DS)
        .client_id("a!#$%&'()*+-./:;<>?@[]^_`{}~")
        .build()
        .unwrap();
    let mut buf = [0u8; 512];
    let cfg = Mconfig {
        client_id: creds.client_id(),
        login: Some((creds.username(), creds.password().expose())),
    };
    assert!(cfg.encode(&mut buf).is_ok());
}

// ---- Alink params: exactly one object ----------------------------------------------------------

use atmodem::aliyun::flow::property_post_json;

#[test]
fn property_post_params_must_be_exactly_one_object() {
    let not_object = Err(AliyunError::invalid(Field::Params, Problem::NotJsonObject));
    // This would close `params` early and add a second "method".
    let injected = r#"{"Temp":1},"method":"thing.service.property.set","x":{"#;
    assert_eq!(property_post_json(1, injected), not_object);
    for bad in [
        "",
        " ",
        "1",
        "[1]",
        r#""{}""#,
        "{",
        "{}}",
        "{} {}",
        "{},",
        r#"{"a":[1}]"#,
        r#"{"a":"}"#,
        r#"{"a":"\"}"#,
    ] {
        assert_eq!(property_post_json(1, bad), not_object, "{bad:?}");
    }
    // Brackets and escaped quotes inside strings do not count; surrounding whitespace is fine.
    for good in [
        "{}",
        r#"{"s":"},\"method\":{["}"#,
        " {\"a\":[1,{\"b\":[]}]}\r\n",
    ] {
        let json = property_post_json(1, good).unwrap();
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["method"], "thing.event.property.post", "{good:?}");
        assert_eq!(v.as_object().unwrap().len(), 4);
    }
    // Integers of every size, written without `core::fmt`.
    for id in [0u64, 9, 10, 4_294_967_295, 4_294_967_296, u64::MAX] {
        let json = property_post_json(id, "{}").unwrap();
        assert!(
            json.starts_with(&format!("{{\"id\":{id},\"params\":{{}},")),
            "{json}"
        );
    }
    // Deeper than the limit is refused too.
    let deep = format!("{}{}", "{\"a\":".repeat(40), "}".repeat(40));
    assert_eq!(property_post_json(1, &deep), not_object);
}

// ---- Deeply nested replies -----------------------------------------------------------------------

use atmodem::aliyun::json::MAX_REPLY_DEPTH;
use atmodem::aliyun::{
    ReplyError, flow::parse_post_reply, parse_auth_reply, parse_http_channel_reply,
    parse_register_payload, parse_register_reply, parse_regnwl_payload,
};

/// `{"code":200,"x":<depth - 1 nested arrays>,` + `tail`: `depth` levels in all.
fn nested(depth: usize, tail: &str) -> Vec<u8> {
    let inner = depth - 1;
    format!(
        "{{\"code\":200,\"x\":{}{},{tail}",
        "[".repeat(inner),
        "]".repeat(inner)
    )
    .into_bytes()
}

/// Each parser's verdict on `body`: `true` when it is `Malformed`.
fn malformed_everywhere(body: &[u8]) -> [bool; 6] {
    let m = |e: Option<ReplyError<'_>>| matches!(e, Some(ReplyError::Malformed));
    [
        m(parse_register_reply(body).err()),
        m(parse_auth_reply(body).err()),
        m(parse_register_payload(body).err()),
        m(parse_regnwl_payload(body).err()),
        m(parse_http_channel_reply(body).err()),
        m(parse_post_reply(body).err()),
    ]
}

/// Runs `f` on a thread with a 16 KiB stack, as on a small microcontroller task.
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(16 * 1024)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap()
}

#[test]
fn deeply_nested_replies_are_malformed_not_a_stack_overflow() {
    let body = nested(500, r#""data":{}}"#);
    // About 1 KiB.
    assert!(body.len() < 1100, "{}", body.len());
    let verdicts = on_small_stack(move || malformed_everywhere(&body));
    assert_eq!(verdicts, [true; 6]);
    // Brackets inside strings (with escaped quotes) do not count towards the depth.
    let body = format!(
        r#"{{"code":200,"message":"\"{}","data":{{"deviceName":"dev1","deviceSecret":"s1","productKey":"pk"}}}}"#,
        "[".repeat(500)
    );
    let r = on_small_stack(move || {
        parse_register_reply(body.as_bytes())
            .map(|r| r.device_name.len())
            .map_err(|e| format!("{e:?}"))
    });
    assert_eq!(r, Ok(4));
}

#[test]
fn a_reply_at_the_depth_limit_still_parses() {
    assert_eq!(MAX_REPLY_DEPTH, 8);
    let tail = r#""data":{"deviceName":"dev1","deviceSecret":"s1","productKey":"pk"}}"#;
    let at = nested(MAX_REPLY_DEPTH, tail);
    let r = parse_register_reply(&at).unwrap();
    assert_eq!((r.device_name, r.device_secret.expose()), ("dev1", "s1"));
    let over = nested(MAX_REPLY_DEPTH + 1, tail);
    assert!(matches!(
        parse_register_reply(&over),
        Err(ReplyError::Malformed)
    ));
    // The deepest documented reply (`resources.mqtt`, 4 levels) and an Alink reply.
    let auth = br#"{"code":200,"data":{"iotId":"id1","iotToken":"t1","resources":{"mqtt":{"host":"h.example","port":1883}}},"message":"success"}"#;
    assert_eq!(parse_auth_reply(auth).unwrap().mqtt.unwrap().port, 1883);
    let alink = format!(
        r#"{{"code":200,"data":{}{},"id":"1","message":"success"}}"#,
        "{\"a\":".repeat(MAX_REPLY_DEPTH - 2) + "{}",
        "}".repeat(MAX_REPLY_DEPTH - 2)
    );
    assert_eq!(parse_post_reply(alink.as_bytes()).unwrap().id, "1");
}

// ---- Secrets stay out of Debug ---------------------------------------------------------------------

use atmodem::aliyun::HttpsRegistration;
use atmodem::codec::{CommandWriter, Lines};
use atmodem::dialects::MqttMessage;
use atmodem::dialects::luat::{HttpData, MqttMsgGet, SapbrParams};
use atmodem::dialects::quectel::{
    QhttpCfg, QhttpPost, QhttpSetting, QmtCfg, QmtRecvFetch, QmtSetting, Will,
};

/// `Debug` of `v`, plain and pretty, must not contain any of `secrets`.
#[track_caller]
fn hides<T: std::fmt::Debug>(v: &T, secrets: &[&str]) -> String {
    let out = format!("{v:?}\n{v:#?}");
    for s in secrets {
        assert!(!out.contains(s), "{s:?} leaked in {out}");
    }
    out
}

#[test]
fn debug_output_never_shows_secrets_payloads_or_bodies() {
    const PWD: &str = "bearer-pass-9f3k";
    let cfg = BearerConfig {
        apn: "cmnet",
        username: "card",
        password: PWD,
        ..BearerConfig::default()
    };
    let out = hides(&cfg, &[PWD]);
    assert!(
        out.contains("cmnet") && out.contains("card") && out.contains("16 bytes"),
        "{out}"
    );

    // The HTTPS registration body carries its sign.
    let req = HttpsRegistration::new("b1KCi45LcCP", "862991419835241", "VWll9fiYWKiwraBk", "123")
        .build()
        .unwrap();
    let body = req.body().expose().as_bytes();
    let post = HttpPost::form(
        "https://iot-auth.cn-shanghai.aliyuncs.com/auth/register/device",
        body,
    );
    let out = hides(&post, &[req.sign().expose(), req.body().expose(), "sign="]);
    assert!(out.contains("iot-auth.cn-shanghai"), "{out}");
    hides(&QhttpPost { body, times: None }, &[req.sign().expose()]);
    hides(
        &HttpData {
            body,
            time_ms: 20_000,
        },
        &[req.sign().expose()],
    );

    hides(
        &QhttpCfg(QhttpSetting::Auth("user:pa55w0rd")),
        &["pa55w0rd"],
    );
    let out = hides(&QhttpCfg(QhttpSetting::ContentType(4)), &[]);
    assert!(out.contains("ContentType(4)"), "{out}");

    let pwd = SapbrSet {
        cid: 1,
        tag: "PWD",
        value: PWD,
    };
    hides(&pwd, &[PWD]);
    let apn = SapbrSet {
        cid: 1,
        tag: "APN",
        value: "cmnet",
    };
    assert!(hides(&apn, &[]).contains("cmnet"));
    let hdr = HttpPara::header("password: 425656f625b64560a4bff2a0f16946a3");
    hides(&hdr, &["425656f625b64560a4bff2a0f16946a3"]);
    assert!(hides(&HttpPara::url("https://h/p"), &[]).contains("https://h/p"));

    // A registration reply on /ext/register carries the device secret.
    const DS: &str = "mRMyB50qafv74A5FofvhxZ2h9iTL9wX7";
    let payload = format!(r#"{{"deviceSecret":"{DS}","productKey":"pk","deviceName":"dn01"}}"#);
    let msg = MqttMessage {
        topic: "/ext/register",
        payload: payload.as_bytes(),
    };
    let out = hides(&msg, &[DS]);
    assert!(out.contains("/ext/register"), "{out}");
    let publish = Mpub {
        topic: "t",
        qos: 1,
        retain: false,
        message: payload.as_bytes(),
    };
    hides(&publish, &[DS]);
    let ex = MpubEx {
        topic: "t",
        qos: 1,
        retain: false,
        payload: payload.as_bytes(),
    };
    hides(&ex, &[DS]);
    hides(&ctrl_z_publish(payload.as_bytes()), &[DS]);
    let will = QmtCfg {
        client: 0,
        setting: QmtSetting::Will(Some(Will {
            qos: 0,
            retain: false,
            topic: "t",
            message: DS,
        })),
    };
    hides(&will, &[DS]);

    // A command being written holds the password.
    let mut buf = [0u8; 128];
    let mut w = CommandWriter::new(&mut buf, "+QICSGP");
    w.uint(1).string("password", PWD);
    hides(&w, &[PWD]);

    // Response lines that hold payloads or the bearer password.
    let line = format!("+MSUB: \"/ext/register\",{} byte,{payload}", payload.len());
    let lines = [line.as_bytes()];
    let cached = MqttMsgGet.parse(Lines::from_slice(&lines)).unwrap();
    assert_eq!(cached.iter().next().unwrap().payload, payload.as_bytes());
    hides(&cached, &[DS]);
    let line = format!(
        "+QMTRECV: 0,0,\"/ext/register\",{},\"{payload}\"",
        payload.len()
    );
    let lines = [line.as_bytes()];
    let stored = QmtRecvFetch {
        client: 0,
        recv_id: None,
    }
    .parse(Lines::from_slice(&lines))
    .unwrap();
    assert_eq!(stored.iter().count(), 1);
    hides(&stored, &[DS]);
    let lines: [&[u8]; 2] = [
        b"+SAPBR: \"APN\",\"cmnet\"",
        b"+SAPBR: \"PWD\",\"bearer-pass-9f3k\"",
    ];
    let params = SapbrParams { cid: 1 }
        .parse(Lines::from_slice(&lines))
        .unwrap();
    assert_eq!(params.get("PWD"), Some(PWD));
    hides(&params, &[PWD]);
}

#[test]
fn codec_debug_output_never_shows_modem_bytes() {
    use atmodem::codec::{Decoder, Frame, Item, LineQueue, Reader};
    use atmodem::dialects::quectel::QuectelUrc;
    // The echo of a login carries the password; a malformed `+QMTRECV` carries its payload.
    let echo = b"AT+QMTCONN=0,\"id\",\"user\",\"hunter2-secret\"\r";
    let malformed = b"\r\n+QMTRECV: 0,0,\"/ext/register\",99,\"{\\\"deviceSecret\\\":\\\"hunter2-secret\\\"}\"\r\n";
    let mut d: Decoder<Quectel, [u8; 256]> = Decoder::new();
    d.feed(echo);
    d.feed(b"\r\nOK\r\n");
    let frame = d.next_frame().unwrap().unwrap();
    assert!(matches!(frame, Frame::Echo(_)));
    assert!(!format!("{frame:?}").contains("hunter2"), "{frame:?}");
    let mut r: Reader<Quectel, [u8; 256]> = Reader::new();
    r.feed(echo);
    r.feed(malformed);
    while let Some(item) = r.next_item() {
        let item = item.unwrap();
        let shown = format!("{item:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        if let Item::Urc(u) = item {
            assert!(matches!(u, QuectelUrc::Malformed { .. }));
        }
    }
    let mut q: LineQueue<[u8; 128]> = LineQueue::new();
    q.push(b"+QMTCFG: \"aliauth\",\"pk\",\"dn\",\"hunter2-secret\"");
    assert!(!format!("{q:?}").contains("hunter2"));
    assert!(!format!("{:?}", q.lines()).contains("hunter2"));
}
