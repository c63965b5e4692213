//! `aliyun_sign`: an Aliyun IoT credential calculator (host only).
//!
//! The Luat and Quectel application notes send the reader to a web page to compute HMAC
//! signs and paste them into AT commands. This tool does that step with `atmodem::aliyun`
//! and prints the exact AT lines for the chosen module family.
//!
//! ```text
//! cargo run --example aliyun_sign -- --flow mqtt_device_secret --dialect quectel \
//!     --product-key i2uqc2dloOl --device-name device001 \
//!     --device-secret c4fa40df9c8078073d75a26be2bc8f58 --timestamp 1680937625134 \
//!     --instance-id iot-06z00hxss3rggno
//! cargo run --example aliyun_sign -- --flow http_dynreg --dialect luat \
//!     --product-key b1KCi45LcCP --device-name 862991419835241 \
//!     --product-secret VWll9fiYWKiwraBk --random 123456 \
//!     --sign-method hmacmd5 --sign-method-value HmacMD5
//! cargo run --example aliyun_sign -- --flow thing_property_post --dialect luat \
//!     --product-key a1FlqIQabcd --device-name device1 --id 123 \
//!     --params '{"Power":{"value":"on","time":1524448722000}}' --ack 0
//! cargo run --example aliyun_sign -- --json < requests.jsonl
//! ```
//!
//! # Command line
//!
//! `--flow <flow>` picks the flow (names below; `-` and `_` are interchangeable);
//! `--dialect quectel|luat` (default `quectel`) picks the AT command family. Every other
//! `--some-name <value>` becomes the input `some_name` of the flow (see the table), e.g.
//! `--product-key`, `--device-secret`, `--sign-method`, `--secure-mode -2`,
//! `--send-signmethod false`, `--regnwl-payload '{...}'`, `--text '{...}'`; a name the flow
//! does not know is an error. Options of the printout only: `--port <n>` (default 1883) sets
//! the MQTT port of the open command, `--instance-id` / `--region` choose the MQTT host of the
//! flows that do not take them as inputs, and `--aliauth true` (Quectel,
//! `mqtt_device_secret`) prints the variant in which the module signs by itself. Lines
//! starting with `#` are explanations; every other line is typed as is (data lines are sent
//! after the module's `DOWNLOAD` / `CONNECT` prompt, without a line end).
//!
//! AT shapes, as in the notes (with their typos corrected):
//!
//! * Quectel MQTT: `AT+QMTCFG="version",0,4`, `AT+QMTCFG="aliauth",0` (must answer
//!   `+QMTCFG: "aliauth",,,`: a stored triple makes the module sign by itself),
//!   `AT+QMTCFG="ssl",0,1,2` (TLS) or `AT+QMTCFG="ssl",0,0` (TCP),
//!   `AT+QMTOPEN=0,"<host>",<port>`, `AT+QMTCONN=0,"<clientId>","<username>","<password>"`.
//!   With `--aliauth true`: `AT+QMTCFG="aliauth",0,"<pk>","<dn>","<ds>"` and
//!   `AT+QMTCONN=0,"<clientId>"` (bare client id).
//! * Luat MQTT: `AT+MCONFIG="<clientId>","<username>","<password>"`,
//!   `AT+SSLMIPSTART="<host>",<port>` (TLS) or `AT+MIPSTART="<host>",<port>` (TCP),
//!   `AT+MCONNECT=1,300`.
//! * Quectel HTTP: `AT+QHTTPURL=<url length>,80`, the URL, `AT+QHTTPPOST=<body length>,120,120`,
//!   the body, `AT+QHTTPREAD=200` (JSON bodies first set `AT+QHTTPCFG="contenttype",4`).
//! * Luat HTTP: `AT+HTTPINIT`, `AT+HTTPPARA="URL","<url>"`,
//!   `AT+HTTPPARA="USER_DEFINED","Content-Type: <type>"`, `AT+HTTPDATA=<body length>,20000`,
//!   the body, `AT+HTTPACTION=1`, `AT+HTTPREAD`, `AT+HTTPTERM`.
//!
//! The MQTT host is `<instance_id>.mqtt.iothub.aliyuncs.com` when `--instance-id` is given,
//! else `<product_key>.iot-as-mqtt.<region>.aliyuncs.com` (region default `cn-shanghai`).
//!
//! # JSON lines (`--json`)
//!
//! One request per line on stdin, one reply per line on stdout:
//!
//! ```text
//! request: {"id": <any>, "flow": "<flow>", "input": {...}}
//! reply:   {"id": <same>, ...outputs}
//!          {"id": <same>, "error": "validation", "field": "<Aliyun field name>"}
//!          {"id": <same>, "error": "<kind>"}
//! ```
//!
//! Error kinds: `validation` (with `field`, e.g. `deviceName`, `signmethod`, `signMethod`,
//! `securemode`, `authType`), `unsupported_sign_method` (the method's feature is off),
//! `bad_request` (the line is not a JSON object, `flow` is missing or not a string, `input` is
//! not an object, an input the flow does not know, an input of the wrong JSON type, or a
//! required input without an Aliyun name — `text`, `key`, `content` — is missing),
//! `unknown_flow`, and `parse` (a parse flow's text, or `regnwl_payload`, is not the expected
//! JSON). Every non-blank line gets exactly one reply line, and the tool goes on after any
//! error; when a line is not valid JSON its `id` is still echoed if the members before the
//! damage can be read (else `"id": null`). Blank lines are skipped. An input that is absent or
//! `null` takes its default; a required input that is absent or `null` is a `validation` error
//! on its Aliyun field; an empty string is a value (and usually fails validation).
//!
//! | flow | input (defaults) | outputs |
//! |---|---|---|
//! | `mqtt_device_secret` | product_key, device_name, device_secret, client_id (`<pk>.<dn>`), sign_method (`hmacsha256`), timestamp (none), secure_mode (2) | client_id, username, password, sign_content, sign_method |
//! | `mqtt_dynreg` | product_key, device_name, product_secret, random, auth_type (`register`), sign_method (`hmacsha256`), client_id (`<pk>.<dn>`), secure_mode (2 for register, -2 for regnwl), instance_id (none) | client_id, username, password, sign_content, sign_method, reply_topic |
//! | `mqtt_connwl` | product_key, device_name, and either client_id + device_token or regnwl_payload | client_id, username, password |
//! | `http_dynreg` | product_key, device_name, product_secret, random, sign_method (`hmacsha256`), sign_method_value (default: sign_method), region (`cn-shanghai`) | method, url, host, port, path, content_type, body, sign, sign_content, sign_method |
//! | `http_dynreg_url` | region (`cn-shanghai`) | url |
//! | `http_auth_devicename` | product_key, device_name, device_secret, client_id (`<pk>.<dn>`), sign_method (`hmacmd5`), send_signmethod (true), timestamp, version, resources, region (`cn-shanghai`) | method, url, host, port, path, content_type, body, sign, sign_content, sign_method |
//! | `http_channel_auth` | product_key, device_name, device_secret, client_id (`<pk>.<dn>`), sign_method (`hmacsha1`), timestamp, region (`cn-shanghai`) | method, url, content_type, body, sign, sign_content, sign_method |
//! | `tls_psk` | product_key, device_name, device_secret, timestamp (`2524608000000`) | psk_id, psk, sign_content |
//! | `mqtt_host` | region (`cn-shanghai`) + product_key, or instance_id | host, tls_ports, tcp_ports |
//! | `primitive_hmac` | sign_method, key, content (all required) | hex |
//! | `parse_register_response` | text | ok, device_secret, product_key, device_name — or ok, code, message |
//! | `parse_auth_response` | text | ok, iot_id, iot_token, mqtt_host, mqtt_port (when present) — or ok, code, message |
//! | `parse_register_payload` | text | ok, device_secret, product_key, device_name |
//! | `parse_regnwl_payload` | text | ok, client_id, device_token, product_key, device_name |
//!
//! Details the table leaves open, decided here:
//!
//! * Numbers (`secure_mode`, `port`, `mqtt_port`, `code`, the port lists) are JSON numbers;
//!   `ok` and `send_signmethod` are JSON booleans; `sign_method` outputs are lower-case wire
//!   names; `sign_content` is the exact signed text. Output keys come in the table's order,
//!   after `id`.
//! * `http_dynreg`: when only `sign_method_value` is given, the method is the one it names
//!   (case-insensitively); when both are given they must name the same method, else
//!   `validation` on `signMethod`. `port` is 443 and `method` is `POST` for every HTTP flow.
//! * `http_channel_auth`: url `https://iot-as-http.<region>.aliyuncs.com/auth` (port 443,
//!   `application/json`); the body always carries `"version":"default"`.
//! * `mqtt_host`: `instance_id` wins over `region`/`product_key`; TLS ports are
//!   `[1883, 443]` (old public instance) or `[1883, 443, 8883]` (instance), TCP ports `[1883]`.
//! * `mqtt_connwl`: giving both forms is a `bad_request`; with `regnwl_payload`,
//!   `product_key`/`device_name` may be left out, and when given must equal the payload's
//!   (else `validation` on that field).
//! * `primitive_hmac`: key and content are the UTF-8 bytes of the given strings, any length.
//! * A text input may also be given as a JSON integer, taken as its decimal text (scripts hold
//!   timestamps, randoms and IMEI device names as numbers); `-5` is then the text `-5` and
//!   fails validation. Fractions, booleans, arrays and objects are `bad_request`.
//!   `secure_mode` must be a JSON integer (`2`, `3` or `-2`; any other integer is
//!   `validation` on `securemode`), `send_signmethod` a JSON boolean.
//! * `http_dynreg`: an unknown `sign_method` or `sign_method_value` is `validation` on
//!   `signMethod`, the form field both of them describe.
//! * Parse flows: a reply with a non-success `code` gives `"ok": false` with `code` and the
//!   decoded `message` (empty when absent); a success reply missing a required field, or text
//!   that is not the expected JSON, gives `"error": "parse"`; a present but invalid value gives
//!   `validation` on its field. `/ext/register` and `/ext/regnwl` payloads are flat.
//!
//! # Thing-model payloads
//!
//! Flows that print what a device publishes after login, for checking by hand: the topic and
//! the exact JSON, written by `atmodem::aliyun::thing`, `::ota` and `::ntp`, published at QoS
//! 0 (as Link SDK C does; RRPC responses must be QoS 0). Their AT lines publish with a length,
//! binary-safe: Quectel `AT+QMTPUBEX=0,0,0,0,"<topic>",<length>`, Luat
//! `AT+MPUBEX="<topic>",0,0,<length>`, then the payload after the module's `>` prompt.
//!
//! | flow | input (defaults) | outputs |
//! |---|---|---|
//! | `thing_property_post` | product_key, device_name, id, params (one JSON object), ack (`1`) | topic, payload |
//! | `thing_set_reply` | product_key, device_name, id, code (`200`), data (`{}`) | topic, payload |
//! | `ota_inform` | product_key, device_name, id, version, module (none: the `default` module) | topic, payload |
//! | `ota_progress` | product_key, device_name, id, step (`0`…`100`, `-1`…`-4`), desc (empty), module (none) | topic, payload |
//! | `ntp_request` | product_key, device_name, device_send_time (ms) | topic, payload |
//! | `rrpc_response` | product_key, device_name, message_id, payload, topic (none: the `/sys/…/rrpc/response/` form; a custom topic such as `/<pk>/<dn>/user/get`: the `/ext/rrpc/<messageId><topic>` form) | topic, payload |
//!
//! * Every input is text (a JSON integer is taken as its decimal text). `id` is decimal:
//!   0…4294967295 for `thing_property_post`, any 64-bit value otherwise; `ack` is `0` or
//!   `1`; `code` 0…4294967295; `params` and `data` one JSON object each. A value out of its
//!   rule is `validation` on the field it feeds (`id`, `ack`, `code`, `params`, `data`,
//!   `version`, `module`, `step`, `messageId`, `topic`, `deviceSendTime`, or
//!   `productKey`/`deviceName`); a payload longer than 4096 bytes is `bad_request`.
//! * `rrpc_response`: `payload` is published as given (the system form's payload is
//!   opaque); for a TSL service called synchronously give the `thing_set_reply`-style
//!   `{"id":…,"code":…,"data":…}` text.
//!
//! Replies carry secrets (passwords, signs, bodies) in clear: that is the tool's purpose.

