//! Evidence as named fields, so that a report (JSON, a table, a log line) shows the values a
//! finding rests on without parsing its text. The names are a contract: the command line
//! prints them as the keys of `evidence`, and the spec vectors compare them.

use core::fmt;

use super::{Evidence, Expected};
use crate::money::FeeRate;
use crate::transaction::TxRef;

/// One evidence value.
#[derive(Clone, Copy)]
pub enum FieldValue<'a> {
    /// A line number or a count (a JSON number).
    Number(u64),
    /// Yes or no.
    Flag(bool),
    /// Any other value, by its text: amounts as yuan (`-5.28`), rates as percent
    /// (`0.60%`), times as `2026-11-02 09:12:04`, ids as printed.
    Text(&'a dyn fmt::Display),
    /// Not known or not given (a JSON null).
    Absent,
}

impl fmt::Debug for FieldValue<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Number(n) => write!(f, "Number({n})"),
            Self::Flag(b) => write!(f, "Flag({b})"),
            Self::Text(t) => write!(f, "Text({t})"),
            Self::Absent => f.write_str("Absent"),
        }
    }
}

/// A visitor of named fields.
type Visit<'v> = dyn FnMut(&'static str, FieldValue<'_>) + 'v;

fn text<T: fmt::Display>(value: Option<&T>) -> FieldValue<'_> {
    match value {
        Some(v) => FieldValue::Text(v),
        None => FieldValue::Absent,
    }
}

fn line(value: Option<u64>) -> FieldValue<'static> {
    value.map_or(FieldValue::Absent, FieldValue::Number)
}

fn tx_fields(tx: &TxRef, visit: &mut Visit<'_>) {
    visit("terminal_id", FieldValue::Text(&tx.terminal));
    visit("rrn", text(tx.rrn.as_ref()));
    visit("batch", line(tx.voucher.map(|v| u64::from(v.batch))));
    visit("stan", line(tx.voucher.map(|v| u64::from(v.stan))));
    visit("journal_line", line(tx.journal_line));
    visit("statement_line", line(tx.statement_line));
}

