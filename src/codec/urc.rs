//! Line tokens and the 3GPP TS 27.007 / V.250 URCs every family shares.
//!
//! Dispatch is on the line's whole token ([`token`]), never on a prefix: `+QMTPUB` does not
//! match `+QMTPUBEX`. A line that no parser knows is reported by the classifier as
//! [`Item::Unknown`](super::Item::Unknown), never dropped.

use super::fields::{Cursor, trim, trim_end};
use crate::codec::RawLine;

/// The token of a line: the text before its first `:` with trailing spaces removed
/// (`+MQTTSTATU :0` → `+MQTTSTATU`), without a trailing number argument
/// (`+SAPBR 1: DEACT` → `+SAPBR`); the whole line for bare words (`RDY`, `CONNECT OK`,
/// `+PDP DEACT`). Text with quotes, commas or braces before the colon is not a token: the
/// whole line is returned, as it is when no `:` appears in the first 32 bytes.
///
/// ```
/// use atmodem::codec::token;
/// assert_eq!(token(b"+QMTSTAT: 0,1"), b"+QMTSTAT");
/// assert_eq!(token(b"+MQTTSTATU :0"), b"+MQTTSTATU");
/// assert_eq!(token(b"+SAPBR 1: DEACT"), b"+SAPBR");
/// assert_eq!(token(b"RDY"), b"RDY");
/// // A quoted text before the colon is not a token.
/// assert_eq!(token(b"\"a:b\""), b"\"a:b\"");
/// ```
pub fn token(line: &[u8]) -> &[u8] {
    // A token is short: its colon is looked for in the first bytes only, so the cost per line
    // is bounded whatever the line's length. The same pass notes whether a space or a byte
    // that cannot be in a token comes before the colon.
    let mut seen = 0u8;
    let mut colon = None;
    for (i, &b) in line.iter().take(TOKEN_MAX).enumerate() {
        let class = TOKEN_CLASS.get(usize::from(b)).copied().unwrap_or(0);
        if class == COLON {
            colon = Some(i);
            break;
        }
        seen |= class;
    }
    let Some(colon) = colon else {
        return line;
    };
    let head = line.get(..colon).unwrap_or_default();
    if seen & NOT_TOKEN != 0 {
        return line;
    }
    if seen & SPACE == 0 {
        // The common shape, `+QMTPUBEX: ...`.
        return if head.is_empty() { line } else { head };
    }
    let mut head = trim_end(head);
    if let Some(sp) = head.iter().rposition(|&b| b == b' ') {
        let arg = head.get(sp.saturating_add(1)..).unwrap_or_default();
        if !arg.is_empty() && arg.iter().all(u8::is_ascii_digit) {
            head = trim_end(head.get(..sp).unwrap_or_default());
        }
    }
    if head.is_empty() { line } else { head }
}

/// [`token`]'s byte classes, one look-up a byte: a space, a byte that cannot be in a token
/// (`"`, `,`, `{`, `}`), the colon.
const SPACE: u8 = 1;
const NOT_TOKEN: u8 = 2;
const COLON: u8 = 4;
static TOKEN_CLASS: [u8; 256] = token_classes();

const fn token_classes() -> [u8; 256] {
    let mut table = [0u8; 256];
    let mut rest: &mut [u8] = &mut table;
    let mut b: u8 = 0;
    while let Some((slot, tail)) = rest.split_first_mut() {
        *slot = match b {
            b' ' => SPACE,
            b'"' | b',' | b'{' | b'}' => NOT_TOKEN,
            b':' => COLON,
            _ => 0,
        };
        b = b.wrapping_add(1);
        rest = tail;
    }
    table
}

/// The longest token [`token`] looks for.
const TOKEN_MAX: usize = 32;

