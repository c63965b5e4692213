//! The Aliyun CA bundle uploaded to the bench's Quectel model through `Client::send` (its
//! `CONNECT` data phase, the model's own checksum of what it stored), listed, deleted; an
//! SSL context configured and read back. The model answers from its own grammar, written
//! from the manuals, not from the library.
#![allow(clippy::unwrap_used)]

use atmodem::aliyun::ca;
use atmodem::client::{Client, State};
use atmodem::dialects::quectel::{
    FILE_EXISTS, FILE_NOT_FOUND, Qfdel, Qflst, Qfupl, QsslCfg, QsslCfgQuery, QsslSetting,
    QsslSettingName, Quectel, SecLevel, SslVersion,
};
use atmodem::host::TokioDelay as Delay;
use atmodem_sim::transport::uart;
use atmodem_sim::{Family, ModemConfig, Platform, spawn_model};

#[tokio::test]
async fn upload_list_delete_the_ca() {
    let p = Platform::start().await.unwrap();
    let (io, module) = spawn_model(ModemConfig::new(Family::Quectel, p.host_map()));
    let mut state: State = State::new();
    let mut c: Client<_, _, Quectel> = Client::new(uart(io), Delay, &mut state);

    let up = Qfupl {
        name: ca::CA_FILE_UFS,
        data: ca::BUNDLE,
        timeout_secs: Some(10),
    };
    let report = c.send(&up).await.unwrap();
    assert_eq!(report.size, 4636);
    report.verify(ca::BUNDLE).unwrap();
    // The model stored exactly the bundle, under its UFS name.
    assert_eq!(module.file(ca::CA_FILE).unwrap(), ca::BUNDLE);

    // A second upload to the same name: +CME ERROR: 407, nothing sent after it.
    assert!(matches!(c.send(&up).await, Err(e) if e.cme_number() == Some(FILE_EXISTS)));

    let files = c.send(&Qflst { pattern: Some("*") }).await.unwrap();
    let listed: Vec<(String, u32)> = files.iter().map(|f| (f.name.into(), f.size)).collect();
    assert_eq!(listed, [(ca::CA_FILE.to_string(), 4636)]);
    let files = c
        .send(&Qflst {
            pattern: Some("UFS:*"),
        })
        .await
        .unwrap();
    assert_eq!(files.get(ca::CA_FILE_UFS).unwrap().size, 4636);

    c.send(&Qfdel {
        name: ca::CA_FILE_UFS,
    })
    .await
    .unwrap();
    assert!(module.file_names().is_empty());
    assert!(c.send(&Qflst { pattern: None }).await.unwrap().is_empty());
    assert!(matches!(
        c.send(&Qfdel { name: ca::CA_FILE }).await,
        Err(e) if e.cme_number() == Some(FILE_NOT_FOUND)
    ));
}

#[tokio::test]
async fn odd_sized_upload_and_binary_data() {
    let p = Platform::start().await.unwrap();
    let (io, module) = spawn_model(ModemConfig::new(Family::Quectel, p.host_map()));
    let mut state: State = State::new();
    let mut c: Client<_, _, Quectel> = Client::new(uart(io), Delay, &mut state);
    // Bytes a line reader would trip on: CR, LF, `OK`, a NUL, Ctrl-Z; odd length.
    let data = b"\r\nOK\r\n\x00\x1a+QFUPL: 1,0\r\n\xff";
    let report = c
        .send(&Qfupl {
            name: "key.bin",
            data,
            timeout_secs: None,
        })
        .await
        .unwrap();
    report.verify(data).unwrap();
    assert_eq!(module.file("key.bin").unwrap(), data);
}

