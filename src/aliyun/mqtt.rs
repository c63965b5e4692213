//! MQTT CONNECT credentials (client id, username, password) for every Aliyun login.
//!
//! * [`DeviceSecretLogin`]: one-device-one-secret (`securemode` 2 TLS / 3 TCP).
//! * [`MqttRegistration`]: one-product-one-secret dynamic registration, `authType=register`
//!   (reply on `/ext/register`) or `authType=regnwl` (reply on `/ext/regnwl`).
//! * [`connwl_login`]: the login with the `clientId` and `deviceToken` of a regnwl reply.
//! * [`token_login`]: the login with the `iotId` and `iotToken` of an HTTPS
//!   `/auth/devicename` reply (bare client id, no `|...|` extension).

use heapless::String;

use super::endpoint::{REGISTER_REPLY_TOPIC, REGNWL_REPLY_TOPIC, push};
use super::error::{Error, Field, Problem};
use super::secret::{Secret, SecretRef};
use super::sign::{self, HEX_MAX, SignContent, SignMethod};
use super::validate;

const fn max(a: usize, b: usize) -> usize {
    if a > b { a } else { b }
}

/// Capacity of an MQTT client id built here (the longest is a registration client id with
/// `clientId`, `random` and `instanceId` at their maximum lengths).
pub const CLIENT_ID_CAP: usize = validate::MAX_CLIENT_ID
    + "|securemode=-2,authType=register,random=".len()
    + validate::MAX_RANDOM
    + ",signmethod=hmacsha256,instanceId=".len()
    + validate::MAX_INSTANCE_ID
    + "|".len();
/// Capacity of an MQTT username (`<deviceName>&<productKey>` or an `iotId`).
pub const USERNAME_CAP: usize = max(
    validate::MAX_DEVICE_NAME + 1 + validate::MAX_PRODUCT_KEY,
    validate::MAX_IOT_ID,
);
/// Capacity of an MQTT password (a hex sign, a `deviceToken` or an `iotToken`).
pub const PASSWORD_CAP: usize = max(HEX_MAX, validate::MAX_TOKEN);

/// Shortest MQTT keepalive the platform accepts, in seconds (CONNECT is refused below).
pub const KEEPALIVE_MIN_SECS: u16 = 30;
/// Longest MQTT keepalive the platform accepts, in seconds (CONNECT is refused above).
pub const KEEPALIVE_MAX_SECS: u16 = 1200;

/// The `securemode` value of an MQTT client id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum SecureMode {
    /// `2`: direct connection over TLS.
    Tls,
    /// `3`: direct connection over plain TCP (refused for accounts created since 2022-08).
    Tcp,
    /// `-2`: TLS, the value Aliyun documents for one-product-one-secret on new public and
    /// Enterprise instances (`regnwl`, `connwl`, and `register` with an `instanceId`).
    TlsInstance,
}

impl SecureMode {
    /// The number written after `securemode=`.
    ///
    /// ```
    /// use atmodem::aliyun::SecureMode;
    /// // aliyun-auth.md §1: 2 TLS, 3 TCP, -2 one-product-one-secret on new instances.
    /// assert_eq!(SecureMode::Tls.value(), 2);
    /// assert_eq!(SecureMode::Tcp.value(), 3);
    /// assert_eq!(SecureMode::TlsInstance.value(), -2);
    /// ```
    #[must_use]
    pub const fn value(self) -> i8 {
        match self {
            Self::Tls => 2,
            Self::Tcp => 3,
            Self::TlsInstance => -2,
        }
    }

    /// The text written after `securemode=`.
    ///
    /// ```
    /// use atmodem::aliyun::SecureMode;
    /// assert_eq!(SecureMode::Tls.as_str(), "2");
    /// assert_eq!(SecureMode::TlsInstance.as_str(), "-2");
    /// ```
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Tls => "2",
            Self::Tcp => "3",
            Self::TlsInstance => "-2",
        }
    }

    /// The mode for a number; [`Error::Invalid`] on `securemode` for any other value.
    ///
    /// ```
    /// use atmodem::aliyun::SecureMode;
    /// assert_eq!(SecureMode::from_value(3), Ok(SecureMode::Tcp));
    /// assert_eq!(SecureMode::from_value(-2), Ok(SecureMode::TlsInstance));
    /// assert!(SecureMode::from_value(1).is_err());
    /// ```
    pub const fn from_value(value: i64) -> Result<Self, Error> {
        match value {
            2 => Ok(Self::Tls),
            3 => Ok(Self::Tcp),
            -2 => Ok(Self::TlsInstance),
            _ => Err(Error::invalid(Field::SecureMode, Problem::Unknown)),
        }
    }

    /// Whether the connection uses TLS.
    ///
    /// ```
    /// use atmodem::aliyun::SecureMode;
    /// assert!(SecureMode::Tls.is_tls() && SecureMode::TlsInstance.is_tls());
    /// assert!(!SecureMode::Tcp.is_tls());
    /// ```
    #[must_use]
    pub const fn is_tls(self) -> bool {
        !matches!(self, Self::Tcp)
    }
}

