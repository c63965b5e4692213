//! The seam between the codec and the module families.
//!
//! A [`Dialect`] tells the framer which lines announce a payload ([`Framing`]) and turns lines
//! that are not responses or final codes into its own typed URCs. The codec ships [`Generic`],
//! which knows the 3GPP TS 27.007 / V.250 URCs only; `crate::dialects` adds the families.

use super::urc::Urc;

/// How a line announces a payload, decided from the line's head (the bytes before its first
/// CR or LF).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Framing {
    /// An ordinary line: it ends at its first line terminator.
    Line,
    /// `header` bytes of the line are followed by exactly `len` payload bytes, which may
    /// contain CR and LF; the line then ends at the next terminator after the payload
    /// (e.g. `+QMTRECV: 0,1,"t",5,"hello"`, `+MSUB: "t",5 byte,hello`).
    Inline {
        /// Length of the line's head, up to the first payload byte.
        header: usize,
        /// Exact length of the payload.
        len: usize,
    },
    /// The line ends at its terminator and exactly `len` bytes of data follow it
    /// (e.g. `+HTTPREAD: 12`).
    Following {
        /// Exact length of the data after the line.
        len: usize,
    },
    /// The line is a payload carrier whose announced length cannot be true (beyond the
    /// protocol's documented maximum). The framer refuses it at once: the line, up to its
    /// first terminator, is reported as [`DecodeError::BadLength`](super::DecodeError::BadLength)
    /// and no byte after it is taken as payload.
    Refused,
}

/// A module family's contribution to decoding.
pub trait Dialect {
    /// The family's URC type, borrowing from the decoder's buffer.
    type Urc<'a>: core::fmt::Debug;

    /// What must come between an inline payload ([`Framing::Inline`]) and the line end (the
    /// closing quote of `+QMTRECV`; nothing after a `+MSUB` payload). When the line end is not
    /// found right after it, the payload was cut short (a module that reset in the middle of
    /// it): the framer reports the line as truncated and reads its bytes as lines again, so a
    /// `RDY` inside is not lost.
    const INLINE_TRAILER: &'static [u8] = b"";

    /// Payload rule for a line head. Called once per line, so it must be cheap: look at the
    /// first bytes and return [`Framing::Line`] for anything that is not a payload carrier.
    fn framing(head: &[u8]) -> Framing {
        let _ = head;
        Framing::Line
    }

    /// Turn a line that is neither a final result code nor the in-flight command's response
    /// into a URC. `token` is [`token`](super::token) of the line. Dispatch on the whole
    /// token. `None` means the token is not one this dialect knows (the classifier then reports
    /// the line as [`Item::Unknown`](super::Item::Unknown)); a known token whose fields do not
    /// parse should give a "malformed" variant that keeps the line.
    fn parse_urc<'a>(token: &'a [u8], line: &'a [u8]) -> Option<Self::Urc<'a>>;

    /// The session a URC ends, if any (the module rebooted, a bearer or MQTT link was lost).
    fn link_event(urc: &Self::Urc<'_>) -> Option<LinkEvent> {
        let _ = urc;
        None
    }

    /// The received message a URC carries, if it is one: the MQTT client index, the topic and
    /// the payload, borrowed from the URC's line. The client tags queued lines with the index
    /// and keeps where the topic and payload lie ([`MessageSpans`](super::MessageSpans)), so
    /// that waiting for a client's next message never parses queued lines again, and taking
    /// it does not parse it a second time.
    fn message_parts<'a>(urc: &Self::Urc<'a>) -> Option<(u8, &'a str, &'a [u8])> {
        let _ = urc;
        None
    }

    /// The MQTT client index a URC carries a received message for, if it is one
    /// ([`message_parts`](Self::message_parts)'s first field).
    fn message_client(urc: &Self::Urc<'_>) -> Option<u8> {
        Self::message_parts(urc).map(|(client, _, _)| client)
    }
}

/// An event that changes what a client can still do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum LinkEvent {
    /// The module (re)booted (`RDY`): every session is gone.
    Rebooted,
    /// The module powered down or is shutting down ([`Urc::PoweredDown`]:
    /// `POWERED DOWN`, `NORMAL POWER DOWN`, a voltage power-down): every session is gone,
    /// and nothing is answered until it boots again.
    PoweredDown,
    /// A PDP context / bearer was deactivated (`+QIURC: "pdpdeact",<cid>`, `+SAPBR 1: DEACT`,
    /// `+CGEV: NW PDN DEACT <cid>`, `+CGEV: ME PDN DEACT <cid>`).
    BearerDown(u8),
    /// Every bearer went down at once (Luat `+PDP DEACT`, a packet-domain detach:
    /// `+CGEV: NW DETACH`, `+CGEV: ME DETACH`).
    AllBearersDown,
    /// An MQTT client was closed (`+QMTSTAT: <idx>,<err>`, Luat `CLOSED`).
    MqttDown(u8),
}

impl LinkEvent {
    /// The link events of the 3GPP URCs, for dialects to reuse.
    ///
    /// ```
    /// use atmodem::codec::{LinkEvent, PdpEvent, Urc};
    /// assert_eq!(LinkEvent::of_generic(&Urc::Ready), Some(LinkEvent::Rebooted));
    /// assert_eq!(LinkEvent::of_generic(&Urc::Cgev(PdpEvent::NwPdnDeact(1))), Some(LinkEvent::BearerDown(1)));
    /// assert_eq!(LinkEvent::of_generic(&Urc::Cgev(PdpEvent::MeDetach)), Some(LinkEvent::AllBearersDown));
    /// assert_eq!(LinkEvent::of_generic(&Urc::Cgev(PdpEvent::MePdnAct(1))), None);
    /// assert_eq!(LinkEvent::of_generic(&Urc::PoweredDown), Some(LinkEvent::PoweredDown));
    /// ```
    pub fn of_generic(urc: &Urc<'_>) -> Option<Self> {
        use super::urc::PdpEvent;
        match urc {
            Urc::Ready => Some(Self::Rebooted),
            Urc::PoweredDown => Some(Self::PoweredDown),
            // A context deactivated by the network or by the module itself.
            Urc::Cgev(PdpEvent::NwPdnDeact(cid) | PdpEvent::MePdnDeact(cid)) => {
                Some(Self::BearerDown(*cid))
            }
            // A packet-domain detach: 27.007 §10.1.19 says every active context went down
            // with it, and that they are not reported one by one.
            Urc::Cgev(PdpEvent::NwDetach | PdpEvent::MeDetach) => Some(Self::AllBearersDown),
            _ => None,
        }
    }
}

/// The 3GPP TS 27.007 / V.250 dialect: no payload rules, the URCs of [`Urc`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Generic;

impl Dialect for Generic {
    type Urc<'a> = Urc<'a>;

    fn parse_urc<'a>(token: &'a [u8], line: &'a [u8]) -> Option<Urc<'a>> {
        Urc::parse(token, line)
    }

    fn link_event(urc: &Urc<'_>) -> Option<LinkEvent> {
        LinkEvent::of_generic(urc)
    }
}
