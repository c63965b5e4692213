//! The Aliyun flows' failure paths: platform errors, refused credentials, registration
//! sessions that end without their reply, a stored aliauth triple, old Luat firmware.
//! Expected values come from the Aliyun docs' error shapes and the seeds.
#![allow(clippy::unwrap_used, clippy::panic)]

use atmodem::aliyun::flow::{self, FlowError, luat, quectel};
use atmodem::aliyun::{DeviceSecretLogin, HttpsRegistration, SignMethod};
use atmodem::client::{BearerConfig, Client, HttpTiming, MqttLogin, MqttSession, State};
use atmodem::dialects::luat::Luat;
use atmodem::dialects::quectel::Quectel;
use atmodem::sim::{InstantDelay, SimModem};
use embassy_futures::block_on;

type Q<'s> = Client<'s, SimModem, InstantDelay, Quectel>;
type L<'s> = Client<'s, SimModem, InstantDelay, Luat>;

fn q(script: &str) -> Q<'static> {
    let state: &mut State = Box::leak(Box::new(State::new()));
    Client::new(SimModem::new(script).unwrap(), InstantDelay, state)
}

const REG_BODY: &str = "productKey=b1KCi45LcCP&deviceName=862991419835241&random=123456&sign=1770d38260cc980dbc4337ed7fe1e8de&signMethod=HmacMD5";

fn luat_register_script(reply: &str) -> String {
    format!(
        r#">> AT+HTTPINIT
<< OK
>> AT+HTTPPARA="URL","https://iot-auth.cn-shanghai.aliyuncs.com/auth/register/device"
<< OK
>> AT+HTTPPARA="USER_DEFINED","Content-Type: application/x-www-form-urlencoded"
<< OK
>> AT+HTTPDATA=120,20000
<< DOWNLOAD
>>| "{REG_BODY}"
<< OK
>> AT+HTTPACTION=1
<< OK
<< +HTTPACTION: 1,200,{len}
>> AT+HTTPREAD
<< +HTTPREAD: {len}
<< {reply}
<< OK
>> AT+HTTPTERM
<< OK
"#,
        len = reply.len() + 2 // the body runs up to the CRLF of its `<<` line
    )
}

fn registration() -> HttpsRegistration<'static> {
    HttpsRegistration::new(
        "b1KCi45LcCP",
        "862991419835241",
        "VWll9fiYWKiwraBk",
        "123456",
    )
    .sign_method(SignMethod::HmacMd5)
    .sign_method_spelling("HmacMD5")
}

#[test]
fn platform_error_reply_is_typed_with_code_and_message() {
    // The shape Aliyun answers a bad request with (no `data`).
    let reply = r#"{"code":460,"message":"request parameter error."}"#;
    let mut state: State = State::new();
    let mut c: L = Client::new(
        SimModem::new(&luat_register_script(reply)).unwrap(),
        InstantDelay,
        &mut state,
    );
    let mut buf = [0u8; 256];
    let timing = HttpTiming {
        body_input_secs: 20,
        ..HttpTiming::default()
    };
    let e = block_on(flow::https_register(
        &mut c,
        &registration(),
        timing,
        &mut buf,
    ))
    .unwrap_err();
    match e {
        FlowError::Platform { code, message } => {
            assert_eq!(code, 460);
            assert_eq!(message.as_str(), "request parameter error.");
        }
        other => panic!("{other:?}"),
    }
    assert!(c.transport().is_done());
}

#[test]
fn a_success_reply_without_the_secret_names_the_field_and_keeps_the_code() {
    // `code` 200 but no `deviceSecret`: not a garbled reply, and not a platform error.
    let reply = r#"{"code":200,"data":{"productKey":"b1KCi45LcCP","deviceName":"862991419835241"},"message":"success"}"#;
    let mut state: State = State::new();
    let mut c: L = Client::new(
        SimModem::new(&luat_register_script(reply)).unwrap(),
        InstantDelay,
        &mut state,
    );
    let mut buf = [0u8; 256];
    let timing = HttpTiming {
        body_input_secs: 20,
        ..HttpTiming::default()
    };
    let e = block_on(flow::https_register(
        &mut c,
        &registration(),
        timing,
        &mut buf,
    ))
    .unwrap_err();
    assert_eq!(
        e,
        FlowError::Missing {
            field: atmodem::aliyun::Field::DeviceSecret,
            code: Some(200)
        }
    );
}

