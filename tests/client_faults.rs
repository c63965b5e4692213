//! Faults: timeouts, errors in the middle of a flow, reboots, links closing while idle and
//! while publishing, Luat's late `ERROR`, PDP loss, URC storms, acknowledgements that never
//! come and transports that break. After each, the client must stay usable.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use atmodem::client::{Awaited, Client, Error, ExtendedError, Mqtt, MqttLogin, MqttSession, State};
use atmodem::dialects::ActionError;
use atmodem::dialects::common::Csq;
use atmodem::dialects::luat::{Luat, MqttStatu};
use atmodem::dialects::quectel::{QmtOpen, Quectel};
use atmodem::sim::{InstantDelay, SimError, SimModem};
use embassy_futures::block_on;

type Q<'s> = Client<'s, SimModem, InstantDelay, Quectel>;
type L<'s> = Client<'s, SimModem, InstantDelay, Luat>;

fn q(script: &str) -> Q<'static> {
    let state: &mut State<256, 256, 256> = Box::leak(Box::new(State::new()));
    Client::new(SimModem::new(script).unwrap(), InstantDelay, state)
}

fn l(script: &str) -> L<'static> {
    let state: &mut State<256, 256, 256> = Box::leak(Box::new(State::new()));
    Client::new(SimModem::new(script).unwrap(), InstantDelay, state)
}

fn done<D>(c: &Client<'_, SimModem, InstantDelay, D>) {
    assert!(
        c.transport().is_done(),
        "script left:\n{}",
        c.transport().remaining()
    );
}

const CONNECTED: &str = r#">> AT+QMTOPEN=0,"h",1883
<< OK
<< +QMTOPEN: 0,0
>> AT+QMTCONN=0,"dev"
<< OK
<< +QMTCONN: 0,0,0
"#;

fn session() -> MqttSession<'static> {
    MqttSession::new("h", 1883, MqttLogin::ClientId("dev"))
}

fn connect(c: &mut Q) {
    block_on(c.mqtt_open(&session())).unwrap();
    block_on(c.mqtt_connect(&session())).unwrap();
}

#[test]
fn result_timeout_then_a_working_command() {
    // The `+QMTOPEN` result never comes: a timeout, and no resync is needed after it (the
    // command itself completed); the next command goes straight out.
    let mut c = q(">> AT+QMTOPEN=0,\"h\",1883\n<< OK\n>> AT+CSQ\n<< +CSQ: 9,99\n<< OK\n");
    assert_eq!(
        block_on(c.run(&QmtOpen {
            client: 0,
            host: "h",
            port: 1883
        })),
        Err(Error::Timeout(Awaited::Result("+QMTOPEN")))
    );
    assert_eq!(block_on(c.send(&Csq)).unwrap().rssi, 9);
    assert_eq!(c.stats().resyncs, 0);
    done(&c);
}

#[test]
fn command_timeout_then_resync_then_a_working_command() {
    // No answer at all to AT+CSQ: the next call first sends a marker command.
    let mut c = q(">> AT+CSQ\n>> AT+CMEE?\n<< +CMEE: 1\n<< OK\n>> AT+CSQ\n<< +CSQ: 12,99\n<< OK\n");
    assert_eq!(
        block_on(c.send(&Csq)).unwrap_err(),
        Error::Timeout(Awaited::Answer("+CSQ"))
    );
    assert_eq!(block_on(c.send(&Csq)).unwrap().rssi, 12);
    assert_eq!(c.stats().resyncs, 1);
    done(&c);
}

#[test]
fn cme_error_in_the_middle_of_a_flow() {
    let script = r#">> AT+QMTCFG="version",0,4
<< OK
>> AT+QMTCFG="recv/mode",0,0,1
<< OK
>> AT+QMTCFG="ssl",0,1,9
<< +CME ERROR: 50
>> AT+CSQ
<< +CSQ: 20,99
<< OK
"#;
    let mut c = q(script);
    let s = MqttSession {
        tls: Some(9),
        ..session()
    };
    assert_eq!(
        block_on(c.mqtt_start(&s)),
        Err(Error::Cme {
            command: "+QMTCFG",
            code: ExtendedError::numeric(50)
        })
    );
    assert_eq!(block_on(c.send(&Csq)).unwrap().rssi, 20);
    done(&c);
}

