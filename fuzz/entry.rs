//! Fuzz entry points, shared by the cargo-fuzz targets and the corpus replay test
//! (`tests/fuzz_corpus.rs`), so the seed corpus runs on stable Rust too.
//!
//! Each function must return normally for every input; a panic is a finding.
#![allow(
    dead_code,
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::panic
)]

use atmodem::client::State;
use atmodem::codec::{
    Decoder, Dialect, Expect, FinalCode, Frame, Generic, Item, Lines, PdpEvent, Prompt, Reader,
    Registration, SimState, Urc, token,
};
use atmodem::dialects::Command;
use atmodem::dialects::common::{CeregRead, Cgmr, Cgpaddr, Csq};
use atmodem::dialects::luat::{self, Luat};
use atmodem::dialects::quectel::{self, Quectel};

/// Owned copy of a frame, for comparing runs.
#[derive(Debug, PartialEq, Eq)]
enum Owned {
    Line(Vec<u8>),
    Echo(Vec<u8>),
    Prompt,
    Data(Vec<u8>, usize),
    Err,
}

fn drive<D: Dialect>(input: &[u8], chunks: &[usize], prompt: bool, cap: usize) -> Vec<Owned> {
    let mut d: Decoder<D, Vec<u8>> = Decoder::with_buffer(vec![0; cap]);
    if prompt {
        d.expect_prompt();
    }
    let mut out = Vec::new();
    let mut rest = input;
    let mut k = 0usize;
    let mut stalls = 0;
    while !rest.is_empty() {
        let size = chunks[k % chunks.len()].max(1).min(rest.len());
        k += 1;
        let mut part = &rest[..size];
        rest = &rest[size..];
        while !part.is_empty() {
            let n = d.feed(part);
            part = &part[n..];
            let mut produced = false;
            while let Some(f) = d.next_frame() {
                produced = true;
                out.push(match f {
                    Ok(Frame::Line(l)) => Owned::Line(l.to_vec()),
                    Ok(Frame::Echo(l)) => Owned::Echo(l.to_vec()),
                    Ok(Frame::Prompt) => Owned::Prompt,
                    Ok(Frame::Data { bytes, remaining }) => Owned::Data(bytes.to_vec(), remaining),
                    Err(_) => Owned::Err,
                });
                // Announce data now and then, as a client does after `CONNECT`.
                if let Some(Owned::Line(l)) = out.last()
                    && l.as_slice() == b"CONNECT"
                {
                    d.expect_data(7);
                }
            }
            if n == 0 && !produced {
                stalls += 1;
                assert!(stalls < 3, "decoder stalled");
            } else {
                stalls = 0;
            }
        }
    }
    out
}

/// Arbitrary modem bytes through the framer and the classifier. The first bytes choose the
/// buffer size, the chunk sizes and whether a prompt is expected; the frames must be the same
/// as when the bytes are fed whole.
pub fn decoder(data: &[u8]) {
    let Some((&head, rest)) = data.split_first() else {
        return;
    };
    let Some((&c2, input)) = rest.split_first() else {
        return;
    };
    let cap = 4 + usize::from(head & 0x3f);
    let prompt = head & 0x80 != 0;
    let chunks = [usize::from(c2 & 0x0f) + 1, usize::from(c2 >> 4) + 1, 64];
    // The dialect decides the payload rules: bit 6 of the first byte picks one.
    if head & 0x40 == 0 {
        same_frames::<Quectel>(input, &chunks, prompt, cap);
        classify::<Quectel>(input, cap);
    } else {
        same_frames::<Luat>(input, &chunks, prompt, cap);
        classify::<Luat>(input, cap);
    }
    same_frames::<Generic>(input, &chunks, prompt, cap);
}

fn same_frames<D: Dialect>(input: &[u8], chunks: &[usize], prompt: bool, cap: usize) {
    let whole = drive::<D>(input, &[usize::MAX], prompt, cap);
    let cut = drive::<D>(input, chunks, prompt, cap);
    assert_eq!(whole, cut, "chunking changed the frames");
}

fn classify<D: Dialect>(input: &[u8], cap: usize) {
    let mut r: Reader<D, Vec<u8>> = Reader::with_buffer(vec![0; cap]);
    r.begin(Expect::tokens(&[b"+CSQ"]));
    let mut rest = input;
    while !rest.is_empty() {
        let n = r.feed(rest);
        rest = &rest[n..];
        loop {
            let ended = match r.next_item() {
                None => break,
                Some(item) => matches!(item, Ok(Item::Final(_) | Item::Unsolicited(_))),
            };
            if ended {
                r.begin(Expect::BARE);
            }
        }
    }
}