#[test]
fn a_reply_that_is_not_json_is_a_reply_error() {
    let mut state: State = State::new();
    let mut c: L = Client::new(
        SimModem::new(&luat_register_script("<html>502</html>")).unwrap(),
        InstantDelay,
        &mut state,
    );
    let mut buf = [0u8; 256];
    let timing = HttpTiming {
        body_input_secs: 20,
        ..HttpTiming::default()
    };
    assert_eq!(
        block_on(flow::https_register(
            &mut c,
            &registration(),
            timing,
            &mut buf
        ))
        .unwrap_err(),
        FlowError::Reply
    );
}

#[test]
fn connack_4_is_bad_credentials() {
    let creds = DeviceSecretLogin::new(
        "i2uqc2dloOl",
        "device001",
        "c4fa40df9c8078073d75a26be2bc8f59",
    )
    .timestamp("1680937625134")
    .secure_mode(atmodem::aliyun::SecureMode::Tcp)
    .build()
    .unwrap();
    let script = format!(
        ">> AT+QMTCFG=\"version\",0,4\n<< OK\n>> AT+QMTCFG=\"recv/mode\",0,0,1\n<< OK\n>> AT+QMTOPEN=0,\"h\",1883\n<< OK\n<< +QMTOPEN: 0,0\n>> AT+QMTCONN=0,\"{}\",\"{}\",\"{}\"\n<< OK\n<< +QMTCONN: 0,0,4\n",
        creds.client_id(),
        creds.username(),
        creds.password().expose()
    );
    let mut c = q(&script);
    assert_eq!(
        block_on(flow::connect(
            &mut c,
            &MqttSession::new("h", 1883, flow::login_of(&creds))
        )),
        Err(FlowError::BadCredentials(4))
    );
}

#[test]
fn a_stored_aliauth_triple_stops_a_password_login() {
    let creds = DeviceSecretLogin::new(
        "i2uqc2dloOl",
        "device001",
        "c4fa40df9c8078073d75a26be2bc8f58",
    )
    .build()
    .unwrap();
    let script =
        ">> AT+QMTCFG=\"aliauth\",0\n<< +QMTCFG: \"aliauth\",\"pk\",\"dn\",\"ds\"\n<< OK\n";
    let mut c = q(script);
    assert_eq!(
        block_on(quectel::check_aliauth(
            &mut c,
            &MqttSession::new("h", 1883, flow::login_of(&creds))
        )),
        Err(FlowError::AliauthConfigured)
    );
    assert!(c.transport().is_done());
}

#[test]
fn registration_session_closed_without_a_reply() {
    // The broker closes the link right after CONNACK: no `/ext/register` message.
    let script = ">> AT+QMTOPEN=0,\"h\",1883\n<< OK\n<< +QMTOPEN: 0,0\n>> AT+QMTCONN=0,\"id\",\"u\",\"p\"\n<< OK\n<< +QMTCONN: 0,0,0\n<< +QMTSTAT: 0,1\n";
    let mut c = q(script);
    let s = MqttSession::new(
        "h",
        1883,
        MqttLogin::Password {
            client_id: "id",
            username: "u",
            password: "p",
        },
    );
    use atmodem::client::Mqtt;
    block_on(c.mqtt_open(&s)).unwrap();
    let session = block_on(c.mqtt_connect(&s)).unwrap();
    assert_eq!(
        block_on(flow::await_register_reply(&mut c, session, 5_000)).unwrap_err(),
        FlowError::NoReply
    );
}

