//! The thing model (Alink JSON) of one device: topics, the downlink classifier, payload
//! writers and the table of posts awaiting their reply.
//!
//! | purpose | topic | dir |
//! |---|---|---|
//! | property post / reply | `/sys/{pk}/{dn}/thing/event/property/post` / `…/post_reply` | up / down |
//! | property set / reply | `/sys/{pk}/{dn}/thing/service/property/set` / `…/set_reply` | down / up |
//! | event post / reply | `/sys/{pk}/{dn}/thing/event/{identifier}/post` / `…/post_reply` | up / down |
//! | async service / reply | `/sys/{pk}/{dn}/thing/service/{identifier}` / `…_reply` | down / up |
//! | RRPC | `/sys/{pk}/{dn}/rrpc/request/{messageId}` / `…/rrpc/response/{messageId}` | down / up |
//! | RRPC on a custom topic | `/ext/rrpc/{messageId}{topic}`, answered on the same topic | down / up |
//! | desired properties get / delete | `/sys/{pk}/{dn}/thing/property/desired/get` / `…/delete` (+`_reply`) | up (down) |
//! | NTP | `/ext/ntp/{pk}/{dn}/request` / `…/response` | up / down |
//! | OTA version inform / progress | `/ota/device/inform/{pk}/{dn}` / `/ota/device/progress/{pk}/{dn}` | up |
//! | OTA upgrade push | `/ota/device/upgrade/{pk}/{dn}` | down |
//! | OTA firmware get / reply | `/sys/{pk}/{dn}/thing/ota/firmware/get` / `…/get_reply` | up / down |
//!
//! A device that connects with a generic MQTT client is not subscribed automatically:
//! subscribe to every filter of [`DOWNLINK_FILTERS`] after each (re)connect, plus
//! [`Device::ext_rrpc_filter`] for each custom topic called over RRPC. In MQTT `+`
//! matches exactly one level, so `…/thing/service/+` does not cover
//! `…/thing/service/property/set`; [`classify`] matches whole levels the same way.
//!
//! A synchronous call (RRPC) comes in one of two forms: `/sys/{pk}/{dn}/rrpc/request/{messageId}`
//! ([`Downlink::Rrpc`], answered on `…/rrpc/response/{messageId}`) or
//! `/ext/rrpc/{messageId}{topic}` ([`Downlink::ExtRrpc`], answered on the very same topic).
//! [`Device::response_topic`] gives the topic to answer on; answer at QoS 0 (the platform
//! takes no other) within 7 s.
//!
//! Nothing here does I/O, allocates or formats with `core::fmt`: outputs go to caller
//! buffers, inputs are borrowed. Replies are parsed by a non-recursive scan of the top-level
//! members; nested values are only skipped (nesting bounded by [`MAX_DOWNLINK_DEPTH`]).

use heapless::String;
use serde::Deserialize;

use super::error::Error;
use super::json::{MAX_PARAMS_DEPTH, is_one_object, within_depth};
use super::validate;

/// Longest downlink JSON payload [`classify`] reads (bytes); longer is [`ThingError::TooLarge`].
pub const MAX_DOWNLINK_LEN: usize = 8192;
/// Deepest nesting of a downlink JSON payload: the message object plus
/// [`MAX_PARAMS_DEPTH`] levels of `params`. Deeper is [`ThingError::TooDeep`].
pub const MAX_DOWNLINK_DEPTH: usize = MAX_PARAMS_DEPTH + 1;
/// Longest TSL identifier accepted in a topic.
pub const MAX_IDENTIFIER: usize = 64;
/// Longest RRPC `messageId` accepted in a topic.
pub const MAX_MESSAGE_ID: usize = 64;
/// Capacity that holds every topic built here (Aliyun allows topics up to 128 characters).
pub const THING_TOPIC_CAP: usize = 128;

/// A thing-model topic.
pub type ThingTopic = String<THING_TOPIC_CAP>;

/// A field of a thing-model message or topic, named as the platform spells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ThingField {
    /// The payload as a whole (not one JSON object).
    Payload,
    /// `id`
    Id,
    /// `code`
    Code,
    /// `message`
    Message,
    /// `data`
    Data,
    /// `params`
    Params,
    /// `time`
    Time,
    /// A TSL identifier (event or service name in a topic).
    Identifier,
    /// The RRPC `messageId` topic level.
    MessageId,
    /// A topic: the custom topic inside an `/ext/rrpc/…` topic, or a topic that is not a
    /// request of the device.
    Topic,
    /// `deviceSendTime`
    DeviceSendTime,
    /// `serverRecvTime`
    ServerRecvTime,
    /// `serverSendTime`
    ServerSendTime,
}

impl ThingField {
    /// The field's name as Aliyun writes it.
    ///
    /// ```
    /// assert_eq!(atmodem::aliyun::thing::ThingField::DeviceSendTime.name(), "deviceSendTime");
    /// ```
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Payload => "payload",
            Self::Id => "id",
            Self::Code => "code",
            Self::Message => "message",
            Self::Data => "data",
            Self::Params => "params",
            Self::Time => "time",
            Self::Identifier => "identifier",
            Self::MessageId => "messageId",
            Self::Topic => "topic",
            Self::DeviceSendTime => "deviceSendTime",
            Self::ServerRecvTime => "serverRecvTime",
            Self::ServerSendTime => "serverSendTime",
        }
    }
}

impl core::fmt::Display for ThingField {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a thing-model message could not be built or read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ThingError {
    /// A required field is absent.
    #[error("message lacks {0}")]
    Missing(ThingField),
    /// A field is present but not of the expected form (or the payload is not one JSON
    /// object, [`ThingField::Payload`]).
    #[error("message has an invalid {0}")]
    Invalid(ThingField),
    /// The payload nests deeper than [`MAX_DOWNLINK_DEPTH`].
    #[error("message nests too deep")]
    TooDeep,
    /// The payload is longer than [`MAX_DOWNLINK_LEN`].
    #[error("message is too large")]
    TooLarge,
    /// The output does not fit the caller's buffer.
    #[error("output does not fit its buffer")]
    Capacity,
    /// `productKey` or `deviceName` fails validation.
    #[error("invalid device: {0}")]
    Device(Error),
    /// An OTA message (upgrade push or firmware-get reply) could not be read.
    #[error("OTA message: {0}")]
    Ota(super::ota::OtaError),
}

impl From<super::ota::OtaError> for ThingError {
    fn from(e: super::ota::OtaError) -> Self {
        Self::Ota(e)
    }
}

impl From<Error> for ThingError {
    fn from(e: Error) -> Self {
        Self::Device(e)
    }
}

// ---------------------------------------------------------------------------------------
// Output buffers

/// Where a builder writes: a `heapless::String` or a byte slice.
pub(crate) trait Out {
    fn put(&mut self, s: &str) -> Result<(), ThingError>;
}

impl<const N: usize> Out for String<N> {
    fn put(&mut self, s: &str) -> Result<(), ThingError> {
        self.push_str(s).map_err(|_| ThingError::Capacity)
    }
}

/// A byte slice written from its start.
pub(crate) struct SliceOut<'b> {
    buf: &'b mut [u8],
    len: usize,
}

impl<'b> SliceOut<'b> {
    /// Writes from the start of `buf`.
    pub(crate) const fn new(buf: &'b mut [u8]) -> Self {
        Self { buf, len: 0 }
    }

    /// `s` as one JSON string, quotes included, escaped as `serde-json-core` does (`"`,
    /// `\`, control characters).
    pub(crate) fn put_json_string(&mut self, s: &str) -> Result<(), ThingError> {
        let rest = self.buf.get_mut(self.len..).ok_or(ThingError::Capacity)?;
        let n = serde_json_core::to_slice(s, rest).map_err(|_| ThingError::Capacity)?;
        self.len = self.len.checked_add(n).ok_or(ThingError::Capacity)?;
        Ok(())
    }

    /// The text written so far.
    pub(crate) fn into_str(self) -> Result<&'b str, ThingError> {
        let bytes = self.buf.get(..self.len).ok_or(ThingError::Capacity)?;
        core::str::from_utf8(bytes).map_err(|_| ThingError::Capacity)
    }
}

