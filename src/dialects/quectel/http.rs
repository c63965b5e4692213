//! Quectel HTTP(S): `AT+QHTTPCFG`, `AT+QHTTPURL`, `AT+QHTTPPOST`, `AT+QHTTPGET`,
//! `AT+QHTTPGETEX`, `AT+QHTTPREAD`, `AT+QHTTPSTOP`.
//!
//! Source: Quectel "LTE Standard HTTP(S) Application Note" (defaults: 60 s to type the URL
//! or body, 60 s for the server's response) and Quectel's own host-side HTTP client (the
//! 701–730 error table; `AT+QHTTPREAD` delivers `CONNECT`, exactly `<content_length>` body
//! bytes, `OK`, then `+QHTTPREAD: <err>`).

use super::Quectel;
use super::urc::{HttpResult, QuectelUrc};
use crate::codec::fields::{comma, full, header, quoted_str, rest_str};
use crate::codec::{CommandWriter, EncodeError, Expect, Lines, PromptKind, Seen, check_url};
use crate::dialects::{ActionError, Command, Deferred, Hidden, ParseError, no_response, one_line};
use nom::Parser;

/// The default input and response times of the HTTP commands, in seconds.
pub const DEFAULT_WAIT_SECS: u16 = 60;

/// The text of a Quectel HTTP(S) error code (`+CME ERROR: 7xx` or the `<err>` of the
/// HTTP URCs); `None` for a code outside the table.
///
/// ```
/// use atmodem::dialects::quectel::http_error_text;
/// assert_eq!(http_error_text(702), Some("timeout"));
/// assert_eq!(http_error_text(714), Some("DNS error"));
/// assert_eq!(http_error_text(600), None);
/// ```
pub fn http_error_text(code: u16) -> Option<&'static str> {
    Some(match code {
        0 => "success",
        701 => "unknown error",
        702 => "timeout",
        703 => "busy",
        704 => "UART busy",
        705 => "no GET/POST/PUT request",
        706 => "network busy",
        707 => "network open failed",
        708 => "network no configuration",
        709 => "network deactivated",
        710 => "network error",
        711 => "URL error",
        712 => "empty URL",
        713 => "IP address error",
        714 => "DNS error",
        715 => "socket create error",
        716 => "socket connect error",
        717 => "socket read error",
        718 => "socket write error",
        719 => "socket closed",
        720 => "data encode error",
        721 => "data decode error",
        722 => "read timeout",
        723 => "response failed",
        724 => "incoming call busy",
        725 => "voice call busy",
        726 => "input timeout",
        727 => "wait data timeout",
        728 => "wait HTTP(S) response timeout",
        729 => "memory allocation failed",
        730 => "invalid parameter",
        _ => return None,
    })
}

/// `AT+QHTTPCFG` settings. `Debug` and `defmt` show the length of [`Auth`](Self::Auth)
/// only.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum QhttpSetting<'a> {
    /// `"contextid",<cid>`: the PDP context to use.
    ContextId(u8),
    /// `"requestheader",<0|1>`: the POST body carries the whole request header.
    RequestHeader(bool),
    /// `"responseheader",<0|1>`: `AT+QHTTPREAD` output starts with the response header.
    ResponseHeader(bool),
    /// `"sslctxid",<ctx>`.
    SslCtxId(u8),
    /// `"contenttype",<n>`: 0 `application/x-www-form-urlencoded` (default), 1 `text/plain`,
    /// 2 `application/octet-stream`, 3 `multipart/form-data`, 4 `application/json`
    /// (later firmware).
    ContentType(u8),
    /// `"auth","<user>:<password>"`.
    Auth(&'a str),
}

impl core::fmt::Debug for QhttpSetting<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::ContextId(v) => f.debug_tuple("ContextId").field(v).finish(),
            Self::RequestHeader(v) => f.debug_tuple("RequestHeader").field(v).finish(),
            Self::ResponseHeader(v) => f.debug_tuple("ResponseHeader").field(v).finish(),
            Self::SslCtxId(v) => f.debug_tuple("SslCtxId").field(v).finish(),
            Self::ContentType(v) => f.debug_tuple("ContentType").field(v).finish(),
            Self::Auth(a) => f
                .debug_tuple("Auth")
                .field(&Hidden::of(a.as_bytes()))
                .finish(),
        }
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for QhttpSetting<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        match self {
            Self::Auth(a) => defmt::write!(f, "Auth({})", Hidden::of(a.as_bytes())),
            other => defmt::write!(f, "{=str}", other.name()),
        }
    }
}

