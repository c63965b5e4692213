//! Golden transcripts: every Aliyun exchange of the two application notes, replayed.
//!
//! The simulated modem plays the modem side of `tests/transcripts/<flow>.txt` and checks every
//! byte the flow sends; the flow is the quickstart's, built on `atmodem::aliyun::flow`. Each
//! test asserts the typed results against the notes' values (written here by hand), for
//! several ways of cutting the modem's output into reads, and that what crossed the wire is
//! exactly the golden transcript.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

#[path = "../examples/quickstart.rs"]
#[allow(dead_code)]
mod quickstart;

use atmodem::transcript::{self, Event};

/// Host and modem byte streams of a transcript.
fn sides(text: &str) -> (Vec<u8>, Vec<u8>) {
    let (mut host, mut modem) = (Vec::new(), Vec::new());
    for ev in transcript::parse(text).unwrap() {
        match ev {
            Event::Command(b) | Event::HostData(b) => host.extend(b),
            Event::Modem(b) => modem.extend(b),
        }
    }
    (host, modem)
}

fn script(flow: &str) -> &'static str {
    quickstart::FLOWS
        .iter()
        .find(|(name, _)| *name == flow)
        .map(|(_, s)| *s)
        .unwrap()
}

/// Run `flow` with the notes' values for several read sizes; the results must be the same
/// each time and the recorded traffic must be the golden transcript's.
fn replay(flow: &str) -> Vec<(&'static str, String)> {
    let golden = script(flow);
    let mut first = None;
    for chunks in [&[][..], &[1], &[5, 3], &[64]] {
        let (recorded, results) =
            quickstart::simulate(flow, golden, &quickstart::seed(flow), chunks)
                .unwrap_or_else(|e| panic!("{flow} {chunks:?}: {e}"));
        assert_eq!(sides(&recorded), sides(golden), "{flow}: recorded traffic");
        match &first {
            None => first = Some(results),
            Some(r) => assert_eq!(&results, r, "{flow}: results depend on read sizes"),
        }
    }
    first.unwrap()
}