impl Out for SliceOut<'_> {
    fn put(&mut self, s: &str) -> Result<(), ThingError> {
        let end = self.len.checked_add(s.len()).ok_or(ThingError::Capacity)?;
        let dst = self
            .buf
            .get_mut(self.len..end)
            .ok_or(ThingError::Capacity)?;
        dst.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

pub(crate) fn put_all(out: &mut impl Out, parts: &[&str]) -> Result<(), ThingError> {
    parts.iter().try_for_each(|p| out.put(p))
}

/// Decimal digits of `v`.
pub(crate) fn digits(v: u64, buf: &mut [u8; 20]) -> &str {
    core::str::from_utf8(crate::codec::format_u64(v, buf)).unwrap_or("0")
}

// ---------------------------------------------------------------------------------------
// Topics

/// One device of a product: the `productKey` and `deviceName` every topic carries.
///
/// ```
/// use atmodem::aliyun::thing::{Device, Topic, ThingTopic};
/// let dev = Device::new("a1FlqIQ****", "device1");
/// assert!(dev.is_err()); // `*` is not allowed in a productKey
/// let dev = Device::new("a1FlqIQabcd", "device1")?;
/// let mut t = ThingTopic::new();
/// dev.topic(Topic::PropertyPost, &mut t)?;
/// assert_eq!(t.as_str(), "/sys/a1FlqIQabcd/device1/thing/event/property/post");
/// # Ok::<(), atmodem::aliyun::thing::ThingError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Device<'a> {
    product_key: &'a str,
    device_name: &'a str,
}

