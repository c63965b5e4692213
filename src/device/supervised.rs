//! What the supervisor needs of a module beyond [`Bearer`] and [`Mqtt`]: the lifecycle
//! steps (ready, echo, error mode, SIM, registration, reboot latch, resynchronisation,
//! software restart), and how to read a failure. Implemented here for the Quectel and Luat
//! clients.

use embedded_hal_async::delay::DelayNs;
use embedded_io_async::{Read, Write};

use crate::client::{Bearer, Client, Error, Mqtt};
use crate::codec::{CommandWriter, EncodeError, ErrorCode, FinalCode, Lines, SimState};
use crate::dialects::common::{CeregRead, CpinRead, Csq, Echo, QUERY_TIMEOUT_MS};
use crate::dialects::identity::{CpinEnter, RegOutcome, reg_outcome, sim_state_of_error};
use crate::dialects::luat::Luat;
use crate::dialects::quectel::Quectel;
use crate::dialects::{ActionError, Command, ParseError};

/// `AT+CMEE=<n>`: how the module reports errors (27.007 §9.1): 0 bare `ERROR`, 1 numeric
/// `+CME ERROR: <n>`, 2 verbose text. Values above 2 are refused when encoded.
///
/// ```
/// use atmodem::device::Cmee;
/// use atmodem::dialects::Command;
/// let mut buf = [0u8; 16];
/// assert_eq!(Cmee(2).encode(&mut buf).unwrap(), b"AT+CMEE=2\r");
/// assert!(Cmee(3).encode(&mut buf).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Cmee(pub u8);

impl Command for Cmee {
    type Response<'a> = ();
    const NAME: &'static str = "+CMEE";

    fn encode<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], EncodeError> {
        if self.0 > 2 {
            return Err(EncodeError::InvalidArgument("n"));
        }
        let mut w = CommandWriter::new(buf, Self::NAME);
        w.uint(u64::from(self.0));
        w.finish()
    }

    fn timeout_ms(&self) -> u32 {
        QUERY_TIMEOUT_MS
    }

    fn parse<'a>(&self, _lines: Lines<'a>) -> Result<(), ParseError> {
        Ok(())
    }
}

/// `AT+CFUN=1,1`: restart the module (Quectel: then wait for `RDY` / `APP RDY`; Luat
/// "主动重启"). Answered `OK` before the restart; timeout 15 s (the Quectel manual's maximum
/// for `AT+CFUN`).
///
/// ```
/// use atmodem::device::CfunRestart;
/// use atmodem::dialects::Command;
/// let mut buf = [0u8; 16];
/// assert_eq!(CfunRestart.encode(&mut buf).unwrap(), b"AT+CFUN=1,1\r");
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct CfunRestart;

impl Command for CfunRestart {
    type Response<'a> = ();
    const NAME: &'static str = "+CFUN";

    fn encode<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], EncodeError> {
        let mut w = CommandWriter::new(buf, Self::NAME);
        w.uint(1).uint(1);
        w.finish()
    }

    fn timeout_ms(&self) -> u32 {
        15_000
    }

    fn parse<'a>(&self, _lines: Lines<'a>) -> Result<(), ParseError> {
        Ok(())
    }
}

/// The SIM as the supervisor sees it.
///
/// ```
/// use atmodem::codec::SimState;
/// use atmodem::device::Sim;
/// assert_eq!(Sim::of(SimState::Ready), Sim::Ready);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Sim {
    /// `+CPIN: READY`.
    Ready,
    /// `+CPIN: SIM PIN` (or `+CME ERROR: 11`): a PIN is needed.
    PinRequired,
    /// `SIM PUK` (or 12), `PH-SIM PIN`, `SIM PIN2`/`PUK2`: nothing the supervisor can enter.
    Locked,
    /// `NOT INSERTED` (or `+CME ERROR: 10`).
    NotInserted,
    /// `NOT READY` (or `+CME ERROR: 14`, SIM busy right after boot): ask again later.
    NotReady,
}

