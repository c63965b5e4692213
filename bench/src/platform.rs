//! The local Aliyun IoT Platform: the MQTT broker with the platform's login check, the HTTPS
//! auth endpoints (spoken in plain HTTP: `/auth/register/device`, `/auth/devicename`), the
//! Alink services (`_reply` to posts, NTP), property-set and OTA pushes, a firmware file
//! server honouring `Range`, a subscriber API for tests, and the host map that sends the
//! modules' Aliyun host names to these local servers.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::broadcast;

use crate::aliyun::{self, TEST_DEVICES, TestDevice};
use crate::broker::{Broker, Uplink};
use crate::http::{self, Request, Response};

/// Host names → local addresses, as the modules resolve them. A pattern is an exact host
/// name, `*.suffix` or `prefix.*`; the first match wins. Literal IP addresses resolve to themselves.
#[derive(Debug, Clone, Default)]
pub struct HostMap {
    entries: Vec<(String, SocketAddr)>,
}

impl HostMap {
    /// Adds a rule.
    pub fn with(mut self, pattern: &str, addr: SocketAddr) -> Self {
        self.entries.push((pattern.to_ascii_lowercase(), addr));
        self
    }

    /// Adds a rule in place.
    pub fn insert(&mut self, pattern: &str, addr: SocketAddr) {
        self.entries.push((pattern.to_ascii_lowercase(), addr));
    }

    /// Where `host:port` goes, `None` when the name does not resolve.
    pub fn resolve(&self, host: &str, port: u16) -> Option<SocketAddr> {
        let h = host.to_ascii_lowercase();
        let hit = self.entries.iter().find(|(p, _)| {
            if let Some(suffix) = p.strip_prefix("*.") {
                h.ends_with(&format!(".{suffix}"))
            } else if let Some(prefix) = p.strip_suffix(".*") {
                h.starts_with(&format!("{prefix}."))
            } else {
                *p == h
            }
        });
        if let Some((_, a)) = hit {
            return Some(*a);
        }
        let ip: std::net::IpAddr = if h == "localhost" {
            [127, 0, 0, 1].into()
        } else {
            h.parse().ok()?
        };
        Some(SocketAddr::new(ip, port))
    }
}

/// The firmware files the OTA server offers, by path.
type Files = Arc<Mutex<HashMap<String, Vec<u8>>>>;
/// The last firmware offered to each device, `(productKey, deviceName)` → the Alink `data`.
type Offers = Arc<Mutex<HashMap<(String, String), String>>>;
/// The desired property values of each device.
type DesiredMap = Arc<Mutex<HashMap<(String, String), aliyun::Desired>>>;

/// The form of a synchronous call ([`Platform::rrpc_call`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rrpc<'a> {
    /// `/sys/<pk>/<dn>/rrpc/request/<messageId>`, answered on `…/rrpc/response/<messageId>`.
    System,
    /// `/ext/rrpc/<messageId><topic>` (`topic` with its leading `/`), answered on the same topic.
    Custom(&'a str),
}

/// A firmware-file request: its path and its `Range` header.
type Fetch = (String, Option<String>);
/// Every firmware-file request, and whether `Range` is ignored.
#[derive(Clone, Default)]
struct Fetches {
    log: Arc<Mutex<Vec<Fetch>>>,
    ignore_range: Arc<std::sync::atomic::AtomicBool>,
}

/// The local platform.
#[derive(Clone)]
pub struct Platform {
    broker: Broker,
    http: SocketAddr,
    files: Files,
    fetches: Fetches,
    offers: Offers,
    desired: DesiredMap,
    skew_ms: Arc<AtomicI64>,
    next_id: Arc<AtomicU64>,
    devices: Vec<TestDevice>,
}

impl Platform {
    /// Starts the broker and the HTTP server on free loopback ports, with the test devices.
    pub async fn start() -> std::io::Result<Platform> {
        Self::start_with(TEST_DEVICES.to_vec()).await
    }

    /// Starts with other devices.
    pub async fn start_with(devices: Vec<TestDevice>) -> std::io::Result<Platform> {
        let broker = Broker::start(0, devices.clone()).await?;
        let files: Files = Arc::default();
        let fetches = Fetches::default();
        let handler = {
            let (files, broker, devices) = (files.clone(), broker.clone(), devices.clone());
            let fetches = fetches.clone();
            Arc::new(move |req: Request| handle_http(&devices, &broker, &files, &fetches, req))
        };
        let http = http::serve(0, handler).await?;
        let p = Platform {
            broker,
            http,
            files,
            fetches,
            offers: Offers::default(),
            desired: DesiredMap::default(),
            skew_ms: Arc::default(),
            next_id: Arc::new(AtomicU64::new(1)),
            devices,
        };
        p.spawn_services();
        Ok(p)
    }

