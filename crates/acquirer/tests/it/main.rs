//! cardwire-acquirer's own tests: only what needs nothing outside the crate (the fixtures'
//! flows are cardwire-testkit's tests).

// Test helpers may fail loudly: a failed unwrap is a failed test. (One preamble for the one
// test binary.)
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::cast_possible_truncation
)]

mod errors;
