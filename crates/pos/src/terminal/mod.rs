//! The terminal: a state machine that writes framed requests into the caller's buffer and
//! reads the host's replies. It keeps the working keys from sign-in, the batch number and
//! STAN, the request in flight, a pending reversal, and the journal of its batch.
//!
//! One transaction at a time: a method that starts one (`sign_in`, `purchase`, …) writes the
//! frame and returns a [`Sent`]; the caller sends it and reports the reply with
//! [`Terminal::on_reply`] or its absence with [`Terminal::on_timeout`]. When a reversible
//! request got no valid reply, the next transaction's method writes the **reversal** (0400)
//! instead and says so in [`Sent::reversal`]: send it, report its reply, then call the method
//! again. The reversal is cleared only by its approved reply.
//!
//! No clock and no randomness: the caller passes the local [`DateTime`].

use core::fmt;

use cardwire_crypto::TdesKey;
use cardwire_crypto::cups::{Field62, WorkingKeys, field64, verify_field64};
use cardwire_crypto::dukpt::tdes as dukpt;
use cardwire_crypto::pin::{Pin, PinBlock, PinFormat};
use cardwire_iso8583::cups::{Original, Reply, Request, SettlementTotals, Transaction};
use cardwire_iso8583::frame::{FrameFormat, Progress};
use cardwire_iso8583::{Message, specs};

use crate::card::{CardData, Entry};
use crate::error::{Error, ErrorKind, Result};
use crate::response::ResponseCode;
use crate::text::{Bytes, Text, digits};

mod config;
pub mod journal;
pub mod quote;
mod time;

pub use config::Config;
pub use journal::{Journal, Record};
pub use quote::{Fen, Quote};
pub use time::DateTime;

/// Field 53 of a request with a PIN: ISO 9564 format 0 (with PAN), double-length TDES.
pub const SECURITY_CONTROL: &str = "2600000000000000";

/// Field 60.4 this terminal sends: it reads contact and contactless chips and stripes.
const READ_CAPABILITY: u8 = 6;

/// A request written into the caller's buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sent {
    /// Bytes of the frame (length header, TPDU, header, message).
    pub len: usize,
    /// The transaction of the request (of the original, for a reversal).
    pub transaction: Transaction,
    /// Whether this is the reversal of an earlier request, written in place of the
    /// transaction asked for: send it, report its reply, then ask again.
    pub reversal: bool,
    /// Its system trace audit number.
    pub stan: u32,
}

/// An approved transaction: its journal record and the host's field 55.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Approval {
    /// What the journal recorded (and receipts print).
    pub record: Record,
    /// Field 55 of the reply: issuer authentication data (`91`) and scripts (`71`, `72`).
    pub icc: Bytes<255>,
}

impl Approval {
    /// The issuer authentication data (tag `91`: ARPC ‖ ARC) for the card, if the host sent
    /// it.
    pub fn issuer_authentication(&self) -> Option<&[u8]> {
        cardwire_emv::tlv::Reader::lenient(self.icc.as_slice())
            .find(crate::card::tags::ISSUER_AUTH)
            .ok()
            .flatten()
            .map(|t| t.value())
    }
}

