//! Framing and module state: echo, the `AT+CMEE` modes, SIM states, registration, identity,
//! prompts and data phases, HTTP(S) and the platform's OTA file server.

mod common;

use std::time::Duration;

use atmodem_sim::{Family, ModemConfig, Platform, Sim};
use common::Host;

#[tokio::test]
async fn echo_and_error_modes() {
    let p = Platform::start().await.unwrap();
    let mut h = Host::new(ModemConfig::new(Family::Quectel, p.host_map()));
    // Echo is on after boot; ATE0 itself is echoed.
    assert_eq!(h.cmd("AT").await, "AT\r\r\nOK\r\n");
    assert_eq!(h.cmd("ATE0").await, "ATE0\r\r\nOK\r\n");
    assert_eq!(h.cmd("AT").await, "\r\nOK\r\n");
    // A host that ends lines with CRLF.
    h.send(b"AT\r\n").await;
    h.expect(b"\r\nOK\r\n").await;
    assert_eq!(h.cmd("AT").await, "\r\nOK\r\n");
    assert_eq!(h.cmd("AT+NOSUCH").await, "\r\nERROR\r\n");
    assert_eq!(h.cmd("garbage").await, "\r\nERROR\r\n");
    for (mode, answer) in [
        (0, "\r\nERROR\r\n"),
        (1, "\r\n+CME ERROR: 50\r\n"),
        (2, "\r\n+CME ERROR: Incorrect parameters\r\n"),
    ] {
        assert_eq!(h.cmd(&format!("AT+CMEE={mode}")).await, "\r\nOK\r\n");
        assert_eq!(
            h.cmd("AT+CMEE?").await,
            format!("\r\n+CMEE: {mode}\r\n\r\nOK\r\n")
        );
        assert_eq!(h.cmd("AT+QIACT=99").await, answer);
    }
    assert_eq!(
        h.cmd("AT+CMEE=3").await,
        "\r\n+CME ERROR: Incorrect parameters\r\n"
    );
    // Echo happens as characters arrive: ATE1 itself is not echoed.
    assert_eq!(h.cmd("ATE1").await, "\r\nOK\r\n");
    assert_eq!(h.cmd("AT").await, "AT\r\r\nOK\r\n");
}

