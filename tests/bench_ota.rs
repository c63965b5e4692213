//! OTA end to end on the bench: the bench's local Aliyun pushes an upgrade
//! (`/ota/device/upgrade/<pk>/<dn>`, MD5 of the file it serves), the device downloads it
//! with `aliyun::ota::download` through the Quectel and Luat models' ranged GETs
//! (`AT+QHTTPGETEX`, `AT+HTTPPARA="BREAK"`/`"BREAKEND"`) into a mock NOR flash, and the
//! platform sees the progress reports on `/ota/device/progress/<pk>/<dn>`.
//!
//! Expected values come from outside the code under test: the image bytes are the file the
//! test offered, the digest is the one the bench computed for its push, the steps are the
//! platform's documented `-1`..`-4` and percents, and the ranges are what the bench's file
//! server received.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::expect_used
)]

use std::time::{Duration, Instant};

use atmodem::aliyun::flow;
use atmodem::aliyun::ota::{
    Download, DownloadError, FetchError, FirmwareSink, NorFlashSink, PlanError, Step, Transfer,
    UpgradeNotice, VerifyError, download, report_step,
};
use atmodem::aliyun::thing::{Device, Filter, ThingTopic};
use atmodem::aliyun::{DeviceSecretLogin, SecureMode};
use atmodem::client::{
    Bearer, BearerConfig, Client, Error, HttpTiming, Mqtt, MqttSession, Session, State,
};
use atmodem::dialects::luat::Luat;
use atmodem::dialects::quectel::Quectel;
use atmodem::host::TokioDelay as Delay;
use atmodem_sim::transport::{Uart, uart};
use atmodem_sim::{Family, ModemConfig, ModemHandle, Platform, spawn_model};
use embedded_storage_async::nor_flash::{ErrorType, NorFlash, NorFlashErrorKind, ReadNorFlash};

const PK: &str = "i2uqc2dloOl";
const DN: &str = "device001";
const DS: &str = "c4fa40df9c8078073d75a26be2bc8f58";
const HOST: &str = "iot-06z00hxss3rggno.mqtt.iothub.aliyuncs.com";
const PROGRESS: &str = "/ota/device/progress/i2uqc2dloOl/device001";

/// 2 KiB ranges: Link SDK's default body buffer, within the Luat module's 4 KiB HTTP buffer.
const CHUNK: u32 = 2048;

type C<'s, D> = Client<'s, Uart, Delay, D>;

/// The test image: byte `i` is `(31 i + 7) mod 251`; not a multiple of the chunk.
fn image(len: usize) -> Vec<u8> {
    (0..len).map(|i| ((i * 31 + 7) % 251) as u8).collect()
}

// ---------------------------------------------------------------------------------------
// A NOR flash: 4 KiB sectors, 8-byte write unit; a byte written twice or unerased panics.

const SECTOR: usize = 4096;
const WORD: usize = 8;

struct MockFlash {
    mem: Vec<u8>,
    written: Vec<bool>,
    writes: usize,
}

impl MockFlash {
    fn new(capacity: usize) -> Self {
        Self {
            mem: vec![0x00; capacity],
            written: vec![false; capacity],
            writes: 0,
        }
    }
}

impl ErrorType for MockFlash {
    type Error = NorFlashErrorKind;
}

impl ReadNorFlash for MockFlash {
    const READ_SIZE: usize = 1;
    async fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), Self::Error> {
        let o = offset as usize;
        bytes.copy_from_slice(&self.mem[o..o + bytes.len()]);
        Ok(())
    }
    fn capacity(&self) -> usize {
        self.mem.len()
    }
}

impl NorFlash for MockFlash {
    const WRITE_SIZE: usize = WORD;
    const ERASE_SIZE: usize = SECTOR;

    async fn erase(&mut self, from: u32, to: u32) -> Result<(), Self::Error> {
        let (f, t) = (from as usize, to as usize);
        assert!(f.is_multiple_of(SECTOR) && t.is_multiple_of(SECTOR));
        assert!(f <= t && t <= self.mem.len());
        self.mem[f..t].fill(0xFF);
        self.written[f..t].fill(false);
        Ok(())
    }

    async fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), Self::Error> {
        let o = offset as usize;
        assert!(o.is_multiple_of(WORD) && bytes.len().is_multiple_of(WORD));
        for i in o..o + bytes.len() {
            assert!(!self.written[i], "byte {i} written twice");
            assert_eq!(self.mem[i], 0xFF, "byte {i} written unerased");
        }
        self.mem[o..o + bytes.len()].copy_from_slice(bytes);
        self.written[o..o + bytes.len()].fill(true);
        self.writes += 1;
        Ok(())
    }
}

