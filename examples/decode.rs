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
//! - `{"kind":"error","what":"overflow"|"garbage"|"parse",...}`; a line with noise inside its
//!   token is `{"kind":"error","what":"garbage","line":...}`
//!
//! Text that is not UTF-8 is printed as hex under the key with `_hex` appended (`"line_hex"`,
//! `"payload_hex"`): nothing is printed that was not on the wire.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::io::{self, Read, Write};
use std::process::ExitCode;

use atmodem::codec::Lines;
use atmodem::codec::{
    DecodeError, Dialect, ErrorCode, Expect, FinalCode, Generic, Item, PdpEvent, Prompt, Reader,
    Registration, SimState, Urc,
};
use atmodem::dialects::common::{CgattRead, Cgmr, Csq, PdpAddress, Revision};
use atmodem::dialects::luat::{BearerInfo, HttpRead, Luat, LuatUrc, MqttStatu, MsubUrc};
use atmodem::dialects::quectel::{
    HttpResult, MqttAck, Qind, Qiurc, QmtRecv, QmtSetting, Quectel, QuectelUrc, ServingCell,
};
use atmodem::dialects::{Command, MqttMessage};
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
    /// Text bytes as a JSON string; bytes that are not UTF-8 as `"<k>_hex"` instead, so
    /// that nothing is printed that was not on the wire (no replacement characters).
    fn bytes(&mut self, k: &str, v: &[u8]) -> &mut Self {
        if std::str::from_utf8(v).is_err() {
            let hex: String = v.iter().map(|b| format!("{b:02x}")).collect();
            self.key(&format!("{k}_hex"));
            self.0.push_str(&json_text(hex.as_bytes()));
            return self;
        }
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

/// JSON string of text bytes (callers pass UTF-8; anything else would be replaced).
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

/// Whether a token holds noise: a control byte but tab, DEL, or bytes that are not UTF-8.
fn has_noise(tok: &[u8]) -> bool {
    tok.iter().any(|&b| (b < 0x20 && b != b'\t') || b == 0x7f) || std::str::from_utf8(tok).is_err()
}

/// How a dialect's URCs are printed.
trait Render {
    /// Fill `o` (kind "urc") with the URC's name and typed fields; `Err(())` when the URC
    /// is a known token whose fields did not parse.
    fn render(&self, o: &mut Obj) -> Result<(), ()>;

    /// The `<content_length>` a Quectel HTTP result announces for the next `AT+QHTTPREAD`.
    fn http_len(&self) -> Option<usize> {
        None
    }
}

fn message(o: &mut Obj, m: &MqttMessage<'_>) {
    o.str("topic", m.topic).payload(m.payload);
}

fn ack(o: &mut Obj, name: &str, a: &MqttAck<'_>) {
    o.str("name", name)
        .num("client", a.client)
        .num("msg_id", a.msg_id)
        .num("result", a.result)
        .opt_str("value", a.value);
}

fn http_result(o: &mut Obj, name: &str, r: &HttpResult) {
    o.str("name", name)
        .num("err", r.err)
        .opt_num("status", r.status)
        .opt_num("content_length", r.content_length);
}

impl Render for QuectelUrc<'_> {
    fn render(&self, o: &mut Obj) -> Result<(), ()> {
        match self {
            QuectelUrc::Common(u) => return u.render(o),
            QuectelUrc::QmtOpen { client, result } => {
                o.str("name", "+QMTOPEN")
                    .num("client", client)
                    .num("result", result);
            }
            QuectelUrc::QmtClose { client, result } => {
                o.str("name", "+QMTCLOSE")
                    .num("client", client)
                    .num("result", result);
            }
            QuectelUrc::QmtDisc { client, result } => {
                o.str("name", "+QMTDISC")
                    .num("client", client)
                    .num("result", result);
            }
            QuectelUrc::QmtConn {
                client,
                result,
                ret_code,
            } => {
                o.str("name", "+QMTCONN")
                    .num("client", client)
                    .num("result", result)
                    .opt_num("ret_code", *ret_code);
            }
            QuectelUrc::QmtSub(a) => ack(o, "+QMTSUB", a),
            QuectelUrc::QmtUns(a) => ack(o, "+QMTUNS", a),
            QuectelUrc::QmtPub(a) => ack(o, "+QMTPUB", a),
            QuectelUrc::QmtPubEx(a) => ack(o, "+QMTPUBEX", a),
            QuectelUrc::QmtStat { client, err } => {
                o.str("name", "+QMTSTAT")
                    .num("client", client)
                    .num("err", err);
            }
            QuectelUrc::QmtPing { client, result } => {
                o.str("name", "+QMTPING")
                    .num("client", client)
                    .num("result", result);
            }
            QuectelUrc::QmtRecv(QmtRecv::Message {
                client,
                msg_id,
                len,
                message: m,
            }) => {
                o.str("name", "+QMTRECV")
                    .num("client", client)
                    .num("msg_id", msg_id)
                    .opt_num("len", *len);
                message(o, m);
            }
            QuectelUrc::QmtRecv(QmtRecv::Stored { client, recv_id }) => {
                o.str("name", "+QMTRECV")
                    .num("client", client)
                    .num("recv_id", recv_id);
            }
            QuectelUrc::Qiurc(q) => {
                o.str("name", "+QIURC");
                match q {
                    Qiurc::PdpDeact { cid } => o.str("event", "pdpdeact").num("cid", cid),
                    Qiurc::Recv { connect_id } => {
                        o.str("event", "recv").num("connect_id", connect_id)
                    }
                    Qiurc::Closed { connect_id } => {
                        o.str("event", "closed").num("connect_id", connect_id)
                    }
                    Qiurc::Other(t) => o.str("event", t),
                };
            }
            QuectelUrc::QhttpGet(r) => http_result(o, "+QHTTPGET", r),
            QuectelUrc::QhttpPost(r) => http_result(o, "+QHTTPPOST", r),
            QuectelUrc::QhttpRead { err } => {
                o.str("name", "+QHTTPREAD").num("err", err);
            }
            QuectelUrc::Cfun(f) => {
                o.str("name", "+CFUN").num("fun", f);
            }
            QuectelUrc::Qusim(n) => {
                o.str("name", "+QUSIM").num("value", n);
            }
            QuectelUrc::Qind(q) => {
                o.str("name", "+QIND").str(
                    "event",
                    match q {
                        Qind::SmsDone => "SMS DONE",
                        Qind::PbDone => "PB DONE",
                        Qind::Other(t) => t,
                    },
                );
            }
            QuectelUrc::AppReady => {
                o.str("name", "APP RDY");
            }
            QuectelUrc::Malformed { token, line } => {
                o.bytes("name", token).bytes("line", line.as_bytes());
                return Err(());
            }
        }
        Ok(())
    }

    fn http_len(&self) -> Option<usize> {
        match self {
            QuectelUrc::QhttpGet(r) | QuectelUrc::QhttpPost(r) => r.content_length,
            _ => None,
        }
    }
}

