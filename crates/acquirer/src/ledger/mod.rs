//! The acquirer host's ledger: terminal sessions, card accounts, answered transactions,
//! reversals and settlements, behind a small trait so that another database can be put in
//! place of the embedded ones.
//!
//! Every method that changes money ([`Ledger::post`], [`Ledger::reverse`]) is one atomic unit:
//! the host calls it, and only when it returns `Ok` sends the reply. A ledger that persists
//! (the SQLite one) has therefore committed everything a terminal was told.
//!
//! Two implementations: [`MemoryLedger`] (alloc, for tests, fuzzing and no_std hosts) and,
//! under the `sqlite` feature, `SqliteLedger` (file-backed, WAL).

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use cardwire_iso8583::cups::{ResponseCode, SettlementTotals, Transaction};
use cardwire_iso8583::time::DateTime;

use crate::error::Result;

#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod columns;
mod memory;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "sqlite")]
mod sqlite;
#[cfg(feature = "sqlite")]
mod sqlite_schema;

pub use memory::MemoryLedger;
#[cfg(feature = "postgres")]
pub use postgres::{PgLedger, PgOptions};
#[cfg(feature = "sqlite")]
#[cfg(feature = "sqlite")]
pub use sqlite::{Durability, SqliteLedger};

/// Identifies a terminal's transaction: terminal id, batch number (60.2) and STAN (11).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TxKey {
    /// Field 41.
    pub terminal_id: String,
    /// Field 60.2.
    pub batch: u32,
    /// Field 11.
    pub stan: u32,
}

/// What later transactions did to an answered one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TxState {
    /// Reversed (0400): it no longer counts anywhere.
    pub reversed: bool,
    /// Voided (purchase void, pre-authorisation void, completion void).
    pub voided: bool,
    /// A pre-authorisation that was completed.
    pub completed: bool,
    /// Fen refunded against it so far.
    pub refunded: u64,
}

/// One answered financial transaction (approved or declined), or the mark a reversal leaves
/// for a transaction it never saw (then [`TxRecord::response`] is `None`).
#[derive(Clone, PartialEq, Eq)]
pub struct TxRecord {
    /// Terminal, batch and STAN.
    pub key: TxKey,
    /// The host's sequence number (the RRN is made from it); increasing.
    pub seq: u64,
    /// The transaction.
    pub transaction: Transaction,
    /// The answer given; `None` for a reversal's mark of a transaction never seen.
    pub response: Option<ResponseCode>,
    /// Amount in fen (field 4).
    pub amount: u64,
    /// The merchant's fee in fen: positive charged, negative returned (a void).
    pub fee: i64,
    /// Change to the card account's balance in fen (negative = debited or held).
    pub balance_delta: i64,
    /// The card account (PAN). A production ledger would keep a token here.
    pub account: String,
    /// The merchant number the transaction was settled under (field 42 of the reply).
    pub merchant_no: String,
    /// That merchant's name.
    pub merchant_name: String,
    /// That merchant's MCC.
    pub mcc: String,
    /// Field 37 of the reply (12 characters).
    pub rrn: String,
    /// Field 38 of the reply (6 characters), empty when declined.
    pub auth_code: String,
    /// When the host answered.
    pub time: DateTime,
    /// The original of a void, refund or completion.
    pub original: Option<TxKey>,
    /// What happened to it since.
    pub state: TxState,
}

impl fmt::Debug for TxRecord {
    // The account stays out of Debug; the key and the figures identify the record.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TxRecord")
            .field("key", &self.key)
            .field("seq", &self.seq)
            .field("transaction", &self.transaction)
            .field("response", &self.response)
            .field("amount", &self.amount)
            .field("fee", &self.fee)
            .field("merchant_no", &self.merchant_no)
            .field("rrn", &self.rrn)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl TxState {
    /// Whether later transactions depend on it (voided, completed or partly refunded).
    pub fn has_dependents(&self) -> bool {
        self.voided || self.completed || self.refunded > 0
    }
}

impl TxRecord {
    /// The mark a reversal leaves for a transaction `key` of kind `transaction` that the host
    /// never saw: no response, already reversed.
    pub fn mark(key: TxKey, transaction: Transaction, seq: u64, time: DateTime) -> Self {
        Self {
            key,
            seq,
            transaction,
            response: None,
            amount: 0,
            fee: 0,
            balance_delta: 0,
            account: String::new(),
            merchant_no: String::new(),
            merchant_name: String::new(),
            mcc: String::new(),
            rrn: String::new(),
            auth_code: String::new(),
            time,
            original: None,
            state: TxState {
                reversed: true,
                ..TxState::default()
            },
        }
    }

