//! Every validation rule at its boundaries, and the field each builder reports.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use atmodem::aliyun::{
    AuthType, DeviceSecretLogin, Error, Field, HttpChannelAuth, HttpsDeviceAuth, HttpsRegistration,
    MqttEndpoint, MqttRegistration, Problem, SecureMode, SignMethod, TlsPsk, connwl_login,
    token_login, user_topic, validate,
};

type Rule = fn(&str) -> Result<(), Error>;

fn rep(c: char, n: usize) -> String {
    std::iter::repeat_n(c, n).collect()
}

/// Runs a table: `None` = accepted, `Some(problem)` = refused on `field` with `problem`.
fn table(rule: Rule, field: Field, cases: &[(&str, Option<Problem>)]) {
    for (value, want) in cases {
        let got = rule(value);
        match want {
            None => assert_eq!(got, Ok(()), "{field}: {value:?} should pass"),
            Some(p) => assert_eq!(
                got,
                Err(Error::Invalid { field, problem: *p }),
                "{field}: {value:?}"
            ),
        }
    }
}

use Problem::{BadCharacter as Bad, Empty, TooLong as Long, TooShort as Short};

#[test]
fn product_key_rule() {
    let p20 = rep('a', 20);
    let p21 = rep('a', 21);
    table(
        validate::product_key,
        Field::ProductKey,
        &[
            ("", Some(Empty)),
            ("a", None),
            ("b1KCi45LcCP", None),
            (&p20, None),
            (&p21, Some(Long)),
            ("b1KCi45LcC-", Some(Bad)),
            ("b1KCi45LcC_", Some(Bad)),
            ("b1KCi 45LcC", Some(Bad)),
            ("b1KCi45LcCé", Some(Bad)),
        ],
    );
}

#[test]
fn device_name_rule() {
    let n32 = rep('d', 32);
    let n33 = rep('d', 33);
    table(
        validate::device_name,
        Field::DeviceName,
        &[
            ("", Some(Empty)),
            ("abc", Some(Short)),
            ("abcd", None),
            ("a_.@:-Z9", None),
            ("862991419835241", None),
            (&n32, None),
            (&n33, Some(Long)),
            ("dev/1", Some(Bad)),
            ("dev 1", Some(Bad)),
            ("dev&1", Some(Bad)),
            ("dev|1", Some(Bad)),
            ("设备0001", Some(Bad)),
            ("abc\n", Some(Bad)),
        ],
    );
}

#[test]
fn secret_rules() {
    let s64 = rep('S', 64);
    let s65 = rep('S', 65);
    for (rule, field) in [
        (validate::device_secret as Rule, Field::DeviceSecret),
        (validate::product_secret as Rule, Field::ProductSecret),
    ] {
        table(
            rule,
            field,
            &[
                ("", Some(Empty)),
                ("x", None),
                ("VWll9fiYWKiwraBk", None),
                (&s64, None),
                (&s65, Some(Long)),
                ("abc-def", Some(Bad)),
                ("abc def", Some(Bad)),
                ("abcdéf", Some(Bad)),
            ],
        );
    }
}

#[test]
fn client_id_rule() {
    let c64 = rep('c', 64);
    let c65 = rep('c', 65);
    table(
        validate::client_id,
        Field::ClientId,
        &[
            ("", Some(Empty)),
            ("1", None),
            ("SN1928339", None),
            ("i2uqc2dloOl.device001", None),
            ("a!#$%&'()*+-./:;<>?@[]^_`{}~", None),
            // No AT encoder can send a quote; Luat decodes a backslash as an escape.
            ("a\"b", Some(Bad)),
            ("a\\22b", Some(Bad)),
            (&c64, None),
            (&c65, Some(Long)),
            ("a|b", Some(Bad)),
            ("a,b", Some(Bad)),
            ("a=b", Some(Bad)),
            ("a b", Some(Bad)),
            ("a\tb", Some(Bad)),
            ("a\u{7f}", Some(Bad)),
            ("客户端", Some(Bad)),
        ],
    );
}

