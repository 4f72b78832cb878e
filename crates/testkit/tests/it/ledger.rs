//! The ledgers: SQLite survives a restart, both ledgers agree, the ledger, the settlement
//! totals and the statement agree to the fen, and the statement passes the merchant audit.

use cardwire_acquirer::ResponseCode;
use cardwire_acquirer::host::batch_totals;
use cardwire_acquirer::ledger::{
    Durability, Ledger, MemoryLedger, PgLedger, PgOptions, Reversed, SqliteLedger,
};
use cardwire_acquirer::statement;
use cardwire_acquirer::{Host, OsRng};
use cardwire_iso8583::cups::{Original, Transaction};
use cardwire_merchant::{AuditConfig, Rule, audit};
use cardwire_testkit::{Entry, Fixtures, ReplyView, Req, TempDir, TestTerminal};

use cardwire_testkit::HOST_TIME as NOW;

fn send<L: Ledger>(host: &mut Host<L>, t: &mut TestTerminal, frame: &[u8]) -> ReplyView {
    let mut out = [0u8; 512];
    let a = host.handle(frame, NOW, &mut OsRng, &mut out).unwrap();
    t.read_reply(&out[..a.len]).unwrap()
}

fn sign_in<L: Ledger>(host: &mut Host<L>, fx: &Fixtures, id: &str) -> TestTerminal {
    let mut t = fx.test_terminal(id);
    let mut buf = [0u8; 512];
    let n = t.sign_in(&mut buf);
    let mut out = [0u8; 512];
    let a = host.handle(&buf[..n], NOW, &mut OsRng, &mut out).unwrap();
    assert_eq!(
        t.accept_sign_in(&out[..a.len]).unwrap(),
        ResponseCode::Approved
    );
    t
}

fn run<L: Ledger>(host: &mut Host<L>, t: &mut TestTerminal, req: &Req<'_>) -> (ReplyView, u32) {
    let mut buf = [0u8; 512];
    let (n, stan) = t.request(req, &mut buf);
    (send(host, t, &buf[..n]), stan)
}

#[test]
fn restart_between_request_and_reversal_still_reverses() {
    let fx = Fixtures::load().unwrap();
    let dir = TempDir::new("restart");
    let path = dir.join("ledger.db");
    let card = fx.card("debit-chip").clone();
    let req = Req::purchase(&card, Entry::Chip, Some("123456"), 25_000);
    let (mut t, stan, first_rrn) = {
        let mut host = Host::new(
            fx.registry.clone(),
            SqliteLedger::open(
                &path,
                Durability::Normal,
                &cardwire_testkit::test_key_store(),
            )
            .unwrap(),
        )
        .unwrap();
        let mut t = sign_in(&mut host, &fx, "noodle-1");
        let (r, stan) = run(&mut host, &mut t, &req);
        assert_eq!(r.code, Some(ResponseCode::Approved));
        assert_eq!(host.ledger().balance(&card.pan).unwrap(), Some(475_000));
        (t, stan, r.rrn.unwrap())
        // The host goes down here; its reply is taken as lost by the terminal.
    };
    let mut host = Host::new(
        fx.registry.clone(),
        SqliteLedger::open(
            &path,
            Durability::Normal,
            &cardwire_testkit::test_key_store(),
        )
        .unwrap(),
    )
    .unwrap();
    // The terminal's keys are still known (field 62 under its TMK in the ledger).
    let mut buf = [0u8; 512];
    let n = t.request_with_stan(&req, stan, &mut buf);
    assert_eq!(
        send(&mut host, &mut t, &buf[..n]).code,
        Some(ResponseCode::Duplicate)
    );
    let n = t.reversal(&req, stan, &mut buf);
    let mut out = [0u8; 512];
    let a = host.handle(&buf[..n], NOW, &mut OsRng, &mut out).unwrap();
    assert_eq!(a.reversed, Some(Reversed::Undone));
    assert_eq!(host.ledger().balance(&card.pan).unwrap(), Some(500_000));
    drop(host);
    // And the reversal itself survives the next restart.
    let mut host = Host::new(
        fx.registry.clone(),
        SqliteLedger::open(&path, Durability::Full, &cardwire_testkit::test_key_store()).unwrap(),
    )
    .unwrap();
    assert_eq!(host.ledger().balance(&card.pan).unwrap(), Some(500_000));
    let a = host.handle(&buf[..n], NOW, &mut OsRng, &mut out).unwrap();
    assert_eq!(a.reversed, Some(Reversed::AlreadyDone));
    assert!(statement::rows(host.ledger()).unwrap().is_empty());
    // RRNs continue after the restart: never one given before.
    let (r, _) = run(&mut host, &mut t, &req);
    assert!(r.rrn.unwrap().as_str() > first_rrn.as_str());
}

