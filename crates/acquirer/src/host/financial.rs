//! Financial requests: the card checked as its issuer would, the original of a void, refund or
//! completion found, the money and the merchant's fee decided, all recorded in one posting
//! before the reply is written.

use alloc::string::String;
use alloc::sync::Arc;

use cardwire_iso8583::cups::{ResponseCode, Transaction};
use cardwire_merchant::FeeRate;
use rand_core::TryCryptoRng;

use super::reply::ReplyParts;
use super::{Answer, Head, Host, Io, Mac, Session, card, digits, simple, text};
use crate::error::{Error, ErrorKind, Result};
use crate::ledger::{Ledger, OriginalChange, Posted, Posting, TxKey, TxRecord, TxState};
use crate::registry::{Merchant, Registry};

impl<L: Ledger> Host<L> {
    pub(super) fn financial<R: TryCryptoRng + ?Sized>(
        &mut self,
        head: &Head,
        t: Transaction,
        mut session: Session,
        io: &mut Io<'_, '_, '_, '_>,
        rng: &mut R,
    ) -> Result<Answer> {
        let keys = Arc::clone(&session.keys);
        let mak = Mac {
            keys: &keys,
            algorithm: session.algorithm,
        };
        let key = TxKey {
            terminal_id: head.terminal_id.clone(),
            batch: head.batch,
            stan: head.stan,
        };
        // A shared ledger's posting finds a duplicate itself, in the same round trip; a
        // rotating terminal's request is checked first all the same, so that a duplicate
        // takes no position of its merchant-number pool.
        let posting_finds_it = self.ledger.shared()
            && self
                .registry
                .terminal(&head.terminal_id)
                .is_none_or(|e| e.pool.is_empty());
        if !posting_finds_it && self.ledger.transaction(&key)?.is_some() {
            return io.answer(
                head,
                ReplyParts {
                    mac: Some(mak),
                    ..simple(ResponseCode::Duplicate, io.now)
                },
            );
        }
        let mut d = self.decide(head, t, &mut session, io)?;
        let (seq, rrn) = self.next_seq()?;
        let rrn = ascii(&rrn)?;
        let approved = d.code.is_approved();
        let auth = if approved {
            let mut b = [0u8; 4];
            rng.try_fill_bytes(&mut b)
                .map_err(|_| Error::new(ErrorKind::Crypto(cardwire_crypto::ErrorKind::Random)))?;
            digits::<6>(u64::from(u32::from_be_bytes(b)))
        } else {
            [0; 6]
        };
        let auth = ascii(&auth)?;
        let record = TxRecord {
            key,
            seq,
            transaction: t,
            response: Some(d.code),
            // A balance inquiry carries no amount.
            amount: head.amount.unwrap_or(0),
            fee: if approved { d.fee } else { 0 },
            balance_delta: if approved { d.delta } else { 0 },
            account: d.account,
            merchant_no: d.merchant.merchant_no.clone(),
            merchant_name: d.merchant.name.clone(),
            mcc: d.merchant.mcc.clone(),
            rrn: rrn.into(),
            auth_code: if approved { auth.into() } else { String::new() },
            time: io.now,
            original: d.original,
            state: TxState::default(),
        };
        let change = if approved { d.change } else { None };
        // Another host node sharing the ledger may have been first: it answered this request
        // (a duplicate), or changed what the decision rested on since (then declined).
        let posted = self
            .ledger
            .post_decided(&Posting { record, change }, conflict_decline(t))?;
        let approved = match posted {
            Posted::AsDecided => approved,
            Posted::Duplicate => {
                return io.answer(
                    head,
                    ReplyParts {
                        mac: Some(mak),
                        ..simple(ResponseCode::Duplicate, io.now)
                    },
                );
            }
            Posted::Declined => {
                d.code = conflict_decline(t);
                false
            }
        };
        if approved && d.rotated {
            // The merchant number pool moved on; persist where it stands.
            self.update_session(&head.terminal_id, session)?;
        }
        let issuer_auth = d.arqc.as_ref().map(|a| a.arpc(d.code));
        let balance = match (t, approved) {
            (Transaction::Balance, true) => d.balance,
            _ => None,
        };
        io.answer(
            head,
            ReplyParts {
                code: Some(d.code),
                time: io.now,
                rrn: Some(rrn),
                auth_code: approved.then_some(auth),
                merchant_no: Some(&d.merchant.merchant_no),
                balance,
                issuer_auth,
                mac: Some(mak),
                ..ReplyParts::at(io.now)
            },
        )
    }

