//! The streaming framer: bytes from the modem in, [`Frame`]s out.
//!
//! The decoder owns a fixed buffer of `N` bytes. Bytes go in through [`Decoder::feed`] (or
//! [`Decoder::spare`] + [`Decoder::commit`] to read from a UART straight into the buffer), and
//! [`Decoder::next_frame`] hands out frames that borrow from the buffer until the next call.
//!
//! Framing rules (ITU-T V.250 verbose mode, 3GPP TS 27.005 §3.5.1):
//! - a *line* ends at `\r\n` (or a lone `\n`); blank lines are skipped;
//! - a segment ended by a lone `\r` is a command *echo* (`AT+CSQ\r`);
//! - `>` at the start of a line is the data *prompt*, but only while [`Decoder::expect_prompt`]
//!   has been called; one space after it is swallowed;
//! - a line may announce a payload ([`Framing`]): either inline (`+QMTRECV: 0,1,"t",5,"a\r\nb"`),
//!   taken by length even if it contains CR/LF, or following the line (`+HTTPREAD: 12`), handed
//!   out as [`Frame::Data`];
//! - a line longer than the buffer is reported once as [`DecodeError::Overflow`] and dropped up
//!   to its end (for announced payloads: exactly the announced bytes), then decoding goes on;
//! - garbage bytes (NUL, 0xFF, control bytes) at the start of a line are skipped and counted.
//!
//! Each byte is searched once: the decoder remembers how far it has scanned a partial line, and
//! the buffer is compacted only when it is full, never once per line. The same bytes give the
//! same frames for every way of cutting them into chunks.

use core::marker::PhantomData;

use super::dialect::{Dialect, Framing};
use super::redact::Len;

/// One unit of modem output, borrowed from the decoder's buffer. `Debug` and `defmt` show
/// the bytes' length, never the bytes (a line may carry a password or a secret).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Frame<'a> {
    /// A line ended by `\r\n` or `\n`, without its terminator. Never empty.
    Line(&'a [u8]),
    /// A segment ended by a lone `\r`: the modem echoing a command (`AT+CSQ`).
    Echo(&'a [u8]),
    /// The `> ` data prompt.
    Prompt,
    /// Length-delimited data announced by the previous line or by the caller.
    /// Data longer than the buffer arrives in several pieces; `remaining` counts what is
    /// still to come after this piece.
    Data {
        /// The bytes of this piece.
        bytes: &'a [u8],
        /// Bytes of the announced data still to come after this piece.
        remaining: usize,
    },
}

impl core::fmt::Debug for Frame<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Line(l) => f.debug_tuple("Line").field(&Len(l)).finish(),
            Self::Echo(l) => f.debug_tuple("Echo").field(&Len(l)).finish(),
            Self::Prompt => f.write_str("Prompt"),
            Self::Data { bytes, remaining } => f
                .debug_struct("Data")
                .field("bytes", &Len(bytes))
                .field("remaining", remaining)
                .finish(),
        }
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for Frame<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        match self {
            Self::Line(l) => defmt::write!(f, "Line({})", Len(l)),
            Self::Echo(l) => defmt::write!(f, "Echo({})", Len(l)),
            Self::Prompt => defmt::write!(f, "Prompt"),
            Self::Data { bytes, remaining } => {
                defmt::write!(
                    f,
                    "Data {{ bytes: {}, remaining: {=usize} }}",
                    Len(bytes),
                    remaining
                )
            }
        }
    }
}

/// A recoverable decoding problem. Decoding goes on after each one; nothing after it is lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum DecodeError {
    /// A line (or a line with an announced payload) did not fit in the buffer. Its bytes are
    /// dropped up to its end.
    #[error("line longer than the decoder buffer; dropped")]
    Overflow,
    /// A segment held nothing but garbage bytes (NUL, 0xFF, control bytes).
    #[error("{0} garbage byte(s) skipped")]
    Garbage(usize),
    /// A line announced a payload longer than its protocol allows ([`Framing::Refused`]).
    /// The line up to its first terminator is dropped; the bytes after it are read as lines.
    #[error("announced payload length beyond the protocol's maximum; line dropped")]
    BadLength,
    /// An inline payload was not followed by its line end ([`Dialect::INLINE_TRAILER`]): it
    /// was cut short (the module reset in the middle of it). The line up to its first
    /// terminator is dropped; the bytes after it, the payload's among them, are read as lines.
    #[error("payload cut short; its bytes are read as lines")]
    Truncated,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Looking for the end of a line.
    Line,
    /// Handing out `remaining` bytes of announced data.
    Data { remaining: usize },
    /// Handing out an HTTP response header block up to its empty line, then `body` bytes
    /// of data. `at_line_start`: the last byte handed out ended a header line (0 = inside a
    /// line, 1 = after LF, 2 = after LF and CR).
    Header { body: usize, at_line_start: u8 },
    /// Dropping exactly `remaining` bytes of an overflowed payload, then the rest of its line.
    Discard { remaining: usize },
    /// Dropping bytes up to the next line end.
    DiscardLine,
}

/// Counters of what the decoder had to skip.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct DecoderStats {
    /// Garbage bytes skipped (NUL, 0xFF, control bytes outside payloads).
    pub garbage_bytes: u32,
    /// Lines dropped because they did not fit in the buffer.
    pub overflows: u32,
    /// Lines dropped because they announced an impossible payload length, inline payloads
    /// cut short ([`DecodeError::Truncated`]), and announced data given up by
    /// [`Decoder::abandon_data`].
    pub bad_lengths: u32,
}

