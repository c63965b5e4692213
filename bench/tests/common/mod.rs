//! Test helpers: the host side of a model, read and written like a terminal.
#![allow(dead_code)]

use std::time::Duration;

use atmodem_sim::{Family, ModemConfig, ModemHandle, Platform, spawn_model};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};

/// The host end of a model.
pub struct Host {
    pub io: DuplexStream,
    pub buf: Vec<u8>,
    pub handle: ModemHandle,
}

/// Shows bytes as a Rust byte string.
pub fn show(b: &[u8]) -> String {
    b.escape_ascii().to_string()
}

impl Host {
    pub fn new(cfg: ModemConfig) -> Host {
        let (io, handle) = spawn_model(cfg);
        Host {
            io,
            buf: Vec::new(),
            handle,
        }
    }

    /// A model of `family` on `platform`, echo turned off.
    pub async fn on(platform: &Platform, family: Family) -> Host {
        Self::with(platform, family, |_| {}).await
    }

    /// Same, with the configuration adjusted.
    pub async fn with(
        platform: &Platform,
        family: Family,
        f: impl FnOnce(&mut ModemConfig),
    ) -> Host {
        let mut cfg = ModemConfig::new(family, platform.host_map());
        f(&mut cfg);
        let mut h = Host::new(cfg);
        h.send(b"ATE0\r").await;
        h.expect(b"ATE0\r\r\nOK\r\n").await;
        h
    }

    pub async fn send(&mut self, b: &[u8]) {
        self.io.write_all(b).await.unwrap();
    }

    async fn fill(&mut self, deadline: tokio::time::Instant) -> bool {
        let mut chunk = [0u8; 4096];
        match tokio::time::timeout_at(deadline, self.io.read(&mut chunk)).await {
            Ok(Ok(n)) if n > 0 => {
                self.buf.extend_from_slice(&chunk[..n]);
                true
            }
            _ => false,
        }
    }

    /// Reads exactly `want.len()` bytes (5 s at most) and compares them.
    pub async fn expect(&mut self, want: &[u8]) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while self.buf.len() < want.len() && self.fill(deadline).await {}
        let n = want.len().min(self.buf.len());
        let got: Vec<u8> = self.buf.drain(..n).collect();
        assert_eq!(show(&got), show(want), "model output differs");
    }

    /// Reads until `pat` has been seen (5 s at most); returns everything up to its end.
    pub async fn until(&mut self, pat: &[u8]) -> Vec<u8> {
        self.until_within(pat, Duration::from_secs(5)).await
    }

    pub async fn until_within(&mut self, pat: &[u8], within: Duration) -> Vec<u8> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if let Some(i) = self.buf.windows(pat.len()).position(|w| w == pat) {
                return self.buf.drain(..i + pat.len()).collect();
            }
            assert!(
                self.fill(deadline).await,
                "no {:?} in {:?}",
                show(pat),
                show(&self.buf)
            );
        }
    }

    /// Sends a command line and reads its answer up to `OK`/`ERROR`/`+CME ERROR: ...`.
    pub async fn cmd(&mut self, line: &str) -> String {
        self.send(format!("{line}\r").as_bytes()).await;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        loop {
            let text = String::from_utf8_lossy(&self.buf).into_owned();
            for end in ["\r\nOK\r\n", "\r\nERROR\r\n"] {
                if let Some(i) = text.find(end) {
                    let out = text[..i + end.len()].to_string();
                    self.buf.drain(..out.len());
                    return out;
                }
            }
            if let Some(i) = text.find("+CME ERROR:")
                && let Some(j) = text[i..].find("\r\n")
            {
                let out = text[..i + j + 2].to_string();
                self.buf.drain(..out.len());
                return out;
            }
            assert!(
                self.fill(deadline).await,
                "{line}: no final result in {:?}",
                text
            );
        }
    }

    /// Whatever arrives within `d`.
    pub async fn drain_for(&mut self, d: Duration) -> Vec<u8> {
        let deadline = tokio::time::Instant::now() + d;
        while self.fill(deadline).await {}
        std::mem::take(&mut self.buf)
    }
}