use std::io::{self, BufRead, Write};
use std::process::ExitCode;

use atmodem::aliyun::ntp::write_ntp_request;
use atmodem::aliyun::ota::{OtaError, Step, write_progress, write_version_inform};
use atmodem::aliyun::thing::{
    Ack, Device, ThingError, ThingTopic, Topic, write_property_post, write_reply,
};
use atmodem::aliyun::{
    AuthType, DeviceSecretLogin, Error, Field, HttpChannelAuth, HttpRequest, HttpsDeviceAuth,
    HttpsRegistration, MqttEndpoint, MqttRegistration, Problem, ReplyError, SecureMode, SignMethod,
    TlsPsk, connwl_login, endpoint, hmac_hex, parse_auth_reply, parse_register_payload,
    parse_register_reply, parse_regnwl_payload, psk,
};
use serde_json::{Map, Value};

/// Why a request produced no outputs.
#[derive(Debug, Clone, PartialEq)]
pub enum Fail {
    /// A field failed validation: its Aliyun name and a readable message.
    Validation(&'static str, String),
    /// The sign method's feature is off in this build.
    Unsupported(String),
    /// The request itself is unusable.
    BadRequest(String),
    /// The flow name is not known.
    UnknownFlow(String),
    /// Text to parse is not the expected JSON.
    Parse(String),
}

impl Fail {
    /// The `error` value of the JSON reply.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Validation(..) => "validation",
            Self::Unsupported(_) => "unsupported_sign_method",
            Self::BadRequest(_) => "bad_request",
            Self::UnknownFlow(_) => "unknown_flow",
            Self::Parse(_) => "parse",
        }
    }

    /// A readable explanation.
    pub fn message(&self) -> String {
        match self {
            Self::Validation(_, m)
            | Self::Unsupported(m)
            | Self::BadRequest(m)
            | Self::Parse(m) => m.clone(),
            Self::UnknownFlow(f) => format!("unknown flow {f:?}"),
        }
    }
}

impl From<Error> for Fail {
    fn from(e: Error) -> Self {
        match e {
            Error::Invalid { field, .. } => Self::Validation(field.name(), e.to_string()),
            Error::UnsupportedSignMethod(_) => Self::Unsupported(e.to_string()),
            other => Self::BadRequest(other.to_string()),
        }
    }
}

