//! The streaming three-way match. Rows come in time order; each transaction is held in a
//! slot, keyed by terminal and RRN and by terminal and voucher, until no row that could
//! match it can still come (the window has passed on both inputs); then it is released,
//! and a slot with one side only becomes a `missing-on-…` finding. Memory is bounded by the
//! transactions of the window, the merchant numbers (rate watch) and the open days.

use alloc::collections::VecDeque;
use alloc::vec::Vec;
use std::collections::HashMap;
use std::collections::hash_map::Entry;

use foldhash::fast::RandomState;

use super::days::DayBook;
use super::entry::{Credit, JournalEntry, StatementEntry};
use super::rates::RateWatch;
use super::{ReconcileConfig, RefundFee, Summary};
use crate::error::{Column, Error, ErrorKind, Input};
use crate::finding::{Evidence, Finding, Rule};
use crate::merchant_no::TerminalId;
use crate::money::{ContractRate, Fen};
use crate::time::Timestamp;
use crate::transaction::{Rrn, TxRef, TxType, Voucher};

#[derive(Clone, Copy, Debug)]
struct JournalSide {
    line: u64,
    entry: JournalEntry,
    /// The line of the journal's reversal of it.
    reversed: Option<u64>,
}

impl JournalSide {
    /// Whether the terminal's last word is that nothing should be booked.
    fn is_undone(&self) -> bool {
        self.reversed.is_some() || self.entry.kind == TxType::Reversal
    }
}

#[derive(Clone, Copy, Debug)]
struct StatementSide {
    line: u64,
    entry: StatementEntry,
}

#[derive(Clone, Copy, Debug)]
struct Slot {
    journal: Option<JournalSide>,
    statement: Option<StatementSide>,
}

/// The latest time read from one input, and whether it has ended.
#[derive(Clone, Copy, Debug, Default)]
struct Clock {
    latest: Option<i64>,
    ended: bool,
}

impl Clock {
    /// No row of this input can be earlier than this, less the window.
    fn horizon(&self) -> i64 {
        match (self.ended, self.latest) {
            (true, _) => i64::MAX,
            (false, Some(t)) => t,
            (false, None) => i64::MIN,
        }
    }
}

/// The streaming state of a reconciliation: feed rows in time order with
/// [`Reconciler::journal`] and [`Reconciler::statement`] (settlement credits first, with
/// [`Reconciler::credit`]), then [`Reconciler::finish`]. Findings go to the sink as they
/// are found.
pub struct Reconciler<F: FnMut(Finding)> {
    config: ReconcileConfig,
    sink: F,
    slots: Vec<Option<Slot>>,
    free: Vec<usize>,
    by_rrn: HashMap<(TerminalId, Rrn), usize, RandomState>,
    by_voucher: HashMap<(TerminalId, Voucher), usize, RandomState>,
    /// Slots by the time they were opened, oldest first.
    queue: VecDeque<(i64, usize)>,
    open: u64,
    journal_clock: Clock,
    statement_clock: Clock,
    rates: RateWatch,
    days: DayBook,
    summary: Summary,
}

impl<F: FnMut(Finding)> core::fmt::Debug for Reconciler<F> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Reconciler")
            .field("config", &self.config)
            .field("open", &self.open)
            .field("summary", &self.summary)
            .finish_non_exhaustive()
    }
}

impl<F: FnMut(Finding)> Reconciler<F> {
    /// An empty reconciliation that passes its findings to `sink`.
    pub fn new(config: ReconcileConfig, sink: F) -> Self {
        Self {
            config,
            sink,
            slots: Vec::new(),
            free: Vec::new(),
            by_rrn: HashMap::default(),
            by_voucher: HashMap::default(),
            queue: VecDeque::new(),
            open: 0,
            journal_clock: Clock::default(),
            statement_clock: Clock::default(),
            rates: RateWatch::default(),
            days: DayBook::default(),
            summary: Summary::default(),
        }
    }

    /// The totals so far.
    pub fn summary(&self) -> &Summary {
        &self.summary
    }

    /// Compares each day's booked net with the settlement credits (fed with
    /// [`Reconciler::credit`]; a day without one was credited nothing). Call it before the
    /// first statement row, also when the settlement has no rows.
    pub fn check_settlement(&mut self) {
        self.days.enable();
        self.summary.credited.get_or_insert_default();
    }

