//! The certificate check of the TLS step: the CA file the SSL context trusts is uploaded
//! only when the module does not hold it already. Files live in the module's flash and
//! survive reboots, so a bring-up after a reboot finds the file and sends nothing but the
//! check.
//!
//! The check, per family (lifecycle-tls-simcom research §3.2, §3.3):
//!
//! - **Quectel**: `AT+QFLST="<name>"` (name and size, cheap); when the size is the data's,
//!   the content is read back (`AT+QFOPEN="<name>",2`, `AT+QFREAD=<fh>,<len>` in chunks of
//!   [`CA_CHUNK`] bytes, `AT+QFCLOSE`) and compared byte for byte. Missing: `AT+QFUPL`;
//!   different: `AT+QFDEL`, then `AT+QFUPL`; the upload's `+QFUPL: <size>,<checksum>` is
//!   checked against the data. Then `AT+QSSLCFG="cacert",<ctx>,"UFS:<name>"` and
//!   `"seclevel",<ctx>,1`.
//! - **Luat**: `AT+FSFLSIZE="<name>"` (an error: missing); when the size is the data's, the
//!   content is read back (`AT+FSREAD="<name>",1,<len>,<pos>` in chunks) and compared.
//!   Missing: `AT+FSCREATE` and `AT+FSWRITE`; different: `AT+FSDEL` first. Then
//!   `AT+SSLCFG="cacert",88,"<name>"` and `"seclevel",88,1` (88: the MQTT context).

use embedded_hal_async::delay::DelayNs;
use embedded_io_async::{Read, Write};

use crate::client::{Client, Error};
use crate::dialects::luat::{
    FsCreate, FsDel, FsFlSize, FsRead, FsWrite, Luat, MAX_FS_WRITE, SSL_CTX_MQTT, SslCfg,
    SslSetting, WriteMode,
};
use crate::dialects::quectel::{
    FILE_EXISTS, FILE_NOT_FOUND, OpenMode, Qfclose, Qfdel, Qflst, Qfopen, Qfread, Qfupl, QsslCfg,
    QsslSetting, Quectel,
};

/// Bytes read back per command when the content is compared (a buffer of this size lives in
/// the step's future).
pub const CA_CHUNK: usize = 256;

/// The CA certificate the TLS step keeps in the module's file system, and that the MQTT
/// session's SSL context ([`MqttSession::tls`](crate::client::MqttSession::tls)) trusts.
/// `Debug` shows the data's length only.
///
/// ```
/// use atmodem::aliyun::ca;
/// use atmodem::device::CaFile;
/// let f = CaFile::new(ca::CA_FILE, ca::BUNDLE);
/// assert_eq!((f.name, f.data.len()), ("aliyun_ca.pem", 4636));
/// assert!(format!("{f:?}").contains("4636"));
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct CaFile<'a> {
    /// The file name in the module (Quectel UFS: without the `UFS:` drive).
    pub name: &'a str,
    /// The PEM text.
    pub data: &'a [u8],
}

impl<'a> CaFile<'a> {
    /// A CA file called `name` holding `data`.
    ///
    /// ```
    /// use atmodem::device::CaFile;
    /// let f = CaFile::new("ca.pem", b"-----BEGIN CERTIFICATE-----\n");
    /// assert_eq!(f.name, "ca.pem");
    /// ```
    pub const fn new(name: &'a str, data: &'a [u8]) -> Self {
        Self { name, data }
    }
}

impl core::fmt::Debug for CaFile<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CaFile")
            .field("name", &self.name)
            .field("len", &self.data.len())
            .finish()
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for CaFile<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(
            f,
            "CaFile {{ name: {=str}, len: {=usize} }}",
            self.name,
            self.data.len()
        )
    }
}

/// What the certificate check did.
///
/// ```
/// use atmodem::device::CaCheck;
/// assert_ne!(CaCheck::Kept, CaCheck::Uploaded);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum CaCheck {
    /// The module held the same file: nothing was uploaded.
    Kept,
    /// The file was missing: uploaded.
    Uploaded,
    /// A file of that name with other content (or size) was deleted and uploaded again.
    Replaced,
}