impl Sim {
    /// The supervisor's view of a `+CPIN` state.
    ///
    /// ```
    /// use atmodem::codec::SimState;
    /// use atmodem::device::Sim;
    /// assert_eq!(Sim::of(SimState::SimPuk), Sim::Locked);
    /// assert_eq!(Sim::of(SimState::Other("X")), Sim::NotReady);
    /// ```
    pub fn of(s: SimState<'_>) -> Self {
        match s {
            SimState::Ready => Self::Ready,
            SimState::SimPin => Self::PinRequired,
            SimState::SimPuk | SimState::SimPin2 | SimState::SimPuk2 | SimState::PhSimPin => {
                Self::Locked
            }
            SimState::NotInserted => Self::NotInserted,
            SimState::NotReady | SimState::Other(_) => Self::NotReady,
        }
    }
}

/// How the supervisor reads a failed call.
///
/// ```
/// use atmodem::client::Error;
/// use atmodem::device::Failure;
/// assert_eq!(Failure::of::<()>(&Error::SessionDown), Failure::SessionDown);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Failure {
    /// The broker refused the credentials (CONNACK 4 or 5): stop, do not retry.
    BadCredentials(u8),
    /// No answer in time: counts towards a wedged module.
    Timeout,
    /// The module rebooted or powered down during the call.
    Rebooted,
    /// The session (MQTT link, bearer) is down.
    SessionDown,
    /// The transport itself failed or closed: stop.
    Transport,
    /// The request itself cannot be sent (it does not encode, is longer than the client's
    /// buffer, or the family cannot do it): retrying the same request cannot help.
    Rejected,
    /// Anything else (`ERROR`, `+CME ERROR`, a failed action, a full URC queue): the module
    /// answered, so it is alive; retry after a back-off.
    Other,
}

impl Failure {
    /// The class of a client error.
    ///
    /// ```
    /// use atmodem::client::{Awaited, Error};
    /// use atmodem::device::Failure;
    /// use atmodem::dialects::ActionError;
    /// assert_eq!(Failure::of::<()>(&Error::Action(ActionError::Refused(5))), Failure::BadCredentials(5));
    /// assert_eq!(Failure::of::<()>(&Error::Action(ActionError::Refused(3))), Failure::Other);
    /// assert_eq!(Failure::of::<()>(&Error::Timeout(Awaited::Answer("+CSQ"))), Failure::Timeout);
    /// assert_eq!(Failure::of::<()>(&Error::CommandTooLong { limit: 512 }), Failure::Rejected);
    /// ```
    pub fn of<E>(e: &Error<E>) -> Self {
        match e {
            Error::Action(ActionError::Refused(code @ (4 | 5))) => Self::BadCredentials(*code),
            Error::Timeout(_) => Self::Timeout,
            Error::Rebooted => Self::Rebooted,
            Error::SessionDown | Error::Action(ActionError::Closed(_)) => Self::SessionDown,
            Error::Transport(_) | Error::Closed => Self::Transport,
            Error::Encode(_) | Error::CommandTooLong { .. } | Error::Unsupported => Self::Rejected,
            _ => Self::Other,
        }
    }
}

