//! Aliyun host names, ports, URLs and MQTT topics.
//!
//! * MQTT, old public instance: `<productKey>.iot-as-mqtt.<region>.aliyuncs.com`, TLS on 1883
//!   or 443, plain TCP on 1883.
//! * MQTT, new public or Enterprise instance: `<instanceId>.mqtt.iothub.aliyuncs.com`, TLS on
//!   1883 and 443 (GlobalSign R1 chain) and 8883 (Aliyun's own S1 chain), plain TCP on 1883.
//!   Plain TCP (`securemode=3`) is refused for accounts created since 2022-08.
//! * HTTPS registration and device auth: `iot-auth.<region>.aliyuncs.com:443`.
//! * HTTP channel: `iot-as-http.<region>.aliyuncs.com:443`.

use heapless::String;

use super::error::Error;
use super::validate;

/// Region used when none is given: `cn-shanghai`.
pub const DEFAULT_REGION: &str = "cn-shanghai";
/// HTTPS port of `iot-auth` and `iot-as-http`.
pub const HTTPS_PORT: u16 = 443;
/// Path of the HTTPS dynamic registration.
pub const REGISTER_PATH: &str = "/auth/register/device";
/// Path of the HTTPS device authentication (iotId / iotToken).
pub const DEVICE_AUTH_PATH: &str = "/auth/devicename";
/// Path of the HTTP channel authentication.
pub const HTTP_CHANNEL_AUTH_PATH: &str = "/auth";

const fn max(a: usize, b: usize) -> usize {
    if a > b { a } else { b }
}

const PUBLIC_MQTT_HOST_LEN: usize = validate::MAX_PRODUCT_KEY
    + ".iot-as-mqtt.".len()
    + validate::MAX_REGION
    + ".aliyuncs.com".len();
const INSTANCE_MQTT_HOST_LEN: usize = validate::MAX_INSTANCE_ID + ".mqtt.iothub.aliyuncs.com".len();
const HTTP_HOST_LEN: usize = "iot-as-http.".len() + validate::MAX_REGION + ".aliyuncs.com".len();

/// Capacity of a host name built here.
pub const HOST_CAP: usize = max(
    max(PUBLIC_MQTT_HOST_LEN, INSTANCE_MQTT_HOST_LEN),
    HTTP_HOST_LEN,
);
/// Capacity of a URL built here.
pub const URL_CAP: usize = "https://".len() + HTTP_HOST_LEN + REGISTER_PATH.len();
/// Capacity of a topic built here.
pub const TOPIC_CAP: usize = max(
    "/sys/".len()
        + validate::MAX_PRODUCT_KEY
        + 1
        + validate::MAX_DEVICE_NAME
        + "/thing/event/property/post_reply".len(),
    1 + validate::MAX_PRODUCT_KEY
        + 1
        + validate::MAX_DEVICE_NAME
        + "/user/".len()
        + validate::MAX_TOPIC_NAME,
);

/// A host name.
pub type Host = String<HOST_CAP>;
/// An `https://` URL.
pub type Url = String<URL_CAP>;
/// An MQTT topic.
pub type Topic = String<TOPIC_CAP>;

pub(crate) fn push<const N: usize>(out: &mut String<N>, parts: &[&str]) -> Result<(), Error> {
    parts
        .iter()
        .try_for_each(|p| out.push_str(p).map_err(|_| Error::Capacity))
}

/// Which MQTT endpoint a device connects to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum MqttEndpoint<'a> {
    /// Old public instance: `<productKey>.iot-as-mqtt.<region>.aliyuncs.com`.
    Public {
        /// `productKey`.
        product_key: &'a str,
        /// Region id, e.g. `cn-shanghai`.
        region: &'a str,
    },
    /// New public or Enterprise instance: `<instanceId>.mqtt.iothub.aliyuncs.com`.
    Instance {
        /// `instanceId`, e.g. `iot-06z00hxss3rggno`.
        instance_id: &'a str,
    },
}

