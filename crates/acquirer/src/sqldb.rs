//! One way to the acquirer's registry and records tables in either database: the data
//! directory's SQLite file or the shared PostgreSQL database of several nodes.
//!
//! The SQL is written once, with numbered placeholders `?1`, `?2`, …, in the part of SQL both
//! dialects read (`ON CONFLICT … DO UPDATE`, `TRUE`/`FALSE`, `CAST(… AS BIGINT)`); for
//! PostgreSQL the placeholders become `$1`, `$2`, …. The tables' definitions differ by
//! dialect only (BLOB/BYTEA, INTEGER/BIGINT/BOOLEAN): SQLite's are in [`crate::store`],
//! PostgreSQL's in the ledger's migrations ([`crate::ledger::MIGRATIONS`]).
//!
//! The PostgreSQL client is synchronous, and a synchronous client may not block a thread
//! that drives asynchronous tasks (the merchant platform's handlers): its connection lives on
//! a thread of its own, which runs each call and hands back the answer.

use alloc::string::String;
use alloc::vec::Vec;
use std::path::Path;

use rusqlite::Connection;

use crate::error::{Error, ErrorKind, Result};
use crate::keystore::{CardDataKey, KeyStore};

/// A value bound to a placeholder or read from a column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Val {
    /// SQL `NULL`.
    Null,
    /// An integer (`INTEGER`, `BIGINT`).
    Int(i64),
    /// Text.
    Text(String),
    /// Bytes (`BLOB`, `BYTEA`).
    Bytes(Vec<u8>),
    /// A truth value (`BOOLEAN`; SQLite keeps it as an integer).
    Bool(bool),
}

impl From<&str> for Val {
    fn from(v: &str) -> Self {
        Self::Text(v.into())
    }
}

impl From<String> for Val {
    fn from(v: String) -> Self {
        Self::Text(v)
    }
}

impl From<&String> for Val {
    fn from(v: &String) -> Self {
        Self::Text(v.clone())
    }
}

impl From<i64> for Val {
    fn from(v: i64) -> Self {
        Self::Int(v)
    }
}

impl From<u32> for Val {
    fn from(v: u32) -> Self {
        Self::Int(i64::from(v))
    }
}

impl From<u8> for Val {
    fn from(v: u8) -> Self {
        Self::Int(i64::from(v))
    }
}

impl From<bool> for Val {
    fn from(v: bool) -> Self {
        Self::Bool(v)
    }
}

impl From<Vec<u8>> for Val {
    fn from(v: Vec<u8>) -> Self {
        Self::Bytes(v)
    }
}

impl<const N: usize> From<[u8; N]> for Val {
    fn from(v: [u8; N]) -> Self {
        Self::Bytes(v.into())
    }
}

impl From<&[u8]> for Val {
    fn from(v: &[u8]) -> Self {
        Self::Bytes(v.into())
    }
}

impl From<Option<&str>> for Val {
    fn from(v: Option<&str>) -> Self {
        v.map_or(Self::Null, Self::from)
    }
}

/// The values of a statement's placeholders, in order.
macro_rules! vals {
    ($($v:expr),* $(,)?) => { alloc::vec![$($crate::sqldb::Val::from($v)),*] };
}
pub(crate) use vals;

/// A row read: its columns' values.
#[derive(Debug)]
pub(crate) struct Row(Vec<Val>);

fn column_error(i: usize, expected: &'static str) -> Error {
    Error::new(ErrorKind::LedgerCorrupt)
        .during(expected)
        .about(alloc::format!("column {i}"))
}

impl Row {
    fn at(&self, i: usize) -> Result<&Val> {
        self.0
            .get(i)
            .ok_or_else(|| column_error(i, "reading a column that was not selected"))
    }

    /// Text (not `NULL`).
    pub(crate) fn text(&self, i: usize) -> Result<String> {
        match self.at(i)? {
            Val::Text(t) => Ok(t.clone()),
            _ => Err(column_error(i, "reading a text column")),
        }
    }

    /// Text or `NULL`.
    pub(crate) fn opt_text(&self, i: usize) -> Result<Option<String>> {
        match self.at(i)? {
            Val::Null => Ok(None),
            _ => self.text(i).map(Some),
        }
    }

    /// An integer.
    pub(crate) fn int(&self, i: usize) -> Result<i64> {
        match self.at(i)? {
            Val::Int(v) => Ok(*v),
            _ => Err(column_error(i, "reading an integer column")),
        }
    }

