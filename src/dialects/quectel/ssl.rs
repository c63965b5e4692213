//! Quectel SSL contexts: `AT+QSSLCFG="<name>",<ctx>[,<value>]`.
//!
//! Source: Quectel "BG96 SSL AT Commands Manual" test form (`AT+QSSLCFG=?` lists
//! `"sslversion",(0-5),(0-4)`, `"ciphersuite",(0-5),(0X0035,...,0XFFFF)`, `"seclevel",(0-5),(0-2)`,
//! `"cacert"`/`"clientcert"`/`"clientkey",(0-5),<path>`, `"sni",(0-5),(0,1)`,
//! `"ignorelocaltime",(0-5),(0,1)`, `"negotiatetime",(0-5),(10-300)`), its read-back form
//! `+QSSLCFG: "sslversion",1,4` seen in a module's log, and Quectel's own SDK (file names
//! `"UFS:ca.pem"`; names are written in lower case). A context is bound to MQTT with
//! [`QmtSetting::Ssl`](super::QmtSetting::Ssl) and to HTTP(S) with
//! [`QhttpSetting::SslCtxId`](super::QhttpSetting::SslCtxId).
//!
//! Every setting is kept by the module until it reboots; setting one again simply
//! overwrites it, so a command lost on a timeout can be sent again.

use crate::codec::fields::Cursor;
use crate::codec::{CommandWriter, EncodeError, Expect, Lines};
use crate::dialects::{Command, ParseError, no_response};

/// The highest SSL context id (`<SSL_ctxID>` is 0..=5).
pub const MAX_SSL_CTX: u8 = 5;

/// The longest file name the module takes, in bytes (the FILE manual: 80).
pub const MAX_FILE_NAME: usize = 80;

/// Timeout of `AT+QSSLCFG`: it answers at once (TinyGSM allows 5 s; 300 ms class).
pub const SSL_CFG_TIMEOUT_MS: u32 = 5_000;

/// `"sslversion"`: the protocol versions the context offers.
///
/// ```
/// use atmodem::dialects::Command;
/// use atmodem::dialects::quectel::{QsslCfg, QsslSetting, SslVersion};
/// let cmd = QsslCfg { ctx: 0, setting: QsslSetting::SslVersion(SslVersion::Tls1_2) };
/// assert_eq!(cmd.encode(&mut [0u8; 40]).unwrap(), b"AT+QSSLCFG=\"sslversion\",0,3\r");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum SslVersion {
    /// 0: SSL 3.0.
    Ssl3,
    /// 1: TLS 1.0.
    Tls1_0,
    /// 2: TLS 1.1.
    Tls1_1,
    /// 3: TLS 1.2.
    Tls1_2,
    /// 4: all of them (the module's default).
    All,
}

impl SslVersion {
    pub(crate) const fn code(self) -> u8 {
        match self {
            Self::Ssl3 => 0,
            Self::Tls1_0 => 1,
            Self::Tls1_1 => 2,
            Self::Tls1_2 => 3,
            Self::All => 4,
        }
    }

    pub(crate) fn from_code(c: u8) -> Option<Self> {
        Some(match c {
            0 => Self::Ssl3,
            1 => Self::Tls1_0,
            2 => Self::Tls1_1,
            3 => Self::Tls1_2,
            4 => Self::All,
            _ => return None,
        })
    }
}

/// `"seclevel"`: what the context authenticates.
///
/// ```
/// use atmodem::dialects::Command;
/// use atmodem::dialects::quectel::{QsslCfg, QsslSetting, SecLevel};
/// let cmd = QsslCfg { ctx: 0, setting: QsslSetting::SecLevel(SecLevel::Server) };
/// assert_eq!(cmd.encode(&mut [0u8; 40]).unwrap(), b"AT+QSSLCFG=\"seclevel\",0,1\r");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum SecLevel {
    /// 0: no authentication (the server certificate is not checked).
    None,
    /// 1: the server, against [`QsslSetting::CaCert`].
    Server,
    /// 2: the server, and the client with [`QsslSetting::ClientCert`] and
    /// [`QsslSetting::ClientKey`] when the server asks.
    ServerAndClient,
}

impl SecLevel {
    pub(crate) const fn code(self) -> u8 {
        match self {
            Self::None => 0,
            Self::Server => 1,
            Self::ServerAndClient => 2,
        }
    }

    pub(crate) fn from_code(c: u8) -> Option<Self> {
        Some(match c {
            0 => Self::None,
            1 => Self::Server,
            2 => Self::ServerAndClient,
            _ => return None,
        })
    }
}

