//! The async client: the only layer that does I/O.
//!
//! [`Client`] is generic over any `embedded_io_async::Read + Write` transport, an
//! `embedded_hal_async::delay::DelayNs` for timeouts and a [`Dialect`]. It needs no executor,
//! no global state and no allocation, so it runs the same under embassy, RTIC and tokio.
//!
//! - [`Client::send`] writes a typed [`Command`], drives its data phase (`>`, `CONNECT`,
//!   `DOWNLOAD` then the data, or announced data in), waits for its final result code within
//!   its timeout and returns its typed response (borrowed from the client until the next
//!   call). [`Client::run`] does the same for a [`Deferred`] command and then waits for its
//!   real result, which arrives later as a URC (`+QMTOPEN: 0,0`, `CONNACK OK`, ...).
//! - [`Client::exchange`] and [`Client::wait_for`] are the untyped forms underneath.
//! - URCs that arrive meanwhile are queued (bounded: the oldest are dropped and counted) and
//!   handed out by [`Client::poll_urc`] / [`Client::next_urc`], borrowed from the client.
//! - After a timeout, a garbled reply or a dropped future the client resynchronises before
//!   the next command: it closes a data phase left open, abandons announced data that never
//!   came, then sends a marker command (a query the library sends for nothing else) and waits
//!   for the marker's own answer line and final code. Modules answer commands in order, so
//!   every late answer of the abandoned command comes before it and is counted, never taken
//!   for the next command's, however late it is.
//! - URCs that end a session (`RDY`, `+QMTSTAT`, `CLOSED`, PDP deactivation) are recorded in
//!   [`Links`], so that session code can fail fast instead of hanging.
//! - A partial line that stays unterminated for [`Config::idle_flush_ms`] (old Luat firmware
//!   sends `CONNECT OK` without CRLF) is classified as if it had ended.
//!
//! Buffers are const generics: `RX` for the decoder (the longest line or payload chunk),
//! `RESP` for one command's line and its response lines (the command is encoded there, so it
//! also bounds the longest command), `Q` for queued URCs. Their RAM cost is their size.

use embassy_futures::select::{Either, select};
use embedded_hal_async::delay::DelayNs;
use embedded_io_async::{Read, Write};

use crate::codec::{Dialect, EncodeError, Reader};
use crate::dialects::{Command, Deferred};

mod config;
mod engine;
mod error;
mod links;
mod luat;
#[cfg(all(test, feature = "std"))]
mod parse_once;
mod quectel;
mod recovery;
mod request;
mod session;
mod waits;

pub use crate::codec::{LineQueue, LinkEvent, PromptKind, Seen};
pub use config::{Config, Stats};
use engine::Core;
pub use error::Error;
pub use links::Links;
use recovery::DataPhase;
pub use recovery::{MARKER_QUERIES, MARKERS};
use request::Line;
pub use request::Request;
pub use session::{
    Bearer, BearerConfig, FORM_URLENCODED, Http, HttpPost, HttpResponse, HttpTiming, Modem, Mqtt,
    MqttLogin, MqttSession,
};

impl<IO, DL, D, const RX: usize, const RESP: usize, const Q: usize> Modem
    for Client<IO, DL, D, RX, RESP, Q>
where
    IO: embedded_io::ErrorType,
{
    type Error = Error<IO::Error>;
}

/// The AT client. See the [module docs](self).
pub struct Client<IO, DL, D, const RX: usize = 1024, const RESP: usize = 512, const Q: usize = 1024>
{
    core: Core<IO, D, RX, RESP, Q>,
    delay: DL,
    config: Config,
    /// A command was started and not finished (timeout, transport error, dropped future).
    dirty: bool,
    /// The next MQTT packet id (1..=65535).
    packet_id: u16,
    /// The URC queue's mark when the last command was sent.
    sent_mark: u32,
}

impl<IO, DL, D, const RX: usize, const RESP: usize, const Q: usize> core::fmt::Debug
    for Client<IO, DL, D, RX, RESP, Q>
{
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Client")
            .field("links", &self.core.links)
            .field("stats", &self.core.stats)
            .field("queued_urcs", &self.core.urcs.len())
            .field("dirty", &self.dirty)
            .finish()
    }
}