fn get<'a>(results: &'a [(&'static str, String)], name: &str) -> &'a str {
    results
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no result {name}"))
}

#[test]
fn luat_note_end_to_end() {
    let r = replay("luat");
    assert_eq!(get(&r, "firmware"), "409");
    // From `+HTTPREAD: 149` (the note's second step).
    assert_eq!(get(&r, "device_secret"), "mRMyB50qafv74A5FofvhxZ2h9iTL9wX7");
    // From `+HTTPREAD: 128` (the note's third step).
    assert_eq!(get(&r, "iot_id"), "PbUqGh2URAJ1AtNyyd7X00107ceb00");
    assert_eq!(get(&r, "iot_token"), "425656f625b64560a4bff2a0f16946a3");
    assert_eq!(
        get(&r, "message_topic"),
        "/b1KCi45LcCP/862991419835241/user/get"
    );
    assert_eq!(get(&r, "message_payload"), "Hello World");
}

#[test]
fn quectel_network_checks_and_aliauth_session_with_property_post() {
    let r = replay("quectel-device-secret-aliauth");
    assert_eq!(get(&r, "registration"), "Home"); // +CEREG: 0,1
    assert_eq!(get(&r, "rsrp"), "-98"); // +QENG: ... ,-98,-8,-70,21,42
    assert_eq!(get(&r, "ipv4"), "10.113.242.215");
    assert_eq!(get(&r, "will"), "Will(None)"); // +QMTCFG: "will",0
    assert_eq!(get(&r, "post_reply_id"), "1681363292898");
    assert_eq!(get(&r, "post_reply_code"), "200");
}

#[test]
fn quectel_device_secret_with_username_and_password() {
    let r = replay("quectel-device-secret-password");
    assert_eq!(
        get(&r, "client_id"),
        "i2uqc2dloOl.device001|securemode=2,signmethod=hmacsha256,timestamp=1680937625134|"
    );
    assert_eq!(get(&r, "username"), "device001&i2uqc2dloOl");
    assert_eq!(
        get(&r, "password"),
        "0309b31761c30d24d37a25558c5604de308c92eb6ac8656a1981f85783fb23db"
    );
}

#[test]
fn quectel_mqtt_registration_and_reconnect() {
    let r = replay("quectel-mqtt-register");
    // The `/ext/register` payload; `+QMTSTAT: 0,1` after it is the normal end.
    assert_eq!(get(&r, "device_secret"), "d2a03b64a5e06b051f481136668133cf");
}

#[test]
fn quectel_regnwl_then_connwl() {
    let r = replay("quectel-mqtt-regnwl");
    assert_eq!(get(&r, "client_id"), "IXywJDukE7AKz0sfbvmZ000100");
    assert_eq!(get(&r, "device_token"), "^1^1681710731098^563fbcfe8c38f88");
}

#[test]
fn quectel_https_registration_and_its_login() {
    let r = replay("quectel-https-register");
    // From the 143-byte `AT+QHTTPREAD` body.
    assert_eq!(get(&r, "device_secret"), "3c35df4417faf854be8e780536d84c23");
}

#[test]
fn a_wrong_secret_is_caught_by_the_simulated_modem() {
    // The flow with the note's misprinted product secret (`VWII...`) signs differently: the
    // modem sees another body and the flow fails instead of passing silently.
    let mut d = quickstart::seed("luat");
    d.product_secret = "VWII9fiYWKiwraBk".into();
    let e = quickstart::simulate("luat", script("luat"), &d, &[]).unwrap_err();
    assert!(e.contains("HTTPS registration"), "{e}");
}

#[test]
fn the_quickstart_prints_each_flow_with_its_results() {
    let (t, r) = quickstart::simulate(
        "quectel-device-secret-password",
        script("quectel-device-secret-password"),
        &quickstart::seed("quectel-device-secret-password"),
        &[],
    )
    .unwrap();
    let out = quickstart::render("quectel-device-secret-password", &t, &r);
    let mut lines = out.lines();
    assert_eq!(lines.next(), Some("# flow: quectel-device-secret-password"));
    assert_eq!(lines.next(), Some(">> AT+QMTCFG=\"aliauth\",0"));
    assert!(out.ends_with(
        "# password: 0309b31761c30d24d37a25558c5604de308c92eb6ac8656a1981f85783fb23db\n"
    ));
    // The printed exchange is itself a transcript that parses.
    assert!(transcript::parse(&out).is_ok());
}

/// The quickstart's default: the device flow on the bench, both module models. What the
/// platform saw and what the device got are the values the flow sends and the bench's
/// platform answers with (its Alink replies, written from the platform's documentation).
#[test]
fn quickstart_device_flow_on_the_bench() {
    for dialect in ["quectel", "luat"] {
        let out = quickstart::on_bench(dialect).unwrap_or_else(|e| panic!("{dialect}: {e}"));
        assert!(out.starts_with("# legend: `>>`"), "{out}");
        assert!(out.contains("# flow: device\n"));
        let mut results: Vec<&str> = out
            .lines()
            .filter(|l| l.starts_with("# ") && l.contains(": {"))
            .collect();
        assert_eq!(results.len(), 6, "{dialect}: {out}");
        // The version report, in the documented shape `{"id":..,"params":{"version":..}}`.
        assert_eq!(
            results.remove(0),
            "# platform saw: {\"id\":\"1\",\"params\":{\"version\":\"1.0.0\"}}"
        );
        assert!(
            results[0].starts_with(
                "# platform saw: {\"id\":1,\"params\":{\"Temp\":23.9,\"LightStatus\":1}"
            )
        );
        assert!(results[1].starts_with("# device got: {\"code\":200"));
        assert!(results[2].contains("\"method\":\"thing.service.property.set\""));
        assert!(
            results[3].starts_with("# platform saw: {\"id\":\"")
                && results[3].contains("\"code\":200")
        );
        // The OTA upgrade: the last progress report the platform saw is 100 (the digest
        // matched), in the documented shape `{"id":..,"params":{"step":"100","desc":..}}`.
        assert!(
            results[4].starts_with("# platform saw: {\"id\":\"")
                && results[4].contains("\"params\":{\"step\":\"100\""),
            "{}",
            results[4]
        );
        // No blank-line noise.
        assert!(!out.lines().any(|l| l == "<<"));
    }
}

/// `quickstart --flow supervised`: the supervisor rides out an MQTT link drop and a module
/// reboot on the bench, both module models; a QoS 1 message published while offline is
/// queued and reaches the platform after each reconnect.
#[test]
fn quickstart_supervised_flow_on_the_bench() {
    for dialect in ["quectel", "luat"] {
        let out =
            quickstart::supervised_on_bench(dialect).unwrap_or_else(|e| panic!("{dialect}: {e}"));
        assert!(out.contains("# flow: supervised\n"), "{out}");
        let lines: Vec<&str> = out.lines().filter(|l| l.starts_with("# ")).collect();
        let pos = |l: &str, from: usize| {
            lines[from..]
                .iter()
                .position(|x| *x == l)
                .map(|i| i + from)
                .unwrap_or_else(|| panic!("{dialect}: no `{l}` after line {from}: {lines:?}"))
        };
        let up = pos("# event: Connected", 0);
        let drop = pos("# fault: the broker drops the MQTT link", up);
        let down = pos("# event: Disconnected(Mqtt)", drop);
        let queued = pos("# device publishes at QoS 1: Ok(Queued)", down);
        let back = pos("# event: Connected", queued);
        let seen = pos(
            "# platform saw: sent while offline (the broker drops the MQTT link)",
            back,
        );
        let reboot = pos("# fault: the module reboots", seen);
        let rebooted = pos("# event: Rebooted", reboot);
        let again = pos("# event: Connected", rebooted);
        pos(
            "# platform saw: sent while offline (the module reboots)",
            again,
        );
        assert!(out.ends_with("# reconnects: 2\n"), "{dialect}: {out}");
    }
}