    /// A settlement row found on `line`. Credits come before the statement's rows of
    /// their day (read the settlement first: it has a row per day).
    ///
    /// # Errors
    /// [`ErrorKind::OutOfOrder`] for a day the statement has already closed.
    pub fn credit(&mut self, line: u64, credit: &Credit) -> Result<(), Error> {
        self.check_settlement();
        self.summary.settlement_rows = self.summary.settlement_rows.saturating_add(1);
        if let Some(total) = self.summary.credited.as_mut() {
            total.gross = total.gross.saturating_add(credit.settled.gross);
            total.fee = total.fee.saturating_add(credit.settled.fee);
            total.net = total.net.saturating_add(credit.settled.net);
        }
        self.days.credit(line, credit).map_err(|e| {
            e.in_column(Column::Date)
                .in_input(Input::Settlement)
                .at_line(line)
        })
    }

    /// A journal row found on `line`.
    ///
    /// # Errors
    /// [`ErrorKind::OutOfOrder`] for a row earlier than the journal's latest by more than the
    /// window: the journal is not in time order.
    pub fn journal(&mut self, line: u64, entry: &JournalEntry) -> Result<(), Error> {
        let time = entry.time.seconds();
        self.check_order(Input::Journal, line, time)?;
        self.summary.journal_rows = self.summary.journal_rows.saturating_add(1);
        self.journal_clock.latest = Some(self.journal_clock.latest.map_or(time, |t| t.max(time)));
        self.release();
        let side = JournalSide {
            line,
            entry: *entry,
            reversed: None,
        };
        match self.find(entry.terminal, entry.rrn, Some(entry.voucher)) {
            None => {
                let i = self.open_slot(time, Some(side), None);
                self.register(i, entry.terminal, entry.rrn, Some(entry.voucher));
            }
            Some(i) => self.journal_into(i, side),
        }
        Ok(())
    }

    /// A statement row found on `line`.
    ///
    /// # Errors
    /// [`ErrorKind::OutOfOrder`], as for the journal.
    pub fn statement(&mut self, line: u64, entry: &StatementEntry) -> Result<(), Error> {
        let time = entry.time.seconds();
        self.check_order(Input::Statement, line, time)?;
        let totals = &mut self.summary.statement;
        totals.rows = totals.rows.saturating_add(1);
        totals.gross = totals.gross.saturating_add(entry.amount);
        totals.fee = totals.fee.saturating_add(entry.fee);
        self.statement_clock.latest =
            Some(self.statement_clock.latest.map_or(time, |t| t.max(time)));
        self.release();
        let side = StatementSide {
            line,
            entry: *entry,
        };
        let i = match self.find(entry.terminal, entry.rrn, entry.voucher) {
            None => {
                let i = self.open_slot(time, None, Some(side));
                self.register(i, entry.terminal, entry.rrn, entry.voucher);
                i
            }
            Some(i) => {
                self.statement_into(i, side);
                i
            }
        };
        let journal = self.slot_mut(i).and_then(|s| s.journal);
        let tx = tx_ref(entry.terminal, journal.as_ref(), Some(&side));
        let contract = self.contract_fee(tx, entry);
        self.rates.observe(line, entry, contract);
        self.days.book(entry);
        Ok(())
    }

    /// No row of `input` will be earlier than `time` less the window: lets the reconciler
    /// release transactions before that input's next row is fed (the CSV reader calls it
    /// with the time of the row it has read ahead).
    pub fn not_before(&mut self, input: Input, time: Timestamp) {
        let clock = match input {
            Input::Journal => &mut self.journal_clock,
            Input::Statement => &mut self.statement_clock,
            Input::Settlement | Input::RateTable => return,
        };
        clock.latest = Some(
            clock
                .latest
                .map_or(time.seconds(), |t| t.max(time.seconds())),
        );
        self.release();
    }

    /// The journal or the statement has no more rows.
    pub fn end(&mut self, input: Input) {
        match input {
            Input::Journal => self.journal_clock.ended = true,
            Input::Statement => self.statement_clock.ended = true,
            Input::Settlement | Input::RateTable => {}
        }
        self.release();
    }

