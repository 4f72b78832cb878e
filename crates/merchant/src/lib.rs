#![no_std]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    clippy::alloc_instead_of_core
)]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod acquirer;
#[cfg(feature = "std")]
mod audit;
mod check;
mod error;
mod finding;
mod history;
mod mcc;
mod merchant_no;
mod money;
mod policy;
mod region;
mod tables;

pub use acquirer::{Acquirer, AcquirerKind};
#[cfg(feature = "std")]
pub use audit::{
    AuditConfig, AuditReport, Auditor, StatementRow, TerminalReport, audit, audit_with,
};
pub use check::{Expectation, Observation, check, check_with};
pub use error::{Column, Error, ErrorKind};
pub use finding::{Evidence, Expected, Finding, Findings, Rule, Severity, Shown, Source};
pub use history::TerminalHistory;
pub use mcc::{FeeTier, IsoRange, List, Lists, Mcc, MccGroup, RangeKind};
pub use merchant_no::{MerchantId, MerchantNo, TerminalId};
pub use money::{FeeRate, Fen};
pub use policy::{McSet, Policy};
pub use region::{Province, Region, RegionCandidate, RegionCandidates, Scheme};
