//! Quectel MQTT: `AT+QMTCFG`, `AT+QMTOPEN`, `AT+QMTCONN`, `AT+QMTSUB`, `AT+QMTPUBEX`, ...
//!
//! Source: Quectel "EC2x&EG9x&EM05 MQTT Application Note" / "LTE Standard MQTT Application
//! Note" / "BG96 MQTT Application Note". Every action command answers `OK` at once and
//! reports its real result in a URC named like the command; those commands implement
//! [`Deferred`] with the notes' maximum response times. Client indexes are 0..=5.

use nom::{
    Parser,
    character::complete::{u8 as dec_u8, u16 as dec_u16},
    combinator::opt,
};

use super::Quectel;
use super::urc::{QmtRecv, QuectelUrc, quoted_or_empty};
use crate::codec::fields::{comma, full, header, quoted_str};
use crate::codec::{CommandWriter, EncodeError, Expect, Lines, PromptKind, Seen};
use crate::dialects::{
    ActionError, Command, Deferred, Hidden, MqttMessage, ParseError, Redacted, all_lines,
    no_response, one_line,
};

/// Time for the `OK` of a command whose result comes later (the notes give 300 ms; this
/// leaves room for a busy module).
pub const ACCEPT_TIMEOUT_MS: u32 = 5_000;
/// `AT+QMTCFG` maximum response time.
pub const CFG_TIMEOUT_MS: u32 = 300;
/// `+QMTOPEN` maximum response time.
pub const OPEN_TIMEOUT_MS: u32 = 75_000;
/// `+QMTCLOSE` / `+QMTDISC` maximum response time.
pub const CLOSE_TIMEOUT_MS: u32 = 30_000;
/// `+QMTCONN`: the notes state 5 s, but a CONNECT may be retried `<retry_times>` times after
/// `<pkt_timeout>` each; with the defaults (5 s, 3 retries) that is 20 s.
pub const CONN_TIMEOUT_MS: u32 = 20_000;
/// `+QMTSUB` / `+QMTUNS` / `+QMTPUB` / `+QMTPUBEX` maximum response time.
pub const PACKET_TIMEOUT_MS: u32 = 15_000;

/// MQTT protocol version for `AT+QMTCFG="version"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum MqttVersion {
    /// 3: MQTT 3.1.
    V3_1,
    /// 4: MQTT 3.1.1 (what Aliyun speaks).
    V3_1_1,
}

impl MqttVersion {
    const fn code(self) -> u64 {
        match self {
            Self::V3_1 => 3,
            Self::V3_1_1 => 4,
        }
    }
}

/// A will message for `AT+QMTCFG="will"`. `Debug` and `defmt` show the message's length
/// only.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Will<'a> {
    /// QoS 0..=2.
    pub qos: u8,
    /// Retain flag.
    pub retain: bool,
    /// Will topic.
    pub topic: &'a str,
    /// Will message (text; no quotes or control bytes).
    pub message: &'a str,
}

impl core::fmt::Debug for Will<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Will")
            .field("qos", &self.qos)
            .field("retain", &self.retain)
            .field("topic", &self.topic)
            .field("message", &Hidden::of(self.message.as_bytes()))
            .finish()
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for Will<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(
            f,
            "Will {{ qos: {}, retain: {}, topic: {=str}, message: {} }}",
            self.qos,
            self.retain,
            self.topic,
            Hidden::of(self.message.as_bytes())
        )
    }
}

/// The settings of `AT+QMTCFG`, as set and as the query reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum QmtSetting<'a> {
    /// `"version",<vsn>`.
    Version(MqttVersion),
    /// `"pdpcid",<cid>`: the PDP context the client uses (1..=16).
    PdpCid(u8),
    /// `"ssl",<enable>[,<ctx>]`: TLS on a given SSL context (0..=5).
    Ssl {
        /// TLS on.
        enable: bool,
        /// SSL context index.
        ctx: Option<u8>,
    },
    /// `"keepalive",<secs>` (0..=3600, 0 = none; default 120).
    KeepAlive(u16),
    /// `"session",<clean>`.
    CleanSession(bool),
    /// `"timeout",<pkt_timeout>,<retry_times>,<timeout_notice>`.
    Timeout {
        /// Packet timeout 1..=60 s (default 5).
        packet_secs: u8,
        /// Retries 0..=10 (default 3).
        retries: u8,
        /// Report a timeout as a URC.
        notice: bool,
    },
    /// `"will",<flag>[,<qos>,<retain>,"<topic>","<msg>"]`; `None` = no will.
    Will(Option<Will<'a>>),
    /// `"recv/mode",<mode>[,<len_enable>]`: buffered receive (`+QMTRECV: <idx>,<id>`) and the
    /// length field in `+QMTRECV` (recommended: it makes payloads binary-safe).
    RecvMode {
        /// Messages wait in the module's buffers instead of being printed.
        buffered: bool,
        /// `+QMTRECV` carries the payload length.
        with_length: bool,
    },
    /// `"aliauth","<product_key>","<device_name>","<device_secret>"`: the module computes
    /// the Aliyun username and password itself; `AT+QMTCONN` then needs only the client id.
    /// Empty strings = not configured (the query answers `+QMTCFG: "aliauth",,,`).
    AliAuth {
        /// ProductKey.
        product_key: &'a str,
        /// DeviceName.
        device_name: &'a str,
        /// DeviceSecret (never printed by `Debug`).
        device_secret: Redacted<'a>,
    },
}

