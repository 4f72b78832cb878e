//! The merchant's pages: terminals and binding, dashboard, records, receipt, statement,
//! reconciliation and 跳码 alerts. Every query is limited to the merchant's own terminals,
//! from the time each was bound to it: another merchant's ids answer 404.

use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::IntoResponse;
use axum::{Extension, Form};
use cardwire_acquirer::DateTime;
use cardwire_acquirer::ledger::{Durability, Ledger, PgLedger, PgOptions, SqliteLedger};
use cardwire_acquirer::records::{self, PageAt, PageKey, Scope, Status, TxView};
use cardwire_acquirer::store::{Location, RegistryStore};
use cardwire_iso8583::cups::Transaction;
use cardwire_merchant::reconcile::{ReconcileConfig, reconcile as run_reconcile};
use cardwire_merchant::{FeeRate, Fen, RateTable};
use minijinja::context;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

use super::account::approved;
use super::{AppState, Failure, Page, Session};
use crate::alerts::{self, Own};
use crate::chart::{self, Bar};
use crate::clock;
use crate::error::{Error, ErrorKind};
use crate::forms::BindForm;
use crate::store::{Application, Role};

/// The largest journal upload.
pub const JOURNAL_LIMIT: usize = 8 * 1024 * 1024;
/// Rows on a records page.
pub const PAGE_ROWS: u32 = 50;
/// Failed bindings of one merchant within the login window before binding is refused.
pub const BIND_FAILURES: u32 = 5;

/// A bound terminal of the merchant.
#[derive(Clone, Debug, Serialize)]
struct OwnTerminal {
    terminal_id: String,
    serial: String,
    since: String,
    merchant_no: String,
}

/// What a merchant page needs: the approved application and the merchant's scopes.
struct Merchant {
    user_id: i64,
    app: Application,
    merchant_no: String,
    terminals: Vec<OwnTerminal>,
    scopes: Vec<Scope>,
}

impl Merchant {
    fn own(&self) -> Own {
        Own {
            merchant_no: self.merchant_no.clone(),
            mcc: self.app.mcc.clone(),
            region: self.app.region.clone(),
        }
    }
}

/// The signed-in merchant with an approved application, and its terminals: a terminal counts
/// while the acquirer's registry binds it to the merchant's number, from the platform
/// binding's time on.
fn merchant(app: &AppState, s: &Session) -> Result<Merchant, Failure> {
    let user = s.user()?;
    if user.role == Role::Operator {
        return Err(Failure::Redirect("/operator/applications"));
    }
    let (application, bindings) = {
        let store = app.store()?;
        (
            store.application_of(user.id)?,
            store.bindings(Some(user.id))?,
        )
    };
    let Some(application) = application.filter(|a| approved(a.status)) else {
        return Err(Failure::Redirect("/application"));
    };
    let merchant_no = application.merchant_no.clone().ok_or_else(|| {
        Failure::Internal(Error::new(
            ErrorKind::Database,
            "reading an approved application without merchant number",
        ))
    })?;
    let mut terminals = Vec::new();
    let mut scopes = Vec::new();
    let records = app.records()?;
    for b in bindings {
        let Some(t) = records.terminal(&b.terminal_id)? else {
            continue;
        };
        if t.merchant_no.as_deref() != Some(merchant_no.as_str()) {
            continue;
        }
        let since = DateTime::parse(&b.since).ok_or_else(|| {
            Failure::Internal(Error::new(ErrorKind::Database, "reading a binding's time"))
        })?;
        scopes.push(Scope {
            terminal_id: t.terminal_id.clone(),
            since,
        });
        terminals.push(OwnTerminal {
            terminal_id: t.terminal_id,
            serial: t.serial,
            since: b.since,
            merchant_no: merchant_no.clone(),
        });
    }
    Ok(Merchant {
        user_id: user.id,
        app: application,
        merchant_no,
        terminals,
        scopes,
    })
}

pub(super) async fn terminals(
    State(app): State<AppState>,
    Extension(s): Extension<Session>,
) -> Page {
    let m = merchant(&app, &s)?;
    app.page(
        &s,
        "terminals.html",
        StatusCode::OK,
        context! { terminals => m.terminals, serial => "" },
    )
}