/// What a reply meant.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
#[allow(clippy::large_enum_variant)] // no allocator to box into: the approval travels by value
pub enum Outcome {
    /// Signed in: working keys installed, the host's batch number taken.
    SignedIn {
        /// The batch now open.
        batch: u32,
    },
    /// A financial transaction was approved and journaled.
    Approved(Approval),
    /// A balance inquiry was answered.
    Balance {
        /// The balance in fen (negative when the account is overdrawn), if the host gave it.
        balance: Option<i64>,
    },
    /// The host declined (or, for a reversal, did not confirm it: it stays pending).
    Declined {
        /// The transaction.
        transaction: Transaction,
        /// Whether the declined request was a reversal.
        reversal: bool,
        /// Its STAN.
        stan: u32,
        /// The host's answer.
        code: ResponseCode,
    },
    /// The pending reversal was confirmed: start the transaction again.
    Reversed {
        /// The reversed transaction.
        transaction: Transaction,
        /// Its STAN.
        stan: u32,
    },
    /// The host answered the settlement.
    Settled {
        /// Whether the host's totals agreed (the batch is then closed); otherwise upload the
        /// batch with [`Terminal::batch_upload`].
        balanced: bool,
        /// The totals the terminal sent.
        totals: SettlementTotals,
    },
    /// One transaction of the batch upload was accepted.
    Uploaded {
        /// Records still to upload (then the end-of-upload message).
        remaining: usize,
    },
    /// The batch upload ended and the batch is closed.
    BatchClosed {
        /// The batch now open.
        batch: u32,
    },
    /// Signed out: the working keys are dropped.
    SignedOut,
    /// No reply came (from [`Terminal::transact`]): a reversible request is now the pending
    /// reversal.
    NoReply {
        /// The transaction sent.
        transaction: Transaction,
        /// Whether it was the reversal of an earlier request.
        reversal: bool,
        /// Its STAN.
        stan: u32,
        /// Whether a reversal is pending now.
        reversal_pending: bool,
    },
    /// An echo test or an advice (script result) was acknowledged.
    Acknowledged,
}

/// The original of a void, refund or completion.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reference {
    /// Its batch number.
    pub batch: u32,
    /// Its STAN.
    pub stan: u32,
    /// Its date, MMDD.
    pub date: u16,
    /// Its retrieval reference number.
    pub rrn: Text<12>,
    /// Its authorisation code (pre-authorisations).
    pub auth_code: Text<6>,
}

impl Reference {
    /// The reference of a journal record.
    pub fn of(record: &Record) -> Self {
        Self {
            batch: record.batch,
            stan: record.stan,
            date: record.when.mmdd(),
            rrn: record.rrn,
            auth_code: record.auth_code,
        }
    }
}

/// A request being built or in flight, with what its reversal needs.
#[derive(Clone)]
struct Pending {
    transaction: Transaction,
    reversal: bool,
    stan: u32,
    batch: u32,
    amount: Option<u64>,
    card: Option<CardData>,
    pin_block: Option<[u8; 8]>,
    ksn: Option<[u8; 10]>,
    original: Option<Original>,
    original_stan: Option<u32>,
    rrn: Option<Text<12>>,
    auth_code: Option<Text<6>>,
    reason: [u8; 2],
    when: DateTime,
    totals: Option<SettlementTotals>,
    icc: Option<Bytes<255>>,
}

impl Pending {
    fn new(transaction: Transaction, when: DateTime) -> Self {
        Self {
            transaction,
            reversal: false,
            stan: 0,
            batch: 0,
            amount: None,
            card: None,
            pin_block: None,
            ksn: None,
            original: None,
            original_stan: None,
            rrn: None,
            auth_code: None,
            reason: *b"98",
            when,
            totals: None,
            icc: None,
        }
    }
}

/// Network management (0800/0820): sent without a MAC, and never held back by a pending
/// reversal.
const fn network_management(t: Transaction) -> bool {
    matches!(
        t,
        Transaction::SignIn | Transaction::SignOut | Transaction::EchoTest
    )
}

/// Whether a transaction's approval goes into the journal.
const fn journaled(t: Transaction) -> bool {
    matches!(
        t,
        Transaction::Purchase
            | Transaction::PurchaseVoid
            | Transaction::Refund
            | Transaction::PreAuth
            | Transaction::PreAuthVoid
            | Transaction::PreAuthCompletion
            | Transaction::PreAuthCompletionVoid
    )
}

/// A CUPS POS terminal with a journal of up to `J` transactions per batch.
pub struct Terminal<const J: usize = 128> {
    config: Config,
    tmk: TdesKey,
    keys: Option<WorkingKeys>,
    batch: u32,
    stan: u32,
    in_flight: Option<Pending>,
    reversal: Option<Pending>,
    journal: Journal<J>,
    upload: Option<usize>,
    dukpt: Option<dukpt::Terminal>,
}

impl<const J: usize> fmt::Debug for Terminal<J> {
    // Keys and card data stay out.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Terminal")
            .field("terminal_id", &self.config.terminal_id())
            .field("merchant_no", &self.config.merchant_no())
            .field("signed_in", &self.keys.is_some())
            .field("batch", &self.batch)
            .field("stan", &self.stan)
            .field(
                "waiting",
                &self.in_flight.as_ref().map(|p| (p.transaction, p.stan)),
            )
            .field("reversal_pending", &self.reversal.is_some())
            .field("journal", &self.journal.len())
            .finish_non_exhaustive()
    }
}