/// The sink under test: a NOR flash sink that runs `fault` once, after `after` chunk writes.
struct Sink {
    inner: NorFlashSink<MockFlash, 256>,
    chunks: usize,
    fault: Option<(usize, Box<dyn FnOnce()>)>,
}

impl Sink {
    fn new(capacity: usize) -> Self {
        Self {
            inner: NorFlashSink::new(MockFlash::new(capacity)).unwrap(),
            chunks: 0,
            fault: None,
        }
    }

    fn fault_after(mut self, after: usize, fault: impl FnOnce() + 'static) -> Self {
        self.fault = Some((after, Box::new(fault)));
        self
    }

    fn image(self, len: usize) -> Vec<u8> {
        self.inner.into_inner().mem[..len].to_vec()
    }
}

impl FirmwareSink for Sink {
    type Error = <NorFlashSink<MockFlash, 256> as FirmwareSink>::Error;
    fn capacity(&self) -> u32 {
        self.inner.capacity()
    }
    async fn erase(&mut self, offset: u32, len: u32) -> Result<(), Self::Error> {
        self.inner.erase(offset, len).await
    }
    async fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), Self::Error> {
        self.inner.write(offset, bytes).await?;
        self.chunks += 1;
        if self.fault.as_ref().is_some_and(|(n, _)| *n == self.chunks) {
            let (_, f) = self.fault.take().unwrap();
            f();
        }
        Ok(())
    }
    async fn finish(&mut self) -> Result<(), Self::Error> {
        self.inner.finish().await
    }
}

// ---------------------------------------------------------------------------------------
// Bring-up and the push

fn dev() -> Device<'static> {
    Device::new(PK, DN).unwrap()
}

/// Times short enough for the bench, so that a lost answer does not stall a test.
fn transfer(session: Session) -> Transfer {
    Transfer {
        timing: HttpTiming {
            url_input_secs: 10,
            body_input_secs: 10,
            response_secs: 10,
            read_secs: 10,
        },
        ..Transfer::new(session)
    }
}

