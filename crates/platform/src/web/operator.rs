//! The operator's pages: applications (approve with a merchant number, reject with a
//! reason), terminals and their bindings (and their activation codes), findings across
//! merchants. Each needs the operator role.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Form};
use cardwire_acquirer::DateTime;
use cardwire_acquirer::Merchant;
use cardwire_acquirer::records::Scope;
use cardwire_acquirer::store::RegistryStore;
use cardwire_merchant::FeeRate;
use minijinja::context;
use serde::Serialize;

use super::{AppState, Failure, Page, Session};
use crate::alerts::{self, Own};
use crate::auth;
use crate::error::{Error, ErrorKind};
use crate::forms::{self, ApproveForm, CsrfOnly, RejectForm};
use crate::store::ApplicationStatus;

fn now_text() -> Result<String, Failure> {
    crate::clock::at(crate::clock::unix_now())
        .map(|t| t.to_string())
        .ok_or_else(|| Failure::Internal(Error::new(ErrorKind::InvalidInput, "reading the clock")))
}

fn list(
    app: &AppState,
    s: &Session,
    status: StatusCode,
    error: Option<String>,
    notice: Option<String>,
) -> Page {
    let apps: Vec<minijinja::Value> = app
        .store()?
        .applications()?
        .into_iter()
        .map(|a| {
            let label = forms::business_type(&a.business_type).map_or("", |b| b.label);
            context! { type_label => label, ..minijinja::Value::from_serialize(&a) }
        })
        .collect();
    app.page(
        s,
        "op_applications.html",
        status,
        context! { apps => apps, error => error, notice => notice },
    )
}

pub(super) async fn applications(
    State(app): State<AppState>,
    Extension(s): Extension<Session>,
) -> Page {
    s.operator()?;
    list(&app, &s, StatusCode::OK, None, None)
}

fn id_of(text: &str) -> Result<i64, Failure> {
    text.parse().map_err(|_| Failure::NotFound)
}

pub(super) async fn approve(
    State(app): State<AppState>,
    Extension(s): Extension<Session>,
    Path(id): Path<String>,
    Form(f): Form<ApproveForm>,
) -> Page {
    s.operator()?;
    s.check_csrf(&f.csrf)?;
    let id = id_of(&id)?;
    let a = app.store()?.application(id)?.ok_or(Failure::NotFound)?;
    let refuse = |e: &str| {
        list(
            &app,
            &s,
            StatusCode::BAD_REQUEST,
            Some(format!("Application {id}: {e}")),
            None,
        )
    };
    if a.status != ApplicationStatus::Pending {
        return refuse("it was reviewed already.");
    }
    let (merchant_no, bps) = match f.check(&a.mcc, &a.region) {
        Ok(x) => x,
        Err(e) => return refuse(e),
    };
    if app.records()?.has_merchant(&merchant_no)? || app.store()?.merchant_no_taken(&merchant_no)? {
        return refuse("this merchant number belongs to another merchant already.");
    }
    // The acquirer's own path (as `cardwire-acquirer merchant add`).
    RegistryStore::open_at(&app.acquirer, &*app.keys)?.add_merchant(&Merchant {
        merchant_no: merchant_no.clone(),
        name: a.business_name.clone(),
        mcc: a.mcc.clone(),
        fee_rate: FeeRate::from_bps(bps),
    })?;
    if !app.store()?.approve(id, &merchant_no, &now_text()?)? {
        return refuse("it was reviewed already.");
    }
    tracing::info!(application = id, merchant_no = %merchant_no, "application approved");
    list(
        &app,
        &s,
        StatusCode::OK,
        None,
        Some(format!(
            "Application {id} approved as merchant {merchant_no}."
        )),
    )
}

pub(super) async fn reject(
    State(app): State<AppState>,
    Extension(s): Extension<Session>,
    Path(id): Path<String>,
    Form(f): Form<RejectForm>,
) -> Page {
    s.operator()?;
    s.check_csrf(&f.csrf)?;
    let id = id_of(&id)?;
    app.store()?.application(id)?.ok_or(Failure::NotFound)?;
    let reason = f.reason.trim();
    if reason.is_empty() || reason.chars().count() > 200 {
        return list(
            &app,
            &s,
            StatusCode::BAD_REQUEST,
            Some(format!(
                "Application {id}: give a reason of at most 200 characters."
            )),
            None,
        );
    }
    if !app.store()?.reject(id, reason, &now_text()?)? {
        return list(
            &app,
            &s,
            StatusCode::BAD_REQUEST,
            Some(format!("Application {id}: it was reviewed already.")),
            None,
        );
    }
    tracing::info!(application = id, "application rejected");
    list(
        &app,
        &s,
        StatusCode::OK,
        None,
        Some(format!("Application {id} rejected.")),
    )
}

#[derive(Clone, Debug, Serialize)]
struct TerminalRow {
    terminal_id: String,
    serial: String,
    activated: bool,
    merchant_no: String,
    merchant_name: String,
    owner: String,
    since: String,
    pool: String,
    coded: bool,
}

