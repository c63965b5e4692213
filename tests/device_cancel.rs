//! The supervisor under random cancellation, on the bench in virtual time (tokio's paused
//! clock, the broker's links in process): `Device::next_event` and `Device::publish` are
//! dropped at random points (a timeout of a random virtual length around them, 0 included:
//! dropped at their first wait), between random faults. After each round the device must be
//! connected again, with its queue flushed, within a bounded virtual time, and every QoS 1
//! message whose `publish` returned (delivered or queued) must reach the platform.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::expect_used
)]

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use atmodem::aliyun::{DeviceSecretLogin, SecureMode, flow, user_topic};
use atmodem::client::{BearerConfig, Client, MqttSession, State};
use atmodem::device::{BackoffPolicy, Device, DeviceConfig, Event, NoPin, Sent, Supervised};
use atmodem::dialects::luat::Luat;
use atmodem::dialects::quectel::Quectel;
use atmodem::host::TokioDelay as Delay;
use atmodem_sim::transport::{Uart, uart};
use atmodem_sim::{Family, ModemConfig, Platform, spawn_model};
use tokio::time::{Instant, timeout};

const PK: &str = "i2uqc2dloOl";
const DN: &str = "device001";
const DS: &str = "c4fa40df9c8078073d75a26be2bc8f58";
const HOST: &str = "iot-06z00hxss3rggno.mqtt.iothub.aliyuncs.com";

/// Rounds of faults and cancellations per family.
const ROUNDS: usize = 300;

/// How long, in virtual time, the device may take to be connected again with an empty queue
/// once the calls are no longer cut short: a resynchronisation (at most three markers of
/// 1 s), the back-off (at most 200 ms here) and a bring-up from `AT` answer in well under
/// 5 s on the bench; a device that needs a wedge recovery (three timeouts in a row, then a
/// reset) to get back in step takes longer than this.
const RECONNECT_WITHIN: Duration = Duration::from_secs(20);

/// A test-side xorshift64 (not the library's generator).
struct Dice(u64);

impl Dice {
    fn roll(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }

    /// A cut-off: often at the first wait (0), often within a command's answer time (a few
    /// ms), sometimes after whole steps (up to 400 ms).
    fn cut(&mut self) -> Duration {
        Duration::from_millis(match self.roll(4) {
            0 => 0,
            1 => self.roll(5),
            2 => self.roll(60),
            _ => self.roll(400),
        })
    }
}

