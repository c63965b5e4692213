//! The platform's replies: HTTPS JSON bodies and the one-shot MQTT registration payloads.
//!
//! | reply | success | parser |
//! |---|---|---|
//! | HTTPS `/auth/register/device` | `{"code":200,"data":{"deviceName":..,"deviceSecret":..,"productKey":..},"message":"success"}` | [`parse_register_reply`] |
//! | HTTPS `/auth/devicename` | `{"code":200,"data":{"iotId":..,"iotToken":..[,"resources":{"mqtt":{"host":..,"port":..}}]},"message":"success"}` (`deviceId` accepted for `iotId`) | [`parse_auth_reply`] |
//! | MQTT `/ext/register` | `{"deviceSecret":..,"productKey":..,"deviceName":..}` | [`parse_register_payload`] |
//! | MQTT `/ext/regnwl` | `{"clientId":..,"productKey":..,"deviceName":..,"deviceToken":..}` | [`parse_regnwl_payload`] |
//! | HTTP channel `/auth` | `{"code":0,"message":"success","info":{"token":..}}` | [`parse_http_channel_reply`] |
//!
//! Every parser first checks that the reply nests objects and arrays no deeper than
//! [`MAX_REPLY_DEPTH`](super::json::MAX_REPLY_DEPTH) levels (a string-aware scan that does
//! not recurse): a deeper reply, e.g. `{"code":200,"x":[[[[…]]]]}` hundreds of levels down
//! in a member that is otherwise ignored, is [`ReplyError::Malformed`] instead of a stack
//! overflow.
//!
//! A reply with another `code` (e.g. `{"code":460,"message":"request parameter error"}`)
//! becomes [`ReplyError::Platform`], whatever the rest of it holds (`code` and `message` are
//! read before the success shape). Unknown fields are ignored. Every value is borrowed from
//! the input and validated with the rules of [`super::validate`]; `message` is returned as it
//! appears between its quotes (JSON escapes are not decoded).

use serde::Deserialize;

use super::error::{Error, Field, Problem};
use super::mqtt::{DeviceSecretLogin, MqttCredentials, connwl_login, token_login};
use super::secret::SecretRef;
use super::validate;

/// `code` of a successful `iot-auth` reply.
pub const SUCCESS_CODE: i64 = 200;
/// `code` of a successful HTTP channel reply.
pub const HTTP_CHANNEL_SUCCESS_CODE: i64 = 0;

/// Why a reply could not be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ReplyError<'a> {
    /// Not JSON, or not the expected shape.
    #[error("reply is not the expected JSON")]
    Malformed,
    /// The platform refused the request.
    #[error("Aliyun error {code}: {message}")]
    Platform {
        /// Aliyun's `code` (e.g. 460 request parameter error, 6100 device not found).
        code: i64,
        /// Aliyun's `message`, raw (empty when absent).
        message: &'a str,
    },
    /// A success reply without a required field: the field, and the reply's `code` when it
    /// had one (200 for the HTTPS endpoints), so a success code is told apart from a garbled
    /// reply.
    #[error("reply lacks {field}")]
    Missing {
        /// The Aliyun field that is missing.
        field: Field,
        /// The reply's `code`, if it had one.
        code: Option<i64>,
    },
    /// A field of a success reply fails validation.
    #[error("reply has an invalid {field}: {problem}")]
    Invalid {
        /// The Aliyun field.
        field: Field,
        /// What is wrong with it.
        problem: Problem,
    },
}

impl From<Error> for ReplyError<'_> {
    fn from(e: Error) -> Self {
        match e {
            Error::Invalid { field, problem } => Self::Invalid { field, problem },
            _ => Self::Malformed,
        }
    }
}

/// A `deviceSecret` issued by a registration (HTTPS or `/ext/register`).
#[derive(Clone, Copy, Debug)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct DeviceSecretReply<'a> {
    /// `productKey` echoed by the platform.
    pub product_key: &'a str,
    /// `deviceName` echoed by the platform.
    pub device_name: &'a str,
    /// The new `deviceSecret`: persist it, the platform will not send it again.
    pub device_secret: SecretRef<'a>,
}

