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
use crate::client::{Error as ModemError, Http, HttpPost, HttpTiming, Mqtt, MqttLogin, Session};
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
    ///
    /// ```
    /// # use atmodem::aliyun::{HttpsRegistration, SignMethod, flow};
    /// # use atmodem::client::{Client, HttpTiming, State};
    /// # use atmodem::dialects::luat::Luat;
    /// # use atmodem::sim::{InstantDelay, SimModem};
    /// # let script = r#">> AT+HTTPINIT
    /// # << OK
    /// # >> AT+HTTPPARA="URL","https://iot-auth.cn-shanghai.aliyuncs.com/auth/register/device"
    /// # << OK
    /// # >> AT+HTTPPARA="USER_DEFINED","Content-Type: application/x-www-form-urlencoded"
    /// # << OK
    /// # >> AT+HTTPDATA=120,20000
    /// # << DOWNLOAD
    /// # >>| "productKey=b1KCi45LcCP&deviceName=862991419835241&random=123456&sign=1770d38260cc980dbc4337ed7fe1e8de&signMethod=HmacMD5"
    /// # << OK
    /// # >> AT+HTTPACTION=1
    /// # << OK
    /// # << +HTTPACTION: 1,200,151
    /// # >> AT+HTTPREAD
    /// # << +HTTPREAD: 151
    /// # << {"code":200,"data":{"deviceName":"862991419835241","deviceSecret":"mRMyB50qafv74A5FofvhxZ2h9iTL9wX7","productKey":"b1KCi45LcCP"},"message":"success"}
    /// # << OK
    /// # >> AT+HTTPTERM
    /// # << OK
    /// # "#;
    /// # let mut state: State = State::new();
    /// # let mut c: Client<_, _, Luat> = Client::new(SimModem::new(script).unwrap(), InstantDelay, &mut state);
    /// # let reg = HttpsRegistration::new("b1KCi45LcCP", "862991419835241", "VWll9fiYWKiwraBk", "123456")
    /// #     .sign_method(SignMethod::HmacMd5)
    /// #     .sign_method_spelling("HmacMD5");
    /// # let mut reply = [0u8; 256];
    /// # let timing = HttpTiming { body_input_secs: 20, ..HttpTiming::default() };
    /// # let dev = embassy_futures::block_on(flow::https_register(&mut c, &reg, timing, &mut reply)).unwrap();
    /// // `dev` came from `flow::https_register`.
    /// let creds = dev.login().build().unwrap();
    /// assert_eq!(creds.username(), "862991419835241&b1KCi45LcCP");
    /// ```
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
    ///
    /// ```
    /// # use atmodem::aliyun::flow;
    /// # use atmodem::client::{Client, MqttLogin, MqttSession, State};
    /// # use atmodem::dialects::quectel::Quectel;
    /// # use atmodem::sim::{InstantDelay, SimModem};
    /// # let script = r#">> AT+QMTCFG="version",0,4
    /// # << OK
    /// # >> AT+QMTCFG="recv/mode",0,0,1
    /// # << OK
    /// # >> AT+QMTOPEN=0,"h",1883
    /// # << OK
    /// # << +QMTOPEN: 0,0
    /// # >> AT+QMTCONN=0,"id","u","p"
    /// # << OK
    /// # << +QMTCONN: 0,0,0
    /// # << +QMTRECV: 0,0,"/ext/regnwl",139,"{"clientId":"KzLKNeWyE7SxiWLuPpZQ000100","productKey":"i2uq9ORmOSM","deviceName":"Kit001","deviceToken":"^1^1681709523062^c5cce0a49b03685"}"
    /// # << +QMTSTAT: 0,1
    /// # "#;
    /// # let mut state: State = State::new();
    /// # let mut c: Client<_, _, Quectel> = Client::new(SimModem::new(script).unwrap(), InstantDelay, &mut state);
    /// # let login = MqttLogin::Password { client_id: "id", username: "u", password: "p" };
    /// # let dev = embassy_futures::block_on(flow::mqtt_regnwl(&mut c, &MqttSession::new("h", 1883, login))).unwrap();
    /// // `dev` came from `flow::mqtt_regnwl`.
    /// let creds = dev.login().unwrap();
    /// assert_eq!(creds.client_id(), "KzLKNeWyE7SxiWLuPpZQ000100|securemode=-2,authType=connwl|");
    /// assert_eq!(creds.password().expose(), "^1^1681709523062^c5cce0a49b03685");
    /// ```
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
///
/// ```
/// use atmodem::aliyun::{DeviceSecretLogin, flow};
/// use atmodem::client::MqttLogin;
/// let creds = DeviceSecretLogin::new("i2uqc2dloOl", "device001", "c4fa40df9c8078073d75a26be2bc8f58").build()?;
/// let MqttLogin::Password { username, .. } = flow::login_of(&creds) else { unreachable!() };
/// assert_eq!(username, "device001&i2uqc2dloOl");
/// # Ok::<(), atmodem::aliyun::Error>(())
/// ```
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
///
/// A module that does not answer in time is [`FlowError::Modem`] with
/// [`Error::Timeout`](ModemError::Timeout), a module reboot meanwhile the same with
/// [`Error::Rebooted`](ModemError::Rebooted); the client stays usable and nothing was
/// registered on the device's side (ask again). Dropped, it is like a dropped
/// [`Http::http_post`]: the next request ends or overwrites the module's HTTP session.
///
/// ```
/// # use atmodem::aliyun::{HttpsRegistration, SignMethod, flow};
/// # use atmodem::client::{Client, HttpTiming, State};
/// # use atmodem::dialects::luat::Luat;
/// # use atmodem::sim::{InstantDelay, SimModem};
/// let script = r#">> AT+HTTPINIT
/// << OK
/// >> AT+HTTPPARA="URL","https://iot-auth.cn-shanghai.aliyuncs.com/auth/register/device"
/// << OK
/// >> AT+HTTPPARA="USER_DEFINED","Content-Type: application/x-www-form-urlencoded"
/// << OK
/// >> AT+HTTPDATA=120,20000
/// << DOWNLOAD
/// >>| "productKey=b1KCi45LcCP&deviceName=862991419835241&random=123456&sign=1770d38260cc980dbc4337ed7fe1e8de&signMethod=HmacMD5"
/// << OK
/// >> AT+HTTPACTION=1
/// << OK
/// << +HTTPACTION: 1,200,151
/// >> AT+HTTPREAD
/// << +HTTPREAD: 151
/// << {"code":200,"data":{"deviceName":"862991419835241","deviceSecret":"mRMyB50qafv74A5FofvhxZ2h9iTL9wX7","productKey":"b1KCi45LcCP"},"message":"success"}
/// << OK
/// >> AT+HTTPTERM
/// << OK
/// "#;
/// let mut state: State = State::new();
/// let mut c: Client<_, _, Luat> = Client::new(SimModem::new(script).unwrap(), InstantDelay, &mut state);
/// let reg = HttpsRegistration::new("b1KCi45LcCP", "862991419835241", "VWll9fiYWKiwraBk", "123456")
///     .sign_method(SignMethod::HmacMd5)
///     .sign_method_spelling("HmacMD5");
/// let mut reply = [0u8; 256];
/// let timing = HttpTiming { body_input_secs: 20, ..HttpTiming::default() };
/// let dev = embassy_futures::block_on(flow::https_register(&mut c, &reg, timing, &mut reply)).unwrap();
/// assert_eq!(dev.device_secret.expose(), "mRMyB50qafv74A5FofvhxZ2h9iTL9wX7");
/// ```
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
///
/// A module that does not answer in time is [`FlowError::Modem`] with
/// [`Error::Timeout`](ModemError::Timeout), a module reboot meanwhile the same with
/// [`Error::Rebooted`](ModemError::Rebooted); the client stays usable and nothing was
/// registered on the device's side (ask again). Dropped, it is like a dropped
/// [`Http::http_post`]: the next request ends or overwrites the module's HTTP session.
///
/// ```
/// # use atmodem::aliyun::{HttpsDeviceAuth, flow};
/// # use atmodem::client::{Client, HttpTiming, State};
/// # use atmodem::dialects::luat::Luat;
/// # use atmodem::sim::{InstantDelay, SimModem};
/// let auth = HttpsDeviceAuth::new("i2uqc2dloOl", "device001", "c4fa40df9c8078073d75a26be2bc8f58");
/// // The platform's answer, in the shape of the Aliyun documentation.
/// let answer = r#"{"code":200,"data":{"iotId":"42Ze0mk3556498a1AlTP","iotToken":"0d7fdeb9dc1f4344a2cc0d45edcb0bcb","resources":{"mqtt":{"host":"xxx.iot-as-mqtt.cn-shanghai.aliyuncs.com","port":1883}}},"message":"success"}"#;
/// # let req = auth.build().unwrap();
/// # let (url, body) = (req.url().unwrap(), req.body().expose());
/// # let script = format!(
/// #     ">> AT+HTTPINIT\n<< OK\n>> AT+HTTPPARA=\"URL\",\"{url}\"\n<< OK\n\
/// #      >> AT+HTTPPARA=\"USER_DEFINED\",\"Content-Type: application/x-www-form-urlencoded\"\n<< OK\n\
/// #      >> AT+HTTPDATA={},20000\n<< DOWNLOAD\n>>| \"{body}\"\n<< OK\n>> AT+HTTPACTION=1\n<< OK\n\
/// #      << +HTTPACTION: 1,200,{n}\n>> AT+HTTPREAD\n<< +HTTPREAD: {n}\n<< {answer}\n<< OK\n\
/// #      >> AT+HTTPTERM\n<< OK\n",
/// #     body.len(),
/// #     n = answer.len() + 2,
/// # );
/// let mut state: State = State::new();
/// let mut c: Client<_, _, Luat> = Client::new(SimModem::new(&script).unwrap(), InstantDelay, &mut state);
/// let timing = HttpTiming { body_input_secs: 20, ..HttpTiming::default() };
/// let mut reply = [0u8; 512];
/// let login = embassy_futures::block_on(flow::https_device_auth(&mut c, &auth, timing, &mut reply)).unwrap();
/// assert_eq!(login.credentials.username(), "42Ze0mk3556498a1AlTP");
/// assert_eq!(login.credentials.password().expose(), "0d7fdeb9dc1f4344a2cc0d45edcb0bcb");
/// assert_eq!(login.mqtt.unwrap().1, 1883);
/// assert!(c.transport().is_done());
/// ```
///
/// ```
/// # use atmodem::aliyun::{Error, Field, HttpsDeviceAuth, flow::{self, FlowError}};
/// # use atmodem::client::{Client, HttpTiming, State};
/// # use atmodem::dialects::quectel::Quectel;
/// # use atmodem::sim::{InstantDelay, SimModem};
/// // An invalid input is refused before anything is sent.
/// let mut state: State = State::new();
/// let mut c: Client<_, _, Quectel> = Client::new(SimModem::new("").unwrap(), InstantDelay, &mut state);
/// let auth = HttpsDeviceAuth::new("", "device001", "c4fa40df9c8078073d75a26be2bc8f58");
/// let mut reply = [0u8; 512];
/// let r = embassy_futures::block_on(flow::https_device_auth(&mut c, &auth, HttpTiming::default(), &mut reply));
/// assert!(matches!(r, Err(FlowError::Aliyun(Error::Invalid { field: Field::ProductKey, .. }))));
/// assert!(c.transport().is_done());
/// ```
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
    session: Session,
    timeout_ms: u32,
    topic: &str,
    take: impl FnOnce(&[u8]) -> Result<T, FlowError<E>>,
) -> Result<T, FlowError<E>>
where
    C: Mqtt<Error = ModemError<E>>,
{
    let value = {
        let m = modem
            .mqtt_next_message(session, timeout_ms)
            .await
            .map_err(no_reply)?;
        if m.topic != topic {
            return Err(FlowError::Reply);
        }
        take(m.payload)?
    };
    modem.mqtt_wait_closed(session, timeout_ms).await?;
    Ok(value)
}

