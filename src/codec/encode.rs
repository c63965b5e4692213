//! Command encoding: `AT<name>` plus the set (`=args`), read (`?`), test (`=?`) or execute
//! form, and `\r`, into a caller-provided buffer.
//!
//! String arguments are checked before they are written: a quote, CR, LF or any other control
//! byte makes the whole command fail with an error naming the argument, so no parameter can
//! end one command and start another. A full buffer is an error, never a truncated command.
//! Integers are formatted without `core::fmt`.

/// Why a command could not be encoded. Nothing is sent when this happens.
///
/// Every variant but [`BufferFull`](Self::BufferFull) names the refused argument or data
/// (see [`argument`](Self::argument)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum EncodeError {
    /// The command does not fit in the buffer.
    #[error("command does not fit in the buffer")]
    BufferFull,
    /// A string argument contains a byte that cannot be sent inside it.
    #[error("argument `{0}` is empty or contains a quote or a control byte")]
    InvalidArgument(&'static str),
    /// An argument or the data of a data phase holds a byte this command cannot carry (0x1A
    /// or ESC in a payload ended by Ctrl-Z, `\` in a Luat quoted argument).
    #[error("argument `{arg}` contains the byte 0x{byte:02X}")]
    ForbiddenByte {
        /// The argument.
        arg: &'static str,
        /// The first byte refused.
        byte: u8,
    },
    /// An argument is longer than the module accepts.
    #[error("argument `{arg}` is longer than {max} bytes")]
    TooLong {
        /// The argument.
        arg: &'static str,
        /// The longest value the module accepts, in bytes.
        max: usize,
    },
}

impl EncodeError {
    /// The argument the error names, if any.
    ///
    /// ```
    /// use atmodem::codec::EncodeError;
    /// assert_eq!(EncodeError::InvalidArgument("topic").argument(), Some("topic"));
    /// assert_eq!(EncodeError::BufferFull.argument(), None);
    /// ```
    #[must_use]
    pub const fn argument(&self) -> Option<&'static str> {
        match self {
            Self::BufferFull => None,
            Self::InvalidArgument(arg)
            | Self::ForbiddenByte { arg, .. }
            | Self::TooLong { arg, .. } => Some(arg),
        }
    }
}

/// Writes one command line. Argument methods chain; the first error is kept and returned by
/// [`CommandWriter::finish`].
///
/// ```
/// use atmodem::codec::CommandWriter;
/// let mut buf = [0u8; 64];
/// let mut w = CommandWriter::new(&mut buf, "+QMTCFG");
/// w.string("name", "version").uint(0).uint(4);
/// assert_eq!(w.finish().unwrap(), b"AT+QMTCFG=\"version\",0,4\r");
/// ```
///
/// `Debug` shows the length written so far, never the bytes (a command may carry a password).
pub struct CommandWriter<'b> {
    buf: &'b mut [u8],
    len: usize,
    args: usize,
    /// Empty (omitted) arguments not yet written: written as commas only if a later argument
    /// is present, so trailing optional arguments disappear.
    skipped: usize,
    suffix: &'static [u8],
    error: Option<EncodeError>,
}

impl core::fmt::Debug for CommandWriter<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CommandWriter")
            .field("len", &self.len)
            .field("capacity", &self.buf.len())
            .field("args", &self.args)
            .field("error", &self.error)
            .finish()
    }
}

/// Whether `b` may appear inside a quoted string argument.
fn string_byte_ok(b: u8) -> bool {
    b >= 0x20 && b != b'"' && b != 0x7f
}

impl<'b> CommandWriter<'b> {
    /// Start `AT<name>` (`name` is `+CSQ`, `E0`, `` for plain `AT`). Without arguments and
    /// without [`read`](Self::read) / [`test`](Self::test) this is the execute form.
    ///
    /// ```
    /// use atmodem::codec::{CommandWriter, EncodeError};
    /// let mut buf = [0u8; 64];
    /// let w = CommandWriter::new(&mut buf, "");
    /// assert_eq!(w.finish().unwrap(), b"AT\r");
    /// let mut small = [0u8; 4];
    /// let w = CommandWriter::new(&mut small, "+CSQ");
    /// assert_eq!(w.finish(), Err(EncodeError::BufferFull));
    /// ```
    pub fn new(buf: &'b mut [u8], name: &str) -> Self {
        let mut w = Self {
            buf,
            len: 0,
            args: 0,
            skipped: 0,
            suffix: b"",
            error: None,
        };
        w.put(b"AT");
        w.put(name.as_bytes());
        w
    }