    /// An integer that must fit `T` (a count, an amount, a small number).
    pub(crate) fn int_as<T: TryFrom<i64>>(&self, i: usize) -> Result<T> {
        T::try_from(self.int(i)?).map_err(|_| column_error(i, "reading a number out of range"))
    }

    /// Bytes.
    pub(crate) fn bytes(&self, i: usize) -> Result<Vec<u8>> {
        match self.at(i)? {
            Val::Bytes(b) => Ok(b.clone()),
            _ => Err(column_error(i, "reading a bytes column")),
        }
    }

    /// A truth value (SQLite's integer 0/1 or PostgreSQL's boolean).
    pub(crate) fn flag(&self, i: usize) -> Result<bool> {
        match self.at(i)? {
            Val::Bool(b) => Ok(*b),
            Val::Int(v) => Ok(*v != 0),
            _ => Err(column_error(i, "reading a truth value")),
        }
    }
}

fn sqlite_err(operation: &'static str) -> impl Fn(rusqlite::Error) -> Error {
    move |e| Error::new(ErrorKind::Ledger).during(operation).caused_by(e)
}

/// The acquirer's tables in one of the two databases.
pub(crate) enum Db {
    /// The data directory's file.
    Sqlite(Connection),
    /// The shared database, on its connection's thread.
    #[cfg(feature = "postgres")]
    Postgres(pg::Worker),
}

impl core::fmt::Debug for Db {
    // A URL may carry a password: only the kind is told.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Sqlite(_) => f.write_str("Db::Sqlite"),
            #[cfg(feature = "postgres")]
            Self::Postgres(_) => f.write_str("Db::Postgres"),
        }
    }
}

impl Db {
    /// Opens the SQLite file at `path` (write-ahead log, 5 s busy wait).
    pub(crate) fn sqlite(path: &Path, during: &'static str) -> Result<Self> {
        let conn = Connection::open(path)
            .map_err(|e| sqlite_err(during)(e).about(alloc::format!("{}", path.display())))?;
        conn.busy_timeout(core::time::Duration::from_secs(5))
            .map_err(sqlite_err(during))?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(sqlite_err(during))?;
        conn.set_prepared_statement_cache_capacity(64);
        Ok(Self::Sqlite(conn))
    }

    /// Connects to the PostgreSQL database at `url`, applying the ledger's migrations it
    /// lacks (the registry's tables are among them).
    #[cfg(feature = "postgres")]
    pub(crate) fn postgres(url: &str) -> Result<Self> {
        pg::Worker::start(url).map(Self::Postgres)
    }

    /// The SQLite connection (for what only that dialect has: its schema and migrations).
    pub(crate) fn as_sqlite(&self) -> Option<&Connection> {
        match self {
            Self::Sqlite(c) => Some(c),
            #[cfg(feature = "postgres")]
            Self::Postgres(_) => None,
        }
    }

    /// The rows `sql` selects.
    pub(crate) fn query(
        &self,
        sql: &str,
        params: Vec<Val>,
        during: &'static str,
    ) -> Result<Vec<Row>> {
        match self {
            Self::Sqlite(c) => sqlite_query(c, sql, params).map_err(sqlite_err(during)),
            #[cfg(feature = "postgres")]
            Self::Postgres(w) => w.query(sql, params, during),
        }
    }

    /// The first row `sql` selects, if any.
    pub(crate) fn query_opt(
        &self,
        sql: &str,
        params: Vec<Val>,
        during: &'static str,
    ) -> Result<Option<Row>> {
        Ok(self.query(sql, params, during)?.into_iter().next())
    }

    /// Runs `sql`; the number of rows it changed.
    pub(crate) fn execute(&self, sql: &str, params: Vec<Val>, during: &'static str) -> Result<u64> {
        match self {
            Self::Sqlite(c) => {
                let n = c
                    .prepare_cached(sql)
                    .and_then(|mut s| {
                        s.execute(rusqlite::params_from_iter(params.iter().map(sqlite_value)))
                    })
                    .map_err(sqlite_err(during))?;
                u64::try_from(n).map_err(|_| Error::new(ErrorKind::Ledger).during(during))
            }
            #[cfg(feature = "postgres")]
            Self::Postgres(w) => w.execute(sql, params, during),
        }
    }

