//! The Aliyun IoT Platform's rules as the local platform applies them: HMAC signs, the MQTT
//! login check of every flow (one-device-one-secret, `authType=register`, `regnwl`,
//! `connwl`, the iotId/iotToken login), the test devices, and the Alink replies. Written from
//! the platform's documentation, independently of the library under test.

use std::collections::BTreeMap;

use hmac::{Hmac, KeyInit, Mac};

/// A device the local platform knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestDevice {
    /// ProductKey.
    pub product_key: &'static str,
    /// ProductSecret (one-product-one-secret flows), when the product has one.
    pub product_secret: Option<&'static str>,
    /// DeviceName.
    pub device_name: &'static str,
    /// DeviceSecret (issued by registration, used by one-device-one-secret logins).
    pub device_secret: &'static str,
    /// iotId / iotToken that `/auth/devicename` issues.
    pub iot_id: &'static str,
    /// See `iot_id`.
    pub iot_token: &'static str,
    /// clientId / deviceToken that an `authType=regnwl` login issues.
    pub regnwl_client_id: &'static str,
    /// See `regnwl_client_id`.
    pub regnwl_token: &'static str,
    /// Where the device comes from.
    pub note: &'static str,
}

/// The test devices: those of the two vendor application notes, with the secrets that
/// reproduce the signs the notes print.
pub const TEST_DEVICES: &[TestDevice] = &[
    TestDevice {
        product_key: "i2uqc2dloOl",
        product_secret: None,
        device_name: "device001",
        device_secret: "c4fa40df9c8078073d75a26be2bc8f58",
        iot_id: "i2uqc2dloOlIotId000000000000001",
        iot_token: "0a1b2c3d4e5f60718293a4b5c6d7e8f9",
        regnwl_client_id: "",
        regnwl_token: "",
        note: "Quectel note, one device one secret",
    },
    TestDevice {
        product_key: "i2uqZnX9tZK",
        product_secret: Some("xTzMxVmm9HUY19Pr"),
        device_name: "meter001",
        device_secret: "d2a03b64a5e06b051f481136668133cf",
        iot_id: "",
        iot_token: "",
        regnwl_client_id: "",
        regnwl_token: "",
        note: "Quectel note, one product one secret, pre-registered (MQTT authType=register)",
    },
    TestDevice {
        product_key: "i2uq9ORmOSM",
        product_secret: Some("cSsjZJ19qkGDLvwR"),
        device_name: "Kit001",
        device_secret: "",
        iot_id: "",
        iot_token: "",
        regnwl_client_id: "IXywJDukE7AKz0sfbvmZ000100",
        regnwl_token: "^1^1681710731098^563fbcfe8c38f88",
        note: "Quectel note, one product one secret without pre-registration (regnwl/connwl)",
    },
    TestDevice {
        product_key: "i2uqzmkZsLG",
        product_secret: Some("NotPrintedInNote"),
        device_name: "device001",
        device_secret: "3c35df4417faf854be8e780536d84c23",
        iot_id: "",
        iot_token: "",
        regnwl_client_id: "",
        regnwl_token: "",
        note: "Quectel note, HTTPS registration (stand-in productSecret)",
    },
    TestDevice {
        product_key: "b1KCi45LcCP",
        product_secret: Some("VWll9fiYWKiwraBk"),
        device_name: "862991419835241",
        device_secret: "mRMyB50qafv74A5FofvhxZ2h9iTL9wX7",
        iot_id: "PbUqGh2URAJ1AtNyyd7X00107ceb00",
        iot_token: "425656f625b64560a4bff2a0f16946a3",
        regnwl_client_id: "",
        regnwl_token: "",
        note: "Luat note, HTTPS registration and /auth/devicename",
    },
];

/// The login of the bench's operator (test subscribers): plain clientId, this user name and
/// password. Not an Aliyun login; only the local platform has it.
pub const OPERATOR_USER: &str = "bench-operator";
/// See [`OPERATOR_USER`].
pub const OPERATOR_PASSWORD: &str = "bench";

/// The HMAC sign methods of the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignMethod {
    /// `hmacmd5`
    Md5,
    /// `hmacsha1`
    Sha1,
    /// `hmacsha256`
    Sha256,
}

