//! Page latency of the platform with 100,000 transactions in the acquirer's ledger: a
//! measured load, not a criterion benchmark (each page is one request through the whole
//! router: session lookup, queries, template, body), in process (no TCP).
//!
//! Two ledgers: 100,000 transactions shared by 20 merchants (5,000 each), and the worst case
//! of one merchant owning all 100,000. Transactions spread over the last 90 days, one in 20
//! of the measured merchant's settled under a rotated merchant number (so that the alerts
//! page has findings to explain). `cargo bench -p cardwire-platform --bench pages`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::cast_possible_truncation,
    missing_docs
)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use cardwire_acquirer::host::Host;
use cardwire_acquirer::keystore::{KeyStore, SoftwareKeyStore};
use cardwire_acquirer::ledger::{
    Durability, Ledger, Posting, SqliteLedger, TxKey, TxRecord, TxState,
};
use cardwire_acquirer::registry::TerminalProfile;
use cardwire_acquirer::store::RegistryStore;
use cardwire_acquirer::{Merchant, ResponseCode};
use cardwire_crypto::TdesKey;
use cardwire_iso8583::cups::Transaction;
use cardwire_merchant::FeeRate;
use cardwire_platform::store::{NewApplication, Role, Store};
use cardwire_platform::{Platform, auth, clock, router};
use cardwire_testkit::TempDir;
use http_body_util::BodyExt;
use tower::ServiceExt;

const TOTAL: u64 = 100_000;
const PASSWORD: &str = "merchant pass 2026";
const ROUNDS: usize = 200;

fn merchant_no(m: u64) -> String {
    format!("8984401701{m:05}")
}

fn terminal_id(m: u64) -> String {
    format!("2{m:07}")
}

/// A data directory with the fixtures, `merchants` approved platform merchants each with a
/// bound terminal, and `TOTAL` transactions shared among them.
fn build(dir: &TempDir, merchants: u64) -> Platform {
    let keys = SoftwareKeyStore::new([0x5a; 32]);
    let db = dir.join("acquirer.db");
    let text = std::fs::read_to_string(cardwire_testkit::fixtures::fixtures_path()).unwrap();
    let registry = cardwire_acquirer::import::registry_from_json(&text).unwrap();
    let ledger = SqliteLedger::open(&db, Durability::Normal, &keys).unwrap();
    drop(Host::new(registry.clone(), ledger).unwrap());
    let mut reg = RegistryStore::open(&db, &keys).unwrap();
    reg.save(&registry).unwrap();
    let store = Store::open(dir.join("platform.db")).unwrap();
    let hash = auth::hash_password(PASSWORD).unwrap();
    let tmk = TdesKey::from_hex("0123456789ABCDEFFEDCBA9876543210").unwrap();
    for m in 0..merchants {
        let no = merchant_no(m);
        let tid = terminal_id(m);
        reg.add_merchant(&Merchant {
            merchant_no: no.clone(),
            name: format!("Hotel {m}"),
            mcc: "7011".into(),
            fee_rate: FeeRate::from_bps(60),
        })
        .unwrap();
        reg.add_terminal(&tid, &format!("BENCH-{m}"), &tmk, TerminalProfile::STANDARD)
            .unwrap();
        reg.bind(&tid, &no).unwrap();
        reg.activate(&tid).unwrap();
        let user = store
            .add_user(
                &format!("m{m}@example.com"),
                &hash,
                Role::Merchant,
                "2026-01-01 00:00:00",
            )
            .unwrap()
            .unwrap();
        store
            .apply(
                user,
                &NewApplication {
                    business_name: format!("Hotel {m}"),
                    business_type: "hotel".into(),
                    mcc: "7011".into(),
                    region: "4401".into(),
                    account_masked: "6222***********3445".into(),
                    account_sealed: vec![0; 16],
                },
                "2026-01-01 00:00:00",
            )
            .unwrap();
        let app = store.application_of(user).unwrap().unwrap();
        store.approve(app.id, &no, "2026-01-01 00:00:00").unwrap();
    }
    let mut store = store;
    for m in 0..merchants {
        let user = store
            .user_by_login(&format!("m{m}@example.com"))
            .unwrap()
            .unwrap()
            .0;
        store
            .bind(&terminal_id(m), user.id, "2000-01-01 00:00:00")
            .unwrap();
    }
    drop(reg);
    let mut ledger = SqliteLedger::open(&db, Durability::Normal, &keys).unwrap();
    let now = clock::unix_now();
    let span = 90 * 86_400;
    ledger.begin_group().unwrap();
    for i in 0..TOTAL {
        let seq = i + 1;
        let m = i % merchants;
        // Oldest first, up to a minute ago.
        let at =
            now - 60 - span + (span * i64::try_from(i).unwrap()) / i64::try_from(TOTAL).unwrap();
        let rotated = m == 0 && i % 20 == 0;
        let (no, mcc) = if rotated {
            ("898310054110001".to_string(), "5411")
        } else {
            (merchant_no(m), "7011")
        };
        let transaction = if i % 50 == 7 {
            Transaction::Refund
        } else {
            Transaction::Purchase
        };
        let amount = 1_000 + (i * 37) % 90_000;
        let record = TxRecord {
            key: TxKey {
                terminal_id: terminal_id(m),
                batch: 1 + u32::try_from(i / 1000).unwrap(),
                stan: u32::try_from(i % 1000).unwrap() + 1,
            },
            seq,
            transaction,
            response: Some(if i % 97 == 3 {
                ResponseCode::IncorrectPin
            } else {
                ResponseCode::Approved
            }),
            amount,
            fee: if transaction.is_credit() {
                0
            } else {
                i64::try_from(amount * 6 / 1000).unwrap()
            },
            balance_delta: 0,
            account: "6214830012345673".into(),
            merchant_no: no,
            merchant_name: format!("Hotel {m}"),
            mcc: mcc.into(),
            rrn: format!("{seq:012}"),
            auth_code: "123456".into(),
            time: clock::at(at).unwrap(),
            original: None,
            state: TxState::default(),
        };
        ledger
            .post(&Posting {
                record,
                change: None,
            })
            .unwrap();
        if seq % 10_000 == 0 {
            ledger.commit_group().unwrap();
            ledger.begin_group().unwrap();
        }
    }
    ledger.commit_group().unwrap();
    drop(ledger);
    let keys: Arc<dyn KeyStore> = Arc::new(keys);
    Platform::open(dir.path(), keys, false).unwrap()
}

