//! The Quectel model (EC2x / EC600 / BG9x): PDP contexts (`AT+QICSGP`, `AT+QIACT`,
//! `AT+QIDEACT`, `+QIURC: "pdpdeact"`), `AT+QENG="servingcell"`, the MQTT client slots 0..5
//! (`AT+QMTCFG` with every option, `QMTOPEN`/`QMTCLOSE`/`QMTCONN`/`QMTDISC`/`QMTSUB`/`QMTUNS`,
//! `QMTPUBEX` and `QMTPUB` with the `>` prompt, `+QMTRECV` in its three receive modes,
//! `+QMTSTAT`), and HTTP(S) (`AT+QHTTPCFG`, `QHTTPURL`/`QHTTPPOST`/`QHTTPGET` with `CONNECT`,
//! the ranged `QHTTPGETEX`, `QHTTPREAD`, `QHTTPSTOP`), SSL contexts 0..5 (`AT+QSSLCFG`) and
//! UFS files (`AT+QFUPL` with `CONNECT` and its checksum, `AT+QFLST`, `AT+QFDEL`, and
//! `AT+QFOPEN`/`AT+QFREAD`/`AT+QFCLOSE`; the files outlive reboots, open handles do not). The
//! module's own Aliyun signing for `aliauth` is here too.

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::mpsc::UnboundedSender;

use crate::aliyun::{self, SignMethod};
use crate::at::{Arg, Cmd, Form};
use crate::http::Response;
use crate::modem::{Core, EmptyAliauth, Event, Fault, HttpFail, HttpJob};
use crate::mqtt::{self, CloseReason, FromLink, Login, ToLink, Will};

const SLOTS: usize = 6;
const MAX_PAYLOAD: usize = 4096;
/// SSL contexts 0..5.
const SSL_CTXS: usize = 6;
/// Longest file name (FILE manual: 80 bytes).
const MAX_FILE_NAME: usize = 80;
/// Free space of the bench's UFS.
const UFS_FREE: usize = 1 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum State {
    #[default]
    Closed,
    Opening,
    Opened,
    Connecting,
    Connected,
}

#[derive(Debug, Clone)]
struct Cfg {
    version: u8,
    pdpcid: u8,
    ssl: (u8, u8),
    keepalive: u16,
    session: u8,
    timeout: (u8, u8, u8),
    will: Option<Will>,
    recv_mode: (u8, u8),
    aliauth: Option<(String, String, String)>,
    send_mode: u8,
}

impl Default for Cfg {
    fn default() -> Self {
        Cfg {
            version: 3,
            pdpcid: 1,
            ssl: (0, 0),
            keepalive: 120,
            session: 1,
            timeout: (5, 3, 0),
            will: None,
            recv_mode: (0, 0),
            aliauth: None,
            send_mode: 0,
        }
    }
}

impl Cfg {
    /// The values a query shows after `+QMTCFG: "<name>",`; `None` for an unknown name.
    fn show(&self, name: &str) -> Option<String> {
        Some(match name {
            "version" => self.version.to_string(),
            "pdpcid" => self.pdpcid.to_string(),
            "ssl" => format!("{},{}", self.ssl.0, self.ssl.1),
            "keepalive" => self.keepalive.to_string(),
            "session" => self.session.to_string(),
            "timeout" => format!("{},{},{}", self.timeout.0, self.timeout.1, self.timeout.2),
            "will" => match &self.will {
                None => "0".into(),
                Some(w) => format!(
                    "1,{},{},\"{}\",\"{}\"",
                    w.qos,
                    u8::from(w.retain),
                    w.topic,
                    String::from_utf8_lossy(&w.message)
                ),
            },
            "recv/mode" => format!("{},{}", self.recv_mode.0, self.recv_mode.1),
            "send/mode" => self.send_mode.to_string(),
            // No triple: empty fields.
            "aliauth" => match &self.aliauth {
                Some((pk, dn, ds)) => format!("\"{pk}\",\"{dn}\",\"{ds}\""),
                None => ",,".into(),
            },
            _ => return None,
        })
    }

    /// Applies a set (`args` after the name and the client index); `None` for an unknown
    /// name or a value out of its range.
    fn set(&mut self, name: &str, args: &[Arg]) -> Option<()> {
        let int = |k: usize, lo: i64, hi: i64| args.get(k)?.int().filter(|v| (lo..=hi).contains(v));
        // An optional trailing value.
        let opt = |k: usize, lo: i64, hi: i64, default: i64| {
            if args.len() > k {
                int(k, lo, hi)
            } else {
                Some(default)
            }
        };
        let text = |k: usize| args.get(k)?.text().map(String::from);
        match name {
            "version" => self.version = int(0, 3, 4)? as u8,
            "pdpcid" => self.pdpcid = int(0, 1, 16)? as u8,
            "ssl" => self.ssl = (int(0, 0, 1)? as u8, opt(1, 0, 5, 0)? as u8),
            "keepalive" => self.keepalive = int(0, 0, 3600)? as u16,
            "session" => self.session = int(0, 0, 1)? as u8,
            "timeout" => {
                self.timeout = (
                    int(0, 1, 60)? as u8,
                    int(1, 0, 10)? as u8,
                    opt(2, 0, 1, 0)? as u8,
                )
            }
            "will" => {
                self.will = match int(0, 0, 1)? {
                    0 => None,
                    _ => Some(Will {
                        qos: int(1, 0, 2)? as u8,
                        retain: int(2, 0, 1)? == 1,
                        topic: text(3)?,
                        message: text(4)?.into_bytes(),
                    }),
                }
            }
            "recv/mode" => self.recv_mode = (int(0, 0, 1)? as u8, opt(1, 0, 1, 0)? as u8),
            "send/mode" => self.send_mode = int(0, 0, 1)? as u8,
            "aliauth" if args.len() == 3 => self.aliauth = Some((text(0)?, text(1)?, text(2)?)),
            _ => return None,
        }
        Some(())
    }
}

