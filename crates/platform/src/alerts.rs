//! 跳码 alerts: the statement audit of `cardwire-merchant` run over a merchant's own
//! terminals, and every transaction settled under a merchant number that is not the
//! merchant's, each explained in words a merchant reads.

use std::collections::BTreeMap;

use cardwire_acquirer::records::{Query, Records, Scope, Status, TxView};
use cardwire_merchant::{
    AuditConfig, Auditor, Expectation, Fen, Finding, Mcc, Region, Rule, StatementRow,
};
use serde::Serialize;

use crate::error::Result;

/// One alert as a page shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Alert {
    /// `definitive`, `suspicious` or `info` (the page's colour).
    pub severity: String,
    /// One line in plain words.
    pub title: String,
    /// The evidence.
    pub detail: String,
}

/// The merchant an audit is about: its number, MCC and region as approved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Own {
    /// The merchant number.
    pub merchant_no: String,
    /// The MCC of its business.
    pub mcc: String,
    /// Its region code.
    pub region: String,
}

/// A transaction type on the statement (approved purchases, completions, voids, refunds).
pub fn on_statement(v: &TxView) -> bool {
    matches!(
        v.transaction.codes().type_code,
        "22" | "20" | "23" | "21" | "25"
    ) && v.status() == Status::Approved
}

/// The signed amount of a statement row (voids and refunds negative).
pub fn signed(v: &TxView) -> i64 {
    let a = i64::try_from(v.amount).unwrap_or(i64::MAX);
    if v.transaction.is_credit() { -a } else { a }
}

/// What the rule means, in a merchant's words.
pub fn words(rule: Rule) -> &'static str {
    match rule {
        Rule::TerminalMerchantChanged => {
            "Your terminal's transactions switched to another merchant number"
        }
        Rule::ManyMerchantsPerTerminal => "Your terminal was used under many merchant numbers",
        Rule::MccNotExpected => "Transactions were settled as a business that is not yours",
        Rule::RegionMismatch => "Transactions were settled under a region that is not yours",
        Rule::CheaperTier => {
            "Transactions were settled in a cheaper fee category than your business belongs to"
        }
        Rule::NoPointsCategory => {
            "Transactions were settled in a category where cardholders earn no reward points"
        }
        Rule::MccDrift => "The business type (MCC) of your terminal's transactions changes",
        Rule::RegionDrift => "The region of your terminal's transactions changes",
        Rule::MalformedMerchantNo => "A merchant number on your statement is malformed",
        Rule::ReservedMcc | Rule::UnknownMcc => "A business category code is not a known one",
        Rule::AmountMismatch => "The statement books another amount than your terminal printed",
        Rule::FeeMismatch => "The statement charges another fee than your terminal quoted",
        Rule::FeeRateMismatch => "A fee is not your contracted rate",
        Rule::FeeRateChanged => "The fee rate changed during the period",
        Rule::MissingOnStatement => "A transaction of your terminal is missing on the statement",
        Rule::MissingOnJournal => "The statement has a transaction your terminal did not record",
        Rule::MerchantNoMismatch => {
            "The statement settles a transaction under another merchant number than your terminal printed"
        }
        Rule::TypeMismatch => "The statement books another transaction type than your terminal",
        Rule::SettlementShort => "Less money was credited than the day's transactions",
        Rule::DuplicateBooking => "The same transaction is booked twice",
        _ => "The audit found an irregularity",
    }
}

/// The alert of a finding.
pub fn of_finding(f: &Finding) -> Alert {
    Alert {
        severity: f.severity().to_string(),
        title: words(f.rule()).into(),
        detail: format!("{f} [{}]", f.rule().id()),
    }
}

#[derive(Default)]
struct Foreign {
    name: String,
    mcc: String,
    count: u64,
    amount: i64,
    first: String,
    last: String,
}

/// The period an audit covers: one month's statement, `YYYY-MM`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Month {
    /// Its first second.
    pub from: cardwire_acquirer::DateTime,
    /// Its last second.
    pub to: cardwire_acquirer::DateTime,
}