/// Ordered reply fields (JSON objects are unordered, but readers like `id` first).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Outputs(pub Vec<(&'static str, Value)>);

impl Outputs {
    fn put(&mut self, key: &'static str, value: impl Into<Value>) {
        self.0.push((key, value.into()));
    }

    /// The value of an output.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    fn str(&self, key: &str) -> &str {
        self.get(key).and_then(Value::as_str).unwrap_or_default()
    }
}

/// Typed access to a request's `input` object.
struct Input<'a> {
    map: &'a Map<String, Value>,
    flow: &'a str,
}

impl<'a> Input<'a> {
    fn value(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    fn opt_str(&self, key: &str) -> Result<Option<&'a str>, Fail> {
        match self.value(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(Fail::BadRequest(format!("input {key} must be a string"))),
        }
    }

    /// A required text input: when it is absent, a `validation` error on its Aliyun field
    /// (there is no value to sign with), or `bad_request` for inputs without one.
    fn req_str(&self, key: &str) -> Result<&'a str, Fail> {
        self.opt_str(key)?.ok_or_else(|| missing(self.flow, key))
    }

    fn opt_i64(&self, key: &str) -> Result<Option<i64>, Fail> {
        match self.value(key) {
            None => Ok(None),
            Some(v) => v
                .as_i64()
                .map(Some)
                .ok_or_else(|| Fail::BadRequest(format!("input {key} must be an integer"))),
        }
    }

    fn opt_bool(&self, key: &str) -> Result<Option<bool>, Fail> {
        match self.value(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(Fail::BadRequest(format!("input {key} must be a boolean"))),
        }
    }

    fn sign_method(&self, default: SignMethod) -> Result<SignMethod, Fail> {
        match self.opt_str("sign_method")? {
            None => Ok(default),
            Some(name) => Ok(SignMethod::parse(name)?),
        }
    }

    fn secure_mode(&self) -> Result<Option<SecureMode>, Fail> {
        match self.value("secure_mode") {
            None => Ok(None),
            Some(Value::Number(n)) => match n.as_i64() {
                Some(v) => Ok(Some(SecureMode::from_value(v)?)),
                // An integer beyond i64 is still an integer, just not a securemode.
                None if n.is_u64() => {
                    Err(Error::invalid(Field::SecureMode, Problem::Unknown).into())
                }
                None => Err(Fail::BadRequest(
                    "input secure_mode must be an integer".into(),
                )),
            },
            Some(_) => Err(Fail::BadRequest(
                "input secure_mode must be an integer".into(),
            )),
        }
    }

    fn region(&self) -> Result<&'a str, Fail> {
        Ok(self.opt_str("region")?.unwrap_or(endpoint::DEFAULT_REGION))
    }
}

/// The Aliyun field an input feeds, for the `field` of a `validation` reply.
fn aliyun_field(flow: &str, input: &str) -> Option<&'static str> {
    Some(match input {
        "product_key" => "productKey",
        "device_name" => "deviceName",
        "device_secret" => "deviceSecret",
        "product_secret" => "productSecret",
        "client_id" => "clientId",
        "random" => "random",
        "timestamp" => "timestamp",
        "instance_id" => "instanceId",
        "region" => "region",
        "device_token" => "deviceToken",
        "auth_type" => "authType",
        "secure_mode" => "securemode",
        "version" => "version",
        "resources" => "resources",
        "id" => "id",
        "params" => "params",
        "ack" => "ack",
        "code" => "code",
        "data" => "data",
        "module" => "module",
        "step" => "step",
        "desc" => "desc",
        "device_send_time" => "deviceSendTime",
        "message_id" => "messageId",
        "topic" => "topic",
        "payload" => "payload",
        // The HTTPS registration writes the method as the `signMethod` form field.
        "sign_method" | "sign_method_value" if flow == "http_dynreg" => "signMethod",
        "sign_method" => "signmethod",
        _ => return None,
    })
}

/// The failure for a required input that is absent or `null`.
fn missing(flow: &str, key: &str) -> Fail {
    match aliyun_field(flow, key) {
        Some(field) => Fail::Validation(field, format!("invalid {field}: required")),
        None => Fail::BadRequest(format!("input {key} is required")),
    }
}

/// Every flow name, in the order of the table.
pub const FLOWS: [&str; 14] = [
    "mqtt_device_secret",
    "mqtt_dynreg",
    "mqtt_connwl",
    "http_dynreg",
    "http_dynreg_url",
    "http_auth_devicename",
    "http_channel_auth",
    "tls_psk",
    "mqtt_host",
    "primitive_hmac",
    "parse_register_response",
    "parse_auth_response",
    "parse_register_payload",
    "parse_regnwl_payload",
];

/// The thing-model payload flows, in the order of their table.
pub const THING_FLOWS: [&str; 6] = [
    "thing_property_post",
    "thing_set_reply",
    "ota_inform",
    "ota_progress",
    "ntp_request",
    "rrpc_response",
];

/// The inputs a flow takes, exactly as the table names them; `None` for an unknown flow.
pub fn flow_inputs(flow: &str) -> Option<&'static [&'static str]> {
    Some(match flow {
        "thing_property_post" => &["product_key", "device_name", "id", "params", "ack"],
        "thing_set_reply" => &["product_key", "device_name", "id", "code", "data"],
        "ota_inform" => &["product_key", "device_name", "id", "version", "module"],
        "ota_progress" => &["product_key", "device_name", "id", "step", "desc", "module"],
        "ntp_request" => &["product_key", "device_name", "device_send_time"],
        "rrpc_response" => &[
            "product_key",
            "device_name",
            "message_id",
            "payload",
            "topic",
        ],
        "mqtt_device_secret" => &[
            "product_key",
            "device_name",
            "device_secret",
            "client_id",
            "sign_method",
            "timestamp",
            "secure_mode",
        ],
        "mqtt_dynreg" => &[
            "product_key",
            "device_name",
            "product_secret",
            "random",
            "auth_type",
            "sign_method",
            "client_id",
            "secure_mode",
            "instance_id",
        ],
        "mqtt_connwl" => &[
            "product_key",
            "device_name",
            "client_id",
            "device_token",
            "regnwl_payload",
        ],
        "http_dynreg" => &[
            "product_key",
            "device_name",
            "product_secret",
            "random",
            "sign_method",
            "sign_method_value",
            "region",
        ],
        "http_dynreg_url" => &["region"],
        "http_auth_devicename" => &[
            "product_key",
            "device_name",
            "device_secret",
            "client_id",
            "sign_method",
            "send_signmethod",
            "timestamp",
            "version",
            "resources",
            "region",
        ],
        "http_channel_auth" => &[
            "product_key",
            "device_name",
            "device_secret",
            "client_id",
            "sign_method",
            "timestamp",
            "region",
        ],
        "tls_psk" => &["product_key", "device_name", "device_secret", "timestamp"],
        "mqtt_host" => &["region", "product_key", "instance_id"],
        "primitive_hmac" => &["sign_method", "key", "content"],
        "parse_register_response"
        | "parse_auth_response"
        | "parse_register_payload"
        | "parse_regnwl_payload" => &["text"],
        _ => return None,
    })
}

/// Inputs that are not text on the wire.
const NON_TEXT_INPUTS: [&str; 2] = ["secure_mode", "send_signmethod"];

