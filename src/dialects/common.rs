//! Commands of ITU-T V.250 and 3GPP TS 27.007 that both families answer the same way.
//!
//! Timeouts: where the Quectel AT manuals give a maximum response time it is used (300 ms for
//! most queries, 5 s for `AT+CPIN?`); the Luat manual gives none, and the same values suit it.

use nom::{Parser, branch::alt, character::complete::u8 as dec_u8, combinator::opt};

use super::{Command, ParseError, all_lines, execute_command, no_response, one_line};
use crate::codec::fields::{comma, full, header, quoted_str, rest_str};
use crate::codec::{
    CommandWriter, EncodeError, Expect, Lines, Registration, SimState, token, token_is,
};

/// Default for the quick queries: the Quectel manuals' "maximum response time 300 ms".
pub const QUERY_TIMEOUT_MS: u32 = 300;

execute_command!(
    /// `AT`: is the module there? On Luat it also sets the baud rate, so it must be the
    /// first command after power-up, upper case.
    At,
    "",
    QUERY_TIMEOUT_MS
);

/// `ATE0` / `ATE1`: command echo off / on (V.250 §6.2.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Echo(pub bool);

impl Command for Echo {
    no_response!();
    const NAME: &'static str = "E";

    fn encode<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], EncodeError> {
        CommandWriter::new(buf, if self.0 { "E1" } else { "E0" }).finish()
    }

    fn timeout_ms(&self) -> u32 {
        QUERY_TIMEOUT_MS
    }
}

/// `AT+CGMR`: the firmware revision.
///
/// Three reply shapes are in use: `+CGMR: "AirM2M_Air724UG_V409_LTE_AT"` (Luat Air724),
/// `Revision: <revision>` (the Luat manual's table) and the bare text
/// `EC200UCNAAR02A03M08` / `AirM2M_780E_V1169_LTE_AT` (Quectel, `ATI`-style).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Cgmr;

/// The firmware revision text of [`Cgmr`], quotes removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Revision<'a>(pub &'a str);

impl<'a> Revision<'a> {
    /// The Luat firmware number: the digits after `_V` (`AirM2M_Air724UG_V409_LTE_AT` → 409).
    /// Aliyun needs 409 or later on the Air72x.
    ///
    /// ```
    /// use atmodem::dialects::common::Revision;
    /// assert_eq!(Revision("AirM2M_Air724UG_V409_LTE_AT").luat_firmware(), Some(409));
    /// assert_eq!(Revision("EC21EFAR06A01M4G").luat_firmware(), None);
    /// ```
    pub fn luat_firmware(&self) -> Option<u32> {
        let text = self.0;
        text.match_indices("_V").find_map(|(i, _)| {
            let digits = text.get(i.saturating_add(2)..)?;
            let end = digits
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(digits.len());
            let n = digits.get(..end)?;
            if n.is_empty() { None } else { n.parse().ok() }
        })
    }
}

impl Command for Cgmr {
    type Response<'a> = Revision<'a>;
    const NAME: &'static str = "+CGMR";

    fn encode<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], EncodeError> {
        CommandWriter::new(buf, Self::NAME).finish()
    }

    fn expect(&self) -> Expect {
        Expect {
            tokens: &[b"+CGMR", b"Revision"],
            bare: true,
        }
    }

    fn timeout_ms(&self) -> u32 {
        QUERY_TIMEOUT_MS
    }

    fn parse<'a>(&self, lines: Lines<'a>) -> Result<Revision<'a>, ParseError> {
        one_line::<Self, _>(lines, |line| {
            let tok = token(line);
            let text = if token_is(tok, b"+CGMR") {
                full(
                    line,
                    (header(b"+CGMR"), alt((quoted_str, rest_str))).map(|(_, s)| s),
                )?
            } else if tok == b"Revision" {
                full(line, (header(b"Revision"), rest_str).map(|(_, s)| s))?
            } else {
                core::str::from_utf8(line).ok()?.trim()
            };
            (!text.is_empty()).then_some(Revision(text))
        })
    }
}

/// `AT+CPIN?`: SIM state. Without a SIM the module answers `+CME ERROR: 10`. Timeout 5 s
/// (Quectel manual).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct CpinRead;

impl Command for CpinRead {
    type Response<'a> = SimState<'a>;
    const NAME: &'static str = "+CPIN";

    fn encode<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], EncodeError> {
        let mut w = CommandWriter::new(buf, Self::NAME);
        w.read();
        w.finish()
    }

    fn expect(&self) -> Expect {
        Expect::tokens(&[b"+CPIN"])
    }

    fn timeout_ms(&self) -> u32 {
        5_000
    }

    fn parse<'a>(&self, lines: Lines<'a>) -> Result<SimState<'a>, ParseError> {
        one_line::<Self, _>(lines, SimState::parse)
    }
}