#[test]
fn old_luat_firmware_is_refused() {
    let script = ">> AT\n<< OK\n>> AT+CGMR\n<< +CGMR: \"AirM2M_Air724UG_V408_LTE_AT\"\n<< OK\n";
    let mut state: State = State::new();
    let mut c: L = Client::new(SimModem::new(script).unwrap(), InstantDelay, &mut state);
    assert_eq!(
        block_on(luat::prepare(&mut c, &BearerConfig::default())),
        Err(FlowError::Firmware(408))
    );
}

#[test]
fn property_post_json_and_reply() {
    // The Quectel note's message, byte for byte (133 bytes).
    let json = flow::property_post_json(
        1681363292898,
        r#"{"Temp":23.9,"Humi":69,"mlux":825,"LightStatus":1}"#,
    )
    .unwrap();
    assert_eq!(
        json.as_str(),
        r#"{"id":1681363292898,"params":{"Temp":23.9,"Humi":69,"mlux":825,"LightStatus":1},"version":"1.0","method":"thing.event.property.post"}"#
    );
    assert_eq!(json.len(), 133);
    let r = flow::parse_post_reply(br#"{"code":200,"data":{},"id":"1681363292898","message":"success","method":"thing.event.property.post","version":"1.0"}"#).unwrap();
    assert_eq!((r.id, r.code, r.message), ("1681363292898", 200, "success"));
    assert_eq!(r.method, Some("thing.event.property.post"));
    let e = flow::parse_post_reply(
        br#"{"code":6813,"data":{},"id":"7","message":"The format of result is error!"}"#,
    )
    .unwrap_err();
    assert!(matches!(
        e,
        atmodem::aliyun::ReplyError::Platform { code: 6813, .. }
    ));
}

#[test]
fn flow_errors_keep_secrets_out_of_debug() {
    // A device from a registration: its secret never shows in Debug.
    let reply = r#"{"code":200,"data":{"deviceName":"862991419835241","deviceSecret":"mRMyB50qafv74A5FofvhxZ2h9iTL9wX7","productKey":"b1KCi45LcCP"},"message":"success"}"#;
    let mut state: State = State::new();
    let mut c: L = Client::new(
        SimModem::new(&luat_register_script(reply)).unwrap(),
        InstantDelay,
        &mut state,
    );
    let mut buf = [0u8; 256];
    let timing = HttpTiming {
        body_input_secs: 20,
        ..HttpTiming::default()
    };
    let d = block_on(flow::https_register(
        &mut c,
        &registration(),
        timing,
        &mut buf,
    ))
    .unwrap();
    assert_eq!(d.device_secret.expose(), "mRMyB50qafv74A5FofvhxZ2h9iTL9wX7");
    assert!(!format!("{d:?}").contains("mRMyB50"));
}

#[test]
fn luat_baud_sync_retries_at_until_ok() {
    // The first `AT` only produces noise while the module finds the baud rate.
    let script = ">> AT\n<<| \"\\u00ff\\u00fe\"\n>> AT\n<< OK\n>> AT+CGMR\n<< +CGMR: \"AirM2M_Air724UG_V409_LTE_AT\"\n<< OK\n>> AT+CGATT?\n<< +CGATT: 1\n<< OK\n>> AT+SAPBR=3,1,\"CONTYPE\",\"GPRS\"\n<< OK\n>> AT+SAPBR=3,1,\"APN\",\"\"\n<< OK\n>> AT+SAPBR=1,1\n<< OK\n";
    let mut state: State = State::new();
    let mut c: L = Client::new(SimModem::new(script).unwrap(), InstantDelay, &mut state);
    assert_eq!(
        block_on(luat::prepare(&mut c, &BearerConfig::default())),
        Ok(409)
    );
    assert!(c.transport().is_done());
}

#[test]
fn a_stored_aliauth_triple_is_fine_for_an_aliauth_login() {
    // The module would sign with its stored triple, which is what an aliauth login asks for:
    // the check passes and the login's own triple is written next.
    let script =
        ">> AT+QMTCFG=\"aliauth\",0\n<< +QMTCFG: \"aliauth\",\"pk\",\"dn\",\"ds\"\n<< OK\n";
    let mut c = q(script);
    let login = quectel::aliauth_login(
        "i2uqc2dloOl",
        "device001",
        "c4fa40df9c8078073d75a26be2bc8f58",
        "device001",
    )
    .unwrap();
    block_on(quectel::check_aliauth(
        &mut c,
        &MqttSession::new("h", 1883, login),
    ))
    .unwrap();
    assert!(c.transport().is_done());
}

#[test]
fn an_invalid_aliauth_triple_sends_nothing() {
    // A device secret is letters and digits; a quote would end the AT command's string. A
    // client id may not hold `|` (the delimiter of Aliyun's client id extension).
    use atmodem::aliyun::{Error, Field, Problem};
    let e = quectel::aliauth_login("i2uqc2dloOl", "device001", "c4fa\"40df", "device001");
    assert_eq!(
        e.unwrap_err(),
        Error::invalid(Field::DeviceSecret, Problem::BadCharacter)
    );
    let e = quectel::aliauth_login("i2uqc2dloOl", "device001", "c4fa40df", "dev|ice");
    assert_eq!(
        e.unwrap_err(),
        Error::invalid(Field::ClientId, Problem::BadCharacter)
    );
}

/// One error type across the crate: the client's, the credential builders', the thing
/// model's and OTA's errors all convert into `FlowError`, so an application uses `?` on
/// each of them.
#[test]
fn question_mark_works_across_client_credentials_thing_and_ota() {
    use atmodem::aliyun::ota::UpgradeNotice;
    use atmodem::aliyun::thing::ThingError;

    fn app(
        c: &mut Q,
        payload: &[u8],
    ) -> Result<u32, FlowError<<SimModem as embedded_io::ErrorType>::Error>> {
        DeviceSecretLogin::new(
            "i2uqc2dloOl",
            "device001",
            "c4fa40df9c8078073d75a26be2bc8f58",
        )
        .build()?;
        block_on(c.send(&atmodem::dialects::common::Csq))?;
        let notice = UpgradeNotice::parse(payload)?;
        Ok(notice.firmware.size)
    }

    let script = ">> AT+CSQ\n<< +CSQ: 20,99\n<< OK\n";
    let e = app(&mut q(script), b"not json").unwrap_err();
    assert!(matches!(e, FlowError::Thing(ThingError::Ota(_))), "{e:?}");
    let e = app(&mut q(">> AT+CSQ\n<< ERROR\n"), b"{}").unwrap_err();
    assert!(matches!(e, FlowError::Modem(_)), "{e:?}");
}

/// The registration logins declare TLS (`securemode=2` for `register`, `-2` for `regnwl` on an
/// instance, as the Quectel note's client ids show): a session without an SSL context is
/// refused before anything is sent; with one it is built.
#[test]
fn a_registration_session_needs_tls() {
    use atmodem::aliyun::{AuthType, Error, Field, MqttRegistration, Problem, SecureMode};
    let reg = MqttRegistration::new("i2uq9ORmOSM", "Kit001", "cSsjZJ19qkGDLvwR", "123")
        .auth_type(AuthType::Regnwl)
        .client_id("Kit001")
        .sign_method(SignMethod::HmacSha1)
        .instance_id("iot-06z00hxss3rggno")
        .build()
        .unwrap();
    assert!(reg.client_id().contains("|securemode=-2,"));
    assert_eq!(reg.secure_mode(), Some(SecureMode::TlsInstance));
    assert_eq!(
        flow::session("h", 1883, &reg, None).unwrap_err(),
        Error::invalid(Field::SecureMode, Problem::Mismatch)
    );
    assert_eq!(
        flow::session("h", 1883, &reg, Some(2)).unwrap().tls,
        Some(2)
    );
}