impl SignMethod {
    /// Parses a sign method name, case-insensitively (`HmacMD5`, `hmacsha256`).
    pub fn parse(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().as_str() {
            "hmacmd5" => Some(Self::Md5),
            "hmacsha1" => Some(Self::Sha1),
            "hmacsha256" => Some(Self::Sha256),
            _ => None,
        }
    }
}

fn mac<M: Mac + KeyInit>(key: &[u8], msg: &[u8]) -> Vec<u8> {
    // An HMAC key of any length is valid.
    match <M as KeyInit>::new_from_slice(key) {
        Ok(mut m) => {
            m.update(msg);
            m.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
}

/// Lower-case hex of `HMAC_method(key, content)`.
pub fn sign(method: SignMethod, key: &str, content: &str) -> String {
    let (k, m) = (key.as_bytes(), content.as_bytes());
    let raw = match method {
        SignMethod::Md5 => mac::<Hmac<md5::Md5>>(k, m),
        SignMethod::Sha1 => mac::<Hmac<sha1::Sha1>>(k, m),
        SignMethod::Sha256 => mac::<Hmac<sha2::Sha256>>(k, m),
    };
    raw.iter().map(|b| format!("{b:02x}")).collect()
}

/// The signed content: `name+value` of each present parameter in ascending name order.
pub fn content(params: &[(&str, &str)]) -> String {
    let sorted: BTreeMap<&str, &str> = params.iter().copied().collect();
    sorted.iter().map(|(k, v)| format!("{k}{v}")).collect()
}

/// The refusal codes of an MQTT CONNACK the platform sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// CONNACK 4: bad user name or password (wrong sign, unknown token, malformed user name).
    BadCredentials = 4,
    /// CONNACK 5: not authorised (unknown product or device, a clientId extension the platform
    /// refuses, a product without the flow's secret).
    NotAuthorized = 5,
}

/// What a login that the platform accepts leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Login {
    /// A device session (one-device-one-secret, connwl, iotToken).
    Device {
        /// ProductKey.
        product_key: String,
        /// DeviceName.
        device_name: String,
    },
    /// `authType=register`: publish this on `/ext/register`, then close.
    Register(String),
    /// `authType=regnwl`: publish this on `/ext/regnwl`, then close.
    Regnwl(String),
    /// The bench operator (a test subscriber).
    Operator,
}

/// The clientId extension `<id>|k=v,k=v|` split into the id and its parameters.
fn split_client_id(client_id: &str) -> Option<(&str, BTreeMap<&str, &str>)> {
    let (id, rest) = client_id.split_once('|')?;
    let ext = rest.strip_suffix('|')?;
    let mut params = BTreeMap::new();
    for kv in ext.split(',').filter(|s| !s.is_empty()) {
        let (k, v) = kv.split_once('=')?;
        params.insert(k, v);
    }
    Some((id, params))
}