impl Render for LuatUrc<'_> {
    fn render(&self, o: &mut Obj) -> Result<(), ()> {
        let bare = |o: &mut Obj, name: &str| {
            o.str("name", name);
        };
        match self {
            LuatUrc::Common(u) => return u.render(o),
            LuatUrc::SapbrDeact { cid } => {
                o.str("name", "+SAPBR")
                    .str("event", "DEACT")
                    .num("cid", cid);
            }
            LuatUrc::PdpDeact => bare(o, "+PDP DEACT"),
            LuatUrc::HttpAction {
                method,
                status,
                len,
            } => {
                o.str("name", "+HTTPACTION")
                    .num("method", method)
                    .num("status", status)
                    .num("len", len);
            }
            LuatUrc::HttpError(code) => {
                o.str("name", "ERROR").num("code", code);
            }
            LuatUrc::ConnectOk => bare(o, "CONNECT OK"),
            LuatUrc::AlreadyConnect => bare(o, "ALREADY CONNECT"),
            LuatUrc::ConnectFail => bare(o, "CONNECT FAIL"),
            LuatUrc::State(s) => {
                o.str("name", "STATE").str("state", s);
            }
            LuatUrc::ConnackOk => bare(o, "CONNACK OK"),
            LuatUrc::Suback => bare(o, "SUBACK"),
            LuatUrc::Unsuback => bare(o, "UNSUBACK"),
            LuatUrc::Puback => bare(o, "PUBACK"),
            LuatUrc::Pubrec => bare(o, "PUBREC"),
            LuatUrc::Pubcomp => bare(o, "PUBCOMP"),
            LuatUrc::Closed => bare(o, "CLOSED"),
            LuatUrc::Msub(MsubUrc::Message(m)) => {
                o.str("name", "+MSUB").num("len", m.payload.len());
                message(o, m);
            }
            LuatUrc::Msub(MsubUrc::Stored { slot }) => {
                o.str("name", "+MSUB").num("slot", slot);
            }
            LuatUrc::MqttStatu(s) => {
                o.str("name", "+MQTTSTATU").num("state", s);
            }
            LuatUrc::Service(s) => bare(o, s),
            LuatUrc::Mode { sys_mode, sub_mode } => {
                o.str("name", "^MODE")
                    .num("sys_mode", sys_mode)
                    .num("sub_mode", sub_mode);
            }
            LuatUrc::Nitz(t) => {
                o.str("name", "+NITZ").str("time", t);
            }
            LuatUrc::Malformed { token, line } => {
                o.bytes("name", token).bytes("line", line.as_bytes());
                return Err(());
            }
        }
        Ok(())
    }
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
                o.bytes("name", token).bytes("line", line.as_bytes());
                return Err(());
            }
        }
        Ok(())
    }
}

