//! The ranged GET of the `Http` capability on both dialects: the commands' exact text and
//! the exchanges, from the lifecycle-tls-simcom research §5 "Ranged HTTP downloads for OTA"
//! (Quectel `AT+QHTTPGETEX=80,0,20480` → `+QHTTPGET: 0,206,20480`, the BC660 spelling
//! `+QHTTPGETEX:`; the Air780EP HTTP guide's `AT+HTTPPARA="BREAK",0`,
//! `AT+HTTPPARA="BREAKEND",3071`, `AT+HTTPACTION=0` → `+HTTPACTION: 0,206,3072`,
//! `+HTTPREAD: 3072`), and the refusal of anything but `206` with the asked length.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use atmodem::client::{Client, Error, Http, HttpTiming, State};
use atmodem::codec::{Dialect, EncodeError, LinkEvent};
use atmodem::dialects::luat::{HttpPara, Luat};
use atmodem::dialects::quectel::{HttpResult, QhttpGetEx, Quectel, QuectelUrc};
use atmodem::dialects::{ActionError, Command};
use atmodem::sim::{InstantDelay, SimModem};
use embassy_futures::block_on;
use proptest::prelude::*;

type C<'s, D> = Client<'s, SimModem, InstantDelay, D>;

const CHUNKINGS: &[&[usize]] = &[&[usize::MAX], &[1], &[3, 7], &[2, 64, 5]];

fn each_chunking<D: Dialect>(script: &str, flow: impl Fn(&mut C<D>)) {
    for chunks in CHUNKINGS {
        let sim = SimModem::new(script).unwrap().with_chunks(chunks);
        let mut state: State<512, 512, 512> = State::new();
        let mut c: C<D> = Client::new(sim, InstantDelay, &mut state);
        flow(&mut c);
        assert!(
            c.transport().is_done(),
            "chunks {chunks:?}: script left:\n{}",
            c.transport().remaining()
        );
    }
}

fn enc(cmd: &impl Command) -> String {
    let mut buf = [0u8; 128];
    String::from_utf8(cmd.encode(&mut buf).unwrap().to_vec()).unwrap()
}

const TIMING: HttpTiming = HttpTiming {
    url_input_secs: 80,
    body_input_secs: 80,
    response_secs: 80,
    read_secs: 80,
};

const URL: &str = "https://ota.example/fw.bin";

// ---- The commands --------------------------------------------------------------------------

#[test]
fn commands_are_the_documented_text() {
    // Quectel EC200: "AT+QHTTPGETEX=80,0,20480".
    let get = QhttpGetEx {
        response_secs: 80,
        start: 0,
        len: 20480,
    };
    assert_eq!(enc(&get), "AT+QHTTPGETEX=80,0,20480\r");
    // Luat: "AT+HTTPPARA=\"BREAK\",0", "AT+HTTPPARA=\"BREAKEND\",3071", then BREAK 3072,
    // BREAKEND 6143 for the next chunk.
    assert_eq!(enc(&HttpPara::break_start(0)), "AT+HTTPPARA=\"BREAK\",0\r");
    assert_eq!(
        enc(&HttpPara::break_end(3071)),
        "AT+HTTPPARA=\"BREAKEND\",3071\r"
    );
    assert_eq!(
        enc(&HttpPara::break_start(3072)),
        "AT+HTTPPARA=\"BREAK\",3072\r"
    );
    assert_eq!(
        enc(&HttpPara::break_end(6143)),
        "AT+HTTPPARA=\"BREAKEND\",6143\r"
    );
}

#[test]
fn both_spellings_of_the_ranged_result_are_read() {
    let want = QuectelUrc::QhttpGet(HttpResult {
        err: 0,
        status: Some(206),
        content_length: Some(20480),
    });
    for (tok, line) in [
        (&b"+QHTTPGET"[..], &b"+QHTTPGET: 0,206,20480"[..]),
        (b"+QHTTPGETEX", b"+QHTTPGETEX: 0,206,20480"),
    ] {
        assert_eq!(QuectelUrc::parse(tok, line), Some(want));
    }
    // The driver's "+QHTTPGET: 0" (no status): a failure code only.
    assert_eq!(
        QuectelUrc::parse(b"+QHTTPGETEX", b"+QHTTPGETEX: 702"),
        Some(QuectelUrc::QhttpGet(HttpResult {
            err: 702,
            status: None,
            content_length: None
        }))
    );
}