/// A day of business on both terminals; returns the statement CSV.
pub(super) fn day<L: Ledger>(host: &mut Host<L>, fx: &Fixtures) -> Vec<u8> {
    let mut noodle = sign_in(host, fx, "noodle-1");
    let mut hotel = sign_in(host, fx, "hotel-1");
    let debit = fx.card("debit-chip").clone();
    let credit = fx.card("credit-chip").clone();
    let long = fx.card("long-pan").clone();
    let (p1, s1) = run(
        host,
        &mut noodle,
        &Req::purchase(&debit, Entry::Chip, Some("123456"), 3_850),
    );
    run(
        host,
        &mut noodle,
        &Req::purchase(&credit, Entry::Tap, None, 1_999),
    );
    run(
        host,
        &mut noodle,
        &Req::purchase(&long, Entry::Swipe, Some("8642"), 12_001),
    );
    let (p4, s4) = run(
        host,
        &mut noodle,
        &Req::purchase(&credit, Entry::Swipe, None, 6_667),
    );
    // Declined, reversed: never on the statement.
    run(
        host,
        &mut noodle,
        &Req::purchase(&debit, Entry::Swipe, Some("000000"), 100),
    );
    let lost = Req::purchase(&debit, Entry::Swipe, None, 4_444);
    let (_, lost_stan) = run(host, &mut noodle, &lost);
    let mut buf = [0u8; 512];
    let n = noodle.reversal(&lost, lost_stan, &mut buf);
    send(host, &mut noodle, &buf[..n]);
    let void = Req {
        card: Some(&debit),
        amount: Some(3_850),
        original: Some(Original {
            batch: 1,
            stan: s1,
            date: 0,
        }),
        rrn: p1.rrn.as_deref(),
        ..Req::new(Transaction::PurchaseVoid)
    };
    assert_eq!(
        run(host, &mut noodle, &void).0.code,
        Some(ResponseCode::Approved)
    );
    let refund = Req {
        card: Some(&credit),
        amount: Some(1_667),
        original: Some(Original {
            batch: 1,
            stan: s4,
            date: 1126,
        }),
        rrn: p4.rrn.as_deref(),
        ..Req::new(Transaction::Refund)
    };
    assert_eq!(
        run(host, &mut noodle, &refund).0.code,
        Some(ResponseCode::Approved)
    );
    for amount in [88_000, 45_600, 128_800, 99_900, 66_600] {
        let (r, _) = run(
            host,
            &mut hotel,
            &Req::purchase(&credit, Entry::Chip, Some("246810"), amount),
        );
        assert_eq!(r.code, Some(ResponseCode::Approved));
    }
    // Settlement of both batches, from the host's own figures: balanced.
    for t in [&mut noodle, &mut hotel] {
        let totals = batch_totals(host.ledger(), &t.terminal_id.clone(), 1).unwrap();
        let (r, _) = run(
            host,
            t,
            &Req {
                totals: Some(totals),
                ..Req::new(Transaction::Settlement)
            },
        );
        assert_eq!(r.settlement.unwrap().domestic.result, 1);
    }
    let mut csv = Vec::new();
    statement::write_csv(host.ledger(), &mut csv).unwrap();
    csv
}