    /// Replies to property/event posts, NTP requests and firmware queries.
    fn spawn_services(&self) {
        let mut rx = self.broker.uplink();
        let (broker, skew, offers, desired) = (
            self.broker.clone(),
            self.skew_ms.clone(),
            self.offers.clone(),
            self.desired.clone(),
        );
        tokio::spawn(async move {
            loop {
                let up = match rx.recv().await {
                    Ok(u) => u,
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(_) => return,
                };
                if up.device.is_none() {
                    continue;
                }
                let desired_reply = up.device.clone().and_then(|d| {
                    let mut all = desired.lock().ok()?;
                    aliyun::desired_reply(&up.topic, &up.payload, all.entry(d).or_default())
                });
                if let Some((topic, reply)) = aliyun::alink_reply(&up.topic, &up.payload) {
                    broker.publish(&topic, reply.as_bytes(), 0);
                } else if let Some((topic, reply)) = desired_reply {
                    broker.publish(&topic, reply.as_bytes(), 0);
                } else if up.topic.ends_with("/thing/ota/firmware/get") {
                    // The last offer to that device, `{}` when there is none.
                    let id = serde_json::from_slice::<serde_json::Value>(&up.payload)
                        .ok()
                        .and_then(|v| aliyun::alink_id(&v))
                        .unwrap_or_default();
                    let data = up
                        .device
                        .as_ref()
                        .and_then(|d| offers.lock().ok()?.get(d).cloned())
                        .unwrap_or_else(|| "{}".into());
                    let reply = format!(r#"{{"id":"{id}","code":200,"data":{data}}}"#);
                    broker.publish(&format!("{}_reply", up.topic), reply.as_bytes(), 0);
                } else if let Some(base) = up
                    .topic
                    .strip_suffix("/request")
                    .filter(|t| t.starts_with("/ext/ntp/"))
                {
                    let recv = now_ms(&skew);
                    let sent = serde_json::from_slice::<serde_json::Value>(&up.payload)
                        .ok()
                        .and_then(|v| {
                            v.get("deviceSendTime").map(|t| match t {
                                serde_json::Value::String(s) => s.clone(),
                                other => other.to_string(),
                            })
                        })
                        .unwrap_or_default();
                    let reply = format!(
                        r#"{{"deviceSendTime":"{sent}","serverRecvTime":"{recv}","serverSendTime":"{}"}}"#,
                        now_ms(&skew)
                    );
                    broker.publish(&format!("{base}/response"), reply.as_bytes(), 0);
                }
            }
        });
    }

    /// The broker.
    pub fn broker(&self) -> &Broker {
        &self.broker
    }

    /// The broker's address.
    pub fn mqtt_addr(&self) -> SocketAddr {
        self.broker.addr()
    }

    /// The HTTP server's address (auth endpoints and firmware files).
    pub fn http_addr(&self) -> SocketAddr {
        self.http
    }

    /// The devices it knows.
    pub fn devices(&self) -> &[TestDevice] {
        &self.devices
    }

    /// The host map for modules: `iot-auth.*` and `ota.*` to the HTTP server, every other
    /// `*.aliyuncs.com` name to the broker.
    pub fn host_map(&self) -> HostMap {
        HostMap::default()
            .with("iot-auth.*", self.http)
            .with("iot-auth-global.*", self.http)
            .with("ota.bench.local", self.http)
            .with("*.aliyuncs.com", self.mqtt_addr())
    }

    /// Everything devices and test clients publish from now on.
    pub fn uplink(&self) -> broadcast::Receiver<Uplink> {
        self.broker.uplink()
    }

    /// Publishes down to every matching subscription.
    pub fn publish(&self, topic: &str, payload: &[u8], qos: u8) -> usize {
        self.broker.publish(topic, payload, qos)
    }

    /// Pushes a property set (`thing.service.property.set`) to a device; returns its id.
    pub fn set_properties(&self, pk: &str, dn: &str, params: &str) -> String {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed).to_string();
        let msg = format!(
            r#"{{"id":"{id}","version":"1.0","params":{params},"method":"thing.service.property.set"}}"#
        );
        self.publish(
            &format!("/sys/{pk}/{dn}/thing/service/property/set"),
            msg.as_bytes(),
            0,
        );
        id
    }

