//! The embedded ledger: SQLite in one file, write-ahead log, one SQL transaction per posting.
//!
//! No card number is stored in clear: accounts are found by the number's keyed hash, a
//! transaction keeps that hash, the first 6 and last 4 digits, and the number encrypted under
//! the card-data key (which itself is stored wrapped under the key store's KEK). Terminal
//! sessions' working keys (field 62, already under the terminal's master key) are sealed
//! under the card-data key too.

use alloc::string::String;
use alloc::vec::Vec;
use std::path::Path;

use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};

use cardwire_iso8583::cups::{ResponseCode, SettlementTotals, Transaction};
use cardwire_iso8583::time::DateTime;
use rusqlite::ErrorCode;
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ValueRef};

use super::columns::{
    card_columns, field62_label, outcome_text, parse_totals, response_text, to_i64, totals_text,
};
use super::memory::{change_of, change_state};
use super::{
    Ledger, Posting, Reversed, SettlementRecord, Strikes, TerminalSession, TxKey, TxRecord, TxState,
};
use crate::error::{Error, ErrorKind, Result};
use crate::keystore::{CardDataKey, KeyStore};

/// How hard each commit is pushed to the disk (SQLite's `synchronous` in WAL mode).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Durability {
    /// `NORMAL`: a commit is in the write-ahead log before the reply goes out, so a crash or
    /// restart of the host loses nothing answered; a power cut may lose the last commits
    /// (the WAL is synced at checkpoints).
    #[default]
    Normal,
    /// `FULL`: the WAL is synced at every commit, so an answered transaction survives a power
    /// cut too, at the price of one disk flush per transaction.
    Full,
}

/// A [`Ledger`] in an SQLite database (file-backed, `journal_mode=WAL`).
///
/// A restart that opens the same file finds every transaction that was answered: the host
/// sends a reply only after [`Ledger::post`] or [`Ledger::reverse`] committed.
///
/// ```
/// use cardwire_acquirer::keystore::SoftwareKeyStore;
/// use cardwire_acquirer::ledger::{Durability, Ledger, SqliteLedger};
///
/// // Card data and keys at rest are encrypted under a key-encryption key (an HSM in production).
/// let keys = SoftwareKeyStore::new([7; 32]);
/// let path = std::env::temp_dir().join(format!("cardwire-doc-{}.db", std::process::id()));
/// # let _ = std::fs::remove_file(&path);
/// let mut ledger = SqliteLedger::open(&path, Durability::Full, &keys)?;
/// ledger.open_account("acct-1", 50_000)?;
/// drop(ledger);
///
/// // A restart finds what was committed.
/// let mut ledger = SqliteLedger::open(&path, Durability::Normal, &keys)?;
/// assert_eq!(ledger.balance("acct-1")?, Some(50_000));
/// # drop(ledger);
/// # for end in ["", "-wal", "-shm"] {
/// #     let _ = std::fs::remove_file(format!("{}{end}", path.display()));
/// # }
/// # Ok::<(), cardwire_acquirer::Error>(())
/// ```
#[derive(Debug)]
pub struct SqliteLedger {
    conn: Connection,
    card: CardDataKey,
    checkpointer: Option<Checkpointer>,
    in_group: bool,
}

/// One posting's all-or-nothing unit: its own SQL transaction, or a savepoint inside a group.
enum Unit<'c> {
    Alone(rusqlite::Transaction<'c>),
    InGroup(Savepoint<'c>),
}

impl core::ops::Deref for Unit<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        match self {
            Self::Alone(t) => t,
            Self::InGroup(s) => s.conn,
        }
    }
}

impl Unit<'_> {
    fn commit(self) -> Result<()> {
        match self {
            Self::Alone(t) => t.commit().map_err(db("committing")),
            Self::InGroup(s) => s.release(),
        }
    }
}

/// A savepoint inside a group commit, rolled back when dropped unless released. Its three
/// statements are prepared once and kept (rusqlite's own savepoint parses its SQL at every
/// posting).
struct Savepoint<'c> {
    conn: &'c Connection,
    released: bool,
}