/// The lifecycle steps [`Device`](super::Device) drives, on top of [`Bearer`] and [`Mqtt`].
/// Every call is cancel-safe as [`Client::send`] is: a dropped call leaves the client out
/// of step and the next one resynchronises.
///
/// ```no_run
/// use atmodem::device::{Sim, Supervised};
/// async fn ready<C: Supervised>(m: &mut C) -> Result<bool, C::Error> {
///     m.await_ready().await?;
///     m.echo_off().await?;
///     m.verbose_errors().await?;
///     Ok(m.sim().await? == Sim::Ready)
/// }
/// ```
#[allow(async_fn_in_trait)]
pub trait Supervised: Bearer + Mqtt {
    /// Wait until the module answers `AT` (Luat learns its baud rate from it): the client's
    /// [`Client::autobaud`]. [`Failure::Timeout`] when it never does.
    async fn await_ready(&mut self) -> Result<(), Self::Error>;
    /// `ATE0`.
    async fn echo_off(&mut self) -> Result<(), Self::Error>;
    /// `AT+CMEE=2`: errors as `+CME ERROR: <text>` (`SIM not inserted`). The client keeps
    /// the text and maps the standard ones to their numbers
    /// ([`Error::cme_number`](crate::client::Error::cme_number)), so a missing SIM (10) is
    /// still told from a wrong PIN (16); a module that answers numerically anyway is read
    /// the same.
    async fn verbose_errors(&mut self) -> Result<(), Self::Error>;
    /// `AT+CPIN?`, with the error answers of 27.007 §9.2.1 read as states.
    async fn sim(&mut self) -> Result<Sim, Self::Error>;
    /// `AT+CPIN="<pin>"`. A wrong PIN is `+CME ERROR: 16`.
    async fn enter_pin(&mut self, pin: &str) -> Result<(), Self::Error>;
    /// One registration read (`AT+CEREG?`), as [`RegOutcome`] (denied is final).
    async fn registration(&mut self) -> Result<RegOutcome, Self::Error>;
    /// The received signal strength in dBm (`AT+CSQ`), if known.
    async fn signal_dbm(&mut self) -> Result<Option<i16>, Self::Error>;
    /// Resynchronise with the module ([`Client::resync`]).
    async fn resynchronise(&mut self) -> Result<(), Self::Error>;
    /// Software restart (`AT+CFUN=1,1`).
    async fn restart(&mut self) -> Result<(), Self::Error>;
    /// Take the queued status URCs out of the client's queue (their effect on the links is
    /// already recorded in [`Links`](crate::client::Links)); messages stay. A queue full of
    /// URCs nobody takes would make every command fail with
    /// [`Error::QueueFull`](crate::client::Error::QueueFull) and leave the module blocked on
    /// its output.
    async fn discard_status_urcs(&mut self);
    /// Whether the module rebooted (`RDY`) since [`clear_rebooted`](Self::clear_rebooted).
    fn rebooted(&self) -> bool;
    /// Clear the reboot latch.
    fn clear_rebooted(&mut self);
    /// Whether MQTT client `idx` is known to be down.
    fn mqtt_is_down(&self, idx: u8) -> bool;
    /// Whether bearer `cid` is known to be down.
    fn bearer_is_down(&self, cid: u8) -> bool;
    /// The class of a failure.
    fn failure(e: &Self::Error) -> Failure;
    /// Whether the error is a wrong PIN (`+CME ERROR: 16`, or `incorrect password` in
    /// verbose mode).
    fn is_wrong_pin(e: &Self::Error) -> bool;
}

/// The families the supervisor knows (sealed), with the token their MQTT message lines
/// start with (kept when the supervisor clears status URCs).
///
/// ```
/// fn supervised<D: atmodem::device::Family>() {}
/// supervised::<atmodem::dialects::quectel::Quectel>();
/// supervised::<atmodem::dialects::luat::Luat>();
/// ```
pub trait Family: crate::codec::Dialect + sealed::Sealed {
    /// The start of a message line (and, on Quectel, of a buffered-mode notice).
    const MESSAGE: &'static [u8];
}
impl Family for Quectel {
    const MESSAGE: &'static [u8] = b"+QMTRECV:";
}
impl Family for Luat {
    const MESSAGE: &'static [u8] = b"+MSUB:";
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for crate::dialects::quectel::Quectel {}
    impl Sealed for crate::dialects::luat::Luat {}
}

impl<IO, DL, D, const RX: usize, const RESP: usize, const Q: usize> Supervised
    for Client<IO, DL, D, RX, RESP, Q>
