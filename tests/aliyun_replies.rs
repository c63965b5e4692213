//! Reply parsing: success and error bodies, unknown fields, malformed input.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use atmodem::aliyun::{
    Field, MqttResource, Problem, ReplyError, parse_auth_reply, parse_http_channel_reply,
    parse_register_payload, parse_register_reply, parse_regnwl_payload,
};

#[test]
fn error_replies_carry_code_and_message() {
    let body = br#"{"code":460,"message":"request parameter error"}"#;
    let want = ReplyError::Platform {
        code: 460,
        message: "request parameter error",
    };
    assert_eq!(parse_register_reply(body).unwrap_err(), want);
    assert_eq!(parse_auth_reply(body).unwrap_err(), want);
    assert_eq!(
        parse_register_reply(body).unwrap_err().to_string(),
        "Aliyun error 460: request parameter error"
    );
    // Codes from Aliyun's device error table, with and without `data`.
    for (body, code) in [
        (
            &br#"{"code":6100,"data":null,"message":"device not found"}"#[..],
            6100,
        ),
        (
            &br#"{"code":6250,"data":{},"message":"product not found"}"#[..],
            6250,
        ),
        (&br#"{"message":"throttled","code":429}"#[..], 429),
        (&br#"{"code":500}"#[..], 500),
    ] {
        match parse_register_reply(body).unwrap_err() {
            ReplyError::Platform { code: c, .. } => assert_eq!(c, code),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(
        parse_register_reply(br#"{"code":500}"#).unwrap_err(),
        ReplyError::Platform {
            code: 500,
            message: ""
        }
    );
    // Non-ASCII messages come back as they are.
    assert_eq!(
        parse_auth_reply("{\"code\":6204,\"message\":\"设备已禁用\"}".as_bytes()).unwrap_err(),
        ReplyError::Platform {
            code: 6204,
            message: "设备已禁用"
        }
    );
    // An error on /ext/register, should the platform ever send one.
    assert_eq!(
        parse_register_payload(br#"{"code":6100,"message":"device not found"}"#).unwrap_err(),
        ReplyError::Platform {
            code: 6100,
            message: "device not found"
        }
    );
}

#[test]
fn error_replies_of_any_shape_keep_code_and_message() {
    // The code decides, whatever `data` holds; the message comes back raw (escapes kept).
    for (body, code, message) in [
        (
            &br#"{"code":460,"data":"","message":"request parameter error"}"#[..],
            460,
            "request parameter error",
        ),
        (
            br#"{"code":460,"data":[1,{"x":null}],"message":"m"}"#,
            460,
            "m",
        ),
        (
            br#"{"code":6100,"data":{"deviceSecret":5,"iotId":[],"token":{}},"message":"m"}"#,
            6100,
            "m",
        ),
        (
            br#"{"message":"a \"b\" \u8bbe","code":500,"info":"x"}"#,
            500,
            r#"a \"b\" \u8bbe"#,
        ),
        (br#"{"code":429,"message":null,"data":true}"#, 429, ""),
    ] {
        let want = ReplyError::Platform { code, message };
        let text = String::from_utf8_lossy(body);
        assert_eq!(parse_register_reply(body).unwrap_err(), want, "{text}");
        assert_eq!(parse_auth_reply(body).unwrap_err(), want, "{text}");
        assert_eq!(parse_register_payload(body).unwrap_err(), want, "{text}");
        assert_eq!(parse_regnwl_payload(body).unwrap_err(), want, "{text}");
        assert_eq!(parse_http_channel_reply(body).unwrap_err(), want, "{text}");
    }
    // 0 is the HTTP channel's success code and an error everywhere else.
    let zero = br#"{"code":0,"message":"success","data":"x","info":{"token":"t"}}"#;
    assert_eq!(
        parse_register_reply(zero).unwrap_err(),
        ReplyError::Platform {
            code: 0,
            message: "success"
        }
    );
    assert_eq!(parse_http_channel_reply(zero).unwrap().token.expose(), "t");
    // A success code with a malformed success shape is malformed, not a platform error.
    assert_eq!(
        parse_register_reply(br#"{"code":200,"data":"x"}"#).unwrap_err(),
        ReplyError::Malformed
    );
}

#[test]
fn unknown_fields_and_whitespace_are_ignored() {
    let body = br#"
      { "requestId" : "abc", "code" : 200,
        "data" : { "productKey":"b1KCi45LcCP", "extra":[1,{"x":[true,null]},"s"],
                   "deviceName":"862991419835241", "n": -1.5e3,
                   "deviceSecret":"mRMyB50qafv74A5FofvhxZ2h9iTL9wX7" },
        "message":"success", "tail": {"deep": {"deeper": []}} }
    "#;
    let r = parse_register_reply(body).unwrap();
    assert_eq!(r.product_key, "b1KCi45LcCP");
    assert_eq!(r.device_name, "862991419835241");
    assert_eq!(r.device_secret.expose(), "mRMyB50qafv74A5FofvhxZ2h9iTL9wX7");
}

#[test]
fn auth_reply_with_mqtt_resource() {
    let body = br#"{"code":200,"data":{"iotId":"42Ze0mk3556498a1AlTP","iotToken":"0d7fdeb9dc1f4344a2cc0d45edcb0bcb","resources":{"mqtt":{"host":"xxx.iot-as-mqtt.cn-shanghai.aliyuncs.com","port":1883}}},"message":"success"}"#;
    let r = parse_auth_reply(body).unwrap();
    assert_eq!(r.iot_id, "42Ze0mk3556498a1AlTP");
    assert_eq!(r.iot_token.expose(), "0d7fdeb9dc1f4344a2cc0d45edcb0bcb");
    assert_eq!(
        r.mqtt,
        Some(MqttResource {
            host: "xxx.iot-as-mqtt.cn-shanghai.aliyuncs.com",
            port: 1883
        })
    );
    let bad_port =
        br#"{"code":200,"data":{"iotId":"a","iotToken":"b","resources":{"mqtt":{"host":"h"}}}}"#;
    assert_eq!(
        parse_auth_reply(bad_port).unwrap_err(),
        ReplyError::Missing {
            field: Field::Port,
            code: Some(200)
        }
    );
    let no_mqtt = br#"{"code":200,"data":{"iotId":"a","iotToken":"b","resources":{}}}"#;
    assert!(parse_auth_reply(no_mqtt).unwrap().mqtt.is_none());
}

#[test]
fn success_without_required_fields() {
    assert_eq!(
        parse_register_reply(br#"{"code":200,"message":"success"}"#).unwrap_err(),
        ReplyError::Missing {
            field: Field::DeviceSecret,
            code: Some(200)
        }
    );
    assert_eq!(
        parse_register_reply(br#"{"code":200,"data":{"productKey":"pk","deviceName":"dev1"}}"#)
            .unwrap_err(),
        ReplyError::Missing {
            field: Field::DeviceSecret,
            code: Some(200)
        }
    );
    assert_eq!(
        parse_auth_reply(br#"{"code":200,"data":{"iotToken":"t"}}"#).unwrap_err(),
        ReplyError::Missing {
            field: Field::IotId,
            code: Some(200)
        }
    );
    assert_eq!(
        parse_auth_reply(br#"{"code":200,"data":{"iotId":"i"}}"#).unwrap_err(),
        ReplyError::Missing {
            field: Field::IotToken,
            code: Some(200)
        }
    );
    assert_eq!(
        parse_register_reply(br#"{"data":{}}"#).unwrap_err(),
        ReplyError::Missing {
            field: Field::Code,
            code: None
        }
    );
    assert_eq!(
        parse_regnwl_payload(br#"{"clientId":"c","productKey":"pk","deviceName":"dev1"}"#)
            .unwrap_err(),
        // The MQTT payloads carry no `code`.
        ReplyError::Missing {
            field: Field::DeviceToken,
            code: None
        }
    );
}

#[test]
fn values_are_validated() {
    let long_secret = format!(
        r#"{{"deviceSecret":"{}","productKey":"pk","deviceName":"dev1"}}"#,
        "s".repeat(65)
    );
    assert_eq!(
        parse_register_payload(long_secret.as_bytes()).unwrap_err(),
        ReplyError::Invalid {
            field: Field::DeviceSecret,
            problem: Problem::TooLong
        }
    );
    // An escaped character cannot be returned borrowed and raw: refused, not mangled.
    assert_eq!(
        parse_regnwl_payload(
            br#"{"clientId":"c","productKey":"pk","deviceName":"dev1","deviceToken":"a\/b"}"#
        )
        .unwrap_err(),
        ReplyError::Invalid {
            field: Field::DeviceToken,
            problem: Problem::BadCharacter
        }
    );
    assert_eq!(
        parse_register_payload(br#"{"deviceSecret":"x","productKey":"pk","deviceName":"d"}"#)
            .unwrap_err(),
        ReplyError::Invalid {
            field: Field::DeviceName,
            problem: Problem::TooShort
        }
    );
}

#[test]
fn malformed_input() {
    for body in [
        &b""[..],
        b"   ",
        b"not json",
        b"{",
        br#"{"code":200"#,
        br#"{"code":"200"}"#,
        br#"{"code":200,"data":{"deviceSecret":5}}"#,
        br#"[1,2]"#,
        br#"{"code":200} trailing"#,
        b"\xff\xfe",
    ] {
        assert_eq!(
            parse_register_reply(body).unwrap_err(),
            ReplyError::Malformed,
            "{:?}",
            String::from_utf8_lossy(body)
        );
        let _ = parse_auth_reply(body).unwrap_err();
        let _ = parse_register_payload(body).unwrap_err();
        let _ = parse_regnwl_payload(body).unwrap_err();
        let _ = parse_http_channel_reply(body).unwrap_err();
    }
}

#[test]
fn http_channel_reply() {
    let ok =
        br#"{"code":0,"message":"success","info":{"token":"6944e5bfb92e4d4ea3918d1eda3942f6"}}"#;
    assert_eq!(
        parse_http_channel_reply(ok).unwrap().token.expose(),
        "6944e5bfb92e4d4ea3918d1eda3942f6"
    );
    assert_eq!(
        parse_http_channel_reply(br#"{"code":20000,"message":"auth check error"}"#).unwrap_err(),
        ReplyError::Platform {
            code: 20000,
            message: "auth check error"
        }
    );
    // 200 is not success on this channel.
    assert!(matches!(
        parse_http_channel_reply(br#"{"code":200,"info":{"token":"t"}}"#),
        Err(ReplyError::Platform { code: 200, .. })
    ));
}

#[test]
fn replies_borrow_from_the_input() {
    let body = br#"{"clientId":"KzLKNeWyE7SxiWLuPpZQ000100","productKey":"i2uq9ORmOSM","deviceName":"Kit001","deviceToken":"^1^1681709523062^c5cce0a49b03685"}"#;
    let r = parse_regnwl_payload(body).unwrap();
    let range = body.as_ptr_range();
    for s in [
        r.client_id,
        r.product_key,
        r.device_name,
        r.device_token.expose(),
    ] {
        assert!(range.contains(&s.as_ptr()));
    }
}
