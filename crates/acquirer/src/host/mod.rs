//! The acquirer host: answers CUPS POS request frames, keeps its ledger.
//!
//! [`Host::handle`] takes one request frame (2-byte length, TPDU, 6-byte header, message) and
//! writes the reply frame into the caller's buffer. It needs `alloc` (the registry and the
//! session cache); the clock and the random source are the caller's, so the same core runs
//! in a server, a test or a fuzzer.
//!
//! What the host checks, in order, and the response code it declines with:
//!
//! | check | code |
//! |---|---|
//! | terminal registered, activated and bound; field 42 is its merchant; at sign-in, the serial number in field 62 (if sent) is the bound device's | `03` |
//! | terminal signed in, field 64 verifies under its MAK | `A0` (reply not MAC'd) |
//! | same terminal, batch and STAN already answered | `94` |
//! | card number known (field 2 / track 2), track 2 and expiry agree with the card file | `14` |
//! | card not expired | `54` |
//! | PIN (field 52, format 0 under the PIK) matches the PVV | `55` |
//! | ARQC (field 55) verifies under the card's session key | `A7` |
//! | amount present and not zero | `13` |
//! | original of a void, refund or completion found, live and matching | `25` |
//! | original not already voided / completed; refund within the amount left | `12` / `13` |
//! | a reversal of a transaction voided, refunded or completed since | `12` |
//! | enough balance or credit | `51` |
//!
//! Replies to requests the host could verify carry a MAC; an `A0` (and a `03`, and any reply
//! to a terminal without working keys) goes back without field 64, as CUPS hosts answer: the
//! terminal cannot trust a MAC made with keys it has just proved not to share.
//!
//! Money: a purchase debits the card account, a pre-authorisation holds the amount, its
//! completion releases the hold and debits the completed amount, voids and refunds credit.
//! The merchant's fee on a purchase or completion is `amount × fee_bps / 10 000` rounded half
//! up to the fen; a void returns the original's fee; a refund returns none (the acquirer keeps
//! the fee of a refunded sale).
//!
//! Every answered financial request is recorded (declines too, so that a repeat is a
//! duplicate) with [`Ledger::post`] before the reply is written; a reversal is applied with
//! [`Ledger::reverse`] before its reply. A ledger failure is an `Err`: no reply, and the
//! terminal's timeout and reversal take over.

use alloc::collections::BTreeMap;
use alloc::string::String;
use core::fmt;

use cardwire_crypto::TdesKey;
use cardwire_crypto::cups::{Field62, WorkingKeys, encrypt_field62, verify_field64};
use cardwire_iso8583::cups::{SettlementTotals, Totals, Transaction};
use cardwire_iso8583::frame::{FrameFormat, Progress};
use cardwire_iso8583::{Message, specs};
use rand_core::TryCryptoRng;
use zeroize::Zeroizing;

use crate::error::{Error, ErrorKind, Result};
use crate::ledger::{
    Ledger, LocalTime, OriginalChange, Posting, Reversed, SettlementRecord, TerminalSession, TxKey,
    TxRecord, TxState,
};
use crate::response::ResponseCode;

mod card;
pub mod registry;
mod reply;

pub use registry::{Cardholder, IssuerKeys, Merchant, Registry, TerminalEntry};

/// The operating system's random source, for [`Host::handle`] under `std`.
#[cfg(feature = "std")]
pub use getrandom::SysRng as OsRng;
use reply::{ReplyParts, write_reply};

/// A terminal's working keys and batch, as the host holds them between requests.
#[derive(Clone)]
struct Session {
    keys: WorkingKeys,
    batch: u32,
    pool_next: u32,
}

/// What the host did with one request: for logs (no card data in it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    /// Bytes of the reply frame written.
    pub len: usize,
    /// The request MTI.
    pub mti: u16,
    /// The transaction, when the request was recognised.
    pub transaction: Option<Transaction>,
    /// Field 41 of the request.
    pub terminal_id: String,
    /// Field 11 of the request.
    pub stan: u32,
    /// Field 4 of the request, fen.
    pub amount: Option<u64>,
    /// The response code given (`None` for a reply without field 39).
    pub response: Option<ResponseCode>,
    /// What a reversal did.
    pub reversed: Option<Reversed>,
    /// The merchant number the reply carries in field 42.
    pub merchant_no: String,
}