impl<const J: usize> Terminal<J> {
    /// A terminal with its configuration and its master key (TMK, loaded at activation).
    /// Batch 1, no transaction yet; sign in before anything else.
    pub fn new(config: Config, tmk: TdesKey) -> Self {
        Self {
            config,
            tmk,
            keys: None,
            batch: 1,
            stan: 0,
            in_flight: None,
            reversal: None,
            journal: Journal::new(),
            upload: None,
            dukpt: None,
        }
    }

    /// Continues from a saved STAN and batch (terminals keep them across power cycles).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] for numbers above 999 999 (or a batch of 0).
    pub fn resume(&mut self, batch: u32, last_stan: u32) -> Result<()> {
        if batch == 0 || batch > 999_999 || last_stan > 999_999 {
            return Err(ErrorKind::InvalidInput.into());
        }
        self.batch = batch;
        self.stan = last_stan;
        Ok(())
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Whether working keys are installed.
    pub fn is_signed_in(&self) -> bool {
        self.keys.is_some()
    }

    /// The open batch.
    pub fn batch(&self) -> u32 {
        self.batch
    }

    /// The last STAN used (0 before the first request).
    pub fn stan(&self) -> u32 {
        self.stan
    }

    /// The journal of the open batch.
    pub fn journal(&self) -> &Journal<J> {
        &self.journal
    }

    /// The transaction and STAN of the reversal waiting to be sent, if any.
    pub fn pending_reversal(&self) -> Option<(Transaction, u32)> {
        self.reversal.as_ref().map(|p| (p.transaction, p.stan))
    }

    /// The transaction and STAN of the request waiting for its reply, if any.
    pub fn waiting(&self) -> Option<(Transaction, u32)> {
        self.in_flight.as_ref().map(|p| (p.transaction, p.stan))
    }

    /// The amount, the merchant's fee and the total, to show before the cardholder confirms.
    pub fn quote(&self, amount: u64) -> Quote {
        Quote::new(amount, self.config.fee_bps())
    }

    /// The terminal's side of a chip, tap or QR transaction of `amount` fen: EMV transaction
    /// type `transaction_type` (`0x00` goods and services, `0x31` balance inquiry, `0x20`
    /// refund), the date `now`, the unpredictable number from the caller's random source,
    /// the next STAN as sequence counter, the last 8 characters of the serial (or the
    /// terminal ID) as interface device serial number, and the no-CVM limit.
    pub fn emv_params(
        &self,
        amount: u64,
        transaction_type: u8,
        now: DateTime,
        unpredictable: [u8; 4],
    ) -> crate::card::chip::Params {
        let source = if self.config.serial().len() >= 8 {
            self.config.serial()
        } else {
            self.config.terminal_id()
        };
        let tail = source.as_bytes();
        let mut ifd_serial = [b'0'; 8];
        for (d, s) in ifd_serial.iter_mut().rev().zip(tail.iter().rev()) {
            *d = *s;
        }
        crate::card::chip::Params {
            amount,
            amount_other: 0,
            transaction_type,
            when: now,
            unpredictable,
            sequence: self.next_stan(),
            ifd_serial,
            no_cvm_limit: self.config.floor_limit(),
        }
    }

    /// Enciphers PIN blocks under DUKPT (ANSI X9.24-1 TDES) from this register instead of
    /// the PIK of sign-in: each PIN block uses the PIN variant of the next transaction key,
    /// and the 10-byte KSN travels in field 62 of that request for the host to derive the
    /// same key from its BDK. Sign-in still provides the MAK.
    pub fn use_dukpt(&mut self, register: dukpt::Terminal) {
        self.dukpt = Some(register);
    }

    /// Drops the pending reversal without sending it (an operator's decision after the host
    /// confirmed out of band that the original never arrived).
    pub fn discard_reversal(&mut self) {
        self.reversal = None;
    }

    /// The STAN after `self.stan`: 1 to 999 999, then 1 again.
    fn next_stan(&self) -> u32 {
        if self.stan >= 999_999 {
            1
        } else {
            self.stan + 1
        }
    }

    // ----- starting transactions -----

    /// Sign-in (0800): asks for new working keys. Allowed with a reversal pending (the
    /// reversal follows, under the new keys).
    ///
    /// # Errors
    /// [`ErrorKind::Busy`], or an encoding error.
    pub fn sign_in(&mut self, now: DateTime, out: &mut [u8]) -> Result<Sent> {
        self.start(Pending::new(Transaction::SignIn, now), out)
    }

    /// Sign-out (0820, 60.3 `002`): the working keys are dropped when the host confirms.
    ///
    /// # Errors
    /// [`ErrorKind::Busy`], or an encoding error.
    pub fn sign_out(&mut self, now: DateTime, out: &mut [u8]) -> Result<Sent> {
        self.start(Pending::new(Transaction::SignOut, now), out)
    }

    /// Echo test (0820, 60.3 `301`): is the host there?
    ///
    /// # Errors
    /// [`ErrorKind::Busy`], or an encoding error.
    pub fn echo_test(&mut self, now: DateTime, out: &mut [u8]) -> Result<Sent> {
        self.start(Pending::new(Transaction::EchoTest, now), out)
    }

    /// Balance inquiry (0200, 310000). The PIN is required.
    ///
    /// # Errors
    /// As [`Terminal::purchase`].
    pub fn balance(
        &mut self,
        card: &CardData,
        pin: Option<&Pin>,
        now: DateTime,
        out: &mut [u8],
    ) -> Result<Sent> {
        if pin.is_none() {
            return Err(ErrorKind::PinRequired.into());
        }
        let p = self.card_request(Transaction::Balance, card, None, pin, now)?;
        self.start(p, out)
    }

    /// Purchase (0200, 000000) of `amount` fen.
    ///
    /// # Errors
    /// [`ErrorKind::NotSignedIn`], [`ErrorKind::Busy`], [`ErrorKind::PinRequired`] when the
    /// card needs a PIN and none is given, [`ErrorKind::InvalidInput`] for a zero amount,
    /// [`ErrorKind::Full`] when the journal is full (settle first), or an encoding error.
    pub fn purchase(
        &mut self,
        card: &CardData,
        amount: u64,
        pin: Option<&Pin>,
        now: DateTime,
        out: &mut [u8],
    ) -> Result<Sent> {
        let p = self.card_request(Transaction::Purchase, card, Some(amount), pin, now)?;
        self.start(p, out)
    }

    /// Pre-authorisation (0100, 030000) of `amount` fen.
    ///
    /// # Errors
    /// As [`Terminal::purchase`].
    pub fn pre_auth(
        &mut self,
        card: &CardData,
        amount: u64,
        pin: Option<&Pin>,
        now: DateTime,
        out: &mut [u8],
    ) -> Result<Sent> {
        let p = self.card_request(Transaction::PreAuth, card, Some(amount), pin, now)?;
        self.start(p, out)
    }

    /// Void (0200, 200000) of the purchase with trace number `stan` in this batch. The card
    /// is presented again, or `None` sends the journal's PAN as keyed.
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`] unless an unvoided purchase with that STAN is in the journal;
    /// otherwise as [`Terminal::purchase`].
    pub fn void(
        &mut self,
        stan: u32,
        card: Option<&CardData>,
        pin: Option<&Pin>,
        now: DateTime,
        out: &mut [u8],
    ) -> Result<Sent> {
        self.void_of(
            Transaction::Purchase,
            Transaction::PurchaseVoid,
            stan,
            card,
            pin,
            now,
            out,
        )
    }

    /// Pre-authorisation completion void (0200, 200000, condition 06) of the completion with
    /// trace number `stan` in this batch.
    ///
    /// # Errors
    /// As [`Terminal::void`].
    pub fn completion_void(
        &mut self,
        stan: u32,
        card: Option<&CardData>,
        pin: Option<&Pin>,
        now: DateTime,
        out: &mut [u8],
    ) -> Result<Sent> {
        self.void_of(
            Transaction::PreAuthCompletion,
            Transaction::PreAuthCompletionVoid,
            stan,
            card,
            pin,
            now,
            out,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn void_of(
        &mut self,
        of: Transaction,
        void: Transaction,
        stan: u32,
        card: Option<&CardData>,
        pin: Option<&Pin>,
        now: DateTime,
        out: &mut [u8],
    ) -> Result<Sent> {
        let record = *self
            .journal
            .find(stan)
            .filter(|r| r.transaction == of && !r.voided)
            .ok_or(ErrorKind::NotFound)?;
        let keyed;
        let card = match card {
            Some(c) => c,
            None => {
                keyed = CardData::keyed(record.pan(), record.expiry.as_ref().map(Text::as_str))?;
                &keyed
            }
        };
        let mut p = self.card_request(void, card, Some(record.amount), pin, now)?;
        let r = Reference::of(&record);
        p.original = Some(Original {
            batch: r.batch,
            stan: r.stan,
            date: 0,
        });
        p.original_stan = Some(stan);
        p.rrn = Some(r.rrn).filter(|t| !t.is_empty());
        p.auth_code = Some(r.auth_code).filter(|t| !t.is_empty());
        self.start(p, out)
    }

    /// Refund (0220, 200000) of `amount` fen against an earlier purchase (possibly of an
    /// earlier batch), identified by `original`.
    ///
    /// # Errors
    /// As [`Terminal::purchase`].
    pub fn refund(
        &mut self,
        original: &Reference,
        card: &CardData,
        amount: u64,
        pin: Option<&Pin>,
        now: DateTime,
        out: &mut [u8],
    ) -> Result<Sent> {
        let p = self.with_original(Transaction::Refund, original, card, amount, pin, now)?;
        self.start(p, out)
    }

    /// Pre-authorisation void (0100, 200000) of `original` for its `amount`.
    ///
    /// # Errors
    /// As [`Terminal::purchase`].
    pub fn pre_auth_void(
        &mut self,
        original: &Reference,
        card: &CardData,
        amount: u64,
        pin: Option<&Pin>,
        now: DateTime,
        out: &mut [u8],
    ) -> Result<Sent> {
        let p = self.with_original(Transaction::PreAuthVoid, original, card, amount, pin, now)?;
        self.start(p, out)
    }

    /// Pre-authorisation completion (0200, 000000, condition 06) of `original` for `amount`
    /// fen (at most the authorised amount, as the host checks).
    ///
    /// # Errors
    /// As [`Terminal::purchase`].
    pub fn pre_auth_completion(
        &mut self,
        original: &Reference,
        card: &CardData,
        amount: u64,
        pin: Option<&Pin>,
        now: DateTime,
        out: &mut [u8],
    ) -> Result<Sent> {
        let p = self.with_original(
            Transaction::PreAuthCompletion,
            original,
            card,
            amount,
            pin,
            now,
        )?;
        self.start(p, out)
    }

    fn with_original(
        &mut self,
        transaction: Transaction,
        original: &Reference,
        card: &CardData,
        amount: u64,
        pin: Option<&Pin>,
        now: DateTime,
    ) -> Result<Pending> {
        let mut p = self.card_request(transaction, card, Some(amount), pin, now)?;
        p.original = Some(Original {
            batch: original.batch,
            stan: original.stan,
            date: original.date,
        });
        p.original_stan = (original.batch == self.batch).then_some(original.stan);
        p.rrn = Some(original.rrn).filter(|t| !t.is_empty());
        p.auth_code = Some(original.auth_code).filter(|t| !t.is_empty());
        Ok(p)
    }

    /// Settlement (0500) of the open batch with the journal's totals in field 48.
    ///
    /// # Errors
    /// [`ErrorKind::NotSignedIn`], [`ErrorKind::Busy`], or an encoding error.
    pub fn settle(&mut self, now: DateTime, out: &mut [u8]) -> Result<Sent> {
        let mut p = Pending::new(Transaction::Settlement, now);
        p.totals = Some(self.journal.totals());
        self.start(p, out)
    }

    /// The next message of the batch upload after an unbalanced settlement: one 0320 per
    /// journal record (its PAN, amount, entry mode, RRN and authorisation code, and field
    /// 61 naming it by batch, STAN and date), then the end-of-upload 0320 (60.3 `207`).
    ///
    /// # Errors
    /// [`ErrorKind::NothingPending`] when no upload was asked for; as [`Terminal::settle`].
    pub fn batch_upload(&mut self, now: DateTime, out: &mut [u8]) -> Result<Sent> {
        let next = self.upload.ok_or(ErrorKind::NothingPending)?;
        let p = match self.journal.get(next) {
            Some(r) => {
                let mut p = Pending::new(Transaction::BatchUpload, now);
                p.amount = Some(r.amount);
                p.card = Some(CardData::keyed(
                    r.pan(),
                    r.expiry.as_ref().map(Text::as_str),
                )?);
                if let Some(c) = p.card.as_mut() {
                    c.entry = r.entry;
                }
                p.original = Some(Original {
                    batch: r.batch,
                    stan: r.stan,
                    date: r.when.mmdd(),
                });
                p.rrn = Some(r.rrn).filter(|t| !t.is_empty());
                p.auth_code = Some(r.auth_code).filter(|t| !t.is_empty());
                p
            }
            None => {
                let mut p = Pending::new(Transaction::BatchUploadEnd, now);
                p.totals = Some(self.journal.totals());
                p
            }
        };
        self.start(p, out)
    }

    /// The issuer script result advice (0620) for the approved transaction `stan`, with the
    /// card's results (`icc`: field 55 with `DF31`, `9F26`, `9F36`, `95` …).
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`]; as [`Terminal::settle`].
    pub fn script_result(
        &mut self,
        stan: u32,
        icc: &[u8],
        now: DateTime,
        out: &mut [u8],
    ) -> Result<Sent> {
        let r = *self.journal.find(stan).ok_or(ErrorKind::NotFound)?;
        let mut p = Pending::new(Transaction::ScriptResult, now);
        p.amount = Some(r.amount);
        let mut card = CardData::keyed(r.pan(), r.expiry.as_ref().map(Text::as_str))?;
        card.entry = r.entry;
        p.card = Some(card);
        p.original = Some(Original {
            batch: r.batch,
            stan: r.stan,
            date: r.when.mmdd(),
        });
        p.rrn = Some(r.rrn).filter(|t| !t.is_empty());
        p.auth_code = Some(r.auth_code).filter(|t| !t.is_empty());
        p.icc = Some(Bytes::from_slice(icc)?);
        self.start(p, out)
    }