pub(super) async fn bind(
    State(app): State<AppState>,
    Extension(s): Extension<Session>,
    Form(f): Form<BindForm>,
) -> Page {
    s.check_csrf(&f.csrf)?;
    let m = merchant(&app, &s)?;
    let serial = f.serial.trim().to_string();
    let refuse = |status: StatusCode, error: &str| {
        app.page(
            &s,
            "terminals.html",
            status,
            context! { terminals => m.terminals.clone(), serial => serial.clone(), error => error },
        )
    };
    let now = clock::unix_now();
    let key = format!("bind:{}", m.user_id);
    if app
        .store()?
        .failures(&key, now - super::account::FAILURE_WINDOW)?
        >= BIND_FAILURES
    {
        return refuse(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many wrong activation codes: wait 15 minutes and try again.",
        );
    }
    if serial.is_empty() || f.code.trim().is_empty() {
        return refuse(
            StatusCode::BAD_REQUEST,
            "Enter the serial number and the activation code.",
        );
    }
    let terminal = app.records()?.terminal_by_serial(&serial)?;
    let stored = match &terminal {
        Some(t) => app.store()?.code(&t.terminal_id)?,
        None => None,
    };
    let typed = crate::auth::digest(crate::auth::normalize_code(&f.code).as_bytes());
    let matches = stored.as_ref().is_some_and(|h| bool::from(h.ct_eq(&typed)));
    let (Some(terminal), true) = (terminal, matches) else {
        app.store()?.login_failed(&key, now)?;
        return refuse(
            StatusCode::BAD_REQUEST,
            "This serial number and activation code do not match a terminal waiting for activation.",
        );
    };
    // The acquirer's own path (as `cardwire-acquirer terminal activate`): bind, then activate.
    let mut registry = RegistryStore::open_at(&app.acquirer, &*app.keys)?;
    registry.bind(&terminal.terminal_id, &m.merchant_no)?;
    registry.activate(&terminal.terminal_id)?;
    drop(registry);
    let since = clock::at(now).ok_or_else(|| {
        Failure::Internal(Error::new(ErrorKind::InvalidInput, "reading the clock"))
    })?;
    app.store()?
        .bind(&terminal.terminal_id, m.user_id, &since.to_string())?;
    tracing::info!(terminal = %terminal.terminal_id, "a merchant bound a terminal");
    let m = merchant(&app, &s)?;
    app.page(
        &s,
        "terminals.html",
        StatusCode::OK,
        context! { terminals => m.terminals, serial => "", notice => format!("Terminal {} is bound to your merchant number {}.", terminal.terminal_id, m.merchant_no) },
    )
}

#[derive(Clone, Debug, Default, Serialize)]
struct Totals {
    amount: String,
    count: u64,
    fee: String,
}

fn totals<'a>(days: impl Iterator<Item = &'a records::DayTotals>) -> Totals {
    let (mut a, mut c, mut f) = (0i64, 0u64, 0i64);
    for d in days {
        a += d.amount;
        c += d.count;
        f += d.fee;
    }
    Totals {
        amount: Fen(a).to_string(),
        count: c,
        fee: Fen(f).to_string(),
    }
}

fn clock_failure() -> Failure {
    Failure::Internal(Error::new(
        ErrorKind::InvalidInput,
        "reading the clock (outside 2000-2099)",
    ))
}

