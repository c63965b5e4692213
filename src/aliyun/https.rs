//! HTTPS requests: dynamic registration, device authentication and the HTTP channel's auth.
//!
//! * [`HttpsRegistration`]: `POST https://iot-auth.<region>.aliyuncs.com/auth/register/device`,
//!   form body `productKey=..&deviceName=..&random=..&sign=..&signMethod=..` (note the capital
//!   M), signed with the `productSecret`. Reply: [`super::reply::parse_register_reply`].
//! * [`HttpsDeviceAuth`]: `POST https://iot-auth.<region>.aliyuncs.com/auth/devicename`, form
//!   body `productKey=..&sign=..&clientId=..&deviceName=..` then, when present,
//!   `&timestamp=..&signmethod=..&version=..&resources=..`, signed with the `deviceSecret`.
//!   Reply: [`super::reply::parse_auth_reply`]; then [`super::mqtt::token_login`].
//! * [`HttpChannelAuth`]: `POST https://iot-as-http.<region>.aliyuncs.com/auth`, JSON body
//!   `{"version":"default","clientId":..,"signmethod":..,"sign":..,"productKey":..,"deviceName":..[,"timestamp":..]}`.
//!   Reply: [`super::reply::parse_http_channel_reply`].
//!
//! Field order follows the seeds and Aliyun's SDKs. Values are written raw; the only
//! characters escaped are those a validated `clientId` may hold that would break the body:
//! `%`, `&`, `+` are percent-encoded in form bodies (`"` and `\`, which a `clientId` cannot
//! hold, would be escaped in JSON).

use super::endpoint::{self, HTTPS_PORT, Host, Url};
use super::error::{Error, Field, Problem};
use super::mqtt::client_id_or_default;
use super::secret::{Secret, SecretRef};
use super::sign::{self, HEX_MAX, SignContent, SignMethod, Signature};
use super::validate;

/// `Content-Type` of the `iot-auth` form bodies.
pub const FORM_CONTENT_TYPE: &str = "application/x-www-form-urlencoded";
/// `Content-Type` of the HTTP channel's JSON body.
pub const JSON_CONTENT_TYPE: &str = "application/json";
/// The `version` written into the HTTP channel auth body.
pub const HTTP_CHANNEL_VERSION: &str = "default";

const fn max(a: usize, b: usize) -> usize {
    if a > b { a } else { b }
}

/// Longest sign method spelling (`hmacsha256`).
const METHOD_LEN: usize = 10;

const REGISTER_BODY_LEN: usize = "productKey=".len()
    + validate::MAX_PRODUCT_KEY
    + "&deviceName=".len()
    + validate::MAX_DEVICE_NAME
    + "&random=".len()
    + validate::MAX_RANDOM
    + "&sign=".len()
    + HEX_MAX
    + "&signMethod=".len()
    + METHOD_LEN;

const DEVICE_AUTH_BODY_LEN: usize = "productKey=".len()
    + validate::MAX_PRODUCT_KEY
    + "&sign=".len()
    + HEX_MAX
    + "&clientId=".len()
    + 3 * validate::MAX_CLIENT_ID
    + "&deviceName=".len()
    + validate::MAX_DEVICE_NAME
    + "&timestamp=".len()
    + validate::MAX_TIMESTAMP
    + "&signmethod=".len()
    + METHOD_LEN
    + "&version=".len()
    + validate::MAX_VERSION
    + "&resources=".len()
    + validate::MAX_RESOURCES;

const CHANNEL_BODY_LEN: usize = r#"{"version":"default","clientId":""#.len()
    + 2 * validate::MAX_CLIENT_ID
    + r#"","signmethod":""#.len()
    + METHOD_LEN
    + r#"","sign":""#.len()
    + HEX_MAX
    + r#"","productKey":""#.len()
    + validate::MAX_PRODUCT_KEY
    + r#"","deviceName":""#.len()
    + validate::MAX_DEVICE_NAME
    + r#"","timestamp":""#.len()
    + validate::MAX_TIMESTAMP
    + r#""}"#.len();

/// Capacity of a request body built here.
pub const BODY_CAP: usize = max(
    max(REGISTER_BODY_LEN, DEVICE_AUTH_BODY_LEN),
    CHANNEL_BODY_LEN,
);

