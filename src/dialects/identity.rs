//! Identity and status queries: IMEI, IMSI, ICCID, model, manufacturer, operator, extended
//! signal, SIM PIN entry and network time, for both families.
//!
//! The 3GPP TS 27.007 commands (`AT+CGSN`, `AT+CIMI`, `AT+CGMM`, `AT+CGMI`, `AT+COPS?`,
//! `AT+CPIN=<pin>`, `AT+CCLK?`) are answered the same way by Quectel and Luat modules; the
//! vendor ones are named after their family (`AT+QCCID`, `AT+QCSQ`, `AT+QLTS` are Quectel,
//! `AT+CCID` and `AT+ICCID` are Luat).
//!
//! Every command here is a query: on timeout the client reports it and nothing in the module
//! changed; after a module reboot the query can simply be sent again; dropping its future
//! (cancelling it) leaves no state behind besides the line already sent, whose reply the
//! client discards. The one exception is [`CpinEnter`]: a PIN sent whose answer is lost may
//! have been counted as an attempt by the SIM, so read `AT+CPIN?` before sending it again.

use super::common::QUERY_TIMEOUT_MS;
use super::{Command, ParseError, one_line};
use nom::{Parser, branch::alt};

use crate::codec::fields::{Cursor, full, header, quoted_str, rest_str, text_field};
use crate::codec::{
    CommandWriter, EncodeError, ErrorCode, Expect, FinalCode, Lines, RegStatus, SimState,
};

/// The text of a bare information line (no `+TOKEN:`), trimmed; `None` if empty, tokened or
/// holding a control byte (noise).
fn bare_text(line: &[u8]) -> Option<&str> {
    let text = text_field(line)?.trim();
    (!text.is_empty() && !text.starts_with('+')).then_some(text)
}

/// `<tok>: <text>` or `<tok>: "<text>"`, trimmed: the grammar of `+CGMR`.
fn tokened_text<'a>(line: &'a [u8], tok: &'static [u8]) -> Option<&'a str> {
    full(
        line,
        (header(tok), alt((quoted_str, rest_str))).map(|(_, s)| s),
    )
}

fn all_digits(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_digit())
}

macro_rules! query {
    ($name:ident, $at:literal, $resp:ty, $expect:expr, $timeout:expr, $parse:expr) => {
        impl Command for $name {
            type Response<'a> = $resp;
            const NAME: &'static str = $at;

            fn encode<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], EncodeError> {
                CommandWriter::new(buf, Self::NAME).finish()
            }

            fn expect(&self) -> Expect {
                $expect
            }

            fn timeout_ms(&self) -> u32 {
                $timeout
            }

            fn parse<'a>(&self, lines: Lines<'a>) -> Result<$resp, ParseError> {
                one_line::<Self, _>(lines, $parse)
            }
        }
    };
}

/// `AT+CGSN`: the IMEI, answered as a bare line of 15 digits (Luat manual, Base/CGSN:
/// `359759002514931`; Zephyr reads it the same way on Quectel BG9x/EG25).
///
/// ```
/// use atmodem::codec::Lines;
/// use atmodem::dialects::{Command, identity::Cgsn};
///
/// let mut buf = [0u8; 16];
/// assert_eq!(Cgsn.encode(&mut buf).unwrap(), b"AT+CGSN\r");
/// let imei = Cgsn.parse(Lines::from_slice(&[b"359759002514931"])).unwrap();
/// assert_eq!(imei.as_str(), "359759002514931");
/// assert!(imei.luhn_ok());
/// assert!(Cgsn.parse(Lines::from_slice(&[b"35975900251493"])).is_err());
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Cgsn;

/// An IMEI: exactly 15 ASCII digits, kept as text (leading zeros matter).
///
/// ```
/// use atmodem::dialects::identity::Imei;
/// assert!(Imei::parse("359759002514931").is_some());
/// assert!(Imei::parse("35975900251493X").is_none());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Imei<'a>(&'a str);

impl<'a> Imei<'a> {
    /// `s` if it is 15 digits.
    ///
    /// ```
    /// use atmodem::dialects::identity::Imei;
    /// assert!(Imei::parse("359759002514931").is_some());
    /// assert!(Imei::parse("3597590025149").is_none());
    /// ```
    pub fn parse(s: &'a str) -> Option<Self> {
        (s.len() == 15 && all_digits(s)).then_some(Self(s))
    }

