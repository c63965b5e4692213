//! The client's errors: which command failed, the `+CME ERROR` number and text in both
//! `AT+CMEE` modes (3GPP TS 27.007 §9.2), the specific cases an exchange can end with, and
//! how the supervisor reads a verbose error. Expected numbers and texts are copied from the
//! specification's table (§9.2.1, §9.2.2), not from the crate's.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use atmodem::client::{Awaited, Bearer, Client, Error, ExtendedError, State};
use atmodem::codec::{ErrorCode, cme_code, cme_text};
use atmodem::device::{Sim, Supervised};
use atmodem::dialects::common::{CpinRead, Csq};
use atmodem::dialects::quectel::{PublishForm, QmtPublish, Quectel};
use atmodem::sim::{InstantDelay, SimModem};
use embassy_futures::block_on;

type Q<'s> = Client<'s, SimModem, InstantDelay, Quectel>;

fn q(script: &str) -> Q<'static> {
    let state: &mut State = Box::leak(Box::new(State::new()));
    Client::new(SimModem::new(script).unwrap(), InstantDelay, state)
}

/// 3GPP TS 27.007 §9.2.1 / §9.2.2: `<err>` numeric format followed by verbose format.
const SPEC: &[(u16, &str)] = &[
    (0, "phone failure"),
    (1, "no connection to phone"),
    (2, "phone-adaptor link reserved"),
    (3, "operation not allowed"),
    (4, "operation not supported"),
    (5, "PH-SIM PIN required"),
    (6, "PH-FSIM PIN required"),
    (7, "PH-FSIM PUK required"),
    (10, "SIM not inserted"),
    (11, "SIM PIN required"),
    (12, "SIM PUK required"),
    (13, "SIM failure"),
    (14, "SIM busy"),
    (15, "SIM wrong"),
    (16, "incorrect password"),
    (17, "SIM PIN2 required"),
    (18, "SIM PUK2 required"),
    (20, "memory full"),
    (21, "invalid index"),
    (22, "not found"),
    (23, "memory failure"),
    (24, "text string too long"),
    (25, "invalid characters in text string"),
    (26, "dial string too long"),
    (27, "invalid characters in dial string"),
    (30, "no network service"),
    (31, "network timeout"),
    (32, "network not allowed - emergency calls only"),
    (40, "network personalization PIN required"),
    (41, "network personalization PUK required"),
    (42, "network subset personalization PIN required"),
    (43, "network subset personalization PUK required"),
    (44, "service provider personalization PIN required"),
    (45, "service provider personalization PUK required"),
    (46, "corporate personalization PIN required"),
    (47, "corporate personalization PUK required"),
    (100, "unknown"),
    (103, "Illegal MS"),
    (106, "Illegal ME"),
    (107, "GPRS services not allowed"),
    (111, "PLMN not allowed"),
    (112, "Location area not allowed"),
    (113, "Roaming not allowed in this location area"),
    (148, "unspecified GPRS error"),
    (149, "PDP authentication failure"),
];

#[test]
fn every_spec_text_maps_to_its_number_and_back() {
    for &(n, text) in SPEC {
        assert_eq!(cme_code(text), Some(n), "{text}");
        assert_eq!(
            cme_text(n).map(str::to_ascii_lowercase),
            Some(text.to_ascii_lowercase())
        );
    }
}

#[test]
fn texts_match_whatever_the_case() {
    // Vendor manuals capitalise the same texts differently (Telit "No connection to phone",
    // Multi-Tech "Incorrect password", "Memory full").
    assert_eq!(cme_code("No connection to phone"), Some(1));
    assert_eq!(cme_code("Incorrect password"), Some(16));
    assert_eq!(cme_code("Memory full"), Some(20));
    assert_eq!(cme_code("SIM NOT INSERTED"), Some(10));
    assert_eq!(
        cme_code("SIM not inserted "),
        None,
        "the codec trims; the table does not"
    );
    assert_eq!(cme_code("HTTP(S) unknown error"), None);
    assert_eq!(cme_code(""), None);
    assert_eq!(cme_text(8), None);
    assert_eq!(cme_text(701), None);
}