/// Names of the `AT+QMTCFG` settings, for the query form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum QmtSettingName {
    /// `"version"`
    Version,
    /// `"pdpcid"`
    PdpCid,
    /// `"ssl"`
    Ssl,
    /// `"keepalive"`
    KeepAlive,
    /// `"session"`
    CleanSession,
    /// `"timeout"`
    Timeout,
    /// `"will"`
    Will,
    /// `"recv/mode"`
    RecvMode,
    /// `"aliauth"`
    AliAuth,
}

impl QmtSettingName {
    /// The name as written in the command.
    ///
    /// ```
    /// use atmodem::dialects::quectel::QmtSettingName;
    /// assert_eq!(QmtSettingName::RecvMode.as_str(), "recv/mode");
    /// assert_eq!(QmtSettingName::AliAuth.as_str(), "aliauth");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Version => "version",
            Self::PdpCid => "pdpcid",
            Self::Ssl => "ssl",
            Self::KeepAlive => "keepalive",
            Self::CleanSession => "session",
            Self::Timeout => "timeout",
            Self::Will => "will",
            Self::RecvMode => "recv/mode",
            Self::AliAuth => "aliauth",
        }
    }
}

impl QmtSetting<'_> {
    /// Which setting this is.
    ///
    /// ```
    /// use atmodem::dialects::quectel::{QmtSetting, QmtSettingName};
    /// let s = QmtSetting::parse(b"+QMTCFG: \"will\",0").unwrap();
    /// assert_eq!(s.name(), QmtSettingName::Will);
    /// ```
    pub const fn name(&self) -> QmtSettingName {
        match self {
            Self::Version(_) => QmtSettingName::Version,
            Self::PdpCid(_) => QmtSettingName::PdpCid,
            Self::Ssl { .. } => QmtSettingName::Ssl,
            Self::KeepAlive(_) => QmtSettingName::KeepAlive,
            Self::CleanSession(_) => QmtSettingName::CleanSession,
            Self::Timeout { .. } => QmtSettingName::Timeout,
            Self::Will(_) => QmtSettingName::Will,
            Self::RecvMode { .. } => QmtSettingName::RecvMode,
            Self::AliAuth { .. } => QmtSettingName::AliAuth,
        }
    }

    fn write_values(&self, w: &mut CommandWriter<'_>) {
        match *self {
            Self::Version(v) => {
                w.uint(v.code());
            }
            Self::PdpCid(cid) => {
                w.uint(cid.into());
            }
            Self::Ssl { enable, ctx } => {
                w.uint(enable.into()).opt_uint(ctx.map(u64::from));
            }
            Self::KeepAlive(secs) => {
                w.uint(secs.into());
            }
            Self::CleanSession(clean) => {
                w.uint(clean.into());
            }
            Self::Timeout {
                packet_secs,
                retries,
                notice,
            } => {
                w.uint(packet_secs.into())
                    .uint(retries.into())
                    .uint(notice.into());
            }
            Self::Will(None) => {
                w.uint(0);
            }
            Self::Will(Some(will)) => {
                w.uint(1)
                    .uint(will.qos.into())
                    .uint(will.retain.into())
                    .string("will_topic", will.topic)
                    .string("will_msg", will.message);
            }
            Self::RecvMode {
                buffered,
                with_length,
            } => {
                w.uint(buffered.into()).uint(with_length.into());
            }
            Self::AliAuth {
                product_key,
                device_name,
                device_secret,
            } => {
                w.string("product_key", product_key)
                    .string("device_name", device_name)
                    .string("device_secret", device_secret.expose());
            }
        }
    }
}