    /// Whether it was approved and is not reversed: it moved money.
    pub fn is_live(&self) -> bool {
        self.response.is_some_and(|r| r.is_approved()) && !self.state.reversed
    }
}

/// How a posted transaction changes its original.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OriginalChange {
    /// The original is now voided (purchase void, pre-authorisation void, completion void).
    Void,
    /// A pre-authorisation is now completed.
    Complete,
    /// This many fen of the original are now refunded.
    Refund(u64),
}

/// A transaction to record atomically: the record, its balance change on its account, and
/// its change to its original.
#[derive(Clone, Debug)]
pub struct Posting {
    /// The record (its `balance_delta` is applied to its `account`).
    pub record: TxRecord,
    /// The change to `record.original`, if any.
    pub change: Option<OriginalChange>,
}

/// What a reversal did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reversed {
    /// The transaction was live and is now undone.
    Undone,
    /// It was already reversed, or declined: nothing changed.
    AlreadyDone,
    /// The host never saw it: a mark now refuses it should it arrive late.
    NeverSeen,
    /// It was voided, refunded or completed since: reversing it would give money back twice,
    /// so nothing changed (the host answers `12`).
    Refused,
}

/// What [`Ledger::post_decided`] did with a posting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Posted {
    /// Recorded as the host decided it.
    AsDecided,
    /// Its balance change or its change to its original was no longer possible (another
    /// node spent the balance or changed the original meanwhile): recorded declined instead.
    Declined,
    /// Its key was taken (another node, or an earlier request, answered it): nothing written.
    Duplicate,
}

/// A terminal's session with the host: its working keys (field 62 as sent, encrypted under
/// its TMK, so the ledger never holds a clear key), its open batch and where its merchant
/// number pool stands.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TerminalSession {
    /// Field 62 of the last sign-in reply; empty before the first sign-in.
    pub field62: Vec<u8>,
    /// The open batch number.
    pub batch: u32,
    /// How many merchant numbers of its pool it has used (rotating terminals only).
    pub pool_next: u32,
    /// The terminal's time and STAN of the last sign-in the host accepted: a sign-in must be
    /// strictly newer, so that a recorded one sent again rotates nothing.
    pub last_sign_in: Option<SignInStamp>,
}

/// When a terminal signed in, by its own clock (fields 13 and 12, the year from the host's)
/// and its STAN (field 11): what a sign-in's proof covers, ordered by time then STAN.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SignInStamp {
    /// The terminal's date and time.
    pub time: DateTime,
    /// Its STAN.
    pub stan: u32,
}

/// A terminal's run of failed authentications, as the lockout counts it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Strikes {
    /// Failures in a row.
    pub failures: u32,
    /// Locked out until this time (seconds since 2000-01-01 on the host's clock), if locked.
    pub locked_until: Option<i64>,
}

/// A settlement (0500) as the host answered it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SettlementRecord {
    /// The terminal.
    pub terminal_id: String,
    /// The batch settled.
    pub batch: u32,
    /// When.
    pub time: DateTime,
    /// The terminal's totals (field 48 of the request).
    pub terminal: SettlementTotals,
    /// The host's totals of the batch.
    pub host: SettlementTotals,
    /// Whether they agreed.
    pub balanced: bool,
}

/// The storage an acquirer host keeps.
pub trait Ledger {
    /// The session of `terminal_id`, if it ever signed in.
    ///
    /// # Errors
    /// [`ErrorKind::Ledger`](crate::ErrorKind::Ledger) when the storage fails (so for every
    /// method here).
    fn session(&mut self, terminal_id: &str) -> Result<Option<TerminalSession>>;

    /// Stores the session of `terminal_id`.
    ///
    /// # Errors
    /// As [`Ledger::session`].
    fn save_session(&mut self, terminal_id: &str, session: &TerminalSession) -> Result<()>;

    /// Stores the session a sign-in made for `terminal_id` and returns the batch open as
    /// stored, which the sign-in's reply names. A ledger shared by several nodes changes only
    /// the working keys and the sign-in's stamp of a session that exists, keeping its batch
    /// and pool position: a settlement at another node may have closed the batch the sign-in
    /// read. The default stores the whole session ([`Ledger::save_session`]) and returns its
    /// batch.
    ///
    /// # Errors
    /// As [`Ledger::session`].
    fn save_sign_in(&mut self, terminal_id: &str, session: &TerminalSession) -> Result<u32> {
        self.save_session(terminal_id, session)?;
        Ok(session.batch)
    }

