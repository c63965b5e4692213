//! A hostile or broken modem: lengths that lie, answers that come late, data phases left
//! open, reboots in the middle of a wait, responses too long for the buffer, publishes too
//! large for the text form, a module that refuses the length field of received messages.
//! After each, the client must have refused the input at once and stay usable.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use atmodem::client::{Awaited, Client, Error, Mqtt, MqttLogin, MqttSession, Request, State};
use atmodem::codec::{Decoder, Expect, Frame, LinkEvent, Reader};
use atmodem::dialects::common::Csq;
use atmodem::dialects::luat::Luat;
use atmodem::dialects::quectel::{PublishForm, Qiact, QmtPublish, QmtRecvFetch, Quectel};
use atmodem::sim::{InstantDelay, SimError, SimModem};
use embassy_futures::block_on;

type Q<'s> = Client<'s, SimModem, InstantDelay, Quectel>;
type L<'s> = Client<'s, SimModem, InstantDelay, Luat>;

fn q(script: &str) -> Q<'static> {
    let state: &mut State<256, 512, 256> = Box::leak(Box::new(State::new()));
    Client::new(SimModem::new(script).unwrap(), InstantDelay, state)
}

fn l(script: &str) -> L<'static> {
    let state: &mut State<256, 512, 256> = Box::leak(Box::new(State::new()));
    Client::new(SimModem::new(script).unwrap(), InstantDelay, state)
}

fn done(sim: &SimModem) {
    assert!(sim.is_done(), "script left:\n{}", sim.remaining());
}

// 1. A lying length.

#[test]
fn a_qmtrecv_length_beyond_any_message_is_refused_at_once() {
    // 4294967295 announced, 3 bytes sent: the line is an error, the answer after it is read.
    let mut c = q(
        ">> AT+CSQ\n<< +QMTRECV: 0,1,\"t\",4294967295,\"abc\"\n<< +CSQ: 20,99\n<< OK\n>> AT+CSQ\n<< +CSQ: 21,99\n<< OK\n",
    );
    assert_eq!(block_on(c.send(&Csq)).unwrap().rssi, 20);
    assert_eq!(block_on(c.send(&Csq)).unwrap().rssi, 21);
    assert_eq!(c.stats().bad_lengths, 1);
    assert_eq!(c.stats().resyncs, 0);
    done(c.transport());
}

#[test]
fn a_msub_length_beyond_the_manuals_limit_is_refused_at_once() {
    // The Luat manual limits a message to 4100 bytes.
    let mut c = l(
        ">> AT+CSQ\n<< +MSUB: \"t\",5000 byte,abc\n<< +CSQ: 20,99\n<< OK\n>> AT+CSQ\n<< +CSQ: 21,99\n<< OK\n",
    );
    assert_eq!(block_on(c.send(&Csq)).unwrap().rssi, 20);
    assert_eq!(block_on(c.send(&Csq)).unwrap().rssi, 21);
    assert_eq!(c.stats().bad_lengths, 1);
    done(c.transport());
}

#[test]
fn announced_data_that_never_comes_is_abandoned_by_the_resync() {
    // `+HTTPREAD: 5000` announces 5000 bytes of data; what follows is the module's own lines.
    // The command times out (its OK was taken as data); the resync gives up the data, and
    // the next command works at once instead of after 5000 bytes.
    let mut c = l(
        ">> AT+CSQ\n<< +HTTPREAD: 5000\n<< +CSQ: 20,99\n<< OK\n>> AT+CMEE?\n<< +CMEE: 1\n<< OK\n>> AT+CSQ\n<< +CSQ: 21,99\n<< OK\n",
    );
    assert_eq!(
        block_on(c.send(&Csq)).unwrap_err(),
        Error::Timeout(Awaited::Answer("+CSQ"))
    );
    assert_eq!(block_on(c.send(&Csq)).unwrap().rssi, 21);
    assert_eq!(c.stats().bad_lengths, 1);
    done(c.transport());
}

