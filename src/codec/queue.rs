//! A bounded queue of raw lines (a command's response lines, URCs that arrived while a command
//! was in flight), stored back to back in a caller-sized byte array: no allocation, no
//! per-slot size limit. [`Lines`] is a read-only view of such lines for response parsers.
//!
//! When a new line does not fit, the oldest lines are dropped (and counted) until it does; a
//! line larger than the whole queue is dropped itself (and counted). Nothing panics.

/// Bytes of bookkeeping stored before each line: its length (2 bytes, big-endian) and its
/// sequence number (4 bytes).
const HEADER: usize = 6;

/// The queue. `N` is its size in bytes; each line costs its length plus 6. `Debug` shows
/// counts, never the lines (they may carry secrets or payloads).
pub struct LineQueue<const N: usize> {
    buf: [u8; N],
    head: usize,
    tail: usize,
    len: usize,
    dropped: u32,
    /// Lines pushed since creation (wrapping): sequence numbers for [`LineQueue::since`].
    pushed: u32,
}

impl<const N: usize> core::fmt::Debug for LineQueue<N> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("LineQueue")
            .field("lines", &self.len)
            .field("bytes", &self.tail.saturating_sub(self.head))
            .field("capacity", &N)
            .field("dropped", &self.dropped)
            .finish()
    }
}

impl core::fmt::Debug for Repr<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Packed(p) => f
                .debug_tuple("Packed")
                .field(&super::redact::Len(p))
                .finish(),
            Self::Slice(s) => write!(f, "Slice(<{} lines>)", s.len()),
        }
    }
}

impl<const N: usize> Default for LineQueue<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> LineQueue<N> {
    /// An empty queue.
    pub const fn new() -> Self {
        Self {
            buf: [0; N],
            head: 0,
            tail: 0,
            len: 0,
            dropped: 0,
            pushed: 0,
        }
    }

    /// Lines waiting.
    pub fn len(&self) -> usize {
        self.len
    }

    /// No line waiting.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Lines dropped because the queue was full, since creation.
    pub fn dropped(&self) -> u32 {
        self.dropped
    }

    fn record_len(&self, at: usize) -> usize {
        match self.buf.get(at..at.saturating_add(2)) {
            Some(&[hi, lo]) => usize::from(u16::from_be_bytes([hi, lo])),
            _ => 0,
        }
    }

    fn record_seq(&self, at: usize) -> u32 {
        match self
            .buf
            .get(at.saturating_add(2)..at.saturating_add(HEADER))
        {
            Some(&[a, b, c, d]) => u32::from_be_bytes([a, b, c, d]),
            _ => 0,
        }
    }

    fn drop_oldest(&mut self) {
        if self.len == 0 {
            return;
        }
        let n = self.record_len(self.head);
        self.head = self.head.saturating_add(HEADER).saturating_add(n);
        self.len = self.len.saturating_sub(1);
        if self.len == 0 {
            self.head = 0;
            self.tail = 0;
        }
    }

    /// Append a line, dropping the oldest lines if needed. Returns `false` if `line` was
    /// itself too large to keep.
    pub fn push(&mut self, line: &[u8]) -> bool {
        let need = line.len().saturating_add(HEADER);
        let Ok(len16) = u16::try_from(line.len()) else {
            self.dropped = self.dropped.saturating_add(1);
            return false;
        };
        if need > N {
            self.dropped = self.dropped.saturating_add(1);
            return false;
        }
        while N.saturating_sub(self.tail) < need {
            if self.head > 0 {
                // Move the waiting lines to the front.
                shift_down(&mut self.buf, 0, self.head, self.tail);
                self.tail = self.tail.saturating_sub(self.head);
                self.head = 0;
            } else {
                self.drop_oldest();
                self.dropped = self.dropped.saturating_add(1);
            }
        }
        let start = self.tail;
        let Some(dst) = self.buf.get_mut(start..start.saturating_add(need)) else {
            self.dropped = self.dropped.saturating_add(1);
            return false;
        };
        let [l0, l1] = len16.to_be_bytes();
        let [s0, s1, s2, s3] = self.pushed.to_be_bytes();
        let header = [l0, l1, s0, s1, s2, s3];
        // Byte-wise copies: no length check that could panic (`need` is their sum).
        for (d, s) in dst.iter_mut().zip(header.iter().chain(line)) {
            *d = *s;
        }
        self.tail = start.saturating_add(need);
        self.len = self.len.saturating_add(1);
        self.pushed = self.pushed.wrapping_add(1);
        true
    }

