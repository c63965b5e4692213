//! The models' grammar against the golden transcripts of the two vendor notes: each
//! transcript's host lines drive a model on the local platform, and the model must answer
//! with the transcript's bytes. Every value the notes print (addresses, serving cell,
//! firmware, the platform's secrets and tokens) is a default of the model or a test device
//! of the platform, so the comparison is exact; a model configured with other values is
//! compared by shape (runs of digits and hex digits in the lines that carry them).

mod common;

use std::time::Duration;

use atmodem_sim::{EmptyAliauth, Family, Platform, transcript};
use common::Host;

/// Lines whose values a model decides: their digit runs are compared by shape.
const VALUE_LINES: &[&str] = &["+CGPADDR:", "+QENG:", "+CSQ:", "+SAPBR:", "+QIACT:"];

fn shape(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut out = String::new();
    for line in text.split_inclusive('\n') {
        let Some(token) = VALUE_LINES.iter().find(|p| line.starts_with(**p)) else {
            out.push_str(line);
            continue;
        };
        out.push_str(token);
        let mut in_run = false;
        for c in line[token.len()..].chars() {
            if c.is_ascii_hexdigit() {
                if !in_run {
                    out.push('#');
                }
                in_run = true;
            } else {
                out.push(c);
                in_run = false;
            }
        }
    }
    out
}

/// Replays with a model whose values differ from the note's, comparing shapes.
async fn replay_shape(
    name: &str,
    family: Family,
    tweak: impl FnOnce(&mut atmodem_sim::ModemConfig),
) {
    let path = format!(
        "{}/../tests/transcripts/{name}.txt",
        env!("CARGO_MANIFEST_DIR")
    );
    let steps = transcript::parse(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let platform = Platform::start().await.unwrap();
    let mut host = Host::with(&platform, family, tweak).await;
    for step in steps {
        host.send(&step.host).await;
        // As many lines as the note shows, then its unterminated tail (a prompt).
        let lines = step.modem.iter().filter(|&&b| b == b'\n').count();
        let tail = step.modem.len()
            - step
                .modem
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1);
        let mut got = Vec::new();
        for _ in 0..lines {
            got.extend(host.until(b"\n").await);
        }
        if tail > 0 {
            host.expect(&step.modem[step.modem.len() - tail..]).await;
            got.extend_from_slice(&step.modem[step.modem.len() - tail..]);
        }
        assert_eq!(
            shape(&got),
            shape(&step.modem),
            "{name}: host sent {:?}",
            common::show(&step.host)
        );
    }
}

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

#[tokio::test]
async fn quectel_other_addresses_same_shape() {
    replay_shape("quectel-device-secret-aliauth", Family::Quectel, |c| {
        c.addresses = ("10.0.0.7".into(), "2409:8a00:1:2:3:4:5:6".into());
    })
    .await;
}

#[tokio::test]
async fn shapes() {
    assert_eq!(
        shape(b"+CGPADDR: 1,\"10.0.0.7\"\r\n"),
        "+CGPADDR: #,\"#.#.#.#\"\r\n"
    );
    assert_eq!(shape(b"OK 12\r\n"), "OK 12\r\n");
}
