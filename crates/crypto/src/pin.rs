//! ISO 9564-1 PIN blocks, formats 0 to 4.
//!
//! | format | layout (nibbles) | PAN | enciphered with |
//! |---|---|---|---|
//! | 0 | `0 L PIN F…F`, XOR `0000` + 12 PAN digits | rightmost 12 excluding the check digit | TDES |
//! | 1 | `1 L PIN fill…` (fill chosen by the encipherer) | none | TDES |
//! | 2 | `2 L PIN F…F` (offline PIN to the card) | none | TDES |
//! | 3 | `3 L PIN fill…` (fill `A`–`F`), XOR as format 0 | as format 0 | TDES |
//! | 4 | PIN field `4 L PIN A…A` + 8 random bytes; PAN field `M PAN 0…0` | length nibble `M` = digits − 12 | AES: E(K, E(K, PIN field) ⊕ PAN field) |
//!
//! Fill is either supplied (deterministic, for test vectors and replays) or drawn from the
//! caller's random source ([`rand_core::TryCryptoRng`]); nothing here reaches for hidden
//! global randomness. Decoding checks the control field, the PIN length, the digits and the
//! fill, and returns a typed error for anything else: it never panics.

use core::fmt;

use rand_core::TryCryptoRng;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::error::{Error, ErrorKind, Result};
use crate::key::{AesKey, TdesKey, wipe_on_drop};

/// Fewest PIN digits ISO 9564-1 allows.
pub const MIN_PIN_LEN: usize = 4;
/// Most PIN digits ISO 9564-1 allows.
pub const MAX_PIN_LEN: usize = 12;
/// Most PAN digits (ISO/IEC 7812).
pub const MAX_PAN_LEN: usize = 19;

/// A cardholder PIN of 4 to 12 decimal digits. Zeroized on drop; `Debug` shows only the
/// length.
#[derive(Clone)]
pub struct Pin {
    digits: [u8; MAX_PIN_LEN],
    len: u8,
}
wipe_on_drop!(Pin, digits);

impl Pin {
    /// A PIN from its decimal digits.
    pub fn new(pin: &str) -> Result<Self> {
        Self::from_ascii(pin.as_bytes())
    }

    /// A PIN from ASCII decimal digits.
    pub fn from_ascii(pin: &[u8]) -> Result<Self> {
        if !(MIN_PIN_LEN..=MAX_PIN_LEN).contains(&pin.len()) {
            return Err(ErrorKind::PinLength { len: pin.len() }.into());
        }
        let mut digits = [0u8; MAX_PIN_LEN];
        for (i, (d, c)) in digits.iter_mut().zip(pin).enumerate() {
            if !c.is_ascii_digit() {
                return Err(Error::at(ErrorKind::InvalidDigit, i));
            }
            *d = *c;
        }
        Ok(Self {
            digits,
            len: u8::try_from(pin.len()).unwrap_or(0),
        })
    }

    /// The digits. They are secret: do not log them.
    pub fn as_str(&self) -> &str {
        core::str::from_utf8(self.digits.get(..self.len()).unwrap_or_default()).unwrap_or_default()
    }

    /// The ASCII digits (no UTF-8 check needed: they are digits).
    pub(crate) fn ascii(&self) -> &[u8] {
        self.digits.get(..self.len()).unwrap_or_default()
    }

    /// The digits as values 0 to 9.
    fn values(&self) -> impl Iterator<Item = u8> + '_ {
        self.ascii().iter().map(|c| c - b'0')
    }

    /// Number of digits.
    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// Always `false`: a PIN has at least 4 digits.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Compares two PINs in constant time (the length is not hidden).
    pub fn ct_eq(&self, other: &Self) -> bool {
        bool::from(self.ascii().ct_eq(other.ascii()))
    }
}

impl fmt::Debug for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pin {{ len: {}, .. }}", self.len)
    }
}

/// The ISO 9564-1 PIN block formats.
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PinFormat {
    /// Format 0 (ANSI X9.8): PIN XOR PAN, `F` fill.
    Iso0,
    /// Format 1: no PAN, fill chosen by the encipherer.
    Iso1,
    /// Format 2: no PAN, `F` fill; offline PIN sent to the card.
    Iso2,
    /// Format 3: PIN XOR PAN, random fill `A`–`F`.
    Iso3,
    /// Format 4: AES, 16-byte PIN field and PAN field.
    Iso4,
}