#[test]
fn an_http_content_length_that_lies_is_refused_before_the_read() {
    // `+QHTTPPOST: 0,200,4294967295`: no `AT+QHTTPREAD` is sent (the decoder would take the
    // module's next lines as body), and the next command works at once.
    use atmodem::client::{Http, HttpPost};
    let mut c = q(concat!(
        ">> AT+QHTTPURL=18,60\n<< CONNECT\n>>| \"https://example.cn\"\n<< OK\n",
        ">> AT+QHTTPPOST=3,60,60\n<< CONNECT\n>>| \"a=1\"\n<< OK\n",
        "<< +QHTTPPOST: 0,200,4294967295\n",
        ">> AT+CSQ\n<< +CSQ: 6,99\n<< OK\n",
    ));
    let mut body = [0u8; 64];
    let r = block_on(c.http_post(&HttpPost::form("https://example.cn", b"a=1"), &mut body));
    assert_eq!(r, Err(Error::ResponseTooLong));
    assert_eq!(block_on(c.send(&Csq)).unwrap().rssi, 6);
    assert_eq!(c.stats().resyncs, 0);
    done(c.transport());
}

// 2. Late answers.

#[test]
fn a_late_ok_after_the_resync_is_not_the_next_commands() {
    // `ATE0` times out; its `OK` comes late, after the resync began. The module's answer to
    // the second `ATE0` is `ERROR`, and that is what the call returns.
    let ate0 = Request::new(b"ATE0\r", Expect::NOTHING, 300).named("E");
    let mut c = q(
        ">> ATE0\n>> AT+CMEE?\n<< OK\n<< +CMEE: 1\n<< OK\n>> ATE0\n<< ERROR\n>> AT+CSQ\n<< +CSQ: 9,99\n<< OK\n",
    );
    assert_eq!(
        block_on(c.exchange(&ate0, None)),
        Err(Error::Timeout(Awaited::Answer("E")))
    );
    assert_eq!(
        block_on(c.exchange(&ate0, None)),
        Err(Error::Error { command: "E" })
    );
    assert_eq!(block_on(c.send(&Csq)).unwrap().rssi, 9);
    done(c.transport());
}

#[test]
fn a_busy_module_answering_everything_late_shifts_nothing() {
    // The module is busy: it answers neither `AT+CSQ` nor the first marker in time, then
    // answers all of them at once. Only the last marker's answer ends the resync, so each
    // later command gets its own answer.
    let mut c = q(concat!(
        ">> AT+CSQ\n",
        ">> AT+CMEE?\n",
        ">> AT+CSCS?\n",
        "<< +CSQ: 5,99\n<< OK\n",
        "<< +CMEE: 1\n<< OK\n",
        "<< +CSCS: \"GSM\"\n<< OK\n",
        ">> AT+CSQ\n<< +CSQ: 20,99\n<< OK\n",
        ">> AT+CSQ\n<< +CSQ: 21,99\n<< OK\n",
        ">> AT+CSQ\n<< +CSQ: 22,99\n<< OK\n",
    ));
    assert_eq!(
        block_on(c.send(&Csq)).unwrap_err(),
        Error::Timeout(Awaited::Answer("+CSQ"))
    );
    assert_eq!(block_on(c.send(&Csq)).unwrap().rssi, 20);
    assert_eq!(block_on(c.send(&Csq)).unwrap().rssi, 21);
    assert_eq!(block_on(c.send(&Csq)).unwrap().rssi, 22);
    // The late `OK` of `AT+CSQ` is the one unsolicited final; the first marker's answer is
    // crossed off as that marker's.
    assert_eq!(c.stats().unsolicited_finals, 1);
    done(c.transport());
}

#[test]
fn consecutive_resyncs_never_send_the_same_marker_twice_in_a_row() {
    // Two timeouts in a row: the second resync uses the next marker, so a late answer to the
    // first one cannot end it.
    let mut c = q(concat!(
        ">> AT+CSQ\n",
        ">> AT+CMEE?\n<< +CMEE: 1\n<< OK\n",
        ">> AT+CSQ\n",
        ">> AT+CSCS?\n<< +CSCS: \"GSM\"\n<< OK\n",
        ">> AT+CSQ\n<< +CSQ: 3,99\n<< OK\n",
    ));
    assert_eq!(
        block_on(c.send(&Csq)).unwrap_err(),
        Error::Timeout(Awaited::Answer("+CSQ"))
    );
    assert_eq!(
        block_on(c.send(&Csq)).unwrap_err(),
        Error::Timeout(Awaited::Answer("+CSQ"))
    );
    assert_eq!(block_on(c.send(&Csq)).unwrap().rssi, 3);
    done(c.transport());
}

