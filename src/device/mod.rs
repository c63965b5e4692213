//! The supervisor: [`Device`] owns a client and keeps its module connected to an MQTT
//! broker by itself: bring-up (pins, ready, echo, error mode, SIM and PIN), registration,
//! bearer, MQTT session and subscriptions, and after any loss again from the right step
//! (MQTT drop: session and subscriptions; PDP loss: bearer first; reboot: everything).
//!
//! - Failures that retrying cannot fix stop it and are reported once
//!   ([`StopReason`]): bad credentials (CONNACK 4/5, after exactly one attempt),
//!   registration denied, no SIM, a PIN needed and none configured, a wrong PIN (entered
//!   once, so the SIM's tries are not burnt), a locked SIM, a closed transport.
//! - Network and broker losses are retried after a capped exponential back-off with jitter
//!   ([`BackoffPolicy`], [`XorShift32`]).
//! - A wedged module (`wedge_after` timeouts in a row) is resynchronised, then reset (RESET
//!   pin, or `AT+CFUN=1,1` without one), then power-cycled (PWRKEY), in turn; each counted
//!   in [`DeviceStats`].
//! - [`Device::next_event`] drives all that and returns what the application should see
//!   ([`Event`]), including received messages; [`Device::publish`] works at any time:
//!   QoS 1 while offline goes into a bounded queue ([`Outbox`]) flushed in order after the
//!   next connect.
//!
//! Before each bring-up step the device takes the status URCs nobody took out of the
//! client's queue (their effect on the sessions is already in
//! [`Links`](crate::client::Links)); MQTT messages stay queued. An application that wants
//! other URCs reads them through [`Device::client`] between calls.
//!
//! Luat reports a refused CONNACK as a bare `ERROR` after `AT+MCONNECT`'s `OK`, with no
//! code: bad credentials cannot be told from a broker failure there, so they are retried
//! with back-off like one. On Quectel they stop the device.
//!
//! Everything is `no_std`, allocation-free and executor-agnostic: time comes from the
//! [`DelayNs`] given to the device (back-off, pin pulses) and to the client (timeouts).
//!
//! ```no_run
//! use atmodem::client::{BearerConfig, Client, MqttLogin, MqttSession, State};
//! use atmodem::device::{Device, DeviceConfig, Event};
//! use atmodem::dialects::quectel::Quectel;
//! # async fn firmware<IO: embedded_io_async::Read + embedded_io_async::Write,
//! #     DL: embedded_hal_async::delay::DelayNs + Clone>(uart: IO, delay: DL) {
//! let session = MqttSession::new("broker.example", 1883, MqttLogin::ClientId("dev-1"));
//! let subs = [("dev-1/down", 1)];
//! let cfg = DeviceConfig::new(BearerConfig::default(), session, &subs);
//! let mut state: State = State::new();
//! let client: Client<_, _, Quectel> = Client::new(uart, delay.clone(), &mut state);
//! let mut dev: Device<_, _> = Device::new(client, delay, cfg);
//! loop {
//!     match dev.next_event().await {
//!         Event::Connected => {
//!             let _ = dev.publish("dev-1/up", b"hello", 1).await;
//!         }
//!         Event::Message(m) => { let _ = m.payload; }
//!         Event::Stopped(_) => break,
//!         _ => {}
//!     }
//! }
//! # }
//! ```
//!
//! # RAM
//! A `Device` is its client, plus the outbound queue (`OUT` bytes), plus about 700 bytes
//! of state, configuration and held events (eight [`Event`]s); the client's buffers are in
//! the [`State`](crate::client::State) it borrows (`RX + RESP + Q` bytes, 2560 by default),
//! wherever the caller keeps it. The bench test `device_sizes` measures them with
//! `core::mem::size_of`; on x86-64 with `OUT` = 1024: the client 472 bytes, the device 2232
//! bytes, the `next_event` future 1880 bytes, `next_message` 1888 bytes, `publish` 1112
//! bytes (the futures hold the client's futures, not its buffers).

use embedded_hal::digital::OutputPin;
use embedded_hal_async::delay::DelayNs;
use heapless::Deque;

use crate::client::{BearerConfig, MqttSession, Session};
use crate::dialects::MqttMessage;
use crate::dialects::identity::RegOutcome;

mod backoff;
mod ca;
mod outbox;
mod pins;
mod supervised;

pub use backoff::{Backoff, BackoffPolicy, XorShift32};
pub use ca::{CA_CHUNK, CaCheck, CaFile};
pub use outbox::{Full, Outbox, RECORD_OVERHEAD};
pub use pins::{NoPin, PinTimings};
pub use supervised::{CfunRestart, Cmee, Failure, Family, Sim, Supervised};

/// Why the device stopped. Retrying would not help: something must change first.
///
/// ```
/// use atmodem::device::StopReason;
/// assert_ne!(StopReason::BadCredentials(4), StopReason::BadCredentials(5));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum StopReason {
    /// The broker refused the credentials: CONNACK 4 (bad user name or password) or 5 (not
    /// authorized). Tried exactly once.
    BadCredentials(u8),
    /// The network denied the registration (stat 3).
    RegistrationDenied,
    /// No SIM (`+CME ERROR: 10`, `NOT INSERTED`, SIM failure).
    NoSim,
    /// The SIM needs a PIN and the configuration has none.
    PinRequired,
    /// The configured PIN was refused (`+CME ERROR: 16`); entered once only.
    WrongPin,
    /// The SIM needs a PUK (or another code the device cannot enter).
    SimLocked,
    /// The transport failed or closed.
    Transport,
    /// The session's login declares a `securemode` its TLS setting does not match
    /// ([`MqttSession::transport_matches`](crate::client::MqttSession::transport_matches)):
    /// a configuration error, found before anything is sent to the module.
    TransportMismatch,
}

/// Why the session was lost.
///
/// ```
/// use atmodem::device::{Disconnect, Event};
/// assert_eq!(format!("{:?}", Event::Disconnected(Disconnect::Bearer)), "Disconnected(Bearer)");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Disconnect {
    /// The broker or the module closed the MQTT link (`+QMTSTAT`, `CLOSED`).
    Mqtt,
    /// The network deactivated the bearer (`+QIURC: "pdpdeact"`, `+PDP DEACT`).
    Bearer,
    /// The module rebooted or powered down.
    Rebooted,
    /// A wait or a publish found the link down; the cause is looked up before reconnecting.
    Link,
    /// The module stopped answering; it is being recovered.
    Wedged,
}

