//! The merchant platform (商户平台): a web application over the cardwire acquirer's data.
//!
//! A merchant signs up, applies, waits for an operator's review, binds its terminal with the
//! serial number and activation code, then reads its dashboard, transaction records,
//! receipts, monthly statement (the acquirer's CSV layout), reconciliation against its
//! terminal's journal and 跳码 alerts (the statement audit of `cardwire-merchant` over its
//! own terminals). Operators review applications, issue activation codes and see terminals,
//! bindings and findings across merchants.
//!
//! Pages are rendered on the server (minijinja templates, SVG charts); there is no script.
//! The merchants, terminals and transactions are the acquirer's (read through
//! [`cardwire_acquirer::records`], written through its registry store); users, applications,
//! sessions and the login rate limit are the platform's own, in `platform.db`.

pub mod alerts;
pub mod auth;
pub mod chart;
pub mod clock;
pub mod error;
pub mod forms;
pub mod store;
pub mod web;

pub use error::{Error, ErrorKind, Result};
pub use web::{Platform, metrics_router, router};
