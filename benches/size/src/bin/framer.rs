//! For the breakdown of probe (a): the framer alone, `Decoder<Quectel, [u8; 1024]>` with the
//! `+QMTRECV` payload rule, frames taken but not classified.
#![no_std]
#![no_main]

use atmodem::codec::{Decoder, Frame};
use atmodem::dialects::quectel::Quectel;
use atmodem_size::FakeUart;
use cortex_m_rt::entry;
use panic_halt as _;

#[entry]
fn main() -> ! {
    let mut uart = FakeUart::default();
    let mut decoder: Decoder<Quectel, [u8; 1024]> = Decoder::new();
    let mut sum = 0u32;
    loop {
        let n = uart.read(decoder.spare());
        decoder.commit(n);
        while let Some(frame) = decoder.next_frame() {
            let v = match frame {
                Ok(Frame::Line(l) | Frame::Echo(l) | Frame::Data { bytes: l, .. }) => {
                    l.len() as u32
                }
                Ok(Frame::Prompt) => 1,
                Err(_) => 3,
            };
            sum = sum.wrapping_add(v);
        }
        core::hint::black_box(sum);
    }
}
