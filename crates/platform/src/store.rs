//! The platform's own tables, in `platform.db` beside the acquirer's file: users, merchant
//! applications, sessions, login attempts, activation codes and terminal bindings.
//!
//! A file of its own because these rows change at every login and page view: kept apart,
//! web traffic never takes the write lock of the acquirer's ledger (which answers terminals),
//! and the ledger can move to another database without the platform's tables following it.
//! Nothing secret is stored in clear: passwords as argon2 hashes, session ids and
//! activation codes as SHA-256 hashes (both are 128+ bit random values, so a plain hash
//! suffices), the settlement account sealed under the key store and shown masked.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};

use crate::error::{Error, ErrorKind, Result};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY,
    login TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('merchant', 'operator')),
    created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS applications (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL UNIQUE REFERENCES users (id),
    business_name TEXT NOT NULL,
    business_type TEXT NOT NULL,
    mcc TEXT NOT NULL,
    region TEXT NOT NULL,
    account_masked TEXT NOT NULL,
    account_sealed BLOB NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
    reason TEXT,
    merchant_no TEXT UNIQUE,
    created TEXT NOT NULL,
    reviewed TEXT
);
CREATE TABLE IF NOT EXISTS sessions (
    id_hash BLOB PRIMARY KEY,
    user_id INTEGER REFERENCES users (id),
    csrf TEXT NOT NULL,
    expires INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS login_failures (
    key TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS login_failures_key ON login_failures (key, at);
CREATE TABLE IF NOT EXISTS activation_codes (
    terminal_id TEXT PRIMARY KEY,
    code_hash BLOB NOT NULL,
    issued TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS bindings (
    terminal_id TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id),
    since TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS secrets (
    name TEXT PRIMARY KEY,
    wrapped BLOB NOT NULL
);
";

fn db(during: &'static str) -> impl Fn(rusqlite::Error) -> Error {
    Error::with(ErrorKind::Database, during)
}

/// A user's role.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// A merchant: sees its own application, terminals and transactions.
    Merchant,
    /// An operator of the acquirer: reviews applications, sees every terminal and finding.
    Operator,
}

impl Role {
    fn name(self) -> &'static str {
        match self {
            Self::Merchant => "merchant",
            Self::Operator => "operator",
        }
    }
}

/// A user row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    /// Its id.
    pub id: i64,
    /// The e-mail address or phone number it signs in with.
    pub login: String,
    /// Its role.
    pub role: Role,
}

/// Where an application stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ApplicationStatus {
    /// Waiting for an operator.
    Pending,
    /// Approved: the merchant is in the acquirer's registry.
    Approved,
    /// Rejected, with a reason.
    Rejected,
}

/// A merchant's application.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Application {
    /// Its id.
    pub id: i64,
    /// The applicant.
    pub user_id: i64,
    /// The applicant's login (for the operator's list).
    pub login: String,
    /// The business name.
    pub business_name: String,
    /// The business type's key (see [`crate::forms::BUSINESS_TYPES`]).
    pub business_type: String,
    /// The MCC the business type claims.
    pub mcc: String,
    /// The 4-digit region code.
    pub region: String,
    /// The settlement account, masked.
    pub account_masked: String,
    /// Its status.
    pub status: ApplicationStatus,
    /// The reason of a rejection.
    pub reason: Option<String>,
    /// The merchant number assigned at approval.
    pub merchant_no: Option<String>,
    /// When it was filed.
    pub created: String,
}

/// A new application's fields, validated.
#[derive(Clone, Debug)]
pub struct NewApplication {
    /// The business name.
    pub business_name: String,
    /// The business type's key.
    pub business_type: String,
    /// Its MCC.
    pub mcc: String,
    /// The region code.
    pub region: String,
    /// The account, masked.
    pub account_masked: String,
    /// The account, sealed under the key store.
    pub account_sealed: Vec<u8>,
}

/// A terminal binding: which user's terminal it is, from when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Binding {
    /// Field 41.
    pub terminal_id: String,
    /// The user.
    pub user_id: i64,
    /// `YYYY-MM-DD hh:mm:ss` (the host's clock).
    pub since: String,
}

/// The platform database.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
}

const APPLICATION_COLUMNS: &str = "a.id, a.user_id, u.login, a.business_name, a.business_type, \
    a.mcc, a.region, a.account_masked, a.status, a.reason, a.merchant_no, a.created";

