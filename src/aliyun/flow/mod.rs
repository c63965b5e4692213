//! The Aliyun flows on a modem: registration and login over HTTPS and MQTT, then the
//! property post, subscribe and receive of a device.
//!
//! This is the only part of [`aliyun`](super) that drives a modem: it sits on the client's
//! capability traits ([`Http`], [`Mqtt`]) and works on every module family that implements
//! them. [`quectel`] and [`luat`] add the module-specific steps of the two vendors'
//! application notes (Quectel's `aliauth`, Luat's firmware check), in the notes' order.
//!
//! | flow | function | result |
//! |---|---|---|
//! | HTTPS dynamic registration | [`https_register`] | [`RegisteredDevice`] (deviceSecret) |
//! | HTTPS `/auth/devicename` | [`https_device_auth`] | [`TokenLogin`] (iotId / iotToken login) |
//! | MQTT registration `authType=register` | [`mqtt_register`] | [`RegisteredDevice`] |
//! | MQTT registration-free `authType=regnwl` | [`mqtt_regnwl`] | [`RegnwlDevice`] (clientId, deviceToken, connwl login) |
//! | one-device-one-secret login | [`connect`] (with [`quectel::aliauth_login`] or [`login_of`]), [`quectel::check_aliauth`] | — |
//! | property post / reply | [`post_properties`], [`parse_post_reply`] | [`AlinkReply`] |
//!
//! Registration replies are one-shot: persist the deviceSecret (or clientId and deviceToken)
//! before anything else.

pub mod luat;
pub mod quectel;

use heapless::String;
use serde::Deserialize;

use super::error::{Error as AliyunError, Field, Problem};
use super::https::{HttpsDeviceAuth, HttpsRegistration};
use super::mqtt::{DeviceSecretLogin, MqttCredentials, connwl_login, token_login};
use super::reply::{
    ReplyError, parse_auth_reply, parse_register_payload, parse_register_reply,
    parse_regnwl_payload,
};
use super::secret::Secret;
use super::validate;
use super::{REGISTER_REPLY_TOPIC, REGNWL_REPLY_TOPIC, endpoint};
use crate::client::{Error as ModemError, Http, HttpPost, HttpTiming, Mqtt, MqttLogin};
use crate::dialects::ActionError;

/// How long a registration session waits for its reply and for the broker to close the link.
pub const REGISTRATION_TIMEOUT_MS: u32 = 30_000;

/// What stopped a flow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum FlowError<E> {
    /// The modem failed (timeout, `ERROR`, `+CME ERROR`, a failed action, the transport).
    #[error("modem: {0}")]
    Modem(ModemError<E>),
    /// The broker refused the credentials: CONNACK 4 (bad user name or password) or
    /// 5 (not authorized). Retrying with the same credentials will not help.
    #[error("the broker refused the credentials (CONNACK {0})")]
    BadCredentials(u8),
    /// An input failed validation (nothing was sent), naming the Aliyun field.
    #[error("{0}")]
    Aliyun(AliyunError),
    /// The platform refused the request: Aliyun's `code` and `message`.
    #[error("Aliyun error {code}: {message}")]
    Platform {
        /// Aliyun's `code` (460 request parameter error, 6100 device not found, ...).
        code: i64,
        /// Aliyun's `message` (cut to fit).
        message: String<96>,
    },
    /// The reply was not the documented JSON (or lacked a field, or had an invalid one).
    #[error("unexpected reply")]
    Reply,
    /// A reply with a success `code` (or no `code`, as the MQTT registration payloads) lacks
    /// a field the flow needs: which one, and the reply's `code`.
    #[error("the reply lacks {field} (code {code:?})")]
    Missing {
        /// The Aliyun field that is missing.
        field: Field,
        /// The reply's `code`, if it had one.
        code: Option<i64>,
    },
    /// The registration session ended without its reply.
    #[error("no registration reply before the link closed")]
    NoReply,
    /// Quectel: `AT+QMTCFG="aliauth"` holds a device triple, so the module would sign with
    /// it instead of the credentials of this login.
    #[error("a device triple is stored in AT+QMTCFG=\"aliauth\"")]
    AliauthConfigured,
    /// A thing-model or OTA message could not be built or read (a payload too large for
    /// its buffer, a malformed property set, an upgrade notice without its URL, ...).
    #[error("{0}")]
    Thing(super::thing::ThingError),
    /// Luat: the firmware is older than V409, which Aliyun needs.
    #[error("firmware V{0} is older than V409")]
    Firmware(u32),
}