    /// The digits.
    ///
    /// ```
    /// use atmodem::dialects::identity::Imei;
    /// assert_eq!(Imei::parse("359759002514931").unwrap().as_str(), "359759002514931");
    /// ```
    pub const fn as_str(&self) -> &'a str {
        self.0
    }

    /// Whether the 15th digit is the Luhn check digit of the first 14 (GSMA TS.06).
    ///
    /// ```
    /// use atmodem::dialects::identity::Imei;
    /// assert!(Imei::parse("359759002514931").unwrap().luhn_ok());
    /// assert!(!Imei::parse("359759002514932").unwrap().luhn_ok());
    /// ```
    pub fn luhn_ok(&self) -> bool {
        let sum = self.0.bytes().rev().enumerate().fold(0u32, |acc, (i, b)| {
            let d = u32::from(b.wrapping_sub(b'0'));
            let d = if i % 2 == 1 {
                let x = d.saturating_mul(2);
                if x > 9 { x.saturating_sub(9) } else { x }
            } else {
                d
            };
            acc.saturating_add(d)
        });
        sum % 10 == 0
    }
}

query!(
    Cgsn,
    "+CGSN",
    Imei<'a>,
    Expect::BARE,
    QUERY_TIMEOUT_MS,
    |l| bare_text(l).and_then(Imei::parse)
);

/// `AT+CIMI`: the IMSI, answered as a bare line of digits (Zephyr `cimi_match ""`).
///
/// ```
/// use atmodem::codec::Lines;
/// use atmodem::dialects::{Command, identity::Cimi};
///
/// let imsi = Cimi.parse(Lines::from_slice(&[b"460001234567890"])).unwrap();
/// assert_eq!(imsi.mcc(), "460");
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Cimi;

/// An IMSI: 6 to 15 ASCII digits (ITU-T E.212), kept as text.
///
/// ```
/// use atmodem::dialects::identity::Imsi;
/// assert_eq!(Imsi::parse("460001234567890").unwrap().as_str(), "460001234567890");
/// assert!(Imsi::parse("46000").is_none());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Imsi<'a>(&'a str);

impl<'a> Imsi<'a> {
    /// `s` if it is 6 to 15 digits.
    ///
    /// ```
    /// use atmodem::dialects::identity::Imsi;
    /// assert!(Imsi::parse("460001234567890").is_some());
    /// assert!(Imsi::parse("46000x").is_none());
    /// ```
    pub fn parse(s: &'a str) -> Option<Self> {
        ((6..=15).contains(&s.len()) && all_digits(s)).then_some(Self(s))
    }

    /// The digits.
    ///
    /// ```
    /// use atmodem::dialects::identity::Imsi;
    /// assert_eq!(Imsi::parse("460001234567890").unwrap().as_str(), "460001234567890");
    /// ```
    pub const fn as_str(&self) -> &'a str {
        self.0
    }

    /// The mobile country code: the first three digits.
    ///
    /// ```
    /// use atmodem::dialects::identity::Imsi;
    /// assert_eq!(Imsi::parse("460001234567890").unwrap().mcc(), "460");
    /// ```
    pub fn mcc(&self) -> &'a str {
        self.0.get(..3).unwrap_or(self.0)
    }
}

query!(
    Cimi,
    "+CIMI",
    Imsi<'a>,
    Expect::BARE,
    QUERY_TIMEOUT_MS,
    |l| bare_text(l).and_then(Imsi::parse)
);

/// An ICCID: 1 to 20 ASCII letters or digits (usually 19 or 20 digits; some SIMs end in
/// `F` or other letters), kept as text.
///
/// ```
/// use atmodem::dialects::identity::Iccid;
/// assert!(Iccid::parse("89860117831003134201").is_some());
/// assert!(Iccid::parse("8986011783100313420F").is_some());
/// assert!(Iccid::parse("898601178310031342011").is_none());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Iccid<'a>(&'a str);

impl<'a> Iccid<'a> {
    /// `s` if it is 1 to 20 letters or digits.
    ///
    /// ```
    /// use atmodem::dialects::identity::Iccid;
    /// assert!(Iccid::parse("8986011783100313420F").is_some());
    /// assert!(Iccid::parse("8986-0117").is_none());
    /// ```
    pub fn parse(s: &'a str) -> Option<Self> {
        ((1..=20).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric()))
            .then_some(Self(s))
    }

    /// The characters.
    ///
    /// ```
    /// use atmodem::dialects::identity::Iccid;
    /// assert_eq!(Iccid::parse("89860117831003134201").unwrap().as_str(), "89860117831003134201");
    /// ```
    pub const fn as_str(&self) -> &'a str {
        self.0
    }
}

/// Quectel `AT+QCCID`: the ICCID, answered `+QCCID: <iccid>` (TinyGSM BG96, Zephyr BG9x).
///
/// ```
/// use atmodem::codec::Lines;
/// use atmodem::dialects::{Command, identity::Qccid};
///
/// let id = Qccid.parse(Lines::from_slice(&[b"+QCCID: 89860117831003134201"])).unwrap();
/// assert_eq!(id.as_str(), "89860117831003134201");
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Qccid;

query!(
    Qccid,
    "+QCCID",
    Iccid<'a>,
    Expect::tokens(&[b"+QCCID"]),
    QUERY_TIMEOUT_MS,
    |l| tokened_text(l, b"+QCCID").and_then(Iccid::parse)
);