impl QhttpSetting<'_> {
    const fn name(&self) -> &'static str {
        match self {
            Self::ContextId(_) => "contextid",
            Self::RequestHeader(_) => "requestheader",
            Self::ResponseHeader(_) => "responseheader",
            Self::SslCtxId(_) => "sslctxid",
            Self::ContentType(_) => "contenttype",
            Self::Auth(_) => "auth",
        }
    }
}

/// `AT+QHTTPCFG="<name>",<value>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct QhttpCfg<'a>(pub QhttpSetting<'a>);

impl Command for QhttpCfg<'_> {
    no_response!();
    const NAME: &'static str = "+QHTTPCFG";

    fn encode<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], EncodeError> {
        let mut w = CommandWriter::new(buf, Self::NAME);
        w.string("name", self.0.name());
        match self.0 {
            QhttpSetting::ContextId(v)
            | QhttpSetting::SslCtxId(v)
            | QhttpSetting::ContentType(v) => {
                w.uint(v.into());
            }
            QhttpSetting::RequestHeader(b) | QhttpSetting::ResponseHeader(b) => {
                w.uint(b.into());
            }
            QhttpSetting::Auth(a) => {
                w.string("auth", a);
            }
        }
        w.finish()
    }

    fn timeout_ms(&self) -> u32 {
        300
    }
}

/// `AT+QHTTPCFG="<name>"`: read a setting; the response is the value text after the name
/// (`+QHTTPCFG: "contextid",1` → `1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct QhttpCfgQuery {
    /// `"contextid"`, `"responseheader"`, ...
    pub name: &'static str,
}

impl Command for QhttpCfgQuery {
    type Response<'a> = &'a str;
    const NAME: &'static str = "+QHTTPCFG";

    fn encode<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], EncodeError> {
        let mut w = CommandWriter::new(buf, Self::NAME);
        w.string("name", self.name);
        w.finish()
    }

    fn expect(&self) -> Expect {
        Expect::tokens(&[b"+QHTTPCFG"])
    }

    fn timeout_ms(&self) -> u32 {
        300
    }

    fn parse<'a>(&self, lines: Lines<'a>) -> Result<&'a str, ParseError> {
        one_line::<Self, _>(lines, |l| {
            full(
                l,
                (header(b"+QHTTPCFG"), quoted_str, comma, rest_str).map(|(_, n, _, v)| (n, v)),
            )
            .filter(|(n, _)| *n == self.name)
            .map(|(_, v)| v)
        })
    }
}

/// `AT+QHTTPURL=<len>,<secs>`, `CONNECT`, the URL bytes, `OK`.
///
/// The URL is checked by [`check_url`](crate::codec::check_url) before anything is sent:
/// empty, or holding a space, a control or a non-ASCII byte, it is an [`EncodeError`]
/// naming `url` (a CR would otherwise end the URL and start a command).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct QhttpUrl<'a> {
    /// The URL (`https://iot-auth.cn-shanghai.aliyuncs.com/auth/register/device`).
    pub url: &'a str,
    /// Seconds the module waits for the URL bytes (the Quectel note uses 80).
    pub input_secs: u16,
}

fn secs_ms(s: u16) -> u32 {
    u32::from(s).saturating_mul(1000)
}

impl Command for QhttpUrl<'_> {
    no_response!();
    const NAME: &'static str = "+QHTTPURL";

    fn encode<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], EncodeError> {
        check_url("url", self.url)?;
        let mut w = CommandWriter::new(buf, Self::NAME);
        w.uint(self.url.len() as u64).uint(self.input_secs.into());
        w.finish()
    }

    fn timeout_ms(&self) -> u32 {
        secs_ms(self.input_secs).saturating_add(5_000)
    }

    fn data(&self) -> Option<(PromptKind, &[u8])> {
        Some((PromptKind::Connect, self.url.as_bytes()))
    }
}

