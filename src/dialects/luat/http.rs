//! Luat HTTP(S): `AT+HTTPINIT`, `AT+HTTPPARA`, `AT+HTTPSSL`, `AT+HTTPDATA`, `AT+HTTPACTION`,
//! `AT+HTTPREAD`, `AT+HTTPTERM`.
//!
//! Source: Luat Cat.1 AT manual, HTTP chapter, and its HTTP guide. `AT+HTTPDATA` answers
//! `DOWNLOAD` (not `>`), takes exactly `<size>` bytes within `<time_ms>`, then `OK`.
//! `AT+HTTPACTION` answers `OK` and later `+HTTPACTION: <method>,<status>,<len>`.
//! `AT+HTTPREAD` answers `+HTTPREAD: <len>`, exactly `<len>` bytes (trust this length, not
//! the one of `+HTTPACTION`), then `OK`. The response buffer holds 4 KB.

use nom::Parser;
use nom::character::complete::u8 as dec_u8;

use super::urc::{LuatUrc, spaced_header};
use super::{Luat, MAX_URL, UNQUOTABLE};
use crate::codec::fields::{full, header};
use crate::codec::{CommandWriter, EncodeError, Expect, Lines, PromptKind, Seen, check_url};
use crate::dialects::{
    ActionError, Command, Deferred, Hidden, ParseError, execute_command, no_response, one_line,
};

execute_command!(
    /// `AT+HTTPINIT`: start the HTTP service.
    HttpInit,
    "+HTTPINIT",
    5_000
);
execute_command!(
    /// `AT+HTTPTERM`: stop the HTTP service (send it during recovery too; ignore its result).
    HttpTerm,
    "+HTTPTERM",
    5_000
);

/// A value of `AT+HTTPPARA`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum HttpParaValue<'a> {
    /// A quoted text (`"URL"`, `"USER_DEFINED"`, `"CONTENT"`, `"UA"`).
    Text(&'a str),
    /// A number (`"CID"`, `"TIMEOUT"`, `"REDIR"`, `"BREAK"`, `"BREAKEND"`).
    Number(u32),
}

/// `AT+HTTPPARA="<tag>",<value>`: a session parameter. `"USER_DEFINED"` adds one header per
/// command (`Content-Type: application/x-www-form-urlencoded`; the space after the colon
/// matters to Aliyun). An [`EncodeError`] names a text value after what it carries: `url`,
/// `content_type` (`"CONTENT"`, a `Content-Type` header), `header`, else `value`.
///
/// `Debug` and `defmt` show the length of a header (`"USER_DEFINED"`, `"USERDATA"`) only: a
/// header may carry a token (the HTTP channel's `password`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct HttpPara<'a> {
    /// The parameter name.
    pub tag: &'a str,
    /// Its value.
    pub value: HttpParaValue<'a>,
}

impl<'a> HttpPara<'a> {
    /// `AT+HTTPPARA="URL","<url>"` (≤ 500 bytes, http or https). The URL is checked by
    /// [`check_url`](crate::codec::check_url) when encoded: empty, or holding a space, a
    /// control or a non-ASCII byte, it is an [`EncodeError`] naming `url`.
    ///
    /// ```
    /// use atmodem::dialects::Command;
    /// use atmodem::dialects::luat::HttpPara;
    /// let url = "https://iot-auth.cn-shanghai.aliyuncs.com/auth/devicename";
    /// let mut buf = [0u8; 96];
    /// let line = HttpPara::url(url).encode(&mut buf).unwrap();
    /// assert_eq!(line, b"AT+HTTPPARA=\"URL\",\"https://iot-auth.cn-shanghai.aliyuncs.com/auth/devicename\"\r");
    /// assert!(HttpPara::url("http://a b").encode(&mut buf).is_err());
    /// ```
    pub const fn url(url: &'a str) -> Self {
        Self {
            tag: "URL",
            value: HttpParaValue::Text(url),
        }
    }

    /// `AT+HTTPPARA="USER_DEFINED","<header>"`.
    ///
    /// ```
    /// use atmodem::dialects::Command;
    /// use atmodem::dialects::luat::HttpPara;
    /// let h = HttpPara::header("Content-Type: application/x-www-form-urlencoded");
    /// let mut buf = [0u8; 96];
    /// let line = h.encode(&mut buf).unwrap();
    /// assert_eq!(line, b"AT+HTTPPARA=\"USER_DEFINED\",\"Content-Type: application/x-www-form-urlencoded\"\r");
    /// ```
    pub const fn header(header: &'a str) -> Self {
        Self {
            tag: "USER_DEFINED",
            value: HttpParaValue::Text(header),
        }
    }