    /// Releases every transaction, closes every day and reports the rate changes.
    pub fn finish(mut self) -> Summary {
        self.journal_clock.ended = true;
        self.statement_clock.ended = true;
        self.release();
        let Self {
            mut sink,
            mut summary,
            days,
            rates,
            ..
        } = self;
        let mut emit = |f: Finding| {
            summary.findings.count(f.severity());
            sink(f);
        };
        let mut days = days;
        days.close_before(None, &mut emit);
        rates.finish(&mut emit);
        summary
    }

    fn emit(&mut self, finding: Finding) {
        self.summary.findings.count(finding.severity());
        (self.sink)(finding);
    }

    fn check_order(&self, input: Input, line: u64, time: i64) -> Result<(), Error> {
        let clock = match input {
            Input::Journal => self.journal_clock,
            _ => self.statement_clock,
        };
        match (self.config.window, clock.latest) {
            (Some(window), Some(latest)) if time < latest.saturating_sub(i64::from(window)) => {
                Err(Error::new(ErrorKind::OutOfOrder, 0)
                    .in_column(Column::Time)
                    .in_input(input)
                    .at_line(line))
            }
            _ => Ok(()),
        }
    }

    fn find(
        &self,
        terminal: TerminalId,
        rrn: Option<Rrn>,
        voucher: Option<Voucher>,
    ) -> Option<usize> {
        rrn.and_then(|r| self.by_rrn.get(&(terminal, r)))
            .or_else(|| voucher.and_then(|v| self.by_voucher.get(&(terminal, v))))
            .copied()
    }

    fn slot_mut(&mut self, i: usize) -> Option<&mut Slot> {
        self.slots.get_mut(i).and_then(Option::as_mut)
    }

    fn open_slot(
        &mut self,
        time: i64,
        journal: Option<JournalSide>,
        statement: Option<StatementSide>,
    ) -> usize {
        let slot = Some(Slot { journal, statement });
        let i = match self.free.pop() {
            Some(i) => {
                if let Some(s) = self.slots.get_mut(i) {
                    *s = slot;
                }
                i
            }
            None => {
                self.slots.push(slot);
                self.slots.len() - 1
            }
        };
        self.queue.push_back((time, i));
        self.open += 1;
        self.summary.peak_open = self.summary.peak_open.max(self.open);
        i
    }

    fn register(
        &mut self,
        i: usize,
        terminal: TerminalId,
        rrn: Option<Rrn>,
        voucher: Option<Voucher>,
    ) {
        if let Some(r) = rrn {
            self.by_rrn.entry((terminal, r)).or_insert(i);
        }
        if let Some(v) = voucher {
            self.by_voucher.entry((terminal, v)).or_insert(i);
        }
    }

    fn journal_into(&mut self, i: usize, side: JournalSide) {
        let Some(slot) = self.slot_mut(i) else {
            return;
        };
        let reversal = side.entry.kind == TxType::Reversal;
        let (journal, duplicate_of) = match slot.journal {
            None => (side, None),
            // The original after its reversal: the original, reversed.
            Some(first) if first.entry.kind == TxType::Reversal && !reversal => (
                JournalSide {
                    reversed: Some(first.line),
                    ..side
                },
                None,
            ),
            Some(first) if reversal && first.reversed.is_none() => (
                JournalSide {
                    reversed: Some(side.line),
                    ..first
                },
                None,
            ),
            Some(first) => (first, Some(first.line)),
        };
        slot.journal = Some(journal);
        let statement = slot.statement;
        if let Some(first_line) = duplicate_of {
            let tx = tx_ref(side.entry.terminal, Some(&side), statement.as_ref());
            self.emit(
                Finding::new(
                    Rule::DuplicateBooking,
                    Evidence::Duplicate {
                        tx,
                        input: Input::Journal,
                        first_line,
                    },
                )
                .with_severity(crate::finding::Severity::Suspicious),
            );
            return;
        }
        self.register(
            i,
            side.entry.terminal,
            side.entry.rrn,
            Some(side.entry.voucher),
        );
        if let Some(s) = statement {
            self.compare(&journal, &s, reversal.then_some(side.line));
        }
    }

