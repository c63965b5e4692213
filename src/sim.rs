//! A simulated modem (host-only, feature `std`): an `embedded_io_async::Read + Write` that
//! plays the modem side of a script in the [transcript format](crate::transcript).
//!
//! Every byte the host writes is checked against the script's `>>` / `>>|` lines; the first
//! mismatch fails loudly, naming the expected and the actual bytes. The modem's `<<` lines
//! become readable once the host lines before them have been written. Output can be cut into
//! chosen chunk sizes, URCs can be injected at any point, the transport can be made to fail
//! after N bytes, and everything that crossed the wire is recorded as a transcript.
//!
//! Reads wait (stay pending) while the script waits for the host; drive the client with a
//! timeout ([`InstantDelay`] makes timeouts expire after a few polls) and a polling executor
//! such as `embassy_futures::block_on`.

use std::collections::VecDeque;
use std::string::String;
use std::vec::Vec;

use crate::transcript::{self, Event, TranscriptError};

/// Errors of the simulated transport.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SimError {
    /// The host wrote bytes the script did not expect.
    #[error("host wrote {actual:?}, script expected {expected:?}")]
    Mismatch {
        /// What the script expected next (as transcript text).
        expected: String,
        /// What the host wrote (as transcript text).
        actual: String,
    },
    /// The host wrote after the script ended.
    #[error("host wrote {0:?} after the end of the script")]
    Unexpected(String),
    /// The injected transport failure.
    #[error("transport failed (injected)")]
    Broken,
}

impl embedded_io::Error for SimError {
    fn kind(&self) -> embedded_io::ErrorKind {
        match self {
            Self::Broken => embedded_io::ErrorKind::BrokenPipe,
            _ => embedded_io::ErrorKind::InvalidData,
        }
    }
}

/// Which side wrote a recorded piece of traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Host,
    Modem,
}

/// The simulated modem.
#[derive(Debug)]
pub struct SimModem {
    script: VecDeque<Event>,
    /// Modem bytes ready to be read.
    out: VecDeque<u8>,
    /// Host bytes written but not yet matched against a whole script line.
    written: Vec<u8>,
    chunks: Vec<usize>,
    next_chunk: usize,
    fail_after: Option<usize>,
    moved: usize,
    strict: bool,
    record: Vec<(Side, Vec<u8>)>,
    mismatch: Option<SimError>,
}

impl SimModem {
    /// A modem playing `script` (transcript text). Modem lines before the first host line
    /// are readable at once.
    ///
    /// ```
    /// use atmodem::sim::SimModem;
    /// use embedded_io_async::{Read, Write};
    /// // A `<<` line is its text and CR LF (the transcript format).
    /// let mut m = SimModem::new(">> AT+CSQ\n<< +CSQ: 20,99\n<< OK\n").unwrap();
    /// let mut buf = [0u8; 64];
    /// let n = embassy_futures::block_on(async {
    ///     m.write_all(b"AT+CSQ\r").await.unwrap();
    ///     m.read(&mut buf).await.unwrap()
    /// });
    /// assert_eq!(&buf[..n], b"+CSQ: 20,99\r\nOK\r\n");
    /// assert!(m.is_done());
    /// assert!(SimModem::new("AT+CSQ\n").is_err()); // neither `>>` nor `<<`
    /// ```
    pub fn new(script: &str) -> Result<Self, TranscriptError> {
        Ok(Self::from_events(transcript::parse(script)?))
    }

    /// A modem playing already-parsed events.
    ///
    /// ```
    /// use atmodem::sim::SimModem;
    /// use atmodem::transcript::{self, Event};
    /// let events = transcript::parse(">> AT\n<< OK\n").unwrap();
    /// assert_eq!(events, [Event::Command(b"AT\r".to_vec()), Event::Modem(b"OK\r\n".to_vec())]);
    /// assert!(!SimModem::from_events(events).is_done());
    /// assert!(SimModem::from_events(Vec::new()).is_done());
    /// ```
    pub fn from_events(events: Vec<Event>) -> Self {
        let mut sim = Self {
            script: events.into(),
            out: VecDeque::new(),
            written: Vec::new(),
            chunks: Vec::new(),
            next_chunk: 0,
            fail_after: None,
            moved: 0,
            strict: true,
            record: Vec::new(),
            mismatch: None,
        };
        sim.release();
        sim
    }

