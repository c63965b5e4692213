//! The baseline: the same runtime and fake UART, bytes summed instead of decoded.
#![no_std]
#![no_main]

use atmodem_size::FakeUart;
use cortex_m_rt::entry;
use panic_halt as _;

#[entry]
fn main() -> ! {
    let mut uart = FakeUart::default();
    let mut buf = [0u8; 64];
    let mut sum = 0u32;
    loop {
        let n = uart.read(&mut buf);
        for &b in buf.iter().take(n) {
            sum = sum.wrapping_add(u32::from(b));
        }
        core::hint::black_box(sum);
    }
}