/// Scripts often hold timestamps, randoms and numeric device names as numbers: a JSON integer
/// given for a text input is taken as its decimal text.
fn normalize(input: &Map<String, Value>) -> Map<String, Value> {
    input
        .iter()
        .map(|(key, value)| {
            let value = match value {
                Value::Number(n)
                    if (n.is_i64() || n.is_u64()) && !NON_TEXT_INPUTS.contains(&key.as_str()) =>
                {
                    Value::from(n.to_string())
                }
                other => other.clone(),
            };
            (key.clone(), value)
        })
        .collect()
}

/// Runs one flow on its input object.
pub fn run_flow(flow: &str, input: &Map<String, Value>) -> Result<Outputs, Fail> {
    let known = flow_inputs(flow).ok_or_else(|| Fail::UnknownFlow(flow.to_string()))?;
    if let Some(name) = input.keys().find(|k| !known.contains(&k.as_str())) {
        return Err(Fail::BadRequest(format!(
            "flow {flow} has no input {name:?} (inputs: {})",
            known.join(", ")
        )));
    }
    let input = &normalize(input);
    let i = Input { map: input, flow };
    let mut out = Outputs::default();
    match flow {
        "mqtt_device_secret" => {
            let method = i.sign_method(SignMethod::HmacSha256)?;
            let mut b = DeviceSecretLogin::new(
                i.req_str("product_key")?,
                i.req_str("device_name")?,
                i.req_str("device_secret")?,
            )
            .sign_method(method);
            if let Some(c) = i.opt_str("client_id")? {
                b = b.client_id(c);
            }
            if let Some(t) = i.opt_str("timestamp")? {
                b = b.timestamp(t);
            }
            if let Some(m) = i.secure_mode()? {
                b = b.secure_mode(m);
            }
            let c = b.build()?;
            out.put("client_id", c.client_id());
            out.put("username", c.username());
            out.put("password", c.password().expose());
            out.put("sign_content", b.sign_content()?.as_str());
            out.put("sign_method", method.wire_name());
        }
        "mqtt_dynreg" => {
            let method = i.sign_method(SignMethod::HmacSha256)?;
            let auth = match i.opt_str("auth_type")? {
                None => AuthType::Register,
                Some(a) => AuthType::parse(a)?,
            };
            let mut b = MqttRegistration::new(
                i.req_str("product_key")?,
                i.req_str("device_name")?,
                i.req_str("product_secret")?,
                i.req_str("random")?,
            )
            .auth_type(auth)
            .sign_method(method);
            if let Some(c) = i.opt_str("client_id")? {
                b = b.client_id(c);
            }
            if let Some(m) = i.secure_mode()? {
                b = b.secure_mode(m);
            }
            if let Some(iid) = i.opt_str("instance_id")? {
                b = b.instance_id(iid);
            }
            let c = b.build()?;
            out.put("client_id", c.client_id());
            out.put("username", c.username());
            out.put("password", c.password().expose());
            out.put("sign_content", b.sign_content()?.as_str());
            out.put("sign_method", method.wire_name());
            out.put("reply_topic", b.reply_topic());
        }
        "mqtt_connwl" => {
            let pk = i.opt_str("product_key")?;
            let dn = i.opt_str("device_name")?;
            let cid = i.opt_str("client_id")?;
            let token = i.opt_str("device_token")?;
            let c = match (i.opt_str("regnwl_payload")?, cid, token) {
                (Some(payload), None, None) => {
                    let reply = parse_regnwl_payload(payload.as_bytes()).map_err(reply_fail)?;
                    if pk.is_some_and(|pk| pk != reply.product_key) {
                        return Err(Fail::Validation(
                            "productKey",
                            "productKey differs from the payload's".into(),
                        ));
                    }
                    if dn.is_some_and(|dn| dn != reply.device_name) {
                        return Err(Fail::Validation(
                            "deviceName",
                            "deviceName differs from the payload's".into(),
                        ));
                    }
                    reply.login()?
                }
                (Some(_), _, _) => {
                    return Err(Fail::BadRequest(
                        "give either client_id and device_token, or regnwl_payload, not both"
                            .into(),
                    ));
                }
                (None, None, None) => {
                    return Err(Fail::BadRequest(
                        "give either client_id and device_token, or regnwl_payload".into(),
                    ));
                }
                (None, _, _) => connwl_login(
                    i.req_str("product_key")?,
                    i.req_str("device_name")?,
                    i.req_str("client_id")?,
                    i.req_str("device_token")?,
                )?,
            };
            out.put("client_id", c.client_id());
            out.put("username", c.username());
            out.put("password", c.password().expose());
        }
        "http_dynreg" => {
            let spelling = i.opt_str("sign_method_value")?;
            // Both inputs describe the `signMethod` form field: errors name it.
            let unknown =
                |text: &str| Fail::Validation("signMethod", format!("unknown signMethod {text:?}"));
            let method = match (i.opt_str("sign_method")?, spelling) {
                (Some(m), _) => SignMethod::parse(m).map_err(|_| unknown(m))?,
                (None, Some(text)) => SignMethod::parse(text).map_err(|_| unknown(text))?,
                (None, None) => SignMethod::HmacSha256,
            };
            let mut b = HttpsRegistration::new(
                i.req_str("product_key")?,
                i.req_str("device_name")?,
                i.req_str("product_secret")?,
                i.req_str("random")?,
            )
            .sign_method(method)
            .region(i.region()?);
            if let Some(text) = spelling {
                b = b.sign_method_spelling(text);
            }
            let r = b.build()?;
            http_outputs(&mut out, &r, true)?;
            out.put("sign_content", b.sign_content()?.as_str());
            out.put("sign_method", method.wire_name());
        }
        "http_dynreg_url" => {
            let region = i.region()?;
            out.put("url", endpoint::register_url(region)?.as_str());
        }
        "http_auth_devicename" => {
            let method = i.sign_method(SignMethod::HmacMd5)?;
            let mut b = HttpsDeviceAuth::new(
                i.req_str("product_key")?,
                i.req_str("device_name")?,
                i.req_str("device_secret")?,
            )
            .sign_method(method)
            .send_sign_method(i.opt_bool("send_signmethod")?.unwrap_or(true))
            .region(i.region()?);
            if let Some(c) = i.opt_str("client_id")? {
                b = b.client_id(c);
            }
            if let Some(t) = i.opt_str("timestamp")? {
                b = b.timestamp(t);
            }
            if let Some(v) = i.opt_str("version")? {
                b = b.version(v);
            }
            if let Some(r) = i.opt_str("resources")? {
                b = b.resources(r);
            }
            let r = b.build()?;
            http_outputs(&mut out, &r, true)?;
            out.put("sign_content", b.sign_content()?.as_str());
            out.put("sign_method", method.wire_name());
        }
        "http_channel_auth" => {
            let method = i.sign_method(SignMethod::HmacSha1)?;
            let mut b = HttpChannelAuth::new(
                i.req_str("product_key")?,
                i.req_str("device_name")?,
                i.req_str("device_secret")?,
            )
            .sign_method(method)
            .region(i.region()?);
            if let Some(c) = i.opt_str("client_id")? {
                b = b.client_id(c);
            }
            if let Some(t) = i.opt_str("timestamp")? {
                b = b.timestamp(t);
            }
            let r = b.build()?;
            http_outputs(&mut out, &r, false)?;
            out.put("sign_content", b.sign_content()?.as_str());
            out.put("sign_method", method.wire_name());
        }
        "tls_psk" => {
            let b = TlsPsk::new(
                i.req_str("product_key")?,
                i.req_str("device_name")?,
                i.req_str("device_secret")?,
            )
            .timestamp(i.opt_str("timestamp")?.unwrap_or(psk::DEFAULT_TIMESTAMP));
            let p = b.build()?;
            out.put("psk_id", p.identity());
            out.put("psk", p.key().expose());
            out.put("sign_content", b.sign_content()?.as_str());
        }
        "mqtt_host" => {
            let ep = mqtt_endpoint(&i)?;
            out.put("host", ep.host()?.as_str());
            out.put("tls_ports", ep.tls_ports().to_vec());
            out.put("tcp_ports", ep.tcp_ports().to_vec());
        }
        "primitive_hmac" => {
            let method = SignMethod::parse(i.req_str("sign_method")?)?;
            let key = i.req_str("key")?;
            let content = i.req_str("content")?;
            out.put(
                "hex",
                hmac_hex(method, key.as_bytes(), content.as_bytes())?.expose(),
            );
        }
        "parse_register_response" | "parse_register_payload" => {
            let text = i.req_str("text")?;
            let parsed = if flow == "parse_register_response" {
                parse_register_reply(text.as_bytes())
            } else {
                parse_register_payload(text.as_bytes())
            };
            match parsed {
                Ok(r) => {
                    out.put("ok", true);
                    out.put("device_secret", r.device_secret.expose());
                    out.put("product_key", r.product_key);
                    out.put("device_name", r.device_name);
                }
                Err(e) => platform_error(&mut out, text, e)?,
            }
        }
        "parse_auth_response" => {
            let text = i.req_str("text")?;
            match parse_auth_reply(text.as_bytes()) {
                Ok(r) => {
                    out.put("ok", true);
                    out.put("iot_id", r.iot_id);
                    out.put("iot_token", r.iot_token.expose());
                    if let Some(m) = r.mqtt {
                        out.put("mqtt_host", m.host);
                        out.put("mqtt_port", m.port);
                    }
                }
                Err(e) => platform_error(&mut out, text, e)?,
            }
        }
        "parse_regnwl_payload" => {
            let text = i.req_str("text")?;
            match parse_regnwl_payload(text.as_bytes()) {
                Ok(r) => {
                    out.put("ok", true);
                    out.put("client_id", r.client_id);
                    out.put("device_token", r.device_token.expose());
                    out.put("product_key", r.product_key);
                    out.put("device_name", r.device_name);
                }
                Err(e) => platform_error(&mut out, text, e)?,
            }
        }
        thing if THING_FLOWS.contains(&thing) => thing_flow(thing, &i, &mut out)?,
        other => return Err(Fail::UnknownFlow(other.to_string())),
    }
    Ok(out)
}

