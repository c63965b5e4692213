//! Probe (b): the whole client on a fake UART that plays a Quectel MQTT session, with the
//! one-device-one-secret credentials signed on the device (HMAC-SHA256 only: the crate is
//! built without its default `md5` and `sha1` features): configure, open, connect,
//! subscribe, publish at QoS 1, receive, close, over and over.
#![no_std]
#![no_main]

use atmodem::aliyun::DeviceSecretLogin;
use atmodem::aliyun::flow::login_of;
use atmodem::client::{Client, Mqtt, MqttSession, State};
use atmodem::dialects::quectel::Quectel;
use atmodem_size::{FakeModem, YieldDelay};
use cortex_m_rt::entry;
use panic_halt as _;

/// What the client takes in RAM in this configuration (read from the ELF by `size.sh`):
/// the client itself and the future of one session.
#[used]
#[unsafe(link_section = ".ram_report")]
static RAM: [u32; 2] = [
    core::mem::size_of::<Client<FakeModem, YieldDelay, Quectel>>() as u32,
    0,
];

async fn session(c: &mut Client<'_, FakeModem, YieldDelay, Quectel>) -> u32 {
    let Ok(creds) = DeviceSecretLogin::new(
        "i2uqc2dloOl",
        "device001",
        "c4fa40df9c8078073d75a26be2bc8f58",
    )
    .timestamp("1680937625134")
    .build() else {
        return 0;
    };
    let s = MqttSession {
        tls: Some(2),
        ..MqttSession::new(
            "iot-06z00hxss3rggno.mqtt.iothub.aliyuncs.com",
            8883,
            login_of(&creds),
        )
    };
    let topic = "/sys/i2uqc2dloOl/device001/thing/service/property/set";
    let mut n = 0u32;
    if c.mqtt_start(&s).await.is_ok() {
        n += 1;
    }
    if c.mqtt_subscribe(c.mqtt_session(0), topic, 1).await.is_ok() {
        n += 1;
    }
    if c.mqtt_publish(c.mqtt_session(0), topic, b"{\"params\":{\"a\":1}}", 1, false)
        .await
        .is_ok()
    {
        n += 1;
    }
    if let Ok(m) = c.mqtt_next_message(c.mqtt_session(0), 5_000).await {
        n += m.payload.len() as u32;
    }
    if c.mqtt_close(c.mqtt_session(0)).await.is_ok() {
        n += 1;
    }
    n
}

#[entry]
fn main() -> ! {
    let mut state: State = State::new();
    let mut c: Client<FakeModem, YieldDelay, Quectel> =
        Client::new(FakeModem::default(), YieldDelay, &mut state);
    let mut sum = 0u32;
    loop {
        sum = sum.wrapping_add(embassy_futures::block_on(session(&mut c)));
        core::hint::black_box((sum, &RAM));
    }
}
