//! Statement (对账单) audit: streams a CSV statement, one row at a time, and reports findings
//! per terminal and per merchant number.
//!
//! Columns are found by header name (case-insensitive): `time`, `terminal_id`, `merchant_no`
//! and `amount` are required, `mcc` is read when present, every other column (`merchant_name`,
//! `fee`, `card`, `type`, `rrn`, …) is ignored — card numbers are never read or echoed.
//! `amount` is yuan with at most two decimals (`123.45`, `123.4`, `123`, `-5.00` for a refund);
//! an integer is yuan, never fen.
//!
//! Memory grows with the number of distinct terminals and merchant numbers, never with the
//! number of rows. A malformed row is reported with its line number and the audit goes on.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use std::collections::{HashMap, HashSet};

use crate::check::{Expectation, expectation_rules, mcc_rules, region_rule};
use crate::error::{Column, Error, ErrorKind};
use crate::finding::{Evidence, Finding, Rule, Shown, Source};
use crate::mcc::Mcc;
use crate::merchant_no::{MerchantId, TerminalId};
use crate::money::Fen;
use crate::policy::Policy;
use crate::region::Region;
use crate::statement_reader::{Record, StatementReader};

/// What the audit compares the statement against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuditConfig {
    /// What the merchant's business is (applied to every merchant number).
    pub expectation: Expectation,
    /// Which MCCs earn no points and which are preferential.
    pub policy: Policy,
    /// `many-merchants-per-terminal` fires when a terminal shows more merchant numbers than
    /// this.
    pub many_merchants_threshold: usize,
}

impl Default for AuditConfig {
    /// No expectation, the default policy, threshold 3.
    fn default() -> Self {
        Self {
            expectation: Expectation::default(),
            policy: Policy::DEFAULT,
            many_merchants_threshold: 3,
        }
    }
}

/// One statement row, as borrowed fields.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StatementRow<'r> {
    /// `time` (kept as text; must not be empty).
    pub time: &'r [u8],
    /// `terminal_id`: 8 printable characters.
    pub terminal_id: &'r [u8],
    /// `merchant_no`: the merchant number (a malformed one is a finding, not an error).
    pub merchant_no: &'r [u8],
    /// `mcc`, when the statement has the column (empty means not given).
    pub mcc: Option<&'r [u8]>,
    /// `amount`: yuan with at most two decimals.
    pub amount: &'r [u8],
}

/// What the audit found about one terminal.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TerminalReport {
    /// The terminal id.
    pub terminal_id: TerminalId,
    /// The merchant numbers it showed, in order of first appearance (malformed ones as text).
    pub merchant_nos: Vec<String>,
    /// Rows read for it.
    pub rows: u64,
    /// Sum of its amounts, in fen.
    pub amount_fen: i64,
    /// `terminal-merchant-changed`, `mcc-drift`, `region-drift`, `many-merchants-per-terminal`.
    pub findings: Vec<Finding>,
}

/// The audit's result.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuditReport {
    /// Data rows read (malformed ones included).
    pub rows: u64,
    /// Per terminal, in order of first appearance.
    pub terminals: Vec<TerminalReport>,
    /// Per merchant number, in order of first appearance: each finding names its merchant
    /// number ([`Finding::merchant`]) or, for a malformed one, shows it in the evidence.
    pub findings: Vec<Finding>,
    /// Malformed rows, with their line numbers (empty when [`audit_with`] took them).
    pub errors: Vec<Error>,
}

/// A finding's first occurrence and how often it occurred.
#[derive(Clone, Copy, Debug)]
struct Seen<T> {
    first: T,
    line: u64,
    count: u64,
}

fn note<T>(slot: &mut Option<Seen<T>>, value: T, line: u64) {
    match slot {
        Some(s) => s.count = s.count.saturating_add(1),
        None => {
            *slot = Some(Seen {
                first: value,
                line,
                count: 1,
            });
        }
    }
}

#[derive(Debug)]
struct TerminalState {
    id: TerminalId,
    rows: u64,
    amount_fen: i64,
    /// Indexes into `Auditor::merchants`, in order of first appearance.
    merchants: Vec<usize>,
    /// The merchant of the previous row.
    last: usize,
    /// The last well-formed merchant number, which the drift rules compare against.
    last_valid: Option<MerchantId>,
    changed: Option<Seen<(MerchantId, MerchantId)>>,
    mcc_drift: Option<Seen<(Mcc, Mcc)>>,
    region_drift: Option<Seen<(Region, Region)>>,
    /// Line where the merchant count passed the threshold.
    many_at: Option<u64>,
}

