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

use crate::codec::{
    DecodeError, Dialect, EncodeError, ErrorCode, Expect, FinalCode, Frame, Item, Reader,
};
use crate::dialects::{ActionError, Command, Deferred, ParseError};

mod luat;
mod quectel;
mod session;

pub use crate::codec::{LineQueue, LinkEvent, PromptKind, Seen};
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

/// What went wrong with an exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Error<E> {
    /// The transport failed.
    #[error("transport error")]
    Transport(E),
    /// The transport ended (a read returned 0 bytes).
    #[error("transport closed")]
    Closed,
    /// No final result (or awaited URC) within the timeout.
    #[error("timeout")]
    Timeout,
    /// The module answered `ERROR`.
    #[error("ERROR")]
    Error,
    /// The module answered `+CME ERROR: <n>` (text codes come out as `Cme(u16::MAX)`).
    #[error("+CME ERROR: {0}")]
    Cme(u16),
    /// The module answered `+CMS ERROR: <n>`.
    #[error("+CMS ERROR: {0}")]
    Cms(u16),
    /// `NO CARRIER`, `BUSY`, `NO ANSWER` or `NO DIALTONE`.
    #[error("call result code")]
    NoConnection,
    /// The command could not be encoded (nothing was sent).
    #[error("encode: {0}")]
    Encode(EncodeError),
    /// The response did not fit in the response buffer (the command itself completed).
    #[error("response longer than the response buffer")]
    ResponseTooLong,
    /// The response did not have the shape its command documents.
    #[error("{0}")]
    Parse(ParseError),
    /// The action was accepted but its later result reports a failure.
    #[error("{0}")]
    Action(ActionError),
    /// The session this call needs is down (the module rebooted, the link or PDP was lost).
    #[error("session is down")]
    SessionDown,
    /// The module rebooted (`RDY`) while this call waited for its answer or its result: the
    /// command's effect is unknown, and every session is gone.
    #[error("the module rebooted")]
    Rebooted,
    /// The encoded command line is longer than the response buffer, where commands are
    /// encoded (`RESP` bytes): nothing was sent. Give the client a larger `RESP`.
    #[error("command longer than the {limit}-byte response buffer")]
    CommandTooLong {
        /// The response buffer's size (`RESP`).
        limit: usize,
    },
    /// The module family cannot do this (e.g. `aliauth` on Luat, an HTTP body of unknown
    /// length on Quectel).
    #[error("not supported by this module family")]
    Unsupported,
    /// The modem answered something that does not fit the exchange (e.g. a data phase that
    /// did not open).
    #[error("protocol error")]
    Protocol,
}

impl<E> Error<E> {
    fn from_final(code: &FinalCode<'_>) -> Self {
        match code {
            FinalCode::Ok => Self::Protocol,
            FinalCode::Error => Self::Error,
            FinalCode::Cme(ErrorCode::Code(n)) => Self::Cme(*n),
            FinalCode::Cme(ErrorCode::Text(_)) => Self::Cme(u16::MAX),
            FinalCode::Cms(ErrorCode::Code(n)) => Self::Cms(*n),
            FinalCode::Cms(ErrorCode::Text(_)) => Self::Cms(u16::MAX),
            _ => Self::NoConnection,
        }
    }

    /// Whether the module answered (the client is in step; only this command failed).
    fn answered(&self) -> bool {
        matches!(
            self,
            Self::Error
                | Self::Cme(_)
                | Self::Cms(_)
                | Self::NoConnection
                | Self::ResponseTooLong
                | Self::Protocol
                | Self::Parse(_)
        )
    }
}

impl<E> From<EncodeError> for Error<E> {
    fn from(e: EncodeError) -> Self {
        Self::Encode(e)
    }
}

impl<E> From<ActionError> for Error<E> {
    fn from(e: ActionError) -> Self {
        Self::Action(e)
    }
}

/// One untyped command exchange, as the client runs it.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The encoded command line, `AT...\r`.
    pub command: &'a [u8],
    /// What its information lines look like.
    pub expect: Expect,
    /// How long to wait for the final result code, in milliseconds.
    pub timeout_ms: u32,
    /// Data to send once this prompt appears.
    pub send: Option<(PromptKind, &'a [u8])>,
    /// Bytes sent right after the data (Ctrl-Z).
    pub send_end: &'a [u8],
    /// Bytes of data the modem sends after `CONNECT` (Quectel `AT+QHTTPREAD`): they go to the
    /// sink passed to [`Client::exchange`].
    pub receive_after_connect: Option<usize>,
}

impl<'a> Request<'a> {
    /// A command with no data phase.
    pub const fn new(command: &'a [u8], expect: Expect, timeout_ms: u32) -> Self {
        Self {
            command,
            expect,
            timeout_ms,
            send: None,
            send_end: b"",
            receive_after_connect: None,
        }
    }

    /// Send `data` once `prompt` appears.
    pub const fn with_data(mut self, prompt: PromptKind, data: &'a [u8]) -> Self {
        self.send = Some((prompt, data));
        self
    }

    /// Take `len` bytes of data after `CONNECT`.
    pub const fn with_receive(mut self, len: usize) -> Self {
        self.receive_after_connect = Some(len);
        self
    }
}

/// Which sessions are known to be down, from the URCs seen. Down is latched until the
/// caller brings the session up again and calls the matching `mark_*_up`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Links {
    /// The module rebooted since the flag was last cleared.
    pub rebooted: bool,
    /// Bit `n` set: bearer / PDP context `n` (0..=31) went down.
    pub bearers_down: u32,
    /// Bit `n` set: MQTT client `n` (0..=7; Luat uses 0) went down.
    pub mqtt_down: u8,
}

fn bit32(n: u8) -> u32 {
    1u32.checked_shl(u32::from(n)).unwrap_or(0)
}

