//! The capabilities on Luat modules.

use embedded_hal_async::delay::DelayNs;
use embedded_io_async::{Read, Write};

use super::session::{
    Bearer, BearerConfig, Http, HttpPost, HttpResponse, HttpTiming, Mqtt, MqttLogin, MqttSession,
    check_partial, check_range,
};
use super::{Client, Error, Session};
use crate::codec::EncodeError;
use crate::dialects::common::CgattRead;
use crate::dialects::luat::{
    BearerStatus, HttpAction, HttpData, HttpInit, HttpMethod, HttpPara, HttpRead, HttpTerm, Luat,
    MAX_PAYLOAD, Mconfig, Mconnect, Mdisconnect, MipClose, MipStart, Mpub, MpubEx, Msub,
    Munsubscribe, SapbrClose, SapbrOpen, SapbrQuery, SapbrSet,
};
use crate::dialects::{Command, MqttMessage};

/// `+CME ERROR: 3` (operation not allowed): `AT+SAPBR=1` on an open bearer.
const CME_NOT_ALLOWED: u16 = 3;
/// `+CME ERROR: 767` (operation failed): `AT+MIPCLOSE` on a closed link.
const CME_FAILED: u16 = 767;

type LClient<'s, IO, DL> = Client<'s, IO, DL, Luat>;

impl<IO, DL> Bearer for LClient<'_, IO, DL>
where
    IO: Read + Write,
    DL: DelayNs,
{
    async fn wait_network(&mut self, timeout_ms: u32) -> Result<(), Self::Error> {
        self.poll_until(&CgattRead, timeout_ms, |attached| attached)
            .await
    }

    async fn bearer_up(&mut self, cfg: &BearerConfig<'_>) -> Result<(), Self::Error> {
        let cid = cfg.cid;
        self.send(&SapbrSet {
            cid,
            tag: "CONTYPE",
            value: "GPRS",
        })
        .await?;
        self.send(&SapbrSet {
            cid,
            tag: "APN",
            value: cfg.apn,
        })
        .await?;
        if !cfg.username.is_empty() {
            self.send(&SapbrSet {
                cid,
                tag: "USER",
                value: cfg.username,
            })
            .await?;
            self.send(&SapbrSet {
                cid,
                tag: "PWD",
                value: cfg.password,
            })
            .await?;
        }
        match self.send(&SapbrOpen { cid }).await {
            Ok(()) => {}
            // Refused because it is already open: check.
            Err(e) if e.cme_number() == Some(CME_NOT_ALLOWED) => {
                let b = self.send(&SapbrQuery { cid }).await?;
                if b.status != BearerStatus::Connected {
                    return Err(e);
                }
            }
            Err(e) => return Err(e),
        }
        self.core.links.mark_bearer_up(cid);
        Ok(())
    }

    async fn bearer_address(&mut self, cid: u8) -> Result<&str, Self::Error> {
        let b = self.send(&SapbrQuery { cid }).await?;
        if b.status == BearerStatus::Connected {
            Ok(b.ip)
        } else {
            Err(Error::SessionDown)
        }
    }

    async fn bearer_down(&mut self, cid: u8) -> Result<(), Self::Error> {
        self.send(&SapbrClose { cid }).await
    }
}

impl<IO, DL> LClient<'_, IO, DL>
where
    IO: Read + Write,
    DL: DelayNs,
{
    /// The HTTP exchange between `AT+HTTPINIT` and `AT+HTTPTERM`.
    async fn http_exchange(
        &mut self,
        req: &HttpPost<'_>,
        body: &mut [u8],
    ) -> Result<HttpResponse, Error<IO::Error>> {
        self.send(&HttpPara::url(req.url)).await?;
        let mut header = heapless::String::<96>::new();
        header
            .push_str("Content-Type: ")
            .and_then(|()| header.push_str(req.content_type))
            .map_err(|_| Error::Encode(crate::codec::EncodeError::BufferFull))?;
        self.send(&HttpPara::header(&header)).await?;
        self.send(&HttpData {
            body: req.body,
            time_ms: u32::from(req.timing.body_input_secs).saturating_mul(1000),
        })
        .await?;
        let status = self
            .run_within(
                &HttpAction(HttpMethod::Post),
                u32::from(req.timing.response_secs)
                    .saturating_mul(1000)
                    .saturating_add(10_000),
            )
            .await?;
        if status.len == 0 {
            return Ok(HttpResponse {
                status: status.status,
                len: 0,
            });
        }
        // Trust the length `+HTTPREAD` announces, not the one of `+HTTPACTION`.
        let (_, got) = self.send_into(&HttpRead::default(), body).await?;
        Ok(HttpResponse {
            status: status.status,
            len: got,
        })
    }
}

