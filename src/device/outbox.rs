//! The bounded outbound queue: QoS 1 messages published while the link is down, kept in
//! order in one byte array until the session is back.

use heapless::Vec;

/// Bytes of bookkeeping per queued message (two 16-bit lengths).
pub const RECORD_OVERHEAD: usize = 4;

/// A FIFO of messages (topic and payload) in `N` bytes: each takes its topic's and
/// payload's length plus [`RECORD_OVERHEAD`]. Topics and payloads are stored as given
/// (binary-safe). Taking the oldest shifts the rest down (`N` is small: a few KiB).
///
/// ```
/// use atmodem::device::Outbox;
/// let mut q: Outbox<64> = Outbox::new();
/// q.push("a/b", b"one").unwrap();
/// q.push("a/c", b"two").unwrap();
/// assert_eq!(q.len(), 2);
/// assert_eq!(q.front(), Some(("a/b", &b"one"[..])));
/// q.pop();
/// assert_eq!(q.front(), Some(("a/c", &b"two"[..])));
/// // Too big for what is left: refused, nothing changes.
/// assert!(q.push("t", &[0; 60]).is_err());
/// assert_eq!(q.len(), 1);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Outbox<const N: usize> {
    bytes: Vec<u8, N>,
    count: usize,
}

/// The message does not fit in what is left of the queue (or is longer than 65535 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Full;

fn len_of(b: &[u8], at: usize) -> Option<usize> {
    let hi = *b.get(at)?;
    let lo = *b.get(at.checked_add(1)?)?;
    Some(usize::from(u16::from_be_bytes([hi, lo])))
}

impl<const N: usize> Outbox<N> {
    /// An empty queue.
    ///
    /// ```
    /// use atmodem::device::Outbox;
    /// assert!(Outbox::<16>::new().is_empty());
    /// ```
    pub const fn new() -> Self {
        Self {
            bytes: Vec::new(),
            count: 0,
        }
    }

    /// Messages queued.
    ///
    /// ```
    /// use atmodem::device::Outbox;
    /// let mut q: Outbox<16> = Outbox::new();
    /// q.push("t", b"x").unwrap();
    /// assert_eq!(q.len(), 1);
    /// ```
    pub const fn len(&self) -> usize {
        self.count
    }

    /// Whether nothing is queued.
    ///
    /// ```
    /// use atmodem::device::Outbox;
    /// assert!(Outbox::<8>::new().is_empty());
    /// ```
    pub const fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Bytes used (messages plus their bookkeeping).
    ///
    /// ```
    /// use atmodem::device::{Outbox, RECORD_OVERHEAD};
    /// let mut q: Outbox<16> = Outbox::new();
    /// q.push("t", b"xy").unwrap();
    /// assert_eq!(q.used(), 3 + RECORD_OVERHEAD);
    /// ```
    pub fn used(&self) -> usize {
        self.bytes.len()
    }

    /// Queue a message at the back; [`Full`] (and no change) when it does not fit.
    ///
    /// ```
    /// use atmodem::device::Outbox;
    /// let mut q: Outbox<8> = Outbox::new();
    /// assert!(q.push("t", b"1234").is_err());
    /// assert!(q.push("t", b"123").is_ok());
    /// ```
    pub fn push(&mut self, topic: &str, payload: &[u8]) -> Result<(), Full> {
        let t = u16::try_from(topic.len()).map_err(|_| Full)?;
        let p = u16::try_from(payload.len()).map_err(|_| Full)?;
        let need = RECORD_OVERHEAD
            .checked_add(topic.len())
            .and_then(|n| n.checked_add(payload.len()))
            .ok_or(Full)?;
        if N.saturating_sub(self.bytes.len()) < need {
            return Err(Full);
        }
        for part in [
            &t.to_be_bytes()[..],
            &p.to_be_bytes(),
            topic.as_bytes(),
            payload,
        ] {
            self.bytes.extend_from_slice(part).map_err(|_| Full)?;
        }
        self.count = self.count.saturating_add(1);
        Ok(())
    }

    /// The oldest message, if any.
    ///
    /// ```
    /// use atmodem::device::Outbox;
    /// assert_eq!(Outbox::<8>::new().front(), None);
    /// ```
    pub fn front(&self) -> Option<(&str, &[u8])> {
        let b = self.bytes.as_slice();
        let t = len_of(b, 0)?;
        let p = len_of(b, 2)?;
        let t_end = RECORD_OVERHEAD.checked_add(t)?;
        let topic = core::str::from_utf8(b.get(RECORD_OVERHEAD..t_end)?).ok()?;
        let payload = b.get(t_end..t_end.checked_add(p)?)?;
        Some((topic, payload))
    }

    /// Drop the oldest message (nothing when empty).
    ///
    /// ```
    /// use atmodem::device::Outbox;
    /// let mut q: Outbox<16> = Outbox::new();
    /// q.push("t", b"x").unwrap();
    /// q.pop();
    /// assert!(q.is_empty() && q.used() == 0);
    /// ```
    pub fn pop(&mut self) {
        let Some(size) = self.front().map(|(t, p)| {
            RECORD_OVERHEAD
                .saturating_add(t.len())
                .saturating_add(p.len())
        }) else {
            return;
        };
        let len = self.bytes.len();
        self.bytes.copy_within(size.min(len).., 0);
        self.bytes.truncate(len.saturating_sub(size));
        self.count = self.count.saturating_sub(1);
    }

    /// Drop everything.
    ///
    /// ```
    /// use atmodem::device::Outbox;
    /// let mut q: Outbox<16> = Outbox::new();
    /// q.push("t", b"x").unwrap();
    /// q.clear();
    /// assert!(q.is_empty());
    /// ```
    pub fn clear(&mut self) {
        self.bytes.clear();
        self.count = 0;
    }
}
