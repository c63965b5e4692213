//! The I/O engine: the transport, the decoder and the buffers; reading (`fill`), taking
//! decoded items (`pump`) and running one command to its final code (`run`). No timeouts
//! here: the client races these futures against its delay.

use embassy_futures::select::{Either, select};
use embedded_io_async::{Read, Write};

use super::error::Refusal;
use super::recovery::{DataPhase, MARKERS_AWAITED};
use super::{Error, Line, Links, Request, Stats};
use crate::codec::{
    DecodeError, Dialect, Frame, Item, LineQueue, LinkEvent, MessageSpans, PromptKind, Reader,
    Seen, Tag,
};

/// What one pass over the decoded items found.
pub(super) enum Pump<T> {
    /// Nothing more is buffered: read from the transport.
    Empty,
    /// A prompt appeared.
    Prompt(PromptKind),
    /// The command in flight ended.
    Final(Result<(), Refusal>),
    /// The matcher accepted a URC.
    Matched(T),
    /// The module rebooted (the `RDY` was queued).
    Rebooted,
    /// The URC queue cannot hold the next line: it stays in the decoder, and nothing more is
    /// read until something is taken from the queue.
    Full,
    /// A message of the client asked for, at `start..start + len` of the decoder's buffer
    /// (valid until the decoder is used again).
    Message {
        start: usize,
        len: usize,
        spans: Option<MessageSpans>,
    },
}

/// The I/O half: transport, decoder and buffers (everything but the delay, so that a
/// timeout can race it).
pub(super) struct Core<'s, IO, D> {
    pub(super) io: IO,
    pub(super) reader: Reader<D, &'s mut [u8]>,
    pub(super) resp: LineQueue<&'s mut [u8]>,
    pub(super) urcs: LineQueue<&'s mut [u8]>,
    pub(super) links: Links,
    pub(super) stats: Stats,
    /// Response lines or data did not fit.
    pub(super) truncated: bool,
    /// Bytes of data received into the sink.
    pub(super) received: usize,
    /// Bytes read from the transport, wrapping (to tell an idle line from a slow one).
    pub(super) bytes_in: usize,
    /// The data phase in progress, for a resynchronisation to close.
    pub(super) data_phase: DataPhase,
    /// The module echoed the command in flight (its echo is on).
    pub(super) saw_echo: bool,
    /// Markers sent and not yet answered, oldest first.
    pub(super) markers: heapless::Vec<u16, MARKERS_AWAITED>,
    /// The next marker to send (they take turns).
    pub(super) next_marker: u16,
    /// Bytes the next command's answer starts with, unannounced
    /// ([`Command::receive_at_once`](crate::dialects::Command::receive_at_once)); taken by
    /// [`Core::run`].
    pub(super) receive_at_once: Option<usize>,
}

/// Most reads a look at what the transport has ready makes, so that a modem that never stops
/// talking cannot hold the caller.
pub(super) const CATCH_UP_READS: usize = 16;

/// Why [`Core::fill`] read nothing: a small result for the read of every wait's loop, made
/// an [`Error`] only when it happens.
pub(super) enum FillError<E> {
    /// [`Error::QueueFull`].
    QueueFull,
    /// [`Error::Closed`].
    Closed,
    /// [`Error::Transport`].
    Transport(E),
}

impl<E> From<FillError<E>> for Error<E> {
    fn from(e: FillError<E>) -> Self {
        match e {
            FillError::QueueFull => Error::QueueFull,
            FillError::Closed => Error::Closed,
            FillError::Transport(e) => Error::Transport(e),
        }
    }
}

/// What [`Core::until_message`] found.
pub(super) enum Found {
    /// The message, at `start..start + len` of the decoder's buffer, with where its topic
    /// and payload lie in it.
    At {
        start: usize,
        len: usize,
        spans: Option<MessageSpans>,
    },
    /// A URC that ends the client's session.
    Ended,
    /// Nothing more is ready (only when not waiting).
    Nothing,
}

/// What a wait for a queued line may do when the queue is full of other lines.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Room {
    /// Discard nothing: the wait ends with [`Error::QueueFull`] (the caller waits for a line
    /// of its own choosing, which may be any of them).
    Keep,
    /// Status URCs (session ends included) and unknown lines may be discarded, oldest first,
    /// then messages of clients whose session is down ([`Core::make_room`]).
    Make,
}

