//! The root CAs Aliyun IoT's Link SDK trusts, as PEM text, ready to upload to a module
//! (Quectel [`Qfupl`](crate::dialects::quectel::Qfupl) with [`CA_FILE`], then
//! `AT+QSSLCFG="cacert",<ctx>,"UFS:aliyun_ca.pem"`).
//!
//! Source: Aliyun Link SDK C 4.2.0, `external/ali_ca_cert.c` (the `ali_ca_cert` string:
//! `GLOBAL_SIGN_R1`, `GLOBAL_SIGN_R6`, `ALIYUN_IOT_S1`, as mirrored in
//! `iotali/c_link_sdk_demo` at commit a9db2d3), its C string literals joined and its `\r\n`
//! line ends written as `\n`; the DER of each certificate is unchanged (the two GlobalSign
//! roots are byte for byte the ones of Mozilla's CA store). Link SDK 4.1 shipped
//! [`GLOBALSIGN_ROOT_CA`] alone.
//!
//! Which one a connection needs depends on the port: 8883 on the instance hosts
//! (`<instanceId>.mqtt.iothub.aliyuncs.com`) presents a chain to [`ALIYUN_IOT_ROOT_CA`];
//! 1883 and 443 present one to [`GLOBALSIGN_ROOT_CA`], which **expires on 2028-01-28**.
//! A module that takes one CA file gets [`BUNDLE`], all three.
//!
//! The supervisor uploads it itself when given
//! [`DeviceConfig::ca`](crate::device::DeviceConfig::ca) (`CaFile::new(CA_FILE, BUNDLE)`):
//! only when the module does not hold the same file already, since files survive reboots.
//!
//! ```
//! use atmodem::aliyun::ca;
//! assert!(ca::BUNDLE.starts_with(b"-----BEGIN CERTIFICATE-----\n"));
//! assert_eq!(
//!     ca::BUNDLE.len(),
//!     ca::GLOBALSIGN_ROOT_CA.len() + ca::GLOBALSIGN_ROOT_R6.len() + ca::ALIYUN_IOT_ROOT_CA.len()
//! );
//! assert_eq!(ca::CA_FILE_UFS, "UFS:aliyun_ca.pem");
//! ```

macro_rules! r1_pem {
    () => {
        "\
        -----BEGIN CERTIFICATE-----\n\
        MIIDdTCCAl2gAwIBAgILBAAAAAABFUtaw5QwDQYJKoZIhvcNAQEFBQAwVzELMAkG\n\
        A1UEBhMCQkUxGTAXBgNVBAoTEEdsb2JhbFNpZ24gbnYtc2ExEDAOBgNVBAsTB1Jv\n\
        b3QgQ0ExGzAZBgNVBAMTEkdsb2JhbFNpZ24gUm9vdCBDQTAeFw05ODA5MDExMjAw\n\
        MDBaFw0yODAxMjgxMjAwMDBaMFcxCzAJBgNVBAYTAkJFMRkwFwYDVQQKExBHbG9i\n\
        YWxTaWduIG52LXNhMRAwDgYDVQQLEwdSb290IENBMRswGQYDVQQDExJHbG9iYWxT\n\
        aWduIFJvb3QgQ0EwggEiMA0GCSqGSIb3DQEBAQUAA4IBDwAwggEKAoIBAQDaDuaZ\n\
        jc6j40+Kfvvxi4Mla+pIH/EqsLmVEQS98GPR4mdmzxzdzxtIK+6NiY6arymAZavp\n\
        xy0Sy6scTHAHoT0KMM0VjU/43dSMUBUc71DuxC73/OlS8pF94G3VNTCOXkNz8kHp\n\
        1Wrjsok6Vjk4bwY8iGlbKk3Fp1S4bInMm/k8yuX9ifUSPJJ4ltbcdG6TRGHRjcdG\n\
        snUOhugZitVtbNV4FpWi6cgKOOvyJBNPc1STE4U6G7weNLWLBYy5d4ux2x8gkasJ\n\
        U26Qzns3dLlwR5EiUWMWea6xrkEmCMgZK9FGqkjWZCrXgzT/LCrBbBlDSgeF59N8\n\
        9iFo7+ryUp9/k5DPAgMBAAGjQjBAMA4GA1UdDwEB/wQEAwIBBjAPBgNVHRMBAf8E\n\
        BTADAQH/MB0GA1UdDgQWBBRge2YaRQ2XyolQL30EzTSo//z9SzANBgkqhkiG9w0B\n\
        AQUFAAOCAQEA1nPnfE920I2/7LqivjTFKDK1fPxsnCwrvQmeU79rXqoRSLblCKOz\n\
        yj1hTdNGCbM+w6DjY1Ub8rrvrTnhQ7k4o+YviiY776BQVvnGCv04zcQLcFGUl5gE\n\
        38NflNUVyRRBnMRddWQVDf9VMOyGj/8N7yy5Y0b2qvzfvGn9LhJIZJrglfCm7ymP\n\
        AbEVtQwdpf5pLGkkeB6zpxxxYu7KyJesF12KwvhHhm4qxFYxldBniYUr+WymXUad\n\
        DKqC5JlR3XC321Y9YeRq4VzW9v493kHMB65jUr9TU/Qr6cf9tveCX4XSQRjbgbME\n\
        HMUfpIBvFSDJ3gyICh3WZlXi/EjJKSZp4A==\n\
        -----END CERTIFICATE-----\n\
        "
    };
}

