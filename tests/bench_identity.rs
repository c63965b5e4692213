//! Identity queries through `Client::send` against the bench's module models, which answer
//! them from their own configuration (written from the manuals, not from the library).
#![allow(clippy::unwrap_used)]

use atmodem::client::{Client, State};
use atmodem::codec::SimState;
use atmodem::dialects::common::CpinRead;
use atmodem::dialects::identity::{Ccid, Cgsn, Cimi, Qccid};
use atmodem::dialects::luat::Luat;
use atmodem::dialects::quectel::Quectel;
use atmodem::host::TokioDelay as Delay;
use atmodem_sim::transport::uart;
use atmodem_sim::{Family, ModemConfig, Platform, spawn_model};

#[tokio::test]
async fn quectel_identity() {
    let p = Platform::start().await.unwrap();
    let cfg = ModemConfig::new(Family::Quectel, p.host_map());
    let (imei, imsi, iccid) = (cfg.imei.clone(), cfg.imsi.clone(), cfg.iccid.clone());
    let (io, _faults) = spawn_model(cfg);
    let mut state: State = State::new();
    let mut c: Client<_, _, Quectel> = Client::new(uart(io), Delay, &mut state);
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
    let mut state: State = State::new();
    let mut c: Client<_, _, Luat> = Client::new(uart(io), Delay, &mut state);
    assert_eq!(c.send(&Cgsn).await.unwrap().as_str(), imei);
    assert_eq!(c.send(&Cimi).await.unwrap().as_str(), imsi);
    assert_eq!(c.send(&Ccid).await.unwrap().as_str(), iccid);
}

async fn status_queries<D: atmodem::codec::Dialect>(p: &Platform, family: Family) {
    use atmodem::dialects::identity::{AccessTech, CclkRead, Cgmi, Cgmm, CopsRead, OperatorName};
    let (io, _faults) = spawn_model(ModemConfig::new(family, p.host_map()));
    let mut state: State = State::new();
    let mut c: Client<_, _, D> = Client::new(uart(io), Delay, &mut state);
    let maker = c.send(&Cgmi).await.unwrap().0.to_owned();
    let model = c.send(&Cgmm).await.unwrap().0.to_owned();
    let want = match family {
        Family::Quectel => ("Quectel", "EC200U"),
        Family::Luat => ("AirM2M", "Air724UG"),
    };
    assert_eq!((maker.as_str(), model.as_str()), want);
    let t = c.send(&CclkRead).await.unwrap();
    assert_eq!((t.year, t.month, t.day, t.tz_quarters), (2018, 8, 7, 32));
    let op = c.send(&CopsRead).await.unwrap();
    assert_eq!(
        op.name,
        Some(OperatorName::Long("CHINA MOBILE")),
        "{family:?}"
    );
    assert_eq!(op.act, Some(AccessTech::EUtran));
}

#[tokio::test]
async fn model_status_queries() {
    use atmodem::dialects::identity::IccidRead;
    let p = Platform::start().await.unwrap();
    status_queries::<Quectel>(&p, Family::Quectel).await;
    status_queries::<Luat>(&p, Family::Luat).await;
    let cfg = ModemConfig::new(Family::Luat, p.host_map());
    let iccid = cfg.iccid.clone();
    let (io, _faults) = spawn_model(cfg);
    let mut state: State = State::new();
    let mut c: Client<_, _, Luat> = Client::new(uart(io), Delay, &mut state);
    assert_eq!(c.send(&IccidRead).await.unwrap().as_str(), iccid);
}
