//! Read-only views of the acquirer's SQLite file for applications beside the host (the
//! merchant platform): terminals and their bindings, merchants, and answered transactions
//! filtered, paged and summed by day, without ever reading a card number in clear.
//!
//! A transaction's card shows as the ledger stored its display form (first 6 and last 4
//! digits); the ciphertext and the keyed hash are never selected here. Nothing in this module
//! writes a row: the only change it makes to the file is the index
//! `transactions_terminal_time_v2` on `(terminal_id, time, type, response, reversed, amount,
//! fee)`, which the per-terminal, per-period queries of the platform need to stay fast on a
//! large ledger (it covers their filters and sums).

use alloc::string::String;
use alloc::vec::Vec;
use std::path::Path;

use cardwire_iso8583::cups::{ResponseCode, Transaction};
use cardwire_iso8583::time::DateTime;
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, Row, params_from_iter};

use crate::error::{Error, ErrorKind, Result};

fn db(operation: &'static str) -> impl Fn(rusqlite::Error) -> Error {
    move |e| Error::new(ErrorKind::Ledger).during(operation).caused_by(e)
}

/// A terminal of the registry, without its keys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TerminalInfo {
    /// Field 41.
    pub terminal_id: String,
    /// The device serial number.
    pub serial: String,
    /// Whether it was activated.
    pub activated: bool,
    /// The merchant number it is bound to.
    pub merchant_no: Option<String>,
    /// The merchant numbers the acquirer rotates it through (跳码); empty for an honest binding.
    pub pool: Vec<String>,
}

/// A merchant of the registry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MerchantInfo {
    /// The merchant number.
    pub merchant_no: String,
    /// Its name.
    pub name: String,
    /// Its MCC.
    pub mcc: String,
    /// Its fee rate in millionths.
    pub fee_millionths: u32,
}

/// The part of the ledger a reader may see: one terminal's transactions from a time on (a
/// terminal bound to a merchant shows that merchant only what it did since the binding).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scope {
    /// Field 41.
    pub terminal_id: String,
    /// The first time included.
    pub since: DateTime,
}

/// Which answers a query keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Approved and not reversed.
    Approved,
    /// Declined.
    Declined,
    /// Approved, then reversed (it moved no money).
    Reversed,
}

impl Status {
    /// Every status.
    pub const ALL: [Self; 3] = [Self::Approved, Self::Declined, Self::Reversed];

    /// `approved`, `declined`, `reversed`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Approved => "approved",
            Self::Declined => "declined",
            Self::Reversed => "reversed",
        }
    }

    /// The status named `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }

    const fn condition(self) -> &'static str {
        match self {
            Self::Approved => "response = '00' AND reversed = 0",
            Self::Declined => "response <> '00'",
            Self::Reversed => "response = '00' AND reversed = 1",
        }
    }
}

/// A transaction query: the scopes it may see (nothing outside them), and filters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Query {
    /// What may be seen; an empty list sees nothing.
    pub scopes: Vec<Scope>,
    /// From this day on (inclusive).
    pub from: Option<DateTime>,
    /// Up to this time (inclusive).
    pub to: Option<DateTime>,
    /// One terminal only.
    pub terminal_id: Option<String>,
    /// One kind only.
    pub transaction: Option<Transaction>,
    /// One status only.
    pub status: Option<Status>,
}

/// An answered transaction as a reader sees it: the card masked, no key material.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxView {
    /// The host's sequence number.
    pub seq: u64,
    /// Field 41.
    pub terminal_id: String,
    /// Field 60.2.
    pub batch: u32,
    /// Field 11.
    pub stan: u32,
    /// The transaction.
    pub transaction: Transaction,
    /// The answer.
    pub response: ResponseCode,
    /// Amount in fen.
    pub amount: u64,
    /// Signed fee in fen.
    pub fee: i64,
    /// The card, first 6 and last 4 digits.
    pub card: String,
    /// The merchant number settled under.
    pub merchant_no: String,
    /// Its name.
    pub merchant_name: String,
    /// Its MCC.
    pub mcc: String,
    /// Field 37.
    pub rrn: String,
    /// Field 38 (empty when declined).
    pub auth_code: String,
    /// When the host answered.
    pub time: DateTime,
    /// Reversed since.
    pub reversed: bool,
    /// Voided since.
    pub voided: bool,
    /// Fen refunded against it.
    pub refunded: u64,
}