/// The streaming framer. `D` supplies the payload-length rules; `B` is the buffer, an array
/// (`Decoder<Quectel, [u8; 1024]>`, built by [`Decoder::new`]) or any caller-provided storage
/// such as a `&'static mut [u8]` ([`Decoder::with_buffer`]). The longest line it can hold is
/// the buffer's length minus 2.
pub struct Decoder<D, B> {
    buf: B,
    /// First byte not yet handed out.
    start: usize,
    /// One past the last byte fed.
    end: usize,
    /// Offset from `start` where the search for the line end resumes.
    scan: usize,
    /// The current line's payload rule has been applied (so `scan` may point past CR/LF).
    ruled: bool,
    /// Where the current line's inline payload ends (offset from `start`), 0 for none.
    payload_end: usize,
    /// Data announced by the line being emitted, to hand out after it.
    following: usize,
    mode: Mode,
    prompt_expected: bool,
    skip_prompt_space: bool,
    stats: DecoderStats,
    _dialect: PhantomData<fn() -> D>,
}

impl<D, B: AsRef<[u8]>> core::fmt::Debug for Decoder<D, B> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Decoder")
            .field("capacity", &self.buf.as_ref().len())
            .field("buffered", &self.end.saturating_sub(self.start))
            .field("mode", &self.mode)
            .field("stats", &self.stats)
            .finish()
    }
}

impl<D: Dialect, const N: usize> Default for Decoder<D, [u8; N]> {
    fn default() -> Self {
        Self::new()
    }
}

/// The first CR or LF. Short haystacks (a read of a few bytes, the rest of a short line) are
/// searched by a plain loop; longer ones by memchr, on x86-64 with its SSE2 searcher called
/// directly (always present there): the haystacks are at most one buffer long, where runtime
/// CPU dispatch costs more than it saves.
#[inline]
fn find_eol(hay: &[u8]) -> Option<usize> {
    if hay.len() < 16 {
        return hay.iter().position(|&b| b == b'\r' || b == b'\n');
    }
    #[cfg(target_arch = "x86_64")]
    if let Some(two) = memchr::arch::x86_64::sse2::memchr::Two::new(b'\r', b'\n') {
        return two.find(hay);
    }
    memchr::memchr2(b'\r', b'\n', hay)
}

/// Where an HTTP header block ends in `bytes`: the bytes up to and including the empty line
/// (CRLF CRLF, LF LF or LF CR LF), given the state left by the previous piece
/// (0 = inside a line, 1 = after LF, 2 = after LF and CR). Returns how many bytes belong to
/// the block, the state after them, and whether the block ended.
fn header_block_end(bytes: &[u8], mut state: u8) -> (usize, u8, bool) {
    for (i, &b) in bytes.iter().enumerate() {
        state = match (state, b) {
            (1 | 2, b'\n') => return (i.saturating_add(1), 1, true),
            (_, b'\n') => 1,
            (1, b'\r') => 2,
            (s, b'\r') => s,
            _ => 0,
        };
    }
    (bytes.len(), state, false)
}

/// Move `buf[from..end]` to the front, in pieces no longer than `from` so that no piece
/// overlaps its source: plain copies, no `memmove` (which is large on a microcontroller).
/// Each byte is still moved once.
#[cold]
fn move_to_front(buf: &mut [u8], from: usize, end: usize) {
    if from == 0 {
        return;
    }
    let mut dst = 0usize;
    let mut src = from;
    while src < end {
        let n = end.saturating_sub(src).min(from);
        let Some((head, tail)) = buf.split_at_mut_checked(src) else {
            return;
        };
        match (head.get_mut(dst..dst.saturating_add(n)), tail.get(..n)) {
            (Some(d), Some(s)) if d.len() == s.len() => d.copy_from_slice(s),
            _ => return,
        }
        dst = dst.saturating_add(n);
        src = src.saturating_add(n);
    }
}

#[inline]
fn is_garbage(b: u8) -> bool {
    (b < 0x20 && b != b'\t') || b == 0x7f || b >= 0xf8
}

/// How many garbage bytes open `seg`.
#[inline]
fn leading_garbage(seg: &[u8]) -> usize {
    match seg.first() {
        Some(&b) if is_garbage(b) => seg
            .iter()
            .position(|&b| !is_garbage(b))
            .unwrap_or(seg.len()),
        _ => 0,
    }
}

impl<D: Dialect, const N: usize> Decoder<D, [u8; N]> {
    /// An empty decoder with an `N`-byte array buffer.
    ///
    /// ```
    /// use atmodem::codec::{Decoder};
    /// use atmodem::dialects::quectel::Quectel;
    /// let mut d: Decoder<Quectel, [u8; 256]> = Decoder::new();
    /// assert_eq!((d.capacity(), d.buffered()), (256, 0));
    /// assert_eq!(d.next_frame(), None);
    /// ```
    pub const fn new() -> Self {
        Self::with_buffer([0; N])
    }
}