/// Typed fields of a response line, where the example knows its shape.
fn response_fields(o: &mut Obj, tok: &[u8], line: &[u8], command: &[u8]) {
    // A bare line (no token) answers the command in flight: `AT+CGMR` → `EC200UCNAAR02A03M08`.
    let tok = if tok == line && !line.contains(&b':') {
        command
    } else {
        tok
    };
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
            let lines = [line];
            if let Ok(q) = Csq.parse(Lines::from_slice(&lines)) {
                o.num("rssi", q.rssi).num("ber", q.ber);
            }
        }
        b"+CGATT" => {
            let lines = [line];
            if let Ok(a) = CgattRead.parse(Lines::from_slice(&lines)) {
                o.bool("attached", a);
            }
        }
        b"+CGMR" | b"Revision" => {
            let lines = [line];
            if let Ok(Revision(r)) = Cgmr.parse(Lines::from_slice(&lines)) {
                o.str("revision", r)
                    .opt_num("firmware", Revision(r).luat_firmware());
            }
        }
        b"+CGPADDR" => {
            if let Some(a) = PdpAddress::parse(line) {
                o.num("cid", a.cid)
                    .opt_str("address", a.first)
                    .opt_str("address2", a.second);
            }
        }
        b"+SAPBR" => {
            if let Some(b) = BearerInfo::parse(line) {
                o.num("cid", b.cid)
                    .num("status", status_code(&b))
                    .str("ip", b.ip);
            }
        }
        b"+HTTPREAD" => {
            let lines = [line];
            if let Ok(n) = HttpRead::default().parse(Lines::from_slice(&lines)) {
                o.num("len", n);
            }
        }
        b"+MQTTSTATU" => {
            let lines = [line];
            if let Ok(n) = MqttStatu.parse(Lines::from_slice(&lines)) {
                o.num("state", n);
            }
        }
        b"+QENG" => match ServingCell::parse(line) {
            Some(ServingCell::Lte(c)) => {
                o.str("state", c.state)
                    .str("rat", "LTE")
                    .str("duplex", c.duplex)
                    .num("mcc", c.mcc)
                    .str("mnc", c.mnc)
                    .str("cell_id", c.cell_id)
                    .num("pcid", c.pcid)
                    .num("earfcn", c.earfcn)
                    .num("band", c.band)
                    .str("tac", c.tac)
                    .num("rsrp", c.rsrp)
                    .num("rsrq", c.rsrq)
                    .num("rssi", c.rssi)
                    .num("sinr", c.sinr)
                    .num("srxlev", c.srxlev);
            }
            Some(ServingCell::Other { state, rat, .. }) => {
                o.str("state", state).opt_str("rat", rat);
            }
            None => {}
        },
        b"+QMTCFG" => {
            if let Some(setting) = QmtSetting::parse(line) {
                o.str("setting", setting.name().as_str());
                if let QmtSetting::AliAuth {
                    product_key,
                    device_name,
                    device_secret,
                } = setting
                {
                    // The query echoes the device secret: say whether one is set, never print it.
                    o.str("product_key", product_key)
                        .str("device_name", device_name)
                        .bool("device_secret_set", !device_secret.is_empty());
                }
            }
        }
        b"+MSUB" | b"+QMTRECV" => {
            let m = Luat::parse_urc(tok, line)
                .and_then(|u| u.message())
                .or_else(|| {
                    Quectel::parse_urc(tok, line).and_then(|u| u.message().map(|(_, m)| m))
                });
            if let Some(m) = m {
                message(o, &m);
            }
        }
        _ => {}
    }
}

