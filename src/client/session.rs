//! Capabilities common to the module families, as traits implemented by the client of each
//! dialect, so that flows are written once: network and bearer bring-up ([`Bearer`]), an
//! HTTP(S) POST and ranged GET ([`Http`]) and an MQTT session ([`Mqtt`]).
//!
//! ```no_run
//! use atmodem::client::{Bearer, BearerConfig, Mqtt, MqttLogin, MqttSession};
//!
//! /// Bring the bearer up and publish one message, on any family.
//! async fn report<C: Bearer + Mqtt>(modem: &mut C, json: &[u8]) -> Result<(), C::Error> {
//!     modem.wait_network(60_000).await?;
//!     modem.bearer_up(&BearerConfig::default()).await?;
//!     let session = MqttSession::new("broker.example", 1883, MqttLogin::ClientId("dev-1"));
//!     let mqtt = modem.mqtt_start(&session).await?;
//!     modem.mqtt_publish(mqtt, "dev-1/up", json, 1, false).await
//! }
//! ```
//!
//! The traits use `async fn`: their futures are not `Send`, which suits embedded executors
//! and single-threaded runtimes (the client is used from one task).

use super::Session;
use crate::dialects::{Hidden, MqttMessage};

/// The bearer (PDP context) to bring up. `Debug` and `defmt` show the password's length only.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct BearerConfig<'a> {
    /// Context / bearer id (1 by default; Luat bearers are 1..=3).
    pub cid: u8,
    /// APN; empty = the network's default (what both vendors recommend).
    pub apn: &'a str,
    /// User name, usually empty.
    pub username: &'a str,
    /// Password, usually empty.
    pub password: &'a str,
}

impl core::fmt::Debug for BearerConfig<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("BearerConfig")
            .field("cid", &self.cid)
            .field("apn", &self.apn)
            .field("username", &self.username)
            .field("password", &Hidden::of(self.password.as_bytes()))
            .finish()
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for BearerConfig<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(
            f,
            "BearerConfig {{ cid: {}, apn: {=str}, username: {=str}, password: {} }}",
            self.cid,
            self.apn,
            self.username,
            Hidden::of(self.password.as_bytes())
        )
    }
}

impl Default for BearerConfig<'_> {
    fn default() -> Self {
        Self {
            cid: 1,
            apn: "",
            username: "",
            password: "",
        }
    }
}

/// What the capability traits have in common: one error type for every call, so that a flow
/// using several of them can use `?` throughout.
pub trait Modem {
    /// The error of every call.
    type Error;
}

/// Network registration and the data bearer.
///
/// Each call runs its commands as [`Client::send`](super::Client::send) does: a command
/// not answered in time ends the call with [`Error::Timeout`](super::Error::Timeout), a
/// module reboot during one with [`Error::Rebooted`](super::Error::Rebooted), and in both
/// cases the next call resynchronises first.
///
/// ```
/// # use atmodem::client::{Bearer, BearerConfig, Client, State};
/// # use atmodem::dialects::quectel::Quectel;
/// # use atmodem::sim::{InstantDelay, SimModem};
/// let script = r#">> AT+CEREG?
/// << +CEREG: 0,1
/// << OK
/// >> AT+QICSGP=1,3,"cmnet","","",0
/// << OK
/// >> AT+QIACT=1
/// << OK
/// >> AT+CGPADDR=1
/// << +CGPADDR: 1,"10.113.242.215"
/// << OK
/// >> AT+QIDEACT=1
/// << OK
/// "#;
/// let mut state: State = State::new();
/// let mut c: Client<_, _, Quectel> = Client::new(SimModem::new(script).unwrap(), InstantDelay, &mut state);
/// # embassy_futures::block_on(async {
/// c.wait_network(10_000).await.unwrap();
/// c.bearer_up(&BearerConfig { apn: "cmnet", ..BearerConfig::default() }).await.unwrap();
/// assert_eq!(c.bearer_address(1).await.unwrap(), "10.113.242.215");
/// c.bearer_down(1).await.unwrap();
/// # });
/// assert!(c.transport().is_done());
/// ```
#[allow(async_fn_in_trait)]
pub trait Bearer: Modem {
    /// Wait until the module can carry data: Luat polls `AT+CGATT?` until `+CGATT: 1`,
    /// Quectel polls `AT+CEREG?` until registered (home or roaming). One query when it
    /// already is. [`Error::Timeout`](super::Error::Timeout) after `timeout_ms`.
    ///
    /// ```
    /// # use atmodem::client::{Bearer, Client, State};
    /// # use atmodem::dialects::quectel::Quectel;
    /// # use atmodem::sim::{InstantDelay, SimModem};
    /// // Searching first, then registered (home).
    /// let script = ">> AT+CEREG?\n<< +CEREG: 0,2\n<< OK\n>> AT+CEREG?\n<< +CEREG: 0,1\n<< OK\n";
    /// let mut state: State = State::new();
    /// let mut c: Client<_, _, Quectel> = Client::new(SimModem::new(script).unwrap(), InstantDelay, &mut state);
    /// embassy_futures::block_on(c.wait_network(10_000)).unwrap();
    /// assert!(c.transport().is_done());
    /// ```
    ///
    /// # Cancel safety
    /// Dropping it is like dropping [`Client::send`](super::Client::send): the next call resynchronises.
    async fn wait_network(&mut self, timeout_ms: u32) -> Result<(), Self::Error>;

