//! Luat (AirM2M) Air72x: bearer (`AT+SAPBR`), HTTP(S) (`AT+HTTP*`), MQTT (`AT+M*`), SSL
//! contexts (`AT+SSLCFG`), local files (`AT+FS*`) and the [`Luat`] dialect with its URCs.
//!
//! ```
//! use atmodem::codec::{Item, Reader};
//! use atmodem::dialects::luat::Luat;
//!
//! // A pushed message whose payload spans three lines: framed by its length.
//! let mut reader: Reader<Luat, [u8; 256]> = Reader::new();
//! reader.feed(b"\r\n+MSUB: \"mqtt/pub\",22 byte,{\r\n  \"msg\": \"hello\"\r\n}\r\n");
//! match reader.next_item() {
//!     Some(Ok(Item::Urc(urc))) => {
//!         let msg = urc.message().unwrap();
//!         assert_eq!(msg.topic, "mqtt/pub");
//!         assert_eq!(msg.payload, b"{\r\n  \"msg\": \"hello\"\r\n}");
//!     }
//!     other => panic!("{other:?}"),
//! }
//! ```
//!
//! # Quoted arguments
//!
//! The firmware decodes `\XX` hex escapes inside quoted arguments (the `AT+MPUB` manual:
//! `"` → `\22`, CR → `\0D`, LF → `\0A`, `\` → `\5C`; `AT+HTTPPARA` header values write `"`
//! as `\22`), so a `\` sent as it is changes the value (topic `a\22b` would be published as
//! `a"b`). The message of [`Mpub`] is escaped. Every other quoted argument (topics, client
//! id, user name, password, host, bearer and HTTP parameters) refuses `\` with
//! [`EncodeError::ForbiddenByte`](crate::codec::EncodeError::ForbiddenByte) naming the
//! argument: topics are refused rather than escaped, as the manual documents the escapes
//! for the message only. Values longer than the manual's limits
//! ([`MAX_MQTT_TEXT`], [`MAX_URL`], [`MAX_PAYLOAD`]) are
//! [`EncodeError::TooLong`](crate::codec::EncodeError::TooLong).

/// Bytes no quoted argument may hold on Luat (the firmware decodes `\XX` escapes).
pub(crate) const UNQUOTABLE: &[u8] = b"\\";

/// Longest `AT+MCONFIG` client id, user name and password, and longest `AT+MSUB` topic (the
/// limit is applied to the topic of every MQTT command): 256 bytes.
pub const MAX_MQTT_TEXT: usize = 256;

/// Longest `AT+HTTPPARA="URL"` value: 500 bytes.
pub const MAX_URL: usize = 500;

mod bearer;
mod fs;
mod http;
mod mqtt;
mod ssl;
mod urc;

pub use bearer::{
    BearerInfo, BearerParams, BearerStatus, SapbrClose, SapbrOpen, SapbrParams, SapbrQuery,
    SapbrSet,
};
pub use fs::{FsCreate, FsDel, FsFlSize, FsRead, FsWrite, MAX_FS_NAME, MAX_FS_WRITE, WriteMode};
pub use http::{
    HttpAction, HttpData, HttpHead, HttpInit, HttpMethod, HttpPara, HttpParaValue, HttpRead,
    HttpSsl, HttpSslRead, HttpStatus, HttpTerm,
};
pub use mqtt::{
    ACCEPT_TIMEOUT_MS, ACK_TIMEOUT_MS, CONNACK_TIMEOUT_MS, CONNECT_TIMEOUT_MS, CachedMessages,
    MAX_PAYLOAD, Mconfig, Mconnect, Mdisconnect, MipClose, MipStart, Mpub, MpubEx, MqttMsgGet,
    MqttMsgGetRead, MqttMsgSet, MqttMsgSetRead, MqttStatu, Msub, Munsubscribe,
};
pub use ssl::{
    MAX_HOSTNAME, SSL_CTX_FTP, SSL_CTX_HTTP, SSL_CTX_MQTT, SslCfg, SslCfgErase, SslCfgQuery,
    SslSetting, SslSettingName,
};
pub use urc::{LuatUrc, MsubUrc};

use crate::codec::{Dialect, Framing, LinkEvent};

/// The Luat dialect: the 3GPP URCs plus [`LuatUrc`], and the payload rules of `+MSUB`
/// (inline, `<len> byte,`) and `+HTTPREAD` (data after the line).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Luat;

impl Dialect for Luat {
    type Urc<'a> = LuatUrc<'a>;

    #[inline]
    fn framing(head: &[u8]) -> Framing {
        urc::framing(head)
    }

    fn parse_urc<'a>(token: &'a [u8], line: &'a [u8]) -> Option<LuatUrc<'a>> {
        LuatUrc::parse(token, line)
    }

    fn link_event(urc: &LuatUrc<'_>) -> Option<LinkEvent> {
        match urc {
            LuatUrc::Common(u) => LinkEvent::of_generic(u),
            LuatUrc::SapbrDeact { cid } => Some(LinkEvent::BearerDown(*cid)),
            LuatUrc::PdpDeact => Some(LinkEvent::AllBearersDown),
            LuatUrc::Closed => Some(LinkEvent::MqttDown(0)),
            _ => None,
        }
    }

    // The bound makes `'a` early-bound, as in the trait (where it appears in a projection).
    #[allow(clippy::extra_unused_lifetimes)]
    fn message_parts<'a>(urc: &LuatUrc<'a>) -> Option<(u8, &'a str, &'a [u8])>
    where
        'a: 'a,
    {
        // One MQTT client on Luat modules.
        urc.message().map(|m| (0, m.topic, m.payload))
    }
}
