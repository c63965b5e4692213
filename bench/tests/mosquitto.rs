//! Interoperability with a real broker: both models' MQTT stacks against mosquitto on a
//! loopback port. `.ci/run` starts mosquitto and passes its port in `MOSQUITTO_PORT`; under
//! CI (`CI=true`) a missing port is a failure. Outside CI the test starts mosquitto itself when
//! it is installed, and otherwise says so and returns.

mod common;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use atmodem_sim::{Family, HostMap, ModemConfig};
use common::Host;
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};

struct Mosquitto {
    port: u16,
    /// The broker this test started, and its configuration file.
    child: Option<(Child, std::path::PathBuf)>,
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        if let Some((c, conf)) = &mut self.child {
            let _ = c.kill();
            let _ = c.wait();
            let _ = std::fs::remove_file(conf);
        }
    }
}

async fn mosquitto() -> Option<Mosquitto> {
    if let Ok(p) = std::env::var("MOSQUITTO_PORT") {
        return Some(Mosquitto {
            port: p.parse().expect("MOSQUITTO_PORT is a port"),
            child: None,
        });
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "MOSQUITTO_PORT is not set under CI: .ci/run must start mosquitto"
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .ok()?
        .local_addr()
        .ok()?
        .port();
    let conf = std::env::temp_dir().join(format!("atmodem-sim-mosquitto-{port}.conf"));
    std::fs::write(
        &conf,
        format!("listener {port} 127.0.0.1\nallow_anonymous true\n"),
    )
    .ok()?;
    let child = Command::new("mosquitto")
        .arg("-c")
        .arg(&conf)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    let Ok(child) = child else {
        let _ = std::fs::remove_file(&conf);
        eprintln!("mosquitto is not installed: interop test skipped (install it to run it)");
        return None;
    };
    let m = Mosquitto {
        port,
        child: Some((child, conf)),
    };
    for _ in 0..50 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Some(m);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("mosquitto did not start on port {port}");
}

async fn client(
    port: u16,
    id: &str,
    filter: &str,
) -> (
    AsyncClient,
    tokio::sync::mpsc::UnboundedReceiver<(String, Vec<u8>)>,
) {
    let mut o = MqttOptions::new(id, "127.0.0.1", port);
    o.set_keep_alive(Duration::from_secs(30));
    let (c, mut ev) = AsyncClient::new(o, 16);
    c.subscribe(filter, QoS::AtLeastOnce).await.unwrap();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        let mut ready = Some(ready_tx);
        while let Ok(e) = ev.poll().await {
            match e {
                Event::Incoming(Packet::SubAck(_)) => {
                    if let Some(r) = ready.take() {
                        let _ = r.send(());
                    }
                }
                Event::Incoming(Packet::Publish(m)) => {
                    let _ = tx.send((m.topic.clone(), m.payload.to_vec()));
                }
                _ => {}
            }
        }
    });
    tokio::time::timeout(Duration::from_secs(5), ready_rx)
        .await
        .unwrap()
        .unwrap();
    (c, rx)
}

async fn next(
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<(String, Vec<u8>)>,
) -> (String, Vec<u8>) {
    tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .unwrap()
        .unwrap()
}

fn hosts(port: u16) -> HostMap {
    HostMap::default().with("broker.interop.test", ([127, 0, 0, 1], port).into())
}

async fn host(family: Family, port: u16) -> Host {
    let mut h = Host::new(ModemConfig::new(family, hosts(port)));
    h.send(b"ATE0\r").await;
    h.expect(b"ATE0\r\r\nOK\r\n").await;
    h
}

#[tokio::test]
async fn both_models_against_mosquitto() {
    let Some(m) = mosquitto().await else { return };
    let (sub, mut rx) = client(m.port, "interop-test", "interop/up/#").await;

    let mut q = host(Family::Quectel, m.port).await;
    q.cmd(r#"AT+QMTCFG="version",0,4"#).await;
    q.cmd(r#"AT+QMTOPEN=0,"broker.interop.test",1883"#).await;
    q.expect(b"\r\n+QMTOPEN: 0,0\r\n").await;
    q.cmd(r#"AT+QMTCONN=0,"quectel-model""#).await;
    q.expect(b"\r\n+QMTCONN: 0,0,0\r\n").await;
    q.cmd(r#"AT+QMTSUB=0,1,"interop/down/q",2"#).await;
    q.expect(b"\r\n+QMTSUB: 0,1,0,2\r\n").await;
    q.send(b"AT+QMTPUBEX=0,5,2,0,\"interop/up/q\",5\r").await;
    q.expect(b"\r\n> ").await;
    q.send(b"hello").await;
    q.expect(b"\r\nOK\r\n\r\n+QMTPUBEX: 0,5,0\r\n").await;
    assert_eq!(
        next(&mut rx).await,
        ("interop/up/q".into(), b"hello".to_vec())
    );
    sub.publish("interop/down/q", QoS::AtLeastOnce, false, b"down".to_vec())
        .await
        .unwrap();
    let urc = String::from_utf8(q.until(b"\"down\"\r\n").await).unwrap();
    assert!(
        urc.starts_with("\r\n+QMTRECV: 0,") && urc.ends_with(",\"interop/down/q\",\"down\"\r\n"),
        "{urc:?}"
    );

    let mut l = host(Family::Luat, m.port).await;
    l.cmd(r#"AT+MCONFIG="luat-model","","""#).await;
    l.cmd(r#"AT+MIPSTART="broker.interop.test","1883""#).await;
    l.expect(b"\r\nCONNECT OK\r\n").await;
    l.cmd("AT+MCONNECT=1,60").await;
    l.expect(b"\r\nCONNACK OK\r\n").await;
    l.cmd(r#"AT+MSUB="interop/down/l",1"#).await;
    l.expect(b"\r\nSUBACK\r\n").await;
    l.cmd(r#"AT+MPUB="interop/up/l",1,0,"hi""#).await;
    l.expect(b"\r\nPUBACK\r\n").await;
    assert_eq!(next(&mut rx).await, ("interop/up/l".into(), b"hi".to_vec()));
    sub.publish("interop/down/l", QoS::AtMostOnce, false, b"x y".to_vec())
        .await
        .unwrap();
    l.expect(b"\r\n+MSUB: \"interop/down/l\",3 byte,x y\r\n")
        .await;

    q.cmd("AT+QMTDISC=0").await;
    q.expect(b"\r\n+QMTDISC: 0,0\r\n").await;
}