#[derive(Debug)]
struct MerchantState {
    raw: Box<[u8]>,
    parsed: Result<MerchantId, Error>,
    first_line: u64,
    rows: u64,
    /// The statement's `mcc` column disagreeing with the MCC inside the merchant number.
    mcc_column: Option<Seen<Mcc>>,
}

/// The streaming state of an audit: feed rows with [`Auditor::row`], then [`Auditor::finish`].
#[derive(Debug)]
pub struct Auditor {
    config: AuditConfig,
    rows: u64,
    terminals: Vec<TerminalState>,
    terminal_index: HashMap<TerminalId, usize>,
    merchants: Vec<MerchantState>,
    merchant_index: HashMap<Box<[u8]>, usize>,
    /// (terminal, merchant) pairs already listed in the terminal's `merchants`.
    pairs: HashSet<(usize, usize)>,
}

impl Auditor {
    /// An empty audit.
    pub fn new(config: AuditConfig) -> Self {
        Self {
            config,
            rows: 0,
            terminals: Vec::new(),
            terminal_index: HashMap::new(),
            merchants: Vec::new(),
            merchant_index: HashMap::new(),
            pairs: HashSet::new(),
        }
    }

    /// Counts a row too malformed to read (its error is the caller's to report).
    pub(crate) fn count_malformed(&mut self) {
        self.rows = self.rows.saturating_add(1);
    }

    /// Reads one row found on `line`. A malformed row is counted, changes nothing else and
    /// comes back as the error (with its line).
    pub fn row(&mut self, line: u64, row: &StatementRow<'_>) -> Result<(), Error> {
        self.rows = self.rows.saturating_add(1);
        self.read_row(line, row).map_err(|e| e.at_line(line))
    }

    fn read_row(&mut self, line: u64, row: &StatementRow<'_>) -> Result<(), Error> {
        let empty = |c: Column| Error::new(ErrorKind::Empty, 0).in_column(c);
        if row.time.is_empty() {
            return Err(empty(Column::Time));
        }
        if row.merchant_no.is_empty() {
            return Err(empty(Column::MerchantNo));
        }
        let terminal = match row.terminal_id {
            [] => return Err(empty(Column::TerminalId)),
            t => TerminalId::parse(t).map_err(|e| e.in_column(Column::TerminalId))?,
        };
        let mcc = match row.mcc {
            None | Some([]) => None,
            Some(m) => Some(Mcc::parse(m).map_err(|e| e.in_column(Column::Mcc))?),
        };
        let amount = match row.amount {
            [] => return Err(empty(Column::Amount)),
            a => parse_amount(a).map_err(|e| e.in_column(Column::Amount))?,
        };

        let t = self.terminal(terminal, row.merchant_no, line);
        let m = match self.terminals.get(t) {
            Some(state) if self.raw_of(state.last) == Some(row.merchant_no) => state.last,
            _ => self.merchant(row.merchant_no, line),
        };
        if let Some(merchant) = self.merchants.get_mut(m) {
            merchant.rows = merchant.rows.saturating_add(1);
            if let (Some(column), Ok(id)) = (mcc, merchant.parsed)
                && column != id.view().mcc()
            {
                note(&mut merchant.mcc_column, column, line);
            }
        }
        let parsed = self.merchants.get(m).and_then(|s| s.parsed.ok());
        // Hash the (terminal, merchant) pair only when the terminal's merchant changes.
        let new_pair = match self.terminals.get(t) {
            Some(state) if state.merchants.is_empty() || state.last != m => {
                self.pairs.insert((t, m))
            }
            _ => false,
        };
        let threshold = self.config.many_merchants_threshold;
        if let Some(state) = self.terminals.get_mut(t) {
            state.rows = state.rows.saturating_add(1);
            state.amount_fen = state.amount_fen.saturating_add(amount);
            if new_pair {
                state.merchants.push(m);
                if state.merchants.len() > threshold && state.many_at.is_none() {
                    state.many_at = Some(line);
                }
            }
            state.last = m;
            if let Some(now) = parsed {
                drift(state, now, line);
            }
        }
        Ok(())
    }

    /// The terminal's index, created on first sight with `merchant_no` as its merchant.
    fn terminal(&mut self, id: TerminalId, merchant_no: &[u8], line: u64) -> usize {
        if let Some(&i) = self.terminal_index.get(&id) {
            return i;
        }
        let m = self.merchant(merchant_no, line);
        let i = self.terminals.len();
        self.terminal_index.insert(id, i);
        self.terminals.push(TerminalState {
            id,
            rows: 0,
            amount_fen: 0,
            merchants: Vec::new(),
            last: m,
            last_valid: None,
            changed: None,
            mcc_drift: None,
            region_drift: None,
            many_at: None,
        });
        self.terminals.len() - 1
    }