#[test]
fn random_rule() {
    let r64 = rep('7', 64);
    let r65 = rep('7', 65);
    table(
        validate::random,
        Field::Random,
        &[
            ("", Some(Empty)),
            ("0", None),
            ("123", None),
            ("8Ygb7ULYh53B6OA", None),
            (&r64, None),
            (&r65, Some(Long)),
            ("-1", Some(Bad)),
            ("12 3", Some(Bad)),
            ("１２３", Some(Bad)),
        ],
    );
}

#[test]
fn timestamp_rule() {
    let t20 = rep('9', 20);
    let t21 = rep('9', 21);
    table(
        validate::timestamp,
        Field::Timestamp,
        &[
            ("", Some(Empty)),
            ("0", None),
            ("1680937625134", None),
            ("2524608000000", None),
            (&t20, None),
            (&t21, Some(Long)),
            ("-1", Some(Bad)),
            ("1.5", Some(Bad)),
            ("0x10", Some(Bad)),
            (" 1", Some(Bad)),
            ("１２", Some(Bad)),
            ("1٣", Some(Bad)),
        ],
    );
}

#[test]
fn instance_id_rule() {
    let i63 = rep('i', 63);
    let i64_ = rep('i', 64);
    table(
        validate::instance_id,
        Field::InstanceId,
        &[
            ("", Some(Empty)),
            ("i", None),
            ("iot-06z00hxss3rggno", None),
            ("iot-cn-2r42abcd", None),
            (&i63, None),
            (&i64_, Some(Long)),
            ("-iot", Some(Bad)),
            ("iot-", Some(Bad)),
            ("iot.06z", Some(Bad)),
            ("iot_06z", Some(Bad)),
            ("iot 06z", Some(Bad)),
            ("iot-é", Some(Bad)),
            ("IOT-06Z", None),
        ],
    );
}

#[test]
fn region_rule() {
    let r32 = format!("a{}", rep('b', 31));
    let r33 = format!("a{}", rep('b', 32));
    table(
        validate::region,
        Field::Region,
        &[
            ("", Some(Empty)),
            ("a", None),
            ("cn-shanghai", None),
            ("ap-southeast-1", None),
            ("us-west-1", None),
            (&r32, None),
            (&r33, Some(Long)),
            ("CN-shanghai", Some(Bad)),
            ("1cn", Some(Bad)),
            ("-cn", Some(Bad)),
            ("cn-", Some(Bad)),
            ("cn.shanghai", Some(Bad)),
            ("cn_shanghai", Some(Bad)),
            ("cn-shanghaï", Some(Bad)),
            ("cn shanghai", Some(Bad)),
        ],
    );
}

#[test]
fn token_rules() {
    let t128 = rep('t', 128);
    let t129 = rep('t', 129);
    for (rule, field) in [
        (validate::device_token as Rule, Field::DeviceToken),
        (validate::iot_token as Rule, Field::IotToken),
        (validate::http_token as Rule, Field::Token),
    ] {
        table(
            rule,
            field,
            &[
                ("", Some(Empty)),
                ("^1^1681709523062^c5cce0a49b03685", None),
                ("425656f625b64560a4bff2a0f16946a3", None),
                (&t128, None),
                (&t129, Some(Long)),
                ("a\"b", Some(Bad)),
                ("a\\b", Some(Bad)),
                ("a b", Some(Bad)),
                ("a\tb", Some(Bad)),
                ("令牌", Some(Bad)),
            ],
        );
    }
    let i64_ = rep('t', 64);
    let i65 = rep('t', 65);
    table(
        validate::iot_id,
        Field::IotId,
        &[
            ("", Some(Empty)),
            ("PbUqGh2URAJ1AtNyyd7X00107ceb00", None),
            (&i64_, None),
            (&i65, Some(Long)),
            ("a\"b", Some(Bad)),
            ("a\\b", Some(Bad)),
            ("a b", Some(Bad)),
            ("标识", Some(Bad)),
        ],
    );
}

