//! The models' grammar against the golden transcripts of the two vendor notes: each
//! transcript's host lines drive a model on the local platform, and the model must answer
//! with the transcript's bytes. Every value the notes print (addresses, serving cell,
//! firmware, the platform's secrets and tokens) is a default of the model or a test device
//! of the platform, so the comparison is exact.

mod common;

use std::time::Duration;

use atmodem_sim::{EmptyAliauth, Family, Platform, transcript};
use common::Host;

async fn replay(name: &str, family: Family, tweak: impl FnOnce(&mut atmodem_sim::ModemConfig)) {
    let path = format!(
        "{}/../tests/transcripts/{name}.txt",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap();
    let steps = transcript::parse(&text).unwrap();
    let platform = Platform::start().await.unwrap();
    let mut host = Host::with(&platform, family, tweak).await;
    for step in steps {
        host.send(&step.host).await;
        if step.host == b"AT+MQTTMSGSET=0\r" {
            // The note's console message on .../user/get, sent once the mode is set.
            host.expect(b"\r\nOK\r\n").await;
            platform.publish("/b1KCi45LcCP/862991419835241/user/get", b"Hello World", 0);
            host.expect(&step.modem[6..]).await;
            continue;
        }
        host.expect(&step.modem).await;
    }
    // Nothing more than the transcript.
    let extra = host.drain_for(Duration::from_millis(100)).await;
    assert!(
        extra.is_empty(),
        "{name}: extra output {:?}",
        common::show(&extra)
    );
}

#[tokio::test]
async fn quectel_device_secret_aliauth() {
    replay("quectel-device-secret-aliauth", Family::Quectel, |_| {}).await;
}

#[tokio::test]
async fn quectel_device_secret_password() {
    // The note's firmware answers an empty aliauth query with OK alone.
    replay("quectel-device-secret-password", Family::Quectel, |c| {
        c.empty_aliauth = EmptyAliauth::OkOnly
    })
    .await;
}

#[tokio::test]
async fn quectel_https_register() {
    replay("quectel-https-register", Family::Quectel, |_| {}).await;
}

#[tokio::test]
async fn quectel_mqtt_register() {
    replay("quectel-mqtt-register", Family::Quectel, |_| {}).await;
}

#[tokio::test]
async fn quectel_mqtt_regnwl() {
    replay("quectel-mqtt-regnwl", Family::Quectel, |_| {}).await;
}

#[tokio::test]
async fn luat_whole_note() {
    replay("luat", Family::Luat, |_| {}).await;
}