macro_rules! r6_pem {
    () => {
        "\
        -----BEGIN CERTIFICATE-----\n\
        MIIFgzCCA2ugAwIBAgIORea7A4Mzw4VlSOb/RVEwDQYJKoZIhvcNAQEMBQAwTDE\n\
        gMB4GA1UECxMXR2xvYmFsU2lnbiBSb290IENBIC0gUjYxEzARBgNVBAoTCkdsb2\n\
        JhbFNpZ24xEzARBgNVBAMTCkdsb2JhbFNpZ24wHhcNMTQxMjEwMDAwMDAwWhcNM\n\
        zQxMjEwMDAwMDAwWjBMMSAwHgYDVQQLExdHbG9iYWxTaWduIFJvb3QgQ0EgLSBS\n\
        NjETMBEGA1UEChMKR2xvYmFsU2lnbjETMBEGA1UEAxMKR2xvYmFsU2lnbjCCAiI\n\
        wDQYJKoZIhvcNAQEBBQADggIPADCCAgoCggIBAJUH6HPKZvnsFMp7PPcNCPG0RQ\n\
        ssgrRIxutbPK6DuEGSMxSkb3/pKszGsIhrxbaJ0cay/xTOURQh7ErdG1rG1ofuT\n\
        ToVBu1kZguSgMpE3nOUTvOniX9PeGMIyBJQbUJmL025eShNUhqKGoC3GYEOfsSK\n\
        vGRMIRxDaNc9PIrFsmbVkJq3MQbFvuJtMgamHvm566qjuL++gmNQ0PAYid/kD3n\n\
        16qIfKtJwLnvnvJO7bVPiSHyMEAc4/2ayd2F+4OqMPKq0pPbzlUoSB239jLKJz9\n\
        CgYXfIWHSw1CM69106yqLbnQneXUQtkPGBzVeS+n68UARjNN9rkxi+azayOeSsJ\n\
        Da38O+2HBNXk7besvjihbdzorg1qkXy4J02oW9UivFyVm4uiMVRQkQVlO6jxTiW\n\
        m05OWgtH8wY2SXcwvHE35absIQh1/OZhFj931dmRl4QKbNQCTXTAFO39OfuD8l4\n\
        UoQSwC+n+7o/hbguyCLNhZglqsQY6ZZZZwPA1/cnaKI0aEYdwgQqomnUdnjqGBQ\n\
        Ce24DWJfncBZ4nWUx2OVvq+aWh2IMP0f/fMBH5hc8zSPXKbWQULHpYT9NLCEnFl\n\
        WQaYw55PfWzjMpYrZxCRXluDocZXFSxZba/jJvcE+kNb7gu3GduyYsRtYQUigAZ\n\
        cIN5kZeR1BonvzceMgfYFGM8KEyvAgMBAAGjYzBhMA4GA1UdDwEB/wQEAwIBBjA\n\
        PBgNVHRMBAf8EBTADAQH/MB0GA1UdDgQWBBSubAWjkxPioufi1xzWx/B/yGdToD\n\
        AfBgNVHSMEGDAWgBSubAWjkxPioufi1xzWx/B/yGdToDANBgkqhkiG9w0BAQwFA\n\
        AOCAgEAgyXt6NH9lVLNnsAEoJFp5lzQhN7craJP6Ed41mWYqVuoPId8AorRbrcW\n\
        c+ZfwFSY1XS+wc3iEZGtIxg93eFyRJa0lV7Ae46ZeBZDE1ZXs6KzO7V33EByrKP\n\
        rmzU+sQghoefEQzd5Mr6155wsTLxDKZmOMNOsIeDjHfrYBzN2VAAiKrlNIC5waN\n\
        rlU/yDXNOd8v9EDERm8tLjvUYAGm0CuiVdjaExUd1URhxN25mW7xocBFymFe944\n\
        Hn+Xds+qkxV/ZoVqW/hpvvfcDDpw+5CRu3CkwWJ+n1jez/QcYF8AOiYrg54NMMl\n\
        +68KnyBr3TsTjxKM4kEaSHpzoHdpx7Zcf4LIHv5YGygrqGytXm3ABdJ7t+uA/iU\n\
        3/gKbaKxCXcPu9czc8FB10jZpnOZ7BN9uBmm23goJSFmH63sUYHpkqmlD75HHTO\n\
        wY3WzvUy2MmeFe8nI+z1TIvWfspA9MRf/TuTAjB0yPEL+GltmZWrSZVxykzLsVi\n\
        VO6LAUP5MSeGbEYNNVMnbrt9x+vJJUEeKgDu+6B5dpffItKoZB0JaezPkvILFa9\n\
        x8jvOOJckvB595yEunQtYQEgfn7R8k8HWV+LLUNS60YMlOH1Zkd5d9VUWx+tJDf\n\
        LRVpOoERIyNiwmcUVhAn21klJwGW45hpxbqCo8YLoRT5s1gLXCmeDBVrJpBA=\n\
        -----END CERTIFICATE-----\n\
        "
    };
}