/// Longest payload the thing-model flows write.
const PAYLOAD_CAP: usize = 4096;

fn thing_fail(e: ThingError) -> Fail {
    match e {
        ThingError::Device(e) => e.into(),
        ThingError::Invalid(field) | ThingError::Missing(field) => {
            Fail::Validation(field.name(), format!("invalid {}", field.name()))
        }
        other => Fail::BadRequest(other.to_string()),
    }
}

fn ota_fail(e: OtaError) -> Fail {
    match e {
        OtaError::Invalid { field, .. } | OtaError::Missing { field, .. } => {
            Fail::Validation(field.name(), format!("invalid {}", field.name()))
        }
        other => Fail::BadRequest(other.to_string()),
    }
}

/// A decimal input within `max`, else `validation` on `field`.
fn number(i: &Input<'_>, key: &str, field: &'static str, max: u64) -> Result<Option<u64>, Fail> {
    let Some(text) = i.opt_str(key)? else {
        return Ok(None);
    };
    let digits = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    match text.parse::<u64>() {
        Ok(n) if digits && n <= max => Ok(Some(n)),
        _ => Err(Fail::Validation(
            field,
            format!("invalid {field}: {text:?}"),
        )),
    }
}

fn req_number(i: &Input<'_>, key: &str, field: &'static str, max: u64) -> Result<u64, Fail> {
    number(i, key, field, max)?.ok_or_else(|| missing(i.flow, key))
}

fn thing_flow(flow: &str, i: &Input<'_>, out: &mut Outputs) -> Result<(), Fail> {
    let dev =
        Device::new(i.req_str("product_key")?, i.req_str("device_name")?).map_err(thing_fail)?;
    let mut topic = ThingTopic::new();
    let mut json = heapless::String::<PAYLOAD_CAP>::new();
    let mut buf = [0u8; PAYLOAD_CAP];
    let payload: &str = match flow {
        "thing_property_post" => {
            let id = req_number(i, "id", "id", u64::from(u32::MAX))?;
            let id = u32::try_from(id).map_err(|_| missing(i.flow, "id"))?;
            let ack = match number(i, "ack", "ack", 1)? {
                Some(0) => Ack::NoReply,
                _ => Ack::Reply,
            };
            dev.topic(Topic::PropertyPost, &mut topic)
                .map_err(thing_fail)?;
            write_property_post(id, i.req_str("params")?, ack, &mut json).map_err(thing_fail)?;
            &json
        }
        "thing_set_reply" => {
            let id = req_number(i, "id", "id", u64::MAX)?;
            let code = number(i, "code", "code", u64::from(u32::MAX))?.unwrap_or(200);
            let code = u32::try_from(code).map_err(|_| missing(i.flow, "code"))?;
            let data = i.opt_str("data")?.unwrap_or("{}");
            dev.topic(Topic::PropertySetReply, &mut topic)
                .map_err(thing_fail)?;
            write_reply(id, code, data, &mut json).map_err(thing_fail)?;
            &json
        }
        "ota_inform" => {
            let id = req_number(i, "id", "id", u64::MAX)?;
            dev.topic(Topic::OtaInform, &mut topic)
                .map_err(thing_fail)?;
            write_version_inform(id, i.req_str("version")?, i.opt_str("module")?, &mut buf)
                .map_err(ota_fail)?
        }
        "ota_progress" => {
            let id = req_number(i, "id", "id", u64::MAX)?;
            let text = i.req_str("step")?;
            let step = match text {
                "-1" => Step::UpgradeFailed,
                "-2" => Step::DownloadFailed,
                "-3" => Step::VerifyFailed,
                "-4" => Step::FlashFailed,
                _ => match number(i, "step", "step", 100)? {
                    Some(p) => Step::Percent(u8::try_from(p).unwrap_or(u8::MAX)),
                    None => return Err(missing(i.flow, "step")),
                },
            };
            dev.topic(Topic::OtaProgress, &mut topic)
                .map_err(thing_fail)?;
            let desc = i.opt_str("desc")?.unwrap_or("");
            write_progress(id, step, desc, i.opt_str("module")?, &mut buf).map_err(ota_fail)?
        }
        "ntp_request" => {
            let sent = req_number(i, "device_send_time", "deviceSendTime", u64::MAX)?;
            dev.topic(Topic::NtpRequest, &mut topic)
                .map_err(thing_fail)?;
            write_ntp_request(sent, &mut json).map_err(thing_fail)?;
            &json
        }
        "rrpc_response" => {
            let message_id = i.req_str("message_id")?;
            let t = match i.opt_str("topic")? {
                None => Topic::RrpcResponse(message_id),
                Some(topic) => Topic::ExtRrpc { message_id, topic },
            };
            dev.topic(t, &mut topic).map_err(thing_fail)?;
            let payload = i.req_str("payload")?;
            if payload.len() > PAYLOAD_CAP {
                return Err(Fail::BadRequest(format!(
                    "payload longer than {PAYLOAD_CAP} bytes"
                )));
            }
            payload
        }
        other => return Err(Fail::UnknownFlow(other.to_string())),
    };
    out.put("topic", topic.as_str());
    out.put("payload", payload);
    Ok(())
}

