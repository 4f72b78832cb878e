//! Sign up, log in and out, the application and its status.

use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::{LOCATION, SET_COOKIE};
use axum::response::IntoResponse;
use axum::{Extension, Form};
use minijinja::context;

use super::{AppState, Failure, Page, Session, open_session};
use crate::auth;
use crate::forms::{self, ApplyForm, Credentials, CsrfOnly};
use crate::store::{ApplicationStatus, NewApplication, Role};

/// The window of the login rate limit, in seconds.
pub const FAILURE_WINDOW: i64 = 15 * 60;
/// Failed logins of one login name within the window before it is refused.
pub const FAILURES_PER_LOGIN: u32 = 5;
/// Failed logins from one client address within the window before it is refused.
pub const FAILURES_PER_CLIENT: u32 = 20;

fn now_text() -> String {
    crate::clock::at(crate::clock::unix_now()).map_or_else(String::new, |t| t.to_string())
}

pub(super) async fn signup_page(
    State(app): State<AppState>,
    Extension(s): Extension<Session>,
) -> Page {
    app.page(&s, "signup.html", StatusCode::OK, context! { login => "" })
}

pub(super) async fn signup(
    State(app): State<AppState>,
    Extension(s): Extension<Session>,
    Form(f): Form<Credentials>,
) -> Page {
    s.check_csrf(&f.csrf)?;
    let refuse = |error: &str| {
        app.page(
            &s,
            "signup.html",
            StatusCode::BAD_REQUEST,
            context! { login => f.login.trim(), error => error },
        )
    };
    let login = match forms::login(&f.login) {
        Ok(l) => l,
        Err(e) => return refuse(e),
    };
    if let Err(e) = forms::new_password(&f.password) {
        return refuse(e);
    }
    let password = f.password.clone();
    let hash = tokio::task::spawn_blocking(move || auth::hash_password(&password))
        .await
        .map_err(|e| {
            Failure::Internal(
                crate::error::Error::new(crate::error::ErrorKind::Crypto, "hashing a password")
                    .caused_by(e),
            )
        })??;
    let id = app
        .store()?
        .add_user(&login, &hash, Role::Merchant, &now_text())?;
    if id.is_none() {
        return refuse("An account with this login exists already; log in instead.");
    }
    tracing::info!("a merchant signed up");
    log_in(&app, &s, &login)
}

/// Replaces the visitor's session with a signed-in one (a new id: no session fixation).
fn log_in(app: &AppState, s: &Session, login: &str) -> Page {
    let user = app
        .store()?
        .user_by_login(login)?
        .map(|(u, _)| u)
        .ok_or(Failure::Login)?;
    app.store()?.close_session(&s.id_hash)?;
    let (_, cookie) = open_session(app, Some(&user), &s.client)?;
    let to = if user.role == Role::Operator {
        "/operator/applications"
    } else {
        "/application"
    };
    Ok((
        StatusCode::SEE_OTHER,
        [(LOCATION, to)],
        [(SET_COOKIE, cookie)],
    )
        .into_response())
}

pub(super) async fn login_page(
    State(app): State<AppState>,
    Extension(s): Extension<Session>,
) -> Page {
    app.page(&s, "login.html", StatusCode::OK, context! { login => "" })
}

