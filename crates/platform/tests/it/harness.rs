//! A platform over a fresh acquirer data directory (the fixtures imported), and a client
//! that keeps its session cookie and reads each page's CSRF token.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use cardwire_acquirer::host::Host;
use cardwire_acquirer::keystore::{KeyStore, SoftwareKeyStore};
use cardwire_acquirer::ledger::{
    Durability, Ledger, PgLedger, PgOptions, Posting, SqliteLedger, TxKey, TxRecord, TxState,
};
use cardwire_acquirer::statement;
use cardwire_acquirer::store::{Location, RegistryStore};
use cardwire_acquirer::{DateTime, ResponseCode};
use cardwire_iso8583::cups::Transaction;
use cardwire_platform::store::{Role, Store};
use cardwire_platform::{Platform, auth, clock, router};
use cardwire_testkit::{PgDb, TempDir};
use http_body_util::BodyExt;
use tower::ServiceExt;

pub const KEK: [u8; 32] = [0x5a; 32];
pub const OPERATOR: &str = "ops@acquirer.example";
pub const OPERATOR_PASSWORD: &str = "operator pass 2026";
pub const PASSWORD: &str = "merchant pass 2026";
/// The fixtures' noodle shop (a merchant of the registry, on no platform account).
pub const NOODLE_NO: &str = "898310058121234";

pub fn keys() -> SoftwareKeyStore {
    SoftwareKeyStore::new(KEK)
}

/// Runs `work` where the synchronous PostgreSQL client may block: on a thread of its own
/// (these tests run inside an asynchronous runtime).
pub fn off_runtime<T: Send>(work: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| s.spawn(work).join().unwrap())
}

/// The acquirer's ledger at `location`, handed to `work`.
fn with_ledger_at<T: Send>(
    location: &Location,
    work: impl FnOnce(&mut dyn Ledger) -> T + Send,
) -> T {
    off_runtime(|| match location {
        Location::File(path) => {
            work(&mut SqliteLedger::open(path, Durability::Normal, &keys()).unwrap())
        }
        Location::Postgres(url) => {
            work(&mut PgLedger::connect(url, PgOptions::default(), &keys()).unwrap())
        }
    })
}

/// Imports the fixtures at `location` as `cardwire-acquirer import` does.
pub fn import_fixtures_at(location: &Location) {
    let text = std::fs::read_to_string(cardwire_testkit::fixtures::fixtures_path()).unwrap();
    let registry = cardwire_acquirer::import::registry_from_json(&text).unwrap();
    let opened = registry.clone();
    off_runtime(|| match location {
        Location::File(path) => {
            let ledger = SqliteLedger::open(path, Durability::Normal, &keys()).unwrap();
            drop(Host::new(opened, ledger).unwrap());
        }
        Location::Postgres(url) => {
            let ledger = PgLedger::connect(url, PgOptions::default(), &keys()).unwrap();
            drop(Host::new(opened, ledger).unwrap());
        }
    });
    RegistryStore::open_at(location, &keys())
        .unwrap()
        .save(&registry)
        .unwrap();
}

/// A database of its own on the tests' PostgreSQL server, made and dropped off the
/// runtime.
pub struct PgHandle(Option<PgDb>);

impl PgHandle {
    /// `None` (the reason printed) without `CARDWIRE_PG_URL`.
    pub fn new(name: &str) -> Option<Self> {
        off_runtime(|| PgDb::new(name))
            .map_err(|reason| eprintln!("SKIPPED {name} on PostgreSQL: {reason}"))
            .ok()
            .map(|db| Self(Some(db)))
    }

    pub fn url(&self) -> String {
        self.0.as_ref().unwrap().url().to_string()
    }
}

impl Drop for PgHandle {
    fn drop(&mut self) {
        let db = self.0.take();
        off_runtime(move || drop(db));
    }
}

/// A test over the SQLite data directory (`$sqlite`) and the same over PostgreSQL
/// (`$postgres`, skipped with its reason printed without `CARDWIRE_PG_URL`): `$body` takes
/// the world.
macro_rules! both {
    ($sqlite:ident, $postgres:ident, $body:ident, $label:literal) => {
        #[tokio::test]
        async fn $sqlite() {
            $body($crate::harness::World::new($label)).await;
        }

        #[tokio::test]
        async fn $postgres() {
            if let Some(w) = $crate::harness::World::on_postgres($label) {
                $body(w).await;
            }
        }
    };
}
pub(crate) use both;

pub struct World {
    pub dir: TempDir,
    pub app: Router,
    pub platform: Arc<Platform>,
    pub location: Location,
    // Dropped last: the platform's connections close first.
    _pg: Option<PgHandle>,
}

impl World {
    /// The platform over a fresh SQLite data directory.
    pub fn new(name: &str) -> Self {
        let dir = TempDir::new(name);
        let location = Location::File(dir.join("acquirer.db"));
        Self::over(dir, location, None)
    }