/// Whether a line's token is `expected`, allowing the space some firmware writes after `+`
/// (`+ HTTPSSL: 1` is `+HTTPSSL`).
///
/// ```
/// use atmodem::codec::token_is;
/// assert!(token_is(b"+HTTPSSL", b"+HTTPSSL"));
/// assert!(token_is(b"+ HTTPSSL", b"+HTTPSSL"));
/// // Whole tokens only: `+QMTPUB` is not `+QMTPUBEX`.
/// assert!(!token_is(b"+QMTPUBEX", b"+QMTPUB"));
/// ```
pub fn token_is(token: &[u8], expected: &[u8]) -> bool {
    if token == expected {
        return true;
    }
    match (token.strip_prefix(b"+ "), expected.strip_prefix(b"+")) {
        (Some(t), Some(e)) => t == e,
        _ => false,
    }
}

/// Network registration status (`<stat>` of `+CREG`, `+CGREG`, `+CEREG`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum RegStatus {
    /// 0: not registered, not searching.
    NotRegistered,
    /// 1: registered, home network.
    Home,
    /// 2: not registered, searching.
    Searching,
    /// 3: registration denied.
    Denied,
    /// 4: unknown (e.g. out of coverage).
    Unknown,
    /// 5: registered, roaming.
    Roaming,
    /// Any other value (SMS-only, emergency-only, ... in later 27.007 releases).
    Other(u8),
}

impl From<u8> for RegStatus {
    fn from(v: u8) -> Self {
        match v {
            0 => Self::NotRegistered,
            1 => Self::Home,
            2 => Self::Searching,
            3 => Self::Denied,
            4 => Self::Unknown,
            5 => Self::Roaming,
            o => Self::Other(o),
        }
    }
}

impl From<RegStatus> for u8 {
    fn from(s: RegStatus) -> u8 {
        match s {
            RegStatus::NotRegistered => 0,
            RegStatus::Home => 1,
            RegStatus::Searching => 2,
            RegStatus::Denied => 3,
            RegStatus::Unknown => 4,
            RegStatus::Roaming => 5,
            RegStatus::Other(o) => o,
        }
    }
}

impl RegStatus {
    /// Registered, at home or roaming.
    ///
    /// ```
    /// use atmodem::codec::RegStatus;
    /// // 27.007 <stat>: 1 home, 5 roaming, 2 searching, 3 denied.
    /// assert!(RegStatus::from(1).is_registered());
    /// assert!(RegStatus::from(5).is_registered());
    /// assert!(!RegStatus::from(2).is_registered());
    /// assert!(!RegStatus::Denied.is_registered());
    /// ```
    pub fn is_registered(self) -> bool {
        matches!(self, Self::Home | Self::Roaming)
    }
}

/// A `+CREG` / `+CGREG` / `+CEREG` report, as URC or as read response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Registration<'a> {
    /// `<n>`, the URC mode; present in read responses only.
    pub n: Option<u8>,
    /// `<stat>`.
    pub stat: RegStatus,
    /// `<lac>` / `<tac>` as sent (hex text), if present and not empty.
    pub area: Option<&'a str>,
    /// `<ci>` as sent (hex text), if present and not empty.
    pub cell: Option<&'a str>,
    /// `<AcT>` access technology (7 = E-UTRAN), if present.
    pub act: Option<u8>,
}

fn opt_text(s: &str) -> Option<&str> {
    (!s.is_empty()).then_some(s)
}

/// `[,<lac/tac>,<ci>[,<AcT>[,...]]]`: the location fields are quoted (or empty), and later
/// fields (cause type, reject cause, PSM timers) are accepted and ignored.
fn location<'a>(c: &mut Cursor<'a>) -> (Option<&'a str>, Option<&'a str>, Option<u8>) {
    c.opt(|c| {
        c.comma()?;
        let area = c.quoted_or_empty()?;
        c.comma()?;
        let cell = c.quoted_or_empty()?;
        let act = c.opt(|c| {
            c.comma()?;
            let act = c.opt(Cursor::u8);
            c.skip_rest();
            Some(act)
        });
        Some((opt_text(area), opt_text(cell), act.flatten()))
    })
    .unwrap_or((None, None, None))
}