/// Luat `AT+ICCID`: the ICCID, answered `+ICCID: <iccid>` (Luat manual, Base/ICCID).
///
/// ```
/// use atmodem::codec::Lines;
/// use atmodem::dialects::{Command, identity::IccidRead};
///
/// let id = IccidRead.parse(Lines::from_slice(&[b"+ICCID: 89860117831003134201"])).unwrap();
/// assert_eq!(id.as_str(), "89860117831003134201");
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct IccidRead;

query!(
    IccidRead,
    "+ICCID",
    Iccid<'a>,
    Expect::tokens(&[b"+ICCID"]),
    QUERY_TIMEOUT_MS,
    |l| tokened_text(l, b"+ICCID").and_then(Iccid::parse)
);

/// Luat `AT+CCID`: the ICCID as a bare line (Luat manual, Base/ICCID).
///
/// ```
/// use atmodem::codec::Lines;
/// use atmodem::dialects::{Command, identity::Ccid};
///
/// let id = Ccid.parse(Lines::from_slice(&[b"89860117831003134201"])).unwrap();
/// assert_eq!(id.as_str(), "89860117831003134201");
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Ccid;

query!(
    Ccid,
    "+CCID",
    Iccid<'a>,
    Expect::BARE,
    QUERY_TIMEOUT_MS,
    |l| bare_text(l).and_then(Iccid::parse)
);

/// `AT+CGMM`: the model, a bare text line (Zephyr `cgmm_match ""`; e.g. `SIMCOM_SIM7600EI`).
///
/// ```
/// use atmodem::codec::Lines;
/// use atmodem::dialects::{Command, identity::Cgmm};
///
/// assert_eq!(Cgmm.parse(Lines::from_slice(&[b"EC200U"])).unwrap().0, "EC200U");
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Cgmm;

/// `AT+CGMI`: the manufacturer, a bare text line.
///
/// ```
/// use atmodem::codec::Lines;
/// use atmodem::dialects::{Command, identity::Cgmi};
///
/// assert_eq!(Cgmi.parse(Lines::from_slice(&[b"Quectel"])).unwrap().0, "Quectel");
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Cgmi;

/// A free-text identity line ([`Cgmm`], [`Cgmi`]), trimmed and never empty.
///
/// ```
/// use atmodem::dialects::identity::Text;
/// assert_eq!(Text("Quectel").0, "Quectel");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Text<'a>(pub &'a str);

query!(
    Cgmm,
    "+CGMM",
    Text<'a>,
    Expect::BARE,
    QUERY_TIMEOUT_MS,
    |l| bare_text(l).map(Text)
);
query!(
    Cgmi,
    "+CGMI",
    Text<'a>,
    Expect::BARE,
    QUERY_TIMEOUT_MS,
    |l| bare_text(l).map(Text)
);

/// Access technology (`<AcT>` of `+COPS`, `+CREG`, `+CGREG`, `+CEREG`; 3GPP TS 27.007).
///
/// ```
/// use atmodem::dialects::identity::AccessTech;
/// assert_eq!(AccessTech::from(7), AccessTech::EUtran);
/// assert_eq!(AccessTech::from(1), AccessTech::Other(1));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum AccessTech {
    /// 0: GSM.
    Gsm,
    /// 2: UTRAN.
    Utran,
    /// 3: GSM with EGPRS.
    GsmEgprs,
    /// 4: UTRAN with HSDPA.
    Hsdpa,
    /// 5: UTRAN with HSUPA.
    Hsupa,
    /// 6: UTRAN with HSDPA and HSUPA.
    HsdpaHsupa,
    /// 7: E-UTRAN (LTE, also Cat-M on BG9x).
    EUtran,
    /// 8: EC-GSM-IoT.
    EcGsmIot,
    /// 9: E-UTRAN NB-S1 (NB-IoT).
    EUtranNbS1,
    /// Any other value, as sent.
    Other(u8),
}

impl From<u8> for AccessTech {
    fn from(v: u8) -> Self {
        match v {
            0 => Self::Gsm,
            2 => Self::Utran,
            3 => Self::GsmEgprs,
            4 => Self::Hsdpa,
            5 => Self::Hsupa,
            6 => Self::HsdpaHsupa,
            7 => Self::EUtran,
            8 => Self::EcGsmIot,
            9 => Self::EUtranNbS1,
            o => Self::Other(o),
        }
    }
}

/// `<mode>` of `+COPS`.
///
/// ```
/// use atmodem::dialects::identity::OperatorMode;
/// assert_eq!(OperatorMode::from(0), OperatorMode::Automatic);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum OperatorMode {
    /// 0: automatic selection.
    Automatic,
    /// 1: manual selection.
    Manual,
    /// 2: deregistered from the network.
    Deregistered,
    /// 4: manual, falling back to automatic.
    ManualAutomatic,
    /// Any other value, as sent.
    Other(u8),
}

