//! China UnionPay working keys under SM4: the sign-in response's field 62 when the terminal
//! profile says SM4, and the choice between that layout and the TDES one of [`crate::cups`].
//!
//! **Field 62 under SM4.** The same shape as under TDES: each working key — PIN key (PIK),
//! MAC key (MAK) and, optionally, track data key (TDK) — is 16 bytes encrypted under the SM4
//! terminal master key (ECB, one block), followed by a 4-byte check value, the first 4 bytes
//! of the clear key encrypting a block of zeros. Two keys take 40 bytes, three take 60.
//!
//! Those are also the lengths of the double-length TDES layouts, so the bytes cannot tell
//! which cipher made them: the terminal's profile does. [`MasterKey`] carries that choice
//! (a TDES or an SM4 terminal master key) and [`MasterKey::open_field62`] reads field 62 the
//! way it says.
//!
//! **Field 53.** Its second digit is the encryption algorithm flag: `0` single DES and `6`
//! double-length TDES in the CUPS POS layout this project follows. No public CUPS document
//! available to the project gives the digit for SM4, so none is defined here; a terminal
//! takes it from its acquirer's specification.
//!
//! **Field 64 and the sign-in proof.** Under the SM4 profile ([`MacAlgorithm::Sm4CbcMac`])
//! field 64 is the first 8 bytes of the GB/T 15852.1 MAC algorithm 1 (SM4 CBC-MAC, padding
//! method 1) of the message ([`field64`]); a sign-in carries the same MAC under a key derived
//! from the SM4 master key ([`sign_in_key`]), as the TDES profile does with its own
//! ([`crate::cups::sign_in_key`]). [`AnyWorkingKeys`] and [`MasterKey`] pick the cipher
//! their profile says, so a terminal or host holds one value whichever profile it runs.

use rand_core::TryCryptoRng;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::mac::cbc_mac;
use super::sm4::{KEY_LEN, Sm4Key};
use crate::TdesKey;
use crate::cups::{CHECK_VALUE_LEN, MacAlgorithm, WorkingKey};
use crate::error::{Error, ErrorKind, Result};
use crate::mac::Padding;

/// Bytes of one field 62 entry: the encrypted key and its check value.
const ENTRY_LEN: usize = KEY_LEN + CHECK_VALUE_LEN;
// A check value is the first bytes of an SM4 block: `.get(..CHECK_VALUE_LEN)` of one is
// always there (checked here, when the crate is compiled).
const _: () = assert!(CHECK_VALUE_LEN <= super::sm4::BLOCK_LEN);

/// A parsed SM4 field 62: encrypted working keys and their check values, borrowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field62<'a> {
    data: &'a [u8],
    keys: usize,
}

/// The clear SM4 working keys of a sign-in response.
#[derive(Clone, Debug)]
pub struct WorkingKeys {
    /// PIN key.
    pub pin: Sm4Key,
    /// MAC key.
    pub mac: Sm4Key,
    /// Track data key, in the 60-byte layout.
    pub track: Option<Sm4Key>,
}

impl<'a> Field62<'a> {
    /// Checks the length: 40 bytes (PIK, MAK) or 60 (PIK, MAK, TDK). Nothing is decrypted.
    pub fn parse(data: &'a [u8]) -> Result<Self> {
        let keys = match data.len() {
            40 => 2,
            60 => 3,
            len => return Err(Error::at(ErrorKind::Length { len }, 0)),
        };
        Ok(Self { data, keys })
    }

    /// Whether the layout carries a track data key.
    pub fn has_track_key(&self) -> bool {
        self.keys == 3
    }

