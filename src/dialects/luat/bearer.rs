//! Luat bearer: `AT+SAPBR`.
//!
//! Source: Luat Cat.1 AT manual, `AT+SAPBR` (cmd_type 0 close, 1 open, 2 query, 3 set a
//! parameter, 4 read the parameters; cid 1..=3). The manual gives no timeouts; opening a
//! bearer is a PDP activation, budgeted like Quectel's `AT+QIACT` (150 s).

use nom::{Parser, branch::alt, character::complete::u8 as dec_u8};

use super::UNQUOTABLE;
use super::urc::bare;
use crate::codec::fields::{comma, full, header, quoted_str};
use crate::codec::{CommandWriter, EncodeError, Expect, Lines};
use crate::dialects::{Command, Hidden, ParseError, all_lines, no_response, one_line};

/// `AT+SAPBR=3,<cid>,"<tag>","<value>"`: set a bearer parameter (`"CONTYPE"`, `"APN"`,
/// `"USER"`, `"PWD"`). An [`EncodeError`] names the tag `tag` and the value after the
/// [`BearerConfig`](crate::client::BearerConfig) field it carries: `apn`, `username`,
/// `password` (`value` for other tags).
///
/// `Debug` and `defmt` show the length of a `"PWD"` value only.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SapbrSet<'a> {
    /// Bearer id 1..=3.
    pub cid: u8,
    /// Parameter name.
    pub tag: &'a str,
    /// Its value (`"GPRS"` for `CONTYPE`, whatever the RAT; `""` APN = the network's).
    pub value: &'a str,
}

impl core::fmt::Debug for SapbrSet<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let mut d = f.debug_struct("SapbrSet");
        d.field("cid", &self.cid).field("tag", &self.tag);
        if self.is_secret() {
            d.field("value", &Hidden::of(self.value.as_bytes()));
        } else {
            d.field("value", &self.value);
        }
        d.finish()
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for SapbrSet<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        if self.is_secret() {
            defmt::write!(
                f,
                "SapbrSet {{ cid: {}, tag: {=str}, value: {} }}",
                self.cid,
                self.tag,
                Hidden::of(self.value.as_bytes())
            )
        } else {
            defmt::write!(
                f,
                "SapbrSet {{ cid: {}, tag: {=str}, value: {=str} }}",
                self.cid,
                self.tag,
                self.value
            )
        }
    }
}

impl SapbrSet<'_> {
    /// Whether the value is the bearer password.
    fn is_secret(&self) -> bool {
        self.tag.eq_ignore_ascii_case("PWD")
    }

    /// The name an encoding error gives the value: the field of
    /// [`BearerConfig`](crate::client::BearerConfig) it carries (`apn`, `username`,
    /// `password`), `value` for other tags.
    fn value_name(&self) -> &'static str {
        let tag = self.tag;
        if tag.eq_ignore_ascii_case("APN") {
            "apn"
        } else if tag.eq_ignore_ascii_case("USER") {
            "username"
        } else if tag.eq_ignore_ascii_case("PWD") {
            "password"
        } else {
            "value"
        }
    }
}

impl Command for SapbrSet<'_> {
    no_response!();
    const NAME: &'static str = "+SAPBR";

    fn encode<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], EncodeError> {
        let mut w = CommandWriter::new(buf, Self::NAME);
        w.uint(3)
            .uint(self.cid.into())
            .string_with("tag", self.tag, usize::MAX, UNQUOTABLE)
            .string_with(self.value_name(), self.value, usize::MAX, UNQUOTABLE);
        w.finish()
    }

    fn timeout_ms(&self) -> u32 {
        1_000
    }
}

macro_rules! sapbr_action {
    ($(#[$doc:meta])* $name:ident, $code:literal, $timeout:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[cfg_attr(feature = "defmt", derive(defmt::Format))]
        pub struct $name {
            /// Bearer id 1..=3.
            pub cid: u8,
        }

        impl Command for $name {
            type Response<'a> = ();
            const NAME: &'static str = "+SAPBR";

            fn encode<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], EncodeError> {
                let mut w = CommandWriter::new(buf, Self::NAME);
                w.uint($code).uint(self.cid.into());
                w.finish()
            }

            fn timeout_ms(&self) -> u32 {
                $timeout
            }

            fn parse<'a>(&self, _lines: Lines<'a>) -> Result<(), ParseError> {
                Ok(())
            }
        }
    };
}

sapbr_action!(
    /// `AT+SAPBR=1,<cid>`: open the bearer (`+CME ERROR: 3` if it is already open).
    SapbrOpen,
    1,
    150_000
);
sapbr_action!(
    /// `AT+SAPBR=0,<cid>`: close the bearer.
    SapbrClose,
    0,
    40_000
);

/// `AT+SAPBR=2,<cid>`: bearer state, `+SAPBR: <cid>,<status>,<ip>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SapbrQuery {
    /// Bearer id 1..=3.
    pub cid: u8,
}

/// State of a bearer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum BearerStatus {
    /// 0: connecting.
    Connecting,
    /// 1: connected.
    Connected,
    /// 2: closing.
    Closing,
    /// 3: closed.
    Closed,
    /// Another value.
    Other(u8),
}

impl From<u8> for BearerStatus {
    fn from(v: u8) -> Self {
        match v {
            0 => Self::Connecting,
            1 => Self::Connected,
            2 => Self::Closing,
            3 => Self::Closed,
            o => Self::Other(o),
        }
    }
}

/// `+SAPBR: <cid>,<status>,<ip>`: the address as printed, quoted (`"10.159.1.145"`) or not,
/// possibly zero-padded (`010.169.179.213`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct BearerInfo<'a> {
    /// Bearer id.
    pub cid: u8,
    /// State.
    pub status: BearerStatus,
    /// IP address text as printed, quotes removed.
    pub ip: &'a str,
}

