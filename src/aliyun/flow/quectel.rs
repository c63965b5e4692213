//! The Aliyun flows of the Quectel application note, in its order: network checks, the
//! one-device-one-secret login through `aliauth` or through explicit credentials, MQTT
//! registration (`register`, `regnwl` → `connwl`) and HTTPS registration.
//!
//! ```no_run
//! # async fn demo<IO: embedded_io_async::Read + embedded_io_async::Write, DL: embedded_hal_async::delay::DelayNs>(
//! #     c: &mut atmodem::client::Client<IO, DL, atmodem::dialects::quectel::Quectel>,
//! # ) -> Result<(), atmodem::aliyun::flow::FlowError<IO::Error>> {
//! use atmodem::aliyun::flow::quectel::{self, Connect};
//!
//! quectel::network_checks(c, 1).await?;
//! let opts = Connect::new("iot-06z00hxss3rggno.mqtt.iothub.aliyuncs.com", 1883);
//! quectel::connect_aliauth(
//!     c,
//!     &opts.version(),
//!     "i2uqc2dloOl",
//!     "device001",
//!     "c4fa40df9c8078073d75a26be2bc8f58",
//!     "device001",
//! )
//! .await?;
//! # Ok(()) }
//! ```

use embedded_hal_async::delay::DelayNs;
use embedded_io_async::{Read, Write};

use super::{FlowError, RegisteredDevice, RegnwlDevice, login_of};
use crate::aliyun::mqtt::MqttCredentials;
use crate::client::{Bearer, BearerConfig, Client, Error as ModemError, Mqtt};
use crate::codec::RegStatus;
use crate::dialects::Redacted;
use crate::dialects::common::{CeregRead, Cgpaddr};
use crate::dialects::quectel::{
    MqttVersion, QengServingCell, QmtCfg, QmtCfgQuery, QmtConn, QmtOpen, QmtSetting,
    QmtSettingName, Quectel, ServingCell,
};

type QClient<IO, DL, const RX: usize, const RESP: usize, const Q: usize> =
    Client<IO, DL, Quectel, RX, RESP, Q>;

/// What the network checks found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkReport {
    /// EPS registration state (`+CEREG`).
    pub registration: RegStatus,
    /// RSRP of the LTE serving cell, dBm, when the module reported an LTE cell.
    pub rsrp: Option<i16>,
    /// The context's IPv4 address after activation.
    pub ipv4: heapless::String<15>,
}

/// The note's network checks and PDP activation: `AT+CEREG?`, `AT+QENG="servingcell"`,
/// `AT+CGPADDR`, `AT+QICSGP=<cid>,3,"","","",0`, `AT+QIACT=<cid>`, `AT+CGPADDR`.
pub async fn network_checks<IO, DL, const RX: usize, const RESP: usize, const Q: usize>(
    c: &mut QClient<IO, DL, RX, RESP, Q>,
    cid: u8,
) -> Result<NetworkReport, FlowError<IO::Error>>
where
    IO: Read + Write,
    DL: DelayNs,
{
    let registration = c.send(&CeregRead).await?.stat;
    let rsrp = match c.send(&QengServingCell).await? {
        ServingCell::Lte(cell) => Some(cell.rsrp),
        ServingCell::Other { .. } => None,
    };
    c.send(&Cgpaddr::default()).await?;
    // The capability's bring-up: `AT+QICSGP` and `AT+QIACT` as the note sends them, and a
    // context that is already active (a second run without a reboot) counts as up.
    c.bearer_up(&BearerConfig {
        cid,
        ..BearerConfig::default()
    })
    .await?;
    let addrs = c.send(&Cgpaddr::default()).await?;
    let mut ipv4 = heapless::String::new();
    if let Some(a) = addrs.get(cid).and_then(|a| a.ipv4()) {
        ipv4.push_str(a).map_err(|_| FlowError::Reply)?;
    }
    Ok(NetworkReport {
        registration,
        rsrp,
        ipv4,
    })
}

/// How to connect an MQTT client of a Quectel module.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Connect<'a> {
    /// Client index 0..=5.
    pub client: u8,
    /// Broker host (`<instanceId>.mqtt.iothub.aliyuncs.com` or
    /// `<productKey>.iot-as-mqtt.<region>.aliyuncs.com`).
    pub host: &'a str,
    /// Broker port.
    pub port: u16,
    /// Send `AT+QMTCFG="version",<idx>,4` (MQTT 3.1.1) first.
    pub set_version: bool,
    /// Query `AT+QMTCFG="aliauth",<idx>` first: a stored triple would make the module sign
    /// with it instead of a password login's credentials.
    pub check_aliauth: bool,
    /// `AT+QMTCFG="ssl",<idx>,1,<ctx>`: TLS on this SSL context (dynamic registration needs
    /// TLS).
    pub ssl_ctx: Option<u8>,
}