    /// A modem that answers nothing scripted and sends `bytes` (for fuzzing the client with
    /// arbitrary modem output); host writes are accepted and ignored.
    ///
    /// ```
    /// use atmodem::sim::SimModem;
    /// use embedded_io_async::{Read, Write};
    /// let mut m = SimModem::babbling(b"\xFF+QMTSTAT: 0,1\r\n");
    /// let mut buf = [0u8; 32];
    /// let n = embassy_futures::block_on(async {
    ///     m.write_all(b"anything\r").await.unwrap(); // accepted, never checked
    ///     m.read(&mut buf).await.unwrap()
    /// });
    /// assert_eq!(&buf[..n], b"\xFF+QMTSTAT: 0,1\r\n");
    /// ```
    pub fn babbling(bytes: &[u8]) -> Self {
        let mut sim = Self::from_events(Vec::new());
        sim.out.extend(bytes.iter().copied());
        sim.strict = false;
        sim
    }

    /// Cut the modem's output into reads of these sizes, cycling (0 counts as 1).
    ///
    /// ```
    /// use atmodem::sim::SimModem;
    /// use embedded_io_async::Read;
    /// let mut m = SimModem::new("<< RDY\n").unwrap().with_chunks(&[1, 2]);
    /// let mut buf = [0u8; 8];
    /// let sizes: Vec<usize> = (0..4)
    ///     .map(|_| embassy_futures::block_on(m.read(&mut buf)).unwrap())
    ///     .collect();
    /// assert_eq!(sizes, [1, 2, 1, 1]); // "R", "DY", "\r", "\n"
    /// ```
    pub fn with_chunks(mut self, sizes: &[usize]) -> Self {
        self.chunks = sizes.to_vec();
        self
    }

    /// Fail every read and write once `n` bytes in total have crossed the transport.
    ///
    /// ```
    /// use atmodem::sim::{SimError, SimModem};
    /// use embedded_io_async::Write;
    /// let mut m = SimModem::new(">> AT+CSQ\n<< OK\n").unwrap().fail_after(3);
    /// embassy_futures::block_on(async {
    ///     assert_eq!(m.write(b"AT+CSQ\r").await, Ok(3)); // the first 3 bytes cross
    ///     assert_eq!(m.write(b"CSQ\r").await, Err(SimError::Broken));
    /// });
    /// ```
    pub fn fail_after(mut self, n: usize) -> Self {
        self.fail_after = Some(n);
        self
    }

    /// Make modem bytes readable now, ahead of the script (an unsolicited URC).
    ///
    /// ```
    /// use atmodem::sim::SimModem;
    /// use embedded_io_async::Read;
    /// let mut m = SimModem::new("").unwrap();
    /// m.inject(b"\r\n+QMTSTAT: 0,1\r\n");
    /// let mut buf = [0u8; 32];
    /// let n = embassy_futures::block_on(m.read(&mut buf)).unwrap();
    /// assert_eq!(&buf[..n], b"\r\n+QMTSTAT: 0,1\r\n");
    /// assert!(m.is_done());
    /// ```
    pub fn inject(&mut self, bytes: &[u8]) {
        self.out.extend(bytes.iter().copied());
    }

    /// Whether every scripted line has been played and read.
    ///
    /// ```
    /// use atmodem::sim::SimModem;
    /// use embedded_io_async::{Read, Write};
    /// let mut m = SimModem::new(">> AT\n<< OK\n").unwrap();
    /// assert!(!m.is_done()); // the command is still expected
    /// embassy_futures::block_on(m.write_all(b"AT\r")).unwrap();
    /// assert!(!m.is_done()); // `OK` is still unread
    /// embassy_futures::block_on(m.read(&mut [0u8; 8])).unwrap();
    /// assert!(m.is_done());
    /// ```
    pub fn is_done(&self) -> bool {
        self.script.is_empty() && self.out.is_empty() && self.written.is_empty()
    }

