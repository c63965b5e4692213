//! Field validation: every value is checked here before anything is signed or formatted.
//!
//! The rules are the library's policy, built from Aliyun's documented limits and the buffer
//! sizes of Aliyun's own device SDKs. Every rule refuses non-ASCII text and whitespace.
//!
//! | field | rule |
//! |---|---|
//! | `productKey` | 1–20 ASCII letters or digits |
//! | `deviceName` | 4–32 of `A-Z a-z 0-9 _ . @ : -` |
//! | `deviceSecret`, `productSecret` | 1–64 ASCII letters or digits |
//! | `clientId` | 1–64 visible ASCII characters except `\|`, `,`, `=`, `"` and `\` |
//! | `random` | 1–64 ASCII letters or digits |
//! | `timestamp` | 1–20 decimal digits |
//! | `instanceId` | 1–63 letters, digits or `-`, not starting or ending with `-` (a host-name label) |
//! | `region` | 1–32 of `a-z 0-9 -`, starting with a letter, not ending with `-` |
//! | `deviceToken`, `iotToken`, `token` | 1–128 visible ASCII characters except `"` and `\` |
//! | `iotId` | 1–64 visible ASCII characters except `"` and `\` |
//! | `version` | 1–16 of `A-Z a-z 0-9 _ . -` |
//! | `resources` | 1–32 of `A-Z a-z 0-9 _ . , -` |
//! | `host` | 1–128 of `A-Z a-z 0-9 . -` |
//! | user topic name | 1–64 of `A-Z a-z 0-9 _` in `/`-separated non-empty levels; `+` as a whole level and `#` as the last level |

use super::error::{Error, Field, Problem};

/// Maximum `productKey` length.
pub const MAX_PRODUCT_KEY: usize = 20;
/// Minimum `deviceName` length.
pub const MIN_DEVICE_NAME: usize = 4;
/// Maximum `deviceName` length.
pub const MAX_DEVICE_NAME: usize = 32;
/// Maximum `deviceSecret` / `productSecret` length.
pub const MAX_SECRET: usize = 64;
/// Maximum `clientId` length.
pub const MAX_CLIENT_ID: usize = 64;
/// Maximum `random` length.
pub const MAX_RANDOM: usize = 64;
/// Maximum `timestamp` length (digits).
pub const MAX_TIMESTAMP: usize = 20;
/// Maximum `instanceId` length.
pub const MAX_INSTANCE_ID: usize = 63;
/// Maximum region id length.
pub const MAX_REGION: usize = 32;
/// Maximum `deviceToken` / `iotToken` / HTTP channel `token` length.
pub const MAX_TOKEN: usize = 128;
/// Maximum `iotId` length.
pub const MAX_IOT_ID: usize = 64;
/// Maximum `version` length.
pub const MAX_VERSION: usize = 16;
/// Maximum `resources` length.
pub const MAX_RESOURCES: usize = 32;
/// Maximum host name length accepted from a reply.
pub const MAX_HOST: usize = 128;
/// Maximum user topic name length (the part after `/user/`).
pub const MAX_TOPIC_NAME: usize = 64;

/// Length and character check shared by every rule; characters are checked first.
fn check(
    field: Field,
    value: &str,
    min: usize,
    max: usize,
    allowed: fn(u8) -> bool,
) -> Result<(), Error> {
    if value.is_empty() {
        return Err(Error::invalid(field, Problem::Empty));
    }
    if !value.bytes().all(allowed) {
        return Err(Error::invalid(field, Problem::BadCharacter));
    }
    if value.len() < min {
        return Err(Error::invalid(field, Problem::TooShort));
    }
    if value.len() > max {
        return Err(Error::invalid(field, Problem::TooLong));
    }
    Ok(())
}

const fn alnum(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}

const fn visible(b: u8) -> bool {
    b.is_ascii_graphic()
}