impl fmt::Display for Answer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04} ", self.mti)?;
        match self.transaction {
            Some(t) => write!(f, "{t}")?,
            None => f.write_str("unknown")?,
        }
        write!(f, " terminal {} stan {:06}", self.terminal_id, self.stan)?;
        if let Some(a) = self.amount {
            write!(f, " amount {}.{:02}", a / 100, a % 100)?;
        }
        match self.response {
            Some(r) => write!(f, " -> {r}")?,
            None => f.write_str(" -> no code")?,
        }
        if let Some(r) = self.reversed {
            write!(f, " ({r:?})")?;
        }
        if !self.merchant_no.is_empty() {
            write!(f, " merchant {}", self.merchant_no)?;
        }
        Ok(())
    }
}

/// The acquirer host over a [`Ledger`].
pub struct Host<L: Ledger> {
    registry: Registry,
    ledger: L,
    sessions: BTreeMap<String, Session>,
    seq: u64,
}

impl<L: Ledger> fmt::Debug for Host<L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Host")
            .field("terminals", &self.registry.terminals.len())
            .field("seq", &self.seq)
            .finish_non_exhaustive()
    }
}

/// The request fields every handler needs.
struct Head {
    mti: u16,
    transaction: Option<Transaction>,
    terminal_id: String,
    merchant_no: String,
    stan: u32,
    batch: u32,
    amount: Option<u64>,
}

fn text(msg: &Message<'_, '_>, n: usize) -> String {
    msg.get(n).map(|c| c.chars().collect()).unwrap_or_default()
}

fn digits<const N: usize>(mut v: u64) -> [u8; N] {
    let mut out = [b'0'; N];
    for d in out.iter_mut().rev() {
        *d = b'0' + u8::try_from(v % 10).unwrap_or(0);
        v /= 10;
    }
    out
}

/// The fee on `amount` at `bps` basis points, rounded half up to the fen.
pub fn fee(amount: u64, bps: u32) -> u64 {
    let product = u128::from(amount) * u128::from(bps);
    u64::try_from((product + 5_000) / 10_000).unwrap_or(u64::MAX)
}

impl<L: Ledger> Host<L> {
    /// A host with this registry and ledger. Opens each cardholder's account (at its opening
    /// balance) unless the ledger has it already.
    ///
    /// # Errors
    /// [`ErrorKind::Ledger`].
    pub fn new(registry: Registry, mut ledger: L) -> Result<Self> {
        for c in &registry.cardholders {
            ledger.open_account(&c.pan, c.balance)?;
        }
        let seq = ledger.last_seq()?;
        Ok(Self {
            registry,
            ledger,
            sessions: BTreeMap::new(),
            seq,
        })
    }

    /// The registry.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The registry, to activate and bind terminals or add cardholders while serving.
    pub fn registry_mut(&mut self) -> &mut Registry {
        &mut self.registry
    }

    /// The ledger.
    pub fn ledger(&mut self) -> &mut L {
        &mut self.ledger
    }

    /// Forgets the cached terminal sessions (they are read again from the ledger): after a
    /// group commit failed, the cache may hold keys the ledger does not.
    pub fn forget_sessions(&mut self) {
        self.sessions.clear();
    }

    /// The ledger, giving up the host.
    pub fn into_ledger(self) -> L {
        self.ledger
    }

