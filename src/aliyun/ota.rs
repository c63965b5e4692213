//! OTA firmware update: the payloads, the upgrade notice, image verification, a flash sink
//! and a resumable download plan, without I/O; and the HTTPS download over a modem.
//!
//! The topics are [`Topic`]s of the device
//! (`OtaInform`, `OtaProgress`, `OtaFirmwareGet` up; `OtaUpgrade`, `OtaFirmwareGetReply`
//! down), and the two downlink ones are in [`DOWNLINK_FILTERS`](super::thing::DOWNLINK_FILTERS),
//! so [`classify`](super::thing::classify) hands an upgrade push over as
//! [`Downlink::OtaUpgrade`](super::thing::Downlink::OtaUpgrade).
//!
//! A full upgrade, as Link SDK C 4.x runs it:
//!
//! 1. at boot (and first thing after an upgrade) report the running version with
//!    [`write_version_inform`] on `/ota/device/inform/{pk}/{dn}` — the platform judges an
//!    upgrade successful by this report;
//! 2. on a push (or a [`write_firmware_get`] reply) read the [`Firmware`]; make a
//!    [`DownloadPlan`] for it, which refuses an image larger than the sink before anything is
//!    downloaded, a [`Verifier`], and erase the [`FirmwareSink`];
//! 3. fetch [`DownloadPlan::next_range`] (HTTP `Range: bytes=<offset>-<end>`); only once a
//!    chunk has arrived whole, write it to the sink, feed it to the verifier and
//!    [`DownloadPlan::accept`] it; a chunk lost halfway is [`DownloadPlan::fail`]ed and
//!    fetched again whole from the last accepted offset, so no byte is hashed twice;
//! 4. report [`Step::Percent`] with [`write_progress`] now and then, then
//!    [`FirmwareSink::finish`] and [`Verifier::finish`]; on a mismatch report
//!    [`Step::VerifyFailed`] (`-3`).
//!
//! [`Download`] keeps steps 2 to 4 in order over any [`FirmwareSink`], without I/O;
//! [`download`] runs steps 3 and 4 over a modem's [`Http`] (ranged GETs) and [`Mqtt`]
//! (progress reports) capabilities and resumes after a link loss or a module reboot. An
//! MQTT-served package ([`Source::Mqtt`]) stays the caller's.
//!
//! ```
//! use atmodem::aliyun::ota::{DownloadPlan, UpgradeNotice, Verifier};
//! // The image is the 3 bytes "abc"; python3 -c "import hashlib;print(hashlib.md5(b'abc').hexdigest())"
//! // prints 900150983cd24fb0d6963f7d28e17f72.
//! let push = br#"{"code":"1000","data":{"size":3,"version":"2.0.0","url":"https://x/a.bin","sign":"900150983CD24FB0D6963F7D28E17F72","signMethod":"Md5"},"id":1,"message":"success"}"#;
//! let fw = UpgradeNotice::parse(push)?.firmware;
//! let mut plan = DownloadPlan::new(fw.size, 2, 4096, 3)?;
//! let mut check = Verifier::for_firmware(&fw)?;
//! let image = b"abc";
//! while let Some(r) = plan.next_range() {
//!     let chunk = &image[r.offset as usize..r.end() as usize]; // fetched, written to flash
//!     check.update(r.offset, chunk)?;
//!     plan.accept(r)?;
//! }
//! assert_eq!(plan.percent(), 100);
//! check.finish()?;
//! # Ok::<(), Box<dyn core::error::Error>>(())
//! ```

use super::thing::{
    Device, Members, Out, RawJson, SliceOut, ThingError, ThingTopic, Topic, as_i64, as_string,
    as_u64, digits, put_all,
};
use crate::client::{Error as ModemError, Http, HttpTiming, Mqtt, Session};

// ---------------------------------------------------------------------------------------
// Errors

/// A field of an OTA message, named as the platform spells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum OtaField {
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
    /// `data.size`
    Size,
    /// `data.version` (or the version reported)
    Version,
    /// `data.url`
    Url,
    /// `data.module` (or the module reported)
    Module,
    /// `data.sign`
    Sign,
    /// `data.signMethod`
    SignMethod,
    /// `data.md5`
    Md5,
    /// `data.digestsign`
    DigestSign,
    /// `data.isDiff`
    IsDiff,
    /// `data.extData`
    ExtData,
    /// `data.dProtocol`
    DProtocol,
    /// `data.streamId`
    StreamId,
    /// `data.streamFileId`
    StreamFileId,
    /// `params.step` of a progress report
    Step,
    /// `params.desc` of a progress report
    Desc,
}

impl OtaField {
    /// The field's name as Aliyun writes it.
    ///
    /// ```
    /// assert_eq!(atmodem::aliyun::ota::OtaField::SignMethod.name(), "signMethod");
    /// ```
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Payload => "payload",
            Self::Id => "id",
            Self::Code => "code",
            Self::Message => "message",
            Self::Data => "data",
            Self::Size => "size",
            Self::Version => "version",
            Self::Url => "url",
            Self::Module => "module",
            Self::Sign => "sign",
            Self::SignMethod => "signMethod",
            Self::Md5 => "md5",
            Self::DigestSign => "digestsign",
            Self::IsDiff => "isDiff",
            Self::ExtData => "extData",
            Self::DProtocol => "dProtocol",
            Self::StreamId => "streamId",
            Self::StreamFileId => "streamFileId",
            Self::Step => "step",
            Self::Desc => "desc",
        }
    }
}

impl core::fmt::Display for OtaField {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

/// Why an OTA message could not be read or written.
///
/// `code` is the message's own `code` when it had one that reads as an integer (`"1000"`
/// on a push, `200` on a firmware-get reply), so a refusal of the platform stays visible.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum OtaError {
    /// A required field is absent.
    #[error("OTA message lacks {field}")]
    Missing {
        /// The field.
        field: OtaField,
        /// The message's `code`, if any.
        code: Option<i64>,
    },
    /// A field is present but not of the expected form (or the payload is not one JSON
    /// object, [`OtaField::Payload`]).
    #[error("OTA message has an invalid {field}")]
    Invalid {
        /// The field.
        field: OtaField,
        /// The message's `code`, if any.
        code: Option<i64>,
    },
    /// `signMethod` names neither MD5 nor SHA-256.
    #[error("unknown OTA signMethod")]
    UnknownSignMethod {
        /// The message's `code`, if any.
        code: Option<i64>,
    },
    /// The payload nests deeper than [`MAX_DOWNLINK_DEPTH`](super::thing::MAX_DOWNLINK_DEPTH).
    #[error("OTA message nests too deep")]
    TooDeep,
    /// The payload is longer than [`MAX_DOWNLINK_LEN`](super::thing::MAX_DOWNLINK_LEN).
    #[error("OTA message is too large")]
    TooLarge,
    /// The output does not fit the caller's buffer.
    #[error("output does not fit its buffer")]
    Capacity,
}

const fn missing(field: OtaField, code: Option<i64>) -> OtaError {
    OtaError::Missing { field, code }
}

const fn invalid(field: OtaField, code: Option<i64>) -> OtaError {
    OtaError::Invalid { field, code }
}

// ---------------------------------------------------------------------------------------
// Uplink payloads

/// A step of a progress report (`params.step`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Step {
    /// Download progress, 0 to 100 percent (more is [`OtaError::Invalid`] on
    /// [`OtaField::Step`] when written).
    Percent(u8),
    /// `-1`: the upgrade failed.
    UpgradeFailed,
    /// `-2`: the download failed.
    DownloadFailed,
    /// `-3`: the image does not match its digest.
    VerifyFailed,
    /// `-4`: writing the image to flash failed.
    FlashFailed,
}

impl Step {
    /// The step as the platform numbers it: the percent, or `-1` to `-4`.
    ///
    /// ```
    /// use atmodem::aliyun::ota::Step;
    /// assert_eq!(Step::VerifyFailed.code(), -3);
    /// assert_eq!(Step::Percent(42).code(), 42);
    /// ```
    #[must_use]
    pub fn code(self) -> i16 {
        match self {
            Self::Percent(p) => i16::from(p),
            Self::UpgradeFailed => -1,
            Self::DownloadFailed => -2,
            Self::VerifyFailed => -3,
            Self::FlashFailed => -4,
        }
    }
}

/// A version or module name as reported: not empty, no control characters (the text is
/// JSON-escaped when written).
fn check_text(s: &str, field: OtaField) -> Result<(), OtaError> {
    if s.is_empty() || s.chars().any(char::is_control) {
        Err(invalid(field, None))
    } else {
        Ok(())
    }
}

fn capacity(_: ThingError) -> OtaError {
    OtaError::Capacity
}

/// Runs `body` on `buf` and returns the text written.
fn write_with(
    buf: &mut [u8],
    body: impl FnOnce(&mut SliceOut<'_>) -> Result<(), ThingError>,
) -> Result<&str, OtaError> {
    let mut out = SliceOut::new(buf);
    body(&mut out).map_err(capacity)?;
    out.into_str().map_err(capacity)
}

/// Write the version report `{"id":"<id>","params":{"version":"<version>"[,"module":"<module>"]}}`
/// into `buf`, returning the text; publish it on
/// [`Topic::OtaInform`], at boot and first thing after an
/// upgrade. `module` is `None` for the `default` module (the whole device's firmware); report
/// several modules as several messages.
///
/// `version` and `module` are JSON-escaped; an empty one, or one with a control character,
/// is [`OtaError::Invalid`] naming it. A report longer than `buf` is [`OtaError::Capacity`].
///
/// ```
/// use atmodem::aliyun::ota::write_version_inform;
/// let mut buf = [0u8; 96];
/// assert_eq!(
///     write_version_inform(123, "1.0.1", Some("MCU"), &mut buf)?,
///     r#"{"id":"123","params":{"version":"1.0.1","module":"MCU"}}"#
/// );
/// assert!(write_version_inform(1, "", None, &mut buf).is_err());
/// # Ok::<(), atmodem::aliyun::ota::OtaError>(())
/// ```
pub fn write_version_inform<'b>(
    id: u64,
    version: &str,
    module: Option<&str>,
    buf: &'b mut [u8],
) -> Result<&'b str, OtaError> {
    check_text(version, OtaField::Version)?;
    if let Some(m) = module {
        check_text(m, OtaField::Module)?;
    }
    let mut idb = [0u8; 20];
    let id = digits(id, &mut idb);
    write_with(buf, |out| {
        put_all(out, &["{\"id\":\"", id, "\",\"params\":{\"version\":"])?;
        out.put_json_string(version)?;
        if let Some(m) = module {
            out.put(",\"module\":")?;
            out.put_json_string(m)?;
        }
        out.put("}}")
    })
}

/// Write a progress report `{"id":"<id>","params":{"step":"<step>","desc":"<desc>"[,"module":"<module>"]}}`
/// into `buf`, returning the text; publish it on
/// [`Topic::OtaProgress`]. `step` is a quoted integer,
/// as the platform documents it and both Link SDKs send it. `desc` is free text (may be
/// empty), JSON-escaped.
///
/// A [`Step::Percent`] over 100 is [`OtaError::Invalid`] on [`OtaField::Step`]; a bad
/// `module` as in [`write_version_inform`]; a report longer than `buf` is
/// [`OtaError::Capacity`].
///
/// ```
/// use atmodem::aliyun::ota::{Step, write_progress};
/// let mut buf = [0u8; 128];
/// assert_eq!(
///     write_progress(7, Step::DownloadFailed, "link lost", None, &mut buf)?,
///     r#"{"id":"7","params":{"step":"-2","desc":"link lost"}}"#
/// );
/// assert!(write_progress(7, Step::Percent(101), "", None, &mut buf).is_err());
/// # Ok::<(), atmodem::aliyun::ota::OtaError>(())
/// ```
pub fn write_progress<'b>(
    id: u64,
    step: Step,
    desc: &str,
    module: Option<&str>,
    buf: &'b mut [u8],
) -> Result<&'b str, OtaError> {
    if let Some(m) = module {
        check_text(m, OtaField::Module)?;
    }
    let mut sb = [0u8; 20];
    let step = match step {
        Step::Percent(p) if p <= 100 => digits(u64::from(p), &mut sb),
        Step::Percent(_) => return Err(invalid(OtaField::Step, None)),
        Step::UpgradeFailed => "-1",
        Step::DownloadFailed => "-2",
        Step::VerifyFailed => "-3",
        Step::FlashFailed => "-4",
    };
    let mut idb = [0u8; 20];
    let id = digits(id, &mut idb);
    write_with(buf, |out| {
        put_all(
            out,
            &[
                "{\"id\":\"",
                id,
                "\",\"params\":{\"step\":\"",
                step,
                "\",\"desc\":",
            ],
        )?;
        out.put_json_string(desc)?;
        if let Some(m) = module {
            out.put(",\"module\":")?;
            out.put_json_string(m)?;
        }
        out.put("}}")
    })
}

