//! Probe (a) for Luat: the fake UART read into a `Reader<Luat, [u8; 1024]>`, every item taken
//! and the Luat MQTT URCs looked at as a client would.
#![no_std]
#![no_main]

use atmodem::codec::{Dialect, Item, Reader, Urc};
use atmodem::dialects::luat::{Luat, LuatUrc};
use atmodem_size::{FakeUart, LUAT_STREAM};
use cortex_m_rt::entry;
use panic_halt as _;

#[entry]
fn main() -> ! {
    let mut uart = FakeUart::replaying(LUAT_STREAM);
    let mut reader: Reader<Luat, [u8; 1024]> = Reader::new();
    let mut sum = 0u32;
    loop {
        let n = uart.read(reader.spare());
        reader.commit(n);
        while let Some(item) = reader.next_item() {
            let v = match item {
                Ok(Item::Urc(urc)) => {
                    let link = u32::from(Luat::link_event(&urc).is_some());
                    link + match urc {
                        LuatUrc::Msub(_) => urc
                            .message()
                            .map_or(0, |m| (m.topic.len() + m.payload.len()) as u32),
                        LuatUrc::Puback | LuatUrc::Suback => 7,
                        LuatUrc::Common(Urc::Cereg(reg)) => u32::from(u8::from(reg.stat)),
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