impl MqttEndpoint<'_> {
    /// The broker's host name, after validating its parts.
    ///
    /// ```
    /// use atmodem::aliyun::MqttEndpoint;
    /// let old = MqttEndpoint::Public { product_key: "a1pk", region: "cn-shanghai" };
    /// assert_eq!(old.host().unwrap(), "a1pk.iot-as-mqtt.cn-shanghai.aliyuncs.com");
    /// let new = MqttEndpoint::Instance { instance_id: "iot-06z00hxss3rggno" };
    /// assert_eq!(new.host().unwrap(), "iot-06z00hxss3rggno.mqtt.iothub.aliyuncs.com");
    /// assert!(MqttEndpoint::Public { product_key: "a1pk", region: "CN" }.host().is_err());
    /// ```
    pub fn host(&self) -> Result<Host, Error> {
        let mut host = Host::new();
        match *self {
            Self::Public {
                product_key,
                region,
            } => {
                validate::product_key(product_key)?;
                validate::region(region)?;
                push(
                    &mut host,
                    &[product_key, ".iot-as-mqtt.", region, ".aliyuncs.com"],
                )?;
            }
            Self::Instance { instance_id } => {
                validate::instance_id(instance_id)?;
                push(&mut host, &[instance_id, ".mqtt.iothub.aliyuncs.com"])?;
            }
        }
        Ok(host)
    }

    /// Ports that speak MQTT over TLS (`securemode=2` / `-2`), preferred first.
    ///
    /// ```
    /// use atmodem::aliyun::MqttEndpoint;
    /// // 8883 only on instance endpoints (Aliyun's own chain).
    /// let new = MqttEndpoint::Instance { instance_id: "iot-06z00hxss3rggno" };
    /// assert_eq!(new.tls_ports(), &[1883, 443, 8883]);
    /// ```
    #[must_use]
    pub const fn tls_ports(&self) -> &'static [u16] {
        match self {
            Self::Public { .. } => &[1883, 443],
            Self::Instance { .. } => &[1883, 443, 8883],
        }
    }

    /// Ports that speak plain MQTT over TCP (`securemode=3`).
    ///
    /// ```
    /// use atmodem::aliyun::MqttEndpoint;
    /// let old = MqttEndpoint::Public { product_key: "a1pk", region: "cn-shanghai" };
    /// assert_eq!(old.tcp_ports(), &[1883]);
    /// ```
    #[must_use]
    pub const fn tcp_ports(&self) -> &'static [u16] {
        &[1883]
    }
}

/// `iot-auth.<region>.aliyuncs.com`: HTTPS registration and device auth (port 443).
///
/// ```
/// assert_eq!(
///     atmodem::aliyun::auth_host("cn-shanghai").unwrap(),
///     "iot-auth.cn-shanghai.aliyuncs.com"
/// );
/// ```
pub fn auth_host(region: &str) -> Result<Host, Error> {
    validate::region(region)?;
    let mut host = Host::new();
    push(&mut host, &["iot-auth.", region, ".aliyuncs.com"])?;
    Ok(host)
}

/// `iot-as-http.<region>.aliyuncs.com`: the HTTP channel (port 443).
///
/// ```
/// assert_eq!(
///     atmodem::aliyun::http_channel_host("ap-southeast-1").unwrap(),
///     "iot-as-http.ap-southeast-1.aliyuncs.com"
/// );
/// ```
pub fn http_channel_host(region: &str) -> Result<Host, Error> {
    validate::region(region)?;
    let mut host = Host::new();
    push(&mut host, &["iot-as-http.", region, ".aliyuncs.com"])?;
    Ok(host)
}

/// `https://<host><path>`.
pub(crate) fn https_url(host: &str, path: &str) -> Result<Url, Error> {
    let mut url = Url::new();
    push(&mut url, &["https://", host, path])?;
    Ok(url)
}

/// `https://iot-auth.<region>.aliyuncs.com/auth/register/device`.
///
/// ```
/// assert_eq!(
///     atmodem::aliyun::register_url("cn-shanghai").unwrap(),
///     "https://iot-auth.cn-shanghai.aliyuncs.com/auth/register/device"
/// );
/// ```
pub fn register_url(region: &str) -> Result<Url, Error> {
    https_url(&auth_host(region)?, REGISTER_PATH)
}