/// Write a firmware request `{"id":"<id>","version":"1.0","params":{["module":"<module>"]},"method":"thing.ota.firmware.get"}`
/// into `buf`, returning the text; publish it on
/// [`Topic::OtaFirmwareGet`]. The answer comes on
/// `…/firmware/get_reply` ([`FirmwareGetReply`]). `module` `None` asks for the `default`
/// module. Errors as in [`write_version_inform`].
///
/// ```
/// use atmodem::aliyun::ota::write_firmware_get;
/// let mut buf = [0u8; 128];
/// assert_eq!(
///     write_firmware_get(123, Some("MCU"), &mut buf)?,
///     r#"{"id":"123","version":"1.0","params":{"module":"MCU"},"method":"thing.ota.firmware.get"}"#
/// );
/// # Ok::<(), atmodem::aliyun::ota::OtaError>(())
/// ```
pub fn write_firmware_get<'b>(
    id: u64,
    module: Option<&str>,
    buf: &'b mut [u8],
) -> Result<&'b str, OtaError> {
    if let Some(m) = module {
        check_text(m, OtaField::Module)?;
    }
    let mut idb = [0u8; 20];
    let id = digits(id, &mut idb);
    write_with(buf, |out| {
        put_all(
            out,
            &["{\"id\":\"", id, "\",\"version\":\"1.0\",\"params\":{"],
        )?;
        if let Some(m) = module {
            out.put("\"module\":")?;
            out.put_json_string(m)?;
        }
        out.put("},\"method\":\"thing.ota.firmware.get\"}")
    })
}

// ---------------------------------------------------------------------------------------
// The upgrade notice

/// How a package's digest (`data.sign`) is computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum DigestMethod {
    /// MD5 (`"Md5"`, `"MD5"`): needs the `md5` feature to verify.
    Md5,
    /// SHA-256 (`"SHA256"`, `"Sha256"`).
    Sha256,
}

impl DigestMethod {
    /// The method a `signMethod` value names, compared ASCII case-insensitively (the
    /// platform's documents show `Md5` and `MD5`, Link SDKs `SHA256` and `Sha256`); `None`
    /// for anything else.
    ///
    /// ```
    /// use atmodem::aliyun::ota::DigestMethod;
    /// assert_eq!(DigestMethod::from_name("MD5"), Some(DigestMethod::Md5));
    /// assert_eq!(DigestMethod::from_name("Sha256"), Some(DigestMethod::Sha256));
    /// assert_eq!(DigestMethod::from_name("SHA-256"), None);
    /// ```
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        if name.eq_ignore_ascii_case("md5") {
            Some(Self::Md5)
        } else if name.eq_ignore_ascii_case("sha256") {
            Some(Self::Sha256)
        } else {
            None
        }
    }

    /// Length of the digest in bytes (16 or 32); its hex form is twice as long.
    ///
    /// ```
    /// assert_eq!(atmodem::aliyun::ota::DigestMethod::Sha256.digest_len(), 32);
    /// ```
    #[must_use]
    pub const fn digest_len(self) -> usize {
        match self {
            Self::Md5 => 16,
            Self::Sha256 => 32,
        }
    }

    /// Whether this build can compute the digest (MD5 needs the `md5` feature).
    ///
    /// ```
    /// assert!(atmodem::aliyun::ota::DigestMethod::Sha256.is_enabled());
    /// ```
    #[must_use]
    pub const fn is_enabled(self) -> bool {
        match self {
            Self::Md5 => cfg!(feature = "md5"),
            Self::Sha256 => true,
        }
    }
}

/// The pre-signed download URL of a package, as between its JSON quotes (escapes not
/// decoded). It grants access to the file until its `Expires`, so `Debug` and `defmt`
/// print `SignedUrl(***)`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SignedUrl<'a>(&'a str);

impl core::fmt::Debug for SignedUrl<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("SignedUrl(***)")
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for SignedUrl<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(f, "SignedUrl(***)");
    }
}

impl<'a> SignedUrl<'a> {
    /// The URL's text as it appears in the message (JSON escapes such as `\/` or `\u0026`
    /// left as they are; see [`SignedUrl::unescape_into`]).
    ///
    /// ```
    /// use atmodem::aliyun::ota::{Source, UpgradeNotice};
    /// let n = UpgradeNotice::parse(br#"{"code":"1000","data":{"size":1,"version":"2","url":"https://h/p","sign":"0cc175b9c0f1b6a831c399e269772661","signMethod":"Md5"}}"#)?;
    /// let Source::Https(url) = n.firmware.source else { panic!() };
    /// assert_eq!(url.expose(), "https://h/p");
    /// # Ok::<(), atmodem::aliyun::ota::OtaError>(())
    /// ```
    #[must_use]
    pub const fn expose(&self) -> &'a str {
        self.0
    }

    /// The URL with its JSON escapes decoded (with `serde-json-core`'s unescaper) into
    /// `buf`. A bad escape is [`OtaError::Invalid`] on [`OtaField::Url`], a URL longer than
    /// `buf` [`OtaError::Capacity`].
    ///
    /// ```
    /// use atmodem::aliyun::ota::{Source, UpgradeNotice};
    /// let n = UpgradeNotice::parse(br#"{"code":"1000","data":{"size":1,"version":"2","url":"https:\/\/h\/p?a=1\u0026b=2","sign":"0cc175b9c0f1b6a831c399e269772661","signMethod":"Md5"}}"#)?;
    /// let Source::Https(url) = n.firmware.source else { panic!() };
    /// let mut buf = [0u8; 64];
    /// assert_eq!(url.unescape_into(&mut buf)?, "https://h/p?a=1&b=2");
    /// # Ok::<(), atmodem::aliyun::ota::OtaError>(())
    /// ```
    pub fn unescape_into<'b>(&self, buf: &'b mut [u8]) -> Result<&'b str, OtaError> {
        use serde_json_core::str::{EscapedStr, EscapedStringFragment};
        let mut len = 0usize;
        for fragment in EscapedStr(self.0).fragments() {
            let mut one = [0u8; 4];
            let text = match fragment.map_err(|_| invalid(OtaField::Url, None))? {
                EscapedStringFragment::NotEscaped(s) => s,
                EscapedStringFragment::Escaped(c) => c.encode_utf8(&mut one),
            };
            let end = len.checked_add(text.len()).ok_or(OtaError::Capacity)?;
            buf.get_mut(len..end)
                .ok_or(OtaError::Capacity)?
                .copy_from_slice(text.as_bytes());
            len = end;
        }
        let bytes = buf.get(..len).ok_or(OtaError::Capacity)?;
        core::str::from_utf8(bytes).map_err(|_| invalid(OtaField::Url, None))
    }

    /// The OSS `Expires` query parameter (seconds since 1970), if the URL has one: past
    /// it the download is refused (HTTP 403) and a new URL must be asked for with
    /// [`write_firmware_get`]. Check it before resuming. Read from the text as sent: a
    /// URL whose `&` or `=` are JSON-escaped gives `None`.
    ///
    /// ```
    /// use atmodem::aliyun::ota::{Source, UpgradeNotice};
    /// let n = UpgradeNotice::parse(br#"{"code":"1000","data":{"size":1,"version":"2","url":"https://h/x.bin?Expires=1502955804&OSSAccessKeyId=k","sign":"0cc175b9c0f1b6a831c399e269772661","signMethod":"Md5"}}"#)?;
    /// let Source::Https(url) = n.firmware.source else { panic!() };
    /// assert_eq!(url.expires(), Some(1502955804));
    /// # Ok::<(), atmodem::aliyun::ota::OtaError>(())
    /// ```
    #[must_use]
    pub fn expires(&self) -> Option<u64> {
        let (_, query) = self.0.split_once('?')?;
        let query = query.split('#').next().unwrap_or(query);
        query
            .split('&')
            .find_map(|kv| kv.strip_prefix("Expires="))
            .and_then(|v| as_u64(v.as_bytes()))
    }
}

/// Where a package is downloaded from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Source<'a> {
    /// `data.url`: HTTPS, with `Range` requests.
    Https(SignedUrl<'a>),
    /// `"dProtocol":"mqtt"`: the file comes in chunks over `…/thing/file/download`.
    Mqtt {
        /// `data.streamId`.
        stream_id: u64,
        /// `data.streamFileId`, if sent.
        stream_file_id: Option<u64>,
    },
}

/// The package of an upgrade (`data` of a push or of a firmware-get reply). Text fields
/// are borrowed from the message as between their quotes (escapes not decoded).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Firmware<'a> {
    /// `size`: the image's length in bytes (1 or more).
    pub size: u32,
    /// `version`: the version the device runs after the upgrade.
    pub version: &'a str,
    /// `module`; `None` for the `default` module (the platform does not send it).
    pub module: Option<&'a str>,
    /// `signMethod`.
    pub sign_method: DigestMethod,
    /// `sign`: the image's digest in hex (32 or 64 digits, either case), what is verified.
    pub sign: &'a str,
    /// `md5`: sent besides `sign` for MD5 packages.
    pub md5: Option<&'a str>,
    /// `digestsign`: a signature for secure boot; not verified here.
    pub digest_sign: Option<&'a str>,
    /// `isDiff` = 1: a differential package (needs the prior version report).
    pub is_diff: bool,
    /// `extData`: the batch's tags, one JSON object.
    pub ext_data: Option<RawJson<'a>>,
    /// Where the image comes from.
    pub source: Source<'a>,
}

/// An upgrade push on `/ota/device/upgrade/{pk}/{dn}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct UpgradeNotice<'a> {
    /// `id` (a number in pushes, a string in the docs; both read), if sent.
    pub id: Option<u64>,
    /// `code`: the string `"1000"` on success; `None` if absent.
    pub code: Option<i64>,
    /// `message` as between its quotes, empty when absent.
    pub message: &'a str,
    /// The package.
    pub firmware: Firmware<'a>,
}

/// The reply on `/sys/{pk}/{dn}/thing/ota/firmware/get_reply`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct FirmwareGetReply<'a> {
    /// `id` of the request this answers, if sent.
    pub id: Option<u64>,
    /// `code` (200 on success); `None` if absent.
    pub code: Option<i64>,
    /// The pending package; `None` when `data` is `{}` (nothing to upgrade).
    pub firmware: Option<Firmware<'a>>,
}

fn scan(payload: &[u8]) -> Result<Members<'_>, OtaError> {
    Members::new(payload).map_err(|e| match e {
        ThingError::TooLarge => OtaError::TooLarge,
        ThingError::TooDeep => OtaError::TooDeep,
        _ => invalid(OtaField::Payload, None),
    })
}

fn text(v: &[u8]) -> Option<&str> {
    as_string(v).and_then(|t| core::str::from_utf8(t).ok())
}

/// `id`, `code` and `data` of a push or reply.
struct Envelope<'a> {
    id: Option<u64>,
    code: Option<i64>,
    message: &'a str,
    data: Option<&'a [u8]>,
}

fn envelope(payload: &[u8]) -> Result<Envelope<'_>, OtaError> {
    let m = scan(payload)?;
    let code = match m.get("code") {
        None => None,
        Some(v) => Some(as_i64(v).ok_or(invalid(OtaField::Code, None))?),
    };
    let id = match m.get("id") {
        None => None,
        Some(v) => Some(as_u64(v).ok_or(invalid(OtaField::Id, code))?),
    };
    let message = match m.get("message") {
        None => "",
        Some(v) => text(v).ok_or(invalid(OtaField::Message, code))?,
    };
    Ok(Envelope {
        id,
        code,
        message,
        data: m.get("data"),
    })
}

