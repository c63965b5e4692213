//! The Luat model (Air72x / Air780E): the bearer (`AT+SAPBR`, `+SAPBR 1: DEACT`,
//! `+PDP DEACT`), its one MQTT connection (`AT+MCONFIG`, `MIPSTART`/`SSLMIPSTART` with
//! `CONNECT OK`, `MCONNECT` with `CONNACK OK`, `MSUB`/`MUNSUB` with `SUBACK`/`UNSUBACK`,
//! `MPUB` with the `\XX` escapes or hex (`MQTTMODE`), `MPUBEX` with the `>` prompt, `PUBACK`,
//! `PUBREC`/`PUBCOMP`, `+MSUB` pushed or cached (`MQTTMSGSET`, `MQTTMSGGET`), `MQTTSTATU`,
//! `MDISCONNECT`, `MIPCLOSE`, `CLOSED`), and HTTP(S) (`AT+HTTPINIT`/`HTTPPARA`/`HTTPSSL`/
//! `HTTPDATA` with `DOWNLOAD`/`HTTPACTION`/`HTTPREAD`/`HTTPHEAD`/`HTTPTERM`, ranged GETs with
//! `HTTPPARA="BREAK"`/`"BREAKEND"`), SSL contexts (`AT+SSLCFG` set, query and erase) and
//! local files (`AT+FSCREATE`, `AT+FSWRITE` with the `>` prompt, `AT+FSREAD`, `AT+FSFLSIZE`,
//! `AT+FSDEL`; they outlive reboots).

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use tokio::sync::mpsc::UnboundedSender;

use crate::at::{self, Arg, Cmd, Form};
use crate::http::Response;
use crate::modem::{Core, Event, Fault, HttpFail, HttpJob};
use crate::mqtt::{self, CloseReason, FromLink, Login, ToLink, Will};

const MAX_PAYLOAD: usize = 4100;
/// Longest file name (FS chapter: 64 bytes) and largest `AT+FSWRITE` (10240 bytes).
const MAX_FS_NAME: usize = 64;
const MAX_FS_WRITE: i64 = 10_240;

/// The `AT+SSLCFG` settings and what a query shows before any set (or after an erase).
const SSL_DEFAULTS: [(&str, &str); 9] = [
    ("sslversion", "4"),
    ("ciphersuite", "0XFFFF"),
    ("cacert", "\"\""),
    ("clientcert", "\"\""),
    ("clientkey", "\"\""),
    ("seclevel", "0"),
    ("hostname", "\"\""),
    ("ignorelocaltime", "0"),
    ("negotiatetimeout", "300"),
];

