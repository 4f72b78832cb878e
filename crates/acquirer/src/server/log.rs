//! Logging that never stops the host: a `tracing` subscriber over a non-blocking, lossy
//! writer (its own thread drains a bounded queue; when the output is slow, full or closed,
//! lines are dropped, never waited for), and the request callback on a thread of its own.

use alloc::boxed::Box;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::net::SocketAddr;
use core::panic::AssertUnwindSafe;
use core::sync::atomic::{AtomicUsize, Ordering};
use std::io::Write;
use std::panic::catch_unwind;
use std::sync::mpsc;

use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};

use super::Log;
use super::metrics::Metrics;
use crate::error::{Error, Result};
use crate::host::Answer;

/// Lines the log writer's queue holds before it drops new ones.
const LOG_QUEUE: usize = 16_384;

/// A `tracing` dispatcher writing to `out` through a non-blocking, lossy queue, as JSON
/// lines (`json`) or text; each line has its timestamp. Keep the guard while logging: its
/// drop flushes what is queued.
pub fn dispatcher<W: Write + Send + 'static>(
    out: W,
    json: bool,
) -> (tracing::Dispatch, WorkerGuard) {
    dispatcher_with_queue(out, json, LOG_QUEUE)
}

/// [`dispatcher`] with a queue of `lines` lines.
pub fn dispatcher_with_queue<W: Write + Send + 'static>(
    out: W,
    json: bool,
    lines: usize,
) -> (tracing::Dispatch, WorkerGuard) {
    let (writer, guard) = NonBlockingBuilder::default()
        .lossy(true)
        .buffered_lines_limit(lines)
        .thread_name("cardwire-log")
        .finish(out);
    let builder = tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_target(false);
    let dispatch = if json {
        tracing::Dispatch::new(builder.json().flatten_event(true).finish())
    } else {
        tracing::Dispatch::new(builder.finish())
    };
    (dispatch, guard)
}

/// One request's line for the callback: the peer and what the host did.
pub(super) type Line = (SocketAddr, core::result::Result<Answer, Error>);

/// The request callback of [`super::Server::spawn`], on its own thread behind a bounded
/// queue: a callback that blocks or panics loses lines, never answers. The worker hands over
/// a group's lines at once, so that the callback's thread is woken once per group, not once
/// per request.
pub(super) struct Callback {
    queue: mpsc::Sender<Vec<Line>>,
    /// Lines handed over and not yet taken by the callback's thread.
    queued: Arc<AtomicUsize>,
    metrics: Arc<Metrics>,
}

/// Callback lines queued before new ones are dropped.
const CALLBACK_QUEUE: usize = 4096;

impl Callback {
    pub(super) fn spawn(log: Arc<Log>, metrics: Arc<Metrics>) -> Result<Self> {
        let (queue, groups) = mpsc::channel::<Vec<Line>>();
        let queued = Arc::new(AtomicUsize::new(0));
        let taken = Arc::clone(&queued);
        let run: Box<dyn FnOnce() + Send> = Box::new(move || {
            while let Ok(lines) = groups.recv() {
                taken.fetch_sub(lines.len(), Ordering::Relaxed);
                for (peer, outcome) in lines {
                    // A panicking callback loses its line, not the thread.
                    let _ = catch_unwind(AssertUnwindSafe(|| log(peer, outcome.as_ref())));
                }
            }
        });
        std::thread::Builder::new()
            .name("cardwire-callback".into())
            .spawn(run)
            .map_err(|e| Error::from(e).during("starting the request callback"))?;
        Ok(Self {
            queue,
            queued,
            metrics,
        })
    }

    /// Hands a group's lines to the callback's thread; when the queue holds
    /// [`CALLBACK_QUEUE`] lines already, or the thread is gone, they are dropped (counted).
    pub(super) fn send(&self, lines: Vec<Line>) {
        let n = lines.len();
        if n == 0 {
            return;
        }
        let before = self.queued.fetch_add(n, Ordering::Relaxed);
        let dropped = before.saturating_add(n) > CALLBACK_QUEUE || self.queue.send(lines).is_err();
        if dropped {
            self.queued.fetch_sub(n, Ordering::Relaxed);
            for _ in 0..n {
                self.metrics.dropped_log_line();
            }
        }
    }
}
