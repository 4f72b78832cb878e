//! `cardwire-acquirer`: the acquirer host as a service, and what an operator does with it.
//!
//! ```text
//! cardwire-acquirer kek FILE                                   # a new key-encryption key
//! cardwire-acquirer import spec-vectors/pos-fixtures.json --data-dir DIR
//! cardwire-acquirer serve --data-dir DIR --listen 127.0.0.1:5858 --metrics-listen 127.0.0.1:9858
//! cardwire-acquirer merchant add --data-dir DIR --merchant-no N --name NAME --mcc 5812
//! cardwire-acquirer terminal add --data-dir DIR --terminal-id T --serial S --tmk-env VAR [--profile NAME]
//! cardwire-acquirer terminal add --data-dir DIR --terminal-id T --serial S --device-key 04…
//! cardwire-acquirer key-download-key --data-dir DIR          # the key terminals trust
//! cardwire-acquirer terminal activate --data-dir DIR --terminal-id T --merchant-no N
//! cardwire-acquirer terminal unbind --data-dir DIR --terminal-id T
//! cardwire-acquirer statement --data-dir DIR --month 2026-11 --out statement.csv
//! cardwire-acquirer migrate --ledger postgres://cardwire@db/cardwire
//! cardwire-acquirer serve --data-dir DIR --ledger postgres://cardwire@db/cardwire --pool-size 4   # one of several nodes
//! ```
//!
//! Admin commands may run while `serve` runs on the same data directory: each raises the
//! registry's version, which `serve` checks every second and then loads the registry again.
//!
//! With `--ledger URL` (or `ledger` in the config) the ledger, the terminal sessions, the
//! sequence numbers and the registry (merchants, terminals, keys, cardholders) live in
//! PostgreSQL, shared by every node given the same URL: an admin command at any node reaches
//! every running `serve` through the registry's version there. Such a `serve` answers with
//! `--pool-size` host workers (or `pool_size` in the config; default 4, 1–64), each with its
//! own connection; a SQLite ledger is answered by one.
//!
//! Without `--config`, a command given `--data-dir DIR` reads `DIR/acquirer.toml` when it
//! exists (the merchant platform reads the same file to find the database).
//!
//! The key-encryption key comes from `--kek-file FILE` (or `kek_file` in the config), else
//! from the variable named by `--kek-env` (default `CARDWIRE_KEK`): 64 hex digits.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cardwire_acquirer::config::Config;
use cardwire_acquirer::keystore::SoftwareKeyStore;
use cardwire_acquirer::ledger::{Ledger, PgLedger, PgOptions, SqliteLedger};
use cardwire_acquirer::profiles::{FeeTable, Profiles};
use cardwire_acquirer::server::{Metrics, Server, log};
use cardwire_acquirer::store::{Location, RegistryStore};
use cardwire_acquirer::{Error, Host, Merchant, OsRng, statement};
use cardwire_crypto::TdesKey;
use cardwire_crypto::sm::sm2::PublicKey;
use cardwire_merchant::FeeRate;
use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "cardwire-acquirer",
    version,
    about = "The cardwire acquirer host"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Where the data is and how its keys are opened.
