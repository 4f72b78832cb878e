//! The host workers: each answers requests in groups that share one ledger commit, each
//! request isolated (a panic answers nothing and the worker goes on), each logged. Several
//! workers (a pool, each with its own host and ledger connection) take their groups from
//! the one queue in turn.

use alloc::string::String;
use alloc::vec::Vec;
use core::net::SocketAddr;
use core::panic::AssertUnwindSafe;
use std::panic::catch_unwind;
use std::sync::Mutex;
use std::time::Instant;

use cardwire_emv::mask::{Masking, write_masked};
use cardwire_iso8583::frame::{FrameFormat, Progress};
use cardwire_iso8583::time::DateTime;
use cardwire_iso8583::{Message, specs};
use tokio::sync::{mpsc, oneshot};
use zeroize::Zeroize;

use super::log::Callback;
use super::metrics::Metrics;
use crate::OsRng;
use crate::error::{Error, ErrorKind, Result};
use crate::host::{Answer, Host};
use crate::ledger::Ledger;

/// One request on its way to the worker, and where its reply goes (`None`: close).
pub(super) struct Job {
    pub frame: Vec<u8>,
    pub peer: SocketAddr,
    pub received: Instant,
    pub reply: oneshot::Sender<Option<Vec<u8>>>,
}

/// The most requests answered in one group (one ledger commit).
const MAX_GROUP: usize = 64;

/// The next group: the first request to come and every one waiting behind it (at most
/// [`MAX_GROUP`]), taken while holding the queue so that workers take whole groups in turn.
/// Empty once every connection and the accept loop are gone.
fn next_group(queue: &Mutex<mpsc::Receiver<Job>>, group: &mut Vec<Job>) {
    // A worker that panicked holding the queue left it whole: its jobs are still in it.
    let mut queue = queue
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let Some(first) = queue.blocking_recv() else {
        return;
    };
    group.push(first);
    while group.len() < MAX_GROUP {
        match queue.try_recv() {
            Ok(job) => group.push(job),
            Err(_) => break,
        }
    }
}

/// Answers requests until every connection and the accept loop are gone.
pub(super) fn run<L: Ledger>(
    queue: &Mutex<mpsc::Receiver<Job>>,
    host: &Mutex<Host<L>>,
    metrics: &Metrics,
    log: &Callback,
) {
    let mut group = Vec::with_capacity(MAX_GROUP);
    let mut reply = [0u8; 1024];
    loop {
        next_group(queue, &mut group);
        if group.is_empty() {
            return;
        }
        metrics.connection_in_use(true);
        let mut answers: Vec<Result<(Vec<u8>, Answer)>> = Vec::with_capacity(group.len());
        match host.lock() {
            Ok(mut h) => {
                let begun = h.ledger().begin_group().and_then(|()| {
                    // A shared ledger is read for the sessions the group's requests need, in
                    // one read: the requests are here, so whatever a terminal was answered
                    // before them is committed. (Another ledger is read from its cache: no
                    // decoding for it.)
                    if !h.ledger().shared() {
                        return Ok(());
                    }
                    let ids = terminals(&group, &h);
                    h.ledger().read_ahead(&ids)
                });
                for job in &group {
                    let answer = begun
                        .clone()
                        .and_then(|()| answer(&mut h, &job.frame, &mut reply, metrics));
                    reply.zeroize();
                    answers.push(answer);
                }
                let started = Instant::now();
                let committed = h.ledger().commit_group();
                metrics.commit(started.elapsed());
                if let Err(e) = committed {
                    // Nothing of the group is kept: no reply may go out.
                    h.forget_sessions();
                    tracing::error!(error = %e, "ledger group commit failed: no reply sent");
                    answers.fill(Err(e));
                }
            }
            // A worker that panicked holding the host: nothing is known about its ledger.
            Err(_) => answers.resize(
                group.len(),
                Err(Error::new(ErrorKind::Ledger).during("locking the host")),
            ),
        }
        let mut lines = Vec::with_capacity(group.len());
        for (mut job, outcome) in group.drain(..).zip(answers) {
            let latency = job.received.elapsed();
            // The host masked the card of a request it answered; only a request it could not
            // answer is read again for it.
            let card = match &outcome {
                Ok((_, a)) => a.card.clone(),
                Err(_) => masked_card(&job.frame),
            };
            // The request may have held track 2 and a PIN block.
            job.frame.zeroize();
            let outcome = match outcome {
                Ok((bytes, a)) => {
                    let response = a.response.map(|r| r.code());
                    metrics.request(a.mti, response, latency);
                    tracing::info!(
                        peer = %job.peer,
                        terminal = %a.terminal_id,
                        mti = a.mti,
                        stan = a.stan,
                        response = response.map(|c| String::from_utf8_lossy(&c).into_owned()).unwrap_or_default(),
                        amount = a.amount,
                        latency_us = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX),
                        card = card.as_deref().unwrap_or(""),
                        "request answered"
                    );
                    // Counted before it is answered: whoever got the reply finds it in the
                    // metrics.
                    let _ = job.reply.send(Some(bytes));
                    Ok(a)
                }
                Err(e) => {
                    metrics.failed();
                    tracing::warn!(
                        peer = %job.peer,
                        error = %e,
                        card = card.as_deref().unwrap_or(""),
                        "request not answered: connection closed"
                    );
                    let _ = job.reply.send(None);
                    Err(e)
                }
            };
            lines.push((job.peer, outcome));
        }
        metrics.connection_in_use(false);
        // One hand-over per group: the callback's thread is woken once, not per request.
        log.send(lines);
    }
}