#[test]
fn rdy_in_the_middle_of_a_publish_ends_it_and_later_calls_fail_fast() {
    let script = format!(
        "{CONNECTED}>> AT+QMTPUBEX=0,1,1,0,\"t\",2\n<<| \"\\r\\n> \"\n>>| \"hi\"\n<< OK\n<< RDY\n"
    );
    let mut c = q(&script);
    connect(&mut c);
    // The reboot ends the wait for the publish's result with its own error...
    assert_eq!(
        block_on(c.mqtt_publish(c.mqtt_session(0), "t", b"hi", 1, false)),
        Err(Error::Rebooted)
    );
    assert!(c.links().rebooted);
    // Nothing is sent: the script has nothing more, so a write would be a mismatch.
    assert_eq!(
        block_on(c.mqtt_publish(c.mqtt_session(0), "t", b"hi", 1, false)),
        Err(Error::SessionDown)
    );
    done(&c);
}

#[test]
fn qmtstat_while_idle_fails_the_next_publish_fast() {
    let script = format!("{CONNECTED}<< +QMTSTAT: 0,1\n");
    let mut c = q(&script);
    connect(&mut c);
    // The handle names the session that `+QMTSTAT` (read before anything is written) ended.
    assert_eq!(
        block_on(c.mqtt_publish(c.mqtt_session(0), "t", b"x", 0, false)),
        Err(Error::StaleSession { index: 0 })
    );
    assert!(c.links().mqtt_is_down(0));
    // A handle taken now, while the index is down: the session is down.
    assert_eq!(
        block_on(c.mqtt_publish(c.mqtt_session(0), "t", b"x", 0, false)),
        Err(Error::SessionDown)
    );
    done(&c);
    // Reconnecting brings it back.
    let mut c = q(&format!("{CONNECTED}<< +QMTSTAT: 0,1\n{CONNECTED}"));
    connect(&mut c);
    assert!(block_on(c.mqtt_subscribe(c.mqtt_session(0), "t", 0)).is_err());
    connect(&mut c);
    assert!(!c.links().mqtt_is_down(0));
    done(&c);
}

#[test]
fn qmtstat_while_publishing_is_a_closed_link() {
    let script = format!(
        "{CONNECTED}>> AT+QMTPUBEX=0,1,1,0,\"t\",2\n<<| \"\\r\\n> \"\n>>| \"hi\"\n<< OK\n<< +QMTSTAT: 0,2\n"
    );
    let mut c = q(&script);
    connect(&mut c);
    assert_eq!(
        block_on(c.mqtt_publish(c.mqtt_session(0), "t", b"hi", 1, false)),
        Err(Error::Action(ActionError::Closed(2)))
    );
    assert!(c.links().mqtt_is_down(0));
    done(&c);
}

#[test]
fn a_bare_error_after_mconnect_ok_fails_the_connect_not_the_next_command() {
    let script =
        ">> AT+MCONNECT=1,120\n<< OK\n<< ERROR\n>> AT+MQTTSTATU\n<< +MQTTSTATU :2\n<< OK\n";
    let mut c = l(script);
    assert_eq!(
        block_on(c.mqtt_connect(&session())),
        Err(Error::Action(ActionError::Failed {
            command: "+MCONNECT",
            code: -1
        }))
    );
    assert_eq!(block_on(c.send(&MqttStatu)).unwrap(), 2);
    done(&c);
}

#[test]
fn pdp_deactivation_marks_the_bearer_and_every_session_down() {
    let script = format!("{CONNECTED}<< +QIURC: \"pdpdeact\",1\n");
    let mut c = q(&script);
    connect(&mut c);
    assert_eq!(
        block_on(c.mqtt_publish(c.mqtt_session(0), "t", b"x", 0, false)),
        Err(Error::StaleSession { index: 0 })
    );
    assert!(c.links().bearer_is_down(1));
    done(&c);
    // Luat: `+PDP DEACT` takes every bearer.
    let mut c = l(">> AT+CSQ\n<< +PDP DEACT\n<< +CSQ: 9,99\n<< OK\n");
    block_on(c.send(&Csq)).unwrap();
    assert!(c.links().bearer_is_down(1) && c.links().bearer_is_down(3));
    assert!(c.links().mqtt_is_down(0));
}