#[test]
fn version_resources_host_rules() {
    let v16 = rep('v', 16);
    let v17 = rep('v', 17);
    table(
        validate::version,
        Field::Version,
        &[
            ("", Some(Empty)),
            ("default", None),
            ("1.0-beta_2", None),
            (&v16, None),
            (&v17, Some(Long)),
            ("a&b", Some(Bad)),
            ("a,b", Some(Bad)),
            ("a b", Some(Bad)),
            ("défaut", Some(Bad)),
        ],
    );
    let r32 = rep('r', 32);
    let r33 = rep('r', 33);
    table(
        validate::resources,
        Field::Resources,
        &[
            ("", Some(Empty)),
            ("mqtt", None),
            ("mqtt,codec", None),
            (&r32, None),
            (&r33, Some(Long)),
            ("mqtt&x=1", Some(Bad)),
            ("mqtt codec", Some(Bad)),
            ("mqtté", Some(Bad)),
        ],
    );
    let h128 = rep('h', 128);
    let h129 = rep('h', 129);
    table(
        validate::host,
        Field::Host,
        &[
            ("", Some(Empty)),
            ("public.iot-as-mqtt.cn-shanghai.aliyuncs.com", None),
            ("10.0.0.1", None),
            (&h128, None),
            (&h129, Some(Long)),
            ("host:1883", Some(Bad)),
            ("a b", Some(Bad)),
            ("h/x", Some(Bad)),
            ("主机.cn", Some(Bad)),
        ],
    );
}

#[test]
fn topic_name_rule() {
    let n64 = rep('n', 64);
    let n65 = rep('n', 65);
    table(
        validate::topic_name,
        Field::Topic,
        &[
            ("", Some(Empty)),
            ("get", None),
            ("update/error", None),
            ("a_b/C9", None),
            ("+", None),
            ("+/x", None),
            ("#", None),
            ("x/#", None),
            (&n64, None),
            (&n65, Some(Long)),
            ("/get", Some(Bad)),
            ("get/", Some(Bad)),
            ("a//b", Some(Bad)),
            ("#/x", Some(Bad)),
            ("a+", Some(Bad)),
            ("a#", Some(Bad)),
            ("a-b", Some(Bad)),
            ("a b", Some(Bad)),
            ("更新", Some(Bad)),
        ],
    );
    assert_eq!(
        user_topic("pk", "dev1", "a//b").unwrap_err().field(),
        Some(Field::Topic)
    );
}

#[test]
fn field_names_are_aliyuns() {
    let names = [
        (Field::ProductKey, "productKey"),
        (Field::DeviceName, "deviceName"),
        (Field::DeviceSecret, "deviceSecret"),
        (Field::ProductSecret, "productSecret"),
        (Field::ClientId, "clientId"),
        (Field::Random, "random"),
        (Field::Timestamp, "timestamp"),
        (Field::InstanceId, "instanceId"),
        (Field::Region, "region"),
        (Field::SignMethod, "signmethod"),
        (Field::SignMethodRegister, "signMethod"),
        (Field::SecureMode, "securemode"),
        (Field::AuthType, "authType"),
        (Field::DeviceToken, "deviceToken"),
        (Field::IotId, "iotId"),
        (Field::IotToken, "iotToken"),
        (Field::Token, "token"),
        (Field::Version, "version"),
        (Field::Resources, "resources"),
        (Field::Host, "host"),
        (Field::Port, "port"),
        (Field::Topic, "topic"),
        (Field::Code, "code"),
    ];
    for (field, name) in names {
        assert_eq!(field.name(), name);
        assert_eq!(field.to_string(), name);
    }
    let e = Error::invalid(Field::DeviceName, Problem::TooShort);
    assert_eq!(e.to_string(), "invalid deviceName: too short");
    assert_eq!(e.field(), Some(Field::DeviceName));
}