async fn cancelled<D: atmodem::codec::Dialect>(family: Family, seed: u64)
where
    for<'a> Client<'a, Uart, Delay, D>: Supervised,
{
    let p = Platform::start().await.unwrap();
    p.broker().serve_in_process(true);
    let (io, faults) = spawn_model(ModemConfig::new(family, p.host_map()));
    let mut state: State = State::new();
    let c: Client<Uart, Delay, D> = Client::new(uart(io), Delay, &mut state);
    let creds = DeviceSecretLogin::new(PK, DN, DS)
        .secure_mode(SecureMode::Tcp)
        .build()
        .unwrap();
    let up = user_topic(PK, DN, "update").unwrap();
    let get = user_topic(PK, DN, "get").unwrap();
    let subs = [(get.as_str(), 1)];
    let cfg = DeviceConfig {
        backoff: BackoffPolicy {
            initial_ms: 20,
            max_ms: 200,
            jitter_permille: 500,
        },
        seed: 7,
        registration_timeout_ms: 3_000,
        registration_poll_ms: 50,
        idle_ms: 50,
        ..DeviceConfig::new(
            BearerConfig::default(),
            MqttSession::new(HOST, 1883, flow::login_of(&creds)),
            &subs,
        )
    };
    let received = Arc::new(Mutex::new(HashSet::new()));
    {
        let mut rx = p.uplink();
        let received = received.clone();
        let up = up.to_string();
        tokio::spawn(async move {
            while let Ok(u) = rx.recv().await {
                if u.topic == up {
                    received
                        .lock()
                        .unwrap()
                        .insert(String::from_utf8(u.payload).unwrap());
                }
            }
        });
    }
    let mut dev: Device<_, _, NoPin, NoPin, 4096> = Device::with_pins(c, Delay, cfg, None, None);
    let mut dice = Dice(seed);
    let mut accepted = Vec::new();
    let (mut cut_events, mut cut_publishes, mut longest) = (0usize, 0usize, Duration::ZERO);
    for round in 0..ROUNDS {
        match dice.roll(8) {
            0 => faults.drop_mqtt(0, 1 + dice.roll(4) as u8),
            1 => faults.pdp_deact(1),
            2 => faults.reboot(),
            3 => faults.garbage(&[0xff, 0x00, 0xff]),
            _ => {}
        }
        // A few calls, each dropped at a random virtual time.
        for k in 0..1 + dice.roll(6) {
            if dice.roll(3) == 0 {
                let body = format!("cancel {round}.{k}");
                match timeout(dice.cut(), dev.publish(&up, body.as_bytes(), 1)).await {
                    Ok(Ok(Sent::Delivered | Sent::Queued)) => accepted.push(body),
                    Ok(Err(e)) => panic!(
                        "{family:?}: publish refused: {:?}",
                        std::mem::discriminant(&e)
                    ),
                    // Dropped while sending: delivered or not, not queued (documented).
                    Err(_) => cut_publishes += 1,
                }
            } else {
                match timeout(dice.cut(), dev.next_event()).await {
                    Ok(Event::Stopped(r)) => panic!("{family:?} stopped: {r:?}"),
                    Ok(_) => {}
                    Err(_) => cut_events += 1,
                }
            }
        }
        // Then left alone: connected again, queue flushed, within the bound.
        let t0 = Instant::now();
        let settled = timeout(RECONNECT_WITHIN, async {
            while !(dev.is_online() && dev.queued() == 0) {
                if let Event::Stopped(r) = dev.next_event().await {
                    panic!("{family:?} stopped: {r:?}");
                }
            }
        })
        .await;
        if settled.is_err() {
            let log = faults.log();
            let tail = &log[log.len().saturating_sub(80)..];
            let client = format!("{:?}", dev.client());
            panic!(
                "{family:?} round {round}: not reconnected within {RECONNECT_WITHIN:?} of virtual time: {dev:?}\n{:?}\n{}",
                client,
                tail.join("\n")
            );
        }
        longest = longest.max(t0.elapsed());
    }
    // Every message whose publish returned reached the platform.
    let deadline = Instant::now() + Duration::from_secs(10);
    let lost: Vec<String> = loop {
        let got = received.lock().unwrap().clone();
        let lost: Vec<_> = accepted
            .iter()
            .filter(|m| !got.contains(*m))
            .cloned()
            .collect();
        if lost.is_empty() || Instant::now() > deadline {
            break lost;
        }
        // Keep the device running meanwhile (it delivers from its queue).
        let _ = timeout(Duration::from_millis(100), dev.next_event()).await;
    };
    let s = dev.stats();
    eprintln!(
        "cancel {family:?} seed {seed:#x}: {ROUNDS} rounds, {cut_events} next_event and \
         {cut_publishes} publish calls dropped, {} QoS 1 accepted, {} lost, reconnects {}, \
         reboots {}, resyncs {}, resets {}, longest settle {longest:?}",
        accepted.len(),
        lost.len(),
        s.reconnects,
        s.reboots,
        s.resyncs,
        s.resets,
    );
    assert!(lost.is_empty(), "{family:?}: lost QoS 1 messages {lost:?}");
    assert!(
        accepted.len() >= ROUNDS / 10,
        "{family:?}: too few accepted"
    );
}

#[tokio::test(start_paused = true)]
async fn quectel_survives_random_cancellation() {
    cancelled::<Quectel>(Family::Quectel, 0xcafe_0001).await;
}

#[tokio::test(start_paused = true)]
async fn luat_survives_random_cancellation() {
    cancelled::<Luat>(Family::Luat, 0xcafe_0002).await;
}