/// `AT+CSQ`: signal quality.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Csq;

/// `+CSQ: <rssi>,<ber>` (27.007 §8.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SignalQuality {
    /// 0..=31 (−113 dBm .. −51 dBm in 2 dB steps), 99 unknown.
    pub rssi: u8,
    /// Bit error rate class 0..=7, 99 unknown.
    pub ber: u8,
}

impl SignalQuality {
    /// The received signal strength in dBm, if known (`rssi` 0..=31).
    ///
    /// ```
    /// use atmodem::dialects::common::SignalQuality;
    /// // 27.007 §8.5: 0 is -113 dBm, 31 is -51 dBm or more, 99 unknown.
    /// assert_eq!(SignalQuality { rssi: 0, ber: 99 }.dbm(), Some(-113));
    /// assert_eq!(SignalQuality { rssi: 31, ber: 0 }.dbm(), Some(-51));
    /// assert_eq!(SignalQuality { rssi: 99, ber: 99 }.dbm(), None);
    /// ```
    pub fn dbm(&self) -> Option<i16> {
        (self.rssi <= 31).then(|| i16::from(self.rssi).saturating_mul(2).saturating_sub(113))
    }
}

impl Command for Csq {
    type Response<'a> = SignalQuality;
    const NAME: &'static str = "+CSQ";

    fn encode<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], EncodeError> {
        CommandWriter::new(buf, Self::NAME).finish()
    }

    fn expect(&self) -> Expect {
        Expect::tokens(&[b"+CSQ"])
    }

    fn timeout_ms(&self) -> u32 {
        QUERY_TIMEOUT_MS
    }

    fn parse<'a>(&self, lines: Lines<'a>) -> Result<SignalQuality, ParseError> {
        one_line::<Self, _>(lines, |line| {
            full(
                line,
                (header(b"+CSQ"), dec_u8, comma, dec_u8)
                    .map(|(_, rssi, _, ber)| SignalQuality { rssi, ber }),
            )
        })
    }
}

/// `AT+CGATT?`: packet-domain attach state; `true` once attached (`+CGATT: 1`). The Luat
/// note waits for it before opening the bearer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct CgattRead;

impl Command for CgattRead {
    type Response<'a> = bool;
    const NAME: &'static str = "+CGATT";

    fn encode<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], EncodeError> {
        let mut w = CommandWriter::new(buf, Self::NAME);
        w.read();
        w.finish()
    }

    fn expect(&self) -> Expect {
        Expect::tokens(&[b"+CGATT"])
    }

    fn timeout_ms(&self) -> u32 {
        QUERY_TIMEOUT_MS
    }

    fn parse<'a>(&self, lines: Lines<'a>) -> Result<bool, ParseError> {
        one_line::<Self, _>(lines, |line| {
            full(line, (header(b"+CGATT"), dec_u8).map(|(_, s)| s))
                .and_then(|s| (s <= 1).then_some(s == 1))
        })
    }
}

macro_rules! registration_read {
    ($(#[$doc:meta])* $name:ident, $tok:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
        #[cfg_attr(feature = "defmt", derive(defmt::Format))]
        pub struct $name;

        impl Command for $name {
            type Response<'a> = Registration<'a>;
            const NAME: &'static str = $tok;

            fn encode<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], EncodeError> {
                let mut w = CommandWriter::new(buf, Self::NAME);
                w.read();
                w.finish()
            }

            fn expect(&self) -> Expect {
                const TOKENS: &[&[u8]] = &[$tok.as_bytes()];
                Expect::tokens(TOKENS)
            }

            fn timeout_ms(&self) -> u32 {
                QUERY_TIMEOUT_MS
            }

            fn parse<'a>(&self, lines: Lines<'a>) -> Result<Registration<'a>, ParseError> {
                one_line::<Self, _>(lines, |l| Registration::parse_read($tok.as_bytes(), l))
            }
        }
    };
}

registration_read!(
    /// `AT+CEREG?`: EPS (LTE) registration, `+CEREG: <n>,<stat>[,<tac>,<ci>,<AcT>...]`.
    CeregRead,
    "+CEREG"
);
registration_read!(
    /// `AT+CGREG?`: GPRS registration, `+CGREG: <n>,<stat>[,<lac>,<ci>,<AcT>...]`.
    CgregRead,
    "+CGREG"
);
registration_read!(
    /// `AT+CREG?`: circuit-switched registration, `+CREG: <n>,<stat>[,<lac>,<ci>,<AcT>]`.
    CregRead,
    "+CREG"
);

