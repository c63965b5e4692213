//! A bounded queue of raw lines (a command's response lines, URCs that arrived while a command
//! was in flight), stored back to back in a caller-sized byte array: no allocation, no
//! per-slot size limit. [`Lines`] is a read-only view of such lines for response parsers.
//!
//! Each line carries a [`Tag`] decided once, when it was classified (a message of MQTT client
//! 1, a URC that ends a session, ...), so that a wait filters on tags and never parses queued
//! lines again. Taking a line costs no copy: it is marked taken where it lies, and the space
//! of taken lines is reclaimed when a later line needs it, each waiting byte moved once.
//!
//! [`LineQueue::push_tagged`] never drops a line: when a line does not fit it is refused, and
//! the caller stops reading until something is taken (back-pressure). [`LineQueue::push`]
//! drops the oldest lines (and counts them) until the new one fits. Nothing panics.

/// Bytes of bookkeeping stored before each line: its length (2 bytes, big-endian), its
/// sequence number (4 bytes) and its tag (2 bytes).
const HEADER: usize = 8;

/// The kind byte of a line that has been taken (its space is reclaimed later).
const TAKEN: u8 = 0xff;

/// The kind byte of a message record, whose line is preceded by its [`MessageSpans`].
const MESSAGE: u8 = 2;

/// Bytes of a message record's spans, stored between its header and its line (and counted
/// in its length field).
const SPANS: usize = 8;

/// Where a received message's topic and payload lie in its line, found when the line was
/// parsed: taking the message slices the line, with no second parse. Offsets and lengths are
/// in bytes from the line's first byte.
///
/// ```
/// use atmodem::codec::MessageSpans;
/// let line = b"+QMTRECV: 0,1,\"up\",2,\"hi\"";
/// let (topic, payload) = (&line[15..17], &line[22..24]);
/// let spans = MessageSpans::of(line, topic, payload).unwrap();
/// assert_eq!(spans.topic(line), Some(&b"up"[..]));
/// assert_eq!(spans.payload(line), Some(&b"hi"[..]));
/// // Slices from elsewhere have no spans in this line.
/// assert_eq!(MessageSpans::of(line, b"up", payload), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct MessageSpans {
    topic: (u16, u16),
    payload: (u16, u16),
}

impl MessageSpans {
    /// The spans of `topic` and `payload`, two sub-slices of `line`; `None` when either is
    /// not inside `line` or the line is longer than 65,535 bytes.
    ///
    /// ```
    /// use atmodem::codec::MessageSpans;
    /// let line = b"+QMTRECV: 0,1,\"up\",2,\"hi\"";
    /// assert!(MessageSpans::of(line, &line[15..17], &line[22..24]).is_some());
    /// // A slice that is not part of `line` has no span in it.
    /// assert_eq!(MessageSpans::of(line, b"up", &line[22..24]), None);
    /// ```
    pub fn of(line: &[u8], topic: &[u8], payload: &[u8]) -> Option<Self> {
        Some(Self {
            topic: span(line, topic)?,
            payload: span(line, payload)?,
        })
    }

    /// The topic's bytes in `line` (the line the spans were found in).
    ///
    /// ```
    /// use atmodem::codec::MessageSpans;
    /// let line = b"+QMTRECV: 0,1,\"up\",2,\"hi\"";
    /// let spans = MessageSpans::of(line, &line[15..17], &line[22..24]).unwrap();
    /// assert_eq!(spans.topic(line), Some(&b"up"[..]));
    /// // A shorter line does not hold the span.
    /// assert_eq!(spans.topic(b"+QMTRECV"), None);
    /// ```
    pub fn topic<'a>(&self, line: &'a [u8]) -> Option<&'a [u8]> {
        slice(line, self.topic)
    }

    /// The payload's bytes in `line` (the line the spans were found in).
    ///
    /// ```
    /// use atmodem::codec::MessageSpans;
    /// let line = b"+QMTRECV: 0,1,\"up\",2,\"hi\"";
    /// let spans = MessageSpans::of(line, &line[15..17], &line[22..24]).unwrap();
    /// assert_eq!(spans.payload(line), Some(&b"hi"[..]));
    /// ```
    pub fn payload<'a>(&self, line: &'a [u8]) -> Option<&'a [u8]> {
        slice(line, self.payload)
    }

    fn encode(self) -> [u8; SPANS] {
        let [a, b] = self.topic.0.to_be_bytes();
        let [c, d] = self.topic.1.to_be_bytes();
        let [e, f] = self.payload.0.to_be_bytes();
        let [g, h] = self.payload.1.to_be_bytes();
        [a, b, c, d, e, f, g, h]
    }

    fn decode(b: &[u8]) -> Option<Self> {
        let &[a, b, c, d, e, f, g, h] = b else {
            return None;
        };
        let spans = Self {
            topic: (u16::from_be_bytes([a, b]), u16::from_be_bytes([c, d])),
            payload: (u16::from_be_bytes([e, f]), u16::from_be_bytes([g, h])),
        };
        (spans != NO_SPANS).then_some(spans)
    }
}

/// The stored spans of a message queued without them.
const NO_SPANS: MessageSpans = MessageSpans {
    topic: (u16::MAX, u16::MAX),
    payload: (u16::MAX, u16::MAX),
};

/// `part`'s offset and length in `line`, when it lies inside it.
fn span(line: &[u8], part: &[u8]) -> Option<(u16, u16)> {
    let at = (part.as_ptr() as usize).checked_sub(line.as_ptr() as usize)?;
    let end = at.checked_add(part.len())?;
    if end > line.len() {
        return None;
    }
    Some((u16::try_from(at).ok()?, u16::try_from(part.len()).ok()?))
}

fn slice(line: &[u8], (at, len): (u16, u16)) -> Option<&[u8]> {
    let at = usize::from(at);
    line.get(at..at.checked_add(usize::from(len))?)
}

/// What a queued line is, decided once when it was classified.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Tag {
    /// A line no parser knows.
    #[default]
    Unknown,
    /// A URC that is neither a message nor the end of a session.
    Urc,
    /// An MQTT message for this client index.
    Message(u8),
    /// A URC that ends a session: MQTT client `n` closed (`Some(n)`), or every session (a
    /// reboot, a bearer lost: `None`).
    LinkDown(Option<u8>),
}

impl Tag {
    fn encode(self) -> [u8; 2] {
        match self {
            Self::Unknown => [0, 0],
            Self::Urc => [1, 0],
            Self::Message(c) => [MESSAGE, c],
            Self::LinkDown(Some(c)) => [3, c],
            Self::LinkDown(None) => [4, 0],
        }
    }

    fn decode(b: [u8; 2]) -> Option<Self> {
        Some(match b {
            [0, _] => Self::Unknown,
            [1, _] => Self::Urc,
            [2, c] => Self::Message(c),
            [3, c] => Self::LinkDown(Some(c)),
            [4, _] => Self::LinkDown(None),
            _ => return None,
        })
    }
}

