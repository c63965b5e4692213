//! The thing model end to end on the bench: a device subscribed to every downlink filter
//! posts a property written by `aliyun::thing`, the bench's local Aliyun answers on
//! `…/post_reply` (its own Alink grammar), and the reply is classified and matched to the
//! pending post by id; an NTP request gets the bench's response and yields its clock.
#![allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]

use atmodem::aliyun::flow;
use atmodem::aliyun::ntp::write_ntp_request;
use atmodem::aliyun::thing::{
    Ack, DOWNLINK_FILTERS, Device, Downlink, Outcome, Pending, ThingTopic, Topic, classify,
    write_property_post,
};
use atmodem::aliyun::{DeviceSecretLogin, SecureMode};
use atmodem::client::{Client, Mqtt, MqttSession};
use atmodem::dialects::luat::Luat;
use atmodem::dialects::quectel::Quectel;
use atmodem::host::TokioDelay as Delay;
use atmodem_sim::transport::uart;
use atmodem_sim::{Family, ModemConfig, Platform, spawn_model};

const PK: &str = "i2uqc2dloOl";
const DN: &str = "device001";
const DS: &str = "c4fa40df9c8078073d75a26be2bc8f58";
const HOST: &str = "iot-06z00hxss3rggno.mqtt.iothub.aliyuncs.com";

async fn post_and_match<C>(p: &Platform, modem: &mut C)
where
    C: Mqtt,
    C::Error: core::fmt::Debug,
{
    let creds = DeviceSecretLogin::new(PK, DN, DS)
        .timestamp("1680937625134")
        .secure_mode(SecureMode::Tcp)
        .build()
        .unwrap();
    modem
        .mqtt_start(&MqttSession::new(HOST, 1883, flow::login_of(&creds)))
        .await
        .unwrap();
    let dev = Device::new(PK, DN).unwrap();
    let mut t = ThingTopic::new();
    for f in DOWNLINK_FILTERS {
        dev.filter(f, &mut t).unwrap();
        modem.mqtt_subscribe(0, &t, 0).await.unwrap();
    }

    // Two posts pending at once; the second one's reply must match the second id.
    let mut pending = Pending::<4>::new();
    let first = pending.register(0, 5_000).unwrap();
    let second = pending.register(0, 5_000).unwrap();
    dev.topic(Topic::PropertyPost, &mut t).unwrap();
    let mut json = heapless::String::<256>::new();
    write_property_post(first, r#"{"Temp":23.9}"#, Ack::NoReply, &mut json).unwrap();
    modem
        .mqtt_publish(0, &t, json.as_bytes(), 0, false)
        .await
        .unwrap();
    write_property_post(second, r#"{"Temp":24.1}"#, Ack::Reply, &mut json).unwrap();
    modem
        .mqtt_publish(0, &t, json.as_bytes(), 0, false)
        .await
        .unwrap();
    {
        let m = modem.mqtt_next_message(0, 5_000).await.unwrap();
        let Downlink::PostReply { event, reply } =
            classify(&dev, m.topic.as_bytes(), m.payload).unwrap()
        else {
            panic!("not a post reply: {}", m.topic);
        };
        assert_eq!(event, "property");
        assert_eq!(pending.complete(&reply), Some(Outcome::Accepted(second)));
    }
    // The first asked for no reply (`sys.ack` 0): it times out.
    assert_eq!(pending.expire(5_000), Some(Outcome::TimedOut(first)));
    assert!(pending.is_empty());

    // NTP: request with the device clock, the response gives the platform's UTC.
    let before = p.now_ms();
    dev.topic(Topic::NtpRequest, &mut t).unwrap();
    let mut req = heapless::String::<64>::new();
    write_ntp_request(777, &mut req).unwrap();
    modem
        .mqtt_publish(0, &t, req.as_bytes(), 0, false)
        .await
        .unwrap();
    let m = modem.mqtt_next_message(0, 5_000).await.unwrap();
    let Downlink::NtpResponse(r) = classify(&dev, m.topic.as_bytes(), m.payload).unwrap() else {
        panic!("not an NTP response: {}", m.topic);
    };
    assert!(r.answers(777));
    let utc = r.utc_ms(777).unwrap();
    let after = p.now_ms();
    assert!(
        before <= utc && utc <= after,
        "{before} <= {utc} <= {after}"
    );
}

#[tokio::test]
async fn quectel_property_post_reply_matched_by_id() {
    let p = Platform::start().await.unwrap();
    let (io, _faults) = spawn_model(ModemConfig::new(Family::Quectel, p.host_map()));
    let mut c: Client<_, _, Quectel> = Client::new(uart(io), Delay);
    post_and_match(&p, &mut c).await;
}

#[tokio::test]
async fn luat_property_post_reply_matched_by_id() {
    let p = Platform::start().await.unwrap();
    let (io, _faults) = spawn_model(ModemConfig::new(Family::Luat, p.host_map()));
    let mut c: Client<_, _, Luat> = Client::new(uart(io), Delay);
    post_and_match(&p, &mut c).await;
}
