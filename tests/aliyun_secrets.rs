//! Secrets, signs and tokens never appear in `Debug` output; `expose` is the only way out.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use atmodem::aliyun::{
    DeviceSecretLogin, HttpChannelAuth, HttpsDeviceAuth, HttpsRegistration, MqttRegistration,
    Secret, SecretRef, SignMethod, TlsPsk, connwl_login, hmac_hex, parse_auth_reply,
    parse_register_reply, parse_regnwl_payload, token_login,
};

const DS: &str = "c4fa40df9c8078073d75a26be2bc8f58";
const PS: &str = "xTzMxVmm9HUY19Pr";

fn assert_hidden(debug: &str, secrets: &[&str]) {
    assert!(debug.contains("Secret(***)"), "{debug}");
    for s in secrets {
        assert!(!s.is_empty());
        assert!(!debug.contains(s), "{s} leaked in {debug}");
    }
}

fn both<T: std::fmt::Debug>(v: &T) -> String {
    format!("{v:?}\n{v:#?}")
}

#[test]
fn secret_wrappers() {
    let s = Secret::<64>::try_from_str(DS).unwrap();
    assert_eq!(format!("{s:?}"), "Secret(***)");
    assert_eq!(s.expose(), DS);
    assert_eq!(s.len(), 32);
    assert_eq!(s.clone().expose(), DS);
    assert!(Secret::<4>::try_from_str("12345").is_err());
    assert!(Secret::<4>::new().is_empty());
    let r = SecretRef::new(DS);
    assert_eq!(format!("{r:?}"), "Secret(***)");
    assert_eq!(r.to_secret::<32>().unwrap().expose(), DS);
    assert!(r.to_secret::<31>().is_err());
    let h = hmac_hex(SignMethod::HmacSha256, b"k", b"m").unwrap();
    assert_hidden(&both(&h), &[h.expose()]);
}

#[test]
fn builders_and_credentials_hide_keys_and_passwords() {
    let login = DeviceSecretLogin::new("i2uqc2dloOl", "device001", DS).timestamp("1680937625134");
    let creds = login.build().unwrap();
    assert_hidden(&both(&login), &[DS]);
    assert_hidden(&both(&creds), &[DS, creds.password().expose()]);
    // The public parts stay visible.
    assert!(both(&creds).contains("device001&i2uqc2dloOl"));

    let reg = MqttRegistration::new("i2uqZnX9tZK", "meter001", PS, "123");
    let creds = reg.build().unwrap();
    assert_hidden(&both(&reg), &[PS]);
    assert_hidden(&both(&creds), &[PS, creds.password().expose()]);

    let https = HttpsRegistration::new("b1KCi45LcCP", "862991419835241", PS, "123456");
    let req = https.build().unwrap();
    assert_hidden(&both(&https), &[PS]);
    assert_hidden(&both(&req), &[PS, req.sign().expose(), req.body().expose()]);

    let auth = HttpsDeviceAuth::new("b1KCi45LcCP", "862991419835241", DS)
        .sign_method(SignMethod::HmacSha256);
    let req = auth.build().unwrap();
    assert_hidden(&both(&auth), &[DS]);
    assert_hidden(&both(&req), &[DS, req.sign().expose()]);

    let chan = HttpChannelAuth::new("b1KCi45LcCP", "862991419835241", DS)
        .sign_method(SignMethod::HmacSha256);
    let req = chan.build().unwrap();
    assert_hidden(&both(&chan), &[DS]);
    assert_hidden(&both(&req), &[DS, req.sign().expose()]);

    let psk = TlsPsk::new("b1KCi45LcCP", "862991419835241", DS);
    let creds = psk.build().unwrap();
    assert_hidden(&both(&psk), &[DS]);
    assert_hidden(&both(&creds), &[DS, creds.key().expose()]);
    assert!(both(&creds).contains("devicename|hmacsha256|"));

    let connwl = connwl_login("pk", "dev1", "cid", "^1^1681709523062^c5cce0a49b03685").unwrap();
    assert_hidden(&both(&connwl), &["^1^1681709523062^c5cce0a49b03685"]);
    let token = token_login("cid", "iotid", "425656f625b64560a4bff2a0f16946a3").unwrap();
    assert_hidden(&both(&token), &["425656f625b64560a4bff2a0f16946a3"]);
}

#[test]
fn replies_hide_secrets_and_tokens() {
    let body = br#"{"code":200,"data":{"deviceName":"862991419835241","deviceSecret":"mRMyB50qafv74A5FofvhxZ2h9iTL9wX7","productKey":"b1KCi45LcCP"},"message":"success"}"#;
    let r = parse_register_reply(body).unwrap();
    assert_hidden(&both(&r), &["mRMyB50qafv74A5FofvhxZ2h9iTL9wX7"]);
    assert_hidden(&both(&r.login()), &["mRMyB50qafv74A5FofvhxZ2h9iTL9wX7"]);

    let body = br#"{"code":200,"data":{"iotId":"PbUqGh2URAJ1AtNyyd7X00107ceb00","iotToken":"425656f625b64560a4bff2a0f16946a3"},"message":"success"}"#;
    let r = parse_auth_reply(body).unwrap();
    assert_hidden(&both(&r), &["425656f625b64560a4bff2a0f16946a3"]);

    let body = br#"{"clientId":"KzLKNeWyE7SxiWLuPpZQ000100","productKey":"i2uq9ORmOSM","deviceName":"Kit001","deviceToken":"^1^1681709523062^c5cce0a49b03685"}"#;
    let r = parse_regnwl_payload(body).unwrap();
    assert_hidden(&both(&r), &["^1^1681709523062^c5cce0a49b03685"]);
}