    /// The first mismatch seen, if any.
    ///
    /// ```
    /// use atmodem::sim::{SimError, SimModem};
    /// use embedded_io_async::Write;
    /// let mut m = SimModem::new(">> AT+CSQ\n<< OK\n").unwrap();
    /// assert!(embassy_futures::block_on(m.write_all(b"AT+CREG?\r")).is_err());
    /// assert!(matches!(m.mismatch(), Some(SimError::Mismatch { .. })));
    /// ```
    pub fn mismatch(&self) -> Option<&SimError> {
        self.mismatch.as_ref()
    }

    /// Script lines not played yet, as transcript text (for failure messages).
    ///
    /// ```
    /// use atmodem::sim::SimModem;
    /// let m = SimModem::new(">> AT+CSQ\n<< +CSQ: 20,99\n").unwrap();
    /// assert_eq!(m.remaining(), ">> AT+CSQ\n<<| \"+CSQ: 20,99\\r\\n\"\n");
    /// ```
    pub fn remaining(&self) -> String {
        let mut s = String::new();
        for ev in &self.script {
            let (prefix, bytes) = match ev {
                Event::Command(b) => (">> ", b.strip_suffix(b"\r").unwrap_or(b)),
                Event::HostData(b) => (">>| ", b.as_slice()),
                Event::Modem(b) => ("<<| ", b.as_slice()),
            };
            s.push_str(prefix);
            if prefix == ">> " {
                s.push_str(&String::from_utf8_lossy(bytes));
            } else {
                s.push_str(&transcript::json_string(bytes));
            }
            s.push('\n');
        }
        s
    }

    /// Everything that crossed the wire so far, in the transcript format: host commands as
    /// `>>`, host data as `>>|`, modem lines as `<<` and other modem bytes as `<<|`.
    ///
    /// ```
    /// use atmodem::sim::SimModem;
    /// use embedded_io_async::{Read, Write};
    /// let mut m = SimModem::new(">> AT+CSQ\n<< +CSQ: 20,99\n<< OK\n").unwrap();
    /// embassy_futures::block_on(async {
    ///     m.write_all(b"AT+CSQ\r").await.unwrap();
    ///     m.read(&mut [0u8; 64]).await.unwrap();
    /// });
    /// assert_eq!(m.transcript(), ">> AT+CSQ\n<< +CSQ: 20,99\n<< OK\n");
    /// ```
    pub fn transcript(&self) -> String {
        render(&self.record)
    }

    /// Move modem lines that no longer wait for the host into the output.
    fn release(&mut self) {
        while let Some(Event::Modem(bytes)) = self.script.front() {
            self.out.extend(bytes.iter().copied());
            self.script.pop_front();
        }
    }

    fn check_written(&mut self) -> Result<(), SimError> {
        loop {
            let expected = match self.script.front() {
                Some(Event::Command(b) | Event::HostData(b)) => b.clone(),
                Some(Event::Modem(_)) => {
                    self.release();
                    continue;
                }
                None => {
                    if self.written.is_empty() || !self.strict {
                        self.written.clear();
                        return Ok(());
                    }
                    let actual = String::from_utf8_lossy(&self.written).into_owned();
                    return Err(SimError::Unexpected(actual));
                }
            };
            let n = expected.len().min(self.written.len());
            if self.written.get(..n) != expected.get(..n) {
                if !self.strict {
                    self.written.clear();
                    return Ok(());
                }
                return Err(SimError::Mismatch {
                    expected: transcript::json_string(&expected),
                    actual: transcript::json_string(&self.written),
                });
            }
            if self.written.len() < expected.len() {
                return Ok(());
            }
            self.written.drain(..expected.len());
            self.script.pop_front();
            self.release();
        }
    }

    fn budget(&self, want: usize) -> Result<usize, SimError> {
        match self.fail_after {
            Some(limit) if self.moved >= limit => Err(SimError::Broken),
            Some(limit) => Ok(want.min(limit.saturating_sub(self.moved))),
            None => Ok(want),
        }
    }
}