impl<'a> Connect<'a> {
    /// Client 0, no extra step.
    pub const fn new(host: &'a str, port: u16) -> Self {
        Self {
            client: 0,
            host,
            port,
            set_version: false,
            check_aliauth: false,
            ssl_ctx: None,
        }
    }

    /// With `AT+QMTCFG="version"`.
    pub const fn version(mut self) -> Self {
        self.set_version = true;
        self
    }

    /// With the `aliauth` check.
    pub const fn check_aliauth(mut self) -> Self {
        self.check_aliauth = true;
        self
    }

    /// With TLS on SSL context `ctx`.
    pub const fn tls(mut self, ctx: u8) -> Self {
        self.ssl_ctx = Some(ctx);
        self
    }
}

/// Whether `aliauth` holds a triple. A query answered with `OK` alone counts as empty.
async fn aliauth_stored<IO, DL, const RX: usize, const RESP: usize, const Q: usize>(
    c: &mut QClient<IO, DL, RX, RESP, Q>,
    client: u8,
) -> Result<bool, FlowError<IO::Error>>
where
    IO: Read + Write,
    DL: DelayNs,
{
    let q = QmtCfgQuery {
        client,
        name: QmtSettingName::AliAuth,
    };
    let stored = match c.send(&q).await {
        Ok(QmtSetting::AliAuth { product_key, .. }) => Ok(!product_key.is_empty()),
        Ok(_) => Err(FlowError::Reply),
        Err(ModemError::Parse(_)) => Err(FlowError::NoReply),
        Err(e) => Err(e.into()),
    };
    match stored {
        // Some firmware answers the query of an unset triple with `OK` alone.
        Err(FlowError::NoReply) if c.response_lines().next().is_none() => Ok(false),
        Err(FlowError::NoReply) => Err(FlowError::Reply),
        other => other,
    }
}

/// The steps before the link: version, `aliauth` check, TLS.
async fn prepare<IO, DL, const RX: usize, const RESP: usize, const Q: usize>(
    c: &mut QClient<IO, DL, RX, RESP, Q>,
    opts: &Connect<'_>,
    password_login: bool,
) -> Result<(), FlowError<IO::Error>>
where
    IO: Read + Write,
    DL: DelayNs,
{
    let client = opts.client;
    if opts.set_version {
        c.send(&QmtCfg {
            client,
            setting: QmtSetting::Version(MqttVersion::V3_1_1),
        })
        .await?;
    }
    if opts.check_aliauth && aliauth_stored(c, client).await? && password_login {
        return Err(FlowError::AliauthConfigured);
    }
    if let Some(ctx) = opts.ssl_ctx {
        c.send(&QmtCfg {
            client,
            setting: QmtSetting::Ssl {
                enable: true,
                ctx: Some(ctx),
            },
        })
        .await?;
    }
    Ok(())
}

/// Open the link and connect.
async fn open_connect<IO, DL, const RX: usize, const RESP: usize, const Q: usize>(
    c: &mut QClient<IO, DL, RX, RESP, Q>,
    opts: &Connect<'_>,
    client_id: &str,
    login: Option<(&str, &str)>,
) -> Result<(), FlowError<IO::Error>>
where
    IO: Read + Write,
    DL: DelayNs,
{
    c.run(&QmtOpen {
        client: opts.client,
        host: opts.host,
        port: opts.port,
    })
    .await?;
    c.run(&QmtConn {
        client: opts.client,
        client_id,
        login,
    })
    .await?;
    c.links_mut().mark_mqtt_up(opts.client);
    Ok(())
}