    fn put(&mut self, bytes: &[u8]) {
        if self.error.is_some() {
            return;
        }
        let end = self.len.saturating_add(bytes.len());
        match self.buf.get_mut(self.len..end) {
            Some(dst) => {
                dst.copy_from_slice(bytes);
                self.len = end;
            }
            None => self.error = Some(EncodeError::BufferFull),
        }
    }

    fn fail(&mut self, e: EncodeError) {
        if self.error.is_none() {
            self.error = Some(e);
        }
    }

    /// Separator before an argument: `=` for the first, `,` after, plus skipped empties.
    fn separator(&mut self) {
        for _ in 0..self.skipped {
            let sep: &[u8] = if self.args == 0 { b"=" } else { b"," };
            self.put(sep);
            self.args = self.args.saturating_add(1);
        }
        self.skipped = 0;
        let sep: &[u8] = if self.args == 0 { b"=" } else { b"," };
        self.put(sep);
        self.args = self.args.saturating_add(1);
    }

    /// The read form: `AT<name>?`.
    ///
    /// ```
    /// use atmodem::codec::{CommandWriter, EncodeError};
    /// let mut buf = [0u8; 64];
    /// let mut w = CommandWriter::new(&mut buf, "+CEREG");
    /// w.read();
    /// assert_eq!(w.finish().unwrap(), b"AT+CEREG?\r");
    /// ```
    pub fn read(&mut self) -> &mut Self {
        self.suffix = b"?";
        self
    }

    /// The test form: `AT<name>=?`.
    ///
    /// ```
    /// use atmodem::codec::{CommandWriter, EncodeError};
    /// let mut buf = [0u8; 64];
    /// let mut w = CommandWriter::new(&mut buf, "+CEREG");
    /// w.test();
    /// assert_eq!(w.finish().unwrap(), b"AT+CEREG=?\r");
    /// ```
    pub fn test(&mut self) -> &mut Self {
        self.suffix = b"=?";
        self
    }

    /// An unsigned integer argument.
    ///
    /// ```
    /// use atmodem::codec::{CommandWriter, EncodeError};
    /// let mut buf = [0u8; 64];
    /// let mut w = CommandWriter::new(&mut buf, "+CEREG");
    /// w.uint(2);
    /// assert_eq!(w.finish().unwrap(), b"AT+CEREG=2\r");
    /// ```
    pub fn uint(&mut self, v: u64) -> &mut Self {
        self.separator();
        let mut digits = [0u8; 20];
        let s = format_u64(v, &mut digits);
        self.put(s);
        self
    }

    /// A signed integer argument.
    ///
    /// ```
    /// use atmodem::codec::{CommandWriter, EncodeError};
    /// let mut buf = [0u8; 64];
    /// let mut w = CommandWriter::new(&mut buf, "+X");
    /// w.int(-2).int(7);
    /// assert_eq!(w.finish().unwrap(), b"AT+X=-2,7\r");
    /// ```
    pub fn int(&mut self, v: i64) -> &mut Self {
        self.separator();
        if v < 0 {
            self.put(b"-");
        }
        let mut digits = [0u8; 20];
        let s = format_u64(v.unsigned_abs(), &mut digits);
        self.put(s);
        self
    }

    /// A quoted string argument. `arg` names it in the error if `value` contains `"` or a
    /// control byte.
    ///
    /// ```
    /// use atmodem::codec::{CommandWriter, EncodeError};
    /// let mut buf = [0u8; 64];
    /// let mut w = CommandWriter::new(&mut buf, "+QICSGP");
    /// w.uint(1).uint(1).string("apn", "CMNET");
    /// assert_eq!(w.finish().unwrap(), b"AT+QICSGP=1,1,\"CMNET\"\r");
    /// let mut w = CommandWriter::new(&mut buf, "+QICSGP");
    /// w.uint(1).string("apn", "a\"b");
    /// assert_eq!(w.finish(), Err(EncodeError::InvalidArgument("apn")));
    /// ```
    pub fn string(&mut self, arg: &'static str, value: &str) -> &mut Self {
        self.separator();
        if !value.bytes().all(string_byte_ok) {
            self.fail(EncodeError::InvalidArgument(arg));
            return self;
        }
        self.put(b"\"");
        self.put(value.as_bytes());
        self.put(b"\"");
        self
    }

