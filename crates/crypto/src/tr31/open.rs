//! Unwrapping: the payload decrypted cipher block by cipher block and the authenticator
//! computed alongside, in fixed memory, so no payload length needs a buffer of its size.

use subtle::ConstantTimeEq;

use super::keys::{derive_aes, derive_tdes, variant_keys};
use super::{KeyBlock, Version};
use crate::block::{AesCipher, TdesCipher};
use crate::error::{Error, ErrorKind, Result};
use crate::hex;
use crate::key::{AesKey, TdesKey};
use crate::mac::Stream;

/// The decryption and authentication state of one version.
enum Opener {
    /// A and C: CBC (IV = first 8 header characters), CBC-MAC over the ciphertext.
    Variant { kbek: TdesCipher, iv: [u8; 8] },
    /// B: CBC (IV = MAC), CMAC over the clear payload.
    TdesCbc { kbek: TdesCipher, iv: [u8; 8] },
    /// D: AES-CBC (IV = MAC), CMAC over the clear payload.
    AesCbc { kbek: AesCipher, iv: [u8; 16] },
    /// E: AES-CTR (counter = MAC), CMAC over the clear payload.
    AesCtr { kbek: AesCipher, counter: u128 },
}

impl Opener {
    /// Decrypts one cipher block (the last one of version E may be short) in place,
    /// feeding the MAC what the version authenticates.
    fn open_block(&mut self, block: &mut [u8], mac: &mut Stream) {
        match self {
            Self::Variant { kbek, iv } => {
                mac.update(block);
                cbc8(kbek, iv, block);
            }
            Self::TdesCbc { kbek, iv } => {
                cbc8(kbek, iv, block);
                mac.update(block);
            }
            Self::AesCbc { kbek, iv } => {
                if let Ok(b) = <&mut [u8; 16]>::try_from(&mut *block) {
                    let cipher_text = *b;
                    kbek.decrypt_block(b);
                    crate::buf::xor_into(b, iv);
                    *iv = cipher_text;
                }
                mac.update(block);
            }
            Self::AesCtr { kbek, counter } => {
                let mut pad = counter.to_be_bytes();
                kbek.encrypt_block(&mut pad);
                crate::buf::xor_into(block, &pad);
                *counter = counter.wrapping_add(1);
                mac.update(block);
            }
        }
    }
}

/// One TDES-CBC decryption step (parse checked that CBC payloads are whole blocks).
fn cbc8(kbek: &TdesCipher, iv: &mut [u8; 8], block: &mut [u8]) {
    if let Ok(b) = <&mut [u8; 8]>::try_from(block) {
        let cipher_text = *b;
        kbek.decrypt_block(b);
        crate::buf::xor_into(b, iv);
        *iv = cipher_text;
    }
}

/// The first `N` bytes of `bytes`, zero-filled.
fn first<const N: usize>(bytes: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    crate::buf::copy_prefix(&mut out, bytes);
    out
}

impl KeyBlock<'_> {
    /// Verifies the block under `kbpk`, handing the clear payload to `sink` piece by piece
    /// (offset, bytes). `sink` must not let anything out before this returns `Ok`: the
    /// authenticator is only known at the end.
    pub(super) fn open(&self, kbpk: &[u8], mut sink: impl FnMut(usize, &[u8])) -> Result<()> {
        let version = self.version;
        if !version.kbpk_ok(kbpk.len()) {
            return Err(ErrorKind::KeyLength { len: kbpk.len() }.into());
        }
        let bytes = self.text.as_bytes();
        let bad = || Error::at(ErrorKind::Length { len: bytes.len() }, self.header_len);
        let (header, body) = bytes.split_at_checked(self.header_len).ok_or_else(bad)?;
        let (payload_hex, mac_hex) = body
            .split_at_checked(2 * self.payload_len)
            .ok_or_else(bad)?;
        let mac_at = self.header_len + payload_hex.len();
        let mut received = [0u8; 16];
        let received = received.split_at_mut(version.mac_len()).0;
        hex::decode(mac_hex, received, mac_at)?;

        let (mut opener, mut mac) = match version {
            Version::A | Version::C => {
                let (kbek, kbak) = variant_keys(&TdesKey::new(kbpk)?)?;
                let iv = first(header);
                (
                    Opener::Variant {
                        kbek: kbek.cipher(),
                        iv,
                    },
                    Stream::cbc_mac(&kbak),
                )
            }
            Version::B => {
                let (kbek, kbak) = derive_tdes(&TdesKey::new(kbpk)?)?;
                let iv = first(received);
                (
                    Opener::TdesCbc {
                        kbek: kbek.cipher(),
                        iv,
                    },
                    Stream::cmac_tdes(&kbak),
                )
            }
            Version::D => {
                let (kbek, kbak) = derive_aes(&AesKey::new(kbpk)?, version)?;
                let iv = first(received);
                (
                    Opener::AesCbc {
                        kbek: kbek.cipher(),
                        iv,
                    },
                    Stream::cmac_aes(&kbak),
                )
            }
            Version::E => {
                let (kbek, kbak) = derive_aes(&AesKey::new(kbpk)?, version)?;
                let counter = u128::from_be_bytes(first(received));
                (
                    Opener::AesCtr {
                        kbek: kbek.cipher(),
                        counter,
                    },
                    Stream::cmac_aes(&kbak),
                )
            }
        };
        mac.update(header);
        let bs = version.block_size();
        let mut block = zeroize::Zeroizing::new([0u8; 16]);
        for (i, chunk) in payload_hex.chunks(2 * bs).enumerate() {
            let clear = block.split_at_mut(chunk.len() / 2).0;
            hex::decode(chunk, clear, self.header_len + 2 * bs * i)?;
            opener.open_block(clear, &mut mac);
            sink(bs * i, clear);
        }
        let computed = mac.finalize();
        let ok = computed
            .as_bytes()
            .get(..received.len())
            .is_some_and(|c| bool::from(c.ct_eq(received)));
        if ok {
            Ok(())
        } else {
            Err(ErrorKind::Verification.into())
        }
    }
}