impl<'a> DeviceSecretReply<'a> {
    /// The one-device-one-secret login with the new secret (defaults of [`DeviceSecretLogin`]).
    ///
    /// ```
    /// use atmodem::aliyun::reply::parse_register_reply;
    /// let body = br#"{"code":200,"data":{"deviceName":"862991419835241","deviceSecret":"mRMyB50qafv74A5FofvhxZ2h9iTL9wX7","productKey":"b1KCi45LcCP"},"message":"success"}"#;
    /// let creds = parse_register_reply(body)?.login().build()?;
    /// assert_eq!(creds.username(), "862991419835241&b1KCi45LcCP");
    /// # Ok::<(), Box<dyn std::error::Error + '_>>(())
    /// ```
    #[must_use]
    pub const fn login(&self) -> DeviceSecretLogin<'a> {
        DeviceSecretLogin::new(
            self.product_key,
            self.device_name,
            self.device_secret.expose(),
        )
    }
}

/// The MQTT broker named by `data.resources.mqtt` of an `/auth/devicename` reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct MqttResource<'a> {
    /// Host name.
    pub host: &'a str,
    /// Port.
    pub port: u16,
}

/// A successful `/auth/devicename` reply.
#[derive(Clone, Copy, Debug)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct AuthReply<'a> {
    /// `iotId` (or `deviceId`): the MQTT username.
    pub iot_id: &'a str,
    /// `iotToken`: the MQTT password.
    pub iot_token: SecretRef<'a>,
    /// The broker, when the request asked for `resources=mqtt`.
    pub mqtt: Option<MqttResource<'a>>,
}

impl AuthReply<'_> {
    /// The MQTT login: `client_id` is the one the auth request used (bare).
    ///
    /// ```
    /// use atmodem::aliyun::reply::parse_auth_reply;
    /// let body = br#"{"code":200,"data":{"iotId":"42Ze0mk3556498a1AlTP","iotToken":"0d7fdeb9dc1f4344a2cc0d45edcb0bcb","resources":{"mqtt":{"host":"xxx.iot-as-mqtt.cn-shanghai.aliyuncs.com","port":1883}}},"message":"success"}"#;
    /// let creds = parse_auth_reply(body)?.login("dev-1")?;
    /// assert_eq!((creds.client_id(), creds.username()), ("dev-1", "42Ze0mk3556498a1AlTP"));
    /// assert_eq!(creds.password().expose(), "0d7fdeb9dc1f4344a2cc0d45edcb0bcb");
    /// # Ok::<(), Box<dyn std::error::Error + '_>>(())
    /// ```
    pub fn login(&self, client_id: &str) -> Result<MqttCredentials, Error> {
        token_login(client_id, self.iot_id, self.iot_token.expose())
    }
}

/// The `/ext/regnwl` payload of a registration-free registration.
#[derive(Clone, Copy, Debug)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct RegnwlReply<'a> {
    /// `clientId` to log in with.
    pub client_id: &'a str,
    /// `productKey`.
    pub product_key: &'a str,
    /// `deviceName`.
    pub device_name: &'a str,
    /// `deviceToken`: the MQTT password of the connwl login.
    pub device_token: SecretRef<'a>,
}

impl RegnwlReply<'_> {
    /// The `authType=connwl` login built from this payload.
    ///
    /// ```
    /// use atmodem::aliyun::reply::parse_regnwl_payload;
    /// let payload = br#"{"clientId":"KzLKNeWyE7SxiWLuPpZQ000100","productKey":"i2uq9ORmOSM","deviceName":"Kit001","deviceToken":"^1^1681709523062^c5cce0a49b03685"}"#;
    /// let creds = parse_regnwl_payload(payload)?.login()?;
    /// assert_eq!(creds.client_id(), "KzLKNeWyE7SxiWLuPpZQ000100|securemode=-2,authType=connwl|");
    /// assert_eq!(creds.username(), "Kit001&i2uq9ORmOSM");
    /// assert_eq!(creds.password().expose(), "^1^1681709523062^c5cce0a49b03685");
    /// # Ok::<(), Box<dyn std::error::Error + '_>>(())
    /// ```
    pub fn login(&self) -> Result<MqttCredentials, Error> {
        connwl_login(
            self.product_key,
            self.device_name,
            self.client_id,
            self.device_token.expose(),
        )
    }
}

