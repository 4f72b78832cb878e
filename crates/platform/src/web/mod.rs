//! The HTTP side: the router, sessions, CSRF checks, page rendering and failures.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Request, State};
use axum::http::header::{LOCATION, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use cardwire_acquirer::config::Config;
use cardwire_acquirer::keystore::KeyStore;
use cardwire_acquirer::ledger::{Durability, SqliteLedger};
use cardwire_acquirer::records::Records;
use cardwire_acquirer::store::{Location, RegistryStore};
use minijinja::{Environment, Value, context};

use crate::auth::{self, COOKIE, CookieKey};
use crate::error::{Error, ErrorKind, Result, causes};
use crate::store::{Role, Store, User};

mod account;
mod merchant;
mod metrics;
mod operator;

pub use metrics::PageMetrics;

/// How long a signed-in session lasts.
pub const SESSION_SECONDS: i64 = 8 * 3600;
/// How long a visitor's (not signed in) session lasts.
pub const VISITOR_SECONDS: i64 = 3600;

/// Everything a request handler reaches.
pub struct Platform {
    store: Mutex<Store>,
    records: Mutex<Records>,
    acquirer: Location,
    keys: Arc<dyn KeyStore>,
    cookie: CookieKey,
    views: Environment<'static>,
    decoy: String,
    secure_cookies: bool,
    metrics: PageMetrics,
}

impl std::fmt::Debug for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Platform")
            .field("acquirer", &self.acquirer)
            .finish_non_exhaustive()
    }
}

/// The shared state of the handlers.
pub type AppState = Arc<Platform>;

fn templates() -> Result<Environment<'static>> {
    let mut env = Environment::new();
    let t = |e| Error::new(ErrorKind::Template, "loading the templates").caused_by(e);
    for (name, text) in [
        ("base.html", include_str!("../../templates/base.html")),
        ("login.html", include_str!("../../templates/login.html")),
        ("signup.html", include_str!("../../templates/signup.html")),
        (
            "application.html",
            include_str!("../../templates/application.html"),
        ),
        (
            "terminals.html",
            include_str!("../../templates/terminals.html"),
        ),
        (
            "dashboard.html",
            include_str!("../../templates/dashboard.html"),
        ),
        ("records.html", include_str!("../../templates/records.html")),
        ("receipt.html", include_str!("../../templates/receipt.html")),
        (
            "statement.html",
            include_str!("../../templates/statement.html"),
        ),
        (
            "reconcile.html",
            include_str!("../../templates/reconcile.html"),
        ),
        ("alerts.html", include_str!("../../templates/alerts.html")),
        ("message.html", include_str!("../../templates/message.html")),
        (
            "op_applications.html",
            include_str!("../../templates/op_applications.html"),
        ),
        (
            "op_terminals.html",
            include_str!("../../templates/op_terminals.html"),
        ),
        (
            "op_findings.html",
            include_str!("../../templates/op_findings.html"),
        ),
    ] {
        env.add_template(name, text).map_err(t)?;
    }
    Ok(env)
}

impl Platform {
    /// Opens the platform over the acquirer's data directory `dir`: the acquirer's database
    /// as its configuration there says (`dir/acquirer.toml`: the PostgreSQL URL of `ledger`
    /// when set, else `dir/acquirer.db`) and the platform's own `platform.db`; `keys` opens
    /// the acquirer's keys and the cookie key.
    ///
    /// # Errors
    /// The configuration, the databases or the key store failing.
    pub fn open(dir: &Path, keys: Arc<dyn KeyStore>, secure_cookies: bool) -> Result<Self> {
        let location = Config::in_data_dir(dir)?.location(dir);
        Self::open_at(dir, &location, keys, secure_cookies)
    }

    /// [`Platform::open`] over the acquirer's database at `acquirer` (the platform's own
    /// tables stay in `dir/platform.db`).
    ///
    /// # Errors
    /// As [`Platform::open`].
    pub fn open_at(
        dir: &Path,
        acquirer: &Location,
        keys: Arc<dyn KeyStore>,
        secure_cookies: bool,
    ) -> Result<Self> {
        std::fs::create_dir_all(dir)
            .map_err(Error::with(ErrorKind::Io, "creating the data directory"))?;
        if let Location::File(path) = acquirer {
            // The ledger's tables exist once it has been opened (a fresh directory);
            // PostgreSQL has them from its migrations, which opening the registry applies.
            drop(SqliteLedger::open(path, Durability::Normal, &*keys)?);
        }
        drop(RegistryStore::open_at(acquirer, &*keys)?);
        let records = Records::open_at(acquirer)?;
        let store = Store::open(dir.join("platform.db"))?;
        let cookie = match store.secret("cookie")? {
            Some(wrapped) => {
                let clear = keys.unwrap_key("platform/cookie", &wrapped)?;
                let key: [u8; 32] = clear.as_slice().try_into().map_err(|_| {
                    Error::new(ErrorKind::Crypto, "reading the cookie key (not 32 bytes)")
                })?;
                CookieKey::new(key)
            }
            None => {
                let key: [u8; 32] = auth::random()?;
                store.put_secret("cookie", &keys.wrap("platform/cookie", &key)?)?;
                CookieKey::new(key)
            }
        };
        Ok(Self {
            store: Mutex::new(store),
            records: Mutex::new(records),
            acquirer: acquirer.clone(),
            keys,
            cookie,
            views: templates()?,
            decoy: auth::decoy_hash()?,
            secure_cookies,
            metrics: PageMetrics::default(),
        })
    }