/// A ready HTTPS POST: where to send it and the exact body.
///
/// The body and sign are credentials (a registration body returns a `deviceSecret` to whoever
/// replays it), so both are [`Secret`]s and never reach `Debug`/`defmt`.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct HttpRequest {
    host: Host,
    path: &'static str,
    content_type: &'static str,
    body: Secret<BODY_CAP>,
    sign: Signature,
}

impl HttpRequest {
    /// Always `POST`.
    ///
    /// ```
    /// use atmodem::aliyun::HttpsRegistration;
    /// let req = HttpsRegistration::new("a1pk", "dev1", "Ps12ab34", "8fd3a9b2").build().unwrap();
    /// assert_eq!(req.method(), "POST");
    /// ```
    #[must_use]
    pub const fn method(&self) -> &'static str {
        "POST"
    }

    /// Host name, e.g. `iot-auth.cn-shanghai.aliyuncs.com`.
    ///
    /// ```
    /// use atmodem::aliyun::HttpsRegistration;
    /// let req = HttpsRegistration::new("a1pk", "dev1", "Ps12ab34", "8fd3a9b2").build().unwrap();
    /// assert_eq!(req.host(), "iot-auth.cn-shanghai.aliyuncs.com");
    /// ```
    #[must_use]
    pub fn host(&self) -> &str {
        &self.host
    }

    /// Port (443, HTTPS).
    ///
    /// ```
    /// use atmodem::aliyun::HttpsRegistration;
    /// let req = HttpsRegistration::new("a1pk", "dev1", "Ps12ab34", "8fd3a9b2").build().unwrap();
    /// assert_eq!(req.port(), 443);
    /// ```
    #[must_use]
    pub const fn port(&self) -> u16 {
        HTTPS_PORT
    }

    /// Path, e.g. `/auth/register/device`.
    ///
    /// ```
    /// use atmodem::aliyun::HttpsRegistration;
    /// let req = HttpsRegistration::new("a1pk", "dev1", "Ps12ab34", "8fd3a9b2").build().unwrap();
    /// assert_eq!(req.path(), "/auth/register/device");
    /// ```
    #[must_use]
    pub const fn path(&self) -> &'static str {
        self.path
    }

    /// `https://<host><path>`.
    ///
    /// ```
    /// use atmodem::aliyun::HttpsRegistration;
    /// let req = HttpsRegistration::new("a1pk", "dev1", "Ps12ab34", "8fd3a9b2").build().unwrap();
    /// assert_eq!(req.url().unwrap(), "https://iot-auth.cn-shanghai.aliyuncs.com/auth/register/device");
    /// ```
    pub fn url(&self) -> Result<Url, Error> {
        endpoint::https_url(&self.host, self.path)
    }

    /// Value of the `Content-Type` header.
    ///
    /// ```
    /// use atmodem::aliyun::HttpsRegistration;
    /// let req = HttpsRegistration::new("a1pk", "dev1", "Ps12ab34", "8fd3a9b2").build().unwrap();
    /// assert_eq!(req.content_type(), "application/x-www-form-urlencoded");
    /// ```
    #[must_use]
    pub const fn content_type(&self) -> &'static str {
        self.content_type
    }

    /// The exact body bytes to send (its length is the `Content-Length`).
    ///
    /// ```
    /// use atmodem::aliyun::HttpsRegistration;
    /// // Expected sign computed independently (Python's hmac).
    /// let req = HttpsRegistration::new("a1pk", "dev1", "Ps12ab34", "8fd3a9b2").build().unwrap();
    /// assert_eq!(
    ///     req.body().expose(),
    ///     "productKey=a1pk&deviceName=dev1&random=8fd3a9b2\
    ///      &sign=bd004ef27feef00191a691a66141502e21e992654106c8ec1824b8eee666d792&signMethod=hmacsha256"
    /// );
    /// assert_eq!(req.body().len(), 139); // the Content-Length
    /// ```
    #[must_use]
    pub const fn body(&self) -> &Secret<BODY_CAP> {
        &self.body
    }

    /// The lower-case hex sign inside the body.
    ///
    /// ```
    /// use atmodem::aliyun::HttpsRegistration;
    /// // HMAC-SHA256(productSecret, "deviceNamedev1productKeya1pkrandom8fd3a9b2"), computed
    /// // independently with Python's hmac.
    /// let req = HttpsRegistration::new("a1pk", "dev1", "Ps12ab34", "8fd3a9b2").build().unwrap();
    /// assert_eq!(req.sign().expose(), "bd004ef27feef00191a691a66141502e21e992654106c8ec1824b8eee666d792");
    /// ```
    #[must_use]
    pub const fn sign(&self) -> &Signature {
        &self.sign
    }
}

