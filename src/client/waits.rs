//! Waiting for what comes later: URCs, a command's later result, the next MQTT message of a
//! client, a state polled for. Everything read meanwhile is queued.

use embassy_futures::select::{Either, select};
use embedded_hal_async::delay::DelayNs;
use embedded_io_async::{Read, Write};

use super::engine::{CATCH_UP_READS, Found, Room};
use super::{Awaited, Client, Error, Event, Session};
use crate::codec::{Dialect, LinkEvent, MessageSpans, Seen, Tag};
use crate::dialects::{Command, MqttMessage};

/// Pause between two queries while polling for a state (attach, registration).
const POLL_MS: u32 = 1_000;

impl<IO, DL, D> Client<'_, IO, DL, D>
where
    IO: Read + Write,
    DL: DelayNs,
    D: Dialect,
{
    /// Wait up to `timeout_ms` for a URC (or unsolicited final code) that `matcher`
    /// accepts; everything else is queued. Queued URCs are offered first.
    ///
    /// ```
    /// # use atmodem::client::{Client, Error, Event, Seen, State};
    /// # use atmodem::codec::{Generic, RegStatus, Urc};
    /// # use atmodem::sim::{InstantDelay, SimModem};
    /// let modem = SimModem::new("<< +CSQ: 1,2\n<< +CEREG: 5\n").unwrap();
    /// let mut state: State = State::new();
    /// let mut c: Client<_, _, Generic> = Client::new(modem, InstantDelay, &mut state);
    /// let stat = embassy_futures::block_on(c.wait_for(1_000, |seen| match seen {
    ///     Seen::Urc(Urc::Cereg(r)) => Some(r.stat),
    ///     _ => None,
    /// }));
    /// assert_eq!(stat, Ok(RegStatus::Roaming));
    /// assert_eq!(c.poll_urc(), Some(Event::Unknown(b"+CSQ: 1,2")));
    /// ```
    ///
    /// # Errors
    /// [`Error::Timeout`] when nothing matched within `timeout_ms`; the client stays in step
    /// (no command was sent) and what was read is queued. A module reboot does not end the
    /// wait by itself: the `RDY` is offered to `matcher` (return something for it to stop
    /// there), then queued and recorded in [`links`](Self::links).
    ///
    /// # Cancel safety
    /// Cancel-safe: nothing is lost if the future is dropped; URCs read so far are queued.
    pub async fn wait_for<T>(
        &mut self,
        timeout_ms: u32,
        matcher: impl FnMut(Seen<'_, D::Urc<'_>>) -> Option<T>,
    ) -> Result<T, Error<IO::Error>> {
        self.wait_since(None, timeout_ms, Awaited::Urc, matcher)
            .await
    }

    /// [`wait_for`](Self::wait_for), offering only the queued lines that arrived after the
    /// last command was sent (a `+QMTSTAT` of an earlier session is not this command's).
    ///
    /// ```
    /// # use atmodem::client::{Client, Request, Seen, State};
    /// # use atmodem::codec::{Expect, Generic, Urc};
    /// # use atmodem::sim::{InstantDelay, SimModem};
    /// # use atmodem::codec::RegStatus;
    /// // A `+CEREG` queued during an earlier command is not this command's result.
    /// let script = ">> AT+CSQ\n<< +CEREG: 2\n<< +CSQ: 20,99\n<< OK\n>> AT+CEREG=1\n<< OK\n<< +CEREG: 1\n";
    /// let mut state: State = State::new();
    /// let mut c: Client<_, _, Generic> = Client::new(SimModem::new(script).unwrap(), InstantDelay, &mut state);
    /// let csq = Request::new(b"AT+CSQ\r", Expect::tokens(&[b"+CSQ"]), 300);
    /// let cereg = Request::new(b"AT+CEREG=1\r", Expect::NOTHING, 300);
    /// # embassy_futures::block_on(async {
    /// c.exchange(&csq, None).await.unwrap();
    /// c.exchange(&cereg, None).await.unwrap();
    /// let stat = c.wait_for_result(1_000, |seen| match seen {
    ///     Seen::Urc(Urc::Cereg(r)) => Some(r.stat),
    ///     _ => None,
    /// });
    /// assert_eq!(stat.await, Ok(RegStatus::Home));
    /// # });
    /// assert_eq!(c.queued_urcs(), 1); // the earlier `+CEREG: 2`
    /// ```
    ///
    /// # Errors
    /// As [`wait_for`](Self::wait_for).
    ///
    /// # Cancel safety
    /// As [`wait_for`](Self::wait_for).
    pub async fn wait_for_result<T>(
        &mut self,
        timeout_ms: u32,
        matcher: impl FnMut(Seen<'_, D::Urc<'_>>) -> Option<T>,
    ) -> Result<T, Error<IO::Error>> {
        self.wait_since(Some(self.sent_mark), timeout_ms, Awaited::Urc, matcher)
            .await
    }

    pub(super) async fn wait_since<T>(
        &mut self,
        since: Option<u32>,
        timeout_ms: u32,
        awaited: Awaited,
        mut matcher: impl FnMut(Seen<'_, D::Urc<'_>>) -> Option<T>,
    ) -> Result<T, Error<IO::Error>> {
        // The result may have arrived while a command was in flight.
        if let Some(t) = self.core.take_queued(since, &mut matcher) {
            return Ok(t);
        }
        let idle = self.config.idle_flush_ms;
        if idle == 0 || idle >= timeout_ms {
            return match select(
                self.core.wait(&mut matcher),
                self.delay.delay_ms(timeout_ms),
            )
            .await
            {
                Either::First(r) => r,
                Either::Second(()) => Err(Error::Timeout(awaited)),
            };
        }
        // Wait in idle-sized slices; a partial line that saw no new byte during a whole
        // slice is classified as ended.
        let mut waited = 0u32;
        loop {
            let before = self.core.bytes_in;
            let slice = idle.min(timeout_ms.saturating_sub(waited));
            match select(self.core.wait(&mut matcher), self.delay.delay_ms(slice)).await {
                Either::First(r) => return r,
                Either::Second(()) => {}
            }
            waited = waited.saturating_add(slice);
            if self.core.bytes_in == before
                && let Some(t) = self.core.flush_partial(&mut matcher)
            {
                return Ok(t);
            }
            if waited >= timeout_ms {
                return Err(Error::Timeout(awaited));
            }
        }
    }

    /// The oldest queued URC, without any I/O. It borrows from the client until the next call.
    /// `None` when nothing is queued.
    ///
    /// ```
    /// # use atmodem::client::{Client, Error, Event, Seen, State};
    /// # use atmodem::codec::{Generic, RegStatus, Urc};
    /// # use atmodem::sim::{InstantDelay, SimModem};
    /// let script = ">> AT+CSQ\n<< +CEREG: 5\n<< +CSQ: 20,99\n<< OK\n";
    /// let mut state: State = State::new();
    /// let mut c: Client<_, _, Generic> = Client::new(SimModem::new(script).unwrap(), InstantDelay, &mut state);
    /// # let csq = atmodem::client::Request::new(b"AT+CSQ\r", atmodem::codec::Expect::tokens(&[b"+CSQ"]), 300);
    /// embassy_futures::block_on(c.exchange(&csq, None)).unwrap();
    /// let Some(Event::Urc(Urc::Cereg(r))) = c.poll_urc() else { panic!() };
    /// assert_eq!(r.stat, RegStatus::Roaming);
    /// assert_eq!(c.poll_urc(), None);
    /// ```
    pub fn poll_urc(&mut self) -> Option<Event<'_, D::Urc<'_>>> {
        let (line, tag) = self.core.urcs.pop_tagged()?;
        if tag == Tag::Unknown {
            return Some(Event::Unknown(line));
        }
        let tok = crate::codec::token(line);
        Some(match D::parse_urc(tok, line) {
            Some(u) => Event::Urc(u),
            None => Event::Unknown(line),
        })
    }

    /// Read until a URC is queued (or `timeout_ms` passes; `None` waits for ever).
    pub(super) async fn until_queued(
        &mut self,
        timeout_ms: Option<u32>,
    ) -> Result<(), Error<IO::Error>> {
        self.until_queued_where(timeout_ms, None, &|_, _| true, Room::Make)
            .await
    }

    /// Read until a line queued after `mark` (any line when `None`) satisfies `want` (given
    /// its tag and bytes), or `timeout_ms` passes. `room` says what may be discarded when the
    /// queue is full of other lines.
    pub(super) async fn until_queued_where(
        &mut self,
        timeout_ms: Option<u32>,
        mark: Option<u32>,
        want: &impl Fn(Tag, &[u8]) -> bool,
        room: Room,
    ) -> Result<(), Error<IO::Error>> {
        if self.core.urcs.any_with(mark, want) {
            return Ok(());
        }
        let mut queue_it = |_: Seen<'_, D::Urc<'_>>| None::<()>;
        let idle = self.config.idle_flush_ms;
        let mut waited = 0u32;
        loop {
            let before = self.core.bytes_in;
            let slice = match (timeout_ms, idle) {
                (Some(t), 0) => t,
                (Some(t), i) => i.min(t.saturating_sub(waited)),
                (None, 0) => u32::MAX,
                (None, i) => i,
            };
            match select(
                self.core.until_one_queued(mark, want, room),
                self.delay.delay_ms(slice),
            )
            .await
            {
                Either::First(r) => return r,
                Either::Second(()) => {}
            }
            waited = waited.saturating_add(slice);
            if self.core.bytes_in == before {
                let _ = self.core.flush_partial(&mut queue_it);
                if self.core.urcs.any_with(mark, want) {
                    return Ok(());
                }
            }
            if timeout_ms.is_some_and(|t| waited >= t) {
                return Err(Error::Timeout(Awaited::Urc));
            }
        }
    }

    /// The oldest queued URC, reading from the transport until one arrives. There is no
    /// timeout: race it with one, or use [`next_urc_within`](Self::next_urc_within). A
    /// module reboot arrives as its URC (`RDY`), also recorded in [`links`](Self::links).
    ///
    /// ```
    /// # use atmodem::client::{Client, Error, Event, Seen, State};
    /// # use atmodem::codec::{Generic, RegStatus, Urc};
    /// # use atmodem::sim::{InstantDelay, SimModem};
    /// let mut state: State = State::new();
    /// let mut c: Client<_, _, Generic> = Client::new(SimModem::new("<< RDY\n").unwrap(), InstantDelay, &mut state);
    /// let urc = embassy_futures::block_on(c.next_urc()).unwrap();
    /// assert_eq!(urc, Event::Urc(Urc::Ready));
    /// assert!(c.links().rebooted);
    /// ```
    ///
    /// # Cancel safety
    /// Cancel-safe: bytes read stay in the decoder and URCs stay queued.
    pub async fn next_urc(&mut self) -> Result<Event<'_, D::Urc<'_>>, Error<IO::Error>> {
        self.until_queued(None).await?;
        self.poll_urc().ok_or(Error::Internal)
    }

    /// Like [`next_urc`](Self::next_urc), giving up after `timeout_ms` with
    /// [`Error::Timeout`] (the client stays in step; a partial line read so far is kept).
    ///
    /// ```
    /// # use atmodem::client::{Awaited, Client, Error, Event, Seen, State};
    /// # use atmodem::codec::{Generic, RegStatus, Urc};
    /// # use atmodem::sim::{InstantDelay, SimModem};
    /// let mut state: State = State::new();
    /// let mut c: Client<_, _, Generic> = Client::new(SimModem::new("<< +QIND: 1\n").unwrap(), InstantDelay, &mut state);
    /// # embassy_futures::block_on(async {
    /// assert_eq!(c.next_urc_within(500).await, Ok(Event::Unknown(b"+QIND: 1")));
    /// assert_eq!(c.next_urc_within(500).await, Err(Error::Timeout(Awaited::Urc)));
    /// # });
    /// ```
    ///
    /// # Cancel safety
    /// Cancel-safe, as [`next_urc`](Self::next_urc).
    pub async fn next_urc_within(
        &mut self,
        timeout_ms: u32,
    ) -> Result<Event<'_, D::Urc<'_>>, Error<IO::Error>> {
        self.until_queued(Some(timeout_ms)).await?;
        self.poll_urc().ok_or(Error::Internal)
    }

    /// Wait up to `timeout_ms` for a queued or arriving line that `want` accepts, and take
    /// it out of the queue (borrowed until the next call); other lines stay queued.
    ///
    /// ```
    /// # use atmodem::client::{Client, Error, Event, Seen, State};
    /// # use atmodem::codec::{Generic, RegStatus, Urc};
    /// # use atmodem::sim::{InstantDelay, SimModem};
    /// let modem = SimModem::new("<< +CEREG: 5\n<< +QIND: \"FOTA\",\"END\",0\n").unwrap();
    /// let mut state: State = State::new();
    /// let mut c: Client<_, _, Generic> = Client::new(modem, InstantDelay, &mut state);
    /// let line = embassy_futures::block_on(c.next_line_where(1_000, |l| l.starts_with(b"+QIND")));
    /// assert_eq!(line, Ok(&br#"+QIND: "FOTA","END",0"#[..]));
    /// assert_eq!(c.queued_urcs(), 1);
    /// ```
    ///
    /// # Errors
    /// [`Error::Timeout`] when no such line came within `timeout_ms` (the client stays in
    /// step); [`Error::QueueFull`] when the queue is full of other lines. A reboot's `RDY` is
    /// queued like any other line and does not end the wait unless `want` accepts it.
    ///
    /// # Cancel safety
    /// Cancel-safe: bytes read stay in the decoder and URCs stay queued.
    pub async fn next_line_where(
        &mut self,
        timeout_ms: u32,
        want: impl Fn(&[u8]) -> bool,
    ) -> Result<&[u8], Error<IO::Error>> {
        self.until_queued_where(Some(timeout_ms), None, &|_, l: &[u8]| want(l), Room::Keep)
            .await?;
        self.core.urcs.pop_first(want).ok_or(Error::Internal)
    }

    /// The message a line from [`next_message_line`] holds, sliced out by its spans (the
    /// line was parsed once, when it was classified; only the topic's UTF-8 is checked
    /// again, to make it a `&str`); parsed here only when it came without them.
    ///
    /// Not part of an `async fn`: the family's `mqtt_next_message` awaits
    /// [`next_message_line`] itself and hands its result here, one coroutine less on the
    /// path every message takes.
    ///
    /// [`next_message_line`]: Self::next_message_line
    pub(super) fn message_of(
        line: &[u8],
        spans: Option<MessageSpans>,
    ) -> Result<MqttMessage<'_>, Error<IO::Error>> {
        let message = match spans {
            Some(s) => s
                .topic(line)
                .zip(s.payload(line))
                .and_then(|(topic, payload)| {
                    Some(MqttMessage {
                        topic: core::str::from_utf8(topic).ok()?,
                        payload,
                    })
                }),
            None => D::parse_urc(crate::codec::token(line), line)
                .as_ref()
                .and_then(D::message_parts)
                .map(|(_, topic, payload)| MqttMessage { topic, payload }),
        };
        message.ok_or(Error::Internal)
    }

    /// The next message line of `session`'s index: a queued one first (classified
    /// once when it came: the queue is searched by tag, no line is parsed), else the next
    /// one read, handed out where it lies in the decoder's buffer without being queued or
    /// copied. [`Error::SessionDown`] instead when the client's link is down (or goes down
    /// while waiting) with no message left. While the queue is full of other lines, status
    /// URCs and messages of clients with no session are discarded to make room (counted in
    /// [`Stats::urcs_dropped`](super::Stats::urcs_dropped)); when only other clients'
    /// messages fill it, the wait ends with [`Error::QueueFull`].
    ///
    /// When none is left of a session that has ended: [`Error::StaleSession`] if `session`
    /// names it, [`Error::SessionDown`] for a handle taken while the index was down.
    pub(super) async fn next_message_line(
        &mut self,
        session: Session,
        timeout_ms: u32,
    ) -> Result<(&[u8], Option<MessageSpans>), Error<IO::Error>> {
        let client = session.index();
        let is_message = |t: Tag| t == Tag::Message(client);
        if self.core.urcs.may_hold_message(client) && self.core.urcs.any_tagged(None, is_message) {
            return self.core.urcs.take_message(client).ok_or(Error::Internal);
        }
        let mark = self.core.urcs.since();
        // A link known to be down: only what is already there can still be a message.
        let wait = !self.core.links.mqtt_is_down(client);
        let found = if wait {
            match select(
                self.core.until_message(client, mark, true),
                self.delay.delay_ms(timeout_ms),
            )
            .await
            {
                Either::First(r) => r?,
                Either::Second(()) => return Err(Error::Timeout(Awaited::Message)),
            }
        } else {
            self.core.until_message(client, mark, false).await?
        };
        match found {
            Found::At { start, len, spans } => self
                .core
                .reader
                .decoder
                .buffer_at(start, len)
                .map(|line| (line, spans))
                .ok_or(Error::Internal),
            Found::Ended | Found::Nothing => {
                Err(self.current(session).err().unwrap_or(Error::SessionDown))
            }
        }
    }

    /// Read what the transport has ready without waiting, and classify it (URCs queued,
    /// link events recorded). Stops early when the queue is full: the rest waits in the
    /// transport.
    pub(super) async fn catch_up(&mut self) -> Result<(), Error<IO::Error>> {
        if !self.core.drain_buffered() {
            return Ok(());
        }
        // Bounded, so that a modem that never stops talking cannot hold the caller.
        for _ in 0..CATCH_UP_READS {
            // `select` polls the read first: it wins only if bytes are there now.
            match select(self.core.fill(), core::future::ready(())).await {
                Either::First(r) => {
                    r?;
                    if !self.core.drain_buffered() {
                        break;
                    }
                }
                Either::Second(()) => break,
            }
        }
        Ok(())
    }

    /// Wait until MQTT client `client` is known to be down (at once if it is).
    pub(super) async fn wait_mqtt_down(
        &mut self,
        client: u8,
        timeout_ms: u32,
    ) -> Result<(), Error<IO::Error>> {
        self.catch_up().await?;
        if self.core.links.mqtt_is_down(client) {
            return Ok(());
        }
        // Only what comes from now on: a session end queued earlier (boot URCs, an earlier
        // session's `+QMTSTAT`) is already reflected in `links`, and the link is up.
        let now = self.core.urcs.since();
        self.wait_since(Some(now), timeout_ms, Awaited::Urc, |seen| match seen {
            Seen::Urc(u) => match D::link_event(u) {
                Some(LinkEvent::MqttDown(c)) if c == client => Some(()),
                Some(LinkEvent::MqttDown(_)) | None => None,
                Some(_) => Some(()),
            },
            _ => None,
        })
        .await
    }

    /// Wait until `session` has ended: at once for a stale handle (its session is what this
    /// waits for), otherwise until its client index is known to be down.
    pub(super) async fn wait_session_closed(
        &mut self,
        session: Session,
        timeout_ms: u32,
    ) -> Result<(), Error<IO::Error>> {
        match self.current(session) {
            Err(_) => Ok(()),
            Ok(client) => self.wait_mqtt_down(client, timeout_ms).await,
        }
    }

    /// Send `cmd` until `done` accepts its response, pausing `POLL_MS` between tries;
    /// [`Error::Timeout`] once `timeout_ms` of pauses have passed.
    pub(super) async fn poll_until<C: Command>(
        &mut self,
        cmd: &C,
        timeout_ms: u32,
        done: impl for<'a> Fn(C::Response<'a>) -> bool,
    ) -> Result<(), Error<IO::Error>> {
        let mut waited = 0u32;
        loop {
            if done(self.send(cmd).await?) {
                return Ok(());
            }
            if waited >= timeout_ms {
                return Err(Error::Timeout(Awaited::State(cmd.name())));
            }
            self.delay.delay_ms(POLL_MS).await;
            waited = waited.saturating_add(POLL_MS);
        }
    }

    /// `session`'s client index, or [`Error::StaleSession`] when the session has gone
    /// down since the handle was made. No I/O.
    pub(super) fn current(&self, session: Session) -> Result<u8, Error<IO::Error>> {
        if self.core.links.is_current(session) {
            Ok(session.index())
        } else {
            Err(Error::StaleSession {
                index: session.index(),
            })
        }
    }

    /// Read what is ready, then whether `session` can take a command: a stale handle is
    /// refused before and after the read (a `+QMTSTAT` may be waiting), so nothing is
    /// written for a session that has ended; a current handle on an index known to be down
    /// is [`Error::SessionDown`].
    pub(super) async fn session_alive(&mut self, session: Session) -> Result<u8, Error<IO::Error>> {
        self.current(session)?;
        self.catch_up().await?;
        let client = self.current(session)?;
        if self.core.links.mqtt_is_down(client) {
            Err(Error::SessionDown)
        } else {
            Ok(client)
        }
    }

    /// Whether the next message may be looked for with `session`: a current handle, or a
    /// stale one whose session ended with no other started on the index since (its queued
    /// messages are still that session's).
    pub(super) fn message_session(&self, session: Session) -> Result<(), Error<IO::Error>> {
        if self.core.links.is_current(session) || self.core.links.ended(session) {
            Ok(())
        } else {
            Err(Error::StaleSession {
                index: session.index(),
            })
        }
    }
}