impl From<u8> for OperatorMode {
    fn from(v: u8) -> Self {
        match v {
            0 => Self::Automatic,
            1 => Self::Manual,
            2 => Self::Deregistered,
            4 => Self::ManualAutomatic,
            o => Self::Other(o),
        }
    }
}

/// The operator name as `+COPS` prints it, by `<format>`.
///
/// ```
/// use atmodem::dialects::identity::OperatorName;
/// assert_eq!(OperatorName::Numeric("46000").text(), "46000");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum OperatorName<'a> {
    /// Format 0: long alphanumeric (`CHINA MOBILE`).
    Long(&'a str),
    /// Format 1: short alphanumeric (`CMCC`).
    Short(&'a str),
    /// Format 2: numeric MCC+MNC (`46000`).
    Numeric(&'a str),
}

impl<'a> OperatorName<'a> {
    /// The name as printed.
    ///
    /// ```
    /// use atmodem::dialects::identity::OperatorName;
    /// assert_eq!(OperatorName::Short("CMCC").text(), "CMCC");
    /// ```
    pub const fn text(&self) -> &'a str {
        match self {
            Self::Long(s) | Self::Short(s) | Self::Numeric(s) => s,
        }
    }
}

/// `+COPS: <mode>[,<format>,"<oper>"[,<AcT>]]`.
///
/// ```
/// use atmodem::dialects::identity::{AccessTech, Operator, OperatorMode, OperatorName};
/// let op = Operator::parse(b"+COPS: 0,2,\"46000\",7").unwrap();
/// assert_eq!(op.mode, OperatorMode::Automatic);
/// assert_eq!(op.name, Some(OperatorName::Numeric("46000")));
/// assert_eq!(op.act, Some(AccessTech::EUtran));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Operator<'a> {
    /// Selection mode.
    pub mode: OperatorMode,
    /// The operator, `None` when none is selected (`+COPS: 0`).
    pub name: Option<OperatorName<'a>>,
    /// The access technology, when printed.
    pub act: Option<AccessTech>,
}

impl<'a> Operator<'a> {
    /// Parse one `+COPS:` read line.
    ///
    /// ```
    /// use atmodem::dialects::identity::{Operator, OperatorName};
    /// let op = Operator::parse(b"+COPS: 0,0,\"CHINA MOBILE\",7").unwrap();
    /// assert_eq!(op.name, Some(OperatorName::Long("CHINA MOBILE")));
    /// assert!(Operator::parse(b"+COPS: x").is_none());
    /// ```
    pub fn parse(line: &'a [u8]) -> Option<Self> {
        let mut c = Cursor::header(line, b"+COPS")?;
        let mode = OperatorMode::from(c.u8()?);
        let rest = c.opt(|c| {
            c.comma()?;
            let format = c.u8()?;
            c.comma()?;
            let oper = c.quoted_str()?;
            let name = match format {
                0 => OperatorName::Long(oper),
                1 => OperatorName::Short(oper),
                2 if oper.len() >= 5 && oper.len() <= 6 && all_digits(oper) => {
                    OperatorName::Numeric(oper)
                }
                _ => return None,
            };
            let act = c.opt(|c| {
                c.comma()?;
                c.u8().map(AccessTech::from)
            });
            Some((name, act))
        });
        c.end()?;
        Some(Self {
            mode,
            name: rest.map(|r| r.0),
            act: rest.and_then(|r| r.1),
        })
    }
}

/// `AT+COPS?`: the selected operator and access technology (3GPP TS 27.007 §7.3). Send
/// `AT+COPS=3,2` first for the numeric form.
///
/// ```
/// use atmodem::codec::Lines;
/// use atmodem::dialects::{Command, identity::{CopsRead, OperatorMode}};
///
/// let mut buf = [0u8; 16];
/// assert_eq!(CopsRead.encode(&mut buf).unwrap(), b"AT+COPS?\r");
/// let op = CopsRead.parse(Lines::from_slice(&[b"+COPS: 0"])).unwrap();
/// assert_eq!((op.mode, op.name), (OperatorMode::Automatic, None));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct CopsRead;

impl Command for CopsRead {
    type Response<'a> = Operator<'a>;
    const NAME: &'static str = "+COPS";

    fn encode<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], EncodeError> {
        let mut w = CommandWriter::new(buf, Self::NAME);
        w.read();
        w.finish()
    }

    fn expect(&self) -> Expect {
        Expect::tokens(&[b"+COPS"])
    }

    fn timeout_ms(&self) -> u32 {
        QUERY_TIMEOUT_MS
    }

    fn parse<'a>(&self, lines: Lines<'a>) -> Result<Operator<'a>, ParseError> {
        one_line::<Self, _>(lines, Operator::parse)
    }
}

