//! The merchant statement (对账单): one row per settled transaction, as CSV in the columns the
//! statement audit of `cardwire-merchant` reads:
//! `time,terminal_id,merchant_no,merchant_name,mcc,amount,fee,card,type,rrn`.
//!
//! Settled transactions are the approved, unreversed purchases, pre-authorisation completions
//! (positive amounts), and voids and refunds (negative amounts). Pre-authorisations and their
//! voids only hold money and balance inquiries move none: they are not on the statement. A
//! voided purchase shows as the purchase and its void. Amounts and fees are yuan with two
//! decimals; the card is masked to its first 6 and last 4 digits.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write as _;

use cardwire_emv::mask::{Masking, write_masked};
use cardwire_iso8583::cups::Transaction;

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
    let (kind, sign) = match r.transaction {
        Transaction::Purchase => ("purchase", 1),
        Transaction::PreAuthCompletion => ("completion", 1),
        Transaction::PurchaseVoid => ("void", -1),
        Transaction::PreAuthCompletionVoid => ("completion-void", -1),
        Transaction::Refund => ("refund", -1),
        _ => return None,
    };
    let mut card = String::new();
    write_masked(&mut card, r.account.chars(), Masking::Pan).ok()?;
    Some(Row {
        time: alloc::format!("{}", r.time),
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

/// Fen as yuan with two decimals: `-1234` → `-12.34`.
pub fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let abs = fen.unsigned_abs();
    let mut s = String::new();
    // Writing into a String cannot fail.
    let _ = write!(s, "{sign}{}.{:02}", abs / 100, abs % 100);
    s
}

/// Writes the statement as CSV (header and one line per row).
///
/// # Errors
/// [`ErrorKind::Ledger`] for a ledger failure, [`ErrorKind::Transport`] when `out` fails.
pub fn write_csv<L: Ledger + ?Sized, W: std::io::Write>(ledger: &mut L, out: W) -> Result<()> {
    let io = |_| Error::new(ErrorKind::Transport);
    let mut w = csv::Writer::from_writer(out);
    w.write_record(HEADER).map_err(io)?;
    for r in rows(ledger)? {
        w.write_record([
            r.time.as_str(),
            &r.terminal_id,
            &r.merchant_no,
            &r.merchant_name,
            &r.mcc,
            &yuan(r.amount),
            &yuan(r.fee),
            &r.card,
            r.kind,
            &r.rrn,
        ])
        .map_err(io)?;
    }
    w.flush().map_err(|_| Error::new(ErrorKind::Transport))
}

#[cfg(test)]
mod tests {
    use super::yuan;
    use crate::host::fee;

    #[test]
    fn yuan_has_two_decimals_and_a_sign() {
        assert_eq!(yuan(0), "0.00");
        assert_eq!(yuan(5), "0.05");
        assert_eq!(yuan(123_456), "1234.56");
        assert_eq!(yuan(-1_667), "-16.67");
    }

    #[test]
    fn fees_round_half_up_to_the_fen() {
        assert_eq!(fee(1_999, 60), 12); // 11.994
        assert_eq!(fee(2_500, 60), 15); // 15.0
        assert_eq!(fee(12_500, 38), 48); // 47.5 → 48
        assert_eq!(fee(1, 60), 0); // 0.006
        assert_eq!(fee(u64::MAX, 10_000), u64::MAX);
    }
}
