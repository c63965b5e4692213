//! Quectel file system (UFS): `AT+QFUPL` (upload), `AT+QFLST` (list), `AT+QFDEL` (delete),
//! `AT+QFOPEN`, `AT+QFREAD`, `AT+QFCLOSE` (read back).
//!
//! Source: Quectel "BG96 FILE AT Commands Manual" (`AT+QFUPL=<filename>,<file_size>
//! [,<timeout>[,<ackmode>]]`, file names of at most 80 bytes, `<timeout>` in seconds,
//! default 5, range 1..65535; `CONNECT`, the bytes, then `+QFUPL: <upload_size>,<checksum>`
//! and `OK`), Quectel's own SDK (`+QFLST: "<name>",<size>` lines; the 400..426 error
//! table) and fwupd's Quectel plugin, which checks the upload's checksum the same way as
//! [`checksum`] (hex, no padding, in the response).
//!
//! Files are addressed as `UFS:<name>` by the other commands ([`QsslSetting::CaCert`]).
//! They survive a reboot. An upload to a name that exists fails with `+CME ERROR: 407`
//! ([`FILE_EXISTS`]): delete it first with [`Qfdel`] when the content changed. An upload
//! whose answer was lost may or may not have stored the file: list it with [`Qflst`]
//! before sending it again.
//!
//! [`QsslSetting::CaCert`]: super::QsslSetting::CaCert

use super::ssl::check_file_name;
use crate::codec::fields::Cursor;
use crate::codec::{CommandWriter, EncodeError, Expect, Lines, PromptKind};
use crate::dialects::{Command, Hidden, ParseError, all_lines, no_response, one_line};

/// `+CME ERROR: 407`: the file already exists.
pub const FILE_EXISTS: u16 = 407;

/// `+CME ERROR: 405`: the file does not exist.
pub const FILE_NOT_FOUND: u16 = 405;

/// The default `<timeout>` of `AT+QFUPL`, in seconds: how long the module waits for the
/// data.
pub const DEFAULT_UPLOAD_SECS: u16 = 5;

/// The text of a Quectel file error code (`+CME ERROR: 4xx` of the file commands), from
/// the table of Quectel's SDK; `None` for any other code.
///
/// ```
/// use atmodem::dialects::quectel::file_error_text;
/// assert_eq!(file_error_text(407), Some("file already existed"));
/// assert_eq!(file_error_text(408), None);
/// ```
pub fn file_error_text(code: u16) -> Option<&'static str> {
    Some(match code {
        400 => "invalid input value",
        401 => "larger than the size of the file",
        402 => "read zero byte",
        403 => "drive full",
        405 => "file not found",
        406 => "invalid file name",
        407 => "file already existed",
        409 => "fail to write the file",
        410 => "fail to open the file",
        411 => "fail to read the file",
        413 => "reach the max number of file allowed to be opened",
        414 => "the file read-only",
        416 => "invalid file descriptor",
        417 => "fail to list the file",
        418 => "fail to delete the file",
        419 => "fail to get disk info",
        420 => "no space",
        421 => "time out",
        423 => "file too large",
        425 => "invalid parameter",
        426 => "file already opened",
        _ => return None,
    })
}

/// The checksum a Quectel module reports for uploaded data: the XOR of the data's 16-bit
/// big-endian words (`data[0] << 8 | data[1]`, `data[2] << 8 | data[3]`, ...); a last odd
/// byte counts as the high byte of a word whose low byte is 0. Empty data sums to 0.
///
/// (A BG95 answered `+QFUPL: 1208,5769` for the 1208 bytes of Amazon Root CA 1 with CRLF
/// line ends: 0x5769 is this checksum of them.)
///
/// ```
/// use atmodem::dialects::quectel::checksum;
/// assert_eq!(checksum(b"ab"), 0x6162);
/// assert_eq!(checksum(b"abc"), 0x6162 ^ 0x6300);
/// assert_eq!(checksum(b""), 0);
/// ```
pub fn checksum(data: &[u8]) -> u16 {
    data.chunks(2).fold(0u16, |acc, pair| {
        let hi = pair.first().copied().unwrap_or(0);
        let lo = pair.get(1).copied().unwrap_or(0);
        acc ^ u16::from_be_bytes([hi, lo])
    })
}

