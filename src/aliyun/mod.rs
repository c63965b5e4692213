//! Aliyun IoT Platform: sign strings, credentials, replies, hosts and topics.
//!
//! This module owns everything a device needs to authenticate with the Aliyun IoT Platform,
//! with no I/O and no allocation: every output lives in a fixed-capacity buffer sized to
//! Aliyun's limits, every input is validated before anything is signed, and secrets and
//! tokens are wrapped so they never reach `Debug` or `defmt` output.
//!
//! | flow | builder | key | reply |
//! |---|---|---|---|
//! | one-device-one-secret MQTT login | [`DeviceSecretLogin`] | `deviceSecret` | — |
//! | MQTT dynamic registration, `authType=register` | [`MqttRegistration`] | `productSecret` | [`parse_register_payload`] on `/ext/register` |
//! | MQTT registration-free, `authType=regnwl` | [`MqttRegistration`] + [`AuthType::Regnwl`] | `productSecret` | [`parse_regnwl_payload`] on `/ext/regnwl`, then [`connwl_login`] |
//! | HTTPS `/auth/register/device` | [`HttpsRegistration`] | `productSecret` | [`parse_register_reply`] |
//! | HTTPS `/auth/devicename` | [`HttpsDeviceAuth`] | `deviceSecret` | [`parse_auth_reply`], then [`token_login`] |
//! | HTTP channel `/auth` | [`HttpChannelAuth`] | `deviceSecret` | [`parse_http_channel_reply`] |
//! | TLS-PSK identity and key | [`TlsPsk`] | `deviceSecret` | — |
//!
//! The pure parts above need no modem; [`flow`] runs the flows on one through the client.
//!
//! ```
//! use atmodem::aliyun::{DeviceSecretLogin, SignMethod};
//!
//! let creds = DeviceSecretLogin::new("i2uqc2dloOl", "device001", "c4fa40df9c8078073d75a26be2bc8f58")
//!     .timestamp("1680937625134")
//!     .sign_method(SignMethod::HmacSha256)
//!     .build()?;
//! assert_eq!(
//!     creds.client_id(),
//!     "i2uqc2dloOl.device001|securemode=2,signmethod=hmacsha256,timestamp=1680937625134|"
//! );
//! assert_eq!(creds.username(), "device001&i2uqc2dloOl");
//! assert!(creds.password().expose().starts_with("0309b317"));
//! # Ok::<(), atmodem::aliyun::Error>(())
//! ```

pub mod ca;
pub mod endpoint;
pub mod error;
pub mod flow;
pub mod https;
pub mod json;
pub mod mqtt;
pub mod ntp;
pub mod ota;
pub mod psk;
pub mod reply;
pub mod secret;
pub mod sign;
pub mod thing;
pub mod validate;

pub use endpoint::{
    MqttEndpoint, REGISTER_REPLY_TOPIC, REGNWL_REPLY_TOPIC, auth_host, device_auth_url,
    http_channel_auth_url, http_channel_host, property_post_reply_topic, property_post_topic,
    property_set_topic, register_url, user_topic,
};
pub use error::{Error, Field, Problem};
pub use https::{HttpChannelAuth, HttpRequest, HttpsDeviceAuth, HttpsRegistration};
pub use mqtt::{
    AuthType, DeviceSecretLogin, MqttCredentials, MqttRegistration, SecureMode, connwl_login,
    token_login,
};
pub use psk::{PskCredentials, TlsPsk};
pub use reply::{
    AuthReply, DeviceSecretReply, HttpChannelToken, MqttResource, RegnwlReply, ReplyError,
    parse_auth_reply, parse_http_channel_reply, parse_register_payload, parse_register_reply,
    parse_regnwl_payload,
};
pub use secret::{Secret, SecretRef};
pub use sign::{SignMethod, hmac_hex};