/// Appends a form value, percent-encoding `%`, `&`, `+` and `=`.
fn push_form<const N: usize>(out: &mut Secret<N>, value: &str) -> Result<(), Error> {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for b in value.bytes() {
        if matches!(b, b'%' | b'&' | b'+' | b'=') {
            out.push_ascii(b'%')?;
            out.push_ascii(HEX.get(usize::from(b >> 4)).copied().unwrap_or(b'0'))?;
            out.push_ascii(HEX.get(usize::from(b & 0x0f)).copied().unwrap_or(b'0'))?;
        } else {
            out.push_ascii(b)?;
        }
    }
    Ok(())
}

/// Appends a JSON string body (without quotes), escaping `"` and `\`.
fn push_json<const N: usize>(out: &mut Secret<N>, value: &str) -> Result<(), Error> {
    for b in value.bytes() {
        if matches!(b, b'"' | b'\\') {
            out.push_ascii(b'\\')?;
        }
        out.push_ascii(b)?;
    }
    Ok(())
}

/// HTTPS dynamic registration (pre-registered devices only), signed with the `productSecret`.
///
/// Defaults: `hmacsha256`, `signMethod` written as the wire name, region `cn-shanghai`.
/// Aliyun: available in every region except cn-beijing and cn-shenzhen; there is no HTTPS
/// registration-free variant.
#[derive(Clone, Copy, Debug)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct HttpsRegistration<'a> {
    product_key: &'a str,
    device_name: &'a str,
    product_secret: SecretRef<'a>,
    random: &'a str,
    sign_method: SignMethod,
    spelling: Option<&'a str>,
    region: &'a str,
}