impl<E> From<ModemError<E>> for FlowError<E> {
    fn from(e: ModemError<E>) -> Self {
        match e {
            ModemError::Action(ActionError::Refused(code @ (4 | 5))) => Self::BadCredentials(code),
            e => Self::Modem(e),
        }
    }
}

impl<E> From<super::thing::ThingError> for FlowError<E> {
    fn from(e: super::thing::ThingError) -> Self {
        Self::Thing(e)
    }
}

impl<E> From<super::ota::OtaError> for FlowError<E> {
    fn from(e: super::ota::OtaError) -> Self {
        Self::Thing(e.into())
    }
}

impl<E> From<AliyunError> for FlowError<E> {
    fn from(e: AliyunError) -> Self {
        Self::Aliyun(e)
    }
}

impl<E> From<ReplyError<'_>> for FlowError<E> {
    fn from(e: ReplyError<'_>) -> Self {
        match e {
            ReplyError::Platform { code, message } => {
                let mut m = String::new();
                for c in message.chars() {
                    if m.push(c).is_err() {
                        break;
                    }
                }
                Self::Platform { code, message: m }
            }
            ReplyError::Missing { field, code } => Self::Missing { field, code },
            ReplyError::Invalid { field, problem } => {
                Self::Aliyun(AliyunError::Invalid { field, problem })
            }
            _ => Self::Reply,
        }
    }
}

fn owned<const N: usize>(s: &str, field: Field) -> Result<String<N>, AliyunError> {
    let mut out = String::new();
    out.push_str(s)
        .map_err(|_| AliyunError::invalid(field, Problem::TooLong))?;
    Ok(out)
}

/// A device registered by a one-product-one-secret flow: its new deviceSecret. Persist it;
/// the platform does not send it again.
#[derive(Debug, Clone)]
pub struct RegisteredDevice {
    /// `productKey`.
    pub product_key: String<{ validate::MAX_PRODUCT_KEY }>,
    /// `deviceName`.
    pub device_name: String<{ validate::MAX_DEVICE_NAME }>,
    /// `deviceSecret` (never printed by `Debug`, zeroized on drop).
    pub device_secret: Secret<{ validate::MAX_SECRET }>,
}

impl RegisteredDevice {
    fn from_reply(r: &super::DeviceSecretReply<'_>) -> Result<Self, AliyunError> {
        Ok(Self {
            product_key: owned(r.product_key, Field::ProductKey)?,
            device_name: owned(r.device_name, Field::DeviceName)?,
            device_secret: r.device_secret.to_secret()?,
        })
    }

    /// The one-device-one-secret login with the new secret.
    pub fn login(&self) -> DeviceSecretLogin<'_> {
        DeviceSecretLogin::new(
            &self.product_key,
            &self.device_name,
            self.device_secret.expose(),
        )
    }
}

/// A device registered by the registration-free (`regnwl`) flow: the clientId and
/// deviceToken of its `connwl` login. Every regnwl run issues new ones: persist them.
#[derive(Debug, Clone)]
pub struct RegnwlDevice {
    /// `productKey`.
    pub product_key: String<{ validate::MAX_PRODUCT_KEY }>,
    /// `deviceName`.
    pub device_name: String<{ validate::MAX_DEVICE_NAME }>,
    /// The `clientId` to log in with (bare, without the `|...|` extension).
    pub client_id: String<{ validate::MAX_CLIENT_ID }>,
    /// The `deviceToken`, the MQTT password (never printed by `Debug`).
    pub device_token: Secret<{ validate::MAX_TOKEN }>,
}

impl RegnwlDevice {
    /// The `authType=connwl` login.
    pub fn login(&self) -> Result<MqttCredentials, AliyunError> {
        connwl_login(
            &self.product_key,
            &self.device_name,
            &self.client_id,
            self.device_token.expose(),
        )
    }
}

/// The MQTT login that follows HTTPS `/auth/devicename`.
#[derive(Debug, Clone)]
pub struct TokenLogin {
    /// clientId (bare), username (`iotId`) and password (`iotToken`).
    pub credentials: MqttCredentials,
    /// The broker the reply named, when the request asked for `resources=mqtt`.
    pub mqtt: Option<(String<{ validate::MAX_HOST }>, u16)>,
}