impl Month {
    /// The month `YYYY-MM`; `None` for text that is not one.
    pub fn parse(text: &str) -> Option<Self> {
        if !crate::clock::is_month(text) {
            return None;
        }
        let from = crate::clock::parse_date(&format!("{text}-01"))?;
        let (y, m) = (from.year(), from.month());
        let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
        // The last second of the month: the second before the next month's first.
        let next = cardwire_acquirer::DateTime::new(ny, nm, 1, 0, 0, 0)?;
        let last_day = (28..=31)
            .rev()
            .find(|d| cardwire_acquirer::DateTime::new(y, m, *d, 0, 0, 0).is_some())?;
        let to = cardwire_acquirer::DateTime::new(y, m, last_day, 23, 59, 59)?;
        debug_assert!(to < next);
        Some(Self { from, to })
    }
}

/// The alerts of the transactions `scopes` see in `month` (the month's statement), for the
/// merchant `own`.
///
/// # Errors
/// The acquirer's records failing.
pub fn audit(
    records: &Records,
    scopes: Vec<Scope>,
    month: &Month,
    own: &Own,
) -> Result<Vec<Alert>> {
    let config = AuditConfig {
        expectation: Expectation {
            mcc: Mcc::parse(own.mcc.as_bytes()).ok(),
            group: None,
            region: Region::parse(own.region.as_bytes()).ok(),
        },
        ..AuditConfig::default()
    };
    let mut auditor = Auditor::new(config);
    let mut foreign: BTreeMap<(String, String), Foreign> = BTreeMap::new();
    let mut unreadable = 0u64;
    let mut line = 1u64;
    let query = Query {
        scopes,
        from: Some(month.from),
        to: Some(month.to),
        status: Some(Status::Approved),
        ..Query::default()
    };
    records.each(&query, &mut |v| {
        if !on_statement(v) {
            return;
        }
        line += 1;
        let time = v.time.to_string();
        let amount = Fen(signed(v)).to_string();
        let row = StatementRow {
            time: time.as_bytes(),
            terminal_id: v.terminal_id.as_bytes(),
            merchant_no: v.merchant_no.as_bytes(),
            mcc: Some(v.mcc.as_bytes()),
            amount: amount.as_bytes(),
        };
        if auditor.row(line, &row).is_err() {
            unreadable += 1;
        }
        if v.merchant_no != own.merchant_no {
            let e = foreign
                .entry((v.terminal_id.clone(), v.merchant_no.clone()))
                .or_default();
            if e.count == 0 {
                e.name.clone_from(&v.merchant_name);
                e.mcc.clone_from(&v.mcc);
                e.first.clone_from(&time);
            }
            e.count += 1;
            e.amount += signed(v);
            e.last = time;
        }
    })?;
    let mut alerts: Vec<Alert> = foreign
        .into_iter()
        .map(|((terminal, no), f)| Alert {
            severity: "definitive".into(),
            title: format!(
                "Terminal {terminal}: {} settled under merchant number {no}, which is not yours",
                if f.count == 1 {
                    "1 transaction".into()
                } else {
                    format!("{} transactions", f.count)
                }
            ),
            detail: format!(
                "¥{} taken on your terminal between {} and {} was booked to \"{}\" (MCC {}, region {}) instead of your merchant number {} (MCC {}, region {}). \
                 This is 跳码 (code jumping): ask your acquirer why, and keep your receipts.",
                Fen(f.amount),
                f.first,
                f.last,
                f.name,
                f.mcc,
                no.get(3..7).unwrap_or("?"),
                own.merchant_no,
                own.mcc,
                own.region
            ),
        })
        .collect();
    let report = auditor.finish();
    for t in &report.terminals {
        alerts.extend(t.findings.iter().map(of_finding));
    }
    alerts.extend(report.findings.iter().map(of_finding));
    if unreadable > 0 {
        alerts.push(Alert {
            severity: "info".into(),
            title: "Some transactions could not be audited".into(),
            detail: format!("{unreadable} rows had a field the audit could not read."),
        });
    }
    Ok(alerts)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_month_runs_from_its_first_to_its_last_second() {
        let m = Month::parse("2028-02").unwrap();
        assert_eq!(m.from.to_string(), "2028-02-01 00:00:00");
        assert_eq!(m.to.to_string(), "2028-02-29 23:59:59");
        let m = Month::parse("2026-12").unwrap();
        assert_eq!(m.to.to_string(), "2026-12-31 23:59:59");
        for bad in ["2026-13", "2026-1", "2026-00", "", "2026-11-01"] {
            assert!(Month::parse(bad).is_none(), "{bad}");
        }
    }
}