/// The name of an `AT+QSSLCFG` setting, for [`QsslCfgQuery`].
///
/// ```
/// use atmodem::dialects::Command;
/// use atmodem::dialects::quectel::{QsslCfgQuery, QsslSettingName};
/// let q = QsslCfgQuery { ctx: 4, name: QsslSettingName::CaCert };
/// assert_eq!(q.encode(&mut [0u8; 32]).unwrap(), b"AT+QSSLCFG=\"cacert\",4\r");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum QsslSettingName {
    /// `"sslversion"`.
    SslVersion,
    /// `"ciphersuite"`.
    CipherSuite,
    /// `"seclevel"`.
    SecLevel,
    /// `"cacert"`.
    CaCert,
    /// `"clientcert"`.
    ClientCert,
    /// `"clientkey"`.
    ClientKey,
    /// `"sni"`.
    Sni,
    /// `"ignorelocaltime"`.
    IgnoreLocalTime,
    /// `"negotiatetime"`.
    NegotiateTime,
}

impl QsslSettingName {
    /// The name as the module takes it (lower case).
    ///
    /// ```
    /// use atmodem::dialects::quectel::QsslSettingName;
    /// assert_eq!(QsslSettingName::IgnoreLocalTime.as_str(), "ignorelocaltime");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::SslVersion => "sslversion",
            Self::CipherSuite => "ciphersuite",
            Self::SecLevel => "seclevel",
            Self::CaCert => "cacert",
            Self::ClientCert => "clientcert",
            Self::ClientKey => "clientkey",
            Self::Sni => "sni",
            Self::IgnoreLocalTime => "ignorelocaltime",
            Self::NegotiateTime => "negotiatetime",
        }
    }
}