impl<'a> QmtSetting<'a> {
    /// Parse a `+QMTCFG: "<name>",<values>` query response; `None` for an unknown name or
    /// values of another shape.
    ///
    /// ```
    /// use atmodem::dialects::quectel::QmtSetting;
    /// assert_eq!(QmtSetting::parse(b"+QMTCFG: \"will\",0"), Some(QmtSetting::Will(None)));
    /// let Some(QmtSetting::AliAuth { device_secret, .. }) = QmtSetting::parse(b"+QMTCFG: \"aliauth\",,,") else {
    ///     panic!("not aliauth")
    /// };
    /// assert!(device_secret.is_empty());
    /// ```
    pub fn parse(line: &'a [u8]) -> Option<Self> {
        let (values, (_, name)) = (header(b"+QMTCFG"), quoted_str).parse(line).ok()?;
        let flag = |i| dec_u8.map(|v: u8| v != 0).parse(i);
        match name {
            "version" => full(values, (comma, dec_u8).map(|(_, v)| v)).and_then(|v| match v {
                3 => Some(Self::Version(MqttVersion::V3_1)),
                4 => Some(Self::Version(MqttVersion::V3_1_1)),
                _ => None,
            }),
            "pdpcid" => full(values, (comma, dec_u8).map(|(_, v)| Self::PdpCid(v))),
            "ssl" => full(
                values,
                (comma, flag, opt((comma, dec_u8))).map(|(_, enable, ctx)| Self::Ssl {
                    enable,
                    ctx: ctx.map(|(_, c)| c),
                }),
            ),
            "keepalive" => full(values, (comma, dec_u16).map(|(_, v)| Self::KeepAlive(v))),
            "session" => full(values, (comma, flag).map(|(_, v)| Self::CleanSession(v))),
            "timeout" => full(
                values,
                (comma, dec_u8, comma, dec_u8, comma, flag).map(|(_, p, _, r, _, n)| {
                    Self::Timeout {
                        packet_secs: p,
                        retries: r,
                        notice: n,
                    }
                }),
            ),
            "will" => full(
                values,
                (
                    comma,
                    flag,
                    opt((
                        comma, dec_u8, comma, flag, comma, quoted_str, comma, quoted_str,
                    )),
                )
                    .map(|(_, on, rest)| {
                        Self::Will(rest.filter(|_| on).map(
                            |(_, qos, _, retain, _, topic, _, message)| Will {
                                qos,
                                retain,
                                topic,
                                message,
                            },
                        ))
                    }),
            ),
            "recv/mode" => full(
                values,
                (comma, flag, opt((comma, flag))).map(|(_, buffered, len)| Self::RecvMode {
                    buffered,
                    with_length: len.is_some_and(|(_, l)| l),
                }),
            ),
            "aliauth" => full(
                values,
                (
                    comma,
                    quoted_or_empty,
                    comma,
                    quoted_or_empty,
                    comma,
                    quoted_or_empty,
                )
                    .map(|(_, pk, _, dn, _, ds)| Self::AliAuth {
                        product_key: pk,
                        device_name: dn,
                        device_secret: Redacted::new(ds),
                    }),
            ),
            _ => None,
        }
    }
}

/// `AT+QMTCFG="<name>",<idx>,<values>`: configure MQTT client `client`.
///
/// ```
/// use atmodem::dialects::Command;
/// use atmodem::dialects::quectel::{MqttVersion, QmtCfg, QmtSetting};
/// let mut buf = [0u8; 64];
/// let cmd = QmtCfg { client: 0, setting: QmtSetting::Version(MqttVersion::V3_1_1) };
/// assert_eq!(cmd.encode(&mut buf).unwrap(), b"AT+QMTCFG=\"version\",0,4\r");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct QmtCfg<'a> {
    /// Client index.
    pub client: u8,
    /// The setting and its values.
    pub setting: QmtSetting<'a>,
}

impl Command for QmtCfg<'_> {
    no_response!();
    const NAME: &'static str = "+QMTCFG";

    fn encode<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], EncodeError> {
        let mut w = CommandWriter::new(buf, Self::NAME);
        w.string("name", self.setting.name().as_str())
            .uint(self.client.into());
        self.setting.write_values(&mut w);
        w.finish()
    }

    fn timeout_ms(&self) -> u32 {
        CFG_TIMEOUT_MS
    }
}

/// `AT+QMTCFG="<name>",<idx>`: read a setting of client `client`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct QmtCfgQuery {
    /// Client index.
    pub client: u8,
    /// Which setting.
    pub name: QmtSettingName,
}

impl Command for QmtCfgQuery {
    type Response<'a> = QmtSetting<'a>;
    const NAME: &'static str = "+QMTCFG";

    fn encode<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], EncodeError> {
        let mut w = CommandWriter::new(buf, Self::NAME);
        w.string("name", self.name.as_str())
            .uint(self.client.into());
        w.finish()
    }

    fn expect(&self) -> Expect {
        Expect::tokens(&[b"+QMTCFG"])
    }

    fn timeout_ms(&self) -> u32 {
        CFG_TIMEOUT_MS
    }

    fn parse<'a>(&self, lines: Lines<'a>) -> Result<QmtSetting<'a>, ParseError> {
        one_line::<Self, _>(lines, |l| {
            QmtSetting::parse(l).filter(|s| s.name() == self.name)
        })
    }
}

/// `AT+QMTOPEN=<idx>,"<host>",<port>`: open the network link to a broker; the result is
/// `+QMTOPEN: <idx>,<result>` within 75 s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct QmtOpen<'a> {
    /// Client index.
    pub client: u8,
    /// Broker host name.
    pub host: &'a str,
    /// Broker port.
    pub port: u16,
}

/// `CloseMatch`: the URC that says client `client` closed while waiting.
fn closed(urc: &QuectelUrc<'_>, client: u8) -> Option<ActionError> {
    match urc {
        QuectelUrc::QmtStat { client: c, err } if *c == client => Some(ActionError::Closed(*err)),
        _ => None,
    }
}

fn result_code(command: &'static str, code: i8) -> Result<(), ActionError> {
    if code == 0 {
        Ok(())
    } else {
        Err(ActionError::Failed {
            command,
            code: code.into(),
        })
    }
}

macro_rules! accepted_only {
    () => {
        type Response<'a> = ();

        fn timeout_ms(&self) -> u32 {
            ACCEPT_TIMEOUT_MS
        }

        fn parse<'a>(&self, _lines: Lines<'a>) -> Result<(), ParseError> {
            Ok(())
        }
    };
}

