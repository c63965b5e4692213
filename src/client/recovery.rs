//! Getting back in step with the module: closing a data phase left open, giving up announced
//! data that never came, and the marker exchange whose answer cannot be confused with a late
//! answer of another command; the power-up `AT` sync.

use embassy_futures::select::{Either, select};
use embedded_hal_async::delay::DelayNs;
use embedded_io_async::{Read, Write};

use super::engine::{Core, Pump, write_all};
use super::{Awaited, Client, Error, Line, Request};
use crate::codec::{Dialect, Expect, Seen};

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
pub(super) const MARKERS_AWAITED: usize = 16;

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

/// A data phase the client has started and not finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DataPhase {
    /// No data phase.
    None,
    /// A command with a data phase was sent; its prompt has not come yet. `len` bytes will
    /// be due once it does; `ctrl_z` when the phase is ended by Ctrl-Z (so ESC cancels it).
    AwaitingPrompt { len: usize, ctrl_z: bool },
    /// The prompt came; `remaining` bytes of the announced data are still to be written.
    Open { remaining: usize, ctrl_z: bool },
}

impl<IO, D> Core<'_, IO, D>
where
    IO: Read + Write,
    D: Dialect,
{
    /// Write the data of an open data phase, keeping count of what is still due so that a
    /// resynchronisation can close the phase if this is interrupted.
    pub(super) async fn write_data(
        &mut self,
        data: &[u8],
        end: &[u8],
    ) -> Result<(), Error<IO::Error>> {
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
    pub(super) async fn close_data_phase(
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
    pub(super) async fn settle_data_phase(
        &mut self,
        len: usize,
        ctrl_z: bool,
    ) -> Result<(), Error<IO::Error>> {
        let mut none = |_: Seen<'_, D::Urc<'_>>| None::<()>;
        loop {
            match self.pump(None, &mut none, None) {
                Pump::Empty => self.fill().await?,
                Pump::Prompt(_) => return self.close_data_phase(len, ctrl_z).await,
                Pump::Full => self.full()?,
                Pump::Final(_) | Pump::Rebooted => {
                    self.data_phase = DataPhase::None;
                    return Ok(());
                }
                Pump::Matched(()) | Pump::Message { .. } => {}
            }
        }
    }

    /// Read until the answer lines of the last marker sent and then a final code arrive.
    /// An answer to an earlier marker shows that every command before it has been answered
    /// (modules answer in order): it is crossed off with them. Final codes that come with no
    /// marker's answer are late answers of abandoned commands: counted, never taken. No
    /// timeout here: the caller races this.
    pub(super) async fn await_markers(&mut self) -> Result<(), Error<IO::Error>> {
        self.reader.classifier.begin(Expect::tokens(MARKER_TOKENS));
        self.resp.clear();
        let mut none = |_: Seen<'_, D::Urc<'_>>| None::<()>;
        loop {
            match self.pump(None, &mut none, None) {
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
                Pump::Full => self.full()?,
                Pump::Prompt(_) | Pump::Matched(()) | Pump::Rebooted | Pump::Message { .. } => {}
            }
        }
    }

    /// Send the next marker not awaited already (the oldest awaited one is forgotten when
    /// [`MARKERS_AWAITED`] are).
    pub(super) async fn send_marker(&mut self) -> Result<(), Error<IO::Error>> {
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
}

impl<IO, DL, D> Client<'_, IO, DL, D>
where
    IO: Read + Write,
    DL: DelayNs,
    D: Dialect,
{
    /// Synchronise with a module that has just powered up: send `AT` until it answers `OK`
    /// (up to `resync_attempts` tries, each within `resync_timeout_ms`). Auto-bauding
    /// modules (Luat) set their baud rate from the first `AT`, and answer the first tries
    /// with noise, which is skipped and counted as garbage. Only for a module with nothing
    /// outstanding (just powered up or rebooted): after a timeout, [`resync`](Self::resync)
    /// is the call that cannot take a late answer for the sync's.
    ///
    /// ```
    /// # use atmodem::client::{Client, State};
    /// # use atmodem::dialects::luat::Luat;
    /// # use atmodem::sim::{InstantDelay, SimModem};
    /// // The first `AT` only produces noise while the module finds the baud rate.
    /// let modem = SimModem::new(">> AT\n<<| \"\\u00ff\"\n>> AT\n<< OK\n").unwrap();
    /// let mut state: State = State::new();
    /// let mut c: Client<_, _, Luat> = Client::new(modem, InstantDelay, &mut state);
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
        let mut last = Error::Timeout(Awaited::Answer(at.name));
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
    /// # use atmodem::client::{Client, Error, Request, State};
    /// # use atmodem::codec::Expect;
    /// # use atmodem::dialects::quectel::Quectel;
    /// # use atmodem::sim::{InstantDelay, SimModem};
    /// // The module answers the marker only after a late `OK` of an abandoned command.
    /// let modem = SimModem::new(">> AT+CMEE?\n<< OK\n<< +CMEE: 2\n<< OK\n").unwrap();
    /// let mut state: State = State::new();
    /// let mut c: Client<_, _, Quectel> = Client::new(modem, InstantDelay, &mut state);
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
                    Either::Second(()) => return Err(Error::Timeout(Awaited::Resync)),
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
        Err(Error::Timeout(Awaited::Resync))
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