/// One line through every line parser.
pub fn urc(line: &[u8]) {
    let tok = token(line);
    assert!(line.starts_with(tok) || tok == line);
    let _ = Urc::parse(tok, line);
    let _ = FinalCode::parse(line);
    let _ = Prompt::parse_line(line);
    let _ = Registration::parse_read(b"+CEREG", line);
    let _ = Registration::parse_urc(b"+CREG", line);
    let _ = SimState::parse(line);
    let _ = PdpEvent::parse(line);
    // The dialects' URC parsers and payload rules.
    if let Some(u) = Quectel::parse_urc(tok, line) {
        let _ = Quectel::link_event(&u);
        if let Some((_, m)) = u.message() {
            assert!(m.payload.len() <= line.len());
        }
    }
    if let Some(u) = Luat::parse_urc(tok, line) {
        let _ = Luat::link_event(&u);
        if let Some(m) = u.message() {
            assert!(m.payload.len() <= line.len());
        }
    }
    for framing in [Quectel::framing(line), Luat::framing(line)] {
        if let atmodem::codec::Framing::Inline { header, .. } = framing {
            assert!(header <= line.len(), "payload starts inside the head");
        }
    }
    // The typed response parsers, on the line as an information response.
    let lines = [line];
    let l = Lines::from_slice(&lines);
    let _ = Csq.parse(l);
    let _ = Cgmr.parse(l).map(|r| r.luat_firmware());
    let _ = CeregRead.parse(l);
    let _ = Cgpaddr::default().parse(l).map(|a| a.iter().count());
    let _ = quectel::QengServingCell.parse(l);
    let _ = quectel::QmtSetting::parse(line);
    let _ = quectel::QmtConnRead.parse(l);
    let _ = quectel::QmtOpenRead.parse(l).map(|a| a.iter().count());
    let _ = quectel::QmtRecvRead.parse(l);
    let _ = quectel::QiactRead.parse(l);
    let _ = luat::SapbrQuery { cid: 1 }.parse(l).map(|b| b.ipv4());
    let _ = luat::HttpRead::default().parse(l);
    let _ = luat::HttpSslRead.parse(l);
    let _ = luat::MqttStatu.parse(l);
    let _ = luat::MqttMsgGet.parse(l).map(|m| m.iter().count());
    let _ = luat::MqttMsgGetRead.parse(l);
}

/// A whole flow of client calls against arbitrary modem output, with a clock whose delays end
/// at once. Byte 0 picks the dialect (bit 0) and the read sizes (the rest); every call must
/// end, with a result or an error, and nothing may panic.
pub fn client(data: &[u8]) {
    use atmodem::client::{
        Bearer, BearerConfig, Client, Http, HttpPost, Mqtt, MqttLogin, MqttSession,
    };
    use atmodem::sim::{InstantDelay, SimModem};
    use embassy_futures::block_on;

    let Some((&head, modem)) = data.split_first() else {
        return;
    };
    let chunks = [
        usize::from(head >> 1 & 0x0f) + 1,
        usize::from(head >> 5) + 1,
    ];
    let sim = SimModem::babbling(modem).with_chunks(&chunks);
    let session = MqttSession::new("h", 1883, MqttLogin::ClientId("id"));
    let post = HttpPost::form(
        "https://iot-auth.cn-shanghai.aliyuncs.com/auth/register/device",
        b"a=1",
    );
    let mut body = [0u8; 64];
    if head & 1 == 0 {
        let mut state: State<128, 128, 128> = State::new();
        let mut c: Client<SimModem, InstantDelay, Quectel> =
            Client::new(sim, InstantDelay, &mut state);
        block_on(async {
            let _ = c.wait_network(3_000).await;
            let _ = c.bearer_up(&BearerConfig::default()).await;
            let _ = c.bearer_address(1).await.map(str::len);
            let _ = c.http_post(&post, &mut body).await;
            let _ = c.mqtt_start(&session).await;
            let _ = c.mqtt_subscribe(c.mqtt_session(0), "t", 1).await;
            let _ = c
                .mqtt_publish(c.mqtt_session(0), "t", b"{\"a\":1}", 1, false)
                .await;
            let _ = c
                .mqtt_next_message(c.mqtt_session(0), 1_000)
                .await
                .map(|m| m.payload.len());
            let _ = c.mqtt_close(c.mqtt_session(0)).await;
        });
        let _ = c.stats();
    } else {
        let mut state: State<128, 128, 128> = State::new();
        let mut c: Client<SimModem, InstantDelay, Luat> =
            Client::new(sim, InstantDelay, &mut state);
        block_on(async {
            let _ = c.wait_network(3_000).await;
            let _ = c.bearer_up(&BearerConfig::default()).await;
            let _ = c.http_post(&post, &mut body).await;
            let _ = c.mqtt_start(&session).await;
            let _ = c.mqtt_subscribe(c.mqtt_session(0), "t", 1).await;
            let _ = c
                .mqtt_publish(c.mqtt_session(0), "t", b"\x00binary", 1, false)
                .await;
            let _ = c
                .mqtt_next_message(c.mqtt_session(0), 1_000)
                .await
                .map(|m| m.topic.len());
            let _ = c.mqtt_disconnect(c.mqtt_session(0)).await;
        });
        let _ = c.stats();
    }
}