    /// The requests counted so far, by route.
    pub fn metrics(&self) -> &PageMetrics {
        &self.metrics
    }

    fn store(&self) -> std::result::Result<MutexGuard<'_, Store>, Failure> {
        self.store.lock().map_err(|_| {
            Failure::Internal(Error::new(
                ErrorKind::Database,
                "locking the platform database",
            ))
        })
    }

    fn records(&self) -> std::result::Result<MutexGuard<'_, Records>, Failure> {
        self.records.lock().map_err(|_| {
            Failure::Internal(Error::new(
                ErrorKind::Acquirer,
                "locking the acquirer's records",
            ))
        })
    }

    /// Forgets expired sessions and login failures older than the rate limit's window.
    ///
    /// # Errors
    /// The platform database failing.
    pub fn sweep(&self) -> Result<()> {
        let now = crate::clock::unix_now();
        self.store
            .lock()
            .map_err(|_| Error::new(ErrorKind::Database, "locking the platform database"))?
            .sweep(now, now - account::FAILURE_WINDOW)
    }

    /// The page `name` with `extra` and the session's user, CSRF token, error and notice.
    fn page(
        &self,
        s: &Session,
        name: &str,
        status: StatusCode,
        extra: Value,
    ) -> std::result::Result<Response, Failure> {
        let user = s.user.as_ref().map(|u| {
            context! { login => u.login.clone(), operator => u.role == Role::Operator }
        });
        let ctx = context! { user => user, csrf => s.csrf.clone(), ..extra };
        let html = self
            .views
            .get_template(name)
            .and_then(|t| t.render(ctx))
            .map_err(|e| {
                Failure::Internal(Error::new(ErrorKind::Template, "rendering a page").caused_by(e))
            })?;
        Ok((status, Html(html)).into_response())
    }

    fn cookie_header(&self, id: &[u8], max_age: i64) -> std::result::Result<HeaderValue, Failure> {
        let value = self.cookie.sign(id).map_err(Failure::Internal)?;
        let secure = if self.secure_cookies { "; Secure" } else { "" };
        HeaderValue::from_str(&format!(
            "{COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
        ))
        .map_err(|e| {
            Failure::Internal(Error::new(ErrorKind::Crypto, "writing a cookie").caused_by(e))
        })
    }
}

/// The session of a request (every request has one: a visitor's until it logs in).
#[derive(Clone, Debug)]
pub struct Session {
    id_hash: Vec<u8>,
    user: Option<User>,
    csrf: String,
    client: String,
}

impl Session {
    /// Refuses a form whose CSRF token is not the session's.
    fn check_csrf(&self, submitted: &str) -> std::result::Result<(), Failure> {
        if auth::csrf_matches(&self.csrf, submitted) {
            Ok(())
        } else {
            Err(Failure::BadCsrf)
        }
    }

    fn user(&self) -> std::result::Result<&User, Failure> {
        self.user.as_ref().ok_or(Failure::Login)
    }

    fn operator(&self) -> std::result::Result<&User, Failure> {
        let u = self.user()?;
        if u.role == Role::Operator {
            Ok(u)
        } else {
            Err(Failure::Forbidden)
        }
    }
}

/// Why a request did not get its page.
#[derive(Debug)]
pub enum Failure {
    /// Not signed in: to the login page.
    Login,
    /// Elsewhere (303).
    Redirect(&'static str),
    /// Not there, or not this user's (the same answer, so ids reveal nothing).
    NotFound,
    /// Signed in without the role.
    Forbidden,
    /// A form without the session's CSRF token.
    BadCsrf,
    /// The platform failed.
    Internal(Error),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Self::Internal(e)
    }
}

impl From<cardwire_acquirer::Error> for Failure {
    fn from(e: cardwire_acquirer::Error) -> Self {
        Self::Internal(e.into())
    }
}

fn plain(status: StatusCode, title: &str, text: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body><h1>{title}</h1><p>{text}</p><p><a href=\"/\">Home</a></p></body></html>"
    );
    (status, Html(html)).into_response()
}

fn see_other(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(LOCATION, to.to_string())]).into_response()
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        match self {
            Self::Login => see_other("/login"),
            Self::Redirect(to) => see_other(to),
            Self::NotFound => plain(StatusCode::NOT_FOUND, "Not found", "There is no such page."),
            Self::Forbidden => plain(
                StatusCode::FORBIDDEN,
                "Forbidden",
                "This page is for the acquirer's operators.",
            ),
            Self::BadCsrf => plain(
                StatusCode::FORBIDDEN,
                "The form expired",
                "Reload the page and submit the form again.",
            ),
            Self::Internal(e) => {
                tracing::error!(error = %causes(&e), "a request failed");
                plain(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong",
                    "The platform could not answer; try again later.",
                )
            }
        }
    }
}