    /// Runs statements without parameters (`BEGIN`, `COMMIT`, …).
    pub(crate) fn batch(&self, sql: &str, during: &'static str) -> Result<()> {
        match self {
            Self::Sqlite(c) => c.execute_batch(sql).map_err(sqlite_err(during)),
            #[cfg(feature = "postgres")]
            Self::Postgres(w) => w.batch(sql, during),
        }
    }

    /// Runs `work` in one transaction: committed when it succeeds, rolled back when it fails.
    pub(crate) fn transaction<T>(
        &self,
        during: &'static str,
        work: impl FnOnce(&Self) -> Result<T>,
    ) -> Result<T> {
        self.batch("BEGIN", during)?;
        match work(self) {
            Ok(out) => {
                self.batch("COMMIT", during)?;
                Ok(out)
            }
            Err(e) => {
                // The work's error is the one to report; a failed rollback ends the
                // transaction anyway (the connection drops it).
                let _ = self.batch("ROLLBACK", during);
                Err(e)
            }
        }
    }

    /// The card-data key stored (wrapped) in these tables, made and stored on first use; of
    /// two processes making it at once, the second reads the first's.
    pub(crate) fn card_data_key(&self, keys: &dyn KeyStore) -> Result<CardDataKey> {
        let label = crate::keystore::CARD_DATA_LABEL;
        let read = |db: &Self| -> Result<Option<Vec<u8>>> {
            db.query_opt(
                "SELECT wrapped FROM keys WHERE name = ?1",
                vals![label],
                "reading the card-data key",
            )?
            .map(|r| r.bytes(0))
            .transpose()
        };
        if let Some(wrapped) = read(self)? {
            return CardDataKey::unwrap_from(keys, &wrapped);
        }
        let (key, wrapped) = CardDataKey::generate(keys)?;
        let stored = self.execute(
            "INSERT INTO keys (name, wrapped) VALUES (?1, ?2) ON CONFLICT (name) DO NOTHING",
            vals![label, wrapped],
            "storing the card-data key",
        )?;
        if stored == 1 {
            return Ok(key);
        }
        let wrapped = read(self)?
            .ok_or_else(|| Error::new(ErrorKind::Ledger).during("storing the card-data key"))?;
        CardDataKey::unwrap_from(keys, &wrapped)
    }
}

fn sqlite_value(v: &Val) -> rusqlite::types::Value {
    use rusqlite::types::Value;
    match v {
        Val::Null => Value::Null,
        Val::Int(i) => Value::Integer(*i),
        Val::Text(t) => Value::Text(t.clone()),
        Val::Bytes(b) => Value::Blob(b.clone()),
        Val::Bool(b) => Value::Integer(i64::from(*b)),
    }
}

fn sqlite_query(c: &Connection, sql: &str, params: Vec<Val>) -> rusqlite::Result<Vec<Row>> {
    use rusqlite::types::ValueRef;
    let mut stmt = c.prepare_cached(sql)?;
    let columns = stmt.column_count();
    let mut rows = stmt.query(rusqlite::params_from_iter(params.iter().map(sqlite_value)))?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let mut vals = Vec::with_capacity(columns);
        for i in 0..columns {
            vals.push(match r.get_ref(i)? {
                ValueRef::Null => Val::Null,
                ValueRef::Integer(v) => Val::Int(v),
                ValueRef::Real(_) => {
                    return Err(rusqlite::Error::InvalidColumnType(
                        i,
                        String::new(),
                        rusqlite::types::Type::Real,
                    ));
                }
                ValueRef::Text(t) => Val::Text(
                    core::str::from_utf8(t)
                        .map_err(|e| rusqlite::Error::Utf8Error(i, e))?
                        .into(),
                ),
                ValueRef::Blob(b) => Val::Bytes(b.into()),
            });
        }
        out.push(Row(vals));
    }
    Ok(out)
}

/// `sql` with its `?N` placeholders written as PostgreSQL's `$N` (the statements here hold
/// no `?` inside a literal).
#[cfg(feature = "postgres")]
fn dollar_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '?' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('$');
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(feature = "postgres")]
mod pg {
    use alloc::boxed::Box;
    use alloc::collections::BTreeMap;
    use alloc::string::String;
    use alloc::vec::Vec;
    use core::str::FromStr;
    use std::sync::mpsc;

    use postgres::types::{ToSql, Type};
    use postgres::{Client, NoTls, Statement};

    use super::{Row, Val, dollar_placeholders};
    use crate::error::{Error, ErrorKind, Result};
    use crate::ledger::{PgLedger, PgOptions};