#[derive(Args, Clone)]
struct Common {
    /// The configuration file (TOML).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// The directory of the database.
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// A file holding the key-encryption key (64 hex digits).
    #[arg(long, global = true)]
    kek_file: Option<PathBuf>,
    /// The variable holding the key-encryption key when no file is given.
    #[arg(long, global = true)]
    kek_env: Option<String>,
    /// A PostgreSQL URL for the ledger, shared by several nodes (else SQLite in the data
    /// directory).
    #[arg(long, global = true)]
    ledger: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Writes a new random key-encryption key (64 hex digits) to FILE, readable by its owner only.
    Kek { file: PathBuf },
    /// Loads merchants, terminals, cardholders and issuer keys from a JSON file in the layout
    /// of spec-vectors/pos-fixtures.json (keys are encrypted on the way in).
    Import {
        file: PathBuf,
        #[command(flatten)]
        common: Common,
    },
    /// Serves terminals until SIGTERM or SIGINT.
    Serve {
        #[command(flatten)]
        common: Common,
        /// The terminals' address (port 0 picks one; the bound address is printed).
        #[arg(long)]
        listen: Option<String>,
        /// The address of GET /metrics and GET /healthz.
        #[arg(long)]
        metrics_listen: Option<String>,
        /// Logs as JSON lines.
        #[arg(long)]
        log_json: bool,
        /// With a PostgreSQL ledger: host workers, each with its own connection (1–64,
        /// default 4, or pool_size in the config). A SQLite ledger has one.
        #[arg(long)]
        pool_size: Option<usize>,
    },
    /// Merchants.
    Merchant {
        #[command(subcommand)]
        action: MerchantAction,
    },
    /// Terminals.
    Terminal {
        #[command(subcommand)]
        action: TerminalAction,
    },
    /// Applies the PostgreSQL ledger's schema migrations it lacks (serve applies them too).
    Migrate {
        #[command(flatten)]
        common: Common,
    },
    /// Prints the acquirer's SM2 public key that signs remote key downloads (`04‖x‖y`, hex),
    /// for loading into terminals at manufacture; the key is created, wrapped under the KEK,
    /// on first use.
    KeyDownloadKey {
        #[command(flatten)]
        common: Common,
    },
    /// Writes the merchant statement (CSV) of a month.
    Statement {
        #[command(flatten)]
        common: Common,
        /// YYYY-MM.
        #[arg(long)]
        month: String,
        /// The CSV file (standard output without it).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum MerchantAction {
    /// Adds (or replaces) a merchant.
    Add {
        #[command(flatten)]
        common: Common,
        #[arg(long)]
        merchant_no: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        mcc: String,
        /// The fee rate in basis points (default: the MCC's in the config's [fees], else its
        /// default_fee_bps, else 60).
        #[arg(long)]
        fee_bps: Option<u16>,
    },
}

#[derive(Subcommand)]
enum TerminalAction {
    /// Adds a terminal (not activated, not bound). Either its master key is read from a
    /// variable (so that it never shows in a process list), or — with `--device-key` — the
    /// terminal is of the SM4 profile and gets its master key by remote key download: the
    /// host draws the key and seals it to the device's registered SM2 key.
    Add {
        #[command(flatten)]
        common: Common,
        #[arg(long)]
        terminal_id: String,
        #[arg(long)]
        serial: String,
        /// The variable holding the TMK (32 or 48 hex digits).
        #[arg(
            long,
            required_unless_present = "device_key",
            conflicts_with = "device_key"
        )]
        tmk_env: Option<String>,
        /// The device's SM2 public key (`04‖x‖y`, 130 hex digits), generated in the device.
        #[arg(long)]
        device_key: Option<String>,
        /// Its profile: standard, legacy-ecb, sm4, or one of the config's [profiles.NAME].
        #[arg(long, default_value = Profiles::STANDARD)]
        profile: String,
    },
    /// Activates a terminal and binds it to a merchant.
    Activate {
        #[command(flatten)]
        common: Common,
        #[arg(long)]
        terminal_id: String,
        #[arg(long)]
        merchant_no: String,
    },
    /// Binds a terminal to a merchant (without activating it).
    Bind {
        #[command(flatten)]
        common: Common,
        #[arg(long)]
        terminal_id: String,
        #[arg(long)]
        merchant_no: String,
    },
    /// Unbinds a terminal: refused from then on, until bound again.
    Unbind {
        #[command(flatten)]
        common: Common,
        #[arg(long)]
        terminal_id: String,
    },
}

type Res<T> = Result<T, String>;

/// An error and the causes under it, `: `-separated.
fn causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(&format!(": {c}"));
        cause = c.source();
    }
    text
}

fn err(e: Error) -> String {
    causes(&e)
}

/// The configuration, the database path and the key store of a command.
struct Setup {
    config: Config,
    profiles: Profiles,
    fees: FeeTable,
    db: PathBuf,
    keys: SoftwareKeyStore,
    /// The PostgreSQL URL of a shared ledger.
    ledger: Option<String>,
}

impl Setup {
    /// Where the registry and the ledger are.
    fn location(&self) -> Location {
        match &self.ledger {
            Some(url) => Location::Postgres(url.clone()),
            None => Location::File(self.db.clone()),
        }
    }