/// A handler's answer.
type Page = std::result::Result<Response, Failure>;

fn cookie_of(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.to_string())
}

/// Opens a new session for `user` (none: a visitor); its cookie header.
fn open_session(
    app: &Platform,
    user: Option<&User>,
    client: &str,
) -> std::result::Result<(Session, HeaderValue), Failure> {
    let id: [u8; 32] = auth::random()?;
    let csrf = auth::hex(&auth::random::<16>()?);
    let ttl = if user.is_some() {
        SESSION_SECONDS
    } else {
        VISITOR_SECONDS
    };
    let id_hash = auth::digest(&id);
    app.store()?.open_session(
        &id_hash,
        user.map(|u| u.id),
        &csrf,
        crate::clock::unix_now() + ttl,
    )?;
    let header = app.cookie_header(&id, ttl)?;
    Ok((
        Session {
            id_hash,
            user: user.cloned(),
            csrf,
            client: client.into(),
        },
        header,
    ))
}

async fn sessions(State(app): State<AppState>, mut req: Request, next: Next) -> Response {
    let client = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(|| "local".to_string(), |c| c.0.ip().to_string());
    let found = cookie_of(req.headers())
        .and_then(|v| app.cookie.verify(&v))
        .map(|id| auth::digest(&id));
    let existing = match found {
        Some(id_hash) => match app
            .store()
            .and_then(|s| Ok(s.session(&id_hash, crate::clock::unix_now())?))
        {
            Ok(Some((user, csrf))) => Some(Session {
                id_hash,
                user,
                csrf,
                client: client.clone(),
            }),
            Ok(None) => None,
            Err(f) => return f.into_response(),
        },
        None => None,
    };
    let (session, cookie) = match existing {
        Some(s) => (s, None),
        None => match open_session(&app, None, &client) {
            Ok((s, c)) => (s, Some(c)),
            Err(f) => return f.into_response(),
        },
    };
    req.extensions_mut().insert(session);
    let mut resp = next.run(req).await;
    if let Some(c) = cookie
        && !resp.headers().contains_key(SET_COOKIE)
    {
        resp.headers_mut().append(SET_COOKIE, c);
    }
    resp.headers_mut()
        .insert("x-frame-options", HeaderValue::from_static("DENY"));
    resp.headers_mut().insert(
        "content-security-policy",
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'"),
    );
    resp
}

async fn home(axum::Extension(s): axum::Extension<Session>) -> Response {
    match &s.user {
        None => see_other("/login"),
        Some(u) if u.role == Role::Operator => see_other("/operator/applications"),
        Some(_) => see_other("/dashboard"),
    }
}

async fn not_found() -> Response {
    Failure::NotFound.into_response()
}

/// The platform's routes.
pub fn router(app: AppState) -> Router {
    Router::new()
        .route("/", get(home))
        .route("/signup", get(account::signup_page).post(account::signup))
        .route("/login", get(account::login_page).post(account::login))
        .route("/logout", post(account::logout))
        .route("/application", get(account::application))
        .route("/apply", post(account::apply))
        .route("/terminals", get(merchant::terminals).post(merchant::bind))
        .route("/dashboard", get(merchant::dashboard))
        .route("/records", get(merchant::records))
        .route("/records/{seq}", get(merchant::receipt))
        .route("/statement", get(merchant::statement))
        .route(
            "/reconcile",
            get(merchant::reconcile_page)
                .post(merchant::reconcile)
                .layer(DefaultBodyLimit::max(merchant::JOURNAL_LIMIT)),
        )
        .route("/alerts", get(merchant::alerts))
        .route("/operator/applications", get(operator::applications))
        .route(
            "/operator/applications/{id}/approve",
            post(operator::approve),
        )
        .route("/operator/applications/{id}/reject", post(operator::reject))
        .route("/operator/terminals", get(operator::terminals))
        .route(
            "/operator/terminals/{terminal_id}/code",
            post(operator::issue_code),
        )
        .route("/operator/findings", get(operator::findings))
        .route_layer(middleware::from_fn(metrics::tag_route))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(Arc::clone(&app), sessions))
        .layer(DefaultBodyLimit::max(64 * 1024))
        .layer(middleware::from_fn_with_state(
            Arc::clone(&app),
            metrics::count,
        ))
        .with_state(app)
}

/// `GET /metrics` (Prometheus text: requests and latency by route) and `GET /healthz`, for a
/// listener of their own (not the merchants' address).
pub fn metrics_router(app: AppState) -> Router {
    Router::new()
        .route(
            "/metrics",
            get(|State(app): State<AppState>| async move {
                (
                    [("content-type", "text/plain; version=0.0.4")],
                    app.metrics.render(),
                )
            }),
        )
        .route("/healthz", get(|| async { "ok\n" }))
        .with_state(app)
}