/// One-device-one-secret through `aliauth` (the note's 4.1.1): optional version, check
/// and TLS steps, `AT+QMTCFG="aliauth",<idx>,"<pk>","<dn>","<ds>"`, `AT+QMTOPEN`,
/// `AT+QMTCONN=<idx>,"<client_id>"`. The module signs the login itself.
pub async fn connect_aliauth<IO, DL, const RX: usize, const RESP: usize, const Q: usize>(
    c: &mut QClient<IO, DL, RX, RESP, Q>,
    opts: &Connect<'_>,
    product_key: &str,
    device_name: &str,
    device_secret: &str,
    client_id: &str,
) -> Result<(), FlowError<IO::Error>>
where
    IO: Read + Write,
    DL: DelayNs,
{
    crate::aliyun::validate::product_key(product_key)?;
    crate::aliyun::validate::device_name(device_name)?;
    crate::aliyun::validate::device_secret(device_secret)?;
    prepare(c, opts, false).await?;
    c.send(&QmtCfg {
        client: opts.client,
        setting: QmtSetting::AliAuth {
            product_key,
            device_name,
            device_secret: Redacted::new(device_secret),
        },
    })
    .await?;
    open_connect(c, opts, client_id, None).await
}

/// A login with explicit credentials (the note's 4.1.2 with the console's MQTT parameters,
/// and the registration logins): optional version, check and TLS steps, `AT+QMTOPEN`,
/// `AT+QMTCONN=<idx>,"<clientId>","<username>","<password>"`.
pub async fn connect_password<IO, DL, const RX: usize, const RESP: usize, const Q: usize>(
    c: &mut QClient<IO, DL, RX, RESP, Q>,
    opts: &Connect<'_>,
    credentials: &MqttCredentials,
) -> Result<(), FlowError<IO::Error>>
where
    IO: Read + Write,
    DL: DelayNs,
{
    prepare(c, opts, true).await?;
    let crate::client::MqttLogin::Password {
        client_id,
        username,
        password,
    } = login_of(credentials)
    else {
        return Err(FlowError::Reply);
    };
    open_connect(c, opts, client_id, Some((username, password))).await
}

/// MQTT registration with pre-registration (`authType=register`, the note's 4.2.1):
/// connect with the registration credentials (TLS), take the deviceSecret from
/// `/ext/register`, wait for `+QMTSTAT: <idx>,1` (the normal end). Log in again with
/// [`connect_aliauth`] or the secret's [`DeviceSecretLogin`](crate::aliyun::DeviceSecretLogin).
pub async fn register<IO, DL, const RX: usize, const RESP: usize, const Q: usize>(
    c: &mut QClient<IO, DL, RX, RESP, Q>,
    opts: &Connect<'_>,
    credentials: &MqttCredentials,
) -> Result<RegisteredDevice, FlowError<IO::Error>>
where
    IO: Read + Write,
    DL: DelayNs,
{
    connect_password(c, opts, credentials).await?;
    super::await_register_reply(c, opts.client, super::REGISTRATION_TIMEOUT_MS).await
}

/// Registration-free MQTT registration (`authType=regnwl`, the note's 4.2.2): the
/// clientId and deviceToken from `/ext/regnwl`, after which the broker closes the link. Log
/// in with [`connect_password`] and [`RegnwlDevice::login`].
pub async fn regnwl<IO, DL, const RX: usize, const RESP: usize, const Q: usize>(
    c: &mut QClient<IO, DL, RX, RESP, Q>,
    opts: &Connect<'_>,
    credentials: &MqttCredentials,
) -> Result<RegnwlDevice, FlowError<IO::Error>>
where
    IO: Read + Write,
    DL: DelayNs,
{
    connect_password(c, opts, credentials).await?;
    super::await_regnwl_reply(c, opts.client, super::REGISTRATION_TIMEOUT_MS).await
}

/// The Quectel note's HTTPS times: 80 s to type the URL, 120 s for the body and for the
/// response, 200 s to read the body (`AT+QHTTPURL=<len>,80`, `AT+QHTTPPOST=<len>,120,120`,
/// `AT+QHTTPREAD=200`).
pub const NOTE_HTTP_TIMING: crate::client::HttpTiming = crate::client::HttpTiming {
    url_input_secs: 80,
    body_input_secs: 120,
    response_secs: 120,
    read_secs: 200,
};

/// Disconnect politely: `AT+QMTCLOSE` (the note closes without `AT+QMTDISC`).
pub async fn close<IO, DL, const RX: usize, const RESP: usize, const Q: usize>(
    c: &mut QClient<IO, DL, RX, RESP, Q>,
    client: u8,
) -> Result<(), FlowError<IO::Error>>
where
    IO: Read + Write,
    DL: DelayNs,
{
    c.mqtt_close(client).await?;
    Ok(())
}