    /// Answers one request frame. `now` is the host's local time, `rng` draws fresh working
    /// keys at sign-in and authorisation codes. Returns what was done; the reply frame is in
    /// `out[..answer.len]`.
    ///
    /// # Errors
    /// A frame that is not one CUPS frame, or a message too broken to answer (no MTI of a
    /// request, or no terminal id): the caller closes the connection. [`ErrorKind::Ledger`]
    /// when the ledger fails (nothing is answered), [`ErrorKind::BufferTooSmall`] for an
    /// `out` too small for the reply (512 bytes always suffice), [`ErrorKind::Crypto`] when
    /// `rng` fails.
    pub fn handle<R: TryCryptoRng + ?Sized>(
        &mut self,
        frame: &[u8],
        now: LocalTime,
        rng: &mut R,
        out: &mut [u8],
    ) -> Result<Answer> {
        let Progress::Complete(f) = FrameFormat::CUPS.read(frame)? else {
            return Err(Error::new(ErrorKind::Message(
                cardwire_iso8583::ErrorKind::InvalidFrameLength,
            )));
        };
        if f.len != frame.len() {
            return Err(Error::new(ErrorKind::Message(
                cardwire_iso8583::ErrorKind::InvalidFrameLength,
            )));
        }
        let (msg, malformed) = match Message::decode(&specs::CUPS, f.message) {
            Ok(m) => (m, false),
            Err(e) => {
                let partial = Message::decode_partial(&specs::CUPS, f.message);
                if partial.message.field(41).is_none() {
                    return Err(e.into());
                }
                (partial.message, true)
            }
        };
        let mti = msg.mti().to_u16();
        if !matches!(mti, 100 | 200 | 220 | 320 | 400 | 500 | 620 | 800 | 820) {
            return Err(Error::new(ErrorKind::UnexpectedReply));
        }
        let head = Head {
            mti,
            transaction: Transaction::of(&msg),
            terminal_id: text(&msg, 41),
            merchant_no: text(&msg, 42),
            stan: msg
                .get(11)
                .and_then(|c| c.to_u64())
                .and_then(|v| u32::try_from(v).ok())
                .unwrap_or(0),
            batch: msg
                .field(60)
                .and_then(|f| f.subfield(2))
                .and_then(|c| c.to_u64())
                .and_then(|v| u32::try_from(v).ok())
                .unwrap_or(0),
            amount: msg.get(4).and_then(|c| c.to_u64()),
        };
        let mut io = Io {
            msg: &msg,
            tpdu: f.tpdu,
            header: f.header,
            now,
            out,
        };
        if malformed {
            return io.answer(&head, simple(ResponseCode::FormatError, now));
        }
        match (mti, head.transaction) {
            (800, Some(Transaction::SignIn)) => self.sign_in(&head, &mut io, rng),
            (820, Some(_)) => {
                let code = match self.bound(&head) {
                    Ok(_) => ResponseCode::Approved,
                    Err(c) => c,
                };
                io.answer(&head, simple(code, now))
            }
            (400, Some(t)) if t.needs_reversal() => self.reversal(&head, &mut io),
            (500, Some(Transaction::Settlement)) => self.settlement(&head, &mut io),
            (320 | 620, Some(_)) => self.acknowledge(&head, &mut io),
            (100 | 200 | 220, Some(t)) if crate::ledger::FINANCIAL.contains(&t) => {
                self.financial(&head, t, &mut io, rng)
            }
            _ => io.answer(&head, simple(ResponseCode::InvalidTransaction, now)),
        }
    }

    /// The terminal's registry entry, if it is bound to the merchant of field 42.
    fn bound(&self, head: &Head) -> Result<&TerminalEntry, ResponseCode> {
        let entry = self
            .registry
            .terminal(&head.terminal_id)
            .ok_or(ResponseCode::InvalidMerchant)?;
        if entry.is_bound() && entry.merchant_no.as_deref() == Some(head.merchant_no.as_str()) {
            Ok(entry)
        } else {
            Err(ResponseCode::InvalidMerchant)
        }
    }

    /// The terminal's session: from the cache, else from the ledger (keys decrypted under
    /// the TMK).
    fn session(&mut self, terminal_id: &str, tmk: &TdesKey) -> Result<Option<Session>> {
        if let Some(s) = self.sessions.get(terminal_id) {
            return Ok(Some(s.clone()));
        }
        let Some(stored) = self.ledger.session(terminal_id)? else {
            return Ok(None);
        };
        let Ok(keys) = Field62::parse(&stored.field62).and_then(|f| f.decrypt(tmk)) else {
            return Ok(None);
        };
        let s = Session {
            keys,
            batch: stored.batch,
            pool_next: stored.pool_next,
        };
        self.sessions.insert(terminal_id.into(), s.clone());
        Ok(Some(s))
    }

    fn save_session(&mut self, terminal_id: &str, field62: &[u8], s: Session) -> Result<()> {
        self.ledger.save_session(
            terminal_id,
            &TerminalSession {
                field62: field62.into(),
                batch: s.batch,
                pool_next: s.pool_next,
            },
        )?;
        self.sessions.insert(terminal_id.into(), s);
        Ok(())
    }

