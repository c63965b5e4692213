//! The `aliyun_sign` example: its JSON-lines interface (Python-generated request/reply lines
//! and seed-derived requests), its AT-line rendering, and runs of the real binary.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../examples/aliyun_sign.rs"]
#[allow(dead_code)]
mod cli;

use serde_json::{Value, json};

fn ask(req: Value) -> Value {
    let line = cli::handle_line(&req.to_string()).expect("a reply");
    assert!(!line.contains('\n'));
    let reply: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(reply["id"], req["id"], "id echoed");
    reply
}

fn ok(flow: &str, input: Value) -> Value {
    let reply = ask(json!({"id": flow, "flow": flow, "input": input}));
    assert!(reply.get("error").is_none(), "{reply}");
    reply
}

fn keys(v: &Value) -> Vec<&str> {
    v.as_object().unwrap().keys().map(String::as_str).collect()
}

/// The top-level keys of a reply line in the order they were written.
fn written_order(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = line.strip_prefix('{').unwrap();
    loop {
        let mut keys = serde_json::Deserializer::from_str(rest).into_iter::<String>();
        out.push(keys.next().unwrap().unwrap());
        rest = rest[keys.byte_offset()..].strip_prefix(':').unwrap();
        let mut values = serde_json::Deserializer::from_str(rest).into_iter::<Value>();
        values.next().unwrap().unwrap();
        rest = &rest[values.byte_offset()..];
        match rest.strip_prefix(',') {
            Some(r) => rest = r,
            None => {
                assert_eq!(rest, "}");
                return out;
            }
        }
    }
}

