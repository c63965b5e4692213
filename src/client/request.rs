//! One untyped command exchange, and where its command line is.

use crate::codec::{Expect, PromptKind};

/// One untyped command exchange, as the client runs it.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The command's name as written after `AT` (`+CSQ`), for the errors it ends with
    /// ([`Error::Error`](super::Error::Error), [`Error::Cme`](super::Error::Cme),
    /// [`Awaited::Answer`](super::Awaited::Answer), ...): `""` (that is, `AT`) unless set
    /// with [`named`](Self::named).
    pub name: &'static str,
    /// The encoded command line, `AT...\r`.
    pub command: &'a [u8],
    /// What its information lines look like.
    pub expect: Expect,
    /// How long to wait for the final result code, in milliseconds.
    pub timeout_ms: u32,
    /// Data to send once this prompt appears.
    pub send: Option<(PromptKind, &'a [u8])>,
    /// Bytes sent right after the data (Ctrl-Z).
    pub send_end: &'a [u8],
    /// Bytes of data the modem sends after `CONNECT` (Quectel `AT+QHTTPREAD`): they go to the
    /// sink passed to [`Client::exchange`](super::Client::exchange).
    pub receive_after_connect: Option<usize>,
    /// A response header block ended by an empty line comes before those bytes (Quectel
    /// `AT+QHTTPREAD` with `"responseheader"` on); it goes to the same sink.
    pub receive_header: bool,
}

impl<'a> Request<'a> {
    /// A command with no data phase.
    ///
    /// ```
    /// use atmodem::client::{Client, Request, State};
    /// use atmodem::codec::{Expect, Generic};
    /// use atmodem::sim::{InstantDelay, SimModem};
    /// let modem = SimModem::new(">> AT+CGMR\n<< EC200ACNDAR01A02M16\n<< OK\n").unwrap();
    /// let mut state: State = State::new();
    /// let mut c: Client<_, _, Generic> = Client::new(modem, InstantDelay, &mut state);
    /// // The revision is a bare line, with no token.
    /// let cgmr = Request::new(b"AT+CGMR\r", Expect::BARE, 300);
    /// assert_eq!((cgmr.name, cgmr.send, cgmr.receive_after_connect), ("", None, None));
    /// embassy_futures::block_on(c.exchange(&cgmr, None)).unwrap();
    /// assert!(c.response_lines().eq([&b"EC200ACNDAR01A02M16"[..]]));
    /// ```
    pub const fn new(command: &'a [u8], expect: Expect, timeout_ms: u32) -> Self {
        Self {
            name: "",
            command,
            expect,
            timeout_ms,
            send: None,
            send_end: b"",
            receive_after_connect: None,
            receive_header: false,
        }
    }

    /// The same request, named `name` (as written after `AT`) in the errors it ends with.
    ///
    /// ```
    /// use atmodem::client::{Awaited, Client, Error, Request, State};
    /// use atmodem::codec::{Expect, Generic};
    /// use atmodem::sim::{InstantDelay, SimModem};
    /// let modem = SimModem::new(">> AT+QPOWD=1\n<< ERROR\n").unwrap();
    /// let mut state: State = State::new();
    /// let mut c: Client<_, _, Generic> = Client::new(modem, InstantDelay, &mut state);
    /// let off = Request::new(b"AT+QPOWD=1\r", Expect::NOTHING, 300).named("+QPOWD");
    /// let e = embassy_futures::block_on(c.exchange(&off, None)).unwrap_err();
    /// assert_eq!(e, Error::Error { command: "+QPOWD" });
    /// assert_eq!(Request::new(b"AT\r", Expect::NOTHING, 300).name, "");
    /// ```
    pub const fn named(mut self, name: &'static str) -> Self {
        self.name = name;
        self
    }

    /// Send `data` once `prompt` appears.
    ///
    /// ```
    /// use atmodem::client::{Client, Request, State};
    /// use atmodem::codec::{Expect, Generic, PromptKind};
    /// use atmodem::sim::{InstantDelay, SimModem};
    /// // Quectel's publish of a 5-byte payload: the data goes after the `>` prompt.
    /// let script = ">> AT+QMTPUBEX=0,0,0,0,\"t\",5\n<<| \"\\r\\n> \"\n>>| \"hello\"\n<< OK\n";
    /// let mut state: State = State::new();
    /// let mut c: Client<_, _, Generic> = Client::new(SimModem::new(script).unwrap(), InstantDelay, &mut state);
    /// let publish = Request::new(b"AT+QMTPUBEX=0,0,0,0,\"t\",5\r", Expect::NOTHING, 15_000)
    ///     .with_data(PromptKind::Angle, b"hello");
    /// embassy_futures::block_on(c.exchange(&publish, None)).unwrap();
    /// assert!(c.transport().is_done());
    /// ```
    pub const fn with_data(mut self, prompt: PromptKind, data: &'a [u8]) -> Self {
        self.send = Some((prompt, data));
        self
    }

    /// Take `len` bytes of data after `CONNECT`.
    ///
    /// ```
    /// use atmodem::client::{Client, Request, State};
    /// use atmodem::codec::{Expect, Generic};
    /// use atmodem::sim::{InstantDelay, SimModem};
    /// // Quectel's HTTP read: `CONNECT`, the body (a line end and `OK` in it), then `OK`.
    /// let script = ">> AT+QHTTPREAD=80\n<< CONNECT\n<<| \"a\\r\\nOK\"\n<< OK\n";
    /// let mut state: State = State::new();
    /// let mut c: Client<_, _, Generic> = Client::new(SimModem::new(script).unwrap(), InstantDelay, &mut state);
    /// let read = Request::new(b"AT+QHTTPREAD=80\r", Expect::NOTHING, 80_000).with_receive(5);
    /// let mut body = [0u8; 16];
    /// let n = embassy_futures::block_on(c.exchange(&read, Some(&mut body))).unwrap();
    /// assert_eq!(&body[..n], b"a\r\nOK");
    /// ```
    pub const fn with_receive(mut self, len: usize) -> Self {
        self.receive_after_connect = Some(len);
        self
    }

    /// Take a response header block ended by an empty line, then `len` bytes of data, after
    /// `CONNECT`.
    ///
    /// ```
    /// use atmodem::client::Request;
    /// use atmodem::codec::Expect;
    /// let r = Request::new(b"AT+QHTTPREAD=80\r", Expect::NOTHING, 85_000).with_header_and_receive(119);
    /// assert_eq!((r.receive_after_connect, r.receive_header), (Some(119), true));
    /// ```
    pub const fn with_header_and_receive(mut self, len: usize) -> Self {
        self.receive_after_connect = Some(len);
        self.receive_header = true;
        self
    }
}

/// Where the command line to write is.
#[derive(Clone, Copy)]
pub(super) enum Line<'a> {
    /// In the caller's memory.
    Bytes(&'a [u8]),
    /// Encoded at the start of the response buffer, this many bytes.
    Encoded(usize),
}
