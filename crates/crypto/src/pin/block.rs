//! The 8-byte clear PIN block of ISO 9564-1 formats 0 to 3, and its TDES encipherment.

use core::fmt;

use rand_core::TryCryptoRng;
use zeroize::Zeroizing;

use super::{Pin, PinFormat, decode_nibbles, nibbles, pack, pan_block};
use crate::error::{Error, ErrorKind, Result};
use crate::key::{TdesKey, wipe_on_drop};

/// A clear PIN block of formats 0 to 3. Zeroized on drop; `Debug` shows only the format.
///
/// ```
/// use cardwire_crypto::TdesKey;
/// use cardwire_crypto::pin::{Pin, PinBlock, PinFormat};
///
/// // ANSI X9.24-1:2009 A.4: format 0, PIN 1234, PAN 4012345678909.
/// let block = PinBlock::new(PinFormat::Iso0, &Pin::new("1234")?, Some("4012345678909"), None)?;
/// assert_eq!(block.as_bytes(), &hex_literal::hex!("041274EDCBA9876F"));
/// assert_eq!(format!("{block:?}"), "PinBlock(format 0, ..)");
///
/// let key = TdesKey::from_hex("042666B49184CF5C68DE9628D0397B36")?;
/// let enciphered = block.encipher(&key);
/// assert_eq!(enciphered, hex_literal::hex!("1B9C1845EB993A7A"));
/// let pin = PinBlock::decipher(&enciphered, &key).decode(Some("4012345678909"))?;
/// assert_eq!(pin.as_str(), "1234");
/// # Ok::<(), cardwire_crypto::Error>(())
/// ```
#[derive(Clone)]
pub struct PinBlock([u8; 8]);
wipe_on_drop!(PinBlock, 0);

/// Fill nibbles for format 3 (`A`–`F`), drawn without bias from `rng`.
fn random_af_nibbles<R: TryCryptoRng + ?Sized>(rng: &mut R, out: &mut [u8; 16]) -> Result<()> {
    let mut filled = 0;
    let mut pool = Zeroizing::new([0u8; 16]);
    while filled < out.len() {
        rng.try_fill_bytes(pool.as_mut_slice())
            .map_err(|_| Error::new(ErrorKind::Random))?;
        // 252 = 6 × 42: bytes at or above it would bias the nibble, so they are skipped.
        for b in pool.iter().filter(|b| **b < 252) {
            if let Some(slot) = out.get_mut(filled) {
                *slot = 0xA + b % 6;
                filled += 1;
            }
        }
    }
    Ok(())
}

impl PinBlock {
    /// Encodes `pin` in `format` (0 to 3).
    ///
    /// `pan` is required by formats 0 and 3 and ignored by 1 and 2. `fill` is required by
    /// formats 1 and 3 and refused by 0 and 2: its nibbles, in order, fill the block after the
    /// PIN (format 3 allows only `A`–`F`). To draw the fill from a random source use
    /// [`PinBlock::random`].
    pub fn new(
        format: PinFormat,
        pin: &Pin,
        pan: Option<&str>,
        fill: Option<&[u8; 8]>,
    ) -> Result<Self> {
        let fill_nibbles = match (format, fill) {
            (PinFormat::Iso0 | PinFormat::Iso2, None) => [0xF; 16],
            (PinFormat::Iso1 | PinFormat::Iso3, Some(fill)) => nibbles(fill),
            (PinFormat::Iso4, _) => return Err(ErrorKind::PinBlockFormat { found: 4 }.into()),
            _ => return Err(ErrorKind::Fill.into()),
        };
        let count = 14 - pin.len();
        if format == PinFormat::Iso3 && fill_nibbles.iter().take(count).any(|n| *n < 0xA) {
            return Err(ErrorKind::Fill.into());
        }
        Self::assemble(format, pin, pan, &fill_nibbles)
    }

