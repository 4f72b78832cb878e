//! The shared ledger: PostgreSQL, which several host nodes use at once.
//!
//! Exactly once comes from the database, never from a lock inside one process:
//! - a transaction's key (terminal, batch, STAN) is unique: of two nodes posting the same
//!   request, the second's insert waits for the first's commit and then finds the key taken
//!   ([`ErrorKind::Conflict`], which the host answers as a duplicate);
//! - a posting locks its original (`SELECT … FOR UPDATE`) before changing it and checks the
//!   change against what is committed, so concurrent refunds never exceed the sale and an
//!   original is voided or completed once;
//! - a debit is applied only while the balance covers it (a condition of the `UPDATE`, which
//!   PostgreSQL re-checks on the newest row);
//! - a reversal locks what it reverses; one that finds nothing leaves its mark with the same
//!   unique key, and when the original was being posted meanwhile at another node it looks
//!   again once that commit is done;
//! - sequence numbers (the RRNs) come in blocks from a database sequence.
//!
//! Card data is kept as in the SQLite ledger: keyed hash, first 6 / last 4, ciphertext under
//! the card-data key, which is stored wrapped under the key store's KEK. The schema is
//! versioned: [`MIGRATIONS`] are applied in order at [`PgLedger::connect`], under an advisory
//! lock so that nodes starting together apply each once.
//!
//! A group ([`Ledger::begin_group`]) is one SQL transaction. A host's posting
//! ([`Ledger::post_decided`]) is one call of the function `cardwire_post` (migration 4): key,
//! original, balance and record in one round trip, undone alone by the function's own
//! handler when it fails; a reversal is a savepoint, rolled back alone likewise. An
//! authenticated request reads its session and lockout count in one query. A merchant-number
//! pool position is taken and a batch closed by one `UPDATE` each, whose row lock makes a
//! second node wait for the first's commit. A lost connection fails the operation (no reply
//! goes out: the terminal reverses); the next group connects again.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use core::str::FromStr;
use core::time::Duration;

use postgres::error::SqlState;
use postgres::{Client, NoTls, Row, Statement};

use cardwire_iso8583::cups::{ResponseCode, Transaction};
use cardwire_iso8583::time::DateTime;

use super::columns::{
    card_columns, field62_label, outcome_text, parse_totals, response_text, to_i64, totals_text,
};
use super::memory::{change_of, change_state};
use super::{
    Ledger, OriginalChange, Posted, Posting, Reversed, SettlementRecord, Strikes, TerminalSession,
    TxKey, TxRecord, TxState,
};
use crate::error::{Error, ErrorKind, Result};
use crate::keystore::{CardDataKey, KeyStore};

