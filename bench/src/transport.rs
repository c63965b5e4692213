//! Plugging a model into a driver under test: an in-process byte pipe (tokio `duplex`), its
//! `embedded_io_async::Read + Write` adapter (the delay is `atmodem::host::TokioDelay`).

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