/// The queue, over the storage `B`: an array it owns (`LineQueue<[u8; 64]>`, from
/// [`LineQueue::new`]) or a borrowed slice ([`LineQueue::with_buffer`]). Its size in bytes is
/// the storage's; each line costs its length plus 8 (a message's plus 16: its
/// [`MessageSpans`] too). `Debug` shows counts, never the lines (they may carry secrets or
/// payloads).
pub struct LineQueue<B> {
    buf: B,
    /// First record not taken.
    head: usize,
    /// One past the last record of the first region (`head..tail`).
    tail: usize,
    /// One past the last record of the second region (`0..wrap`, after the first in order;
    /// 0 when there is none). New records go there once the first region reaches the end of
    /// the storage while the space before `head` is free: no record is moved for them.
    wrap: usize,
    /// The first taken record of the first region that the head has not reached (where it
    /// starts and its size; size 0 when none is known): the hole [`close_hole`] fills.
    ///
    /// [`close_hole`]: LineQueue::close_hole
    hole: (usize, usize),
    /// Whether `hole` is known to be the first taken record from `head` on (or, with size 0,
    /// that there is none), so that a compaction can leave the records before it in place.
    hole_first: bool,
    /// Every record of the first region from `head` up to here is taken or a message: where
    /// [`discard_first_non_message`] starts looking, so that messages left at the head are
    /// not walked again for every status line discarded behind them. Set back to `head`
    /// whenever records move.
    ///
    /// [`discard_first_non_message`]: LineQueue::discard_first_non_message
    non_message_from: usize,
    /// Lines waiting (taken ones not counted).
    len: usize,
    /// Of them, lines tagged as a message, by client index (indexes from 7 up share the last
    /// count).
    messages: [u16; 8],
    /// Of them, lines tagged as the end of a session.
    link_downs: u16,
    /// Bytes of the lines waiting, headers included.
    live: usize,
    dropped: u32,
    /// Lines pushed since creation (wrapping): sequence numbers for [`LineQueue::since`].
    pushed: u32,
}

impl<B: AsRef<[u8]>> core::fmt::Debug for LineQueue<B> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("LineQueue")
            .field("lines", &self.len)
            .field("bytes", &self.live)
            .field("capacity", &self.buf.as_ref().len())
            .field("dropped", &self.dropped)
            .finish()
    }
}

impl core::fmt::Debug for Repr<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Packed(p, q) => f
                .debug_tuple("Packed")
                .field(&super::redact::Len(p))
                .field(&super::redact::Len(q))
                .finish(),
            Self::Slice(s) => write!(f, "Slice(<{} lines>)", s.len()),
        }
    }
}

impl<const N: usize> Default for LineQueue<[u8; N]> {
    fn default() -> Self {
        Self::new()
    }
}

/// One record of the storage: where its line lies and what it is.
#[derive(Clone, Copy)]
struct Record {
    /// Offset of its header.
    at: usize,
    /// Offset of its line.
    body: usize,
    /// One past its line.
    next: usize,
    seq: u32,
    /// `None` when taken.
    tag: Option<Tag>,
}

impl<const N: usize> LineQueue<[u8; N]> {
    /// An empty queue that owns its storage, `N` bytes.
    ///
    /// ```
    /// use atmodem::codec::LineQueue;
    /// let q: LineQueue<[u8; 64]> = LineQueue::new();
    /// assert!(q.is_empty() && q.iter().next().is_none());
    /// assert_eq!(q.capacity(), 64);
    /// ```
    pub const fn new() -> Self {
        Self::with_buffer([0; N])
    }
}

impl<B: AsRef<[u8]> + AsMut<[u8]>> LineQueue<B> {
    /// An empty queue over `buf` (its contents do not matter), e.g. a slice the caller owns.
    ///
    /// ```
    /// use atmodem::codec::LineQueue;
    /// let mut storage = [0u8; 32];
    /// let mut q = LineQueue::with_buffer(&mut storage[..]);
    /// q.push(b"RDY");
    /// assert_eq!((q.len(), q.capacity()), (1, 32));
    /// ```
    pub const fn with_buffer(buf: B) -> Self {
        Self {
            buf,
            head: 0,
            tail: 0,
            wrap: 0,
            hole: (0, 0),
            hole_first: true,
            non_message_from: 0,
            len: 0,
            messages: [0; 8],
            link_downs: 0,
            live: 0,
            dropped: 0,
            pushed: 0,
        }
    }

    /// The storage's size in bytes.
    ///
    /// ```
    /// use atmodem::codec::LineQueue;
    /// let q: LineQueue<[u8; 48]> = LineQueue::new();
    /// assert_eq!(q.capacity(), 48);
    /// ```
    pub fn capacity(&self) -> usize {
        self.buf.as_ref().len()
    }