    /// The registry's tables: in PostgreSQL with a shared ledger, else in the file.
    fn registry(&self) -> Result<RegistryStore<'_>, Error> {
        RegistryStore::open_at(&self.location(), &self.keys)
    }
    /// Runs `with` on the ledger the setup names: PostgreSQL when a URL is given, else the
    /// SQLite file.
    fn with_ledger<T>(&self, with: impl LedgerUser<T>) -> Res<T> {
        match &self.ledger {
            Some(url) => with.run(self.postgres(url)?),
            None => with.run(self.sqlite()?),
        }
    }

    /// Runs `with` on `pool` connections to the PostgreSQL ledger when a URL is given, else
    /// on the one SQLite ledger (a file one process writes through one connection).
    fn with_ledgers<T>(&self, pool: usize, with: impl PoolUser<T>) -> Res<T> {
        match &self.ledger {
            Some(url) => {
                let ledgers = (0..pool)
                    .map(|_| self.postgres(url))
                    .collect::<Res<Vec<_>>>()?;
                with.run(ledgers)
            }
            None => with.run(vec![self.sqlite()?]),
        }
    }

    /// A connection to the PostgreSQL ledger at `url`.
    fn postgres(&self, url: &str) -> Res<PgLedger> {
        PgLedger::connect(url, PgOptions::default(), &self.keys).map_err(err)
    }

    /// The SQLite ledger file, with the configured durability.
    fn sqlite(&self) -> Res<SqliteLedger> {
        SqliteLedger::open(&self.db, self.config.durability().map_err(err)?, &self.keys)
            .map_err(err)
    }
}

/// What runs on a pool of connections to whichever ledger a command was given.
trait PoolUser<T> {
    fn run<L: Ledger + Send + 'static>(self, ledgers: Vec<L>) -> Res<T>;
}

/// What runs on whichever ledger a command was given.
trait LedgerUser<T> {
    fn run<L: Ledger + Send + 'static>(self, ledger: L) -> Res<T>;
}

fn setup(common: &Common) -> Res<Setup> {
    let in_dir = common
        .data_dir
        .as_ref()
        .map(|d| d.join(Config::FILE_NAME))
        .filter(|p| p.is_file());
    let config = match common.config.as_ref().or(in_dir.as_ref()) {
        Some(p) => Config::read(p).map_err(err)?,
        None => Config::default(),
    };
    // Every command refuses a configuration with an unusable profile or fee table, even one
    // that would not use it: the file is wrong, and the operator learns it now.
    let (profiles, fees) = (config.profiles().map_err(err)?, config.fees().map_err(err)?);
    let dir = common
        .data_dir
        .clone()
        .or_else(|| config.data_dir.clone())
        .ok_or("--data-dir (or data_dir in the config) is needed")?;
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let keys = match common.kek_file.clone().or_else(|| config.kek_file.clone()) {
        Some(f) => SoftwareKeyStore::from_file(f),
        None => SoftwareKeyStore::from_env(
            common
                .kek_env
                .as_deref()
                .or(config.kek_env.as_deref())
                .unwrap_or("CARDWIRE_KEK"),
        ),
    }
    .map_err(err)?;
    let ledger = common.ledger.clone().or_else(|| config.ledger.clone());
    Ok(Setup {
        config,
        profiles,
        fees,
        db: dir.join("acquirer.db"),
        keys,
        ledger,
    })
}

fn write_kek(path: &Path) -> Res<()> {
    let mut kek = [0u8; 32];
    getrandom::fill(&mut kek).map_err(|e| e.to_string())?;
    let hex: String = kek.iter().map(|b| format!("{b:02x}")).collect();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut f = options
        .open(path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    writeln!(f, "{hex}").map_err(|e| e.to_string())?;
    println!("key-encryption key written to {}", path.display());
    Ok(())
}

fn import(file: &Path, common: &Common) -> Res<()> {
    let s = setup(common)?;
    let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let registry = cardwire_acquirer::import::registry_from_json_with(&text, &s.profiles, &s.fees)
        .map_err(err)?;
    // The ledger first: it makes the file's card-data key (and opens the card accounts).
    struct Open<'r>(&'r cardwire_acquirer::Registry);
    impl LedgerUser<()> for Open<'_> {
        fn run<L: Ledger + Send + 'static>(self, ledger: L) -> Res<()> {
            drop(Host::new(self.0.clone(), ledger).map_err(err)?);
            Ok(())
        }
    }
    s.with_ledger(Open(&registry))?;
    s.registry()
        .and_then(|mut store| store.save(&registry))
        .map_err(err)?;
    println!(
        "imported {} merchants, {} terminals, {} cardholders into {}",
        registry.merchants.len(),
        registry.terminals.len(),
        registry.cardholders.len(),
        match s.location() {
            Location::File(p) => p.display().to_string(),
            Location::Postgres(_) => "the PostgreSQL database".into(),
        }
    );
    Ok(())
}

