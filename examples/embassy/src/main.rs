#![no_std]
#![no_main]

use embassy_executor::Spawner;
use panic_halt as _;

#[embassy_executor::main]
async fn main(_spawner: Spawner) {
    let _p = embassy_stm32::init(Default::default());
    loop {
        embassy_time::Timer::after_secs(1).await;
    }
}
