//! Quectel PDP contexts and cell information: `AT+QICSGP`, `AT+QIACT`, `AT+QIDEACT`,
//! `AT+QENG="servingcell"`.
//!
//! Source: Quectel "TCP/IP Application Note" and EC2x AT Commands Manual (maximum response
//! times: `AT+QICSGP` 300 ms, `AT+QIACT` 150 s, `AT+QIDEACT` 40 s, `AT+QENG` 300 ms).

use nom::{
    Parser,
    branch::alt,
    bytes::complete::take_till,
    character::complete::{i16 as dec_i16, u8 as dec_u8, u16 as dec_u16, u32 as dec_u32},
    combinator::{map_res, opt},
};

use crate::codec::fields::{Res, comma, full, header, quoted_str, trim};
use crate::codec::{CommandWriter, EncodeError, Expect, Lines};
use crate::dialects::{Command, ParseError, Redacted, all_lines, no_response, one_line};

/// PDP type of `AT+QICSGP`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum PdpType {
    /// 1: IPv4.
    Ipv4,
    /// 2: IPv6.
    Ipv6,
    /// 3: IPv4v6.
    Ipv4v6,
}

impl PdpType {
    const fn code(self) -> u8 {
        match self {
            Self::Ipv4 => 1,
            Self::Ipv6 => 2,
            Self::Ipv4v6 => 3,
        }
    }

    fn from_code(c: u8) -> Option<Self> {
        match c {
            1 => Some(Self::Ipv4),
            2 => Some(Self::Ipv6),
            3 => Some(Self::Ipv4v6),
            _ => None,
        }
    }
}

/// Authentication of `AT+QICSGP`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum PdpAuth {
    /// 0: none.
    None,
    /// 1: PAP.
    Pap,
    /// 2: CHAP.
    Chap,
    /// 3: PAP or CHAP.
    PapOrChap,
}

impl PdpAuth {
    const fn code(self) -> u8 {
        match self {
            Self::None => 0,
            Self::Pap => 1,
            Self::Chap => 2,
            Self::PapOrChap => 3,
        }
    }

    fn from_code(c: u8) -> Option<Self> {
        match c {
            0 => Some(Self::None),
            1 => Some(Self::Pap),
            2 => Some(Self::Chap),
            3 => Some(Self::PapOrChap),
            _ => None,
        }
    }
}

/// A PDP context configuration: `<type>,"<APN>","<user>","<pwd>",<auth>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct PdpContext<'a> {
    /// PDP type.
    pub kind: PdpType,
    /// APN; empty = the network's default.
    pub apn: &'a str,
    /// User name, often empty.
    pub username: &'a str,
    /// Password, often empty (never printed by `Debug`).
    pub password: Redacted<'a>,
    /// Authentication.
    pub auth: PdpAuth,
}

/// `AT+QICSGP=<cid>,<type>,"<APN>","<user>","<pwd>",<auth>`: configure a PDP context
/// (the Quectel note: `AT+QICSGP=1,3,"","","",0`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Qicsgp<'a> {
    /// Context id 1..=16.
    pub cid: u8,
    /// The configuration.
    pub context: PdpContext<'a>,
}

impl Command for Qicsgp<'_> {
    no_response!();
    const NAME: &'static str = "+QICSGP";

    fn encode<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], EncodeError> {
        let c = &self.context;
        let mut w = CommandWriter::new(buf, Self::NAME);
        w.uint(self.cid.into())
            .uint(c.kind.code().into())
            .string("apn", c.apn)
            .string("username", c.username)
            .string("password", c.password.expose())
            .uint(c.auth.code().into());
        w.finish()
    }

    fn timeout_ms(&self) -> u32 {
        300
    }
}

/// `AT+QICSGP=<cid>`: read a PDP context configuration
/// (`+QICSGP: <type>,"<APN>","<user>","<pwd>",<auth>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct QicsgpQuery {
    /// Context id.
    pub cid: u8,
}