    /// The merchant number's index, created on first sight.
    fn merchant(&mut self, raw: &[u8], line: u64) -> usize {
        if let Some(&i) = self.merchant_index.get(raw) {
            return i;
        }
        let i = self.merchants.len();
        self.merchant_index.insert(raw.into(), i);
        self.merchants.push(MerchantState {
            raw: raw.into(),
            parsed: MerchantId::parse(raw),
            first_line: line,
            rows: 0,
            mcc_column: None,
        });
        i
    }

    fn raw_of(&self, m: usize) -> Option<&[u8]> {
        self.merchants.get(m).map(|s| &*s.raw)
    }

    /// The report: per-terminal findings, then per-merchant-number findings.
    pub fn finish(self) -> AuditReport {
        let threshold = self.config.many_merchants_threshold;
        // Every index a terminal holds was returned by `merchant`, which pushed its entry.
        let text = |m: &usize| {
            self.raw_of(*m)
                .map(|r| String::from_utf8_lossy(r).into_owned())
        };
        let terminals = self
            .terminals
            .iter()
            .map(|t| TerminalReport {
                terminal_id: t.id,
                merchant_nos: t.merchants.iter().filter_map(text).collect(),
                rows: t.rows,
                amount_fen: t.amount_fen,
                findings: terminal_findings(t, threshold),
            })
            .collect();
        let mut findings = Vec::new();
        for m in &self.merchants {
            merchant_findings(m, &self.config, &mut |f| findings.push(f));
        }
        AuditReport {
            rows: self.rows,
            terminals,
            findings,
            errors: Vec::new(),
        }
    }
}

/// Compares a terminal's well-formed merchant number with its previous one.
fn drift(state: &mut TerminalState, now: MerchantId, line: u64) {
    let Some(before) = state.last_valid.replace(now) else {
        return;
    };
    if before == now {
        return;
    }
    note(&mut state.changed, (before, now), line);
    let (b, n) = (before.view(), now.view());
    if b.mcc() != n.mcc() {
        note(&mut state.mcc_drift, (b.mcc(), n.mcc()), line);
    }
    if b.region() != n.region() {
        note(&mut state.region_drift, (b.region(), n.region()), line);
    }
}

fn terminal_findings(t: &TerminalState, threshold: usize) -> Vec<Finding> {
    let terminal = t.id;
    let mut out = Vec::new();
    if let Some(s) = t.changed {
        let (before, after) = s.first;
        out.push(
            Finding::new(
                Rule::TerminalMerchantChanged,
                Evidence::MerchantChanged {
                    terminal,
                    before,
                    after,
                },
            )
            .at(s.line, s.count),
        );
    }
    if let Some(line) = t.many_at {
        out.push(
            Finding::new(
                Rule::ManyMerchantsPerTerminal,
                Evidence::ManyMerchants {
                    terminal,
                    count: t.merchants.len(),
                    threshold,
                },
            )
            .at(line, 1),
        );
    }
    if let Some(s) = t.mcc_drift {
        let (before, after) = s.first;
        out.push(
            Finding::new(
                Rule::MccDrift,
                Evidence::MccDrift {
                    terminal,
                    before,
                    after,
                },
            )
            .at(s.line, s.count),
        );
    }
    if let Some(s) = t.region_drift {
        let (before, after) = s.first;
        out.push(
            Finding::new(
                Rule::RegionDrift,
                Evidence::RegionDrift {
                    terminal,
                    before,
                    after,
                },
            )
            .at(s.line, s.count),
        );
    }
    out
}

/// The per-transaction rules that depend on the merchant number alone, once per number.
fn merchant_findings(m: &MerchantState, config: &AuditConfig, sink: &mut impl FnMut(Finding)) {
    let (line, rows) = (m.first_line, m.rows);
    let id = match m.parsed {
        Ok(id) => id,
        Err(error) => {
            sink(
                Finding::new(
                    Rule::MalformedMerchantNo,
                    Evidence::Malformed {
                        source: Source::StatementMerchantNo,
                        value: Shown::new(&m.raw),
                        error,
                    },
                )
                .at(line, rows),
            );
            return;
        }
    };
    let mcc = id.view().mcc();
    if let Some(s) = m.mcc_column {
        sink(
            Finding::new(
                Rule::InconsistentFields,
                Evidence::Mccs {
                    a: Source::StatementMcc,
                    a_value: s.first,
                    b: Source::StatementMerchantNo,
                    b_value: mcc,
                },
            )
            .for_merchant(id)
            .at(s.line, s.count),
        );
    }
    let mut put = |f: Finding| sink(f.for_merchant(id).at(line, rows));
    expectation_rules(mcc, &config.expectation, &config.policy, &mut put);
    if let Some(expected) = config.expectation.region
        && let Some(f) = region_rule(id.view().region(), expected)
    {
        put(f);
    }
    mcc_rules(mcc, &config.policy, &mut put);
}