/// The `authType` of an MQTT dynamic registration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum AuthType {
    /// `register`: pre-registered device; the reply on `/ext/register` carries a `deviceSecret`.
    Register,
    /// `regnwl`: registration-free; the reply on `/ext/regnwl` carries a `clientId` and a
    /// `deviceToken` for [`connwl_login`].
    Regnwl,
}

impl AuthType {
    /// Wire name: `register` or `regnwl`.
    ///
    /// ```
    /// use atmodem::aliyun::AuthType;
    /// assert_eq!(AuthType::Register.wire_name(), "register");
    /// assert_eq!(AuthType::Regnwl.wire_name(), "regnwl");
    /// ```
    #[must_use]
    pub const fn wire_name(self) -> &'static str {
        match self {
            Self::Register => "register",
            Self::Regnwl => "regnwl",
        }
    }

    /// Parses `register` or `regnwl` (case-insensitive); [`Error::Invalid`] on `authType`.
    ///
    /// ```
    /// use atmodem::aliyun::AuthType;
    /// assert_eq!(AuthType::parse("regnwl"), Ok(AuthType::Regnwl));
    /// assert_eq!(AuthType::parse("Register"), Ok(AuthType::Register));
    /// assert!(AuthType::parse("connwl").is_err());
    /// ```
    pub fn parse(name: &str) -> Result<Self, Error> {
        [Self::Register, Self::Regnwl]
            .into_iter()
            .find(|a| a.wire_name().eq_ignore_ascii_case(name))
            .ok_or(Error::invalid(Field::AuthType, Problem::Unknown))
    }

    /// Topic of the platform's one reply: `/ext/register` or `/ext/regnwl`.
    ///
    /// ```
    /// use atmodem::aliyun::AuthType;
    /// // aliyun-auth.md §1(b), §1(c).
    /// assert_eq!(AuthType::Register.reply_topic(), "/ext/register");
    /// assert_eq!(AuthType::Regnwl.reply_topic(), "/ext/regnwl");
    /// ```
    #[must_use]
    pub const fn reply_topic(self) -> &'static str {
        match self {
            Self::Register => REGISTER_REPLY_TOPIC,
            Self::Regnwl => REGNWL_REPLY_TOPIC,
        }
    }

    /// `securemode` used when none is given: 2 for `register`, -2 for `regnwl`.
    ///
    /// ```
    /// use atmodem::aliyun::{AuthType, SecureMode};
    /// assert_eq!(AuthType::Register.default_secure_mode(), SecureMode::Tls);
    /// assert_eq!(AuthType::Regnwl.default_secure_mode(), SecureMode::TlsInstance);
    /// ```
    #[must_use]
    pub const fn default_secure_mode(self) -> SecureMode {
        match self {
            Self::Register => SecureMode::Tls,
            Self::Regnwl => SecureMode::TlsInstance,
        }
    }
}

/// The three strings of an MQTT CONNECT. The password never reaches `Debug`/`defmt`.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct MqttCredentials {
    client_id: String<CLIENT_ID_CAP>,
    username: String<USERNAME_CAP>,
    password: Secret<PASSWORD_CAP>,
}

impl MqttCredentials {
    /// MQTT client id, e.g. `pk.dn|securemode=2,signmethod=hmacsha256|`.
    ///
    /// ```
    /// use atmodem::aliyun::DeviceSecretLogin;
    /// let creds = DeviceSecretLogin::new("i2uqc2dloOl", "device001", "c4fa40df9c8078073d75a26be2bc8f58").build()?;
    /// assert_eq!(creds.client_id(), "i2uqc2dloOl.device001|securemode=2,signmethod=hmacsha256|");
    /// # Ok::<(), atmodem::aliyun::Error>(())
    /// ```
    #[must_use]
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// MQTT username, e.g. `dn&pk`.
    ///
    /// ```
    /// use atmodem::aliyun::DeviceSecretLogin;
    /// let creds = DeviceSecretLogin::new("i2uqc2dloOl", "device001", "c4fa40df9c8078073d75a26be2bc8f58").build()?;
    /// assert_eq!(creds.username(), "device001&i2uqc2dloOl");
    /// # Ok::<(), atmodem::aliyun::Error>(())
    /// ```
    #[must_use]
    pub fn username(&self) -> &str {
        &self.username
    }