fn check_sums<L: Ledger>(host: &mut Host<L>, fx: &Fixtures) {
    let rows = statement::rows(host.ledger()).unwrap();
    let statement_sum: i64 = rows.iter().map(|r| r.amount).sum();
    let spent: i64 = fx
        .cards
        .iter()
        .map(|c| c.balance - host.ledger().balance(&c.pan).unwrap().unwrap())
        .sum();
    assert_eq!(
        statement_sum, spent,
        "statement = money moved off the card accounts"
    );
    let settled: i64 = host
        .ledger()
        .settlements()
        .unwrap()
        .iter()
        .map(|s| s.host.domestic.debit_amount as i64 - s.host.domestic.credit_amount as i64)
        .sum();
    assert_eq!(statement_sum, settled, "statement = settlement totals");
    let fees: i64 = rows.iter().map(|r| r.fee).sum();
    // 0.60 % of the purchases that stand, rounded half up each: 1999→12, 12001→72, 6667→40,
    // the hotel's five: 528+274+773+599+400; the voided 3850 paid 23 and got it back.
    assert_eq!(fees, 12 + 72 + 40 + 528 + 274 + 773 + 599 + 400);
    assert_eq!(
        statement_sum,
        1_999 + 12_001 + 6_667 - 1_667 + 88_000 + 45_600 + 128_800 + 99_900 + 66_600
    );
}

#[test]
fn ledger_settlement_and_statement_agree_to_the_fen_on_both_ledgers() {
    let fx = Fixtures::load().unwrap();
    let mut memory = Host::new(fx.registry.clone(), MemoryLedger::new()).unwrap();
    let a = day(&mut memory, &fx);
    check_sums(&mut memory, &fx);
    let dir = TempDir::new("agree");
    let mut sqlite = Host::new(
        fx.registry.clone(),
        SqliteLedger::open(
            dir.join("ledger.db"),
            Durability::Normal,
            &cardwire_testkit::test_key_store(),
        )
        .unwrap(),
    )
    .unwrap();
    let b = day(&mut sqlite, &fx);
    check_sums(&mut sqlite, &fx);
    // Same rows apart from the authorisation-independent columns: RRNs, amounts, merchants.
    let strip = |csv: &[u8]| String::from_utf8(csv.to_vec()).unwrap();
    assert_eq!(strip(&a), strip(&b));
}

#[test]
fn statements_of_the_memory_sqlite_and_postgres_ledgers_are_identical() {
    let Some(db) = crate::pg_db("statements") else {
        return;
    };
    let fx = Fixtures::load().unwrap();
    let keys = cardwire_testkit::test_key_store();
    let mut memory = Host::new(fx.registry.clone(), MemoryLedger::new()).unwrap();
    let a = day(&mut memory, &fx);
    let dir = TempDir::new("three");
    let sqlite = SqliteLedger::open(dir.join("ledger.db"), Durability::Normal, &keys).unwrap();
    let mut sqlite = Host::new(fx.registry.clone(), sqlite).unwrap();
    let b = day(&mut sqlite, &fx);
    let pg = PgLedger::connect(db.url(), PgOptions::default(), &keys).unwrap();
    let mut pg = Host::new(fx.registry.clone(), pg).unwrap();
    let c = day(&mut pg, &fx);
    check_sums(&mut pg, &fx);
    assert!(!a.is_empty());
    let text = |csv: Vec<u8>| String::from_utf8(csv).unwrap();
    let (a, b, c) = (text(a), text(b), text(c));
    assert_eq!(a, b, "memory and SQLite statements differ");
    assert_eq!(b, c, "SQLite and PostgreSQL statements differ");
    // The settlements agree too.
    assert_eq!(
        sqlite.ledger().settlements().unwrap(),
        pg.ledger().settlements().unwrap()
    );
}