#[derive(Debug, Default)]
struct Slot {
    cfg: Cfg,
    state: State,
    link: Option<UnboundedSender<ToLink>>,
    epoch: u64,
    host: String,
    port: u16,
    /// Packet id → URC name (`+QMTPUB` / `+QMTPUBEX`) of publishes in flight.
    pubs: HashMap<u16, &'static str>,
    /// Buffered messages (`recv/mode` 1): recv_id 0..4.
    stored: [Option<(u16, String, Vec<u8>)>; 5],
}

impl Slot {
    fn drop_link(&mut self) {
        if let Some(l) = self.link.take() {
            let _ = l.send(ToLink::Drop);
        }
        self.state = State::Closed;
        self.pubs.clear();
    }
}

#[derive(Debug, Clone, Default)]
struct Pdp {
    ctx_type: u8,
    apn: String,
    user: String,
    password: String,
    auth: u8,
    active: bool,
}

#[derive(Debug)]
struct HttpState {
    contextid: u8,
    requestheader: u8,
    responseheader: u8,
    sslctxid: u8,
    contenttype: u8,
    url: Option<String>,
    pending: Option<(u64, &'static str)>,
    response: Option<Response>,
}

impl Default for HttpState {
    fn default() -> Self {
        HttpState {
            contextid: 1,
            requestheader: 0,
            responseheader: 0,
            sslctxid: 1,
            contenttype: 0,
            url: None,
            pending: None,
            response: None,
        }
    }
}

/// One SSL context: setting name → value as a query shows it (`4`, `0XFFFF`,
/// `"UFS:ca.pem"`).
#[derive(Debug, Clone)]
struct SslCtx(HashMap<&'static str, String>);

impl Default for SslCtx {
    /// The manual's defaults.
    fn default() -> Self {
        SslCtx(HashMap::from([
            ("sslversion", "4".into()),
            ("ciphersuite", "0XFFFF".into()),
            ("seclevel", "0".into()),
            ("cacert", "\"\"".into()),
            ("clientcert", "\"\"".into()),
            ("clientkey", "\"\"".into()),
            ("sni", "0".into()),
            ("ignorelocaltime", "0".into()),
            ("negotiatetime", "300".into()),
        ]))
    }
}

/// The cipher suites of the BG96 test form (`AT+QSSLCFG=?`).
const CIPHER_SUITES: [&str; 14] = [
    "0X0035", "0X002F", "0X0005", "0X0004", "0X000A", "0X003D", "0XC011", "0XC012", "0XC013",
    "0XC014", "0XC027", "0XC028", "0XC02F", "0XFFFF",
];

/// The UFS upload checksum as the FILE manual and fwupd define it: every two bytes make a
/// 16-bit word, the first byte high; an odd last byte is a word with a zero low byte; the
/// words are XORed together.
fn qfupl_checksum(data: &[u8]) -> u16 {
    let mut sum = 0u16;
    let mut i = 0;
    while i < data.len() {
        let high = (data[i] as u16) << 8;
        let low = if i + 1 < data.len() {
            data[i + 1] as u16
        } else {
            0
        };
        sum ^= high | low;
        i += 2;
    }
    sum
}

/// `UFS:<name>` and `<name>` are the same UFS file.
fn ufs_name(name: &str) -> &str {
    name.strip_prefix("UFS:").unwrap_or(name)
}

/// A `AT+QFLST`/`AT+QFDEL` pattern: `*` matches any run of characters.
fn matches(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == name,
        Some((head, tail)) => {
            name.len() >= head.len() + tail.len()
                && name.starts_with(head)
                && (tail.contains('*') || name.ends_with(tail))
        }
    }
}

/// The Quectel model's state.
#[derive(Debug, Default)]
pub(crate) struct Quectel {
    slots: [Slot; SLOTS],
    pdp: HashMap<u8, Pdp>,
    http: HttpState,
    ssl: [SslCtx; SSL_CTXS],
    /// Open UFS files (`AT+QFOPEN`): handle → (name, position). Gone with a reboot; the
    /// files themselves are not.
    open: HashMap<u32, (String, usize)>,
    next_handle: u32,
}

fn slot_index(a: &Arg) -> Option<usize> {
    a.int()
        .filter(|i| (0..SLOTS as i64).contains(i))
        .map(|i| i as usize)
}

fn now_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0)
}

