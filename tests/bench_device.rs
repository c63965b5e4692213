//! The supervisor (`atmodem::device::Device`) on the bench: bring-up from cold, recovery
//! from an MQTT drop, a PDP loss and a module reboot (resubscribed, queued QoS 1 messages
//! delivered), the failures that stop it (bad credentials, denied registration, no SIM,
//! wrong PIN), and a seeded soak of random faults.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::expect_used
)]

use std::collections::HashSet;
use std::time::Duration;

use tokio::time::Instant;

use atmodem::aliyun::{DeviceSecretLogin, SecureMode, flow, user_topic};
use atmodem::client::{BearerConfig, Client, MqttSession, State};
use atmodem::device::{
    BackoffPolicy, Device, DeviceConfig, DeviceError, Disconnect, Event, NoPin, Sent, StopReason,
    Supervised,
};
use atmodem::dialects::luat::Luat;
use atmodem::dialects::quectel::Quectel;
use atmodem::host::TokioDelay as Delay;
use atmodem_sim::transport::{Uart, uart};
use atmodem_sim::{Family, ModemConfig, ModemHandle, Platform, Sim, spawn_model};

const PK: &str = "i2uqc2dloOl";
const DN: &str = "device001";
const DS: &str = "c4fa40df9c8078073d75a26be2bc8f58";
const HOST: &str = "iot-06z00hxss3rggno.mqtt.iothub.aliyuncs.com";

/// Quick back-off and short waits: the bench answers in milliseconds.
fn config<'a>(session: MqttSession<'a>, subs: &'a [(&'a str, u8)]) -> DeviceConfig<'a> {
    DeviceConfig {
        backoff: BackoffPolicy {
            initial_ms: 20,
            max_ms: 200,
            jitter_permille: 500,
        },
        seed: 7,
        registration_timeout_ms: 3_000,
        registration_poll_ms: 50,
        idle_ms: 100,
        ..DeviceConfig::new(BearerConfig::default(), session, subs)
    }
}

fn client<D: atmodem::codec::Dialect>(
    p: &Platform,
    tweak: impl FnOnce(&mut ModemConfig),
    family: Family,
) -> (Client<'static, Uart, Delay, D>, ModemHandle) {
    let mut cfg = ModemConfig::new(family, p.host_map());
    tweak(&mut cfg);
    let (io, faults) = spawn_model(cfg);
    let state: &mut State = Box::leak(Box::new(State::new()));
    (Client::new(uart(io), Delay, state), faults)
}

/// The next event that `want` accepts (others are collected), within `within`.
async fn until<C: Supervised>(
    dev: &mut Device<'_, C, Delay, NoPin, NoPin, 4096>,
    within: Duration,
    seen: &mut Vec<String>,
    want: impl Fn(&Event<'_>) -> bool,
) -> bool {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        let ev = dev.next_event().await;
        seen.push(format!("{ev:?}"));
        if want(&ev) {
            return true;
        }
        if matches!(ev, Event::Stopped(_)) {
            return false;
        }
    }
    false
}

fn creds(secret: &str) -> atmodem::aliyun::MqttCredentials {
    DeviceSecretLogin::new(PK, DN, secret)
        .secure_mode(SecureMode::Tcp)
        .build()
        .unwrap()
}

/// A message published by the platform on `topic` reaches the application.
async fn message_arrives<C: Supervised>(
    p: &Platform,
    dev: &mut Device<'_, C, Delay, NoPin, NoPin, 4096>,
    topic: &str,
    body: &[u8],
) {
    assert_eq!(p.publish(topic, body, 1), 1, "one subscriber on {topic}");
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        assert!(Instant::now() < deadline, "no message on {topic}");
        if let Event::Message(m) = dev.next_event().await {
            assert_eq!(m.topic, topic);
            assert_eq!(m.payload, body);
            return;
        }
    }
}