    /// Configure and activate the bearer: Luat `AT+SAPBR=3` (CONTYPE, APN, USER, PWD) and
    /// `AT+SAPBR=1`; Quectel `AT+QICSGP` and `AT+QIACT`. A bearer that is already up counts
    /// as success.
    ///
    /// ```
    /// # use atmodem::client::{Bearer, BearerConfig, Client, State};
    /// # use atmodem::dialects::quectel::Quectel;
    /// # use atmodem::sim::{InstantDelay, SimModem};
    /// // `AT+QIACT` answers ERROR when the context is up; the query shows it is.
    /// let script = r#">> AT+QICSGP=1,3,"","","",0
    /// << OK
    /// >> AT+QIACT=1
    /// << ERROR
    /// >> AT+QIACT?
    /// << +QIACT: 1,1,1,"10.7.157.1"
    /// << OK
    /// "#;
    /// let mut state: State = State::new();
    /// let mut c: Client<_, _, Quectel> = Client::new(SimModem::new(script).unwrap(), InstantDelay, &mut state);
    /// embassy_futures::block_on(c.bearer_up(&BearerConfig::default())).unwrap();
    /// ```
    ///
    /// # Cancel safety
    /// Dropping it is like dropping [`Client::send`](super::Client::send); the bearer may be half configured: call it again.
    async fn bearer_up(&mut self, cfg: &BearerConfig<'_>) -> Result<(), Self::Error>;

    /// The bearer's IP address as the module prints it (Luat `AT+SAPBR=2`, Quectel
    /// `AT+CGPADDR=<cid>`), borrowed from the client.
    ///
    /// ```
    /// # use atmodem::client::{Bearer, Client, State};
    /// # use atmodem::dialects::quectel::Quectel;
    /// # use atmodem::sim::{InstantDelay, SimModem};
    /// let script = ">> AT+CGPADDR=1\n<< +CGPADDR: 1,\"10.7.157.1\"\n<< OK\n";
    /// let mut state: State = State::new();
    /// let mut c: Client<_, _, Quectel> = Client::new(SimModem::new(script).unwrap(), InstantDelay, &mut state);
    /// assert_eq!(embassy_futures::block_on(c.bearer_address(1)), Ok("10.7.157.1"));
    /// ```
    ///
    /// # Cancel safety
    /// As [`Client::send`](super::Client::send).
    async fn bearer_address(&mut self, cid: u8) -> Result<&str, Self::Error>;

    /// Deactivate the bearer (Luat `AT+SAPBR=0`, Quectel `AT+QIDEACT`).
    ///
    /// ```
    /// # use atmodem::client::{Bearer, Client, State};
    /// # use atmodem::dialects::quectel::Quectel;
    /// # use atmodem::sim::{InstantDelay, SimModem};
    /// let mut state: State = State::new();
    /// let mut c: Client<_, _, Quectel> =
    ///     Client::new(SimModem::new(">> AT+QIDEACT=1\n<< OK\n").unwrap(), InstantDelay, &mut state);
    /// embassy_futures::block_on(c.bearer_down(1)).unwrap();
    /// assert!(c.transport().is_done());
    /// ```
    ///
    /// # Cancel safety
    /// As [`Client::send`](super::Client::send).
    async fn bearer_down(&mut self, cid: u8) -> Result<(), Self::Error>;
}

/// Times of an HTTP(S) request, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct HttpTiming {
    /// Time the module waits for the URL bytes (Quectel `AT+QHTTPURL`).
    pub url_input_secs: u16,
    /// Time the module waits for the body bytes (Quectel `AT+QHTTPPOST`, Luat
    /// `AT+HTTPDATA` in milliseconds).
    pub body_input_secs: u16,
    /// Time to wait for the server's response.
    pub response_secs: u16,
    /// Time the module waits to hand out the body (Quectel `AT+QHTTPREAD`).
    pub read_secs: u16,
}

impl Default for HttpTiming {
    /// The Quectel HTTP(S) application note's defaults, 60 s each.
    fn default() -> Self {
        Self {
            url_input_secs: 60,
            body_input_secs: 60,
            response_secs: 60,
            read_secs: 60,
        }
    }
}

/// An HTTP(S) POST. `Debug` and `defmt` show the body's length only (an Aliyun
/// registration body carries its sign).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct HttpPost<'a> {
    /// The URL, `http://` or `https://`.
    pub url: &'a str,
    /// The body's content type (`application/x-www-form-urlencoded` for Aliyun).
    pub content_type: &'a str,
    /// The body.
    pub body: &'a [u8],
    /// The module's times.
    pub timing: HttpTiming,
}