impl<'a> Firmware<'a> {
    /// Reads a `data` object; `Ok(None)` when it has no member.
    fn parse_data(data: &'a [u8], code: Option<i64>) -> Result<Option<Self>, OtaError> {
        if !data.starts_with(b"{") {
            return Err(invalid(OtaField::Data, code));
        }
        let m = Members::new(data).map_err(|_| invalid(OtaField::Data, code))?;
        if m.is_empty() {
            return Ok(None);
        }
        let req_text = |field: OtaField| -> Result<&'a str, OtaError> {
            let v = m.get(field.name()).ok_or(missing(field, code))?;
            text(v).ok_or(invalid(field, code))
        };
        let opt_text = |field: OtaField| -> Result<Option<&'a str>, OtaError> {
            m.get(field.name())
                .map(|v| text(v).ok_or(invalid(field, code)))
                .transpose()
        };
        let opt_u64 = |field: OtaField| -> Result<Option<u64>, OtaError> {
            m.get(field.name())
                .map(|v| as_u64(v).ok_or(invalid(field, code)))
                .transpose()
        };

        let size = opt_u64(OtaField::Size)?.ok_or(missing(OtaField::Size, code))?;
        let size = u32::try_from(size)
            .ok()
            .filter(|s| *s > 0)
            .ok_or(invalid(OtaField::Size, code))?;
        let version = req_text(OtaField::Version)?;
        if version.is_empty() {
            return Err(invalid(OtaField::Version, code));
        }
        let sign_method = DigestMethod::from_name(req_text(OtaField::SignMethod)?)
            .ok_or(OtaError::UnknownSignMethod { code })?;
        let sign = req_text(OtaField::Sign)?;
        let hex_ok = sign.len() == sign_method.digest_len().saturating_mul(2)
            && sign.bytes().all(|b| b.is_ascii_hexdigit());
        if !hex_ok {
            return Err(invalid(OtaField::Sign, code));
        }
        let is_diff = match opt_u64(OtaField::IsDiff)? {
            None | Some(0) => false,
            Some(1) => true,
            Some(_) => return Err(invalid(OtaField::IsDiff, code)),
        };
        let ext_data = match m.get(OtaField::ExtData.name()) {
            None => None,
            Some(v) if v.starts_with(b"{") => Some(RawJson(
                core::str::from_utf8(v).map_err(|_| invalid(OtaField::ExtData, code))?,
            )),
            Some(_) => return Err(invalid(OtaField::ExtData, code)),
        };
        let mqtt = match opt_text(OtaField::DProtocol)? {
            None => false,
            Some(p) => p.eq_ignore_ascii_case("mqtt"),
        };
        let source = if mqtt {
            Source::Mqtt {
                stream_id: opt_u64(OtaField::StreamId)?.ok_or(missing(OtaField::StreamId, code))?,
                stream_file_id: opt_u64(OtaField::StreamFileId)?,
            }
        } else {
            let url = req_text(OtaField::Url)?;
            if url.is_empty() {
                return Err(invalid(OtaField::Url, code));
            }
            Source::Https(SignedUrl(url))
        };
        Ok(Some(Self {
            size,
            version,
            module: opt_text(OtaField::Module)?,
            sign_method,
            sign,
            md5: opt_text(OtaField::Md5)?,
            digest_sign: opt_text(OtaField::DigestSign)?,
            is_diff,
            ext_data,
            source,
        }))
    }
}

impl<'a> UpgradeNotice<'a> {
    /// Parse an upgrade push. Required: `data` with `size` (1 to 2³²−1), `version`,
    /// `signMethod`, `sign` (hex of the method's length) and `url` (or, with
    /// `"dProtocol":"mqtt"`, `streamId`); optional: `id` (number or decimal string), `code`,
    /// `message`, `module`, `md5`, `digestsign`, `isDiff` (0 or 1), `extData` (an object).
    /// Other members (`files`, …) are skipped.
    ///
    /// A missing field is [`OtaError::Missing`], a malformed one [`OtaError::Invalid`], each
    /// naming it and carrying the message's `code`; a `signMethod` other than MD5 or
    /// SHA-256 (any case) is [`OtaError::UnknownSignMethod`]. A payload that is not one
    /// JSON object is `Invalid` on [`OtaField::Payload`], one too long or too deep
    /// [`OtaError::TooLarge`] / [`OtaError::TooDeep`]. It never panics. An MD5 package
    /// parses in any build; verifying it needs the `md5` feature ([`Verifier::new`]).
    ///
    /// ```
    /// use atmodem::aliyun::ota::{DigestMethod, OtaError, OtaField, UpgradeNotice};
    /// let n = UpgradeNotice::parse(br#"{"code":"1000","data":{"size":432945,"version":"2.0.0","url":"https://x/x.tar.gz","sign":"93230c3bde425a9d7984a594ac55ea1e","signMethod":"MD5","module":"MCU"},"id":1626969597470,"message":"success"}"#)?;
    /// assert_eq!((n.code, n.id), (Some(1000), Some(1626969597470)));
    /// assert_eq!(n.firmware.size, 432945);
    /// assert_eq!(n.firmware.sign_method, DigestMethod::Md5);
    /// assert_eq!(n.firmware.module, Some("MCU"));
    /// assert_eq!(
    ///     UpgradeNotice::parse(br#"{"code":"1000","data":{"version":"2.0.0"}}"#),
    ///     Err(OtaError::Missing { field: OtaField::Size, code: Some(1000) })
    /// );
    /// # Ok::<(), OtaError>(())
    /// ```
    pub fn parse(payload: &'a [u8]) -> Result<Self, OtaError> {
        let e = envelope(payload)?;
        let data = e.data.ok_or(missing(OtaField::Data, e.code))?;
        let firmware =
            Firmware::parse_data(data, e.code)?.ok_or(missing(OtaField::Version, e.code))?;
        Ok(Self {
            id: e.id,
            code: e.code,
            message: e.message,
            firmware,
        })
    }
}

impl<'a> FirmwareGetReply<'a> {
    /// Parse a firmware-get reply: `data` is `{}` when there is nothing to upgrade, else
    /// read as a push's ([`UpgradeNotice::parse`], same errors). A reply without `data`
    /// (a refusal) is [`OtaError::Missing`] on [`OtaField::Data`] with the platform's
    /// `code`.
    ///
    /// ```
    /// use atmodem::aliyun::ota::FirmwareGetReply;
    /// let r = FirmwareGetReply::parse(br#"{"id":"123","code":200,"data":{}}"#)?;
    /// assert_eq!((r.id, r.code, r.firmware), (Some(123), Some(200), None));
    /// # Ok::<(), atmodem::aliyun::ota::OtaError>(())
    /// ```
    pub fn parse(payload: &'a [u8]) -> Result<Self, OtaError> {
        let e = envelope(payload)?;
        let data = e.data.ok_or(missing(OtaField::Data, e.code))?;
        Ok(Self {
            id: e.id,
            code: e.code,
            firmware: Firmware::parse_data(data, e.code)?,
        })
    }
}

// ---------------------------------------------------------------------------------------
// Verification

/// Why an image is not (yet) verified.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum VerifyError {
    /// The package is signed with MD5 and this build lacks the `md5` feature.
    #[error("MD5 packages need the md5 feature")]
    Md5Disabled,
    /// The expected digest is not hex of the method's length.
    #[error("invalid sign")]
    BadSign,
    /// Bytes fed at another offset than the next expected one (a gap, or bytes fed twice).
    #[error("bytes at {got}, expected {expected}")]
    OutOfOrder {
        /// The offset the next bytes must start at.
        expected: u32,
        /// The offset given.
        got: u32,
    },
    /// More bytes fed than the image's size.
    #[error("image longer than its size {size}")]
    TooLong {
        /// The image's size.
        size: u32,
    },
    /// [`Verifier::finish`] before every byte was fed.
    #[error("image incomplete: {fed} of {size} bytes")]
    Incomplete {
        /// Bytes fed.
        fed: u32,
        /// The image's size.
        size: u32,
    },
    /// The digest of the image differs from `sign`.
    #[error("image digest mismatch")]
    Mismatch,
}

#[derive(Clone)]
enum Hasher {
    #[cfg(feature = "md5")]
    Md5(md5::Md5),
    Sha256(sha2::Sha256),
}

/// A streaming MD5 or SHA-256 digest.
///
/// ```
/// use atmodem::aliyun::ota::{Digest, DigestMethod};
/// let mut d = Digest::new(DigestMethod::Sha256)?;
/// d.update(b"ab");
/// d.update(b"c");
/// // python3 -c "import hashlib;print(hashlib.sha256(b'abc').hexdigest())"
/// assert!(d.matches_hex("BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"));
/// # Ok::<(), atmodem::aliyun::ota::VerifyError>(())
/// ```
#[derive(Clone)]
pub struct Digest(Hasher);

impl core::fmt::Debug for Digest {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self.method() {
            DigestMethod::Md5 => "Digest(Md5)",
            DigestMethod::Sha256 => "Digest(Sha256)",
        })
    }
}

impl Digest {
    /// A fresh digest; MD5 without the `md5` feature is [`VerifyError::Md5Disabled`].
    ///
    /// ```
    /// use atmodem::aliyun::ota::{Digest, DigestMethod};
    /// assert!(Digest::new(DigestMethod::Sha256).is_ok());
    /// ```
    pub fn new(method: DigestMethod) -> Result<Self, VerifyError> {
        use sha2::Digest as _;
        match method {
            #[cfg(feature = "md5")]
            DigestMethod::Md5 => Ok(Self(Hasher::Md5(md5::Md5::new()))),
            #[cfg(not(feature = "md5"))]
            DigestMethod::Md5 => Err(VerifyError::Md5Disabled),
            DigestMethod::Sha256 => Ok(Self(Hasher::Sha256(sha2::Sha256::new()))),
        }
    }

    /// The method.
    ///
    /// ```
    /// use atmodem::aliyun::ota::{Digest, DigestMethod};
    /// assert_eq!(Digest::new(DigestMethod::Sha256)?.method(), DigestMethod::Sha256);
    /// # Ok::<(), atmodem::aliyun::ota::VerifyError>(())
    /// ```
    #[must_use]
    pub const fn method(&self) -> DigestMethod {
        match self.0 {
            #[cfg(feature = "md5")]
            Hasher::Md5(_) => DigestMethod::Md5,
            Hasher::Sha256(_) => DigestMethod::Sha256,
        }
    }

    /// Feed the next bytes.
    ///
    /// ```
    /// use atmodem::aliyun::ota::{Digest, DigestMethod};
    /// let mut d = Digest::new(DigestMethod::Sha256)?;
    /// d.update(b"");
    /// # Ok::<(), atmodem::aliyun::ota::VerifyError>(())
    /// ```
    pub fn update(&mut self, bytes: &[u8]) {
        use sha2::Digest as _;
        match &mut self.0 {
            #[cfg(feature = "md5")]
            Hasher::Md5(h) => h.update(bytes),
            Hasher::Sha256(h) => h.update(bytes),
        }
    }

    /// The digest into `out`, returning its bytes (16 or 32).
    ///
    /// ```
    /// use atmodem::aliyun::ota::{Digest, DigestMethod};
    /// let mut out = [0u8; 32];
    /// assert_eq!(Digest::new(DigestMethod::Sha256)?.finalize_into(&mut out).len(), 32);
    /// # Ok::<(), atmodem::aliyun::ota::VerifyError>(())
    /// ```
    pub fn finalize_into(self, out: &mut [u8; 32]) -> &[u8] {
        use sha2::Digest as _;
        let (src, n) = match self.0 {
            #[cfg(feature = "md5")]
            Hasher::Md5(h) => {
                let d = h.finalize();
                let mut raw = [0u8; 32];
                raw.iter_mut().zip(d.iter()).for_each(|(o, i)| *o = *i);
                (raw, 16)
            }
            Hasher::Sha256(h) => {
                let d = h.finalize();
                let mut raw = [0u8; 32];
                raw.iter_mut().zip(d.iter()).for_each(|(o, i)| *o = *i);
                (raw, 32)
            }
        };
        *out = src;
        out.get(..n).unwrap_or(&[])
    }

    /// Whether the digest equals `hex` (either case; wrong length or non-hex is `false`).
    ///
    /// ```
    /// use atmodem::aliyun::ota::{Digest, DigestMethod};
    /// let d = Digest::new(DigestMethod::Sha256)?;
    /// assert!(!d.matches_hex("00"));
    /// # Ok::<(), atmodem::aliyun::ota::VerifyError>(())
    /// ```
    #[must_use]
    pub fn matches_hex(self, hex: &str) -> bool {
        let mut want = [0u8; 32];
        let Some(want) = decode_hex(hex, &mut want) else {
            return false;
        };
        let mut got = [0u8; 32];
        self.finalize_into(&mut got) == want
    }
}

fn hex_value(b: u8) -> Option<u8> {
    char::from(b)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

/// `hex` (even length, at most 64 digits) as bytes in `out`.
fn decode_hex<'o>(hex: &str, out: &'o mut [u8; 32]) -> Option<&'o [u8]> {
    let bytes = hex.as_bytes();
    if bytes.len().checked_rem(2) != Some(0) || bytes.len() > 64 {
        return None;
    }
    for (o, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
        let (hi, lo) = match pair {
            [hi, lo] => (hex_value(*hi)?, hex_value(*lo)?),
            _ => return None,
        };
        *o = hi.checked_shl(4)? | lo;
    }
    out.get(..bytes.len().checked_div(2)?)
}

