//! The terminal-side key registers shared by TDES and AES DUKPT (X9.24-1:2009 A.2 "future
//! key registers", X9.24-3-2017 "intermediate derivation key registers").
//!
//! Register `i` holds the key for the counter `c | 1 << i`, derived from the key of the
//! current counter `c`. A transaction uses the register of the counter's lowest set bit,
//! then fills the registers below it from that key, erases it and moves the counter on.
//! The base key never enters the terminal, and each key is derived once.

use zeroize::Zeroize;

use super::next_counter;

/// `N` registers of keys `K`, for a counter of `N` bits with at most `MAX_ONES` one-bits.
pub(crate) struct Registers<K: Zeroize + Default, const N: usize, const MAX_ONES: u32> {
    keys: [K; N],
    /// Counter of the next transaction; `None` once exhausted.
    counter: Option<u64>,
}

impl<K: Zeroize + Default, const N: usize, const MAX_ONES: u32> Registers<K, N, MAX_ONES> {
    /// The counter's width in bits, `N` (at most 64, checked when the crate compiles).
    const WIDTH: u32 = {
        assert!(N <= 64);
        // `N <= 64`: the cast keeps every bit.
        #[allow(clippy::cast_possible_truncation)]
        let width = N as u32;
        width
    };

    /// Loads the initial key: every register gets the key for its single-bit counter.
    pub(crate) fn load(initial: &K, derive: impl Fn(&K, u64) -> K) -> Self {
        let mut keys: [K; N] = core::array::from_fn(|_| K::default());
        for (bit, slot) in keys.iter_mut().enumerate() {
            *slot = derive(initial, 1 << bit);
        }
        Self {
            keys,
            counter: Some(1),
        }
    }

    /// The counter and key of the next transaction, or `None` when exhausted.
    pub(crate) fn current(&self) -> Option<(u64, &K)> {
        let counter = self.counter?;
        let key = self
            .keys
            .get(usize::try_from(counter.trailing_zeros()).ok()?)?;
        Some((counter, key))
    }

    /// Retires the current key: derives the registers below it (unless the counter already
    /// has the most one-bits allowed), erases it and moves to the next counter.
    pub(crate) fn advance(&mut self, derive: impl Fn(&K, u64) -> K) {
        let Some(counter) = self.counter else { return };
        // The register of the counter's lowest set bit (a counter is never zero).
        let Some(lowest) = (0..N).find(|bit| counter >> bit & 1 == 1) else {
            self.counter = None;
            return;
        };
        if counter.count_ones() < MAX_ONES {
            let (below, rest) = self.keys.split_at_mut(lowest.min(N));
            if let Some(current) = rest.first() {
                for (bit, slot) in below.iter_mut().enumerate() {
                    *slot = derive(current, counter | 1 << bit);
                }
            }
        }
        if let Some(used) = self.keys.get_mut(lowest) {
            used.zeroize();
        }
        self.counter = next_counter(counter, Self::WIDTH, MAX_ONES);
    }
}

impl<K: Zeroize + Default, const N: usize, const M: u32> Drop for Registers<K, N, M> {
    fn drop(&mut self) {
        for key in &mut self.keys {
            key.zeroize();
        }
    }
}
