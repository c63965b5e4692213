//! The capabilities on Quectel modules.

use embedded_hal_async::delay::DelayNs;
use embedded_io_async::{Read, Write};

use super::session::{
    Bearer, BearerConfig, FORM_URLENCODED, Http, HttpPost, HttpResponse, HttpTiming, Mqtt,
    MqttLogin, MqttSession, check_partial, check_range,
};
use super::{Awaited, Client, Error, Links, Seen, Session};
use crate::codec::token;
use crate::dialects::common::{CeregRead, Cgpaddr};
use crate::dialects::quectel::{
    MqttVersion, PdpAuth, PdpContext, PdpType, PublishForm, QhttpCfg, QhttpGetEx, QhttpPost,
    QhttpRead, QhttpSetting, QhttpUrl, Qiact, QiactRead, Qicsgp, Qideact, QmtCfg, QmtClose,
    QmtConn, QmtDisc, QmtOpen, QmtPublish, QmtRecv, QmtRecvFetch, QmtSetting, QmtSub, QmtUns,
    Quectel, QuectelUrc,
};
use crate::dialects::{Command, Deferred, MqttMessage, Redacted};

type QClient<'s, IO, DL> = Client<'s, IO, DL, Quectel>;

impl<IO, DL> Bearer for QClient<'_, IO, DL>
where
    IO: Read + Write,
    DL: DelayNs,
{
    async fn wait_network(&mut self, timeout_ms: u32) -> Result<(), Self::Error> {
        self.poll_until(&CeregRead, timeout_ms, |r| r.stat.is_registered())
            .await
    }

    async fn bearer_up(&mut self, cfg: &BearerConfig<'_>) -> Result<(), Self::Error> {
        let auth = if cfg.username.is_empty() {
            PdpAuth::None
        } else {
            PdpAuth::PapOrChap
        };
        self.send(&Qicsgp {
            cid: cfg.cid,
            context: PdpContext {
                kind: PdpType::Ipv4v6,
                apn: cfg.apn,
                username: cfg.username,
                password: Redacted::new(cfg.password),
                auth,
            },
        })
        .await?;
        let act = Qiact { cid: cfg.cid };
        match self.send(&act).await {
            Ok(()) => {}
            // Already active is success; otherwise deactivate and try once more (what
            // Quectel's own drivers do).
            Err(Error::Error { .. } | Error::Cme { .. }) => {
                let up = self
                    .send(&QiactRead)
                    .await?
                    .get(cfg.cid)
                    .is_some_and(|c| c.active);
                if !up {
                    let _ = self.send(&Qideact { cid: cfg.cid }).await;
                    self.send(&act).await?;
                }
            }
            Err(e) => return Err(e),
        }
        self.core.links.mark_bearer_up(cfg.cid);
        Ok(())
    }

    async fn bearer_address(&mut self, cid: u8) -> Result<&str, Self::Error> {
        let addrs = self.send(&Cgpaddr { cid: Some(cid) }).await?;
        addrs
            .get(cid)
            .and_then(|a| a.ipv4().or(a.first))
            .ok_or(Error::Incomplete {
                command: Cgpaddr::NAME,
                missing: "address",
            })
    }

    async fn bearer_down(&mut self, cid: u8) -> Result<(), Self::Error> {
        self.send(&Qideact { cid }).await
    }
}

