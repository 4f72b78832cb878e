//! PIN translation round trip: a PIN, a PAN and two zones (TDES formats 0-3 or AES format
//! 4) from the input; the block enciphered in the first zone translates into the second and
//! deciphers there to the same PIN. Any 8 or 16 bytes deciphered under a zone never panic.
#![no_main]

use cardwire_crypto::pin::{Pin, PinFormat};
use cardwire_crypto::translate::{self, PinZone};
use cardwire_crypto::{AesKey, TdesKey};
use libfuzzer_sys::fuzz_target;

struct Bytes(u64);
impl rand_core::TryRng for Bytes {
    type Error = core::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        Ok(self.try_next_u64()? as u32)
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        Ok(self.0)
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        for b in dst {
            *b = (self.try_next_u64()? >> 56) as u8;
        }
        Ok(())
    }
}
impl rand_core::TryCryptoRng for Bytes {}

fn zone<'a>(n: u8, tdes: &'a TdesKey, aes: &'a AesKey) -> PinZone<'a> {
    match n % 5 {
        4 => PinZone::aes(aes),
        f => PinZone::tdes(tdes, PinFormat::try_from(f).unwrap()).unwrap(),
    }
}

fuzz_target!(|data: &[u8]| {
    let [a, b, pin_len, pan_len, seed, rest @ ..] = data else {
        return;
    };
    let tdes = TdesKey::new(&[0x13; 16]).unwrap();
    let tdes3 = TdesKey::new(&[0x57; 24]).unwrap();
    let aes = AesKey::new(&[0x24; 16]).unwrap();
    let aes256 = AesKey::new(&[0x68; 32]).unwrap();
    let digits: String = rest.iter().map(|d| char::from(b'0' + d % 10)).collect();
    let pin_len = 4 + usize::from(*pin_len) % 9;
    let pan_len = 12 + usize::from(*pan_len) % 8;
    if digits.len() < pin_len + pan_len {
        return;
    }
    let pin = Pin::new(&digits[..pin_len]).unwrap();
    let pan = Some(&digits[pin_len..pin_len + pan_len]);
    let from = zone(*a, &tdes, &aes);
    let to = zone(*b, &tdes3, &aes256);
    let mut rng = Bytes(u64::from(*seed));
    let block = translate::encipher(&pin, &from, pan, &mut rng).unwrap();
    let out = translate::translate(block.as_bytes(), &from, &to, pan, &mut rng).unwrap();
    assert!(
        translate::decipher(out.as_bytes(), &to, pan)
            .unwrap()
            .ct_eq(&pin)
    );
    // Arbitrary bytes as a block: an error or a PIN, never a panic.
    let _ = translate::decipher(&rest[..rest.len().min(16)], &from, pan);
    let _ = translate::decipher(rest, &to, None);
});