    /// `AT+HTTPPARA="CONTENT","<type>"`.
    ///
    /// ```
    /// use atmodem::dialects::Command;
    /// use atmodem::dialects::luat::HttpPara;
    /// let mut buf = [0u8; 64];
    /// let line = HttpPara::content("application/json").encode(&mut buf).unwrap();
    /// assert_eq!(line, b"AT+HTTPPARA=\"CONTENT\",\"application/json\"\r");
    /// ```
    pub const fn content(content_type: &'a str) -> Self {
        Self {
            tag: "CONTENT",
            value: HttpParaValue::Text(content_type),
        }
    }

    /// `AT+HTTPPARA="BREAK",<start>`: the first byte of a ranged `GET` (with
    /// [`HttpPara::break_end`]); lifecycle-tls-simcom research §5 ("Ranged HTTP downloads
    /// for OTA", from the Air780EP HTTP guide's 断点续传): `AT+HTTPPARA="BREAK",0`,
    /// `AT+HTTPPARA="BREAKEND",3071`, `AT+HTTPACTION=0` → `+HTTPACTION: 0,206,3072`. Both 0
    /// means no range; not every server honours it, so check for `206`.
    ///
    /// ```
    /// use atmodem::dialects::Command;
    /// use atmodem::dialects::luat::HttpPara;
    /// let mut buf = [0u8; 40];
    /// assert_eq!(HttpPara::break_start(3072).encode(&mut buf).unwrap(), b"AT+HTTPPARA=\"BREAK\",3072\r");
    /// ```
    pub const fn break_start(start: u32) -> Self {
        Self {
            tag: "BREAK",
            value: HttpParaValue::Number(start),
        }
    }

    /// `AT+HTTPPARA="BREAKEND",<end>`: the last byte of a ranged `GET`, **inclusive** (3071
    /// for the first 3072 bytes); an end below [`HttpPara::break_start`]'s start means up
    /// to the end of the file.
    ///
    /// ```
    /// use atmodem::dialects::Command;
    /// use atmodem::dialects::luat::HttpPara;
    /// let mut buf = [0u8; 40];
    /// assert_eq!(HttpPara::break_end(3071).encode(&mut buf).unwrap(), b"AT+HTTPPARA=\"BREAKEND\",3071\r");
    /// ```
    pub const fn break_end(end: u32) -> Self {
        Self {
            tag: "BREAKEND",
            value: HttpParaValue::Number(end),
        }
    }

    /// `AT+HTTPPARA="CID",<cid>`: the bearer (1..=3) the session uses.
    ///
    /// ```
    /// use atmodem::dialects::Command;
    /// use atmodem::dialects::luat::HttpPara;
    /// let mut buf = [0u8; 32];
    /// assert_eq!(HttpPara::cid(1).encode(&mut buf).unwrap(), b"AT+HTTPPARA=\"CID\",1\r");
    /// ```
    pub const fn cid(cid: u8) -> Self {
        Self {
            tag: "CID",
            value: HttpParaValue::Number(cid as u32),
        }
    }
}

impl core::fmt::Debug for HttpPara<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let mut d = f.debug_struct("HttpPara");
        d.field("tag", &self.tag);
        match self.value {
            HttpParaValue::Text(t) if self.is_header() => {
                d.field("value", &Hidden::of(t.as_bytes()))
            }
            v => d.field("value", &v),
        };
        d.finish()
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for HttpPara<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        match self.value {
            HttpParaValue::Text(t) if self.is_header() => defmt::write!(
                f,
                "HttpPara {{ tag: {=str}, value: {} }}",
                self.tag,
                Hidden::of(t.as_bytes())
            ),
            v => defmt::write!(f, "HttpPara {{ tag: {=str}, value: {} }}", self.tag, v),
        }
    }
}

