//! TDES DUKPT, ANSI X9.24-1:2009.
//!
//! The 10-byte key serial number (KSN) is a 59-bit initial KSN and a 21-bit transaction
//! counter. The initial PIN encryption key (IPEK) is derived from the base derivation key
//! (BDK) and the KSN with its counter cleared; the transaction key for a counter applies the
//! non-reversible key generation process once per set counter bit, from the highest.
//! Working keys are variants of the transaction key; the data keys add a one-way step.
//!
//! ```
//! use cardwire_crypto::TdesKey;
//! use cardwire_crypto::dukpt::tdes::{self, KeyVariant, Ksn};
//!
//! // ANSI X9.24-1:2009 A.4, first transaction.
//! let bdk = TdesKey::new(&hex_literal::hex!("0123456789ABCDEFFEDCBA9876543210"))?;
//! let ksn = Ksn::from_bytes(&hex_literal::hex!("FFFF9876543210E00001"))?;
//! let pin_key = tdes::derive(&bdk, &ksn, KeyVariant::Pin)?;
//! assert_eq!(pin_key.expose(), hex_literal::hex!("042666B49184CF5C68DE9628D0397B36"));
//! # Ok::<(), cardwire_crypto::Error>(())
//! ```

use core::fmt;

use cipher::array::Array;
use cipher::{BlockCipherEncrypt, KeyInit};
use des::Des;

use super::next_counter;
use super::registers::Registers;
use crate::error::{Error, ErrorKind, Result};
use crate::key::TdesKey;

/// Bits of the transaction counter.
pub const COUNTER_BITS: u32 = 21;
/// Most one-bits a valid counter may have.
pub const MAX_COUNTER_ONES: u32 = 10;
const COUNTER_MASK: u64 = (1 << COUNTER_BITS) - 1;
/// XORed into a key before deriving its right half (the "C0C0C0C0" mask).
const KEY_MASK: u64 = 0xC0C0_C0C0_0000_0000;

/// A TDES DUKPT key serial number: 10 bytes, the last 21 bits being the counter.
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "[u8; 10]", into = "[u8; 10]"))]
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ksn([u8; 10]);
super::ksn_common!(10, counter_at: 7);

impl Ksn {
    /// Parses a 10-byte KSN, rejecting a counter with more than 10 one-bits (a terminal
    /// never uses those).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        Self::checked(bytes)
    }

    /// The 10 bytes.
    pub fn as_bytes(&self) -> &[u8; 10] {
        &self.0
    }

    /// The 21-bit transaction counter.
    pub fn counter(&self) -> u32 {
        // The counter is the low 21 bits: 5 of the eighth byte and the last two.
        let [.., a, b, c] = self.0;
        u32::from_be_bytes([0, a & 0x1F, b, c])
    }

    /// The same KSN with its counter cleared (the initial KSN).
    pub fn initial(&self) -> Self {
        self.with_register(self.register() & !COUNTER_MASK)
    }

    /// The same device with counter `counter`, checked like [`Ksn::from_bytes`].
    pub fn with_counter(&self, counter: u32) -> Result<Self> {
        let counter = u64::from(counter);
        if counter > COUNTER_MASK || counter.count_ones() > MAX_COUNTER_ONES {
            return Err(ErrorKind::KsnCounter.into());
        }
        Ok(self.with_register((self.register() & !COUNTER_MASK) | counter))
    }

    /// The KSN a terminal uses after this one (skipping counters with more than 10
    /// one-bits), or `None` when the counter is exhausted.
    pub fn next(&self) -> Option<Self> {
        let counter = next_counter(u64::from(self.counter()), COUNTER_BITS, MAX_COUNTER_ONES)?;
        Some(self.with_register((self.register() & !COUNTER_MASK) | counter))
    }

    /// The rightmost 8 bytes, which the key derivation uses.
    fn register(&self) -> u64 {
        let mut right = [0u8; 8];
        for (d, s) in right.iter_mut().zip(self.0.iter().skip(2)) {
            *d = *s;
        }
        u64::from_be_bytes(right)
    }

    fn with_register(&self, register: u64) -> Self {
        let mut ksn = self.0;
        for (d, s) in ksn.iter_mut().skip(2).zip(register.to_be_bytes()) {
            *d = s;
        }
        Self(ksn)
    }
}

/// The working keys of TDES DUKPT: variants of the transaction key (X9.24-1:2009 A.6).
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyVariant {
    /// PIN encryption.
    Pin,
    /// MAC, request (terminal to host).
    MacRequest,
    /// MAC, response (host to terminal).
    MacResponse,
    /// Data encryption, request (variant then the one-way step).
    DataRequest,
    /// Data encryption, response (variant then the one-way step).
    DataResponse,
}