    fn pg_err(operation: &'static str) -> impl Fn(postgres::Error) -> Error {
        move |e| {
            let kind = if e.code().is_some() {
                ErrorKind::Ledger
            } else {
                // No error from the server: the connection failed or closed.
                ErrorKind::LedgerUnavailable
            };
            Error::new(kind).during(operation).caused_by(e)
        }
    }

    /// The connection and its prepared statements, owned by the worker's thread.
    pub(crate) struct State {
        config: postgres::Config,
        options: PgOptions,
        client: Client,
        prepared: BTreeMap<String, Statement>,
        /// Inside `BEGIN` … `COMMIT`: a connection lost now is not made again (the
        /// transaction died with it; the rest must not run outside one).
        in_transaction: bool,
    }

    fn connect(config: &postgres::Config, options: PgOptions) -> Result<Client> {
        let mut config = config.clone();
        config.connect_timeout(options.connect_timeout);
        let mut client = config
            .connect(NoTls)
            .map_err(pg_err("connecting to the acquirer's database"))?;
        let ms = options.statement_timeout.as_millis();
        client
            .batch_execute(&alloc::format!(
                "SET statement_timeout = {ms}; SET lock_timeout = {ms}"
            ))
            .map_err(pg_err("setting up the connection"))?;
        Ok(client)
    }

    impl State {
        fn open(url: &str) -> Result<Self> {
            let config = postgres::Config::from_str(url).map_err(|e| {
                Error::new(ErrorKind::Config)
                    .during("reading the database's URL")
                    .caused_by(e)
            })?;
            let options = PgOptions::default();
            PgLedger::migrate(url, options)?;
            let client = connect(&config, options)?;
            Ok(Self {
                config,
                options,
                client,
                prepared: BTreeMap::new(),
                in_transaction: false,
            })
        }

        /// The connection, made again when the last one was lost.
        fn client(&mut self) -> Result<&mut Client> {
            if self.client.is_closed() {
                if self.in_transaction {
                    return Err(Error::new(ErrorKind::LedgerUnavailable)
                        .during("reaching the database in a transaction"));
                }
                self.client = connect(&self.config, self.options)?;
                self.prepared.clear();
            }
            Ok(&mut self.client)
        }

        fn statement(&mut self, sql: &str, during: &'static str) -> Result<Statement> {
            if let Some(s) = self.prepared.get(sql) {
                return Ok(s.clone());
            }
            let s = self
                .client()?
                .prepare(&dollar_placeholders(sql))
                .map_err(pg_err(during))?;
            self.prepared.insert(sql.into(), s.clone());
            Ok(s)
        }
    }

    /// A parameter as the statement's placeholder takes it (the server says its type).
    fn param(v: &Val, ty: &Type) -> Result<Box<dyn ToSql + Sync + Send>> {
        Ok(match v {
            Val::Null if *ty == Type::INT8 => Box::new(None::<i64>),
            Val::Null if *ty == Type::BYTEA => Box::new(None::<Vec<u8>>),
            Val::Null if *ty == Type::BOOL => Box::new(None::<bool>),
            Val::Null => Box::new(None::<String>),
            Val::Int(i) if *ty == Type::INT4 => Box::new(i32::try_from(*i).map_err(|_| {
                Error::new(ErrorKind::InvalidInput).during("binding a number out of range")
            })?),
            Val::Int(i) => Box::new(*i),
            Val::Text(t) => Box::new(t.clone()),
            Val::Bytes(b) => Box::new(b.clone()),
            Val::Bool(b) => Box::new(*b),
        })
    }

    fn params(stmt: &Statement, values: &[Val]) -> Result<Vec<Box<dyn ToSql + Sync + Send>>> {
        values
            .iter()
            .zip(stmt.params())
            .map(|(v, ty)| param(v, ty))
            .collect()
    }

