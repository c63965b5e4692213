//! An STM32F411 firmware that keeps a Quectel module connected to Aliyun by itself (the
//! `atmodem::device` supervisor), reports its version after every connect, posts a property
//! every minute and answers property sets. The login goes over TLS with the server verified
//! against the Aliyun root CAs the crate ships. The module is on USART2 (PA2 TX, PA3 RX) at
//! 115,200 baud; time is embassy-time's.
#![no_std]
#![no_main]

use atmodem::aliyun::thing::{self, Ack, DOWNLINK_FILTERS, Downlink, ThingTopic, Topic};
use atmodem::aliyun::{DeviceSecretLogin, ca, flow, ota};
use atmodem::client::{BearerConfig, Client, State};
use atmodem::device::{CaFile, Device, DeviceConfig, Event};
use atmodem::dialects::quectel::Quectel;
use embassy_executor::Spawner;
use embassy_stm32::usart::{self, BufferedUart};
use embassy_stm32::{bind_interrupts, peripherals};
use embassy_time::Delay;
use heapless::{String, Vec};
use panic_halt as _;

bind_interrupts!(struct Irqs { USART2 => usart::BufferedInterruptHandler<peripherals::USART2>; });

const PK: &str = "i2uqc2dloOl";
const DN: &str = "device001";
const DS: &str = "c4fa40df9c8078073d75a26be2bc8f58";
const HOST: &str = "iot-06z00hxss3rggno.mqtt.iothub.aliyuncs.com";

#[embassy_executor::main]
async fn main(_spawner: Spawner) {
    let p = embassy_stm32::init(Default::default());
    let (mut tx, mut rx) = ([0u8; 256], [0u8; 2048]);
    let cfg = usart::Config::default(); // 115,200 8N1
    let uart = BufferedUart::new(p.USART2, p.PA3, p.PA2, &mut tx, &mut rx, Irqs, cfg);
    let creds = DeviceSecretLogin::new(PK, DN, DS).build(); // securemode=2: TLS
    let (Ok(uart), Ok(creds), Ok(dev)) = (uart, creds, thing::Device::new(PK, DN)) else {
        return;
    };
    // Every downlink topic of the thing model (property set, services, OTA, ...).
    let mut filters: Vec<ThingTopic, 10> = Vec::new();
    for f in DOWNLINK_FILTERS {
        let mut t = ThingTopic::new();
        let _ = dev.filter(f, &mut t).map(|()| filters.push(t));
    }
    let subs: Vec<(&str, u8), 10> = filters.iter().map(|t| (t.as_str(), 0)).collect();
    // TLS on SSL context 1, the server verified against Aliyun's roots (uploaded once).
    let Ok(session) = flow::session(HOST, 8883, &creds, Some(1)) else {
        return;
    };
    let mut config = DeviceConfig::new(BearerConfig::default(), session, &subs);
    config.ca = Some(CaFile::new(ca::CA_FILE, ca::BUNDLE));
    // The client's buffers (`State`: 2.5 KiB), kept in the main task's future.
    let mut state: State = State::new();
    let client = Client::<_, _, Quectel>::new(uart, Delay, &mut state);
    let mut modem = Device::new(client, Delay, config);
    let (mut topic, mut json, mut buf) = (ThingTopic::new(), String::<256>::new(), [0u8; 96]);
    let mut id = 0u32;
    loop {
        // What to send once the event (which may borrow the modem) is handled.
        let send = match modem.next_event().await {
            Event::Connected => ota::write_version_inform(0, "1.0.0", None, &mut buf)
                .ok()
                .and_then(|v| String::try_from(v).ok().map(|v| json = v))
                .and(dev.topic(Topic::OtaInform, &mut topic).ok()),
            Event::Idle => {
                id = id.wrapping_add(1);
                thing::write_property_post(id, r#"{"Temp":23.9}"#, Ack::Reply, &mut json)
                    .and(dev.topic(Topic::PropertyPost, &mut topic))
                    .ok()
            }
            Event::Message(m) => match thing::classify(&dev, m.topic.as_bytes(), m.payload) {
                Ok(Downlink::PropertySet { id, .. }) => {
                    thing::write_reply(id, 200, "{}", &mut json)
                        .and(dev.topic(Topic::PropertySetReply, &mut topic))
                        .ok()
                }
                _ => None,
            },
            Event::Stopped(_) => return,
            _ => None,
        };
        if send.is_some() {
            let _ = modem.publish(&topic, json.as_bytes(), 0).await;
        }
    }
}
