//! The platform's MQTT login check, flow by flow, with right and wrong passwords. Every
//! expected sign was computed independently with Python's `hmac` module, e.g.
//! `python3 -c 'import hmac,hashlib; print(hmac.new(b"<secret>", b"<content>", hashlib.sha1).hexdigest())'`.

use std::time::Duration;

use atmodem_sim::Platform;
use atmodem_sim::aliyun::Refusal;
use bytes::BytesMut;
use mqttbytes::v4::{Connect, ConnectReturnCode, Packet};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// What a raw MQTT client sees after its CONNECT.
#[derive(Debug, PartialEq)]
struct Seen {
    connack: u8,
    /// (topic, payload) of the messages that followed without a subscription.
    pushed: Vec<(String, String)>,
    /// The platform closed the link.
    closed: bool,
}

async fn login(p: &Platform, client_id: &str, user: &str, pass: &str) -> Seen {
    let mut sock = TcpStream::connect(p.mqtt_addr()).await.unwrap();
    let mut c = Connect::new(client_id);
    c.keep_alive = 60;
    c.set_login(user, pass);
    let mut out = BytesMut::new();
    c.write(&mut out).unwrap();
    sock.write_all(&out).await.unwrap();
    let mut buf = BytesMut::new();
    let mut seen = Seen {
        connack: 255,
        pushed: Vec::new(),
        closed: false,
    };
    loop {
        match mqttbytes::v4::read(&mut buf, 1 << 20) {
            Ok(Packet::ConnAck(a)) => {
                seen.connack = match a.code {
                    ConnectReturnCode::Success => 0,
                    ConnectReturnCode::BadUserNamePassword => 4,
                    ConnectReturnCode::NotAuthorized => 5,
                    other => panic!("{other:?}"),
                };
                continue;
            }
            Ok(Packet::Publish(m)) => {
                seen.pushed
                    .push((m.topic, String::from_utf8(m.payload.to_vec()).unwrap()));
                continue;
            }
            Ok(other) => panic!("{other:?}"),
            Err(mqttbytes::Error::InsufficientBytes(_)) => {}
            Err(e) => panic!("{e:?}"),
        }
        match tokio::time::timeout(Duration::from_millis(300), sock.read_buf(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => {
                seen.closed = true;
                return seen;
            }
            Ok(Ok(_)) => {}
            Err(_) => return seen,
        }
    }
}

fn accepted() -> Seen {
    Seen {
        connack: 0,
        pushed: Vec::new(),
        closed: false,
    }
}

fn refused(code: u8) -> Seen {
    Seen {
        connack: code,
        pushed: Vec::new(),
        closed: true,
    }
}

const DEV_USER: &str = "device001&i2uqc2dloOl";

#[tokio::test]
async fn one_device_one_secret_each_sign_method() {
    let p = Platform::start().await.unwrap();
    let ts = "1680937625134";
    for (method, sign) in [
        ("hmacmd5", "50693ab401acae29573517b24e6b4f99"),
        ("hmacsha1", "817af1f99b553a9c8737398119687143ad484b92"),
        (
            "hmacsha256",
            "0309b31761c30d24d37a25558c5604de308c92eb6ac8656a1981f85783fb23db",
        ),
    ] {
        let cid = format!("i2uqc2dloOl.device001|securemode=2,signmethod={method},timestamp={ts}|");
        assert_eq!(
            login(&p, &cid, DEV_USER, sign).await,
            accepted(),
            "{method}"
        );
        // Hex case does not matter to the platform.
        assert_eq!(
            login(&p, &cid, DEV_USER, &sign.to_uppercase()).await,
            accepted(),
            "{method} upper"
        );
        // One wrong character, the wrong secret's sign of another method, no password.
        let mut wrong = sign.to_string();
        wrong.replace_range(0..1, if sign.starts_with('0') { "1" } else { "0" });
        assert_eq!(
            login(&p, &cid, DEV_USER, &wrong).await,
            refused(4),
            "{method} wrong"
        );
        assert_eq!(
            login(&p, &cid, DEV_USER, "").await,
            refused(4),
            "{method} empty"
        );
        // The timestamp is signed: another one in the clientId breaks the sign.
        let other_ts = cid.replace(ts, "1680937625135");
        assert_eq!(
            login(&p, &other_ts, DEV_USER, sign).await,
            refused(4),
            "{method} ts"
        );
    }
    // Without a timestamp.
    let cid = "i2uqc2dloOl.device001|securemode=3,signmethod=hmacsha1|";
    assert_eq!(
        login(
            &p,
            cid,
            DEV_USER,
            "435784a18d27b29401cac6253c9a67109e9e4d14"
        )
        .await,
        accepted()
    );
    // The sign of the other method is refused.
    let cid = format!("i2uqc2dloOl.device001|securemode=2,signmethod=hmacsha1,timestamp={ts}|");
    assert_eq!(
        login(&p, &cid, DEV_USER, "50693ab401acae29573517b24e6b4f99").await,
        refused(4)
    );
}

#[tokio::test]
async fn unknown_devices_and_bad_extensions_are_not_authorised() {
    let p = Platform::start().await.unwrap();
    let sign = "817af1f99b553a9c8737398119687143ad484b92";
    let cid = "i2uqc2dloOl.device001|securemode=2,signmethod=hmacsha1,timestamp=1680937625134|";
    assert_eq!(
        login(&p, cid, "device002&i2uqc2dloOl", sign).await,
        refused(5)
    );
    assert_eq!(
        login(&p, cid, "device001&nosuchprod", sign).await,
        refused(5)
    );
    assert_eq!(login(&p, cid, "device001", sign).await, refused(4));
    let bad_method = cid.replace("hmacsha1", "hmacsha512");
    assert_eq!(login(&p, &bad_method, DEV_USER, sign).await, refused(5));
    let bad_auth = cid.replace("securemode=2", "securemode=2,authType=nope");
    assert_eq!(login(&p, &bad_auth, DEV_USER, sign).await, refused(5));
}

const REG_USER: &str = "meter001&i2uqZnX9tZK";
const REG_SECRET_JSON: &str = r#"{"deviceSecret":"d2a03b64a5e06b051f481136668133cf","productKey":"i2uqZnX9tZK","deviceName":"meter001"}"#;

#[tokio::test]
async fn register_each_sign_method() {
    let p = Platform::start().await.unwrap();
    for (method, sign) in [
        ("hmacmd5", "33400d24d9697676d4f711a6c68b1f30"),
        ("hmacsha1", "25f4b80c3fab2ed6e41644a38f2c5b67eac1b505"),
        (
            "hmacsha256",
            "1715a9357ce5f79c89113e50d1552afb8da313e6a4b304f28fd0fe95c19626ee",
        ),
    ] {
        let cid = format!(
            "864430010001091|securemode=2,authType=register,random=123,signmethod={method},instanceId=iot-06z00hxss3rggno|"
        );
        let seen = login(&p, &cid, REG_USER, sign).await;
        assert_eq!(seen.connack, 0, "{method}");
        assert_eq!(
            seen.pushed,
            vec![("/ext/register".to_string(), REG_SECRET_JSON.to_string())]
        );
        assert!(
            seen.closed,
            "a registration session ends with the platform's close"
        );
        assert_eq!(
            login(&p, &cid, REG_USER, &sign[1..]).await,
            refused(4),
            "{method} wrong"
        );
        // The random is signed.
        let other = cid.replace("random=123", "random=124");
        assert_eq!(
            login(&p, &other, REG_USER, sign).await,
            refused(4),
            "{method} random"
        );
    }
    // Pre-registration needs the device in the product.
    let cid = "x|securemode=2,authType=register,random=123,signmethod=hmacsha1|";
    assert_eq!(
        login(&p, cid, "meter002&i2uqZnX9tZK", "00").await,
        refused(4)
    );
    // A product without a product secret cannot register.
    let odos = "x|securemode=2,authType=register,random=1,signmethod=hmacsha1|";
    assert_eq!(login(&p, odos, DEV_USER, "00").await, refused(5));
}

#[tokio::test]
async fn regnwl_then_connwl() {
    let p = Platform::start().await.unwrap();
    let user = "Kit001&i2uq9ORmOSM";
    for (method, sign) in [
        ("hmacmd5", "c83956fb747a2c46bdd958a9197cbc5e"),
        ("hmacsha1", "f9130cc77eff4d4474b28da225509a38e7e78b3a"),
        (
            "hmacsha256",
            "b6edf59b26da48cc4890787b18d952e335655c1ef1aa849b8158d1d3cf7dd8c4",
        ),
    ] {
        let cid = format!(
            "Kit001|securemode=-2,authType=regnwl,random=123,signmethod={method},instanceId=iot-06z00hxss3rggno|"
        );
        assert_eq!(
            login(&p, &cid, user, &sign.replace('c', "d")).await,
            refused(4),
            "{method} wrong"
        );
        let seen = login(&p, &cid, user, sign).await;
        assert_eq!(seen.connack, 0, "{method}");
        assert!(seen.closed);
        let [(topic, reply)] = &seen.pushed[..] else {
            panic!("{seen:?}")
        };
        assert_eq!(topic, "/ext/regnwl");
        let v: serde_json::Value = serde_json::from_str(reply).unwrap();
        assert_eq!(v["clientId"], "IXywJDukE7AKz0sfbvmZ000100");
        assert_eq!(v["deviceToken"], "^1^1681710731098^563fbcfe8c38f88");
    }
    let connwl = "IXywJDukE7AKz0sfbvmZ000100|securemode=-2,authType=connwl|";
    assert_eq!(
        login(&p, connwl, user, "^1^1681710731098^563fbcfe8c38f88").await,
        accepted()
    );
    assert_eq!(
        login(&p, connwl, user, "^1^1681710731098^563fbcfe8c38f89").await,
        refused(4)
    );
    let other_client = connwl.replace("000100", "000101");
    assert_eq!(
        login(&p, &other_client, user, "^1^1681710731098^563fbcfe8c38f88").await,
        refused(4)
    );
}

#[tokio::test]
async fn connwl_before_regnwl_is_refused() {
    let p = Platform::start().await.unwrap();
    let connwl = "IXywJDukE7AKz0sfbvmZ000100|securemode=-2,authType=connwl|";
    let seen = login(
        &p,
        connwl,
        "Kit001&i2uq9ORmOSM",
        "^1^1681710731098^563fbcfe8c38f88",
    )
    .await;
    assert_eq!(seen, refused(4));
}

#[tokio::test]
async fn iot_token_login_after_device_auth() {
    let p = Platform::start().await.unwrap();
    let (id, token) = (
        "PbUqGh2URAJ1AtNyyd7X00107ceb00",
        "425656f625b64560a4bff2a0f16946a3",
    );
    // Not issued yet.
    assert_eq!(login(&p, "862991419835241", id, token).await, refused(4));
    // POST /auth/devicename, signed with HmacMD5 (Python: 70e7bb64...e261).
    let body = "productKey=b1KCi45LcCP&sign=70e7bb641d7566ad26a305dd20e8e261&clientId=862991419835241&deviceName=862991419835241";
    let r = post(&p, "/auth/devicename", body).await;
    assert!(
        r.contains(r#""iotToken":"425656f625b64560a4bff2a0f16946a3""#),
        "{r}"
    );
    assert_eq!(login(&p, "862991419835241", id, token).await, accepted());
    assert_eq!(
        login(
            &p,
            "862991419835241",
            id,
            "425656f625b64560a4bff2a0f16946a4"
        )
        .await,
        refused(4)
    );
}

async fn post(p: &Platform, path: &str, body: &str) -> String {
    let url =
        atmodem_sim::http::parse_url(&format!("http://iot-auth.cn-shanghai.aliyuncs.com{path}"))
            .unwrap();
    let headers = [(
        "Content-Type".to_string(),
        "application/x-www-form-urlencoded".to_string(),
    )];
    let r = atmodem_sim::http::request(p.http_addr(), "POST", &url, &headers, body.as_bytes())
        .await
        .unwrap();
    assert_eq!(r.status, 200);
    String::from_utf8(r.body).unwrap()
}

#[tokio::test]
async fn https_endpoints_check_the_sign() {
    let p = Platform::start().await.unwrap();
    // Python: HMAC-MD5("VWll9fiYWKiwraBk", "deviceName862991419835241productKeyb1KCi45LcCPrandom123456").
    let good = "productKey=b1KCi45LcCP&deviceName=862991419835241&random=123456&sign=1770d38260cc980dbc4337ed7fe1e8de&signMethod=HmacMD5";
    let r = post(&p, "/auth/register/device", good).await;
    assert_eq!(
        r,
        r#"{"code":200,"data":{"deviceName":"862991419835241","deviceSecret":"mRMyB50qafv74A5FofvhxZ2h9iTL9wX7","productKey":"b1KCi45LcCP"},"message":"success"}"#
    );
    let bad = good.replace("sign=1770", "sign=1771");
    assert!(
        post(&p, "/auth/register/device", &bad)
            .await
            .starts_with(r#"{"code":460,"#)
    );
    let unknown = good.replace("b1KCi45LcCP", "nosuchprod0");
    assert!(
        post(&p, "/auth/register/device", &unknown)
            .await
            .starts_with(r#"{"code":6250,"#)
    );
    let bad_auth = "productKey=b1KCi45LcCP&sign=70e7bb641d7566ad26a305dd20e8e262&clientId=862991419835241&deviceName=862991419835241";
    assert!(
        post(&p, "/auth/devicename", bad_auth)
            .await
            .starts_with(r#"{"code":460,"#)
    );
    assert!(
        post(&p, "/auth/devicename", "productKey=x")
            .await
            .starts_with(r#"{"code":460,"#)
    );
}

#[tokio::test]
async fn refused_on_demand() {
    let p = Platform::start().await.unwrap();
    let cid = "i2uqc2dloOl.device001|securemode=2,signmethod=hmacsha256,timestamp=1680937625134|";
    let sign = "0309b31761c30d24d37a25558c5604de308c92eb6ac8656a1981f85783fb23db";
    p.broker().refuse_logins(Some(Refusal::NotAuthorized));
    assert_eq!(login(&p, cid, DEV_USER, sign).await, refused(5));
    p.broker().refuse_logins(Some(Refusal::BadCredentials));
    assert_eq!(login(&p, cid, DEV_USER, sign).await, refused(4));
    p.broker().refuse_logins(None);
    assert_eq!(login(&p, cid, DEV_USER, sign).await, accepted());
}