/// The platform's login check, for the given devices and the tokens issued so far
/// (`(client_id or iotId, token)` pairs).
pub fn check_login(
    devices: &[TestDevice],
    issued: &[(String, String)],
    client_id: &str,
    username: &str,
    password: &str,
) -> Result<Login, Refusal> {
    if username == OPERATOR_USER {
        return if password == OPERATOR_PASSWORD {
            Ok(Login::Operator)
        } else {
            Err(Refusal::BadCredentials)
        };
    }
    let Some((id, ext)) = split_client_id(client_id) else {
        // The iotId/iotToken login of /auth/devicename: plain clientId.
        if client_id.contains('|') {
            return Err(Refusal::NotAuthorized);
        }
        let dev = devices
            .iter()
            .find(|d| !d.iot_id.is_empty() && d.iot_id == username);
        return match dev {
            Some(d) if issued.iter().any(|(u, t)| u == username && t == password) => {
                Ok(device_login(d))
            }
            Some(_) => Err(Refusal::BadCredentials),
            None => Err(Refusal::NotAuthorized),
        };
    };
    let (dn, pk) = username.split_once('&').ok_or(Refusal::BadCredentials)?;
    let product: Vec<&TestDevice> = devices.iter().filter(|d| d.product_key == pk).collect();
    if product.is_empty() {
        return Err(Refusal::NotAuthorized);
    }
    let device = product.iter().find(|d| d.device_name == dn).copied();
    let auth_type = ext.get("authType").copied();
    match auth_type {
        Some("connwl") => {
            let d = device.ok_or(Refusal::NotAuthorized)?;
            if issued.iter().any(|(c, t)| c == id && t == password) {
                Ok(device_login(d))
            } else {
                Err(Refusal::BadCredentials)
            }
        }
        Some(kind @ ("register" | "regnwl")) => {
            let ps = product
                .iter()
                .find_map(|d| d.product_secret)
                .ok_or(Refusal::NotAuthorized)?;
            let random = ext.get("random").ok_or(Refusal::NotAuthorized)?;
            let method = ext
                .get("signmethod")
                .and_then(|m| SignMethod::parse(m))
                .ok_or(Refusal::NotAuthorized)?;
            let expected = sign(
                method,
                ps,
                &content(&[("deviceName", dn), ("productKey", pk), ("random", random)]),
            );
            if !expected.eq_ignore_ascii_case(password) {
                return Err(Refusal::BadCredentials);
            }
            if kind == "register" {
                // Pre-registration: the device must exist in the product.
                let d = device.ok_or(Refusal::NotAuthorized)?;
                Ok(Login::Register(format!(
                    r#"{{"deviceSecret":"{}","productKey":"{}","deviceName":"{}"}}"#,
                    d.device_secret, pk, dn
                )))
            } else {
                let (cid, token) = match device.filter(|d| !d.regnwl_client_id.is_empty()) {
                    Some(d) => (d.regnwl_client_id.to_string(), d.regnwl_token.to_string()),
                    None => (
                        format!("{pk}{dn}000100"),
                        format!("^1^0^{}", password.chars().take(15).collect::<String>()),
                    ),
                };
                Ok(Login::Regnwl(format!(
                    r#"{{"clientId":"{cid}","productKey":"{pk}","deviceName":"{dn}","deviceToken":"{token}"}}"#
                )))
            }
        }
        Some(_) => Err(Refusal::NotAuthorized),
        None => {
            let d = device.ok_or(Refusal::NotAuthorized)?;
            if d.device_secret.is_empty() {
                return Err(Refusal::NotAuthorized);
            }
            let method = match ext.get("signmethod") {
                Some(m) => SignMethod::parse(m).ok_or(Refusal::NotAuthorized)?,
                None => SignMethod::Md5,
            };
            let mut params = vec![("clientId", id), ("deviceName", dn), ("productKey", pk)];
            if let Some(ts) = ext.get("timestamp") {
                params.push(("timestamp", ts));
            }
            if sign(method, d.device_secret, &content(&params)).eq_ignore_ascii_case(password) {
                Ok(device_login(d))
            } else {
                Err(Refusal::BadCredentials)
            }
        }
    }
}

fn device_login(d: &TestDevice) -> Login {
    Login::Device {
        product_key: d.product_key.into(),
        device_name: d.device_name.into(),
    }
}

/// Parses an `application/x-www-form-urlencoded` body into pairs (values as sent: the
/// Aliyun tokens need no decoding).
pub fn form(body: &str) -> BTreeMap<&str, &str> {
    body.split('&')
        .filter_map(|kv| kv.split_once('='))
        .collect()
}

/// The platform's reply to `POST /auth/register/device` (HTTPS dynamic registration).
pub fn https_register(devices: &[TestDevice], body: &str) -> String {
    let f = form(body);
    let (Some(pk), Some(dn), Some(random), Some(sg)) = (
        f.get("productKey"),
        f.get("deviceName"),
        f.get("random"),
        f.get("sign"),
    ) else {
        return error_reply(460, "request parameter error");
    };
    let method = match f.get("signMethod") {
        Some(m) => match SignMethod::parse(m) {
            Some(m) => m,
            None => return error_reply(460, "request parameter error"),
        },
        None => SignMethod::Md5,
    };
    let Some(ps) = devices
        .iter()
        .filter(|d| d.product_key == *pk)
        .find_map(|d| d.product_secret)
    else {
        return error_reply(6250, "product not found");
    };
    let expected = sign(
        method,
        ps,
        &content(&[("deviceName", dn), ("productKey", pk), ("random", random)]),
    );
    if !expected.eq_ignore_ascii_case(sg) {
        return error_reply(460, "request parameter error: sign check failed");
    }
    let Some(d) = devices
        .iter()
        .find(|d| d.product_key == *pk && d.device_name == *dn)
    else {
        return error_reply(6100, "device not found");
    };
    format!(
        r#"{{"code":200,"data":{{"deviceName":"{dn}","deviceSecret":"{}","productKey":"{pk}"}},"message":"success"}}"#,
        d.device_secret
    )
}