/// Checks an image as it is written: its bytes fed in order, once each, then
/// [`Verifier::finish`] compares the length with `size` and the digest with `sign`. It
/// never reports success before every byte of `size` was fed.
///
/// ```
/// use atmodem::aliyun::ota::{DigestMethod, Verifier, VerifyError};
/// // python3 -c "import hashlib;print(hashlib.sha256(b'abc').hexdigest())"
/// let sign = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
/// let mut v = Verifier::new(DigestMethod::Sha256, sign, 3)?;
/// v.update(0, b"ab")?;
/// assert_eq!(v.update(0, b"ab"), Err(VerifyError::OutOfOrder { expected: 2, got: 0 }));
/// assert_eq!(v.clone().finish(), Err(VerifyError::Incomplete { fed: 2, size: 3 }));
/// v.update(2, b"c")?;
/// v.finish()?;
/// # Ok::<(), VerifyError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Verifier {
    digest: Digest,
    expected: [u8; 32],
    size: u32,
    fed: u32,
}

impl Verifier {
    /// A verifier for an image of `size` bytes whose digest is `sign` (hex of the method's
    /// length, either case; else [`VerifyError::BadSign`]). MD5 without the `md5` feature
    /// is [`VerifyError::Md5Disabled`].
    ///
    /// ```
    /// use atmodem::aliyun::ota::{DigestMethod, Verifier, VerifyError};
    /// assert_eq!(Verifier::new(DigestMethod::Sha256, "abcd", 1).err(), Some(VerifyError::BadSign));
    /// ```
    pub fn new(method: DigestMethod, sign: &str, size: u32) -> Result<Self, VerifyError> {
        let digest = Digest::new(method)?;
        let mut expected = [0u8; 32];
        let n = decode_hex(sign, &mut expected)
            .ok_or(VerifyError::BadSign)?
            .len();
        if n != method.digest_len() {
            return Err(VerifyError::BadSign);
        }
        Ok(Self {
            digest,
            expected,
            size,
            fed: 0,
        })
    }

    /// A verifier for `firmware`'s `size`, `signMethod` and `sign`.
    ///
    /// ```
    /// use atmodem::aliyun::ota::{UpgradeNotice, Verifier};
    /// let n = UpgradeNotice::parse(br#"{"code":"1000","data":{"size":1,"version":"2","url":"https://h/p","sign":"ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb","signMethod":"SHA256"}}"#)?;
    /// let mut v = Verifier::for_firmware(&n.firmware)?;
    /// v.update(0, b"a")?;
    /// v.finish()?;
    /// # Ok::<(), Box<dyn core::error::Error>>(())
    /// ```
    pub fn for_firmware(firmware: &Firmware<'_>) -> Result<Self, VerifyError> {
        Self::new(firmware.sign_method, firmware.sign, firmware.size)
    }

    /// Feed the bytes at `offset`, which must be where the last ones ended (else
    /// [`VerifyError::OutOfOrder`], the digest untouched: bytes are never hashed twice);
    /// past `size` is [`VerifyError::TooLong`].
    ///
    /// ```
    /// use atmodem::aliyun::ota::{DigestMethod, Verifier, VerifyError};
    /// let mut v = Verifier::new(DigestMethod::Sha256, &"0".repeat(64), 2)?;
    /// assert_eq!(v.update(0, b"abc"), Err(VerifyError::TooLong { size: 2 }));
    /// assert_eq!(v.fed(), 0);
    /// # Ok::<(), VerifyError>(())
    /// ```
    pub fn update(&mut self, offset: u32, bytes: &[u8]) -> Result<(), VerifyError> {
        if offset != self.fed {
            return Err(VerifyError::OutOfOrder {
                expected: self.fed,
                got: offset,
            });
        }
        let too_long = VerifyError::TooLong { size: self.size };
        let end = u32::try_from(bytes.len())
            .ok()
            .and_then(|n| self.fed.checked_add(n))
            .filter(|end| *end <= self.size)
            .ok_or(too_long)?;
        self.digest.update(bytes);
        self.fed = end;
        Ok(())
    }

    /// Bytes fed so far.
    ///
    /// ```
    /// use atmodem::aliyun::ota::{DigestMethod, Verifier};
    /// assert_eq!(Verifier::new(DigestMethod::Sha256, &"0".repeat(64), 2)?.fed(), 0);
    /// # Ok::<(), atmodem::aliyun::ota::VerifyError>(())
    /// ```
    #[must_use]
    pub const fn fed(&self) -> u32 {
        self.fed
    }

    /// `Ok` only when all `size` bytes were fed and their digest equals `sign`;
    /// [`VerifyError::Incomplete`] before, [`VerifyError::Mismatch`] on another digest
    /// (report [`Step::VerifyFailed`]).
    ///
    /// ```
    /// use atmodem::aliyun::ota::{DigestMethod, Verifier, VerifyError};
    /// let mut v = Verifier::new(DigestMethod::Sha256, &"0".repeat(64), 1)?;
    /// v.update(0, b"a")?;
    /// assert_eq!(v.finish(), Err(VerifyError::Mismatch));
    /// # Ok::<(), VerifyError>(())
    /// ```
    pub fn finish(self) -> Result<(), VerifyError> {
        if self.fed != self.size {
            return Err(VerifyError::Incomplete {
                fed: self.fed,
                size: self.size,
            });
        }
        let mut got = [0u8; 32];
        let got = self.digest.finalize_into(&mut got);
        let want = self.expected.get(..got.len()).unwrap_or(&[]);
        if got == want {
            Ok(())
        } else {
            Err(VerifyError::Mismatch)
        }
    }
}

// ---------------------------------------------------------------------------------------
// Where the image goes

/// Where a firmware image is written: a flash partition, a file on a host.
///
/// The image is written in order from offset 0: [`FirmwareSink::erase`] the room first,
/// then [`FirmwareSink::write`] each accepted chunk at the offset where the last one ended,
/// then [`FirmwareSink::finish`] once. [`NorFlashSink`] implements it over a NOR flash.
///
/// ```
/// use atmodem::aliyun::ota::FirmwareSink;
/// struct Ram([u8; 16]);
/// impl FirmwareSink for Ram {
///     type Error = ();
///     fn capacity(&self) -> u32 { 16 }
///     async fn erase(&mut self, offset: u32, len: u32) -> Result<(), ()> {
///         let r = self.0.get_mut(offset as usize..(offset + len) as usize).ok_or(())?;
///         r.fill(0xFF);
///         Ok(())
///     }
///     async fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), ()> {
///         let r = self.0.get_mut(offset as usize..offset as usize + bytes.len()).ok_or(())?;
///         r.copy_from_slice(bytes);
///         Ok(())
///     }
///     async fn finish(&mut self) -> Result<(), ()> { Ok(()) }
/// }
/// let mut ram = Ram([0; 16]);
/// embassy_futures::block_on(async {
///     ram.erase(0, 16).await?;
///     ram.write(0, b"abc").await?;
///     ram.finish().await
/// }).unwrap();
/// assert_eq!(&ram.0[..4], b"abc\xFF");
/// ```
#[allow(async_fn_in_trait)]
pub trait FirmwareSink {
    /// The error of every call.
    type Error;

    /// Bytes the sink can hold. [`DownloadPlan::new`] refuses a larger image.
    fn capacity(&self) -> u32;

    /// Make `len` bytes from `offset` writable (erase them).
    async fn erase(&mut self, offset: u32, len: u32) -> Result<(), Self::Error>;

    /// Write `bytes` at `offset`, where the last write ended.
    async fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), Self::Error>;

    /// Write out whatever is buffered: the image is complete.
    async fn finish(&mut self) -> Result<(), Self::Error>;
}

/// Why a [`NorFlashSink`] refused a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum SinkError<E> {
    /// The block buffer `W` is not a non-zero multiple of the flash's `WRITE_SIZE`, or
    /// the flash's write or erase size is 0.
    #[error("block buffer does not fit the flash's write size")]
    Config,
    /// A write that does not start where the last one ended.
    #[error("write at {got}, expected {expected}")]
    OutOfOrder {
        /// Where the next write must start.
        expected: u32,
        /// Where it started.
        got: u32,
    },
    /// The range (padded to the write size) goes past the capacity.
    #[error("range ends at {end}, past the capacity {capacity}")]
    OutOfRange {
        /// End of the range.
        end: u32,
        /// The sink's capacity.
        capacity: u32,
    },
    /// A write after [`FirmwareSink::finish`] (call [`NorFlashSink::restart`] first).
    #[error("the image is already finished")]
    Finished,
    /// The flash failed (report [`Step::FlashFailed`]).
    #[error("flash error")]
    Flash(E),
}

/// A [`FirmwareSink`] over a NOR flash (`embedded-storage-async`), offsets relative to the
/// flash's start (give it a partition).
///
/// Erases are widened to whole `ERASE_SIZE` sectors; writes go through a `W`-byte block
/// buffer (`W` a multiple of the flash's `WRITE_SIZE`), so the flash only sees aligned
/// writes of whole blocks; [`FirmwareSink::finish`] pads the last partial write unit with
/// `0xFF` (the erased value). Nothing is written or erased past the capacity (rounded down
/// to the write size). After a flash error the buffered bytes are lost: start over with
/// [`NorFlashSink::restart`].
///
/// ```
/// use atmodem::aliyun::ota::{FirmwareSink, NorFlashSink};
/// # use embedded_storage_async::nor_flash::{ErrorType, NorFlash, ReadNorFlash, NorFlashErrorKind};
/// # struct Flash([u8; 64]);
/// # impl ErrorType for Flash { type Error = NorFlashErrorKind; }
/// # impl ReadNorFlash for Flash {
/// #     const READ_SIZE: usize = 1;
/// #     async fn read(&mut self, o: u32, b: &mut [u8]) -> Result<(), Self::Error> {
/// #         b.copy_from_slice(&self.0[o as usize..o as usize + b.len()]); Ok(()) }
/// #     fn capacity(&self) -> usize { 64 }
/// # }
/// # impl NorFlash for Flash {
/// #     const WRITE_SIZE: usize = 4;
/// #     const ERASE_SIZE: usize = 32;
/// #     async fn erase(&mut self, f: u32, t: u32) -> Result<(), Self::Error> {
/// #         self.0[f as usize..t as usize].fill(0xFF); Ok(()) }
/// #     async fn write(&mut self, o: u32, b: &[u8]) -> Result<(), Self::Error> {
/// #         self.0[o as usize..o as usize + b.len()].copy_from_slice(b); Ok(()) }
/// # }
/// let mut sink = NorFlashSink::<_, 4>::new(Flash([0; 64])).unwrap();
/// embassy_futures::block_on(async {
///     sink.erase(0, 5).await?;       // erases the first 32-byte sector
///     sink.write(0, b"hello").await?;
///     sink.finish().await             // writes "o" + 0xFF 0xFF 0xFF
/// }).unwrap();
/// assert_eq!(&sink.into_inner().0[..9], b"hello\xFF\xFF\xFF\xFF");
/// ```
#[derive(Debug)]
pub struct NorFlashSink<F, const W: usize> {
    flash: F,
    block: [u8; W],
    /// Bytes of `block` in use.
    filled: usize,
    /// Flash offset of `block[0]`.
    block_start: u32,
    /// Where the next write starts.
    next: u32,
    finished: bool,
}

impl<F: embedded_storage_async::nor_flash::NorFlash, const W: usize> NorFlashSink<F, W> {
    /// Wraps `flash`; [`SinkError::Config`] unless `W` is a non-zero multiple of
    /// `F::WRITE_SIZE` and `F::ERASE_SIZE` is not 0.
    ///
    /// ```
    /// use atmodem::aliyun::ota::{NorFlashSink, SinkError};
    /// # use embedded_storage_async::nor_flash::{ErrorType, NorFlash, ReadNorFlash, NorFlashErrorKind};
    /// # struct Flash([u8; 64]);
    /// # impl ErrorType for Flash { type Error = NorFlashErrorKind; }
    /// # impl ReadNorFlash for Flash {
    /// #     const READ_SIZE: usize = 1;
    /// #     async fn read(&mut self, o: u32, b: &mut [u8]) -> Result<(), Self::Error> {
    /// #         b.copy_from_slice(&self.0[o as usize..o as usize + b.len()]); Ok(()) }
    /// #     fn capacity(&self) -> usize { 64 }
    /// # }
    /// # impl NorFlash for Flash {
    /// #     const WRITE_SIZE: usize = 4;
    /// #     const ERASE_SIZE: usize = 32;
    /// #     async fn erase(&mut self, f: u32, t: u32) -> Result<(), Self::Error> {
    /// #         self.0[f as usize..t as usize].fill(0xFF); Ok(()) }
    /// #     async fn write(&mut self, o: u32, b: &[u8]) -> Result<(), Self::Error> {
    /// #         self.0[o as usize..o as usize + b.len()].copy_from_slice(b); Ok(()) }
    /// # }
    /// assert!(NorFlashSink::<_, 8>::new(Flash([0; 64])).is_ok());
    /// // 6 is not a multiple of the flash's 4-byte write unit.
    /// assert!(matches!(NorFlashSink::<_, 6>::new(Flash([0; 64])), Err(SinkError::Config)));
    /// ```
    pub fn new(flash: F) -> Result<Self, SinkError<F::Error>> {
        let ok = F::WRITE_SIZE > 0
            && F::ERASE_SIZE > 0
            && W >= F::WRITE_SIZE
            && W.checked_rem(F::WRITE_SIZE) == Some(0)
            && u32::try_from(W).is_ok()
            && u32::try_from(F::ERASE_SIZE).is_ok();
        if !ok {
            return Err(SinkError::Config);
        }
        Ok(Self {
            flash,
            block: [0xFF; W],
            filled: 0,
            block_start: 0,
            next: 0,
            finished: false,
        })
    }

