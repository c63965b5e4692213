//! Whatever the host writes, a model answers and keeps answering: command lines assembled
//! from the grammar's pieces at random (a fixed-seed generator), cut and mixed with garbage.

mod common;

use std::time::Duration;

use atmodem_sim::{Family, Platform};
use common::Host;

const NAMES: &[&str] = &[
    "+QMTCFG",
    "+QMTOPEN",
    "+QMTCONN",
    "+QMTSUB",
    "+QMTUNS",
    "+QMTPUBEX",
    "+QMTPUB",
    "+QMTRECV",
    "+QMTDISC",
    "+QMTCLOSE",
    "+QICSGP",
    "+QIACT",
    "+QIDEACT",
    "+QHTTPCFG",
    "+QHTTPURL",
    "+QHTTPGET",
    "+QHTTPREAD",
    "+QHTTPPOST",
    "+SAPBR",
    "+MCONFIG",
    "+MIPSTART",
    "+SSLMIPSTART",
    "+MCONNECT",
    "+MSUB",
    "+MUNSUB",
    "+MPUB",
    "+MPUBEX",
    "+MQTTMSGSET",
    "+MQTTMSGGET",
    "+MQTTSTATU",
    "+MQTTMODE",
    "+MDISCONNECT",
    "+MIPCLOSE",
    "+HTTPINIT",
    "+HTTPPARA",
    "+HTTPDATA",
    "+HTTPACTION",
    "+HTTPREAD",
    "+HTTPHEAD",
    "+HTTPTERM",
    "+HTTPSSL",
    "+CMEE",
    "+CPIN",
    "+CEREG",
    "+CSQ",
    "+CGPADDR",
    "E",
    "I",
    "",
];
const ARGS: &[&str] = &[
    "0",
    "1",
    "2",
    "-1",
    "65536",
    "99999999999999999999",
    "\"aliauth\"",
    "\"recv/mode\"",
    "\"will\"",
    "\"version\"",
    "\"t\"",
    "\"a.aliyuncs.com\"",
    "\"\\2\"",
    "\"\u{e9}\"",
    "",
    "\"x",
    "\"URL\"",
    "\"https://iot-auth.cn-shanghai.aliyuncs.com/x\"",
    "\u{1f600}",
    "\"\"",
];

struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % n
    }
}

fn line(r: &mut Lcg) -> Vec<u8> {
    let mut s = format!("AT{}", NAMES[r.next(NAMES.len())]);
    match r.next(4) {
        0 => s.push('?'),
        1 => s.push_str("=?"),
        2 => {}
        _ => {
            s.push('=');
            let n = r.next(7);
            let args: Vec<&str> = (0..n).map(|_| ARGS[r.next(ARGS.len())]).collect();
            s.push_str(&args.join(","));
        }
    }
    let mut b = s.into_bytes();
    if r.next(10) == 0 {
        b.extend_from_slice(&[0xff, 0x00, 0x1a, b'\n']);
    }
    b.push(b'\r');
    b
}

#[tokio::test]
async fn random_lines_never_stop_a_model() {
    let p = Platform::start().await.unwrap();
    for family in [Family::Quectel, Family::Luat] {
        let mut h = Host::with(&p, family, |c| c.max_wait = Duration::from_millis(20)).await;
        let mut r = Lcg(7);
        for _ in 0..600 {
            h.send(&line(&mut r)).await;
            // Data phases are fed (or left to time out) by the next lines.
            if r.next(3) == 0 {
                let _ = h.drain_for(Duration::from_millis(1)).await;
            }
        }
        // Flush any data phase, then the model still answers.
        tokio::time::sleep(Duration::from_millis(100)).await;
        let _ = h.drain_for(Duration::from_millis(100)).await;
        h.send(b"ATE0\r").await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        let _ = h.drain_for(Duration::from_millis(50)).await;
        assert_eq!(h.cmd("AT").await, "\r\nOK\r\n", "{family:?}");
    }
}