    /// A quoted string argument as [`string`](Self::string), refused as well when it is
    /// longer than `max` bytes ([`EncodeError::TooLong`]) or holds a byte of `forbidden`
    /// ([`EncodeError::ForbiddenByte`], e.g. the `\` a Luat module would decode as an
    /// escape). Both errors name `arg`.
    ///
    /// ```
    /// use atmodem::codec::{CommandWriter, EncodeError};
    /// let mut buf = [0u8; 64];
    /// let mut w = CommandWriter::new(&mut buf, "+MSUB");
    /// w.string_with("topic", "a/b", 256, b"\\").uint(0);
    /// assert_eq!(w.finish().unwrap(), b"AT+MSUB=\"a/b\",0\r");
    /// let mut w = CommandWriter::new(&mut buf, "+MSUB");
    /// w.string_with("topic", "a\\22b", 256, b"\\").uint(0);
    /// assert_eq!(w.finish(), Err(EncodeError::ForbiddenByte { arg: "topic", byte: b'\\' }));
    /// let mut w = CommandWriter::new(&mut buf, "+MSUB");
    /// w.string_with("topic", "abcd", 3, b"");
    /// assert_eq!(w.finish(), Err(EncodeError::TooLong { arg: "topic", max: 3 }));
    /// ```
    pub fn string_with(
        &mut self,
        arg: &'static str,
        value: &str,
        max: usize,
        forbidden: &[u8],
    ) -> &mut Self {
        if let Some(&byte) = value.as_bytes().iter().find(|b| forbidden.contains(b)) {
            self.separator();
            self.fail(EncodeError::ForbiddenByte { arg, byte });
            return self;
        }
        if value.len() > max {
            self.separator();
            self.fail(EncodeError::TooLong { arg, max });
            return self;
        }
        self.string(arg, value)
    }

    /// An unquoted token argument (e.g. a bare Luat topic, `GPRS`). Besides what
    /// [`string`](Self::string) rejects, a `,` is rejected, as it would split the argument.
    ///
    /// ```
    /// use atmodem::codec::{CommandWriter, EncodeError};
    /// let mut buf = [0u8; 64];
    /// let mut w = CommandWriter::new(&mut buf, "+SAPBR");
    /// w.uint(3).uint(1).string("param", "CONTYPE").token("value", "GPRS");
    /// assert_eq!(w.finish().unwrap(), b"AT+SAPBR=3,1,\"CONTYPE\",GPRS\r");
    /// let mut w = CommandWriter::new(&mut buf, "+X");
    /// w.token("value", "a,b");
    /// assert_eq!(w.finish(), Err(EncodeError::InvalidArgument("value")));
    /// ```
    pub fn token(&mut self, arg: &'static str, value: &str) -> &mut Self {
        self.separator();
        if !value.bytes().all(|b| string_byte_ok(b) && b != b',') {
            self.fail(EncodeError::InvalidArgument(arg));
            return self;
        }
        self.put(value.as_bytes());
        self
    }

    /// A quoted argument in which `"`, `\`, CR, LF and other control bytes are written as
    /// `\XX` hex escapes (`\22`, `\5C`, `\0D`, `\0A`): the rule of Luat `AT+MPUB`.
    ///
    /// ```
    /// use atmodem::codec::{CommandWriter, EncodeError};
    /// let mut buf = [0u8; 64];
    /// let mut w = CommandWriter::new(&mut buf, "+MPUB");
    /// w.string("topic", "t").uint(0).uint(0).escaped(b"a\"b\r\n");
    /// assert_eq!(w.finish().unwrap(), b"AT+MPUB=\"t\",0,0,\"a\\22b\\0D\\0A\"\r");
    /// ```
    pub fn escaped(&mut self, value: &[u8]) -> &mut Self {
        self.separator();
        self.put(b"\"");
        for chunk in value.split_inclusive(|&b| needs_escape(b)) {
            match chunk.split_last() {
                Some((&last, head)) if needs_escape(last) => {
                    self.put(head);
                    self.put(&[b'\\', hex_digit(last >> 4), hex_digit(last & 0x0f)]);
                }
                _ => self.put(chunk),
            }
        }
        self.put(b"\"");
        self
    }

