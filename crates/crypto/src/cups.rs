//! China UnionPay (CUPS) POS specifics: the working keys a sign-in response carries in field
//! 62, and field 64 built from the "ECB" MAC ([`crate::mac::cups`]).
//!
//! **Field 62.** The host sends each working key (PIN key PIK, MAC key MAK, and optionally
//! the track data key TDK) encrypted under the terminal master key (TMK) with TDES-ECB, each
//! followed by a 4-byte check value: the first 4 bytes of the clear key encrypting a block of
//! zeros. The allowed lengths are 24 (single-length PIK and MAK), 40 (double-length), 56
//! (triple-length), 60 (double-length PIK, MAK and TDK) and 84 bytes (triple-length with TDK).
//! [`Field62::parse`] is a view over the bytes; [`Field62::decrypt`] decrypts and checks
//! every key, rejecting a wrong check value with [`ErrorKind::CheckValue`] at its offset.
//!
//! **Field 64.** The first 8 hex characters of the "ECB" MAC of the message from the MTI
//! through field 63, as ASCII ([`field64`], [`verify_field64`]). That MAC is linear (an XOR of
//! the message's blocks): two equal bit flips at the same offset modulo 8 cancel, so anyone
//! can change a field and compensate in another. [`MacAlgorithm`] lets a terminal profile use
//! ISO/IEC 9797-1 MAC algorithm 3 (ANSI X9.19 retail MAC) instead; the ECB MAC stays only for
//! terminals declared legacy.
//!
//! **Sign-in proof.** A sign-in (0800) carries field 64 too: the retail MAC of its message
//! under a key derived from the terminal master key ([`sign_in_key`]), which only the device
//! loaded with that TMK holds.

use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::error::{Error, ErrorKind, Result};
use crate::key::{TdesKey, TdesKeyLength};
use crate::mac::cups::{ecb_mac, hex_upper};
use crate::mac::{Padding, retail_mac};

/// Length of the check value after each key in field 62.
pub const CHECK_VALUE_LEN: usize = 4;

/// Which working key of field 62.
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorkingKey {
    /// PIN encryption key (PIK).
    Pin,
    /// MAC key (MAK).
    Mac,
    /// Track data encryption key (TDK).
    Track,
}

impl WorkingKey {
    /// Position in field 62.
    const fn index(self) -> usize {
        match self {
            Self::Pin => 0,
            Self::Mac => 1,
            Self::Track => 2,
        }
    }
}

/// A parsed field 62 of a sign-in response: encrypted keys and their check values, borrowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field62<'a> {
    data: &'a [u8],
    key_len: TdesKeyLength,
    with_track_key: bool,
}

/// The clear working keys of a sign-in response.
#[derive(Clone, Debug)]
pub struct WorkingKeys {
    /// PIN encryption key.
    pub pin: TdesKey,
    /// MAC key.
    pub mac: TdesKey,
    /// Track data key, in the 60- and 84-byte layouts.
    pub track: Option<TdesKey>,
}

/// The layouts of field 62: key length and whether a track key follows.
const fn layout(len: usize) -> Option<(TdesKeyLength, bool)> {
    match len {
        24 => Some((TdesKeyLength::Single, false)),
        40 => Some((TdesKeyLength::Double, false)),
        56 => Some((TdesKeyLength::Triple, false)),
        60 => Some((TdesKeyLength::Double, true)),
        84 => Some((TdesKeyLength::Triple, true)),
        _ => None,
    }
}

impl<'a> Field62<'a> {
    /// Checks the length against the allowed layouts; nothing is decrypted yet.
    pub fn parse(data: &'a [u8]) -> Result<Self> {
        let (key_len, with_track_key) =
            layout(data.len()).ok_or(Error::at(ErrorKind::Length { len: data.len() }, 0))?;
        Ok(Self {
            data,
            key_len,
            with_track_key,
        })
    }

    /// Length of each key: 8, 16 or 24 bytes.
    pub fn key_len(&self) -> usize {
        self.key_len.bytes()
    }

    /// Whether the layout carries a track data key.
    pub fn has_track_key(&self) -> bool {
        self.with_track_key
    }

