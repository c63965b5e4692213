//! A deterministic, realistic Quectel MQTT stream for the benchmarks: mostly `+QMTRECV` with
//! Aliyun property-set topics and 50–500-byte JSON payloads, some `+QMTPUBEX`, `+QMTSTAT`,
//! `+QMTPING`, `+CEREG`, `OK`, `ERROR`.
#![allow(dead_code)]

/// A small xorshift generator, so the stream is the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn json_payload(rng: &mut Rng, target: usize) -> String {
    let mut s = format!(
        "{{\"method\":\"thing.service.property.set\",\"id\":\"{}\",\"params\":{{",
        rng.below(1_000_000_000)
    );
    let mut i = 0;
    while s.len() + 40 < target {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&format!(
            "\"prop{i}\":{}.{}",
            rng.below(1000),
            rng.below(10)
        ));
        i += 1;
    }
    s.push_str("},\"version\":\"1.0.0\"}");
    s
}

/// About `size` bytes of modem output.
pub fn quectel_mqtt(size: usize) -> Vec<u8> {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut out = Vec::with_capacity(size + 600);
    let topic = "/sys/a1B2c3D4e5F/device-0001/thing/service/property/set";
    while out.len() < size {
        match rng.below(20) {
            0..=13 => {
                let len = 50 + rng.below(451) as usize;
                let payload = json_payload(&mut rng, len);
                out.extend_from_slice(
                    format!(
                        "\r\n+QMTRECV: 0,{},\"{topic}\",\"{payload}\"\r\n",
                        rng.below(65535)
                    )
                    .as_bytes(),
                );
            }
            14 | 15 => out.extend_from_slice(
                format!("\r\n+QMTPUBEX: 0,{},0\r\n", 1 + rng.below(65534)).as_bytes(),
            ),
            16 => out.extend_from_slice(b"\r\n+QMTPING: 0,1\r\n"),
            17 => out.extend_from_slice(b"\r\n+CEREG: 1,\"550B\",\"5C4EF01\",7\r\n"),
            18 => out.extend_from_slice(b"\r\nOK\r\n"),
            _ => {
                out.extend_from_slice(b"\r\nERROR\r\n");
                out.extend_from_slice(b"\r\n+QMTSTAT: 0,1\r\n");
            }
        }
    }
    out
}

/// A stream of only short URCs.
pub fn short_urcs(size: usize) -> Vec<u8> {
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let mut out = Vec::with_capacity(size + 64);
    while out.len() < size {
        let line = match rng.below(5) {
            0 => format!("+QMTPUBEX: 0,{},0", 1 + rng.below(65534)),
            1 => "+QMTPING: 0,1".to_string(),
            2 => "+CEREG: 1".to_string(),
            3 => "+QMTSTAT: 0,1".to_string(),
            _ => "OK".to_string(),
        };
        out.extend_from_slice(format!("\r\n{line}\r\n").as_bytes());
    }
    out
}