/// A recovery step taken on a wedged module.
///
/// ```
/// use atmodem::device::{Event, Recovery};
/// assert!(matches!(Event::Recovering(Recovery::Reset), Event::Recovering(_)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Recovery {
    /// Resynchronisation (marker commands).
    Resync,
    /// RESET pin pulse, or `AT+CFUN=1,1` without a RESET pin.
    Reset,
    /// PWRKEY power cycle.
    PowerCycle,
}

/// What the application sees.
///
/// ```
/// use atmodem::device::Event;
/// // Events other than `Message` borrow nothing.
/// let e: Event<'static> = Event::Signal(-65);
/// assert_eq!(e, Event::Signal(-65));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Event<'a> {
    /// Registered on the network (after each bring-up).
    Registered,
    /// The signal strength read after registration, in dBm, when it changed.
    Signal(i16),
    /// The session is up: subscribed to every filter, queued messages sent.
    Connected,
    /// The session was lost; the device reconnects by itself.
    Disconnected(Disconnect),
    /// The module rebooted (`RDY`): everything is brought up again.
    Rebooted,
    /// A wedged module is being recovered.
    Recovering(Recovery),
    /// The device stopped; every later call returns this again.
    Stopped(StopReason),
    /// A message arrived, borrowed from the client until the next call.
    Message(MqttMessage<'a>),
    /// Nothing happened for `idle_ms` while connected (a chance for periodic work), or the
    /// link went down during the wait: the next call reports why and reconnects.
    Idle,
}

/// What [`Device::publish`] did with a message.
///
/// ```
/// use atmodem::device::Sent;
/// assert_ne!(Sent::Delivered, Sent::Queued);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Sent {
    /// Handed to the broker (QoS 1: acknowledged).
    Delivered,
    /// Offline (or the publish failed on the way): queued, sent after the next connect.
    Queued,
}

/// What a device call can fail with.
///
/// ```
/// use atmodem::device::DeviceError;
/// assert_eq!(DeviceError::<()>::Offline.to_string(), "offline");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum DeviceError<E> {
    /// A QoS 0 publish while the session is down: not queued (QoS 0 promises nothing).
    #[error("offline")]
    Offline,
    /// The outbound queue has no room for this QoS 1 message (counted in
    /// [`DeviceStats::dropped_outbound`]).
    #[error("outbound queue full")]
    QueueFull,
    /// QoS other than 0 or 1 (Aliyun takes only those).
    #[error("QoS must be 0 or 1")]
    Qos,
    /// The device stopped.
    #[error("stopped: {0:?}")]
    Stopped(StopReason),
    /// The modem failed this call (the device recovers by itself).
    #[error("modem error")]
    Modem(E),
}

/// A modem error as the device's, so that `?` carries it.
///
/// ```
/// use atmodem::client::{Awaited, Error};
/// use atmodem::device::DeviceError;
/// let e: DeviceError<Error<()>> = Error::Timeout(Awaited::Answer("+CSQ")).into();
/// assert_eq!(e, DeviceError::Modem(Error::Timeout(Awaited::Answer("+CSQ"))));
/// ```
impl<E> From<E> for DeviceError<E> {
    fn from(e: E) -> Self {
        Self::Modem(e)
    }
}

/// Counters of what the device did.
///
/// ```
/// use atmodem::device::DeviceStats;
/// assert_eq!(DeviceStats::default().power_cycles, 0);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct DeviceStats {
    /// Sessions brought up again after a loss (the first connect is not counted).
    pub reconnects: u32,
    /// Reboots seen (`RDY`).
    pub reboots: u32,
    /// Resynchronisations of a wedged module.
    pub resyncs: u32,
    /// Resets (RESET pulse or `AT+CFUN=1,1`).
    pub resets: u32,
    /// PWRKEY power cycles.
    pub power_cycles: u32,
    /// Time spent in back-off, in milliseconds.
    pub backoff_ms: u64,
    /// QoS 1 messages refused because the outbound queue was full, and queued ones
    /// dropped because they can never be sent ([`Failure::Rejected`]).
    pub dropped_outbound: u32,
    /// Events dropped because nobody took them (only `next_message` was called).
    pub dropped_events: u32,
    /// CA files the TLS step uploaded (missing or different in the module); a bring-up
    /// that finds the same file uploads nothing.
    pub ca_uploads: u32,
}

/// What the device is configured with.
///
/// ```
/// use atmodem::client::{BearerConfig, MqttLogin, MqttSession};
/// use atmodem::device::DeviceConfig;
/// let subs = [("d/down", 1)];
/// let cfg = DeviceConfig::new(BearerConfig::default(), MqttSession::new("h", 1883, MqttLogin::ClientId("d")), &subs);
/// assert_eq!(cfg.wedge_after, 3);
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct DeviceConfig<'a> {
    /// The bearer to bring up.
    pub bearer: BearerConfig<'a>,
    /// The MQTT session (its `client` index is the one supervised).
    pub session: MqttSession<'a>,
    /// Topic filters and their QoS, subscribed after every connect (the broker does not
    /// keep them for a clean session, and Aliyun's automatic subscription is for its SDK).
    pub subscriptions: &'a [(&'a str, u8)],
    /// The SIM PIN, if the SIM needs one (never printed by `Debug`).
    pub pin: Option<&'a str>,
    /// Back-off after network and broker losses.
    pub backoff: BackoffPolicy,
    /// Seed of the jitter (make it differ per device).
    pub seed: u32,
    /// How long to wait for registration before backing off, in milliseconds.
    pub registration_timeout_ms: u32,
    /// Pause between registration reads, in milliseconds.
    pub registration_poll_ms: u32,
    /// Timeouts in a row after which the module counts as wedged.
    pub wedge_after: u8,
    /// Pin timings.
    pub pins: PinTimings,
    /// How long [`Device::next_event`] waits for a message before [`Event::Idle`].
    pub idle_ms: u32,
    /// The CA file the TLS session's SSL context trusts ([`MqttSession::tls`]): checked
    /// after the bearer of each bring-up, uploaded only when the module does not hold it
    /// already ([`Supervised::install_ca`]). `None`: the module is set up otherwise.
    ///
    /// ```
    /// use atmodem::aliyun::ca;
    /// use atmodem::client::{BearerConfig, MqttLogin, MqttSession};
    /// use atmodem::device::{CaFile, DeviceConfig};
    /// let s = MqttSession { tls: Some(2), ..MqttSession::new("h", 8883, MqttLogin::ClientId("d")) };
    /// let cfg = DeviceConfig { ca: Some(CaFile::new(ca::CA_FILE, ca::BUNDLE)), ..DeviceConfig::new(BearerConfig::default(), s, &[]) };
    /// assert!(format!("{cfg:?}").contains("aliyun_ca.pem"));
    /// ```
    pub ca: Option<CaFile<'a>>,
}