/// After a registration CONNECT: the deviceSecret on `/ext/register`, then the link close.
///
/// No message within `timeout_ms`, a link closed first or a module reboot (which takes the
/// session with it) is [`FlowError::NoReply`]. Dropped, nothing is lost: a message that came
/// stays queued for the next [`Mqtt::mqtt_next_message`].
///
/// ```
/// # use atmodem::aliyun::flow;
/// # use atmodem::client::{Client, Mqtt, MqttLogin, MqttSession, State};
/// # use atmodem::dialects::quectel::Quectel;
/// # use atmodem::sim::{InstantDelay, SimModem};
/// // The session is up; the broker sends the secret, then closes the link.
/// let script = r#"<< +QMTRECV: 0,0,"/ext/register",89,"{"deviceSecret":"mRMyB50qafv74A5FofvhxZ2h9iTL9wX7","productKey":"pk","deviceName":"dev1"}"
/// << +QMTSTAT: 0,1
/// "#;
/// let mut state: State = State::new();
/// let mut c: Client<_, _, Quectel> = Client::new(SimModem::new(script).unwrap(), InstantDelay, &mut state);
/// let session = c.mqtt_session(0); // started earlier
/// let dev = embassy_futures::block_on(flow::await_register_reply(&mut c, session, 5_000)).unwrap();
/// assert_eq!((dev.device_name.as_str(), dev.device_secret.expose()), ("dev1", "mRMyB50qafv74A5FofvhxZ2h9iTL9wX7"));
/// ```
pub async fn await_register_reply<C, E>(
    modem: &mut C,
    session: Session,
    timeout_ms: u32,
) -> Result<RegisteredDevice, FlowError<E>>
where
    C: Mqtt<Error = ModemError<E>>,
{
    await_reply(modem, session, timeout_ms, REGISTER_REPLY_TOPIC, |p| {
        Ok(RegisteredDevice::from_reply(&parse_register_payload(p)?)?)
    })
    .await
}

