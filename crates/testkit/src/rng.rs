//! A deterministic random source for reproducible keys.

/// A deterministic "random" source (a counter through SplitMix64) so that sign-in keys and
/// the MACs under them are reproducible in seeds and fuzzing. Never a source of secrets.
#[derive(Clone, Debug)]
pub struct CounterRng(pub u64);

impl rand_core::TryRng for CounterRng {
    type Error = core::convert::Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        // The high half of a u64 always fits a u32: the fallback is unreachable.
        Ok(u32::try_from(self.try_next_u64()? >> 32).unwrap_or(0))
    }

    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Ok(z ^ (z >> 31))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        for chunk in dst.chunks_mut(8) {
            let v = self.try_next_u64()?.to_be_bytes();
            chunk.copy_from_slice(v.get(..chunk.len()).unwrap_or_default());
        }
        Ok(())
    }
}

impl rand_core::TryCryptoRng for CounterRng {}
