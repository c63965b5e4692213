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
}

fn bit32(n: u8) -> u32 {
    1u32.checked_shl(u32::from(n)).unwrap_or(0)
}

fn bit8(n: u8) -> u8 {
    1u8.checked_shl(u32::from(n)).unwrap_or(0)
}

impl Links {
    /// Record an event.
    pub fn apply(&mut self, ev: LinkEvent) {
        match ev {
            LinkEvent::Rebooted => {
                self.rebooted = true;
                self.bearers_down = u32::MAX;
                self.mqtt_down = u8::MAX;
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
    pub fn mqtt_is_down(&self, idx: u8) -> bool {
        self.mqtt_down & bit8(idx) != 0
    }

    /// Mark MQTT client `idx` up again (after a successful connect).
    pub fn mark_mqtt_up(&mut self, idx: u8) {
        self.mqtt_down &= !bit8(idx);
    }

    /// Whether bearer `cid` is down.
    pub fn bearer_is_down(&self, cid: u8) -> bool {
        self.bearers_down & bit32(cid) != 0
    }

    /// Mark bearer `cid` up again (after a successful activation).
    pub fn mark_bearer_up(&mut self, cid: u8) {
        self.bearers_down &= !bit32(cid);
    }
}
