//! The client's error type: what went wrong with an exchange, and whether the module
//! answered (so the client is still in step).
//!
//! # One error type for an application
//!
//! The flows' [`FlowError`](crate::aliyun::flow::FlowError) and the device's
//! [`DeviceError`](crate::device::DeviceError) convert from this [`Error`], so `?` carries a
//! modem error up through them; an application wraps the three in its own enum:
//!
//! ```
//! use atmodem::aliyun::flow::FlowError;
//! use atmodem::client::{Client, Error as ModemError, State};
//! use atmodem::device::DeviceError;
//! use atmodem::dialects::common::Csq;
//! use atmodem::dialects::quectel::Quectel;
//! use atmodem::sim::{InstantDelay, SimError, SimModem};
//!
//! #[derive(Debug)]
//! enum AppError {
//!     Modem(ModemError<SimError>),
//!     Flow(FlowError<SimError>),
//!     Device(DeviceError<ModemError<SimError>>),
//! }
//! impl From<ModemError<SimError>> for AppError {
//!     fn from(e: ModemError<SimError>) -> Self { Self::Modem(e) }
//! }
//! impl From<FlowError<SimError>> for AppError {
//!     fn from(e: FlowError<SimError>) -> Self { Self::Flow(e) }
//! }
//! impl From<DeviceError<ModemError<SimError>>> for AppError {
//!     fn from(e: DeviceError<ModemError<SimError>>) -> Self { Self::Device(e) }
//! }
//!
//! // A flow step and a device step that call the modem: `?` converts its error.
//! async fn flow_step(c: &mut Client<'_, SimModem, InstantDelay, Quectel>) -> Result<i16, FlowError<SimError>> {
//!     Ok(c.send(&Csq).await?.dbm().unwrap_or_default())
//! }
//! async fn device_step(c: &mut Client<'_, SimModem, InstantDelay, Quectel>) -> Result<u8, DeviceError<ModemError<SimError>>> {
//!     Ok(c.send(&Csq).await?.rssi)
//! }
//! async fn app(c: &mut Client<'_, SimModem, InstantDelay, Quectel>) -> Result<(), AppError> {
//!     flow_step(c).await?;
//!     device_step(c).await?;
//!     c.send(&Csq).await?;
//!     Ok(())
//! }
//!
//! let script = ">> AT+CSQ\n<< +CSQ: 20,99\n<< OK\n>> AT+CSQ\n<< +CSQ: 20,99\n<< OK\n>> AT+CSQ\n<< ERROR\n";
//! let mut state: State = State::new();
//! let mut c: Client<_, _, Quectel> = Client::new(SimModem::new(script).unwrap(), InstantDelay, &mut state);
//! let e = embassy_futures::block_on(app(&mut c)).unwrap_err();
//! assert!(matches!(e, AppError::Modem(ModemError::Error { command: "+CSQ" })));
//! ```

use crate::codec::{EncodeError, ExtendedError, FinalCode};
use crate::dialects::{ActionError, ParseError};

