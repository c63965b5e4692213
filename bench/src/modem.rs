//! What both module models share: the host-facing loop (command lines ended by S3, echo,
//! data phases with their timeouts), the result framing (`OK`, `ERROR`, `+CME ERROR` in the
//! three `AT+CMEE` modes), SIM and network registration, the 3GPP and identity commands,
//! the output faults (silence, byte-by-byte, garbage) and the handle a test holds to inject
//! faults. The families (`quectel`, `luat`) add their own commands and URCs.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;

use crate::at::{self, Cmd, Form};
use crate::http::Response;
use crate::luat::Luat;
use crate::mqtt::FromLink;
use crate::platform::HostMap;
use crate::quectel::Quectel;

/// Which module family a model plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// Quectel EC2x / EC600 / BG9x.
    Quectel,
    /// Luat Air72x / Air780E.
    Luat,
}

/// The SIM card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sim {
    /// `+CPIN: READY`.
    Ready,
    /// `+CPIN: SIM PIN` until `AT+CPIN="<pin>"`.
    PinRequired,
    /// `+CME ERROR: 10`.
    NotInserted,
}

/// How Quectel answers `AT+QMTCFG="aliauth",<idx>` when no triple is stored: firmwares
/// differ (the Quectel note shows both).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmptyAliauth {
    /// `+QMTCFG: "aliauth",,,` then `OK`.
    EmptyFields,
    /// `OK` alone.
    OkOnly,
}

/// Everything a model is configured with. The defaults are the values the vendor notes
/// print, so that a model replays the notes' exchanges byte for byte.
#[derive(Debug, Clone)]
pub struct ModemConfig {
    /// The family.
    pub family: Family,
    /// Host names the module resolves (see [`crate::Platform::host_map`]).
    pub hosts: HostMap,
    /// The SIM card.
    pub sim: Sim,
    /// The PIN `AT+CPIN` accepts.
    pub pin: String,
    /// Time from boot (or PIN entry) until the module is registered.
    pub registration_delay: Duration,
    /// Registration is denied (`+CEREG: 0,3`) instead of reached.
    pub denied: bool,
    /// `AT+CMEE` after boot.
    pub cmee: u8,
    /// Emit the boot URCs (`RDY` …) when the model starts.
    pub boot_urcs: bool,
    /// Time a reboot keeps the module down (between its power-down notice and `RDY`).
    pub boot_delay: Duration,
    /// Upper bound on every data-phase and response wait (keeps tests short).
    pub max_wait: Duration,
    /// IMEI (`AT+CGSN`, `AT+GSN`).
    pub imei: String,
    /// IMSI (`AT+CIMI`).
    pub imsi: String,
    /// ICCID (`AT+QCCID`, `AT+CCID`).
    pub iccid: String,
    /// Firmware revision (`AT+CGMR`, `ATI`).
    pub revision: String,
    /// `AT+CSQ` values.
    pub csq: (u8, u8),
    /// PDP addresses (IPv4, IPv6).
    pub addresses: (String, String),
    /// Quectel `AT+QMTCFG="aliauth"` query without a triple.
    pub empty_aliauth: EmptyAliauth,
}

impl ModemConfig {
    /// Defaults for a family (the notes' values), resolving host names with `hosts`.
    pub fn new(family: Family, hosts: HostMap) -> Self {
        let revision = match family {
            Family::Quectel => "EC200UCNAAR02A09M08",
            Family::Luat => "AirM2M_Air724UG_V409_LTE_AT",
        };
        ModemConfig {
            family,
            hosts,
            sim: Sim::Ready,
            pin: "1234".into(),
            registration_delay: Duration::ZERO,
            denied: false,
            cmee: 1,
            boot_urcs: false,
            boot_delay: Duration::from_millis(50),
            max_wait: Duration::from_secs(5),
            imei: "862991419835241".into(),
            imsi: "460040000000001".into(),
            iccid: "89860000000000000001".into(),
            revision: revision.into(),
            csq: (24, 99),
            addresses: (
                "10.113.242.215".into(),
                "2409:8930:434:5ACF:ACC8:DEB2:8B17:44DB".into(),
            ),
            empty_aliauth: EmptyAliauth::EmptyFields,
        }
    }
}