fn status_code(b: &BearerInfo<'_>) -> u8 {
    use atmodem::dialects::luat::BearerStatus;
    match b.status {
        BearerStatus::Connecting => 0,
        BearerStatus::Connected => 1,
        BearerStatus::Closing => 2,
        BearerStatus::Closed => 3,
        BearerStatus::Other(n) => n,
    }
}

struct Options {
    dialect: String,
    chunk: usize,
    capacity: usize,
    raw: bool,
    file: Option<String>,
}

fn parse_args(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        dialect: "quectel".into(),
        chunk: 0,
        capacity: 4608,
        raw: false,
        file: None,
    };
    let mut args = args.iter().cloned();
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

/// The name of a command line: `AT+CGMR` → `+CGMR`, `ATI` → `I`.
fn command_name(cmd: &[u8]) -> Vec<u8> {
    let cmd = cmd.strip_suffix(b"\r").unwrap_or(cmd).to_ascii_uppercase();
    let rest = cmd.strip_prefix(b"AT").unwrap_or(&cmd);
    let end = rest
        .iter()
        .position(|b| matches!(b, b'=' | b'?'))
        .unwrap_or(rest.len());
    rest[..end].to_vec()
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

/// What the decoder has learned about the exchange so far.
struct State<'w> {
    raw: bool,
    out: &'w mut dyn Write,
    /// Bytes of length-delimited data seen so far (pieces are summed into one item).
    data_len: usize,
    /// `<content_length>` of the last Quectel `+QHTTPGET`/`+QHTTPPOST` result.
    http_len: Option<usize>,
    /// The command in flight is Quectel `AT+QHTTPREAD`.
    qhttpread: bool,
    /// Name of the command in flight (`+CGMR`), upper case.
    command: Vec<u8>,
}

/// What printing an item asks the decoder to do next.
#[derive(Default)]
struct Next {
    /// An echoed command (raw mode): it is now in flight.
    begin: Option<Vec<u8>>,
    /// Data of this length follows (after Quectel's `CONNECT` to `AT+QHTTPREAD`).
    announce: Option<usize>,
}