    fn row(r: &postgres::Row, during: &'static str) -> Result<Row> {
        let get = pg_err(during);
        let mut vals = Vec::with_capacity(r.len());
        for (i, col) in r.columns().iter().enumerate() {
            let ty = col.type_();
            let v = if *ty == Type::INT8 {
                r.try_get::<_, Option<i64>>(i).map_err(&get)?.map(Val::Int)
            } else if *ty == Type::INT4 {
                r.try_get::<_, Option<i32>>(i)
                    .map_err(&get)?
                    .map(|v| Val::Int(i64::from(v)))
            } else if *ty == Type::INT2 {
                r.try_get::<_, Option<i16>>(i)
                    .map_err(&get)?
                    .map(|v| Val::Int(i64::from(v)))
            } else if *ty == Type::BYTEA {
                r.try_get::<_, Option<Vec<u8>>>(i)
                    .map_err(&get)?
                    .map(Val::Bytes)
            } else if *ty == Type::BOOL {
                r.try_get::<_, Option<bool>>(i)
                    .map_err(&get)?
                    .map(Val::Bool)
            } else {
                r.try_get::<_, Option<String>>(i)
                    .map_err(&get)?
                    .map(Val::Text)
            };
            vals.push(v.unwrap_or(Val::Null));
        }
        Ok(Row(vals))
    }

    type Job = Box<dyn FnOnce(&mut State) + Send>;

    /// The thread that owns the connection.
    pub(crate) struct Worker {
        jobs: Option<mpsc::Sender<Job>>,
        thread: Option<std::thread::JoinHandle<()>>,
    }

    fn gone() -> Error {
        Error::new(ErrorKind::LedgerUnavailable).during("reaching the database's connection thread")
    }

    impl Worker {
        pub(crate) fn start(url: &str) -> Result<Self> {
            let (jobs, queue) = mpsc::channel::<Job>();
            let (ready, opened) = mpsc::sync_channel::<Result<()>>(1);
            let url = String::from(url);
            let thread = std::thread::Builder::new()
                .name("cardwire-pg".into())
                .spawn(move || match State::open(&url) {
                    Ok(mut state) => {
                        let _ = ready.send(Ok(()));
                        for job in queue {
                            job(&mut state);
                        }
                    }
                    Err(e) => {
                        let _ = ready.send(Err(e));
                    }
                })
                .map_err(|e| {
                    Error::new(ErrorKind::Internal)
                        .during("starting the database's connection thread")
                        .caused_by(e)
                })?;
            opened.recv().map_err(|_| gone())??;
            Ok(Self {
                jobs: Some(jobs),
                thread: Some(thread),
            })
        }

        fn run<T: Send + 'static>(
            &self,
            work: impl FnOnce(&mut State) -> Result<T> + Send + 'static,
        ) -> Result<T> {
            let (answer, answered) = mpsc::sync_channel(1);
            self.jobs
                .as_ref()
                .ok_or_else(gone)?
                .send(Box::new(move |state: &mut State| {
                    let _ = answer.send(work(state));
                }))
                .map_err(|_| gone())?;
            answered.recv().map_err(|_| gone())?
        }

        pub(crate) fn query(
            &self,
            sql: &str,
            values: Vec<Val>,
            during: &'static str,
        ) -> Result<Vec<Row>> {
            let sql = String::from(sql);
            self.run(move |s| {
                let stmt = s.statement(&sql, during)?;
                let p = params(&stmt, &values)?;
                let refs: Vec<&(dyn ToSql + Sync)> =
                    p.iter().map(|b| &**b as &(dyn ToSql + Sync)).collect();
                s.client()?
                    .query(&stmt, &refs)
                    .map_err(pg_err(during))?
                    .iter()
                    .map(|r| row(r, during))
                    .collect()
            })
        }

        pub(crate) fn execute(
            &self,
            sql: &str,
            values: Vec<Val>,
            during: &'static str,
        ) -> Result<u64> {
            let sql = String::from(sql);
            self.run(move |s| {
                let stmt = s.statement(&sql, during)?;
                let p = params(&stmt, &values)?;
                let refs: Vec<&(dyn ToSql + Sync)> =
                    p.iter().map(|b| &**b as &(dyn ToSql + Sync)).collect();
                s.client()?.execute(&stmt, &refs).map_err(pg_err(during))
            })
        }

        pub(crate) fn batch(&self, sql: &str, during: &'static str) -> Result<()> {
            let sql = String::from(sql);
            self.run(move |s| {
                let done = s.client()?.batch_execute(&sql).map_err(pg_err(during));
                match sql.as_str() {
                    "BEGIN" => s.in_transaction = done.is_ok(),
                    "COMMIT" | "ROLLBACK" => s.in_transaction = false,
                    _ => {}
                }
                done
            })
        }
    }

    impl Drop for Worker {
        fn drop(&mut self) {
            // The thread ends when its queue closes.
            drop(self.jobs.take());
            if let Some(t) = self.thread.take() {
                let _ = t.join();
            }
        }
    }
}
