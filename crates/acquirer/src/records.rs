//! Read-only views of the acquirer's database — the data directory's SQLite file or the
//! shared PostgreSQL database ([`Location`]) — for applications beside the host (the
//! merchant platform): terminals and their bindings, merchants, and answered transactions
//! filtered, paged and summed by day, without ever reading a card number in clear.
//!
//! A transaction's card shows as the ledger stored its display form (first 6 and last 4
//! digits); the ciphertext and the keyed hash are never selected here. Nothing in this module
//! writes a row: the only change it makes to a SQLite file is the index
//! `transactions_terminal_time_v3` on `(terminal_id, time, seq, type, response, reversed,
//! amount, fee)`, which the per-terminal, per-period queries of the platform need to stay
//! fast on a large ledger (it covers their filters, sums and the page key); PostgreSQL has
//! it from its migrations.
//!
//! Pages are read by key ([`PageKey`]: the time and sequence number of the row a page ends
//! or starts at), never by an `OFFSET` that walks every row it skips.

use alloc::string::String;
use alloc::vec::Vec;
use std::path::Path;

use cardwire_iso8583::cups::{ResponseCode, Transaction};
use cardwire_iso8583::time::DateTime;

use crate::error::{Error, ErrorKind, Result};
use crate::sqldb::{Db, Row, Val, vals};
pub use crate::store::Location;

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
            Self::Approved => "response = '00' AND reversed = FALSE",
            Self::Declined => "response <> '00'",
            Self::Reversed => "response = '00' AND reversed = TRUE",
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

fn bad(what: &'static str) -> Error {
    Error::new(ErrorKind::LedgerCorrupt).during(what)
}

fn view(row: &Row) -> Result<TxView> {
    let code = row.text(4)?;
    let response = row.text(5)?;
    Ok(TxView {
        seq: row.int_as(0)?,
        terminal_id: row.text(1)?,
        batch: row.int_as(2)?,
        stan: row.int_as(3)?,
        transaction: Transaction::financial_from_type_code(&code)
            .ok_or_else(|| bad("reading a transaction type"))?,
        response: ResponseCode::parse(&response).ok_or_else(|| bad("reading a response code"))?,
        amount: row.int_as(6)?,
        fee: row.int(7)?,
        card: row.text(8)?,
        merchant_no: row.text(9)?,
        merchant_name: row.text(10)?,
        mcc: row.text(11)?,
        rrn: row.text(12)?,
        auth_code: row.text(13)?,
        time: DateTime::parse(&row.text(14)?).ok_or_else(|| bad("reading a time"))?,
        reversed: row.flag(15)?,
        voided: row.flag(16)?,
        refunded: row.int_as(17)?,
    })
}

/// Where a page of records begins: the row before it in the page's order (by time, then
/// sequence number). A link to the next or the previous page carries it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageKey {
    /// The row's time.
    pub time: DateTime,
    /// Its sequence number.
    pub seq: u64,
}

impl PageKey {
    /// The key of a row.
    pub fn of(v: &TxView) -> Self {
        Self {
            time: v.time,
            seq: v.seq,
        }
    }

    /// `YYYYMMDDhhmmss-SEQ`, the form a link carries.
    pub fn to_text(&self) -> String {
        let digits: String = alloc::format!("{}", self.time)
            .chars()
            .filter(char::is_ascii_digit)
            .collect();
        alloc::format!("{digits}-{}", self.seq)
    }

    /// Reads [`Self::to_text`]'s form; `None` for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        let (t, seq) = text.split_once('-')?;
        if t.len() != 14 || !t.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let time = DateTime::parse(&alloc::format!(
            "{}-{}-{} {}:{}:{}",
            t.get(0..4)?,
            t.get(4..6)?,
            t.get(6..8)?,
            t.get(8..10)?,
            t.get(10..12)?,
            t.get(12..14)?
        ))?;
        Some(Self {
            time,
            seq: seq.parse().ok()?,
        })
    }
}