impl TxView {
    /// Its status.
    pub fn status(&self) -> Status {
        match (self.response.is_approved(), self.reversed) {
            (false, _) => Status::Declined,
            (true, true) => Status::Reversed,
            (true, false) => Status::Approved,
        }
    }
}

/// The settled totals of one day (the statement's rows: approved, not reversed; voids and
/// refunds negative).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DayTotals {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// Signed amount in fen.
    pub amount: i64,
    /// Rows.
    pub count: u64,
    /// Signed fees in fen.
    pub fee: i64,
}

const VIEW_COLUMNS: &str = "seq, terminal_id, batch, stan, type, response, amount, fee, \
    card_display, merchant_no, merchant_name, mcc, rrn, auth_code, time, reversed, voided, refunded";

/// The 60.1 codes of the transactions on the statement, and of those among them that give
/// money back (negative on the statement).
const SETTLED: &str = "('22', '20', '23', '21', '25')";
const CREDITS: &str = "('23', '21', '25')";

fn view(row: &Row<'_>) -> rusqlite::Result<TxView> {
    let bad = |i: usize| {
        rusqlite::Error::InvalidColumnType(i, String::new(), rusqlite::types::Type::Text)
    };
    let int = |i: usize| -> rusqlite::Result<u64> {
        let v: i64 = row.get(i)?;
        u64::try_from(v).map_err(|_| rusqlite::Error::IntegralValueOutOfRange(i, v))
    };
    let small = |i: usize| -> rusqlite::Result<u32> {
        let v: i64 = row.get(i)?;
        u32::try_from(v).map_err(|_| rusqlite::Error::IntegralValueOutOfRange(i, v))
    };
    let code: String = row.get(4)?;
    let response: String = row.get(5)?;
    let time: String = row.get(14)?;
    Ok(TxView {
        seq: int(0)?,
        terminal_id: row.get(1)?,
        batch: small(2)?,
        stan: small(3)?,
        transaction: Transaction::financial_from_type_code(&code).ok_or_else(|| bad(4))?,
        response: ResponseCode::parse(&response).ok_or_else(|| bad(5))?,
        amount: int(6)?,
        fee: row.get(7)?,
        card: row.get(8)?,
        merchant_no: row.get(9)?,
        merchant_name: row.get(10)?,
        mcc: row.get(11)?,
        rrn: row.get(12)?,
        auth_code: row.get(13)?,
        time: DateTime::parse(&time).ok_or_else(|| bad(14))?,
        reversed: row.get::<_, i64>(15)? != 0,
        voided: row.get::<_, i64>(16)? != 0,
        refunded: int(17)?,
    })
}

/// A `WHERE` clause and its parameters.
struct Filter {
    sql: String,
    values: Vec<Value>,
}

fn text(t: &DateTime) -> Value {
    Value::Text(alloc::format!("{t}"))
}

