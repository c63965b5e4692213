//! Faults injected during an MQTT session: the models' output shows the documented URCs.

mod common;

use std::time::{Duration, Instant};

use atmodem_sim::aliyun::Refusal;
use atmodem_sim::{Family, Platform};
use common::Host;

const LOGIN: &str = r#""i2uqc2dloOl.device001|securemode=3,signmethod=hmacsha1|","device001&i2uqc2dloOl","435784a18d27b29401cac6253c9a67109e9e4d14""#;

async fn quectel_session(h: &mut Host) {
    h.cmd(r#"AT+QMTOPEN=0,"a.aliyuncs.com",1883"#).await;
    h.expect(b"\r\n+QMTOPEN: 0,0\r\n").await;
    h.cmd(&format!("AT+QMTCONN=0,{LOGIN}")).await;
    h.expect(b"\r\n+QMTCONN: 0,0,0\r\n").await;
}

async fn luat_session(h: &mut Host) {
    h.cmd(&format!("AT+MCONFIG={LOGIN}")).await;
    h.cmd(r#"AT+MIPSTART="a.aliyuncs.com",1883"#).await;
    h.expect(b"\r\nCONNECT OK\r\n").await;
    h.cmd("AT+MCONNECT=1,60").await;
    h.expect(b"\r\nCONNACK OK\r\n").await;
}

#[tokio::test]
async fn quectel_link_drops_with_each_qmtstat_code() {
    let p = Platform::start().await.unwrap();
    let mut h = Host::on(&p, Family::Quectel).await;
    for code in 1..=7 {
        quectel_session(&mut h).await;
        h.handle.drop_mqtt(0, code);
        h.expect(format!("\r\n+QMTSTAT: 0,{code}\r\n").as_bytes())
            .await;
        // The client is closed: a publish is refused, a new open works.
        assert_eq!(h.cmd(r#"AT+QMTPUBEX=0,0,0,0,"t",1"#).await, "\r\nERROR\r\n");
    }
}

#[tokio::test]
async fn quectel_pdp_deactivation() {
    let p = Platform::start().await.unwrap();
    let mut h = Host::on(&p, Family::Quectel).await;
    h.cmd(r#"AT+QICSGP=1,1,"cmnet","","",0"#).await;
    assert_eq!(h.cmd("AT+QIACT=1").await, "\r\nOK\r\n");
    assert_eq!(
        h.cmd("AT+QIACT?").await,
        "\r\n+QIACT: 1,1,1,\"10.113.242.215\"\r\n\r\nOK\r\n"
    );
    quectel_session(&mut h).await;
    h.handle.pdp_deact(1);
    h.expect(b"\r\n+QIURC: \"pdpdeact\",1\r\n").await;
    assert_eq!(h.cmd("AT+QIACT?").await, "\r\nOK\r\n");
    assert_eq!(h.cmd("AT+QMTCONN?").await, "\r\nOK\r\n");
    assert_eq!(h.cmd("AT+QIACT=1").await, "\r\nOK\r\n");
    assert_eq!(h.cmd("AT+QIDEACT=1").await, "\r\nOK\r\n");
}

#[tokio::test]
async fn quectel_reboot() {
    let p = Platform::start().await.unwrap();
    let mut h = Host::on(&p, Family::Quectel).await;
    quectel_session(&mut h).await;
    h.handle.reboot();
    h.expect(b"\r\nPOWERED DOWN\r\n").await;
    h.expect(b"\r\nRDY\r\n\r\n+CFUN: 1\r\n\r\n+CPIN: READY\r\n\r\n+QUSIM: 1\r\n\r\n+QIND: SMS DONE\r\n\r\nAPP RDY\r\n").await;
    // Echo is back on, the MQTT client is gone.
    assert_eq!(h.cmd("AT+QMTCONN?").await, "AT+QMTCONN?\r\r\nOK\r\n");
}

#[tokio::test]
async fn luat_faults() {
    let p = Platform::start().await.unwrap();
    let mut h = Host::on(&p, Family::Luat).await;
    luat_session(&mut h).await;
    h.handle.drop_mqtt(0, 1);
    h.expect(b"\r\nCLOSED\r\n").await;
    assert_eq!(
        h.cmd("AT+MQTTSTATU").await,
        "\r\n+MQTTSTATU :0\r\n\r\nOK\r\n"
    );

    h.cmd("AT+SAPBR=1,1").await;
    luat_session(&mut h).await;
    h.handle.pdp_deact(1);
    h.expect(b"\r\n+SAPBR 1: DEACT\r\n\r\n+PDP DEACT\r\n\r\nCLOSED\r\n")
        .await;
    assert_eq!(
        h.cmd("AT+SAPBR=2,1").await,
        "\r\n+SAPBR: 1,3,\"0.0.0.0\"\r\n\r\nOK\r\n"
    );

    h.handle.reboot();
    h.expect(b"\r\nNORMAL POWER DOWN\r\n").await;
    h.expect(b"\r\nRDY\r\n\r\n^MODE: 17,17\r\n\r\n+E_UTRAN Service\r\n\r\n+CGEV: ME PDN ACT 1\r\n")
        .await;
}

#[tokio::test]
async fn broker_stop_and_restart() {
    let p = Platform::start().await.unwrap();
    let mut q = Host::on(&p, Family::Quectel).await;
    let mut l = Host::on(&p, Family::Luat).await;
    quectel_session(&mut q).await;
    luat_session(&mut l).await;
    p.broker().stop();
    q.expect(b"\r\n+QMTSTAT: 0,1\r\n").await;
    l.expect(b"\r\nCLOSED\r\n").await;
    q.cmd(r#"AT+QMTOPEN=0,"a.aliyuncs.com",1883"#).await;
    q.expect(b"\r\n+QMTOPEN: 0,5\r\n").await;
    p.broker().restart().await.unwrap();
    quectel_session(&mut q).await;
    luat_session(&mut l).await;
}

#[tokio::test]
async fn refused_credentials() {
    let p = Platform::start().await.unwrap();
    let mut q = Host::on(&p, Family::Quectel).await;
    p.broker().refuse_logins(Some(Refusal::NotAuthorized));
    q.cmd(r#"AT+QMTOPEN=0,"a.aliyuncs.com",1883"#).await;
    q.expect(b"\r\n+QMTOPEN: 0,0\r\n").await;
    q.cmd(&format!("AT+QMTCONN=0,{LOGIN}")).await;
    q.expect(b"\r\n+QMTCONN: 0,0,5\r\n").await;
    p.broker().refuse_logins(Some(Refusal::BadCredentials));
    q.cmd(r#"AT+QMTOPEN=0,"a.aliyuncs.com",1883"#).await;
    q.expect(b"\r\n+QMTOPEN: 0,0\r\n").await;
    q.cmd(&format!("AT+QMTCONN=0,{LOGIN}")).await;
    q.expect(b"\r\n+QMTCONN: 0,0,4\r\n").await;
    assert!(q.drain_for(Duration::from_millis(100)).await.is_empty());
}

#[tokio::test]
async fn silence_slowness_garbage_and_storms() {
    let p = Platform::start().await.unwrap();
    let mut h = Host::on(&p, Family::Quectel).await;
    quectel_session(&mut h).await;

    h.handle.silent(true);
    h.send(b"AT\r").await;
    assert!(h.drain_for(Duration::from_millis(200)).await.is_empty());
    h.handle.silent(false);
    assert_eq!(h.cmd("AT").await, "\r\nOK\r\n");

    h.handle.slow(Some(Duration::from_millis(20)));
    let t = Instant::now();
    assert_eq!(h.cmd("AT").await, "\r\nOK\r\n");
    assert!(
        t.elapsed() >= Duration::from_millis(100),
        "{:?}",
        t.elapsed()
    );
    h.handle.slow(None);

    h.handle.garbage(b"\xff\x00?");
    h.expect(b"\xff\x00?").await;

    h.handle.storm("+QMTPING: 0,1", 50);
    let storm = h.until(b"\r\n").await;
    assert_eq!(storm, b"\r\n");
    h.send(b"AT\r").await;
    let rest = String::from_utf8(h.until(b"OK\r\n").await).unwrap();
    assert_eq!(rest.matches("+QMTPING: 0,1\r\n").count(), 50);
    // The session survived all of it.
    h.send(b"AT+QMTPUBEX=0,0,0,0,\"t\",1\r").await;
    h.expect(b"\r\n> ").await;
    h.send(b"x").await;
    h.expect(b"\r\nOK\r\n\r\n+QMTPUBEX: 0,0,0\r\n").await;
}

#[tokio::test]
async fn skewed_clock_in_ntp_replies() {
    let p = Platform::start().await.unwrap();
    let mut h = Host::on(&p, Family::Quectel).await;
    quectel_session(&mut h).await;
    let base = "/ext/ntp/i2uqc2dloOl/device001";
    h.cmd(&format!(r#"AT+QMTSUB=0,1,"{base}/response",0"#))
        .await;
    h.expect(b"\r\n+QMTSUB: 0,1,0,1\r\n").await;
    let day = 86_400_000i64;
    p.skew_clock(day);
    let payload = r#"{"deviceSendTime":"1000"}"#;
    h.send(format!("AT+QMTPUBEX=0,0,0,0,\"{base}/request\",{}\r", payload.len()).as_bytes())
        .await;
    h.until(b"> ").await;
    h.send(payload.as_bytes()).await;
    h.until(b"+QMTPUBEX: 0,0,0\r\n").await;
    let urc = String::from_utf8(h.until(b"}\"\r\n").await).unwrap();
    let json = &urc[urc.find('{').unwrap()..urc.rfind('"').unwrap()];
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    assert_eq!(v["deviceSendTime"], "1000");
    let server: i64 = v["serverSendTime"].as_str().unwrap().parse().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    assert!((server - now - day).abs() < 10_000, "{server} vs {now}");
}

#[tokio::test]
async fn unresponsive_broker() {
    let p = Platform::start().await.unwrap();
    // No CONNACK: Quectel gives up after the packet timeout and its retries (here
    // max_wait), +QMTSTAT 4; Luat answers the connect with ERROR, then CLOSED.
    let short = |c: &mut atmodem_sim::ModemConfig| c.max_wait = Duration::from_millis(300);
    let mut q = Host::with(&p, Family::Quectel, short).await;
    let mut l = Host::with(&p, Family::Luat, short).await;
    p.broker().silence(true);
    q.cmd(r#"AT+QMTOPEN=0,"a.aliyuncs.com",1883"#).await;
    q.expect(b"\r\n+QMTOPEN: 0,0\r\n").await;
    q.cmd(&format!("AT+QMTCONN=0,{LOGIN}")).await;
    q.expect(b"\r\n+QMTSTAT: 0,4\r\n").await;
    l.cmd(&format!("AT+MCONFIG={LOGIN}")).await;
    l.cmd(r#"AT+MIPSTART="a.aliyuncs.com",1883"#).await;
    l.expect(b"\r\nCONNECT OK\r\n").await;
    l.cmd("AT+MCONNECT=1,60").await;
    l.expect(b"\r\nERROR\r\n\r\nCLOSED\r\n").await;

    // No PINGRESP: +QMTSTAT 2 after the keepalive period without an answer; Luat CLOSED.
    // (One after the other: both log in as the same device, and a second login kicks the first.)
    p.broker().silence(false);
    q.cmd(r#"AT+QMTCFG="keepalive",0,1"#).await;
    quectel_session(&mut q).await;
    // Pings answered: the link lives on.
    let idle = q.drain_for(Duration::from_millis(1500)).await;
    assert!(idle.is_empty(), "{:?}", common::show(&idle));
    p.broker().silence(true);
    q.until_within(b"\r\n+QMTSTAT: 0,2\r\n", Duration::from_secs(4))
        .await;

    p.broker().silence(false);
    l.cmd(r#"AT+MIPSTART="a.aliyuncs.com",1883"#).await;
    l.expect(b"\r\nCONNECT OK\r\n").await;
    l.cmd("AT+MCONNECT=1,1").await;
    l.expect(b"\r\nCONNACK OK\r\n").await;
    assert!(l.drain_for(Duration::from_millis(1500)).await.is_empty());
    p.broker().silence(true);
    l.until_within(b"\r\nCLOSED\r\n", Duration::from_secs(4))
        .await;
}

#[tokio::test]
async fn a_second_login_of_the_device_kicks_the_first() {
    let p = Platform::start().await.unwrap();
    let mut q = Host::on(&p, Family::Quectel).await;
    let mut l = Host::on(&p, Family::Luat).await;
    quectel_session(&mut q).await;
    luat_session(&mut l).await;
    q.expect(b"\r\n+QMTSTAT: 0,1\r\n").await;
}