#[test]
fn the_statement_passes_the_audit_and_the_rotating_terminal_is_flagged() {
    let fx = Fixtures::load().unwrap();
    let mut host = Host::new(fx.registry.clone(), MemoryLedger::new()).unwrap();
    let csv = day(&mut host, &fx);
    let text = String::from_utf8(csv.clone()).unwrap();
    assert!(
        text.starts_with(
            "time,terminal_id,merchant_no,merchant_name,mcc,amount,fee,card,type,rrn\n"
        )
    );
    assert!(
        text.contains(",A Noodle Shop,5812,-16.67,0.00,622588******5675,refund,"),
        "{text}"
    );
    assert!(!text.contains("6225880012345675"), "cards are masked");
    let report = audit(csv.as_slice(), &AuditConfig::default()).unwrap();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(
        report.rows as usize,
        statement::rows(host.ledger()).unwrap().len()
    );
    let noodle = report
        .terminals
        .iter()
        .find(|t| t.terminal_id.to_string() == "10580001")
        .unwrap();
    assert!(noodle.findings.is_empty(), "{:?}", noodle.findings);
    assert_eq!(noodle.amount_fen, 1_999 + 12_001 + 6_667 - 1_667);
    let hotel = report
        .terminals
        .iter()
        .find(|t| t.terminal_id.to_string() == "10580002")
        .unwrap();
    let rules: Vec<Rule> = hotel.findings.iter().map(|f| f.rule()).collect();
    assert!(rules.contains(&Rule::TerminalMerchantChanged), "{rules:?}");
    assert!(rules.contains(&Rule::ManyMerchantsPerTerminal), "{rules:?}");
    assert_eq!(hotel.merchant_nos.len(), 4);
}

/// Defect 6 of issue 12: the ledger kept full PANs (`transactions.account`, `accounts`).
/// After a day of business on a file-backed ledger, no card number (text or BCD) and no key
/// (raw or hex) is in the database file, its write-ahead log or the statement.
#[test]
fn no_card_number_or_key_at_rest_in_the_database_files_or_the_statement() {
    let fx = Fixtures::load().unwrap();
    let dir = TempDir::new("at-rest");
    let path = dir.join("ledger.db");
    let mut host = Host::new(
        fx.registry.clone(),
        SqliteLedger::open(
            &path,
            Durability::Normal,
            &cardwire_testkit::test_key_store(),
        )
        .unwrap(),
    )
    .unwrap();
    let csv = day(&mut host, &fx);
    // Read while the host is open (the WAL is still there), and again after it closed.
    let needles = cardwire_testkit::scan::secrets(&fx);
    let mut files = vec![("statement".to_string(), csv)];
    for name in ["ledger.db", "ledger.db-wal"] {
        if let Ok(bytes) = std::fs::read(dir.join(name)) {
            files.push((format!("{name} (open)"), bytes));
        }
    }
    // Nothing got lost on the way: the balances are found through the keyed hash.
    let credit = fx.card("credit-chip");
    assert!(host.ledger().balance(&credit.pan).unwrap().unwrap() < credit.balance);
    drop(host);
    for name in ["ledger.db", "ledger.db-wal"] {
        if let Ok(bytes) = std::fs::read(dir.join(name)) {
            files.push((format!("{name} (closed)"), bytes));
        }
    }
    assert!(files.len() >= 3, "the database was written");
    for (name, bytes) in &files {
        let hits = cardwire_testkit::scan::found(bytes, &needles);
        assert!(hits.is_empty(), "{name} holds {hits:?}");
    }
    // The statement still shows the card the way a merchant may see it.
    assert!(String::from_utf8_lossy(&files[0].1).contains("622588******5675"));
}