    /// Append a line only if it fits beside the lines waiting: nothing is dropped. Returns
    /// `false` (and counts a drop of `line`) when it does not fit.
    pub fn push_keep(&mut self, line: &[u8]) -> bool {
        let need = line.len().saturating_add(HEADER);
        let used = self.tail.saturating_sub(self.head);
        if N.saturating_sub(used) < need {
            self.dropped = self.dropped.saturating_add(1);
            return false;
        }
        self.push(line)
    }

    /// Take the oldest line. It stays valid until the queue is changed again.
    pub fn pop(&mut self) -> Option<&[u8]> {
        if self.len == 0 {
            return None;
        }
        let at = self.head;
        let n = self.record_len(at);
        let body = at.saturating_add(HEADER);
        self.head = body.saturating_add(n);
        self.len = self.len.saturating_sub(1);
        if self.len == 0 {
            // The bytes stay in place until the next push, so the slice below stays valid.
            self.head = 0;
            self.tail = 0;
        }
        self.buf.get(body..body.saturating_add(n))
    }

    /// The waiting lines, oldest first.
    pub fn iter(&self) -> LinesIter<'_> {
        self.lines().iter()
    }

    /// The first `n` bytes of the storage, as left by [`scratch`](Self::scratch) (empty if
    /// `n` is beyond the storage).
    pub fn scratch_bytes(&self, n: usize) -> &[u8] {
        self.buf.get(..n).unwrap_or_default()
    }

    /// The waiting lines as a [`Lines`] view.
    pub fn lines(&self) -> Lines<'_> {
        Lines(Repr::Packed(
            self.buf.get(self.head..self.tail).unwrap_or_default(),
        ))
    }

    /// The whole storage as scratch space, for a caller that uses the queue's RAM for
    /// something else between uses (the client encodes commands here). Empties the queue.
    pub fn scratch(&mut self) -> &mut [u8] {
        self.clear();
        &mut self.buf
    }

    /// A mark for "now": lines pushed after it are the ones [`take_first_since`] looks at.
    ///
    /// [`take_first_since`]: Self::take_first_since
    pub fn since(&self) -> u32 {
        self.pushed
    }

    /// Remove the oldest line for which `f` returns `Some`, and return that value. The other
    /// lines keep their order.
    pub fn take_first<T>(&mut self, f: impl FnMut(&[u8]) -> Option<T>) -> Option<T> {
        self.take(None, f)
    }

    /// [`take_first`](Self::take_first) among the lines pushed after `mark` (from
    /// [`since`](Self::since)); older lines are neither offered nor removed.
    pub fn take_first_since<T>(
        &mut self,
        mark: u32,
        f: impl FnMut(&[u8]) -> Option<T>,
    ) -> Option<T> {
        self.take(Some(mark), f)
    }

    fn take<T>(&mut self, mark: Option<u32>, mut f: impl FnMut(&[u8]) -> Option<T>) -> Option<T> {
        let mut at = self.head;
        while at < self.tail {
            let n = self.record_len(at);
            let body = at.saturating_add(HEADER);
            let next = body.saturating_add(n);
            // Sequence numbers wrap: "after the mark" is within half the range of it.
            let newer = mark.is_none_or(|m| self.record_seq(at).wrapping_sub(m) < 1 << 31);
            let hit = if newer {
                self.buf.get(body..next).and_then(&mut f)
            } else {
                None
            };
            if let Some(t) = hit {
                shift_down(&mut self.buf, at, next, self.tail);
                self.tail = self.tail.saturating_sub(next.saturating_sub(at));
                self.len = self.len.saturating_sub(1);
                if self.len == 0 {
                    self.head = 0;
                    self.tail = 0;
                }
                return Some(t);
            }
            at = next;
        }
        None
    }

    /// Whether any waiting line satisfies `f`.
    pub fn any(&self, f: impl FnMut(&[u8]) -> bool) -> bool {
        self.any_since(None, f)
    }

    /// [`any`](Self::any) among the lines pushed after `mark` (all lines when `None`).
    pub fn any_since(&self, mark: Option<u32>, mut f: impl FnMut(&[u8]) -> bool) -> bool {
        let mut at = self.head;
        while at < self.tail {
            let n = self.record_len(at);
            let body = at.saturating_add(HEADER);
            let next = body.saturating_add(n);
            let newer = mark.is_none_or(|m| self.record_seq(at).wrapping_sub(m) < 1 << 31);
            if newer && self.buf.get(body..next).is_some_and(&mut f) {
                return true;
            }
            at = next;
        }
        false
    }

    /// Remove the oldest line for which `f` is true and return it, borrowed until the queue
    /// is changed again. The other lines keep their order (the line is rotated to the front
    /// in place, then taken).
    pub fn pop_first(&mut self, mut f: impl FnMut(&[u8]) -> bool) -> Option<&[u8]> {
        let mut at = self.head;
        while at < self.tail {
            let n = self.record_len(at);
            let next = at.saturating_add(HEADER).saturating_add(n);
            if self
                .buf
                .get(at.saturating_add(HEADER)..next)
                .is_some_and(&mut f)
            {
                if let Some(span) = self.buf.get_mut(self.head..next) {
                    // A rotation by three reversals: swaps only, no `memmove`.
                    let k = next.saturating_sub(at);
                    reverse(span);
                    if let Some((front, back)) = span.split_at_mut_checked(k) {
                        reverse(front);
                        reverse(back);
                    }
                }
                return self.pop();
            }
            at = next;
        }
        None
    }

    /// Forget every waiting line.
    pub fn clear(&mut self) {
        self.head = 0;
        self.tail = 0;
        self.len = 0;
    }
}