/// Which page of records, newest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageAt {
    /// The newest rows.
    Newest,
    /// The rows older than this key (the next page).
    Older(PageKey),
    /// The rows newer than this key (the previous page), still shown newest first.
    Newer(PageKey),
    /// The oldest rows.
    Oldest,
}

/// A `WHERE` clause and its parameters (numbered placeholders, in order).
struct Filter {
    sql: String,
    values: Vec<Val>,
}

fn text(t: &DateTime) -> Val {
    Val::Text(alloc::format!("{t}"))
}

impl Filter {
    /// Adds a placeholder for `v` to the clause.
    fn bind(&mut self, v: Val) {
        self.values.push(v);
        self.sql.push_str(&alloc::format!("?{}", self.values.len()));
    }

    fn push(&mut self, sql: &str) {
        self.sql.push_str(sql);
    }

    fn of(q: &Query) -> Self {
        // Reversal marks (no response) are never shown: they are no transaction.
        let mut f = Self {
            sql: String::from("WHERE response IS NOT NULL AND ("),
            values: Vec::new(),
        };
        let scopes: Vec<&Scope> = q
            .scopes
            .iter()
            .filter(|s| q.terminal_id.as_ref().is_none_or(|t| *t == s.terminal_id))
            .collect();
        if scopes.is_empty() {
            f.push("FALSE");
        }
        for (i, s) in scopes.iter().enumerate() {
            if i > 0 {
                f.push(" OR ");
            }
            f.push("(terminal_id = ");
            f.bind(Val::Text(s.terminal_id.clone()));
            f.push(" AND time >= ");
            f.bind(text(&s.since));
            f.push(")");
        }
        f.push(")");
        if let Some(from) = &q.from {
            f.push(" AND time >= ");
            f.bind(text(from));
        }
        if let Some(to) = &q.to {
            f.push(" AND time <= ");
            f.bind(text(to));
        }
        if let Some(t) = q.transaction {
            f.push(" AND type = ");
            f.bind(Val::Text(t.codes().type_code.into()));
        }
        if let Some(s) = q.status {
            f.push(" AND ");
            f.push(s.condition());
        }
        f
    }
}

fn seq_val(seq: u64, during: &'static str) -> Result<Val> {
    i64::try_from(seq)
        .map(Val::Int)
        .map_err(|_| Error::new(ErrorKind::InvalidInput).during(during))
}

/// The acquirer's database, opened for reading.
#[derive(Debug)]
pub struct Records {
    db: Db,
}

