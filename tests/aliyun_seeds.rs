//! The Aliyun exchanges of the two application notes (Luat Air72x, Quectel), byte for byte.
//!
//! Expected strings are copied by hand from the notes, with their OCR errors corrected
//! (see the comments); every sign was re-computed with Python's `hmac` module.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use atmodem::aliyun::{
    AuthType, DeviceSecretLogin, HttpsDeviceAuth, HttpsRegistration, MqttEndpoint,
    MqttRegistration, SignMethod, connwl_login, endpoint, parse_auth_reply, parse_register_payload,
    parse_register_reply, parse_regnwl_payload, property_post_reply_topic, property_post_topic,
    register_url, token_login, user_topic,
};

// ---- Luat note: HTTPS dynamic registration (HmacMD5) -------------------------------------

/// The note prints `VWII9fiYWKiwraBk`; only `VWll...` (two lower-case L) gives its sign.
const LUAT_PRODUCT_SECRET: &str = "VWll9fiYWKiwraBk";
const LUAT_PK: &str = "b1KCi45LcCP";
const LUAT_DN: &str = "862991419835241";
/// The deviceSecret returned by HTTPREAD (the later copy with `vvhx` is a typo).
const LUAT_DEVICE_SECRET: &str = "mRMyB50qafv74A5FofvhxZ2h9iTL9wX7";

#[test]
fn luat_https_register_body_is_the_notes_120_bytes() {
    let b = HttpsRegistration::new(LUAT_PK, LUAT_DN, LUAT_PRODUCT_SECRET, "123456")
        .sign_method(SignMethod::HmacMd5)
        .sign_method_spelling("HmacMD5");
    assert_eq!(
        b.sign_content().unwrap().as_str(),
        "deviceName862991419835241productKeyb1KCi45LcCPrandom123456"
    );
    let r = b.build().unwrap();
    assert_eq!(r.sign().expose(), "1770d38260cc980dbc4337ed7fe1e8de");
    let body = "productKey=b1KCi45LcCP&deviceName=862991419835241&random=123456&sign=1770d38260cc980dbc4337ed7fe1e8de&signMethod=HmacMD5";
    assert_eq!(r.body().expose(), body);
    assert_eq!(r.body().len(), 120); // AT+HTTPDATA=120,20000
    assert_eq!(
        r.url().unwrap().as_str(),
        "https://iot-auth.cn-shanghai.aliyuncs.com/auth/register/device"
    );
    assert_eq!(r.content_type(), "application/x-www-form-urlencoded");
    assert_eq!(r.method(), "POST");
}

#[test]
fn luat_https_register_reply_gives_the_device_secret() {
    let body = br#"{"code":200,"data":{"deviceName":"862991419835241","deviceSecret":"mRMyB50qafv74A5FofvhxZ2h9iTL9wX7","productKey":"b1KCi45LcCP"},"message":"success"}"#;
    assert_eq!(body.len(), 149); // +HTTPREAD: 149
    let reply = parse_register_reply(body).unwrap();
    assert_eq!(reply.device_secret.expose(), LUAT_DEVICE_SECRET);
    assert_eq!(reply.product_key, LUAT_PK);
    assert_eq!(reply.device_name, LUAT_DN);
}

#[test]
fn luat_auth_devicename_body_is_the_notes_112_bytes() {
    // The note's body wraps `clientId=86299141983` / `5241`: one token.
    let b = HttpsDeviceAuth::new(LUAT_PK, LUAT_DN, LUAT_DEVICE_SECRET)
        .client_id(LUAT_DN)
        .sign_method(SignMethod::HmacMd5)
        .send_sign_method(false);
    assert_eq!(
        b.sign_content().unwrap().as_str(),
        "clientId862991419835241deviceName862991419835241productKeyb1KCi45LcCP"
    );
    let r = b.build().unwrap();
    assert_eq!(r.sign().expose(), "70e7bb641d7566ad26a305dd20e8e261");
    let body = "productKey=b1KCi45LcCP&sign=70e7bb641d7566ad26a305dd20e8e261&clientId=862991419835241&deviceName=862991419835241";
    assert_eq!(r.body().expose(), body);
    assert_eq!(r.body().len(), 112); // AT+HTTPDATA=112,20000
    assert_eq!(
        r.url().unwrap().as_str(),
        "https://iot-auth.cn-shanghai.aliyuncs.com/auth/devicename"
    );
}