impl Command for QicsgpQuery {
    type Response<'a> = PdpContext<'a>;
    const NAME: &'static str = "+QICSGP";

    fn encode<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], EncodeError> {
        let mut w = CommandWriter::new(buf, Self::NAME);
        w.uint(self.cid.into());
        w.finish()
    }

    fn expect(&self) -> Expect {
        Expect::tokens(&[b"+QICSGP"])
    }

    fn timeout_ms(&self) -> u32 {
        300
    }

    fn parse<'a>(&self, lines: Lines<'a>) -> Result<PdpContext<'a>, ParseError> {
        one_line::<Self, _>(lines, |l| {
            let (kind, apn, username, password, auth) = full(
                l,
                (
                    header(b"+QICSGP"),
                    dec_u8,
                    comma,
                    quoted_str,
                    comma,
                    quoted_str,
                    comma,
                    quoted_str,
                    comma,
                    dec_u8,
                )
                    .map(|(_, k, _, a, _, u, _, p, _, au)| (k, a, u, p, au)),
            )?;
            Some(PdpContext {
                kind: PdpType::from_code(kind)?,
                apn,
                username,
                password: Redacted::new(password),
                auth: PdpAuth::from_code(auth)?,
            })
        })
    }
}

/// `AT+QIACT=<cid>`: activate a PDP context (up to 150 s; Quectel's drivers retry
/// `AT+QIDEACT` + `AT+QIACT` on `ERROR`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Qiact {
    /// Context id.
    pub cid: u8,
}

impl Command for Qiact {
    no_response!();
    const NAME: &'static str = "+QIACT";

    fn encode<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], EncodeError> {
        let mut w = CommandWriter::new(buf, Self::NAME);
        w.uint(self.cid.into());
        w.finish()
    }

    fn timeout_ms(&self) -> u32 {
        150_000
    }
}

/// `AT+QIDEACT=<cid>`: deactivate a PDP context (up to 40 s).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Qideact {
    /// Context id.
    pub cid: u8,
}

impl Command for Qideact {
    no_response!();
    const NAME: &'static str = "+QIDEACT";

    fn encode<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], EncodeError> {
        let mut w = CommandWriter::new(buf, Self::NAME);
        w.uint(self.cid.into());
        w.finish()
    }

    fn timeout_ms(&self) -> u32 {
        40_000
    }
}

/// `AT+QIACT?`: the active contexts, one `+QIACT: <cid>,<state>,<type>[,"<ip>"]` each.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct QiactRead;

/// One line of [`QiactRead`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ActiveContext<'a> {
    /// Context id.
    pub cid: u8,
    /// 1 activated, 0 deactivated.
    pub active: bool,
    /// PDP type code (1 IPv4, 2 IPv6, 3 IPv4v6).
    pub kind: u8,
    /// Local address(es) as printed.
    pub address: Option<&'a str>,
}

impl<'a> ActiveContext<'a> {
    fn parse(line: &'a [u8]) -> Option<Self> {
        full(
            line,
            (
                header(b"+QIACT"),
                dec_u8,
                comma,
                dec_u8,
                comma,
                dec_u8,
                opt((comma, quoted_str)),
            )
                .map(|(_, cid, _, state, _, kind, addr)| Self {
                    cid,
                    active: state == 1,
                    kind,
                    address: addr.map(|(_, a)| a),
                }),
        )
    }
}

/// The lines of [`QiactRead`].
#[derive(Debug, Clone, Copy)]
pub struct ActiveContexts<'a>(Lines<'a>);

impl<'a> ActiveContexts<'a> {
    /// Every reported context (the TCP/IP manual's
    /// `+QIACT: <contextID>,<context_state>,<context_type>[,"<IP_address>"]`).
    ///
    /// ```
    /// use atmodem::codec::Lines;
    /// use atmodem::dialects::Command;
    /// use atmodem::dialects::quectel::QiactRead;
    /// let lines = [&b"+QIACT: 1,1,1,\"10.7.157.1\""[..], b"+QIACT: 2,0,1"];
    /// let all = QiactRead.parse(Lines::from_slice(&lines)).unwrap();
    /// assert!(all.iter().map(|c| (c.cid, c.active)).eq([(1, true), (2, false)]));
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = ActiveContext<'a>> + 'a {
        self.0.iter().filter_map(ActiveContext::parse)
    }