impl Command for QmtOpen<'_> {
    accepted_only!();
    const NAME: &'static str = "+QMTOPEN";

    fn encode<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], EncodeError> {
        let mut w = CommandWriter::new(buf, Self::NAME);
        w.uint(self.client.into())
            .string("host", self.host)
            .uint(self.port.into());
        w.finish()
    }
}

impl Deferred<Quectel> for QmtOpen<'_> {
    type Output = ();

    fn result_timeout_ms(&self) -> u32 {
        OPEN_TIMEOUT_MS
    }

    fn result(&self, seen: &Seen<'_, QuectelUrc<'_>>) -> Option<Result<(), ActionError>> {
        match seen {
            Seen::Urc(QuectelUrc::QmtOpen { client, result }) if *client == self.client => {
                Some(result_code(Self::NAME, *result))
            }
            _ => None,
        }
    }
}

/// `AT+QMTOPEN?`: the open links.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct QmtOpenRead;

/// One `+QMTOPEN: <idx>,"<host>",<port>` line of [`QmtOpenRead`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct OpenLink<'a> {
    /// Client index.
    pub client: u8,
    /// Broker host.
    pub host: &'a str,
    /// Broker port.
    pub port: u16,
}

impl<'a> OpenLink<'a> {
    fn parse(line: &'a [u8]) -> Option<Self> {
        full(
            line,
            (
                header(b"+QMTOPEN"),
                dec_u8,
                comma,
                quoted_str,
                comma,
                dec_u16,
            )
                .map(|(_, client, _, host, _, port)| Self { client, host, port }),
        )
    }
}

/// The lines of [`QmtOpenRead`].
#[derive(Debug, Clone, Copy)]
pub struct OpenLinks<'a>(Lines<'a>);

impl<'a> OpenLinks<'a> {
    /// The open links.
    ///
    /// ```
    /// use atmodem::codec::Lines;
    /// use atmodem::dialects::Command;
    /// use atmodem::dialects::quectel::QmtOpenRead;
    /// let lines: [&[u8]; 1] = [b"+QMTOPEN: 0,\"iot-06z00hxss3rggno.mqtt.iothub.aliyuncs.com\",1883"];
    /// let links = QmtOpenRead.parse(Lines::from_slice(&lines)).unwrap();
    /// let l = links.iter().next().unwrap();
    /// assert_eq!((l.client, l.host, l.port), (0, "iot-06z00hxss3rggno.mqtt.iothub.aliyuncs.com", 1883));
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = OpenLink<'a>> + 'a {
        self.0.iter().filter_map(OpenLink::parse)
    }
}

impl Command for QmtOpenRead {
    type Response<'a> = OpenLinks<'a>;
    const NAME: &'static str = "+QMTOPEN";

    fn encode<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], EncodeError> {
        let mut w = CommandWriter::new(buf, Self::NAME);
        w.read();
        w.finish()
    }

    fn expect(&self) -> Expect {
        Expect::tokens(&[b"+QMTOPEN"])
    }

    fn timeout_ms(&self) -> u32 {
        CFG_TIMEOUT_MS
    }

    fn parse<'a>(&self, lines: Lines<'a>) -> Result<OpenLinks<'a>, ParseError> {
        all_lines::<Self, _>(lines, OpenLink::parse).map(OpenLinks)
    }
}

macro_rules! index_action {
    ($(#[$doc:meta])* $name:ident, $at:literal, $variant:ident, $timeout:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[cfg_attr(feature = "defmt", derive(defmt::Format))]
        pub struct $name {
            /// Client index.
            pub client: u8,
        }

        impl Command for $name {
            accepted_only!();
            const NAME: &'static str = $at;

            fn encode<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], EncodeError> {
                let mut w = CommandWriter::new(buf, Self::NAME);
                w.uint(self.client.into());
                w.finish()
            }
        }

        impl Deferred<Quectel> for $name {
            type Output = ();

            fn result_timeout_ms(&self) -> u32 {
                $timeout
            }

            fn result(&self, seen: &Seen<'_, QuectelUrc<'_>>) -> Option<Result<(), ActionError>> {
                match seen {
                    Seen::Urc(QuectelUrc::$variant { client, result })
                        if *client == self.client =>
                    {
                        Some(result_code(Self::NAME, *result))
                    }
                    _ => None,
                }
            }
        }
    };
}

index_action!(
    /// `AT+QMTCLOSE=<idx>`: close the network link; `+QMTCLOSE: <idx>,<result>` within 30 s.
    QmtClose,
    "+QMTCLOSE",
    QmtClose,
    CLOSE_TIMEOUT_MS
);
index_action!(
    /// `AT+QMTDISC=<idx>`: send DISCONNECT; `+QMTDISC: <idx>,<result>` within 30 s.
    QmtDisc,
    "+QMTDISC",
    QmtDisc,
    CLOSE_TIMEOUT_MS
);

/// `AT+QMTCONN=<idx>,"<clientid>"[,"<username>","<password>"]`: connect to the broker; the
/// result is `+QMTCONN: <idx>,<result>[,<ret_code>]`. With `aliauth` configured only the
/// client id is given.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct QmtConn<'a> {
    /// Client index.
    pub client: u8,
    /// MQTT client id.
    pub client_id: &'a str,
    /// User name and password (never printed by `Debug`).
    pub login: Option<(&'a str, &'a str)>,
}