    /// The flash back.
    ///
    /// ```
    /// use atmodem::aliyun::ota::{FirmwareSink, NorFlashSink};
    /// # use embedded_storage_async::nor_flash::{ErrorType, NorFlash, ReadNorFlash, NorFlashErrorKind};
    /// # struct Flash([u8; 64]);
    /// # impl ErrorType for Flash { type Error = NorFlashErrorKind; }
    /// # impl ReadNorFlash for Flash {
    /// #     const READ_SIZE: usize = 1;
    /// #     async fn read(&mut self, o: u32, b: &mut [u8]) -> Result<(), Self::Error> {
    /// #         b.copy_from_slice(&self.0[o as usize..o as usize + b.len()]); Ok(()) }
    /// #     fn capacity(&self) -> usize { 64 }
    /// # }
    /// # impl NorFlash for Flash {
    /// #     const WRITE_SIZE: usize = 4;
    /// #     const ERASE_SIZE: usize = 32;
    /// #     async fn erase(&mut self, f: u32, t: u32) -> Result<(), Self::Error> {
    /// #         self.0[f as usize..t as usize].fill(0xFF); Ok(()) }
    /// #     async fn write(&mut self, o: u32, b: &[u8]) -> Result<(), Self::Error> {
    /// #         self.0[o as usize..o as usize + b.len()].copy_from_slice(b); Ok(()) }
    /// # }
    /// let mut sink = NorFlashSink::<_, 4>::new(Flash([0; 64])).unwrap();
    /// embassy_futures::block_on(async {
    ///     sink.erase(0, 4).await?;
    ///     sink.write(0, b"fw01").await?;
    ///     sink.finish().await
    /// }).unwrap();
    /// assert_eq!(&sink.into_inner().0[..4], b"fw01");
    /// ```
    pub fn into_inner(self) -> F {
        self.flash
    }

    /// Forget buffered bytes and start the next image at offset 0 (erase again first).
    ///
    /// ```
    /// use atmodem::aliyun::ota::{FirmwareSink, NorFlashSink};
    /// # use embedded_storage_async::nor_flash::{ErrorType, NorFlash, ReadNorFlash, NorFlashErrorKind};
    /// # struct Flash([u8; 64]);
    /// # impl ErrorType for Flash { type Error = NorFlashErrorKind; }
    /// # impl ReadNorFlash for Flash {
    /// #     const READ_SIZE: usize = 1;
    /// #     async fn read(&mut self, o: u32, b: &mut [u8]) -> Result<(), Self::Error> {
    /// #         b.copy_from_slice(&self.0[o as usize..o as usize + b.len()]); Ok(()) }
    /// #     fn capacity(&self) -> usize { 64 }
    /// # }
    /// # impl NorFlash for Flash {
    /// #     const WRITE_SIZE: usize = 4;
    /// #     const ERASE_SIZE: usize = 32;
    /// #     async fn erase(&mut self, f: u32, t: u32) -> Result<(), Self::Error> {
    /// #         self.0[f as usize..t as usize].fill(0xFF); Ok(()) }
    /// #     async fn write(&mut self, o: u32, b: &[u8]) -> Result<(), Self::Error> {
    /// #         self.0[o as usize..o as usize + b.len()].copy_from_slice(b); Ok(()) }
    /// # }
    /// let mut sink = NorFlashSink::<_, 4>::new(Flash([0; 64])).unwrap();
    /// embassy_futures::block_on(async {
    ///     sink.erase(0, 8).await?;
    ///     sink.write(0, b"bad").await?; // buffered, not yet written
    ///     sink.restart();                // a new image from offset 0
    ///     sink.erase(0, 4).await?;
    ///     sink.write(0, b"good").await?;
    ///     sink.finish().await
    /// }).unwrap();
    /// assert_eq!(&sink.into_inner().0[..4], b"good");
    /// ```
    pub fn restart(&mut self) {
        self.filled = 0;
        self.block_start = 0;
        self.next = 0;
        self.finished = false;
    }

    fn write_size() -> u32 {
        u32::try_from(F::WRITE_SIZE).unwrap_or(u32::MAX)
    }

    /// `v` rounded up to a multiple of `unit` (non-zero), `None` on overflow.
    fn round_up(v: u32, unit: u32) -> Option<u32> {
        let rem = v.checked_rem(unit)?;
        if rem == 0 {
            Some(v)
        } else {
            v.checked_add(unit.checked_sub(rem)?)
        }
    }

    fn out_of_range(&self, end: u32) -> SinkError<F::Error> {
        SinkError::OutOfRange {
            end,
            capacity: self.capacity(),
        }
    }

    async fn flush_block(&mut self, len: usize) -> Result<(), SinkError<F::Error>> {
        let data = self.block.get(..len).ok_or(SinkError::Config)?;
        let n = u32::try_from(len).map_err(|_| SinkError::Config)?;
        let end = self
            .block_start
            .checked_add(n)
            .ok_or(self.out_of_range(u32::MAX))?;
        if end > self.capacity() {
            return Err(self.out_of_range(end));
        }
        let at = self.block_start;
        self.filled = 0;
        self.block_start = end;
        self.flash.write(at, data).await.map_err(SinkError::Flash)
    }
}

impl<F: embedded_storage_async::nor_flash::NorFlash, const W: usize> FirmwareSink
    for NorFlashSink<F, W>
{
    type Error = SinkError<F::Error>;

    fn capacity(&self) -> u32 {
        let cap = u32::try_from(self.flash.capacity()).unwrap_or(u32::MAX);
        let ws = Self::write_size();
        cap.checked_rem(ws)
            .and_then(|r| cap.checked_sub(r))
            .unwrap_or(0)
    }

    async fn erase(&mut self, offset: u32, len: u32) -> Result<(), Self::Error> {
        if len == 0 {
            return Ok(());
        }
        let sector = u32::try_from(F::ERASE_SIZE).map_err(|_| SinkError::Config)?;
        let end = offset.checked_add(len).ok_or(self.out_of_range(u32::MAX))?;
        let from = offset
            .checked_rem(sector)
            .and_then(|r| offset.checked_sub(r))
            .ok_or(SinkError::Config)?;
        let to = Self::round_up(end, sector).ok_or(self.out_of_range(u32::MAX))?;
        let flash_cap = u32::try_from(self.flash.capacity()).unwrap_or(u32::MAX);
        if end > self.capacity() || to > flash_cap {
            return Err(self.out_of_range(to));
        }
        self.flash.erase(from, to).await.map_err(SinkError::Flash)
    }

    async fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), Self::Error> {
        if self.finished {
            return Err(SinkError::Finished);
        }
        if offset != self.next {
            return Err(SinkError::OutOfOrder {
                expected: self.next,
                got: offset,
            });
        }
        let end = u32::try_from(bytes.len())
            .ok()
            .and_then(|n| offset.checked_add(n))
            .ok_or(self.out_of_range(u32::MAX))?;
        let padded = Self::round_up(end, Self::write_size()).ok_or(self.out_of_range(end))?;
        if padded > self.capacity() {
            return Err(self.out_of_range(padded));
        }
        let mut rest = bytes;
        while !rest.is_empty() {
            let room = W.saturating_sub(self.filled);
            let Some((now, later)) = rest.split_at_checked(room.min(rest.len())) else {
                break;
            };
            let until = self.filled.saturating_add(now.len());
            self.block
                .get_mut(self.filled..until)
                .ok_or(SinkError::Config)?
                .copy_from_slice(now);
            self.filled = until;
            rest = later;
            if self.filled == W {
                self.flush_block(W).await?;
            }
        }
        self.next = end;
        Ok(())
    }

    async fn finish(&mut self) -> Result<(), Self::Error> {
        if self.finished {
            return Ok(());
        }
        if self.filled > 0 {
            let ws = F::WRITE_SIZE;
            let rem = self.filled.checked_rem(ws).unwrap_or(0);
            let padded = if rem == 0 {
                self.filled
            } else {
                self.filled.saturating_add(ws.saturating_sub(rem))
            };
            self.block
                .get_mut(self.filled..padded)
                .ok_or(SinkError::Config)?
                .fill(0xFF);
            self.flush_block(padded).await?;
        }
        self.finished = true;
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// The download plan

/// A byte range of the image: `len` bytes from `offset`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ByteRange {
    /// First byte.
    pub offset: u32,
    /// Number of bytes (1 or more).
    pub len: u32,
}

impl ByteRange {
    /// One past the last byte.
    ///
    /// ```
    /// assert_eq!(atmodem::aliyun::ota::ByteRange { offset: 10, len: 5 }.end(), 15);
    /// ```
    #[must_use]
    pub const fn end(&self) -> u32 {
        self.offset.saturating_add(self.len)
    }

    /// The last byte, as HTTP `Range: bytes=<offset>-<last>` writes it.
    ///
    /// ```
    /// assert_eq!(atmodem::aliyun::ota::ByteRange { offset: 10, len: 5 }.last(), 14);
    /// ```
    #[must_use]
    pub const fn last(&self) -> u32 {
        self.end().saturating_sub(1)
    }
}

/// Why a download plan cannot go on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum PlanError {
    /// The image or chunk size is 0.
    #[error("empty image or chunk")]
    Empty,
    /// The image is larger than the sink: refused before any download.
    #[error("image of {size} bytes exceeds the capacity {capacity}")]
    TooLarge {
        /// The image's size.
        size: u32,
        /// The sink's capacity.
        capacity: u32,
    },
    /// [`DownloadPlan::accept`] of another range than [`DownloadPlan::next_range`].
    #[error("unexpected range")]
    Unexpected,
    /// Every range is already accepted.
    #[error("download already complete")]
    Complete,
    /// The range at `offset` failed more often than allowed (report
    /// [`Step::DownloadFailed`]).
    #[error("retries exhausted at {offset}")]
    RetriesExhausted {
        /// Start of the range that kept failing.
        offset: u32,
    },
}

/// Which bytes of an image to fetch next, and where to resume after a failure; pure state.
///
/// The image is fetched in chunks of `chunk` bytes (the last one shorter). A chunk counts
/// only once it has arrived whole, been written and been fed to the [`Verifier`]:
/// [`DownloadPlan::accept`] it then. After a link loss or a module reboot,
/// [`DownloadPlan::fail`] and fetch [`DownloadPlan::next_range`] again: it restarts at the
/// last accepted offset, so the partial chunk is fetched whole and nothing is hashed twice.
/// Each range may fail `max_retries` times; one more is [`PlanError::RetriesExhausted`].
///
/// ```
/// use atmodem::aliyun::ota::{ByteRange, DownloadPlan};
/// let mut plan = DownloadPlan::new(10, 4, 1024, 1)?;
/// assert_eq!(plan.next_range(), Some(ByteRange { offset: 0, len: 4 }));
/// plan.accept(ByteRange { offset: 0, len: 4 })?;
/// plan.fail()?; // the link dropped during 4..8
/// assert_eq!(plan.next_range(), Some(ByteRange { offset: 4, len: 4 }));
/// assert!(plan.fail().is_err()); // a second failure of the same range
/// # Ok::<(), atmodem::aliyun::ota::PlanError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct DownloadPlan {
    size: u32,
    chunk: u32,
    verified: u32,
    failures: u8,
    max_retries: u8,
}