#[test]
fn a_marker_still_unanswered_is_not_sent_again() {
    // Found by fuzzing: three resync markers in a row go unanswered, then the module answers
    // everything at once. A fourth resync must not reuse a marker whose earlier copy is still
    // unanswered, or that copy's answer would end it with three answers still to come.
    let mut c = q(concat!(
        ">> AT+CSQ\n",
        ">> AT+CMEE?\n>> AT+CSCS?\n>> ATV1\n>> AT+CMGF?\n",
        ">> AT+CGEREP?\n",
        "<< +CSQ: 5,99\n<< OK\n<< +CMEE: 1\n<< OK\n<< +CSCS: \"GSM\"\n<< OK\n<< OK\n",
        "<< +CMGF: 0\n<< OK\n<< +CGEREP: 0,0\n<< OK\n",
        ">> AT+CSQ\n<< +CSQ: 20,99\n<< OK\n",
    ));
    assert_eq!(
        block_on(c.send(&Csq)).unwrap_err(),
        Error::Timeout(Awaited::Answer("+CSQ"))
    );
    // The first resync gets no answer at all: the call ends with the resync's timeout.
    assert_eq!(
        block_on(c.send(&Csq)).unwrap_err(),
        Error::Timeout(Awaited::Resync)
    );
    // The second one sends the next marker, and only its answer ends it.
    assert_eq!(block_on(c.send(&Csq)).unwrap().rssi, 20);
    done(c.transport());
}

// 3. A data phase left open.

/// A transport that holds the host back once: a write that starts with `stall_on` stalls
/// (hardware flow control), or the first read after a write that starts with `late_after`
/// waits (a module slow to answer).
struct Stall {
    inner: SimModem,
    stall_on: &'static [u8],
    late_after: &'static [u8],
    stalled: bool,
    late: bool,
}

impl embedded_io::ErrorType for Stall {
    type Error = SimError;
}

impl embedded_io_async::Read for Stall {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, SimError> {
        if self.late {
            self.late = false;
            core::future::pending::<()>().await;
        }
        self.inner.read(buf).await
    }
}

impl embedded_io_async::Write for Stall {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, SimError> {
        if !self.stalled && !self.stall_on.is_empty() && buf.starts_with(self.stall_on) {
            self.stalled = true;
            core::future::pending::<()>().await;
        }
        if !self.late_after.is_empty() && buf.starts_with(self.late_after) {
            self.late_after = b"";
            self.late = true;
        }
        self.inner.write(buf).await
    }

    async fn flush(&mut self) -> Result<(), SimError> {
        self.inner.flush().await
    }
}

fn hostile(
    script: &str,
    stall_on: &'static [u8],
    late_after: &'static [u8],
) -> Client<'static, Stall, InstantDelay, Quectel> {
    let inner = SimModem::new(script).unwrap();
    let state: &mut State = Box::leak(Box::new(State::new()));
    Client::new(
        Stall {
            inner,
            stall_on,
            late_after,
            stalled: false,
            late: false,
        },
        InstantDelay,
        state,
    )
}

fn stalling(
    script: &str,
    stall_on: &'static [u8],
) -> Client<'static, Stall, InstantDelay, Quectel> {
    hostile(script, stall_on, b"")
}

