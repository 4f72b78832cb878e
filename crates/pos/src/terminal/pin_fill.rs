//! The random fill of SM4 PIN blocks. ISO 9564-1 format 4 puts 8 random bytes after the PIN
//! field, and the terminal has no random source of its own (the caller passes time and
//! randomness): the caller seeds this generator once from the device's random source
//! ([`Terminal::seed_pin_fill`]), and each PIN block takes the next 8 bytes of SM4 in counter
//! mode under the seed — the construction of NIST SP 800-90A's CTR_DRBG without its
//! derivation function, with SM4 as the block cipher.

use cardwire_crypto::sm::Sm4Key;
use cardwire_crypto::sm::sm4::BLOCK_LEN;

use super::Terminal;
use crate::error::Result;

/// SM4 in counter mode under a caller's seed. The key is wiped on drop.
#[derive(Clone)]
pub(super) struct PinFill {
    key: Sm4Key,
    counter: u128,
}

impl PinFill {
    /// The next 8 bytes of fill.
    pub(super) fn next(&mut self) -> [u8; 8] {
        self.counter = self.counter.wrapping_add(1);
        let mut block: [u8; BLOCK_LEN] = self.counter.to_be_bytes();
        self.key.cipher().encrypt_block(&mut block);
        let [a, b, c, d, e, f, g, h, ..] = block;
        [a, b, c, d, e, f, g, h]
    }
}

impl<const J: usize> Terminal<J> {
    /// Seeds the random fill of SM4 PIN blocks (ISO 9564 format 4) with 16 bytes from the
    /// device's random source; a terminal of the SM4 profile needs it before its first PIN.
    /// Seeding again starts a new sequence.
    ///
    /// # Errors
    /// As [`Sm4Key::new`] (never for 16 bytes).
    pub fn seed_pin_fill(&mut self, seed: &[u8; 16]) -> Result<()> {
        self.pin_fill = Some(PinFill {
            key: Sm4Key::new(seed)?,
            counter: 0,
        });
        Ok(())
    }
}