    /// The encrypted key and its check value for `which`, with the entry's offset.
    pub fn entry(&self, which: WorkingKey) -> Option<(usize, &'a [u8; KEY_LEN], &'a [u8])> {
        let index = match which {
            WorkingKey::Pin => 0,
            WorkingKey::Mac => 1,
            WorkingKey::Track => 2,
        };
        if index >= self.keys {
            return None;
        }
        let at = index * ENTRY_LEN;
        let entry = self.data.get(at..at + ENTRY_LEN)?;
        let (key, kcv) = entry.split_at(KEY_LEN);
        Some((at, <&[u8; KEY_LEN]>::try_from(key).ok()?, kcv))
    }

    /// Decrypts every key under the SM4 terminal master key and checks its check value (in
    /// constant time); a mismatch is [`ErrorKind::CheckValue`] at the check value's offset.
    pub fn decrypt(&self, tmk: &Sm4Key) -> Result<WorkingKeys> {
        let tmk = tmk.cipher();
        let open = |which| -> Result<Option<Sm4Key>> {
            let Some((at, encrypted, kcv)) = self.entry(which) else {
                return Ok(None);
            };
            let mut clear = Zeroizing::new(*encrypted);
            tmk.decrypt_block(&mut clear);
            let key = Sm4Key::new(clear.as_slice())?;
            let check = key.check_value();
            let matches = check
                .get(..CHECK_VALUE_LEN)
                .is_some_and(|c| bool::from(c.ct_eq(kcv)));
            if matches {
                Ok(Some(key))
            } else {
                Err(Error::at(ErrorKind::CheckValue, at + KEY_LEN))
            }
        };
        let missing = || {
            Error::at(
                ErrorKind::Length {
                    len: self.data.len(),
                },
                0,
            )
        };
        Ok(WorkingKeys {
            pin: open(WorkingKey::Pin)?.ok_or_else(missing)?,
            mac: open(WorkingKey::Mac)?.ok_or_else(missing)?,
            track: open(WorkingKey::Track)?,
        })
    }
}

/// Builds an SM4 field 62 (host side): each key encrypted under the terminal master key and
/// followed by its check value. Returns the length written to `out`, 40 or 60.
pub fn encrypt_field62(
    tmk: &Sm4Key,
    pin: &Sm4Key,
    mac: &Sm4Key,
    track: Option<&Sm4Key>,
    out: &mut [u8],
) -> Result<usize> {
    let keys = [Some(pin), Some(mac), track];
    let total = keys.iter().flatten().count() * ENTRY_LEN;
    let dst = out
        .get_mut(..total)
        .ok_or(Error::new(ErrorKind::BufferTooSmall))?;
    let cipher = tmk.cipher();
    for (entry, key) in dst.chunks_exact_mut(ENTRY_LEN).zip(keys.iter().flatten()) {
        let mut block = *key.expose();
        cipher.encrypt_block(&mut block);
        let check = key.check_value();
        let (enc, kcv) = entry.split_at_mut(KEY_LEN);
        enc.copy_from_slice(&block);
        kcv.copy_from_slice(check.get(..CHECK_VALUE_LEN).unwrap_or_default());
    }
    Ok(total)
}

/// Field 64 under the SM4 profile: the first 8 bytes of the SM4 CBC-MAC (GB/T 15852.1 MAC
/// algorithm 1, padding method 1) of `mab` under the MAK.
pub fn field64(mak: &Sm4Key, mab: &[u8]) -> [u8; 8] {
    let [a, b, c, d, e, f, g, h, ..] = cbc_mac(mak, mab, Padding::Method1);
    [a, b, c, d, e, f, g, h]
}

/// The key an SM4-profile terminal proves its sign-in with: the fixed derivation block
/// `CWSIGNINcwsignin` encrypted under the SM4 TMK (one SM4 block). The TMK itself only ever
/// encrypts keys; this key only MACs sign-ins.
pub fn sign_in_key(tmk: &Sm4Key) -> Sm4Key {
    let mut block = *b"CWSIGNINcwsignin";
    tmk.cipher().encrypt_block(&mut block);
    let key = Sm4Key::from_block(block);
    zeroize::Zeroize::zeroize(&mut block);
    key
}

