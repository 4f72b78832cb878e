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
//!
//! The methods are grouped by concern, one `impl` block per file: starting transactions
//! (`requests.rs`), writing them (`encode.rs`), reading the replies (`replies.rs`), and the
//! batch's settlement and upload (`settlement.rs`); the journal and the quote are modules of
//! their own.

use cardwire_emv::tags;
use core::fmt;

use cardwire_crypto::TdesKey;
use cardwire_crypto::dukpt::tdes as dukpt;
use cardwire_crypto::sm::cups::{AnyWorkingKeys, MasterKey};
use cardwire_iso8583::cups::{Original, ResponseCode, SettlementTotals, Transaction};
use cardwire_iso8583::time::DateTime;

use crate::card::CardData;
use crate::card::chip::Params;
use crate::config::Config;
use crate::error::{ErrorKind, Result};
use crate::text::{Bytes, Text};

mod encode;
mod export;
pub mod journal;
mod pin_fill;
pub mod quote;
mod replies;
mod requests;
mod settlement;

pub use export::tx_type;
pub use journal::{Journal, Record};
pub use quote::Quote;

/// Field 53 of a request with a PIN: ISO 9564 format 0 (with PAN), double-length TDES.
/// Under the SM4 profile: [`cardwire_iso8583::cups::SECURITY_CONTROL_SM4`].
pub const SECURITY_CONTROL: &str = cardwire_iso8583::cups::SECURITY_CONTROL_TDES;

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
            .find(tags::ISSUER_AUTHENTICATION_DATA)
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
    /// The enciphered PIN block: 8 bytes (format 0 under TDES) or 16 (format 4 under SM4).
    pin_block: Option<Bytes<16>>,
    ksn: Option<[u8; 10]>,
    original: Option<Original>,
    original_stan: Option<u32>,
    rrn: Option<Text<12>>,
    auth_code: Option<Text<6>>,
    /// Field 39 of its reversal: `98` no reply, `A0` bad MAC, `06` refused by the card.
    reason: &'static str,
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
            reason: "98",
            when,
            totals: None,
            icc: None,
        }
    }
}

/// A CUPS POS terminal with a journal of up to `J` transactions per batch.
///
/// It takes and returns bytes: each request is written into the caller's buffer as a whole
/// frame, to be sent however the device talks to the host; the reply frame goes to
/// [`Terminal::on_reply`].
///
/// ```
/// use cardwire_crypto::TdesKey;
/// use cardwire_iso8583::frame::{FrameFormat, Progress};
/// use cardwire_iso8583::{Message, specs};
/// use cardwire_pos::{Config, DateTime, ErrorKind, Terminal};
///
/// let config = Config::new("10000001", "105584070110001", "A hotel")?;
/// let tmk = TdesKey::from_hex("0123456789ABCDEFFEDCBA9876543210")?;
/// let mut terminal: Terminal = Terminal::new(config, tmk);
/// let now = DateTime::new(2026, 3, 1, 9, 30, 0).ok_or("not a date")?;
///
/// // The first request of the day: sign-in (0800) for working keys.
/// let mut frame = [0u8; 512];
/// let sent = terminal.sign_in(now, &mut frame)?;
/// assert_eq!(sent.stan, 1);
/// let Progress::Complete(f) = FrameFormat::CUPS.read(&frame[..sent.len])? else {
///     unreachable!("the terminal writes whole frames");
/// };
/// let request = Message::decode(&specs::CUPS, f.message)?;
/// assert_eq!(request.mti().to_u16(), 800);
/// assert!(request.get(41).is_some_and(|tid| tid.chars().eq("10000001".chars())));
///
/// // Until the host's reply comes back, the terminal is not signed in and takes no other
/// // request.
/// assert!(!terminal.is_signed_in());
/// let busy = terminal.echo_test(now, &mut frame).unwrap_err();
/// assert_eq!(busy.kind(), ErrorKind::Busy);
/// # Ok::<(), Box<dyn core::error::Error>>(())
/// ```
pub struct Terminal<const J: usize = 128> {
    config: Config,
    tmk: MasterKey,
    keys: Option<AnyWorkingKeys>,
    batch: u32,
    stan: u32,
    in_flight: Option<Pending>,
    reversal: Option<Pending>,
    journal: Journal<J>,
    upload: Option<usize>,
    dukpt: Option<dukpt::Terminal>,
    pin_fill: Option<pin_fill::PinFill>,
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
    /// Batch 1, no transaction yet; sign in before anything else. A TDES master key is for
    /// the TDES profiles; an SM4 terminal starts with [`Terminal::with_master_key`].
    pub fn new(config: Config, tmk: TdesKey) -> Self {
        Self::of(config, MasterKey::Tdes(tmk))
    }

    /// A terminal with a master key of either cipher: an SM4 key for the SM4 profile
    /// ([`MacAlgorithm::Sm4CbcMac`](cardwire_crypto::cups::MacAlgorithm::Sm4CbcMac): SM4
    /// working keys, MAC and PIN blocks), e.g. the one remote key download installed; a
    /// TDES key for the others.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] when the key is not of the cipher of the configuration's
    /// profile.
    pub fn with_master_key(config: Config, tmk: MasterKey) -> Result<Self> {
        if !tmk.suits(config.mac()) {
            return Err(ErrorKind::InvalidInput.into());
        }
        Ok(Self::of(config, tmk))
    }

    fn of(config: Config, tmk: MasterKey) -> Self {
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
            pin_fill: None,
        }
    }

    /// A copy of the terminal in its present state — keys, counters, journal, what is in
    /// flight — for test harnesses and fuzzers that start many runs from one state instead of
    /// signing in for each. `None` when a DUKPT register is loaded: a copy would derive the
    /// same transaction keys as the original, which DUKPT exists to prevent; likewise when
    /// the SM4 PIN fill is seeded (a copy would fill two PIN blocks with the same bytes).
    pub fn try_clone(&self) -> Option<Self> {
        if self.dukpt.is_some() || self.pin_fill.is_some() {
            return None;
        }
        Some(Self {
            config: self.config.clone(),
            tmk: self.tmk.clone(),
            keys: self.keys.clone(),
            batch: self.batch,
            stan: self.stan,
            in_flight: self.in_flight.clone(),
            reversal: self.reversal.clone(),
            journal: self.journal.clone(),
            upload: self.upload,
            dukpt: None,
            pin_fill: None,
        })
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

    /// Writes the journal of the open batch as cardwire-merchant's journal CSV, for the
    /// merchant's reconciliation against the acquirer's statement ([`Journal::write_csv`]
    /// with this terminal's ID and fee rate). Export before settling: settlement empties the
    /// journal.
    ///
    /// # Errors
    /// As [`Journal::write_csv`].
    pub fn write_journal_csv<W: fmt::Write>(&self, out: &mut W) -> Result<()> {
        self.journal
            .write_csv(self.config.terminal_id(), self.config.fee_rate(), out)
    }

    /// The amount, the merchant's fee and the total, to show before the cardholder confirms.
    pub fn quote(&self, amount: u64) -> Quote {
        Quote::new(amount, self.config.fee_rate())
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
    ) -> Params {
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
        Params {
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
}
