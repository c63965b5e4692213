//! Luat SSL contexts: `AT+SSLCFG="<name>",<n>[,<value>]`.
//!
//! Source: the Luat AT manual, TCPIP/SSLCFG (set, query `+SSLCFG: "<name>",<n>,<value>`,
//! erase with a trailing comma; `<n>` 0..=5 for TCP links, 34 FTP, 88 MQTT, 153 HTTP) and
//! Luat's Air780EP MQTTS guide (`AT+SSLCFG="cacert",88,"ca.crt"`,
//! `AT+SSLCFG="seclevel",88,1`). The names differ from Quectel's: the handshake timeout is
//! `"negotiatetimeout"` (Quectel `"negotiatetime"`) and the SNI / host check name is
//! `"hostname"`. On EC716S parts (Air780EL/ET, Air700EC) only the `_FS` and `_MS` firmware
//! builds have this command.
//!
//! Settings are kept until the module reboots; sending one again overwrites it.

use super::UNQUOTABLE;
use crate::codec::fields::Cursor;
use crate::codec::{CommandWriter, EncodeError, Expect, Lines};
use crate::dialects::quectel::ssl::{check_file_name, cipher_hex, cipher_suite, flag};
use crate::dialects::quectel::{SecLevel, SslVersion};
use crate::dialects::{Command, ParseError, no_response};

/// The SSL context of Luat's MQTT client (`AT+SSLMIPSTART`).
pub const SSL_CTX_MQTT: u16 = 88;

/// The SSL context of Luat's HTTP client.
pub const SSL_CTX_HTTP: u16 = 153;

/// The SSL context of Luat's FTP client.
pub const SSL_CTX_FTP: u16 = 34;

/// Longest `"hostname"` value taken here: 255 bytes (a DNS name).
pub const MAX_HOSTNAME: usize = 255;

/// The name of an `AT+SSLCFG` setting.
///
/// ```
/// use atmodem::dialects::luat::SslSettingName;
/// assert_eq!(SslSettingName::NegotiateTimeout.as_str(), "negotiatetimeout");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum SslSettingName {
    /// `"sslversion"`.
    SslVersion,
    /// `"ciphersuite"`.
    CipherSuite,
    /// `"cacert"`.
    CaCert,
    /// `"clientcert"`.
    ClientCert,
    /// `"clientkey"`.
    ClientKey,
    /// `"seclevel"`.
    SecLevel,
    /// `"hostname"`.
    Hostname,
    /// `"ignorelocaltime"`.
    IgnoreLocalTime,
    /// `"negotiatetimeout"`.
    NegotiateTimeout,
}

impl SslSettingName {
    /// The name as the module takes it.
    ///
    /// ```
    /// use atmodem::dialects::luat::SslSettingName;
    /// assert_eq!(SslSettingName::Hostname.as_str(), "hostname");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::SslVersion => "sslversion",
            Self::CipherSuite => "ciphersuite",
            Self::CaCert => "cacert",
            Self::ClientCert => "clientcert",
            Self::ClientKey => "clientkey",
            Self::SecLevel => "seclevel",
            Self::Hostname => "hostname",
            Self::IgnoreLocalTime => "ignorelocaltime",
            Self::NegotiateTimeout => "negotiatetimeout",
        }
    }
}

