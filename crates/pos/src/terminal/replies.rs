//! Reading what came back: the reply (or its absence), checked to answer the request and to
//! carry a valid MAC, turned into an [`Outcome`](super::Outcome); the card's refusal after an
//! approval.

use cardwire_iso8583::cups::{Reply, ResponseCode, Transaction};
use cardwire_iso8583::{Message, specs};

use super::{Approval, Outcome, Pending, Record, Sent, Terminal};
use crate::card::{CardData, Entry};
use crate::error::{Error, ErrorKind, Result};
use crate::text::{Bytes, Text};

impl<const J: usize> Terminal<J> {
    /// One whole exchange with the host: `start` writes the request (e.g.
    /// `|t, out| t.purchase(&card, amount, Some(&pin), now, out)`), `exchange` sends it and
    /// writes the reply frame into its second argument, returning its length or `None` when
    /// no reply came in time. A pending reversal goes first: when it is confirmed, `start` runs
    /// again for the transaction itself.
    ///
    /// # Errors
    /// Whatever `start` or `on_reply` return; an error of `exchange` (the request may have
    /// left: it is treated as unanswered first).
    pub fn transact<S, X>(
        &mut self,
        out: &mut [u8],
        reply: &mut [u8],
        mut start: S,
        mut exchange: X,
    ) -> Result<Outcome>
    where
        S: FnMut(&mut Self, &mut [u8]) -> Result<Sent>,
        X: FnMut(&[u8], &mut [u8]) -> Result<Option<usize>>,
    {
        loop {
            let sent = start(self, out)?;
            let request = out.get(..sent.len).ok_or(ErrorKind::BufferTooSmall)?;
            let answered = match exchange(request, reply) {
                Ok(a) => a,
                Err(e) => {
                    self.on_timeout()?;
                    return Err(e);
                }
            };
            let outcome = match answered {
                Some(n) => self.on_reply(reply.get(..n).ok_or(ErrorKind::BufferTooSmall)?)?,
                None => {
                    let reversal_pending = self.on_timeout()?;
                    return Ok(Outcome::NoReply {
                        transaction: sent.transaction,
                        reversal: sent.reversal,
                        stan: sent.stan,
                        reversal_pending,
                    });
                }
            };
            if !matches!(outcome, Outcome::Reversed { .. }) {
                return Ok(outcome);
            }
        }
    }

    // ----- replies -----

    /// No reply came in time. A reversible request (purchase, void, the pre-authorisation
    /// family) becomes the pending reversal (reason `98`); a reversal in flight stays
    /// pending. Returns whether a reversal is pending.
    ///
    /// # Errors
    /// [`ErrorKind::NothingPending`].
    pub fn on_timeout(&mut self) -> Result<bool> {
        let p = self.in_flight.take().ok_or(ErrorKind::NothingPending)?;
        self.unanswered(p, "98");
        Ok(self.reversal.is_some())
    }

    pub(super) fn unanswered(&mut self, mut p: Pending, reason: &'static str) {
        if !p.reversal && p.transaction.needs_reversal() {
            p.reason = reason;
            p.pin_block = None;
            p.ksn = None;
            self.reversal = Some(p);
        }
    }