/// `AT+CGPADDR[=<cid>]`: the addresses of the active PDP contexts (27.007 §10.1.14).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Cgpaddr {
    /// Ask for this context only; all contexts when `None`.
    pub cid: Option<u8>,
}

/// One `+CGPADDR: <cid>[,"<addr1>"[,"<addr2>"]]` line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct PdpAddress<'a> {
    /// Context id.
    pub cid: u8,
    /// First address as printed (IPv4 for an IPv4 or IPv4v6 context); `None` when empty.
    pub first: Option<&'a str>,
    /// Second address (IPv6 of an IPv4v6 context); `None` when absent or empty.
    pub second: Option<&'a str>,
}

impl<'a> PdpAddress<'a> {
    /// Parse one `+CGPADDR:` line.
    ///
    /// ```
    /// use atmodem::dialects::common::PdpAddress;
    /// let a = PdpAddress::parse(b"+CGPADDR: 1,\"10.12.34.56\"").unwrap();
    /// assert_eq!((a.cid, a.first, a.second), (1, Some("10.12.34.56"), None));
    /// assert!(PdpAddress::parse(b"+CSQ: 20,99").is_none());
    /// ```
    pub fn parse(line: &'a [u8]) -> Option<Self> {
        let addr = |i: &'a [u8]| {
            opt((comma, opt(quoted_str)))
                .map(|a| a.and_then(|(_, s)| s).filter(|s| !s.is_empty()))
                .parse(i)
        };
        full(
            line,
            (header(b"+CGPADDR"), dec_u8, addr, addr).map(|(_, cid, first, second)| Self {
                cid,
                first,
                second,
            }),
        )
    }

    /// The IPv4 address, if one is printed (dotted quad).
    ///
    /// ```
    /// use atmodem::dialects::common::PdpAddress;
    /// // An IPv4v6 context prints both addresses (27.007 §10.1.14).
    /// let a = PdpAddress::parse(b"+CGPADDR: 1,\"10.0.0.2\",\"2409:8900:0:0:0:0:0:1\"").unwrap();
    /// assert_eq!(a.ipv4(), Some("10.0.0.2"));
    /// ```
    pub fn ipv4(&self) -> Option<&'a str> {
        [self.first, self.second]
            .into_iter()
            .flatten()
            .find(|a| a.bytes().filter(|&b| b == b'.').count() == 3 && !a.contains(':'))
    }
}

/// The `+CGPADDR` lines of [`Cgpaddr`], one per context.
#[derive(Debug, Clone, Copy)]
pub struct PdpAddresses<'a>(Lines<'a>);

impl<'a> PdpAddresses<'a> {
    /// Every context's addresses (lines that are not `+CGPADDR:` are skipped).
    ///
    /// ```
    /// use atmodem::codec::Lines;
    /// use atmodem::dialects::Command;
    /// use atmodem::dialects::common::Cgpaddr;
    /// let lines = [&b"+CGPADDR: 1,\"10.0.0.2\""[..], b"+CGPADDR: 2,\"10.0.1.7\""];
    /// let all = Cgpaddr::default().parse(Lines::from_slice(&lines)).unwrap();
    /// assert!(all.iter().map(|a| a.cid).eq([1, 2]));
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = PdpAddress<'a>> + 'a {
        self.0.iter().filter_map(PdpAddress::parse)
    }

    /// The addresses of context `cid`.
    ///
    /// ```
    /// use atmodem::codec::Lines;
    /// use atmodem::dialects::Command;
    /// use atmodem::dialects::common::Cgpaddr;
    /// let lines = [&b"+CGPADDR: 1,\"10.0.0.2\""[..]];
    /// let all = Cgpaddr::default().parse(Lines::from_slice(&lines)).unwrap();
    /// assert_eq!(all.get(1).and_then(|a| a.ipv4()), Some("10.0.0.2"));
    /// assert!(all.get(2).is_none());
    /// ```
    pub fn get(&self, cid: u8) -> Option<PdpAddress<'a>> {
        self.iter().find(|a| a.cid == cid)
    }
}

impl Command for Cgpaddr {
    type Response<'a> = PdpAddresses<'a>;
    const NAME: &'static str = "+CGPADDR";

    fn encode<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], EncodeError> {
        let mut w = CommandWriter::new(buf, Self::NAME);
        if let Some(cid) = self.cid {
            w.uint(cid.into());
        }
        w.finish()
    }

    fn expect(&self) -> Expect {
        Expect::tokens(&[b"+CGPADDR"])
    }

    fn timeout_ms(&self) -> u32 {
        QUERY_TIMEOUT_MS
    }

    fn parse<'a>(&self, lines: Lines<'a>) -> Result<PdpAddresses<'a>, ParseError> {
        all_lines::<Self, _>(lines, PdpAddress::parse).map(PdpAddresses)
    }
}