/// The cipher suites of the SSLCFG page.
const CIPHER_SUITES: [&str; 7] = [
    "0X0035", "0X002F", "0X0005", "0X0004", "0X000A", "0X003D", "0XFFFF",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum State {
    #[default]
    Idle,
    Opening,
    TcpUp,
    Connecting,
    Connected,
}

/// `AT+MCONFIG`: clientId, user and password, will.
type MConfig = (String, Option<(String, String)>, Option<Will>);

#[derive(Debug, Default)]
struct Mqtt {
    config: Option<MConfig>,
    state: State,
    link: Option<UnboundedSender<ToLink>>,
    epoch: u64,
    next_pkid: u16,
    /// Packet id → QoS of publishes in flight.
    pubs: HashMap<u16, u8>,
    hex_mode: bool,
    cache_mode: bool,
    cache: VecDeque<(String, Vec<u8>)>,
    /// MDISCONNECT was sent: the link's end is expected.
    disconnecting: bool,
}

impl Mqtt {
    fn pkid(&mut self) -> u16 {
        self.next_pkid = self.next_pkid.checked_add(1).unwrap_or(1).max(1);
        self.next_pkid
    }

    fn drop_link(&mut self) {
        if let Some(l) = self.link.take() {
            let _ = l.send(ToLink::Drop);
        }
        self.state = State::Idle;
        self.pubs.clear();
        self.disconnecting = false;
    }
}

#[derive(Debug, Default)]
struct Http {
    init: bool,
    url: Option<String>,
    headers: Vec<(String, String)>,
    content: Option<String>,
    timeout: u64,
    data: Vec<u8>,
    pending: Option<(u64, u8)>,
    response: Option<Response>,
    ssl: u8,
    /// `"BREAK"` and `"BREAKEND"` (inclusive) of a ranged GET.
    range: (u64, u64),
}

/// The Luat model's state.
#[derive(Debug, Default)]
pub(crate) struct Luat {
    bearer_open: bool,
    contype: String,
    apn: String,
    mqtt: Mqtt,
    http: Http,
    /// `AT+SSLCFG` values set: (context, name) → value as a query shows it.
    ssl: HashMap<(i64, &'static str), String>,
}

impl Luat {
    pub(crate) async fn command(&mut self, core: &mut Core, cmd: &Cmd) {
        match (cmd.name.as_str(), cmd.form) {
            ("+SAPBR", Form::Set) => self.sapbr(core, cmd).await,
            ("+SSLCFG", Form::Set) => self.sslcfg(core, cmd).await,
            ("+FSCREATE", Form::Set) => match cmd.text(0) {
                Some(n) if !n.is_empty() && n.len() <= MAX_FS_NAME => {
                    core.files.lock().unwrap().entry(n.into()).or_default();
                    core.ok().await
                }
                _ => core.error().await,
            },
            ("+FSWRITE", Form::Set) => self.fswrite(core, cmd).await,
            ("+FSFLSIZE", Form::Set) => {
                let size = cmd
                    .text(0)
                    .and_then(|n| core.files.lock().unwrap().get(n).map(Vec::len));
                match size {
                    Some(n) => {
                        core.line(&format!("+FSFLSIZE: {n}")).await;
                        core.ok().await
                    }
                    None => core.error().await,
                }
            }
            ("+FSREAD", Form::Set) => self.fsread(core, cmd).await,
            ("+FSDEL", Form::Set) => {
                let removed = cmd
                    .text(0)
                    .and_then(|n| core.files.lock().unwrap().remove(n));
                match removed {
                    Some(_) => core.ok().await,
                    None => core.error().await,
                }
            }
            ("+MCONFIG", Form::Set) => {
                let Some(cid) = cmd.text(0) else {
                    return core.bad_args().await;
                };
                let user = match (cmd.text(1), cmd.text(2)) {
                    (Some(u), p) if !(u.is_empty() && p.unwrap_or("").is_empty()) => {
                        Some((u.to_string(), p.unwrap_or("").to_string()))
                    }
                    _ => None,
                };
                let will = match (cmd.int(3), cmd.int(4), cmd.text(5), cmd.text(6)) {
                    (Some(q @ 0..=2), Some(r @ 0..=1), Some(t), Some(m)) => Some(Will {
                        qos: q as u8,
                        retain: r == 1,
                        topic: t.into(),
                        message: m.as_bytes().to_vec(),
                    }),
                    (None, None, None, None) => None,
                    _ => return core.bad_args().await,
                };
                if cid.len() > 256 {
                    return core.bad_args().await;
                }
                self.mqtt.config = Some((cid.into(), user, will));
                core.ok().await
            }
            ("+MIPSTART" | "+SSLMIPSTART", Form::Set) => self.mipstart(core, cmd).await,
            ("+MCONNECT", Form::Set) => {
                let (Some(clean @ 0..=1), Some(keepalive @ 1..=65535)) = (cmd.int(0), cmd.int(1))
                else {
                    return core.bad_args().await;
                };
                let m = &mut self.mqtt;
                let (Some((cid, user, will)), State::TcpUp, true) =
                    (m.config.clone(), m.state, m.link.is_some())
                else {
                    return core.error().await;
                };
                // The manual gives no CONNACK timeout: 10 s (or max_wait).
                let login = Login {
                    client_id: cid,
                    user,
                    keepalive: keepalive as u16,
                    clean: clean == 1,
                    will,
                    connack_timeout: core.wait(Duration::from_secs(10)),
                };
                if let Some(l) = &m.link {
                    let _ = l.send(ToLink::Connect(login));
                }
                m.state = State::Connecting;
                core.ok().await
            }
            ("+MSUB", Form::Set) => {
                let (Some(topic), Some(q @ 0..=2)) = (cmd.text(0), cmd.int(1)) else {
                    return core.bad_args().await;
                };
                if topic.is_empty() || topic.len() > 256 {
                    return core.bad_args().await;
                }
                let order = ToLink::Subscribe(self.mqtt.pkid(), vec![(topic.into(), q as u8)]);
                self.send_connected(core, order).await
            }
            ("+MUNSUB", Form::Set) => {
                let Some(topic) = cmd.text(0).filter(|t| !t.is_empty()) else {
                    return core.bad_args().await;
                };
                let order = ToLink::Unsubscribe(self.mqtt.pkid(), vec![topic.into()]);
                self.send_connected(core, order).await
            }
            ("+MPUB", Form::Set) => self.mpub(core, cmd).await,
            ("+MPUBEX", Form::Set) => self.mpubex(core, cmd).await,
            ("+MQTTMODE", Form::Set) => match cmd.int(0) {
                Some(n @ 0..=1) => {
                    self.mqtt.hex_mode = n == 1;
                    core.ok().await
                }
                _ => core.bad_args().await,
            },
            ("+MQTTMODE", Form::Read) => {
                let n = u8::from(self.mqtt.hex_mode);
                core.line(&format!("+MQTTMODE: {n}")).await;
                core.ok().await
            }
            ("+MQTTMSGSET", Form::Set) => match cmd.int(0) {
                Some(n @ 0..=1) => {
                    self.mqtt.cache_mode = n == 1;
                    core.ok().await
                }
                _ => core.bad_args().await,
            },
            ("+MQTTMSGSET", Form::Read) => {
                let n = u8::from(self.mqtt.cache_mode);
                core.line(&format!("+MQTTMSGSET: {n}")).await;
                core.ok().await
            }
            ("+MQTTMSGGET", Form::Exec) => {
                let msgs: Vec<_> = self.mqtt.cache.drain(..).collect();
                for (topic, payload) in msgs {
                    core.line_bytes(
                        &format!("+MSUB: \"{topic}\",{} byte,", payload.len()),
                        &payload,
                    )
                    .await;
                }
                core.ok().await
            }
            ("+MQTTMSGGET", Form::Read) => {
                for i in 0..4 {
                    let v = if i < self.mqtt.cache.len() {
                        "VALID"
                    } else {
                        "INVALID"
                    };
                    core.line(&format!("+MQTTMSGGET: {i},{v}")).await;
                }
                core.ok().await
            }
            ("+MQTTSTATU", Form::Exec) => {
                let n = match self.mqtt.state {
                    State::Connected => 1,
                    State::TcpUp | State::Connecting => 2,
                    _ => 0,
                };
                core.line(&format!("+MQTTSTATU :{n}")).await;
                core.ok().await
            }
            ("+MDISCONNECT", Form::Exec) => {
                let m = &mut self.mqtt;
                if m.state != State::Connected {
                    return core.error().await;
                }
                if let Some(l) = m.link.take() {
                    let _ = l.send(ToLink::Disconnect);
                }
                m.disconnecting = true;
                m.state = State::TcpUp;
                core.ok().await
            }
            ("+MIPCLOSE", Form::Exec) => {
                if self.mqtt.state == State::Idle {
                    return core.cme(767).await;
                }
                self.mqtt.drop_link();
                core.ok().await
            }
            ("+HTTPINIT", Form::Exec) => {
                if self.http.init {
                    return core.error().await;
                }
                self.http = Http {
                    init: true,
                    timeout: 120,
                    ..Http::default()
                };
                core.ok().await
            }
            ("+HTTPTERM", Form::Exec) => {
                if !std::mem::take(&mut self.http.init) {
                    return core.error().await;
                }
                self.http = Http::default();
                core.ok().await
            }
            ("+HTTPPARA", Form::Set) => self.httppara(core, cmd).await,
            ("+HTTPSSL", Form::Set) => match cmd.int(0) {
                Some(n @ 0..=1) => {
                    self.http.ssl = n as u8;
                    core.ok().await
                }
                _ => core.bad_args().await,
            },
            ("+HTTPSSL", Form::Read) => {
                let n = self.http.ssl;
                core.line(&format!("+ HTTPSSL: {n}")).await;
                core.ok().await
            }
            ("+HTTPDATA", Form::Set) => {
                let (Some(size @ 0..=3356), Some(ms @ 1000..=120_000)) = (cmd.int(0), cmd.int(1))
                else {
                    return core.bad_args().await;
                };
                if !self.http.init {
                    return core.error().await;
                }
                core.line("DOWNLOAD").await;
                match core
                    .read_data(size as usize, Duration::from_millis(ms as u64))
                    .await
                {
                    Some(d) => {
                        self.http.data = d;
                        core.ok().await
                    }
                    None => core.error().await,
                }
            }
            ("+HTTPACTION", Form::Set) => self.httpaction(core, cmd).await,
            ("+HTTPREAD", Form::Exec | Form::Set) => {
                let Some(r) = &self.http.response else {
                    return core.error().await;
                };
                let body = &r.body;
                let (start, size) = match (cmd.int(0), cmd.int(1)) {
                    (None, None) => (0, body.len()),
                    (Some(s @ 0..), Some(n @ 1..)) => (s as usize, n as usize),
                    _ => return core.bad_args().await,
                };
                let part = body
                    .get(start.min(body.len())..(start.saturating_add(size)).min(body.len()))
                    .unwrap_or(&[])
                    .to_vec();
                core.line(&format!("+HTTPREAD: {}", part.len())).await;
                core.raw(&part).await;
                core.ok().await
            }
            ("+HTTPHEAD", Form::Exec) => {
                let Some(r) = &self.http.response else {
                    return core.error().await;
                };
                let head = r.head_text();
                core.line(&format!("+HTTPHEAD: {}", head.len())).await;
                core.raw(head.as_bytes()).await;
                core.ok().await
            }
            _ => core.error().await,
        }
    }

    async fn sapbr(&mut self, core: &mut Core, cmd: &Cmd) {
        let (Some(op), Some(1)) = (cmd.int(0), cmd.int(1)) else {
            return core.bad_args().await;
        };
        match op {
            3 => match (
                cmd.text(2).map(str::to_ascii_uppercase).as_deref(),
                cmd.text(3),
            ) {
                (Some("CONTYPE"), Some(v)) => {
                    self.contype = v.into();
                    core.ok().await
                }
                (Some("APN"), Some(v)) => {
                    self.apn = v.into();
                    core.ok().await
                }
                (Some("USER" | "PWD"), Some(_)) => core.ok().await,
                _ => core.bad_args().await,
            },
            1 => {
                if self.bearer_open || core.reg_stat() != 1 {
                    return core.cme(3).await;
                }
                self.bearer_open = true;
                core.ok().await
            }
            0 => {
                if !self.bearer_open {
                    return core.cme(3).await;
                }
                self.bearer_open = false;
                core.ok().await
            }
            2 => {
                let line = if self.bearer_open {
                    format!("+SAPBR: 1,1,\"{}\"", core.cfg.addresses.0)
                } else {
                    "+SAPBR: 1,3,\"0.0.0.0\"".into()
                };
                core.line(&line).await;
                core.ok().await
            }
            4 => {
                let (t, a) = (self.contype.clone(), self.apn.clone());
                core.line(&format!("+SAPBR: CONTYPE: {t}")).await;
                core.raw(format!("APN: {a}\r\n").as_bytes()).await;
                core.ok().await
            }
            _ => core.bad_args().await,
        }
    }

    async fn mipstart(&mut self, core: &mut Core, cmd: &Cmd) {
        let (Some(host), Some(port)) = (cmd.text(0), cmd.int(1)) else {
            return core.bad_args().await;
        };
        let Ok(port) = u16::try_from(port) else {
            return core.bad_args().await;
        };
        if core.reg_stat() != 1 {
            return core.cme(3).await;
        }
        core.ok().await;
        if self.mqtt.state != State::Idle {
            return core.line("ALREADY CONNECT").await;
        }
        match core.cfg.hosts.resolve(host, port) {
            None => core.line("CONNECT FAIL").await,
            Some(addr) => {
                let epoch = core.next_epoch();
                let m = &mut self.mqtt;
                m.epoch = epoch;
                m.state = State::Opening;
                m.disconnecting = false;
                m.link = Some(mqtt::spawn(addr, core.link_sink(0, epoch)));
            }
        }
    }

    async fn send_connected(&mut self, core: &mut Core, order: ToLink) {
        match (&self.mqtt.link, self.mqtt.state) {
            (Some(l), State::Connected) => {
                let _ = l.send(order);
                core.ok().await
            }
            _ => core.error().await,
        }
    }

    async fn mpub(&mut self, core: &mut Core, cmd: &Cmd) {
        let (Some(topic), Some(q @ 0..=2), Some(r @ 0..=1), Arg::Quoted(msg)) =
            (cmd.text(0), cmd.int(1), cmd.int(2), cmd.arg(3))
        else {
            return core.bad_args().await;
        };
        let payload = if self.mqtt.hex_mode {
            at::unhex(msg)
        } else {
            at::unescape_luat(msg)
        };
        let Some(payload) = payload.filter(|p| p.len() <= MAX_PAYLOAD) else {
            return core.error().await;
        };
        if topic.is_empty() || cmd.args.len() != 4 {
            return core.bad_args().await;
        }
        self.publish(core, topic.into(), q as u8, r == 1, payload)
            .await
    }

    async fn sslcfg(&mut self, core: &mut Core, cmd: &Cmd) {
        let (Some(name), Some(ctx)) = (cmd.text(0), cmd.int(1)) else {
            return core.error().await;
        };
        let name = name.to_ascii_lowercase();
        let Some(&(key, default)) = SSL_DEFAULTS.iter().find(|(k, _)| *k == name) else {
            return core.error().await;
        };
        if !matches!(ctx, 0..=5 | 34 | 88 | 153) {
            return core.error().await;
        }
        // `"<name>",<n>` queries; `"<name>",<n>,` (a trailing comma) erases.
        match (cmd.args.len(), cmd.arg(2)) {
            (2, _) => {
                let v = self.ssl.get(&(ctx, key)).map_or(default, String::as_str);
                let line = format!("+SSLCFG: \"{key}\",{ctx},{v}");
                core.line(&line).await;
                return core.ok().await;
            }
            (3, Arg::Empty) => {
                self.ssl.remove(&(ctx, key));
                return core.ok().await;
            }
            (3, _) => {}
            _ => return core.error().await,
        }
        let range = |lo: i64, hi: i64| match cmd.arg(2) {
            Arg::Bare(_) => cmd
                .int(2)
                .filter(|v| (lo..=hi).contains(v))
                .map(|v| v.to_string()),
            _ => None,
        };
        let value = match key {
            "sslversion" => range(0, 4),
            "seclevel" => range(0, 2),
            "ignorelocaltime" => range(0, 1),
            "negotiatetimeout" => range(10, 300),
            "ciphersuite" => cmd.text(2).and_then(|v| {
                (CIPHER_SUITES.iter())
                    .find(|s| s.eq_ignore_ascii_case(v))
                    .map(|s| s.to_string())
            }),
            // File paths and the host name: strings.
            _ => cmd
                .text(2)
                .filter(|t| !t.is_empty())
                .map(|t| format!("\"{t}\"")),
        };
        match value {
            Some(v) => {
                self.ssl.insert((ctx, key), v);
                core.ok().await
            }
            None => core.error().await,
        }
    }

    /// `AT+FSREAD=<name>,<mode>,<size>,<position>` (FS chapter): mode 0 from the start, 1
    /// from `<position>` (below the file's size); at most `<size>` bytes (1..=10240; fewer
    /// at the file's end). The answer is not announced: the line end, the bytes, `OK`
    /// (the Air780EP file system guide's log).
    async fn fsread(&mut self, core: &mut Core, cmd: &Cmd) {
        let (Some(name), Some(mode @ 0..=1), Some(size @ 1..=MAX_FS_WRITE)) =
            (cmd.text(0), cmd.int(1), cmd.int(2))
        else {
            return core.error().await;
        };
        let Some(data) = core.files.lock().unwrap().get(name).cloned() else {
            return core.error().await;
        };
        let pos = match (mode, cmd.int(3)) {
            (0, _) => 0,
            (_, Some(p)) if p >= 0 && (p as usize) < data.len() => p as usize,
            _ => return core.error().await,
        };
        let end = data.len().min(pos + size as usize);
        let mut out = b"\r\n".to_vec();
        out.extend_from_slice(&data[pos..end]);
        core.raw(&out).await;
        core.ok().await
    }

    /// `AT+FSWRITE=<name>,<mode>,<size>,<inputtime>`: `>`, then exactly `<size>` bytes, `OK`;
    /// `TimeOut` when they do not come in `<inputtime>` s. Mode 0 writes from the start of
    /// the file (the bytes after the written ones stay), 1 appends.
    async fn fswrite(&mut self, core: &mut Core, cmd: &Cmd) {
        let (Some(name), Some(mode @ 0..=1), Some(size @ 1..=MAX_FS_WRITE), Some(secs @ 1..)) =
            (cmd.text(0), cmd.int(1), cmd.int(2), cmd.int(3))
        else {
            return core.error().await;
        };
        let name = name.to_string();
        if !core.files.lock().unwrap().contains_key(&name) {
            return core.error().await;
        }
        core.raw(b"\r\n> ").await;
        let Some(data) = core
            .read_data(size as usize, Duration::from_secs(secs as u64))
            .await
        else {
            return core.line("TimeOut").await;
        };
        {
            let mut files = core.files.lock().unwrap();
            let file = files.entry(name).or_default();
            if mode == 1 {
                file.extend_from_slice(&data);
            } else {
                let keep = file.len().max(data.len());
                file.resize(keep, 0);
                file[..data.len()].copy_from_slice(&data);
            }
        }
        core.ok().await
    }

    async fn mpubex(&mut self, core: &mut Core, cmd: &Cmd) {
        let (Some(topic), Some(q @ 0..=2), Some(r @ 0..=1)) = (cmd.text(0), cmd.int(1), cmd.int(2))
        else {
            return core.bad_args().await;
        };
        let len = match cmd.arg(3) {
            Arg::Empty => None,
            a => match a.int() {
                Some(n @ 1..=4100) => Some(n as usize),
                _ => return core.bad_args().await,
            },
        };
        if self.mqtt.state != State::Connected {
            return core.error().await;
        }
        core.raw(b"\r\n> ").await;
        let data = match len {
            Some(n) => core.read_data(n, Duration::from_secs(5)).await,
            // Without a length: up to Ctrl-Z, or 5 s of silence.
            None => core.read_until_ctrl_z(Duration::from_secs(5), true).await,
        };
        let Some(payload) = data else {
            return core.error().await;
        };
        self.publish(core, topic.into(), q as u8, r == 1, payload)
            .await
    }

    async fn publish(
        &mut self,
        core: &mut Core,
        topic: String,
        qos: u8,
        retain: bool,
        payload: Vec<u8>,
    ) {
        if self.mqtt.state != State::Connected {
            return core.error().await;
        }
        let pkid = self.mqtt.pkid();
        if qos > 0 {
            self.mqtt.pubs.insert(pkid, qos);
        }
        self.send_connected(
            core,
            ToLink::Publish {
                pkid,
                qos,
                retain,
                topic,
                payload,
            },
        )
        .await
    }

    async fn httppara(&mut self, core: &mut Core, cmd: &Cmd) {
        if !self.http.init {
            return core.error().await;
        }
        let (Some(tag), Some(value)) = (cmd.text(0).map(str::to_ascii_uppercase), cmd.text(1))
        else {
            return core.bad_args().await;
        };
        let header = |h: &str| {
            h.split_once(':')
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        };
        match tag.as_str() {
            "URL" if value.len() <= 500 => self.http.url = Some(value.into()),
            "USER_DEFINED" => match header(value) {
                Some(h) => self.http.headers.push(h),
                None => return core.bad_args().await,
            },
            "USERDATA" => {
                let v = value.replace("\\22", "\"");
                self.http
                    .headers
                    .extend(v.split("\\r\\n").filter_map(header));
            }
            "CONTENT" => self.http.content = Some(value.into()),
            "TIMEOUT" => match value.parse::<u64>() {
                Ok(t) if t > 0 => self.http.timeout = t,
                _ => return core.bad_args().await,
            },
            "BREAK" | "BREAKEND" => match value.parse::<u64>() {
                Ok(n) if tag == "BREAK" => self.http.range.0 = n,
                Ok(n) => self.http.range.1 = n,
                _ => return core.bad_args().await,
            },
            "CID" | "UA" | "PROIP" | "PROPORT" | "REDIR" => {}
            _ => return core.bad_args().await,
        }
        core.ok().await
    }

    async fn httpaction(&mut self, core: &mut Core, cmd: &Cmd) {
        let Some(m @ 0..=2) = cmd.int(0) else {
            return core.bad_args().await;
        };
        let Some(url) = self.http.url.clone().filter(|_| self.http.init) else {
            return core.error().await;
        };
        core.ok().await;
        if !self.bearer_open {
            return core.line(&format!("+HTTPACTION: {m},601,0")).await;
        }
        let mut headers = self.http.headers.clone();
        if let Some(c) = &self.http.content {
            headers.push(("Content-Type".into(), c.clone()));
        }
        // The HTTP guide's 断点续传: both 0 is no range, an end below the start reads to the
        // end of the file.
        match self.http.range {
            (0, 0) => {}
            (a, b) if m == 0 && b < a => headers.push(("Range".into(), format!("bytes={a}-"))),
            (a, b) if m == 0 => headers.push(("Range".into(), format!("bytes={a}-{b}"))),
            _ => {}
        }
        let method = match m {
            0 => "GET",
            1 => "POST",
            _ => "HEAD",
        };
        let body = if m == 1 {
            self.http.data.clone()
        } else {
            Vec::new()
        };
        let job = HttpJob {
            method,
            url,
            headers,
            body,
            raw: None,
            timeout: Duration::from_secs(self.http.timeout),
        };
        self.http.response = None;
        self.http.pending = Some((core.spawn_http(job), m as u8));
    }

    pub(crate) async fn event(&mut self, core: &mut Core, ev: Event) {
        match ev {
            Event::Link((_, epoch), ev) => self.link_event(core, epoch, ev).await,
            Event::Http(epoch, result) => {
                let Some((g, m)) = self.http.pending else {
                    return;
                };
                if g != epoch {
                    return;
                }
                self.http.pending = None;
                let line = match result {
                    Ok(r) => {
                        let line = format!("+HTTPACTION: {m},{},{}", r.status, r.body.len());
                        self.http.response = Some(r);
                        line
                    }
                    Err(f) => {
                        let code = match f {
                            HttpFail::Dns => 603,
                            HttpFail::Url => 600,
                            HttpFail::Socket | HttpFail::Timeout => 601,
                        };
                        format!("+HTTPACTION: {m},{code},0")
                    }
                };
                core.line(&line).await
            }
            Event::Fault(Fault::DropMqtt { .. }) if self.mqtt.state != State::Idle => {
                self.mqtt.drop_link();
                core.line("CLOSED").await
            }
            Event::Fault(Fault::PdpDeact { .. }) => {
                let had_link = self.mqtt.state != State::Idle;
                self.mqtt.drop_link();
                let had_bearer = std::mem::take(&mut self.bearer_open);
                if had_bearer {
                    core.line("+SAPBR 1: DEACT").await;
                }
                core.line("+PDP DEACT").await;
                if had_link {
                    core.line("CLOSED").await;
                }
            }
            _ => {}
        }
    }

    async fn link_event(&mut self, core: &mut Core, epoch: u64, ev: FromLink) {
        let m = &mut self.mqtt;
        if m.epoch != epoch || m.state == State::Idle {
            return;
        }
        match ev {
            FromLink::Opened(Ok(())) => {
                m.state = State::TcpUp;
                core.line("CONNECT OK").await
            }
            FromLink::Opened(Err(())) => {
                m.state = State::Idle;
                m.link = None;
                core.line("CONNECT FAIL").await
            }
            FromLink::ConnAck(0) => {
                m.state = State::Connected;
                core.line("CONNACK OK").await
            }
            // A refused login: the result URC is a bare ERROR; the platform then closes.
            FromLink::ConnAck(_) => {
                m.state = State::TcpUp;
                core.line("ERROR").await
            }
            FromLink::SubAck(..) => core.line("SUBACK").await,
            FromLink::UnsubAck(_) => core.line("UNSUBACK").await,
            FromLink::PubRec(id) => {
                if m.pubs.get(&id) == Some(&2) {
                    core.line("PUBREC").await
                }
            }
            FromLink::PubDone(id) => match m.pubs.remove(&id) {
                Some(1) => core.line("PUBACK").await,
                Some(_) => core.line("PUBCOMP").await,
                None => {}
            },
            FromLink::Message { topic, payload, .. } => {
                if m.cache_mode {
                    if m.cache.len() == 4 {
                        m.cache.pop_front();
                    }
                    m.cache.push_back((topic, payload));
                    let addr = m.cache.len() - 1;
                    core.line(&format!("+MSUB: {addr}")).await
                } else {
                    core.line_bytes(
                        &format!("+MSUB: \"{topic}\",{} byte,", payload.len()),
                        &payload,
                    )
                    .await
                }
            }
            FromLink::Closed(reason) => {
                let was = m.state;
                m.link = None;
                m.pubs.clear();
                if std::mem::take(&mut m.disconnecting) {
                    // After MDISCONNECT the module keeps the link "open" until MIPCLOSE.
                    m.state = State::TcpUp;
                    return;
                }
                m.state = State::Idle;
                if reason == CloseReason::Module {
                    return;
                }
                // A connect that never got its CONNACK fails with the bare ERROR URC first.
                if was == State::Connecting {
                    core.line("ERROR").await;
                }
                core.line("CLOSED").await
            }
        }
    }
}
