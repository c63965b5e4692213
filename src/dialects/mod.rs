//! Module families: typed commands and URCs, one module per family plus the 3GPP commands
//! they share.
//!
//! - [`common`]: 3GPP TS 27.007 / ITU-T V.250 commands every family answers (`AT`, `ATE0`,
//!   `AT+CGMR`, `AT+CPIN?`, `AT+CSQ`, `AT+CGATT?`, `AT+CEREG?`, `AT+CGPADDR`, ...).
//! - [`identity`]: identity and status queries of both families (`AT+CGSN`, `AT+CIMI`,
//!   `AT+QCCID`/`AT+CCID`, `AT+COPS?`, `AT+QCSQ`, `AT+CPIN=<pin>`, `AT+CCLK?`, `AT+QLTS`).
//! - [`quectel`]: Quectel EC2x / EC600 / BG9x (`AT+QICSGP`, `AT+QIACT`, `AT+QMT*`,
//!   `AT+QHTTP*`) and the [`Quectel`](quectel::Quectel) dialect with its URCs.
//! - [`luat`]: Luat Air72x (`AT+SAPBR`, `AT+HTTP*`, `AT+M*`) and the [`Luat`](luat::Luat)
//!   dialect with its URCs.
//!
//! Every command is a type implementing [`Command`]: it knows its name, writes its own line,
//! says what its information response looks like, parses it into a typed value that borrows
//! from the response lines, and carries its default timeout (taken from the vendor manual;
//! each type documents its source). Commands whose real result arrives later as a URC
//! (`AT+QMTOPEN` → `+QMTOPEN: 0,0`, `AT+MCONNECT` → `CONNACK OK`) also implement
//! [`Deferred`] for their dialect: it picks that result out of the URCs, with its own timeout.
//!
//! A new family (SIMCom, u-blox, ...) is one more module: its own URC enum, a
//! [`Dialect`](crate::codec::Dialect) implementation, and its command types. Nothing here
//! needs to change.

pub mod common;
pub mod identity;
pub mod luat;
pub mod quectel;

use crate::codec::{EncodeError, Expect, Lines, PromptKind, Seen};

/// A typed AT command.
///
/// ```
/// use atmodem::codec::Lines;
/// use atmodem::dialects::{Command, common::Csq};
///
/// let mut buf = [0u8; 16];
/// assert_eq!(Csq.encode(&mut buf).unwrap(), b"AT+CSQ\r");
/// let q = Csq.parse(Lines::from_slice(&[b"+CSQ: 20,99"])).unwrap();
/// assert_eq!((q.rssi, q.ber), (20, 99));
/// ```
pub trait Command {
    /// The typed information response, borrowing from the response lines.
    type Response<'a>;

    /// The command's name as the manual writes it after `AT` (`+CSQ`, `+QMTOPEN`, `E0`).
    const NAME: &'static str;

    /// The command this value sends: [`NAME`](Self::NAME), unless the value picks one of
    /// several forms (Quectel `QmtPublish` sends `+QMTPUBEX` or `+QMTPUB`).
    fn name(&self) -> &'static str {
        Self::NAME
    }

    /// Write the command line (`AT...\r`) into `buf`.
    fn encode<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], EncodeError>;

    /// What the command's information lines look like (their tokens).
    fn expect(&self) -> Expect {
        Expect::NOTHING
    }

    /// How long to wait for the final result code, in milliseconds.
    fn timeout_ms(&self) -> u32;

    /// Data to send once a prompt appears (`>` + payload, `CONNECT` + body, `DOWNLOAD` + body).
    fn data(&self) -> Option<(PromptKind, &[u8])> {
        None
    }

    /// Bytes sent right after [`data`](Self::data) to end it (Ctrl-Z for `AT+QMTPUB`).
    fn data_end(&self) -> &'static [u8] {
        b""
    }

    /// Exact number of bytes the modem sends after its `CONNECT` (Quectel `AT+QHTTPREAD`).
    fn receive(&self) -> Option<usize> {
        None
    }

    /// Exact number of bytes the modem sends right after the command, with no prompt or
    /// header line announcing them (Luat `AT+FSREAD`: the line end that opens the answer,
    /// then the file's bytes, then `OK`). They go to the sink of
    /// [`Client::send_into`](crate::client::Client::send_into). Only for a module whose echo
    /// is off: the bytes are counted from the first one after the command line is written.
    ///
    /// ```
    /// use atmodem::dialects::Command;
    /// use atmodem::dialects::common::Csq;
    /// assert_eq!(Csq.receive_at_once(), None);
    /// ```
    fn receive_at_once(&self) -> Option<usize> {
        None
    }

    /// Whether an HTTP response header block, ended by an empty line, comes after the
    /// `CONNECT` and before the [`receive`](Self::receive) bytes (Quectel `AT+QHTTPREAD`
    /// after `AT+QHTTPCFG="responseheader",1`). Both go to the same sink.
    fn receive_header(&self) -> bool {
        false
    }

    /// Turn the information lines into the typed response.
    fn parse<'a>(&self, lines: Lines<'a>) -> Result<Self::Response<'a>, ParseError>;
}

