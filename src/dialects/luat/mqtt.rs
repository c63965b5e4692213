//! Luat MQTT: `AT+MCONFIG`, `AT+MIPSTART` / `AT+SSLMIPSTART`, `AT+MCONNECT`, `AT+MSUB`,
//! `AT+MPUB`, `AT+MPUBEX`, `AT+MQTTMSGSET`, `AT+MQTTMSGGET`, `AT+MQTTSTATU`, ...
//!
//! Source: Luat Cat.1 AT manual, MQTT chapter, and its MQTT guide. One MQTT connection only
//! (no client index). Every `OK` only means "accepted"; the real result is the following
//! bare-word URC (`CONNECT OK`, `CONNACK OK`, `SUBACK`, `PUBACK`, ...), or a bare `ERROR`
//! after `AT+MCONNECT`'s `OK`. The manual gives no response times; the budgets below are the
//! MQTT guide's recommendations (TCP + TLS 60 s, CONNACK 30 s, acks 30 s).

use nom::Parser;
use nom::character::complete::u8 as dec_u8;

use super::urc::{LuatUrc, MsubUrc};
use super::{Luat, MAX_MQTT_TEXT, UNQUOTABLE};
use crate::codec::fields::{full, header};
use crate::codec::{CommandWriter, EncodeError, Expect, FinalCode, Lines, PromptKind, Seen};
use crate::dialects::{
    ActionError, Command, Deferred, Hidden, MqttMessage, ParseError, Redacted, all_lines,
    execute_command, no_response, one_line,
};

/// Time for the `OK` of a command whose result comes later.
pub const ACCEPT_TIMEOUT_MS: u32 = 5_000;
/// `AT+MIPSTART` / `AT+SSLMIPSTART` → `CONNECT OK` (DNS + TCP + TLS).
pub const CONNECT_TIMEOUT_MS: u32 = 60_000;
/// `AT+MCONNECT` → `CONNACK OK`.
pub const CONNACK_TIMEOUT_MS: u32 = 30_000;
/// `SUBACK` / `UNSUBACK` / `PUBACK` / `PUBCOMP`.
pub const ACK_TIMEOUT_MS: u32 = 30_000;
/// Longest `AT+MPUB` / `AT+MPUBEX` payload.
pub const MAX_PAYLOAD: usize = 4100;

/// `AT+MCONFIG=<clientid>[,<username>,<password>]`: the MQTT identity (each ≤ 256 bytes,
/// [`MAX_MQTT_TEXT`]; longer is [`EncodeError::TooLong`], a `\` is
/// [`EncodeError::ForbiddenByte`], both naming the argument).
/// The Luat note: `AT+MCONFIG="862991419835241","<iotId>","<iotToken>"`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Mconfig<'a> {
    /// MQTT client id.
    pub client_id: &'a str,
    /// User name and password (never printed by `Debug`).
    pub login: Option<(&'a str, &'a str)>,
}

impl core::fmt::Debug for Mconfig<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Mconfig")
            .field("client_id", &self.client_id)
            .field("login", &self.login.map(|(u, p)| (u, Redacted::new(p))))
            .finish()
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for Mconfig<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "Mconfig {{ client_id: {} }}", self.client_id)
    }
}

impl Command for Mconfig<'_> {
    no_response!();
    const NAME: &'static str = "+MCONFIG";

    fn encode<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], EncodeError> {
        let mut w = CommandWriter::new(buf, Self::NAME);
        w.string_with("client_id", self.client_id, MAX_MQTT_TEXT, UNQUOTABLE);
        if let Some((user, pass)) = self.login {
            w.string_with("username", user, MAX_MQTT_TEXT, UNQUOTABLE)
                .string_with("password", pass, MAX_MQTT_TEXT, UNQUOTABLE);
        }
        w.finish()
    }

    fn timeout_ms(&self) -> u32 {
        1_000
    }
}

/// `AT+MIPSTART=<host>,<port>` (TCP) or `AT+SSLMIPSTART=<host>,<port>` (TLS without
/// certificate checks): open the link. The result is `CONNECT OK`, `ALREADY CONNECT` or
/// `CONNECT FAIL`. Send [`Mconnect`] at once after `CONNECT OK`, or the broker drops the link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct MipStart<'a> {
    /// Broker host.
    pub host: &'a str,
    /// Broker port.
    pub port: u16,
    /// TLS (`AT+SSLMIPSTART`).
    pub tls: bool,
}

