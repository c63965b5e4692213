//! The modules' MQTT stack: a real MQTT 3.1.1 client over a tokio `TcpStream` (or the in-process
//! pipe of a broker that serves so, [`Broker::serve_in_process`](crate::Broker::serve_in_process)) and the
//! `mqttbytes` codec, one task per link. The module model sends it [`ToLink`] orders and turns
//! the [`FromLink`] events it reports into the family's URCs.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::time::Instant;

use bytes::{Bytes, BytesMut};
use mqttbytes::QoS;
use mqttbytes::v4::{
    Connect, ConnectReturnCode, LastWill, Packet, PubAck, PubComp, PubRec, PubRel, Publish,
    Subscribe, SubscribeFilter, SubscribeReasonCode, Unsubscribe,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

/// A last will.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Will {
    /// QoS 0..2.
    pub qos: u8,
    /// Retain flag.
    pub retain: bool,
    /// Topic.
    pub topic: String,
    /// Message.
    pub message: Vec<u8>,
}

/// The CONNECT a module sends.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Login {
    /// clientId.
    pub client_id: String,
    /// User name and password, when given.
    pub user: Option<(String, String)>,
    /// Keepalive in seconds (0: none).
    pub keepalive: u16,
    /// Clean session.
    pub clean: bool,
    /// Last will.
    pub will: Option<Will>,
    /// How long to wait for the CONNACK.
    pub connack_timeout: Duration,
}

/// Orders for a link task.
#[derive(Debug)]
pub enum ToLink {
    /// Send CONNECT.
    Connect(Login),
    /// SUBSCRIBE with this packet id.
    Subscribe(u16, Vec<(String, u8)>),
    /// UNSUBSCRIBE.
    Unsubscribe(u16, Vec<String>),
    /// PUBLISH (packet id ignored at QoS 0).
    Publish {
        pkid: u16,
        qos: u8,
        retain: bool,
        topic: String,
        payload: Vec<u8>,
    },
    /// Send DISCONNECT, then close.
    Disconnect,
    /// Close the TCP connection without a word.
    Drop,
}

/// What a link reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FromLink {
    /// TCP connection result.
    Opened(Result<(), ()>),
    /// CONNACK return code.
    ConnAck(u8),
    /// SUBACK: packet id, granted QoS (128 = refused).
    SubAck(u16, Vec<u8>),
    /// UNSUBACK.
    UnsubAck(u16),
    /// A QoS 2 publish got its PUBREC.
    PubRec(u16),
    /// A publish is complete (QoS 0 sent, QoS 1 PUBACK, QoS 2 PUBCOMP).
    PubDone(u16),
    /// A message from the broker.
    Message {
        pkid: u16,
        topic: String,
        payload: Vec<u8>,
    },
    /// The connection is gone.
    Closed(CloseReason),
}

/// Why a link ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseReason {
    /// The module asked (close, disconnect, drop).
    Module,
    /// The peer closed the connection or it broke.
    Peer,
    /// No CONNACK in time.
    NoConnack,
    /// No PINGRESP before the next keepalive period.
    NoPingResp,
}

/// Spawns a link to `addr`; it reports its events through `report`.
pub fn spawn(
    addr: SocketAddr,
    report: impl Fn(FromLink) + Send + Sync + 'static,
) -> mpsc::UnboundedSender<ToLink> {
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        if let crate::broker::Dial::InProcess(pipe) = crate::broker::dial(addr) {
            match pipe {
                Some(pipe) => {
                    report(FromLink::Opened(Ok(())));
                    let reason = run(pipe, rx, &report).await;
                    report(FromLink::Closed(reason));
                }
                None => report(FromLink::Opened(Err(()))),
            }
            return;
        }
        let sock = tokio::time::timeout(Duration::from_secs(5), TcpStream::connect(addr)).await;
        match sock {
            Ok(Ok(sock)) => {
                let _ = sock.set_nodelay(true);
                report(FromLink::Opened(Ok(())));
                let reason = run(sock, rx, &report).await;
                report(FromLink::Closed(reason));
            }
            _ => report(FromLink::Opened(Err(()))),
        }
    });
    tx
}