impl core::fmt::Debug for QmtConn<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("QmtConn")
            .field("client", &self.client)
            .field("client_id", &self.client_id)
            .field("login", &self.login.map(|(u, p)| (u, Redacted::new(p))))
            .finish()
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for QmtConn<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(
            f,
            "QmtConn {{ client: {}, client_id: {} }}",
            self.client,
            self.client_id
        )
    }
}

impl Command for QmtConn<'_> {
    accepted_only!();
    const NAME: &'static str = "+QMTCONN";

    fn encode<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], EncodeError> {
        let mut w = CommandWriter::new(buf, Self::NAME);
        w.uint(self.client.into())
            .string("client_id", self.client_id);
        if let Some((user, pass)) = self.login {
            w.string("username", user).string("password", pass);
        }
        w.finish()
    }
}

impl Deferred<Quectel> for QmtConn<'_> {
    type Output = ();

    fn result_timeout_ms(&self) -> u32 {
        CONN_TIMEOUT_MS
    }

    fn result(&self, seen: &Seen<'_, QuectelUrc<'_>>) -> Option<Result<(), ActionError>> {
        let Seen::Urc(urc) = seen else { return None };
        if let Some(e) = closed(urc, self.client) {
            return Some(Err(e));
        }
        match urc {
            QuectelUrc::QmtConn {
                client,
                result,
                ret_code,
            } if *client == self.client => match (result, ret_code) {
                // A retransmission report: the final result follows.
                (1, _) => None,
                (0, None | Some(0)) => Some(Ok(())),
                (0, Some(code)) => Some(Err(ActionError::Refused(*code))),
                (r, _) => Some(Err(ActionError::Failed {
                    command: Self::NAME,
                    code: i32::from(*r),
                })),
            },
            _ => None,
        }
    }
}

/// `AT+QMTCONN?`: the connection state of each client (`+QMTCONN: <idx>,<state>`:
/// 1 initializing, 2 connecting, 3 connected, 4 disconnecting).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct QmtConnRead;

/// The lines of [`QmtConnRead`].
#[derive(Debug, Clone, Copy)]
pub struct ConnStates<'a>(Lines<'a>);

fn conn_state(line: &[u8]) -> Option<(u8, u8)> {
    full(
        line,
        (header(b"+QMTCONN"), dec_u8, comma, dec_u8).map(|(_, c, _, s)| (c, s)),
    )
}

impl ConnStates<'_> {
    /// `(client, state)` pairs.
    ///
    /// ```
    /// use atmodem::codec::Lines;
    /// use atmodem::dialects::Command;
    /// use atmodem::dialects::quectel::QmtConnRead;
    /// let states = QmtConnRead.parse(Lines::from_slice(&[b"+QMTCONN: 0,3"])).unwrap();
    /// assert_eq!(states.iter().collect::<Vec<_>>(), [(0, 3)]);
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = (u8, u8)> + '_ {
        self.0.iter().filter_map(conn_state)
    }

    /// The state of `client` (3 = connected), if reported.
    ///
    /// ```
    /// use atmodem::codec::Lines;
    /// use atmodem::dialects::Command;
    /// use atmodem::dialects::quectel::QmtConnRead;
    /// let states = QmtConnRead.parse(Lines::from_slice(&[b"+QMTCONN: 0,3"])).unwrap();
    /// assert_eq!(states.state(0), Some(3));
    /// assert_eq!(states.state(1), None);
    /// ```
    pub fn state(&self, client: u8) -> Option<u8> {
        self.iter().find(|(c, _)| *c == client).map(|(_, s)| s)
    }
}

impl Command for QmtConnRead {
    type Response<'a> = ConnStates<'a>;
    const NAME: &'static str = "+QMTCONN";

    fn encode<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], EncodeError> {
        let mut w = CommandWriter::new(buf, Self::NAME);
        w.read();
        w.finish()
    }

    fn expect(&self) -> Expect {
        Expect::tokens(&[b"+QMTCONN"])
    }

    fn timeout_ms(&self) -> u32 {
        CFG_TIMEOUT_MS
    }

    fn parse<'a>(&self, lines: Lines<'a>) -> Result<ConnStates<'a>, ParseError> {
        all_lines::<Self, _>(lines, conn_state).map(ConnStates)
    }
}

/// The granted QoS levels of a `+QMTSUB` (one per topic, in order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Granted {
    qos: [u8; MAX_TOPICS],
    len: u8,
}

/// Most topics in one `AT+QMTSUB` / `AT+QMTUNS` this crate writes.
pub const MAX_TOPICS: usize = 8;

impl Granted {
    /// The granted QoS per topic, in the order the topics were sent.
    ///
    /// ```
    /// use atmodem::codec::Seen;
    /// use atmodem::dialects::Deferred;
    /// use atmodem::dialects::quectel::{QmtSub, QuectelUrc};
    /// let sub = QmtSub { client: 0, msg_id: 2, topics: &[("a", 0), ("b", 1)] };
    /// let urc = QuectelUrc::parse(b"+QMTSUB", b"+QMTSUB: 0,2,0,0,1").unwrap();
    /// let granted = sub.result(&Seen::Urc(&urc)).unwrap().unwrap();
    /// assert_eq!(granted.as_slice(), [0, 1]);
    /// ```
    pub fn as_slice(&self) -> &[u8] {
        self.qos.get(..usize::from(self.len)).unwrap_or_default()
    }
}

