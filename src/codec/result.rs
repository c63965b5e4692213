//! Final and intermediate result codes (ITU-T V.250 §5.7, 3GPP TS 27.007 §9.2).
//!
//! A line is a result code only if the whole line is one: `CONNECT OK` is not `CONNECT`,
//! and `ERROR: 3` (a Luat HTTP error line) is not `ERROR`.

use super::fields::trim;

/// An extended error report: `+CME ERROR: <n>` / `+CMS ERROR: <n>` in numeric mode
/// (`AT+CMEE=1`), or the verbose text (`AT+CMEE=2`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ErrorCode<'a> {
    /// Numeric code, e.g. `10` (SIM not inserted) or a Quectel 7xx HTTP error.
    Code(u16),
    /// Verbose text, e.g. `SIM not inserted`.
    Text(&'a str),
}

impl core::fmt::Display for ErrorCode<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Code(c) => write!(f, "{c}"),
            Self::Text(t) => f.write_str(t),
        }
    }
}

/// A final result code: it ends the command in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum FinalCode<'a> {
    /// `OK`
    Ok,
    /// `ERROR`
    Error,
    /// `+CME ERROR: <err>`
    Cme(ErrorCode<'a>),
    /// `+CMS ERROR: <err>`
    Cms(ErrorCode<'a>),
    /// `NO CARRIER`
    NoCarrier,
    /// `BUSY`
    Busy,
    /// `NO ANSWER`
    NoAnswer,
    /// `NO DIALTONE`
    NoDialtone,
}

fn error_code(rest: &[u8]) -> Option<ErrorCode<'_>> {
    let rest = trim(rest);
    if rest.is_empty() {
        return None;
    }
    let code = rest.iter().try_fold(0u16, |n, &d| {
        d.is_ascii_digit()
            .then(|| {
                n.checked_mul(10)?
                    .checked_add(u16::from(d.wrapping_sub(b'0')))
            })
            .flatten()
    });
    match code {
        Some(n) => Some(ErrorCode::Code(n)),
        // Verbose text, or a number too large for a code: kept as text.
        None => core::str::from_utf8(rest).ok().map(ErrorCode::Text),
    }
}

impl<'a> FinalCode<'a> {
    /// The final code this whole line is, if any.
    ///
    /// ```
    /// use atmodem::codec::{ErrorCode, FinalCode};
    /// assert_eq!(FinalCode::parse(b"OK"), Some(FinalCode::Ok));
    /// assert_eq!(FinalCode::parse(b"+CME ERROR: 10"), Some(FinalCode::Cme(ErrorCode::Code(10))));
    /// assert_eq!(
    ///     FinalCode::parse(b"+CME ERROR: SIM not inserted"),
    ///     Some(FinalCode::Cme(ErrorCode::Text("SIM not inserted")))
    /// );
    /// assert_eq!(FinalCode::parse(b"NO CARRIER"), Some(FinalCode::NoCarrier));
    /// assert_eq!(FinalCode::parse(b"OK 1"), None); // the whole line, or nothing
    /// assert_eq!(FinalCode::parse(b"+CEREG: 1"), None);
    /// ```
    pub fn parse(line: &'a [u8]) -> Option<Self> {
        match *line.first()? {
            b'O' if line == b"OK" => Some(Self::Ok),
            b'E' if line == b"ERROR" => Some(Self::Error),
            // Most `+` lines are URCs: rejected on their second and third bytes.
            b'+' => match line {
                [_, b'C', b'M', b'E', rest @ ..] => rest
                    .strip_prefix(b" ERROR:")
                    .and_then(error_code)
                    .map(Self::Cme),
                [_, b'C', b'M', b'S', rest @ ..] => rest
                    .strip_prefix(b" ERROR:")
                    .and_then(error_code)
                    .map(Self::Cms),
                _ => None,
            },
            b'N' => match line {
                b"NO CARRIER" => Some(Self::NoCarrier),
                b"NO ANSWER" => Some(Self::NoAnswer),
                b"NO DIALTONE" => Some(Self::NoDialtone),
                _ => None,
            },
            b'B' if line == b"BUSY" => Some(Self::Busy),
            _ => None,
        }
    }

