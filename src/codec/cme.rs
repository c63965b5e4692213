//! `+CME ERROR` codes and their verbose texts (3GPP TS 27.007 §9.2), and a small `Copy`
//! value that keeps what the module said in either `AT+CMEE` mode.
//!
//! With `AT+CMEE=1` a module reports `+CME ERROR: 10`, with `AT+CMEE=2` it reports
//! `+CME ERROR: SIM not inserted`. [`cme_code`] maps the standard texts to their numbers
//! (ASCII case-insensitive: vendors capitalise them differently) and [`cme_text`] back, so
//! code that classifies by number works in both modes.

use super::result::ErrorCode;

/// The `+CME ERROR` codes of 3GPP TS 27.007 §9.2.1 (general errors) and §9.2.2 (GPRS
/// errors), with their verbose texts as the specification writes them, plus the one vendor
/// code the client itself tests (Luat 767 `Operation failed`, which `AT+MIPCLOSE` returns
/// when the link is already closed).
const CME_TEXTS: &[(u16, &str)] = &[
    (0, "phone failure"),
    (1, "no connection to phone"),
    (2, "phone-adaptor link reserved"),
    (3, "operation not allowed"),
    (4, "operation not supported"),
    (5, "PH-SIM PIN required"),
    (6, "PH-FSIM PIN required"),
    (7, "PH-FSIM PUK required"),
    (10, "SIM not inserted"),
    (11, "SIM PIN required"),
    (12, "SIM PUK required"),
    (13, "SIM failure"),
    (14, "SIM busy"),
    (15, "SIM wrong"),
    (16, "incorrect password"),
    (17, "SIM PIN2 required"),
    (18, "SIM PUK2 required"),
    (20, "memory full"),
    (21, "invalid index"),
    (22, "not found"),
    (23, "memory failure"),
    (24, "text string too long"),
    (25, "invalid characters in text string"),
    (26, "dial string too long"),
    (27, "invalid characters in dial string"),
    (30, "no network service"),
    (31, "network timeout"),
    (32, "network not allowed - emergency calls only"),
    (40, "network personalization PIN required"),
    (41, "network personalization PUK required"),
    (42, "network subset personalization PIN required"),
    (43, "network subset personalization PUK required"),
    (44, "service provider personalization PIN required"),
    (45, "service provider personalization PUK required"),
    (46, "corporate personalization PIN required"),
    (47, "corporate personalization PUK required"),
    (50, "Incorrect parameters"),
    (100, "unknown"),
    (103, "Illegal MS"),
    (106, "Illegal ME"),
    (107, "GPRS services not allowed"),
    (111, "PLMN not allowed"),
    (112, "Location area not allowed"),
    (113, "Roaming not allowed in this location area"),
    (132, "service option not supported"),
    (133, "requested service option not subscribed"),
    (134, "service option temporarily out of order"),
    (148, "unspecified GPRS error"),
    (149, "PDP authentication failure"),
    (150, "invalid mobile class"),
    (767, "Operation failed"),
];

/// The number of a verbose `+CME ERROR` text (3GPP TS 27.007 §9.2), compared ASCII
/// case-insensitively; `None` for a text the table does not hold (a vendor's own).
///
/// ```
/// use atmodem::codec::cme_code;
/// assert_eq!(cme_code("SIM not inserted"), Some(10));
/// assert_eq!(cme_code("incorrect PASSWORD"), Some(16));
/// assert_eq!(cme_code("HTTP(S) unknown error"), None);
/// ```
pub fn cme_code(text: &str) -> Option<u16> {
    CME_TEXTS
        .iter()
        .find(|(_, t)| t.eq_ignore_ascii_case(text))
        .map(|&(n, _)| n)
}

/// The verbose text of `+CME ERROR` number `code` as 3GPP TS 27.007 §9.2 writes it; `None`
/// for a number the table does not hold.
///
/// ```
/// use atmodem::codec::cme_text;
/// assert_eq!(cme_text(12), Some("SIM PUK required"));
/// assert_eq!(cme_text(701), None);
/// ```
pub fn cme_text(code: u16) -> Option<&'static str> {
    CME_TEXTS.iter().find(|&&(n, _)| n == code).map(|&(_, t)| t)
}

/// An extended error report (`+CME ERROR: <err>` or `+CMS ERROR: <err>`) kept by value:
/// the number when it is known and the verbose text as the module wrote it.
///
/// In numeric mode (`AT+CMEE=1`) only the number is there. In verbose mode (`AT+CMEE=2`) the
/// text is kept (up to [`TEXT_CAP`](Self::TEXT_CAP) bytes, cut on a character boundary and
/// [flagged](Self::is_truncated)) and, for `+CME ERROR`, the number is looked up from the
/// whole text with [`cme_code`], so [`number`](Self::number) answers in both modes.
///
/// ```
/// use atmodem::codec::{ErrorCode, ExtendedError};
/// let numeric = ExtendedError::cme(&ErrorCode::Code(10));
/// let verbose = ExtendedError::cme(&ErrorCode::Text("SIM not inserted"));
/// assert_eq!((numeric.number(), numeric.text()), (Some(10), ""));
/// assert_eq!((verbose.number(), verbose.text()), (Some(10), "SIM not inserted"));
/// assert_eq!(verbose.to_string(), "SIM not inserted");
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ExtendedError {
    number: Option<u16>,
    len: u8,
    truncated: bool,
    text: [u8; Self::TEXT_CAP],
}

impl ExtendedError {
    /// The longest verbose text kept, in bytes.
    pub const TEXT_CAP: usize = 32;