impl core::fmt::Debug for DeviceConfig<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("DeviceConfig")
            .field("bearer", &self.bearer)
            .field("session", &self.session)
            .field("subscriptions", &self.subscriptions)
            .field("pin", &self.pin.map(|_| "<redacted>"))
            .field("backoff", &self.backoff)
            .field("registration_timeout_ms", &self.registration_timeout_ms)
            .field("wedge_after", &self.wedge_after)
            .field("ca", &self.ca)
            .finish_non_exhaustive()
    }
}

impl<'a> DeviceConfig<'a> {
    /// A configuration with the defaults: no PIN, [`BackoffPolicy::default`], seed 1,
    /// registration within 120 s read every second, wedged after 3 timeouts in a row,
    /// [`PinTimings::default`], idle after 60 s.
    ///
    /// ```
    /// use atmodem::client::{BearerConfig, MqttLogin, MqttSession};
    /// use atmodem::device::DeviceConfig;
    /// let s = MqttSession::new("h", 1883, MqttLogin::ClientId("d"));
    /// let cfg = DeviceConfig { pin: Some("1234"), ..DeviceConfig::new(BearerConfig::default(), s, &[]) };
    /// assert!(!format!("{cfg:?}").contains("1234"));
    /// ```
    pub const fn new(
        bearer: BearerConfig<'a>,
        session: MqttSession<'a>,
        subscriptions: &'a [(&'a str, u8)],
    ) -> Self {
        Self {
            bearer,
            session,
            subscriptions,
            pin: None,
            backoff: BackoffPolicy {
                initial_ms: 2_000,
                max_ms: 120_000,
                jitter_permille: 250,
            },
            seed: 1,
            registration_timeout_ms: 120_000,
            registration_poll_ms: 1_000,
            wedge_after: 3,
            pins: PinTimings::QUECTEL_EC2X,
            idle_ms: 60_000,
            ca: None,
        }
    }
}

/// Where the bring-up stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// Power the module on if it does not answer (only with a power pin).
    PowerOn,
    /// `AT`, `ATE0`, `AT+CMEE=2`.
    Ready,
    /// `AT+CPIN?` (and the PIN).
    Sim,
    /// Registration.
    Register,
    /// The bearer.
    Bearer,
    /// The CA file of a TLS session ([`DeviceConfig::ca`]), once per bring-up.
    Tls,
    /// The MQTT session.
    Session,
    /// Subscriptions, from this index on.
    Subscribe(usize),
    /// Sending the queued messages.
    Flush,
    /// Connected.
    Online,
    /// A link was found down by a call that could not look at the client: look up which
    /// (and report it when the session was up), then reconnect.
    Recheck(bool),
    /// Stopped.
    Stopped(StopReason),
}

/// Events held for the application.
const EVENTS: usize = 8;

/// A wait before the next step.
#[derive(Debug, Clone, Copy)]
struct Wait {
    ms: u32,
    backoff: bool,
}

/// The supervisor. See the [module docs](self).
///
/// ```
/// use atmodem::client::{BearerConfig, Client, MqttLogin, MqttSession, State};
/// use atmodem::device::{Device, DeviceConfig, DeviceError};
/// use atmodem::dialects::luat::Luat;
/// use atmodem::sim::{InstantDelay, SimModem};
/// let s = MqttSession::new("h", 1883, MqttLogin::ClientId("d"));
/// let mut state: State = State::new();
/// let client: Client<_, _, Luat> = Client::new(SimModem::new("").unwrap(), InstantDelay, &mut state);
/// let mut dev: Device<_, _> = Device::new(client, InstantDelay, DeviceConfig::new(BearerConfig::default(), s, &[]));
/// // Offline: QoS 0 is refused, not queued.
/// assert!(matches!(embassy_futures::block_on(dev.publish("t", b"x", 0)), Err(DeviceError::Offline)));
/// ```
///
/// `C` is the client ([`Supervised`]), `DL` the device's delay (back-off, pin pulses),
/// `RST` and `PWR` the RESET and PWRKEY pins ([`NoPin`] when not wired), `OUT` the bytes of
/// the outbound queue.
pub struct Device<'a, C, DL, RST = NoPin, PWR = NoPin, const OUT: usize = 1024> {
    client: C,
    delay: DL,
    cfg: DeviceConfig<'a>,
    reset: Option<RST>,
    power: Option<PWR>,
    step: Step,
    backoff: Backoff,
    rng: XorShift32,
    wait: Option<Wait>,
    timeouts: u8,
    escalation: u8,
    outbox: Outbox<OUT>,
    events: Deque<Event<'static>, EVENTS>,
    stats: DeviceStats,
    connected_once: bool,
    session_opened: bool,
    pin_tried: bool,
    reg_waited_ms: u32,
    signal: Option<i16>,
    /// A pin pulse was interrupted: release both pins first.
    pin_held: bool,
    /// The TLS step has checked the CA file since the last bring-up from `Ready`.
    tls_ready: bool,
    /// The handle of the session the last session step started.
    live: Option<Session>,
}

impl<C, DL, RST, PWR, const OUT: usize> core::fmt::Debug for Device<'_, C, DL, RST, PWR, OUT> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Device")
            .field("step", &self.step)
            .field("queued", &self.outbox.len())
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