impl<IO, DL> Http for QClient<'_, IO, DL>
where
    IO: Read + Write,
    DL: DelayNs,
{
    async fn http_post(
        &mut self,
        req: &HttpPost<'_>,
        body: &mut [u8],
    ) -> Result<HttpResponse, Self::Error> {
        let content_type = match req.content_type {
            FORM_URLENCODED => None,
            "text/plain" => Some(1),
            "application/octet-stream" => Some(2),
            "multipart/form-data" => Some(3),
            "application/json" => Some(4),
            _ => return Err(Error::Unsupported),
        };
        crate::codec::check_body(req.content_type, req.body)?;
        if let Some(n) = content_type {
            self.send(&QhttpCfg(QhttpSetting::ContentType(n))).await?;
        }
        self.send(&QhttpUrl {
            url: req.url,
            input_secs: req.timing.url_input_secs,
        })
        .await?;
        let result = self
            .run(&QhttpPost {
                body: req.body,
                times: Some((req.timing.body_input_secs, req.timing.response_secs)),
            })
            .await?;
        let status = result.status.ok_or(Error::Incomplete {
            command: QhttpPost::NAME,
            missing: "HTTP status",
        })?;
        let len = match result.content_length {
            Some(0) => return Ok(HttpResponse { status, len: 0 }),
            // A length beyond the caller's buffer is refused before anything is read: the
            // body could not be kept, and a length that lies would make the decoder take
            // the module's next lines as body bytes.
            Some(len) if len > body.len() => return Err(Error::ResponseTooLong),
            Some(len) => len,
            // A chunked response has no length: the body cannot be framed.
            None => return Err(Error::Unsupported),
        };
        let read = QhttpRead {
            wait_secs: Some(req.timing.read_secs),
            len,
            // The module's default; with it on, the header block would come first.
            header: false,
        };
        let ((), got) = self.send_into(&read, body).await?;
        // `+QHTTPREAD: <err>` ends the read.
        let since = Some(self.sent_mark);
        let awaited = Awaited::Result(QhttpRead::NAME);
        self.wait_since(
            since,
            Deferred::<Quectel>::result_timeout_ms(&read),
            awaited,
            |seen| read.result(&seen),
        )
        .await??;
        Ok(HttpResponse { status, len: got })
    }

    async fn http_get_range(
        &mut self,
        url: &str,
        offset: u32,
        len: u32,
        timing: HttpTiming,
        body: &mut [u8],
    ) -> Result<HttpResponse, Self::Error> {
        let want = check_range(offset, len, body)?;
        self.send(&QhttpUrl {
            url,
            input_secs: timing.url_input_secs,
        })
        .await?;
        let result = self
            .run(&QhttpGetEx {
                response_secs: timing.response_secs,
                start: offset,
                len,
            })
            .await?;
        let status = result.status.ok_or(Error::Incomplete {
            command: QhttpGetEx::NAME,
            missing: "HTTP status",
        })?;
        // Checked before the read: a `200` announces the whole file, which is not read.
        check_partial(status, result.content_length.unwrap_or(0), want)?;
        let read = QhttpRead {
            wait_secs: Some(timing.read_secs),
            len: want,
            header: false,
        };
        let body = body.get_mut(..want).ok_or(Error::ResponseTooLong)?;
        let ((), got) = self.send_into(&read, body).await?;
        let since = Some(self.sent_mark);
        let awaited = Awaited::Result(QhttpRead::NAME);
        self.wait_since(
            since,
            Deferred::<Quectel>::result_timeout_ms(&read),
            awaited,
            |seen| read.result(&seen),
        )
        .await??;
        check_partial(status, got, want)?;
        Ok(HttpResponse { status, len: got })
    }
}