/// What a call waited for when its time ran out ([`Error::Timeout`]). The names are the
/// commands' [`Command::NAME`](crate::dialects::Command::NAME)s, as written after `AT`
/// (`+CSQ`; `""` is `AT` itself, and an untyped [`Request`](super::Request) unless it is
/// [named](super::Request::named)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Awaited {
    /// The final result code of command `AT<name>`. The command may still be running: the
    /// client is out of step and the next call resynchronises first.
    Answer(&'static str),
    /// The later result (a URC) of command `AT<name>`, which was answered
    /// ([`Client::run`](super::Client::run)): the client stays in step.
    Result(&'static str),
    /// A state polled with command `AT<name>` (attach, registration): every query was
    /// answered, the client stays in step.
    State(&'static str),
    /// A URC ([`wait_for`](super::Client::wait_for),
    /// [`next_urc_within`](super::Client::next_urc_within),
    /// [`next_line_where`](super::Client::next_line_where)): nothing was sent, the client
    /// stays in step.
    Urc,
    /// The next MQTT message of a session: nothing was sent, the client stays in step.
    Message,
    /// The answer to a resynchronisation marker, or the close of an interrupted data phase
    /// ([`Client::resync`](super::Client::resync)): the client stays out of step and the
    /// next call tries again.
    Resync,
}

impl Awaited {
    /// The command whose answer, result or state was awaited; `None` for a URC, a message or
    /// a resynchronisation.
    ///
    /// ```
    /// use atmodem::client::Awaited;
    /// assert_eq!(Awaited::Answer("+CSQ").command(), Some("+CSQ"));
    /// assert_eq!(Awaited::Result("+QMTOPEN").command(), Some("+QMTOPEN"));
    /// assert_eq!(Awaited::Urc.command(), None);
    /// ```
    pub const fn command(&self) -> Option<&'static str> {
        match self {
            Self::Answer(c) | Self::Result(c) | Self::State(c) => Some(c),
            Self::Urc | Self::Message | Self::Resync => None,
        }
    }
}

impl core::fmt::Display for Awaited {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Answer(c) => write!(f, "the answer to AT{c}"),
            Self::Result(c) => write!(f, "the result of AT{c}"),
            Self::State(c) => write!(f, "the state polled with AT{c}"),
            Self::Urc => f.write_str("a URC"),
            Self::Message => f.write_str("an MQTT message"),
            Self::Resync => f.write_str("a resynchronisation marker"),
        }
    }
}

