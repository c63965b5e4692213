//! An AT log decoder: shows exactly what the library understood of a serial log.
//!
//! ```text
//! cargo run --example decode -- [--dialect quectel|luat] [--chunk N] [--capacity N] [--raw] [FILE]
//! ```
//!
//! Reads modem traffic from FILE or stdin: by default a transcript (`>>` host lines tell the
//! decoder which command is in flight), with `--raw` plain modem bytes (an echoed `AT...`
//! line then tells it). Feeds the modem bytes to the decoder in chunks of N bytes (default:
//! all at once) with a decoder buffer of `--capacity` bytes (default 4608, room for a 4 KiB
//! payload and its header), and prints one JSON object per decoded item on stdout:
//!
//! - `{"kind":"echo","line":"AT+CSQ"}`
//! - `{"kind":"response","name":"+CSQ","line":"+CSQ: 20,99",...typed fields}`
//! - `{"kind":"final","code":"OK"}`, `{"kind":"final","code":"+CME ERROR","error":"767"}`;
//!   a final code with no command in flight also has `"unsolicited":true`
//! - `{"kind":"prompt"}` for `>`; `CONNECT`/`DOWNLOAD` add `"prompt":"CONNECT"`
//! - `{"kind":"data","len":12}` for a length-delimited body that is not part of a URC
//! - `{"kind":"urc","name":"+CEREG",...typed fields}` (unknown URCs carry `"line"`)
//! - `{"kind":"error","what":"overflow"|"garbage"|"parse",...}`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::io::{Read, Write};
use std::process::ExitCode;

use atmodem::codec::{
    Dialect, ErrorCode, Expect, FinalCode, Generic, Item, PdpEvent, Prompt, Reader, Registration,
    SimState, Urc, token,
};
use atmodem::transcript::{self, Event};

/// A JSON object under construction.
struct Obj(String);

impl Obj {
    fn new(kind: &str) -> Self {
        let mut o = Obj(String::from("{"));
        o.str("kind", kind);
        o
    }
    fn key(&mut self, k: &str) {
        if self.0.len() > 1 {
            self.0.push(',');
        }
        self.0.push_str(&json_text(k.as_bytes()));
        self.0.push(':');
    }
    fn str(&mut self, k: &str, v: &str) -> &mut Self {
        self.bytes(k, v.as_bytes())
    }
    fn bytes(&mut self, k: &str, v: &[u8]) -> &mut Self {
        self.key(k);
        self.0.push_str(&json_text(v));
        self
    }
    fn num(&mut self, k: &str, v: impl std::fmt::Display) -> &mut Self {
        self.key(k);
        self.0.push_str(&v.to_string());
        self
    }
    fn bool(&mut self, k: &str, v: bool) -> &mut Self {
        self.num(k, v)
    }
    fn opt_str(&mut self, k: &str, v: Option<&str>) -> &mut Self {
        if let Some(v) = v {
            self.str(k, v);
        }
        self
    }
    fn opt_num(&mut self, k: &str, v: Option<impl std::fmt::Display>) -> &mut Self {
        if let Some(v) = v {
            self.num(k, v);
        }
        self
    }
    /// A payload: a string when it is UTF-8, else `"payload_hex"`.
    #[allow(dead_code)] // for the dialects' message URCs
    fn payload(&mut self, v: &[u8]) -> &mut Self {
        match std::str::from_utf8(v) {
            Ok(s) => self.str("payload", s),
            Err(_) => {
                let hex: String = v.iter().map(|b| format!("{b:02x}")).collect();
                self.str("payload_hex", &hex)
            }
        }
    }
    fn done(mut self) -> String {
        self.0.push('}');
        self.0
    }
}

