//! Quectel EC2x / EC600 / BG9x: PDP contexts, MQTT (`AT+QMT*`), HTTP(S) (`AT+QHTTP*`), SSL
//! contexts (`AT+QSSLCFG`), UFS files (`AT+QFUPL`, `AT+QFLST`, `AT+QFDEL`) and the
//! [`Quectel`] dialect with its URCs.
//!
//! ```
//! use atmodem::codec::{Item, Reader};
//! use atmodem::dialects::quectel::{Quectel, QuectelUrc};
//!
//! let mut reader: Reader<Quectel, [u8; 256]> = Reader::new();
//! reader.feed(b"\r\n+QMTRECV: 0,0,\"/sys/pk/dn/thing/service/property/set\",7,\"{\"a\":1}\"\r\n");
//! match reader.next_item() {
//!     Some(Ok(Item::Urc(urc))) => {
//!         let (client, msg) = urc.message().unwrap();
//!         assert_eq!((client, msg.topic, msg.payload), (0, "/sys/pk/dn/thing/service/property/set", &b"{\"a\":1}"[..]));
//!     }
//!     other => panic!("{other:?}"),
//! }
//! ```

pub(crate) mod file;
mod http;
mod mqtt;
mod pdp;
pub(crate) mod ssl;
mod urc;

pub use file::{
    DEFAULT_UPLOAD_SECS, FILE_EXISTS, FILE_NOT_FOUND, FileEntry, Files, OpenMode, Qfclose, Qfdel,
    Qflst, Qfopen, Qfread, Qfupl, UploadMismatch, Uploaded, checksum, file_error_text,
};
pub use http::{
    DEFAULT_WAIT_SECS, QhttpCfg, QhttpCfgQuery, QhttpGet, QhttpGetEx, QhttpPost, QhttpRead,
    QhttpSetting, QhttpStop, QhttpUrl, http_error_text,
};
pub use mqtt::{
    ACCEPT_TIMEOUT_MS, BufferStatus, CFG_TIMEOUT_MS, CLOSE_TIMEOUT_MS, CONN_TIMEOUT_MS, ConnStates,
    Granted, MAX_TOPICS, MqttVersion, OPEN_TIMEOUT_MS, OpenLink, OpenLinks, PACKET_TIMEOUT_MS,
    PublishForm, QmtCfg, QmtCfgQuery, QmtClose, QmtConn, QmtConnRead, QmtDisc, QmtOpen,
    QmtOpenRead, QmtPublish, QmtRecvFetch, QmtRecvRead, QmtSetting, QmtSettingName, QmtSub, QmtUns,
    StoredMessages, Will,
};
pub use pdp::{
    ActiveContext, ActiveContexts, LteCell, PdpAuth, PdpContext, PdpType, QengServingCell, Qiact,
    QiactRead, Qicsgp, QicsgpQuery, Qideact, ServingCell,
};
pub use ssl::{
    ALL_CIPHER_SUITES, MAX_FILE_NAME, MAX_SSL_CTX, QsslCfg, QsslCfgQuery, QsslSetting,
    QsslSettingName, SSL_CFG_TIMEOUT_MS, SecLevel, SslVersion,
};
pub use urc::{
    HttpResult, MAX_RECV_LEN, MqttAck, Qind, Qiurc, QmtRecv, QuectelUrc, connack_text,
    open_result_text, packet_result_text, stat_text,
};

use crate::codec::{Dialect, Framing, LinkEvent};

/// The Quectel dialect: the 3GPP URCs plus [`QuectelUrc`], and the payload rule of
/// `+QMTRECV` with a length field.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Quectel;

impl Dialect for Quectel {
    type Urc<'a> = QuectelUrc<'a>;

    /// `+QMTRECV: <idx>,<msgid>,"<topic>",<len>,"<payload>"`: the closing quote.
    const INLINE_TRAILER: &'static [u8] = b"\"";

    #[inline]
    fn framing(head: &[u8]) -> Framing {
        urc::framing(head)
    }

    fn parse_urc<'a>(token: &'a [u8], line: &'a [u8]) -> Option<QuectelUrc<'a>> {
        QuectelUrc::parse(token, line)
    }

    fn link_event(urc: &QuectelUrc<'_>) -> Option<LinkEvent> {
        match urc {
            QuectelUrc::Common(u) => LinkEvent::of_generic(u),
            QuectelUrc::QmtStat { client, .. } | QuectelUrc::QmtPing { client, .. } => {
                Some(LinkEvent::MqttDown(*client))
            }
            QuectelUrc::Qiurc(Qiurc::PdpDeact { cid }) => Some(LinkEvent::BearerDown(*cid)),
            _ => None,
        }
    }

    // The bound makes `'a` early-bound, as in the trait (where it appears in a projection).
    #[allow(clippy::extra_unused_lifetimes)]
    fn message_parts<'a>(urc: &QuectelUrc<'a>) -> Option<(u8, &'a str, &'a [u8])>
    where
        'a: 'a,
    {
        urc.message()
            .map(|(client, m)| (client, m.topic, m.payload))
    }
}
