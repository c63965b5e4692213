//! The thing model end to end on the bench: a device subscribed to every downlink filter
//! posts a property written by `aliyun::thing`, the bench's local Aliyun answers on
//! `…/post_reply` (its own Alink grammar), and the reply is classified and matched to the
//! pending post by id; an NTP request gets the bench's response and yields its clock. Then
//! the platform calls the device synchronously on both RRPC forms (system topics, and
//! `/ext/rrpc/…` on a custom topic and on a TSL service), the device answering through
//! `Device::response_topic`, and a desired-property get returns the platform's value.
#![allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]

use atmodem::aliyun::flow;
use atmodem::aliyun::ntp::write_ntp_request;
use std::time::Duration;

use atmodem::aliyun::thing::{
    Ack, DOWNLINK_FILTERS, Device, Downlink, Outcome, Pending, ThingTopic, Topic, classify,
    write_desired_get, write_event_post, write_property_post, write_reply,
};
use atmodem::aliyun::{DeviceSecretLogin, SecureMode};
use atmodem::client::{Client, Mqtt, MqttSession, State};
use atmodem::dialects::luat::Luat;
use atmodem::dialects::quectel::Quectel;
use atmodem::host::TokioDelay as Delay;
use atmodem_sim::platform::Rrpc;
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
        modem
            .mqtt_subscribe(modem.mqtt_session(0), &t, 0)
            .await
            .unwrap();
    }

    // Two posts pending at once; the second one's reply must match the second id.
    let mut pending = Pending::<4>::new();
    let first = pending.register(0, 5_000).unwrap();
    let second = pending.register(0, 5_000).unwrap();
    dev.topic(Topic::PropertyPost, &mut t).unwrap();
    let mut json = heapless::String::<256>::new();
    write_property_post(first, r#"{"Temp":23.9}"#, Ack::NoReply, &mut json).unwrap();
    modem
        .mqtt_publish(modem.mqtt_session(0), &t, json.as_bytes(), 0, false)
        .await
        .unwrap();
    write_property_post(second, r#"{"Temp":24.1}"#, Ack::Reply, &mut json).unwrap();
    modem
        .mqtt_publish(modem.mqtt_session(0), &t, json.as_bytes(), 0, false)
        .await
        .unwrap();
    {
        let m = modem
            .mqtt_next_message(modem.mqtt_session(0), 5_000)
            .await
            .unwrap();
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
        .mqtt_publish(modem.mqtt_session(0), &t, req.as_bytes(), 0, false)
        .await
        .unwrap();
    let m = modem
        .mqtt_next_message(modem.mqtt_session(0), 5_000)
        .await
        .unwrap();
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

    set_event_and_service(p, modem, &dev).await;
    rrpc_and_desired(p, modem, &dev).await;
}

/// The application's own type for a property set, read with serde-json-core.
#[derive(serde::Deserialize, Debug, PartialEq)]
#[serde(rename_all = "PascalCase")]
struct Lamp {
    light_switch: u8,
    brightness: Option<u16>,
}

/// A property set into the application's serde type and its `set_reply` seen by the
/// platform; an event post answered on its `post_reply` and matched by id; an asynchronous
/// service call answered on its `_reply` topic. The platform's messages are in the shapes of
/// the Alink documentation (`thing.service.property.set`, `thing.service.{identifier}`).
async fn set_event_and_service<C>(p: &Platform, modem: &mut C, dev: &Device<'_>)
where
    C: Mqtt,
    C::Error: core::fmt::Debug,
{
    let mut up = p.uplink();
    let mut t = ThingTopic::new();
    let mut json = heapless::String::<256>::new();

    // Property set → the application's type → set_reply.
    let id = p.set_properties(PK, DN, r#"{"LightSwitch":1,"Brightness":80}"#);
    let (set_id, lamp) = {
        let m = modem
            .mqtt_next_message(modem.mqtt_session(0), 5_000)
            .await
            .unwrap();
        let Downlink::PropertySet { id, params } =
            classify(dev, m.topic.as_bytes(), m.payload).unwrap()
        else {
            panic!("not a property set: {}", m.topic);
        };
        (id, params.parse::<Lamp>().unwrap())
    };
    assert_eq!(set_id.to_string(), id);
    assert_eq!(
        lamp,
        Lamp {
            light_switch: 1,
            brightness: Some(80)
        }
    );
    write_reply(set_id, 200, "{}", &mut json).unwrap();
    dev.topic(Topic::PropertySetReply, &mut t).unwrap();
    modem
        .mqtt_publish(modem.mqtt_session(0), &t, json.as_bytes(), 0, false)
        .await
        .unwrap();
    let seen = Platform::next_uplink(&mut up, &t, Duration::from_secs(5))
        .await
        .expect("the platform saw no set_reply");
    let v: serde_json::Value = serde_json::from_slice(&seen.payload).unwrap();
    assert_eq!(
        (v["id"].as_str(), v["code"].as_i64()),
        (Some(id.as_str()), Some(200))
    );

    // An event post, answered on `…/event/alarm/post_reply`, matched by id.
    let mut pending = Pending::<2>::new();
    let eid = pending.register(0, 5_000).unwrap();
    write_event_post(eid, "alarm", r#"{"Level":2}"#, None, Ack::Reply, &mut json).unwrap();
    dev.topic(Topic::EventPost("alarm"), &mut t).unwrap();
    modem
        .mqtt_publish(modem.mqtt_session(0), &t, json.as_bytes(), 0, false)
        .await
        .unwrap();
    {
        let m = modem
            .mqtt_next_message(modem.mqtt_session(0), 5_000)
            .await
            .unwrap();
        let Downlink::PostReply { event, reply } =
            classify(dev, m.topic.as_bytes(), m.payload).unwrap()
        else {
            panic!("not a post reply: {}", m.topic);
        };
        assert_eq!(event, "alarm");
        assert_eq!(pending.complete(&reply), Some(Outcome::Accepted(eid)));
    }

    // An asynchronous service call, answered on `…/thing/service/reboot_reply`.
    let call =
        r#"{"id":"4321","version":"1.0","params":{"Delay":5},"method":"thing.service.reboot"}"#;
    p.publish(
        &format!("/sys/{PK}/{DN}/thing/service/reboot"),
        call.as_bytes(),
        0,
    );
    let (identifier, sid) = {
        let m = modem
            .mqtt_next_message(modem.mqtt_session(0), 5_000)
            .await
            .unwrap();
        let Downlink::ServiceCall {
            identifier,
            id,
            params,
        } = classify(dev, m.topic.as_bytes(), m.payload).unwrap()
        else {
            panic!("not a service call: {}", m.topic);
        };
        assert_eq!(params.as_str(), r#"{"Delay":5}"#);
        let mut name = heapless::String::<32>::new();
        name.push_str(identifier).unwrap();
        (name, id)
    };
    assert_eq!((identifier.as_str(), sid), ("reboot", 4321));
    write_reply(sid, 200, r#"{"Accepted":1}"#, &mut json).unwrap();
    dev.topic(Topic::ServiceReply(&identifier), &mut t).unwrap();
    modem
        .mqtt_publish(modem.mqtt_session(0), &t, json.as_bytes(), 0, false)
        .await
        .unwrap();
    let seen = Platform::next_uplink(&mut up, &t, Duration::from_secs(5))
        .await
        .expect("the platform saw no service reply");
    // The bench broker, as MQTT 3.1.1 allows, also hands the reply back to the device: its
    // topic matches the device's `…/thing/service/+` subscription. Take it out of the way.
    let echo = modem
        .mqtt_next_message(modem.mqtt_session(0), 5_000)
        .await
        .unwrap();
    assert_eq!(echo.topic, t.as_str());
    let v: serde_json::Value = serde_json::from_slice(&seen.payload).unwrap();
    assert_eq!(
        (
            v["id"].as_str(),
            v["code"].as_i64(),
            v["data"]["Accepted"].as_i64()
        ),
        (Some("4321"), Some(200), Some(1))
    );
}

/// The next downlink that is not one of the device's own RRPC responses echoed back (the
/// bench broker, like MQTT 3.1.1, delivers a publish to its own publisher's matching
/// subscription), as `(topic, payload)`.
async fn next_downlink<C>(
    modem: &mut C,
    answered: &[std::string::String],
) -> (std::string::String, Vec<u8>)
where
    C: Mqtt,
    C::Error: core::fmt::Debug,
{
    loop {
        let m = modem
            .mqtt_next_message(modem.mqtt_session(0), 5_000)
            .await
            .unwrap();
        if !answered.iter().any(|t| t == m.topic) {
            return (m.topic.to_string(), m.payload.to_vec());
        }
    }
}

async fn rrpc_and_desired<C>(p: &Platform, modem: &mut C, dev: &Device<'_>)
where
    C: Mqtt,
    C::Error: core::fmt::Debug,
{
    let custom = format!("/{PK}/{DN}/user/get");
    let mut t = ThingTopic::new();
    dev.ext_rrpc_filter(&custom, &mut t).unwrap();
    modem
        .mqtt_subscribe(modem.mqtt_session(0), &t, 0)
        .await
        .unwrap();
    let service = format!("/sys/{PK}/{DN}/thing/service/SetLight");
    let mut answered = Vec::new();
    for (form, request) in [
        (Rrpc::System, &b"\x00opaque request"[..]),
        (Rrpc::Custom(&custom), b"{\"query\":\"state\"}"),
        (
            Rrpc::Custom(&service),
            br#"{"id":"123","version":"1.0","params":{"Power":"on"},"method":"thing.service.SetLight"}"#,
        ),
    ] {
        let call = {
            let p = p.clone();
            let form = match form {
                Rrpc::System => None,
                Rrpc::Custom(t) => Some(t.to_string()),
            };
            let request = request.to_vec();
            tokio::spawn(async move {
                let form = form.as_deref().map_or(Rrpc::System, Rrpc::Custom);
                p.rrpc_call(PK, DN, form, &request, Duration::from_secs(7))
                    .await
            })
        };
        let (topic, payload) = next_downlink(modem, &answered).await;
        let msg = classify(dev, topic.as_bytes(), &payload).unwrap();
        dev.response_topic(&msg, &mut t).unwrap();
        let mut reply = heapless::String::<64>::new();
        let response: &[u8] = match msg {
            Downlink::Rrpc { payload, .. } => {
                assert_eq!(payload, request);
                b"pong"
            }
            Downlink::ExtRrpc { topic: inner, payload, .. } if inner == custom => {
                assert_eq!(payload, request);
                b"{\"state\":\"on\"}"
            }
            Downlink::ExtRrpc { topic: inner, payload, .. } => {
                assert_eq!(inner, service);
                let Downlink::ServiceCall { identifier, id, params } =
                    classify(dev, inner.as_bytes(), payload).unwrap()
                else {
                    panic!("not a service call: {inner}");
                };
                assert_eq!((identifier, params.as_str()), ("SetLight", r#"{"Power":"on"}"#));
                write_reply(id, 200, r#"{"Power":"on"}"#, &mut reply).unwrap();
                reply.as_bytes()
            }
            other => panic!("not an RRPC request: {other:?}"),
        };
        let expected = response.to_vec();
        // RRPC responses go at QoS 0.
        modem.mqtt_publish(modem.mqtt_session(0), &t, response, 0, false).await.unwrap();
        answered.push(t.as_str().to_string());
        assert_eq!(call.await.unwrap(), Some(expected), "{form:?}");
    }

    // Desired properties: the platform holds a value, the device asks for it.
    p.set_desired(PK, DN, "LightSwitch", "1");
    dev.topic(Topic::DesiredGet, &mut t).unwrap();
    let mut req = heapless::String::<128>::new();
    write_desired_get(41, &["LightSwitch", "Color"], &mut req).unwrap();
    modem
        .mqtt_publish(modem.mqtt_session(0), &t, req.as_bytes(), 0, false)
        .await
        .unwrap();
    let (topic, payload) = next_downlink(modem, &answered).await;
    let Downlink::DesiredGetReply(r) = classify(dev, topic.as_bytes(), &payload).unwrap() else {
        panic!("not a desired get reply: {topic}");
    };
    assert_eq!((r.id, r.code), (41, 200));
    let got: Vec<(&str, &str)> = r.properties().map(|(k, v)| (k, v.as_str())).collect();
    assert_eq!(got, [("LightSwitch", r#"{"value":1,"version":1}"#)]);
}

#[tokio::test]
async fn quectel_property_post_reply_matched_by_id() {
    let p = Platform::start().await.unwrap();
    let (io, _faults) = spawn_model(ModemConfig::new(Family::Quectel, p.host_map()));
    let mut state: State = State::new();
    let mut c: Client<_, _, Quectel> = Client::new(uart(io), Delay, &mut state);
    post_and_match(&p, &mut c).await;
}

#[tokio::test]
async fn luat_property_post_reply_matched_by_id() {
    let p = Platform::start().await.unwrap();
    let (io, _faults) = spawn_model(ModemConfig::new(Family::Luat, p.host_map()));
    let mut state: State = State::new();
    let mut c: Client<_, _, Luat> = Client::new(uart(io), Delay, &mut state);
    post_and_match(&p, &mut c).await;
}
