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
//! The buffers are the caller's: a [`State`] (sized by its const generics `RX` for the
//! decoder, `RESP` for one command and its response lines, `Q` for queued URCs) is lent to
//! the client for its whole life, so the client's type carries no sizes and the buffers can
//! sit in a `static`.

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
mod state;
mod waits;

pub use crate::codec::ExtendedError;
pub use crate::codec::{LineQueue, LinkEvent, PromptKind, Seen};
pub use config::{Config, Stats};
use engine::Core;
pub use error::{Awaited, Error};
pub use links::{Links, Session};
use recovery::DataPhase;
pub use recovery::{MARKER_QUERIES, MARKERS};
use request::Line;
pub use request::Request;
pub use session::{
    Bearer, BearerConfig, FORM_URLENCODED, Http, HttpPost, HttpResponse, HttpTiming,
    LoginTransport, Modem, Mqtt, MqttLogin, MqttSession,
};
pub use state::State;

impl<IO, DL, D> Modem for Client<'_, IO, DL, D>
where
    IO: embedded_io::ErrorType,
{
    type Error = Error<IO::Error>;
}

/// The AT client, working in the buffers of a [`State`] it borrows for `'s`. See the
/// [module docs](self).
pub struct Client<'s, IO, DL, D> {
    core: Core<'s, IO, D>,
    delay: DL,
    config: Config,
    /// A command was started and not finished (timeout, transport error, dropped future).
    dirty: bool,
    /// The next MQTT packet id (1..=65535).
    packet_id: u16,
    /// The URC queue's mark when the last command was sent.
    sent_mark: u32,
}

impl<IO, DL, D> core::fmt::Debug for Client<'_, IO, DL, D> {
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

