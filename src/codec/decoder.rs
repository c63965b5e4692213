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
    /// One past the last byte fed.
    end: usize,
    /// Where the decoder stands in what was fed: all that [`Decoder::rewind`] restores.
    pos: Pos,
    _dialect: PhantomData<fn() -> D>,
}

/// Where a [`Decoder`] stands: one `Copy` value, so that a [`Mark`] is a plain copy of it.
#[derive(Debug, Clone, Copy)]
struct Pos {
    /// First byte not yet handed out.
    start: usize,
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
}

impl Pos {
    /// A decoder that has been fed nothing.
    const NEW: Self = Self {
        start: 0,
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
    };
}

impl<D, B: AsRef<[u8]>> core::fmt::Debug for Decoder<D, B> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Decoder")
            .field("capacity", &self.buf.as_ref().len())
            .field("buffered", &self.end.saturating_sub(self.pos.start))
            .field("mode", &self.pos.mode)
            .field("stats", &self.pos.stats)
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
            end: 0,
            pos: Pos::NEW,
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
        self.end.saturating_sub(self.pos.start)
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
        self.pos.stats
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
        self.pos.prompt_expected = true;
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
        self.pos.prompt_expected = false;
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
            self.pos.mode = Mode::Data { remaining: len };
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
        self.pos.mode = Mode::Header {
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
        self.end = 0;
        // The counters are kept.
        self.pos = Pos {
            stats: self.pos.stats,
            ..Pos::NEW
        };
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
        if !matches!(self.pos.mode, Mode::Line) || self.pos.scan != 0 || self.pos.ruled {
            return (0, true);
        }
        let Some(mut window) = self.buf.as_ref().get(self.pos.start..self.end) else {
            return (0, true);
        };
        let mut skipped = 0usize;
        if self.pos.skip_prompt_space {
            match window {
                [] => return (0, false),
                [b' ', rest @ ..] => {
                    window = rest;
                    skipped = 1;
                }
                _ => {}
            }
            self.pos.skip_prompt_space = false;
        }
        let n = window
            .iter()
            .zip(written)
            .take_while(|(a, b)| a == b)
            .count();
        let differs = n < window.len() && n < written.len();
        self.pos.start = self.pos.start.saturating_add(skipped).saturating_add(n);
        (n, differs)
    }

    /// Where the decoder stands, so that the frame taken next can be handed out again
    /// ([`Decoder::rewind`]): a reader that cannot store that frame yet leaves it in place.
    pub(crate) fn mark(&self) -> Mark {
        Mark(self.pos)
    }

    /// Go back to `mark`: the frames taken since are handed out again. Taking frames does not
    /// change the buffer's bytes, so this is exact.
    pub(crate) fn rewind(&mut self, mark: Mark) {
        self.pos = mark.0;
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
        let mut abandoned = !matches!(self.pos.mode, Mode::Line);
        if abandoned {
            self.pos.stats.bad_lengths = self.pos.stats.bad_lengths.saturating_add(1);
        }
        self.pos.mode = Mode::Line;
        self.pos.following = 0;
        let held = self.end.saturating_sub(self.pos.start);
        if self.pos.ruled && self.pos.scan > held {
            let window = self
                .buf
                .as_ref()
                .get(self.pos.start..self.end)
                .unwrap_or_default();
            let cut = find_eol(window).map_or(held, |i| i.saturating_add(1));
            self.pos.start = self.pos.start.saturating_add(cut);
            self.pos.scan = 0;
            self.pos.ruled = false;
            self.pos.payload_end = 0;
            if !abandoned {
                self.pos.stats.bad_lengths = self.pos.stats.bad_lengths.saturating_add(1);
            }
            abandoned = true;
        }
        abandoned
    }

    /// Make room at the end of the buffer by moving unconsumed bytes to the front. Only done
    /// when the tail is full, so a byte is moved at most once per line that precedes it.
    #[inline]
    fn make_room(&mut self) {
        if self.pos.start == self.end {
            self.pos.start = 0;
            self.end = 0;
        } else if self.end >= self.capacity() && self.pos.start > 0 {
            move_to_front(self.buf.as_mut(), self.pos.start, self.end);
            self.end = self.end.saturating_sub(self.pos.start);
            self.pos.start = 0;
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
        if self.pos.mode != Mode::Line || self.pos.start >= self.end {
            return None;
        }
        let (start, end) = (self.pos.start, self.end);
        self.pos.start = end;
        self.pos.scan = 0;
        self.pos.ruled = false;
        self.pos.payload_end = 0;
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
        let step = self.step();
        match step.kind {
            Kind::More => None,
            Kind::Line => self
                .bytes_at(step.start, step.len)
                .map(|l| Ok(Frame::Line(l))),
            _ => self.rare_frame(step),
        }
    }

    /// [`Self::frame_of`], for [`Self::next_frame`]: frames other than lines are rare on the
    /// path a client runs (a prompt a command, data an HTTP read).
    #[cold]
    fn rare_frame(&self, step: Step) -> Option<Result<Frame<'_>, DecodeError>> {
        self.frame_of(step)
    }

    /// The frame of the step just taken (see [`Self::step`]).
    #[inline(never)]
    pub(crate) fn frame_of(&self, step: Step) -> Option<Result<Frame<'_>, DecodeError>> {
        let (start, len) = (step.start, step.len);
        Some(Ok(match step.kind {
            Kind::More | Kind::Skip => return None,
            Kind::Overflow => return Some(Err(DecodeError::Overflow)),
            Kind::Garbage => return Some(Err(DecodeError::Garbage(step.len))),
            Kind::BadLength => return Some(Err(DecodeError::BadLength)),
            Kind::Truncated => return Some(Err(DecodeError::Truncated)),
            Kind::Line => Frame::Line(self.bytes_at(start, len)?),
            Kind::Echo => Frame::Echo(self.bytes_at(start, len)?),
            Kind::Prompt => Frame::Prompt,
            // What is still to come after the piece: the mode the step left says it.
            Kind::Data => Frame::Data {
                bytes: self.bytes_at(start, len)?,
                remaining: match self.pos.mode {
                    Mode::Data { remaining } => remaining,
                    Mode::Header { body, .. } => body,
                    Mode::Line | Mode::Discard { .. } | Mode::DiscardLine => 0,
                },
            },
        }))
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

    /// The bytes of a frame that [`Self::step`] found.
    #[inline]
    pub(crate) fn bytes_at(&self, start: usize, len: usize) -> Option<&[u8]> {
        self.buf.as_ref().get(start..start.saturating_add(len))
    }

    /// The decoder's one state machine: the next frame, as where it lies in the buffer (its
    /// bytes are [`Self::bytes_at`] them), already consumed. A plain line, the most common
    /// frame by far, is [`Kind::Line`], which a caller takes as it is; the rest is made a
    /// [`Frame`] by [`Self::frame_of`]. What is rare (the prompt, a refused length, a payload
    /// cut short, a lone CR at the end of what has arrived, garbage, a full buffer, the data
    /// modes) is handled out of line.
    #[inline]
    pub(crate) fn step(&mut self) -> Step {
        loop {
            let step = if matches!(self.pos.mode, Mode::Line) {
                self.line_step()
            } else {
                self.data_step()
            };
            if step.kind != Kind::Skip {
                return step;
            }
        }
    }

    /// One step of line mode; [`Step::SKIP`] when it consumed something that is not a frame
    /// (a blank segment, the prompt's space) or moved past an inline payload, so that the
    /// caller steps again.
    ///
    /// Blank lines are skipped, the prompt is looked for, the search for the line end resumes
    /// where the last one stopped, the payload rule is applied once per line, and a complete
    /// line is consumed. What is rare (the prompt, a refused length, a payload cut short, a
    /// lone CR at the end of what has arrived, garbage, a full buffer) is handled out of line,
    /// so that a plain line costs its search and a few checks.
    #[inline]
    fn line_step(&mut self) -> Step {
        let capacity = self.capacity();
        let end = self.end;
        let mut start = self.pos.start;
        let Some(mut window) = self.buf.as_ref().get(start..end) else {
            return Step::MORE;
        };
        // `ruled` implies `scan > 0`: a line not searched yet.
        if self.pos.scan == 0 {
            if self.pos.skip_prompt_space {
                return self.prompt_space();
            }
            // Blank lines (the CRLF that opens every verbose response) are the most common
            // segment: skip them without a search.
            while let [b'\r', b'\n', rest @ ..] | [b'\n', rest @ ..] = window {
                window = rest;
            }
            start = end.saturating_sub(window.len());
            self.pos.start = start;
            if self.pos.prompt_expected && window.first() == Some(&b'>') {
                return self.prompt(start);
            }
        }
        let avail = window.len();
        let scan = self.pos.scan;
        let Some(i) = window
            .get(scan..)
            .and_then(find_eol)
            .map(|j| j.saturating_add(scan))
        else {
            // Keep a payload end that lies beyond what has arrived.
            self.pos.scan = scan.max(avail);
            if avail >= capacity {
                return self.overflow();
            }
            return Step::MORE;
        };
        let seg = window.get(..i).unwrap_or_default();
        let ruled = self.pos.ruled;
        let following = if ruled {
            if self.pos.payload_end > 0 && self.cut_short(start, i) {
                return self.truncated(start, i);
            }
            self.pos.following
        } else {
            match D::framing(seg) {
                Framing::Line => 0,
                Framing::Following { len } => len,
                Framing::Refused => return self.refused(start, i),
                Framing::Inline { header, len } => {
                    let payload_end = header.saturating_add(len);
                    if payload_end > i {
                        // The first CR/LF lies inside the payload: search on past it.
                        self.pos.ruled = true;
                        self.pos.scan = payload_end;
                        self.pos.payload_end = payload_end;
                        return Step::SKIP;
                    }
                    0
                }
            }
        };
        let first = seg.first().copied();
        // (bytes consumed, an echo), or `None` for a lone CR at the end of what has arrived.
        let term = match window.get(i..) {
            Some([b'\r', b'\n', ..]) => Some((i.saturating_add(2), false)),
            Some([b'\r']) => None,
            Some([b'\r', ..]) => Some((i.saturating_add(1), true)),
            _ => Some((i.saturating_add(1), false)),
        };
        let Some((consumed, echo)) = term else {
            return self.lone_cr(i, avail, following);
        };
        self.pos.start = start.saturating_add(consumed);
        self.pos.scan = 0;
        if ruled {
            self.pos.ruled = false;
            self.pos.payload_end = 0;
            self.pos.following = 0;
        }
        match first {
            Some(b) if !is_garbage(b) => {}
            _ => return self.odd_segment(start, i, echo, following),
        }
        if following > 0 {
            self.pos.mode = Mode::Data {
                remaining: following,
            };
        }
        Step::at(if echo { Kind::Echo } else { Kind::Line }, start, i)
    }

    /// At the start of a segment right after the prompt: only the byte right after `>` may
    /// be its space, whatever the read sizes.
    #[cold]
    fn prompt_space(&mut self) -> Step {
        let window = self.buf.as_ref().get(self.pos.start..self.end);
        let first = window.and_then(|w| w.first()).copied();
        let Some(first) = first else {
            return Step::MORE;
        };
        self.pos.skip_prompt_space = false;
        if first == b' ' {
            self.pos.start = self.pos.start.saturating_add(1);
        }
        Step::SKIP
    }

    /// The `>` prompt at `start`.
    #[cold]
    fn prompt(&mut self, start: usize) -> Step {
        self.pos.prompt_expected = false;
        self.pos.skip_prompt_space = true;
        self.pos.start = start.saturating_add(1);
        Step::of(Kind::Prompt)
    }

    /// A line announcing an impossible length (its first terminator at `i`): dropped up to
    /// that terminator; a LF after a CR is a blank line, skipped next.
    #[cold]
    fn refused(&mut self, start: usize, i: usize) -> Step {
        self.pos.start = start.saturating_add(i).saturating_add(1);
        self.pos.scan = 0;
        self.pos.ruled = false;
        self.pos.following = 0;
        self.pos.stats.bad_lengths = self.pos.stats.bad_lengths.saturating_add(1);
        Step::of(Kind::BadLength)
    }

    /// Whether the line end at `i` after an inline payload spanning line ends misses the
    /// payload's trailer: the payload was cut short.
    #[cold]
    fn cut_short(&self, start: usize, i: usize) -> bool {
        let window = self.buf.as_ref().get(start..self.end).unwrap_or_default();
        window.get(self.pos.payload_end..i).unwrap_or_default() != D::INLINE_TRAILER
    }

    /// An inline payload cut short ([`Self::cut_short`]): the line ends at its first
    /// terminator, and what was taken for its payload is read as lines.
    #[cold]
    fn truncated(&mut self, start: usize, i: usize) -> Step {
        let seg = self
            .buf
            .as_ref()
            .get(start..start.saturating_add(i))
            .unwrap_or_default();
        let first = find_eol(seg).unwrap_or(i);
        self.pos.start = start.saturating_add(first).saturating_add(1);
        self.pos.scan = 0;
        self.pos.ruled = false;
        self.pos.payload_end = 0;
        self.pos.following = 0;
        self.pos.stats.bad_lengths = self.pos.stats.bad_lengths.saturating_add(1);
        Step::of(Kind::Truncated)
    }

    /// A CR at `i`, the last byte that has arrived: a line end or an echo, depending on the
    /// byte after it. The line's payload rule has been applied (`following` is what it
    /// announced).
    #[cold]
    fn lone_cr(&mut self, i: usize, avail: usize, following: usize) -> Step {
        self.pos.ruled = true;
        self.pos.following = following;
        if avail >= self.capacity() {
            return self.overflow();
        }
        self.pos.scan = i;
        if i == 0 {
            // Nothing before the CR: nothing to remember but where it is (`ruled` implies
            // `scan > 0`). An empty segment announces nothing, and no payload ends at 0.
            self.pos.ruled = false;
            self.pos.following = 0;
        }
        Step::MORE
    }

    /// A consumed segment `start..start + len` that is empty or opens with garbage bytes.
    #[cold]
    fn odd_segment(&mut self, start: usize, len: usize, echo: bool, following: usize) -> Step {
        let seg = self
            .buf
            .as_ref()
            .get(start..start.saturating_add(len))
            .unwrap_or_default();
        let skip = leading_garbage(seg);
        if skip == 0 {
            // Nothing but a terminator.
            return Step::SKIP;
        }
        self.pos.stats.garbage_bytes = self
            .pos
            .stats
            .garbage_bytes
            .saturating_add(u32::try_from(skip).unwrap_or(u32::MAX));
        if skip == len {
            return Step::at(Kind::Garbage, start, skip);
        }
        if following > 0 {
            self.pos.mode = Mode::Data {
                remaining: following,
            };
        }
        let (start, len) = (start.saturating_add(skip), len.saturating_sub(skip));
        Step::at(if echo { Kind::Echo } else { Kind::Line }, start, len)
    }

    /// One step of the modes that are not line mode: announced data, a header block, a
    /// discarded payload or line; [`Step::SKIP`] when it dropped bytes and the caller steps
    /// again.
    #[inline(never)]
    fn data_step(&mut self) -> Step {
        match self.pos.mode {
            Mode::Line => Step::SKIP,
            Mode::Data { remaining } => {
                let avail = self.end.saturating_sub(self.pos.start);
                let want = remaining.min(self.capacity());
                if avail < want || want == 0 {
                    return Step::MORE;
                }
                let start = self.pos.start;
                let left = remaining.saturating_sub(want);
                self.pos.start = start.saturating_add(want);
                self.pos.mode = if left == 0 {
                    Mode::Line
                } else {
                    Mode::Data { remaining: left }
                };
                Step::at(Kind::Data, start, want)
            }
            Mode::Header {
                body,
                at_line_start,
            } => {
                let start = self.pos.start;
                let window = self.buf.as_ref().get(start..self.end).unwrap_or_default();
                if window.is_empty() {
                    return Step::MORE;
                }
                let (taken, state, ended) = header_block_end(window, at_line_start);
                self.pos.start = start.saturating_add(taken);
                self.pos.mode = match (ended, body) {
                    (false, _) => Mode::Header {
                        body,
                        at_line_start: state,
                    },
                    (true, 0) => Mode::Line,
                    (true, remaining) => Mode::Data { remaining },
                };
                Step::at(Kind::Data, start, taken)
            }
            Mode::Discard { remaining } => {
                let avail = self.end.saturating_sub(self.pos.start);
                if avail == 0 {
                    return Step::MORE;
                }
                let n = remaining.min(avail);
                self.pos.start = self.pos.start.saturating_add(n);
                let left = remaining.saturating_sub(n);
                self.pos.mode = if left == 0 {
                    Mode::DiscardLine
                } else {
                    Mode::Discard { remaining: left }
                };
                Step::SKIP
            }
            Mode::DiscardLine => {
                let tail = self
                    .buf
                    .as_ref()
                    .get(self.pos.start..self.end)
                    .unwrap_or_default();
                match find_eol(tail) {
                    Some(i) => {
                        self.pos.start = self.pos.start.saturating_add(i).saturating_add(1);
                        self.pos.mode = Mode::Line;
                        Step::SKIP
                    }
                    None => {
                        self.pos.start = self.end;
                        Step::MORE
                    }
                }
            }
        }
    }
    /// The buffer is full of one unfinished line: drop it (and its announced payload).
    #[cold]
    fn overflow(&mut self) -> Step {
        let window = self
            .buf
            .as_ref()
            .get(self.pos.start..self.end)
            .unwrap_or_default();
        let held = window.len();
        let payload_end = if self.pos.ruled {
            self.pos.scan
        } else {
            match D::framing(window) {
                Framing::Inline { header, len } => header.saturating_add(len),
                Framing::Line | Framing::Following { .. } | Framing::Refused => 0,
            }
        };
        self.pos.start = self.end;
        self.pos.scan = 0;
        self.pos.ruled = false;
        self.pos.payload_end = 0;
        self.pos.following = 0;
        self.pos.stats.overflows = self.pos.stats.overflows.saturating_add(1);
        self.pos.mode = if payload_end > held {
            Mode::Discard {
                remaining: payload_end.saturating_sub(held),
            }
        } else {
            Mode::DiscardLine
        };
        Step::of(Kind::Overflow)
    }
}