    /// The platform over a PostgreSQL acquirer, found as `cardwire-platform serve` finds it:
    /// the data directory's `acquirer.toml` names the database. `None` (the reason printed)
    /// without `CARDWIRE_PG_URL`.
    pub fn on_postgres(name: &str) -> Option<Self> {
        let pg = PgHandle::new(name)?;
        let dir = TempDir::new(name);
        std::fs::write(
            dir.join("acquirer.toml"),
            format!("ledger = \"{}\"\n", pg.url()),
        )
        .unwrap();
        let location = Location::Postgres(pg.url());
        Some(Self::over(dir, location, Some(pg)))
    }

    fn over(dir: TempDir, location: Location, pg: Option<PgHandle>) -> Self {
        import_fixtures_at(&location);
        let keys: Arc<dyn KeyStore> = Arc::new(keys());
        // As the binary opens it: by the data directory's configuration.
        let platform = Arc::new(Platform::open(dir.path(), keys, false).unwrap());
        let store = Store::open(dir.join("platform.db")).unwrap();
        store
            .add_user(
                OPERATOR,
                &auth::hash_password(OPERATOR_PASSWORD).unwrap(),
                Role::Operator,
                "2026-01-01 00:00:00",
            )
            .unwrap();
        Self {
            app: router(Arc::clone(&platform)),
            platform,
            dir,
            location,
            _pg: pg,
        }
    }

    pub fn client(&self) -> Client {
        Client {
            app: self.app.clone(),
            cookie: None,
            csrf: String::new(),
        }
    }

    /// Runs `work` on the acquirer's ledger (SQLite or PostgreSQL).
    pub fn with_ledger<T: Send>(&self, work: impl FnOnce(&mut dyn Ledger) -> T + Send) -> T {
        with_ledger_at(&self.location, work)
    }

    /// The acquirer's statement export of `month` (`cardwire-acquirer statement`'s writer).
    pub fn export(&self, month: &str) -> Vec<u8> {
        self.with_ledger(|l| {
            let mut out = Vec::new();
            statement::write_csv_of(l, month, &mut out).unwrap();
            out
        })
    }

    pub fn registry(&self) -> cardwire_acquirer::Registry {
        RegistryStore::open_at(&self.location, &keys())
            .unwrap()
            .load()
            .unwrap()
    }

    pub fn store(&self) -> Store {
        Store::open(self.dir.join("platform.db")).unwrap()
    }

    /// Posts an approved transaction of `terminal` under `merchant_no`, `seconds_from_now`
    /// after now (the host's clock); returns its sequence number.
    pub fn post(
        &self,
        terminal: &str,
        merchant_no: &str,
        mcc: &str,
        transaction: Transaction,
        amount: u64,
        seconds_from_now: i64,
    ) -> u64 {
        let time = clock::at(clock::unix_now() + seconds_from_now).unwrap();
        self.with_ledger(|ledger| {
            let seq = ledger.last_seq().unwrap() + 1;
            post_at(
                ledger,
                seq,
                terminal,
                merchant_no,
                mcc,
                transaction,
                amount,
                time,
            );
            seq
        })
    }
}

#[allow(clippy::too_many_arguments)]
pub fn post_at(
    ledger: &mut dyn Ledger,
    seq: u64,
    terminal: &str,
    merchant_no: &str,
    mcc: &str,
    transaction: Transaction,
    amount: u64,
    time: DateTime,
) {
    let fee = if transaction.is_credit() {
        0
    } else {
        i64::try_from(amount * 6 / 1000).unwrap()
    };
    let record = TxRecord {
        key: TxKey {
            terminal_id: terminal.into(),
            batch: 1,
            stan: u32::try_from(seq).unwrap(),
        },
        seq,
        transaction,
        response: Some(ResponseCode::Approved),
        amount,
        fee,
        balance_delta: 0,
        account: "6214830012345673".into(),
        merchant_no: merchant_no.into(),
        merchant_name: format!("Merchant {merchant_no}"),
        mcc: mcc.into(),
        rrn: format!("{seq:012}"),
        auth_code: "123456".into(),
        time,
        original: None,
        state: TxState::default(),
    };
    ledger
        .post(&Posting {
            record,
            change: None,
        })
        .unwrap();
}

pub struct Reply {
    pub status: StatusCode,
    pub location: Option<String>,
    pub content_type: String,
    pub body: String,
}

pub struct Client {
    app: Router,
    pub cookie: Option<String>,
    pub csrf: String,
}

fn csrf_of(html: &str) -> Option<String> {
    let at = html.find("name=\"csrf\" value=\"")? + "name=\"csrf\" value=\"".len();
    let end = html[at..].find('"')?;
    Some(html[at..at + end].to_string())
}