#[test]
fn a_verbose_cme_error_keeps_its_text_and_finds_its_number() {
    let mut c =
        q(">> AT+CPIN?\n<< +CME ERROR: SIM not inserted\n>> AT+CSQ\n<< +CSQ: 5,99\n<< OK\n");
    let e = block_on(c.send(&CpinRead)).unwrap_err();
    let Error::Cme { command, code } = e else {
        panic!("{e:?}")
    };
    assert_eq!(command, "+CPIN");
    assert_eq!(code.number(), Some(10));
    assert_eq!(code.text(), "SIM not inserted");
    assert!(!code.is_truncated());
    assert_eq!(e.cme_number(), Some(10));
    assert_eq!(e.to_string(), "AT+CPIN: +CME ERROR: SIM not inserted");
    // An answer: the client stays in step.
    assert_eq!(block_on(c.send(&Csq)).unwrap().rssi, 5);
    assert_eq!(c.stats().resyncs, 0);
}

#[test]
fn a_numeric_cme_error_is_the_same_number() {
    let mut c = q(">> AT+CPIN?\n<< +CME ERROR: 10\n");
    let e = block_on(c.send(&CpinRead)).unwrap_err();
    assert_eq!(
        e,
        Error::Cme {
            command: "+CPIN",
            code: ExtendedError::numeric(10)
        }
    );
    assert_eq!(e.cme_number(), Some(10));
    assert_eq!(e.to_string(), "AT+CPIN: +CME ERROR: 10");
}

#[test]
fn a_long_text_is_cut_flagged_and_still_numbered() {
    // 43 bytes: "network subset personalization PUK required" (27.007 §9.2.1, 43).
    let mut c = q(">> AT+CPIN?\n<< +CME ERROR: network subset personalization PUK required\n");
    let e = block_on(c.send(&CpinRead)).unwrap_err();
    let Error::Cme { code, .. } = e else {
        panic!("{e:?}")
    };
    assert_eq!(code.number(), Some(43));
    assert_eq!(code.text(), "network subset personalization P");
    assert_eq!(code.text().len(), ExtendedError::TEXT_CAP);
    assert!(code.is_truncated());
}

#[test]
fn a_cut_never_splits_a_character() {
    // 31 ASCII bytes, then a 3-byte character: the cut falls before it.
    let text = "0123456789012345678901234567890\u{2013}x";
    let e = ExtendedError::verbose(text, None);
    assert_eq!(e.text(), "0123456789012345678901234567890");
    assert!(e.is_truncated());
}

#[test]
fn a_vendor_text_is_kept_without_a_number() {
    let mut c = q(">> AT+CPIN?\n<< +CME ERROR: HTTP(S) unknown error\n");
    let e = block_on(c.send(&CpinRead)).unwrap_err();
    let Error::Cme { code, .. } = e else {
        panic!("{e:?}")
    };
    assert_eq!(
        (code.number(), code.text()),
        (None, "HTTP(S) unknown error")
    );
    assert_eq!(e.cme_number(), None);
}

#[test]
fn cms_errors_keep_their_own_numbers() {
    // 27.005 §3.2.5: 310 is "SIM not inserted" there; the +CME table does not apply.
    let cms = ExtendedError::cms(&ErrorCode::Text("SIM not inserted"));
    assert_eq!((cms.number(), cms.text()), (None, "SIM not inserted"));
    assert_eq!(
        ExtendedError::cms(&ErrorCode::Code(310)).number(),
        Some(310)
    );
}

#[test]
fn error_names_the_command() {
    let mut c = q(">> AT+CSQ\n<< ERROR\n");
    assert_eq!(
        block_on(c.send(&Csq)).map(|_| ()),
        Err(Error::Error { command: "+CSQ" })
    );
}

