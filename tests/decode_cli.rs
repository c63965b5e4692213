//! The `decode` example: one JSON object per decoded item, for transcripts and raw logs of
//! both dialects. Expected objects are written by hand from the manuals' grammar.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../examples/decode.rs"]
#[allow(dead_code)]
mod cli;

use serde_json::{Value, json};

fn decode(args: &[&str], input: &[u8]) -> Vec<Value> {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let mut out = Vec::new();
    cli::decode(&args, input, &mut out).unwrap();
    String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect()
}

#[test]
fn quectel_transcript_items() {
    let t = br#">> AT+CEREG?
<<
<< +CEREG: 0,1
<<
<< OK
>> AT+QMTOPEN=0,"h",1883
<<
<< OK
<<
<< +QMTOPEN: 0,0
<<
<< +QMTRECV: 0,0,"/sys/pk/dn/thing/service/property/set",12,"{"Temp":1.5}"
>> AT+CPIN?
<<
<< +CME ERROR: 10
"#;
    assert_eq!(
        decode(&["--dialect", "quectel"], t),
        vec![
            json!({"kind":"response","name":"+CEREG","line":"+CEREG: 0,1","n":0,"stat":1,"registered":true}),
            json!({"kind":"final","code":"OK"}),
            json!({"kind":"final","code":"OK"}),
            json!({"kind":"urc","name":"+QMTOPEN","client":0,"result":0}),
            json!({"kind":"urc","name":"+QMTRECV","client":0,"msg_id":0,"len":12,
                   "topic":"/sys/pk/dn/thing/service/property/set","payload":"{\"Temp\":1.5}"}),
            json!({"kind":"final","code":"+CME ERROR","error":"10"}),
        ]
    );
}

#[test]
fn luat_transcript_items() {
    let t = br#">> AT+HTTPREAD
<<
<< +HTTPREAD: 12
<<| "{\"a\":\r\nOK\r\n}"
<<
<< OK
<<
<< +SAPBR 1: DEACT
<<
<< +PDP DEACT
<<
<< +MSUB: "t",6 byte,a\r\nb
"#;
    // The last line is plain text: its `\r\n` is four characters, so the payload is 6 bytes.
    assert_eq!(
        decode(&["--dialect", "luat"], t),
        vec![
            json!({"kind":"response","name":"+HTTPREAD","line":"+HTTPREAD: 12","len":12}),
            json!({"kind":"data","len":12}),
            json!({"kind":"final","code":"OK"}),
            json!({"kind":"urc","name":"+SAPBR","event":"DEACT","cid":1}),
            json!({"kind":"urc","name":"+PDP DEACT"}),
            json!({"kind":"urc","name":"+MSUB","len":6,"topic":"t","payload":"a\\r\\nb"}),
        ]
    );
}

#[test]
fn raw_log_with_echo_tells_which_command_is_in_flight() {
    let log =
        b"AT+CSQ\r\r\n+CSQ: 20,99\r\n\r\nOK\r\nAT+CGMR\r\r\nEC200UCNAAR02A03M08\r\n\r\nOK\r\n";
    assert_eq!(
        decode(&["--raw"], log),
        vec![
            json!({"kind":"echo","line":"AT+CSQ"}),
            json!({"kind":"response","name":"+CSQ","line":"+CSQ: 20,99","rssi":20,"ber":99}),
            json!({"kind":"final","code":"OK"}),
            json!({"kind":"echo","line":"AT+CGMR"}),
            json!({"kind":"response","name":"EC200UCNAAR02A03M08","line":"EC200UCNAAR02A03M08",
                   "revision":"EC200UCNAAR02A03M08"}),
            json!({"kind":"final","code":"OK"}),
        ]
    );
}

#[test]
fn chunking_does_not_change_the_output() {
    let t = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/transcripts/quectel-mqtt.txt"
    ))
    .unwrap();
    let whole = decode(&["--dialect", "quectel"], &t);
    assert!(whole.len() > 15);
    for chunk in ["1", "3", "64"] {
        assert_eq!(
            decode(&["--dialect", "quectel", "--chunk", chunk], &t),
            whole
        );
    }
    let l = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/transcripts/luat-aliyun.txt"
    ))
    .unwrap();
    let whole = decode(&["--dialect", "luat"], &l);
    assert_eq!(decode(&["--dialect", "luat", "--chunk", "1"], &l), whole);
    // The Luat sample: the HTTPREAD body is data, the pushed message is typed.
    assert!(whole.contains(&json!({"kind":"data","len":149})));
    assert!(whole.contains(&json!({"kind":"urc","name":"+MSUB","len":11,
        "topic":"/b1KCi45LcCP/862991419835241/user/get","payload":"Hello World"})));
}

