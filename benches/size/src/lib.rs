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