    /// The encrypted key and its check value for `which`, with the key's offset in the field.
    pub fn entry(&self, which: WorkingKey) -> Option<(usize, &'a [u8], &'a [u8])> {
        if which == WorkingKey::Track && !self.with_track_key {
            return None;
        }
        let n = self.key_len.bytes();
        let at = which.index() * (n + CHECK_VALUE_LEN);
        let (key, rest) = self.data.get(at..)?.split_at_checked(n)?;
        let kcv = rest.get(..CHECK_VALUE_LEN)?;
        Some((at, key, kcv))
    }

    /// Decrypts one key under the expanded TMK and checks its check value.
    fn open(&self, tmk: &crate::block::TdesCipher, which: WorkingKey) -> Result<Option<TdesKey>> {
        let Some((at, encrypted, kcv)) = self.entry(which) else {
            return Ok(None);
        };
        let mut buf = Zeroizing::new([0u8; 24]);
        let clear = buf.split_at_mut(encrypted.len()).0;
        clear.copy_from_slice(encrypted);
        tmk.decrypt_ecb(clear)?;
        let key = TdesKey::new(clear)?;
        let [a, b, c, d, ..] = key.check_value();
        if bool::from([a, b, c, d].ct_eq(kcv)) {
            Ok(Some(key))
        } else {
            Err(Error::at(ErrorKind::CheckValue, at + encrypted.len()))
        }
    }

    /// Decrypts every key under the terminal master key and checks its check value.
    pub fn decrypt(&self, tmk: &TdesKey) -> Result<WorkingKeys> {
        let tmk = tmk.cipher();
        // Every layout holds a PIN and a MAC key; `entry` returns `None` only for the track
        // key of a layout without one.
        let missing = || {
            Error::at(
                ErrorKind::Length {
                    len: self.data.len(),
                },
                0,
            )
        };
        Ok(WorkingKeys {
            pin: self.open(&tmk, WorkingKey::Pin)?.ok_or_else(missing)?,
            mac: self.open(&tmk, WorkingKey::Mac)?.ok_or_else(missing)?,
            track: self.open(&tmk, WorkingKey::Track)?,
        })
    }
}

/// Builds field 62 (host side): each key encrypted under the TMK and followed by its check
/// value. All keys must have the same length. Returns the length written to `out`.
pub fn encrypt_field62(
    tmk: &TdesKey,
    pin: &TdesKey,
    mac: &TdesKey,
    track: Option<&TdesKey>,
    out: &mut [u8],
) -> Result<usize> {
    let key_len = pin.key_length();
    let keys = [Some(pin), Some(mac), track];
    for key in keys.iter().flatten() {
        if key.key_length() != key_len {
            return Err(ErrorKind::KeyLength { len: key.len() }.into());
        }
    }
    let count = keys.iter().flatten().count();
    let total = count * (key_len.bytes() + CHECK_VALUE_LEN);
    if layout(total) != Some((key_len, track.is_some())) {
        return Err(ErrorKind::Length { len: total }.into());
    }
    let dst = out
        .get_mut(..total)
        .ok_or(Error::new(ErrorKind::BufferTooSmall))?;
    let cipher = tmk.cipher();
    for (entry, key) in dst
        .chunks_exact_mut(key_len.bytes() + CHECK_VALUE_LEN)
        .zip(keys.iter().flatten())
    {
        let (enc, kcv) = entry.split_at_mut(key_len.bytes());
        enc.copy_from_slice(key.expose());
        cipher.encrypt_ecb(enc)?;
        let [a, b, c, d, ..] = key.check_value();
        crate::buf::copy_prefix(kcv, &[a, b, c, d]);
    }
    Ok(total)
}

/// Field 64 for `mab`: the first 4 bytes of the "ECB" MAC as 8 ASCII hex characters.
pub fn field64(mak: &TdesKey, mab: &[u8]) -> [u8; 8] {
    field64_of_ecb(&ecb_mac(mak, mab))
}

/// Field 64 from the full "ECB" MAC: its first 4 bytes as 8 ASCII hex characters.
pub(crate) fn field64_of_ecb(mac: &[u8; 8]) -> [u8; 8] {
    let [a, b, c, d, e, f, g, h, ..] = hex_upper(mac);
    [a, b, c, d, e, f, g, h]
}

