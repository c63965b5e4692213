#![doc = include_str!("../README.md")]
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![deny(unused_must_use)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects,
        clippy::unreachable,
        clippy::todo,
        clippy::cast_possible_truncation
    )
)]

#[cfg(all(feature = "defmt", feature = "log"))]
compile_error!("the `defmt` and `log` features are exclusive: enable at most one");

#[cfg(feature = "std")]
extern crate std;

pub mod aliyun;
pub mod client;
pub mod codec;
pub mod device;
pub mod dialects;
#[cfg(feature = "tokio")]
pub mod host;
pub mod prelude;
#[cfg(feature = "std")]
pub mod sim;
#[cfg(feature = "std")]
pub mod transcript;

/// Counts of parser calls on this thread, for the tests that prove each line is parsed once.
#[cfg(all(test, feature = "std"))]
pub(crate) mod parse_count {
    use core::cell::Cell;

    std::thread_local! {
        static URC: Cell<usize> = const { Cell::new(0) };
    }

    /// One more URC parse (a family's `parse`).
    pub(crate) fn bump() {
        URC.with(|n| n.set(n.get() + 1));
    }

    /// URC parses so far on this thread.
    pub(crate) fn urc() -> usize {
        URC.with(Cell::get)
    }
}
