//! Deterministic, realistic modem output for the benchmarks and `examples/stream_pass.rs`:
//!
//! - [`quectel_mqtt`]: mostly `+QMTRECV` with Aliyun property-set topics and 50–500-byte JSON
//!   payloads (every other one with the `recv/mode` length field, which the Quectel dialect
//!   frames by length), some `+QMTPUBEX`, `+QMTSTAT`, `+QMTPING`, `+CEREG`, `OK`, `ERROR`;
//! - [`short_urcs`]: only short URCs (`+QMTPUBEX`, `+QMTPING`, `+CEREG`, `+QMTSTAT`) and `OK`;
//! - [`luat_mqtt`]: Luat pushes `+MSUB: "<topic>",<len> byte,<payload>` with the same JSON
//!   payloads, `SUBACK`, `PUBACK`, some `OK`.
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

const TOPIC: &str = "/sys/a1B2c3D4e5F/device-0001/thing/service/property/set";

/// A `+QMTRECV` of client 0 with a 50–500-byte JSON payload, with or without the length field.
fn qmtrecv(rng: &mut Rng, with_len: bool) -> String {
    let len = 50 + rng.below(451) as usize;
    let payload = json_payload(rng, len);
    let msg_id = rng.below(65535);
    if with_len {
        format!(
            "\r\n+QMTRECV: 0,{msg_id},\"{TOPIC}\",{},\"{payload}\"\r\n",
            payload.len()
        )
    } else {
        format!("\r\n+QMTRECV: 0,{msg_id},\"{TOPIC}\",\"{payload}\"\r\n")
    }
}

/// About `size` bytes of Quectel MQTT traffic.
pub fn quectel_mqtt(size: usize) -> Vec<u8> {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut out = Vec::with_capacity(size + 600);
    let mut with_len = false;
    while out.len() < size {
        match rng.below(20) {
            0..=13 => {
                with_len = !with_len;
                out.extend_from_slice(qmtrecv(&mut rng, with_len).as_bytes());
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

/// About `size` bytes of short URCs only.
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

/// About `size` bytes of Luat MQTT traffic.
pub fn luat_mqtt(size: usize) -> Vec<u8> {
    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    let mut out = Vec::with_capacity(size + 600);
    while out.len() < size {
        match rng.below(20) {
            0..=14 => {
                let len = 50 + rng.below(451) as usize;
                let payload = json_payload(&mut rng, len);
                out.extend_from_slice(
                    format!(
                        "\r\n+MSUB: \"{TOPIC}\",{} byte,{payload}\r\n",
                        payload.len()
                    )
                    .as_bytes(),
                );
            }
            15 | 16 => out.extend_from_slice(b"\r\nPUBACK\r\n"),
            17 => out.extend_from_slice(b"\r\nSUBACK\r\n"),
            _ => out.extend_from_slice(b"\r\nOK\r\n"),
        }
    }
    out
}

/// About `size` bytes of what a connected Quectel client receives while it takes messages:
/// `+QMTRECV` for client 0 (every other one with the length field), some `+QMTPUBEX`,
/// `+CEREG` and late `OK` lines, but no link loss (which would end the session). With
/// `ahead`, that many messages for client 1 come first and are never taken: a client's
/// wait must not grow more costly with them.
pub fn quectel_client(size: usize, ahead: usize) -> Vec<u8> {
    let mut rng = Rng(0x94D0_49BB_1331_11EB);
    let mut out = Vec::with_capacity(size + 600);
    for i in 0..ahead {
        out.extend_from_slice(format!("\r\n+QMTRECV: 1,{i},\"t/1\",2,\"{{}}\"\r\n").as_bytes());
    }
    let mut with_len = false;
    while out.len() < size {
        match rng.below(20) {
            0..=15 => {
                with_len = !with_len;
                out.extend_from_slice(qmtrecv(&mut rng, with_len).as_bytes());
            }
            16 | 17 => out.extend_from_slice(
                format!("\r\n+QMTPUBEX: 0,{},0\r\n", 1 + rng.below(65534)).as_bytes(),
            ),
            18 => out.extend_from_slice(b"\r\n+CEREG: 1,\"550B\",\"5C4EF01\",7\r\n"),
            _ => out.extend_from_slice(b"\r\nOK\r\n"),
        }
    }
    out
}

/// The stream of this name (`quectel_mqtt`, `short_urcs`, `luat_mqtt`, `quectel_client`, or
/// `quectel_client<N>` with `N` messages of client 1 ahead, e.g. `quectel_client16`), about
/// `size` bytes.
pub fn by_name(name: &str, size: usize) -> Option<Vec<u8>> {
    Some(match name {
        "quectel_mqtt" => quectel_mqtt(size),
        "short_urcs" => short_urcs(size),
        "luat_mqtt" => luat_mqtt(size),
        "quectel_client" => quectel_client(size, 0),
        _ => {
            let ahead = name.strip_prefix("quectel_client")?.parse().ok()?;
            quectel_client(size, ahead)
        }
    })
}