/// A command whose real result arrives later as a URC of dialect `D`.
pub trait Deferred<D: crate::codec::Dialect>: Command {
    /// The value a successful result carries.
    type Output;

    /// How long to wait for the result after the command's `OK`, in milliseconds.
    fn result_timeout_ms(&self) -> u32;

    /// The result when none is awaited (a QoS 0 Luat publish is done at its `OK`).
    fn immediate(&self) -> Option<Self::Output> {
        None
    }

    /// The result, if `seen` is it. URCs that make the result impossible (the MQTT link
    /// closing while waiting for `+QMTCONN`, Luat `CLOSED`) end the wait with an error too.
    fn result(&self, seen: &Seen<'_, D::Urc<'_>>) -> Option<Result<Self::Output, ActionError>>;
}

/// A response that does not have the shape its command documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[error("unexpected response to AT{command}")]
pub struct ParseError {
    /// The command whose response did not parse.
    pub command: &'static str,
}

impl ParseError {
    /// A parse error for command `C`, naming its [`Command::NAME`].
    ///
    /// ```
    /// use atmodem::dialects::ParseError;
    /// use atmodem::dialects::luat::SapbrQuery;
    /// let e = ParseError::of::<SapbrQuery>();
    /// assert_eq!(e.command, "+SAPBR");
    /// assert_eq!(e.to_string(), "unexpected response to AT+SAPBR");
    /// ```
    pub const fn of<C: Command>() -> Self {
        Self { command: C::NAME }
    }
}

/// Why an action that reports its result later failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ActionError {
    /// The module reported a failure code for the action (`+QMTOPEN: 0,3` = failed to
    /// activate PDP; `+QMTSUB: 0,1,2` = failed to send; `CONNECT FAIL` = -1).
    #[error("AT{command} failed with code {code}")]
    Failed {
        /// The command that failed.
        command: &'static str,
        /// Its result code, as the manual numbers it.
        code: i32,
    },
    /// The MQTT broker refused the connection; the CONNACK return code (1 unacceptable
    /// protocol version, 2 identifier rejected, 3 server unavailable, 4 bad user name or
    /// password, 5 not authorized).
    #[error("MQTT connection refused (CONNACK {0})")]
    Refused(u8),
    /// The link closed while the result was awaited (`+QMTSTAT: <idx>,<err>` with its error
    /// code, Luat `CLOSED` as 0).
    #[error("link closed (code {0})")]
    Closed(u8),
    /// An HTTP(S) failure reported by the module: Quectel `<err>` 701-730, Luat
    /// `+HTTPACTION` module codes 600-606 or `ERROR: <n>` codes.
    #[error("HTTP failure {0}")]
    Http(u16),
    /// A ranged GET ([`Http::http_get_range`](crate::client::Http::http_get_range)) was
    /// answered with a status other than `206 Partial Content` (`200`: the server ignored
    /// the range and sent the whole file), or with another number of bytes than asked. The
    /// bytes are never handed out as the range.
    #[error("ranged GET answered {status} with {len} bytes")]
    Range {
        /// The HTTP status.
        status: u16,
        /// The length the module announced or delivered.
        len: usize,
    },
}

impl ActionError {
    /// Whether the broker refused the credentials (CONNACK 4 or 5): retrying with the same
    /// credentials will not help.
    ///
    /// ```
    /// use atmodem::dialects::ActionError;
    /// assert!(ActionError::Refused(4).is_bad_credentials());
    /// assert!(ActionError::Refused(5).is_bad_credentials());
    /// assert!(!ActionError::Refused(3).is_bad_credentials());
    /// assert!(!ActionError::Closed(0).is_bad_credentials());
    /// ```
    pub fn is_bad_credentials(&self) -> bool {
        matches!(self, Self::Refused(4 | 5))
    }
}

/// An MQTT message the module received, borrowed from the client's buffer.
///
/// `Debug` and `defmt` show the topic and the payload's length, never the payload (an
/// `/ext/register` payload carries a device secret).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct MqttMessage<'a> {
    /// The topic it was published on.
    pub topic: &'a str,
    /// The payload, exactly as received (may be binary, may contain CR/LF).
    pub payload: &'a [u8],
}