/// The token of a successful HTTP channel `/auth` reply.
#[derive(Clone, Copy, Debug)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct HttpChannelToken<'a> {
    /// Value for the `password` header of `POST /topic/...`.
    pub token: SecretRef<'a>,
}

#[derive(Deserialize)]
struct RawDeviceSecret<'a> {
    #[serde(rename = "deviceSecret", borrow, default)]
    device_secret: Option<&'a str>,
    #[serde(rename = "productKey", borrow, default)]
    product_key: Option<&'a str>,
    #[serde(rename = "deviceName", borrow, default)]
    device_name: Option<&'a str>,
}

#[derive(Deserialize)]
struct RawRegisterReply<'a> {
    #[serde(default)]
    code: Option<i64>,
    #[serde(borrow, default)]
    message: Option<&'a str>,
    #[serde(borrow, default)]
    data: Option<RawDeviceSecret<'a>>,
}

#[derive(Deserialize)]
struct RawMqttResource<'a> {
    #[serde(borrow, default)]
    host: Option<&'a str>,
    #[serde(default)]
    port: Option<u16>,
}

#[derive(Deserialize)]
struct RawResources<'a> {
    #[serde(borrow, default)]
    mqtt: Option<RawMqttResource<'a>>,
}

#[derive(Deserialize)]
struct RawAuthData<'a> {
    #[serde(rename = "iotId", borrow, default)]
    iot_id: Option<&'a str>,
    #[serde(rename = "deviceId", borrow, default)]
    device_id: Option<&'a str>,
    #[serde(rename = "iotToken", borrow, default)]
    iot_token: Option<&'a str>,
    #[serde(borrow, default)]
    resources: Option<RawResources<'a>>,
}

#[derive(Deserialize)]
struct RawAuthReply<'a> {
    #[serde(default)]
    code: Option<i64>,
    #[serde(borrow, default)]
    message: Option<&'a str>,
    #[serde(borrow, default)]
    data: Option<RawAuthData<'a>>,
}

#[derive(Deserialize)]
struct RawRegnwl<'a> {
    #[serde(rename = "clientId", borrow, default)]
    client_id: Option<&'a str>,
    #[serde(rename = "productKey", borrow, default)]
    product_key: Option<&'a str>,
    #[serde(rename = "deviceName", borrow, default)]
    device_name: Option<&'a str>,
    #[serde(rename = "deviceToken", borrow, default)]
    device_token: Option<&'a str>,
}

#[derive(Deserialize)]
struct RawToken<'a> {
    #[serde(borrow, default)]
    token: Option<&'a str>,
}

#[derive(Deserialize)]
struct RawChannelReply<'a> {
    #[serde(default)]
    code: Option<i64>,
    #[serde(borrow, default)]
    message: Option<&'a str>,
    #[serde(borrow, default)]
    info: Option<RawToken<'a>>,
}

/// `code` and `message` alone: read first, so that an error reply becomes
/// [`ReplyError::Platform`] whatever shape the rest of it has (e.g. `"data":""`).
#[derive(Deserialize)]
struct RawStatus<'a> {
    #[serde(default)]
    code: Option<i64>,
    #[serde(borrow, default)]
    message: Option<&'a str>,
}

/// The platform's error, if `input` is a JSON object whose `code` is present and not
/// `success`; `Ok` otherwise (including when `code` is absent).
/// Gives the reply's `code` (absent in the MQTT registration payloads).
fn platform_error(input: &[u8], success: i64) -> Result<Option<i64>, ReplyError<'_>> {
    let status: RawStatus<'_> = from_json(input)?;
    match status.code {
        Some(code) if code != success => {
            check_code(Some(code), status.message, success).map(|()| Some(code))
        }
        code => Ok(code),
    }
}

/// Deserialises a reply, after checking that it nests no deeper than
/// [`MAX_REPLY_DEPTH`](super::json::MAX_REPLY_DEPTH) (the parser recurses once per level,
/// ignored members included): a deeper one is [`ReplyError::Malformed`].
pub(crate) fn from_json<'a, T: Deserialize<'a>>(input: &'a [u8]) -> Result<T, ReplyError<'a>> {
    if !super::json::within_depth(input, super::json::MAX_REPLY_DEPTH) {
        return Err(ReplyError::Malformed);
    }
    serde_json_core::from_slice::<T>(input)
        .map(|(value, _)| value)
        .map_err(|_| ReplyError::Malformed)
}

/// `Ok` when `code` is the success code; the platform error otherwise.
fn check_code<'a>(
    code: Option<i64>,
    message: Option<&'a str>,
    success: i64,
) -> Result<(), ReplyError<'a>> {
    match code {
        Some(c) if c == success => Ok(()),
        Some(c) => Err(ReplyError::Platform {
            code: c,
            message: message.unwrap_or_default(),
        }),
        None => Err(ReplyError::Missing {
            field: Field::Code,
            code: None,
        }),
    }
}