fn terminal_page(app: &AppState, s: &Session, code: Option<minijinja::Value>) -> Page {
    let (terminals, merchants) = {
        let r = app.records()?;
        (r.terminals()?, r.merchants()?)
    };
    let names: HashMap<String, String> = merchants
        .into_iter()
        .map(|m| (m.merchant_no, m.name))
        .collect();
    let (bindings, apps, coded) = {
        let st = app.store()?;
        (
            st.bindings(None)?,
            st.applications()?,
            st.coded_terminals()?,
        )
    };
    let rows: Vec<TerminalRow> = terminals
        .into_iter()
        .map(|t| {
            let b = bindings.iter().find(|b| b.terminal_id == t.terminal_id);
            let owner = b
                .and_then(|b| apps.iter().find(|a| a.user_id == b.user_id))
                .map_or_else(String::new, |a| {
                    format!("{} ({})", a.business_name, a.login)
                });
            let no = t.merchant_no.clone().unwrap_or_default();
            TerminalRow {
                merchant_name: names.get(&no).cloned().unwrap_or_default(),
                merchant_no: no,
                owner,
                since: b.map_or_else(String::new, |b| b.since.clone()),
                pool: t.pool.join(", "),
                coded: coded.contains(&t.terminal_id),
                activated: t.activated,
                serial: t.serial,
                terminal_id: t.terminal_id,
            }
        })
        .collect();
    app.page(
        s,
        "op_terminals.html",
        StatusCode::OK,
        context! { terminals => rows, code => code },
    )
}

pub(super) async fn terminals(
    State(app): State<AppState>,
    Extension(s): Extension<Session>,
) -> Page {
    s.operator()?;
    terminal_page(&app, &s, None)
}

pub(super) async fn issue_code(
    State(app): State<AppState>,
    Extension(s): Extension<Session>,
    Path(terminal_id): Path<String>,
    Form(f): Form<CsrfOnly>,
) -> Page {
    s.operator()?;
    s.check_csrf(&f.csrf)?;
    let t = app
        .records()?
        .terminal(&terminal_id)?
        .ok_or(Failure::NotFound)?;
    let code = auth::activation_code()?;
    app.store()?.put_code(
        &t.terminal_id,
        &auth::digest(auth::normalize_code(&code).as_bytes()),
        &now_text()?,
    )?;
    tracing::info!(terminal = %t.terminal_id, "activation code issued");
    terminal_page(
        &app,
        &s,
        Some(context! { terminal_id => t.terminal_id, serial => t.serial, code => code }),
    )
}

pub(super) async fn findings(
    State(app): State<AppState>,
    Extension(s): Extension<Session>,
    axum::extract::Query(q): axum::extract::Query<super::merchant::MonthQuery>,
) -> Page {
    s.operator()?;
    let (text, month) = match super::merchant::month_of(&q) {
        Ok(x) => x,
        Err(e) => {
            return app.page(
                &s,
                "op_findings.html",
                StatusCode::BAD_REQUEST,
                context! { merchants => Vec::<()>::new(), month => "", error => e },
            );
        }
    };
    let (apps, bindings) = {
        let st = app.store()?;
        (st.applications()?, st.bindings(None)?)
    };
    let records = app.records()?;
    let mut merchants = Vec::new();
    for a in apps
        .into_iter()
        .filter(|a| a.status == ApplicationStatus::Approved)
    {
        let Some(no) = a.merchant_no.clone() else {
            continue;
        };
        let mut scopes = Vec::new();
        for b in bindings.iter().filter(|b| b.user_id == a.user_id) {
            let bound = records
                .terminal(&b.terminal_id)?
                .and_then(|t| t.merchant_no)
                == Some(no.clone());
            if let (true, Some(since)) = (bound, DateTime::parse(&b.since)) {
                scopes.push(Scope {
                    terminal_id: b.terminal_id.clone(),
                    since,
                });
            }
        }
        if scopes.is_empty() {
            continue;
        }
        let own = Own {
            merchant_no: no.clone(),
            mcc: a.mcc.clone(),
            region: a.region.clone(),
        };
        let list = alerts::audit(&records, scopes, &month, &own)?;
        merchants.push(context! { name => a.business_name, merchant_no => no, alerts => list });
    }
    // Terminals the acquirer rotates through other merchant numbers, bound or not.
    for t in records
        .terminals()?
        .into_iter()
        .filter(|t| !t.pool.is_empty())
    {
        merchants.push(context! {
            name => format!("Terminal {} (serial {})", t.terminal_id, t.serial),
            merchant_no => t.merchant_no.unwrap_or_default(),
            alerts => vec![alerts::Alert {
                severity: "definitive".into(),
                title: "The registry rotates this terminal through other merchant numbers (跳码)".into(),
                detail: format!("Rotation pool: {}.", t.pool.join(", ")),
            }],
        });
    }
    drop(records);
    app.page(
        &s,
        "op_findings.html",
        StatusCode::OK,
        context! { merchants => merchants, month => text },
    )
}