/// The schema, one step per version; a database records the versions it has in
/// `schema_migrations`. Steps are never edited once released: a change is a new step.
pub const MIGRATIONS: &[(i32, &str)] = &[
    (
        1,
        "
CREATE TABLE keys (
    name TEXT PRIMARY KEY,
    wrapped BYTEA NOT NULL
);
CREATE TABLE sessions (
    terminal_id TEXT PRIMARY KEY,
    field62 BYTEA NOT NULL,
    batch BIGINT NOT NULL,
    pool_next BIGINT NOT NULL
);
CREATE TABLE accounts (
    card_token BYTEA PRIMARY KEY,
    balance BIGINT NOT NULL
);
CREATE TABLE transactions (
    seq BIGINT PRIMARY KEY,
    terminal_id TEXT NOT NULL,
    batch BIGINT NOT NULL,
    stan BIGINT NOT NULL,
    type TEXT NOT NULL,
    response TEXT,
    amount BIGINT NOT NULL,
    fee BIGINT NOT NULL,
    balance_delta BIGINT NOT NULL,
    card_cipher BYTEA,
    card_token BYTEA,
    card_display TEXT NOT NULL,
    merchant_no TEXT NOT NULL,
    merchant_name TEXT NOT NULL,
    mcc TEXT NOT NULL,
    rrn TEXT NOT NULL,
    auth_code TEXT NOT NULL,
    time TEXT NOT NULL,
    orig_terminal TEXT,
    orig_batch BIGINT,
    orig_stan BIGINT,
    reversed BOOLEAN NOT NULL,
    voided BOOLEAN NOT NULL,
    completed BOOLEAN NOT NULL,
    refunded BIGINT NOT NULL,
    UNIQUE (terminal_id, batch, stan)
);
CREATE TABLE reversals (
    id BIGSERIAL PRIMARY KEY,
    terminal_id TEXT NOT NULL,
    batch BIGINT NOT NULL,
    stan BIGINT NOT NULL,
    outcome TEXT NOT NULL
);
CREATE TABLE settlements (
    id BIGSERIAL PRIMARY KEY,
    terminal_id TEXT NOT NULL,
    batch BIGINT NOT NULL,
    time TEXT NOT NULL,
    terminal_totals TEXT NOT NULL,
    host_totals TEXT NOT NULL,
    balanced BOOLEAN NOT NULL
);
-- Each draw hands a node SEQ_BLOCK sequence numbers.
CREATE SEQUENCE tx_seq_block START WITH 0 MINVALUE 0;
",
    ),
    (
        2,
        "
-- The lockout's counts: a restart or another node does not forgive failures.
CREATE TABLE lockouts (
    terminal_id TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    locked_until BIGINT
);
",
    ),
    (
        3,
        "
-- The last accepted sign-in (time and STAN, as `columns::stamp_text` writes it): a recorded
-- sign-in replayed later rotates no keys.
ALTER TABLE sessions ADD COLUMN last_sign_in TEXT;
",
    ),
    (
        4,
        r#"
-- A posting in one round trip (`Ledger::post_decided`): the key, the original, the balance
-- and the record in one call. Its block with a handler is a subtransaction: a posting that
-- fails is undone alone and the group it is in goes on (what a savepoint per posting did,
-- at three round trips). Outcomes: 'posted', 'declined' (the original changed or the
-- balance spent since the host decided: recorded with p_decline instead), 'duplicate' (the
-- key taken, nothing written), 'failed' (error_state and error_message say why).
CREATE FUNCTION cardwire_post(
    p_seq BIGINT, p_terminal TEXT, p_batch BIGINT, p_stan BIGINT, p_type TEXT,
    p_response TEXT, p_amount BIGINT, p_fee BIGINT, p_delta BIGINT, p_cipher BYTEA,
    p_merchant_no TEXT, p_merchant_name TEXT, p_mcc TEXT, p_rrn TEXT, p_auth TEXT,
    p_time TEXT, p_orig_terminal TEXT, p_orig_batch BIGINT, p_orig_stan BIGINT,
    p_reversed BOOLEAN, p_voided BOOLEAN, p_completed BOOLEAN, p_refunded BIGINT,
    p_token BYTEA, p_display TEXT, p_change TEXT, p_change_amount BIGINT, p_decline TEXT,
    OUT outcome TEXT, OUT error_state TEXT, OUT error_message TEXT)
LANGUAGE plpgsql AS $fn$
DECLARE
    o transactions%ROWTYPE;
    allowed BOOLEAN := TRUE;
BEGIN
    BEGIN
        -- The key first: a request another node is posting now is waited for here, and is
        -- then a duplicate.
        INSERT INTO transactions (seq, terminal_id, batch, stan, type, response, amount, fee,
            balance_delta, card_cipher, merchant_no, merchant_name, mcc, rrn, auth_code, time,
            orig_terminal, orig_batch, orig_stan, reversed, voided, completed, refunded,
            card_token, card_display)
        VALUES (p_seq, p_terminal, p_batch, p_stan, p_type, p_response, p_amount, p_fee,
            p_delta, p_cipher, p_merchant_no, p_merchant_name, p_mcc, p_rrn, p_auth, p_time,
            p_orig_terminal, p_orig_batch, p_orig_stan, p_reversed, p_voided, p_completed,
            p_refunded, p_token, p_display)
        ON CONFLICT (terminal_id, batch, stan) DO NOTHING;
        IF NOT FOUND THEN
            outcome := 'duplicate';
            RETURN;
        END IF;
        -- The original locked, and the change judged on what is committed now: concurrent
        -- refunds never exceed the sale, an original is voided or completed once.
        IF p_change IS NOT NULL THEN
            SELECT * INTO o FROM transactions
             WHERE terminal_id = p_orig_terminal AND batch = p_orig_batch
               AND stan = p_orig_stan
             FOR UPDATE;
            IF NOT FOUND THEN
                RAISE EXCEPTION 'the original of a posting is missing';
            END IF;
            allowed := o.response = '00' AND NOT o.reversed AND NOT o.voided AND CASE p_change
                WHEN 'void' THEN TRUE
                WHEN 'complete' THEN NOT o.completed
                WHEN 'refund' THEN o.refunded + p_change_amount <= o.amount
            END;
            IF allowed IS NULL THEN
                RAISE EXCEPTION 'unknown change to an original: %', p_change;
            END IF;
        END IF;
        -- A debit only while the balance covers it, judged on the newest committed row.
        IF allowed AND p_delta <> 0 THEN
            UPDATE accounts SET balance = balance + p_delta
             WHERE card_token = p_token AND (p_delta > 0 OR balance + p_delta >= 0);
            IF NOT FOUND THEN
                PERFORM 1 FROM accounts WHERE card_token = p_token;
                IF NOT FOUND OR p_delta > 0 THEN
                    RAISE EXCEPTION 'no account for a posting';
                END IF;
                allowed := FALSE;
            END IF;
        END IF;
        IF NOT allowed THEN
            UPDATE transactions SET response = p_decline, fee = 0, balance_delta = 0,
                   auth_code = ''
             WHERE terminal_id = p_terminal AND batch = p_batch AND stan = p_stan;
            outcome := 'declined';
            RETURN;
        END IF;
        IF p_change IS NOT NULL THEN
            UPDATE transactions SET
                   voided = voided OR p_change = 'void',
                   completed = completed OR p_change = 'complete',
                   refunded = refunded
                       + CASE WHEN p_change = 'refund' THEN p_change_amount ELSE 0 END
             WHERE terminal_id = p_orig_terminal AND batch = p_orig_batch
               AND stan = p_orig_stan;
        END IF;
        outcome := 'posted';
    EXCEPTION WHEN OTHERS THEN
        outcome := 'failed';
        error_state := SQLSTATE;
        error_message := SQLERRM;
    END;
END;
$fn$;
"#,
    ),
    (
        5,
        "
-- The registry (merchants, terminals, cardholders, issuer keys) beside the ledger, so that
-- every node reads the operators' changes from here; the SQLite file's tables in this
-- dialect (`crate::store`). Keys are wrapped under the KEK in the `keys` table and columns.
CREATE TABLE merchants (
    merchant_no TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    mcc TEXT NOT NULL,
    fee_millionths BIGINT NOT NULL
);
CREATE TABLE terminals (
    terminal_id TEXT PRIMARY KEY,
    serial TEXT NOT NULL,
    tmk_wrapped BYTEA NOT NULL,
    activated BOOLEAN NOT NULL,
    merchant_no TEXT,
    pool TEXT NOT NULL,
    mac TEXT NOT NULL,
    tpdu TEXT NOT NULL,
    header TEXT NOT NULL,
    security_control TEXT NOT NULL,
    -- The master key's cipher ('tdes' or 'sm4'): how the unwrapped bytes are read.
    tmk_alg TEXT NOT NULL DEFAULT 'tdes'
);
CREATE TABLE device_keys (
    terminal_id TEXT PRIMARY KEY,
    public_key BYTEA NOT NULL
);
CREATE TABLE cardholders (
    card_token BYTEA PRIMARY KEY,
    card_display TEXT NOT NULL,
    card_cipher BYTEA NOT NULL,
    psn BIGINT NOT NULL,
    expiry TEXT NOT NULL,
    service_code TEXT NOT NULL,
    pvv TEXT NOT NULL,
    balance BIGINT NOT NULL
);
-- Raised in the same transaction as every registry change: a running node that sees it
-- move loads the registry again.
CREATE TABLE registry_version (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO registry_version (id, version) VALUES (1, 0);
CREATE TABLE issuer (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    imk_ac_wrapped BYTEA NOT NULL,
    pvk_wrapped BYTEA NOT NULL,
    pvki BIGINT NOT NULL,
    cdol1 BYTEA NOT NULL
);
-- The merchant platform's per-terminal, per-period reads (`crate::records`): the filters
-- and the daily sums come from the index; the key pages by (time, seq).
CREATE INDEX transactions_terminal_time ON transactions
    (terminal_id, time, seq, type, response, reversed, amount, fee);
",
    ),
];

/// How many sequence numbers a node takes from the database at a time.
const SEQ_BLOCK: u64 = 100;

/// The advisory lock nodes take to migrate one at a time ("cardwire" in ASCII).
const MIGRATION_LOCK: i64 = 0x6361_7264_7769_7265;

const COLUMNS: &str = "seq, terminal_id, batch, stan, type, response, amount, fee, balance_delta, \
    card_cipher, merchant_no, merchant_name, mcc, rrn, auth_code, time, orig_terminal, orig_batch, \
    orig_stan, reversed, voided, completed, refunded";

/// How a [`PgLedger`] connects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PgOptions {
    /// Giving up on connecting after this long (the request is then not answered).
    pub connect_timeout: Duration,
    /// A statement (a lock wait included) that takes longer is cancelled and its request not
    /// answered: a node never hangs on a database that stopped answering.
    pub statement_timeout: Duration,
}

impl Default for PgOptions {
    /// 2 s to connect, 5 s per statement.
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(2),
            statement_timeout: Duration::from_secs(5),
        }
    }
}

/// The error of a failed ledger `operation`, keeping PostgreSQL's error as the cause: a
/// server that cannot be reached, a key taken by another node and any other failure are
/// told apart.
fn pg(operation: &'static str) -> impl Fn(postgres::Error) -> Error {
    move |e| {
        let kind = match e.code() {
            Some(c) => failed_kind(c.code()),
            // No error from the server: the connection failed or closed (an I/O error).
            None => ErrorKind::LedgerUnavailable,
        };
        Error::new(kind).during(operation).caused_by(e)
    }
}

