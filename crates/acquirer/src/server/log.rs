//! Logging that never stops the host: a `tracing` subscriber over a non-blocking, lossy
//! writer (its own thread drains a bounded queue; when the output is slow, full or closed,
//! lines are dropped, never waited for), and the request callback on a thread of its own.

use alloc::boxed::Box;
use alloc::sync::Arc;
use core::net::SocketAddr;
use core::panic::AssertUnwindSafe;
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

/// The request callback of [`super::Server::spawn`], on its own thread behind a bounded
/// queue: a callback that blocks or panics loses lines, never answers.
pub(super) struct Callback {
    queue: mpsc::SyncSender<(SocketAddr, core::result::Result<Answer, Error>)>,
    metrics: Arc<Metrics>,
}

/// Callback lines queued before new ones are dropped.
const CALLBACK_QUEUE: usize = 4096;

impl Callback {
    pub(super) fn spawn(log: Arc<Log>, metrics: Arc<Metrics>) -> Result<Self> {
        let (queue, lines) =
            mpsc::sync_channel::<(SocketAddr, core::result::Result<Answer, Error>)>(CALLBACK_QUEUE);
        let run: Box<dyn FnOnce() + Send> = Box::new(move || {
            while let Ok((peer, outcome)) = lines.recv() {
                // A panicking callback loses its line, not the thread.
                let _ = catch_unwind(AssertUnwindSafe(|| log(peer, outcome.as_ref())));
            }
        });
        std::thread::Builder::new()
            .name("cardwire-callback".into())
            .spawn(run)
            .map_err(|e| Error::from(e).during("starting the request callback"))?;
        Ok(Self { queue, metrics })
    }

    pub(super) fn send(&self, peer: SocketAddr, outcome: core::result::Result<Answer, Error>) {
        if self.queue.try_send((peer, outcome)).is_err() {
            self.metrics.dropped_log_line();
        }
    }
}
