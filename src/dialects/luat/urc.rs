//! Luat URCs (the Luat Cat.1 AT manual and its MQTT / HTTP guides) and the payload rules of
//! `+MSUB` and `+HTTPREAD`.

use crate::codec::RawLine;
use nom::{Parser, bytes::complete::take_till};

use crate::codec::fields::{Cursor, Res, find_byte, header, rfind_byte, trim};
use crate::codec::{Framing, Urc};
use crate::dialects::MqttMessage;

/// A Luat URC, borrowing from the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum LuatUrc<'a> {
    /// A 3GPP URC (`+CEREG`, `+CPIN`, `+CGEV`, `RDY`, ...).
    Common(Urc<'a>),
    /// `+SAPBR <cid>: DEACT`: the bearer was deactivated (the cid sits before the colon).
    SapbrDeact {
        /// Bearer id.
        cid: u8,
    },
    /// `+PDP DEACT` (also `+PDP: DEACT`): the data connection was lost.
    PdpDeact,
    /// `+HTTPACTION: <method>,<status>,<datalen>` (also written without the space). Status
    /// is an HTTP code or a module code: 600 not an HTTP PDU, 601 network error, 602 no
    /// memory, 603 DNS error, 604 stack busy, 605 SSL setup failed, 606 SSL alert.
    HttpAction {
        /// 0 GET, 1 POST, 2 HEAD.
        method: u8,
        /// HTTP status or module code.
        status: u16,
        /// Body length as announced here; the length of `+HTTPREAD` is the one to trust.
        len: usize,
    },
    /// `ERROR: <code>`: an HTTP failure (0 unknown session, 1 file too short, 2 DNS failed,
    /// 3 busy, 4 socket, 5 connect failed, 6 file error, 7 closed, 8 destroyed, 9 header not
    /// found, 10 auth scheme, 11 PDP activation, 12 parameter, 13 no buffer, 14 PDP
    /// deactivation).
    HttpError(u16),
    /// `CONNECT OK`: the TCP/TLS link of `AT+MIPSTART` / `AT+SSLMIPSTART` is up.
    ConnectOk,
    /// `ALREADY CONNECT`: it already was.
    AlreadyConnect,
    /// `CONNECT FAIL`.
    ConnectFail,
    /// `STATE: <state>` (reported before `CONNECT FAIL`).
    State(&'a str),
    /// `CONNACK OK`: the MQTT CONNECT of `AT+MCONNECT` was accepted.
    ConnackOk,
    /// `SUBACK`.
    Suback,
    /// `UNSUBACK`.
    Unsuback,
    /// `PUBACK` (QoS 1 publish acknowledged).
    Puback,
    /// `PUBREC` (QoS 2, first step).
    Pubrec,
    /// `PUBCOMP` (QoS 2 complete).
    Pubcomp,
    /// `CLOSED`: the TCP link dropped; start again from `AT+MCONFIG` / `AT+MIPSTART`.
    Closed,
    /// `+MSUB: ...`: a received message or a cache notice.
    Msub(MsubUrc<'a>),
    /// `+MQTTSTATU :<state>`: 0 offline, 1 connected, 2 TCP up but not MQTT-connected.
    MqttStatu(u8),
    /// `+E_UTRAN Service`, `+GSM Service`: the radio access technology in use.
    Service(&'a str),
    /// `^MODE: <sys_mode>,<sys_submode>`.
    Mode {
        /// System mode (17 = LTE).
        sys_mode: u8,
        /// Sub-mode.
        sub_mode: u8,
    },
    /// `+NITZ: <time text>` (network time; the text as sent, trailing `, ` included).
    Nitz(&'a str),
    /// A Luat token whose fields did not parse. Kept, never dropped.
    Malformed {
        /// The line's token.
        token: &'a [u8],
        /// The whole line (shown by length only).
        line: RawLine<'a>,
    },
}

/// `+MSUB` shapes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum MsubUrc<'a> {
    /// `+MSUB: "<topic>",<len> byte,<payload>`: the payload is raw, exactly `len` bytes.
    Message(MqttMessage<'a>),
    /// `+MSUB: <slot>`: cache mode (`AT+MQTTMSGSET=1`); read it with `AT+MQTTMSGGET`.
    Stored {
        /// Cache slot 0..=3.
        slot: u8,
    },
}

/// The head of a `+MSUB` message: topic (quoted or not), then `,<len> byte,`. Returns the
/// topic's bytes, the length and the bytes from the payload on. The topic is checked as text
/// only when the message is parsed: the framing rule needs its length field, not its text.
fn msub_head(line: &[u8]) -> Option<(&[u8], usize, &[u8])> {
    let body = Cursor::header(line, b"+MSUB")?.rest();
    // The length field is the first `,<digits> byte,` after the topic; the topic itself
    // (quoted by the push, unquoted in `AT+MQTTMSGGET`) cannot contain that.
    let marker = find_byte_marker(body)?;
    let before = body.get(..marker)?;
    let comma_at = rfind_byte(b',', before)?;
    let topic_raw = trim(before.get(..comma_at)?);
    let topic_raw = topic_raw
        .strip_prefix(b"\"")
        .and_then(|t| t.strip_suffix(b"\""))
        .unwrap_or(topic_raw);
    let mut digits = Cursor::new(trim(before.get(comma_at.saturating_add(1)..)?));
    let len = digits.len()?;
    digits.end()?;
    let payload = body.get(marker.saturating_add(BYTE_MARKER.len())..)?;
    Some((topic_raw, len, payload))
}

const BYTE_MARKER: &[u8] = b" byte,";

/// The first ` byte,` in `body`. Found from its space: a topic and a JSON payload have few
/// spaces, and no searcher has to be built for each line.
fn find_byte_marker(body: &[u8]) -> Option<usize> {
    let mut from = 0usize;
    loop {
        let at = from.saturating_add(find_byte(b' ', body.get(from..)?)?);
        if body.get(at..)?.starts_with(BYTE_MARKER) {
            return Some(at);
        }
        from = at.saturating_add(1);
    }
}

fn msub(line: &[u8]) -> Option<MsubUrc<'_>> {
    if let Some((topic, len, rest)) = msub_head(line) {
        let topic = crate::codec::fields::text_field(topic)?;
        let (payload, tail) = rest.split_at_checked(len)?;
        return trim(tail)
            .is_empty()
            .then_some(MsubUrc::Message(MqttMessage { topic, payload }));
    }
    Cursor::header_u8(line, b"+MSUB").map(|slot| MsubUrc::Stored { slot })
}

fn http_action(line: &[u8]) -> Option<LuatUrc<'_>> {
    let mut c = Cursor::header(line, b"+HTTPACTION")?;
    let method = c.u8()?;
    c.comma()?;
    let status = c.u16()?;
    c.comma()?;
    let len = c.len()?;
    c.end()?;
    Some(LuatUrc::HttpAction {
        method,
        status,
        len,
    })
}

fn sapbr_deact(line: &[u8]) -> Option<LuatUrc<'_>> {
    let body = line.strip_prefix(b"+SAPBR ")?;
    let mut c = Cursor::new(body);
    let cid = c.u8()?;
    c.spaces();
    c.byte(b':')?;
    c.spaces();
    let c = Cursor::new(c.rest().strip_prefix(b"DEACT")?);
    c.end()?;
    Some(LuatUrc::SapbrDeact { cid })
}

fn mode(line: &[u8]) -> Option<LuatUrc<'_>> {
    let mut c = Cursor::header(line, b"^MODE")?;
    let sys_mode = c.u8()?;
    c.comma()?;
    let sub_mode = c.u8()?;
    c.end()?;
    Some(LuatUrc::Mode { sys_mode, sub_mode })
}