/// `https://iot-auth.<region>.aliyuncs.com/auth/devicename`.
///
/// ```
/// assert_eq!(
///     atmodem::aliyun::device_auth_url("cn-shanghai").unwrap(),
///     "https://iot-auth.cn-shanghai.aliyuncs.com/auth/devicename"
/// );
/// ```
pub fn device_auth_url(region: &str) -> Result<Url, Error> {
    https_url(&auth_host(region)?, DEVICE_AUTH_PATH)
}

/// `https://iot-as-http.<region>.aliyuncs.com/auth`.
///
/// ```
/// assert_eq!(
///     atmodem::aliyun::http_channel_auth_url("cn-shanghai").unwrap(),
///     "https://iot-as-http.cn-shanghai.aliyuncs.com/auth"
/// );
/// ```
pub fn http_channel_auth_url(region: &str) -> Result<Url, Error> {
    https_url(&http_channel_host(region)?, HTTP_CHANNEL_AUTH_PATH)
}

/// Topic on which the platform answers an MQTT `authType=register`.
pub const REGISTER_REPLY_TOPIC: &str = "/ext/register";
/// Topic on which the platform answers an MQTT `authType=regnwl`.
pub const REGNWL_REPLY_TOPIC: &str = "/ext/regnwl";

fn sys_topic(product_key: &str, device_name: &str, tail: &str) -> Result<Topic, Error> {
    validate::product_key(product_key)?;
    validate::device_name(device_name)?;
    let mut t = Topic::new();
    push(&mut t, &["/sys/", product_key, "/", device_name, tail])?;
    Ok(t)
}

/// `/sys/<pk>/<dn>/thing/event/property/post`: the device reports properties.
///
/// ```
/// assert_eq!(
///     atmodem::aliyun::property_post_topic("a1pk", "dev1").unwrap(),
///     "/sys/a1pk/dev1/thing/event/property/post"
/// );
/// assert!(atmodem::aliyun::property_post_topic("a1pk", "dev").is_err()); // deviceName: 4 or more
/// ```
pub fn property_post_topic(product_key: &str, device_name: &str) -> Result<Topic, Error> {
    sys_topic(product_key, device_name, "/thing/event/property/post")
}

/// `/sys/<pk>/<dn>/thing/event/property/post_reply`: the platform acknowledges a report.
///
/// ```
/// assert_eq!(
///     atmodem::aliyun::property_post_reply_topic("a1pk", "dev1").unwrap(),
///     "/sys/a1pk/dev1/thing/event/property/post_reply"
/// );
/// assert!(atmodem::aliyun::property_post_reply_topic("a1pk", "dev").is_err()); // deviceName: 4 or more
/// ```
pub fn property_post_reply_topic(product_key: &str, device_name: &str) -> Result<Topic, Error> {
    sys_topic(product_key, device_name, "/thing/event/property/post_reply")
}

/// `/sys/<pk>/<dn>/thing/service/property/set`: the platform sets properties.
///
/// ```
/// assert_eq!(
///     atmodem::aliyun::property_set_topic("a1pk", "dev1").unwrap(),
///     "/sys/a1pk/dev1/thing/service/property/set"
/// );
/// assert!(atmodem::aliyun::property_set_topic("a1pk", "dev").is_err()); // deviceName: 4 or more
/// ```
pub fn property_set_topic(product_key: &str, device_name: &str) -> Result<Topic, Error> {
    sys_topic(product_key, device_name, "/thing/service/property/set")
}

/// `/<pk>/<dn>/user/<name>`: a custom topic (e.g. `update`, `get`, `update/error`).
///
/// ```
/// use atmodem::aliyun::user_topic;
/// assert_eq!(user_topic("a1pk", "dev1", "update/error").unwrap(), "/a1pk/dev1/user/update/error");
/// assert!(user_topic("a1pk", "dev1", "a//b").is_err());
/// ```
pub fn user_topic(product_key: &str, device_name: &str, name: &str) -> Result<Topic, Error> {
    validate::product_key(product_key)?;
    validate::device_name(device_name)?;
    validate::topic_name(name)?;
    let mut t = Topic::new();
    push(
        &mut t,
        &["/", product_key, "/", device_name, "/user/", name],
    )?;
    Ok(t)
}