impl<'c> Savepoint<'c> {
    fn begin(conn: &'c Connection) -> Result<Self> {
        run(conn, "SAVEPOINT posting").map_err(db("starting a ledger transaction"))?;
        Ok(Self {
            conn,
            released: false,
        })
    }

    fn release(mut self) -> Result<()> {
        self.released = true;
        run(self.conn, "RELEASE posting").map_err(db("committing"))
    }
}

impl Drop for Savepoint<'_> {
    fn drop(&mut self) {
        if !self.released {
            // Undoes what the posting wrote; the group's transaction goes on. Should this
            // fail, the group's commit fails too (the connection is not where it expects).
            let _ = run(self.conn, "ROLLBACK TO posting");
            let _ = run(self.conn, "RELEASE posting");
        }
    }
}

/// Runs a statement that returns no rows through the connection's statement cache.
fn run(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(|_| ())
}

/// Checkpoints the write-ahead log from its own connection and thread, so that the disk
/// flushes of a checkpoint do not hold up a commit (and the reply waiting for it).
#[derive(Debug)]
struct Checkpointer {
    stop: alloc::sync::Arc<core::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Checkpointer {
    fn spawn(path: &Path) -> Result<Self> {
        let opening = |e| {
            db("opening the ledger's checkpointer")(e).about(alloc::format!("{}", path.display()))
        };
        let conn = Connection::open(path).map_err(opening)?;
        conn.busy_timeout(core::time::Duration::from_secs(5))
            .map_err(opening)?;
        let stop = alloc::sync::Arc::new(core::sync::atomic::AtomicBool::new(false));
        let flag = alloc::sync::Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            while !flag.load(core::sync::atomic::Ordering::Relaxed) {
                std::thread::sleep(core::time::Duration::from_millis(100));
                // PASSIVE: copies what it can without waiting for or blocking the writer.
                let _ = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
            }
        });
        Ok(Self {
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.stop.store(true, core::sync::atomic::Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS sessions (
    terminal_id TEXT PRIMARY KEY,
    field62 BLOB NOT NULL,
    batch INTEGER NOT NULL,
    pool_next INTEGER NOT NULL,
    last_sign_in TEXT
);
CREATE TABLE IF NOT EXISTS keys (
    name TEXT PRIMARY KEY,
    wrapped BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS accounts (
    card_token BLOB PRIMARY KEY,
    balance INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS transactions (
    seq INTEGER PRIMARY KEY,
    terminal_id TEXT NOT NULL,
    batch INTEGER NOT NULL,
    stan INTEGER NOT NULL,
    type TEXT NOT NULL,
    response TEXT,
    amount INTEGER NOT NULL,
    fee INTEGER NOT NULL,
    balance_delta INTEGER NOT NULL,
    card_cipher BLOB,
    card_token BLOB,
    card_display TEXT NOT NULL,
    merchant_no TEXT NOT NULL,
    merchant_name TEXT NOT NULL,
    mcc TEXT NOT NULL,
    rrn TEXT NOT NULL,
    auth_code TEXT NOT NULL,
    time TEXT NOT NULL,
    orig_terminal TEXT,
    orig_batch INTEGER,
    orig_stan INTEGER,
    reversed INTEGER NOT NULL,
    voided INTEGER NOT NULL,
    completed INTEGER NOT NULL,
    refunded INTEGER NOT NULL,
    UNIQUE (terminal_id, batch, stan)
);
CREATE TABLE IF NOT EXISTS reversals (
    id INTEGER PRIMARY KEY,
    terminal_id TEXT NOT NULL,
    batch INTEGER NOT NULL,
    stan INTEGER NOT NULL,
    outcome TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS lockouts (
    terminal_id TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    locked_until INTEGER
);
CREATE TABLE IF NOT EXISTS settlements (
    id INTEGER PRIMARY KEY,
    terminal_id TEXT NOT NULL,
    batch INTEGER NOT NULL,
    time TEXT NOT NULL,
    terminal_totals TEXT NOT NULL,
    host_totals TEXT NOT NULL,
    balanced INTEGER NOT NULL
);
";

/// The columns of a record, in the order [`record`] reads them: a macro, so that the
/// statements of every request are constants (no text is made per query).
macro_rules! columns {
    () => {
        "seq, terminal_id, batch, stan, type, response, amount, fee, balance_delta, \
    card_cipher, merchant_no, merchant_name, mcc, rrn, auth_code, time, orig_terminal, orig_batch, \
    orig_stan, reversed, voided, completed, refunded"
    };
}

const COLUMNS: &str = columns!();

/// A record by its key (terminal, batch, STAN).
const SELECT_BY_KEY: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM transactions WHERE terminal_id = ?1 AND batch = ?2 AND stan = ?3"
);

/// A record by its sequence number and RRN.
const SELECT_BY_RRN: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM transactions WHERE seq = ?1 AND rrn = ?2"
);

/// A new record, with its card's keyed hash and display form.
const INSERT: &str = concat!(
    "INSERT INTO transactions (",
    columns!(),
    ", card_token, card_display) VALUES \
     (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, \
      ?19, ?20, ?21, ?22, ?23, ?24, ?25)"
);

/// The error of a failed ledger `operation`, keeping SQLite's error as the cause: a file
/// that cannot be opened and one that is no database are told apart.
fn db(operation: &'static str) -> impl Fn(rusqlite::Error) -> Error {
    move |e| {
        let kind = match e.sqlite_error_code() {
            Some(ErrorCode::CannotOpen | ErrorCode::PermissionDenied | ErrorCode::ReadOnly) => {
                ErrorKind::LedgerUnavailable
            }
            Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => ErrorKind::LedgerCorrupt,
            _ => ErrorKind::Ledger,
        };
        Error::new(kind).during(operation).caused_by(e)
    }
}

/// A column the ledger wrote as text, read back through its own parser; a value it could
/// not have written is a conversion error, never a default.
struct Stored<T>(T);

impl FromSql for Stored<DateTime> {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        DateTime::parse(value.as_str()?)
            .map(Stored)
            .ok_or(FromSqlError::InvalidType)
    }
}

impl FromSql for Stored<SettlementTotals> {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        parse_totals(value.as_str()?)
            .map(Stored)
            .ok_or(FromSqlError::InvalidType)
    }
}

impl FromSql for Stored<Transaction> {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        Transaction::financial_from_type_code(value.as_str()?)
            .map(Stored)
            .ok_or(FromSqlError::InvalidType)
    }
}

impl FromSql for Stored<ResponseCode> {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        ResponseCode::parse(value.as_str()?)
            .map(Stored)
            .ok_or(FromSqlError::InvalidType)
    }
}

/// Reads a record from a row selected with [`COLUMNS`], decrypting its card number.
fn record(row: &Row<'_>, card: &CardDataKey) -> rusqlite::Result<TxRecord> {
    let u32_of = |i: usize| -> rusqlite::Result<u32> {
        let v: i64 = row.get(i)?;
        u32::try_from(v).map_err(|_| rusqlite::Error::IntegralValueOutOfRange(i, v))
    };
    let u64_of = |i: usize| -> rusqlite::Result<u64> {
        let v: i64 = row.get(i)?;
        u64::try_from(v).map_err(|_| rusqlite::Error::IntegralValueOutOfRange(i, v))
    };
    let Stored(transaction) = row.get(4)?;
    let response: Option<Stored<ResponseCode>> = row.get(5)?;
    let Stored(time) = row.get(15)?;
    let orig_terminal: Option<String> = row.get(16)?;
    let original = match orig_terminal {
        Some(terminal_id) => Some(TxKey {
            terminal_id,
            batch: u32_of(17)?,
            stan: u32_of(18)?,
        }),
        None => None,
    };
    let flag = |i: usize| -> rusqlite::Result<bool> { Ok(row.get::<_, i64>(i)? != 0) };
    Ok(TxRecord {
        seq: u64_of(0)?,
        key: TxKey {
            terminal_id: row.get(1)?,
            batch: u32_of(2)?,
            stan: u32_of(3)?,
        },
        transaction,
        response: response.map(|Stored(r)| r),
        amount: u64_of(6)?,
        fee: row.get(7)?,
        balance_delta: row.get(8)?,
        account: match row.get::<_, Option<Vec<u8>>>(9)? {
            Some(sealed) => card.open(&sealed).map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(9, rusqlite::types::Type::Blob, e.into())
            })?,
            None => String::new(),
        },
        merchant_no: row.get(10)?,
        merchant_name: row.get(11)?,
        mcc: row.get(12)?,
        rrn: row.get(13)?,
        auth_code: row.get(14)?,
        time,
        original,
        state: TxState {
            reversed: flag(19)?,
            voided: flag(20)?,
            completed: flag(21)?,
            refunded: u64_of(22)?,
        },
    })
}

