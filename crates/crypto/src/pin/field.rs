//! The 16-byte PIN field of ISO 9564-1 format 4 and its AES encipherment with the PAN
//! field.

use core::fmt;

use rand_core::TryCryptoRng;
use zeroize::Zeroizing;

use super::{Pin, decode_nibbles, nibbles, pan_field};
use crate::error::{Error, ErrorKind, Result};
use crate::key::{AesKey, wipe_on_drop};

/// The plain 16-byte PIN field of ISO 9564-1 format 4. Zeroized on drop; `Debug` hides it.
///
/// ```
/// use cardwire_crypto::AesKey;
/// use cardwire_crypto::pin::{Pin, PinField};
///
/// // ANSI X9.24-3-2017 supplement: the random half of the PIN field is fixed here.
/// let key = AesKey::from_hex("AF8CB133A78F8DC2D1359F18527593FB")?;
/// let field = PinField::new(&Pin::new("1234")?, &hex_literal::hex!("2F69ADDE2E9E7ACE"));
/// let block = field.encipher(&key, "4111111111111111")?;
/// assert_eq!(block, hex_literal::hex!("A912150391AB65A67E52883D81CE2D15"));
/// let back = PinField::decipher(&block, &key, "4111111111111111")?.decode()?;
/// assert_eq!(back.as_str(), "1234");
/// # Ok::<(), cardwire_crypto::Error>(())
/// ```
#[derive(Clone)]
pub struct PinField([u8; 16]);
wipe_on_drop!(PinField, 0);

impl PinField {
    /// The PIN field with the caller's 8 random bytes (deterministic, for vectors).
    pub fn new(pin: &Pin, random: &[u8; 8]) -> Self {
        // Control 4, length, digits, then `A` fill up to 16 nibbles.
        let body = [4, pin.len_nibble()]
            .into_iter()
            .chain(pin.values())
            .chain(core::iter::repeat(0xA));
        let head = body.take(16).fold(0u64, |acc, n| (acc << 4) | u64::from(n));
        let mut field = [0u8; 16];
        let (left, right) = field.split_at_mut(8);
        left.copy_from_slice(&head.to_be_bytes());
        right.copy_from_slice(random);
        Self(field)
    }

    /// The PIN field with its random half drawn from `rng`.
    pub fn random<R: TryCryptoRng + ?Sized>(pin: &Pin, rng: &mut R) -> Result<Self> {
        let mut random = Zeroizing::new([0u8; 8]);
        rng.try_fill_bytes(random.as_mut_slice())
            .map_err(|_| Error::new(ErrorKind::Random))?;
        Ok(Self::new(pin, &random))
    }

    /// A field from its 16 bytes (for decoding).
    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }

    /// The plain field. It reveals the PIN: do not log it.
    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// Decodes the PIN, checking the control nibble and the `A` fill of the first 8 bytes.
    pub fn decode(&self) -> Result<Pin> {
        let [a, b, c, d, e, f, g, h, ..] = self.0;
        let all = Zeroizing::new(nibbles(&[a, b, c, d, e, f, g, h]));
        let [control, len, rest @ ..] = *all;
        if control != 4 {
            return Err(Error::at(ErrorKind::PinBlockFormat { found: control }, 0));
        }
        let rest = Zeroizing::new(rest);
        decode_nibbles(len, &rest, |n| n == 0xA)
    }

    /// Enciphers under `key`: E(K, E(K, PIN field) ⊕ PAN field).
    pub fn encipher(&self, key: &AesKey, pan: &str) -> Result<[u8; 16]> {
        let pan = pan_field(pan)?;
        let cipher = key.encryptor();
        let mut block = self.0;
        cipher.encrypt_block(&mut block);
        crate::buf::xor_into(&mut block, &pan);
        cipher.encrypt_block(&mut block);
        Ok(block)
    }

    /// Deciphers an enciphered format 4 block: D(K, D(K, block) ⊕ PAN field).
    pub fn decipher(block: &[u8; 16], key: &AesKey, pan: &str) -> Result<Self> {
        let pan = pan_field(pan)?;
        let cipher = key.cipher();
        let mut clear = *block;
        cipher.decrypt_block(&mut clear);
        crate::buf::xor_into(&mut clear, &pan);
        cipher.decrypt_block(&mut clear);
        Ok(Self(clear))
    }
}

impl fmt::Debug for PinField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PinField(format 4, ..)")
    }
}