async fn cold_bring_up<D: atmodem::codec::Dialect>(family: Family)
where
    for<'a> Client<'a, Uart, Delay, D>: Supervised,
{
    let p = Platform::start().await.unwrap();
    let (c, faults) = client::<D>(&p, |_| {}, family);
    let creds = creds(DS);
    let get = user_topic(PK, DN, "get").unwrap();
    let subs = [(get.as_str(), 1)];
    let cfg = config(MqttSession::new(HOST, 1883, flow::login_of(&creds)), &subs);
    let mut dev: Device<_, _, NoPin, NoPin, 4096> = Device::with_pins(c, Delay, cfg, None, None);
    let mut seen = Vec::new();
    assert!(
        until(&mut dev, Duration::from_secs(10), &mut seen, |e| {
            *e == Event::Connected
        })
        .await,
        "{family:?}: {seen:?}"
    );
    // Registered, then the signal the model reports (`+CSQ: 24,99`: -113 + 2*24 = -65 dBm),
    // then connected.
    assert_eq!(
        seen,
        ["Registered", "Signal(-65)", "Connected"],
        "{family:?}"
    );
    // The bring-up order of the research notes: echo off and error mode before the SIM.
    let log = faults.log();
    let pos = |cmd: &str| {
        log.iter()
            .position(|l| l.starts_with(&format!("< {cmd}")))
            .unwrap_or_else(|| panic!("{family:?}: {cmd} not sent: {log:?}"))
    };
    // Verbose errors (`AT+CMEE=2`), as the device-runtime notes ask.
    assert!(pos("ATE0") < pos("AT+CMEE=2"));
    assert!(pos("AT+CMEE=2") < pos("AT+CPIN?"));
    assert!(pos("AT+CPIN?") < pos("AT+CEREG?"));
    message_arrives(&p, &mut dev, &get, b"hello").await;
    assert!(dev.is_online());
    assert_eq!(dev.stats().reconnects, 0);
}

#[tokio::test]
async fn quectel_cold_bring_up() {
    cold_bring_up::<Quectel>(Family::Quectel).await;
}

#[tokio::test]
async fn luat_cold_bring_up() {
    cold_bring_up::<Luat>(Family::Luat).await;
}

/// Each fault during a session: reported, reconnected within a bounded time, resubscribed,
/// and the QoS 1 messages published while offline delivered in order.
async fn faults_reconnect<D: atmodem::codec::Dialect>(family: Family)
where
    for<'a> Client<'a, Uart, Delay, D>: Supervised,
{
    let p = Platform::start().await.unwrap();
    let (c, faults) = client::<D>(&p, |_| {}, family);
    let creds = creds(DS);
    let get = user_topic(PK, DN, "get").unwrap();
    let up = user_topic(PK, DN, "update").unwrap();
    let subs = [(get.as_str(), 1)];
    let cfg = config(MqttSession::new(HOST, 1883, flow::login_of(&creds)), &subs);
    let mut dev: Device<_, _, NoPin, NoPin, 4096> = Device::with_pins(c, Delay, cfg, None, None);
    let mut seen = Vec::new();
    assert!(
        until(&mut dev, Duration::from_secs(10), &mut seen, |e| *e
            == Event::Connected)
        .await
    );
    let mut uplink = p.uplink();
    for (round, fault) in ["drop", "pdp", "reboot"].into_iter().enumerate() {
        match fault {
            "drop" => faults.drop_mqtt(0, 2),
            "pdp" => faults.pdp_deact(1),
            _ => faults.reboot(),
        }
        let mut seen = Vec::new();
        assert!(
            until(&mut dev, Duration::from_secs(5), &mut seen, |e| matches!(
                e,
                Event::Disconnected(_)
            ))
            .await,
            "{family:?} {fault}: {seen:?}"
        );
        let reason = seen.last().cloned().unwrap();
        let expected = match fault {
            "drop" => format!("{:?}", Event::Disconnected(Disconnect::Mqtt)),
            "pdp" => format!("{:?}", Event::Disconnected(Disconnect::Bearer)),
            // `POWERED DOWN` (Luat: `NORMAL POWER DOWN`) takes the links down first; `RDY`
            // follows.
            _ => String::new(),
        };
        if !expected.is_empty() {
            assert_eq!(reason, expected, "{family:?} {fault}: {seen:?}");
        }
        // Offline: QoS 1 is queued, QoS 0 refused.
        for i in 0..3 {
            let body = format!("r{round}m{i}");
            assert!(
                matches!(dev.publish(&up, body.as_bytes(), 1).await, Ok(Sent::Queued)),
                "{family:?} {fault}"
            );
        }
        assert!(matches!(
            dev.publish(&up, b"q0", 0).await,
            Err(DeviceError::Offline)
        ));
        let t0 = Instant::now();
        assert!(
            until(&mut dev, Duration::from_secs(10), &mut seen, |e| *e
                == Event::Connected)
            .await,
            "{family:?} {fault}: {seen:?}"
        );
        let took = t0.elapsed();
        assert!(
            took < Duration::from_secs(5),
            "{family:?} {fault}: {took:?}"
        );
        if fault == "reboot" {
            assert!(seen.iter().any(|e| e == "Rebooted"), "{family:?}: {seen:?}");
        }
        assert_eq!(dev.queued(), 0);
        for i in 0..3 {
            let u = Platform::next_uplink(&mut uplink, &up, Duration::from_secs(5))
                .await
                .unwrap_or_else(|| panic!("{family:?} {fault}: message {i} not delivered"));
            assert_eq!(u.payload, format!("r{round}m{i}").as_bytes(), "in order");
            assert_eq!(u.qos, 1);
        }
        // Resubscribed: a message pushed after the reconnect arrives.
        message_arrives(&p, &mut dev, &get, format!("after {fault}").as_bytes()).await;
        eprintln!("{family:?} {fault}: reconnected in {took:?}, events {seen:?}");
    }
    let s = dev.stats();
    assert_eq!(s.reconnects, 3, "{s:?}");
    assert_eq!(s.reboots, 1, "{s:?}");
}