/// The platform's reply to `POST /auth/devicename` and the iotId/iotToken it issued.
pub fn https_device_auth(devices: &[TestDevice], body: &str) -> (String, Option<(String, String)>) {
    let f = form(body);
    let (Some(pk), Some(dn), Some(cid), Some(sg)) = (
        f.get("productKey"),
        f.get("deviceName"),
        f.get("clientId"),
        f.get("sign"),
    ) else {
        return (error_reply(460, "request parameter error"), None);
    };
    let method = match f.get("signmethod").map(|m| SignMethod::parse(m)) {
        Some(Some(m)) => m,
        Some(None) => return (error_reply(460, "request parameter error"), None),
        None => SignMethod::Md5,
    };
    let Some(d) = devices
        .iter()
        .find(|d| d.product_key == *pk && d.device_name == *dn)
    else {
        return (error_reply(6100, "device not found"), None);
    };
    let mut params = vec![("clientId", *cid), ("deviceName", *dn), ("productKey", *pk)];
    if let Some(ts) = f.get("timestamp") {
        params.push(("timestamp", ts));
    }
    if d.device_secret.is_empty() || d.iot_id.is_empty() {
        return (error_reply(6100, "device not found"), None);
    }
    if !sign(method, d.device_secret, &content(&params)).eq_ignore_ascii_case(sg) {
        return (
            error_reply(460, "request parameter error: sign check failed"),
            None,
        );
    }
    let reply = format!(
        r#"{{"code":200,"data":{{"iotId":"{}","iotToken":"{}"}},"message":"success"}}"#,
        d.iot_id, d.iot_token
    );
    (reply, Some((d.iot_id.to_string(), d.iot_token.to_string())))
}

