//! The sans-I/O codec: command encoding, framing, final result codes and URC parsing.
//!
//! Synchronous, zero-copy and panic-free on every input. Bytes from the modem go into a
//! [`Decoder`], which cuts them into [`Frame`]s; a [`Classifier`] turns frames into [`Item`]s
//! (echo, prompt, response, final code, data, URC) knowing which command is in flight. A
//! [`Reader`] bundles the two. Outgoing commands are written by [`CommandWriter`].
//!
//! This is the advanced layer. A firmware normally uses [`Client`](crate::client::Client)
//! (or `atmodem::prelude`), which owns its decoder, classifier and URC queue and drives them;
//! nothing here can be reached through a client. The codec is public for host tools (the
//! `decode` example), for transports other than a byte stream, and for tests: the decoder's
//! prompt and data controls ([`Decoder::expect_prompt`], [`Decoder::expect_data`]), the
//! classifier's [`Expect`] and the queue's scratch space are what a client uses to run one
//! command, and calling them is only needed when writing such a driver.
//!
//! ```
//! use atmodem::codec::{Expect, FinalCode, Generic, Item, Reader};
//! let mut reader: Reader<Generic, [u8; 256]> = Reader::new();
//! reader.begin(Expect::tokens(&[b"+CSQ"]));
//! reader.feed(b"AT+CSQ\r\r\n+CSQ: 20,99\r\n\r\nOK\r\n");
//! assert!(matches!(reader.next_item(), Some(Ok(Item::Echo(b"AT+CSQ")))));
//! assert!(matches!(reader.next_item(), Some(Ok(Item::Response { line: b"+CSQ: 20,99", .. }))));
//! assert!(matches!(reader.next_item(), Some(Ok(Item::Final(FinalCode::Ok)))));
//! assert!(reader.next_item().is_none());
//! ```

mod classify;
mod cme;
mod decoder;
mod dialect;
mod encode;
pub(crate) mod fields;
mod queue;
mod redact;
mod result;
mod urc;

pub use classify::{Classifier, Expect, Item, Reader, Seen};
pub use cme::{ExtendedError, cme_code, cme_text};
pub use decoder::{DecodeError, Decoder, DecoderStats, Frame};
pub use dialect::{Dialect, Framing, Generic, LinkEvent};
pub(crate) use encode::format_u64;
pub use encode::{CommandWriter, EncodeError, check_body, check_url};
pub use queue::{LineQueue, Lines, LinesIter, MessageSpans, Tag};
pub use redact::RawLine;
pub use result::{ErrorCode, FinalCode, Prompt, PromptKind};
pub use urc::{PdpEvent, RegStatus, Registration, SimState, Urc, token, token_is};