    /// A card transaction: checks the amount and the PIN need, encrypts the PIN.
    fn card_request(
        &mut self,
        transaction: Transaction,
        card: &CardData,
        amount: Option<u64>,
        pin: Option<&Pin>,
        now: DateTime,
    ) -> Result<Pending> {
        if amount == Some(0) || amount.is_some_and(|a| a > 999_999_999_999) {
            return Err(ErrorKind::InvalidInput.into());
        }
        if card.pin_required() && pin.is_none() {
            return Err(ErrorKind::PinRequired.into());
        }
        let keys = self.keys.as_ref().ok_or(ErrorKind::NotSignedIn)?;
        let mut p = Pending::new(transaction, now);
        p.amount = amount;
        p.card = Some(card.clone());
        if let Some(pin) = pin {
            let block = PinBlock::new(PinFormat::Iso0, pin, Some(card.pan()), None)?;
            p.pin_block = Some(match self.dukpt.as_mut() {
                Some(register) => {
                    let (ksn, key) = register.next_key()?;
                    p.ksn = Some(*ksn.as_bytes());
                    block.encipher(&dukpt::working_key(&key, dukpt::KeyVariant::Pin)?)
                }
                None => block.encipher(&keys.pin),
            });
        }
        Ok(p)
    }

    /// Writes `p` (or the pending reversal in its place) and puts it in flight.
    fn start(&mut self, mut p: Pending, out: &mut [u8]) -> Result<Sent> {
        if self.in_flight.is_some() {
            return Err(ErrorKind::Busy.into());
        }
        if !network_management(p.transaction) {
            if self.keys.is_none() {
                return Err(ErrorKind::NotSignedIn.into());
            }
            if let Some(rev) = &self.reversal {
                let mut r = rev.clone();
                r.reversal = true;
                let len = self.encode(&r, out)?;
                let sent = Sent {
                    len,
                    transaction: r.transaction,
                    reversal: true,
                    stan: r.stan,
                };
                self.in_flight = Some(r);
                return Ok(sent);
            }
        }
        if journaled(p.transaction) && self.journal.is_full() {
            return Err(ErrorKind::Full.into());
        }
        p.stan = self.next_stan();
        p.batch = self.batch;
        let len = self.encode(&p, out)?;
        self.stan = p.stan;
        let sent = Sent {
            len,
            transaction: p.transaction,
            reversal: false,
            stan: p.stan,
        };
        self.in_flight = Some(p);
        Ok(sent)
    }