const fn token_char(b: u8) -> bool {
    b.is_ascii_graphic() && b != b'"' && b != b'\\'
}

/// `productKey`: 1–20 ASCII letters or digits.
///
/// ```
/// use atmodem::aliyun::{Error, Field, Problem, validate};
/// assert!(validate::product_key("a1B2c3D4e5F").is_ok());
/// assert_eq!(
///     validate::product_key("a1-b2"),
///     Err(Error::invalid(Field::ProductKey, Problem::BadCharacter))
/// );
/// ```
pub fn product_key(value: &str) -> Result<(), Error> {
    check(Field::ProductKey, value, 1, MAX_PRODUCT_KEY, alnum)
}

/// `deviceName`: 4–32 of `A-Z a-z 0-9 _ . @ : -`.
///
/// ```
/// use atmodem::aliyun::{Error, Field, Problem, validate};
/// assert!(validate::device_name("dev_01@site:a.b-c").is_ok());
/// assert_eq!(
///     validate::device_name("dev"),
///     Err(Error::invalid(Field::DeviceName, Problem::TooShort))
/// );
/// ```
pub fn device_name(value: &str) -> Result<(), Error> {
    check(
        Field::DeviceName,
        value,
        MIN_DEVICE_NAME,
        MAX_DEVICE_NAME,
        |b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'@' | b':' | b'-'),
    )
}

/// `deviceSecret`: 1–64 ASCII letters or digits.
///
/// ```
/// use atmodem::aliyun::{Error, Field, Problem, validate};
/// assert!(validate::device_secret("Xy12ab34Cd56").is_ok());
/// assert_eq!(
///     validate::device_secret(""),
///     Err(Error::invalid(Field::DeviceSecret, Problem::Empty))
/// );
/// ```
pub fn device_secret(value: &str) -> Result<(), Error> {
    check(Field::DeviceSecret, value, 1, MAX_SECRET, alnum)
}

/// `productSecret`: 1–64 ASCII letters or digits.
///
/// ```
/// use atmodem::aliyun::{Error, Field, Problem, validate};
/// assert!(validate::product_secret("Xy12ab34Cd56").is_ok());
/// assert_eq!(
///     validate::product_secret("secret with space"),
///     Err(Error::invalid(Field::ProductSecret, Problem::BadCharacter))
/// );
/// ```
pub fn product_secret(value: &str) -> Result<(), Error> {
    check(Field::ProductSecret, value, 1, MAX_SECRET, alnum)
}

/// `clientId`: 1–64 visible ASCII characters except `|`, `,` and `=` (the delimiters of the
/// MQTT client id extension), `"` (no AT command can carry it inside its quoted client id)
/// and `\` (Luat modules decode it as an escape). So a client id that passes here is one
/// every module family can send: no control byte, space or non-ASCII character either.
///
/// ```
/// use atmodem::aliyun::{Error, Field, Problem, validate};
/// assert!(validate::client_id("i2uqc2dloOl.device001").is_ok());
/// assert_eq!(
///     validate::client_id("a\"b"),
///     Err(Error::invalid(Field::ClientId, Problem::BadCharacter))
/// );
/// ```
pub fn client_id(value: &str) -> Result<(), Error> {
    check(Field::ClientId, value, 1, MAX_CLIENT_ID, |b| {
        visible(b) && !matches!(b, b'|' | b',' | b'=' | b'"' | b'\\')
    })
}

/// `random`: 1–64 ASCII letters or digits.
///
/// ```
/// use atmodem::aliyun::{Error, Field, Problem, validate};
/// assert!(validate::random("8fd3a9b2").is_ok());
/// assert_eq!(
///     validate::random("r-1"),
///     Err(Error::invalid(Field::Random, Problem::BadCharacter))
/// );
/// ```
pub fn random(value: &str) -> Result<(), Error> {
    check(Field::Random, value, 1, MAX_RANDOM, alnum)
}

