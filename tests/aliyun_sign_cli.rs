//! The `aliyun_sign` example: its JSON-lines interface (Python-generated request/reply lines,
//! the notes' exchanges, every validation rule, every error shape, odd and malformed lines),
//! its AT-line rendering, and runs of the real binary.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../examples/aliyun_sign.rs"]
#[allow(dead_code)]
mod cli;

use serde_json::{Map, Value, json};

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
fn every_flow_has_exactly_the_tables_inputs() {
    // The table of the flows, as written in the specification.
    let table: [(&str, &[&str]); 14] = [
        (
            "mqtt_device_secret",
            &[
                "product_key",
                "device_name",
                "device_secret",
                "client_id",
                "sign_method",
                "timestamp",
                "secure_mode",
            ],
        ),
        (
            "mqtt_dynreg",
            &[
                "product_key",
                "device_name",
                "product_secret",
                "random",
                "auth_type",
                "sign_method",
                "client_id",
                "secure_mode",
                "instance_id",
            ],
        ),
        (
            "mqtt_connwl",
            &[
                "product_key",
                "device_name",
                "client_id",
                "device_token",
                "regnwl_payload",
            ],
        ),
        (
            "http_dynreg",
            &[
                "product_key",
                "device_name",
                "product_secret",
                "random",
                "sign_method",
                "sign_method_value",
                "region",
            ],
        ),
        ("http_dynreg_url", &["region"]),
        (
            "http_auth_devicename",
            &[
                "product_key",
                "device_name",
                "device_secret",
                "client_id",
                "sign_method",
                "send_signmethod",
                "timestamp",
                "version",
                "resources",
                "region",
            ],
        ),
        (
            "http_channel_auth",
            &[
                "product_key",
                "device_name",
                "device_secret",
                "client_id",
                "sign_method",
                "timestamp",
                "region",
            ],
        ),
        (
            "tls_psk",
            &["product_key", "device_name", "device_secret", "timestamp"],
        ),
        ("mqtt_host", &["region", "product_key", "instance_id"]),
        ("primitive_hmac", &["sign_method", "key", "content"]),
        ("parse_register_response", &["text"]),
        ("parse_auth_response", &["text"]),
        ("parse_register_payload", &["text"]),
        ("parse_regnwl_payload", &["text"]),
    ];
    assert_eq!(cli::FLOWS.len(), table.len());
    for (flow, inputs) in table {
        let mut want: Vec<&str> = inputs.to_vec();
        let mut got: Vec<&str> = cli::flow_inputs(flow).unwrap().to_vec();
        want.sort_unstable();
        got.sort_unstable();
        assert_eq!(got, want, "{flow}");
        assert!(cli::FLOWS.contains(&flow));
        // A name outside the table is refused, never silently ignored.
        for stray in ["timestmp", "productKey", "dialect", "id", "flow"] {
            let mut input = Map::new();
            input.insert(stray.into(), json!("x"));
            assert_eq!(
                ask(json!({"id": stray, "flow": flow, "input": input})),
                json!({"id": stray, "error": "bad_request"}),
                "{flow} {stray}"
            );
        }
    }
    assert_eq!(cli::flow_inputs("sign_everything"), None);
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

// ---- Validation: every rule through every flow that takes the input ----------------------

const PK: &str = "i2uqc2dloOl";
const DN: &str = "device001";
const DS: &str = "c4fa40df9c8078073d75a26be2bc8f58";
const PS: &str = "xTzMxVmm9HUY19Pr";
const CID: &str = "IXywJDukE7AKzOsfbvmZ000100";
const TOKEN: &str = "^1^1681710731098^563fbcfe8c38f88";

/// A valid input of each flow, with only the required inputs.
fn base(flow: &str) -> Value {
    match flow {
        "mqtt_device_secret" | "http_auth_devicename" | "http_channel_auth" | "tls_psk" => {
            json!({"product_key": PK, "device_name": DN, "device_secret": DS})
        }
        "mqtt_dynreg" | "http_dynreg" => {
            json!({"product_key": PK, "device_name": DN, "product_secret": PS, "random": "123"})
        }
        "mqtt_connwl" => {
            json!({"product_key": PK, "device_name": DN, "client_id": CID, "device_token": TOKEN})
        }
        "http_dynreg_url" => json!({}),
        "mqtt_host" => json!({"product_key": PK}),
        "primitive_hmac" => json!({"sign_method": "hmacsha256", "key": "k", "content": "c"}),
        other => panic!("no base for {other}"),
    }
}

fn rep(c: char, n: usize) -> String {
    std::iter::repeat_n(c, n).collect()
}

/// Values each rule refuses (Aliyun's limits: deviceName 4–32 of `[A-Za-z0-9_.@:-]`,
/// productKey alphanumeric ≤ 20, secrets alphanumeric ≤ 64, clientId ≤ 64 printable ASCII
/// without `|` `,` `=`, random alphanumeric 1–64, timestamp digits; no non-ASCII, no
/// whitespace), as JSON values.
fn refused(input: &str) -> Vec<Value> {
    let v: Vec<Value> = match input {
        "product_key" => vec![
            json!(""),
            json!("p-k"),
            json!("p_k"),
            json!(rep('a', 21)),
            json!("pké"),
            json!("p k"),
        ],
        "device_name" => vec![
            json!(""),
            json!("dev"),
            json!(rep('d', 33)),
            json!("dev/1"),
            json!("dev 1"),
            json!("dev&1"),
            json!("dev|1"),
            json!("设备0001"),
            json!("dev1\n"),
            json!(123),
        ],
        "device_secret" | "product_secret" => vec![
            json!(""),
            json!("abc-def"),
            json!("abc def"),
            json!(rep('S', 65)),
            json!("abcdéf"),
        ],
        "client_id" => vec![
            json!(""),
            json!("a|b"),
            json!("a,b"),
            json!("a=b"),
            json!("a b"),
            json!("a\tb"),
            json!(rep('c', 65)),
            json!("客户端"),
            json!("a\u{7f}"),
        ],
        "random" => vec![
            json!(""),
            json!("-1"),
            json!("12 3"),
            json!("1.5"),
            json!(rep('7', 65)),
            json!("１２３"),
            json!(-1),
        ],
        "timestamp" => vec![
            json!(""),
            json!("12a"),
            json!("-1"),
            json!("1.5"),
            json!(" 1"),
            json!(rep('9', 21)),
            json!(-5),
        ],
        "sign_method" | "sign_method_value" => vec![
            json!(""),
            json!("md5"),
            json!("sha1"),
            json!("hmac-sha1"),
            json!("hmacsha512"),
            json!(" hmacsha1"),
        ],
        "secure_mode" => vec![
            json!(0),
            json!(1),
            json!(-1),
            json!(4),
            json!(8),
            json!(u64::MAX),
        ],
        "auth_type" => vec![json!(""), json!("connwl"), json!("registerx")],
        "instance_id" => vec![
            json!(""),
            json!("iot_1"),
            json!("-iot"),
            json!("iot-"),
            json!("iot.1"),
            json!(rep('i', 64)),
        ],
        "region" => vec![
            json!(""),
            json!("CN"),
            json!("cn_shanghai"),
            json!("1cn"),
            json!("cn-"),
            json!("cn.shanghai"),
            json!(rep('r', 33)),
        ],
        "device_token" => vec![
            json!(""),
            json!("a b"),
            json!("a\"b"),
            json!("a\\b"),
            json!(rep('t', 129)),
        ],
        "version" => vec![json!(""), json!("a&b"), json!("a,b"), json!(rep('v', 17))],
        "resources" => vec![json!(""), json!("mqtt&x=1"), json!(rep('r', 33))],
        _ => vec![],
    };
    v
}

/// The Aliyun field named in the `validation` reply, as the specification spells it.
fn field_of(flow: &str, input: &str) -> &'static str {
    match input {
        "product_key" => "productKey",
        "device_name" => "deviceName",
        "device_secret" => "deviceSecret",
        "product_secret" => "productSecret",
        "client_id" => "clientId",
        "random" => "random",
        "timestamp" => "timestamp",
        "sign_method" | "sign_method_value" if flow == "http_dynreg" => "signMethod",
        "sign_method" => "signmethod",
        "secure_mode" => "securemode",
        "auth_type" => "authType",
        "instance_id" => "instanceId",
        "region" => "region",
        "device_token" => "deviceToken",
        "version" => "version",
        "resources" => "resources",
        other => panic!("no field for {other}"),
    }
}

