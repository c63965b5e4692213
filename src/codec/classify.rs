//! Classification: frames in, [`Item`]s out (echo, prompt, response, final code, data, URC).
//!
//! The classifier knows which command is in flight and what its information response looks
//! like ([`Expect`]). While a command is in flight, a line whose token is the command's
//! response token is the command's response (`+CEREG: 2,1` after `AT+CEREG?`), and any other
//! line is a URC, also between the response lines and the final code. The earliest final code
//! ends the command: `ERROR`, a URC and `OK` in one read give the command `ERROR`, then the
//! URC, then an [`Item::Unsolicited`] `OK`.

use super::decoder::{DecodeError, Decoder, Frame, Kind};
use super::dialect::Dialect;
use super::redact::Len;
use super::result::{FinalCode, Prompt};
use super::urc::{token, token_is};

/// What the in-flight command's information response looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Expect {
    /// Tokens of its information lines (`+CSQ`, or `+CGMR` and `Revision`).
    pub tokens: &'static [&'static [u8]],
    /// Lines with no token that no dialect parser knows (`AirM2M_780E_V1169_LTE_AT`, an IMEI)
    /// are also its response.
    pub bare: bool,
}

impl Expect {
    /// A command with no information response (only a final code).
    pub const NOTHING: Self = Self {
        tokens: &[],
        bare: false,
    };

    /// A command whose information lines carry these tokens.
    ///
    /// ```
    /// use atmodem::codec::Expect;
    /// let e = Expect::tokens(&[b"+CGMR", b"Revision"]);
    /// assert_eq!((e.tokens.len(), e.bare), (2, false));
    /// ```
    pub const fn tokens(tokens: &'static [&'static [u8]]) -> Self {
        Self {
            tokens,
            bare: false,
        }
    }

    /// A command that answers with untokenised text lines.
    pub const BARE: Self = Self {
        tokens: &[],
        bare: true,
    };
}

/// One classified piece of modem output, borrowed from the decoder's buffer. `Debug` and
/// `defmt` show raw lines and data by length only (an echo may carry a password).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Item<'a, U> {
    /// The modem echoing a command (`ATE1`), ended by a lone CR or by CRLF.
    Echo(&'a [u8]),
    /// A prompt: the modem waits for data (`>`, `CONNECT`, `DOWNLOAD`).
    Prompt(Prompt<'a>),
    /// An information line of the command in flight.
    Response {
        /// The line's token (`+CSQ`), or the whole line for bare text.
        token: &'a [u8],
        /// The whole line.
        line: &'a [u8],
    },
    /// The final result code of the command in flight.
    Final(FinalCode<'a>),
    /// A final result code while no command is in flight: a late or doubled answer, or a
    /// Luat `ERROR` that reports a failed `AT+MCONNECT` after its `OK`.
    Unsolicited(FinalCode<'a>),
    /// Length-delimited data (after `+HTTPREAD: <len>`, or announced by the caller).
    Data {
        /// This piece of the data.
        bytes: &'a [u8],
        /// Bytes still to come after this piece.
        remaining: usize,
    },
    /// A URC the dialect knows.
    Urc(U),
    /// A line no parser knows. Kept, never dropped.
    Unknown {
        /// The line's token.
        token: &'a [u8],
        /// The whole line.
        line: &'a [u8],
    },
}

/// Something the reader saw that no command claimed: offered to whoever waits for a later
/// result (a URC such as `+QMTOPEN: 0,0`) before it is queued. `Debug` shows an unknown
/// line by length only.
#[derive(Clone, Copy)]
pub enum Seen<'a, U> {
    /// A URC the dialect knows.
    Urc(&'a U),
    /// A line no parser knows.
    Unknown(&'a [u8]),
    /// A final result code with no command in flight (e.g. Luat's `ERROR` after
    /// `AT+MCONNECT`'s `OK`).
    Unsolicited(FinalCode<'a>),
}

impl<U: core::fmt::Debug> core::fmt::Debug for Item<'_, U> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Echo(l) => f.debug_tuple("Echo").field(&Len(l)).finish(),
            Self::Prompt(p) => f.debug_tuple("Prompt").field(p).finish(),
            Self::Response { line, .. } => f
                .debug_struct("Response")
                .field("line", &Len(line))
                .finish(),
            Self::Final(c) => f.debug_tuple("Final").field(c).finish(),
            Self::Unsolicited(c) => f.debug_tuple("Unsolicited").field(c).finish(),
            Self::Data { bytes, remaining } => f
                .debug_struct("Data")
                .field("bytes", &Len(bytes))
                .field("remaining", remaining)
                .finish(),
            Self::Urc(u) => f.debug_tuple("Urc").field(u).finish(),
            Self::Unknown { line, .. } => {
                f.debug_struct("Unknown").field("line", &Len(line)).finish()
            }
        }
    }
}

#[cfg(feature = "defmt")]
impl<U: defmt::Format> defmt::Format for Item<'_, U> {
    fn format(&self, f: defmt::Formatter<'_>) {
        match self {
            Self::Echo(l) => defmt::write!(f, "Echo({})", Len(l)),
            Self::Prompt(p) => defmt::write!(f, "Prompt({})", p),
            Self::Response { line, .. } => defmt::write!(f, "Response({})", Len(line)),
            Self::Final(c) => defmt::write!(f, "Final({})", c),
            Self::Unsolicited(c) => defmt::write!(f, "Unsolicited({})", c),
            Self::Data { bytes, remaining } => {
                defmt::write!(f, "Data({}, {=usize} to come)", Len(bytes), remaining)
            }
            Self::Urc(u) => defmt::write!(f, "Urc({})", u),
            Self::Unknown { line, .. } => defmt::write!(f, "Unknown({})", Len(line)),
        }
    }
}

impl<U: core::fmt::Debug> core::fmt::Debug for Seen<'_, U> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Urc(u) => f.debug_tuple("Urc").field(u).finish(),
            Self::Unknown(l) => f.debug_tuple("Unknown").field(&Len(l)).finish(),
            Self::Unsolicited(c) => f.debug_tuple("Unsolicited").field(c).finish(),
        }
    }
}