    /// Offers a firmware (served at the returned URL, with `Range`), pushes the OTA upgrade
    /// message (`/ota/device/upgrade/<pk>/<dn>`, MD5 digest) and answers later
    /// `thing/ota/firmware/get` queries of that device with it; returns the URL.
    pub fn push_firmware(&self, pk: &str, dn: &str, version: &str, image: &[u8]) -> String {
        self.push_firmware_signed(pk, dn, version, image, image)
    }

    /// As [`Platform::push_firmware`], but the push's MD5 is that of `signed` (another image
    /// than the one served: a corrupted download).
    pub fn push_firmware_signed(
        &self,
        pk: &str,
        dn: &str,
        version: &str,
        image: &[u8],
        signed: &[u8],
    ) -> String {
        use md5::Digest;
        let path = format!("/ota/{pk}/{dn}/{version}.bin");
        let url = format!("https://ota.bench.local{path}");
        if let Ok(mut f) = self.files.lock() {
            f.insert(path, image.to_vec());
        }
        let digest: String = md5::Md5::digest(signed)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let data = format!(
            r#"{{"size":{},"version":"{version}","url":"{url}","md5":"{digest}","sign":"{digest}","signMethod":"Md5"}}"#,
            image.len()
        );
        if let Ok(mut o) = self.offers.lock() {
            o.insert((pk.to_string(), dn.to_string()), data.clone());
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let msg = format!(r#"{{"code":"1000","data":{data},"id":{id},"message":"success"}}"#);
        self.publish(&format!("/ota/device/upgrade/{pk}/{dn}"), msg.as_bytes(), 0);
        url
    }

    /// Sets the desired value (JSON text) of a device's property, bumping its version; later
    /// `thing/property/desired/get` requests of that device answer with it.
    pub fn set_desired(&self, pk: &str, dn: &str, identifier: &str, value: &str) {
        if let Ok(mut all) = self.desired.lock() {
            let d = all.entry((pk.into(), dn.into())).or_default();
            let version = d.get(identifier).map_or(1, |(_, v)| v + 1);
            d.insert(identifier.into(), (value.into(), version));
        }
    }

    /// Calls the device synchronously, as the `RRpc` API does: sends `payload` on the
    /// request topic of `form` with a fresh messageId and returns the payload of the
    /// device's response, `None` when none comes within `timeout` (the API allows 1–8 s). Only
    /// a QoS 0 response on the matching topic counts, as on the platform.
    pub async fn rrpc_call(
        &self,
        pk: &str,
        dn: &str,
        form: Rrpc<'_>,
        payload: &[u8],
        timeout: Duration,
    ) -> Option<Vec<u8>> {
        let message_id = self.next_id.fetch_add(1, Ordering::Relaxed).to_string();
        let (request, response) = match form {
            Rrpc::System => (
                format!("/sys/{pk}/{dn}/rrpc/request/{message_id}"),
                format!("/sys/{pk}/{dn}/rrpc/response/{message_id}"),
            ),
            Rrpc::Custom(topic) => {
                let t = format!("/ext/rrpc/{message_id}{topic}");
                (t.clone(), t)
            }
        };
        let mut rx = self.uplink();
        self.publish(&request, payload, 0);
        let device = Some((pk.to_string(), dn.to_string()));
        tokio::time::timeout(timeout, async {
            loop {
                match rx.recv().await {
                    Ok(u) if u.topic == response && u.device == device && u.qos == 0 => {
                        return Some(u.payload);
                    }
                    Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(_) => return None,
                }
            }
        })
        .await
        .ok()
        .flatten()
    }

    /// Every firmware-file request so far: its path and its `Range` header.
    pub fn firmware_requests(&self) -> Vec<Fetch> {
        self.fetches
            .log
            .lock()
            .map(|l| l.clone())
            .unwrap_or_default()
    }

    /// Serve firmware files whole (`200`) whatever their `Range` (`true`), or honour it.
    pub fn ignore_range(&self, on: bool) {
        self.fetches.ignore_range.store(on, Ordering::Relaxed);
    }

    /// Skews the platform's clock (NTP replies) by `ms`.
    pub fn skew_clock(&self, ms: i64) {
        self.skew_ms.store(ms, Ordering::Relaxed);
    }

    /// The platform's clock (ms since the epoch, skew included).
    pub fn now_ms(&self) -> u64 {
        now_ms(&self.skew_ms)
    }

    /// Waits up to `timeout` for the next uplink on a topic matching `filter`.
    pub async fn next_uplink(
        rx: &mut broadcast::Receiver<Uplink>,
        filter: &str,
        timeout: Duration,
    ) -> Option<Uplink> {
        tokio::time::timeout(timeout, async {
            loop {
                match rx.recv().await {
                    Ok(u) if mqttbytes::matches(&u.topic, filter) => return Some(u),
                    Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(_) => return None,
                }
            }
        })
        .await
        .ok()
        .flatten()
    }
}

fn now_ms(skew: &AtomicI64) -> u64 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    now.saturating_add(skew.load(Ordering::Relaxed)).max(0) as u64
}

fn handle_http(
    devices: &[TestDevice],
    broker: &Broker,
    files: &Files,
    fetches: &Fetches,
    req: Request,
) -> Response {
    let json = "application/json;charset=utf-8";
    let body = String::from_utf8_lossy(&req.body).into_owned();
    match (req.method.as_str(), req.path.as_str()) {
        ("POST", "/auth/register/device") => {
            Response::new(200, json, aliyun::https_register(devices, &body))
        }
        ("POST", "/auth/devicename") => {
            let (reply, issued) = aliyun::https_device_auth(devices, &body);
            if let Some((id, token)) = issued {
                broker.issue(id, token);
            }
            Response::new(200, json, reply)
        }
        ("GET" | "HEAD", path) => {
            let file = files.lock().ok().and_then(|f| f.get(path).cloned());
            let range = req.header("Range").map(str::to_string);
            if file.is_some()
                && let Ok(mut l) = fetches.log.lock()
            {
                l.push((path.to_string(), range.clone()));
            }
            let range = range.filter(|_| !fetches.ignore_range.load(Ordering::Relaxed));
            match file {
                Some(data) => ranged(&data, range.as_deref()),
                None => Response::new(404, "text/plain", "not found"),
            }
        }
        _ => Response::new(404, "text/plain", "not found"),
    }
}

/// A file served whole (200) or as the asked `bytes=a-[b]` range (206), 416 outside it.
fn ranged(data: &[u8], range: Option<&str>) -> Response {
    let octets = "application/octet-stream";
    let Some(spec) = range.and_then(|r| r.trim().strip_prefix("bytes=")) else {
        return Response::new(200, octets, data.to_vec());
    };
    let (a, b) = spec.split_once('-').unwrap_or((spec, ""));
    let len = data.len();
    let start: Option<usize> = a.trim().parse().ok();
    let end: Option<usize> = if b.trim().is_empty() {
        len.checked_sub(1)
    } else {
        b.trim().parse().ok()
    };
    match (start, end) {
        (Some(s), Some(e)) if s < len && s <= e => {
            let e = e.min(len - 1);
            let mut r = Response::new(206, octets, data[s..=e].to_vec());
            r.headers
                .push(("Content-Range".into(), format!("bytes {s}-{e}/{len}")));
            r
        }
        _ => {
            let mut r = Response::new(416, octets, Vec::new());
            r.headers
                .push(("Content-Range".into(), format!("bytes */{len}")));
            r
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_map() {
        let a: SocketAddr = "127.0.0.1:1".parse().unwrap();
        let m = HostMap::default().with("*.aliyuncs.com", a);
        assert_eq!(
            m.resolve("x.iot-as-mqtt.cn-shanghai.aliyuncs.com", 1883),
            Some(a)
        );
        assert_eq!(
            m.resolve("127.0.0.1", 5),
            Some("127.0.0.1:5".parse().unwrap())
        );
        assert_eq!(m.resolve("example.com", 5), None);
    }

    #[test]
    fn ranges() {
        let d = b"0123456789";
        assert_eq!(ranged(d, None).status, 200);
        let r = ranged(d, Some("bytes=2-4"));
        assert_eq!((r.status, r.body.as_slice()), (206, &b"234"[..]));
        assert_eq!(r.header("Content-Range"), Some("bytes 2-4/10"));
        assert_eq!(ranged(d, Some("bytes=8-")).body, b"89");
        assert_eq!(ranged(d, Some("bytes=10-")).status, 416);
    }
}