impl<IO, DL, D> Client<'_, IO, DL, D> {
    /// Give the transport back (e.g. to run PPP on it). Bytes the client had read and not
    /// handed out yet, and queued URCs, are dropped with the client.
    ///
    /// ```
    /// # use atmodem::client::{Client, State};
    /// # use atmodem::dialects::common::Csq;
    /// # use atmodem::dialects::quectel::Quectel;
    /// # use atmodem::sim::{InstantDelay, SimModem};
    /// let modem = SimModem::new(">> AT+CSQ\n<< +CSQ: 20,99\n<< OK\n").unwrap();
    /// let mut state: State = State::new();
    /// let mut c: Client<_, _, Quectel> = Client::new(modem, InstantDelay, &mut state);
    /// embassy_futures::block_on(c.send(&Csq)).unwrap();
    /// let modem: SimModem = c.release();
    /// assert!(modem.is_done());
    /// ```
    pub fn release(self) -> IO {
        self.core.io
    }

    /// The transport, e.g. to inspect a simulated modem.
    ///
    /// ```
    /// # use atmodem::client::{Client, State};
    /// # use atmodem::dialects::common::Csq;
    /// # use atmodem::dialects::quectel::Quectel;
    /// # use atmodem::sim::{InstantDelay, SimModem};
    /// let modem = SimModem::new(">> AT+CSQ\n<< +CSQ: 20,99\n<< OK\n").unwrap();
    /// let mut state: State = State::new();
    /// let mut c: Client<_, _, Quectel> = Client::new(modem, InstantDelay, &mut state);
    /// assert!(!c.transport().is_done());
    /// embassy_futures::block_on(c.send(&Csq)).unwrap();
    /// assert!(c.transport().is_done());
    /// ```
    pub fn transport(&self) -> &IO {
        &self.core.io
    }

    /// The transport, mutably (e.g. to inject URCs into a simulated modem).
    ///
    /// Advanced: bytes written or read here bypass the client. Reading takes bytes the client
    /// would have framed, and writing while a command is in flight interleaves with it; use it
    /// between commands, for test tools or to configure the transport itself (a baud-rate
    /// change).
    ///
    /// ```
    /// # use atmodem::client::{Client, State};
    /// # use atmodem::dialects::quectel::Quectel;
    /// # use atmodem::sim::{InstantDelay, SimModem};
    /// let mut state: State = State::new();
    /// let mut c: Client<_, _, Quectel> = Client::new(SimModem::new("").unwrap(), InstantDelay, &mut state);
    /// c.transport_mut().inject(b"\r\n+QMTSTAT: 0,1\r\n");
    /// embassy_futures::block_on(c.next_urc_within(100)).unwrap();
    /// assert!(c.links().mqtt_is_down(0));
    /// ```
    pub fn transport_mut(&mut self) -> &mut IO {
        &mut self.core.io
    }

    /// The timing settings.
    ///
    /// ```
    /// # use atmodem::client::{Client, Config, State};
    /// # use atmodem::dialects::quectel::Quectel;
    /// # use atmodem::sim::{InstantDelay, SimModem};
    /// let config = Config { guard_ms: 20, ..Config::default() };
    /// let mut state: State = State::new();
    /// let c: Client<_, _, Quectel> =
    ///     Client::with_config(SimModem::new("").unwrap(), InstantDelay, &mut state, config);
    /// assert_eq!(c.config().guard_ms, 20);
    /// ```
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Session state learned from URCs (a reboot, a closed MQTT client, a deactivated
    /// context), updated whenever the client reads one.
    ///
    /// ```
    /// # use atmodem::client::{Client, State};
    /// # use atmodem::dialects::common::Csq;
    /// # use atmodem::dialects::quectel::Quectel;
    /// # use atmodem::sim::{InstantDelay, SimModem};
    /// // The module closes MQTT client 0 while answering a query.
    /// let script = ">> AT+CSQ\n<< +QMTSTAT: 0,1\n<< +CSQ: 20,99\n<< OK\n";
    /// let mut state: State = State::new();
    /// let mut c: Client<_, _, Quectel> = Client::new(SimModem::new(script).unwrap(), InstantDelay, &mut state);
    /// embassy_futures::block_on(c.send(&Csq)).unwrap();
    /// assert!(c.links().mqtt_is_down(0));
    /// assert!(!c.links().rebooted);
    /// ```
    pub fn links(&self) -> &Links {
        &self.core.links
    }

    /// Session state, to mark sessions up again after re-establishing them.
    ///
    /// ```
    /// # use atmodem::client::{Client, State};
    /// # use atmodem::dialects::quectel::Quectel;
    /// # use atmodem::sim::{InstantDelay, SimModem};
    /// let mut state: State = State::new();
    /// let mut c: Client<_, _, Quectel> = Client::new(SimModem::new("").unwrap(), InstantDelay, &mut state);
    /// c.transport_mut().inject(b"\r\n+QMTSTAT: 0,1\r\n");
    /// embassy_futures::block_on(c.next_urc_within(100)).unwrap();
    /// c.links_mut().mark_mqtt_up(0);
    /// assert!(!c.links().mqtt_is_down(0));
    /// ```
    pub fn links_mut(&mut self) -> &mut Links {
        &mut self.core.links
    }

    /// Number of queued URCs.
    ///
    /// ```
    /// # use atmodem::client::{Client, State};
    /// # use atmodem::dialects::common::Csq;
    /// # use atmodem::dialects::quectel::Quectel;
    /// # use atmodem::sim::{InstantDelay, SimModem};
    /// let script = ">> AT+CSQ\n<< +CEREG: 5\n<< +CSQ: 20,99\n<< OK\n";
    /// let mut state: State = State::new();
    /// let mut c: Client<_, _, Quectel> = Client::new(SimModem::new(script).unwrap(), InstantDelay, &mut state);
    /// embassy_futures::block_on(c.send(&Csq)).unwrap();
    /// assert_eq!(c.queued_urcs(), 1);
    /// assert!(c.poll_urc().is_some());
    /// assert_eq!(c.queued_urcs(), 0);
    /// ```
    pub fn queued_urcs(&self) -> usize {
        self.core.urcs.len()
    }

    /// The information lines of the last command, in order (URCs that came in between are
    /// queued, not listed here).
    ///
    /// ```
    /// # use atmodem::client::{Client, State};
    /// # use atmodem::dialects::common::Csq;
    /// # use atmodem::dialects::quectel::Quectel;
    /// # use atmodem::sim::{InstantDelay, SimModem};
    /// let script = ">> AT+CSQ\n<< +CEREG: 5\n<< +CSQ: 20,99\n<< OK\n";
    /// let mut state: State = State::new();
    /// let mut c: Client<_, _, Quectel> = Client::new(SimModem::new(script).unwrap(), InstantDelay, &mut state);
    /// embassy_futures::block_on(c.send(&Csq)).unwrap();
    /// assert!(c.response_lines().eq([&b"+CSQ: 20,99"[..]]));
    /// ```
    pub fn response_lines(&self) -> impl Iterator<Item = &[u8]> {
        self.core.resp.iter()
    }
}

