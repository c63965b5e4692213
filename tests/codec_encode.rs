//! Command encoding: exact bytes for each form, argument kinds, and every rejection.
#![allow(clippy::unwrap_used)]

use atmodem::codec::{CommandWriter, EncodeError};

fn enc(f: impl FnOnce(&mut CommandWriter<'_>), name: &str) -> Result<Vec<u8>, EncodeError> {
    let mut buf = [0u8; 128];
    let mut w = CommandWriter::new(&mut buf, name);
    f(&mut w);
    w.finish().map(<[u8]>::to_vec)
}

#[test]
fn forms() {
    assert_eq!(enc(|_| {}, "").unwrap(), b"AT\r");
    assert_eq!(enc(|_| {}, "E0").unwrap(), b"ATE0\r");
    assert_eq!(enc(|_| {}, "+CSQ").unwrap(), b"AT+CSQ\r");
    assert_eq!(
        enc(
            |w| {
                w.read();
            },
            "+CEREG"
        )
        .unwrap(),
        b"AT+CEREG?\r"
    );
    assert_eq!(
        enc(
            |w| {
                w.test();
            },
            "+QMTOPEN"
        )
        .unwrap(),
        b"AT+QMTOPEN=?\r"
    );
}

#[test]
fn arguments_as_in_the_seeds() {
    // Seed B: AT+QICSGP=1,3,"","","",0
    let out = enc(
        |w| {
            w.uint(1)
                .uint(3)
                .string("apn", "")
                .string("username", "")
                .string("password", "")
                .uint(0);
        },
        "+QICSGP",
    );
    assert_eq!(out.unwrap(), b"AT+QICSGP=1,3,\"\",\"\",\"\",0\r");
    // Seed B: AT+QMTCFG="ssl",0,1,2
    let out = enc(
        |w| {
            w.string("name", "ssl").uint(0).uint(1).uint(2);
        },
        "+QMTCFG",
    );
    assert_eq!(out.unwrap(), b"AT+QMTCFG=\"ssl\",0,1,2\r");
    // Seed A: AT+SAPBR=3,1,"CONTYPE","GPRS"
    let out = enc(
        |w| {
            w.uint(3)
                .uint(1)
                .string("tag", "CONTYPE")
                .string("value", "GPRS");
        },
        "+SAPBR",
    );
    assert_eq!(out.unwrap(), b"AT+SAPBR=3,1,\"CONTYPE\",\"GPRS\"\r");
}

#[test]
fn signed_and_extreme_integers() {
    let out = enc(
        |w| {
            w.int(-1).int(0).int(i64::MIN).uint(u64::MAX);
        },
        "+X",
    );
    assert_eq!(
        out.unwrap(),
        b"AT+X=-1,0,-9223372036854775808,18446744073709551615\r".to_vec()
    );
}

#[test]
fn optional_arguments() {
    // Skipped in the middle: empty field; trailing: dropped.
    let out = enc(
        |w| {
            w.uint(1)
                .skip()
                .uint(3)
                .opt_uint(None)
                .opt_string("x", None);
        },
        "+X",
    );
    assert_eq!(out.unwrap(), b"AT+X=1,,3\r");
    let out = enc(
        |w| {
            w.opt_uint(None).uint(2);
        },
        "+X",
    );
    assert_eq!(out.unwrap(), b"AT+X=,2\r");
    let out = enc(
        |w| {
            w.opt_uint(Some(7)).opt_string("t", Some("a"));
        },
        "+X",
    );
    assert_eq!(out.unwrap(), b"AT+X=7,\"a\"\r");
}

#[test]
fn injection_is_rejected_naming_the_argument() {
    for bad in [
        "a\"b",
        "a\rAT+CFUN=0",
        "x\n",
        "\u{1}",
        "\u{7f}",
        "\"",
        "ab\0",
    ] {
        let out = enc(
            |w| {
                w.uint(0).string("topic", bad).uint(1);
            },
            "+QMTSUB",
        );
        assert_eq!(out, Err(EncodeError::InvalidArgument("topic")), "{bad:?}");
    }
    let out = enc(
        |w| {
            w.token("server", "a,b");
        },
        "+MIPSTART",
    );
    assert_eq!(out, Err(EncodeError::InvalidArgument("server")));
    // The first error wins.
    let out = enc(
        |w| {
            w.string("first", "\"").string("second", "\"");
        },
        "+X",
    );
    assert_eq!(out, Err(EncodeError::InvalidArgument("first")));
}

#[test]
fn utf8_text_is_allowed_in_strings() {
    let out = enc(
        |w| {
            w.string("t", "温度");
        },
        "+X",
    );
    assert_eq!(out.unwrap(), "AT+X=\"温度\"\r".as_bytes());
}

#[test]
fn luat_mpub_escapes() {
    // Luat AT+MPUB: `"` → \22, CR → \0D, LF → \0A, `\` → \5C.
    let out = enc(
        |w| {
            w.escaped(b"{\"a\":\"b\\c\"}\r\n");
        },
        "+MPUB",
    );
    assert_eq!(
        out.unwrap(),
        b"AT+MPUB=\"{\\22a\\22:\\22b\\5Cc\\22}\\0D\\0A\"\r".to_vec()
    );
}

#[test]
fn full_buffer_is_an_error_never_a_truncated_command() {
    for cap in 0..=11 {
        let mut buf = vec![0u8; cap];
        let mut w = CommandWriter::new(&mut buf, "+CSQ");
        w.uint(12);
        // "AT+CSQ=12\r" is 10 bytes.
        let r = w.finish();
        if cap >= 10 {
            assert_eq!(r.unwrap(), b"AT+CSQ=12\r");
        } else {
            assert_eq!(r, Err(EncodeError::BufferFull), "capacity {cap}");
        }
    }
}

#[test]
fn integers_of_every_size_are_written_in_decimal() {
    // Around the 32-bit boundary, the billion boundary and the top of u64.
    for v in [
        0u64,
        9,
        10,
        999_999_999,
        1_000_000_000,
        4_294_967_295,
        4_294_967_296,
        10_000_000_001,
        1_681_363_292_898,
        999_999_999_999_999_999,
        10_000_000_000_000_000_000,
        u64::MAX,
    ] {
        let mut buf = [0u8; 32];
        let mut w = atmodem::codec::CommandWriter::new(&mut buf, "+X");
        w.uint(v);
        let line = w.finish().unwrap();
        assert_eq!(line, format!("AT+X={v}\r").as_bytes(), "{v}");
    }
}