    /// Decides a financial request (nothing is written yet).
    fn decide(
        &mut self,
        head: &Head,
        t: Transaction,
        session: &mut Session,
        io: &Io<'_, '_, '_, '_>,
    ) -> Result<Decision> {
        let entry = self.bound(head).cloned();
        let bound_no = entry
            .as_ref()
            .and_then(|e| e.merchant_no.clone())
            .unwrap_or_default();
        let merchant = self
            .registry
            .merchant(&bound_no)
            .cloned()
            .unwrap_or(Merchant {
                merchant_no: bound_no,
                name: String::new(),
                mcc: String::new(),
                fee_rate: FeeRate::default(),
            });
        let mut d = Decision {
            code: ResponseCode::Approved,
            merchant: merchant.clone(),
            account: String::new(),
            delta: 0,
            fee: 0,
            change: None,
            original: None,
            balance: None,
            arqc: None,
            rotated: false,
        };
        // Tracks enciphered under the session's TDK when the profile says so (53.3 `1`,
        // checked with the other fields before this); a session without a TDK cannot read them.
        let encrypts_tracks = entry.as_ref().is_some_and(|e| e.profile.encrypts_tracks());
        let data = match session.keys.keys().track_key() {
            _ if !encrypts_tracks => card::card_data(io.msg, None),
            Some(tdk) => card::card_data(io.msg, Some(tdk)),
            None => Err(ResponseCode::SystemError),
        };
        let data = match data {
            Ok(data) => data,
            Err(code) => return Ok(d.decline(code)),
        };
        d.account = data.pan.clone();
        let card = match card::check_card(&self.registry, io.msg, &data, io.now) {
            Ok(c) => c.clone(),
            Err(code) => return Ok(d.decline(code)),
        };
        let ciphers = self.issuer_ciphers();
        let issuer = &self.registry.issuer;
        if let Err(code) = card::check_pin(issuer, &ciphers.pvk, &session.keys, &card, io.msg) {
            return Ok(d.decline(code));
        }
        let today = (io.now, self.chip_date_days);
        match card::check_arqc(issuer, &ciphers.imk_ac, &card, io.msg, today) {
            Ok(a) => d.arqc = a,
            Err(code) => return Ok(d.decline(code)),
        }
        // A shared ledger checks a purchase's or pre-authorisation's debit against the
        // balance when it posts it (it must: another node may spend it meanwhile), and
        // declines it `51` there: no read first.
        let read_balance =
            !(self.ledger.shared() && matches!(t, Transaction::Purchase | Transaction::PreAuth));
        let balance = if read_balance {
            // Every cardholder's account is opened with the host: a missing one is a ledger
            // fault.
            Some(self.ledger.balance(&card.pan)?.ok_or_else(|| {
                Error::new(ErrorKind::Ledger)
                    .during("reading a cardholder's account")
                    .about(head.terminal_id.clone())
            })?)
        } else {
            None
        };
        if t == Transaction::Balance {
            d.balance = balance;
            return Ok(d);
        }
        let amount = match head.amount {
            Some(a) if a > 0 => a,
            _ => return Ok(d.decline(ResponseCode::InvalidAmount)),
        };
        let signed = to_i64(amount)?;
        let original = if t.originals().is_empty() {
            None
        } else {
            match self.original(head, t, &card.pan, io)? {
                Ok(o) => Some(o),
                Err(code) => return Ok(d.decline(code)),
            }
        };
        let debit = |d: &mut Decision, delta: i64| {
            if balance.is_some_and(|b| b.saturating_add(delta) < 0) {
                d.code = ResponseCode::InsufficientFunds;
            }
            d.delta = delta;
        };
        let rotate = |d: &mut Decision,
                      session: &mut Session,
                      ledger: &mut L,
                      registry: &Registry|
         -> Result<()> {
            let Some(e) = entry.as_ref().filter(|e| !e.pool.is_empty()) else {
                return Ok(());
            };
            // A shared ledger takes the position itself (two nodes never take the same one)
            // and keeps the count; else the host counts and stores the session.
            let (next, taken) = match ledger.take_pool_position(&head.terminal_id)? {
                Some(next) => (next, true),
                None => (session.pool_next, false),
            };
            // The pool is not empty (checked above): the remainder is a position in it.
            let at = next as usize % e.pool.len();
            if let Some(m) = e.pool.get(at).and_then(|no| registry.merchant(no)) {
                d.merchant = Merchant {
                    fee_rate: merchant.fee_rate,
                    ..m.clone()
                };
                session.pool_next = next.wrapping_add(1);
                d.rotated = !taken;
            }
            Ok(())
        };
        match (t, original) {
            (Transaction::Purchase, _) => {
                debit(&mut d, -signed);
                d.fee = to_i64(merchant.fee_rate.fee(amount))?;
                if d.code.is_approved() {
                    rotate(&mut d, session, &mut self.ledger, &self.registry)?;
                }
            }
            (Transaction::PreAuth, _) => {
                debit(&mut d, -signed);
                if d.code.is_approved() {
                    rotate(&mut d, session, &mut self.ledger, &self.registry)?;
                }
            }
            (Transaction::PreAuthCompletion, Some(o)) => {
                if amount > o.amount {
                    return Ok(d.decline(ResponseCode::InvalidAmount));
                }
                let held = to_i64(o.amount)?;
                debit(&mut d, held - signed);
                d.fee = to_i64(merchant.fee_rate.fee(amount))?;
                d.change = Some(OriginalChange::Complete);
                d.merchant = o.merchant();
                d.original = Some(o.key);
            }
            (Transaction::PurchaseVoid | Transaction::PreAuthCompletionVoid, Some(o)) => {
                if amount != o.amount {
                    return Ok(d.decline(ResponseCode::InvalidAmount));
                }
                d.delta = signed;
                d.fee = -o.fee;
                d.change = Some(OriginalChange::Void);
                d.merchant = o.merchant();
                d.original = Some(o.key);
            }
            (Transaction::PreAuthVoid, Some(o)) => {
                if amount != o.amount {
                    return Ok(d.decline(ResponseCode::InvalidAmount));
                }
                d.delta = signed;
                d.change = Some(OriginalChange::Void);
                d.merchant = o.merchant();
                d.original = Some(o.key);
            }
            (Transaction::Refund, Some(o)) => {
                if amount > o.amount.saturating_sub(o.state.refunded) {
                    return Ok(d.decline(ResponseCode::InvalidAmount));
                }
                d.delta = signed;
                d.change = Some(OriginalChange::Refund(amount));
                d.merchant = o.merchant();
                d.original = Some(o.key);
            }
            _ => return Ok(d.decline(ResponseCode::InvalidTransaction)),
        }
        Ok(d)
    }