/// The [`MqttLogin`] of a set of Aliyun MQTT credentials.
pub fn login_of(c: &MqttCredentials) -> MqttLogin<'_> {
    MqttLogin::Password {
        client_id: c.client_id(),
        username: c.username(),
        password: c.password().expose(),
    }
}

/// POST an Aliyun HTTPS request; `reply` receives the response body.
async fn post<'r, C, E>(
    modem: &mut C,
    req: &super::HttpRequest,
    timing: HttpTiming,
    reply: &'r mut [u8],
) -> Result<&'r [u8], FlowError<E>>
where
    C: Http<Error = ModemError<E>>,
{
    let url = req.url()?;
    let body = req.body().expose().as_bytes();
    crate::codec::check_url("url", &url).map_err(ModemError::Encode)?;
    crate::codec::check_body(req.content_type(), body).map_err(ModemError::Encode)?;
    let post = HttpPost {
        url: &url,
        content_type: req.content_type(),
        body,
        timing,
    };
    let got = modem.http_post(&post, reply).await?;
    Ok(reply.get(..got.len).unwrap_or_default())
}

/// HTTPS dynamic registration (`/auth/register/device`, one-product-one-secret with
/// pre-registration): the new deviceSecret. `reply` holds the response body (the platform's
/// is under 200 bytes).
pub async fn https_register<C, E>(
    modem: &mut C,
    registration: &HttpsRegistration<'_>,
    timing: HttpTiming,
    reply: &mut [u8],
) -> Result<RegisteredDevice, FlowError<E>>
where
    C: Http<Error = ModemError<E>>,
{
    let req = registration.build()?;
    let body = post(modem, &req, timing, reply).await?;
    let r = parse_register_reply(body)?;
    Ok(RegisteredDevice::from_reply(&r)?)
}

/// HTTPS device authentication (`/auth/devicename`): the iotId / iotToken MQTT login, with
/// the request's client id, bare.
pub async fn https_device_auth<C, E>(
    modem: &mut C,
    auth: &HttpsDeviceAuth<'_>,
    timing: HttpTiming,
    reply: &mut [u8],
) -> Result<TokenLogin, FlowError<E>>
where
    C: Http<Error = ModemError<E>>,
{
    let req = auth.build()?;
    let client_id = auth.effective_client_id()?;
    let body = post(modem, &req, timing, reply).await?;
    let r = parse_auth_reply(body)?;
    let credentials = token_login(&client_id, r.iot_id, r.iot_token.expose())?;
    let mqtt = match r.mqtt {
        Some(m) => Some((owned(m.host, Field::Host)?, m.port)),
        None => None,
    };
    Ok(TokenLogin { credentials, mqtt })
}

/// After a registration CONNECT: the one message on `topic`, turned into `T` by `take`,
/// then the link close that normally ends the session (Quectel `+QMTSTAT: <idx>,1`, Luat
/// `CLOSED`).
async fn await_reply<C, E, T>(
    modem: &mut C,
    client: u8,
    timeout_ms: u32,
    topic: &str,
    take: impl FnOnce(&[u8]) -> Result<T, FlowError<E>>,
) -> Result<T, FlowError<E>>
where
    C: Mqtt<Error = ModemError<E>>,
{
    let value = {
        let m = modem
            .mqtt_next_message(client, timeout_ms)
            .await
            .map_err(no_reply)?;
        if m.topic != topic {
            return Err(FlowError::Reply);
        }
        take(m.payload)?
    };
    modem.mqtt_wait_closed(client, timeout_ms).await?;
    Ok(value)
}

/// After a registration CONNECT: the deviceSecret on `/ext/register`, then the link close.
pub async fn await_register_reply<C, E>(
    modem: &mut C,
    client: u8,
    timeout_ms: u32,
) -> Result<RegisteredDevice, FlowError<E>>
where
    C: Mqtt<Error = ModemError<E>>,
{
    await_reply(modem, client, timeout_ms, REGISTER_REPLY_TOPIC, |p| {
        Ok(RegisteredDevice::from_reply(&parse_register_payload(p)?)?)
    })
    .await
}

