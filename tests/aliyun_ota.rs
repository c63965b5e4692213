//! OTA: topics, the version/progress/firmware-get payloads, the upgrade notice, image
//! verification, the NOR flash sink and the resumable download plan.
//!
//! Expected texts are the platform's documented examples (Aliyun "OTA升级" Alink pages and
//! Link SDK C 4.2 `aiot_ota_api.c`, as quoted in the research notes); digests were computed
//! with python3 `hashlib`, never with the code under test.

use atmodem::aliyun::ota::{
    ByteRange, DigestMethod, Download, DownloadError, DownloadPlan, Firmware, FirmwareGetReply,
    FirmwareSink, NorFlashSink, OtaError, OtaField, PlanError, SinkError, Source, Step,
    UpgradeNotice, Verifier, VerifyError, write_firmware_get, write_progress, write_version_inform,
};
use atmodem::aliyun::thing::{Device, Downlink, ThingError, ThingTopic, Topic, classify};
use embassy_futures::block_on;
use embedded_storage_async::nor_flash::{ErrorType, NorFlash, NorFlashErrorKind, ReadNorFlash};
use proptest::prelude::*;

const PK: &str = "a1FlqIQabcd";
const DN: &str = "device1";

fn dev() -> Device<'static> {
    Device::new(PK, DN).unwrap()
}

fn topic(t: Topic<'_>) -> std::string::String {
    let mut s = ThingTopic::new();
    dev().topic(t, &mut s).unwrap();
    s.as_str().to_owned()
}

/// The test image: byte `i` is `(31 i + 7) mod 251`.
fn image(len: usize) -> Vec<u8> {
    (0..len).map(|i| ((i * 31 + 7) % 251) as u8).collect()
}

const IMAGE_LEN: u32 = 10_003;
// python3 -c "import hashlib;print(hashlib.md5(bytes((i*31+7)%251 for i in range(10003))).hexdigest())"
const IMAGE_MD5: &str = "899d4511453e88bf46a00b9a0905ee5b";
// python3 -c "import hashlib;print(hashlib.sha256(bytes((i*31+7)%251 for i in range(10003))).hexdigest())"
const IMAGE_SHA256: &str = "97bca0f60f3ced98e26182c53a0547b8217b61e4981a8bd4d1e507a1a3a3eacb";

/// A push for the test image (the documented push, with the test image's size and digest).
fn push_for(method: &str, sign: &str) -> std::string::String {
    format!(
        r#"{{"code":"1000","data":{{"size":{IMAGE_LEN},"version":"2.0.0","url":"https://ota.example/x.bin?Expires=1502955804","sign":"{sign}","signMethod":"{method}"}},"id":1626969597470,"message":"success"}}"#
    )
}

// ---------------------------------------------------------------------------------------
// Topics

#[test]
fn topics_match_the_documented_templates() {
    // "/ota/device/inform/${productKey}/${deviceName}", "/ota/device/upgrade/${productKey}/${deviceName}",
    // "/ota/device/progress/${productKey}/${deviceName}",
    // "/sys/${productKey}/${deviceName}/thing/ota/firmware/get" and "…/get_reply".
    let cases = [
        (Topic::OtaInform, "/ota/device/inform/a1FlqIQabcd/device1"),
        (Topic::OtaUpgrade, "/ota/device/upgrade/a1FlqIQabcd/device1"),
        (
            Topic::OtaProgress,
            "/ota/device/progress/a1FlqIQabcd/device1",
        ),
        (
            Topic::OtaFirmwareGet,
            "/sys/a1FlqIQabcd/device1/thing/ota/firmware/get",
        ),
        (
            Topic::OtaFirmwareGetReply,
            "/sys/a1FlqIQabcd/device1/thing/ota/firmware/get_reply",
        ),
    ];
    for (t, want) in cases {
        assert_eq!(topic(t), want);
        let mut buf = [0u8; 128];
        assert_eq!(dev().topic_into(t, &mut buf).unwrap(), want);
    }
}