fn merchant(action: MerchantAction) -> Res<()> {
    let MerchantAction::Add {
        common,
        merchant_no,
        name,
        mcc,
        fee_bps,
    } = action;
    let s = setup(&common)?;
    let fee_rate = match fee_bps {
        Some(bps) if bps <= 10_000 => FeeRate::from_bps(bps),
        Some(bps) => return Err(format!("--fee-bps {bps}: at most 10000 (100 %)")),
        None => s.fees.rate_for(&mcc).map_err(err)?,
    };
    s.registry()
        .and_then(|mut store| {
            store.add_merchant(&Merchant {
                merchant_no: merchant_no.clone(),
                name,
                mcc,
                fee_rate,
            })
        })
        .map_err(err)?;
    println!("merchant {merchant_no} stored at {fee_rate}");
    Ok(())
}

fn terminal(action: TerminalAction) -> Res<()> {
    match action {
        TerminalAction::Add {
            common,
            terminal_id,
            serial,
            tmk_env,
            device_key,
            profile,
        } => {
            let s = setup(&common)?;
            if let Some(device_key) = device_key {
                let bytes = cardwire_emv::hex::decode_to_vec(device_key.trim())
                    .map_err(|e| format!("--device-key: {e}"))?;
                let device_key =
                    PublicKey::from_bytes(&bytes).map_err(|e| format!("--device-key: {e}"))?;
                s.registry()
                    .and_then(|mut store| {
                        store.add_key_download_terminal(
                            &terminal_id,
                            &serial,
                            &device_key,
                            &mut OsRng,
                        )
                    })
                    .map_err(err)?;
                println!(
                    "terminal {terminal_id} stored (SM4 profile, master key by remote key download; not activated, not bound)"
                );
                return Ok(());
            }
            let tmk_env = tmk_env.ok_or("--tmk-env or --device-key is needed")?;
            let chosen = s
                .profiles
                .get(&profile)
                .map_err(|e| format!("--profile: {}", err(e)))?;
            let hex = zeroize::Zeroizing::new(
                std::env::var(&tmk_env).map_err(|_| format!("{tmk_env} is not set"))?,
            );
            let tmk = TdesKey::from_hex(hex.trim()).map_err(|e| format!("{tmk_env}: {e}"))?;
            s.registry()
                .and_then(|mut store| store.add_terminal(&terminal_id, &serial, &tmk, chosen))
                .map_err(err)?;
            println!(
                "terminal {terminal_id} stored under profile {profile} (not activated, not bound)"
            );
        }
        TerminalAction::Activate {
            common,
            terminal_id,
            merchant_no,
        } => {
            let s = setup(&common)?;
            s.registry()
                .and_then(|mut store| {
                    store.bind(&terminal_id, &merchant_no)?;
                    store.activate(&terminal_id)
                })
                .map_err(err)?;
            println!("terminal {terminal_id} activated and bound to {merchant_no}");
        }
        TerminalAction::Bind {
            common,
            terminal_id,
            merchant_no,
        } => {
            let s = setup(&common)?;
            s.registry()
                .and_then(|mut store| store.bind(&terminal_id, &merchant_no))
                .map_err(err)?;
            println!("terminal {terminal_id} bound to {merchant_no}");
        }
        TerminalAction::Unbind {
            common,
            terminal_id,
        } => {
            let s = setup(&common)?;
            s.registry()
                .and_then(|mut store| store.unbind(&terminal_id))
                .map_err(err)?;
            println!("terminal {terminal_id} unbound");
        }
    }
    Ok(())
}

/// How often a running `serve` looks at the registry's version.
const REGISTRY_CHECK: Duration = Duration::from_secs(1);

/// Loads the registry again whenever an admin command (of this node or another on the same
/// database) raised its version, and puts it in every host's place (each between two of its
/// request groups). Never stops serving: a failure is logged and tried again at the next
/// check (a host that took it already takes it again, which changes nothing).
fn watch_registry<L: Ledger>(
    location: Location,
    keys: SoftwareKeyStore,
    hosts: &[Arc<Mutex<Host<L>>>],
    mut seen: u64,
    stop: Arc<AtomicBool>,
) {
    let store = match RegistryStore::open_at(&location, &keys) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %err(e), "operator changes will not reach this host until a restart");
            return;
        }
    };
    let mut waited = Duration::ZERO;
    while !stop.load(Ordering::Relaxed) {
        // Short sleeps: a stop is seen at once.
        std::thread::sleep(Duration::from_millis(50));
        waited += Duration::from_millis(50);
        if waited < REGISTRY_CHECK {
            continue;
        }
        waited = Duration::ZERO;
        let version = match store.version() {
            Ok(v) if v == seen => continue,
            Ok(v) => v,
            Err(e) => {
                tracing::warn!(error = %err(e), "reading the registry version");
                continue;
            }
        };
        let replaced =
            store.load().and_then(|registry| {
                hosts.iter().try_for_each(|host| match host.lock() {
                    Ok(mut h) => h.replace_registry(registry.clone()),
                    Err(_) => Err(Error::new(cardwire_acquirer::ErrorKind::Internal)
                        .during("locking the host")),
                })
            });
        match replaced {
            Ok(()) => {
                seen = version;
                tracing::info!(version, "registry reloaded");
            }
            Err(e) => tracing::warn!(error = %err(e), version, "reloading the registry"),
        }
    }
}

