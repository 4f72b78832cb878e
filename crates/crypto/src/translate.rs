//! PIN translation: a PIN block deciphered under one key and re-enciphered under another,
//! in the same or another format, as an acquirer does before forwarding a transaction
//! (terminal PIN key or DUKPT to the zone PIN key shared with the network; TDES to AES).
//!
//! The clear PIN exists only inside the call, in a [`Pin`] that wipes itself. Formats 1, 3
//! and 4 need fresh random fill for the outgoing block: it comes from the caller's random
//! source. A format that binds the PIN to the PAN (0, 3, 4) needs the PAN on either side.
//!
//! ```
//! use cardwire_crypto::TdesKey;
//! use cardwire_crypto::dukpt::tdes::Ksn;
//! use cardwire_crypto::pin::PinFormat;
//! use cardwire_crypto::translate::{self, PinZone};
//!
//! # struct Os;
//! # impl rand_core::TryRng for Os {
//! #     type Error = core::convert::Infallible;
//! #     fn try_next_u32(&mut self) -> Result<u32, Self::Error> { Ok(7) }
//! #     fn try_next_u64(&mut self) -> Result<u64, Self::Error> { Ok(7) }
//! #     fn try_fill_bytes(&mut self, d: &mut [u8]) -> Result<(), Self::Error> { d.fill(7); Ok(()) }
//! # }
//! # impl rand_core::TryCryptoRng for Os {}
//! // ANSI X9.24-1:2009 A.4: the first PIN block of the example terminal, to a zone key.
//! let bdk = TdesKey::from_hex("0123456789ABCDEFFEDCBA9876543210")?;
//! let ksn = Ksn::from_hex("FFFF9876543210E00001")?;
//! let zpk = TdesKey::from_hex("89ABCDEF0123456776543210FEDCBA98")?;
//! let block = hex_literal::hex!("1B9C1845EB993A7A");
//! let to = PinZone::tdes(&zpk, PinFormat::Iso0)?;
//! let out = translate::from_tdes_dukpt(&block, &bdk, &ksn, PinFormat::Iso0, &to, Some("4012345678909"), &mut Os)?;
//! // The zone key now deciphers it to the same PIN.
//! let pin = translate::decipher(out.as_bytes(), &to, Some("4012345678909"))?;
//! assert_eq!(pin.as_str(), "1234");
//! # Ok::<(), cardwire_crypto::Error>(())
//! ```

use rand_core::TryCryptoRng;

use crate::dukpt::{aes, tdes};
use crate::error::{ErrorKind, Result};
use crate::key::{AesKey, TdesKey};
use crate::pin::{Pin, PinBlock, PinField, PinFormat};

/// A key and the PIN block format used under it.
#[derive(Clone, Copy, Debug)]
pub enum PinZone<'a> {
    /// A TDES (or DES) key with format 0, 1, 2 or 3.
    Tdes {
        /// The PIN encryption key.
        key: &'a TdesKey,
        /// The format, 0 to 3.
        format: PinFormat,
    },
    /// An AES key with format 4.
    Aes {
        /// The PIN encryption key.
        key: &'a AesKey,
    },
}

impl<'a> PinZone<'a> {
    /// A TDES key with `format` (0 to 3; format 4 is AES only).
    pub fn tdes(key: &'a TdesKey, format: PinFormat) -> Result<Self> {
        if format.is_aes() {
            return Err(ErrorKind::PinBlockFormat {
                found: format.number(),
            }
            .into());
        }
        Ok(Self::Tdes { key, format })
    }

    /// An AES key with format 4.
    pub fn aes(key: &'a AesKey) -> Self {
        Self::Aes { key }
    }

    /// The format of blocks under this key.
    pub fn format(&self) -> PinFormat {
        match self {
            Self::Tdes { format, .. } => *format,
            Self::Aes { .. } => PinFormat::Iso4,
        }
    }

    /// The enciphered block length: 8 (TDES) or 16 bytes (AES).
    pub fn block_len(&self) -> usize {
        match self {
            Self::Tdes { .. } => 8,
            Self::Aes { .. } => 16,
        }
    }
}