    /// Encodes `pin` in `format` (0 to 3), drawing fill from `rng` where the format has
    /// random fill (1 and 3).
    pub fn random<R: TryCryptoRng + ?Sized>(
        format: PinFormat,
        pin: &Pin,
        pan: Option<&str>,
        rng: &mut R,
    ) -> Result<Self> {
        let mut fill = Zeroizing::new([0xFu8; 16]);
        match format {
            PinFormat::Iso1 => {
                let mut bytes = Zeroizing::new([0u8; 8]);
                rng.try_fill_bytes(bytes.as_mut_slice())
                    .map_err(|_| Error::new(ErrorKind::Random))?;
                *fill = nibbles(&bytes);
            }
            PinFormat::Iso3 => random_af_nibbles(rng, &mut fill)?,
            PinFormat::Iso0 | PinFormat::Iso2 => {}
            PinFormat::Iso4 => return Err(ErrorKind::PinBlockFormat { found: 4 }.into()),
        }
        Self::assemble(format, pin, pan, &fill)
    }

    fn assemble(format: PinFormat, pin: &Pin, pan: Option<&str>, fill: &[u8; 16]) -> Result<Self> {
        let pan_block = match (format.needs_pan(), pan) {
            (true, Some(pan)) => Some(pan_block(pan)?),
            (true, None) => return Err(ErrorKind::PanLength { len: 0 }.into()),
            (false, _) => None,
        };
        let mut all = Zeroizing::new([0u8; 16]);
        let body = [format.number(), pin.len_nibble()]
            .into_iter()
            .chain(pin.values())
            .chain(fill.iter().copied());
        for (d, s) in all.iter_mut().zip(body) {
            *d = s;
        }
        let mut block = pack(&all);
        if let Some(p) = pan_block {
            crate::buf::xor_into(&mut block, &p);
        }
        Ok(Self(block))
    }

    /// A clear block from its 8 bytes (for decoding).
    pub fn from_bytes(bytes: [u8; 8]) -> Self {
        Self(bytes)
    }

    /// The clear block. It reveals the PIN: do not log it.
    pub fn as_bytes(&self) -> &[u8; 8] {
        &self.0
    }

    /// The format named by the control nibble (meaningful only for formats 1 and 2, whose
    /// control nibble is not masked by the PAN; formats 0 and 3 keep it too because the PAN
    /// block starts with zero nibbles).
    pub fn format(&self) -> Result<PinFormat> {
        let [first, ..] = self.0;
        match PinFormat::try_from(first >> 4)? {
            PinFormat::Iso4 => Err(ErrorKind::PinBlockFormat { found: 4 }.into()),
            f => Ok(f),
        }
    }

    /// Decodes the PIN, taking the format from the control nibble.
    pub fn decode(&self, pan: Option<&str>) -> Result<Pin> {
        self.decode_as(self.format()?, pan)
    }

    /// Decodes the PIN, requiring `format`.
    pub fn decode_as(&self, format: PinFormat, pan: Option<&str>) -> Result<Pin> {
        let mut block = Zeroizing::new(self.0);
        match (format.needs_pan(), pan) {
            (true, Some(pan)) => crate::buf::xor_into(block.as_mut_slice(), &pan_block(pan)?),
            (true, None) => return Err(ErrorKind::PanLength { len: 0 }.into()),
            (false, _) => {}
        }
        let all = Zeroizing::new(nibbles(&block));
        let [control, len, rest @ ..] = *all;
        if control != format.number() || format == PinFormat::Iso4 {
            return Err(Error::at(ErrorKind::PinBlockFormat { found: control }, 0));
        }
        let rest = Zeroizing::new(rest);
        decode_nibbles(len, &rest, |n| match format {
            PinFormat::Iso0 | PinFormat::Iso2 => n == 0xF,
            PinFormat::Iso3 => n >= 0xA,
            PinFormat::Iso1 | PinFormat::Iso4 => true,
        })
    }

    /// The block enciphered under `key` (TDES-ECB; DES with a single-length key).
    pub fn encipher(&self, key: &TdesKey) -> [u8; 8] {
        let mut block = self.0;
        key.cipher().encrypt_block(&mut block);
        block
    }

    /// Deciphers an enciphered block under `key`.
    pub fn decipher(block: &[u8; 8], key: &TdesKey) -> Self {
        Self::decipher_with(block, &key.cipher())
    }

