//! The client over the simulated modem, with the 3GPP dialect: exchanges, data phases, URC
//! queueing, timeouts and recovery, transport faults. Scripts follow V.250 / 27.007 framing.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use atmodem::client::{
    Awaited, Client, Config, Error, Event, ExtendedError, PromptKind, Request, Seen, State,
};
use atmodem::codec::{Expect, FinalCode, Generic, RegStatus, Urc};
use atmodem::sim::{InstantDelay, SimError, SimModem};
use embassy_futures::block_on;

type C<'s> = Client<'s, SimModem, InstantDelay, Generic>;

fn client(script: &str) -> C<'static> {
    let state: &mut State<256, 256, 128> = Box::leak(Box::new(State::new()));
    Client::new(SimModem::new(script).unwrap(), InstantDelay, state)
}

const CSQ: Request<'static> = Request::new(b"AT+CSQ\r", Expect::tokens(&[b"+CSQ"]), 300);

#[test]
fn simple_exchange_collects_the_response_line() {
    let mut c = client(">> AT+CSQ\n<<\n<< +CSQ: 20,99\n<<\n<< OK\n");
    block_on(c.exchange(&CSQ, None)).unwrap();
    let lines: Vec<&[u8]> = c.response_lines().collect();
    assert_eq!(lines, vec![&b"+CSQ: 20,99"[..]]);
    assert!(c.transport().is_done());
}

#[test]
fn urc_in_the_middle_is_queued_not_taken_for_the_response() {
    let script = ">> AT+CSQ\n<<| \"AT+CSQ\\r\"\n<<\n<< +CEREG: 5\n<<\n<< +CSQ: 20,99\n<< +QFOO: 1\n<<\n<< OK\n";
    for chunks in [&[1usize][..], &[3], &[7, 2]] {
        let sim = SimModem::new(script).unwrap().with_chunks(chunks);
        let mut state: State<256, 256, 128> = State::new();
        let mut c: C = Client::new(sim, InstantDelay, &mut state);
        block_on(c.exchange(&CSQ, None)).unwrap();
        assert_eq!(c.response_lines().count(), 1);
        assert_eq!(c.queued_urcs(), 2);
        match c.poll_urc() {
            Some(Event::Urc(Urc::Cereg(r))) => assert_eq!(r.stat, RegStatus::Roaming),
            other => panic!("{other:?}"),
        }
        assert_eq!(c.poll_urc(), Some(Event::Unknown(b"+QFOO: 1")));
        assert_eq!(c.poll_urc(), None);
    }
}

#[test]
fn cme_error_is_typed_and_the_next_command_works() {
    let mut c =
        client(">> AT+CPIN?\n<<\n<< +CME ERROR: 10\n>> AT+CSQ\n<<\n<< +CSQ: 31,99\n<<\n<< OK\n");
    let cpin = Request::new(b"AT+CPIN?\r", Expect::tokens(&[b"+CPIN"]), 5000).named("+CPIN");
    assert_eq!(
        block_on(c.exchange(&cpin, None)),
        Err(Error::Cme {
            command: "+CPIN",
            code: ExtendedError::numeric(10)
        })
    );
    block_on(c.exchange(&CSQ, None)).unwrap();
    assert_eq!(c.stats().resyncs, 0, "an ERROR answer needs no resync");
}

#[test]
fn timeout_then_resync_then_a_working_command() {
    // The modem does not answer the first AT+CSQ in time; its late answer arrives before the
    // answer to the resync's marker and must not be taken for the next command's result.
    let script = "\
>> AT+CSQ
>> AT+CMEE?
<<
<< +CSQ: 20,99
<<
<< OK
<<
<< +CMEE: 2
<<
<< OK
>> AT+CSQ
<<
<< +CSQ: 21,99
<<
<< OK
";
    let mut c = client(script);
    assert_eq!(
        block_on(c.exchange(&CSQ, None)),
        Err(Error::Timeout(Awaited::Answer("")))
    );
    // Next call resynchronises first. The late `OK` comes before the marker's `+CMEE` line,
    // so it is counted as unsolicited; the marker's own `OK` ends the resync.
    block_on(c.exchange(&CSQ, None)).unwrap();
    assert_eq!(c.stats().resyncs, 1);
    assert_eq!(c.stats().unsolicited_finals, 1);
    let lines: Vec<Vec<u8>> = c.response_lines().map(<[u8]>::to_vec).collect();
    assert_eq!(lines, vec![b"+CSQ: 21,99".to_vec()]);
    assert!(
        c.transport().is_done(),
        "left: {}",
        c.transport().remaining()
    );
}

