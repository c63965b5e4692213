//! Luat local files: `AT+FSCREATE`, `AT+FSWRITE` (with the `>` prompt), `AT+FSREAD`, `AT+FSFLSIZE`,
//! `AT+FSDEL`.
//!
//! Source: the Luat AT manual, FS chapter (file names of at most 64 bytes; `AT+FSWRITE=
//! <filename>,<mode>,<filesize>,<inputtime>`, `>`, the data, `OK` once `<filesize>` bytes
//! have arrived or `TimeOut` after `<inputtime>` seconds; at most 10240 bytes a call; its
//! worked example `AT+FSWRITE="/testdir/test.txt",0,10,10`, `AT+FSFLSIZE=...` →
//! `+FSFLSIZE: 10`) and Luat's Air780EP MQTTS guide, which uploads the CA with
//! `AT+FSCREATE="ca.crt"` then `AT+FSWRITE="ca.crt",0,1212,15` before
//! `AT+SSLCFG="cacert",88,"ca.crt"`.
//!
//! Files survive a reboot. A write whose answer was lost may have been stored: read
//! [`FsFlSize`] before writing again.

use super::UNQUOTABLE;
use crate::codec::fields::Cursor;
use crate::codec::{CommandWriter, EncodeError, Expect, Lines, PromptKind};
use crate::dialects::{Command, Hidden, ParseError, no_response, one_line};

/// Longest file name: 64 bytes.
pub const MAX_FS_NAME: usize = 64;

/// Most bytes one `AT+FSWRITE` takes: 10240.
pub const MAX_FS_WRITE: usize = 10_240;

/// Writes a quoted Luat file name: not empty, at most 64 bytes, no quote, control byte or
/// `\`.
fn name_arg(w: &mut CommandWriter<'_>, name: &str) -> Result<(), EncodeError> {
    if name.is_empty() {
        return Err(EncodeError::InvalidArgument("name"));
    }
    w.string_with("name", name, MAX_FS_NAME, UNQUOTABLE);
    Ok(())
}

/// `AT+FSCREATE="<name>"`: create an empty file.
///
/// A name that is empty or holds a quote or a control byte is
/// [`EncodeError::InvalidArgument`] naming `name`, one holding `\`
/// [`EncodeError::ForbiddenByte`], one longer than 64 bytes [`EncodeError::TooLong`].
///
/// ```
/// use atmodem::dialects::Command;
/// use atmodem::dialects::luat::FsCreate;
/// assert_eq!(FsCreate { name: "ca.crt" }.encode(&mut [0u8; 32]).unwrap(), b"AT+FSCREATE=\"ca.crt\"\r");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct FsCreate<'a> {
    /// The file (`"ca.crt"`, `"/testdir/test.txt"`).
    pub name: &'a str,
}

impl Command for FsCreate<'_> {
    no_response!();
    const NAME: &'static str = "+FSCREATE";

    fn encode<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], EncodeError> {
        let mut w = CommandWriter::new(buf, Self::NAME);
        name_arg(&mut w, self.name)?;
        w.finish()
    }

    fn timeout_ms(&self) -> u32 {
        2_000
    }
}

/// Where `AT+FSWRITE` puts the data (`<mode>`).
///
/// ```
/// use atmodem::dialects::Command;
/// use atmodem::dialects::luat::{FsWrite, WriteMode};
/// let w = FsWrite { name: "a", mode: WriteMode::Append, data: b"x", input_secs: 5 };
/// assert_eq!(w.encode(&mut [0u8; 32]).unwrap(), b"AT+FSWRITE=\"a\",1,1,5\r");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum WriteMode {
    /// 0: from the start of the file. The manual does not say whether a longer file is cut
    /// short: to replace a file, delete it ([`FsDel`]) and create it again.
    Start,
    /// 1: at its end.
    Append,
}

