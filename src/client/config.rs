//! Timing settings and the counters a caller can read.

/// Counters the caller can read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Stats {
    /// Queued lines discarded to make room in a full queue for a line the call in progress
    /// must read past: status URCs and unknown lines, oldest first (their effect on
    /// sessions is already in [`Links`](super::Links)), then messages of clients whose
    /// session is down. Messages of live sessions are never discarded: when only they fill
    /// the queue, the client stops reading and the call ends with
    /// [`Error::QueueFull`](super::Error::QueueFull). Also counts lines longer than the
    /// whole queue (`Q` minus 8 bytes), which can never be queued.
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
    /// [`Error::ResponseTooLong`](super::Error::ResponseTooLong)).
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