fn conflict(operation: &'static str) -> Error {
    Error::new(ErrorKind::Conflict).during(operation)
}

/// The statements a node runs for every request, prepared once per connection (a statement
/// prepared at each use would cost a round trip more).
struct Prepared {
    session: Statement,
    save_session: Statement,
    save_sign_in: Statement,
    balance: Statement,
    find: Statement,
    find_locked: Statement,
    by_seq: Statement,
    insert: Statement,
    debit: Statement,
    credit: Statement,
    set_state: Statement,
    reversal: Statement,
    seq_block: Statement,
    strikes: Statement,
    session_and_strikes: Statement,
    sessions_ahead: Statement,
    post_decided: Statement,
    take_pool_position: Statement,
    close_batch: Statement,
}

impl Prepared {
    fn new(c: &mut Client) -> core::result::Result<Self, postgres::Error> {
        let key = "terminal_id = $1 AND batch = $2 AND stan = $3";
        Ok(Self {
            session: c
                .prepare("SELECT field62, batch, pool_next, last_sign_in FROM sessions WHERE terminal_id = $1")?,
            save_session: c.prepare(
                "INSERT INTO sessions (terminal_id, field62, batch, pool_next, last_sign_in) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (terminal_id) DO UPDATE \
                 SET field62 = $2, batch = $3, pool_next = $4, last_sign_in = $5",
            )?,
            // The keys and the stamp alone of a session that exists: its batch may have been
            // closed by another node since the sign-in read it, and its pool moved on.
            save_sign_in: c.prepare(
                "INSERT INTO sessions (terminal_id, field62, batch, pool_next, last_sign_in) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (terminal_id) DO UPDATE \
                 SET field62 = EXCLUDED.field62, last_sign_in = EXCLUDED.last_sign_in \
                 RETURNING batch",
            )?,
            balance: c.prepare("SELECT balance FROM accounts WHERE card_token = $1")?,
            find: c.prepare(&alloc::format!(
                "SELECT {COLUMNS} FROM transactions WHERE {key}"
            ))?,
            find_locked: c.prepare(&alloc::format!(
                "SELECT {COLUMNS} FROM transactions WHERE {key} FOR UPDATE"
            ))?,
            by_seq: c.prepare(&alloc::format!(
                "SELECT {COLUMNS} FROM transactions WHERE seq = $1 AND rrn = $2"
            ))?,
            insert: c.prepare(&alloc::format!(
                "INSERT INTO transactions ({COLUMNS}, card_token, card_display) VALUES \
                 ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
                  $18, $19, $20, $21, $22, $23, $24, $25) \
                 ON CONFLICT (terminal_id, batch, stan) DO NOTHING"
            ))?,
            // A debit only while the balance covers it, judged on the newest committed row.
            debit: c.prepare(
                "UPDATE accounts SET balance = balance + $2 \
                 WHERE card_token = $1 AND balance + $2 >= 0",
            )?,
            credit: c
                .prepare("UPDATE accounts SET balance = balance + $2 WHERE card_token = $1")?,
            set_state: c.prepare(&alloc::format!(
                "UPDATE transactions SET reversed = $4, voided = $5, completed = $6, \
                 refunded = $7 WHERE {key}"
            ))?,
            reversal: c.prepare(
                "INSERT INTO reversals (terminal_id, batch, stan, outcome) VALUES ($1, $2, $3, $4)",
            )?,
            seq_block: c.prepare("SELECT nextval('tx_seq_block')")?,
            strikes: c
                .prepare("SELECT failures, locked_until FROM lockouts WHERE terminal_id = $1")?,
            // One row whether or not either exists.
            session_and_strikes: c.prepare(
                "SELECT s.field62, s.batch, s.pool_next, s.last_sign_in, \
                        l.failures, l.locked_until \
                 FROM (SELECT $1::text AS id) t \
                 LEFT JOIN sessions s ON s.terminal_id = t.id \
                 LEFT JOIN lockouts l ON l.terminal_id = t.id",
            )?,
            // The same columns for several terminals (ids last), one row each.
            sessions_ahead: c.prepare(
                "SELECT s.field62, s.batch, s.pool_next, s.last_sign_in, \
                        l.failures, l.locked_until, t.id \
                 FROM unnest($1::text[]) AS t(id) \
                 LEFT JOIN sessions s ON s.terminal_id = t.id \
                 LEFT JOIN lockouts l ON l.terminal_id = t.id",
            )?,
            post_decided: c.prepare(
                "SELECT outcome, error_state, error_message FROM cardwire_post(\
                 $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
                 $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28)",
            )?,
            // Read and advanced in one statement; the row stays locked until the commit, so a
            // node rotating the same terminal waits and takes the next position.
            take_pool_position: c.prepare(
                "UPDATE sessions SET pool_next = (pool_next + 1) % 4294967296 \
                 WHERE terminal_id = $1 RETURNING pool_next",
            )?,
            // The batch alone: a sign-in's keys, committed meanwhile by another node, stay.
            close_batch: c.prepare(
                "UPDATE sessions SET batch = $3 WHERE terminal_id = $1 AND batch = $2",
            )?,
        })
    }
}

/// A [`Ledger`] in PostgreSQL, shared by every host node connected to the same database.
///
/// ```no_run
/// use cardwire_acquirer::keystore::SoftwareKeyStore;
/// use cardwire_acquirer::ledger::{Ledger, PgLedger, PgOptions};
///
/// let keys = SoftwareKeyStore::new([7; 32]);
/// let mut ledger =
///     PgLedger::connect("postgres://cardwire@db.internal/cardwire", PgOptions::default(), &keys)?;
/// ledger.open_account("acct-1", 50_000)?;
/// assert_eq!(ledger.balance("acct-1")?, Some(50_000));
/// # Ok::<(), cardwire_acquirer::Error>(())
/// ```
pub struct PgLedger {
    config: postgres::Config,
    options: PgOptions,
    conn: Option<(Client, Prepared)>,
    card: CardDataKey,
    in_group: bool,
    /// The sequence numbers drawn and not used yet: `next..end`.
    seq: (u64, u64),
    /// Sessions and lockout counts read ahead for the group ([`Ledger::read_ahead`]).
    ahead: BTreeMap<String, SessionAndStrikes>,
}

/// A terminal's session and lockout count as one read found them.
type SessionAndStrikes = (Option<TerminalSession>, Option<Strikes>);

impl core::fmt::Debug for PgLedger {
    // The URL may carry a password: it stays out.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PgLedger")
            .field("connected", &self.conn.is_some())
            .field("in_group", &self.in_group)
            .finish_non_exhaustive()
    }
}

