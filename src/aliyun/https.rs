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
    #[must_use]
    pub const fn method(&self) -> &'static str {
        "POST"
    }

    /// Host name, e.g. `iot-auth.cn-shanghai.aliyuncs.com`.
    #[must_use]
    pub fn host(&self) -> &str {
        &self.host
    }

    /// Port (443, HTTPS).
    #[must_use]
    pub const fn port(&self) -> u16 {
        HTTPS_PORT
    }

    /// Path, e.g. `/auth/register/device`.
    #[must_use]
    pub const fn path(&self) -> &'static str {
        self.path
    }

    /// `https://<host><path>`.
    pub fn url(&self) -> Result<Url, Error> {
        endpoint::https_url(&self.host, self.path)
    }

    /// Value of the `Content-Type` header.
    #[must_use]
    pub const fn content_type(&self) -> &'static str {
        self.content_type
    }

    /// The exact body bytes to send (its length is the `Content-Length`).
    #[must_use]
    pub const fn body(&self) -> &Secret<BODY_CAP> {
        &self.body
    }

    /// The lower-case hex sign inside the body.
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
    #[must_use]
    pub const fn sign_method(mut self, method: SignMethod) -> Self {
        self.sign_method = method;
        self
    }

    /// How the `signMethod` value is written, e.g. `HmacMD5` (the Luat note's spelling). It
    /// must name the sign method, case-insensitively; default: the lower-case wire name.
    #[must_use]
    pub const fn sign_method_spelling(mut self, spelling: &'a str) -> Self {
        self.spelling = Some(spelling);
        self
    }

    /// Region id (default `cn-shanghai`).
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
    pub fn sign_content(&self) -> Result<SignContent, Error> {
        self.checked().map(|(_, _, content)| content)
    }

    /// Validates, signs and writes the request.
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
    #[must_use]
    pub const fn client_id(mut self, client_id: &'a str) -> Self {
        self.client_id = Some(client_id);
        self
    }

    /// Sign method (default `hmacmd5`).
    #[must_use]
    pub const fn sign_method(mut self, method: SignMethod) -> Self {
        self.sign_method = method;
        self
    }

    /// Whether `signmethod` is written into the body (default true). Leaving it out is allowed
    /// only with hmacmd5.
    #[must_use]
    pub const fn send_sign_method(mut self, send: bool) -> Self {
        self.send_sign_method = send;
        self
    }

    /// Timestamp in ms, written as `timestamp` and signed.
    #[must_use]
    pub const fn timestamp(mut self, timestamp: &'a str) -> Self {
        self.timestamp = Some(timestamp);
        self
    }

    /// `version` (Aliyun's SDK 3.x sends `default`); not signed.
    #[must_use]
    pub const fn version(mut self, version: &'a str) -> Self {
        self.version = Some(version);
        self
    }

    /// `resources` (e.g. `mqtt`, which makes the reply carry the MQTT host and port); not signed.
    #[must_use]
    pub const fn resources(mut self, resources: &'a str) -> Self {
        self.resources = Some(resources);
        self
    }

    /// Region id (default `cn-shanghai`).
    #[must_use]
    pub const fn region(mut self, region: &'a str) -> Self {
        self.region = region;
        self
    }

    /// The client id the request carries (the given one or `<productKey>.<deviceName>`);
    /// the MQTT login after it uses the same, bare.
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
    pub fn sign_content(&self) -> Result<SignContent, Error> {
        self.checked().map(|(_, _, content)| content)
    }

    /// Validates, signs and writes the request.
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
    #[must_use]
    pub const fn client_id(mut self, client_id: &'a str) -> Self {
        self.client_id = Some(client_id);
        self
    }

    /// Sign method (default `hmacsha1`).
    #[must_use]
    pub const fn sign_method(mut self, method: SignMethod) -> Self {
        self.sign_method = method;
        self
    }

    /// Timestamp in ms, written as `"timestamp"` and signed.
    #[must_use]
    pub const fn timestamp(mut self, timestamp: &'a str) -> Self {
        self.timestamp = Some(timestamp);
        self
    }

    /// Region id (default `cn-shanghai`).
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
    pub fn sign_content(&self) -> Result<SignContent, Error> {
        self.checked().map(|(_, _, content)| content)
    }

    /// Validates, signs and writes the request.
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