/// Request/reply lines written by `tests/data/aliyun/gen_vectors.py` (outputs computed with
/// Python's `hmac` module and laid out as the flow table says).
fn python_cases() -> Vec<(Value, String)> {
    let all: Value = serde_json::from_str(include_str!("data/aliyun/vectors.json")).unwrap();
    let cases: Vec<(Value, String)> = all["cli"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["request"].clone(),
                c["reply"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    for flow in cli::FLOWS {
        assert!(
            cases.iter().any(|(r, _)| r["flow"] == flow),
            "no Python case for {flow}"
        );
    }
    cases
}

#[test]
fn python_vectors_give_the_exact_reply_lines() {
    for (request, want) in python_cases() {
        let got = cli::handle_line(&request.to_string()).unwrap();
        let (g, w): (Value, Value) = (
            serde_json::from_str(&got).unwrap(),
            serde_json::from_str(&want).unwrap(),
        );
        assert_eq!(g, w, "{request}");
        assert_eq!(written_order(&got), written_order(&want), "{request}");
        assert_eq!(got, want, "{request}");
    }
}

#[test]
fn quectel_device_secret_seed() {
    let r = ok(
        "mqtt_device_secret",
        json!({
            "product_key": "i2uqc2dloOl", "device_name": "device001",
            "device_secret": "c4fa40df9c8078073d75a26be2bc8f58", "timestamp": "1680937625134",
            "client_id": null, "sign_method": null, "secure_mode": null
        }),
    );
    assert_eq!(
        r,
        json!({
            "id": "mqtt_device_secret",
            "client_id": "i2uqc2dloOl.device001|securemode=2,signmethod=hmacsha256,timestamp=1680937625134|",
            "username": "device001&i2uqc2dloOl",
            "password": "0309b31761c30d24d37a25558c5604de308c92eb6ac8656a1981f85783fb23db",
            "sign_content": "clientIdi2uqc2dloOl.device001deviceNamedevice001productKeyi2uqc2dloOltimestamp1680937625134",
            "sign_method": "hmacsha256"
        })
    );
    // Output keys in the documented order, after id.
    let line = cli::handle_line(
        &json!({"id": 1, "flow": "mqtt_device_secret", "input": {
            "product_key": "i2uqc2dloOl", "device_name": "device001",
            "device_secret": "c4fa40df9c8078073d75a26be2bc8f58"}})
        .to_string(),
    )
    .unwrap();
    let order: Vec<usize> = [
        "\"id\"",
        "\"client_id\"",
        "\"username\"",
        "\"password\"",
        "\"sign_content\"",
        "\"sign_method\"",
    ]
    .iter()
    .map(|k| line.find(k).unwrap())
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{line}");

    let r = ok(
        "mqtt_device_secret",
        json!({
            "product_key": "i2uqc2dloOl", "device_name": "device001",
            "device_secret": "c4fa40df9c8078073d75a26be2bc8f58", "timestamp": "1680681252365",
            "secure_mode": 2, "sign_method": "HmacSHA256"
        }),
    );
    assert_eq!(
        r["password"],
        "1fffbf92807404367e759b11ccac016179cdbddfdf96461df944266ea2a9de4e"
    );
    let r = ok(
        "mqtt_device_secret",
        json!({"product_key": "pk", "device_name": "dev1", "device_secret": "s", "secure_mode": 3}),
    );
    assert_eq!(
        r["client_id"],
        "pk.dev1|securemode=3,signmethod=hmacsha256|"
    );
}

#[test]
fn quectel_register_and_regnwl_seeds() {
    let r = ok(
        "mqtt_dynreg",
        json!({
            "product_key": "i2uqZnX9tZK", "device_name": "meter001",
            "product_secret": "xTzMxVmm9HUY19Pr", "random": "123", "sign_method": "hmacsha1",
            "client_id": "864430010001091", "instance_id": "iot-06z00hxss3rggno"
        }),
    );
    assert_eq!(
        r,
        json!({
            "id": "mqtt_dynreg",
            "client_id": "864430010001091|securemode=2,authType=register,random=123,signmethod=hmacsha1,instanceId=iot-06z00hxss3rggno|",
            "username": "meter001&i2uqZnX9tZK",
            "password": "25f4b80c3fab2ed6e41644a38f2c5b67eac1b505",
            "sign_content": "deviceNamemeter001productKeyi2uqZnX9tZKrandom123",
            "sign_method": "hmacsha1",
            "reply_topic": "/ext/register"
        })
    );
    let r = ok(
        "mqtt_dynreg",
        json!({
            "product_key": "i2uq9ORmOSM", "device_name": "Kit001",
            "product_secret": "cSsjZJ19qkGDLvwR", "random": "123", "sign_method": "hmacsha1",
            "client_id": "Kit001", "instance_id": "iot-06z00hxss3rggno", "auth_type": "regnwl"
        }),
    );
    assert_eq!(
        r["client_id"],
        "Kit001|securemode=-2,authType=regnwl,random=123,signmethod=hmacsha1,instanceId=iot-06z00hxss3rggno|"
    );
    assert_eq!(r["password"], "f9130cc77eff4d4474b28da225509a38e7e78b3a");
    assert_eq!(r["reply_topic"], "/ext/regnwl");
    let r = ok(
        "mqtt_dynreg",
        json!({
            "product_key": "i2uq9ORmOSM", "device_name": "Kit001",
            "product_secret": "cSsjZJ19qkGDLvwR", "random": "123", "auth_type": "regnwl",
            "secure_mode": 2
        }),
    );
    assert!(
        r["client_id"]
            .as_str()
            .unwrap()
            .starts_with("i2uq9ORmOSM.Kit001|securemode=2,authType=regnwl,")
    );
}

#[test]
fn connwl_both_forms() {
    let payload = r#"{"clientId":"IXywJDukE7AKzOsfbvmZ000100","productKey":"i2uq9ORmOSM","deviceName":"Kit001","deviceToken":"^1^1681710731098^563fbcfe8c38f88"}"#;
    let want = json!({
        "id": "mqtt_connwl",
        "client_id": "IXywJDukE7AKzOsfbvmZ000100|securemode=-2,authType=connwl|",
        "username": "Kit001&i2uq9ORmOSM",
        "password": "^1^1681710731098^563fbcfe8c38f88"
    });
    assert_eq!(
        ok(
            "mqtt_connwl",
            json!({"product_key": "i2uq9ORmOSM", "device_name": "Kit001", "regnwl_payload": payload})
        ),
        want
    );
    assert_eq!(ok("mqtt_connwl", json!({"regnwl_payload": payload})), want);
    assert_eq!(
        ok(
            "mqtt_connwl",
            json!({"product_key": "i2uq9ORmOSM", "device_name": "Kit001",
                   "client_id": "IXywJDukE7AKzOsfbvmZ000100",
                   "device_token": "^1^1681710731098^563fbcfe8c38f88"})
        ),
        want
    );
    let r = ask(json!({"id": 1, "flow": "mqtt_connwl",
        "input": {"device_name": "Kit002", "regnwl_payload": payload}}));
    assert_eq!(
        r,
        json!({"id": 1, "error": "validation", "field": "deviceName"})
    );
    let r = ask(json!({"id": 2, "flow": "mqtt_connwl",
        "input": {"regnwl_payload": payload, "client_id": "x", "device_token": "y"}}));
    assert_eq!(r, json!({"id": 2, "error": "bad_request"}));
    let r = ask(json!({"id": 3, "flow": "mqtt_connwl", "input": {"regnwl_payload": "{"}}));
    assert_eq!(r, json!({"id": 3, "error": "parse"}));
}

#[test]
fn luat_http_seeds() {
    let r = ok(
        "http_dynreg",
        json!({
            "product_key": "b1KCi45LcCP", "device_name": "862991419835241",
            "product_secret": "VWll9fiYWKiwraBk", "random": "123456",
            "sign_method": "hmacmd5", "sign_method_value": "HmacMD5"
        }),
    );
    assert_eq!(
        r,
        json!({
            "id": "http_dynreg",
            "method": "POST",
            "url": "https://iot-auth.cn-shanghai.aliyuncs.com/auth/register/device",
            "host": "iot-auth.cn-shanghai.aliyuncs.com",
            "port": 443,
            "path": "/auth/register/device",
            "content_type": "application/x-www-form-urlencoded",
            "body": "productKey=b1KCi45LcCP&deviceName=862991419835241&random=123456&sign=1770d38260cc980dbc4337ed7fe1e8de&signMethod=HmacMD5",
            "sign": "1770d38260cc980dbc4337ed7fe1e8de",
            "sign_content": "deviceName862991419835241productKeyb1KCi45LcCPrandom123456",
            "sign_method": "hmacmd5"
        })
    );
    // sign_method_value alone picks the method.
    let r2 = ok(
        "http_dynreg",
        json!({
            "product_key": "b1KCi45LcCP", "device_name": "862991419835241",
            "product_secret": "VWll9fiYWKiwraBk", "random": "123456", "sign_method_value": "HmacMD5"
        }),
    );
    assert_eq!(r2, r);
    let r = ask(json!({"id": 0, "flow": "http_dynreg", "input": {
        "product_key": "b1KCi45LcCP", "device_name": "862991419835241",
        "product_secret": "VWll9fiYWKiwraBk", "random": "123456",
        "sign_method": "hmacsha1", "sign_method_value": "HmacMD5"}}));
    assert_eq!(
        r,
        json!({"id": 0, "error": "validation", "field": "signMethod"})
    );

    let r = ok(
        "http_auth_devicename",
        json!({
            "product_key": "b1KCi45LcCP", "device_name": "862991419835241",
            "device_secret": "mRMyB50qafv74A5FofvhxZ2h9iTL9wX7",
            "client_id": "862991419835241", "send_signmethod": false
        }),
    );
    assert_eq!(
        r["body"],
        "productKey=b1KCi45LcCP&sign=70e7bb641d7566ad26a305dd20e8e261&clientId=862991419835241&deviceName=862991419835241"
    );
    assert_eq!(r["body"].as_str().unwrap().len(), 112);
    assert_eq!(
        r["url"],
        "https://iot-auth.cn-shanghai.aliyuncs.com/auth/devicename"
    );
    assert_eq!(r["sign_method"], "hmacmd5");
    assert_eq!(
        keys(&r),
        [
            "body",
            "content_type",
            "host",
            "id",
            "method",
            "path",
            "port",
            "sign",
            "sign_content",
            "sign_method",
            "url"
        ]
    );
    // Default: signmethod sent.
    let r = ok(
        "http_auth_devicename",
        json!({
            "product_key": "b1KCi45LcCP", "device_name": "862991419835241",
            "device_secret": "mRMyB50qafv74A5FofvhxZ2h9iTL9wX7", "client_id": "862991419835241",
            "timestamp": "2524608000000", "version": "default", "resources": "mqtt"
        }),
    );
    assert!(
        r["body"].as_str().unwrap().ends_with(
            "&timestamp=2524608000000&signmethod=hmacmd5&version=default&resources=mqtt"
        )
    );
    let r = ask(json!({"id": 9, "flow": "http_auth_devicename", "input": {
        "product_key": "b1KCi45LcCP", "device_name": "862991419835241",
        "device_secret": "mRMyB50qafv74A5FofvhxZ2h9iTL9wX7", "sign_method": "hmacsha256",
        "send_signmethod": false}}));
    assert_eq!(
        r,
        json!({"id": 9, "error": "validation", "field": "signmethod"})
    );
}

#[test]
fn other_flows() {
    assert_eq!(
        ok("http_dynreg_url", json!({})),
        json!({"id": "http_dynreg_url",
               "url": "https://iot-auth.cn-shanghai.aliyuncs.com/auth/register/device"})
    );
    assert_eq!(
        ok("http_dynreg_url", json!({"region": "ap-southeast-1"}))["url"],
        "https://iot-auth.ap-southeast-1.aliyuncs.com/auth/register/device"
    );
    let r = ok(
        "http_channel_auth",
        json!({"product_key": "a1GFjLP3xxC", "device_name": "device1",
               "device_secret": "uwMTmVAMnxB", "client_id": "a1GFjLP3xxC.device1"}),
    );
    // hmacsha1 of the content, by Python's hmac.
    let sign = "c203e6bcd08781a40c5b0c1ccf0fa6c3a0ca7ebc";
    assert_eq!(r["sign"], sign);
    assert_eq!(
        r["url"],
        "https://iot-as-http.cn-shanghai.aliyuncs.com/auth"
    );
    assert_eq!(r["content_type"], "application/json");
    assert_eq!(r["method"], "POST");
    let body: Value = serde_json::from_str(r["body"].as_str().unwrap()).unwrap();
    assert_eq!(
        body,
        json!({"version": "default", "clientId": "a1GFjLP3xxC.device1", "signmethod": "hmacsha1",
               "sign": sign, "productKey": "a1GFjLP3xxC", "deviceName": "device1"})
    );
    assert_eq!(
        r["sign_content"],
        "clientIda1GFjLP3xxC.device1deviceNamedevice1productKeya1GFjLP3xxC"
    );

    let r = ok(
        "tls_psk",
        json!({"product_key": "a1GFjLP3xxC", "device_name": "device1", "device_secret": "uwMTmVAMnxB"}),
    );
    assert_eq!(
        r["psk_id"],
        "devicename|hmacsha256|a1GFjLP3xxC&device1|2524608000000"
    );
    assert_eq!(
        r["sign_content"],
        "ida1GFjLP3xxC&device1timestamp2524608000000"
    );
    assert_eq!(
        r["psk"],
        "386d7c621c4e0ad1ba55477ff23d2b82bb1b7700cc1aff5a114235a4a85eb94f"
    );

    assert_eq!(
        ok(
            "mqtt_host",
            json!({"instance_id": "iot-06z00hxss3rggno", "region": "x"})
        ),
        json!({"id": "mqtt_host", "host": "iot-06z00hxss3rggno.mqtt.iothub.aliyuncs.com",
               "tls_ports": [1883, 443, 8883], "tcp_ports": [1883]})
    );
    assert_eq!(
        ok("mqtt_host", json!({"product_key": "b1KCi45LcCP"})),
        json!({"id": "mqtt_host", "host": "b1KCi45LcCP.iot-as-mqtt.cn-shanghai.aliyuncs.com",
               "tls_ports": [1883, 443], "tcp_ports": [1883]})
    );

    assert_eq!(
        ok(
            "primitive_hmac",
            json!({"sign_method": "hmacmd5",
            "key": "VWll9fiYWKiwraBk",
            "content": "deviceName862991419835241productKeyb1KCi45LcCPrandom123456"})
        )["hex"],
        "1770d38260cc980dbc4337ed7fe1e8de"
    );
    // Python: hmac.new(b"key", "é".encode(), hashlib.sha256).hexdigest()
    assert_eq!(
        ok(
            "primitive_hmac",
            json!({"sign_method": "hmacsha256", "key": "key", "content": "é"})
        )["hex"],
        "e5eb9b0a697f5df0e9c03ffdd759f4b6edb39204332904d5eb74735b54259255"
    );
}

#[test]
fn parse_flows() {
    let reg = r#"{"code":200,"data":{"deviceName":"862991419835241","deviceSecret":"mRMyB50qafv74A5FofvhxZ2h9iTL9wX7","productKey":"b1KCi45LcCP"},"message":"success"}"#;
    assert_eq!(
        ok("parse_register_response", json!({"text": reg})),
        json!({"id": "parse_register_response", "ok": true,
               "device_secret": "mRMyB50qafv74A5FofvhxZ2h9iTL9wX7",
               "product_key": "b1KCi45LcCP", "device_name": "862991419835241"})
    );
    assert_eq!(
        ok(
            "parse_register_response",
            json!({"text": r#"{"code":460,"message":"request parameter error"}"#})
        ),
        json!({"id": "parse_register_response", "ok": false, "code": 460,
               "message": "request parameter error"})
    );
    let auth = r#"{"code":200,"data":{"deviceId":"PbUqGh2URAJ1AtNyyd7X00107ceb00","iotToken":"425656f625b64560a4bff2a0f16946a3"},"message":"success"}"#;
    assert_eq!(
        ok("parse_auth_response", json!({"text": auth})),
        json!({"id": "parse_auth_response", "ok": true,
               "iot_id": "PbUqGh2URAJ1AtNyyd7X00107ceb00",
               "iot_token": "425656f625b64560a4bff2a0f16946a3"})
    );
    let auth = r#"{"code":200,"data":{"iotId":"i1","iotToken":"t1","resources":{"mqtt":{"host":"h.example","port":1883}}},"message":"success"}"#;
    assert_eq!(
        ok("parse_auth_response", json!({"text": auth})),
        json!({"id": "parse_auth_response", "ok": true, "iot_id": "i1", "iot_token": "t1",
               "mqtt_host": "h.example", "mqtt_port": 1883})
    );
    assert_eq!(
        ok(
            "parse_register_payload",
            json!({"text": r#"{"deviceSecret":"d2a03b64a5e06b051f481136668133cf","productKey":"i2uqZnX9tZK","deviceName":"meter001"}"#})
        ),
        json!({"id": "parse_register_payload", "ok": true,
               "device_secret": "d2a03b64a5e06b051f481136668133cf",
               "product_key": "i2uqZnX9tZK", "device_name": "meter001"})
    );
    assert_eq!(
        ok(
            "parse_regnwl_payload",
            json!({"text": r#"{"clientId":"KzLKNeWyE7SxiWLuPpZQ000100","productKey":"i2uq9ORmOSM","deviceName":"Kit001","deviceToken":"^1^1681709523062^c5cce0a49b03685"}"#})
        ),
        json!({"id": "parse_regnwl_payload", "ok": true,
               "client_id": "KzLKNeWyE7SxiWLuPpZQ000100",
               "device_token": "^1^1681709523062^c5cce0a49b03685",
               "product_key": "i2uq9ORmOSM", "device_name": "Kit001"})
    );
    for flow in [
        "parse_register_response",
        "parse_auth_response",
        "parse_register_payload",
        "parse_regnwl_payload",
    ] {
        for text in ["", "{", "hello", r#"{"code":200}"#, "[]"] {
            assert_eq!(
                ask(json!({"id": 5, "flow": flow, "input": {"text": text}})),
                json!({"id": 5, "error": "parse"}),
                "{flow} {text:?}"
            );
        }
    }
}

#[test]
fn errors_and_malformed_lines() {
    let base = json!({"product_key": "pk", "device_name": "dev1", "device_secret": "s"});
    for (field, value, name) in [
        ("product_key", json!("p-k"), "productKey"),
        ("device_name", json!("dev"), "deviceName"),
        ("device_secret", json!(""), "deviceSecret"),
        ("client_id", json!("a|b"), "clientId"),
        ("timestamp", json!("12a"), "timestamp"),
        ("sign_method", json!("sha1"), "signmethod"),
        ("secure_mode", json!(-2), "securemode"),
        ("secure_mode", json!(7), "securemode"),
    ] {
        let mut input = base.clone();
        input[field] = value;
        assert_eq!(
            ask(json!({"id": field, "flow": "mqtt_device_secret", "input": input})),
            json!({"id": field, "error": "validation", "field": name})
        );
    }
    let dynreg =
        json!({"product_key": "pk", "device_name": "dev1", "product_secret": "s", "random": "1"});
    for (field, value, name) in [
        ("product_secret", json!("a b"), "productSecret"),
        ("random", json!(""), "random"),
        ("instance_id", json!("iot_1"), "instanceId"),
        ("auth_type", json!("connwl"), "authType"),
        ("secure_mode", json!(3), "securemode"),
    ] {
        let mut input = dynreg.clone();
        input[field] = value;
        assert_eq!(
            ask(json!({"id": 1, "flow": "mqtt_dynreg", "input": input})),
            json!({"id": 1, "error": "validation", "field": name})
        );
    }
    assert_eq!(
        ask(json!({"id": 1, "flow": "http_dynreg_url", "input": {"region": "CN"}})),
        json!({"id": 1, "error": "validation", "field": "region"})
    );
    assert_eq!(
        ask(
            json!({"id": 1, "flow": "mqtt_connwl", "input": {"product_key": "pk",
            "device_name": "dev1", "client_id": "c", "device_token": "a b"}})
        ),
        json!({"id": 1, "error": "validation", "field": "deviceToken"})
    );
    // Kinds other than validation.
    assert_eq!(
        ask(json!({"id": {"n": 1}, "flow": "sign_everything"})),
        json!({"id": {"n": 1}, "error": "unknown_flow"})
    );
    assert_eq!(
        ask(json!({"id": 2, "flow": "mqtt_device_secret", "input": {"product_key": "pk"}})),
        json!({"id": 2, "error": "bad_request"})
    );
    assert_eq!(
        ask(json!({"id": 3, "flow": "mqtt_device_secret",
            "input": {"product_key": 1, "device_name": "dev1", "device_secret": "s"}})),
        json!({"id": 3, "error": "bad_request"})
    );
    assert_eq!(
        ask(json!({"id": 4, "input": {}})),
        json!({"id": 4, "error": "bad_request"})
    );
    assert_eq!(
        ask(json!({"id": 5, "flow": "mqtt_host", "input": "x"})),
        json!({"id": 5, "error": "bad_request"})
    );
    assert_eq!(
        ask(json!({"id": 6, "flow": "primitive_hmac", "input": {"key": "k", "content": "c"}})),
        json!({"id": 6, "error": "bad_request"})
    );
    if !atmodem::aliyun::SignMethod::HmacMd5.is_enabled() {
        assert_eq!(
            ask(json!({"id": 7, "flow": "primitive_hmac",
                "input": {"sign_method": "hmacmd5", "key": "k", "content": "c"}})),
            json!({"id": 7, "error": "unsupported_sign_method"})
        );
    }
    for line in ["not json", "[1]", "\"x\"", "{\"id\": 1, \"flow\": 5}", "{"] {
        let reply: Value = serde_json::from_str(&cli::handle_line(line).unwrap()).unwrap();
        assert_eq!(reply["error"], "bad_request", "{line}");
        assert!(reply["id"].is_null() || reply["id"] == 1, "{line}");
    }
    assert_eq!(cli::handle_line("   "), None);
}

#[test]
fn json_loop_continues_after_bad_lines() {
    let input = "garbage\n\n{\"id\":7,\"flow\":\"http_dynreg_url\"}\r\n\u{1}\n{\"id\":8,\"flow\":\"mqtt_host\",\"input\":{\"instance_id\":\"iot-1\"}}";
    let mut out = Vec::new();
    cli::run_json(input.as_bytes(), &mut out).unwrap();
    let lines: Vec<Value> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[0], json!({"id": null, "error": "bad_request"}));
    assert_eq!(lines[1]["id"], 7);
    assert_eq!(lines[2], json!({"id": null, "error": "bad_request"}));
    assert_eq!(lines[3]["host"], "iot-1.mqtt.iothub.aliyuncs.com");
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[test]
fn at_lines_match_the_notes() {
    let lines = cli::cli(&args(&[
        "--flow",
        "mqtt_device_secret",
        "--dialect",
        "quectel",
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
    ]))
    .unwrap();
    let at: Vec<&str> = lines
        .iter()
        .map(String::as_str)
        .filter(|l| !l.starts_with('#'))
        .collect();
    assert_eq!(
        at,
        [
            r#"AT+QMTCFG="version",0,4"#,
            r#"AT+QMTCFG="ssl",0,1,2"#,
            r#"AT+QMTOPEN=0,"iot-06z00hxss3rggno.mqtt.iothub.aliyuncs.com",1883"#,
            r#"AT+QMTCONN=0,"i2uqc2dloOl.device001|securemode=2,signmethod=hmacsha256,timestamp=1680937625134|","device001&i2uqc2dloOl","0309b31761c30d24d37a25558c5604de308c92eb6ac8656a1981f85783fb23db""#,
        ]
    );

    let lines = cli::cli(&args(&[
        "--flow",
        "http-dynreg",
        "--dialect",
        "luat",
        "--product-key",
        "b1KCi45LcCP",
        "--device-name",
        "862991419835241",
        "--product-secret",
        "VWll9fiYWKiwraBk",
        "--random",
        "123456",
        "--sign-method-value",
        "HmacMD5",
    ]))
    .unwrap();
    let at: Vec<&str> = lines
        .iter()
        .map(String::as_str)
        .filter(|l| !l.starts_with('#'))
        .collect();
    assert_eq!(
        at,
        [
            "AT+HTTPINIT",
            r#"AT+HTTPPARA="URL","https://iot-auth.cn-shanghai.aliyuncs.com/auth/register/device""#,
            r#"AT+HTTPPARA="USER_DEFINED","Content-Type: application/x-www-form-urlencoded""#,
            "AT+HTTPDATA=120,20000",
            "productKey=b1KCi45LcCP&deviceName=862991419835241&random=123456&sign=1770d38260cc980dbc4337ed7fe1e8de&signMethod=HmacMD5",
            "AT+HTTPACTION=1",
            "AT+HTTPREAD",
            "AT+HTTPTERM",
        ]
    );

    let lines = cli::cli(&args(&[
        "--flow",
        "http_dynreg",
        "--product-key",
        "i2uqzmkZsLG",
        "--device-name",
        "device001",
        "--product-secret",
        "stand1in2secret3",
        "--random",
        "003",
        "--sign-method",
        "hmacsha1",
    ]))
    .unwrap();
    let at: Vec<&str> = lines
        .iter()
        .map(String::as_str)
        .filter(|l| !l.starts_with('#'))
        .collect();
    assert_eq!(at[0], "AT+QHTTPURL=62,80");
    assert_eq!(
        at[1],
        "https://iot-auth.cn-shanghai.aliyuncs.com/auth/register/device"
    );
    assert_eq!(at[2], "AT+QHTTPPOST=120,120,120");
    assert_eq!(at[4], "AT+QHTTPREAD=200");

    // Luat MQTT after /auth/devicename is the bare client id plus iotId/iotToken; the
    // calculator covers the signed flows, e.g. the device-secret login over plain TCP:
    let lines = cli::cli(&args(&[
        "--flow",
        "mqtt_device_secret",
        "--dialect",
        "luat",
        "--product-key",
        "b1KCi45LcCP",
        "--device-name",
        "862991419835241",
        "--device-secret",
        "mRMyB50qafv74A5FofvhxZ2h9iTL9wX7",
        "--secure-mode",
        "3",
    ]))
    .unwrap();
    let at: Vec<&str> = lines
        .iter()
        .map(String::as_str)
        .filter(|l| !l.starts_with('#'))
        .collect();
    assert!(at[0].starts_with(
        r#"AT+MCONFIG="b1KCi45LcCP.862991419835241|securemode=3,signmethod=hmacsha256|","862991419835241&b1KCi45LcCP",""#
    ));
    assert_eq!(
        at[1],
        r#"AT+MIPSTART="b1KCi45LcCP.iot-as-mqtt.cn-shanghai.aliyuncs.com",1883"#
    );
    assert_eq!(at[2], "AT+MCONNECT=1,300");

    assert_eq!(
        cli::cli(&args(&["--flow", "mqtt_host", "--instance-id", "-x"])).unwrap_err(),
        cli::Fail::Validation(
            "instanceId",
            "invalid instanceId: character not allowed".into()
        )
    );
}

/// Runs the built example binary on every Python case, a few bad lines in between.
#[test]
fn binary_json_mode() {
    use std::io::Write;
    use std::process::{Command, Stdio};

    let cases = python_cases();
    let mut input = String::new();
    let mut want = Vec::new();
    for (k, (request, reply)) in cases.iter().enumerate() {
        input.push_str(&request.to_string());
        input.push('\n');
        want.push(reply.clone());
        if k % 40 == 0 {
            input.push_str("\r\n\nnot json\n");
            want.push(r#"{"id":null,"error":"bad_request"}"#.to_string());
        }
    }
    let exe = example_binary();
    let mut child = Command::new(&exe)
        .arg("--json")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("running {}: {e}", exe.display()));
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()).unwrap());
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(out.status.success());
    let got: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g, w);
    }
}

/// The example binary next to this test's own binary, (re)built so that it matches the
/// current source (a no-op when it is up to date).
fn example_binary() -> std::path::PathBuf {
    let me = std::env::current_exe().unwrap();
    let profile_dir = me.parent().unwrap().parent().unwrap();
    let exe = profile_dir
        .join("examples")
        .join(format!("aliyun_sign{}", std::env::consts::EXE_SUFFIX));
    let release = profile_dir.file_name().is_some_and(|n| n == "release");
    let mut cmd = std::process::Command::new(env!("CARGO"));
    cmd.args(["build", "--quiet", "--example", "aliyun_sign"])
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    if release {
        cmd.arg("--release");
    }
    let status = cmd.status().unwrap();
    assert!(status.success(), "building the example failed");
    assert!(exe.exists(), "{} not found", exe.display());
    exe
}

#[test]
fn numeric_timestamp_and_random_are_their_text() {
    let as_text = ok(
        "mqtt_device_secret",
        json!({"product_key": "i2uqc2dloOl", "device_name": "device001",
               "device_secret": "c4fa40df9c8078073d75a26be2bc8f58", "timestamp": "1680937625134"}),
    );
    let as_number = ok(
        "mqtt_device_secret",
        json!({"product_key": "i2uqc2dloOl", "device_name": "device001",
               "device_secret": "c4fa40df9c8078073d75a26be2bc8f58", "timestamp": 1680937625134u64}),
    );
    assert_eq!(as_text, as_number);
    let r = ok(
        "mqtt_dynreg",
        json!({"product_key": "i2uqZnX9tZK", "device_name": "meter001",
               "product_secret": "xTzMxVmm9HUY19Pr", "random": 123, "sign_method": "hmacsha1"}),
    );
    assert_eq!(r["password"], "25f4b80c3fab2ed6e41644a38f2c5b67eac1b505");
    assert_eq!(
        ask(
            json!({"id": 1, "flow": "tls_psk", "input": {"product_key": "pk",
            "device_name": "dev1", "device_secret": "s", "timestamp": -5}})
        ),
        json!({"id": 1, "error": "bad_request"})
    );
}