#[test]
fn sign_method_names() {
    for (text, m) in [
        ("hmacmd5", SignMethod::HmacMd5),
        ("HmacMD5", SignMethod::HmacMd5),
        ("HMACMD5", SignMethod::HmacMd5),
        ("hmacsha1", SignMethod::HmacSha1),
        ("HmacSHA1", SignMethod::HmacSha1),
        ("hmacsha256", SignMethod::HmacSha256),
        ("HmacSha256", SignMethod::HmacSha256),
    ] {
        assert_eq!(SignMethod::parse(text), Ok(m), "{text}");
        assert_eq!(text.parse::<SignMethod>(), Ok(m));
    }
    for text in [
        "",
        "md5",
        "hmac-sha1",
        "hmacsha512",
        " hmacsha1",
        "hmacsha1 ",
    ] {
        assert_eq!(
            SignMethod::parse(text),
            Err(Error::invalid(Field::SignMethod, Problem::Unknown)),
            "{text:?}"
        );
    }
    assert_eq!(SignMethod::HmacMd5.wire_name(), "hmacmd5");
    assert_eq!(SignMethod::HmacSha1.to_string(), "hmacsha1");
    assert_eq!(SignMethod::HmacSha256.hex_len(), 64);
    assert_eq!(AuthType::parse("regnwl"), Ok(AuthType::Regnwl));
    assert_eq!(
        AuthType::parse("connwl"),
        Err(Error::invalid(Field::AuthType, Problem::Unknown))
    );
    assert_eq!(SecureMode::from_value(-2), Ok(SecureMode::TlsInstance));
    for v in [-1, 0, 1, 4, 8] {
        assert_eq!(
            SecureMode::from_value(v),
            Err(Error::invalid(Field::SecureMode, Problem::Unknown))
        );
    }
}

const PK: &str = "i2uqc2dloOl";
const DN: &str = "device001";
const DS: &str = "c4fa40df9c8078073d75a26be2bc8f58";

fn field_of<T: std::fmt::Debug>(r: Result<T, Error>) -> Field {
    r.unwrap_err().field().expect("a validation error")
}

#[test]
fn builders_name_the_bad_field() {
    let login = |pk, dn, ds| DeviceSecretLogin::new(pk, dn, ds);
    assert_eq!(field_of(login("", DN, DS).build()), Field::ProductKey);
    assert_eq!(field_of(login(PK, "dev", DS).build()), Field::DeviceName);
    assert_eq!(field_of(login(PK, DN, "").build()), Field::DeviceSecret);
    assert_eq!(
        field_of(login(PK, DN, DS).client_id("a|b").build()),
        Field::ClientId
    );
    assert_eq!(
        field_of(login(PK, DN, DS).timestamp("16809x").build()),
        Field::Timestamp
    );
    assert_eq!(
        field_of(login(PK, "dev", DS).sign_content()),
        Field::DeviceName
    );

    let reg = |ps, r| MqttRegistration::new(PK, DN, ps, r);
    assert_eq!(field_of(reg("", "1").build()), Field::ProductSecret);
    assert_eq!(field_of(reg("ps", "").build()), Field::Random);
    assert_eq!(
        field_of(reg("ps", "1").instance_id("iot_x").build()),
        Field::InstanceId
    );

    let https = |r| HttpsRegistration::new(PK, DN, "ps", "1").region(r);
    assert_eq!(field_of(https("CN").build()), Field::Region);
    assert_eq!(
        field_of(https("cn-shanghai").sign_method_spelling("md5").build()),
        Field::SignMethodRegister
    );

    let auth = HttpsDeviceAuth::new(PK, DN, DS);
    assert_eq!(field_of(auth.version("a&b").build()), Field::Version);
    assert_eq!(field_of(auth.resources("").build()), Field::Resources);
    assert_eq!(field_of(auth.region("").build()), Field::Region);
    assert_eq!(
        field_of(HttpChannelAuth::new(PK, "x", DS).build()),
        Field::DeviceName
    );
    assert_eq!(
        field_of(TlsPsk::new(PK, DN, DS).timestamp("").build()),
        Field::Timestamp
    );
    assert_eq!(
        field_of(connwl_login(PK, DN, "cid", "bad token").map(|_| ())),
        Field::DeviceToken
    );
    assert_eq!(
        field_of(token_login("cid", "", "tok").map(|_| ())),
        Field::IotId
    );
    assert_eq!(
        field_of(MqttEndpoint::Instance { instance_id: "-x" }.host()),
        Field::InstanceId
    );
}