impl<'a> HttpsRegistration<'a> {
    /// A registration of `device_name` under the product, with the caller's `random`.
    ///
    /// ```
    /// use atmodem::aliyun::HttpsRegistration;
    /// let reg = HttpsRegistration::new("a1pk", "dev1", "Ps12ab34", "8fd3a9b2");
    /// assert_eq!(reg.build().unwrap().host(), "iot-auth.cn-shanghai.aliyuncs.com");
    /// assert!(HttpsRegistration::new("a1pk", "dev", "Ps12ab34", "r1").build().is_err());
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
            sign_method: SignMethod::HmacSha256,
            spelling: None,
            region: endpoint::DEFAULT_REGION,
        }
    }

    /// Sign method (default `hmacsha256`).
    ///
    /// ```
    /// use atmodem::aliyun::{HttpsRegistration, SignMethod};
    /// // HMAC-SHA1 of the same content, computed independently with Python's hmac.
    /// let reg = HttpsRegistration::new("a1pk", "dev1", "Ps12ab34", "8fd3a9b2");
    /// let req = reg.sign_method(SignMethod::HmacSha1).build().unwrap();
    /// assert_eq!(req.sign().expose(), "6bb1aa83cef23a6ff9bb2779555c3d8a0a0be6a4");
    /// assert!(req.body().expose().ends_with("&signMethod=hmacsha1"));
    /// ```
    #[must_use]
    pub const fn sign_method(mut self, method: SignMethod) -> Self {
        self.sign_method = method;
        self
    }

    /// How the `signMethod` value is written, e.g. `HmacMD5` (the Luat note's spelling). It
    /// must name the sign method, case-insensitively; default: the lower-case wire name.
    ///
    /// ```
    /// use atmodem::aliyun::{HttpsRegistration, SignMethod};
    /// let reg = HttpsRegistration::new("a1pk", "dev1", "Ps12ab34", "8fd3a9b2");
    /// let sha1 = reg.sign_method(SignMethod::HmacSha1);
    /// let req = sha1.sign_method_spelling("HmacSHA1").build().unwrap();
    /// assert!(req.body().expose().ends_with("&signMethod=HmacSHA1"));
    /// // A spelling that names another method is refused.
    /// assert!(sha1.sign_method_spelling("hmacmd5").build().is_err());
    /// ```
    #[must_use]
    pub const fn sign_method_spelling(mut self, spelling: &'a str) -> Self {
        self.spelling = Some(spelling);
        self
    }

    /// Region id (default `cn-shanghai`).
    ///
    /// ```
    /// use atmodem::aliyun::HttpsRegistration;
    /// let reg = HttpsRegistration::new("a1pk", "dev1", "Ps12ab34", "8fd3a9b2");
    /// let req = reg.region("ap-southeast-1").build().unwrap();
    /// assert_eq!(req.host(), "iot-auth.ap-southeast-1.aliyuncs.com");
    /// ```
    #[must_use]
    pub const fn region(mut self, region: &'a str) -> Self {
        self.region = region;
        self
    }

    fn checked(&self) -> Result<(Host, &'a str, SignContent), Error> {
        validate::product_key(self.product_key)?;
        validate::device_name(self.device_name)?;
        validate::product_secret(self.product_secret.expose())?;
        validate::random(self.random)?;
        let host = endpoint::auth_host(self.region)?;
        let spelling = match self.spelling {
            None => self.sign_method.wire_name(),
            Some(text) => {
                let named = SignMethod::parse(text)
                    .map_err(|_| Error::invalid(Field::SignMethodRegister, Problem::Unknown))?;
                if named != self.sign_method {
                    return Err(Error::invalid(Field::SignMethodRegister, Problem::Mismatch));
                }
                text
            }
        };
        self.sign_method.ensure_enabled()?;
        let content = sign::registration_content(self.device_name, self.product_key, self.random)?;
        Ok((host, spelling, content))
    }

    /// The exact text that is signed, after validation.
    ///
    /// ```
    /// use atmodem::aliyun::HttpsRegistration;
    /// let reg = HttpsRegistration::new("a1pk", "dev1", "Ps12ab34", "8fd3a9b2");
    /// assert_eq!(reg.sign_content().unwrap(), "deviceNamedev1productKeya1pkrandom8fd3a9b2");
    /// ```
    pub fn sign_content(&self) -> Result<SignContent, Error> {
        self.checked().map(|(_, _, content)| content)
    }

    /// Validates, signs and writes the request.
    ///
    /// ```
    /// use atmodem::aliyun::HttpsRegistration;
    /// // Expected sign computed independently (Python's hmac).
    /// let reg = HttpsRegistration::new("a1pk", "dev1", "Ps12ab34", "8fd3a9b2");
    /// let req = reg.build().unwrap();
    /// assert_eq!(
    ///     req.body().expose(),
    ///     "productKey=a1pk&deviceName=dev1&random=8fd3a9b2\
    ///      &sign=bd004ef27feef00191a691a66141502e21e992654106c8ec1824b8eee666d792&signMethod=hmacsha256"
    /// );
    /// ```
    pub fn build(&self) -> Result<HttpRequest, Error> {
        let (host, spelling, content) = self.checked()?;
        let sign = sign::hmac_hex(
            self.sign_method,
            self.product_secret.expose().as_bytes(),
            content.as_bytes(),
        )?;
        let mut body = Secret::new();
        body.push_str("productKey=")?;
        push_form(&mut body, self.product_key)?;
        body.push_str("&deviceName=")?;
        push_form(&mut body, self.device_name)?;
        body.push_str("&random=")?;
        push_form(&mut body, self.random)?;
        body.push_str("&sign=")?;
        body.push_str(sign.expose())?;
        body.push_str("&signMethod=")?;
        push_form(&mut body, spelling)?;
        Ok(HttpRequest {
            host,
            path: endpoint::REGISTER_PATH,
            content_type: FORM_CONTENT_TYPE,
            body,
            sign,
        })
    }
}

/// HTTPS device authentication (`/auth/devicename`), signed with the `deviceSecret`; the reply
/// carries the `iotId`/`iotToken` of an MQTT [`super::mqtt::token_login`].
///
/// Defaults: client id `<productKey>.<deviceName>`, `hmacmd5` (feature `md5`), `signmethod`
/// sent, no timestamp, version or resources, region `cn-shanghai`. `signmethod` may be left
/// out only with hmacmd5 (the platform's default).
#[derive(Clone, Copy, Debug)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct HttpsDeviceAuth<'a> {
    product_key: &'a str,
    device_name: &'a str,
    device_secret: SecretRef<'a>,
    client_id: Option<&'a str>,
    sign_method: SignMethod,
    send_sign_method: bool,
    timestamp: Option<&'a str>,
    version: Option<&'a str>,
    resources: Option<&'a str>,
    region: &'a str,
}