macro_rules! s1_pem {
    () => {
        "\
        -----BEGIN CERTIFICATE-----\n\
        MIID3zCCAsegAwIBAgISfiX6mTa5RMUTGSC3rQhnestIMA0GCSqGSIb3DQEBCwUA\n\
        MHcxCzAJBgNVBAYTAkNOMREwDwYDVQQIDAhaaGVqaWFuZzERMA8GA1UEBwwISGFu\n\
        Z3pob3UxEzARBgNVBAoMCkFsaXl1biBJb1QxEDAOBgNVBAsMB1Jvb3QgQ0ExGzAZ\n\
        BgNVBAMMEkFsaXl1biBJb1QgUm9vdCBDQTAgFw0yMzA3MDQwNjM2NThaGA8yMDUz\n\
        MDcwNDA2MzY1OFowdzELMAkGA1UEBhMCQ04xETAPBgNVBAgMCFpoZWppYW5nMREw\n\
        DwYDVQQHDAhIYW5nemhvdTETMBEGA1UECgwKQWxpeXVuIElvVDEQMA4GA1UECwwH\n\
        Um9vdCBDQTEbMBkGA1UEAwwSQWxpeXVuIElvVCBSb290IENBMIIBIjANBgkqhkiG\n\
        9w0BAQEFAAOCAQ8AMIIBCgKCAQEAoK//6vc2oXhnvJD7BVhj6grj7PMlN2N4iNH4\n\
        GBmLmMdkF1z9eQLjksYc4Zid/FX67ypWFtdycOei5ec0X00m53Gvy4zLGBo2uKgi\n\
        T9IxMudmt95bORZbaph4VK82gPNU4ewbiI1q2loRZEHRdyPORTPpvNLHu8DrYBnY\n\
        Vg5feEYLLyhxg5M1UTrT/30RggHpaa0BYIPxwsKyylQ1OskOsyZQeOyPe8t8r2D4\n\
        RBpUGc5ix4j537HYTKSyK3Hv57R7w1NzKtXoOioDOm+YySsz9sTLFajZkUcQci4X\n\
        aedyEeguDLAIUKiYicJhRCZWljVlZActorTgjCY4zRajodThrQIDAQABo2MwYTAO\n\
        BgNVHQ8BAf8EBAMCAQYwDwYDVR0TAQH/BAUwAwEB/zAdBgNVHQ4EFgQUkWHoKi2h\n\
        DlS1/rYpcT/Ue+aKhP8wHwYDVR0jBBgwFoAUkWHoKi2hDlS1/rYpcT/Ue+aKhP8w\n\
        DQYJKoZIhvcNAQELBQADggEBADrrLcBY7gDXN8/0KHvPbGwMrEAJcnF9z4MBxRvt\n\
        rEoRxhlvRZzPi7w/868xbipwwnksZsn0QNIiAZ6XzbwvIFG01ONJET+OzDy6ZqUb\n\
        YmJI09EOe9/Hst8Fac2D14Oyw0+6KTqZW7WWrP2TAgv8/Uox2S05pCWNfJpRZxOv\n\
        Lr4DZmnXBJCMNMY/X7xpcjylq+uCj118PBobfH9Oo+iAJ4YyjOLmX3bflKIn1Oat\n\
        vdJBtXCj3phpfuf56VwKxoxEVR818GqPAHnz9oVvye4sQqBp/2ynrKFxZKUaJtk0\n\
        7UeVbtecwnQTrlcpWM7ACQC0OO0M9+uNjpKIbksv1s11xu0=\n\
        -----END CERTIFICATE-----\n\
        "
    };
}