/// A fault a test injects into a model.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Drop MQTT client `idx` (Luat: its only link): Quectel reports `+QMTSTAT: <idx>,<code>`,
    /// Luat `CLOSED`.
    DropMqtt { idx: u8, code: u8 },
    /// The network deactivates PDP context `cid`: `+QIURC: "pdpdeact",<cid>` / `+PDP DEACT`;
    /// its links die.
    PdpDeact { cid: u8 },
    /// Reboot: `POWERED DOWN` (Luat: `NORMAL POWER DOWN`), down for `boot_delay`, then the
    /// boot URCs; all state is lost.
    Reboot,
    /// Stop answering (`true`) or answer again (`false`); input meanwhile is swallowed.
    Silent(bool),
    /// Write the output one byte at a time with this gap (`None`: at once again).
    Slow(Option<Duration>),
    /// Write these bytes now.
    Garbage(Vec<u8>),
    /// Write this URC now.
    Urc(String),
    /// Write this URC `n` times.
    Storm { urc: String, n: usize },
}

/// What the model's loop reacts to besides host bytes.
#[derive(Debug)]
pub(crate) enum Event {
    /// An MQTT link event: (slot, link generation).
    Link((u8, u64), FromLink),
    /// An HTTP request finished (generation, result).
    Http(u64, Result<Response, HttpFail>),
    /// The registration delay ended (boot generation).
    Registered(u64),
    /// A fault from the test.
    Fault(Fault),
}

/// Why a module's HTTP request failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HttpFail {
    /// The URL does not parse.
    Url,
    /// The host name does not resolve (not in the host map).
    Dns,
    /// No TCP connection, or the connection broke.
    Socket,
    /// No response in time.
    Timeout,
}

/// What a module's HTTP request is.
pub(crate) struct HttpJob {
    pub method: &'static str,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// A whole request the host wrote (Quectel `requestheader=1`), sent as is.
    pub raw: Option<Vec<u8>>,
    pub timeout: Duration,
}

/// A test's handle on a running model: fault injection, and the model's log of what it did.
#[derive(Debug, Clone)]
pub struct ModemHandle {
    tx: mpsc::UnboundedSender<Event>,
    log: Log,
    files: Files,
}

/// What a model did, one line an entry: `< <command line>` for each command it took (secrets
/// and all: it is a test tool), `> <line>` for each `+CME ERROR` answer (or the `ERROR` that
/// stands for it with `AT+CMEE=0`), `fault: <what>` for each fault it applied.
pub type Log = std::sync::Arc<std::sync::Mutex<Vec<String>>>;

/// The module's file system (Quectel UFS, Luat FS): name → content. It survives reboots,
/// as a real module's flash does.
pub type Files = std::sync::Arc<std::sync::Mutex<std::collections::BTreeMap<String, Vec<u8>>>>;