impl HttpPara<'_> {
    /// Whether the value is a header line.
    fn is_header(&self) -> bool {
        self.tag.eq_ignore_ascii_case("USER_DEFINED") || self.tag.eq_ignore_ascii_case("USERDATA")
    }

    /// The name an encoding error gives a text value: the field of
    /// [`HttpPost`](crate::client::HttpPost) it carries (`url`, `content_type` for
    /// `"CONTENT"` and for a `Content-Type` header), `header` for other headers, `value`
    /// otherwise.
    fn value_name(&self, text: &str) -> &'static str {
        let tag = self.tag;
        let header_name = text.split(':').next().unwrap_or_default().trim();
        if tag.eq_ignore_ascii_case("URL") {
            "url"
        } else if tag.eq_ignore_ascii_case("CONTENT")
            || (tag.eq_ignore_ascii_case("USER_DEFINED")
                && header_name.eq_ignore_ascii_case("Content-Type"))
        {
            "content_type"
        } else if self.is_header() {
            "header"
        } else {
            "value"
        }
    }
}

impl Command for HttpPara<'_> {
    no_response!();
    const NAME: &'static str = "+HTTPPARA";

    fn encode<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], EncodeError> {
        let is_url = self.tag.eq_ignore_ascii_case("URL");
        if let (true, HttpParaValue::Text(url)) = (is_url, self.value) {
            check_url("url", url)?;
        }
        let mut w = CommandWriter::new(buf, Self::NAME);
        w.string_with("tag", self.tag, usize::MAX, UNQUOTABLE);
        match self.value {
            HttpParaValue::Text(t) if is_url => w.string_with("url", t, MAX_URL, UNQUOTABLE),
            HttpParaValue::Text(t) => w.string_with(self.value_name(t), t, usize::MAX, UNQUOTABLE),
            HttpParaValue::Number(n) => w.uint(n.into()),
        };
        w.finish()
    }

    fn timeout_ms(&self) -> u32 {
        1_000
    }
}

/// `AT+HTTPSSL=<0|1>`: HTTPS without certificate checks (not needed with an `https://` URL).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct HttpSsl(pub bool);

impl Command for HttpSsl {
    no_response!();
    const NAME: &'static str = "+HTTPSSL";

    fn encode<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], EncodeError> {
        let mut w = CommandWriter::new(buf, Self::NAME);
        w.uint(self.0.into());
        w.finish()
    }

    fn timeout_ms(&self) -> u32 {
        1_000
    }
}

/// `AT+HTTPSSL?`: `+ HTTPSSL: <n>` (the manual documents a space after `+`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct HttpSslRead;

impl Command for HttpSslRead {
    type Response<'a> = bool;
    const NAME: &'static str = "+HTTPSSL";

    fn encode<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], EncodeError> {
        let mut w = CommandWriter::new(buf, Self::NAME);
        w.read();
        w.finish()
    }

    fn expect(&self) -> Expect {
        Expect::tokens(&[b"+HTTPSSL"])
    }

    fn timeout_ms(&self) -> u32 {
        1_000
    }

    fn parse<'a>(&self, lines: Lines<'a>) -> Result<bool, ParseError> {
        one_line::<Self, _>(lines, |l| {
            let rest = spaced_header(b"+HTTPSSL", l)?;
            full(rest, dec_u8).and_then(|v| (v <= 1).then_some(v == 1))
        })
    }
}

/// `AT+HTTPDATA=<size>,<time_ms>`, `DOWNLOAD`, exactly `<size>` bytes, `OK`: the POST body.
/// `Debug` and `defmt` show the body's length only.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct HttpData<'a> {
    /// The body.
    pub body: &'a [u8],
    /// Time the module waits for the body, 1000..=120000 ms (the Luat note uses 20000).
    pub time_ms: u32,
}

impl core::fmt::Debug for HttpData<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("HttpData")
            .field("body", &Hidden::of(self.body))
            .field("time_ms", &self.time_ms)
            .finish()
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for HttpData<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(
            f,
            "HttpData {{ body: {}, time_ms: {} }}",
            Hidden::of(self.body),
            self.time_ms
        )
    }
}

impl Command for HttpData<'_> {
    no_response!();
    const NAME: &'static str = "+HTTPDATA";

    fn encode<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], EncodeError> {
        let mut w = CommandWriter::new(buf, Self::NAME);
        w.uint(self.body.len() as u64).uint(self.time_ms.into());
        w.finish()
    }

    fn timeout_ms(&self) -> u32 {
        self.time_ms.saturating_add(5_000)
    }

    fn data(&self) -> Option<(PromptKind, &[u8])> {
        Some((PromptKind::Download, self.body))
    }
}

/// HTTP method of `AT+HTTPACTION`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum HttpMethod {
    /// 0
    Get,
    /// 1
    Post,
    /// 2
    Head,
}