/// `AT+QHTTPPOST=<len>[,<input_secs>,<response_secs>]`, `CONNECT`, the body, `OK`; the
/// result is `+QHTTPPOST: <err>[,<status>[,<content_length>]]`. `Debug` and `defmt` show the
/// body's length only.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct QhttpPost<'a> {
    /// The body (form-urlencoded by default, see [`QhttpSetting::ContentType`]).
    pub body: &'a [u8],
    /// Seconds to send the body and seconds to wait for the response (both default 60);
    /// the Quectel note uses `120,120`.
    pub times: Option<(u16, u16)>,
}

impl core::fmt::Debug for QhttpPost<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("QhttpPost")
            .field("body", &Hidden::of(self.body))
            .field("times", &self.times)
            .finish()
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for QhttpPost<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(
            f,
            "QhttpPost {{ body: {}, times: {} }}",
            Hidden::of(self.body),
            self.times
        )
    }
}

impl QhttpPost<'_> {
    fn response_secs(&self) -> u16 {
        self.times.map_or(DEFAULT_WAIT_SECS, |(_, r)| r)
    }
}

fn http_outcome(r: &HttpResult) -> Result<HttpResult, ActionError> {
    if r.err == 0 {
        Ok(*r)
    } else {
        Err(ActionError::Http(r.err))
    }
}

impl Command for QhttpPost<'_> {
    no_response!();
    const NAME: &'static str = "+QHTTPPOST";

    fn encode<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], EncodeError> {
        let mut w = CommandWriter::new(buf, Self::NAME);
        w.uint(self.body.len() as u64);
        if let Some((input, response)) = self.times {
            w.uint(input.into()).uint(response.into());
        }
        w.finish()
    }

    fn timeout_ms(&self) -> u32 {
        secs_ms(self.times.map_or(DEFAULT_WAIT_SECS, |(i, _)| i)).saturating_add(5_000)
    }

    fn data(&self) -> Option<(PromptKind, &[u8])> {
        Some((PromptKind::Connect, self.body))
    }
}

impl Deferred<Quectel> for QhttpPost<'_> {
    type Output = HttpResult;

    fn result_timeout_ms(&self) -> u32 {
        secs_ms(self.response_secs()).saturating_add(5_000)
    }

    fn result(&self, seen: &Seen<'_, QuectelUrc<'_>>) -> Option<Result<HttpResult, ActionError>> {
        match seen {
            Seen::Urc(QuectelUrc::QhttpPost(r)) => Some(http_outcome(r)),
            _ => None,
        }
    }
}

/// `AT+QHTTPGET[=<response_secs>]`; the result is `+QHTTPGET: <err>[,<status>[,<len>]]`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct QhttpGet {
    /// Seconds to wait for the response (default 60).
    pub response_secs: Option<u16>,
}

impl Command for QhttpGet {
    no_response!();
    const NAME: &'static str = "+QHTTPGET";

    fn encode<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], EncodeError> {
        let mut w = CommandWriter::new(buf, Self::NAME);
        if let Some(s) = self.response_secs {
            w.uint(s.into());
        }
        w.finish()
    }

    fn timeout_ms(&self) -> u32 {
        5_000
    }
}

impl Deferred<Quectel> for QhttpGet {
    type Output = HttpResult;

    fn result_timeout_ms(&self) -> u32 {
        secs_ms(self.response_secs.unwrap_or(DEFAULT_WAIT_SECS)).saturating_add(5_000)
    }

    fn result(&self, seen: &Seen<'_, QuectelUrc<'_>>) -> Option<Result<HttpResult, ActionError>> {
        match seen {
            Seen::Urc(QuectelUrc::QhttpGet(r)) => Some(http_outcome(r)),
            _ => None,
        }
    }
}

/// `AT+QHTTPGETEX=<rsptime>,<start_pos>,<read_len>`: a ranged GET of the URL set by
/// [`QhttpUrl`], `len` bytes from byte `start` (lifecycle-tls-simcom research §5, "Ranged
/// HTTP downloads for OTA": `AT+QHTTPGETEX=80,0,20480` → `OK`, then
/// `+QHTTPGET: 0,206,20480`). The result is `+QHTTPGET: <err>[,<status>[,<len>]]` as for
/// [`QhttpGet`] (what EC2x/EC200 drivers wait for); the `+QHTTPGETEX:` spelling of the BC660
/// note is read as the same result. Then read the body with [`QhttpRead`].
///
/// Check the status: a server that ignores the range answers `200` with the whole file.
///
/// ```
/// use atmodem::dialects::Command;
/// use atmodem::dialects::quectel::QhttpGetEx;
/// let mut buf = [0u8; 40];
/// let get = QhttpGetEx { response_secs: 80, start: 0, len: 20480 };
/// assert_eq!(get.encode(&mut buf).unwrap(), b"AT+QHTTPGETEX=80,0,20480\r");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct QhttpGetEx {
    /// Seconds to wait for the response (`<rsptime>`, 1 to 300 in the BC660 note).
    pub response_secs: u16,
    /// First byte (`<start_pos>`).
    pub start: u32,
    /// Number of bytes (`<read_len>`).
    pub len: u32,
}