impl SqliteLedger {
    /// Opens (or creates) the ledger in the file at `path`, in WAL mode.
    ///
    /// # Errors
    /// [`ErrorKind::LedgerUnavailable`] when the file cannot be opened (its directory does
    /// not exist, say), [`ErrorKind::LedgerCorrupt`] when it is not an SQLite database,
    /// [`ErrorKind::Ledger`] otherwise; the error's source is SQLite's.
    /// Its card-data key is read from the file, unwrapped under `keys` (or made and stored
    /// wrapped, for a new file).
    ///
    /// [`ErrorKind::KeyStore`] when the stored card-data key does not unwrap under `keys`.
    pub fn open(path: impl AsRef<Path>, sync: Durability, keys: &dyn KeyStore) -> Result<Self> {
        let path = path.as_ref();
        let at = |e: Error| e.about(alloc::format!("{}", path.display()));
        let conn = Connection::open(path)
            .map_err(db("opening the ledger"))
            .map_err(at)?;
        let mut ledger = Self::setup(conn, sync, keys).map_err(at)?;
        // Checkpoints move to their own thread; the writer only checkpoints itself when the
        // log grows far beyond what that thread keeps up with.
        ledger
            .conn
            .pragma_update(None, "wal_autocheckpoint", 20_000)
            .map_err(db("opening the ledger"))?;
        ledger.checkpointer = Some(Checkpointer::spawn(path)?);
        Ok(ledger)
    }