impl ModemHandle {
    /// The model's log so far.
    pub fn log(&self) -> Vec<String> {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// The content of file `name` in the module's file system, if it is there.
    pub fn file(&self, name: &str) -> Option<Vec<u8>> {
        self.files.lock().ok()?.get(name).cloned()
    }

    /// Puts a file in the module's file system, as if an earlier firmware or another host
    /// had written it (it replaces one of the same name).
    pub fn put_file(&self, name: &str, data: &[u8]) {
        if let Ok(mut f) = self.files.lock() {
            f.insert(name.to_string(), data.to_vec());
        }
    }

    /// The names of the files in the module's file system, sorted.
    pub fn file_names(&self) -> Vec<String> {
        self.files
            .lock()
            .map(|f| f.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// Injects a fault (ignored once the model has stopped).
    pub fn inject(&self, fault: Fault) {
        let _ = self.tx.send(Event::Fault(fault));
    }

    /// Drops MQTT client `idx` with `+QMTSTAT: <idx>,<code>` (Luat: `CLOSED`).
    pub fn drop_mqtt(&self, idx: u8, code: u8) {
        self.inject(Fault::DropMqtt { idx, code });
    }

    /// Deactivates PDP context `cid` from the network side.
    pub fn pdp_deact(&self, cid: u8) {
        self.inject(Fault::PdpDeact { cid });
    }

    /// Reboots the module.
    pub fn reboot(&self) {
        self.inject(Fault::Reboot);
    }

    /// Stops or resumes answering.
    pub fn silent(&self, on: bool) {
        self.inject(Fault::Silent(on));
    }

    /// Byte-by-byte output with `gap` between bytes, or normal output again.
    pub fn slow(&self, gap: Option<Duration>) {
        self.inject(Fault::Slow(gap));
    }

    /// Writes garbage bytes.
    pub fn garbage(&self, bytes: &[u8]) {
        self.inject(Fault::Garbage(bytes.to_vec()));
    }

    /// Writes one URC.
    pub fn urc(&self, urc: &str) {
        self.inject(Fault::Urc(urc.into()));
    }

    /// Writes a URC `n` times.
    pub fn storm(&self, urc: &str, n: usize) {
        self.inject(Fault::Storm { urc: urc.into(), n });
    }
}

/// The family-independent state and the host I/O of a model.
pub(crate) struct Core {
    pub cfg: ModemConfig,
    input: Box<dyn AsyncRead + Unpin + Send>,
    output: Box<dyn AsyncWrite + Unpin + Send>,
    buf: Vec<u8>,
    pub events: mpsc::UnboundedSender<Event>,
    pub echo: bool,
    pub cmee: u8,
    pub sim: Sim,
    /// `+CEREG`/`+CGREG`/`+CREG` URC modes.
    pub reg_n: [u8; 3],
    pub registered: bool,
    /// Boot generation: events of an earlier boot are ignored.
    pub boot: u64,
    silent: bool,
    slow: Option<Duration>,
    closed: bool,
    /// Running a command of a concatenated line that is not the last: `ok` writes nothing
    /// and sets `ok_swallowed` instead.
    swallow_ok: bool,
    ok_swallowed: bool,
    epoch: u64,
    log: Log,
    /// The file system (Quectel `AT+QFUPL`, `AT+QFLST`, `AT+QFDEL`).
    pub files: Files,
}

impl Core {
    /// Adds a line to the model's log.
    pub fn note(&self, entry: String) {
        if let Ok(mut l) = self.log.lock() {
            l.push(entry);
        }
    }

    /// Notes a fault in the log; the event goes on unchanged.
    fn logged(&self, ev: Event) -> Event {
        if let Event::Fault(f) = &ev {
            self.note(format!("fault: {f:?}"));
        }
        ev
    }

    /// A fresh generation for a link or a request (never reused, not even across reboots).
    pub fn next_epoch(&mut self) -> u64 {
        self.epoch += 1;
        self.epoch
    }

    /// Writes bytes to the host, honouring the output faults.
    pub async fn raw(&mut self, bytes: &[u8]) {
        if self.silent || self.closed {
            return;
        }
        let r = match self.slow {
            None => self.output.write_all(bytes).await,
            Some(gap) => {
                let mut r = Ok(());
                for b in bytes {
                    r = self.output.write_all(std::slice::from_ref(b)).await;
                    if r.is_err() {
                        break;
                    }
                    let _ = self.output.flush().await;
                    tokio::time::sleep(gap).await;
                }
                r
            }
        };
        if r.is_err() || self.output.flush().await.is_err() {
            self.closed = true;
        }
    }

    /// `\r\n<line>\r\n`: an information line, a result code or a URC.
    pub async fn line(&mut self, line: &str) {
        self.raw(format!("\r\n{line}\r\n").as_bytes()).await;
    }

    /// A line whose tail is raw bytes (a payload), then `\r\n`.
    pub async fn line_bytes(&mut self, head: &str, tail: &[u8]) {
        let mut b = format!("\r\n{head}").into_bytes();
        b.extend_from_slice(tail);
        b.extend_from_slice(b"\r\n");
        self.raw(&b).await;
    }

    /// Information lines, then `OK`.
    pub async fn answer(&mut self, lines: impl IntoIterator<Item = String>) {
        for l in lines {
            self.line(&l).await;
        }
        self.ok().await;
    }

    /// `OK`.
    pub async fn ok(&mut self) {
        if self.swallow_ok {
            // Not the last command of a concatenated line: its `OK` is not written.
            self.ok_swallowed = true;
            return;
        }
        self.line("OK").await;
    }

    /// `ERROR`.
    pub async fn error(&mut self) {
        self.line("ERROR").await;
    }

    /// `+CME ERROR: <code>` as `AT+CMEE` says (`ERROR` with CMEE=0), noted in the log as
    /// `> <line>`.
    pub async fn cme(&mut self, code: u16) {
        let line = match self.cmee {
            0 => "ERROR".to_string(),
            1 => format!("+CME ERROR: {code}"),
            _ => format!("+CME ERROR: {}", at::cme_text(code)),
        };
        self.note(format!("> {line}"));
        self.line(&line).await;
    }

    /// Bad arguments: `+CME ERROR: 50` ("Incorrect parameters").
    pub async fn bad_args(&mut self) {
        self.cme(50).await;
    }

    /// `0` not registered, `1` home, `2` searching, `3` denied.
    pub fn reg_stat(&self) -> u8 {
        if self.sim != Sim::Ready {
            0
        } else if self.cfg.denied {
            3
        } else if self.registered {
            1
        } else {
            2
        }
    }

    /// The SIM error to answer when it is not ready.
    pub fn sim_error(&self) -> Option<u16> {
        match self.sim {
            Sim::Ready => None,
            Sim::PinRequired => Some(11),
            Sim::NotInserted => Some(10),
        }
    }

    /// Caps a module timeout with the configured `max_wait`.
    pub fn wait(&self, d: Duration) -> Duration {
        d.min(self.cfg.max_wait)
    }

    /// Reads exactly `n` data bytes (after a prompt) within `timeout`.
    pub async fn read_data(&mut self, n: usize, timeout: Duration) -> Option<Vec<u8>> {
        let deadline = tokio::time::Instant::now() + self.wait(timeout);
        while self.buf.len() < n {
            let mut chunk = [0u8; 1024];
            match tokio::time::timeout_at(deadline, self.input.read(&mut chunk)).await {
                Ok(Ok(k)) if k > 0 => self.buf.extend_from_slice(&chunk[..k]),
                _ => return None,
            }
        }
        let rest = self.buf.split_off(n);
        Some(std::mem::replace(&mut self.buf, rest))
    }

    /// Reads data up to Ctrl-Z (0x1A) within `timeout`; ESC (0x1B) cancels (`None`). With
    /// `idle_ends`, a silence of `timeout` after some data ends it too (Luat `AT+MPUBEX`).
    pub async fn read_until_ctrl_z(
        &mut self,
        timeout: Duration,
        idle_ends: bool,
    ) -> Option<Vec<u8>> {
        let timeout = self.wait(timeout);
        let mut deadline = tokio::time::Instant::now() + timeout;
        loop {
            if let Some(i) = self.buf.iter().position(|&b| b == 0x1A || b == 0x1B) {
                let rest = self.buf.split_off(i + 1);
                let mut data = std::mem::replace(&mut self.buf, rest);
                let end = data.pop();
                return (end == Some(0x1A)).then_some(data);
            }
            let mut chunk = [0u8; 1024];
            match tokio::time::timeout_at(deadline, self.input.read(&mut chunk)).await {
                Ok(Ok(k)) if k > 0 => {
                    self.buf.extend_from_slice(&chunk[..k]);
                    if idle_ends {
                        deadline = tokio::time::Instant::now() + timeout;
                    }
                }
                Err(_) if idle_ends && !self.buf.is_empty() => {
                    return Some(std::mem::take(&mut self.buf));
                }
                _ => return None,
            }
        }
    }

    /// Where an MQTT link of `slot` (this `epoch`) reports: the model's loop.
    pub fn link_sink(&self, slot: u8, epoch: u64) -> impl Fn(FromLink) + Send + Sync + 'static {
        let events = self.events.clone();
        move |ev| {
            let _ = events.send(Event::Link((slot, epoch), ev));
        }
    }

    /// Runs an HTTP request in the background; its result comes back as `Event::Http(epoch, _)`.
    pub fn spawn_http(&mut self, job: HttpJob) -> u64 {
        let epoch = self.next_epoch();
        let tx = self.events.clone();
        let hosts = self.cfg.hosts.clone();
        let timeout = self.wait(job.timeout);
        tokio::spawn(async move {
            let result = async {
                let url = crate::http::parse_url(&job.url).ok_or(HttpFail::Url)?;
                let addr = hosts.resolve(&url.host, url.port).ok_or(HttpFail::Dns)?;
                let req = async {
                    match &job.raw {
                        Some(raw) => crate::http::raw(addr, raw).await,
                        None => {
                            crate::http::request(addr, job.method, &url, &job.headers, &job.body)
                                .await
                        }
                    }
                };
                match tokio::time::timeout(timeout, req).await {
                    Ok(Ok(r)) => Ok(r),
                    Ok(Err(_)) => Err(HttpFail::Socket),
                    Err(_) => Err(HttpFail::Timeout),
                }
            }
            .await;
            let _ = tx.send(Event::Http(epoch, result));
        });
        epoch
    }

    fn start_registration(&mut self) {
        self.registered = false;
        if self.sim != Sim::Ready || self.cfg.denied {
            return;
        }
        if self.cfg.registration_delay.is_zero() {
            self.registered = true;
            return;
        }
        let (tx, boot, delay) = (self.events.clone(), self.boot, self.cfg.registration_delay);
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            let _ = tx.send(Event::Registered(boot));
        });
    }