/// Network, bearer, MQTT login and the upgrade subscription: what a device does at boot
/// and again after a link loss or a reboot.
async fn bring_up<D: atmodem::codec::Dialect>(c: &mut C<'_, D>) -> Session
where
    for<'a> C<'a, D>: Mqtt<Error = Error<std::io::Error>> + Bearer,
{
    c.wait_network(10_000).await.unwrap();
    c.bearer_up(&BearerConfig::default()).await.unwrap();
    let _ = c.mqtt_close(c.mqtt_session(0)).await;
    let creds = DeviceSecretLogin::new(PK, DN, DS)
        .secure_mode(SecureMode::Tcp)
        .build()
        .unwrap();
    let mqtt = c
        .mqtt_start(&MqttSession::new(HOST, 1883, flow::login_of(&creds)))
        .await
        .unwrap();
    let mut t = ThingTopic::new();
    dev().filter(Filter::OtaUpgrade, &mut t).unwrap();
    c.mqtt_subscribe(mqtt, &t, 1).await.unwrap();
    mqtt
}

/// A module of `family` on `p`, brought up.
async fn device<D: atmodem::codec::Dialect>(
    p: &Platform,
    family: Family,
) -> (C<'static, D>, ModemHandle, Session)
where
    for<'a> C<'a, D>: Mqtt<Error = Error<std::io::Error>> + Bearer,
{
    let (io, faults) = spawn_model(ModemConfig::new(family, p.host_map()));
    let state: &mut State = Box::leak(Box::new(State::new()));
    let mut c = Client::new(uart(io), Delay, state);
    let mqtt = bring_up(&mut c).await;
    (c, faults, mqtt)
}

/// The push as the device receives it.
async fn receive_push<D: atmodem::codec::Dialect>(c: &mut C<'_, D>) -> Vec<u8>
where
    for<'a> C<'a, D>: Mqtt<Error = Error<std::io::Error>>,
{
    let m = c.mqtt_next_message(c.mqtt_session(0), 5_000).await.unwrap();
    assert_eq!(m.topic, "/ota/device/upgrade/i2uqc2dloOl/device001");
    m.payload.to_vec()
}

/// The `step`s of the progress reports the platform received within `wait` of the last one.
async fn steps(rx: &mut tokio::sync::broadcast::Receiver<atmodem_sim::Uplink>) -> Vec<String> {
    let mut out = Vec::new();
    while let Some(u) = Platform::next_uplink(rx, PROGRESS, Duration::from_millis(300)).await {
        assert_eq!(u.qos, 0, "Link SDK reports with QoS 0");
        let v: serde_json::Value = serde_json::from_slice(&u.payload).unwrap();
        out.push(v["params"]["step"].as_str().unwrap().to_string());
    }
    out
}

/// Percent reports only, increasing, from 0, ending with 100.
fn assert_percents(steps: &[String]) {
    let p: Vec<i64> = steps.iter().map(|s| s.parse().unwrap()).collect();
    assert_eq!(p.first(), Some(&0), "{p:?}");
    assert_eq!(p.last(), Some(&100), "{p:?}");
    assert!(p.windows(2).all(|w| w[0] < w[1]), "{p:?}");
    assert!(p.iter().all(|s| (0..=100).contains(s)), "{p:?}");
}

// ---------------------------------------------------------------------------------------
// A complete download

async fn complete<D: atmodem::codec::Dialect>(family: Family)
where
    for<'a> C<'a, D>: Mqtt<Error = Error<std::io::Error>> + Bearer + atmodem::client::Http,
{
    let p = Platform::start().await.unwrap();
    let (mut c, _faults, mqtt) = device::<D>(&p, family).await;
    let file = image(40_000 + 123);
    p.push_firmware(PK, DN, "2.0.0", &file);
    let push = receive_push(&mut c).await;
    let fw = UpgradeNotice::parse(&push).unwrap().firmware;
    assert_eq!(fw.size as usize, file.len());

    let mut rx = p.uplink();
    let mut sink = Sink::new(64 * 1024);
    let mut dl = Download::start(&fw, CHUNK, 3, &mut sink).await.unwrap();
    let mut buf = vec![0u8; CHUNK as usize];
    let mut t = transfer(mqtt);
    let t0 = Instant::now();
    download(&mut c, &dev(), &fw, &mut dl, &mut sink, &mut buf, &mut t)
        .await
        .unwrap();
    let secs = t0.elapsed().as_secs_f64();
    let chunks = file.len().div_ceil(CHUNK as usize);
    eprintln!(
        "{family:?}: {} bytes in {chunks} ranges of {CHUNK} bytes, {secs:.3} s wall time, \
         {:.0} bytes/s ({:.1} ms/range) on the bench",
        file.len(),
        file.len() as f64 / secs,
        secs * 1000.0 / chunks as f64
    );
    assert_percents(&steps(&mut rx).await);

    // Every range asked once, in order, as `Range: bytes=<offset>-<last>`.
    let asked: Vec<Option<String>> = p.firmware_requests().into_iter().map(|(_, r)| r).collect();
    let want: Vec<Option<String>> = (0..chunks)
        .map(|k| {
            let a = k * CHUNK as usize;
            let b = (a + CHUNK as usize).min(file.len()) - 1;
            Some(format!("bytes={a}-{b}"))
        })
        .collect();
    assert_eq!(asked, want);
    assert_eq!(sink.image(file.len()), file);
}

#[tokio::test]
async fn quectel_complete_download() {
    complete::<Quectel>(Family::Quectel).await;
}

#[tokio::test]
async fn luat_complete_download() {
    complete::<Luat>(Family::Luat).await;
}

// ---------------------------------------------------------------------------------------
// Interrupted downloads resume

#[derive(Debug, Clone, Copy)]
enum Cut {
    LinkDrop,
    Reboot,
}

/// `every`: the progress step; with 100 no report comes between the first and the last, so
/// the cut lands on a range rather than on a report.
async fn interrupted<D: atmodem::codec::Dialect>(family: Family, cut: Cut, every: u8)
where
    for<'a> C<'a, D>: Mqtt<Error = Error<std::io::Error>> + Bearer + atmodem::client::Http,
{
    let p = Platform::start().await.unwrap();
    let (mut c, faults, mqtt) = device::<D>(&p, family).await;
    let file = image(30_000 + 7);
    p.push_firmware(PK, DN, "2.0.1", &file);
    let push = receive_push(&mut c).await;
    let fw = UpgradeNotice::parse(&push).unwrap().firmware;

    let mut rx = p.uplink();
    let f = faults.clone();
    let mut sink = Sink::new(64 * 1024).fault_after(3, move || match cut {
        Cut::LinkDrop => f.pdp_deact(1),
        Cut::Reboot => f.reboot(),
    });
    let mut dl = Download::start(&fw, CHUNK, 3, &mut sink).await.unwrap();
    let mut buf = vec![0u8; CHUNK as usize];
    let mut t = Transfer {
        report_every: every,
        ..transfer(mqtt)
    };
    let e = download(&mut c, &dev(), &fw, &mut dl, &mut sink, &mut buf, &mut t)
        .await
        .unwrap_err();
    // The range in flight is lost (`Rebooted`, `SessionDown`), or the next progress report
    // cannot be published (the module's `ERROR` for a closed link, `SessionDown`).
    assert!(
        matches!(e, FetchError::Modem(_)),
        "{family:?} {cut:?}: {e:?}"
    );
    let resumed_at = dl.plan().verified();
    assert!(
        resumed_at >= 3 * CHUNK && resumed_at < fw.size,
        "{family:?} {cut:?}: {resumed_at}"
    );
    assert_eq!(resumed_at % CHUNK, 0);
    eprintln!("{family:?} {cut:?}: stopped at byte {resumed_at} with {e:?}");
    let before = p.firmware_requests().len();

    // The device brings the module up again and calls again with the same state.
    if matches!(cut, Cut::Reboot) {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The new session's handle: the transfer's one went stale with the link.
    t.session = bring_up(&mut c).await;
    download(&mut c, &dev(), &fw, &mut dl, &mut sink, &mut buf, &mut t)
        .await
        .unwrap_or_else(|e| panic!("{family:?} {cut:?} resume: {e:?}"));

    // The second call started at the last verified offset, not at 0.
    let asked = p.firmware_requests();
    assert_eq!(
        asked[before].1.as_deref(),
        Some(format!("bytes={resumed_at}-{}", resumed_at + CHUNK - 1).as_str()),
        "{family:?} {cut:?}"
    );
    assert_eq!(sink.image(file.len()), file, "{family:?} {cut:?}");
    let s = steps(&mut rx).await;
    assert_eq!(s.last().map(String::as_str), Some("100"), "{s:?}");
    assert!(!s.iter().any(|x| x.starts_with('-')), "{s:?}");
}

#[tokio::test]
async fn quectel_download_resumes_after_a_link_drop() {
    interrupted::<Quectel>(Family::Quectel, Cut::LinkDrop, 5).await;
}

#[tokio::test]
async fn luat_download_resumes_after_a_link_drop() {
    interrupted::<Luat>(Family::Luat, Cut::LinkDrop, 5).await;
}

#[tokio::test]
async fn luat_range_lost_to_a_link_drop_resumes() {
    // The Luat module's HTTP needs the bearer: the next range fails, and with it the call.
    interrupted::<Luat>(Family::Luat, Cut::LinkDrop, 100).await;
}

#[tokio::test]
async fn quectel_download_resumes_after_a_reboot() {
    interrupted::<Quectel>(Family::Quectel, Cut::Reboot, 5).await;
}

#[tokio::test]
async fn luat_download_resumes_after_a_reboot() {
    interrupted::<Luat>(Family::Luat, Cut::Reboot, 5).await;
}

// ---------------------------------------------------------------------------------------
// Refusals

/// A file whose MD5 in the push is another image's: downloaded whole, refused by the
/// digest, reported as `-3`, never as 100.
async fn corrupted<D: atmodem::codec::Dialect>(family: Family)
where
    for<'a> C<'a, D>: Mqtt<Error = Error<std::io::Error>> + Bearer + atmodem::client::Http,
{
    let p = Platform::start().await.unwrap();
    let (mut c, _faults, mqtt) = device::<D>(&p, family).await;
    let file = image(10_003);
    let mut other = file.clone();
    other[5_000] ^= 0x01;
    p.push_firmware_signed(PK, DN, "2.0.2", &file, &other);
    let push = receive_push(&mut c).await;
    let fw = UpgradeNotice::parse(&push).unwrap().firmware;

    let mut rx = p.uplink();
    let mut sink = Sink::new(64 * 1024);
    let mut dl = Download::start(&fw, CHUNK, 3, &mut sink).await.unwrap();
    let mut buf = vec![0u8; CHUNK as usize];
    let e = download(
        &mut c,
        &dev(),
        &fw,
        &mut dl,
        &mut sink,
        &mut buf,
        &mut transfer(mqtt),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            e,
            FetchError::Download(DownloadError::Verify(VerifyError::Mismatch))
        ),
        "{family:?} {e:?}"
    );
    let s = steps(&mut rx).await;
    assert_eq!(s.last().map(String::as_str), Some("-3"), "{family:?} {s:?}");
    assert!(!s.iter().any(|x| x == "100"), "{family:?} {s:?}");
}

#[tokio::test]
async fn quectel_corrupted_image_is_rejected_with_step_minus_3() {
    corrupted::<Quectel>(Family::Quectel).await;
}

#[tokio::test]
async fn luat_corrupted_image_is_rejected_with_step_minus_3() {
    corrupted::<Luat>(Family::Luat).await;
}

/// A server that ignores `Range` answers `200` with the whole file: no byte is taken, the
/// ranges fail until the retries are spent, and `-2` is reported.
async fn range_ignored<D: atmodem::codec::Dialect>(family: Family)
where
    for<'a> C<'a, D>: Mqtt<Error = Error<std::io::Error>> + Bearer + atmodem::client::Http,
{
    let p = Platform::start().await.unwrap();
    let (mut c, _faults, mqtt) = device::<D>(&p, family).await;
    let file = image(3_000);
    p.push_firmware(PK, DN, "2.0.3", &file);
    let push = receive_push(&mut c).await;
    let fw = UpgradeNotice::parse(&push).unwrap().firmware;
    p.ignore_range(true);

    let mut rx = p.uplink();
    let mut sink = Sink::new(64 * 1024);
    let mut dl = Download::start(&fw, CHUNK, 2, &mut sink).await.unwrap();
    let mut buf = vec![0u8; CHUNK as usize];
    let e = download(
        &mut c,
        &dev(),
        &fw,
        &mut dl,
        &mut sink,
        &mut buf,
        &mut transfer(mqtt),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            e,
            FetchError::Download(DownloadError::Plan(PlanError::RetriesExhausted {
                offset: 0
            }))
        ),
        "{family:?} {e:?}"
    );
    // The first range and its two retries.
    assert_eq!(p.firmware_requests().len(), 3, "{family:?}");
    assert_eq!(sink.chunks, 0, "{family:?}");
    assert_eq!(steps(&mut rx).await, ["0", "-2"], "{family:?}");
}

#[tokio::test]
async fn quectel_whole_file_answer_is_not_a_range() {
    range_ignored::<Quectel>(Family::Quectel).await;
}

#[tokio::test]
async fn luat_whole_file_answer_is_not_a_range() {
    range_ignored::<Luat>(Family::Luat).await;
}

/// An image larger than the sink: refused by `Download::start` before anything is erased
/// or requested; the device reports `-1`.
async fn too_large<D: atmodem::codec::Dialect>(family: Family)
where
    for<'a> C<'a, D>: Mqtt<Error = Error<std::io::Error>> + Bearer + atmodem::client::Http,
{
    let p = Platform::start().await.unwrap();
    let (mut c, _faults, mqtt) = device::<D>(&p, family).await;
    let file = image(SECTOR * 2 + 1);
    p.push_firmware(PK, DN, "2.0.4", &file);
    let push = receive_push(&mut c).await;
    let fw = UpgradeNotice::parse(&push).unwrap().firmware;

    let mut rx = p.uplink();
    let mut sink = Sink::new(SECTOR * 2);
    let e = Download::start(&fw, CHUNK, 3, &mut sink).await.unwrap_err();
    assert_eq!(
        e,
        DownloadError::Plan(PlanError::TooLarge {
            size: (SECTOR * 2 + 1) as u32,
            capacity: (SECTOR * 2) as u32
        })
    );
    assert_eq!(e.step(), Step::UpgradeFailed);
    report_step(
        &mut c,
        &dev(),
        &fw,
        &mut transfer(mqtt),
        e.step(),
        "too large",
    )
    .await
    .unwrap();
    assert_eq!(steps(&mut rx).await, ["-1"]);
    assert!(p.firmware_requests().is_empty(), "{family:?}");
    assert_eq!(sink.inner.into_inner().writes, 0);

    // A chunk buffer shorter than a chunk is refused before any request too.
    let mut sink = Sink::new(64 * 1024);
    let mut dl = Download::start(&fw, CHUNK, 3, &mut sink).await.unwrap();
    let mut short = vec![0u8; CHUNK as usize - 1];
    let e = download(
        &mut c,
        &dev(),
        &fw,
        &mut dl,
        &mut sink,
        &mut short,
        &mut transfer(mqtt),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(e, FetchError::BufferTooSmall { chunk: CHUNK }),
        "{e:?}"
    );
    assert!(p.firmware_requests().is_empty(), "{family:?}");
}

#[tokio::test]
async fn quectel_image_larger_than_the_sink_is_refused_before_any_request() {
    too_large::<Quectel>(Family::Quectel).await;
}

#[tokio::test]
async fn luat_image_larger_than_the_sink_is_refused_before_any_request() {
    too_large::<Luat>(Family::Luat).await;
}