#[test]
fn an_ok_without_the_data_prompt_is_no_data_phase() {
    // The module ends `AT+QMTPUBEX` with `OK` and never shows `>`: the payload was not sent.
    let publish = QmtPublish {
        client: 0,
        msg_id: 1,
        qos: 1,
        retain: false,
        topic: "t",
        payload: b"hello",
        form: PublishForm::Length,
    };
    let mut c = q(">> AT+QMTPUBEX=0,1,1,0,\"t\",5\n<< OK\n>> AT+CSQ\n<< +CSQ: 3,99\n<< OK\n");
    assert_eq!(
        block_on(c.send(&publish)),
        Err(Error::NoDataPhase {
            command: "+QMTPUBEX"
        })
    );
    // The module answered: no resync.
    assert_eq!(block_on(c.send(&Csq)).unwrap().rssi, 3);
    assert_eq!(c.stats().resyncs, 0);
}

#[test]
fn an_address_query_without_the_context_is_incomplete() {
    // `AT+CGPADDR=1` answered with another context's address only.
    let mut c = q(">> AT+CGPADDR=1\n<< +CGPADDR: 2,\"10.0.0.2\"\n<< OK\n");
    assert_eq!(
        block_on(c.bearer_address(1)),
        Err(Error::Incomplete {
            command: "+CGPADDR",
            missing: "address"
        })
    );
}

#[test]
fn timeouts_say_what_was_awaited() {
    let e: Error<()> = Error::Timeout(Awaited::Answer("+CSQ"));
    assert_eq!(e.to_string(), "timeout waiting for the answer to AT+CSQ");
    assert_eq!(e.command(), Some("+CSQ"));
    assert_eq!(
        Error::<()>::Timeout(Awaited::Urc).to_string(),
        "timeout waiting for a URC"
    );
}

#[test]
fn errors_stay_copy_and_comparable() {
    fn copy_eq<T: Copy + PartialEq>() {}
    copy_eq::<Error<()>>();
    copy_eq::<ExtendedError>();
    copy_eq::<Awaited>();
}

// The supervisor, with the module in verbose mode (`AT+CMEE=2`).

fn sim_of(answer: &str) -> Result<Sim, Error<atmodem::sim::SimError>> {
    let mut c = q(&format!(">> AT+CPIN?\n<< +CME ERROR: {answer}\n"));
    block_on(c.sim())
}

#[test]
fn the_supervisor_reads_verbose_sim_errors() {
    // 27.007 §9.2.1: 10 SIM not inserted, 11 SIM PIN required, 12 SIM PUK required,
    // 13 SIM failure, 14 SIM busy, 15 SIM wrong.
    assert_eq!(sim_of("SIM not inserted"), Ok(Sim::NotInserted));
    assert_eq!(sim_of("SIM PIN required"), Ok(Sim::PinRequired));
    assert_eq!(sim_of("SIM PUK required"), Ok(Sim::Locked));
    assert_eq!(sim_of("SIM failure"), Ok(Sim::NotInserted));
    assert_eq!(sim_of("SIM busy"), Ok(Sim::NotReady));
    assert_eq!(sim_of("SIM wrong"), Ok(Sim::NotInserted));
    // The same in numeric mode.
    assert_eq!(sim_of("10"), Ok(Sim::NotInserted));
    assert_eq!(sim_of("12"), Ok(Sim::Locked));
    // Anything else stays an error.
    assert!(matches!(sim_of("phone failure"), Err(Error::Cme { .. })));
}

#[test]
fn the_supervisor_reads_a_verbose_wrong_pin() {
    let wrong = Error::<atmodem::sim::SimError>::Cme {
        command: "+CPIN",
        code: ExtendedError::cme(&ErrorCode::Text("incorrect password")),
    };
    assert!(<Q as Supervised>::is_wrong_pin(&wrong));
    let numeric = Error::<atmodem::sim::SimError>::Cme {
        command: "+CPIN",
        code: ExtendedError::numeric(16),
    };
    assert!(<Q as Supervised>::is_wrong_pin(&numeric));
    let other = Error::<atmodem::sim::SimError>::Cme {
        command: "+CPIN",
        code: ExtendedError::cme(&ErrorCode::Text("SIM busy")),
    };
    assert!(!<Q as Supervised>::is_wrong_pin(&other));
}

#[test]
fn the_error_mode_step_asks_for_verbose_errors() {
    let mut c = q(">> AT+CMEE=2\n<< OK\n");
    block_on(c.verbose_errors()).unwrap();
    assert!(c.transport().is_done());
}