fn required<'a>(
    value: Option<&'a str>,
    field: Field,
    rule: fn(&str) -> Result<(), Error>,
    code: Option<i64>,
) -> Result<&'a str, ReplyError<'a>> {
    let v = value.ok_or(ReplyError::Missing { field, code })?;
    rule(v)?;
    Ok(v)
}

fn device_secret_reply(
    raw: RawDeviceSecret<'_>,
    code: Option<i64>,
) -> Result<DeviceSecretReply<'_>, ReplyError<'_>> {
    Ok(DeviceSecretReply {
        product_key: required(
            raw.product_key,
            Field::ProductKey,
            validate::product_key,
            code,
        )?,
        device_name: required(
            raw.device_name,
            Field::DeviceName,
            validate::device_name,
            code,
        )?,
        device_secret: SecretRef::new(required(
            raw.device_secret,
            Field::DeviceSecret,
            validate::device_secret,
            code,
        )?),
    })
}

fn missing<'a>(field: Field, code: Option<i64>) -> ReplyError<'a> {
    ReplyError::Missing { field, code }
}

/// Parses the reply of HTTPS `/auth/register/device`.
///
/// ```
/// use atmodem::aliyun::reply::{ReplyError, parse_register_reply};
/// let body = br#"{"code":200,"data":{"deviceName":"862991419835241","deviceSecret":"mRMyB50qafv74A5FofvhxZ2h9iTL9wX7","productKey":"b1KCi45LcCP"},"message":"success"}"#;
/// let r = parse_register_reply(body).unwrap();
/// assert_eq!((r.product_key, r.device_secret.expose()), ("b1KCi45LcCP", "mRMyB50qafv74A5FofvhxZ2h9iTL9wX7"));
/// let refused = parse_register_reply(br#"{"code":6100,"message":"device not found"}"#);
/// assert!(matches!(refused, Err(ReplyError::Platform { code: 6100, message: "device not found" })));
/// ```
pub fn parse_register_reply(body: &[u8]) -> Result<DeviceSecretReply<'_>, ReplyError<'_>> {
    platform_error(body, SUCCESS_CODE)?;
    let raw: RawRegisterReply<'_> = from_json(body)?;
    check_code(raw.code, raw.message, SUCCESS_CODE)?;
    let data = raw.data.ok_or(missing(Field::DeviceSecret, raw.code))?;
    device_secret_reply(data, raw.code)
}

/// Parses the reply of HTTPS `/auth/devicename`.
///
/// ```
/// use atmodem::aliyun::reply::{MqttResource, parse_auth_reply};
/// let body = br#"{"code":200,"data":{"iotId":"42Ze0mk3556498a1AlTP","iotToken":"0d7fdeb9dc1f4344a2cc0d45edcb0bcb","resources":{"mqtt":{"host":"xxx.iot-as-mqtt.cn-shanghai.aliyuncs.com","port":1883}}},"message":"success"}"#;
/// let r = parse_auth_reply(body).unwrap();
/// assert_eq!(r.iot_id, "42Ze0mk3556498a1AlTP");
/// assert_eq!(r.mqtt, Some(MqttResource { host: "xxx.iot-as-mqtt.cn-shanghai.aliyuncs.com", port: 1883 }));
/// ```
pub fn parse_auth_reply(body: &[u8]) -> Result<AuthReply<'_>, ReplyError<'_>> {
    platform_error(body, SUCCESS_CODE)?;
    let raw: RawAuthReply<'_> = from_json(body)?;
    check_code(raw.code, raw.message, SUCCESS_CODE)?;
    let data = raw.data.ok_or(missing(Field::IotId, raw.code))?;
    let iot_id = required(
        data.iot_id.or(data.device_id),
        Field::IotId,
        validate::iot_id,
        raw.code,
    )?;
    let iot_token = required(
        data.iot_token,
        Field::IotToken,
        validate::iot_token,
        raw.code,
    )?;
    let mqtt = match data.resources.and_then(|r| r.mqtt) {
        None => None,
        Some(m) => Some(MqttResource {
            host: required(m.host, Field::Host, validate::host, raw.code)?,
            port: m.port.ok_or(missing(Field::Port, raw.code))?,
        }),
    };
    Ok(AuthReply {
        iot_id,
        iot_token: SecretRef::new(iot_token),
        mqtt,
    })
}