impl Filter {
    fn of(q: &Query) -> Self {
        let mut values = Vec::new();
        // Reversal marks (no response) are never shown: they are no transaction.
        let mut sql = String::from("WHERE response IS NOT NULL AND (");
        let scopes: Vec<&Scope> = q
            .scopes
            .iter()
            .filter(|s| q.terminal_id.as_ref().is_none_or(|t| *t == s.terminal_id))
            .collect();
        if scopes.is_empty() {
            sql.push('0');
        }
        for (i, s) in scopes.iter().enumerate() {
            if i > 0 {
                sql.push_str(" OR ");
            }
            sql.push_str("(terminal_id = ? AND time >= ?)");
            values.push(Value::Text(s.terminal_id.clone()));
            values.push(text(&s.since));
        }
        sql.push(')');
        if let Some(from) = &q.from {
            sql.push_str(" AND time >= ?");
            values.push(text(from));
        }
        if let Some(to) = &q.to {
            sql.push_str(" AND time <= ?");
            values.push(text(to));
        }
        if let Some(t) = q.transaction {
            sql.push_str(" AND type = ?");
            values.push(Value::Text(t.codes().type_code.into()));
        }
        if let Some(s) = q.status {
            sql.push_str(" AND ");
            sql.push_str(s.condition());
        }
        Self { sql, values }
    }
}

/// The acquirer's file, opened for reading.
#[derive(Debug)]
pub struct Records {
    conn: Connection,
}