    /// MQTT password (a sign or a token).
    ///
    /// ```
    /// use atmodem::aliyun::DeviceSecretLogin;
    /// // The Quectel note's login (seeds/004; its last two digits, masked there, are in
    /// // seeds/README.md).
    /// let creds = DeviceSecretLogin::new("i2uqc2dloOl", "device001", "c4fa40df9c8078073d75a26be2bc8f58")
    ///     .timestamp("1680937625134")
    ///     .build()?;
    /// assert_eq!(
    ///     creds.password().expose(),
    ///     "0309b31761c30d24d37a25558c5604de308c92eb6ac8656a1981f85783fb23db"
    /// );
    /// # Ok::<(), atmodem::aliyun::Error>(())
    /// ```
    #[must_use]
    pub const fn password(&self) -> &Secret<PASSWORD_CAP> {
        &self.password
    }

    /// The `securemode` the client id declares (`…|securemode=2,…|`), or `None` when it
    /// declares none (a `connwl` or token login built elsewhere may not).
    ///
    /// ```
    /// use atmodem::aliyun::{DeviceSecretLogin, SecureMode};
    /// let creds = DeviceSecretLogin::new("i2uqc2dloOl", "device001", "c4fa40df9c8078073d75a26be2bc8f58")
    ///     .secure_mode(SecureMode::Tcp)
    ///     .build()?;
    /// assert_eq!(creds.secure_mode(), Some(SecureMode::Tcp));
    /// # Ok::<(), atmodem::aliyun::Error>(())
    /// ```
    #[must_use]
    pub fn secure_mode(&self) -> Option<SecureMode> {
        let (_, ext) = self.client_id.split_once('|')?;
        let value = ext
            .trim_end_matches('|')
            .split(',')
            .find_map(|kv| kv.strip_prefix("securemode="))?;
        match value {
            "2" => Some(SecureMode::Tls),
            "3" => Some(SecureMode::Tcp),
            "-2" => Some(SecureMode::TlsInstance),
            _ => None,
        }
    }
}

fn username(device_name: &str, product_key: &str) -> Result<String<USERNAME_CAP>, Error> {
    let mut u = String::new();
    push(&mut u, &[device_name, "&", product_key])?;
    Ok(u)
}

/// `<productKey>.<deviceName>`, the client id Aliyun's SDKs use; validated as a `clientId`.
///
/// ```
/// use atmodem::aliyun::mqtt::default_client_id;
/// assert_eq!(default_client_id("i2uqc2dloOl", "device001")?.as_str(), "i2uqc2dloOl.device001");
/// // A device name is 4 to 32 characters (aliyun-auth.md §2).
/// assert!(default_client_id("i2uqc2dloOl", "dev").is_err());
/// # Ok::<(), atmodem::aliyun::Error>(())
/// ```
pub fn default_client_id(
    product_key: &str,
    device_name: &str,
) -> Result<String<{ validate::MAX_CLIENT_ID }>, Error> {
    validate::product_key(product_key)?;
    validate::device_name(device_name)?;
    let mut id = String::new();
    push(&mut id, &[product_key, ".", device_name])?;
    validate::client_id(&id)?;
    Ok(id)
}

/// The given client id (validated) or the default `<productKey>.<deviceName>`.
pub(crate) fn client_id_or_default(
    client_id: Option<&str>,
    product_key: &str,
    device_name: &str,
) -> Result<String<{ validate::MAX_CLIENT_ID }>, Error> {
    match client_id {
        Some(id) => {
            validate::client_id(id)?;
            let mut s = String::new();
            push(&mut s, &[id])?;
            Ok(s)
        }
        None => default_client_id(product_key, device_name),
    }
}

