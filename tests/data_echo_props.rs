//! Echo of data-phase bytes, for every payload and every way of cutting the module's output:
//! with echo on, BG77 and BG770A echo the bytes written after `>` before their final code.
//! An echoed payload that holds line ends, `OK`, `ERROR`, `+QMTSTAT: 0,1`, `RDY` or a `>`
//! never completes the command, never changes link state and is never queued as a URC; the
//! module's own `OK` and `+QMTPUBEX` result complete it (Quectel MQTT application note,
//! `AT+QMTPUBEX` with a length).
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use atmodem::client::{Client, State};
use atmodem::dialects::common::Csq;
use atmodem::dialects::quectel::{PublishForm, QmtPublish, Quectel};
use atmodem::sim::{InstantDelay, SimModem};
use embassy_futures::block_on;
use proptest::prelude::*;

type Q<'s> = Client<'s, SimModem, InstantDelay, Quectel>;

/// A transcript string: `\u00XX` for every byte that is not plain printable ASCII.
fn quoted(bytes: &[u8]) -> String {
    let mut s = String::from("\"");
    for &b in bytes {
        match b {
            b'"' => s.push_str("\\\""),
            b'\\' => s.push_str("\\\\"),
            b'\r' => s.push_str("\\r"),
            b'\n' => s.push_str("\\n"),
            0x20..=0x7e => s.push(char::from(b)),
            _ => s.push_str(&format!("\\u{b:04x}")),
        }
    }
    s.push('"');
    s
}

/// Pieces a hostile payload is made of.
fn piece() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(b"\r\n".to_vec()),
        Just(b"OK".to_vec()),
        Just(b"\r\nOK\r\n".to_vec()),
        Just(b"\r\nERROR\r\n".to_vec()),
        Just(b"+QMTSTAT: 0,1".to_vec()),
        Just(b"\r\n+QMTSTAT: 0,1\r\n".to_vec()),
        Just(b"\r\nRDY\r\n".to_vec()),
        Just(b"\r\n+QMTPUBEX: 0,1,0\r\n".to_vec()),
        Just(b"> ".to_vec()),
        Just(b"\r".to_vec()),
        proptest::collection::vec(any::<u8>(), 1..8),
        "[a-z{}\":,0-9]{1,12}".prop_map(String::into_bytes),
    ]
}

fn payload() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(piece(), 1..8).prop_map(|p| p.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn an_echoed_payload_never_completes_the_command_or_ends_a_session(
        payload in payload(),
        chunks in proptest::collection::vec(1usize..40, 1..4),
    ) {
        let publish = QmtPublish {
            client: 0,
            msg_id: 1,
            qos: 1,
            retain: false,
            topic: "t",
            payload: &payload,
            form: PublishForm::Length,
        };
        let cmd = format!("AT+QMTPUBEX=0,1,1,0,\"t\",{}", payload.len());
        let echo = format!("{cmd}\r\r\n> ");
        let script = format!(
            ">> {cmd}\n<<| {}\n>>| {}\n<<| {}\n<< OK\n<< +QMTPUBEX: 0,1,0\n>> AT+CSQ\n<< +CSQ: 5,99\n<< OK\n",
            quoted(echo.as_bytes()),
            quoted(&payload),
            quoted(&payload),
        );
        let sim = SimModem::new(&script).unwrap().with_chunks(&chunks);
        let mut state: State<512, 512, 512> = State::new();
        let mut c: Q = Client::new(sim, InstantDelay, &mut state);
        prop_assert_eq!(block_on(c.run(&publish)), Ok(()));
        prop_assert!(!c.links().mqtt_is_down(0), "{:?}", c.links());
        prop_assert!(!c.links().rebooted);
        prop_assert_eq!(c.queued_urcs(), 0);
        prop_assert_eq!(block_on(c.send(&Csq)).unwrap().rssi, 5);
        prop_assert!(c.transport().is_done());
    }
}