impl Quectel {
    pub(crate) async fn command(&mut self, core: &mut Core, cmd: &Cmd) {
        match (cmd.name.as_str(), cmd.form) {
            ("+QENG", Form::Set) if cmd.text(0) == Some("servingcell") => {
                if core.reg_stat() == 1 {
                    core.line(r#"+QENG: "servingcell","NOCONN","LTE","TDD",460,00,5C4EF01,121,38400,39,5,5,550B,-98,-8,-70,21,42"#).await;
                } else {
                    core.line(r#"+QENG: "servingcell","SEARCH""#).await;
                }
                core.ok().await
            }
            ("+QICSGP", Form::Set) => self.qicsgp(core, cmd).await,
            ("+QIACT", Form::Set) => self.qiact(core, cmd).await,
            ("+QIACT", Form::Read) => {
                let ip = &core.cfg.addresses.0;
                let mut active: Vec<(u8, String)> = (self.pdp.iter().filter(|(_, p)| p.active))
                    .map(|(cid, p)| {
                        (
                            *cid,
                            format!("+QIACT: {cid},1,{},\"{ip}\"", p.ctx_type.max(1)),
                        )
                    })
                    .collect();
                active.sort();
                core.answer(active.into_iter().map(|(_, l)| l)).await
            }
            ("+QIDEACT", Form::Set) => match cmd.int(0) {
                Some(cid @ 1..=16) => {
                    self.deactivate(cid as u8);
                    core.ok().await
                }
                _ => core.bad_args().await,
            },
            ("+QPOWD", _) => {
                core.ok().await;
                let _ = core.events.send(Event::Fault(Fault::Reboot));
            }
            ("+QMTCFG", Form::Set) => self.qmtcfg(core, cmd).await,
            ("+QMTOPEN", Form::Set) => self.qmtopen(core, cmd).await,
            ("+QMTOPEN", Form::Read) => {
                let open = (self.slots.iter().enumerate())
                    .filter(|(_, s)| s.state != State::Closed)
                    .map(|(i, s)| format!("+QMTOPEN: {i},\"{}\",{}", s.host, s.port));
                core.answer(open.collect::<Vec<_>>()).await
            }
            ("+QMTCLOSE", Form::Set) => match slot_index(cmd.arg(0)) {
                Some(i) if cmd.args.len() == 1 => {
                    self.slots[i].drop_link();
                    core.ok().await;
                    core.line(&format!("+QMTCLOSE: {i},0")).await
                }
                _ => core.bad_args().await,
            },
            ("+QMTCONN", Form::Set) => self.qmtconn(core, cmd).await,
            ("+QMTCONN", Form::Read) => {
                let states = self.slots.iter().enumerate().filter_map(|(i, s)| {
                    let n = match s.state {
                        State::Closed | State::Opening => return None,
                        State::Opened => 1,
                        State::Connecting => 2,
                        State::Connected => 3,
                    };
                    Some(format!("+QMTCONN: {i},{n}"))
                });
                core.answer(states.collect::<Vec<_>>()).await
            }
            ("+QMTDISC", Form::Set) => match slot_index(cmd.arg(0)) {
                Some(i) => {
                    let s = &mut self.slots[i];
                    let ok = s.state == State::Connected;
                    if let Some(l) = s.link.take() {
                        let _ = l.send(ToLink::Disconnect);
                    }
                    s.state = State::Closed;
                    core.ok().await;
                    core.line(&format!("+QMTDISC: {i},{}", if ok { 0 } else { -1 }))
                        .await
                }
                None => core.bad_args().await,
            },
            ("+QMTSUB", Form::Set) => self.qmtsub(core, cmd, true).await,
            ("+QMTUNS", Form::Set) => self.qmtsub(core, cmd, false).await,
            ("+QMTPUBEX", Form::Set) => self.publish(core, cmd, "+QMTPUBEX").await,
            ("+QMTPUB", Form::Set) => self.publish(core, cmd, "+QMTPUB").await,
            ("+QMTRECV", Form::Set) => self.qmtrecv(core, cmd).await,
            ("+QMTRECV", Form::Read) => {
                let lines = (self.slots.iter().enumerate())
                    .filter(|(_, s)| s.state != State::Closed)
                    .map(|(i, s)| {
                        let used: Vec<String> = s
                            .stored
                            .iter()
                            .map(|m| u8::from(m.is_some()).to_string())
                            .collect();
                        format!("+QMTRECV: {i},{}", used.join(","))
                    });
                core.answer(lines.collect::<Vec<_>>()).await
            }
            ("+QHTTPCFG", Form::Set) => self.qhttpcfg(core, cmd).await,
            ("+QHTTPURL", Form::Set) => self.qhttpurl(core, cmd).await,
            ("+QHTTPURL", Form::Read) => {
                if let Some(u) = self.http.url.clone() {
                    core.line(&format!("+QHTTPURL: \"{u}\"")).await;
                }
                core.ok().await
            }
            ("+QHTTPPOST", Form::Set) => self.qhttppost(core, cmd).await,
            ("+QHTTPGET", Form::Exec | Form::Set) => self.qhttpget(core, cmd).await,
            ("+QHTTPGETEX", Form::Set) => self.qhttpgetex(core, cmd).await,
            ("+QHTTPREAD", Form::Exec | Form::Set) => self.qhttpread(core).await,
            ("+QHTTPSTOP", Form::Exec) => {
                self.http.pending = None;
                core.ok().await
            }
            ("+QSSLCFG", Form::Set) => self.qsslcfg(core, cmd).await,
            ("+QFUPL", Form::Set) => self.qfupl(core, cmd).await,
            ("+QFLST", Form::Exec | Form::Set) => {
                let pattern = cmd.text(0).unwrap_or("*");
                let prefix = if pattern.starts_with("UFS:") {
                    "UFS:"
                } else {
                    ""
                };
                let lines: Vec<String> = {
                    let files = core.files.lock().unwrap();
                    (files.iter())
                        .filter(|(n, _)| matches(ufs_name(pattern), n))
                        .map(|(n, d)| format!("+QFLST: \"{prefix}{n}\",{}", d.len()))
                        .collect()
                };
                core.answer(lines).await
            }
            ("+QFOPEN", Form::Set) => self.qfopen(core, cmd).await,
            ("+QFREAD", Form::Set) => self.qfread(core, cmd).await,
            ("+QFCLOSE", Form::Set) => match cmd.int(0).and_then(|h| u32::try_from(h).ok()) {
                Some(h) if self.open.remove(&h).is_some() => core.ok().await,
                // 416: invalid file descriptor.
                _ => core.cme(416).await,
            },
            ("+QFDEL", Form::Set) => {
                let Some(pattern) = cmd.text(0).map(ufs_name) else {
                    return core.bad_args().await;
                };
                let removed = {
                    let mut files = core.files.lock().unwrap();
                    let before = files.len();
                    files.retain(|n, _| !matches(pattern, n));
                    before - files.len()
                };
                match removed {
                    // `*` on an empty UFS is fine; a missing named file is 405.
                    0 if pattern != "*" => core.cme(405).await,
                    _ => core.ok().await,
                }
            }
            _ => core.error().await,
        }
    }

    async fn qsslcfg(&mut self, core: &mut Core, cmd: &Cmd) {
        let (Some(name), Some(ctx @ 0..=5)) = (cmd.text(0), cmd.int(1)) else {
            return core.bad_args().await;
        };
        let name = name.to_ascii_lowercase();
        let c = &mut self.ssl[ctx as usize];
        let Some((&key, _)) = c.0.get_key_value(name.as_str()) else {
            return core.bad_args().await;
        };
        if cmd.args.len() == 2 {
            let line = format!("+QSSLCFG: \"{key}\",{ctx},{}", c.0[key]);
            core.line(&line).await;
            return core.ok().await;
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
            "sni" | "ignorelocaltime" => range(0, 1),
            "negotiatetime" => range(10, 300),
            "ciphersuite" => match cmd.arg(2) {
                Arg::Bare(v) => CIPHER_SUITES
                    .iter()
                    .find(|s| s.eq_ignore_ascii_case(v))
                    .map(|s| s.to_string()),
                _ => None,
            },
            // cacert, clientcert, clientkey: a quoted file name.
            _ => match cmd.arg(2) {
                Arg::Quoted(f) if !f.is_empty() && f.len() <= MAX_FILE_NAME => {
                    Some(format!("\"{f}\""))
                }
                _ => None,
            },
        };
        match value {
            Some(v) if cmd.args.len() == 3 => {
                c.0.insert(key, v);
                core.ok().await
            }
            _ => core.bad_args().await,
        }
    }

    async fn qfupl(&mut self, core: &mut Core, cmd: &Cmd) {
        let (Some(name), Some(size), timeout) = (cmd.text(0), cmd.int(1), cmd.int(2).unwrap_or(5))
        else {
            return core.bad_args().await;
        };
        let name = ufs_name(name).to_string();
        if name.is_empty() || name.len() > MAX_FILE_NAME || name.contains('*') {
            return core.cme(406).await;
        }
        if !(1..=UFS_FREE as i64).contains(&size) || !(1..=65535).contains(&timeout) {
            return core.bad_args().await;
        }
        // `<ackmode>` 1 is not modelled.
        if cmd.int(3).unwrap_or(0) != 0 {
            return core.bad_args().await;
        }
        if core.files.lock().unwrap().contains_key(&name) {
            return core.cme(407).await;
        }
        core.line("CONNECT").await;
        let Some(data) = core
            .read_data(size as usize, Duration::from_secs(timeout as u64))
            .await
        else {
            return core.cme(421).await;
        };
        let line = format!("+QFUPL: {},{:x}", data.len(), qfupl_checksum(&data));
        core.files.lock().unwrap().insert(name, data);
        core.line(&line).await;
        core.ok().await
    }

    /// `AT+QFOPEN="<name>",<mode>`: 0 opens or creates, 1 creates or empties, 2 opens an
    /// existing file read-only (405 when there is none); `+QFOPEN: <filehandle>`, `OK`.
    async fn qfopen(&mut self, core: &mut Core, cmd: &Cmd) {
        let (Some(name), mode) = (cmd.text(0).map(ufs_name), cmd.int(1).unwrap_or(0)) else {
            return core.bad_args().await;
        };
        let name = name.to_string();
        if name.is_empty() || name.len() > MAX_FILE_NAME || name.contains('*') {
            return core.cme(406).await;
        }
        let refused = {
            let mut files = core.files.lock().unwrap();
            match mode {
                0 => {
                    files.entry(name.clone()).or_default();
                    None
                }
                1 => {
                    files.insert(name.clone(), Vec::new());
                    None
                }
                2 if files.contains_key(&name) => None,
                2 => Some(405),
                _ => Some(50),
            }
        };
        if let Some(code) = refused {
            return core.cme(code).await;
        }
        self.next_handle += 1;
        let handle = 1026 + self.next_handle;
        self.open.insert(handle, (name, 0));
        core.line(&format!("+QFOPEN: {handle}")).await;
        core.ok().await
    }

    /// `AT+QFREAD=<filehandle>[,<length>]`: `CONNECT <n>`, the `n` bytes at the file's
    /// position (`n` is fewer than asked at its end; the rest of the file without a
    /// length), `OK`; the position moves past them.
    async fn qfread(&mut self, core: &mut Core, cmd: &Cmd) {
        let Some(handle) = cmd.int(0).and_then(|h| u32::try_from(h).ok()) else {
            return core.bad_args().await;
        };
        let Some((name, pos)) = self.open.get(&handle).cloned() else {
            return core.cme(416).await;
        };
        let data = core
            .files
            .lock()
            .unwrap()
            .get(&name)
            .cloned()
            .unwrap_or_default();
        let rest = data.get(pos..).unwrap_or_default();
        let n = match cmd.int(1) {
            Some(len @ 1..) => rest.len().min(len as usize),
            Some(_) => return core.bad_args().await,
            None => rest.len(),
        };
        self.open.insert(handle, (name, pos + n));
        core.line(&format!("CONNECT {n}")).await;
        core.raw(&rest[..n]).await;
        core.ok().await
    }

    fn deactivate(&mut self, cid: u8) {
        if let Some(p) = self.pdp.get_mut(&cid) {
            p.active = false;
        }
        for s in self.slots.iter_mut().filter(|s| s.cfg.pdpcid == cid) {
            s.drop_link();
        }
    }

    /// Whether context `cid` is up; like the modules, `QMTOPEN` and the HTTP commands
    /// activate it themselves when the network is there.
    fn ensure_pdp(&mut self, core: &Core, cid: u8) -> bool {
        let registered = core.reg_stat() == 1;
        let p = self.pdp.entry(cid).or_default();
        p.active |= registered;
        p.active
    }

    async fn qicsgp(&mut self, core: &mut Core, cmd: &Cmd) {
        let Some(cid @ 1..=16) = cmd.int(0) else {
            return core.bad_args().await;
        };
        let cid = cid as u8;
        if cmd.args.len() == 1 {
            let p = self.pdp.get(&cid).cloned().unwrap_or_default();
            let line = format!(
                "+QICSGP: {},\"{}\",\"{}\",\"{}\",{}",
                p.ctx_type.max(1),
                p.apn,
                p.user,
                p.password,
                p.auth
            );
            core.line(&line).await;
            return core.ok().await;
        }
        let ctx_type = cmd.int(1);
        let auth = if cmd.args.len() > 5 {
            cmd.int(5)
        } else {
            Some(0)
        };
        match (ctx_type, auth) {
            (Some(t @ 1..=3), Some(a @ 0..=3)) if cmd.args.len() <= 6 => {
                let p = self.pdp.entry(cid).or_default();
                p.ctx_type = t as u8;
                p.apn = cmd.text(2).unwrap_or("").into();
                p.user = cmd.text(3).unwrap_or("").into();
                p.password = cmd.text(4).unwrap_or("").into();
                p.auth = a as u8;
                core.ok().await
            }
            _ => core.bad_args().await,
        }
    }

    async fn qiact(&mut self, core: &mut Core, cmd: &Cmd) {
        let Some(cid @ 1..=16) = cmd.int(0) else {
            return core.bad_args().await;
        };
        if let Some(e) = core.sim_error() {
            return core.cme(e).await;
        }
        let p = self.pdp.entry(cid as u8).or_default();
        // Already active, or no network: plain ERROR (as the modules answer).
        if p.active || core.reg_stat() != 1 {
            return core.error().await;
        }
        p.active = true;
        core.ok().await
    }

    async fn qmtcfg(&mut self, core: &mut Core, cmd: &Cmd) {
        let (Some(name), Some(i)) = (cmd.text(0), slot_index(cmd.arg(1))) else {
            return core.bad_args().await;
        };
        let name = name.to_ascii_lowercase();
        let c = &mut self.slots[i].cfg;
        if cmd.args.len() > 2 {
            return match c.set(&name, &cmd.args[2..]) {
                Some(()) => core.ok().await,
                None => core.bad_args().await,
            };
        }
        if name == "aliauth"
            && c.aliauth.is_none()
            && core.cfg.empty_aliauth == EmptyAliauth::OkOnly
        {
            return core.ok().await;
        }
        match c.show(&name) {
            Some(values) => {
                core.line(&format!("+QMTCFG: \"{name}\",{values}")).await;
                core.ok().await
            }
            None => core.bad_args().await,
        }
    }

    async fn qmtopen(&mut self, core: &mut Core, cmd: &Cmd) {
        let (Some(i), Some(host), Some(port)) = (slot_index(cmd.arg(0)), cmd.text(1), cmd.int(2))
        else {
            return core.bad_args().await;
        };
        let Ok(port) = u16::try_from(port) else {
            return core.bad_args().await;
        };
        if let Some(e) = core.sim_error() {
            return core.cme(e).await;
        }
        core.ok().await;
        let result = if self.slots[i].state != State::Closed {
            Some(2)
        } else if !self.ensure_pdp(core, self.slots[i].cfg.pdpcid) {
            Some(3)
        } else {
            match core.cfg.hosts.resolve(host, port) {
                None => Some(4),
                Some(addr) => {
                    let epoch = core.next_epoch();
                    let s = &mut self.slots[i];
                    s.epoch = epoch;
                    s.host = host.into();
                    s.port = port;
                    s.state = State::Opening;
                    s.link = Some(mqtt::spawn(addr, core.link_sink(i as u8, epoch)));
                    None
                }
            }
        };
        if let Some(r) = result {
            core.line(&format!("+QMTOPEN: {i},{r}")).await;
        }
    }

    async fn qmtconn(&mut self, core: &mut Core, cmd: &Cmd) {
        let (Some(i), Some(client_id)) = (slot_index(cmd.arg(0)), cmd.text(1)) else {
            return core.bad_args().await;
        };
        let s = &mut self.slots[i];
        if s.state != State::Opened {
            return core.error().await;
        }
        // With aliauth (and no user name given) the module signs the Aliyun login itself.
        let (client_id, user) = match (cmd.text(2), &s.cfg.aliauth) {
            (Some(u), _) => (
                client_id.to_string(),
                Some((u.to_string(), cmd.text(3).unwrap_or("").to_string())),
            ),
            (None, Some((pk, dn, ds))) => {
                let (cid, user, pass) = aliauth_login(client_id, pk, dn, ds, s.cfg.ssl.0 == 1);
                (cid, Some((user, pass)))
            }
            (None, None) => (client_id.to_string(), None),
        };
        let login = Login {
            client_id,
            user,
            keepalive: s.cfg.keepalive,
            clean: s.cfg.session == 1,
            will: s.cfg.will.clone(),
            // The packet timeout and its retries.
            connack_timeout: core.wait(Duration::from_secs(
                u64::from(s.cfg.timeout.0) * (u64::from(s.cfg.timeout.1) + 1),
            )),
        };
        if let Some(l) = &s.link {
            let _ = l.send(ToLink::Connect(login));
        }
        s.state = State::Connecting;
        core.ok().await
    }

    async fn qmtsub(&mut self, core: &mut Core, cmd: &Cmd, sub: bool) {
        let (Some(i), Some(msgid)) = (slot_index(cmd.arg(0)), cmd.int(1)) else {
            return core.bad_args().await;
        };
        let Ok(msgid @ 1..=65535) = u16::try_from(msgid) else {
            return core.bad_args().await;
        };
        let rest = &cmd.args[2..];
        let order = if sub {
            if rest.is_empty() || !rest.len().is_multiple_of(2) {
                return core.bad_args().await;
            }
            let mut filters = Vec::new();
            for pair in rest.chunks(2) {
                match (pair[0].text(), pair[1].int()) {
                    (Some(t), Some(q @ 0..=2)) if !t.is_empty() => {
                        filters.push((t.to_string(), q as u8))
                    }
                    _ => return core.bad_args().await,
                }
            }
            ToLink::Subscribe(msgid, filters)
        } else {
            let topics: Option<Vec<String>> =
                rest.iter().map(|a| a.text().map(String::from)).collect();
            match topics {
                Some(t) if !t.is_empty() => ToLink::Unsubscribe(msgid, t),
                _ => return core.bad_args().await,
            }
        };
        let s = &self.slots[i];
        match (&s.link, s.state) {
            (Some(l), State::Connected) => {
                let _ = l.send(order);
                core.ok().await
            }
            _ => core.error().await,
        }
    }

    async fn publish(&mut self, core: &mut Core, cmd: &Cmd, urc: &'static str) {
        let (Some(i), Some(msgid), Some(qos), Some(retain), Some(topic)) = (
            slot_index(cmd.arg(0)),
            cmd.int(1),
            cmd.int(2),
            cmd.int(3),
            cmd.text(4),
        ) else {
            return core.bad_args().await;
        };
        let valid = match qos {
            0 => msgid == 0,
            1 | 2 => (1..=65535).contains(&msgid),
            _ => false,
        };
        if !valid || !(0..=1).contains(&retain) || topic.is_empty() || cmd.args.len() > 6 {
            return core.bad_args().await;
        }
        if self.slots[i].state != State::Connected {
            return core.error().await;
        }
        let payload = match cmd.arg(5) {
            // BG9x inline form: the message is the last argument.
            Arg::Quoted(m) => m.as_bytes().to_vec(),
            Arg::Bare(_) => {
                let Some(len @ 1..) = cmd.int(5) else {
                    return core.bad_args().await;
                };
                if len as usize > MAX_PAYLOAD {
                    return core.bad_args().await;
                }
                core.raw(b"\r\n> ").await;
                match core.read_data(len as usize, Duration::from_secs(30)).await {
                    Some(d) => d,
                    None => return core.error().await,
                }
            }
            Arg::Empty if urc == "+QMTPUB" && cmd.args.len() == 5 => {
                core.raw(b"\r\n> ").await;
                match core.read_until_ctrl_z(Duration::from_secs(30), false).await {
                    Some(d) => d,
                    None => return core.error().await,
                }
            }
            Arg::Empty => return core.bad_args().await,
        };
        let payload = if self.slots[i].cfg.send_mode == 1 {
            match crate::at::unhex(&String::from_utf8_lossy(&payload)) {
                Some(p) => p,
                None => return core.error().await,
            }
        } else {
            payload
        };
        let s = &mut self.slots[i];
        let msgid = msgid as u16;
        s.pubs.insert(msgid, urc);
        if let Some(l) = &s.link {
            let _ = l.send(ToLink::Publish {
                pkid: msgid,
                qos: qos as u8,
                retain: retain == 1,
                topic: topic.into(),
                payload,
            });
        }
        core.ok().await
    }

    async fn qmtrecv(&mut self, core: &mut Core, cmd: &Cmd) {
        let Some(i) = slot_index(cmd.arg(0)) else {
            return core.bad_args().await;
        };
        let ids: Vec<usize> = match cmd.int(1) {
            None if cmd.args.len() == 1 => (0..5).collect(),
            Some(id @ 0..=4) => vec![id as usize],
            _ => return core.bad_args().await,
        };
        let with_len = self.slots[i].cfg.recv_mode.1 == 1;
        for id in ids {
            if let Some((msgid, topic, payload)) = self.slots[i].stored[id].take() {
                let head = if with_len {
                    format!("+QMTRECV: {i},{msgid},\"{topic}\",{},\"", payload.len())
                } else {
                    format!("+QMTRECV: {i},{msgid},\"{topic}\",\"")
                };
                let mut tail = payload;
                tail.push(b'"');
                core.line_bytes(&head, &tail).await;
            }
        }
        core.ok().await
    }

    async fn qhttpcfg(&mut self, core: &mut Core, cmd: &Cmd) {
        let Some(name) = cmd.text(0).map(str::to_ascii_lowercase) else {
            return core.bad_args().await;
        };
        let h = &mut self.http;
        let field = match name.as_str() {
            "contextid" => &mut h.contextid,
            "requestheader" => &mut h.requestheader,
            "responseheader" => &mut h.responseheader,
            "sslctxid" => &mut h.sslctxid,
            "contenttype" => &mut h.contenttype,
            _ => return core.bad_args().await,
        };
        let max = match name.as_str() {
            "contextid" => 16,
            "sslctxid" => 5,
            "contenttype" => 5,
            _ => 1,
        };
        if cmd.args.len() == 1 {
            let v = *field;
            core.line(&format!("+QHTTPCFG: \"{name}\",{v}")).await;
            return core.ok().await;
        }
        match cmd.int(1) {
            Some(v) if (0..=max).contains(&v) && cmd.args.len() == 2 => {
                *field = v as u8;
                core.ok().await
            }
            _ => core.bad_args().await,
        }
    }

    async fn qhttpurl(&mut self, core: &mut Core, cmd: &Cmd) {
        let (Some(len @ 1..=2048), timeout) = (cmd.int(0), cmd.int(1).unwrap_or(60)) else {
            return core.bad_args().await;
        };
        if !(1..=2048).contains(&timeout) {
            return core.bad_args().await;
        }
        core.line("CONNECT").await;
        match core
            .read_data(len as usize, Duration::from_secs(timeout as u64))
            .await
        {
            Some(url) => {
                self.http.url = Some(String::from_utf8_lossy(&url).into_owned());
                core.ok().await
            }
            None => core.cme(726).await,
        }
    }

    fn content_type(&self) -> &'static str {
        match self.http.contenttype {
            1 => "text/plain",
            2 => "application/octet-stream",
            3 => "multipart/form-data",
            4 => "application/json",
            5 => "image/jpeg",
            _ => "application/x-www-form-urlencoded",
        }
    }

    /// Checks URL and context before a request; answers the error itself.
    async fn http_ready(&mut self, core: &mut Core) -> Option<String> {
        if self.http.pending.is_some() {
            core.cme(703).await;
            return None;
        }
        let Some(url) = self.http.url.clone() else {
            core.cme(712).await;
            return None;
        };
        if !self.ensure_pdp(core, self.http.contextid) {
            core.cme(709).await;
            return None;
        }
        Some(url)
    }

    async fn qhttppost(&mut self, core: &mut Core, cmd: &Cmd) {
        let (Some(len @ 1..=1_048_576), input, rsp) = (
            cmd.int(0),
            cmd.int(1).unwrap_or(60),
            cmd.int(2).unwrap_or(60),
        ) else {
            return core.bad_args().await;
        };
        let Some(url) = self.http_ready(core).await else {
            return;
        };
        core.line("CONNECT").await;
        let Some(body) = core
            .read_data(len as usize, Duration::from_secs(input.max(1) as u64))
            .await
        else {
            return core.cme(726).await;
        };
        core.ok().await;
        let raw = (self.http.requestheader == 1).then(|| body.clone());
        let job = HttpJob {
            method: "POST",
            url,
            headers: vec![("Content-Type".into(), self.content_type().into())],
            body,
            raw,
            timeout: Duration::from_secs(rsp.max(1) as u64),
        };
        self.http.response = None;
        self.http.pending = Some((core.spawn_http(job), "+QHTTPPOST"));
    }

    async fn qhttpget(&mut self, core: &mut Core, cmd: &Cmd) {
        let rsp = cmd.int(0).unwrap_or(60);
        let Some(url) = self.http_ready(core).await else {
            return;
        };
        let mut raw = None;
        if self.http.requestheader == 1 {
            // The host writes the whole request after CONNECT.
            let (Some(len @ 1..), input) = (cmd.int(1), cmd.int(2).unwrap_or(60)) else {
                return core.bad_args().await;
            };
            core.line("CONNECT").await;
            match core
                .read_data(len as usize, Duration::from_secs(input.max(1) as u64))
                .await
            {
                Some(r) => raw = Some(r),
                None => return core.cme(726).await,
            }
        }
        core.ok().await;
        let job = HttpJob {
            method: "GET",
            url,
            headers: Vec::new(),
            body: Vec::new(),
            raw,
            timeout: Duration::from_secs(rsp.max(1) as u64),
        };
        self.http.response = None;
        self.http.pending = Some((core.spawn_http(job), "+QHTTPGET"));
    }

    /// `AT+QHTTPGETEX=<rsptime>,<start_pos>,<read_len>`: `OK`, then a GET with
    /// `Range: bytes=<start_pos>-<start_pos+read_len-1>` whose result comes as
    /// `+QHTTPGET: <err>,<status>,<len>` (EC2x/EC200; rsptime 1-300 s).
    async fn qhttpgetex(&mut self, core: &mut Core, cmd: &Cmd) {
        let (Some(rsp @ 1..=300), Some(start @ 0..), Some(len @ 1..), 3) =
            (cmd.int(0), cmd.int(1), cmd.int(2), cmd.args.len())
        else {
            return core.bad_args().await;
        };
        let Some(url) = self.http_ready(core).await else {
            return;
        };
        core.ok().await;
        let range = format!("bytes={start}-{}", start + len - 1);
        let job = HttpJob {
            method: "GET",
            url,
            headers: vec![("Range".into(), range)],
            body: Vec::new(),
            raw: None,
            timeout: Duration::from_secs(rsp as u64),
        };
        self.http.response = None;
        self.http.pending = Some((core.spawn_http(job), "+QHTTPGET"));
    }

    async fn qhttpread(&mut self, core: &mut Core) {
        let Some(resp) = self.http.response.take() else {
            return core.cme(705).await;
        };
        core.line("CONNECT").await;
        let mut out = Vec::new();
        if self.http.responseheader == 1 {
            out.extend_from_slice(resp.head_text().as_bytes());
        }
        out.extend_from_slice(&resp.body);
        core.raw(&out).await;
        core.ok().await;
        core.line("+QHTTPREAD: 0").await;
    }

    pub(crate) async fn event(&mut self, core: &mut Core, ev: Event) {
        match ev {
            Event::Link((i, epoch), ev) => self.link_event(core, i as usize, epoch, ev).await,
            Event::Http(epoch, result) => {
                let Some((g, urc)) = self.http.pending else {
                    return;
                };
                if g != epoch {
                    return;
                }
                self.http.pending = None;
                match result {
                    Ok(r) => {
                        let line = format!("{urc}: 0,{},{}", r.status, r.body.len());
                        self.http.response = Some(r);
                        core.line(&line).await
                    }
                    Err(f) => {
                        let code = match f {
                            HttpFail::Url => 711,
                            HttpFail::Dns => 714,
                            HttpFail::Socket => 716,
                            HttpFail::Timeout => 728,
                        };
                        core.line(&format!("{urc}: {code}")).await
                    }
                }
            }
            Event::Fault(Fault::DropMqtt { idx, code }) => {
                if let Some(s) = self.slots.get_mut(idx as usize)
                    && s.state != State::Closed
                {
                    s.drop_link();
                    core.line(&format!("+QMTSTAT: {idx},{code}")).await;
                }
            }
            Event::Fault(Fault::PdpDeact { cid }) => {
                self.deactivate(cid);
                core.line(&format!("+QIURC: \"pdpdeact\",{cid}")).await;
            }
            _ => {}
        }
    }

    async fn link_event(&mut self, core: &mut Core, i: usize, epoch: u64, ev: FromLink) {
        let Some(s) = self.slots.get_mut(i) else {
            return;
        };
        if s.epoch != epoch || s.state == State::Closed {
            return;
        }
        match ev {
            FromLink::Opened(Ok(())) => {
                s.state = State::Opened;
                core.line(&format!("+QMTOPEN: {i},0")).await
            }
            FromLink::Opened(Err(())) => {
                s.state = State::Closed;
                s.link = None;
                core.line(&format!("+QMTOPEN: {i},5")).await
            }
            FromLink::ConnAck(code) => {
                if code == 0 {
                    s.state = State::Connected;
                } else {
                    // A refused login: the platform closes the link; the slot is free again.
                    s.drop_link();
                }
                core.line(&format!("+QMTCONN: {i},0,{code}")).await
            }
            FromLink::SubAck(msgid, codes) => {
                let c: Vec<String> = codes.iter().map(u8::to_string).collect();
                core.line(&format!("+QMTSUB: {i},{msgid},0,{}", c.join(",")))
                    .await
            }
            FromLink::UnsubAck(msgid) => core.line(&format!("+QMTUNS: {i},{msgid},0")).await,
            FromLink::PubRec(_) => {}
            FromLink::PubDone(msgid) => {
                if let Some(urc) = s.pubs.remove(&msgid) {
                    core.line(&format!("{urc}: {i},{msgid},0")).await
                }
            }
            FromLink::Message {
                pkid,
                topic,
                payload,
            } => {
                let (mode, with_len) = s.cfg.recv_mode;
                if mode == 1 {
                    if let Some(id) = s.stored.iter().position(Option::is_none) {
                        s.stored[id] = Some((pkid, topic, payload));
                        core.line(&format!("+QMTRECV: {i},{id}")).await
                    }
                    return;
                }
                let head = if with_len == 1 {
                    format!("+QMTRECV: {i},{pkid},\"{topic}\",{},\"", payload.len())
                } else {
                    format!("+QMTRECV: {i},{pkid},\"{topic}\",\"")
                };
                let mut tail = payload;
                tail.push(b'"');
                core.line_bytes(&head, &tail).await
            }
            FromLink::Closed(reason) => {
                let was = s.state;
                s.link = None;
                s.state = State::Closed;
                s.pubs.clear();
                let code = match reason {
                    CloseReason::Module => return,
                    // Closed before the CONNACK: 4, receiving CONNACK failed.
                    CloseReason::Peer if was == State::Connecting => 4,
                    CloseReason::Peer => 1,
                    CloseReason::NoPingResp => 2,
                    CloseReason::NoConnack => 4,
                };
                core.line(&format!("+QMTSTAT: {i},{code}")).await
            }
        }
    }
}

/// The login a Quectel module derives from `aliauth` (the exact strings real firmware sends
/// are not documented): clientId `<id>|securemode=<2 with ssl, else 3>,signmethod=hmacsha256,
/// timestamp=<ms>|`, user `<dn>&<pk>`, password HMAC-SHA256 of the sorted content.
fn aliauth_login(id: &str, pk: &str, dn: &str, ds: &str, ssl: bool) -> (String, String, String) {
    let ts = now_ms().to_string();
    let mode = if ssl { 2 } else { 3 };
    let cid = format!("{id}|securemode={mode},signmethod=hmacsha256,timestamp={ts}|");
    let content = aliyun::content(&[
        ("clientId", id),
        ("deviceName", dn),
        ("productKey", pk),
        ("timestamp", &ts),
    ]);
    (
        cid,
        format!("{dn}&{pk}"),
        aliyun::sign(SignMethod::Sha256, ds, &content),
    )
}