impl Command for MipStart<'_> {
    no_response!();
    const NAME: &'static str = "+MIPSTART";

    fn encode<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], EncodeError> {
        let name = if self.tls { "+SSLMIPSTART" } else { Self::NAME };
        let mut w = CommandWriter::new(buf, name);
        w.string_with("host", self.host, usize::MAX, UNQUOTABLE)
            .uint(self.port.into());
        w.finish()
    }

    fn timeout_ms(&self) -> u32 {
        ACCEPT_TIMEOUT_MS
    }
}

impl Deferred<Luat> for MipStart<'_> {
    type Output = ();

    fn result_timeout_ms(&self) -> u32 {
        CONNECT_TIMEOUT_MS
    }

    fn result(&self, seen: &Seen<'_, LuatUrc<'_>>) -> Option<Result<(), ActionError>> {
        match seen {
            Seen::Urc(LuatUrc::ConnectOk | LuatUrc::AlreadyConnect) => Some(Ok(())),
            Seen::Urc(LuatUrc::ConnectFail) => Some(Err(ActionError::Failed {
                command: if self.tls { "+SSLMIPSTART" } else { Self::NAME },
                code: -1,
            })),
            _ => None,
        }
    }
}

/// `AT+MCONNECT=<clean_session>,<keepalive>`: MQTT CONNECT; `CONNACK OK`, or a bare
/// `ERROR` URC when the broker refuses (the Luat firmware gives no return code).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Mconnect {
    /// Clean session.
    pub clean_session: bool,
    /// Keep-alive, 1..=65535 s (Aliyun accepts 30..=1200).
    pub keepalive_secs: u16,
}

impl Command for Mconnect {
    no_response!();
    const NAME: &'static str = "+MCONNECT";

    fn encode<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], EncodeError> {
        let mut w = CommandWriter::new(buf, Self::NAME);
        w.uint(self.clean_session.into())
            .uint(self.keepalive_secs.into());
        w.finish()
    }

    fn timeout_ms(&self) -> u32 {
        ACCEPT_TIMEOUT_MS
    }
}

fn link_closed(seen: &Seen<'_, LuatUrc<'_>>) -> bool {
    matches!(seen, Seen::Urc(LuatUrc::Closed))
}

impl Deferred<Luat> for Mconnect {
    type Output = ();

    fn result_timeout_ms(&self) -> u32 {
        CONNACK_TIMEOUT_MS
    }

    fn result(&self, seen: &Seen<'_, LuatUrc<'_>>) -> Option<Result<(), ActionError>> {
        match seen {
            Seen::Urc(LuatUrc::ConnackOk) => Some(Ok(())),
            Seen::Unsolicited(FinalCode::Error) => Some(Err(ActionError::Failed {
                command: Self::NAME,
                code: -1,
            })),
            s if link_closed(s) => Some(Err(ActionError::Closed(0))),
            _ => None,
        }
    }
}

/// Wait for one bare-word acknowledgement (or the link dropping).
fn ack(
    seen: &Seen<'_, LuatUrc<'_>>,
    want: fn(&LuatUrc<'_>) -> bool,
) -> Option<Result<(), ActionError>> {
    match seen {
        Seen::Urc(u) if want(u) => Some(Ok(())),
        s if link_closed(s) => Some(Err(ActionError::Closed(0))),
        _ => None,
    }
}

/// `AT+MSUB=<topic>,<qos>`: subscribe (topic ≤ 256 bytes, [`MAX_MQTT_TEXT`]; a topic with
/// a `\` is refused, see [the module](super#quoted-arguments)); `SUBACK`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Msub<'a> {
    /// Topic filter.
    pub topic: &'a str,
    /// QoS 0..=2.
    pub qos: u8,
}

impl Command for Msub<'_> {
    no_response!();
    const NAME: &'static str = "+MSUB";

    fn encode<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], EncodeError> {
        let mut w = CommandWriter::new(buf, Self::NAME);
        w.string_with("topic", self.topic, MAX_MQTT_TEXT, UNQUOTABLE)
            .uint(self.qos.into());
        w.finish()
    }

    fn timeout_ms(&self) -> u32 {
        ACCEPT_TIMEOUT_MS
    }
}