#[test]
fn luat_auth_reply_then_mqtt_login() {
    // As printed (`deviceId`, 131 bytes) and as sent (`iotId`, the announced 128 bytes).
    let printed = br#"{"code":200,"data":{"deviceId":"PbUqGh2URAJ1AtNyyd7X00107ceb00","iotToken":"425656f625b64560a4bff2a0f16946a3"},"message":"success"}"#;
    let sent = br#"{"code":200,"data":{"iotId":"PbUqGh2URAJ1AtNyyd7X00107ceb00","iotToken":"425656f625b64560a4bff2a0f16946a3"},"message":"success"}"#;
    assert_eq!(sent.len(), 128); // +HTTPREAD: 128
    for body in [&printed[..], &sent[..]] {
        let reply = parse_auth_reply(body).unwrap();
        assert_eq!(reply.iot_id, "PbUqGh2URAJ1AtNyyd7X00107ceb00");
        assert_eq!(reply.iot_token.expose(), "425656f625b64560a4bff2a0f16946a3");
        assert!(reply.mqtt.is_none());
        // AT+MCONFIG="862991419835241","PbUqGh2URAJ1AtNyyd7X00107ceb00","425656f625b64560a4bff2a0f16946a3"
        let c = reply.login(LUAT_DN).unwrap();
        assert_eq!(c.client_id(), "862991419835241");
        assert_eq!(c.username(), "PbUqGh2URAJ1AtNyyd7X00107ceb00");
        assert_eq!(c.password().expose(), "425656f625b64560a4bff2a0f16946a3");
    }
    let c = token_login(
        LUAT_DN,
        "PbUqGh2URAJ1AtNyyd7X00107ceb00",
        "425656f625b64560a4bff2a0f16946a3",
    )
    .unwrap();
    assert_eq!(c.client_id(), "862991419835241");
}

#[test]
fn luat_broker_and_topics() {
    // AT+SSLMIPSTART="b1KCi45LcCP.iot-as-mqtt.cn-shanghai.aliyuncs.com",1883
    let ep = MqttEndpoint::Public {
        product_key: LUAT_PK,
        region: "cn-shanghai",
    };
    assert_eq!(
        ep.host().unwrap().as_str(),
        "b1KCi45LcCP.iot-as-mqtt.cn-shanghai.aliyuncs.com"
    );
    assert!(ep.tls_ports().contains(&1883));
    // AT+MSUB="/b1KCi45LcCP/862991419835241/user/get",0 and the MPUB topic (the note's
    // stray space after the first `/` is a typo).
    assert_eq!(
        user_topic(LUAT_PK, LUAT_DN, "get").unwrap().as_str(),
        "/b1KCi45LcCP/862991419835241/user/get"
    );
    assert_eq!(
        user_topic(LUAT_PK, LUAT_DN, "update").unwrap().as_str(),
        "/b1KCi45LcCP/862991419835241/user/update"
    );
    assert_eq!(
        user_topic("a1mxL3s6Z7m", "866714043075174", "update/error")
            .unwrap()
            .as_str(),
        "/a1mxL3s6Z7m/866714043075174/user/update/error"
    );
}

// ---- Quectel note: one device one secret ---------------------------------------------------

/// The product key is `i2uqc2dloOl` (lower-case L at the end); the note's QMTSUB line has
/// a capital I, an OCR error.
const Q_PK: &str = "i2uqc2dloOl";
const Q_DS: &str = "c4fa40df9c8078073d75a26be2bc8f58";

#[test]
fn quectel_device_secret_login_ts_1680937625134() {
    let b = DeviceSecretLogin::new(Q_PK, "device001", Q_DS).timestamp("1680937625134");
    let c = b.build().unwrap();
    // The note loses the `|` characters to OCR (printed as spaces).
    assert_eq!(
        c.client_id(),
        "i2uqc2dloOl.device001|securemode=2,signmethod=hmacsha256,timestamp=1680937625134|"
    );
    assert_eq!(c.username(), "device001&i2uqc2dloOl");
    // The note masks the last two characters as `**`.
    let printed = "0309b31761c30d24d37a25558c5604de308c92eb6ac8656a1981f85783fb23";
    assert!(c.password().expose().starts_with(printed));
    assert_eq!(
        c.password().expose(),
        "0309b31761c30d24d37a25558c5604de308c92eb6ac8656a1981f85783fb23db"
    );
    assert_eq!(
        b.sign_content().unwrap().as_str(),
        "clientIdi2uqc2dloOl.device001deviceNamedevice001productKeyi2uqc2dloOltimestamp1680937625134"
    );
}