#[tokio::test]
async fn quectel_faults_reconnect() {
    faults_reconnect::<Quectel>(Family::Quectel).await;
}

#[tokio::test]
async fn luat_faults_reconnect() {
    faults_reconnect::<Luat>(Family::Luat).await;
}

/// A stop after exactly the given number of `cmd` lines, with `reason`.
async fn stops<D: atmodem::codec::Dialect>(
    family: Family,
    secret: &str,
    pin: Option<&str>,
    tweak: impl FnOnce(&mut ModemConfig),
    reason: StopReason,
    cmd: &str,
    times: usize,
) -> Vec<String>
where
    for<'a> Client<'a, Uart, Delay, D>: Supervised,
{
    let p = Platform::start().await.unwrap();
    let (c, faults) = client::<D>(&p, tweak, family);
    let creds = creds(secret);
    let subs = [];
    let cfg = DeviceConfig {
        pin,
        ..config(MqttSession::new(HOST, 1883, flow::login_of(&creds)), &subs)
    };
    let mut dev: Device<_, _, NoPin, NoPin, 4096> = Device::with_pins(c, Delay, cfg, None, None);
    let mut seen = Vec::new();
    until(&mut dev, Duration::from_secs(10), &mut seen, |_| false).await;
    assert_eq!(
        seen.last().unwrap(),
        &format!("Stopped({reason:?})"),
        "{seen:?}"
    );
    assert_eq!(dev.stopped(), Some(reason));
    // Stopped stays stopped, and says so again.
    assert_eq!(dev.next_event().await, Event::Stopped(reason));
    assert!(matches!(
        dev.publish("t", b"x", 1).await,
        Err(DeviceError::Stopped(r)) if r == reason
    ));
    let n = faults
        .log()
        .iter()
        .filter(|l| l.starts_with(&format!("< {cmd}")))
        .count();
    assert_eq!(n, times, "{cmd}: {:?}", faults.log());
    faults.log()
}

#[tokio::test]
async fn bad_credentials_stop_after_one_attempt() {
    // The bench broker answers a wrong secret with CONNACK 4 (bad user name or password,
    // MQTT 3.1.1 §3.2.2.3), as aliyun-auth reports Aliyun does.
    let p_secret = "00000000000000000000000000000000";
    stops::<Quectel>(
        Family::Quectel,
        p_secret,
        None,
        |_| {},
        StopReason::BadCredentials(4),
        "AT+QMTCONN",
        1,
    )
    .await;
}