fn mqtt_endpoint<'a>(i: &Input<'a>) -> Result<MqttEndpoint<'a>, Fail> {
    Ok(match i.opt_str("instance_id")? {
        Some(instance_id) => MqttEndpoint::Instance { instance_id },
        None => MqttEndpoint::Public {
            product_key: i.req_str("product_key")?,
            region: i.region()?,
        },
    })
}

fn http_outputs(out: &mut Outputs, r: &HttpRequest, with_host: bool) -> Result<(), Fail> {
    out.put("method", r.method());
    out.put("url", r.url()?.as_str());
    if with_host {
        out.put("host", r.host());
        out.put("port", r.port());
        out.put("path", r.path());
    }
    out.put("content_type", r.content_type());
    out.put("body", r.body().expose());
    out.put("sign", r.sign().expose());
    Ok(())
}

fn reply_fail(e: ReplyError<'_>) -> Fail {
    match e {
        ReplyError::Invalid { field, problem } => Fail::Validation(
            field.name(),
            format!("invalid {} in the text: {problem}", field.name()),
        ),
        other => Fail::Parse(other.to_string()),
    }
}

/// `ok: false` with the platform's code and decoded message, or the matching failure.
fn platform_error(out: &mut Outputs, text: &str, e: ReplyError<'_>) -> Result<(), Fail> {
    match e {
        ReplyError::Platform { code, message } => {
            let decoded = serde_json::from_str::<Value>(text)
                .ok()
                .and_then(|v| v.get("message").and_then(Value::as_str).map(String::from))
                .unwrap_or_else(|| message.to_string());
            out.put("ok", false);
            out.put("code", code);
            out.put("message", decoded);
            Ok(())
        }
        other => Err(reply_fail(other)),
    }
}

fn to_json_line(id: &Value, fields: &[(&str, Value)]) -> String {
    let mut s = String::from("{\"id\":");
    s.push_str(&id.to_string());
    for (k, v) in fields {
        s.push(',');
        s.push_str(&Value::from(*k).to_string());
        s.push(':');
        s.push_str(&v.to_string());
    }
    s.push('}');
    s
}

fn fail_fields(f: &Fail) -> Vec<(&'static str, Value)> {
    let mut v = vec![("error", Value::from(f.kind()))];
    if let Fail::Validation(field, _) = f {
        v.push(("field", Value::from(*field)));
    }
    v
}

/// The top-level `id` of a line that is not valid JSON as a whole (cut short, trailing text,
/// a broken member after `id`): the members are read in order until `id` or the damage, and
/// the `id` value counts only when a `,` or `}` shows that it is complete.
pub fn recover_id(line: &str) -> Option<Value> {
    let mut rest = line.trim_start().strip_prefix('{')?;
    loop {
        rest = rest.trim_start();
        let mut keys = serde_json::Deserializer::from_str(rest).into_iter::<String>();
        let key = keys.next()?.ok()?;
        rest = rest
            .get(keys.byte_offset()..)?
            .trim_start()
            .strip_prefix(':')?;
        let mut values = serde_json::Deserializer::from_str(rest).into_iter::<Value>();
        let value = values.next()?.ok()?;
        rest = rest.get(values.byte_offset()..)?.trim_start();
        // Only a value followed by `,` or `}` is known to be whole (`12` may be cut from `123`).
        if key == "id" && (rest.starts_with(',') || rest.starts_with('}')) {
            return Some(value);
        }
        rest = rest.strip_prefix(',')?;
    }
}

/// Handles one request line; `None` for a blank line.
pub fn handle_line(line: &str) -> Option<String> {
    if line.trim().is_empty() {
        return None;
    }
    let req: Value = match serde_json::from_str(line) {
        Ok(v) => v,
        Err(e) => {
            let f = Fail::BadRequest(format!("not JSON: {e}"));
            let id = recover_id(line).unwrap_or(Value::Null);
            return Some(to_json_line(&id, &fail_fields(&f)));
        }
    };
    let id = req.get("id").cloned().unwrap_or(Value::Null);
    let result = (|| {
        let obj = req
            .as_object()
            .ok_or_else(|| Fail::BadRequest("a request is a JSON object".into()))?;
        let flow = obj
            .get("flow")
            .and_then(Value::as_str)
            .ok_or_else(|| Fail::BadRequest("flow must be a string".into()))?;
        let empty = Map::new();
        let input = match obj.get("input") {
            None | Some(Value::Null) => &empty,
            Some(Value::Object(m)) => m,
            Some(_) => return Err(Fail::BadRequest("input must be an object".into())),
        };
        run_flow(flow, input)
    })();
    Some(match result {
        Ok(out) => to_json_line(&id, &out.0),
        Err(f) => to_json_line(&id, &fail_fields(&f)),
    })
}

/// The `--json` loop: one reply line per non-blank request line.
pub fn run_json(input: impl BufRead, mut output: impl Write) -> io::Result<()> {
    for line in input.split(b'\n') {
        let line = line?;
        let reply = match std::str::from_utf8(&line) {
            Ok(text) => handle_line(text.trim_end_matches('\r')),
            Err(_) => {
                // Not UTF-8: refused, with the id when the rest of the line shows it.
                let text = String::from_utf8_lossy(&line);
                let id = recover_id(&text).unwrap_or(Value::Null);
                Some(to_json_line(
                    &id,
                    &fail_fields(&Fail::BadRequest("not UTF-8".into())),
                ))
            }
        };
        if let Some(reply) = reply {
            writeln!(output, "{reply}")?;
            output.flush()?;
        }
    }
    Ok(())
}

/// AT command family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// Quectel (`AT+QMT*`, `AT+QHTTP*`).
    Quectel,
    /// Luat (`AT+MCONFIG`, `AT+HTTP*`).
    Luat,
}

/// How the AT lines are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Print {
    /// AT command family.
    pub dialect: Dialect,
    /// MQTT port of the open command.
    pub port: u16,
    /// Quectel `mqtt_device_secret`: let the module sign (`AT+QMTCFG="aliauth"`).
    pub aliauth: bool,
}

impl Default for Print {
    fn default() -> Self {
        Self {
            dialect: Dialect::Quectel,
            port: 1883,
            aliauth: false,
        }
    }
}

/// `"<text>"` for an AT string argument.
fn quoted(text: &str) -> String {
    format!("\"{text}\"")
}