/// One `AT+SSLCFG` setting and its value. The version and security-level codes are
/// Quectel's ([`SslVersion`], [`SecLevel`]).
///
/// ```
/// use atmodem::dialects::Command;
/// use atmodem::dialects::luat::{SslCfg, SslSetting};
/// let cmd = SslCfg { ctx: 88, setting: SslSetting::Hostname("a1b2.iot-as-mqtt.cn-shanghai.aliyuncs.com") };
/// assert_eq!(
///     cmd.encode(&mut [0u8; 80]).unwrap(),
///     b"AT+SSLCFG=\"hostname\",88,\"a1b2.iot-as-mqtt.cn-shanghai.aliyuncs.com\"\r"
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum SslSetting<'a> {
    /// `"sslversion",<n>,<0..4>`.
    SslVersion(SslVersion),
    /// `"ciphersuite",<n>,0X<hhhh>` (`0X0035`, ..., `0XFFFF` all).
    CipherSuite(u16),
    /// `"cacert",<n>,"<file>"`: the trusted CA file, written first with
    /// [`FsCreate`](super::FsCreate) and [`FsWrite`](super::FsWrite).
    CaCert(&'a str),
    /// `"clientcert",<n>,"<file>"`.
    ClientCert(&'a str),
    /// `"clientkey",<n>,"<file>"`.
    ClientKey(&'a str),
    /// `"seclevel",<n>,<0..2>`.
    SecLevel(SecLevel),
    /// `"hostname",<n>,"<host>"`: the SNI / host check name.
    Hostname(&'a str),
    /// `"ignorelocaltime",<n>,<0|1>`: 1 ignores the certificates' expiry.
    IgnoreLocalTime(bool),
    /// `"negotiatetimeout",<n>,<10..300>`: the handshake timeout, in seconds.
    NegotiateTimeout(u16),
}

impl SslSetting<'_> {
    /// The setting's name.
    ///
    /// ```
    /// use atmodem::dialects::luat::{SslSetting, SslSettingName};
    /// assert_eq!(SslSetting::NegotiateTimeout(60).name(), SslSettingName::NegotiateTimeout);
    /// ```
    pub const fn name(&self) -> SslSettingName {
        match self {
            Self::SslVersion(_) => SslSettingName::SslVersion,
            Self::CipherSuite(_) => SslSettingName::CipherSuite,
            Self::CaCert(_) => SslSettingName::CaCert,
            Self::ClientCert(_) => SslSettingName::ClientCert,
            Self::ClientKey(_) => SslSettingName::ClientKey,
            Self::SecLevel(_) => SslSettingName::SecLevel,
            Self::Hostname(_) => SslSettingName::Hostname,
            Self::IgnoreLocalTime(_) => SslSettingName::IgnoreLocalTime,
            Self::NegotiateTimeout(_) => SslSettingName::NegotiateTimeout,
        }
    }
}

/// Checks a Luat SSL context id: 0..=5, 34, 88 or 153.
fn check_ctx(ctx: u16) -> Result<(), EncodeError> {
    if ctx <= 5 || ctx == SSL_CTX_FTP || ctx == SSL_CTX_MQTT || ctx == SSL_CTX_HTTP {
        Ok(())
    } else {
        Err(EncodeError::InvalidArgument("ctx"))
    }
}

/// A file name or host as a quoted Luat argument: checked, and `\` refused.
fn quoted_name(w: &mut CommandWriter<'_>, arg: &'static str, v: &str) -> Result<(), EncodeError> {
    check_file_name(arg, v)?;
    w.string_with(arg, v, usize::MAX, UNQUOTABLE);
    Ok(())
}

/// `AT+SSLCFG="<name>",<n>,<value>`: set one setting of SSL context `ctx`.
///
/// A context other than 0..=5, 34, 88, 153 is [`EncodeError::InvalidArgument`] naming
/// `ctx`. A file name that is empty or holds a quote or a control byte is
/// `InvalidArgument` naming the setting, one longer than 80 bytes [`EncodeError::TooLong`],
/// one holding `\` (the firmware's escape) [`EncodeError::ForbiddenByte`]; a host name
/// likewise, longer than 255 bytes `TooLong`; a
/// [`NegotiateTimeout`](SslSetting::NegotiateTimeout) outside 10..=300 is `InvalidArgument`
/// naming `negotiatetimeout`. Nothing is sent then.
///
/// ```
/// use atmodem::dialects::Command;
/// use atmodem::dialects::luat::{SSL_CTX_MQTT, SslCfg, SslSetting};
/// let cmd = SslCfg { ctx: SSL_CTX_MQTT, setting: SslSetting::CaCert("ca.crt") };
/// assert_eq!(cmd.encode(&mut [0u8; 48]).unwrap(), b"AT+SSLCFG=\"cacert\",88,\"ca.crt\"\r");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SslCfg<'a> {
    /// The SSL context: 0..=5 (the TCP link), [`SSL_CTX_FTP`], [`SSL_CTX_MQTT`] or
    /// [`SSL_CTX_HTTP`].
    pub ctx: u16,
    /// The setting and its value.
    pub setting: SslSetting<'a>,
}

impl Command for SslCfg<'_> {
    no_response!();
    const NAME: &'static str = "+SSLCFG";

    fn encode<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], EncodeError> {
        check_ctx(self.ctx)?;
        let name = self.setting.name().as_str();
        let mut w = CommandWriter::new(buf, Self::NAME);
        w.string("name", name).uint(self.ctx.into());
        match self.setting {
            SslSetting::SslVersion(v) => {
                w.uint(v.code().into());
            }
            SslSetting::SecLevel(l) => {
                w.uint(l.code().into());
            }
            SslSetting::CipherSuite(s) => {
                let digits = cipher_hex(s);
                w.token(name, core::str::from_utf8(&digits).unwrap_or("0XFFFF"));
            }
            SslSetting::CaCert(f) | SslSetting::ClientCert(f) | SslSetting::ClientKey(f) => {
                quoted_name(&mut w, name, f)?;
            }
            SslSetting::Hostname(h) => {
                if h.len() > MAX_HOSTNAME {
                    return Err(EncodeError::TooLong {
                        arg: name,
                        max: MAX_HOSTNAME,
                    });
                }
                if h.is_empty() {
                    return Err(EncodeError::InvalidArgument(name));
                }
                w.string_with(name, h, MAX_HOSTNAME, UNQUOTABLE);
            }
            SslSetting::IgnoreLocalTime(b) => {
                w.uint(b.into());
            }
            SslSetting::NegotiateTimeout(s) => {
                if !(10..=300).contains(&s) {
                    return Err(EncodeError::InvalidArgument(name));
                }
                w.uint(s.into());
            }
        }
        w.finish()
    }

    fn timeout_ms(&self) -> u32 {
        1_000
    }
}