#[test]
fn prompt_data_phase() {
    let script = "\
>> AT+QMTPUBEX=0,0,0,0,\"t\",5
<<| \"\\r\\n> \"
>>| \"hello\"
<<
<< OK
<<
<< +QMTPUBEX: 0,0,0
";
    let mut c = client(script);
    let req = Request::new(b"AT+QMTPUBEX=0,0,0,0,\"t\",5\r", Expect::NOTHING, 15000)
        .with_data(PromptKind::Angle, b"hello");
    block_on(c.exchange(&req, None)).unwrap();
    let got = block_on(c.wait_for(15000, |seen| match seen {
        Seen::Unknown(l) if l.starts_with(b"+QMTPUBEX:") => Some(l.to_vec()),
        _ => None,
    }))
    .unwrap();
    assert_eq!(got, b"+QMTPUBEX: 0,0,0");
}

#[test]
fn connect_then_announced_data_into_the_sink() {
    let script = "\
>> AT+QHTTPREAD=80
<<
<< CONNECT
<<| \"{\\\"a\\\":\\r\\n1}\"
<<
<< OK
<<
<< +QHTTPREAD: 0
";
    let mut c = client(script);
    let req = Request::new(b"AT+QHTTPREAD=80\r", Expect::NOTHING, 80000).with_receive(9);
    let mut body = [0u8; 32];
    let n = block_on(c.exchange(&req, Some(&mut body))).unwrap();
    assert_eq!(&body[..n], b"{\"a\":\r\n1}");
    // The read's real result comes after its OK, as a URC.
    let done = block_on(c.wait_for(1000, |s| match s {
        Seen::Unknown(l) => l.strip_prefix(b"+QHTTPREAD: ").map(<[u8]>::to_vec),
        _ => None,
    }));
    assert_eq!(done.unwrap(), b"0");
    assert!(c.transport().is_done());
}

#[test]
fn result_already_queued_is_found_by_wait_for() {
    // +QMTOPEN arrives before the OK of AT+QMTOPEN.
    let script = ">> AT+QMTOPEN=0,\"h\",1883\n<<\n<< +QMTOPEN: 0,0\n<<\n<< OK\n";
    let mut c = client(script);
    let req = Request::new(b"AT+QMTOPEN=0,\"h\",1883\r", Expect::NOTHING, 75000);
    block_on(c.exchange(&req, None)).unwrap();
    let r = block_on(c.wait_for(75000, |s| match s {
        Seen::Unknown(l) => l.strip_prefix(b"+QMTOPEN: ").map(<[u8]>::to_vec),
        _ => None,
    }));
    assert_eq!(r.unwrap(), b"0,0");
    assert_eq!(c.queued_urcs(), 0);
}

#[test]
fn rdy_marks_the_module_rebooted() {
    // A reboot in the middle of a command ends it at once: its answer will never come.
    let mut c = client(">> AT+CSQ\n<<\n<< RDY\n<<\n<< +CSQ: 5,99\n<<\n<< OK\n");
    assert_eq!(block_on(c.exchange(&CSQ, None)), Err(Error::Rebooted));
    assert!(c.links().rebooted);
    assert!(c.links().mqtt_is_down(0));
    c.links_mut().mark_mqtt_up(0);
    assert!(!c.links().mqtt_is_down(0));
}