pub(super) async fn dashboard(
    State(app): State<AppState>,
    Extension(s): Extension<Session>,
) -> Page {
    let m = merchant(&app, &s)?;
    let now_unix = clock::unix_now();
    let now = clock::at(now_unix).ok_or_else(clock_failure)?;
    let first = clock::at(now_unix - 29 * 86_400)
        .and_then(|t| clock::day_start(&t))
        .ok_or_else(clock_failure)?;
    let month_start =
        DateTime::new(now.year(), now.month(), 1, 0, 0, 0).ok_or_else(clock_failure)?;
    let from = if month_start < first {
        month_start
    } else {
        first
    };
    let query = records::Query {
        scopes: m.scopes.clone(),
        from: Some(from),
        ..records::Query::default()
    };
    let days = app.records()?.daily(&query)?;
    let today = clock::date(&now);
    let month = clock::month(&now);
    let day = totals(days.iter().filter(|d| d.date == today));
    let mon = totals(days.iter().filter(|d| d.date.starts_with(&month)));
    let mut bars = Vec::with_capacity(30);
    for back in (0..30).rev() {
        let t = clock::at(now_unix - back * 86_400).ok_or_else(clock_failure)?;
        let date = clock::date(&t);
        let amount = days.iter().find(|d| d.date == date).map_or(0, |d| d.amount);
        bars.push(Bar {
            label: date.get(5..).unwrap_or_default().to_string(),
            amount,
        });
    }
    app.page(
        &s,
        "dashboard.html",
        StatusCode::OK,
        context! {
            merchant_name => m.app.business_name, merchant_no => m.merchant_no,
            today => today, month => month, day => day, mon => mon,
            chart => chart::bars(&bars),
        },
    )
}

/// The record filters as the query string carries them.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub(super) struct RecordFilter {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    terminal: String,
    #[serde(default, rename = "type")]
    kind: String,
    #[serde(default)]
    status: String,
    /// The page number shown (the rows come from the key).
    #[serde(default)]
    page: String,
    /// The next page: rows older than this key ([`PageKey::to_text`]).
    #[serde(default)]
    after: String,
    /// The previous page: rows newer than this key.
    #[serde(default)]
    before: String,
    /// `oldest`: the last page.
    #[serde(default)]
    at: String,
}

/// The names the records page uses for transaction types.
const KINDS: [(&str, Transaction); 8] = [
    ("purchase", Transaction::Purchase),
    ("void", Transaction::PurchaseVoid),
    ("refund", Transaction::Refund),
    ("preauth", Transaction::PreAuth),
    ("preauth-void", Transaction::PreAuthVoid),
    ("completion", Transaction::PreAuthCompletion),
    ("completion-void", Transaction::PreAuthCompletionVoid),
    ("balance", Transaction::Balance),
];

fn kind_name(t: Transaction) -> &'static str {
    KINDS
        .iter()
        .find(|(_, k)| *k == t)
        .map_or("other", |(n, _)| n)
}

#[derive(Clone, Debug, Serialize)]
struct RowView {
    seq: u64,
    time: String,
    terminal_id: String,
    kind: &'static str,
    status: &'static str,
    response: String,
    amount: String,
    fee: String,
    card: String,
    merchant_no: String,
    merchant_name: String,
    rrn: String,
    auth_code: String,
    batch: u32,
    stan: u32,
}

fn row_view(v: &TxView) -> RowView {
    let amount = i64::try_from(v.amount).unwrap_or(i64::MAX);
    RowView {
        seq: v.seq,
        time: v.time.to_string(),
        terminal_id: v.terminal_id.clone(),
        kind: kind_name(v.transaction),
        status: v.status().name(),
        response: v.response.code().iter().map(|&c| char::from(c)).collect(),
        amount: Fen(if v.transaction.is_credit() {
            -amount
        } else {
            amount
        })
        .to_string(),
        fee: Fen(v.fee).to_string(),
        card: v.card.clone(),
        merchant_no: v.merchant_no.clone(),
        merchant_name: v.merchant_name.clone(),
        rrn: v.rrn.clone(),
        auth_code: v.auth_code.clone(),
        batch: v.batch,
        stan: v.stan,
    }
}

