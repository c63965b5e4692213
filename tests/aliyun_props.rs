//! Property tests: the sign content follows the documented rule for any valid input, every
//! sign equals an HMAC computed here directly with the RustCrypto crates, and no input, valid
//! or not, makes a builder panic or overflow its buffers.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use atmodem::aliyun::{
    AuthType, DeviceSecretLogin, Error, HttpChannelAuth, HttpsDeviceAuth, HttpsRegistration,
    MqttEndpoint, MqttRegistration, SecureMode, SignMethod, TlsPsk, connwl_login, hmac_hex,
    sign::sign_content, token_login, user_topic, validate,
};
use hmac::{Hmac, KeyInit, Mac};
use proptest::prelude::*;

/// HMAC computed directly with the hash crates, hex by `format!`.
fn reference(method: SignMethod, key: &str, msg: &str) -> String {
    fn run<M: Mac + KeyInit>(key: &str, msg: &str) -> String {
        let mut mac = <M as KeyInit>::new_from_slice(key.as_bytes()).unwrap();
        mac.update(msg.as_bytes());
        mac.finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
    match method {
        #[cfg(feature = "md5")]
        SignMethod::HmacMd5 => run::<Hmac<md5::Md5>>(key, msg),
        #[cfg(feature = "sha1")]
        SignMethod::HmacSha1 => run::<Hmac<sha1::Sha1>>(key, msg),
        SignMethod::HmacSha256 => run::<Hmac<sha2::Sha256>>(key, msg),
        #[allow(unreachable_patterns)]
        _ => unreachable!("method not enabled"),
    }
}

fn enabled_method() -> impl Strategy<Value = SignMethod> {
    prop::sample::select(
        SignMethod::ALL
            .into_iter()
            .filter(|m| m.is_enabled())
            .collect::<Vec<_>>(),
    )
}

const PK: &str = "[A-Za-z0-9]{1,20}";
const DN: &str = "[A-Za-z0-9_.@:-]{4,32}";
const SECRET: &str = "[A-Za-z0-9]{1,64}";
/// Visible ASCII except `|` `,` `=`.
const CID: &str = "[!#-+\\--<>-\\[\\]-{}-~]{1,64}";
const TS: &str = "[0-9]{1,20}";
const RANDOM: &str = "[A-Za-z0-9]{1,64}";
const IID: &str = "[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?";

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn sign_content_is_sorted_name_value(
        params in prop::collection::btree_map("[A-Za-z]{1,12}", "[ -~]{0,16}", 0..6),
        seed in any::<u64>(),
    ) {
        // Shuffle the (distinct-name) parameters; the rule must not depend on input order.
        let mut list: Vec<(&str, &str)> =
            params.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let n = list.len();
        if n > 1 {
            for i in 0..n {
                let j = (seed as usize).wrapping_add(i.wrapping_mul(7919)) % n;
                list.swap(i, j);
            }
        }
        let mut out = heapless::String::<512>::new();
        sign_content(&mut list, &mut out).unwrap();
        // BTreeMap iterates in ascending byte order of the names.
        let expected: String = params.iter().map(|(k, v)| format!("{k}{v}")).collect();
        prop_assert_eq!(out.as_str(), expected.as_str());
    }

    #[test]
    fn device_secret_login_follows_the_rule(
        pk in PK, dn in DN, ds in SECRET,
        cid in prop::option::of(CID), ts in prop::option::of(TS),
        method in enabled_method(), tcp in any::<bool>(),
    ) {
        let mut b = DeviceSecretLogin::new(&pk, &dn, &ds)
            .sign_method(method)
            .secure_mode(if tcp { SecureMode::Tcp } else { SecureMode::Tls });
        if let Some(c) = &cid { b = b.client_id(c); }
        if let Some(t) = &ts { b = b.timestamp(t); }
        let creds = b.build().unwrap();
        let id = cid.clone().unwrap_or(format!("{pk}.{dn}"));
        let mut content = format!("clientId{id}deviceName{dn}productKey{pk}");
        let mut ext = format!("securemode={},signmethod={}", if tcp { 3 } else { 2 }, method.wire_name());
        if let Some(t) = &ts {
            content.push_str(&format!("timestamp{t}"));
            ext.push_str(&format!(",timestamp={t}"));
        }
        prop_assert_eq!(b.sign_content().unwrap().to_string(), content.clone());
        prop_assert_eq!(creds.password().expose(), reference(method, &ds, &content));
        prop_assert_eq!(creds.client_id(), format!("{id}|{ext}|"));
        prop_assert_eq!(creds.username(), format!("{dn}&{pk}"));
    }

    #[test]
    fn registration_follows_the_rule(
        pk in PK, dn in DN, ps in SECRET, random in RANDOM,
        cid in prop::option::of(CID), iid in prop::option::of(IID),
        method in enabled_method(), regnwl in any::<bool>(),
    ) {
        let auth = if regnwl { AuthType::Regnwl } else { AuthType::Register };
        let mut b = MqttRegistration::new(&pk, &dn, &ps, &random).auth_type(auth).sign_method(method);
        if let Some(c) = &cid { b = b.client_id(c); }
        if let Some(i) = &iid { b = b.instance_id(i); }
        let creds = b.build().unwrap();
        let content = format!("deviceName{dn}productKey{pk}random{random}");
        prop_assert_eq!(b.sign_content().unwrap().to_string(), content.clone());
        prop_assert_eq!(creds.password().expose(), reference(method, &ps, &content));
        let id = cid.clone().unwrap_or(format!("{pk}.{dn}"));
        let mode = if regnwl { "-2" } else { "2" };
        let mut want = format!(
            "{id}|securemode={mode},authType={},random={random},signmethod={}",
            auth.wire_name(), method.wire_name()
        );
        if let Some(i) = &iid { want.push_str(&format!(",instanceId={i}")); }
        want.push('|');
        prop_assert_eq!(creds.client_id(), want);

        // The HTTPS registration signs the same content with the same key.
        let r = HttpsRegistration::new(&pk, &dn, &ps, &random).sign_method(method).build().unwrap();
        prop_assert_eq!(r.sign().expose(), reference(method, &ps, &content));
        let pairs: Vec<&str> = r.body().expose().split('&').collect();
        prop_assert_eq!(pairs, vec![
            format!("productKey={pk}"), format!("deviceName={dn}"), format!("random={random}"),
            format!("sign={}", reference(method, &ps, &content)),
            format!("signMethod={}", method.wire_name()),
        ]);
    }

    #[test]
    fn https_and_psk_signs_match_reference(
        pk in PK, dn in DN, ds in SECRET, cid in CID, ts in prop::option::of(TS),
        method in enabled_method(),
    ) {
        let mut content = format!("clientId{cid}deviceName{dn}productKey{pk}");
        if let Some(t) = &ts { content.push_str(&format!("timestamp{t}")); }
        let mut auth = HttpsDeviceAuth::new(&pk, &dn, &ds).client_id(&cid).sign_method(method);
        let mut chan = HttpChannelAuth::new(&pk, &dn, &ds).client_id(&cid).sign_method(method);
        if let Some(t) = &ts { auth = auth.timestamp(t); chan = chan.timestamp(t); }
        let want = reference(method, &ds, &content);
        prop_assert_eq!(auth.sign_content().unwrap().to_string(), content.clone());
        prop_assert_eq!(auth.build().unwrap().sign().expose().to_string(), want.clone());
        let body = chan.build().unwrap();
        prop_assert_eq!(body.sign().expose(), want.as_str());
        // The JSON body parses and carries the raw client id.
        let json: serde_json::Value = serde_json::from_str(body.body().expose()).unwrap();
        prop_assert_eq!(json["clientId"].as_str(), Some(cid.as_str()));
        prop_assert_eq!(json["sign"].as_str(), Some(want.as_str()));

        let t = ts.clone().unwrap_or_else(|| "2524608000000".into());
        let psk = TlsPsk::new(&pk, &dn, &ds).timestamp(&t).build().unwrap();
        let psk_content = format!("id{pk}&{dn}timestamp{t}");
        prop_assert_eq!(psk.key().expose(), reference(SignMethod::HmacSha256, &ds, &psk_content));
    }

    #[test]
    fn primitive_matches_reference(key in ".{0,100}", msg in ".{0,300}", method in enabled_method()) {
        let got = hmac_hex(method, key.as_bytes(), msg.as_bytes()).unwrap();
        prop_assert_eq!(got.expose(), reference(method, &key, &msg));
        prop_assert_eq!(got.len(), method.hex_len());
    }

    /// Arbitrary text (any Unicode) never panics and never overflows: every builder returns
    /// either its output or a validation/feature error.
    #[test]
    fn arbitrary_input_never_panics(
        a in ".{0,80}", b in ".{0,80}", c in ".{0,80}", d in ".{0,80}", e in ".{0,80}",
        method in prop::sample::select(SignMethod::ALL.to_vec()),
    ) {
        fn ok_or_expected<T>(r: Result<T, Error>) -> Result<(), TestCaseError> {
            match r {
                Ok(_) | Err(Error::Invalid { .. }) | Err(Error::UnsupportedSignMethod(_)) => Ok(()),
                Err(other) => Err(TestCaseError::fail(format!("{other:?}"))),
            }
        }
        ok_or_expected(DeviceSecretLogin::new(&a, &b, &c).client_id(&d).timestamp(&e).sign_method(method).build())?;
        ok_or_expected(MqttRegistration::new(&a, &b, &c, &d).instance_id(&e).sign_method(method).build())?;
        ok_or_expected(HttpsRegistration::new(&a, &b, &c, &d).region(&e).sign_method_spelling(&e).build())?;
        ok_or_expected(HttpsDeviceAuth::new(&a, &b, &c).client_id(&d).version(&e).resources(&e).build())?;
        ok_or_expected(HttpChannelAuth::new(&a, &b, &c).client_id(&d).region(&e).build())?;
        ok_or_expected(TlsPsk::new(&a, &b, &c).timestamp(&d).build())?;
        ok_or_expected(connwl_login(&a, &b, &c, &d))?;
        ok_or_expected(token_login(&a, &b, &c))?;
        ok_or_expected(MqttEndpoint::Public { product_key: &a, region: &b }.host())?;
        ok_or_expected(MqttEndpoint::Instance { instance_id: &a }.host())?;
        ok_or_expected(user_topic(&a, &b, &c))?;
        ok_or_expected(SignMethod::parse(&a))?;
        for rule in [validate::client_id, validate::device_name, validate::region, validate::topic_name] {
            ok_or_expected(rule(&a))?;
        }
        let _ = atmodem::aliyun::parse_register_reply(a.as_bytes());
        let _ = atmodem::aliyun::parse_auth_reply(b.as_bytes());
        let _ = atmodem::aliyun::parse_regnwl_payload(c.as_bytes());
    }

    /// Every field at its maximum length fits the crate's buffers.
    #[test]
    fn maximum_lengths_fit(
        pk in "[A-Za-z0-9]{20}", dn in "[A-Za-z0-9_.@:-]{32}", s in "[A-Za-z0-9]{64}",
        cid in "[!#-+\\--<>-\\[\\]-{}-~]{64}", ts in "[0-9]{20}", iid in "[a-z0-9]{63}",
        region in "[a-z][a-z0-9-]{30}[a-z0-9]",
    ) {
        let mut percent_cid = cid.clone();
        percent_cid.replace_range(0..1, "%"); // worst case for the form encoding
        DeviceSecretLogin::new(&pk, &dn, &s).client_id(&cid).timestamp(&ts).build().unwrap();
        MqttRegistration::new(&pk, &dn, &s, &s).client_id(&cid).instance_id(&iid).build().unwrap();
        HttpsRegistration::new(&pk, &dn, &s, &s).region(&region).build().unwrap();
        HttpsDeviceAuth::new(&pk, &dn, &s).client_id(&percent_cid).timestamp(&ts)
            .version("0123456789abcdef").resources("mqtt,mqtt,mqtt,mqtt,mqtt,mqtt,mq")
            .region(&region).sign_method(SignMethod::HmacSha256).build().unwrap();
        HttpChannelAuth::new(&pk, &dn, &s).client_id(&cid).timestamp(&ts).region(&region)
            .sign_method(SignMethod::HmacSha256).build().unwrap();
        TlsPsk::new(&pk, &dn, &s).timestamp(&ts).build().unwrap();
        MqttEndpoint::Public { product_key: &pk, region: &region }.host().unwrap();
        MqttEndpoint::Instance { instance_id: &iid }.host().unwrap();
        atmodem::aliyun::register_url(&region).unwrap();
        atmodem::aliyun::http_channel_auth_url(&region).unwrap();
        atmodem::aliyun::property_post_reply_topic(&pk, &dn).unwrap();
        user_topic(&pk, &dn, &"n".repeat(64)).unwrap();
        connwl_login(&pk, &dn, &cid, &"t".repeat(128)).unwrap();
        token_login(&cid, &"i".repeat(64), &"t".repeat(128)).unwrap();
    }
}

#[test]
fn worst_case_form_and_json_escaping_fit() {
    let pk = "P".repeat(20);
    let dn = "d".repeat(32);
    let s = "s".repeat(64);
    let amp = "&".repeat(64);
    // A client id cannot hold `"` or `\\` (no AT encoder sends them): the longest one.
    let quote = "~".repeat(64);
    let r = HttpsDeviceAuth::new(&pk, &dn, &s)
        .client_id(&amp)
        .timestamp(&"9".repeat(20))
        .version(&"v".repeat(16))
        .resources(&"r".repeat(32))
        .region(&format!("a{}", "b".repeat(31)))
        .sign_method(SignMethod::HmacSha256)
        .build()
        .unwrap();
    assert!(r.body().expose().contains(&"%26".repeat(64)));
    assert_eq!(r.body().len(), r.body().capacity());
    let j = HttpChannelAuth::new(&pk, &dn, &s)
        .client_id(&quote)
        .sign_method(SignMethod::HmacSha256)
        .build()
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(j.body().expose()).unwrap();
    assert_eq!(v["clientId"].as_str(), Some(quote.as_str()));
}