/// One-device-one-secret MQTT login.
///
/// ```text
/// clientId = <clientId>|securemode=<2|3>,signmethod=<m>[,timestamp=<ts>]|
/// username = <deviceName>&<productKey>
/// password = hex(HMAC_m(deviceSecret, "clientId"<clientId>"deviceName"<dn>"productKey"<pk>["timestamp"<ts>]))
/// ```
///
/// Defaults: client id `<productKey>.<deviceName>`, `hmacsha256`, `securemode=2`, no
/// timestamp. A timestamp, when given, goes into both the client id and the sign content.
#[derive(Clone, Copy, Debug)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct DeviceSecretLogin<'a> {
    product_key: &'a str,
    device_name: &'a str,
    device_secret: SecretRef<'a>,
    client_id: Option<&'a str>,
    timestamp: Option<&'a str>,
    sign_method: SignMethod,
    secure_mode: SecureMode,
}

impl<'a> DeviceSecretLogin<'a> {
    /// A login for the device triple.
    ///
    /// ```
    /// use atmodem::aliyun::DeviceSecretLogin;
    /// let login = DeviceSecretLogin::new("i2uqc2dloOl", "device001", "c4fa40df9c8078073d75a26be2bc8f58");
    /// // The secret never reaches Debug.
    /// assert!(!format!("{login:?}").contains("c4fa40df"));
    /// ```
    #[must_use]
    pub const fn new(product_key: &'a str, device_name: &'a str, device_secret: &'a str) -> Self {
        Self {
            product_key,
            device_name,
            device_secret: SecretRef::new(device_secret),
            client_id: None,
            timestamp: None,
            sign_method: SignMethod::HmacSha256,
            secure_mode: SecureMode::Tls,
        }
    }

    /// Client id (default `<productKey>.<deviceName>`).
    ///
    /// ```
    /// use atmodem::aliyun::DeviceSecretLogin;
    /// let creds = DeviceSecretLogin::new("i2uqc2dloOl", "device001", "c4fa40df9c8078073d75a26be2bc8f58")
    ///     .client_id("864430010001091")
    ///     .build()?;
    /// assert_eq!(creds.client_id(), "864430010001091|securemode=2,signmethod=hmacsha256|");
    /// # Ok::<(), atmodem::aliyun::Error>(())
    /// ```
    #[must_use]
    pub const fn client_id(mut self, client_id: &'a str) -> Self {
        self.client_id = Some(client_id);
        self
    }

    /// Timestamp in ms (default none); it is not checked for freshness by the platform.
    ///
    /// ```
    /// use atmodem::aliyun::DeviceSecretLogin;
    /// // seeds/004: the timestamp goes into the client id and the sign content.
    /// let creds = DeviceSecretLogin::new("i2uqc2dloOl", "device001", "c4fa40df9c8078073d75a26be2bc8f58")
    ///     .timestamp("1680937625134")
    ///     .build()?;
    /// assert_eq!(
    ///     creds.client_id(),
    ///     "i2uqc2dloOl.device001|securemode=2,signmethod=hmacsha256,timestamp=1680937625134|"
    /// );
    /// # Ok::<(), atmodem::aliyun::Error>(())
    /// ```
    #[must_use]
    pub const fn timestamp(mut self, timestamp: &'a str) -> Self {
        self.timestamp = Some(timestamp);
        self
    }

    /// Sign method (default `hmacsha256`).
    ///
    /// ```
    /// use atmodem::aliyun::{DeviceSecretLogin, SignMethod};
    /// let creds = DeviceSecretLogin::new("i2uqc2dloOl", "device001", "c4fa40df9c8078073d75a26be2bc8f58")
    ///     .sign_method(SignMethod::HmacSha1)
    ///     .build()?;
    /// assert_eq!(creds.client_id(), "i2uqc2dloOl.device001|securemode=2,signmethod=hmacsha1|");
    /// // HMAC-SHA1: 20 bytes, 40 hex digits.
    /// assert_eq!(creds.password().len(), 40);
    /// # Ok::<(), atmodem::aliyun::Error>(())
    /// ```
    #[must_use]
    pub const fn sign_method(mut self, method: SignMethod) -> Self {
        self.sign_method = method;
        self
    }

    /// `securemode`: [`SecureMode::Tls`] (default) or [`SecureMode::Tcp`].
    ///
    /// ```
    /// use atmodem::aliyun::{DeviceSecretLogin, SecureMode};
    /// let login = DeviceSecretLogin::new("i2uqc2dloOl", "device001", "c4fa40df9c8078073d75a26be2bc8f58");
    /// let tcp = login.secure_mode(SecureMode::Tcp).build()?;
    /// assert_eq!(tcp.client_id(), "i2uqc2dloOl.device001|securemode=3,signmethod=hmacsha256|");
    /// // -2 is for one-product-one-secret only.
    /// assert!(login.secure_mode(SecureMode::TlsInstance).build().is_err());
    /// # Ok::<(), atmodem::aliyun::Error>(())
    /// ```
    #[must_use]
    pub const fn secure_mode(mut self, mode: SecureMode) -> Self {
        self.secure_mode = mode;
        self
    }