    /// Finds the original of a void, refund or completion: by field 61 (batch and STAN, on
    /// this terminal) for voids and completions, by field 37 (RRN) for a refund, whose field
    /// 61 must then agree. Whichever way it is found, the original must have been made by
    /// this terminal, under its merchant's number or one of its pool: an RRN is no secret
    /// (it is printed on every slip), so it never lets another merchant's terminal in.
    fn original(
        &mut self,
        head: &Head,
        t: Transaction,
        pan: &str,
        io: &Io<'_, '_, '_, '_>,
    ) -> Result<Result<TxRecord, ResponseCode>> {
        let f61 = io.msg.get(61);
        let num = |from: usize, n: usize| {
            f61.and_then(|c| c.slice(from, n))
                .and_then(|c| c.to_u64())
                .and_then(|v| u32::try_from(v).ok())
        };
        let (Some(batch), Some(stan)) = (num(0, 6), num(6, 6)) else {
            return Ok(Err(ResponseCode::OriginalNotFound));
        };
        let rrn = text(io.msg, 37);
        let found = if t == Transaction::Refund {
            self.ledger
                .by_rrn(&rrn)?
                .filter(|o| o.key.batch == batch && o.key.stan == stan)
        } else {
            let key = TxKey {
                terminal_id: head.terminal_id.clone(),
                batch,
                stan,
            };
            self.ledger
                .transaction(&key)?
                .filter(|o| rrn.is_empty() || o.rrn == rrn)
        };
        let wanted = t.originals();
        let ours = |o: &TxRecord| {
            o.key.terminal_id == head.terminal_id
                && self.bound(head).is_some_and(|e| {
                    e.merchant_no.as_deref() == Some(o.merchant_no.as_str())
                        || e.pool.contains(&o.merchant_no)
                })
        };
        let Some(o) = found.filter(|o| {
            o.is_live() && wanted.contains(&o.transaction) && o.account == pan && ours(o)
        }) else {
            return Ok(Err(ResponseCode::OriginalNotFound));
        };
        if o.state.voided || o.state.completed || (t != Transaction::Refund && o.state.refunded > 0)
        {
            return Ok(Err(ResponseCode::InvalidTransaction));
        }
        Ok(Ok(o))
    }
}

