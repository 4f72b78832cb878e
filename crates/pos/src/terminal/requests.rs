//! Starting transactions: each method checks what it can before anything is sent, builds
//! the pending request and hands it to `start` (in `encode.rs`) to be written.

use cardwire_crypto::dukpt::tdes as dukpt;
use cardwire_crypto::pin::{Pin, PinBlock, PinField, PinFormat};
use cardwire_crypto::sm::cups::AnyWorkingKeys;
use cardwire_iso8583::cups::{Original, Transaction};
use cardwire_iso8583::time::DateTime;

use super::{Pending, Reference, Sent, Terminal};
use crate::card::CardData;
use crate::error::{ErrorKind, Result};
use crate::text::{Bytes, Text};

impl<const J: usize> Terminal<J> {
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
        self.void_of(Transaction::PurchaseVoid, stan, card, pin, now, out)
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
            Transaction::PreAuthCompletionVoid,
            stan,
            card,
            pin,
            now,
            out,
        )
    }

    /// The `void` of the unvoided journal record `stan` of the kind it voids.
    pub(super) fn void_of(
        &mut self,
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
            .filter(|r| void.originals().contains(&r.transaction) && !r.voided)
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

    pub(super) fn with_original(
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
    pub(super) fn card_request(
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
        let Some(pin) = pin else {
            return Ok(p);
        };
        let block = match keys {
            AnyWorkingKeys::Tdes(keys) => {
                let block = PinBlock::new(PinFormat::Iso0, pin, Some(card.pan()), None)?;
                match self.dukpt.as_mut() {
                    Some(register) => {
                        let (ksn, key) = register.next_key()?;
                        p.ksn = Some(*ksn.as_bytes());
                        Bytes::from_slice(
                            &block.encipher(&dukpt::working_key(&key, dukpt::KeyVariant::Pin)?),
                        )?
                    }
                    None => Bytes::from_slice(&block.encipher(&keys.pin))?,
                }
            }
            // ISO 9564 format 4 under the SM4 PIK; its fill is random (seeded by the caller).
            // DUKPT here is the TDES scheme: an SM4 terminal does not run it.
            AnyWorkingKeys::Sm4(keys) => {
                if self.dukpt.is_some() {
                    return Err(ErrorKind::InvalidInput.into());
                }
                let fill = self
                    .pin_fill
                    .as_mut()
                    .ok_or(ErrorKind::InvalidInput)?
                    .next();
                let field = PinField::new(pin, &fill);
                Bytes::from_slice(&cardwire_crypto::sm::pin::encipher(
                    &field,
                    &keys.pin,
                    card.pan(),
                )?)?
            }
        };
        p.pin_block = Some(block);
        Ok(p)
    }
}