fn bit8(n: u8) -> u8 {
    1u8.checked_shl(u32::from(n)).unwrap_or(0)
}

impl Links {
    /// Record an event.
    pub fn apply(&mut self, ev: LinkEvent) {
        match ev {
            LinkEvent::Rebooted => {
                self.rebooted = true;
                self.bearers_down = u32::MAX;
                self.mqtt_down = u8::MAX;
            }
            LinkEvent::AllBearersDown => {
                self.bearers_down = u32::MAX;
                self.mqtt_down = u8::MAX;
            }
            LinkEvent::BearerDown(cid) => {
                self.bearers_down |= bit32(cid);
                // Every MQTT client rides on a bearer.
                self.mqtt_down = u8::MAX;
            }
            LinkEvent::MqttDown(idx) => self.mqtt_down |= bit8(idx),
        }
    }

    /// Whether MQTT client `idx` is down.
    pub fn mqtt_is_down(&self, idx: u8) -> bool {
        self.mqtt_down & bit8(idx) != 0
    }

    /// Mark MQTT client `idx` up again (after a successful connect).
    pub fn mark_mqtt_up(&mut self, idx: u8) {
        self.mqtt_down &= !bit8(idx);
    }

    /// Whether bearer `cid` is down.
    pub fn bearer_is_down(&self, cid: u8) -> bool {
        self.bearers_down & bit32(cid) != 0
    }

    /// Mark bearer `cid` up again (after a successful activation).
    pub fn mark_bearer_up(&mut self, cid: u8) {
        self.bearers_down &= !bit32(cid);
    }
}

/// Counters the caller can read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Stats {
    /// URCs dropped because the queue was full (the oldest go first).
    pub urcs_dropped: u32,
    /// Final result codes that arrived with no command in flight.
    pub unsolicited_finals: u32,
    /// Decoder overflows (lines longer than the RX buffer).
    pub overflows: u32,
    /// Garbage bytes skipped (NUL, 0xFF, control bytes outside payloads).
    pub garbage: u32,
    /// Resynchronisations after a timeout, garbled reply or dropped call.
    pub resyncs: u32,
    /// Partial lines classified after an idle pause (no line end arrived).
    pub flushed_partials: u32,
    /// Lines that announced an impossible payload length, and announced data abandoned by a
    /// resynchronisation.
    pub bad_lengths: u32,
    /// Commands whose response lines did not all fit in `RESP` (each returned
    /// [`Error::ResponseTooLong`]).
    pub responses_truncated: u32,
    /// Data phases a resynchronisation had to close (cancelled, or completed with filler).
    pub data_phases_closed: u32,
}

/// Timing settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Config {
    /// How long to wait for the answer to each marker command sent to resynchronise, in
    /// milliseconds.
    pub resync_timeout_ms: u32,
    /// How many marker commands to try when resynchronising (the
    /// last try first sends `ATV1`, which brings a module left in numeric mode back to
    /// verbose result codes).
    pub resync_attempts: u8,
    /// Pause after each final result code before the next command, in milliseconds (vendors
    /// advise about 20 ms); 0 for none.
    pub guard_ms: u32,
    /// While waiting for a URC: a partial line with no new byte for this long is taken as
    /// ended, in milliseconds; 0 never.
    pub idle_flush_ms: u32,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            resync_timeout_ms: 1000,
            resync_attempts: 3,
            guard_ms: 0,
            idle_flush_ms: 500,
        }
    }
}

/// The queries resynchronisation markers are made of, with the token of their answer line:
/// 3GPP TS 27.007 / 27.005 queries that every module family answers at once, that change
/// nothing and that the library sends for nothing else (the best supported first).
///
/// Marker `n` is one, two or three of them on one line (`AT+CMEE?`, then `AT+CSCS?`, ...,
/// then `AT+CMEE?;+CMEE?`, `AT+CMEE?;+CSCS?`, ...): [`MARKERS`] markers in all, sent in turn.
/// The module answers each query with its line, in order, so the sequence of answer lines
/// says which marker an answer belongs to; a late answer to an earlier marker is told apart
/// unless [`MARKERS`] markers have been sent since.
pub const MARKER_QUERIES: [(&[u8], &[u8]); 6] = [
    (b"+CMEE?", b"+CMEE"),
    (b"+CSCS?", b"+CSCS"),
    (b"+CMGF?", b"+CMGF"),
    (b"+CGEREP?", b"+CGEREP"),
    (b"+CRC?", b"+CRC"),
    (b"+CSMS?", b"+CSMS"),
];

/// How many distinct resynchronisation markers there are (sequences of one to three
/// [`MARKER_QUERIES`]).
pub const MARKERS: u16 = 6 + 6 * 6 + 6 * 6 * 6;

/// The answer tokens of [`MARKER_QUERIES`], for the classifier.
const MARKER_TOKENS: &[&[u8]] = &[b"+CMEE", b"+CSCS", b"+CMGF", b"+CGEREP", b"+CRC", b"+CSMS"];

/// Markers awaited at most at once: an older one is forgotten (its answer, if it ever comes,
/// is then counted as unsolicited, which is safe).
const MARKERS_AWAITED: usize = 16;

/// The queries of marker `id` (indexes into [`MARKER_QUERIES`]) and how many there are.
fn marker_queries(id: u16) -> ([u8; 3], usize) {
    let digit = |v: u16, k: u32| -> u8 {
        let d = v
            .checked_div(6u16.pow(k))
            .unwrap_or(0)
            .checked_rem(6)
            .unwrap_or(0);
        u8::try_from(d).unwrap_or(0)
    };
    match id {
        0..6 => ([digit(id, 0), 0, 0], 1),
        6..42 => {
            let v = id.saturating_sub(6);
            ([digit(v, 1), digit(v, 0), 0], 2)
        }
        _ => {
            let v = id.saturating_sub(42);
            ([digit(v, 2), digit(v, 1), digit(v, 0)], 3)
        }
    }
}