/// The tokens of [`LuatUrc`], most frequent first; the constants below index it.
const TOKENS: [&[u8]; 23] = [
    b"+MSUB",
    b"PUBACK",
    b"SUBACK",
    b"UNSUBACK",
    b"PUBREC",
    b"PUBCOMP",
    b"CONNACK OK",
    b"CONNECT OK",
    b"ALREADY CONNECT",
    b"CONNECT FAIL",
    b"CLOSED",
    b"STATE",
    b"+HTTPACTION",
    b"ERROR",
    b"+SAPBR",
    b"+PDP DEACT",
    b"+MQTTSTATU",
    b"+E_UTRAN Service",
    b"+GSM Service",
    b"+UTRAN Service",
    b"^MODE",
    b"+NITZ",
    b"+PDP",
];
const MSUB: usize = 0;
const PUBACK: usize = 1;
const SUBACK: usize = 2;
const UNSUBACK: usize = 3;
const PUBREC: usize = 4;
const PUBCOMP: usize = 5;
const CONNACK_OK: usize = 6;
const CONNECT_OK: usize = 7;
const ALREADY_CONNECT: usize = 8;
const CONNECT_FAIL: usize = 9;
const CLOSED: usize = 10;
const STATE: usize = 11;
const HTTPACTION: usize = 12;
const ERROR: usize = 13;
const SAPBR: usize = 14;
const PDP_DEACT: usize = 15;
const MQTTSTATU: usize = 16;
const E_UTRAN_SERVICE: usize = 17;
const GSM_SERVICE: usize = 18;
const UTRAN_SERVICE: usize = 19;
const MODE: usize = 20;
const NITZ: usize = 21;
/// `+PDP: DEACT`, the SIMCom spelling some firmware uses beside `+PDP DEACT`.
const PDP_COLON: usize = 22;