impl<IO, DL> Http for LClient<'_, IO, DL>
where
    IO: Read + Write,
    DL: DelayNs,
{
    async fn http_post(
        &mut self,
        req: &HttpPost<'_>,
        body: &mut [u8],
    ) -> Result<HttpResponse, Self::Error> {
        // Refused before `AT+HTTPINIT`, so nothing is sent for a URL or body that cannot go.
        crate::codec::check_url("url", req.url)?;
        crate::codec::check_body(req.content_type, req.body)?;
        match self.send(&HttpInit).await {
            Ok(()) => {}
            // A session left open by an earlier failure: end it and start again.
            Err(Error::Error { .. } | Error::Cme { .. }) => {
                let _ = self.send(&HttpTerm).await;
                self.send(&HttpInit).await?;
            }
            Err(e) => return Err(e),
        }
        let result = self.http_exchange(req, body).await;
        // Always end the session; its own result does not matter after a failure.
        let term = self.send(&HttpTerm).await;
        let response = result?;
        term?;
        Ok(response)
    }

    async fn http_get_range(
        &mut self,
        url: &str,
        offset: u32,
        len: u32,
        timing: HttpTiming,
        body: &mut [u8],
    ) -> Result<HttpResponse, Self::Error> {
        // Refused before `AT+HTTPINIT`, so nothing is sent for a request that cannot go.
        crate::codec::check_url("url", url)?;
        check_range(offset, len, body)?;
        // The HTTP stack rides on bearer 1 (`"CID"`'s default): once it is known down, the
        // module answers every request with 601 until the bearer is up again.
        if self.links().bearer_is_down(1) {
            return Err(Error::SessionDown);
        }
        self.http_init().await?;
        let result = self
            .http_range_exchange(url, offset, len, timing, body)
            .await;
        let term = self.send(&HttpTerm).await;
        let response = result?;
        term?;
        Ok(response)
    }
}

impl<IO, DL> LClient<'_, IO, DL>
where
    IO: Read + Write,
    DL: DelayNs,
{
    /// The ranged GET between `AT+HTTPINIT` and `AT+HTTPTERM`.
    async fn http_range_exchange(
        &mut self,
        url: &str,
        offset: u32,
        len: u32,
        timing: HttpTiming,
        body: &mut [u8],
    ) -> Result<HttpResponse, Error<IO::Error>> {
        let want = check_range(offset, len, body)?;
        // `check_range` keeps `offset + len` within `u32`, and `len` is at least 1.
        let last = offset.saturating_add(len.saturating_sub(1));
        self.send(&HttpPara::url(url)).await?;
        self.send(&HttpPara::break_start(offset)).await?;
        self.send(&HttpPara::break_end(last)).await?;
        let status = self
            .run_within(
                &HttpAction(HttpMethod::Get),
                u32::from(timing.response_secs)
                    .saturating_mul(1000)
                    .saturating_add(10_000),
            )
            .await?;
        // Checked before the read: a `200` announces the whole file, which is not read.
        check_partial(status.status, status.len, want)?;
        let body = body.get_mut(..want).ok_or(Error::ResponseTooLong)?;
        // `+HTTPREAD` is authoritative over `+HTTPACTION`: its length is checked again.
        let (_, got) = self.send_into(&HttpRead::default(), body).await?;
        check_partial(status.status, got, want)?;
        Ok(HttpResponse {
            status: status.status,
            len: got,
        })
    }

    /// `AT+HTTPINIT`, ending a session left open by an earlier failure first.
    async fn http_init(&mut self) -> Result<(), Error<IO::Error>> {
        match self.send(&HttpInit).await {
            Ok(()) => Ok(()),
            Err(Error::Error { .. } | Error::Cme { .. }) => {
                let _ = self.send(&HttpTerm).await;
                self.send(&HttpInit).await
            }
            Err(e) => Err(e),
        }
    }
}

