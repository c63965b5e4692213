//! `atmodem-sim --pty`: a module model on a pseudo-terminal, with the local platform behind it.

use std::io::Write;
use std::time::Duration;

use atmodem_sim::{Family, ModemConfig, Platform, aliyun};

fn usage(platform_note: bool) {
    println!(
        "atmodem-sim: Quectel / Luat module models with a local Aliyun IoT Platform

USAGE:
    atmodem-sim --pty [--family quectel|luat] [--registration-delay <ms>]

OPTIONS:
    --pty                       expose a module model on a pseudo-terminal and print its path
    --family <name>             quectel (default) or luat
    --registration-delay <ms>   time from boot to network registration (default 2000)
    -h, --help                  this text

The module resolves every *.aliyuncs.com host to the local platform (MQTT broker, and
iot-auth.* to its HTTP endpoints); https:// is spoken as plain HTTP. Test devices:"
    );
    for d in aliyun::TEST_DEVICES {
        println!("  - {}", d.note);
        println!("      productKey    {}", d.product_key);
        if let Some(ps) = d.product_secret {
            println!("      productSecret {ps}");
        }
        println!("      deviceName    {}", d.device_name);
        if !d.device_secret.is_empty() {
            println!("      deviceSecret  {}", d.device_secret);
        }
        if !d.iot_id.is_empty() {
            println!("      iotId/iotToken {} / {}", d.iot_id, d.iot_token);
        }
        if !d.regnwl_client_id.is_empty() {
            println!(
                "      regnwl clientId/deviceToken {} / {}",
                d.regnwl_client_id, d.regnwl_token
            );
        }
    }
    if platform_note {
        println!(
            "\nTest subscribers log in with user name {} and password {}.",
            aliyun::OPERATOR_USER,
            aliyun::OPERATOR_PASSWORD
        );
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut family = Family::Quectel;
    let mut pty = false;
    let mut registration_ms = 2000u64;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "-h" | "--help" => {
                usage(true);
                return Ok(());
            }
            "--pty" => pty = true,
            "--family" => match it.next().map(String::as_str) {
                Some("quectel") => family = Family::Quectel,
                Some("luat") => family = Family::Luat,
                other => {
                    eprintln!("unknown family {other:?} (quectel or luat)");
                    std::process::exit(2);
                }
            },
            "--registration-delay" => match it.next().and_then(|v| v.parse().ok()) {
                Some(ms) => registration_ms = ms,
                None => {
                    eprintln!("--registration-delay takes milliseconds");
                    std::process::exit(2);
                }
            },
            other => {
                eprintln!("unknown argument {other:?}; see --help");
                std::process::exit(2);
            }
        }
    }
    if !pty {
        usage(true);
        std::process::exit(2);
    }
    let platform = Platform::start().await?;
    let (master, slave) = tokio_serial::SerialStream::pair().map_err(std::io::Error::other)?;
    let path = tokio_serial::SerialPort::name(&slave).unwrap_or_default();
    let mut cfg = ModemConfig::new(family, platform.host_map());
    cfg.boot_urcs = true;
    cfg.registration_delay = Duration::from_millis(registration_ms);
    cfg.max_wait = Duration::from_secs(120);
    let _handle = atmodem_sim::modem::spawn(cfg, master);
    // The path alone on the first line, for scripts; a reader that goes away is no error.
    let mut out = std::io::stdout();
    let _ = writeln!(out, "{path}");
    let _ = writeln!(
        out,
        "{family:?} model on {path}; platform: MQTT {}, HTTP {}. Ctrl-C to stop.",
        platform.mqtt_addr(),
        platform.http_addr()
    );
    let _ = out.flush();
    // Keep the slave side open so that the master does not see a hang-up between clients.
    let _keep = slave;
    std::future::pending::<()>().await;
    Ok(())
}