/// The serving system of `+QCSQ` (`<sysmode>`). The BG9x values are from its parser;
/// other strings (EC2x `LTE`, `WCDMA`) are kept as sent.
///
/// ```
/// use atmodem::dialects::identity::SysMode;
/// assert_eq!(SysMode::from("eMTC"), SysMode::Emtc);
/// assert_eq!(SysMode::from("LTE"), SysMode::Other("LTE"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum SysMode<'a> {
    /// `NOSERVICE`
    NoService,
    /// `GSM`
    Gsm,
    /// `eMTC` (LTE Cat-M1)
    Emtc,
    /// `NBIoT`
    NbIot,
    /// Any other mode, as sent.
    Other(&'a str),
}

impl<'a> From<&'a str> for SysMode<'a> {
    fn from(s: &'a str) -> Self {
        match s {
            "NOSERVICE" => Self::NoService,
            "GSM" => Self::Gsm,
            "eMTC" => Self::Emtc,
            "NBIoT" => Self::NbIot,
            o => Self::Other(o),
        }
    }
}

/// `+QCSQ: "<sysmode>"[,<v1>[,<v2>,<v3>,<v4>]]`: GSM gives the RSSI only; the LTE modes
/// give RSSI, RSRP, SINR and RSRQ, in the order of [`values`](Self::values).
///
/// ```
/// use atmodem::dialects::identity::{ExtSignal, SysMode};
/// let s = ExtSignal::parse(b"+QCSQ: \"eMTC\",-52,-81,195,-10").unwrap();
/// assert_eq!(s.sysmode, SysMode::Emtc);
/// assert_eq!((s.rssi(), s.rsrp(), s.sinr(), s.rsrq()), (Some(-52), Some(-81), Some(195), Some(-10)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ExtSignal<'a> {
    /// The serving system.
    pub sysmode: SysMode<'a>,
    /// The per-RAT values as printed (`None` where absent).
    pub values: [Option<i16>; 4],
}

/// A signed decimal that fits an `i16`.
fn signed(c: &mut Cursor<'_>) -> Option<i16> {
    let negative = c.opt(|c| c.byte(b'-')).is_some();
    let v = c.len()?;
    let v = i32::try_from(v).ok()?;
    i16::try_from(if negative { v.checked_neg()? } else { v }).ok()
}

impl<'a> ExtSignal<'a> {
    /// Parse one `+QCSQ:` line.
    ///
    /// ```
    /// use atmodem::dialects::identity::ExtSignal;
    /// assert!(ExtSignal::parse(b"+QCSQ: \"eMTC\",-52,-81,195,-10").is_some());
    /// assert!(ExtSignal::parse(b"+QCSQ: \"\"").is_none());
    /// ```
    pub fn parse(line: &'a [u8]) -> Option<Self> {
        let mut c = Cursor::header(line, b"+QCSQ")?;
        let mode = c.quoted_str()?;
        if mode.is_empty() {
            return None;
        }
        let mut values = [None; 4];
        for slot in values.iter_mut() {
            match c.opt(|c| {
                c.comma()?;
                signed(c)
            }) {
                Some(v) => *slot = Some(v),
                None => break,
            }
        }
        c.end()?;
        Some(Self {
            sysmode: SysMode::from(mode),
            values,
        })
    }

    fn lte(&self) -> bool {
        matches!(
            self.sysmode,
            SysMode::Emtc | SysMode::NbIot | SysMode::Other("LTE")
        )
    }

    /// RSSI in dBm (GSM and LTE modes).
    ///
    /// ```
    /// use atmodem::dialects::identity::ExtSignal;
    /// let s = ExtSignal::parse(b"+QCSQ: \"eMTC\",-52,-81,195,-10").unwrap();
    /// assert_eq!(s.rssi(), Some(-52));
    /// ```
    pub fn rssi(&self) -> Option<i16> {
        if matches!(self.sysmode, SysMode::NoService) {
            None
        } else {
            self.values.first().copied().flatten()
        }
    }

    /// RSRP in dBm (LTE modes only).
    ///
    /// ```
    /// use atmodem::dialects::identity::ExtSignal;
    /// let s = ExtSignal::parse(b"+QCSQ: \"eMTC\",-52,-81,195,-10").unwrap();
    /// assert_eq!(s.rsrp(), Some(-81));
    /// ```
    pub fn rsrp(&self) -> Option<i16> {
        self.lte()
            .then(|| self.values.get(1).copied().flatten())
            .flatten()
    }

    /// SINR as printed (LTE modes only).
    ///
    /// ```
    /// use atmodem::dialects::identity::ExtSignal;
    /// let s = ExtSignal::parse(b"+QCSQ: \"eMTC\",-52,-81,195,-10").unwrap();
    /// assert_eq!(s.sinr(), Some(195));
    /// ```
    pub fn sinr(&self) -> Option<i16> {
        self.lte()
            .then(|| self.values.get(2).copied().flatten())
            .flatten()
    }