/// One request answered by the host, a panic in it caught and turned into an error.
fn answer<L: Ledger>(
    h: &mut Host<L>,
    frame: &[u8],
    reply: &mut [u8],
    metrics: &Metrics,
) -> Result<(Vec<u8>, Answer)> {
    // A clock outside what the messages can carry answers nothing.
    let now = DateTime::now(DateTime::CHINA)
        .ok_or(Error::new(ErrorKind::Clock).during("reading the clock"))?;
    let handled = catch_unwind(AssertUnwindSafe(|| h.handle(frame, now, &mut OsRng, reply)));
    let a = match handled {
        Ok(a) => a?,
        Err(_) => {
            metrics.panicked();
            tracing::error!("handling a request panicked: its connection is closed");
            // Whatever the request did to the cache is suspect; the ledger unit rolled back.
            h.forget_sessions();
            return Err(Error::new(ErrorKind::Internal).during("handling a request"));
        }
    };
    let bytes = reply
        .get(..a.len)
        .ok_or(Error::new(ErrorKind::BufferTooSmall))?;
    Ok((bytes.to_vec(), a))
}

/// The registered terminals (field 41) of the group's requests, each once.
fn terminals<'g, L: Ledger>(group: &'g [Job], h: &Host<L>) -> Vec<&'g str> {
    let mut ids: Vec<&str> = group
        .iter()
        .filter_map(|job| terminal_of(&job.frame))
        .filter(|id| h.registry().terminal(id).is_some())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// Field 41 of a request frame, read as the host reads it.
fn terminal_of(frame: &[u8]) -> Option<&str> {
    let Ok(Progress::Complete(f)) = FrameFormat::CUPS.read(frame) else {
        return None;
    };
    crate::host::terminal_id(f.message)
}

/// The request's card number (field 2, else track 2's), masked to first 6 / last 4.
fn masked_card(frame: &[u8]) -> Option<String> {
    let Ok(Progress::Complete(f)) = FrameFormat::CUPS.read(frame) else {
        return None;
    };
    let msg = Message::decode_partial(&specs::CUPS, f.message).message;
    let mut out = String::new();
    if let Some(pan) = msg.get(2) {
        write_masked(&mut out, pan.chars(), Masking::Pan).ok()?;
    } else {
        let track2 = msg.get(35)?;
        write_masked(
            &mut out,
            track2.chars().take_while(char::is_ascii_digit),
            Masking::Pan,
        )
        .ok()?;
    }
    Some(out)
}