/// Whether the file's content, read back in chunks by `read(pos, buf)`, is `data`.
async fn same_content<E, F>(data: &[u8], mut read: F) -> Result<bool, E>
where
    F: AsyncFnMut(usize, &mut [u8]) -> Result<(), E>,
{
    let mut buf = [0u8; CA_CHUNK];
    for (i, want) in data.chunks(CA_CHUNK).enumerate() {
        let Some(got) = buf.get_mut(..want.len()) else {
            return Ok(false);
        };
        read(i.saturating_mul(CA_CHUNK), got).await?;
        if got != want {
            return Ok(false);
        }
    }
    Ok(true)
}

/// The data's length as the modules count it; `None` when it cannot be one.
fn size_of(data: &[u8]) -> Option<u32> {
    u32::try_from(data.len()).ok()
}

/// Quectel: the check, the upload when needed, and the SSL context.
pub(super) async fn quectel<IO, DL>(
    c: &mut Client<'_, IO, DL, Quectel>,
    ctx: u8,
    ca: &CaFile<'_>,
) -> Result<CaCheck, Error<IO::Error>>
where
    IO: Read + Write,
    DL: DelayNs,
{
    let want = size_of(ca.data).ok_or(Error::Unsupported)?;
    let listed = match c
        .send(&Qflst {
            pattern: Some(ca.name),
        })
        .await
    {
        Ok(files) => files
            .iter()
            .find(|f| f.name == ca.name || f.name.strip_prefix("UFS:") == Some(ca.name))
            .map(|f| f.size),
        // Some firmware answers a pattern that matches nothing with 405, file not found.
        Err(e) if e.cme_number() == Some(FILE_NOT_FOUND) => None,
        Err(e) => return Err(e),
    };
    let check = match listed {
        None => CaCheck::Uploaded,
        Some(size) if size == want && quectel_same(c, ca).await? => CaCheck::Kept,
        Some(_) => CaCheck::Replaced,
    };
    if check != CaCheck::Kept {
        if check == CaCheck::Replaced {
            c.send(&Qfdel { name: ca.name }).await?;
        }
        quectel_upload(c, ca).await?;
    }
    let mut name: heapless::String<{ 4 + crate::dialects::quectel::MAX_FILE_NAME }> =
        heapless::String::new();
    name.push_str("UFS:")
        .and_then(|()| name.push_str(ca.name))
        .map_err(|_| Error::Unsupported)?;
    c.send(&QsslCfg {
        ctx,
        setting: QsslSetting::CaCert(&name),
    })
    .await?;
    c.send(&QsslCfg {
        ctx,
        setting: QsslSetting::SecLevel(crate::dialects::quectel::SecLevel::Server),
    })
    .await?;
    Ok(check)
}

/// Upload, checking the module's report; a file that appeared meanwhile (`+CME ERROR: 407`,
/// an earlier upload whose answer was lost) is deleted and uploaded again once.
async fn quectel_upload<IO, DL>(
    c: &mut Client<'_, IO, DL, Quectel>,
    ca: &CaFile<'_>,
) -> Result<(), Error<IO::Error>>
where
    IO: Read + Write,
    DL: DelayNs,
{
    let up = Qfupl {
        name: ca.name,
        data: ca.data,
        timeout_secs: None,
    };
    let report = match c.send(&up).await {
        Err(e) if e.cme_number() == Some(FILE_EXISTS) => {
            c.send(&Qfdel { name: ca.name }).await?;
            c.send(&up).await?
        }
        r => r?,
    };
    if report.verify(ca.data).is_err() {
        // What the module stored is not the data: do not leave it for the next check.
        let _ = c.send(&Qfdel { name: ca.name }).await;
        return Err(Error::Corrupted { command: "+QFUPL" });
    }
    Ok(())
}

