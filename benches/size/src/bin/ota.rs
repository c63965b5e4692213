//! Probe (f): OTA as a device runs it: parse the upgrade push, then a download plan, the
//! SHA-256 verifier and the NOR flash sink over a fake flash, chunk by chunk, and the
//! progress report. MD5 is left out (`default-features = false`).
#![no_std]
#![no_main]

use atmodem::aliyun::ota::{Download, NorFlashSink, UpgradeNotice, write_progress};
use cortex_m_rt::entry;
use embedded_storage_async::nor_flash::{
    ErrorType, NorFlash, NorFlashError, NorFlashErrorKind, ReadNorFlash,
};
use panic_halt as _;

static PUSH: &[u8] = br#"{"code":"1000","data":{"size":64,"sign":"0000000000000000000000000000000000000000000000000000000000000000","version":"1.0.1","url":"https://ota.example/fw.bin","signMethod":"SHA256","md5":""},"id":1507707025,"message":"success"}"#;

/// 4 KiB of flash that stores nothing (its writes go to `black_box`).
struct Flash;

#[derive(Debug)]
struct FlashError;

impl NorFlashError for FlashError {
    fn kind(&self) -> NorFlashErrorKind {
        NorFlashErrorKind::Other
    }
}

impl ErrorType for Flash {
    type Error = FlashError;
}

impl ReadNorFlash for Flash {
    const READ_SIZE: usize = 1;
    async fn read(&mut self, _offset: u32, bytes: &mut [u8]) -> Result<(), FlashError> {
        bytes.fill(0xff);
        Ok(())
    }
    fn capacity(&self) -> usize {
        4096
    }
}

impl NorFlash for Flash {
    const WRITE_SIZE: usize = 8;
    const ERASE_SIZE: usize = 1024;
    async fn erase(&mut self, from: u32, to: u32) -> Result<(), FlashError> {
        core::hint::black_box((from, to));
        Ok(())
    }
    async fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), FlashError> {
        core::hint::black_box((offset, bytes));
        Ok(())
    }
}

#[entry]
fn main() -> ! {
    let mut report = [0u8; 160];
    let mut chunk = [0u8; 16];
    let mut sum = 0u32;
    loop {
        let Ok(notice) = UpgradeNotice::parse(core::hint::black_box(PUSH)) else {
            continue;
        };
        let Ok(mut sink) = NorFlashSink::<_, 8>::new(Flash) else { continue };
        let done = embassy_futures::block_on(async {
            let mut dl = Download::start(&notice.firmware, 16, 3, &mut sink).await.ok()?;
            while let Some(range) = dl.next_range() {
                let bytes = chunk.get_mut(..range.len as usize)?;
                core::hint::black_box(&mut *bytes);
                if dl.accept(&mut sink, range, bytes).await.is_err() {
                    let _ = dl.fail();
                }
                if let Some(step) = dl.progress_due(10) {
                    let r = write_progress(1, step, "", None, &mut report).ok()?;
                    sum = sum.wrapping_add(r.len() as u32);
                }
            }
            dl.finish(&mut sink).await.ok()
        });
        sum = sum.wrapping_add(u32::from(done.is_some()));
        core::hint::black_box(sum);
    }
}
