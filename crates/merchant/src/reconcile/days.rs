//! The settlement check: what the statement booked per business day and merchant number,
//! against what the settlement says it credited. A day is compared once the statement has
//! passed it; memory holds the open days and the settlement's rows.

use alloc::collections::BTreeMap;

use super::entry::{Credit, StatementEntry};
use crate::error::{Error, ErrorKind};
use crate::finding::{Evidence, Finding, Rule};
use crate::merchant_no::MerchantId;
use crate::money::{Booked, Settled};
use crate::time::Date;

/// One settlement row (or the sum of several for the same day and merchant number).
#[derive(Clone, Copy, Debug)]
struct Credited {
    line: u64,
    settled: Settled,
}

#[derive(Debug, Default)]
pub(super) struct DayBook {
    enabled: bool,
    booked: BTreeMap<Date, BTreeMap<MerchantId, Booked>>,
    credited: BTreeMap<Date, BTreeMap<MerchantId, Credited>>,
    /// Days before this one are compared and gone.
    closed_before: Option<Date>,
}

impl DayBook {
    pub(super) fn enable(&mut self) {
        self.enabled = true;
    }

    pub(super) fn credit(&mut self, line: u64, credit: &Credit) -> Result<(), Error> {
        if self.closed_before.is_some_and(|d| credit.date < d) {
            return Err(Error::new(ErrorKind::OutOfOrder, 0));
        }
        let day = self.credited.entry(credit.date).or_default();
        day.entry(credit.merchant)
            .and_modify(|c| {
                let s = &mut c.settled;
                s.gross = s.gross.saturating_add(credit.settled.gross);
                s.fee = s.fee.saturating_add(credit.settled.fee);
                s.net = s.net.saturating_add(credit.settled.net);
            })
            .or_insert(Credited {
                line,
                settled: credit.settled,
            });
        Ok(())
    }

    pub(super) fn book(&mut self, e: &StatementEntry) {
        if !self.enabled {
            return;
        }
        let day = self.booked.entry(e.time.date()).or_default();
        let b = day.entry(e.merchant).or_default();
        b.rows = b.rows.saturating_add(1);
        b.gross = b.gross.saturating_add(e.amount);
        b.fee = b.fee.saturating_add(e.fee);
    }

    /// Compares the days before `date` (`None`: every day).
    pub(super) fn close_before(&mut self, date: Option<Date>, sink: &mut dyn FnMut(Finding)) {
        if !self.enabled {
            return;
        }
        loop {
            let next = match (
                self.booked.first_key_value(),
                self.credited.first_key_value(),
            ) {
                (Some((a, _)), Some((b, _))) => *a.min(b),
                (Some((a, _)), None) => *a,
                (None, Some((b, _))) => *b,
                (None, None) => break,
            };
            if date.is_some_and(|d| next >= d) {
                break;
            }
            let booked = self.booked.remove(&next).unwrap_or_default();
            let credited = self.credited.remove(&next).unwrap_or_default();
            compare_day(next, booked, credited, sink);
        }
        if let Some(date) = date {
            self.closed_before = Some(self.closed_before.map_or(date, |d| d.max(date)));
        }
    }
}

/// One day: every merchant number booked or credited on it, in order.
fn compare_day(
    date: Date,
    booked: BTreeMap<MerchantId, Booked>,
    mut credited: BTreeMap<MerchantId, Credited>,
    sink: &mut dyn FnMut(Finding),
) {
    let mut report = |merchant: MerchantId, booked: Booked, credit: Option<Credited>| {
        let net = credit.map(|c| c.settled.net).unwrap_or_default();
        if net == booked.net() {
            return;
        }
        sink(Finding::new(
            Rule::SettlementShort,
            Evidence::Settlement {
                date,
                merchant,
                line: credit.map(|c| c.line),
                booked,
                credited: credit.map(|c| c.settled),
            },
        ));
    };
    for (merchant, b) in booked {
        let credit = credited.remove(&merchant);
        report(merchant, b, credit);
    }
    for (merchant, c) in credited {
        report(merchant, Booked::default(), Some(c));
    }
}
