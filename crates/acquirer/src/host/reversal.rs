//! Reversals (0400): idempotent; a reversal of a transaction never seen leaves a mark so that
//! the transaction is refused should it arrive late.

use cardwire_iso8583::cups::{ResponseCode, Transaction};

use super::reply::ReplyParts;
use super::{Head, Host, Io, Session, simple};
use crate::Answer;
use crate::error::Result;
use crate::ledger::{Ledger, Reversed, TxKey, TxRecord};

impl<L: Ledger> Host<L> {
    pub(super) fn reversal(
        &mut self,
        head: &Head,
        session: &Session,
        io: &mut Io<'_, '_, '_, '_>,
    ) -> Result<Answer> {
        let key = TxKey {
            terminal_id: head.terminal_id.clone(),
            batch: head.batch,
            stan: head.stan,
        };
        let transaction = head.transaction.unwrap_or(Transaction::Purchase);
        let (seq, _) = self.next_seq()?;
        let mark = TxRecord::mark(key.clone(), transaction, seq, io.now);
        let outcome = self.ledger.reverse(&key, &mark)?;
        let code = match outcome {
            Reversed::Refused => ResponseCode::InvalidTransaction,
            _ => ResponseCode::Approved,
        };
        let mut answer = io.answer(
            head,
            ReplyParts {
                mac: Some(session.mac()),
                ..simple(code, io.now)
            },
        )?;
        answer.reversed = Some(outcome);
        Ok(answer)
    }
}