/// A topic of one device (uplink or downlink), as published or received.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Topic<'a> {
    /// `/sys/{pk}/{dn}/thing/event/property/post` (up).
    PropertyPost,
    /// `/sys/{pk}/{dn}/thing/event/property/post_reply` (down).
    PropertyPostReply,
    /// `/sys/{pk}/{dn}/thing/service/property/set` (down).
    PropertySet,
    /// `/sys/{pk}/{dn}/thing/service/property/set_reply` (up).
    PropertySetReply,
    /// `/sys/{pk}/{dn}/thing/event/{identifier}/post` (up).
    EventPost(&'a str),
    /// `/sys/{pk}/{dn}/thing/event/{identifier}/post_reply` (down).
    EventPostReply(&'a str),
    /// `/sys/{pk}/{dn}/thing/service/{identifier}` (down, asynchronous service call).
    Service(&'a str),
    /// `/sys/{pk}/{dn}/thing/service/{identifier}_reply` (up).
    ServiceReply(&'a str),
    /// `/sys/{pk}/{dn}/rrpc/request/{messageId}` (down).
    RrpcRequest(&'a str),
    /// `/sys/{pk}/{dn}/rrpc/response/{messageId}` (up, QoS 0).
    RrpcResponse(&'a str),
    /// `/ext/rrpc/{messageId}{topic}`: a synchronous call on a custom topic (down) and its
    /// response on the very same topic (up, QoS 0). `topic` keeps its leading `/`, e.g.
    /// `/{pk}/{dn}/user/get` or, for a TSL service called synchronously,
    /// `/sys/{pk}/{dn}/thing/service/{identifier}`.
    ExtRrpc {
        /// The `messageId` topic level the platform chose.
        message_id: &'a str,
        /// The custom topic, leading `/` included.
        topic: &'a str,
    },
    /// `/sys/{pk}/{dn}/thing/property/desired/get` (up): ask for desired values.
    DesiredGet,
    /// `/sys/{pk}/{dn}/thing/property/desired/get_reply` (down).
    DesiredGetReply,
    /// `/sys/{pk}/{dn}/thing/property/desired/delete` (up): clear desired values.
    DesiredDelete,
    /// `/sys/{pk}/{dn}/thing/property/desired/delete_reply` (down).
    DesiredDeleteReply,
    /// `/ext/ntp/{pk}/{dn}/request` (up, QoS 0).
    NtpRequest,
    /// `/ext/ntp/{pk}/{dn}/response` (down).
    NtpResponse,
    /// `/ota/device/inform/{pk}/{dn}` (up): the firmware version report.
    OtaInform,
    /// `/ota/device/upgrade/{pk}/{dn}` (down): the upgrade push.
    OtaUpgrade,
    /// `/ota/device/progress/{pk}/{dn}` (up): the upgrade progress report.
    OtaProgress,
    /// `/sys/{pk}/{dn}/thing/ota/firmware/get` (up): ask for the pending package.
    OtaFirmwareGet,
    /// `/sys/{pk}/{dn}/thing/ota/firmware/get_reply` (down).
    OtaFirmwareGetReply,
}

/// A downlink topic filter a device subscribes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Filter {
    /// `/sys/{pk}/{dn}/thing/event/+/post_reply`: replies to property and event posts.
    PostReplies,
    /// `/sys/{pk}/{dn}/thing/service/property/set`.
    PropertySet,
    /// `/sys/{pk}/{dn}/thing/service/+`: asynchronous service calls.
    Services,
    /// `/sys/{pk}/{dn}/rrpc/request/+`: RRPC requests.
    RrpcRequests,
    /// `/ext/rrpc/+/sys/{pk}/{dn}/thing/service/+`: TSL services called synchronously (the
    /// custom-topic RRPC form Link SDK C uses). RRPC on other custom topics needs its own
    /// filter, [`Device::ext_rrpc_filter`].
    SyncServices,
    /// `/ext/ntp/{pk}/{dn}/response`.
    NtpResponse,
    /// `/ota/device/upgrade/{pk}/{dn}`: OTA upgrade pushes.
    OtaUpgrade,
    /// `/sys/{pk}/{dn}/thing/ota/firmware/get_reply`: replies to an OTA firmware get.
    OtaFirmwareGetReply,
    /// `/sys/{pk}/{dn}/thing/property/desired/get_reply`.
    DesiredGetReply,
    /// `/sys/{pk}/{dn}/thing/property/desired/delete_reply`.
    DesiredDeleteReply,
}

/// Every filter a device must subscribe to (again after each reconnect) to receive what
/// [`classify`] knows.
pub const DOWNLINK_FILTERS: [Filter; 10] = [
    Filter::PostReplies,
    Filter::PropertySet,
    Filter::Services,
    Filter::RrpcRequests,
    Filter::SyncServices,
    Filter::NtpResponse,
    Filter::OtaUpgrade,
    Filter::OtaFirmwareGetReply,
    Filter::DesiredGetReply,
    Filter::DesiredDeleteReply,
];

/// A TSL identifier: `[A-Za-z0-9_]`, optionally `functionBlockId:identifier`, 1 to
/// [`MAX_IDENTIFIER`] bytes.
fn check_identifier(s: &str) -> Result<(), ThingError> {
    let ok = !s.is_empty()
        && s.len() <= MAX_IDENTIFIER
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b':');
    ok.then_some(())
        .ok_or(ThingError::Invalid(ThingField::Identifier))
}

/// An RRPC `messageId`: printable ASCII without `/`, `+`, `#`, 1 to [`MAX_MESSAGE_ID`] bytes.
fn check_message_id(s: &str) -> Result<(), ThingError> {
    let ok = !s.is_empty()
        && s.len() <= MAX_MESSAGE_ID
        && s.bytes()
            .all(|b| b.is_ascii_graphic() && !matches!(b, b'/' | b'+' | b'#'));
    ok.then_some(())
        .ok_or(ThingError::Invalid(ThingField::MessageId))
}

/// The custom topic of an `/ext/rrpc/…` topic: `/` then levels of printable ASCII other than
/// `+` and `#`, none empty, at most [`THING_TOPIC_CAP`] bytes; with `wildcards`, a level may
/// be `+` and the last one `#` (a subscription filter).
fn check_custom_topic(s: &str, wildcards: bool) -> Result<(), ThingError> {
    let bad = ThingError::Invalid(ThingField::Topic);
    if s.len() > THING_TOPIC_CAP {
        return Err(bad);
    }
    let rest = s.strip_prefix('/').ok_or(bad)?;
    let mut levels = rest.split('/').peekable();
    while let Some(level) = levels.next() {
        let last = levels.peek().is_none();
        let wildcard = wildcards && (level == "+" || (last && level == "#"));
        let plain = !level.is_empty()
            && level
                .bytes()
                .all(|b| b.is_ascii_graphic() && !matches!(b, b'+' | b'#'));
        if !(wildcard || plain) {
            return Err(bad);
        }
    }
    Ok(())
}

impl<'a> Device<'a> {
    /// The device, after validating `productKey` and `deviceName` with the crate's rules
    /// ([`ThingError::Device`] names the field that fails).
    ///
    /// ```
    /// use atmodem::aliyun::thing::Device;
    /// assert!(Device::new("a1FlqIQabcd", "device1").is_ok());
    /// assert!(Device::new("", "device1").is_err());
    /// ```
    pub fn new(product_key: &'a str, device_name: &'a str) -> Result<Self, ThingError> {
        validate::product_key(product_key)?;
        validate::device_name(device_name)?;
        Ok(Self {
            product_key,
            device_name,
        })
    }

    /// `productKey`.
    ///
    /// ```
    /// # use atmodem::aliyun::thing::Device;
    /// assert_eq!(Device::new("a1FlqIQabcd", "device1")?.product_key(), "a1FlqIQabcd");
    /// # Ok::<(), atmodem::aliyun::thing::ThingError>(())
    /// ```
    #[must_use]
    pub const fn product_key(&self) -> &'a str {
        self.product_key
    }

    /// `deviceName`.
    ///
    /// ```
    /// # use atmodem::aliyun::thing::Device;
    /// assert_eq!(Device::new("a1FlqIQabcd", "device1")?.device_name(), "device1");
    /// # Ok::<(), atmodem::aliyun::thing::ThingError>(())
    /// ```
    #[must_use]
    pub const fn device_name(&self) -> &'a str {
        self.device_name
    }

    fn write_any(&self, topic: Topic<'_>, out: &mut impl Out) -> Result<(), ThingError> {
        let (pk, dn) = (self.product_key, self.device_name);
        let sys = |out: &mut dyn FnMut(&str) -> Result<(), ThingError>, tail: &[&str]| {
            ["/sys/", pk, "/", dn]
                .iter()
                .chain(tail)
                .try_for_each(|p| out(p))
        };
        let mut put = |p: &str| out.put(p);
        match topic {
            Topic::PropertyPost => sys(&mut put, &["/thing/event/property/post"]),
            Topic::PropertyPostReply => sys(&mut put, &["/thing/event/property/post_reply"]),
            Topic::PropertySet => sys(&mut put, &["/thing/service/property/set"]),
            Topic::PropertySetReply => sys(&mut put, &["/thing/service/property/set_reply"]),
            Topic::EventPost(id) => {
                check_identifier(id)?;
                sys(&mut put, &["/thing/event/", id, "/post"])
            }
            Topic::EventPostReply(id) => {
                check_identifier(id)?;
                sys(&mut put, &["/thing/event/", id, "/post_reply"])
            }
            Topic::Service(id) => {
                check_identifier(id)?;
                sys(&mut put, &["/thing/service/", id])
            }
            Topic::ServiceReply(id) => {
                check_identifier(id)?;
                sys(&mut put, &["/thing/service/", id, "_reply"])
            }
            Topic::RrpcRequest(m) => {
                check_message_id(m)?;
                sys(&mut put, &["/rrpc/request/", m])
            }
            Topic::RrpcResponse(m) => {
                check_message_id(m)?;
                sys(&mut put, &["/rrpc/response/", m])
            }
            Topic::ExtRrpc { message_id, topic } => {
                check_message_id(message_id)?;
                check_custom_topic(topic, false)?;
                ["/ext/rrpc/", message_id, topic]
                    .iter()
                    .try_for_each(|p| put(p))
            }
            Topic::DesiredGet => sys(&mut put, &["/thing/property/desired/get"]),
            Topic::DesiredGetReply => sys(&mut put, &["/thing/property/desired/get_reply"]),
            Topic::DesiredDelete => sys(&mut put, &["/thing/property/desired/delete"]),
            Topic::DesiredDeleteReply => sys(&mut put, &["/thing/property/desired/delete_reply"]),
            Topic::NtpRequest => ["/ext/ntp/", pk, "/", dn, "/request"]
                .iter()
                .try_for_each(|p| put(p)),
            Topic::NtpResponse => ["/ext/ntp/", pk, "/", dn, "/response"]
                .iter()
                .try_for_each(|p| put(p)),
            Topic::OtaInform => ["/ota/device/inform/", pk, "/", dn]
                .iter()
                .try_for_each(|p| put(p)),
            Topic::OtaUpgrade => ["/ota/device/upgrade/", pk, "/", dn]
                .iter()
                .try_for_each(|p| put(p)),
            Topic::OtaProgress => ["/ota/device/progress/", pk, "/", dn]
                .iter()
                .try_for_each(|p| put(p)),
            Topic::OtaFirmwareGet => sys(&mut put, &["/thing/ota/firmware/get"]),
            Topic::OtaFirmwareGetReply => sys(&mut put, &["/thing/ota/firmware/get_reply"]),
        }
    }

    /// Write `topic` of this device into `out` (cleared first). An identifier or
    /// `messageId` that could not be one topic level is
    /// [`ThingError::Invalid`]; a topic longer than `N` is [`ThingError::Capacity`].
    ///
    /// ```
    /// use atmodem::aliyun::thing::{Device, Topic, ThingTopic};
    /// let dev = Device::new("a1FlqIQabcd", "device1")?;
    /// let mut t = ThingTopic::new();
    /// dev.topic(Topic::ServiceReply("SetLight"), &mut t)?;
    /// assert_eq!(t.as_str(), "/sys/a1FlqIQabcd/device1/thing/service/SetLight_reply");
    /// dev.topic(Topic::NtpRequest, &mut t)?;
    /// assert_eq!(t.as_str(), "/ext/ntp/a1FlqIQabcd/device1/request");
    /// assert!(dev.topic(Topic::EventPost("a/b"), &mut t).is_err());
    /// # Ok::<(), atmodem::aliyun::thing::ThingError>(())
    /// ```
    pub fn topic<const N: usize>(
        &self,
        topic: Topic<'_>,
        out: &mut String<N>,
    ) -> Result<(), ThingError> {
        out.clear();
        let r = self.write_any(topic, out);
        if r.is_err() {
            out.clear();
        }
        r
    }

    /// Write `topic` into `buf`, returning the written text.
    ///
    /// ```
    /// use atmodem::aliyun::thing::{Device, ThingError, Topic};
    /// let dev = Device::new("a1FlqIQabcd", "device1")?;
    /// let mut buf = [0u8; 64];
    /// let t = dev.topic_into(Topic::RrpcResponse("1213074"), &mut buf)?;
    /// assert_eq!(t, "/sys/a1FlqIQabcd/device1/rrpc/response/1213074");
    /// assert_eq!(dev.topic_into(Topic::PropertySet, &mut [0u8; 8]), Err(ThingError::Capacity));
    /// # Ok::<(), ThingError>(())
    /// ```
    pub fn topic_into<'b>(
        &self,
        topic: Topic<'_>,
        buf: &'b mut [u8],
    ) -> Result<&'b str, ThingError> {
        let mut out = SliceOut::new(buf);
        self.write_any(topic, &mut out)?;
        out.into_str()
    }

    /// Write the subscription `filter` of this device into `out` (cleared first).
    ///
    /// ```
    /// use atmodem::aliyun::thing::{DOWNLINK_FILTERS, Device, ThingTopic};
    /// let dev = Device::new("a1FlqIQabcd", "device1")?;
    /// let mut t = ThingTopic::new();
    /// dev.filter(DOWNLINK_FILTERS[0], &mut t)?;
    /// assert_eq!(t.as_str(), "/sys/a1FlqIQabcd/device1/thing/event/+/post_reply");
    /// # Ok::<(), atmodem::aliyun::thing::ThingError>(())
    /// ```
    pub fn filter<const N: usize>(
        &self,
        filter: Filter,
        out: &mut String<N>,
    ) -> Result<(), ThingError> {
        out.clear();
        let (pk, dn) = (self.product_key, self.device_name);
        let r = match filter {
            Filter::PostReplies => {
                put_all(out, &["/sys/", pk, "/", dn, "/thing/event/+/post_reply"])
            }
            Filter::PropertySet => {
                put_all(out, &["/sys/", pk, "/", dn, "/thing/service/property/set"])
            }
            Filter::Services => put_all(out, &["/sys/", pk, "/", dn, "/thing/service/+"]),
            Filter::RrpcRequests => put_all(out, &["/sys/", pk, "/", dn, "/rrpc/request/+"]),
            Filter::SyncServices => {
                put_all(out, &["/ext/rrpc/+/sys/", pk, "/", dn, "/thing/service/+"])
            }
            Filter::NtpResponse => put_all(out, &["/ext/ntp/", pk, "/", dn, "/response"]),
            Filter::OtaUpgrade => put_all(out, &["/ota/device/upgrade/", pk, "/", dn]),
            Filter::OtaFirmwareGetReply => put_all(
                out,
                &["/sys/", pk, "/", dn, "/thing/ota/firmware/get_reply"],
            ),
            Filter::DesiredGetReply => put_all(
                out,
                &["/sys/", pk, "/", dn, "/thing/property/desired/get_reply"],
            ),
            Filter::DesiredDeleteReply => put_all(
                out,
                &["/sys/", pk, "/", dn, "/thing/property/desired/delete_reply"],
            ),
        };
        if r.is_err() {
            out.clear();
        }
        r
    }

    /// Write the subscription for RRPC calls on the custom topic `topic` into `out` (cleared
    /// first): `/ext/rrpc/+{topic}`, `+` standing for the `messageId` level. `topic` keeps its
    /// leading `/` and may itself hold `+` levels and a final `#`; anything else that could
    /// not be topic levels (empty level, no leading `/`, `+`/`#` inside a level) is
    /// [`ThingError::Invalid`] on [`ThingField::Topic`], a filter longer than `N`
    /// [`ThingError::Capacity`].
    ///
    /// ```
    /// use atmodem::aliyun::thing::{Device, ThingTopic};
    /// let dev = Device::new("a1FlqIQabcd", "device1")?;
    /// let mut t = ThingTopic::new();
    /// dev.ext_rrpc_filter("/a1FlqIQabcd/device1/user/get", &mut t)?;
    /// assert_eq!(t.as_str(), "/ext/rrpc/+/a1FlqIQabcd/device1/user/get");
    /// dev.ext_rrpc_filter("/a1FlqIQabcd/device1/user/#", &mut t)?;
    /// assert_eq!(t.as_str(), "/ext/rrpc/+/a1FlqIQabcd/device1/user/#");
    /// assert!(dev.ext_rrpc_filter("a1FlqIQabcd/device1/user/get", &mut t).is_err());
    /// # Ok::<(), atmodem::aliyun::thing::ThingError>(())
    /// ```
    pub fn ext_rrpc_filter<const N: usize>(
        &self,
        topic: &str,
        out: &mut String<N>,
    ) -> Result<(), ThingError> {
        out.clear();
        let r =
            check_custom_topic(topic, true).and_then(|()| put_all(out, &["/ext/rrpc/+", topic]));
        finish(out, r)
    }

    /// Write into `out` (cleared first) the topic that answers `request`, a message
    /// [`classify`] returned for this device: [`Topic::RrpcResponse`] for
    /// [`Downlink::Rrpc`], the request's own topic for [`Downlink::ExtRrpc`],
    /// [`Topic::PropertySetReply`] and [`Topic::ServiceReply`] for property sets and
    /// asynchronous service calls. Publish RRPC responses at QoS 0. Any other message takes
    /// no answer: [`ThingError::Invalid`] on [`ThingField::Topic`].
    ///
    /// ```
    /// use atmodem::aliyun::thing::{Device, ThingTopic, classify};
    /// let dev = Device::new("a1FlqIQabcd", "device1")?;
    /// let mut t = ThingTopic::new();
    /// let req = classify(&dev, b"/sys/a1FlqIQabcd/device1/rrpc/request/1213074100", b"ping")?;
    /// dev.response_topic(&req, &mut t)?;
    /// assert_eq!(t.as_str(), "/sys/a1FlqIQabcd/device1/rrpc/response/1213074100");
    /// let req = classify(&dev, b"/ext/rrpc/1213074100/a1FlqIQabcd/device1/user/get", b"ping")?;
    /// dev.response_topic(&req, &mut t)?;
    /// assert_eq!(t.as_str(), "/ext/rrpc/1213074100/a1FlqIQabcd/device1/user/get");
    /// # Ok::<(), atmodem::aliyun::thing::ThingError>(())
    /// ```
    pub fn response_topic<const N: usize>(
        &self,
        request: &Downlink<'_>,
        out: &mut String<N>,
    ) -> Result<(), ThingError> {
        let topic = match *request {
            Downlink::Rrpc { message_id, .. } => Topic::RrpcResponse(message_id),
            Downlink::ExtRrpc {
                message_id, topic, ..
            } => Topic::ExtRrpc { message_id, topic },
            Downlink::PropertySet { .. } => Topic::PropertySetReply,
            Downlink::ServiceCall { identifier, .. } => Topic::ServiceReply(identifier),
            _ => {
                out.clear();
                return Err(ThingError::Invalid(ThingField::Topic));
            }
        };
        self.topic(topic, out)
    }
}

