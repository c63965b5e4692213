//! `atmodem-sim`: a host-only test bench for cellular-module drivers.
//!
//! - Behavioural models of Quectel and Luat modules ([`ModemConfig`], [`spawn_model`]) that
//!   read AT command lines and answer as the vendors' manuals say, with real effects: their
//!   MQTT stack is a real MQTT client and their HTTP stack makes real HTTP requests.
//! - A local Aliyun IoT Platform ([`Platform`]): an MQTT broker with the platform's login
//!   check, the HTTPS auth endpoints, Alink replies, NTP, OTA pushes and a firmware server.
//! - Fault injection ([`ModemHandle`], [`Broker`]) and a pseudo-terminal mode (the
//!   `atmodem-sim` binary).
//!
//! Its AT grammar is written from the manuals, independently of any driver, so that it can
//! catch a driver's mistakes. Everything listens on 127.0.0.1 only.

pub mod aliyun;
pub mod at;
pub mod broker;
pub mod http;
mod luat;
pub mod modem;
pub mod mqtt;
pub mod platform;
mod quectel;
pub mod transcript;
pub mod transport;

pub use broker::{Broker, Uplink};
pub use modem::{EmptyAliauth, Family, Fault, ModemConfig, ModemHandle, Sim};
pub use platform::{HostMap, Platform};
pub use transport::{Uart, spawn_model};