    /// [`Self::decipher`] with the PIN key's schedule already expanded (a session's PIK).
    pub fn decipher_with(block: &[u8; 8], cipher: &crate::block::TdesCipher) -> Self {
        let mut clear = *block;
        cipher.decrypt_block(&mut clear);
        Self(clear)
    }
}

impl fmt::Debug for PinBlock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PinBlock(")?;
        match self.format() {
            Ok(format) => write!(f, "format {}", format.number())?,
            Err(_) => f.write_str("unknown format")?,
        }
        f.write_str(", ..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hex_literal::hex;

    fn pin(s: &str) -> Pin {
        Pin::new(s).unwrap()
    }

    #[test]
    fn format_1_and_3_fill_rules() {
        let p = pin("1234");
        let fill = hex!("ABCDEFABCDEFABCD");
        let b1 = PinBlock::new(PinFormat::Iso1, &p, None, Some(&fill)).unwrap();
        assert_eq!(b1.as_bytes(), &hex!("141234ABCDEFABCD"));
        assert_eq!(b1.decode(None).unwrap().as_str(), "1234");
        // Format 3 fill must be A–F.
        assert_eq!(
            PinBlock::new(
                PinFormat::Iso3,
                &p,
                Some("5432101234567891"),
                Some(&hex!("0123456789ABCDEF"))
            )
            .unwrap_err()
            .kind(),
            ErrorKind::Fill
        );
        // Formats 0 and 2 refuse fill; 1 and 3 need it.
        assert!(PinBlock::new(PinFormat::Iso0, &p, Some("4012345678909"), Some(&fill)).is_err());
        assert!(PinBlock::new(PinFormat::Iso1, &p, None, None).is_err());
        assert!(PinBlock::new(PinFormat::Iso0, &p, None, None).is_err());
    }

    #[test]
    fn decode_rejects_broken_blocks() {
        let pan = Some("4012345678909");
        let good = PinBlock::from_bytes(hex!("041274EDCBA9876F"));
        assert_eq!(good.decode(pan).unwrap().as_str(), "1234");
        // Wrong format asked.
        assert!(matches!(
            good.decode_as(PinFormat::Iso3, pan).unwrap_err().kind(),
            ErrorKind::PinBlockFormat { found: 0 }
        ));
        // Length 3.
        let short = PinBlock::from_bytes(hex!("231234FFFFFFFFFF"));
        assert_eq!(
            short.decode(None).unwrap_err().kind(),
            ErrorKind::PinLength { len: 3 }
        );
        // A non-digit in the PIN.
        let bad_digit = PinBlock::from_bytes(hex!("2412A4FFFFFFFFFF"));
        assert_eq!(
            bad_digit.decode(None).unwrap_err().kind(),
            ErrorKind::InvalidDigit
        );
        // Format 2 fill that is not F.
        let bad_fill = PinBlock::from_bytes(hex!("241234FFFFFFFFFE"));
        assert_eq!(
            bad_fill.decode(None).unwrap_err().kind(),
            ErrorKind::PinBlockFill
        );
        // A 12-digit PIN fills the block: no fill to check.
        let full = PinBlock::from_bytes(hex!("2C123456789012FF"));
        assert_eq!(full.decode(None).unwrap().as_str(), "123456789012");
        // Format 5 does not exist; format 4 is not an 8-byte block.
        assert!(
            PinBlock::from_bytes(hex!("541234FFFFFFFFFF"))
                .decode(None)
                .is_err()
        );
        assert!(
            PinBlock::from_bytes(hex!("441234FFFFFFFFFF"))
                .decode(None)
                .is_err()
        );
    }

    #[test]
    fn random_fill_is_in_range_and_decodes() {
        let p = pin("98765");
        let pan = Some("5432101234567891");
        // 250, 31, 68, … as before: the byte after `last`.
        let mut rng = crate::test_rng::Steps {
            last: 213,
            step: 37,
        };
        let b3 = PinBlock::random(PinFormat::Iso3, &p, pan, &mut rng).unwrap();
        assert_eq!(b3.decode(pan).unwrap().as_str(), "98765");
        let field = crate::pin::PinField::random(&p, &mut rng).unwrap();
        assert_eq!(field.decode().unwrap().as_str(), "98765");
    }
}