/// An enciphered PIN block: 8 bytes under TDES, 16 under AES.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum EncipheredPin {
    /// Formats 0 to 3.
    Tdes([u8; 8]),
    /// Format 4.
    Aes([u8; 16]),
}

impl EncipheredPin {
    /// The block's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Self::Tdes(b) => b,
            Self::Aes(b) => b,
        }
    }
}

impl core::fmt::Debug for EncipheredPin {
    // An enciphered block is card data: it is not printed either.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "EncipheredPin({} bytes, ..)", self.as_bytes().len())
    }
}

/// The PAN a format needs, or [`ErrorKind::PanLength`] `0` when it is missing.
fn pan_for(format: PinFormat, pan: Option<&str>) -> Result<&str> {
    match pan {
        Some(pan) => Ok(pan),
        None if format.needs_pan() => Err(ErrorKind::PanLength { len: 0 }.into()),
        None => Ok(""),
    }
}

/// Deciphers `block` (8 bytes under TDES, 16 under AES) under `zone` and decodes the PIN.
///
/// Errors: [`ErrorKind::Length`] for a block of the wrong length, the PIN block errors of
/// [`PinBlock::decode_as`] and [`PinField::decode`] (a wrong key shows as one of them).
pub fn decipher(block: &[u8], zone: &PinZone<'_>, pan: Option<&str>) -> Result<Pin> {
    let wrong_length = || ErrorKind::Length { len: block.len() };
    match zone {
        PinZone::Tdes { key, format } => {
            let block = <&[u8; 8]>::try_from(block).map_err(|_| wrong_length())?;
            PinBlock::decipher(block, key).decode_as(*format, pan)
        }
        PinZone::Aes { key } => {
            let block = <&[u8; 16]>::try_from(block).map_err(|_| wrong_length())?;
            let pan = pan_for(PinFormat::Iso4, pan)?;
            PinField::decipher(block, key, pan)?.decode()
        }
    }
}

/// Encodes `pin` in `zone`'s format (random fill from `rng` where the format has it) and
/// enciphers it under `zone`'s key.
pub fn encipher<R: TryCryptoRng + ?Sized>(
    pin: &Pin,
    zone: &PinZone<'_>,
    pan: Option<&str>,
    rng: &mut R,
) -> Result<EncipheredPin> {
    match zone {
        PinZone::Tdes { key, format } => {
            let block = PinBlock::random(*format, pin, pan, rng)?;
            Ok(EncipheredPin::Tdes(block.encipher(key)))
        }
        PinZone::Aes { key } => {
            let pan = pan_for(PinFormat::Iso4, pan)?;
            let field = PinField::random(pin, rng)?;
            Ok(EncipheredPin::Aes(field.encipher(key, pan)?))
        }
    }
}

/// Translates `block` from one zone to another (same PAN on both sides).
pub fn translate<R: TryCryptoRng + ?Sized>(
    block: &[u8],
    from: &PinZone<'_>,
    to: &PinZone<'_>,
    pan: Option<&str>,
    rng: &mut R,
) -> Result<EncipheredPin> {
    let pin = decipher(block, from, pan)?;
    encipher(&pin, to, pan, rng)
}

/// Translates a terminal's TDES DUKPT PIN block (in `format`, 0 to 3, under the PIN key of
/// `ksn` derived from `bdk`) to `to`: the acquirer's step before forwarding.
pub fn from_tdes_dukpt<R: TryCryptoRng + ?Sized>(
    block: &[u8; 8],
    bdk: &TdesKey,
    ksn: &tdes::Ksn,
    format: PinFormat,
    to: &PinZone<'_>,
    pan: Option<&str>,
    rng: &mut R,
) -> Result<EncipheredPin> {
    let key = tdes::derive(bdk, ksn, tdes::KeyVariant::Pin)?;
    translate(block, &PinZone::tdes(&key, format)?, to, pan, rng)
}

