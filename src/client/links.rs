//! Session state learned from URCs: which bearers and MQTT clients are known to be down, and
//! whether the module rebooted.

use crate::codec::LinkEvent;

/// Which sessions are known to be down, from the URCs seen. Down is latched until the
/// caller brings the session up again and calls the matching `mark_*_up`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Links {
    /// The module rebooted since the flag was last cleared.
    pub rebooted: bool,
    /// Bit `n` set: bearer / PDP context `n` (0..=31) went down.
    pub bearers_down: u32,
    /// Bit `n` set: MQTT client `n` (0..=7; Luat uses 0) went down.
    pub mqtt_down: u8,
    /// Bit `n` set: MQTT client `n` was configured for the module's buffered receive mode
    /// (Quectel `recv/mode` 1): its messages are fetched with `AT+QMTRECV=<idx>,<recv_id>`.
    pub recv_buffered: u8,
    /// Buffered-mode notices (`+QMTRECV: <idx>,<recv_id>`) that arrived inside the response
    /// of an `AT+QMTRECV` read: bit `recv_id` of entry `idx`, still to be fetched.
    pub(crate) stored_notices: [u8; 8],
    /// Per MQTT client index, the generation of its session: advanced when the session goes
    /// down (a URC, a reboot, a bearer loss, a disconnect or close) and when a new one is
    /// started on the index.
    pub(crate) generations: [u32; 8],
}

/// A handle on one MQTT session: the client index it runs on and the generation it was
/// started in. [`Mqtt::mqtt_start`](super::Mqtt::mqtt_start) and
/// [`Mqtt::mqtt_connect`](super::Mqtt::mqtt_connect) return it, and the calls that act on
/// a session take it. Once that session has gone down (`+QMTSTAT`, Luat `CLOSED`, a
/// disconnect or close, a module reboot, a bearer loss) the handle is stale: every call with
/// it is [`Error::StaleSession`](super::Error::StaleSession) and writes nothing, never a
/// command to whatever session now uses the index.
///
/// ```
/// use atmodem::client::{Links, Session};
/// use atmodem::codec::LinkEvent;
/// let mut l = Links::default();
/// let s: Session = l.session(0);
/// assert!(l.is_current(s));
/// l.apply(LinkEvent::MqttDown(0)); // `+QMTSTAT: 0,1`
/// assert!(!l.is_current(s));
/// assert_eq!(s.index(), l.session(0).index());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Session {
    index: u8,
    generation: u32,
}

impl Session {
    /// The MQTT client index (Quectel 0..=5, Luat 0).
    ///
    /// ```
    /// use atmodem::client::Links;
    /// assert_eq!(Links::default().session(3).index(), 3);
    /// ```
    pub const fn index(self) -> u8 {
        self.index
    }

    /// The generation of the index's session this handle names.
    ///
    /// ```
    /// use atmodem::client::Links;
    /// use atmodem::codec::LinkEvent;
    /// let mut l = Links::default();
    /// let before = l.session(0).generation();
    /// l.apply(LinkEvent::Rebooted);
    /// assert_ne!(l.session(0).generation(), before);
    /// ```
    pub const fn generation(self) -> u32 {
        self.generation
    }
}

fn bit32(n: u8) -> u32 {
    1u32.checked_shl(u32::from(n)).unwrap_or(0)
}

fn bit8(n: u8) -> u8 {
    1u8.checked_shl(u32::from(n)).unwrap_or(0)
}

