//! The quickstart: a device on the test bench, then every Aliyun flow of the Luat and Quectel
//! application notes, run with the notes' own values.
//!
//! ```text
//! cargo run --example quickstart                    # the device flow on the bench
//! cargo run --example quickstart -- --dialect luat  # the same on the Luat model
//! cargo run --example quickstart -- --flow supervised  # the supervisor through a drop and a reboot
//! cargo run --example quickstart -- --scripted      # every note's flow, scripted modem
//! cargo run --example quickstart -- --flow luat     # one of them
//! cargo run --example quickstart -- --port /dev/ttyUSB0 --dialect quectel \
//!     --flow quectel-device-secret-aliauth --product-key <pk> --device-name <dn> \
//!     --device-secret <ds> --instance-id <iot-...>   # the same flow on a real module
//! ```
//!
//! By default the `device` flow runs on the test bench (`atmodem-sim`): a behavioural module
//! model (Quectel, or Luat with `--dialect luat`) whose MQTT stack talks to the bench's local
//! Aliyun platform through its embedded broker. The device logs in with its
//! one-device-one-secret credentials, subscribes, reports its firmware version, posts a property (the platform sees it and
//! replies), receives a property set pushed by the platform and answers it with a
//! `set_reply` (the platform sees that too), then receives an OTA upgrade push, fetches the
//! image in ranges over the module's HTTP, checks its MD5 and reports progress (the platform
//! sees `step` 100 once the digest matched). It prints a legend, the exchange on the module's
//! AT port, and `# <name>: <value>` lines for what each side saw.
//!
//! On the scripted modem, each flow prints `# flow: <name>`, then its whole exchange in the
//! AT transcript format, recorded from the bytes that crossed the simulated transport
//! (commands `>>`, data after a prompt `>>|`, modem output `<<` / `<<|`), then the typed
//! results it obtained as `# <name>: <value>` lines. The simulated modem plays the modem side
//! of the golden transcripts under `tests/transcripts/` and checks every byte the flow sends.
//!
//! Flows: `luat` (the whole Luat note), `quectel-device-secret-aliauth`,
//! `quectel-device-secret-password`, `quectel-mqtt-register`, `quectel-mqtt-regnwl`,
//! `quectel-https-register`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::process::ExitCode;

use atmodem::aliyun::flow::{self, login_of, luat as luat_flow, quectel};
use atmodem::aliyun::ota;
use atmodem::aliyun::{
    AuthType, DeviceSecretLogin, HttpsDeviceAuth, HttpsRegistration, MqttEndpoint,
    MqttRegistration, SignMethod, property_post_reply_topic, user_topic,
};
use atmodem::client::{BearerConfig, Client, Mqtt, MqttSession, State};
use atmodem::dialects::common::Echo;
use atmodem::dialects::luat::{Luat, MqttMsgSet};
use atmodem::dialects::quectel::{QmtCfgQuery, QmtSettingName, Quectel};
use atmodem::host::TokioDelay;
use atmodem::sim::{InstantDelay, Recorder, SimModem};
use atmodem_sim::{Family, ModemConfig, Platform, spawn_model};
use embedded_hal_async::delay::DelayNs;
use embedded_io_async::{Read, Write};

/// The flows, with the golden transcript the simulated modem plays for each.
pub const FLOWS: [(&str, &str); 6] = [
    ("luat", include_str!("../tests/transcripts/luat.txt")),
    (
        "quectel-device-secret-aliauth",
        include_str!("../tests/transcripts/quectel-device-secret-aliauth.txt"),
    ),
    (
        "quectel-device-secret-password",
        include_str!("../tests/transcripts/quectel-device-secret-password.txt"),
    ),
    (
        "quectel-mqtt-register",
        include_str!("../tests/transcripts/quectel-mqtt-register.txt"),
    ),
    (
        "quectel-mqtt-regnwl",
        include_str!("../tests/transcripts/quectel-mqtt-regnwl.txt"),
    ),
    (
        "quectel-https-register",
        include_str!("../tests/transcripts/quectel-https-register.txt"),
    ),
];

/// A device's Aliyun identity and what the flows need besides it.
#[derive(Clone, Debug, Default)]
pub struct Device {
    /// ProductKey.
    pub product_key: String,
    /// DeviceName.
    pub device_name: String,
    /// DeviceSecret (one-device-one-secret flows).
    pub device_secret: String,
    /// ProductSecret (registration flows).
    pub product_secret: String,
    /// `random` of a registration.
    pub random: String,
    /// The MQTT client id of the registration flows (`<pk>.<dn>` when empty).
    pub client_id: String,
    /// Timestamp of a one-device-one-secret password login.
    pub timestamp: String,
    /// Instance id of a new public / Enterprise instance (empty: the old public instance of
    /// `region`).
    pub instance_id: String,
    /// Region.
    pub region: String,
    /// APN (Luat bearer).
    pub apn: String,
}