    fn statement_into(&mut self, i: usize, side: StatementSide) {
        let Some(slot) = self.slot_mut(i) else {
            return;
        };
        match slot.statement {
            Some(first) => {
                let journal = slot.journal;
                let tx = tx_ref(side.entry.terminal, journal.as_ref(), Some(&side));
                self.emit(Finding::new(
                    Rule::DuplicateBooking,
                    Evidence::Duplicate {
                        tx,
                        input: Input::Statement,
                        first_line: first.line,
                    },
                ));
            }
            None => {
                slot.statement = Some(side);
                let journal = slot.journal;
                self.register(i, side.entry.terminal, side.entry.rrn, side.entry.voucher);
                if let Some(j) = journal {
                    self.compare(&j, &side, None);
                }
            }
        }
    }

    /// The two records of one transaction. `reversal_line`: the journal row just read is
    /// the reversal of a transaction already matched.
    fn compare(&mut self, j: &JournalSide, s: &StatementSide, reversal_line: Option<u64>) {
        let mut tx = tx_ref(s.entry.terminal, Some(j), Some(s));
        if j.is_undone() {
            tx.journal_line = Some(reversal_line.or(j.reversed).unwrap_or(j.line));
            self.emit(Finding::new(
                Rule::TypeMismatch,
                Evidence::Types {
                    tx,
                    journal: TxType::Reversal,
                    statement: s.entry.kind,
                },
            ));
            return;
        }
        self.summary.matched = self.summary.matched.saturating_add(1);
        let (je, se) = (&j.entry, &s.entry);
        if je.merchant != se.merchant {
            self.emit(Finding::new(
                Rule::MerchantNoMismatch,
                Evidence::TxMerchantNos {
                    tx,
                    journal: je.merchant,
                    statement: se.merchant,
                },
            ));
        }
        if je.kind != se.kind {
            self.emit(Finding::new(
                Rule::TypeMismatch,
                Evidence::Types {
                    tx,
                    journal: je.kind,
                    statement: se.kind,
                },
            ));
        }
        if je.amount != se.amount {
            self.emit(Finding::new(
                Rule::AmountMismatch,
                Evidence::Amounts {
                    tx,
                    journal: je.amount,
                    statement: se.amount,
                },
            ));
        }
        if let Some(quoted) = je.fee
            && quoted != se.fee
        {
            self.emit(Finding::new(
                Rule::FeeMismatch,
                Evidence::Fees {
                    tx,
                    journal: quoted,
                    statement: se.fee,
                },
            ));
        }
    }

    /// The fee-rate-mismatch check of a statement row; the contract rate of its card.
    fn contract_fee(&mut self, tx: TxRef, e: &StatementEntry) -> Option<ContractRate> {
        let table = self.config.rates?;
        let Some(contract) = table.for_card(e.card) else {
            self.summary.fee_unchecked = self.summary.fee_unchecked.saturating_add(1);
            return None;
        };
        let charged = Fen::from_unsigned(contract.fee(e.amount.unsigned_abs()));
        let expected = match e.kind {
            k if k.charges_fee() => charged,
            k if k.returns_fee() => Fen::ZERO.saturating_sub(charged),
            TxType::Refund => match self.config.refund_fee {
                RefundFee::Kept => Fen::ZERO,
                RefundFee::Returned => Fen::ZERO.saturating_sub(charged),
            },
            _ => return Some(contract),
        };
        if e.fee != expected {
            self.emit(Finding::new(
                Rule::FeeRateMismatch,
                Evidence::ContractFee {
                    tx,
                    kind: e.kind,
                    card: e.card,
                    amount: e.amount,
                    fee: e.fee,
                    expected,
                    contract,
                },
            ));
        }
        Some(contract)
    }

    /// Releases the slots no row can match any more, and closes the days no statement row
    /// can fall on any more.
    fn release(&mut self) {
        let Some(window) = self.config.window.map(i64::from) else {
            if self.journal_clock.ended && self.statement_clock.ended {
                self.release_before(i64::MAX);
            }
            return;
        };
        let horizon = self
            .journal_clock
            .horizon()
            .min(self.statement_clock.horizon());
        // A matching row is at most a window apart, and each input is in order up to a
        // window: nothing earlier than two windows before the horizon can still match.
        let before = if horizon == i64::MAX {
            i64::MAX
        } else {
            horizon.saturating_sub(window.saturating_mul(2))
        };
        self.release_before(before);
        let statement = self.statement_clock.horizon();
        if statement > i64::MIN {
            let upto = if statement == i64::MAX {
                i64::MAX
            } else {
                statement.saturating_sub(window)
            };
            let Self {
                days,
                sink,
                summary,
                ..
            } = self;
            let date = (upto != i64::MAX).then(|| Timestamp::from_seconds(upto).date());
            days.close_before(date, &mut |f| {
                summary.findings.count(f.severity());
                sink(f);
            });
        }
    }