#[test]
fn a_stalled_payload_of_announced_length_is_completed_before_the_resync() {
    // The payload write stalls after `>`; the call times out. The module still waits for 5
    // bytes: the resync sends them (filler) before its marker, never `AT...` as payload.
    let publish = QmtPublish {
        client: 0,
        msg_id: 1,
        qos: 1,
        retain: false,
        topic: "t",
        payload: b"hello",
        form: PublishForm::Length,
    };
    let mut c = stalling(
        concat!(
            ">> AT+QMTPUBEX=0,1,1,0,\"t\",5\n<<| \"\\r\\n> \"\n",
            ">>| \"\\u0000\\u0000\\u0000\\u0000\\u0000\"\n<< OK\n",
            ">> AT+CMEE?\n<< +CMEE: 1\n<< OK\n",
            ">> AT+CSQ\n<< +CSQ: 4,99\n<< OK\n",
        ),
        b"hello",
    );
    assert_eq!(
        block_on(c.send(&publish)).unwrap_err(),
        Error::Timeout(Awaited::Answer("+QMTPUBEX"))
    );
    assert_eq!(block_on(c.send(&Csq)).unwrap().rssi, 4);
    assert_eq!(c.stats().data_phases_closed, 1);
    done(&c.transport().inner);
}

#[test]
fn a_stalled_payload_ended_by_ctrl_z_is_cancelled_with_esc() {
    let publish = QmtPublish {
        client: 0,
        msg_id: 1,
        qos: 1,
        retain: false,
        topic: "t",
        payload: b"hello",
        form: PublishForm::CtrlZ,
    };
    let mut c = stalling(
        concat!(
            ">> AT+QMTPUB=0,1,1,0,\"t\"\n<<| \"\\r\\n> \"\n",
            ">>| \"\\u001b\"\n",
            ">> AT+CMEE?\n<< +CMEE: 1\n<< OK\n",
            ">> AT+CSQ\n<< +CSQ: 4,99\n<< OK\n",
        ),
        b"hello",
    );
    assert_eq!(
        block_on(c.send(&publish)).unwrap_err(),
        Error::Timeout(Awaited::Answer("+QMTPUB"))
    );
    assert_eq!(block_on(c.send(&Csq)).unwrap().rssi, 4);
    done(&c.transport().inner);
}

#[test]
fn a_prompt_that_comes_after_the_timeout_is_closed_too() {
    // The prompt comes only after the call gave up: the resync waits for it and completes
    // the announced length before anything else.
    let publish = QmtPublish {
        client: 0,
        msg_id: 0,
        qos: 0,
        retain: false,
        topic: "t",
        payload: b"hi",
        form: PublishForm::Length,
    };
    let mut c = hostile(
        concat!(
            ">> AT+QMTPUBEX=0,0,0,0,\"t\",2\n",
            "<<| \"\\r\\n> \"\n>>| \"\\u0000\\u0000\"\n<< OK\n",
            ">> AT+CMEE?\n<< +CMEE: 1\n<< OK\n",
            ">> AT+CSQ\n<< +CSQ: 4,99\n<< OK\n",
        ),
        b"",
        b"AT+QMTPUBEX",
    );
    assert_eq!(
        block_on(c.send(&publish)).unwrap_err(),
        Error::Timeout(Awaited::Answer("+QMTPUBEX"))
    );
    assert_eq!(block_on(c.send(&Csq)).unwrap().rssi, 4);
    assert_eq!(c.stats().data_phases_closed, 1);
    done(&c.transport().inner);
}

// 4. A reboot during a wait.

#[test]
fn a_reboot_while_waiting_for_the_prompt_ends_the_publish_at_once() {
    // After the reboot the module may still answer a command written just after it booted:
    // the next call resynchronises (no prompt comes, so no data phase is open) first.
    let mut c = q(concat!(
        ">> AT+QMTPUBEX=0,1,1,0,\"t\",2\n<< RDY\n",
        ">> AT+CMEE?\n<< +CMEE: 1\n<< OK\n",
        ">> AT+CSQ\n<< +CSQ: 8,99\n<< OK\n",
    ));
    let publish = QmtPublish {
        client: 0,
        msg_id: 1,
        qos: 1,
        retain: false,
        topic: "t",
        payload: b"hi",
        form: PublishForm::Length,
    };
    assert_eq!(block_on(c.send(&publish)).unwrap_err(), Error::Rebooted);
    assert!(c.links().rebooted);
    assert_eq!(block_on(c.send(&Csq)).unwrap().rssi, 8);
    assert_eq!(c.stats().resyncs, 1);
    done(c.transport());
}

