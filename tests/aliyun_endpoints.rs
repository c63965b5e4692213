//! Hosts, ports, URLs and topics, written out by hand from Aliyun's documentation.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use atmodem::aliyun::{
    AuthType, Field, MqttEndpoint, REGISTER_REPLY_TOPIC, REGNWL_REPLY_TOPIC, auth_host,
    device_auth_url, endpoint, http_channel_auth_url, http_channel_host, property_post_reply_topic,
    property_post_topic, property_set_topic, register_url, user_topic,
};

#[test]
fn mqtt_hosts_and_ports() {
    let public = MqttEndpoint::Public {
        product_key: "a1mxL3s6Z7m",
        region: "ap-southeast-1",
    };
    assert_eq!(
        public.host().unwrap().as_str(),
        "a1mxL3s6Z7m.iot-as-mqtt.ap-southeast-1.aliyuncs.com"
    );
    assert_eq!(public.tls_ports(), &[1883, 443]);
    assert_eq!(public.tcp_ports(), &[1883]);

    let instance = MqttEndpoint::Instance {
        instance_id: "iot-cn-2r42abcd",
    };
    assert_eq!(
        instance.host().unwrap().as_str(),
        "iot-cn-2r42abcd.mqtt.iothub.aliyuncs.com"
    );
    assert_eq!(instance.tls_ports(), &[1883, 443, 8883]);
    assert_eq!(instance.tcp_ports(), &[1883]);

    assert_eq!(
        MqttEndpoint::Public {
            product_key: "a1mxL3s6Z7m",
            region: "Shanghai"
        }
        .host()
        .unwrap_err()
        .field(),
        Some(Field::Region)
    );
}

#[test]
fn https_hosts_and_urls() {
    assert_eq!(
        auth_host("cn-shanghai").unwrap().as_str(),
        "iot-auth.cn-shanghai.aliyuncs.com"
    );
    assert_eq!(
        http_channel_host("us-west-1").unwrap().as_str(),
        "iot-as-http.us-west-1.aliyuncs.com"
    );
    assert_eq!(
        register_url("eu-central-1").unwrap().as_str(),
        "https://iot-auth.eu-central-1.aliyuncs.com/auth/register/device"
    );
    assert_eq!(
        device_auth_url("cn-shanghai").unwrap().as_str(),
        "https://iot-auth.cn-shanghai.aliyuncs.com/auth/devicename"
    );
    assert_eq!(
        http_channel_auth_url("cn-shanghai").unwrap().as_str(),
        "https://iot-as-http.cn-shanghai.aliyuncs.com/auth"
    );
    assert_eq!(endpoint::DEFAULT_REGION, "cn-shanghai");
    assert_eq!(endpoint::HTTPS_PORT, 443);
    assert_eq!(register_url("").unwrap_err().field(), Some(Field::Region));
}

#[test]
fn topics() {
    assert_eq!(REGISTER_REPLY_TOPIC, "/ext/register");
    assert_eq!(REGNWL_REPLY_TOPIC, "/ext/regnwl");
    assert_eq!(AuthType::Register.reply_topic(), "/ext/register");
    assert_eq!(AuthType::Regnwl.reply_topic(), "/ext/regnwl");
    assert_eq!(
        property_post_topic("a1mxL3s6Z7m", "dev@1:x")
            .unwrap()
            .as_str(),
        "/sys/a1mxL3s6Z7m/dev@1:x/thing/event/property/post"
    );
    assert_eq!(
        property_post_reply_topic("a1mxL3s6Z7m", "dev1")
            .unwrap()
            .as_str(),
        "/sys/a1mxL3s6Z7m/dev1/thing/event/property/post_reply"
    );
    assert_eq!(
        property_set_topic("a1mxL3s6Z7m", "dev1").unwrap().as_str(),
        "/sys/a1mxL3s6Z7m/dev1/thing/service/property/set"
    );
    assert_eq!(
        user_topic("a1mxL3s6Z7m", "dev1", "+/x/#").unwrap().as_str(),
        "/a1mxL3s6Z7m/dev1/user/+/x/#"
    );
    assert_eq!(
        property_set_topic("a1mxL3s6Z7m", "d").unwrap_err().field(),
        Some(Field::DeviceName)
    );
    assert_eq!(
        user_topic("a1mxL3s6Z7m", "dev1", "").unwrap_err().field(),
        Some(Field::Topic)
    );
}