/// Verifies a received field 64 against `mab` in constant time.
pub fn verify_field64(mak: &TdesKey, mab: &[u8], received: &[u8]) -> Result<()> {
    crate::mac::verify_whole(&field64(mak, mab), received)
}

/// How field 64 is computed and checked: part of a terminal's profile, the same on both ends.
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MacAlgorithm {
    /// ISO/IEC 9797-1 MAC algorithm 3 (ANSI X9.19 retail MAC), padding method 1, under a
    /// double-length MAK; field 64 carries all 8 bytes. For every new terminal profile.
    RetailX919,
    /// The CUPS "ECB" MAC ([`field64`]). **Weak**: an XOR of the message blocks, so a flip in
    /// one field compensated by the same flip in another at the same offset modulo 8 keeps
    /// it valid. Only for terminals declared legacy, whose hosts must check every field
    /// against the others and the profile.
    CupsEcbLegacy,
    /// GB/T 15852.1 (ISO/IEC 9797-1) MAC algorithm 1 with SM4, padding method 1, under a
    /// 16-byte SM4 MAK; field 64 carries the first 8 bytes of the 16-byte MAC. The MAC of
    /// the SM4 profile, whose working keys are SM4 ([`crate::sm::cups`]): computed with
    /// [`crate::sm::cups::AnyWorkingKeys::field64`], never under a TDES key.
    Sm4CbcMac,
}

impl MacAlgorithm {
    /// The name in configuration files: `retail-x9.19`, `cups-ecb-legacy` or `sm4-cbc-mac`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::RetailX919 => "retail-x9.19",
            Self::CupsEcbLegacy => "cups-ecb-legacy",
            Self::Sm4CbcMac => "sm4-cbc-mac",
        }
    }

    /// The algorithm of a configuration name ([`Self::name`]).
    pub fn from_name(name: &str) -> Option<Self> {
        [Self::RetailX919, Self::CupsEcbLegacy, Self::Sm4CbcMac]
            .into_iter()
            .find(|a| a.name() == name)
    }

    /// Whether the profile's keys are SM4 (terminal master key, working keys, PIN block):
    /// the MAC algorithm names the profile's cipher, since a profile never mixes them.
    pub const fn is_sm4(self) -> bool {
        matches!(self, Self::Sm4CbcMac)
    }

    /// Field 64 of `mab` under a TDES `mak`.
    ///
    /// # Errors
    /// [`ErrorKind::KeyLength`] for a MAK that is not double-length under the retail MAC;
    /// [`ErrorKind::KeyUsage`] for [`Self::Sm4CbcMac`], whose MAK is an SM4 key
    /// ([`crate::sm::cups::AnyWorkingKeys::field64`]).
    pub fn field64(self, mak: &TdesKey, mab: &[u8]) -> Result<[u8; 8]> {
        match self {
            Self::RetailX919 => retail_mac(mak, mab, Padding::Method1),
            Self::CupsEcbLegacy => Ok(field64(mak, mab)),
            Self::Sm4CbcMac => Err(ErrorKind::KeyUsage.into()),
        }
    }

    /// Verifies a received field 64 in constant time.
    ///
    /// # Errors
    /// [`ErrorKind::Verification`]; [`ErrorKind::KeyLength`] as [`Self::field64`].
    pub fn verify_field64(self, mak: &TdesKey, mab: &[u8], received: &[u8]) -> Result<()> {
        crate::mac::verify_whole(&self.field64(mak, mab)?, received)
    }
}

/// The key a terminal proves its sign-in with: two blocks of fixed derivation data encrypted
/// under the TMK (TDES-ECB), as a double-length key with odd parity. The TMK itself only
/// ever encrypts keys; this key only MACs sign-ins.
///
/// # Errors
/// [`ErrorKind::KeyLength`] for a single-length TMK.
pub fn sign_in_key(tmk: &TdesKey) -> Result<TdesKey> {
    if tmk.key_length() == TdesKeyLength::Single {
        return Err(ErrorKind::KeyLength { len: tmk.len() }.into());
    }
    let mut data = Zeroizing::new(*b"CWSIGNINcwsignin");
    tmk.cipher().encrypt_ecb(data.as_mut_slice())?;
    Ok(TdesKey::new(data.as_slice())?.with_odd_parity())
}