/// `timestamp`: 1–20 decimal digits.
///
/// ```
/// use atmodem::aliyun::{Error, Field, Problem, validate};
/// assert!(validate::timestamp("1700000000000").is_ok());
/// assert_eq!(
///     validate::timestamp("170000000000000000000"),
///     Err(Error::invalid(Field::Timestamp, Problem::TooLong))
/// );
/// ```
pub fn timestamp(value: &str) -> Result<(), Error> {
    check(Field::Timestamp, value, 1, MAX_TIMESTAMP, |b| {
        b.is_ascii_digit()
    })
}

/// `instanceId`: a host-name label of 1–63 letters, digits or `-`, not starting or ending
/// with `-` (e.g. `iot-06z00hxss3rggno`).
///
/// ```
/// use atmodem::aliyun::{Error, Field, Problem, validate};
/// assert!(validate::instance_id("iot-06z00hxss3rggno").is_ok());
/// assert_eq!(
///     validate::instance_id("-iot"),
///     Err(Error::invalid(Field::InstanceId, Problem::BadCharacter))
/// );
/// ```
pub fn instance_id(value: &str) -> Result<(), Error> {
    check(Field::InstanceId, value, 1, MAX_INSTANCE_ID, |b| {
        b.is_ascii_alphanumeric() || b == b'-'
    })?;
    if value.starts_with('-') || value.ends_with('-') {
        return Err(Error::invalid(Field::InstanceId, Problem::BadCharacter));
    }
    Ok(())
}

/// Region id (e.g. `cn-shanghai`, `ap-southeast-1`): 1–32 of `a-z 0-9 -`, starting with a
/// letter and not ending with `-`.
///
/// ```
/// use atmodem::aliyun::{Error, Field, Problem, validate};
/// assert!(validate::region("ap-southeast-1").is_ok());
/// assert_eq!(
///     validate::region("1cn"),
///     Err(Error::invalid(Field::Region, Problem::BadCharacter))
/// );
/// ```
pub fn region(value: &str) -> Result<(), Error> {
    check(Field::Region, value, 1, MAX_REGION, |b| {
        b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'
    })?;
    let starts_with_letter = value.bytes().next().is_some_and(|b| b.is_ascii_lowercase());
    if !starts_with_letter || value.ends_with('-') {
        return Err(Error::invalid(Field::Region, Problem::BadCharacter));
    }
    Ok(())
}

/// `deviceToken` (from `/ext/regnwl`): 1–128 visible ASCII characters except `"` and `\`.
///
/// ```
/// use atmodem::aliyun::{Error, Field, Problem, validate};
/// assert!(validate::device_token("^1^1681709523062^c5cce0a49b03685").is_ok());
/// assert_eq!(
///     validate::device_token("a\"b"),
///     Err(Error::invalid(Field::DeviceToken, Problem::BadCharacter))
/// );
/// ```
pub fn device_token(value: &str) -> Result<(), Error> {
    check(Field::DeviceToken, value, 1, MAX_TOKEN, token_char)
}

/// `iotToken` (from `/auth/devicename`): 1–128 visible ASCII characters except `"` and `\`.
///
/// ```
/// use atmodem::aliyun::{Error, Field, Problem, validate};
/// assert!(validate::iot_token("ef3ab5e6a5d0e4ac").is_ok());
/// assert_eq!(
///     validate::iot_token("tok en"),
///     Err(Error::invalid(Field::IotToken, Problem::BadCharacter))
/// );
/// ```
pub fn iot_token(value: &str) -> Result<(), Error> {
    check(Field::IotToken, value, 1, MAX_TOKEN, token_char)
}

/// HTTP channel `token`: 1–128 visible ASCII characters except `"` and `\`.
///
/// ```
/// use atmodem::aliyun::{Error, Field, Problem, validate};
/// assert!(validate::http_token("ef3ab5e6a5d0e4ac").is_ok());
/// assert_eq!(
///     validate::http_token(""),
///     Err(Error::invalid(Field::Token, Problem::Empty))
/// );
/// ```
pub fn http_token(value: &str) -> Result<(), Error> {
    check(Field::Token, value, 1, MAX_TOKEN, token_char)
}