    /// A numeric report, `+CME ERROR: <n>`, with no text.
    ///
    /// ```
    /// use atmodem::codec::ExtendedError;
    /// let e = ExtendedError::numeric(16);
    /// assert_eq!((e.number(), e.text(), e.is_truncated()), (Some(16), "", false));
    /// ```
    pub const fn numeric(number: u16) -> Self {
        Self {
            number: Some(number),
            len: 0,
            truncated: false,
            text: [0; Self::TEXT_CAP],
        }
    }

    /// A verbose report: `text` kept (cut to [`TEXT_CAP`](Self::TEXT_CAP) bytes on a
    /// character boundary), with the number given (`None` when unknown).
    ///
    /// ```
    /// use atmodem::codec::ExtendedError;
    /// let e = ExtendedError::verbose("service provider personalization PUK required", Some(45));
    /// assert_eq!(e.text(), "service provider personalization");
    /// assert!(e.is_truncated());
    /// assert_eq!(e.number(), Some(45));
    /// ```
    pub fn verbose(text: &str, number: Option<u16>) -> Self {
        let mut end = text.len().min(Self::TEXT_CAP);
        while !text.is_char_boundary(end) {
            end = end.saturating_sub(1);
        }
        let kept = text.as_bytes().get(..end).unwrap_or_default();
        let mut buf = [0; Self::TEXT_CAP];
        if let Some(d) = buf.get_mut(..kept.len()) {
            d.copy_from_slice(kept);
        }
        Self {
            number,
            len: u8::try_from(kept.len()).unwrap_or(0),
            truncated: kept.len() < text.len(),
            text: buf,
        }
    }

    /// A `+CME ERROR` as the codec read it: a number, or a verbose text whose number is
    /// looked up with [`cme_code`].
    ///
    /// ```
    /// use atmodem::codec::{ErrorCode, ExtendedError};
    /// assert_eq!(ExtendedError::cme(&ErrorCode::Text("sim busy")).number(), Some(14));
    /// assert_eq!(ExtendedError::cme(&ErrorCode::Text("HTTP(S) timeout")).number(), None);
    /// ```
    pub fn cme(code: &ErrorCode<'_>) -> Self {
        match code {
            ErrorCode::Code(n) => Self::numeric(*n),
            ErrorCode::Text(t) => Self::verbose(t, cme_code(t)),
        }
    }

    /// A `+CMS ERROR` (3GPP TS 27.005 §3.2.5) as the codec read it. Its numbers are not
    /// the `+CME` ones, and no text is mapped: a verbose report has no number.
    ///
    /// ```
    /// use atmodem::codec::{ErrorCode, ExtendedError};
    /// assert_eq!(ExtendedError::cms(&ErrorCode::Code(310)).number(), Some(310));
    /// assert_eq!(ExtendedError::cms(&ErrorCode::Text("SIM not inserted")).number(), None);
    /// ```
    pub fn cms(code: &ErrorCode<'_>) -> Self {
        match code {
            ErrorCode::Code(n) => Self::numeric(*n),
            ErrorCode::Text(t) => Self::verbose(t, None),
        }
    }

    /// The error's number: as sent in numeric mode, looked up from the text in verbose
    /// mode; `None` for a text that is not in the table.
    ///
    /// ```
    /// use atmodem::codec::{ErrorCode, ExtendedError};
    /// assert_eq!(ExtendedError::cme(&ErrorCode::Text("SIM PIN required")).number(), Some(11));
    /// ```
    pub const fn number(&self) -> Option<u16> {
        self.number
    }

    /// The verbose text as the module wrote it (empty in numeric mode), at most
    /// [`TEXT_CAP`](Self::TEXT_CAP) bytes.
    ///
    /// ```
    /// use atmodem::codec::ExtendedError;
    /// assert_eq!(ExtendedError::verbose("SIM busy", Some(14)).text(), "SIM busy");
    /// ```
    pub fn text(&self) -> &str {
        let bytes = self.text.get(..usize::from(self.len)).unwrap_or_default();
        core::str::from_utf8(bytes).unwrap_or_default()
    }

    /// Whether the module's text was longer than [`TEXT_CAP`](Self::TEXT_CAP) and was cut.
    ///
    /// ```
    /// use atmodem::codec::ExtendedError;
    /// assert!(!ExtendedError::verbose("SIM busy", Some(14)).is_truncated());
    /// ```
    pub const fn is_truncated(&self) -> bool {
        self.truncated
    }

    /// The standard `+CME ERROR` text of [`number`](Self::number) ([`cme_text`]); `None`
    /// when the number is unknown or not in the table.
    ///
    /// ```
    /// use atmodem::codec::ExtendedError;
    /// assert_eq!(ExtendedError::numeric(10).standard_text(), Some("SIM not inserted"));
    /// ```
    pub fn standard_text(&self) -> Option<&'static str> {
        self.number.and_then(cme_text)
    }
}

impl core::fmt::Debug for ExtendedError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ExtendedError")
            .field("number", &self.number)
            .field("text", &self.text())
            .field("truncated", &self.truncated)
            .finish()
    }
}

impl core::fmt::Display for ExtendedError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match (self.text(), self.number) {
            ("", Some(n)) => write!(f, "{n}"),
            (t, _) => {
                f.write_str(t)?;
                if self.truncated {
                    f.write_str("...")?;
                }
                Ok(())
            }
        }
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for ExtendedError {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(
            f,
            "ExtendedError {{ number: {}, text: {=str}, truncated: {=bool} }}",
            self.number,
            self.text(),
            self.truncated
        );
    }
}