impl<'a> HttpsDeviceAuth<'a> {
    /// An authentication of the device triple.
    ///
    /// ```
    /// use atmodem::aliyun::HttpsDeviceAuth;
    /// // HMAC-MD5(deviceSecret, "clientIda1pk.dev1deviceNamedev1productKeya1pk"), computed
    /// // independently with Python's hmac.
    /// let auth = HttpsDeviceAuth::new("a1pk", "dev1", "Ds56cd78");
    /// assert_eq!(
    ///     auth.build().unwrap().body().expose(),
    ///     "productKey=a1pk&sign=c84fd89adc46877680fc4ebf217a7985&clientId=a1pk.dev1\
    ///      &deviceName=dev1&signmethod=hmacmd5"
    /// );
    /// ```
    #[must_use]
    pub const fn new(product_key: &'a str, device_name: &'a str, device_secret: &'a str) -> Self {
        Self {
            product_key,
            device_name,
            device_secret: SecretRef::new(device_secret),
            client_id: None,
            sign_method: SignMethod::HmacMd5,
            send_sign_method: true,
            timestamp: None,
            version: None,
            resources: None,
            region: endpoint::DEFAULT_REGION,
        }
    }

    /// Client id (default `<productKey>.<deviceName>`); the later MQTT login uses it bare.
    ///
    /// ```
    /// use atmodem::aliyun::HttpsDeviceAuth;
    /// let auth = HttpsDeviceAuth::new("a1pk", "dev1", "Ds56cd78");
    /// let auth = auth.client_id("sensor-7");
    /// assert_eq!(auth.effective_client_id().unwrap(), "sensor-7");
    /// assert!(auth.build().unwrap().body().expose().contains("&clientId=sensor-7&"));
    /// ```
    #[must_use]
    pub const fn client_id(mut self, client_id: &'a str) -> Self {
        self.client_id = Some(client_id);
        self
    }

    /// Sign method (default `hmacmd5`).
    ///
    /// ```
    /// use atmodem::aliyun::{HttpsDeviceAuth, SignMethod};
    /// let auth = HttpsDeviceAuth::new("a1pk", "dev1", "Ds56cd78");
    /// let req = auth.sign_method(SignMethod::HmacSha256).build().unwrap();
    /// assert_eq!(req.sign().len(), 64);
    /// assert!(req.body().expose().ends_with("&signmethod=hmacsha256"));
    /// ```
    #[must_use]
    pub const fn sign_method(mut self, method: SignMethod) -> Self {
        self.sign_method = method;
        self
    }

    /// Whether `signmethod` is written into the body (default true). Leaving it out is allowed
    /// only with hmacmd5.
    ///
    /// ```
    /// use atmodem::aliyun::{HttpsDeviceAuth, SignMethod};
    /// let auth = HttpsDeviceAuth::new("a1pk", "dev1", "Ds56cd78");
    /// // `signmethod` may be left out only with hmacmd5, the platform's default.
    /// let req = auth.send_sign_method(false).build().unwrap();
    /// assert!(!req.body().expose().contains("signmethod"));
    /// let sha256 = auth.sign_method(SignMethod::HmacSha256);
    /// assert!(sha256.send_sign_method(false).build().is_err());
    /// ```
    #[must_use]
    pub const fn send_sign_method(mut self, send: bool) -> Self {
        self.send_sign_method = send;
        self
    }

    /// Timestamp in ms, written as `timestamp` and signed.
    ///
    /// ```
    /// use atmodem::aliyun::HttpsDeviceAuth;
    /// let auth = HttpsDeviceAuth::new("a1pk", "dev1", "Ds56cd78");
    /// let auth = auth.timestamp("1700000000000");
    /// assert!(auth.sign_content().unwrap().ends_with("timestamp1700000000000"));
    /// assert!(auth.build().unwrap().body().expose().contains("&timestamp=1700000000000&"));
    /// ```
    #[must_use]
    pub const fn timestamp(mut self, timestamp: &'a str) -> Self {
        self.timestamp = Some(timestamp);
        self
    }

    /// `version` (Aliyun's SDK 3.x sends `default`); not signed.
    ///
    /// ```
    /// use atmodem::aliyun::HttpsDeviceAuth;
    /// let auth = HttpsDeviceAuth::new("a1pk", "dev1", "Ds56cd78");
    /// let req = auth.version("default").build().unwrap();
    /// assert!(req.body().expose().ends_with("&signmethod=hmacmd5&version=default"));
    /// ```
    #[must_use]
    pub const fn version(mut self, version: &'a str) -> Self {
        self.version = Some(version);
        self
    }