impl Deferred<Luat> for Msub<'_> {
    type Output = ();

    fn result_timeout_ms(&self) -> u32 {
        ACK_TIMEOUT_MS
    }

    fn result(&self, seen: &Seen<'_, LuatUrc<'_>>) -> Option<Result<(), ActionError>> {
        ack(seen, |u| matches!(u, LuatUrc::Suback))
    }
}

/// `AT+MUNSUB=<topic>`: unsubscribe; `UNSUBACK`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Munsubscribe<'a> {
    /// Topic filter.
    pub topic: &'a str,
}

impl Command for Munsubscribe<'_> {
    no_response!();
    const NAME: &'static str = "+MUNSUB";

    fn encode<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], EncodeError> {
        let mut w = CommandWriter::new(buf, Self::NAME);
        w.string_with("topic", self.topic, MAX_MQTT_TEXT, UNQUOTABLE);
        w.finish()
    }

    fn timeout_ms(&self) -> u32 {
        ACCEPT_TIMEOUT_MS
    }
}

impl Deferred<Luat> for Munsubscribe<'_> {
    type Output = ();

    fn result_timeout_ms(&self) -> u32 {
        ACK_TIMEOUT_MS
    }

    fn result(&self, seen: &Seen<'_, LuatUrc<'_>>) -> Option<Result<(), ActionError>> {
        ack(seen, |u| matches!(u, LuatUrc::Unsuback))
    }
}

fn publish_result(qos: u8, seen: &Seen<'_, LuatUrc<'_>>) -> Option<Result<(), ActionError>> {
    match qos {
        0 => Some(Ok(())),
        1 => ack(seen, |u| matches!(u, LuatUrc::Puback)),
        // QoS 2: PUBREC comes first, PUBCOMP ends it.
        _ => ack(seen, |u| matches!(u, LuatUrc::Pubcomp)),
    }
}

/// `AT+MPUB=<topic>,<qos>,<retain>,"<message>"`: publish a text message (≤ 4100 bytes).
/// `"`, CR, LF, `\` and other control bytes in the message are written as `\22`, `\0D`,
/// `\0A`, `\5C`, `\XX`, the manual's escapes; a longer message is
/// [`EncodeError::TooLong`]. The topic is not escaped: one holding a `\` is refused. QoS 1 ends with `PUBACK`, QoS 2 with
/// `PUBCOMP`; wait for it before the next QoS 1 publish. `Debug` and `defmt` show the
/// message's length only.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Mpub<'a> {
    /// Topic name.
    pub topic: &'a str,
    /// QoS 0..=2.
    pub qos: u8,
    /// Retain flag.
    pub retain: bool,
    /// The message.
    pub message: &'a [u8],
}

/// `Debug` and `defmt` of a publish: everything but the payload, which shows as its length.
macro_rules! publish_debug {
    ($name:ident, $payload:ident) => {
        impl core::fmt::Debug for $name<'_> {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.debug_struct(stringify!($name))
                    .field("topic", &self.topic)
                    .field("qos", &self.qos)
                    .field("retain", &self.retain)
                    .field(stringify!($payload), &Hidden::of(self.$payload))
                    .finish()
            }
        }

        #[cfg(feature = "defmt")]
        impl defmt::Format for $name<'_> {
            fn format(&self, f: defmt::Formatter<'_>) {
                defmt::write!(
                    f,
                    "{=str} {{ topic: {=str}, qos: {}, retain: {}, {=str}: {} }}",
                    stringify!($name),
                    self.topic,
                    self.qos,
                    self.retain,
                    stringify!($payload),
                    Hidden::of(self.$payload)
                )
            }
        }
    };
}

publish_debug!(Mpub, message);
publish_debug!(MpubEx, payload);

impl Command for Mpub<'_> {
    no_response!();
    const NAME: &'static str = "+MPUB";

    fn encode<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], EncodeError> {
        if self.message.len() > MAX_PAYLOAD {
            return Err(EncodeError::TooLong {
                arg: "message",
                max: MAX_PAYLOAD,
            });
        }
        let mut w = CommandWriter::new(buf, Self::NAME);
        w.string_with("topic", self.topic, MAX_MQTT_TEXT, UNQUOTABLE)
            .uint(self.qos.into())
            .uint(self.retain.into())
            .escaped(self.message);
        w.finish()
    }

    fn timeout_ms(&self) -> u32 {
        ACCEPT_TIMEOUT_MS
    }
}