/// JSON string of text bytes (invalid UTF-8 replaced).
fn json_text(b: &[u8]) -> String {
    let s = String::from_utf8_lossy(b);
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// How a dialect's URCs are printed.
trait Render {
    /// Fill `o` (kind "urc") with the URC's name and typed fields; `Err(name)` when the URC
    /// is a known token whose fields did not parse.
    fn render(&self, o: &mut Obj) -> Result<(), ()>;
}

fn registration(o: &mut Obj, r: &Registration<'_>) {
    o.opt_num("n", r.n)
        .num("stat", u8::from(r.stat))
        .bool("registered", r.stat.is_registered())
        .opt_str("area", r.area)
        .opt_str("cell", r.cell)
        .opt_num("act", r.act);
}

fn sim_state(s: &SimState<'_>) -> String {
    match s {
        SimState::Ready => "READY".into(),
        SimState::SimPin => "SIM PIN".into(),
        SimState::SimPuk => "SIM PUK".into(),
        SimState::SimPin2 => "SIM PIN2".into(),
        SimState::SimPuk2 => "SIM PUK2".into(),
        SimState::PhSimPin => "PH-SIM PIN".into(),
        SimState::NotInserted => "NOT INSERTED".into(),
        SimState::NotReady => "NOT READY".into(),
        SimState::Other(t) => (*t).into(),
    }
}

impl Render for Urc<'_> {
    fn render(&self, o: &mut Obj) -> Result<(), ()> {
        match self {
            Urc::Creg(r) | Urc::Cgreg(r) | Urc::Cereg(r) => {
                let name = match self {
                    Urc::Creg(_) => "+CREG",
                    Urc::Cgreg(_) => "+CGREG",
                    _ => "+CEREG",
                };
                o.str("name", name);
                registration(o, r);
            }
            Urc::Cpin(s) => {
                o.str("name", "+CPIN").str("state", &sim_state(s));
            }
            Urc::Cgev(e) => {
                o.str("name", "+CGEV");
                let (event, cid) = match e {
                    PdpEvent::NwPdnAct(c) => ("NW PDN ACT", Some(c)),
                    PdpEvent::NwPdnDeact(c) => ("NW PDN DEACT", Some(c)),
                    PdpEvent::MePdnAct(c) => ("ME PDN ACT", Some(c)),
                    PdpEvent::MePdnDeact(c) => ("ME PDN DEACT", Some(c)),
                    PdpEvent::NwDetach => ("NW DETACH", None),
                    PdpEvent::MeDetach => ("ME DETACH", None),
                    PdpEvent::Other(t) => (*t, None),
                };
                o.str("event", event).opt_num("cid", cid);
            }
            Urc::Ready => {
                o.str("name", "RDY");
            }
            Urc::PoweredDown => {
                o.str("name", "POWERED DOWN");
            }
            Urc::Malformed { token, line } => {
                o.bytes("name", token).bytes("line", line);
                return Err(());
            }
        }
        Ok(())
    }
}

/// Typed fields of a response line, where the example knows its shape.
fn response_fields(o: &mut Obj, tok: &[u8], line: &[u8]) {
    match tok {
        b"+CEREG" | b"+CGREG" | b"+CREG" => {
            let t: &'static [u8] = match tok {
                b"+CEREG" => b"+CEREG",
                b"+CGREG" => b"+CGREG",
                _ => b"+CREG",
            };
            if let Some(r) = Registration::parse_read(t, line) {
                registration(o, &r);
            }
        }
        b"+CPIN" => {
            if let Some(s) = SimState::parse(line) {
                o.str("state", &sim_state(&s));
            }
        }
        b"+CSQ" => {
            let text = String::from_utf8_lossy(line);
            if let Some((a, b)) = text.trim_start_matches("+CSQ:").trim().split_once(',')
                && let (Ok(rssi), Ok(ber)) = (a.trim().parse::<u8>(), b.trim().parse::<u8>())
            {
                o.num("rssi", rssi).num("ber", ber);
            }
        }
        _ => {}
    }
}

struct Options {
    dialect: String,
    chunk: usize,
    capacity: usize,
    raw: bool,
    file: Option<String>,
}

