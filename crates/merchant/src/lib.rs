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
mod ascii;
#[cfg(feature = "std")]
mod audit;
mod check;
mod error;
mod finding;
#[cfg(feature = "std")]
mod header;
mod history;
mod mcc;
mod merchant_no;
mod money;
mod policy;
#[cfg(feature = "std")]
pub mod reconcile;
mod region;
#[cfg(feature = "std")]
mod statement_reader;
mod tables;
mod time;
mod transaction;

pub use acquirer::{Acquirer, AcquirerKind};
#[cfg(feature = "std")]
pub use audit::{
    AuditConfig, AuditReport, Auditor, StatementRow, TerminalReport, audit, audit_with,
};
pub use check::{Expectation, Observation, check, check_with};
pub use error::{Column, Error, ErrorKind, Input};
pub use finding::{
    Evidence, Expected, FieldValue, Finding, Findings, Rule, Severity, Shown, Source,
};
pub use history::TerminalHistory;
pub use mcc::{FeeTier, IsoRange, List, Lists, Mcc, MccGroup, RangeKind};
pub use merchant_no::{MerchantId, MerchantNo, TerminalId};
pub use money::{Booked, ContractRate, FeeRate, Fen, RateTable, Settled};
pub use policy::{McSet, Policy};
pub use region::{Province, Region, RegionCandidate, RegionCandidates, Scheme};
#[cfg(feature = "std")]
pub use statement_reader::StatementReader;
pub use time::{Date, Timestamp};
pub use transaction::{AmountSign, CardType, JOURNAL_COLUMNS, Rrn, TxRef, TxType, Voucher};