// ---------------------------------------------------------------------------------------
// A flat scan of one JSON object's top-level members

const fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

fn skip_ws(s: &[u8], mut i: usize) -> usize {
    while s.get(i).is_some_and(|&b| is_ws(b)) {
        i = i.saturating_add(1);
    }
    i
}

/// End (exclusive) of the string starting with the `"` at `i`.
fn string_end(s: &[u8], i: usize) -> Option<usize> {
    let mut j = i.checked_add(1)?;
    loop {
        match *s.get(j)? {
            b'\\' => j = j.checked_add(2)?,
            b'"' => return j.checked_add(1),
            b if b < 0x20 => return None,
            _ => j = j.checked_add(1)?,
        }
    }
}

/// End (exclusive) of the value starting at `i`.
fn value_end(s: &[u8], i: usize) -> Option<usize> {
    match *s.get(i)? {
        b'"' => string_end(s, i),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut j = i;
            loop {
                match *s.get(j)? {
                    b'"' => {
                        j = string_end(s, j)?;
                        continue;
                    }
                    b'{' | b'[' => depth = depth.checked_add(1)?,
                    b'}' | b']' => {
                        depth = depth.checked_sub(1)?;
                        if depth == 0 {
                            return j.checked_add(1);
                        }
                    }
                    _ => {}
                }
                j = j.checked_add(1)?;
            }
        }
        _ => {
            let mut j = i;
            while s
                .get(j)
                .is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'+' | b'.'))
            {
                j = j.checked_add(1)?;
            }
            (j > i).then_some(j)
        }
    }
}

/// Deepest bracket nesting of `s`, brackets inside strings not counting, whether or not
/// the brackets pair up (one pass, no recursion).
fn deepest(s: &[u8]) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    let (mut in_string, mut escaped) = (false, false);
    for &b in s {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth = depth.saturating_add(1);
                max = max.max(depth);
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// The top-level members of a JSON object: `(key as between its quotes, value text)`.
/// `None` when `payload` is not one object of that shape (brackets pairing is checked
/// separately by [`within_depth`]).
pub(crate) struct Members<'a> {
    s: &'a [u8],
    i: usize,
    done: bool,
    /// The last member ended with `,`: another must follow.
    comma: bool,
}

impl<'a> Members<'a> {
    /// Checks the size, depth and outer shape, and starts the scan.
    pub(crate) fn new(payload: &'a [u8]) -> Result<Self, ThingError> {
        if payload.len() > MAX_DOWNLINK_LEN {
            return Err(ThingError::TooLarge);
        }
        if deepest(payload) > MAX_DOWNLINK_DEPTH {
            return Err(ThingError::TooDeep);
        }
        if !within_depth(payload, MAX_DOWNLINK_DEPTH) {
            return Err(ThingError::Invalid(ThingField::Payload));
        }
        let bad = ThingError::Invalid(ThingField::Payload);
        let start = skip_ws(payload, 0);
        if payload.get(start) != Some(&b'{') {
            return Err(bad);
        }
        let end = value_end(payload, start).ok_or(bad)?;
        if skip_ws(payload, end) != payload.len() {
            return Err(bad);
        }
        let s = payload.get(..end).ok_or(bad)?;
        let members = Self {
            s,
            i: start.saturating_add(1),
            done: false,
            comma: false,
        };
        // Validate the whole member list once, so lookups never meet a syntax error.
        for m in members_copy(&members) {
            m?;
        }
        Ok(members)
    }

    /// Whether the object has no member.
    pub(crate) fn is_empty(&self) -> bool {
        members_copy(self).next().is_none()
    }

    /// Value text of the first member named `key`.
    pub(crate) fn get(&self, key: &str) -> Option<&'a [u8]> {
        let mut it = members_copy(self);
        while let Some(Ok((k, v))) = it.next() {
            if k == key.as_bytes() {
                return Some(v);
            }
        }
        None
    }
}

const fn members_copy<'a>(m: &Members<'a>) -> Members<'a> {
    Members {
        s: m.s,
        i: m.i,
        done: m.done,
        comma: m.comma,
    }
}

impl<'a> Iterator for Members<'a> {
    type Item = Result<(&'a [u8], &'a [u8]), ThingError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let bad = Err(ThingError::Invalid(ThingField::Payload));
        let s = self.s;
        let mut i = skip_ws(s, self.i);
        if s.get(i) == Some(&b'}') {
            self.done = true;
            return self.comma.then_some(bad);
        }
        let mut step = || -> Option<(usize, &'a [u8], &'a [u8])> {
            if s.get(i) != Some(&b'"') {
                return None;
            }
            let kend = string_end(s, i)?;
            let key = s.get(i.checked_add(1)?..kend.checked_sub(1)?)?;
            i = skip_ws(s, kend);
            if s.get(i) != Some(&b':') {
                return None;
            }
            i = skip_ws(s, i.checked_add(1)?);
            let vend = value_end(s, i)?;
            let value = s.get(i..vend)?;
            let mut j = skip_ws(s, vend);
            match s.get(j)? {
                b',' => j = j.checked_add(1)?,
                b'}' => {}
                _ => return None,
            }
            Some((j, key, value))
        };
        match step() {
            Some((j, key, value)) => {
                self.comma = s.get(j.wrapping_sub(1)) == Some(&b',');
                self.i = j;
                Some(Ok((key, value)))
            }
            None => {
                self.done = true;
                Some(bad)
            }
        }
    }
}

/// The text between the quotes of a JSON string value, if `v` is one.
pub(crate) fn as_string(v: &[u8]) -> Option<&[u8]> {
    v.strip_prefix(b"\"")?.strip_suffix(b"\"")
}

