//! What every probe shares: a fake UART that hands out a recorded Quectel MQTT session in
//! reads of up to 16 bytes, from a static through `black_box` so that nothing is folded away.
#![no_std]

/// Modem output: `+QMTRECV` with an Aliyun topic and JSON payload (with and without the
/// length field), `+QMTPUBEX`, `+QMTPING`, `+QMTSTAT`, `+CEREG`, `OK`, `ERROR`.
pub static STREAM: &[u8] = b"\r\n+QMTRECV: 0,1,\"/sys/a1B2c3D4e5F/device-0001/thing/service/property/set\",\"{\"method\":\"thing.service.property.set\",\"id\":\"1\",\"params\":{\"prop0\":1.5},\"version\":\"1.0.0\"}\"\r\n\
\r\n+QMTRECV: 0,2,\"/sys/a1B2c3D4e5F/device-0001/thing/service/property/set\",18,\"{\"params\":{\"a\":1}}\"\r\n\
\r\n+QMTPUBEX: 0,17,0\r\n\r\n+QMTPING: 0,1\r\n\r\n+CEREG: 1,\"550B\",\"5C4EF01\",7\r\n\
\r\nOK\r\n\r\nERROR\r\n\r\n+QMTSTAT: 0,1\r\n";

/// Luat modem output: `+MSUB` with a JSON payload, `SUBACK`, `PUBACK`, `OK`, `+CEREG`.
pub static LUAT_STREAM: &[u8] = b"\r\n+MSUB: \"/sys/a1B2c3D4e5F/device-0001/thing/service/property/set\",71 byte,{\"method\":\"thing.service.property.set\",\"id\":\"1\",\"params\":{\"prop0\":1.5}}\r\n\
\r\nSUBACK\r\n\r\nPUBACK\r\n\r\nOK\r\n\r\n+CEREG: 1\r\n";

/// A UART that never runs dry: it replays [`STREAM`] (or another recording).
pub struct FakeUart {
    pos: usize,
    stream: &'static [u8],
}

impl Default for FakeUart {
    fn default() -> Self {
        Self::replaying(STREAM)
    }
}

impl FakeUart {
    /// A UART that replays `stream`.
    pub fn replaying(stream: &'static [u8]) -> Self {
        Self { pos: 0, stream }
    }

    /// Copy up to 16 bytes into `buf`; returns how many.
    #[inline(never)]
    pub fn read(&mut self, buf: &mut [u8]) -> usize {
        let src = core::hint::black_box(self.stream);
        let rest = src.get(self.pos..).unwrap_or_default();
        let n = buf.len().min(rest.len()).min(16);
        for (d, s) in buf.iter_mut().zip(rest).take(n) {
            *d = *s;
        }
        self.pos = if self.pos + n >= src.len() {
            0
        } else {
            self.pos + n
        };
        n
    }
}

/// The modem side of a Quectel MQTT session, one answer per command the client sends, in
/// order (the `>` prompt answers the publish command, its `OK` the data after it).
static SESSION: [&[u8]; 10] = [
    b"\r\nOK\r\n",                                  // AT+QMTCFG="version"
    b"\r\nOK\r\n",                                  // AT+QMTCFG="recv/mode"
    b"\r\nOK\r\n",                                  // AT+QMTCFG="ssl"
    b"\r\nOK\r\n\r\n+QMTOPEN: 0,0\r\n",             // AT+QMTOPEN
    b"\r\nOK\r\n\r\n+QMTCONN: 0,0,0\r\n",           // AT+QMTCONN
    b"\r\nOK\r\n\r\n+QMTSUB: 0,1,0,1\r\n",          // AT+QMTSUB
    b"\r\n> ",                                      // AT+QMTPUBEX
    b"\r\nOK\r\n\r\n+QMTPUBEX: 0,2,0\r\n\r\n+QMTRECV: 0,3,\"/sys/i2uqc2dloOl/device001/thing/service/property/set\",18,\"{\"params\":{\"a\":1}}\"\r\n", // the payload
    b"\r\nOK\r\n\r\n+QMTCLOSE: 0,0\r\n",            // AT+QMTCLOSE
    b"",
];

/// A fake `embedded_io_async` UART that answers each write ending a command (`\r`) or a
/// payload with the next answer of a scripted Quectel MQTT session.
#[derive(Default)]
pub struct FakeModem {
    step: usize,
    out: &'static [u8],
}

impl embedded_io::ErrorType for FakeModem {
    type Error = core::convert::Infallible;
}

impl embedded_io_async::Read for FakeModem {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        if self.out.is_empty() {
            // Nothing to say: wait for ever, the caller's timeout ends it.
            core::future::pending::<()>().await;
        }
        let out = core::hint::black_box(self.out);
        let n = buf.len().min(out.len()).min(16);
        for (d, s) in buf.iter_mut().zip(out).take(n) {
            *d = *s;
        }
        self.out = out.get(n..).unwrap_or_default();
        Ok(n)
    }
}

impl embedded_io_async::Write for FakeModem {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
        if buf.last() == Some(&b'\r') || buf.first() == Some(&b'{') {
            self.out = SESSION.get(self.step).copied().unwrap_or_default();
            self.step = (self.step + 1) % (SESSION.len() - 1);
        }
        Ok(buf.len())
    }

    async fn flush(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// A `DelayNs` that yields a few times: a timeout that ends once the fake UART is idle.
pub struct YieldDelay;

impl embedded_hal_async::delay::DelayNs for YieldDelay {
    async fn delay_ns(&mut self, _ns: u32) {
        for _ in 0..8 {
            embassy_futures::yield_now().await;
        }
    }
}