impl<'a> Registration<'a> {
    fn parse_with(tok: &[u8], line: &'a [u8], read: bool) -> Option<Self> {
        let mut c = Cursor::header(line, tok)?;
        let n = if read {
            let n = c.u8()?;
            c.comma()?;
            Some(n)
        } else {
            None
        };
        let stat = c.u8()?;
        let (area, cell, act) = location(&mut c);
        c.end()?;
        Some(Self {
            n,
            stat: stat.into(),
            area,
            cell,
            act,
        })
    }

    /// [`Self::parse_urc`] for any token.
    fn parse_any(tok: &[u8], line: &'a [u8]) -> Option<Self> {
        Self::parse_with(tok, line, false).or_else(|| Self::parse_with(tok, line, true))
    }

    /// The URC shape `<tok>: <stat>[,<lac>,<ci>[,<AcT>]]`; `tok` is `+CREG`, `+CGREG` or `+CEREG`.
    /// A read-shaped line (`+CEREG: 0,1`) that arrives unsolicited is also accepted.
    ///
    /// ```
    /// use atmodem::codec::{RegStatus, Registration};
    /// let r = Registration::parse_urc(b"+CEREG", br#"+CEREG: 1,"2540","0A2D0B3",7"#).unwrap();
    /// assert_eq!(r.n, None);
    /// assert_eq!(r.stat, RegStatus::Home);
    /// assert_eq!((r.area, r.cell, r.act), (Some("2540"), Some("0A2D0B3"), Some(7)));
    /// let short = Registration::parse_urc(b"+CREG", b"+CREG: 2").unwrap();
    /// assert_eq!((short.stat, short.area), (RegStatus::Searching, None));
    /// assert!(Registration::parse_urc(b"+CEREG", b"+CGREG: 1").is_none());
    /// ```
    pub fn parse_urc(tok: &'static [u8], line: &'a [u8]) -> Option<Self> {
        Self::parse_with(tok, line, false).or_else(|| Self::parse_read(tok, line))
    }

    /// The read-response shape `<tok>: <n>,<stat>[,<lac>,<ci>[,<AcT>]]`.
    ///
    /// ```
    /// use atmodem::codec::{RegStatus, Registration};
    /// // The answer to `AT+CGREG?` with `<n>` = 2 and a roaming registration.
    /// let r = Registration::parse_read(b"+CGREG", br#"+CGREG: 2,5,"1A2B","00C3F1",2"#).unwrap();
    /// assert_eq!((r.n, r.stat), (Some(2), RegStatus::Roaming));
    /// assert_eq!((r.area, r.cell, r.act), (Some("1A2B"), Some("00C3F1"), Some(2)));
    /// assert_eq!(Registration::parse_read(b"+CEREG", b"+CEREG: 0,3").unwrap().stat, RegStatus::Denied);
    /// ```
    pub fn parse_read(tok: &'static [u8], line: &'a [u8]) -> Option<Self> {
        Self::parse_with(tok, line, true)
    }
}

/// SIM state from `+CPIN: <code>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum SimState<'a> {
    /// `READY`
    Ready,
    /// `SIM PIN`
    SimPin,
    /// `SIM PUK`
    SimPuk,
    /// `SIM PIN2`
    SimPin2,
    /// `SIM PUK2`
    SimPuk2,
    /// `PH-SIM PIN`
    PhSimPin,
    /// `NOT INSERTED` / `SIM REMOVED`
    NotInserted,
    /// `NOT READY`
    NotReady,
    /// Any other code, as sent.
    Other(&'a str),
}

