//! Identity queries through `Client::send` against the bench's module models, which answer
//! them from their own configuration (written from the manuals, not from the library).
#![allow(clippy::unwrap_used)]

use atmodem::client::Client;
use atmodem::codec::SimState;
use atmodem::dialects::common::CpinRead;
use atmodem::dialects::identity::{Ccid, Cgsn, Cimi, Qccid};
use atmodem::dialects::luat::Luat;
use atmodem::dialects::quectel::Quectel;
use atmodem_sim::transport::{Delay, uart};
use atmodem_sim::{Family, ModemConfig, Platform, spawn_model};

#[tokio::test]
async fn quectel_identity() {
    let p = Platform::start().await.unwrap();
    let cfg = ModemConfig::new(Family::Quectel, p.host_map());
    let (imei, imsi, iccid) = (cfg.imei.clone(), cfg.imsi.clone(), cfg.iccid.clone());
    let (io, _faults) = spawn_model(cfg);
    let mut c: Client<_, _, Quectel> = Client::new(uart(io), Delay);
    assert_eq!(c.send(&Cgsn).await.unwrap().as_str(), imei);
    assert_eq!(c.send(&Cimi).await.unwrap().as_str(), imsi);
    assert_eq!(c.send(&Qccid).await.unwrap().as_str(), iccid);
    assert_eq!(c.send(&CpinRead).await.unwrap(), SimState::Ready);
}

#[tokio::test]
async fn luat_identity() {
    let p = Platform::start().await.unwrap();
    let cfg = ModemConfig::new(Family::Luat, p.host_map());
    let (imei, imsi, iccid) = (cfg.imei.clone(), cfg.imsi.clone(), cfg.iccid.clone());
    let (io, _faults) = spawn_model(cfg);
    let mut c: Client<_, _, Luat> = Client::new(uart(io), Delay);
    assert_eq!(c.send(&Cgsn).await.unwrap().as_str(), imei);
    assert_eq!(c.send(&Cimi).await.unwrap().as_str(), imsi);
    assert_eq!(c.send(&Ccid).await.unwrap().as_str(), iccid);
}
