//! Host adapters for tokio (feature `tokio`, which implies `std`).
//!
//! - [`TokioDelay`]: the client's timeout clock on `tokio::time`.
//! - A serial port: open it with `tokio-serial` and wrap it in
//!   `embedded_io_adapters::tokio_1::FromTokio` (crate `embedded-io-adapters`, feature
//!   `tokio-1`), which turns tokio's `AsyncRead + AsyncWrite` into the
//!   `embedded_io_async::Read + Write` the client takes:
//!
//! ```no_run
//! use atmodem::client::{Client, State};
//! use atmodem::dialects::quectel::Quectel;
//! use atmodem::host::TokioDelay;
//! use embedded_io_adapters::tokio_1::FromTokio;
//! use tokio_serial::SerialPortBuilderExt;
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let port = tokio_serial::new("/dev/ttyUSB0", 115_200).open_native_async()?;
//! let mut state: State = State::new();
//! let mut modem: Client<_, _, Quectel> = Client::new(FromTokio::new(port), TokioDelay, &mut state);
//! modem.autobaud().await.map_err(|e| format!("{e:?}"))?;
//! # Ok(())
//! # }
//! ```
//!
//! Any other tokio byte stream (a TCP connection to a serial server, `tokio::io::duplex` in
//! a test) is wired the same way, see [`TokioDelay`]'s example.

use core::time::Duration;

/// An `embedded_hal_async::delay::DelayNs` on tokio's clock (`tokio::time::sleep`).
///
/// The client races it against the modem's answer to time out a command: each delay is one
/// sleep of the whole requested length (no busy polling). It needs a tokio runtime with its
/// time driver enabled (`enable_time` / `enable_all`, or `#[tokio::main]`); outside one, the
/// sleep panics as tokio's does. Dropping the future (the modem answered first, or the
/// caller's future was cancelled) cancels the sleep; nothing is left behind. A module reboot
/// does not concern it: it only measures time.
///
/// ```
/// use atmodem::client::{Awaited, Client, Error, State};
/// use atmodem::dialects::common::Csq;
/// use atmodem::dialects::quectel::Quectel;
/// use atmodem::host::TokioDelay;
/// use embedded_hal_async::delay::DelayNs;
/// use embedded_io_adapters::tokio_1::FromTokio;
///
/// #[tokio::main(flavor = "current_thread")]
/// async fn main() {
///     // A delay really waits: 20 ms of tokio's clock.
///     let start = tokio::time::Instant::now();
///     TokioDelay.delay_ms(20).await;
///     assert!(start.elapsed() >= std::time::Duration::from_millis(20));
///
///     // A client on an in-memory byte stream whose other end never answers: the command
///     // times out on tokio's clock (AT+CSQ allows 300 ms).
///     let (host, _modem) = tokio::io::duplex(256);
///     let mut state: State = State::new();
///     let mut c: Client<_, _, Quectel> = Client::new(FromTokio::new(host), TokioDelay, &mut state);
///     let before = tokio::time::Instant::now();
///     let timed_out = c.send(&Csq).await.map(|_| ());
///     assert!(matches!(timed_out, Err(Error::Timeout(Awaited::Answer("+CSQ")))));
///     assert!(before.elapsed() >= std::time::Duration::from_millis(300));
/// }
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioDelay;

impl embedded_hal_async::delay::DelayNs for TokioDelay {
    async fn delay_ns(&mut self, ns: u32) {
        tokio::time::sleep(Duration::from_nanos(u64::from(ns))).await;
    }

    async fn delay_us(&mut self, us: u32) {
        tokio::time::sleep(Duration::from_micros(u64::from(us))).await;
    }

    async fn delay_ms(&mut self, ms: u32) {
        tokio::time::sleep(Duration::from_millis(u64::from(ms))).await;
    }
}
