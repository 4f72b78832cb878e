//! The host server over TCP (tokio): accepts terminals' connections (2-byte length frames as
//! `cardwire_iso8583::cups::io` reads and writes them) and answers each frame with the
//! [`Host`], in groups that share one ledger commit.
//!
//! What keeps it up:
//! - connections are async tasks, not threads, and capped ([`ServerConfig::max_connections`]):
//!   one over the cap is closed at once;
//! - a frame must arrive whole within [`ServerConfig::frame_timeout`] of its first byte (a
//!   client trickling a byte a second is cut), and the next one must start within
//!   [`ServerConfig::idle_timeout`];
//! - a frame's buffer grows as its bytes arrive, never to the length a client announces
//!   before sending it, and frames above [`ServerConfig::max_frame`] are refused;
//! - the host runs on one worker thread, or on a bounded pool of them
//!   ([`Server::spawn_pool`]: each with its own host over its own connection to a ledger
//!   that several hosts share, taking groups from the one queue in turn); a request whose
//!   handling panics is answered with nothing (its connection closes) and the worker goes on;
//! - every request is logged with `tracing` (timestamp, terminal, MTI, response, latency,
//!   masked card) from the worker: with a non-blocking writer (see [`log`]) a slow, full or
//!   closed log never stops it. The optional request callback runs on a thread of its own
//!   behind a bounded queue, so it cannot stop the worker either;
//! - request buffers, which may have held track 2 and PIN blocks, are wiped when answered.
//!
//! [`Server::stop`] stops accepting, lets each connection finish the request it is in,
//! commits the ledger and returns.

mod conn;
pub mod log;
pub mod metrics;
mod worker;

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::net::SocketAddr;
use core::time::Duration;
use std::net::TcpListener;
use std::sync::Mutex;
use std::thread::JoinHandle;

use tokio::sync::{Semaphore, mpsc, watch};

use crate::error::{Error, ErrorKind, Result};
use crate::host::{Answer, Host};
use crate::ledger::Ledger;

pub use metrics::{Histogram, Metrics};

/// How the server treats connections.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServerConfig {
    /// A connection that starts no frame for this long is closed.
    pub idle_timeout: Duration,
    /// A frame must arrive whole within this time of its first byte.
    pub frame_timeout: Duration,
    /// Writing a reply may take at most this long.
    pub write_timeout: Duration,
    /// At most this many connections at once; more are closed as they arrive.
    pub max_connections: usize,
    /// The largest frame accepted (length header included); a CUPS POS request is well
    /// under 1 KiB.
    pub max_frame: usize,
    /// Threads for the connections' I/O.
    pub io_threads: usize,
    /// How long [`Server::stop`] waits for connections to finish their request.
    pub shutdown_grace: Duration,
}

impl Default for ServerConfig {
    /// 120 s idle, 10 s per frame, 10 s to write, 20 000 connections, 4 KiB frames, 2 I/O
    /// threads, 5 s grace.
    fn default() -> Self {
        Self {
            idle_timeout: Duration::from_secs(120),
            frame_timeout: Duration::from_secs(10),
            write_timeout: Duration::from_secs(10),
            max_connections: 20_000,
            max_frame: 4096,
            io_threads: 2,
            shutdown_grace: Duration::from_secs(5),
        }
    }
}

/// What is called after each request: the answer, or the error that closed the connection.
/// It runs on a thread of its own behind a bounded queue: a slow callback loses lines
/// (counted), never answers.
pub type Log = dyn Fn(SocketAddr, core::result::Result<&Answer, &Error>) + Send + Sync;

/// A running host server. Stop it with [`Server::stop`] (dropping it stops it too).
pub struct Server {
    addr: SocketAddr,
    runtime: Option<tokio::runtime::Runtime>,
    shutdown: watch::Sender<bool>,
    accept: Option<tokio::task::JoinHandle<()>>,
    workers: Vec<JoinHandle<()>>,
    connections: Arc<Semaphore>,
    metrics: Arc<Metrics>,
    config: ServerConfig,
}