    fn checked(&self) -> Result<(String<{ validate::MAX_CLIENT_ID }>, SignContent), Error> {
        validate::product_key(self.product_key)?;
        validate::device_name(self.device_name)?;
        validate::device_secret(self.device_secret.expose())?;
        let client_id = client_id_or_default(self.client_id, self.product_key, self.device_name)?;
        if let Some(ts) = self.timestamp {
            validate::timestamp(ts)?;
        }
        if self.secure_mode == SecureMode::TlsInstance {
            return Err(Error::invalid(Field::SecureMode, Problem::NotAllowed));
        }
        self.sign_method.ensure_enabled()?;
        let content = sign::device_content(
            &client_id,
            self.device_name,
            self.product_key,
            self.timestamp,
        )?;
        Ok((client_id, content))
    }

    /// The exact text that is signed, after validation.
    ///
    /// ```
    /// use atmodem::aliyun::DeviceSecretLogin;
    /// // aliyun-auth.md §1(a): "clientId"<clientId>"deviceName"<dn>"productKey"<pk>"timestamp"<ts>.
    /// let login = DeviceSecretLogin::new("i2uqc2dloOl", "device001", "c4fa40df9c8078073d75a26be2bc8f58")
    ///     .timestamp("1680937625134");
    /// assert_eq!(
    ///     login.sign_content()?.as_str(),
    ///     "clientIdi2uqc2dloOl.device001deviceNamedevice001productKeyi2uqc2dloOltimestamp1680937625134"
    /// );
    /// # Ok::<(), atmodem::aliyun::Error>(())
    /// ```
    pub fn sign_content(&self) -> Result<SignContent, Error> {
        self.checked().map(|(_, content)| content)
    }

    /// Validates every field, signs, and formats the three CONNECT strings.
    ///
    /// ```
    /// use atmodem::aliyun::DeviceSecretLogin;
    /// // seeds/004 (password completed in seeds/README.md).
    /// let creds = DeviceSecretLogin::new("i2uqc2dloOl", "device001", "c4fa40df9c8078073d75a26be2bc8f58")
    ///     .timestamp("1680937625134")
    ///     .build()?;
    /// assert_eq!(creds.username(), "device001&i2uqc2dloOl");
    /// assert_eq!(creds.password().expose(), "0309b31761c30d24d37a25558c5604de308c92eb6ac8656a1981f85783fb23db");
    /// // Secrets are alphanumeric (aliyun-auth.md §2).
    /// assert!(DeviceSecretLogin::new("i2uqc2dloOl", "device001", "c4fa-40df").build().is_err());
    /// # Ok::<(), atmodem::aliyun::Error>(())
    /// ```
    pub fn build(&self) -> Result<MqttCredentials, Error> {
        let (id, content) = self.checked()?;
        let sign = sign::hmac_hex(
            self.sign_method,
            self.device_secret.expose().as_bytes(),
            content.as_bytes(),
        )?;
        let mut client_id = String::new();
        push(
            &mut client_id,
            &[
                &id,
                "|securemode=",
                self.secure_mode.as_str(),
                ",signmethod=",
                self.sign_method.wire_name(),
            ],
        )?;
        if let Some(ts) = self.timestamp {
            push(&mut client_id, &[",timestamp=", ts])?;
        }
        push(&mut client_id, &["|"])?;
        let mut password = Secret::new();
        password.push_str(sign.expose())?;
        Ok(MqttCredentials {
            client_id,
            username: username(self.device_name, self.product_key)?,
            password,
        })
    }
}