/// The result of a publish: none to wait for at QoS 0, `PUBACK` at QoS 1, `PUBCOMP` at 2.
macro_rules! publish_deferred {
    ($name:ident) => {
        impl Deferred<Luat> for $name<'_> {
            type Output = ();

            fn result_timeout_ms(&self) -> u32 {
                ACK_TIMEOUT_MS
            }

            fn immediate(&self) -> Option<()> {
                (self.qos == 0).then_some(())
            }

            fn result(&self, seen: &Seen<'_, LuatUrc<'_>>) -> Option<Result<(), ActionError>> {
                publish_result(self.qos, seen)
            }
        }
    };
}

publish_deferred!(Mpub);

/// `AT+MPUBEX=<topic>,<qos>,<retain>,<len>`, `>`, exactly `<len>` bytes (1..=4100): the
/// binary-safe publish. `Debug` and `defmt` show the payload's length only.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct MpubEx<'a> {
    /// Topic name.
    pub topic: &'a str,
    /// QoS 0..=2.
    pub qos: u8,
    /// Retain flag.
    pub retain: bool,
    /// The payload.
    pub payload: &'a [u8],
}

impl Command for MpubEx<'_> {
    no_response!();
    const NAME: &'static str = "+MPUBEX";

    fn encode<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], EncodeError> {
        if self.payload.is_empty() {
            return Err(EncodeError::InvalidArgument("payload"));
        }
        if self.payload.len() > MAX_PAYLOAD {
            return Err(EncodeError::TooLong {
                arg: "payload",
                max: MAX_PAYLOAD,
            });
        }
        let mut w = CommandWriter::new(buf, Self::NAME);
        w.string_with("topic", self.topic, MAX_MQTT_TEXT, UNQUOTABLE)
            .uint(self.qos.into())
            .uint(self.retain.into())
            .uint(self.payload.len() as u64);
        w.finish()
    }

    fn timeout_ms(&self) -> u32 {
        // The prompt comes at once; the module's own end-of-data timer is 5 s.
        10_000
    }

    fn data(&self) -> Option<(PromptKind, &[u8])> {
        Some((PromptKind::Angle, self.payload))
    }
}

publish_deferred!(MpubEx);

/// `AT+MQTTMSGSET=<mode>`: how received messages are reported: `false` push each as
/// `+MSUB: <topic>,<len> byte,<message>`; `true` cache them (4 slots, oldest overwritten)
/// and push `+MSUB: <slot>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct MqttMsgSet {
    /// Cache mode.
    pub cache: bool,
}

impl Command for MqttMsgSet {
    no_response!();
    const NAME: &'static str = "+MQTTMSGSET";

    fn encode<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], EncodeError> {
        let mut w = CommandWriter::new(buf, Self::NAME);
        w.uint(self.cache.into());
        w.finish()
    }

    fn timeout_ms(&self) -> u32 {
        1_000
    }
}

/// `AT+MQTTMSGSET?`: the report mode, `+MQTTMSGSET:<mode>`; `true` = cache mode.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct MqttMsgSetRead;

impl Command for MqttMsgSetRead {
    type Response<'a> = bool;
    const NAME: &'static str = "+MQTTMSGSET";

    fn encode<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], EncodeError> {
        let mut w = CommandWriter::new(buf, Self::NAME);
        w.read();
        w.finish()
    }

    fn expect(&self) -> Expect {
        Expect::tokens(&[b"+MQTTMSGSET"])
    }

    fn timeout_ms(&self) -> u32 {
        1_000
    }

    fn parse<'a>(&self, lines: Lines<'a>) -> Result<bool, ParseError> {
        one_line::<Self, _>(lines, |l| {
            full(l, (header(b"+MQTTMSGSET"), dec_u8).map(|(_, m)| m))
                .and_then(|m| (m <= 1).then_some(m == 1))
        })
    }
}

/// `AT+MQTTMSGGET`: print the cached messages, up to 4 `+MSUB:` lines.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct MqttMsgGet;

/// The messages of [`MqttMsgGet`]. `Debug` shows how many, never their payloads.
#[derive(Clone, Copy)]
pub struct CachedMessages<'a>(Lines<'a>);

impl core::fmt::Debug for CachedMessages<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CachedMessages")
            .field("messages", &self.0.iter().count())
            .finish()
    }
}

fn cached(line: &[u8]) -> Option<MqttMessage<'_>> {
    match LuatUrc::parse(b"+MSUB", line)? {
        LuatUrc::Msub(MsubUrc::Message(m)) => Some(m),
        _ => None,
    }
}

