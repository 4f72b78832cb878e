//! How the ledgers on a database write a record's values as columns: the same text for the
//! totals, the response code and the card number's forms, whichever database keeps them.

use alloc::string::String;
use alloc::vec::Vec;

use cardwire_iso8583::cups::{ResponseCode, SettlementTotals};
use cardwire_iso8583::time::DateTime;

use super::SignInStamp;
use crate::error::{Error, ErrorKind, Result};
use crate::keystore::{CardDataKey, display_pan};

pub(super) fn to_i64(v: u64) -> Result<i64> {
    i64::try_from(v).map_err(|_| Error::new(ErrorKind::Ledger).during("storing a number above i64"))
}

/// Field 48's 62 digits as the ledger stores them.
pub(super) fn parse_totals(text: &str) -> Option<SettlementTotals> {
    let b = text.as_bytes();
    if b.len() != SettlementTotals::LEN || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let num = |from: usize, len: usize| {
        b.get(from..from + len)?.iter().try_fold(0u64, |a, &c| {
            a.checked_mul(10)?.checked_add(u64::from(c - b'0'))
        })
    };
    let group = |at: usize| {
        Some(cardwire_iso8583::cups::Totals {
            debit_amount: num(at, 12)?,
            debit_count: u16::try_from(num(at + 12, 3)?).ok()?,
            credit_amount: num(at + 15, 12)?,
            credit_count: u16::try_from(num(at + 27, 3)?).ok()?,
            result: u8::try_from(num(at + 30, 1)?).ok()?,
        })
    };
    Some(SettlementTotals {
        domestic: group(0)?,
        foreign: group(31)?,
    })
}

pub(super) fn totals_text(t: &SettlementTotals) -> String {
    t.to_digits().iter().map(|&c| char::from(c)).collect()
}

pub(super) fn response_text(r: Option<ResponseCode>) -> Option<String> {
    r.map(|r| r.code().iter().map(|&c| char::from(c)).collect())
}

/// A card number's keyed hash, display form and ciphertext.
pub(super) type CardColumns = (Option<[u8; 32]>, String, Option<Vec<u8>>);

/// What the ledger stores of a card number: keyed hash, display form, ciphertext (all
/// `None`/empty for a reversal's mark, which has no card).
pub(super) fn card_columns(card: &CardDataKey, pan: &str) -> Result<CardColumns> {
    if pan.is_empty() {
        return Ok((None, String::new(), None));
    }
    Ok((
        Some(card.token(pan)?),
        display_pan(pan),
        Some(card.seal(pan)?),
    ))
}

/// The label a terminal's sealed working keys are bound to.
pub(super) fn field62_label(terminal_id: &str) -> String {
    alloc::format!("field62/{terminal_id}")
}

/// The name a reversal's outcome is stored under.
pub(super) fn outcome_text(outcome: super::Reversed) -> &'static str {
    match outcome {
        super::Reversed::Undone => "undone",
        super::Reversed::AlreadyDone => "already-done",
        super::Reversed::NeverSeen => "never-seen",
        super::Reversed::Refused => "refused",
    }
}

/// A sign-in stamp as stored: `YYYY-MM-DD hh:mm:ss NNNNNN` (time, STAN).
pub(super) fn stamp_text(s: &SignInStamp) -> String {
    alloc::format!("{} {:06}", s.time, s.stan)
}

/// Reads [`stamp_text`]; `None` for anything else.
pub(super) fn parse_stamp(text: &str) -> Option<SignInStamp> {
    let (time, stan) = text.rsplit_once(' ')?;
    Some(SignInStamp {
        time: DateTime::parse(time)?,
        stan: stan.parse().ok()?,
    })
}
