//! Quectel SSL contexts and UFS files: encodings against the command lines of the manuals and
//! of logs from real modules (sources in the comments), responses decoded to values written
//! here by hand, the upload checksum against values computed outside the library, the
//! Aliyun root CAs checked structurally and by digest; no parser panics on arbitrary lines.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use atmodem::aliyun::ca;
use atmodem::codec::{EncodeError, Lines};
use atmodem::dialects::quectel::{
    FILE_EXISTS, Qfdel, Qflst, Qfupl, QsslCfg, QsslCfgQuery, QsslSetting, QsslSettingName,
    SecLevel, SslVersion, Uploaded, checksum, file_error_text,
};
use atmodem::dialects::{Command, ParseError};
use proptest::prelude::*;
use sha2::{Digest, Sha256};

fn enc(cmd: &impl Command) -> Vec<u8> {
    let mut buf = [0u8; 128];
    cmd.encode(&mut buf).unwrap().to_vec()
}

fn enc_err(cmd: &impl Command) -> EncodeError {
    let mut buf = [0u8; 256];
    cmd.encode(&mut buf).unwrap_err()
}

fn set(ctx: u8, setting: QsslSetting<'_>) -> QsslCfg<'_> {
    QsslCfg { ctx, setting }
}

#[test]
fn ssl_encodings() {
    // A module's log: `AT+QSSLCFG="sslversion",1,4`, `"ciphersuite",1,0XFFFF`, `"seclevel",1,0`,
    // `"negotiatetime",1,60`, each answered OK.
    assert_eq!(
        enc(&set(1, QsslSetting::SslVersion(SslVersion::All))),
        b"AT+QSSLCFG=\"sslversion\",1,4\r"
    );
    assert_eq!(
        enc(&set(1, QsslSetting::CipherSuite(0xFFFF))),
        b"AT+QSSLCFG=\"ciphersuite\",1,0XFFFF\r"
    );
    assert_eq!(
        enc(&set(1, QsslSetting::SecLevel(SecLevel::None))),
        b"AT+QSSLCFG=\"seclevel\",1,0\r"
    );
    assert_eq!(
        enc(&set(1, QsslSetting::NegotiateTime(60))),
        b"AT+QSSLCFG=\"negotiatetime\",1,60\r"
    );
    // The BG96 SSL manual's example: `AT+QSSLCFG="sslversion",2,4`.
    assert_eq!(
        enc(&set(2, QsslSetting::SslVersion(SslVersion::All))),
        b"AT+QSSLCFG=\"sslversion\",2,4\r"
    );
    // An EG915 driver: `AT+QSSLCFG="sni",1,1`.
    assert_eq!(
        enc(&set(1, QsslSetting::Sni(true))),
        b"AT+QSSLCFG=\"sni\",1,1\r"
    );
    // The test form lists `0X0035` and `0XC02F`: four upper-case digits after `0X`.
    assert_eq!(
        enc(&set(0, QsslSetting::CipherSuite(0x35))),
        b"AT+QSSLCFG=\"ciphersuite\",0,0X0035\r"
    );
    assert_eq!(
        enc(&set(5, QsslSetting::CipherSuite(0xC02F))),
        b"AT+QSSLCFG=\"ciphersuite\",5,0XC02F\r"
    );
    // Quectel's SDK: the CA as `"UFS:ca.pem"`, ignorelocaltime 1 with seclevel 2.
    assert_eq!(
        enc(&set(0, QsslSetting::CaCert("UFS:ca.pem"))),
        b"AT+QSSLCFG=\"cacert\",0,\"UFS:ca.pem\"\r"
    );
    assert_eq!(
        enc(&set(0, QsslSetting::ClientCert("UFS:user.pem"))),
        b"AT+QSSLCFG=\"clientcert\",0,\"UFS:user.pem\"\r"
    );
    assert_eq!(
        enc(&set(0, QsslSetting::ClientKey("UFS:user_key.pem"))),
        b"AT+QSSLCFG=\"clientkey\",0,\"UFS:user_key.pem\"\r"
    );
    assert_eq!(
        enc(&set(0, QsslSetting::SecLevel(SecLevel::ServerAndClient))),
        b"AT+QSSLCFG=\"seclevel\",0,2\r"
    );
    assert_eq!(
        enc(&set(0, QsslSetting::IgnoreLocalTime(true))),
        b"AT+QSSLCFG=\"ignorelocaltime\",0,1\r"
    );
    assert_eq!(
        enc(&set(3, QsslSetting::SslVersion(SslVersion::Tls1_2))),
        b"AT+QSSLCFG=\"sslversion\",3,3\r"
    );
    // The query form: the setting without its value.
    assert_eq!(
        enc(&QsslCfgQuery {
            ctx: 1,
            name: QsslSettingName::SecLevel
        }),
        b"AT+QSSLCFG=\"seclevel\",1\r"
    );
}

#[test]
fn ssl_refusals() {
    // <SSL_ctxID> is (0-5) in the test form.
    assert_eq!(
        enc_err(&set(6, QsslSetting::Sni(true))),
        EncodeError::InvalidArgument("ctx")
    );
    assert_eq!(
        enc_err(&QsslCfgQuery {
            ctx: 6,
            name: QsslSettingName::Sni
        }),
        EncodeError::InvalidArgument("ctx")
    );
    // A quote would end the argument, a CR the command.
    assert_eq!(
        enc_err(&set(0, QsslSetting::CaCert("UFS:a\"b.pem"))),
        EncodeError::InvalidArgument("cacert")
    );
    assert_eq!(
        enc_err(&set(0, QsslSetting::ClientKey("k.pem\r\nAT+QPOWD"))),
        EncodeError::InvalidArgument("clientkey")
    );
    assert_eq!(
        enc_err(&set(0, QsslSetting::ClientCert(""))),
        EncodeError::InvalidArgument("clientcert")
    );
    let long = "x".repeat(81);
    assert_eq!(
        enc_err(&set(0, QsslSetting::CaCert(&long))),
        EncodeError::TooLong {
            arg: "cacert",
            max: 80
        }
    );
    // "negotiatetime",(0-5),(10-300).
    assert_eq!(
        enc_err(&set(0, QsslSetting::NegotiateTime(9))),
        EncodeError::InvalidArgument("negotiatetime")
    );
    assert_eq!(
        enc_err(&set(0, QsslSetting::NegotiateTime(301))),
        EncodeError::InvalidArgument("negotiatetime")
    );
    assert!(
        set(0, QsslSetting::NegotiateTime(300))
            .encode(&mut [0u8; 64])
            .is_ok()
    );
}

fn query(
    ctx: u8,
    name: QsslSettingName,
    lines: &[&'static [u8]],
) -> Result<QsslSetting<'static>, ParseError> {
    let lines: &'static [&'static [u8]] = Box::leak(lines.to_vec().into_boxed_slice());
    QsslCfgQuery { ctx, name }.parse(Lines::from_slice(lines))
}