/// What went wrong with an exchange.
///
/// The variants that come from the module's answer name the command (`command`: its
/// [`Command::NAME`](crate::dialects::Command::NAME), as written after `AT`), and a
/// timeout says what was awaited ([`Awaited`]):
///
/// ```
/// use atmodem::client::{Awaited, Error};
/// use atmodem::codec::ExtendedError;
/// let e: Error<()> = Error::Cme { command: "+CPIN", code: ExtendedError::verbose("SIM not inserted", Some(10)) };
/// assert_eq!(e.to_string(), "AT+CPIN: +CME ERROR: SIM not inserted");
/// assert_eq!(e.cme_number(), Some(10));
/// let t: Error<()> = Error::Timeout(Awaited::Result("+QMTOPEN"));
/// assert_eq!(t.to_string(), "timeout waiting for the result of AT+QMTOPEN");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Error<E> {
    /// The transport failed.
    #[error("transport error")]
    Transport(E),
    /// The transport ended (a read returned 0 bytes).
    #[error("transport closed")]
    Closed,
    /// Nothing ended the wait within its timeout; [`Awaited`] says what was awaited and
    /// whether the client stays in step.
    #[error("timeout waiting for {0}")]
    Timeout(Awaited),
    /// The module answered `ERROR` to `AT<command>` (the client stays in step).
    #[error("AT{command}: ERROR")]
    Error {
        /// The command that failed.
        command: &'static str,
    },
    /// The module answered `+CME ERROR: <err>` to `AT<command>` (the client stays in step):
    /// the number and, with `AT+CMEE=2`, the verbose text, mapped to its number
    /// ([`ExtendedError::number`]).
    #[error("AT{command}: +CME ERROR: {code}")]
    Cme {
        /// The command that failed.
        command: &'static str,
        /// The error report.
        code: ExtendedError,
    },
    /// The module answered `+CMS ERROR: <err>` to `AT<command>` (the client stays in step).
    #[error("AT{command}: +CMS ERROR: {code}")]
    Cms {
        /// The command that failed.
        command: &'static str,
        /// The error report (a verbose text has no number: see [`ExtendedError::cms`]).
        code: ExtendedError,
    },
    /// `NO CARRIER`, `BUSY`, `NO ANSWER` or `NO DIALTONE`.
    #[error("call result code")]
    NoConnection,
    /// The command could not be encoded (nothing was sent).
    #[error("encode: {0}")]
    Encode(EncodeError),
    /// The response did not fit in the response buffer (the command itself completed).
    #[error("response longer than the response buffer")]
    ResponseTooLong,
    /// The response did not have the shape its command documents.
    #[error("{0}")]
    Parse(ParseError),
    /// The action was accepted but its later result reports a failure.
    #[error("{0}")]
    Action(ActionError),
    /// The session this call needs is down (the module rebooted, the link or PDP was lost).
    #[error("session is down")]
    SessionDown,
    /// The [`Session`](super::Session) handle names a session that has gone down since it
    /// was started (`+QMTSTAT`, Luat `CLOSED`, a disconnect or close, a module reboot, a
    /// bearer loss), whatever the index holds now: nothing was written. Start a session
    /// again ([`Mqtt::mqtt_start`](super::Mqtt::mqtt_start)) and use its handle.
    ///
    /// ```
    /// # use atmodem::client::{Client, Error, Mqtt, State};
    /// # use atmodem::dialects::quectel::Quectel;
    /// # use atmodem::sim::{InstantDelay, SimModem};
    /// let mut state: State = State::new();
    /// let mut c: Client<_, _, Quectel> = Client::new(SimModem::new("").unwrap(), InstantDelay, &mut state);
    /// let s = c.mqtt_session(0);
    /// c.transport_mut().inject(b"\r\n+QMTSTAT: 0,1\r\n"); // the broker closed the link
    /// let e = embassy_futures::block_on(c.mqtt_publish(s, "t", b"x", 0, false)).unwrap_err();
    /// assert_eq!(e, Error::StaleSession { index: 0 });
    /// assert!(!c.transport().transcript().contains(">>")); // nothing written
    /// ```
    #[error("stale handle of MQTT client {index}: its session has ended")]
    StaleSession {
        /// The handle's client index.
        index: u8,
    },
    /// The URC queue is full of lines nobody has taken, and the next line read cannot be
    /// stored: the client stopped reading (the bytes wait in the transport, so nothing is
    /// lost). Take queued URCs ([`Client::poll_urc`](super::Client::poll_urc)) or messages,
    /// then call again; a command that was in flight is resynchronised first.
    #[error("URC queue full: take queued URCs first")]
    QueueFull,
    /// The module rebooted (`RDY`) or powered down (`POWERED DOWN`, `NORMAL POWER DOWN`, a
    /// voltage power-down) while this call waited for its answer or its result: the
    /// command's effect is unknown, and every session is gone.
    #[error("the module rebooted")]
    Rebooted,
    /// The encoded command line is longer than the response buffer, where commands are
    /// encoded (`RESP` bytes): nothing was sent. Give the client a larger `RESP`.
    #[error("command longer than the {limit}-byte response buffer")]
    CommandTooLong {
        /// The response buffer's size (`RESP`).
        limit: usize,
    },
    /// The login's client id declares a transport the session does not use
    /// (`securemode=2` without TLS, `securemode=3` with it; see
    /// [`MqttSession::transport_matches`](super::MqttSession::transport_matches)): nothing was
    /// sent.
    #[error("the client id's securemode does not match the session's TLS setting")]
    TransportMismatch,
    /// The module family cannot do this (e.g. `aliauth` on Luat, an HTTP body of unknown
    /// length on Quectel).
    #[error("not supported by this module family")]
    Unsupported,
    /// The module ended `AT<command>` with `OK` before the data phase it takes opened (no
    /// `>`, `CONNECT` or `DOWNLOAD` came): the data was not sent, the command's effect is
    /// the module's. The client stays in step.
    #[error("AT{command}: OK without its data prompt")]
    NoDataPhase {
        /// The command whose data was not sent.
        command: &'static str,
    },
    /// The answer or the later result of `AT<command>` lacks what this call needs (an
    /// `AT+CGPADDR` answer without the context's address, a `+QHTTPGET: 0` result without
    /// its HTTP status, an `AT+QMTRECV` read without the message it announced). The
    /// command completed: the client stays in step.
    #[error("AT{command}: no {missing} in the answer")]
    Incomplete {
        /// The command answered.
        command: &'static str,
        /// What its answer lacked.
        missing: &'static str,
    },
    /// An invariant of the client did not hold (a line found in the queue was not there to
    /// take, a message span did not slice its line): a bug in this crate, never the
    /// module's doing. Nothing was sent by the failing step; the client stays in step.
    #[error("internal error of the client")]
    Internal,
    /// The module reports data stored otherwise than it was sent (an `AT+QFUPL` size or
    /// checksum, an `AT+FSWRITE` file size read back): the copy was deleted. The command
    /// completed: the client stays in step.
    #[error("AT{command}: the module stored other data than was sent")]
    Corrupted {
        /// The command whose data was stored otherwise.
        command: &'static str,
    },
}