/// GlobalSign Root CA (R1): C=BE, O=GlobalSign nv-sa, OU=Root CA, CN=GlobalSign Root CA;
/// RSA 2048, SHA-1 signature; valid 1998-09-01 to **2028-01-28 12:00:00 UTC**. Link SDK's
/// `GLOBAL_SIGN_R1`, and the only CA of Link SDK 4.1: the chain of the 1883 and 443 ports
/// (old `<productKey>.iot-as-mqtt.<region>.aliyuncs.com` hosts and new instance hosts).
/// SHA-256 fingerprint of its DER
/// `EB:D4:10:40:E4:BB:3E:C7:42:C9:E3:81:D3:1E:F2:A4:1A:48:B6:68:5C:96:E7:CE:F3:C1:DF:6C:D4:33:1C:99`.
pub const GLOBALSIGN_ROOT_CA: &[u8] = r1_pem!().as_bytes();

/// GlobalSign Root CA - R6: OU=GlobalSign Root CA - R6, O=GlobalSign, CN=GlobalSign; RSA
/// 4096, SHA-384 signature; valid 2014-12-10 to 2034-12-10. Link SDK's `GLOBAL_SIGN_R6` (in
/// the bundle without a documented endpoint; its lines are wrapped at 61 to 63 characters,
/// as in the SDK). SHA-256 fingerprint of its DER
/// `2C:AB:EA:FE:37:D0:6C:A2:2A:BA:73:91:C0:03:3D:25:98:29:52:C4:53:64:73:49:76:3A:3A:B5:AD:6C:CF:69`.
pub const GLOBALSIGN_ROOT_R6: &[u8] = r6_pem!().as_bytes();

/// Aliyun IoT Root CA: C=CN, ST=Zhejiang, L=Hangzhou, O=Aliyun IoT, OU=Root CA, CN=Aliyun IoT
/// Root CA; RSA 2048, SHA-256 signature; valid 2023-07-04 to **2053-07-04 06:36:58 UTC**.
/// Link SDK's `ALIYUN_IOT_S1`, the platform's own self-signed root: the chain of port 8883
/// of the instance hosts (`<instanceId>.mqtt.iothub.aliyuncs.com`), the port Link SDK
/// recommends. SHA-256 fingerprint of its DER
/// `7C:A4:38:A3:97:6B:52:42:D2:31:F8:61:49:98:22:DA:85:58:31:38:27:35:83:6B:36:1E:7E:97:15:66:16:76`.
pub const ALIYUN_IOT_ROOT_CA: &[u8] = s1_pem!().as_bytes();

/// The three roots of Link SDK 4.2's `ali_ca_cert`, concatenated in its order
/// ([`GLOBALSIGN_ROOT_CA`], [`GLOBALSIGN_ROOT_R6`], [`ALIYUN_IOT_ROOT_CA`]): 4636 bytes.
pub const BUNDLE: &[u8] = concat!(r1_pem!(), r6_pem!(), s1_pem!()).as_bytes();

/// A file name for the CA bundle in the module's file system (the `name` of
/// [`Qfupl`](crate::dialects::quectel::Qfupl)).
pub const CA_FILE: &str = "aliyun_ca.pem";

/// The same file as the SSL commands address it
/// (`AT+QSSLCFG="cacert",<ctx>,"UFS:aliyun_ca.pem"`).
pub const CA_FILE_UFS: &str = "UFS:aliyun_ca.pem";