impl core::fmt::Debug for HttpPost<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("HttpPost")
            .field("url", &self.url)
            .field("content_type", &self.content_type)
            .field("body", &Hidden::of(self.body))
            .field("timing", &self.timing)
            .finish()
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for HttpPost<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(
            f,
            "HttpPost {{ url: {=str}, content_type: {=str}, body: {}, timing: {} }}",
            self.url,
            self.content_type,
            Hidden::of(self.body),
            self.timing
        )
    }
}

/// The `Content-Type` of an HTML form, what Aliyun's `/auth` endpoints take.
pub const FORM_URLENCODED: &str = "application/x-www-form-urlencoded";

impl<'a> HttpPost<'a> {
    /// A form-urlencoded POST with default times (60 s each).
    ///
    /// ```
    /// # use atmodem::client::{FORM_URLENCODED, HttpPost};
    /// let req = HttpPost::form("https://example.cn", b"a=1");
    /// assert_eq!(req.content_type, FORM_URLENCODED);
    /// assert_eq!(req.timing.response_secs, 60);
    /// ```
    pub const fn form(url: &'a str, body: &'a [u8]) -> Self {
        Self {
            url,
            content_type: FORM_URLENCODED,
            body,
            timing: HttpTiming {
                url_input_secs: 60,
                body_input_secs: 60,
                response_secs: 60,
                read_secs: 60,
            },
        }
    }
}

/// What an HTTP(S) request returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct HttpResponse {
    /// HTTP status code.
    pub status: u16,
    /// Bytes of body written into the caller's buffer.
    pub len: usize,
}

/// HTTP(S) requests.
#[allow(async_fn_in_trait)]
pub trait Http: Modem {
    /// POST `req.body` to `req.url` and read the response body into `body`.
    ///
    /// Luat: `AT+HTTPINIT`, `AT+HTTPPARA="URL"`, `AT+HTTPPARA="USER_DEFINED","Content-Type: …"`,
    /// `AT+HTTPDATA` + `DOWNLOAD` + body, `AT+HTTPACTION=1` → `+HTTPACTION`, `AT+HTTPREAD`,
    /// `AT+HTTPTERM` (also after a failure). Quectel: `AT+QHTTPCFG="contenttype"` unless the
    /// body is form-urlencoded (the default), `AT+QHTTPURL` + `CONNECT` + URL,
    /// `AT+QHTTPPOST` + `CONNECT` + body → `+QHTTPPOST`, `AT+QHTTPREAD` + `CONNECT` + body →
    /// `+QHTTPREAD: 0`.
    ///
    /// ```
    /// # use atmodem::client::{Client, Http, HttpPost, State};
    /// # use atmodem::dialects::quectel::Quectel;
    /// # use atmodem::sim::{InstantDelay, SimModem};
    /// let script = r#">> AT+QHTTPURL=18,60
    /// << CONNECT
    /// >>| "https://example.cn"
    /// << OK
    /// >> AT+QHTTPPOST=3,60,60
    /// << CONNECT
    /// >>| "a=1"
    /// << OK
    /// << +QHTTPPOST: 0,200,2
    /// >> AT+QHTTPREAD=60
    /// << CONNECT
    /// <<| "ok"
    /// << OK
    /// << +QHTTPREAD: 0
    /// "#;
    /// let mut state: State = State::new();
    /// let mut c: Client<_, _, Quectel> = Client::new(SimModem::new(script).unwrap(), InstantDelay, &mut state);
    /// let mut body = [0u8; 8];
    /// let req = HttpPost::form("https://example.cn", b"a=1");
    /// let r = embassy_futures::block_on(c.http_post(&req, &mut body)).unwrap();
    /// assert_eq!((r.status, &body[..r.len]), (200, &b"ok"[..]));
    /// ```
    ///
    /// A failed request is [`ActionError::Http`](crate::dialects::ActionError::Http) with
    /// the module's code. No answer within the times of `req.timing` is
    /// [`Error::Timeout`](super::Error::Timeout), a module reboot meanwhile
    /// [`Error::Rebooted`](super::Error::Rebooted); the client stays usable (the next
    /// command resynchronises when one was left unanswered).
    ///
    /// # Cancel safety
    /// Dropping it leaves the module's HTTP session open; the next `http_post` ends it first (Luat `AT+HTTPTERM`) or overwrites it (Quectel).
    async fn http_post(
        &mut self,
        req: &HttpPost<'_>,
        body: &mut [u8],
    ) -> Result<HttpResponse, Self::Error>;