#[test]
fn errors_are_items_and_decoding_goes_on() {
    // A line longer than a 16-byte buffer, garbage, a malformed known URC, binary payload.
    let log = b"\r\n+QMTSTAT: 0,1,2,3,4,5,6,7,8\r\n\x00\x00\r\n+QMTSTAT: x\r\n+QMTRECV: 0,0,\"t\",2,\"\x00\xff\"\r\n";
    let got = decode(&["--raw", "--capacity", "16"], log);
    assert_eq!(
        got,
        vec![
            json!({"kind":"error","what":"overflow"}),
            json!({"kind":"error","what":"garbage","len":2}),
            json!({"kind":"error","what":"parse","name":"+QMTSTAT","line":"+QMTSTAT: x"}),
            json!({"kind":"error","what":"overflow"}),
        ]
    );
    let got = decode(&["--raw", "--dialect", "quectel"], log);
    assert_eq!(
        got[3],
        json!({"kind":"urc","name":"+QMTRECV","client":0,"msg_id":0,"len":2,"topic":"t","payload_hex":"00ff"})
    );
}

#[test]
fn aliauth_query_never_prints_the_secret() {
    let t = br#">> AT+QMTCFG="aliauth",0
<<
<< +QMTCFG: "aliauth","pk","dn","c4fa40df9c8078073d75a26be2bc8f58"
<<
<< OK
"#;
    let got = decode(&["--dialect", "quectel"], t);
    assert_eq!(got[0]["setting"], "aliauth");
    assert_eq!(got[0]["device_secret_set"], true);
    // The raw line is what the modem sent; the typed fields hold no secret.
    assert_eq!(got[0].as_object().unwrap().len(), 7);
}

#[test]
fn bad_arguments_are_refused() {
    let mut out = Vec::new();
    for args in [&["--dialect", "simcom"][..], &["--chunk", "x"], &["--nope"]] {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        assert!(cli::decode(&args, b"", &mut out).is_err());
    }
}

#[test]
fn noise_inside_lines_prints_nothing_that_was_not_on_the_wire() {
    // A NUL inside a token, 0xFF inside a field, then a clean line.
    let log = b"\r\n+QMT\x00STAT: 0,1\r\n+QMTSTAT: 0,\xff1\r\n+QMTSTAT: 0,1\r\n";
    let got = decode(&["--raw", "--dialect", "quectel"], log);
    assert_eq!(
        got,
        vec![
            json!({"kind":"error","what":"garbage","line":"+QMT\u{0}STAT: 0,1"}),
            // "+QMTSTAT: 0," is 2b 51 4d 54 53 54 41 54 3a 20 30 2c, then ff 31.
            json!({"kind":"error","what":"parse","name":"+QMTSTAT",
                "line_hex":"2b514d54535441543a20302cff31"}),
            json!({"kind":"urc","name":"+QMTSTAT","client":0,"err":1}),
        ]
    );
    let printed = {
        let args: Vec<String> = ["--raw", "--dialect", "quectel"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let mut out = Vec::new();
        cli::decode(&args, log, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    };
    assert!(!printed.contains('\u{fffd}'), "{printed}");
}

/// `decode --help` prints the usage and every option on stdout and exits 0; a bad argument
/// still prints the usage line on stderr and exits 2.
#[test]
fn help_lists_every_option_and_exits_zero() {
    let me = std::env::current_exe().unwrap();
    let profile_dir = me.parent().unwrap().parent().unwrap();
    let exe = profile_dir
        .join("examples")
        .join(format!("decode{}", std::env::consts::EXE_SUFFIX));
    let mut build = std::process::Command::new(env!("CARGO"));
    build
        .args(["build", "--quiet", "--example", "decode"])
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    if profile_dir.file_name().is_some_and(|n| n == "release") {
        build.arg("--release");
    }
    assert!(build.status().unwrap().success());
    for flag in ["--help", "-h"] {
        let out = std::process::Command::new(&exe).arg(flag).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{flag}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.starts_with("usage: decode "), "{text}");
        for option in ["--dialect", "--raw", "--chunk", "--capacity", "-h, --help"] {
            assert!(text.contains(option), "{flag}: {option} missing:\n{text}");
        }
        for kind in [
            "echo", "response", "final", "prompt", "data", "urc", "error",
        ] {
            assert!(
                text.contains(&format!("{{\"kind\":\"{kind}\"")),
                "{flag}: kind {kind} missing"
            );
        }
        assert!(text.contains("_hex"), "{text}");
    }
    let out = std::process::Command::new(&exe)
        .arg("--nope")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("unknown argument --nope") && err.contains("usage: decode"),
        "{err}"
    );
}