/// `AT+QFUPL="<name>",<size>[,<timeout>]`, `CONNECT`, exactly the data's bytes, then
/// `+QFUPL: <upload_size>,<checksum>` and `OK`. The response is the module's
/// [`Uploaded`] report; check it against the data with [`Uploaded::verify`]. `Debug` and
/// `defmt` show the data's length only.
///
/// The ACK mode (`<ackmode>` 1, one `A` per 1024 bytes) is not used: the data goes in one
/// piece.
///
/// A name that is empty or holds a quote or a control byte is
/// [`EncodeError::InvalidArgument`] naming `name`, one longer than 80 bytes
/// [`EncodeError::TooLong`]; empty data is `InvalidArgument` naming `data` (the manual's
/// smallest size is 1), a `timeout_secs` of 0 `InvalidArgument` naming `timeout_secs` (its
/// range is 1..=65535). Nothing is sent then.
///
/// ```
/// use atmodem::codec::Lines;
/// use atmodem::dialects::Command;
/// use atmodem::dialects::quectel::Qfupl;
/// let up = Qfupl { name: "cacert.pem", data: b"0123456789", timeout_secs: Some(100) };
/// let mut buf = [0u8; 48];
/// assert_eq!(up.encode(&mut buf).unwrap(), b"AT+QFUPL=\"cacert.pem\",10,100\r");
/// let r = up.parse(Lines::from_slice(&[b"+QFUPL: 10,3839"])).unwrap();
/// assert_eq!((r.size, r.checksum), (10, 0x3839));
/// assert!(r.verify(up.data).is_ok());
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Qfupl<'a> {
    /// The file name (`"cacert.pem"` in the manual's example; Quectel's SDK writes the drive
    /// too, `"UFS:ca.pem"`).
    pub name: &'a str,
    /// The file's content.
    pub data: &'a [u8],
    /// Seconds the module waits for the data (default 5).
    pub timeout_secs: Option<u16>,
}

impl core::fmt::Debug for Qfupl<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Qfupl")
            .field("name", &self.name)
            .field("data", &Hidden::of(self.data))
            .field("timeout_secs", &self.timeout_secs)
            .finish()
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for Qfupl<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(
            f,
            "Qfupl {{ name: {=str}, data: {}, timeout_secs: {} }}",
            self.name,
            Hidden::of(self.data),
            self.timeout_secs
        )
    }
}

/// What the module reports after an upload: `+QFUPL: <upload_size>,<checksum>`.
///
/// ```
/// use atmodem::codec::Lines;
/// use atmodem::dialects::Command;
/// use atmodem::dialects::quectel::{Qfupl, Uploaded};
/// let up = Qfupl { name: "a.bin", data: b"ab", timeout_secs: None };
/// let r = up.parse(Lines::from_slice(&[b"+QFUPL: 2,6162"])).unwrap();
/// assert_eq!(r, Uploaded { size: 2, checksum: 0x6162 });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Uploaded {
    /// Bytes the module stored.
    pub size: u32,
    /// Its [`checksum`] of them.
    pub checksum: u16,
}

/// The module stored something else than was sent: its size or checksum differs.
///
/// ```
/// use atmodem::dialects::quectel::Uploaded;
/// let e = Uploaded { size: 1, checksum: 0x6100 }.verify(b"ab").unwrap_err();
/// assert_eq!((e.sent_size, e.sent_checksum, e.stored_size), (2, 0x6162, 1));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[error(
    "upload mismatch: sent {sent_size} bytes (checksum {sent_checksum:#06x}), module stored {stored_size} (checksum {stored_checksum:#06x})"
)]
pub struct UploadMismatch {
    /// Bytes sent.
    pub sent_size: usize,
    /// Checksum of the bytes sent.
    pub sent_checksum: u16,
    /// Bytes the module reported.
    pub stored_size: u32,
    /// Checksum the module reported.
    pub stored_checksum: u16,
}

impl Uploaded {
    /// `Ok` if the module's report matches `data` (its length and its [`checksum`]),
    /// [`UploadMismatch`] otherwise.
    ///
    /// ```
    /// use atmodem::dialects::quectel::Uploaded;
    /// let r = Uploaded { size: 2, checksum: 0x6162 };
    /// assert!(r.verify(b"ab").is_ok());
    /// assert!(r.verify(b"ba").is_err());
    /// assert!(r.verify(b"ab\0\0").is_err());
    /// ```
    pub fn verify(&self, data: &[u8]) -> Result<(), UploadMismatch> {
        let sent = checksum(data);
        let same_size = u32::try_from(data.len()).is_ok_and(|n| n == self.size);
        if same_size && sent == self.checksum {
            Ok(())
        } else {
            Err(UploadMismatch {
                sent_size: data.len(),
                sent_checksum: sent,
                stored_size: self.size,
                stored_checksum: self.checksum,
            })
        }
    }