    /// The balance in fen of a card account, if it exists.
    ///
    /// # Errors
    /// As [`Ledger::session`].
    fn balance(&mut self, account: &str) -> Result<Option<i64>>;

    /// Opens a card account with `balance`, unless it exists (then nothing changes).
    ///
    /// # Errors
    /// As [`Ledger::session`].
    fn open_account(&mut self, account: &str, balance: i64) -> Result<()>;

    /// The transaction with this key (or a reversal's mark for it).
    ///
    /// # Errors
    /// As [`Ledger::session`].
    fn transaction(&mut self, key: &TxKey) -> Result<Option<TxRecord>>;

    /// The transaction answered with this retrieval reference number.
    ///
    /// # Errors
    /// As [`Ledger::session`].
    fn by_rrn(&mut self, rrn: &str) -> Result<Option<TxRecord>>;

    /// The highest sequence number recorded (0 for none).
    ///
    /// # Errors
    /// As [`Ledger::session`].
    fn last_seq(&mut self) -> Result<u64>;

    /// Records a transaction, applies its balance change and its change to its original, all
    /// or nothing. A key that exists already is refused with
    /// [`ErrorKind::Conflict`](crate::ErrorKind::Conflict) (the host checks for duplicates
    /// first; a ledger shared by several nodes may still find one another node just
    /// committed), as is, in a shared ledger, a change another node made impossible since the
    /// host decided: the original voided, completed or refunded meanwhile, the balance spent.
    ///
    /// # Errors
    /// As [`Ledger::session`].
    fn post(&mut self, posting: &Posting) -> Result<()>;

    /// Records `posting` as [`Ledger::post`] does, and settles its refusal in the same step:
    /// a key already taken writes nothing and gives [`Posted::Duplicate`]; a balance change or
    /// a change to the original that is no longer possible records the transaction declined
    /// with `decline` instead (no fee, no balance change, no authorisation code, no change to
    /// the original) and gives [`Posted::Declined`]. A ledger on a database server does it in
    /// one round trip; the default calls [`Ledger::post`], [`Ledger::transaction`] and
    /// [`Ledger::post`] again.
    ///
    /// # Errors
    /// As [`Ledger::session`].
    fn post_decided(&mut self, posting: &Posting, decline: ResponseCode) -> Result<Posted> {
        match self.post(posting) {
            Ok(()) => Ok(Posted::AsDecided),
            Err(e) if e.kind() == crate::ErrorKind::Conflict => {
                if self.transaction(&posting.record.key)?.is_some() {
                    return Ok(Posted::Duplicate);
                }
                let declined = TxRecord {
                    fee: 0,
                    balance_delta: 0,
                    auth_code: String::new(),
                    response: Some(decline),
                    ..posting.record.clone()
                };
                self.post(&Posting {
                    record: declined,
                    change: None,
                })?;
                Ok(Posted::Declined)
            }
            Err(e) => Err(e),
        }
    }

    /// Reverses the transaction `key`, all or nothing: marks it reversed, gives back its
    /// balance change and undoes its change to its original. Idempotent: a second reversal,
    /// or one of a declined transaction, changes nothing; nor does the reversal of a
    /// transaction that later ones voided, refunded or completed ([`Reversed::Refused`]). A reversal of a transaction never
    /// seen records `mark` (see [`TxRecord::mark`]) so that the transaction is refused as a
    /// duplicate should it arrive late.
    ///
    /// # Errors
    /// As [`Ledger::session`].
    fn reverse(&mut self, key: &TxKey, mark: &TxRecord) -> Result<Reversed>;

    /// Every record of a terminal's batch, in sequence order.
    ///
    /// # Errors
    /// As [`Ledger::session`].
    fn batch(&mut self, terminal_id: &str, batch: u32) -> Result<Vec<TxRecord>>;

    /// Records a settlement.
    ///
    /// # Errors
    /// As [`Ledger::session`].
    fn settle(&mut self, settlement: &SettlementRecord) -> Result<()>;

    /// Every settlement, in the order recorded.
    ///
    /// # Errors
    /// As [`Ledger::session`].
    fn settlements(&mut self) -> Result<Vec<SettlementRecord>>;

    /// Calls `each` with every record, in sequence order (the statement's source).
    ///
    /// # Errors
    /// As [`Ledger::session`], or the first error `each` returns.
    fn for_each(&mut self, each: &mut dyn FnMut(&TxRecord) -> Result<()>) -> Result<()>;