#[test]
fn a_reboot_while_a_pdp_context_activates_ends_the_wait_at_once() {
    let mut c = q(">> AT+QIACT=1\n<< RDY\n<< APP RDY\n");
    assert_eq!(
        block_on(c.send(&Qiact { cid: 1 })).unwrap_err(),
        Error::Rebooted
    );
    done(c.transport());
}

// 5. Response lines beyond `RESP`.

#[test]
fn stored_messages_beyond_the_response_buffer_are_an_error_not_a_silent_loss() {
    // Five stored messages of about 170 bytes each do not fit in 512 bytes. The module
    // deletes messages once read, so returning the last two would lose three for good.
    let payload = format!("{{\"params\":{{\"v\":\"{}\"}}}}", "x".repeat(130));
    let mut script = String::from(">> AT+QMTRECV=0\n");
    for id in 0..5 {
        script.push_str(&format!(
            "<< +QMTRECV: 0,{id},\"/a/b/c\",{},\"{payload}\"\n",
            payload.len()
        ));
    }
    script.push_str("<< OK\n>> AT+CSQ\n<< +CSQ: 1,99\n<< OK\n");
    let mut c = q(&script);
    let read = QmtRecvFetch {
        client: 0,
        recv_id: None,
    };
    assert_eq!(
        block_on(c.send(&read)).map(|_| ()).unwrap_err(),
        Error::ResponseTooLong
    );
    assert_eq!(c.stats().responses_truncated, 1);
    assert_eq!(block_on(c.send(&Csq)).unwrap().rssi, 1);
    done(c.transport());
}

// 6. Publishes too large for the text form.

#[test]
fn a_large_luat_text_payload_goes_out_in_the_binary_safe_form() {
    // 600 bytes of text do not fit in `AT+MPUB` inside a 512-byte `RESP`: the client uses
    // `AT+MPUBEX` with its length instead of failing.
    let payload = format!(
        "{{\"id\":\"1\",\"params\":{{\"s\":\"{}\"}}}}",
        "a".repeat(572)
    );
    assert_eq!(payload.len(), 600);
    let script = format!(
        ">> AT+MPUBEX=\"t\",1,0,600\n<<| \"\\r\\n>\"\n>>| \"{}\"\n<< OK\n<< PUBACK\n",
        payload.replace('"', "\\\"")
    );
    let mut c = l(&script);
    block_on(c.mqtt_publish(c.mqtt_session(0), "t", payload.as_bytes(), 1, false)).unwrap();
    done(c.transport());
}

#[test]
fn a_quectel_topic_too_long_for_the_buffer_names_the_limit() {
    let topic = "t".repeat(600);
    let mut c = q("");
    let publish = QmtPublish {
        client: 0,
        msg_id: 1,
        qos: 1,
        retain: false,
        topic: &topic,
        payload: b"{}",
        form: PublishForm::Length,
    };
    assert_eq!(
        block_on(c.send(&publish)).unwrap_err(),
        Error::CommandTooLong { limit: 512 }
    );
    done(c.transport());
}

// 7. A refused receive mode.

#[test]
fn a_module_that_refuses_the_length_field_gets_no_session() {
    let mut c =
        q(">> AT+QMTCFG=\"version\",0,4\n<< OK\n>> AT+QMTCFG=\"recv/mode\",0,0,1\n<< ERROR\n");
    let s = MqttSession::new("h", 1883, MqttLogin::ClientId("dev"));
    assert_eq!(block_on(c.mqtt_start(&s)), Err(Error::Unsupported));
    // Nothing else was sent: no open, no connect.
    done(c.transport());
}

// 16. The prompt's space, whatever the read sizes.

fn prompt_frames(input: &[u8], chunk: usize) -> Vec<String> {
    let mut d: Decoder<Luat, [u8; 4]> = Decoder::new();
    d.expect_prompt();
    let mut out = Vec::new();
    let mut rest = input;
    let mut stuck = 0;
    while !rest.is_empty() || stuck < 2 {
        let take = chunk.min(rest.len());
        let n = d.feed(&rest[..take]);
        rest = &rest[n..];
        let before = out.len();
        while let Some(f) = d.next_frame() {
            out.push(match f {
                Ok(Frame::Line(l)) => format!("line {l:?}"),
                Ok(Frame::Echo(l)) => format!("echo {l:?}"),
                Ok(Frame::Prompt) => "prompt".to_string(),
                Ok(Frame::Data { bytes, remaining }) => format!("data {bytes:?} {remaining}"),
                Err(e) => format!("error {e:?}"),
            });
        }
        if rest.is_empty() && out.len() == before {
            stuck += 1;
        }
    }
    out
}