    fn parse(line: &[u8]) -> Option<Self> {
        let mut c = Cursor::header(line, b"+QFUPL")?;
        let size = u32::try_from(c.len()?).ok()?;
        c.comma()?;
        let hex = c.rest_str()?;
        if hex.is_empty() || hex.len() > 4 {
            return None;
        }
        let checksum = u16::from_str_radix(hex, 16).ok()?;
        Some(Self { size, checksum })
    }
}

fn secs_ms(s: u16) -> u32 {
    u32::from(s).saturating_mul(1000)
}

impl Command for Qfupl<'_> {
    type Response<'a> = Uploaded;
    const NAME: &'static str = "+QFUPL";

    fn encode<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], EncodeError> {
        check_file_name("name", self.name)?;
        if self.data.is_empty() {
            return Err(EncodeError::InvalidArgument("data"));
        }
        if self.timeout_secs == Some(0) {
            return Err(EncodeError::InvalidArgument("timeout_secs"));
        }
        let mut w = CommandWriter::new(buf, Self::NAME);
        w.string("name", self.name).uint(self.data.len() as u64);
        if let Some(t) = self.timeout_secs {
            w.uint(t.into());
        }
        w.finish()
    }

    fn expect(&self) -> Expect {
        Expect::tokens(&[b"+QFUPL"])
    }

    /// The module's wait for the data, plus 5 s for the transfer and the answer.
    fn timeout_ms(&self) -> u32 {
        secs_ms(self.timeout_secs.unwrap_or(DEFAULT_UPLOAD_SECS)).saturating_add(5_000)
    }

    fn data(&self) -> Option<(PromptKind, &[u8])> {
        Some((PromptKind::Connect, self.data))
    }

    fn parse<'a>(&self, lines: Lines<'a>) -> Result<Uploaded, ParseError> {
        one_line::<Self, _>(lines, Uploaded::parse)
    }
}

/// One `+QFLST: "<name>",<size>` line.
///
/// ```
/// use atmodem::codec::Lines;
/// use atmodem::dialects::Command;
/// use atmodem::dialects::quectel::{FileEntry, Qflst};
/// let files = Qflst { pattern: None }.parse(Lines::from_slice(&[b"+QFLST: \"ca.pem\",1208"])).unwrap();
/// assert_eq!(files.iter().next(), Some(FileEntry { name: "ca.pem", size: 1208 }));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct FileEntry<'a> {
    /// The file's name as the module prints it.
    pub name: &'a str,
    /// Its size in bytes.
    pub size: u32,
}

impl<'a> FileEntry<'a> {
    fn parse(line: &'a [u8]) -> Option<Self> {
        let mut c = Cursor::header(line, b"+QFLST")?;
        let name = c.quoted_str()?;
        c.comma()?;
        let size = u32::try_from(c.len()?).ok()?;
        c.end()?;
        Some(Self { name, size })
    }
}

/// The files `AT+QFLST` listed (zero or more), read lazily.
///
/// ```
/// use atmodem::codec::Lines;
/// use atmodem::dialects::Command;
/// use atmodem::dialects::quectel::Qflst;
/// let files = Qflst { pattern: Some("*") }.parse(Lines::from_slice(&[b"+QFLST: \"a\",1"])).unwrap();
/// assert_eq!(files.iter().count(), 1);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Files<'a>(Lines<'a>);

impl<'a> Files<'a> {
    /// Every listed file.
    ///
    /// ```
    /// use atmodem::codec::Lines;
    /// use atmodem::dialects::Command;
    /// use atmodem::dialects::quectel::Qflst;
    /// let files = Qflst { pattern: Some("*") }
    ///     .parse(Lines::from_slice(&[b"+QFLST: \"ca.pem\",1208", b"+QFLST: \"key.pem\",227"]))
    ///     .unwrap();
    /// assert_eq!(files.iter().map(|f| f.size).sum::<u32>(), 1435);
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = FileEntry<'a>> + 'a {
        self.0.iter().filter_map(FileEntry::parse)
    }

    /// The file called `name`, if listed.
    ///
    /// ```
    /// use atmodem::codec::Lines;
    /// use atmodem::dialects::Command;
    /// use atmodem::dialects::quectel::Qflst;
    /// let files = Qflst { pattern: None }.parse(Lines::from_slice(&[b"+QFLST: \"ca.pem\",1208"])).unwrap();
    /// assert_eq!(files.get("ca.pem").map(|f| f.size), Some(1208));
    /// assert!(files.get("key.pem").is_none());
    /// ```
    pub fn get(&self, name: &str) -> Option<FileEntry<'a>> {
        self.iter().find(|f| f.name == name)
    }

    /// Whether nothing was listed.
    ///
    /// ```
    /// use atmodem::codec::Lines;
    /// use atmodem::dialects::Command;
    /// use atmodem::dialects::quectel::Qflst;
    /// assert!(Qflst { pattern: None }.parse(Lines::from_slice(&[])).unwrap().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// `AT+QFLST[="<pattern>"]`: list the files matching `pattern` (`"*"`, `"UFS:*"`, a file