/// The sign-in proof of field 64: the retail MAC of `mab` under [`sign_in_key`].
///
/// # Errors
/// As [`sign_in_key`].
pub fn sign_in_proof(tmk: &TdesKey, mab: &[u8]) -> Result<[u8; 8]> {
    MacAlgorithm::RetailX919.field64(&sign_in_key(tmk)?, mab)
}

/// Verifies a received sign-in proof in constant time.
///
/// # Errors
/// [`ErrorKind::Verification`]; as [`sign_in_key`].
pub fn verify_sign_in_proof(tmk: &TdesKey, mab: &[u8], received: &[u8]) -> Result<()> {
    MacAlgorithm::RetailX919.verify_field64(&sign_in_key(tmk)?, mab, received)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_compensated_flip_keeps_only_the_legacy_mac() {
        let mak = TdesKey::new(&[0x13; 16]).unwrap().with_odd_parity();
        let mab: [u8; 40] = core::array::from_fn(|i| u8::try_from(i).unwrap());
        let mut forged = mab;
        forged[3] ^= 0x10;
        forged[3 + 16] ^= 0x10;
        for (algorithm, keeps) in [
            (MacAlgorithm::CupsEcbLegacy, true),
            (MacAlgorithm::RetailX919, false),
        ] {
            let mac = algorithm.field64(&mak, &mab).unwrap();
            assert_eq!(
                algorithm.verify_field64(&mak, &forged, &mac).is_ok(),
                keeps,
                "{algorithm:?}"
            );
            assert_eq!(MacAlgorithm::from_name(algorithm.name()), Some(algorithm));
        }
    }

    #[test]
    fn the_sign_in_proof_depends_on_the_tmk() {
        let a = TdesKey::new(&[0x11; 16]).unwrap();
        let b = TdesKey::new(&[0x22; 16]).unwrap();
        let proof = sign_in_proof(&a, b"0800 sign-in").unwrap();
        assert_ne!(proof, sign_in_proof(&b, b"0800 sign-in").unwrap());
        assert_ne!(proof, sign_in_proof(&a, b"0800 sign-im").unwrap());
        assert!(sign_in_proof(&TdesKey::new(&[0x11; 8]).unwrap(), b"x").is_err());
    }

    #[test]
    fn lengths_outside_the_layouts_are_rejected() {
        for len in [0, 12, 23, 32, 48, 61, 100] {
            let data = vec![0u8; len];
            assert_eq!(
                Field62::parse(&data).unwrap_err().kind(),
                ErrorKind::Length { len }
            );
        }
    }

    #[test]
    fn encrypt_then_decrypt_every_layout() {
        let tmk = TdesKey::new(&[0x11; 16]).unwrap();
        for (key_len, with_track) in [(8, false), (16, false), (24, false), (16, true), (24, true)]
        {
            let pin = TdesKey::new(&vec![0x23; key_len]).unwrap();
            let mac = TdesKey::new(&vec![0x45; key_len]).unwrap();
            let track = TdesKey::new(&vec![0x67; key_len]).unwrap();
            let mut buf = [0u8; 84];
            let n =
                encrypt_field62(&tmk, &pin, &mac, with_track.then_some(&track), &mut buf).unwrap();
            let keys = Field62::parse(&buf[..n]).unwrap().decrypt(&tmk).unwrap();
            assert!(keys.pin.ct_eq(&pin) && keys.mac.ct_eq(&mac));
            assert_eq!(keys.track.is_some(), with_track);
            // A flipped check value byte is caught, at the check value's offset.
            buf[key_len] ^= 1;
            let err = Field62::parse(&buf[..n])
                .unwrap()
                .decrypt(&tmk)
                .unwrap_err();
            assert_eq!(
                (err.kind(), err.offset()),
                (ErrorKind::CheckValue, Some(key_len))
            );
        }
        // Single-length keys with a track key is no layout.
        let single = TdesKey::new(&[0x23; 8]).unwrap();
        assert!(encrypt_field62(&tmk, &single, &single, Some(&single), &mut [0; 84]).is_err());
    }
}
