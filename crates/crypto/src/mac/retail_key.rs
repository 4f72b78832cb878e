//! A double-length key prepared for many ISO/IEC 9797-1 MAC algorithm 3 (X9.19 retail)
//! MACs: both DES key schedules expanded once, where [`super::retail_mac`] expands them at
//! every call. A session MAK or an EMV session key that MACs several messages keeps one.

use core::fmt;

use cipher::consts::U16;
use des::Des;
use retail_mac::{KeyInit, Mac, RetailMac};

use super::{Padding, feed_padded};
use crate::error::{ErrorKind, Result};
use crate::key::{TdesKey, TdesKeyLength};

/// A double-length key `K K'` with its two single-DES key schedules expanded, ready for
/// retail MACs. The schedules are wiped on drop (`des`'s `zeroize`); Debug shows nothing of
/// the key.
#[derive(Clone)]
pub struct RetailMacKey(RetailMac<Des>);

impl RetailMacKey {
    /// Expands `key`, which must be double-length (as [`super::retail_mac`] requires).
    ///
    /// # Errors
    /// [`ErrorKind::KeyLength`] for a single- or triple-length key.
    pub fn new(key: &TdesKey) -> Result<Self> {
        match key.key_length() {
            TdesKeyLength::Double => Ok(Self::from_double(key)),
            _ => Err(ErrorKind::KeyLength { len: key.len() }.into()),
        }
    }

    /// Expands the first 16 bytes of the key's storage, `K ‖ K'`: callers have checked the
    /// length, or built the key double-length.
    pub(crate) fn from_double(key: &TdesKey) -> Self {
        Self(KeyInit::new(key.array().split_ref::<U16>().0))
    }

    /// The retail MAC of `data` padded per `padding`: [`super::retail_mac`]'s value.
    pub fn mac(&self, data: &[u8], padding: Padding) -> [u8; 8] {
        self.mac_parts(&[data], padding)
    }

    /// The retail MAC over the concatenation of `parts` (no buffer of the whole message).
    pub fn mac_parts(&self, parts: &[&[u8]], padding: Padding) -> [u8; 8] {
        // A copy of the prepared state: the schedules are copied, not expanded again.
        let mut mac = self.0.clone();
        feed_padded(parts, padding, |b| mac.update(b));
        let out = mac.finalize().into_bytes();
        let mut eight = [0u8; 8];
        crate::buf::copy_prefix(&mut eight, &out);
        eight
    }
}

impl fmt::Debug for RetailMacKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RetailMacKey(..)")
    }
}
