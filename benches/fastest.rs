//! The fastest batch: a time per operation that the machine's other work does not inflate.
//!
//! Criterion's figures are medians of samples of many milliseconds; on a shared machine each
//! sample spans several moments when another process holds the core, so they move with the
//! load. A batch of 100 operations lasts a few microseconds and often runs undisturbed: the
//! fastest of many batches is the operation's cost on an idle core. Benches print it, for
//! cardwire and its peer measured the same way, when `BENCH_FASTEST=N` (the number of
//! batches) is set, with the median batch beside it; see BENCHMARKS.md.

use std::hint::black_box;
use std::time::Instant;

/// Operations per batch.
const BATCH: u32 = 100;

/// The number of batches asked for with `BENCH_FASTEST`, if any.
pub fn batches() -> Option<usize> {
    std::env::var("BENCH_FASTEST").ok()?.parse().ok()
}

/// The batches of one operation, in nanoseconds per run.
#[derive(Clone, Copy, Debug)]
pub struct Timing {
    /// The fastest batch: the cost on an idle core with warm caches.
    pub fastest: f64,
    /// The median batch: what a typical moment of the same process gives, to compare with
    /// criterion's median of its (much longer) samples.
    pub median: f64,
}

/// `batches` batches of [`BATCH`] runs of `f`. Each output goes through `black_box`, as in
/// criterion's `Bencher::iter`, so that a batch and a criterion sample run the same loop.
pub fn fastest<O>(batches: usize, mut f: impl FnMut() -> O) -> Timing {
    let mut times = Vec::with_capacity(batches.max(1));
    for _ in 0..batches.max(1) {
        let start = Instant::now();
        for _ in 0..BATCH {
            black_box(f());
        }
        let ns = start.elapsed().as_secs_f64() * 1e9 / f64::from(BATCH);
        times.push(ns);
    }
    times.sort_by(f64::total_cmp);
    Timing {
        fastest: times[0],
        median: times[times.len() / 2],
    }
}

/// Prints each operation's fastest and median batch and, for pairs, the ratios cardwire ÷
/// peer of both.
pub fn report(rows: &[(&str, Timing)], pairs: &[(usize, usize)]) {
    for (name, t) in rows {
        println!(
            "{name}: {:.1} ns (median batch {:.1} ns)",
            t.fastest, t.median
        );
    }
    for &(ours, peer) in pairs {
        let (a, x) = rows[ours];
        let (b, y) = rows[peer];
        println!(
            "{a} ÷ {b}: {:.3} (median batches {:.3})",
            x.fastest / y.fastest,
            x.median / y.median
        );
    }
}

/// The number of batches per stack shift asked for with `BENCH_STACK_SHIFTS`, if any.
pub fn shift_batches() -> Option<usize> {
    std::env::var("BENCH_STACK_SHIFTS").ok()?.parse().ok()
}

/// The fastest of `batches` batches of `f` with the stack shifted as criterion 0.8 shifts it
/// for sample `i` of 100 (`alloca` of `i` bytes before the routine runs), for each `i`:
/// criterion's median is the median over these placements.
pub fn by_stack_shift<O>(batches: usize, mut f: impl FnMut() -> O) -> Vec<f64> {
    (0..100)
        .map(|i| alloca::with_alloca(i, |_| fastest(batches, &mut f).fastest))
        .collect()
}

/// Prints, per operation, the fastest batch over criterion's 100 stack shifts: the least,
/// the median and the most, and which shifts were slow (over 1.25 × the least).
pub fn report_shifts(rows: &[(&str, Vec<f64>)]) {
    for (name, times) in rows {
        let mut sorted = times.clone();
        sorted.sort_by(f64::total_cmp);
        let least = sorted[0];
        let slow: Vec<usize> = (0..times.len())
            .filter(|&i| times[i] > 1.25 * least)
            .collect();
        println!(
            "{name}: least {least:.1} ns, median {:.1} ns, most {:.1} ns over 100 shifts; slow at {} shifts: {slow:?}",
            sorted[sorted.len() / 2],
            sorted[sorted.len() - 1],
            slow.len(),
        );
        if std::env::var_os("BENCH_STACK_LIST").is_some() {
            let list: Vec<String> = times.iter().map(|t| format!("{t:.0}")).collect();
            println!("  per shift: {}", list.join(" "));
        }
    }
}
