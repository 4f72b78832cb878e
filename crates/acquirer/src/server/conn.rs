//! The accept loop and one terminal connection: frames read under deadlines into buffers
//! that grow as bytes arrive, handed to the host worker, replies written back.

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::net::SocketAddr;
use core::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc, oneshot, watch};
use tokio::time::{Instant, timeout_at};
use zeroize::Zeroize;

use super::ServerConfig;
use super::metrics::Metrics;
use super::worker::Job;

/// What every connection task shares.
#[derive(Clone)]
pub(super) struct Shared {
    pub config: ServerConfig,
    pub metrics: Arc<Metrics>,
    pub connections: Arc<Semaphore>,
    pub stopping: watch::Receiver<bool>,
}

/// The largest read into a frame's buffer at once: the buffer grows by what arrives.
const CHUNK: usize = 512;

/// Accepts connections until the server stops; one over the cap is closed at once.
pub(super) async fn accept(listener: TcpListener, jobs: mpsc::Sender<Job>, shared: Shared) {
    let mut stopping = shared.stopping.clone();
    loop {
        let accepted = tokio::select! {
            _ = stopping.wait_for(|s| *s) => return,
            a = listener.accept() => a,
        };
        let (stream, peer) = match accepted {
            Ok(c) => c,
            Err(e) => {
                // Out of file descriptors, say: wait a little rather than spin, never stop.
                tracing::warn!(error = %e, "accepting a connection failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(permit) = Arc::clone(&shared.connections).try_acquire_owned() else {
            shared.metrics.refused();
            tracing::warn!(%peer, "connection refused: at the connection cap");
            drop(stream);
            continue;
        };
        let jobs = jobs.clone();
        let shared = shared.clone();
        tokio::spawn(async move {
            shared.metrics.connection(true);
            serve(stream, peer, &jobs, &shared).await;
            shared.metrics.connection(false);
            drop(permit);
        });
    }
}

/// Why reading a frame stopped.
enum Read {
    /// A whole frame is in the buffer.
    Frame,
    /// The peer closed between frames, or the server is stopping.
    Closed,
    /// Nothing started within the idle timeout.
    Idle,
    /// A frame started but did not arrive whole within the frame timeout.
    Deadline,
    /// A length over the limit, a broken connection.
    Refused,
}

/// Reads, answers and writes the frames of one connection until it closes.
async fn serve(mut stream: TcpStream, peer: SocketAddr, jobs: &mpsc::Sender<Job>, shared: &Shared) {
    let _ = stream.set_nodelay(true);
    let mut stopping = shared.stopping.clone();
    loop {
        let mut frame = Vec::new();
        let read = tokio::select! {
            r = read_frame(&mut stream, &mut frame, &shared.config) => r,
            _ = stopping.wait_for(|s| *s) => Read::Closed,
        };
        match read {
            Read::Frame => {}
            Read::Deadline => {
                shared.metrics.frame_deadline();
                tracing::warn!(%peer, "connection cut: frame not whole within the frame timeout");
                frame.zeroize();
                return;
            }
            Read::Idle | Read::Closed | Read::Refused => {
                frame.zeroize();
                return;
            }
        }
        let (reply, answer) = oneshot::channel();
        let job = Job {
            frame,
            peer,
            received: std::time::Instant::now(),
            reply,
        };
        if jobs.send(job).await.is_err() {
            return;
        }
        // Once handed over, the request is answered even while the server stops.
        let Ok(Some(mut bytes)) = answer.await else {
            return;
        };
        let written =
            tokio::time::timeout(shared.config.write_timeout, stream.write_all(&bytes)).await;
        bytes.zeroize();
        if !matches!(written, Ok(Ok(()))) {
            return;
        }
    }
}

/// Reads one frame (2-byte big-endian length, then the body) into `buf`: its start within
/// the idle timeout, all of it within the frame timeout of its first byte.
async fn read_frame(stream: &mut TcpStream, buf: &mut Vec<u8>, config: &ServerConfig) -> Read {
    let mut first = [0u8; 1];
    match tokio::time::timeout(config.idle_timeout, stream.read(&mut first)).await {
        Err(_) => return Read::Idle,
        Ok(Ok(0)) => return Read::Closed,
        Ok(Ok(_)) => {}
        Ok(Err(_)) => return Read::Refused,
    }
    let deadline = Instant::now() + config.frame_timeout;
    let mut second = [0u8; 1];
    match timeout_at(deadline, stream.read_exact(&mut second)).await {
        Err(_) => return Read::Deadline,
        Ok(Err(_)) => return Read::Refused,
        Ok(Ok(_)) => {}
    }
    let len = [first[0], second[0]];
    let body = usize::from(u16::from_be_bytes(len));
    if body + 2 > config.max_frame {
        return Read::Refused;
    }
    buf.extend_from_slice(&len);
    let total = body + 2;
    while buf.len() < total {
        let want = (total - buf.len()).min(CHUNK);
        buf.reserve(want);
        let mut limited = (&mut *stream).take(u64::try_from(want).unwrap_or(0));
        match timeout_at(deadline, limited.read_buf(buf)).await {
            Err(_) => return Read::Deadline,
            Ok(Ok(0)) | Ok(Err(_)) => return Read::Refused,
            Ok(Ok(_)) => {}
        }
    }
    Read::Frame
}