#[test]
fn ssl_queries() {
    use QsslSettingName as N;
    // Read back (same log as above).
    assert_eq!(
        query(1, N::SslVersion, &[b"+QSSLCFG: \"sslversion\",1,4"]),
        Ok(QsslSetting::SslVersion(SslVersion::All))
    );
    assert_eq!(
        query(1, N::CipherSuite, &[b"+QSSLCFG: \"ciphersuite\",1,0XFFFF"]),
        Ok(QsslSetting::CipherSuite(0xFFFF))
    );
    assert_eq!(
        query(1, N::SecLevel, &[b"+QSSLCFG: \"seclevel\",1,0"]),
        Ok(QsslSetting::SecLevel(SecLevel::None))
    );
    assert_eq!(
        query(1, N::NegotiateTime, &[b"+QSSLCFG: \"negotiatetime\",1,60"]),
        Ok(QsslSetting::NegotiateTime(60))
    );
    assert_eq!(
        query(2, N::CaCert, &[b"+QSSLCFG: \"cacert\",2,\"UFS:ca.pem\""]),
        Ok(QsslSetting::CaCert("UFS:ca.pem"))
    );
    // Never set: an empty name.
    assert_eq!(
        query(0, N::CaCert, &[b"+QSSLCFG: \"cacert\",0,\"\""]),
        Ok(QsslSetting::CaCert(""))
    );
    assert_eq!(
        query(0, N::Sni, &[b"+QSSLCFG: \"sni\",0,1"]),
        Ok(QsslSetting::Sni(true))
    );
    assert_eq!(
        query(
            0,
            N::IgnoreLocalTime,
            &[b"+QSSLCFG: \"ignorelocaltime\",0,0"]
        ),
        Ok(QsslSetting::IgnoreLocalTime(false))
    );
    // Among several lines, the one of this name and context.
    assert_eq!(
        query(
            1,
            N::SecLevel,
            &[
                b"+QSSLCFG: \"sslversion\",1,4",
                b"+QSSLCFG: \"seclevel\",1,2"
            ]
        ),
        Ok(QsslSetting::SecLevel(SecLevel::ServerAndClient))
    );
    let err = Err(ParseError {
        command: "+QSSLCFG",
    });
    // Another context, another name, a value out of range, no line at all.
    assert_eq!(
        query(2, N::SslVersion, &[b"+QSSLCFG: \"sslversion\",1,4"]),
        err
    );
    assert_eq!(query(1, N::Sni, &[b"+QSSLCFG: \"sslversion\",1,4"]), err);
    assert_eq!(
        query(1, N::SslVersion, &[b"+QSSLCFG: \"sslversion\",1,5"]),
        err
    );
    assert_eq!(query(1, N::Sni, &[b"+QSSLCFG: \"sni\",1,2"]), err);
    assert_eq!(
        query(1, N::CipherSuite, &[b"+QSSLCFG: \"ciphersuite\",1,0X1FFFF"]),
        err
    );
    assert_eq!(
        query(1, N::CaCert, &[b"+QSSLCFG: \"cacert\",1,UFS:ca.pem"]),
        err
    );
    assert_eq!(query(1, N::SslVersion, &[]), err);
}

#[test]
fn file_encodings() {
    // BG96 FILE manual example: `AT+QFUPL="cacert.pem",1187,100`, then CONNECT.
    let data = vec![b'x'; 1187];
    let up = Qfupl {
        name: "cacert.pem",
        data: &data,
        timeout_secs: Some(100),
    };
    assert_eq!(enc(&up), b"AT+QFUPL=\"cacert.pem\",1187,100\r");
    let (kind, sent) = up.data().unwrap();
    assert_eq!(kind, atmodem::codec::PromptKind::Connect);
    assert_eq!(sent.len(), 1187);
    // Without <timeout> the module waits its default 5 s.
    let up = Qfupl {
        name: "UFS:ca.pem",
        data: b"abc",
        timeout_secs: None,
    };
    assert_eq!(enc(&up), b"AT+QFUPL=\"UFS:ca.pem\",3\r");
    assert!(up.timeout_ms() >= 5_000);
    // fwupd: `AT+QFLST="UFS:dfota_update.bin"`; a BG96 driver: `AT+QFDEL="*"`.
    assert_eq!(
        enc(&Qflst {
            pattern: Some("UFS:dfota_update.bin")
        }),
        b"AT+QFLST=\"UFS:dfota_update.bin\"\r"
    );
    assert_eq!(enc(&Qflst { pattern: None }), b"AT+QFLST\r");
    assert_eq!(enc(&Qfdel { name: "*" }), b"AT+QFDEL=\"*\"\r");
    assert_eq!(
        enc(&Qfdel { name: "UFS:ca.pem" }),
        b"AT+QFDEL=\"UFS:ca.pem\"\r"
    );
}