    /// An omitted argument. Written as an empty field (`,,`) when a later argument follows,
    /// dropped when it is trailing.
    ///
    /// ```
    /// use atmodem::codec::{CommandWriter, EncodeError};
    /// let mut buf = [0u8; 64];
    /// let mut w = CommandWriter::new(&mut buf, "+X");
    /// w.uint(1).skip().uint(3).skip();
    /// assert_eq!(w.finish().unwrap(), b"AT+X=1,,3\r"); // the trailing one is dropped
    /// ```
    pub fn skip(&mut self) -> &mut Self {
        self.skipped = self.skipped.saturating_add(1);
        self
    }

    /// An optional unsigned integer: [`skip`](Self::skip) when `None`.
    ///
    /// ```
    /// use atmodem::codec::{CommandWriter, EncodeError};
    /// let mut buf = [0u8; 64];
    /// let mut w = CommandWriter::new(&mut buf, "+X");
    /// w.opt_uint(None).opt_uint(Some(5));
    /// assert_eq!(w.finish().unwrap(), b"AT+X=,5\r");
    /// ```
    pub fn opt_uint(&mut self, v: Option<u64>) -> &mut Self {
        match v {
            Some(v) => self.uint(v),
            None => self.skip(),
        }
    }

    /// An optional quoted string: [`skip`](Self::skip) when `None`.
    ///
    /// ```
    /// use atmodem::codec::{CommandWriter, EncodeError};
    /// let mut buf = [0u8; 64];
    /// let mut w = CommandWriter::new(&mut buf, "+X");
    /// w.uint(1).opt_string("user", Some("u")).opt_string("pass", None);
    /// assert_eq!(w.finish().unwrap(), b"AT+X=1,\"u\"\r");
    /// ```
    pub fn opt_string(&mut self, arg: &'static str, v: Option<&str>) -> &mut Self {
        match v {
            Some(v) => self.string(arg, v),
            None => self.skip(),
        }
    }

    /// Finish the line with `\r` and return the bytes to send, or the first error.
    ///
    /// ```
    /// use atmodem::codec::{CommandWriter, EncodeError};
    /// let mut buf = [0u8; 64];
    /// let mut w = CommandWriter::new(&mut buf, "+X");
    /// w.string("a", "\n").uint(1); // the first error is kept
    /// assert_eq!(w.finish(), Err(EncodeError::InvalidArgument("a")));
    /// ```
    pub fn finish(mut self) -> Result<&'b [u8], EncodeError> {
        let suffix = self.suffix;
        self.put(suffix);
        self.put(b"\r");
        if let Some(e) = self.error {
            return Err(e);
        }
        let len = self.len;
        let buf: &'b [u8] = self.buf;
        buf.get(..len).ok_or(EncodeError::BufferFull)
    }
}

/// Checks a URL before it goes to a module, in a quoted argument (Luat
/// `AT+HTTPPARA="URL"`) or as the data of a data phase (Quectel `AT+QHTTPURL`, where nothing
/// else would stop a CR from ending the URL and starting a command): it must be non-empty
/// and visible ASCII (0x21..=0x7E; a space, a control byte or a non-ASCII byte must be
/// percent-encoded).
///
/// An empty URL is [`EncodeError::InvalidArgument`], any other byte
/// [`EncodeError::ForbiddenByte`]; both name `arg`.
///
/// ```
/// use atmodem::codec::{EncodeError, check_url};
/// assert_eq!(check_url("url", "https://iot-auth.cn-shanghai.aliyuncs.com/auth/devicename"), Ok(()));
/// assert_eq!(
///     check_url("url", "a\r\nAT+QPOWD\r"),
///     Err(EncodeError::ForbiddenByte { arg: "url", byte: b'\r' })
/// );
/// assert_eq!(check_url("url", ""), Err(EncodeError::InvalidArgument("url")));
/// ```
pub fn check_url(arg: &'static str, url: &str) -> Result<(), EncodeError> {
    if url.is_empty() {
        return Err(EncodeError::InvalidArgument(arg));
    }
    match url.bytes().find(|b| !b.is_ascii_graphic()) {
        Some(byte) => Err(EncodeError::ForbiddenByte { arg, byte }),
        None => Ok(()),
    }
}