    /// Checks binding, session and MAC; `Err` carries the refusal to send.
    fn verified(
        &mut self,
        head: &Head,
        msg: &Message<'_, '_>,
    ) -> Result<Result<Session, ResponseCode>> {
        let tmk = match self.bound(head) {
            Ok(entry) => entry.tmk.clone(),
            Err(code) => return Ok(Err(code)),
        };
        let Some(session) = self.session(&head.terminal_id, &tmk)? else {
            return Ok(Err(ResponseCode::MacFailed));
        };
        let ok = match (msg.mab(), msg.mac()) {
            (Some(mab), Some(mac)) => verify_field64(&session.keys.mac, mab, mac.value()).is_ok(),
            _ => false,
        };
        Ok(if ok {
            Ok(session)
        } else {
            Err(ResponseCode::MacFailed)
        })
    }

    fn next_seq(&mut self) -> (u64, [u8; 12]) {
        self.seq += 1;
        (self.seq, digits::<12>(self.seq))
    }

    fn sign_in<R: TryCryptoRng + ?Sized>(
        &mut self,
        head: &Head,
        io: &mut Io<'_, '_, '_, '_>,
        rng: &mut R,
    ) -> Result<Answer> {
        let tmk = match self.bound(head) {
            // A sign-in that names the device (field 62, its serial number) must come from
            // the device the terminal id was bound to.
            Ok(entry)
                if io
                    .msg
                    .field(62)
                    .and_then(|f| f.bytes())
                    .is_none_or(|serial| serial == entry.serial.as_bytes()) =>
            {
                entry.tmk.clone()
            }
            Ok(_) => return io.answer(head, simple(ResponseCode::InvalidMerchant, io.now)),
            Err(code) => return io.answer(head, simple(code, io.now)),
        };
        let mut fresh = || -> Result<TdesKey> {
            let mut bytes = Zeroizing::new([0u8; 16]);
            rng.try_fill_bytes(bytes.as_mut_slice())
                .map_err(|_| Error::new(ErrorKind::Crypto(cardwire_crypto::ErrorKind::Random)))?;
            Ok(TdesKey::new(bytes.as_slice())?.with_odd_parity())
        };
        let (pik, mak, tdk) = (fresh()?, fresh()?, fresh()?);
        let mut field62 = [0u8; 60];
        let n = encrypt_field62(&tmk, &pik, &mak, Some(&tdk), &mut field62)?;
        let field62 = field62.get(..n).unwrap_or_default();
        let (batch, pool_next) = match self.ledger.session(&head.terminal_id)? {
            Some(s) => (s.batch.max(1), s.pool_next),
            None => (1, 0),
        };
        let session = Session {
            keys: WorkingKeys {
                pin: pik,
                mac: mak,
                track: Some(tdk),
            },
            batch,
            pool_next,
        };
        self.save_session(&head.terminal_id, field62, session)?;
        let mut f60 = [0u8; 11];
        let (code, rest) = f60.split_at_mut(2);
        code.copy_from_slice(b"00");
        let (b, net) = rest.split_at_mut(6);
        b.copy_from_slice(&digits::<6>(u64::from(batch)));
        net.copy_from_slice(b"003");
        io.answer(
            head,
            ReplyParts {
                code: Some(ResponseCode::Approved),
                time: io.now,
                field60: Some(&f60),
                field62: Some(field62),
                ..ReplyParts::default()
            },
        )
    }