impl<IO, DL> Mqtt for QClient<'_, IO, DL>
where
    IO: Read + Write,
    DL: DelayNs,
{
    async fn mqtt_configure(&mut self, s: &MqttSession<'_>) -> Result<(), Self::Error> {
        s.refuse_mismatch()?;
        let client = s.client;
        let cfg = async |this: &mut Self, setting| this.send(&QmtCfg { client, setting }).await;
        cfg(self, QmtSetting::Version(MqttVersion::V3_1_1)).await?;
        // The length field frames received payloads by length: without it a payload that
        // holds a line end and `+QMTSTAT: ...` (anyone may publish to a subscribed topic)
        // would be read as the module's own lines. A module that refuses it cannot receive
        // safely, so the session is not started.
        match cfg(
            self,
            QmtSetting::RecvMode {
                buffered: s.buffered_receive,
                with_length: true,
            },
        )
        .await
        {
            Ok(()) => self
                .links_mut()
                .set_recv_buffered(client, s.buffered_receive),
            Err(Error::Error { .. } | Error::Cme { .. }) => return Err(Error::Unsupported),
            Err(e) => return Err(e),
        }
        if let Some(ctx) = s.tls {
            cfg(
                self,
                QmtSetting::Ssl {
                    enable: true,
                    ctx: Some(ctx),
                },
            )
            .await?;
        }
        if s.keepalive_secs != 120 {
            cfg(self, QmtSetting::KeepAlive(s.keepalive_secs)).await?;
        }
        if !s.clean_session {
            cfg(self, QmtSetting::CleanSession(false)).await?;
        }
        if let MqttLogin::AliAuth {
            product_key,
            device_name,
            device_secret,
            ..
        } = s.login
        {
            cfg(
                self,
                QmtSetting::AliAuth {
                    product_key,
                    device_name,
                    device_secret: Redacted::new(device_secret),
                },
            )
            .await?;
        }
        Ok(())
    }

    async fn mqtt_open(&mut self, s: &MqttSession<'_>) -> Result<(), Self::Error> {
        s.refuse_mismatch()?;
        self.run(&QmtOpen {
            client: s.client,
            host: s.host,
            port: s.port,
        })
        .await
    }

    async fn mqtt_connect(&mut self, s: &MqttSession<'_>) -> Result<Session, Self::Error> {
        s.refuse_mismatch()?;
        let login = match s.login {
            MqttLogin::Password {
                username, password, ..
            } => Some((username, password)),
            MqttLogin::ClientId(_) | MqttLogin::AliAuth { .. } => None,
        };
        self.run(&QmtConn {
            client: s.client,
            client_id: s.login.client_id(),
            login,
        })
        .await?;
        Ok(self.core.links.start_session(s.client))
    }

    fn mqtt_session(&self, client: u8) -> Session {
        self.core.links.session(client)
    }

    async fn mqtt_subscribe(
        &mut self,
        session: Session,
        topic: &str,
        qos: u8,
    ) -> Result<(), Self::Error> {
        let client = self.session_alive(session).await?;
        let msg_id = self.next_packet_id();
        let topics = [(topic, qos)];
        self.run(&QmtSub {
            client,
            msg_id,
            topics: &topics,
        })
        .await
        .map(|_| ())
    }

    async fn mqtt_unsubscribe(&mut self, session: Session, topic: &str) -> Result<(), Self::Error> {
        let client = self.session_alive(session).await?;
        let msg_id = self.next_packet_id();
        let topics = [topic];
        self.run(&QmtUns {
            client,
            msg_id,
            topics: &topics,
        })
        .await
    }

    async fn mqtt_publish(
        &mut self,
        session: Session,
        topic: &str,
        payload: &[u8],
        qos: u8,
        retain: bool,
    ) -> Result<(), Self::Error> {
        let client = self.session_alive(session).await?;
        let msg_id = if qos == 0 { 0 } else { self.next_packet_id() };
        self.run(&QmtPublish {
            client,
            msg_id,
            qos,
            retain,
            topic,
            payload,
            form: PublishForm::Length,
        })
        .await
    }

    async fn mqtt_next_message(
        &mut self,
        session: Session,
        timeout_ms: u32,
    ) -> Result<MqttMessage<'_>, Self::Error> {
        self.message_session(session)?;
        let client = session.index();
        if self.links().is_recv_buffered(client) {
            // Fetching a stored message writes `AT+QMTRECV`: not for an ended session.
            self.current(session)?;
            return self.next_stored_message(client, timeout_ms).await;
        }
        let (line, spans) = self.next_message_line(session, timeout_ms).await?;
        Self::message_of(line, spans)
    }

    async fn mqtt_wait_closed(
        &mut self,
        session: Session,
        timeout_ms: u32,
    ) -> Result<(), Self::Error> {
        self.wait_session_closed(session, timeout_ms).await
    }

    async fn mqtt_disconnect(&mut self, session: Session) -> Result<(), Self::Error> {
        let client = self.current(session)?;
        self.run(&QmtDisc { client }).await?;
        self.core.links.end_session(client);
        Ok(())
    }

    async fn mqtt_close(&mut self, session: Session) -> Result<(), Self::Error> {
        let client = self.current(session)?;
        self.run(&QmtClose { client }).await?;
        self.core.links.end_session(client);
        Ok(())
    }
}