#[tokio::test]
async fn sim_states() {
    let p = Platform::start().await.unwrap();
    let mut h = Host::with(&p, Family::Quectel, |c| c.sim = Sim::NotInserted).await;
    assert_eq!(h.cmd("AT+CPIN?").await, "\r\n+CME ERROR: 10\r\n");
    assert_eq!(h.cmd("AT+CEREG?").await, "\r\n+CEREG: 0,0\r\n\r\nOK\r\n");
    assert_eq!(h.cmd("AT+QCCID").await, "\r\n+CME ERROR: 10\r\n");

    let mut h = Host::with(&p, Family::Luat, |c| c.sim = Sim::PinRequired).await;
    assert_eq!(h.cmd("AT+CPIN?").await, "\r\n+CPIN: SIM PIN\r\n\r\nOK\r\n");
    assert_eq!(h.cmd("AT+CIMI").await, "\r\n+CME ERROR: 11\r\n");
    assert_eq!(h.cmd(r#"AT+CPIN="0000""#).await, "\r\n+CME ERROR: 16\r\n");
    assert_eq!(h.cmd(r#"AT+CPIN="1234""#).await, "\r\nOK\r\n");
    h.expect(b"\r\n+CPIN: READY\r\n").await;
    assert_eq!(h.cmd("AT+CPIN?").await, "\r\n+CPIN: READY\r\n\r\nOK\r\n");
    assert_eq!(h.cmd("AT+CIMI").await, "\r\n460040000000001\r\n\r\nOK\r\n");
}

#[tokio::test]
async fn registration_takes_its_time() {
    let p = Platform::start().await.unwrap();
    let mut h = Host::with(&p, Family::Quectel, |c| {
        c.registration_delay = Duration::from_millis(200)
    })
    .await;
    assert_eq!(h.cmd("AT+CEREG=1").await, "\r\nOK\r\n");
    assert_eq!(h.cmd("AT+CEREG?").await, "\r\n+CEREG: 1,2\r\n\r\nOK\r\n");
    assert_eq!(h.cmd("AT+CGATT?").await, "\r\n+CGATT: 0\r\n\r\nOK\r\n");
    assert_eq!(h.cmd("AT+QIACT=1").await, "\r\nERROR\r\n");
    h.until_within(b"\r\n+CEREG: 1\r\n", Duration::from_secs(2))
        .await;
    assert_eq!(h.cmd("AT+CEREG?").await, "\r\n+CEREG: 1,1\r\n\r\nOK\r\n");
    assert_eq!(h.cmd("AT+CGREG?").await, "\r\n+CGREG: 0,1\r\n\r\nOK\r\n");
    assert_eq!(h.cmd("AT+CEREG=2").await, "\r\nOK\r\n");
    assert_eq!(
        h.cmd("AT+CEREG?").await,
        "\r\n+CEREG: 2,1,\"550B\",\"5C4EF01\",7\r\n\r\nOK\r\n"
    );
    assert_eq!(h.cmd("AT+QIACT=1").await, "\r\nOK\r\n");
    assert_eq!(h.cmd("AT+QIACT=1").await, "\r\nERROR\r\n");

    let mut d = Host::with(&p, Family::Luat, |c| c.denied = true).await;
    assert_eq!(d.cmd("AT+CGREG?").await, "\r\n+CGREG: 0,3\r\n\r\nOK\r\n");
    assert_eq!(d.cmd("AT+SAPBR=1,1").await, "\r\n+CME ERROR: 3\r\n");
}

#[tokio::test]
async fn identity() {
    let p = Platform::start().await.unwrap();
    let mut q = Host::on(&p, Family::Quectel).await;
    assert_eq!(q.cmd("AT+CGSN").await, "\r\n862991419835241\r\n\r\nOK\r\n");
    assert_eq!(q.cmd("AT+GSN").await, "\r\n862991419835241\r\n\r\nOK\r\n");
    assert_eq!(
        q.cmd("AT+QCCID").await,
        "\r\n+QCCID: 89860000000000000001\r\n\r\nOK\r\n"
    );
    assert_eq!(
        q.cmd("AT+CGMR").await,
        "\r\nEC200UCNAAR02A09M08\r\n\r\nOK\r\n"
    );
    assert_eq!(
        q.cmd("ATI").await,
        "\r\nQuectel\r\nEC200U\r\nRevision: EC200UCNAAR02A09M08\r\n\r\nOK\r\n"
    );
    assert_eq!(q.cmd("AT+CSQ").await, "\r\n+CSQ: 24,99\r\n\r\nOK\r\n");
    let mut l = Host::on(&p, Family::Luat).await;
    assert_eq!(
        l.cmd("AT+CGMR").await,
        "\r\n+CGMR: \"AirM2M_Air724UG_V409_LTE_AT\"\r\n\r\nOK\r\n"
    );
    assert_eq!(
        l.cmd("ATI").await,
        "\r\nAirM2M_Air724UG_V409_LTE_AT\r\n\r\nOK\r\n"
    );
    assert_eq!(
        l.cmd("AT+CCID").await,
        "\r\n89860000000000000001\r\n\r\nOK\r\n"
    );
    assert_eq!(l.cmd("AT+QCCID").await, "\r\nERROR\r\n");
}

#[tokio::test]
async fn quectel_http_get_with_range_from_the_ota_server() {
    let p = Platform::start().await.unwrap();
    let mut h = Host::on(&p, Family::Quectel).await;
    let dn = "/ota/device/upgrade/i2uqc2dloOl/device001";
    h.cmd(r#"AT+QMTCFG="recv/mode",0,0,1"#).await;
    h.cmd(r#"AT+QMTOPEN=0,"a.aliyuncs.com",1883"#).await;
    h.expect(b"\r\n+QMTOPEN: 0,0\r\n").await;
    h.cmd(r#"AT+QMTCONN=0,"i2uqc2dloOl.device001|securemode=3,signmethod=hmacsha1|","device001&i2uqc2dloOl","435784a18d27b29401cac6253c9a67109e9e4d14""#).await;
    h.expect(b"\r\n+QMTCONN: 0,0,0\r\n").await;
    h.cmd(&format!(r#"AT+QMTSUB=0,1,"{dn}",0"#)).await;
    h.expect(b"\r\n+QMTSUB: 0,1,0,1\r\n").await;
    let image: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
    let url = p.push_firmware("i2uqc2dloOl", "device001", "2.0.0", &image);
    let urc = String::from_utf8(h.until(b"}\"\r\n").await).unwrap();
    assert!(urc.contains(&format!(r#""url":"{url}""#)), "{urc}");
    // MD5 of the image, from Python's hashlib.
    assert!(
        urc.contains(r#""size":1000"#) && urc.contains(r#""md5":"#),
        "{urc}"
    );

    // GET with a Range header written by the host (requestheader=1).
    h.cmd(r#"AT+QHTTPCFG="requestheader",1"#).await;
    h.send(format!("AT+QHTTPURL={},10\r", url.len()).as_bytes())
        .await;
    h.expect(b"\r\nCONNECT\r\n").await;
    h.send(url.as_bytes()).await;
    h.expect(b"\r\nOK\r\n").await;
    let req = format!(
        "GET {} HTTP/1.1\r\nHost: ota.bench.local\r\nRange: bytes=100-199\r\n\r\n",
        url.split_once(".local").unwrap().1
    );
    h.send(format!("AT+QHTTPGET=10,{}\r", req.len()).as_bytes())
        .await;
    h.expect(b"\r\nCONNECT\r\n").await;
    h.send(req.as_bytes()).await;
    h.expect(b"\r\nOK\r\n\r\n+QHTTPGET: 0,206,100\r\n").await;
    h.send(b"AT+QHTTPREAD=10\r").await;
    h.expect(b"\r\nCONNECT\r\n").await;
    h.expect(&image[100..200]).await;
    h.expect(b"\r\nOK\r\n\r\n+QHTTPREAD: 0\r\n").await;
    // Whole, with the response header shown.
    h.cmd(r#"AT+QHTTPCFG="requestheader",0"#).await;
    h.cmd(r#"AT+QHTTPCFG="responseheader",1"#).await;
    h.cmd("AT+QHTTPGET=10").await;
    h.expect(b"\r\n+QHTTPGET: 0,200,1000\r\n").await;
    h.send(b"AT+QHTTPREAD=10\r").await;
    let got = h.until(b"\r\n+QHTTPREAD: 0\r\n").await;
    assert!(got.starts_with(b"\r\nCONNECT\r\nHTTP/1.1 200 OK\r\n"));
    assert!(got.ends_with(&[&image[900..], b"\r\nOK\r\n\r\n+QHTTPREAD: 0\r\n"].concat()));
    // An unknown host.
    h.send(b"AT+QHTTPURL=25\r").await;
    h.expect(b"\r\nCONNECT\r\n").await;
    h.send(b"http://nowhere.example/x\r").await;
    h.expect(b"\r\nOK\r\n").await;
    h.cmd("AT+QHTTPGET").await;
    h.expect(b"\r\n+QHTTPGET: 714\r\n").await;
    assert_eq!(
        h.cmd("AT+QHTTPURL?").await,
        "\r\n+QHTTPURL: \"http://nowhere.example/x\r\"\r\n\r\nOK\r\n"
    );
}

#[tokio::test]
async fn luat_http_get_and_bearer_loss() {
    let p = Platform::start().await.unwrap();
    let image = b"0123456789".repeat(10);
    let url = p.push_firmware("b1KCi45LcCP", "862991419835241", "1.1", &image);
    let mut h = Host::on(&p, Family::Luat).await;
    assert_eq!(h.cmd("AT+HTTPPARA=\"URL\",\"x\"").await, "\r\nERROR\r\n");
    h.cmd("AT+HTTPINIT").await;
    h.cmd(&format!("AT+HTTPPARA=\"URL\",\"{url}\"")).await;
    // No bearer: 601.
    h.cmd("AT+HTTPACTION=0").await;
    h.expect(b"\r\n+HTTPACTION: 0,601,0\r\n").await;
    h.cmd("AT+SAPBR=1,1").await;
    assert_eq!(
        h.cmd("AT+SAPBR=2,1").await,
        "\r\n+SAPBR: 1,1,\"10.113.242.215\"\r\n\r\nOK\r\n"
    );
    h.cmd("AT+HTTPPARA=\"USER_DEFINED\",\"Range: bytes=10-19\"")
        .await;
    h.cmd("AT+HTTPACTION=0").await;
    h.expect(b"\r\n+HTTPACTION: 0,206,10\r\n").await;
    assert_eq!(
        h.cmd("AT+HTTPREAD").await,
        "\r\n+HTTPREAD: 10\r\n0123456789\r\nOK\r\n"
    );
    assert_eq!(
        h.cmd("AT+HTTPREAD=2,3").await,
        "\r\n+HTTPREAD: 3\r\n234\r\nOK\r\n"
    );
    assert_eq!(h.cmd("AT+HTTPSSL?").await, "\r\n+ HTTPSSL: 0\r\n\r\nOK\r\n");
    assert_eq!(
        h.cmd("AT+HTTPDATA=5000,1000").await,
        "\r\n+CME ERROR: 50\r\n"
    );
    assert_eq!(h.cmd("AT+HTTPTERM").await, "\r\nOK\r\n");
    assert_eq!(h.cmd("AT+HTTPTERM").await, "\r\nERROR\r\n");
    h.handle.pdp_deact(1);
    h.expect(b"\r\n+SAPBR 1: DEACT\r\n\r\n+PDP DEACT\r\n").await;
}

#[tokio::test]
async fn property_set_push() {
    let p = Platform::start().await.unwrap();
    let mut h = Host::on(&p, Family::Luat).await;
    h.cmd(r#"AT+MCONFIG="i2uqc2dloOl.device001|securemode=3,signmethod=hmacsha1|","device001&i2uqc2dloOl","435784a18d27b29401cac6253c9a67109e9e4d14""#).await;
    h.cmd(r#"AT+MIPSTART="a.aliyuncs.com",1883"#).await;
    h.expect(b"\r\nCONNECT OK\r\n").await;
    h.cmd("AT+MCONNECT=1,60").await;
    h.expect(b"\r\nCONNACK OK\r\n").await;
    h.cmd(r#"AT+MSUB="/sys/i2uqc2dloOl/device001/thing/service/property/set",0"#)
        .await;
    h.expect(b"\r\nSUBACK\r\n").await;
    let id = p.set_properties("i2uqc2dloOl", "device001", r#"{"LightStatus":0}"#);
    let msg = format!(
        r#"{{"id":"{id}","version":"1.0","params":{{"LightStatus":0}},"method":"thing.service.property.set"}}"#
    );
    h.expect(format!("\r\n+MSUB: \"/sys/i2uqc2dloOl/device001/thing/service/property/set\",{} byte,{msg}\r\n", msg.len()).as_bytes()).await;
    // A firmware query: {} before any offer, the offer after.
    let get = "/sys/i2uqc2dloOl/device001/thing/ota/firmware/get";
    h.cmd(&format!(r#"AT+MSUB="{get}_reply",0"#)).await;
    h.expect(b"\r\nSUBACK\r\n").await;
    h.cmd(&format!(
        r#"AT+MPUB="{get}",0,0,"{{\22id\22:\227\22,\22params\22:{{}}}}""#
    ))
    .await;
    let reply = String::from_utf8(h.until(b"}\r\n").await).unwrap();
    assert!(
        reply.ends_with("byte,{\"id\":\"7\",\"code\":200,\"data\":{}}\r\n"),
        "{reply:?}"
    );
    let url = p.push_firmware("i2uqc2dloOl", "device001", "3.0", b"image");
    h.cmd(&format!(r#"AT+MPUB="{get}",0,0,"{{\22id\22:\228\22}}""#))
        .await;
    let reply = String::from_utf8(h.until(b"}\r\n").await).unwrap();
    assert!(
        reply.contains(&format!(
            r#"{{"id":"8","code":200,"data":{{"size":5,"version":"3.0","url":"{url}""#
        )),
        "{reply:?}"
    );
    // A property post that is not Alink JSON gets a 460 reply.
    let mut up = p.uplink();
    h.cmd(r#"AT+MSUB="/sys/i2uqc2dloOl/device001/thing/event/property/post_reply",0"#)
        .await;
    h.expect(b"\r\nSUBACK\r\n").await;
    h.cmd(r#"AT+MPUB="/sys/i2uqc2dloOl/device001/thing/event/property/post",0,0,"oops""#)
        .await;
    let seen = Platform::next_uplink(
        &mut up,
        "/sys/+/+/thing/event/property/post",
        Duration::from_secs(2),
    )
    .await
    .unwrap();
    assert_eq!(
        seen.device,
        Some(("i2uqc2dloOl".into(), "device001".into()))
    );
    assert_eq!(seen.payload, b"oops");
    let reply = String::from_utf8(h.until(b"\"}\r\n").await).unwrap();
    assert!(reply.contains(r#"{"code":460,"#), "{reply}");
}
