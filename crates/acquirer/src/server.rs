//! The host server over TCP: accepts terminals' connections (2-byte length frames, read and
//! written by `cardwire_iso8583::cups::io`) and answers each frame with the [`Host`], in
//! groups that share one ledger commit.

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::net::SocketAddr;
use core::sync::atomic::{AtomicBool, Ordering};
use core::time::Duration;
use std::net::{TcpListener, TcpStream};
use std::sync::{Mutex, mpsc};
use std::thread::{self, JoinHandle};

use cardwire_iso8583::cups::io::{read_frame, write_frame};
use cardwire_iso8583::time::DateTime;

use crate::OsRng;
use crate::error::{Error, ErrorKind, Result};
use crate::host::{Answer, Host};
use crate::ledger::Ledger;

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

/// What is called after each request: the answer, or the error that closed the connection
/// (called from the host worker thread).
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

/// One request on its way to the host worker, and where its reply goes.
struct Job {
    frame: Vec<u8>,
    peer: SocketAddr,
    reply: mpsc::Sender<Result<(Vec<u8>, Answer)>>,
}

/// The most requests answered in one group (one ledger commit).
const MAX_GROUP: usize = 64;

impl Server {
    /// Serves `host` on `listener`. Each terminal connection gets a thread that reads and
    /// writes its frames; one worker thread answers them with the host, taking every request
    /// waiting at that moment as a group whose ledger writes are committed together before
    /// any of its replies is released (group commit; each transaction still all or nothing).
    /// The host stays behind its mutex so that others can read the ledger meanwhile. The
    /// clock is China Standard Time, the random source the operating system's.
    ///
    /// # Errors
    /// [`ErrorKind::Io`] when the listener's address cannot be read.
    pub fn spawn<L: Ledger + Send + 'static>(
        listener: TcpListener,
        host: Arc<Mutex<Host<L>>>,
        config: ServerConfig,
        log: Arc<Log>,
    ) -> Result<Self> {
        let addr = listener
            .local_addr()
            .map_err(|e| Error::from(e).during("reading the listener's address"))?;
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let (jobs, queue) = mpsc::channel::<Job>();
        thread::spawn(move || work(&queue, &host, &*log));
        let accept = thread::spawn(move || {
            for conn in listener.incoming() {
                if flag.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = conn else { continue };
                let jobs = jobs.clone();
                thread::spawn(move || serve(stream, &jobs, config));
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

/// The host worker: answers requests in groups until every connection and the accept loop
/// are gone.
fn work<L: Ledger>(queue: &mpsc::Receiver<Job>, host: &Mutex<Host<L>>, log: &Log) {
    let mut group = Vec::with_capacity(MAX_GROUP);
    let mut reply = [0u8; 1024];
    while let Ok(first) = queue.recv() {
        group.push(first);
        while group.len() < MAX_GROUP {
            match queue.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        let mut answers = Vec::with_capacity(group.len());
        match host.lock() {
            Ok(mut h) => {
                let begun = h.ledger().begin_group();
                for job in &group {
                    let answer = begun.clone().and_then(|()| {
                        // A clock outside what the messages can carry answers nothing.
                        let now = DateTime::now(DateTime::CHINA)
                            .ok_or(Error::new(ErrorKind::Clock).during("reading the clock"))?;
                        let a = h.handle(&job.frame, now, &mut OsRng, &mut reply)?;
                        let bytes = reply
                            .get(..a.len)
                            .ok_or(Error::new(ErrorKind::BufferTooSmall))?;
                        Ok((bytes.to_vec(), a))
                    });
                    answers.push(answer);
                }
                if let Err(e) = h.ledger().commit_group() {
                    // Nothing of the group is kept: no reply may go out.
                    h.forget_sessions();
                    answers.fill(Err(e));
                }
            }
            // A worker that panicked holding the host: nothing is known about its ledger.
            Err(_) => answers.resize(
                group.len(),
                Err(Error::new(ErrorKind::Ledger).during("locking the host")),
            ),
        }
        for (job, answer) in group.drain(..).zip(answers) {
            log(job.peer, answer.as_ref().map(|(_, a)| a));
            let _ = job.reply.send(answer);
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

/// Reads the frames of one connection, has the worker answer them, and writes the replies,
/// until the connection closes, idles out or sends what the host refuses.
fn serve(mut stream: TcpStream, jobs: &mpsc::Sender<Job>, config: ServerConfig) {
    let Ok(peer) = stream.peer_addr() else { return };
    let setup = stream
        .set_read_timeout(Some(config.idle_timeout))
        .and_then(|()| stream.set_write_timeout(Some(config.write_timeout)))
        .and_then(|()| stream.set_nodelay(true));
    if setup.is_err() {
        return;
    }
    let (reply, answers) = mpsc::channel();
    let mut request = Vec::with_capacity(512);
    while let Ok(true) = read_frame(&mut stream, &mut request) {
        let job = Job {
            frame: core::mem::take(&mut request),
            peer,
            reply: reply.clone(),
        };
        if jobs.send(job).is_err() {
            return;
        }
        match answers.recv() {
            Ok(Ok((bytes, _))) => {
                if write_frame(&mut stream, &bytes).is_err() {
                    return;
                }
            }
            _ => return,
        }
    }
}