fn application(r: &rusqlite::Row<'_>) -> rusqlite::Result<Application> {
    let status: String = r.get(8)?;
    Ok(Application {
        id: r.get(0)?,
        user_id: r.get(1)?,
        login: r.get(2)?,
        business_name: r.get(3)?,
        business_type: r.get(4)?,
        mcc: r.get(5)?,
        region: r.get(6)?,
        account_masked: r.get(7)?,
        status: match status.as_str() {
            "pending" => ApplicationStatus::Pending,
            "approved" => ApplicationStatus::Approved,
            "rejected" => ApplicationStatus::Rejected,
            _ => {
                return Err(rusqlite::Error::InvalidColumnType(
                    8,
                    status,
                    rusqlite::types::Type::Text,
                ));
            }
        },
        reason: r.get(9)?,
        merchant_no: r.get(10)?,
        created: r.get(11)?,
    })
}

impl Store {
    /// Opens (or creates) `platform.db` at `path`.
    ///
    /// # Errors
    /// [`ErrorKind::Database`].
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let conn = Connection::open(path).map_err(db("opening the platform database"))?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(db("opening the platform database"))?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(db("opening the platform database"))?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(db("opening the platform database"))?;
        conn.execute_batch(SCHEMA)
            .map_err(db("creating the platform tables"))?;
        Ok(Self { conn })
    }

    /// A named secret, wrapped (the cookie key).
    ///
    /// # Errors
    /// [`ErrorKind::Database`].
    pub fn secret(&self, name: &str) -> Result<Option<Vec<u8>>> {
        self.conn
            .query_row("SELECT wrapped FROM secrets WHERE name = ?1", [name], |r| {
                r.get(0)
            })
            .optional()
            .map_err(db("reading a secret"))
    }

    /// Stores a named secret, wrapped.
    ///
    /// # Errors
    /// [`ErrorKind::Database`].
    pub fn put_secret(&self, name: &str, wrapped: &[u8]) -> Result<()> {
        self.conn
            .execute(
                "INSERT INTO secrets (name, wrapped) VALUES (?1, ?2)",
                params![name, wrapped],
            )
            .map_err(db("storing a secret"))?;
        Ok(())
    }

    /// Adds a user; `None` when the login is taken.
    ///
    /// # Errors
    /// [`ErrorKind::Database`].
    pub fn add_user(&self, login: &str, hash: &str, role: Role, now: &str) -> Result<Option<i64>> {
        let n = self
            .conn
            .execute(
                "INSERT OR IGNORE INTO users (login, password_hash, role, created) \
                 VALUES (?1, ?2, ?3, ?4)",
                params![login, hash, role.name(), now],
            )
            .map_err(db("adding a user"))?;
        Ok((n == 1).then(|| self.conn.last_insert_rowid()))
    }

    /// The user signing in as `login` and its password hash.
    ///
    /// # Errors
    /// [`ErrorKind::Database`].
    pub fn user_by_login(&self, login: &str) -> Result<Option<(User, String)>> {
        self.conn
            .query_row(
                "SELECT id, login, role, password_hash FROM users WHERE login = ?1",
                [login],
                |r| Ok((user(r)?, r.get(3)?)),
            )
            .optional()
            .map_err(db("reading a user"))
    }

    /// Opens a session (`user` `None`: a visitor not signed in) until `expires` (Unix time).
    ///
    /// # Errors
    /// [`ErrorKind::Database`].
    pub fn open_session(
        &self,
        id_hash: &[u8],
        user: Option<i64>,
        csrf: &str,
        expires: i64,
    ) -> Result<()> {
        self.conn
            .execute(
                "INSERT INTO sessions (id_hash, user_id, csrf, expires) VALUES (?1, ?2, ?3, ?4)",
                params![id_hash, user, csrf, expires],
            )
            .map_err(db("opening a session"))?;
        Ok(())
    }

    /// The session with this id hash, unexpired at `now`: its user (if signed in) and CSRF
    /// token.
    ///
    /// # Errors
    /// [`ErrorKind::Database`].
    pub fn session(&self, id_hash: &[u8], now: i64) -> Result<Option<(Option<User>, String)>> {
        self.conn
            .prepare_cached(
                "SELECT u.id, u.login, u.role, s.csrf FROM sessions s \
                 LEFT JOIN users u ON u.id = s.user_id WHERE s.id_hash = ?1 AND s.expires > ?2",
            )
            .and_then(|mut s| {
                s.query_row(params![id_hash, now], |r| {
                    let id: Option<i64> = r.get(0)?;
                    let u = match id {
                        Some(_) => Some(user(r)?),
                        None => None,
                    };
                    Ok((u, r.get(3)?))
                })
                .optional()
            })
            .map_err(db("reading a session"))
    }

    /// Ends a session.
    ///
    /// # Errors
    /// [`ErrorKind::Database`].
    pub fn close_session(&self, id_hash: &[u8]) -> Result<()> {
        self.conn
            .execute("DELETE FROM sessions WHERE id_hash = ?1", [id_hash])
            .map_err(db("closing a session"))?;
        Ok(())
    }

    /// Forgets expired sessions and login failures older than `failures_before`.
    ///
    /// # Errors
    /// [`ErrorKind::Database`].
    pub fn sweep(&self, now: i64, failures_before: i64) -> Result<()> {
        self.conn
            .execute("DELETE FROM sessions WHERE expires <= ?1", [now])
            .map_err(db("forgetting expired sessions"))?;
        self.conn
            .execute(
                "DELETE FROM login_failures WHERE at < ?1",
                [failures_before],
            )
            .map_err(db("forgetting old login failures"))?;
        Ok(())
    }

    /// Records a failed login under `key` (a login name or a client address).
    ///
    /// # Errors
    /// [`ErrorKind::Database`].
    pub fn login_failed(&self, key: &str, at: i64) -> Result<()> {
        self.conn
            .execute(
                "INSERT INTO login_failures (key, at) VALUES (?1, ?2)",
                params![key, at],
            )
            .map_err(db("recording a failed login"))?;
        Ok(())
    }

    /// Failed logins under `key` since `since`.
    ///
    /// # Errors
    /// [`ErrorKind::Database`].
    pub fn failures(&self, key: &str, since: i64) -> Result<u32> {
        self.conn
            .query_row(
                "SELECT COUNT(*) FROM login_failures WHERE key = ?1 AND at >= ?2",
                params![key, since],
                |r| r.get(0),
            )
            .map_err(db("counting failed logins"))
    }

    /// Files an application for `user`; `false` when it has one already.
    ///
    /// # Errors
    /// [`ErrorKind::Database`].
    pub fn apply(&self, user: i64, a: &NewApplication, now: &str) -> Result<bool> {
        let n = self
            .conn
            .execute(
                "INSERT OR IGNORE INTO applications (user_id, business_name, business_type, mcc, \
                 region, account_masked, account_sealed, status, created) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'pending', ?8)",
                params![
                    user,
                    a.business_name,
                    a.business_type,
                    a.mcc,
                    a.region,
                    a.account_masked,
                    a.account_sealed,
                    now
                ],
            )
            .map_err(db("filing an application"))?;
        Ok(n == 1)
    }

    /// The application of `user`.
    ///
    /// # Errors
    /// [`ErrorKind::Database`].
    pub fn application_of(&self, user: i64) -> Result<Option<Application>> {
        self.conn
            .prepare_cached(&format!(
                "SELECT {APPLICATION_COLUMNS} FROM applications a JOIN users u ON u.id = a.user_id \
                 WHERE a.user_id = ?1"
            ))
            .and_then(|mut s| s.query_row([user], application).optional())
            .map_err(db("reading an application"))
    }

    /// The application `id`.
    ///
    /// # Errors
    /// [`ErrorKind::Database`].
    pub fn application(&self, id: i64) -> Result<Option<Application>> {
        self.conn
            .prepare_cached(&format!(
                "SELECT {APPLICATION_COLUMNS} FROM applications a JOIN users u ON u.id = a.user_id \
                 WHERE a.id = ?1"
            ))
            .and_then(|mut s| s.query_row([id], application).optional())
            .map_err(db("reading an application"))
    }

    /// Every application, pending first, then newest first.
    ///
    /// # Errors
    /// [`ErrorKind::Database`].
    pub fn applications(&self) -> Result<Vec<Application>> {
        self.conn
            .prepare_cached(&format!(
                "SELECT {APPLICATION_COLUMNS} FROM applications a JOIN users u ON u.id = a.user_id \
                 ORDER BY a.status <> 'pending', a.id DESC"
            ))
            .and_then(|mut s| s.query_map([], application)?.collect())
            .map_err(db("reading the applications"))
    }

    /// Whether an application holds `merchant_no`.
    ///
    /// # Errors
    /// [`ErrorKind::Database`].
    pub fn merchant_no_taken(&self, merchant_no: &str) -> Result<bool> {
        let row: Option<i64> = self
            .conn
            .query_row(
                "SELECT 1 FROM applications WHERE merchant_no = ?1",
                [merchant_no],
                |r| r.get(0),
            )
            .optional()
            .map_err(db("reading the applications"))?;
        Ok(row.is_some())
    }

    /// Marks a pending application approved with `merchant_no`; `false` when it was not
    /// pending.
    ///
    /// # Errors
    /// [`ErrorKind::Database`].
    pub fn approve(&self, id: i64, merchant_no: &str, now: &str) -> Result<bool> {
        let n = self
            .conn
            .execute(
                "UPDATE applications SET status = 'approved', merchant_no = ?2, reviewed = ?3 \
                 WHERE id = ?1 AND status = 'pending'",
                params![id, merchant_no, now],
            )
            .map_err(db("approving an application"))?;
        Ok(n == 1)
    }

    /// Marks a pending application rejected with `reason`; `false` when it was not pending.
    ///
    /// # Errors
    /// [`ErrorKind::Database`].
    pub fn reject(&self, id: i64, reason: &str, now: &str) -> Result<bool> {
        let n = self
            .conn
            .execute(
                "UPDATE applications SET status = 'rejected', reason = ?2, reviewed = ?3 \
                 WHERE id = ?1 AND status = 'pending'",
                params![id, reason, now],
            )
            .map_err(db("rejecting an application"))?;
        Ok(n == 1)
    }

    /// Stores (replacing) the activation code hash of a terminal.
    ///
    /// # Errors
    /// [`ErrorKind::Database`].
    pub fn put_code(&self, terminal_id: &str, code_hash: &[u8], now: &str) -> Result<()> {
        self.conn
            .execute(
                "INSERT OR REPLACE INTO activation_codes (terminal_id, code_hash, issued) \
                 VALUES (?1, ?2, ?3)",
                params![terminal_id, code_hash, now],
            )
            .map_err(db("storing an activation code"))?;
        Ok(())
    }

    /// The activation code hash of a terminal.
    ///
    /// # Errors
    /// [`ErrorKind::Database`].
    pub fn code(&self, terminal_id: &str) -> Result<Option<Vec<u8>>> {
        self.conn
            .query_row(
                "SELECT code_hash FROM activation_codes WHERE terminal_id = ?1",
                [terminal_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(db("reading an activation code"))
    }

    /// Which terminals have an unused activation code.
    ///
    /// # Errors
    /// [`ErrorKind::Database`].
    pub fn coded_terminals(&self) -> Result<Vec<String>> {
        self.conn
            .prepare_cached("SELECT terminal_id FROM activation_codes ORDER BY terminal_id")
            .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
            .map_err(db("reading the activation codes"))
    }

    /// Binds a terminal to `user` from `since` on, using up its activation code (a binding
    /// of another user to the same terminal ends).
    ///
    /// # Errors
    /// [`ErrorKind::Database`].
    pub fn bind(&mut self, terminal_id: &str, user: i64, since: &str) -> Result<()> {
        let tx = self.conn.transaction().map_err(db("binding a terminal"))?;
        tx.execute(
            "DELETE FROM activation_codes WHERE terminal_id = ?1",
            [terminal_id],
        )
        .map_err(db("binding a terminal"))?;
        tx.execute(
            "INSERT OR REPLACE INTO bindings (terminal_id, user_id, since) VALUES (?1, ?2, ?3)",
            params![terminal_id, user, since],
        )
        .map_err(db("binding a terminal"))?;
        tx.commit().map_err(db("binding a terminal"))
    }

    /// The bindings of `user` (every binding with `None`).
    ///
    /// # Errors
    /// [`ErrorKind::Database`].
    pub fn bindings(&self, user: Option<i64>) -> Result<Vec<Binding>> {
        let map = |r: &rusqlite::Row<'_>| {
            Ok(Binding {
                terminal_id: r.get(0)?,
                user_id: r.get(1)?,
                since: r.get(2)?,
            })
        };
        let mut s = self
            .conn
            .prepare_cached(
                "SELECT terminal_id, user_id, since FROM bindings \
                 WHERE ?1 IS NULL OR user_id = ?1 ORDER BY terminal_id",
            )
            .map_err(db("reading the bindings"))?;
        s.query_map([user], map)
            .and_then(|rows| rows.collect())
            .map_err(db("reading the bindings"))
    }
}

fn user(r: &rusqlite::Row<'_>) -> rusqlite::Result<User> {
    let role: String = r.get(2)?;
    Ok(User {
        id: r.get(0)?,
        login: r.get(1)?,
        role: match role.as_str() {
            "operator" => Role::Operator,
            "merchant" => Role::Merchant,
            _ => {
                return Err(rusqlite::Error::InvalidColumnType(
                    2,
                    role,
                    rusqlite::types::Type::Text,
                ));
            }
        },
    })
}