#[test]
fn file_refusals() {
    let up = |name| Qfupl {
        name,
        data: b"abc",
        timeout_secs: None,
    };
    assert_eq!(enc_err(&up("")), EncodeError::InvalidArgument("name"));
    assert_eq!(enc_err(&up("a\"b")), EncodeError::InvalidArgument("name"));
    assert_eq!(
        enc_err(&up("ca.pem\r\nAT+QPOWD")),
        EncodeError::InvalidArgument("name")
    );
    // "The maximum length is 80 bytes."
    let long = "n".repeat(81);
    assert_eq!(
        enc_err(&up(&long)),
        EncodeError::TooLong {
            arg: "name",
            max: 80
        }
    );
    assert!(up(&long[..80]).encode(&mut [0u8; 128]).is_ok());
    // (1-<freesize>): no empty file.
    assert_eq!(
        enc_err(&Qfupl {
            name: "ca.pem",
            data: b"",
            timeout_secs: None
        }),
        EncodeError::InvalidArgument("data")
    );
    assert_eq!(
        enc_err(&Qfupl {
            name: "ca.pem",
            data: b"x",
            timeout_secs: Some(0)
        }),
        EncodeError::InvalidArgument("timeout_secs")
    );
    assert_eq!(
        enc_err(&Qfdel { name: "" }),
        EncodeError::InvalidArgument("name")
    );
    assert_eq!(
        enc_err(&Qflst {
            pattern: Some("a\u{7}")
        }),
        EncodeError::InvalidArgument("pattern")
    );
}

/// Amazon Root CA 1 as published (LF line ends, 1188 bytes).
const AMAZON_ROOT_CA1: &str = "-----BEGIN CERTIFICATE-----
MIIDQTCCAimgAwIBAgITBmyfz5m/jAo54vB4ikPmljZbyjANBgkqhkiG9w0BAQsF
ADA5MQswCQYDVQQGEwJVUzEPMA0GA1UEChMGQW1hem9uMRkwFwYDVQQDExBBbWF6
b24gUm9vdCBDQSAxMB4XDTE1MDUyNjAwMDAwMFoXDTM4MDExNzAwMDAwMFowOTEL
MAkGA1UEBhMCVVMxDzANBgNVBAoTBkFtYXpvbjEZMBcGA1UEAxMQQW1hem9uIFJv
b3QgQ0EgMTCCASIwDQYJKoZIhvcNAQEBBQADggEPADCCAQoCggEBALJ4gHHKeNXj
ca9HgFB0fW7Y14h29Jlo91ghYPl0hAEvrAIthtOgQ3pOsqTQNroBvo3bSMgHFzZM
9O6II8c+6zf1tRn4SWiw3te5djgdYZ6k/oI2peVKVuRF4fn9tBb6dNqcmzU5L/qw
IFAGbHrQgLKm+a/sRxmPUDgH3KKHOVj4utWp+UhnMJbulHheb4mjUcAwhmahRWa6
VOujw5H5SNz/0egwLX0tdHA114gk957EWW67c4cX8jJGKLhD+rcdqsq08p8kDi1L
93FcXmn/6pUCyziKrlA4b9v7LWIbxcceVOF34GfID5yHI9Y/QCB/IIDEgEw+OyQm
jgSubJrIqg0CAwEAAaNCMEAwDwYDVR0TAQH/BAUwAwEB/zAOBgNVHQ8BAf8EBAMC
AYYwHQYDVR0OBBYEFIQYzIU07LwMlJQuCFmcx7IQTgoIMA0GCSqGSIb3DQEBCwUA
A4IBAQCY8jdaQZChGsV2USggNiMOruYou6r4lK5IpDB/G/wkjUu0yKGX9rbxenDI
U5PMCCjjmCXPI6T53iHTfIUJrU6adTrCC2qJeHZERxhlbI1Bjjt/msv0tadQ1wUs
N+gDS63pYaACbvXy8MWy7Vu33PqUXHeeE6V/Uq2V8viTO96LXFvKWlJbYK8U90vv
o/ufQJVtMVT8QtPHRh8jrdkPSHCa2XV4cdFyQzR1bldZwgJcJmApzyMZFo6IQ6XU
5MsI+yMRQ+hDKXJioaldXgjUkK642M4UwtBV8ob2xJNDd2ZhwLnoQdeXeGADbkpy
rqXRfboQnoZsG4q5WTP468SQvvG5
-----END CERTIFICATE-----
";