/// The last sign-in accepted is kept with the session in the file, so a recorded sign-in is
/// refused after a restart too; a file made before the column existed is migrated.
#[test]
fn the_last_sign_in_survives_a_restart_and_old_files_are_migrated() {
    let fx = Fixtures::load().unwrap();
    let temp = TempDir::new("sign-in-stamp");
    let db = temp.path().join("ledger.db");
    // A file of the older schema: sessions without last_sign_in.
    {
        let c = rusqlite::Connection::open(&db).unwrap();
        c.execute_batch(
            "CREATE TABLE sessions (terminal_id TEXT PRIMARY KEY, field62 BLOB NOT NULL, \
             batch INTEGER NOT NULL, pool_next INTEGER NOT NULL); \
             INSERT INTO sessions VALUES ('99999999', x'', 4, 0);",
        )
        .unwrap();
    }
    let keys = cardwire_testkit::test_key_store();
    let mut ledger = SqliteLedger::open(&db, Durability::Normal, &keys).unwrap();
    let old = ledger.session("99999999").unwrap().unwrap();
    assert_eq!((old.batch, old.last_sign_in), (4, None));
    let mut host = Host::new(fx.registry.clone(), ledger).unwrap();
    let mut t = fx.test_terminal("noodle-1");
    let mut buf = [0u8; 512];
    let n = t.sign_in(&mut buf);
    let recorded = buf[..n].to_vec();
    let mut out = [0u8; 512];
    let a = host.handle(&recorded, NOW, &mut OsRng, &mut out).unwrap();
    assert_eq!(a.response, Some(ResponseCode::Approved));
    let stamp = host
        .ledger()
        .session(&t.terminal_id)
        .unwrap()
        .unwrap()
        .last_sign_in
        .unwrap();
    assert_eq!((stamp.time, stamp.stan), (NOW, 1));
    drop(host);

    let ledger = SqliteLedger::open(&db, Durability::Normal, &keys).unwrap();
    let mut host = Host::new(fx.registry.clone(), ledger).unwrap();
    let a = host.handle(&recorded, NOW, &mut OsRng, &mut out).unwrap();
    assert_eq!(
        a.response,
        Some(ResponseCode::InvalidMerchant),
        "replayed after a restart"
    );
}

/// The registry at rest: a terminal keeps its whole profile (MAC, TPDU, header, field 53);
/// a file from before the framing columns gets the standard profile's framing, which every
/// terminal then had; every change raises the version a running host watches.
#[test]
fn the_registry_keeps_terminal_profiles_migrates_old_files_and_counts_changes() {
    use cardwire_acquirer::TerminalProfile;
    use cardwire_acquirer::store::RegistryStore;
    let fx = Fixtures::load().unwrap();
    let temp = TempDir::new("registry-profiles");
    let db = temp.path().join("acquirer.db");
    let keys = cardwire_testkit::test_key_store();
    let mut registry = fx.registry.clone();
    let custom = TerminalProfile::from_text(
        "cups-ecb-legacy",
        "6000050000",
        "603100310301",
        "2000000000000000",
    )
    .unwrap();
    registry.terminals[0].profile = custom;
    let mut store = RegistryStore::open(&db, &keys).unwrap();
    let v0 = store.version().unwrap();
    store.save(&registry).unwrap();
    let v1 = store.version().unwrap();
    assert!(v1 > v0);
    let loaded = store.load().unwrap();
    assert_eq!(loaded.terminals[0].profile, custom);
    let id = loaded.terminals[0].terminal_id.clone();
    store.unbind(&id).unwrap();
    assert!(store.version().unwrap() > v1);
    assert!(store.load().unwrap().terminals[0].merchant_no.is_none());
    assert!(store.unbind("00000000").is_err());
    drop(store);

    // The older file: no framing columns.
    {
        let c = rusqlite::Connection::open(&db).unwrap();
        for column in ["tpdu", "header", "security_control"] {
            c.execute_batch(&format!("ALTER TABLE terminals DROP COLUMN {column}"))
                .unwrap();
        }
    }
    let store = RegistryStore::open(&db, &keys).unwrap();
    let loaded = store.load().unwrap();
    assert_eq!(loaded.terminals[0].profile, TerminalProfile::LEGACY_ECB);
    for t in &loaded.terminals[1..] {
        assert_eq!(t.profile, TerminalProfile::STANDARD, "{}", t.terminal_id);
    }
}
