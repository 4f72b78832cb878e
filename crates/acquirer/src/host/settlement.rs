//! The end of a terminal's batch: the settlement (0500) compared with the ledger's totals, and
//! the batch upload advices (0320) that may follow.

use cardwire_iso8583::cups::{ResponseCode, SettlementTotals, Side};

use super::reply::ReplyParts;
use super::{Head, Host, Io, Session, simple};
use crate::Answer;
use crate::error::{Error, ErrorKind, Result};
use crate::ledger::{Ledger, SettlementRecord};

impl<L: Ledger> Host<L> {
    pub(super) fn acknowledge(
        &mut self,
        head: &Head,
        session: &Session,
        io: &mut Io<'_, '_, '_, '_>,
    ) -> Result<Answer> {
        io.answer(
            head,
            ReplyParts {
                mac: Some(session.mac()),
                ..simple(ResponseCode::Approved, io.now)
            },
        )
    }

    pub(super) fn settlement(
        &mut self,
        head: &Head,
        mut session: Session,
        io: &mut Io<'_, '_, '_, '_>,
    ) -> Result<Answer> {
        let Some(requested) = SettlementTotals::from_message(io.msg) else {
            return io.answer(
                head,
                ReplyParts {
                    mac: Some(session.mac()),
                    ..simple(ResponseCode::FormatError, io.now)
                },
            );
        };
        let host = batch_totals(&mut self.ledger, &head.terminal_id, head.batch)?;
        let domestic = requested.domestic.agrees_with(&host.domestic);
        let foreign = requested.foreign.agrees_with(&host.foreign);
        let result = |ok: bool| if ok { 1 } else { 2 };
        let mut answered = requested;
        answered.domestic.result = result(domestic);
        answered.foreign.result = result(foreign);
        self.ledger.settle(&SettlementRecord {
            terminal_id: head.terminal_id.clone(),
            batch: head.batch,
            time: io.now,
            terminal: requested,
            host,
            balanced: domestic && foreign,
        })?;
        if head.batch == session.batch {
            // The batch is closed: the terminal's next transactions go into the next one.
            session.batch = head.batch % 999_999 + 1;
            // A shared ledger moves the batch alone, so that a sign-in at another node
            // meanwhile keeps its new keys.
            let moved = self
                .ledger
                .close_batch(&head.terminal_id, head.batch, session.batch)?;
            if moved.is_none() {
                self.update_session(&head.terminal_id, session.clone())?;
            }
        }
        io.answer(
            head,
            ReplyParts {
                settlement: Some(answered),
                mac: Some(session.mac()),
                ..simple(ResponseCode::Approved, io.now)
            },
        )
    }
}

/// The host's totals of a terminal's batch: debits are live purchases and completions that
/// were not voided; credits are live refunds. Voids cancel their original and count nowhere.
/// Every card is domestic (UnionPay) here.
///
/// The amounts are exact. The counts are what field 48 can carry, 3 digits: the last three
/// digits of the exact count (a batch of 1 200 counts `200`, as the terminal writes it). They
/// are counted exactly first — never in a counter that saturates — so that a batch of any size
/// compares the way the terminal's field 48 was written; the exact amounts (12 digits) are
/// what tells a batch of 1 200 from one of 200.
///
/// # Errors
/// [`ErrorKind::Ledger`](crate::ErrorKind::Ledger).
pub fn batch_totals<L: Ledger + ?Sized>(
    ledger: &mut L,
    terminal_id: &str,
    batch: u32,
) -> Result<SettlementTotals> {
    let mut debits = (0u64, 0u64);
    let mut credits = (0u64, 0u64);
    for r in ledger.batch(terminal_id, batch)? {
        if !r.is_live() || r.state.voided {
            continue;
        }
        let side = match r.transaction.settles_as() {
            Some(Side::Debit) => &mut debits,
            Some(Side::Credit) => &mut credits,
            None => continue,
        };
        side.0 = side.0.checked_add(r.amount).ok_or_else(overflow)?;
        side.1 += 1;
    }
    let mut totals = SettlementTotals::default();
    totals.domestic.debit_amount = debits.0;
    totals.domestic.debit_count = field48_count(debits.1);
    totals.domestic.credit_amount = credits.0;
    totals.domestic.credit_count = field48_count(credits.1);
    Ok(totals)
}

/// A count as field 48's 3 digits carry it.
fn field48_count(n: u64) -> u16 {
    // Below 1 000: the cast cannot truncate.
    #[allow(clippy::cast_possible_truncation)]
    let digits = (n % 1_000) as u16;
    digits
}

fn overflow() -> Error {
    Error::new(ErrorKind::Ledger).during("adding up a batch")
}