    /// Back to the state after power-up.
    fn reset(&mut self) {
        self.boot += 1;
        self.echo = true;
        self.cmee = self.cfg.cmee;
        self.sim = self.cfg.sim;
        self.reg_n = [0; 3];
        self.buf.clear();
        self.start_registration();
    }

    /// The boot URCs of the family.
    async fn boot_urcs(&mut self) {
        match self.cfg.family {
            Family::Quectel => {
                self.line("RDY").await;
                self.line("+CFUN: 1").await;
                match self.sim {
                    Sim::Ready => {
                        self.line("+CPIN: READY").await;
                        self.line("+QUSIM: 1").await;
                        self.line("+QIND: SMS DONE").await;
                    }
                    Sim::PinRequired => self.line("+CPIN: SIM PIN").await,
                    Sim::NotInserted => self.line("+CPIN: NOT INSERTED").await,
                }
                self.line("APP RDY").await;
            }
            Family::Luat => {
                self.line("RDY").await;
                self.line("^MODE: 17,17").await;
                self.line("+E_UTRAN Service").await;
                self.line("+CGEV: ME PDN ACT 1").await;
            }
        }
    }

    /// The commands both families answer alike; `false` when `cmd` is not one of them.
    async fn common(&mut self, cmd: &Cmd) -> bool {
        let family = self.cfg.family;
        match (cmd.name.as_str(), cmd.form) {
            ("", Form::Exec) | ("&W", _) | ("+IPR", Form::Set) => self.ok().await,
            ("E", Form::Exec) => match cmd.int(0).unwrap_or(0) {
                n @ 0..=1 => {
                    self.echo = n == 1;
                    self.ok().await
                }
                _ => self.error().await,
            },
            // Numeric result codes are not modelled: ATV0 is refused.
            ("V", Form::Exec) => match cmd.int(0).unwrap_or(0) {
                1 => self.ok().await,
                _ => self.error().await,
            },
            ("+CMEE", Form::Set) => match cmd.int(0) {
                Some(n @ 0..=2) if cmd.args.len() == 1 => {
                    self.cmee = n as u8;
                    self.ok().await
                }
                _ => self.bad_args().await,
            },
            ("+CMEE", Form::Read) => {
                let n = self.cmee;
                self.line(&format!("+CMEE: {n}")).await;
                self.ok().await
            }
            // The other queries the host's resynchronisation markers are made of, answered
            // with the 27.007 / 27.005 defaults (character set, SMS PDU mode, no packet
            // event reports, no extended ring, SMS service phase 2 with every message type).
            ("+CSCS", Form::Read) => {
                self.line("+CSCS: \"GSM\"").await;
                self.ok().await
            }
            ("+CMGF", Form::Read) => {
                self.line("+CMGF: 0").await;
                self.ok().await
            }
            ("+CGEREP", Form::Read) => {
                self.line("+CGEREP: 0,0").await;
                self.ok().await
            }
            ("+CRC", Form::Read) => {
                self.line("+CRC: 0").await;
                self.ok().await
            }
            ("+CSMS", Form::Read) => {
                self.line("+CSMS: 0,1,1,1").await;
                self.ok().await
            }
            ("+CPIN", Form::Read) => match self.sim {
                Sim::Ready => {
                    self.line("+CPIN: READY").await;
                    self.ok().await
                }
                Sim::PinRequired => {
                    self.line("+CPIN: SIM PIN").await;
                    self.ok().await
                }
                Sim::NotInserted => self.cme(10).await,
            },
            ("+CPIN", Form::Set) => match (self.sim, cmd.text(0)) {
                (Sim::PinRequired, Some(pin)) if pin == self.cfg.pin => {
                    self.sim = Sim::Ready;
                    self.ok().await;
                    self.line("+CPIN: READY").await;
                    self.start_registration();
                }
                (Sim::PinRequired, _) => self.cme(16).await,
                (Sim::NotInserted, _) => self.cme(10).await,
                (Sim::Ready, _) => self.cme(3).await,
            },
            ("+CSQ", Form::Exec) => {
                let (rssi, ber) = if self.sim == Sim::Ready {
                    self.cfg.csq
                } else {
                    (99, 99)
                };
                self.line(&format!("+CSQ: {rssi},{ber}")).await;
                self.ok().await
            }
            (name @ ("+CREG" | "+CGREG" | "+CEREG"), Form::Read) => {
                let i = reg_index(name);
                let (n, stat) = (self.reg_n[i], self.reg_stat());
                // n=2 adds the location (the serving cell of the Quectel note) when registered.
                let loc = if n == 2 && stat == 1 { LOCATION } else { "" };
                self.line(&format!("{name}: {n},{stat}{loc}")).await;
                self.ok().await
            }
            (name @ ("+CREG" | "+CGREG" | "+CEREG"), Form::Set) => match cmd.int(0) {
                Some(n @ 0..=2) => {
                    self.reg_n[reg_index(name)] = n as u8;
                    self.ok().await
                }
                _ => self.bad_args().await,
            },
            ("+CGATT", Form::Read) => {
                let att = u8::from(self.reg_stat() == 1);
                self.line(&format!("+CGATT: {att}")).await;
                self.ok().await
            }
            ("+CGATT", Form::Set) => match cmd.int(0) {
                Some(0..=1) => self.ok().await,
                _ => self.bad_args().await,
            },
            ("+CFUN", Form::Read) => {
                self.line("+CFUN: 1").await;
                self.ok().await
            }
            ("+CFUN", Form::Set) => self.ok().await,
            ("+CGPADDR", Form::Exec | Form::Set) => {
                let cid = if cmd.form == Form::Set {
                    cmd.int(0)
                } else {
                    Some(1)
                };
                match cid {
                    Some(1) if self.reg_stat() == 1 => {
                        let (v4, v6) = self.cfg.addresses.clone();
                        self.line(&format!("+CGPADDR: 1,\"{v4}\",\"{v6}\"")).await;
                        self.ok().await
                    }
                    Some(1..=16) => self.ok().await,
                    _ => self.bad_args().await,
                }
            }
            ("+CGSN" | "+GSN", Form::Exec) => {
                let imei = self.cfg.imei.clone();
                self.line(&imei).await;
                self.ok().await
            }
            ("+CIMI", Form::Exec) => match self.sim_error() {
                Some(e) => self.cme(e).await,
                None => {
                    let imsi = self.cfg.imsi.clone();
                    self.line(&imsi).await;
                    self.ok().await
                }
            },
            ("+QCCID", Form::Exec) if family == Family::Quectel => self.iccid("+QCCID: ").await,
            // Luat manual Base/ICCID: `AT+CCID` answers bare, `AT+ICCID` with `+ICCID: `.
            ("+CCID", Form::Exec) => self.iccid("").await,
            ("+ICCID", Form::Exec) => self.iccid("+ICCID: ").await,
            // 27.007 §5.1 / §5.2: bare text lines.
            ("+CGMI", Form::Exec) => {
                let maker = match family {
                    Family::Quectel => "Quectel",
                    Family::Luat => "AirM2M",
                };
                self.line(maker).await;
                self.ok().await
            }
            ("+CGMM", Form::Exec) => {
                let model = match family {
                    Family::Quectel => "EC200U",
                    Family::Luat => "Air724UG",
                };
                self.line(model).await;
                self.ok().await
            }
            // 27.007 §7.3: `+COPS: <mode>[,<format>,"<oper>",<AcT>]`; no operator until
            // registered.
            ("+COPS", Form::Read) => {
                if self.reg_stat() == 1 {
                    self.line("+COPS: 0,0,\"CHINA MOBILE\",7").await;
                } else {
                    self.line("+COPS: 0").await;
                }
                self.ok().await
            }
            // Luat manual Configuration/CCLK example.
            ("+CCLK", Form::Read) => {
                self.line("+CCLK: \"18/08/07,13:28:31+32\"").await;
                self.ok().await
            }
            ("+CGMR", Form::Exec) => {
                let rev = self.cfg.revision.clone();
                match family {
                    Family::Quectel => self.line(&rev).await,
                    Family::Luat => self.line(&format!("+CGMR: \"{rev}\"")).await,
                }
                self.ok().await
            }
            ("I", Form::Exec) => {
                let rev = self.cfg.revision.clone();
                match family {
                    Family::Quectel => {
                        self.line("Quectel").await;
                        self.raw(format!("EC200U\r\nRevision: {rev}\r\n").as_bytes())
                            .await;
                    }
                    Family::Luat => self.line(&rev).await,
                }
                self.ok().await
            }
            _ => return false,
        }
        true
    }