impl Links {
    /// Record an event.
    ///
    /// ```
    /// use atmodem::client::Links;
    /// use atmodem::codec::LinkEvent;
    /// let mut l = Links::default();
    /// // A deactivated context takes every MQTT client riding on it down too.
    /// l.apply(LinkEvent::BearerDown(1));
    /// assert!(l.bearer_is_down(1) && !l.bearer_is_down(2));
    /// assert!(l.mqtt_is_down(0) && !l.rebooted);
    /// l.apply(LinkEvent::Rebooted);
    /// assert!(l.rebooted && l.bearer_is_down(2));
    /// ```
    pub fn apply(&mut self, ev: LinkEvent) {
        match ev {
            LinkEvent::Rebooted => {
                self.rebooted = true;
                self.bearers_down = u32::MAX;
                self.all_mqtt_down();
                // The booted module has its default receive mode and empty buffers.
                self.recv_buffered = 0;
                self.stored_notices = [0; 8];
            }
            LinkEvent::PoweredDown | LinkEvent::AllBearersDown => {
                self.bearers_down = u32::MAX;
                self.all_mqtt_down();
            }
            LinkEvent::BearerDown(cid) => {
                self.bearers_down |= bit32(cid);
                // Every MQTT client rides on a bearer.
                self.all_mqtt_down();
            }
            LinkEvent::MqttDown(idx) => self.mqtt_went_down(idx),
        }
    }

    /// Every MQTT session down.
    fn all_mqtt_down(&mut self) {
        for idx in 0..8 {
            self.mqtt_went_down(idx);
        }
    }

    /// MQTT client `idx` down; its session's handles go stale. Only a change counts, so
    /// recording the same event twice changes nothing.
    fn mqtt_went_down(&mut self, idx: u8) {
        if !self.mqtt_is_down(idx) {
            self.next_generation(idx);
        }
        self.mqtt_down |= bit8(idx);
    }

    fn next_generation(&mut self, idx: u8) {
        if let Some(g) = self.generations.get_mut(usize::from(idx)) {
            *g = g.wrapping_add(1);
        }
    }

    /// A handle on the session index `idx` holds now: for a session set up outside
    /// [`Mqtt::mqtt_start`](super::Mqtt::mqtt_start) (by raw commands, or before this
    /// client existed), or to close an index whatever holds it.
    ///
    /// ```
    /// use atmodem::client::Links;
    /// let l = Links::default();
    /// assert_eq!(l.session(1), l.session(1));
    /// assert!(l.is_current(l.session(1)));
    /// ```
    pub fn session(&self, idx: u8) -> Session {
        Session {
            index: idx,
            generation: self.generation(idx),
        }
    }

    /// Whether `s` names the session its index holds now (it has not gone down since).
    ///
    /// ```
    /// use atmodem::client::Links;
    /// use atmodem::codec::LinkEvent;
    /// let mut l = Links::default();
    /// let s = l.session(0);
    /// l.apply(LinkEvent::BearerDown(1));
    /// assert!(!l.is_current(s) && l.is_current(l.session(0)));
    /// ```
    pub fn is_current(&self, s: Session) -> bool {
        self.generation(s.index) == s.generation
    }

    /// Whether `s`'s session has ended and no other was started on its index since: the
    /// messages still queued for the index are that session's.
    pub(crate) fn ended(&self, s: Session) -> bool {
        self.mqtt_is_down(s.index) && self.generation(s.index) == s.generation.wrapping_add(1)
    }

    fn generation(&self, idx: u8) -> u32 {
        self.generations
            .get(usize::from(idx))
            .copied()
            .unwrap_or_default()
    }

    /// A new session on `idx` is up: marks it up and returns its handle (earlier handles on
    /// the index are stale from now on).
    pub(crate) fn start_session(&mut self, idx: u8) -> Session {
        self.next_generation(idx);
        self.mark_mqtt_up(idx);
        self.session(idx)
    }

    /// The session on `idx` was ended by the host (disconnect, close).
    pub(crate) fn end_session(&mut self, idx: u8) {
        self.mqtt_went_down(idx);
    }

    /// Whether MQTT client `idx` is down.
    ///
    /// ```
    /// use atmodem::client::Links;
    /// use atmodem::codec::LinkEvent;
    /// let mut l = Links::default();
    /// l.apply(LinkEvent::MqttDown(2)); // `+QMTSTAT: 2,1`
    /// assert!(l.mqtt_is_down(2) && !l.mqtt_is_down(0));
    /// ```
    pub fn mqtt_is_down(&self, idx: u8) -> bool {
        self.mqtt_down & bit8(idx) != 0
    }