    /// A ledger in an in-memory SQLite database (for tests).
    ///
    /// # Errors
    /// [`ErrorKind::Ledger`].
    pub fn open_in_memory(keys: &dyn KeyStore) -> Result<Self> {
        Self::setup(
            Connection::open_in_memory().map_err(db("opening an in-memory ledger"))?,
            Durability::Normal,
            keys,
        )
    }

    fn setup(conn: Connection, sync: Durability, keys: &dyn KeyStore) -> Result<Self> {
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(db("setting up the ledger"))?;
        let level = match sync {
            Durability::Normal => "NORMAL",
            Durability::Full => "FULL",
        };
        conn.pragma_update(None, "synchronous", level)
            .map_err(db("setting up the ledger"))?;
        // Several host threads may share the file through their own connections.
        conn.busy_timeout(core::time::Duration::from_secs(5))
            .map_err(db("setting up the ledger"))?;
        conn.execute_batch(SCHEMA)
            .map_err(db("setting up the ledger"))?;
        super::sqlite_schema::migrate(&conn)?;
        conn.set_prepared_statement_cache_capacity(32);
        let card = card_data_key(&conn, keys)?;
        Ok(Self {
            conn,
            card,
            checkpointer: None,
            in_group: false,
        })
    }

    /// The key that protects the card numbers of this file (the registry stored beside the
    /// ledger uses it too).
    pub fn card_key(&self) -> &CardDataKey {
        &self.card
    }

    fn select_one(&self, sql: &str, params: impl rusqlite::Params) -> Result<Option<TxRecord>> {
        let mut stmt = self
            .conn
            .prepare_cached(sql)
            .map_err(db("reading a transaction"))?;
        stmt.query_row(params, |row| record(row, &self.card))
            .optional()
            .map_err(db("reading a transaction"))
    }