#[tokio::test]
async fn denied_registration_stops() {
    for family in [Family::Quectel, Family::Luat] {
        let f = |c: &mut ModemConfig| c.denied = true;
        match family {
            Family::Quectel => {
                stops::<Quectel>(
                    family,
                    DS,
                    None,
                    f,
                    StopReason::RegistrationDenied,
                    "AT+CEREG?",
                    1,
                )
                .await
            }
            Family::Luat => {
                stops::<Luat>(
                    family,
                    DS,
                    None,
                    f,
                    StopReason::RegistrationDenied,
                    "AT+CEREG?",
                    1,
                )
                .await
            }
        };
    }
}

#[tokio::test]
async fn missing_sim_stops() {
    let f = |c: &mut ModemConfig| c.sim = Sim::NotInserted;
    // In verbose mode the module says `+CME ERROR: SIM not inserted` (27.007 §9.2.1, code
    // 10): the supervisor reads the text as the missing SIM it is.
    let verbose = "> +CME ERROR: SIM not inserted".to_string();
    let log = stops::<Quectel>(
        Family::Quectel,
        DS,
        None,
        f,
        StopReason::NoSim,
        "AT+CPIN?",
        1,
    )
    .await;
    assert!(log.contains(&verbose), "{log:?}");
    let log = stops::<Luat>(Family::Luat, DS, None, f, StopReason::NoSim, "AT+CPIN?", 1).await;
    assert!(log.contains(&verbose), "{log:?}");
}

#[tokio::test]
async fn a_missing_sim_stops_in_every_error_mode() {
    // Whatever mode the module boots in, the bring-up's `AT+CMEE=2` comes before the SIM
    // query; a module that kept numeric mode (`+CME ERROR: 10`) is read the same.
    for boot_mode in [0, 1, 2] {
        let f = move |c: &mut ModemConfig| {
            c.sim = Sim::NotInserted;
            c.cmee = boot_mode;
        };
        let log = stops::<Quectel>(
            Family::Quectel,
            DS,
            None,
            f,
            StopReason::NoSim,
            "AT+CPIN?",
            1,
        )
        .await;
        assert!(
            log.contains(&"> +CME ERROR: SIM not inserted".to_string()),
            "{boot_mode}: {log:?}"
        );
    }
}

#[tokio::test]
async fn wrong_pin_is_entered_once_and_no_pin_stops_at_once() {
    let f = |c: &mut ModemConfig| c.sim = Sim::PinRequired;
    // The model accepts "1234". A wrong one is `+CME ERROR: incorrect password` in verbose
    // mode (27.007 §9.2.1, code 16).
    let log = stops::<Quectel>(
        Family::Quectel,
        DS,
        Some("0000"),
        f,
        StopReason::WrongPin,
        "AT+CPIN=",
        1,
    )
    .await;
    assert!(
        log.contains(&"> +CME ERROR: incorrect password".to_string()),
        "{log:?}"
    );
    stops::<Luat>(
        Family::Luat,
        DS,
        None,
        f,
        StopReason::PinRequired,
        "AT+CPIN=",
        0,
    )
    .await;
}

#[tokio::test]
async fn the_right_pin_is_entered_and_the_device_connects() {
    let p = Platform::start().await.unwrap();
    let (c, faults) = client::<Quectel>(&p, |c| c.sim = Sim::PinRequired, Family::Quectel);
    let creds = creds(DS);
    let subs = [];
    let cfg = DeviceConfig {
        pin: Some("1234"),
        ..config(MqttSession::new(HOST, 1883, flow::login_of(&creds)), &subs)
    };
    let mut dev: Device<_, _, NoPin, NoPin, 4096> = Device::with_pins(c, Delay, cfg, None, None);
    let mut seen = Vec::new();
    assert!(
        until(&mut dev, Duration::from_secs(10), &mut seen, |e| *e
            == Event::Connected)
        .await,
        "{seen:?}"
    );
    let pins = faults
        .log()
        .iter()
        .filter(|l| l.starts_with("< AT+CPIN="))
        .count();
    assert_eq!(pins, 1);
}