#[test]
fn checksum_matches_a_real_module() {
    // A BG95 answered `+QFUPL: 1208,5769` to the upload of Amazon Root CA 1 with CRLF line
    // ends (a provisioning tool's test records it as read from the module).
    let crlf = AMAZON_ROOT_CA1.replace('\n', "\r\n");
    assert_eq!(AMAZON_ROOT_CA1.len(), 1188);
    assert_eq!(crlf.len(), 1208);
    assert_eq!(checksum(crlf.as_bytes()), 0x5769);
    let report = Qfupl {
        name: "ca.pem",
        data: crlf.as_bytes(),
        timeout_secs: None,
    }
    .parse(Lines::from_slice(&[b"+QFUPL: 1208,5769"]))
    .unwrap();
    assert_eq!(
        report,
        Uploaded {
            size: 1208,
            checksum: 0x5769
        }
    );
    assert!(report.verify(crlf.as_bytes()).is_ok());
    // The same bytes with LF ends are another file.
    assert!(report.verify(AMAZON_ROOT_CA1.as_bytes()).is_err());
}

#[test]
fn checksum_against_python() {
    // Computed with python3:
    //   def ck(d):
    //       s = 0
    //       for i in range(0, len(d), 2):
    //           s ^= (d[i] << 8) | (d[i+1] if i+1 < len(d) else 0)
    //       return s
    //   a = bytes((i*37+11) % 256 for i in range(1000))
    //   hex(ck(a)), hex(ck(a[:999])), hex(ck(b'\xff')), hex(ck(b'\x12\x34\x56'))
    //   -> ('0x840', '0x82e', '0xff00', '0x4434')
    let a: Vec<u8> = (0..1000u32).map(|i| ((i * 37 + 11) % 256) as u8).collect();
    assert_eq!(checksum(&a), 0x0840);
    assert_eq!(checksum(&a[..999]), 0x082e);
    assert_eq!(checksum(&[0xff]), 0xff00);
    assert_eq!(checksum(&[0x12, 0x34, 0x56]), 0x4434);
    assert_eq!(checksum(&[]), 0);
}

#[test]
fn upload_reports() {
    let up = Qfupl {
        name: "ca.pem",
        data: b"\x12\x34\x56",
        timeout_secs: None,
    };
    let parse = |l: &'static [u8]| up.parse(Lines::from_slice(std::slice::from_ref(&l)));
    // fwupd's pattern: `+QFUPL:\s*(\d+),([0-9a-f]+)`.
    let r = parse(b"+QFUPL: 3,4434").unwrap();
    assert_eq!(
        r,
        Uploaded {
            size: 3,
            checksum: 0x4434
        }
    );
    assert!(r.verify(up.data).is_ok());
    assert_eq!(parse(b"+QFUPL:3,c").unwrap().checksum, 0xc);
    // A module that stored fewer bytes, or other bytes.
    let short = parse(b"+QFUPL: 2,1234").unwrap();
    let e = short.verify(up.data).unwrap_err();
    assert_eq!(
        (
            e.sent_size,
            e.sent_checksum,
            e.stored_size,
            e.stored_checksum
        ),
        (3, 0x4434, 2, 0x1234)
    );
    assert!(parse(b"+QFUPL: 3,4435").unwrap().verify(up.data).is_err());
    let err = Err(ParseError { command: "+QFUPL" });
    assert_eq!(parse(b"+QFUPL: 3"), err);
    assert_eq!(parse(b"+QFUPL: 3,"), err);
    assert_eq!(parse(b"+QFUPL: 3,12345"), err);
    assert_eq!(parse(b"+QFUPL: 3,xyz"), err);
    assert_eq!(parse(b"+QFUPL: -3,12"), err);
    assert_eq!(up.parse(Lines::from_slice(&[])), err);
}

#[test]
fn file_lists() {
    let q = Qflst { pattern: Some("*") };
    // Quectel's SDK reads `+QFLST: "<name>",<size>`.
    let lines: &[&[u8]] = &[
        b"+QFLST: \"cacert.pem\",1187",
        b"+QFLST: \"UFS:user.pem\",1220",
    ];
    let files = q.parse(Lines::from_slice(lines)).unwrap();
    let all: Vec<(&str, u32)> = files.iter().map(|f| (f.name, f.size)).collect();
    assert_eq!(all, [("cacert.pem", 1187), ("UFS:user.pem", 1220)]);
    assert_eq!(files.get("cacert.pem").unwrap().size, 1187);
    assert!(files.get("user.pem").is_none());
    assert!(!files.is_empty());
    // No file: OK alone.
    let none = q.parse(Lines::from_slice(&[])).unwrap();
    assert!(none.is_empty());
    assert_eq!(none.iter().count(), 0);
    // One line of another shape refuses the list.
    let bad: &[&[u8]] = &[b"+QFLST: \"a\",1", b"+QFLST: b,2"];
    assert_eq!(
        q.parse(Lines::from_slice(bad)).unwrap_err(),
        ParseError { command: "+QFLST" }
    );
}

#[test]
fn file_error_codes() {
    // Quectel's SDK table of the file commands' +CME ERROR codes.
    assert_eq!(FILE_EXISTS, 407);
    assert_eq!(file_error_text(407), Some("file already existed"));
    assert_eq!(file_error_text(405), Some("file not found"));
    assert_eq!(file_error_text(421), Some("time out"));
    assert_eq!(file_error_text(426), Some("file already opened"));
    for missing in [404, 408, 412, 415, 422, 424, 427, 0, 701] {
        assert_eq!(file_error_text(missing), None, "{missing}");
    }
}

/// Standard base64 (RFC 4648), padding required: the body of a PEM block.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(4) {
        return None;
    }
    let mut out = Vec::new();
    for (i, quad) in bytes.chunks(4).enumerate() {
        let last = i == bytes.len() / 4 - 1;
        let pad = quad.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && !last) {
            return None;
        }
        let mut n = 0u32;
        for &c in &quad[..4 - pad] {
            n = n << 6 | value(c)?;
        }
        n <<= 6 * pad as u32;
        out.extend_from_slice(&n.to_be_bytes()[1..4 - pad]);
    }
    Some(out)
}