/// The notes' values for `flow`.
pub fn seed(flow: &str) -> Device {
    let s = |v: &str| v.to_string();
    let instance = |d: Device| Device {
        instance_id: s("iot-06z00hxss3rggno"),
        region: s("cn-shanghai"),
        ..d
    };
    match flow {
        "luat" => Device {
            product_key: s("b1KCi45LcCP"),
            device_name: s("862991419835241"),
            // The note prints `VWII...`: only `VWll...` gives its sign.
            product_secret: s("VWll9fiYWKiwraBk"),
            random: s("123456"),
            region: s("cn-shanghai"),
            apn: s("CMIOT"),
            ..Device::default()
        },
        "quectel-device-secret-aliauth" => instance(Device {
            product_key: s("i2uqc2dloOl"),
            device_name: s("device001"),
            device_secret: s("c4fa40df9c8078073d75a26be2bc8f58"),
            ..Device::default()
        }),
        "quectel-device-secret-password" => instance(Device {
            product_key: s("i2uqc2dloOl"),
            device_name: s("device001"),
            device_secret: s("c4fa40df9c8078073d75a26be2bc8f58"),
            timestamp: s("1680937625134"),
            ..Device::default()
        }),
        "quectel-mqtt-register" => instance(Device {
            product_key: s("i2uqZnX9tZK"),
            device_name: s("meter001"),
            product_secret: s("xTzMxVmm9HUY19Pr"),
            random: s("123"),
            client_id: s("864430010001091"),
            ..Device::default()
        }),
        "quectel-mqtt-regnwl" => instance(Device {
            product_key: s("i2uq9ORmOSM"),
            device_name: s("Kit001"),
            product_secret: s("cSsjZJ19qkGDLvwR"),
            random: s("123"),
            client_id: s("Kit001"),
            ..Device::default()
        }),
        _ => instance(Device {
            product_key: s("i2uqzmkZsLG"),
            device_name: s("device001"),
            // The note does not print this product's secret: a stand-in.
            product_secret: s("NotPrintedInNote"),
            random: s("003"),
            ..Device::default()
        }),
    }
}