    /// The lockout count of `terminal_id` (`None`: no failure since its last success). Kept
    /// by the ledger so that a restart, or another node, does not forgive it.
    ///
    /// # Errors
    /// As [`Ledger::session`].
    fn strikes(&mut self, terminal_id: &str) -> Result<Option<Strikes>>;

    /// Counts one more failure of `terminal_id` in one step (nodes counting at once lose
    /// none); returns the failures now.
    ///
    /// # Errors
    /// As [`Ledger::session`].
    fn add_strike(&mut self, terminal_id: &str) -> Result<u32>;

    /// Locks `terminal_id` out until `until` (see [`Strikes::locked_until`]).
    ///
    /// # Errors
    /// As [`Ledger::session`].
    fn lock_out(&mut self, terminal_id: &str, until: i64) -> Result<()>;

    /// Forgets the failures of `terminal_id` (it authenticated, or served its lockout).
    ///
    /// # Errors
    /// As [`Ledger::session`].
    fn clear_strikes(&mut self, terminal_id: &str) -> Result<()>;

    /// The session and the lockout count of `terminal_id` together: what every
    /// authenticated request reads first (one round trip for a ledger on a server).
    ///
    /// # Errors
    /// As [`Ledger::session`].
    fn session_and_strikes(
        &mut self,
        terminal_id: &str,
    ) -> Result<(Option<TerminalSession>, Option<Strikes>)> {
        Ok((self.session(terminal_id)?, self.strikes(terminal_id)?))
    }

    /// Reads ahead, in one step, the sessions and lockout counts of `terminal_ids` (the
    /// terminals of a group's requests, read once those requests arrived), for
    /// [`Ledger::session_and_strikes`] to answer from: each read ahead is used once, and
    /// forgotten when the terminal's session or count changes, or the group ends. A ledger
    /// on a server saves a round trip per request; the default reads nothing ahead.
    ///
    /// # Errors
    /// As [`Ledger::session`].
    fn read_ahead(&mut self, terminal_ids: &[&str]) -> Result<()> {
        let _ = terminal_ids;
        Ok(())
    }

    /// Takes the next position of `terminal_id`'s merchant-number pool in one step (read
    /// and advanced at once, so that two nodes rotating the same terminal never take the
    /// same one) and returns it; `None` (the default) leaves the count to the host, which
    /// stores it with [`Ledger::save_session`]. A ledger shared by several nodes must take
    /// it itself.
    ///
    /// # Errors
    /// As [`Ledger::session`].
    fn take_pool_position(&mut self, terminal_id: &str) -> Result<Option<u32>> {
        let _ = terminal_id;
        Ok(None)
    }

    /// Moves `terminal_id`'s open batch from `batch` to `next` (a settlement closed it),
    /// changing nothing else of its session (its working keys may be a newer sign-in's, at
    /// another node), and nothing when the batch open is no longer `batch`. `Some(moved)`
    /// when the ledger did it; `None` (the default) leaves it to the host, which stores
    /// the whole session with [`Ledger::save_session`]. A ledger shared by several nodes
    /// must do it itself.
    ///
    /// # Errors
    /// As [`Ledger::session`].
    fn close_batch(&mut self, terminal_id: &str, batch: u32, next: u32) -> Result<Option<bool>> {
        let _ = (terminal_id, batch, next);
        Ok(None)
    }

    /// A sequence number for the next record when the ledger hands them out itself (a ledger
    /// that several host nodes share: each number drawn once, whichever node draws it);
    /// `None` (the default) lets the host count on from [`Ledger::last_seq`].
    ///
    /// # Errors
    /// As [`Ledger::session`].
    fn next_seq(&mut self) -> Result<Option<u64>> {
        Ok(None)
    }

    /// Whether other host nodes write to this ledger too: then a host caches nothing it
    /// reads from it (a terminal may have signed in at another node since). `false` by
    /// default.
    fn shared(&self) -> bool {
        false
    }

    /// Starts a group: the postings and reversals that follow are each still all or nothing,
    /// but become durable together at [`Ledger::commit_group`] (group commit: one disk write
    /// for many terminals' transactions). Replies to the group's requests must wait for that
    /// commit. A ledger without groups (the default) commits each one at once.
    ///
    /// # Errors
    /// As [`Ledger::session`].
    fn begin_group(&mut self) -> Result<()> {
        Ok(())
    }

    /// Commits the group begun by [`Ledger::begin_group`]; on error nothing of the group is
    /// kept, and none of its replies may be sent.
    ///
    /// # Errors
    /// As [`Ledger::session`].
    fn commit_group(&mut self) -> Result<()> {
        Ok(())
    }
}