impl KeyVariant {
    /// The variant mask applied to each half of the key.
    const fn mask(self) -> u64 {
        match self {
            Self::Pin => 0x0000_0000_0000_00FF,
            Self::MacRequest => 0x0000_0000_0000_FF00,
            Self::MacResponse => 0x0000_0000_FF00_0000,
            Self::DataRequest => 0x0000_0000_00FF_0000,
            Self::DataResponse => 0x0000_00FF_0000_0000,
        }
    }
}

fn des_encrypt(key: u64, block: u64) -> u64 {
    let des = Des::new(&Array::from(key.to_be_bytes()));
    let mut b = Array::from(block.to_be_bytes());
    des.encrypt_block(&mut b);
    u64::from_be_bytes(b.into())
}

/// A double-length key as its two halves.
type Halves = [u64; 2];

/// The non-reversible key generation process (X9.24-1:2009 A.2): a new key from `key` and
/// the KSN register `data`.
fn non_reversible(key: &Halves, data: u64) -> Halves {
    let [left, right] = *key;
    let new_right = des_encrypt(left, data ^ right) ^ right;
    let (left, right) = (left ^ KEY_MASK, right ^ KEY_MASK);
    let new_left = des_encrypt(left, data ^ right) ^ right;
    [new_left, new_right]
}

/// Two-key TDES (`K1 K2 K1`) encryption of each block, with one key schedule.
fn tdes_encrypt<const N: usize>(key: &Halves, blocks: [u64; N]) -> [u64; N] {
    let [k1, k2] = *key;
    let c = TdesKey::from_halves(k1, k2).cipher();
    blocks.map(|block| {
        let mut b = block.to_be_bytes();
        c.encrypt_block(&mut b);
        u64::from_be_bytes(b)
    })
}

fn double_length(key: &TdesKey) -> Result<Halves> {
    if key.len() == 16 {
        let (l, r) = key.halves();
        Ok([l, r])
    } else {
        Err(ErrorKind::KeyLength { len: key.len() }.into())
    }
}

/// The initial PIN encryption key (IPEK) for a device: the BDK (double-length) encrypting
/// the KSN's leftmost 8 bytes with the counter cleared, and the same under the BDK XOR
/// `C0C0C0C0 00000000 C0C0C0C0 00000000`.
pub fn ipek(bdk: &TdesKey, ksn: &Ksn) -> Result<TdesKey> {
    let [l, r] = ipek_halves(&double_length(bdk)?, ksn);
    Ok(TdesKey::from_halves(l, r))
}

fn ipek_halves(bdk: &Halves, ksn: &Ksn) -> Halves {
    let mut top = [0u8; 8];
    for (d, s) in top.iter_mut().zip(ksn.0.iter()) {
        *d = *s;
    }
    // The leftmost 8 bytes with the 21 counter bits cleared (they end in the 8th byte).
    let data = u64::from_be_bytes(top) & !(COUNTER_MASK >> 16);
    let [l, r] = *bdk;
    let [left] = tdes_encrypt(bdk, [data]);
    let [right] = tdes_encrypt(&[l ^ KEY_MASK, r ^ KEY_MASK], [data]);
    [left, right]
}

fn transaction_halves(ipek: &Halves, ksn: &Ksn) -> Halves {
    let base = ksn.register() & !COUNTER_MASK;
    let counter = ksn.register() & COUNTER_MASK;
    let mut key = *ipek;
    let mut register = base;
    let mut bit = 1u64 << (COUNTER_BITS - 1);
    while bit != 0 {
        if counter & bit != 0 {
            register |= bit;
            key = non_reversible(&key, register);
        }
        bit >>= 1;
    }
    key
}

/// The transaction key for `ksn`, derived from the device's IPEK (X9.24-1:2009 A.3,
/// "host" side). The KSN's leftmost bytes are not checked against the IPEK's.
pub fn transaction_key(ipek: &TdesKey, ksn: &Ksn) -> Result<TdesKey> {
    let [l, r] = transaction_halves(&double_length(ipek)?, ksn);
    Ok(TdesKey::from_halves(l, r))
}

fn working_halves(txn: &Halves, variant: KeyVariant) -> Halves {
    let mask = variant.mask();
    let key = [txn[0] ^ mask, txn[1] ^ mask];
    match variant {
        KeyVariant::DataRequest | KeyVariant::DataResponse => {
            // One-way step: each half encrypted under the variant key itself.
            tdes_encrypt(&key, key)
        }
        _ => key,
    }
}

/// A working key from a transaction key.
pub fn working_key(transaction_key: &TdesKey, variant: KeyVariant) -> Result<TdesKey> {
    let [l, r] = working_halves(&double_length(transaction_key)?, variant);
    Ok(TdesKey::from_halves(l, r))
}

