//! What a firmware uses, in one import: the client and its configuration, the capability
//! traits and their settings, the two module families, the Aliyun credentials, flows, thing
//! model and OTA types.
//!
//! ```
//! use atmodem::prelude::*;
//!
//! // Credentials, a session and a thing-model topic, with nothing else imported.
//! let creds = DeviceSecretLogin::new("i2uqc2dloOl", "device001", "c4fa40df9c8078073d75a26be2bc8f58")
//!     .timestamp("1680937625134")
//!     .build()?;
//! // securemode=2: the session must use TLS (SSL context 0 here).
//! let session = flow::session("iot-06z00hxss3rggno.mqtt.iothub.aliyuncs.com", 8883, &creds, Some(0))?;
//! assert_eq!(session.login.client_id(), creds.client_id());
//! let dev = Device::new("i2uqc2dloOl", "device001")?;
//! let mut buf = [0u8; 96];
//! assert_eq!(
//!     dev.topic_into(Topic::PropertyPost, &mut buf)?,
//!     "/sys/i2uqc2dloOl/device001/thing/event/property/post"
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Everything else (the codec on its own, single typed commands, the sign primitives) stays in
//! its module: `atmodem::codec`, `atmodem::dialects::*`, `atmodem::aliyun::*`.

pub use crate::aliyun::flow::{self, FlowError, login_of};
pub use crate::aliyun::ota::{
    self, Download, DownloadPlan, FetchError, FirmwareSink, NorFlashSink, Step, Transfer,
    UpgradeNotice,
};
pub use crate::aliyun::thing::{self, DOWNLINK_FILTERS, Device, Downlink, Filter, Topic, classify};
pub use crate::aliyun::{
    DeviceSecretLogin, MqttCredentials, MqttEndpoint, MqttRegistration, SecureMode, SignMethod,
};
pub use crate::client::{
    Bearer, BearerConfig, Client, Config, Error, Http, HttpPost, HttpResponse, HttpTiming,
    LoginTransport, Modem, Mqtt, MqttLogin, MqttSession, Session, State, Stats,
};
pub use crate::dialects::MqttMessage;
pub use crate::dialects::luat::Luat;
pub use crate::dialects::quectel::Quectel;