impl<'a> LuatUrc<'a> {
    /// Classify a line by its whole token; `None` for tokens this dialect does not know. A
    /// known token on a line that does not parse is [`LuatUrc::Malformed`].
    ///
    /// ```
    /// use atmodem::dialects::luat::{LuatUrc, MsubUrc};
    /// assert_eq!(LuatUrc::parse(b"+MSUB", b"+MSUB: 2"), Some(LuatUrc::Msub(MsubUrc::Stored { slot: 2 })));
    /// assert_eq!(LuatUrc::parse(b"+SAPBR", b"+SAPBR 1: DEACT"), Some(LuatUrc::SapbrDeact { cid: 1 }));
    /// assert_eq!(LuatUrc::parse(b"+NOSUCH", b"+NOSUCH: 1"), None);
    /// ```
    pub fn parse(token: &'a [u8], line: &'a [u8]) -> Option<Self> {
        #[cfg(all(test, feature = "std"))]
        crate::parse_count::bump();
        // One look-up in a table (most frequent first) rather than a chain of inlined
        // comparisons: as fast, and a fraction of the code.
        let Some(k) = TOKENS.iter().position(|t| *t == token) else {
            return Urc::parse(token, line).map(Self::Common);
        };
        // The parsers check the header against `token`, which is usually the line's own head.
        let tok = token;
        let parsed = match k {
            MSUB => msub(line).map(Self::Msub),
            PUBACK => Some(Self::Puback),
            SUBACK => Some(Self::Suback),
            UNSUBACK => Some(Self::Unsuback),
            PUBREC => Some(Self::Pubrec),
            PUBCOMP => Some(Self::Pubcomp),
            CONNACK_OK => Some(Self::ConnackOk),
            CONNECT_OK => Some(Self::ConnectOk),
            ALREADY_CONNECT => Some(Self::AlreadyConnect),
            CONNECT_FAIL => Some(Self::ConnectFail),
            CLOSED => Some(Self::Closed),
            STATE => Cursor::header_text(line, tok)
                .filter(|s| !s.is_empty())
                .map(Self::State),
            HTTPACTION => http_action(line),
            ERROR => Cursor::header_u16(line, tok).map(Self::HttpError),
            SAPBR => sapbr_deact(line),
            PDP_DEACT => Some(Self::PdpDeact),
            PDP_COLON => (Cursor::header_text(line, tok).map(str::trim) == Some("DEACT"))
                .then_some(Self::PdpDeact),
            MQTTSTATU => Cursor::header_u8(line, tok).map(Self::MqttStatu),
            E_UTRAN_SERVICE | GSM_SERVICE | UTRAN_SERVICE => {
                core::str::from_utf8(line).ok().map(Self::Service)
            }
            MODE => mode(line),
            NITZ => {
                let text = Cursor::header(line, tok)?.rest();
                core::str::from_utf8(text).ok().map(Self::Nitz)
            }
            _ => None,
        };
        Some(parsed.unwrap_or(Self::Malformed {
            token,
            line: RawLine(line),
        }))
    }