impl Records {
    /// Opens the acquirer's SQLite file (the ledger must have been created there: `import`
    /// or `serve` first) and makes sure of the index the queries use.
    ///
    /// # Errors
    /// [`ErrorKind::Ledger`], the cause SQLite's; [`ErrorKind::InvalidInput`] when the file
    /// holds no ledger.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        Self::open_at(&Location::File(path.as_ref().into()))
    }

    /// Opens the acquirer's database where `location` says (PostgreSQL: its migrations
    /// applied, which make the tables and the index).
    ///
    /// # Errors
    /// As [`Records::open`]; [`ErrorKind::LedgerUnavailable`] when PostgreSQL cannot be
    /// reached.
    pub fn open_at(location: &Location) -> Result<Self> {
        let db = location.open("opening the acquirer's records")?;
        if let (Some(conn), Location::File(path)) = (db.as_sqlite(), location) {
            let tables: i64 = conn
                .query_row(
                    "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' \
                     AND name IN ('transactions', 'terminals', 'merchants')",
                    [],
                    |r| r.get(0),
                )
                .map_err(|e| {
                    Error::new(ErrorKind::Ledger)
                        .during("opening the acquirer's records")
                        .caused_by(e)
                })?;
            if tables != 3 {
                return Err(Error::new(ErrorKind::InvalidInput)
                    .during("opening the acquirer's records (no ledger and registry in the file)")
                    .about(alloc::format!("{}", path.display())));
            }
            // Covering: the filters (time, type, answer, reversal), the page key (time, seq)
            // and the daily sums (amount, fee) are read from the index alone, so counting a
            // merchant's rows and summing its days never touch the table; a page reads the
            // table for its 50 rows only.
            conn.execute_batch(
                "DROP INDEX IF EXISTS transactions_terminal_time_v2; \
                 CREATE INDEX IF NOT EXISTS transactions_terminal_time_v3 \
                 ON transactions (terminal_id, time, seq, type, response, reversed, amount, fee)",
            )
            .map_err(|e| {
                Error::new(ErrorKind::Ledger)
                    .during("indexing the transactions by terminal and time")
                    .caused_by(e)
            })?;
        }
        Ok(Self { db })
    }

    /// Every terminal, by id.
    ///
    /// # Errors
    /// [`ErrorKind::Ledger`].
    pub fn terminals(&self) -> Result<Vec<TerminalInfo>> {
        self.terminals_where("", None)
    }

    /// The terminal with this serial number.
    ///
    /// # Errors
    /// [`ErrorKind::Ledger`].
    pub fn terminal_by_serial(&self, serial: &str) -> Result<Option<TerminalInfo>> {
        Ok(self
            .terminals_where("WHERE serial = ?1", Some(serial))?
            .into_iter()
            .next())
    }

    /// The terminal with this id.
    ///
    /// # Errors
    /// [`ErrorKind::Ledger`].
    pub fn terminal(&self, terminal_id: &str) -> Result<Option<TerminalInfo>> {
        Ok(self
            .terminals_where("WHERE terminal_id = ?1", Some(terminal_id))?
            .into_iter()
            .next())
    }

    fn terminals_where(&self, filter: &str, key: Option<&str>) -> Result<Vec<TerminalInfo>> {
        let sql = alloc::format!(
            "SELECT terminal_id, serial, activated, merchant_no, pool FROM terminals {filter} \
             ORDER BY terminal_id"
        );
        self.db
            .query(
                &sql,
                key.into_iter().map(Val::from).collect(),
                "reading the terminals",
            )?
            .iter()
            .map(|r| {
                Ok(TerminalInfo {
                    terminal_id: r.text(0)?,
                    serial: r.text(1)?,
                    activated: r.flag(2)?,
                    merchant_no: r.opt_text(3)?,
                    pool: r
                        .text(4)?
                        .split(',')
                        .filter(|p| !p.is_empty())
                        .map(String::from)
                        .collect(),
                })
            })
            .collect()
    }

    /// Every merchant, by number.
    ///
    /// # Errors
    /// [`ErrorKind::Ledger`].
    pub fn merchants(&self) -> Result<Vec<MerchantInfo>> {
        self.db
            .query(
                "SELECT merchant_no, name, mcc, fee_millionths FROM merchants ORDER BY merchant_no",
                vals![],
                "reading the merchants",
            )?
            .iter()
            .map(|r| {
                Ok(MerchantInfo {
                    merchant_no: r.text(0)?,
                    name: r.text(1)?,
                    mcc: r.text(2)?,
                    fee_millionths: r.int_as(3)?,
                })
            })
            .collect()
    }

    /// Whether a merchant with this number exists.
    ///
    /// # Errors
    /// [`ErrorKind::Ledger`].
    pub fn has_merchant(&self, merchant_no: &str) -> Result<bool> {
        Ok(self
            .db
            .query_opt(
                "SELECT 1 FROM merchants WHERE merchant_no = ?1",
                vals![merchant_no],
                "reading a merchant",
            )?
            .is_some())
    }

    /// How many transactions `query` finds.
    ///
    /// # Errors
    /// [`ErrorKind::Ledger`].
    pub fn count(&self, query: &Query) -> Result<u64> {
        let f = Filter::of(query);
        let sql = alloc::format!("SELECT COUNT(*) FROM transactions {}", f.sql);
        self.db
            .query_opt(&sql, f.values, "counting transactions")?
            .ok_or_else(|| bad("counting transactions"))?
            .int_as(0)
    }

    /// One page of what `query` finds, newest first: `limit` rows at `at`.
    ///
    /// # Errors
    /// [`ErrorKind::Ledger`].
    pub fn page(&self, query: &Query, at: PageAt, limit: u32) -> Result<Vec<TxView>> {
        let mut f = Filter::of(query);
        let (order, key) = match at {
            PageAt::Newest => ("DESC", None),
            PageAt::Older(k) => ("DESC", Some((k, "<"))),
            PageAt::Newer(k) => ("ASC", Some((k, ">"))),
            PageAt::Oldest => ("ASC", None),
        };
        if let Some((k, op)) = key {
            // (time, seq) beyond the key. The plain bound on time first: both databases start
            // the index walk at the key with it (neither derives it from the disjunction).
            f.push(&alloc::format!(" AND time {op}= "));
            f.bind(text(&k.time));
            f.push(&alloc::format!(" AND (time {op} "));
            f.bind(text(&k.time));
            f.push(" OR (time = ");
            f.bind(text(&k.time));
            f.push(&alloc::format!(" AND seq {op} "));
            f.bind(seq_val(k.seq, "reading transactions (page key)")?);
            f.push("))");
        }
        f.push(&alloc::format!(
            " ORDER BY time {order}, seq {order} LIMIT "
        ));
        f.bind(Val::Int(i64::from(limit)));
        let sql = alloc::format!("SELECT {VIEW_COLUMNS} FROM transactions {}", f.sql);
        let mut rows = self
            .db
            .query(&sql, f.values, "reading transactions")?
            .iter()
            .map(view)
            .collect::<Result<Vec<_>>>()?;
        if order == "ASC" {
            rows.reverse();
        }
        Ok(rows)
    }

    /// Whether `query` finds a row beyond `key` in the direction of `at` (a page before or
    /// after the one shown exists).
    ///
    /// # Errors
    /// [`ErrorKind::Ledger`].
    pub fn any(&self, query: &Query, at: PageAt) -> Result<bool> {
        Ok(!self.page(query, at, 1)?.is_empty())
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
        for r in &self.db.query(&sql, f.values, "reading transactions")? {
            each(&view(r)?);
        }
        Ok(())
    }

    /// The transaction of sequence number `seq`, if `query`'s scopes see it.
    ///
    /// # Errors
    /// [`ErrorKind::Ledger`].
    pub fn transaction(&self, query: &Query, seq: u64) -> Result<Option<TxView>> {
        let mut f = Filter::of(query);
        f.push(" AND seq = ");
        f.bind(seq_val(seq, "reading a transaction")?);
        let sql = alloc::format!("SELECT {VIEW_COLUMNS} FROM transactions {}", f.sql);
        self.db
            .query_opt(&sql, f.values, "reading a transaction")?
            .map(|r| view(&r))
            .transpose()
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
        // PostgreSQL sums BIGINTs as NUMERIC: cast back (a day's sum fits).
        let sql = alloc::format!(
            "SELECT substr(time, 1, 10) AS day, \
             CAST(SUM(CASE WHEN type IN {CREDITS} THEN -amount ELSE amount END) AS BIGINT), \
             COUNT(*), CAST(SUM(fee) AS BIGINT) \
             FROM transactions {} AND type IN {SETTLED} GROUP BY day ORDER BY day",
            f.sql
        );
        self.db
            .query(&sql, f.values, "summing transactions")?
            .iter()
            .map(|r| {
                Ok(DayTotals {
                    date: r.text(0)?,
                    amount: r.int(1)?,
                    count: r.int_as(2)?,
                    fee: r.int(3)?,
                })
            })
            .collect()
    }
}