impl<D: Dialect, B: AsRef<[u8]> + AsMut<[u8]>> Decoder<D, B> {
    /// An empty decoder over caller-provided storage.
    ///
    /// ```
    /// use atmodem::codec::{Decoder, Frame};
    /// use atmodem::dialects::quectel::Quectel;
    /// let mut storage = [0u8; 64];
    /// let mut d: Decoder<Quectel, &mut [u8]> = Decoder::with_buffer(&mut storage[..]);
    /// assert_eq!(d.capacity(), 64);
    /// d.feed(b"\r\nOK\r\n");
    /// assert_eq!(d.next_frame(), Some(Ok(Frame::Line(b"OK"))));
    /// ```
    pub const fn with_buffer(buf: B) -> Self {
        Self {
            buf,
            start: 0,
            end: 0,
            scan: 0,
            ruled: false,
            payload_end: 0,
            following: 0,
            mode: Mode::Line,
            prompt_expected: false,
            skip_prompt_space: false,
            stats: DecoderStats {
                garbage_bytes: 0,
                overflows: 0,
                bad_lengths: 0,
            },
            _dialect: PhantomData,
        }
    }

    /// The buffer's size.
    ///
    /// ```
    /// use atmodem::codec::{Decoder};
    /// use atmodem::dialects::quectel::Quectel;
    /// let d: Decoder<Quectel, [u8; 128]> = Decoder::new();
    /// assert_eq!(d.capacity(), 128);
    /// ```
    pub fn capacity(&self) -> usize {
        self.buf.as_ref().len()
    }

    /// Bytes fed but not yet handed out as frames.
    ///
    /// ```
    /// use atmodem::codec::{Decoder, Frame};
    /// use atmodem::dialects::quectel::Quectel;
    /// let mut d: Decoder<Quectel, [u8; 64]> = Decoder::new();
    /// d.feed(b"OK\r\n+QMT");
    /// assert_eq!(d.buffered(), 8);
    /// assert_eq!(d.next_frame(), Some(Ok(Frame::Line(b"OK"))));
    /// // The start of the next line waits for the rest of it.
    /// assert_eq!(d.next_frame(), None);
    /// assert_eq!(d.buffered(), 4);
    /// ```
    pub fn buffered(&self) -> usize {
        self.end.saturating_sub(self.start)
    }

    /// What the decoder has skipped so far.
    ///
    /// ```
    /// use atmodem::codec::{Decoder, Frame};
    /// use atmodem::dialects::quectel::Quectel;
    /// let mut d: Decoder<Quectel, [u8; 64]> = Decoder::new();
    /// d.feed(b"\xff\xff\x00\r\nOK\r\n");
    /// let mut lines = 0;
    /// while let Some(f) = d.next_frame() {
    ///     if f == Ok(Frame::Line(b"OK")) {
    ///         lines += 1;
    ///     }
    /// }
    /// assert_eq!(lines, 1);
    /// assert_eq!(d.stats().garbage_bytes, 3);
    /// assert_eq!(d.stats().overflows, 0);
    /// ```
    pub fn stats(&self) -> DecoderStats {
        self.stats
    }

    /// Say that the command just sent answers with a `>` prompt: the next `>` at the start of
    /// a line is a [`Frame::Prompt`]. Cleared when the prompt arrives or by
    /// [`Decoder::cancel_prompt`].
    ///
    /// ```
    /// use atmodem::codec::{Decoder, Frame};
    /// use atmodem::dialects::quectel::Quectel;
    /// let mut d: Decoder<Quectel, [u8; 64]> = Decoder::new();
    /// d.expect_prompt(); // e.g. after writing `AT+QMTPUBEX=0,0,0,0,"t",5`
    /// d.feed(b"\r\n> ");
    /// assert_eq!(d.next_frame(), Some(Ok(Frame::Prompt)));
    /// ```
    pub fn expect_prompt(&mut self) {
        self.prompt_expected = true;
    }

    /// Stop expecting a prompt (the command failed or timed out).
    ///
    /// ```
    /// use atmodem::codec::{Decoder, Frame};
    /// use atmodem::dialects::quectel::Quectel;
    /// let mut d: Decoder<Quectel, [u8; 64]> = Decoder::new();
    /// d.expect_prompt();
    /// d.cancel_prompt(); // the command answered ERROR instead
    /// d.feed(b"> not a prompt\r\n");
    /// assert_eq!(d.next_frame(), Some(Ok(Frame::Line(b"> not a prompt"))));
    /// ```
    pub fn cancel_prompt(&mut self) {
        self.prompt_expected = false;
    }

    /// Say that exactly `len` bytes of data follow (e.g. the body after Quectel's `CONNECT`
    /// for `AT+QHTTPREAD`). They are handed out as [`Frame::Data`] once the frames before them
    /// have been taken.
    ///
    /// ```
    /// use atmodem::codec::{Decoder, Frame};
    /// use atmodem::dialects::quectel::Quectel;
    /// let mut d: Decoder<Quectel, [u8; 64]> = Decoder::new();
    /// d.feed(b"\r\nCONNECT\r\n");
    /// assert_eq!(d.next_frame(), Some(Ok(Frame::Line(b"CONNECT"))));
    /// d.expect_data(5); // the length `+QHTTPGET` announced
    /// d.feed(b"OK\r\nx\r\nOK\r\n");
    /// // Data, even when it reads like a final code.
    /// assert_eq!(d.next_frame(), Some(Ok(Frame::Data { bytes: b"OK\r\nx", remaining: 0 })));
    /// assert_eq!(d.next_frame(), Some(Ok(Frame::Line(b"OK"))));
    /// ```
    pub fn expect_data(&mut self, len: usize) {
        if len > 0 {
            self.mode = Mode::Data { remaining: len };
        }
    }

