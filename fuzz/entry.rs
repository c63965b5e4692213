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
    r.classifier.begin(Expect::tokens(&[b"+CSQ"]));
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
                r.classifier.begin(Expect::BARE);
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
    let _ = quectel::QmtRecvQuery.parse(l);
    let _ = quectel::QiactRead.parse(l);
    let _ = luat::SapbrQuery { cid: 1 }.parse(l).map(|b| b.ipv4());
    let _ = luat::HttpRead::default().parse(l);
    let _ = luat::HttpSslRead.parse(l);
    let _ = luat::MqttStatu.parse(l);
    let _ = luat::MqttMsgGet.parse(l).map(|m| m.iter().count());
    let _ = luat::MqttMsgGetQuery.parse(l);
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
        let mut c: Client<SimModem, InstantDelay, Quectel, 128, 128, 128> =
            Client::new(sim, InstantDelay);
        block_on(async {
            let _ = c.wait_network(3_000).await;
            let _ = c.bearer_up(&BearerConfig::default()).await;
            let _ = c.bearer_address(1).await.map(str::len);
            let _ = c.http_post(&post, &mut body).await;
            let _ = c.mqtt_start(&session).await;
            let _ = c.mqtt_subscribe(0, "t", 1).await;
            let _ = c.mqtt_publish(0, "t", b"{\"a\":1}", 1, false).await;
            let _ = c.mqtt_next_message(0, 1_000).await.map(|m| m.payload.len());
            let _ = c.mqtt_close(0).await;
        });
        let _ = c.stats();
    } else {
        let mut c: Client<SimModem, InstantDelay, Luat, 128, 128, 128> =
            Client::new(sim, InstantDelay);
        block_on(async {
            let _ = c.wait_network(3_000).await;
            let _ = c.bearer_up(&BearerConfig::default()).await;
            let _ = c.http_post(&post, &mut body).await;
            let _ = c.mqtt_start(&session).await;
            let _ = c.mqtt_subscribe(0, "t", 1).await;
            let _ = c.mqtt_publish(0, "t", b"\x00binary", 1, false).await;
            let _ = c.mqtt_next_message(0, 1_000).await.map(|m| m.topic.len());
            let _ = c.mqtt_disconnect(0).await;
        });
        let _ = c.stats();
    }
}