fn push_event(
    events: &mut Deque<Event<'static>, EVENTS>,
    stats: &mut DeviceStats,
    ev: Event<'static>,
) {
    if events.is_full() {
        events.pop_front();
        stats.dropped_events = stats.dropped_events.saturating_add(1);
    }
    let _ = events.push_back(ev);
}

/// The session was found down by a call that cannot look at the client any more: the
/// next check looks up why, and reports it when the session was up.
fn link_lost(step: &mut Step) {
    if !matches!(step, Step::Stopped(_) | Step::Recheck(_)) {
        *step = Step::Recheck(*step == Step::Online);
    }
}

impl<'a, C, DL> Device<'a, C, DL>
where
    C: Supervised,
    DL: DelayNs,
{
    /// A device over `client`, with no pins. Nothing is sent until the first
    /// [`next_event`](Self::next_event) (or `next_message` / `publish`).
    ///
    /// ```
    /// use atmodem::client::{BearerConfig, Client, MqttLogin, MqttSession, State};
    /// use atmodem::device::{Device, DeviceConfig};
    /// use atmodem::dialects::luat::Luat;
    /// use atmodem::sim::{InstantDelay, SimModem};
    /// let s = MqttSession::new("h", 1883, MqttLogin::ClientId("d"));
    /// let mut state: State = State::new();
    /// let client: Client<_, _, Luat> = Client::new(SimModem::new("").unwrap(), InstantDelay, &mut state);
    /// let dev: Device<_, _> = Device::new(client, InstantDelay, DeviceConfig::new(BearerConfig::default(), s, &[]));
    /// assert!(!dev.is_online());
    /// ```
    pub fn new(client: C, delay: DL, cfg: DeviceConfig<'a>) -> Self {
        Self::with_pins(client, delay, cfg, None, None)
    }
}