    /// The code's name as the modem writes it (`OK`, `+CME ERROR`, ...).
    ///
    /// ```
    /// use atmodem::codec::{ErrorCode, FinalCode};
    /// assert_eq!(FinalCode::Cms(ErrorCode::Code(500)).name(), "+CMS ERROR");
    /// assert_eq!(FinalCode::NoDialtone.name(), "NO DIALTONE");
    /// ```
    pub fn name(&self) -> &'static str {
        match self {
            Self::Ok => "OK",
            Self::Error => "ERROR",
            Self::Cme(_) => "+CME ERROR",
            Self::Cms(_) => "+CMS ERROR",
            Self::NoCarrier => "NO CARRIER",
            Self::Busy => "BUSY",
            Self::NoAnswer => "NO ANSWER",
            Self::NoDialtone => "NO DIALTONE",
        }
    }

    /// `true` for `OK` only.
    ///
    /// ```
    /// use atmodem::codec::FinalCode;
    /// assert!(FinalCode::Ok.is_ok());
    /// assert!(!FinalCode::Error.is_ok());
    /// ```
    pub fn is_ok(&self) -> bool {
        matches!(self, Self::Ok)
    }
}

/// A prompt: the modem waits for data from the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Prompt<'a> {
    /// `> ` (3GPP TS 27.005 §3.5.1; Quectel `AT+QMTPUB`, Luat `AT+MPUBEX`).
    Angle,
    /// The V.250 intermediate code `CONNECT` (with an optional speed text), which opens a data
    /// phase (Quectel `AT+QHTTPURL`, `AT+QHTTPPOST`, `AT+QHTTPREAD`).
    Connect(Option<&'a str>),
    /// Luat `DOWNLOAD` (`AT+HTTPDATA`).
    Download,
}

impl<'a> Prompt<'a> {
    /// The line-shaped prompt this whole line is, if any. `CONNECT OK`, `CONNECT FAIL` are not
    /// prompts (they are Luat URCs); `CONNECT 115200` is.
    ///
    /// ```
    /// use atmodem::codec::Prompt;
    /// assert_eq!(Prompt::parse_line(b"CONNECT"), Some(Prompt::Connect(None)));
    /// assert_eq!(Prompt::parse_line(b"CONNECT 115200"), Some(Prompt::Connect(Some("115200"))));
    /// assert_eq!(Prompt::parse_line(b"CONNECT OK"), None);
    /// assert_eq!(Prompt::parse_line(b"DOWNLOAD"), Some(Prompt::Download));
    /// ```
    pub fn parse_line(line: &'a [u8]) -> Option<Self> {
        match *line.first()? {
            b'C' => {
                let rest = line.strip_prefix(b"CONNECT")?;
                if rest.is_empty() {
                    return Some(Self::Connect(None));
                }
                let text = rest.strip_prefix(b" ")?;
                if text.first().is_some_and(u8::is_ascii_digit) {
                    core::str::from_utf8(text)
                        .ok()
                        .map(|t| Self::Connect(Some(t)))
                } else {
                    None
                }
            }
            b'D' if line == b"DOWNLOAD" => Some(Self::Download),
            _ => None,
        }
    }
}

/// Which prompt opens a command's data phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum PromptKind {
    /// `> ` (Quectel `AT+QMTPUB`/`AT+QMTPUBEX`, Luat `AT+MPUBEX`).
    Angle,
    /// `CONNECT` (Quectel `AT+QHTTPURL`/`AT+QHTTPPOST`/`AT+QHTTPREAD`).
    Connect,
    /// `DOWNLOAD` (Luat `AT+HTTPDATA`).
    Download,
}

impl Prompt<'_> {
    /// The kind of this prompt.
    ///
    /// ```
    /// use atmodem::codec::{Prompt, PromptKind};
    /// assert_eq!(Prompt::Connect(Some("115200")).kind(), PromptKind::Connect);
    /// assert_eq!(Prompt::Angle.kind(), PromptKind::Angle);
    /// ```
    pub fn kind(&self) -> PromptKind {
        match self {
            Self::Angle => PromptKind::Angle,
            Self::Connect(_) => PromptKind::Connect,
            Self::Download => PromptKind::Download,
        }
    }
}