/// name; without it, every UFS file). Each file is one `+QFLST: "<name>",<size>` line; none
/// matching is `OK` alone. A line of another shape is a [`ParseError`]; a pattern that is
/// empty or holds a quote or a control byte is [`EncodeError::InvalidArgument`] naming
/// `pattern`.
///
/// ```
/// use atmodem::dialects::Command;
/// use atmodem::dialects::quectel::Qflst;
/// let mut buf = [0u8; 32];
/// assert_eq!(Qflst { pattern: Some("UFS:*") }.encode(&mut buf).unwrap(), b"AT+QFLST=\"UFS:*\"\r");
/// assert_eq!(Qflst { pattern: None }.encode(&mut buf).unwrap(), b"AT+QFLST\r");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Qflst<'a> {
    /// Which files; `None` lists them all.
    pub pattern: Option<&'a str>,
}

impl Command for Qflst<'_> {
    type Response<'a> = Files<'a>;
    const NAME: &'static str = "+QFLST";

    fn encode<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], EncodeError> {
        let mut w = CommandWriter::new(buf, Self::NAME);
        if let Some(p) = self.pattern {
            check_file_name("pattern", p)?;
            w.string("pattern", p);
        }
        w.finish()
    }

    fn expect(&self) -> Expect {
        Expect::tokens(&[b"+QFLST"])
    }

    /// Quectel's SDK waits 10 s.
    fn timeout_ms(&self) -> u32 {
        10_000
    }

    fn parse<'a>(&self, lines: Lines<'a>) -> Result<Files<'a>, ParseError> {
        all_lines::<Self, _>(lines, FileEntry::parse).map(Files)
    }
}

/// `AT+QFDEL="<name>"`: delete a file (`"*"` deletes every UFS file). A file that does not
/// exist is `+CME ERROR: 405` ([`FILE_NOT_FOUND`]). A name that is empty or holds a quote
/// or a control byte is [`EncodeError::InvalidArgument`] naming `name`.
///
/// ```
/// use atmodem::dialects::Command;
/// use atmodem::dialects::quectel::Qfdel;
/// let mut buf = [0u8; 32];
/// assert_eq!(Qfdel { name: "ca.pem" }.encode(&mut buf).unwrap(), b"AT+QFDEL=\"ca.pem\"\r");
/// assert!(Qfdel { name: "a\"b" }.encode(&mut buf).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Qfdel<'a> {
    /// The file, or `"*"`.
    pub name: &'a str,
}

impl Command for Qfdel<'_> {
    no_response!();
    const NAME: &'static str = "+QFDEL";

    fn encode<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], EncodeError> {
        check_file_name("name", self.name)?;
        let mut w = CommandWriter::new(buf, Self::NAME);
        w.string("name", self.name);
        w.finish()
    }

    /// Quectel's SDK waits 5 s.
    fn timeout_ms(&self) -> u32 {
        5_000
    }
}

/// How `AT+QFOPEN` opens a file (`<mode>` of the BG96 FILE manual).
///
/// ```
/// use atmodem::dialects::Command;
/// use atmodem::dialects::quectel::{OpenMode, Qfopen};
/// let open = Qfopen { name: "ca.pem", mode: OpenMode::ReadOnly };
/// assert_eq!(open.encode(&mut [0u8; 32]).unwrap(), b"AT+QFOPEN=\"ca.pem\",2\r");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum OpenMode {
    /// 0: open it, or create it when it does not exist; read and write.
    Create,
    /// 1: create it, or empty it when it exists; read and write.
    Overwrite,
    /// 2: open an existing file read-only; one that does not exist is an error.
    ReadOnly,
}