impl<'a, C, DL, RST, PWR, const OUT: usize> Device<'a, C, DL, RST, PWR, OUT>
where
    C: Supervised,
    DL: DelayNs,
    RST: OutputPin,
    PWR: OutputPin,
{
    /// A device with its RESET and PWRKEY pins (either may be `None`). With a power pin the
    /// first bring-up pulses it when the module does not answer `AT` (a running module is
    /// not pulsed: PWRKEY would turn it off).
    ///
    /// ```
    /// use atmodem::client::{BearerConfig, Client, MqttLogin, MqttSession, State};
    /// use atmodem::device::{Device, DeviceConfig, NoPin};
    /// use atmodem::dialects::quectel::Quectel;
    /// use atmodem::sim::{InstantDelay, SimModem};
    /// let s = MqttSession::new("h", 1883, MqttLogin::ClientId("d"));
    /// let mut state: State = State::new();
    /// let client: Client<_, _, Quectel> = Client::new(SimModem::new("").unwrap(), InstantDelay, &mut state);
    /// let cfg = DeviceConfig::new(BearerConfig::default(), s, &[]);
    /// let dev: Device<_, _, NoPin, NoPin, 256> = Device::with_pins(client, InstantDelay, cfg, Some(NoPin), None);
    /// assert_eq!(dev.stats().resets, 0);
    /// ```
    pub fn with_pins(
        client: C,
        delay: DL,
        cfg: DeviceConfig<'a>,
        reset: Option<RST>,
        power: Option<PWR>,
    ) -> Self {
        let step = if !cfg.session.transport_matches() {
            Step::Stopped(StopReason::TransportMismatch)
        } else if power.is_some() {
            Step::PowerOn
        } else {
            Step::Ready
        };
        Self {
            client,
            delay,
            reset,
            power,
            step,
            backoff: Backoff::new(cfg.backoff),
            rng: XorShift32::new(cfg.seed),
            cfg,
            wait: None,
            timeouts: 0,
            escalation: 0,
            outbox: Outbox::new(),
            events: Deque::new(),
            stats: DeviceStats::default(),
            connected_once: false,
            session_opened: false,
            pin_tried: false,
            reg_waited_ms: 0,
            signal: None,
            pin_held: false,
            tls_ready: false,
            live: None,
        }
    }

    /// The client (e.g. for a command the device does not send).
    ///
    /// Commands sent through it while the device is online are fine; closing the session
    /// behind the device's back is seen as a loss and repaired.
    /// ```
    /// # use atmodem::client::{BearerConfig, Client, MqttLogin, MqttSession, State};
    /// # use atmodem::device::{Device, DeviceConfig};
    /// # use atmodem::dialects::quectel::Quectel;
    /// # use atmodem::sim::{InstantDelay, SimModem};
    /// # let s = MqttSession::new("h", 1883, MqttLogin::ClientId("d"));
    /// # let mut state: State = State::new();
    /// # let client: Client<_, _, Quectel> = Client::new(SimModem::new("").unwrap(), InstantDelay, &mut state);
    /// let mut dev: Device<_, _> = Device::new(client, InstantDelay, DeviceConfig::new(BearerConfig::default(), s, &[]));
    /// assert_eq!(dev.client().queued_urcs(), 0);
    /// ```
    pub fn client(&mut self) -> &mut C {
        &mut self.client
    }

    /// Give the client back.
    /// ```
    /// # use atmodem::client::{BearerConfig, Client, MqttLogin, MqttSession, State};
    /// # use atmodem::device::{Device, DeviceConfig};
    /// # use atmodem::dialects::quectel::Quectel;
    /// # use atmodem::sim::{InstantDelay, SimModem};
    /// # let s = MqttSession::new("h", 1883, MqttLogin::ClientId("d"));
    /// # let mut state: State = State::new();
    /// # let client: Client<_, _, Quectel> = Client::new(SimModem::new("").unwrap(), InstantDelay, &mut state);
    /// let mut dev: Device<_, _> = Device::new(client, InstantDelay, DeviceConfig::new(BearerConfig::default(), s, &[]));
    /// let client = dev.release();
    /// assert!(client.transport().is_done());
    /// ```
    pub fn release(self) -> C {
        self.client
    }

    /// The counters.
    /// ```
    /// # use atmodem::client::{BearerConfig, Client, MqttLogin, MqttSession, State};
    /// # use atmodem::device::{Device, DeviceConfig};
    /// # use atmodem::dialects::quectel::Quectel;
    /// # use atmodem::sim::{InstantDelay, SimModem};
    /// # let s = MqttSession::new("h", 1883, MqttLogin::ClientId("d"));
    /// # let mut state: State = State::new();
    /// # let client: Client<_, _, Quectel> = Client::new(SimModem::new("").unwrap(), InstantDelay, &mut state);
    /// let mut dev: Device<_, _> = Device::new(client, InstantDelay, DeviceConfig::new(BearerConfig::default(), s, &[]));
    /// assert_eq!(dev.stats().reconnects, 0);
    /// ```
    pub fn stats(&self) -> DeviceStats {
        self.stats
    }

    /// Whether the session is up (as far as the URCs read so far tell).
    /// ```
    /// # use atmodem::client::{BearerConfig, Client, MqttLogin, MqttSession, State};
    /// # use atmodem::device::{Device, DeviceConfig};
    /// # use atmodem::dialects::quectel::Quectel;
    /// # use atmodem::sim::{InstantDelay, SimModem};
    /// # let s = MqttSession::new("h", 1883, MqttLogin::ClientId("d"));
    /// # let mut state: State = State::new();
    /// # let client: Client<_, _, Quectel> = Client::new(SimModem::new("").unwrap(), InstantDelay, &mut state);
    /// let mut dev: Device<_, _> = Device::new(client, InstantDelay, DeviceConfig::new(BearerConfig::default(), s, &[]));
    /// assert!(!dev.is_online());
    /// ```
    pub fn is_online(&self) -> bool {
        self.step == Step::Online
    }

    /// Why the device stopped, if it did.
    /// ```
    /// # use atmodem::client::{BearerConfig, Client, MqttLogin, MqttSession, State};
    /// # use atmodem::device::{Device, DeviceConfig};
    /// # use atmodem::dialects::quectel::Quectel;
    /// # use atmodem::sim::{InstantDelay, SimModem};
    /// # let s = MqttSession::new("h", 1883, MqttLogin::ClientId("d"));
    /// # let mut state: State = State::new();
    /// # let client: Client<_, _, Quectel> = Client::new(SimModem::new("").unwrap(), InstantDelay, &mut state);
    /// let mut dev: Device<_, _> = Device::new(client, InstantDelay, DeviceConfig::new(BearerConfig::default(), s, &[]));
    /// assert_eq!(dev.stopped(), None);
    /// ```
    pub fn stopped(&self) -> Option<StopReason> {
        match self.step {
            Step::Stopped(r) => Some(r),
            _ => None,
        }
    }

    /// QoS 1 messages waiting in the outbound queue.
    /// ```
    /// # use atmodem::client::{BearerConfig, Client, MqttLogin, MqttSession, State};
    /// # use atmodem::device::{Device, DeviceConfig};
    /// # use atmodem::dialects::quectel::Quectel;
    /// # use atmodem::sim::{InstantDelay, SimModem};
    /// # let s = MqttSession::new("h", 1883, MqttLogin::ClientId("d"));
    /// # let mut state: State = State::new();
    /// # let client: Client<_, _, Quectel> = Client::new(SimModem::new("").unwrap(), InstantDelay, &mut state);
    /// let mut dev: Device<_, _> = Device::new(client, InstantDelay, DeviceConfig::new(BearerConfig::default(), s, &[]));
    /// // Offline: a QoS 1 message is queued, nothing is sent.
    /// let sent = embassy_futures::block_on(dev.publish("t", b"x", 1));
    /// assert_eq!(sent, Ok(atmodem::device::Sent::Queued));
    /// assert_eq!(dev.queued(), 1);
    /// ```
    pub fn queued(&self) -> usize {
        self.outbox.len()
    }

    /// The next thing the application should see. Drives the bring-up and every recovery
    /// until there is an event; once connected, waits up to `idle_ms` for a message
    /// ([`Event::Message`]) and returns [`Event::Idle`] when none came (the client's
    /// `mqtt_next_message` timed out; the session is untouched) or the link went down
    /// during the wait (the next call reports the [`Event::Disconnected`]).
    ///
    /// - **Timeouts** of module calls are counted: `wedge_after` in a row start a recovery
    ///   ([`Event::Recovering`]). Other failures back off and retry.
    /// - **A reboot** is reported ([`Event::Rebooted`], after [`Event::Disconnected`] when
    ///   it ended a session) and everything is brought up again; queued messages stay.
    /// - **Cancellation**: cancel-safe. Dropped in the middle of a step, the step is done
    ///   again by the next call (the client resynchronises first); dropped in a back-off,
    ///   the whole back-off is waited again; dropped during a pin pulse, the pin is
    ///   released first by the next call. Events are never lost to a dropped call. A
    ///   call dropped again and again before its step can finish makes no progress: give
    ///   it at least the module's command times now and then.
    /// - After [`Event::Stopped`] every call returns it again at once.
    ///
    /// ```no_run
    /// # use atmodem::device::{Device, Event, Supervised};
    /// # async fn run<C: Supervised, DL: embedded_hal_async::delay::DelayNs>(dev: &mut Device<'_, C, DL>) {
    /// loop {
    ///     match dev.next_event().await {
    ///         Event::Message(m) => { let _ = (m.topic, m.payload); }
    ///         Event::Connected | Event::Idle => { let _ = dev.publish("t", b"up", 1).await; }
    ///         Event::Stopped(reason) => { let _ = reason; break; }
    ///         _ => {}
    ///     }
    /// }
    /// # }
    /// ```
    pub async fn next_event(&mut self) -> Event<'_> {
        self.drive(true).await;
        if let Some(ev) = self.events.pop_front() {
            return ev;
        }
        if let Step::Stopped(r) = self.step {
            return Event::Stopped(r);
        }
        let session = self.session();
        let idle = self.cfg.idle_ms;
        let Self { client, step, .. } = self;
        match client.mqtt_next_message(session, idle).await {
            Ok(m) => Event::Message(m),
            Err(e) => match C::failure(&e) {
                Failure::SessionDown | Failure::Rebooted => {
                    link_lost(step);
                    Event::Idle
                }
                Failure::Transport => {
                    *step = Step::Stopped(StopReason::Transport);
                    Event::Stopped(StopReason::Transport)
                }
                _ => Event::Idle,
            },
        }
    }

    /// The next message, keeping the link supervised: brings the session up first when it
    /// is down (events meanwhile are kept for [`next_event`](Self::next_event)), then
    /// waits up to `timeout_ms`. `Ok(None)` when no message came in time, or when the link
    /// went down during the wait (the next call reconnects first). What the client's
    /// `mqtt_next_message` returns on a timeout ([`Error::Timeout`](crate::client::Error::Timeout),
    /// session untouched) is this `Ok(None)`.
    ///
    /// # Errors
    /// [`DeviceError::Stopped`] once stopped; [`DeviceError::Modem`] for other failures of
    /// the wait (a full URC queue, a garbled message).
    ///
    /// # Cancel safety
    /// As [`next_event`](Self::next_event); messages stay queued in the client.
    ///
    /// ```no_run
    /// # use atmodem::device::{Device, Supervised};
    /// # async fn run<C: Supervised, DL: embedded_hal_async::delay::DelayNs>(dev: &mut Device<'_, C, DL>) {
    /// while let Ok(m) = dev.next_message(30_000).await {
    ///     if let Some(m) = m { let _ = m.payload; }
    /// }
    /// # }
    /// ```
    pub async fn next_message(
        &mut self,
        timeout_ms: u32,
    ) -> Result<Option<MqttMessage<'_>>, DeviceError<C::Error>> {
        self.drive(false).await;
        if let Step::Stopped(r) = self.step {
            return Err(DeviceError::Stopped(r));
        }
        let session = self.session();
        let Self { client, step, .. } = self;
        match client.mqtt_next_message(session, timeout_ms).await {
            Ok(m) => Ok(Some(m)),
            Err(e) => match C::failure(&e) {
                Failure::Timeout => Ok(None),
                Failure::SessionDown | Failure::Rebooted => {
                    link_lost(step);
                    Ok(None)
                }
                Failure::Transport => {
                    *step = Step::Stopped(StopReason::Transport);
                    Err(DeviceError::Modem(e))
                }
                _ => Err(DeviceError::Modem(e)),
            },
        }
    }

    /// Publish, at any time. Connected: sent at once (QoS 1 waits for the broker's
    /// acknowledgement; a QoS 0 publish on Quectel also waits for the module's `+QMTPUBEX`
    /// result, as the manual describes `AT+QMTPUBEX`). Offline, a QoS 1 message is queued
    /// and sent, in order, after the next connect; a QoS 1 publish that fails on the way
    /// (link lost, no acknowledgement in time, `ERROR`) is queued too, so it may arrive
    /// twice (QoS 1 is at least once); one that can never be sent ([`Failure::Rejected`]:
    /// a topic that does not encode, a message longer than the client's buffers) is not. Nothing is sent while the device is offline: this does not
    /// bring the session up, [`next_event`](Self::next_event) does.
    ///
    /// # Errors
    /// [`DeviceError::Offline`] for QoS 0 while offline; [`DeviceError::QueueFull`] when a
    /// QoS 1 message does not fit (counted); [`DeviceError::Qos`] for QoS above 1;
    /// [`DeviceError::Stopped`]; [`DeviceError::Modem`] when a QoS 0 publish failed or the
    /// request was [`Failure::Rejected`].
    ///
    /// # Cancel safety
    /// Dropped while sending, the message may or may not have been delivered, and is not
    /// queued; the next call resynchronises the client.
    ///
    /// ```no_run
    /// # use atmodem::device::{Device, DeviceError, Sent, Supervised};
    /// # async fn run<C: Supervised, DL: embedded_hal_async::delay::DelayNs>(dev: &mut Device<'_, C, DL>) {
    /// match dev.publish("dev-1/up", b"{\"t\":21}", 1).await {
    ///     Ok(Sent::Delivered | Sent::Queued) => {}
    ///     Err(DeviceError::QueueFull) => { /* shed load */ }
    ///     Err(_) => {}
    /// }
    /// # }
    /// ```
    pub async fn publish(
        &mut self,
        topic: &str,
        payload: &[u8],
        qos: u8,
    ) -> Result<Sent, DeviceError<C::Error>> {
        if qos > 1 {
            return Err(DeviceError::Qos);
        }
        if let Step::Stopped(r) = self.step {
            return Err(DeviceError::Stopped(r));
        }
        self.check_links();
        if self.step != Step::Online || !self.outbox.is_empty() {
            return match qos {
                0 => Err(DeviceError::Offline),
                _ => self.enqueue(topic, payload),
            };
        }
        let session = self.session();
        match self
            .client
            .mqtt_publish(session, topic, payload, qos, false)
            .await
        {
            Ok(()) => {
                self.timeouts = 0;
                Ok(Sent::Delivered)
            }
            Err(e) => {
                let f = C::failure(&e);
                match f {
                    Failure::SessionDown | Failure::Rebooted => link_lost(&mut self.step),
                    Failure::Timeout => {
                        self.timeouts = self.timeouts.saturating_add(1);
                        // The session may be up: send the queue again.
                        self.step = Step::Flush;
                    }
                    Failure::Transport => self.step = Step::Stopped(StopReason::Transport),
                    Failure::BadCredentials(_) | Failure::Other | Failure::Rejected => {}
                }
                // At least once: a QoS 1 message is kept unless the request itself is bad
                // or the device stopped.
                let keep = !matches!(f, Failure::Rejected | Failure::Transport);
                if qos == 1 && keep {
                    self.enqueue(topic, payload)
                } else {
                    Err(DeviceError::Modem(e))
                }
            }
        }
    }

    fn enqueue(&mut self, topic: &str, payload: &[u8]) -> Result<Sent, DeviceError<C::Error>> {
        match self.outbox.push(topic, payload) {
            Ok(()) => Ok(Sent::Queued),
            Err(Full) => {
                self.stats.dropped_outbound = self.stats.dropped_outbound.saturating_add(1);
                Err(DeviceError::QueueFull)
            }
        }
    }

    fn event(&mut self, ev: Event<'static>) {
        push_event(&mut self.events, &mut self.stats, ev);
    }

    fn stop(&mut self, reason: StopReason) {
        self.step = Step::Stopped(reason);
        self.event(Event::Stopped(reason));
    }

    /// Leave the connected state (reporting it) for `to`.
    fn lose(&mut self, reason: Disconnect, to: Step) {
        if matches!(self.step, Step::Online | Step::Recheck(true)) {
            self.event(Event::Disconnected(reason));
        }
        self.step = to;
    }

    /// The handle of the session the device started, or (before its first session step)
    /// whatever the configured index holds.
    fn session(&self) -> Session {
        self.live
            .unwrap_or_else(|| self.client.mqtt_session(self.cfg.session.client))
    }

    /// Apply what the URCs read so far say about the links.
    fn check_links(&mut self) {
        if matches!(self.step, Step::Stopped(_)) {
            return;
        }
        if self.client.rebooted() {
            self.client.clear_rebooted();
            if matches!(self.step, Step::PowerOn | Step::Ready) {
                // The boot banner of a module being brought up anyway.
                return;
            }
            self.lose(Disconnect::Rebooted, Step::Ready);
            self.event(Event::Rebooted);
            self.stats.reboots = self.stats.reboots.saturating_add(1);
            self.session_opened = false;
            self.pin_tried = false;
            self.wait = None;
            return;
        }
        let live = matches!(
            self.step,
            Step::Session | Step::Subscribe(_) | Step::Flush | Step::Online | Step::Recheck(_)
        );
        if !live {
            return;
        }
        if self.client.bearer_is_down(self.cfg.bearer.cid) {
            self.lose(Disconnect::Bearer, Step::Bearer);
        } else if let Step::Recheck(_) = self.step {
            let reason = if self.client.mqtt_is_down(self.cfg.session.client) {
                Disconnect::Mqtt
            } else {
                Disconnect::Link
            };
            self.lose(reason, Step::Session);
        } else if self.step != Step::Session && self.client.mqtt_is_down(self.cfg.session.client) {
            self.lose(Disconnect::Mqtt, Step::Session);
        } else if self.step == Step::Online && !self.outbox.is_empty() {
            self.step = Step::Flush;
        }
    }

    /// Release a pin left asserted by a dropped pulse.
    fn release_pins(&mut self) {
        if self.pin_held {
            if let Some(p) = self.reset.as_mut() {
                let _ = p.set_low();
            }
            if let Some(p) = self.power.as_mut() {
                let _ = p.set_low();
            }
            self.pin_held = false;
        }
    }

    /// Run steps until online, stopped, or (when `deliver`) an event is waiting.
    async fn drive(&mut self, deliver: bool) {
        self.release_pins();
        loop {
            self.check_links();
            if (deliver && !self.events.is_empty())
                || matches!(self.step, Step::Online | Step::Stopped(_))
            {
                return;
            }
            if let Some(w) = self.wait {
                self.delay.delay_ms(w.ms).await;
                self.wait = None;
                if w.backoff {
                    self.stats.backoff_ms = self.stats.backoff_ms.saturating_add(u64::from(w.ms));
                }
                continue;
            }
            self.client.discard_status_urcs().await;
            match self.advance().await {
                Ok(()) => self.timeouts = 0,
                Err(e) => self.failed(&e).await,
            }
        }
    }

    /// Schedule a back-off before the next attempt.
    fn back_off(&mut self) {
        let ms = self.backoff.next_delay(&mut self.rng);
        self.wait = Some(Wait { ms, backoff: true });
    }

    /// Classify a failed step and decide what comes next.
    async fn failed(&mut self, e: &C::Error) {
        match C::failure(e) {
            Failure::BadCredentials(code) => self.stop(StopReason::BadCredentials(code)),
            Failure::Transport => self.stop(StopReason::Transport),
            Failure::Rebooted => {
                // `RDY` sets the latch (handled next); `POWERED DOWN` alone does not.
                if !self.client.rebooted() {
                    self.step = Step::Ready;
                    self.back_off();
                }
            }
            Failure::SessionDown => {
                if matches!(self.step, Step::Subscribe(_) | Step::Flush) {
                    self.step = Step::Recheck(false);
                }
                self.back_off();
            }
            Failure::Timeout => {
                self.timeouts = self.timeouts.saturating_add(1);
                if self.timeouts >= self.cfg.wedge_after.max(1) {
                    self.timeouts = 0;
                    self.recover().await;
                } else {
                    self.back_off();
                }
            }
            Failure::Other | Failure::Rejected => {
                if matches!(self.step, Step::Subscribe(_) | Step::Flush) {
                    self.step = Step::Session;
                }
                self.back_off();
            }
        }
    }

    /// One recovery step on a wedged module: resync, then reset, then power cycle, in turn
    /// (a step whose pin is missing is skipped).
    async fn recover(&mut self) {
        let t = self.cfg.pins;
        let level = self.escalation;
        self.escalation = self.escalation.wrapping_add(1).checked_rem(3).unwrap_or(0);
        if self.step == Step::Online {
            self.lose(Disconnect::Wedged, Step::Recheck(false));
        }
        match level {
            0 => {
                self.event(Event::Recovering(Recovery::Resync));
                self.stats.resyncs = self.stats.resyncs.saturating_add(1);
                if self.client.resynchronise().await.is_ok() {
                    // In step again: redo the step that timed out.
                    return;
                }
                self.back_off();
            }
            1 => {
                self.event(Event::Recovering(Recovery::Reset));
                self.stats.resets = self.stats.resets.saturating_add(1);
                if let Some(p) = self.reset.as_mut() {
                    self.pin_held = true;
                    pins::pulse(p, &mut self.delay, t.reset_pulse_ms).await;
                    self.pin_held = false;
                } else {
                    let _ = self.client.restart().await;
                }
                self.after_restart(t.boot_ms);
            }
            _ => {
                if self.power.is_none() {
                    self.back_off();
                    return;
                }
                self.event(Event::Recovering(Recovery::PowerCycle));
                self.stats.power_cycles = self.stats.power_cycles.saturating_add(1);
                let Some(p) = self.power.as_mut() else {
                    return;
                };
                self.pin_held = true;
                pins::pulse(p, &mut self.delay, t.power_pulse_ms).await;
                self.delay.delay_ms(t.off_wait_ms).await;
                pins::pulse(p, &mut self.delay, t.power_pulse_ms).await;
                self.pin_held = false;
                self.after_restart(t.boot_ms);
            }
        }
    }

    /// After a reset or power cycle: everything again, after the boot time.
    fn after_restart(&mut self, boot_ms: u32) {
        self.step = Step::Ready;
        self.session_opened = false;
        self.pin_tried = false;
        self.wait = Some(Wait {
            ms: boot_ms,
            backoff: false,
        });
    }

    /// Do the current step.
    async fn advance(&mut self) -> Result<(), C::Error> {
        match self.step {
            Step::PowerOn => {
                if self.client.await_ready().await.is_err()
                    && let Some(p) = self.power.as_mut()
                {
                    self.pin_held = true;
                    pins::pulse(p, &mut self.delay, self.cfg.pins.power_pulse_ms).await;
                    self.pin_held = false;
                    self.wait = Some(Wait {
                        ms: self.cfg.pins.boot_ms,
                        backoff: false,
                    });
                }
                self.step = Step::Ready;
            }
            Step::Ready => {
                self.client.await_ready().await?;
                // A boot banner read by now is this boot's, not a reboot to report.
                self.client.clear_rebooted();
                self.client.echo_off().await?;
                self.client.verbose_errors().await?;
                // The module may have lost (or been given) anything: check the CA again.
                self.tls_ready = false;
                self.step = Step::Sim;
            }
            Step::Sim => self.sim().await?,
            Step::Register => self.register().await?,
            Step::Bearer => {
                self.client.bearer_up(&self.cfg.bearer).await?;
                self.step = Step::Tls;
            }
            Step::Tls => {
                if let (Some(ctx), Some(file), false) =
                    (self.cfg.session.tls, self.cfg.ca, self.tls_ready)
                {
                    if self.client.install_ca(ctx, &file).await? != CaCheck::Kept {
                        self.stats.ca_uploads = self.stats.ca_uploads.saturating_add(1);
                    }
                    self.tls_ready = true;
                }
                self.step = Step::Session;
            }
            Step::Session => {
                let s = self.cfg.session;
                if self.session_opened {
                    // Whatever the index holds now: the last session may be half open.
                    let left = self.client.mqtt_session(s.client);
                    let _ = self.client.mqtt_close(left).await;
                }
                self.session_opened = true;
                self.live = Some(self.client.mqtt_start(&s).await?);
                self.step = Step::Subscribe(0);
            }
            Step::Subscribe(from) => {
                let session = self.session();
                for (i, &(topic, qos)) in self.cfg.subscriptions.iter().enumerate().skip(from) {
                    self.step = Step::Subscribe(i);
                    self.client.mqtt_subscribe(session, topic, qos).await?;
                }
                self.step = Step::Flush;
            }
            Step::Flush => {
                let session = self.session();
                while let Some((topic, payload)) = self.outbox.front() {
                    match self
                        .client
                        .mqtt_publish(session, topic, payload, 1, false)
                        .await
                    {
                        Ok(()) => {}
                        // A message that can never be sent must not block the queue.
                        Err(e) if C::failure(&e) == Failure::Rejected => {
                            self.stats.dropped_outbound =
                                self.stats.dropped_outbound.saturating_add(1);
                        }
                        Err(e) => return Err(e),
                    }
                    self.outbox.pop();
                }
                self.online();
            }
            Step::Recheck(_) => self.step = Step::Session,
            Step::Online | Step::Stopped(_) => {}
        }
        Ok(())
    }

    fn online(&mut self) {
        let was_online = self.step == Step::Online;
        self.step = Step::Online;
        self.backoff.reset();
        self.escalation = 0;
        if was_online {
            return;
        }
        if self.connected_once {
            self.stats.reconnects = self.stats.reconnects.saturating_add(1);
        }
        self.connected_once = true;
        self.event(Event::Connected);
    }

    async fn sim(&mut self) -> Result<(), C::Error> {
        match self.client.sim().await? {
            Sim::Ready => {
                self.step = Step::Register;
                self.reg_waited_ms = 0;
            }
            Sim::PinRequired => match self.cfg.pin {
                None => self.stop(StopReason::PinRequired),
                Some(_) if self.pin_tried => self.stop(StopReason::WrongPin),
                Some(pin) => {
                    self.pin_tried = true;
                    if let Err(e) = self.client.enter_pin(pin).await {
                        if C::is_wrong_pin(&e) {
                            self.stop(StopReason::WrongPin);
                            return Ok(());
                        }
                        return Err(e);
                    }
                }
            },
            Sim::Locked => self.stop(StopReason::SimLocked),
            Sim::NotInserted => self.stop(StopReason::NoSim),
            Sim::NotReady => {
                self.wait = Some(Wait {
                    ms: self.cfg.registration_poll_ms,
                    backoff: false,
                });
            }
        }
        Ok(())
    }

    async fn register(&mut self) -> Result<(), C::Error> {
        match self.client.registration().await? {
            RegOutcome::Registered => {
                // Luat: attached too (`AT+CGATT?`); Quectel: one more read.
                self.client
                    .wait_network(self.cfg.registration_timeout_ms)
                    .await?;
                self.event(Event::Registered);
                if let Ok(Some(dbm)) = self.client.signal_dbm().await
                    && self.signal != Some(dbm)
                {
                    self.signal = Some(dbm);
                    self.event(Event::Signal(dbm));
                }
                self.step = Step::Bearer;
            }
            RegOutcome::Denied => self.stop(StopReason::RegistrationDenied),
            RegOutcome::Wait => {
                let poll = self.cfg.registration_poll_ms;
                self.reg_waited_ms = self.reg_waited_ms.saturating_add(poll);
                if self.reg_waited_ms >= self.cfg.registration_timeout_ms {
                    self.reg_waited_ms = 0;
                    self.back_off();
                } else {
                    self.wait = Some(Wait {
                        ms: poll,
                        backoff: false,
                    });
                }
            }
        }
        Ok(())
    }
}