impl<'a> CachedMessages<'a> {
    /// The messages, in order; a line that is not a `+MSUB` message is skipped.
    ///
    /// ```
    /// use atmodem::codec::Lines;
    /// use atmodem::dialects::Command;
    /// use atmodem::dialects::luat::MqttMsgGet;
    /// let lines: [&[u8]; 2] = [b"+MSUB: mqtt/topic,9 byte,SSSSddddd", b"+MSUB: \"a/b\",2 byte,hi"];
    /// let cached = MqttMsgGet.parse(Lines::from_slice(&lines)).unwrap();
    /// let topics: Vec<_> = cached.iter().map(|m| m.topic).collect();
    /// assert_eq!(topics, ["mqtt/topic", "a/b"]);
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = MqttMessage<'a>> + 'a {
        self.0.iter().filter_map(cached)
    }
}

impl Command for MqttMsgGet {
    type Response<'a> = CachedMessages<'a>;
    const NAME: &'static str = "+MQTTMSGGET";

    fn encode<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], EncodeError> {
        CommandWriter::new(buf, Self::NAME).finish()
    }

    fn expect(&self) -> Expect {
        Expect::tokens(&[b"+MSUB"])
    }

    fn timeout_ms(&self) -> u32 {
        5_000
    }

    fn parse<'a>(&self, lines: Lines<'a>) -> Result<CachedMessages<'a>, ParseError> {
        all_lines::<Self, _>(lines, cached).map(CachedMessages)
    }
}

/// `AT+MQTTMSGGET?`: which cache slots hold a message (`+MQTTMSGGET: 0,VALID` ...
/// `+MQTTMSGGET: 3,INVALID`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct MqttMsgGetRead;

impl Command for MqttMsgGetRead {
    type Response<'a> = [bool; 4];
    const NAME: &'static str = "+MQTTMSGGET";

    fn encode<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], EncodeError> {
        let mut w = CommandWriter::new(buf, Self::NAME);
        w.read();
        w.finish()
    }

    fn expect(&self) -> Expect {
        Expect::tokens(&[b"+MQTTMSGGET"])
    }

    fn timeout_ms(&self) -> u32 {
        1_000
    }

    fn parse<'a>(&self, lines: Lines<'a>) -> Result<[bool; 4], ParseError> {
        let mut slots = [false; 4];
        for line in lines {
            let (slot, valid) = full(
                line,
                (
                    header(b"+MQTTMSGGET"),
                    dec_u8,
                    crate::codec::fields::comma,
                    crate::codec::fields::rest_str,
                )
                    .map(|(_, s, _, v)| (s, v)),
            )
            .ok_or(ParseError::of::<Self>())?;
            let flag = match valid {
                "VALID" => true,
                "INVALID" => false,
                _ => return Err(ParseError::of::<Self>()),
            };
            *slots
                .get_mut(usize::from(slot))
                .ok_or(ParseError::of::<Self>())? = flag;
        }
        Ok(slots)
    }
}

/// `AT+MQTTSTATU`: `+MQTTSTATU :<state>` (the space before the colon is the firmware's):
/// 0 offline, 1 connected, 2 TCP up but not MQTT-connected.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct MqttStatu;

impl Command for MqttStatu {
    type Response<'a> = u8;
    const NAME: &'static str = "+MQTTSTATU";

    fn encode<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], EncodeError> {
        CommandWriter::new(buf, Self::NAME).finish()
    }

    fn expect(&self) -> Expect {
        Expect::tokens(&[b"+MQTTSTATU"])
    }

    fn timeout_ms(&self) -> u32 {
        1_000
    }

    fn parse<'a>(&self, lines: Lines<'a>) -> Result<u8, ParseError> {
        one_line::<Self, _>(lines, |l| {
            full(l, (header(b"+MQTTSTATU"), dec_u8).map(|(_, s)| s))
        })
    }
}

execute_command!(
    /// `AT+MDISCONNECT`: MQTT DISCONNECT (send before `AT+MIPCLOSE`).
    Mdisconnect,
    "+MDISCONNECT",
    ACCEPT_TIMEOUT_MS
);
execute_command!(
    /// `AT+MIPCLOSE`: close the TCP link. Answers `+CME ERROR: 767` when it is already
    /// closed; callers tearing down can ignore the result.
    MipClose,
    "+MIPCLOSE",
    ACCEPT_TIMEOUT_MS
);
