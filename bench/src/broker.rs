//! The local platform's MQTT 3.1.1 broker, over the `mqttbytes` packet codec: the Aliyun
//! login check on CONNECT (CONNACK 4/5 on refusal), the one-shot registration sessions
//! (`/ext/register`, `/ext/regnwl`, then the link is closed), subscriptions with `+`/`#`,
//! QoS 0/1/2 both ways, and a tap on everything devices publish. It can be stopped and
//! restarted on the same port, and told to refuse every login.
//!
//! Its own broker rather than rumqttd: rumqttd 0.20's auth hook answers a bool, which cannot
//! tell CONNACK 4 from 5, and cannot push `/ext/register` to a client that did not subscribe.
//!
//! Not emulated: retained messages, persistent sessions (`clean_session=0` is accepted and
//! treated as clean), topic ACLs, keepalive enforcement, TLS (`securemode` is not checked
//! against the transport).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::{Bytes, BytesMut};
use mqttbytes::QoS;
use mqttbytes::v4::{
    ConnAck, ConnectReturnCode, Packet, PubAck, PubComp, PubRec, PubRel, Publish, SubAck,
    SubscribeReasonCode, UnsubAck,
};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, DuplexStream};
use tokio::net::TcpListener;
use tokio::sync::{broadcast, mpsc};
use tokio::task::JoinHandle;

use crate::aliyun::{self, Login, Refusal, TestDevice};

const MAX_PACKET: usize = 256 * 1024;

/// A message a client published to the broker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uplink {
    /// The publisher's MQTT clientId (with its `|...|` extension).
    pub client_id: String,
    /// `(productKey, deviceName)` of a device session, `None` for the operator.
    pub device: Option<(String, String)>,
    /// Topic.
    pub topic: String,
    /// Payload.
    pub payload: Vec<u8>,
    /// QoS of the PUBLISH (0, 1 or 2).
    pub qos: u8,
}

enum Out {
    Packet(Packet),
    Close,
}

struct Conn {
    tx: mpsc::UnboundedSender<Out>,
    device: Option<(String, String)>,
    subs: Vec<(String, QoS)>,
    next_pkid: u16,
}

struct State {
    conns: HashMap<u64, Conn>,
    next_id: u64,
    issued: Vec<(String, String)>,
    refuse: Option<Refusal>,
    devices: Vec<TestDevice>,
    listener: Option<JoinHandle<()>>,
    /// Stopped (`stop`) and not restarted: in-process connections are refused too.
    stopped: bool,
    connects: u64,
    silent: bool,
}

struct Shared {
    state: Mutex<State>,
    uplink: broadcast::Sender<Uplink>,
    addr: Mutex<Option<SocketAddr>>,
}

/// Handle on the broker (cheap to clone).
#[derive(Clone)]
pub struct Broker {
    shared: Arc<Shared>,
}