/// `core::mem::size_of` of the device and of its main futures, printed for the docs.
#[tokio::test]
async fn device_sizes() {
    let p = Platform::start().await.unwrap();
    let (c, _faults) = client::<Quectel>(&p, |_| {}, Family::Quectel);
    let creds = creds(DS);
    let subs = [];
    let cfg = config(MqttSession::new(HOST, 1883, flow::login_of(&creds)), &subs);
    let mut dev: Device<_, _, NoPin, NoPin, 1024> = Device::with_pins(c, Delay, cfg, None, None);
    let device = std::mem::size_of_val(&dev);
    let client = std::mem::size_of::<Client<Uart, Delay, Quectel>>();
    let next_event = std::mem::size_of_val(&dev.next_event());
    let next_message = std::mem::size_of_val(&dev.next_message(0));
    let publish = std::mem::size_of_val(&dev.publish("t", b"x", 1));
    eprintln!(
        "sizes: Device(OUT=1024) {device} B (client {client} B), next_event future {next_event} B, \
         next_message future {next_message} B, publish future {publish} B"
    );
    assert!(
        device > client + 1024,
        "the device holds its client and queue"
    );
    assert!(device < client + 1024 + 1024, "{device}");
}

/// A RESET line wired to the model: a pulse (high, then low) brings a silent module back
/// with a reboot, as a real reset would.
struct ResetLine {
    faults: ModemHandle,
    high: bool,
    pulses: std::sync::Arc<std::sync::atomic::AtomicU32>,
}

impl embedded_hal::digital::ErrorType for ResetLine {
    type Error = std::convert::Infallible;
}

impl embedded_hal::digital::OutputPin for ResetLine {
    fn set_low(&mut self) -> Result<(), Self::Error> {
        if std::mem::take(&mut self.high) {
            self.pulses
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            self.faults.silent(false);
            self.faults.reboot();
        }
        Ok(())
    }

    fn set_high(&mut self) -> Result<(), Self::Error> {
        self.high = true;
        Ok(())
    }
}

/// A module that stops answering: timeouts in a row, a resynchronisation (which cannot
/// help), then the RESET pulse, then a full bring-up; the QoS 1 message that timed out is
/// delivered afterwards.
#[tokio::test]
async fn a_wedged_module_is_resynchronised_then_reset() {
    use atmodem::client::Config;
    use atmodem::device::{PinTimings, Recovery};
    let p = Platform::start().await.unwrap();
    let (io, faults) = spawn_model(ModemConfig::new(Family::Quectel, p.host_map()));
    let mut state: State = State::new();
    let c: Client<Uart, Delay, Quectel> = Client::with_config(
        uart(io),
        Delay,
        &mut state,
        Config {
            resync_timeout_ms: 100,
            resync_attempts: 2,
            ..Config::default()
        },
    );
    let creds = creds(DS);
    let up = user_topic(PK, DN, "update").unwrap();
    let subs = [];
    let cfg = DeviceConfig {
        pins: PinTimings {
            power_pulse_ms: 10,
            off_wait_ms: 10,
            reset_pulse_ms: 10,
            boot_ms: 100,
        },
        ..config(MqttSession::new(HOST, 1883, flow::login_of(&creds)), &subs)
    };
    let pulses = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
    let line = ResetLine {
        faults: faults.clone(),
        high: false,
        pulses: pulses.clone(),
    };
    let mut dev: Device<_, _, ResetLine, NoPin, 4096> =
        Device::with_pins(c, Delay, cfg, Some(line), None);
    let deadline = Instant::now() + Duration::from_secs(10);
    while dev.next_event().await != Event::Connected {
        assert!(Instant::now() < deadline);
    }
    let mut uplink = p.uplink();
    faults.silent(true);
    // No acknowledgement: the message is kept for later.
    assert!(matches!(
        dev.publish(&up, b"kept", 1).await,
        Ok(Sent::Queued)
    ));
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        assert!(Instant::now() < deadline, "{seen:?}");
        let ev = dev.next_event().await;
        seen.push(format!("{ev:?}"));
        if ev == Event::Connected {
            break;
        }
    }
    let resync = format!("{:?}", Event::Recovering(Recovery::Resync));
    let reset = format!("{:?}", Event::Recovering(Recovery::Reset));
    let i = seen.iter().position(|e| *e == resync).expect("resync");
    let j = seen.iter().position(|e| *e == reset).expect("reset");
    assert!(i < j, "{seen:?}");
    // The reset's boot banner is part of the bring-up it starts, not a reboot to report.
    assert!(!seen.iter().any(|e| e == "Rebooted"), "{seen:?}");
    let s = dev.stats();
    assert_eq!((s.resyncs, s.resets, s.power_cycles), (1, 1, 0), "{s:?}");
    assert_eq!(s.reboots, 0, "{s:?}");
    assert_eq!(pulses.load(std::sync::atomic::Ordering::Relaxed), 1);
    let u = Platform::next_uplink(&mut uplink, &up, Duration::from_secs(5))
        .await
        .expect("the kept message");
    assert_eq!(u.payload, b"kept");
    eprintln!("wedged: {seen:?} {s:?}");
}