impl Records {
    /// Opens the acquirer's SQLite file (the ledger must have been created there: `import`
    /// or `serve` first) and makes sure of the index the queries use.
    ///
    /// # Errors
    /// [`ErrorKind::Ledger`], the cause SQLite's; [`ErrorKind::InvalidInput`] when the file
    /// holds no ledger.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let conn = Connection::open(path).map_err(|e| {
            db("opening the acquirer's records")(e).about(alloc::format!("{}", path.display()))
        })?;
        conn.busy_timeout(core::time::Duration::from_secs(5))
            .map_err(db("opening the acquirer's records"))?;
        let tables: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' \
                 AND name IN ('transactions', 'terminals', 'merchants')",
                [],
                |r| r.get(0),
            )
            .map_err(db("opening the acquirer's records"))?;
        if tables != 3 {
            return Err(Error::new(ErrorKind::InvalidInput)
                .during("opening the acquirer's records (no ledger and registry in the file)")
                .about(alloc::format!("{}", path.display())));
        }
        // Covering: the filters (time, type, answer, reversal) and the daily sums (amount,
        // fee) are read from the index alone, so counting a merchant's rows and summing its
        // days never touch the table; a page reads the table for its 50 rows only.
        conn.execute_batch(
            "CREATE INDEX IF NOT EXISTS transactions_terminal_time_v2 \
             ON transactions (terminal_id, time, type, response, reversed, amount, fee)",
        )
        .map_err(db("indexing the transactions by terminal and time"))?;
        conn.set_prepared_statement_cache_capacity(64);
        Ok(Self { conn })
    }

    /// Every terminal, by id.
    ///
    /// # Errors
    /// [`ErrorKind::Ledger`].
    pub fn terminals(&self) -> Result<Vec<TerminalInfo>> {
        self.terminals_where("", "")
    }

    /// The terminal with this serial number.
    ///
    /// # Errors
    /// [`ErrorKind::Ledger`].
    pub fn terminal_by_serial(&self, serial: &str) -> Result<Option<TerminalInfo>> {
        Ok(self
            .terminals_where("WHERE serial = ?1", serial)?
            .into_iter()
            .next())
    }

    /// The terminal with this id.
    ///
    /// # Errors
    /// [`ErrorKind::Ledger`].
    pub fn terminal(&self, terminal_id: &str) -> Result<Option<TerminalInfo>> {
        Ok(self
            .terminals_where("WHERE terminal_id = ?1", terminal_id)?
            .into_iter()
            .next())
    }

    fn terminals_where(&self, filter: &str, key: &str) -> Result<Vec<TerminalInfo>> {
        let sql = alloc::format!(
            "SELECT terminal_id, serial, activated, merchant_no, pool FROM terminals {filter} \
             ORDER BY terminal_id"
        );
        let mut stmt = self
            .conn
            .prepare_cached(&sql)
            .map_err(db("reading the terminals"))?;
        let map = |r: &Row<'_>| {
            let pool: String = r.get(4)?;
            Ok(TerminalInfo {
                terminal_id: r.get(0)?,
                serial: r.get(1)?,
                activated: r.get(2)?,
                merchant_no: r.get(3)?,
                pool: pool
                    .split(',')
                    .filter(|p| !p.is_empty())
                    .map(String::from)
                    .collect(),
            })
        };
        let rows = if filter.is_empty() {
            stmt.query_map([], map)
        } else {
            stmt.query_map([key], map)
        }
        .map_err(db("reading the terminals"))?;
        rows.collect::<rusqlite::Result<_>>()
            .map_err(db("reading the terminals"))
    }

    /// Every merchant, by number.
    ///
    /// # Errors
    /// [`ErrorKind::Ledger`].
    pub fn merchants(&self) -> Result<Vec<MerchantInfo>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT merchant_no, name, mcc, fee_millionths FROM merchants ORDER BY merchant_no",
            )
            .map_err(db("reading the merchants"))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(MerchantInfo {
                    merchant_no: r.get(0)?,
                    name: r.get(1)?,
                    mcc: r.get(2)?,
                    fee_millionths: r.get(3)?,
                })
            })
            .map_err(db("reading the merchants"))?;
        rows.collect::<rusqlite::Result<_>>()
            .map_err(db("reading the merchants"))
    }

    /// Whether a merchant with this number exists.
    ///
    /// # Errors
    /// [`ErrorKind::Ledger`].
    pub fn has_merchant(&self, merchant_no: &str) -> Result<bool> {
        let row: Option<i64> = self
            .conn
            .query_row(
                "SELECT 1 FROM merchants WHERE merchant_no = ?1",
                [merchant_no],
                |r| r.get(0),
            )
            .optional()
            .map_err(db("reading a merchant"))?;
        Ok(row.is_some())
    }

    /// How many transactions `query` finds.
    ///
    /// # Errors
    /// [`ErrorKind::Ledger`].
    pub fn count(&self, query: &Query) -> Result<u64> {
        let f = Filter::of(query);
        let sql = alloc::format!("SELECT COUNT(*) FROM transactions {}", f.sql);
        let n: i64 = self
            .conn
            .prepare_cached(&sql)
            .and_then(|mut s| s.query_row(params_from_iter(f.values), |r| r.get(0)))
            .map_err(db("counting transactions"))?;
        u64::try_from(n).map_err(|_| Error::new(ErrorKind::Ledger).during("counting transactions"))
    }

    /// One page of what `query` finds, newest first.
    ///
    /// # Errors
    /// [`ErrorKind::Ledger`].
    pub fn page(&self, query: &Query, offset: u64, limit: u32) -> Result<Vec<TxView>> {
        self.page_in(query, offset, limit, "DESC")
    }

    /// [`Records::page`] when the query finds `total` rows: a page in the older half is read
    /// from the oldest end (SQLite walks every row an `OFFSET` skips, so the last page of a
    /// large ledger would otherwise cost a walk through all of it).
    ///
    /// # Errors
    /// [`ErrorKind::Ledger`].
    pub fn page_of(
        &self,
        query: &Query,
        offset: u64,
        limit: u32,
        total: u64,
    ) -> Result<Vec<TxView>> {
        if offset <= total / 2 || offset >= total {
            return self.page(query, offset, limit);
        }
        // Rows [offset, offset + limit) newest first are rows [from, total - offset) oldest first.
        let end = total - offset;
        let from = end.saturating_sub(u64::from(limit));
        let take = u32::try_from(end - from).map_err(|_| {
            Error::new(ErrorKind::InvalidInput).during("reading transactions (page size)")
        })?;
        let mut rows = self.page_in(query, from, take, "ASC")?;
        rows.reverse();
        Ok(rows)
    }

    fn page_in(&self, query: &Query, offset: u64, limit: u32, order: &str) -> Result<Vec<TxView>> {
        let mut f = Filter::of(query);
        // The rows an OFFSET skips are walked in the covering index only (the inner select
        // needs no column of the table); the table is read for the page's rows.
        let sql = alloc::format!(
            "SELECT {VIEW_COLUMNS} FROM transactions WHERE seq IN (SELECT seq FROM transactions \
             {} ORDER BY time {order}, seq {order} LIMIT ? OFFSET ?) \
             ORDER BY time {order}, seq {order}",
            f.sql
        );
        f.values.push(Value::Integer(i64::from(limit)));
        f.values
            .push(Value::Integer(i64::try_from(offset).map_err(|_| {
                Error::new(ErrorKind::InvalidInput).during("reading transactions (offset)")
            })?));
        let mut stmt = self
            .conn
            .prepare_cached(&sql)
            .map_err(db("reading transactions"))?;
        let rows = stmt
            .query_map(params_from_iter(f.values), view)
            .map_err(db("reading transactions"))?;
        rows.collect::<rusqlite::Result<_>>()
            .map_err(db("reading transactions"))
    }

    /// Calls `each` with every transaction `query` finds, oldest first (the order of the
    /// statement).
    ///
    /// # Errors
    /// [`ErrorKind::Ledger`].
    pub fn each(&self, query: &Query, each: &mut dyn FnMut(&TxView)) -> Result<()> {
        let f = Filter::of(query);
        let sql = alloc::format!(
            "SELECT {VIEW_COLUMNS} FROM transactions {} ORDER BY time, seq",
            f.sql
        );
        let mut stmt = self
            .conn
            .prepare_cached(&sql)
            .map_err(db("reading transactions"))?;
        let rows = stmt
            .query_map(params_from_iter(f.values), view)
            .map_err(db("reading transactions"))?;
        for r in rows {
            each(&r.map_err(db("reading transactions"))?);
        }
        Ok(())
    }

    /// The transaction of sequence number `seq`, if `query`'s scopes see it.
    ///
    /// # Errors
    /// [`ErrorKind::Ledger`].
    pub fn transaction(&self, query: &Query, seq: u64) -> Result<Option<TxView>> {
        let mut f = Filter::of(query);
        let sql = alloc::format!(
            "SELECT {VIEW_COLUMNS} FROM transactions {} AND seq = ?",
            f.sql
        );
        f.values
            .push(Value::Integer(i64::try_from(seq).map_err(|_| {
                Error::new(ErrorKind::InvalidInput).during("reading a transaction")
            })?));
        self.conn
            .prepare_cached(&sql)
            .and_then(|mut s| s.query_row(params_from_iter(f.values), view).optional())
            .map_err(db("reading a transaction"))
    }

    /// The settled totals per day of what `query` finds (its status and type filters are
    /// replaced by the statement's: approved, unreversed purchases, completions, voids and
    /// refunds), oldest day first; days without a row are left out.
    ///
    /// # Errors
    /// [`ErrorKind::Ledger`].
    pub fn daily(&self, query: &Query) -> Result<Vec<DayTotals>> {
        let q = Query {
            transaction: None,
            status: Some(Status::Approved),
            ..query.clone()
        };
        let f = Filter::of(&q);
        let sql = alloc::format!(
            "SELECT substr(time, 1, 10) AS day, \
             SUM(CASE WHEN type IN {CREDITS} THEN -amount ELSE amount END), COUNT(*), SUM(fee) \
             FROM transactions {} AND type IN {SETTLED} GROUP BY day ORDER BY day",
            f.sql
        );
        let mut stmt = self
            .conn
            .prepare_cached(&sql)
            .map_err(db("summing transactions"))?;
        let rows = stmt
            .query_map(params_from_iter(f.values), |r| {
                let count: i64 = r.get(2)?;
                Ok(DayTotals {
                    date: r.get(0)?,
                    amount: r.get(1)?,
                    count: u64::try_from(count)
                        .map_err(|_| rusqlite::Error::IntegralValueOutOfRange(2, count))?,
                    fee: r.get(3)?,
                })
            })
            .map_err(db("summing transactions"))?;
        rows.collect::<rusqlite::Result<_>>()
            .map_err(db("summing transactions"))
    }
}