/// A behavioural modem for [`client_script`]: it answers each command line in order (a real
/// module answers serially), as the plan drawn from the fuzz input says: with its tagged
/// response lines and `OK`, with `ERROR`, with nothing, late (held for some reads, during which
/// everything behind it waits), with noise before it, or by rebooting (every pending answer
/// is lost and `RDY` comes). Once the plan is used up, or [`ScriptModem::calm`] is set, every
/// command is answered at once and correctly.
pub struct ScriptModem {
    plan: std::collections::VecDeque<[u8; 3]>,
    fifo: std::collections::VecDeque<(u8, Vec<u8>)>,
    out: std::collections::VecDeque<u8>,
    line: Vec<u8>,
    chunk: usize,
    /// Answer everything at once and correctly from now on.
    pub calm: bool,
    /// What the modem answered to each tagged command.
    pub answers: std::collections::HashMap<usize, Answer>,
}

/// What [`ScriptModem`] answered to a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// Its lines (this many) and `OK`.
    Ok(usize),
    /// `ERROR`.
    Error,
    /// `+CME ERROR: 3`.
    Cme,
    /// Nothing.
    None,
    /// A reboot.
    Reboot,
}

impl ScriptModem {
    fn new(plan: &[u8], chunk: usize) -> Self {
        Self {
            plan: plan.chunks_exact(3).map(|c| [c[0], c[1], c[2]]).collect(),
            fifo: Default::default(),
            out: Default::default(),
            line: Vec::new(),
            chunk: chunk.max(1),
            calm: false,
            answers: Default::default(),
        }
    }

    fn answer(&mut self, command: &[u8]) {
        let [kind, hold, extra] = match (self.calm, self.plan.pop_front()) {
            (false, Some(p)) => p,
            _ => [0, 0, 0],
        };
        let hold = hold % 4;
        let mut bytes = Vec::new();
        if kind & 0x10 != 0 {
            // Noise first: an unrelated URC, or bytes from the high half (never a result code).
            if extra & 1 == 0 {
                bytes.extend_from_slice(b"\r\n+CEREG: 1\r\n");
            } else {
                bytes.extend(std::iter::repeat_n(
                    0x80 | (extra >> 1),
                    usize::from(extra % 5),
                ));
            }
        }
        let text = String::from_utf8_lossy(command).into_owned();
        let query = |q: &str| -> Option<&'static str> {
            Some(match q {
                "+CMEE?" => "+CMEE: 1",
                "+CSCS?" => "+CSCS: \"GSM\"",
                "+CMGF?" => "+CMGF: 0",
                "+CGEREP?" => "+CGEREP: 0,0",
                "+CRC?" => "+CRC: 0",
                "+CSMS?" => "+CSMS: 0,1,1,1",
                _ => return None,
            })
        };
        let tag = text
            .strip_prefix("AT+XTAG=")
            .and_then(|t| t.parse::<usize>().ok());
        let body: Option<String> = if let Some(tag) = tag {
            let m = usize::from(extra % 6);
            let mut s = String::new();
            for j in 0..m {
                s.push_str(&format!("\r\n+XTAG: {tag},{j},{m}\r\n"));
            }
            Some(s)
        } else if text == "ATV1" || text == "AT" {
            Some(String::new())
        } else if let Some(queries) = text.strip_prefix("AT") {
            // One or more queries on one line, answered in order.
            let mut s = String::new();
            let mut known = !queries.is_empty();
            for q in queries.split(';') {
                match query(q) {
                    Some(line) => s.push_str(&format!("\r\n{line}\r\n")),
                    None => known = false,
                }
            }
            known.then_some(s)
        } else {
            None
        };
        let answer = match (kind & 0x0f, body.is_some()) {
            (_, false) | (7 | 8, true) => Answer::Error,
            (0..=6, true) => Answer::Ok(usize::from(extra % 6)),
            (9 | 10, true) => Answer::Cme,
            (11..=13, true) => Answer::None,
            (_, true) => Answer::Reboot,
        };
        if let Some(tag) = tag {
            self.answers.insert(tag, answer);
        }
        match (answer, body) {
            (Answer::Ok(_), Some(b)) => {
                bytes.extend_from_slice(b.as_bytes());
                bytes.extend_from_slice(b"\r\nOK\r\n");
            }
            (Answer::Error, _) | (_, None) => bytes.extend_from_slice(b"\r\nERROR\r\n"),
            (Answer::Cme, _) => bytes.extend_from_slice(b"\r\n+CME ERROR: 3\r\n"),
            (Answer::None, _) => {}
            (Answer::Reboot, _) => {
                // Pending answers are lost.
                self.fifo.clear();
                self.out.clear();
                bytes.clear();
                bytes.extend_from_slice(b"\r\nRDY\r\n");
            }
        }
        self.fifo.push_back((hold, bytes));
    }
}