/// The typed results of a flow, as `(name, value)`.
pub type Results = Vec<(&'static str, String)>;

type Fail = String;

fn fail<E: core::fmt::Debug>(step: &str) -> impl FnOnce(E) -> Fail + '_ {
    move |e| format!("{step}: {e:?}")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

impl Device {
    fn host(&self) -> Result<String, Fail> {
        let endpoint = if self.instance_id.is_empty() {
            MqttEndpoint::Public {
                product_key: &self.product_key,
                region: &self.region,
            }
        } else {
            MqttEndpoint::Instance {
                instance_id: &self.instance_id,
            }
        };
        endpoint
            .host()
            .map(|h| h.to_string())
            .map_err(fail("MQTT host"))
    }
}

/// The Luat note end to end.
pub async fn luat<IO: Read + Write, DL: DelayNs>(
    c: &mut Client<'_, IO, DL, Luat>,
    d: &Device,
) -> Result<Results, Fail> {
    let (pk, dn) = (d.product_key.as_str(), d.device_name.as_str());
    let bearer = BearerConfig {
        apn: &d.apn,
        ..BearerConfig::default()
    };
    let firmware = luat_flow::prepare(c, &bearer)
        .await
        .map_err(fail("prepare"))?;
    let mut reply = [0u8; 512];
    let registration = HttpsRegistration::new(pk, dn, &d.product_secret, &d.random)
        .sign_method(SignMethod::HmacMd5)
        .sign_method_spelling("HmacMD5");
    let device = flow::https_register(c, &registration, luat_flow::NOTE_HTTP_TIMING, &mut reply)
        .await
        .map_err(fail("HTTPS registration"))?;
    let auth = HttpsDeviceAuth::new(pk, dn, device.device_secret.expose())
        .client_id(dn)
        .sign_method(SignMethod::HmacMd5)
        .send_sign_method(false);
    let login = flow::https_device_auth(c, &auth, luat_flow::NOTE_HTTP_TIMING, &mut reply)
        .await
        .map_err(fail("HTTPS device auth"))?;
    let host = d.host()?;
    let session = MqttSession {
        tls: Some(0),
        keepalive_secs: 300,
        ..MqttSession::new(&host, 1883, login_of(&login.credentials))
    };
    let mqtt = c.mqtt_start(&session).await.map_err(fail("MQTT start"))?;
    let get = user_topic(pk, dn, "get").map_err(fail("topic"))?;
    let update = user_topic(pk, dn, "update").map_err(fail("topic"))?;
    c.mqtt_subscribe(mqtt, &get, 0)
        .await
        .map_err(fail("subscribe"))?;
    c.send(&MqttMsgSet { cache: false })
        .await
        .map_err(fail("AT+MQTTMSGSET"))?;
    let (topic, payload) = {
        let m = c
            .mqtt_next_message(mqtt, 60_000)
            .await
            .map_err(fail("receive"))?;
        (m.topic.to_string(), text(m.payload))
    };
    for qos in [0, 1] {
        c.mqtt_publish(mqtt, &update, b"HelloWorld", qos, false)
            .await
            .map_err(fail("publish"))?;
    }
    Ok(vec![
        ("firmware", firmware.to_string()),
        ("device_secret", device.device_secret.expose().to_string()),
        ("iot_id", login.credentials.username().to_string()),
        (
            "iot_token",
            login.credentials.password().expose().to_string(),
        ),
        ("message_topic", topic),
        ("message_payload", payload),
    ])
}

fn network(r: &quectel::NetworkReport) -> Results {
    vec![
        ("registration", format!("{:?}", r.registration)),
        ("rsrp", r.rsrp.map_or_else(String::new, |v| v.to_string())),
        ("ipv4", r.ipv4.to_string()),
    ]
}

fn client_id(d: &Device) -> String {
    if d.client_id.is_empty() {
        format!("{}.{}", d.product_key, d.device_name)
    } else {
        d.client_id.clone()
    }
}

/// One-device-one-secret through `aliauth`, then the property post / subscribe / receive
/// exchange (the Quectel note's 4.1.3).
pub async fn quectel_device_secret_aliauth<IO: Read + Write, DL: DelayNs>(
    c: &mut Client<'_, IO, DL, Quectel>,
    d: &Device,
) -> Result<Results, Fail> {
    let (pk, dn) = (d.product_key.as_str(), d.device_name.as_str());
    let net = quectel::network_checks(c, 1)
        .await
        .map_err(fail("network checks"))?;
    // The note's look at the will setting.
    let will = c
        .send(&QmtCfgQuery {
            client: 0,
            name: QmtSettingName::Will,
        })
        .await
        .map(|w| format!("{w:?}"))
        .map_err(fail("will query"))?;
    let host = d.host()?;
    let login = quectel::aliauth_login(pk, dn, &d.device_secret, dn).map_err(fail("login"))?;
    let mqtt = flow::connect(c, &MqttSession::new(&host, 1883, login))
        .await
        .map_err(fail("connect"))?;
    let reply_topic = property_post_reply_topic(pk, dn).map_err(fail("topic"))?;
    c.mqtt_subscribe(mqtt, &reply_topic, 0)
        .await
        .map_err(fail("subscribe"))?;
    flow::post_properties(
        c,
        mqtt,
        pk,
        dn,
        1681363292898,
        r#"{"Temp":23.9,"Humi":69,"mlux":825,"LightStatus":1}"#,
        0,
    )
    .await
    .map_err(fail("property post"))?;
    let (id, code) = {
        let m = c
            .mqtt_next_message(mqtt, 10_000)
            .await
            .map_err(fail("receive"))?;
        let r = flow::parse_post_reply(m.payload).map_err(fail("post reply"))?;
        (r.id.to_string(), r.code.to_string())
    };
    c.mqtt_close(mqtt).await.map_err(fail("close"))?;
    let mut out = network(&net);
    out.extend([
        ("will", will),
        ("post_reply_id", id),
        ("post_reply_code", code),
    ]);
    Ok(out)
}

/// One-device-one-secret with the console's clientId / username / password (4.1.2).
pub async fn quectel_device_secret_password<IO: Read + Write, DL: DelayNs>(
    c: &mut Client<'_, IO, DL, Quectel>,
    d: &Device,
) -> Result<Results, Fail> {
    let mut login = DeviceSecretLogin::new(&d.product_key, &d.device_name, &d.device_secret)
        .sign_method(SignMethod::HmacSha256);
    if !d.timestamp.is_empty() {
        login = login.timestamp(&d.timestamp);
    }
    let creds = login.build().map_err(fail("credentials"))?;
    let host = d.host()?;
    // The note's 4.1.2 exchange as it was recorded: `securemode=2` with no SSL context (the
    // signed login goes out in the clear). A product uses `flow::session` with TLS instead.
    let session = MqttSession {
        unchecked_transport: true,
        ..MqttSession::new(&host, 1883, login_of(&creds))
    };
    quectel::check_aliauth(c, &session)
        .await
        .map_err(fail("aliauth check"))?;
    let mqtt = flow::connect(c, &session).await.map_err(fail("connect"))?;
    c.mqtt_close(mqtt).await.map_err(fail("close"))?;
    Ok(vec![
        ("client_id", creds.client_id().to_string()),
        ("username", creds.username().to_string()),
        ("password", creds.password().expose().to_string()),
    ])
}

/// MQTT registration with pre-registration, then the reconnect with the new secret (4.2.1).
pub async fn quectel_mqtt_register<IO: Read + Write, DL: DelayNs>(
    c: &mut Client<'_, IO, DL, Quectel>,
    d: &Device,
) -> Result<Results, Fail> {
    let net = quectel::network_checks(c, 1)
        .await
        .map_err(fail("network checks"))?;
    let id = client_id(d);
    let mut reg =
        MqttRegistration::new(&d.product_key, &d.device_name, &d.product_secret, &d.random)
            .client_id(&id)
            .sign_method(SignMethod::HmacSha1);
    if !d.instance_id.is_empty() {
        reg = reg.instance_id(&d.instance_id);
    }
    let creds = reg.build().map_err(fail("credentials"))?;
    let host = d.host()?;
    let session = MqttSession {
        tls: Some(2),
        ..MqttSession::new(&host, 1883, login_of(&creds))
    };
    quectel::check_aliauth(c, &session)
        .await
        .map_err(fail("aliauth check"))?;
    let device = flow::mqtt_register(c, &session)
        .await
        .map_err(fail("registration"))?;
    let login = quectel::aliauth_login(
        &device.product_key,
        &device.device_name,
        device.device_secret.expose(),
        &device.device_name,
    )
    .map_err(fail("login"))?;
    let mqtt = flow::connect(c, &MqttSession::new(&host, 1883, login))
        .await
        .map_err(fail("reconnect"))?;
    c.mqtt_close(mqtt).await.map_err(fail("close"))?;
    let mut out = network(&net);
    out.push(("device_secret", device.device_secret.expose().to_string()));
    Ok(out)
}

/// Registration-free registration, then the connwl login (4.2.2).
pub async fn quectel_mqtt_regnwl<IO: Read + Write, DL: DelayNs>(
    c: &mut Client<'_, IO, DL, Quectel>,
    d: &Device,
) -> Result<Results, Fail> {
    let net = quectel::network_checks(c, 1)
        .await
        .map_err(fail("network checks"))?;
    let id = client_id(d);
    let mut reg =
        MqttRegistration::new(&d.product_key, &d.device_name, &d.product_secret, &d.random)
            .auth_type(AuthType::Regnwl)
            .client_id(&id)
            .sign_method(SignMethod::HmacSha1);
    if !d.instance_id.is_empty() {
        reg = reg.instance_id(&d.instance_id);
    }
    let creds = reg.build().map_err(fail("credentials"))?;
    let host = d.host()?;
    let session = MqttSession {
        tls: Some(2),
        ..MqttSession::new(&host, 1883, login_of(&creds))
    };
    quectel::check_aliauth(c, &session)
        .await
        .map_err(fail("aliauth check"))?;
    let device = flow::mqtt_regnwl(c, &session)
        .await
        .map_err(fail("registration"))?;
    let connwl = device.login().map_err(fail("connwl login"))?;
    // The note's 4.2.2 connwl login as recorded: `securemode=-2` with no SSL context.
    let session = MqttSession {
        unchecked_transport: true,
        ..MqttSession::new(&host, 1883, login_of(&connwl))
    };
    let mqtt = flow::connect(c, &session).await.map_err(fail("connwl"))?;
    c.mqtt_close(mqtt).await.map_err(fail("close"))?;
    let mut out = network(&net);
    out.extend([
        ("client_id", device.client_id.to_string()),
        ("device_token", device.device_token.expose().to_string()),
    ]);
    Ok(out)
}

/// HTTPS registration, then the login with the new secret through `aliauth` (4.2.3).
pub async fn quectel_https_register<IO: Read + Write, DL: DelayNs>(
    c: &mut Client<'_, IO, DL, Quectel>,
    d: &Device,
) -> Result<Results, Fail> {
    let net = quectel::network_checks(c, 1)
        .await
        .map_err(fail("network checks"))?;
    let registration =
        HttpsRegistration::new(&d.product_key, &d.device_name, &d.product_secret, &d.random)
            .sign_method(SignMethod::HmacSha1);
    let mut reply = [0u8; 512];
    let device = flow::https_register(c, &registration, quectel::NOTE_HTTP_TIMING, &mut reply)
        .await
        .map_err(fail("HTTPS registration"))?;
    let host = d.host()?;
    let login = quectel::aliauth_login(
        &device.product_key,
        &device.device_name,
        device.device_secret.expose(),
        &device.device_name,
    )
    .map_err(fail("login"))?;
    let session = MqttSession::new(&host, 1883, login);
    quectel::check_aliauth(c, &session)
        .await
        .map_err(fail("aliauth check"))?;
    let mqtt = flow::connect(c, &session).await.map_err(fail("connect"))?;
    c.mqtt_close(mqtt).await.map_err(fail("close"))?;
    let mut out = network(&net);
    out.push(("device_secret", device.device_secret.expose().to_string()));
    Ok(out)
}

/// Run `flow` with `device` on the simulated modem playing `script`: the recorded exchange
/// and the results.
pub fn simulate(
    flow: &str,
    script: &str,
    device: &Device,
    chunks: &[usize],
) -> Result<(String, Results), Fail> {
    let sim = SimModem::new(script)
        .map_err(fail("transcript"))?
        .with_chunks(chunks);
    macro_rules! run {
        ($dialect:ty, $f:ident) => {{
            let mut state: State = State::new();
            let mut c: Client<SimModem, InstantDelay, $dialect> =
                Client::new(sim, InstantDelay, &mut state);
            let results = embassy_futures::block_on($f(&mut c, device));
            let t = c.transport();
            let results = results?;
            if !t.is_done() {
                return Err(format!(
                    "the flow stopped early; script left:\n{}",
                    t.remaining()
                ));
            }
            (t.transcript(), results)
        }};
    }
    Ok(match flow {
        "luat" => run!(Luat, luat),
        "quectel-device-secret-aliauth" => run!(Quectel, quectel_device_secret_aliauth),
        "quectel-device-secret-password" => run!(Quectel, quectel_device_secret_password),
        "quectel-mqtt-register" => run!(Quectel, quectel_mqtt_register),
        "quectel-mqtt-regnwl" => run!(Quectel, quectel_mqtt_regnwl),
        "quectel-https-register" => run!(Quectel, quectel_https_register),
        other => return Err(format!("unknown flow {other}")),
    })
}

/// The printed form of one flow: header, exchange, results.
pub fn render(flow: &str, transcript: &str, results: &Results) -> String {
    let mut out = format!("# flow: {flow}\n{transcript}");
    for (name, value) in results {
        out.push_str(&format!("# {name}: {value}\n"));
    }
    out
}

/// What the printed exchange's prefixes mean.
pub const LEGEND: &str = "\
# legend: `>>` a command line the host wrote, `>>|` data the host wrote after a prompt,
#         `<<` a line the module sent, `<<|` module bytes that are not a whole line
#         (a prompt); blank lines between the module's lines are left out.
";

/// The device flow on the bench: one-device-one-secret login, subscriptions, a property post
/// the platform sees and answers, a property set the platform pushes and the device answers,
/// an OTA upgrade fetched in ranges, verified and reported. The same code for every module
/// family: it needs only the `Mqtt`, `Http` and `Bearer` capabilities.
async fn device_flow<C, E>(p: &Platform, c: &mut C) -> Result<Results, Fail>
where
    C: Mqtt<Error = atmodem::client::Error<E>> + atmodem::client::Http + atmodem::client::Bearer,
    E: core::fmt::Debug,
{
    use std::time::Duration;
    let (pk, dn, ds) = (BENCH_PK, BENCH_DN, BENCH_DS);
    let creds = DeviceSecretLogin::new(pk, dn, ds)
        .secure_mode(atmodem::aliyun::SecureMode::Tcp)
        .build()
        .map_err(fail("credentials"))?;
    let session = flow::session(BENCH_HOST, 1883, &creds, None).map_err(fail("session"))?;
    let mqtt = c.mqtt_start(&session).await.map_err(fail("login"))?;
    let set_topic = format!("/sys/{pk}/{dn}/thing/service/property/set");
    let reply_topic = property_post_reply_topic(pk, dn).map_err(fail("topic"))?;
    c.mqtt_subscribe(mqtt, &set_topic, 0)
        .await
        .map_err(fail("subscribe"))?;
    c.mqtt_subscribe(mqtt, &reply_topic, 0)
        .await
        .map_err(fail("subscribe"))?;
    let mut results = Results::new();
    let mut uplink = p.uplink();

    // The running firmware's version, reported after the login (the platform decides from
    // it whether an upgrade succeeded).
    let inform_topic = format!("/ota/device/inform/{pk}/{dn}");
    let mut inform = [0u8; 96];
    let inform =
        ota::write_version_inform(1, "1.0.0", None, &mut inform).map_err(fail("inform"))?;
    c.mqtt_publish(mqtt, &inform_topic, inform.as_bytes(), 0, false)
        .await
        .map_err(fail("inform"))?;
    let seen = Platform::next_uplink(&mut uplink, &inform_topic, Duration::from_secs(5))
        .await
        .ok_or("the platform did not see the version report")?;
    results.push(("platform saw", text(&seen.payload)));

    // A property post; the platform sees it and replies on `post_reply`.
    let post_topic = atmodem::aliyun::property_post_topic(pk, dn).map_err(fail("topic"))?;
    let post =
        flow::property_post_json(1, r#"{"Temp":23.9,"LightStatus":1}"#).map_err(fail("post"))?;
    c.mqtt_publish(mqtt, &post_topic, post.as_bytes(), 1, false)
        .await
        .map_err(fail("post"))?;
    let seen = Platform::next_uplink(&mut uplink, &post_topic, Duration::from_secs(5))
        .await
        .ok_or("the platform did not see the property post")?;
    results.push(("platform saw", text(&seen.payload)));
    let reply = c
        .mqtt_next_message(mqtt, 5_000)
        .await
        .map_err(fail("post reply"))?;
    results.push(("device got", text(reply.payload)));

    // A property set pushed by the platform; the device answers it with its id.
    let id = p.set_properties(pk, dn, r#"{"LightStatus":0}"#);
    let set = c
        .mqtt_next_message(mqtt, 5_000)
        .await
        .map_err(fail("property set"))?;
    results.push(("device got", text(set.payload)));
    let set: serde_json::Value = serde_json::from_slice(set.payload).map_err(fail("set JSON"))?;
    let set_id = set["id"].as_str().unwrap_or(&id).to_string();
    let answer = format!(r#"{{"id":"{set_id}","code":200,"data":{{}},"version":"1.0"}}"#);
    let set_reply = format!("{set_topic}_reply");
    c.mqtt_publish(mqtt, &set_reply, answer.as_bytes(), 0, false)
        .await
        .map_err(fail("set reply"))?;
    let seen = Platform::next_uplink(&mut uplink, &set_reply, Duration::from_secs(5))
        .await
        .ok_or("the platform did not see the set reply")?;
    results.push(("platform saw", text(&seen.payload)));

    // An OTA upgrade: the platform pushes a firmware; the device fetches it in ranges over
    // the module's HTTP, checks its MD5 and reports progress, 100 once the digest matched.
    let dev = atmodem::aliyun::thing::Device::new(pk, dn).map_err(fail("device"))?;
    let ota_topic = format!("/ota/device/upgrade/{pk}/{dn}");
    c.mqtt_subscribe(mqtt, &ota_topic, 0)
        .await
        .map_err(fail("subscribe"))?;
    c.bearer_up(&BearerConfig::default())
        .await
        .map_err(fail("bearer"))?;
    // Text, so that the printed exchange stays readable; any bytes would do.
    let image: Vec<u8> = (0..80)
        .flat_map(|i| format!("atmodem firmware 1.0.1, block {i:02}\n").into_bytes())
        .collect();
    p.push_firmware(pk, dn, "1.0.1", &image);
    let push = c
        .mqtt_next_message(mqtt, 5_000)
        .await
        .map_err(fail("upgrade push"))?
        .payload
        .to_vec();
    let firmware = ota::UpgradeNotice::parse(&push)
        .map_err(fail("upgrade push"))?
        .firmware;
    let mut flash = RamFlash(vec![0xff; 8 * 1024]);
    let mut download = ota::Download::start(&firmware, 1024, 3, &mut flash)
        .await
        .map_err(fail("OTA start"))?;
    let mut chunk = [0u8; 1024];
    let mut transfer = ota::Transfer {
        report_every: 50,
        ..ota::Transfer::new(mqtt)
    };
    ota::download(
        c,
        &dev,
        &firmware,
        &mut download,
        &mut flash,
        &mut chunk,
        &mut transfer,
    )
    .await
    .map_err(fail("OTA download"))?;
    if flash.0.get(..image.len()) != Some(&image[..]) {
        return Err("the flashed image differs from the offered one".into());
    }
    let progress = format!("/ota/device/progress/{pk}/{dn}");
    let mut last = None;
    while let Some(seen) =
        Platform::next_uplink(&mut uplink, &progress, Duration::from_millis(300)).await
    {
        last = Some(seen);
    }
    let last = last.ok_or("the platform saw no OTA progress")?;
    results.push(("platform saw", text(&last.payload)));
    c.mqtt_disconnect(mqtt).await.map_err(fail("disconnect"))?;
    Ok(results)
}

/// The device's firmware partition: RAM standing in for flash (erased to 0xFF).
struct RamFlash(Vec<u8>);

impl ota::FirmwareSink for RamFlash {
    type Error = &'static str;

    fn capacity(&self) -> u32 {
        self.0.len() as u32
    }

    async fn erase(&mut self, offset: u32, len: u32) -> Result<(), Self::Error> {
        let (a, b) = (offset as usize, (offset + len) as usize);
        self.0
            .get_mut(a..b)
            .ok_or("erase past the partition")?
            .fill(0xff);
        Ok(())
    }

    async fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), Self::Error> {
        let a = offset as usize;
        self.0
            .get_mut(a..a + bytes.len())
            .ok_or("write past the partition")?
            .copy_from_slice(bytes);
        Ok(())
    }

    async fn finish(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// The bench's test device (the Quectel note's) and the host its model reaches the local
/// platform by.
const BENCH_PK: &str = "i2uqc2dloOl";
const BENCH_DN: &str = "device001";
const BENCH_DS: &str = "c4fa40df9c8078073d75a26be2bc8f58";
const BENCH_HOST: &str = "iot-06z00hxss3rggno.mqtt.iothub.aliyuncs.com";

/// Run the device flow on the bench with the model of `dialect`: the printed legend,
/// exchange (blank lines left out) and results.
pub fn on_bench(dialect: &str) -> Result<String, String> {
    let family = match dialect {
        "quectel" => Family::Quectel,
        "luat" => Family::Luat,
        other => return Err(format!("unknown dialect {other}")),
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(async {
        let p = Platform::start().await.map_err(|e| e.to_string())?;
        let (io, _faults) = spawn_model(ModemConfig::new(family, p.host_map()));
        let io = Recorder::new(atmodem_sim::transport::uart(io));
        let (transcript, results) = match family {
            // Power-up sync, then echo off (the modules boot with echo on).
            Family::Luat => {
                let mut state: State = State::new();
                let mut c: Client<_, _, Luat> =
                    Client::new(io, atmodem::host::TokioDelay, &mut state);
                let r = match c.autobaud().await.and(c.send(&Echo(false)).await) {
                    Ok(()) => device_flow(&p, &mut c).await,
                    Err(e) => Err(format!("sync: {e:?}")),
                };
                (c.transport().transcript(), r)
            }
            _ => {
                let mut state: State = State::new();
                let mut c: Client<_, _, Quectel> =
                    Client::new(io, atmodem::host::TokioDelay, &mut state);
                let r = match c.autobaud().await.and(c.send(&Echo(false)).await) {
                    Ok(()) => device_flow(&p, &mut c).await,
                    Err(e) => Err(format!("sync: {e:?}")),
                };
                (c.transport().transcript(), r)
            }
        };
        let transcript: String = transcript
            .lines()
            .filter(|l| *l != "<<")
            .map(|l| format!("{l}\n"))
            .collect();
        let out = format!(
            "{LEGEND}{}",
            render("device", &transcript, &results.clone().unwrap_or_default())
        );
        match results {
            Ok(_) => Ok(out),
            Err(e) => Err(format!("{out}{e}")),
        }
    })
}

/// The supervisor on the bench: `atmodem::device::Device` brings the module up and keeps the
/// session; the bench drops the MQTT link, then reboots the module; the device reconnects by
/// itself each time, and a QoS 1 message published while it was offline reaches the platform
/// after the reconnect.
async fn supervised_flow<C>(
    p: &Platform,
    c: C,
    faults: &atmodem_sim::ModemHandle,
) -> (C, Result<Results, Fail>)
where
    C: atmodem::device::Supervised,
    C::Error: core::fmt::Debug,
{
    use atmodem::device::{Device, DeviceConfig, Event};
    use std::time::Duration;
    let (pk, dn, ds) = (BENCH_PK, BENCH_DN, BENCH_DS);
    let Ok(creds) = DeviceSecretLogin::new(pk, dn, ds)
        .secure_mode(atmodem::aliyun::SecureMode::Tcp)
        .build()
    else {
        return (c, Err("credentials".into()));
    };
    let get = format!("/{pk}/{dn}/user/get");
    let update = format!("/{pk}/{dn}/user/update");
    let subs = [(get.as_str(), 1)];
    let session = MqttSession::new(BENCH_HOST, 1883, login_of(&creds));
    let config = DeviceConfig {
        idle_ms: 2_000,
        ..DeviceConfig::new(BearerConfig::default(), session, &subs)
    };
    let mut dev: Device<_, _> = Device::new(c, TokioDelay, config);
    let mut results = Results::new();
    let mut uplink = p.uplink();
    // Events until `stop` says so, within 10 s.
    async fn until<C: atmodem::device::Supervised>(
        dev: &mut Device<'_, C, TokioDelay>,
        results: &mut Results,
        stop: impl Fn(&Event<'_>) -> bool,
    ) -> bool {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::time::Instant::now() < deadline {
            let e = dev.next_event().await;
            let done = stop(&e);
            if !matches!(e, Event::Idle) {
                results.push(("event", format!("{e:?}")));
            }
            if done {
                return true;
            }
        }
        false
    }
    let step = async {
        if !until(&mut dev, &mut results, |e| *e == Event::Connected).await {
            return Err("no connection".to_string());
        }
        for (fault, name) in [
            (0, "the broker drops the MQTT link"),
            (1, "the module reboots"),
        ] {
            results.push(("fault", name.to_string()));
            if fault == 0 {
                faults.drop_mqtt(0, 2);
            } else {
                faults.reboot();
            }
            if !until(&mut dev, &mut results, |e| {
                matches!(e, Event::Disconnected(_) | Event::Rebooted)
            })
            .await
            {
                return Err(format!("{name}: not seen"));
            }
            let body = format!("sent while offline ({name})");
            let sent = dev.publish(&update, body.as_bytes(), 1).await;
            results.push(("device publishes at QoS 1", format!("{sent:?}")));
            if !until(&mut dev, &mut results, |e| *e == Event::Connected).await {
                return Err(format!("{name}: no reconnection"));
            }
            let seen = Platform::next_uplink(&mut uplink, &update, Duration::from_secs(5))
                .await
                .ok_or("the queued message did not arrive")?;
            results.push(("platform saw", text(&seen.payload)));
        }
        let stats = dev.stats();
        results.push(("reconnects", stats.reconnects.to_string()));
        Ok(())
    };
    let r = step.await;
    (dev.release(), r.map(|()| results))
}

/// Run the supervised flow on the bench with the model of `dialect`.
pub fn supervised_on_bench(dialect: &str) -> Result<String, String> {
    let family = match dialect {
        "quectel" => Family::Quectel,
        "luat" => Family::Luat,
        other => return Err(format!("unknown dialect {other}")),
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(async {
        let p = Platform::start().await.map_err(|e| e.to_string())?;
        let (io, faults) = spawn_model(ModemConfig::new(family, p.host_map()));
        let io = Recorder::new(atmodem_sim::transport::uart(io));
        let (transcript, results) = if family == Family::Luat {
            let mut state: State = State::new();
            let c: Client<_, _, Luat> = Client::new(io, TokioDelay, &mut state);
            let (c, r) = supervised_flow(&p, c, &faults).await;
            (c.transport().transcript(), r)
        } else {
            let mut state: State = State::new();
            let c: Client<_, _, Quectel> = Client::new(io, TokioDelay, &mut state);
            let (c, r) = supervised_flow(&p, c, &faults).await;
            (c.transport().transcript(), r)
        };
        let transcript: String = transcript
            .lines()
            .filter(|l| *l != "<<")
            .map(|l| format!("{l}\n"))
            .collect();
        let out = format!(
            "{LEGEND}{}",
            render(
                "supervised",
                &transcript,
                &results.clone().unwrap_or_default()
            )
        );
        match results {
            Ok(_) => Ok(out),
            Err(e) => Err(format!("{out}{e}")),
        }
    })
}

/// Command-line options.
#[derive(Default)]
struct Options {
    flow: Option<String>,
    scripted: bool,
    port: Option<String>,
    baud: u32,
    dialect: Option<String>,
    device: Device,
}

const USAGE: &str =
    "usage: quickstart [--dialect quectel|luat]     the device flow on the test bench
       quickstart --scripted | --flow <name>      the notes' flows on the scripted modem
       quickstart --port <serial device> --dialect quectel|luat [--flow <name>] [--baud <n>]
                  --product-key <pk> --device-name <dn> [--device-secret <ds>]
                  [--product-secret <ps>] [--random <r>] [--client-id <id>]
                  [--timestamp <ms>] [--instance-id <iot-...>] [--region <id>] [--apn <apn>]

flows:
  device                          the bench (the default): login, subscribe, a property post
                                  answered, a property set pushed down and its set_reply,
                                  an OTA upgrade fetched in ranges, verified and reported
  supervised                      the bench: atmodem::device::Device keeps the session through
                                  an MQTT link drop and a module reboot
  luat                            Luat application note: HTTPS registration, device auth,
                                  MQTT login over TLS, subscribe, publish
  quectel-device-secret-aliauth   Quectel note 4.1.1: the module signs (AT+QMTCFG=\"aliauth\")
  quectel-device-secret-password  Quectel note 4.1.2: explicit clientId, username, password
  quectel-mqtt-register           Quectel note 4.2.1: MQTT registration (authType=register)
  quectel-mqtt-regnwl             Quectel note 4.2.2: registration-free (authType=regnwl)
  quectel-https-register          Quectel note: HTTPS dynamic registration

transcript lines:
  >> X     the host wrote X and a CR
  >>| \"..\" the host wrote exactly these bytes (data after a prompt)
  << X     the modem wrote X and CRLF
  <<| \"..\" the modem wrote exactly these bytes (echoes, prompts, payloads with CR/LF)";

fn parse(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        baud: 115_200,
        device: Device {
            region: "cn-shanghai".into(),
            random: "123".into(),
            ..Device::default()
        },
        ..Options::default()
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || it.next().cloned().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--flow" => o.flow = Some(value()?),
            "--scripted" => o.scripted = true,
            "--port" => o.port = Some(value()?),
            "--baud" => o.baud = value()?.parse().map_err(|_| "--baud takes a number")?,
            "--dialect" => o.dialect = Some(value()?),
            "--product-key" => o.device.product_key = value()?,
            "--device-name" => o.device.device_name = value()?,
            "--device-secret" => o.device.device_secret = value()?,
            "--product-secret" => o.device.product_secret = value()?,
            "--random" => o.device.random = value()?,
            "--client-id" => o.device.client_id = value()?,
            "--timestamp" => o.device.timestamp = value()?,
            "--instance-id" => o.device.instance_id = value()?,
            "--region" => o.device.region = value()?,
            "--apn" => o.device.apn = value()?,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if let Some(f) = &o.flow
        && f != "device"
        && f != "supervised"
        && !FLOWS.iter().any(|(name, _)| name == f)
    {
        return Err(format!("no flow named {f}"));
    }
    Ok(o)
}

/// Run the quickstart with command-line `args` on the real module of `--port`: the printed
/// exchange and results, or why it stopped (with what was exchanged until then).
pub fn run_on_port(args: &[String]) -> Result<String, String> {
    let o = parse(args)?;
    let port = o.port.clone().ok_or("no --port")?;
    real(&o, &port)
}

/// The flows on a real module behind a serial port.
fn real(o: &Options, port: &str) -> Result<String, String> {
    use tokio_serial::SerialPortBuilderExt;
    let dialect = o
        .dialect
        .as_deref()
        .ok_or("--port needs --dialect quectel|luat")?;
    let flow = match (dialect, o.flow.as_deref()) {
        ("luat", None | Some("luat")) => "luat",
        ("luat", Some(f)) => return Err(format!("flow {f} is a Quectel flow")),
        ("quectel", None) => "quectel-device-secret-aliauth",
        ("quectel", Some("luat")) => return Err("flow luat is the Luat flow".into()),
        ("quectel", Some(f)) => FLOWS
            .iter()
            .map(|(n, _)| *n)
            .find(|n| *n == f)
            .ok_or(format!("no flow named {f}"))?,
        (other, _) => return Err(format!("unknown dialect {other}")),
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(async {
        let serial = tokio_serial::new(port, o.baud)
            .open_native_async()
            .map_err(|e| format!("{port}: {e}"))?;
        let io = Recorder::new(embedded_io_adapters::tokio_1::FromTokio::new(serial));
        let d = &o.device;
        let (transcript, results) = if dialect == "luat" {
            let mut state: State = State::new();
            let mut c: Client<_, _, Luat> = Client::new(io, TokioDelay, &mut state);
            let r = luat(&mut c, d).await;
            (c.transport().transcript(), r)
        } else {
            let mut state: State = State::new();
            let mut c: Client<_, _, Quectel> = Client::new(io, TokioDelay, &mut state);
            let r = match flow {
                "quectel-device-secret-password" => quectel_device_secret_password(&mut c, d).await,
                "quectel-mqtt-register" => quectel_mqtt_register(&mut c, d).await,
                "quectel-mqtt-regnwl" => quectel_mqtt_regnwl(&mut c, d).await,
                "quectel-https-register" => quectel_https_register(&mut c, d).await,
                _ => quectel_device_secret_aliauth(&mut c, d).await,
            };
            (c.transport().transcript(), r)
        };
        let out = render(flow, &transcript, &results.clone().unwrap_or_default());
        match results {
            Ok(_) => Ok(out),
            Err(e) => Err(format!("{out}{e}")),
        }
    })
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "-h" || a == "--help") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let o = match parse(&args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("quickstart: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    if let Some(port) = &o.port {
        return match real(&o, port) {
            Ok(out) => {
                print!("{out}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("quickstart: {e}");
                ExitCode::from(1)
            }
        };
    }
    if !o.scripted && o.flow.as_deref() == Some("supervised") {
        return match supervised_on_bench(o.dialect.as_deref().unwrap_or("quectel")) {
            Ok(out) => {
                print!("{out}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("quickstart: {e}");
                ExitCode::from(1)
            }
        };
    }
    if !o.scripted && o.flow.as_deref().is_none_or(|f| f == "device") {
        return match on_bench(o.dialect.as_deref().unwrap_or("quectel")) {
            Ok(out) => {
                print!("{out}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("quickstart: {e}");
                ExitCode::from(1)
            }
        };
    }
    let mut first = true;
    for (name, script) in FLOWS {
        if o.flow.as_deref().is_some_and(|f| f != name) {
            continue;
        }
        match simulate(name, script, &seed(name), &[]) {
            Ok((transcript, results)) => {
                if !first {
                    println!();
                }
                first = false;
                print!("{}", render(name, &transcript, &results));
            }
            Err(e) => {
                eprintln!("quickstart: flow {name}: {e}");
                return ExitCode::from(1);
            }
        }
    }
    ExitCode::SUCCESS
}