    /// RSRQ in dB (LTE modes only).
    ///
    /// ```
    /// use atmodem::dialects::identity::ExtSignal;
    /// let s = ExtSignal::parse(b"+QCSQ: \"eMTC\",-52,-81,195,-10").unwrap();
    /// assert_eq!(s.rsrq(), Some(-10));
    /// ```
    pub fn rsrq(&self) -> Option<i16> {
        self.lte()
            .then(|| self.values.get(3).copied().flatten())
            .flatten()
    }
}

/// Quectel `AT+QCSQ`: extended signal quality per access technology.
///
/// ```
/// use atmodem::codec::Lines;
/// use atmodem::dialects::{Command, identity::{Qcsq, SysMode}};
///
/// let s = Qcsq.parse(Lines::from_slice(&[b"+QCSQ: \"NOSERVICE\""])).unwrap();
/// assert_eq!(s.sysmode, SysMode::NoService);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Qcsq;

query!(
    Qcsq,
    "+QCSQ",
    ExtSignal<'a>,
    Expect::tokens(&[b"+QCSQ"]),
    QUERY_TIMEOUT_MS,
    ExtSignal::parse
);

/// `AT+CPIN="<pin>"`: enter the SIM PIN. Answered `OK`; a wrong PIN gives
/// `+CME ERROR: 16`. The PIN must be 4 to 8 digits; `Debug` and `defmt` never show it.
/// Timeout 5 s, as `AT+CPIN?`. A PIN whose answer timed out or whose future was dropped may
/// have reached the SIM and counted as an attempt: read `AT+CPIN?` before retrying.
///
/// ```
/// use atmodem::codec::EncodeError;
/// use atmodem::dialects::{Command, identity::CpinEnter};
///
/// let mut buf = [0u8; 24];
/// let cmd = CpinEnter::new("1234");
/// assert_eq!(cmd.encode(&mut buf).unwrap(), b"AT+CPIN=\"1234\"\r");
/// assert!(!format!("{cmd:?}").contains("1234"));
/// assert_eq!(CpinEnter::new("12a4").encode(&mut buf), Err(EncodeError::InvalidArgument("pin")));
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct CpinEnter<'p> {
    pin: &'p str,
}

impl<'p> CpinEnter<'p> {
    /// The command for `pin` (checked when encoded).
    ///
    /// ```
    /// use atmodem::dialects::{Command, identity::CpinEnter};
    /// let mut buf = [0u8; 24];
    /// assert_eq!(CpinEnter::new("0000").encode(&mut buf).unwrap(), b"AT+CPIN=\"0000\"\r");
    /// ```
    pub const fn new(pin: &'p str) -> Self {
        Self { pin }
    }
}

impl core::fmt::Debug for CpinEnter<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CpinEnter")
            .field("pin", &super::Hidden(self.pin.len()))
            .finish()
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for CpinEnter<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "CpinEnter {{ pin: {} }}", super::Hidden(self.pin.len()))
    }
}

impl Command for CpinEnter<'_> {
    super::no_response!();
    const NAME: &'static str = "+CPIN";

    fn encode<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], EncodeError> {
        if !(4..=8).contains(&self.pin.len()) || !all_digits(self.pin) {
            return Err(EncodeError::InvalidArgument("pin"));
        }
        let mut w = CommandWriter::new(buf, Self::NAME);
        w.string("pin", self.pin);
        w.finish()
    }

    fn timeout_ms(&self) -> u32 {
        5_000
    }
}

/// The SIM state an error answer to `AT+CPIN?` stands for (3GPP TS 27.007 §9.2.1):
/// `+CME ERROR: 10` (or its text `SIM not inserted`) is [`SimState::NotInserted`], 11 a PIN
/// and 12 a PUK required, 14 (SIM busy, seen right after boot) [`SimState::NotReady`].
///
/// ```
/// use atmodem::codec::{ErrorCode, FinalCode, SimState};
/// use atmodem::dialects::identity::sim_state_of_error;
/// assert_eq!(sim_state_of_error(&FinalCode::Cme(ErrorCode::Code(10))), Some(SimState::NotInserted));
/// assert_eq!(sim_state_of_error(&FinalCode::Error), None);
/// ```
pub fn sim_state_of_error(code: &FinalCode<'_>) -> Option<SimState<'static>> {
    let FinalCode::Cme(e) = code else {
        return None;
    };
    match e {
        ErrorCode::Code(10) => Some(SimState::NotInserted),
        ErrorCode::Code(11) => Some(SimState::SimPin),
        ErrorCode::Code(12) => Some(SimState::SimPuk),
        ErrorCode::Code(14) => Some(SimState::NotReady),
        ErrorCode::Text(t) if t.eq_ignore_ascii_case("SIM not inserted") => {
            Some(SimState::NotInserted)
        }
        ErrorCode::Text(t) if t.eq_ignore_ascii_case("SIM PIN required") => Some(SimState::SimPin),
        ErrorCode::Text(t) if t.eq_ignore_ascii_case("SIM PUK required") => Some(SimState::SimPuk),
        ErrorCode::Text(t) if t.eq_ignore_ascii_case("SIM busy") => Some(SimState::NotReady),
        _ => None,
    }
}

/// What to do with a registration status: registration denied (stat 3) is final, the
/// network refused the SIM and waiting will not change it; stat 6/7 (SMS only) do not carry
/// data either.
///
/// ```
/// use atmodem::codec::RegStatus;
/// use atmodem::dialects::identity::{RegOutcome, reg_outcome};
/// assert_eq!(reg_outcome(RegStatus::Denied), RegOutcome::Denied);
/// assert_eq!(reg_outcome(RegStatus::Searching), RegOutcome::Wait);
/// assert_eq!(reg_outcome(RegStatus::Roaming), RegOutcome::Registered);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum RegOutcome {
    /// Stat 1 or 5: registered for data.
    Registered,
    /// Stat 3: denied; not worth retrying without a change (SIM, APN, subscription).
    Denied,
    /// Anything else: keep waiting (searching, unknown, SMS only, emergency only).
    Wait,
}