    fn select_all(
        &self,
        filter: &str,
        params: impl rusqlite::Params,
        each: &mut dyn FnMut(&TxRecord) -> Result<()>,
    ) -> Result<()> {
        let sql = alloc::format!("SELECT {COLUMNS} FROM transactions {filter} ORDER BY seq");
        let mut stmt = self
            .conn
            .prepare_cached(&sql)
            .map_err(db("reading transactions"))?;
        let rows = stmt
            .query_map(params, |row| record(row, &self.card))
            .map_err(db("reading transactions"))?;
        for r in rows {
            each(&r.map_err(db("reading transactions"))?)?;
        }
        Ok(())
    }
}

/// The card-data key stored (wrapped) in this database, made and stored on first use.
pub(crate) fn card_data_key(conn: &Connection, keys: &dyn KeyStore) -> Result<CardDataKey> {
    let stored: Option<Vec<u8>> = conn
        .query_row(
            "SELECT wrapped FROM keys WHERE name = ?1",
            [crate::keystore::CARD_DATA_LABEL],
            |row| row.get(0),
        )
        .optional()
        .map_err(db("reading the card-data key"))?;
    if let Some(wrapped) = stored {
        return CardDataKey::unwrap_from(keys, &wrapped);
    }
    let (key, wrapped) = CardDataKey::generate(keys)?;
    conn.execute(
        "INSERT INTO keys (name, wrapped) VALUES (?1, ?2)",
        params![crate::keystore::CARD_DATA_LABEL, wrapped],
    )
    .map_err(db("storing the card-data key"))?;
    Ok(key)
}

/// One posting's unit on `conn`: a savepoint inside a group, else its own transaction.
fn unit(conn: &mut Connection, in_group: bool) -> Result<Unit<'_>> {
    if in_group {
        Savepoint::begin(conn).map(Unit::InGroup)
    } else {
        conn.transaction_with_behavior(TransactionBehavior::Immediate)
            .map(Unit::Alone)
            .map_err(db("starting a ledger transaction"))
    }
}

fn key_params(key: &TxKey) -> (&str, i64, i64) {
    (
        key.terminal_id.as_str(),
        i64::from(key.batch),
        i64::from(key.stan),
    )
}

fn insert(tx: &Connection, card: &CardDataKey, r: &TxRecord) -> Result<()> {
    let mut stmt = tx
        .prepare_cached(INSERT)
        .map_err(db("recording a transaction"))?;
    let (ot, ob, os) = match &r.original {
        Some(k) => {
            let (t, b, s) = key_params(k);
            (Some(t), Some(b), Some(s))
        }
        None => (None, None, None),
    };
    let (token, display, sealed) = card_columns(card, &r.account)?;
    stmt.execute(params![
        to_i64(r.seq)?,
        r.key.terminal_id,
        i64::from(r.key.batch),
        i64::from(r.key.stan),
        r.transaction.codes().type_code,
        response_text(r.response),
        to_i64(r.amount)?,
        r.fee,
        r.balance_delta,
        sealed,
        r.merchant_no,
        r.merchant_name,
        r.mcc,
        r.rrn,
        r.auth_code,
        alloc::format!("{}", r.time),
        ot,
        ob,
        os,
        i64::from(r.state.reversed),
        i64::from(r.state.voided),
        i64::from(r.state.completed),
        to_i64(r.state.refunded)?,
        token,
        display,
    ])
    .map_err(|e| {
        // The key's unique constraint: a duplicate, told apart from a failing ledger.
        if e.sqlite_error_code() == Some(ErrorCode::ConstraintViolation) {
            Error::new(ErrorKind::Conflict)
                .during("recording a transaction")
                .caused_by(e)
        } else {
            db("recording a transaction")(e)
        }
    })?;
    Ok(())
}