#[tokio::test]
async fn configure_an_ssl_context() {
    let p = Platform::start().await.unwrap();
    let (io, _module) = spawn_model(ModemConfig::new(Family::Quectel, p.host_map()));
    let mut state: State = State::new();
    let mut c: Client<_, _, Quectel> = Client::new(uart(io), Delay, &mut state);
    let ctx = 2;
    let settings = [
        QsslSetting::SslVersion(SslVersion::Tls1_2),
        QsslSetting::CipherSuite(0xFFFF),
        QsslSetting::SecLevel(SecLevel::Server),
        QsslSetting::CaCert(ca::CA_FILE_UFS),
        QsslSetting::Sni(true),
        QsslSetting::IgnoreLocalTime(true),
        QsslSetting::NegotiateTime(120),
    ];
    for setting in settings {
        c.send(&QsslCfg { ctx, setting }).await.unwrap();
    }
    for setting in settings {
        let got = c
            .send(&QsslCfgQuery {
                ctx,
                name: setting.name(),
            })
            .await
            .unwrap();
        assert_eq!(got, setting);
    }
    // Another context keeps the module's defaults.
    let v = c
        .send(&QsslCfgQuery {
            ctx: 0,
            name: QsslSettingName::SslVersion,
        })
        .await
        .unwrap();
    assert_eq!(v, QsslSetting::SslVersion(SslVersion::All));
    let v = c
        .send(&QsslCfgQuery {
            ctx: 0,
            name: QsslSettingName::SecLevel,
        })
        .await
        .unwrap();
    assert_eq!(v, QsslSetting::SecLevel(SecLevel::None));
}

mod luat {
    use super::*;
    use atmodem::dialects::luat::{
        FsCreate, FsDel, FsFlSize, FsWrite, Luat, SSL_CTX_MQTT, SslCfg, SslCfgErase, SslCfgQuery,
        SslSetting, SslSettingName, WriteMode,
    };

    #[tokio::test]
    async fn write_the_ca_and_point_mqtt_at_it() {
        let p = Platform::start().await.unwrap();
        let (io, module) = spawn_model(ModemConfig::new(Family::Luat, p.host_map()));
        let mut state: State = State::new();
        let mut c: Client<_, _, Luat> = Client::new(uart(io), Delay, &mut state);
        let name = "aliyun_ca.crt";

        // Writing a file that was not created is refused.
        let write = |mode, data| FsWrite {
            name,
            mode,
            data,
            input_secs: 15,
        };
        assert!(c.send(&write(WriteMode::Start, ca::BUNDLE)).await.is_err());

        c.send(&FsCreate { name }).await.unwrap();
        // In two pieces, the second appended, through the `>` prompt.
        let (head, tail) = ca::BUNDLE.split_at(2000);
        c.send(&write(WriteMode::Start, head)).await.unwrap();
        c.send(&write(WriteMode::Append, tail)).await.unwrap();
        assert_eq!(c.send(&FsFlSize { name }).await.unwrap(), 4636);
        assert_eq!(module.file(name).unwrap(), ca::BUNDLE);

        let ctx = SSL_CTX_MQTT;
        let settings = [
            SslSetting::CaCert(name),
            SslSetting::SecLevel(SecLevel::Server),
            SslSetting::SslVersion(SslVersion::Tls1_2),
            SslSetting::CipherSuite(0xFFFF),
            SslSetting::Hostname("iot-06z00ax1o2vzvzz.mqtt.iothub.aliyuncs.com"),
            SslSetting::IgnoreLocalTime(false),
            SslSetting::NegotiateTimeout(60),
        ];
        for setting in settings {
            c.send(&SslCfg { ctx, setting }).await.unwrap();
        }
        for setting in settings {
            let got = c
                .send(&SslCfgQuery {
                    ctx,
                    name: setting.name(),
                })
                .await
                .unwrap();
            assert_eq!(got, setting);
        }
        // Erased, the CA path is empty again.
        c.send(&SslCfgErase {
            ctx,
            name: SslSettingName::CaCert,
        })
        .await
        .unwrap();
        let got = c
            .send(&SslCfgQuery {
                ctx,
                name: SslSettingName::CaCert,
            })
            .await
            .unwrap();
        assert_eq!(got, SslSetting::CaCert(""));

        c.send(&FsDel { name }).await.unwrap();
        assert!(module.file_names().is_empty());
        assert!(c.send(&FsFlSize { name }).await.is_err());
    }
}