impl<'a> SimState<'a> {
    /// Parse a `+CPIN: <code>` line.
    ///
    /// ```
    /// use atmodem::codec::SimState;
    /// assert_eq!(SimState::parse(b"+CPIN: READY"), Some(SimState::Ready));
    /// assert_eq!(SimState::parse(b"+CPIN: SIM PIN"), Some(SimState::SimPin));
    /// assert_eq!(SimState::parse(b"+CPIN: NOT INSERTED"), Some(SimState::NotInserted));
    /// assert_eq!(SimState::parse(b"+CPIN: BLOCKED"), Some(SimState::Other("BLOCKED")));
    /// assert_eq!(SimState::parse(b"+CREG: 1"), None);
    /// ```
    pub fn parse(line: &'a [u8]) -> Option<Self> {
        let code = Cursor::header_text(line, b"+CPIN")?;
        Some(match code {
            "READY" => Self::Ready,
            "SIM PIN" => Self::SimPin,
            "SIM PUK" => Self::SimPuk,
            "SIM PIN2" => Self::SimPin2,
            "SIM PUK2" => Self::SimPuk2,
            "PH-SIM PIN" => Self::PhSimPin,
            "NOT INSERTED" | "SIM REMOVED" => Self::NotInserted,
            "NOT READY" => Self::NotReady,
            "" => return None,
            other => Self::Other(other),
        })
    }
}

/// A packet-domain event from `+CGEV: ...` (3GPP TS 27.007 §10.1.19).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum PdpEvent<'a> {
    /// `NW PDN ACT <cid>`
    NwPdnAct(u8),
    /// `NW PDN DEACT <cid>`: the network deactivated the context.
    NwPdnDeact(u8),
    /// `ME PDN ACT <cid>[,<reason>]`
    MePdnAct(u8),
    /// `ME PDN DEACT <cid>`
    MePdnDeact(u8),
    /// `NW DETACH`
    NwDetach,
    /// `ME DETACH`
    MeDetach,
    /// Any other event, as sent.
    Other(&'a str),
}

impl<'a> PdpEvent<'a> {
    /// Parse a `+CGEV: ...` line.
    ///
    /// ```
    /// use atmodem::codec::PdpEvent;
    /// // 27.007 §10.1.19 event shapes.
    /// assert_eq!(PdpEvent::parse(b"+CGEV: NW PDN DEACT 1"), Some(PdpEvent::NwPdnDeact(1)));
    /// assert_eq!(PdpEvent::parse(b"+CGEV: ME PDN ACT 2,1"), Some(PdpEvent::MePdnAct(2)));
    /// assert_eq!(PdpEvent::parse(b"+CGEV: NW DETACH"), Some(PdpEvent::NwDetach));
    /// ```
    pub fn parse(line: &'a [u8]) -> Option<Self> {
        let body = trim(Cursor::header(line, b"+CGEV")?.rest());
        let pdn = |word: &'static [u8]| {
            let mut c = Cursor::new(body.strip_prefix(word)?);
            c.spaces1()?;
            let cid = c.u8()?;
            c.opt(|c| {
                c.comma()?;
                c.skip_rest();
                Some(())
            });
            c.end()?;
            Some(cid)
        };
        if let Some(cid) = pdn(b"NW PDN ACT") {
            return Some(Self::NwPdnAct(cid));
        }
        if let Some(cid) = pdn(b"NW PDN DEACT") {
            return Some(Self::NwPdnDeact(cid));
        }
        if let Some(cid) = pdn(b"ME PDN ACT") {
            return Some(Self::MePdnAct(cid));
        }
        if let Some(cid) = pdn(b"ME PDN DEACT") {
            return Some(Self::MePdnDeact(cid));
        }
        match body {
            b"NW DETACH" => Some(Self::NwDetach),
            b"ME DETACH" => Some(Self::MeDetach),
            b"" => None,
            other => core::str::from_utf8(other).ok().map(Self::Other),
        }
    }
}