impl core::fmt::Debug for Server {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Server")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Server {
    /// Serves `host` on `listener` with its own tokio runtime ([`ServerConfig::io_threads`]
    /// threads) and one host worker thread, which takes every request waiting at that moment
    /// as a group whose ledger writes are committed together before any of its replies is
    /// released (group commit; each transaction still all or nothing). The host stays behind
    /// its mutex so that others can read the ledger meanwhile. The clock is China Standard
    /// Time, the random source the operating system's. Logs go to the `tracing` dispatcher
    /// in effect where `spawn` is called.
    ///
    /// # Errors
    /// [`ErrorKind::Io`] when the listener or the runtime cannot be set up.
    pub fn spawn<L: Ledger + Send + 'static>(
        listener: TcpListener,
        host: Arc<Mutex<Host<L>>>,
        config: ServerConfig,
        log: Arc<Log>,
    ) -> Result<Self> {
        Self::spawn_pool(listener, alloc::vec![host], config, log)
    }

    /// The most host workers (ledger connections) one server runs.
    pub const MAX_POOL: usize = 64;

    /// Serves as [`Server::spawn`] does, with one worker thread per host of `hosts` (the pool:
    /// at least one, at most [`Server::MAX_POOL`]), each taking the next group from the one
    /// queue when it is free. Each host must have its own ledger connection, and the ledger
    /// must be one that several hosts share safely ([`Ledger::shared`]: everything a request
    /// reads or changes is in the database, nothing cached in a host); a ledger that is not
    /// shared is refused with more than one host.
    ///
    /// # Errors
    /// [`ErrorKind::Config`] for a pool of none, more than [`Server::MAX_POOL`], or several
    /// hosts over a ledger that is not shared; [`ErrorKind::Io`] when the listener or the
    /// runtime cannot be set up.
    pub fn spawn_pool<L: Ledger + Send + 'static>(
        listener: TcpListener,
        hosts: Vec<Arc<Mutex<Host<L>>>>,
        config: ServerConfig,
        log: Arc<Log>,
    ) -> Result<Self> {
        if hosts.is_empty() || hosts.len() > Self::MAX_POOL {
            return Err(Error::new(ErrorKind::Config)
                .during("starting the host workers")
                .about(alloc::format!(
                    "a pool of {} hosts: 1 to {} are served",
                    hosts.len(),
                    Self::MAX_POOL
                )));
        }
        let unshared = hosts
            .iter()
            .any(|h| h.lock().map_or(true, |mut h| !h.ledger().shared()));
        if hosts.len() > 1 && unshared {
            return Err(Error::new(ErrorKind::Config)
                .during("starting the host workers")
                .about("several hosts need a ledger they share (each caches what it reads)"));
        }
        let addr = listener
            .local_addr()
            .map_err(|e| Error::from(e).during("reading the listener's address"))?;
        listener
            .set_nonblocking(true)
            .map_err(|e| Error::from(e).during("setting up the listener"))?;
        let dispatch = tracing::dispatcher::get_default(Clone::clone);
        let on_start = dispatch.clone();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(config.io_threads.max(1))
            .thread_name("cardwire-io")
            .enable_all()
            .on_thread_start(move || {
                // Held for the thread's life: the runtime's threads log where spawn was called.
                core::mem::forget(tracing::dispatcher::set_default(&on_start));
            })
            .build()
            .map_err(|e| Error::from(e).during("starting the server's runtime"))?;
        let metrics = Arc::new(Metrics::default());
        metrics.set_pool_size(hosts.len());
        // Room for every connection's one request in flight: a connection waits for its reply
        // before it reads the next frame.
        let (jobs, queue) = mpsc::channel::<worker::Job>(config.max_connections.max(1));
        let queue = Arc::new(Mutex::new(queue));
        let callback = Arc::new(log::Callback::spawn(log, Arc::clone(&metrics))?);
        let mut workers = Vec::with_capacity(hosts.len());
        for (i, host) in hosts.into_iter().enumerate() {
            let metrics = Arc::clone(&metrics);
            let dispatch = dispatch.clone();
            let (queue, callback) = (Arc::clone(&queue), Arc::clone(&callback));
            let worker = std::thread::Builder::new()
                .name(alloc::format!("cardwire-host-{i}"))
                .spawn(move || {
                    tracing::dispatcher::with_default(&dispatch, || {
                        worker::run(&queue, &host, &metrics, &callback);
                    });
                })
                .map_err(|e| Error::from(e).during("starting a host worker"))?;
            workers.push(worker);
        }
        let listener = {
            let _guard = runtime.enter();
            tokio::net::TcpListener::from_std(listener)
                .map_err(|e| Error::from(e).during("setting up the listener"))?
        };
        let (shutdown, stopping) = watch::channel(false);
        let connections = Arc::new(Semaphore::new(config.max_connections));
        let accept = runtime.spawn(conn::accept(
            listener,
            jobs,
            conn::Shared {
                config,
                metrics: Arc::clone(&metrics),
                connections: Arc::clone(&connections),
                stopping,
            },
        ));
        Ok(Self {
            addr,
            runtime: Some(runtime),
            shutdown,
            accept: Some(accept),
            workers,
            connections,
            metrics,
            config,
        })
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The server's counters (for `GET /metrics`).
    pub fn metrics(&self) -> Arc<Metrics> {
        Arc::clone(&self.metrics)
    }

    /// The server's tokio runtime, to run more on it (the metrics endpoint).
    ///
    /// # Errors
    /// [`ErrorKind::Io`] once the server is stopped.
    pub fn runtime(&self) -> Result<tokio::runtime::Handle> {
        self.runtime
            .as_ref()
            .map(|r| r.handle().clone())
            .ok_or(Error::new(ErrorKind::Io).during("reaching a stopped server"))
    }

    /// Stops accepting connections, lets every connection finish the request it is in (up to
    /// [`ServerConfig::shutdown_grace`]), then ends the worker after its last group commit.
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        let _ = self.shutdown.send(true);
        let Some(runtime) = self.runtime.take() else {
            return;
        };
        let accept = self.accept.take();
        let connections = Arc::clone(&self.connections);
        let all = u32::try_from(self.config.max_connections).unwrap_or(u32::MAX);
        let grace = self.config.shutdown_grace;
        runtime.block_on(async move {
            if let Some(a) = accept {
                let _ = a.await;
            }
            // Every connection holds a permit until it ends: all permits back, all ended.
            let _ = tokio::time::timeout(grace, connections.acquire_many(all)).await;
        });
        // Connections still open after the grace period are dropped with the runtime; the
        // job queue's senders go with them and each worker ends after its last group.
        runtime.shutdown_timeout(Duration::from_secs(1));
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.halt();
    }
}
