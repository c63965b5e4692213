//! The Quectel steps of the Aliyun flows of the Quectel application note, in its order:
//! network checks and PDP activation, the `aliauth` login (the module signs from the device
//! triple) and the look at a stored triple before any other login. The session itself is
//! the capability's: [`Mqtt::mqtt_start`] through [`flow::connect`](super::connect),
//! [`flow::mqtt_register`](super::mqtt_register) and [`flow::mqtt_regnwl`](super::mqtt_regnwl).
//!
//! ```no_run
//! # async fn demo<IO: embedded_io_async::Read + embedded_io_async::Write, DL: embedded_hal_async::delay::DelayNs>(
//! #     c: &mut atmodem::client::Client<'_, IO, DL, atmodem::dialects::quectel::Quectel>,
//! # ) -> Result<(), atmodem::aliyun::flow::FlowError<IO::Error>> {
//! use atmodem::aliyun::flow::{self, quectel};
//! use atmodem::client::MqttSession;
//!
//! quectel::network_checks(c, 1).await?;
//! let login = quectel::aliauth_login(
//!     "i2uqc2dloOl",
//!     "device001",
//!     "c4fa40df9c8078073d75a26be2bc8f58",
//!     "device001",
//! )?;
//! let session = MqttSession::new("iot-06z00hxss3rggno.mqtt.iothub.aliyuncs.com", 1883, login);
//! flow::connect(c, &session).await?;
//! # Ok(()) }
//! ```

use embedded_hal_async::delay::DelayNs;
use embedded_io_async::{Read, Write};

use super::FlowError;
use crate::aliyun::Error as AliyunError;
use crate::client::{
    Bearer, BearerConfig, Client, Error as ModemError, Mqtt, MqttLogin, MqttSession, Session,
};
use crate::codec::RegStatus;
use crate::dialects::common::{CeregRead, Cgpaddr};
use crate::dialects::quectel::{
    QengServingCell, QmtCfgQuery, QmtSetting, QmtSettingName, Quectel, ServingCell,
};

type QClient<'s, IO, DL> = Client<'s, IO, DL, Quectel>;

/// What the network checks found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
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
///
/// Each command runs as [`Client::send`]: one not answered in time is
/// [`FlowError::Modem`] with `Error::Timeout`, a module reboot during one the same with
/// `Error::Rebooted`, and the next call resynchronises first; dropped, likewise. A context
/// already active counts as up, so running the checks again is safe.
///
/// ```
/// # use atmodem::aliyun::flow::quectel;
/// # use atmodem::client::{Client, State};
/// # use atmodem::codec::RegStatus;
/// # use atmodem::dialects::quectel::Quectel;
/// # use atmodem::sim::{InstantDelay, SimModem};
/// let script = r#">> AT+CEREG?
/// << +CEREG: 0,1
/// << OK
/// >> AT+QENG="servingcell"
/// << +QENG: "servingcell","NOCONN","LTE","TDD",460,00,5C4EF01,121,38400,39,5,5,550B,-98,-8,-70,21,42
/// << OK
/// >> AT+CGPADDR
/// << +CGPADDR: 1,"0.0.0.0"
/// << OK
/// >> AT+QICSGP=1,3,"","","",0
/// << OK
/// >> AT+QIACT=1
/// << OK
/// >> AT+CGPADDR
/// << +CGPADDR: 1,"10.113.242.215"
/// << OK
/// "#;
/// let mut state: State = State::new();
/// let mut c: Client<_, _, Quectel> = Client::new(SimModem::new(script).unwrap(), InstantDelay, &mut state);
/// let net = embassy_futures::block_on(quectel::network_checks(&mut c, 1)).unwrap();
/// assert_eq!((net.registration, net.rsrp), (RegStatus::Home, Some(-98)));
/// assert_eq!(net.ipv4.as_str(), "10.113.242.215");
/// ```
pub async fn network_checks<IO, DL>(
    c: &mut QClient<'_, IO, DL>,
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

/// The device triple as Quectel's `aliauth` login, checked first (nothing is sent for an
/// invalid one): [`MqttLogin::AliAuth`] makes [`Mqtt::mqtt_configure`] write
/// `AT+QMTCFG="aliauth",<idx>,"<pk>","<dn>","<ds>"`, and the module signs the login itself;
/// `AT+QMTCONN` then carries the client id only (the note's 4.1.1 uses the device name).
///
/// ```
/// use atmodem::aliyun::flow::quectel::aliauth_login;
/// use atmodem::client::MqttLogin;
///
/// let login = aliauth_login("i2uqc2dloOl", "device001", "c4fa40df9c8078073d75a26be2bc8f58", "device001")?;
/// assert!(matches!(login, MqttLogin::AliAuth { product_key: "i2uqc2dloOl", .. }));
/// // `Debug` never shows the secret.
/// assert!(!format!("{login:?}").contains("c4fa40df"));
/// assert!(aliauth_login("i2uqc2dloOl", "device 001", "c4fa40df9c8078073d75a26be2bc8f58", "d").is_err());
/// # Ok::<(), atmodem::aliyun::Error>(())
/// ```
pub fn aliauth_login<'a>(
    product_key: &'a str,
    device_name: &'a str,
    device_secret: &'a str,
    client_id: &'a str,
) -> Result<MqttLogin<'a>, AliyunError> {
    crate::aliyun::validate::product_key(product_key)?;
    crate::aliyun::validate::device_name(device_name)?;
    crate::aliyun::validate::device_secret(device_secret)?;
    crate::aliyun::validate::client_id(client_id)?;
    Ok(MqttLogin::AliAuth {
        client_id,
        product_key,
        device_name,
        device_secret,
    })
}