proptest! {
    #[test]
    fn ranged_result_parser_never_panics(tail in proptest::collection::vec(any::<u8>(), 0..64)) {
        let mut line = b"+QHTTPGETEX: ".to_vec();
        line.extend_from_slice(&tail);
        let _ = QuectelUrc::parse(b"+QHTTPGETEX", &line);
        let _ = QuectelUrc::parse(b"+QHTTPGETEX", &tail);
    }
}

// ---- Quectel -----------------------------------------------------------------------------

const Q_URL: &str = r#">> AT+QHTTPURL=26,80
<<
<< CONNECT
>>| "https://ota.example/fw.bin"
<<
<< OK
"#;

#[test]
fn quectel_ranged_get() {
    let script = format!(
        r#"{Q_URL}>> AT+QHTTPGETEX=80,4096,10
<<
<< OK
<<
<< +QHTTPGET: 0,206,10
>> AT+QHTTPREAD=80
<<
<< CONNECT
<<| "ab\r\nOK\r\ncd"
<<
<< OK
<<
<< +QHTTPREAD: 0
"#
    );
    each_chunking::<Quectel>(&script, |c| {
        let mut body = [0u8; 16];
        let r = block_on(c.http_get_range(URL, 4096, 10, TIMING, &mut body)).unwrap();
        assert_eq!((r.status, r.len), (206, 10));
        assert_eq!(&body[..10], b"ab\r\nOK\r\ncd");
    });
}

#[test]
fn quectel_ranged_get_reads_the_bc660_spelling() {
    let script = format!(
        r#"{Q_URL}>> AT+QHTTPGETEX=80,0,3
<<
<< OK
<<
<< +QHTTPGETEX: 0,206,3
>> AT+QHTTPREAD=80
<<
<< CONNECT
<<| "xyz"
<<
<< OK
<<
<< +QHTTPREAD: 0
"#
    );
    each_chunking::<Quectel>(&script, |c| {
        let mut body = [0u8; 3];
        let r = block_on(c.http_get_range(URL, 0, 3, TIMING, &mut body)).unwrap();
        assert_eq!((r.status, r.len, &body), (206, 3, b"xyz"));
    });
}

#[test]
fn quectel_whole_file_or_wrong_length_is_refused_unread() {
    // A server that ignores the range: 200 and the whole file; nothing is read.
    for (result, status, len) in [
        ("+QHTTPGET: 0,200,5000", 200, 5000),
        ("+QHTTPGET: 0,206,9", 206, 9),
        ("+QHTTPGET: 0,206", 206, 0),
    ] {
        let script = format!(
            r#"{Q_URL}>> AT+QHTTPGETEX=80,0,10
<<
<< OK
<<
<< {result}
"#
        );
        each_chunking::<Quectel>(&script, |c| {
            let mut body = [0u8; 16];
            let r = block_on(c.http_get_range(URL, 0, 10, TIMING, &mut body));
            assert_eq!(r, Err(Error::Action(ActionError::Range { status, len })));
        });
    }
}

#[test]
fn quectel_http_failure_is_typed() {
    let script = format!(
        r#"{Q_URL}>> AT+QHTTPGETEX=80,0,10
<<
<< OK
<<
<< +QHTTPGET: 716
"#
    );
    each_chunking::<Quectel>(&script, |c| {
        let mut body = [0u8; 16];
        let r = block_on(c.http_get_range(URL, 0, 10, TIMING, &mut body));
        assert_eq!(r, Err(Error::Action(ActionError::Http(716))));
    });
}