impl PinFormat {
    /// The control nibble (0 to 4).
    pub const fn number(self) -> u8 {
        match self {
            Self::Iso0 => 0,
            Self::Iso1 => 1,
            Self::Iso2 => 2,
            Self::Iso3 => 3,
            Self::Iso4 => 4,
        }
    }

    fn needs_pan(self) -> bool {
        matches!(self, Self::Iso0 | Self::Iso3 | Self::Iso4)
    }
}

impl TryFrom<u8> for PinFormat {
    type Error = Error;
    fn try_from(n: u8) -> Result<Self> {
        match n {
            0 => Ok(Self::Iso0),
            1 => Ok(Self::Iso1),
            2 => Ok(Self::Iso2),
            3 => Ok(Self::Iso3),
            4 => Ok(Self::Iso4),
            found => Err(ErrorKind::PinBlockFormat { found }.into()),
        }
    }
}

/// The PAN's ASCII digits, checked: 1 to 19 decimal digits.
fn pan_digits(pan: &str) -> Result<&[u8]> {
    let bytes = pan.as_bytes();
    if bytes.is_empty() || bytes.len() > MAX_PAN_LEN {
        return Err(ErrorKind::PanLength { len: bytes.len() }.into());
    }
    Ok(bytes)
}

/// Appends decimal digits (ASCII) to a nibble accumulator, most significant first; the
/// error names the offset of a character that is not a digit.
fn push_digits(acc: u128, digits: &[u8]) -> Result<u128> {
    let mut acc = acc;
    for (i, c) in digits.iter().enumerate() {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return Err(Error::at(ErrorKind::InvalidDigit, i));
        }
        acc = (acc << 4) | u128::from(d);
    }
    Ok(acc)
}

/// The 8-byte PAN block of formats 0 and 3: four zero nibbles, then the 12 rightmost PAN
/// digits excluding the check digit (left-padded with zeros if the PAN is shorter).
pub fn pan_block(pan: &str) -> Result<[u8; 8]> {
    // Every digit is checked, the check digit too; 19 digits fit the accumulator.
    let all = push_digits(0, pan_digits(pan)?)?;
    // Drop the check digit, keep the 12 digits before it.
    let value = (all >> 4) & ((1 << 48) - 1);
    Ok(u64::try_from(value).unwrap_or(0).to_be_bytes())
}

/// The 16-byte PAN field of format 4: a nibble `M` (PAN digits − 12, 0 for shorter PANs),
/// then the PAN left-justified (right-justified in 12 digits when shorter), zero-filled.
pub fn pan_field(pan: &str) -> Result<[u8; 16]> {
    let digits = pan_digits(pan)?;
    let len = digits.len();
    let m = u128::try_from(len.saturating_sub(12)).unwrap_or(0);
    // Nibbles used: M, then max(len, 12) digit places; the rest of the 32 are zero.
    let used = 1 + len.max(12);
    let value = push_digits(m << (4 * (len.max(12) - len)), digits)?;
    Ok((value << (4 * (32 - used))).to_be_bytes())
}

fn pack(nibbles: &[u8; 16]) -> [u8; 8] {
    let mut out = [0u8; 8];
    for (b, pair) in out.iter_mut().zip(nibbles.chunks_exact(2)) {
        *b = pair.iter().fold(0, |acc, n| (acc << 4) | n);
    }
    out
}

fn unpack(bytes: &[u8]) -> [u8; 32] {
    let mut nibbles = [0u8; 32];
    for (pair, b) in nibbles.chunks_exact_mut(2).zip(bytes) {
        pair.copy_from_slice(&[b >> 4, b & 0xF]);
    }
    nibbles
}

fn xor8(a: &mut [u8; 8], b: &[u8; 8]) {
    for (x, y) in a.iter_mut().zip(b) {
        *x ^= y;
    }
}

fn xor16(a: &mut [u8; 16], b: &[u8; 16]) {
    for (x, y) in a.iter_mut().zip(b) {
        *x ^= y;
    }
}