    /// GET the `len` bytes of `url` from byte `offset` (HTTP `Range:
    /// bytes=<offset>-<offset+len-1>`) into the start of `body`: the transport of an OTA
    /// download. The forms are those of the lifecycle-tls-simcom research, §5 "Ranged HTTP
    /// downloads for OTA".
    ///
    /// Quectel: `AT+QHTTPURL` + `CONNECT` + URL, `AT+QHTTPGETEX=<response_secs>,<offset>,<len>`
    /// → `+QHTTPGET: 0,206,<len>`, `AT+QHTTPREAD` + `CONNECT` + body → `+QHTTPREAD: 0`.
    /// Luat: `AT+HTTPINIT`, `AT+HTTPPARA="URL"`, `AT+HTTPPARA="BREAK",<offset>`,
    /// `AT+HTTPPARA="BREAKEND",<offset+len-1>` (inclusive), `AT+HTTPACTION=0` →
    /// `+HTTPACTION: 0,206,<len>`, `AT+HTTPREAD` → `+HTTPREAD: <len>` + body, `AT+HTTPTERM`
    /// (also after a failure). Keep `len` within the module's HTTP buffer (Luat: about
    /// 3 KiB of its 4 KiB).
    ///
    /// Success is `206` with exactly `len` bytes read, returned as [`HttpResponse`]. Any other
    /// status (`200`: the server ignored the range), or another length announced or read,
    /// is [`ActionError::Range`](crate::dialects::ActionError::Range): the body is not read
    /// (announced) or not to be used (read). A `len` of 0 is
    /// [`Error::Encode`](super::Error::Encode) and a `len` beyond `body` is
    /// [`Error::ResponseTooLong`](super::Error::ResponseTooLong), both before anything is
    /// sent. No answer within the times of `timing` is [`Error::Timeout`](super::Error::Timeout)
    /// (the client stays usable); a module reboot meanwhile is
    /// [`Error::Rebooted`](super::Error::Rebooted): bring the module up again and ask for
    /// the range again. Luat: while bearer 1 is known down (`+PDP DEACT`, a reboot), it is
    /// [`Error::SessionDown`](super::Error::SessionDown) at once, before anything is sent:
    /// [`Bearer::bearer_up`] first.
    ///
    /// ```
    /// # use atmodem::client::{Client, Http, HttpTiming, State};
    /// # use atmodem::dialects::quectel::Quectel;
    /// # use atmodem::sim::{InstantDelay, SimModem};
    /// let script = r#">> AT+QHTTPURL=26,80
    /// << CONNECT
    /// >>| "https://ota.example/fw.bin"
    /// << OK
    /// >> AT+QHTTPGETEX=80,4096,4
    /// << OK
    /// << +QHTTPGET: 0,206,4
    /// >> AT+QHTTPREAD=80
    /// << CONNECT
    /// <<| "\u0001\u0002\u0003\u0004"
    /// << OK
    /// << +QHTTPREAD: 0
    /// "#;
    /// let mut state: State = State::new();
    /// let mut c: Client<_, _, Quectel> = Client::new(SimModem::new(script).unwrap(), InstantDelay, &mut state);
    /// let timing = HttpTiming { url_input_secs: 80, body_input_secs: 80, response_secs: 80, read_secs: 80 };
    /// let mut chunk = [0u8; 16];
    /// let r = embassy_futures::block_on(c.http_get_range("https://ota.example/fw.bin", 4096, 4, timing, &mut chunk));
    /// assert_eq!(r.unwrap().len, 4);
    /// assert_eq!(&chunk[..4], &[1, 2, 3, 4]);
    /// ```
    ///
    /// # Cancel safety
    /// As `http_post`: the next request ends or overwrites the module's HTTP session.
    async fn http_get_range(
        &mut self,
        url: &str,
        offset: u32,
        len: u32,
        timing: HttpTiming,
        body: &mut [u8],
    ) -> Result<HttpResponse, Self::Error>;
}

/// The checks of [`Http::http_get_range`] before anything is sent: `len` not 0, within
/// `body`, and the range within `u32`.
pub(super) fn check_range<E>(offset: u32, len: u32, body: &[u8]) -> Result<usize, super::Error<E>> {
    if len == 0 || offset.checked_add(len).is_none() {
        return Err(super::Error::Encode(
            crate::codec::EncodeError::InvalidArgument("len"),
        ));
    }
    let n = usize::try_from(len).map_err(|_| super::Error::ResponseTooLong)?;
    if n > body.len() {
        return Err(super::Error::ResponseTooLong);
    }
    Ok(n)
}

/// A ranged GET's answer checked: `206` and exactly `want` bytes, else
/// [`ActionError::Range`](crate::dialects::ActionError::Range).
pub(super) fn check_partial<E>(
    status: u16,
    got: usize,
    want: usize,
) -> Result<(), super::Error<E>> {
    if status == 206 && got == want {
        Ok(())
    } else {
        Err(super::Error::Action(crate::dialects::ActionError::Range {
            status,
            len: got,
        }))
    }
}

/// How the MQTT client logs in.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum MqttLogin<'a> {
    /// A client id and no user name or password.
    ClientId(&'a str),
    /// Client id, user name and password (Aliyun: the signed strings of
    /// `atmodem::aliyun`).
    Password {
        /// MQTT client id.
        client_id: &'a str,
        /// User name.
        username: &'a str,
        /// Password (never printed by `Debug`).
        password: &'a str,
    },
    /// Quectel `AT+QMTCFG="aliauth"`: the module signs the Aliyun login itself from the
    /// device triple; `AT+QMTCONN` then sends only the client id. Not available on Luat.
    AliAuth {
        /// MQTT client id (the device name in the Quectel note).
        client_id: &'a str,
        /// ProductKey.
        product_key: &'a str,
        /// DeviceName.
        device_name: &'a str,
        /// DeviceSecret (never printed by `Debug`).
        device_secret: &'a str,
    },
}

