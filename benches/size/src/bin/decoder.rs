//! Probe (a): the fake UART read straight into a `Reader<Quectel, [u8; 1024]>`, every item
//! taken and the Quectel MQTT URCs looked at as a client would.
#![no_std]
#![no_main]

use atmodem::codec::{Dialect, Item, Reader, Urc};
use atmodem::dialects::quectel::{Quectel, QuectelUrc};
use atmodem_size::FakeUart;
use cortex_m_rt::entry;
use panic_halt as _;

#[entry]
fn main() -> ! {
    let mut uart = FakeUart::default();
    let mut reader: Reader<Quectel, [u8; 1024]> = Reader::new();
    let mut sum = 0u32;
    loop {
        let n = uart.read(reader.spare());
        reader.commit(n);
        while let Some(item) = reader.next_item() {
            let v = match item {
                Ok(Item::Urc(urc)) => {
                    let link = u32::from(Quectel::link_event(&urc).is_some());
                    link + match urc {
                        QuectelUrc::QmtRecv(_) => urc
                            .message()
                            .map_or(0, |(_, m)| (m.topic.len() + m.payload.len()) as u32),
                        QuectelUrc::QmtPubEx(ack) => u32::from(ack.msg_id),
                        QuectelUrc::QmtStat { err, .. } => u32::from(err),
                        QuectelUrc::QmtPing { result, .. } => u32::from(result),
                        QuectelUrc::Common(Urc::Cereg(reg)) => u32::from(u8::from(reg.stat)),
                        _ => 1,
                    }
                }
                Ok(Item::Final(code)) => u32::from(code.is_ok()),
                Ok(Item::Unknown { line, .. }) => line.len() as u32,
                Ok(_) => 2,
                Err(_) => 3,
            };
            sum = sum.wrapping_add(v);
        }
        core::hint::black_box(sum);
    }
}