impl<'s, IO, DL, D> Client<'s, IO, DL, D>
where
    IO: Read + Write,
    DL: DelayNs,
    D: Dialect,
{
    /// Counters of dropped URCs, stray final codes, overflows, garbage and resyncs.
    ///
    /// ```
    /// # use atmodem::client::{Awaited, Client, Error, State};
    /// # use atmodem::dialects::common::Csq;
    /// # use atmodem::dialects::quectel::Quectel;
    /// # use atmodem::sim::{InstantDelay, SimModem};
    /// // The first query goes unanswered; the next one resynchronises with a marker first.
    /// let script = ">> AT+CSQ\n>> AT+CMEE?\n<< +CMEE: 2\n<< OK\n>> AT+CSQ\n<< +CSQ: 20,99\n<< OK\n";
    /// let mut state: State = State::new();
    /// let mut c: Client<_, _, Quectel> = Client::new(SimModem::new(script).unwrap(), InstantDelay, &mut state);
    /// # embassy_futures::block_on(async {
    /// assert_eq!(c.send(&Csq).await.map(|_| ()), Err(Error::Timeout(Awaited::Answer("+CSQ"))));
    /// c.send(&Csq).await.unwrap();
    /// # });
    /// assert_eq!(c.stats().resyncs, 1);
    /// ```
    pub fn stats(&self) -> Stats {
        let decoder = self.core.reader.decoder.stats();
        Stats {
            overflows: decoder.overflows,
            garbage: decoder.garbage_bytes,
            bad_lengths: decoder.bad_lengths,
            ..self.core.stats
        }
    }

    /// A client over `io`, timing out with `delay`, working in `state`'s buffers, with the
    /// default [`Config`]. No I/O happens until the first call.
    ///
    /// ```
    /// # use atmodem::client::{Client, State};
    /// # use atmodem::dialects::common::Csq;
    /// # use atmodem::dialects::quectel::Quectel;
    /// # use atmodem::sim::{InstantDelay, SimModem};
    /// let modem = SimModem::new(">> AT+CSQ\n<< +CSQ: 20,99\n<< OK\n").unwrap();
    /// let mut state: State = State::new();
    /// let mut c: Client<_, _, Quectel> = Client::new(modem, InstantDelay, &mut state);
    /// let q = embassy_futures::block_on(c.send(&Csq)).unwrap();
    /// assert_eq!(q.rssi, 20);
    /// ```
    pub fn new<const RX: usize, const RESP: usize, const Q: usize>(
        io: IO,
        delay: DL,
        state: &'s mut State<RX, RESP, Q>,
    ) -> Self {
        Self::with_config(io, delay, state, Config::default())
    }

    /// A client with explicit timing settings. No I/O happens until the first call.
    ///
    /// ```
    /// # use atmodem::client::{Client, Config, State};
    /// # use atmodem::dialects::common::Csq;
    /// # use atmodem::dialects::quectel::Quectel;
    /// # use atmodem::sim::{InstantDelay, SimModem};
    /// let modem = SimModem::new(">> AT+CSQ\n<< +CSQ: 20,99\n<< OK\n").unwrap();
    /// let config = Config { idle_flush_ms: 0, ..Config::default() };
    /// let mut state: State = State::new();
    /// let mut c: Client<_, _, Quectel> = Client::with_config(modem, InstantDelay, &mut state, config);
    /// assert_eq!(embassy_futures::block_on(c.send(&Csq)).unwrap().rssi, 20);
    /// ```
    pub fn with_config<const RX: usize, const RESP: usize, const Q: usize>(
        io: IO,
        delay: DL,
        state: &'s mut State<RX, RESP, Q>,
        config: Config,
    ) -> Self {
        let (rx, resp, urcs) = state.split();
        Self {
            core: Core {
                io,
                reader: Reader::with_buffer(rx),
                resp: LineQueue::with_buffer(resp),
                urcs: LineQueue::with_buffer(urcs),
                links: Links::default(),
                stats: Stats::default(),
                truncated: false,
                received: 0,
                bytes_in: 0,
                data_phase: DataPhase::None,
                markers: heapless::Vec::new(),
                next_marker: 0,
                receive_at_once: None,
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
    /// ```
    /// # use atmodem::client::{Client, State};
    /// # use atmodem::dialects::common::Csq;
    /// # use atmodem::dialects::quectel::Quectel;
    /// # use atmodem::sim::{InstantDelay, SimModem};
    /// let modem = SimModem::new(">> AT+CSQ\n<< +CSQ: 20,99\n<< OK\n").unwrap();
    /// let mut state: State = State::new();
    /// let mut c: Client<_, _, Quectel> = Client::new(modem, InstantDelay, &mut state);
    /// let q = embassy_futures::block_on(c.send(&Csq)).unwrap();
    /// assert_eq!((q.rssi, q.ber, q.dbm()), (20, 99, Some(-73)));
    /// ```
    ///
    /// # Errors
    /// The module's `ERROR` / `+CME ERROR` as [`Error::Error`] / [`Error::Cme`] (the client
    /// stays in step); [`Error::Parse`] for a response the command cannot read.
    ///
    /// On a timeout it returns [`Error::Timeout`]; the client is then out of step and the
    /// next call resynchronises first (see [`resync`](Self::resync)), so a late answer is
    /// never taken for the next command's. A module reboot (`RDY`) while the command runs
    /// ends it with [`Error::Rebooted`] and the next call resynchronises too.
    ///
    /// # Cancel safety
    /// As [`exchange`](Self::exchange): dropping the future is like a timeout, the next call
    /// resynchronises.
    pub async fn send<C: Command>(&mut self, cmd: &C) -> Result<C::Response<'_>, Error<IO::Error>> {
        self.send_within(cmd, cmd.timeout_ms()).await
    }

    /// [`send`](Self::send) with another timeout, in milliseconds.
    ///
    /// ```
    /// # use atmodem::client::{Awaited, Client, Error, State};
    /// # use atmodem::dialects::common::Csq;
    /// # use atmodem::dialects::quectel::Quectel;
    /// # use atmodem::sim::{InstantDelay, SimModem};
    /// // No answer within 300 ms: a timeout; the next call resynchronises (`AT+CMEE?`).
    /// let script = ">> AT+CSQ\n>> AT+CMEE?\n<< +CMEE: 2\n<< OK\n>> AT+CSQ\n<< +CSQ: 7,0\n<< OK\n";
    /// let mut state: State = State::new();
    /// let mut c: Client<_, _, Quectel> = Client::new(SimModem::new(script).unwrap(), InstantDelay, &mut state);
    /// # embassy_futures::block_on(async {
    /// assert_eq!(c.send_within(&Csq, 300).await.map(|_| ()), Err(Error::Timeout(Awaited::Answer("+CSQ"))));
    /// assert_eq!(c.send_within(&Csq, 300).await.unwrap().rssi, 7);
    /// # });
    /// ```
    ///
    /// # Errors
    /// As [`send`](Self::send): [`Error::Timeout`] after `timeout_ms` (the next call
    /// resynchronises), [`Error::Rebooted`] on a module reboot.
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
    /// ```
    /// # use atmodem::client::{Client, State};
    /// # use atmodem::dialects::quectel::{QhttpRead, Quectel};
    /// # use atmodem::sim::{InstantDelay, SimModem};
    /// let script = ">> AT+QHTTPREAD=200\n<< CONNECT\n<<| \"hello\"\n<< OK\n<< +QHTTPREAD: 0\n";
    /// let mut state: State = State::new();
    /// let mut c: Client<_, _, Quectel> = Client::new(SimModem::new(script).unwrap(), InstantDelay, &mut state);
    /// let read = QhttpRead { wait_secs: Some(200), len: 5, header: false };
    /// let mut body = [0u8; 32];
    /// let (_, n) = embassy_futures::block_on(c.send_into(&read, &mut body)).unwrap();
    /// assert_eq!(&body[..n], b"hello");
    /// ```
    ///
    /// # Errors
    /// As [`send`](Self::send): [`Error::Timeout`] when the data or the final code does not
    /// come in time (the data phase is closed and the client resynchronised by the next
    /// call), [`Error::Rebooted`] on a module reboot.
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
    /// ```
    /// # use atmodem::client::{Client, State};
    /// # use atmodem::dialects::quectel::{QmtOpen, Quectel};
    /// # use atmodem::sim::{InstantDelay, SimModem};
    /// let script = ">> AT+QMTOPEN=0,\"h\",1883\n<< OK\n<< +QMTOPEN: 0,0\n";
    /// let mut state: State = State::new();
    /// let mut c: Client<_, _, Quectel> = Client::new(SimModem::new(script).unwrap(), InstantDelay, &mut state);
    /// let open = QmtOpen { client: 0, host: "h", port: 1883 };
    /// embassy_futures::block_on(c.run(&open)).unwrap();
    /// assert!(c.transport().is_done());
    /// ```
    ///
    /// # Errors
    /// As [`send`](Self::send) while the command runs. While waiting for the result:
    /// [`Error::Timeout`] when it does not come within the result timeout (the client stays
    /// in step: the command was answered), [`Error::Rebooted`] when the module reboots (or
    /// powers down) first, [`Error::Action`] for a failed result.
    ///
    /// # Cancel safety
    /// Dropped while the command runs: as [`exchange`](Self::exchange). Dropped while waiting
    /// for the result: nothing is lost; the result, when it comes, is queued as a URC.
    pub async fn run<C: Deferred<D>>(&mut self, cmd: &C) -> Result<C::Output, Error<IO::Error>> {
        self.run_within(cmd, cmd.result_timeout_ms()).await
    }

    /// [`run`](Self::run) with another result timeout, in milliseconds.
    ///
    /// ```
    /// # use atmodem::client::{Client, Error, State};
    /// # use atmodem::dialects::quectel::{QmtOpen, Quectel};
    /// # use atmodem::sim::{InstantDelay, SimModem};
    /// // The module reboots instead of giving the result.
    /// let script = ">> AT+QMTOPEN=0,\"h\",1883\n<< OK\n<< RDY\n";
    /// let mut state: State = State::new();
    /// let mut c: Client<_, _, Quectel> = Client::new(SimModem::new(script).unwrap(), InstantDelay, &mut state);
    /// let open = QmtOpen { client: 0, host: "h", port: 1883 };
    /// assert_eq!(embassy_futures::block_on(c.run_within(&open, 5_000)), Err(Error::Rebooted));
    /// assert!(c.links().rebooted);
    /// ```
    ///
    /// # Errors
    /// As [`run`](Self::run), with [`Error::Timeout`] after `result_timeout_ms`.
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
        let since = Some(self.sent_mark);
        let awaited = Awaited::Result(cmd.name());
        self.wait_since(since, result_timeout_ms, awaited, |seen| {
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
        let limit = self.core.resp.capacity();
        let n = cmd
            .encode(self.core.resp.scratch())
            .map_err(|e| match e {
                EncodeError::BufferFull => Error::CommandTooLong { limit },
                e => Error::Encode(e),
            })?
            .len();
        let req = Request {
            name: cmd.name(),
            command: b"",
            expect: cmd.expect(),
            timeout_ms,
            send: cmd.data(),
            send_end: cmd.data_end(),
            receive_after_connect: cmd.receive(),
            receive_header: cmd.receive_header(),
        };
        self.core.receive_at_once = cmd.receive_at_once();
        self.exchange_line(Line::Encoded(n), &req, sink).await
    }

    /// Run one untyped command exchange within `req.timeout_ms`. Data announced after
    /// `CONNECT` goes into `sink`; returns the number of data bytes received. The
    /// information lines are then in [`response_lines`](Self::response_lines).
    ///
    /// ```
    /// # use atmodem::client::{Client, Request, State};
    /// # use atmodem::codec::{Expect, Generic};
    /// # use atmodem::sim::{InstantDelay, SimModem};
    /// let modem = SimModem::new(">> AT+CSQ\n<< +CSQ: 20,99\n<< OK\n").unwrap();
    /// let mut state: State = State::new();
    /// let mut c: Client<_, _, Generic> = Client::new(modem, InstantDelay, &mut state);
    /// let csq = Request::new(b"AT+CSQ\r", Expect::tokens(&[b"+CSQ"]), 300);
    /// assert_eq!(embassy_futures::block_on(c.exchange(&csq, None)), Ok(0));
    /// assert!(c.response_lines().eq([&b"+CSQ: 20,99"[..]]));
    /// ```
    ///
    /// # Errors
    /// [`Error::Timeout`] when no final code comes within `req.timeout_ms`: the client is
    /// out of step and the next call resynchronises first. [`Error::Rebooted`] when the
    /// module reboots (`RDY`) during the exchange; the next call resynchronises too.
    /// `ERROR` / `+CME ERROR` / `+CMS ERROR` are answers: the client stays in step.
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
        self.core.receive_at_once = None;
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
            Either::Second(()) => Err(Error::Timeout(Awaited::Answer(req.name))),
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