/// One `AT+QSSLCFG` setting and its value.
///
/// ```
/// use atmodem::dialects::Command;
/// use atmodem::dialects::quectel::{QsslCfg, QsslSetting};
/// let cmd = QsslCfg { ctx: 1, setting: QsslSetting::IgnoreLocalTime(true) };
/// assert_eq!(cmd.encode(&mut [0u8; 48]).unwrap(), b"AT+QSSLCFG=\"ignorelocaltime\",1,1\r");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum QsslSetting<'a> {
    /// `"sslversion",<ctx>,<0..4>`.
    SslVersion(SslVersion),
    /// `"ciphersuite",<ctx>,0X<hhhh>`: an IANA cipher suite number (`0x0035`
    /// TLS_RSA_WITH_AES_256_CBC_SHA, `0xC02F` TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, ...) or
    /// [`ALL_CIPHER_SUITES`] (`0XFFFF`). Written as `0X` and four upper-case hex digits, as
    /// the manual lists them.
    CipherSuite(u16),
    /// `"seclevel",<ctx>,<0..2>`.
    SecLevel(SecLevel),
    /// `"cacert",<ctx>,"<file>"`: the trusted CA file (`"UFS:ca.pem"`).
    CaCert(&'a str),
    /// `"clientcert",<ctx>,"<file>"`.
    ClientCert(&'a str),
    /// `"clientkey",<ctx>,"<file>"`.
    ClientKey(&'a str),
    /// `"sni",<ctx>,<0|1>`: send the Server Name Indication (Aliyun's instance hosts share
    /// addresses: turn it on).
    Sni(bool),
    /// `"ignorelocaltime",<ctx>,<0|1>`: 1 skips the certificate validity-period check
    /// (needed while the module's clock is not set).
    IgnoreLocalTime(bool),
    /// `"negotiatetime",<ctx>,<10..300>`: the handshake timeout, in seconds (default 300).
    NegotiateTime(u16),
}

/// The `"ciphersuite"` value that enables every suite the module supports.
pub const ALL_CIPHER_SUITES: u16 = 0xFFFF;

impl QsslSetting<'_> {
    /// The setting's name.
    ///
    /// ```
    /// use atmodem::dialects::quectel::{QsslSetting, QsslSettingName};
    /// assert_eq!(QsslSetting::Sni(true).name(), QsslSettingName::Sni);
    /// ```
    pub const fn name(&self) -> QsslSettingName {
        match self {
            Self::SslVersion(_) => QsslSettingName::SslVersion,
            Self::CipherSuite(_) => QsslSettingName::CipherSuite,
            Self::SecLevel(_) => QsslSettingName::SecLevel,
            Self::CaCert(_) => QsslSettingName::CaCert,
            Self::ClientCert(_) => QsslSettingName::ClientCert,
            Self::ClientKey(_) => QsslSettingName::ClientKey,
            Self::Sni(_) => QsslSettingName::Sni,
            Self::IgnoreLocalTime(_) => QsslSettingName::IgnoreLocalTime,
            Self::NegotiateTime(_) => QsslSettingName::NegotiateTime,
        }
    }
}

/// Checks an SSL context id (0..=5); `Err` naming `ctx` otherwise.
fn check_ctx(ctx: u8) -> Result<(), EncodeError> {
    if ctx <= MAX_SSL_CTX {
        Ok(())
    } else {
        Err(EncodeError::InvalidArgument("ctx"))
    }
}

/// Checks a module file name (`UFS:ca.pem`): not empty, at most [`MAX_FILE_NAME`] bytes,
/// no quote and no control byte.
pub(crate) fn check_file_name(arg: &'static str, name: &str) -> Result<(), EncodeError> {
    if name.is_empty() || !name.bytes().all(|b| b >= 0x20 && b != b'"' && b != 0x7f) {
        return Err(EncodeError::InvalidArgument(arg));
    }
    if name.len() > MAX_FILE_NAME {
        return Err(EncodeError::TooLong {
            arg,
            max: MAX_FILE_NAME,
        });
    }
    Ok(())
}

pub(crate) fn hex_upper(n: u16) -> u8 {
    let d = u8::try_from(n & 0xf).unwrap_or(0);
    if d < 10 {
        b'0'.wrapping_add(d)
    } else {
        b'A'.wrapping_add(d.wrapping_sub(10))
    }
}

/// `AT+QSSLCFG="<name>",<ctx>,<value>`: set one setting of SSL context `ctx` (0..=5).
///
/// A context id above 5 is [`EncodeError::InvalidArgument`] naming `ctx`; a file name that
/// is empty or holds a quote or a control byte is `InvalidArgument` naming the setting
/// (`cacert`, ...), one longer than 80 bytes [`EncodeError::TooLong`]; a
/// [`NegotiateTime`](QsslSetting::NegotiateTime) outside 10..=300 is `InvalidArgument`
/// naming `negotiatetime`. Nothing is sent then.
///
/// ```
/// use atmodem::dialects::Command;
/// use atmodem::dialects::quectel::{QsslCfg, QsslSetting, SecLevel};
/// let mut buf = [0u8; 64];
/// let cmd = QsslCfg { ctx: 1, setting: QsslSetting::CaCert("UFS:aliyun_ca.pem") };
/// assert_eq!(cmd.encode(&mut buf).unwrap(), b"AT+QSSLCFG=\"cacert\",1,\"UFS:aliyun_ca.pem\"\r");
/// let cmd = QsslCfg { ctx: 1, setting: QsslSetting::CipherSuite(0xFFFF) };
/// assert_eq!(cmd.encode(&mut buf).unwrap(), b"AT+QSSLCFG=\"ciphersuite\",1,0XFFFF\r");
/// let cmd = QsslCfg { ctx: 6, setting: QsslSetting::SecLevel(SecLevel::Server) };
/// assert!(cmd.encode(&mut buf).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct QsslCfg<'a> {
    /// The SSL context, 0..=5.
    pub ctx: u8,
    /// The setting and its value.
    pub setting: QsslSetting<'a>,
}

impl Command for QsslCfg<'_> {
    no_response!();
    const NAME: &'static str = "+QSSLCFG";

    fn encode<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], EncodeError> {
        check_ctx(self.ctx)?;
        let name = self.setting.name().as_str();
        let mut w = CommandWriter::new(buf, Self::NAME);
        w.string("name", name).uint(self.ctx.into());
        match self.setting {
            QsslSetting::SslVersion(v) => {
                w.uint(v.code().into());
            }
            QsslSetting::SecLevel(l) => {
                w.uint(l.code().into());
            }
            QsslSetting::CipherSuite(s) => {
                let digits = cipher_hex(s);
                // ASCII by construction.
                w.token(name, core::str::from_utf8(&digits).unwrap_or("0XFFFF"));
            }
            QsslSetting::CaCert(f) | QsslSetting::ClientCert(f) | QsslSetting::ClientKey(f) => {
                check_file_name(name, f)?;
                w.string(name, f);
            }
            QsslSetting::Sni(b) | QsslSetting::IgnoreLocalTime(b) => {
                w.uint(b.into());
            }
            QsslSetting::NegotiateTime(s) => {
                if !(10..=300).contains(&s) {
                    return Err(EncodeError::InvalidArgument(name));
                }
                w.uint(s.into());
            }
        }
        w.finish()
    }

    fn timeout_ms(&self) -> u32 {
        SSL_CFG_TIMEOUT_MS
    }
}