impl<'a> MqttLogin<'a> {
    /// The client id of any login.
    ///
    /// ```
    /// # use atmodem::client::MqttLogin;
    /// let login = MqttLogin::Password { client_id: "c1", username: "u", password: "p" };
    /// assert_eq!(login.client_id(), "c1");
    /// assert_eq!(MqttLogin::ClientId("c2").client_id(), "c2");
    /// ```
    pub const fn client_id(&self) -> &'a str {
        match self {
            Self::ClientId(id)
            | Self::Password { client_id: id, .. }
            | Self::AliAuth { client_id: id, .. } => id,
        }
    }

    /// The transport the client id declares in Aliyun's `<id>|securemode=<n>,...|` form:
    /// [`LoginTransport::Tls`] for `securemode=2` or `-2`, [`LoginTransport::Plain`] for
    /// `securemode=3`, [`LoginTransport::Undeclared`] for a client id without one (or with a value
    /// the platform does not define), [`LoginTransport::Conflicting`] when it declares both.
    ///
    /// ```
    /// # use atmodem::client::{LoginTransport, MqttLogin};
    /// let tls = MqttLogin::ClientId("pk.dev|securemode=2,signmethod=hmacsha256,timestamp=1|");
    /// assert_eq!(tls.declared_transport(), LoginTransport::Tls);
    /// let tcp = MqttLogin::ClientId("pk.dev|signmethod=hmacsha1,securemode=3|");
    /// assert_eq!(tcp.declared_transport(), LoginTransport::Plain);
    /// assert_eq!(MqttLogin::ClientId("dev-1").declared_transport(), LoginTransport::Undeclared);
    /// let both = MqttLogin::ClientId("d|securemode=3,securemode=-2|");
    /// assert_eq!(both.declared_transport(), LoginTransport::Conflicting);
    /// ```
    pub fn declared_transport(&self) -> LoginTransport {
        let Some((_, ext)) = self.client_id().split_once('|') else {
            return LoginTransport::Undeclared;
        };
        let ext = ext.split_once('|').map_or(ext, |(e, _)| e);
        let (mut tls, mut plain) = (false, false);
        for value in ext
            .split(',')
            .filter_map(|kv| kv.strip_prefix("securemode="))
        {
            match value {
                "2" | "-2" => tls = true,
                "3" => plain = true,
                _ => {}
            }
        }
        match (tls, plain) {
            (true, true) => LoginTransport::Conflicting,
            (true, false) => LoginTransport::Tls,
            (false, true) => LoginTransport::Plain,
            (false, false) => LoginTransport::Undeclared,
        }
    }
}

/// The transport an MQTT client id declares (see [`MqttLogin::declared_transport`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum LoginTransport {
    /// `securemode=2` or `-2`: the login must go over TLS.
    Tls,
    /// `securemode=3`: plain TCP.
    Plain,
    /// No `securemode` (not an Aliyun client id): any transport.
    Undeclared,
    /// Both a TLS and a plain `securemode`: no transport matches.
    Conflicting,
}

impl core::fmt::Debug for MqttLogin<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::ClientId(id) => f.debug_tuple("ClientId").field(id).finish(),
            Self::Password {
                client_id,
                username,
                ..
            } => f
                .debug_struct("Password")
                .field("client_id", client_id)
                .field("username", username)
                .field("password", &"<redacted>")
                .finish(),
            Self::AliAuth {
                client_id,
                product_key,
                device_name,
                ..
            } => f
                .debug_struct("AliAuth")
                .field("client_id", client_id)
                .field("product_key", product_key)
                .field("device_name", device_name)
                .field("device_secret", &"<redacted>")
                .finish(),
        }
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for MqttLogin<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "MqttLogin {{ client_id: {} }}", self.client_id())
    }
}

/// An MQTT session's settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct MqttSession<'a> {
    /// Quectel client index 0..=5; Luat has one connection (use 0).
    pub client: u8,
    /// Broker host.
    pub host: &'a str,
    /// Broker port.
    pub port: u16,
    /// TLS, with this SSL context index (Quectel `AT+QMTCFG="ssl",<idx>,1,<ctx>`; Luat uses
    /// `AT+SSLMIPSTART` and ignores the index).
    pub tls: Option<u8>,
    /// Keep-alive in seconds (Aliyun accepts 30..=1200).
    pub keepalive_secs: u16,
    /// Clean session.
    pub clean_session: bool,
    /// Quectel's buffered receive mode (`AT+QMTCFG="recv/mode",<idx>,1,1`): the module keeps
    /// up to 5 messages in its own buffers and prints only `+QMTRECV: <idx>,<recv_id>`;
    /// [`Mqtt::mqtt_next_message`] then fetches each with `AT+QMTRECV=<idx>,<recv_id>`. The
    /// choice for bursts larger than the host's buffers: a message waits in the module, not
    /// in the host's queue. Luat modules ignore it.
    pub buffered_receive: bool,
    /// How to log in.
    pub login: MqttLogin<'a>,
    /// Send the login over the transport `tls` says even when its client id declares
    /// another (see [`transport_matches`](Self::transport_matches)). `false` (the default) is
    /// what a product wants; `true` exists only to reproduce exchanges recorded that way,
    /// such as the Quectel Aliyun note's 4.1.2 login, which declares `securemode=2` and
    /// opens port 1883 with no `AT+QMTCFG="ssl"`, so the signed login goes out in the clear.
    pub unchecked_transport: bool,
}