    fn acknowledge(&mut self, head: &Head, io: &mut Io<'_, '_, '_, '_>) -> Result<Answer> {
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

    fn reversal(&mut self, head: &Head, io: &mut Io<'_, '_, '_, '_>) -> Result<Answer> {
        let session = match self.verified(head, io.msg)? {
            Ok(s) => s,
            Err(code) => return io.answer(head, simple(code, io.now)),
        };
        let key = TxKey {
            terminal_id: head.terminal_id.clone(),
            batch: head.batch,
            stan: head.stan,
        };
        let transaction = head.transaction.unwrap_or(Transaction::Purchase);
        let (seq, _) = self.next_seq();
        let mark = TxRecord::mark(key.clone(), transaction, seq, io.now);
        let outcome = self.ledger.reverse(&key, &mark)?;
        let code = match outcome {
            Reversed::Refused => ResponseCode::InvalidTransaction,
            _ => ResponseCode::Approved,
        };
        let mut answer = io.answer(
            head,
            ReplyParts {
                mac: Some(&session.keys.mac),
                ..simple(code, io.now)
            },
        )?;
        answer.reversed = Some(outcome);
        Ok(answer)
    }

    fn settlement(&mut self, head: &Head, io: &mut Io<'_, '_, '_, '_>) -> Result<Answer> {
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
        let same = |a: &Totals, b: &Totals| {
            (
                a.debit_amount,
                a.debit_count,
                a.credit_amount,
                a.credit_count,
            ) == (
                b.debit_amount,
                b.debit_count,
                b.credit_amount,
                b.credit_count,
            )
        };
        let domestic = same(&requested.domestic, &host.domestic);
        let foreign = same(&requested.foreign, &host.foreign);
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
            let stored = self
                .ledger
                .session(&head.terminal_id)?
                .map(|s| s.field62)
                .unwrap_or_default();
            self.save_session(&head.terminal_id, &stored, session.clone())?;
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

    fn financial<R: TryCryptoRng + ?Sized>(
        &mut self,
        head: &Head,
        t: Transaction,
        io: &mut Io<'_, '_, '_, '_>,
        rng: &mut R,
    ) -> Result<Answer> {
        let mut session = match self.verified(head, io.msg)? {
            Ok(s) => s,
            Err(code) => return io.answer(head, simple(code, io.now)),
        };
        let mak = session.keys.mac.clone();
        let key = TxKey {
            terminal_id: head.terminal_id.clone(),
            batch: head.batch,
            stan: head.stan,
        };
        if self.ledger.transaction(&key)?.is_some() {
            return io.answer(
                head,
                ReplyParts {
                    mac: Some(&mak),
                    ..simple(ResponseCode::Duplicate, io.now)
                },
            );
        }
        let d = self.decide(head, t, &mut session, io)?;
        let (seq, rrn) = self.next_seq();
        let rrn = core::str::from_utf8(&rrn).unwrap_or_default();
        let approved = d.code.is_approved();
        let auth = if approved {
            let mut b = [0u8; 4];
            rng.try_fill_bytes(&mut b)
                .map_err(|_| Error::new(ErrorKind::Crypto(cardwire_crypto::ErrorKind::Random)))?;
            digits::<6>(u64::from(u32::from_be_bytes(b)))
        } else {
            [0; 6]
        };
        let auth = core::str::from_utf8(&auth).unwrap_or_default();
        let record = TxRecord {
            key,
            seq,
            transaction: t,
            response: Some(d.code),
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
        self.ledger.post(&Posting { record, change })?;
        if approved && d.rotated {
            // The merchant number pool moved on; persist where it stands.
            let stored = self
                .ledger
                .session(&head.terminal_id)?
                .map(|s| s.field62)
                .unwrap_or_default();
            self.save_session(&head.terminal_id, &stored, session)?;
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
                mac: Some(&mak),
                ..ReplyParts::default()
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
        let entry = self.bound(head).ok().cloned();
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
                fee_bps: 0,
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
        let data = match card::card_data(io.msg) {
            Ok(data) => data,
            Err(code) => return Ok(d.decline(code)),
        };
        d.account = data.pan.clone();
        let card = match card::check_card(&self.registry, io.msg, &data, io.now) {
            Ok(c) => c.clone(),
            Err(code) => return Ok(d.decline(code)),
        };
        let issuer = &self.registry.issuer;
        if let Err(code) = card::check_pin(issuer, &session.keys.pin, &card, io.msg) {
            return Ok(d.decline(code));
        }
        match card::check_arqc(issuer, &card, io.msg) {
            Ok(a) => d.arqc = a,
            Err(code) => return Ok(d.decline(code)),
        }
        let balance = self
            .ledger
            .balance(&card.pan)?
            .ok_or(Error::new(ErrorKind::Ledger))?;
        if t == Transaction::Balance {
            d.balance = Some(balance);
            return Ok(d);
        }
        let amount = match head.amount {
            Some(a) if a > 0 => a,
            _ => return Ok(d.decline(ResponseCode::InvalidAmount)),
        };
        let signed = i64::try_from(amount).map_err(|_| Error::new(ErrorKind::Ledger))?;
        let original = match t {
            Transaction::PurchaseVoid
            | Transaction::PreAuthVoid
            | Transaction::PreAuthCompletion
            | Transaction::PreAuthCompletionVoid
            | Transaction::Refund => match self.original(head, t, &card.pan, io)? {
                Ok(o) => Some(o),
                Err(code) => return Ok(d.decline(code)),
            },
            _ => None,
        };
        let debit = |d: &mut Decision, delta: i64| {
            if balance.saturating_add(delta) < 0 {
                d.code = ResponseCode::InsufficientFunds;
            }
            d.delta = delta;
        };
        let rotate = |d: &mut Decision, session: &mut Session, registry: &Registry| {
            let Some(e) = entry.as_ref().filter(|e| !e.pool.is_empty()) else {
                return;
            };
            let len = u32::try_from(e.pool.len()).unwrap_or(1);
            let at = usize::try_from(session.pool_next % len).unwrap_or(0);
            if let Some(m) = e.pool.get(at).and_then(|no| registry.merchant(no)) {
                d.merchant = Merchant {
                    fee_bps: merchant.fee_bps,
                    ..m.clone()
                };
                session.pool_next = session.pool_next.wrapping_add(1);
                d.rotated = true;
            }
        };
        match (t, original) {
            (Transaction::Purchase, _) => {
                debit(&mut d, -signed);
                d.fee = i64::try_from(fee(amount, merchant.fee_bps)).unwrap_or(0);
                if d.code.is_approved() {
                    rotate(&mut d, session, &self.registry);
                }
            }
            (Transaction::PreAuth, _) => {
                debit(&mut d, -signed);
                if d.code.is_approved() {
                    rotate(&mut d, session, &self.registry);
                }
            }
            (Transaction::PreAuthCompletion, Some(o)) => {
                if amount > o.amount {
                    return Ok(d.decline(ResponseCode::InvalidAmount));
                }
                let held = i64::try_from(o.amount).unwrap_or(0);
                debit(&mut d, held - signed);
                d.fee = i64::try_from(fee(amount, merchant.fee_bps)).unwrap_or(0);
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
    /// 61 must then agree.
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
        let wanted: &[Transaction] = match t {
            Transaction::PurchaseVoid => &[Transaction::Purchase],
            Transaction::Refund => &[Transaction::Purchase, Transaction::PreAuthCompletion],
            Transaction::PreAuthCompletionVoid => &[Transaction::PreAuthCompletion],
            _ => &[Transaction::PreAuth],
        };
        let Some(o) =
            found.filter(|o| o.is_live() && wanted.contains(&o.transaction) && o.account == pan)
        else {
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
            fee_bps: 0,
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

/// A reply with just a response code (and the echoed fields).
fn simple<'a>(code: ResponseCode, time: LocalTime) -> ReplyParts<'a> {
    ReplyParts {
        code: Some(code),
        time,
        ..ReplyParts::default()
    }
}

/// The request being answered and where the reply goes.
struct Io<'m, 'a, 's, 'o> {
    msg: &'m Message<'a, 's>,
    tpdu: Option<cardwire_iso8583::frame::Tpdu>,
    header: &'a [u8],
    now: LocalTime,
    out: &'o mut [u8],
}

impl Io<'_, '_, '_, '_> {
    fn answer(&mut self, head: &Head, parts: ReplyParts<'_>) -> Result<Answer> {
        let len = write_reply(self.msg, self.tpdu, self.header, &parts, self.out)?;
        Ok(Answer {
            len,
            mti: head.mti,
            transaction: head.transaction,
            terminal_id: head.terminal_id.clone(),
            stan: head.stan,
            amount: head.amount,
            response: parts.code,
            reversed: None,
            merchant_no: parts
                .merchant_no
                .map_or_else(|| head.merchant_no.clone(), Into::into),
        })
    }
}

/// The host's totals of a terminal's batch: debits are live purchases and completions that
/// were not voided; credits are live refunds. Voids cancel their original and count nowhere.
/// Every card is domestic (UnionPay) here.
///
/// # Errors
/// [`ErrorKind::Ledger`].
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
        let d = &mut totals.domestic;
        match r.transaction {
            Transaction::Purchase | Transaction::PreAuthCompletion => {
                d.debit_amount = d.debit_amount.saturating_add(r.amount);
                d.debit_count = d.debit_count.saturating_add(1);
            }
            Transaction::Refund => {
                d.credit_amount = d.credit_amount.saturating_add(r.amount);
                d.credit_count = d.credit_count.saturating_add(1);
            }
            _ => {}
        }
    }
    Ok(totals)
}