/// Traffic as transcript text: consecutive pieces of one side are merged, then cut into lines.
fn render(record: &[(Side, Vec<u8>)]) -> String {
    let mut merged: Vec<(Side, Vec<u8>)> = Vec::new();
    for (side, bytes) in record {
        match merged.last_mut() {
            Some((s, b)) if s == side => b.extend_from_slice(bytes),
            _ => merged.push((*side, bytes.clone())),
        }
    }
    let mut text = String::new();
    for (side, bytes) in merged {
        match side {
            Side::Host => host_lines(&bytes, &mut text),
            Side::Modem => modem_lines(&bytes, &mut text),
        }
    }
    text
}

/// A wrapper that records what crosses any transport (a real serial port, say) and prints it
/// in the transcript format, like [`SimModem::transcript`].
#[derive(Debug)]
pub struct Recorder<T> {
    inner: T,
    record: Vec<(Side, Vec<u8>)>,
}

impl<T> Recorder<T> {
    /// Record the traffic of `inner`.
    ///
    /// ```
    /// use atmodem::sim::{Recorder, SimModem};
    /// use embedded_io_async::{Read, Write};
    /// let mut r = Recorder::new(SimModem::new(">> AT\n<< OK\n").unwrap());
    /// embassy_futures::block_on(async {
    ///     r.write_all(b"AT\r").await.unwrap();
    ///     r.read(&mut [0u8; 8]).await.unwrap();
    /// });
    /// assert_eq!(r.transcript(), ">> AT\n<< OK\n");
    /// r.clear();
    /// assert_eq!(r.transcript(), "");
    /// assert!(r.into_inner().is_done());
    /// ```
    pub fn new(inner: T) -> Self {
        Self {
            inner,
            record: Vec::new(),
        }
    }

    /// Everything recorded so far, in the transcript format.
    ///
    /// ```
    /// use atmodem::sim::{Recorder, SimModem};
    /// use embedded_io_async::Write;
    /// let mut r = Recorder::new(SimModem::new(">> AT\n").unwrap());
    /// embassy_futures::block_on(r.write_all(b"AT\r")).unwrap();
    /// assert_eq!(r.transcript(), ">> AT\n");
    /// ```
    pub fn transcript(&self) -> String {
        render(&self.record)
    }

    /// Forget what was recorded (e.g. after printing it).
    ///
    /// ```
    /// use atmodem::sim::{Recorder, SimModem};
    /// use embedded_io_async::Write;
    /// let mut r = Recorder::new(SimModem::new(">> AT\n").unwrap());
    /// embassy_futures::block_on(r.write_all(b"AT\r")).unwrap();
    /// r.clear();
    /// assert_eq!(r.transcript(), "");
    /// ```
    pub fn clear(&mut self) {
        self.record.clear();
    }

    /// The wrapped transport.
    ///
    /// ```
    /// use atmodem::sim::{Recorder, SimModem};
    /// let r = Recorder::new(SimModem::new("").unwrap());
    /// assert!(r.into_inner().is_done());
    /// ```
    pub fn into_inner(self) -> T {
        self.inner
    }
}

impl<T: embedded_io::ErrorType> embedded_io::ErrorType for Recorder<T> {
    type Error = T::Error;
}

impl<T: embedded_io_async::Read> embedded_io_async::Read for Recorder<T> {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, T::Error> {
        let n = self.inner.read(buf).await?;
        if let Some(got) = buf.get(..n) {
            self.record.push((Side::Modem, got.to_vec()));
        }
        Ok(n)
    }
}

impl<T: embedded_io_async::Write> embedded_io_async::Write for Recorder<T> {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, T::Error> {
        let n = self.inner.write(buf).await?;
        if let Some(sent) = buf.get(..n) {
            self.record.push((Side::Host, sent.to_vec()));
        }
        Ok(n)
    }

    async fn flush(&mut self) -> Result<(), T::Error> {
        self.inner.flush().await
    }
}

