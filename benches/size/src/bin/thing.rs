//! Probe (e): the thing model as a device runs it: classify a downlink message (a property
//! set), answer it with `write_reply`, post a property, build the topics.
#![no_std]
#![no_main]

use atmodem::aliyun::thing::{Ack, Device, Downlink, Topic, classify, write_property_post, write_reply};
use cortex_m_rt::entry;
use heapless::String;
use panic_halt as _;

static TOPIC: &[u8] = b"/sys/a1B2c3D4e5F/device-0001/thing/service/property/set";
static PAYLOAD: &[u8] = br#"{"method":"thing.service.property.set","id":"1","params":{"prop0":1.5},"version":"1.0.0"}"#;

#[entry]
fn main() -> ! {
    let mut sum = 0u32;
    let mut out: String<256> = String::new();
    let mut topic = [0u8; 96];
    let mut id = 0u32;
    loop {
        let (pk, dn) = core::hint::black_box(("a1B2c3D4e5F", "device-0001"));
        let Ok(dev) = Device::new(pk, dn) else { continue };
        let (t, p) = core::hint::black_box((TOPIC, PAYLOAD));
        sum = sum.wrapping_add(match classify(&dev, t, p) {
            Ok(Downlink::PropertySet { id, .. }) => {
                let _ = write_reply(id, 200, "{}", &mut out);
                out.len() as u32
            }
            Ok(_) => 1,
            Err(_) => 2,
        });
        id = id.wrapping_add(1);
        let params = core::hint::black_box(r#"{"Temp":23.9}"#);
        if write_property_post(id, params, Ack::Reply, &mut out).is_ok() {
            sum = sum.wrapping_add(out.len() as u32);
        }
        if let Ok(t) = dev.topic_into(Topic::PropertyPost, &mut topic) {
            sum = sum.wrapping_add(t.len() as u32);
        }
        core::hint::black_box(sum);
    }
}
