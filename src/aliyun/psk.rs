//! TLS-PSK identity and key, as Aliyun's Link SDK 4 derives them from the device triple.
//!
//! ```text
//! identity = devicename|hmacsha256|<productKey>&<deviceName>|<timestamp>
//! key      = hex(HMAC-SHA256(deviceSecret, "id"<productKey>"&"<deviceName>"timestamp"<timestamp>))
//! ```
//!
//! The signed text is fixed, not the sorted `name+value` content of the other flows. Only
//! useful on a TLS stack that offers PSK cipher suites.

use heapless::String;

use super::endpoint::push;
use super::error::Error;
use super::secret::SecretRef;
use super::sign::{self, SignContent, SignMethod, Signature};
use super::validate;

/// Timestamp Aliyun's SDKs send when none is given (2050-01-01, in ms).
pub const DEFAULT_TIMESTAMP: &str = "2524608000000";

/// Capacity of a PSK identity.
pub const IDENTITY_CAP: usize = "devicename|hmacsha256|".len()
    + validate::MAX_PRODUCT_KEY
    + 1
    + validate::MAX_DEVICE_NAME
    + 1
    + validate::MAX_TIMESTAMP;

/// A PSK identity and key. The key never reaches `Debug`/`defmt`.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct PskCredentials {
    identity: String<IDENTITY_CAP>,
    key: Signature,
}

impl PskCredentials {
    /// PSK identity, e.g. `devicename|hmacsha256|pk&dn|2524608000000`.
    ///
    /// ```
    /// use atmodem::aliyun::TlsPsk;
    /// // aliyun-auth: psk_id `devicename|hmacsha256|<pk>&<dn>|<ts>`,
    /// // psk = hex(HMAC-SHA256(ds, "id<pk>&<dn>timestamp<ts>")), computed with Python's hmac.
    /// let creds = TlsPsk::new("a1pk", "dev1", "Xy12ab34Cd56").build().unwrap();
    /// assert_eq!(creds.identity(), "devicename|hmacsha256|a1pk&dev1|2524608000000");
    /// assert_eq!(
    ///     creds.key().expose(),
    ///     "5c47a725c962a43d9795799d5125c5372ea1d7de41098f3ea661c3a694fb188c"
    /// );
    /// ```
    #[must_use]
    pub fn identity(&self) -> &str {
        &self.identity
    }

    /// PSK as 64 lower-case hex characters.
    ///
    /// ```
    /// use atmodem::aliyun::TlsPsk;
    /// // aliyun-auth: psk_id `devicename|hmacsha256|<pk>&<dn>|<ts>`,
    /// // psk = hex(HMAC-SHA256(ds, "id<pk>&<dn>timestamp<ts>")), computed with Python's hmac.
    /// let creds = TlsPsk::new("a1pk", "dev1", "Xy12ab34Cd56").build().unwrap();
    /// assert_eq!(creds.identity(), "devicename|hmacsha256|a1pk&dev1|2524608000000");
    /// assert_eq!(
    ///     creds.key().expose(),
    ///     "5c47a725c962a43d9795799d5125c5372ea1d7de41098f3ea661c3a694fb188c"
    /// );
    /// ```
    #[must_use]
    pub const fn key(&self) -> &Signature {
        &self.key
    }
}

/// TLS-PSK credentials of a device (timestamp default [`DEFAULT_TIMESTAMP`]).
#[derive(Clone, Copy, Debug)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct TlsPsk<'a> {
    product_key: &'a str,
    device_name: &'a str,
    device_secret: SecretRef<'a>,
    timestamp: &'a str,
}

impl<'a> TlsPsk<'a> {
    /// PSK credentials for the device triple.
    ///
    /// ```
    /// use atmodem::aliyun::TlsPsk;
    /// // aliyun-auth: psk_id `devicename|hmacsha256|<pk>&<dn>|<ts>`,
    /// // psk = hex(HMAC-SHA256(ds, "id<pk>&<dn>timestamp<ts>")), computed with Python's hmac.
    /// let creds = TlsPsk::new("a1pk", "dev1", "Xy12ab34Cd56").build().unwrap();
    /// assert_eq!(creds.identity(), "devicename|hmacsha256|a1pk&dev1|2524608000000");
    /// assert_eq!(
    ///     creds.key().expose(),
    ///     "5c47a725c962a43d9795799d5125c5372ea1d7de41098f3ea661c3a694fb188c"
    /// );
    /// ```
    #[must_use]
    pub const fn new(product_key: &'a str, device_name: &'a str, device_secret: &'a str) -> Self {
        Self {
            product_key,
            device_name,
            device_secret: SecretRef::new(device_secret),
            timestamp: DEFAULT_TIMESTAMP,
        }
    }

    /// Timestamp in ms (default [`DEFAULT_TIMESTAMP`]).
    ///
    /// ```
    /// use atmodem::aliyun::TlsPsk;
    /// let creds = TlsPsk::new("a1pk", "dev1", "Xy12ab34Cd56").timestamp("1700000000000");
    /// assert_eq!(creds.build().unwrap().identity(), "devicename|hmacsha256|a1pk&dev1|1700000000000");
    /// ```
    #[must_use]
    pub const fn timestamp(mut self, timestamp: &'a str) -> Self {
        self.timestamp = timestamp;
        self
    }

    /// The exact text that is signed, after validation.
    ///
    /// ```
    /// use atmodem::aliyun::TlsPsk;
    /// let content = TlsPsk::new("a1pk", "dev1", "Xy12ab34Cd56").sign_content().unwrap();
    /// assert_eq!(content, "ida1pk&dev1timestamp2524608000000");
    /// ```
    pub fn sign_content(&self) -> Result<SignContent, Error> {
        validate::product_key(self.product_key)?;
        validate::device_name(self.device_name)?;
        validate::device_secret(self.device_secret.expose())?;
        validate::timestamp(self.timestamp)?;
        let mut content = SignContent::new();
        push(
            &mut content,
            &[
                "id",
                self.product_key,
                "&",
                self.device_name,
                "timestamp",
                self.timestamp,
            ],
        )?;
        Ok(content)
    }

    /// Validates and derives the identity and key.
    ///
    /// ```
    /// use atmodem::aliyun::TlsPsk;
    /// // aliyun-auth: psk_id `devicename|hmacsha256|<pk>&<dn>|<ts>`,
    /// // psk = hex(HMAC-SHA256(ds, "id<pk>&<dn>timestamp<ts>")), computed with Python's hmac.
    /// let creds = TlsPsk::new("a1pk", "dev1", "Xy12ab34Cd56").build().unwrap();
    /// assert_eq!(creds.identity(), "devicename|hmacsha256|a1pk&dev1|2524608000000");
    /// assert_eq!(
    ///     creds.key().expose(),
    ///     "5c47a725c962a43d9795799d5125c5372ea1d7de41098f3ea661c3a694fb188c"
    /// );
    /// ```
    pub fn build(&self) -> Result<PskCredentials, Error> {
        let content = self.sign_content()?;
        let key = sign::hmac_hex(
            SignMethod::HmacSha256,
            self.device_secret.expose().as_bytes(),
            content.as_bytes(),
        )?;
        let mut identity = String::new();
        push(
            &mut identity,
            &[
                "devicename|hmacsha256|",
                self.product_key,
                "&",
                self.device_name,
                "|",
                self.timestamp,
            ],
        )?;
        Ok(PskCredentials { identity, key })
    }
}