/// `AT+QMTSUB=<idx>,<msgid>,"<topic>",<qos>[,...]`: subscribe; `+QMTSUB:
/// <idx>,<msgid>,<result>[,<granted>...]` within 15 s. A granted QoS of 128 (rejected) is an
/// error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct QmtSub<'a> {
    /// Client index.
    pub client: u8,
    /// Packet id, 1..=65535.
    pub msg_id: u16,
    /// `(topic filter, QoS)` pairs, at most [`MAX_TOPICS`].
    pub topics: &'a [(&'a str, u8)],
}

fn packet_result(
    command: &'static str,
    ack: &super::urc::MqttAck<'_>,
) -> Option<Result<(), ActionError>> {
    match ack.result {
        0 => Some(Ok(())),
        1 => None,
        r => Some(Err(ActionError::Failed {
            command,
            code: i32::from(r),
        })),
    }
}

impl Command for QmtSub<'_> {
    accepted_only!();
    const NAME: &'static str = "+QMTSUB";

    fn encode<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], EncodeError> {
        let mut w = CommandWriter::new(buf, Self::NAME);
        w.uint(self.client.into()).uint(self.msg_id.into());
        if self.topics.is_empty() || self.topics.len() > MAX_TOPICS {
            return Err(EncodeError::InvalidArgument("topics"));
        }
        for (topic, qos) in self.topics {
            w.string("topic", topic).uint((*qos).into());
        }
        w.finish()
    }
}

impl Deferred<Quectel> for QmtSub<'_> {
    type Output = Granted;

    fn result_timeout_ms(&self) -> u32 {
        PACKET_TIMEOUT_MS
    }

    fn result(&self, seen: &Seen<'_, QuectelUrc<'_>>) -> Option<Result<Granted, ActionError>> {
        let Seen::Urc(urc) = seen else { return None };
        if let Some(e) = closed(urc, self.client) {
            return Some(Err(e));
        }
        let QuectelUrc::QmtSub(ack) = urc else {
            return None;
        };
        if ack.client != self.client || ack.msg_id != self.msg_id {
            return None;
        }
        Some(packet_result(Self::NAME, ack)?.and_then(|()| {
            let mut g = Granted::default();
            for v in ack.values() {
                if v >= 128 {
                    return Err(ActionError::Failed {
                        command: Self::NAME,
                        code: i32::from(v),
                    });
                }
                if let (Some(slot), Ok(q)) = (g.qos.get_mut(usize::from(g.len)), u8::try_from(v)) {
                    *slot = q;
                    g.len = g.len.saturating_add(1);
                }
            }
            Ok(g)
        }))
    }
}

/// `AT+QMTUNS=<idx>,<msgid>,"<topic>"[,...]`: unsubscribe; `+QMTUNS: <idx>,<msgid>,<result>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct QmtUns<'a> {
    /// Client index.
    pub client: u8,
    /// Packet id, 1..=65535.
    pub msg_id: u16,
    /// Topic filters, at most [`MAX_TOPICS`].
    pub topics: &'a [&'a str],
}

impl Command for QmtUns<'_> {
    accepted_only!();
    const NAME: &'static str = "+QMTUNS";

    fn encode<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], EncodeError> {
        let mut w = CommandWriter::new(buf, Self::NAME);
        w.uint(self.client.into()).uint(self.msg_id.into());
        if self.topics.is_empty() || self.topics.len() > MAX_TOPICS {
            return Err(EncodeError::InvalidArgument("topics"));
        }
        for topic in self.topics {
            w.string("topic", topic);
        }
        w.finish()
    }
}

impl Deferred<Quectel> for QmtUns<'_> {
    type Output = ();

    fn result_timeout_ms(&self) -> u32 {
        PACKET_TIMEOUT_MS
    }

    fn result(&self, seen: &Seen<'_, QuectelUrc<'_>>) -> Option<Result<(), ActionError>> {
        let Seen::Urc(urc) = seen else { return None };
        if let Some(e) = closed(urc, self.client) {
            return Some(Err(e));
        }
        match urc {
            QuectelUrc::QmtUns(ack) if ack.client == self.client && ack.msg_id == self.msg_id => {
                packet_result(Self::NAME, ack)
            }
            _ => None,
        }
    }
}

/// Ctrl-Z: ends the data of a prompt.
const CTRL_Z: u8 = 0x1a;
/// ESC: cancels the data of a prompt.
const ESC: u8 = 0x1b;