pub(super) async fn login(
    State(app): State<AppState>,
    Extension(s): Extension<Session>,
    Form(f): Form<Credentials>,
) -> Page {
    s.check_csrf(&f.csrf)?;
    let login = forms::login(&f.login).unwrap_or_else(|_| f.login.trim().to_string());
    let now = crate::clock::unix_now();
    let login_key = format!("login:{login}");
    let client_key = format!("client:{}", s.client);
    let limited = {
        let store = app.store()?;
        store.failures(&login_key, now - FAILURE_WINDOW)? >= FAILURES_PER_LOGIN
            || store.failures(&client_key, now - FAILURE_WINDOW)? >= FAILURES_PER_CLIENT
    };
    if limited {
        tracing::warn!("login refused: too many failures");
        return app.page(
            &s,
            "login.html",
            StatusCode::TOO_MANY_REQUESTS,
            context! { login => login, error => "Too many failed logins: wait 15 minutes and try again." },
        );
    }
    let stored = app.store()?.user_by_login(&login)?;
    // An unknown login is checked against a decoy hash: both answers take as long.
    let hash = stored
        .as_ref()
        .map_or_else(|| app.decoy.clone(), |(_, h)| h.clone());
    let password = f.password.clone();
    let ok = tokio::task::spawn_blocking(move || auth::verify_password(&password, &hash))
        .await
        .map_err(|e| {
            Failure::Internal(
                crate::error::Error::new(crate::error::ErrorKind::Crypto, "checking a password")
                    .caused_by(e),
            )
        })?
        && stored.is_some();
    if !ok {
        {
            let store = app.store()?;
            store.login_failed(&login_key, now)?;
            store.login_failed(&client_key, now)?;
        }
        return app.page(
            &s,
            "login.html",
            StatusCode::UNAUTHORIZED,
            context! { login => login, error => "The login or the password is wrong." },
        );
    }
    log_in(&app, &s, &login)
}

pub(super) async fn logout(
    State(app): State<AppState>,
    Extension(s): Extension<Session>,
    Form(f): Form<CsrfOnly>,
) -> Page {
    s.check_csrf(&f.csrf)?;
    app.store()?.close_session(&s.id_hash)?;
    let expired = format!(
        "{}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0",
        auth::COOKIE
    );
    Ok((
        StatusCode::SEE_OTHER,
        [(LOCATION, "/login".to_string()), (SET_COOKIE, expired)],
    )
        .into_response())
}

fn type_label(key: &str) -> &'static str {
    forms::business_type(key).map_or("", |b| b.label)
}

pub(super) async fn application(
    State(app): State<AppState>,
    Extension(s): Extension<Session>,
) -> Page {
    let user = s.user()?;
    if user.role == Role::Operator {
        return Err(Failure::Redirect("/operator/applications"));
    }
    let a = app.store()?.application_of(user.id)?;
    let view = a.map(|a| {
        context! { type_label => type_label(&a.business_type), ..minijinja::Value::from_serialize(&a) }
    });
    app.page(
        &s,
        "application.html",
        StatusCode::OK,
        context! { app => view, types => forms::BUSINESS_TYPES, form => ApplyForm::default() },
    )
}

pub(super) async fn apply(
    State(app): State<AppState>,
    Extension(s): Extension<Session>,
    Form(f): Form<ApplyForm>,
) -> Page {
    s.check_csrf(&f.csrf)?;
    let user = s.user()?.clone();
    if user.role != Role::Merchant {
        return Err(Failure::Forbidden);
    }
    let checked = match f.check() {
        Ok(c) => c,
        Err(e) => {
            return app.page(
                &s,
                "application.html",
                StatusCode::BAD_REQUEST,
                context! { app => None::<()>, types => forms::BUSINESS_TYPES, form => f, error => e },
            );
        }
    };
    let sealed = app.keys.wrap(
        &format!("platform/account/{}", user.id),
        checked.account.as_bytes(),
    )?;
    let filed = app.store()?.apply(
        user.id,
        &NewApplication {
            business_name: checked.business_name,
            business_type: checked.business_type.key.into(),
            mcc: checked.business_type.mcc.into(),
            region: checked.region,
            account_masked: forms::mask_account(&checked.account),
            account_sealed: sealed,
        },
        &now_text(),
    )?;
    if !filed {
        return Err(Failure::Redirect("/application"));
    }
    tracing::info!("a merchant applied");
    Err(Failure::Redirect("/application"))
}

/// Whether the application of a status lets a merchant use the merchant pages.
pub(super) fn approved(status: ApplicationStatus) -> bool {
    status == ApplicationStatus::Approved
}