impl<E> Error<E> {
    /// The `+CME ERROR` number, in either `AT+CMEE` mode (a verbose text is mapped with
    /// [`cme_code`](crate::codec::cme_code)); `None` for any other error and for a text not
    /// in the 3GPP table.
    ///
    /// ```
    /// use atmodem::client::Error;
    /// use atmodem::codec::{ErrorCode, ExtendedError};
    /// let verbose: Error<()> = Error::Cme { command: "+CPIN", code: ExtendedError::cme(&ErrorCode::Text("SIM PIN required")) };
    /// let numeric: Error<()> = Error::Cme { command: "+CPIN", code: ExtendedError::numeric(11) };
    /// assert_eq!((verbose.cme_number(), numeric.cme_number()), (Some(11), Some(11)));
    /// assert_eq!(Error::<()>::Error { command: "+CPIN" }.cme_number(), None);
    /// ```
    pub fn cme_number(&self) -> Option<u16> {
        match self {
            Self::Cme { code, .. } => code.number(),
            _ => None,
        }
    }

    /// The command the module answered with this error (`ERROR`, `+CME ERROR`, `+CMS
    /// ERROR`, an OK without its data phase, an incomplete answer), or whose answer, result
    /// or state a timeout awaited.
    ///
    /// ```
    /// use atmodem::client::{Awaited, Error};
    /// assert_eq!(Error::<()>::Error { command: "+QIACT" }.command(), Some("+QIACT"));
    /// assert_eq!(Error::<()>::Timeout(Awaited::Answer("+CSQ")).command(), Some("+CSQ"));
    /// assert_eq!(Error::<()>::Timeout(Awaited::Urc).command(), None);
    /// assert_eq!(Error::<()>::SessionDown.command(), None);
    /// ```
    pub fn command(&self) -> Option<&'static str> {
        match self {
            Self::Error { command }
            | Self::Cme { command, .. }
            | Self::Cms { command, .. }
            | Self::NoDataPhase { command }
            | Self::Incomplete { command, .. }
            | Self::Corrupted { command } => Some(command),
            Self::Timeout(a) => a.command(),
            Self::Parse(p) => Some(p.command),
            _ => None,
        }
    }

    /// Whether the module answered (the client is in step; only this command failed).
    pub(super) fn answered(&self) -> bool {
        matches!(
            self,
            Self::Error { .. }
                | Self::Cme { .. }
                | Self::Cms { .. }
                | Self::NoConnection
                | Self::ResponseTooLong
                | Self::NoDataPhase { .. }
                | Self::Parse(_)
        )
    }
}

/// A final result code other than `OK`, before it is tied to its command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Refusal {
    Error,
    Cme(ExtendedError),
    Cms(ExtendedError),
    NoConnection,
}

impl Refusal {
    /// The refusal `code` is; `None` for `OK`.
    pub(super) fn of(code: &FinalCode<'_>) -> Option<Self> {
        Some(match code {
            FinalCode::Ok => return None,
            FinalCode::Error => Self::Error,
            FinalCode::Cme(c) => Self::Cme(ExtendedError::cme(c)),
            FinalCode::Cms(c) => Self::Cms(ExtendedError::cms(c)),
            FinalCode::NoCarrier
            | FinalCode::Busy
            | FinalCode::NoAnswer
            | FinalCode::NoDialtone => Self::NoConnection,
        })
    }

    /// The error of command `command` refused so.
    pub(super) fn error<E>(self, command: &'static str) -> Error<E> {
        match self {
            Self::Error => Error::Error { command },
            Self::Cme(code) => Error::Cme { command, code },
            Self::Cms(code) => Error::Cms { command, code },
            Self::NoConnection => Error::NoConnection,
        }
    }
}

impl<E> From<EncodeError> for Error<E> {
    fn from(e: EncodeError) -> Self {
        Self::Encode(e)
    }
}

impl<E> From<ActionError> for Error<E> {
    fn from(e: ActionError) -> Self {
        Self::Action(e)
    }
}