/// Checks an HTTP body before it goes to a module, by its content type (compared without
/// case, parameters such as `; charset=utf-8` ignored):
///
/// * `application/x-www-form-urlencoded`: visible ASCII only (0x21..=0x7E; spaces are `+`,
///   everything else is percent-encoded);
/// * `application/json` and `text/*`: UTF-8 text without control bytes (no CR, LF, tab or
///   DEL: write JSON without line breaks);
/// * any other type (`application/octet-stream`, `multipart/form-data`, ...): binary,
///   accepted as it is.
///
/// A byte outside the rule is [`EncodeError::ForbiddenByte`] naming `body` (the first
/// byte of a sequence that is not UTF-8).
///
/// ```
/// use atmodem::codec::{EncodeError, check_body};
/// let form = "application/x-www-form-urlencoded";
/// assert_eq!(check_body(form, b"productKey=a1&deviceName=d1"), Ok(()));
/// assert_eq!(
///     check_body(form, b"a=1\r\nAT+QPOWD"),
///     Err(EncodeError::ForbiddenByte { arg: "body", byte: b'\r' })
/// );
/// assert_eq!(check_body("application/json", "{\"t\":\"25°C\"}".as_bytes()), Ok(()));
/// assert_eq!(check_body("application/octet-stream", b"\x00\x1a\xff"), Ok(()));
/// ```
pub fn check_body(content_type: &str, body: &[u8]) -> Result<(), EncodeError> {
    const ARG: &str = "body";
    let media = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim_matches(|c| c == ' ' || c == '\t');
    let bad = if media.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        body.iter().copied().find(|b| !b.is_ascii_graphic())
    } else if media.eq_ignore_ascii_case("application/json")
        || media
            .get(..5)
            .is_some_and(|t| t.eq_ignore_ascii_case("text/"))
    {
        match core::str::from_utf8(body) {
            Ok(_) => body.iter().copied().find(|&b| b < 0x20 || b == 0x7f),
            Err(e) => body.get(e.valid_up_to()).copied(),
        }
    } else {
        None
    };
    match bad {
        Some(byte) => Err(EncodeError::ForbiddenByte { arg: ARG, byte }),
        None => Ok(()),
    }
}

fn needs_escape(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\' || b == 0x7f
}

fn hex_digit(n: u8) -> u8 {
    match n {
        0..=9 => b'0'.wrapping_add(n),
        _ => b'A'.wrapping_add(n.wrapping_sub(10)),
    }
}

/// Decimal digits of `v`, written at the end of `out`.
///
/// Values that fit in 32 bits (nearly every AT argument) take a `u32` loop. Above, the digits
/// from the tenth on are found by subtracting powers of ten, so that a 32-bit target links no
/// 64-bit division routine.
pub(crate) fn format_u64(v: u64, out: &mut [u8; 20]) -> &[u8] {
    let Ok(small) = u32::try_from(v) else {
        return format_large(v, out);
    };
    let mut n = small;
    let mut i = out.len();
    loop {
        i = i.saturating_sub(1);
        if let Some(slot) = out.get_mut(i) {
            *slot = digit(n % 10);
        }
        n /= 10;
        if n == 0 || i == 0 {
            break;
        }
    }
    out.get(i..).unwrap_or_default()
}

fn digit(d: u32) -> u8 {
    b'0'.wrapping_add(u8::try_from(d).unwrap_or(0))
}

/// 10^19 down to 10^9.
const HIGH_POWERS: [u64; 11] = [
    10_000_000_000_000_000_000,
    1_000_000_000_000_000_000,
    100_000_000_000_000_000,
    10_000_000_000_000_000,
    1_000_000_000_000_000,
    100_000_000_000_000,
    10_000_000_000_000,
    1_000_000_000_000,
    100_000_000_000,
    10_000_000_000,
    1_000_000_000,
];

/// [`format_u64`] of a value above `u32::MAX`: 10 to 20 digits.
fn format_large(v: u64, out: &mut [u8; 20]) -> &[u8] {
    let mut rest = v;
    let mut started = false;
    let mut at = 0usize;
    // Powers of ten from 10^19 down to 10^9: one digit each, by subtraction.
    for power in HIGH_POWERS {
        let mut d = 0u32;
        while rest >= power {
            rest = rest.wrapping_sub(power);
            d = d.wrapping_add(1);
        }
        if d > 0 || started {
            started = true;
            if let Some(slot) = out.get_mut(at) {
                *slot = digit(d);
            }
            at = at.saturating_add(1);
        }
    }
    // The last nine digits, zero-padded; `rest` is below 10^9.
    let mut low = u32::try_from(rest).unwrap_or(0);
    let end = at.saturating_add(9);
    for i in (at..end).rev() {
        if let Some(slot) = out.get_mut(i) {
            *slot = digit(low % 10);
        }
        low /= 10;
    }
    out.get(..end).unwrap_or_default()
}
