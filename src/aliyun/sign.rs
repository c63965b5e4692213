//! The one sign rule behind every Aliyun credential, and its primitives.
//!
//! ```text
//! sign    = lower-hex( HMAC_<signmethod>( key = <secret>, msg = content ) )
//! content = for each signed parameter that is present, in ascending ASCII order of its name:
//!           name + value            (no separators)
//! ```
//!
//! HMAC-SHA256 is always available; HMAC-SHA1 and HMAC-MD5 sit behind the default-on `sha1`
//! and `md5` features, so firmware that needs one method pays for one. Asking for a method
//! whose feature is off gives [`Error::UnsupportedSignMethod`], never a build failure.

use hmac::{Hmac, KeyInit, Mac};
use zeroize::Zeroize;

use super::error::{Error, Field, Problem};
use super::secret::Secret;

/// Longest lower-case hex digest (HMAC-SHA256: 64 characters).
pub const HEX_MAX: usize = 64;

/// A lower-case hex HMAC digest. It is a credential (a password or a registration sign),
/// hence a [`Secret`].
pub type Signature = Secret<HEX_MAX>;

/// The HMAC algorithm named by Aliyun's `signmethod`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum SignMethod {
    /// `hmacmd5` (feature `md5`).
    HmacMd5,
    /// `hmacsha1` (feature `sha1`).
    HmacSha1,
    /// `hmacsha256` (always available).
    HmacSha256,
}

impl SignMethod {
    /// The three methods Aliyun accepts.
    pub const ALL: [Self; 3] = [Self::HmacMd5, Self::HmacSha1, Self::HmacSha256];

    /// Lower-case wire name: `hmacmd5`, `hmacsha1` or `hmacsha256`.
    ///
    /// ```
    /// use atmodem::aliyun::SignMethod;
    /// assert_eq!(SignMethod::HmacSha256.wire_name(), "hmacsha256");
    /// assert_eq!(SignMethod::HmacMd5.to_string(), "hmacmd5");
    /// ```
    #[must_use]
    pub const fn wire_name(self) -> &'static str {
        match self {
            Self::HmacMd5 => "hmacmd5",
            Self::HmacSha1 => "hmacsha1",
            Self::HmacSha256 => "hmacsha256",
        }
    }

    /// Parses a method name case-insensitively (`hmacsha1`, `HmacMD5`, `HMACSHA256`, ...).
    ///
    /// Unknown names give [`Error::Invalid`] on `signmethod`. A known name parses even when
    /// its feature is off; signing with it then fails with [`Error::UnsupportedSignMethod`].
    ///
    /// ```
    /// use atmodem::aliyun::SignMethod;
    /// assert_eq!(SignMethod::parse("HmacSHA1"), Ok(SignMethod::HmacSha1));
    /// assert_eq!("hmacmd5".parse::<SignMethod>(), Ok(SignMethod::HmacMd5));
    /// assert!(SignMethod::parse("hmacsha512").is_err());
    /// ```
    pub fn parse(name: &str) -> Result<Self, Error> {
        Self::ALL
            .into_iter()
            .find(|m| m.wire_name().eq_ignore_ascii_case(name))
            .ok_or(Error::invalid(Field::SignMethod, Problem::Unknown))
    }

    /// Whether this build can compute the method.
    ///
    /// ```
    /// use atmodem::aliyun::SignMethod;
    /// // HMAC-SHA256 needs no feature; the others follow `sha1` and `md5`.
    /// assert!(SignMethod::HmacSha256.is_enabled());
    /// assert_eq!(SignMethod::HmacSha1.is_enabled(), cfg!(feature = "sha1"));
    /// ```
    #[must_use]
    pub const fn is_enabled(self) -> bool {
        match self {
            Self::HmacMd5 => cfg!(feature = "md5"),
            Self::HmacSha1 => cfg!(feature = "sha1"),
            Self::HmacSha256 => true,
        }
    }

    /// [`Error::UnsupportedSignMethod`] unless the method is enabled.
    ///
    /// ```
    /// use atmodem::aliyun::SignMethod;
    /// assert_eq!(SignMethod::HmacSha256.ensure_enabled(), Ok(()));
    /// ```
    pub const fn ensure_enabled(self) -> Result<(), Error> {
        if self.is_enabled() {
            Ok(())
        } else {
            Err(Error::UnsupportedSignMethod(self))
        }
    }

    /// Digest length in bytes (16, 20 or 32).
    ///
    /// ```
    /// use atmodem::aliyun::SignMethod;
    /// // RFC 1321 / FIPS 180-4 output sizes.
    /// assert_eq!(SignMethod::ALL.map(SignMethod::digest_len), [16, 20, 32]);
    /// ```
    #[must_use]
    pub const fn digest_len(self) -> usize {
        match self {
            Self::HmacMd5 => 16,
            Self::HmacSha1 => 20,
            Self::HmacSha256 => 32,
        }
    }

    /// Hex digest length in characters (32, 40 or 64).
    ///
    /// ```
    /// use atmodem::aliyun::SignMethod;
    /// assert_eq!(SignMethod::ALL.map(SignMethod::hex_len), [32, 40, 64]);
    /// ```
    #[must_use]
    pub const fn hex_len(self) -> usize {
        match self {
            Self::HmacMd5 => 32,
            Self::HmacSha1 => 40,
            Self::HmacSha256 => 64,
        }
    }
}