#[test]
fn quectel_device_secret_login_ts_1680681252365() {
    let c = DeviceSecretLogin::new(Q_PK, "device001", Q_DS)
        .client_id("i2uqc2dloOl.device001")
        .sign_method(SignMethod::HmacSha256)
        .timestamp("1680681252365")
        .build()
        .unwrap();
    assert_eq!(
        c.client_id(),
        "i2uqc2dloOl.device001|securemode=2,signmethod=hmacsha256,timestamp=1680681252365|"
    );
    // The console screenshot cuts the password after `...ea2a`.
    let printed = "1fffbf92807404367e759b11ccac016179cdbddfdf96461df944266ea2a";
    assert!(c.password().expose().starts_with(printed));
    assert_eq!(
        c.password().expose(),
        "1fffbf92807404367e759b11ccac016179cdbddfdf96461df944266ea2a9de4e"
    );
}

#[test]
fn quectel_broker_and_thing_topics() {
    // AT+QMTOPEN=0,"iot-06z00hxss3rggno.mqtt.iothub.aliyuncs.com",1883 with ssl on.
    let ep = MqttEndpoint::Instance {
        instance_id: "iot-06z00hxss3rggno",
    };
    assert_eq!(
        ep.host().unwrap().as_str(),
        "iot-06z00hxss3rggno.mqtt.iothub.aliyuncs.com"
    );
    assert!(ep.tls_ports().contains(&1883));
    assert_eq!(
        property_post_topic(Q_PK, "device001").unwrap().as_str(),
        "/sys/i2uqc2dloOl/device001/thing/event/property/post"
    );
    assert_eq!(
        property_post_reply_topic(Q_PK, "device001")
            .unwrap()
            .as_str(),
        "/sys/i2uqc2dloOl/device001/thing/event/property/post_reply"
    );
}

// ---- Quectel note: one product one secret ------------------------------------------------

#[test]
fn quectel_mqtt_register() {
    // The note masks the product secret as `xTzMxVmm9HUY19**`.
    let b = MqttRegistration::new("i2uqZnX9tZK", "meter001", "xTzMxVmm9HUY19Pr", "123")
        .client_id("864430010001091")
        .sign_method(SignMethod::HmacSha1)
        .instance_id("iot-06z00hxss3rggno");
    assert_eq!(
        b.sign_content().unwrap().as_str(),
        "deviceNamemeter001productKeyi2uqZnX9tZKrandom123"
    );
    assert_eq!(b.reply_topic(), "/ext/register");
    let c = b.build().unwrap();
    assert_eq!(
        c.client_id(),
        "864430010001091|securemode=2,authType=register,random=123,signmethod=hmacsha1,instanceId=iot-06z00hxss3rggno|"
    );
    assert_eq!(c.username(), "meter001&i2uqZnX9tZK");
    assert_eq!(
        c.password().expose(),
        "25f4b80c3fab2ed6e41644a38f2c5b67eac1b505"
    );

    // +QMTRECV: 0,0,"/ext/register","{...}"
    let payload = br#"{"deviceSecret":"d2a03b64a5e06b051f481136668133cf","productKey":"i2uqZnX9tZK","deviceName":"meter001"}"#;
    let reply = parse_register_payload(payload).unwrap();
    assert_eq!(
        reply.device_secret.expose(),
        "d2a03b64a5e06b051f481136668133cf"
    );
    assert_eq!(reply.product_key, "i2uqZnX9tZK");
    assert_eq!(reply.device_name, "meter001");
    // The follow-up login uses the new secret (the note lets the module sign it via aliauth).
    let login = reply.login().build().unwrap();
    assert_eq!(login.username(), "meter001&i2uqZnX9tZK");
}

