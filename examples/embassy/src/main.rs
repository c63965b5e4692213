//! An STM32F411 firmware that keeps a Quectel module connected to Aliyun by itself (the
//! `atmodem::device` supervisor), posts a property every minute and answers property sets.
//! The module is on USART2 (PA2 TX, PA3 RX) at 115,200 baud; time is embassy-time's.
#![no_std]
#![no_main]

use atmodem::aliyun::thing::{self, DOWNLINK_FILTERS, Downlink, ThingTopic, Topic};
use atmodem::aliyun::{DeviceSecretLogin, SecureMode, flow::login_of};
use atmodem::client::{BearerConfig, Client, MqttSession};
use atmodem::device::{Device, DeviceConfig, Event};
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
    let cfg = usart::Config::default();
    let Ok(uart) = BufferedUart::new(p.USART2, p.PA3, p.PA2, &mut tx, &mut rx, Irqs, cfg) else {
        return;
    };
    let (Ok(creds), Ok(dev)) = (
        DeviceSecretLogin::new(PK, DN, DS).secure_mode(SecureMode::Tcp).build(),
        thing::Device::new(PK, DN),
    ) else {
        return;
    };
    let mut filters: Vec<ThingTopic, 10> = Vec::new();
    for f in DOWNLINK_FILTERS {
        let mut t = ThingTopic::new();
        if dev.filter(f, &mut t).is_ok() && filters.push(t).is_err() {
            return;
        }
    }
    let subs: Vec<(&str, u8), 10> = filters.iter().map(|t| (t.as_str(), 0)).collect();
    let session = MqttSession::new(HOST, 1883, login_of(&creds));
    let client: Client<_, _, Quectel> = Client::new(uart, Delay);
    let mut modem: Device<_, _> =
        Device::new(client, Delay, DeviceConfig::new(BearerConfig::default(), session, &subs));
    let (mut topic, mut json) = (ThingTopic::new(), String::<256>::new());
    let mut id = 0u32;
    loop {
        // A property set waiting for its reply, taken out of the borrowed message.
        let mut set = None;
        match modem.next_event().await {
            Event::Connected | Event::Idle => {
                id = id.wrapping_add(1);
                let post = thing::write_property_post(id, r#"{"Temp":23.9}"#, thing::Ack::Reply, &mut json);
                if post.is_ok() && dev.topic(Topic::PropertyPost, &mut topic).is_ok() {
                    let _ = modem.publish(&topic, json.as_bytes(), 1).await;
                }
            }
            Event::Message(m) => {
                if let Ok(Downlink::PropertySet { id, .. }) = thing::classify(&dev, m.topic.as_bytes(), m.payload) {
                    set = Some(id);
                }
            }
            Event::Stopped(_) => return,
            _ => {}
        }
        if let Some(id) = set
            && thing::write_reply(id, 200, "{}", &mut json).is_ok()
            && dev.topic(Topic::PropertySetReply, &mut topic).is_ok()
        {
            let _ = modem.publish(&topic, json.as_bytes(), 0).await;
        }
    }
}