fn qos(n: u8) -> QoS {
    match n {
        0 => QoS::AtMostOnce,
        1 => QoS::AtLeastOnce,
        _ => QoS::ExactlyOnce,
    }
}

fn encode(p: &Packet) -> Option<BytesMut> {
    let mut b = BytesMut::new();
    let r = match p {
        Packet::Connect(x) => x.write(&mut b),
        Packet::Publish(x) => x.write(&mut b),
        Packet::PubAck(x) => x.write(&mut b),
        Packet::PubRec(x) => x.write(&mut b),
        Packet::PubRel(x) => x.write(&mut b),
        Packet::PubComp(x) => x.write(&mut b),
        Packet::Subscribe(x) => x.write(&mut b),
        Packet::Unsubscribe(x) => x.write(&mut b),
        Packet::PingReq => mqttbytes::v4::PingReq.write(&mut b),
        Packet::Disconnect => mqttbytes::v4::Disconnect.write(&mut b),
        _ => return None,
    };
    r.ok().map(|_| b)
}

/// Runs the link; returns why it ended.
async fn run<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(
    mut sock: S,
    mut rx: mpsc::UnboundedReceiver<ToLink>,
    emit: &impl Fn(FromLink),
) -> CloseReason {
    let mut buf = BytesMut::with_capacity(4096);
    let mut keepalive = Duration::ZERO;
    // Deadlines: the next PINGREQ, the PINGRESP awaited, the CONNACK awaited.
    let (mut next_ping, mut pong_due, mut connack_due): (
        Option<Instant>,
        Option<Instant>,
        Option<Instant>,
    ) = (None, None, None);
    loop {
        let due = [next_ping, pong_due, connack_due]
            .into_iter()
            .flatten()
            .min();
        let timer = async {
            match due {
                Some(t) => tokio::time::sleep_until(t).await,
                None => std::future::pending::<()>().await,
            }
        };
        let step = tokio::select! {
            order = rx.recv() => Step::Order(order),
            _ = timer => Step::Timer,
            packet = read(&mut sock, &mut buf) => Step::Packet(packet),
        };
        let mut wrote = false;
        let out: Option<Packet> = match step {
            Step::Order(order) => match order {
                None | Some(ToLink::Drop) => return CloseReason::Module,
                Some(ToLink::Disconnect) => {
                    if let Some(b) = encode(&Packet::Disconnect) {
                        let _ = sock.write_all(&b).await;
                    }
                    let _ = sock.shutdown().await;
                    return CloseReason::Module;
                }
                Some(ToLink::Connect(l)) => {
                    keepalive = Duration::from_secs(u64::from(l.keepalive));
                    connack_due = Some(Instant::now() + l.connack_timeout);
                    let mut c = Connect::new(l.client_id);
                    c.keep_alive = l.keepalive;
                    c.clean_session = l.clean;
                    if let Some((u, p)) = l.user {
                        c.set_login(u, p);
                    }
                    c.last_will = l
                        .will
                        .map(|w| LastWill::new(w.topic, w.message, qos(w.qos), w.retain));
                    Some(Packet::Connect(c))
                }
                Some(ToLink::Subscribe(pkid, filters)) => {
                    let filters = filters
                        .into_iter()
                        .map(|(t, q)| SubscribeFilter::new(t, qos(q)))
                        .collect();
                    Some(Packet::Subscribe(Subscribe { pkid, filters }))
                }
                Some(ToLink::Unsubscribe(pkid, topics)) => {
                    Some(Packet::Unsubscribe(Unsubscribe { pkid, topics }))
                }
                Some(ToLink::Publish {
                    pkid,
                    qos: q,
                    retain,
                    topic,
                    payload,
                }) => {
                    let mut p = Publish::from_bytes(topic, qos(q), Bytes::from(payload));
                    p.retain = retain;
                    if q > 0 {
                        p.pkid = pkid;
                    }
                    let bytes = encode(&Packet::Publish(p));
                    let sent = match bytes {
                        Some(b) => sock.write_all(&b).await.is_ok(),
                        None => false,
                    };
                    if !sent {
                        return CloseReason::Peer;
                    }
                    wrote = true;
                    if q == 0 {
                        emit(FromLink::PubDone(pkid));
                    }
                    None
                }
            },
            Step::Timer => {
                let now = Instant::now();
                if connack_due.is_some_and(|t| t <= now) {
                    return CloseReason::NoConnack;
                }
                if pong_due.is_some_and(|t| t <= now) {
                    return CloseReason::NoPingResp;
                }
                pong_due = Some(now + keepalive);
                Some(Packet::PingReq)
            }
            Step::Packet(packet) => {
                let Some(packet) = packet else {
                    return CloseReason::Peer;
                };
                match packet {
                    Packet::PingResp => {
                        pong_due = None;
                        None
                    }
                    Packet::ConnAck(a) => {
                        connack_due = None;
                        if !keepalive.is_zero() {
                            next_ping = Some(Instant::now() + keepalive);
                        }
                        let code = match a.code {
                            ConnectReturnCode::Success => 0,
                            ConnectReturnCode::RefusedProtocolVersion => 1,
                            ConnectReturnCode::BadClientId => 2,
                            ConnectReturnCode::ServiceUnavailable => 3,
                            ConnectReturnCode::BadUserNamePassword => 4,
                            ConnectReturnCode::NotAuthorized => 5,
                        };
                        emit(FromLink::ConnAck(code));
                        None
                    }
                    Packet::SubAck(s) => {
                        let codes = s
                            .return_codes
                            .iter()
                            .map(|c| match c {
                                SubscribeReasonCode::Success(q) => *q as u8,
                                SubscribeReasonCode::Failure => 128,
                            })
                            .collect();
                        emit(FromLink::SubAck(s.pkid, codes));
                        None
                    }
                    Packet::UnsubAck(u) => {
                        emit(FromLink::UnsubAck(u.pkid));
                        None
                    }
                    Packet::PubAck(a) => {
                        emit(FromLink::PubDone(a.pkid));
                        None
                    }
                    Packet::PubRec(r) => {
                        emit(FromLink::PubRec(r.pkid));
                        Some(Packet::PubRel(PubRel::new(r.pkid)))
                    }
                    Packet::PubComp(c) => {
                        emit(FromLink::PubDone(c.pkid));
                        None
                    }
                    Packet::Publish(p) => {
                        emit(FromLink::Message {
                            pkid: p.pkid,
                            topic: p.topic.clone(),
                            payload: p.payload.to_vec(),
                        });
                        match p.qos {
                            QoS::AtMostOnce => None,
                            QoS::AtLeastOnce => Some(Packet::PubAck(PubAck::new(p.pkid))),
                            QoS::ExactlyOnce => Some(Packet::PubRec(PubRec::new(p.pkid))),
                        }
                    }
                    Packet::PubRel(r) => Some(Packet::PubComp(PubComp::new(r.pkid))),
                    _ => None,
                }
            }
        };
        if let Some(p) = out {
            let ok = match encode(&p) {
                Some(b) => sock.write_all(&b).await.is_ok(),
                None => true,
            };
            if !ok {
                return CloseReason::Peer;
            }
            wrote = true;
        }
        // Keepalive counts from the module's last packet, once connected.
        if wrote && !keepalive.is_zero() && connack_due.is_none() {
            next_ping = Some(Instant::now() + keepalive);
        }
    }
}

enum Step {
    Order(Option<ToLink>),
    Timer,
    Packet(Option<Packet>),
}

async fn read<S: tokio::io::AsyncRead + Unpin>(sock: &mut S, buf: &mut BytesMut) -> Option<Packet> {
    loop {
        match mqttbytes::v4::read(buf, 1024 * 1024) {
            Ok(p) => return Some(p),
            Err(mqttbytes::Error::InsufficientBytes(_)) => {}
            Err(_) => return None,
        }
        if sock.read_buf(buf).await.ok()? == 0 {
            return None;
        }
    }
}