#[test]
fn quectel_mqtt_regnwl_then_connwl() {
    let b = MqttRegistration::new("i2uq9ORmOSM", "Kit001", "cSsjZJ19qkGDLvwR", "123")
        .auth_type(AuthType::Regnwl)
        .client_id("Kit001")
        .sign_method(SignMethod::HmacSha1)
        .instance_id("iot-06z00hxss3rggno");
    assert_eq!(
        b.sign_content().unwrap().as_str(),
        "deviceNameKit001productKeyi2uq9ORmOSMrandom123"
    );
    assert_eq!(b.reply_topic(), "/ext/regnwl");
    let c = b.build().unwrap();
    assert_eq!(
        c.client_id(),
        "Kit001|securemode=-2,authType=regnwl,random=123,signmethod=hmacsha1,instanceId=iot-06z00hxss3rggno|"
    );
    assert_eq!(c.username(), "Kit001&i2uq9ORmOSM");
    assert_eq!(
        c.password().expose(),
        "f9130cc77eff4d4474b28da225509a38e7e78b3a"
    );

    let first = br#"{"clientId":"KzLKNeWyE7SxiWLuPpZQ000100","productKey":"i2uq9ORmOSM","deviceName":"Kit001","deviceToken":"^1^1681709523062^c5cce0a49b03685"}"#;
    let reply = parse_regnwl_payload(first).unwrap();
    assert_eq!(reply.client_id, "KzLKNeWyE7SxiWLuPpZQ000100");
    assert_eq!(reply.product_key, "i2uq9ORmOSM");
    assert_eq!(reply.device_name, "Kit001");
    assert_eq!(
        reply.device_token.expose(),
        "^1^1681709523062^c5cce0a49b03685"
    );

    // Second run in the note, and its AT+QMTCONN line (OCR: `regnw4`, `{ "e clientId"`,
    // and `securemode=-` / `2` split over two lines).
    let second = br#"{"clientId":"IXywJDukE7AKzOsfbvmZ000100","productKey":"i2uq9ORmOSM","deviceName":"Kit001","deviceToken":"^1^1681710731098^563fbcfe8c38f88"}"#;
    let login = parse_regnwl_payload(second).unwrap().login().unwrap();
    assert_eq!(
        login.client_id(),
        "IXywJDukE7AKzOsfbvmZ000100|securemode=-2,authType=connwl|"
    );
    assert_eq!(login.username(), "Kit001&i2uq9ORmOSM");
    assert_eq!(
        login.password().expose(),
        "^1^1681710731098^563fbcfe8c38f88"
    );
    let same = connwl_login(
        "i2uq9ORmOSM",
        "Kit001",
        "IXywJDukE7AKzOsfbvmZ000100",
        "^1^1681710731098^563fbcfe8c38f88",
    )
    .unwrap();
    assert_eq!(same.client_id(), login.client_id());
}

#[test]
fn quectel_https_register_url_and_reply() {
    // AT+QHTTPURL=62,80
    let url = register_url("cn-shanghai").unwrap();
    assert_eq!(
        url.as_str(),
        "https://iot-auth.cn-shanghai.aliyuncs.com/auth/register/device"
    );
    assert_eq!(url.len(), 62);
    assert_eq!(endpoint::HTTPS_PORT, 443);
    // +QHTTPPOST: 0,200,143 then the body on QHTTPREAD (its `me` / `ssage` wrap joined).
    let body = br#"{"code":200,"data":{"deviceName":"device001","deviceSecret":"3c35df4417faf854be8e780536d84c23","productKey":"i2uqzmkZsLG"},"message":"success"}"#;
    assert_eq!(body.len(), 143);
    let reply = parse_register_reply(body).unwrap();
    assert_eq!(
        reply.device_secret.expose(),
        "3c35df4417faf854be8e780536d84c23"
    );
    assert_eq!(reply.product_key, "i2uqzmkZsLG");
    assert_eq!(reply.device_name, "device001");
}

#[test]
fn quectel_https_register_body_shape() {
    // The note's product secret is not printed, so its sign (277969e6...ddff6) cannot be
    // reproduced; the body around the sign is checked with a stand-in secret.
    let r = HttpsRegistration::new("i2uqzmkZsLG", "device001", "stand1in2secret3", "003")
        .sign_method(SignMethod::HmacSha1)
        .build()
        .unwrap();
    let body = r.body().expose();
    assert!(body.starts_with("productKey=i2uqzmkZsLG&deviceName=device001&random=003&sign="));
    assert!(body.ends_with("&signMethod=hmacsha1"));
    assert_eq!(body.len(), 120); // AT+QHTTPPOST=120,120,120
}