/// Tracks the command in flight and classifies frames.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Classifier {
    in_flight: Option<Expect>,
}

impl Classifier {
    /// No command in flight.
    ///
    /// ```
    /// use atmodem::codec::{Classifier, Expect, Frame, Generic, Item};
    /// let mut c = Classifier::new();
    /// assert!(!c.in_flight());
    /// // With no command in flight, a final code is unsolicited.
    /// let item = c.classify::<Generic>(Frame::Line(b"OK"));
    /// assert!(matches!(item, Item::Unsolicited(_)));
    /// ```
    pub const fn new() -> Self {
        Self { in_flight: None }
    }

    /// A command was sent; its information lines look like `expect`.
    ///
    /// ```
    /// use atmodem::codec::{Classifier, Expect, Frame, Generic, Item};
    /// let mut c = Classifier::new();
    /// c.begin(Expect::tokens(&[b"+CSQ"]));
    /// let item = c.classify::<Generic>(Frame::Line(b"+CSQ: 20,99"));
    /// assert!(matches!(item, Item::Response { token: b"+CSQ", .. }));
    /// ```
    pub fn begin(&mut self, expect: Expect) {
        self.in_flight = Some(expect);
    }

    /// Give up on the command in flight (timeout, cancellation).
    ///
    /// ```
    /// use atmodem::codec::{Classifier, Expect, Frame, Generic, Item};
    /// let mut c = Classifier::new();
    /// c.begin(Expect::tokens(&[b"+CSQ"]));
    /// c.abandon();
    /// // A late answer is no longer taken for a response.
    /// let item = c.classify::<Generic>(Frame::Line(b"+CSQ: 20,99"));
    /// assert!(matches!(item, Item::Unknown { .. }));
    /// ```
    pub fn abandon(&mut self) {
        self.in_flight = None;
    }

    /// Whether a command is waiting for its final result code.
    ///
    /// ```
    /// use atmodem::codec::{Classifier, Expect, Frame, Generic, Item};
    /// let mut c = Classifier::new();
    /// c.begin(Expect::NOTHING);
    /// assert!(c.in_flight());
    /// let _ = c.classify::<Generic>(Frame::Line(b"OK"));
    /// assert!(!c.in_flight()); // the final code ended it
    /// ```
    pub fn in_flight(&self) -> bool {
        self.in_flight.is_some()
    }