impl<'a> BearerInfo<'a> {
    /// Parse a `+SAPBR: <cid>,<status>,<ip>` line; `None` when the line is not one.
    ///
    /// ```
    /// use atmodem::dialects::luat::{BearerInfo, BearerStatus};
    /// let b = BearerInfo::parse(b"+SAPBR: 1,1,\"10.159.1.145\"").unwrap();
    /// assert_eq!((b.cid, b.status, b.ip), (1, BearerStatus::Connected, "10.159.1.145"));
    /// assert_eq!(BearerInfo::parse(b"+SAPBR 1: DEACT"), None);
    /// ```
    pub fn parse(line: &'a [u8]) -> Option<Self> {
        full(
            line,
            (
                header(b"+SAPBR"),
                dec_u8,
                comma,
                dec_u8,
                comma,
                alt((quoted_str, bare)),
            )
                .map(|(_, cid, _, status, _, ip)| Self {
                    cid,
                    status: status.into(),
                    ip,
                }),
        )
    }

    /// The IPv4 address as four numbers (zero padding removed), if `ip` is a dotted quad.
    ///
    /// ```
    /// use atmodem::dialects::luat::BearerInfo;
    /// let b = BearerInfo::parse(b"+SAPBR: 1,1,010.169.179.213").unwrap();
    /// assert_eq!(b.ipv4(), Some([10, 169, 179, 213]));
    /// ```
    pub fn ipv4(&self) -> Option<[u8; 4]> {
        let mut out = [0u8; 4];
        let mut parts = self.ip.split('.');
        for slot in &mut out {
            *slot = parts.next()?.parse().ok()?;
        }
        parts.next().is_none().then_some(out)
    }
}

impl Command for SapbrQuery {
    type Response<'a> = BearerInfo<'a>;
    const NAME: &'static str = "+SAPBR";

    fn encode<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], EncodeError> {
        let mut w = CommandWriter::new(buf, Self::NAME);
        w.uint(2).uint(self.cid.into());
        w.finish()
    }

    fn expect(&self) -> Expect {
        Expect::tokens(&[b"+SAPBR"])
    }

    fn timeout_ms(&self) -> u32 {
        1_000
    }

    fn parse<'a>(&self, lines: Lines<'a>) -> Result<BearerInfo<'a>, ParseError> {
        one_line::<Self, _>(lines, BearerInfo::parse)
    }
}

/// `AT+SAPBR=4,<cid>`: the bearer's parameters, `+SAPBR:<tag>,<value>` lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SapbrParams {
    /// Bearer id 1..=3.
    pub cid: u8,
}

/// The `(tag, value)` lines of [`SapbrParams`]. `Debug` shows the tags, never the values
/// (one of them is the password).
#[derive(Clone, Copy)]
pub struct BearerParams<'a>(Lines<'a>);

impl core::fmt::Debug for BearerParams<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_list()
            .entries(self.iter().map(|(tag, _)| tag))
            .finish()
    }
}

fn param(line: &[u8]) -> Option<(&str, &str)> {
    full(
        line,
        (
            header(b"+SAPBR"),
            alt((quoted_str, bare)),
            comma,
            alt((quoted_str, bare)),
        )
            .map(|(_, t, _, v)| (t, v)),
    )
}

impl<'a> BearerParams<'a> {
    /// Every `(tag, value)`, quotes removed.
    ///
    /// ```
    /// use atmodem::codec::Lines;
    /// use atmodem::dialects::Command;
    /// use atmodem::dialects::luat::SapbrParams;
    /// let p = SapbrParams { cid: 1 }
    ///     .parse(Lines::from_slice(&[b"+SAPBR: \"CONTYPE\",\"GPRS\"", b"+SAPBR:APN,CMIOT"]))
    ///     .unwrap();
    /// let tags: Vec<_> = p.iter().map(|(t, _)| t).collect();
    /// assert_eq!(tags, ["CONTYPE", "APN"]);
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        self.0.iter().filter_map(param)
    }

    /// The value of `tag` (compared ignoring ASCII case), `None` when it was not listed.
    ///
    /// ```
    /// use atmodem::codec::Lines;
    /// use atmodem::dialects::Command;
    /// use atmodem::dialects::luat::SapbrParams;
    /// let p = SapbrParams { cid: 1 }
    ///     .parse(Lines::from_slice(&[b"+SAPBR: \"CONTYPE\",\"GPRS\"", b"+SAPBR:APN,CMIOT"]))
    ///     .unwrap();
    /// assert_eq!(p.get("contype"), Some("GPRS"));
    /// assert_eq!(p.get("USER"), None);
    /// ```
    pub fn get(&self, tag: &str) -> Option<&'a str> {
        self.iter()
            .find(|(t, _)| t.eq_ignore_ascii_case(tag))
            .map(|(_, v)| v)
    }
}

impl Command for SapbrParams {
    type Response<'a> = BearerParams<'a>;
    const NAME: &'static str = "+SAPBR";

    fn encode<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], EncodeError> {
        let mut w = CommandWriter::new(buf, Self::NAME);
        w.uint(4).uint(self.cid.into());
        w.finish()
    }

    fn expect(&self) -> Expect {
        Expect::tokens(&[b"+SAPBR"])
    }

    fn timeout_ms(&self) -> u32 {
        1_000
    }

    fn parse<'a>(&self, lines: Lines<'a>) -> Result<BearerParams<'a>, ParseError> {
        all_lines::<Self, _>(lines, param).map(BearerParams)
    }
}