/// The marker whose answer is this sequence of answer tokens (indexes into
/// [`MARKER_QUERIES`]), if any.
fn marker_id(queries: &[u8]) -> Option<u16> {
    // Each query index is below 6, so none of this can overflow a `u16`.
    let base = match queries.len() {
        1 => 0u16,
        2 => 6,
        3 => 42,
        _ => return None,
    };
    let mut v = 0u16;
    for &q in queries {
        v = v.checked_mul(6)?.checked_add(u16::from(q))?;
    }
    base.checked_add(v)
}

/// Which query of [`MARKER_QUERIES`] answers with `line`.
fn marker_query_of(line: &[u8]) -> Option<u8> {
    let tok = crate::codec::token(line);
    let i = MARKER_QUERIES.iter().position(|&(_, t)| t == tok)?;
    u8::try_from(i).ok()
}

/// ESC: cancels a data phase ended by Ctrl-Z (Quectel `AT+QMTPUB`, Luat `AT+MPUBEX` without
/// a length).
const ESC: u8 = 0x1b;

/// Pause between two queries while polling for a state (attach, registration).
const POLL_MS: u32 = 1_000;

/// Most reads [`Client::catch_up`] makes.
const CATCH_UP_READS: usize = 16;

/// What one pass over the decoded items found.
enum Pump<T, E> {
    /// Nothing more is buffered: read from the transport.
    Empty,
    /// A prompt appeared.
    Prompt(PromptKind),
    /// The command in flight ended.
    Final(Result<(), Error<E>>),
    /// The matcher accepted a URC.
    Matched(T),
    /// The module rebooted (the `RDY` was queued).
    Rebooted,
}

/// A data phase the client has started and not finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DataPhase {
    /// No data phase.
    None,
    /// A command with a data phase was sent; its prompt has not come yet. `len` bytes will
    /// be due once it does; `ctrl_z` when the phase is ended by Ctrl-Z (so ESC cancels it).
    AwaitingPrompt { len: usize, ctrl_z: bool },
    /// The prompt came; `remaining` bytes of the announced data are still to be written.
    Open { remaining: usize, ctrl_z: bool },
}

/// Where the command line to write is.
#[derive(Clone, Copy)]
enum Line<'a> {
    /// In the caller's memory.
    Bytes(&'a [u8]),
    /// Encoded at the start of the response buffer, this many bytes.
    Encoded(usize),
}

/// The I/O half: transport, decoder and buffers (everything but the delay, so that a
/// timeout can race it).
struct Core<IO, D, const RX: usize, const RESP: usize, const Q: usize> {
    io: IO,
    reader: Reader<D, [u8; RX]>,
    resp: LineQueue<RESP>,
    urcs: LineQueue<Q>,
    links: Links,
    stats: Stats,
    /// Response lines or data did not fit.
    truncated: bool,
    /// Bytes of data received into the sink.
    received: usize,
    /// Bytes read from the transport, wrapping (to tell an idle line from a slow one).
    bytes_in: usize,
    /// The data phase in progress, for a resynchronisation to close.
    data_phase: DataPhase,
    /// Markers sent and not yet answered, oldest first.
    markers: heapless::Vec<u16, MARKERS_AWAITED>,
    /// The next marker to send (they take turns).
    next_marker: u16,
}

async fn write_all<IO: Write>(io: &mut IO, mut bytes: &[u8]) -> Result<(), Error<IO::Error>> {
    while !bytes.is_empty() {
        let n = io.write(bytes).await.map_err(Error::Transport)?;
        if n == 0 {
            return Err(Error::Closed);
        }
        bytes = bytes.get(n..).unwrap_or_default();
    }
    Ok(())
}