impl DownloadPlan {
    /// A plan for an image of `size` bytes in chunks of `chunk` bytes, into a sink of
    /// `capacity` bytes ([`FirmwareSink::capacity`]), allowing `max_retries` failures per
    /// range. A `size` over `capacity` is [`PlanError::TooLarge`] — decide it before
    /// erasing or downloading anything; a `size` or `chunk` of 0 is [`PlanError::Empty`].
    ///
    /// ```
    /// use atmodem::aliyun::ota::{DownloadPlan, PlanError};
    /// assert_eq!(
    ///     DownloadPlan::new(5000, 1024, 4096, 3),
    ///     Err(PlanError::TooLarge { size: 5000, capacity: 4096 })
    /// );
    /// ```
    pub const fn new(
        size: u32,
        chunk: u32,
        capacity: u32,
        max_retries: u8,
    ) -> Result<Self, PlanError> {
        if size == 0 || chunk == 0 {
            return Err(PlanError::Empty);
        }
        if size > capacity {
            return Err(PlanError::TooLarge { size, capacity });
        }
        Ok(Self {
            size,
            chunk,
            verified: 0,
            failures: 0,
            max_retries,
        })
    }

    /// The next chunk to fetch, from the last accepted offset; `None` when complete.
    ///
    /// ```
    /// use atmodem::aliyun::ota::{ByteRange, DownloadPlan};
    /// let plan = DownloadPlan::new(10, 16, 16, 0)?;
    /// assert_eq!(plan.next_range(), Some(ByteRange { offset: 0, len: 10 }));
    /// # Ok::<(), atmodem::aliyun::ota::PlanError>(())
    /// ```
    #[must_use]
    pub fn next_range(&self) -> Option<ByteRange> {
        let left = self.size.checked_sub(self.verified).filter(|l| *l > 0)?;
        Some(ByteRange {
            offset: self.verified,
            len: left.min(self.chunk),
        })
    }

    /// Everything not yet accepted, as one range (for one open-ended request
    /// `Range: bytes=<offset>-`, read chunk by chunk); `None` when complete.
    ///
    /// ```
    /// use atmodem::aliyun::ota::{ByteRange, DownloadPlan};
    /// let plan = DownloadPlan::new(10, 4, 16, 0)?;
    /// assert_eq!(plan.rest(), Some(ByteRange { offset: 0, len: 10 }));
    /// # Ok::<(), atmodem::aliyun::ota::PlanError>(())
    /// ```
    #[must_use]
    pub fn rest(&self) -> Option<ByteRange> {
        let left = self.size.checked_sub(self.verified).filter(|l| *l > 0)?;
        Some(ByteRange {
            offset: self.verified,
            len: left,
        })
    }

    /// Record that `range`, which must be [`DownloadPlan::next_range`] (else
    /// [`PlanError::Unexpected`], or [`PlanError::Complete`] when nothing is left), arrived
    /// whole and was written and hashed. Resets the failure count.
    ///
    /// ```
    /// use atmodem::aliyun::ota::{ByteRange, DownloadPlan, PlanError};
    /// let mut plan = DownloadPlan::new(10, 4, 16, 0)?;
    /// assert_eq!(plan.accept(ByteRange { offset: 4, len: 4 }), Err(PlanError::Unexpected));
    /// plan.accept(ByteRange { offset: 0, len: 4 })?;
    /// assert_eq!(plan.verified(), 4);
    /// # Ok::<(), PlanError>(())
    /// ```
    pub fn accept(&mut self, range: ByteRange) -> Result<(), PlanError> {
        let next = self.next_range().ok_or(PlanError::Complete)?;
        if range != next {
            return Err(PlanError::Unexpected);
        }
        self.verified = next.end();
        self.failures = 0;
        Ok(())
    }

    /// Record a failure of the current range (link loss, module reboot, bad status): the
    /// next range restarts at the last accepted offset, returned. Past `max_retries`
    /// failures of one range it is [`PlanError::RetriesExhausted`] (and stays so);
    /// [`PlanError::Complete`] when nothing is left.
    ///
    /// ```
    /// use atmodem::aliyun::ota::{ByteRange, DownloadPlan};
    /// let mut plan = DownloadPlan::new(10, 4, 16, 2)?;
    /// assert_eq!(plan.fail()?, ByteRange { offset: 0, len: 4 });
    /// # Ok::<(), atmodem::aliyun::ota::PlanError>(())
    /// ```
    pub fn fail(&mut self) -> Result<ByteRange, PlanError> {
        let next = self.next_range().ok_or(PlanError::Complete)?;
        if self.failures >= self.max_retries {
            return Err(PlanError::RetriesExhausted {
                offset: next.offset,
            });
        }
        self.failures = self.failures.saturating_add(1);
        Ok(next)
    }

    /// Bytes accepted so far (the offset a resume starts at).
    ///
    /// ```
    /// let plan = atmodem::aliyun::ota::DownloadPlan::new(10, 4, 16, 0)?;
    /// assert_eq!(plan.verified(), 0);
    /// # Ok::<(), atmodem::aliyun::ota::PlanError>(())
    /// ```
    #[must_use]
    pub const fn verified(&self) -> u32 {
        self.verified
    }

    /// The image's size.
    ///
    /// ```
    /// let plan = atmodem::aliyun::ota::DownloadPlan::new(10, 4, 16, 0)?;
    /// assert_eq!(plan.size(), 10);
    /// # Ok::<(), atmodem::aliyun::ota::PlanError>(())
    /// ```
    #[must_use]
    pub const fn size(&self) -> u32 {
        self.size
    }

    /// Whether every byte is accepted.
    ///
    /// ```
    /// let plan = atmodem::aliyun::ota::DownloadPlan::new(10, 4, 16, 0)?;
    /// assert!(!plan.is_complete());
    /// # Ok::<(), atmodem::aliyun::ota::PlanError>(())
    /// ```
    #[must_use]
    pub const fn is_complete(&self) -> bool {
        self.verified >= self.size
    }

    /// `100 * accepted / size`, rounded down (Link SDK's percent), for [`Step::Percent`].
    ///
    /// ```
    /// use atmodem::aliyun::ota::{ByteRange, DownloadPlan};
    /// let mut plan = DownloadPlan::new(3, 1, 16, 0)?;
    /// plan.accept(ByteRange { offset: 0, len: 1 })?;
    /// assert_eq!(plan.percent(), 33);
    /// # Ok::<(), atmodem::aliyun::ota::PlanError>(())
    /// ```
    #[must_use]
    pub fn percent(&self) -> u8 {
        let p = u64::from(self.verified)
            .saturating_mul(100)
            .checked_div(u64::from(self.size))
            .unwrap_or(0);
        u8::try_from(p.min(100)).unwrap_or(100)
    }
}

// ---------------------------------------------------------------------------------------
// Plan, verifier and sink together

/// Why a [`Download`] stopped; [`DownloadError::step`] is what to report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum DownloadError<E> {
    /// The plan refused: image too large for the sink, retries exhausted, a range other
    /// than the next one.
    #[error("download plan: {0}")]
    Plan(PlanError),
    /// The image cannot be verified, or does not verify.
    #[error("verification: {0}")]
    Verify(VerifyError),
    /// The sink failed.
    #[error("firmware sink error")]
    Sink(E),
}

impl<E> DownloadError<E> {
    /// The progress step to report for this failure: `-2` when the download itself
    /// failed (retries exhausted), `-3` for a digest mismatch, `-4` for the sink, `-1`
    /// otherwise (image too large, unsupported digest).
    ///
    /// ```
    /// use atmodem::aliyun::ota::{DownloadError, PlanError, Step, VerifyError};
    /// let e: DownloadError<()> = DownloadError::Verify(VerifyError::Mismatch);
    /// assert_eq!(e.step(), Step::VerifyFailed);
    /// let e: DownloadError<()> = DownloadError::Plan(PlanError::RetriesExhausted { offset: 0 });
    /// assert_eq!(e.step(), Step::DownloadFailed);
    /// ```
    #[must_use]
    pub const fn step(&self) -> Step {
        match self {
            Self::Plan(PlanError::RetriesExhausted { .. }) => Step::DownloadFailed,
            Self::Verify(VerifyError::Mismatch) => Step::VerifyFailed,
            Self::Sink(_) => Step::FlashFailed,
            _ => Step::UpgradeFailed,
        }
    }
}

/// One image on its way into a [`FirmwareSink`]: a [`DownloadPlan`] and a [`Verifier`]
/// kept in step, so a chunk is written, hashed and accepted together or not at all.
///
/// The transport stays the caller's: fetch [`Download::next_range`], hand a chunk that
/// arrived whole to [`Download::accept`], call [`Download::fail`] on a loss and fetch the
/// next range again, and end with [`Download::finish`].
///
/// ```
/// use atmodem::aliyun::ota::{Download, FirmwareSink, UpgradeNotice};
/// # struct Ram(Vec<u8>);
/// # impl FirmwareSink for Ram {
/// #     type Error = ();
/// #     fn capacity(&self) -> u32 { 1024 }
/// #     async fn erase(&mut self, _: u32, _: u32) -> Result<(), ()> { Ok(()) }
/// #     async fn write(&mut self, _: u32, b: &[u8]) -> Result<(), ()> { self.0.extend_from_slice(b); Ok(()) }
/// #     async fn finish(&mut self) -> Result<(), ()> { Ok(()) }
/// # }
/// // python3 -c "import hashlib;print(hashlib.sha256(b'hello').hexdigest())"
/// let push = br#"{"code":"1000","data":{"size":5,"version":"2","url":"https://h/p","sign":"2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824","signMethod":"SHA256"}}"#;
/// let fw = UpgradeNotice::parse(push)?.firmware;
/// let mut sink = Ram(Vec::new());
/// embassy_futures::block_on(async {
///     let mut dl = Download::start(&fw, 2, 3, &mut sink).await?;
///     while let Some(r) = dl.next_range() {
///         let chunk = &b"hello"[r.offset as usize..r.end() as usize]; // from the network
///         dl.accept(&mut sink, r, chunk).await?;
///     }
///     dl.finish(&mut sink).await
/// })?;
/// assert_eq!(sink.0, b"hello");
/// # Ok::<(), Box<dyn core::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct Download {
    plan: DownloadPlan,
    verifier: Verifier,
    reported: Option<u8>,
}

impl Download {
    /// Check `firmware` against `sink`'s capacity and digest support, then erase room for
    /// it: a too-large image ([`PlanError::TooLarge`]) or an unsupported or malformed
    /// digest ([`VerifyError`]) is refused before the sink is touched. Chunks are `chunk`
    /// bytes; each range may fail `max_retries` times.
    ///
    /// ```
    /// use atmodem::aliyun::ota::{Download, DownloadError, PlanError, UpgradeNotice};
    /// # use atmodem::aliyun::ota::FirmwareSink;
    /// # struct Ram(Vec<u8>);
    /// # impl FirmwareSink for Ram {
    /// #     type Error = ();
    /// #     fn capacity(&self) -> u32 { 1024 }
    /// #     async fn erase(&mut self, _: u32, _: u32) -> Result<(), ()> { Ok(()) }
    /// #     async fn write(&mut self, _: u32, b: &[u8]) -> Result<(), ()> { self.0.extend_from_slice(b); Ok(()) }
    /// #     async fn finish(&mut self) -> Result<(), ()> { Ok(()) }
    /// # }
    /// // python3 -c "import hashlib;print(hashlib.sha256(b'hello').hexdigest())"
    /// let push = br#"{"code":"1000","data":{"size":5,"version":"2","url":"https://h/p","sign":"2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824","signMethod":"SHA256"}}"#;
    /// let fw = UpgradeNotice::parse(push)?.firmware;
    /// let mut sink = Ram(Vec::new());
    /// let dl = embassy_futures::block_on(Download::start(&fw, 2, 3, &mut sink))?;
    /// assert_eq!(dl.plan().size(), 5);
    /// // A sink too small for the image is refused before it is touched.
    /// # struct Tiny;
    /// # impl FirmwareSink for Tiny {
    /// #     type Error = ();
    /// #     fn capacity(&self) -> u32 { 4 }
    /// #     async fn erase(&mut self, _: u32, _: u32) -> Result<(), ()> { panic!() }
    /// #     async fn write(&mut self, _: u32, _: &[u8]) -> Result<(), ()> { panic!() }
    /// #     async fn finish(&mut self) -> Result<(), ()> { panic!() }
    /// # }
    /// let e = embassy_futures::block_on(Download::start(&fw, 2, 3, &mut Tiny)).unwrap_err();
    /// assert!(matches!(e, DownloadError::Plan(PlanError::TooLarge { .. })));
    /// # Ok::<(), Box<dyn core::error::Error>>(())
    /// ```
    pub async fn start<S: FirmwareSink>(
        firmware: &Firmware<'_>,
        chunk: u32,
        max_retries: u8,
        sink: &mut S,
    ) -> Result<Self, DownloadError<S::Error>> {
        let plan = DownloadPlan::new(firmware.size, chunk, sink.capacity(), max_retries)
            .map_err(DownloadError::Plan)?;
        let verifier = Verifier::for_firmware(firmware).map_err(DownloadError::Verify)?;
        sink.erase(0, firmware.size)
            .await
            .map_err(DownloadError::Sink)?;
        Ok(Self {
            plan,
            verifier,
            reported: None,
        })
    }