    /// `resources` (e.g. `mqtt`, which makes the reply carry the MQTT host and port); not signed.
    ///
    /// ```
    /// use atmodem::aliyun::HttpsDeviceAuth;
    /// let auth = HttpsDeviceAuth::new("a1pk", "dev1", "Ds56cd78");
    /// let req = auth.resources("mqtt").build().unwrap();
    /// assert!(req.body().expose().ends_with("&resources=mqtt"));
    /// ```
    #[must_use]
    pub const fn resources(mut self, resources: &'a str) -> Self {
        self.resources = Some(resources);
        self
    }

    /// Region id (default `cn-shanghai`).
    ///
    /// ```
    /// use atmodem::aliyun::HttpsDeviceAuth;
    /// let auth = HttpsDeviceAuth::new("a1pk", "dev1", "Ds56cd78");
    /// let req = auth.region("eu-central-1").build().unwrap();
    /// assert_eq!(req.host(), "iot-auth.eu-central-1.aliyuncs.com");
    /// ```
    #[must_use]
    pub const fn region(mut self, region: &'a str) -> Self {
        self.region = region;
        self
    }

    /// The client id the request carries (the given one or `<productKey>.<deviceName>`);
    /// the MQTT login after it uses the same, bare.
    ///
    /// ```
    /// use atmodem::aliyun::HttpsDeviceAuth;
    /// let auth = HttpsDeviceAuth::new("a1pk", "dev1", "Ds56cd78");
    /// assert_eq!(auth.effective_client_id().unwrap(), "a1pk.dev1");
    /// ```
    pub fn effective_client_id(&self) -> Result<String64, Error> {
        client_id_or_default(self.client_id, self.product_key, self.device_name)
    }

    fn checked(&self) -> Result<(Host, String64, SignContent), Error> {
        validate::product_key(self.product_key)?;
        validate::device_name(self.device_name)?;
        validate::device_secret(self.device_secret.expose())?;
        let client_id = client_id_or_default(self.client_id, self.product_key, self.device_name)?;
        if let Some(ts) = self.timestamp {
            validate::timestamp(ts)?;
        }
        if let Some(v) = self.version {
            validate::version(v)?;
        }
        if let Some(r) = self.resources {
            validate::resources(r)?;
        }
        let host = endpoint::auth_host(self.region)?;
        if !self.send_sign_method && self.sign_method != SignMethod::HmacMd5 {
            return Err(Error::invalid(Field::SignMethod, Problem::NotAllowed));
        }
        self.sign_method.ensure_enabled()?;
        let content = sign::device_content(
            &client_id,
            self.device_name,
            self.product_key,
            self.timestamp,
        )?;
        Ok((host, client_id, content))
    }

    /// The exact text that is signed, after validation.
    ///
    /// ```
    /// use atmodem::aliyun::HttpsDeviceAuth;
    /// let auth = HttpsDeviceAuth::new("a1pk", "dev1", "Ds56cd78");
    /// assert_eq!(auth.sign_content().unwrap(), "clientIda1pk.dev1deviceNamedev1productKeya1pk");
    /// ```
    pub fn sign_content(&self) -> Result<SignContent, Error> {
        self.checked().map(|(_, _, content)| content)
    }