/// Queue a line; `false` when the queue is full (the caller leaves the line in the decoder).
/// A line longer than the whole queue can never be queued: it is dropped and counted in
/// [`Stats::urcs_dropped`] instead of stopping the reader for good.
fn queue_line(
    urcs: &mut LineQueue<&mut [u8]>,
    stats: &mut Stats,
    line: &[u8],
    tag: Tag,
    spans: Option<MessageSpans>,
) -> bool {
    let pushed = match (tag, spans) {
        (Tag::Message(client), Some(spans)) => urcs.push_message(line, client, spans),
        _ => urcs.push_tagged(line, tag),
    };
    if pushed {
        return true;
    }
    if !urcs.can_hold_tagged(line.len(), tag) {
        stats.urcs_dropped = stats.urcs_dropped.saturating_add(1);
        return true;
    }
    false
}

/// The tag of a URC in the queue (what waits filter on instead of parsing it again) and, for
/// a message, where its topic and payload lie in `line` (so that taking it is no parse).
fn tag_of<D: Dialect>(
    event: Option<LinkEvent>,
    urc: &D::Urc<'_>,
    line: &[u8],
) -> (Tag, Option<MessageSpans>) {
    match event {
        Some(LinkEvent::MqttDown(c)) => (Tag::LinkDown(Some(c)), None),
        Some(_) => (Tag::LinkDown(None), None),
        None => match D::message_parts(urc) {
            Some((client, topic, payload)) => (
                Tag::Message(client),
                MessageSpans::of(line, topic.as_bytes(), payload),
            ),
            None => (Tag::Urc, None),
        },
    }
}

pub(super) async fn write_all<IO: Write>(
    io: &mut IO,
    mut bytes: &[u8],
) -> Result<(), Error<IO::Error>> {
    while !bytes.is_empty() {
        let n = io.write(bytes).await.map_err(Error::Transport)?;
        if n == 0 {
            return Err(Error::Closed);
        }
        bytes = bytes.get(n..).unwrap_or_default();
    }
    Ok(())
}