    /// The next chunk to fetch ([`DownloadPlan::next_range`]); `None` when every byte is in.
    ///
    /// ```
    /// use atmodem::aliyun::ota::{ByteRange, Download, UpgradeNotice};
    /// # use atmodem::aliyun::ota::FirmwareSink;
    /// # struct Ram(Vec<u8>);
    /// # impl FirmwareSink for Ram {
    /// #     type Error = ();
    /// #     fn capacity(&self) -> u32 { 1024 }
    /// #     async fn erase(&mut self, _: u32, _: u32) -> Result<(), ()> { Ok(()) }
    /// #     async fn write(&mut self, _: u32, b: &[u8]) -> Result<(), ()> { self.0.extend_from_slice(b); Ok(()) }
    /// #     async fn finish(&mut self) -> Result<(), ()> { Ok(()) }
    /// # }
    /// // python3 -c "import hashlib;print(hashlib.sha256(b'hello').hexdigest())"
    /// let push = br#"{"code":"1000","data":{"size":5,"version":"2","url":"https://h/p","sign":"2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824","signMethod":"SHA256"}}"#;
    /// let fw = UpgradeNotice::parse(push)?.firmware;
    /// let mut sink = Ram(Vec::new());
    /// let dl = embassy_futures::block_on(Download::start(&fw, 2, 3, &mut sink))?;
    /// assert_eq!(dl.next_range(), Some(ByteRange { offset: 0, len: 2 }));
    /// # Ok::<(), Box<dyn core::error::Error>>(())
    /// ```
    #[must_use]
    pub fn next_range(&self) -> Option<ByteRange> {
        self.plan.next_range()
    }

    /// The plan, for [`DownloadPlan::rest`], [`DownloadPlan::percent`] and the like.
    ///
    /// ```
    /// use atmodem::aliyun::ota::{Download, UpgradeNotice};
    /// # use atmodem::aliyun::ota::FirmwareSink;
    /// # struct Ram(Vec<u8>);
    /// # impl FirmwareSink for Ram {
    /// #     type Error = ();
    /// #     fn capacity(&self) -> u32 { 1024 }
    /// #     async fn erase(&mut self, _: u32, _: u32) -> Result<(), ()> { Ok(()) }
    /// #     async fn write(&mut self, _: u32, b: &[u8]) -> Result<(), ()> { self.0.extend_from_slice(b); Ok(()) }
    /// #     async fn finish(&mut self) -> Result<(), ()> { Ok(()) }
    /// # }
    /// // python3 -c "import hashlib;print(hashlib.sha256(b'hello').hexdigest())"
    /// let push = br#"{"code":"1000","data":{"size":5,"version":"2","url":"https://h/p","sign":"2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824","signMethod":"SHA256"}}"#;
    /// let fw = UpgradeNotice::parse(push)?.firmware;
    /// let mut sink = Ram(Vec::new());
    /// let mut dl = embassy_futures::block_on(Download::start(&fw, 2, 3, &mut sink))?;
    /// let r = dl.next_range().unwrap();
    /// embassy_futures::block_on(dl.accept(&mut sink, r, b"he"))?;
    /// assert_eq!((dl.plan().percent(), dl.plan().size()), (40, 5));
    /// # Ok::<(), Box<dyn core::error::Error>>(())
    /// ```
    #[must_use]
    pub const fn plan(&self) -> &DownloadPlan {
        &self.plan
    }

    /// A chunk that arrived whole: `bytes` must be all of `range`, which must be
    /// [`Download::next_range`] (else [`PlanError::Unexpected`], nothing written). It is
    /// written to `sink`, fed to the verifier and accepted. After a sink error, give up
    /// (report [`DownloadError::step`]).
    ///
    /// ```
    /// use atmodem::aliyun::ota::{ByteRange, Download, DownloadError, PlanError, UpgradeNotice};
    /// # use atmodem::aliyun::ota::FirmwareSink;
    /// # struct Ram(Vec<u8>);
    /// # impl FirmwareSink for Ram {
    /// #     type Error = ();
    /// #     fn capacity(&self) -> u32 { 1024 }
    /// #     async fn erase(&mut self, _: u32, _: u32) -> Result<(), ()> { Ok(()) }
    /// #     async fn write(&mut self, _: u32, b: &[u8]) -> Result<(), ()> { self.0.extend_from_slice(b); Ok(()) }
    /// #     async fn finish(&mut self) -> Result<(), ()> { Ok(()) }
    /// # }
    /// // python3 -c "import hashlib;print(hashlib.sha256(b'hello').hexdigest())"
    /// let push = br#"{"code":"1000","data":{"size":5,"version":"2","url":"https://h/p","sign":"2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824","signMethod":"SHA256"}}"#;
    /// let fw = UpgradeNotice::parse(push)?.firmware;
    /// let mut sink = Ram(Vec::new());
    /// let mut dl = embassy_futures::block_on(Download::start(&fw, 2, 3, &mut sink))?;
    /// # embassy_futures::block_on(async {
    /// let r = dl.next_range().unwrap();
    /// // A short chunk is refused and nothing is written.
    /// let e = dl.accept(&mut sink, r, b"h").await.unwrap_err();
    /// assert!(matches!(e, DownloadError::Plan(PlanError::Unexpected)));
    /// dl.accept(&mut sink, r, b"he").await.unwrap();
    /// assert_eq!(dl.next_range(), Some(ByteRange { offset: 2, len: 2 }));
    /// # });
    /// assert_eq!(sink.0, b"he");
    /// # Ok::<(), Box<dyn core::error::Error>>(())
    /// ```
    pub async fn accept<S: FirmwareSink>(
        &mut self,
        sink: &mut S,
        range: ByteRange,
        bytes: &[u8],
    ) -> Result<(), DownloadError<S::Error>> {
        let whole = u32::try_from(bytes.len()).ok() == Some(range.len);
        if !whole || self.plan.next_range() != Some(range) {
            return Err(DownloadError::Plan(PlanError::Unexpected));
        }
        sink.write(range.offset, bytes)
            .await
            .map_err(DownloadError::Sink)?;
        self.verifier
            .update(range.offset, bytes)
            .map_err(DownloadError::Verify)?;
        self.plan.accept(range).map_err(DownloadError::Plan)
    }

    /// The current range was lost (link down, module reboot): the range to fetch again,
    /// from the last accepted byte, or [`PlanError::RetriesExhausted`].
    ///
    /// ```
    /// # use atmodem::aliyun::ota::{ByteRange, Download, FirmwareSink, UpgradeNotice};
    /// # struct Ram;
    /// # impl FirmwareSink for Ram {
    /// #     type Error = ();
    /// #     fn capacity(&self) -> u32 { 1024 }
    /// #     async fn erase(&mut self, _: u32, _: u32) -> Result<(), ()> { Ok(()) }
    /// #     async fn write(&mut self, _: u32, _: &[u8]) -> Result<(), ()> { Ok(()) }
    /// #     async fn finish(&mut self) -> Result<(), ()> { Ok(()) }
    /// # }
    /// let push = br#"{"code":"1000","data":{"size":5,"version":"2","url":"https://h/p","sign":"2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824","signMethod":"SHA256"}}"#;
    /// let fw = UpgradeNotice::parse(push)?.firmware;
    /// let mut dl = embassy_futures::block_on(Download::start(&fw, 2, 0, &mut Ram))?;
    /// assert!(dl.fail().is_err()); // no retry allowed
    /// # Ok::<(), Box<dyn core::error::Error>>(())
    /// ```
    pub fn fail(&mut self) -> Result<ByteRange, PlanError> {
        self.plan.fail()
    }

    /// A [`Step::Percent`] to report when progress reached `every` percent more than the
    /// last report (the first call reports at once, 0 included; 100 is always reported
    /// once), else `None` — Link SDK's demo reports every 5 %.
    ///
    /// ```
    /// # use atmodem::aliyun::ota::{Download, FirmwareSink, Step, UpgradeNotice};
    /// # struct Ram;
    /// # impl FirmwareSink for Ram {
    /// #     type Error = ();
    /// #     fn capacity(&self) -> u32 { 1024 }
    /// #     async fn erase(&mut self, _: u32, _: u32) -> Result<(), ()> { Ok(()) }
    /// #     async fn write(&mut self, _: u32, _: &[u8]) -> Result<(), ()> { Ok(()) }
    /// #     async fn finish(&mut self) -> Result<(), ()> { Ok(()) }
    /// # }
    /// let push = br#"{"code":"1000","data":{"size":5,"version":"2","url":"https://h/p","sign":"2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824","signMethod":"SHA256"}}"#;
    /// let fw = UpgradeNotice::parse(push)?.firmware;
    /// let mut dl = embassy_futures::block_on(Download::start(&fw, 2, 0, &mut Ram))?;
    /// assert_eq!(dl.progress_due(5), Some(Step::Percent(0)));
    /// assert_eq!(dl.progress_due(5), None);
    /// # Ok::<(), Box<dyn core::error::Error>>(())
    /// ```
    pub fn progress_due(&mut self, every: u8) -> Option<Step> {
        let now = self.plan.percent();
        let due = match self.reported {
            None => true,
            Some(last) => now > last && (now == 100 || now.saturating_sub(last) >= every),
        };
        due.then(|| {
            self.reported = Some(now);
            Step::Percent(now)
        })
    }

    /// Flush the sink and check the image: `Ok` only when every byte is in and the digest
    /// matches ([`VerifyError::Incomplete`] / [`VerifyError::Mismatch`] otherwise). Then
    /// activate the image and, after the reboot, report the new version.
    ///
    /// ```
    /// use atmodem::aliyun::ota::{Download, DownloadError, UpgradeNotice, VerifyError};
    /// # use atmodem::aliyun::ota::FirmwareSink;
    /// # struct Ram(Vec<u8>);
    /// # impl FirmwareSink for Ram {
    /// #     type Error = ();
    /// #     fn capacity(&self) -> u32 { 1024 }
    /// #     async fn erase(&mut self, _: u32, _: u32) -> Result<(), ()> { Ok(()) }
    /// #     async fn write(&mut self, _: u32, b: &[u8]) -> Result<(), ()> { self.0.extend_from_slice(b); Ok(()) }
    /// #     async fn finish(&mut self) -> Result<(), ()> { Ok(()) }
    /// # }
    /// // python3 -c "import hashlib;print(hashlib.sha256(b'hello').hexdigest())"
    /// let push = br#"{"code":"1000","data":{"size":5,"version":"2","url":"https://h/p","sign":"2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824","signMethod":"SHA256"}}"#;
    /// let fw = UpgradeNotice::parse(push)?.firmware;
    /// let mut sink = Ram(Vec::new());
    /// # embassy_futures::block_on(async {
    /// let mut dl = Download::start(&fw, 5, 3, &mut sink).await.unwrap();
    /// let r = dl.next_range().unwrap();
    /// dl.accept(&mut sink, r, b"hello").await.unwrap();
    /// dl.finish(&mut sink).await.unwrap(); // every byte in, SHA-256 matches
    /// // Finishing early is refused.
    /// let early = Download::start(&fw, 5, 3, &mut sink).await.unwrap();
    /// let e = early.finish(&mut sink).await.unwrap_err();
    /// assert!(matches!(e, DownloadError::Verify(VerifyError::Incomplete { fed: 0, size: 5 })));
    /// # });
    /// # Ok::<(), Box<dyn core::error::Error>>(())
    /// ```
    pub async fn finish<S: FirmwareSink>(
        self,
        sink: &mut S,
    ) -> Result<(), DownloadError<S::Error>> {
        if !self.plan.is_complete() {
            return Err(DownloadError::Verify(VerifyError::Incomplete {
                fed: self.verifier.fed(),
                size: self.plan.size(),
            }));
        }
        sink.finish().await.map_err(DownloadError::Sink)?;
        self.verifier.finish().map_err(DownloadError::Verify)
    }
}

// ---------------------------------------------------------------------------------------
// The download over a modem

/// The longest package URL [`download`] sends, in bytes once its JSON escapes are decoded
/// (OSS pre-signed URLs are a few hundred bytes).
pub const MAX_OTA_URL: usize = 1024;