/// A queued URC handed out by [`Client::poll_urc`] / [`Client::next_urc`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Event<'a, U> {
    /// A URC the dialect knows.
    Urc(U),
    /// A line no parser knows, kept as it came.
    Unknown(&'a [u8]),
}

impl<IO, DL, D, const RX: usize, const RESP: usize, const Q: usize> Client<IO, DL, D, RX, RESP, Q> {
    /// Give the transport back (e.g. to run PPP on it).
    pub fn release(self) -> IO {
        self.core.io
    }

    /// The transport, e.g. to inspect a simulated modem.
    pub fn transport(&self) -> &IO {
        &self.core.io
    }

    /// The transport, mutably (e.g. to inject URCs into a simulated modem).
    pub fn transport_mut(&mut self) -> &mut IO {
        &mut self.core.io
    }

    /// The timing settings.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Session state learned from URCs.
    pub fn links(&self) -> &Links {
        &self.core.links
    }

    /// Session state, to mark sessions up again after re-establishing them.
    pub fn links_mut(&mut self) -> &mut Links {
        &mut self.core.links
    }

    /// Number of queued URCs.
    pub fn queued_urcs(&self) -> usize {
        self.core.urcs.len()
    }

    /// The information lines of the last command, in order.
    pub fn response_lines(&self) -> impl Iterator<Item = &[u8]> {
        self.core.resp.iter()
    }
}