/// Renders the AT lines (and `#` explanations) for a flow's outputs. `input` is the flow's
/// input plus the printout-only `instance_id` / `region` that pick the MQTT host.
pub fn render(
    flow: &str,
    input: &Map<String, Value>,
    out: &Outputs,
    print: Print,
) -> Result<Vec<String>, Fail> {
    let mut lines = Vec::new();
    let i = Input { map: input, flow };
    let Print {
        dialect,
        port,
        aliauth,
    } = print;
    if aliauth && (flow != "mqtt_device_secret" || dialect != Dialect::Quectel) {
        return Err(Fail::BadRequest(
            "--aliauth applies to --flow mqtt_device_secret with --dialect quectel".into(),
        ));
    }
    match flow {
        "mqtt_device_secret" | "mqtt_dynreg" | "mqtt_connwl" => {
            if let Some(c) = out
                .get("sign_content")
                .and_then(Value::as_str)
                .filter(|_| !aliauth)
            {
                lines.push(format!("# sign content: {c}"));
                lines.push(format!("# sign method: {}", out.str("sign_method")));
            }
            let tls = match flow {
                "mqtt_device_secret" => i.opt_i64("secure_mode")? != Some(3),
                _ => true,
            };
            let host = match mqtt_endpoint(&i) {
                Ok(ep) => ep.host().ok().map(|h| h.to_string()),
                Err(_) => None,
            };
            let host = host.unwrap_or_else(|| {
                lines.push("# no --instance-id or --product-key: replace <host>".into());
                "<host>".into()
            });
            let (cid, user, pass) = (
                out.str("client_id"),
                out.str("username"),
                out.str("password"),
            );
            if [cid, user, pass].iter().any(|v| v.contains('"')) {
                lines.push("# warning: a value holds '\"', which AT strings cannot carry".into());
            }
            match dialect {
                Dialect::Quectel if aliauth => {
                    let bare = match i.opt_str("client_id")? {
                        Some(c) => c.to_string(),
                        None => format!(
                            "{}.{}",
                            i.req_str("product_key")?,
                            i.req_str("device_name")?
                        ),
                    };
                    lines.push(
                        "# the module computes username and password from the triple itself".into(),
                    );
                    lines.push("AT+QMTCFG=\"version\",0,4".into());
                    lines.push(ssl_line(tls));
                    lines.push(format!(
                        "AT+QMTCFG=\"aliauth\",0,{},{},{}",
                        quoted(i.req_str("product_key")?),
                        quoted(i.req_str("device_name")?),
                        quoted(i.req_str("device_secret")?)
                    ));
                    lines.push(format!("AT+QMTOPEN=0,{},{port}", quoted(&host)));
                    lines.push(format!("AT+QMTCONN=0,{}", quoted(&bare)));
                }
                Dialect::Quectel => {
                    lines.push("AT+QMTCFG=\"version\",0,4".into());
                    lines.push(
                        "# must answer +QMTCFG: \"aliauth\",,, (a stored triple makes the module sign by itself)"
                            .into(),
                    );
                    lines.push("AT+QMTCFG=\"aliauth\",0".into());
                    lines.push(ssl_line(tls));
                    lines.push(format!("AT+QMTOPEN=0,{},{port}", quoted(&host)));
                    lines.push(format!(
                        "AT+QMTCONN=0,{},{},{}",
                        quoted(cid),
                        quoted(user),
                        quoted(pass)
                    ));
                    if flow == "mqtt_device_secret" {
                        lines.push(
                            "# or let the module sign: --aliauth true (AT+QMTCFG=\"aliauth\",0,\"<pk>\",\"<dn>\",\"<ds>\")"
                                .into(),
                        );
                    }
                }
                Dialect::Luat => {
                    lines.push(format!(
                        "AT+MCONFIG={},{},{}",
                        quoted(cid),
                        quoted(user),
                        quoted(pass)
                    ));
                    let open = if tls { "SSLMIPSTART" } else { "MIPSTART" };
                    lines.push(format!("AT+{open}={},{port}", quoted(&host)));
                    lines.push(
                        "# send AT+MCONNECT right after CONNECT OK, or the link is dropped".into(),
                    );
                    lines.push("AT+MCONNECT=1,300".into());
                }
            }
            if let Some(topic) = out.get("reply_topic").and_then(Value::as_str) {
                lines.push(format!(
                    "# the platform publishes one message on {topic}, then closes the link{}",
                    if dialect == Dialect::Quectel {
                        " (+QMTSTAT: 0,1)"
                    } else {
                        ""
                    }
                ));
                lines.push(if topic == endpoint::REGNWL_REPLY_TOPIC {
                    "# keep its clientId and deviceToken (new ones on every run): --flow mqtt_connwl --regnwl-payload '<payload>'".into()
                } else {
                    "# keep its deviceSecret: --flow parse_register_payload, then --flow mqtt_device_secret".into()
                });
            }
        }
        "http_dynreg" | "http_auth_devicename" | "http_channel_auth" => {
            lines.push(format!("# sign content: {}", out.str("sign_content")));
            lines.push(format!("# sign method: {}", out.str("sign_method")));
            let (url, body, ct) = (out.str("url"), out.str("body"), out.str("content_type"));
            match dialect {
                Dialect::Quectel => {
                    if ct != "application/x-www-form-urlencoded" {
                        lines.push(format!("# {ct}: content type 4 (firmware that offers it)"));
                        lines.push("AT+QHTTPCFG=\"contenttype\",4".into());
                    }
                    lines.push(format!("AT+QHTTPURL={},80", url.len()));
                    lines.push(format!("# after CONNECT, send these {} bytes:", url.len()));
                    lines.push(url.to_string());
                    lines.push(format!("AT+QHTTPPOST={},120,120", body.len()));
                    lines.push(format!("# after CONNECT, send these {} bytes:", body.len()));
                    lines.push(body.to_string());
                    lines.push("AT+QHTTPREAD=200".into());
                }
                Dialect::Luat => {
                    lines.push("AT+HTTPINIT".into());
                    lines.push(format!("AT+HTTPPARA=\"URL\",{}", quoted(url)));
                    lines.push(format!(
                        "AT+HTTPPARA=\"USER_DEFINED\",{}",
                        quoted(&format!("Content-Type: {ct}"))
                    ));
                    lines.push(format!("AT+HTTPDATA={},20000", body.len()));
                    lines.push(format!(
                        "# after DOWNLOAD, send these {} bytes:",
                        body.len()
                    ));
                    lines.push(body.to_string());
                    lines.push("AT+HTTPACTION=1".into());
                    lines.push("AT+HTTPREAD".into());
                    lines.push("AT+HTTPTERM".into());
                }
            }
            match flow {
                "http_dynreg" => lines.push(
                    "# keep the reply's data.deviceSecret: --flow parse_register_response, then --flow mqtt_device_secret".into(),
                ),
                "http_auth_devicename" => {
                    let bare = match i.opt_str("client_id")? {
                        Some(c) => c.to_string(),
                        None => format!("{}.{}", i.req_str("product_key")?, i.req_str("device_name")?),
                    };
                    lines.push(format!(
                        "# then MQTT with client id {bare} (bare), username data.iotId, password data.iotToken (--flow parse_auth_response):"
                    ));
                    lines.push(match dialect {
                        Dialect::Quectel => {
                            format!("#   AT+QMTCONN=0,{},\"<iotId>\",\"<iotToken>\"", quoted(&bare))
                        }
                        Dialect::Luat => {
                            format!("#   AT+MCONFIG={},\"<iotId>\",\"<iotToken>\"", quoted(&bare))
                        }
                    });
                }
                _ => lines.push(
                    "# then POST /topic/<topic> with the header password: <info.token of the reply>"
                        .into(),
                ),
            }
        }
        thing if THING_FLOWS.contains(&thing) => {
            let (topic, payload) = (out.str("topic"), out.str("payload"));
            lines.push(format!("# topic: {topic}"));
            lines.push(match flow {
                "rrpc_response" => {
                    "# publish at QoS 0 (the only QoS the platform takes), within 7 s of the request".into()
                }
                _ => "# publish at QoS 0".into(),
            });
            if topic.contains('"') {
                lines.push("# warning: a value holds '\"', which AT strings cannot carry".into());
            }
            match dialect {
                Dialect::Quectel => lines.push(format!(
                    "AT+QMTPUBEX=0,0,0,0,{},{}",
                    quoted(topic),
                    payload.len()
                )),
                Dialect::Luat => {
                    lines.push(format!("AT+MPUBEX={},0,0,{}", quoted(topic), payload.len()));
                }
            }
            lines.push(format!("# after >, send these {} bytes:", payload.len()));
            lines.push(payload.to_string());
            match flow {
                "thing_property_post" if i.opt_str("ack")? != Some("0") => {
                    lines.push(format!("# the platform answers on {topic}_reply"));
                }
                "ntp_request" => lines.push(format!(
                    "# the platform answers on {} (subscribe to it first)",
                    topic.replace("/request", "/response")
                )),
                _ => {}
            }
        }
        _ => {
            for (k, v) in &out.0 {
                match v {
                    Value::String(s) => lines.push(format!("{k}: {s}")),
                    other => lines.push(format!("{k}: {other}")),
                }
            }
        }
    }
    Ok(lines)
}