/// A terminal master key of either profile: which cipher the working keys of field 62 are
/// under, and so how the field is read.
#[derive(Clone, Debug)]
pub enum MasterKey {
    /// The TDES profile (single, double or triple length).
    Tdes(TdesKey),
    /// The SM4 profile.
    Sm4(Sm4Key),
}

/// The clear working keys of either profile.
#[derive(Clone, Debug)]
pub enum AnyWorkingKeys {
    /// Under the TDES profile.
    Tdes(crate::cups::WorkingKeys),
    /// Under the SM4 profile.
    Sm4(WorkingKeys),
}

impl MasterKey {
    /// The master key of `algorithm` (`"tdes"` or `"sm4"`, [`Self::algorithm`]) from its
    /// bytes: how a key store that keeps the algorithm beside the bytes reads one back.
    ///
    /// # Errors
    /// [`ErrorKind::KeyUsage`] for another algorithm name; the key's own length errors.
    pub fn from_parts(algorithm: &str, bytes: &[u8]) -> Result<Self> {
        match algorithm {
            "tdes" => TdesKey::new(bytes).map(Self::Tdes),
            "sm4" => Sm4Key::new(bytes).map(Self::Sm4),
            _ => Err(ErrorKind::KeyUsage.into()),
        }
    }

    /// The cipher's name as stored beside the key: `"tdes"` or `"sm4"`.
    pub fn algorithm(&self) -> &'static str {
        match self {
            Self::Tdes(_) => "tdes",
            Self::Sm4(_) => "sm4",
        }
    }

    /// The key's bytes, to wrap under a KEK. They are secret: do not log them.
    pub fn expose(&self) -> &[u8] {
        match self {
            Self::Tdes(k) => k.expose(),
            Self::Sm4(k) => k.expose(),
        }
    }

    /// Whether this is an SM4 master key.
    pub fn is_sm4(&self) -> bool {
        matches!(self, Self::Sm4(_))
    }

    /// Whether this master key is of the cipher `algorithm`'s profile uses.
    pub fn suits(&self, algorithm: MacAlgorithm) -> bool {
        self.is_sm4() == algorithm.is_sm4()
    }

    /// The sign-in proof of field 64 over `mab`: under the TDES profile
    /// [`crate::cups::sign_in_proof`], under SM4 [`field64`] with [`sign_in_key`].
    ///
    /// # Errors
    /// As [`crate::cups::sign_in_proof`].
    pub fn sign_in_proof(&self, mab: &[u8]) -> Result<[u8; 8]> {
        match self {
            Self::Tdes(tmk) => crate::cups::sign_in_proof(tmk, mab),
            Self::Sm4(tmk) => Ok(field64(&sign_in_key(tmk), mab)),
        }
    }

    /// Verifies a received sign-in proof in constant time.
    ///
    /// # Errors
    /// [`ErrorKind::Verification`]; as [`Self::sign_in_proof`].
    pub fn verify_sign_in_proof(&self, mab: &[u8], received: &[u8]) -> Result<()> {
        crate::mac::verify_whole(&self.sign_in_proof(mab)?, received)
    }

    /// Draws fresh SM4 working keys (PIK, MAK, TDK) and writes them as field 62 under this
    /// SM4 master key (host side); returns the keys and the length written (60).
    ///
    /// # Errors
    /// [`ErrorKind::KeyUsage`] for a TDES master key (its host draws TDES keys with
    /// [`crate::cups::encrypt_field62`]); [`ErrorKind::Random`]; [`ErrorKind::BufferTooSmall`].
    pub fn issue_sm4_keys<R: TryCryptoRng + ?Sized>(
        &self,
        rng: &mut R,
        out: &mut [u8],
    ) -> Result<(WorkingKeys, usize)> {
        let Self::Sm4(tmk) = self else {
            return Err(ErrorKind::KeyUsage.into());
        };
        let keys = WorkingKeys {
            pin: Sm4Key::generate(rng)?,
            mac: Sm4Key::generate(rng)?,
            track: Some(Sm4Key::generate(rng)?),
        };
        let n = encrypt_field62(tmk, &keys.pin, &keys.mac, keys.track.as_ref(), out)?;
        Ok((keys, n))
    }

    /// Reads a sign-in response's field 62 the way this master key's profile says, and
    /// checks every check value.
    pub fn open_field62(&self, data: &[u8]) -> Result<AnyWorkingKeys> {
        match self {
            Self::Tdes(tmk) => crate::cups::Field62::parse(data)?
                .decrypt(tmk)
                .map(AnyWorkingKeys::Tdes),
            Self::Sm4(tmk) => Field62::parse(data)?.decrypt(tmk).map(AnyWorkingKeys::Sm4),
        }
    }
}