fn host_lines(bytes: &[u8], text: &mut String) {
    let mut rest = bytes;
    while !rest.is_empty() {
        let is_command = rest.get(..2).is_some_and(|p| p.eq_ignore_ascii_case(b"AT"));
        let line = rest
            .iter()
            .position(|&b| b == b'\r')
            .and_then(|i| Some((rest.get(..i)?, rest.get(i.saturating_add(1)..)?)));
        match line {
            Some((cmd, tail)) if is_command && cmd.iter().all(|&b| (0x20..0x7f).contains(&b)) => {
                text.push_str(">> ");
                text.push_str(&String::from_utf8_lossy(cmd));
                text.push('\n');
                rest = tail;
            }
            _ => {
                text.push_str(">>| ");
                text.push_str(&transcript::json_string(rest));
                text.push('\n');
                rest = &[];
            }
        }
    }
}

fn modem_lines(bytes: &[u8], text: &mut String) {
    let mut rest = bytes;
    while !rest.is_empty() {
        let line = rest.windows(2).position(|w| w == b"\r\n").and_then(|i| {
            let end = i.saturating_add(2);
            Some((rest.get(..i)?, rest.get(..end)?, rest.get(end..)?))
        });
        match line {
            Some((body, _, tail)) if body.iter().all(|&b| (0x20..0x7f).contains(&b)) => {
                if body.is_empty() {
                    text.push_str("<<\n");
                } else {
                    text.push_str("<< ");
                    text.push_str(&String::from_utf8_lossy(body));
                    text.push('\n');
                }
                rest = tail;
            }
            Some((_, with_crlf, tail)) => {
                // A line with CR, LF or binary inside: raw, up to and including its CRLF.
                text.push_str("<<| ");
                text.push_str(&transcript::json_string(with_crlf));
                text.push('\n');
                rest = tail;
            }
            None => {
                text.push_str("<<| ");
                text.push_str(&transcript::json_string(rest));
                text.push('\n');
                rest = &[];
            }
        }
    }
}

impl embedded_io::ErrorType for SimModem {
    type Error = SimError;
}

impl embedded_io_async::Read for SimModem {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, SimError> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.out.is_empty() {
            self.budget(1)?;
            // Nothing to say until the host writes: wait (a timeout ends the wait).
            core::future::pending::<()>().await;
        }
        let mut want = buf.len().min(self.out.len());
        if let Some(size) = self
            .chunks
            .get(self.next_chunk.checked_rem(self.chunks.len()).unwrap_or(0))
        {
            self.next_chunk = self.next_chunk.wrapping_add(1);
            want = want.min((*size).max(1));
        }
        let n = self.budget(want)?;
        if n == 0 {
            return Err(SimError::Broken);
        }
        let mut got = Vec::with_capacity(n);
        for (dst, src) in buf.iter_mut().zip(self.out.drain(..n)) {
            *dst = src;
            got.push(src);
        }
        self.moved = self.moved.saturating_add(n);
        self.record.push((Side::Modem, got));
        Ok(n)
    }
}

impl embedded_io_async::Write for SimModem {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, SimError> {
        let n = self.budget(buf.len())?;
        if n == 0 && !buf.is_empty() {
            return Err(SimError::Broken);
        }
        let taken = buf.get(..n).unwrap_or_default();
        self.written.extend_from_slice(taken);
        self.moved = self.moved.saturating_add(n);
        self.record.push((Side::Host, taken.to_vec()));
        if let Err(e) = self.check_written() {
            std::eprintln!("simulated modem: {e}\nscript left:\n{}", self.remaining());
            self.mismatch = Some(e.clone());
            return Err(e);
        }
        Ok(n)
    }

    async fn flush(&mut self) -> Result<(), SimError> {
        Ok(())
    }
}

/// A `DelayNs` whose delays end after a few polls: with a simulated modem, a timeout then
/// means "the modem had nothing more to say", without waiting in real time.
#[derive(Debug, Clone, Copy, Default)]
pub struct InstantDelay;

impl embedded_hal_async::delay::DelayNs for InstantDelay {
    async fn delay_ns(&mut self, _ns: u32) {
        // Yield a few times so that ready I/O wins any race against this delay.
        for _ in 0..8 {
            embassy_futures::yield_now().await;
        }
    }
}