    /// Encodes `p` framed into `out`, with its MAC.
    fn encode(&self, p: &Pending, out: &mut [u8]) -> Result<usize> {
        let format = FrameFormat::CUPS;
        let head = format.head_len();
        let body = out.get_mut(head..).ok_or(ErrorKind::BufferTooSmall)?;
        let c = &self.config;
        let mut r = Request::new(p.transaction, c.terminal_id(), c.merchant_no())
            .stan(p.stan)
            .batch(p.batch);
        let field22;
        let psn;
        let icc = p.icc.as_ref().map(Bytes::as_slice);
        if let Some(card) = &p.card {
            r = r.pan(card.pan());
            if let Some(e) = card.expiry() {
                r = r.expiry(e);
            }
            let with_pin = p.pin_block.is_some() && !p.reversal;
            field22 = card.entry.field22(with_pin);
            r = r.entry_mode(core::str::from_utf8(&field22).unwrap_or("000"));
            if let Some(s) = card.sequence {
                psn = digits::<3>(u64::from(s));
                r = r.card_sequence(core::str::from_utf8(&psn).unwrap_or("000"));
            }
            // The track goes with the authorisation only, never with a reversal or advice.
            let advice = matches!(
                p.transaction,
                Transaction::BatchUpload | Transaction::ScriptResult
            );
            if let Some(t2) = card.track2().filter(|_| !p.reversal && !advice) {
                r = r.track2(t2);
            }
            let data = icc.unwrap_or(card.icc());
            if !data.is_empty() {
                r = r.icc(data);
            }
            if !advice {
                r = r.read_capability(READ_CAPABILITY).ic_condition(0);
            }
        }
        if let Some(a) = p.amount {
            r = r.amount(a).currency("156");
        }
        if let Some(block) = p.pin_block.as_ref().filter(|_| !p.reversal) {
            r = r
                .pin_capture("06")
                .pin_block(block)
                .security(SECURITY_CONTROL);
            if let Some(ksn) = &p.ksn {
                r = r.private62(ksn);
            }
        }
        if let Some(o) = p.original {
            r = r.original(o);
        }
        if let Some(rrn) = &p.rrn {
            r = r.rrn(rrn.as_str());
        }
        if let Some(a) = &p.auth_code {
            r = r.auth_code(a.as_str());
        }
        if let Some(t) = p.totals {
            r = r.settlement(t);
        }
        if p.transaction == Transaction::SignIn {
            r = r.operator(c.operator());
            if !c.serial().is_empty() {
                r = r.private62(c.serial().as_bytes());
            }
        } else if !network_management(p.transaction) {
            r = r.with_mac();
        }
        if p.reversal {
            r = r.reversal(core::str::from_utf8(&p.reason).unwrap_or("06"));
        }
        let encoded = r.encode(body)?;
        if let (Some(mac), Some(mab)) = (encoded.mac.clone(), encoded.mab()) {
            let keys = self.keys.as_ref().ok_or(ErrorKind::NotSignedIn)?;
            let value = field64(&keys.mac, body.get(mab).unwrap_or_default());
            body.get_mut(mac)
                .ok_or(ErrorKind::BufferTooSmall)?
                .copy_from_slice(&value);
        }
        format.write_head(Some(c.tpdu()), &c.header(), encoded.len, out)?;
        Ok(head + encoded.len)
    }

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
        self.unanswered(p, *b"98");
        Ok(self.reversal.is_some())
    }

    fn unanswered(&mut self, mut p: Pending, reason: [u8; 2]) {
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
        p.reason = *b"06";
        self.journal.remove(stan);
        self.reversal = Some(p);
        Ok(())
    }

    /// Reads the host's reply (a whole frame: length, TPDU, header, message).
    ///
    /// The reply must answer the request in flight (MTI + 10, same STAN and terminal) and,
    /// for every request but sign-in, carry a MAC that verifies under the MAK (a decline
    /// `A0` — the host could not verify ours — may come without). A reply that fails its MAC
    /// is not accepted: the request is then treated as unanswered and a reversible one
    /// becomes the pending reversal with reason `A0`.
    ///
    /// # Errors
    /// [`ErrorKind::NothingPending`]; [`ErrorKind::Message`] for a frame that does not decode
    /// and [`ErrorKind::UnexpectedReply`] for one answering something else (the request stays
    /// in flight for both); [`ErrorKind::Mac`]; [`ErrorKind::MissingField`];
    /// [`ErrorKind::Crypto`] for working keys whose check values do not match (still not
    /// signed in).
    pub fn on_reply(&mut self, frame: &[u8]) -> Result<Outcome> {
        let p = self.in_flight.as_ref().ok_or(ErrorKind::NothingPending)?;
        let message = match FrameFormat::CUPS.read(frame)? {
            Progress::Complete(f) if f.len == frame.len() => f.message,
            _ => return Err(ErrorKind::UnexpectedReply.into()),
        };
        let msg = Message::decode(&specs::CUPS, message)?;
        let reply = Reply(&msg);
        let request_mti = if p.reversal {
            400
        } else {
            p.transaction.codes().mti
        };
        let matches = msg.mti().to_u16() == request_mti + 10
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
        if !network_management(p.transaction) {
            let verified = match (msg.mac(), msg.mab(), self.keys.as_ref()) {
                (Some(mac), Some(mab), Some(keys)) => {
                    verify_field64(&keys.mac, mab, mac.value()).is_ok()
                }
                // The host declines without a MAC when it could not check ours (A0) or does
                // not know the terminal (03): keys it has just shown it does not share.
                (None, _, _) => matches!(
                    code,
                    ResponseCode::MacFailed | ResponseCode::InvalidMerchant
                ),
                _ => false,
            };
            if !verified {
                if let Some(p) = self.in_flight.take() {
                    self.unanswered(p, *b"A0");
                }
                return Err(Error::from(ErrorKind::Mac).at_field(64));
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
            t if journaled(t) => self.approved(p, &msg),
            _ => Ok(Outcome::Acknowledged),
        }
    }

    fn signed_in(&mut self, reply: &Reply<'_, '_, '_>) -> Result<Outcome> {
        let field = reply
            .working_keys()
            .ok_or(Error::from(ErrorKind::MissingField { field: 62 }))?;
        let keys = Field62::parse(field)
            .and_then(|f| f.decrypt(&self.tmk))
            .map_err(|e| Error::from(e).at_field(62))?;
        self.keys = Some(keys);
        if let Some(b) = reply.batch().filter(|b| (1..=999_999).contains(b)) {
            self.batch = b;
        }
        Ok(Outcome::SignedIn { batch: self.batch })
    }

    fn approved(&mut self, p: Pending, msg: &Message<'_, '_>) -> Result<Outcome> {
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
            amount: p.amount.unwrap_or(0),
            entry: card.map_or(Entry::Keyed, CardData::entry),
            rrn: Text::copy_from(reply.rrn().unwrap_or_default()).unwrap_or_default(),
            auth_code: Text::copy_from(reply.auth_code().unwrap_or_default()).unwrap_or_default(),
            when: p.when.with_host(date, number(12)),
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
        if matches!(
            p.transaction,
            Transaction::PurchaseVoid
                | Transaction::PreAuthCompletionVoid
                | Transaction::PreAuthVoid
        ) && let Some(orig) = p.original_stan.and_then(|s| self.journal.find_mut(s))
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

    fn close_batch(&mut self) {
        self.journal.clear();
        self.upload = None;
        self.batch = if self.batch >= 999_999 {
            1
        } else {
            self.batch + 1
        };
    }
}