    /// The card refused a transaction the host approved (it returned an AAC at the second
    /// GENERATE AC, or issuer authentication failed): the record leaves the journal and its
    /// reversal (reason `06`) becomes pending.
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`].
    pub fn card_declined(&mut self, stan: u32) -> Result<()> {
        let record = *self.journal.find(stan).ok_or(ErrorKind::NotFound)?;
        if !record.transaction.needs_reversal() {
            return Err(ErrorKind::NotFound.into());
        }
        let mut p = Pending::new(record.transaction, record.when);
        p.stan = record.stan;
        p.batch = record.batch;
        p.amount = Some(record.amount);
        let mut card = CardData::keyed(record.pan(), record.expiry.as_ref().map(Text::as_str))?;
        card.entry = record.entry;
        p.card = Some(card);
        p.reason = "06";
        self.journal.remove(stan);
        self.reversal = Some(p);
        Ok(())
    }

    /// Reads the host's reply (a whole frame: length, TPDU, header, message).
    ///
    /// The reply must come framed as the requests go (the TPDU turned round, the same
    /// header), answer the request in flight (MTI + 10, same STAN and terminal) and, for
    /// every request but sign-in and the other network management messages, carry a MAC that
    /// verifies under the MAK by the profile's algorithm (a decline `A0` or `03` — the host
    /// could not verify ours — may come without; nothing else may). It must then agree with
    /// the request: the amount of field 4 and the currency of field 49 as sent, and an
    /// approval of a journaled transaction carries its RRN and authorisation code. A reply
    /// that fails any of this is not accepted: the request is then treated as unanswered and
    /// a reversible one becomes the pending reversal with reason `A0`.
    ///
    /// # Errors
    /// [`ErrorKind::NothingPending`]; [`ErrorKind::Message`] for a frame that does not decode
    /// and [`ErrorKind::UnexpectedReply`] for one answering something else (the request stays
    /// in flight for both); [`ErrorKind::Mac`]; [`ErrorKind::MissingField`];
    /// [`ErrorKind::Crypto`] for working keys whose check values do not match (still not
    /// signed in).
    pub fn on_reply(&mut self, frame: &[u8]) -> Result<Outcome> {
        let p = self.in_flight.as_ref().ok_or(ErrorKind::NothingPending)?;
        let c = &self.config;
        let message = c.reply_message(frame)?;
        let msg = Message::decode(&specs::CUPS, message)?;
        let reply = Reply(&msg);
        let reply_mti = if p.reversal {
            Transaction::REVERSAL_MTI + 10
        } else {
            p.transaction.response_mti()
        };
        let matches = msg.mti().to_u16() == reply_mti
            && reply.stan() == Some(p.stan)
            && msg
                .field(41)
                .and_then(|f| f.as_str())
                .is_some_and(|t| t == self.config.terminal_id());
        if !matches {
            return Err(ErrorKind::UnexpectedReply.into());
        }
        let code = reply
            .response_code()
            .and_then(ResponseCode::parse)
            .ok_or(Error::from(ErrorKind::MissingField { field: 39 }))?;
        if !p.transaction.is_network_management() {
            let verified = match (msg.mac(), msg.mab(), self.keys.as_ref()) {
                (Some(mac), Some(mab), Some(keys)) => keys
                    .verify_field64(self.config.mac(), mab, mac.value())
                    .is_ok(),
                // The host declines without a MAC when it could not check ours (A0) or does
                // not know the terminal (03): keys it has just shown it does not share.
                (None, _, _) => matches!(
                    code,
                    ResponseCode::MacFailed | ResponseCode::InvalidMerchant
                ),
                _ => false,
            };
            // Only an approval needs to agree with the request: a decline is a decline.
            let disagrees = match (verified, code.is_approved()) {
                (false, _) => Some(64),
                (true, true) => disagreement(&msg, p, code),
                (true, false) => None,
            };
            if let Some(field) = disagrees {
                if let Some(p) = self.in_flight.take() {
                    self.unanswered(p, "A0");
                }
                return Err(Error::from(ErrorKind::Mac).at_field(field));
            }
        }
        let p = self.in_flight.take().ok_or(ErrorKind::NothingPending)?;
        if !code.is_approved() {
            return Ok(Outcome::Declined {
                transaction: p.transaction,
                reversal: p.reversal,
                stan: p.stan,
                code,
            });
        }
        if p.reversal {
            self.reversal = None;
            return Ok(Outcome::Reversed {
                transaction: p.transaction,
                stan: p.stan,
            });
        }
        match p.transaction {
            Transaction::SignIn => self.signed_in(&reply),
            Transaction::SignOut => {
                self.keys = None;
                Ok(Outcome::SignedOut)
            }
            Transaction::Balance => Ok(Outcome::Balance {
                balance: reply.balance(),
            }),
            Transaction::Settlement => {
                let host = reply.settlement();
                let balanced = host
                    .is_some_and(|h| h.domestic.result == 1 && matches!(h.foreign.result, 0 | 1));
                if balanced {
                    self.close_batch();
                } else {
                    self.upload = Some(0);
                }
                Ok(Outcome::Settled {
                    balanced,
                    totals: p.totals.unwrap_or_default(),
                })
            }
            Transaction::BatchUpload => {
                let next = self.upload.unwrap_or(0) + 1;
                self.upload = Some(next);
                Ok(Outcome::Uploaded {
                    remaining: self.journal.len().saturating_sub(next),
                })
            }
            Transaction::BatchUploadEnd => {
                self.close_batch();
                Ok(Outcome::BatchClosed { batch: self.batch })
            }
            t if t.is_journaled() => self.approved(p, &msg),
            _ => Ok(Outcome::Acknowledged),
        }
    }

    pub(super) fn signed_in(&mut self, reply: &Reply<'_, '_, '_>) -> Result<Outcome> {
        let field = reply
            .working_keys()
            .ok_or(Error::from(ErrorKind::MissingField { field: 62 }))?;
        let keys = self
            .tmk
            .open_field62(field)
            .map_err(|e| Error::from(e).at_field(62))?;
        self.keys = Some(keys);
        if let Some(b) = reply.batch().filter(|b| (1..=999_999).contains(b)) {
            self.batch = b;
        }
        Ok(Outcome::SignedIn { batch: self.batch })
    }

    pub(super) fn approved(&mut self, p: Pending, msg: &Message<'_, '_>) -> Result<Outcome> {
        let reply = Reply(msg);
        let number = |n| {
            msg.get(n)
                .and_then(|c| c.to_u64())
                .and_then(|v| u32::try_from(v).ok())
        };
        let date = number(13).and_then(|v| u16::try_from(v).ok());
        let card = p.card.as_ref();
        let record = Record {
            transaction: p.transaction,
            stan: p.stan,
            batch: p.batch,
            // Every journaled request carries its amount (`card_request` asks for one).
            amount: p.amount.ok_or(ErrorKind::MissingField { field: 4 })?,
            entry: card.map_or(Entry::Keyed, CardData::entry),
            rrn: Text::copy_from(reply.rrn().unwrap_or_default()).unwrap_or_default(),
            auth_code: Text::copy_from(reply.auth_code().unwrap_or_default()).unwrap_or_default(),
            // The host's date and time where it gave them; a reply whose fields 12 and 13 make
            // no date keeps the terminal's own time of the request.
            when: p.when.with_reply_time(date, number(12)).unwrap_or(p.when),
            original_stan: p.original_stan,
            voided: false,
            card_label: card.map(|c| c.label).unwrap_or_default(),
            merchant_no: msg
                .field(42)
                .and_then(|f| f.as_str())
                .and_then(|m| Text::copy_from(m).ok())
                .unwrap_or(self.config.merchant_no),
            pan: card.map(|c| c.pan).unwrap_or_default(),
            expiry: card.and_then(|c| c.expiry),
        };
        self.journal.push(record)?;
        if p.transaction.is_void()
            && let Some(orig) = p.original_stan.and_then(|s| self.journal.find_mut(s))
        {
            orig.voided = true;
        }
        let icc = msg
            .field(55)
            .and_then(|f| f.bytes())
            .and_then(|b| Bytes::from_slice(b).ok())
            .unwrap_or_default();
        Ok(Outcome::Approved(Approval { record, icc }))
    }
}

/// The first field in which a verified reply disagrees with the request it answers, if any:
/// the amount and currency must be those sent, and an approval of a journaled transaction
/// carries an RRN (12 characters) and an authorisation code (6). Under a legacy MAC, whose
/// forgeries flip bits in one field and compensate in another, this is what stands between
/// a tampered decline and an approval.
fn disagreement(msg: &Message<'_, '_>, p: &Pending, code: ResponseCode) -> Option<u8> {
    let amount = msg.get(4).map(|c| c.to_u64());
    match (p.amount, amount) {
        (Some(sent), Some(Some(back))) if sent == back => {}
        (None, None) => {}
        // A reply may leave out the amount, but never change it.
        (Some(_), None) if !code.is_approved() => {}
        _ => return Some(4),
    }
    if msg.get(49).is_some_and(|c| !c.eq_str("156")) {
        return Some(49);
    }
    if code.is_approved() && !p.reversal && p.transaction.is_journaled() {
        let length = |n: usize| msg.get(n).map(|c| c.len());
        if length(37) != Some(12) {
            return Some(37);
        }
        if length(38) != Some(6) {
            return Some(38);
        }
    }
    None
}