impl RecordFilter {
    fn query(&self, scopes: Vec<Scope>) -> Result<records::Query, &'static str> {
        let from = match self.from.trim() {
            "" => None,
            t => Some(clock::parse_date(t).ok_or("The start date is not a date (YYYY-MM-DD).")?),
        };
        let to = match self.to.trim() {
            "" => None,
            t => Some(
                clock::parse_date(t)
                    .and_then(|d| clock::day_end(&d))
                    .ok_or("The end date is not a date (YYYY-MM-DD).")?,
            ),
        };
        if let (Some(f), Some(t)) = (&from, &to)
            && f > t
        {
            return Err("The start date is after the end date.");
        }
        let transaction = match self.kind.trim() {
            "" => None,
            k => Some(
                KINDS
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, t)| *t)
                    .ok_or("Choose a type from the list.")?,
            ),
        };
        let status = match self.status.trim() {
            "" => None,
            st => Some(Status::from_name(st).ok_or("Choose a status from the list.")?),
        };
        let terminal_id = match self.terminal.trim() {
            "" => None,
            t => Some(t.to_string()),
        };
        Ok(records::Query {
            scopes,
            from,
            to,
            terminal_id,
            transaction,
            status,
        })
    }

    fn page_no(&self) -> Result<u64, &'static str> {
        match self.page.trim() {
            "" => Ok(1),
            p => p
                .parse::<u64>()
                .ok()
                .filter(|p| *p >= 1)
                .ok_or("The page number is not a number."),
        }
    }

    /// Where the page starts: by the key its link carries, never by an offset.
    fn page_at(&self) -> Result<PageAt, &'static str> {
        let key = |t: &str| PageKey::parse(t.trim()).ok_or("The page link is damaged.");
        match (self.after.trim(), self.before.trim(), self.at.trim()) {
            ("", "", "") => Ok(PageAt::Newest),
            (a, "", "") => Ok(PageAt::Older(key(a)?)),
            ("", b, "") => Ok(PageAt::Newer(key(b)?)),
            ("", "", "oldest") => Ok(PageAt::Oldest),
            _ => Err("The page link is damaged."),
        }
    }

    /// The link to page `page` at `at`.
    fn link(&self, page: u64, at: PageAt) -> String {
        let enc = |s: &str| -> String {
            s.bytes()
                .map(|b| {
                    if b.is_ascii_alphanumeric() || b == b'-' {
                        char::from(b).to_string()
                    } else {
                        format!("%{b:02X}")
                    }
                })
                .collect()
        };
        let key = match at {
            PageAt::Newest => String::new(),
            PageAt::Older(k) => format!("&after={}", k.to_text()),
            PageAt::Newer(k) => format!("&before={}", k.to_text()),
            PageAt::Oldest => "&at=oldest".into(),
        };
        format!(
            "/records?from={}&to={}&terminal={}&type={}&status={}&page={page}{key}",
            enc(&self.from),
            enc(&self.to),
            enc(&self.terminal),
            enc(&self.kind),
            enc(&self.status)
        )
    }
}

pub(super) async fn records(
    State(app): State<AppState>,
    Extension(s): Extension<Session>,
    Query(f): Query<RecordFilter>,
) -> Page {
    let m = merchant(&app, &s)?;
    let terminal_ids: Vec<String> = m.terminals.iter().map(|t| t.terminal_id.clone()).collect();
    let kinds: Vec<&str> = KINDS.iter().map(|(n, _)| *n).collect();
    let statuses: Vec<&str> = Status::ALL.iter().map(|s| s.name()).collect();
    let checked = f
        .query(m.scopes.clone())
        .and_then(|q| Ok((q, f.page_no()?, f.page_at()?)));
    let (query, page, at) = match checked {
        Ok(x) => x,
        Err(e) => {
            return app.page(
                &s,
                "records.html",
                StatusCode::BAD_REQUEST,
                context! { q => f, terminals => terminal_ids, types => kinds, statuses => statuses,
                rows => Vec::<RowView>::new(), total => 0, page => 1, pages => 1, error => e },
            );
        }
    };
    let (total, rows, older, newer) = {
        let r = app.records()?;
        let total = r.count(&query)?;
        let pages = total.div_ceil(u64::from(PAGE_ROWS)).max(1);
        // The oldest page holds what the pages before it leave.
        let limit = match at {
            PageAt::Oldest => u32::try_from(total - (pages - 1) * u64::from(PAGE_ROWS))
                .unwrap_or(PAGE_ROWS)
                .max(1),
            _ => PAGE_ROWS,
        };
        let rows = r.page(&query, at, limit)?;
        let (older, newer) = match (rows.first(), rows.last()) {
            (Some(first), Some(last)) => (
                r.any(&query, PageAt::Older(PageKey::of(last)))?
                    .then(|| PageAt::Older(PageKey::of(last))),
                r.any(&query, PageAt::Newer(PageKey::of(first)))?
                    .then(|| PageAt::Newer(PageKey::of(first))),
            ),
            _ => (None, None),
        };
        (total, rows, older, newer)
    };
    let pages = total.div_ceil(u64::from(PAGE_ROWS)).max(1);
    let page = match at {
        PageAt::Newest => 1,
        PageAt::Oldest => pages,
        _ => page.min(pages),
    };
    let rows: Vec<RowView> = rows.iter().map(row_view).collect();
    app.page(
        &s,
        "records.html",
        StatusCode::OK,
        context! {
            q => f, terminals => terminal_ids, types => kinds, statuses => statuses, rows => rows,
            total => total, page => page, pages => pages,
            first => newer.map(|_| f.link(1, PageAt::Newest)),
            prev => newer.map(|k| f.link(page.saturating_sub(1).max(1), k)),
            next => older.map(|k| f.link(page + 1, k)),
            last => older.map(|_| f.link(pages, PageAt::Oldest)),
        },
    )
}