impl Command for QhttpGetEx {
    no_response!();
    const NAME: &'static str = "+QHTTPGETEX";

    fn encode<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], EncodeError> {
        let mut w = CommandWriter::new(buf, Self::NAME);
        w.uint(self.response_secs.into())
            .uint(self.start.into())
            .uint(self.len.into());
        w.finish()
    }

    fn timeout_ms(&self) -> u32 {
        5_000
    }
}

impl Deferred<Quectel> for QhttpGetEx {
    type Output = HttpResult;

    fn result_timeout_ms(&self) -> u32 {
        secs_ms(self.response_secs).saturating_add(5_000)
    }

    fn result(&self, seen: &Seen<'_, QuectelUrc<'_>>) -> Option<Result<HttpResult, ActionError>> {
        match seen {
            Seen::Urc(QuectelUrc::QhttpGet(r)) => Some(http_outcome(r)),
            _ => None,
        }
    }
}

/// `AT+QHTTPREAD[=<wait_secs>]`: `CONNECT`, exactly `len` body bytes (the
/// `<content_length>` of the earlier `+QHTTPPOST`/`+QHTTPGET`), `OK`, then
/// `+QHTTPREAD: <err>`.
///
/// With `AT+QHTTPCFG="responseheader",1` the module prints the response header block (its
/// lines, then an empty line) after `CONNECT` and before the body, and `<content_length>`
/// still counts the body only: set `header`, and the sink receives the header block (ending
/// with its empty line) followed by the `len` body bytes. Header lines are never read as the
/// module's own lines.
///
/// ```
/// use atmodem::dialects::Command;
/// use atmodem::dialects::quectel::QhttpRead;
/// let read = QhttpRead { wait_secs: Some(80), len: 119, header: true };
/// let mut buf = [0u8; 32];
/// assert_eq!(read.encode(&mut buf).unwrap(), b"AT+QHTTPREAD=80\r");
/// assert_eq!((read.receive(), read.receive_header()), (Some(119), true));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct QhttpRead {
    /// Seconds the module waits for the body (default 60; the Quectel note uses 200).
    pub wait_secs: Option<u16>,
    /// Body length announced by the request's result URC.
    pub len: usize,
    /// The response header block comes first (`"responseheader"` set to 1).
    pub header: bool,
}

impl Command for QhttpRead {
    no_response!();
    const NAME: &'static str = "+QHTTPREAD";

    fn encode<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], EncodeError> {
        let mut w = CommandWriter::new(buf, Self::NAME);
        if let Some(s) = self.wait_secs {
            w.uint(s.into());
        }
        w.finish()
    }

    fn timeout_ms(&self) -> u32 {
        secs_ms(self.wait_secs.unwrap_or(DEFAULT_WAIT_SECS)).saturating_add(5_000)
    }

    fn receive(&self) -> Option<usize> {
        Some(self.len)
    }

    fn receive_header(&self) -> bool {
        self.header
    }
}

impl Deferred<Quectel> for QhttpRead {
    type Output = ();

    fn result_timeout_ms(&self) -> u32 {
        5_000
    }

    fn result(&self, seen: &Seen<'_, QuectelUrc<'_>>) -> Option<Result<(), ActionError>> {
        match seen {
            Seen::Urc(QuectelUrc::QhttpRead { err: 0 }) => Some(Ok(())),
            Seen::Urc(QuectelUrc::QhttpRead { err }) => Some(Err(ActionError::Http(*err))),
            _ => None,
        }
    }
}

crate::dialects::execute_command!(
    /// `AT+QHTTPSTOP`: abort the HTTP(S) request in progress.
    QhttpStop,
    "+QHTTPSTOP",
    10_000
);