#[test]
fn every_rule_through_every_flow() {
    let mut checked = 0;
    for flow in cli::FLOWS.iter().filter(|f| !f.starts_with("parse_")) {
        let base = base(flow);
        assert!(
            ask(json!({"id": 0, "flow": flow, "input": base}))
                .get("error")
                .is_none()
        );
        for input in cli::flow_inputs(flow).unwrap() {
            // mqtt_host: product_key and region are read only without instance_id.
            for value in refused(input) {
                let mut request = base.clone();
                request[*input] = value.clone();
                let field = field_of(flow, input);
                assert_eq!(
                    ask(json!({"id": [flow, input], "flow": flow, "input": request})),
                    json!({"id": [flow, input], "error": "validation", "field": field}),
                    "{flow}: {input} = {value}"
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 300, "{checked}");
}

#[test]
fn rules_that_depend_on_the_flow() {
    let with = |flow: &str, extra: Value| {
        let mut input = base(flow);
        for (k, v) in extra.as_object().unwrap() {
            input[k] = v.clone();
        }
        ask(json!({"id": 1, "flow": flow, "input": input}))
    };
    let validation = |field: &str| json!({"id": 1, "error": "validation", "field": field});
    // securemode: 2 or 3 for one device one secret, 2 or -2 for registration (TLS only).
    assert_eq!(
        with("mqtt_device_secret", json!({"secure_mode": -2})),
        validation("securemode")
    );
    assert!(
        with("mqtt_device_secret", json!({"secure_mode": 3}))
            .get("error")
            .is_none()
    );
    assert_eq!(
        with("mqtt_dynreg", json!({"secure_mode": 3})),
        validation("securemode")
    );
    for auth in ["register", "regnwl"] {
        for mode in [2, -2] {
            let r = with(
                "mqtt_dynreg",
                json!({"auth_type": auth, "secure_mode": mode}),
            );
            let want = format!("|securemode={mode},authType={auth},");
            assert!(r["client_id"].as_str().unwrap().contains(&want), "{r}");
        }
    }
    // signmethod may be left out of /auth/devicename only with hmacmd5.
    for m in ["hmacsha1", "hmacsha256"] {
        assert_eq!(
            with(
                "http_auth_devicename",
                json!({"sign_method": m, "send_signmethod": false})
            ),
            validation("signmethod")
        );
    }
    let r = with("http_auth_devicename", json!({"send_signmethod": false}));
    assert!(!r["body"].as_str().unwrap().contains("signmethod"), "{r}");
    // signMethod must name the method it is written for.
    assert_eq!(
        with(
            "http_dynreg",
            json!({"sign_method": "hmacsha1", "sign_method_value": "HmacMD5"})
        ),
        validation("signMethod")
    );
    // mqtt_host: instance_id wins; product_key and region are then not read.
    assert_eq!(
        with(
            "mqtt_host",
            json!({"instance_id": "iot-06z00hxss3rggno", "product_key": "p-k"})
        )["host"],
        "iot-06z00hxss3rggno.mqtt.iothub.aliyuncs.com"
    );
    // connwl: the payload's values are validated too, and given names must match them.
    let payload = |cid: &str, token: &str| {
        json!({"clientId": cid, "productKey": PK, "deviceName": DN, "deviceToken": token})
            .to_string()
    };
    for (p, field) in [
        (payload("a|b", TOKEN), "clientId"),
        (payload(CID, "a b"), "deviceToken"),
        (
            json!({"clientId": CID, "productKey": "p-k", "deviceName": DN, "deviceToken": TOKEN})
                .to_string(),
            "productKey",
        ),
    ] {
        assert_eq!(
            ask(json!({"id": 1, "flow": "mqtt_connwl", "input": {"regnwl_payload": p}})),
            validation(field)
        );
    }
    for (extra, field) in [
        (json!({"product_key": "i2uq9ORmOSM"}), "productKey"),
        (json!({"device_name": "Kit001"}), "deviceName"),
    ] {
        let mut input = extra;
        input["regnwl_payload"] = json!(payload(CID, TOKEN));
        assert_eq!(
            ask(json!({"id": 1, "flow": "mqtt_connwl", "input": input})),
            validation(field)
        );
    }
    // Values inside a reply text are validated and named as Aliyun names them.
    for (flow, text, field) in [
        (
            "parse_register_response",
            json!({"code": 200, "data": {"deviceSecret": rep('s', 65), "productKey": PK, "deviceName": DN}}),
            "deviceSecret",
        ),
        (
            "parse_register_payload",
            json!({"deviceSecret": DS, "productKey": "p-k", "deviceName": DN}),
            "productKey",
        ),
        (
            "parse_regnwl_payload",
            json!({"clientId": CID, "productKey": PK, "deviceName": "dev", "deviceToken": TOKEN}),
            "deviceName",
        ),
        (
            "parse_auth_response",
            json!({"code": 200, "data": {"iotId": "i", "iotToken": "a b"}}),
            "iotToken",
        ),
        (
            "parse_auth_response",
            json!({"code": 200, "data": {"deviceId": "a\"b", "iotToken": "t"}}),
            "iotId",
        ),
        (
            "parse_auth_response",
            json!({"code": 200, "data": {"iotId": "i", "iotToken": "t", "resources": {"mqtt": {"host": "h:1883", "port": 1883}}}}),
            "host",
        ),
    ] {
        assert_eq!(
            ask(json!({"id": 1, "flow": flow, "input": {"text": text.to_string()}})),
            validation(field),
            "{flow} {text}"
        );
    }
}

#[test]
fn required_inputs() {
    /// (input, the Aliyun field named when it is missing, or `None` for `bad_request`)
    type Required<'a> = &'a [(&'a str, Option<&'a str>)];
    let required: [(&str, Required<'_>); 10] = [
        (
            "mqtt_device_secret",
            &[
                ("product_key", Some("productKey")),
                ("device_name", Some("deviceName")),
                ("device_secret", Some("deviceSecret")),
            ],
        ),
        (
            "mqtt_dynreg",
            &[
                ("product_key", Some("productKey")),
                ("device_name", Some("deviceName")),
                ("product_secret", Some("productSecret")),
                ("random", Some("random")),
            ],
        ),
        (
            "mqtt_connwl",
            &[
                ("product_key", Some("productKey")),
                ("device_name", Some("deviceName")),
                ("client_id", Some("clientId")),
                ("device_token", Some("deviceToken")),
            ],
        ),
        (
            "http_dynreg",
            &[
                ("product_key", Some("productKey")),
                ("device_name", Some("deviceName")),
                ("product_secret", Some("productSecret")),
                ("random", Some("random")),
            ],
        ),
        (
            "http_auth_devicename",
            &[
                ("product_key", Some("productKey")),
                ("device_name", Some("deviceName")),
                ("device_secret", Some("deviceSecret")),
            ],
        ),
        (
            "http_channel_auth",
            &[
                ("product_key", Some("productKey")),
                ("device_name", Some("deviceName")),
                ("device_secret", Some("deviceSecret")),
            ],
        ),
        (
            "tls_psk",
            &[
                ("product_key", Some("productKey")),
                ("device_name", Some("deviceName")),
                ("device_secret", Some("deviceSecret")),
            ],
        ),
        ("mqtt_host", &[("product_key", Some("productKey"))]),
        (
            "primitive_hmac",
            &[
                ("sign_method", Some("signmethod")),
                ("key", None),
                ("content", None),
            ],
        ),
        ("http_dynreg_url", &[]),
    ];
    for (flow, inputs) in required {
        for (input, field) in inputs {
            let want = match field {
                Some(f) => json!({"id": 2, "error": "validation", "field": f}),
                None => json!({"id": 2, "error": "bad_request"}),
            };
            // Absent and null are the same: there is no default to take.
            for missing in [None, Some(Value::Null)] {
                let mut input_obj = base(flow);
                let map = input_obj.as_object_mut().unwrap();
                match &missing {
                    None => map.remove(*input),
                    Some(v) => map.insert(input.to_string(), v.clone()),
                };
                assert_eq!(
                    ask(json!({"id": 2, "flow": flow, "input": input_obj})),
                    want,
                    "{flow} without {input}"
                );
            }
        }
    }
    for flow in cli::FLOWS.iter().filter(|f| f.starts_with("parse_")) {
        for input in [json!({}), json!({"text": null}), Value::Null] {
            assert_eq!(
                ask(json!({"id": 3, "flow": flow, "input": input})),
                json!({"id": 3, "error": "bad_request"})
            );
        }
    }
    // connwl: one of the two forms, not both, not neither.
    for input in [
        json!({"product_key": PK, "device_name": DN}),
        json!({"regnwl_payload": "{}", "client_id": CID}),
        json!({"regnwl_payload": "{}", "device_token": TOKEN}),
    ] {
        assert_eq!(
            ask(json!({"id": 4, "flow": "mqtt_connwl", "input": input})),
            json!({"id": 4, "error": "bad_request"}),
            "{input}"
        );
    }
}

#[test]
fn absent_null_and_the_default_are_the_same() {
    // (flow, input, its default as the specification states it)
    let defaults: [(&str, &str, Value); 20] = [
        (
            "mqtt_device_secret",
            "client_id",
            json!("i2uqc2dloOl.device001"),
        ),
        ("mqtt_device_secret", "sign_method", json!("hmacsha256")),
        ("mqtt_device_secret", "secure_mode", json!(2)),
        ("mqtt_dynreg", "auth_type", json!("register")),
        ("mqtt_dynreg", "sign_method", json!("hmacsha256")),
        ("mqtt_dynreg", "client_id", json!("i2uqc2dloOl.device001")),
        ("mqtt_dynreg", "secure_mode", json!(2)),
        ("http_dynreg", "sign_method", json!("hmacsha256")),
        ("http_dynreg", "sign_method_value", json!("hmacsha256")),
        ("http_dynreg", "region", json!("cn-shanghai")),
        ("http_dynreg_url", "region", json!("cn-shanghai")),
        (
            "http_auth_devicename",
            "client_id",
            json!("i2uqc2dloOl.device001"),
        ),
        ("http_auth_devicename", "sign_method", json!("hmacmd5")),
        ("http_auth_devicename", "send_signmethod", json!(true)),
        ("http_auth_devicename", "region", json!("cn-shanghai")),
        (
            "http_channel_auth",
            "client_id",
            json!("i2uqc2dloOl.device001"),
        ),
        ("http_channel_auth", "sign_method", json!("hmacsha1")),
        ("http_channel_auth", "region", json!("cn-shanghai")),
        ("tls_psk", "timestamp", json!("2524608000000")),
        ("mqtt_host", "region", json!("cn-shanghai")),
    ];
    for (flow, input, default) in defaults {
        let absent = ask(json!({"id": 5, "flow": flow, "input": base(flow)}));
        assert!(absent.get("error").is_none(), "{absent}");
        for value in [Value::Null, default] {
            let mut request = base(flow);
            request[input] = value.clone();
            assert_eq!(
                ask(json!({"id": 5, "flow": flow, "input": request})),
                absent,
                "{flow}: {input} = {value}"
            );
        }
    }
    // regnwl: securemode -2 by default.
    let mut regnwl = base("mqtt_dynreg");
    regnwl["auth_type"] = json!("regnwl");
    let absent = ask(json!({"id": 6, "flow": "mqtt_dynreg", "input": regnwl.clone()}));
    assert!(
        absent["client_id"]
            .as_str()
            .unwrap()
            .contains("|securemode=-2,authType=regnwl,")
    );
    regnwl["secure_mode"] = json!(-2);
    assert_eq!(
        ask(json!({"id": 6, "flow": "mqtt_dynreg", "input": regnwl})),
        absent
    );
    // No timestamp, version or resources unless given; null everywhere is the bare request.
    let all_null = json!({"product_key": PK, "device_name": DN, "device_secret": DS,
        "client_id": null, "sign_method": null, "send_signmethod": null, "timestamp": null,
        "version": null, "resources": null, "region": null});
    let r = ok("http_auth_devicename", all_null);
    assert_eq!(
        r["body"].as_str().unwrap(),
        format!(
            "productKey={PK}&sign={}&clientId={PK}.{DN}&deviceName={DN}&signmethod=hmacmd5",
            r["sign"].as_str().unwrap()
        )
    );
    // The whole input object may be absent or null when every input has a default.
    for input in [None, Some(Value::Null), Some(json!({}))] {
        let mut req = json!({"id": 7, "flow": "http_dynreg_url"});
        if let Some(i) = input {
            req["input"] = i;
        }
        assert_eq!(
            ask(req)["url"],
            "https://iot-auth.cn-shanghai.aliyuncs.com/auth/register/device"
        );
    }
}

#[test]
fn json_types_of_inputs() {
    // A JSON integer for a text input is its decimal text (timestamps, randoms, IMEIs).
    let as_text = ok(
        "mqtt_device_secret",
        json!({"product_key": PK, "device_name": "862991419835241",
        "device_secret": DS, "client_id": "862991419835241", "timestamp": "1680937625134"}),
    );
    let as_numbers = ok(
        "mqtt_device_secret",
        json!({"product_key": PK, "device_name": 862991419835241u64,
        "device_secret": DS, "client_id": 862991419835241u64, "timestamp": 1680937625134u64}),
    );
    assert_eq!(as_text, as_numbers);
    let r = ok(
        "mqtt_dynreg",
        json!({"product_key": "i2uqZnX9tZK", "device_name": "meter001",
        "product_secret": PS, "random": 123, "sign_method": "hmacsha1"}),
    );
    assert_eq!(r["password"], "25f4b80c3fab2ed6e41644a38f2c5b67eac1b505");
    assert_eq!(
        r["sign_content"],
        "deviceNamemeter001productKeyi2uqZnX9tZKrandom123"
    );
    let r = ok(
        "http_dynreg",
        json!({"product_key": "b1KCi45LcCP", "device_name": 862991419835241u64,
        "product_secret": "VWll9fiYWKiwraBk", "random": 123456, "sign_method_value": "HmacMD5"}),
    );
    assert_eq!(r["sign"], "1770d38260cc980dbc4337ed7fe1e8de");
    // Fractions, booleans, arrays and objects are not text.
    for input in [
        "timestamp",
        "random",
        "device_name",
        "client_id",
        "region",
        "sign_method",
    ] {
        for value in [
            json!(1.5),
            json!(1e3),
            json!(true),
            json!(["1"]),
            json!({"v": "1"}),
        ] {
            let flow = if input == "random" {
                "mqtt_dynreg"
            } else {
                "mqtt_device_secret"
            };
            let flow = if input == "region" {
                "http_dynreg_url"
            } else {
                flow
            };
            let mut request = base(flow);
            request[input] = value.clone();
            assert_eq!(
                ask(json!({"id": 8, "flow": flow, "input": request})),
                json!({"id": 8, "error": "bad_request"}),
                "{input} = {value}"
            );
        }
    }
    // secure_mode is a JSON integer, send_signmethod a JSON boolean.
    for value in [json!("2"), json!(2.5), json!(true)] {
        let mut request = base("mqtt_device_secret");
        request["secure_mode"] = value;
        assert_eq!(
            ask(json!({"id": 9, "flow": "mqtt_device_secret", "input": request})),
            json!({"id": 9, "error": "bad_request"})
        );
    }
    for value in [json!("false"), json!(0)] {
        let mut request = base("http_auth_devicename");
        request["send_signmethod"] = value;
        assert_eq!(
            ask(json!({"id": 9, "flow": "http_auth_devicename", "input": request})),
            json!({"id": 9, "error": "bad_request"})
        );
    }
    // Outputs: secure_mode and numbers are JSON numbers.
    let r = ok("mqtt_host", json!({"product_key": PK}));
    assert_eq!(r["tls_ports"], json!([1883, 443]));
    assert!(r["tcp_ports"][0].is_u64());
    assert!(ok("http_dynreg", base("http_dynreg"))["port"].is_u64());
    let r = ok(
        "parse_register_response",
        json!({"text": r#"{"code":460,"message":"m"}"#}),
    );
    assert_eq!(r["ok"], json!(false));
    assert!(r["code"].is_i64());
}

#[test]
fn error_shapes() {
    let validation = ask(
        json!({"id": 1, "flow": "tls_psk", "input": {"product_key": "p-k",
        "device_name": DN, "device_secret": DS}}),
    );
    assert_eq!(keys(&validation), ["error", "field", "id"]);
    let line = cli::handle_line(r#"{"id":1,"flow":"tls_psk","input":{"product_key":"p-k","device_name":"device001","device_secret":"s"}}"#).unwrap();
    assert_eq!(
        line,
        r#"{"id":1,"error":"validation","field":"productKey"}"#
    );
    for (request, kind) in [
        (json!({"id": 2, "flow": "sign_everything"}), "unknown_flow"),
        (
            json!({"id": 2, "flow": "MQTT_HOST", "input": {}}),
            "unknown_flow",
        ),
        (
            json!({"id": 2, "flow": "mqtt-host", "input": {}}),
            "unknown_flow",
        ),
        (json!({"id": 2, "input": {}}), "bad_request"),
        (json!({"id": 2, "flow": 5}), "bad_request"),
        (json!({"id": 2, "flow": null}), "bad_request"),
        (
            json!({"id": 2, "flow": "mqtt_host", "input": "x"}),
            "bad_request",
        ),
        (
            json!({"id": 2, "flow": "mqtt_host", "input": [1]}),
            "bad_request",
        ),
        (
            json!({"id": 2, "flow": "parse_register_response", "input": {"text": "{"}}),
            "parse",
        ),
        (
            json!({"id": 2, "flow": "parse_auth_response", "input": {"text": "{\"code\":200}"}}),
            "parse",
        ),
    ] {
        assert_eq!(
            ask(request.clone()),
            json!({"id": 2, "error": kind}),
            "{request}"
        );
    }
    if !atmodem::aliyun::SignMethod::HmacMd5.is_enabled() {
        assert_eq!(
            ask(json!({"id": 7, "flow": "primitive_hmac",
                "input": {"sign_method": "hmacmd5", "key": "k", "content": "c"}})),
            json!({"id": 7, "error": "unsupported_sign_method"})
        );
    }
    // Unknown flow is reported before anything about the input.
    assert_eq!(
        ask(json!({"id": 3, "flow": "nope", "input": {"junk": 1}})),
        json!({"id": 3, "error": "unknown_flow"})
    );
}

#[test]
fn platform_errors_whatever_the_shape() {
    for flow in cli::FLOWS.iter().filter(|f| f.starts_with("parse_")) {
        for (text, code, message) in [
            (
                r#"{"code":460,"data":"","message":"request parameter error"}"#,
                460,
                "request parameter error",
            ),
            (
                r#"{"code":6100,"data":{"deviceSecret":5},"message":"设备不存在"}"#,
                6100,
                "设备不存在",
            ),
            (
                r#"{"message":"a \"b\" \u8bbe","code":500}"#,
                500,
                "a \"b\" 设",
            ),
            (r#"{"code":429}"#, 429, ""),
        ] {
            assert_eq!(
                ask(json!({"id": flow, "flow": flow, "input": {"text": text}})),
                json!({"id": flow, "ok": false, "code": code, "message": message}),
                "{flow} {text}"
            );
        }
    }
}

#[test]
fn malformed_lines_echo_the_id_when_it_can_be_read() {
    for (line, id) in [
        (
            r#"{"id": 5, "flow": "mqtt_host", "input": {"product_key": "abc""#,
            json!(5),
        ),
        (
            r#"{"id":"a\"b","flow":"mqtt_host"} trailing"#,
            json!("a\"b"),
        ),
        (
            r#"  {"flow": "mqtt_host", "id": {"n": [1, 2]}, "input": {,}}"#,
            json!({"n": [1, 2]}),
        ),
        (
            r#"{"flow": "x", "input": {"a": tru}, "id": 9}"#,
            Value::Null,
        ),
        // Cut inside or right after the id: `12` may be the start of `123`.
        (r#"{"id": 12"#, Value::Null),
        (r#"{"id": 12 "#, Value::Null),
        (r#"{"id": "ab"#, Value::Null),
        (r#"{"id": "ab" "#, Value::Null),
        (r#"{"id": "ab" }  x"#, json!("ab")),
        (r#"{"id": [1, 2"#, Value::Null),
        (r#"{"id": -1.5e2 , "input":"#, json!(-150.0)),
        (r#"{"id": null, "#, Value::Null),
        ("not json", Value::Null),
        ("{", Value::Null),
        ("}", Value::Null),
        ("[1]", Value::Null),
        ("\"x\"", Value::Null),
        ("5", Value::Null),
        ("null", Value::Null),
        (r#"{"id": 1, "flow": 5}"#, json!(1)),
        (r#"{"id": 1} {"id": 2}"#, json!(1)),
    ] {
        let reply: Value = serde_json::from_str(&cli::handle_line(line).unwrap()).unwrap();
        assert_eq!(reply, json!({"id": id, "error": "bad_request"}), "{line}");
    }
    for blank in ["", " ", "\t", "  \t "] {
        assert_eq!(cli::handle_line(blank), None);
    }
}

#[test]
fn json_loop_one_reply_per_line() {
    let mut input: Vec<u8> = Vec::new();
    input.extend_from_slice(b"garbage\n\n{\"id\":7,\"flow\":\"http_dynreg_url\"}\r\n");
    input.extend_from_slice(
        b"{\"id\":70,\"flow\":\"mqtt_host\",\"input\":{\"instance_id\":\"\xff\"}}\n",
    );
    input.extend_from_slice(
        b"\x01\n   \n{\"id\":8,\"flow\":\"mqtt_host\",\"input\":{\"instance_id\":\"iot-1\"}}\n",
    );
    input.extend_from_slice(
        b"{\"id\":9,\"flow\":\"mqtt_host\",\"input\":{\"instance_id\":\"iot-2\"}}",
    );
    let mut out = Vec::new();
    cli::run_json(input.as_slice(), &mut out).unwrap();
    let lines: Vec<Value> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        lines,
        [
            json!({"id": null, "error": "bad_request"}),
            json!({"id": 7, "url": "https://iot-auth.cn-shanghai.aliyuncs.com/auth/register/device"}),
            json!({"id": 70, "error": "bad_request"}),
            json!({"id": null, "error": "bad_request"}),
            json!({"id": 8, "host": "iot-1.mqtt.iothub.aliyuncs.com", "tls_ports": [1883, 443, 8883], "tcp_ports": [1883]}),
            json!({"id": 9, "host": "iot-2.mqtt.iothub.aliyuncs.com", "tls_ports": [1883, 443, 8883], "tcp_ports": [1883]}),
        ]
    );
}

// ---- The printed AT lines ------------------------------------------------------------------

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// The lines to type (explanations starting with `#` left out).
fn at(list: &[&str]) -> Vec<String> {
    cli::cli(&args(list))
        .unwrap()
        .into_iter()
        .filter(|l| !l.starts_with('#'))
        .collect()
}

const QUECTEL_DS: [&str; 12] = [
    "--flow",
    "mqtt_device_secret",
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
];

#[test]
fn quectel_mqtt_lines() {
    // Quectel note §4.1.2: version, the empty aliauth check, open, connect with the strings.
    assert_eq!(
        at(&QUECTEL_DS),
        [
            r#"AT+QMTCFG="version",0,4"#,
            r#"AT+QMTCFG="aliauth",0"#,
            r#"AT+QMTCFG="ssl",0,1,2"#,
            r#"AT+QMTOPEN=0,"iot-06z00hxss3rggno.mqtt.iothub.aliyuncs.com",1883"#,
            r#"AT+QMTCONN=0,"i2uqc2dloOl.device001|securemode=2,signmethod=hmacsha256,timestamp=1680937625134|","device001&i2uqc2dloOl","0309b31761c30d24d37a25558c5604de308c92eb6ac8656a1981f85783fb23db""#,
        ]
    );
    let all = cli::cli(&args(&QUECTEL_DS)).unwrap();
    assert!(all.contains(&"# sign content: clientIdi2uqc2dloOl.device001deviceNamedevice001productKeyi2uqc2dloOltimestamp1680937625134".to_string()));
    // Quectel note §4.1.1: the module signs from the triple; QMTCONN carries the client id only.
    let mut aliauth = QUECTEL_DS.to_vec();
    aliauth.extend([
        "--aliauth",
        "true",
        "--client-id",
        "device001",
        "--secure-mode",
        "3",
        "--port",
        "1883",
    ]);
    assert_eq!(
        at(&aliauth),
        [
            r#"AT+QMTCFG="version",0,4"#,
            r#"AT+QMTCFG="ssl",0,0"#,
            r#"AT+QMTCFG="aliauth",0,"i2uqc2dloOl","device001","c4fa40df9c8078073d75a26be2bc8f58""#,
            r#"AT+QMTOPEN=0,"iot-06z00hxss3rggno.mqtt.iothub.aliyuncs.com",1883"#,
            r#"AT+QMTCONN=0,"device001""#,
        ]
    );
    // Quectel note §4.2.1: registration over TLS, then the /ext/register reply.
    let lines = cli::cli(&args(&[
        "--flow",
        "mqtt_dynreg",
        "--product-key",
        "i2uqZnX9tZK",
        "--device-name",
        "meter001",
        "--product-secret",
        "xTzMxVmm9HUY19Pr",
        "--random",
        "123",
        "--sign-method",
        "hmacsha1",
        "--client-id",
        "864430010001091",
        "--instance-id",
        "iot-06z00hxss3rggno",
    ]))
    .unwrap();
    let typed: Vec<&String> = lines.iter().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(
        typed,
        [
            r#"AT+QMTCFG="version",0,4"#,
            r#"AT+QMTCFG="aliauth",0"#,
            r#"AT+QMTCFG="ssl",0,1,2"#,
            r#"AT+QMTOPEN=0,"iot-06z00hxss3rggno.mqtt.iothub.aliyuncs.com",1883"#,
            r#"AT+QMTCONN=0,"864430010001091|securemode=2,authType=register,random=123,signmethod=hmacsha1,instanceId=iot-06z00hxss3rggno|","meter001&i2uqZnX9tZK","25f4b80c3fab2ed6e41644a38f2c5b67eac1b505""#,
        ]
    );
    assert!(
        lines.iter().any(|l| l.starts_with('#')
            && l.contains("/ext/register")
            && l.contains("+QMTSTAT: 0,1"))
    );
    // Quectel note §4.2.2: the connwl login from the /ext/regnwl payload.
    let payload = r#"{"clientId":"IXywJDukE7AKzOsfbvmZ000100","productKey":"i2uq9ORmOSM","deviceName":"Kit001","deviceToken":"^1^1681710731098^563fbcfe8c38f88"}"#;
    assert_eq!(
        at(&[
            "--flow",
            "mqtt_connwl",
            "--regnwl-payload",
            payload,
            "--instance-id",
            "iot-06z00hxss3rggno"
        ])
        .last()
        .unwrap(),
        r#"AT+QMTCONN=0,"IXywJDukE7AKzOsfbvmZ000100|securemode=-2,authType=connwl|","Kit001&i2uq9ORmOSM","^1^1681710731098^563fbcfe8c38f88""#
    );
    // --aliauth is for the one-device-one-secret flow on Quectel only.
    let mut luat = aliauth.clone();
    luat.extend(["--dialect", "luat"]);
    let dynreg = [
        "--flow",
        "mqtt_dynreg",
        "--product-key",
        PK,
        "--device-name",
        DN,
        "--product-secret",
        PS,
        "--random",
        "1",
        "--aliauth",
        "true",
    ];
    for list in [&luat[..], &dynreg[..]] {
        assert!(
            matches!(cli::cli(&args(list)), Err(cli::Fail::BadRequest(_))),
            "{list:?}"
        );
    }
}

#[test]
fn luat_lines() {
    // Luat note §3: the HTTPS registration, 120 bytes after DOWNLOAD.
    assert_eq!(
        at(&[
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
        ]),
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
    // Luat note §4: /auth/devicename without signmethod, 112 bytes.
    let lines = cli::cli(&args(&[
        "--flow",
        "http_auth_devicename",
        "--dialect",
        "luat",
        "--product-key",
        "b1KCi45LcCP",
        "--device-name",
        "862991419835241",
        "--device-secret",
        "mRMyB50qafv74A5FofvhxZ2h9iTL9wX7",
        "--client-id",
        "862991419835241",
        "--send-signmethod",
        "false",
    ]))
    .unwrap();
    let typed: Vec<&String> = lines.iter().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(
        typed,
        [
            "AT+HTTPINIT",
            r#"AT+HTTPPARA="URL","https://iot-auth.cn-shanghai.aliyuncs.com/auth/devicename""#,
            r#"AT+HTTPPARA="USER_DEFINED","Content-Type: application/x-www-form-urlencoded""#,
            "AT+HTTPDATA=112,20000",
            "productKey=b1KCi45LcCP&sign=70e7bb641d7566ad26a305dd20e8e261&clientId=862991419835241&deviceName=862991419835241",
            "AT+HTTPACTION=1",
            "AT+HTTPREAD",
            "AT+HTTPTERM",
        ]
    );
    // Step 5 follows with the bare client id.
    assert!(lines.iter().any(|l| l.starts_with('#')
        && l.contains(r#"AT+MCONFIG="862991419835241","<iotId>","<iotToken>""#)));
    // MQTT: MCONFIG, then SSLMIPSTART (TLS) or MIPSTART (TCP), then MCONNECT.
    let typed = at(&[
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
        "--region",
        "cn-shanghai",
    ]);
    assert_eq!(typed.len(), 3);
    assert!(typed[0].starts_with(
        r#"AT+MCONFIG="b1KCi45LcCP.862991419835241|securemode=3,signmethod=hmacsha256|","862991419835241&b1KCi45LcCP",""#
    ));
    assert_eq!(
        typed[1],
        r#"AT+MIPSTART="b1KCi45LcCP.iot-as-mqtt.cn-shanghai.aliyuncs.com",1883"#
    );
    assert_eq!(typed[2], "AT+MCONNECT=1,300");
    let typed = at(&[
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
        "--port",
        "443",
    ]);
    assert_eq!(
        typed[1],
        r#"AT+SSLMIPSTART="b1KCi45LcCP.iot-as-mqtt.cn-shanghai.aliyuncs.com",443"#
    );
}

#[test]
fn quectel_http_lines() {
    // Quectel note §4.2.3: QHTTPURL with the 62-byte URL, QHTTPPOST with the 120-byte body.
    // Its productSecret is masked; a stand-in secret gives the same lengths.
    assert_eq!(
        at(&[
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
        ]),
        [
            "AT+QHTTPURL=62,80",
            "https://iot-auth.cn-shanghai.aliyuncs.com/auth/register/device",
            "AT+QHTTPPOST=120,120,120",
            // Python: hmac.new(b"stand1in2secret3", b"deviceNamedevice001productKeyi2uqzmkZsLGrandom003", hashlib.sha1)
            "productKey=i2uqzmkZsLG&deviceName=device001&random=003&sign=206249bbe1713e228ec2c0a124262f2ae4f68e67&signMethod=hmacsha1",
            "AT+QHTTPREAD=200",
        ]
    );
    // The HTTP channel body is JSON: content type 4 first.
    let typed = at(&[
        "--flow",
        "http_channel_auth",
        "--product-key",
        "a1GFjLP3xxC",
        "--device-name",
        "device1",
        "--device-secret",
        "uwMTmVAMnxB",
    ]);
    assert_eq!(typed[0], r#"AT+QHTTPCFG="contenttype",4"#);
    assert_eq!(typed[1], "AT+QHTTPURL=49,80");
    assert_eq!(
        typed[2],
        "https://iot-as-http.cn-shanghai.aliyuncs.com/auth"
    );
    assert_eq!(typed[3], format!("AT+QHTTPPOST={},120,120", typed[4].len()));
}

#[test]
fn command_line_errors() {
    let fail = |list: &[&str]| cli::cli(&args(list)).unwrap_err();
    assert_eq!(
        fail(&["--flow", "mqtt_host", "--instance-id", "-x"]),
        cli::Fail::Validation(
            "instanceId",
            "invalid instanceId: character not allowed".into()
        )
    );
    assert!(matches!(
        fail(&[
            "--flow",
            "tls_psk",
            "--product-key",
            PK,
            "--device-name",
            DN,
            "--device-secret",
            DS,
            "--regio",
            "x"
        ]),
        cli::Fail::BadRequest(_)
    ));
    assert!(matches!(
        fail(&["--flow", "nope"]),
        cli::Fail::UnknownFlow(_)
    ));
    assert!(matches!(
        fail(&["--product-key", PK]),
        cli::Fail::BadRequest(_)
    ));
    assert!(matches!(fail(&["--flow"]), cli::Fail::BadRequest(_)));
    assert!(matches!(fail(&["mqtt_host"]), cli::Fail::BadRequest(_)));
    assert!(matches!(
        fail(&["--flow", "mqtt_host", "--dialect", "sim800"]),
        cli::Fail::BadRequest(_)
    ));
    assert!(matches!(
        fail(&[
            "--flow",
            "mqtt_host",
            "--product-key",
            PK,
            "--product-key",
            PK
        ]),
        cli::Fail::BadRequest(_)
    ));
    assert!(matches!(
        fail(&[
            "--flow",
            "tls_psk",
            "--product-key",
            PK,
            "--device-name",
            DN,
            "--device-secret",
            DS,
            "--aliauth",
            "yes"
        ]),
        cli::Fail::BadRequest(_)
    ));
    // The printout-only host inputs are not flow inputs of tls_psk.
    assert!(matches!(
        fail(&[
            "--flow",
            "tls_psk",
            "--product-key",
            PK,
            "--device-name",
            DN,
            "--device-secret",
            DS,
            "--region",
            "cn-shanghai"
        ]),
        cli::Fail::BadRequest(_)
    ));
    assert_eq!(
        cli::cli(&args(&[
            "--flow",
            "http_dynreg_url",
            "--region",
            "us-west-1"
        ]))
        .unwrap(),
        ["url: https://iot-auth.us-west-1.aliyuncs.com/auth/register/device"]
    );
}

// ---- The real binary -------------------------------------------------------------------

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
            input.push_str("\r\n\nnot json\n{\"id\": 42, \"flow\": \n");
            want.push(r#"{"id":null,"error":"bad_request"}"#.to_string());
            want.push(r#"{"id":42,"error":"bad_request"}"#.to_string());
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

/// The command line of the real binary: exit status, AT lines on stdout, errors on stderr.
#[test]
fn binary_command_line() {
    use std::process::Command;

    let out = Command::new(example_binary())
        .args(QUECTEL_DS)
        .output()
        .unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.lines().any(|l| l == r#"AT+QMTCONN=0,"i2uqc2dloOl.device001|securemode=2,signmethod=hmacsha256,timestamp=1680937625134|","device001&i2uqc2dloOl","0309b31761c30d24d37a25558c5604de308c92eb6ac8656a1981f85783fb23db""#), "{stdout}");
    let out = Command::new(example_binary())
        .args([
            "--flow",
            "tls_psk",
            "--product-key",
            "p-k",
            "--device-name",
            DN,
            "--device-secret",
            DS,
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains("productKey")
    );
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

// ---- Thing-model payload flows -------------------------------------------------------------
//
// Expected texts are the documented examples of the Aliyun device protocol notes
// (Alink §1–§2, RRPC §4.2, NTP §5, OTA §6.2/§6.4), quoted; AT shapes are the Quectel
// note's `AT+QMTPUBEX=0,0,0,0,"<topic>",<length>` and the Luat manual's
// `AT+MPUBEX=<topic>,<qos>,<retain>,<len>`. Lengths are the byte lengths of those quoted
// texts.

const TPK: &str = "a1FlqIQabcd";
const TDN: &str = "device1";

fn thing(flow: &str, extra: Value) -> Value {
    let mut input = json!({"product_key": TPK, "device_name": TDN});
    for (k, v) in extra.as_object().unwrap() {
        input[k] = v.clone();
    }
    ok(flow, input)
}

#[test]
fn thing_flows_are_listed_apart_with_their_inputs() {
    let table: [(&str, &[&str]); 6] = [
        (
            "thing_property_post",
            &["product_key", "device_name", "id", "params", "ack"],
        ),
        (
            "thing_set_reply",
            &["product_key", "device_name", "id", "code", "data"],
        ),
        (
            "ota_inform",
            &["product_key", "device_name", "id", "version", "module"],
        ),
        (
            "ota_progress",
            &["product_key", "device_name", "id", "step", "desc", "module"],
        ),
        (
            "ntp_request",
            &["product_key", "device_name", "device_send_time"],
        ),
        (
            "rrpc_response",
            &[
                "product_key",
                "device_name",
                "message_id",
                "payload",
                "topic",
            ],
        ),
    ];
    assert_eq!(cli::THING_FLOWS.len(), table.len());
    for (flow, inputs) in table {
        assert!(cli::THING_FLOWS.contains(&flow));
        assert!(!cli::FLOWS.contains(&flow));
        assert_eq!(cli::flow_inputs(flow).unwrap(), inputs, "{flow}");
        assert_eq!(
            ask(json!({"id": 1, "flow": flow, "input": {"stray": "x"}})),
            json!({"id": 1, "error": "bad_request"})
        );
    }
}

#[test]
fn thing_payloads_are_the_documented_ones() {
    // §2 post (doc form):
    // {"id":"123","version":"1.0","sys":{"ack":0},
    //  "params":{"Power":{"value":"on","time":1524448722000},"WF":{"value":23.6,"time":1524448722000}},
    //  "method":"thing.event.property.post"}
    // Same members, in the writer's order: compared as JSON values.
    let r = thing(
        "thing_property_post",
        json!({"id": "123", "ack": "0",
               "params": r#"{"Power":{"value":"on","time":1524448722000},"WF":{"value":23.6,"time":1524448722000}}"#}),
    );
    assert_eq!(
        r["topic"],
        "/sys/a1FlqIQabcd/device1/thing/event/property/post"
    );
    let doc: Value = serde_json::from_str(
        r#"{"id":"123","version":"1.0","sys":{"ack":0},
            "params":{"Power":{"value":"on","time":1524448722000},"WF":{"value":23.6,"time":1524448722000}},
            "method":"thing.event.property.post"}"#,
    )
    .unwrap();
    let got: Value = serde_json::from_str(r["payload"].as_str().unwrap()).unwrap();
    assert_eq!(got, doc);
    let line = cli::handle_line(
        &json!({"id": 1, "flow": "ntp_request",
                "input": {"product_key": TPK, "device_name": TDN, "device_send_time": "1"}})
        .to_string(),
    )
    .unwrap();
    assert_eq!(written_order(&line), ["id", "topic", "payload"]);

    // §2 set_reply (up), byte-exact: {"id":"123","code":200,"data":{}}
    let r = thing("thing_set_reply", json!({"id": 123}));
    assert_eq!(
        r["topic"],
        "/sys/a1FlqIQabcd/device1/thing/service/property/set_reply"
    );
    assert_eq!(r["payload"], r#"{"id":"123","code":200,"data":{}}"#);

    // §6.2 version inform {"id":<n>, "params":{"version":"1.0.1","module":"MCU"}}, id a
    // string as the docs type it: compared as JSON values (the doc text has a space).
    let r = thing(
        "ota_inform",
        json!({"id": "123", "version": "1.0.1", "module": "MCU"}),
    );
    assert_eq!(r["topic"], "/ota/device/inform/a1FlqIQabcd/device1");
    let got: Value = serde_json::from_str(r["payload"].as_str().unwrap()).unwrap();
    assert_eq!(
        got,
        json!({"id": "123", "params": {"version": "1.0.1", "module": "MCU"}})
    );

    // §6.4 progress, the doc's example byte-exact:
    // {"id":"123","params":{"step":"-1","desc":"OTA升级失败，请求不到升级包信息。","module":"MCU"}}
    let r = thing(
        "ota_progress",
        json!({"id": "123", "step": "-1", "desc": "OTA升级失败，请求不到升级包信息。", "module": "MCU"}),
    );
    assert_eq!(r["topic"], "/ota/device/progress/a1FlqIQabcd/device1");
    assert_eq!(
        r["payload"],
        r#"{"id":"123","params":{"step":"-1","desc":"OTA升级失败，请求不到升级包信息。","module":"MCU"}}"#
    );

    // §5 NTP: `/ext/ntp/${productKey}/${deviceName}/request`, {"deviceSendTime":"1571724098000"}
    let r = thing("ntp_request", json!({"device_send_time": 1571724098000u64}));
    assert_eq!(r["topic"], "/ext/ntp/a1FlqIQabcd/device1/request");
    assert_eq!(r["payload"], r#"{"deviceSendTime":"1571724098000"}"#);

    // §4.2 RRPC: system form `/sys/${productKey}/${deviceName}/rrpc/response/${messageId}`;
    // custom form `/ext/rrpc/121307410***/a18wP***/device1/user/get` (same as the request).
    let r = thing(
        "rrpc_response",
        json!({"message_id": "1213074100", "payload": "\u{1}opaque"}),
    );
    assert_eq!(
        r["topic"],
        "/sys/a1FlqIQabcd/device1/rrpc/response/1213074100"
    );
    assert_eq!(r["payload"], "\u{1}opaque");
    let r = thing(
        "rrpc_response",
        json!({"message_id": "121307410***", "payload": "{}", "topic": "/a18wP***/device1/user/get"}),
    );
    assert_eq!(
        r["topic"],
        "/ext/rrpc/121307410***/a18wP***/device1/user/get"
    );
}

#[test]
fn thing_flows_refuse_bad_values_on_their_field() {
    let cases: [(&str, Value, &str); 19] = [
        ("thing_property_post", json!({"params": "{}"}), "id"),
        (
            "thing_property_post",
            json!({"id": "4294967296", "params": "{}"}),
            "id",
        ),
        (
            "thing_property_post",
            json!({"id": "-1", "params": "{}"}),
            "id",
        ),
        (
            "thing_property_post",
            json!({"id": "1", "params": "[]"}),
            "params",
        ),
        ("thing_property_post", json!({"id": "1"}), "params"),
        (
            "thing_property_post",
            json!({"id": "1", "params": "{}", "ack": "2"}),
            "ack",
        ),
        ("thing_set_reply", json!({"id": "1", "data": "x"}), "data"),
        ("thing_set_reply", json!({"id": "1", "code": "2xx"}), "code"),
        ("ota_inform", json!({"id": "1"}), "version"),
        ("ota_inform", json!({"id": "1", "version": ""}), "version"),
        (
            "ota_inform",
            json!({"id": "1", "version": "1", "module": "a\nb"}),
            "module",
        ),
        ("ota_progress", json!({"id": "1", "step": "101"}), "step"),
        ("ota_progress", json!({"id": "1", "step": "-5"}), "step"),
        ("ota_progress", json!({"id": "1"}), "step"),
        (
            "ntp_request",
            json!({"device_send_time": "now"}),
            "deviceSendTime",
        ),
        (
            "rrpc_response",
            json!({"message_id": "a/b", "payload": ""}),
            "messageId",
        ),
        (
            "rrpc_response",
            json!({"message_id": "1", "payload": "", "topic": "user/get"}),
            "topic",
        ),
        ("rrpc_response", json!({"message_id": "1"}), "payload"),
        (
            "ntp_request",
            json!({"device_send_time": "1", "device_name": "d"}),
            "deviceName",
        ),
    ];
    for (flow, extra, field) in cases {
        let mut input = json!({"product_key": TPK, "device_name": TDN});
        for (k, v) in extra.as_object().unwrap() {
            input[k] = v.clone();
        }
        assert_eq!(
            ask(json!({"id": 9, "flow": flow, "input": input})),
            json!({"id": 9, "error": "validation", "field": field}),
            "{flow} {extra}"
        );
    }
    let big = "x".repeat(4097);
    assert_eq!(
        ask(json!({"id": 9, "flow": "rrpc_response",
                   "input": {"product_key": TPK, "device_name": TDN, "message_id": "1", "payload": big}})),
        json!({"id": 9, "error": "bad_request"})
    );
}

#[test]
fn thing_flows_print_publish_lines() {
    let payload = r#"{"id":"123","code":200,"data":{}}"#;
    assert_eq!(payload.len(), 33);
    let base = [
        "--flow",
        "thing_set_reply",
        "--product-key",
        TPK,
        "--device-name",
        TDN,
        "--id",
        "123",
    ];
    assert_eq!(
        at(&base),
        [
            r#"AT+QMTPUBEX=0,0,0,0,"/sys/a1FlqIQabcd/device1/thing/service/property/set_reply",33"#,
            payload,
        ]
    );
    let mut luat = base.to_vec();
    luat.extend(["--dialect", "luat"]);
    assert_eq!(
        at(&luat),
        [
            r#"AT+MPUBEX="/sys/a1FlqIQabcd/device1/thing/service/property/set_reply",0,0,33"#,
            payload,
        ]
    );
    let all = cli::cli(&args(&luat)).unwrap();
    assert!(
        all.contains(&"# after >, send these 33 bytes:".to_string()),
        "{all:?}"
    );
    assert!(all.contains(&"# publish at QoS 0".to_string()), "{all:?}");

    // NTP: the answer topic is named; the request is 34 bytes.
    let ntp = cli::cli(&args(&[
        "--flow",
        "ntp-request",
        "--product-key",
        TPK,
        "--device-name",
        TDN,
        "--device-send-time",
        "1571724098000",
    ]))
    .unwrap();
    assert_eq!(
        ntp.iter()
            .filter(|l| !l.starts_with('#'))
            .collect::<Vec<_>>(),
        [
            r#"AT+QMTPUBEX=0,0,0,0,"/ext/ntp/a1FlqIQabcd/device1/request",34"#,
            r#"{"deviceSendTime":"1571724098000"}"#
        ]
    );
    assert!(ntp.contains(
        &"# the platform answers on /ext/ntp/a1FlqIQabcd/device1/response (subscribe to it first)"
            .to_string()
    ));

    // A property post asking for a reply says where it comes; with ack 0 it does not.
    let post = |ack: &str| {
        cli::cli(&args(&[
            "--flow",
            "thing_property_post",
            "--product-key",
            TPK,
            "--device-name",
            TDN,
            "--id",
            "1",
            "--params",
            "{}",
            "--ack",
            ack,
        ]))
        .unwrap()
    };
    let reply_line =
        "# the platform answers on /sys/a1FlqIQabcd/device1/thing/event/property/post_reply";
    assert!(post("1").contains(&reply_line.to_string()));
    assert!(!post("0").contains(&reply_line.to_string()));

    // The RRPC response is QoS 0 on the request's own topic.
    assert_eq!(
        at(&[
            "--flow",
            "rrpc_response",
            "--product-key",
            TPK,
            "--device-name",
            TDN,
            "--message-id",
            "1213074100",
            "--payload",
            "pong",
            "--topic",
            "/a1FlqIQabcd/device1/user/get",
            "--dialect",
            "luat",
        ]),
        [
            r#"AT+MPUBEX="/ext/rrpc/1213074100/a1FlqIQabcd/device1/user/get",0,0,4"#,
            "pong"
        ]
    );
}

#[test]
fn binary_help_lists_the_thing_flows() {
    let out = std::process::Command::new(example_binary())
        .arg("--help")
        .output()
        .unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for flow in cli::FLOWS.iter().chain(&cli::THING_FLOWS) {
        // Every flow (parse flows share one line) appears at a line start.
        assert!(
            help.lines().any(|l| l.trim_start().starts_with(flow)
                || l.contains(&format!("| {flow}"))
                || l.contains(&format!("{flow} |"))),
            "{flow} missing from --help"
        );
    }
}