#[test]
fn a_message_storm_during_a_command_loses_nothing() {
    // 60 messages of ~30 bytes while one command is in flight; the 256-byte queue holds 6.
    // Messages of a live session are never dropped: the client stops reading, the command
    // ends with `QueueFull`, every message is then delivered in order, and the next command
    // resynchronises first (the late `+CSQ: 1,99` / `OK` are counted, not taken).
    let mut script = String::from(">> AT+CSQ\n");
    for i in 0..60 {
        script.push_str(&format!("<< +QMTRECV: 0,0,\"t\",3,\"{i:03}\"\n"));
    }
    script.push_str(
        "<< +CSQ: 1,99\n<< OK\n>> AT+CMEE?\n<< +CMEE: 1\n<< OK\n>> AT+CSQ\n<< +CSQ: 2,99\n<< OK\n",
    );
    let mut c = q(&script);
    assert_eq!(block_on(c.send(&Csq)).unwrap_err(), Error::QueueFull);
    for i in 0..60 {
        let m = block_on(c.mqtt_next_message(c.mqtt_session(0), 100)).unwrap();
        assert_eq!(m.payload, format!("{i:03}").as_bytes());
    }
    assert_eq!(c.stats().urcs_dropped, 0);
    assert_eq!(block_on(c.send(&Csq)).unwrap().rssi, 2);
    done(&c);
}

#[test]
fn a_puback_that_never_comes_times_out_and_the_client_goes_on() {
    let script = ">> AT+MPUB=\"t\",1,0,\"x\"\n<< OK\n>> AT+MQTTSTATU\n<< +MQTTSTATU :1\n<< OK\n";
    let mut c = l(script);
    assert_eq!(
        block_on(c.mqtt_publish(c.mqtt_session(0), "t", b"x", 1, false)),
        Err(Error::Timeout(Awaited::Result("+MPUB")))
    );
    assert_eq!(block_on(c.send(&MqttStatu)).unwrap(), 1);
    assert_eq!(c.stats().resyncs, 0);
    done(&c);
}

#[test]
fn a_transport_that_breaks_after_n_bytes() {
    for n in [0, 5, 17, 40, 60] {
        let sim = SimModem::new(CONNECTED).unwrap().fail_after(n);
        let mut state: State<256, 256, 256> = State::new();
        let mut c: Q = Client::new(sim, InstantDelay, &mut state);
        let r = block_on(async {
            c.mqtt_open(&session()).await?;
            c.mqtt_connect(&session()).await
        });
        assert!(
            matches!(r, Err(Error::Transport(SimError::Broken))),
            "after {n} bytes: {r:?}"
        );
        // Still answers (with the same error), never hangs or panics.
        assert!(block_on(c.send(&Csq)).is_err());
    }
}

#[test]
fn connect_ok_without_its_line_end_is_taken_after_a_pause() {
    // Luat firmware V1121 sent `CONNECT OK` with no CRLF.
    let script = ">> AT+MIPSTART=\"h\",1883\n<< OK\n<<| \"\\r\\nCONNECT OK\"\n";
    let mut c = l(script);
    block_on(c.mqtt_open(&session())).unwrap();
    assert_eq!(c.stats().flushed_partials, 1);
    done(&c);
}

#[test]
fn garbled_reply_then_the_next_command_works() {
    // A reply with garbage and a broken line in the middle: the command still ends on its
    // final code and the next one works.
    let script = ">> AT+CSQ\n<<| \"\\r\\n\\u0000\\u00ff+CSQ: 3,9\\r\\n\\r\\n+CS\\rQ\\r\\n\\r\\nOK\\r\\n\"\n>> AT+CSQ\n<< +CSQ: 4,99\n<< OK\n";
    let mut c = q(script);
    assert_eq!(block_on(c.send(&Csq)).unwrap().rssi, 3);
    assert_eq!(block_on(c.send(&Csq)).unwrap().rssi, 4);
    assert!(c.stats().garbage > 0);
    done(&c);
}

#[test]
fn a_module_left_in_numeric_mode_is_brought_back_to_verbose() {
    // After `ATV0` the module answers `0\r` (OK) with no line feed: no verbose result code.
    // The resynchronisation's markers are answered in numeric form too; its last try sends
    // `ATV1` first, and its marker is answered in verbose form again.
    let script = ">> AT+CSQ\n<<| \"0\\r\"\n>> AT+CMEE?\n<<| \"+CMEE: 1\\r\\n0\\r\"\n>> AT+CSCS?\n<<| \"+CSCS: \\\"GSM\\\"\\r\\n0\\r\"\n>> ATV1\n<< OK\n>> AT+CMGF?\n<< +CMGF: 0\n<< OK\n>> AT+CSQ\n<< +CSQ: 7,99\n<< OK\n";
    let mut c = q(script);
    assert_eq!(
        block_on(c.send(&Csq)).unwrap_err(),
        Error::Timeout(Awaited::Answer("+CSQ"))
    );
    assert_eq!(block_on(c.send(&Csq)).unwrap().rssi, 7);
    done(&c);
}
