//! HTTP response headers as data, never as the module's own lines: Quectel `AT+QHTTPREAD`
//! after `AT+QHTTPCFG="responseheader",1` (header lines up to an empty line, then exactly
//! `<content_length>` body bytes, the length counting the body only: Quectel HTTP(S) AT
//! commands manual, `AT+QHTTPREAD`; Quectel's own reader in its SDK expects the same), and
//! Luat `AT+HTTPHEAD` (`+HTTPHEAD: <len>`, then `<len>` bytes of headers, then `OK`: Luat
//! HTTP guide). The headers below name URCs and final codes on purpose: read as lines they
//! would end the command or take a session down.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use atmodem::client::{Client, Seen, State};
use atmodem::dialects::luat::{HttpHead, Luat};
use atmodem::dialects::quectel::{QhttpRead, Quectel, QuectelUrc};
use atmodem::sim::{InstantDelay, SimModem};
use embassy_futures::block_on;

/// The header block as the server sent it, ended by its empty line.
const HEADERS: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nOK\r\n+QMTSTAT: 0,1\r\nRDY\r\n\r\n";

fn quectel_script(headers: &[u8]) -> String {
    let quoted: String = headers
        .iter()
        .map(|&b| match b {
            b'\r' => "\\r".to_string(),
            b'\n' => "\\n".to_string(),
            b'"' => "\\\"".to_string(),
            b => (b as char).to_string(),
        })
        .collect();
    format!(
        ">> AT+QHTTPREAD=80\n<<\n<< CONNECT\n<<| \"{quoted}hello\"\n<<\n<< OK\n<<\n<< +QHTTPREAD: 0\n"
    )
}

fn read_with_headers(script: &str, chunks: &[usize]) -> (Vec<u8>, usize, bool) {
    let sim = SimModem::new(script).unwrap().with_chunks(chunks);
    let mut state: State<256, 256, 128> = State::new();
    let mut c: Client<SimModem, InstantDelay, Quectel> = Client::new(sim, InstantDelay, &mut state);
    c.links_mut().mark_mqtt_up(0);
    let read = QhttpRead {
        wait_secs: Some(80),
        len: 5,
        header: true,
    };
    let mut body = [0u8; 128];
    let ((), n) = block_on(c.send_into(&read, &mut body)).unwrap();
    // `+QHTTPREAD: 0` comes after the OK, and nothing else was left behind.
    let err = block_on(c.wait_for(1000, |s| match s {
        Seen::Urc(QuectelUrc::QhttpRead { err }) => Some(*err),
        _ => None,
    }))
    .unwrap();
    assert_eq!(err, 0);
    assert!(c.transport().is_done());
    (
        body[..n].to_vec(),
        c.queued_urcs(),
        c.links().mqtt_is_down(0),
    )
}

#[test]
fn quectel_response_header_block_then_body_go_to_the_sink() {
    let mut want = HEADERS.to_vec();
    want.extend_from_slice(b"hello");
    for chunks in [&[64usize][..], &[1], &[3], &[7, 2], &[5, 11]] {
        let (got, queued, down) = read_with_headers(&quectel_script(HEADERS), chunks);
        assert_eq!(got, want, "chunks {chunks:?}");
        assert_eq!(queued, 0, "a header line was queued, chunks {chunks:?}");
        assert!(!down, "a header named +QMTSTAT took the session down");
    }
}

#[test]
fn quectel_header_block_with_lone_lf_line_ends() {
    let headers = b"HTTP/1.1 200 OK\nServer: x\nOK\n\n";
    let mut want = headers.to_vec();
    want.extend_from_slice(b"hello");
    for chunks in [&[64usize][..], &[1], &[2]] {
        let (got, queued, _) = read_with_headers(&quectel_script(headers), chunks);
        assert_eq!(got, want, "chunks {chunks:?}");
        assert_eq!(queued, 0);
    }
}