fn parse_args() -> Result<Options, String> {
    let mut o = Options {
        dialect: "quectel".into(),
        chunk: 0,
        capacity: 4608,
        raw: false,
        file: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match a.as_str() {
            "--dialect" => o.dialect = value("--dialect")?,
            "--chunk" => {
                o.chunk = value("--chunk")?
                    .parse()
                    .map_err(|_| "--chunk takes a number".to_string())?
            }
            "--capacity" => {
                o.capacity = value("--capacity")?
                    .parse()
                    .map_err(|_| "--capacity takes a number".to_string())?
            }
            "--raw" => o.raw = true,
            "-h" | "--help" => return Err(String::new()),
            f if !f.starts_with("--") && o.file.is_none() => o.file = Some(f.into()),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if o.capacity < 4 {
        return Err("--capacity must be at least 4".into());
    }
    if !matches!(o.dialect.as_str(), "quectel" | "luat" | "generic") {
        return Err(format!("unknown dialect {}", o.dialect));
    }
    Ok(o)
}

/// What the response of a command line looks like, from its text: the token is the command
/// name (`AT+CSQ` → `+CSQ`); identification commands answer with bare text.
fn expect_for(cmd: &[u8]) -> (Expect, bool) {
    let cmd = cmd.strip_suffix(b"\r").unwrap_or(cmd);
    let upper = cmd.to_ascii_uppercase();
    let Some(rest) = upper.strip_prefix(b"AT") else {
        return (Expect::NOTHING, false);
    };
    let end = rest
        .iter()
        .position(|b| matches!(b, b'=' | b'?'))
        .unwrap_or(rest.len());
    let name = &rest[..end];
    let bare = matches!(
        name,
        b"I" | b"+GMR" | b"+CGMR" | b"+CGSN" | b"+GSN" | b"+CIMI" | b"+CGMM" | b"+CGMI" | b"+GMM"
    );
    // Commands answered by a `>` prompt (the length / Ctrl-Z forms).
    let prompt = matches!(
        name,
        b"+QMTPUB" | b"+MPUBEX" | b"+CMGS" | b"+QISEND" | b"+CIPSEND"
    ) || (name == b"+QMTPUBEX" && cmd.last() != Some(&b'"'));
    // Action commands whose result arrives later as a URC of the same name.
    let set = rest.get(end) == Some(&b'=') && rest.get(end + 1) != Some(&b'?');
    let result_urc = set
        && matches!(
            name,
            b"+QMTOPEN"
                | b"+QMTCLOSE"
                | b"+QMTCONN"
                | b"+QMTDISC"
                | b"+QMTSUB"
                | b"+QMTUNS"
                | b"+QMTPUB"
                | b"+QMTPUBEX"
                | b"+QHTTPGET"
                | b"+QHTTPPOST"
                | b"+HTTPACTION"
        );
    let tokens: &'static [&'static [u8]] = if name.first() == Some(&b'+') && !result_urc {
        let tok: &'static [u8] = Box::leak(name.to_vec().into_boxed_slice());
        let extra: &'static [u8] = if name == b"+CGMR" { b"Revision" } else { b"" };
        Box::leak(vec![tok, extra].into_boxed_slice())
    } else {
        &[]
    };
    (Expect { tokens, bare }, prompt)
}

/// Decoding state across the input.
struct Run<D: Dialect> {
    reader: Reader<D, Vec<u8>>,
    raw: bool,
    out: std::io::BufWriter<std::io::Stdout>,
    /// Bytes of length-delimited data seen so far (pieces are summed into one item).
    data_len: usize,
    /// `<content_length>` of the last Quectel `+QHTTPGET`/`+QHTTPPOST` result.
    http_len: Option<usize>,
    /// The command in flight is Quectel `AT+QHTTPREAD`.
    qhttpread: bool,
}

impl<D: Dialect> Run<D>
where
    for<'a> D::Urc<'a>: Render,
{
    fn command(&mut self, cmd: &[u8]) {
        let (expect, prompt) = expect_for(cmd);
        self.reader.classifier.begin(expect);
        if prompt {
            self.reader.decoder.expect_prompt();
        }
        self.qhttpread = cmd.to_ascii_uppercase().starts_with(b"AT+QHTTPREAD");
    }

    fn modem(&mut self, bytes: &[u8], chunk: usize) {
        let size = if chunk == 0 {
            bytes.len().max(1)
        } else {
            chunk
        };
        for part in bytes.chunks(size) {
            let mut part = part;
            while !part.is_empty() {
                let n = self.reader.feed(part);
                part = &part[n..];
                self.drain();
            }
        }
    }

    fn drain(&mut self) {
        loop {
            let mut begin: Option<Vec<u8>> = None;
            let mut announce: Option<usize> = None;
            let line = match self.reader.next_item() {
                None => return,
                Some(Err(e)) => {
                    let mut o = Obj::new("error");
                    match e {
                        atmodem::codec::DecodeError::Overflow => {
                            o.str("what", "overflow");
                        }
                        atmodem::codec::DecodeError::Garbage(n) => {
                            o.str("what", "garbage").num("len", n);
                        }
                    }
                    Some(o.done())
                }
                Some(Ok(item)) => match item {
                    Item::Echo(l) => {
                        if self.raw {
                            begin = Some(l.to_vec());
                        }
                        let mut o = Obj::new("echo");
                        o.bytes("line", l);
                        Some(o.done())
                    }
                    Item::Prompt(p) => {
                        let mut o = Obj::new("prompt");
                        match p {
                            Prompt::Angle => {}
                            Prompt::Connect(text) => {
                                o.str("prompt", "CONNECT").opt_str("text", text);
                                if self.qhttpread {
                                    announce = self.http_len;
                                }
                            }
                            Prompt::Download => {
                                o.str("prompt", "DOWNLOAD");
                            }
                        }
                        Some(o.done())
                    }
                    Item::Response { token: tok, line } => {
                        let mut o = Obj::new("response");
                        o.bytes("name", tok).bytes("line", line);
                        response_fields(&mut o, tok, line);
                        Some(o.done())
                    }
                    Item::Final(code) | Item::Unsolicited(code) => {
                        let mut o = Obj::new("final");
                        o.str("code", code.name());
                        match code {
                            FinalCode::Cme(e) | FinalCode::Cms(e) => {
                                let text = match e {
                                    ErrorCode::Code(n) => n.to_string(),
                                    ErrorCode::Text(t) => t.to_string(),
                                };
                                o.str("error", &text);
                            }
                            _ => {}
                        }
                        if matches!(item, Item::Unsolicited(_)) {
                            o.bool("unsolicited", true);
                        }
                        Some(o.done())
                    }
                    Item::Data { bytes, remaining } => {
                        self.data_len += bytes.len();
                        if remaining == 0 {
                            let mut o = Obj::new("data");
                            o.num("len", std::mem::take(&mut self.data_len));
                            Some(o.done())
                        } else {
                            None
                        }
                    }
                    Item::Urc(u) => {
                        let mut o = Obj::new("urc");
                        if u.render(&mut o).is_ok() {
                            Some(o.done())
                        } else {
                            let mut e = Obj::new("error");
                            e.str("what", "parse");
                            e.0.push(',');
                            e.0.push_str(&o.0[1..]);
                            Some(e.done().replacen("\"kind\":\"urc\",", "", 1))
                        }
                    }
                    Item::Unknown { token: tok, line } => {
                        if let Some(len) = quectel_http_len(tok, line) {
                            self.http_len = Some(len);
                        }
                        let mut o = Obj::new("urc");
                        o.bytes("name", tok).bytes("line", line);
                        Some(o.done())
                    }
                },
            };
            if let Some(line) = line {
                writeln!(self.out, "{line}").unwrap();
            }
            if let Some(cmd) = begin {
                self.command(&cmd);
            }
            if let Some(len) = announce {
                self.reader.decoder.expect_data(len);
            }
        }
    }
}

/// `<content_length>` from `+QHTTPGET: 0,200,143` / `+QHTTPPOST: 0,200,143`.
fn quectel_http_len(tok: &[u8], line: &[u8]) -> Option<usize> {
    if tok != b"+QHTTPGET" && tok != b"+QHTTPPOST" {
        return None;
    }
    let text = std::str::from_utf8(line).ok()?;
    let fields: Vec<&str> = text.split_once(':')?.1.split(',').map(str::trim).collect();
    fields.get(2)?.parse().ok()
}

fn decode<D: Dialect>(o: &Options, input: &[u8]) -> Result<(), String>
where
    for<'a> D::Urc<'a>: Render,
{
    let mut run: Run<D> = Run {
        reader: Reader::with_buffer(vec![0u8; o.capacity]),
        raw: o.raw,
        out: std::io::BufWriter::new(std::io::stdout()),
        data_len: 0,
        http_len: None,
        qhttpread: false,
    };
    if o.raw {
        run.modem(input, o.chunk);
    } else {
        let text = std::str::from_utf8(input).map_err(|_| "transcript is not UTF-8")?;
        let events = transcript::parse(text).map_err(|e| e.to_string())?;
        for ev in events {
            match ev {
                Event::Command(cmd) => run.command(&cmd),
                Event::HostData(_) => {}
                Event::Modem(bytes) => run.modem(&bytes, o.chunk),
            }
        }
    }
    if let Some(atmodem::codec::Frame::Line(l)) = run.reader.decoder.flush_partial() {
        // A last line with no terminator: classify it as the client would after a pause.
        let tok = token(l);
        let mut o = Obj::new("urc");
        o.bytes("name", tok).bytes("line", l);
        writeln!(run.out, "{}", o.done()).unwrap();
    }
    run.out.flush().map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    let opts = match parse_args() {
        Ok(o) => o,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("decode: {e}");
            }
            eprintln!(
                "usage: decode [--dialect quectel|luat] [--chunk N] [--capacity N] [--raw] [FILE]"
            );
            return ExitCode::from(2);
        }
    };
    let mut input = Vec::new();
    let read = match &opts.file {
        Some(f) => std::fs::File::open(f).and_then(|mut file| file.read_to_end(&mut input)),
        None => std::io::stdin().read_to_end(&mut input),
    };
    if let Err(e) = read {
        eprintln!("decode: {e}");
        return ExitCode::from(1);
    }
    let result = decode::<Generic>(&opts, &input);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("decode: {e}");
            ExitCode::from(1)
        }
    }
}