/// The DER of the single PEM certificate `pem`, checking its structure: BEGIN line, base64
/// lines of at most 64 characters, END line, LF line ends, nothing after.
fn pem_der(pem: &[u8]) -> Vec<u8> {
    let text = std::str::from_utf8(pem).unwrap();
    let body = text
        .strip_prefix("-----BEGIN CERTIFICATE-----\n")
        .unwrap()
        .strip_suffix("-----END CERTIFICATE-----\n")
        .unwrap();
    assert!(!body.contains("-----"));
    assert!(body.ends_with('\n'));
    assert!(body.lines().all(|l| !l.is_empty() && l.len() <= 64));
    let joined: String = body.lines().collect();
    let der = base64_decode(&joined).unwrap();
    // A DER SEQUENCE with a two-byte long length covering the rest.
    assert_eq!(der[0], 0x30);
    assert_eq!(der[1], 0x82);
    assert_eq!(
        usize::from(u16::from_be_bytes([der[2], der[3]])) + 4,
        der.len()
    );
    der
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn base64_decoder_works() {
    // RFC 4648 §10 test vectors.
    assert_eq!(base64_decode("Zm9vYmFy").unwrap(), b"foobar");
    assert_eq!(base64_decode("Zm9vYg==").unwrap(), b"foob");
    assert_eq!(base64_decode("Zm9vYmE=").unwrap(), b"fooba");
    assert!(base64_decode("Zm9v*mFy").is_none());
    assert!(base64_decode("Zm9").is_none());
}

#[test]
fn aliyun_root_cas() {
    // SHA-256 of each PEM text as printed in the research notes (Appendix A, the text of
    // Link SDK 4.2.0 `external/ali_ca_cert.c` with `\r\n` written as `\n`), computed with
    //   python3 -c "import hashlib,sys; print(hashlib.sha256(open(sys.argv[1],'rb').read()).hexdigest())" c0.pem
    // over each block cut out of the notes.
    let cases: [(&[u8], &str, &str); 3] = [
        (
            ca::GLOBALSIGN_ROOT_CA,
            "df68841998b7fd098a9517fe971e97890be0fc93bbe1b2a1ef63ebdea3111c80",
            // DER SHA-256 fingerprint, `openssl x509 -fingerprint -sha256` (equal to
            // Mozilla's GlobalSign_Root_CA.crt).
            "ebd41040e4bb3ec742c9e381d31ef2a41a48b6685c96e7cef3c1df6cd4331c99",
        ),
        (
            ca::GLOBALSIGN_ROOT_R6,
            "79bceb4c931d164fb3e577adba87fecfc7ab49df72042836e1107ed543db2b47",
            // Equal to Mozilla's GlobalSign_Root_CA_-_R6.crt.
            "2cabeafe37d06ca22aba7391c0033d25982952c453647349763a3ab5ad6ccf69",
        ),
        (
            ca::ALIYUN_IOT_ROOT_CA,
            "24452467ea8973333c084a86c60c82de1aed48c231cf72ded1dcf5dfaf7f4495",
            "7ca438a3976b5242d231f861499822da855831382735836b361e7e9715661676",
        ),
    ];
    for (pem, pem_sha, der_sha) in cases {
        assert_eq!(hex(&Sha256::digest(pem)), pem_sha);
        let der = pem_der(pem);
        assert_eq!(hex(&Sha256::digest(&der)), der_sha);
    }
    // The bundle is the three in the SDK's order:
    //   python3: hashlib.sha256((c0+c1+c2).encode()).hexdigest(), 4636 bytes.
    assert_eq!(ca::BUNDLE.len(), 4636);
    assert_eq!(
        hex(&Sha256::digest(ca::BUNDLE)),
        "19991ee5c1e58cb6631855bb8ce62c8f1a575059551bd1cd4f12b62a0fd35452"
    );
    assert_eq!(ca::CA_FILE, "aliyun_ca.pem");
    assert_eq!(ca::CA_FILE_UFS, "UFS:aliyun_ca.pem");
}

mod luat {
    use super::*;
    use atmodem::dialects::luat::{
        FsCreate, FsDel, FsFlSize, FsWrite, SslCfg, SslCfgErase, SslCfgQuery, SslSetting,
        SslSettingName, WriteMode,
    };

    fn set(ctx: u16, setting: SslSetting<'_>) -> SslCfg<'_> {
        SslCfg { ctx, setting }
    }

    #[test]
    fn ssl_encodings() {
        // Luat's Air780EP MQTTS guide, one-way and two-way authentication.
        assert_eq!(
            enc(&set(88, SslSetting::CaCert("ca.crt"))),
            b"AT+SSLCFG=\"cacert\",88,\"ca.crt\"\r"
        );
        assert_eq!(
            enc(&set(88, SslSetting::SecLevel(SecLevel::Server))),
            b"AT+SSLCFG=\"seclevel\",88,1\r"
        );
        assert_eq!(
            enc(&set(88, SslSetting::ClientCert("client.crt"))),
            b"AT+SSLCFG=\"clientcert\",88,\"client.crt\"\r"
        );
        assert_eq!(
            enc(&set(88, SslSetting::ClientKey("client.key"))),
            b"AT+SSLCFG=\"clientkey\",88,\"client.key\"\r"
        );
        assert_eq!(
            enc(&set(88, SslSetting::SecLevel(SecLevel::ServerAndClient))),
            b"AT+SSLCFG=\"seclevel\",88,2\r"
        );
        // The SSLCFG page: sslversion 0..4, ciphersuite 0X0035..0XFFFF, the other names.
        assert_eq!(
            enc(&set(153, SslSetting::SslVersion(SslVersion::Tls1_2))),
            b"AT+SSLCFG=\"sslversion\",153,3\r"
        );
        assert_eq!(
            enc(&set(0, SslSetting::CipherSuite(0x3D))),
            b"AT+SSLCFG=\"ciphersuite\",0,0X003D\r"
        );
        assert_eq!(
            enc(&set(34, SslSetting::IgnoreLocalTime(true))),
            b"AT+SSLCFG=\"ignorelocaltime\",34,1\r"
        );
        assert_eq!(
            enc(&set(88, SslSetting::NegotiateTimeout(300))),
            b"AT+SSLCFG=\"negotiatetimeout\",88,300\r"
        );
        assert_eq!(
            enc(&set(88, SslSetting::Hostname("iot.example.com"))),
            b"AT+SSLCFG=\"hostname\",88,\"iot.example.com\"\r"
        );
        // "AT+SSLCFG="XXXXX",<n>," erases; without the comma it is a query.
        assert_eq!(
            enc(&SslCfgErase {
                ctx: 88,
                name: SslSettingName::CaCert
            }),
            b"AT+SSLCFG=\"cacert\",88,\r"
        );
        assert_eq!(
            enc(&SslCfgQuery {
                ctx: 88,
                name: SslSettingName::CaCert
            }),
            b"AT+SSLCFG=\"cacert\",88\r"
        );
    }

    #[test]
    fn ssl_refusals() {
        // <n> is 0~5, 34, 88, 153.
        for ctx in [6, 33, 35, 87, 89, 152, 154, 255] {
            assert_eq!(
                enc_err(&set(ctx, SslSetting::IgnoreLocalTime(true))),
                EncodeError::InvalidArgument("ctx"),
                "{ctx}"
            );
        }
        assert_eq!(
            enc_err(&set(88, SslSetting::NegotiateTimeout(5))),
            EncodeError::InvalidArgument("negotiatetimeout")
        );
        assert_eq!(
            enc_err(&set(88, SslSetting::CaCert("a\\22b"))),
            EncodeError::ForbiddenByte {
                arg: "cacert",
                byte: b'\\'
            }
        );
        assert_eq!(
            enc_err(&set(88, SslSetting::CaCert("a\"b"))),
            EncodeError::InvalidArgument("cacert")
        );
        assert_eq!(
            enc_err(&set(88, SslSetting::Hostname(""))),
            EncodeError::InvalidArgument("hostname")
        );
    }

    fn query(
        ctx: u16,
        name: SslSettingName,
        line: &'static [u8],
    ) -> Result<SslSetting<'static>, ParseError> {
        SslCfgQuery { ctx, name }.parse(Lines::from_slice(std::slice::from_ref(Box::leak(
            Box::new(line),
        ))))
    }

    #[test]
    fn ssl_queries() {
        use SslSettingName as N;
        // The page's shapes: `+SSLCFG: "sslversion",<n>,<sslversion>`,
        // `+SSLCFG:"cacert",<n>,<cacertpath>` (no space after the colon).
        assert_eq!(
            query(88, N::SslVersion, b"+SSLCFG: \"sslversion\",88,4"),
            Ok(SslSetting::SslVersion(SslVersion::All))
        );
        assert_eq!(
            query(88, N::CaCert, b"+SSLCFG:\"cacert\",88,\"ca.crt\""),
            Ok(SslSetting::CaCert("ca.crt"))
        );
        assert_eq!(
            query(88, N::CaCert, b"+SSLCFG:\"cacert\",88,ca.crt"),
            Ok(SslSetting::CaCert("ca.crt"))
        );
        assert_eq!(
            query(
                153,
                N::NegotiateTimeout,
                b"+SSLCFG:\"negotiatetimeout\",153,60"
            ),
            Ok(SslSetting::NegotiateTimeout(60))
        );
        assert_eq!(
            query(0, N::CipherSuite, b"+SSLCFG: \"ciphersuite\",0,0XFFFF"),
            Ok(SslSetting::CipherSuite(0xFFFF))
        );
        let err = Err(ParseError { command: "+SSLCFG" });
        assert_eq!(
            query(88, N::CaCert, b"+SSLCFG:\"cacert\",153,\"ca.crt\""),
            err
        );
        assert_eq!(query(88, N::CaCert, b"+SSLCFG:\"cacert\",88,"), err);
        assert_eq!(query(88, N::SecLevel, b"+SSLCFG:\"seclevel\",88,3"), err);
    }

    #[test]
    fn fs_encodings() {
        // The MQTTS guide: `AT+FSCREATE="ca.crt"`, `AT+FSWRITE="ca.crt",0,1212,15`.
        assert_eq!(
            enc(&FsCreate { name: "ca.crt" }),
            b"AT+FSCREATE=\"ca.crt\"\r"
        );
        let cert = vec![b'-'; 1212];
        let w = FsWrite {
            name: "ca.crt",
            mode: WriteMode::Start,
            data: &cert,
            input_secs: 15,
        };
        assert_eq!(enc(&w), b"AT+FSWRITE=\"ca.crt\",0,1212,15\r");
        assert_eq!(w.data().unwrap().0, atmodem::codec::PromptKind::Angle);
        // The FS chapter's worked example.
        assert_eq!(
            enc(&FsWrite {
                name: "/testdir/test.txt",
                mode: WriteMode::Start,
                data: b"1234567890",
                input_secs: 10
            }),
            b"AT+FSWRITE=\"/testdir/test.txt\",0,10,10\r"
        );
        let size = FsFlSize {
            name: "/testdir/test.txt",
        };
        assert_eq!(enc(&size), b"AT+FSFLSIZE=\"/testdir/test.txt\"\r");
        assert_eq!(size.parse(Lines::from_slice(&[b"+FSFLSIZE: 10 "])), Ok(10));
        // Another driver reads `+FSFLSIZE:<n>`.
        assert_eq!(
            size.parse(Lines::from_slice(&[b"+FSFLSIZE:4636"])),
            Ok(4636)
        );
        assert!(size.parse(Lines::from_slice(&[b"+FSFLSIZE: x"])).is_err());
        assert!(size.parse(Lines::from_slice(&[])).is_err());
        assert_eq!(
            enc(&FsDel {
                name: "/testdir/test.txt"
            }),
            b"AT+FSDEL=\"/testdir/test.txt\"\r"
        );
    }

    #[test]
    fn fs_refusals() {
        let w = |data: &'static [u8], input_secs| FsWrite {
            name: "ca.crt",
            mode: WriteMode::Append,
            data,
            input_secs,
        };
        assert_eq!(enc_err(&w(b"", 5)), EncodeError::InvalidArgument("data"));
        assert_eq!(
            enc_err(&w(b"x", 0)),
            EncodeError::InvalidArgument("input_secs")
        );
        // "不能大于10240个字节".
        let big: &'static [u8] = Box::leak(vec![0u8; 10_241].into_boxed_slice());
        assert_eq!(
            enc_err(&w(big, 5)),
            EncodeError::TooLong {
                arg: "data",
                max: 10_240
            }
        );
        assert!(w(&big[..10_240], 5).encode(&mut [0u8; 64]).is_ok());
        // "不超过64个字节".
        let long = "f".repeat(65);
        assert_eq!(
            enc_err(&FsCreate { name: &long }),
            EncodeError::TooLong {
                arg: "name",
                max: 64
            }
        );
        assert!(
            FsCreate { name: &long[..64] }
                .encode(&mut [0u8; 96])
                .is_ok()
        );
        assert_eq!(
            enc_err(&FsDel { name: "" }),
            EncodeError::InvalidArgument("name")
        );
        assert_eq!(
            enc_err(&FsFlSize { name: "a\rb" }),
            EncodeError::InvalidArgument("name")
        );
    }

    proptest! {
        #[test]
        fn parsers_never_panic(line in proptest::collection::vec(any::<u8>(), 0..80),
                               ctx in any::<u16>()) {
            let l: &[&[u8]] = &[&line];
            for name in [
                SslSettingName::SslVersion, SslSettingName::CipherSuite, SslSettingName::CaCert,
                SslSettingName::ClientCert, SslSettingName::ClientKey, SslSettingName::SecLevel,
                SslSettingName::Hostname, SslSettingName::IgnoreLocalTime,
                SslSettingName::NegotiateTimeout,
            ] {
                let _ = SslCfgQuery { ctx, name }.parse(Lines::from_slice(l));
            }
            let _ = FsFlSize { name: "a" }.parse(Lines::from_slice(l));
        }
    }
}