#[test]
fn the_space_after_a_prompt_is_skipped_the_same_for_every_chunking() {
    // Found by fuzzing: the space was skipped only when the line end and the space arrived
    // in one read.
    let input = b",\"\r\n>\r\n O,\rbc\r,\"\xd7";
    let whole = prompt_frames(input, input.len());
    for chunk in [1, 2, 3, 4, 64] {
        assert_eq!(prompt_frames(input, chunk), whole, "chunk {chunk}");
    }
    // The space belongs to the prompt only when it comes right after `>`.
    assert!(whole.contains(&"prompt".to_string()));
    assert_eq!(
        prompt_frames(b"\r\n> \r\nOK\r\n", 1),
        prompt_frames(b"\r\n> \r\nOK\r\n", 64)
    );
}

// Boot and teardown sequences, as modules send them.

/// The link events of the URCs in `bytes`, in order, as a `Reader<D, _>` reads them.
fn events<D: atmodem::codec::Dialect>(bytes: &[u8]) -> Vec<LinkEvent> {
    let mut r: Reader<D, [u8; 256]> = Reader::new();
    r.feed(bytes);
    let mut out = Vec::new();
    while let Some(item) = r.next_item() {
        if let Ok(atmodem::codec::Item::Urc(u)) = item
            && let Some(e) = D::link_event(&u)
        {
            out.push(e);
        }
    }
    out
}

#[test]
fn powered_down_then_a_late_pdp_deact_then_boot_are_each_their_link_event() {
    use atmodem::dialects::luat::Luat as L;
    use atmodem::dialects::quectel::Quectel as Qd;
    assert_eq!(
        events::<Qd>(
            b"\r\nPOWERED DOWN\r\n\r\n+QIURC: \"pdpdeact\",1\r\n\r\nRDY\r\n\r\nAPP RDY\r\n"
        ),
        vec![
            LinkEvent::PoweredDown,
            LinkEvent::BearerDown(1),
            LinkEvent::Rebooted
        ]
    );
    // Luat's `+PDP DEACT` and the SIMCom spelling with a colon.
    assert_eq!(
        events::<L>(b"\r\n+PDP DEACT\r\n\r\n+PDP: DEACT\r\n"),
        vec![LinkEvent::AllBearersDown, LinkEvent::AllBearersDown]
    );
}

#[test]
fn powered_down_in_the_middle_of_a_command_ends_it_at_once() {
    let mut c = q(">> AT+CSQ\n<< POWERED DOWN\n");
    assert_eq!(block_on(c.send(&Csq)).unwrap_err(), Error::Rebooted);
    assert!(c.links().mqtt_is_down(0) && c.links().bearer_is_down(1));
    done(c.transport());
}

#[test]
fn the_shutdown_notices_before_or_instead_of_powered_down_are_power_downs_too() {
    // A Quectel module turned off with its power key: `NORMAL POWER DOWN` first, then,
    // once it has left the network, `POWERED DOWN` (the UC20/EC2x hardware designs).
    assert_eq!(
        events::<Quectel>(b"\r\nNORMAL POWER DOWN\r\n\r\nPOWERED DOWN\r\n\r\nRDY\r\n"),
        vec![
            LinkEvent::PoweredDown,
            LinkEvent::PoweredDown,
            LinkEvent::Rebooted
        ]
    );
    // Luat and SIMCom after `AT+CPOWD=1`, and the automatic shutdowns on a supply out of
    // range: SIMCom's spelling with `-`, Quectel's with `_`.
    for line in [
        "NORMAL POWER DOWN",
        "UNDER-VOLTAGE POWER DOWN",
        "OVER-VOLTAGE POWER DOWN",
        "UNDER_VOLTAGE POWER DOWN",
        "OVER_VOLTAGE POWER DOWN",
    ] {
        let bytes = format!("\r\n{line}\r\n");
        assert_eq!(
            events::<Luat>(bytes.as_bytes()),
            vec![LinkEvent::PoweredDown],
            "{line}"
        );
        assert_eq!(
            events::<Quectel>(bytes.as_bytes()),
            vec![LinkEvent::PoweredDown],
            "{line}"
        );
    }
    // Warnings are not shutdowns, and nothing else is read into the notices.
    for line in [
        "UNDER-VOLTAGE WARNNING",
        "OVER_VOLTAGE WARNING",
        "NORMAL POWER DOWN 1",
        "NORMAL POWER",
        "POWER DOWN",
    ] {
        let bytes = format!("\r\n{line}\r\n");
        assert_eq!(events::<Luat>(bytes.as_bytes()), vec![], "{line}");
        assert_eq!(events::<Quectel>(bytes.as_bytes()), vec![], "{line}");
    }
}

