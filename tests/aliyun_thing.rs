//! Thing model (Alink JSON) and NTP: topics, the downlink classifier, payload writers, the
//! pending-post table. Expected texts are the platform's documented examples (Aliyun
//! "设备属性、事件、服务", "NTP service", RRPC pages) and Link SDK C 4.1's format strings.

use atmodem::aliyun::ntp::{NtpError, NtpResponse, write_ntp_request};
use atmodem::aliyun::thing::{
    Ack, DOWNLINK_FILTERS, Device, Downlink, MAX_DOWNLINK_LEN, Outcome, Pending, PostReply,
    ThingError, ThingField, ThingTopic, Topic, classify, write_desired_delete, write_desired_get,
    write_event_post, write_property_post, write_reply,
};
use heapless::String;
use proptest::prelude::*;

const PK: &str = "a1FlqIQabcd";
const DN: &str = "device1";

fn dev() -> Device<'static> {
    Device::new(PK, DN).unwrap()
}

/// The topic text, leaked so that classified messages may borrow it for the whole test.
fn topic(t: Topic<'_>) -> &'static str {
    let mut s = ThingTopic::new();
    dev().topic(t, &mut s).unwrap();
    Box::leak(s.as_str().to_owned().into_boxed_str())
}

#[test]
fn topics_match_the_documented_templates() {
    let cases: [(Topic<'_>, &str); 17] = [
        (
            Topic::PropertyPost,
            "/sys/a1FlqIQabcd/device1/thing/event/property/post",
        ),
        (
            Topic::PropertyPostReply,
            "/sys/a1FlqIQabcd/device1/thing/event/property/post_reply",
        ),
        (
            Topic::PropertySet,
            "/sys/a1FlqIQabcd/device1/thing/service/property/set",
        ),
        (
            Topic::PropertySetReply,
            "/sys/a1FlqIQabcd/device1/thing/service/property/set_reply",
        ),
        (
            Topic::EventPost("alarmEvent"),
            "/sys/a1FlqIQabcd/device1/thing/event/alarmEvent/post",
        ),
        (
            Topic::EventPostReply("alarmEvent"),
            "/sys/a1FlqIQabcd/device1/thing/event/alarmEvent/post_reply",
        ),
        (
            Topic::Service("SetLight"),
            "/sys/a1FlqIQabcd/device1/thing/service/SetLight",
        ),
        (
            Topic::ServiceReply("SetLight"),
            "/sys/a1FlqIQabcd/device1/thing/service/SetLight_reply",
        ),
        (
            Topic::RrpcRequest("1213074100"),
            "/sys/a1FlqIQabcd/device1/rrpc/request/1213074100",
        ),
        (
            Topic::RrpcResponse("1213074100"),
            "/sys/a1FlqIQabcd/device1/rrpc/response/1213074100",
        ),
        (Topic::NtpRequest, "/ext/ntp/a1FlqIQabcd/device1/request"),
        (Topic::NtpResponse, "/ext/ntp/a1FlqIQabcd/device1/response"),
        // §4.2: `/ext/rrpc/${messageId}/sys/${productKey}/${deviceName}/thing/service/${identifier}`.
        (
            Topic::ExtRrpc {
                message_id: "1213074100",
                topic: "/sys/a1FlqIQabcd/device1/thing/service/SetLight",
            },
            "/ext/rrpc/1213074100/sys/a1FlqIQabcd/device1/thing/service/SetLight",
        ),
        // §2: `/sys/${productKey}/${deviceName}/thing/property/desired/get` (+`_reply`),
        // `…/desired/delete` (+`_reply`).
        (
            Topic::DesiredGet,
            "/sys/a1FlqIQabcd/device1/thing/property/desired/get",
        ),
        (
            Topic::DesiredGetReply,
            "/sys/a1FlqIQabcd/device1/thing/property/desired/get_reply",
        ),
        (
            Topic::DesiredDelete,
            "/sys/a1FlqIQabcd/device1/thing/property/desired/delete",
        ),
        (
            Topic::DesiredDeleteReply,
            "/sys/a1FlqIQabcd/device1/thing/property/desired/delete_reply",
        ),
    ];
    for (t, want) in cases {
        assert_eq!(topic(t), want);
        let mut buf = [0u8; 128];
        assert_eq!(dev().topic_into(t, &mut buf).unwrap(), want);
        // One byte short: a capacity error, never a cut topic.
        let mut short = vec![0u8; want.len() - 1];
        assert_eq!(dev().topic_into(t, &mut short), Err(ThingError::Capacity));
        let mut small = String::<40>::new();
        if want.len() > 40 {
            assert_eq!(dev().topic(t, &mut small), Err(ThingError::Capacity));
            assert!(small.is_empty());
        }
    }
    // The custom TSL module form `functionBlockId:identifier`.
    assert_eq!(
        topic(Topic::Service("block1:Reboot")),
        "/sys/a1FlqIQabcd/device1/thing/service/block1:Reboot"
    );
}

#[test]
fn identifiers_and_message_ids_must_be_one_level() {
    let mut s = ThingTopic::new();
    for bad in ["", "a/b", "+", "#", "a b", "x+y"] {
        assert_eq!(
            dev().topic(Topic::EventPost(bad), &mut s),
            Err(ThingError::Invalid(ThingField::Identifier)),
            "{bad:?}"
        );
        assert_eq!(
            dev().topic(Topic::RrpcResponse(bad), &mut s),
            Err(ThingError::Invalid(ThingField::MessageId)),
            "{bad:?}"
        );
    }
    assert!(Device::new("a1Flq*", DN).is_err());
    assert!(Device::new(PK, "").is_err());
}

#[test]
fn downlink_filters_cover_what_the_platform_sends() {
    let got: Vec<std::string::String> = DOWNLINK_FILTERS
        .iter()
        .map(|f| {
            let mut s = ThingTopic::new();
            dev().filter(*f, &mut s).unwrap();
            s.as_str().to_owned()
        })
        .collect();
    assert_eq!(
        got,
        [
            "/sys/a1FlqIQabcd/device1/thing/event/+/post_reply",
            "/sys/a1FlqIQabcd/device1/thing/service/property/set",
            "/sys/a1FlqIQabcd/device1/thing/service/+",
            "/sys/a1FlqIQabcd/device1/rrpc/request/+",
            // Link SDK's handler `/ext/rrpc/+/sys/+/+/thing/service/+`, for this device.
            "/ext/rrpc/+/sys/a1FlqIQabcd/device1/thing/service/+",
            "/ext/ntp/a1FlqIQabcd/device1/response",
            // OTA: `/ota/device/upgrade/${productKey}/${deviceName}` and
            // `/sys/${productKey}/${deviceName}/thing/ota/firmware/get_reply`.
            "/ota/device/upgrade/a1FlqIQabcd/device1",
            "/sys/a1FlqIQabcd/device1/thing/ota/firmware/get_reply",
            "/sys/a1FlqIQabcd/device1/thing/property/desired/get_reply",
            "/sys/a1FlqIQabcd/device1/thing/property/desired/delete_reply",
        ]
    );
    // Every downlink topic matches exactly one filter, with MQTT's one-level `+`.
    let matches = |filter: &str, t: &str| {
        let f: Vec<&str> = filter.split('/').collect();
        let l: Vec<&str> = t.split('/').collect();
        f.len() == l.len() && f.iter().zip(&l).all(|(a, b)| *a == "+" || a == b)
    };
    for t in [
        topic(Topic::PropertyPostReply),
        topic(Topic::EventPostReply("alarmEvent")),
        topic(Topic::PropertySet),
        topic(Topic::Service("SetLight")),
        topic(Topic::RrpcRequest("42")),
        topic(Topic::NtpResponse),
        topic(Topic::OtaUpgrade),
        topic(Topic::OtaFirmwareGetReply),
        topic(Topic::ExtRrpc {
            message_id: "42",
            topic: "/sys/a1FlqIQabcd/device1/thing/service/SetLight",
        }),
        topic(Topic::DesiredGetReply),
        topic(Topic::DesiredDeleteReply),
    ] {
        assert_eq!(got.iter().filter(|f| matches(f, t)).count(), 1, "{t}");
    }
    // No new filter catches the device's own uplinks (which a broker may echo back);
    // `…/thing/service/+` does catch `…/SetLight_reply`, which `classify` leaves `Unknown`.
    for t in [
        topic(Topic::PropertyPost),
        topic(Topic::DesiredGet),
        topic(Topic::DesiredDelete),
        topic(Topic::RrpcResponse("42")),
    ] {
        assert_eq!(got.iter().filter(|f| matches(f, t)).count(), 0, "{t}");
    }
}

#[test]
fn custom_topic_rrpc_topics_from_the_documented_example() {
    // §4.2 (RRPC custom topics, doc 90570): custom topic `/a18wP***/device1/user/get` →
    // request `/ext/rrpc/121307410***/a18wP***/device1/user/get`, response on that same
    // topic, subscription `/ext/rrpc/+/${topic}`. The masked `***` are kept as printed.
    let mut t = ThingTopic::new();
    dev()
        .topic(
            Topic::ExtRrpc {
                message_id: "121307410***",
                topic: "/a18wP***/device1/user/get",
            },
            &mut t,
        )
        .unwrap();
    assert_eq!(
        t.as_str(),
        "/ext/rrpc/121307410***/a18wP***/device1/user/get"
    );
    dev()
        .ext_rrpc_filter("/a18wP***/device1/user/get", &mut t)
        .unwrap();
    assert_eq!(t.as_str(), "/ext/rrpc/+/a18wP***/device1/user/get");
    // Wildcards are whole levels, `#` only last.
    dev()
        .ext_rrpc_filter("/a1FlqIQabcd/+/user/#", &mut t)
        .unwrap();
    assert_eq!(t.as_str(), "/ext/rrpc/+/a1FlqIQabcd/+/user/#");
    for bad in [
        "",
        "/",
        "user/get",
        "/a//b",
        "/a/b/",
        "/a/#/b",
        "/a/b+",
        "/a/b#",
        "/a b",
        "/a/\u{e9}",
    ] {
        assert_eq!(
            dev().ext_rrpc_filter(bad, &mut t),
            Err(ThingError::Invalid(ThingField::Topic)),
            "{bad:?}"
        );
        assert!(t.is_empty());
    }
    // A topic (not a filter) takes no wildcard at all.
    for bad in ["/a/+/b", "/a/#", "/a//b", "x"] {
        assert_eq!(
            dev().topic(
                Topic::ExtRrpc {
                    message_id: "1",
                    topic: bad
                },
                &mut t
            ),
            Err(ThingError::Invalid(ThingField::Topic)),
            "{bad:?}"
        );
    }
    for bad in ["", "a/b", "+", "#"] {
        assert_eq!(
            dev().topic(
                Topic::ExtRrpc {
                    message_id: bad,
                    topic: "/a/b"
                },
                &mut t
            ),
            Err(ThingError::Invalid(ThingField::MessageId)),
            "{bad:?}"
        );
    }
    // Longer than any topic may be.
    let long = format!("/{PK}/{DN}/user/{}", "x".repeat(120));
    assert_eq!(
        dev().ext_rrpc_filter(&long, &mut t),
        Err(ThingError::Invalid(ThingField::Topic))
    );
}

#[test]
fn both_rrpc_forms_classify_and_answer_on_their_response_topic() {
    let dev = dev();
    let mut t = ThingTopic::new();
    // System form: `/sys/${pk}/${dn}/rrpc/request/${messageId}` →
    // `/sys/${pk}/${dn}/rrpc/response/${messageId}`.
    let req = classify(
        &dev,
        b"/sys/a1FlqIQabcd/device1/rrpc/request/1213074100",
        b"\x01raw",
    )
    .unwrap();
    assert_eq!(
        req,
        Downlink::Rrpc {
            message_id: "1213074100",
            payload: b"\x01raw"
        }
    );
    dev.response_topic(&req, &mut t).unwrap();
    assert_eq!(
        t.as_str(),
        "/sys/a1FlqIQabcd/device1/rrpc/response/1213074100"
    );

    // Custom-topic form: answered on the very topic it came in on.
    let req = classify(
        &dev,
        b"/ext/rrpc/1213074100/a1FlqIQabcd/device1/user/get",
        b"{\"q\":1}",
    )
    .unwrap();
    assert_eq!(
        req,
        Downlink::ExtRrpc {
            message_id: "1213074100",
            topic: "/a1FlqIQabcd/device1/user/get",
            payload: b"{\"q\":1}"
        }
    );
    dev.response_topic(&req, &mut t).unwrap();
    assert_eq!(
        t.as_str(),
        "/ext/rrpc/1213074100/a1FlqIQabcd/device1/user/get"
    );

    // A TSL service called synchronously: the inner topic and the payload classify as the
    // service call of §4.1 (its request example).
    let sync = b"/ext/rrpc/1213074100/sys/a1FlqIQabcd/device1/thing/service/SetLight";
    let body = br#"{"id":"123","version":"1.0","params":{"Power":"on","WF":"2"},"method":"thing.service.SetLight"}"#;
    let req = classify(&dev, sync, body).unwrap();
    let Downlink::ExtRrpc {
        message_id,
        topic,
        payload,
    } = req
    else {
        panic!("{req:?}")
    };
    assert_eq!(
        (message_id, topic),
        (
            "1213074100",
            "/sys/a1FlqIQabcd/device1/thing/service/SetLight"
        )
    );
    let Downlink::ServiceCall {
        identifier,
        id,
        params,
    } = classify(&dev, topic.as_bytes(), payload).unwrap()
    else {
        panic!()
    };
    assert_eq!((identifier, id), ("SetLight", 123));
    assert_eq!(params.as_str(), r#"{"Power":"on","WF":"2"}"#);
    dev.response_topic(&req, &mut t).unwrap();
    assert_eq!(
        t.as_str(),
        "/ext/rrpc/1213074100/sys/a1FlqIQabcd/device1/thing/service/SetLight"
    );

    // Other devices' calls are not ours; a malformed messageId or topic is an error.
    for other in [
        &b"/ext/rrpc/1/a1FlqIQother/device1/user/get"[..],
        b"/ext/rrpc/1/sys/a1FlqIQabcd/device2/thing/service/S",
        b"/ext/rrpc/1/a1FlqIQabcd",
        b"/ext/rrpc/1",
        b"/ext/rrpc/",
        b"/ext/rrpcx/1/a1FlqIQabcd/device1/user/get",
    ] {
        assert_eq!(
            classify(&dev, other, b"x"),
            Ok(Downlink::Unknown),
            "{other:?}"
        );
    }
    assert_eq!(
        classify(&dev, b"/ext/rrpc//a1FlqIQabcd/device1/user/get", b"x"),
        Err(ThingError::Invalid(ThingField::MessageId))
    );
    assert_eq!(
        classify(&dev, b"/ext/rrpc/1/a1FlqIQabcd/device1//get", b"x"),
        Err(ThingError::Invalid(ThingField::Topic))
    );
    assert_eq!(
        classify(&dev, b"/sys/a1FlqIQabcd/device1/rrpc/request/a+b", b"x"),
        Err(ThingError::Invalid(ThingField::MessageId))
    );
    // `+` is one level: a deeper system-form topic is not an RRPC request.
    assert_eq!(
        classify(&dev, b"/sys/a1FlqIQabcd/device1/rrpc/request/1/2", b"x"),
        Ok(Downlink::Unknown)
    );

    // Replies have topics of their own; everything else has none.
    let set = classify(
        &dev,
        b"/sys/a1FlqIQabcd/device1/thing/service/property/set",
        br#"{"id":"1","params":{}}"#,
    )
    .unwrap();
    dev.response_topic(&set, &mut t).unwrap();
    assert_eq!(
        t.as_str(),
        "/sys/a1FlqIQabcd/device1/thing/service/property/set_reply"
    );
    let svc = classify(
        &dev,
        b"/sys/a1FlqIQabcd/device1/thing/service/SetLight",
        br#"{"id":"1","params":{}}"#,
    )
    .unwrap();
    dev.response_topic(&svc, &mut t).unwrap();
    assert_eq!(
        t.as_str(),
        "/sys/a1FlqIQabcd/device1/thing/service/SetLight_reply"
    );
    assert_eq!(
        dev.response_topic(&Downlink::Unknown, &mut t),
        Err(ThingError::Invalid(ThingField::Topic))
    );
    assert!(t.is_empty());
}

#[test]
fn desired_property_requests_match_the_documented_params() {
    let mut out = String::<256>::new();
    // §2: desired get `params = ["LightSwitch"]`, method `thing.property.desired.get`
    // (iotkit 3.x), in the §1.1 request frame `{"id":…,"version":"1.0","params":…,"method":…}`.
    write_desired_get(123, &["LightSwitch"], &mut out).unwrap();
    assert_eq!(
        out.as_str(),
        r#"{"id":"123","version":"1.0","params":["LightSwitch"],"method":"thing.property.desired.get"}"#
    );
    // §2: desired delete `params = {"LightSwitch":{"version":1},"Color":{}}`.
    write_desired_delete(123, &[("LightSwitch", Some(1)), ("Color", None)], &mut out).unwrap();
    assert_eq!(
        out.as_str(),
        r#"{"id":"123","version":"1.0","params":{"LightSwitch":{"version":1},"Color":{}},"method":"thing.property.desired.delete"}"#
    );
    assert_eq!(
        write_desired_get(1, &[], &mut out),
        Err(ThingError::Invalid(ThingField::Params))
    );
    assert!(out.is_empty());
    assert_eq!(
        write_desired_get(1, &["a\"b"], &mut out),
        Err(ThingError::Invalid(ThingField::Identifier))
    );
    assert_eq!(
        write_desired_delete(1, &[], &mut out),
        Err(ThingError::Invalid(ThingField::Params))
    );
    assert_eq!(
        write_desired_delete(1, &[("ok", None), ("", Some(2))], &mut out),
        Err(ThingError::Invalid(ThingField::Identifier))
    );
    let mut small = String::<40>::new();
    assert_eq!(
        write_desired_get(1, &["LightSwitch"], &mut small),
        Err(ThingError::Capacity)
    );
    assert!(small.is_empty());
    assert_eq!(
        write_desired_delete(1, &[("LightSwitch", Some(u32::MAX))], &mut small),
        Err(ThingError::Capacity)
    );
}

#[test]
fn desired_replies_give_each_property_or_a_typed_error() {
    let dev = dev();
    let get_reply = b"/sys/a1FlqIQabcd/device1/thing/property/desired/get_reply";
    // The §1.2 reply envelope (`id`, `code`, `data`, `message`, plus `method`/`version`
    // to ignore); each property's value is handed over unread.
    let payload = br#"{"code":200,"data":{"LightSwitch":{"value":1,"version":3},"Color":{"value":"red","version":1}},"id":"123","message":"success","method":"thing.property.desired.get","version":"1.0"}"#;
    let Downlink::DesiredGetReply(r) = classify(&dev, get_reply, payload).unwrap() else {
        panic!()
    };
    assert_eq!((r.id, r.code, r.message), (123, 200, "success"));
    let got: Vec<(&str, &str)> = r.properties().map(|(k, v)| (k, v.as_str())).collect();
    assert_eq!(
        got,
        [
            ("LightSwitch", r#"{"value":1,"version":3}"#),
            ("Color", r#"{"value":"red","version":1}"#)
        ]
    );
    #[derive(serde::Deserialize)]
    struct Desired {
        value: u8,
        version: u32,
    }
    let v: Desired = r.get("LightSwitch").unwrap().parse().unwrap();
    assert_eq!((v.value, v.version), (1, 3));
    assert!(r.get("Other").is_none());
    // A failure reply may come without data.
    let Downlink::DesiredGetReply(r) = classify(
        &dev,
        get_reply,
        br#"{"id":"5","code":460,"message":"request parameter error"}"#,
    )
    .unwrap() else {
        panic!()
    };
    assert_eq!(
        (r.code, r.data.as_str(), r.properties().count()),
        (460, "{}", 0)
    );
    for (payload, err) in [
        (
            &br#"{"id":"1","code":200}"#[..],
            ThingError::Missing(ThingField::Data),
        ),
        (
            br#"{"id":"1","code":200,"data":[1]}"#,
            ThingError::Invalid(ThingField::Data),
        ),
        (
            br#"{"id":"1","code":200,"data":"x"}"#,
            ThingError::Invalid(ThingField::Data),
        ),
        (
            br#"{"id":"1","code":200,"data":{"a"}}"#,
            ThingError::Invalid(ThingField::Data),
        ),
        (
            br#"{"id":"1","code":200,"data":{"a":1,}}"#,
            ThingError::Invalid(ThingField::Data),
        ),
        (
            br#"{"code":200,"data":{}}"#,
            ThingError::Missing(ThingField::Id),
        ),
        (
            br#"{"id":"x","code":200,"data":{}}"#,
            ThingError::Invalid(ThingField::Id),
        ),
        (
            br#"{"id":"1","data":{}}"#,
            ThingError::Missing(ThingField::Code),
        ),
        (
            br#"{"id":"1","code":"ok","data":{}}"#,
            ThingError::Invalid(ThingField::Code),
        ),
        (
            br#"{"id":"1","code":200,"data":{},"message":5}"#,
            ThingError::Invalid(ThingField::Message),
        ),
        (b"[]", ThingError::Invalid(ThingField::Payload)),
    ] {
        assert_eq!(
            classify(&dev, get_reply, payload),
            Err(err),
            "{:?}",
            std::str::from_utf8(payload)
        );
    }
    // Delete reply: the envelope only.
    let got = classify(
        &dev,
        b"/sys/a1FlqIQabcd/device1/thing/property/desired/delete_reply",
        br#"{"code":200,"data":{},"id":"123","message":"success"}"#,
    );
    assert_eq!(
        got,
        Ok(Downlink::DesiredDeleteReply(PostReply {
            id: 123,
            code: 200,
            message: "success"
        }))
    );
    // Another device's reply is not read.
    assert_eq!(
        classify(
            &dev,
            b"/sys/a1FlqIQother/device1/thing/property/desired/get_reply",
            b"x"
        ),
        Ok(Downlink::Unknown)
    );
}

#[test]
fn post_reply_from_the_documented_example() {
    let payload = br#"{"code":200,"data":{},"id":"123","message":"success","method":"thing.event.property.post","version":"1.0"}"#;
    let got = classify(&dev(), topic(Topic::PropertyPostReply).as_bytes(), payload).unwrap();
    assert_eq!(
        got,
        Downlink::PostReply {
            event: "property",
            reply: PostReply {
                id: 123,
                code: 200,
                message: "success"
            }
        }
    );
    // Event reply; id as a bare number (Link SDK accepts both), whitespace, failure code.
    let payload = b" { \"id\" : 77 , \"code\" : 6813, \"message\":\"The format of result is error!\", \"data\": {} }\n";
    let got = classify(
        &dev(),
        topic(Topic::EventPostReply("alarmEvent")).as_bytes(),
        payload,
    )
    .unwrap();
    assert_eq!(
        got,
        Downlink::PostReply {
            event: "alarmEvent",
            reply: PostReply {
                id: 77,
                code: 6813,
                message: "The format of result is error!"
            }
        }
    );
}

#[test]
fn property_set_from_the_documented_example() {
    let payload = br#"{"id":"123","version":"1.0","params":{"temperature":"30.5"},"method":"thing.service.property.set"}"#;
    let Downlink::PropertySet { id, params } =
        classify(&dev(), topic(Topic::PropertySet).as_bytes(), payload).unwrap()
    else {
        panic!("not a property set");
    };
    assert_eq!(id, 123);
    assert_eq!(params.as_str(), r#"{"temperature":"30.5"}"#);
    #[derive(serde::Deserialize)]
    struct Set<'a> {
        temperature: &'a str,
    }
    assert_eq!(params.parse::<Set<'_>>().unwrap().temperature, "30.5");
    #[derive(serde::Deserialize, Debug)]
    struct Wrong {
        #[allow(dead_code)]
        temperature: u8,
    }
    assert_eq!(
        params.parse::<Wrong>().unwrap_err(),
        ThingError::Invalid(ThingField::Params)
    );
}

#[test]
fn service_call_and_the_property_set_trap() {
    let payload = br#"{"id":"123","version":"1.0","params":{"Power":"on","WF":"2"},"method":"thing.service.SetLight"}"#;
    let got = classify(
        &dev(),
        topic(Topic::Service("SetLight")).as_bytes(),
        payload,
    )
    .unwrap();
    let Downlink::ServiceCall {
        identifier,
        id,
        params,
    } = got
    else {
        panic!("{got:?}")
    };
    assert_eq!((identifier, id), ("SetLight", 123));
    assert_eq!(params.as_str(), r#"{"Power":"on","WF":"2"}"#);
    // `…/thing/service/property/set` is never a service named `property`.
    let set = br#"{"id":"1","params":{}}"#;
    assert!(matches!(
        classify(&dev(), topic(Topic::PropertySet).as_bytes(), set).unwrap(),
        Downlink::PropertySet { id: 1, .. }
    ));
    // Our own replies seen back, other devices, unrelated topics: Unknown.
    for t in [
        topic(Topic::ServiceReply("SetLight")).to_owned(),
        topic(Topic::PropertySetReply).to_owned(),
        "/sys/otherPK/device1/thing/service/property/set".to_owned(),
        "/sys/a1FlqIQabcd/device2/thing/event/property/post_reply".to_owned(),
        "/sys/a1FlqIQabcd/device1/thing/service".to_owned(),
        "/a1FlqIQabcd/device1/user/get".to_owned(),
        std::string::String::new(),
    ] {
        assert_eq!(
            classify(&dev(), t.as_bytes(), set).unwrap(),
            Downlink::Unknown,
            "{t}"
        );
    }
}

#[test]
fn rrpc_request_keeps_the_payload_and_names_the_response_topic() {
    let t = topic(Topic::RrpcRequest("1213074100"));
    let got = classify(&dev(), t.as_bytes(), b"\x00opaque\xff").unwrap();
    let Downlink::Rrpc {
        message_id,
        payload,
    } = got
    else {
        panic!("{got:?}")
    };
    assert_eq!(
        (message_id, payload),
        ("1213074100", &b"\x00opaque\xff"[..])
    );
    assert_eq!(
        topic(Topic::RrpcResponse(message_id)),
        "/sys/a1FlqIQabcd/device1/rrpc/response/1213074100"
    );
}

#[test]
fn every_malformed_variant_is_a_typed_error() {
    let post_reply = topic(Topic::PropertyPostReply);
    let set = topic(Topic::PropertySet);
    let svc = topic(Topic::Service("SetLight"));
    let ntp = topic(Topic::NtpResponse);
    let invalid = ThingError::Invalid(ThingField::Payload);
    let deep = format!(
        "{{\"id\":1,\"params\":{}1{}}}",
        "[".repeat(40),
        "]".repeat(40)
    );
    let very_deep = format!(
        "{{\"id\":1,\"params\":{}1{}}}",
        "[".repeat(400),
        "]".repeat(400)
    );
    let huge = format!(
        "{{\"id\":1,\"params\":{{\"a\":\"{}\"}}}}",
        "x".repeat(MAX_DOWNLINK_LEN)
    );
    let mut cases: Vec<(&str, &[u8], ThingError)> = vec![
        (post_reply, b"", invalid),
        (post_reply, b"not json", invalid),
        (post_reply, b"[1]", invalid),
        (post_reply, br#"{"id":"1","code":200"#, invalid),
        (post_reply, br#"{"id":"1","code":200}}"#, invalid),
        (post_reply, br#"{"id":"1","code":200} x"#, invalid),
        (post_reply, br#"{"id":"1" "code":200}"#, invalid),
        (post_reply, br#"{"id":"1","code":}"#, invalid),
        (post_reply, br#"{id:"1","code":200}"#, invalid),
        (post_reply, br#"{"id":"1","code":200,}"#, invalid),
        (post_reply, br#"{"id":"1","code":"ab\"}"#, invalid),
        (
            post_reply,
            br#"{"code":200}"#,
            ThingError::Missing(ThingField::Id),
        ),
        (
            post_reply,
            br#"{"id":"1"}"#,
            ThingError::Missing(ThingField::Code),
        ),
        (
            post_reply,
            br#"{"id":"x1","code":200}"#,
            ThingError::Invalid(ThingField::Id),
        ),
        (
            post_reply,
            br#"{"id":-1,"code":200}"#,
            ThingError::Invalid(ThingField::Id),
        ),
        (
            post_reply,
            br#"{"id":"99999999999999999999999","code":200}"#,
            ThingError::Invalid(ThingField::Id),
        ),
        (
            post_reply,
            br#"{"id":{},"code":200}"#,
            ThingError::Invalid(ThingField::Id),
        ),
        (
            post_reply,
            br#"{"id":1,"code":2.5}"#,
            ThingError::Invalid(ThingField::Code),
        ),
        (
            post_reply,
            br#"{"id":1,"code":200,"message":7}"#,
            ThingError::Invalid(ThingField::Message),
        ),
        (
            set,
            br#"{"id":"1"}"#,
            ThingError::Missing(ThingField::Params),
        ),
        (
            set,
            br#"{"params":{}}"#,
            ThingError::Missing(ThingField::Id),
        ),
        (
            set,
            br#"{"id":"1","params":[1]}"#,
            ThingError::Invalid(ThingField::Params),
        ),
        (
            set,
            br#"{"id":"1","params":"x"}"#,
            ThingError::Invalid(ThingField::Params),
        ),
        (
            svc,
            br#"{"id":"1","params":null}"#,
            ThingError::Invalid(ThingField::Params),
        ),
        (svc, deep.as_bytes(), ThingError::TooDeep),
        (svc, very_deep.as_bytes(), ThingError::TooDeep),
        (svc, huge.as_bytes(), ThingError::TooLarge),
        (
            ntp,
            br#"{"serverRecvTime":"1","serverSendTime":"2"}"#,
            ThingError::Missing(ThingField::DeviceSendTime),
        ),
        (
            ntp,
            br#"{"deviceSendTime":"1","serverSendTime":"2"}"#,
            ThingError::Missing(ThingField::ServerRecvTime),
        ),
        (
            ntp,
            br#"{"deviceSendTime":"1","serverRecvTime":"2"}"#,
            ThingError::Missing(ThingField::ServerSendTime),
        ),
        (
            ntp,
            br#"{"deviceSendTime":"1","serverRecvTime":"2x","serverSendTime":"2"}"#,
            ThingError::Invalid(ThingField::ServerRecvTime),
        ),
        (
            ntp,
            br#"{"deviceSendTime":1.5,"serverRecvTime":"2","serverSendTime":"2"}"#,
            ThingError::Invalid(ThingField::DeviceSendTime),
        ),
        (
            ntp,
            br#"{"deviceSendTime":"1","serverRecvTime":"2","serverSendTime":""}"#,
            ThingError::Invalid(ThingField::ServerSendTime),
        ),
    ];
    // Brackets that do not pair up are not JSON; brackets inside strings do not nest.
    cases.push((svc, br#"{"id":1,"params":{"a":[1}}"#, invalid));
    cases.push((svc, br#"{"id":1,"params":{"a":1]}"#, invalid));
    let stringy = format!(
        "{{\"id\":1,\"params\":{{\"a\":\"{}\\\"\"}}}}",
        "[{".repeat(60)
    );
    assert!(matches!(
        classify(&dev(), svc.as_bytes(), stringy.as_bytes()),
        Ok(Downlink::ServiceCall { id: 1, .. })
    ));
    for (t, payload, want) in cases {
        assert_eq!(
            classify(&dev(), t.as_bytes(), payload),
            Err(want),
            "{t} {:?}",
            std::string::String::from_utf8_lossy(payload)
        );
    }
}

#[test]
fn payload_writers_match_the_documented_forms() {
    // [D-tsl] doc form, with the research page's property example.
    let mut out = String::<512>::new();
    write_property_post(
        123,
        r#"{"Power":{"value":"on","time":1524448722000},"WF":{"value":23.6,"time":1524448722000}}"#,
        Ack::NoReply,
        &mut out,
    )
    .unwrap();
    assert_eq!(
        out.as_str(),
        r#"{"id":"123","version":"1.0","params":{"Power":{"value":"on","time":1524448722000},"WF":{"value":23.6,"time":1524448722000}},"sys":{"ack":0},"method":"thing.event.property.post"}"#
    );
    // What we write parses as JSON with the documented members.
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["params"]["WF"]["value"], 23.6);

    write_event_post(
        9,
        "alarmEvent",
        r#"{"Power":"on","WF":"2"}"#,
        Some(1524448722000),
        Ack::Reply,
        &mut out,
    )
    .unwrap();
    assert_eq!(
        out.as_str(),
        r#"{"id":"9","version":"1.0","params":{"value":{"Power":"on","WF":"2"},"time":1524448722000},"sys":{"ack":1},"method":"thing.event.alarmEvent.post"}"#
    );
    write_event_post(
        10,
        "ErrorNum",
        r#"{"ErrorNum":0}"#,
        None,
        Ack::Reply,
        &mut out,
    )
    .unwrap();
    assert_eq!(
        out.as_str(),
        r#"{"id":"10","version":"1.0","params":{"value":{"ErrorNum":0}},"sys":{"ack":1},"method":"thing.event.ErrorNum.post"}"#
    );

    // Link SDK ALINK_RESPONSE_FMT `{"id":"%s","code":%s,"data":%s}`.
    write_reply(123, 200, "{}", &mut out).unwrap();
    assert_eq!(out.as_str(), r#"{"id":"123","code":200,"data":{}}"#);
    write_reply(4294967295, 460, r#"{"out":1}"#, &mut out).unwrap();
    assert_eq!(
        out.as_str(),
        r#"{"id":"4294967295","code":460,"data":{"out":1}}"#
    );

    // Refused inputs and short buffers.
    let injected = r#"{"Temp":1},"method":"thing.service.property.set","x":{"#;
    assert_eq!(
        write_property_post(1, injected, Ack::Reply, &mut out),
        Err(ThingError::Invalid(ThingField::Params))
    );
    assert!(out.is_empty());
    assert_eq!(
        write_reply(1, 200, "[]", &mut out),
        Err(ThingError::Invalid(ThingField::Data))
    );
    assert_eq!(
        write_event_post(1, "a/b", "{}", None, Ack::Reply, &mut out),
        Err(ThingError::Invalid(ThingField::Identifier))
    );
    let mut tiny = String::<16>::new();
    assert_eq!(
        write_reply(1, 200, "{}", &mut tiny),
        Err(ThingError::Capacity)
    );
    assert!(tiny.is_empty());
}

#[test]
fn written_replies_and_posts_round_trip_through_the_classifier() {
    // A reply the platform would send for our post, built from the post's own id.
    let mut table = Pending::<4>::new();
    let id = table.register(0, 5000).unwrap();
    let mut post = String::<256>::new();
    write_property_post(id, r#"{"LightSwitch":0}"#, Ack::Reply, &mut post).unwrap();
    let sent: serde_json::Value = serde_json::from_str(&post).unwrap();
    let reply = format!(
        r#"{{"code":200,"data":{{}},"id":{},"message":"success"}}"#,
        sent["id"]
    );
    let Downlink::PostReply { reply, .. } = classify(
        &dev(),
        topic(Topic::PropertyPostReply).as_bytes(),
        reply.as_bytes(),
    )
    .unwrap() else {
        panic!()
    };
    assert_eq!(table.complete(&reply), Some(Outcome::Accepted(id)));

    // The set request's id echoed in set_reply.
    let set = br#"{"id":"4000000000","version":"1.0","params":{"a":1}}"#;
    let Downlink::PropertySet { id, .. } =
        classify(&dev(), topic(Topic::PropertySet).as_bytes(), set).unwrap()
    else {
        panic!()
    };
    let mut out = String::<64>::new();
    write_reply(id, 200, "{}", &mut out).unwrap();
    assert_eq!(out.as_str(), r#"{"id":"4000000000","code":200,"data":{}}"#);
}

#[test]
fn pending_ids_never_reuse_one_awaiting_a_reply() {
    let mut t = Pending::<3>::new();
    let a = t.register(0, 100).unwrap();
    let b = t.register(0, 1_000_000).unwrap();
    let c = t.register(0, 100).unwrap();
    assert_eq!((a, b, c), (1, 2, 3));
    assert_eq!(t.register(0, 100), None, "full");
    // Unknown ids, and ids beyond u32, match nothing.
    assert_eq!(
        t.complete(&PostReply {
            id: 9,
            code: 200,
            message: ""
        }),
        None
    );
    assert_eq!(
        t.complete(&PostReply {
            id: 1 << 40,
            code: 200,
            message: ""
        }),
        None
    );
    let mut timed_out = vec![];
    while let Some(o) = t.expire(100) {
        timed_out.push(o);
    }
    timed_out.sort_by_key(|o| match o {
        Outcome::TimedOut(id) => *id,
        _ => 0,
    });
    assert_eq!(timed_out, [Outcome::TimedOut(1), Outcome::TimedOut(3)]);
    // A late reply to an expired post is not matched.
    assert_eq!(
        t.complete(&PostReply {
            id: 1,
            code: 200,
            message: ""
        }),
        None
    );
    // Id 2 is still pending: no new post gets it.
    let mut seen_two = false;
    for _ in 0..8 {
        let id = t.register(0, 0).unwrap();
        seen_two |= id == 2;
        t.expire(0);
    }
    assert!(!seen_two);
    assert_eq!(
        t.complete(&PostReply {
            id: 2,
            code: 429,
            message: "too many requests"
        }),
        Some(Outcome::Refused { id: 2, code: 429 })
    );
    assert!(t.is_empty());
    // Deadlines saturate instead of overflowing.
    let id = t.register(u64::MAX - 1, 10).unwrap();
    assert_eq!(t.expire(u64::MAX - 1), None);
    assert_eq!(t.expire(u64::MAX), Some(Outcome::TimedOut(id)));
}

#[test]
fn ntp_request_and_time_as_link_sdk_computes_it() {
    // [D-ntp] request example.
    let mut out = String::<64>::new();
    write_ntp_request(1571724098000, &mut out).unwrap();
    assert_eq!(out.as_str(), r#"{"deviceSendTime":"1571724098000"}"#);
    let mut tiny = String::<10>::new();
    assert_eq!(write_ntp_request(1, &mut tiny), Err(ThingError::Capacity));

    // Response: strings as documented, or bare numbers (Link SDK parses both).
    let payload = br#"{"deviceSendTime":"1571724098000","serverRecvTime":"1571724098110","serverSendTime":"1571724098115"}"#;
    let Downlink::NtpResponse(r) =
        classify(&dev(), topic(Topic::NtpResponse).as_bytes(), payload).unwrap()
    else {
        panic!()
    };
    assert_eq!(
        r,
        NtpResponse {
            device_send_time: 1571724098000,
            server_recv_time: 1571724098110,
            server_send_time: 1571724098115
        }
    );
    assert!(r.answers(1571724098000));
    let bare = br#"{"serverSendTime":3,"deviceSendTime":1,"serverRecvTime":2}"#;
    assert_eq!(
        NtpResponse::parse(bare).unwrap(),
        NtpResponse {
            device_send_time: 1,
            server_recv_time: 2,
            server_send_time: 3
        }
    );
    // (srt + sst + drt - dst) / 2, computed by hand:
    // (1571724098110 + 1571724098115 + 1571724098230 - 1571724098000) / 2 = 1571724098227
    assert_eq!(r.utc_ms(1571724098230), Ok(1571724098227));
    // An uptime clock gives the same UTC: the device clock only enters as a difference.
    let up = NtpResponse {
        device_send_time: 5000,
        ..r
    };
    assert_eq!(up.utc_ms(5230), Ok(1571724098227));
    // Integer division rounds down: (10 + 11 + 0) / 2 = 10.
    let odd = NtpResponse {
        device_send_time: 0,
        server_recv_time: 10,
        server_send_time: 11,
    };
    assert_eq!(odd.utc_ms(0), Ok(10));
    assert_eq!(r.utc_ms(1571724097999), Err(NtpError::ClockWentBack));
    let max = NtpResponse {
        device_send_time: 0,
        server_recv_time: u64::MAX,
        server_send_time: u64::MAX,
    };
    assert_eq!(max.utc_ms(u64::MAX), Err(NtpError::OutOfRange));

    // Usable as a login timestamp.
    let mut buf = [0u8; 20];
    let ts = atmodem::aliyun::ntp::timestamp_text(r.utc_ms(1571724098230).unwrap(), &mut buf);
    let creds = atmodem::aliyun::DeviceSecretLogin::new(PK, DN, "c4fa40df9c8078073d75a26be2bc8f58")
        .timestamp(ts)
        .build()
        .unwrap();
    assert!(creds.client_id().contains("timestamp=1571724098227"));
}

proptest! {
    #[test]
    fn classifier_and_parsers_never_panic(
        topic_bytes in proptest::collection::vec(any::<u8>(), 0..160),
        payload in proptest::collection::vec(any::<u8>(), 0..300),
        level in 0usize..8,
        rrpc_tail in r"[a-zA-Z0-9/+#_ ]{0,80}",
        json in r#"[{}\[\]":,0-9a-z \\-]{0,120}"#,
    ) {
        let d = dev();
        let _ = classify(&d, &topic_bytes, &payload);
        // `/ext/rrpc/` followed by anything, and with this device's topic prefixes.
        let mut buf = ThingTopic::new();
        for prefix in ["/ext/rrpc/", "/ext/rrpc/1/a1FlqIQabcd/device1", "/ext/rrpc/1/sys/a1FlqIQabcd/device1/"] {
            let t = format!("{prefix}{rrpc_tail}");
            if let Ok(msg @ Downlink::ExtRrpc { topic, .. }) = classify(&d, t.as_bytes(), &payload) {
                prop_assert!(t.ends_with(topic));
                prop_assert!(d.response_topic(&msg, &mut buf).is_ok() || t.len() > 128);
            }
            let _ = d.ext_rrpc_filter(&rrpc_tail, &mut buf);
        }
        if let Ok(Downlink::DesiredGetReply(r)) = classify(&d, topic(Topic::DesiredGetReply).as_bytes(), json.as_bytes()) {
            for (_, v) in r.properties() {
                let _ = v.parse::<serde::de::IgnoredAny>();
            }
        }
        let names: Vec<&str> = json.split(',').collect();
        let _ = write_desired_get(1, &names, &mut String::<256>::new());
        let _ = NtpResponse::parse(&payload);
        let _ = NtpResponse::parse(json.as_bytes());
        // Real topics with arbitrary payloads reach every JSON path.
        let topics = [
            topic(Topic::PropertyPostReply),
            topic(Topic::PropertySet),
            topic(Topic::Service("S")),
            topic(Topic::RrpcRequest("1")),
            topic(Topic::NtpResponse),
            topic(Topic::EventPostReply("e")),
            topic(Topic::DesiredGetReply),
            topic(Topic::DesiredDeleteReply),
        ];
        let t = &topics[level];
        for p in [&payload[..], json.as_bytes()] {
            if let Ok(Downlink::PropertySet { params, .. } | Downlink::ServiceCall { params, .. }) =
                classify(&d, t.as_bytes(), p)
            {
                let _ = params.parse::<serde::de::IgnoredAny>();
            }
        }
        let mut out = String::<256>::new();
        let _ = write_property_post(1, &json, Ack::Reply, &mut out);
        let _ = write_reply(1, 200, &json, &mut out);
        let mut buf = [0u8; 64];
        let s = std::string::String::from_utf8_lossy(&topic_bytes);
        let _ = d.topic_into(Topic::Service(&s), &mut buf);
    }

    #[test]
    fn any_valid_reply_id_round_trips(id in any::<u64>(), quoted in any::<bool>()) {
        let text = if quoted { format!(r#"{{"id":"{id}","code":200}}"#) } else { format!(r#"{{"id":{id},"code":200}}"#) };
        let got = classify(&dev(), topic(Topic::PropertyPostReply).as_bytes(), text.as_bytes()).unwrap();
        prop_assert_eq!(got, Downlink::PostReply { event: "property", reply: PostReply { id, code: 200, message: "" } });
    }
}
