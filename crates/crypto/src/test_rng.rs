//! A predictable byte source for the unit tests of key generation and random PIN fill: each
//! byte is the previous plus `step` (wrapping), so keys drawn one after another differ.

use rand_core::{TryCryptoRng, TryRng};

/// Yields `start + step`, `start + 2·step`, … (wrapping).
pub(crate) struct Steps {
    pub(crate) last: u8,
    pub(crate) step: u8,
}

impl Steps {
    /// 1, 2, 3, …
    pub(crate) const fn counting() -> Self {
        Self { last: 0, step: 1 }
    }
}

impl TryRng for Steps {
    type Error = core::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        Ok(0)
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        Ok(0)
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        for b in dst {
            self.last = self.last.wrapping_add(self.step);
            *b = self.last;
        }
        Ok(())
    }
}

impl TryCryptoRng for Steps {}
