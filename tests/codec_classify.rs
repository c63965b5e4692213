//! Classification: final codes, prompts, responses versus URCs, and the 3GPP URC shapes.
//! Expected values are written by hand from V.250 and 3GPP TS 27.007.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use atmodem::codec::{
    ErrorCode, Expect, FinalCode, Generic, Item, PdpEvent, Prompt, Reader, RegStatus, Registration,
    SimState, Urc, token,
};

/// Owned summary of an item, for comparisons.
#[derive(Debug, PartialEq, Eq)]
enum K {
    Echo(String),
    Prompt(String),
    Response(String),
    Final(String),
    Unsolicited(String),
    Data(usize),
    Urc(String),
    Unknown(String, String),
    Err,
}

fn s(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn code(c: &FinalCode<'_>) -> String {
    match c {
        FinalCode::Cme(e) => format!("+CME ERROR: {e}"),
        FinalCode::Cms(e) => format!("+CMS ERROR: {e}"),
        other => other.name().to_string(),
    }
}

fn collect(expect: Option<Expect>, input: &[u8], chunk: usize) -> Vec<K> {
    let mut r: Reader<Generic, [u8; 128]> = Reader::new();
    if let Some(e) = expect {
        r.begin(e);
    }
    let mut out = Vec::new();
    for part in input.chunks(chunk) {
        let mut part = part;
        while !part.is_empty() {
            let n = r.feed(part);
            part = &part[n..];
            while let Some(item) = r.next_item() {
                out.push(match item {
                    Ok(Item::Echo(l)) => K::Echo(s(l)),
                    Ok(Item::Prompt(p)) => K::Prompt(format!("{p:?}")),
                    Ok(Item::Response { line, .. }) => K::Response(s(line)),
                    Ok(Item::Final(c)) => K::Final(code(&c)),
                    Ok(Item::Unsolicited(c)) => K::Unsolicited(code(&c)),
                    Ok(Item::Data { bytes, .. }) => K::Data(bytes.len()),
                    Ok(Item::Urc(u)) => K::Urc(format!("{u:?}")),
                    Ok(Item::Unknown { token, line }) => K::Unknown(s(token), s(line)),
                    Err(_) => K::Err,
                });
            }
        }
    }
    out
}

fn both(expect: Option<Expect>, input: &[u8]) -> Vec<K> {
    let a = collect(expect, input, input.len().max(1));
    assert_eq!(collect(expect, input, 1), a, "1-byte reads differ");
    a
}

const CSQ: Expect = Expect::tokens(&[b"+CSQ"]);
const CEREG: Expect = Expect::tokens(&[b"+CEREG"]);

#[test]
fn final_codes_whole_line_only() {
    let table: &[(&[u8], Option<FinalCode<'_>>)] = &[
        (b"OK", Some(FinalCode::Ok)),
        (b"ERROR", Some(FinalCode::Error)),
        (b"+CME ERROR: 10", Some(FinalCode::Cme(ErrorCode::Code(10)))),
        (
            b"+CME ERROR: 767",
            Some(FinalCode::Cme(ErrorCode::Code(767))),
        ),
        (
            b"+CME ERROR: SIM not inserted",
            Some(FinalCode::Cme(ErrorCode::Text("SIM not inserted"))),
        ),
        (
            b"+CMS ERROR: 500",
            Some(FinalCode::Cms(ErrorCode::Code(500))),
        ),
        (b"NO CARRIER", Some(FinalCode::NoCarrier)),
        (b"BUSY", Some(FinalCode::Busy)),
        (b"NO ANSWER", Some(FinalCode::NoAnswer)),
        (b"NO DIALTONE", Some(FinalCode::NoDialtone)),
        (b"ERROR: 3", None),
        (b"OKPUBACK", None),
        (b"OK ", None),
        (b"CONNECT OK", None),
        (b"+CME ERROR:", None),
        (
            b"+CME ERROR: 99999999",
            Some(FinalCode::Cme(ErrorCode::Text("99999999"))),
        ),
        (b"", None),
    ];
    for (line, want) in table {
        assert_eq!(FinalCode::parse(line), *want, "{}", s(line));
    }
}

#[test]
fn connect_and_download_prompts() {
    assert_eq!(Prompt::parse_line(b"CONNECT"), Some(Prompt::Connect(None)));
    assert_eq!(
        Prompt::parse_line(b"CONNECT 115200"),
        Some(Prompt::Connect(Some("115200")))
    );
    assert_eq!(Prompt::parse_line(b"DOWNLOAD"), Some(Prompt::Download));
    assert_eq!(Prompt::parse_line(b"CONNECT OK"), None);
    assert_eq!(Prompt::parse_line(b"CONNECT FAIL"), None);
    assert_eq!(Prompt::parse_line(b"CONNACK OK"), None);
}

#[test]
fn tokens() {
    let table: &[(&[u8], &[u8])] = &[
        (b"+CSQ: 20,99", b"+CSQ"),
        (b"+SAPBR 1: DEACT", b"+SAPBR"),
        (b"+MQTTSTATU :0", b"+MQTTSTATU"),
        (b"+HTTPACTION:0,200,1348", b"+HTTPACTION"),
        (b"+ HTTPSSL: 1", b"+ HTTPSSL"),
        (b"RDY", b"RDY"),
        (b"POWERED DOWN", b"POWERED DOWN"),
        (b"+PDP DEACT", b"+PDP DEACT"),
        (b"CONNECT OK", b"CONNECT OK"),
        (b"+QIND: SMS DONE", b"+QIND"),
        (b"^MODE: 17,17", b"^MODE"),
        (b"{\"code\":200}", b"{\"code\":200}"),
        (b"+QMTPUBEX: 0,0,0", b"+QMTPUBEX"),
    ];
    for (line, want) in table {
        assert_eq!(token(line), *want, "{}", s(line));
    }
}

#[test]
fn registration_urc_and_read_shapes() {
    assert_eq!(
        Registration::parse_urc(b"+CEREG", b"+CEREG: 1"),
        Some(Registration {
            n: None,
            stat: RegStatus::Home,
            area: None,
            cell: None,
            act: None
        })
    );
    assert_eq!(
        Registration::parse_urc(b"+CEREG", b"+CEREG: 5,\"550B\",\"5C4EF01\",7"),
        Some(Registration {
            n: None,
            stat: RegStatus::Roaming,
            area: Some("550B"),
            cell: Some("5C4EF01"),
            act: Some(7)
        })
    );
    assert_eq!(
        Registration::parse_read(b"+CEREG", b"+CEREG: 0,1"),
        Some(Registration {
            n: Some(0),
            stat: RegStatus::Home,
            area: None,
            cell: None,
            act: None
        })
    );
    assert_eq!(
        Registration::parse_read(b"+CREG", b"+CREG: 2,1,\"1A2B\",\"00C3D4\",0"),
        Some(Registration {
            n: Some(2),
            stat: RegStatus::Home,
            area: Some("1A2B"),
            cell: Some("00C3D4"),
            act: Some(0)
        })
    );
    assert_eq!(Registration::parse_read(b"+CGREG", b"+CGREG: x,1"), None);
    assert!(!RegStatus::from(2).is_registered());
    assert!(RegStatus::from(5).is_registered());
}

#[test]
fn sim_and_pdp_events() {
    assert_eq!(SimState::parse(b"+CPIN: READY"), Some(SimState::Ready));
    assert_eq!(SimState::parse(b"+CPIN: SIM PIN"), Some(SimState::SimPin));
    assert_eq!(
        SimState::parse(b"+CPIN: NOT INSERTED"),
        Some(SimState::NotInserted)
    );
    assert_eq!(
        SimState::parse(b"+CPIN: SIM REMOVED"),
        Some(SimState::NotInserted)
    );
    assert_eq!(
        PdpEvent::parse(b"+CGEV: NW PDN DEACT 1"),
        Some(PdpEvent::NwPdnDeact(1))
    );
    assert_eq!(
        PdpEvent::parse(b"+CGEV: ME PDN ACT 1,0"),
        Some(PdpEvent::MePdnAct(1))
    );
    assert_eq!(
        PdpEvent::parse(b"+CGEV: ME PDN ACT 1"),
        Some(PdpEvent::MePdnAct(1))
    );
    assert_eq!(
        PdpEvent::parse(b"+CGEV: ME DETACH"),
        Some(PdpEvent::MeDetach)
    );
    assert_eq!(
        PdpEvent::parse(b"+CGEV: NW MODIFY 1,2"),
        Some(PdpEvent::Other("NW MODIFY 1,2"))
    );
}

#[test]
fn urc_dispatch() {
    assert_eq!(Urc::parse(b"RDY", b"RDY"), Some(Urc::Ready));
    assert_eq!(
        Urc::parse(b"POWERED DOWN", b"POWERED DOWN"),
        Some(Urc::PoweredDown)
    );
    // The shutdown notices of the hardware designs and AT manuals (Quectel UC20/EC2x and
    // GSM modules, Luat and SIMCom `AT+CPOWD=1`, SIMCom's voltage detection).
    for notice in [
        &b"NORMAL POWER DOWN"[..],
        b"UNDER-VOLTAGE POWER DOWN",
        b"OVER-VOLTAGE POWER DOWN",
        b"UNDER_VOLTAGE POWER DOWN",
        b"OVER_VOLTAGE POWER DOWN",
    ] {
        assert_eq!(
            Urc::parse(atmodem::codec::token(notice), notice),
            Some(Urc::PoweredDown),
            "{}",
            String::from_utf8_lossy(notice)
        );
    }
    assert_eq!(
        Urc::parse(b"UNDER-VOLTAGE WARNNING", b"UNDER-VOLTAGE WARNNING"),
        None
    );
    assert_eq!(Urc::parse(b"NORMAL POWER", b"NORMAL POWER"), None);
    assert_eq!(
        Urc::parse(b"+CEREG", b"+CEREG: banana"),
        Some(Urc::Malformed {
            token: b"+CEREG",
            line: atmodem::codec::RawLine(b"+CEREG: banana")
        })
    );
    assert_eq!(Urc::parse(b"+CEREGX", b"+CEREGX: 1"), None);
}

#[test]
fn simple_exchange_with_echo() {
    assert_eq!(
        both(Some(CSQ), b"AT+CSQ\r\r\n+CSQ: 20,99\r\n\r\nOK\r\n"),
        vec![
            K::Echo("AT+CSQ".into()),
            K::Response("+CSQ: 20,99".into()),
            K::Final("OK".into())
        ]
    );
}

#[test]
fn error_then_urc_then_ok_in_one_read() {
    assert_eq!(
        both(
            Some(Expect::NOTHING),
            b"\r\nERROR\r\n\r\n+CEREG: 1\r\n\r\nOK\r\n"
        ),
        vec![
            K::Final("ERROR".into()),
            K::Urc(
                "Cereg(Registration { n: None, stat: Home, area: None, cell: None, act: None })"
                    .into()
            ),
            K::Unsolicited("OK".into()),
        ]
    );
}

#[test]
fn two_final_codes_in_one_read_are_both_reported() {
    assert_eq!(
        both(Some(Expect::NOTHING), b"\r\nOK\r\n\r\nOK\r\n"),
        vec![K::Final("OK".into()), K::Unsolicited("OK".into())]
    );
}

#[test]
fn unknown_urc_between_info_line_and_ok() {
    assert_eq!(
        both(
            Some(CSQ),
            b"\r\n+CSQ: 31,99\r\n\r\n+QFOO: 1,\"x\"\r\n\r\nOK\r\n"
        ),
        vec![
            K::Response("+CSQ: 31,99".into()),
            K::Unknown("+QFOO".into(), "+QFOO: 1,\"x\"".into()),
            K::Final("OK".into())
        ]
    );
}

#[test]
fn response_whose_token_is_also_a_urc_token() {
    let out = both(Some(CEREG), b"\r\n+CEREG: 2,1\r\n\r\nOK\r\n");
    assert_eq!(
        out,
        vec![K::Response("+CEREG: 2,1".into()), K::Final("OK".into())]
    );
    // The same line with no command in flight is a URC (read shape tolerated).
    let out = both(None, b"\r\n+CEREG: 2,1\r\n");
    assert_eq!(
        out,
        vec![K::Urc(
            "Cereg(Registration { n: Some(2), stat: Home, area: None, cell: None, act: None })"
                .into()
        )]
    );
}

#[test]
fn urc_between_echo_and_response() {
    assert_eq!(
        both(
            Some(CSQ),
            b"AT+CSQ\r\r\n+CPIN: READY\r\n\r\n+CSQ: 20,99\r\n\r\nOK\r\n"
        ),
        vec![
            K::Echo("AT+CSQ".into()),
            K::Urc("Cpin(Ready)".into()),
            K::Response("+CSQ: 20,99".into()),
            K::Final("OK".into())
        ]
    );
}

#[test]
fn bare_response_lines() {
    assert_eq!(
        both(
            Some(Expect::BARE),
            b"\r\nAirM2M_780E_V1169_LTE_AT\r\nRDY\r\n\r\nOK\r\n"
        ),
        vec![
            K::Response("AirM2M_780E_V1169_LTE_AT".into()),
            K::Urc("Ready".into()),
            K::Final("OK".into())
        ]
    );
}

#[test]
fn cme_error_ends_the_command() {
    assert_eq!(
        both(Some(Expect::NOTHING), b"\r\n+CME ERROR: 10\r\n"),
        vec![K::Final("+CME ERROR: 10".into())]
    );
}

#[test]
fn bare_word_urcs_are_not_final_codes() {
    assert_eq!(
        both(
            None,
            b"\r\nCONNECT OK\r\n\r\nCONNACK OK\r\n\r\nERROR: 3\r\n"
        ),
        vec![
            K::Unknown("CONNECT OK".into(), "CONNECT OK".into()),
            K::Unknown("CONNACK OK".into(), "CONNACK OK".into()),
            K::Unknown("ERROR".into(), "ERROR: 3".into()),
        ]
    );
}

#[test]
fn an_echo_ended_by_crlf_is_still_an_echo() {
    // Some firmware (or a terminal in between) ends the echo with CRLF, not a lone CR.
    let got = collect(
        Some(Expect::tokens(&[b"+CSQ"])),
        b"AT+CSQ\r\n\r\n+CSQ: 20,99\r\n\r\nOK\r\nat\r\n",
        64,
    );
    assert_eq!(
        got,
        vec![
            K::Echo("AT+CSQ".into()),
            K::Response("+CSQ: 20,99".into()),
            K::Final("OK".into()),
            K::Echo("at".into()),
        ]
    );
}
