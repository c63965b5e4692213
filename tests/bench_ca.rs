//! The TLS step's certificate check on the bench: the CA file is uploaded when the module
//! lacks it, replaced when a file of that name holds something else (of the same size
//! too), and left alone when the module already holds it, as after a reboot (the models
//! keep their files across reboots, as a module's flash does). Uploads are counted from the
//! command lines the model took, not from the library.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::expect_used
)]

use std::time::Duration;

use atmodem::aliyun::{DeviceSecretLogin, ca, flow, user_topic};
use atmodem::client::{BearerConfig, Client, MqttSession, State};
use atmodem::device::{BackoffPolicy, CaFile, Device, DeviceConfig, Event, NoPin, Supervised};
use atmodem::dialects::luat::Luat;
use atmodem::dialects::quectel::Quectel;
use atmodem::host::TokioDelay as Delay;
use atmodem_sim::transport::{Uart, uart};
use atmodem_sim::{Family, ModemConfig, ModemHandle, Platform, spawn_model};
use tokio::time::timeout;

const PK: &str = "i2uqc2dloOl";
const DN: &str = "device001";
const DS: &str = "c4fa40df9c8078073d75a26be2bc8f58";
const HOST: &str = "iot-06z00hxss3rggno.mqtt.iothub.aliyuncs.com";

/// The command lines that write a file, per family (Quectel `AT+QFUPL`, Luat `AT+FSWRITE`),
/// and those that delete one and read one back.
struct Commands {
    upload: &'static str,
    delete: &'static str,
    read: &'static str,
    list: &'static str,
}

fn commands(family: Family) -> Commands {
    match family {
        Family::Quectel => Commands {
            upload: "< AT+QFUPL=",
            delete: "< AT+QFDEL=",
            read: "< AT+QFREAD=",
            list: "< AT+QFLST=",
        },
        Family::Luat => Commands {
            upload: "< AT+FSWRITE=",
            delete: "< AT+FSDEL=",
            read: "< AT+FSREAD=",
            list: "< AT+FSFLSIZE=",
        },
    }
}

fn count(h: &ModemHandle, prefix: &str) -> usize {
    h.log().iter().filter(|l| l.starts_with(prefix)).count()
}

async fn connected<C: Supervised>(
    dev: &mut Device<'_, C, Delay, NoPin, NoPin, 1024>,
) -> Vec<String> {
    let mut seen = Vec::new();
    let done = timeout(Duration::from_secs(20), async {
        loop {
            let ev = dev.next_event().await;
            seen.push(format!("{ev:?}"));
            match ev {
                Event::Connected => return,
                Event::Stopped(r) => panic!("stopped: {r:?}"),
                _ => {}
            }
        }
    })
    .await;
    assert!(done.is_ok(), "not connected: {seen:?}");
    seen
}

/// What the module holds before the device starts.
enum Before {
    Nothing,
    /// The bundle with one byte changed: same name, same size, other content.
    SameSizeOtherContent,
    /// The GlobalSign root alone (Link SDK 4.1's CA): same name, another size.
    OtherSize,
}

