//! The platform's integration tests: every route over HTTP (tower), the authorization
//! crossings, bad form input, and the browser flow (headless Chromium).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::cast_possible_truncation,
    missing_docs
)]

mod browser;
mod harness;
mod merchant_pages;
mod metrics;
mod operator_pages;
mod sign_in;
