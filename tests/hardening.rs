//! Inputs that must never reach the modem, or the logs, as given: data phases, escapes,
//! length limits, secrets in `Debug`, hostile JSON and the field names of the errors.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use atmodem::codec::EncodeError;
use atmodem::dialects::Command;
use atmodem::dialects::quectel::{PublishForm, QmtPublish};

fn ctrl_z_publish(payload: &[u8]) -> QmtPublish<'_> {
    QmtPublish {
        client: 0,
        msg_id: 0,
        qos: 0,
        retain: false,
        topic: "t",
        payload,
        form: PublishForm::CtrlZ,
    }
}

#[test]
fn ctrl_z_publish_refuses_esc_and_ctrl_z_naming_the_byte() {
    let mut buf = [0u8; 64];
    // ESC (0x1B) cancels the data after the prompt; 0x1A ends it early.
    assert_eq!(
        ctrl_z_publish(b"on\x1boff").encode(&mut buf),
        Err(EncodeError::ForbiddenByte {
            arg: "payload",
            byte: 0x1b
        })
    );
    assert_eq!(
        ctrl_z_publish(b"a\x1ab").encode(&mut buf),
        Err(EncodeError::ForbiddenByte {
            arg: "payload",
            byte: 0x1a
        })
    );
    let err = ctrl_z_publish(b"\x1b").encode(&mut buf).unwrap_err();
    assert!(err.to_string().contains("0x1B"), "{err}");
    // Other control bytes are data like any other.
    assert_eq!(
        ctrl_z_publish(b"a\r\nb\x00").encode(&mut buf).unwrap(),
        b"AT+QMTPUB=0,0,0,0,\"t\"\r"
    );
}