#[test]
fn urc_storm_larger_than_the_queue() {
    let mut script = String::from(">> AT+CSQ\n");
    for i in 0..100 {
        script.push_str(&format!("<< +CEREG: {}\n", i % 6));
    }
    script.push_str("<< +CSQ: 1,99\n<< OK\n");
    let mut c = client(&script);
    block_on(c.exchange(&CSQ, None)).unwrap();
    // 128-byte queue, 9 bytes per `+CEREG: n` line plus 8 of bookkeeping: 7 fit (119
    // bytes). The command must read past the other 93 to its `OK`: status URCs are
    // discarded to make room (their effect is in `Links`), oldest first.
    assert_eq!(c.queued_urcs(), 7);
    assert_eq!(c.stats().urcs_dropped, 93);
    // The newest survive: the last one was `+CEREG: 3` (99 % 6).
    let mut last = None;
    while let Some(ev) = c.poll_urc() {
        if let Event::Urc(Urc::Cereg(r)) = ev {
            last = Some(u8::from(r.stat));
        }
    }
    assert_eq!(last, Some(3));
}

#[test]
fn transport_failing_after_n_bytes_is_an_error_not_a_hang() {
    let sim = SimModem::new(">> AT+CSQ\n<<\n<< +CSQ: 20,99\n<<\n<< OK\n")
        .unwrap()
        .fail_after(10);
    let mut state: State<256, 256, 128> = State::new();
    let mut c: C = Client::new(sim, InstantDelay, &mut state);
    assert_eq!(
        block_on(c.exchange(&CSQ, None)),
        Err(Error::Transport(SimError::Broken))
    );
    // Still usable (and still failing cleanly).
    assert_eq!(
        block_on(c.exchange(&CSQ, None)),
        Err(Error::Transport(SimError::Broken))
    );
}

#[test]
fn unsolicited_final_is_offered_to_a_waiting_matcher() {
    // Luat: AT+MCONNECT answers OK, then a bare ERROR when the MQTT connect fails.
    let mut c = client(">> AT+MCONNECT=1,60\n<<\n<< OK\n<<\n<< ERROR\n");
    let req = Request::new(b"AT+MCONNECT=1,60\r", Expect::NOTHING, 1000);
    block_on(c.exchange(&req, None)).unwrap();
    let r = block_on(c.wait_for(30000, |s| match s {
        Seen::Unsolicited(FinalCode::Error) => Some(false),
        Seen::Unknown(b"CONNACK OK") => Some(true),
        _ => None,
    }));
    assert_eq!(r, Ok(false));
}

#[test]
fn next_urc_reads_until_one_arrives_and_times_out_cleanly() {
    let mut c = client("<<\n<< +CPIN: READY\n");
    match block_on(c.next_urc()).unwrap() {
        Event::Urc(Urc::Cpin(s)) => assert_eq!(s, atmodem::codec::SimState::Ready),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        block_on(c.next_urc_within(100)),
        Err(Error::Timeout(Awaited::Urc))
    );
}

#[test]
fn mismatching_command_fails_loudly() {
    let mut c = client(">> AT+CGATT?\n<< OK\n");
    let r = block_on(c.exchange(&CSQ, None));
    assert!(
        matches!(r, Err(Error::Transport(SimError::Mismatch { .. }))),
        "{r:?}"
    );
    assert!(c.transport().mismatch().is_some());
}

#[test]
fn guard_time_and_config() {
    let cfg = Config {
        guard_ms: 20,
        ..Config::default()
    };
    let mut state: State<256, 256, 128> = State::new();
    let mut c: C = Client::with_config(
        SimModem::new(">> AT+CSQ\n<< OK\n").unwrap(),
        InstantDelay,
        &mut state,
        cfg,
    );
    block_on(c.exchange(&CSQ, None)).unwrap();
}

#[test]
fn recorded_transcript_shows_what_crossed_the_wire() {
    let script = ">> AT+QMTPUBEX=0,0,0,0,\"t\",3\n<<| \"\\r\\n> \"\n>>| \"a\\r\\n\"\n<<\n<< OK\n";
    let mut c = client(script);
    let req = Request::new(b"AT+QMTPUBEX=0,0,0,0,\"t\",3\r", Expect::NOTHING, 1000)
        .with_data(PromptKind::Angle, b"a\r\n");
    block_on(c.exchange(&req, None)).unwrap();
    assert_eq!(
        c.transport().transcript(),
        ">> AT+QMTPUBEX=0,0,0,0,\"t\",3\n<<\n<<| \"> \"\n>>| \"a\\r\\n\"\n<<\n<< OK\n"
    );
}