    /// Validates, signs and writes the request.
    ///
    /// ```
    /// use atmodem::aliyun::{HttpsDeviceAuth, SignMethod};
    /// // Expected sign computed independently (Python's hmac).
    /// let auth = HttpsDeviceAuth::new("a1pk", "dev1", "Ds56cd78");
    /// let full = auth
    ///     .client_id("sensor-7")
    ///     .sign_method(SignMethod::HmacSha256)
    ///     .timestamp("1700000000000")
    ///     .version("default")
    ///     .resources("mqtt");
    /// assert_eq!(
    ///     full.build().unwrap().body().expose(),
    ///     "productKey=a1pk\
    ///      &sign=47a46677b2dcaddd03f4777997340ff555ef61ecc87e941cfa1ee1f6768d3beb\
    ///      &clientId=sensor-7&deviceName=dev1&timestamp=1700000000000&signmethod=hmacsha256\
    ///      &version=default&resources=mqtt"
    /// );
    /// ```
    pub fn build(&self) -> Result<HttpRequest, Error> {
        let (host, client_id, content) = self.checked()?;
        let sign = sign::hmac_hex(
            self.sign_method,
            self.device_secret.expose().as_bytes(),
            content.as_bytes(),
        )?;
        let mut body = Secret::new();
        body.push_str("productKey=")?;
        push_form(&mut body, self.product_key)?;
        body.push_str("&sign=")?;
        body.push_str(sign.expose())?;
        body.push_str("&clientId=")?;
        push_form(&mut body, &client_id)?;
        body.push_str("&deviceName=")?;
        push_form(&mut body, self.device_name)?;
        if let Some(ts) = self.timestamp {
            body.push_str("&timestamp=")?;
            push_form(&mut body, ts)?;
        }
        if self.send_sign_method {
            body.push_str("&signmethod=")?;
            body.push_str(self.sign_method.wire_name())?;
        }
        if let Some(v) = self.version {
            body.push_str("&version=")?;
            push_form(&mut body, v)?;
        }
        if let Some(r) = self.resources {
            body.push_str("&resources=")?;
            push_form(&mut body, r)?;
        }
        Ok(HttpRequest {
            host,
            path: endpoint::DEVICE_AUTH_PATH,
            content_type: FORM_CONTENT_TYPE,
            body,
            sign,
        })
    }
}

type String64 = heapless::String<{ validate::MAX_CLIENT_ID }>;

/// HTTP channel authentication (`iot-as-http`, device-to-cloud only), signed with the
/// `deviceSecret`; the reply's token goes into the `password` header of `POST /topic/...`.
///
/// Defaults: client id `<productKey>.<deviceName>`, `hmacsha1` (feature `sha1`; Aliyun's
/// SDK 2.x default), no timestamp, region `cn-shanghai`. The body always carries
/// `"version":"default"`.
#[derive(Clone, Copy, Debug)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct HttpChannelAuth<'a> {
    product_key: &'a str,
    device_name: &'a str,
    device_secret: SecretRef<'a>,
    client_id: Option<&'a str>,
    sign_method: SignMethod,
    timestamp: Option<&'a str>,
    region: &'a str,
}

impl<'a> HttpChannelAuth<'a> {
    /// An authentication of the device triple.
    ///
    /// ```
    /// use atmodem::aliyun::HttpChannelAuth;
    /// let auth = HttpChannelAuth::new("a1pk", "dev1", "Ds56cd78");
    /// let req = auth.build().unwrap();
    /// assert_eq!(req.url().unwrap(), "https://iot-as-http.cn-shanghai.aliyuncs.com/auth");
    /// assert_eq!(req.content_type(), "application/json");
    /// ```
    #[must_use]
    pub const fn new(product_key: &'a str, device_name: &'a str, device_secret: &'a str) -> Self {
        Self {
            product_key,
            device_name,
            device_secret: SecretRef::new(device_secret),
            client_id: None,
            sign_method: SignMethod::HmacSha1,
            timestamp: None,
            region: endpoint::DEFAULT_REGION,
        }
    }

    /// Client id (default `<productKey>.<deviceName>`).
    ///
    /// ```
    /// use atmodem::aliyun::HttpChannelAuth;
    /// let auth = HttpChannelAuth::new("a1pk", "dev1", "Ds56cd78");
    /// let auth = auth.client_id("sensor-7");
    /// assert_eq!(auth.sign_content().unwrap(), "clientIdsensor-7deviceNamedev1productKeya1pk");
    /// ```
    #[must_use]
    pub const fn client_id(mut self, client_id: &'a str) -> Self {
        self.client_id = Some(client_id);
        self
    }

    /// Sign method (default `hmacsha1`).
    ///
    /// ```
    /// use atmodem::aliyun::{HttpChannelAuth, SignMethod};
    /// // HMAC-SHA256 with a timestamp, computed independently with Python's hmac.
    /// let auth = HttpChannelAuth::new("a1pk", "dev1", "Ds56cd78");
    /// let auth = auth.sign_method(SignMethod::HmacSha256).timestamp("1700000000000");
    /// assert_eq!(
    ///     auth.build().unwrap().sign().expose(),
    ///     "28066e634d01ca40dff2b7b94b6aebd61300dc2e04fd6a1997c161f768bee1b2"
    /// );
    /// ```
    #[must_use]
    pub const fn sign_method(mut self, method: SignMethod) -> Self {
        self.sign_method = method;
        self
    }