    /// Classify one frame.
    ///
    /// ```
    /// use atmodem::codec::{Classifier, Expect, FinalCode, Frame, Generic, Item, Urc};
    /// let mut c = Classifier::new();
    /// c.begin(Expect::NOTHING);
    /// assert!(matches!(c.classify::<Generic>(Frame::Echo(b"AT")), Item::Echo(b"AT")));
    /// assert!(matches!(c.classify::<Generic>(Frame::Line(b"RDY")), Item::Urc(Urc::Ready)));
    /// assert!(matches!(c.classify::<Generic>(Frame::Line(b"OK")), Item::Final(FinalCode::Ok)));
    /// ```
    pub fn classify<'a, D: Dialect>(&mut self, frame: Frame<'a>) -> Item<'a, D::Urc<'a>> {
        match frame {
            // A segment ended by a lone CR is the echo of a command. Some firmware (and some
            // USB bridges) end every line with a lone CR: what does not start with `AT` is
            // such a line, and classified as one.
            Frame::Echo(line) if !matches!(line, [b'A' | b'a', b'T' | b't', ..]) => {
                self.classify_line::<D>(line)
            }
            Frame::Echo(line) => Item::Echo(line),
            Frame::Prompt => Item::Prompt(Prompt::Angle),
            Frame::Data { bytes, remaining } => Item::Data { bytes, remaining },
            Frame::Line(line) => self.classify_line::<D>(line),
        }
    }

    fn classify_line<'a, D: Dialect>(&mut self, line: &'a [u8]) -> Item<'a, D::Urc<'a>> {
        if let Some(code) = FinalCode::parse(line) {
            return if self.in_flight.take().is_some() {
                Item::Final(code)
            } else {
                Item::Unsolicited(code)
            };
        }
        // Prompts start with `C` or `D`, echoes with `AT`: most lines are neither.
        if matches!(line.first(), Some(b'C' | b'D' | b'A' | b'a'))
            && let Some(item) = prompt_or_echo(line)
        {
            return item;
        }
        let tok = token(line);
        if let Some(expect) = self.in_flight
            && expects(&expect, tok)
        {
            return Item::Response { token: tok, line };
        }
        match D::parse_urc(tok, line) {
            Some(urc) => Item::Urc(urc),
            None if self.in_flight.is_some_and(|e| e.bare) && line.first() != Some(&b'+') => {
                Item::Response { token: tok, line }
            }
            None => Item::Unknown { token: tok, line },
        }
    }
}

/// A prompt line (`CONNECT`, `DOWNLOAD`), or a command echo that ends in CRLF instead of a
/// lone CR (some firmware, or a terminal in between): no URC or response starts with `AT`.
#[inline(never)]
fn prompt_or_echo<U>(line: &[u8]) -> Option<Item<'_, U>> {
    if let Some(prompt) = Prompt::parse_line(line) {
        return Some(Item::Prompt(prompt));
    }
    matches!(line, [b'A' | b'a', b'T' | b't', ..]).then_some(Item::Echo(line))
}

/// Whether `tok` is one of the in-flight command's response tokens.
#[inline(never)]
fn expects(expect: &Expect, tok: &[u8]) -> bool {
    expect.tokens.iter().any(|t| token_is(tok, t))
}

/// A [`Decoder`] and a [`Classifier`] together: bytes in, [`Item`]s out.
pub struct Reader<D, B> {
    /// The framer.
    pub(crate) decoder: Decoder<D, B>,
    /// The in-flight command tracker.
    pub(crate) classifier: Classifier,
}

impl<D: Dialect, const N: usize> Default for Reader<D, [u8; N]> {
    fn default() -> Self {
        Self::new()
    }
}

impl<D: Dialect, B: AsRef<[u8]>> core::fmt::Debug for Reader<D, B> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Reader")
            .field("decoder", &self.decoder)
            .field("classifier", &self.classifier)
            .finish()
    }
}