/// Yuan with at most two decimals, optionally negative, to fen.
fn parse_amount(text: &[u8]) -> Result<i64, Error> {
    Fen::parse_yuan(text).map(|f| f.0)
}

/// Where the needed columns are.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Columns {
    time: usize,
    terminal_id: usize,
    merchant_no: usize,
    amount: usize,
    mcc: Option<usize>,
    /// The header's number of fields, which every row must have.
    pub(crate) count: usize,
}

impl Columns {
    pub(crate) fn from_header(header: &Record<'_>) -> Result<Self, Error> {
        let find = |name: &str| crate::header::find_in(header.iter(), name);
        let need =
            |c: Column| find(c.name()).ok_or(Error::new(ErrorKind::MissingColumn, 0).in_column(c));
        Ok(Self {
            time: need(Column::Time)?,
            terminal_id: need(Column::TerminalId)?,
            merchant_no: need(Column::MerchantNo)?,
            amount: need(Column::Amount)?,
            mcc: find(Column::Mcc.name()),
            count: header.len(),
        })
    }

    pub(crate) fn row<'r>(&self, record: &Record<'r>) -> StatementRow<'r> {
        // Only the fields read are trimmed (trimming whole records costs a tenth of the audit).
        // The caller checked the record against the header's length: every position is
        // there, and an empty field is what a broken invariant would read, not a panic.
        let field = |i: usize| record.get(i).map(<[u8]>::trim_ascii).unwrap_or_default();
        StatementRow {
            time: field(self.time),
            terminal_id: field(self.terminal_id),
            merchant_no: field(self.merchant_no),
            mcc: self.mcc.map(field),
            amount: field(self.amount),
        }
    }
}

/// Audits a CSV statement, collecting malformed rows in [`AuditReport::errors`].
///
/// The error case is a statement that cannot be audited at all: a header without a required
/// column, or an I/O failure. To audit many statements, keep a [`StatementReader`] instead:
/// this builds one per call.
///
/// ```
/// use cardwire_merchant::{audit, AuditConfig, Rule};
///
/// let statement = "time,terminal_id,merchant_no,amount\n\
///     2026-11-02 09:15,12345678,105584070110001,880.00\n\
///     2026-11-02 09:40,12345678,105290054110007,1200.00\n\
///     2026-11-02 10:05,12345678,oops,1.00\n";
/// let report = audit(statement.as_bytes(), &AuditConfig::default())?;
/// assert_eq!(report.rows, 3);
/// assert_eq!(report.errors.len(), 0); // a malformed merchant number is a finding
/// let t = &report.terminals[0];
/// assert!(t.findings.iter().any(|f| f.rule() == Rule::TerminalMerchantChanged));
/// assert!(report.findings.iter().any(|f| f.rule() == Rule::MalformedMerchantNo));
/// # Ok::<(), cardwire_merchant::Error>(())
/// ```
pub fn audit<R: std::io::Read>(input: R, config: &AuditConfig) -> Result<AuditReport, Error> {
    let mut errors = Vec::new();
    let mut report = audit_with(input, config, |e| errors.push(e))?;
    report.errors = errors;
    Ok(report)
}

/// Audits a CSV statement, passing each malformed row's error to `on_error` as it is found (so
/// that memory stays flat even for a statement full of bad rows).
pub fn audit_with<R: std::io::Read>(
    input: R,
    config: &AuditConfig,
    on_error: impl FnMut(Error),
) -> Result<AuditReport, Error> {
    StatementReader::new().audit_with(
        std::io::BufReader::with_capacity(READ_BUFFER, input),
        config,
        on_error,
    )
}

/// The read buffer of [`audit`] (the `csv` crate's default).
const READ_BUFFER: usize = 8 * 1024;

#[cfg(test)]
mod tests {
    use super::parse_amount;

    #[test]
    fn amounts_are_yuan_with_two_decimals() {
        assert_eq!(parse_amount(b"123.45"), Ok(12345));
        assert_eq!(parse_amount(b"123.4"), Ok(12340));
        assert_eq!(parse_amount(b"123"), Ok(12300));
        assert_eq!(parse_amount(b"-5.00"), Ok(-500));
        assert_eq!(parse_amount(b"0.01"), Ok(1));
        for bad in [
            &b""[..],
            b"-",
            b".5",
            b"1.",
            b"1.234",
            b"1,00",
            b"12a",
            b"1.2x",
            b"--1",
            b"99999999999999999999",
        ] {
            assert!(parse_amount(bad).is_err(), "{bad:?}");
        }
    }
}
