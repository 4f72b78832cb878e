//! Contracted rates: the rate table file, and the watch on the rate the statement's fees
//! imply (`fee-rate-changed`).
//!
//! A fee is rounded to the fen, so one transaction only bounds the rate: 0.01 yuan on 1.00
//! yuan allows 0.50 % to 1.49 %. The watch keeps, per merchant number and card type, the
//! range of rates every fee so far allows; a fee outside it moves the rate. Fees at the
//! contract's cap say nothing about the rate and are skipped.

use alloc::vec::Vec;
use std::collections::HashMap;
use std::io::Read;

use foldhash::fast::RandomState;

use super::columns::{find, need, open_csv};
use super::entry::StatementEntry;
use crate::error::{Column, Error, ErrorKind, Input};
use crate::finding::{Evidence, Finding, Rule};
use crate::merchant_no::MerchantId;
use crate::money::{ContractRate, FeeRate, Fen, RateTable};
use crate::transaction::CardType;

impl RateTable {
    /// Reads a rate table: CSV with a header, columns found by name, `#` starts a comment.
    ///
    /// ```text
    /// card_type,rate,cap
    /// debit,0.50,20.00     # 0.50 %, at most 20 yuan a transaction
    /// credit,0.60,
    /// *,0.60,              # any other card, or a statement without card types
    /// ```
    ///
    /// `card_type` is `debit` (借记卡), `credit` (贷记卡) or `*` (also `any`, `other`);
    /// `rate` is a percentage with up to four decimals (`0.6`, `0.60%`); `cap` (optional
    /// column, may be empty) is yuan.
    ///
    /// # Errors
    /// An error naming [`Input::RateTable`], the line and the column: a missing column, a
    /// bad value, a card type given twice, or no rate at all.
    pub fn from_csv<R: Read>(input: R) -> Result<Self, Error> {
        let (mut reader, header) = open_csv(input, Input::RateTable, true)?;
        let at = |e: Error, line: u64| e.in_input(Input::RateTable).at_line(line);
        let card = need(&header, Column::CardType).map_err(|e| at(e, 1))?;
        let rate = need(&header, Column::Rate).map_err(|e| at(e, 1))?;
        let cap = find(&header, Column::Cap.name());
        let mut table = Self::default();
        let mut record = csv::ByteRecord::new();
        let mut rows = 0u64;
        let mut line = 1u64;
        loop {
            match reader.read_byte_record(&mut record) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    let line = e.position().map_or(line, csv::Position::line);
                    return Err(at(Error::new(ErrorKind::Unreadable, 0), line));
                }
            }
            line = record.position().map_or(line, csv::Position::line);
            if record.len() != header.len() {
                let kind = ErrorKind::FieldCount {
                    expected: header.len(),
                    found: record.len(),
                };
                return Err(at(Error::new(kind, 0), line));
            }
            let field = |i: usize| record.get(i).map(<[u8]>::trim_ascii).unwrap_or_default();
            let card = match field(card) {
                b"*" | b"any" | b"other" | b"default" => None,
                [] => {
                    return Err(at(
                        Error::new(ErrorKind::Empty, 0).in_column(Column::CardType),
                        line,
                    ));
                }
                t => Some(CardType::parse(t).map_err(|e| at(e.in_column(Column::CardType), line))?),
            };
            let parsed = match field(rate) {
                [] => Err(Error::new(ErrorKind::Empty, 0)),
                t => FeeRate::parse_percent(t),
            }
            .map_err(|e| at(e.in_column(Column::Rate), line))?;
            let cap = match cap.map(field) {
                None | Some([]) => None,
                Some(t) => Some(parse_cap(t).map_err(|e| at(e.in_column(Column::Cap), line))?),
            };
            let slot = table.slot(card);
            if slot.is_some() {
                return Err(at(
                    Error::new(ErrorKind::Duplicate, 0).in_column(Column::CardType),
                    line,
                ));
            }
            *slot = Some(ContractRate { rate: parsed, cap });
            rows += 1;
        }
        if rows == 0 {
            return Err(at(
                Error::new(ErrorKind::Empty, 0).in_column(Column::Rate),
                line + 1,
            ));
        }
        Ok(table)
    }
}