#[test]
fn a_packet_domain_detach_or_a_context_the_module_ended_takes_the_links_down() {
    // 27.007 §10.1.19: a detach deactivates every active context and they are not reported
    // one by one; `ME PDN DEACT <cid>` is a context the module itself deactivated.
    let bytes = b"\r\n+CGEV: ME PDN ACT 1\r\n\r\n+CGEV: ME PDN DEACT 2\r\n\r\n+CGEV: NW DETACH\r\n\r\n+CGEV: ME DETACH\r\n";
    let want = vec![
        LinkEvent::BearerDown(2),
        LinkEvent::AllBearersDown,
        LinkEvent::AllBearersDown,
    ];
    assert_eq!(events::<Luat>(bytes), want);
    assert_eq!(events::<Quectel>(bytes), want);
    // A detach reported while a command runs: the command completes, the links are down.
    let mut c = l(">> AT+CSQ\n<< +CGEV: ME DETACH\n<< +CSQ: 20,99\n<< OK\n");
    assert!(!c.links().bearer_is_down(1));
    block_on(c.send(&Csq)).unwrap();
    assert!(c.links().bearer_is_down(1) && c.links().mqtt_is_down(0));
    done(c.transport());
}

#[test]
fn a_normal_power_down_in_the_middle_of_a_command_ends_it_at_once() {
    let mut c = l(">> AT+CSQ\n<< NORMAL POWER DOWN\n");
    assert_eq!(block_on(c.send(&Csq)).unwrap_err(), Error::Rebooted);
    assert!(c.links().bearer_is_down(1));
    done(c.transport());
    let mut c = q(">> AT+CSQ\n<< UNDER_VOLTAGE POWER DOWN\n");
    assert_eq!(block_on(c.send(&Csq)).unwrap_err(), Error::Rebooted);
    assert!(c.links().mqtt_is_down(0) && c.links().bearer_is_down(1));
    done(c.transport());
}

// Echo of data-phase bytes (BG77, BG770A with echo on).

#[test]
fn an_echoed_payload_that_reads_like_urcs_never_ends_a_session_or_the_command() {
    // The payload holds a line end, `+QMTSTAT: 0,1` and `OK`; the module echoes the command
    // (echo is on) and then the payload before its own `OK` and result.
    let payload = b"x\r\n+QMTSTAT: 0,1\r\nOK\r\n";
    let publish = QmtPublish {
        client: 0,
        msg_id: 1,
        qos: 1,
        retain: false,
        topic: "t",
        payload,
        form: PublishForm::Length,
    };
    let script = concat!(
        ">> AT+QMTPUBEX=0,1,1,0,\"t\",22\n",
        "<<| \"AT+QMTPUBEX=0,1,1,0,\\\"t\\\",22\\r\\r\\n> \"\n",
        ">>| \"x\\r\\n+QMTSTAT: 0,1\\r\\nOK\\r\\n\"\n",
        "<<| \"x\\r\\n+QMTSTAT: 0,1\\r\\nOK\\r\\n\"\n",
        "<< OK\n<< +QMTPUBEX: 0,1,0\n",
        ">> AT+CSQ\n<< +CSQ: 5,99\n<< OK\n",
    );
    // The same for every way of cutting the module's output into reads.
    for chunks in [&[][..], &[1], &[3, 7], &[2, 64]] {
        let sim = SimModem::new(script).unwrap().with_chunks(chunks);
        let mut state: State<256, 512, 256> = State::new();
        let mut c: Q = Client::new(sim, InstantDelay, &mut state);
        block_on(c.run(&publish)).unwrap();
        assert!(!c.links().mqtt_is_down(0), "{chunks:?}: {:?}", c.links());
        assert_eq!(c.queued_urcs(), 0, "{chunks:?}");
        assert_eq!(block_on(c.send(&Csq)).unwrap().rssi, 5);
        done(c.transport());
    }
}

