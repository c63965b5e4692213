//! The client's error type: what went wrong with an exchange, and whether the module
//! answered (so the client is still in step).

use crate::codec::{EncodeError, ErrorCode, FinalCode};
use crate::dialects::{ActionError, ParseError};

/// What went wrong with an exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Error<E> {
    /// The transport failed.
    #[error("transport error")]
    Transport(E),
    /// The transport ended (a read returned 0 bytes).
    #[error("transport closed")]
    Closed,
    /// No final result (or awaited URC) within the timeout.
    #[error("timeout")]
    Timeout,
    /// The module answered `ERROR`.
    #[error("ERROR")]
    Error,
    /// The module answered `+CME ERROR: <n>` (text codes come out as `Cme(u16::MAX)`).
    #[error("+CME ERROR: {0}")]
    Cme(u16),
    /// The module answered `+CMS ERROR: <n>`.
    #[error("+CMS ERROR: {0}")]
    Cms(u16),
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
    /// The URC queue is full of lines nobody has taken, and the next line read cannot be
    /// stored: the client stopped reading (the bytes wait in the transport, so nothing is
    /// lost). Take queued URCs ([`Client::poll_urc`](super::Client::poll_urc)) or messages,
    /// then call again; a command that was in flight is resynchronised first.
    #[error("URC queue full: take queued URCs first")]
    QueueFull,
    /// The module rebooted (`RDY`) or powered down (`POWERED DOWN`) while this call waited for its answer or its result: the
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
    /// The module family cannot do this (e.g. `aliauth` on Luat, an HTTP body of unknown
    /// length on Quectel).
    #[error("not supported by this module family")]
    Unsupported,
    /// The modem answered something that does not fit the exchange (e.g. a data phase that
    /// did not open).
    #[error("protocol error")]
    Protocol,
}

impl<E> Error<E> {
    pub(super) fn from_final(code: &FinalCode<'_>) -> Self {
        match code {
            FinalCode::Ok => Self::Protocol,
            FinalCode::Error => Self::Error,
            FinalCode::Cme(ErrorCode::Code(n)) => Self::Cme(*n),
            FinalCode::Cme(ErrorCode::Text(_)) => Self::Cme(u16::MAX),
            FinalCode::Cms(ErrorCode::Code(n)) => Self::Cms(*n),
            FinalCode::Cms(ErrorCode::Text(_)) => Self::Cms(u16::MAX),
            _ => Self::NoConnection,
        }
    }

    /// Whether the module answered (the client is in step; only this command failed).
    pub(super) fn answered(&self) -> bool {
        matches!(
            self,
            Self::Error
                | Self::Cme(_)
                | Self::Cms(_)
                | Self::NoConnection
                | Self::ResponseTooLong
                | Self::Protocol
                | Self::Parse(_)
        )
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