impl<IO, DL, D, const RX: usize, const RESP: usize, const Q: usize> Client<IO, DL, D, RX, RESP, Q>
where
    IO: Read + Write,
    DL: DelayNs,
    D: Dialect,
{
    /// Counters of dropped URCs, stray final codes, overflows, garbage and resyncs.
    pub fn stats(&self) -> Stats {
        let decoder = self.core.reader.decoder.stats();
        Stats {
            overflows: decoder.overflows,
            garbage: decoder.garbage_bytes,
            bad_lengths: decoder.bad_lengths,
            ..self.core.stats
        }
    }

    /// A client over `io`, timing out with `delay`.
    pub fn new(io: IO, delay: DL) -> Self {
        Self::with_config(io, delay, Config::default())
    }

    /// A client with explicit timing settings.
    pub fn with_config(io: IO, delay: DL, config: Config) -> Self {
        Self {
            core: Core {
                io,
                reader: Reader::new(),
                resp: LineQueue::new(),
                urcs: LineQueue::new(),
                links: Links::default(),
                stats: Stats::default(),
                truncated: false,
                received: 0,
                bytes_in: 0,
                data_phase: DataPhase::None,
                markers: heapless::Vec::new(),
                next_marker: 0,
                saw_echo: false,
            },
            delay,
            config,
            dirty: false,
            packet_id: 1,
            sent_mark: 0,
        }
    }

    /// Send a typed command within its default timeout and return its typed response,
    /// borrowed from the client until the next call.
    ///
    /// # Cancel safety
    /// As [`exchange`](Self::exchange): a dropped call makes the next one resynchronise.
    pub async fn send<C: Command>(&mut self, cmd: &C) -> Result<C::Response<'_>, Error<IO::Error>> {
        self.send_within(cmd, cmd.timeout_ms()).await
    }

    /// [`send`](Self::send) with another timeout, in milliseconds.
    ///
    /// # Cancel safety
    /// As [`exchange`](Self::exchange).
    pub async fn send_within<C: Command>(
        &mut self,
        cmd: &C,
        timeout_ms: u32,
    ) -> Result<C::Response<'_>, Error<IO::Error>> {
        self.typed(cmd, None, timeout_ms).await?;
        cmd.parse(self.core.resp.lines()).map_err(Error::Parse)
    }

    /// Send a typed command whose data goes into `sink` (Luat `AT+HTTPREAD`, Quectel
    /// `AT+QHTTPREAD`); returns the typed response and the number of data bytes received.
    /// Data beyond `sink` is dropped and reported as [`Error::ResponseTooLong`].
    ///
    /// # Cancel safety
    /// As [`exchange`](Self::exchange).
    pub async fn send_into<C: Command>(
        &mut self,
        cmd: &C,
        sink: &mut [u8],
    ) -> Result<(C::Response<'_>, usize), Error<IO::Error>> {
        let n = self.typed(cmd, Some(sink), cmd.timeout_ms()).await?;
        Ok((cmd.parse(self.core.resp.lines()).map_err(Error::Parse)?, n))
    }

    /// Send a [`Deferred`] command, then wait for its real result (a URC) within its result
    /// timeout.
    ///
    /// # Cancel safety
    /// Dropped while the command runs: as [`exchange`](Self::exchange). Dropped while waiting
    /// for the result: nothing is lost; the result, when it comes, is queued as a URC.
    pub async fn run<C: Deferred<D>>(&mut self, cmd: &C) -> Result<C::Output, Error<IO::Error>> {
        self.run_within(cmd, cmd.result_timeout_ms()).await
    }

    /// [`run`](Self::run) with another result timeout, in milliseconds.
    ///
    /// # Cancel safety
    /// As [`run`](Self::run).
    pub async fn run_within<C: Deferred<D>>(
        &mut self,
        cmd: &C,
        result_timeout_ms: u32,
    ) -> Result<C::Output, Error<IO::Error>> {
        self.typed(cmd, None, cmd.timeout_ms()).await?;
        if let Some(done) = cmd.immediate() {
            return Ok(done);
        }
        self.wait_for_result(result_timeout_ms, |seen| {
            // A reboot ends every session: the result will never come.
            if let Seen::Urc(u) = &seen
                && matches!(
                    D::link_event(u),
                    Some(LinkEvent::Rebooted | LinkEvent::PoweredDown)
                )
            {
                return Some(Err(Error::Rebooted));
            }
            cmd.result(&seen).map(|r| r.map_err(Error::Action))
        })
        .await?
    }

    /// Run a typed command: encode it into the response buffer, exchange it.
    async fn typed<C: Command>(
        &mut self,
        cmd: &C,
        sink: Option<&mut [u8]>,
        timeout_ms: u32,
    ) -> Result<usize, Error<IO::Error>> {
        if self.dirty {
            self.resync().await?;
        }
        self.core.drain_buffered();
        let n = cmd
            .encode(self.core.resp.scratch())
            .map_err(|e| match e {
                EncodeError::BufferFull => Error::CommandTooLong { limit: RESP },
                e => Error::Encode(e),
            })?
            .len();
        let req = Request {
            command: b"",
            expect: cmd.expect(),
            timeout_ms,
            send: cmd.data(),
            send_end: cmd.data_end(),
            receive_after_connect: cmd.receive(),
            receive_header: cmd.receive_header(),
        };
        self.exchange_line(Line::Encoded(n), &req, sink).await
    }

    /// Run one untyped command exchange within `req.timeout_ms`. Data announced after
    /// `CONNECT` goes into `sink`; returns the number of data bytes received.
    ///
    /// # Cancel safety
    /// Dropping the future leaves the client marked out of step: the next call first
    /// resynchronises (sends `AT`, waits for `OK`, queues URCs), so no reply of the dropped
    /// command is taken for the next one's. Bytes already read are kept.
    pub async fn exchange(
        &mut self,
        req: &Request<'_>,
        sink: Option<&mut [u8]>,
    ) -> Result<usize, Error<IO::Error>> {
        if self.dirty {
            self.resync().await?;
        }
        self.core.drain_buffered();
        self.exchange_line(Line::Bytes(req.command), req, sink)
            .await
    }

    async fn exchange_line(
        &mut self,
        line: Line<'_>,
        req: &Request<'_>,
        sink: Option<&mut [u8]>,
    ) -> Result<usize, Error<IO::Error>> {
        self.dirty = true;
        self.sent_mark = self.core.urcs.since();
        let result = match select(
            self.core.run(line, req, sink),
            self.delay.delay_ms(req.timeout_ms),
        )
        .await
        {
            Either::First(r) => r,
            Either::Second(()) => Err(Error::Timeout),
        };
        match &result {
            // The modem answered: the exchange is complete, whatever it said.
            Ok(_) => self.dirty = false,
            Err(e) if e.answered() => self.dirty = false,
            Err(_) => {
                self.core.reader.classifier.abandon();
                self.core.reader.decoder.cancel_prompt();
            }
        }
        if self.config.guard_ms > 0 {
            self.delay.delay_ms(self.config.guard_ms).await;
        }
        result
    }

    /// The next MQTT packet id: 1..=65535, then 1 again.
    fn next_packet_id(&mut self) -> u16 {
        let id = self.packet_id;
        self.packet_id = id.checked_add(1).unwrap_or(1);
        id
    }
}