    /// Lines waiting.
    ///
    /// ```
    /// use atmodem::codec::{LineQueue, Tag};
    /// let mut q: LineQueue<[u8; 64]> = LineQueue::new();
    /// q.push(b"+CEREG: 1");
    /// q.push(b"RDY");
    /// assert_eq!(q.len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        self.len
    }

    /// No line waiting.
    ///
    /// ```
    /// use atmodem::codec::{LineQueue, Tag};
    /// let mut q: LineQueue<[u8; 64]> = LineQueue::new();
    /// q.push(b"RDY");
    /// assert!(!q.is_empty());
    /// q.pop();
    /// assert!(q.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Lines dropped because the queue was full, since creation.
    ///
    /// ```
    /// use atmodem::codec::{LineQueue, Tag};
    /// // 24 bytes hold two 4-byte lines (8 bytes of bookkeeping each), not three.
    /// let mut q: LineQueue<[u8; 24]> = LineQueue::new();
    /// for line in [&b"AAAA"[..], b"BBBB", b"CCCC"] {
    ///     q.push(line);
    /// }
    /// assert_eq!((q.len(), q.dropped()), (2, 1));
    /// assert_eq!(q.pop(), Some(&b"BBBB"[..]));
    /// ```
    pub fn dropped(&self) -> u32 {
        self.dropped
    }

    /// Whether a line of `len` bytes fits in the empty queue.
    ///
    /// ```
    /// use atmodem::codec::{LineQueue, Tag};
    /// let q: LineQueue<[u8; 64]> = LineQueue::new();
    /// assert!(q.can_hold(56) && !q.can_hold(57));
    /// ```
    pub fn can_hold(&self, len: usize) -> bool {
        self.can_hold_tagged(len, Tag::Unknown)
    }

    /// Whether a line of `len` bytes with tag `tag` fits in the empty queue (a message costs
    /// 8 bytes more: its spans).
    ///
    /// ```
    /// use atmodem::codec::{LineQueue, Tag};
    /// let q: LineQueue<[u8; 64]> = LineQueue::new();
    /// assert!(q.can_hold_tagged(56, Tag::Urc));
    /// assert!(!q.can_hold_tagged(56, Tag::Message(0)));
    /// ```
    pub fn can_hold_tagged(&self, len: usize, tag: Tag) -> bool {
        let stored = stored_len(len, tag);
        stored.saturating_add(HEADER) <= self.capacity() && u16::try_from(stored).is_ok()
    }

    /// Whether a line of `len` bytes would fit beside the lines waiting.
    ///
    /// ```
    /// use atmodem::codec::{LineQueue, Tag};
    /// let mut q: LineQueue<[u8; 32]> = LineQueue::new();
    /// q.push(b"0123456789");
    /// assert!(q.fits(6) && !q.fits(7));
    /// ```
    pub fn fits(&self, len: usize) -> bool {
        self.fits_tagged(len, Tag::Unknown)
    }

    /// Whether a line of `len` bytes with tag `tag` would fit beside the lines waiting.
    ///
    /// ```
    /// use atmodem::codec::{LineQueue, Tag};
    /// let mut q: LineQueue<[u8; 32]> = LineQueue::new();
    /// q.push(b"0123456789");
    /// assert!(q.fits_tagged(6, Tag::Urc) && !q.fits_tagged(6, Tag::Message(1)));
    /// ```
    pub fn fits_tagged(&self, len: usize, tag: Tag) -> bool {
        self.capacity().saturating_sub(self.live) >= stored_len(len, tag).saturating_add(HEADER)
    }

    #[inline]
    fn record(&self, at: usize) -> Option<Record> {
        let h = self.buf.as_ref().get(at..at.checked_add(HEADER)?)?;
        let &[l0, l1, s0, s1, s2, s3, k, key] = h else {
            return None;
        };
        let mut body = at.saturating_add(HEADER);
        let next = body.saturating_add(usize::from(u16::from_be_bytes([l0, l1])));
        if k == MESSAGE {
            // A message's spans come first; they are read only when it is taken.
            body = body.saturating_add(SPANS);
        }
        Some(Record {
            at,
            body,
            next,
            seq: u32::from_be_bytes([s0, s1, s2, s3]),
            tag: if k == TAKEN {
                None
            } else {
                Tag::decode([k, key])
            },
        })
    }

    /// The records in order (the first region, then the second), taken ones included.
    fn records(&self) -> impl Iterator<Item = Record> + '_ {
        let mut at = self.head;
        let mut end = self.tail;
        let mut second = self.wrap > 0;
        core::iter::from_fn(move || {
            if at >= end {
                if !second {
                    return None;
                }
                second = false;
                at = 0;
                end = self.wrap;
                if at >= end {
                    return None;
                }
            }
            let r = self.record(at)?;
            at = r.next;
            Some(r)
        })
    }

    /// Mark a record taken; the head moves past taken records.
    fn mark_taken(&mut self, r: Record) {
        if let Some(k) = self.buf.as_mut().get_mut(r.at.saturating_add(6)) {
            *k = TAKEN;
        }
        self.len = self.len.saturating_sub(1);
        match r.tag {
            Some(Tag::Message(c)) => {
                if let Some(n) = self.messages.get_mut(usize::from(c.min(7))) {
                    *n = n.saturating_sub(1);
                }
            }
            Some(Tag::LinkDown(_)) => self.link_downs = self.link_downs.saturating_sub(1),
            _ => {}
        }
        self.live = self.live.saturating_sub(r.next.saturating_sub(r.at));
        // A record taken at the head is no hole: the head moves past it below.
        if r.at > self.head && r.at < self.tail && (self.hole.1 == 0 || r.at < self.hole.0) {
            self.hole = (r.at, r.next.saturating_sub(r.at));
        }
        loop {
            while self.head < self.tail {
                match self.record(self.head) {
                    Some(h) if h.tag.is_none() => self.head = h.next,
                    _ => break,
                }
            }
            if self.head < self.tail || self.wrap == 0 {
                break;
            }
            // The first region is used up: the second one becomes the first (its taken
            // records are not known).
            self.head = 0;
            self.tail = self.wrap;
            self.wrap = 0;
            self.hole = (0, 0);
            self.hole_first = false;
            self.non_message_from = 0;
        }
        if self.hole.1 > 0 && self.hole.0 < self.head {
            // The head moved past it; taken records after it are not known.
            self.hole = (0, 0);
            self.hole_first = false;
        }
        if self.len == 0 {
            // The bytes stay in place until the next push, so a line just taken stays valid.
            self.head = 0;
            self.tail = 0;
            self.wrap = 0;
            self.hole = (0, 0);
            self.hole_first = true;
            self.non_message_from = 0;
        }
    }

    /// Where the record at `at` ends, and whether it is taken: its header's length and kind
    /// only, for the walks that move records.
    #[inline]
    fn peek(&self, at: usize) -> Option<(usize, bool)> {
        let h = self.buf.as_ref().get(at..at.checked_add(HEADER)?)?;
        let &[l0, l1, _, _, _, _, k, _] = h else {
            return None;
        };
        let next = at
            .saturating_add(HEADER)
            .saturating_add(usize::from(u16::from_be_bytes([l0, l1])));
        Some((next, k == TAKEN))
    }

    /// Squeeze the taken records out of `from..end`, moving the waiting ones down to `to`;
    /// returns one past the last moved, and where the record that was at `mark` now starts
    /// (`to` when no record started there). Each run of waiting records between taken ones
    /// is moved by one copy, each waiting byte once.
    fn squeeze(&mut self, mut to: usize, from: usize, end: usize, mark: usize) -> (usize, usize) {
        let mut at = from;
        // The run of waiting records not moved yet: `run..at`.
        let mut run = from;
        let mut marked = to;
        while at < end {
            if at == mark {
                marked = to.saturating_add(at.saturating_sub(run));
            }
            let Some((next, taken)) = self.peek(at) else {
                break;
            };
            if taken {
                if !move_within(self.buf.as_mut(), run..at, to) {
                    return (to, marked);
                }
                to = to.saturating_add(at.saturating_sub(run));
                run = next;
            }
            at = next;
        }
        if at == mark {
            marked = to.saturating_add(at.saturating_sub(run));
        }
        if move_within(self.buf.as_mut(), run..at, to) {
            to = to.saturating_add(at.saturating_sub(run));
        }
        (to, marked)
    }

    /// Move the waiting records to the front, in order, dropping taken ones. With one region,
    /// each waiting byte is moved once; with two (rare: a line taken from the middle keeps
    /// space locked), the regions are squeezed and then swapped by one rotation.
    fn compact(&mut self) {
        let hole = core::mem::take(&mut self.hole);
        let first = core::mem::replace(&mut self.hole_first, true);
        if self.wrap == 0 {
            // With the head at the start and the first taken record known, the records
            // before it are in place already: the squeeze starts there.
            let (to, from) = if self.head == 0 && first {
                let at = if hole.1 == 0 { self.tail } else { hole.0 };
                (at, at)
            } else {
                (0, self.head)
            };
            // Only taken records leave the span before the search mark: it moves with them.
            let mark = self.non_message_from.max(self.head);
            let (tail, marked) = self.squeeze(to, from, self.tail, mark);
            self.tail = tail;
            self.non_message_from = if mark < from { mark } else { marked };
            self.head = 0;
            return;
        }
        self.non_message_from = 0;
        let (second, _) = self.squeeze(0, 0, self.wrap, usize::MAX);
        // The first region lies after the second (`wrap <= head`): moving it down is safe.
        let (end, _) = self.squeeze(second, self.head, self.tail, usize::MAX);
        if let Some(both) = self.buf.as_mut().get_mut(..end) {
            // [second][first] → [first][second].
            both.rotate_left(second.min(end));
        }
        self.head = 0;
        self.tail = end;
        self.wrap = 0;
    }

    /// Where a record of `need` bytes fits with nothing moved, and whether that is in the
    /// second region.
    fn place(&self, need: usize) -> Option<(usize, bool)> {
        place_in(self.capacity(), self.head, self.tail, self.wrap, need)
    }

    /// Make room for a record of `need` bytes by moving the waiting records before a hole
    /// (lines a reader leaves at the head, usually a few) into it, rather than every record
    /// after it: the first hole of the first region, or the taken records that open the
    /// second region. Done only when the records moved are fewer bytes than the ones a
    /// compaction would move, and when [`place`](Self::place) then finds `need` bytes;
    /// `false` (nothing moved) otherwise. Found in constant time but for the second region's
    /// opening holes, which are walked.
    fn close_hole(&mut self, need: usize) -> bool {
        let (capacity, live) = (self.capacity(), self.live);
        // The first hole of the first region: every byte before it is a waiting record's.
        let (at, size) = core::mem::take(&mut self.hole);
        let in_first = at >= self.head && at.saturating_add(size) <= self.tail;
        if size > 0 && !in_first {
            // Not where it should be: forgotten, and with it what it said.
            self.hole_first = false;
        }
        if size > 0 && in_first {
            let new_head = self.head.saturating_add(size);
            if at.saturating_sub(self.head).saturating_mul(2) <= live
                && place_in(capacity, new_head, self.tail, self.wrap, need).is_some()
                && move_within(self.buf.as_mut(), self.head..at, new_head)
            {
                // The records before the hole moved up by its size; those after it stayed.
                let mark = self.non_message_from.max(self.head);
                self.non_message_from = if mark <= at {
                    mark.saturating_add(size)
                } else {
                    mark
                };
                self.head = new_head;
                // Taken records after the hole are not known.
                self.hole_first = false;
                return true;
            }
            self.hole = (at, size);
        }
        // Else the first region, moved to just before the second region's first waiting
        // record, makes one region with it.
        if self.wrap == 0 {
            return false;
        }
        let mut first_live = self.wrap;
        let mut at = 0usize;
        while at < self.wrap {
            let Some(r) = self.record(at) else {
                return false;
            };
            if r.tag.is_some() {
                first_live = r.at;
                break;
            }
            at = r.next;
        }
        let size = self.tail.saturating_sub(self.head);
        let Some(new_head) = first_live.checked_sub(size) else {
            return false;
        };
        if size.saturating_mul(2) > live
            || place_in(capacity, new_head, self.wrap, 0, need).is_none()
            || !move_within(self.buf.as_mut(), self.head..self.tail, new_head)
        {
            return false;
        }
        self.head = new_head;
        self.tail = self.wrap;
        self.wrap = 0;
        self.hole = (0, 0);
        self.hole_first = false;
        self.non_message_from = new_head;
        true
    }

    fn append(&mut self, line: &[u8], tag: Tag, spans: MessageSpans) -> bool {
        let stored = stored_len(line.len(), tag);
        let Ok(len16) = u16::try_from(stored) else {
            return false;
        };
        let need = stored.saturating_add(HEADER);
        // Where the record goes, and whether that is the second region: free space first,
        // then a hole closed by moving the few records before it, then a compaction.
        let (start, second) = match self.place(need) {
            Some(at) => at,
            None => match self.close_hole(need).then(|| self.place(need)).flatten() {
                Some(at) => at,
                None => {
                    self.compact();
                    (self.tail, false)
                }
            },
        };
        let Some(dst) = self.buf.as_mut().get_mut(start..start.saturating_add(need)) else {
            return false;
        };
        let [l0, l1] = len16.to_be_bytes();
        let [s0, s1, s2, s3] = self.pushed.to_be_bytes();
        let [k, key] = tag.encode();
        let header = [l0, l1, s0, s1, s2, s3, k, key];
        let Some((h, mut body)) = dst.split_at_mut_checked(HEADER) else {
            return false;
        };
        h.copy_from_slice(&header);
        if k == MESSAGE {
            let Some((s, rest)) = body.split_at_mut_checked(SPANS) else {
                return false;
            };
            s.copy_from_slice(&spans.encode());
            body = rest;
        }
        if body.len() != line.len() {
            return false;
        }
        body.copy_from_slice(line);
        if second {
            self.wrap = start.saturating_add(need);
        } else {
            self.tail = start.saturating_add(need);
        }
        self.len = self.len.saturating_add(1);
        match tag {
            Tag::Message(c) => {
                if let Some(n) = self.messages.get_mut(usize::from(c.min(7))) {
                    *n = n.saturating_add(1);
                }
            }
            Tag::LinkDown(_) => self.link_downs = self.link_downs.saturating_add(1),
            _ => {}
        }
        self.live = self.live.saturating_add(need);
        self.pushed = self.pushed.wrapping_add(1);
        true
    }

    /// Append a line with its tag if it fits beside the lines waiting; nothing is dropped.
    /// Returns `false` when it does not fit (the caller keeps the line and tries again once
    /// something has been taken).
    ///
    /// ```
    /// use atmodem::codec::{LineQueue, Tag};
    /// // 56 bytes: each line costs its length plus 8, a message plus 16.
    /// let mut q: LineQueue<[u8; 56]> = LineQueue::new();
    /// assert!(q.push_tagged(b"+CEREG: 1", Tag::Urc));
    /// assert!(q.push_tagged(b"+QMTRECV: 0,...", Tag::Message(0)));
    /// assert!(!q.push_tagged(b"+CEREG: 5", Tag::Urc)); // full: refused, nothing dropped
    /// assert!(q.may_hold_message(0) && !q.may_hold_message(1));
    /// // Taken by tag, without looking at the bytes; the others keep their order.
    /// assert_eq!(
    ///     q.take_tagged(None, |t| t == Tag::Message(0)),
    ///     Some((&b"+QMTRECV: 0,..."[..], Tag::Message(0)))
    /// );
    /// assert!(q.fits(9) && q.can_hold(48) && !q.can_hold(49));
    /// assert!(q.can_hold_tagged(40, Tag::Message(0)) && !q.can_hold_tagged(41, Tag::Message(0)));
    /// assert!(q.any_with(None, |t, line| t == Tag::Urc && line.ends_with(b"1")));
    /// assert!(q.discard_first(|t| t == Tag::Urc));
    /// assert_eq!((q.len(), q.dropped()), (0, 1));
    /// ```
    pub fn push_tagged(&mut self, line: &[u8], tag: Tag) -> bool {
        self.fits_tagged(line.len(), tag) && self.append(line, tag, NO_SPANS)
    }

    /// [`push_tagged`](Self::push_tagged) of a message of MQTT client `client` with the
    /// spans its parse found, handed back by [`take_message`](Self::take_message).
    ///
    /// ```
    /// use atmodem::codec::{LineQueue, MessageSpans, Tag};
    /// let mut q: LineQueue<[u8; 64]> = LineQueue::new();
    /// let line = b"+QMTRECV: 1,0,\"t\",2,\"hi\"";
    /// let spans = MessageSpans::of(line, &line[15..16], &line[21..23]).unwrap();
    /// assert!(q.push_message(line, 1, spans));
    /// assert!(q.push_tagged(b"+CEREG: 1", Tag::Urc));
    /// assert_eq!(q.take_message(0), None);
    /// let (got, s) = q.take_message(1).unwrap();
    /// assert_eq!((got, s.and_then(|s| s.payload(got))), (&line[..], Some(&b"hi"[..])));
    /// // The other lines are untouched.
    /// assert_eq!(q.pop(), Some(&b"+CEREG: 1"[..]));
    /// ```
    pub fn push_message(&mut self, line: &[u8], client: u8, spans: MessageSpans) -> bool {
        let tag = Tag::Message(client);
        self.fits_tagged(line.len(), tag) && self.append(line, tag, spans)
    }

    /// Take the oldest message of MQTT client `client`, with its spans when it was queued
    /// with them ([`push_message`](Self::push_message)). No line is parsed or moved.
    ///
    /// ```
    /// use atmodem::codec::{LineQueue, MessageSpans};
    /// let mut q: LineQueue<[u8; 64]> = LineQueue::new();
    /// let line = b"+QMTRECV: 2,0,\"t\",2,\"hi\"";
    /// q.push_message(line, 2, MessageSpans::of(line, &line[15..16], &line[21..23]).unwrap());
    /// assert_eq!(q.take_message(1), None);
    /// let (got, spans) = q.take_message(2).unwrap();
    /// assert_eq!(spans.and_then(|s| s.topic(got)), Some(&b"t"[..]));
    /// assert!(q.is_empty());
    /// ```
    pub fn take_message(&mut self, client: u8) -> Option<(&[u8], Option<MessageSpans>)> {
        if !self.may_hold_message(client) {
            return None;
        }
        let want = Tag::Message(client);
        let r = self.records().find(|r| r.tag == Some(want))?;
        self.mark_taken(r);
        let at = r.at.saturating_add(HEADER);
        let spans = MessageSpans::decode(self.buf.as_ref().get(at..at.saturating_add(SPANS))?);
        Some((self.buf.as_ref().get(r.body..r.next)?, spans))
    }

    /// Append an untagged line only if it fits beside the lines waiting: nothing is dropped.
    /// Returns `false` (and counts a drop of `line`) when it does not fit.
    ///
    /// ```
    /// use atmodem::codec::{LineQueue, Tag};
    /// let mut q: LineQueue<[u8; 24]> = LineQueue::new();
    /// assert!(q.push_keep(b"AAAA") && q.push_keep(b"BBBB"));
    /// assert!(!q.push_keep(b"CCCC")); // refused: the older lines stay
    /// assert_eq!((q.len(), q.dropped()), (2, 1));
    /// assert_eq!(q.pop(), Some(&b"AAAA"[..]));
    /// ```
    pub fn push_keep(&mut self, line: &[u8]) -> bool {
        if self.push_tagged(line, Tag::Unknown) {
            return true;
        }
        self.dropped = self.dropped.saturating_add(1);
        false
    }

    /// Append a line, dropping the oldest lines if needed. Returns `false` if `line` was
    /// itself too large to keep.
    ///
    /// ```
    /// use atmodem::codec::{LineQueue, Tag};
    /// let mut q: LineQueue<[u8; 24]> = LineQueue::new();
    /// assert!(q.push(b"AAAA") && q.push(b"BBBB") && q.push(b"CCCC"));
    /// assert_eq!(q.pop(), Some(&b"BBBB"[..])); // the oldest went
    /// // A line longer than the whole queue is not kept.
    /// assert!(!q.push(&[b'x'; 17]));
    /// assert_eq!(q.dropped(), 2);
    /// ```
    pub fn push(&mut self, line: &[u8]) -> bool {
        if !self.can_hold(line.len()) {
            self.dropped = self.dropped.saturating_add(1);
            return false;
        }
        while !self.fits(line.len()) {
            let Some(oldest) = self.records().find(|r| r.tag.is_some()) else {
                break;
            };
            self.mark_taken(oldest);
            self.dropped = self.dropped.saturating_add(1);
        }
        self.append(line, Tag::Unknown, NO_SPANS)
    }

    /// Take the oldest line. It stays valid until the queue is changed again.
    ///
    /// ```
    /// use atmodem::codec::{LineQueue, Tag};
    /// let mut q: LineQueue<[u8; 64]> = LineQueue::new();
    /// q.push(b"+CEREG: 1");
    /// q.push(b"RDY");
    /// assert_eq!(q.pop(), Some(&b"+CEREG: 1"[..]));
    /// assert_eq!(q.pop(), Some(&b"RDY"[..]));
    /// assert_eq!(q.pop(), None);
    /// ```
    pub fn pop(&mut self) -> Option<&[u8]> {
        self.pop_tagged().map(|(l, _)| l)
    }

    /// Take the oldest line with its tag.
    ///
    /// ```
    /// use atmodem::codec::{LineQueue, Tag};
    /// let mut q: LineQueue<[u8; 64]> = LineQueue::new();
    /// q.push_tagged(b"RDY", Tag::LinkDown(None));
    /// assert_eq!(q.pop_tagged(), Some((&b"RDY"[..], Tag::LinkDown(None))));
    /// ```
    pub fn pop_tagged(&mut self) -> Option<(&[u8], Tag)> {
        self.take_tagged(None, |_| true)
    }

    /// Take the oldest line (pushed after `mark`, if given) whose tag `want` accepts. No line
    /// is parsed or moved.
    ///
    /// ```
    /// use atmodem::codec::{LineQueue, Tag};
    /// let mut q: LineQueue<[u8; 64]> = LineQueue::new();
    /// q.push_tagged(b"+QMTSTAT: 0,1", Tag::LinkDown(Some(0)));
    /// let mark = q.since();
    /// q.push_tagged(b"+CEREG: 1", Tag::Urc);
    /// q.push_tagged(b"+QMTSTAT: 0,7", Tag::LinkDown(Some(0)));
    /// let down = |t| matches!(t, Tag::LinkDown(_));
    /// assert_eq!(q.take_tagged(Some(mark), down).map(|(l, _)| l), Some(&b"+QMTSTAT: 0,7"[..]));
    /// assert_eq!(q.take_tagged(None, down).map(|(l, _)| l), Some(&b"+QMTSTAT: 0,1"[..]));
    /// assert_eq!(q.len(), 1);
    /// ```
    pub fn take_tagged(
        &mut self,
        mark: Option<u32>,
        mut want: impl FnMut(Tag) -> bool,
    ) -> Option<(&[u8], Tag)> {
        let r = self
            .records()
            .find(|r| newer(r.seq, mark) && r.tag.is_some_and(&mut want))?;
        self.mark_taken(r);
        Some((self.buf.as_ref().get(r.body..r.next)?, r.tag?))
    }

    /// Whether a line tagged as a message of MQTT client `client` may be waiting: `false`
    /// means none is, without looking at any line (clients from 7 up share one count).
    ///
    /// ```
    /// use atmodem::codec::{LineQueue, MessageSpans};
    /// let mut q: LineQueue<[u8; 64]> = LineQueue::new();
    /// let line = b"+QMTRECV: 3,0,\"t\",2,\"hi\"";
    /// q.push_message(line, 3, MessageSpans::of(line, &line[15..16], &line[21..23]).unwrap());
    /// assert!(q.may_hold_message(3) && !q.may_hold_message(0));
    /// ```
    pub fn may_hold_message(&self, client: u8) -> bool {
        self.messages
            .get(usize::from(client.min(7)))
            .is_some_and(|&n| n > 0)
    }

    /// Whether a line tagged as the end of a session ([`Tag::LinkDown`]) may be waiting:
    /// `false` means none is, without looking at any line.
    ///
    /// ```
    /// use atmodem::codec::{LineQueue, Tag};
    /// let mut q: LineQueue<[u8; 64]> = LineQueue::new();
    /// q.push_tagged(b"+CEREG: 1", Tag::Urc);
    /// assert!(!q.may_hold_link_down());
    /// q.push_tagged(b"+QMTSTAT: 0,1", Tag::LinkDown(Some(0)));
    /// assert!(q.may_hold_link_down());
    /// q.discard_first(|t| matches!(t, Tag::LinkDown(_)));
    /// assert!(!q.may_hold_link_down());
    /// ```
    pub fn may_hold_link_down(&self) -> bool {
        self.link_downs > 0
    }

    /// Whether a line (pushed after `mark`, if given) has a tag `want` accepts.
    ///
    /// ```
    /// use atmodem::codec::{LineQueue, Tag};
    /// let mut q: LineQueue<[u8; 64]> = LineQueue::new();
    /// q.push_tagged(b"+QMTSTAT: 0,1", Tag::LinkDown(Some(0)));
    /// let mark = q.since();
    /// assert!(q.any_tagged(None, |t| t == Tag::LinkDown(Some(0))));
    /// assert!(!q.any_tagged(Some(mark), |t| t == Tag::LinkDown(Some(0))));
    /// ```
    pub fn any_tagged(&self, mark: Option<u32>, mut want: impl FnMut(Tag) -> bool) -> bool {
        self.records()
            .any(|r| newer(r.seq, mark) && r.tag.is_some_and(&mut want))
    }

    /// Take the oldest waiting line whose tag `tag` accepts, to make room; returns whether
    /// one was discarded (and counts it).
    ///
    /// ```
    /// use atmodem::codec::{LineQueue, Tag};
    /// let mut q: LineQueue<[u8; 64]> = LineQueue::new();
    /// q.push_tagged(b"+CEREG: 1", Tag::Urc);
    /// assert!(!q.discard_first(|t| t == Tag::Unknown));
    /// assert!(q.discard_first(|t| t == Tag::Urc));
    /// assert_eq!((q.len(), q.dropped()), (0, 1));
    /// ```
    pub fn discard_first(&mut self, tag: impl FnMut(Tag) -> bool) -> bool {
        let found = self.take_tagged(None, tag).is_some();
        if found {
            self.dropped = self.dropped.saturating_add(1);
        }
        found
    }

    /// Take the oldest waiting line that is not a message, to make room; returns whether one
    /// was discarded (and counts it). The same as `discard_first(|t| !matches!(t,
    /// Tag::Message(_)))`, but the messages left waiting at the head (another client's, that
    /// nobody takes yet) are walked past once, not again for every line discarded behind
    /// them.
    ///
    /// It does no I/O: nothing here times out or can be cancelled halfway, and a module
    /// reboot does not reach the queue (the lines queued before it stay until taken or
    /// discarded).
    ///
    /// ```
    /// use atmodem::codec::{LineQueue, MessageSpans, Tag};
    /// let mut q: LineQueue<[u8; 96]> = LineQueue::new();
    /// let line = b"+QMTRECV: 1,0,\"t\",2,\"hi\"";
    /// q.push_message(line, 1, MessageSpans::of(line, &line[15..16], &line[21..23]).unwrap());
    /// q.push_tagged(b"+CEREG: 1", Tag::Urc);
    /// q.push_tagged(b"+QMTSTAT: 0,1", Tag::LinkDown(Some(0)));
    /// assert!(q.discard_first_non_message());
    /// assert!(q.discard_first_non_message());
    /// assert!(!q.discard_first_non_message()); // only the message is left
    /// assert_eq!((q.len(), q.dropped()), (1, 2));
    /// assert!(q.take_message(1).is_some());
    /// ```
    pub fn discard_first_non_message(&mut self) -> bool {
        let not_message = |r: &Record| r.tag.is_some_and(|t| !matches!(t, Tag::Message(_)));
        // The first region from where the last search left off: everything before it is a
        // message or taken.
        let mut at = self.non_message_from.max(self.head);
        let mut found = None;
        while at < self.tail {
            let Some(r) = self.record(at) else {
                break;
            };
            if not_message(&r) {
                found = Some(r);
                break;
            }
            at = r.next;
        }
        self.non_message_from = at;
        // Then the second region.
        let mut at = 0usize;
        while found.is_none() && at < self.wrap {
            let Some(r) = self.record(at) else {
                break;
            };
            if not_message(&r) {
                found = Some(r);
            }
            at = r.next;
        }
        let Some(r) = found else {
            return false;
        };
        self.mark_taken(r);
        self.dropped = self.dropped.saturating_add(1);
        true
    }

    /// The waiting lines, oldest first.
    ///
    /// ```
    /// use atmodem::codec::{LineQueue, Tag};
    /// let mut q: LineQueue<[u8; 64]> = LineQueue::new();
    /// q.push(b"a");
    /// q.push(b"b");
    /// assert!(q.iter().eq([&b"a"[..], b"b"]));
    /// ```
    pub fn iter(&self) -> LinesIter<'_> {
        self.lines().iter()
    }

    /// The first `n` bytes of the storage, as left by [`scratch`](Self::scratch) (empty if
    /// `n` is beyond the storage).
    ///
    /// ```
    /// use atmodem::codec::{LineQueue, Tag};
    /// let mut q: LineQueue<[u8; 16]> = LineQueue::new();
    /// q.scratch()[..3].copy_from_slice(b"AT\r");
    /// assert_eq!(q.scratch_bytes(3), b"AT\r");
    /// assert_eq!(q.scratch_bytes(17), b"");
    /// ```
    pub fn scratch_bytes(&self, n: usize) -> &[u8] {
        self.buf.as_ref().get(..n).unwrap_or_default()
    }

    /// The waiting lines as a [`Lines`] view.
    ///
    /// ```
    /// use atmodem::codec::{LineQueue, Tag};
    /// let mut q: LineQueue<[u8; 64]> = LineQueue::new();
    /// q.push(b"+CSQ: 20,99");
    /// let lines = q.lines();
    /// assert_eq!((lines.len(), lines.first()), (1, Some(&b"+CSQ: 20,99"[..])));
    /// ```
    pub fn lines(&self) -> Lines<'_> {
        Lines(Repr::Packed(
            self.buf
                .as_ref()
                .get(self.head..self.tail)
                .unwrap_or_default(),
            self.buf.as_ref().get(..self.wrap).unwrap_or_default(),
        ))
    }

    /// The whole storage as scratch space, for a caller that uses the queue's RAM for
    /// something else between uses (the client encodes commands here). Empties the queue.
    ///
    /// ```
    /// use atmodem::codec::{LineQueue, Tag};
    /// let mut q: LineQueue<[u8; 16]> = LineQueue::new();
    /// q.push(b"RDY");
    /// assert_eq!(q.scratch().len(), 16);
    /// assert!(q.is_empty());
    /// ```
    pub fn scratch(&mut self) -> &mut [u8] {
        self.clear();
        self.buf.as_mut()
    }

    /// A mark for "now": lines pushed after it are the ones [`take_first_since`] looks at.
    ///
    /// [`take_first_since`]: Self::take_first_since
    ///
    /// ```
    /// use atmodem::codec::{LineQueue, Tag};
    /// let mut q: LineQueue<[u8; 64]> = LineQueue::new();
    /// q.push(b"old");
    /// let mark = q.since();
    /// q.push(b"new");
    /// assert_eq!(q.take_first_since(mark, |l| Some(l.len())), Some(3));
    /// assert_eq!(q.pop(), Some(&b"old"[..]));
    /// ```
    pub fn since(&self) -> u32 {
        self.pushed
    }

    /// Remove the oldest line for which `f` returns `Some`, and return that value. The other
    /// lines keep their order.
    ///
    /// ```
    /// use atmodem::codec::{LineQueue, Tag};
    /// let mut q: LineQueue<[u8; 64]> = LineQueue::new();
    /// q.push(b"+CEREG: 1");
    /// q.push(b"+CSQ: 20,99");
    /// let rssi = q.take_first(|l| l.strip_prefix(b"+CSQ: ").map(|r| r[..2].to_vec()));
    /// assert_eq!(rssi.as_deref(), Some(&b"20"[..]));
    /// assert!(q.iter().eq([&b"+CEREG: 1"[..]]));
    /// ```
    pub fn take_first<T>(&mut self, f: impl FnMut(&[u8]) -> Option<T>) -> Option<T> {
        self.take(None, f)
    }

    /// [`take_first`](Self::take_first) among the lines pushed after `mark` (from
    /// [`since`](Self::since)); older lines are neither offered nor removed.
    ///
    /// ```
    /// use atmodem::codec::{LineQueue, Tag};
    /// let mut q: LineQueue<[u8; 64]> = LineQueue::new();
    /// q.push(b"+QMTOPEN: 0,3");
    /// let mark = q.since();
    /// q.push(b"+QMTOPEN: 0,0");
    /// let code = q.take_first_since(mark, |l| l.strip_prefix(b"+QMTOPEN: 0,").map(|c| c[0]));
    /// assert_eq!(code, Some(b'0'));
    /// assert_eq!(q.len(), 1); // the earlier one is neither offered nor removed
    /// ```
    pub fn take_first_since<T>(
        &mut self,
        mark: u32,
        f: impl FnMut(&[u8]) -> Option<T>,
    ) -> Option<T> {
        self.take(Some(mark), f)
    }

    fn take<T>(&mut self, mark: Option<u32>, mut f: impl FnMut(&[u8]) -> Option<T>) -> Option<T> {
        self.take_with(mark, |_, line| f(line))
    }

    /// Remove the oldest line (pushed after `mark`, if given) for which `f`, given its tag and
    /// its bytes, returns `Some`, and return that value. `f` can decide on the tag alone and
    /// look at the bytes only when it must.
    ///
    /// ```
    /// use atmodem::codec::{LineQueue, Tag};
    /// let mut q: LineQueue<[u8; 64]> = LineQueue::new();
    /// q.push_tagged(b"+CEREG: 1", Tag::Urc);
    /// q.push_tagged(b"RDY", Tag::LinkDown(None));
    /// let got = q.take_with(None, |t, l| (t == Tag::LinkDown(None)).then_some(l.len()));
    /// assert_eq!((got, q.len()), (Some(3), 1));
    /// ```
    pub fn take_with<T>(
        &mut self,
        mark: Option<u32>,
        mut f: impl FnMut(Tag, &[u8]) -> Option<T>,
    ) -> Option<T> {
        let mut hit = None;
        for r in self.records() {
            let Some(tag) = r.tag else {
                continue;
            };
            if !newer(r.seq, mark) {
                continue;
            }
            if let Some(t) = self
                .buf
                .as_ref()
                .get(r.body..r.next)
                .and_then(|l| f(tag, l))
            {
                hit = Some((r, t));
                break;
            }
        }
        let (r, t) = hit?;
        self.mark_taken(r);
        Some(t)
    }

    /// Whether a line (pushed after `mark`, if given) satisfies `f`, given its tag and bytes.
    ///
    /// ```
    /// use atmodem::codec::{LineQueue, Tag};
    /// let mut q: LineQueue<[u8; 64]> = LineQueue::new();
    /// q.push_tagged(b"+QMTSTAT: 0,1", Tag::LinkDown(Some(0)));
    /// assert!(q.any_with(None, |t, l| t == Tag::LinkDown(Some(0)) && l.ends_with(b",1")));
    /// assert!(!q.any_with(Some(q.since()), |_, _| true));
    /// ```
    pub fn any_with(&self, mark: Option<u32>, mut f: impl FnMut(Tag, &[u8]) -> bool) -> bool {
        self.records().any(|r| {
            newer(r.seq, mark)
                && r.tag.is_some_and(|t| {
                    self.buf
                        .as_ref()
                        .get(r.body..r.next)
                        .is_some_and(|l| f(t, l))
                })
        })
    }

    /// Whether any waiting line satisfies `f`.
    ///
    /// ```
    /// use atmodem::codec::{LineQueue, Tag};
    /// let mut q: LineQueue<[u8; 64]> = LineQueue::new();
    /// q.push(b"+CEREG: 1");
    /// assert!(q.any(|l| l.starts_with(b"+CEREG")));
    /// assert!(!q.any(|l| l.starts_with(b"RDY")));
    /// ```
    pub fn any(&self, f: impl FnMut(&[u8]) -> bool) -> bool {
        self.any_since(None, f)
    }

    /// [`any`](Self::any) among the lines pushed after `mark` (all lines when `None`).
    ///
    /// ```
    /// use atmodem::codec::{LineQueue, Tag};
    /// let mut q: LineQueue<[u8; 64]> = LineQueue::new();
    /// q.push(b"RDY");
    /// let mark = q.since();
    /// assert!(q.any_since(None, |l| l == b"RDY"));
    /// assert!(!q.any_since(Some(mark), |l| l == b"RDY"));
    /// ```
    pub fn any_since(&self, mark: Option<u32>, mut f: impl FnMut(&[u8]) -> bool) -> bool {
        self.records().any(|r| {
            r.tag.is_some()
                && newer(r.seq, mark)
                && self.buf.as_ref().get(r.body..r.next).is_some_and(&mut f)
        })
    }

    /// Remove the oldest line for which `f` is true and return it, borrowed until the queue
    /// is changed again. The other lines keep their order; nothing is moved.
    ///
    /// ```
    /// use atmodem::codec::{LineQueue, Tag};
    /// let mut q: LineQueue<[u8; 64]> = LineQueue::new();
    /// q.push(b"+CEREG: 1");
    /// q.push(b"+QIND: 1");
    /// assert_eq!(q.pop_first(|l| l.starts_with(b"+QIND")), Some(&b"+QIND: 1"[..]));
    /// assert_eq!(q.pop_first(|l| l.starts_with(b"+QIND")), None);
    /// assert_eq!(q.len(), 1);
    /// ```
    pub fn pop_first(&mut self, mut f: impl FnMut(&[u8]) -> bool) -> Option<&[u8]> {
        let r = self.records().find(|r| {
            r.tag.is_some() && self.buf.as_ref().get(r.body..r.next).is_some_and(&mut f)
        })?;
        self.mark_taken(r);
        self.buf.as_ref().get(r.body..r.next)
    }

    /// Forget every waiting line.
    ///
    /// ```
    /// use atmodem::codec::{LineQueue, Tag};
    /// let mut q: LineQueue<[u8; 64]> = LineQueue::new();
    /// q.push(b"RDY");
    /// q.clear();
    /// assert!(q.is_empty() && q.pop().is_none());
    /// ```
    pub fn clear(&mut self) {
        self.head = 0;
        self.tail = 0;
        self.wrap = 0;
        self.hole = (0, 0);
        self.hole_first = true;
        self.non_message_from = 0;
        self.len = 0;
        self.messages = [0; 8];
        self.link_downs = 0;
        self.live = 0;
    }
}