impl TxRecord {
    fn merchant(&self) -> Merchant {
        Merchant {
            merchant_no: self.merchant_no.clone(),
            name: self.merchant_name.clone(),
            mcc: self.mcc.clone(),
            // The merchant's rate does not travel with a record: a later fee is the bound
            // merchant's.
            fee_rate: FeeRate::default(),
        }
    }
}

/// A financial request's outcome before it is recorded.
struct Decision {
    code: ResponseCode,
    merchant: Merchant,
    account: String,
    delta: i64,
    fee: i64,
    change: Option<OriginalChange>,
    original: Option<TxKey>,
    balance: Option<i64>,
    arqc: Option<card::Arqc>,
    rotated: bool,
}

impl Decision {
    fn decline(mut self, code: ResponseCode) -> Self {
        self.code = code;
        self
    }
}

/// An amount of fen as the ledger's signed figures: field 4 has 12 digits, so only a bug can
/// exceed `i64`, and that is an error, never a zero.
fn to_i64(fen: u64) -> Result<i64> {
    i64::try_from(fen).map_err(|_| Error::new(ErrorKind::Ledger).during("signing an amount"))
}

/// Digits the host wrote, as text.
fn ascii(digits: &[u8]) -> Result<&str> {
    core::str::from_utf8(digits)
        .map_err(|_| Error::new(ErrorKind::Ledger).during("writing a reference number"))
}

/// The decline of a request whose posting found, at commit, that another node changed what
/// its decision rested on: the code the decision would give now.
fn conflict_decline(t: Transaction) -> ResponseCode {
    match t {
        // The balance was spent meanwhile.
        Transaction::Purchase | Transaction::PreAuth => ResponseCode::InsufficientFunds,
        // Refunded meanwhile beyond what is left of the sale.
        Transaction::Refund => ResponseCode::InvalidAmount,
        // Voided, completed or reversed meanwhile.
        _ => ResponseCode::InvalidTransaction,
    }
}
