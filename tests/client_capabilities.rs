//! Every capability of both dialects on the simulated modem: bearer bring-up, HTTP POST and
//! the MQTT session, with scripts written from the manuals' exchanges, URCs injected in the
//! middle of commands and the modem's output cut at awkward places.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use atmodem::client::{
    Bearer, BearerConfig, Client, Error, Http, HttpPost, HttpTiming, Mqtt, MqttLogin, MqttSession,
    State,
};
use atmodem::codec::Dialect;
use atmodem::dialects::ActionError;
use atmodem::dialects::luat::Luat;
use atmodem::dialects::quectel::Quectel;
use atmodem::sim::{InstantDelay, SimModem};
use embassy_futures::block_on;

type C<'s, D> = Client<'s, SimModem, InstantDelay, D>;

/// Read sizes that cut lines, prompts and payloads in odd places.
const CHUNKINGS: &[&[usize]] = &[&[usize::MAX], &[1], &[3, 7], &[2, 64, 5]];

/// Run `flow` against `script` for every chunking; the whole script must be played.
fn each_chunking<D: Dialect>(script: &str, flow: impl Fn(&mut C<D>)) {
    for chunks in CHUNKINGS {
        let sim = SimModem::new(script).unwrap().with_chunks(chunks);
        let mut state: State<512, 512, 512> = State::new();
        let mut c: C<D> = Client::new(sim, InstantDelay, &mut state);
        flow(&mut c);
        assert!(
            c.transport().is_done(),
            "chunks {chunks:?}: script left:\n{}",
            c.transport().remaining()
        );
    }
}

// ---- Quectel ------------------------------------------------------------------------------

const Q_BEARER: &str = r#">> AT+CEREG?
<<
<< +CEREG: 0,2
<<
<< OK
>> AT+CEREG?
<<
<< +CEREG: 0,1
<<
<< OK
>> AT+QICSGP=1,3,"cmnet","","",0
<<
<< OK
>> AT+QIACT=1
<<
<< OK
>> AT+CGPADDR=1
<<
<< +CGPADDR: 1,"10.113.242.215","2409:8930:434:5ACF:ACC8:DEB2:8B17:44DB"
<<
<< OK
"#;

#[test]
fn quectel_bearer() {
    each_chunking::<Quectel>(Q_BEARER, |c| {
        block_on(c.wait_network(10_000)).unwrap();
        let cfg = BearerConfig {
            apn: "cmnet",
            ..BearerConfig::default()
        };
        block_on(c.bearer_up(&cfg)).unwrap();
        assert_eq!(block_on(c.bearer_address(1)).unwrap(), "10.113.242.215");
    });
}

#[test]
fn quectel_bearer_already_active() {
    // QIACT answers ERROR when the context is up; the query shows it is.
    let script = r#">> AT+QICSGP=1,3,"","","",0
<< OK
>> AT+QIACT=1
<< ERROR
>> AT+QIACT?
<< +QIACT: 1,1,1,"10.7.157.1"
<< OK
"#;
    each_chunking::<Quectel>(script, |c| {
        block_on(c.bearer_up(&BearerConfig::default())).unwrap();
    });
}

const Q_HTTP: &str = r#">> AT+QHTTPURL=62,80
<<
<< CONNECT
>>| "https://iot-auth.cn-shanghai.aliyuncs.com/auth/register/device"
<<
<< OK
>> AT+QHTTPPOST=11,120,120
<<
<< CONNECT
>>| "a=1&b=2&c=3"
<<
<< OK
<<
<< +CEREG: 1
<<
<< +QHTTPPOST: 0,200,20
>> AT+QHTTPREAD=200
<<
<< CONNECT
<<| "{\"a\":\r\nOK\r\n\"b\":1234}"
<<
<< OK
<<
<< +QHTTPREAD: 0
"#;