impl<IO, D, const RX: usize, const RESP: usize, const Q: usize> Core<IO, D, RX, RESP, Q>
where
    IO: Read + Write,
    D: Dialect,
{
    /// Read more bytes into the decoder.
    async fn fill(&mut self) -> Result<(), Error<IO::Error>> {
        let spare = self.reader.decoder.spare();
        if spare.is_empty() {
            // The decoder frees space by handing out frames; nothing left to hand out here.
            return Err(Error::Protocol);
        }
        let n = self.io.read(spare).await.map_err(Error::Transport)?;
        if n == 0 {
            return Err(Error::Closed);
        }
        self.reader.decoder.commit(n);
        self.bytes_in = self.bytes_in.wrapping_add(n);
        Ok(())
    }

    /// Take decoded items until one needs the caller.
    fn pump<T>(
        &mut self,
        mut sink: Option<&mut [u8]>,
        matcher: &mut impl FnMut(Seen<'_, D::Urc<'_>>) -> Option<T>,
    ) -> Pump<T, IO::Error> {
        loop {
            let frame = match self.reader.decoder.next_frame() {
                None => return Pump::Empty,
                // Counted by the decoder; see `Client::stats`.
                Some(Err(
                    DecodeError::Overflow | DecodeError::Garbage(_) | DecodeError::BadLength,
                )) => continue,
                Some(Ok(f)) => f,
            };
            let raw: &[u8] = match frame {
                Frame::Line(l) => l,
                _ => &[],
            };
            match self.reader.classifier.classify::<D>(frame) {
                Item::Echo(_) => {}
                Item::Prompt(p) => return Pump::Prompt(p.kind()),
                Item::Response { line, .. } => {
                    // Never drop an earlier response line to make room: the call fails.
                    if !self.truncated && !self.resp.push_keep(line) {
                        self.truncated = true;
                    }
                }
                Item::Final(code) => {
                    return Pump::Final(if code.is_ok() {
                        Ok(())
                    } else {
                        Err(Error::from_final(&code))
                    });
                }
                Item::Unsolicited(code) => {
                    self.stats.unsolicited_finals = self.stats.unsolicited_finals.saturating_add(1);
                    if let Some(t) = matcher(Seen::Unsolicited(code)) {
                        return Pump::Matched(t);
                    }
                }
                Item::Data { bytes, .. } => {
                    let room = sink
                        .as_deref_mut()
                        .and_then(|s| s.get_mut(self.received..))
                        .unwrap_or_default();
                    let n = room.len().min(bytes.len());
                    if let (Some(d), Some(s)) = (room.get_mut(..n), bytes.get(..n)) {
                        d.copy_from_slice(s);
                    }
                    if n < bytes.len() {
                        self.truncated = true;
                    }
                    self.received = self.received.saturating_add(n);
                }
                Item::Urc(u) => {
                    let event = D::link_event(&u);
                    if let Some(ev) = event {
                        self.links.apply(ev);
                    }
                    if let Some(t) = matcher(Seen::Urc(&u)) {
                        return Pump::Matched(t);
                    }
                    // `raw` borrows the decoder, `u` too: both end here.
                    let line = raw;
                    self.urcs.push(line);
                    self.stats.urcs_dropped = self.urcs.dropped();
                    if event == Some(LinkEvent::Rebooted) {
                        // Markers sent before the reboot are lost, but the last one may have
                        // reached the module after it booted: it stays awaited.
                        let last = self.markers.last().copied();
                        self.markers.clear();
                        if let Some(m) = last {
                            let _ = self.markers.push(m);
                        }
                        return Pump::Rebooted;
                    }
                }
                Item::Unknown { line, .. } => {
                    if let Some(t) = matcher(Seen::Unknown(line)) {
                        return Pump::Matched(t);
                    }
                    self.urcs.push(line);
                    self.stats.urcs_dropped = self.urcs.dropped();
                }
            }
        }
    }

    /// Classify what is already buffered with no command in flight: URCs are queued, late
    /// final codes counted. No I/O. Run before each command so that a late answer of an
    /// earlier one is never taken for the new command's.
    fn drain_buffered(&mut self) {
        self.reader.classifier.abandon();
        let mut none = |_: Seen<'_, D::Urc<'_>>| None::<()>;
        while !matches!(self.pump(None, &mut none), Pump::Empty) {}
    }

    /// Write the data of an open data phase, keeping count of what is still due so that a
    /// resynchronisation can close the phase if this is interrupted.
    async fn write_data(&mut self, data: &[u8], end: &[u8]) -> Result<(), Error<IO::Error>> {
        for mut part in [data, end] {
            while !part.is_empty() {
                let n = self.io.write(part).await.map_err(Error::Transport)?;
                if n == 0 {
                    return Err(Error::Closed);
                }
                if let DataPhase::Open { remaining, .. } = &mut self.data_phase {
                    *remaining = remaining.saturating_sub(n);
                }
                part = part.get(n..).unwrap_or_default();
            }
        }
        self.io.flush().await.map_err(Error::Transport)?;
        self.data_phase = DataPhase::None;
        Ok(())
    }

    /// Close a data phase left open by an interrupted call, as the manuals give: a phase
    /// ended by Ctrl-Z is cancelled with ESC; a phase of announced length is completed with
    /// filler bytes (the module then rejects or sends what it got; the call already failed).
    async fn close_data_phase(
        &mut self,
        remaining: usize,
        ctrl_z: bool,
    ) -> Result<(), Error<IO::Error>> {
        const FILLER: [u8; 32] = [0; 32];
        if ctrl_z {
            write_all(&mut self.io, &[ESC]).await?;
        } else {
            let mut left = remaining;
            while left > 0 {
                let n = left.min(FILLER.len());
                write_all(&mut self.io, FILLER.get(..n).unwrap_or_default()).await?;
                left = left.saturating_sub(n);
            }
        }
        self.io.flush().await.map_err(Error::Transport)?;
        self.data_phase = DataPhase::None;
        self.stats.data_phases_closed = self.stats.data_phases_closed.saturating_add(1);
        Ok(())
    }

    /// After a command with a data phase timed out before its prompt: wait for the prompt
    /// (then close the phase) or for the command's final code, whichever comes first. No
    /// timeout here: the caller races this.
    async fn settle_data_phase(
        &mut self,
        len: usize,
        ctrl_z: bool,
    ) -> Result<(), Error<IO::Error>> {
        let mut none = |_: Seen<'_, D::Urc<'_>>| None::<()>;
        loop {
            match self.pump(None, &mut none) {
                Pump::Empty => self.fill().await?,
                Pump::Prompt(_) => return self.close_data_phase(len, ctrl_z).await,
                Pump::Final(_) | Pump::Rebooted => {
                    self.data_phase = DataPhase::None;
                    return Ok(());
                }
                Pump::Matched(()) => {}
            }
        }
    }

    /// Read until the answer lines of the last marker sent and then a final code arrive.
    /// An answer to an earlier marker shows that every command before it has been answered
    /// (modules answer in order): it is crossed off with them. Final codes that come with no
    /// marker's answer are late answers of abandoned commands: counted, never taken. No
    /// timeout here: the caller races this.
    async fn await_markers(&mut self) -> Result<(), Error<IO::Error>> {
        self.reader.classifier.begin(Expect::tokens(MARKER_TOKENS));
        self.resp.clear();
        let mut none = |_: Seen<'_, D::Urc<'_>>| None::<()>;
        loop {
            match self.pump(None, &mut none) {
                Pump::Empty => self.fill().await?,
                Pump::Final(_) => {
                    let mut queries: heapless::Vec<u8, 3> = heapless::Vec::new();
                    let mut fits = true;
                    for q in self.resp.iter().filter_map(marker_query_of) {
                        fits &= queries.push(q).is_ok();
                    }
                    let id = if fits { marker_id(&queries) } else { None };
                    match id.and_then(|m| self.markers.iter().position(|&x| x == m)) {
                        Some(i) => {
                            let keep: heapless::Vec<u16, MARKERS_AWAITED> = self
                                .markers
                                .iter()
                                .skip(i.saturating_add(1))
                                .copied()
                                .collect();
                            self.markers = keep;
                            if self.markers.is_empty() {
                                return Ok(());
                            }
                        }
                        None => {
                            self.stats.unsolicited_finals =
                                self.stats.unsolicited_finals.saturating_add(1);
                        }
                    }
                    self.resp.clear();
                    self.reader.classifier.begin(Expect::tokens(MARKER_TOKENS));
                }
                Pump::Prompt(_) | Pump::Matched(()) | Pump::Rebooted => {}
            }
        }
    }

    /// Send the next marker not awaited already (the oldest awaited one is forgotten when
    /// [`MARKERS_AWAITED`] are).
    async fn send_marker(&mut self) -> Result<(), Error<IO::Error>> {
        let mut id = self.next_marker;
        for _ in 0..MARKERS {
            if !self.markers.contains(&id) {
                break;
            }
            id = id.saturating_add(1).checked_rem(MARKERS).unwrap_or(0);
        }
        self.next_marker = id.saturating_add(1).checked_rem(MARKERS).unwrap_or(0);
        let (queries, n) = marker_queries(id);
        write_all(&mut self.io, b"AT").await?;
        for (k, &q) in queries.iter().take(n).enumerate() {
            if k > 0 {
                write_all(&mut self.io, b";").await?;
            }
            let query = MARKER_QUERIES
                .get(usize::from(q))
                .map_or(&b""[..], |&(c, _)| c);
            write_all(&mut self.io, query).await?;
        }
        write_all(&mut self.io, b"\r").await?;
        self.io.flush().await.map_err(Error::Transport)?;
        if self.markers.is_full() && !self.markers.is_empty() {
            self.markers.remove(0);
        }
        let _ = self.markers.push(id);
        Ok(())
    }

    /// Run one command to its final result code (no timeout here: the caller races this).
    async fn run(
        &mut self,
        line: Line<'_>,
        req: &Request<'_>,
        mut sink: Option<&mut [u8]>,
    ) -> Result<usize, Error<IO::Error>> {
        self.truncated = false;
        self.received = 0;
        self.reader.decoder.cancel_prompt();
        self.reader.classifier.begin(req.expect);
        if matches!(req.send, Some((PromptKind::Angle, _))) {
            self.reader.decoder.expect_prompt();
        }
        self.data_phase = match req.send {
            Some((_, data)) => DataPhase::AwaitingPrompt {
                len: data.len().saturating_add(req.send_end.len()),
                ctrl_z: !req.send_end.is_empty(),
            },
            None => DataPhase::None,
        };
        match line {
            Line::Bytes(b) => write_all(&mut self.io, b).await?,
            Line::Encoded(n) => {
                let bytes = self.resp.scratch_bytes(n);
                write_all(&mut self.io, bytes).await?;
            }
        }
        self.io.flush().await.map_err(Error::Transport)?;
        // The response lines go where the command was encoded.
        self.resp.clear();
        let mut data_sent = req.send.is_none();
        let mut none = |_: Seen<'_, D::Urc<'_>>| None::<()>;
        loop {
            match self.pump(sink.as_deref_mut(), &mut none) {
                Pump::Empty => self.fill().await?,
                Pump::Prompt(kind) => {
                    if let Some((want, data)) = req.send
                        && !data_sent
                        && want == kind
                    {
                        self.data_phase = DataPhase::Open {
                            remaining: data.len().saturating_add(req.send_end.len()),
                            ctrl_z: !req.send_end.is_empty(),
                        };
                        self.write_data(data, req.send_end).await?;
                        data_sent = true;
                    } else if let (Some(len), PromptKind::Connect) =
                        (req.receive_after_connect, kind)
                    {
                        self.reader.decoder.expect_data(len);
                    }
                }
                Pump::Final(result) => {
                    // The module has ended the command: no data phase is open any more.
                    self.data_phase = DataPhase::None;
                    result?;
                    if !data_sent {
                        return Err(Error::Protocol);
                    }
                    if self.truncated {
                        self.stats.responses_truncated =
                            self.stats.responses_truncated.saturating_add(1);
                        return Err(Error::ResponseTooLong);
                    }
                    return Ok(self.received);
                }
                Pump::Rebooted => {
                    // A phase opened before the reboot is gone with it; a command still
                    // waiting for its prompt may yet be answered by the booted module.
                    if let DataPhase::Open { .. } = self.data_phase {
                        self.data_phase = DataPhase::None;
                    }
                    return Err(Error::Rebooted);
                }
                Pump::Matched(()) => {}
            }
        }
    }

    /// Offer the queued lines to `matcher`; remove and return the first it accepts.
    fn take_queued<T>(
        &mut self,
        since: Option<u32>,
        matcher: &mut impl FnMut(Seen<'_, D::Urc<'_>>) -> Option<T>,
    ) -> Option<T> {
        let offer = |line: &[u8]| {
            let tok = crate::codec::token(line);
            match D::parse_urc(tok, line) {
                Some(u) => matcher(Seen::Urc(&u)),
                None => matcher(Seen::Unknown(line)),
            }
        };
        match since {
            Some(mark) => self.urcs.take_first_since(mark, offer),
            None => self.urcs.take_first(offer),
        }
    }

    /// Read until `matcher` accepts something (no timeout here: the caller races this).
    async fn wait<T>(
        &mut self,
        matcher: &mut impl FnMut(Seen<'_, D::Urc<'_>>) -> Option<T>,
    ) -> Result<T, Error<IO::Error>> {
        loop {
            match self.pump(None, matcher) {
                Pump::Empty => self.fill().await?,
                Pump::Matched(t) => return Ok(t),
                Pump::Prompt(_) | Pump::Final(_) | Pump::Rebooted => {}
            }
        }
    }

    /// Classify a partial line as if it had ended (the modem has been silent after it).
    fn flush_partial<T>(
        &mut self,
        matcher: &mut impl FnMut(Seen<'_, D::Urc<'_>>) -> Option<T>,
    ) -> Option<T> {
        let frame = self.reader.decoder.flush_partial()?;
        self.stats.flushed_partials = self.stats.flushed_partials.saturating_add(1);
        let raw: &[u8] = match frame {
            Frame::Line(l) => l,
            _ => &[],
        };
        match self.reader.classifier.classify::<D>(frame) {
            Item::Urc(u) => {
                if let Some(ev) = D::link_event(&u) {
                    self.links.apply(ev);
                }
                if let Some(t) = matcher(Seen::Urc(&u)) {
                    return Some(t);
                }
                let line = raw;
                self.urcs.push(line);
                self.stats.urcs_dropped = self.urcs.dropped();
            }
            Item::Unknown { line, .. } => {
                if let Some(t) = matcher(Seen::Unknown(line)) {
                    return Some(t);
                }
                self.urcs.push(line);
                self.stats.urcs_dropped = self.urcs.dropped();
            }
            Item::Unsolicited(code) | Item::Final(code) => {
                self.stats.unsolicited_finals = self.stats.unsolicited_finals.saturating_add(1);
                return matcher(Seen::Unsolicited(code));
            }
            _ => {}
        }
        None
    }
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
                && D::link_event(u) == Some(LinkEvent::Rebooted)
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

    /// Wait up to `timeout_ms` for a URC (or unsolicited final code) that `matcher`
    /// accepts; everything else is queued. Queued URCs are offered first.
    ///
    /// # Cancel safety
    /// Cancel-safe: nothing is lost if the future is dropped; URCs read so far are queued.
    pub async fn wait_for<T>(
        &mut self,
        timeout_ms: u32,
        matcher: impl FnMut(Seen<'_, D::Urc<'_>>) -> Option<T>,
    ) -> Result<T, Error<IO::Error>> {
        self.wait_since(None, timeout_ms, matcher).await
    }

    /// [`wait_for`](Self::wait_for), offering only the queued lines that arrived after the
    /// last command was sent (a `+QMTSTAT` of an earlier session is not this command's).
    ///
    /// # Cancel safety
    /// As [`wait_for`](Self::wait_for).
    pub async fn wait_for_result<T>(
        &mut self,
        timeout_ms: u32,
        matcher: impl FnMut(Seen<'_, D::Urc<'_>>) -> Option<T>,
    ) -> Result<T, Error<IO::Error>> {
        self.wait_since(Some(self.sent_mark), timeout_ms, matcher)
            .await
    }

    async fn wait_since<T>(
        &mut self,
        since: Option<u32>,
        timeout_ms: u32,
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
                Either::Second(()) => Err(Error::Timeout),
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
                return Err(Error::Timeout);
            }
        }
    }

    /// The oldest queued URC, without any I/O. It borrows from the client until the next call.
    pub fn poll_urc(&mut self) -> Option<Event<'_, D::Urc<'_>>> {
        let line = self.core.urcs.pop()?;
        let tok = crate::codec::token(line);
        Some(match D::parse_urc(tok, line) {
            Some(u) => Event::Urc(u),
            None => Event::Unknown(line),
        })
    }

    /// Read until a URC is queued (or `timeout_ms` passes; `None` waits for ever).
    async fn until_queued(&mut self, timeout_ms: Option<u32>) -> Result<(), Error<IO::Error>> {
        self.until_queued_where(timeout_ms, None, &|_| true).await
    }

    /// Read until a line queued after `mark` (any line when `None`) satisfies `want`, or
    /// `timeout_ms` passes.
    async fn until_queued_where(
        &mut self,
        timeout_ms: Option<u32>,
        mark: Option<u32>,
        want: &impl Fn(&[u8]) -> bool,
    ) -> Result<(), Error<IO::Error>> {
        if self.core.urcs.any_since(mark, want) {
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
                self.core.until_one_queued(mark, want),
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
                if self.core.urcs.any_since(mark, want) {
                    return Ok(());
                }
            }
            if timeout_ms.is_some_and(|t| waited >= t) {
                return Err(Error::Timeout);
            }
        }
    }

    /// The oldest queued URC, reading from the transport until one arrives.
    ///
    /// # Cancel safety
    /// Cancel-safe: bytes read stay in the decoder and URCs stay queued.
    pub async fn next_urc(&mut self) -> Result<Event<'_, D::Urc<'_>>, Error<IO::Error>> {
        self.until_queued(None).await?;
        self.poll_urc().ok_or(Error::Protocol)
    }

    /// Like [`next_urc`](Self::next_urc), giving up after `timeout_ms`.
    ///
    /// # Cancel safety
    /// Cancel-safe, as [`next_urc`](Self::next_urc).
    pub async fn next_urc_within(
        &mut self,
        timeout_ms: u32,
    ) -> Result<Event<'_, D::Urc<'_>>, Error<IO::Error>> {
        self.until_queued(Some(timeout_ms)).await?;
        self.poll_urc().ok_or(Error::Protocol)
    }

    /// Wait up to `timeout_ms` for a queued or arriving line that `want` accepts, and take
    /// it out of the queue (borrowed until the next call); other lines stay queued.
    ///
    /// # Cancel safety
    /// Cancel-safe: bytes read stay in the decoder and URCs stay queued.
    pub async fn next_line_where(
        &mut self,
        timeout_ms: u32,
        want: impl Fn(&[u8]) -> bool,
    ) -> Result<&[u8], Error<IO::Error>> {
        self.until_queued_where(Some(timeout_ms), None, &want)
            .await?;
        self.core.urcs.pop_first(want).ok_or(Error::Protocol)
    }

    /// The next queued or arriving line that `is_message` accepts, for MQTT client `client`;
    /// [`Error::SessionDown`] instead when the client's link is down (or goes down while
    /// waiting) with no such line queued.
    async fn next_message_line(
        &mut self,
        client: u8,
        timeout_ms: u32,
        is_message: impl Fn(&[u8]) -> bool,
    ) -> Result<&[u8], Error<IO::Error>> {
        self.catch_up().await?;
        if !self.core.urcs.any(&is_message) {
            if self.core.links.mqtt_is_down(client) {
                return Err(Error::SessionDown);
            }
            let mark = self.core.urcs.since();
            let ends = |line: &[u8]| {
                is_message(line)
                    || D::parse_urc(crate::codec::token(line), line)
                        .and_then(|u| D::link_event(&u))
                        .is_some_and(|e| match e {
                            LinkEvent::MqttDown(c) => c == client,
                            _ => true,
                        })
            };
            self.until_queued_where(Some(timeout_ms), Some(mark), &ends)
                .await?;
        }
        self.core
            .urcs
            .pop_first(is_message)
            .ok_or(Error::SessionDown)
    }

    /// Read what the transport has ready without waiting, and classify it (URCs queued,
    /// link events recorded).
    async fn catch_up(&mut self) -> Result<(), Error<IO::Error>> {
        self.core.drain_buffered();
        // Bounded, so that a modem that never stops talking cannot hold the caller.
        for _ in 0..CATCH_UP_READS {
            // `select` polls the read first: it wins only if bytes are there now.
            match select(self.core.fill(), core::future::ready(())).await {
                Either::First(r) => {
                    r?;
                    self.core.drain_buffered();
                }
                Either::Second(()) => break,
            }
        }
        Ok(())
    }

    /// Wait until MQTT client `client` is known to be down (at once if it is).
    async fn wait_mqtt_down(
        &mut self,
        client: u8,
        timeout_ms: u32,
    ) -> Result<(), Error<IO::Error>> {
        self.catch_up().await?;
        if self.core.links.mqtt_is_down(client) {
            return Ok(());
        }
        self.wait_for(timeout_ms, |seen| match seen {
            Seen::Urc(u) => match D::link_event(u) {
                Some(LinkEvent::MqttDown(c)) if c == client => Some(()),
                Some(LinkEvent::MqttDown(_)) | None => None,
                Some(_) => Some(()),
            },
            _ => None,
        })
        .await
    }

    /// Send `cmd` until `done` accepts its response, pausing `POLL_MS` between tries;
    /// [`Error::Timeout`] once `timeout_ms` of pauses have passed.
    async fn poll_until<C: Command>(
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
                return Err(Error::Timeout);
            }
            self.delay.delay_ms(POLL_MS).await;
            waited = waited.saturating_add(POLL_MS);
        }
    }

    /// The next MQTT packet id: 1..=65535, then 1 again.
    fn next_packet_id(&mut self) -> u16 {
        let id = self.packet_id;
        self.packet_id = id.checked_add(1).unwrap_or(1);
        id
    }

    /// Fail fast when MQTT client `client` is known to be down. Bytes the transport already
    /// holds are read and classified first, so a `+QMTSTAT` that arrived before the call
    /// counts.
    async fn mqtt_alive(&mut self, client: u8) -> Result<(), Error<IO::Error>> {
        self.catch_up().await?;
        if self.core.links.mqtt_is_down(client) {
            Err(Error::SessionDown)
        } else {
            Ok(())
        }
    }

    /// Synchronise with a module that has just powered up: send `AT` until it answers `OK`
    /// (up to `resync_attempts` tries, each within `resync_timeout_ms`). Auto-bauding
    /// modules (Luat) set their baud rate from the first `AT`, and answer the first tries
    /// with noise, which is skipped and counted as garbage. Only for a module with nothing
    /// outstanding (just powered up or rebooted): after a timeout, [`resync`](Self::resync)
    /// is the call that cannot take a late answer for the sync's.
    ///
    /// ```
    /// # use atmodem::client::Client;
    /// # use atmodem::dialects::luat::Luat;
    /// # use atmodem::sim::{InstantDelay, SimModem};
    /// // The first `AT` only produces noise while the module finds the baud rate.
    /// let modem = SimModem::new(">> AT\n<<| \"\\u00ff\"\n>> AT\n<< OK\n").unwrap();
    /// let mut c: Client<_, _, Luat> = Client::new(modem, InstantDelay);
    /// embassy_futures::block_on(c.autobaud()).unwrap();
    /// assert!(c.transport().is_done());
    /// ```
    ///
    /// # Errors
    /// [`Error::Timeout`] when no `AT` was answered; transport errors.
    ///
    /// # Cancel safety
    /// A dropped call leaves the client out of step: the next command resynchronises.
    pub async fn autobaud(&mut self) -> Result<(), Error<IO::Error>> {
        let at = Request::new(b"AT\r", Expect::NOTHING, self.config.resync_timeout_ms);
        let mut last = Error::Timeout;
        for _ in 0..self.config.resync_attempts.max(1) {
            self.core.drain_buffered();
            match self.exchange_line(Line::Bytes(at.command), &at, None).await {
                Ok(_) => return Ok(()),
                Err(e @ (Error::Transport(_) | Error::Closed)) => return Err(e),
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    /// Bring the client back in step with the modem. In order:
    /// 1. a data phase left open by an interrupted call is closed (ESC for a phase ended by
    ///    Ctrl-Z, filler bytes for one of announced length; a prompt still to come is waited
    ///    for first, up to `resync_timeout_ms`);
    /// 2. announced data that never came (a length the modem lied about, a body cut short)
    ///    is abandoned, and the bytes buffered after it are read as lines;
    /// 3. a marker command (see [`MARKER_QUERIES`]) is sent, and the client reads until the
    ///    marker's own answer lines and a final code arrive. Modules answer in order, so every
    ///    late answer of an abandoned command comes before it: counted as unsolicited, never
    ///    taken for the next command's, however late. Markers take turns ([`MARKERS`] of
    ///    them), so a late answer to an earlier resync's marker cannot end this one either. Up to `resync_attempts` markers are tried, each
    ///    within `resync_timeout_ms`; with three or more, the last is preceded by `ATV1` (a
    ///    module left in numeric mode answers `0\r`, which a verbose reader cannot see).
    ///
    /// URCs read on the way are queued. Runs by itself before the next command after a
    /// timeout, a transport error, a dropped call or a reboot in the middle of a command
    /// (a command written just after the module booted may still be answered).
    ///
    /// ```
    /// # use atmodem::client::{Client, Error, Request};
    /// # use atmodem::codec::Expect;
    /// # use atmodem::dialects::quectel::Quectel;
    /// # use atmodem::sim::{InstantDelay, SimModem};
    /// // The module answers the marker only after a late `OK` of an abandoned command.
    /// let modem = SimModem::new(">> AT+CMEE?\n<< OK\n<< +CMEE: 2\n<< OK\n").unwrap();
    /// let mut c: Client<_, _, Quectel> = Client::new(modem, InstantDelay);
    /// embassy_futures::block_on(c.resync()).unwrap();
    /// assert_eq!(c.stats().unsolicited_finals, 1);
    /// ```
    ///
    /// # Errors
    /// [`Error::Timeout`] when no marker was answered in time (the client stays out of step
    /// and the next call tries again); transport errors.
    ///
    /// # Cancel safety
    /// Dropping it leaves the client still marked out of step; the next call tries again.
    pub async fn resync(&mut self) -> Result<(), Error<IO::Error>> {
        self.core.stats.resyncs = self.core.stats.resyncs.saturating_add(1);
        self.core.reader.classifier.abandon();
        self.core.reader.decoder.cancel_prompt();
        let timeout = self.config.resync_timeout_ms;
        match self.core.data_phase {
            DataPhase::None => {}
            DataPhase::Open { remaining, ctrl_z } => {
                match select(
                    self.core.close_data_phase(remaining, ctrl_z),
                    self.delay.delay_ms(timeout),
                )
                .await
                {
                    Either::First(r) => r?,
                    Either::Second(()) => return Err(Error::Timeout),
                }
            }
            DataPhase::AwaitingPrompt { len, ctrl_z } => {
                self.core.reader.decoder.expect_prompt();
                let settled = select(
                    self.core.settle_data_phase(len, ctrl_z),
                    self.delay.delay_ms(timeout),
                )
                .await;
                self.core.reader.decoder.cancel_prompt();
                match settled {
                    Either::First(r) => r?,
                    // No prompt and no answer: the module did not take the command.
                    Either::Second(()) => self.core.data_phase = DataPhase::None,
                }
            }
        }
        self.core.drain_buffered();
        if self.core.reader.decoder.abandon_data() {
            self.core.drain_buffered();
        }
        let attempts = self.config.resync_attempts.max(1);
        for attempt in 1..=attempts {
            if attempt == attempts && attempts > 2 {
                // Not trusted as a sign of sync: only the marker after it is.
                let atv1 = Request::new(b"ATV1\r", Expect::NOTHING, timeout);
                if let Either::First(Err(e @ (Error::Transport(_) | Error::Closed))) = select(
                    self.core.run(Line::Bytes(atv1.command), &atv1, None),
                    self.delay.delay_ms(timeout),
                )
                .await
                {
                    return Err(e);
                }
                self.core.reader.classifier.abandon();
            }
            let result = select(
                async {
                    self.core.send_marker().await?;
                    self.core.await_markers().await
                },
                self.delay.delay_ms(timeout),
            )
            .await;
            self.core.reader.classifier.abandon();
            self.core.resp.clear();
            match result {
                Either::First(Ok(())) => {
                    self.dirty = false;
                    return Ok(());
                }
                Either::First(Err(e)) => return Err(e),
                Either::Second(()) => {}
            }
        }
        Err(Error::Timeout)
    }
}

impl<IO, D, const RX: usize, const RESP: usize, const Q: usize> Core<IO, D, RX, RESP, Q>
where
    IO: Read + Write,
    D: Dialect,
{
    /// Read until a queued line satisfies `want`.
    async fn until_one_queued(
        &mut self,
        mark: Option<u32>,
        want: &impl Fn(&[u8]) -> bool,
    ) -> Result<(), Error<IO::Error>> {
        let mut none = |_: Seen<'_, D::Urc<'_>>| None::<()>;
        while !self.urcs.any_since(mark, want) {
            match self.pump(None, &mut none) {
                // The pass may have queued something: look again before reading.
                Pump::Empty if !self.urcs.any_since(mark, want) => self.fill().await?,
                Pump::Empty
                | Pump::Prompt(_)
                | Pump::Final(_)
                | Pump::Matched(())
                | Pump::Rebooted => {}
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_marker_is_told_apart_by_its_answer() {
        for id in 0..MARKERS {
            let (q, n) = marker_queries(id);
            assert_eq!(marker_id(&q[..n]), Some(id), "marker {id}");
        }
        assert_eq!(marker_queries(0), ([0, 0, 0], 1));
        assert_eq!(marker_queries(6), ([0, 0, 0], 2));
        assert_eq!(marker_queries(MARKERS - 1), ([5, 5, 5], 3));
    }
}
