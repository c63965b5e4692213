//! The binary's pseudo-terminal mode and its help.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[test]
fn help_lists_the_test_devices() {
    let out = Command::new(env!("CARGO_BIN_EXE_atmodem-sim"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for secret in [
        "c4fa40df9c8078073d75a26be2bc8f58",
        "xTzMxVmm9HUY19Pr",
        "cSsjZJ19qkGDLvwR",
        "VWll9fiYWKiwraBk",
    ] {
        assert!(text.contains(secret), "{secret} missing from:\n{text}");
    }
    let bad = Command::new(env!("CARGO_BIN_EXE_atmodem-sim"))
        .args(["--pty", "--family", "x"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
}

#[tokio::test]
async fn a_model_on_a_pseudo_terminal() {
    for (family, answer) in [
        ("quectel", "\r\nEC200UCNAAR02A09M08\r\n\r\nOK\r\n"),
        (
            "luat",
            "\r\n+CGMR: \"AirM2M_Air724UG_V409_LTE_AT\"\r\n\r\nOK\r\n",
        ),
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_atmodem-sim"))
            .args(["--pty", "--family", family])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        stdout.read_line(&mut first).unwrap();
        let path = first.trim().to_string();
        assert!(path.starts_with("/dev/"), "{path}");
        let mut port =
            tokio_serial::SerialStream::open(&tokio_serial::new(&path, 115_200)).unwrap();
        port.write_all(b"AT+CGMR\r").await.unwrap();
        let mut got = Vec::new();
        let want = format!("AT+CGMR\r{answer}");
        let read = async {
            let mut chunk = [0u8; 256];
            while !String::from_utf8_lossy(&got).ends_with(&want) {
                let n = port.read(&mut chunk).await.unwrap();
                got.extend_from_slice(&chunk[..n]);
            }
        };
        let done = tokio::time::timeout(Duration::from_secs(5), read).await;
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(
            done.is_ok(),
            "{family}: {:?}",
            String::from_utf8_lossy(&got)
        );
    }
}