impl core::fmt::Debug for MqttMessage<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("MqttMessage")
            .field("topic", &self.topic)
            .field("payload", &Hidden::of(self.payload))
            .finish()
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for MqttMessage<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(
            f,
            "MqttMessage {{ topic: {=str}, payload: {} }}",
            self.topic,
            Hidden::of(self.payload)
        )
    }
}

/// The `Response` and `parse` of a command answered by its final result code alone.
macro_rules! no_response {
    () => {
        type Response<'a> = ();

        fn parse<'a>(
            &self,
            _lines: $crate::codec::Lines<'a>,
        ) -> Result<(), $crate::dialects::ParseError> {
            Ok(())
        }
    };
}
pub(crate) use no_response;

/// A command with no arguments in its execute form (`AT+HTTPINIT`), no information
/// response, and a timeout: the shared shape of many commands.
macro_rules! execute_command {
    ($(#[$doc:meta])* $name:ident, $at:literal, $timeout:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
        #[cfg_attr(feature = "defmt", derive(defmt::Format))]
        pub struct $name;

        impl $crate::dialects::Command for $name {
            type Response<'a> = ();
            const NAME: &'static str = $at;

            fn encode<'b>(
                &self,
                buf: &'b mut [u8],
            ) -> Result<&'b [u8], $crate::codec::EncodeError> {
                $crate::codec::CommandWriter::new(buf, Self::NAME).finish()
            }

            fn timeout_ms(&self) -> u32 {
                $timeout
            }

            fn parse<'a>(
                &self,
                _lines: $crate::codec::Lines<'a>,
            ) -> Result<(), $crate::dialects::ParseError> {
                Ok(())
            }
        }
    };
}
pub(crate) use execute_command;

/// The information lines of command `C` when every one of them parses with `p` (a list
/// response such as `+CGPADDR` or `+QIACT` lines, read lazily afterwards).
pub(crate) fn all_lines<'a, C: Command, T>(
    lines: Lines<'a>,
    p: impl Fn(&'a [u8]) -> Option<T>,
) -> Result<Lines<'a>, ParseError> {
    if lines.iter().all(|l| p(l).is_some()) {
        Ok(lines)
    } else {
        Err(ParseError::of::<C>())
    }
}

/// The single information line of a command with token `tok`, parsed by `p` over the whole
/// line (`Err` if absent or of another shape).
pub(crate) fn one_line<'a, C: Command, T>(
    lines: Lines<'a>,
    p: impl FnOnce(&'a [u8]) -> Option<T>,
) -> Result<T, ParseError> {
    lines.first().and_then(p).ok_or(ParseError::of::<C>())
}

/// A secret the module echoes back (the `AT+QMTCFG="aliauth"` query prints the device
/// secret): readable through [`expose`](Self::expose), never shown by `Debug` or `defmt`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Redacted<'a>(&'a str);

impl<'a> Redacted<'a> {
    /// Wrap a secret; `Debug` then shows its length only.
    ///
    /// ```
    /// use atmodem::dialects::Redacted;
    /// let s = Redacted::new("bearer-pass-9f3k");
    /// assert!(!format!("{s:?}").contains("9f3k"));
    /// ```
    pub const fn new(secret: &'a str) -> Self {
        Self(secret)
    }

    /// The secret itself.
    ///
    /// ```
    /// use atmodem::dialects::Redacted;
    /// assert_eq!(Redacted::new("bearer-pass-9f3k").expose(), "bearer-pass-9f3k");
    /// ```
    pub const fn expose(&self) -> &'a str {
        self.0
    }

    /// Whether it is empty (not configured).
    ///
    /// ```
    /// use atmodem::dialects::Redacted;
    /// assert!(Redacted::new("").is_empty());
    /// assert!(!Redacted::new("s").is_empty());
    /// ```
    pub const fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl core::fmt::Debug for Redacted<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        if self.0.is_empty() {
            f.write_str("\"\"")
        } else {
            Hidden(self.0.len()).fmt(f)
        }
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for Redacted<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        Hidden(self.0.len()).format(f)
    }
}

/// What `Debug` and `defmt` show in place of a secret, a payload or a body: its length,
/// never its bytes (`<redacted, 16 bytes>`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Hidden(pub(crate) usize);

impl Hidden {
    /// The stand-in for `bytes`.
    pub(crate) const fn of(bytes: &[u8]) -> Self {
        Self(bytes.len())
    }
}

impl core::fmt::Debug for Hidden {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "<redacted, {} bytes>", self.0)
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for Hidden {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "<redacted, {=usize} bytes>", self.0)
    }
}
