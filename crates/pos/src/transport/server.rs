//! The host server: accepts terminals' connections and answers each frame with the host.

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::net::SocketAddr;
use core::sync::atomic::{AtomicBool, Ordering};
use core::time::Duration;
use std::net::{TcpListener, TcpStream};
use std::sync::Mutex;
use std::thread::{self, JoinHandle};

use super::{read_frame, write_frame};
use crate::error::{Error, ErrorKind, Result};
use crate::host::{Answer, Host, OsRng};
use crate::ledger::{Ledger, LocalTime};

/// How the server treats connections.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServerConfig {
    /// A connection that sends nothing for this long is closed.
    pub idle_timeout: Duration,
    /// Writing a reply may take at most this long.
    pub write_timeout: Duration,
}

impl Default for ServerConfig {
    /// 120 s idle, 10 s to write.
    fn default() -> Self {
        Self {
            idle_timeout: Duration::from_secs(120),
            write_timeout: Duration::from_secs(10),
        }
    }
}

/// What is called after each request: the answer, or the error that closed the connection.
pub type Log = dyn Fn(SocketAddr, core::result::Result<&Answer, &Error>) + Send + Sync;

/// A running host server. Stop it with [`Server::stop`] (dropping it stops it too).
pub struct Server {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
}

impl core::fmt::Debug for Server {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Server")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Server {
    /// Serves `host` on `listener` from a new thread; each terminal connection gets its own
    /// thread, the host is shared behind its mutex. The clock is China Standard Time, the
    /// random source the operating system's.
    ///
    /// # Errors
    /// [`ErrorKind::Transport`] when the listener's address cannot be read.
    pub fn spawn<L: Ledger + Send + 'static>(
        listener: TcpListener,
        host: Arc<Mutex<Host<L>>>,
        config: ServerConfig,
        log: Arc<Log>,
    ) -> Result<Self> {
        let addr = listener
            .local_addr()
            .map_err(|_| Error::new(ErrorKind::Transport))?;
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let accept = thread::spawn(move || {
            for conn in listener.incoming() {
                if flag.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = conn else { continue };
                let host = Arc::clone(&host);
                let log = Arc::clone(&log);
                thread::spawn(move || serve(stream, &host, config, &*log));
            }
        });
        Ok(Self {
            addr,
            stop,
            accept: Some(accept),
        })
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting connections and waits for the accept loop to end (connections already
    /// open finish their current request and close when idle).
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop with a connection of our own.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(h) = self.accept.take() {
            let _ = h.join();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.accept.is_some() {
            self.halt();
        }
    }
}

/// Answers the frames of one connection until it closes, idles out or sends what the host
/// refuses.
fn serve<L: Ledger>(mut stream: TcpStream, host: &Mutex<Host<L>>, config: ServerConfig, log: &Log) {
    let Ok(peer) = stream.peer_addr() else { return };
    let setup = stream
        .set_read_timeout(Some(config.idle_timeout))
        .and_then(|()| stream.set_write_timeout(Some(config.write_timeout)))
        .and_then(|()| stream.set_nodelay(true));
    if setup.is_err() {
        return;
    }
    let mut request = Vec::with_capacity(512);
    let mut reply = [0u8; 1024];
    loop {
        match read_frame(&mut stream, &mut request) {
            Ok(true) => {}
            Ok(false) => return,
            Err(e) => {
                log(peer, Err(&e));
                return;
            }
        }
        let answered = match host.lock() {
            Ok(mut h) => h.handle(&request, LocalTime::now_china(), &mut OsRng, &mut reply),
            Err(_) => Err(Error::new(ErrorKind::Ledger)),
        };
        match answered {
            Ok(a) => {
                log(peer, Ok(&a));
                let sent = reply
                    .get(..a.len)
                    .ok_or(Error::new(ErrorKind::BufferTooSmall))
                    .and_then(|r| write_frame(&mut stream, r));
                if let Err(e) = sent {
                    log(peer, Err(&e));
                    return;
                }
            }
            Err(e) => {
                log(peer, Err(&e));
                return;
            }
        }
    }
}