/// The [`RegOutcome`] of a status.
///
/// ```
/// use atmodem::codec::RegStatus;
/// use atmodem::dialects::identity::{RegOutcome, reg_outcome};
/// assert_eq!(reg_outcome(RegStatus::Other(6)), RegOutcome::Wait);
/// ```
pub fn reg_outcome(stat: RegStatus) -> RegOutcome {
    match stat {
        RegStatus::Home | RegStatus::Roaming => RegOutcome::Registered,
        RegStatus::Denied => RegOutcome::Denied,
        _ => RegOutcome::Wait,
    }
}

/// A date and time as `+CCLK` and `+QLTS` print it, with the offset from UTC in quarter
/// hours (`+32` = UTC+8).
///
/// ```
/// use atmodem::dialects::identity::DateTime;
/// let t = DateTime::parse("18/08/07,13:28:31+32").unwrap();
/// assert_eq!((t.year, t.month, t.day, t.hour, t.minute, t.second), (2018, 8, 7, 13, 28, 31));
/// assert_eq!(t.tz_quarters, 32);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct DateTime {
    /// Full year (a two-digit year is taken as 20yy).
    pub year: u16,
    /// 1..=12.
    pub month: u8,
    /// 1..=31.
    pub day: u8,
    /// 0..=23.
    pub hour: u8,
    /// 0..=59.
    pub minute: u8,
    /// 0..=60 (a leap second).
    pub second: u8,
    /// Offset from UTC in quarter hours, −56..=56.
    pub tz_quarters: i8,
}

/// Exactly `n` ASCII digits.
fn fixed(c: &mut Cursor<'_>, n: usize) -> Option<u16> {
    let digits = c.rest().get(..n)?;
    if !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let v = digits.iter().fold(0u16, |acc, &d| {
        acc.saturating_mul(10)
            .saturating_add(u16::from(d.wrapping_sub(b'0')))
    });
    *c = Cursor::new(c.rest().get(n..)?);
    Some(v)
}

fn two(c: &mut Cursor<'_>) -> Option<u8> {
    fixed(c, 2).and_then(|v| u8::try_from(v).ok())
}

impl DateTime {
    /// Parse `yy/MM/dd,hh:mm:ss±zz` (or with a four-digit year) and nothing else.
    ///
    /// ```
    /// use atmodem::dialects::identity::DateTime;
    /// let t = DateTime::parse("18/08/07,13:28:31+32").unwrap();
    /// assert_eq!((t.year, t.month, t.day, t.tz_quarters), (2018, 8, 7, 32));
    /// assert!(DateTime::parse("18/13/07,13:28:31+32").is_none());
    /// ```
    pub fn parse(s: &str) -> Option<Self> {
        let mut c = Cursor::new(s.as_bytes());
        let t = Self::read(&mut c)?;
        c.end()?;
        Some(t)
    }

    fn read(c: &mut Cursor<'_>) -> Option<Self> {
        let year = match c.opt(|c| fixed(c, 4).filter(|_| c.rest().first() == Some(&b'/'))) {
            Some(y) => y,
            None => fixed(c, 2)?.checked_add(2000)?,
        };
        c.byte(b'/')?;
        let month = two(c)?;
        c.byte(b'/')?;
        let day = two(c)?;
        c.byte(b',')?;
        let hour = two(c)?;
        c.byte(b':')?;
        let minute = two(c)?;
        c.byte(b':')?;
        let second = two(c)?;
        let negative = match c.rest().first() {
            Some(b'+') => false,
            Some(b'-') => true,
            _ => return None,
        };
        c.byte(if negative { b'-' } else { b'+' })?;
        let tz = i8::try_from(two(c)?).ok()?;
        let tz_quarters = if negative { tz.checked_neg()? } else { tz };
        let ok = (1..=12).contains(&month)
            && (1..=31).contains(&day)
            && hour <= 23
            && minute <= 59
            && second <= 60
            && (-56..=56).contains(&tz_quarters);
        ok.then_some(Self {
            year,
            month,
            day,
            hour,
            minute,
            second,
            tz_quarters,
        })
    }

