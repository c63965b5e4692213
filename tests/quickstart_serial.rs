//! The quickstart's real-module mode through a pseudo-terminal: a fake modem on the master
//! side plays a golden transcript, the quickstart runs the flow over tokio and the serial
//! port on the slave side, with real timeouts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../examples/quickstart.rs"]
#[allow(dead_code)]
mod quickstart;

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use atmodem::transcript::{self, Event};
use serialport::SerialPort;

/// Play the modem side of `script` on `master`: wait for each host item, then write what
/// the modem says after it. The port is handed back, so that it stays open until the host
/// has read everything.
fn play(mut master: serialport::TTYPort, script: &str) -> Result<serialport::TTYPort, String> {
    master
        .set_timeout(Duration::from_millis(100))
        .map_err(|e| e.to_string())?;
    let mut pending = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    for ev in transcript::parse(script).map_err(|e| e.to_string())? {
        match ev {
            Event::Modem(bytes) => master.write_all(&bytes).map_err(|e| e.to_string())?,
            Event::Command(want) | Event::HostData(want) => {
                while pending.len() < want.len() {
                    if Instant::now() > deadline {
                        return Err(format!(
                            "no {:?} from the host",
                            String::from_utf8_lossy(&want)
                        ));
                    }
                    let mut buf = [0u8; 256];
                    match master.read(&mut buf) {
                        Ok(n) => pending.extend_from_slice(&buf[..n]),
                        Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
                        Err(e) => return Err(e.to_string()),
                    }
                }
                let got: Vec<u8> = pending.drain(..want.len()).collect();
                if got != want {
                    return Err(format!(
                        "host sent {:?}, expected {:?}",
                        String::from_utf8_lossy(&got),
                        String::from_utf8_lossy(&want)
                    ));
                }
            }
        }
    }
    Ok(master)
}

#[test]
fn password_flow_over_a_pseudo_terminal() {
    let (master, slave) = serialport::TTYPort::pair().expect("a pseudo-terminal pair");
    let path = slave.name().expect("the slave's path");
    let script = include_str!("transcripts/quectel-device-secret-password.txt");
    let modem = std::thread::spawn(move || play(master, script));
    let args: Vec<String> = [
        "--port",
        &path,
        "--dialect",
        "quectel",
        "--flow",
        "quectel-device-secret-password",
        "--product-key",
        "i2uqc2dloOl",
        "--device-name",
        "device001",
        "--device-secret",
        "c4fa40df9c8078073d75a26be2bc8f58",
        "--timestamp",
        "1680937625134",
        "--instance-id",
        "iot-06z00hxss3rggno",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let out = quickstart::run_on_port(&args).unwrap_or_else(|e| panic!("{e}"));
    let master = modem.join().unwrap().unwrap();
    drop((master, slave));
    assert!(
        out.starts_with("# flow: quectel-device-secret-password\n>> AT+QMTCFG=\"aliauth\",0\n"),
        "{out}"
    );
    assert!(out.contains(
        "# password: 0309b31761c30d24d37a25558c5604de308c92eb6ac8656a1981f85783fb23db\n"
    ));
}

/// `quickstart --help` lists every flow with a description and explains the transcript
/// markers (`>>`, `>>|`, `<<`, `<<|`), on stdout, exit 0.
#[test]
fn help_lists_the_flows_and_the_markers() {
    let me = std::env::current_exe().unwrap();
    let profile_dir = me.parent().unwrap().parent().unwrap();
    let exe = profile_dir
        .join("examples")
        .join(format!("quickstart{}", std::env::consts::EXE_SUFFIX));
    let mut build = std::process::Command::new(env!("CARGO"));
    build
        .args(["build", "--quiet", "--example", "quickstart"])
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    if profile_dir.file_name().is_some_and(|n| n == "release") {
        build.arg("--release");
    }
    assert!(build.status().unwrap().success());
    let out = std::process::Command::new(&exe)
        .arg("--help")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    for flow in [
        "device",
        "luat",
        "quectel-device-secret-aliauth",
        "quectel-device-secret-password",
        "quectel-mqtt-register",
        "quectel-mqtt-regnwl",
        "quectel-https-register",
    ] {
        // A flow name at the start of its own line, with a description after it.
        assert!(
            text.lines().any(|l| {
                let l = l.trim_start();
                l.starts_with(flow) && l[flow.len()..].starts_with(' ') && l.len() > flow.len() + 8
            }),
            "{flow} not described:\n{text}"
        );
    }
    for marker in [">> X", ">>| ", "<< X", "<<| "] {
        assert!(text.contains(marker), "{marker} missing:\n{text}");
    }
}