    /// Say that an HTTP response header block follows, ended by an empty line, and then
    /// exactly `body` bytes of data: Quectel `AT+QHTTPREAD` after
    /// `AT+QHTTPCFG="responseheader",1`, whose `<content_length>` counts the body only. The
    /// header block and the body are handed out as [`Frame::Data`] (the block's pieces with
    /// `remaining` = `body`, since its own length is not announced), never as lines: a header
    /// named like a URC stays data. The empty line that ends the block (CRLF CRLF, or LF LF)
    /// is part of the block's last piece.
    ///
    /// ```
    /// use atmodem::codec::{Decoder, Frame};
    /// use atmodem::dialects::quectel::Quectel;
    /// let mut d: Decoder<Quectel, [u8; 128]> = Decoder::new();
    /// d.expect_header_block(2);
    /// d.feed(b"HTTP/1.1 200 OK\r\n+QMTSTAT: 0,1\r\n\r\nhi\r\nOK\r\n");
    /// assert_eq!(
    ///     d.next_frame(),
    ///     Some(Ok(Frame::Data { bytes: b"HTTP/1.1 200 OK\r\n+QMTSTAT: 0,1\r\n\r\n", remaining: 2 }))
    /// );
    /// assert_eq!(d.next_frame(), Some(Ok(Frame::Data { bytes: b"hi", remaining: 0 })));
    /// assert_eq!(d.next_frame(), Some(Ok(Frame::Line(b"OK"))));
    /// ```
    pub fn expect_header_block(&mut self, body: usize) {
        self.mode = Mode::Header {
            body,
            at_line_start: 1,
        };
    }

    /// Forget all buffered bytes and any announced data (e.g. after the module rebooted).
    ///
    /// ```
    /// use atmodem::codec::{Decoder, Frame};
    /// use atmodem::dialects::quectel::Quectel;
    /// let mut d: Decoder<Quectel, [u8; 64]> = Decoder::new();
    /// d.expect_data(100);
    /// d.feed(b"half a bo");
    /// d.reset(); // the module rebooted
    /// assert_eq!(d.buffered(), 0);
    /// d.feed(b"\r\nRDY\r\n");
    /// assert_eq!(d.next_frame(), Some(Ok(Frame::Line(b"RDY"))));
    /// ```
    pub fn reset(&mut self) {
        self.start = 0;
        self.end = 0;
        self.scan = 0;
        self.ruled = false;
        self.payload_end = 0;
        self.following = 0;
        self.mode = Mode::Line;
        self.prompt_expected = false;
        self.skip_prompt_space = false;
    }

    /// Drop the bytes at the start of what is buffered that repeat `written`: the module
    /// echoing the data the host wrote in a data phase (BG77 and BG770A do, with echo on).
    /// Returns how many bytes of `written` were matched, and whether a byte that differs was
    /// found (then the echo is over, or there was none). Only at the start of a line; a
    /// prompt's space still pending is taken first.
    ///
    /// ```
    /// use atmodem::codec::{Decoder, Frame};
    /// use atmodem::dialects::quectel::Quectel;
    /// let mut d: Decoder<Quectel, [u8; 64]> = Decoder::new();
    /// // The payload written after `>` comes back before the module's answer.
    /// d.feed(b"OK\r\n+QMTSTAT: 0,1\r\n\r\nOK\r\n");
    /// assert_eq!(d.skip_echo(b"OK\r\n+QMTSTAT: 0,1\r\n"), (19, false)); // all of it
    /// assert_eq!(d.next_frame(), Some(Ok(Frame::Line(b"OK"))));
    /// assert_eq!(d.next_frame(), None);
    /// ```
    pub fn skip_echo(&mut self, written: &[u8]) -> (usize, bool) {
        if !matches!(self.mode, Mode::Line) || self.scan != 0 || self.ruled {
            return (0, true);
        }
        let Some(mut window) = self.buf.as_ref().get(self.start..self.end) else {
            return (0, true);
        };
        let mut skipped = 0usize;
        if self.skip_prompt_space {
            match window {
                [] => return (0, false),
                [b' ', rest @ ..] => {
                    window = rest;
                    skipped = 1;
                }
                _ => {}
            }
            self.skip_prompt_space = false;
        }
        let n = window
            .iter()
            .zip(written)
            .take_while(|(a, b)| a == b)
            .count();
        let differs = n < window.len() && n < written.len();
        self.start = self.start.saturating_add(skipped).saturating_add(n);
        (n, differs)
    }

    /// Where the decoder stands, so that the frame taken next can be handed out again
    /// ([`Decoder::rewind`]): a reader that cannot store that frame yet leaves it in place.
    pub(crate) fn mark(&self) -> Mark {
        Mark {
            start: self.start,
            scan: self.scan,
            ruled: self.ruled,
            payload_end: self.payload_end,
            following: self.following,
            mode: self.mode,
            prompt_expected: self.prompt_expected,
            skip_prompt_space: self.skip_prompt_space,
            stats: self.stats,
        }
    }

    /// Go back to `mark`: the frames taken since are handed out again. Taking frames does not
    /// change the buffer's bytes, so this is exact.
    pub(crate) fn rewind(&mut self, mark: Mark) {
        self.start = mark.start;
        self.scan = mark.scan;
        self.ruled = mark.ruled;
        self.payload_end = mark.payload_end;
        self.following = mark.following;
        self.mode = mark.mode;
        self.prompt_expected = mark.prompt_expected;
        self.skip_prompt_space = mark.skip_prompt_space;
        self.stats = mark.stats;
    }