fn ssl_line(tls: bool) -> String {
    if tls {
        "AT+QMTCFG=\"ssl\",0,1,2".into()
    } else {
        "AT+QMTCFG=\"ssl\",0,0".into()
    }
}

const USAGE: &str = "\
aliyun_sign: Aliyun IoT credential calculator

usage:
  aliyun_sign --flow <flow> [--dialect quectel|luat] [--port <n>] [--<input-name> <value>]...
  aliyun_sign --json        (JSON lines on stdin and stdout)
  aliyun_sign --help

flows:
  mqtt_device_secret    --product-key --device-name --device-secret [--client-id]
                        [--sign-method] [--timestamp] [--secure-mode 2|3]
                        [--instance-id|--region] [--aliauth true (quectel)]
  mqtt_dynreg           --product-key --device-name --product-secret --random
                        [--auth-type register|regnwl] [--sign-method] [--client-id]
                        [--secure-mode 2|-2] [--instance-id|--region]
  mqtt_connwl           --product-key --device-name (--client-id --device-token | --regnwl-payload)
                        [--instance-id|--region]
  http_dynreg           --product-key --device-name --product-secret --random [--sign-method]
                        [--sign-method-value HmacMD5] [--region]
  http_dynreg_url       [--region]
  http_auth_devicename  --product-key --device-name --device-secret [--client-id] [--sign-method]
                        [--send-signmethod true|false] [--timestamp] [--version] [--resources]
                        [--region]
  http_channel_auth     --product-key --device-name --device-secret [--client-id] [--sign-method]
                        [--timestamp] [--region]
  tls_psk               --product-key --device-name --device-secret [--timestamp]
  mqtt_host             --product-key [--region] | --instance-id
  primitive_hmac        --sign-method --key --content
  parse_register_response | parse_auth_response | parse_register_payload | parse_regnwl_payload
                        --text '<JSON text>'

thing-model payloads (all with --product-key --device-name; printed with AT publish lines):
  thing_property_post   --id --params '<JSON object>' [--ack 1|0]
  thing_set_reply       --id [--code 200] [--data '{}']
  ota_inform            --id --version [--module]
  ota_progress          --id --step 0..100|-1|-2|-3|-4 [--desc] [--module]
  ntp_request           --device-send-time <ms>
  rrpc_response         --message-id --payload [--topic /<pk>/<dn>/user/<name>]

sign methods: hmacmd5, hmacsha1, hmacsha256 (any case). Defaults: region cn-shanghai,
client id <productKey>.<deviceName>. Lines starting with # are explanations.
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() || args.iter().any(|a| a == "--help" || a == "-h") {
        print!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    if args.iter().any(|a| a == "--json") {
        if args.len() != 1 {
            eprintln!("--json takes no other arguments");
            return ExitCode::from(2);
        }
        let stdin = io::stdin();
        let stdout = io::stdout();
        return match run_json(stdin.lock(), stdout.lock()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("{e}");
                ExitCode::FAILURE
            }
        };
    }
    match cli(&args) {
        Ok(lines) => {
            for l in lines {
                println!("{l}");
            }
            ExitCode::SUCCESS
        }
        Err(f) => {
            match &f {
                Fail::Validation(field, msg) => eprintln!("error: {msg} (field {field})"),
                other => eprintln!("error: {}", other.message()),
            }
            ExitCode::FAILURE
        }
    }
}

/// MQTT flows whose printout needs a host: `instance_id` / `region` may be given for it even
/// when the flow does not take them.
const HOST_ONLY_INPUTS: [&str; 2] = ["instance_id", "region"];

/// Parses the command line and computes the printed lines.
pub fn cli(args: &[String]) -> Result<Vec<String>, Fail> {
    let mut flow = None;
    let mut print = Print::default();
    let mut input = Map::new();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let name = arg
            .strip_prefix("--")
            .ok_or_else(|| Fail::BadRequest(format!("unexpected argument {arg:?}")))?;
        let value = it
            .next()
            .ok_or_else(|| Fail::BadRequest(format!("--{name} needs a value")))?;
        let key = name.replace('-', "_");
        let boolean = |value: &str| {
            value.parse::<bool>().map_err(|_| {
                Fail::BadRequest(format!("--{name}: expected true or false, got {value:?}"))
            })
        };
        match key.as_str() {
            "flow" => flow = Some(value.replace('-', "_")),
            "dialect" => {
                print.dialect = match value.to_ascii_lowercase().as_str() {
                    "quectel" => Dialect::Quectel,
                    "luat" => Dialect::Luat,
                    _ => return Err(Fail::BadRequest(format!("unknown dialect {value:?}"))),
                }
            }
            "port" => {
                print.port = value
                    .parse()
                    .map_err(|_| Fail::BadRequest(format!("bad port {value:?}")))?
            }
            "aliauth" => print.aliauth = boolean(value)?,
            "secure_mode" => {
                let n: i64 = value
                    .parse()
                    .map_err(|_| Fail::BadRequest(format!("bad secure mode {value:?}")))?;
                input.insert(key, Value::from(n));
            }
            "send_signmethod" => {
                input.insert(key, Value::from(boolean(value)?));
            }
            _ => {
                if input.insert(key, Value::from(value.as_str())).is_some() {
                    return Err(Fail::BadRequest(format!("--{name} given twice")));
                }
            }
        }
    }
    let flow = flow.ok_or_else(|| Fail::BadRequest("--flow is required (see --help)".into()))?;
    let known = flow_inputs(&flow).ok_or_else(|| Fail::UnknownFlow(flow.clone()))?;
    let mqtt = matches!(
        flow.as_str(),
        "mqtt_device_secret" | "mqtt_dynreg" | "mqtt_connwl"
    );
    // The host-only inputs go to the printout, not to the flow.
    let flow_input: Map<String, Value> = input
        .iter()
        .filter(|(k, _)| {
            !(mqtt && HOST_ONLY_INPUTS.contains(&k.as_str()) && !known.contains(&k.as_str()))
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let out = run_flow(&flow, &flow_input)?;
    render(&flow, &input, &out, print)
}