impl AnyWorkingKeys {
    /// Whether these are SM4 working keys.
    pub fn is_sm4(&self) -> bool {
        matches!(self, Self::Sm4(_))
    }

    /// The track data key (TDK) that enciphers fields 35 and 36 ([`crate::track`]), when the
    /// sign-in issued one.
    pub fn track_key(&self) -> Option<crate::track::TrackKey<'_>> {
        match self {
            Self::Tdes(keys) => keys.track.as_ref().map(crate::track::TrackKey::Tdes),
            Self::Sm4(keys) => keys.track.as_ref().map(crate::track::TrackKey::Sm4),
        }
    }

    /// Field 64 of `mab` under the MAK by `algorithm`.
    ///
    /// # Errors
    /// [`ErrorKind::KeyUsage`] when the algorithm is not of these keys' cipher (an SM4 MAC
    /// with TDES keys or the other way round); as [`MacAlgorithm::field64`].
    pub fn field64(&self, algorithm: MacAlgorithm, mab: &[u8]) -> Result<[u8; 8]> {
        match self {
            Self::Tdes(keys) if !algorithm.is_sm4() => algorithm.field64(&keys.mac, mab),
            Self::Sm4(keys) if algorithm.is_sm4() => Ok(field64(&keys.mac, mab)),
            _ => Err(ErrorKind::KeyUsage.into()),
        }
    }

    /// Verifies a received field 64 in constant time.
    ///
    /// # Errors
    /// [`ErrorKind::Verification`]; as [`Self::field64`].
    pub fn verify_field64(
        &self,
        algorithm: MacAlgorithm,
        mab: &[u8],
        received: &[u8],
    ) -> Result<()> {
        crate::mac::verify_whole(&self.field64(algorithm, mab)?, received)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Distinct bytes, for keys that must differ.

    #[test]
    fn lengths_outside_the_layouts_are_rejected() {
        for len in [0, 20, 24, 39, 41, 56, 59, 84] {
            let data = vec![0u8; len];
            assert_eq!(
                Field62::parse(&data).unwrap_err().kind(),
                ErrorKind::Length { len }
            );
        }
    }

    #[test]
    fn encrypt_then_decrypt_and_catch_a_wrong_check_value() {
        let tmk = Sm4Key::new(&[0x11; 16]).unwrap();
        let pin = Sm4Key::new(&[0x23; 16]).unwrap();
        let mac = Sm4Key::new(&[0x45; 16]).unwrap();
        let track = Sm4Key::new(&[0x67; 16]).unwrap();
        for with_track in [false, true] {
            let mut buf = [0u8; 60];
            let n =
                encrypt_field62(&tmk, &pin, &mac, with_track.then_some(&track), &mut buf).unwrap();
            assert_eq!(n, if with_track { 60 } else { 40 });
            let keys = Field62::parse(&buf[..n]).unwrap().decrypt(&tmk).unwrap();
            assert!(keys.pin.ct_eq(&pin) && keys.mac.ct_eq(&mac));
            assert_eq!(keys.track.is_some(), with_track);
            for at in [16, 36] {
                let mut bad = buf;
                bad[at + 2] ^= 1;
                let err = Field62::parse(&bad[..n])
                    .unwrap()
                    .decrypt(&tmk)
                    .unwrap_err();
                assert_eq!(
                    (err.kind(), err.offset()),
                    (ErrorKind::CheckValue, Some(at))
                );
            }
        }
        assert_eq!(
            encrypt_field62(&tmk, &pin, &mac, None, &mut [0u8; 39])
                .unwrap_err()
                .kind(),
            ErrorKind::BufferTooSmall
        );
    }

    #[test]
    fn the_sm4_mac_and_sign_in_proof_need_sm4_keys() {
        let tmk = MasterKey::Sm4(Sm4Key::new(&[0x11; 16]).unwrap());
        let mut buf = [0u8; 60];
        let mut rng = crate::test_rng::Steps { last: 1, step: 1 };
        let (keys, n) = tmk.issue_sm4_keys(&mut rng, &mut buf).unwrap();
        assert_eq!(n, 60);
        let opened = tmk.open_field62(&buf).unwrap();
        let mab = b"0200 an SM4 purchase";
        let mac = opened.field64(MacAlgorithm::Sm4CbcMac, mab).unwrap();
        assert_eq!(mac, field64(&keys.mac, mab));
        assert!(
            opened
                .verify_field64(MacAlgorithm::Sm4CbcMac, mab, &mac)
                .is_ok()
        );
        let mut forged = mac;
        forged[7] ^= 1;
        assert_eq!(
            opened
                .verify_field64(MacAlgorithm::Sm4CbcMac, mab, &forged)
                .unwrap_err()
                .kind(),
            ErrorKind::Verification
        );
        // A TDES algorithm with SM4 keys, or a TDES master key issuing SM4 keys: refused.
        assert_eq!(
            opened
                .field64(MacAlgorithm::RetailX919, mab)
                .unwrap_err()
                .kind(),
            ErrorKind::KeyUsage
        );
        let tdes = MasterKey::Tdes(TdesKey::new(&[0x11; 16]).unwrap());
        assert!(tdes.issue_sm4_keys(&mut rng, &mut buf).is_err());
        assert!(!tdes.suits(MacAlgorithm::Sm4CbcMac) && tmk.suits(MacAlgorithm::Sm4CbcMac));
        // The sign-in proof: under the key derived from the TMK, not the TMK itself, and
        // another TMK's proof fails.
        let proof = tmk.sign_in_proof(mab).unwrap();
        assert!(tmk.verify_sign_in_proof(mab, &proof).is_ok());
        let MasterKey::Sm4(raw) = &tmk else {
            unreachable!()
        };
        assert_ne!(proof, field64(raw, mab));
        let other = MasterKey::Sm4(Sm4Key::new(&[0x12; 16]).unwrap());
        assert!(other.verify_sign_in_proof(mab, &proof).is_err());
    }

    #[test]
    fn the_profile_decides_how_the_same_length_is_read() {
        let sm4 = Sm4Key::new(&[0x11; 16]).unwrap();
        let keys = [
            Sm4Key::new(&[1; 16]).unwrap(),
            Sm4Key::new(&[2; 16]).unwrap(),
        ];
        let mut buf = [0u8; 40];
        let n = encrypt_field62(&sm4, &keys[0], &keys[1], None, &mut buf).unwrap();
        let opened = MasterKey::Sm4(sm4).open_field62(&buf[..n]).unwrap();
        assert!(matches!(opened, AnyWorkingKeys::Sm4(k) if k.mac.ct_eq(&keys[1])));
        // The same 40 bytes under a TDES master key of the same bytes: the check values fail.
        let tdes = MasterKey::Tdes(TdesKey::new(&[0x11; 16]).unwrap());
        assert_eq!(
            tdes.open_field62(&buf[..n]).unwrap_err().kind(),
            ErrorKind::CheckValue
        );
    }
}