/// A decoder's position, from [`Decoder::mark`].
#[derive(Clone, Copy)]
pub(crate) struct Mark(Pos);

/// What one [`Decoder::step`] found: where a frame lies in the buffer, already consumed. All
/// kinds have the same fields, so that a step stays in registers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Step {
    /// What was found.
    pub(crate) kind: Kind,
    /// Where its bytes start in the buffer.
    pub(crate) start: usize,
    /// How many bytes (for [`Kind::Garbage`], how many were skipped).
    pub(crate) len: usize,
}

impl Step {
    /// No frame until more bytes arrive.
    const MORE: Self = Self::of(Kind::More);
    /// Something was consumed that is not a frame: step again.
    const SKIP: Self = Self::of(Kind::Skip);

    /// A step with no bytes.
    const fn of(kind: Kind) -> Self {
        Self {
            kind,
            start: 0,
            len: 0,
        }
    }

    /// A step with `len` bytes from `start`.
    const fn at(kind: Kind, start: usize, len: usize) -> Self {
        Self { kind, start, len }
    }
}

/// The kinds of [`Step`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// No frame until more bytes arrive.
    More,
    /// Consumed something that is not a frame (internal to [`Decoder::step`]).
    Skip,
    /// A line ended by CRLF or LF.
    Line,
    /// A segment ended by a lone CR.
    Echo,
    /// The `>` prompt.
    Prompt,
    /// A piece of announced data.
    Data,
    /// [`DecodeError::Overflow`].
    Overflow,
    /// [`DecodeError::Garbage`], as many bytes as `len`.
    Garbage,
    /// [`DecodeError::BadLength`].
    BadLength,
    /// [`DecodeError::Truncated`].
    Truncated,
}