impl core::fmt::Display for SignMethod {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.wire_name())
    }
}

impl core::str::FromStr for SignMethod {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// Writes `bytes` as lower-case hex into the start of `out` and returns that text.
/// [`Error::Capacity`] if `out` is shorter than twice `bytes`.
///
/// ```
/// use atmodem::aliyun::sign::hex_lower;
/// let mut out = [0u8; 8];
/// assert_eq!(hex_lower(&[0x00, 0xab, 0x7f], &mut out).unwrap(), "00ab7f");
/// assert!(hex_lower(&[1, 2, 3, 4, 5], &mut out).is_err()); // needs 10 bytes
/// ```
pub fn hex_lower<'b>(bytes: &[u8], out: &'b mut [u8]) -> Result<&'b str, Error> {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let n = bytes.len().checked_mul(2).ok_or(Error::Capacity)?;
    let out = out.get_mut(..n).ok_or(Error::Capacity)?;
    for (pair, b) in out.chunks_exact_mut(2).zip(bytes) {
        let hi = DIGITS.get(usize::from(b >> 4)).copied().unwrap_or(b'0');
        let lo = DIGITS.get(usize::from(b & 0x0f)).copied().unwrap_or(b'0');
        pair.copy_from_slice(&[hi, lo]);
    }
    core::str::from_utf8(out).map_err(|_| Error::Capacity)
}

/// Computes the raw MAC into `out` and returns its length.
fn mac_into<M: Mac + KeyInit>(key: &[u8], message: &[u8], out: &mut [u8]) -> Result<usize, Error> {
    let mut mac = <M as KeyInit>::new_from_slice(key).map_err(|_| Error::Capacity)?;
    mac.update(message);
    let mut digest = mac.finalize().into_bytes();
    let n = digest.len();
    let copied = out
        .get_mut(..n)
        .map(|dst| dst.copy_from_slice(digest.as_slice()));
    digest.as_mut_slice().zeroize();
    copied.map(|()| n).ok_or(Error::Capacity)
}

/// `lower-hex(HMAC_method(key, message))`.
///
/// Keys are used as given (Aliyun secrets are not hex-decoded). Any key and message length is
/// accepted; validation of Aliyun fields happens in the credential builders.
///
/// ```
/// use atmodem::aliyun::SignMethod;
/// use atmodem::aliyun::sign::hmac_hex;
/// // Expected digests computed independently (Python's `hmac` module).
/// let msg = b"The quick brown fox jumps over the lazy dog";
/// let sig = hmac_hex(SignMethod::HmacSha256, b"key", msg).unwrap();
/// assert_eq!(
///     sig.expose(),
///     "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
/// );
/// # #[cfg(feature = "md5")]
/// assert_eq!(
///     hmac_hex(SignMethod::HmacMd5, b"key", msg).unwrap().expose(),
///     "80070713463e7749b90c2dc24911e275"
/// );
/// # #[cfg(feature = "sha1")]
/// assert_eq!(
///     hmac_hex(SignMethod::HmacSha1, b"key", msg).unwrap().expose(),
///     "de7c9b85b8b78aa6bc8a7a36f70a90701c9db4d9"
/// );
/// ```
pub fn hmac_hex(method: SignMethod, key: &[u8], message: &[u8]) -> Result<Signature, Error> {
    method.ensure_enabled()?;
    let mut raw = [0u8; 32];
    let n = match method {
        #[cfg(feature = "md5")]
        SignMethod::HmacMd5 => mac_into::<Hmac<md5::Md5>>(key, message, &mut raw),
        #[cfg(feature = "sha1")]
        SignMethod::HmacSha1 => mac_into::<Hmac<sha1::Sha1>>(key, message, &mut raw),
        SignMethod::HmacSha256 => mac_into::<Hmac<sha2::Sha256>>(key, message, &mut raw),
        #[allow(unreachable_patterns)]
        other => Err(Error::UnsupportedSignMethod(other)),
    };
    let mut hex = [0u8; HEX_MAX];
    let result = n.and_then(|n| {
        let bytes = raw.get(..n).ok_or(Error::Capacity)?;
        let text = hex_lower(bytes, &mut hex)?;
        Secret::try_from_str(text)
    });
    raw.zeroize();
    hex.zeroize();
    result
}