/// A non-negative decimal integer, bare or quoted (the platform and Link SDK use both).
pub(crate) fn as_u64(v: &[u8]) -> Option<u64> {
    let d = as_string(v).unwrap_or(v);
    if d.is_empty() || d.len() > 20 {
        return None;
    }
    d.iter().try_fold(0u64, |acc, &b| {
        let digit = b.checked_sub(b'0').filter(|x| *x < 10)?;
        acc.checked_mul(10)?.checked_add(u64::from(digit))
    })
}

/// A decimal integer, optionally negative, bare or quoted.
pub(crate) fn as_i64(v: &[u8]) -> Option<i64> {
    let d = as_string(v).unwrap_or(v);
    let (neg, digits) = match d.strip_prefix(b"-") {
        Some(rest) => (true, rest),
        None => (false, d),
    };
    let magnitude = i64::try_from(as_u64(digits)?).ok()?;
    Some(if neg {
        magnitude.checked_neg()?
    } else {
        magnitude
    })
}

fn required_u64(m: &Members<'_>, field: ThingField) -> Result<u64, ThingError> {
    let v = m.get(field.name()).ok_or(ThingError::Missing(field))?;
    as_u64(v).ok_or(ThingError::Invalid(field))
}

fn params_of<'a>(m: &Members<'a>) -> Result<RawJson<'a>, ThingError> {
    let v = m
        .get("params")
        .ok_or(ThingError::Missing(ThingField::Params))?;
    let text = core::str::from_utf8(v).map_err(|_| ThingError::Invalid(ThingField::Params))?;
    if !v.starts_with(b"{") {
        return Err(ThingError::Invalid(ThingField::Params));
    }
    Ok(RawJson(text))
}

// ---------------------------------------------------------------------------------------
// Downlink

/// JSON borrowed from a downlink payload: an object such as `params` of a property set, or
/// one property's value of a [`DesiredReply`]; brackets paired and nesting bounded. Parse
/// it with [`RawJson::parse`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct RawJson<'a>(pub(crate) &'a str);

impl<'a> RawJson<'a> {
    /// The JSON text, as it appears in the payload.
    ///
    /// ```
    /// use atmodem::aliyun::thing::{Device, Downlink, classify};
    /// let dev = Device::new("a1FlqIQabcd", "device1")?;
    /// let msg = classify(&dev, b"/sys/a1FlqIQabcd/device1/thing/service/property/set",
    ///     br#"{"id":"123","version":"1.0","params":{"temperature":"30.5"}}"#)?;
    /// let Downlink::PropertySet { params, .. } = msg else { panic!() };
    /// assert_eq!(params.as_str(), r#"{"temperature":"30.5"}"#);
    /// # Ok::<(), atmodem::aliyun::thing::ThingError>(())
    /// ```
    #[must_use]
    pub const fn as_str(&self) -> &'a str {
        self.0
    }

    /// Parse the object into the application's own type with `serde-json-core` (its
    /// nesting was bounded by [`MAX_DOWNLINK_DEPTH`] when the payload was classified). A
    /// value that does not fit `T` is [`ThingError::Invalid`] on [`ThingField::Params`].
    ///
    /// ```
    /// use atmodem::aliyun::thing::{Device, Downlink, classify};
    /// #[derive(serde::Deserialize)]
    /// struct Light { #[serde(rename = "LightSwitch")] on: u8 }
    /// let dev = Device::new("a1FlqIQabcd", "device1")?;
    /// let msg = classify(&dev, b"/sys/a1FlqIQabcd/device1/thing/service/property/set",
    ///     br#"{"id":5,"params":{"LightSwitch":1}}"#)?;
    /// let Downlink::PropertySet { id, params } = msg else { panic!() };
    /// assert_eq!(id, 5);
    /// assert_eq!(params.parse::<Light>()?.on, 1);
    /// # Ok::<(), atmodem::aliyun::thing::ThingError>(())
    /// ```
    pub fn parse<T: Deserialize<'a>>(&self) -> Result<T, ThingError> {
        if !within_depth(self.0.as_bytes(), MAX_DOWNLINK_DEPTH) {
            return Err(ThingError::TooDeep);
        }
        serde_json_core::from_str::<T>(self.0)
            .map(|(v, _)| v)
            .map_err(|_| ThingError::Invalid(ThingField::Params))
    }
}

/// A reply of the platform to a post (`…/post_reply`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct PostReply<'a> {
    /// The id of the post this answers.
    pub id: u64,
    /// 200 on success (see the codes table of the platform, e.g. 460 parameter error).
    pub code: i64,
    /// `message` as between its quotes (`success`), empty when absent; escapes not decoded.
    pub message: &'a str,
}

/// The platform's answer to a desired-properties get (`…/thing/property/desired/get_reply`):
/// `{"id":…,"code":…,"data":{…},"message":…}`, `data` holding one member per property.
///
/// ```
/// use atmodem::aliyun::thing::{Device, Downlink, classify};
/// let dev = Device::new("a1FlqIQabcd", "device1")?;
/// let msg = classify(&dev, b"/sys/a1FlqIQabcd/device1/thing/property/desired/get_reply",
///     br#"{"id":"7","code":200,"data":{"LightSwitch":{"value":1,"version":3}}}"#)?;
/// let Downlink::DesiredGetReply(r) = msg else { panic!() };
/// assert_eq!((r.id, r.code), (7, 200));
/// assert_eq!(r.get("LightSwitch").map(|v| v.as_str()), Some(r#"{"value":1,"version":3}"#));
/// assert_eq!(r.get("Color"), None);
/// # Ok::<(), atmodem::aliyun::thing::ThingError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct DesiredReply<'a> {
    /// The id of the get this answers.
    pub id: u64,
    /// 200 on success.
    pub code: i64,
    /// `message` as between its quotes, empty when absent; escapes not decoded.
    pub message: &'a str,
    /// The `data` object as it appears in the payload (`{}` when a failure reply has none).
    pub data: RawJson<'a>,
}

impl<'a> DesiredReply<'a> {
    /// Each property of `data` in payload order: its identifier (as between its quotes) and
    /// its value, unread (the platform's per-property object, parse it with
    /// [`RawJson::parse`]).
    ///
    /// ```
    /// use atmodem::aliyun::thing::{Device, Downlink, classify};
    /// let dev = Device::new("a1FlqIQabcd", "device1")?;
    /// let msg = classify(&dev, b"/sys/a1FlqIQabcd/device1/thing/property/desired/get_reply",
    ///     br#"{"id":"7","code":200,"data":{"A":{"value":1},"B":{}}}"#)?;
    /// let Downlink::DesiredGetReply(r) = msg else { panic!() };
    /// let names: Vec<&str> = r.properties().map(|(name, _)| name).collect();
    /// assert_eq!(names, ["A", "B"]);
    /// # Ok::<(), atmodem::aliyun::thing::ThingError>(())
    /// ```
    pub fn properties(&self) -> impl Iterator<Item = (&'a str, RawJson<'a>)> + 'a {
        Members::new(self.data.0.as_bytes())
            .into_iter()
            .flatten()
            .filter_map(|m| {
                let (k, v) = m.ok()?;
                Some((
                    core::str::from_utf8(k).ok()?,
                    RawJson(core::str::from_utf8(v).ok()?),
                ))
            })
    }

    /// The value of property `identifier`, `None` when `data` does not hold it.
    ///
    /// ```
    /// use atmodem::aliyun::thing::{Device, Downlink, classify};
    /// let dev = Device::new("a1FlqIQabcd", "device1")?;
    /// let msg = classify(&dev, b"/sys/a1FlqIQabcd/device1/thing/property/desired/get_reply",
    ///     br#"{"id":"7","code":200,"data":{}}"#)?;
    /// let Downlink::DesiredGetReply(r) = msg else { panic!() };
    /// assert!(r.get("LightSwitch").is_none());
    /// # Ok::<(), atmodem::aliyun::thing::ThingError>(())
    /// ```
    #[must_use]
    pub fn get(&self, identifier: &str) -> Option<RawJson<'a>> {
        self.properties()
            .find(|(k, _)| *k == identifier)
            .map(|(_, v)| v)
    }
}