fn adjust(tx: &Connection, card: &CardDataKey, account: &str, delta: i64) -> Result<()> {
    if delta == 0 {
        return Ok(());
    }
    let changed = tx
        .prepare_cached("UPDATE accounts SET balance = balance + ?2 WHERE card_token = ?1")
        .map_err(db("changing a balance"))?
        .execute(params![card.token(account)?, delta])
        .map_err(db("changing a balance"))?;
    if changed == 1 {
        Ok(())
    } else {
        Err(Error::new(ErrorKind::Ledger).during("changing a balance"))
    }
}

fn set_state(tx: &Connection, key: &TxKey, s: &TxState) -> Result<()> {
    let (t, b, n) = key_params(key);
    tx.prepare_cached(
        "UPDATE transactions SET reversed = ?4, voided = ?5, completed = ?6, refunded = ?7 \
         WHERE terminal_id = ?1 AND batch = ?2 AND stan = ?3",
    )
    .map_err(db("changing a transaction"))?
    .execute(params![
        t,
        b,
        n,
        i64::from(s.reversed),
        i64::from(s.voided),
        i64::from(s.completed),
        to_i64(s.refunded)?,
    ])
    .map_err(db("changing a transaction"))?;
    Ok(())
}

fn find(tx: &Connection, card: &CardDataKey, key: &TxKey) -> Result<Option<TxRecord>> {
    let (t, b, n) = key_params(key);
    tx.prepare_cached(SELECT_BY_KEY)
        .map_err(db("reading a transaction"))?
        .query_row(params![t, b, n], |row| record(row, card))
        .optional()
        .map_err(db("reading a transaction"))
}

impl Ledger for SqliteLedger {
    fn session(&mut self, terminal_id: &str) -> Result<Option<TerminalSession>> {
        self.conn
            .prepare_cached(
                "SELECT field62, batch, pool_next, last_sign_in FROM sessions WHERE terminal_id = ?1",
            )
            .map_err(db("reading a terminal session"))?
            .query_row([terminal_id], |row| {
                let sealed: Vec<u8> = row.get(0)?;
                let stamp: Option<String> = row.get(3)?;
                Ok((
                    sealed,
                    stamp,
                    TerminalSession {
                        field62: Vec::new(),
                        batch: row.get(1)?,
                        pool_next: row.get(2)?,
                        last_sign_in: None,
                    },
                ))
            })
            .optional()
            .map_err(db("reading a terminal session"))?
            .map(|(sealed, stamp, mut session)| {
                if let Some(text) = stamp {
                    // A stamp that does not read would let any recorded sign-in through.
                    session.last_sign_in = Some(super::columns::parse_stamp(&text).ok_or_else(|| {
                        Error::new(ErrorKind::Ledger)
                            .during("reading a terminal session's last sign-in")
                            .about(terminal_id)
                    })?);
                }
                if !sealed.is_empty() {
                    let label = field62_label(terminal_id);
                    session.field62 = self.card.open_bytes(&label, &sealed)?.to_vec();
                }
                Ok(session)
            })
            .transpose()
    }

    fn save_session(&mut self, terminal_id: &str, session: &TerminalSession) -> Result<()> {
        // The working keys are under the terminal's master key already; sealing them under
        // the card-data key keeps them unreadable without the KEK even to whoever holds a TMK.
        let sealed = if session.field62.is_empty() {
            Vec::new()
        } else {
            let label = field62_label(terminal_id);
            self.card.seal_bytes(&label, &session.field62)?
        };
        self.conn
            .prepare_cached(
                "INSERT INTO sessions (terminal_id, field62, batch, pool_next, last_sign_in) \
                 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (terminal_id) DO UPDATE SET \
                 field62 = ?2, batch = ?3, pool_next = ?4, last_sign_in = ?5",
            )
            .map_err(db("saving a terminal session"))?
            .execute(params![
                terminal_id,
                sealed,
                i64::from(session.batch),
                i64::from(session.pool_next),
                session
                    .last_sign_in
                    .as_ref()
                    .map(super::columns::stamp_text)
            ])
            .map_err(db("saving a terminal session"))?;
        Ok(())
    }

