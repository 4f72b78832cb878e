//! The merchant statement (对账单): one row per settled transaction, as CSV in the columns the
//! statement audit of `cardwire-merchant` reads:
//! `time,terminal_id,merchant_no,merchant_name,mcc,amount,fee,card,type,rrn`.
//!
//! Settled transactions are the approved, unreversed purchases, pre-authorisation completions
//! (positive amounts), and voids and refunds (negative amounts). Pre-authorisations and their
//! voids only hold money and balance inquiries move none: they are not on the statement. A
//! voided purchase shows as the purchase and its void. Amounts and fees are yuan with two
//! decimals (cardwire-merchant's [`Fen`], the form its audit reads back); the card is masked to
//! its first 6 and last 4 digits.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use cardwire_emv::mask::{Masking, write_masked};
use cardwire_iso8583::cups::Transaction;
use cardwire_merchant::Fen;

use crate::error::{Error, ErrorKind, Result};
use crate::ledger::{Ledger, TxRecord};

/// The CSV header.
pub const HEADER: [&str; 10] = [
    "time",
    "terminal_id",
    "merchant_no",
    "merchant_name",
    "mcc",
    "amount",
    "fee",
    "card",
    "type",
    "rrn",
];

/// One statement row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// `YYYY-MM-DD hh:mm:ss`.
    pub time: String,
    /// Field 41.
    pub terminal_id: String,
    /// The merchant number settled under.
    pub merchant_no: String,
    /// Its name.
    pub merchant_name: String,
    /// Its MCC.
    pub mcc: String,
    /// Signed amount in fen (negative for voids and refunds).
    pub amount: i64,
    /// Signed fee in fen.
    pub fee: i64,
    /// The card, masked.
    pub card: String,
    /// `purchase`, `void`, `refund`, `completion` or `completion-void`.
    pub kind: &'static str,
    /// The retrieval reference number.
    pub rrn: String,
}

/// The row of a record, if it belongs on the statement.
pub fn row(r: &TxRecord) -> Option<Row> {
    if !r.is_live() {
        return None;
    }
    let kind = match r.transaction {
        Transaction::Purchase => "purchase",
        Transaction::PreAuthCompletion => "completion",
        Transaction::PurchaseVoid => "void",
        Transaction::PreAuthCompletionVoid => "completion-void",
        Transaction::Refund => "refund",
        _ => return None,
    };
    let sign = if r.transaction.is_credit() { -1 } else { 1 };
    let mut card = String::new();
    write_masked(&mut card, r.account.chars(), Masking::Pan).ok()?;
    Some(Row {
        time: r.time.to_string(),
        terminal_id: r.key.terminal_id.clone(),
        merchant_no: r.merchant_no.clone(),
        merchant_name: r.merchant_name.clone(),
        mcc: r.mcc.clone(),
        amount: sign * i64::try_from(r.amount).ok()?,
        fee: r.fee,
        card,
        kind,
        rrn: r.rrn.clone(),
    })
}

/// Every statement row of the ledger, in the order the host answered.
///
/// # Errors
/// [`ErrorKind::Ledger`].
pub fn rows<L: Ledger + ?Sized>(ledger: &mut L) -> Result<Vec<Row>> {
    let mut out = Vec::new();
    ledger.for_each(&mut |r| {
        out.extend(row(r));
        Ok(())
    })?;
    Ok(out)
}

/// Writes the statement as CSV (header and one line per row).
///
/// # Errors
/// A ledger error, or [`ErrorKind::Io`] when `out` fails (the cause is the csv error).
pub fn write_csv<L: Ledger + ?Sized, W: std::io::Write>(ledger: &mut L, out: W) -> Result<()> {
    write_csv_of(ledger, "", out)
}

/// Writes the statement of one month (`YYYY-MM`, the host's local time) as CSV; `""` for all
/// of it.
///
/// # Errors
/// As [`write_csv`]; [`ErrorKind::InvalidInput`] for a month not `YYYY-MM`.
pub fn write_csv_of<L: Ledger + ?Sized, W: std::io::Write>(
    ledger: &mut L,
    month: &str,
    out: W,
) -> Result<()> {
    write_csv_where(ledger, month, &|_| true, out)
}