/// `iotId` (from `/auth/devicename`): 1–64 visible ASCII characters except `"` and `\`.
///
/// ```
/// use atmodem::aliyun::{Error, Field, Problem, validate};
/// assert!(validate::iot_id("3kkHGvbIYx4mNTpC3bXH000100").is_ok());
/// assert_eq!(
///     validate::iot_id("a\\b"),
///     Err(Error::invalid(Field::IotId, Problem::BadCharacter))
/// );
/// ```
pub fn iot_id(value: &str) -> Result<(), Error> {
    check(Field::IotId, value, 1, MAX_IOT_ID, token_char)
}

/// `version` (of `/auth/devicename`): 1–16 of `A-Z a-z 0-9 _ . -`.
///
/// ```
/// use atmodem::aliyun::{Error, Field, Problem, validate};
/// assert!(validate::version("default").is_ok());
/// assert_eq!(
///     validate::version("1.0+beta"),
///     Err(Error::invalid(Field::Version, Problem::BadCharacter))
/// );
/// ```
pub fn version(value: &str) -> Result<(), Error> {
    check(Field::Version, value, 1, MAX_VERSION, |b| {
        b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-')
    })
}

/// `resources` (of `/auth/devicename`, e.g. `mqtt`): 1–32 of `A-Z a-z 0-9 _ . , -`.
///
/// ```
/// use atmodem::aliyun::{Error, Field, Problem, validate};
/// assert!(validate::resources("mqtt,codec").is_ok());
/// assert_eq!(
///     validate::resources("mqtt;codec"),
///     Err(Error::invalid(Field::Resources, Problem::BadCharacter))
/// );
/// ```
pub fn resources(value: &str) -> Result<(), Error> {
    check(Field::Resources, value, 1, MAX_RESOURCES, |b| {
        b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b',' | b'-')
    })
}

/// A host name taken from a reply: 1–128 of `A-Z a-z 0-9 . -`.
///
/// ```
/// use atmodem::aliyun::{Error, Field, Problem, validate};
/// assert!(validate::host("iot-as-mqtt.cn-shanghai.aliyuncs.com").is_ok());
/// assert_eq!(
///     validate::host("host:1883"),
///     Err(Error::invalid(Field::Host, Problem::BadCharacter))
/// );
/// ```
pub fn host(value: &str) -> Result<(), Error> {
    check(Field::Host, value, 1, MAX_HOST, |b| {
        b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-')
    })
}

/// A user topic name (what follows `/<productKey>/<deviceName>/user/`): 1–64 characters,
/// `/`-separated non-empty levels of `A-Z a-z 0-9 _`; a level may instead be exactly `+`, and
/// the last level may be exactly `#` (subscription wildcards).
///
/// ```
/// use atmodem::aliyun::{Error, Field, Problem, validate};
/// assert!(validate::topic_name("sensors/+/temp").is_ok());
/// assert_eq!(
///     validate::topic_name("a/#/b"),
///     Err(Error::invalid(Field::Topic, Problem::BadCharacter))
/// );
/// ```
pub fn topic_name(value: &str) -> Result<(), Error> {
    check(Field::Topic, value, 1, MAX_TOPIC_NAME, |b| {
        b.is_ascii_alphanumeric() || matches!(b, b'_' | b'/' | b'+' | b'#')
    })?;
    let mut levels = value.split('/').peekable();
    while let Some(level) = levels.next() {
        let last = levels.peek().is_none();
        let ok = match level {
            "" => false,
            "+" => true,
            "#" => last,
            _ => level
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_'),
        };
        if !ok {
            return Err(Error::invalid(Field::Topic, Problem::BadCharacter));
        }
    }
    Ok(())
}