/// The URCs of 3GPP TS 27.007 / V.250 that every family emits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Urc<'a> {
    /// `+CREG: ...` circuit-switched registration.
    Creg(Registration<'a>),
    /// `+CGREG: ...` GPRS registration.
    Cgreg(Registration<'a>),
    /// `+CEREG: ...` EPS (LTE) registration.
    Cereg(Registration<'a>),
    /// `+CPIN: ...` SIM state.
    Cpin(SimState<'a>),
    /// `+CGEV: ...` packet-domain event.
    Cgev(PdpEvent<'a>),
    /// `RDY`: the module (re)booted; every session it had is gone.
    Ready,
    /// The module is shutting down: every session is gone and nothing is answered until it
    /// boots again. `POWERED DOWN` (Quectel, after `AT+QPOWD` or the power key), or one of
    /// the shutdown notices that come before it or stand alone: `NORMAL POWER DOWN` (Quectel
    /// when the power key is pressed, Luat and SIMCom after `AT+CPOWD=1`), and the automatic
    /// shutdowns on a supply out of range, `UNDER-VOLTAGE POWER DOWN` and
    /// `OVER-VOLTAGE POWER DOWN` (SIMCom; Quectel writes them with `_`).
    PoweredDown,
    /// A known token whose fields did not parse. Kept, never dropped.
    Malformed {
        /// The line's token.
        token: &'a [u8],
        /// The whole line (shown by length only).
        line: RawLine<'a>,
    },
}

/// The tokens of [`Urc`]; the constants below index it. The shutdown notices after
/// `POWERED DOWN` all mean [`Urc::PoweredDown`].
const TOKENS: [&[u8]; 12] = [
    b"+CEREG",
    b"+CREG",
    b"+CGREG",
    b"+CPIN",
    b"+CGEV",
    b"RDY",
    b"POWERED DOWN",
    b"NORMAL POWER DOWN",
    b"UNDER-VOLTAGE POWER DOWN",
    b"OVER-VOLTAGE POWER DOWN",
    b"UNDER_VOLTAGE POWER DOWN",
    b"OVER_VOLTAGE POWER DOWN",
];
const CEREG: usize = 0;
const CREG: usize = 1;
const CGREG: usize = 2;
const CPIN: usize = 3;
const CGEV: usize = 4;
const RDY: usize = 5;
const POWERED_DOWN: usize = 6;

impl<'a> Urc<'a> {
    /// Classify a line by its token (see [`token`]); `None` when the token is not one of these.
    ///
    /// ```
    /// use atmodem::codec::{RegStatus, SimState, Urc, token};
    /// let line = b"+CEREG: 5";
    /// match Urc::parse(token(line), line) {
    ///     Some(Urc::Cereg(r)) => assert_eq!(r.stat, RegStatus::Roaming),
    ///     other => panic!("{other:?}"),
    /// }
    /// assert_eq!(Urc::parse(b"RDY", b"RDY"), Some(Urc::Ready));
    /// let line = b"NORMAL POWER DOWN";
    /// assert_eq!(Urc::parse(token(line), line), Some(Urc::PoweredDown));
    /// assert_eq!(Urc::parse(b"+CPIN", b"+CPIN: READY"), Some(Urc::Cpin(SimState::Ready)));
    /// // A known token with fields that do not parse is kept as malformed.
    /// assert!(matches!(Urc::parse(b"+CEREG", b"+CEREG: x"), Some(Urc::Malformed { .. })));
    /// assert_eq!(Urc::parse(b"+QMTSTAT", b"+QMTSTAT: 0,1"), None);
    /// ```
    pub fn parse(token: &'a [u8], line: &'a [u8]) -> Option<Self> {
        let k = TOKENS.iter().position(|t| *t == token)?;
        // The parsers check the header against `token`, which is usually the line's own head.
        let parsed = match k {
            CEREG => Registration::parse_any(token, line).map(Self::Cereg),
            CREG => Registration::parse_any(token, line).map(Self::Creg),
            CGREG => Registration::parse_any(token, line).map(Self::Cgreg),
            CPIN => SimState::parse(line).map(Self::Cpin),
            CGEV => PdpEvent::parse(line).map(Self::Cgev),
            RDY => Some(Self::Ready),
            POWERED_DOWN.. => Some(Self::PoweredDown),
        };
        Some(parsed.unwrap_or(Self::Malformed {
            token,
            line: RawLine(line),
        }))
    }
}