#[test]
fn with_echo_off_a_payload_is_not_looked_for_in_the_answer() {
    // No echo of the command: the module does not echo data either; a payload that starts
    // like the answer (`\r\nOK`) must not make the client swallow the real `OK`.
    let publish = QmtPublish {
        client: 0,
        msg_id: 1,
        qos: 1,
        retain: false,
        topic: "t",
        payload: b"\r\nOK\r\n",
        form: PublishForm::Length,
    };
    let mut c = q(concat!(
        ">> AT+QMTPUBEX=0,1,1,0,\"t\",6\n<<| \"\\r\\n> \"\n",
        ">>| \"\\r\\nOK\\r\\n\"\n<< OK\n<< +QMTPUBEX: 0,1,0\n",
    ));
    block_on(c.run(&publish)).unwrap();
    done(c.transport());
}

// A body cut short by a reset.

#[test]
fn a_reset_in_the_middle_of_a_message_body_loses_no_line_after_it() {
    use atmodem::codec::{DecodeError, Frame};
    // 20 bytes announced; the module reset after 3: what follows is `RDY` and its boot lines,
    // and no closing quote comes where the payload should end.
    let bytes = b"\r\n+QMTRECV: 0,1,\"t\",20,\"abc\r\nRDY\r\n\r\nAPP RDY\r\n\r\n+CEREG: 1\r\n";
    let frames = |chunk: usize| {
        let mut d: Decoder<Quectel, [u8; 128]> = Decoder::new();
        let mut out = Vec::new();
        for part in bytes.chunks(chunk) {
            d.feed(part);
            while let Some(f) = d.next_frame() {
                out.push(match f {
                    Ok(Frame::Line(l)) => String::from_utf8_lossy(l).into_owned(),
                    Err(DecodeError::Truncated) => "<truncated>".into(),
                    other => format!("{other:?}"),
                });
            }
        }
        out
    };
    let whole = frames(bytes.len());
    assert_eq!(whole, ["<truncated>", "RDY", "APP RDY", "+CEREG: 1"]);
    for chunk in [1, 2, 5, 13] {
        assert_eq!(frames(chunk), whole, "chunk {chunk}");
    }
    // Luat: `+MSUB` with 30 bytes announced, cut short the same way (the check is made once
    // the 30 bytes have come).
    let luat = b"\r\n+MSUB: \"t\",30 byte,{\"a\":1\r\nRDY\r\n\r\n+CGREG: 1\r\n\r\n+CSQ: 9,99\r\n";
    let mut d: Decoder<Luat, [u8; 128]> = Decoder::new();
    d.feed(luat);
    let mut out = Vec::new();
    while let Some(f) = d.next_frame() {
        out.push(match f {
            Ok(Frame::Line(l)) => String::from_utf8_lossy(l).into_owned(),
            Err(e) => format!("{e:?}"),
            other => format!("{other:?}"),
        });
    }
    assert_eq!(out, ["Truncated", "RDY", "+CGREG: 1", "+CSQ: 9,99"]);
    // A whole message is untouched.
    let mut d: Decoder<Quectel, [u8; 128]> = Decoder::new();
    d.feed(b"\r\n+QMTRECV: 0,1,\"t\",5,\"a\r\nbc\"\r\n");
    assert_eq!(
        d.next_frame(),
        Some(Ok(Frame::Line(&b"+QMTRECV: 0,1,\"t\",5,\"a\r\nbc\""[..])))
    );
}