impl<'a> MqttSession<'a> {
    /// Client 0, no TLS, keep-alive 120 s (the Quectel default), clean session.
    ///
    /// ```
    /// # use atmodem::client::{MqttLogin, MqttSession};
    /// let s = MqttSession::new("h", 1883, MqttLogin::ClientId("dev-1"));
    /// assert_eq!((s.client, s.tls, s.keepalive_secs, s.clean_session), (0, None, 120, true));
    /// ```
    pub const fn new(host: &'a str, port: u16, login: MqttLogin<'a>) -> Self {
        Self {
            client: 0,
            host,
            port,
            tls: None,
            keepalive_secs: 120,
            clean_session: true,
            buffered_receive: false,
            login,
            unchecked_transport: false,
        }
    }

    /// Whether the login may be sent over this session's transport: a client id that
    /// declares `securemode=2` or `-2` needs `tls: Some(ctx)`, one that declares
    /// `securemode=3` needs `tls: None`, one that declares both matches nothing, and one
    /// that declares none matches either. Every family's `mqtt_configure`, `mqtt_open` and
    /// `mqtt_connect` refuse a mismatch with
    /// [`Error::TransportMismatch`](super::Error::TransportMismatch) before sending
    /// anything, so a TLS login never goes out in the clear, unless
    /// [`unchecked_transport`](Self::unchecked_transport) is set.
    ///
    /// ```
    /// # use atmodem::client::{MqttLogin, MqttSession};
    /// let id = "i2uqc2dloOl.device001|securemode=2,signmethod=hmacsha256,timestamp=1|";
    /// let login = MqttLogin::Password { client_id: id, username: "u", password: "p" };
    /// let plain = MqttSession::new("h", 1883, login);
    /// assert!(!plain.transport_matches());
    /// let tls = MqttSession { tls: Some(0), ..MqttSession::new("h", 8883, login) };
    /// assert!(tls.transport_matches());
    /// let seed = MqttSession { unchecked_transport: true, ..plain };
    /// assert!(seed.transport_matches());
    /// ```
    pub fn transport_matches(&self) -> bool {
        self.unchecked_transport
            || match self.login.declared_transport() {
                LoginTransport::Tls => self.tls.is_some(),
                LoginTransport::Plain => self.tls.is_none(),
                LoginTransport::Undeclared => true,
                LoginTransport::Conflicting => false,
            }
    }

    /// [`transport_matches`](Self::transport_matches) as the error the families return.
    pub(crate) fn refuse_mismatch<E>(&self) -> Result<(), super::Error<E>> {
        if self.transport_matches() {
            Ok(())
        } else {
            Err(super::Error::TransportMismatch)
        }
    }
}