/// Parses the payload received on `/ext/register`.
///
/// ```
/// use atmodem::aliyun::reply::parse_register_payload;
/// let payload = br#"{"deviceSecret":"mRMyB50qafv74A5FofvhxZ2h9iTL9wX7","productKey":"pk","deviceName":"dev1"}"#;
/// let r = parse_register_payload(payload).unwrap();
/// assert_eq!((r.device_name, r.device_secret.expose()), ("dev1", "mRMyB50qafv74A5FofvhxZ2h9iTL9wX7"));
/// assert!(parse_register_payload(b"not json").is_err());
/// ```
pub fn parse_register_payload(payload: &[u8]) -> Result<DeviceSecretReply<'_>, ReplyError<'_>> {
    let code = platform_error(payload, SUCCESS_CODE)?;
    device_secret_reply(from_json(payload)?, code)
}

/// Parses the payload received on `/ext/regnwl`.
///
/// ```
/// use atmodem::aliyun::reply::parse_regnwl_payload;
/// let payload = br#"{"clientId":"KzLKNeWyE7SxiWLuPpZQ000100","productKey":"i2uq9ORmOSM","deviceName":"Kit001","deviceToken":"^1^1681709523062^c5cce0a49b03685"}"#;
/// let r = parse_regnwl_payload(payload).unwrap();
/// assert_eq!((r.client_id, r.device_name), ("KzLKNeWyE7SxiWLuPpZQ000100", "Kit001"));
/// assert_eq!(r.device_token.expose(), "^1^1681709523062^c5cce0a49b03685");
/// ```
pub fn parse_regnwl_payload(payload: &[u8]) -> Result<RegnwlReply<'_>, ReplyError<'_>> {
    let code = platform_error(payload, SUCCESS_CODE)?;
    let raw: RawRegnwl<'_> = from_json(payload)?;
    Ok(RegnwlReply {
        client_id: required(raw.client_id, Field::ClientId, validate::client_id, code)?,
        product_key: required(
            raw.product_key,
            Field::ProductKey,
            validate::product_key,
            code,
        )?,
        device_name: required(
            raw.device_name,
            Field::DeviceName,
            validate::device_name,
            code,
        )?,
        device_token: SecretRef::new(required(
            raw.device_token,
            Field::DeviceToken,
            validate::device_token,
            code,
        )?),
    })
}

/// Parses the reply of the HTTP channel's `/auth`.
///
/// ```
/// use atmodem::aliyun::reply::{ReplyError, parse_http_channel_reply};
/// let body = br#"{"code":0,"message":"success","info":{"token":"6944e5bfb92e4d4ea3918d1eda3942f6"}}"#;
/// assert_eq!(parse_http_channel_reply(body).unwrap().token.expose(), "6944e5bfb92e4d4ea3918d1eda3942f6");
/// let expired = parse_http_channel_reply(br#"{"code":20001,"message":"token is expired"}"#);
/// assert!(matches!(expired, Err(ReplyError::Platform { code: 20001, .. })));
/// ```
pub fn parse_http_channel_reply(body: &[u8]) -> Result<HttpChannelToken<'_>, ReplyError<'_>> {
    platform_error(body, HTTP_CHANNEL_SUCCESS_CODE)?;
    let raw: RawChannelReply<'_> = from_json(body)?;
    check_code(raw.code, raw.message, HTTP_CHANNEL_SUCCESS_CODE)?;
    let info = raw.info.ok_or(missing(Field::Token, raw.code))?;
    Ok(HttpChannelToken {
        token: SecretRef::new(required(
            info.token,
            Field::Token,
            validate::http_token,
            raw.code,
        )?),
    })
}