#[test]
fn secure_mode_per_flow() {
    // One-device-one-secret: 2 or 3.
    let login = DeviceSecretLogin::new(PK, DN, DS);
    assert!(login.secure_mode(SecureMode::Tcp).build().is_ok());
    assert_eq!(
        login
            .secure_mode(SecureMode::TlsInstance)
            .build()
            .unwrap_err(),
        Error::invalid(Field::SecureMode, Problem::NotAllowed)
    );
    // Registration: TLS only (2 or -2).
    let reg = MqttRegistration::new(PK, DN, "ps", "1");
    assert!(reg.secure_mode(SecureMode::TlsInstance).build().is_ok());
    assert_eq!(
        reg.secure_mode(SecureMode::Tcp).build().unwrap_err(),
        Error::invalid(Field::SecureMode, Problem::NotAllowed)
    );
    assert_eq!(reg.effective_secure_mode(), SecureMode::Tls);
    assert_eq!(
        reg.auth_type(AuthType::Regnwl).effective_secure_mode(),
        SecureMode::TlsInstance
    );
}

#[test]
fn signmethod_may_be_omitted_only_for_md5() {
    let auth = HttpsDeviceAuth::new(PK, DN, DS).send_sign_method(false);
    assert_eq!(
        auth.sign_method(SignMethod::HmacSha1).build().unwrap_err(),
        Error::invalid(Field::SignMethod, Problem::NotAllowed)
    );
    assert_eq!(
        auth.sign_method(SignMethod::HmacSha256)
            .build()
            .unwrap_err(),
        Error::invalid(Field::SignMethod, Problem::NotAllowed)
    );
    if SignMethod::HmacMd5.is_enabled() {
        let body = auth.sign_method(SignMethod::HmacMd5).build().unwrap();
        assert!(!body.body().expose().contains("signmethod"));
    }
}

#[test]
fn register_spelling_must_name_the_method() {
    let r = HttpsRegistration::new(PK, DN, "ps", "1").sign_method(SignMethod::HmacSha256);
    assert!(r.sign_method_spelling("HMACSHA256").build().is_ok());
    assert_eq!(
        r.sign_method_spelling("HmacSHA1").build().unwrap_err(),
        Error::invalid(Field::SignMethodRegister, Problem::Mismatch)
    );
    assert_eq!(
        r.sign_method_spelling("sha256").build().unwrap_err(),
        Error::invalid(Field::SignMethodRegister, Problem::Unknown)
    );
}

#[test]
fn default_client_id_is_pk_dot_dn() {
    let c = DeviceSecretLogin::new(PK, DN, DS).build().unwrap();
    assert_eq!(
        c.client_id(),
        "i2uqc2dloOl.device001|securemode=2,signmethod=hmacsha256|"
    );
    // A 20-char productKey and a 32-char deviceName still make a valid default (53 chars).
    let pk = rep('P', 20);
    let dn = rep('d', 32);
    let c = MqttRegistration::new(&pk, &dn, "ps", "1").build().unwrap();
    assert!(c.client_id().starts_with(&format!("{pk}.{dn}|")));
}