/// After a registration-free CONNECT: the clientId and deviceToken on `/ext/regnwl`, then
/// the link close.
pub async fn await_regnwl_reply<C, E>(
    modem: &mut C,
    client: u8,
    timeout_ms: u32,
) -> Result<RegnwlDevice, FlowError<E>>
where
    C: Mqtt<Error = ModemError<E>>,
{
    await_reply(modem, client, timeout_ms, REGNWL_REPLY_TOPIC, |p| {
        let r = parse_regnwl_payload(p)?;
        Ok(RegnwlDevice {
            product_key: owned(r.product_key, Field::ProductKey)?,
            device_name: owned(r.device_name, Field::DeviceName)?,
            client_id: owned(r.client_id, Field::ClientId)?,
            device_token: r.device_token.to_secret()?,
        })
    })
    .await
}

/// A registration session that ends (or times out) before its message has no reply.
fn no_reply<E>(e: ModemError<E>) -> FlowError<E> {
    match e {
        ModemError::Timeout | ModemError::SessionDown => FlowError::NoReply,
        e => e.into(),
    }
}

/// MQTT dynamic registration (`authType=register`) on any module family: start the
/// session of `session` (its login the one of [`MqttRegistration`](super::MqttRegistration),
/// over TLS), take the deviceSecret from `/ext/register` and let the broker close the link.
pub async fn mqtt_register<C, E>(
    modem: &mut C,
    session: &crate::client::MqttSession<'_>,
) -> Result<RegisteredDevice, FlowError<E>>
where
    C: Mqtt<Error = ModemError<E>>,
{
    modem.mqtt_start(session).await?;
    await_register_reply(modem, session.client, REGISTRATION_TIMEOUT_MS).await
}

/// Registration-free MQTT registration (`authType=regnwl`) on any module family: the
/// clientId and deviceToken of the `connwl` login.
pub async fn mqtt_regnwl<C, E>(
    modem: &mut C,
    session: &crate::client::MqttSession<'_>,
) -> Result<RegnwlDevice, FlowError<E>>
where
    C: Mqtt<Error = ModemError<E>>,
{
    modem.mqtt_start(session).await?;
    await_regnwl_reply(modem, session.client, REGISTRATION_TIMEOUT_MS).await
}

/// Log in: the capability's [`Mqtt::mqtt_start`] (configure, open, connect) with a refused
/// CONNACK 4 or 5 reported as [`FlowError::BadCredentials`] (retrying with the same
/// credentials will not help). `session.login` is the login of
/// [`DeviceSecretLogin`] or another credential builder
/// ([`login_of`]), or Quectel's [`quectel::aliauth_login`].
///
/// On a timeout the client stays usable and the session is not up: call it again (Quectel:
/// after `mqtt_close`). After a module reboot it fails with the modem's error; dropped, it
/// is like a dropped [`Mqtt::mqtt_start`].
///
/// ```no_run
/// # async fn demo<C: atmodem::client::Mqtt<Error = atmodem::client::Error<E>>, E>(
/// #     modem: &mut C,
/// # ) -> Result<(), atmodem::aliyun::flow::FlowError<E>> {
/// use atmodem::aliyun::{DeviceSecretLogin, flow};
/// use atmodem::client::MqttSession;
///
/// let creds = DeviceSecretLogin::new("i2uqc2dloOl", "device001", "c4fa40df9c8078073d75a26be2bc8f58")
///     .build()?;
/// let host = "iot-06z00hxss3rggno.mqtt.iothub.aliyuncs.com";
/// flow::connect(modem, &MqttSession::new(host, 1883, flow::login_of(&creds))).await?;
/// # Ok(()) }
/// ```
pub async fn connect<C, E>(
    modem: &mut C,
    session: &crate::client::MqttSession<'_>,
) -> Result<(), FlowError<E>>
where
    C: Mqtt<Error = ModemError<E>>,
{
    modem.mqtt_start(session).await?;
    Ok(())
}

/// Capacity of an Alink property-post message built by [`property_post_json`].
pub const ALINK_CAP: usize = 1024;