proptest! {
    #[test]
    fn parsers_never_panic(line in proptest::collection::vec(any::<u8>(), 0..80),
                           ctx in 0u8..8) {
        let l: &[&[u8]] = &[&line];
        for name in [
            QsslSettingName::SslVersion, QsslSettingName::CipherSuite, QsslSettingName::SecLevel,
            QsslSettingName::CaCert, QsslSettingName::ClientCert, QsslSettingName::ClientKey,
            QsslSettingName::Sni, QsslSettingName::IgnoreLocalTime, QsslSettingName::NegotiateTime,
        ] {
            let _ = QsslCfgQuery { ctx, name }.parse(Lines::from_slice(l));
        }
        let up = Qfupl { name: "a", data: &line, timeout_secs: None };
        if let Ok(r) = up.parse(Lines::from_slice(l)) {
            let _ = r.verify(&line);
        }
        if let Ok(files) = (Qflst { pattern: None }).parse(Lines::from_slice(l)) {
            let _ = files.iter().count();
        }
        let _ = checksum(&line);
    }

    #[test]
    fn encoders_never_panic(name in "\\PC{0,100}", ctx in any::<u8>(), secs in any::<u16>(),
                            data in proptest::collection::vec(any::<u8>(), 0..40)) {
        let mut buf = [0u8; 160];
        let _ = set(ctx, QsslSetting::CaCert(&name)).encode(&mut buf);
        let _ = set(ctx, QsslSetting::NegotiateTime(secs)).encode(&mut buf);
        let _ = set(ctx, QsslSetting::CipherSuite(secs)).encode(&mut buf);
        let _ = Qfupl { name: &name, data: &data, timeout_secs: Some(secs) }.encode(&mut buf);
        let _ = Qflst { pattern: Some(&name) }.encode(&mut buf);
        let _ = Qfdel { name: &name }.encode(&mut buf);
        let _ = Qfupl { name: &name, data: &data, timeout_secs: None }.encode(&mut [0u8; 8]);
    }

    #[test]
    fn checksum_is_xor_of_big_endian_words(a in proptest::collection::vec(any::<u8>(), 0..64),
                                           b in proptest::collection::vec(any::<u8>(), 0..64)) {
        // Splitting at an even offset XORs the two halves' sums.
        let even = a.len() & !1;
        let mut joined = a[..even].to_vec();
        joined.extend_from_slice(&b);
        prop_assert_eq!(checksum(&joined), checksum(&a[..even]) ^ checksum(&b));
    }
}