/// Read the file back and compare it with the data (its size is already the data's).
async fn quectel_same<IO, DL>(
    c: &mut Client<'_, IO, DL, Quectel>,
    ca: &CaFile<'_>,
) -> Result<bool, Error<IO::Error>>
where
    IO: Read + Write,
    DL: DelayNs,
{
    let handle = c
        .send(&Qfopen {
            name: ca.name,
            mode: OpenMode::ReadOnly,
        })
        .await?;
    let same = same_content(ca.data, async |_pos, buf: &mut [u8]| {
        let len = u32::try_from(buf.len()).map_err(|_| Error::Unsupported)?;
        let (_, n) = c.send_into(&Qfread { handle, len }, buf).await?;
        if n == buf.len() {
            Ok(())
        } else {
            Err(Error::Incomplete {
                command: "+QFREAD",
                missing: "the bytes asked for",
            })
        }
    })
    .await;
    // Closed whatever the comparison found, so that handles do not run out.
    let closed = c.send(&Qfclose { handle }).await;
    let same = same?;
    closed?;
    Ok(same)
}

/// Luat: the check, the upload when needed, and the SSL context of the MQTT link.
pub(super) async fn luat<IO, DL>(
    c: &mut Client<'_, IO, DL, Luat>,
    ca: &CaFile<'_>,
) -> Result<CaCheck, Error<IO::Error>>
where
    IO: Read + Write,
    DL: DelayNs,
{
    let want = size_of(ca.data).ok_or(Error::Unsupported)?;
    let size = match c.send(&FsFlSize { name: ca.name }).await {
        Ok(n) => Some(n),
        // No such file.
        Err(Error::Error { .. } | Error::Cme { .. }) => None,
        Err(e) => return Err(e),
    };
    let check = match size {
        None => CaCheck::Uploaded,
        Some(n) if n == want && luat_same(c, ca).await? => CaCheck::Kept,
        Some(_) => CaCheck::Replaced,
    };
    if check != CaCheck::Kept {
        if check == CaCheck::Replaced {
            c.send(&FsDel { name: ca.name }).await?;
        }
        c.send(&FsCreate { name: ca.name }).await?;
        for (i, part) in ca.data.chunks(MAX_FS_WRITE).enumerate() {
            let mode = if i == 0 {
                WriteMode::Start
            } else {
                WriteMode::Append
            };
            c.send(&FsWrite {
                name: ca.name,
                mode,
                data: part,
                input_secs: 15,
            })
            .await?;
        }
        // The module's answer is only `OK`: read the size back to see that it all arrived.
        if c.send(&FsFlSize { name: ca.name }).await? != want {
            let _ = c.send(&FsDel { name: ca.name }).await;
            return Err(Error::Corrupted {
                command: "+FSWRITE",
            });
        }
    }
    for setting in [
        SslSetting::CaCert(ca.name),
        SslSetting::SecLevel(crate::dialects::quectel::SecLevel::Server),
    ] {
        c.send(&SslCfg {
            ctx: SSL_CTX_MQTT,
            setting,
        })
        .await?;
    }
    Ok(check)
}

/// Read the file back and compare it with the data (its size is already the data's).
async fn luat_same<IO, DL>(
    c: &mut Client<'_, IO, DL, Luat>,
    ca: &CaFile<'_>,
) -> Result<bool, Error<IO::Error>>
where
    IO: Read + Write,
    DL: DelayNs,
{
    same_content(ca.data, async |pos, buf: &mut [u8]| {
        let position = u32::try_from(pos).map_err(|_| Error::Unsupported)?;
        let len = u32::try_from(buf.len()).map_err(|_| Error::Unsupported)?;
        let read = FsRead {
            name: ca.name,
            position,
            len,
        };
        let mut framed = [0u8; CA_CHUNK + 2];
        let total = buf.len().saturating_add(2);
        let sink = framed.get_mut(..total).ok_or(Error::Unsupported)?;
        let (_, n) = c.send_into(&read, sink).await?;
        match sink.split_at_checked(2) {
            Some((b"\r\n", data)) if n == total => {
                buf.copy_from_slice(data);
                Ok(())
            }
            _ => Err(Error::Incomplete {
                command: "+FSREAD",
                missing: "the bytes asked for",
            }),
        }
    })
    .await
}