fn error_reply(code: u32, message: &str) -> String {
    format!(r#"{{"code":{code},"message":"{message}"}}"#)
}

/// The `id` of an Alink request as text (the platform accepts it quoted or bare).
pub fn alink_id(v: &serde_json::Value) -> Option<String> {
    match v.get("id")? {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The platform's `_reply` to an Alink request on `topic` (property post, event post),
/// or `None` when the topic takes no reply or the request asks for none (`sys.ack` 0).
pub fn alink_reply(topic: &str, payload: &[u8]) -> Option<(String, String)> {
    let parts: Vec<&str> = topic.split('/').collect();
    // /sys/<pk>/<dn>/thing/event/<...>/post
    if parts.len() < 8 || parts[1] != "sys" || parts[4] != "thing" || parts[5] != "event" {
        return None;
    }
    if parts.last() != Some(&"post") {
        return None;
    }
    let method = parts[4..].join(".");
    let reply_topic = format!("{topic}_reply");
    let parsed: Option<serde_json::Value> = serde_json::from_slice(payload).ok();
    // `"sys":{"ack":0}` asks for no reply.
    if parsed
        .as_ref()
        .and_then(|v| v.pointer("/sys/ack"))
        .and_then(|a| a.as_i64())
        == Some(0)
    {
        return None;
    }
    let reply = match parsed.as_ref().and_then(|v| Some((alink_id(v)?, v))) {
        Some((id, v)) if v.get("params").is_some_and(|p| p.is_object()) => format!(
            r#"{{"code":200,"data":{{}},"id":"{id}","message":"success","method":"{method}","version":"1.0"}}"#
        ),
        Some((id, _)) => format!(
            r#"{{"code":460,"data":{{}},"id":"{id}","message":"request parameter error","method":"{method}","version":"1.0"}}"#
        ),
        None => format!(
            r#"{{"code":460,"data":{{}},"message":"request parameter error","method":"{method}","version":"1.0"}}"#
        ),
    };
    Some((reply_topic, reply))
}

/// Desired values of one device: identifier → (JSON value text, version).
pub type Desired = BTreeMap<String, (String, u64)>;

/// The platform's `_reply` to a desired-properties get or delete on `topic`
/// (`/sys/<pk>/<dn>/thing/property/desired/get` / `…/delete`), reading and updating the
/// device's `desired` values; `None` for any other topic. A get answers, in the Alink reply
/// envelope, each asked identifier that has a desired value as `{"value":…,"version":…}`
/// (the version the delete request's `params` refer to); a delete removes the named ones.
/// A request without an `id` or with `params` of the wrong shape gets code 460.
pub fn desired_reply(
    topic: &str,
    payload: &[u8],
    desired: &mut Desired,
) -> Option<(String, String)> {
    let parts: Vec<&str> = topic.split('/').collect();
    let [
        "",
        "sys",
        _,
        _,
        "thing",
        "property",
        "desired",
        op @ ("get" | "delete"),
    ] = parts[..]
    else {
        return None;
    };
    let method = format!("thing.property.desired.{op}");
    let reply_topic = format!("{topic}_reply");
    let v: Option<serde_json::Value> = serde_json::from_slice(payload).ok();
    let id = v.as_ref().and_then(alink_id);
    let params = v.as_ref().and_then(|v| v.get("params"));
    let data = match (op, params) {
        ("get", Some(serde_json::Value::Array(names))) => {
            let mut data = serde_json::Map::new();
            for name in names.iter().filter_map(|n| n.as_str()) {
                if let Some((value, version)) = desired.get(name) {
                    let value: serde_json::Value = serde_json::from_str(value).ok()?;
                    data.insert(
                        name.into(),
                        serde_json::json!({"value": value, "version": version}),
                    );
                }
            }
            Some(serde_json::Value::Object(data).to_string())
        }
        ("delete", Some(serde_json::Value::Object(names))) => {
            for name in names.keys() {
                desired.remove(name);
            }
            Some("{}".to_string())
        }
        _ => None,
    };
    let reply = match (id, data) {
        (Some(id), Some(data)) => format!(
            r#"{{"code":200,"data":{data},"id":"{id}","message":"success","method":"{method}","version":"1.0"}}"#
        ),
        (id, _) => format!(
            r#"{{"code":460,"data":{{}},"id":"{}","message":"request parameter error","method":"{method}","version":"1.0"}}"#,
            id.unwrap_or_default()
        ),
    };
    Some((reply_topic, reply))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_is_sorted() {
        assert_eq!(
            content(&[("productKey", "p"), ("clientId", "c")]),
            "clientIdcproductKeyp"
        );
    }

    #[test]
    fn property_post_reply() {
        let (t, r) = alink_reply(
            "/sys/pk/dn/thing/event/property/post",
            br#"{"id":12,"params":{"a":1},"version":"1.0"}"#,
        )
        .unwrap();
        assert_eq!(t, "/sys/pk/dn/thing/event/property/post_reply");
        assert!(r.starts_with(r#"{"code":200,"data":{},"id":"12""#), "{r}");
        assert!(alink_reply("/pk/dn/user/update", b"x").is_none());
        let no_ack = br#"{"id":"1","params":{},"sys":{"ack":0}}"#;
        assert!(alink_reply("/sys/pk/dn/thing/event/property/post", no_ack).is_none());
    }

    #[test]
    fn desired_get_and_delete() {
        let mut d = Desired::new();
        d.insert("LightSwitch".into(), ("1".into(), 2));
        let get = "/sys/pk/dn/thing/property/desired/get";
        let (t, r) = desired_reply(
            get,
            br#"{"id":"7","params":["LightSwitch","Color"]}"#,
            &mut d,
        )
        .unwrap();
        assert_eq!(t, "/sys/pk/dn/thing/property/desired/get_reply");
        assert!(
            r.starts_with(r#"{"code":200,"data":{"LightSwitch":{"value":1,"version":2}},"id":"7""#),
            "{r}"
        );
        let (_, r) = desired_reply(get, br#"{"id":"8","params":{}}"#, &mut d).unwrap();
        assert!(r.starts_with(r#"{"code":460"#), "{r}");
        let del = "/sys/pk/dn/thing/property/desired/delete";
        desired_reply(
            del,
            br#"{"id":"9","params":{"LightSwitch":{"version":2}}}"#,
            &mut d,
        )
        .unwrap();
        assert!(d.is_empty());
        assert!(
            desired_reply("/sys/pk/dn/thing/property/desired/get_reply", b"{}", &mut d).is_none()
        );
    }
}