pub(super) async fn receipt(
    State(app): State<AppState>,
    Extension(s): Extension<Session>,
    Path(seq): Path<String>,
) -> Page {
    let m = merchant(&app, &s)?;
    let seq: u64 = seq.parse().map_err(|_| Failure::NotFound)?;
    let query = records::Query {
        scopes: m.scopes,
        ..records::Query::default()
    };
    let v = app
        .records()?
        .transaction(&query, seq)?
        .ok_or(Failure::NotFound)?;
    app.page(
        &s,
        "receipt.html",
        StatusCode::OK,
        context! { r => row_view(&v) },
    )
}

/// A `?month=YYYY-MM` query.
#[derive(Clone, Debug, Default, Deserialize)]
pub(super) struct MonthQuery {
    month: Option<String>,
}

/// The merchant's statement of `month` ("" for all of it) as the acquirer writes it: the
/// acquirer's own writer, keeping the rows of the merchant's scopes.
fn statement_csv(app: &AppState, scopes: &[Scope], month: &str) -> Result<Vec<u8>, Failure> {
    let scopes: Vec<(String, String)> = scopes
        .iter()
        .map(|s| (s.terminal_id.clone(), s.since.to_string()))
        .collect();
    let keep = |r: &cardwire_acquirer::statement::Row| {
        scopes
            .iter()
            .any(|(t, since)| *t == r.terminal_id && r.time >= *since)
    };
    let write = |ledger: &mut dyn Ledger| -> Result<Vec<u8>, Failure> {
        let mut out = Vec::new();
        cardwire_acquirer::statement::write_csv_where(ledger, month, &keep, &mut out)?;
        Ok(out)
    };
    match &app.acquirer {
        Location::File(path) => write(&mut SqliteLedger::open(
            path,
            Durability::Normal,
            &*app.keys,
        )?),
        // The synchronous PostgreSQL client may not block a thread that drives the
        // handlers' tasks: it runs on a thread of its own.
        Location::Postgres(url) => std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    write(&mut PgLedger::connect(
                        url,
                        PgOptions::default(),
                        &*app.keys,
                    )?)
                })
                .join()
                .unwrap_or_else(|_| {
                    Err(Failure::Internal(Error::new(
                        ErrorKind::Acquirer,
                        "writing the statement (its thread failed)",
                    )))
                })
        }),
    }
}

pub(super) async fn statement(
    State(app): State<AppState>,
    Extension(s): Extension<Session>,
    Query(q): Query<MonthQuery>,
) -> Page {
    let m = merchant(&app, &s)?;
    let now = clock::at(clock::unix_now()).ok_or_else(clock_failure)?;
    let Some(month) = q.month.map(|t| t.trim().to_string()) else {
        return app.page(
            &s,
            "statement.html",
            StatusCode::OK,
            context! { month => clock::month(&now) },
        );
    };
    if !clock::is_month(&month) {
        return app.page(
            &s,
            "statement.html",
            StatusCode::BAD_REQUEST,
            context! { month => clock::month(&now), error => "The month is YYYY-MM (e.g. 2026-11)." },
        );
    }
    let csv = statement_csv(&app, &m.scopes, &month)?;
    Ok((
        StatusCode::OK,
        [
            (CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"statement-{}-{month}.csv\"",
                    m.merchant_no
                ),
            ),
        ],
        csv,
    )
        .into_response())
}