/// One-product-one-secret dynamic registration over MQTT (TLS only).
///
/// ```text
/// clientId = <clientId>|securemode=<2|-2>,authType=<register|regnwl>,random=<r>,signmethod=<m>[,instanceId=<iid>]|
/// username = <deviceName>&<productKey>
/// password = hex(HMAC_m(productSecret, "deviceName"<dn>"productKey"<pk>"random"<r>))
/// ```
///
/// Defaults: `authType=register`, client id `<productKey>.<deviceName>`, `hmacsha256`,
/// `securemode` 2 for `register` and -2 for `regnwl`, no `instanceId` (new public and
/// Enterprise instances need one). The platform answers once on [`Self::reply_topic`] and
/// closes the connection.
///
/// `register` needs the device added in the console beforehand; re-registering a device that
/// is not yet activated issues a new secret, after activation it fails until the device is
/// reset in the cloud. `regnwl` is offered only in cn-shanghai, on new public and Enterprise
/// instances, and issues a new `clientId` and `deviceToken` on every run.
#[derive(Clone, Copy, Debug)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct MqttRegistration<'a> {
    product_key: &'a str,
    device_name: &'a str,
    product_secret: SecretRef<'a>,
    random: &'a str,
    auth_type: AuthType,
    client_id: Option<&'a str>,
    sign_method: SignMethod,
    secure_mode: Option<SecureMode>,
    instance_id: Option<&'a str>,
}

impl<'a> MqttRegistration<'a> {
    /// A registration of `device_name` under the product, with the caller's `random`.
    ///
    /// ```
    /// use atmodem::aliyun::MqttRegistration;
    /// let reg = MqttRegistration::new("i2uqZnX9tZK", "meter001", "xTzMxVmm9HUY19ab", "123");
    /// assert_eq!(reg.reply_topic(), "/ext/register");
    /// assert!(!format!("{reg:?}").contains("xTzMxVmm9HUY19ab"));
    /// ```
    #[must_use]
    pub const fn new(
        product_key: &'a str,
        device_name: &'a str,
        product_secret: &'a str,
        random: &'a str,
    ) -> Self {
        Self {
            product_key,
            device_name,
            product_secret: SecretRef::new(product_secret),
            random,
            auth_type: AuthType::Register,
            client_id: None,
            sign_method: SignMethod::HmacSha256,
            secure_mode: None,
            instance_id: None,
        }
    }

    /// `authType` (default `register`).
    ///
    /// ```
    /// use atmodem::aliyun::{AuthType, MqttRegistration, SecureMode};
    /// let reg = MqttRegistration::new("i2uq9ORmOSM", "Kit001", "cSsjZJ19qkGDLvab", "123")
    ///     .auth_type(AuthType::Regnwl);
    /// assert_eq!(reg.reply_topic(), "/ext/regnwl");
    /// assert_eq!(reg.effective_secure_mode(), SecureMode::TlsInstance);
    /// ```
    #[must_use]
    pub const fn auth_type(mut self, auth_type: AuthType) -> Self {
        self.auth_type = auth_type;
        self
    }

    /// Client id (default `<productKey>.<deviceName>`).
    ///
    /// ```
    /// use atmodem::aliyun::MqttRegistration;
    /// let creds = MqttRegistration::new("i2uqZnX9tZK", "meter001", "xTzMxVmm9HUY19ab", "123")
    ///     .client_id("864430010001091")
    ///     .build()?;
    /// assert!(creds.client_id().starts_with("864430010001091|securemode=2,authType=register,"));
    /// # Ok::<(), atmodem::aliyun::Error>(())
    /// ```
    #[must_use]
    pub const fn client_id(mut self, client_id: &'a str) -> Self {
        self.client_id = Some(client_id);
        self
    }

    /// Sign method (default `hmacsha256`).
    ///
    /// ```
    /// use atmodem::aliyun::{MqttRegistration, SignMethod};
    /// let reg = MqttRegistration::new("i2uqZnX9tZK", "meter001", "xTzMxVmm9HUY19ab", "123")
    ///     .sign_method(SignMethod::HmacSha1);
    /// assert!(reg.build()?.client_id().contains(",signmethod=hmacsha1|"));
    /// # Ok::<(), atmodem::aliyun::Error>(())
    /// ```
    #[must_use]
    pub const fn sign_method(mut self, method: SignMethod) -> Self {
        self.sign_method = method;
        self
    }

    /// `securemode`: [`SecureMode::Tls`] or [`SecureMode::TlsInstance`]; plain TCP is refused.
    ///
    /// ```
    /// use atmodem::aliyun::{MqttRegistration, SecureMode};
    /// let reg = MqttRegistration::new("i2uqZnX9tZK", "meter001", "xTzMxVmm9HUY19ab", "123");
    /// let creds = reg.secure_mode(SecureMode::TlsInstance).build()?;
    /// assert!(creds.client_id().contains("|securemode=-2,authType=register,"));
    /// // Registration is TLS only (aliyun-auth.md §1(b)).
    /// assert!(reg.secure_mode(SecureMode::Tcp).build().is_err());
    /// # Ok::<(), atmodem::aliyun::Error>(())
    /// ```
    #[must_use]
    pub const fn secure_mode(mut self, mode: SecureMode) -> Self {
        self.secure_mode = Some(mode);
        self
    }