/// The note's look before a login (`AT+QMTCFG="aliauth",<idx>`): a device triple stored in
/// the module would make it sign with that triple instead of the credentials of `session`.
/// [`FlowError::AliauthConfigured`] when one is stored and `session` logs in otherwise
/// than through `aliauth`; a query answered with `OK` alone counts as empty. Call it
/// before [`connect`](super::connect) or [`mqtt_register`](super::mqtt_register).
///
/// On a timeout the client stays usable and nothing was changed in the module; a reboot
/// during the query is the modem's `Error::Rebooted` (a rebooted module still holds a stored
/// triple: ask again); dropped, it is like a dropped [`Client::send`].
///
/// ```
/// # async fn demo<IO: embedded_io_async::Read + embedded_io_async::Write, DL: embedded_hal_async::delay::DelayNs>(
/// #     c: &mut atmodem::client::Client<'_, IO, DL, atmodem::dialects::quectel::Quectel>,
/// #     creds: &atmodem::aliyun::MqttCredentials,
/// # ) -> Result<(), atmodem::aliyun::flow::FlowError<IO::Error>> {
/// use atmodem::aliyun::flow::{self, quectel};
///
/// let session = flow::session("iot-06z00hxss3rggno.mqtt.iothub.aliyuncs.com", 8883, creds, Some(0))?;
/// quectel::check_aliauth(c, &session).await?;
/// flow::connect(c, &session).await?;
/// # Ok(()) }
/// ```
pub async fn check_aliauth<IO, DL>(
    c: &mut QClient<'_, IO, DL>,
    session: &MqttSession<'_>,
) -> Result<(), FlowError<IO::Error>>
where
    IO: Read + Write,
    DL: DelayNs,
{
    let signs_itself = matches!(session.login, MqttLogin::AliAuth { .. });
    if aliauth_stored(c, session.client).await? && !signs_itself {
        return Err(FlowError::AliauthConfigured);
    }
    Ok(())
}

/// Whether `aliauth` holds a triple. A query answered with `OK` alone counts as empty.
async fn aliauth_stored<IO, DL>(
    c: &mut QClient<'_, IO, DL>,
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

/// The Quectel note's HTTPS times: 80 s to type the URL, 120 s for the body and for the
/// response, 200 s to read the body (`AT+QHTTPURL=<len>,80`, `AT+QHTTPPOST=<len>,120,120`,
/// `AT+QHTTPREAD=200`).
pub const NOTE_HTTP_TIMING: crate::client::HttpTiming = crate::client::HttpTiming {
    url_input_secs: 80,
    body_input_secs: 120,
    response_secs: 120,
    read_secs: 200,
};

/// Disconnect politely: `AT+QMTCLOSE` (the note closes without `AT+QMTDISC`). As
/// [`Mqtt::mqtt_close`]: a link already closed counts as success; a timeout or a reboot is
/// [`FlowError::Modem`].
///
/// ```
/// # use atmodem::aliyun::flow::quectel;
/// # use atmodem::client::{Client, Mqtt, State};
/// # use atmodem::dialects::quectel::Quectel;
/// # use atmodem::sim::{InstantDelay, SimModem};
/// let script = ">> AT+QMTCLOSE=0\n<< OK\n<< +QMTCLOSE: 0,0\n";
/// let mut state: State = State::new();
/// let mut c: Client<_, _, Quectel> = Client::new(SimModem::new(script).unwrap(), InstantDelay, &mut state);
/// let session = c.mqtt_session(0);
/// embassy_futures::block_on(quectel::close(&mut c, session)).unwrap();
/// assert!(c.transport().is_done());
/// ```
pub async fn close<IO, DL>(
    c: &mut QClient<'_, IO, DL>,
    session: Session,
) -> Result<(), FlowError<IO::Error>>
where
    IO: Read + Write,
    DL: DelayNs,
{
    c.mqtt_close(session).await?;
    Ok(())
}
