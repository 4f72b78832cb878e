//! `cardwire-platform`: the merchant platform over the acquirer's data directory.
//!
//! ```text
//! cardwire-platform serve --data-dir DIR --listen 127.0.0.1:8080 --kek-file kek.hex
//! printf '%s\n' "$PASSWORD" | cardwire-platform operator add --data-dir DIR --email ops@example.com --kek-file kek.hex
//! ```
//!
//! The key-encryption key is the acquirer's: `--kek-file FILE`, else the variable named by
//! `--kek-env` (default `CARDWIRE_KEK`), 64 hex digits.

use std::io::{BufRead, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use cardwire_acquirer::keystore::{KeyStore, SoftwareKeyStore};
use cardwire_platform::error::causes;
use cardwire_platform::store::{Role, Store};
use cardwire_platform::{Platform, auth, forms, metrics_router, router};
use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "cardwire-platform",
    version,
    about = "The cardwire merchant platform"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct Common {
    /// The acquirer's data directory: its configuration `acquirer.toml` says where the
    /// acquirer's database is (`ledger = "postgres://…"`, else its acquirer.db); the platform
    /// adds platform.db.
    #[arg(long)]
    data_dir: PathBuf,
    /// A file holding the key-encryption key (64 hex digits).
    #[arg(long)]
    kek_file: Option<PathBuf>,
    /// The variable holding the key-encryption key when no file is given.
    #[arg(long, default_value = "CARDWIRE_KEK")]
    kek_env: String,
}

#[derive(Subcommand)]
enum Command {
    /// Serves the platform until SIGTERM or SIGINT.
    Serve {
        #[command(flatten)]
        common: Common,
        /// The address (port 0 picks one; the bound address is printed).
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
        /// The address of GET /metrics (requests and latency by route) and GET /healthz.
        #[arg(long, default_value = "127.0.0.1:9859")]
        metrics_listen: String,
        /// Marks the session cookie `Secure` (behind HTTPS).
        #[arg(long)]
        secure_cookies: bool,
        /// Logs as JSON lines.
        #[arg(long)]
        log_json: bool,
    },
    /// Operator accounts.
    Operator {
        #[command(subcommand)]
        action: OperatorAction,
    },
}

#[derive(Subcommand)]
enum OperatorAction {
    /// Adds an operator; the password is read from the first line of standard input.
    Add {
        #[command(flatten)]
        common: Common,
        #[arg(long)]
        email: String,
    },
}

fn keys(c: &Common) -> Result<Arc<dyn KeyStore>, String> {
    let k = match &c.kek_file {
        Some(f) => SoftwareKeyStore::from_file(f),
        None => SoftwareKeyStore::from_env(&c.kek_env),
    }
    .map_err(|e| causes(&e))?;
    Ok(Arc::new(k))
}

fn operator_add(common: &Common, email: &str) -> Result<(), String> {
    let login = forms::login(email).map_err(String::from)?;
    let mut line = zeroize::Zeroizing::new(String::new());
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("reading the password: {e}"))?;
    let password = line.trim_end_matches(['\r', '\n']);
    forms::new_password(password).map_err(String::from)?;
    // The platform opens the acquirer's file and its keys: a wrong KEK fails here, not later.
    drop(Platform::open(&common.data_dir, keys(common)?, false).map_err(|e| causes(&e))?);
    let store = Store::open(common.data_dir.join("platform.db")).map_err(|e| causes(&e))?;
    let hash = auth::hash_password(password).map_err(|e| causes(&e))?;
    let now = cardwire_platform::clock::at(cardwire_platform::clock::unix_now())
        .map_or_else(String::new, |t| t.to_string());
    match store
        .add_user(&login, &hash, Role::Operator, &now)
        .map_err(|e| causes(&e))?
    {
        Some(_) => {
            println!("operator {login} added");
            Ok(())
        }
        None => Err(format!("{login} has an account already")),
    }
}

fn serve(
    common: &Common,
    listen: &str,
    metrics_listen: &str,
    secure_cookies: bool,
    log_json: bool,
) -> Result<(), String> {
    let (dispatch, _flush) =
        cardwire_acquirer::server::log::dispatcher(std::io::stderr(), log_json);
    let _ = tracing::dispatcher::set_global_default(dispatch);
    let platform = Arc::new(
        Platform::open(&common.data_dir, keys(common)?, secure_cookies).map_err(|e| causes(&e))?,
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("starting the runtime: {e}"))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|e| format!("{listen}: {e}"))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let metrics_listener = tokio::net::TcpListener::bind(metrics_listen)
            .await
            .map_err(|e| format!("{metrics_listen}: {e}"))?;
        let metrics_addr = metrics_listener.local_addr().map_err(|e| e.to_string())?;
        let metrics = metrics_router(Arc::clone(&platform));
        tokio::spawn(async move {
            if let Err(e) = axum::serve(metrics_listener, metrics).await {
                tracing::error!(error = %e, "the metrics endpoint stopped");
            }
        });
        let sweeper = Arc::clone(&platform);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(600));
            loop {
                tick.tick().await;
                if let Err(e) = sweeper.sweep() {
                    tracing::warn!(error = %causes(&e), "forgetting expired sessions failed");
                }
            }
        });
        println!("platform on http://{addr}");
        println!("metrics on http://{metrics_addr}/metrics");
        let _ = std::io::stdout().flush();
        tracing::info!(%addr, "platform listening");
        let app = router(platform).into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let signal = stop_signal().await;
                tracing::info!(
                    signal,
                    "stopping: no new connections, finishing requests in flight"
                );
            })
            .await
            .map_err(|e| format!("serving: {e}"))?;
        println!("platform stopped");
        Ok(())
    })
}

/// Waits for SIGTERM or SIGINT; returns its name.
async fn stop_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
            (Ok(mut term), Ok(mut int)) => tokio::select! {
                _ = term.recv() => "SIGTERM",
                _ = int.recv() => "SIGINT",
            },
            _ => {
                let _ = tokio::signal::ctrl_c().await;
                "Ctrl-C"
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "Ctrl-C"
    }
}

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Serve {
            common,
            listen,
            metrics_listen,
            secure_cookies,
            log_json,
        } => serve(&common, &listen, &metrics_listen, secure_cookies, log_json),
        Command::Operator {
            action: OperatorAction::Add { common, email },
        } => operator_add(&common, &email),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
