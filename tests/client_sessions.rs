//! Session handles: a handle from a session that has since gone down (`+QMTSTAT`, Luat
//! `CLOSED`, a module reboot, a disconnect) is refused with `Error::StaleSession` and writes
//! nothing, while the handle of the session started after it works. The scripts are the
//! manuals' exchanges (Quectel MQTT Application Note, `AT+QMTCFG` / `AT+QMTOPEN` /
//! `AT+QMTCONN` / `AT+QMTPUBEX`; Luat AT manual, `AT+MCONFIG` / `AT+MIPSTART` /
//! `AT+MCONNECT` / `AT+MPUB`); the simulated modem fails on any byte the script does not
//! expect, so "writes nothing" is checked on the wire.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use atmodem::client::{Client, Error, Mqtt, MqttLogin, MqttSession, Session, State};
use atmodem::dialects::luat::Luat;
use atmodem::dialects::quectel::Quectel;
use atmodem::sim::{InstantDelay, SimModem};
use embassy_futures::block_on;

/// Configure, open and connect MQTT client 0 (what `mqtt_start` sends).
const Q_START: &str = r#">> AT+QMTCFG="version",0,4
<< OK
>> AT+QMTCFG="recv/mode",0,0,1
<< OK
>> AT+QMTOPEN=0,"h",1883
<< OK
<< +QMTOPEN: 0,0
>> AT+QMTCONN=0,"dev-1"
<< OK
<< +QMTCONN: 0,0,0
"#;

/// A QoS 0 publish of `hi` on `t/x` by client 0.
const Q_PUBLISH: &str = r#">> AT+QMTPUBEX=0,0,0,0,"t/x",2
<<| "\r\n> "
>>| "hi"
<< OK
<< +QMTPUBEX: 0,0,0
"#;

fn session() -> MqttSession<'static> {
    MqttSession::new("h", 1883, MqttLogin::ClientId("dev-1"))
}