impl State<'_> {
    fn emit<U: Render>(&mut self, item: Result<Item<'_, U>, DecodeError>) -> io::Result<Next> {
        let mut next = Next::default();
        let line = match item {
            Err(e) => {
                let mut o = Obj::new("error");
                match e {
                    DecodeError::Overflow => {
                        o.str("what", "overflow");
                    }
                    DecodeError::Garbage(n) => {
                        o.str("what", "garbage").num("len", n);
                    }
                    DecodeError::BadLength => {
                        o.str("what", "bad_length");
                    }
                    DecodeError::Truncated => {
                        o.str("what", "truncated");
                    }
                }
                Some(o.done())
            }
            Ok(Item::Echo(l)) => {
                if self.raw {
                    next.begin = Some(l.to_vec());
                }
                let mut o = Obj::new("echo");
                o.bytes("line", l);
                Some(o.done())
            }
            Ok(Item::Prompt(p)) => {
                let mut o = Obj::new("prompt");
                match p {
                    Prompt::Angle => {}
                    Prompt::Connect(text) => {
                        o.str("prompt", "CONNECT").opt_str("text", text);
                        if self.qhttpread {
                            next.announce = self.http_len;
                        }
                    }
                    Prompt::Download => {
                        o.str("prompt", "DOWNLOAD");
                    }
                }
                Some(o.done())
            }
            Ok(Item::Response { token: tok, line }) => {
                let mut o = Obj::new("response");
                o.bytes("name", tok).bytes("line", line);
                response_fields(&mut o, tok, line, &self.command);
                Some(o.done())
            }
            Ok(item @ (Item::Final(code) | Item::Unsolicited(code))) => {
                let mut o = Obj::new("final");
                o.str("code", code.name());
                if let FinalCode::Cme(e) | FinalCode::Cms(e) = code {
                    let text = match e {
                        ErrorCode::Code(n) => n.to_string(),
                        ErrorCode::Text(t) => t.to_string(),
                    };
                    o.str("error", &text);
                }
                if matches!(item, Item::Unsolicited(_)) {
                    o.bool("unsolicited", true);
                }
                Some(o.done())
            }
            Ok(Item::Data { bytes, remaining }) => {
                self.data_len += bytes.len();
                (remaining == 0).then(|| {
                    let mut o = Obj::new("data");
                    o.num("len", std::mem::take(&mut self.data_len));
                    o.done()
                })
            }
            Ok(Item::Urc(u)) => {
                if let Some(len) = u.http_len() {
                    self.http_len = Some(len);
                }
                let mut o = Obj::new("urc");
                if u.render(&mut o).is_ok() {
                    Some(o.done())
                } else {
                    // `{"kind":"error","what":"parse","name":...,"line":...}`
                    let fields = o.0.replacen("{\"kind\":\"urc\",", "", 1);
                    Some(format!(
                        "{{\"kind\":\"error\",\"what\":\"parse\",{fields}}}"
                    ))
                }
            }
            Ok(Item::Unknown { token: tok, line }) if has_noise(tok) => {
                // Noise inside the token: no URC has that name.
                let mut o = Obj::new("error");
                o.str("what", "garbage").bytes("line", line);
                Some(o.done())
            }
            Ok(Item::Unknown { token: tok, line }) => {
                if let Some(len) = quectel_http_len(tok, line) {
                    self.http_len = Some(len);
                }
                let mut o = Obj::new("urc");
                o.bytes("name", tok).bytes("line", line);
                Some(o.done())
            }
        };
        if let Some(line) = line {
            writeln!(self.out, "{line}")?;
        }
        Ok(next)
    }
}

/// Decoding state across the input.
struct Run<'w, D: Dialect> {
    reader: Reader<D, Vec<u8>>,
    state: State<'w>,
}

impl<D: Dialect> Run<'_, D>
where
    for<'a> D::Urc<'a>: Render,
{
    fn command(&mut self, cmd: &[u8]) {
        let (expect, prompt) = expect_for(cmd);
        self.reader.begin(expect);
        if prompt {
            self.reader.decoder_mut().expect_prompt();
        }
        self.state.qhttpread = cmd.to_ascii_uppercase().starts_with(b"AT+QHTTPREAD");
        self.state.command = command_name(cmd);
    }

    fn modem(&mut self, bytes: &[u8], chunk: usize) -> io::Result<()> {
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
                self.drain()?;
            }
        }
        Ok(())
    }

    fn drain(&mut self) -> io::Result<()> {
        loop {
            let next = match self.reader.next_item() {
                None => return Ok(()),
                Some(item) => self.state.emit(item)?,
            };
            self.follow(next);
        }
    }

    fn follow(&mut self, next: Next) {
        if let Some(cmd) = next.begin {
            self.command(&cmd);
        }
        if let Some(len) = next.announce {
            self.reader.decoder_mut().expect_data(len);
        }
    }

    /// A last line with no terminator: classify it as the client does after a pause.
    fn finish(&mut self) -> io::Result<()> {
        if let Some(item) = self.reader.flush_partial() {
            self.state.emit(Ok(item))?;
        }
        self.state.out.flush()
    }
}

/// `<content_length>` from `+QHTTPGET: 0,200,143` / `+QHTTPPOST: 0,200,143` when the dialect
/// does not know these URCs (`--dialect generic`).
fn quectel_http_len(tok: &[u8], line: &[u8]) -> Option<usize> {
    if tok != b"+QHTTPGET" && tok != b"+QHTTPPOST" {
        return None;
    }
    let text = std::str::from_utf8(line).ok()?;
    let fields: Vec<&str> = text.split_once(':')?.1.split(',').map(str::trim).collect();
    fields.get(2)?.parse().ok()
}

