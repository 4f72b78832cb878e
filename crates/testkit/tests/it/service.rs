//! The `cardwire-acquirer` binary as an operator runs it: a KEK, an import, `serve` with its
//! metrics endpoint, terminals through it, operator changes that survive a restart, SIGTERM,
//! the month's statement — and no card number or key in the data directory, the logs or the
//! statement.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use cardwire_pos::ResponseCode;
use cardwire_pos::transport::Client;
use cardwire_testkit::scan::{found, secrets};
use cardwire_testkit::{Entry, Fixtures, Req, TempDir, TestTerminal};

/// The binary beside this test's (built by `cargo test --workspace`; built here otherwise).
pub(crate) fn binary() -> PathBuf {
    let dir = std::env::current_exe().unwrap();
    let bin = dir
        .parent()
        .and_then(Path::parent)
        .unwrap()
        .join("cardwire-acquirer");
    if !bin.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let ok = Command::new(cargo)
            .args([
                "build",
                "-q",
                "-p",
                "cardwire-acquirer",
                "--bin",
                "cardwire-acquirer",
            ])
            .status()
            .unwrap()
            .success();
        assert!(ok, "building cardwire-acquirer");
    }
    bin
}

fn run(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> String {
    let out = Command::new(binary())
        .args(args)
        .args(["--data-dir", dir.join("data").to_str().unwrap()])
        .args(["--kek-file", dir.join("kek.hex").to_str().unwrap()])
        .envs(env.iter().copied())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A running `serve`: its addresses, its log file.
struct Serving {
    child: Child,
    addr: String,
    metrics: String,
}

fn serve(dir: &Path, log: &str) -> Serving {
    serve_with(dir, log, &[])
}

/// `serve` with more arguments (`--config FILE`).
fn serve_with(dir: &Path, log: &str, more: &[&str]) -> Serving {
    let mut child = Command::new(binary())
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--metrics-listen",
            "127.0.0.1:0",
        ])
        .args(more)
        .args(["--data-dir", dir.join("data").to_str().unwrap()])
        .args(["--kek-file", dir.join("kek.hex").to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(dir.join(log)).unwrap())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut addr = String::new();
    let mut metrics = String::new();
    while addr.is_empty() || metrics.is_empty() {
        let line = lines.next().expect("serve printed its addresses").unwrap();
        if let Some(a) = line.strip_prefix("listening on ") {
            addr = a.into();
        } else if let Some(a) = line.strip_prefix("metrics on ") {
            metrics = a.into();
        }
    }
    // The rest of standard output (the stop line) is drained so it never blocks.
    std::thread::spawn(move || lines.for_each(drop));
    Serving {
        child,
        addr,
        metrics,
    }
}

impl Serving {
    /// SIGTERM; the exit status and how long it took.
    fn terminate(mut self) -> (std::process::ExitStatus, Duration) {
        let started = Instant::now();
        let ok = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return (status, started.elapsed());
            }
            assert!(
                started.elapsed() < Duration::from_secs(15),
                "serve did not stop"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn get(&self, path: &str) -> String {
        let mut s = std::net::TcpStream::connect(&self.metrics).unwrap();
        write!(s, "GET {path} HTTP/1.0\r\nHost: x\r\n\r\n").unwrap();
        let mut text = String::new();
        s.read_to_string(&mut text).unwrap();
        text
    }
}

fn purchase(addr: &str, t: &mut TestTerminal, fx: &Fixtures, amount: u64) -> Option<ResponseCode> {
    let mut c = Client::connect(addr, Duration::from_secs(5)).unwrap();
    let mut buf = [0u8; 512];
    let n = t.sign_in(&mut buf);
    assert_eq!(
        t.accept_sign_in(c.send(&buf[..n]).unwrap()).unwrap(),
        ResponseCode::Approved
    );
    let card = fx.card("debit-chip").clone();
    let (n, _) = t.request(
        &Req::purchase(&card, Entry::Chip, Some("123456"), amount),
        &mut buf,
    );
    t.read_reply(c.send(&buf[..n]).unwrap()).unwrap().code
}

#[test]
fn the_service_imports_serves_keeps_operator_changes_stops_on_sigterm_and_stores_no_secret() {
    let fx = Fixtures::load().unwrap();
    let temp = TempDir::new("service");
    let dir = temp.path();
    let kek = dir.join("kek.hex");
    let ok = Command::new(binary())
        .args(["kek", kek.to_str().unwrap()])
        .status()
        .unwrap()
        .success();
    assert!(ok);
    let fixtures = cardwire_testkit::fixtures::fixtures_path();
    run(dir, &["import", fixtures.to_str().unwrap()], &[]);

    let s = serve(dir, "serve-1.log");
    assert!(s.get("/healthz").contains("ok"));
    let mut noodle = fx.test_terminal("noodle-1");
    noodle.dated_today();
    assert_eq!(
        purchase(&s.addr, &mut noodle, &fx, 1234),
        Some(ResponseCode::Approved)
    );
    let metrics = s.get("/metrics");
    assert!(
        metrics.contains("cardwire_requests_total{mti=\"0200\",response=\"00\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains("cardwire_open_connections"));
    assert!(metrics.contains("cardwire_ledger_commit_seconds_count"));
    let (status, took) = s.terminate();
    assert!(status.success(), "{status:?}");
    assert!(took < Duration::from_secs(10), "{took:?}");

    // An operator adds a merchant and a terminal, activates and binds it: after a restart,
    // it signs in and its purchase settles under that merchant.
    run(
        dir,
        &[
            "merchant",
            "add",
            "--merchant-no",
            "898310058129999",
            "--name",
            "A Tea House",
            "--mcc",
            "5814",
        ],
        &[],
    );
    let tmk = "89ABCDEF0123456776543210FEDCBA98";
    run(
        dir,
        &[
            "terminal",
            "add",
            "--terminal-id",
            "10580077",
            "--serial",
            "CWPOS-0077",
            "--tmk-env",
            "TEST_TMK",
        ],
        &[("TEST_TMK", tmk)],
    );
    run(
        dir,
        &[
            "terminal",
            "activate",
            "--terminal-id",
            "10580077",
            "--merchant-no",
            "898310058129999",
        ],
        &[],
    );
    let s = serve(dir, "serve-2.log");
    let mut tea = TestTerminal::new(
        "10580077",
        "898310058129999",
        cardwire_crypto::TdesKey::from_hex(tmk).unwrap(),
        &fx,
    );
    tea.serial = Some("CWPOS-0077".into());
    tea.dated_today();
    assert_eq!(
        purchase(&s.addr, &mut tea, &fx, 888),
        Some(ResponseCode::Approved)
    );
    let (status, _) = s.terminate();
    assert!(status.success());

    let month = run(dir, &["statement", "--month", "2026-11"], &[]);
    assert!(month.starts_with("time,terminal_id"));
    let now =
        cardwire_iso8583::time::DateTime::now(cardwire_iso8583::time::DateTime::CHINA).unwrap();
    let this_month = format!("{}", now);
    let csv = run(dir, &["statement", "--month", &this_month[..7]], &[]);
    assert!(csv.contains(",12.34,") && csv.contains(",8.88,"), "{csv}");
    assert!(csv.contains("A Tea House"), "{csv}");

    // No card number or key in the data directory, the logs or the statement.
    let needles = {
        let mut n = secrets(&fx);
        n.push(cardwire_testkit::scan::Needle {
            what: "the added terminal's TMK as hex".into(),
            bytes: tmk.as_bytes().to_vec(),
        });
        n
    };
    let mut scanned = vec![("statement".to_string(), csv.into_bytes())];
    for entry in std::fs::read_dir(dir.join("data")).unwrap() {
        let p = entry.unwrap().path();
        scanned.push((p.display().to_string(), std::fs::read(&p).unwrap()));
    }
    for log in ["serve-1.log", "serve-2.log"] {
        let bytes = std::fs::read(dir.join(log)).unwrap();
        assert!(
            String::from_utf8_lossy(&bytes).contains("621483******5673"),
            "the log shows the masked card"
        );
        scanned.push((log.into(), bytes));
    }
    for (name, bytes) in &scanned {
        let hits = found(bytes, &needles);
        assert!(hits.is_empty(), "{name} holds {hits:?}");
    }
}

/// The guarantee across `kill -9`: every approval a terminal received is in the ledger after a
/// restart, and none twice.
#[test]
fn after_kill_9_every_approval_received_is_in_the_ledger_once() {
    let fx = Fixtures::load().unwrap();
    let temp = TempDir::new("kill9");
    let dir = temp.path();
    let ok = Command::new(binary())
        .args(["kek", dir.join("kek.hex").to_str().unwrap()])
        .status()
        .unwrap()
        .success();
    assert!(ok);
    let fixtures = cardwire_testkit::fixtures::fixtures_path();
    run(dir, &["import", fixtures.to_str().unwrap()], &[]);
    let mut s = serve(dir, "serve-1.log");
    let addr = s.addr.clone();
    let mut t = fx.test_terminal("noodle-1");
    t.dated_today();
    let card = fx.card("credit-chip").clone();
    // How many approvals arrived: the kill waits for some (on a busy machine the load may
    // take a while to start).
    let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = std::sync::Arc::clone(&count);
    let load = std::thread::spawn(move || {
        let mut approved = Vec::new();
        let mut c = Client::connect(addr.as_str(), Duration::from_secs(5)).unwrap();
        let mut buf = [0u8; 512];
        let n = t.sign_in(&mut buf);
        assert_eq!(
            t.accept_sign_in(c.send(&buf[..n]).unwrap()).unwrap(),
            ResponseCode::Approved
        );
        for i in 0..100_000u64 {
            let (n, _) = t.request(
                &Req::purchase(&card, Entry::Chip, Some("246810"), 1 + i % 50),
                &mut buf,
            );
            let Ok(reply) = c.send(&buf[..n]) else { break };
            let r = t.read_reply(reply).unwrap();
            assert_eq!(r.code, Some(ResponseCode::Approved));
            approved.push(r.rrn.unwrap());
            counted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        approved
    });
    let started = Instant::now();
    while count.load(std::sync::atomic::Ordering::Relaxed) < 50
        && started.elapsed() < Duration::from_secs(20)
    {
        std::thread::sleep(Duration::from_millis(10));
    }
    std::thread::sleep(Duration::from_millis(100));
    s.child.kill().unwrap();
    s.child.wait().unwrap();
    let approved = load.join().unwrap();
    assert!(approved.len() > 10, "the load ran before the kill");

    let s = serve(dir, "serve-2.log");
    let (status, _) = s.terminate();
    assert!(status.success());
    let csv = run(dir, &["statement", "--month", ""], &[]);
    let rrns: Vec<&str> = csv
        .lines()
        .skip(1)
        .filter_map(|l| l.rsplit(',').next())
        .collect();
    for rrn in &approved {
        assert_eq!(
            rrns.iter().filter(|r| *r == rrn).count(),
            1,
            "approval {rrn} is in the ledger once"
        );
    }
    // At most the one request in flight at the kill was committed without its reply arriving.
    assert!(
        rrns.len() <= approved.len() + 1,
        "{} rows, {} approvals",
        rrns.len(),
        approved.len()
    );
}

/// Waits (up to 10 s) until `attempt` gives `Some`: `serve` picks operator changes up at its
/// next registry check.
fn eventually<T>(what: &str, mut attempt: impl FnMut() -> Option<T>) -> T {
    let started = Instant::now();
    loop {
        if let Some(v) = attempt() {
            return v;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{what}: not picked up by the running serve"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The response code to a sign-in over `c`.
fn sign_in_over(c: &mut Client, t: &mut TestTerminal) -> ResponseCode {
    let mut buf = [0u8; 512];
    let n = t.sign_in(&mut buf);
    t.accept_sign_in(c.send(&buf[..n]).unwrap()).unwrap()
}

/// A chip purchase over `c` under the keys `t` holds.
fn buy(c: &mut Client, t: &mut TestTerminal, fx: &Fixtures, amount: u64) -> Option<ResponseCode> {
    let card = fx.card("debit-chip").clone();
    let mut buf = [0u8; 512];
    let (n, _) = t.request(
        &Req::purchase(&card, Entry::Chip, Some("123456"), amount),
        &mut buf,
    );
    t.read_reply(c.send(&buf[..n]).unwrap()).unwrap().code
}

#[test]
fn operator_changes_reach_a_running_serve_without_a_restart() {
    let fx = Fixtures::load().unwrap();
    let temp = TempDir::new("service-live");
    let dir = temp.path();
    let kek = dir.join("kek.hex");
    assert!(
        Command::new(binary())
            .args(["kek", kek.to_str().unwrap()])
            .status()
            .unwrap()
            .success()
    );
    let fixtures = cardwire_testkit::fixtures::fixtures_path();
    run(dir, &["import", fixtures.to_str().unwrap()], &[]);
    let s = serve(dir, "serve.log");
    operator_changes_reach(&fx, &s.addr, &mut |args, env| {
        run(dir, args, env);
    });
    let (status, _) = s.terminate();
    assert!(status.success());
    let log = std::fs::read_to_string(dir.join("serve.log")).unwrap();
    assert!(log.contains("registry reloaded"), "{log}");
}

/// An admin command line run somewhere: its arguments and environment.
pub(super) type AdminCommand<'a> = dyn FnMut(&[&str], &[(&str, &str)]) + 'a;

/// Operator changes made by `admin` (an admin command's arguments and environment) while the
/// node at `addr` serves, each seen there without a restart: a merchant and a terminal added
/// and bound (refused until activated), activated (signs in, buys), unbound (refused).
pub(super) fn operator_changes_reach(fx: &Fixtures, addr: &str, admin: &mut AdminCommand<'_>) {
    admin(
        &[
            "merchant",
            "add",
            "--merchant-no",
            "898310058129998",
            "--name",
            "A Dumpling House",
            "--mcc",
            "5812",
        ],
        &[],
    );
    let tmk = "0123456789ABCDEF1032547698BADCFE";
    admin(
        &[
            "terminal",
            "add",
            "--terminal-id",
            "10580078",
            "--serial",
            "CWPOS-0078",
            "--tmk-env",
            "TEST_TMK",
        ],
        &[("TEST_TMK", tmk)],
    );
    let mut c = Client::connect(addr, Duration::from_secs(5)).unwrap();
    let mut t = TestTerminal::new(
        "10580078",
        "898310058129998",
        cardwire_crypto::TdesKey::from_hex(tmk).unwrap(),
        fx,
    );
    t.serial = Some("CWPOS-0078".into());
    t.dated_today();
    let ids = [
        "--terminal-id",
        "10580078",
        "--merchant-no",
        "898310058129998",
    ];
    admin(&[&["terminal", "bind"][..], &ids].concat(), &[]);
    // Bound but not activated: refused (whether or not the node has seen the binding yet).
    std::thread::sleep(Duration::from_millis(1_500));
    assert_eq!(sign_in_over(&mut c, &mut t), ResponseCode::InvalidMerchant);
    admin(&[&["terminal", "activate"][..], &ids].concat(), &[]);
    eventually("the activation", || {
        (sign_in_over(&mut c, &mut t) == ResponseCode::Approved).then_some(())
    });
    assert_eq!(buy(&mut c, &mut t, fx, 777), Some(ResponseCode::Approved));
    // Unbound while the node serves: its requests are refused, and so is its sign-in.
    admin(&["terminal", "unbind", "--terminal-id", "10580078"], &[]);
    eventually("the unbinding", || {
        (buy(&mut c, &mut t, fx, 100) == Some(ResponseCode::MacFailed)).then_some(())
    });
    assert_eq!(sign_in_over(&mut c, &mut t), ResponseCode::InvalidMerchant);
}

/// A command that must fail (exit 2): its standard error.
fn run_failing(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> String {
    let out = Command::new(binary())
        .args(args)
        .args(["--data-dir", dir.join("data").to_str().unwrap()])
        .args(["--kek-file", dir.join("kek.hex").to_str().unwrap()])
        .envs(env.iter().copied())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{args:?}");
    String::from_utf8(out.stderr).unwrap()
}

#[test]
fn a_terminal_under_a_configured_profile_transacts_and_a_merchant_gets_its_mccs_rate() {
    let fx = Fixtures::load().unwrap();
    let temp = TempDir::new("service-profiles");
    let dir = temp.path();
    assert!(
        Command::new(binary())
            .args(["kek", dir.join("kek.hex").to_str().unwrap()])
            .status()
            .unwrap()
            .success()
    );
    let config = dir.join("acquirer.toml");
    std::fs::write(
        &config,
        "default_fee_bps = 60\n\
         [profiles.bank-a]\nmac = \"cups-ecb-legacy\"\ntpdu = \"6000050000\"\nheader = \"603100310301\"\n\
         [fees]\n\"5812\" = 38\n\"5411-5499\" = 25\n",
    )
    .unwrap();
    let cfg = ["--config", config.to_str().unwrap()];
    let fixtures = cardwire_testkit::fixtures::fixtures_path();
    run(
        dir,
        &[&["import", fixtures.to_str().unwrap()][..], &cfg].concat(),
        &[],
    );

    // No rate given: the MCC's from [fees]; an MCC the table lacks: default_fee_bps.
    let add = |no: &str, mcc: &str| {
        run(
            dir,
            &[
                &[
                    "merchant",
                    "add",
                    "--merchant-no",
                    no,
                    "--name",
                    "A Noodle Bar",
                    "--mcc",
                    mcc,
                ][..],
                &cfg,
            ]
            .concat(),
            &[],
        )
    };
    assert!(add("898310058129997", "5812").contains("0.38%"));
    assert!(add("898310070119997", "7011").contains("0.60%"));

    let tmk = "FEDCBA98765432100123456789ABCDEF";
    let terminal_add = |profile: &'static str| {
        [
            "terminal",
            "add",
            "--terminal-id",
            "10580079",
            "--serial",
            "CWPOS-0079",
            "--tmk-env",
            "TEST_TMK",
            "--profile",
        ]
        .into_iter()
        .chain([profile])
        .chain(cfg)
        .collect::<Vec<_>>()
    };
    let e = run_failing(dir, &terminal_add("bank-b"), &[("TEST_TMK", tmk)]);
    assert!(
        e.contains("--profile") && e.contains("bank-b") && e.contains("bank-a"),
        "{e}"
    );
    run(dir, &terminal_add("bank-a"), &[("TEST_TMK", tmk)]);
    run(
        dir,
        &[
            &[
                "terminal",
                "activate",
                "--terminal-id",
                "10580079",
                "--merchant-no",
                "898310058129997",
            ][..],
            &cfg,
        ]
        .concat(),
        &[],
    );

    let s = serve_with(dir, "serve.log", &cfg);
    let mut t = TestTerminal::new(
        "10580079",
        "898310058129997",
        cardwire_crypto::TdesKey::from_hex(tmk).unwrap(),
        &fx,
    );
    t.serial = Some("CWPOS-0079".into());
    t.dated_today();
    let mut c = Client::connect(&s.addr, Duration::from_secs(5)).unwrap();
    // Framed as the standard profile: refused.
    assert_eq!(sign_in_over(&mut c, &mut t), ResponseCode::InvalidMerchant);
    // Framed and MAC'd as bank-a says: served.
    t.tpdu = cardwire_iso8583::frame::Tpdu::new([0x00, 0x05], [0x00, 0x00]);
    t.header = [0x60, 0x31, 0x00, 0x31, 0x03, 0x01];
    t.mac = cardwire_crypto::cups::MacAlgorithm::CupsEcbLegacy;
    assert_eq!(sign_in_over(&mut c, &mut t), ResponseCode::Approved);
    assert_eq!(
        buy(&mut c, &mut t, &fx, 10_000),
        Some(ResponseCode::Approved)
    );
    let (status, _) = s.terminate();
    assert!(status.success());
    let now =
        cardwire_iso8583::time::DateTime::now(cardwire_iso8583::time::DateTime::CHINA).unwrap();
    let month = format!("{now}");
    let csv = run(dir, &["statement", "--month", &month[..7]], &[]);
    let row = csv.lines().find(|l| l.contains("10580079")).unwrap();
    assert!(row.contains(",100.00,0.38,"), "{row}");

    // A configuration that names an unknown MAC algorithm stops every command, naming where.
    std::fs::write(&config, "[profiles.bank-c]\nmac = \"md5\"\n").unwrap();
    let e = run_failing(
        dir,
        &[&["statement", "--month", "2026-11"][..], &cfg].concat(),
        &[],
    );
    assert!(e.contains("profiles.bank-c.mac"), "{e}");
}