/// A message the platform sent to the device, by topic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Downlink<'a> {
    /// `…/thing/event/{event}/post_reply`; `event` is `property` for a property post.
    PostReply {
        /// The event identifier of the topic (`property` for properties).
        event: &'a str,
        /// The reply.
        reply: PostReply<'a>,
    },
    /// `…/thing/service/property/set`: answer with [`write_reply`] on
    /// [`Topic::PropertySetReply`].
    PropertySet {
        /// Request id, to echo in the reply.
        id: u64,
        /// The properties to set.
        params: RawJson<'a>,
    },
    /// `…/thing/service/{identifier}`: answer with [`write_reply`] on
    /// [`Topic::ServiceReply`].
    ServiceCall {
        /// The service identifier.
        identifier: &'a str,
        /// Request id, to echo in the reply.
        id: u64,
        /// The input parameters.
        params: RawJson<'a>,
    },
    /// `…/rrpc/request/{messageId}`: answer on [`Topic::RrpcResponse`] with the same
    /// `messageId`, QoS 0, within 7 s.
    Rrpc {
        /// The `messageId` topic level.
        message_id: &'a str,
        /// The opaque request payload.
        payload: &'a [u8],
    },
    /// `/ext/rrpc/{messageId}{topic}`, `topic` being a topic of this device
    /// (`/{pk}/{dn}/…` or `/sys/{pk}/{dn}/…`): a synchronous call on a custom topic. Answer on
    /// the same topic ([`Device::response_topic`]), QoS 0, within 7 s. For a TSL service
    /// called synchronously (`topic` = `/sys/{pk}/{dn}/thing/service/{identifier}`) the
    /// payload is an Alink request: `classify(device, topic, payload)` reads it as a
    /// [`Downlink::ServiceCall`], answered with [`write_reply`]. As the response goes out on
    /// the request's topic, a broker that hands a client its own publishes (as MQTT 3.1.1
    /// allows) delivers the response back too: skip a `message_id` already answered.
    ExtRrpc {
        /// The `messageId` topic level.
        message_id: &'a str,
        /// The custom topic, leading `/` included.
        topic: &'a str,
        /// The request payload, unread.
        payload: &'a [u8],
    },
    /// `…/thing/property/desired/get_reply`: the desired values asked for with
    /// [`write_desired_get`].
    DesiredGetReply(DesiredReply<'a>),
    /// `…/thing/property/desired/delete_reply`: the answer to [`write_desired_delete`].
    DesiredDeleteReply(PostReply<'a>),
    /// `/ext/ntp/{pk}/{dn}/response`.
    NtpResponse(super::ntp::NtpResponse),
    /// `/ota/device/upgrade/{pk}/{dn}`: a package to install (see [`super::ota`]).
    OtaUpgrade(super::ota::UpgradeNotice<'a>),
    /// `/sys/{pk}/{dn}/thing/ota/firmware/get_reply`: the answer to an OTA firmware get,
    /// with or without a package.
    OtaFirmwareGetReply(super::ota::FirmwareGetReply<'a>),
    /// A topic of another device or one not handled here.
    Unknown,
}

/// Sort one incoming PUBLISH of `device` into a [`Downlink`].
///
/// Topics are compared level by level (so `…/thing/service/property/set` is a property
/// set, never a service named `property`); a topic of another device, or one not listed in
/// [`Downlink`], is `Ok(Downlink::Unknown)` without reading the payload. An
/// `/ext/rrpc/{messageId}{topic}` topic is this device's when the first levels of `topic`
/// are `{pk}/{dn}` or `sys/{pk}/{dn}`; its payload is not read, a bad `messageId` or
/// `topic` is [`ThingError::Invalid`] naming it. `…/service/x_reply`
/// (an uplink reply seen back) is also `Unknown`. JSON payloads that are too long
/// ([`ThingError::TooLarge`]), too deep ([`ThingError::TooDeep`]), not one object or lack
/// a field ([`ThingError::Missing`] / [`ThingError::Invalid`] naming it) are errors; it never
/// panics. The OTA push and firmware-get reply are read by
/// [`UpgradeNotice::parse`](super::ota::UpgradeNotice::parse) and
/// [`FirmwareGetReply::parse`](super::ota::FirmwareGetReply::parse), their errors wrapped
/// in [`ThingError::Ota`].
///
/// ```
/// use atmodem::aliyun::thing::{Device, Downlink, PostReply, ThingError, ThingField, classify};
/// let dev = Device::new("a1FlqIQabcd", "device1")?;
/// let r = classify(&dev, b"/sys/a1FlqIQabcd/device1/thing/event/property/post_reply",
///     br#"{"code":200,"data":{},"id":"123","message":"success","method":"thing.event.property.post","version":"1.0"}"#)?;
/// assert_eq!(r, Downlink::PostReply {
///     event: "property",
///     reply: PostReply { id: 123, code: 200, message: "success" },
/// });
/// assert_eq!(
///     classify(&dev, b"/sys/a1FlqIQabcd/device1/thing/service/Reboot", br#"{"params":{}}"#),
///     Err(ThingError::Missing(ThingField::Id))
/// );
/// assert_eq!(classify(&dev, b"/sys/a1FlqIQother/device1/thing/service/Reboot", b"")?, Downlink::Unknown);
/// # Ok::<(), ThingError>(())
/// ```
pub fn classify<'a>(
    device: &Device<'_>,
    topic: &'a [u8],
    payload: &'a [u8],
) -> Result<Downlink<'a>, ThingError> {
    let Ok(topic) = core::str::from_utf8(topic) else {
        return Ok(Downlink::Unknown);
    };
    if let Some(rest) = topic.strip_prefix("/ext/rrpc/") {
        return classify_ext_rrpc(device, rest, payload);
    }
    let mut levels = [""; 9];
    let mut n = 0usize;
    for level in topic.split('/') {
        let Some(slot) = levels.get_mut(n) else {
            return Ok(Downlink::Unknown);
        };
        *slot = level;
        n = n.saturating_add(1);
    }
    let levels = levels.get(..n).unwrap_or(&[]);
    let (pk, dn) = (device.product_key, device.device_name);
    match *levels {
        ["", "sys", p, d, "thing", "event", event, "post_reply"]
            if p == pk && d == dn && check_identifier(event).is_ok() =>
        {
            let reply = reply_of(&Members::new(payload)?)?;
            Ok(Downlink::PostReply { event, reply })
        }
        ["", "sys", p, d, "thing", "property", "desired", "get_reply"] if p == pk && d == dn => {
            let m = Members::new(payload)?;
            let reply = reply_of(&m)?;
            let data = match m.get("data") {
                Some(v) if v.starts_with(b"{") => {
                    core::str::from_utf8(v).map_err(|_| ThingError::Invalid(ThingField::Data))?
                }
                Some(_) => return Err(ThingError::Invalid(ThingField::Data)),
                None if reply.code == 200 => return Err(ThingError::Missing(ThingField::Data)),
                None => "{}",
            };
            // Every member of `data` is read once here, so `DesiredReply` never meets an error.
            let members =
                Members::new(data.as_bytes()).map_err(|_| ThingError::Invalid(ThingField::Data))?;
            for member in members {
                let (key, _) = member.map_err(|_| ThingError::Invalid(ThingField::Data))?;
                core::str::from_utf8(key).map_err(|_| ThingError::Invalid(ThingField::Data))?;
            }
            Ok(Downlink::DesiredGetReply(DesiredReply {
                id: reply.id,
                code: reply.code,
                message: reply.message,
                data: RawJson(data),
            }))
        }
        [
            "",
            "sys",
            p,
            d,
            "thing",
            "property",
            "desired",
            "delete_reply",
        ] if p == pk && d == dn => Ok(Downlink::DesiredDeleteReply(reply_of(&Members::new(
            payload,
        )?)?)),
        ["", "sys", p, d, "thing", "service", "property", "set"] if p == pk && d == dn => {
            let m = Members::new(payload)?;
            let id = required_u64(&m, ThingField::Id)?;
            let params = params_of(&m)?;
            Ok(Downlink::PropertySet { id, params })
        }
        ["", "sys", p, d, "thing", "service", identifier]
            if p == pk
                && d == dn
                && check_identifier(identifier).is_ok()
                && !identifier.ends_with("_reply") =>
        {
            let m = Members::new(payload)?;
            let id = required_u64(&m, ThingField::Id)?;
            let params = params_of(&m)?;
            Ok(Downlink::ServiceCall {
                identifier,
                id,
                params,
            })
        }
        ["", "sys", p, d, "rrpc", "request", message_id] if p == pk && d == dn => {
            check_message_id(message_id)?;
            Ok(Downlink::Rrpc {
                message_id,
                payload,
            })
        }
        ["", "ext", "ntp", p, d, "response"] if p == pk && d == dn => Ok(Downlink::NtpResponse(
            super::ntp::NtpResponse::parse(payload)?,
        )),
        ["", "ota", "device", "upgrade", p, d] if p == pk && d == dn => Ok(Downlink::OtaUpgrade(
            super::ota::UpgradeNotice::parse(payload)?,
        )),
        ["", "sys", p, d, "thing", "ota", "firmware", "get_reply"] if p == pk && d == dn => Ok(
            Downlink::OtaFirmwareGetReply(super::ota::FirmwareGetReply::parse(payload)?),
        ),
        _ => Ok(Downlink::Unknown),
    }
}

/// `rest` is what follows `/ext/rrpc/`: `{messageId}{topic}`.
fn classify_ext_rrpc<'a>(
    device: &Device<'_>,
    rest: &'a str,
    payload: &'a [u8],
) -> Result<Downlink<'a>, ThingError> {
    let Some(slash) = rest.find('/') else {
        return Ok(Downlink::Unknown);
    };
    let Some((message_id, topic)) = rest.split_at_checked(slash) else {
        return Ok(Downlink::Unknown);
    };
    let mut levels = topic.split('/').skip(1);
    let owner = match (levels.next(), levels.next(), levels.next()) {
        (Some("sys"), p, d) => (p, d),
        (p, d, _) => (p, d),
    };
    if owner != (Some(device.product_key), Some(device.device_name)) {
        return Ok(Downlink::Unknown);
    }
    check_message_id(message_id)?;
    check_custom_topic(topic, false)?;
    Ok(Downlink::ExtRrpc {
        message_id,
        topic,
        payload,
    })
}