/// Every call that takes a handle refuses `stale` without writing (`wait_closed` returns
/// at once: the session it waits for has ended).
fn refused_everywhere<D>(c: &mut Client<'_, SimModem, InstantDelay, D>, stale: Session)
where
    for<'a> Client<'a, SimModem, InstantDelay, D>: Mqtt<Error = Error<atmodem::sim::SimError>>,
{
    let written = c.transport().transcript();
    let gone = Err(Error::StaleSession { index: 0 });
    assert_eq!(
        block_on(c.mqtt_publish(stale, "t/x", b"hi", 0, false)),
        gone
    );
    assert_eq!(
        block_on(c.mqtt_publish(stale, "t/x", b"hi", 1, false)),
        gone
    );
    assert_eq!(block_on(c.mqtt_subscribe(stale, "t/x", 1)), gone);
    assert_eq!(block_on(c.mqtt_unsubscribe(stale, "t/x")), gone);
    assert_eq!(block_on(c.mqtt_disconnect(stale)), gone);
    assert_eq!(block_on(c.mqtt_close(stale)), gone);
    assert_eq!(
        block_on(c.mqtt_next_message(stale, 1_000)).map(|_| ()),
        gone
    );
    assert_eq!(block_on(c.mqtt_wait_closed(stale, 1_000)), Ok(()));
    assert!(c.transport().mismatch().is_none());
    // Nothing crossed the wire but what the modem said.
    let now = c.transport().transcript();
    let host_lines = |t: &str| t.lines().filter(|l| l.starts_with(">>")).count();
    assert_eq!(host_lines(&now), host_lines(&written), "{now}");
}

#[test]
fn a_handle_is_stale_after_qmtstat_and_the_next_session_s_handle_works() {
    let script = [Q_START, Q_PUBLISH, Q_START, Q_PUBLISH].concat();
    let mut state: State = State::new();
    let mut c: Client<_, _, Quectel> =
        Client::new(SimModem::new(&script).unwrap(), InstantDelay, &mut state);
    let first = block_on(c.mqtt_start(&session())).unwrap();
    assert_eq!(first.index(), 0);
    block_on(c.mqtt_publish(first, "t/x", b"hi", 0, false)).unwrap();

    // The broker closes the link (Quectel: `+QMTSTAT: <idx>,<err_code>`, 1 = closed by peer).
    c.transport_mut().inject(b"\r\n+QMTSTAT: 0,1\r\n");
    refused_everywhere(&mut c, first);
    assert!(c.links().mqtt_is_down(0));

    // A new session on the same index: a new handle, which works; the old one stays refused.
    let second = block_on(c.mqtt_start(&session())).unwrap();
    assert_eq!(second.index(), 0);
    assert_ne!(second, first);
    assert_eq!(
        block_on(c.mqtt_publish(first, "t/x", b"hi", 0, false)),
        Err(Error::StaleSession { index: 0 })
    );
    block_on(c.mqtt_publish(second, "t/x", b"hi", 0, false)).unwrap();
    assert!(c.transport().is_done(), "{}", c.transport().remaining());
}

#[test]
fn a_handle_is_stale_after_a_reboot() {
    let script = [Q_START, Q_START, Q_PUBLISH].concat();
    let mut state: State = State::new();
    let mut c: Client<_, _, Quectel> =
        Client::new(SimModem::new(&script).unwrap(), InstantDelay, &mut state);
    let before = block_on(c.mqtt_start(&session())).unwrap();
    // The module restarts: `RDY` (Quectel's power-on URC) ends every session.
    c.transport_mut().inject(b"\r\nRDY\r\n");
    refused_everywhere(&mut c, before);
    assert!(c.links().rebooted);
    // A handle taken on the rebooted index names a session that is down: nothing is sent.
    let adopted = c.mqtt_session(0);
    assert_eq!(
        block_on(c.mqtt_publish(adopted, "t/x", b"hi", 0, false)),
        Err(Error::SessionDown)
    );
    let after = block_on(c.mqtt_start(&session())).unwrap();
    block_on(c.mqtt_publish(after, "t/x", b"hi", 0, false)).unwrap();
    assert_eq!(
        block_on(c.mqtt_subscribe(before, "t/x", 1)),
        Err(Error::StaleSession { index: 0 })
    );
    assert!(c.transport().is_done(), "{}", c.transport().remaining());
}

#[test]
fn a_handle_is_stale_after_a_bearer_loss() {
    let script = [Q_START, Q_START, Q_PUBLISH].concat();
    let mut state: State = State::new();
    let mut c: Client<_, _, Quectel> =
        Client::new(SimModem::new(&script).unwrap(), InstantDelay, &mut state);
    let before = block_on(c.mqtt_start(&session())).unwrap();
    // Quectel TCP/IP manual: `+QIURC: "pdpdeact",<contextID>` when the network deactivates
    // the context; every MQTT client rides on it.
    c.transport_mut().inject(b"\r\n+QIURC: \"pdpdeact\",1\r\n");
    refused_everywhere(&mut c, before);
    let after = block_on(c.mqtt_start(&session())).unwrap();
    block_on(c.mqtt_publish(after, "t/x", b"hi", 0, false)).unwrap();
    assert!(c.transport().is_done(), "{}", c.transport().remaining());
}

#[test]
fn messages_of_an_ended_session_are_still_handed_out_then_the_handle_is_stale() {
    let script = [Q_START, Q_START].concat();
    let mut state: State = State::new();
    let mut c: Client<_, _, Quectel> =
        Client::new(SimModem::new(&script).unwrap(), InstantDelay, &mut state);
    let first = block_on(c.mqtt_start(&session())).unwrap();
    // A message (`+QMTRECV: <idx>,<msgid>,"<topic>",<len>,"<payload>"`), then the close.
    c.transport_mut()
        .inject(b"\r\n+QMTRECV: 0,0,\"t/x\",2,\"ho\"\r\n\r\n+QMTSTAT: 0,1\r\n");
    let m = block_on(c.mqtt_next_message(first, 1_000)).unwrap();
    assert_eq!((m.topic, m.payload), ("t/x", &b"ho"[..]));
    assert_eq!(
        block_on(c.mqtt_next_message(first, 1_000)).map(|_| ()),
        Err(Error::StaleSession { index: 0 })
    );
    // A message of the ended session that was still queued when the next one started is no
    // longer handed to the old handle: the index belongs to the new session.
    c.transport_mut()
        .inject(b"\r\n+QMTRECV: 0,1,\"t/x\",2,\"hu\"\r\n");
    let second = block_on(c.mqtt_start(&session())).unwrap();
    assert_eq!(
        block_on(c.mqtt_next_message(first, 1_000)).map(|_| ()),
        Err(Error::StaleSession { index: 0 })
    );
    let m = block_on(c.mqtt_next_message(second, 1_000)).unwrap();
    assert_eq!(m.payload, b"hu");
    assert!(c.transport().is_done(), "{}", c.transport().remaining());
}

#[test]
fn a_disconnected_handle_is_stale_and_the_index_can_still_be_closed() {
    let script = format!(
        "{Q_START}>> AT+QMTDISC=0\n<< OK\n<< +QMTDISC: 0,0\n>> AT+QMTCLOSE=0\n<< OK\n<< +QMTCLOSE: 0,0\n"
    );
    let mut state: State = State::new();
    let mut c: Client<_, _, Quectel> =
        Client::new(SimModem::new(&script).unwrap(), InstantDelay, &mut state);
    let s = block_on(c.mqtt_start(&session())).unwrap();
    block_on(c.mqtt_disconnect(s)).unwrap();
    assert_eq!(
        block_on(c.mqtt_publish(s, "t/x", b"hi", 0, false)),
        Err(Error::StaleSession { index: 0 })
    );
    assert_eq!(
        block_on(c.mqtt_close(s)),
        Err(Error::StaleSession { index: 0 })
    );
    // Whatever index 0 holds now, by a handle taken for it.
    let link = c.mqtt_session(0);
    block_on(c.mqtt_close(link)).unwrap();
    assert!(c.transport().is_done(), "{}", c.transport().remaining());
}

#[test]
fn a_luat_handle_is_stale_after_closed() {
    let start = r#">> AT+MCONFIG="dev-1"
<< OK
>> AT+MIPSTART="h",1883
<< OK
<< CONNECT OK
>> AT+MCONNECT=1,120
<< OK
<< CONNACK OK
"#;
    let publish = ">> AT+MPUB=\"t/x\",0,0,\"hi\"\n<< OK\n";
    let script = [start, publish, start, publish].concat();
    let mut state: State = State::new();
    let mut c: Client<_, _, Luat> =
        Client::new(SimModem::new(&script).unwrap(), InstantDelay, &mut state);
    let first = block_on(c.mqtt_start(&session())).unwrap();
    block_on(c.mqtt_publish(first, "t/x", b"hi", 0, false)).unwrap();
    // The server closed the link: `CLOSED`.
    c.transport_mut().inject(b"\r\nCLOSED\r\n");
    refused_everywhere(&mut c, first);
    let second = block_on(c.mqtt_start(&session())).unwrap();
    block_on(c.mqtt_publish(second, "t/x", b"hi", 0, false)).unwrap();
    assert!(c.transport().is_done(), "{}", c.transport().remaining());
}
