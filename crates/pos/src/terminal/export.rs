//! The journal as the merchant's reconciliation reads it: cardwire-merchant's journal CSV
//! (header [`JOURNAL_COLUMNS`], then `card`), one row per record, written into any
//! [`core::fmt::Write`] — a fixed buffer on firmware, a `String` or a file elsewhere.
//!
//! Amounts and fees are signed yuan with two decimals, as the acquirer books them: voids and
//! refunds negative; the fee is the one the terminal quotes at its rate ([`Quote`]), returned
//! by a void, none on a refund (the acquirer keeps the sale's fee), empty on a
//! pre-authorisation and its void (they hold money, they move none). The card is masked.
//! Amounts come from field 4 (at most 12 digits), so every one has its yuan form.

use core::fmt::{self, Write};

use cardwire_iso8583::cups::Transaction;
use cardwire_merchant::{FeeRate, Fen, JOURNAL_COLUMNS, TxType};

use crate::error::{ErrorKind, Result};
use crate::terminal::journal::{Journal, Record};
use crate::terminal::quote::{Quote, yuan};

/// The reconciliation's name of a journaled transaction; `None` for one the journal never
/// holds (network management, balance inquiry, settlement, uploads).
pub const fn tx_type(t: Transaction) -> Option<TxType> {
    match t {
        Transaction::Purchase => Some(TxType::Purchase),
        Transaction::PurchaseVoid => Some(TxType::Void),
        Transaction::Refund => Some(TxType::Refund),
        Transaction::PreAuth => Some(TxType::PreAuth),
        Transaction::PreAuthVoid => Some(TxType::PreAuthVoid),
        Transaction::PreAuthCompletion => Some(TxType::Completion),
        Transaction::PreAuthCompletionVoid => Some(TxType::CompletionVoid),
        // Network management, balance inquiry, settlement, uploads (and any added later).
        _ => None,
    }
}

/// `fen` with the sign `negative` asks for, as yuan.
fn signed(fen: u64, negative: bool) -> core::result::Result<Fen, fmt::Error> {
    let Fen(v) = yuan(fen)?;
    Ok(Fen(if negative { -v } else { v }))
}

/// Writes one record as a journal CSV row (with its line end).
fn write_row<W: Write>(
    out: &mut W,
    terminal_id: &str,
    rate: FeeRate,
    r: &Record,
    kind: TxType,
) -> fmt::Result {
    let negative = matches!(kind.sign(), cardwire_merchant::AmountSign::Negative);
    let quoted = Quote::new(r.amount, rate).fee;
    write!(
        out,
        "{},{},{},{:06},{:06},{},{},{},",
        r.when,
        terminal_id,
        r.merchant_no,
        r.batch,
        r.stan,
        r.rrn,
        kind.id(),
        signed(r.amount, negative)?,
    )?;
    if kind.charges_fee() || kind.returns_fee() {
        write!(out, "{}", signed(quoted, kind.returns_fee())?)?;
    } else if kind == TxType::Refund {
        // The acquirer keeps the sale's fee: a refund returns none and charges none.
        out.write_str("0.00")?;
    }
    // Pre-authorisations: the fee is left empty (no money moves, nothing is quoted).
    writeln!(out, ",{}", r.masked_pan())
}

impl<const N: usize> Journal<N> {
    /// Writes the journal as cardwire-merchant's journal CSV: the header
    /// ([`JOURNAL_COLUMNS`] and `card`), then every record in order — voided originals too,
    /// each void being a row of its own — for terminal `terminal_id` quoting fees at `rate`.
    ///
    /// # Errors
    /// [`ErrorKind::BufferTooSmall`] when `out` refuses the text (a full buffer);
    /// [`ErrorKind::InvalidInput`] for a record of a transaction the journal never holds.
    pub fn write_csv<W: Write>(&self, terminal_id: &str, rate: FeeRate, out: &mut W) -> Result<()> {
        let full = |_| ErrorKind::BufferTooSmall;
        for (i, column) in JOURNAL_COLUMNS.iter().enumerate() {
            let comma = if i == 0 { "" } else { "," };
            write!(out, "{comma}{column}").map_err(full)?;
        }
        out.write_str(",card\n").map_err(full)?;
        for r in self.iter() {
            let kind = tx_type(r.transaction).ok_or(ErrorKind::InvalidInput)?;
            write_row(out, terminal_id, rate, r, kind).map_err(full)?;
        }
        Ok(())
    }
}