/// How long one look at the queue lasts while waiting for a buffered message's notice: the
/// session's state is checked between looks.
const STORED_NOTICE_SLICE_MS: u32 = 500;

impl<IO, DL> QClient<'_, IO, DL>
where
    IO: Read + Write,
    DL: DelayNs,
{
    /// [`Mqtt::mqtt_next_message`] in the buffered receive mode: wait for the notice
    /// `+QMTRECV: <idx>,<recv_id>`, then fetch that buffer with `AT+QMTRECV=<idx>,<recv_id>`.
    /// A notice whose buffer turns out empty (already read) is skipped.
    async fn next_stored_message(
        &mut self,
        client: u8,
        timeout_ms: u32,
    ) -> Result<MqttMessage<'_>, Error<IO::Error>> {
        let mut waited = 0u32;
        loop {
            let recv_id = match self.links_mut().take_stored(client) {
                Some(id) => id,
                None => {
                    self.next_stored_notice(client, timeout_ms, &mut waited)
                        .await?
                }
            };
            let read = self
                .send(&QmtRecvFetch {
                    client,
                    recv_id: Some(recv_id),
                })
                .await?;
            let stored = read.iter().count();
            // Notices that came with the read, as one bit per buffer of each client: every one
            // is kept, however many there were.
            let mut noticed = Links::default();
            for (c, id) in read.notices() {
                noticed.note_stored(c, id);
            }
            self.links_mut().merge_stored(&noticed);
            if stored > 0 {
                break;
            }
        }
        self.response_lines()
            .find_map(|line| {
                QuectelUrc::parse(token(line), line)
                    .and_then(|u| u.message())
                    .filter(|(c, _)| *c == client)
                    .map(|(_, m)| m)
            })
            .ok_or(Error::Incomplete {
                command: QmtRecvFetch::NAME,
                missing: "message",
            })
    }

    /// Wait for a buffered-mode notice of `client` among the URCs, in slices so that a
    /// session that goes down ends the wait; `waited` counts the time spent over calls.
    async fn next_stored_notice(
        &mut self,
        client: u8,
        timeout_ms: u32,
        waited: &mut u32,
    ) -> Result<u8, Error<IO::Error>> {
        loop {
            let down = self.links().mqtt_is_down(client);
            let slice = if down {
                0
            } else {
                STORED_NOTICE_SLICE_MS.min(timeout_ms.saturating_sub(*waited))
            };
            let notice = self
                .wait_for(slice, |seen| match seen {
                    Seen::Urc(QuectelUrc::QmtRecv(QmtRecv::Stored { client: c, recv_id }))
                        if *c == client =>
                    {
                        Some(*recv_id)
                    }
                    _ => None,
                })
                .await;
            match notice {
                Ok(id) => return Ok(id),
                // Only what was already noticed can still be read from a session that is down.
                Err(Error::Timeout(_)) if down => return Err(Error::SessionDown),
                Err(Error::Timeout(_)) if waited.saturating_add(slice) >= timeout_ms => {
                    return Err(Error::Timeout(Awaited::Message));
                }
                Err(Error::Timeout(_)) => *waited = waited.saturating_add(slice),
                Err(e) => return Err(e),
            }
        }
    }
}