#[test]
fn classify_routes_ota_downlinks() {
    let push = push_for("Md5", IMAGE_MD5);
    let t = topic(Topic::OtaUpgrade);
    let Downlink::OtaUpgrade(n) = classify(&dev(), t.as_bytes(), push.as_bytes()).unwrap() else {
        panic!("not an upgrade");
    };
    assert_eq!(n.firmware.version, "2.0.0");

    let t = topic(Topic::OtaFirmwareGetReply);
    // [D-ota-md]: no package ⇒ {"id":"123","code":200,"data":{}}
    let got = classify(
        &dev(),
        t.as_bytes(),
        br#"{"id":"123","code":200,"data":{}}"#,
    )
    .unwrap();
    assert_eq!(
        got,
        Downlink::OtaFirmwareGetReply(FirmwareGetReply {
            id: Some(123),
            code: Some(200),
            firmware: None
        })
    );

    // Errors come back typed, naming the field.
    assert_eq!(
        classify(
            &dev(),
            topic(Topic::OtaUpgrade).as_bytes(),
            br#"{"code":"1000","data":{"size":1}}"#
        ),
        Err(ThingError::Ota(OtaError::Missing {
            field: OtaField::Version,
            code: Some(1000)
        }))
    );

    // Another device, an extra level, the uplink topics: not ours (payload not read).
    for other in [
        "/ota/device/upgrade/a1FlqIQother/device1",
        "/ota/device/upgrade/a1FlqIQabcd/device1/x",
        "/ota/device/upgrade/a1FlqIQabcd",
        "/ota/device/inform/a1FlqIQabcd/device1",
        "/sys/a1FlqIQabcd/device1/thing/ota/firmware/get",
    ] {
        assert_eq!(
            classify(&dev(), other.as_bytes(), b"not json"),
            Ok(Downlink::Unknown),
            "{other}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// Uplink payloads

#[test]
fn version_inform_in_the_documented_form() {
    // [D-ota]: {"id":<n>, "params":{"version":"1.0.1","module":"MCU"}}; the docs give `id` as a string.
    let mut buf = [0u8; 128];
    assert_eq!(
        write_version_inform(123, "1.0.1", Some("MCU"), &mut buf).unwrap(),
        r#"{"id":"123","params":{"version":"1.0.1","module":"MCU"}}"#
    );
    // `module` omitted for the default module.
    assert_eq!(
        write_version_inform(123, "1.0.1", None, &mut buf).unwrap(),
        r#"{"id":"123","params":{"version":"1.0.1"}}"#
    );
    // Escaped, and the result is JSON serde_json agrees with.
    let text = write_version_inform(1, r#"v"1\2"#, None, &mut buf).unwrap();
    assert_eq!(text, r#"{"id":"1","params":{"version":"v\"1\\2"}}"#);
    let v: serde_json::Value = serde_json::from_str(text).unwrap();
    assert_eq!(v["params"]["version"], r#"v"1\2"#);

    for bad in ["", "1.0\n", "\u{7f}"] {
        assert_eq!(
            write_version_inform(1, bad, None, &mut buf),
            Err(OtaError::Invalid {
                field: OtaField::Version,
                code: None
            }),
            "{bad:?}"
        );
    }
    assert_eq!(
        write_version_inform(1, "1.0", Some(""), &mut buf),
        Err(OtaError::Invalid {
            field: OtaField::Module,
            code: None
        })
    );
    let full = r#"{"id":"123","params":{"version":"1.0.1"}}"#.len();
    assert_eq!(
        write_version_inform(123, "1.0.1", None, &mut buf[..full - 1]),
        Err(OtaError::Capacity)
    );
    assert!(write_version_inform(123, "1.0.1", None, &mut buf[..full]).is_ok());
}

#[test]
fn progress_in_the_documented_form() {
    // [D-ota-md] example, byte for byte:
    // {"id":"123","params":{"step":"-1","desc":"OTA升级失败，请求不到升级包信息。","module":"MCU"}}
    let mut buf = [0u8; 256];
    assert_eq!(
        write_progress(
            123,
            Step::UpgradeFailed,
            "OTA升级失败，请求不到升级包信息。",
            Some("MCU"),
            &mut buf
        )
        .unwrap(),
        r#"{"id":"123","params":{"step":"-1","desc":"OTA升级失败，请求不到升级包信息。","module":"MCU"}}"#
    );
    // -1 upgrade failed, -2 download failed, -3 verify failed, -4 flash write failed; 1…100 percent.
    for (step, text) in [
        (Step::UpgradeFailed, "-1"),
        (Step::DownloadFailed, "-2"),
        (Step::VerifyFailed, "-3"),
        (Step::FlashFailed, "-4"),
        (Step::Percent(0), "0"),
        (Step::Percent(5), "5"),
        (Step::Percent(100), "100"),
    ] {
        assert_eq!(
            write_progress(9, step, "", None, &mut buf).unwrap(),
            format!(r#"{{"id":"9","params":{{"step":"{text}","desc":""}}}}"#)
        );
    }
    assert_eq!(
        write_progress(9, Step::Percent(101), "", None, &mut buf),
        Err(OtaError::Invalid {
            field: OtaField::Step,
            code: None
        })
    );
    let text = write_progress(9, Step::VerifyFailed, "a\"b\\c\nd\u{1}", None, &mut buf).unwrap();
    let v: serde_json::Value = serde_json::from_str(text).unwrap();
    assert_eq!(v["params"]["desc"], "a\"b\\c\nd\u{1}");
}

#[test]
fn firmware_get_in_the_documented_form() {
    // [D-ota-md]: {"id":"123","version":"1.0","params":{"module":"MCU"},"method":"thing.ota.firmware.get"}
    let mut buf = [0u8; 128];
    assert_eq!(
        write_firmware_get(123, Some("MCU"), &mut buf).unwrap(),
        r#"{"id":"123","version":"1.0","params":{"module":"MCU"},"method":"thing.ota.firmware.get"}"#
    );
    // module omitted ⇒ default module
    assert_eq!(
        write_firmware_get(123, None, &mut buf).unwrap(),
        r#"{"id":"123","version":"1.0","params":{},"method":"thing.ota.firmware.get"}"#
    );
    assert_eq!(
        write_firmware_get(123, None, &mut buf[..20]),
        Err(OtaError::Capacity)
    );
}

// ---------------------------------------------------------------------------------------
// The upgrade notice

/// The documented push ([D-ota]), verbatim except for the digests, which the page elides
/// ("93230c3bde425a9d…"): they are completed to 32 hex digits here.
const DOC_PUSH: &str = r#"{"code":"1000","data":{"size":432945,"version":"2.0.0","isDiff":1,
  "url":"https://…/x.tar.gz?Expires=1502955804&OSSAccessKeyId=…&Signature=…&security-token=…",
  "md5":"93230c3bde425a9d7984a594ac55ea1e","digestsign":"A4WOP…","sign":"93230c3bde425a9d7984a594ac55ea1e","signMethod":"MD5",
  "module":"MCU","extData":{"key1":"value1","_package_udi":"{\"ota_notice\":\"…\"}"}},
 "id":1626969597470,"message":"success"}"#;

#[test]
fn documented_push_reads_every_field() {
    let n = UpgradeNotice::parse(DOC_PUSH.as_bytes()).unwrap();
    assert_eq!(n.id, Some(1626969597470));
    assert_eq!(n.code, Some(1000));
    assert_eq!(n.message, "success");
    let f = n.firmware;
    assert_eq!(f.size, 432945);
    assert_eq!(f.version, "2.0.0");
    assert!(f.is_diff);
    assert_eq!(f.sign_method, DigestMethod::Md5);
    assert_eq!(f.sign, "93230c3bde425a9d7984a594ac55ea1e");
    assert_eq!(f.md5, Some("93230c3bde425a9d7984a594ac55ea1e"));
    assert_eq!(f.digest_sign, Some("A4WOP…"));
    assert_eq!(f.module, Some("MCU"));
    assert_eq!(
        f.ext_data.unwrap().as_str(),
        r#"{"key1":"value1","_package_udi":"{\"ota_notice\":\"…\"}"}"#
    );
    let Source::Https(url) = f.source else {
        panic!("not https")
    };
    assert_eq!(
        url.expose(),
        "https://…/x.tar.gz?Expires=1502955804&OSSAccessKeyId=…&Signature=…&security-token=…"
    );
    assert_eq!(url.expires(), Some(1502955804));
    // The pre-signed URL never reaches Debug output.
    let debug = format!("{n:?}");
    assert!(!debug.contains("Signature"), "{debug}");
    assert!(!debug.contains("x.tar.gz"), "{debug}");
    // Borrowed from the input, not copied.
    let range = DOC_PUSH.as_bytes().as_ptr_range();
    assert!(range.contains(&f.version.as_ptr()));
    assert!(range.contains(&url.expose().as_ptr()));
}

#[test]
fn full_package_default_module_and_mqtt_download() {
    // A full package for the default module: no isDiff, no module, no md5.
    let push = push_for("SHA256", IMAGE_SHA256);
    let n = UpgradeNotice::parse(push.as_bytes()).unwrap();
    assert!(!n.firmware.is_diff);
    assert_eq!(n.firmware.module, None);
    assert_eq!(n.firmware.md5, None);
    assert_eq!(n.firmware.ext_data, None);
    // [D-ota] MQTT-download variant: no url; "dProtocol":"mqtt","streamId":1397345,"streamFileId":1
    let mqtt = format!(
        r#"{{"code":"1000","data":{{"size":1,"version":"2","sign":"{IMAGE_MD5}","signMethod":"Md5","dProtocol":"mqtt","streamId":1397345,"streamFileId":1}}}}"#
    );
    assert_eq!(
        UpgradeNotice::parse(mqtt.as_bytes())
            .unwrap()
            .firmware
            .source,
        Source::Mqtt {
            stream_id: 1397345,
            stream_file_id: Some(1)
        }
    );
    let no_stream = mqtt.replace(r#","streamId":1397345"#, "");
    assert_eq!(
        UpgradeNotice::parse(no_stream.as_bytes()),
        Err(OtaError::Missing {
            field: OtaField::StreamId,
            code: Some(1000)
        })
    );
}

#[test]
fn sign_method_is_compared_case_insensitively() {
    // Docs show "MD5" and "Md5"; Link SDK 4 accepts "SHA256"/"Sha256", 3.x "Sha256".
    for m in ["Md5", "MD5", "md5", "mD5"] {
        let push = push_for(m, IMAGE_MD5);
        let n = UpgradeNotice::parse(push.as_bytes()).unwrap();
        assert_eq!(n.firmware.sign_method, DigestMethod::Md5, "{m}");
    }
    for m in ["SHA256", "Sha256", "sha256"] {
        let push = push_for(m, IMAGE_SHA256);
        let n = UpgradeNotice::parse(push.as_bytes()).unwrap();
        assert_eq!(n.firmware.sign_method, DigestMethod::Sha256, "{m}");
    }
    for m in ["SHA1", "SHA-256", "", "Md5 "] {
        assert_eq!(
            UpgradeNotice::parse(push_for(m, IMAGE_MD5).as_bytes()),
            Err(OtaError::UnknownSignMethod { code: Some(1000) }),
            "{m:?}"
        );
    }
    // The sign must have the method's length: an MD5 digest under SHA256 is invalid.
    assert_eq!(
        UpgradeNotice::parse(push_for("SHA256", IMAGE_MD5).as_bytes()),
        Err(OtaError::Invalid {
            field: OtaField::Sign,
            code: Some(1000)
        })
    );
    // Hex either case.
    let upper = IMAGE_SHA256.to_ascii_uppercase();
    assert!(UpgradeNotice::parse(push_for("SHA256", &upper).as_bytes()).is_ok());
    let not_hex = format!("{}g", &IMAGE_MD5[..31]);
    assert!(UpgradeNotice::parse(push_for("Md5", &not_hex).as_bytes()).is_err());
}

#[test]
fn id_as_number_or_string_and_code_as_string_or_number() {
    let push = push_for("Md5", IMAGE_MD5);
    let as_string = push.replace("1626969597470", r#""1626969597470""#);
    assert_ne!(push, as_string);
    for p in [&push, &as_string] {
        assert_eq!(
            UpgradeNotice::parse(p.as_bytes()).unwrap().id,
            Some(1626969597470)
        );
    }
    let no_id = push.replace(r#","id":1626969597470"#, "");
    assert_eq!(UpgradeNotice::parse(no_id.as_bytes()).unwrap().id, None);
    let bad_id = push.replace("1626969597470", r#""x""#);
    assert_eq!(
        UpgradeNotice::parse(bad_id.as_bytes()),
        Err(OtaError::Invalid {
            field: OtaField::Id,
            code: Some(1000)
        })
    );
    // The overview page's example shows code 200 (a number).
    let code_200 = push.replace(r#""code":"1000""#, r#""code":200"#);
    assert_eq!(
        UpgradeNotice::parse(code_200.as_bytes()).unwrap().code,
        Some(200)
    );
}

#[test]
fn missing_fields_are_named_with_the_platform_code() {
    let push = push_for("Md5", IMAGE_MD5);
    for (cut, field) in [
        (
            r#""url":"https://ota.example/x.bin?Expires=1502955804","#,
            OtaField::Url,
        ),
        (r#""size":10003,"#, OtaField::Size),
        (
            r#""sign":"899d4511453e88bf46a00b9a0905ee5b","#,
            OtaField::Sign,
        ),
        (r#""version":"2.0.0","#, OtaField::Version),
        (r#","signMethod":"Md5""#, OtaField::SignMethod),
    ] {
        let p = push.replace(cut, "");
        assert_ne!(p, push, "{cut} not in the push");
        assert_eq!(
            UpgradeNotice::parse(p.as_bytes()),
            Err(OtaError::Missing {
                field,
                code: Some(1000)
            }),
            "{cut}"
        );
    }
    assert_eq!(
        UpgradeNotice::parse(br#"{"code":"9201","message":"x"}"#),
        Err(OtaError::Missing {
            field: OtaField::Data,
            code: Some(9201)
        })
    );
    // Wrong types.
    for (from, to, field) in [
        ("10003", r#""big""#, OtaField::Size),
        ("10003", "0", OtaField::Size),
        ("10003", "4294967296", OtaField::Size),
        (r#""2.0.0""#, "2", OtaField::Version),
        (r#""2.0.0""#, r#""""#, OtaField::Version),
    ] {
        let p = push.replacen(from, to, 1);
        assert_eq!(
            UpgradeNotice::parse(p.as_bytes()),
            Err(OtaError::Invalid {
                field,
                code: Some(1000)
            }),
            "{to}"
        );
    }
}

#[test]
fn firmware_get_reply_with_and_without_a_package() {
    // [D-ota-md]: {"id":"123","code":200,"data":{<same fields as the push data>}}
    let with = format!(
        r#"{{"id":"123","code":200,"data":{{"size":{IMAGE_LEN},"version":"2.0.0","url":"https://h/x","sign":"{IMAGE_SHA256}","signMethod":"SHA256","module":"MCU"}}}}"#
    );
    let r = FirmwareGetReply::parse(with.as_bytes()).unwrap();
    assert_eq!((r.id, r.code), (Some(123), Some(200)));
    let f = r.firmware.unwrap();
    assert_eq!(
        (f.size, f.version, f.module),
        (IMAGE_LEN, "2.0.0", Some("MCU"))
    );
    assert_eq!(
        FirmwareGetReply::parse(br#"{"id":"123","code":200,"data":{}}"#)
            .unwrap()
            .firmware,
        None
    );
    assert_eq!(
        FirmwareGetReply::parse(br#"{"id":"123","code":460,"message":"request parameter error"}"#),
        Err(OtaError::Missing {
            field: OtaField::Data,
            code: Some(460)
        })
    );
    assert_eq!(
        FirmwareGetReply::parse(br#"{"id":"123","code":200,"data":[]}"#),
        Err(OtaError::Invalid {
            field: OtaField::Data,
            code: Some(200)
        })
    );
}

#[test]
fn escaped_url_is_decoded_on_request() {
    let p = push_for("Md5", IMAGE_MD5).replace(
        "https://ota.example/x.bin?Expires=1502955804",
        r"https:\/\/ota.example\/x.bin?Expires=1502955804\u0026a=b",
    );
    let n = UpgradeNotice::parse(p.as_bytes()).unwrap();
    let Source::Https(url) = n.firmware.source else {
        panic!()
    };
    let mut buf = [0u8; 128];
    assert_eq!(
        url.unescape_into(&mut buf).unwrap(),
        "https://ota.example/x.bin?Expires=1502955804&a=b"
    );
    assert_eq!(url.unescape_into(&mut buf[..10]), Err(OtaError::Capacity));
}

#[test]
fn malformed_payloads_are_typed_errors() {
    let payload = OtaError::Invalid {
        field: OtaField::Payload,
        code: None,
    };
    for bad in [
        &b""[..],
        b"[]",
        b"{",
        b"{\"code\":\"1000\",\"data\":{}",
        b"{\"code\":\"1000\"}x",
        b"\xff\xfe",
        b"{\"code\":\"1000\",,}",
    ] {
        assert_eq!(UpgradeNotice::parse(bad), Err(payload), "{bad:?}");
    }
    let deep = format!(
        r#"{{"code":"1000","data":{}{}}}"#,
        "[".repeat(40),
        "]".repeat(40)
    );
    assert_eq!(
        UpgradeNotice::parse(deep.as_bytes()),
        Err(OtaError::TooDeep)
    );
    let large = format!(r#"{{"message":"{}"}}"#, "x".repeat(9000));
    assert_eq!(
        UpgradeNotice::parse(large.as_bytes()),
        Err(OtaError::TooLarge)
    );
    assert_eq!(
        FirmwareGetReply::parse(large.as_bytes()),
        Err(OtaError::TooLarge)
    );
}

// ---------------------------------------------------------------------------------------
// Verification

fn firmware_of(push: &str) -> Firmware<'_> {
    UpgradeNotice::parse(push.as_bytes()).unwrap().firmware
}

#[test]
fn streaming_digest_matches_python_hashlib() {
    let img = image(IMAGE_LEN as usize);
    for (method, sign) in [("Md5", IMAGE_MD5), ("SHA256", IMAGE_SHA256)] {
        for sign in [sign.to_owned(), sign.to_ascii_uppercase()] {
            let push = push_for(method, &sign);
            let fw = firmware_of(&push);
            for chunk in [1usize, 7, 64, 4096, IMAGE_LEN as usize] {
                let mut v = Verifier::for_firmware(&fw).unwrap();
                let mut at = 0u32;
                for c in img.chunks(chunk) {
                    v.update(at, c).unwrap();
                    at += c.len() as u32;
                }
                assert_eq!(v.fed(), IMAGE_LEN);
                assert_eq!(v.finish(), Ok(()), "{method} chunk {chunk}");
            }
        }
    }
}

#[test]
fn corrupted_short_or_long_images_never_verify() {
    let push = push_for("SHA256", IMAGE_SHA256);
    let fw = firmware_of(&push);
    let mut img = image(IMAGE_LEN as usize);
    img[5000] ^= 1;
    let mut v = Verifier::for_firmware(&fw).unwrap();
    v.update(0, &img).unwrap();
    assert_eq!(v.finish(), Err(VerifyError::Mismatch));

    // One byte short: never success, even though everything fed so far is right.
    let img = image(IMAGE_LEN as usize);
    let mut v = Verifier::for_firmware(&fw).unwrap();
    v.update(0, &img[..IMAGE_LEN as usize - 1]).unwrap();
    assert_eq!(
        v.clone().finish(),
        Err(VerifyError::Incomplete {
            fed: IMAGE_LEN - 1,
            size: IMAGE_LEN
        })
    );
    // Feeding the same bytes again is refused and leaves the digest alone.
    assert_eq!(
        v.update(0, &img[..10]),
        Err(VerifyError::OutOfOrder {
            expected: IMAGE_LEN - 1,
            got: 0
        })
    );
    assert_eq!(
        v.update(IMAGE_LEN - 1, &[img[IMAGE_LEN as usize - 1], 0]),
        Err(VerifyError::TooLong { size: IMAGE_LEN })
    );
    v.update(IMAGE_LEN - 1, &img[IMAGE_LEN as usize - 1..])
        .unwrap();
    assert_eq!(v.finish(), Ok(()));

    // The MD5 of the image under a wrong digest.
    let push = push_for("md5", "00000000000000000000000000000000");
    let mut v = Verifier::for_firmware(&firmware_of(&push)).unwrap();
    v.update(0, &img).unwrap();
    assert_eq!(v.finish(), Err(VerifyError::Mismatch));

    assert_eq!(
        Verifier::new(DigestMethod::Md5, IMAGE_SHA256, 1).err(),
        Some(VerifyError::BadSign)
    );
}

// ---------------------------------------------------------------------------------------
// A NOR flash: 4 KiB sectors, 8-byte write unit, checks every rule of the trait.

const SECTOR: usize = 4096;
const WORD: usize = 8;

struct MockFlash {
    mem: Vec<u8>,
    /// Bytes written since their sector was last erased.
    written: Vec<bool>,
    erases: Vec<(u32, u32)>,
    writes: usize,
    /// Fail the write call with this number (0-based), once.
    fail_write: Option<usize>,
}

impl MockFlash {
    fn new(capacity: usize) -> Self {
        Self {
            mem: vec![0x00; capacity],
            written: vec![false; capacity],
            erases: Vec::new(),
            writes: 0,
            fail_write: None,
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
        assert!(
            f.is_multiple_of(SECTOR) && t.is_multiple_of(SECTOR),
            "unaligned erase {f}..{t}"
        );
        assert!(
            f <= t && t <= self.mem.len(),
            "erase past capacity {f}..{t}"
        );
        self.mem[f..t].fill(0xFF);
        self.written[f..t].fill(false);
        self.erases.push((from, to));
        Ok(())
    }

    async fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), Self::Error> {
        let o = offset as usize;
        assert!(o.is_multiple_of(WORD), "unaligned write offset {o}");
        assert!(
            bytes.len().is_multiple_of(WORD),
            "unaligned write length {}",
            bytes.len()
        );
        assert!(o + bytes.len() <= self.mem.len(), "write past capacity");
        if self.fail_write == Some(self.writes) {
            self.fail_write = None;
            self.writes += 1;
            return Err(NorFlashErrorKind::Other);
        }
        self.writes += 1;
        for i in o..o + bytes.len() {
            assert!(!self.written[i], "byte {i} written twice");
            assert_eq!(self.mem[i], 0xFF, "byte {i} written unerased");
        }
        self.mem[o..o + bytes.len()].copy_from_slice(bytes);
        self.written[o..o + bytes.len()].fill(true);
        Ok(())
    }
}

#[test]
fn nor_sink_aligns_pads_with_ff_and_erases_whole_sectors() {
    let img = image(IMAGE_LEN as usize);
    for w in [8usize, 16, 64] {
        let flash = MockFlash::new(4 * SECTOR);
        let flash = block_on(async {
            match w {
                8 => write_image::<8>(flash, &img, 1000).await,
                16 => write_image::<16>(flash, &img, 1000).await,
                _ => write_image::<64>(flash, &img, 333).await,
            }
        });
        let mem = &flash.mem;
        // erase(0, 10003) widened to the three sectors 0..12288.
        assert_eq!(flash.erases, vec![(0, 3 * SECTOR as u32)]);
        assert_eq!(&mem[..IMAGE_LEN as usize], &img[..]);
        // The last word padded with 0xFF: 10003..10008.
        assert_eq!(&mem[10003..10008], &[0xFF; 5]);
        assert!(flash.written[..10008].iter().all(|w| *w));
        assert!(
            flash.written[10008..].iter().all(|w| !*w),
            "wrote past the image"
        );
        // The sector beyond the image was never erased (still 0x00).
        assert!(mem[3 * SECTOR..].iter().all(|b| *b == 0));
    }
}

async fn write_image<const W: usize>(flash: MockFlash, img: &[u8], chunk: usize) -> MockFlash {
    let mut sink = NorFlashSink::<_, W>::new(flash).unwrap();
    sink.erase(0, img.len() as u32).await.unwrap();
    let mut at = 0u32;
    for c in img.chunks(chunk) {
        sink.write(at, c).await.unwrap();
        at += c.len() as u32;
    }
    sink.finish().await.unwrap();
    assert_eq!(sink.write(at, b"x").await, Err(SinkError::Finished));
    sink.into_inner()
}

#[test]
fn nor_sink_refuses_what_does_not_fit_or_is_out_of_order() {
    block_on(async {
        assert!(matches!(
            NorFlashSink::<_, 12>::new(MockFlash::new(SECTOR)),
            Err(SinkError::Config)
        ));
        assert!(matches!(
            NorFlashSink::<_, 4>::new(MockFlash::new(SECTOR)),
            Err(SinkError::Config)
        ));
        let mut sink = NorFlashSink::<_, 8>::new(MockFlash::new(SECTOR)).unwrap();
        assert_eq!(sink.capacity(), SECTOR as u32);
        assert_eq!(
            sink.erase(0, SECTOR as u32 + 1).await,
            Err(SinkError::OutOfRange {
                end: 2 * SECTOR as u32,
                capacity: SECTOR as u32
            })
        );
        sink.erase(0, SECTOR as u32).await.unwrap();
        assert_eq!(
            sink.write(8, b"abc").await,
            Err(SinkError::OutOfOrder {
                expected: 0,
                got: 8
            })
        );
        // 4093 + 5 bytes pad to 4104 > 4096: refused before anything is written.
        let big = vec![1u8; SECTOR - 3];
        sink.write(0, &big).await.unwrap();
        assert_eq!(
            sink.write(SECTOR as u32 - 3, &[2u8; 5]).await,
            Err(SinkError::OutOfRange {
                end: SECTOR as u32 + 8,
                capacity: SECTOR as u32
            })
        );
        // Exactly filling it is fine (the padding of 4093 stays inside).
        sink.write(SECTOR as u32 - 3, &[2u8; 3]).await.unwrap();
        sink.finish().await.unwrap();
        let flash = sink.into_inner();
        assert_eq!(&flash.mem[SECTOR - 4..], &[1, 2, 2, 2]);

        // A flash error surfaces as SinkError::Flash.
        let mut flash = MockFlash::new(SECTOR);
        flash.fail_write = Some(0);
        let mut sink = NorFlashSink::<_, 8>::new(flash).unwrap();
        sink.erase(0, 16).await.unwrap();
        assert_eq!(
            sink.write(0, &[0u8; 8]).await,
            Err(SinkError::Flash(NorFlashErrorKind::Other))
        );
    });
}

// ---------------------------------------------------------------------------------------
// Download: plan + verifier + sink, driven the way an application does.

#[derive(Debug, PartialEq)]
enum Failure {
    Plan(PlanError),
    Verify(VerifyError),
    Sink(SinkError<NorFlashErrorKind>),
}

/// A server that drops the link after `cut` more bytes, once per entry of `cuts`.
struct Server<'a> {
    image: &'a [u8],
    cuts: Vec<usize>,
    requests: usize,
}

impl Server<'_> {
    /// Fill `buf` with `range`; `false` if the link dropped midway (part of `buf` filled).
    fn fetch(&mut self, range: ByteRange, buf: &mut [u8]) -> bool {
        self.requests += 1;
        let src = &self.image[range.offset as usize..range.end() as usize];
        match self.cuts.first().copied() {
            Some(cut) if cut < src.len() => {
                self.cuts.remove(0);
                buf[..cut].copy_from_slice(&src[..cut]);
                false
            }
            Some(cut) => {
                self.cuts[0] = cut - src.len();
                buf[..src.len()].copy_from_slice(src);
                true
            }
            None => {
                buf[..src.len()].copy_from_slice(src);
                true
            }
        }
    }
}

async fn download<const W: usize>(
    fw: &Firmware<'_>,
    sink: &mut NorFlashSink<MockFlash, W>,
    server: &mut Server<'_>,
    chunk: u32,
    retries: u8,
    steps: &mut Vec<u8>,
) -> Result<(), Failure> {
    let mut plan =
        DownloadPlan::new(fw.size, chunk, sink.capacity(), retries).map_err(Failure::Plan)?;
    let mut check = Verifier::for_firmware(fw).map_err(Failure::Verify)?;
    sink.erase(0, fw.size).await.map_err(Failure::Sink)?;
    let mut buf = vec![0u8; chunk as usize];
    while let Some(r) = plan.next_range() {
        if !server.fetch(r, &mut buf) {
            plan.fail().map_err(Failure::Plan)?;
            continue;
        }
        let data = &buf[..r.len as usize];
        sink.write(r.offset, data).await.map_err(Failure::Sink)?;
        check.update(r.offset, data).map_err(Failure::Verify)?;
        plan.accept(r).map_err(Failure::Plan)?;
        steps.push(plan.percent());
    }
    sink.finish().await.map_err(Failure::Sink)?;
    check.finish().map_err(Failure::Verify)
}

#[test]
fn resume_after_a_mid_image_failure_ends_with_the_right_digest() {
    let img = image(IMAGE_LEN as usize);
    let push = push_for("Md5", IMAGE_MD5);
    let fw = firmware_of(&push);
    let mut server = Server {
        image: &img,
        // Drop after 2500 bytes (452 bytes into the third 1 KiB chunk), then at once
        // on the restart, then 5052 bytes later (956 bytes into the seventh chunk).
        cuts: vec![2500, 0, 5052],
        requests: 0,
    };
    let mut sink = NorFlashSink::<_, 16>::new(MockFlash::new(4 * SECTOR)).unwrap();
    let mut steps = Vec::new();
    block_on(download(&fw, &mut sink, &mut server, 1024, 3, &mut steps)).unwrap();
    // 10 chunks + 3 failed requests.
    assert_eq!(server.requests, 13);
    assert_eq!(steps.first(), Some(&10)); // 1024 * 100 / 10003
    assert_eq!(steps.last(), Some(&100));
    assert!(steps.windows(2).all(|w| w[0] <= w[1]));
    let flash = sink.into_inner();
    assert_eq!(&flash.mem[..img.len()], &img[..]);
}

#[test]
fn corrupted_download_is_a_verify_error() {
    let mut img = image(IMAGE_LEN as usize);
    img[9999] = img[9999].wrapping_add(1);
    let push = push_for("Sha256", IMAGE_SHA256);
    let fw = firmware_of(&push);
    let mut server = Server {
        image: &img,
        cuts: vec![],
        requests: 0,
    };
    let mut sink = NorFlashSink::<_, 8>::new(MockFlash::new(4 * SECTOR)).unwrap();
    assert_eq!(
        block_on(download(
            &fw,
            &mut sink,
            &mut server,
            4096,
            0,
            &mut Vec::new()
        )),
        Err(Failure::Verify(VerifyError::Mismatch))
    );
}

#[test]
fn oversize_image_is_refused_before_anything_starts() {
    let img = image(IMAGE_LEN as usize);
    let push = push_for("Md5", IMAGE_MD5);
    let fw = firmware_of(&push);
    let mut server = Server {
        image: &img,
        cuts: vec![],
        requests: 0,
    };
    // Two sectors: 8192 < 10003.
    let mut sink = NorFlashSink::<_, 8>::new(MockFlash::new(2 * SECTOR)).unwrap();
    assert_eq!(
        block_on(download(
            &fw,
            &mut sink,
            &mut server,
            1024,
            3,
            &mut Vec::new()
        )),
        Err(Failure::Plan(PlanError::TooLarge {
            size: IMAGE_LEN,
            capacity: 2 * SECTOR as u32
        }))
    );
    assert_eq!(server.requests, 0);
    let flash = sink.into_inner();
    assert!(flash.erases.is_empty());
    assert_eq!(flash.writes, 0);
}

#[test]
fn retries_are_bounded_per_range() {
    let img = image(IMAGE_LEN as usize);
    let push = push_for("Md5", IMAGE_MD5);
    let fw = firmware_of(&push);
    let mut server = Server {
        image: &img,
        // The second chunk fails three times in a row; two retries are allowed.
        cuts: vec![1024 + 10, 0, 0],
        requests: 0,
    };
    let mut sink = NorFlashSink::<_, 8>::new(MockFlash::new(4 * SECTOR)).unwrap();
    assert_eq!(
        block_on(download(
            &fw,
            &mut sink,
            &mut server,
            1024,
            2,
            &mut Vec::new()
        )),
        Err(Failure::Plan(PlanError::RetriesExhausted { offset: 1024 }))
    );
    // With three allowed it gets through: the count is per range, reset by progress.
    let mut server = Server {
        image: &img,
        cuts: vec![1024 + 10, 0, 0, 1024 + 5, 0, 0],
        requests: 0,
    };
    let mut sink = NorFlashSink::<_, 8>::new(MockFlash::new(4 * SECTOR)).unwrap();
    block_on(download(
        &fw,
        &mut sink,
        &mut server,
        1024,
        3,
        &mut Vec::new(),
    ))
    .unwrap();
}

#[test]
fn plan_ranges_progress_and_misuse() {
    let mut plan = DownloadPlan::new(10, 4, 10, 1).unwrap();
    assert_eq!(plan.rest(), Some(ByteRange { offset: 0, len: 10 }));
    let r = plan.next_range().unwrap();
    assert_eq!((r.offset, r.last()), (0, 3)); // Range: bytes=0-3
    plan.accept(r).unwrap();
    assert_eq!(plan.accept(r), Err(PlanError::Unexpected));
    plan.accept(ByteRange { offset: 4, len: 4 }).unwrap();
    assert_eq!(plan.percent(), 80);
    assert_eq!(plan.next_range(), Some(ByteRange { offset: 8, len: 2 }));
    plan.accept(ByteRange { offset: 8, len: 2 }).unwrap();
    assert!(plan.is_complete());
    assert_eq!((plan.next_range(), plan.rest()), (None, None));
    assert_eq!(plan.fail(), Err(PlanError::Complete));
    assert_eq!(
        plan.accept(ByteRange { offset: 10, len: 1 }),
        Err(PlanError::Complete)
    );
    assert_eq!(DownloadPlan::new(0, 4, 10, 1), Err(PlanError::Empty));
    assert_eq!(DownloadPlan::new(4, 0, 10, 1), Err(PlanError::Empty));
    // Percent of a 4 GiB image does not overflow.
    let mut big = DownloadPlan::new(u32::MAX, u32::MAX - 1, u32::MAX, 0).unwrap();
    big.accept(big.next_range().unwrap()).unwrap();
    assert_eq!(big.percent(), 99);
}

// ---------------------------------------------------------------------------------------
// The same through `Download`

type Dl = Result<(), DownloadError<SinkError<NorFlashErrorKind>>>;

/// Runs `Download` over `server`, collecting the progress reports (every 5 %).
async fn run_download<const W: usize>(
    fw: &Firmware<'_>,
    sink: &mut NorFlashSink<MockFlash, W>,
    server: &mut Server<'_>,
    chunk: u32,
    retries: u8,
    reports: &mut Vec<Step>,
) -> Dl {
    let fail = |e: DownloadError<_>, reports: &mut Vec<Step>| {
        reports.push(e.step());
        Err(e)
    };
    let mut dl = match Download::start(fw, chunk, retries, sink).await {
        Ok(dl) => dl,
        Err(e) => return fail(e, reports),
    };
    let mut buf = vec![0u8; chunk as usize];
    while let Some(r) = dl.next_range() {
        if let Some(step) = dl.progress_due(5) {
            reports.push(step);
        }
        if !server.fetch(r, &mut buf) {
            if let Err(e) = dl.fail() {
                return fail(DownloadError::Plan(e), reports);
            }
            continue;
        }
        if let Err(e) = dl.accept(sink, r, &buf[..r.len as usize]).await {
            return fail(e, reports);
        }
    }
    if let Some(step) = dl.progress_due(5) {
        reports.push(step);
    }
    match dl.finish(sink).await {
        Ok(()) => Ok(()),
        Err(e) => fail(e, reports),
    }
}

#[test]
fn download_resumes_and_reports_progress() {
    let img = image(IMAGE_LEN as usize);
    let push = push_for("Md5", IMAGE_MD5);
    let fw = firmware_of(&push);
    let mut server = Server {
        image: &img,
        cuts: vec![2500, 0, 5052],
        requests: 0,
    };
    let mut sink = NorFlashSink::<_, 16>::new(MockFlash::new(4 * SECTOR)).unwrap();
    let mut reports = Vec::new();
    block_on(run_download(
        &fw,
        &mut sink,
        &mut server,
        1024,
        3,
        &mut reports,
    ))
    .unwrap();
    // 100 * (1024 k) / 10003 for k = 1..9, rounded down, each ≥ 5 above the last; then 100.
    let want: Vec<Step> = [0, 10, 20, 30, 40, 51, 61, 71, 81, 92, 100]
        .into_iter()
        .map(Step::Percent)
        .collect();
    assert_eq!(reports, want);
    assert_eq!(&sink.into_inner().mem[..img.len()], &img[..]);
}

#[test]
fn download_failures_map_to_the_documented_steps() {
    let img = image(IMAGE_LEN as usize);
    let push = push_for("SHA256", IMAGE_SHA256);
    let fw = firmware_of(&push);
    let last = |r: &Vec<Step>| r.last().map(|s| s.code());

    // Too large: -1, the flash untouched.
    let mut server = Server {
        image: &img,
        cuts: vec![],
        requests: 0,
    };
    let mut sink = NorFlashSink::<_, 8>::new(MockFlash::new(2 * SECTOR)).unwrap();
    let mut reports = Vec::new();
    let r = block_on(run_download(
        &fw,
        &mut sink,
        &mut server,
        1024,
        0,
        &mut reports,
    ));
    assert_eq!(
        r,
        Err(DownloadError::Plan(PlanError::TooLarge {
            size: IMAGE_LEN,
            capacity: 8192
        }))
    );
    assert_eq!(last(&reports), Some(-1));
    let flash = sink.into_inner();
    assert!(flash.erases.is_empty() && flash.writes == 0 && server.requests == 0);

    // Retries exhausted: -2.
    let mut server = Server {
        image: &img,
        cuts: vec![10, 0],
        requests: 0,
    };
    let mut sink = NorFlashSink::<_, 8>::new(MockFlash::new(4 * SECTOR)).unwrap();
    let mut reports = Vec::new();
    let r = block_on(run_download(
        &fw,
        &mut sink,
        &mut server,
        1024,
        1,
        &mut reports,
    ));
    assert_eq!(
        r,
        Err(DownloadError::Plan(PlanError::RetriesExhausted {
            offset: 0
        }))
    );
    assert_eq!(last(&reports), Some(-2));

    // Corrupted on the wire: -3.
    let mut bad = img.clone();
    bad[1] ^= 0x80;
    let mut server = Server {
        image: &bad,
        cuts: vec![],
        requests: 0,
    };
    let mut sink = NorFlashSink::<_, 8>::new(MockFlash::new(4 * SECTOR)).unwrap();
    let mut reports = Vec::new();
    let r = block_on(run_download(
        &fw,
        &mut sink,
        &mut server,
        1024,
        0,
        &mut reports,
    ));
    assert_eq!(r, Err(DownloadError::Verify(VerifyError::Mismatch)));
    assert_eq!(last(&reports), Some(-3));

    // The flash fails on its third write: -4.
    let mut flash = MockFlash::new(4 * SECTOR);
    flash.fail_write = Some(2);
    let mut server = Server {
        image: &img,
        cuts: vec![],
        requests: 0,
    };
    let mut sink = NorFlashSink::<_, 1024>::new(flash).unwrap();
    let mut reports = Vec::new();
    let r = block_on(run_download(
        &fw,
        &mut sink,
        &mut server,
        1024,
        0,
        &mut reports,
    ));
    assert_eq!(
        r,
        Err(DownloadError::Sink(SinkError::Flash(
            NorFlashErrorKind::Other
        )))
    );
    assert_eq!(last(&reports), Some(-4));
}

#[test]
fn download_refuses_partial_or_foreign_chunks() {
    let img = image(IMAGE_LEN as usize);
    let push = push_for("SHA256", IMAGE_SHA256);
    let fw = firmware_of(&push);
    let mut sink = NorFlashSink::<_, 8>::new(MockFlash::new(4 * SECTOR)).unwrap();
    block_on(async {
        let mut dl = Download::start(&fw, 1024, 0, &mut sink).await.unwrap();
        let r = dl.next_range().unwrap();
        let unexpected = Err(DownloadError::Plan(PlanError::Unexpected));
        // Half a chunk, the wrong range, a chunk twice: refused, nothing written.
        assert_eq!(dl.accept(&mut sink, r, &img[..512]).await, unexpected);
        let later = ByteRange {
            offset: 1024,
            len: 1024,
        };
        assert_eq!(
            dl.accept(&mut sink, later, &img[1024..2048]).await,
            unexpected
        );
        dl.accept(&mut sink, r, &img[..1024]).await.unwrap();
        assert_eq!(dl.accept(&mut sink, r, &img[..1024]).await, unexpected);
        // Finishing early never verifies.
        assert_eq!(
            dl.finish(&mut sink).await,
            Err(DownloadError::Verify(VerifyError::Incomplete {
                fed: 1024,
                size: IMAGE_LEN
            }))
        );
    });
    // Only the one accepted chunk reached the flash (128 words through an 8-byte block).
    assert_eq!(sink.into_inner().writes, 128);
}

// ---------------------------------------------------------------------------------------
// Properties

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn parsers_never_panic_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = UpgradeNotice::parse(&bytes);
        let _ = FirmwareGetReply::parse(&bytes);
        let _ = classify(&dev(), topic(Topic::OtaUpgrade).as_bytes(), &bytes);
        let _ = classify(&dev(), topic(Topic::OtaFirmwareGetReply).as_bytes(), &bytes);
        let _ = classify(&dev(), &bytes, &bytes);
    }

    #[test]
    fn parsers_never_panic_on_mutated_pushes(
        cut in 0usize..700,
        at in 0usize..700,
        byte in any::<u8>(),
    ) {
        let mut p = DOC_PUSH.as_bytes().to_vec();
        let i = at % p.len();
        p[i] = byte;
        p.truncate(cut.max(1).min(p.len()));
        if let Ok(n) = UpgradeNotice::parse(&p) {
            // Whatever reads, reads consistently.
            prop_assert!(n.firmware.size > 0);
            prop_assert_eq!(n.firmware.sign.len(), n.firmware.sign_method.digest_len() * 2);
            if let Source::Https(url) = n.firmware.source {
                let mut buf = [0u8; 256];
                let _ = url.unescape_into(&mut buf);
                let _ = url.expires();
            }
        }
        let _ = FirmwareGetReply::parse(&p);
    }

    #[test]
    fn resume_at_random_failure_points_ends_with_the_right_digest(
        chunk in 1u32..3000,
        cuts in proptest::collection::vec(0usize..12_000, 0..6),
        sha in any::<bool>(),
    ) {
        let img = image(IMAGE_LEN as usize);
        let push = if sha { push_for("SHA256", IMAGE_SHA256) } else { push_for("MD5", IMAGE_MD5) };
        let fw = firmware_of(&push);
        let mut server = Server { image: &img, cuts: cuts.clone(), requests: 0 };
        let mut sink = NorFlashSink::<_, 32>::new(MockFlash::new(4 * SECTOR)).unwrap();
        let retries = u8::try_from(cuts.len()).unwrap();
        let r = block_on(download(&fw, &mut sink, &mut server, chunk, retries, &mut Vec::new()));
        prop_assert_eq!(r, Ok(()));
        let flash = sink.into_inner();
        prop_assert_eq!(&flash.mem[..img.len()], &img[..]);
        prop_assert!(flash.mem[img.len()..img.len().next_multiple_of(WORD)].iter().all(|b| *b == 0xFF));
    }
}