    async fn iccid(&mut self, prefix: &str) {
        match self.sim_error() {
            Some(e) => self.cme(e).await,
            None => {
                let iccid = self.cfg.iccid.clone();
                self.line(&format!("{prefix}{iccid}")).await;
                self.ok().await
            }
        }
    }
}

/// `,<tac>,<ci>,<AcT>` of the registration URCs and reads with `n=2` (LTE, E-UTRAN).
const LOCATION: &str = r#","550B","5C4EF01",7"#;

fn reg_index(name: &str) -> usize {
    match name {
        "+CREG" => 0,
        "+CGREG" => 1,
        _ => 2,
    }
}

/// A family's state, dispatched by `match` (the two families).
pub(crate) enum Model {
    Quectel(Box<Quectel>),
    Luat(Box<Luat>),
}

impl Model {
    fn new(family: Family) -> Self {
        match family {
            Family::Quectel => Model::Quectel(Box::default()),
            Family::Luat => Model::Luat(Box::default()),
        }
    }

    async fn command(&mut self, core: &mut Core, cmd: &Cmd) {
        match self {
            Model::Quectel(m) => m.command(core, cmd).await,
            Model::Luat(m) => m.command(core, cmd).await,
        }
    }

    async fn event(&mut self, core: &mut Core, ev: Event) {
        match self {
            Model::Quectel(m) => m.event(core, ev).await,
            Model::Luat(m) => m.event(core, ev).await,
        }
    }
}