    /// Timestamp in ms, written as `"timestamp"` and signed.
    ///
    /// ```
    /// use atmodem::aliyun::HttpChannelAuth;
    /// let auth = HttpChannelAuth::new("a1pk", "dev1", "Ds56cd78");
    /// let req = auth.timestamp("1700000000000").build().unwrap();
    /// assert!(req.body().expose().ends_with(r#","timestamp":"1700000000000"}"#));
    /// ```
    #[must_use]
    pub const fn timestamp(mut self, timestamp: &'a str) -> Self {
        self.timestamp = Some(timestamp);
        self
    }

    /// Region id (default `cn-shanghai`).
    ///
    /// ```
    /// use atmodem::aliyun::HttpChannelAuth;
    /// let auth = HttpChannelAuth::new("a1pk", "dev1", "Ds56cd78");
    /// let req = auth.region("us-west-1").build().unwrap();
    /// assert_eq!(req.host(), "iot-as-http.us-west-1.aliyuncs.com");
    /// ```
    #[must_use]
    pub const fn region(mut self, region: &'a str) -> Self {
        self.region = region;
        self
    }

    fn checked(&self) -> Result<(Host, String64, SignContent), Error> {
        validate::product_key(self.product_key)?;
        validate::device_name(self.device_name)?;
        validate::device_secret(self.device_secret.expose())?;
        let client_id = client_id_or_default(self.client_id, self.product_key, self.device_name)?;
        if let Some(ts) = self.timestamp {
            validate::timestamp(ts)?;
        }
        let host = endpoint::http_channel_host(self.region)?;
        self.sign_method.ensure_enabled()?;
        let content = sign::device_content(
            &client_id,
            self.device_name,
            self.product_key,
            self.timestamp,
        )?;
        Ok((host, client_id, content))
    }

    /// The exact text that is signed, after validation.
    ///
    /// ```
    /// use atmodem::aliyun::HttpChannelAuth;
    /// let auth = HttpChannelAuth::new("a1pk", "dev1", "Ds56cd78");
    /// assert_eq!(auth.sign_content().unwrap(), "clientIda1pk.dev1deviceNamedev1productKeya1pk");
    /// ```
    pub fn sign_content(&self) -> Result<SignContent, Error> {
        self.checked().map(|(_, _, content)| content)
    }

    /// Validates, signs and writes the request.
    ///
    /// ```
    /// use atmodem::aliyun::HttpChannelAuth;
    /// // HMAC-SHA1(deviceSecret, "clientIda1pk.dev1deviceNamedev1productKeya1pk"), computed
    /// // independently with Python's hmac.
    /// let auth = HttpChannelAuth::new("a1pk", "dev1", "Ds56cd78");
    /// let want = concat!(
    ///     r#"{"version":"default","clientId":"a1pk.dev1","signmethod":"hmacsha1","#,
    ///     r#""sign":"8ab7aec26a08aa2a2ef16aaa8eb1d855b0f99d25","productKey":"a1pk","deviceName":"dev1"}"#,
    /// );
    /// assert_eq!(auth.build().unwrap().body().expose(), want);
    /// ```
    pub fn build(&self) -> Result<HttpRequest, Error> {
        let (host, client_id, content) = self.checked()?;
        let sign = sign::hmac_hex(
            self.sign_method,
            self.device_secret.expose().as_bytes(),
            content.as_bytes(),
        )?;
        let mut body = Secret::new();
        body.push_str(r#"{"version":""#)?;
        body.push_str(HTTP_CHANNEL_VERSION)?;
        body.push_str(r#"","clientId":""#)?;
        push_json(&mut body, &client_id)?;
        body.push_str(r#"","signmethod":""#)?;
        body.push_str(self.sign_method.wire_name())?;
        body.push_str(r#"","sign":""#)?;
        body.push_str(sign.expose())?;
        body.push_str(r#"","productKey":""#)?;
        push_json(&mut body, self.product_key)?;
        body.push_str(r#"","deviceName":""#)?;
        push_json(&mut body, self.device_name)?;
        if let Some(ts) = self.timestamp {
            body.push_str(r#"","timestamp":""#)?;
            push_json(&mut body, ts)?;
        }
        body.push_str(r#""}"#)?;
        Ok(HttpRequest {
            host,
            path: endpoint::HTTP_CHANNEL_AUTH_PATH,
            content_type: JSON_CONTENT_TYPE,
            body,
            sign,
        })
    }
}