    /// Context `cid`, if reported.
    ///
    /// ```
    /// use atmodem::codec::Lines;
    /// use atmodem::dialects::Command;
    /// use atmodem::dialects::quectel::QiactRead;
    /// let lines = [&b"+QIACT: 1,1,1,\"10.7.157.1\""[..]];
    /// let all = QiactRead.parse(Lines::from_slice(&lines)).unwrap();
    /// assert_eq!(all.get(1).and_then(|c| c.address), Some("10.7.157.1"));
    /// assert!(all.get(3).is_none());
    /// ```
    pub fn get(&self, cid: u8) -> Option<ActiveContext<'a>> {
        self.iter().find(|c| c.cid == cid)
    }
}

impl Command for QiactRead {
    type Response<'a> = ActiveContexts<'a>;
    const NAME: &'static str = "+QIACT";

    fn encode<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], EncodeError> {
        let mut w = CommandWriter::new(buf, Self::NAME);
        w.read();
        w.finish()
    }

    fn expect(&self) -> Expect {
        Expect::tokens(&[b"+QIACT"])
    }

    fn timeout_ms(&self) -> u32 {
        300
    }

    fn parse<'a>(&self, lines: Lines<'a>) -> Result<ActiveContexts<'a>, ParseError> {
        all_lines::<Self, _>(lines, ActiveContext::parse).map(ActiveContexts)
    }
}

/// `AT+QENG="servingcell"`: the serving cell.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct QengServingCell;

/// The LTE row of `+QENG: "servingcell",...`. Hex and leading-zero fields stay text
/// (`"00"` MNC, `5C4EF01` cell id, `550B` TAC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct LteCell<'a> {
    /// `"SEARCH"`, `"LIMSRV"`, `"NOCONN"` or `"CONNECT"`.
    pub state: &'a str,
    /// `"TDD"` or `"FDD"`.
    pub duplex: &'a str,
    /// Mobile country code.
    pub mcc: u16,
    /// Mobile network code, as printed (leading zeros kept).
    pub mnc: &'a str,
    /// Cell id, hex.
    pub cell_id: &'a str,
    /// Physical cell id.
    pub pcid: u16,
    /// E-UTRA ARFCN.
    pub earfcn: u32,
    /// Frequency band.
    pub band: u16,
    /// Uplink bandwidth code.
    pub ul_bandwidth: u8,
    /// Downlink bandwidth code.
    pub dl_bandwidth: u8,
    /// Tracking area code, hex.
    pub tac: &'a str,
    /// RSRP, dBm.
    pub rsrp: i16,
    /// RSRQ, dB.
    pub rsrq: i16,
    /// RSSI, dBm.
    pub rssi: i16,
    /// SINR.
    pub sinr: i16,
    /// Cell selection RX level.
    pub srxlev: i16,
}

/// What `AT+QENG="servingcell"` reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ServingCell<'a> {
    /// An LTE cell, every field typed.
    Lte(LteCell<'a>),
    /// Another RAT (GSM, WCDMA: other field counts) or only the state (`"SEARCH"`): the
    /// state, the RAT if given, and the whole line.
    Other {
        /// Connection state.
        state: &'a str,
        /// RAT name, if printed.
        rat: Option<&'a str>,
        /// The whole line.
        line: &'a [u8],
    },
}

/// A bare field up to the next comma, as text (`00`, `5C4EF01`).
fn bare(i: &[u8]) -> Res<'_, &str> {
    map_res(take_till(|b| b == b','), |f: &[u8]| {
        core::str::from_utf8(trim(f))
    })
    .parse(i)
}