/// Translates a terminal's AES DUKPT PIN block to `to`. The PIN key of `ksn` is derived
/// from `bdk` as `key_type`: an AES type for a format 4 block (16 bytes), a TDES type for
/// a format 0 to 3 block (8 bytes) in `format`.
#[allow(clippy::too_many_arguments)] // the terminal side, the key type and the zone
pub fn from_aes_dukpt<R: TryCryptoRng + ?Sized>(
    block: &[u8],
    bdk: &AesKey,
    ksn: &aes::Ksn,
    key_type: aes::KeyType,
    format: PinFormat,
    to: &PinZone<'_>,
    pan: Option<&str>,
    rng: &mut R,
) -> Result<EncipheredPin> {
    let key = aes::derive(bdk, ksn, aes::KeyUsage::Pin, key_type)?;
    match key_type {
        aes::KeyType::Tdes2 | aes::KeyType::Tdes3 => {
            let key = TdesKey::try_from(key)?;
            translate(block, &PinZone::tdes(&key, format)?, to, pan, rng)
        }
        aes::KeyType::Aes128 | aes::KeyType::Aes192 | aes::KeyType::Aes256 => {
            let key = AesKey::try_from(key)?;
            translate(block, &PinZone::aes(&key), to, pan, rng)
        }
        aes::KeyType::Hmac128 | aes::KeyType::Hmac192 | aes::KeyType::Hmac256 => {
            Err(ErrorKind::KeyUsage.into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hex_literal::hex;

    struct Fill(u8);
    impl rand_core::TryRng for Fill {
        type Error = core::convert::Infallible;
        fn try_next_u32(&mut self) -> core::result::Result<u32, Self::Error> {
            Ok(0)
        }
        fn try_next_u64(&mut self) -> core::result::Result<u64, Self::Error> {
            Ok(0)
        }
        fn try_fill_bytes(&mut self, d: &mut [u8]) -> core::result::Result<(), Self::Error> {
            for b in d {
                self.0 = self.0.wrapping_add(29);
                *b = self.0;
            }
            Ok(())
        }
    }
    impl TryCryptoRng for Fill {}

    #[test]
    fn every_format_pair_round_trips() {
        let pan = Some("4111111111111111");
        let tdes = TdesKey::new(&hex!("0123456789ABCDEFFEDCBA9876543210")).unwrap();
        let aes_key = AesKey::new(&[0x42; 32]).unwrap();
        let pin = Pin::new("98765432").unwrap();
        let zones = [
            PinZone::tdes(&tdes, PinFormat::Iso0).unwrap(),
            PinZone::tdes(&tdes, PinFormat::Iso1).unwrap(),
            PinZone::tdes(&tdes, PinFormat::Iso2).unwrap(),
            PinZone::tdes(&tdes, PinFormat::Iso3).unwrap(),
            PinZone::aes(&aes_key),
        ];
        let mut rng = Fill(1);
        for from in &zones {
            let block = encipher(&pin, from, pan, &mut rng).unwrap();
            for to in &zones {
                let out = translate(block.as_bytes(), from, to, pan, &mut rng).unwrap();
                assert_eq!(out.as_bytes().len(), to.block_len());
                assert!(decipher(out.as_bytes(), to, pan).unwrap().ct_eq(&pin));
            }
        }
        assert!(PinZone::tdes(&tdes, PinFormat::Iso4).is_err());
        assert!(decipher(&[0; 9], &zones[0], pan).is_err());
        // A block that does not decipher to a PIN block under the key is refused.
        assert!(translate(&[0; 8], &zones[2], &zones[0], pan, &mut rng).is_err());
        // Format 0 out of format 2 needs the PAN.
        let block = encipher(&pin, &zones[2], None, &mut rng).unwrap();
        assert_eq!(
            translate(block.as_bytes(), &zones[2], &zones[0], None, &mut rng)
                .map(|_| ())
                .unwrap_err()
                .kind(),
            ErrorKind::PanLength { len: 0 }
        );
        assert_eq!(
            format!("{:?}", EncipheredPin::Tdes([1; 8])),
            "EncipheredPin(8 bytes, ..)"
        );
    }
}