/// Reverse `s` in place by swapping from both ends (no bounds check that could panic).
fn reverse(s: &mut [u8]) {
    let mut rest = s;
    while let [first, middle @ .., last] = rest {
        core::mem::swap(first, last);
        rest = middle;
    }
}

/// Move `buf[src..end]` down to `dst` (`dst <= src`), in pieces no longer than `src - dst`
/// so that no piece overlaps its source: plain copies, no `memmove` (large on a
/// microcontroller).
fn shift_down(buf: &mut [u8], dst: usize, src: usize, end: usize) {
    let gap = src.saturating_sub(dst);
    if gap == 0 {
        return;
    }
    let (mut to, mut from) = (dst, src);
    while from < end {
        let n = end.saturating_sub(from).min(gap);
        let Some((low, high)) = buf.split_at_mut_checked(from) else {
            return;
        };
        match (low.get_mut(to..to.saturating_add(n)), high.get(..n)) {
            (Some(d), Some(s)) => d.copy_from_slice(s),
            _ => return,
        }
        to = to.saturating_add(n);
        from = from.saturating_add(n);
    }
}

/// A read-only list of lines (a command's information response), borrowed from a
/// [`LineQueue`] or from a slice.
#[derive(Debug, Clone, Copy)]
pub struct Lines<'a>(Repr<'a>);

#[derive(Clone, Copy)]
enum Repr<'a> {
    /// Records of a [`LineQueue`]: 2-byte big-endian length, 4-byte sequence number, then
    /// the line.
    Packed(&'a [u8]),
    Slice(&'a [&'a [u8]]),
}

impl<'a> Lines<'a> {
    /// Lines given as a slice (for tests and for parsing lines from elsewhere).
    pub const fn from_slice(lines: &'a [&'a [u8]]) -> Self {
        Self(Repr::Slice(lines))
    }

    /// No lines.
    pub const EMPTY: Lines<'static> = Lines(Repr::Slice(&[]));

    /// The lines in order.
    pub fn iter(&self) -> LinesIter<'a> {
        LinesIter(self.0)
    }

    /// The first line, if any.
    pub fn first(&self) -> Option<&'a [u8]> {
        self.iter().next()
    }

    /// Number of lines.
    pub fn len(&self) -> usize {
        self.iter().count()
    }

    /// No lines at all.
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
            Repr::Packed(p) => {
                let (hdr, rest) = p.split_at_checked(HEADER)?;
                let n = match hdr {
                    &[hi, lo, ..] => usize::from(u16::from_be_bytes([hi, lo])),
                    _ => return None,
                };
                let (line, rest) = rest.split_at_checked(n)?;
                *p = rest;
                Some(line)
            }
        }
    }
}