/// The whole host path: BDK and KSN to a working key.
pub fn derive(bdk: &TdesKey, ksn: &Ksn, variant: KeyVariant) -> Result<TdesKey> {
    let ipek = ipek_halves(&double_length(bdk)?, ksn);
    let [l, r] = working_halves(&transaction_halves(&ipek, ksn), variant);
    Ok(TdesKey::from_halves(l, r))
}

/// The terminal side: 21 future key registers loaded from the IPEK, each transaction's key
/// derived once from an earlier one, counters with more than 10 one-bits skipped, and an
/// end when the counter is exhausted. Keys are zeroized when used and on drop.
///
/// ```
/// use cardwire_crypto::TdesKey;
/// use cardwire_crypto::dukpt::tdes::{self, KeyVariant, Ksn, Terminal};
///
/// let bdk = TdesKey::new(&hex_literal::hex!("0123456789ABCDEFFEDCBA9876543210"))?;
/// let iksn = Ksn::from_bytes(&hex_literal::hex!("FFFF9876543210E00000"))?;
/// let mut terminal = Terminal::new(&tdes::ipek(&bdk, &iksn)?, &iksn)?;
/// let (ksn, key) = terminal.next_key()?;
/// assert_eq!(ksn.counter(), 1);
/// assert!(key.ct_eq(&tdes::transaction_key(&tdes::ipek(&bdk, &ksn)?, &ksn)?));
/// # Ok::<(), cardwire_crypto::Error>(())
/// ```
pub struct Terminal {
    initial: Ksn,
    registers: Registers<Halves, 21, MAX_COUNTER_ONES>,
}

impl Terminal {
    /// Loads the IPEK for the device whose initial KSN is `ksn` (its counter is ignored).
    pub fn new(ipek: &TdesKey, ksn: &Ksn) -> Result<Self> {
        let ipek = double_length(ipek)?;
        let initial = ksn.initial();
        let base = initial.register();
        let registers = Registers::load(&ipek, |key, counter| non_reversible(key, base | counter));
        Ok(Self { initial, registers })
    }

    /// The KSN of the next transaction, or `None` when exhausted.
    pub fn ksn(&self) -> Option<Ksn> {
        let (counter, _) = self.registers.current()?;
        Some(
            self.initial
                .with_register(self.initial.register() | counter),
        )
    }

    /// The KSN and transaction key of the next transaction; the terminal then moves on, so
    /// each key is handed out once. Fails with [`ErrorKind::KsnExhausted`] at the end.
    pub fn next_key(&mut self) -> Result<(Ksn, TdesKey)> {
        let (counter, key) = self
            .registers
            .current()
            .ok_or(Error::new(ErrorKind::KsnExhausted))?;
        let ksn = self
            .initial
            .with_register(self.initial.register() | counter);
        let key = TdesKey::from_halves(key[0], key[1]);
        let base = self.initial.register();
        self.registers
            .advance(|key, counter| non_reversible(key, base | counter));
        Ok((ksn, key))
    }
}

impl fmt::Debug for Terminal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Terminal")
            .field("next_ksn", &self.ksn())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use hex_literal::hex;

    #[test]
    fn ksn_parsing() {
        assert!(Ksn::from_bytes(&hex!("FFFF9876543210E00001")).is_ok());
        assert!(Ksn::from_bytes(&hex!("FFFF9876543210E000")).is_err());
        // 0x0FFC00 has 10 one-bits; 0x0FFE00 has 11.
        assert!(Ksn::from_bytes(&hex!("FFFF9876543210EFFC00")).is_ok());
        let err = Ksn::from_bytes(&hex!("FFFF9876543210EFFE00")).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::KsnCounter);
        let ksn = Ksn::from_bytes(&hex!("FFFF9876543210E00015")).unwrap();
        assert_eq!(ksn.counter(), 0x15);
        assert_eq!(ksn.initial().as_bytes(), &hex!("FFFF9876543210E00000"));
        assert_eq!(ksn.to_string(), "FFFF9876543210E00015");
    }

    #[cfg(feature = "serde")]
    #[test]
    fn deserializing_checks_the_counter() {
        let ksn: Ksn = serde_json::from_str("[255,255,152,118,84,50,16,224,0,1]").unwrap();
        assert_eq!(ksn.counter(), 1);
        assert_eq!(
            serde_json::to_string(&ksn).unwrap(),
            "[255,255,152,118,84,50,16,224,0,1]"
        );
        // Counter 0x0FFE00 has 11 one-bits.
        assert!(serde_json::from_str::<Ksn>("[255,255,152,118,84,50,16,239,254,0]").is_err());
    }

    #[test]
    fn exhaustion() {
        let last = Ksn::from_bytes(&hex!("FFFF9876543210FFF800")).unwrap();
        assert_eq!(last.counter(), 0x1F_F800);
        assert!(last.next().is_none());
    }
}