#[test]
fn quectel_http_post() {
    each_chunking::<Quectel>(Q_HTTP, |c| {
        let req = HttpPost {
            timing: HttpTiming {
                url_input_secs: 80,
                body_input_secs: 120,
                response_secs: 120,
                read_secs: 200,
            },
            ..HttpPost::form(
                "https://iot-auth.cn-shanghai.aliyuncs.com/auth/register/device",
                b"a=1&b=2&c=3",
            )
        };
        let mut body = [0u8; 64];
        let r = block_on(c.http_post(&req, &mut body)).unwrap();
        assert_eq!((r.status, r.len), (200, 20));
        assert_eq!(&body[..r.len], b"{\"a\":\r\nOK\r\n\"b\":1234}");
        // The URC in the middle is kept.
        assert_eq!(c.queued_urcs(), 1);
    });
}

#[test]
fn quectel_http_error_result_is_typed() {
    let script = r#">> AT+QHTTPURL=18,60
<< CONNECT
>>| "https://example.cn"
<< OK
>> AT+QHTTPPOST=3,60,60
<< CONNECT
>>| "a=1"
<< OK
<< +QHTTPPOST: 714
"#;
    each_chunking::<Quectel>(script, |c| {
        let mut body = [0u8; 8];
        let r = block_on(c.http_post(&HttpPost::form("https://example.cn", b"a=1"), &mut body));
        assert_eq!(r, Err(Error::Action(ActionError::Http(714))));
    });
}