impl<IO, D> Core<'_, IO, D>
where
    IO: Read + Write,
    D: Dialect,
{
    /// Read more bytes into the decoder.
    pub(super) async fn fill(&mut self) -> Result<(), FillError<IO::Error>> {
        let (io, spare) = self.read_parts()?;
        let n = io.read(spare).await.map_err(FillError::Transport)?;
        self.commit_read(n)
    }

    /// The transport and the decoder's free space, for a read ([`Self::fill`] in two halves,
    /// so that a hot wait can await the transport's read itself).
    #[inline]
    pub(super) fn read_parts(&mut self) -> Result<(&mut IO, &mut [u8]), FillError<IO::Error>> {
        let spare = self.reader.decoder.spare();
        if spare.is_empty() {
            // The decoder frees space by handing out frames: it is full only of frames the
            // URC queue cannot take yet.
            return Err(FillError::QueueFull);
        }
        Ok((&mut self.io, spare))
    }

    /// `n` bytes were read into [`Self::read_parts`]' space.
    #[inline]
    pub(super) fn commit_read(&mut self, n: usize) -> Result<(), FillError<IO::Error>> {
        if n == 0 {
            return Err(FillError::Closed);
        }
        self.reader.decoder.commit(n);
        self.bytes_in = self.bytes_in.wrapping_add(n);
        Ok(())
    }

    /// Take decoded items until one needs the caller. With `deliver`, a message of that MQTT
    /// client stops the pass and is handed out where it lies in the decoder's buffer
    /// ([`Pump::Message`]), never queued: the caller must have taken the client's queued
    /// messages first, so that the order holds.
    pub(super) fn pump<T>(
        &mut self,
        mut sink: Option<&mut [u8]>,
        matcher: &mut impl FnMut(Seen<'_, D::Urc<'_>>) -> Option<T>,
        deliver: Option<u8>,
    ) -> Pump<T> {
        loop {
            let mark = self.reader.decoder.mark();
            let base = self.reader.decoder.buffer_addr();
            let frame = match self.reader.decoder.next_frame() {
                None => return Pump::Empty,
                // Counted by the decoder; see `Client::stats`.
                Some(Err(
                    DecodeError::Overflow
                    | DecodeError::Garbage(_)
                    | DecodeError::BadLength
                    | DecodeError::Truncated,
                )) => continue,
                Some(Ok(f)) => f,
            };
            let raw: &[u8] = match frame {
                Frame::Line(l) | Frame::Echo(l) => l,
                _ => &[],
            };
            // `true` when the line could not be queued: it is handed out again later.
            let refused = match self.reader.classifier.classify::<D>(frame) {
                Item::Echo(_) => {
                    self.saw_echo = true;
                    false
                }
                Item::Prompt(p) => return Pump::Prompt(p.kind()),
                Item::Response { line, .. } => {
                    // Never drop an earlier response line to make room: the call fails.
                    if !self.truncated && !self.resp.push_keep(line) {
                        self.truncated = true;
                    }
                    false
                }
                Item::Final(code) => {
                    return Pump::Final(Refusal::of(&code).map_or(Ok(()), Err));
                }
                Item::Unsolicited(code) => {
                    self.stats.unsolicited_finals = self.stats.unsolicited_finals.saturating_add(1);
                    if let Some(t) = matcher(Seen::Unsolicited(code)) {
                        return Pump::Matched(t);
                    }
                    false
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
                    false
                }
                Item::Urc(u) => {
                    let event = D::link_event(&u);
                    if let Some(ev) = event {
                        // Recording an event twice (when the line is handed out again after
                        // a full queue) changes nothing.
                        self.links.apply(ev);
                    }
                    if let Some(t) = matcher(Seen::Urc(&u)) {
                        return Pump::Matched(t);
                    }
                    // Classified once: waits filter on the tag, never parse the line again.
                    let (tag, spans) = tag_of::<D>(event, &u, raw);
                    if deliver.is_some()
                        && tag == Tag::Message(deliver.unwrap_or_default())
                        && let Some(start) = (raw.as_ptr() as usize).checked_sub(base)
                    {
                        return Pump::Message {
                            start,
                            len: raw.len(),
                            spans,
                        };
                    }
                    // `raw` borrows the decoder, `u` too: both end here.
                    if !queue_line(&mut self.urcs, &mut self.stats, raw, tag, spans) {
                        true
                    } else if matches!(event, Some(LinkEvent::Rebooted | LinkEvent::PoweredDown)) {
                        // Markers sent before the reboot are lost, but the last one may have
                        // reached the module after it booted: it stays awaited.
                        let last = self.markers.last().copied();
                        self.markers.clear();
                        if let Some(m) = last {
                            let _ = self.markers.push(m);
                        }
                        return Pump::Rebooted;
                    } else {
                        false
                    }
                }
                Item::Unknown { line, .. } => {
                    if let Some(t) = matcher(Seen::Unknown(line)) {
                        return Pump::Matched(t);
                    }
                    !queue_line(&mut self.urcs, &mut self.stats, line, Tag::Unknown, None)
                }
            };
            if refused {
                self.reader.decoder.rewind(mark);
                return Pump::Full;
            }
        }
    }

    /// Classify what is already buffered with no command in flight: URCs are queued, late
    /// final codes counted. No I/O. Run before each command so that a late answer of an
    /// earlier one is never taken for the new command's.
    ///
    /// Returns `false` when it stopped at a line the full URC queue cannot hold.
    pub(super) fn drain_buffered(&mut self) -> bool {
        self.reader.classifier.abandon();
        let mut none = |_: Seen<'_, D::Urc<'_>>| None::<()>;
        loop {
            match self.pump(None, &mut none, None) {
                Pump::Empty => return true,
                Pump::Full => return false,
                Pump::Prompt(_)
                | Pump::Final(_)
                | Pump::Matched(())
                | Pump::Rebooted
                | Pump::Message { .. } => {}
            }
        }
    }

    /// Run one command to its final result code (no timeout here: the caller races this).
    pub(super) async fn run(
        &mut self,
        line: Line<'_>,
        req: &Request<'_>,
        mut sink: Option<&mut [u8]>,
    ) -> Result<usize, Error<IO::Error>> {
        let receive_at_once = self.receive_at_once.take();
        self.truncated = false;
        self.received = 0;
        self.saw_echo = false;
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
        if let Some(len) = receive_at_once {
            self.reader.decoder.expect_data(len);
        }
        // The response lines go where the command was encoded.
        self.resp.clear();
        let mut data_sent = req.send.is_none();
        // With echo on, some modules (BG77, BG770A) echo the data too: those bytes are taken
        // off as they come, compared with what was written, and never read as lines (a
        // payload that reads `OK` or `+QMTSTAT: 0,1` must not end the command or a session).
        let mut echo: &[u8] = &[];
        let mut none = |_: Seen<'_, D::Urc<'_>>| None::<()>;
        loop {
            if !echo.is_empty() {
                let (n, differs) = self.reader.decoder.skip_echo(echo);
                echo = if differs {
                    &[]
                } else {
                    echo.get(n..).unwrap_or_default()
                };
            }
            match self.pump(sink.as_deref_mut(), &mut none, None) {
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
                        if self.saw_echo {
                            echo = data;
                        }
                    } else if let (Some(len), PromptKind::Connect) =
                        (req.receive_after_connect, kind)
                    {
                        if req.receive_header {
                            self.reader.decoder.expect_header_block(len);
                        } else {
                            self.reader.decoder.expect_data(len);
                        }
                    }
                }
                Pump::Final(result) => {
                    // The module has ended the command: no data phase is open any more.
                    self.data_phase = DataPhase::None;
                    result.map_err(|r| r.error(req.name))?;
                    if !data_sent {
                        return Err(Error::NoDataPhase { command: req.name });
                    }
                    if self.truncated {
                        self.stats.responses_truncated =
                            self.stats.responses_truncated.saturating_add(1);
                        return Err(Error::ResponseTooLong);
                    }
                    return Ok(self.received);
                }
                Pump::Full => self.full()?,
                Pump::Rebooted => {
                    // A phase opened before the reboot is gone with it; a command still
                    // waiting for its prompt may yet be answered by the booted module.
                    if let DataPhase::Open { .. } = self.data_phase {
                        self.data_phase = DataPhase::None;
                    }
                    return Err(Error::Rebooted);
                }
                Pump::Matched(()) | Pump::Message { .. } => {}
            }
        }
    }

    /// Offer the queued lines to `matcher`; remove and return the first it accepts.
    pub(super) fn take_queued<T>(
        &mut self,
        since: Option<u32>,
        matcher: &mut impl FnMut(Seen<'_, D::Urc<'_>>) -> Option<T>,
    ) -> Option<T> {
        self.urcs.take_with(since, |tag, line| match tag {
            // No parser knew it when it came: it is unknown still.
            Tag::Unknown => matcher(Seen::Unknown(line)),
            _ => match D::parse_urc(crate::codec::token(line), line) {
                Some(u) => matcher(Seen::Urc(&u)),
                None => matcher(Seen::Unknown(line)),
            },
        })
    }

    /// Read until `matcher` accepts something (no timeout here: the caller races this).
    pub(super) async fn wait<T>(
        &mut self,
        matcher: &mut impl FnMut(Seen<'_, D::Urc<'_>>) -> Option<T>,
    ) -> Result<T, Error<IO::Error>> {
        loop {
            match self.pump(None, matcher, None) {
                Pump::Empty => self.fill().await?,
                Pump::Matched(t) => return Ok(t),
                Pump::Full => self.full()?,
                Pump::Prompt(_) | Pump::Final(_) | Pump::Rebooted | Pump::Message { .. } => {}
            }
        }
    }

    /// Classify a partial line as if it had ended (the modem has been silent after it).
    pub(super) fn flush_partial<T>(
        &mut self,
        matcher: &mut impl FnMut(Seen<'_, D::Urc<'_>>) -> Option<T>,
    ) -> Option<T> {
        // A partial line that the queue could not hold stays where it is (counted as a
        // message, the larger record).
        if !self
            .urcs
            .fits_tagged(self.reader.decoder.buffered(), Tag::Message(0))
        {
            return None;
        }
        let frame = self.reader.decoder.flush_partial()?;
        self.stats.flushed_partials = self.stats.flushed_partials.saturating_add(1);
        let raw: &[u8] = match frame {
            Frame::Line(l) | Frame::Echo(l) => l,
            _ => &[],
        };
        match self.reader.classifier.classify::<D>(frame) {
            Item::Urc(u) => {
                let event = D::link_event(&u);
                if let Some(ev) = event {
                    self.links.apply(ev);
                }
                if let Some(t) = matcher(Seen::Urc(&u)) {
                    return Some(t);
                }
                // It fits: checked above.
                let (tag, spans) = tag_of::<D>(event, &u, raw);
                let _ = queue_line(&mut self.urcs, &mut self.stats, raw, tag, spans);
            }
            Item::Unknown { line, .. } => {
                if let Some(t) = matcher(Seen::Unknown(line)) {
                    return Some(t);
                }
                let _ = self.urcs.push_tagged(line, Tag::Unknown);
            }
            Item::Unsolicited(code) | Item::Final(code) => {
                self.stats.unsolicited_finals = self.stats.unsolicited_finals.saturating_add(1);
                return matcher(Seen::Unsolicited(code));
            }
            _ => {}
        }
        None
    }

    /// Read until a line queued after `mark` (any, when `None`) satisfies `want`, given its
    /// tag and bytes. When the queue is full of other lines, the `room` policy may discard
    /// some to make room; otherwise the wait ends with [`Error::QueueFull`].
    pub(super) async fn until_one_queued(
        &mut self,
        mark: Option<u32>,
        want: &impl Fn(Tag, &[u8]) -> bool,
        room: Room,
    ) -> Result<(), Error<IO::Error>> {
        let mut none = |_: Seen<'_, D::Urc<'_>>| None::<()>;
        while !self.urcs.any_with(mark, want) {
            match self.pump(None, &mut none, None) {
                // The pass may have queued something: look again before reading.
                Pump::Empty if !self.urcs.any_with(mark, want) => self.fill().await?,
                Pump::Full if !self.urcs.any_with(mark, want) && !self.make_room(room) => {
                    return Err(Error::QueueFull);
                }
                Pump::Empty
                | Pump::Full
                | Pump::Prompt(_)
                | Pump::Final(_)
                | Pump::Matched(())
                | Pump::Rebooted
                | Pump::Message { .. } => {}
            }
        }
        Ok(())
    }

    /// Read until the next message of MQTT client `client` (not queued: the caller has
    /// taken the queued ones) or a URC queued after `mark` that ends its session. With
    /// `wait` false, only what is buffered or ready now is read. No timeout here: the caller
    /// races this.
    pub(super) async fn until_message(
        &mut self,
        client: u8,
        mark: u32,
        wait: bool,
    ) -> Result<Found, Error<IO::Error>> {
        let ends = |t: Tag| t == Tag::LinkDown(Some(client)) || t == Tag::LinkDown(None);
        if self.urcs.may_hold_link_down() && self.urcs.any_tagged(Some(mark), ends) {
            return Ok(Found::Ended);
        }
        let mut none = |_: Seen<'_, D::Urc<'_>>| None::<()>;
        let mut reads = 0usize;
        let was_down = self.links.mqtt_is_down(client);
        loop {
            let pumped = self.pump(None, &mut none, Some(client));
            // The pass records every link event in `links` as it queues it.
            if !was_down && self.links.mqtt_is_down(client) {
                if let Pump::Message { start, len, spans } = pumped {
                    return Ok(Found::At { start, len, spans });
                }
                return Ok(Found::Ended);
            }
            match pumped {
                Pump::Message { start, len, spans } => {
                    return Ok(Found::At { start, len, spans });
                }
                Pump::Empty if wait => {
                    let (io, spare) = self.read_parts()?;
                    let n = io.read(spare).await.map_err(FillError::Transport)?;
                    self.commit_read(n)?;
                }
                Pump::Empty => {
                    // `select` polls the read first: it wins only if bytes are there now.
                    reads = reads.saturating_add(1);
                    match select(self.fill(), core::future::ready(())).await {
                        Either::First(r) if reads <= CATCH_UP_READS => r?,
                        _ => return Ok(Found::Nothing),
                    }
                }
                Pump::Full => self.full()?,
                Pump::Prompt(_) | Pump::Final(_) | Pump::Matched(()) | Pump::Rebooted => {}
            }
        }
    }

    /// Discard one queued line that `room` allows, counting it; `false` when none may go.
    pub(super) fn make_room(&mut self, room: Room) -> bool {
        let links = self.links;
        let discarded = match room {
            Room::Keep => false,
            Room::Make => {
                // Status lines first, session ends included (their effect on sessions is
                // already in `links`), then messages of clients with no session: nobody can
                // take those any more.
                self.urcs.discard_first_non_message()
                    || self
                        .urcs
                        .discard_first(|t| matches!(t, Tag::Message(c) if links.mqtt_is_down(c)))
            }
        };
        if discarded {
            self.stats.urcs_dropped = self.stats.urcs_dropped.saturating_add(1);
        }
        discarded
    }

    /// The queue is full with a line to read past: make room for it, or end the call.
    pub(super) fn full(&mut self) -> Result<(), Error<IO::Error>> {
        if self.make_room(Room::Make) {
            Ok(())
        } else {
            Err(Error::QueueFull)
        }
    }
}
