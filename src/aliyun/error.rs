//! Errors of the Aliyun module: which Aliyun field was refused and why, and the failures of
//! signing and of reading the platform's replies.

use super::sign::SignMethod;

/// An Aliyun request or reply field, named as the platform spells it on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Field {
    /// `productKey`
    ProductKey,
    /// `deviceName`
    DeviceName,
    /// `deviceSecret`
    DeviceSecret,
    /// `productSecret`
    ProductSecret,
    /// `clientId`
    ClientId,
    /// `random`
    Random,
    /// `timestamp`
    Timestamp,
    /// `instanceId`
    InstanceId,
    /// `region` (the region id inside host names, e.g. `cn-shanghai`)
    Region,
    /// `signmethod` (MQTT client id, `/auth/devicename`, HTTP channel)
    SignMethod,
    /// `signMethod` (capital M: the HTTPS `/auth/register/device` form field)
    SignMethodRegister,
    /// `securemode`
    SecureMode,
    /// `authType`
    AuthType,
    /// `deviceToken`
    DeviceToken,
    /// `iotId` (`deviceId` in some replies)
    IotId,
    /// `iotToken`
    IotToken,
    /// `token` (HTTP channel `/auth` reply)
    Token,
    /// `version`
    Version,
    /// `resources`
    Resources,
    /// `host` (`data.resources.mqtt.host` of an `/auth/devicename` reply)
    Host,
    /// `port` (`data.resources.mqtt.port` of an `/auth/devicename` reply)
    Port,
    /// `topic` (a user topic name)
    Topic,
    /// `code` (status code of a reply)
    Code,
    /// `params` (the properties of an Alink message)
    Params,
}

impl Field {
    /// The field's name as Aliyun writes it.
    ///
    /// ```
    /// use atmodem::aliyun::Field;
    /// assert_eq!(Field::ProductKey.name(), "productKey");
    /// assert_eq!(Field::ClientId.name(), "clientId");
    /// ```
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::ProductKey => "productKey",
            Self::DeviceName => "deviceName",
            Self::DeviceSecret => "deviceSecret",
            Self::ProductSecret => "productSecret",
            Self::ClientId => "clientId",
            Self::Random => "random",
            Self::Timestamp => "timestamp",
            Self::InstanceId => "instanceId",
            Self::Region => "region",
            Self::SignMethod => "signmethod",
            Self::SignMethodRegister => "signMethod",
            Self::SecureMode => "securemode",
            Self::AuthType => "authType",
            Self::DeviceToken => "deviceToken",
            Self::IotId => "iotId",
            Self::IotToken => "iotToken",
            Self::Token => "token",
            Self::Version => "version",
            Self::Resources => "resources",
            Self::Host => "host",
            Self::Port => "port",
            Self::Topic => "topic",
            Self::Code => "code",
            Self::Params => "params",
        }
    }
}

impl core::fmt::Display for Field {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a field value was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Problem {
    /// The value is empty but the field requires one.
    #[error("empty")]
    Empty,
    /// The value is shorter than the field's minimum length.
    #[error("too short")]
    TooShort,
    /// The value is longer than the field's maximum length.
    #[error("too long")]
    TooLong,
    /// The value holds a character the field does not allow (this includes every
    /// non-ASCII character and whitespace).
    #[error("character not allowed")]
    BadCharacter,
    /// The value is not one of the names the field knows.
    #[error("unknown value")]
    Unknown,
    /// The value is well formed but not allowed in this flow (e.g. `securemode=3` for a
    /// dynamic registration, or omitting `signmethod` with a method other than hmacmd5).
    #[error("not allowed in this flow")]
    NotAllowed,
    /// The value contradicts another value of the same request or reply.
    #[error("does not match")]
    Mismatch,
    /// The value is not exactly one JSON object (or nests deeper than allowed).
    #[error("not exactly one JSON object")]
    NotJsonObject,
}

/// Failure to validate, sign or format an Aliyun credential.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Error {
    /// A field failed validation; nothing was signed.
    #[error("invalid {field}: {problem}")]
    Invalid {
        /// The Aliyun field.
        field: Field,
        /// What is wrong with it.
        problem: Problem,
    },
    /// The sign method is known but its hash was left out of this build (features `md5`
    /// and `sha1`).
    #[error("sign method {0} is not enabled in this build")]
    UnsupportedSignMethod(SignMethod),
    /// An output did not fit its buffer. Never returned for inputs that pass validation
    /// with the crate's own buffers.
    #[error("output does not fit its buffer")]
    Capacity,
}

impl Error {
    /// Shorthand for [`Error::Invalid`].
    ///
    /// ```
    /// use atmodem::aliyun::{Error, Field, Problem};
    /// let e = Error::invalid(Field::DeviceName, Problem::TooShort);
    /// assert_eq!(e, Error::Invalid { field: Field::DeviceName, problem: Problem::TooShort });
    /// ```
    #[must_use]
    pub const fn invalid(field: Field, problem: Problem) -> Self {
        Self::Invalid { field, problem }
    }

    /// The field named by an [`Error::Invalid`], if this is one.
    ///
    /// ```
    /// use atmodem::aliyun::{Error, Field, validate};
    /// let e = validate::product_key("").unwrap_err();
    /// assert_eq!(e.field(), Some(Field::ProductKey));
    /// assert_eq!(Error::Capacity.field(), None);
    /// ```
    #[must_use]
    pub const fn field(&self) -> Option<Field> {
        match self {
            Self::Invalid { field, .. } => Some(*field),
            _ => None,
        }
    }
}