fn q_session(login: MqttLogin<'static>) -> MqttSession<'static> {
    MqttSession {
        tls: Some(2),
        ..MqttSession::new("iot-06z00hxss3rggno.mqtt.iothub.aliyuncs.com", 8883, login)
    }
}

const Q_MQTT: &str = r#">> AT+QMTCFG="version",0,4
<<
<< OK
>> AT+QMTCFG="recv/mode",0,0,1
<<
<< OK
>> AT+QMTCFG="ssl",0,1,2
<<
<< OK
>> AT+QMTCFG="aliauth",0,"i2uqc2dloOl","device001","c4fa40df9c8078073d75a26be2bc8f58"
<<
<< OK
>> AT+QMTOPEN=0,"iot-06z00hxss3rggno.mqtt.iothub.aliyuncs.com",8883
<<
<< OK
<<
<< +QMTOPEN: 0,0
>> AT+QMTCONN=0,"device001"
<<
<< OK
<<
<< +QMTCONN: 0,0,0
>> AT+QMTSUB=0,1,"/sys/i2uqc2dloOl/device001/thing/service/property/set",1
<<
<< +QMTRECV: 0,0,"/sys/i2uqc2dloOl/device001/thing/service/property/set",18,"{"params":{"a":1}}"
<<
<< OK
<<
<< +QMTSUB: 0,1,0,1
>> AT+QMTPUBEX=0,2,1,0,"/sys/i2uqc2dloOl/device001/thing/event/property/post",7
<<| "\r\n> "
>>| "{\"a\":1}"
<<
<< OK
<<
<< +QMTPUBEX: 0,2,0
>> AT+QMTPUBEX=0,0,0,0,"/sys/i2uqc2dloOl/device001/thing/event/property/post",3
<<| "\r\n> "
>>| "\u0000\u00ff\r"
<<
<< OK
<<
<< +QMTPUBEX: 0,0,0
<<
<<| "+QMTRECV: 0,3,\"t/x\",4,\"a\r\nb\"\r\n"
>> AT+QMTDISC=0
<<
<< OK
<<
<< +QMTDISC: 0,0
>> AT+QMTCLOSE=0
<<
<< OK
<<
<< +QMTCLOSE: 0,0
"#;

#[test]
fn quectel_mqtt_session() {
    each_chunking::<Quectel>(Q_MQTT, |c| {
        let s = q_session(MqttLogin::AliAuth {
            client_id: "device001",
            product_key: "i2uqc2dloOl",
            device_name: "device001",
            device_secret: "c4fa40df9c8078073d75a26be2bc8f58",
        });
        block_on(c.mqtt_start(&s)).unwrap();
        block_on(c.mqtt_subscribe(
            c.mqtt_session(0),
            "/sys/i2uqc2dloOl/device001/thing/service/property/set",
            1,
        ))
        .unwrap();
        let post = "/sys/i2uqc2dloOl/device001/thing/event/property/post";
        block_on(c.mqtt_publish(c.mqtt_session(0), post, b"{\"a\":1}", 1, false)).unwrap();
        // Binary payloads go by length.
        block_on(c.mqtt_publish(c.mqtt_session(0), post, b"\x00\xff\r", 0, false)).unwrap();
        // The message that arrived during SUBSCRIBE, then the one after the publish.
        let m = block_on(c.mqtt_next_message(c.mqtt_session(0), 1000)).unwrap();
        assert_eq!(
            (m.topic, m.payload),
            (
                "/sys/i2uqc2dloOl/device001/thing/service/property/set",
                &b"{\"params\":{\"a\":1}}"[..]
            )
        );
        let m = block_on(c.mqtt_next_message(c.mqtt_session(0), 1000)).unwrap();
        assert_eq!((m.topic, m.payload), ("t/x", &b"a\r\nb"[..]));
        block_on(c.mqtt_disconnect(c.mqtt_session(0))).unwrap();
        block_on(c.mqtt_close(c.mqtt_session(0))).unwrap();
    });
}

#[test]
fn quectel_refused_credentials_are_typed() {
    let script = r#">> AT+QMTOPEN=0,"h",1883
<< OK
<< +QMTOPEN: 0,0
>> AT+QMTCONN=0,"id","user","bad"
<< OK
<< +QMTCONN: 0,0,4
"#;
    each_chunking::<Quectel>(script, |c| {
        let s = MqttSession::new(
            "h",
            1883,
            MqttLogin::Password {
                client_id: "id",
                username: "user",
                password: "bad",
            },
        );
        block_on(c.mqtt_open(&s)).unwrap();
        let e = block_on(c.mqtt_connect(&s)).unwrap_err();
        assert_eq!(e, Error::Action(ActionError::Refused(4)));
        let Error::Action(a) = e else { panic!() };
        assert!(a.is_bad_credentials());
    });
}

#[test]
fn quectel_open_failure_code() {
    let script = ">> AT+QMTOPEN=0,\"h\",1883\n<< OK\n<< +QMTOPEN: 0,3\n";
    each_chunking::<Quectel>(script, |c| {
        let s = MqttSession::new("h", 1883, MqttLogin::ClientId("x"));
        assert_eq!(
            block_on(c.mqtt_open(&s)),
            Err(Error::Action(ActionError::Failed {
                command: "+QMTOPEN",
                code: 3
            }))
        );
    });
}

// ---- Luat ---------------------------------------------------------------------------------

const L_BEARER: &str = r#">> AT+CGATT?
<<| "AT+CGATT?\r"
<<
<< +CGATT: 0
<<
<< OK
>> AT+CGATT?
<<| "AT+CGATT?\r"
<<
<< +CGATT: 1
<<
<< OK
>> AT+SAPBR=3,1,"CONTYPE","GPRS"
<<
<< OK
>> AT+SAPBR=3,1,"APN","CMIOT"
<<
<< OK
>> AT+SAPBR=1,1
<<
<< +CME ERROR: 3
>> AT+SAPBR=2,1
<<
<< +SAPBR: 1,1,010.169.179.213
<<
<< OK
>> AT+SAPBR=2,1
<<
<< +SAPBR: 1,1,"10.159.1.145"
<<
<< OK
"#;

#[test]
fn luat_bearer() {
    each_chunking::<Luat>(L_BEARER, |c| {
        block_on(c.wait_network(10_000)).unwrap();
        let cfg = BearerConfig {
            apn: "CMIOT",
            ..BearerConfig::default()
        };
        // `+CME ERROR: 3`: already open, and the query says connected.
        block_on(c.bearer_up(&cfg)).unwrap();
        assert_eq!(block_on(c.bearer_address(1)).unwrap(), "10.159.1.145");
    });
}

const L_HTTP: &str = r#">> AT+HTTPINIT
<<
<< ERROR
>> AT+HTTPTERM
<<
<< OK
>> AT+HTTPINIT
<<
<< OK
>> AT+HTTPPARA="URL","https://iot-auth.cn-shanghai.aliyuncs.com/auth/devicename"
<<
<< OK
>> AT+HTTPPARA="USER_DEFINED","Content-Type: application/x-www-form-urlencoded"
<<
<< OK
>> AT+HTTPDATA=7,20000
<<
<< DOWNLOAD
>>| "a=1&b=2"
<<
<< OK
>> AT+HTTPACTION=1
<<
<< OK
<<
<< +HTTPACTION:1,200,9
>> AT+HTTPREAD
<<
<< +HTTPREAD: 10
<<| "{\"a\":\r\nOK}"
<<
<< OK
>> AT+HTTPTERM
<<
<< OK
"#;

#[test]
fn luat_http_post() {
    each_chunking::<Luat>(L_HTTP, |c| {
        let req = HttpPost {
            timing: HttpTiming {
                body_input_secs: 20,
                ..HttpTiming::default()
            },
            ..HttpPost::form(
                "https://iot-auth.cn-shanghai.aliyuncs.com/auth/devicename",
                b"a=1&b=2",
            )
        };
        let mut body = [0u8; 32];
        let r = block_on(c.http_post(&req, &mut body)).unwrap();
        // `+HTTPREAD`'s length counts, not the 9 of `+HTTPACTION`.
        assert_eq!((r.status, r.len), (200, 10));
        assert_eq!(&body[..r.len], b"{\"a\":\r\nOK}");
    });
}

#[test]
fn luat_http_failure_still_terminates_the_session() {
    let script = r#">> AT+HTTPINIT
<< OK
>> AT+HTTPPARA="URL","http://x.cn"
<< OK
>> AT+HTTPPARA="USER_DEFINED","Content-Type: text/plain"
<< OK
>> AT+HTTPDATA=1,60000
<< DOWNLOAD
>>| "z"
<< OK
>> AT+HTTPACTION=1
<< OK
<< +SAPBR 1: DEACT
<< +HTTPACTION: 1,601,0
>> AT+HTTPTERM
<< OK
"#;
    each_chunking::<Luat>(script, |c| {
        let req = HttpPost {
            content_type: "text/plain",
            ..HttpPost::form("http://x.cn", b"z")
        };
        let mut body = [0u8; 8];
        assert_eq!(
            block_on(c.http_post(&req, &mut body)),
            Err(Error::Action(ActionError::Http(601)))
        );
        assert!(c.links().bearer_is_down(1));
    });
}

const L_MQTT: &str = r#">> AT+MCONFIG="862991419835241","PbUqGh2URAJ1AtNyyd7X00107ceb00","425656f625b64560a4bff2a0f16946a3"
<<
<< OK
>> AT+SSLMIPSTART="b1KCi45LcCP.iot-as-mqtt.cn-shanghai.aliyuncs.com",1883
<<
<< OK
<<
<< CONNECT OK
>> AT+MCONNECT=1,300
<<
<< OK
<<
<< CONNACK OK
>> AT+MSUB="/b1KCi45LcCP/862991419835241/user/get",0
<<
<< OK
<<
<<| "+MSUB: \"/b1KCi45LcCP/862991419835241/user/get\",12 byte,{\"a\":\"x\r\ny\"}\r\n"
<<
<< SUBACK
>> AT+MPUB="/b1KCi45LcCP/862991419835241/user/update",1,0,"{\22t\22:1}"
<<
<< OK
<<
<< PUBACK
>> AT+MPUBEX="/b1KCi45LcCP/862991419835241/user/update",0,0,2
<<| "\r\n> "
>>| "\u0000\u0001"
<<
<< OK
>> AT+MDISCONNECT
<<
<< OK
>> AT+MIPCLOSE
<<
<< +CME ERROR: 767
"#;

#[test]
fn luat_mqtt_session() {
    each_chunking::<Luat>(L_MQTT, |c| {
        let s = MqttSession {
            tls: Some(0),
            keepalive_secs: 300,
            ..MqttSession::new(
                "b1KCi45LcCP.iot-as-mqtt.cn-shanghai.aliyuncs.com",
                1883,
                MqttLogin::Password {
                    client_id: "862991419835241",
                    username: "PbUqGh2URAJ1AtNyyd7X00107ceb00",
                    password: "425656f625b64560a4bff2a0f16946a3",
                },
            )
        };
        block_on(c.mqtt_start(&s)).unwrap();
        block_on(c.mqtt_subscribe(
            c.mqtt_session(0),
            "/b1KCi45LcCP/862991419835241/user/get",
            0,
        ))
        .unwrap();
        let up = "/b1KCi45LcCP/862991419835241/user/update";
        block_on(c.mqtt_publish(c.mqtt_session(0), up, b"{\"t\":1}", 1, false)).unwrap();
        block_on(c.mqtt_publish(c.mqtt_session(0), up, b"\x00\x01", 0, false)).unwrap();
        let m = block_on(c.mqtt_next_message(c.mqtt_session(0), 1000)).unwrap();
        assert_eq!(m.payload, b"{\"a\":\"x\r\ny\"}");
        block_on(c.mqtt_disconnect(c.mqtt_session(0))).unwrap();
        // `+CME ERROR: 767`: already closed, fine.
        block_on(c.mqtt_close(c.mqtt_session(0))).unwrap();
    });
}

#[test]
fn luat_aliauth_is_unsupported() {
    let mut state: State<512, 512, 512> = State::new();
    let mut c: C<Luat> = Client::new(SimModem::new("").unwrap(), InstantDelay, &mut state);
    let s = MqttSession::new(
        "h",
        1883,
        MqttLogin::AliAuth {
            client_id: "a",
            product_key: "b",
            device_name: "c",
            device_secret: "d",
        },
    );
    assert_eq!(block_on(c.mqtt_configure(&s)), Err(Error::Unsupported));
    // And the secret is not in the Debug output of the session.
    assert!(!format!("{s:?}").contains("\"d\""));
}

#[test]
fn luat_connect_fail_is_a_failure() {
    let script = ">> AT+MIPSTART=\"h\",1883\n<< OK\n<< STATE: IP INITIAL\n<< CONNECT FAIL\n";
    each_chunking::<Luat>(script, |c| {
        let s = MqttSession::new("h", 1883, MqttLogin::ClientId("x"));
        assert_eq!(
            block_on(c.mqtt_open(&s)),
            Err(Error::Action(ActionError::Failed {
                command: "+MIPSTART",
                code: -1
            }))
        );
    });
}

/// Buffered receive (`recv/mode` 1, Quectel MQTT application note): `+QMTRECV: <idx>,<recv_id>`
/// says a message waits in buffer `recv_id`; `AT+QMTRECV=<idx>,<recv_id>` prints it. A notice
/// whose buffer is already empty (`OK` alone) is skipped; once `+QMTSTAT` took the session
/// down with no notice left, the call fails with `SessionDown`.
#[test]
fn quectel_buffered_receive_fetches_each_noticed_buffer() {
    let script = r#">> AT+QMTCFG="version",0,4
<<
<< OK
>> AT+QMTCFG="recv/mode",0,1,1
<<
<< OK
<<
<< +QMTRECV: 0,3
<<
<< +QMTRECV: 0,1
>> AT+QMTRECV=0,3
<<
<< OK
>> AT+QMTRECV=0,1
<<
<<| "+QMTRECV: 0,7,\"t/a\",9,\"x\r\nOK\r\n+Q\"\r\n"
<<
<< OK
<<
<< +QMTSTAT: 0,1
"#;
    each_chunking::<Quectel>(script, |c| {
        let s = MqttSession {
            buffered_receive: true,
            ..MqttSession::new("h", 1883, MqttLogin::ClientId("id"))
        };
        block_on(c.mqtt_configure(&s)).unwrap();
        assert!(c.links().is_recv_buffered(0));
        c.links_mut().mark_mqtt_up(0);
        let m = block_on(c.mqtt_next_message(c.mqtt_session(0), 5_000)).unwrap();
        assert_eq!((m.topic, m.payload), ("t/a", &b"x\r\nOK\r\n+Q"[..]));
        let e = block_on(c.mqtt_next_message(c.mqtt_session(0), 5_000))
            .map(|_| ())
            .unwrap_err();
        assert_eq!(e, Error::SessionDown);
    });
}