impl<D: Dialect, const N: usize> Reader<D, [u8; N]> {
    /// An empty reader with an `N`-byte array buffer and no command in flight.
    ///
    /// ```
    /// use atmodem::codec::{Expect, Generic, Item, Reader};
    /// let mut r: Reader<Generic, [u8; 64]> = Reader::new();
    /// assert!(r.next_item().is_none());
    /// assert!(!r.in_flight());
    /// ```
    pub const fn new() -> Self {
        Self::with_buffer([0; N])
    }
}

impl<D: Dialect, B: AsRef<[u8]> + AsMut<[u8]>> Reader<D, B> {
    /// An empty reader over caller-provided storage.
    ///
    /// ```
    /// use atmodem::codec::{Generic, Item, Reader};
    /// let mut storage = [0u8; 64];
    /// let mut r: Reader<Generic, &mut [u8]> = Reader::with_buffer(&mut storage[..]);
    /// r.feed(b"\r\n+QIND: 1\r\n");
    /// assert!(matches!(r.next_item(), Some(Ok(Item::Unknown { line: b"+QIND: 1", .. }))));
    /// ```
    pub const fn with_buffer(buf: B) -> Self {
        Self {
            decoder: Decoder::with_buffer(buf),
            classifier: Classifier::new(),
        }
    }

    /// Copy bytes in; see [`Decoder::feed`].
    ///
    /// ```
    /// use atmodem::codec::{Expect, Generic, Item, Reader};
    /// let mut r: Reader<Generic, [u8; 8]> = Reader::new();
    /// // Only what fits is taken; feed the rest after taking items.
    /// assert_eq!(r.feed(b"\r\nRDY\r\n\r\nOK\r\n"), 8);
    /// ```
    pub fn feed(&mut self, bytes: &[u8]) -> usize {
        self.decoder.feed(bytes)
    }

    /// A command was sent; its information lines look like `expect`. Lines with other tokens
    /// are URCs until its final result code.
    ///
    /// ```
    /// use atmodem::codec::{Expect, Generic, Item, Reader};
    /// let mut r: Reader<Generic, [u8; 128]> = Reader::new();
    /// r.begin(Expect::tokens(&[b"+CSQ"]));
    /// assert!(r.in_flight());
    /// r.feed(b"\r\n+CSQ: 20,99\r\n\r\nOK\r\n");
    /// assert!(matches!(r.next_item(), Some(Ok(Item::Response { .. }))));
    /// assert!(matches!(r.next_item(), Some(Ok(Item::Final(_)))));
    /// assert!(!r.in_flight());
    /// ```
    pub fn begin(&mut self, expect: Expect) {
        self.classifier.begin(expect);
    }

    /// Give up on the command in flight (a timeout, a cancellation): later lines are URCs.
    ///
    /// ```
    /// use atmodem::codec::{Expect, Generic, Item, Reader};
    /// let mut r: Reader<Generic, [u8; 64]> = Reader::new();
    /// r.begin(Expect::tokens(&[b"+CSQ"]));
    /// r.abandon();
    /// r.feed(b"\r\nOK\r\n");
    /// assert!(matches!(r.next_item(), Some(Ok(Item::Unsolicited(_)))));
    /// ```
    pub fn abandon(&mut self) {
        self.classifier.abandon();
    }

    /// Whether a command is waiting for its final result code.
    ///
    /// ```
    /// use atmodem::codec::{Expect, Generic, Item, Reader};
    /// let mut r: Reader<Generic, [u8; 64]> = Reader::new();
    /// r.begin(Expect::NOTHING);
    /// assert!(r.in_flight());
    /// r.feed(b"\r\nERROR\r\n");
    /// assert!(matches!(r.next_item(), Some(Ok(Item::Final(_)))));
    /// assert!(!r.in_flight());
    /// ```
    pub fn in_flight(&self) -> bool {
        self.classifier.in_flight()
    }

    /// The free space at the end of the buffer, for a transport to read into; follow with
    /// [`commit`](Self::commit). See [`Decoder::spare`].
    ///
    /// ```
    /// use atmodem::codec::{Expect, Generic, Item, Reader};
    /// let mut r: Reader<Generic, [u8; 64]> = Reader::new();
    /// let got = b"\r\nRDY\r\n";
    /// r.spare()[..got.len()].copy_from_slice(got); // a transport's read
    /// r.commit(got.len());
    /// assert!(matches!(r.next_item(), Some(Ok(Item::Urc(_)))));
    /// ```
    pub fn spare(&mut self) -> &mut [u8] {
        self.decoder.spare()
    }