    /// `instanceId` of a new public or Enterprise instance.
    ///
    /// ```
    /// use atmodem::aliyun::MqttRegistration;
    /// let creds = MqttRegistration::new("i2uqZnX9tZK", "meter001", "xTzMxVmm9HUY19ab", "123")
    ///     .instance_id("iot-06z00hxss3rggno")
    ///     .build()?;
    /// assert!(creds.client_id().ends_with(",instanceId=iot-06z00hxss3rggno|"));
    /// # Ok::<(), atmodem::aliyun::Error>(())
    /// ```
    #[must_use]
    pub const fn instance_id(mut self, instance_id: &'a str) -> Self {
        self.instance_id = Some(instance_id);
        self
    }

    /// Topic of the platform's reply: `/ext/register` or `/ext/regnwl`.
    ///
    /// ```
    /// use atmodem::aliyun::{AuthType, MqttRegistration};
    /// let reg = MqttRegistration::new("i2uq9ORmOSM", "Kit001", "cSsjZJ19qkGDLvab", "123");
    /// assert_eq!(reg.reply_topic(), "/ext/register");
    /// assert_eq!(reg.auth_type(AuthType::Regnwl).reply_topic(), "/ext/regnwl");
    /// ```
    #[must_use]
    pub const fn reply_topic(&self) -> &'static str {
        self.auth_type.reply_topic()
    }

    /// The `securemode` that [`Self::build`] writes.
    ///
    /// ```
    /// use atmodem::aliyun::{AuthType, MqttRegistration, SecureMode};
    /// let reg = MqttRegistration::new("i2uq9ORmOSM", "Kit001", "cSsjZJ19qkGDLvab", "123");
    /// assert_eq!(reg.effective_secure_mode(), SecureMode::Tls);
    /// assert_eq!(reg.auth_type(AuthType::Regnwl).effective_secure_mode(), SecureMode::TlsInstance);
    /// assert_eq!(reg.secure_mode(SecureMode::TlsInstance).effective_secure_mode(), SecureMode::TlsInstance);
    /// ```
    #[must_use]
    pub const fn effective_secure_mode(&self) -> SecureMode {
        match self.secure_mode {
            Some(mode) => mode,
            None => self.auth_type.default_secure_mode(),
        }
    }

    fn checked(&self) -> Result<(String<{ validate::MAX_CLIENT_ID }>, SignContent), Error> {
        validate::product_key(self.product_key)?;
        validate::device_name(self.device_name)?;
        validate::product_secret(self.product_secret.expose())?;
        validate::random(self.random)?;
        let client_id = client_id_or_default(self.client_id, self.product_key, self.device_name)?;
        if let Some(iid) = self.instance_id {
            validate::instance_id(iid)?;
        }
        if !matches!(
            self.effective_secure_mode(),
            SecureMode::Tls | SecureMode::TlsInstance
        ) {
            return Err(Error::invalid(Field::SecureMode, Problem::NotAllowed));
        }
        self.sign_method.ensure_enabled()?;
        let content = sign::registration_content(self.device_name, self.product_key, self.random)?;
        Ok((client_id, content))
    }

    /// The exact text that is signed, after validation.
    ///
    /// ```
    /// use atmodem::aliyun::MqttRegistration;
    /// // The Quectel note's registration example (seeds/004, §4.2.1).
    /// let reg = MqttRegistration::new("i2uqZnX9tZK", "meter001", "xTzMxVmm9HUY19ab", "123");
    /// assert_eq!(reg.sign_content()?.as_str(), "deviceNamemeter001productKeyi2uqZnX9tZKrandom123");
    /// # Ok::<(), atmodem::aliyun::Error>(())
    /// ```
    pub fn sign_content(&self) -> Result<SignContent, Error> {
        self.checked().map(|(_, content)| content)
    }

    /// Validates every field, signs, and formats the three CONNECT strings.
    ///
    /// ```
    /// use atmodem::aliyun::{MqttRegistration, SignMethod};
    /// // The Quectel note's register login (seeds/004, §4.2.1; its product secret is masked
    /// // there, so the password is not checked here).
    /// let creds = MqttRegistration::new("i2uqZnX9tZK", "meter001", "xTzMxVmm9HUY19ab", "123")
    ///     .client_id("864430010001091")
    ///     .sign_method(SignMethod::HmacSha1)
    ///     .instance_id("iot-06z00hxss3rggno")
    ///     .build()?;
    /// assert_eq!(
    ///     creds.client_id(),
    ///     "864430010001091|securemode=2,authType=register,random=123,signmethod=hmacsha1,instanceId=iot-06z00hxss3rggno|"
    /// );
    /// assert_eq!(creds.username(), "meter001&i2uqZnX9tZK");
    /// # Ok::<(), atmodem::aliyun::Error>(())
    /// ```
    pub fn build(&self) -> Result<MqttCredentials, Error> {
        let (id, content) = self.checked()?;
        let sign = sign::hmac_hex(
            self.sign_method,
            self.product_secret.expose().as_bytes(),
            content.as_bytes(),
        )?;
        let mut client_id = String::new();
        push(
            &mut client_id,
            &[
                &id,
                "|securemode=",
                self.effective_secure_mode().as_str(),
                ",authType=",
                self.auth_type.wire_name(),
                ",random=",
                self.random,
                ",signmethod=",
                self.sign_method.wire_name(),
            ],
        )?;
        if let Some(iid) = self.instance_id {
            push(&mut client_id, &[",instanceId=", iid])?;
        }
        push(&mut client_id, &["|"])?;
        let mut password = Secret::new();
        password.push_str(sign.expose())?;
        Ok(MqttCredentials {
            client_id,
            username: username(self.device_name, self.product_key)?,
            password,
        })
    }
}