    fn balance(&mut self, account: &str) -> Result<Option<i64>> {
        self.conn
            .prepare_cached("SELECT balance FROM accounts WHERE card_token = ?1")
            .map_err(db("reading a balance"))?
            .query_row([self.card.token(account)?], |row| row.get(0))
            .optional()
            .map_err(db("reading a balance"))
    }

    fn open_account(&mut self, account: &str, balance: i64) -> Result<()> {
        self.conn
            .prepare_cached("INSERT OR IGNORE INTO accounts (card_token, balance) VALUES (?1, ?2)")
            .map_err(db("opening an account"))?
            .execute(params![self.card.token(account)?, balance])
            .map_err(db("opening an account"))?;
        Ok(())
    }

    fn transaction(&mut self, key: &TxKey) -> Result<Option<TxRecord>> {
        let (t, b, n) = key_params(key);
        self.select_one(SELECT_BY_KEY, params![t, b, n])
    }

    fn by_rrn(&mut self, rrn: &str) -> Result<Option<TxRecord>> {
        // The host's RRN is its sequence number: found through the primary key, no index on
        // the RRN to write at every commit.
        let Ok(seq) = rrn.parse::<i64>() else {
            return Ok(None);
        };
        self.select_one(SELECT_BY_RRN, params![seq, rrn])
    }

    fn last_seq(&mut self) -> Result<u64> {
        let v: Option<i64> = self
            .conn
            .query_row("SELECT MAX(seq) FROM transactions", [], |row| row.get(0))
            .map_err(db("reading the last sequence number"))?;
        // No transaction yet: the sequence starts at 0.
        v.map_or(Ok(0), |v| {
            u64::try_from(v).map_err(|_| {
                Error::new(ErrorKind::Ledger).during("reading the last sequence number")
            })
        })
    }

    fn post(&mut self, posting: &Posting) -> Result<()> {
        let r = &posting.record;
        let card = &self.card;
        let tx = unit(&mut self.conn, self.in_group)?;
        if let (Some(key), Some(change)) = (&r.original, posting.change) {
            let mut state = find(&tx, card, key)?
                .ok_or(Error::new(ErrorKind::Ledger).during("posting"))?
                .state;
            change_state(&mut state, change, false)?;
            set_state(&tx, key, &state)?;
        }
        adjust(&tx, card, &r.account, r.balance_delta)?;
        insert(&tx, card, r)?;
        // Dropping `tx` on an error above rolls everything back.
        tx.commit()
    }

    fn reverse(&mut self, key: &TxKey, mark: &TxRecord) -> Result<Reversed> {
        let card = &self.card;
        let tx = unit(&mut self.conn, self.in_group)?;
        let outcome = match find(&tx, card, key)? {
            None => {
                insert(&tx, card, mark)?;
                Reversed::NeverSeen
            }
            Some(r) if !r.is_live() => Reversed::AlreadyDone,
            Some(r) if r.state.has_dependents() => Reversed::Refused,
            Some(r) => {
                if let (Some(okey), Some(change)) = (&r.original, change_of(&r)) {
                    let mut state = find(&tx, card, okey)?
                        .ok_or(Error::new(ErrorKind::Ledger).during("reversing"))?
                        .state;
                    change_state(&mut state, change, true)?;
                    set_state(&tx, okey, &state)?;
                }
                let back = r
                    .balance_delta
                    .checked_neg()
                    .ok_or(Error::new(ErrorKind::Ledger).during("reversing"))?;
                adjust(&tx, card, &r.account, back)?;
                let mut state = r.state;
                state.reversed = true;
                set_state(&tx, key, &state)?;
                Reversed::Undone
            }
        };
        let (t, b, n) = key_params(key);
        let text = outcome_text(outcome);
        tx.prepare_cached(
            "INSERT INTO reversals (terminal_id, batch, stan, outcome) VALUES (?1, ?2, ?3, ?4)",
        )
        .map_err(db("reversing"))?
        .execute(params![t, b, n, text])
        .map_err(db("reversing"))?;
        tx.commit()?;
        Ok(outcome)
    }