/// An MQTT session over the module's own MQTT stack.
///
/// Calls on a session that a URC reported down (`+QMTSTAT`, `CLOSED`, PDP lost, reboot) fail
/// at once with [`Error::SessionDown`](super::Error::SessionDown) until `mqtt_start` (or
/// `mqtt_connect`) succeeds again.
///
/// Commands run as [`Client::send`](super::Client::send) does: one not answered in time ends
/// the call with [`Error::Timeout`](super::Error::Timeout), a module reboot during one with
/// [`Error::Rebooted`](super::Error::Rebooted) (the reboot also marks the session down), and
/// the next call resynchronises first. A result URC that does not come in time (`+QMTOPEN`,
/// `CONNACK`, an acknowledgement) is [`Error::Timeout`](super::Error::Timeout) with the client
/// still in step; a reboot while waiting for it is [`Error::Rebooted`](super::Error::Rebooted).
///
/// Every method in one session: [`mqtt_start`](Self::mqtt_start) (that is
/// [`mqtt_configure`](Self::mqtt_configure), [`mqtt_open`](Self::mqtt_open),
/// [`mqtt_connect`](Self::mqtt_connect)), [`mqtt_subscribe`](Self::mqtt_subscribe),
/// [`mqtt_publish`](Self::mqtt_publish), [`mqtt_next_message`](Self::mqtt_next_message),
/// [`mqtt_unsubscribe`](Self::mqtt_unsubscribe), [`mqtt_disconnect`](Self::mqtt_disconnect),
/// [`mqtt_close`](Self::mqtt_close) and [`mqtt_wait_closed`](Self::mqtt_wait_closed):
///
/// ```
/// # use atmodem::client::{Client, Error, Mqtt, MqttLogin, MqttSession, State};
/// # use atmodem::dialects::quectel::Quectel;
/// # use atmodem::sim::{InstantDelay, SimModem};
/// let script = r#">> AT+QMTCFG="version",0,4
/// << OK
/// >> AT+QMTCFG="recv/mode",0,0,1
/// << OK
/// >> AT+QMTOPEN=0,"h",1883
/// << OK
/// << +QMTOPEN: 0,0
/// >> AT+QMTCONN=0,"dev-1"
/// << OK
/// << +QMTCONN: 0,0,0
/// >> AT+QMTSUB=0,1,"t/x",1
/// << OK
/// << +QMTSUB: 0,1,0,1
/// >> AT+QMTPUBEX=0,2,1,0,"t/x",2
/// <<| "\r\n> "
/// >>| "hi"
/// << OK
/// << +QMTPUBEX: 0,2,0
/// << +QMTRECV: 0,0,"t/x",2,"ho"
/// >> AT+QMTUNS=0,3,"t/x"
/// << OK
/// << +QMTUNS: 0,3,0
/// >> AT+QMTDISC=0
/// << OK
/// << +QMTDISC: 0,0
/// >> AT+QMTCLOSE=0
/// << OK
/// << +QMTCLOSE: 0,0
/// << +QMTSTAT: 0,5
/// "#;
/// let mut state: State = State::new();
/// let mut c: Client<_, _, Quectel> = Client::new(SimModem::new(script).unwrap(), InstantDelay, &mut state);
/// let s = MqttSession::new("h", 1883, MqttLogin::ClientId("dev-1"));
/// # embassy_futures::block_on(async {
/// let mqtt = c.mqtt_start(&s).await.unwrap();
/// c.mqtt_subscribe(mqtt, "t/x", 1).await.unwrap();
/// c.mqtt_publish(mqtt, "t/x", b"hi", 1, false).await.unwrap();
/// let m = c.mqtt_next_message(mqtt, 1_000).await.unwrap();
/// assert_eq!((m.topic, m.payload), ("t/x", &b"ho"[..]));
/// c.mqtt_unsubscribe(mqtt, "t/x").await.unwrap();
/// c.mqtt_disconnect(mqtt).await.unwrap();
/// // The session has ended: its handle is refused, nothing is written.
/// assert_eq!(c.mqtt_close(mqtt).await, Err(Error::StaleSession { index: 0 }));
/// // Closing the link of index 0, whatever it holds now, takes a handle on it.
/// let link = c.mqtt_session(0);
/// c.mqtt_close(link).await.unwrap();
/// c.mqtt_wait_closed(link, 1_000).await.unwrap();
/// # });
/// assert!(c.transport().is_done());
/// ```
#[allow(async_fn_in_trait)]
pub trait Mqtt: Modem {
    /// Configure the session. Quectel: `AT+QMTCFG` `"version"` (3.1.1), `"recv/mode"` with
    /// the length field (binary-safe receive; ignored where unsupported), `"ssl"` when TLS,
    /// `"keepalive"` and `"session"` when not the defaults, `"aliauth"` for that login.
    /// Luat: `AT+MCONFIG` with the login.
    ///
    /// # Cancel safety
    /// As [`Client::send`](super::Client::send); the settings may be half written: call it again.
    async fn mqtt_configure(&mut self, s: &MqttSession<'_>) -> Result<(), Self::Error>;

    /// Open the network link: Quectel `AT+QMTOPEN` → `+QMTOPEN: <idx>,0`; Luat
    /// `AT+MIPSTART` / `AT+SSLMIPSTART` → `CONNECT OK`.
    ///
    /// # Cancel safety
    /// Dropped while waiting for the result: the result, when it comes, is queued as a URC; call `mqtt_close` before opening again.
    async fn mqtt_open(&mut self, s: &MqttSession<'_>) -> Result<(), Self::Error>;

    /// MQTT CONNECT: Quectel `AT+QMTCONN` → `+QMTCONN: <idx>,0,0`; Luat `AT+MCONNECT` →
    /// `CONNACK OK`. A refused CONNACK is
    /// [`ActionError::Refused`](crate::dialects::ActionError::Refused) (4 and 5: bad
    /// credentials). Returns the new session's handle; handles of earlier sessions on the
    /// index are stale from now on.
    ///
    /// # Cancel safety
    /// As `mqtt_open`.
    async fn mqtt_connect(&mut self, s: &MqttSession<'_>) -> Result<Session, Self::Error>;

    /// Configure, open and connect; returns the session's handle.
    ///
    /// # Cancel safety
    /// As its three steps.
    async fn mqtt_start(&mut self, s: &MqttSession<'_>) -> Result<Session, Self::Error> {
        self.mqtt_configure(s).await?;
        self.mqtt_open(s).await?;
        self.mqtt_connect(s).await
    }

    /// A handle on whatever session client index `client` holds now, without starting one:
    /// for a session set up by raw commands or before this client existed, or to close an
    /// index whatever holds it (a session started with [`mqtt_start`](Self::mqtt_start)
    /// already has its handle).
    ///
    /// No I/O: it never waits, so it has no timeout and nothing to cancel. After a module
    /// reboot or a link loss the handle names the index's current generation, whose session
    /// is down: publish and subscribe with it answer
    /// [`Error::SessionDown`](crate::client::Error::SessionDown), while
    /// [`mqtt_close`](Self::mqtt_close) still closes the index.
    ///
    /// ```
    /// # use atmodem::client::{Client, Mqtt, State};
    /// # use atmodem::dialects::quectel::Quectel;
    /// # use atmodem::sim::{InstantDelay, SimModem};
    /// // Client 0's link was left open by an earlier run: close it, whatever it holds.
    /// let script = ">> AT+QMTCLOSE=0\n<< OK\n<< +QMTCLOSE: 0,0\n";
    /// let mut state: State = State::new();
    /// let mut c: Client<_, _, Quectel> = Client::new(SimModem::new(script).unwrap(), InstantDelay, &mut state);
    /// let left = c.mqtt_session(0);
    /// assert_eq!(left.index(), 0);
    /// embassy_futures::block_on(c.mqtt_close(left)).unwrap();
    /// assert!(c.transport().is_done());
    /// ```
    fn mqtt_session(&self, client: u8) -> Session;

    /// Subscribe to one topic filter and wait for the broker's acknowledgement.
    /// [`StaleSession`](super::Error::StaleSession), with nothing written, when `session`
    /// has gone down since it was started; this holds for every call that takes a handle.
    ///
    /// # Cancel safety
    /// Dropped while waiting for the acknowledgement: it is queued when it comes; the subscription may be in place.
    async fn mqtt_subscribe(
        &mut self,
        session: Session,
        topic: &str,
        qos: u8,
    ) -> Result<(), Self::Error>;

    /// Unsubscribe from one topic filter.
    ///
    /// # Cancel safety
    /// As `mqtt_subscribe`.
    async fn mqtt_unsubscribe(&mut self, session: Session, topic: &str) -> Result<(), Self::Error>;

    /// Publish, binary-safe (Quectel `AT+QMTPUBEX` with a length; Luat `AT+MPUB` for text,
    /// `AT+MPUBEX` with a length otherwise). QoS 1 and 2 wait for the broker's
    /// acknowledgement (`+QMTPUBEX` result 0, `PUBACK`, `PUBCOMP`); a missing one is a
    /// [`Timeout`](super::Error::Timeout) after which the client stays usable.
    ///
    /// # Cancel safety
    /// Dropped before the prompt or during the data: the next command resynchronises (the module ends the data phase by its own timer). Dropped while waiting for the acknowledgement: the message may have been delivered.
    async fn mqtt_publish(
        &mut self,
        session: Session,
        topic: &str,
        payload: &[u8],
        qos: u8,
        retain: bool,
    ) -> Result<(), Self::Error>;

    /// The next received message of `session`, waiting up to `timeout_ms`. It borrows from
    /// the client until the next call; other URCs stay queued. Messages that arrived before
    /// the link closed are still handed out (to a stale handle too, until another session is
    /// started on the index); after them, [`StaleSession`](super::Error::StaleSession) for
    /// a handle of the ended session ([`SessionDown`](super::Error::SessionDown) for one
    /// taken with [`mqtt_session`](Self::mqtt_session) while the index was down) at once.
    /// [`Timeout`](super::Error::Timeout) when no message came within `timeout_ms`; the
    /// session is untouched and the next call waits again. After a module reboot:
    /// [`SessionDown`](super::Error::SessionDown) (the reboot took the session with it).
    ///
    /// With [`MqttSession::buffered_receive`] (Quectel), it waits for the module's notice
    /// `+QMTRECV: <idx>,<recv_id>` and fetches that buffer with `AT+QMTRECV=<idx>,<recv_id>`:
    /// the message is parsed from the command's response.
    ///
    /// # Cancel safety
    /// Cancel-safe: messages and other URCs stay queued. In the buffered mode, a call dropped
    /// after its `AT+QMTRECV` was written has taken that message out of the module; the next
    /// call resynchronises first.
    async fn mqtt_next_message(
        &mut self,
        session: Session,
        timeout_ms: u32,
    ) -> Result<MqttMessage<'_>, Self::Error>;

    /// Wait up to `timeout_ms` for the broker or the module to close `session`'s link
    /// (Quectel `+QMTSTAT`, Luat `CLOSED`, or the bearer or module going down): how an Aliyun
    /// registration session ends. At once when the link is already known to be down, or
    /// the handle stale (its session has ended: what this waits for).
    ///
    /// # Cancel safety
    /// Cancel-safe: URCs stay queued.
    async fn mqtt_wait_closed(
        &mut self,
        session: Session,
        timeout_ms: u32,
    ) -> Result<(), Self::Error>;

    /// MQTT DISCONNECT (Quectel `AT+QMTDISC`, Luat `AT+MDISCONNECT`); the handle is stale
    /// afterwards.
    ///
    /// # Cancel safety
    /// As `mqtt_open`.
    async fn mqtt_disconnect(&mut self, session: Session) -> Result<(), Self::Error>;

    /// Close the network link (Quectel `AT+QMTCLOSE`, Luat `AT+MIPCLOSE`; an already closed
    /// link counts as success); the handle is stale afterwards. To close an index whatever
    /// it holds, pass [`mqtt_session`](Self::mqtt_session)`(index)`.
    ///
    /// # Cancel safety
    /// As `mqtt_open`.
    async fn mqtt_close(&mut self, session: Session) -> Result<(), Self::Error>;
}