/// Runs a model on `io` until the host closes it; returns the fault handle at once.
pub fn spawn<IO>(cfg: ModemConfig, io: IO) -> ModemHandle
where
    IO: AsyncRead + AsyncWrite + Send + 'static,
{
    let (tx, rx) = mpsc::unbounded_channel();
    let log = Log::default();
    let files = Files::default();
    let (r, w) = tokio::io::split(io);
    let core = Core {
        cmee: cfg.cmee,
        sim: cfg.sim,
        cfg,
        input: Box::new(r),
        output: Box::new(w),
        buf: Vec::new(),
        events: tx.clone(),
        echo: true,
        reg_n: [0; 3],
        registered: false,
        boot: 0,
        silent: false,
        slow: None,
        closed: false,
        swallow_ok: false,
        ok_swallowed: false,
        epoch: 0,
        log: log.clone(),
        files: files.clone(),
    };
    tokio::spawn(run(core, rx));
    ModemHandle { tx, log, files }
}

/// The commands of one command line: `AT+CMEE?;+CSCS?` is `AT+CMEE?` and `AT+CSCS?`
/// (V.250 §5.2.1; a `;` inside quotes is text). A line that is not `AT...` is itself.
fn concatenated(line: &[u8]) -> Vec<Vec<u8>> {
    let Some(body) = line
        .get(..2)
        .filter(|p| p.eq_ignore_ascii_case(b"AT"))
        .and(line.get(2..))
    else {
        return vec![line.to_vec()];
    };
    let mut parts = Vec::new();
    let (mut quoted, mut start) = (false, 0);
    for (i, &b) in body.iter().enumerate() {
        match b {
            b'"' => quoted = !quoted,
            b';' if !quoted => {
                parts.push(&body[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&body[start..]);
    // A trailing `;` (`ATD<n>;`-style) belongs to its command.
    if parts.len() > 1 && parts.last().is_some_and(|p| p.is_empty()) {
        return vec![line.to_vec()];
    }
    parts
        .into_iter()
        .map(|p| [&line[..2], p].concat())
        .collect()
}

async fn run(mut core: Core, mut events: mpsc::UnboundedReceiver<Event>) {
    let mut model = Model::new(core.cfg.family);
    core.reset();
    if core.cfg.boot_urcs {
        core.boot_urcs().await;
    }
    loop {
        // Whole command lines already buffered come first.
        if let Some(end) = core.buf.iter().position(|&b| b == b'\r') {
            let rest = core.buf.split_off(end + 1);
            let mut line = std::mem::replace(&mut core.buf, rest);
            line.pop();
            // A LF after the previous S3 (hosts that send CRLF) is not part of the line.
            while line.first() == Some(&b'\n') {
                line.remove(0);
            }
            if line.is_empty() {
                continue;
            }
            if core.silent {
                core.note(format!(
                    "ignored (silent): {}",
                    String::from_utf8_lossy(&line)
                ));
                continue;
            }
            core.note(format!("< {}", String::from_utf8_lossy(&line)));
            if core.echo {
                let mut e = line.clone();
                e.push(b'\r');
                core.raw(&e).await;
            }
            // V.250 §5.2.1: several commands on one line, separated by `;`, run in order;
            // one final code ends the line, and the first failing command ends it early.
            let parts = concatenated(&line);
            let last = parts.len().saturating_sub(1);
            for (i, part) in parts.into_iter().enumerate() {
                core.swallow_ok = i < last;
                core.ok_swallowed = false;
                match at::parse(&part) {
                    Some(cmd) => {
                        if !core.common(&cmd).await {
                            model.command(&mut core, &cmd).await;
                        }
                    }
                    None => core.error().await,
                }
                if i < last && !core.ok_swallowed {
                    break;
                }
            }
            core.swallow_ok = false;
            continue;
        }
        let mut chunk = [0u8; 1024];
        // Events first: a fault injected before the host writes applies to what it writes.
        let step = tokio::select! {
            biased;
            ev = events.recv() => Ok(ev),
            n = core.input.read(&mut chunk) => Err(n),
        };
        match step {
            Err(Ok(n)) if n > 0 => core.buf.extend_from_slice(&chunk[..n]),
            Err(_) => return,
            Ok(None) => return,
            Ok(Some(ev)) => match core.logged(ev) {
                Event::Registered(boot) if boot == core.boot => {
                    core.registered = true;
                    for (i, name) in ["+CREG", "+CGREG", "+CEREG"].iter().enumerate() {
                        match core.reg_n[i] {
                            0 => {}
                            1 => core.line(&format!("{name}: 1")).await,
                            _ => core.line(&format!("{name}: 1{LOCATION}")).await,
                        }
                    }
                }
                Event::Registered(_) => {}
                Event::Fault(Fault::Silent(on)) => core.silent = on,
                Event::Fault(Fault::Slow(gap)) => core.slow = gap,
                Event::Fault(Fault::Garbage(b)) => core.raw(&b).await,
                Event::Fault(Fault::Urc(u)) => core.line(&u).await,
                Event::Fault(Fault::Storm { urc, n }) => {
                    for _ in 0..n {
                        core.line(&urc).await;
                    }
                }
                Event::Fault(Fault::Reboot) => {
                    // What each family prints as it goes down: Quectel `POWERED DOWN`, Luat
                    // (as SIMCom) `NORMAL POWER DOWN`.
                    core.line(match core.cfg.family {
                        Family::Quectel => "POWERED DOWN",
                        Family::Luat => "NORMAL POWER DOWN",
                    })
                    .await;
                    model = Model::new(core.cfg.family);
                    // Down: whatever the host writes now is lost.
                    let until = tokio::time::Instant::now() + core.cfg.boot_delay;
                    while let Ok(Ok(n)) =
                        tokio::time::timeout_at(until, core.input.read(&mut chunk)).await
                    {
                        if n == 0 {
                            return;
                        }
                    }
                    core.reset();
                    core.boot_urcs().await;
                }
                other => model.event(&mut core, other).await,
            },
        }
    }
}