    fn release_before(&mut self, before: i64) {
        while let Some(&(time, i)) = self.queue.front() {
            if time >= before && before != i64::MAX {
                break;
            }
            self.queue.pop_front();
            let Some(slot) = self.slots.get_mut(i).and_then(Option::take) else {
                continue;
            };
            self.free.push(i);
            self.open = self.open.saturating_sub(1);
            self.unregister(i, &slot);
            self.settle_slot(&slot);
        }
    }

    fn unregister(&mut self, i: usize, slot: &Slot) {
        let keys = [
            slot.journal
                .map(|j| (j.entry.terminal, j.entry.rrn, Some(j.entry.voucher))),
            // The statement's keys, where the journal's did not already name them.
            slot.statement.map(|s| {
                let j = slot.journal.map(|j| j.entry);
                let rrn = s.entry.rrn.filter(|r| j.is_none_or(|j| j.rrn != Some(*r)));
                let voucher = s
                    .entry
                    .voucher
                    .filter(|v| j.is_none_or(|j| j.voucher != *v));
                (s.entry.terminal, rrn, voucher)
            }),
        ];
        for (terminal, rrn, voucher) in keys.into_iter().flatten() {
            if let Some(r) = rrn
                && let Entry::Occupied(e) = self.by_rrn.entry((terminal, r))
                && *e.get() == i
            {
                e.remove();
            }
            if let Some(v) = voucher
                && let Entry::Occupied(e) = self.by_voucher.entry((terminal, v))
                && *e.get() == i
            {
                e.remove();
            }
        }
    }

    /// A released slot: totals of the journal, and what one side lacks.
    fn settle_slot(&mut self, slot: &Slot) {
        if let Some(j) = slot.journal
            && j.entry.kind.is_booked()
            && !j.is_undone()
        {
            let totals = &mut self.summary.journal;
            totals.rows = totals.rows.saturating_add(1);
            totals.gross = totals.gross.saturating_add(j.entry.amount);
            totals.fee = totals.fee.saturating_add(j.entry.fee.unwrap_or(Fen::ZERO));
        }
        match (slot.journal, slot.statement) {
            (Some(j), None) if j.entry.kind.is_booked() && !j.is_undone() => {
                self.summary.missing_on_statement =
                    self.summary.missing_on_statement.saturating_add(1);
                let e = j.entry;
                self.emit(Finding::new(
                    Rule::MissingOnStatement,
                    Evidence::Missing {
                        tx: tx_ref(e.terminal, Some(&j), None),
                        merchant: e.merchant,
                        time: e.time,
                        kind: e.kind,
                        amount: e.amount,
                    },
                ));
            }
            (None, Some(s)) => {
                self.summary.missing_on_journal = self.summary.missing_on_journal.saturating_add(1);
                let e = s.entry;
                self.emit(Finding::new(
                    Rule::MissingOnJournal,
                    Evidence::Missing {
                        tx: tx_ref(e.terminal, None, Some(&s)),
                        merchant: e.merchant,
                        time: e.time,
                        kind: e.kind,
                        amount: e.amount,
                    },
                ));
            }
            _ => {}
        }
    }
}

/// How a finding names the transaction: the terminal, the RRN and voucher either side
/// gives (the statement's RRN first), and both lines.
fn tx_ref(terminal: TerminalId, j: Option<&JournalSide>, s: Option<&StatementSide>) -> TxRef {
    TxRef {
        terminal,
        rrn: s.and_then(|s| s.entry.rrn).or(j.and_then(|j| j.entry.rrn)),
        voucher: j
            .map(|j| j.entry.voucher)
            .or(s.and_then(|s| s.entry.voucher)),
        journal_line: j.map(|j| j.line),
        statement_line: s.map(|s| s.line),
    }
}
