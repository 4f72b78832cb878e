//! The server's counters, rendered as Prometheus text for `GET /metrics`.
//!
//! Plain atomics (and one small map for the request counts by MTI and response code, touched
//! once per request by the host worker): recording never waits on a scrape.

use alloc::collections::BTreeMap;
use alloc::string::String;
use core::fmt::Write as _;
use core::sync::atomic::{AtomicU64, Ordering};
use core::time::Duration;
use std::sync::Mutex;

/// Upper bounds of the latency and commit-time histograms, in seconds.
const BUCKETS: [f64; 12] = [
    0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
];

/// A Prometheus histogram of durations (the merchant platform keeps its page latencies in
/// these too).
#[derive(Debug, Default)]
pub struct Histogram {
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl Histogram {
    /// Counts one duration.
    pub fn record(&self, d: Duration) {
        let secs = d.as_secs_f64();
        for (b, bound) in self.buckets.iter().zip(BUCKETS) {
            if secs <= bound {
                b.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        self.sum_micros.fetch_add(micros, Ordering::Relaxed);
    }

    /// Writes the histogram `name` with its `# HELP` and `# TYPE` lines.
    pub fn render(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        self.render_series(out, name, "");
    }

    /// Writes the bucket, sum and count lines of `name` with `labels` (`route="/x"`, or
    /// empty) before each `le`: one series of a histogram whose `# HELP` and `# TYPE` are
    /// written once.
    pub fn render_series(&self, out: &mut String, name: &str, labels: &str) {
        let sep = if labels.is_empty() { "" } else { "," };
        for (b, bound) in self.buckets.iter().zip(BUCKETS) {
            let _ = writeln!(
                out,
                "{name}_bucket{{{labels}{sep}le=\"{bound}\"}} {}",
                b.load(Ordering::Relaxed)
            );
        }
        let count = self.count.load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {count}");
        // Micro-seconds to seconds for display only; precision loss is irrelevant here.
        #[allow(clippy::cast_precision_loss)]
        let sum = self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let braces = if labels.is_empty() {
            String::new()
        } else {
            alloc::format!("{{{labels}}}")
        };
        let _ = writeln!(
            out,
            "{name}_sum{braces} {sum}\n{name}_count{braces} {count}"
        );
    }
}

/// What the server counts.
#[derive(Debug, Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(u16, [u8; 2]), u64>>,
    latency: Histogram,
    commit: Histogram,
    open_connections: AtomicU64,
    refused_connections: AtomicU64,
    frame_deadline_cuts: AtomicU64,
    mac_failures: AtomicU64,
    panics: AtomicU64,
    failed_requests: AtomicU64,
    dropped_log_lines: AtomicU64,
    pool_size: AtomicU64,
    connections_in_use: AtomicU64,
}

impl Metrics {
    /// A request answered with `mti` and `response` (`None`: closed without a reply) in
    /// `latency` (from its last byte read to its reply ready).
    pub fn request(&self, mti: u16, response: Option<[u8; 2]>, latency: Duration) {
        let code = response.unwrap_or(*b"--");
        if code == *b"A0" {
            self.mac_failures.fetch_add(1, Ordering::Relaxed);
        }
        if let Ok(mut m) = self.requests.lock() {
            *m.entry((mti, code)).or_default() += 1;
        }
        self.latency.record(latency);
    }

    /// A request the host could not answer (ledger failure, malformed frame).
    pub fn failed(&self) {
        self.failed_requests.fetch_add(1, Ordering::Relaxed);
    }

    /// A request whose handling panicked (isolated: the server goes on).
    pub fn panicked(&self) {
        self.panics.fetch_add(1, Ordering::Relaxed);
    }

    /// A group commit of the ledger took `d`.
    pub fn commit(&self, d: Duration) {
        self.commit.record(d);
    }

    /// A connection opened (`true`) or closed.
    pub fn connection(&self, opened: bool) {
        if opened {
            self.open_connections.fetch_add(1, Ordering::Relaxed);
        } else {
            self.open_connections.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// A connection refused at the cap.
    pub fn refused(&self) {
        self.refused_connections.fetch_add(1, Ordering::Relaxed);
    }

    /// A connection cut because a frame did not arrive whole in time.
    pub fn frame_deadline(&self) {
        self.frame_deadline_cuts.fetch_add(1, Ordering::Relaxed);
    }

    /// A request-log callback line dropped because the callback fell behind.
    pub fn dropped_log_line(&self) {
        self.dropped_log_lines.fetch_add(1, Ordering::Relaxed);
    }

    /// The ledger connections the server has: one per host worker.
    pub fn set_pool_size(&self, size: usize) {
        self.pool_size
            .store(u64::try_from(size).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    /// A host worker took a group to answer on its ledger connection (`true`), or is done
    /// with it.
    pub fn connection_in_use(&self, taken: bool) {
        if taken {
            self.connections_in_use.fetch_add(1, Ordering::Relaxed);
        } else {
            self.connections_in_use.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// Ledger connections answering a group now.
    pub fn connections_in_use(&self) -> u64 {
        self.connections_in_use.load(Ordering::Relaxed)
    }

    /// Ledger connections (host workers) of the server.
    pub fn pool_size(&self) -> u64 {
        self.pool_size.load(Ordering::Relaxed)
    }

    /// Connections open now.
    pub fn open_connections(&self) -> u64 {
        self.open_connections.load(Ordering::Relaxed)
    }

    /// Connections refused at the cap so far.
    pub fn refused_connections(&self) -> u64 {
        self.refused_connections.load(Ordering::Relaxed)
    }

    /// Connections cut at the frame deadline so far.
    pub fn frame_deadline_cuts(&self) -> u64 {
        self.frame_deadline_cuts.load(Ordering::Relaxed)
    }

    /// Requests answered `A0` so far.
    pub fn mac_failures(&self) -> u64 {
        self.mac_failures.load(Ordering::Relaxed)
    }

    /// Requests whose handling panicked so far.
    pub fn panics(&self) -> u64 {
        self.panics.load(Ordering::Relaxed)
    }

    /// The Prometheus text exposition of everything counted.
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str(
            "# HELP cardwire_requests_total Requests answered, by MTI and response code.\n\
             # TYPE cardwire_requests_total counter\n",
        );
        if let Ok(m) = self.requests.lock() {
            for ((mti, code), n) in m.iter() {
                let code: String = code.iter().map(|&c| char::from(c)).collect();
                let _ = writeln!(
                    out,
                    "cardwire_requests_total{{mti=\"{mti:04}\",response=\"{code}\"}} {n}"
                );
            }
        }
        self.latency.render(
            &mut out,
            "cardwire_request_seconds",
            "Time from a request's last byte to its reply, including the ledger commit.",
        );
        self.commit.render(
            &mut out,
            "cardwire_ledger_commit_seconds",
            "Time of one ledger group commit.",
        );
        let gauges: [(&str, &str, &str, &AtomicU64); 9] = [
            (
                "cardwire_ledger_pool_size",
                "gauge",
                "Ledger connections of the server, one per host worker.",
                &self.pool_size,
            ),
            (
                "cardwire_ledger_connections_in_use",
                "gauge",
                "Ledger connections answering a group of requests now.",
                &self.connections_in_use,
            ),
            (
                "cardwire_open_connections",
                "gauge",
                "Terminal connections open.",
                &self.open_connections,
            ),
            (
                "cardwire_refused_connections_total",
                "counter",
                "Connections refused at the connection cap.",
                &self.refused_connections,
            ),
            (
                "cardwire_frame_deadline_cuts_total",
                "counter",
                "Connections cut because a frame did not arrive whole in time.",
                &self.frame_deadline_cuts,
            ),
            (
                "cardwire_mac_failures_total",
                "counter",
                "Requests answered A0 (MAC verification failed).",
                &self.mac_failures,
            ),
            (
                "cardwire_request_panics_total",
                "counter",
                "Requests whose handling panicked (isolated).",
                &self.panics,
            ),
            (
                "cardwire_failed_requests_total",
                "counter",
                "Requests closed without a reply (ledger failure, malformed frame).",
                &self.failed_requests,
            ),
            (
                "cardwire_dropped_log_lines_total",
                "counter",
                "Request-log callback lines dropped because the callback fell behind.",
                &self.dropped_log_lines,
            ),
        ];
        for (name, kind, help, v) in gauges {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {}",
                v.load(Ordering::Relaxed)
            );
        }
        out
    }
}