/// The Alink JSON of a property post:
/// `{"id":<id>,"params":<params>,"version":"1.0","method":"thing.event.property.post"}`,
/// `params` being a JSON object text (`{"Temp":23.9}`) written as given.
///
/// `params` must be exactly one JSON object, nesting no deeper than
/// [`MAX_PARAMS_DEPTH`](super::json::MAX_PARAMS_DEPTH): whitespace around it is allowed,
/// anything else after its closing `}` (which would add members to the message, such as a
/// second `"method"`) is [`Error::Invalid`](AliyunError::Invalid) on
/// [`Field::Params`] with [`Problem::NotJsonObject`]; the check skips brackets inside
/// strings but does not validate the JSON further. A message longer than [`ALINK_CAP`] is
/// [`Error::Capacity`](AliyunError::Capacity).
///
/// ```
/// use atmodem::aliyun::{Error, Field, Problem, flow::property_post_json};
/// let json = property_post_json(7, r#"{"Temp":23.9}"#)?;
/// assert_eq!(
///     json.as_str(),
///     r#"{"id":7,"params":{"Temp":23.9},"version":"1.0","method":"thing.event.property.post"}"#
/// );
/// assert_eq!(
///     property_post_json(7, r#"{"Temp":1},"method":"thing.service.property.set","x":{"#),
///     Err(Error::invalid(Field::Params, Problem::NotJsonObject))
/// );
/// # Ok::<(), Error>(())
/// ```
pub fn property_post_json(id: u64, params: &str) -> Result<String<ALINK_CAP>, AliyunError> {
    if !super::json::is_one_object(params, super::json::MAX_PARAMS_DEPTH) {
        return Err(AliyunError::invalid(Field::Params, Problem::NotJsonObject));
    }
    let mut digits = [0u8; 20];
    let id = core::str::from_utf8(crate::codec::format_u64(id, &mut digits))
        .map_err(|_| AliyunError::Capacity)?;
    let mut s = String::new();
    endpoint::push(
        &mut s,
        &[
            "{\"id\":",
            id,
            ",\"params\":",
            params,
            ",\"version\":\"1.0\",\"method\":\"thing.event.property.post\"}",
        ],
    )?;
    Ok(s)
}

/// Publish `params` (a JSON object text) to the device's
/// `/sys/<pk>/<dn>/thing/event/property/post` as an Alink message with id `id`; the reply
/// comes on `.../property/post_reply` (see [`parse_post_reply`]).
pub async fn post_properties<C, E>(
    modem: &mut C,
    client: u8,
    product_key: &str,
    device_name: &str,
    id: u64,
    params: &str,
    qos: u8,
) -> Result<(), FlowError<E>>
where
    C: Mqtt<Error = ModemError<E>>,
{
    let topic = endpoint::property_post_topic(product_key, device_name)?;
    let json = property_post_json(id, params)?;
    modem
        .mqtt_publish(client, &topic, json.as_bytes(), qos, false)
        .await?;
    Ok(())
}

/// An Alink reply (`.../property/post_reply` and the like).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct AlinkReply<'a> {
    /// The id of the message this answers.
    pub id: &'a str,
    /// 200 on success.
    pub code: i64,
    /// `message` (`success`).
    pub message: &'a str,
    /// `method` (`thing.event.property.post`), when present.
    pub method: Option<&'a str>,
}

#[derive(Deserialize)]
struct RawAlinkReply<'a> {
    #[serde(borrow)]
    id: &'a str,
    code: i64,
    #[serde(borrow, default)]
    message: Option<&'a str>,
    #[serde(borrow, default)]
    method: Option<&'a str>,
}

/// Parse an Alink reply payload such as
/// `{"code":200,"data":{},"id":"1681363292898","message":"success",...}`. A `code` other
/// than 200 is a [`ReplyError::Platform`]; a payload that is not such JSON, or nests deeper
/// than [`MAX_REPLY_DEPTH`](super::json::MAX_REPLY_DEPTH), is [`ReplyError::Malformed`].
pub fn parse_post_reply(payload: &[u8]) -> Result<AlinkReply<'_>, ReplyError<'_>> {
    let raw: RawAlinkReply<'_> = super::reply::from_json(payload)?;
    let message = raw.message.unwrap_or_default();
    if raw.code != super::reply::SUCCESS_CODE {
        return Err(ReplyError::Platform {
            code: raw.code,
            message,
        });
    }
    Ok(AlinkReply {
        id: raw.id,
        code: raw.code,
        message,
        method: raw.method,
    })
}
