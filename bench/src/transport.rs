//! Plugging a model into a driver under test: an in-process byte pipe (tokio `duplex`), its
//! `embedded_io_async::Read + Write` adapter, and a tokio-based `DelayNs`.

use std::time::Duration;

use tokio::io::DuplexStream;

use crate::modem::{self, ModemConfig, ModemHandle};

/// The host side of a model as `embedded_io_async::Read + Write`.
pub type Uart = embedded_io_adapters::tokio_1::FromTokio<DuplexStream>;

/// Spawns a model on an in-process pipe; returns the host side (tokio `AsyncRead +
/// AsyncWrite`) and the model's fault handle. Needs a running tokio runtime.
pub fn spawn_model(cfg: ModemConfig) -> (DuplexStream, ModemHandle) {
    let (host, module) = tokio::io::duplex(64 * 1024);
    let handle = modem::spawn(cfg, module);
    (host, handle)
}

/// The host side wrapped for `embedded_io_async` drivers.
pub fn uart(host: DuplexStream) -> Uart {
    embedded_io_adapters::tokio_1::FromTokio::new(host)
}

/// `embedded_hal_async::delay::DelayNs` on tokio's timer.
#[derive(Debug, Clone, Copy, Default)]
pub struct Delay;

impl embedded_hal_async::delay::DelayNs for Delay {
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