/// `AT+QSSLCFG="<name>",<ctx>`: read one setting of SSL context `ctx`; the module answers
/// `+QSSLCFG: "<name>",<ctx>,<value>` (`+QSSLCFG: "sslversion",1,4`), parsed into the
/// [`QsslSetting`] it shows (a file setting never set shows `""`: an empty name). The line
/// whose name and context match is taken; none, or a
/// value of another shape, is a [`ParseError`]. A context id above 5 is
/// [`EncodeError::InvalidArgument`] naming `ctx`.
///
/// ```
/// use atmodem::codec::Lines;
/// use atmodem::dialects::Command;
/// use atmodem::dialects::quectel::{QsslCfgQuery, QsslSetting, QsslSettingName, SslVersion};
/// let q = QsslCfgQuery { ctx: 1, name: QsslSettingName::SslVersion };
/// let mut buf = [0u8; 32];
/// assert_eq!(q.encode(&mut buf).unwrap(), b"AT+QSSLCFG=\"sslversion\",1\r");
/// let v = q.parse(Lines::from_slice(&[b"+QSSLCFG: \"sslversion\",1,4"])).unwrap();
/// assert_eq!(v, QsslSetting::SslVersion(SslVersion::All));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct QsslCfgQuery {
    /// The SSL context, 0..=5.
    pub ctx: u8,
    /// Which setting.
    pub name: QsslSettingName,
}

/// A cipher suite as the manuals write it: `0X` and four upper-case hex digits.
pub(crate) fn cipher_hex(s: u16) -> [u8; 6] {
    [
        b'0',
        b'X',
        hex_upper(s >> 12),
        hex_upper(s >> 8),
        hex_upper(s >> 4),
        hex_upper(s),
    ]
}

/// `0X<hex>` (or `0x`), 1 to 4 hex digits: the rest of the line.
pub(crate) fn cipher_suite(c: &mut Cursor<'_>) -> Option<u16> {
    let text = c.rest_str()?;
    let digits = text
        .strip_prefix("0X")
        .or_else(|| text.strip_prefix("0x"))?;
    if digits.is_empty() || digits.len() > 4 {
        return None;
    }
    u16::from_str_radix(digits, 16).ok()
}

pub(crate) fn flag(c: &mut Cursor<'_>) -> Option<bool> {
    match c.u8()? {
        0 => Some(false),
        1 => Some(true),
        _ => None,
    }
}

impl QsslCfgQuery {
    fn value<'a>(&self, line: &'a [u8]) -> Option<QsslSetting<'a>> {
        let mut c = Cursor::header(line, b"+QSSLCFG")?;
        if c.quoted_str()? != self.name.as_str() {
            return None;
        }
        c.comma()?;
        if c.u8()? != self.ctx {
            return None;
        }
        c.comma()?;
        let v = match self.name {
            QsslSettingName::SslVersion => QsslSetting::SslVersion(SslVersion::from_code(c.u8()?)?),
            QsslSettingName::SecLevel => QsslSetting::SecLevel(SecLevel::from_code(c.u8()?)?),
            QsslSettingName::CipherSuite => QsslSetting::CipherSuite(cipher_suite(&mut c)?),
            QsslSettingName::CaCert => QsslSetting::CaCert(c.quoted_str()?),
            QsslSettingName::ClientCert => QsslSetting::ClientCert(c.quoted_str()?),
            QsslSettingName::ClientKey => QsslSetting::ClientKey(c.quoted_str()?),
            QsslSettingName::Sni => QsslSetting::Sni(flag(&mut c)?),
            QsslSettingName::IgnoreLocalTime => QsslSetting::IgnoreLocalTime(flag(&mut c)?),
            QsslSettingName::NegotiateTime => QsslSetting::NegotiateTime(c.u16()?),
        };
        c.end()?;
        Some(v)
    }
}

impl Command for QsslCfgQuery {
    type Response<'a> = QsslSetting<'a>;
    const NAME: &'static str = "+QSSLCFG";

    fn encode<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], EncodeError> {
        check_ctx(self.ctx)?;
        let mut w = CommandWriter::new(buf, Self::NAME);
        w.string("name", self.name.as_str()).uint(self.ctx.into());
        w.finish()
    }

    fn expect(&self) -> Expect {
        Expect::tokens(&[b"+QSSLCFG"])
    }

    fn timeout_ms(&self) -> u32 {
        SSL_CFG_TIMEOUT_MS
    }

    fn parse<'a>(&self, lines: Lines<'a>) -> Result<QsslSetting<'a>, ParseError> {
        lines
            .iter()
            .find_map(|l| self.value(l))
            .ok_or(ParseError::of::<Self>())
    }
}