/// `AT+SSLCFG="<name>",<n>,`: erase one setting of context `ctx` (the trailing comma makes
/// it an erase; without it the line is a query). A bad context is
/// [`EncodeError::InvalidArgument`] naming `ctx`.
///
/// ```
/// use atmodem::dialects::Command;
/// use atmodem::dialects::luat::{SslCfgErase, SslSettingName};
/// let cmd = SslCfgErase { ctx: 88, name: SslSettingName::CaCert };
/// assert_eq!(cmd.encode(&mut [0u8; 32]).unwrap(), b"AT+SSLCFG=\"cacert\",88,\r");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SslCfgErase {
    /// The SSL context.
    pub ctx: u16,
    /// Which setting.
    pub name: SslSettingName,
}

impl Command for SslCfgErase {
    no_response!();
    const NAME: &'static str = "+SSLCFG";

    fn encode<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], EncodeError> {
        check_ctx(self.ctx)?;
        let mut w = CommandWriter::new(buf, Self::NAME);
        w.string("name", self.name.as_str())
            .uint(self.ctx.into())
            .token("value", "");
        w.finish()
    }

    fn timeout_ms(&self) -> u32 {
        1_000
    }
}

/// `AT+SSLCFG="<name>",<n>`: read one setting; the module answers
/// `+SSLCFG: "<name>",<n>,<value>`, parsed into the [`SslSetting`] it shows (a file or host
/// name quoted or not; `""`, not set, is an empty name). The line whose name and context match is taken; none, or a value of
/// another shape, is a [`ParseError`]. A bad context is [`EncodeError::InvalidArgument`]
/// naming `ctx`.
///
/// ```
/// use atmodem::codec::Lines;
/// use atmodem::dialects::Command;
/// use atmodem::dialects::luat::{SslCfgQuery, SslSetting, SslSettingName};
/// use atmodem::dialects::quectel::SecLevel;
/// let q = SslCfgQuery { ctx: 88, name: SslSettingName::SecLevel };
/// assert_eq!(q.encode(&mut [0u8; 32]).unwrap(), b"AT+SSLCFG=\"seclevel\",88\r");
/// let v = q.parse(Lines::from_slice(&[b"+SSLCFG:\"seclevel\",88,1"])).unwrap();
/// assert_eq!(v, SslSetting::SecLevel(SecLevel::Server));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SslCfgQuery {
    /// The SSL context.
    pub ctx: u16,
    /// Which setting.
    pub name: SslSettingName,
}

/// A quoted value, or the bare rest of the line.
fn text<'a>(c: &mut Cursor<'a>) -> Option<&'a str> {
    if c.rest().first() == Some(&b'"') {
        c.quoted_str()
    } else {
        c.rest_str().filter(|t| !t.is_empty())
    }
}

impl SslCfgQuery {
    fn value<'a>(&self, line: &'a [u8]) -> Option<SslSetting<'a>> {
        let mut c = Cursor::header(line, b"+SSLCFG")?;
        if c.quoted_str()? != self.name.as_str() {
            return None;
        }
        c.comma()?;
        if c.u16()? != self.ctx {
            return None;
        }
        c.comma()?;
        let v = match self.name {
            SslSettingName::SslVersion => SslSetting::SslVersion(SslVersion::from_code(c.u8()?)?),
            SslSettingName::SecLevel => SslSetting::SecLevel(SecLevel::from_code(c.u8()?)?),
            SslSettingName::CipherSuite => SslSetting::CipherSuite(cipher_suite(&mut c)?),
            SslSettingName::CaCert => SslSetting::CaCert(text(&mut c)?),
            SslSettingName::ClientCert => SslSetting::ClientCert(text(&mut c)?),
            SslSettingName::ClientKey => SslSetting::ClientKey(text(&mut c)?),
            SslSettingName::Hostname => SslSetting::Hostname(text(&mut c)?),
            SslSettingName::IgnoreLocalTime => SslSetting::IgnoreLocalTime(flag(&mut c)?),
            SslSettingName::NegotiateTimeout => SslSetting::NegotiateTimeout(c.u16()?),
        };
        c.end()?;
        Some(v)
    }
}

impl Command for SslCfgQuery {
    type Response<'a> = SslSetting<'a>;
    const NAME: &'static str = "+SSLCFG";

    fn encode<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], EncodeError> {
        check_ctx(self.ctx)?;
        let mut w = CommandWriter::new(buf, Self::NAME);
        w.string("name", self.name.as_str()).uint(self.ctx.into());
        w.finish()
    }

    fn expect(&self) -> Expect {
        Expect::tokens(&[b"+SSLCFG"])
    }

    fn timeout_ms(&self) -> u32 {
        1_000
    }

    fn parse<'a>(&self, lines: Lines<'a>) -> Result<SslSetting<'a>, ParseError> {
        lines
            .iter()
            .find_map(|l| self.value(l))
            .ok_or(ParseError::of::<Self>())
    }
}
