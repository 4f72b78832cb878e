//! One incremental MAC over the RustCrypto MAC types, chosen by the key's length type:
//! what the one-shot functions, TR-31's streaming unwrap and the check values share.

use cipher::consts::{U8, U16, U24};
use cmac::{Cmac, KeyInit, Mac};
use des::{Des, TdesEde2, TdesEde3};
use retail_mac::RetailMac;
use zeroize::Zeroizing;

use cbc_mac::CbcMac;

use super::MacValue;
use crate::error::{Error, ErrorKind, Result};
use crate::key::{AesKey, AesKeyLength, TdesKey, TdesKeyLength};

/// A MAC being computed: feed it with [`Stream::update`], read it with
/// [`Stream::finalize`]. Padding is the caller's ([`super::feed_padded`]).
// One lives on the stack at a time, and `no_std` has no allocator to box the large ones.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Stream {
    CbcDes(CbcMac<Des>),
    CbcEde2(CbcMac<TdesEde2>),
    CbcEde3(CbcMac<TdesEde3>),
    CmacDes(Cmac<Des>),
    CmacEde2(Cmac<TdesEde2>),
    CmacEde3(Cmac<TdesEde3>),
    CmacAes128(Cmac<aes::Aes128>),
    CmacAes192(Cmac<aes::Aes192>),
    CmacAes256(Cmac<aes::Aes256>),
    RetailDes(RetailMac<Des>),
    RetailEde2(RetailMac<TdesEde2>),
    RetailEde3(RetailMac<TdesEde3>),
}

macro_rules! each {
    ($self:expr, $m:ident => $body:expr) => {
        match $self {
            Stream::CbcDes($m) => $body,
            Stream::CbcEde2($m) => $body,
            Stream::CbcEde3($m) => $body,
            Stream::CmacDes($m) => $body,
            Stream::CmacEde2($m) => $body,
            Stream::CmacEde3($m) => $body,
            Stream::CmacAes128($m) => $body,
            Stream::CmacAes192($m) => $body,
            Stream::CmacAes256($m) => $body,
            Stream::RetailDes($m) => $body,
            Stream::RetailEde2($m) => $body,
            Stream::RetailEde3($m) => $body,
        }
    };
}

impl Stream {
    /// ISO/IEC 9797-1 algorithm 1 (CBC-MAC) with the key's cipher.
    pub(crate) fn cbc_mac(key: &TdesKey) -> Self {
        let k = key.array();
        match key.key_length() {
            TdesKeyLength::Single => Self::CbcDes(KeyInit::new(k.split_ref::<U8>().0)),
            TdesKeyLength::Double => Self::CbcEde2(KeyInit::new(k.split_ref::<U16>().0)),
            TdesKeyLength::Triple => Self::CbcEde3(KeyInit::new(k.split_ref::<U24>().0)),
        }
    }

    /// CMAC with the key's DES-family cipher.
    pub(crate) fn cmac_tdes(key: &TdesKey) -> Self {
        let k = key.array();
        match key.key_length() {
            TdesKeyLength::Single => Self::CmacDes(KeyInit::new(k.split_ref::<U8>().0)),
            TdesKeyLength::Double => Self::CmacEde2(KeyInit::new(k.split_ref::<U16>().0)),
            TdesKeyLength::Triple => Self::CmacEde3(KeyInit::new(k.split_ref::<U24>().0)),
        }
    }

    /// CMAC with AES.
    pub(crate) fn cmac_aes(key: &AesKey) -> Self {
        let k = key.array();
        match key.key_length() {
            AesKeyLength::Aes128 => Self::CmacAes128(KeyInit::new(k.split_ref::<U16>().0)),
            AesKeyLength::Aes192 => Self::CmacAes192(KeyInit::new(k.split_ref::<U24>().0)),
            AesKeyLength::Aes256 => Self::CmacAes256(KeyInit::new(k)),
        }
    }

    /// ISO/IEC 9797-1 algorithm 3 with single DES under the first 16 bytes of the key's
    /// storage, `K ‖ K'`: callers pass a double-length key (they check its length).
    pub(crate) fn retail(key: &TdesKey) -> Self {
        Self::RetailDes(KeyInit::new(key.array().split_ref::<U16>().0))
    }

    /// ISO/IEC 9797-1 algorithm 3 with two keys of the same length (DES, two-key or
    /// three-key TDES as their length says).
    pub(crate) fn retail_two_keys(key: &TdesKey, key_prime: &TdesKey) -> Result<Self> {
        let length = key.key_length();
        if key_prime.key_length() != length {
            return Err(ErrorKind::KeyLength {
                len: key_prime.len(),
            }
            .into());
        }
        let mut buf = Zeroizing::new([0u8; 48]);
        let (both, _) = buf.split_at_mut(2 * length.bytes());
        let (k, k_prime) = both.split_at_mut(length.bytes());
        k.copy_from_slice(key.expose());
        k_prime.copy_from_slice(key_prime.expose());
        // `RetailMac` takes K ‖ K' as one slice and splits it in halves; its fixed key size
        // is that of DES, so the TDES forms go through the slice constructor.
        let bad = |_| Error::new(ErrorKind::KeyLength { len: key.len() });
        Ok(match length {
            TdesKeyLength::Single => Self::RetailDes(KeyInit::new_from_slice(both).map_err(bad)?),
            TdesKeyLength::Double => Self::RetailEde2(KeyInit::new_from_slice(both).map_err(bad)?),
            TdesKeyLength::Triple => Self::RetailEde3(KeyInit::new_from_slice(both).map_err(bad)?),
        })
    }

    /// Feeds `data`.
    pub(crate) fn update(&mut self, data: &[u8]) {
        each!(self, m => m.update(data));
    }

    /// The MAC (8 bytes for the DES family, 16 for AES).
    pub(crate) fn finalize(self) -> MacValue {
        each!(self, m => {
            let out = m.finalize().into_bytes();
            let mut bytes = [0u8; 16];
            let n = crate::buf::copy_prefix(&mut bytes, &out);
            if n == 8 {
                let mut eight = [0u8; 8];
                crate::buf::copy_prefix(&mut eight, &bytes);
                MacValue::from_array(eight)
            } else {
                MacValue::from_array(bytes)
            }
        })
    }
}