pub(super) async fn reconcile_page(
    State(app): State<AppState>,
    Extension(s): Extension<Session>,
) -> Page {
    merchant(&app, &s)?;
    app.page(&s, "reconcile.html", StatusCode::OK, context! {})
}

pub(super) async fn reconcile(
    State(app): State<AppState>,
    Extension(s): Extension<Session>,
    mut form: Multipart,
) -> Page {
    let mut csrf = String::new();
    let mut journal: Option<Vec<u8>> = None;
    let bad = |e: axum::extract::multipart::MultipartError| {
        Failure::Internal(
            Error::new(ErrorKind::InvalidInput, "reading an upload").caused_by(e.body_text()),
        )
    };
    while let Some(field) = form.next_field().await.map_err(bad)? {
        match field.name() {
            Some("csrf") => csrf = field.text().await.map_err(bad)?,
            Some("journal") => journal = Some(field.bytes().await.map_err(bad)?.to_vec()),
            _ => {}
        }
    }
    s.check_csrf(&csrf)?;
    let m = merchant(&app, &s)?;
    let refuse = |error: String| {
        app.page(
            &s,
            "reconcile.html",
            StatusCode::BAD_REQUEST,
            context! { error => error },
        )
    };
    let Some(journal) = journal.filter(|j| !j.is_empty()) else {
        return refuse("Choose the journal CSV file of your terminal.".into());
    };
    let statement = statement_csv(&app, &m.scopes, "")?;
    let fee = app
        .records()?
        .merchants()?
        .into_iter()
        .find(|x| x.merchant_no == m.merchant_no)
        .and_then(|x| FeeRate::from_millionths(x.fee_millionths));
    let config = ReconcileConfig {
        rates: fee.map(RateTable::flat),
        window: None,
        ..ReconcileConfig::default()
    };
    match run_reconcile(journal.as_slice(), statement.as_slice(), None, &config) {
        Ok(r) => {
            let findings: Vec<alerts::Alert> = r.findings.iter().map(alerts::of_finding).collect();
            app.page(
                &s,
                "reconcile.html",
                StatusCode::OK,
                context! { summary => context! { matched => r.summary.matched }, findings => findings },
            )
        }
        Err(e) => refuse(format!("The journal could not be read: {e}.")),
    }
}

/// The month a page shows: `?month=YYYY-MM`, this month without it; `Err` with the page's
/// message for text that is no month.
pub(super) fn month_of(q: &MonthQuery) -> Result<(String, alerts::Month), &'static str> {
    let text = match q.month.as_deref().map(str::trim) {
        None | Some("") => {
            clock::month(&clock::at(clock::unix_now()).ok_or("The clock is wrong.")?)
        }
        Some(t) => t.to_string(),
    };
    let month = alerts::Month::parse(&text).ok_or("The month is YYYY-MM (e.g. 2026-11).")?;
    Ok((text, month))
}

pub(super) async fn alerts(
    State(app): State<AppState>,
    Extension(s): Extension<Session>,
    Query(q): Query<MonthQuery>,
) -> Page {
    let m = merchant(&app, &s)?;
    let (text, month) = match month_of(&q) {
        Ok(x) => x,
        Err(e) => {
            return app.page(
                &s,
                "alerts.html",
                StatusCode::BAD_REQUEST,
                context! { alerts => Vec::<alerts::Alert>::new(), month => "", error => e },
            );
        }
    };
    let list = alerts::audit(&*app.records()?, m.scopes.clone(), &month, &m.own())?;
    app.page(
        &s,
        "alerts.html",
        StatusCode::OK,
        context! { alerts => list, month => text },
    )
}