/// How a publish command carries its payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum PublishForm {
    /// `AT+QMTPUBEX=...,"<topic>",<length>`, `>`, exactly `<length>` bytes: binary-safe
    /// (EC2x / EC600, the form of the Quectel note).
    Length,
    /// `AT+QMTPUBEX=...,"<topic>","<msg>"`: the message inline (BG95 / BG96); text only,
    /// no quotes or control bytes.
    Inline,
    /// `AT+QMTPUB=...,"<topic>"`, `>`, the payload ended by Ctrl-Z (0x1A): every family;
    /// the payload must not contain 0x1A (it would end the data) or ESC, 0x1B (it cancels
    /// the data): either is [`EncodeError::ForbiddenByte`] naming `payload` and the byte.
    CtrlZ,
    /// `AT+QMTPUB=...,"<topic>",<length>`, `>`, exactly `<length>` bytes (newer firmware).
    PubLength,
}

/// Publish a message: `AT+QMTPUBEX` or `AT+QMTPUB` in one of the [`PublishForm`]s. The
/// result is `+QMTPUBEX: <idx>,<msgid>,<result>[,<value>]` (or `+QMTPUB: ...`) within 15 s:
/// for QoS 1/2 only once the broker acknowledged it. `Debug` and `defmt` show the payload's
/// length only.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct QmtPublish<'a> {
    /// Client index.
    pub client: u8,
    /// Packet id: 0 for QoS 0, 1..=65535 otherwise.
    pub msg_id: u16,
    /// QoS 0..=2.
    pub qos: u8,
    /// Retain flag.
    pub retain: bool,
    /// Topic name.
    pub topic: &'a str,
    /// The payload.
    pub payload: &'a [u8],
    /// How the payload is carried.
    pub form: PublishForm,
}

impl core::fmt::Debug for QmtPublish<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("QmtPublish")
            .field("client", &self.client)
            .field("msg_id", &self.msg_id)
            .field("qos", &self.qos)
            .field("retain", &self.retain)
            .field("topic", &self.topic)
            .field("payload", &Hidden::of(self.payload))
            .field("form", &self.form)
            .finish()
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for QmtPublish<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(
            f,
            "QmtPublish {{ client: {}, msg_id: {}, qos: {}, topic: {=str}, payload: {}, form: {} }}",
            self.client,
            self.msg_id,
            self.qos,
            self.topic,
            Hidden::of(self.payload),
            self.form
        )
    }
}

impl Command for QmtPublish<'_> {
    no_response!();
    const NAME: &'static str = "+QMTPUBEX";

    /// `+QMTPUBEX` for the length and inline forms, `+QMTPUB` for the Ctrl-Z and the
    /// `AT+QMTPUB` length forms.
    fn name(&self) -> &'static str {
        match self.form {
            PublishForm::Length | PublishForm::Inline => "+QMTPUBEX",
            PublishForm::CtrlZ | PublishForm::PubLength => "+QMTPUB",
        }
    }

    fn encode<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], EncodeError> {
        let mut w = CommandWriter::new(buf, self.name());
        w.uint(self.client.into())
            .uint(self.msg_id.into())
            .uint(self.qos.into())
            .uint(self.retain.into())
            .string("topic", self.topic);
        match self.form {
            PublishForm::Length | PublishForm::PubLength => {
                w.uint(self.payload.len() as u64);
            }
            PublishForm::Inline => {
                let text = core::str::from_utf8(self.payload)
                    .map_err(|_| EncodeError::InvalidArgument("payload"))?;
                w.string("payload", text);
            }
            PublishForm::CtrlZ => {
                // 0x1A would end the data early, ESC cancels it.
                if let Some(&byte) = self.payload.iter().find(|&&b| b == CTRL_Z || b == ESC) {
                    return Err(EncodeError::ForbiddenByte {
                        arg: "payload",
                        byte,
                    });
                }
            }
        }
        w.finish()
    }

    fn timeout_ms(&self) -> u32 {
        PACKET_TIMEOUT_MS
    }

    fn data(&self) -> Option<(PromptKind, &[u8])> {
        match self.form {
            PublishForm::Inline => None,
            _ => Some((PromptKind::Angle, self.payload)),
        }
    }

    fn data_end(&self) -> &'static [u8] {
        match self.form {
            PublishForm::CtrlZ => b"\x1a",
            _ => b"",
        }
    }
}

impl Deferred<Quectel> for QmtPublish<'_> {
    type Output = ();

    fn result_timeout_ms(&self) -> u32 {
        PACKET_TIMEOUT_MS
    }

    fn result(&self, seen: &Seen<'_, QuectelUrc<'_>>) -> Option<Result<(), ActionError>> {
        let Seen::Urc(urc) = seen else { return None };
        if let Some(e) = closed(urc, self.client) {
            return Some(Err(e));
        }
        // BG9x firmware reports an inline `AT+QMTPUBEX` as `+QMTPUB:`; accept either.
        match urc {
            QuectelUrc::QmtPubEx(ack) | QuectelUrc::QmtPub(ack)
                if ack.client == self.client && ack.msg_id == self.msg_id =>
            {
                packet_result(self.name(), ack)
            }
            _ => None,
        }
    }
}

/// `AT+QMTRECV=<idx>[,<recv_id>]`: read buffered messages (`recv/mode` 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct QmtRecvFetch {
    /// Client index.
    pub client: u8,
    /// One buffer (0..=4), or all when `None`.
    pub recv_id: Option<u8>,
}

/// The messages [`QmtRecvFetch`] printed. `Debug` shows how many, never their payloads.
#[derive(Clone, Copy)]
pub struct StoredMessages<'a>(Lines<'a>);

