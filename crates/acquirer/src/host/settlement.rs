//! The end of a terminal's batch: the settlement (0500) compared with the ledger's totals, and
//! the batch upload advices (0320) that may follow.

use cardwire_iso8583::cups::{ResponseCode, SettlementTotals};

use super::reply::ReplyParts;
use super::{Head, Host, Io, simple};
use crate::Answer;
use crate::error::Result;
use crate::ledger::{Ledger, SettlementRecord};

impl<L: Ledger> Host<L> {
    pub(super) fn acknowledge(
        &mut self,
        head: &Head,
        io: &mut Io<'_, '_, '_, '_>,
    ) -> Result<Answer> {
        let session = match self.verified(head, io.msg)? {
            Ok(s) => s,
            Err(code) => return io.answer(head, simple(code, io.now)),
        };
        io.answer(
            head,
            ReplyParts {
                mac: Some(&session.keys.mac),
                ..simple(ResponseCode::Approved, io.now)
            },
        )
    }

    pub(super) fn settlement(
        &mut self,
        head: &Head,
        io: &mut Io<'_, '_, '_, '_>,
    ) -> Result<Answer> {
        let mut session = match self.verified(head, io.msg)? {
            Ok(s) => s,
            Err(code) => return io.answer(head, simple(code, io.now)),
        };
        let Some(requested) = SettlementTotals::from_message(io.msg) else {
            return io.answer(
                head,
                ReplyParts {
                    mac: Some(&session.keys.mac),
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
            self.update_session(&head.terminal_id, session.clone())?;
        }
        io.answer(
            head,
            ReplyParts {
                settlement: Some(answered),
                mac: Some(&session.keys.mac),
                ..simple(ResponseCode::Approved, io.now)
            },
        )
    }
}

/// The host's totals of a terminal's batch: debits are live purchases and completions that
/// were not voided; credits are live refunds. Voids cancel their original and count nowhere.
/// Every card is domestic (UnionPay) here.
///
/// # Errors
/// [`ErrorKind::Ledger`](crate::ErrorKind::Ledger).
pub fn batch_totals<L: Ledger + ?Sized>(
    ledger: &mut L,
    terminal_id: &str,
    batch: u32,
) -> Result<SettlementTotals> {
    let mut totals = SettlementTotals::default();
    for r in ledger.batch(terminal_id, batch)? {
        if !r.is_live() || r.state.voided {
            continue;
        }
        if let Some(side) = r.transaction.settles_as() {
            totals.domestic.add(side, r.amount);
        }
    }
    Ok(totals)
}