/// Writes the rows of one month that `keep` keeps (a merchant's own terminals, say), in the
/// layout of [`write_csv_of`]: a statement restricted this way is byte for byte the lines of
/// the whole one that it keeps.
///
/// # Errors
/// As [`write_csv_of`].
pub fn write_csv_where<L: Ledger + ?Sized, W: std::io::Write>(
    ledger: &mut L,
    month: &str,
    keep: &dyn Fn(&Row) -> bool,
    out: W,
) -> Result<()> {
    let b = month.as_bytes();
    let is_month = b.len() == 7
        && b.iter().enumerate().all(|(i, c)| {
            if i == 4 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        });
    if !month.is_empty() && !is_month {
        return Err(Error::new(ErrorKind::InvalidInput)
            .during("choosing the statement's month (YYYY-MM)")
            .about(month));
    }
    let io = |e: csv::Error| {
        Error::new(ErrorKind::Io)
            .during("writing the statement")
            .caused_by(e)
    };
    let mut w = csv::Writer::from_writer(out);
    w.write_record(HEADER).map_err(io)?;
    for r in rows(ledger)?
        .into_iter()
        .filter(|r| r.time.starts_with(month) && keep(r))
    {
        w.write_record([
            r.time.as_str(),
            &r.terminal_id,
            &r.merchant_no,
            &r.merchant_name,
            &r.mcc,
            &Fen(r.amount).to_string(),
            &Fen(r.fee).to_string(),
            &r.card,
            r.kind,
            &r.rrn,
        ])
        .map_err(io)?;
    }
    w.flush()
        .map_err(|e| Error::from(e).during("writing the statement"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::{TxKey, TxState};
    use cardwire_iso8583::cups::ResponseCode;
    use cardwire_iso8583::time::DateTime;

    fn record(transaction: Transaction, amount: u64, fee: i64) -> TxRecord {
        TxRecord {
            key: TxKey {
                terminal_id: "10580001".into(),
                batch: 1,
                stan: 7,
            },
            seq: 1,
            transaction,
            response: Some(ResponseCode::Approved),
            amount,
            fee,
            balance_delta: 0,
            account: "6214830012345673".into(),
            merchant_no: "898310058121234".into(),
            merchant_name: "A Noodle Shop".into(),
            mcc: "5812".into(),
            rrn: "000000000001".into(),
            auth_code: "123456".into(),
            time: DateTime::new(2026, 11, 26, 9, 30, 0).unwrap(),
            original: None,
            state: TxState::default(),
        }
    }

    #[test]
    fn rows_sign_mask_and_leave_out() {
        let sale = row(&record(Transaction::Purchase, 123_456, 741)).unwrap();
        assert_eq!(
            (sale.amount, sale.fee, sale.kind),
            (123_456, 741, "purchase")
        );
        assert_eq!(sale.card, "621483******5673");
        assert_eq!(sale.time, "2026-11-26 09:30:00");
        let refund = row(&record(Transaction::Refund, 1_667, 0)).unwrap();
        assert_eq!((refund.amount, refund.kind), (-1_667, "refund"));
        let void = row(&record(Transaction::PurchaseVoid, 5, -1)).unwrap();
        assert_eq!((void.amount, void.fee), (-5, -1));
        // Holds and inquiries move no money; declines and reversals moved none.
        assert!(row(&record(Transaction::PreAuth, 5, 0)).is_none());
        assert!(row(&record(Transaction::PreAuthVoid, 5, 0)).is_none());
        assert!(row(&record(Transaction::Balance, 0, 0)).is_none());
        let mut declined = record(Transaction::Purchase, 5, 0);
        declined.response = Some(ResponseCode::IncorrectPin);
        assert!(row(&declined).is_none());
        let mut reversed = record(Transaction::Purchase, 5, 0);
        reversed.state.reversed = true;
        assert!(row(&reversed).is_none());
    }

    #[test]
    fn yuan_has_two_decimals_and_a_sign() {
        // The statement writes amounts and fees through cardwire-merchant's Fen.
        for (fen, text) in [
            (0, "0.00"),
            (5, "0.05"),
            (123_456, "1234.56"),
            (-1_667, "-16.67"),
        ] {
            assert_eq!(Fen(fen).to_string(), text);
        }
    }
}