/// After a registration-free CONNECT: the clientId and deviceToken on `/ext/regnwl`, then
/// the link close.
///
/// No message within `timeout_ms`, a link closed first or a module reboot (which takes the
/// session with it) is [`FlowError::NoReply`]. Dropped, nothing is lost: a message that came
/// stays queued for the next [`Mqtt::mqtt_next_message`].
///
/// ```
/// # use atmodem::aliyun::flow;
/// # use atmodem::client::{Client, Mqtt, MqttLogin, MqttSession, State};
/// # use atmodem::dialects::quectel::Quectel;
/// # use atmodem::sim::{InstantDelay, SimModem};
/// let script = r#"<< +QMTRECV: 0,0,"/ext/regnwl",139,"{"clientId":"KzLKNeWyE7SxiWLuPpZQ000100","productKey":"i2uq9ORmOSM","deviceName":"Kit001","deviceToken":"^1^1681709523062^c5cce0a49b03685"}"
/// << +QMTSTAT: 0,1
/// "#;
/// let mut state: State = State::new();
/// let mut c: Client<_, _, Quectel> = Client::new(SimModem::new(script).unwrap(), InstantDelay, &mut state);
/// let session = c.mqtt_session(0); // started earlier
/// let dev = embassy_futures::block_on(flow::await_regnwl_reply(&mut c, session, 5_000)).unwrap();
/// assert_eq!(dev.client_id.as_str(), "KzLKNeWyE7SxiWLuPpZQ000100");
/// ```
pub async fn await_regnwl_reply<C, E>(
    modem: &mut C,
    session: Session,
    timeout_ms: u32,
) -> Result<RegnwlDevice, FlowError<E>>
where
    C: Mqtt<Error = ModemError<E>>,
{
    await_reply(modem, session, timeout_ms, REGNWL_REPLY_TOPIC, |p| {
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
        ModemError::Timeout(_) | ModemError::SessionDown | ModemError::StaleSession { .. } => {
            FlowError::NoReply
        }
        e => e.into(),
    }
}

/// MQTT dynamic registration (`authType=register`) on any module family: start the
/// session of `session` (its login the one of [`MqttRegistration`](super::MqttRegistration),
/// over TLS), take the deviceSecret from `/ext/register` and let the broker close the link.
///
/// The session's start behaves as [`Mqtt::mqtt_start`] (a timeout or a reboot is
/// [`FlowError::Modem`]); then, as [`await_register_reply`], no reply within
/// [`REGISTRATION_TIMEOUT_MS`] or a reboot is [`FlowError::NoReply`].
///
/// ```
/// # use atmodem::aliyun::flow;
/// # use atmodem::client::{Client, MqttLogin, MqttSession, State};
/// # use atmodem::dialects::quectel::Quectel;
/// # use atmodem::sim::{InstantDelay, SimModem};
/// let script = r#">> AT+QMTCFG="version",0,4
/// << OK
/// >> AT+QMTCFG="recv/mode",0,0,1
/// << OK
/// >> AT+QMTOPEN=0,"h",1883
/// << OK
/// << +QMTOPEN: 0,0
/// >> AT+QMTCONN=0,"id","u","p"
/// << OK
/// << +QMTCONN: 0,0,0
/// << +QMTRECV: 0,0,"/ext/register",89,"{"deviceSecret":"mRMyB50qafv74A5FofvhxZ2h9iTL9wX7","productKey":"pk","deviceName":"dev1"}"
/// << +QMTSTAT: 0,1
/// "#;
/// let mut state: State = State::new();
/// let mut c: Client<_, _, Quectel> = Client::new(SimModem::new(script).unwrap(), InstantDelay, &mut state);
/// let login = MqttLogin::Password { client_id: "id", username: "u", password: "p" };
/// let dev = embassy_futures::block_on(flow::mqtt_register(&mut c, &MqttSession::new("h", 1883, login))).unwrap();
/// assert_eq!(dev.device_secret.expose(), "mRMyB50qafv74A5FofvhxZ2h9iTL9wX7");
/// ```
pub async fn mqtt_register<C, E>(
    modem: &mut C,
    session: &crate::client::MqttSession<'_>,
) -> Result<RegisteredDevice, FlowError<E>>
where
    C: Mqtt<Error = ModemError<E>>,
{
    let s = modem.mqtt_start(session).await?;
    await_register_reply(modem, s, REGISTRATION_TIMEOUT_MS).await
}

/// Registration-free MQTT registration (`authType=regnwl`) on any module family: the
/// clientId and deviceToken of the `connwl` login.
///
/// The session's start behaves as [`Mqtt::mqtt_start`] (a timeout or a reboot is
/// [`FlowError::Modem`]); then, as [`await_regnwl_reply`], no reply within
/// [`REGISTRATION_TIMEOUT_MS`] or a reboot is [`FlowError::NoReply`].
///
/// ```
/// # use atmodem::aliyun::flow;
/// # use atmodem::client::{Client, MqttLogin, MqttSession, State};
/// # use atmodem::dialects::quectel::Quectel;
/// # use atmodem::sim::{InstantDelay, SimModem};
/// let script = r#">> AT+QMTCFG="version",0,4
/// << OK
/// >> AT+QMTCFG="recv/mode",0,0,1
/// << OK
/// >> AT+QMTOPEN=0,"h",1883
/// << OK
/// << +QMTOPEN: 0,0
/// >> AT+QMTCONN=0,"id","u","p"
/// << OK
/// << +QMTCONN: 0,0,0
/// << +QMTRECV: 0,0,"/ext/regnwl",139,"{"clientId":"KzLKNeWyE7SxiWLuPpZQ000100","productKey":"i2uq9ORmOSM","deviceName":"Kit001","deviceToken":"^1^1681709523062^c5cce0a49b03685"}"
/// << +QMTSTAT: 0,1
/// "#;
/// let mut state: State = State::new();
/// let mut c: Client<_, _, Quectel> = Client::new(SimModem::new(script).unwrap(), InstantDelay, &mut state);
/// let login = MqttLogin::Password { client_id: "id", username: "u", password: "p" };
/// let dev = embassy_futures::block_on(flow::mqtt_regnwl(&mut c, &MqttSession::new("h", 1883, login))).unwrap();
/// assert_eq!(dev.device_token.expose(), "^1^1681709523062^c5cce0a49b03685");
/// ```
pub async fn mqtt_regnwl<C, E>(
    modem: &mut C,
    session: &crate::client::MqttSession<'_>,
) -> Result<RegnwlDevice, FlowError<E>>
where
    C: Mqtt<Error = ModemError<E>>,
{
    let s = modem.mqtt_start(session).await?;
    await_regnwl_reply(modem, s, REGISTRATION_TIMEOUT_MS).await
}

/// The MQTT session of Aliyun credentials, with the transport their client id declares:
/// `securemode=2` or `-2` (TLS) needs an SSL context (`tls: Some(ctx)`, one that holds
/// Aliyun's CA, see [`ca`](super::ca)), `securemode=3` (TCP) needs none. A mismatch, which
/// the platform would refuse or which would send a TLS login in the clear, is
/// [`Error::Invalid`](AliyunError::Invalid) on [`Field::SecureMode`] with
/// [`Problem::Mismatch`], before anything is sent. Credentials
/// whose client id declares no `securemode` are taken as they are.
///
/// The same rule is checked again by every family's `mqtt_configure`, `mqtt_open` and
/// `mqtt_connect` ([`MqttSession::transport_matches`](crate::client::MqttSession::transport_matches)).
/// (The Quectel note's own 4.1.2 login declares `securemode=2` with no SSL context; to
/// reproduce it, set [`unchecked_transport`](crate::client::MqttSession::unchecked_transport).)
///
/// ```
/// use atmodem::aliyun::{DeviceSecretLogin, Error, Field, Problem, SecureMode, flow};
/// let host = "iot-06z00hxss3rggno.mqtt.iothub.aliyuncs.com";
/// let tls = DeviceSecretLogin::new("i2uqc2dloOl", "device001", "c4fa40df9c8078073d75a26be2bc8f58")
///     .build()?; // securemode=2
/// let s = flow::session(host, 8883, &tls, Some(0))?;
/// assert_eq!(s.tls, Some(0));
/// assert_eq!(
///     flow::session(host, 1883, &tls, None).unwrap_err(),
///     Error::invalid(Field::SecureMode, Problem::Mismatch)
/// );
/// let tcp = DeviceSecretLogin::new("i2uqc2dloOl", "device001", "c4fa40df9c8078073d75a26be2bc8f58")
///     .secure_mode(SecureMode::Tcp)
///     .build()?;
/// assert!(flow::session(host, 1883, &tcp, None).is_ok());
/// assert!(flow::session(host, 1883, &tcp, Some(0)).is_err());
/// # Ok::<(), Error>(())
/// ```
pub fn session<'a>(
    host: &'a str,
    port: u16,
    credentials: &'a MqttCredentials,
    tls: Option<u8>,
) -> Result<crate::client::MqttSession<'a>, AliyunError> {
    let session = crate::client::MqttSession {
        tls,
        ..crate::client::MqttSession::new(host, port, login_of(credentials))
    };
    if !session.transport_matches() {
        return Err(AliyunError::invalid(Field::SecureMode, Problem::Mismatch));
    }
    Ok(session)
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
///
/// let creds = DeviceSecretLogin::new("i2uqc2dloOl", "device001", "c4fa40df9c8078073d75a26be2bc8f58")
///     .build()?; // securemode=2: TLS, here with SSL context 0
/// let host = "iot-06z00hxss3rggno.mqtt.iothub.aliyuncs.com";
/// flow::connect(modem, &flow::session(host, 8883, &creds, Some(0))?).await?;
/// # Ok(()) }
/// ```
pub async fn connect<C, E>(
    modem: &mut C,
    session: &crate::client::MqttSession<'_>,
) -> Result<Session, FlowError<E>>
where
    C: Mqtt<Error = ModemError<E>>,
{
    Ok(modem.mqtt_start(session).await?)
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
///
/// Bad `product_key`, `device_name` or `params` are [`FlowError::Aliyun`], nothing sent.
/// Otherwise as [`Mqtt::mqtt_publish`]: a missing acknowledgement (QoS 1) is
/// [`Error::Timeout`](ModemError::Timeout) with the client still usable, a reboot
/// [`Error::Rebooted`](ModemError::Rebooted) or, once known, `SessionDown`; dropped, the
/// message may or may not have gone.
///
/// ```
/// # use atmodem::aliyun::flow;
/// # use atmodem::client::{Client, Mqtt, State};
/// # use atmodem::dialects::quectel::Quectel;
/// # use atmodem::sim::{InstantDelay, SimModem};
/// let script = r#">> AT+QMTPUBEX=0,0,0,0,"/sys/i2uqc2dloOl/device001/thing/event/property/post",84
/// <<| "\r\n> "
/// >>| "{\"id\":7,\"params\":{\"Temp\":23.9},\"version\":\"1.0\",\"method\":\"thing.event.property.post\"}"
/// << OK
/// << +QMTPUBEX: 0,0,0
/// "#;
/// let mut state: State = State::new();
/// let mut c: Client<_, _, Quectel> = Client::new(SimModem::new(script).unwrap(), InstantDelay, &mut state);
/// let session = c.mqtt_session(0); // started earlier
/// let post = flow::post_properties(&mut c, session, "i2uqc2dloOl", "device001", 7, r#"{"Temp":23.9}"#, 0);
/// embassy_futures::block_on(post).unwrap();
/// assert!(c.transport().is_done());
/// ```
pub async fn post_properties<C, E>(
    modem: &mut C,
    session: Session,
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
        .mqtt_publish(session, &topic, json.as_bytes(), qos, false)
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
///
/// ```
/// use atmodem::aliyun::{flow::parse_post_reply, reply::ReplyError};
/// let r = parse_post_reply(br#"{"code":200,"data":{},"id":"1681363292898","message":"success","method":"thing.event.property.post","version":"1.0"}"#)?;
/// assert_eq!((r.id, r.code, r.method), ("1681363292898", 200, Some("thing.event.property.post")));
/// let bad = parse_post_reply(br#"{"code":6813,"data":{},"id":"8","message":"payload format error"}"#);
/// assert!(matches!(bad, Err(ReplyError::Platform { code: 6813, .. })));
/// # Ok::<(), ReplyError<'static>>(())
/// ```
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