impl Broker {
    /// Starts a broker on `127.0.0.1` (port 0: any free port) that knows `devices`.
    pub async fn start(port: u16, devices: Vec<TestDevice>) -> std::io::Result<Broker> {
        let (uplink, _) = broadcast::channel(4096);
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                conns: HashMap::new(),
                next_id: 0,
                issued: Vec::new(),
                refuse: None,
                devices,
                listener: None,
                stopped: false,
                connects: 0,
                silent: false,
            }),
            uplink,
            addr: Mutex::new(None),
        });
        let b = Broker { shared };
        b.listen(port).await?;
        Ok(b)
    }

    async fn listen(&self, port: u16) -> std::io::Result<()> {
        let listener = TcpListener::bind(("127.0.0.1", port)).await?;
        *lock(&self.shared.addr) = Some(listener.local_addr()?);
        let shared = self.shared.clone();
        let task = tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                let _ = sock.set_nodelay(true);
                tokio::spawn(connection(shared.clone(), sock));
            }
        });
        let mut st = lock(&self.shared.state);
        st.listener = Some(task);
        st.stopped = false;
        Ok(())
    }

    /// Serve the models' links to this broker's address in process (a `tokio::io::duplex`
    /// pipe instead of a loopback TCP connection) from now on (`true`), or over TCP again
    /// (`false`). The broker behaves the same either way (refusals, silence, stop and
    /// restart included); what changes is that no byte goes through the kernel, so a test
    /// on tokio's paused clock (`start_paused`) sees time advance only when every task
    /// waits for a timer: virtual time, as fast as the CPU allows. (Over loopback TCP the
    /// paused clock would also jump while a packet is in flight.)
    pub fn serve_in_process(&self, on: bool) {
        let addr = self.addr();
        let mut reg = lock(registry());
        reg.retain(|(a, b)| *a != addr && b.strong_count() > 0);
        if on {
            reg.push((addr, Arc::downgrade(&self.shared)));
        }
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        lock(&self.shared.addr).unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    /// Stops listening and closes every connection (the port stays reserved for `restart`).
    pub fn stop(&self) {
        let mut st = lock(&self.shared.state);
        if let Some(l) = st.listener.take() {
            l.abort();
        }
        st.stopped = true;
        for (_, c) in st.conns.drain() {
            let _ = c.tx.send(Out::Close);
        }
    }

    /// Listens again on the same port.
    pub async fn restart(&self) -> std::io::Result<()> {
        self.stop();
        // The aborted listener releases its socket when its task is dropped.
        tokio::task::yield_now().await;
        let port = self.addr().port();
        let mut last = None;
        for _ in 0..50 {
            match self.listen(port).await {
                Ok(()) => return Ok(()),
                Err(e) => last = Some(e),
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        Err(last.unwrap_or_else(|| std::io::Error::other("restart failed")))
    }

    /// Refuse every login with this code (`None`: check logins normally again).
    pub fn refuse_logins(&self, code: Option<Refusal>) {
        lock(&self.shared.state).refuse = code;
    }

    /// Stop answering (`true`): connections stay open but get no CONNACK, PINGRESP,
    /// acknowledgement or message; `false` answers again.
    pub fn silence(&self, on: bool) {
        lock(&self.shared.state).silent = on;
    }

    /// Everything clients publish from now on.
    pub fn uplink(&self) -> broadcast::Receiver<Uplink> {
        self.shared.uplink.subscribe()
    }

    /// Records a token the platform issued (iotToken of `/auth/devicename`).
    pub fn issue(&self, user: String, token: String) {
        lock(&self.shared.state).issued.push((user, token));
    }

    /// Number of CONNECT packets received so far.
    pub fn connects(&self) -> u64 {
        lock(&self.shared.state).connects
    }

    /// Number of open client connections.
    pub fn clients(&self) -> usize {
        lock(&self.shared.state).conns.len()
    }

    /// Publishes as the platform to every matching subscription; returns how many got it.
    pub fn publish(&self, topic: &str, payload: &[u8], qos: u8) -> usize {
        route(&self.shared, topic, payload, qos_of(qos))
    }

    /// Sends a message to one device's sessions whatever they subscribed (as the platform does
    /// for `/ext/register`); returns how many sessions got it.
    pub fn push_to_device(&self, pk: &str, dn: &str, topic: &str, payload: &[u8]) -> usize {
        let mut st = lock(&self.shared.state);
        let mut n = 0;
        for c in st.conns.values_mut() {
            if c.device.as_ref().is_some_and(|(p, d)| p == pk && d == dn) {
                let p =
                    Publish::from_bytes(topic, QoS::AtMostOnce, Bytes::copy_from_slice(payload));
                n += usize::from(c.tx.send(Out::Packet(Packet::Publish(p))).is_ok());
            }
        }
        n
    }
}

/// Brokers serving in process, by address ([`Broker::serve_in_process`]).
type Registry = Mutex<Vec<(SocketAddr, std::sync::Weak<Shared>)>>;

fn registry() -> &'static Registry {
    static REGISTRY: std::sync::OnceLock<Registry> = std::sync::OnceLock::new();
    REGISTRY.get_or_init(Registry::default)
}

/// What a model's link to `addr` finds.
pub(crate) enum Dial {
    /// A broker serving in process: the client end of its pipe, or `None` when it is
    /// stopped (a refused connection).
    InProcess(Option<DuplexStream>),
    /// Nothing in process: connect over TCP.
    Tcp,
}

/// A link to `addr`, in process when a broker serves that address so.
pub(crate) fn dial(addr: SocketAddr) -> Dial {
    let shared = lock(registry())
        .iter()
        .find(|(a, _)| *a == addr)
        .and_then(|(_, b)| b.upgrade());
    let Some(shared) = shared else {
        return Dial::Tcp;
    };
    if lock(&shared.state).stopped {
        return Dial::InProcess(None);
    }
    let (client, server) = tokio::io::duplex(64 * 1024);
    tokio::spawn(connection(shared, server));
    Dial::InProcess(Some(client))
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn is_silent(shared: &Shared) -> bool {
    lock(&shared.state).silent
}

fn qos_of(n: u8) -> QoS {
    match n {
        0 => QoS::AtMostOnce,
        1 => QoS::AtLeastOnce,
        _ => QoS::ExactlyOnce,
    }
}

/// Delivers to every subscription that matches (the publisher's own too, as MQTT 3.1.1 does),
/// at the lower of the message's and the subscription's QoS; returns how many got it.
fn route(shared: &Shared, topic: &str, payload: &[u8], qos: QoS) -> usize {
    let mut st = lock(&shared.state);
    let mut n = 0;
    for c in st.conns.values_mut() {
        let Some(sub_qos) = c
            .subs
            .iter()
            .filter(|(f, _)| mqttbytes::matches(topic, f))
            .map(|(_, q)| *q as u8)
            .max()
        else {
            continue;
        };
        let q = qos_of((qos as u8).min(sub_qos));
        let mut p = Publish::from_bytes(topic, q, Bytes::copy_from_slice(payload));
        if q != QoS::AtMostOnce {
            c.next_pkid = c.next_pkid.checked_add(1).filter(|&x| x != 0).unwrap_or(1);
            p.pkid = c.next_pkid;
        }
        n += usize::from(c.tx.send(Out::Packet(Packet::Publish(p))).is_ok());
    }
    n
}

async fn write<S: AsyncWrite + Unpin>(sock: &mut S, p: &Packet) -> std::io::Result<()> {
    let mut buf = BytesMut::new();
    let r = match p {
        Packet::ConnAck(x) => x.write(&mut buf),
        Packet::Publish(x) => x.write(&mut buf),
        Packet::PubAck(x) => x.write(&mut buf),
        Packet::PubRec(x) => x.write(&mut buf),
        Packet::PubRel(x) => x.write(&mut buf),
        Packet::PubComp(x) => x.write(&mut buf),
        Packet::SubAck(x) => x.write(&mut buf),
        Packet::UnsubAck(x) => x.write(&mut buf),
        Packet::PingResp => mqttbytes::v4::PingResp.write(&mut buf),
        _ => Ok(0),
    };
    r.map_err(|e| std::io::Error::other(format!("{e:?}")))?;
    sock.write_all(&buf).await
}

/// Reads one packet; `None` on EOF or a malformed stream.
async fn read<S: AsyncRead + Unpin>(sock: &mut S, buf: &mut BytesMut) -> Option<Packet> {
    loop {
        match mqttbytes::v4::read(buf, MAX_PACKET) {
            Ok(p) => return Some(p),
            Err(mqttbytes::Error::InsufficientBytes(_)) => {}
            Err(_) => return None,
        }
        if sock.read_buf(buf).await.ok()? == 0 {
            return None;
        }
    }
}

async fn connection<S: AsyncRead + AsyncWrite + Unpin>(shared: Arc<Shared>, mut sock: S) {
    let mut buf = BytesMut::with_capacity(4096);
    let Some(Packet::Connect(connect)) = read(&mut sock, &mut buf).await else {
        return;
    };
    let (user, pass) = connect
        .login
        .as_ref()
        .map(|l| (l.username.clone(), l.password.clone()))
        .unwrap_or_default();
    if is_silent(&shared) {
        // A broker that does not answer: read and drop until the client gives up.
        while read(&mut sock, &mut buf).await.is_some() {}
        return;
    }
    let verdict = {
        let mut st = lock(&shared.state);
        st.connects += 1;
        match st.refuse {
            Some(r) => Err(r),
            None => aliyun::check_login(&st.devices, &st.issued, &connect.client_id, &user, &pass),
        }
    };
    let login = match verdict {
        Ok(l) => l,
        Err(r) => {
            let code = match r {
                Refusal::BadCredentials => ConnectReturnCode::BadUserNamePassword,
                Refusal::NotAuthorized => ConnectReturnCode::NotAuthorized,
            };
            let _ = write(&mut sock, &Packet::ConnAck(ConnAck::new(code, false))).await;
            return;
        }
    };
    let ok = Packet::ConnAck(ConnAck::new(ConnectReturnCode::Success, false));
    if write(&mut sock, &ok).await.is_err() {
        return;
    }
    // Registration sessions: one message, then the platform closes the link.
    let one_shot = match &login {
        Login::Register(m) => Some(("/ext/register", m.clone())),
        Login::Regnwl(m) => {
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(m) {
                let field = |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or("").to_string();
                lock(&shared.state)
                    .issued
                    .push((field("clientId"), field("deviceToken")));
            }
            Some(("/ext/regnwl", m.clone()))
        }
        _ => None,
    };
    if let Some((topic, msg)) = one_shot {
        let p = Publish::new(topic, QoS::AtMostOnce, msg.into_bytes());
        let _ = write(&mut sock, &Packet::Publish(p)).await;
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let _ = sock.shutdown().await;
        return;
    }
    let device = match login {
        Login::Device {
            product_key,
            device_name,
        } => Some((product_key, device_name)),
        _ => None,
    };
    let grant_aliyun = device.is_some();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let id = {
        let mut st = lock(&shared.state);
        // A second login of the same device kicks the first (as the platform does).
        if let Some(d) = &device {
            st.conns.retain(|_, c| {
                let same = c.device.as_ref() == Some(d);
                if same {
                    let _ = c.tx.send(Out::Close);
                }
                !same
            });
        }
        st.next_id += 1;
        let id = st.next_id;
        st.conns.insert(
            id,
            Conn {
                tx: tx.clone(),
                device: device.clone(),
                subs: Vec::new(),
                next_pkid: 0,
            },
        );
        id
    };
    let will = connect.last_will.clone();
    let mut clean = false;
    loop {
        let step = tokio::select! {
            out = rx.recv() => Err(out),
            p = read(&mut sock, &mut buf) => Ok(p),
        };
        match step {
            Err(out) => match out {
                Some(Out::Packet(p)) => {
                    if !is_silent(&shared) && write(&mut sock, &p).await.is_err() {
                        break;
                    }
                }
                Some(Out::Close) | None => {
                    let _ = sock.shutdown().await;
                    clean = true;
                    break;
                }
            },
            Ok(p) => {
                let Some(p) = p else { break };
                let reply = match p {
                    Packet::Publish(p) => {
                        let up = Uplink {
                            client_id: connect.client_id.clone(),
                            device: device.clone(),
                            topic: p.topic.clone(),
                            payload: p.payload.to_vec(),
                            qos: p.qos as u8,
                        };
                        route(&shared, &p.topic, &p.payload, p.qos);
                        let _ = shared.uplink.send(up);
                        match p.qos {
                            QoS::AtMostOnce => None,
                            QoS::AtLeastOnce => Some(Packet::PubAck(PubAck::new(p.pkid))),
                            QoS::ExactlyOnce => Some(Packet::PubRec(PubRec::new(p.pkid))),
                        }
                    }
                    Packet::PubRel(r) => Some(Packet::PubComp(PubComp::new(r.pkid))),
                    Packet::PubRec(r) => Some(Packet::PubRel(PubRel::new(r.pkid))),
                    Packet::Subscribe(s) => {
                        let mut codes = Vec::new();
                        let mut st = lock(&shared.state);
                        if let Some(c) = st.conns.get_mut(&id) {
                            for f in s.filters {
                                if !mqttbytes::valid_filter(&f.path) {
                                    codes.push(SubscribeReasonCode::Failure);
                                    continue;
                                }
                                // The platform grants QoS 1 to device subscriptions (the
                                // Quectel note shows `+QMTSUB: 0,1,0,1` for a QoS 0 request).
                                let granted = if grant_aliyun {
                                    QoS::AtLeastOnce
                                } else {
                                    f.qos
                                };
                                codes.push(SubscribeReasonCode::Success(granted));
                                c.subs.retain(|(p, _)| *p != f.path);
                                c.subs.push((f.path, f.qos));
                            }
                        }
                        Some(Packet::SubAck(SubAck::new(s.pkid, codes)))
                    }
                    Packet::Unsubscribe(u) => {
                        if let Some(c) = lock(&shared.state).conns.get_mut(&id) {
                            c.subs.retain(|(p, _)| !u.topics.contains(p));
                        }
                        Some(Packet::UnsubAck(UnsubAck::new(u.pkid)))
                    }
                    Packet::PingReq => Some(Packet::PingResp),
                    Packet::Disconnect => {
                        clean = true;
                        break;
                    }
                    _ => None,
                };
                if let Some(r) = reply
                    && !is_silent(&shared)
                    && write(&mut sock, &r).await.is_err()
                {
                    break;
                }
            }
        }
    }
    lock(&shared.state).conns.remove(&id);
    if !clean && let Some(w) = will {
        route(&shared, &w.topic, &w.message, w.qos);
    }
}