impl core::fmt::Debug for StoredMessages<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("StoredMessages")
            .field("messages", &self.0.iter().count())
            .finish()
    }
}

fn stored_message(line: &[u8]) -> Option<MqttMessage<'_>> {
    match QuectelUrc::parse(b"+QMTRECV", line)? {
        QuectelUrc::QmtRecv(QmtRecv::Message { message, .. }) => Some(message),
        _ => None,
    }
}

/// `+QMTRECV: <idx>,<recv_id>`: client and buffer of a notice.
fn stored_notice(line: &[u8]) -> Option<(u8, u8)> {
    match QuectelUrc::parse(b"+QMTRECV", line)? {
        QuectelUrc::QmtRecv(QmtRecv::Stored { client, recv_id }) => Some((client, recv_id)),
        _ => None,
    }
}

impl<'a> StoredMessages<'a> {
    /// The messages, in order; notices and other lines are skipped.
    ///
    /// ```
    /// use atmodem::codec::Lines;
    /// use atmodem::dialects::Command;
    /// use atmodem::dialects::quectel::QmtRecvFetch;
    /// let read = QmtRecvFetch { client: 0, recv_id: None };
    /// let got = read.parse(Lines::from_slice(&[b"+QMTRECV: 0,7,\"t\",2,\"hi\""])).unwrap();
    /// let m = got.iter().next().unwrap();
    /// assert_eq!((m.topic, m.payload), ("t", &b"hi"[..]));
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = MqttMessage<'a>> + 'a {
        self.0.iter().filter_map(stored_message)
    }

    /// Notices of newly buffered messages (`(client, recv_id)`) that the module printed
    /// while the read ran: those buffers are still to be read.
    ///
    /// ```
    /// use atmodem::codec::Lines;
    /// use atmodem::dialects::Command;
    /// use atmodem::dialects::quectel::QmtRecvFetch;
    /// let read = QmtRecvFetch { client: 0, recv_id: Some(3) };
    /// let lines = Lines::from_slice(&[b"+QMTRECV: 0,2", b"+QMTRECV: 0,7,\"t\",2,\"hi\""]);
    /// let got = read.parse(lines).unwrap();
    /// assert_eq!(got.notices().collect::<Vec<_>>(), [(0, 2)]);
    /// assert_eq!(got.iter().next().unwrap().payload, b"hi");
    /// ```
    pub fn notices(&self) -> impl Iterator<Item = (u8, u8)> + 'a {
        self.0.iter().filter_map(stored_notice)
    }
}

impl Command for QmtRecvFetch {
    type Response<'a> = StoredMessages<'a>;
    const NAME: &'static str = "+QMTRECV";

    fn encode<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], EncodeError> {
        let mut w = CommandWriter::new(buf, Self::NAME);
        w.uint(self.client.into())
            .opt_uint(self.recv_id.map(u64::from));
        w.finish()
    }

    fn expect(&self) -> Expect {
        Expect::tokens(&[b"+QMTRECV"])
    }

    fn timeout_ms(&self) -> u32 {
        CFG_TIMEOUT_MS
    }

    fn parse<'a>(&self, lines: Lines<'a>) -> Result<StoredMessages<'a>, ParseError> {
        // A notice of a new buffered message (`+QMTRECV: <idx>,<recv_id>`) may arrive while
        // the read runs, with the same token: it is kept among the lines, not a message.
        all_lines::<Self, _>(lines, |l| {
            stored_message(l)
                .map(|_| ())
                .or_else(|| stored_notice(l).map(|_| ()))
        })
        .map(StoredMessages)
    }
}

/// `AT+QMTRECV?`: which of the 5 receive buffers hold a message.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct QmtRecvRead;

/// `+QMTRECV: <idx>,<s0>,<s1>,<s2>,<s3>,<s4>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct BufferStatus {
    /// Client index.
    pub client: u8,
    /// `true` where buffer `n` holds a message.
    pub full: [bool; 5],
}

impl Command for QmtRecvRead {
    type Response<'a> = BufferStatus;
    const NAME: &'static str = "+QMTRECV";

    fn encode<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], EncodeError> {
        let mut w = CommandWriter::new(buf, Self::NAME);
        w.read();
        w.finish()
    }

    fn expect(&self) -> Expect {
        Expect::tokens(&[b"+QMTRECV"])
    }

    fn timeout_ms(&self) -> u32 {
        CFG_TIMEOUT_MS
    }

    fn parse<'a>(&self, lines: Lines<'a>) -> Result<BufferStatus, ParseError> {
        let flag = |i| dec_u8.map(|v: u8| v != 0).parse(i);
        one_line::<Self, _>(lines, |l| {
            full(
                l,
                (
                    header(b"+QMTRECV"),
                    dec_u8,
                    comma,
                    flag,
                    comma,
                    flag,
                    comma,
                    flag,
                    comma,
                    flag,
                    comma,
                    flag,
                )
                    .map(|(_, client, _, a, _, b, _, c, _, d, _, e)| {
                        BufferStatus {
                            client,
                            full: [a, b, c, d, e],
                        }
                    }),
            )
        })
    }
}