/// `AT+FSWRITE="<name>",<mode>,<size>,<input_secs>`, `>`, exactly the data's bytes, `OK`.
/// `Debug` and `defmt` show the data's length only.
///
/// A bad name is refused as by [`FsCreate`]; empty data is
/// [`EncodeError::InvalidArgument`] naming `data`, more than 10240 bytes
/// [`EncodeError::TooLong`] (write a longer file in pieces with [`WriteMode::Append`]); an
/// `input_secs` of 0 is `InvalidArgument` naming `input_secs`. Nothing is sent then.
///
/// ```
/// use atmodem::dialects::Command;
/// use atmodem::dialects::luat::{FsWrite, WriteMode};
/// let w = FsWrite { name: "/testdir/test.txt", mode: WriteMode::Start, data: b"1234567890", input_secs: 10 };
/// assert_eq!(w.encode(&mut [0u8; 48]).unwrap(), b"AT+FSWRITE=\"/testdir/test.txt\",0,10,10\r");
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct FsWrite<'a> {
    /// The file; create it first with [`FsCreate`].
    pub name: &'a str,
    /// From the start or appended.
    pub mode: WriteMode,
    /// The bytes, 1..=10240.
    pub data: &'a [u8],
    /// Seconds the module waits for the data (1..).
    pub input_secs: u32,
}

impl core::fmt::Debug for FsWrite<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("FsWrite")
            .field("name", &self.name)
            .field("mode", &self.mode)
            .field("data", &Hidden::of(self.data))
            .field("input_secs", &self.input_secs)
            .finish()
    }
}

#[cfg(feature = "defmt")]
impl defmt::Format for FsWrite<'_> {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(
            f,
            "FsWrite {{ name: {=str}, mode: {}, data: {}, input_secs: {=u32} }}",
            self.name,
            self.mode,
            Hidden::of(self.data),
            self.input_secs
        )
    }
}

impl Command for FsWrite<'_> {
    no_response!();
    const NAME: &'static str = "+FSWRITE";

    fn encode<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], EncodeError> {
        if self.data.is_empty() {
            return Err(EncodeError::InvalidArgument("data"));
        }
        if self.data.len() > MAX_FS_WRITE {
            return Err(EncodeError::TooLong {
                arg: "data",
                max: MAX_FS_WRITE,
            });
        }
        if self.input_secs == 0 {
            return Err(EncodeError::InvalidArgument("input_secs"));
        }
        let mode = match self.mode {
            WriteMode::Start => 0,
            WriteMode::Append => 1,
        };
        let mut w = CommandWriter::new(buf, Self::NAME);
        name_arg(&mut w, self.name)?;
        w.uint(mode)
            .uint(self.data.len() as u64)
            .uint(self.input_secs.into());
        w.finish()
    }

    /// The module's wait for the data, plus 5 s.
    fn timeout_ms(&self) -> u32 {
        self.input_secs.saturating_mul(1000).saturating_add(5_000)
    }

    fn data(&self) -> Option<(PromptKind, &[u8])> {
        Some((PromptKind::Angle, self.data))
    }
}

/// `AT+FSFLSIZE="<name>"`: the file's size, from `+FSFLSIZE: <size>`. A bad name is refused
/// as by [`FsCreate`]; a line of another shape is a [`ParseError`].
///
/// ```
/// use atmodem::codec::Lines;
/// use atmodem::dialects::Command;
/// use atmodem::dialects::luat::FsFlSize;
/// let q = FsFlSize { name: "/testdir/test.txt" };
/// assert_eq!(q.encode(&mut [0u8; 40]).unwrap(), b"AT+FSFLSIZE=\"/testdir/test.txt\"\r");
/// assert_eq!(q.parse(Lines::from_slice(&[b"+FSFLSIZE: 10"])).unwrap(), 10);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct FsFlSize<'a> {
    /// The file.
    pub name: &'a str,
}