fn export(common: &Common, month: &str, out: Option<&Path>) -> Res<()> {
    struct Export<'a>(&'a str, Option<&'a Path>);
    impl LedgerUser<()> for Export<'_> {
        fn run<L: Ledger + Send + 'static>(self, mut ledger: L) -> Res<()> {
            let Export(month, out) = self;
            match out {
                Some(path) => {
                    let f = std::fs::File::create(path)
                        .map_err(|e| format!("{}: {e}", path.display()))?;
                    statement::write_csv_of(&mut ledger, month, f).map_err(err)?;
                    println!("statement of {month} written to {}", path.display());
                }
                None => statement::write_csv_of(&mut ledger, month, std::io::stdout().lock())
                    .map_err(err)?,
            }
            Ok(())
        }
    }
    setup(common)?.with_ledger(Export(month, out))
}

fn migrate(common: &Common) -> Res<()> {
    let s = setup(common)?;
    let url = s
        .ledger
        .as_deref()
        .ok_or("--ledger URL (or ledger in the config) is needed: SQLite needs no migration")?;
    let applied = PgLedger::migrate(url, PgOptions::default()).map_err(err)?;
    if applied.is_empty() {
        println!("the ledger's schema is up to date");
    } else {
        println!("applied schema versions {applied:?}");
    }
    Ok(())
}

fn serve(
    common: &Common,
    listen: Option<String>,
    metrics_listen: Option<String>,
    log_json: bool,
    pool_size: Option<usize>,
) -> Res<()> {
    let s = setup(common)?;
    let pool = s.config.pool_size(pool_size).map_err(err)?;
    let json = log_json || s.config.log_json;
    // Logs to standard error through a lossy non-blocking queue: a slow or closed output
    // never holds up an answer.
    let (dispatch, _flush) = log::dispatcher(std::io::stderr(), json);
    let _ = tracing::dispatcher::set_global_default(dispatch);
    let listen = listen
        .or_else(|| s.config.listen.clone())
        .unwrap_or_else(|| "127.0.0.1:5858".into());
    let metrics_listen = metrics_listen
        .or_else(|| s.config.metrics_listen.clone())
        .unwrap_or_else(|| "127.0.0.1:9858".into());
    let server_config = s.config.server().map_err(err)?;
    s.with_ledgers(
        pool,
        Serve {
            s: &s,
            listen,
            metrics_listen,
            server_config,
        },
    )
}

/// `serve` once its ledger is open.
struct Serve<'a> {
    s: &'a Setup,
    listen: String,
    metrics_listen: String,
    server_config: cardwire_acquirer::server::ServerConfig,
}

impl PoolUser<()> for Serve<'_> {
    fn run<L: Ledger + Send + 'static>(self, ledgers: Vec<L>) -> Res<()> {
        let Serve {
            s,
            listen,
            metrics_listen,
            server_config,
        } = self;
        serve_on(s, ledgers, &listen, &metrics_listen, server_config)
    }
}