#[test]
fn bad_lengths_are_refused_before_anything_is_sent() {
    each_chunking::<Quectel>("", |c| {
        let mut body = [0u8; 8];
        let r = block_on(c.http_get_range(URL, 0, 0, TIMING, &mut body));
        assert_eq!(r, Err(Error::Encode(EncodeError::InvalidArgument("len"))));
        let r = block_on(c.http_get_range(URL, 0, 9, TIMING, &mut body));
        assert_eq!(r, Err(Error::ResponseTooLong));
        let r = block_on(c.http_get_range(URL, u32::MAX, 2, TIMING, &mut body));
        assert_eq!(r, Err(Error::Encode(EncodeError::InvalidArgument("len"))));
    });
    each_chunking::<Luat>("", |c| {
        let mut body = [0u8; 8];
        let r = block_on(c.http_get_range(URL, 0, 9, TIMING, &mut body));
        assert_eq!(r, Err(Error::ResponseTooLong));
        let r = block_on(c.http_get_range("https://a b", 0, 1, TIMING, &mut body));
        assert!(matches!(r, Err(Error::Encode(_))), "{r:?}");
    });
}

// ---- Luat --------------------------------------------------------------------------------

const L_START: &str = r#">> AT+HTTPINIT
<<
<< OK
>> AT+HTTPPARA="URL","https://ota.example/fw.bin"
<<
<< OK
>> AT+HTTPPARA="BREAK",3072
<<
<< OK
>> AT+HTTPPARA="BREAKEND",3081
<<
<< OK
>> AT+HTTPACTION=0
<<
<< OK
"#;

const L_TERM: &str = r#">> AT+HTTPTERM
<<
<< OK
"#;

#[test]
fn luat_ranged_get() {
    let script = format!(
        r#"{L_START}<<
<< +HTTPACTION: 0,206,10
>> AT+HTTPREAD
<<
<< +HTTPREAD: 10
<<| "ab\r\nOK\r\ncd"
<<
<< OK
{L_TERM}"#
    );
    each_chunking::<Luat>(&script, |c| {
        let mut body = [0u8; 16];
        let r = block_on(c.http_get_range(URL, 3072, 10, TIMING, &mut body)).unwrap();
        assert_eq!((r.status, r.len), (206, 10));
        assert_eq!(&body[..10], b"ab\r\nOK\r\ncd");
    });
}

#[test]
fn luat_whole_file_is_refused_unread_and_the_session_ended() {
    let script = format!(
        r#"{L_START}<<
<< +HTTPACTION: 0,200,119345
{L_TERM}"#
    );
    each_chunking::<Luat>(&script, |c| {
        let mut body = [0u8; 16];
        let r = block_on(c.http_get_range(URL, 3072, 10, TIMING, &mut body));
        assert_eq!(
            r,
            Err(Error::Action(ActionError::Range {
                status: 200,
                len: 119_345
            }))
        );
    });
}

#[test]
fn luat_short_read_is_refused() {
    // `+HTTPREAD` is authoritative: 8 bytes where 10 were announced and asked.
    let script = format!(
        r#"{L_START}<<
<< +HTTPACTION: 0,206,10
>> AT+HTTPREAD
<<
<< +HTTPREAD: 8
<<| "abcdefgh"
<<
<< OK
{L_TERM}"#
    );
    each_chunking::<Luat>(&script, |c| {
        let mut body = [0u8; 16];
        let r = block_on(c.http_get_range(URL, 3072, 10, TIMING, &mut body));
        assert_eq!(
            r,
            Err(Error::Action(ActionError::Range {
                status: 206,
                len: 8
            }))
        );
    });
}

#[test]
fn luat_bearer_known_down_is_session_down_at_once() {
    each_chunking::<Luat>("", |c| {
        c.links_mut().apply(LinkEvent::BearerDown(1));
        let mut body = [0u8; 16];
        let r = block_on(c.http_get_range(URL, 0, 10, TIMING, &mut body));
        assert_eq!(r, Err(Error::SessionDown));
    });
}