impl HttpMethod {
    const fn code(self) -> u8 {
        match self {
            Self::Get => 0,
            Self::Post => 1,
            Self::Head => 2,
        }
    }
}

/// `AT+HTTPACTION=<method>`: run the request; the result is
/// `+HTTPACTION: <method>,<status>,<len>`. The manual gives no time; 120 s is the session's
/// default `"TIMEOUT"`, plus margin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct HttpAction(pub HttpMethod);

/// The result of [`HttpAction`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct HttpStatus {
    /// The HTTP status code.
    pub status: u16,
    /// The body length as announced by `+HTTPACTION`.
    pub len: usize,
}

impl Command for HttpAction {
    no_response!();
    const NAME: &'static str = "+HTTPACTION";

    fn encode<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], EncodeError> {
        let mut w = CommandWriter::new(buf, Self::NAME);
        w.uint(self.0.code().into());
        w.finish()
    }

    fn timeout_ms(&self) -> u32 {
        5_000
    }
}

impl Deferred<Luat> for HttpAction {
    type Output = HttpStatus;

    fn result_timeout_ms(&self) -> u32 {
        130_000
    }

    fn result(&self, seen: &Seen<'_, LuatUrc<'_>>) -> Option<Result<HttpStatus, ActionError>> {
        match seen {
            Seen::Urc(LuatUrc::HttpAction { status, len, .. }) => {
                Some(if (600..700).contains(status) {
                    Err(ActionError::Http(*status))
                } else {
                    Ok(HttpStatus {
                        status: *status,
                        len: *len,
                    })
                })
            }
            Seen::Urc(LuatUrc::HttpError(code)) => Some(Err(ActionError::Http(*code))),
            _ => None,
        }
    }
}

/// `AT+HTTPREAD[=<start>,<size>]`: `+HTTPREAD: <len>`, exactly `<len>` bytes of body (handed
/// to the caller's buffer), `OK`. The response is `<len>`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct HttpRead {
    /// Read `(start, size)` of the body instead of all of it.
    pub range: Option<(u32, u32)>,
}

impl Command for HttpRead {
    type Response<'a> = usize;
    const NAME: &'static str = "+HTTPREAD";

    fn encode<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], EncodeError> {
        let mut w = CommandWriter::new(buf, Self::NAME);
        if let Some((start, size)) = self.range {
            w.uint(start.into()).uint(size.into());
        }
        w.finish()
    }

    fn expect(&self) -> Expect {
        Expect::tokens(&[b"+HTTPREAD"])
    }

    fn timeout_ms(&self) -> u32 {
        10_000
    }

    fn parse<'a>(&self, lines: Lines<'a>) -> Result<usize, ParseError> {
        one_line::<Self, _>(lines, |l| {
            full(
                l,
                (header(b"+HTTPREAD"), nom::character::complete::u32).map(|(_, n)| n),
            )
            .and_then(|n| usize::try_from(n).ok())
        })
    }
}

/// `AT+HTTPHEAD`: the response header of the last `AT+HTTPACTION`, `+HTTPHEAD: <len>`, exactly
/// `<len>` bytes of header lines (handed to the caller's buffer, like the body of
/// [`HttpRead`]), `OK`. The response is `<len>`. The header bytes are data: a header line that
/// looks like a URC is never read as one. Use it after a `HEAD` request
/// (`AT+HTTPACTION=2`) to learn a file's `Content-Length` before a ranged download.
///
/// ```
/// use atmodem::dialects::Command;
/// use atmodem::dialects::luat::HttpHead;
/// let mut buf = [0u8; 16];
/// assert_eq!(HttpHead.encode(&mut buf).unwrap(), b"AT+HTTPHEAD\r");
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct HttpHead;

impl Command for HttpHead {
    type Response<'a> = usize;
    const NAME: &'static str = "+HTTPHEAD";

    fn encode<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], EncodeError> {
        CommandWriter::new(buf, Self::NAME).finish()
    }

    fn expect(&self) -> Expect {
        Expect::tokens(&[b"+HTTPHEAD"])
    }

    fn timeout_ms(&self) -> u32 {
        10_000
    }

    fn parse<'a>(&self, lines: Lines<'a>) -> Result<usize, ParseError> {
        one_line::<Self, _>(lines, |l| {
            full(
                l,
                (header(b"+HTTPHEAD"), nom::character::complete::u32).map(|(_, n)| n),
            )
            .and_then(|n| usize::try_from(n).ok())
        })
    }
}
