//! A login whose client id declares a TLS `securemode` is never sent over a plain link, in
//! either family, whichever step is called first. Aliyun's client id form
//! (`<id>|securemode=<n>,...|`) and the meaning of its values (2 and -2: TLS, 3: TCP) are
//! the platform's documented ones; the scripts are the modules' manual exchanges.
#![allow(clippy::unwrap_used, clippy::panic)]

use atmodem::client::{Client, Error, Mqtt, MqttLogin, MqttSession, State};
use atmodem::device::{Device, DeviceConfig, Event, StopReason};
use atmodem::dialects::luat::Luat;
use atmodem::dialects::quectel::Quectel;
use atmodem::sim::{InstantDelay, SimModem};
use embassy_futures::block_on;

const TLS_ID: &str = "i2uqc2dloOl.device001|securemode=2,signmethod=hmacsha256,timestamp=1|";
const TLS_INSTANCE_ID: &str = "IXywJDukE7AKz0sfbvmZ000100|securemode=-2,authType=connwl|";
const TCP_ID: &str = "i2uqc2dloOl.device001|securemode=3,signmethod=hmacsha1,timestamp=1|";

fn password(client_id: &str) -> MqttLogin<'_> {
    MqttLogin::Password {
        client_id,
        username: "device001&i2uqc2dloOl",
        password: "p",
    }
}

/// Every pairing the platform's `securemode` values forbid.
fn mismatches() -> [MqttSession<'static>; 4] {
    [
        MqttSession::new("h", 1883, password(TLS_ID)),
        MqttSession::new("h", 1883, password(TLS_INSTANCE_ID)),
        MqttSession {
            tls: Some(0),
            ..MqttSession::new("h", 8883, password(TCP_ID))
        },
        MqttSession {
            tls: Some(0),
            ..MqttSession::new("h", 8883, password("d|securemode=3,securemode=2|"))
        },
    ]
}

/// Each step on its own, and the whole start: refused, and nothing written (the simulated
/// modem has no script, so any byte written would fail the call with a transport error).
fn refused_before_anything_is_sent<D: atmodem::codec::Dialect>()
where
    for<'a> Client<'a, SimModem, InstantDelay, D>: Mqtt<Error = Error<atmodem::sim::SimError>>,
{
    for s in mismatches() {
        for step in 0..4 {
            let mut state: State = State::new();
            let mut c: Client<_, _, D> =
                Client::new(SimModem::new("").unwrap(), InstantDelay, &mut state);
            let r = block_on(async {
                match step {
                    0 => c.mqtt_configure(&s).await,
                    1 => c.mqtt_open(&s).await,
                    2 => c.mqtt_connect(&s).await.map(|_| ()),
                    _ => c.mqtt_start(&s).await.map(|_| ()),
                }
            });
            assert_eq!(
                r,
                Err(Error::TransportMismatch),
                "{:?} step {step}",
                s.login
            );
            assert_eq!(c.transport().transcript(), "", "{:?} step {step}", s.login);
        }
    }
}

#[test]
fn quectel_refuses_a_tls_login_over_a_plain_link() {
    refused_before_anything_is_sent::<Quectel>();
}

#[test]
fn luat_refuses_a_tls_login_over_a_plain_link() {
    refused_before_anything_is_sent::<Luat>();
}

#[test]
fn matching_and_undeclared_transports_are_sent() {
    // securemode=2 with SSL context 1: the Quectel MQTT note's SSL form.
    let script = format!(
        ">> AT+QMTCFG=\"version\",0,4\n<< OK\n>> AT+QMTCFG=\"recv/mode\",0,0,1\n<< OK\n>> AT+QMTCFG=\"ssl\",0,1,1\n<< OK\n>> AT+QMTOPEN=0,\"h\",8883\n<< OK\n<< +QMTOPEN: 0,0\n>> AT+QMTCONN=0,\"{TLS_ID}\",\"device001&i2uqc2dloOl\",\"p\"\n<< OK\n<< +QMTCONN: 0,0,0\n"
    );
    let mut state: State = State::new();
    let mut c: Client<_, _, Quectel> =
        Client::new(SimModem::new(&script).unwrap(), InstantDelay, &mut state);
    let s = MqttSession {
        tls: Some(1),
        ..MqttSession::new("h", 8883, password(TLS_ID))
    };
    block_on(c.mqtt_start(&s)).unwrap();
    assert!(c.transport().is_done(), "{}", c.transport().remaining());

    // A client id that declares nothing goes over either transport (the Luat manual:
    // `AT+MCONFIG=<clientid>[,<username>,<password>]`).
    let script = ">> AT+MCONFIG=\"dev-1\"\n<< OK\n";
    let mut state: State = State::new();
    let mut c: Client<_, _, Luat> =
        Client::new(SimModem::new(script).unwrap(), InstantDelay, &mut state);
    block_on(c.mqtt_configure(&MqttSession::new("h", 1883, MqttLogin::ClientId("dev-1")))).unwrap();
    assert!(c.transport().is_done(), "{}", c.transport().remaining());
}

#[test]
fn the_opt_out_reproduces_the_quectel_notes_plain_login() {
    // The Quectel Aliyun note's 4.1.2 exchange: securemode=2, port 1883, no "ssl" setting.
    let script = format!(
        ">> AT+QMTCFG=\"version\",0,4\n<< OK\n>> AT+QMTCFG=\"recv/mode\",0,0,1\n<< OK\n>> AT+QMTOPEN=0,\"h\",1883\n<< OK\n<< +QMTOPEN: 0,0\n>> AT+QMTCONN=0,\"{TLS_ID}\",\"device001&i2uqc2dloOl\",\"p\"\n<< OK\n<< +QMTCONN: 0,0,0\n"
    );
    let mut state: State = State::new();
    let mut c: Client<_, _, Quectel> =
        Client::new(SimModem::new(&script).unwrap(), InstantDelay, &mut state);
    let s = MqttSession {
        unchecked_transport: true,
        ..MqttSession::new("h", 1883, password(TLS_ID))
    };
    block_on(c.mqtt_start(&s)).unwrap();
    assert!(c.transport().is_done(), "{}", c.transport().remaining());
}

#[test]
fn the_supervisor_stops_on_a_mismatch_without_touching_the_module() {
    for s in mismatches() {
        let mut state: State = State::new();
        let client: Client<_, _, Quectel> =
            Client::new(SimModem::new("").unwrap(), InstantDelay, &mut state);
        let cfg = DeviceConfig::new(Default::default(), s, &[]);
        let mut dev: Device<_, _> = Device::new(client, InstantDelay, cfg);
        for _ in 0..2 {
            assert_eq!(
                block_on(dev.next_event()),
                Event::Stopped(StopReason::TransportMismatch)
            );
        }
    }
}