impl Command for FsFlSize<'_> {
    type Response<'a> = u32;
    const NAME: &'static str = "+FSFLSIZE";

    fn encode<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], EncodeError> {
        let mut w = CommandWriter::new(buf, Self::NAME);
        name_arg(&mut w, self.name)?;
        w.finish()
    }

    fn expect(&self) -> Expect {
        Expect::tokens(&[b"+FSFLSIZE"])
    }

    fn timeout_ms(&self) -> u32 {
        2_000
    }

    fn parse<'a>(&self, lines: Lines<'a>) -> Result<u32, ParseError> {
        one_line::<Self, _>(lines, |l| {
            let mut c = Cursor::header(l, b"+FSFLSIZE")?;
            let n = u32::try_from(c.len()?).ok()?;
            c.end()?;
            Some(n)
        })
    }
}

/// `AT+FSDEL="<name>"`: delete a file. A bad name is refused as by [`FsCreate`].
///
/// ```
/// use atmodem::dialects::Command;
/// use atmodem::dialects::luat::FsDel;
/// assert_eq!(FsDel { name: "ca.crt" }.encode(&mut [0u8; 32]).unwrap(), b"AT+FSDEL=\"ca.crt\"\r");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct FsDel<'a> {
    /// The file.
    pub name: &'a str,
}

impl Command for FsDel<'_> {
    no_response!();
    const NAME: &'static str = "+FSDEL";

    fn encode<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], EncodeError> {
        let mut w = CommandWriter::new(buf, Self::NAME);
        name_arg(&mut w, self.name)?;
        w.finish()
    }

    fn timeout_ms(&self) -> u32 {
        2_000
    }
}

/// `AT+FSREAD="<name>",1,<len>,<position>`: read `len` bytes of a file from `position`
/// (mode 1; mode 0 reads from the start whatever the position). The answer is not
/// announced: the line end that opens it, exactly the bytes, then `OK` (the Air780EP file
/// system guide: `AT+FSREAD="/testdir/test.txt",0,10,10` answered `1234567890`, `OK`).
/// [`receive_at_once`](Command::receive_at_once) is `len + 2`, the line end included: the
/// sink of [`Client::send_into`](crate::client::Client::send_into) gets `\r\n` and the
/// bytes. The module reads fewer when the file ends first, so read no further than its
/// size ([`FsFlSize`]), and with echo off.
///
/// A bad name is refused as by [`FsCreate`]; a `len` of 0 is
/// [`EncodeError::InvalidArgument`] naming `len`, more than 10240
/// [`EncodeError::TooLong`] (the manual's limit per read).
///
/// ```
/// use atmodem::dialects::Command;
/// use atmodem::dialects::luat::FsRead;
/// let r = FsRead { name: "/testdir/test.txt", position: 0, len: 10 };
/// assert_eq!(r.encode(&mut [0u8; 48]).unwrap(), b"AT+FSREAD=\"/testdir/test.txt\",1,10,0\r");
/// assert_eq!(r.receive_at_once(), Some(12));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct FsRead<'a> {
    /// The file.
    pub name: &'a str,
    /// Where to start, below the file's size.
    pub position: u32,
    /// Bytes to read, 1..=10240.
    pub len: u32,
}

impl Command for FsRead<'_> {
    no_response!();
    const NAME: &'static str = "+FSREAD";

    fn encode<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], EncodeError> {
        if self.len == 0 {
            return Err(EncodeError::InvalidArgument("len"));
        }
        if usize::try_from(self.len).map_or(true, |n| n > MAX_FS_WRITE) {
            return Err(EncodeError::TooLong {
                arg: "len",
                max: MAX_FS_WRITE,
            });
        }
        let mut w = CommandWriter::new(buf, Self::NAME);
        name_arg(&mut w, self.name)?;
        w.uint(1).uint(self.len.into()).uint(self.position.into());
        w.finish()
    }

    fn timeout_ms(&self) -> u32 {
        2_000
    }

    fn receive_at_once(&self) -> Option<usize> {
        usize::try_from(self.len).ok()?.checked_add(2)
    }
}
