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

use super::ca::{CaCheck, CaFile};

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
/// // A handle whose session has ended: bring the session up again.
/// assert_eq!(Failure::of::<()>(&Error::StaleSession { index: 0 }), Failure::SessionDown);
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
            Error::SessionDown
            | Error::StaleSession { .. }
            | Error::Action(ActionError::Closed(_)) => Self::SessionDown,
            Error::Transport(_) | Error::Closed => Self::Transport,
            Error::Encode(_)
            | Error::CommandTooLong { .. }
            | Error::Unsupported
            | Error::TransportMismatch => Self::Rejected,
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
    ///
    /// ```
    /// # use atmodem::client::{Client, State};
    /// # use atmodem::device::{Sim, Supervised, Failure};
    /// # use atmodem::dialects::quectel::Quectel;
    /// # use atmodem::sim::{InstantDelay, SimModem};
    /// let script = ">> AT\n<< OK\n";
    /// let mut state: State = State::new();
    /// let mut c: Client<_, _, Quectel> = Client::new(SimModem::new(script).unwrap(), InstantDelay, &mut state);
    /// embassy_futures::block_on(c.await_ready()).unwrap();
    /// assert!(c.transport().is_done());
    /// ```
    async fn await_ready(&mut self) -> Result<(), Self::Error>;
    /// `ATE0`.
    ///
    /// ```
    /// # use atmodem::client::{Client, State};
    /// # use atmodem::device::{Sim, Supervised, Failure};
    /// # use atmodem::dialects::quectel::Quectel;
    /// # use atmodem::sim::{InstantDelay, SimModem};
    /// let script = ">> ATE0\n<< OK\n";
    /// let mut state: State = State::new();
    /// let mut c: Client<_, _, Quectel> = Client::new(SimModem::new(script).unwrap(), InstantDelay, &mut state);
    /// embassy_futures::block_on(c.echo_off()).unwrap();
    /// assert!(c.transport().is_done());
    /// ```
    async fn echo_off(&mut self) -> Result<(), Self::Error>;
    /// `AT+CMEE=2`: errors as `+CME ERROR: <text>` (`SIM not inserted`). The client keeps
    /// the text and maps the standard ones to their numbers
    /// ([`Error::cme_number`](crate::client::Error::cme_number)), so a missing SIM (10) is
    /// still told from a wrong PIN (16); a module that answers numerically anyway is read
    /// the same.
    ///
    /// On a timeout, a reboot or a dropped future: as [`Client::send`] (the next call
    /// resynchronises; the supervisor runs the step again on the next bring-up).
    ///
    /// ```
    /// # use atmodem::client::{Client, State};
    /// # use atmodem::device::Supervised;
    /// # use atmodem::dialects::quectel::Quectel;
    /// # use atmodem::sim::{InstantDelay, SimModem};
    /// let script = ">> AT+CMEE=2\n<< OK\n";
    /// let mut state: State = State::new();
    /// let mut c: Client<_, _, Quectel> = Client::new(SimModem::new(script).unwrap(), InstantDelay, &mut state);
    /// embassy_futures::block_on(c.verbose_errors()).unwrap();
    /// assert!(c.transport().is_done());
    /// ```
    async fn verbose_errors(&mut self) -> Result<(), Self::Error>;
    /// `AT+CPIN?`, with the error answers of 27.007 §9.2.1 read as states.
    ///
    /// ```
    /// # use atmodem::client::{Client, State};
    /// # use atmodem::device::{Sim, Supervised, Failure};
    /// # use atmodem::dialects::quectel::Quectel;
    /// # use atmodem::sim::{InstantDelay, SimModem};
    /// let script = ">> AT+CPIN?\n<< +CPIN: SIM PIN\n<< OK\n>> AT+CPIN?\n<< +CME ERROR: 10\n";
    /// let mut state: State = State::new();
    /// let mut c: Client<_, _, Quectel> = Client::new(SimModem::new(script).unwrap(), InstantDelay, &mut state);
    /// // 27.007 §9.2.1: a PIN is needed; then error 10, SIM not inserted.
    /// assert_eq!(embassy_futures::block_on(c.sim()), Ok(Sim::PinRequired));
    /// assert_eq!(embassy_futures::block_on(c.sim()), Ok(Sim::NotInserted));
    /// ```
    async fn sim(&mut self) -> Result<Sim, Self::Error>;
    /// `AT+CPIN="<pin>"`. A wrong PIN is `+CME ERROR: 16`.
    ///
    /// ```
    /// # use atmodem::client::{Client, State};
    /// # use atmodem::device::{Sim, Supervised, Failure};
    /// # use atmodem::dialects::quectel::Quectel;
    /// # use atmodem::sim::{InstantDelay, SimModem};
    /// fn is_wrong_pin<C: Supervised>(_: &C, e: &C::Error) -> bool { C::is_wrong_pin(e) }
    /// let script = ">> AT+CPIN=\"1234\"\n<< OK\n>> AT+CPIN=\"0000\"\n<< +CME ERROR: 16\n";
    /// let mut state: State = State::new();
    /// let mut c: Client<_, _, Quectel> = Client::new(SimModem::new(script).unwrap(), InstantDelay, &mut state);
    /// embassy_futures::block_on(c.enter_pin("1234")).unwrap();
    /// let wrong = embassy_futures::block_on(c.enter_pin("0000")).unwrap_err();
    /// assert!(is_wrong_pin(&c, &wrong));
    /// ```
    async fn enter_pin(&mut self, pin: &str) -> Result<(), Self::Error>;
    /// One registration read (`AT+CEREG?`), as [`RegOutcome`] (denied is final).
    ///
    /// ```
    /// # use atmodem::client::{Client, State};
    /// # use atmodem::device::{Sim, Supervised, Failure};
    /// # use atmodem::dialects::quectel::Quectel;
    /// # use atmodem::sim::{InstantDelay, SimModem};
    /// let script = ">> AT+CEREG?\n<< +CEREG: 0,5\n<< OK\n>> AT+CEREG?\n<< +CEREG: 0,3\n<< OK\n";
    /// let mut state: State = State::new();
    /// let mut c: Client<_, _, Quectel> = Client::new(SimModem::new(script).unwrap(), InstantDelay, &mut state);
    /// use atmodem::dialects::identity::RegOutcome;
    /// // 27.007 §10.1.22: stat 5 registered, roaming; 3 denied.
    /// assert_eq!(embassy_futures::block_on(c.registration()), Ok(RegOutcome::Registered));
    /// assert_eq!(embassy_futures::block_on(c.registration()), Ok(RegOutcome::Denied));
    /// ```
    async fn registration(&mut self) -> Result<RegOutcome, Self::Error>;
    /// The received signal strength in dBm (`AT+CSQ`), if known.
    ///
    /// ```
    /// # use atmodem::client::{Client, State};
    /// # use atmodem::device::{Sim, Supervised, Failure};
    /// # use atmodem::dialects::quectel::Quectel;
    /// # use atmodem::sim::{InstantDelay, SimModem};
    /// let script = ">> AT+CSQ\n<< +CSQ: 24,99\n<< OK\n>> AT+CSQ\n<< +CSQ: 99,99\n<< OK\n";
    /// let mut state: State = State::new();
    /// let mut c: Client<_, _, Quectel> = Client::new(SimModem::new(script).unwrap(), InstantDelay, &mut state);
    /// // 27.007 §8.5: -113 dBm + 2 per step; 99 unknown.
    /// assert_eq!(embassy_futures::block_on(c.signal_dbm()), Ok(Some(-65)));
    /// assert_eq!(embassy_futures::block_on(c.signal_dbm()), Ok(None));
    /// ```
    async fn signal_dbm(&mut self) -> Result<Option<i16>, Self::Error>;
    /// Resynchronise with the module ([`Client::resync`]).
    ///
    /// ```
    /// # use atmodem::client::{Client, State};
    /// # use atmodem::device::{Sim, Supervised, Failure};
    /// # use atmodem::dialects::quectel::Quectel;
    /// # use atmodem::sim::{InstantDelay, SimModem};
    /// let script = ">> AT+CMEE?\n<< +CMEE: 1\n<< OK\n";
    /// let mut state: State = State::new();
    /// let mut c: Client<_, _, Quectel> = Client::new(SimModem::new(script).unwrap(), InstantDelay, &mut state);
    /// embassy_futures::block_on(c.resynchronise()).unwrap();
    /// assert!(c.transport().is_done());
    /// ```
    async fn resynchronise(&mut self) -> Result<(), Self::Error>;
    /// Software restart (`AT+CFUN=1,1`).
    ///
    /// ```
    /// # use atmodem::client::{Client, State};
    /// # use atmodem::device::{Sim, Supervised, Failure};
    /// # use atmodem::dialects::quectel::Quectel;
    /// # use atmodem::sim::{InstantDelay, SimModem};
    /// let script = ">> AT+CFUN=1,1\n<< OK\n";
    /// let mut state: State = State::new();
    /// let mut c: Client<_, _, Quectel> = Client::new(SimModem::new(script).unwrap(), InstantDelay, &mut state);
    /// embassy_futures::block_on(c.restart()).unwrap();
    /// assert!(c.transport().is_done());
    /// ```
    async fn restart(&mut self) -> Result<(), Self::Error>;
    /// The TLS step: make sure the module's file system holds `ca` (uploading it only when
    /// it is missing or differs, see [`CaFile`]) and that SSL context `ctx` trusts it (Luat:
    /// its MQTT context, 88, whatever `ctx`). Files survive reboots: after one, the check
    /// finds the file and nothing is uploaded.
    ///
    /// - **Timeout**: [`Error::Timeout`](crate::client::Error::Timeout) as any command's;
    ///   the step is done again.
    /// - **Reboot** during it: [`Error::Rebooted`](crate::client::Error::Rebooted); the next
    ///   bring-up checks again (an upload cut short leaves a file of another size or
    ///   content, which is replaced).
    /// - **Dropped**: as [`Client::send`]; the next call checks again.
    /// - An upload the module reports stored otherwise (size or checksum) is deleted and
    ///   the call fails with [`Error::Corrupted`](crate::client::Error::Corrupted).
    ///
    /// ```
    /// # use atmodem::client::{Client, State};
    /// # use atmodem::device::{Sim, Supervised, Failure};
    /// # use atmodem::dialects::quectel::Quectel;
    /// # use atmodem::sim::{InstantDelay, SimModem};
    /// let script = ">> AT+QFLST=\"ca.pem\"\n<< +QFLST: \"UFS:ca.pem\",2\n<< OK\n>> AT+QFOPEN=\"ca.pem\",2\n<< +QFOPEN: 1027\n<< OK\n>> AT+QFREAD=1027,2\n<< CONNECT 2\n<<| \"ab\"\n<< OK\n>> AT+QFCLOSE=1027\n<< OK\n>> AT+QSSLCFG=\"cacert\",2,\"UFS:ca.pem\"\n<< OK\n>> AT+QSSLCFG=\"seclevel\",2,1\n<< OK\n";
    /// let mut state: State = State::new();
    /// let mut c: Client<_, _, Quectel> = Client::new(SimModem::new(script).unwrap(), InstantDelay, &mut state);
    /// use atmodem::device::{CaCheck, CaFile};
    /// // The module holds the same two bytes: read back, compared, not uploaded.
    /// let check = embassy_futures::block_on(c.install_ca(2, &CaFile::new("ca.pem", b"ab")));
    /// assert_eq!(check, Ok(CaCheck::Kept));
    /// assert!(c.transport().is_done());
    /// ```
    async fn install_ca(&mut self, ctx: u8, ca: &CaFile<'_>) -> Result<CaCheck, Self::Error>;
    /// Take the queued status URCs out of the client's queue (their effect on the links is
    /// already recorded in [`Links`](crate::client::Links)); messages stay. A queue full of
    /// URCs nobody takes would make every command fail with
    /// [`Error::QueueFull`](crate::client::Error::QueueFull) and leave the module blocked on
    /// its output.
    ///
    /// ```
    /// # use atmodem::client::{Client, State};
    /// # use atmodem::device::{Sim, Supervised, Failure};
    /// # use atmodem::dialects::quectel::Quectel;
    /// # use atmodem::sim::{InstantDelay, SimModem};
    /// let script = ">> AT+CSQ\n<< +QMTSTAT: 0,1\n<< +CSQ: 24,99\n<< OK\n";
    /// let mut state: State = State::new();
    /// let mut c: Client<_, _, Quectel> = Client::new(SimModem::new(script).unwrap(), InstantDelay, &mut state);
    /// embassy_futures::block_on(c.signal_dbm()).unwrap();
    /// assert_eq!(c.queued_urcs(), 1);
    /// embassy_futures::block_on(c.discard_status_urcs());
    /// assert_eq!(c.queued_urcs(), 0);
    /// ```
    async fn discard_status_urcs(&mut self);
    /// Whether the module rebooted (`RDY`) since [`clear_rebooted`](Self::clear_rebooted).
    ///
    /// ```
    /// # use atmodem::client::{Client, State};
    /// # use atmodem::device::{Sim, Supervised, Failure};
    /// # use atmodem::dialects::quectel::Quectel;
    /// # use atmodem::sim::{InstantDelay, SimModem};
    /// let script = ">> ATE0\n<< RDY\n";
    /// let mut state: State = State::new();
    /// let mut c: Client<_, _, Quectel> = Client::new(SimModem::new(script).unwrap(), InstantDelay, &mut state);
    /// // `RDY` during a command: a reboot.
    /// assert!(embassy_futures::block_on(c.echo_off()).is_err());
    /// assert!(c.rebooted());
    /// c.clear_rebooted();
    /// assert!(!c.rebooted());
    /// ```
    fn rebooted(&self) -> bool;
    /// Clear the reboot latch.
    ///
    /// ```
    /// # use atmodem::client::{Client, State};
    /// # use atmodem::device::{Sim, Supervised, Failure};
    /// # use atmodem::dialects::quectel::Quectel;
    /// # use atmodem::sim::{InstantDelay, SimModem};
    /// let script = ">> ATE0\n<< RDY\n";
    /// let mut state: State = State::new();
    /// let mut c: Client<_, _, Quectel> = Client::new(SimModem::new(script).unwrap(), InstantDelay, &mut state);
    /// let _ = embassy_futures::block_on(c.echo_off());
    /// c.clear_rebooted();
    /// assert!(!c.rebooted());
    /// ```
    fn clear_rebooted(&mut self);
    /// Whether MQTT client `idx` is known to be down.
    ///
    /// ```
    /// # use atmodem::client::{Client, State};
    /// # use atmodem::device::{Sim, Supervised, Failure};
    /// # use atmodem::dialects::quectel::Quectel;
    /// # use atmodem::sim::{InstantDelay, SimModem};
    /// let script = ">> AT+CSQ\n<< +QMTSTAT: 0,1\n<< +CSQ: 24,99\n<< OK\n";
    /// let mut state: State = State::new();
    /// let mut c: Client<_, _, Quectel> = Client::new(SimModem::new(script).unwrap(), InstantDelay, &mut state);
    /// assert!(!c.mqtt_is_down(0));
    /// embassy_futures::block_on(c.signal_dbm()).unwrap();
    /// // `+QMTSTAT: 0,1`: the broker closed client 0.
    /// assert!(c.mqtt_is_down(0) && !c.mqtt_is_down(1));
    /// ```
    fn mqtt_is_down(&self, idx: u8) -> bool;
    /// Whether bearer `cid` is known to be down.
    ///
    /// ```
    /// # use atmodem::client::{Client, State};
    /// # use atmodem::device::{Sim, Supervised, Failure};
    /// # use atmodem::dialects::quectel::Quectel;
    /// # use atmodem::sim::{InstantDelay, SimModem};
    /// let script = ">> AT+CSQ\n<< +QIURC: \"pdpdeact\",1\n<< +CSQ: 24,99\n<< OK\n";
    /// let mut state: State = State::new();
    /// let mut c: Client<_, _, Quectel> = Client::new(SimModem::new(script).unwrap(), InstantDelay, &mut state);
    /// assert!(!c.bearer_is_down(1));
    /// embassy_futures::block_on(c.signal_dbm()).unwrap();
    /// assert!(c.bearer_is_down(1));
    /// ```
    fn bearer_is_down(&self, cid: u8) -> bool;
    /// The class of a failure.
    ///
    /// ```
    /// # use atmodem::client::{Client, State};
    /// # use atmodem::device::{Sim, Supervised, Failure};
    /// # use atmodem::dialects::quectel::Quectel;
    /// # use atmodem::sim::{InstantDelay, SimModem};
    /// fn failure<C: Supervised>(_: &C, e: &C::Error) -> Failure { C::failure(e) }
    /// let script = ">> AT+CSQ\n>> AT+CMEE?\n<< +CMEE: 1\n<< OK\n";
    /// let mut state: State = State::new();
    /// let mut c: Client<_, _, Quectel> = Client::new(SimModem::new(script).unwrap(), InstantDelay, &mut state);
    /// // No answer within the command's time: a timeout, which counts towards a wedge.
    /// let e = embassy_futures::block_on(c.signal_dbm()).unwrap_err();
    /// assert_eq!(failure(&c, &e), Failure::Timeout);
    /// ```
    fn failure(e: &Self::Error) -> Failure;
    /// Whether the error is a wrong PIN (`+CME ERROR: 16`, or `incorrect password` in
    /// verbose mode).
    ///
    /// ```
    /// # use atmodem::client::{Client, State};
    /// # use atmodem::device::{Sim, Supervised, Failure};
    /// # use atmodem::dialects::quectel::Quectel;
    /// # use atmodem::sim::{InstantDelay, SimModem};
    /// fn is_wrong_pin<C: Supervised>(_: &C, e: &C::Error) -> bool { C::is_wrong_pin(e) }
    /// let script = ">> AT+CPIN=\"0000\"\n<< +CME ERROR: 16\n>> AT+CPIN=\"1111\"\n<< +CME ERROR: 12\n";
    /// let mut state: State = State::new();
    /// let mut c: Client<_, _, Quectel> = Client::new(SimModem::new(script).unwrap(), InstantDelay, &mut state);
    /// let wrong = embassy_futures::block_on(c.enter_pin("0000")).unwrap_err();
    /// let puk = embassy_futures::block_on(c.enter_pin("1111")).unwrap_err();
    /// assert!(is_wrong_pin(&c, &wrong));
    /// // 12: SIM PUK required, not a wrong PIN.
    /// assert!(!is_wrong_pin(&c, &puk));
    /// // The same in verbose mode (27.007 §9.2.1: 16 is "incorrect password").
    /// let script = ">> AT+CPIN=\"0000\"\n<< +CME ERROR: incorrect password\n";
    /// let mut state: State = State::new();
    /// let mut c: Client<_, _, Quectel> = Client::new(SimModem::new(script).unwrap(), InstantDelay, &mut state);
    /// let wrong = embassy_futures::block_on(c.enter_pin("0000")).unwrap_err();
    /// assert!(is_wrong_pin(&c, &wrong));
    /// ```
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
    use embedded_hal_async::delay::DelayNs;
    use embedded_io_async::{Read, Write};

    use super::super::ca::{self, CaCheck, CaFile};
    use crate::client::{Client, Error};
    use crate::dialects::luat::Luat;
    use crate::dialects::quectel::Quectel;

    /// What differs between the families beyond their dialect.
    #[allow(async_fn_in_trait)]
    pub trait Sealed: crate::codec::Dialect + Sized {
        /// The certificate check of the TLS step.
        async fn install_ca<IO, DL>(
            c: &mut Client<'_, IO, DL, Self>,
            ctx: u8,
            file: &CaFile<'_>,
        ) -> Result<CaCheck, Error<IO::Error>>
        where
            IO: Read + Write,
            DL: DelayNs;
    }

    impl Sealed for Quectel {
        async fn install_ca<IO, DL>(
            c: &mut Client<'_, IO, DL, Self>,
            ctx: u8,
            file: &CaFile<'_>,
        ) -> Result<CaCheck, Error<IO::Error>>
        where
            IO: Read + Write,
            DL: DelayNs,
        {
            ca::quectel(c, ctx, file).await
        }
    }

    impl Sealed for Luat {
        async fn install_ca<IO, DL>(
            c: &mut Client<'_, IO, DL, Self>,
            _ctx: u8,
            file: &CaFile<'_>,
        ) -> Result<CaCheck, Error<IO::Error>>
        where
            IO: Read + Write,
            DL: DelayNs,
        {
            ca::luat(c, file).await
        }
    }
}

impl<IO, DL, D> Supervised for Client<'_, IO, DL, D>
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

    async fn install_ca(&mut self, ctx: u8, ca: &CaFile<'_>) -> Result<CaCheck, Self::Error> {
        D::install_ca(self, ctx, ca).await
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