/// Reads a record from a row selected with [`COLUMNS`], decrypting its card number.
fn record(row: &Row, card: &CardDataKey) -> Result<TxRecord> {
    let bad = |what: &'static str| Error::new(ErrorKind::LedgerCorrupt).during(what);
    let get = |e: postgres::Error| pg("reading a transaction")(e);
    let u32_of = |i: usize| -> Result<u32> {
        u32::try_from(row.try_get::<_, i64>(i).map_err(get)?).map_err(|_| bad("reading a number"))
    };
    let u64_of = |i: usize| -> Result<u64> {
        u64::try_from(row.try_get::<_, i64>(i).map_err(get)?).map_err(|_| bad("reading a number"))
    };
    let text = |i: usize| -> Result<String> { row.try_get::<_, String>(i).map_err(get) };
    let flag = |i: usize| -> Result<bool> { row.try_get::<_, bool>(i).map_err(get) };
    let transaction = Transaction::financial_from_type_code(&text(4)?)
        .ok_or_else(|| bad("reading a transaction type"))?;
    let response = match row.try_get::<_, Option<String>>(5).map_err(get)? {
        Some(r) => Some(ResponseCode::parse(&r).ok_or_else(|| bad("reading a response code"))?),
        None => None,
    };
    let time = DateTime::parse(&text(15)?).ok_or_else(|| bad("reading a time"))?;
    let original = match row.try_get::<_, Option<String>>(16).map_err(get)? {
        Some(terminal_id) => Some(TxKey {
            terminal_id,
            batch: u32_of(17)?,
            stan: u32_of(18)?,
        }),
        None => None,
    };
    Ok(TxRecord {
        seq: u64_of(0)?,
        key: TxKey {
            terminal_id: text(1)?,
            batch: u32_of(2)?,
            stan: u32_of(3)?,
        },
        transaction,
        response,
        amount: u64_of(6)?,
        fee: row.try_get(7).map_err(get)?,
        balance_delta: row.try_get(8).map_err(get)?,
        account: match row.try_get::<_, Option<Vec<u8>>>(9).map_err(get)? {
            Some(sealed) => card.open(&sealed)?,
            None => String::new(),
        },
        merchant_no: text(10)?,
        merchant_name: text(11)?,
        mcc: text(12)?,
        rrn: text(13)?,
        auth_code: text(14)?,
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

fn key_params(key: &TxKey) -> (&str, i64, i64) {
    (
        key.terminal_id.as_str(),
        i64::from(key.batch),
        i64::from(key.stan),
    )
}

/// Connects, sets the session's limits and prepares the statements.
fn open(config: &postgres::Config, options: PgOptions) -> Result<(Client, Prepared)> {
    let mut client = connect_raw(config, options)?;
    let prepared = Prepared::new(&mut client).map_err(pg("preparing the ledger's statements"))?;
    Ok((client, prepared))
}

/// Connects and sets the session's limits.
fn connect_raw(config: &postgres::Config, options: PgOptions) -> Result<Client> {
    let mut config = config.clone();
    config.connect_timeout(options.connect_timeout);
    let mut client = config
        .connect(NoTls)
        .map_err(pg("connecting to the ledger"))?;
    let ms = options.statement_timeout.as_millis();
    client
        .batch_execute(&alloc::format!(
            "SET statement_timeout = {ms}; SET lock_timeout = {ms}; \
             SET default_transaction_isolation = 'read committed'"
        ))
        .map_err(pg("setting up the ledger connection"))?;
    Ok(client)
}

/// Applies the steps of [`MIGRATIONS`] the database does not have yet, one transaction each,
/// under an advisory lock (another node migrating at the same time waits, then finds them
/// applied). Returns the versions applied.
fn migrate_on(client: &mut Client) -> Result<Vec<i32>> {
    let failed = pg("migrating the ledger's schema");
    client
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                version INTEGER PRIMARY KEY,
                applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
            )",
        )
        // Two nodes creating it at once: the loser's error is the table the winner made.
        .or_else(|e| match e.code() {
            Some(c) if *c == SqlState::UNIQUE_VIOLATION || *c == SqlState::DUPLICATE_TABLE => {
                Ok(())
            }
            _ => Err(e),
        })
        .map_err(&failed)?;
    let mut applied = Vec::new();
    let mut tx = client.transaction().map_err(&failed)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .map_err(&failed)?;
    let have: Vec<i32> = tx
        .query("SELECT version FROM schema_migrations", &[])
        .map_err(&failed)?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<core::result::Result<_, _>>()
        .map_err(&failed)?;
    for &(version, sql) in MIGRATIONS {
        if have.contains(&version) {
            continue;
        }
        tx.batch_execute(sql).map_err(&failed)?;
        tx.execute(
            "INSERT INTO schema_migrations (version) VALUES ($1)",
            &[&version],
        )
        .map_err(&failed)?;
        applied.push(version);
    }
    tx.commit().map_err(&failed)?;
    Ok(applied)
}

/// The card-data key stored (wrapped) in this database, made and stored on first use; of
/// two nodes making it at once, the second reads the first's.
fn card_data_key(client: &mut Client, keys: &dyn KeyStore) -> Result<CardDataKey> {
    let read = |client: &mut Client| -> Result<Option<Vec<u8>>> {
        client
            .query_opt(
                "SELECT wrapped FROM keys WHERE name = $1",
                &[&crate::keystore::CARD_DATA_LABEL],
            )
            .map_err(pg("reading the card-data key"))?
            .map(|row| row.try_get(0).map_err(pg("reading the card-data key")))
            .transpose()
    };
    if let Some(wrapped) = read(client)? {
        return CardDataKey::unwrap_from(keys, &wrapped);
    }
    let (key, wrapped) = CardDataKey::generate(keys)?;
    let stored = client
        .execute(
            "INSERT INTO keys (name, wrapped) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
            &[&crate::keystore::CARD_DATA_LABEL, &wrapped],
        )
        .map_err(pg("storing the card-data key"))?;
    if stored == 1 {
        return Ok(key);
    }
    let wrapped =
        read(client)?.ok_or(Error::new(ErrorKind::Ledger).during("storing the card-data key"))?;
    CardDataKey::unwrap_from(keys, &wrapped)
}

impl PgLedger {
    /// Connects to the database at `url` (`postgres://user@host:port/db`, or a
    /// `key=value` string), applies the schema migrations it lacks, and reads its card-data
    /// key unwrapped under `keys` (made and stored wrapped, for a new database).
    ///
    /// # Errors
    /// [`ErrorKind::Config`] for a URL that does not parse, [`ErrorKind::LedgerUnavailable`]
    /// when the server cannot be reached, [`ErrorKind::KeyStore`] when the stored card-data
    /// key does not unwrap under `keys`, [`ErrorKind::Ledger`] otherwise; the error's source
    /// is PostgreSQL's.
    pub fn connect(url: &str, options: PgOptions, keys: &dyn KeyStore) -> Result<Self> {
        let config = postgres::Config::from_str(url).map_err(|e| {
            Error::new(ErrorKind::Config)
                .during("reading the ledger's URL")
                .caused_by(e)
        })?;
        let mut client = connect_raw(&config, options)?;
        migrate_on(&mut client)?;
        let card = card_data_key(&mut client, keys)?;
        // The statements are prepared once the schema exists.
        let prepared =
            Prepared::new(&mut client).map_err(pg("preparing the ledger's statements"))?;
        Ok(Self {
            config,
            options,
            conn: Some((client, prepared)),
            card,
            in_group: false,
            seq: (0, 0),
            ahead: BTreeMap::new(),
        })
    }

    /// Applies the schema migrations the database at `url` lacks; returns the versions
    /// applied (none when it was up to date).
    ///
    /// # Errors
    /// As [`PgLedger::connect`].
    pub fn migrate(url: &str, options: PgOptions) -> Result<Vec<i32>> {
        let config = postgres::Config::from_str(url).map_err(|e| {
            Error::new(ErrorKind::Config)
                .during("reading the ledger's URL")
                .caused_by(e)
        })?;
        migrate_on(&mut connect_raw(&config, options)?)
    }

    /// A session's columns: field 62 sealed under the card-data key (as in the SQLite
    /// ledger), batch, pool position, the sign-in's stamp.
    fn session_params(
        &self,
        terminal_id: &str,
        session: &TerminalSession,
    ) -> Result<(Vec<u8>, i64, i64, Option<String>)> {
        let sealed = if session.field62.is_empty() {
            Vec::new()
        } else {
            self.card
                .seal_bytes(&field62_label(terminal_id), &session.field62)?
        };
        let stamp = session
            .last_sign_in
            .as_ref()
            .map(super::columns::stamp_text);
        Ok((
            sealed,
            i64::from(session.batch),
            i64::from(session.pool_next),
            stamp,
        ))
    }

    /// The key that protects the card numbers of this database.
    pub fn card_key(&self) -> &CardDataKey {
        &self.card
    }

    /// The connection, made again when the last one was lost (outside a group only: a
    /// group's transaction died with its connection, and the group fails whole).
    fn conn(&mut self) -> Result<(&mut Client, &Prepared)> {
        let lost = self.conn.as_ref().is_none_or(|(c, _)| c.is_closed());
        if lost {
            self.conn = None;
            self.ahead.clear();
            if self.in_group {
                return Err(Error::new(ErrorKind::LedgerUnavailable)
                    .during("reaching the ledger in a group"));
            }
            self.conn = Some(open(&self.config, self.options)?);
        }
        match self.conn.as_mut() {
            Some((c, p)) => Ok((c, &*p)),
            None => Err(Error::new(ErrorKind::LedgerUnavailable).during("reaching the ledger")),
        }
    }

    /// Runs `work` as one all-or-nothing unit: a savepoint inside a group, else its own
    /// transaction. On error the unit is rolled back and the group goes on.
    fn unit<T>(
        &mut self,
        work: impl FnOnce(&mut Client, &Prepared, &CardDataKey) -> Result<T>,
    ) -> Result<T> {
        let in_group = self.in_group;
        let card = self.card.clone();
        let (client, prepared) = self.conn()?;
        let start = if in_group { "SAVEPOINT unit" } else { "BEGIN" };
        client
            .batch_execute(start)
            .map_err(pg("starting a ledger transaction"))?;
        match work(client, prepared, &card) {
            Ok(v) => {
                if !in_group {
                    client.batch_execute("COMMIT").map_err(pg("committing"))?;
                }
                Ok(v)
            }
            Err(e) => {
                let undo = if in_group {
                    "ROLLBACK TO SAVEPOINT unit"
                } else {
                    "ROLLBACK"
                };
                // A connection lost meanwhile rolled back by itself.
                let _ = client.batch_execute(undo);
                Err(e)
            }
        }
    }

    fn select_all(
        &mut self,
        filter: &str,
        params: &[&(dyn postgres::types::ToSql + Sync)],
        each: &mut dyn FnMut(&TxRecord) -> Result<()>,
    ) -> Result<()> {
        let card = self.card.clone();
        let (client, _) = self.conn()?;
        let sql = alloc::format!("SELECT {COLUMNS} FROM transactions {filter} ORDER BY seq");
        let rows = client
            .query(sql.as_str(), params)
            .map_err(pg("reading transactions"))?;
        for row in &rows {
            each(&record(row, &card)?)?;
        }
        Ok(())
    }
}

fn find(
    c: &mut Client,
    statement: &Statement,
    card: &CardDataKey,
    key: &TxKey,
) -> Result<Option<TxRecord>> {
    let (t, b, n) = key_params(key);
    c.query_opt(statement, &[&t, &b, &n])
        .map_err(pg("reading a transaction"))?
        .map(|row| record(&row, card))
        .transpose()
}

/// A record's columns as the statements `insert` and `post_decided` take them, in the
/// order of both: the card number as token, display form and ciphertext, never in clear.
struct RecordColumns<'r> {
    key: (&'r str, i64, i64),
    type_code: &'r str,
    response: Option<String>,
    amount: i64,
    sealed: Option<Vec<u8>>,
    time: String,
    original: (Option<&'r str>, Option<i64>, Option<i64>),
    seq: i64,
    refunded: i64,
    token: Option<Vec<u8>>,
    display: String,
    r: &'r TxRecord,
}

impl<'r> RecordColumns<'r> {
    fn of(card: &CardDataKey, r: &'r TxRecord) -> Result<Self> {
        let original = match &r.original {
            Some(k) => {
                let (t, b, s) = key_params(k);
                (Some(t), Some(b), Some(s))
            }
            None => (None, None, None),
        };
        let (token, display, sealed) = card_columns(card, &r.account)?;
        Ok(Self {
            key: key_params(&r.key),
            type_code: r.transaction.codes().type_code,
            response: response_text(r.response),
            amount: to_i64(r.amount)?,
            sealed,
            time: alloc::format!("{}", r.time),
            original,
            seq: to_i64(r.seq)?,
            refunded: to_i64(r.state.refunded)?,
            token: token.map(|t| t.to_vec()),
            display,
            r,
        })
    }

    /// The 25 parameters `$1`–`$25`.
    fn params(&self) -> [&(dyn postgres::types::ToSql + Sync); 25] {
        let r = self.r;
        [
            &self.seq,
            &self.key.0,
            &self.key.1,
            &self.key.2,
            &self.type_code,
            &self.response,
            &self.amount,
            &r.fee,
            &r.balance_delta,
            &self.sealed,
            &r.merchant_no,
            &r.merchant_name,
            &r.mcc,
            &r.rrn,
            &r.auth_code,
            &self.time,
            &self.original.0,
            &self.original.1,
            &self.original.2,
            &r.state.reversed,
            &r.state.voided,
            &r.state.completed,
            &self.refunded,
            &self.token,
            &self.display,
        ]
    }
}

/// Inserts `r`; `false` when its key is taken (by a commit of another node, or by one this
/// insert waited for).
fn insert(c: &mut Client, p: &Prepared, card: &CardDataKey, r: &TxRecord) -> Result<bool> {
    let columns = RecordColumns::of(card, r)?;
    let n = c
        .execute(&p.insert, &columns.params())
        .map_err(pg("recording a transaction"))?;
    Ok(n == 1)
}

/// Applies `delta` to the account; a debit the balance no longer covers is a conflict.
fn adjust(
    c: &mut Client,
    p: &Prepared,
    card: &CardDataKey,
    account: &str,
    delta: i64,
) -> Result<()> {
    if delta == 0 {
        return Ok(());
    }
    let token = card.token(account)?.to_vec();
    let statement = if delta < 0 { &p.debit } else { &p.credit };
    let changed = c
        .execute(statement, &[&token, &delta])
        .map_err(pg("changing a balance"))?;
    match changed {
        1 => Ok(()),
        _ if delta < 0 => Err(conflict("debiting a balance")),
        _ => Err(Error::new(ErrorKind::Ledger).during("changing a balance")),
    }
}

fn set_state(c: &mut Client, p: &Prepared, key: &TxKey, s: &TxState) -> Result<()> {
    let (t, b, n) = key_params(key);
    let refunded = to_i64(s.refunded)?;
    c.execute(
        &p.set_state,
        &[&t, &b, &n, &s.reversed, &s.voided, &s.completed, &refunded],
    )
    .map_err(pg("changing a transaction"))?;
    Ok(())
}

/// Whether `change` may still be made to `original` as committed now: it is live, not voided
/// or completed already, and a refund stays within what is left of it.
fn still_allowed(original: &TxRecord, change: OriginalChange) -> bool {
    let s = original.state;
    original.is_live()
        && !s.voided
        && match change {
            OriginalChange::Void => true,
            OriginalChange::Complete => !s.completed,
            OriginalChange::Refund(amount) => s
                .refunded
                .checked_add(amount)
                .is_some_and(|total| total <= original.amount),
        }
}

impl Ledger for PgLedger {
    fn session(&mut self, terminal_id: &str) -> Result<Option<TerminalSession>> {
        let card = self.card.clone();
        let (client, p) = self.conn()?;
        let Some(row) = client
            .query_opt(&p.session, &[&terminal_id])
            .map_err(pg("reading a terminal session"))?
        else {
            return Ok(None);
        };
        session_of(&row, &card, terminal_id)
    }

    fn session_and_strikes(&mut self, terminal_id: &str) -> Result<SessionAndStrikes> {
        if let Some(read) = self.ahead.remove(terminal_id) {
            return Ok(read);
        }
        let card = self.card.clone();
        let (client, p) = self.conn()?;
        let row = client
            .query_one(&p.session_and_strikes, &[&terminal_id])
            .map_err(pg("reading a terminal session"))?;
        session_and_strikes_of(&row, &card, terminal_id)
    }

    fn read_ahead(&mut self, terminal_ids: &[&str]) -> Result<()> {
        self.ahead.clear();
        if terminal_ids.is_empty() {
            return Ok(());
        }
        let card = self.card.clone();
        let (client, p) = self.conn()?;
        let rows = client
            .query(&p.sessions_ahead, &[&terminal_ids])
            .map_err(pg("reading terminal sessions ahead"))?;
        for row in &rows {
            let id: String = row
                .try_get(6)
                .map_err(pg("reading terminal sessions ahead"))?;
            let read = session_and_strikes_of(row, &card, &id)?;
            self.ahead.insert(id, read);
        }
        Ok(())
    }

    fn post_decided(&mut self, posting: &Posting, decline: ResponseCode) -> Result<Posted> {
        let card = self.card.clone();
        let (change, change_amount) = match posting.change {
            None => (None, 0),
            Some(OriginalChange::Void) => (Some("void"), 0),
            Some(OriginalChange::Complete) => (Some("complete"), 0),
            Some(OriginalChange::Refund(a)) => (Some("refund"), to_i64(a)?),
        };
        let columns = RecordColumns::of(&card, &posting.record)?;
        let decline = response_text(Some(decline));
        let mut params = Vec::with_capacity(28);
        params.extend_from_slice(&columns.params());
        params.extend_from_slice(&[
            &change as &(dyn postgres::types::ToSql + Sync),
            &change_amount,
            &decline,
        ]);
        let (client, p) = self.conn()?;
        // One statement: inside a group it is isolated by the function's own handler, outside
        // one it is its own transaction.
        let row = client
            .query_one(&p.post_decided, &params)
            .map_err(pg("posting"))?;
        let get = pg("posting");
        let outcome: String = row.try_get(0).map_err(&get)?;
        match outcome.as_str() {
            "posted" => Ok(Posted::AsDecided),
            "declined" => Ok(Posted::Declined),
            "duplicate" => Ok(Posted::Duplicate),
            _ => {
                let state: Option<String> = row.try_get(1).map_err(&get)?;
                let message: Option<String> = row.try_get(2).map_err(&get)?;
                let state = state.unwrap_or_default();
                Err(Error::new(failed_kind(&state))
                    .during("posting")
                    .about(alloc::format!("{state}: {}", message.unwrap_or_default())))
            }
        }
    }

    fn take_pool_position(&mut self, terminal_id: &str) -> Result<Option<u32>> {
        self.ahead.remove(terminal_id);
        let (client, p) = self.conn()?;
        let get = pg("taking a merchant-number pool position");
        let next: i64 = client
            .query_opt(&p.take_pool_position, &[&terminal_id])
            .map_err(&get)?
            // A terminal rotates only once signed in: its session exists.
            .ok_or(
                Error::new(ErrorKind::Ledger)
                    .during("taking a merchant-number pool position")
                    .about(terminal_id),
            )?
            .try_get(0)
            .map_err(&get)?;
        let next = u32::try_from(next).map_err(|_| {
            Error::new(ErrorKind::LedgerCorrupt).during("taking a merchant-number pool position")
        })?;
        // The row holds the position after the one taken (counted modulo 2^32, as the host
        // counts).
        Ok(Some(next.wrapping_sub(1)))
    }

    fn close_batch(&mut self, terminal_id: &str, batch: u32, next: u32) -> Result<Option<bool>> {
        self.ahead.remove(terminal_id);
        let (client, p) = self.conn()?;
        let moved = client
            .execute(
                &p.close_batch,
                &[&terminal_id, &i64::from(batch), &i64::from(next)],
            )
            .map_err(pg("closing a batch"))?;
        Ok(Some(moved == 1))
    }

    fn save_session(&mut self, terminal_id: &str, session: &TerminalSession) -> Result<()> {
        self.ahead.remove(terminal_id);
        let (sealed, batch, pool_next, stamp) = self.session_params(terminal_id, session)?;
        let (client, p) = self.conn()?;
        client
            .execute(
                &p.save_session,
                &[&terminal_id, &sealed, &batch, &pool_next, &stamp],
            )
            .map_err(pg("saving a terminal session"))?;
        Ok(())
    }

    fn save_sign_in(&mut self, terminal_id: &str, session: &TerminalSession) -> Result<u32> {
        self.ahead.remove(terminal_id);
        let (sealed, batch, pool_next, stamp) = self.session_params(terminal_id, session)?;
        let (client, p) = self.conn()?;
        let get = pg("saving a sign-in");
        let batch: i64 = client
            .query_one(
                &p.save_sign_in,
                &[&terminal_id, &sealed, &batch, &pool_next, &stamp],
            )
            .and_then(|row| row.try_get(0))
            .map_err(&get)?;
        u32::try_from(batch)
            .map_err(|_| Error::new(ErrorKind::LedgerCorrupt).during("saving a sign-in"))
    }

    fn balance(&mut self, account: &str) -> Result<Option<i64>> {
        let token = self.card.token(account)?.to_vec();
        let (client, p) = self.conn()?;
        client
            .query_opt(&p.balance, &[&token])
            .map_err(pg("reading a balance"))?
            .map(|row| row.try_get(0).map_err(pg("reading a balance")))
            .transpose()
    }

    fn open_account(&mut self, account: &str, balance: i64) -> Result<()> {
        let token = self.card.token(account)?.to_vec();
        let (client, _) = self.conn()?;
        client
            .execute(
                "INSERT INTO accounts (card_token, balance) VALUES ($1, $2) \
                 ON CONFLICT (card_token) DO NOTHING",
                &[&token, &balance],
            )
            .map_err(pg("opening an account"))?;
        Ok(())
    }

    fn transaction(&mut self, key: &TxKey) -> Result<Option<TxRecord>> {
        let card = self.card.clone();
        let (client, p) = self.conn()?;
        find(client, &p.find, &card, key)
    }

    fn by_rrn(&mut self, rrn: &str) -> Result<Option<TxRecord>> {
        // The RRN is the sequence number: found through the primary key.
        let Ok(seq) = rrn.parse::<i64>() else {
            return Ok(None);
        };
        let card = self.card.clone();
        let (client, p) = self.conn()?;
        client
            .query_opt(&p.by_seq, &[&seq, &rrn])
            .map_err(pg("reading a transaction"))?
            .map(|row| record(&row, &card))
            .transpose()
    }

    fn last_seq(&mut self) -> Result<u64> {
        let (client, _) = self.conn()?;
        let v: Option<i64> = client
            .query_one("SELECT MAX(seq) FROM transactions", &[])
            .and_then(|row| row.try_get(0))
            .map_err(pg("reading the last sequence number"))?;
        v.map_or(Ok(0), |v| {
            u64::try_from(v).map_err(|_| {
                Error::new(ErrorKind::LedgerCorrupt).during("reading the last sequence number")
            })
        })
    }

    fn next_seq(&mut self) -> Result<Option<u64>> {
        let (next, end) = self.seq;
        if next < end {
            self.seq.0 = next + 1;
            return Ok(Some(next));
        }
        let (client, p) = self.conn()?;
        // `nextval` is outside transactions: a block drawn is never handed out again, even
        // when the group that drew it rolls back.
        let block: i64 = client
            .query_one(&p.seq_block, &[])
            .and_then(|row| row.try_get(0))
            .map_err(pg("drawing sequence numbers"))?;
        let block = u64::try_from(block)
            .map_err(|_| Error::new(ErrorKind::LedgerCorrupt).during("drawing sequence numbers"))?;
        // Numbers start at 1: block b holds b*SEQ_BLOCK+1 ..= (b+1)*SEQ_BLOCK.
        let first = block
            .checked_mul(SEQ_BLOCK)
            .and_then(|v| v.checked_add(1))
            .ok_or(Error::new(ErrorKind::Ledger).during("drawing sequence numbers"))?;
        self.seq = (first + 1, first + SEQ_BLOCK);
        Ok(Some(first))
    }

    fn shared(&self) -> bool {
        true
    }

    fn post(&mut self, posting: &Posting) -> Result<()> {
        let r = &posting.record;
        self.unit(|c, p, card| {
            // The key first: a request another node is posting now is waited for here, and
            // is then a duplicate.
            if !insert(c, p, card, r)? {
                return Err(conflict("posting"));
            }
            if let (Some(key), Some(change)) = (&r.original, posting.change) {
                let original = find(c, &p.find_locked, card, key)?
                    .ok_or(Error::new(ErrorKind::Ledger).during("posting"))?;
                if !still_allowed(&original, change) {
                    return Err(conflict("changing an original"));
                }
                let mut state = original.state;
                change_state(&mut state, change, false)?;
                set_state(c, p, key, &state)?;
            }
            adjust(c, p, card, &r.account, r.balance_delta)
        })
    }

    fn reverse(&mut self, key: &TxKey, mark: &TxRecord) -> Result<Reversed> {
        self.unit(|c, p, card| {
            // Twice at most: a mark whose key was taken meanwhile (the original, committed
            // by another node while this looked) sends it back to reverse that original.
            let mut outcome = None;
            for _ in 0..2 {
                let Some(r) = find(c, &p.find_locked, card, key)? else {
                    if insert(c, p, card, mark)? {
                        outcome = Some(Reversed::NeverSeen);
                        break;
                    }
                    continue;
                };
                outcome = Some(if !r.is_live() {
                    Reversed::AlreadyDone
                } else if r.state.has_dependents() {
                    Reversed::Refused
                } else {
                    if let (Some(okey), Some(change)) = (&r.original, change_of(&r)) {
                        let mut state = find(c, &p.find_locked, card, okey)?
                            .ok_or(Error::new(ErrorKind::Ledger).during("reversing"))?
                            .state;
                        change_state(&mut state, change, true)?;
                        set_state(c, p, okey, &state)?;
                    }
                    let back = r
                        .balance_delta
                        .checked_neg()
                        .ok_or(Error::new(ErrorKind::Ledger).during("reversing"))?;
                    adjust(c, p, card, &r.account, back)?;
                    let mut state = r.state;
                    state.reversed = true;
                    set_state(c, p, key, &state)?;
                    Reversed::Undone
                });
                break;
            }
            let outcome = outcome.ok_or(conflict("reversing"))?;
            let (t, b, n) = key_params(key);
            c.execute(&p.reversal, &[&t, &b, &n, &outcome_text(outcome)])
                .map_err(pg("reversing"))?;
            Ok(outcome)
        })
    }

    fn batch(&mut self, terminal_id: &str, batch: u32) -> Result<Vec<TxRecord>> {
        let mut out = Vec::new();
        let batch = i64::from(batch);
        self.select_all(
            "WHERE terminal_id = $1 AND batch = $2",
            &[&terminal_id, &batch],
            &mut |r| {
                out.push(r.clone());
                Ok(())
            },
        )?;
        Ok(out)
    }

    fn settle(&mut self, s: &SettlementRecord) -> Result<()> {
        let (client, _) = self.conn()?;
        client
            .execute(
                "INSERT INTO settlements (terminal_id, batch, time, terminal_totals, \
                 host_totals, balanced) VALUES ($1, $2, $3, $4, $5, $6)",
                &[
                    &s.terminal_id,
                    &i64::from(s.batch),
                    &alloc::format!("{}", s.time),
                    &totals_text(&s.terminal),
                    &totals_text(&s.host),
                    &s.balanced,
                ],
            )
            .map_err(pg("recording a settlement"))?;
        Ok(())
    }

    fn settlements(&mut self) -> Result<Vec<SettlementRecord>> {
        let (client, _) = self.conn()?;
        let rows = client
            .query(
                "SELECT terminal_id, batch, time, terminal_totals, host_totals, balanced \
                 FROM settlements ORDER BY id",
                &[],
            )
            .map_err(pg("reading the settlements"))?;
        let get = pg("reading the settlements");
        let bad = || Error::new(ErrorKind::LedgerCorrupt).during("reading the settlements");
        rows.iter()
            .map(|row| {
                let text = |i: usize| row.try_get::<_, String>(i).map_err(&get);
                Ok(SettlementRecord {
                    terminal_id: text(0)?,
                    batch: u32::try_from(row.try_get::<_, i64>(1).map_err(&get)?)
                        .map_err(|_| bad())?,
                    time: DateTime::parse(&text(2)?).ok_or_else(bad)?,
                    terminal: parse_totals(&text(3)?).ok_or_else(bad)?,
                    host: parse_totals(&text(4)?).ok_or_else(bad)?,
                    balanced: row.try_get(5).map_err(&get)?,
                })
            })
            .collect()
    }

    fn for_each(&mut self, each: &mut dyn FnMut(&TxRecord) -> Result<()>) -> Result<()> {
        self.select_all("", &[], each)
    }

    fn strikes(&mut self, terminal_id: &str) -> Result<Option<Strikes>> {
        let (client, p) = self.conn()?;
        let row = client
            .query_opt(&p.strikes, &[&terminal_id])
            .map_err(pg("reading a lockout"))?;
        row.map_or(Ok(None), |row| strikes_of(&row, 0))
    }

    fn add_strike(&mut self, terminal_id: &str) -> Result<u32> {
        self.ahead.remove(terminal_id);
        let (client, _) = self.conn()?;
        let get = pg("counting a failure");
        let failures: i32 = client
            .query_one(
                "INSERT INTO lockouts (terminal_id, failures) VALUES ($1, 1) \
                 ON CONFLICT (terminal_id) DO UPDATE SET failures = lockouts.failures + 1 \
                 RETURNING failures",
                &[&terminal_id],
            )
            .and_then(|row| row.try_get(0))
            .map_err(&get)?;
        u32::try_from(failures)
            .map_err(|_| Error::new(ErrorKind::LedgerCorrupt).during("counting a failure"))
    }

    fn lock_out(&mut self, terminal_id: &str, until: i64) -> Result<()> {
        self.ahead.remove(terminal_id);
        let (client, _) = self.conn()?;
        client
            .execute(
                "UPDATE lockouts SET locked_until = $2 WHERE terminal_id = $1",
                &[&terminal_id, &until],
            )
            .map_err(pg("locking a terminal out"))?;
        Ok(())
    }

    fn clear_strikes(&mut self, terminal_id: &str) -> Result<()> {
        self.ahead.remove(terminal_id);
        let (client, _) = self.conn()?;
        client
            .execute(
                "DELETE FROM lockouts WHERE terminal_id = $1",
                &[&terminal_id],
            )
            .map_err(pg("clearing a lockout"))?;
        Ok(())
    }

    fn begin_group(&mut self) -> Result<()> {
        self.ahead.clear();
        if !self.in_group {
            let (client, _) = self.conn()?;
            client
                .batch_execute("BEGIN")
                .map_err(pg("beginning a group commit"))?;
            self.in_group = true;
        }
        Ok(())
    }

    fn commit_group(&mut self) -> Result<()> {
        self.ahead.clear();
        if !self.in_group {
            return Ok(());
        }
        self.in_group = false;
        let Some((client, _)) = self.conn.as_mut() else {
            return Err(Error::new(ErrorKind::LedgerUnavailable).during("committing a group"));
        };
        // A statement of the group that failed outside a savepoint (a read) left the
        // transaction aborted, and PostgreSQL answers COMMIT to an aborted transaction by
        // rolling it back without an error: a probe first, which fails then.
        // Probe and commit in one round trip: a failing probe skips the COMMIT after it.
        if let Err(e) = client.batch_execute("SELECT 1; COMMIT") {
            let _ = client.batch_execute("ROLLBACK");
            return Err(pg("committing a group")(e));
        }
        Ok(())
    }
}

/// Reads a session from the first four columns of `row` (field 62, batch, pool position,
/// last sign-in), opening field 62 under the card-data key.
fn session_of(row: &Row, card: &CardDataKey, terminal_id: &str) -> Result<Option<TerminalSession>> {
    let get = pg("reading a terminal session");
    let sealed: Vec<u8> = row.try_get(0).map_err(&get)?;
    let number = |i: usize| -> Result<u32> {
        u32::try_from(row.try_get::<_, i64>(i).map_err(&get)?)
            .map_err(|_| Error::new(ErrorKind::LedgerCorrupt).during("reading a terminal session"))
    };
    let stamp: Option<String> = row.try_get(3).map_err(&get)?;
    let last_sign_in = match stamp {
        // A stamp that does not read would let any recorded sign-in through.
        Some(text) => Some(super::columns::parse_stamp(&text).ok_or_else(|| {
            Error::new(ErrorKind::LedgerCorrupt)
                .during("reading a terminal session's last sign-in")
                .about(terminal_id)
        })?),
        None => None,
    };
    let mut session = TerminalSession {
        field62: Vec::new(),
        batch: number(1)?,
        pool_next: number(2)?,
        last_sign_in,
    };
    if !sealed.is_empty() {
        session.field62 = card
            .open_bytes(&field62_label(terminal_id), &sealed)?
            .to_vec();
    }
    Ok(Some(session))
}

/// Reads a session and a lockout count from the columns `session_and_strikes` selects: the
/// session's first (NULL when the terminal never signed in), the count's at 4 and 5.
fn session_and_strikes_of(
    row: &Row,
    card: &CardDataKey,
    terminal_id: &str,
) -> Result<SessionAndStrikes> {
    let signed_in = row
        .try_get::<_, Option<i64>>(1)
        .map_err(pg("reading a terminal session"))?
        .is_some();
    let session = if signed_in {
        session_of(row, card, terminal_id)?
    } else {
        None
    };
    Ok((session, strikes_of(row, 4)?))
}

/// Reads a lockout count from columns `at` (failures) and `at + 1` (locked until) of `row`;
/// `None` when there is none (NULL failures).
fn strikes_of(row: &Row, at: usize) -> Result<Option<Strikes>> {
    let get = pg("reading a lockout");
    let Some(failures) = row.try_get::<_, Option<i32>>(at).map_err(&get)? else {
        return Ok(None);
    };
    Ok(Some(Strikes {
        failures: u32::try_from(failures)
            .map_err(|_| Error::new(ErrorKind::LedgerCorrupt).during("reading a lockout"))?,
        locked_until: row.try_get(at + 1).map_err(&get)?,
    }))
}

/// The kind of a failure from its SQLSTATE: a key taken by another node, a server that
/// cannot be reached (or is shutting down), any other failure.
fn failed_kind(state: &str) -> ErrorKind {
    if state == SqlState::UNIQUE_VIOLATION.code() {
        ErrorKind::Conflict
    } else if state.starts_with("08") || state.starts_with("57P") {
        ErrorKind::LedgerUnavailable
    } else {
        ErrorKind::Ledger
    }
}
