//! China UnionPay (CUPS) POS specifics: the working keys a sign-in response carries in field
//! 62, and the "ECB" MAC of field 64.
//!
//! **Field 62.** The host sends each working key (PIN key PIK, MAC key MAK, and optionally
//! the track data key TDK) encrypted under the terminal master key (TMK) with TDES-ECB, each
//! followed by a 4-byte check value: the first 4 bytes of the clear key encrypting a block of
//! zeros. The allowed lengths are 24 (single-length PIK and MAK), 40 (double-length), 56
//! (triple-length), 60 (double-length PIK, MAK and TDK) and 84 bytes (triple-length with TDK).
//! [`Field62::parse`] is a view over the bytes; [`Field62::decrypt`] decrypts and checks
//! every key, rejecting a wrong check value with [`ErrorKind::CheckValue`] at its offset.
//!
//! **MAC.** The MAC block (MAB) is the message from the MTI through field 63. Its 8-byte
//! blocks (the last zero-padded) are XORed together; the result is written as 16 upper-case
//! hex characters; the first 8 characters are encrypted under the MAK, XORed with the last 8,
//! encrypted again; field 64 is the first 8 hex characters of that result, as ASCII.
//! With a double-length MAK each encryption is TDES (some acquirers' choice).

use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::error::{Error, ErrorKind, Result};
use crate::key::TdesKey;

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

/// A parsed field 62 of a sign-in response: encrypted keys and their check values, borrowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field62<'a> {
    data: &'a [u8],
    key_len: usize,
    keys: usize,
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

impl<'a> Field62<'a> {
    /// Checks the length against the allowed layouts; nothing is decrypted yet.
    pub fn parse(data: &'a [u8]) -> Result<Self> {
        let (key_len, keys) = match data.len() {
            24 => (8, 2),
            40 => (16, 2),
            56 => (24, 2),
            60 => (16, 3),
            84 => (24, 3),
            len => return Err(Error::at(ErrorKind::Length { len }, 0)),
        };
        Ok(Self {
            data,
            key_len,
            keys,
        })
    }

    /// Length of each key: 8, 16 or 24 bytes.
    pub fn key_len(&self) -> usize {
        self.key_len
    }

    /// Whether the layout carries a track data key.
    pub fn has_track_key(&self) -> bool {
        self.keys == 3
    }

    /// The encrypted key and its check value for `which`, with the key's offset in the field.
    pub fn entry(&self, which: WorkingKey) -> Option<(usize, &'a [u8], &'a [u8])> {
        let index = match which {
            WorkingKey::Pin => 0,
            WorkingKey::Mac => 1,
            WorkingKey::Track => 2,
        };
        if index >= self.keys {
            return None;
        }
        let at = index * (self.key_len + CHECK_VALUE_LEN);
        let key = self.data.get(at..at + self.key_len)?;
        let kcv = self
            .data
            .get(at + self.key_len..at + self.key_len + CHECK_VALUE_LEN)?;
        Some((at, key, kcv))
    }