/// A test-side xorshift64 (not the library's generator) choosing the faults.
struct Dice(u64);

impl Dice {
    fn roll(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// ≥ 1000 random faults over one session, a QoS 1 message published after each (so while
/// the device is offline or repairing the previous fault), a third of them injected while
/// the device is still repairing the one before. Every message the device accepted must
/// reach the platform.
async fn soak<D: atmodem::codec::Dialect>(family: Family, seed: u64)
where
    for<'a> Client<'a, Uart, Delay, D>: Supervised,
{
    const FAULTS: usize = 1000;
    let wall = std::time::Instant::now();
    let started = Instant::now();
    let p = Platform::start().await.unwrap();
    // Virtual time: the broker's links in process, the clock paused (the test's runtime),
    // so time moves only when every task waits for a timer.
    p.broker().serve_in_process(true);
    let (c, faults) = client::<D>(&p, |_| {}, family);
    let creds = creds(DS);
    let up = user_topic(PK, DN, "update").unwrap();
    let get = user_topic(PK, DN, "get").unwrap();
    let subs = [(get.as_str(), 1)];
    let cfg = DeviceConfig {
        idle_ms: 20,
        ..config(MqttSession::new(HOST, 1883, flow::login_of(&creds)), &subs)
    };
    let received = std::sync::Arc::new(std::sync::Mutex::new(HashSet::new()));
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
    let (mut full, mut refused, mut kinds) = (0, 0, [0usize; 5]);
    let mut longest = Duration::ZERO;
    for i in 0..FAULTS {
        let kind = dice.roll(20);
        let kind = match kind {
            0..=6 => 0,
            7..=13 => 1,
            14 => 2,
            15..=16 => 3,
            _ => 4,
        };
        kinds[kind] += 1;
        match kind {
            0 => faults.drop_mqtt(0, 1 + dice.roll(4) as u8),
            1 => faults.pdp_deact(1),
            2 => faults.reboot(),
            3 => faults.garbage(&[0xff, 0x00, 0xff]),
            _ => faults.storm("+CREG: 1", 20),
        }
        let body = format!("soak {i}");
        match dev.publish(&up, body.as_bytes(), 1).await {
            Ok(_) => accepted.push(body),
            Err(DeviceError::QueueFull) => full += 1,
            Err(e) => {
                refused += 1;
                eprintln!(
                    "{family:?}: publish {i} refused: {:?}",
                    std::mem::discriminant(&e)
                );
            }
        }
        // Every third fault lands while the device is still repairing the previous one;
        // otherwise the device runs until it is connected with an empty queue (at least
        // one `next_event`, which reads the fault's URCs). Calls cut short at random
        // points are the subject of `tests/device_cancel.rs`.
        if i % 3 == 2 {
            continue;
        }
        let t0 = Instant::now();
        let reconnected = tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                if let Event::Stopped(r) = dev.next_event().await {
                    panic!("{family:?} stopped: {r:?}");
                }
                if dev.is_online() && dev.queued() == 0 {
                    return;
                }
            }
        })
        .await;
        if reconnected.is_err() {
            let log = faults.log();
            let tail = &log[log.len().saturating_sub(60)..];
            panic!(
                "{family:?} not reconnected after fault {i}: {dev:?}\n{}",
                tail.join("\n")
            );
        }
        longest = longest.max(t0.elapsed());
    }
    // Let it settle: connected with an empty queue.
    let deadline = Instant::now() + Duration::from_secs(20);
    while !(dev.is_online() && dev.queued() == 0) {
        assert!(
            Instant::now() < deadline,
            "{family:?} did not settle: {dev:?}"
        );
        let _ = tokio::time::timeout(Duration::from_secs(2), dev.next_event()).await;
    }
    // Still subscribed after all that.
    message_arrives(&p, &mut dev, &get, b"still there").await;
    let deadline = Instant::now() + Duration::from_secs(5);
    let lost = loop {
        let got = received.lock().unwrap().clone();
        let lost: Vec<_> = accepted.iter().filter(|m| !got.contains(*m)).collect();
        if lost.is_empty() || Instant::now() > deadline {
            break lost.len();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let s = dev.stats();
    eprintln!(
        "soak {family:?} seed {seed}: {FAULTS} faults (drop/pdp/reboot/garbage/storm {kinds:?}), \
         {} QoS 1 accepted, {lost} lost, {full} refused by a full queue, {refused} other refusals, \
         reconnects {}, reboots {}, resyncs {}, resets {}, back-off {} ms, longest repair {longest:?}, \
         virtual {:?}, wall {:?}",
        accepted.len(),
        s.reconnects,
        s.reboots,
        s.resyncs,
        s.resets,
        s.backoff_ms,
        started.elapsed(),
        wall.elapsed()
    );
    assert_eq!(lost, 0, "{family:?}: lost QoS 1 messages");
    assert!(s.reconnects > 100, "{s:?}");
    assert_eq!(s.dropped_outbound, full as u32);
    assert_eq!(refused, 0, "{family:?}: QoS 1 publishes refused");
}

#[tokio::test(start_paused = true)]
async fn quectel_soak() {
    soak::<Quectel>(Family::Quectel, 0x5eed_0001).await;
}

#[tokio::test(start_paused = true)]
async fn luat_soak() {
    soak::<Luat>(Family::Luat, 0x5eed_0002).await;
}

/// A PWRKEY line wired to the model: the model starts (or becomes) silent, as a module that
/// is off; a pulse turns it on (and then answers with its boot banner).
struct PowerKey {
    faults: ModemHandle,
    high: bool,
    /// Pulses after which the module answers again (a power cycle is two).
    on_after: u32,
    pulses: std::sync::Arc<std::sync::atomic::AtomicU32>,
}

impl embedded_hal::digital::ErrorType for PowerKey {
    type Error = std::convert::Infallible;
}

impl embedded_hal::digital::OutputPin for PowerKey {
    fn set_low(&mut self) -> Result<(), Self::Error> {
        if std::mem::take(&mut self.high) {
            let n = self
                .pulses
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
                + 1;
            if n >= self.on_after {
                self.faults.silent(false);
                self.faults.reboot();
            }
        }
        Ok(())
    }

    fn set_high(&mut self) -> Result<(), Self::Error> {
        self.high = true;
        Ok(())
    }
}

fn quick_pins() -> atmodem::device::PinTimings {
    atmodem::device::PinTimings {
        power_pulse_ms: 10,
        off_wait_ms: 10,
        reset_pulse_ms: 10,
        boot_ms: 100,
    }
}

fn quick_client(p: &Platform) -> (Client<'static, Uart, Delay, Quectel>, ModemHandle) {
    let (io, faults) = spawn_model(ModemConfig::new(Family::Quectel, p.host_map()));
    let state: &mut State = Box::leak(Box::new(State::new()));
    let c = Client::with_config(
        uart(io),
        Delay,
        state,
        atmodem::client::Config {
            resync_timeout_ms: 100,
            resync_attempts: 2,
            ..atmodem::client::Config::default()
        },
    );
    (c, faults)
}

/// Cold start with a power pin: a module that does not answer is pulsed on once; one that
/// answers is not pulsed at all (PWRKEY would turn it off).
#[tokio::test]
async fn power_on_pulses_only_a_module_that_does_not_answer() {
    for off in [true, false] {
        let p = Platform::start().await.unwrap();
        let (c, faults) = quick_client(&p);
        if off {
            faults.silent(true);
        }
        let creds = creds(DS);
        let subs = [];
        let cfg = DeviceConfig {
            pins: quick_pins(),
            ..config(MqttSession::new(HOST, 1883, flow::login_of(&creds)), &subs)
        };
        let pulses = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
        let key = PowerKey {
            faults: faults.clone(),
            high: false,
            on_after: 1,
            pulses: pulses.clone(),
        };
        let mut dev: Device<_, _, NoPin, PowerKey, 4096> =
            Device::with_pins(c, Delay, cfg, None, Some(key));
        let mut seen = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            assert!(Instant::now() < deadline, "off {off}: {seen:?}");
            let ev = dev.next_event().await;
            seen.push(format!("{ev:?}"));
            if ev == Event::Connected {
                break;
            }
        }
        let n = pulses.load(std::sync::atomic::Ordering::Relaxed);
        assert_eq!(n, u32::from(off), "off {off}: {seen:?}");
        // The boot banner of the module being powered on is not a reboot.
        assert_eq!(
            seen,
            ["Registered", "Signal(-65)", "Connected"],
            "off {off}"
        );
        assert_eq!(dev.stats().power_cycles, 0);
    }
}

