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
                self.mqtt_down = u8::MAX;
                // The booted module has its default receive mode and empty buffers.
                self.recv_buffered = 0;
                self.stored_notices = [0; 8];
            }
            LinkEvent::PoweredDown | LinkEvent::AllBearersDown => {
                self.bearers_down = u32::MAX;
                self.mqtt_down = u8::MAX;
            }
            LinkEvent::BearerDown(cid) => {
                self.bearers_down |= bit32(cid);
                // Every MQTT client rides on a bearer.
                self.mqtt_down = u8::MAX;
            }
            LinkEvent::MqttDown(idx) => self.mqtt_down |= bit8(idx),
        }
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
