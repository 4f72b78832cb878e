//! Any message encrypts to a fixed SM2 key and decrypts back to itself; any message signed
//! with that key verifies, and not under another identifier.
#![no_main]

use cardwire_crypto::sm::sm2::{Ciphertext, DEFAULT_ID, PrivateKey, ciphertext_len};
use libfuzzer_sys::fuzz_target;

/// A deterministic source (the fuzzer explores the messages, not the nonces).
struct Lcg(u64);

impl rand_core::TryRng for Lcg {
    type Error = core::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        Ok(0)
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        Ok(0)
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        for b in dst {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            *b = (self.0 >> 56) as u8;
        }
        Ok(())
    }
}
impl rand_core::TryCryptoRng for Lcg {}

fuzz_target!(|data: &[u8]| {
    let key = PrivateKey::from_bytes(&[0x33; 32]).expect("key in range");
    let mut rng = Lcg(data.len() as u64);
    let sig = key.sign(&mut rng, DEFAULT_ID, data).expect("sign");
    key.public_key()
        .verify(DEFAULT_ID, data, &sig)
        .expect("own signature verifies");
    assert!(key.public_key().verify(b"other", data, &sig).is_err());
    if data.is_empty() {
        return;
    }
    let mut ct = vec![0u8; ciphertext_len(data.len())];
    let n = key
        .public_key()
        .encrypt(&mut rng, data, &mut ct)
        .expect("encrypt");
    let parsed = Ciphertext::parse(&ct[..n]).expect("own ciphertext parses");
    let mut out = vec![0u8; data.len()];
    assert_eq!(key.decrypt(&parsed, &mut out), Ok(data.len()));
    assert_eq!(out, data);
});