/// The login after a regnwl registration:
///
/// ```text
/// clientId = <clientId from the reply>|securemode=-2,authType=connwl|
/// username = <deviceName>&<productKey>
/// password = <deviceToken>
/// ```
///
/// Each regnwl run issues a new `clientId` and `deviceToken`; persist them.
///
/// ```
/// use atmodem::aliyun::connwl_login;
/// // The shape of aliyun-auth.md §1(c); the token as `/ext/regnwl` carries it.
/// let creds = connwl_login("i2uq9ORmOSM", "Kit001", "KzLK000100", "^1^1681709523062^c5cce0a49b03685")?;
/// assert_eq!(creds.client_id(), "KzLK000100|securemode=-2,authType=connwl|");
/// assert_eq!(creds.username(), "Kit001&i2uq9ORmOSM");
/// assert_eq!(creds.password().expose(), "^1^1681709523062^c5cce0a49b03685");
/// # Ok::<(), atmodem::aliyun::Error>(())
/// ```
pub fn connwl_login(
    product_key: &str,
    device_name: &str,
    client_id: &str,
    device_token: &str,
) -> Result<MqttCredentials, Error> {
    validate::product_key(product_key)?;
    validate::device_name(device_name)?;
    validate::client_id(client_id)?;
    validate::device_token(device_token)?;
    let mut id = String::new();
    push(&mut id, &[client_id, "|securemode=-2,authType=connwl|"])?;
    let mut password = Secret::new();
    password.push_str(device_token)?;
    Ok(MqttCredentials {
        client_id: id,
        username: username(device_name, product_key)?,
        password,
    })
}

/// The login after HTTPS `/auth/devicename`: the client id used there (bare, no `|...|`
/// extension), username `iotId`, password `iotToken`.
///
/// ```
/// use atmodem::aliyun::token_login;
/// // The Luat note's `/auth/devicename` reply (seeds/000): its deviceId is the username,
/// // its iotToken the password, the client id the one used for the request.
/// let creds = token_login("862991419835241", "PbUqGh2URAJ1AtNyyd7X00107ceb00", "425656f625b64560a4bff2a0f16946a3")?;
/// assert_eq!(creds.client_id(), "862991419835241");
/// assert_eq!(creds.username(), "PbUqGh2URAJ1AtNyyd7X00107ceb00");
/// assert_eq!(creds.password().expose(), "425656f625b64560a4bff2a0f16946a3");
/// # Ok::<(), atmodem::aliyun::Error>(())
/// ```
pub fn token_login(
    client_id: &str,
    iot_id: &str,
    iot_token: &str,
) -> Result<MqttCredentials, Error> {
    validate::client_id(client_id)?;
    validate::iot_id(iot_id)?;
    validate::iot_token(iot_token)?;
    let mut id = String::new();
    push(&mut id, &[client_id])?;
    let mut user = String::new();
    push(&mut user, &[iot_id])?;
    let mut password = Secret::new();
    password.push_str(iot_token)?;
    Ok(MqttCredentials {
        client_id: id,
        username: user,
        password,
    })
}