/// Whether `payload` can go through `AT+MPUB`'s quoted text with its escapes: UTF-8 text
/// whose only control bytes are the escaped CR and LF.
fn is_text(payload: &[u8]) -> bool {
    core::str::from_utf8(payload).is_ok()
        && payload
            .iter()
            .all(|&b| (b >= 0x20 && b != 0x7f) || b == b'\r' || b == b'\n')
}

impl<IO, DL> Mqtt for LClient<'_, IO, DL>
where
    IO: Read + Write,
    DL: DelayNs,
{
    async fn mqtt_configure(&mut self, s: &MqttSession<'_>) -> Result<(), Self::Error> {
        s.refuse_mismatch()?;
        let login = match s.login {
            MqttLogin::ClientId(_) => None,
            MqttLogin::Password {
                username, password, ..
            } => Some((username, password)),
            MqttLogin::AliAuth { .. } => return Err(Error::Unsupported),
        };
        self.send(&Mconfig {
            client_id: s.login.client_id(),
            login,
        })
        .await
    }

    async fn mqtt_open(&mut self, s: &MqttSession<'_>) -> Result<(), Self::Error> {
        s.refuse_mismatch()?;
        self.run(&MipStart {
            host: s.host,
            port: s.port,
            tls: s.tls.is_some(),
        })
        .await
    }

    async fn mqtt_connect(&mut self, s: &MqttSession<'_>) -> Result<Session, Self::Error> {
        s.refuse_mismatch()?;
        self.run(&Mconnect {
            clean_session: s.clean_session,
            keepalive_secs: s.keepalive_secs,
        })
        .await?;
        // One MQTT client: index 0.
        Ok(self.core.links.start_session(0))
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
        self.session_alive(session).await?;
        self.run(&Msub { topic, qos }).await
    }

    async fn mqtt_unsubscribe(&mut self, session: Session, topic: &str) -> Result<(), Self::Error> {
        self.session_alive(session).await?;
        self.run(&Munsubscribe { topic }).await
    }

    async fn mqtt_publish(
        &mut self,
        session: Session,
        topic: &str,
        payload: &[u8],
        qos: u8,
        retain: bool,
    ) -> Result<(), Self::Error> {
        self.session_alive(session).await?;
        let text = Mpub {
            topic,
            qos,
            retain,
            message: payload,
        };
        // The text form is encoded into `RESP` with its escapes; when it does not fit, the
        // binary-safe form sends the payload after the prompt, from the caller's memory.
        if is_text(payload)
            && !payload.is_empty()
            && payload.len() <= MAX_PAYLOAD
            && !matches!(
                Command::encode(&text, self.core.resp.scratch()),
                Err(EncodeError::BufferFull)
            )
        {
            self.run(&text).await
        } else {
            self.run(&MpubEx {
                topic,
                qos,
                retain,
                payload,
            })
            .await
        }
    }

    async fn mqtt_next_message(
        &mut self,
        session: Session,
        timeout_ms: u32,
    ) -> Result<MqttMessage<'_>, Self::Error> {
        self.message_session(session)?;
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
        self.send(&Mdisconnect).await?;
        self.core.links.end_session(client);
        Ok(())
    }

    async fn mqtt_close(&mut self, session: Session) -> Result<(), Self::Error> {
        let client = self.current(session)?;
        match self.send(&MipClose).await {
            Ok(()) => {}
            Err(e) if e.cme_number() == Some(CME_FAILED) => {}
            Err(e) => return Err(e),
        }
        self.core.links.end_session(client);
        Ok(())
    }
}