/// `id`, `code` and `message` of a platform reply.
fn reply_of<'a>(m: &Members<'a>) -> Result<PostReply<'a>, ThingError> {
    let id = required_u64(m, ThingField::Id)?;
    let code_text = m.get("code").ok_or(ThingError::Missing(ThingField::Code))?;
    let code = as_i64(code_text).ok_or(ThingError::Invalid(ThingField::Code))?;
    let message = match m.get("message") {
        None => "",
        Some(v) => as_string(v)
            .and_then(|t| core::str::from_utf8(t).ok())
            .ok_or(ThingError::Invalid(ThingField::Message))?,
    };
    Ok(PostReply { id, code, message })
}

// ---------------------------------------------------------------------------------------
// Uplink payloads

/// Whether a post asks the platform for a `_reply` (`sys.ack`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Ack {
    /// `"sys":{"ack":1}`: the platform answers on `…/post_reply`.
    Reply,
    /// `"sys":{"ack":0}`: no reply.
    NoReply,
}

impl Ack {
    const fn text(self) -> &'static str {
        match self {
            Self::Reply => "1",
            Self::NoReply => "0",
        }
    }
}

fn check_object(text: &str, field: ThingField) -> Result<(), ThingError> {
    if is_one_object(text, MAX_PARAMS_DEPTH) {
        Ok(())
    } else {
        Err(ThingError::Invalid(field))
    }
}

fn finish<const N: usize>(
    out: &mut String<N>,
    r: Result<(), ThingError>,
) -> Result<(), ThingError> {
    if r.is_err() {
        out.clear();
    }
    r
}

/// Write a property post into `out` (cleared first), in the documented Alink form:
/// `{"id":"<id>","version":"1.0","params":<params>,"sys":{"ack":<0|1>},"method":"thing.event.property.post"}`.
///
/// `params` must be exactly one JSON object nesting no deeper than [`MAX_PARAMS_DEPTH`]
/// (else [`ThingError::Invalid`] on [`ThingField::Params`]); a message longer than `N` is
/// [`ThingError::Capacity`] and leaves `out` empty.
///
/// ```
/// use atmodem::aliyun::thing::{Ack, write_property_post};
/// let mut out = heapless::String::<256>::new();
/// write_property_post(123, r#"{"Power":{"value":"on","time":1524448722000}}"#, Ack::NoReply, &mut out)?;
/// assert_eq!(out.as_str(), r#"{"id":"123","version":"1.0","params":{"Power":{"value":"on","time":1524448722000}},"sys":{"ack":0},"method":"thing.event.property.post"}"#);
/// # Ok::<(), atmodem::aliyun::thing::ThingError>(())
/// ```
pub fn write_property_post<const N: usize>(
    id: u32,
    params: &str,
    ack: Ack,
    out: &mut String<N>,
) -> Result<(), ThingError> {
    out.clear();
    check_object(params, ThingField::Params)?;
    let mut buf = [0u8; 20];
    let id = digits(u64::from(id), &mut buf);
    let r = put_all(
        out,
        &[
            "{\"id\":\"",
            id,
            "\",\"version\":\"1.0\",\"params\":",
            params,
            ",\"sys\":{\"ack\":",
            ack.text(),
            "},\"method\":\"thing.event.property.post\"}",
        ],
    );
    finish(out, r)
}

/// Write an event post into `out` (cleared first):
/// `{"id":"<id>","version":"1.0","params":{"value":<value>[,"time":<ms>]},"sys":{"ack":<0|1>},"method":"thing.event.<identifier>.post"}`,
/// published on [`Topic::EventPost`]. `value` (the event's output parameters) must be one
/// JSON object; `time` is the event's UTC time in ms (the platform stamps the receive time
/// when it is `None`; at most 24 h in the future).
///
/// ```
/// use atmodem::aliyun::thing::{Ack, write_event_post};
/// let mut out = heapless::String::<256>::new();
/// write_event_post(7, "alarmEvent", r#"{"Power":"on","WF":"2"}"#, Some(1524448722000), Ack::Reply, &mut out)?;
/// assert_eq!(out.as_str(), r#"{"id":"7","version":"1.0","params":{"value":{"Power":"on","WF":"2"},"time":1524448722000},"sys":{"ack":1},"method":"thing.event.alarmEvent.post"}"#);
/// # Ok::<(), atmodem::aliyun::thing::ThingError>(())
/// ```
pub fn write_event_post<const N: usize>(
    id: u32,
    identifier: &str,
    value: &str,
    time_ms: Option<u64>,
    ack: Ack,
    out: &mut String<N>,
) -> Result<(), ThingError> {
    out.clear();
    check_identifier(identifier)?;
    check_object(value, ThingField::Params)?;
    let mut idb = [0u8; 20];
    let id = digits(u64::from(id), &mut idb);
    let mut tb = [0u8; 20];
    let time = time_ms.map(|t| digits(t, &mut tb));
    let r = (|| {
        put_all(
            out,
            &[
                "{\"id\":\"",
                id,
                "\",\"version\":\"1.0\",\"params\":{\"value\":",
                value,
            ],
        )?;
        if let Some(t) = time {
            put_all(out, &[",\"time\":", t])?;
        }
        put_all(
            out,
            &[
                "},\"sys\":{\"ack\":",
                ack.text(),
                "},\"method\":\"thing.event.",
                identifier,
                ".post\"}",
            ],
        )
    })();
    finish(out, r)
}

/// Write the device's reply to a property set or service call into `out` (cleared first):
/// `{"id":"<id>","code":<code>,"data":<data>}` (Link SDK C's form), `data` being one JSON
/// object (`{}` when there is nothing to return).
///
/// ```
/// use atmodem::aliyun::thing::write_reply;
/// let mut out = heapless::String::<64>::new();
/// write_reply(123, 200, "{}", &mut out)?;
/// assert_eq!(out.as_str(), r#"{"id":"123","code":200,"data":{}}"#);
/// assert!(write_reply(123, 200, "", &mut out).is_err());
/// # Ok::<(), atmodem::aliyun::thing::ThingError>(())
/// ```
pub fn write_reply<const N: usize>(
    id: u64,
    code: u32,
    data: &str,
    out: &mut String<N>,
) -> Result<(), ThingError> {
    out.clear();
    check_object(data, ThingField::Data)?;
    let mut idb = [0u8; 20];
    let id = digits(id, &mut idb);
    let mut cb = [0u8; 20];
    let code = digits(u64::from(code), &mut cb);
    let r = put_all(
        out,
        &[
            "{\"id\":\"",
            id,
            "\",\"code\":",
            code,
            ",\"data\":",
            data,
            "}",
        ],
    );
    finish(out, r)
}

/// Write a desired-properties get into `out` (cleared first), published on
/// [`Topic::DesiredGet`]:
/// `{"id":"<id>","version":"1.0","params":["<identifier>",…],"method":"thing.property.desired.get"}`.
/// The answer comes on `…/desired/get_reply` as [`Downlink::DesiredGetReply`].
///
/// No identifier, or one that is not a TSL identifier, is [`ThingError::Invalid`] on
/// [`ThingField::Params`] / [`ThingField::Identifier`]; a message longer than `N` is
/// [`ThingError::Capacity`] and leaves `out` empty.
///
/// ```
/// use atmodem::aliyun::thing::write_desired_get;
/// let mut out = heapless::String::<128>::new();
/// write_desired_get(9, &["LightSwitch", "Color"], &mut out)?;
/// assert_eq!(out.as_str(), r#"{"id":"9","version":"1.0","params":["LightSwitch","Color"],"method":"thing.property.desired.get"}"#);
/// assert!(write_desired_get(9, &[], &mut out).is_err());
/// # Ok::<(), atmodem::aliyun::thing::ThingError>(())
/// ```
pub fn write_desired_get<const N: usize>(
    id: u32,
    identifiers: &[&str],
    out: &mut String<N>,
) -> Result<(), ThingError> {
    out.clear();
    if identifiers.is_empty() {
        return Err(ThingError::Invalid(ThingField::Params));
    }
    identifiers.iter().try_for_each(|i| check_identifier(i))?;
    let mut idb = [0u8; 20];
    let id = digits(u64::from(id), &mut idb);
    let r = (|| {
        put_all(
            out,
            &["{\"id\":\"", id, "\",\"version\":\"1.0\",\"params\":["],
        )?;
        for (n, identifier) in identifiers.iter().enumerate() {
            put_all(out, &[if n == 0 { "\"" } else { ",\"" }, identifier, "\""])?;
        }
        out.put("],\"method\":\"thing.property.desired.get\"}")
    })();
    finish(out, r)
}