    /// Mark MQTT client `idx` up again (after a successful connect).
    ///
    /// ```
    /// use atmodem::client::Links;
    /// use atmodem::codec::LinkEvent;
    /// let mut l = Links::default();
    /// l.apply(LinkEvent::Rebooted);
    /// l.mark_mqtt_up(0);
    /// assert!(!l.mqtt_is_down(0) && l.mqtt_is_down(1));
    /// ```
    pub fn mark_mqtt_up(&mut self, idx: u8) {
        self.mqtt_down &= !bit8(idx);
    }

    /// Whether MQTT client `idx` receives in the module's buffered mode. A reboot clears it
    /// (the booted module has its default receive mode).
    ///
    /// ```
    /// use atmodem::client::Links;
    /// use atmodem::codec::LinkEvent;
    /// let mut l = Links::default();
    /// l.set_recv_buffered(1, true);
    /// assert!(l.is_recv_buffered(1) && !l.is_recv_buffered(0));
    /// l.apply(LinkEvent::Rebooted);
    /// assert!(!l.is_recv_buffered(1));
    /// ```
    pub fn is_recv_buffered(&self, idx: u8) -> bool {
        self.recv_buffered & bit8(idx) != 0
    }

    /// Record whether MQTT client `idx` receives in the module's buffered mode
    /// (`Mqtt::mqtt_configure` does it for [`MqttSession::buffered_receive`]).
    ///
    /// [`MqttSession::buffered_receive`]: super::MqttSession::buffered_receive
    ///
    /// ```
    /// use atmodem::client::Links;
    /// let mut l = Links::default();
    /// l.set_recv_buffered(0, true);
    /// l.set_recv_buffered(0, false);
    /// assert!(!l.is_recv_buffered(0));
    /// ```
    pub fn set_recv_buffered(&mut self, idx: u8, on: bool) {
        if on {
            self.recv_buffered |= bit8(idx);
        } else {
            self.recv_buffered &= !bit8(idx);
        }
    }

    /// Remember a buffered-mode notice taken out of a command's response.
    pub(crate) fn note_stored(&mut self, idx: u8, recv_id: u8) {
        if let Some(n) = self.stored_notices.get_mut(usize::from(idx)) {
            *n |= bit8(recv_id);
        }
    }

    /// Add the notices remembered in `other`.
    pub(crate) fn merge_stored(&mut self, other: &Self) {
        for (n, o) in self.stored_notices.iter_mut().zip(other.stored_notices) {
            *n |= o;
        }
    }

    /// Take one remembered buffered-mode notice of client `idx`, the lowest buffer first.
    pub(crate) fn take_stored(&mut self, idx: u8) -> Option<u8> {
        let n = self.stored_notices.get_mut(usize::from(idx))?;
        if *n == 0 {
            return None;
        }
        let id = n.trailing_zeros();
        *n &= n.wrapping_sub(1);
        u8::try_from(id).ok()
    }

    /// Whether bearer `cid` is down.
    ///
    /// ```
    /// use atmodem::client::Links;
    /// use atmodem::codec::LinkEvent;
    /// let mut l = Links::default();
    /// assert!(!l.bearer_is_down(1));
    /// l.apply(LinkEvent::BearerDown(1)); // context 1 deactivated
    /// assert!(l.bearer_is_down(1));
    /// ```
    pub fn bearer_is_down(&self, cid: u8) -> bool {
        self.bearers_down & bit32(cid) != 0
    }

    /// Mark bearer `cid` up again (after a successful activation).
    ///
    /// ```
    /// use atmodem::client::Links;
    /// use atmodem::codec::LinkEvent;
    /// let mut l = Links::default();
    /// l.apply(LinkEvent::AllBearersDown);
    /// l.mark_bearer_up(1);
    /// assert!(!l.bearer_is_down(1) && l.bearer_is_down(2));
    /// ```
    pub fn mark_bearer_up(&mut self, cid: u8) {
        self.bearers_down &= !bit32(cid);
    }
}
