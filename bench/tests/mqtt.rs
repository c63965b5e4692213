//! Real MQTT through the local broker: a model publishes and a test subscriber (rumqttc)
//! receives; the test publishes down and the model prints `+QMTRECV` / `+MSUB`.

mod common;

use std::time::Duration;

use atmodem_sim::aliyun::{OPERATOR_PASSWORD, OPERATOR_USER};
use atmodem_sim::{Family, Platform};
use common::Host;
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use tokio::sync::mpsc;

/// A rumqttc client logged in as the bench operator, subscribed to `filter`; messages it
/// receives come out of the channel.
async fn subscriber(
    p: &Platform,
    filter: &str,
) -> (AsyncClient, mpsc::UnboundedReceiver<(String, Vec<u8>)>) {
    let mut o = MqttOptions::new("bench-subscriber", "127.0.0.1", p.mqtt_addr().port());
    o.set_credentials(OPERATOR_USER, OPERATOR_PASSWORD);
    o.set_keep_alive(Duration::from_secs(30));
    let (client, mut ev) = AsyncClient::new(o, 16);
    client.subscribe(filter, QoS::AtLeastOnce).await.unwrap();
    let (tx, rx) = mpsc::unbounded_channel();
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
    (client, rx)
}

async fn next(rx: &mut mpsc::UnboundedReceiver<(String, Vec<u8>)>) -> (String, Vec<u8>) {
    tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .unwrap()
        .unwrap()
}

const UP: &str = "/i2uqc2dloOl/device001/user/update";
const DOWN: &str = "/i2uqc2dloOl/device001/user/get";