/// How [`download`] runs: where it reports, how often, and the module's HTTP times.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Transfer {
    /// The MQTT session the progress reports are published on; after a reconnect, set the
    /// new session's handle before calling [`download`] again.
    pub session: Session,
    /// Report progress every this many percent ([`Download::progress_due`]; Link SDK's
    /// demo: 5).
    pub report_every: u8,
    /// The module's HTTP times for each range.
    pub timing: HttpTiming,
    /// The Alink `id` of the next report; each report takes one.
    pub next_id: u64,
}

impl Transfer {
    /// Reports on `session`, a report every 5 %, 60 s HTTP times, ids from 1.
    ///
    /// ```
    /// use atmodem::client::Links;
    /// let t = atmodem::aliyun::ota::Transfer::new(Links::default().session(0));
    /// assert_eq!((t.report_every, t.next_id, t.timing.response_secs), (5, 1, 60));
    /// ```
    #[must_use]
    pub const fn new(session: Session) -> Self {
        Self {
            session,
            report_every: 5,
            timing: HttpTiming {
                url_input_secs: 60,
                body_input_secs: 60,
                response_secs: 60,
                read_secs: 60,
            },
            next_id: 1,
        }
    }
}

/// Why [`download`] stopped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum FetchError<E, S> {
    /// The link, the bearer or the module went down ([`ModemError::SessionDown`],
    /// [`ModemError::Rebooted`], the transport), a progress report could not be published
    /// (the link is down), or the modem refused a call outright (an encoding error,
    /// [`ModemError::QueueFull`]). The [`Download`] keeps every accepted byte: bring the
    /// module up again and call [`download`] again to resume.
    #[error("modem: {0}")]
    Modem(ModemError<E>),
    /// The download failed for good; its [`DownloadError::step`] was reported on
    /// [`Topic::OtaProgress`] (if the link still carried it).
    #[error("{0}")]
    Download(DownloadError<S>),
    /// The package URL does not decode into [`MAX_OTA_URL`] bytes.
    #[error("{0}")]
    Ota(OtaError),
    /// The package comes over MQTT ([`Source::Mqtt`]), not HTTPS.
    #[error("the package is not served over HTTPS")]
    NotHttps,
    /// `chunk_buf` is shorter than a chunk of the [`Download`].
    #[error("chunk buffer shorter than a {chunk}-byte chunk")]
    BufferTooSmall {
        /// The chunk's length.
        chunk: u32,
    },
}

/// Whether a failed range is worth asking for again at once: the module answered (an HTTP
/// failure, a wrong status or length, a timeout), as opposed to the link or module being
/// down, or a call that cannot work.
const fn retry_in_place<E>(e: &ModemError<E>) -> bool {
    matches!(
        e,
        ModemError::Action(_)
            | ModemError::Timeout(_)
            | ModemError::Error { .. }
            | ModemError::Cme { .. }
            | ModemError::NoDataPhase { .. }
            | ModemError::Incomplete { .. }
            | ModemError::Parse(_)
            | ModemError::ResponseTooLong
    )
}

/// Whether the range in flight was lost to this error (and is to be [`Download::fail`]ed).
const fn lost_range<E>(e: &ModemError<E>) -> bool {
    matches!(
        e,
        ModemError::SessionDown
            | ModemError::Rebooted
            | ModemError::Transport(_)
            | ModemError::Closed
            | ModemError::QueueFull
    )
}

/// Publish the progress report `step` of `firmware`'s module on `device`'s
/// [`Topic::OtaProgress`] with QoS 0, as Link SDK C 4.x does (`_ota_publish_base` in
/// `components/ota/aiot_ota_api.c` publishes with QoS 0); the report's id is
/// `transfer.next_id`, which then moves on. Use it for a step [`download`] cannot report
/// itself, such as the `-1` of a [`Download::start`] that refused the image.
///
/// A publish that fails is its modem error (`Error::Timeout` when the module does not
/// answer, `Error::Rebooted` or `Error::SessionDown` when the module or the link went down:
/// the report is lost, send it again after the reconnect); a report that cannot be written
/// (a very long module name) is [`ModemError::Encode`], nothing sent. Dropped, it is like a
/// dropped `Mqtt::mqtt_publish`: the report may or may not have gone out.
///
/// ```no_run
/// # async fn demo<M: atmodem::client::Mqtt<Error = atmodem::client::Error<E>>, E>(
/// #     modem: &mut M, fw: &atmodem::aliyun::ota::Firmware<'_>,
/// # ) -> Result<(), atmodem::client::Error<E>> {
/// use atmodem::aliyun::ota::{Step, Transfer, report_step};
/// use atmodem::aliyun::thing::Device;
/// use atmodem::client::Mqtt;
/// let dev = Device::new("a1FlqIQabcd", "device1").unwrap();
/// let mut transfer = Transfer::new(modem.mqtt_session(0));
/// report_step(modem, &dev, fw, &mut transfer, Step::UpgradeFailed, "image too large").await?;
/// # Ok(()) }
/// ```
pub async fn report_step<M, E>(
    modem: &mut M,
    device: &Device<'_>,
    firmware: &Firmware<'_>,
    transfer: &mut Transfer,
    step: Step,
    desc: &str,
) -> Result<(), ModemError<E>>
where
    M: Mqtt<Error = ModemError<E>>,
{
    use crate::codec::EncodeError;
    let mut topic = ThingTopic::new();
    device
        .topic(Topic::OtaProgress, &mut topic)
        .map_err(|_| EncodeError::BufferFull)?;
    let mut buf = [0u8; 256];
    let id = transfer.next_id;
    transfer.next_id = id.wrapping_add(1);
    let json = write_progress(id, step, desc, firmware.module, &mut buf).map_err(|e| match e {
        OtaError::Invalid { field, .. } => EncodeError::InvalidArgument(field.name()),
        _ => EncodeError::BufferFull,
    })?;
    modem
        .mqtt_publish(transfer.session, &topic, json.as_bytes(), 0, false)
        .await
}

/// Report the progress if one is due ([`Download::progress_due`]); a report that could not
/// be published stays due.
async fn report_due<M, E, S>(
    modem: &mut M,
    device: &Device<'_>,
    firmware: &Firmware<'_>,
    download: &mut Download,
    transfer: &mut Transfer,
) -> Result<(), FetchError<E, S>>
where
    M: Mqtt<Error = ModemError<E>>,
{
    let before = download.reported;
    let Some(step) = download.progress_due(transfer.report_every) else {
        return Ok(());
    };
    let sent = report_step(modem, device, firmware, transfer, step, "").await;
    if sent.is_err() {
        download.reported = before;
    }
    sent.map_err(FetchError::Modem)
}

/// Report a failure's step (best effort: the failure is what the caller hears of) and
/// hand the failure back.
async fn give_up<M, E, S>(
    modem: &mut M,
    device: &Device<'_>,
    firmware: &Firmware<'_>,
    transfer: &mut Transfer,
    e: DownloadError<S>,
) -> FetchError<E, S>
where
    M: Mqtt<Error = ModemError<E>>,
{
    let desc = match e.step() {
        Step::DownloadFailed => "download failed",
        Step::VerifyFailed => "digest mismatch",
        Step::FlashFailed => "flash write failed",
        _ => "upgrade failed",
    };
    let _ = report_step(modem, device, firmware, transfer, e.step(), desc).await;
    FetchError::Download(e)
}

/// Download `firmware` into `sink` over the modem's HTTP, range by range, reporting progress
/// on the device's [`Topic::OtaProgress`]; `Ok` once [`Download::finish`] verified the digest.
///
/// `download` comes from [`Download::start`], which refuses an image larger than the sink
/// before any request. Each [`Download::next_range`] is fetched with
/// [`Http::http_get_range`] into `chunk_buf` (at least one chunk long) and
/// [`Download::accept`]ed only when it arrived whole with `206`. A range the module
/// answered badly (an HTTP failure, `200` instead of `206`, a wrong length, a timeout) is
/// [`Download::fail`]ed and asked for again at once; past the plan's retries the download
/// fails with `-2`.
///
/// Reports ([`report_step`], QoS 0): the percent when the call starts (0 the first time)
/// and every `transfer.report_every` percent, `100` only after the digest matched, and the
/// failure's [`DownloadError::step`] (`-2` download, `-3` digest, `-4` flash) before
/// [`FetchError::Download`].
///
/// **Resumable**: when the link or the module goes down ([`FetchError::Modem`]), the range
/// in flight is failed and `download` keeps every accepted byte; bring the module up again
/// (bearer, MQTT session) and call `download` again with the same `download`: it resumes at
/// [`DownloadPlan::verified`]. A progress report lost with the link is sent by the next
/// call. Called again after it succeeded, it verifies again and reports nothing.
///
/// A range that times out is failed and fetched again, within the plan's retries; a module
/// reboot (`Error::Rebooted`) ends the call with [`FetchError::Modem`], the state intact.
/// Dropped (cancelled) while a range is being fetched, the call leaves `download` at the last
/// accepted range: the next call fetches that range again whole, and nothing is hashed twice.
/// Dropped while a chunk is being written to the sink, the sink may hold part of it while the
/// plan does not: start the download again (`Download::start`) rather than resume.
///
/// ```no_run
/// use atmodem::aliyun::ota::{Download, FetchError, Transfer, UpgradeNotice, download};
/// use atmodem::aliyun::thing::Device;
/// # use atmodem::aliyun::ota::FirmwareSink;
/// # async fn demo<M, E, S: FirmwareSink>(modem: &mut M, sink: &mut S, push: &[u8]) -> Result<(), Box<dyn core::error::Error>>
/// # where M: atmodem::client::Http<Error = atmodem::client::Error<E>> + atmodem::client::Mqtt,
/// #       E: core::fmt::Debug + 'static, S::Error: core::fmt::Debug + 'static {
/// let dev = Device::new("a1FlqIQabcd", "device1")?;
/// let fw = UpgradeNotice::parse(push)?.firmware;
/// let mut dl = Download::start(&fw, 2048, 3, sink).await.map_err(|_| "refused")?;
/// let mut buf = [0u8; 2048];
/// # use atmodem::client::Mqtt;
/// let mut transfer = Transfer::new(modem.mqtt_session(0)); // the session's handle
/// loop {
///     match download(modem, &dev, &fw, &mut dl, sink, &mut buf, &mut transfer).await {
///         Ok(()) => break, // activate the image, reboot, report the new version
///         Err(FetchError::Modem(_)) => {
///             // Bring the bearer and MQTT up again: `transfer.session` = the new handle.
///         }
///         Err(_) => return Err("upgrade failed".into()),
///     }
/// }
/// # Ok(()) }
/// ```
pub async fn download<M, E, S>(
    modem: &mut M,
    device: &Device<'_>,
    firmware: &Firmware<'_>,
    download: &mut Download,
    sink: &mut S,
    chunk_buf: &mut [u8],
    transfer: &mut Transfer,
) -> Result<(), FetchError<E, S::Error>>
where
    M: Http<Error = ModemError<E>> + Mqtt,
    S: FirmwareSink,
{
    let Source::Https(url) = firmware.source else {
        return Err(FetchError::NotHttps);
    };
    let mut url_buf = [0u8; MAX_OTA_URL];
    let url = url.unescape_into(&mut url_buf).map_err(FetchError::Ota)?;
    if let Some(first) = download.next_range() {
        if usize::try_from(first.len).map_or(true, |n| n > chunk_buf.len()) {
            return Err(FetchError::BufferTooSmall { chunk: first.len });
        }
        report_due(modem, device, firmware, download, transfer).await?;
    }
    while let Some(range) = download.next_range() {
        let got = modem
            .http_get_range(url, range.offset, range.len, transfer.timing, chunk_buf)
            .await;
        match got {
            Ok(r) => {
                let bytes = chunk_buf.get(..r.len).unwrap_or_default();
                if let Err(e) = download.accept(sink, range, bytes).await {
                    return Err(give_up(modem, device, firmware, transfer, e).await);
                }
                if download.plan().is_complete() {
                    break;
                }
                report_due(modem, device, firmware, download, transfer).await?;
            }
            Err(e) if retry_in_place(&e) || lost_range(&e) => {
                if let Err(p) = download.fail() {
                    let failed = DownloadError::Plan(p);
                    return Err(give_up(modem, device, firmware, transfer, failed).await);
                }
                if lost_range(&e) {
                    return Err(FetchError::Modem(e));
                }
            }
            Err(e) => return Err(FetchError::Modem(e)),
        }
    }
    // `finish` takes the download; a copy is finished so that the caller's stays complete
    // (and a call after a lost report verifies again).
    if let Err(e) = download.clone().finish(sink).await {
        return Err(give_up(modem, device, firmware, transfer, e).await);
    }
    report_due(modem, device, firmware, download, transfer).await
}