fn decode_with<D: Dialect>(o: &Options, input: &[u8], out: &mut dyn Write) -> Result<(), String>
where
    for<'a> D::Urc<'a>: Render,
{
    let mut run: Run<'_, D> = Run {
        reader: Reader::with_buffer(vec![0u8; o.capacity]),
        state: State {
            raw: o.raw,
            out,
            data_len: 0,
            http_len: None,
            qhttpread: false,
            command: Vec::new(),
        },
    };
    let io_err = |e: io::Error| e.to_string();
    if o.raw {
        run.modem(input, o.chunk).map_err(io_err)?;
    } else {
        let text = std::str::from_utf8(input).map_err(|_| "transcript is not UTF-8")?;
        let events = transcript::parse(text).map_err(|e| e.to_string())?;
        for ev in events {
            match ev {
                Event::Command(cmd) => run.command(&cmd),
                Event::HostData(_) => {}
                Event::Modem(bytes) => run.modem(&bytes, o.chunk).map_err(io_err)?,
            }
        }
    }
    run.finish().map_err(io_err)
}

/// Decode `input` with the command-line arguments `args` (without the program name) and
/// write the JSON lines to `out`.
pub fn decode(args: &[String], input: &[u8], out: &mut dyn Write) -> Result<(), String> {
    let o = parse_args(args)?;
    match o.dialect.as_str() {
        "quectel" => decode_with::<Quectel>(&o, input, out),
        "luat" => decode_with::<Luat>(&o, input, out),
        _ => decode_with::<Generic>(&o, input, out),
    }
}

const USAGE: &str =
    "usage: decode [--dialect quectel|luat|generic] [--chunk N] [--capacity N] [--raw] [FILE]";

/// What `--help` prints on stdout: the usage line, then every option and the output.
const HELP: &str = "\
usage: decode [--dialect quectel|luat|generic] [--chunk N] [--capacity N] [--raw] [FILE]

Shows what the library understood of modem traffic: one JSON object per decoded item.

Input (FILE, or standard input):
  by default a transcript: `>> X` the host wrote X and a CR (it tells the decoder which
  command is in flight), `<< X` the modem wrote X and CRLF (`<<` alone: CRLF), `>>| \"...\"`
  and `<<| \"...\"` exactly these bytes (a JSON string, one byte a code point), `# ...` a
  comment.

Options:
  --dialect D    quectel (default), luat or generic (3GPP only): which URCs and payload rules
  --raw          the input is plain modem bytes, not a transcript; an echoed `AT...` line
                 tells which command is in flight
  --chunk N      feed the bytes to the decoder N at a time (default: all at once); the output
                 does not depend on it
  --capacity N   the decoder's buffer in bytes (default 4608; at least 4); a longer line is an
                 overflow
  -h, --help     this text

Output, one object a line on standard output:
  {\"kind\":\"echo\",\"line\":...}            a command echoed by the modem
  {\"kind\":\"response\",\"name\":...,...}     an information line of the command in flight
  {\"kind\":\"final\",\"code\":...}            OK, ERROR, +CME ERROR (with \"error\"), ...;
                                          \"unsolicited\":true with no command in flight
  {\"kind\":\"prompt\"}                      the > prompt; CONNECT/DOWNLOAD add \"prompt\"
  {\"kind\":\"data\",\"len\":N}               length-delimited data not part of a URC
  {\"kind\":\"urc\",\"name\":...,...}          a URC with its typed fields (unknown: \"line\")
  {\"kind\":\"error\",\"what\":...}            overflow, garbage (noise), parse (a known
                                          token whose fields did not parse)
Text that is not UTF-8 is printed as hex under the key with _hex appended (line_hex,
payload_hex). Secrets (passwords, device secrets) are never printed.

Exit status: 0 on success, 1 when the input cannot be read or decoded, 2 on bad arguments.
";

#[allow(dead_code)]
fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "-h" || a == "--help") {
        print!("{HELP}");
        return ExitCode::SUCCESS;
    }
    let opts = match parse_args(&args) {
        Ok(o) => o,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("decode: {e}");
            }
            eprintln!("{USAGE}");
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
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match decode(&args, &input, &mut out) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("decode: {e}");
            ExitCode::from(1)
        }
    }
}
