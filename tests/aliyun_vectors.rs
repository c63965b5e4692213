//! Vectors computed independently with Python's `hmac` module and the documented Aliyun
//! formats (`tests/data/aliyun/gen_vectors.py` writes `vectors.json`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use atmodem::aliyun::{
    AuthType, DeviceSecretLogin, HttpChannelAuth, HttpsDeviceAuth, HttpsRegistration,
    MqttRegistration, SecureMode, SignMethod, TlsPsk, hmac_hex,
};
use serde_json::Value;

fn vectors(flow: &str) -> Vec<Value> {
    let all: Value = serde_json::from_str(include_str!("data/aliyun/vectors.json")).unwrap();
    let list = all[flow].as_array().unwrap().clone();
    assert!(!list.is_empty(), "no vectors for {flow}");
    list
}

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} missing in {v}"))
}

fn opt<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v[key].as_str()
}

fn method(v: &Value) -> SignMethod {
    SignMethod::parse(s(v, "sign_method")).unwrap()
}

#[test]
fn primitive_hmac_matches_python() {
    for v in vectors("primitive_hmac") {
        let m = SignMethod::parse(s(&v, "method")).unwrap();
        let got = hmac_hex(m, s(&v, "key").as_bytes(), s(&v, "content").as_bytes()).unwrap();
        assert_eq!(got.expose(), s(&v, "hex"), "{v}");
    }
}

#[test]
fn mqtt_device_secret_matches_python() {
    for v in vectors("mqtt_device_secret") {
        let i = &v["input"];
        let mut b = DeviceSecretLogin::new(
            s(i, "product_key"),
            s(i, "device_name"),
            s(i, "device_secret"),
        )
        .sign_method(method(i))
        .secure_mode(SecureMode::from_value(i["secure_mode"].as_i64().unwrap()).unwrap());
        if let Some(cid) = opt(i, "client_id") {
            b = b.client_id(cid);
        }
        if let Some(ts) = opt(i, "timestamp") {
            b = b.timestamp(ts);
        }
        let c = b.build().unwrap();
        assert_eq!(c.client_id(), s(&v, "client_id"), "{v}");
        assert_eq!(c.username(), s(&v, "username"));
        assert_eq!(c.password().expose(), s(&v, "password"));
        assert_eq!(b.sign_content().unwrap().as_str(), s(&v, "sign_content"));
    }
}

#[test]
fn mqtt_dynreg_matches_python() {
    for v in vectors("mqtt_dynreg") {
        let i = &v["input"];
        let mut b = MqttRegistration::new(
            s(i, "product_key"),
            s(i, "device_name"),
            s(i, "product_secret"),
            s(i, "random"),
        )
        .auth_type(AuthType::parse(s(i, "auth_type")).unwrap())
        .sign_method(method(i));
        if let Some(cid) = opt(i, "client_id") {
            b = b.client_id(cid);
        }
        if let Some(iid) = opt(i, "instance_id") {
            b = b.instance_id(iid);
        }
        if let Some(mode) = i["secure_mode"].as_i64() {
            b = b.secure_mode(SecureMode::from_value(mode).unwrap());
        }
        let c = b.build().unwrap();
        assert_eq!(c.client_id(), s(&v, "client_id"), "{v}");
        assert_eq!(c.username(), s(&v, "username"));
        assert_eq!(c.password().expose(), s(&v, "password"));
        assert_eq!(b.sign_content().unwrap().as_str(), s(&v, "sign_content"));
        assert_eq!(b.reply_topic(), s(&v, "reply_topic"));
    }
}

#[test]
fn http_dynreg_matches_python() {
    for v in vectors("http_dynreg") {
        let i = &v["input"];
        let b = HttpsRegistration::new(
            s(i, "product_key"),
            s(i, "device_name"),
            s(i, "product_secret"),
            s(i, "random"),
        )
        .sign_method(method(i))
        .sign_method_spelling(s(i, "sign_method_value"))
        .region(s(i, "region"));
        let r = b.build().unwrap();
        assert_eq!(r.method(), "POST");
        assert_eq!(r.host(), s(&v, "host"));
        assert_eq!(r.port(), 443);
        assert_eq!(r.path(), "/auth/register/device");
        assert_eq!(r.url().unwrap().as_str(), s(&v, "url"));
        assert_eq!(r.content_type(), "application/x-www-form-urlencoded");
        assert_eq!(r.body().expose(), s(&v, "body"), "{v}");
        assert_eq!(r.sign().expose(), s(&v, "sign"));
        assert_eq!(b.sign_content().unwrap().as_str(), s(&v, "sign_content"));
    }
}

#[test]
fn http_auth_devicename_matches_python() {
    for v in vectors("http_auth_devicename") {
        let i = &v["input"];
        let mut b = HttpsDeviceAuth::new(
            s(i, "product_key"),
            s(i, "device_name"),
            s(i, "device_secret"),
        )
        .sign_method(method(i))
        .send_sign_method(i["send_signmethod"].as_bool().unwrap())
        .region(s(i, "region"));
        if let Some(cid) = opt(i, "client_id") {
            b = b.client_id(cid);
        }
        if let Some(ts) = opt(i, "timestamp") {
            b = b.timestamp(ts);
        }
        if let Some(x) = opt(i, "version") {
            b = b.version(x);
        }
        if let Some(x) = opt(i, "resources") {
            b = b.resources(x);
        }
        let r = b.build().unwrap();
        assert_eq!(r.host(), s(&v, "host"));
        assert_eq!(r.path(), "/auth/devicename");
        assert_eq!(r.url().unwrap().as_str(), s(&v, "url"));
        assert_eq!(r.body().expose(), s(&v, "body"), "{v}");
        assert_eq!(r.sign().expose(), s(&v, "sign"));
        assert_eq!(b.sign_content().unwrap().as_str(), s(&v, "sign_content"));
    }
}

#[test]
fn http_channel_auth_matches_python() {
    for v in vectors("http_channel_auth") {
        let i = &v["input"];
        let mut b = HttpChannelAuth::new(
            s(i, "product_key"),
            s(i, "device_name"),
            s(i, "device_secret"),
        )
        .sign_method(method(i))
        .region(s(i, "region"));
        if let Some(cid) = opt(i, "client_id") {
            b = b.client_id(cid);
        }
        if let Some(ts) = opt(i, "timestamp") {
            b = b.timestamp(ts);
        }
        let r = b.build().unwrap();
        assert_eq!(r.url().unwrap().as_str(), s(&v, "url"));
        assert_eq!(r.content_type(), "application/json");
        assert_eq!(r.body().expose(), s(&v, "body"), "{v}");
        // The body is valid JSON carrying the raw client id.
        let parsed: Value = serde_json::from_str(r.body().expose()).unwrap();
        assert_eq!(parsed["sign"], v["sign"]);
        assert_eq!(r.sign().expose(), s(&v, "sign"));
        assert_eq!(b.sign_content().unwrap().as_str(), s(&v, "sign_content"));
    }
}

#[test]
fn tls_psk_matches_python() {
    for v in vectors("tls_psk") {
        let i = &v["input"];
        let mut b = TlsPsk::new(
            s(i, "product_key"),
            s(i, "device_name"),
            s(i, "device_secret"),
        );
        if let Some(ts) = opt(i, "timestamp") {
            b = b.timestamp(ts);
        }
        let p = b.build().unwrap();
        assert_eq!(p.identity(), s(&v, "psk_id"));
        assert_eq!(p.key().expose(), s(&v, "psk"));
        assert_eq!(b.sign_content().unwrap().as_str(), s(&v, "sign_content"));
    }
}