/// Brings the device up with TLS and the CA bundle, checks what the model took, then
/// reboots the module and checks that the second bring-up uploads nothing.
async fn check<D: atmodem::codec::Dialect>(family: Family, before: Before)
where
    for<'a> Client<'a, Uart, Delay, D>: Supervised,
{
    let cmds = commands(family);
    let p = Platform::start().await.unwrap();
    p.broker().serve_in_process(true);
    let (io, h) = spawn_model(ModemConfig::new(family, p.host_map()));
    match before {
        Before::Nothing => {}
        Before::SameSizeOtherContent => {
            let mut other = ca::BUNDLE.to_vec();
            // A base64 letter of the middle certificate, changed.
            let i = ca::GLOBALSIGN_ROOT_CA.len() + 100;
            other[i] = if other[i] == b'A' { b'B' } else { b'A' };
            h.put_file(ca::CA_FILE, &other);
        }
        Before::OtherSize => h.put_file(ca::CA_FILE, ca::GLOBALSIGN_ROOT_CA),
    }
    let mut state: State = State::new();
    let c: Client<Uart, Delay, D> = Client::new(uart(io), Delay, &mut state);
    let creds = DeviceSecretLogin::new(PK, DN, DS).build().unwrap(); // securemode=2, TLS
    let get = user_topic(PK, DN, "get").unwrap();
    let subs = [(get.as_str(), 1)];
    let session = MqttSession {
        tls: Some(2),
        ..MqttSession::new(HOST, 8883, flow::login_of(&creds))
    };
    let cfg = DeviceConfig {
        backoff: BackoffPolicy {
            initial_ms: 20,
            max_ms: 200,
            jitter_permille: 500,
        },
        registration_poll_ms: 50,
        idle_ms: 100,
        ca: Some(CaFile::new(ca::CA_FILE, ca::BUNDLE)),
        ..DeviceConfig::new(BearerConfig::default(), session, &subs)
    };
    let mut dev: Device<_, _, NoPin, NoPin, 1024> = Device::with_pins(c, Delay, cfg, None, None);
    connected(&mut dev).await;
    // First bring-up: exactly one upload (none would be right only if the module held the
    // bundle), a deletion first when a file of that name was there, and the module now
    // holds the bundle byte for byte.
    assert_eq!(count(&h, cmds.upload), 1, "{family:?}: {:?}", h.log());
    let deleted = match before {
        Before::Nothing => 0,
        Before::SameSizeOtherContent | Before::OtherSize => 1,
    };
    assert_eq!(count(&h, cmds.delete), deleted, "{family:?}: {:?}", h.log());
    assert_eq!(
        h.file(ca::CA_FILE).as_deref(),
        Some(ca::BUNDLE),
        "{family:?}"
    );
    // Read back only when the size matched: 4636 bytes in reads of at most 256.
    let reads_first = count(&h, cmds.read);
    let expected_reads = match before {
        Before::SameSizeOtherContent => 1..=ca::BUNDLE.len().div_ceil(256),
        Before::Nothing | Before::OtherSize => 0..=0,
    };
    assert!(
        expected_reads.contains(&reads_first),
        "{family:?}: {reads_first} reads"
    );
    // The SSL context trusts the file.
    let cacert = match family {
        Family::Quectel => format!("< AT+QSSLCFG=\"cacert\",2,\"UFS:{}\"", ca::CA_FILE),
        Family::Luat => format!("< AT+SSLCFG=\"cacert\",88,\"{}\"", ca::CA_FILE),
    };
    assert_eq!(count(&h, &cacert), 1, "{family:?}: {:?}", h.log());
    let lists_first = count(&h, cmds.list);

    // A module reboot: everything is brought up again, the file is checked (listed and read
    // back whole) and not uploaded.
    h.reboot();
    let seen = connected(&mut dev).await;
    assert!(seen.iter().any(|e| e == "Rebooted"), "{family:?}: {seen:?}");
    assert_eq!(
        count(&h, cmds.upload),
        1,
        "{family:?}: uploaded again: {:?}",
        h.log()
    );
    assert_eq!(count(&h, cmds.delete), deleted, "{family:?}");
    assert!(
        count(&h, cmds.list) > lists_first,
        "{family:?}: not checked"
    );
    assert_eq!(
        count(&h, cmds.read) - reads_first,
        ca::BUNDLE.len().div_ceil(256),
        "{family:?}: the whole file is compared"
    );
    assert_eq!(
        count(&h, &cacert),
        2,
        "{family:?}: the context is set again"
    );
    assert_eq!(dev.stats().ca_uploads, 1);
}

#[tokio::test(start_paused = true)]
async fn quectel_uploads_a_missing_ca_once() {
    check::<Quectel>(Family::Quectel, Before::Nothing).await;
}

#[tokio::test(start_paused = true)]
async fn luat_uploads_a_missing_ca_once() {
    check::<Luat>(Family::Luat, Before::Nothing).await;
}

#[tokio::test(start_paused = true)]
async fn quectel_replaces_a_ca_of_the_same_size_and_other_content() {
    check::<Quectel>(Family::Quectel, Before::SameSizeOtherContent).await;
}

#[tokio::test(start_paused = true)]
async fn luat_replaces_a_ca_of_the_same_size_and_other_content() {
    check::<Luat>(Family::Luat, Before::SameSizeOtherContent).await;
}

#[tokio::test(start_paused = true)]
async fn quectel_replaces_a_ca_of_another_size_without_reading_it() {
    check::<Quectel>(Family::Quectel, Before::OtherSize).await;
}

#[tokio::test(start_paused = true)]
async fn luat_replaces_a_ca_of_another_size_without_reading_it() {
    check::<Luat>(Family::Luat, Before::OtherSize).await;
}