where
    IO: Read + Write,
    DL: DelayNs,
    D: Family,
    Self: Bearer + Mqtt + crate::client::Modem<Error = Error<IO::Error>>,
{
    async fn await_ready(&mut self) -> Result<(), Self::Error> {
        self.autobaud().await
    }

    async fn echo_off(&mut self) -> Result<(), Self::Error> {
        self.send(&Echo(false)).await
    }

    async fn verbose_errors(&mut self) -> Result<(), Self::Error> {
        self.send(&Cmee(2)).await
    }

    async fn sim(&mut self) -> Result<Sim, Self::Error> {
        match self.send(&CpinRead).await {
            Ok(s) => Ok(Sim::of(s)),
            // The number in either `AT+CMEE` mode: a verbose text is mapped to it.
            Err(e) => match e.cme_number() {
                Some(n) => match sim_state_of_error(&FinalCode::Cme(ErrorCode::Code(n))) {
                    Some(s) => Ok(Sim::of(s)),
                    // 13 SIM failure, 15 SIM wrong: no usable SIM.
                    None if matches!(n, 13 | 15) => Ok(Sim::NotInserted),
                    None => Err(e),
                },
                None => Err(e),
            },
        }
    }

    async fn enter_pin(&mut self, pin: &str) -> Result<(), Self::Error> {
        self.send(&CpinEnter::new(pin)).await
    }

    async fn registration(&mut self) -> Result<RegOutcome, Self::Error> {
        Ok(reg_outcome(self.send(&CeregRead).await?.stat))
    }

    async fn signal_dbm(&mut self) -> Result<Option<i16>, Self::Error> {
        Ok(self.send(&Csq).await?.dbm())
    }

    async fn resynchronise(&mut self) -> Result<(), Self::Error> {
        self.resync().await
    }

    async fn restart(&mut self) -> Result<(), Self::Error> {
        self.send(&CfunRestart).await
    }

    async fn discard_status_urcs(&mut self) {
        // Bounded: a module that never stops talking cannot hold the supervisor.
        for _ in 0..64 {
            if self.queued_urcs() == 0 {
                break;
            }
            if self
                .next_line_where(0, |l| !l.starts_with(D::MESSAGE))
                .await
                .is_err()
            {
                break;
            }
        }
    }

    fn rebooted(&self) -> bool {
        self.links().rebooted
    }

    fn clear_rebooted(&mut self) {
        self.links_mut().rebooted = false;
    }

    fn mqtt_is_down(&self, idx: u8) -> bool {
        self.links().mqtt_is_down(idx)
    }

    fn bearer_is_down(&self, cid: u8) -> bool {
        self.links().bearer_is_down(cid)
    }

    fn failure(e: &Self::Error) -> Failure {
        Failure::of(e)
    }

    fn is_wrong_pin(e: &Self::Error) -> bool {
        e.cme_number() == Some(16)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::{Awaited, ExtendedError};

    type E = Error<()>;

    #[test]
    fn failure_classes() {
        // Stop: CONNACK 4 and 5 (MQTT 3.1.1 §3.2.2.3: bad user name or password, not
        // authorized); a closed transport.
        assert_eq!(
            Failure::of(&E::Action(ActionError::Refused(4))),
            Failure::BadCredentials(4)
        );
        assert_eq!(
            Failure::of(&E::Action(ActionError::Refused(5))),
            Failure::BadCredentials(5)
        );
        assert_eq!(Failure::of(&E::Closed), Failure::Transport);
        assert_eq!(Failure::of(&E::Transport(())), Failure::Transport);
        // Retry: 1-3 (protocol version, identifier rejected, server unavailable).
        for code in 1..=3 {
            assert_eq!(
                Failure::of(&E::Action(ActionError::Refused(code))),
                Failure::Other
            );
        }
        assert_eq!(
            Failure::of(&E::Timeout(Awaited::Answer("+CEREG"))),
            Failure::Timeout
        );
        assert_eq!(Failure::of(&E::Timeout(Awaited::Urc)), Failure::Timeout);
        assert_eq!(Failure::of(&E::Rebooted), Failure::Rebooted);
        assert_eq!(Failure::of(&E::SessionDown), Failure::SessionDown);
        assert_eq!(
            Failure::of(&E::Action(ActionError::Closed(2))),
            Failure::SessionDown
        );
        assert_eq!(Failure::of(&E::Error { command: "+QIACT" }), Failure::Other);
        assert_eq!(
            Failure::of(&E::Cme {
                command: "+QIACT",
                code: ExtendedError::numeric(3)
            }),
            Failure::Other
        );
        assert_eq!(Failure::of(&E::QueueFull), Failure::Other);
        assert_eq!(
            Failure::of(&E::Action(ActionError::Failed {
                command: "+MCONNECT",
                code: -1
            })),
            Failure::Other
        );
        assert_eq!(Failure::of(&E::Unsupported), Failure::Rejected);
    }

    #[test]
    fn sim_states() {
        assert_eq!(Sim::of(SimState::Ready), Sim::Ready);
        assert_eq!(Sim::of(SimState::SimPin), Sim::PinRequired);
        assert_eq!(Sim::of(SimState::SimPuk), Sim::Locked);
        assert_eq!(Sim::of(SimState::NotInserted), Sim::NotInserted);
        assert_eq!(Sim::of(SimState::NotReady), Sim::NotReady);
    }
}
