//! A terminal session's working keys with their key schedules expanded once.
//!
//! A host verifies every request's MAC and MACs every reply under the session's MAK, and
//! deciphers PIN blocks under its PIK; [`AnyWorkingKeys`] expands the key schedule again at
//! each of those operations. [`SessionCiphers`] is opened once, when the session's keys are
//! (sign-in, or a session read back from the ledger), and gives the same values: the one-shot
//! functions stay the reference, and the tests check both agree.

use super::cups::AnyWorkingKeys;
use super::mac::Sm4CbcMacKey;
use super::sm4::Sm4Cipher;
use crate::block::TdesCipher;
use crate::cups::MacAlgorithm;
use crate::error::{ErrorKind, Result};
use crate::mac::cups::ecb_mac_with;
use crate::mac::{Padding, RetailMacKey};

/// The PIN key of a session, expanded: TDES (format 0 blocks) or SM4 (format 4 blocks).
#[derive(Clone, Copy, Debug)]
pub enum PinCipher<'a> {
    /// A TDES PIK: [`crate::pin::PinBlock::decipher_with`].
    Tdes(&'a TdesCipher),
    /// An SM4 PIK: [`super::pin::decipher_with`].
    Sm4(&'a Sm4Cipher),
}

/// The expanded ciphers of the session's MAK and PIK.
// One per session, held in place: `no_std` without `alloc` has no box for the TDES one.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
enum Expanded {
    Tdes {
        /// The MAK as a block cipher, for the CUPS "ECB" MAC.
        mak: TdesCipher,
        /// The MAK for the X9.19 retail MAC; `None` when it is not double-length (the
        /// retail MAC refuses it).
        retail: Option<RetailMacKey>,
        pik: TdesCipher,
    },
    Sm4 {
        mak: Sm4CbcMacKey,
        pik: Sm4Cipher,
    },
}

/// Working keys with the MAK's and the PIK's key schedules expanded once. Debug shows no
/// key material (the keys' and the ciphers' Debug are masked); everything is wiped on drop.
#[derive(Clone, Debug)]
pub struct SessionCiphers {
    keys: AnyWorkingKeys,
    expanded: Expanded,
}

impl SessionCiphers {
    /// Expands the MAK's and the PIK's schedules.
    pub fn new(keys: AnyWorkingKeys) -> Self {
        let expanded = match &keys {
            AnyWorkingKeys::Tdes(k) => Expanded::Tdes {
                mak: k.mac.cipher(),
                retail: RetailMacKey::new(&k.mac).ok(),
                pik: k.pin.cipher(),
            },
            AnyWorkingKeys::Sm4(k) => Expanded::Sm4 {
                mak: Sm4CbcMacKey::new(&k.mac),
                pik: k.pin.cipher(),
            },
        };
        Self { keys, expanded }
    }

    /// The working keys themselves (the track key is read from them).
    pub fn keys(&self) -> &AnyWorkingKeys {
        &self.keys
    }

    /// The PIK, expanded.
    pub fn pin(&self) -> PinCipher<'_> {
        match &self.expanded {
            Expanded::Tdes { pik, .. } => PinCipher::Tdes(pik),
            Expanded::Sm4 { pik, .. } => PinCipher::Sm4(pik),
        }
    }

    /// Field 64 of `mab` under the MAK by `algorithm`: [`AnyWorkingKeys::field64`]'s value.
    ///
    /// # Errors
    /// As [`AnyWorkingKeys::field64`]: [`ErrorKind::KeyUsage`] for an algorithm of the other
    /// cipher, [`ErrorKind::KeyLength`] for a retail MAC under a MAK that is not
    /// double-length.
    pub fn field64(&self, algorithm: MacAlgorithm, mab: &[u8]) -> Result<[u8; 8]> {
        match (&self.expanded, algorithm) {
            (Expanded::Tdes { retail, .. }, MacAlgorithm::RetailX919) => match retail {
                Some(r) => Ok(r.mac(mab, Padding::Method1)),
                None => Err(ErrorKind::KeyLength {
                    len: match &self.keys {
                        AnyWorkingKeys::Tdes(k) => k.mac.len(),
                        AnyWorkingKeys::Sm4(k) => k.mac.expose().len(),
                    },
                }
                .into()),
            },
            (Expanded::Tdes { mak, .. }, MacAlgorithm::CupsEcbLegacy) => {
                Ok(crate::cups::field64_of_ecb(&ecb_mac_with(mak, mab)))
            }
            (Expanded::Sm4 { mak, .. }, MacAlgorithm::Sm4CbcMac) => {
                let [a, b, c, d, e, f, g, h, ..] = mak.mac(mab, Padding::Method1);
                Ok([a, b, c, d, e, f, g, h])
            }
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
    use crate::TdesKey;
    use crate::pin::{PinBlock, PinField, PinFormat};
    use crate::sm::Sm4Key;

    fn tdes(byte: u8, len: usize) -> TdesKey {
        TdesKey::new(&vec![byte; len]).unwrap().with_odd_parity()
    }

    fn tdes_keys(len: usize) -> AnyWorkingKeys {
        AnyWorkingKeys::Tdes(crate::cups::WorkingKeys {
            pin: tdes(0x23, len),
            mac: tdes(0x45, len),
            track: None,
        })
    }

    /// MABs of every length up to three blocks, and a long one.
    fn mabs() -> impl Iterator<Item = &'static [u8]> {
        static BYTES: [u8; 300] = {
            let mut b = [0u8; 300];
            let mut i = 0;
            while i < 300 {
                // Below 251: the cast cannot truncate.
                #[allow(clippy::cast_possible_truncation)]
                let byte = (i * 13 % 251) as u8;
                b[i] = byte;
                i += 1;
            }
            b
        };
        (0..=24).chain([300]).map(|n| &BYTES[..n])
    }

    #[test]
    fn the_expanded_mac_is_the_one_shot_mac_for_every_algorithm_and_key() {
        let sm4 = AnyWorkingKeys::Sm4(crate::sm::cups::WorkingKeys {
            pin: Sm4Key::new(&[0x23; 16]).unwrap(),
            mac: Sm4Key::new(&[0x45; 16]).unwrap(),
            track: None,
        });
        let all = [tdes_keys(8), tdes_keys(16), tdes_keys(24), sm4];
        let algorithms = [
            MacAlgorithm::RetailX919,
            MacAlgorithm::CupsEcbLegacy,
            MacAlgorithm::Sm4CbcMac,
        ];
        let mut compared = 0;
        for keys in all {
            let opened = SessionCiphers::new(keys.clone());
            for algorithm in algorithms {
                for mab in mabs() {
                    let one_shot = keys.field64(algorithm, mab);
                    let expanded = opened.field64(algorithm, mab);
                    match (&one_shot, &expanded) {
                        (Ok(a), Ok(b)) => {
                            assert_eq!(a, b);
                            compared += 1;
                            assert!(opened.verify_field64(algorithm, mab, a).is_ok());
                            let mut forged = *a;
                            forged[0] ^= 1;
                            assert_eq!(
                                opened
                                    .verify_field64(algorithm, mab, &forged)
                                    .unwrap_err()
                                    .kind(),
                                ErrorKind::Verification
                            );
                        }
                        (Err(a), Err(b)) => assert_eq!(a.kind(), b.kind()),
                        _ => panic!("{algorithm:?}: {one_shot:?} against {expanded:?}"),
                    }
                }
            }
        }
        // Retail under the double key; ECB under the three TDES keys; SM4 under SM4.
        assert_eq!(compared, 5 * mabs().count());
    }

    #[test]
    fn the_expanded_pin_key_deciphers_as_the_key_does() {
        let pan = "6214830012345673";
        let keys = tdes_keys(16);
        let AnyWorkingKeys::Tdes(k) = &keys else {
            unreachable!()
        };
        let pin = crate::pin::Pin::new("123456").unwrap();
        let block = PinBlock::new(PinFormat::Iso0, &pin, Some(pan), None)
            .unwrap()
            .encipher(&k.pin);
        let opened = SessionCiphers::new(keys.clone());
        let PinCipher::Tdes(pik) = opened.pin() else {
            panic!("a TDES PIK")
        };
        assert_eq!(
            PinBlock::decipher_with(&block, pik).as_bytes(),
            PinBlock::decipher(&block, &k.pin).as_bytes()
        );

        let sm4_pik = Sm4Key::new(&[0x23; 16]).unwrap();
        let opened = SessionCiphers::new(AnyWorkingKeys::Sm4(crate::sm::cups::WorkingKeys {
            pin: sm4_pik.clone(),
            mac: Sm4Key::new(&[0x45; 16]).unwrap(),
            track: None,
        }));
        let field = PinField::new(&pin, &[0x5A; 8]);
        let block = crate::sm::pin::encipher(&field, &sm4_pik, pan).unwrap();
        let PinCipher::Sm4(pik) = opened.pin() else {
            panic!("an SM4 PIK")
        };
        assert_eq!(
            crate::sm::pin::decipher_with(&block, pik, pan)
                .unwrap()
                .decode()
                .unwrap()
                .as_str(),
            "123456"
        );
    }
}