impl Client {
    async fn send(&mut self, req: Request<Body>) -> Reply {
        let resp = self.app.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        for v in resp.headers().get_all(header::SET_COOKIE) {
            let v = v.to_str().unwrap();
            assert!(
                v.contains("HttpOnly") && v.contains("SameSite=Strict"),
                "{v}"
            );
            let pair = v.split(';').next().unwrap();
            let value = pair.split_once('=').unwrap().1;
            self.cookie = (!value.is_empty()).then(|| pair.to_string());
            // A new session has a new CSRF token (read from its next page).
            self.csrf.clear();
        }
        let location = resp
            .headers()
            .get(header::LOCATION)
            .map(|v| v.to_str().unwrap().to_string());
        let content_type = resp
            .headers()
            .get(header::CONTENT_TYPE)
            .map_or_else(String::new, |v| v.to_str().unwrap().to_string());
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        let body = String::from_utf8(bytes.to_vec()).unwrap();
        if let Some(t) = csrf_of(&body) {
            self.csrf = t;
        }
        Reply {
            status,
            location,
            content_type,
            body,
        }
    }

    pub async fn get(&mut self, path: &str) -> Reply {
        let mut req = Request::get(path);
        if let Some(c) = &self.cookie {
            req = req.header(header::COOKIE, c);
        }
        self.send(req.body(Body::empty()).unwrap()).await
    }

    /// Posts a form with the session's CSRF token (fetched from `/login` when none is known).
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Reply {
        if self.csrf.is_empty() {
            self.get("/login").await;
        }
        let csrf = self.csrf.clone();
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        all.push(("csrf", &csrf));
        self.post_raw(path, &all).await
    }

    /// Posts exactly `fields` (no CSRF token added).
    pub async fn post_raw(&mut self, path: &str, fields: &[(&str, &str)]) -> Reply {
        let body: String = fields
            .iter()
            .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
            .collect::<Vec<_>>()
            .join("&");
        let mut req =
            Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(c) = &self.cookie {
            req = req.header(header::COOKIE, c);
        }
        self.send(req.body(Body::from(body)).unwrap()).await
    }

    /// Posts a multipart form (the journal upload).
    pub async fn post_file(&mut self, path: &str, field: &str, content: &str) -> Reply {
        let boundary = "cardwireboundary7";
        let body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{}\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"j.csv\"\r\n\
             Content-Type: text/csv\r\n\r\n{content}\r\n--{boundary}--\r\n",
            self.csrf
        );
        let mut req = Request::post(path).header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        );
        if let Some(c) = &self.cookie {
            req = req.header(header::COOKIE, c);
        }
        self.send(req.body(Body::from(body)).unwrap()).await
    }

    pub async fn login(&mut self, login: &str, password: &str) -> Reply {
        self.post("/login", &[("login", login), ("password", password)])
            .await
    }

    /// Signs up and applies; the application id.
    pub async fn merchant(&mut self, login: &str, name: &str, kind: &str, region: &str) {
        let r = self
            .post("/signup", &[("login", login), ("password", PASSWORD)])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        self.get("/application").await;
        let r = self
            .post(
                "/apply",
                &[
                    ("business_name", name),
                    ("business_type", kind),
                    ("region", region),
                    ("account", "6222020200112233445"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
}

pub fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// An operator session.
pub async fn operator(world: &World) -> Client {
    let mut c = world.client();
    let r = c.login(OPERATOR, OPERATOR_PASSWORD).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    c
}

/// Approves the application of `login` with `merchant_no` (as the operator).
pub async fn approve(world: &World, login: &str, merchant_no: &str) {
    let store = world.store();
    let id = store
        .applications()
        .unwrap()
        .into_iter()
        .find(|a| a.login == login)
        .unwrap()
        .id;
    let mut op = operator(world).await;
    op.get("/operator/applications").await;
    let r = op
        .post(
            &format!("/operator/applications/{id}/approve"),
            &[("merchant_no", merchant_no), ("fee_bps", "")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("approved as merchant"), "{}", r.body);
}

/// Issues an activation code for `terminal_id` (as the operator); the code.
pub async fn issue_code(world: &World, terminal_id: &str) -> String {
    let mut op = operator(world).await;
    op.get("/operator/terminals").await;
    let r = op
        .post(&format!("/operator/terminals/{terminal_id}/code"), &[])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let at = r.body.find("<b id=\"code\">").unwrap() + "<b id=\"code\">".len();
    r.body[at..at + 14].to_string()
}

/// A merchant signed up, applied, approved with `merchant_no`, with `terminal_id` (serial
/// `serial`) bound.
pub async fn bound_merchant(
    world: &World,
    login: &str,
    kind: &str,
    region: &str,
    merchant_no: &str,
    terminal_id: &str,
    serial: &str,
) -> Client {
    let mut c = world.client();
    c.merchant(login, &format!("Shop of {login}"), kind, region)
        .await;
    approve(world, login, merchant_no).await;
    let code = issue_code(world, terminal_id).await;
    c.get("/terminals").await;
    let r = c
        .post("/terminals", &[("serial", serial), ("code", &code)])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body.contains("is bound to your merchant number"),
        "{}",
        r.body
    );
    c
}