impl embedded_io::ErrorType for ScriptModem {
    type Error = embedded_io::ErrorKind;
}

impl embedded_io_async::Read for ScriptModem {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        loop {
            if !self.out.is_empty() {
                let n = self.chunk.min(buf.len()).min(self.out.len());
                for b in buf.iter_mut().take(n) {
                    *b = self.out.pop_front().unwrap();
                }
                return Ok(n);
            }
            match self.fifo.front_mut() {
                Some((hold, _)) if *hold > 0 && !self.calm => {
                    *hold -= 1;
                    // Silent for this read: the client's wait times out.
                    core::future::pending::<()>().await;
                }
                Some(_) => {
                    let (_, bytes) = self.fifo.pop_front().unwrap();
                    self.out.extend(bytes);
                }
                None => core::future::pending::<()>().await,
            }
        }
    }
}

impl embedded_io_async::Write for ScriptModem {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
        for &b in buf {
            if b == b'\r' {
                let line = core::mem::take(&mut self.line);
                self.answer(&line);
            } else {
                self.line.push(b);
            }
        }
        Ok(buf.len())
    }

    async fn flush(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// The client against [`ScriptModem`], with oracles: a call's `Ok` carries exactly the lines
/// answered to that very command (never a late answer of another, never a line short: every
/// line or [`ResponseTooLong`](atmodem::client::Error::ResponseTooLong)); once the modem
/// behaves, one more command succeeds. Byte 0 picks the read size and the number of calls;
/// then three bytes per answer (kind, hold, extra).
pub fn client_script(data: &[u8]) {
    use atmodem::client::{Client, Error, Request};
    use atmodem::sim::InstantDelay;
    use embassy_futures::block_on;

    let Some((&head, plan)) = data.split_first() else {
        return;
    };
    let calls = usize::from(head >> 4) + 1;
    let modem = ScriptModem::new(plan, usize::from(head & 0x0f) + 1);
    let mut state: State<128, 96, 128> = State::new();
    let mut c: Client<ScriptModem, InstantDelay, Quectel> =
        Client::new(modem, InstantDelay, &mut state);
    const EXPECT: Expect = Expect::tokens(&[b"+XTAG"]);
    type C<'s> = Client<'s, ScriptModem, InstantDelay, Quectel>;
    // A call's outcome must be the modem's answer to that very command.
    let check = |c: &C, tag: usize, result: &Result<usize, Error<embedded_io::ErrorKind>>| {
        let answered = c.transport().answers.get(&tag).copied();
        match result {
            Ok(_) => {
                let lines: Vec<Vec<u8>> = c.response_lines().map(<[u8]>::to_vec).collect();
                let m = lines.len();
                assert_eq!(
                    answered,
                    Some(Answer::Ok(m)),
                    "call {tag}: Ok with {m} lines"
                );
                for (j, l) in lines.iter().enumerate() {
                    assert_eq!(l, format!("+XTAG: {tag},{j},{m}").as_bytes(), "call {tag}");
                }
            }
            Err(Error::ResponseTooLong) => {
                assert!(
                    matches!(answered, Some(Answer::Ok(_))),
                    "call {tag}: {answered:?}"
                );
            }
            Err(Error::Error { .. }) => assert_eq!(answered, Some(Answer::Error), "call {tag}"),
            Err(e @ Error::Cme { .. }) if e.cme_number() == Some(3) => {
                assert_eq!(answered, Some(Answer::Cme), "call {tag}")
            }
            Err(Error::Timeout(_) | Error::Rebooted) => {}
            Err(e) => panic!("call {tag}: unexpected {e:?}"),
        }
    };
    for tag in 0..calls {
        let cmd = format!("AT+XTAG={tag}\r");
        let req = Request::new(cmd.as_bytes(), EXPECT, 1000);
        let result = block_on(c.exchange(&req, None));
        check(&c, tag, &result);
    }
    c.transport_mut().calm = true;
    let tag = 99;
    let cmd = format!("AT+XTAG={tag}\r");
    let req = Request::new(cmd.as_bytes(), EXPECT, 1000);
    let result = block_on(c.exchange(&req, None));
    assert!(
        matches!(result, Ok(_) | Err(Error::ResponseTooLong)),
        "the modem behaves again, yet the last call failed: {result:?}"
    );
    check(&c, tag, &result);
}