/// Quectel slot 0 connected with the one-device-one-secret login (sign from Python's hmac).
async fn quectel_connected(p: &Platform, recv_mode: &str) -> Host {
    let mut h = Host::on(p, Family::Quectel).await;
    assert!(
        h.cmd(r#"AT+QMTCFG="version",0,4"#)
            .await
            .ends_with("OK\r\n")
    );
    assert!(
        h.cmd(&format!(r#"AT+QMTCFG="recv/mode",0,{recv_mode}"#))
            .await
            .ends_with("OK\r\n")
    );
    h.cmd(r#"AT+QMTOPEN=0,"iot-06z00hxss3rggno.mqtt.iothub.aliyuncs.com",1883"#)
        .await;
    h.expect(b"\r\n+QMTOPEN: 0,0\r\n").await;
    h.cmd(r#"AT+QMTCONN=0,"i2uqc2dloOl.device001|securemode=3,signmethod=hmacsha1|","device001&i2uqc2dloOl","435784a18d27b29401cac6253c9a67109e9e4d14""#).await;
    h.expect(b"\r\n+QMTCONN: 0,0,0\r\n").await;
    h.cmd(&format!(r#"AT+QMTSUB=0,1,"{DOWN}",2"#)).await;
    h.expect(b"\r\n+QMTSUB: 0,1,0,1\r\n").await;
    h
}

#[tokio::test]
async fn quectel_publishes_and_receives() {
    let p = Platform::start().await.unwrap();
    let (sub, mut rx) = subscriber(&p, "/+/+/user/update").await;
    let mut h = quectel_connected(&p, "0,1").await;

    // Up, QoS 0, 1 and 2, binary-safe with the length.
    for (qos, msgid) in [(0, 0), (1, 7), (2, 8)] {
        h.send(format!("AT+QMTPUBEX=0,{msgid},{qos},0,\"{UP}\",8\r").as_bytes())
            .await;
        h.expect(b"\r\n> ").await;
        h.send(b"a\r\n\"b\"\x00c").await;
        h.expect(format!("\r\nOK\r\n\r\n+QMTPUBEX: 0,{msgid},0\r\n").as_bytes())
            .await;
        assert_eq!(
            next(&mut rx).await,
            (UP.to_string(), b"a\r\n\"b\"\x00c".to_vec())
        );
    }
    // Ctrl-Z form of AT+QMTPUB.
    h.send(format!("AT+QMTPUB=0,9,1,0,\"{UP}\"\r").as_bytes())
        .await;
    h.expect(b"\r\n> ").await;
    h.send(b"zed\x1a").await;
    h.expect(b"\r\nOK\r\n\r\n+QMTPUB: 0,9,0\r\n").await;
    assert_eq!(next(&mut rx).await.1, b"zed");

    // Down, with the length field (recv/mode 0,1); delivered at the lower QoS of the two.
    sub.publish(
        DOWN,
        QoS::AtLeastOnce,
        false,
        b"{\"x\":\"1\r\n2\"}".to_vec(),
    )
    .await
    .unwrap();
    let urc = h.until(b"}\"\r\n").await;
    let text = String::from_utf8_lossy(&urc).into_owned();
    assert!(text.starts_with("\r\n+QMTRECV: 0,"), "{text:?}");
    assert!(
        text.ends_with(&format!(",\"{DOWN}\",12,\"{{\"x\":\"1\r\n2\"}}\"\r\n")),
        "{text:?}"
    );
}

#[tokio::test]
async fn quectel_receive_modes() {
    let p = Platform::start().await.unwrap();
    // Without the length field: the payload between quotes, not escaped.
    let mut h = quectel_connected(&p, "0,0").await;
    p.publish(DOWN, br#"{"a":1}"#, 0);
    h.expect(format!("\r\n+QMTRECV: 0,0,\"{DOWN}\",\"{{\"a\":1}}\"\r\n").as_bytes())
        .await;

    // Buffered: the URC names the buffer, AT+QMTRECV reads it.
    let mut h = quectel_connected(&p, "1,1").await;
    p.publish(DOWN, b"one", 0);
    h.expect(b"\r\n+QMTRECV: 0,0\r\n").await;
    p.publish(DOWN, b"two", 0);
    h.expect(b"\r\n+QMTRECV: 0,1\r\n").await;
    assert_eq!(
        h.cmd("AT+QMTRECV?").await,
        "\r\n+QMTRECV: 0,1,1,0,0,0\r\n\r\nOK\r\n"
    );
    let r = h.cmd("AT+QMTRECV=0,1").await;
    assert_eq!(
        r,
        format!("\r\n+QMTRECV: 0,0,\"{DOWN}\",3,\"two\"\r\n\r\nOK\r\n")
    );
    let r = h.cmd("AT+QMTRECV=0").await;
    assert_eq!(
        r,
        format!("\r\n+QMTRECV: 0,0,\"{DOWN}\",3,\"one\"\r\n\r\nOK\r\n")
    );
    assert_eq!(
        h.cmd("AT+QMTRECV?").await,
        "\r\n+QMTRECV: 0,0,0,0,0,0\r\n\r\nOK\r\n"
    );

    // Unsubscribe: nothing more arrives.
    h.cmd(&format!("AT+QMTUNS=0,2,\"{DOWN}\"")).await;
    h.expect(b"\r\n+QMTUNS: 0,2,0\r\n").await;
    p.publish(DOWN, b"three", 0);
    assert!(h.drain_for(Duration::from_millis(200)).await.is_empty());
    h.cmd("AT+QMTDISC=0").await;
    h.expect(b"\r\n+QMTDISC: 0,0\r\n").await;
}

#[tokio::test]
async fn quectel_refuses_bad_arguments() {
    let p = Platform::start().await.unwrap();
    let mut h = quectel_connected(&p, "0,0").await;
    // QoS 0 takes msgid 0, QoS 1 a non-zero one; client index 0..5; length bound.
    assert_eq!(
        h.cmd(&format!("AT+QMTPUBEX=0,1,0,0,\"{UP}\",3")).await,
        "\r\n+CME ERROR: 50\r\n"
    );
    assert_eq!(
        h.cmd(&format!("AT+QMTPUBEX=0,0,1,0,\"{UP}\",3")).await,
        "\r\n+CME ERROR: 50\r\n"
    );
    assert_eq!(
        h.cmd(&format!("AT+QMTPUBEX=6,0,0,0,\"{UP}\",3")).await,
        "\r\n+CME ERROR: 50\r\n"
    );
    assert_eq!(
        h.cmd(&format!("AT+QMTPUBEX=0,0,0,0,\"{UP}\",5000")).await,
        "\r\n+CME ERROR: 50\r\n"
    );
    assert_eq!(
        h.cmd(r#"AT+QMTCFG="nosuch",0,1"#).await,
        "\r\n+CME ERROR: 50\r\n"
    );
    assert_eq!(
        h.cmd(r#"AT+QMTCFG="keepalive",0,3601"#).await,
        "\r\n+CME ERROR: 50\r\n"
    );
    // Not connected: plain ERROR.
    assert_eq!(
        h.cmd(&format!("AT+QMTPUBEX=1,0,0,0,\"{UP}\",3")).await,
        "\r\nERROR\r\n"
    );
    // A data phase that times out.
    let mut slow = Host::with(&p, Family::Quectel, |c| {
        c.max_wait = Duration::from_millis(200)
    })
    .await;
    slow.cmd(r#"AT+QMTOPEN=0,"a.aliyuncs.com",1883"#).await;
    slow.expect(b"\r\n+QMTOPEN: 0,0\r\n").await;
    slow.cmd(r#"AT+QMTCONN=0,"i2uqc2dloOl.device001|securemode=3,signmethod=hmacsha1|","device001&i2uqc2dloOl","435784a18d27b29401cac6253c9a67109e9e4d14""#).await;
    slow.expect(b"\r\n+QMTCONN: 0,0,0\r\n").await;
    slow.send(format!("AT+QMTPUBEX=0,0,0,0,\"{UP}\",10\r").as_bytes())
        .await;
    slow.expect(b"\r\n> ").await;
    slow.send(b"short").await;
    slow.expect(b"\r\nERROR\r\n").await;
}

#[tokio::test]
async fn quectel_options_are_kept() {
    let p = Platform::start().await.unwrap();
    let mut h = Host::on(&p, Family::Quectel).await;
    for (set, query, shown) in [
        (r#""version",1,4"#, r#""version",1"#, r#""version",4"#),
        (
            r#""keepalive",1,60"#,
            r#""keepalive",1"#,
            r#""keepalive",60"#,
        ),
        (r#""session",1,0"#, r#""session",1"#, r#""session",0"#),
        (r#""ssl",1,1,2"#, r#""ssl",1"#, r#""ssl",1,2"#),
        (
            r#""recv/mode",1,0,1"#,
            r#""recv/mode",1"#,
            r#""recv/mode",0,1"#,
        ),
        (
            r#""timeout",1,10,2,1"#,
            r#""timeout",1"#,
            r#""timeout",10,2,1"#,
        ),
        (r#""pdpcid",1,2"#, r#""pdpcid",1"#, r#""pdpcid",2"#),
        (
            r#""will",1,1,1,0,"w/t","bye""#,
            r#""will",1"#,
            r#""will",1,1,0,"w/t","bye""#,
        ),
        (
            r#""aliauth",1,"pk","dn","ds""#,
            r#""aliauth",1"#,
            r#""aliauth","pk","dn","ds""#,
        ),
    ] {
        assert_eq!(
            h.cmd(&format!("AT+QMTCFG={set}")).await,
            "\r\nOK\r\n",
            "{set}"
        );
        assert_eq!(
            h.cmd(&format!("AT+QMTCFG={query}")).await,
            format!("\r\n+QMTCFG: {shown}\r\n\r\nOK\r\n")
        );
    }
    // The will reaches a subscriber when the link is lost.
    let (_sub, mut rx) = subscriber(&p, "will/#").await;
    h.cmd(r#"AT+QMTCFG="will",0,1,0,0,"will/dev","gone""#).await;
    h.cmd(r#"AT+QMTOPEN=0,"a.aliyuncs.com",1883"#).await;
    h.expect(b"\r\n+QMTOPEN: 0,0\r\n").await;
    h.cmd(r#"AT+QMTCONN=0,"i2uqc2dloOl.device001|securemode=3,signmethod=hmacsha1|","device001&i2uqc2dloOl","435784a18d27b29401cac6253c9a67109e9e4d14""#).await;
    h.expect(b"\r\n+QMTCONN: 0,0,0\r\n").await;
    h.handle.drop_mqtt(0, 1);
    h.expect(b"\r\n+QMTSTAT: 0,1\r\n").await;
    assert_eq!(
        next(&mut rx).await,
        ("will/dev".to_string(), b"gone".to_vec())
    );
}

/// The Luat model connected with the one-device-one-secret login.
async fn luat_connected(p: &Platform) -> Host {
    let mut h = Host::with(p, Family::Luat, |c| c.max_wait = Duration::from_millis(300)).await;
    h.cmd(r#"AT+MCONFIG="i2uqc2dloOl.device001|securemode=3,signmethod=hmacsha1|","device001&i2uqc2dloOl","435784a18d27b29401cac6253c9a67109e9e4d14""#).await;
    assert_eq!(
        h.cmd("AT+MQTTSTATU").await,
        "\r\n+MQTTSTATU :0\r\n\r\nOK\r\n"
    );
    h.cmd(r#"AT+MIPSTART="i2uqc2dloOl.iot-as-mqtt.cn-shanghai.aliyuncs.com","1883""#)
        .await;
    h.expect(b"\r\nCONNECT OK\r\n").await;
    assert_eq!(
        h.cmd("AT+MQTTSTATU").await,
        "\r\n+MQTTSTATU :2\r\n\r\nOK\r\n"
    );
    h.cmd("AT+MCONNECT=1,300").await;
    h.expect(b"\r\nCONNACK OK\r\n").await;
    assert_eq!(
        h.cmd("AT+MQTTSTATU").await,
        "\r\n+MQTTSTATU :1\r\n\r\nOK\r\n"
    );
    h.cmd(&format!("AT+MSUB=\"{DOWN}\",1")).await;
    h.expect(b"\r\nSUBACK\r\n").await;
    h
}

#[tokio::test]
async fn luat_publishes_and_receives() {
    let p = Platform::start().await.unwrap();
    let (sub, mut rx) = subscriber(&p, "/+/+/user/update").await;
    let mut h = luat_connected(&p).await;

    // MPUB text with the \XX escapes, at each QoS.
    assert_eq!(
        h.cmd(&format!(r#"AT+MPUB="{UP}",0,0,"a\22b\0D\0A\5C""#))
            .await,
        "\r\nOK\r\n"
    );
    assert_eq!(next(&mut rx).await.1, b"a\"b\r\n\\");
    h.cmd(&format!(r#"AT+MPUB="{UP}",1,0,"q1""#)).await;
    h.expect(b"\r\nPUBACK\r\n").await;
    assert_eq!(next(&mut rx).await.1, b"q1");
    h.cmd(&format!(r#"AT+MPUB="{UP}",2,0,"q2""#)).await;
    h.expect(b"\r\nPUBREC\r\n\r\nPUBCOMP\r\n").await;
    assert_eq!(next(&mut rx).await.1, b"q2");
    // Hex mode.
    h.cmd("AT+MQTTMODE=1").await;
    h.cmd(&format!(r#"AT+MPUB="{UP}",0,0,"313233""#)).await;
    assert_eq!(next(&mut rx).await.1, b"123");
    h.cmd("AT+MQTTMODE=0").await;
    // MPUBEX: binary after the prompt.
    h.send(format!("AT+MPUBEX=\"{UP}\",1,0,4\r").as_bytes())
        .await;
    h.expect(b"\r\n> ").await;
    h.send(b"\x00\r\n\x01").await;
    h.expect(b"\r\nOK\r\n\r\nPUBACK\r\n").await;
    assert_eq!(next(&mut rx).await.1, b"\x00\r\n\x01");
    // MPUBEX without a length: Ctrl-Z ends the data, or silence (max_wait here).
    h.send(format!("AT+MPUBEX=\"{UP}\",0,0\r").as_bytes()).await;
    h.expect(b"\r\n> ").await;
    h.send(b"z1\x1a").await;
    h.expect(b"\r\nOK\r\n").await;
    assert_eq!(next(&mut rx).await.1, b"z1");
    h.send(format!("AT+MPUBEX=\"{UP}\",0,0\r").as_bytes()).await;
    h.expect(b"\r\n> ").await;
    h.send(b"idle").await;
    h.expect(b"\r\nOK\r\n").await;
    assert_eq!(next(&mut rx).await.1, b"idle");

    // Down: +MSUB with the length and " byte", raw payload.
    sub.publish(
        DOWN,
        QoS::AtMostOnce,
        false,
        b"{\r\n \"m\": 1\r\n}".to_vec(),
    )
    .await
    .unwrap();
    h.expect(format!("\r\n+MSUB: \"{DOWN}\",13 byte,{{\r\n \"m\": 1\r\n}}\r\n").as_bytes())
        .await;

    // Cache mode: four slots, the oldest overwritten.
    h.cmd("AT+MQTTMSGSET=1").await;
    for i in 0..5 {
        p.publish(DOWN, format!("m{i}").as_bytes(), 0);
        h.until(b"\r\n+MSUB: ").await;
        h.until(b"\r\n").await;
    }
    let r = h.cmd("AT+MQTTMSGGET?").await;
    assert_eq!(r.matches("VALID").count(), 4, "{r}");
    let r = h.cmd("AT+MQTTMSGGET").await;
    let want: String = (1..5)
        .map(|i| format!("\r\n+MSUB: \"{DOWN}\",2 byte,m{i}\r\n"))
        .collect();
    assert_eq!(r, format!("{want}\r\nOK\r\n"));

    h.cmd(&format!("AT+MUNSUB=\"{DOWN}\"")).await;
    h.expect(b"\r\nUNSUBACK\r\n").await;
    assert_eq!(h.cmd("AT+MDISCONNECT").await, "\r\nOK\r\n");
    assert_eq!(h.cmd("AT+MIPCLOSE").await, "\r\nOK\r\n");
    assert_eq!(h.cmd("AT+MIPCLOSE").await, "\r\n+CME ERROR: 767\r\n");
    assert!(h.drain_for(Duration::from_millis(100)).await.is_empty());
}

#[tokio::test]
async fn luat_bad_login_and_already_connected() {
    let p = Platform::start().await.unwrap();
    let mut h = Host::on(&p, Family::Luat).await;
    h.cmd(r#"AT+MCONFIG="i2uqc2dloOl.device001|securemode=3,signmethod=hmacsha1|","device001&i2uqc2dloOl","00""#).await;
    h.cmd(r#"AT+MIPSTART="x.aliyuncs.com",1883"#).await;
    h.expect(b"\r\nCONNECT OK\r\n").await;
    h.cmd(r#"AT+MIPSTART="x.aliyuncs.com",1883"#).await;
    h.expect(b"\r\nALREADY CONNECT\r\n").await;
    h.cmd("AT+MCONNECT=1,300").await;
    h.expect(b"\r\nERROR\r\n\r\nCLOSED\r\n").await;
    // An unknown host.
    h.cmd(r#"AT+MIPSTART="broker.example.com",1883"#).await;
    h.expect(b"\r\nCONNECT FAIL\r\n").await;
}