// The read-back commands of the certificate check, against the manuals' grammar: Quectel
// `AT+QFOPEN="<filename>"[,<mode>]` → `+QFOPEN: <filehandle>`, `AT+QFREAD=<filehandle>
// [,<length>]` → `CONNECT <read_length>`, the bytes, `OK`, `AT+QFCLOSE=<filehandle>`
// (lifecycle-tls-simcom §3.2); Luat `AT+FSREAD=<filename>,<mode>,<filesize>,<position>`, the
// bytes after the answer's line end, `OK` (the Air780EP file system guide's log, §3.3).

#[test]
fn qfopen_qfread_qfclose_encode_as_the_manual_writes_them() {
    use atmodem::dialects::quectel::{OpenMode, Qfclose, Qfopen, Qfread};
    let open = |mode| Qfopen {
        name: "UFS:aliyun_ca.pem",
        mode,
    };
    assert_eq!(
        enc(&open(OpenMode::ReadOnly)),
        b"AT+QFOPEN=\"UFS:aliyun_ca.pem\",2\r"
    );
    assert_eq!(
        enc(&open(OpenMode::Create)),
        b"AT+QFOPEN=\"UFS:aliyun_ca.pem\",0\r"
    );
    assert_eq!(
        enc(&open(OpenMode::Overwrite)),
        b"AT+QFOPEN=\"UFS:aliyun_ca.pem\",1\r"
    );
    assert_eq!(
        enc_err(&Qfopen {
            name: "a\"b",
            mode: OpenMode::ReadOnly
        }),
        EncodeError::InvalidArgument("name")
    );
    assert_eq!(
        open(OpenMode::ReadOnly)
            .parse(Lines::from_slice(&[b"+QFOPEN: 1027"]))
            .unwrap(),
        1027
    );
    for bad in [&b"+QFOPEN: x"[..], b"+QFOPEN: 1,2", b"+QFOPEN:"] {
        assert!(
            open(OpenMode::ReadOnly)
                .parse(Lines::from_slice(&[bad]))
                .is_err(),
            "{bad:?}"
        );
    }
    let read = Qfread {
        handle: 1027,
        len: 256,
    };
    assert_eq!(enc(&read), b"AT+QFREAD=1027,256\r");
    assert_eq!(read.receive(), Some(256));
    assert_eq!(
        enc_err(&Qfread { handle: 1, len: 0 }),
        EncodeError::InvalidArgument("len")
    );
    assert_eq!(enc(&Qfclose { handle: 1027 }), b"AT+QFCLOSE=1027\r");
}