    /// Decrypts every key under the terminal master key and checks its check value.
    pub fn decrypt(&self, tmk: &TdesKey) -> Result<WorkingKeys> {
        let tmk = tmk.cipher();
        let open = |which| -> Result<Option<TdesKey>> {
            let Some((at, encrypted, kcv)) = self.entry(which) else {
                return Ok(None);
            };
            let mut clear = Zeroizing::new([0u8; 24]);
            let clear = clear.get_mut(..encrypted.len()).unwrap_or_default();
            clear.copy_from_slice(encrypted);
            tmk.decrypt_ecb(clear)?;
            let key = TdesKey::new(clear)?;
            let computed = key.check_value();
            let matches = computed
                .get(..CHECK_VALUE_LEN)
                .is_some_and(|c| bool::from(c.ct_eq(kcv)));
            if matches {
                Ok(Some(key))
            } else {
                Err(Error::at(ErrorKind::CheckValue, at + encrypted.len()))
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

/// Builds field 62 (host side): each key encrypted under the TMK and followed by its check
/// value. All keys must have the same length. Returns the length written to `out`.
pub fn encrypt_field62(
    tmk: &TdesKey,
    pin: &TdesKey,
    mac: &TdesKey,
    track: Option<&TdesKey>,
    out: &mut [u8],
) -> Result<usize> {
    let key_len = pin.len();
    let keys = [Some(pin), Some(mac), track];
    let count = keys.iter().flatten().count();
    let total = count * (key_len + CHECK_VALUE_LEN);
    for key in keys.iter().flatten() {
        if key.len() != key_len {
            return Err(ErrorKind::KeyLength { len: key.len() }.into());
        }
    }
    let allowed = matches!((key_len, count), (8 | 16 | 24, 2) | (16 | 24, 3));
    if !allowed {
        return Err(ErrorKind::Length { len: total }.into());
    }
    let dst = out
        .get_mut(..total)
        .ok_or(Error::new(ErrorKind::BufferTooSmall))?;
    let cipher = tmk.cipher();
    for (entry, key) in dst
        .chunks_exact_mut(key_len + CHECK_VALUE_LEN)
        .zip(keys.iter().flatten())
    {
        let (enc, kcv) = entry.split_at_mut(key_len);
        enc.copy_from_slice(key.expose());
        cipher.encrypt_ecb(enc)?;
        let check = key.check_value();
        kcv.copy_from_slice(check.get(..CHECK_VALUE_LEN).unwrap_or_default());
    }
    Ok(total)
}

/// The intermediate values of the CUPS "ECB" MAC, for comparing with a host or a terminal
/// vendor's trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EcbMacSteps {
    /// XOR of all 8-byte blocks of the zero-padded MAB.
    pub xor_of_blocks: [u8; 8],
    /// The first 8 hex characters of that, encrypted under the MAK.
    pub first_encryption: [u8; 8],
    /// That, XORed with the last 8 hex characters.
    pub xor: [u8; 8],
    /// That, encrypted under the MAK: the full MAC.
    pub final_encryption: [u8; 8],
}

/// Every step of the CUPS "ECB" MAC of `mab` under `mak`.
pub fn ecb_mac_steps(mak: &TdesKey, mab: &[u8]) -> EcbMacSteps {
    let mut acc = [0u8; 8];
    for chunk in mab.chunks(8) {
        for (a, b) in acc.iter_mut().zip(chunk) {
            *a ^= b;
        }
    }
    let hex = hex_upper(&acc);
    let (left, right) = hex.split_at(8);
    let cipher = mak.cipher();
    let mut first = [0u8; 8];
    first.copy_from_slice(left);
    cipher.encrypt_block(&mut first);
    let mut xored = first;
    for (x, r) in xored.iter_mut().zip(right) {
        *x ^= r;
    }
    let mut last = xored;
    cipher.encrypt_block(&mut last);
    EcbMacSteps {
        xor_of_blocks: acc,
        first_encryption: first,
        xor: xored,
        final_encryption: last,
    }
}

/// The full CUPS "ECB" MAC (8 bytes) of `mab`.
pub fn ecb_mac(mak: &TdesKey, mab: &[u8]) -> [u8; 8] {
    ecb_mac_steps(mak, mab).final_encryption
}

/// Field 64 for `mab`: the first 4 bytes of the MAC as 8 ASCII hex characters.
pub fn field64(mak: &TdesKey, mab: &[u8]) -> [u8; 8] {
    let full = hex_upper(&ecb_mac(mak, mab));
    let mut out = [0u8; 8];
    out.copy_from_slice(full.get(..8).unwrap_or_default());
    out
}

/// Verifies a received field 64 against `mab` in constant time.
pub fn verify_field64(mak: &TdesKey, mab: &[u8], received: &[u8]) -> Result<()> {
    if bool::from(field64(mak, mab).ct_eq(received)) {
        Ok(())
    } else {
        Err(ErrorKind::Verification.into())
    }
}

fn hex_upper(bytes: &[u8; 8]) -> [u8; 16] {
    let mut out = [0u8; 16];
    crate::hex::encode(bytes, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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
    }
}