fn quoted_or_bare(i: &[u8]) -> Res<'_, &str> {
    alt((quoted_str, bare)).parse(i)
}

fn lte_cell(line: &[u8]) -> Option<LteCell<'_>> {
    let (i, (_, _, _, state, _, _, _, duplex, _, mcc, _, mnc, _, cell_id, _)) = (
        header(b"+QENG"),
        nom::bytes::complete::tag(&b"\"servingcell\""[..]),
        comma,
        quoted_str,
        comma,
        nom::bytes::complete::tag(&b"\"LTE\""[..]),
        comma,
        quoted_or_bare,
        comma,
        dec_u16,
        comma,
        bare,
        comma,
        bare,
        comma,
    )
        .parse(line)
        .ok()?;
    full(
        i,
        (
            (dec_u16, comma, dec_u32, comma, dec_u16, comma),
            (dec_u8, comma, dec_u8, comma, bare, comma),
            (
                dec_i16, comma, dec_i16, comma, dec_i16, comma, dec_i16, comma, dec_i16,
            ),
        )
            .map(
                |(
                    (pcid, _, earfcn, _, band, _),
                    (ul_bandwidth, _, dl_bandwidth, _, tac, _),
                    (rsrp, _, rsrq, _, rssi, _, sinr, _, srxlev),
                )| LteCell {
                    state,
                    duplex,
                    mcc,
                    mnc,
                    cell_id,
                    pcid,
                    earfcn,
                    band,
                    ul_bandwidth,
                    dl_bandwidth,
                    tac,
                    rsrp,
                    rsrq,
                    rssi,
                    sinr,
                    srxlev,
                },
            ),
    )
}

impl<'a> ServingCell<'a> {
    /// Parse a `+QENG: "servingcell",...` line.
    ///
    /// ```
    /// use atmodem::dialects::quectel::ServingCell;
    /// // The LTE row of the Quectel note's answer.
    /// let line = b"+QENG: \"servingcell\",\"NOCONN\",\"LTE\",\"TDD\",460,00,5C4EF01,121,38400,39,5,5,550B,-98,-8,-70,21,42";
    /// let Some(ServingCell::Lte(cell)) = ServingCell::parse(line) else { panic!() };
    /// assert_eq!((cell.state, cell.mcc, cell.mnc, cell.cell_id, cell.band), ("NOCONN", 460, "00", "5C4EF01", 39));
    /// let searching = ServingCell::parse(b"+QENG: \"servingcell\",\"SEARCH\"").unwrap();
    /// assert!(matches!(searching, ServingCell::Other { state: "SEARCH", rat: None, .. }));
    /// ```
    pub fn parse(line: &'a [u8]) -> Option<Self> {
        if let Some(cell) = lte_cell(line) {
            return Some(Self::Lte(cell));
        }
        let (rest, (_, _, _, state)) = (
            header(b"+QENG"),
            nom::bytes::complete::tag(&b"\"servingcell\""[..]),
            comma,
            quoted_str,
        )
            .parse(line)
            .ok()?;
        let rat = (comma, quoted_str)
            .parse(rest)
            .ok()
            .map(|(_, (_, rat))| rat)
            .filter(|r| *r != "LTE");
        if rat.is_none() && !trim(rest).is_empty() {
            // An LTE row that did not parse, or garbage.
            return None;
        }
        Some(Self::Other { state, rat, line })
    }
}

impl Command for QengServingCell {
    type Response<'a> = ServingCell<'a>;
    const NAME: &'static str = "+QENG";

    fn encode<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], EncodeError> {
        let mut w = CommandWriter::new(buf, Self::NAME);
        w.string("cell", "servingcell");
        w.finish()
    }

    fn expect(&self) -> Expect {
        Expect::tokens(&[b"+QENG"])
    }

    fn timeout_ms(&self) -> u32 {
        300
    }

    fn parse<'a>(&self, lines: Lines<'a>) -> Result<ServingCell<'a>, ParseError> {
        one_line::<Self, _>(lines, ServingCell::parse)
    }
}