async fn send(app: &Router, req: Request<Body>) -> (StatusCode, Option<String>, String) {
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let cookie = resp
        .headers()
        .get(header::SET_COOKIE)
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string());
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, cookie, String::from_utf8_lossy(&body).into_owned())
}

async fn log_in(app: &Router) -> String {
    let (_, cookie, body) = send(app, Request::get("/login").body(Body::empty()).unwrap()).await;
    let cookie = cookie.unwrap();
    let at = body.find("name=\"csrf\" value=\"").unwrap() + 19;
    let csrf = &body[at..at + 32];
    let form = format!("login=m0%40example.com&password=merchant+pass+2026&csrf={csrf}");
    let req = Request::post("/login")
        .header(header::COOKIE, &cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form))
        .unwrap();
    let (status, cookie, _) = send(app, req).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    cookie.unwrap()
}

/// The link of every records page, newest first, by following the "older" links.
async fn walk(app: &Router, cookie: &str, pages: u64) -> Vec<String> {
    let mut links = vec!["/records".to_string()];
    while (links.len() as u64) < pages {
        let req = Request::get(links.last().unwrap().as_str())
            .header(header::COOKIE, cookie)
            .body(Body::empty())
            .unwrap();
        let (status, _, body) = send(app, req).await;
        assert_eq!(status, StatusCode::OK);
        let at = body.find("id=\"next\"").unwrap();
        let href = body[..at].rfind("href=\"").unwrap() + 6;
        let end = body[href..].find('"').unwrap();
        links.push(
            body[href..href + end]
                .replace("&amp;", "&")
                .replace("&#x2f;", "/"),
        );
    }
    links
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

async fn measure(label: &str, merchants: u64) {
    let dir = TempDir::new("platform-pages");
    let started = Instant::now();
    let platform = build(&dir, merchants);
    println!(
        "\n{label}: {TOTAL} transactions, {merchants} merchants ({} for the measured one); set up in {:.1} s",
        TOTAL / merchants,
        started.elapsed().as_secs_f64()
    );
    let app = router(Arc::new(platform));
    let cookie = log_in(&app).await;
    let today = clock::at(clock::unix_now()).unwrap();
    let week_ago = clock::at(clock::unix_now() - 7 * 86_400).unwrap();
    let month = clock::month(&today);
    let last_page = (TOTAL / merchants).div_ceil(50);
    // Deep pages are reached as a merchant reaches them: by the links that carry the key of
    // the last row seen (no page is read by offset).
    let links = walk(&app, &cookie, last_page).await;
    let link = |page: u64| links[usize::try_from(page - 1).unwrap()].clone();
    let pages = [
        "/dashboard".to_string(),
        "/records".to_string(),
        link(20),
        link(last_page / 2),
        link(last_page / 2 + 1),
        link(last_page),
        "/records?at=oldest&page=2000".to_string(),
        format!(
            "/records?from={}&to={}",
            clock::date(&week_ago),
            clock::date(&today)
        ),
        "/records?type=refund&status=approved".to_string(),
        "/records/1".to_string(),
        "/alerts".to_string(),
        "/terminals".to_string(),
        "/application".to_string(),
        "/statement".to_string(),
        format!("/statement?month={month}"),
    ];
    println!(
        "{:<44} {:>9} {:>9} {:>9}",
        "page", "p50 ms", "p99 ms", "max ms"
    );
    for path in &pages {
        let rounds = if path.starts_with("/statement?") {
            20
        } else {
            ROUNDS
        };
        let mut times = Vec::with_capacity(rounds);
        for round in 0..rounds + 3 {
            let req = Request::get(path.as_str())
                .header(header::COOKIE, &cookie)
                .body(Body::empty())
                .unwrap();
            let t = Instant::now();
            let (status, _, body) = send(&app, req).await;
            let took = t.elapsed();
            assert_eq!(status, StatusCode::OK, "{path}: {body}");
            if round >= 3 {
                times.push(took);
            }
        }
        times.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        println!(
            "{:<44} {:>9.2} {:>9.2} {:>9.2}{}",
            path,
            ms(percentile(&times, 0.5)),
            ms(percentile(&times, 0.99)),
            ms(*times.last().unwrap()),
            if path.starts_with("/statement?") {
                "  (CSV download, not a page)"
            } else {
                ""
            }
        );
    }
}

fn main() {
    // `cargo test --benches` / `cargo bench --no-run` build it; only a bench run measures.
    if std::env::args().any(|a| a == "--list" || a == "--test") {
        return;
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        measure("shared ledger", 20).await;
        measure("worst case: one merchant owns every transaction", 1).await;
    });
}
