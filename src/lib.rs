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
pub mod dialects;
#[cfg(feature = "tokio")]
pub mod host;
#[cfg(feature = "std")]
pub mod sim;
#[cfg(feature = "std")]
pub mod transcript;
