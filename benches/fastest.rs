//! The fastest batch: a time per operation that the machine's other work does not inflate.
//!
//! Criterion's figures are medians of samples of many milliseconds; on a shared machine each
//! sample spans several moments when another process holds the core, so they move with the
//! load. A batch of 100 operations lasts a few microseconds and often runs undisturbed: the
//! fastest of many batches is the operation's cost on an idle core. Benches print it, for
//! cardwire and its peer measured the same way, when `BENCH_FASTEST=N` (the number of
//! batches) is set; see BENCHMARKS.md.

use std::hint::black_box;
use std::time::Instant;

/// Operations per batch.
const BATCH: u32 = 100;

/// The number of batches asked for with `BENCH_FASTEST`, if any.
pub fn batches() -> Option<usize> {
    std::env::var("BENCH_FASTEST").ok()?.parse().ok()
}

/// The fastest of `batches` batches of [`BATCH`] runs of `f`, in nanoseconds per run.
pub fn fastest(batches: usize, mut f: impl FnMut() -> usize) -> f64 {
    let mut best = f64::MAX;
    for _ in 0..batches {
        let start = Instant::now();
        let mut acc = 0usize;
        for _ in 0..BATCH {
            acc ^= f();
        }
        let ns = start.elapsed().as_secs_f64() * 1e9 / f64::from(BATCH);
        black_box(acc);
        best = best.min(ns);
    }
    best
}

/// Prints each operation's fastest batch and, for pairs, the ratio cardwire ÷ peer.
pub fn report(rows: &[(&str, f64)], pairs: &[(usize, usize)]) {
    for (name, ns) in rows {
        println!("{name}: {ns:.1} ns");
    }
    for &(ours, peer) in pairs {
        let (a, x) = rows[ours];
        let (b, y) = rows[peer];
        println!("{a} ÷ {b}: {:.3}", x / y);
    }
}
