//! A program written only against `atmodem::prelude` (and the simulated modem, a test tool):
//! an Aliyun MQTT session on a Quectel module, from login to close. The modem side is written
//! from the Quectel MQTT application note's command forms; the login is the Quectel Aliyun
//! note's 4.1.2 (clientId, username and the HMAC-SHA256 password it prints), sent over TLS
//! (SSL context 0) as its `securemode=2` asks.
#![allow(clippy::unwrap_used)]

use atmodem::prelude::*;
use atmodem::sim::{InstantDelay, SimModem};
use embassy_futures::block_on;

const SCRIPT: &str = r#">> AT+QMTCFG="version",0,4
<< OK
>> AT+QMTCFG="recv/mode",0,0,1
<< OK
>> AT+QMTCFG="ssl",0,1,0
<< OK
>> AT+QMTOPEN=0,"iot-06z00hxss3rggno.mqtt.iothub.aliyuncs.com",8883
<< OK
<< +QMTOPEN: 0,0
>> AT+QMTCONN=0,"i2uqc2dloOl.device001|securemode=2,signmethod=hmacsha256,timestamp=1680937625134|","device001&i2uqc2dloOl","0309b31761c30d24d37a25558c5604de308c92eb6ac8656a1981f85783fb23db"
<< OK
<< +QMTCONN: 0,0,0
>> AT+QMTSUB=0,1,"/sys/i2uqc2dloOl/device001/thing/service/property/set",1
<< OK
<< +QMTSUB: 0,1,0,1
>> AT+QMTPUBEX=0,2,1,0,"/sys/i2uqc2dloOl/device001/thing/event/property/post",13
<<| "\r\n> "
>>| "{\"Temp\":23.9}"
<< OK
<< +QMTPUBEX: 0,2,0
<<| "\r\n+QMTRECV: 0,5,\"/sys/i2uqc2dloOl/device001/thing/service/property/set\",93,\"{\"method\":\"thing.service.property.set\",\"id\":\"7\",\"params\":{\"LightSwitch\":1},\"version\":\"1.0.0\"}\"\r\n"
>> AT+QMTCLOSE=0
<< OK
<< +QMTCLOSE: 0,0
"#;

#[test]
fn an_aliyun_session_with_the_prelude_only() {
    let mut state: State = State::new();
    let mut modem: Client<_, _, Quectel> =
        Client::new(SimModem::new(SCRIPT).unwrap(), InstantDelay, &mut state);
    let creds = DeviceSecretLogin::new(
        "i2uqc2dloOl",
        "device001",
        "c4fa40df9c8078073d75a26be2bc8f58",
    )
    .sign_method(SignMethod::HmacSha256)
    .timestamp("1680937625134")
    .build()
    .unwrap();
    let session: MqttSession<'_> = flow::session(
        "iot-06z00hxss3rggno.mqtt.iothub.aliyuncs.com",
        8883,
        &creds,
        Some(0),
    )
    .unwrap();
    let dev = Device::new("i2uqc2dloOl", "device001").unwrap();
    let mut topic = [0u8; 96];
    let result: Result<(), FlowError<_>> = block_on(async {
        flow::connect(&mut modem, &session).await?;
        let set = dev.topic_into(Topic::PropertySet, &mut topic)?;
        modem.mqtt_subscribe(modem.mqtt_session(0), set, 1).await?;
        let post = dev.topic_into(Topic::PropertyPost, &mut topic)?;
        modem
            .mqtt_publish(modem.mqtt_session(0), post, br#"{"Temp":23.9}"#, 1, false)
            .await?;
        let m = modem
            .mqtt_next_message(modem.mqtt_session(0), 5_000)
            .await?;
        match classify(&dev, m.topic.as_bytes(), m.payload)? {
            Downlink::PropertySet { id, params } => {
                assert_eq!(id, 7);
                assert_eq!(params.as_str(), r#"{"LightSwitch":1}"#);
            }
            other => panic!("{other:?}"),
        }
        modem.mqtt_close(modem.mqtt_session(0)).await?;
        Ok(())
    });
    result.unwrap();
    assert!(modem.transport().is_done());
}