#[test]
fn fsread_encodes_as_the_manual_writes_it() {
    use atmodem::dialects::luat::FsRead;
    let r = FsRead {
        name: "/testdir/test.txt",
        position: 10,
        len: 10,
    };
    assert_eq!(enc(&r), b"AT+FSREAD=\"/testdir/test.txt\",1,10,10\r");
    // The answer's line end and the bytes.
    assert_eq!(r.receive_at_once(), Some(12));
    assert_eq!(
        enc_err(&FsRead { len: 0, ..r }),
        EncodeError::InvalidArgument("len")
    );
    assert_eq!(
        enc_err(&FsRead { len: 10_241, ..r }),
        EncodeError::TooLong {
            arg: "len",
            max: 10_240
        }
    );
    assert!(matches!(
        enc_err(&FsRead { name: "", ..r }),
        EncodeError::InvalidArgument("name")
    ));
}

#[test]
fn the_read_back_data_reaches_the_sink_whatever_it_holds() {
    use atmodem::client::{Client, State};
    use atmodem::dialects::luat::{FsRead, Luat};
    use atmodem::dialects::quectel::{Qfread, Quectel};
    use atmodem::sim::{InstantDelay, SimModem};
    // Quectel: `CONNECT <n>`, n bytes (a line end and `OK` among them), `OK`.
    let script = ">> AT+QFREAD=1027,10\n<< CONNECT 10\n<<| \"ab\\r\\nOK\\r\\ncd\"\n<< OK\n";
    let mut state: State = State::new();
    let mut c: Client<_, _, Quectel> =
        Client::new(SimModem::new(script).unwrap(), InstantDelay, &mut state);
    let mut sink = [0u8; 10];
    let (_, n) = embassy_futures::block_on(c.send_into(
        &Qfread {
            handle: 1027,
            len: 10,
        },
        &mut sink,
    ))
    .unwrap();
    assert_eq!(&sink[..n], b"ab\r\nOK\r\ncd");
    // Luat: the line end, the bytes (the guide's `1234567890`), `OK`.
    let script =
        ">> AT+FSREAD=\"/testdir/test.txt\",1,10,0\n<<| \"\\r\\n1234567890\\r\\nOK\\r\\n\"\n";
    let mut state: State = State::new();
    let mut c: Client<_, _, Luat> =
        Client::new(SimModem::new(script).unwrap(), InstantDelay, &mut state);
    let mut sink = [0u8; 12];
    let (_, n) = embassy_futures::block_on(c.send_into(
        &FsRead {
            name: "/testdir/test.txt",
            position: 0,
            len: 10,
        },
        &mut sink,
    ))
    .unwrap();
    assert_eq!(&sink[..n], b"\r\n1234567890");
    assert!(c.transport().is_done());
}
