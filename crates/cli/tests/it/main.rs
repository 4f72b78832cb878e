//! The `cardwire` command run as a user runs it, one test binary: every command's output on
//! published and oracle-checked vectors, its exit status, and its behaviour on bad input.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::cast_possible_truncation
)] // tests may fail loudly

mod common;

mod crypto;
mod emv_cli;
mod iso8583;
mod merchant;
mod tlv;
mod usage;