/// A cap: yuan, not negative.
fn parse_cap(text: &[u8]) -> Result<u64, Error> {
    let fen = Fen::parse_yuan(text)?;
    u64::try_from(fen.0).map_err(|_| Error::new(ErrorKind::WrongSign, 0))
}

/// The rates one stretch of fees allows.
#[derive(Clone, Copy, Debug)]
struct Span {
    lo: FeeRate,
    hi: FeeRate,
    /// The fee and amount that bound the rate best (the largest amount).
    best: (u64, u64),
    first_line: u64,
}

impl Span {
    /// The rate the stretch is reported at: of the rates every fee allows, the one with the
    /// fewest decimals (rates are quoted as 0.6 % or 0.78 %, not 0.7795 %), nearest to the
    /// largest amount's effective rate.
    fn rate(&self) -> FeeRate {
        let estimate = FeeRate::of(self.best.0, self.best.1).unwrap_or(self.lo);
        let (lo, hi, at) = (
            self.lo.millionths(),
            self.hi.millionths(),
            estimate.millionths(),
        );
        for step in [10_000u32, 1_000, 100, 10, 1] {
            let below = at / step * step;
            let above = below.saturating_add(step);
            let nearest = if at - below <= above - at {
                [below, above]
            } else {
                [above, below]
            };
            if let Some(r) = nearest.into_iter().find(|r| (lo..=hi).contains(r)) {
                return FeeRate::from_millionths(r).unwrap_or(estimate);
            }
        }
        estimate
    }
}

#[derive(Clone, Copy, Debug)]
struct Track {
    current: Span,
    changes: u64,
    /// The first change: the rate before, its first line, and the line of the change.
    first: Option<(FeeRate, u64, u64)>,
    /// The rate after the first change, once a second change ended it.
    first_after: Option<FeeRate>,
}

/// Per merchant number and card type, the rate the fees allow.
#[derive(Debug, Default)]
pub(super) struct RateWatch {
    tracks: HashMap<(MerchantId, Option<CardType>), Track, RandomState>,
}

impl RateWatch {
    pub(super) fn observe(
        &mut self,
        line: u64,
        e: &StatementEntry,
        contract: Option<ContractRate>,
    ) {
        if !e.kind.charges_fee() || e.amount.0 <= 0 || e.fee.0 < 0 {
            return;
        }
        let (amount, fee) = (e.amount.unsigned_abs(), e.fee.unsigned_abs());
        if contract.and_then(|c| c.cap) == Some(fee) {
            return;
        }
        let Some((lo, hi)) = FeeRate::range_giving(fee, amount) else {
            return;
        };
        let span = Span {
            lo,
            hi,
            best: (fee, amount),
            first_line: line,
        };
        let key = (e.merchant, e.card);
        let Some(track) = self.tracks.get_mut(&key) else {
            self.tracks.insert(
                key,
                Track {
                    current: span,
                    changes: 0,
                    first: None,
                    first_after: None,
                },
            );
            return;
        };
        let c = &mut track.current;
        if lo <= c.hi && c.lo <= hi {
            c.lo = c.lo.max(lo);
            c.hi = c.hi.min(hi);
            if amount > c.best.1 {
                c.best = (fee, amount);
            }
            return;
        }
        track.changes += 1;
        match track.changes {
            1 => track.first = Some((c.rate(), c.first_line, line)),
            2 => track.first_after = Some(c.rate()),
            _ => {}
        }
        track.current = span;
    }

    /// One `fee-rate-changed` per merchant number and card type whose rate moved: the first
    /// move, and how many moves there were.
    pub(super) fn finish(self, sink: &mut dyn FnMut(Finding)) {
        let mut tracks: Vec<_> = self.tracks.into_iter().collect();
        tracks.sort_unstable_by_key(|(key, _)| *key);
        for ((merchant, card), t) in tracks {
            let Some((before, since_line, line)) = t.first else {
                continue;
            };
            let after = t.first_after.unwrap_or(t.current.rate());
            sink(
                Finding::new(
                    Rule::FeeRateChanged,
                    Evidence::RateChanged {
                        merchant,
                        card,
                        before,
                        after,
                        since_line,
                        line,
                    },
                )
                .at(line, t.changes),
            );
        }
    }
}