/// Bytes a line of `len` bytes takes after its header: a message's spans come first.
fn stored_len(len: usize, tag: Tag) -> usize {
    match tag {
        Tag::Message(_) => len.saturating_add(SPANS),
        _ => len,
    }
}

/// Whether sequence number `seq` is after `mark` (all are when `None`). Sequence numbers wrap:
/// "after the mark" is within half the range of it.
fn newer(seq: u32, mark: Option<u32>) -> bool {
    mark.is_none_or(|m| seq.wrapping_sub(m) < 1 << 31)
}

/// Where a record of `need` bytes fits in a queue of `capacity` bytes whose first region is
/// `head..tail` and whose second is `0..wrap` (none when `wrap` is 0), with nothing moved,
/// and whether that is in the second region.
fn place_in(
    capacity: usize,
    head: usize,
    tail: usize,
    wrap: usize,
    need: usize,
) -> Option<(usize, bool)> {
    if wrap > 0 && head.saturating_sub(wrap) >= need {
        Some((wrap, true))
    } else if wrap == 0 && capacity.saturating_sub(tail) >= need {
        Some((tail, false))
    } else if wrap == 0 && head >= need && tail > head {
        // Start the second region before the head: nothing moves.
        Some((0, true))
    } else {
        None
    }
}

/// Copy `buf[src]` to `buf[dst..]` (the ranges may overlap: a `memmove`, which a client
/// links anyway for its futures' states; nothing is copied when they are the same, as for
/// the records a compaction leaves in place); `false`, and nothing moved, when either range
/// lies outside `buf`.
fn move_within(buf: &mut [u8], src: core::ops::Range<usize>, dst: usize) -> bool {
    let fits = src.start <= src.end
        && src.end <= buf.len()
        && dst
            .checked_add(src.end.saturating_sub(src.start))
            .is_some_and(|e| e <= buf.len());
    if fits && dst != src.start {
        buf.copy_within(src, dst);
    }
    fits
}