    /// `n` bytes were read into [`spare`](Self::spare).
    ///
    /// ```
    /// use atmodem::codec::{Expect, Generic, Item, Reader};
    /// let mut r: Reader<Generic, [u8; 64]> = Reader::new();
    /// r.spare()[..4].copy_from_slice(b"\r\nOK");
    /// r.commit(4);
    /// assert!(r.next_item().is_none()); // the line has not ended yet
    /// ```
    pub fn commit(&mut self, n: usize) {
        self.decoder.commit(n);
    }

    /// The framer, for its counters ([`Decoder::stats`]).
    ///
    /// ```
    /// use atmodem::codec::{Expect, Generic, Item, Reader};
    /// let mut r: Reader<Generic, [u8; 64]> = Reader::new();
    /// r.feed(b"\x00\x00\r\nRDY\r\n");
    /// while let Some(_) = r.next_item() {}
    /// assert_eq!(r.decoder().stats().overflows, 0);
    /// ```
    pub fn decoder(&self) -> &Decoder<D, B> {
        &self.decoder
    }

    /// The framer, for what a caller that writes commands itself must announce (advanced:
    /// [`Decoder::expect_prompt`] after a command that opens a data phase,
    /// [`Decoder::expect_data`] and [`Decoder::expect_header_block`] for data whose length
    /// the command gave). A client does this itself.
    ///
    /// ```
    /// use atmodem::codec::{Expect, Generic, Item, Reader};
    /// let mut r: Reader<Generic, [u8; 64]> = Reader::new();
    /// // A command was sent that answers with 3 data bytes after `CONNECT`.
    /// r.begin(Expect::NOTHING);
    /// r.decoder_mut().expect_data(3);
    /// r.feed(b"abc\r\nOK\r\n");
    /// assert!(matches!(r.next_item(), Some(Ok(Item::Data { bytes: b"abc", remaining: 0 }))));
    /// ```
    pub fn decoder_mut(&mut self) -> &mut Decoder<D, B> {
        &mut self.decoder
    }

    /// Classify a partial line as if it had ended (the modem has been silent after it); see
    /// [`Decoder::flush_partial`].
    ///
    /// ```
    /// use atmodem::codec::{Expect, Generic, Item, Reader};
    /// let mut r: Reader<Generic, [u8; 64]> = Reader::new();
    /// // Old Luat firmware ends `CONNECT OK` without CRLF.
    /// r.feed(b"\r\nCONNECT OK");
    /// assert!(r.next_item().is_none());
    /// assert!(matches!(r.flush_partial(), Some(Item::Unknown { line: b"CONNECT OK", .. })));
    /// ```
    pub fn flush_partial(&mut self) -> Option<Item<'_, D::Urc<'_>>> {
        let frame = self.decoder.flush_partial()?;
        Some(self.classifier.classify::<D>(frame))
    }

    /// The next item, `None` when more bytes are needed, or a recoverable framing error.
    ///
    /// ```
    /// use atmodem::codec::{Expect, Generic, Item, Reader};
    /// let mut r: Reader<Generic, [u8; 64]> = Reader::new();
    /// r.feed(b"\r\n+CEREG: 1\r\n");
    /// assert!(matches!(r.next_item(), Some(Ok(Item::Urc(_)))));
    /// assert!(r.next_item().is_none()); // more bytes needed
    /// ```
    #[allow(clippy::should_implement_trait)]
    #[inline]
    pub fn next_item(&mut self) -> Option<Result<Item<'_, D::Urc<'_>>, DecodeError>> {
        // A plain line, the most common frame, is classified straight from the step.
        let step = self.decoder.step();
        match step.kind {
            Kind::More => None,
            Kind::Line => {
                let line = self.decoder.bytes_at(step.start, step.len)?;
                Some(Ok(self.classifier.classify_line::<D>(line)))
            }
            _ => {
                let frame = self.decoder.frame_of(step)?;
                Some(frame.map(|f| self.classifier.classify::<D>(f)))
            }
        }
    }
}