fn serve_on<L: Ledger + Send + 'static>(
    s: &Setup,
    ledgers: Vec<L>,
    listen: &str,
    metrics_listen: &str,
    server_config: cardwire_acquirer::server::ServerConfig,
) -> Res<()> {
    let (registry, version) = s
        .registry()
        .and_then(|store| Ok((store.load()?, store.version()?)))
        .map_err(err)?;
    let signer = s
        .registry()
        .and_then(|mut store| store.acquirer_sm2_key(&mut OsRng))
        .map_err(err)?;
    let lockout = s.config.lockout().map_err(err)?;
    // One host per connection, alike: a pool's workers answer any terminal.
    let mut hosts = Vec::with_capacity(ledgers.len());
    for ledger in ledgers {
        let mut host = Host::new(registry.clone(), ledger)
            .map_err(err)?
            .with_lockout(lockout)
            .with_key_download_signer(signer.clone());
        if let Some(days) = s.config.security.chip_date_days {
            host = host.with_chip_date_tolerance(days);
        }
        if let Some(secs) = s.config.security.sign_in_window_secs {
            host = host.with_sign_in_window(secs);
        }
        hosts.push(Arc::new(Mutex::new(host)));
    }
    let listener = std::net::TcpListener::bind(listen).map_err(|e| format!("{listen}: {e}"))?;
    let server = Server::spawn_pool(listener, hosts.clone(), server_config, Arc::new(|_, _| {}))
        .map_err(err)?;
    let runtime = server.runtime().map_err(err)?;
    let metrics_listener = runtime
        .block_on(tokio::net::TcpListener::bind(metrics_listen))
        .map_err(|e| format!("{metrics_listen}: {e}"))?;
    let metrics_addr = metrics_listener.local_addr().map_err(|e| e.to_string())?;
    runtime.spawn(metrics_endpoint(metrics_listener, server.metrics()));
    let stop_watch = Arc::new(AtomicBool::new(false));
    let watcher = {
        let (location, keys, hosts, stop) = (
            s.location(),
            s.keys.clone(),
            hosts.clone(),
            Arc::clone(&stop_watch),
        );
        std::thread::Builder::new()
            .name("registry-watch".into())
            .spawn(move || watch_registry(location, keys, &hosts, version, stop))
            .map_err(|e| format!("starting the registry watch: {e}"))?
    };
    println!("listening on {}", server.addr());
    println!("metrics on {metrics_addr}");
    let _ = std::io::stdout().flush();
    let signal = runtime.block_on(stop_signal()).map_err(|e| e.to_string())?;
    tracing::info!(
        signal,
        "stopping: no new connections, answering what is in flight"
    );
    let started = std::time::Instant::now();
    stop_watch.store(true, Ordering::Relaxed);
    // Its only failure is a panic, already reported by the panic hook.
    let _ = watcher.join();
    server.stop();
    // The ledger's last group is committed; closing it checkpoints the write-ahead log.
    for host in hosts {
        let host = Arc::try_unwrap(host)
            .map_err(|_| "the host is still shared".to_string())?
            .into_inner()
            .map_err(|_| "the host worker panicked holding the host".to_string())?;
        drop(host.into_ledger());
    }
    println!(
        "stopped on {signal} in {} ms",
        started.elapsed().as_millis()
    );
    Ok(())
}

/// Waits for SIGTERM or SIGINT; returns its name.
async fn stop_signal() -> std::io::Result<&'static str> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate())?;
        let mut int = signal(SignalKind::interrupt())?;
        tokio::select! {
            _ = term.recv() => Ok("SIGTERM"),
            _ = int.recv() => Ok("SIGINT"),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await?;
        Ok("Ctrl-C")
    }
}

/// `GET /metrics` (Prometheus text) and `GET /healthz`.
async fn metrics_endpoint(listener: tokio::net::TcpListener, metrics: Arc<Metrics>) {
    use axum::routing::get;
    let app = axum::Router::new()
        .route(
            "/metrics",
            get(move || {
                let m = Arc::clone(&metrics);
                async move { ([("content-type", "text/plain; version=0.0.4")], m.render()) }
            }),
        )
        .route("/healthz", get(|| async { "ok\n" }));
    if let Err(e) = axum::serve(listener, app).await {
        tracing::error!(error = %e, "the metrics endpoint stopped");
    }
}

fn run(cli: Cli) -> Res<()> {
    match cli.command {
        Command::Kek { file } => write_kek(&file),
        Command::Import { file, common } => import(&file, &common),
        Command::Serve {
            common,
            listen,
            metrics_listen,
            log_json,
            pool_size,
        } => serve(&common, listen, metrics_listen, log_json, pool_size),
        Command::Merchant { action } => merchant(action),
        Command::Terminal { action } => terminal(action),
        Command::KeyDownloadKey { common } => key_download_key(&common),
        Command::Statement { common, month, out } => export(&common, &month, out.as_deref()),
        Command::Migrate { common } => migrate(&common),
    }
}

fn key_download_key(common: &Common) -> Res<()> {
    let s = setup(common)?;
    let key = s
        .registry()
        .and_then(|mut store| store.acquirer_sm2_key(&mut OsRng))
        .map_err(err)?;
    let hex: String = key
        .public_key()
        .as_bytes()
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect();
    println!("{hex}");
    Ok(())
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