    /// Give up on announced data the modem has stopped sending (a length it lied about, a
    /// body cut short): data and discard modes end, and a line waiting for a payload that has
    /// not arrived is dropped up to its first terminator (counted as a bad length). Bytes
    /// already buffered after it are kept and read as lines, so no URC among them is lost.
    /// Returns whether anything was abandoned.
    ///
    /// ```
    /// use atmodem::codec::{Decoder, Frame};
    /// use atmodem::dialects::luat::Luat;
    /// let mut d: Decoder<Luat, [u8; 64]> = Decoder::new();
    /// // 5000 bytes announced; the module's next lines come instead.
    /// d.feed(b"\r\n+HTTPREAD: 5000\r\n");
    /// assert_eq!(d.next_frame(), Some(Ok(Frame::Line(b"+HTTPREAD: 5000"))));
    /// d.feed(b"\r\nOK\r\n");
    /// assert!(d.abandon_data());
    /// // The bytes after it are read as lines again (here the blank line, then `OK`).
    /// assert_eq!(d.next_frame(), Some(Ok(Frame::Line(b"OK"))));
    /// ```
    pub fn abandon_data(&mut self) -> bool {
        let mut abandoned = !matches!(self.mode, Mode::Line);
        if abandoned {
            self.stats.bad_lengths = self.stats.bad_lengths.saturating_add(1);
        }
        self.mode = Mode::Line;
        self.following = 0;
        let held = self.end.saturating_sub(self.start);
        if self.ruled && self.scan > held {
            let window = self
                .buf
                .as_ref()
                .get(self.start..self.end)
                .unwrap_or_default();
            let cut = find_eol(window).map_or(held, |i| i.saturating_add(1));
            self.start = self.start.saturating_add(cut);
            self.scan = 0;
            self.ruled = false;
            self.payload_end = 0;
            if !abandoned {
                self.stats.bad_lengths = self.stats.bad_lengths.saturating_add(1);
            }
            abandoned = true;
        }
        abandoned
    }

