//! The client's buffers, owned by the caller.

/// The buffers a [`Client`](super::Client) works in, owned by the caller and lent to one
/// client for its whole life: `RX` bytes for the decoder (the longest line or payload chunk),
/// `RESP` for one command's line and its response lines (the command is encoded there, so it
/// also bounds the longest command), `Q` for queued URCs (each costs its length plus 8 bytes,
/// a message 16). Their RAM cost is their size, and nothing else in the client depends on it.
///
/// `new` is a `const fn`, so a state can sit in a `static` (behind a `StaticCell` or the
/// like) or on the stack of the task that drives the client.
///
/// ```
/// use atmodem::client::{Client, State};
/// use atmodem::dialects::common::Csq;
/// use atmodem::dialects::quectel::Quectel;
/// use atmodem::sim::{InstantDelay, SimModem};
/// let mut state: State = State::new(); // 1024 + 512 + 1024 bytes
/// let modem = SimModem::new(">> AT+CSQ\n<< +CSQ: 20,99\n<< OK\n").unwrap();
/// let mut c: Client<_, _, Quectel> = Client::new(modem, InstantDelay, &mut state);
/// assert_eq!(embassy_futures::block_on(c.send(&Csq)).unwrap().rssi, 20);
///
/// // Smaller buffers for a small module: 256 bytes each.
/// let mut small = State::<256, 256, 256>::new();
/// let c: Client<_, _, Quectel> = Client::new(SimModem::new("").unwrap(), InstantDelay, &mut small);
/// # drop(c);
/// ```
///
/// A client starts with empty buffers whatever the state holds: what an earlier client read
/// and had not handed out is gone with it.
pub struct State<const RX: usize = 1024, const RESP: usize = 512, const Q: usize = 1024> {
    rx: [u8; RX],
    resp: [u8; RESP],
    urcs: [u8; Q],
}

impl<const RX: usize, const RESP: usize, const Q: usize> State<RX, RESP, Q> {
    /// Zeroed buffers.
    ///
    /// ```
    /// use atmodem::client::State;
    /// // A `const fn`: usable in a `static` initialiser.
    /// static BUFFERS: State<512, 256, 512> = State::new();
    /// # let _ = &BUFFERS;
    /// let state: State = State::new();
    /// assert_eq!(core::mem::size_of_val(&state), 1024 + 512 + 1024);
    /// ```
    pub const fn new() -> Self {
        Self {
            rx: [0; RX],
            resp: [0; RESP],
            urcs: [0; Q],
        }
    }

    /// The three buffers, for the client.
    pub(super) fn split(&mut self) -> (&mut [u8], &mut [u8], &mut [u8]) {
        (&mut self.rx, &mut self.resp, &mut self.urcs)
    }
}

impl<const RX: usize, const RESP: usize, const Q: usize> Default for State<RX, RESP, Q> {
    /// As [`State::new`].
    ///
    /// ```
    /// use atmodem::client::State;
    /// let state: State<128, 128, 128> = State::default();
    /// # drop(state);
    /// ```
    fn default() -> Self {
        Self::new()
    }
}

/// Shows the sizes, never the contents (they may hold secrets or payloads).
impl<const RX: usize, const RESP: usize, const Q: usize> core::fmt::Debug for State<RX, RESP, Q> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("State")
            .field("rx", &RX)
            .field("resp", &RESP)
            .field("queue", &Q)
            .finish()
    }
}