/// Fill nibbles for format 3 (`A`–`F`), drawn without bias from `rng`.
fn random_af_nibbles<R: TryCryptoRng + ?Sized>(rng: &mut R, out: &mut [u8]) -> Result<()> {
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

/// A clear PIN block of formats 0 to 3. Zeroized on drop; `Debug` shows only the format.
#[derive(Clone)]
pub struct PinBlock([u8; 8]);
wipe_on_drop!(PinBlock, 0);

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
            (PinFormat::Iso0 | PinFormat::Iso2, None) => [0xF; 32],
            (PinFormat::Iso1 | PinFormat::Iso3, Some(fill)) => unpack(fill),
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
        let mut fill = Zeroizing::new([0xFu8; 32]);
        match format {
            PinFormat::Iso1 => {
                let mut bytes = Zeroizing::new([0u8; 8]);
                rng.try_fill_bytes(bytes.as_mut_slice())
                    .map_err(|_| Error::new(ErrorKind::Random))?;
                *fill = unpack(bytes.as_slice());
            }
            PinFormat::Iso3 => random_af_nibbles(rng, fill.as_mut_slice())?,
            PinFormat::Iso0 | PinFormat::Iso2 => {}
            PinFormat::Iso4 => return Err(ErrorKind::PinBlockFormat { found: 4 }.into()),
        }
        Self::assemble(format, pin, pan, &fill)
    }

    fn assemble(format: PinFormat, pin: &Pin, pan: Option<&str>, fill: &[u8; 32]) -> Result<Self> {
        let pan_block = match (format.needs_pan(), pan) {
            (true, Some(pan)) => Some(pan_block(pan)?),
            (true, None) => return Err(ErrorKind::PanLength { len: 0 }.into()),
            (false, _) => None,
        };
        let mut nibbles = Zeroizing::new([0u8; 16]);
        let len = u8::try_from(pin.len()).unwrap_or(0);
        let header = [format.number(), len];
        let body = header
            .into_iter()
            .chain(pin.values())
            .chain(fill.iter().copied());
        for (d, s) in nibbles.iter_mut().zip(body) {
            *d = s;
        }
        let mut block = pack(&nibbles);
        if let Some(p) = pan_block {
            xor8(&mut block, &p);
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
        let control = self.0.first().map_or(0xF, |b| b >> 4);
        match PinFormat::try_from(control)? {
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
            (true, Some(pan)) => xor8(&mut block, &pan_block(pan)?),
            (true, None) => return Err(ErrorKind::PanLength { len: 0 }.into()),
            (false, _) => {}
        }
        let nibbles = Zeroizing::new(unpack(block.as_slice()));
        let mut nibbles = nibbles.iter().copied().take(16);
        let control = nibbles.next().unwrap_or(0xF);
        if control != format.number() || format == PinFormat::Iso4 {
            return Err(Error::at(ErrorKind::PinBlockFormat { found: control }, 0));
        }
        decode_nibbles(&mut nibbles, 16, |n| match format {
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
        let mut clear = *block;
        key.cipher().decrypt_block(&mut clear);
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

/// Reads the length nibble, the PIN digits and checks the fill up to nibble `end`.
fn decode_nibbles(
    nibbles: &mut impl Iterator<Item = u8>,
    end: usize,
    fill_ok: impl Fn(u8) -> bool,
) -> Result<Pin> {
    let len = usize::from(nibbles.next().unwrap_or(0));
    if !(MIN_PIN_LEN..=MAX_PIN_LEN).contains(&len) {
        return Err(Error::at(ErrorKind::PinLength { len }, 0));
    }
    let mut digits = Zeroizing::new([0u8; MAX_PIN_LEN]);
    for (i, d) in digits.iter_mut().take(len).enumerate() {
        let n = nibbles.next().unwrap_or(0xF);
        if n > 9 {
            return Err(Error::at(ErrorKind::InvalidDigit, (i + 2) / 2));
        }
        *d = b'0' + n;
    }
    for (i, n) in nibbles.take(end - 2 - len).enumerate() {
        if !fill_ok(n) {
            return Err(Error::at(ErrorKind::PinBlockFill, (i + 2 + len) / 2));
        }
    }
    Pin::from_ascii(digits.get(..len).unwrap_or_default())
}

/// The plain 16-byte PIN field of ISO 9564-1 format 4. Zeroized on drop; `Debug` hides it.
#[derive(Clone)]
pub struct PinField([u8; 16]);
wipe_on_drop!(PinField, 0);

impl PinField {
    /// The PIN field with the caller's 8 random bytes (deterministic, for vectors).
    pub fn new(pin: &Pin, random: &[u8; 8]) -> Self {
        let len = pin.len();
        // A `Pin` holds only digits, so this cannot fail.
        let head = push_digits(0x40 | u128::try_from(len).unwrap_or(0), pin.ascii()).unwrap_or(0);
        // Fill nibbles `A` up to 16 nibbles (8 bytes).
        let fill = (1u128 << (4 * (14 - len))) - 1;
        let head = (head << (4 * (14 - len))) | (fill & 0xAAAA_AAAA_AAAA_AAAA);
        let head = u64::try_from(head).unwrap_or(0).to_be_bytes();
        let mut field = [0u8; 16];
        for (d, s) in field.iter_mut().zip(head.iter().chain(random)) {
            *d = *s;
        }
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
        let nibbles = Zeroizing::new(unpack(&self.0));
        let mut nibbles = nibbles.iter().copied().take(16);
        let control = nibbles.next().unwrap_or(0xF);
        if control != 4 {
            return Err(Error::at(ErrorKind::PinBlockFormat { found: control }, 0));
        }
        decode_nibbles(&mut nibbles, 16, |n| n == 0xA)
    }

    /// Enciphers under `key`: E(K, E(K, PIN field) ⊕ PAN field).
    pub fn encipher(&self, key: &AesKey, pan: &str) -> Result<[u8; 16]> {
        let pan = pan_field(pan)?;
        let cipher = key.encryptor();
        let mut block = self.0;
        cipher.encrypt_block(&mut block);
        xor16(&mut block, &pan);
        cipher.encrypt_block(&mut block);
        Ok(block)
    }

    /// Deciphers an enciphered format 4 block: D(K, D(K, block) ⊕ PAN field).
    pub fn decipher(block: &[u8; 16], key: &AesKey, pan: &str) -> Result<Self> {
        let pan = pan_field(pan)?;
        let cipher = key.cipher();
        let mut clear = *block;
        cipher.decrypt_block(&mut clear);
        xor16(&mut clear, &pan);
        cipher.decrypt_block(&mut clear);
        Ok(Self(clear))
    }
}

impl fmt::Debug for PinField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PinField(format 4, ..)")
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
    fn pin_length_and_digits() {
        assert_eq!(
            Pin::new("123").unwrap_err().kind(),
            ErrorKind::PinLength { len: 3 }
        );
        assert_eq!(
            Pin::new("1234567890123").unwrap_err().kind(),
            ErrorKind::PinLength { len: 13 }
        );
        let err = Pin::new("12a4").unwrap_err();
        assert_eq!(
            (err.kind(), err.offset()),
            (ErrorKind::InvalidDigit, Some(2))
        );
        assert_eq!(format!("{:?}", pin("1234")), "Pin { len: 4, .. }");
    }

    #[test]
    fn short_pan_is_left_padded() {
        // ISO 9564-1: fewer than 12 digits before the check digit are right-justified.
        assert_eq!(pan_block("123456").unwrap(), hex!("0000000000012345"));
        assert_eq!(
            pan_field("12345").unwrap(),
            hex!("00000000123450000000000000000000")
        );
        assert!(pan_block("").is_err());
        assert!(pan_block("12345678901234567890").is_err());
        assert_eq!(pan_block("4012x").unwrap_err().offset(), Some(4));
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
        struct Counter(u8);
        impl rand_core::TryRng for Counter {
            type Error = core::convert::Infallible;
            fn try_next_u32(&mut self) -> core::result::Result<u32, Self::Error> {
                Ok(0)
            }
            fn try_next_u64(&mut self) -> core::result::Result<u64, Self::Error> {
                Ok(0)
            }
            fn try_fill_bytes(&mut self, dst: &mut [u8]) -> core::result::Result<(), Self::Error> {
                for b in dst {
                    *b = self.0;
                    self.0 = self.0.wrapping_add(37);
                }
                Ok(())
            }
        }
        impl TryCryptoRng for Counter {}
        let p = pin("98765");
        let pan = Some("5432101234567891");
        let mut rng = Counter(250);
        let b3 = PinBlock::random(PinFormat::Iso3, &p, pan, &mut rng).unwrap();
        assert_eq!(b3.decode(pan).unwrap().as_str(), "98765");
        let field = PinField::random(&p, &mut rng).unwrap();
        assert_eq!(field.decode().unwrap().as_str(), "98765");
    }
}