/// A read-only list of lines (a command's information response), borrowed from a
/// [`LineQueue`] or from a slice.
#[derive(Debug, Clone, Copy)]
pub struct Lines<'a>(Repr<'a>);

#[derive(Clone, Copy)]
enum Repr<'a> {
    /// Records of a [`LineQueue`], in two regions (the second follows the first in order):
    /// 2-byte big-endian length, 4-byte sequence number, 2-byte tag, then (for a message) its
    /// 8 bytes of spans, then the line.
    Packed(&'a [u8], &'a [u8]),
    Slice(&'a [&'a [u8]]),
}

impl<'a> Lines<'a> {
    /// Lines given as a slice (for tests and for parsing lines from elsewhere).
    ///
    /// ```
    /// use atmodem::codec::Lines;
    /// let lines = Lines::from_slice(&[b"+CGPADDR: 1,\"10.0.0.1\""]);
    /// assert_eq!(lines.len(), 1);
    /// ```
    pub const fn from_slice(lines: &'a [&'a [u8]]) -> Self {
        Self(Repr::Slice(lines))
    }

    /// No lines.
    pub const EMPTY: Lines<'static> = Lines(Repr::Slice(&[]));

    /// The lines in order.
    ///
    /// ```
    /// use atmodem::codec::Lines;
    /// let lines = Lines::from_slice(&[b"a", b"b"]);
    /// assert!(lines.iter().eq([&b"a"[..], b"b"]));
    /// ```
    pub fn iter(&self) -> LinesIter<'a> {
        LinesIter(self.0)
    }

    /// The first line, if any.
    ///
    /// ```
    /// use atmodem::codec::Lines;
    /// assert_eq!(Lines::from_slice(&[b"a", b"b"]).first(), Some(&b"a"[..]));
    /// assert_eq!(Lines::EMPTY.first(), None);
    /// ```
    pub fn first(&self) -> Option<&'a [u8]> {
        self.iter().next()
    }

    /// Number of lines.
    ///
    /// ```
    /// use atmodem::codec::Lines;
    /// assert_eq!(Lines::from_slice(&[b"a", b"b"]).len(), 2);
    /// assert_eq!(Lines::EMPTY.len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.iter().count()
    }

    /// No lines at all.
    ///
    /// ```
    /// use atmodem::codec::Lines;
    /// assert!(Lines::EMPTY.is_empty());
    /// assert!(!Lines::from_slice(&[b""]).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.first().is_none()
    }
}

impl<'a> IntoIterator for Lines<'a> {
    type Item = &'a [u8];
    type IntoIter = LinesIter<'a>;
    fn into_iter(self) -> LinesIter<'a> {
        self.iter()
    }
}

/// Iterator over [`Lines`].
#[derive(Debug, Clone)]
pub struct LinesIter<'a>(Repr<'a>);

impl<'a> Iterator for LinesIter<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        match &mut self.0 {
            Repr::Slice(s) => {
                let (first, rest) = s.split_first()?;
                *s = rest;
                Some(first)
            }
            Repr::Packed(p, q) => loop {
                if p.is_empty() {
                    // The first region is read: go on with the second.
                    *p = core::mem::take(q);
                }
                let (hdr, rest) = p.split_at_checked(HEADER)?;
                let (n, k) = match hdr {
                    &[hi, lo, _, _, _, _, k, _] => (usize::from(u16::from_be_bytes([hi, lo])), k),
                    _ => return None,
                };
                let (line, rest) = rest.split_at_checked(n)?;
                *p = rest;
                match k {
                    TAKEN => {}
                    MESSAGE => return line.get(SPANS..),
                    _ => return Some(line),
                }
            },
        }
    }
}