    /// Make room at the end of the buffer by moving unconsumed bytes to the front. Only done
    /// when the tail is full, so a byte is moved at most once per line that precedes it.
    #[inline]
    fn make_room(&mut self) {
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        } else if self.end >= self.capacity() && self.start > 0 {
            move_to_front(self.buf.as_mut(), self.start, self.end);
            self.end = self.end.saturating_sub(self.start);
            self.start = 0;
        }
    }

    /// Free space to read into. Call [`Decoder::commit`] with the number of bytes written.
    /// Empty when the buffer is full: take frames with [`Decoder::next_frame`] first.
    ///
    /// ```
    /// use atmodem::codec::{Decoder, Frame};
    /// use atmodem::dialects::quectel::Quectel;
    /// let mut d: Decoder<Quectel, [u8; 64]> = Decoder::new();
    /// // What a UART read does: write into the spare space, then commit what was written.
    /// let spare = d.spare();
    /// let n = 4;
    /// spare[..n].copy_from_slice(b"OK\r\n");
    /// d.commit(n);
    /// assert_eq!(d.next_frame(), Some(Ok(Frame::Line(b"OK"))));
    /// ```
    pub fn spare(&mut self) -> &mut [u8] {
        self.make_room();
        let end = self.end;
        self.buf.as_mut().get_mut(end..).unwrap_or_default()
    }

    /// Mark `n` bytes written into [`Decoder::spare`] as fed.
    ///
    /// ```
    /// use atmodem::codec::{Decoder, Frame};
    /// use atmodem::dialects::quectel::Quectel;
    /// let mut d: Decoder<Quectel, [u8; 64]> = Decoder::new();
    /// d.spare()[..6].copy_from_slice(b"RDY\r\nO");
    /// d.commit(6);
    /// assert_eq!(d.next_frame(), Some(Ok(Frame::Line(b"RDY"))));
    /// d.spare()[..3].copy_from_slice(b"K\r\n");
    /// d.commit(3);
    /// assert_eq!(d.next_frame(), Some(Ok(Frame::Line(b"OK"))));
    /// ```
    pub fn commit(&mut self, n: usize) {
        self.end = self.end.saturating_add(n).min(self.capacity());
    }

    /// Copy as many of `bytes` into the buffer as fit and return how many were taken. When it
    /// returns less than `bytes.len()`, take frames and feed the rest.
    ///
    /// ```
    /// use atmodem::codec::{Decoder, Frame};
    /// use atmodem::dialects::quectel::Quectel;
    /// let mut d: Decoder<Quectel, [u8; 8]> = Decoder::new();
    /// let input = b"OK\r\nRDY\r\n";
    /// let taken = d.feed(input);
    /// assert_eq!(taken, 8); // the buffer is full
    /// assert_eq!(d.next_frame(), Some(Ok(Frame::Line(b"OK"))));
    /// assert_eq!(d.feed(&input[taken..]), 1);
    /// assert_eq!(d.next_frame(), Some(Ok(Frame::Line(b"RDY"))));
    /// ```
    #[inline]
    pub fn feed(&mut self, bytes: &[u8]) -> usize {
        self.make_room();
        let end = self.end;
        let Some(spare) = self.buf.as_mut().get_mut(end..) else {
            return 0;
        };
        let n = spare.len().min(bytes.len());
        match (spare.get_mut(..n), bytes.get(..n)) {
            // One byte at a time (an interrupt-driven UART): no call to memcpy.
            (Some([dst]), Some([src])) => *dst = *src,
            (Some(dst), Some(src)) => dst.copy_from_slice(src),
            _ => return 0,
        }
        // `n` bytes fitted after `end`: the sum stays within the buffer.
        self.end = end.wrapping_add(n);
        n
    }

    /// Hand out a partial line that has no terminator yet, as a [`Frame::Line`]. For a client
    /// that has waited long enough: some firmware ends a result (`CONNECT OK`) without CRLF.
    ///
    /// ```
    /// use atmodem::codec::{Decoder, Frame};
    /// use atmodem::dialects::quectel::Quectel;
    /// let mut d: Decoder<Quectel, [u8; 64]> = Decoder::new();
    /// d.feed(b"\r\nCONNECT OK"); // old firmware: no line end
    /// assert_eq!(d.next_frame(), None);
    /// assert_eq!(d.flush_partial(), Some(Frame::Line(b"CONNECT OK")));
    /// assert_eq!(d.buffered(), 0);
    /// ```
    pub fn flush_partial(&mut self) -> Option<Frame<'_>> {
        if self.mode != Mode::Line || self.start >= self.end {
            return None;
        }
        let (start, end) = (self.start, self.end);
        self.start = end;
        self.scan = 0;
        self.ruled = false;
        self.payload_end = 0;
        let seg = self.buf.as_ref().get(start..end)?;
        let seg = seg.strip_suffix(b"\r").unwrap_or(seg);
        let skip = seg.iter().take_while(|&&b| is_garbage(b)).count();
        let seg = seg.get(skip..)?;
        (!seg.is_empty()).then_some(Frame::Line(seg))
    }

    /// The next complete frame, `None` when more bytes are needed, or a recoverable error.
    ///
    /// ```
    /// use atmodem::codec::{Decoder, DecodeError, Frame};
    /// use atmodem::dialects::quectel::Quectel;
    /// let mut d: Decoder<Quectel, [u8; 32]> = Decoder::new();
    /// d.feed(b"\r\n+QMTSTAT: 0,1\r\n\r\nOK\r\n");
    /// assert_eq!(d.next_frame(), Some(Ok(Frame::Line(b"+QMTSTAT: 0,1"))));
    /// assert_eq!(d.next_frame(), Some(Ok(Frame::Line(b"OK"))));
    /// assert_eq!(d.next_frame(), None); // more bytes are needed
    /// // A line longer than the buffer is an error; decoding goes on after it.
    /// d.feed(&[b'x'; 32]);
    /// assert_eq!(d.next_frame(), Some(Err(DecodeError::Overflow)));
    /// d.feed(b"xx\r\nOK\r\n");
    /// let mut last_ok = false;
    /// while let Some(f) = d.next_frame() {
    ///     last_ok = f == Ok(Frame::Line(b"OK"));
    /// }
    /// assert!(last_ok);
    /// ```
    #[inline]
    pub fn next_frame(&mut self) -> Option<Result<Frame<'_>, DecodeError>> {
        match self.quick() {
            Quick::Nothing => None,
            Quick::Line { start, len } => self.line_at(start, len).map(|l| Ok(Frame::Line(l))),
            Quick::Slow => self.next_frame_slow(),
        }
    }

    /// The address of the buffer: with it, where a frame handed out lies in the buffer
    /// (its address minus this) can be kept after the frame's borrow has ended, and the
    /// frame taken again with [`Decoder::buffer_at`].
    pub(crate) fn buffer_addr(&self) -> usize {
        self.buf.as_ref().as_ptr() as usize
    }

    /// `len` bytes of the buffer from `start`: a frame found by [`Decoder::offset_of`].
    pub(crate) fn buffer_at(&self, start: usize, len: usize) -> Option<&[u8]> {
        self.buf.as_ref().get(start..start.checked_add(len)?)
    }

    /// The bytes of a line that [`Self::quick`] found.
    #[inline]
    pub(crate) fn line_at(&self, start: usize, len: usize) -> Option<&[u8]> {
        self.buf.as_ref().get(start..start.saturating_add(len))
    }

    /// The common cases of line mode, answered inline without the full state machine:
    /// - a read added bytes to a line already begun, and none of them ends it;
    /// - at the start of a segment, with no prompt to watch for: blank lines are skipped and
    ///   one complete line ended by CRLF or LF, starting with a printable byte, is taken.
    ///
    /// [`Quick::Slow`] hands everything else (echo, prompt, garbage, payloads that span line
    /// ends, a full buffer, the data modes) to [`Self::next_frame_slow`], which then finds the
    /// state exactly as if it had done this part itself.
    #[inline]
    pub(crate) fn quick(&mut self) -> Quick {
        if !matches!(self.mode, Mode::Line) {
            return Quick::Slow;
        }
        let capacity = self.capacity();
        let (start, end) = (self.start, self.end);
        let Some(window) = self.buf.as_ref().get(start..end) else {
            return Quick::Slow;
        };
        let (start, rest, from) = if self.scan > 0 {
            if self.ruled {
                // A payload or a CR already seen: only "no line end yet" is answered here.
                let fresh = window.get(self.scan..).unwrap_or_default();
                if find_eol(fresh).is_some() || window.len() >= capacity {
                    return Quick::Slow;
                }
                self.scan = self.scan.max(window.len());
                return Quick::Nothing;
            }
            // A line already begun: its start was checked; search on from where the last
            // search stopped.
            (start, window, self.scan)
        } else {
            if self.ruled || self.prompt_expected || self.skip_prompt_space {
                return Quick::Slow;
            }
            let mut rest = window;
            while let [b'\r', b'\n', tail @ ..] | [b'\n', tail @ ..] = rest {
                rest = tail;
            }
            let start = end.saturating_sub(rest.len());
            self.start = start;
            (start, rest, 0)
        };
        let Some(i) = rest
            .get(from..)
            .and_then(find_eol)
            .map(|j| j.saturating_add(from))
        else {
            if rest.len() >= capacity {
                return Quick::Slow;
            }
            self.scan = self.scan.max(rest.len());
            return Quick::Nothing;
        };
        let consumed = match rest.get(i..) {
            Some([b'\r', b'\n', ..]) => i.saturating_add(2),
            Some([b'\n', ..]) => i.saturating_add(1),
            _ => return Quick::Slow,
        };
        let seg = rest.get(..i).unwrap_or_default();
        match seg.first() {
            Some(&b) if !is_garbage(b) => {}
            _ => return Quick::Slow,
        }
        match D::framing(seg) {
            Framing::Line => {}
            Framing::Refused => return Quick::Slow,
            Framing::Following { len } => {
                if len > 0 {
                    self.mode = Mode::Data { remaining: len };
                }
            }
            Framing::Inline { header, len } => {
                let payload_end = header.saturating_add(len);
                if payload_end > i {
                    // The first CR/LF lies inside the payload: search on past it.
                    self.ruled = true;
                    self.scan = payload_end;
                    self.payload_end = payload_end;
                    return Quick::Slow;
                }
            }
        }
        self.start = start.saturating_add(consumed);
        self.scan = 0;
        Quick::Line { start, len: i }
    }

    /// [`Self::next_frame`] without the shortcut.
    pub(crate) fn next_frame_slow(&mut self) -> Option<Result<Frame<'_>, DecodeError>> {
        loop {
            let step = match self.mode {
                Mode::Line => self.line_step(),
                Mode::Data { remaining } => {
                    let avail = self.end.saturating_sub(self.start);
                    let want = remaining.min(self.capacity());
                    if avail < want || want == 0 {
                        return None;
                    }
                    let start = self.start;
                    let stop = start.saturating_add(want);
                    let left = remaining.saturating_sub(want);
                    self.start = stop;
                    self.mode = if left == 0 {
                        Mode::Line
                    } else {
                        Mode::Data { remaining: left }
                    };
                    let bytes = self.buf.as_ref().get(start..stop)?;
                    return Some(Ok(Frame::Data {
                        bytes,
                        remaining: left,
                    }));
                }
                Mode::Header {
                    body,
                    at_line_start,
                } => {
                    let start = self.start;
                    let window = self.buf.as_ref().get(start..self.end)?;
                    if window.is_empty() {
                        return None;
                    }
                    let (taken, state, ended) = header_block_end(window, at_line_start);
                    self.start = start.saturating_add(taken);
                    self.mode = match (ended, body) {
                        (false, _) => Mode::Header {
                            body,
                            at_line_start: state,
                        },
                        (true, 0) => Mode::Line,
                        (true, remaining) => Mode::Data { remaining },
                    };
                    let bytes = self.buf.as_ref().get(start..start.saturating_add(taken))?;
                    return Some(Ok(Frame::Data {
                        bytes,
                        remaining: body,
                    }));
                }
                Mode::Discard { remaining } => {
                    let avail = self.end.saturating_sub(self.start);
                    if avail == 0 {
                        return None;
                    }
                    let n = remaining.min(avail);
                    self.start = self.start.saturating_add(n);
                    let left = remaining.saturating_sub(n);
                    self.mode = if left == 0 {
                        Mode::DiscardLine
                    } else {
                        Mode::Discard { remaining: left }
                    };
                    Step::Skip
                }
                Mode::DiscardLine => {
                    let tail = self.buf.as_ref().get(self.start..self.end)?;
                    match find_eol(tail) {
                        Some(i) => {
                            self.start = self.start.saturating_add(i).saturating_add(1);
                            self.mode = Mode::Line;
                            Step::Skip
                        }
                        None => {
                            self.start = self.end;
                            Step::More
                        }
                    }
                }
            };
            match step {
                Step::More => return None,
                Step::Skip => {}
                Step::Error(e) => return Some(Err(e)),
                Step::Prompt => return Some(Ok(Frame::Prompt)),
                Step::Frame { start, len, echo } => {
                    let seg = self.buf.as_ref().get(start..start.saturating_add(len))?;
                    return Some(Ok(if echo {
                        Frame::Echo(seg)
                    } else {
                        Frame::Line(seg)
                    }));
                }
            }
        }
    }

    /// Take the next segment in line mode: skip blank lines, recognise the prompt, look for the
    /// end of the current line (resuming where the last search stopped) and consume the line
    /// when it is complete.
    fn line_step(&mut self) -> Step {
        let capacity = self.capacity();
        let mut start = self.start;
        let Some(mut window) = self.buf.as_ref().get(start..self.end) else {
            return Step::More;
        };
        if self.skip_prompt_space && self.scan == 0 && !self.ruled {
            // Only the byte right after `>` may be its space, whatever the read sizes.
            let Some(&first) = window.first() else {
                return Step::More;
            };
            self.skip_prompt_space = false;
            if first == b' ' {
                self.start = start.saturating_add(1);
                return Step::Skip;
            }
        }
        if self.scan == 0 && !self.ruled {
            // Blank lines (the CRLF that opens every verbose response) are the most common
            // segment: skip them without a search.
            while let [b'\r', b'\n', rest @ ..] | [b'\n', rest @ ..] = window {
                window = rest;
            }
            start = self.end.saturating_sub(window.len());
            self.start = start;
            let Some(&first) = window.first() else {
                return Step::More;
            };
            if self.prompt_expected && first == b'>' {
                self.prompt_expected = false;
                self.skip_prompt_space = true;
                self.start = start.saturating_add(1);
                return Step::Prompt;
            }
        }
        let avail = window.len();
        let from = self.scan.min(avail);
        let found = window
            .get(from..)
            .and_then(find_eol)
            .map(|i| i.saturating_add(from));
        let Some(i) = found else {
            // Keep a payload end that lies beyond what has arrived.
            self.scan = self.scan.max(avail);
            if avail >= capacity {
                return self.overflow();
            }
            return Step::More;
        };
        let seg = window.get(..i).unwrap_or_default();
        if !self.ruled {
            self.ruled = true;
            self.following = 0;
            match D::framing(seg) {
                Framing::Line => {}
                Framing::Refused => {
                    // Drop the line up to its first terminator byte; a LF after a CR is a
                    // blank line, skipped next.
                    self.start = start.saturating_add(i).saturating_add(1);
                    self.scan = 0;
                    self.ruled = false;
                    self.stats.bad_lengths = self.stats.bad_lengths.saturating_add(1);
                    return Step::Error(DecodeError::BadLength);
                }
                Framing::Following { len } => self.following = len,
                Framing::Inline { header, len } => {
                    let payload_end = header.saturating_add(len);
                    if payload_end > i {
                        // The first CR/LF lies inside the payload: skip past the payload.
                        self.scan = payload_end;
                        self.payload_end = payload_end;
                        return Step::Skip;
                    }
                }
            }
        }
        if self.payload_end > 0 {
            let pe = self.payload_end;
            let trailer = window.get(pe..i).unwrap_or_default();
            if trailer != D::INLINE_TRAILER {
                // Cut short: the line ends at its first terminator, and what was taken for
                // its payload is read as lines.
                let first = find_eol(seg).unwrap_or(i);
                self.start = start.saturating_add(first).saturating_add(1);
                self.scan = 0;
                self.ruled = false;
                self.payload_end = 0;
                self.following = 0;
                self.stats.bad_lengths = self.stats.bad_lengths.saturating_add(1);
                return Step::Error(DecodeError::Truncated);
            }
        }
        let (consumed, echo) = match window.get(i..) {
            Some([b'\r', b'\n', ..]) => (i.saturating_add(2), false),
            Some([b'\r']) if avail >= capacity => return self.overflow(),
            Some([b'\r']) => {
                self.scan = i;
                return Step::More;
            }
            Some([b'\r', ..]) => (i.saturating_add(1), true),
            _ => (i.saturating_add(1), false),
        };
        let skip = leading_garbage(seg);
        self.start = start.saturating_add(consumed);
        self.scan = 0;
        self.ruled = false;
        self.payload_end = 0;
        let following = core::mem::take(&mut self.following);
        if skip > 0 {
            self.stats.garbage_bytes = self
                .stats
                .garbage_bytes
                .saturating_add(u32::try_from(skip).unwrap_or(u32::MAX));
            if skip == i {
                return Step::Error(DecodeError::Garbage(skip));
            }
        } else if i == 0 {
            return Step::Skip;
        }
        if following > 0 {
            self.mode = Mode::Data {
                remaining: following,
            };
        }
        Step::Frame {
            start: start.saturating_add(skip),
            len: i.saturating_sub(skip),
            echo,
        }
    }

    /// The buffer is full of one unfinished line: drop it (and its announced payload).
    #[cold]
    fn overflow(&mut self) -> Step {
        let window = self
            .buf
            .as_ref()
            .get(self.start..self.end)
            .unwrap_or_default();
        let held = window.len();
        let payload_end = if self.ruled {
            self.scan
        } else {
            match D::framing(window) {
                Framing::Inline { header, len } => header.saturating_add(len),
                Framing::Line | Framing::Following { .. } | Framing::Refused => 0,
            }
        };
        self.start = self.end;
        self.scan = 0;
        self.ruled = false;
        self.payload_end = 0;
        self.following = 0;
        self.stats.overflows = self.stats.overflows.saturating_add(1);
        self.mode = if payload_end > held {
            Mode::Discard {
                remaining: payload_end.saturating_sub(held),
            }
        } else {
            Mode::DiscardLine
        };
        Step::Error(DecodeError::Overflow)
    }
}

/// A decoder's position, from [`Decoder::mark`].
#[derive(Clone, Copy)]
pub(crate) struct Mark {
    start: usize,
    scan: usize,
    ruled: bool,
    payload_end: usize,
    following: usize,
    mode: Mode,
    prompt_expected: bool,
    skip_prompt_space: bool,
    stats: DecoderStats,
}

/// What [`Decoder::quick`] found.
pub(crate) enum Quick {
    /// No frame until more bytes arrive.
    Nothing,
    /// A line (`start..start + len` of the buffer), already consumed.
    Line { start: usize, len: usize },
    /// Ask [`Decoder::next_frame_slow`].
    Slow,
}

enum Step {
    More,
    Skip,
    Prompt,
    Error(DecodeError),
    Frame {
        start: usize,
        len: usize,
        echo: bool,
    },
}