/// Builds the sign content into `out`: sorts `params` by name (ascending ASCII) and appends
/// `name` + `value` for each, with no separators.
///
/// `out` is cleared first. Pass only the parameters that are present and signed.
///
/// ```
/// use atmodem::aliyun::sign::{SignContent, sign_content};
/// // The MQTT password content (aliyun-auth: clientId, deviceName, productKey, timestamp).
/// let mut params = [
///     ("timestamp", "1700000000000"),
///     ("productKey", "a1pk"),
///     ("clientId", "dev1.a1pk"),
///     ("deviceName", "dev1"),
/// ];
/// let mut out = SignContent::new();
/// sign_content(&mut params, &mut out).unwrap();
/// assert_eq!(out, "clientIddev1.a1pkdeviceNamedev1productKeya1pktimestamp1700000000000");
/// ```
pub fn sign_content<const N: usize>(
    params: &mut [(&str, &str)],
    out: &mut heapless::String<N>,
) -> Result<(), Error> {
    params.sort_unstable_by(|a, b| a.0.cmp(b.0));
    out.clear();
    for (name, value) in params.iter() {
        out.push_str(name).map_err(|_| Error::Capacity)?;
        out.push_str(value).map_err(|_| Error::Capacity)?;
    }
    Ok(())
}

/// Capacity of a sign content built by this module (the longest is the device-secret content
/// with every field at its maximum length).
pub const SIGN_CONTENT_CAP: usize = "clientId".len()
    + super::validate::MAX_CLIENT_ID
    + "deviceName".len()
    + super::validate::MAX_DEVICE_NAME
    + "productKey".len()
    + super::validate::MAX_PRODUCT_KEY
    + "timestamp".len()
    + super::validate::MAX_TIMESTAMP;

/// A sign content: the exact text that is signed. It holds no secret.
pub type SignContent = heapless::String<SIGN_CONTENT_CAP>;

/// Content signed with a `deviceSecret` (MQTT login, `/auth/devicename`, HTTP channel):
/// `clientId deviceName productKey [timestamp]`. Inputs must be validated already.
pub(crate) fn device_content(
    client_id: &str,
    device_name: &str,
    product_key: &str,
    timestamp: Option<&str>,
) -> Result<SignContent, Error> {
    let mut content = SignContent::new();
    match timestamp {
        Some(ts) => sign_content(
            &mut [
                ("clientId", client_id),
                ("deviceName", device_name),
                ("productKey", product_key),
                ("timestamp", ts),
            ],
            &mut content,
        )?,
        None => sign_content(
            &mut [
                ("clientId", client_id),
                ("deviceName", device_name),
                ("productKey", product_key),
            ],
            &mut content,
        )?,
    }
    Ok(content)
}

/// Content signed with a `productSecret` (MQTT and HTTPS dynamic registration):
/// `deviceName productKey random`. Inputs must be validated already.
pub(crate) fn registration_content(
    device_name: &str,
    product_key: &str,
    random: &str,
) -> Result<SignContent, Error> {
    let mut content = SignContent::new();
    sign_content(
        &mut [
            ("deviceName", device_name),
            ("productKey", product_key),
            ("random", random),
        ],
        &mut content,
    )?;
    Ok(content)
}