/// No RESET pin: resync, then `AT+CFUN=1,1` (unanswered), then the PWRKEY power cycle
/// (two pulses), which brings the module back.
#[tokio::test]
async fn without_a_reset_pin_a_wedged_module_is_power_cycled() {
    use atmodem::device::Recovery;
    let p = Platform::start().await.unwrap();
    let (c, faults) = quick_client(&p);
    let creds = creds(DS);
    let up = user_topic(PK, DN, "update").unwrap();
    let subs = [];
    let cfg = DeviceConfig {
        pins: quick_pins(),
        ..config(MqttSession::new(HOST, 1883, flow::login_of(&creds)), &subs)
    };
    let pulses = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
    let key = PowerKey {
        faults: faults.clone(),
        high: false,
        on_after: 2,
        pulses: pulses.clone(),
    };
    let mut dev: Device<_, _, NoPin, PowerKey, 4096> =
        Device::with_pins(c, Delay, cfg, None, Some(key));
    let deadline = Instant::now() + Duration::from_secs(10);
    while dev.next_event().await != Event::Connected {
        assert!(Instant::now() < deadline);
    }
    assert_eq!(pulses.load(std::sync::atomic::Ordering::Relaxed), 0);
    faults.silent(true);
    assert!(matches!(
        dev.publish(&up, b"kept", 1).await,
        Ok(Sent::Queued)
    ));
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        assert!(Instant::now() < deadline, "{seen:?}");
        let ev = dev.next_event().await;
        seen.push(format!("{ev:?}"));
        if ev == Event::Connected {
            break;
        }
    }
    let order: Vec<_> = seen
        .iter()
        .filter(|e| e.starts_with("Recovering"))
        .collect();
    assert_eq!(
        order,
        [
            &format!("{:?}", Event::Recovering(Recovery::Resync)),
            &format!("{:?}", Event::Recovering(Recovery::Reset)),
            &format!("{:?}", Event::Recovering(Recovery::PowerCycle)),
        ],
        "{seen:?}"
    );
    let s = dev.stats();
    assert_eq!((s.resyncs, s.resets, s.power_cycles), (1, 1, 1), "{s:?}");
    assert_eq!(pulses.load(std::sync::atomic::Ordering::Relaxed), 2);
    eprintln!("power cycled: {seen:?} {s:?}");
}

/// Luat reports a refused login as a bare `ERROR` after `AT+MCONNECT`'s `OK`, without the
/// CONNACK code: it cannot be told from a broker failure, so it is retried, but with the
/// back-off (no retry storm).
#[tokio::test]
async fn luat_refused_login_backs_off() {
    let p = Platform::start().await.unwrap();
    let (c, faults) = client::<Luat>(&p, |_| {}, Family::Luat);
    let creds = creds("00000000000000000000000000000000");
    let subs = [];
    let cfg = config(MqttSession::new(HOST, 1883, flow::login_of(&creds)), &subs);
    let mut dev: Device<_, _, NoPin, NoPin, 4096> = Device::with_pins(c, Delay, cfg, None, None);
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        loop {
            dev.next_event().await;
        }
    })
    .await;
    let n = faults
        .log()
        .iter()
        .filter(|l| l.starts_with("< AT+MCONNECT"))
        .count();
    // Back-off 20, 40, 80, 160, 200, 200, ... ms (at most 50 % less with jitter): within
    // one second at most about a dozen attempts; without it, hundreds.
    assert!((2..=15).contains(&n), "{n} attempts");
    assert_eq!(dev.stopped(), None);
    assert!(dev.stats().backoff_ms > 0);
}