    fn batch(&mut self, terminal_id: &str, batch: u32) -> Result<Vec<TxRecord>> {
        let mut out = Vec::new();
        self.select_all(
            "WHERE terminal_id = ?1 AND batch = ?2",
            params![terminal_id, i64::from(batch)],
            &mut |r| {
                out.push(r.clone());
                Ok(())
            },
        )?;
        Ok(out)
    }

    fn settle(&mut self, s: &SettlementRecord) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO settlements (terminal_id, batch, time, terminal_totals, host_totals, \
                 balanced) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .map_err(db("recording a settlement"))?
            .execute(params![
                s.terminal_id,
                i64::from(s.batch),
                alloc::format!("{}", s.time),
                totals_text(&s.terminal),
                totals_text(&s.host),
                i64::from(s.balanced)
            ])
            .map_err(db("recording a settlement"))?;
        Ok(())
    }

    fn settlements(&mut self) -> Result<Vec<SettlementRecord>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT terminal_id, batch, time, terminal_totals, host_totals, balanced \
                 FROM settlements ORDER BY id",
            )
            .map_err(db("reading the settlements"))?;
        let rows = stmt
            .query_map([], |row| {
                let Stored(time) = row.get(2)?;
                let Stored(terminal) = row.get(3)?;
                let Stored(host) = row.get(4)?;
                let balanced: i64 = row.get(5)?;
                Ok(SettlementRecord {
                    terminal_id: row.get(0)?,
                    batch: row.get(1)?,
                    time,
                    terminal,
                    host,
                    balanced: balanced != 0,
                })
            })
            .map_err(db("reading the settlements"))?;
        rows.map(|r| r.map_err(db("reading the settlements")))
            .collect()
    }

    fn for_each(&mut self, each: &mut dyn FnMut(&TxRecord) -> Result<()>) -> Result<()> {
        self.select_all("", [], each)
    }

    fn strikes(&mut self, terminal_id: &str) -> Result<Option<Strikes>> {
        self.conn
            .prepare_cached("SELECT failures, locked_until FROM lockouts WHERE terminal_id = ?1")
            .map_err(db("reading a lockout"))?
            .query_row([terminal_id], |row| {
                Ok(Strikes {
                    failures: row.get(0)?,
                    locked_until: row.get(1)?,
                })
            })
            .optional()
            .map_err(db("reading a lockout"))
    }

    fn add_strike(&mut self, terminal_id: &str) -> Result<u32> {
        self.conn
            .prepare_cached(
                "INSERT INTO lockouts (terminal_id, failures) VALUES (?1, 1) \
                 ON CONFLICT (terminal_id) DO UPDATE SET failures = failures + 1 \
                 RETURNING failures",
            )
            .map_err(db("counting a failure"))?
            .query_row([terminal_id], |row| row.get(0))
            .map_err(db("counting a failure"))
    }

    fn lock_out(&mut self, terminal_id: &str, until: i64) -> Result<()> {
        self.conn
            .prepare_cached("UPDATE lockouts SET locked_until = ?2 WHERE terminal_id = ?1")
            .map_err(db("locking a terminal out"))?
            .execute(params![terminal_id, until])
            .map_err(db("locking a terminal out"))?;
        Ok(())
    }

    fn clear_strikes(&mut self, terminal_id: &str) -> Result<()> {
        self.conn
            .prepare_cached("DELETE FROM lockouts WHERE terminal_id = ?1")
            .map_err(db("clearing a lockout"))?
            .execute([terminal_id])
            .map_err(db("clearing a lockout"))?;
        Ok(())
    }

    fn begin_group(&mut self) -> Result<()> {
        if !self.in_group {
            run(&self.conn, "BEGIN IMMEDIATE").map_err(db("beginning a group commit"))?;
            self.in_group = true;
        }
        Ok(())
    }

    fn commit_group(&mut self) -> Result<()> {
        if !self.in_group {
            return Ok(());
        }
        self.in_group = false;
        if let Err(e) = run(&self.conn, "COMMIT") {
            let _ = self.conn.execute_batch("ROLLBACK");
            return Err(db("committing a group")(e));
        }
        Ok(())
    }
}