impl Evidence {
    /// Calls `visit` with each field's name and value, in a fixed order per kind of
    /// evidence.
    ///
    /// ```
    /// use cardwire_merchant::{Evidence, FieldValue, Fen, TerminalId, TxRef};
    ///
    /// let tx = TxRef {
    ///     terminal: TerminalId::parse(b"10000001")?,
    ///     rrn: None,
    ///     voucher: None,
    ///     journal_line: Some(2),
    ///     statement_line: Some(3),
    /// };
    /// let e = Evidence::Amounts { tx, journal: Fen(12_600), statement: Fen(12_601) };
    /// let mut shown = Vec::new();
    /// e.fields(&mut |name, value| {
    ///     if let FieldValue::Text(t) = value {
    ///         shown.push(format!("{name}={t}"));
    ///     }
    /// });
    /// assert_eq!(shown, ["terminal_id=10000001", "journal_amount=126.00", "statement_amount=126.01", "difference=0.01"]);
    /// # Ok::<(), cardwire_merchant::Error>(())
    /// ```
    pub fn fields(&self, visit: &mut Visit<'_>) {
        use FieldValue::{Flag, Number, Text};
        match self {
            Self::MerchantNos {
                a,
                a_value,
                b,
                b_value,
            } => {
                visit("source_a", Text(a));
                visit("value_a", Text(a_value));
                visit("source_b", Text(b));
                visit("value_b", Text(b_value));
            }
            Self::Mccs {
                a,
                a_value,
                b,
                b_value,
            } => {
                visit("source_a", Text(a));
                visit("value_a", Text(a_value));
                visit("source_b", Text(b));
                visit("value_b", Text(b_value));
            }
            Self::TerminalIds {
                a,
                a_value,
                b,
                b_value,
            } => {
                visit("source_a", Text(a));
                visit("value_a", Text(a_value));
                visit("source_b", Text(b));
                visit("value_b", Text(b_value));
            }
            Self::UnexpectedMcc {
                got,
                got_group,
                expected,
            } => {
                visit("mcc", Text(got));
                visit("group", Text(got_group));
                match expected {
                    Expected::Mcc(m) => visit("expected_mcc", Text(m)),
                    Expected::Group(g) => visit("expected_group", Text(g)),
                }
            }
            Self::Region {
                got,
                expected,
                ambiguous,
            } => {
                visit("region", Text(got));
                visit("expected_region", Text(expected));
                visit("ambiguous", Flag(*ambiguous));
            }
            Self::Tier { mcc, got, expected } => {
                visit("mcc", Text(mcc));
                visit("tier", Text(got));
                visit("expected_tier", Text(expected));
            }
            Self::Mcc(mcc) => visit("mcc", Text(mcc)),
            Self::Malformed {
                source,
                value,
                error,
            } => {
                visit("source", Text(source));
                visit("value", Text(value));
                visit("error", Text(error));
            }
            Self::MerchantChanged {
                terminal,
                before,
                after,
            } => {
                visit("terminal_id", Text(terminal));
                visit("before", Text(before));
                visit("after", Text(after));
            }
            Self::ManyMerchants {
                terminal,
                count,
                threshold,
            } => {
                visit("terminal_id", Text(terminal));
                visit("count", Number(*count as u64));
                visit("threshold", Number(*threshold as u64));
            }
            Self::MccDrift {
                terminal,
                before,
                after,
            } => {
                visit("terminal_id", Text(terminal));
                visit("before", Text(before));
                visit("after", Text(after));
            }
            Self::RegionDrift {
                terminal,
                before,
                after,
            } => {
                visit("terminal_id", Text(terminal));
                visit("before", Text(before));
                visit("after", Text(after));
            }
            Self::Amounts {
                tx,
                journal,
                statement,
            } => {
                tx_fields(tx, visit);
                visit("journal_amount", Text(journal));
                visit("statement_amount", Text(statement));
                visit("difference", Text(&statement.saturating_sub(*journal)));
            }
            Self::Fees {
                tx,
                journal,
                statement,
            } => {
                tx_fields(tx, visit);
                visit("journal_fee", Text(journal));
                visit("statement_fee", Text(statement));
                visit("difference", Text(&statement.saturating_sub(*journal)));
            }
            Self::ContractFee {
                tx,
                kind,
                card,
                amount,
                fee,
                expected,
                contract,
            } => {
                tx_fields(tx, visit);
                visit("type", Text(kind));
                visit("card_type", text(card.as_ref()));
                visit("amount", Text(amount));
                visit("fee", Text(fee));
                visit("expected_fee", Text(expected));
                visit("difference", Text(&fee.saturating_sub(*expected)));
                visit("contract_rate", Text(&contract.rate));
                let cap = contract.cap.map(crate::money::Fen::from_unsigned);
                visit("cap", text(cap.as_ref()));
                let charged = FeeRate::of(fee.unsigned_abs(), amount.unsigned_abs());
                visit("charged_rate", text(charged.as_ref()));
            }
            Self::RateChanged {
                merchant,
                card,
                before,
                after,
                since_line,
                line,
            } => {
                visit("merchant_no", Text(merchant));
                visit("card_type", text(card.as_ref()));
                visit("rate_before", Text(before));
                visit("rate_after", Text(after));
                visit("since_line", Number(*since_line));
                visit("changed_line", Number(*line));
            }
            Self::Missing {
                tx,
                merchant,
                time,
                kind,
                amount,
            } => {
                tx_fields(tx, visit);
                visit("merchant_no", Text(merchant));
                visit("time", Text(time));
                visit("type", Text(kind));
                visit("amount", Text(amount));
            }
            Self::TxMerchantNos {
                tx,
                journal,
                statement,
            } => {
                tx_fields(tx, visit);
                visit("journal_merchant_no", Text(journal));
                visit("statement_merchant_no", Text(statement));
            }
            Self::Types {
                tx,
                journal,
                statement,
            } => {
                tx_fields(tx, visit);
                visit("journal_type", Text(journal));
                visit("statement_type", Text(statement));
            }
            Self::Settlement {
                date,
                merchant,
                line: settlement_line,
                booked,
                credited,
            } => {
                visit("date", Text(date));
                visit("merchant_no", Text(merchant));
                visit("settlement_line", line(*settlement_line));
                visit("booked_rows", Number(booked.rows));
                visit("booked_gross", Text(&booked.gross));
                visit("booked_fee", Text(&booked.fee));
                visit("expected_net", Text(&booked.net()));
                visit("credited_gross", text(credited.as_ref().map(|c| &c.gross)));
                visit("credited_fee", text(credited.as_ref().map(|c| &c.fee)));
                visit("credited_net", text(credited.as_ref().map(|c| &c.net)));
                let short = Self::settlement_shortfall(booked, credited.as_ref());
                visit("short_by", Text(&short));
            }
            Self::Duplicate {
                tx,
                input,
                first_line,
            } => {
                tx_fields(tx, visit);
                visit("input", Text(input));
                visit("first_line", Number(*first_line));
            }
        }
    }
}