    /// The offset from UTC in minutes.
    ///
    /// ```
    /// use atmodem::dialects::identity::DateTime;
    /// assert_eq!(DateTime::parse("18/08/07,13:28:31-14").unwrap().offset_minutes(), -210);
    /// ```
    pub fn offset_minutes(&self) -> i16 {
        i16::from(self.tz_quarters).saturating_mul(15)
    }
}

/// `AT+CCLK?`: the module's clock, `+CCLK: "yy/MM/dd,hh:mm:ss±zz"` (Luat manual,
/// Configuration/CCLK). It holds network time only after NITZ or NTP; the BG96 reports UTC
/// here (use [`Qlts`]).
///
/// ```
/// use atmodem::codec::Lines;
/// use atmodem::dialects::{Command, identity::CclkRead};
///
/// let t = CclkRead.parse(Lines::from_slice(&[b"+CCLK: \"18/08/07,13:28:31+32\""])).unwrap();
/// assert_eq!(t.offset_minutes(), 480);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct CclkRead;

impl Command for CclkRead {
    type Response<'a> = DateTime;
    const NAME: &'static str = "+CCLK";

    fn encode<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], EncodeError> {
        let mut w = CommandWriter::new(buf, Self::NAME);
        w.read();
        w.finish()
    }

    fn expect(&self) -> Expect {
        Expect::tokens(&[b"+CCLK"])
    }

    fn timeout_ms(&self) -> u32 {
        QUERY_TIMEOUT_MS
    }

    fn parse<'a>(&self, lines: Lines<'a>) -> Result<DateTime, ParseError> {
        one_line::<Self, _>(lines, |l| {
            let mut c = Cursor::header(l, b"+CCLK")?;
            let s = c.quoted_str()?;
            c.end()?;
            DateTime::parse(s)
        })
    }
}

/// Quectel `AT+QLTS[=<mode>]`: the network time last synchronised,
/// `+QLTS: "yyyy/MM/dd,hh:mm:ss±zz,<dst>"`. Mode 1 asks for UTC, 2 for local time; `None`
/// sends the bare form. Timeout 2 s (TinyGSM BG96).
///
/// ```
/// use atmodem::codec::Lines;
/// use atmodem::dialects::{Command, identity::Qlts};
///
/// let mut buf = [0u8; 16];
/// assert_eq!(Qlts { mode: Some(2) }.encode(&mut buf).unwrap(), b"AT+QLTS=2\r");
/// let t = Qlts { mode: Some(2) }
///     .parse(Lines::from_slice(&[b"+QLTS: \"2019/01/13,03:40:48+32,0\""]))
///     .unwrap();
/// assert_eq!((t.time.year, t.dst), (2019, Some(0)));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Qlts {
    /// 1 = UTC, 2 = local time; `None` for `AT+QLTS`.
    pub mode: Option<u8>,
}

/// The answer to [`Qlts`]: the time and the daylight-saving adjustment, when printed.
///
/// ```
/// use atmodem::dialects::identity::{DateTime, NetworkTime};
/// let t = NetworkTime { time: DateTime::parse("2019/01/13,03:40:48+32").unwrap(), dst: Some(0) };
/// assert_eq!(t.time.hour, 3);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct NetworkTime {
    /// The date and time.
    pub time: DateTime,
    /// Daylight-saving adjustment in hours, when printed.
    pub dst: Option<u8>,
}

impl Command for Qlts {
    type Response<'a> = NetworkTime;
    const NAME: &'static str = "+QLTS";

    fn encode<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], EncodeError> {
        let mut w = CommandWriter::new(buf, Self::NAME);
        if let Some(m) = self.mode {
            w.uint(m.into());
        }
        w.finish()
    }

    fn expect(&self) -> Expect {
        Expect::tokens(&[b"+QLTS"])
    }

    fn timeout_ms(&self) -> u32 {
        2_000
    }

    fn parse<'a>(&self, lines: Lines<'a>) -> Result<NetworkTime, ParseError> {
        one_line::<Self, _>(lines, |l| {
            let mut c = Cursor::header(l, b"+QLTS")?;
            let inner = c.quoted()?;
            c.end()?;
            let mut t = Cursor::new(inner);
            let time = DateTime::read(&mut t)?;
            let dst = t.opt(|t| {
                t.comma()?;
                t.u8()
            });
            t.end()?;
            Some(NetworkTime { time, dst })
        })
    }
}