/// `AT+QFOPEN="<name>",<mode>`: open a file; the answer `+QFOPEN: <filehandle>` is the
/// handle [`Qfread`] and [`Qfclose`] take. A name refused as by [`Qfupl`] is
/// [`EncodeError::InvalidArgument`] or [`EncodeError::TooLong`]; an answer of another shape
/// is a [`ParseError`]. A file that does not exist, opened [`OpenMode::ReadOnly`], is a
/// `+CME ERROR` (405 in Quectel's table, [`FILE_NOT_FOUND`]).
///
/// ```
/// use atmodem::codec::Lines;
/// use atmodem::dialects::Command;
/// use atmodem::dialects::quectel::{OpenMode, Qfopen};
/// let open = Qfopen { name: "UFS:aliyun_ca.pem", mode: OpenMode::ReadOnly };
/// assert_eq!(open.encode(&mut [0u8; 40]).unwrap(), b"AT+QFOPEN=\"UFS:aliyun_ca.pem\",2\r");
/// assert_eq!(open.parse(Lines::from_slice(&[b"+QFOPEN: 1027"])).unwrap(), 1027);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Qfopen<'a> {
    /// The file.
    pub name: &'a str,
    /// How to open it.
    pub mode: OpenMode,
}

impl Command for Qfopen<'_> {
    type Response<'a> = u32;
    const NAME: &'static str = "+QFOPEN";

    fn encode<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], EncodeError> {
        check_file_name("name", self.name)?;
        let mode = match self.mode {
            OpenMode::Create => 0,
            OpenMode::Overwrite => 1,
            OpenMode::ReadOnly => 2,
        };
        let mut w = CommandWriter::new(buf, Self::NAME);
        w.string("name", self.name).uint(mode);
        w.finish()
    }

    fn expect(&self) -> Expect {
        Expect::tokens(&[b"+QFOPEN"])
    }

    /// Quectel's SDK waits 5 s for the file commands.
    fn timeout_ms(&self) -> u32 {
        5_000
    }

    fn parse<'a>(&self, lines: Lines<'a>) -> Result<u32, ParseError> {
        one_line::<Self, _>(lines, |l| {
            let mut c = Cursor::header(l, b"+QFOPEN")?;
            let fh = u32::try_from(c.len()?).ok()?;
            c.end()?;
            Some(fh)
        })
    }
}

/// `AT+QFREAD=<filehandle>,<length>`: read `len` bytes at the file's position (which then
/// moves past them). The module answers `CONNECT <n>`, exactly `n` bytes, then `OK`; `n` is
/// `len` unless the file ends first. The bytes go to the sink of
/// [`Client::send_into`](crate::client::Client::send_into), which expects exactly `len`:
/// read no further than the file's size ([`Qflst`]), or the call ends with a timeout. A `len`
/// of 0 is [`EncodeError::InvalidArgument`] naming `len` (without it the module reads the
/// whole file, which no sink is sized for).
///
/// ```
/// use atmodem::dialects::Command;
/// use atmodem::dialects::quectel::Qfread;
/// let read = Qfread { handle: 1027, len: 512 };
/// assert_eq!(read.encode(&mut [0u8; 32]).unwrap(), b"AT+QFREAD=1027,512\r");
/// assert_eq!(read.receive(), Some(512));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Qfread {
    /// The handle from [`Qfopen`].
    pub handle: u32,
    /// Bytes to read (1..).
    pub len: u32,
}

impl Command for Qfread {
    type Response<'a> = ();
    const NAME: &'static str = "+QFREAD";

    fn encode<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], EncodeError> {
        if self.len == 0 {
            return Err(EncodeError::InvalidArgument("len"));
        }
        let mut w = CommandWriter::new(buf, Self::NAME);
        w.uint(self.handle.into()).uint(self.len.into());
        w.finish()
    }

    /// 5 s, as the other file commands.
    fn timeout_ms(&self) -> u32 {
        5_000
    }

    fn receive(&self) -> Option<usize> {
        usize::try_from(self.len).ok()
    }

    fn parse<'a>(&self, _lines: Lines<'a>) -> Result<(), ParseError> {
        Ok(())
    }
}

/// `AT+QFCLOSE=<filehandle>`: close a file opened with [`Qfopen`].
///
/// ```
/// use atmodem::dialects::Command;
/// use atmodem::dialects::quectel::Qfclose;
/// assert_eq!(Qfclose { handle: 1027 }.encode(&mut [0u8; 24]).unwrap(), b"AT+QFCLOSE=1027\r");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Qfclose {
    /// The handle from [`Qfopen`].
    pub handle: u32,
}

impl Command for Qfclose {
    no_response!();
    const NAME: &'static str = "+QFCLOSE";

    fn encode<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], EncodeError> {
        let mut w = CommandWriter::new(buf, Self::NAME);
        w.uint(self.handle.into());
        w.finish()
    }

    /// 5 s, as the other file commands.
    fn timeout_ms(&self) -> u32 {
        5_000
    }
}