    /// The MQTT message this URC carries, if it is one (`+MSUB` with a payload).
    ///
    /// ```
    /// use atmodem::dialects::luat::LuatUrc;
    /// let line = b"+MSUB: \"/a1mxL3s6Z7m/866714043075174/user/get\",11 byte,Hello World";
    /// let m = LuatUrc::parse(b"+MSUB", line).unwrap().message().unwrap();
    /// assert_eq!((m.topic, m.payload), ("/a1mxL3s6Z7m/866714043075174/user/get", &b"Hello World"[..]));
    /// assert_eq!(LuatUrc::parse(b"+MSUB", b"+MSUB: 2").unwrap().message(), None);
    /// ```
    pub fn message(&self) -> Option<MqttMessage<'a>> {
        match self {
            Self::Msub(MsubUrc::Message(m)) => Some(*m),
            _ => None,
        }
    }
}

/// `+HTTPREAD: <len>` or `+HTTPHEAD: <len>` (also without the space): the length of the
/// data after the line.
fn http_data_len(head: &[u8], name: &[u8]) -> Option<usize> {
    let mut c = Cursor::header(head, name)?;
    let len = c.len()?;
    c.end()?;
    Some(len)
}

/// The payload rules: `+MSUB: "<topic>",<len> byte,` announces `<len>` raw payload bytes in
/// the line; `+HTTPREAD: <len>` and `+HTTPHEAD: <len>` announce `<len>` bytes of data after
/// it.
#[inline]
pub(crate) fn framing(head: &[u8]) -> Framing {
    // Cheap rejection first, inline: this runs once per line.
    if head.first() != Some(&b'+') {
        return Framing::Line;
    }
    payload_framing(head)
}

/// [`framing`] of a line that starts with `+`.
fn payload_framing(head: &[u8]) -> Framing {
    match head.get(..6) {
        Some(b"+MSUB:") => match msub_head(head) {
            // The manual's limit for a message (`MAX_PAYLOAD`, 4100 bytes).
            Some((_, len, _)) if len > super::MAX_PAYLOAD => Framing::Refused,
            Some((_, len, payload)) => Framing::Inline {
                header: head.len().saturating_sub(payload.len()),
                len,
            },
            None => Framing::Line,
        },
        Some(b"+HTTPR") => match http_data_len(head, b"+HTTPREAD") {
            Some(len) => Framing::Following { len },
            None => Framing::Line,
        },
        // The response header block of `AT+HTTPHEAD`, framed like a body.
        Some(b"+HTTPH") => match http_data_len(head, b"+HTTPHEAD") {
            Some(len) => Framing::Following { len },
            None => Framing::Line,
        },
        _ => Framing::Line,
    }
}

/// A field up to the next comma, as text.
pub(crate) fn bare(i: &[u8]) -> Res<'_, &str> {
    nom::combinator::map_res(take_till(|b| b == b','), |f: &[u8]| {
        core::str::from_utf8(trim(f))
    })
    .parse(i)
}

/// `header` allowing the space Luat firmware writes after `+` (`+ HTTPSSL: 1`).
pub(crate) fn spaced_header<'a>(tok: &'static [u8], line: &'a [u8]) -> Option<&'a [u8]> {
    let plain = tok.strip_prefix(b"+").unwrap_or(tok);
    let line = line
        .strip_prefix(b"+ ")
        .or_else(|| line.strip_prefix(b"+"))
        .unwrap_or(line);
    header(plain).parse(line).ok().map(|(rest, ())| rest)
}