/// Write a desired-properties delete into `out` (cleared first), published on
/// [`Topic::DesiredDelete`]: each `(identifier, version)` becomes
/// `"<identifier>":{"version":<version>}`, or `"<identifier>":{}` without a version:
/// `{"id":"<id>","version":"1.0","params":{…},"method":"thing.property.desired.delete"}`.
/// The answer comes on `…/desired/delete_reply` as [`Downlink::DesiredDeleteReply`].
///
/// Errors as for [`write_desired_get`].
///
/// ```
/// use atmodem::aliyun::thing::write_desired_delete;
/// let mut out = heapless::String::<160>::new();
/// write_desired_delete(10, &[("LightSwitch", Some(1)), ("Color", None)], &mut out)?;
/// assert_eq!(out.as_str(), r#"{"id":"10","version":"1.0","params":{"LightSwitch":{"version":1},"Color":{}},"method":"thing.property.desired.delete"}"#);
/// # Ok::<(), atmodem::aliyun::thing::ThingError>(())
/// ```
pub fn write_desired_delete<const N: usize>(
    id: u32,
    properties: &[(&str, Option<u32>)],
    out: &mut String<N>,
) -> Result<(), ThingError> {
    out.clear();
    if properties.is_empty() {
        return Err(ThingError::Invalid(ThingField::Params));
    }
    properties
        .iter()
        .try_for_each(|(i, _)| check_identifier(i))?;
    let mut idb = [0u8; 20];
    let id = digits(u64::from(id), &mut idb);
    let r = (|| {
        put_all(
            out,
            &["{\"id\":\"", id, "\",\"version\":\"1.0\",\"params\":{"],
        )?;
        for (n, (identifier, version)) in properties.iter().enumerate() {
            put_all(
                out,
                &[if n == 0 { "\"" } else { ",\"" }, identifier, "\":{"],
            )?;
            if let Some(v) = version {
                let mut vb = [0u8; 20];
                put_all(out, &["\"version\":", digits(u64::from(*v), &mut vb)])?;
            }
            out.put("}")?;
        }
        out.put("},\"method\":\"thing.property.desired.delete\"}")
    })();
    finish(out, r)
}

// ---------------------------------------------------------------------------------------
// Pending posts

/// What became of a post registered in a [`Pending`] table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Outcome {
    /// The platform answered with code 200.
    Accepted(u32),
    /// The platform answered with another code.
    Refused {
        /// The post's id.
        id: u32,
        /// The platform's code.
        code: i64,
    },
    /// No reply within the timeout given at registration.
    TimedOut(u32),
}

/// Ids of the posts awaiting a reply, at most `N` at once.
///
/// Ids come from a per-session counter, 1, 2, 3 … up to 4294967295 then 1 again (the
/// platform's range, "unique per device per day"), skipping any id still pending, so an id
/// is never reused while its reply may still arrive. Time is any monotonic millisecond clock
/// the caller reads (uptime is fine). After a module reboot or a reconnect, replies to
/// earlier posts may never come: they surface as [`Outcome::TimedOut`] from
/// [`Pending::expire`]; [`Pending::clear`] forgets them at once.
///
/// ```
/// use atmodem::aliyun::thing::{Outcome, Pending, PostReply};
/// let mut table = Pending::<4>::new();
/// let a = table.register(1_000, 5_000).ok_or("full")?;
/// let b = table.register(1_000, 5_000).ok_or("full")?;
/// assert_eq!((a, b), (1, 2));
/// let reply = PostReply { id: 2, code: 200, message: "success" };
/// assert_eq!(table.complete(&reply), Some(Outcome::Accepted(2)));
/// assert_eq!(table.complete(&reply), None); // already answered
/// assert_eq!(table.expire(5_999), None);
/// assert_eq!(table.expire(6_000), Some(Outcome::TimedOut(1)));
/// assert!(table.is_empty());
/// # Ok::<(), &str>(())
/// ```
#[derive(Clone, Debug)]
pub struct Pending<const N: usize> {
    last: u32,
    slots: [Option<(u32, u64)>; N],
}

impl<const N: usize> Default for Pending<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> Pending<N> {
    /// An empty table whose first id will be 1.
    ///
    /// ```
    /// assert!(atmodem::aliyun::thing::Pending::<2>::new().is_empty());
    /// ```
    #[must_use]
    pub const fn new() -> Self {
        Self {
            last: 0,
            slots: [None; N],
        }
    }

    fn is_pending(&self, id: u32) -> bool {
        self.slots.iter().flatten().any(|&(p, _)| p == id)
    }

    /// Take the next free id for a post sent at `now_ms`, expiring at
    /// `now_ms + timeout_ms`; `None` when `N` posts are already pending (call
    /// [`Pending::expire`] first).
    ///
    /// ```
    /// let mut t = atmodem::aliyun::thing::Pending::<1>::new();
    /// assert_eq!(t.register(0, 10), Some(1));
    /// assert_eq!(t.register(0, 10), None);
    /// ```
    pub fn register(&mut self, now_ms: u64, timeout_ms: u64) -> Option<u32> {
        let slot_index = self.slots.iter().position(Option::is_none)?;
        let mut id = self.last;
        loop {
            id = id.checked_add(1).unwrap_or(1);
            if !self.is_pending(id) {
                break;
            }
        }
        let slot = self.slots.get_mut(slot_index)?;
        *slot = Some((id, now_ms.saturating_add(timeout_ms)));
        self.last = id;
        Some(id)
    }

    /// Match a reply: the outcome of the pending post with its id (which leaves the
    /// table), or `None` for a reply to no pending post (late, duplicate or foreign).
    ///
    /// ```
    /// use atmodem::aliyun::thing::{Outcome, Pending, PostReply};
    /// let mut t = Pending::<2>::new();
    /// let id = t.register(0, 10).unwrap_or_default();
    /// let r = PostReply { id: u64::from(id), code: 460, message: "request parameter error" };
    /// assert_eq!(t.complete(&r), Some(Outcome::Refused { id, code: 460 }));
    /// ```
    pub fn complete(&mut self, reply: &PostReply<'_>) -> Option<Outcome> {
        let id = u32::try_from(reply.id).ok()?;
        let slot = self
            .slots
            .iter_mut()
            .find(|s| s.is_some_and(|(p, _)| p == id))?;
        *slot = None;
        Some(if reply.code == 200 {
            Outcome::Accepted(id)
        } else {
            Outcome::Refused {
                id,
                code: reply.code,
            }
        })
    }

    /// One post whose deadline is at or before `now_ms`, removed from the table, as
    /// [`Outcome::TimedOut`]; call until it returns `None`.
    ///
    /// ```
    /// let mut t = atmodem::aliyun::thing::Pending::<2>::new();
    /// t.register(0, 10);
    /// assert_eq!(t.expire(9), None);
    /// assert!(t.expire(10).is_some());
    /// ```
    pub fn expire(&mut self, now_ms: u64) -> Option<Outcome> {
        let slot = self
            .slots
            .iter_mut()
            .find(|s| s.is_some_and(|(_, deadline)| deadline <= now_ms))?;
        let (id, _) = slot.take()?;
        Some(Outcome::TimedOut(id))
    }

    /// Whether no post is pending.
    ///
    /// ```
    /// assert!(atmodem::aliyun::thing::Pending::<2>::default().is_empty());
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.slots.iter().all(Option::is_none)
    }

    /// Forget every pending post (the counter goes on, so new ids still differ from them).
    ///
    /// ```
    /// let mut t = atmodem::aliyun::thing::Pending::<2>::new();
    /// t.register(0, 10);
    /// t.clear();
    /// assert!(t.is_empty());
    /// assert_eq!(t.register(0, 10), Some(2));
    /// ```
    pub fn clear(&mut self) {
        self.slots = [None; N];
    }
}

#[cfg(test)]
mod tests {
    use super::Pending;

    #[test]
    fn ids_wrap_past_u32_max_to_1_and_skip_posts_still_pending() {
        let mut t = Pending::<3> {
            last: u32::MAX - 1,
            slots: [None; 3],
        };
        assert_eq!(t.register(0, 10), Some(u32::MAX));
        // 0 is never an id: after u32::MAX comes 1.
        assert_eq!(t.register(0, 10), Some(1));
        // With 2 still pending, the next round skips it.
        t.last = 1;
        assert!(t.is_pending(1));
        t.slots[1] = None; // 1 answered
        t.slots[2] = Some((2, 10)); // 2 still in flight
        assert_eq!(t.register(0, 10), Some(3));
        t.last = u32::MAX;
        t.slots = [Some((1, 10)), Some((2, 10)), None];
        assert_eq!(t.register(0, 10), Some(3));
    }
}