#[test]
fn luat_httphead_bytes_are_data() {
    // (15 + 2) + (2 + 2) + (6 + 2) + (17 + 2) + 2 = 50 header bytes.
    let headers = b"HTTP/1.1 200 OK\r\nOK\r\nCLOSED\r\nContent-Length: 5\r\n\r\n";
    assert_eq!(headers.len(), 50);
    let quoted: String = headers
        .iter()
        .map(|&b| match b {
            b'\r' => "\\r".to_string(),
            b'\n' => "\\n".to_string(),
            b => (b as char).to_string(),
        })
        .collect();
    let script = format!(">> AT+HTTPHEAD\n<<\n<< +HTTPHEAD: 50\n<<| \"{quoted}\"\n<<\n<< OK\n");
    for chunks in [&[64usize][..], &[1], &[3], &[9, 4]] {
        let sim = SimModem::new(&script).unwrap().with_chunks(chunks);
        let mut state: State<256, 256, 128> = State::new();
        let mut c: Client<SimModem, InstantDelay, Luat> =
            Client::new(sim, InstantDelay, &mut state);
        c.links_mut().mark_mqtt_up(0);
        let mut buf = [0u8; 128];
        let (len, n) = block_on(c.send_into(&HttpHead, &mut buf)).unwrap();
        assert_eq!((len, n), (50, 50), "chunks {chunks:?}");
        assert_eq!(&buf[..n], headers);
        assert_eq!(c.queued_urcs(), 0, "a header line was queued as a URC");
        assert!(
            !c.links().mqtt_is_down(0),
            "a header named CLOSED took MQTT down"
        );
        assert!(c.transport().is_done());
    }
}

mod chunking {
    use atmodem::codec::{Decoder, Frame};
    use atmodem::dialects::quectel::Quectel;
    use proptest::prelude::*;

    /// Header lines of printable bytes (no CR/LF, never empty), each ended by CRLF or LF.
    fn header_block() -> impl Strategy<Value = Vec<u8>> {
        (
            prop::collection::vec(
                (prop::collection::vec(0x20u8..0x7f, 1..40), any::<bool>()),
                0..6,
            ),
            any::<bool>(),
        )
            .prop_map(|(lines, crlf_end)| {
                let mut out = Vec::new();
                for (text, crlf) in lines {
                    out.extend_from_slice(&text);
                    out.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
                }
                out.extend_from_slice(if crlf_end { b"\r\n" } else { b"\n" });
                out
            })
    }

    proptest! {
        /// Whatever the read sizes, the decoder hands out the header block and the body
        /// as data, in order, and the line after them as a line.
        #[test]
        fn header_block_and_body_survive_any_chunking(
            headers in header_block(),
            body in prop::collection::vec(any::<u8>(), 0..64),
            chunks in prop::collection::vec(1usize..20, 1..8),
        ) {
            let mut wire = headers.clone();
            wire.extend_from_slice(&body);
            wire.extend_from_slice(b"\r\nOK\r\n");
            let mut want = headers.clone();
            want.extend_from_slice(&body);

            let mut d: Decoder<Quectel, [u8; 96]> = Decoder::new();
            d.expect_header_block(body.len());
            let (mut data, mut lines) = (Vec::new(), Vec::new());
            let mut fed = 0;
            let mut k = 0;
            while fed < wire.len() {
                let n = chunks[k % chunks.len()].min(wire.len() - fed);
                k += 1;
                let took = d.feed(&wire[fed..fed + n]);
                fed += took;
                while let Some(f) = d.next_frame() {
                    match f.unwrap() {
                        Frame::Data { bytes, .. } => data.extend_from_slice(bytes),
                        Frame::Line(l) => lines.push(l.to_vec()),
                        other => panic!("{other:?}"),
                    }
                }
            }
            prop_assert_eq!(data, want);
            prop_assert_eq!(lines, vec![b"OK".to_vec()]);
        }
    }
}
