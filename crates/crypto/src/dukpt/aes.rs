//! AES DUKPT, ANSI X9.24-3-2017.
//!
//! The 12-byte KSN is the initial key ID (IKID: a 4-byte BDK ID and a 4-byte derivation ID)
//! and a 32-bit counter with at most 16 one-bits. Every key is AES-ECB, under the key above
//! it, of 16-byte derivation data:
//! `01 | block counter | key usage (2) | algorithm (2) | length in bits (2) | 8 bytes`, the
//! last 8 bytes being the IKID for the initial key and the derivation ID with a counter value
//! otherwise; keys longer than 128 bits take two blocks (block counter 1, 2).
//!
//! ```
//! use cardwire_crypto::AesKey;
//! use cardwire_crypto::dukpt::aes::{self, KeyType, KeyUsage, Ksn};
//!
//! // ANSI X9.24-3-2017 supplement, AES-128 BDK, first transaction.
//! let bdk = AesKey::new(&hex_literal::hex!("FEDCBA9876543210F1F1F1F1F1F1F1F1"))?;
//! let ksn = Ksn::from_bytes(&hex_literal::hex!("123456789012345600000001"))?;
//! let pin_key = aes::derive(&bdk, &ksn, KeyUsage::Pin, KeyType::Aes128)?;
//! assert_eq!(pin_key.expose(), hex_literal::hex!("AF8CB133A78F8DC2D1359F18527593FB"));
//! # Ok::<(), cardwire_crypto::Error>(())
//! ```

use core::fmt;

use aes::{Aes128Enc, Aes192Enc, Aes256Enc};
use cipher::array::Array;
use cipher::consts::{U16, U24, U32};
use cipher::{BlockCipherEncrypt, KeyInit};

use super::next_counter;
use super::registers::Registers;
use crate::error::{Error, ErrorKind, Result};
use crate::key::{AesKey, AesKeyLength, MAX_KEY_LEN, SecretKey};

/// Bits of the transaction counter.
pub const COUNTER_BITS: u32 = 32;
/// Most one-bits a valid counter may have.
pub const MAX_COUNTER_ONES: u32 = 16;

/// An AES DUKPT key serial number: IKID (8 bytes) and counter (4 bytes).
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(try_from = "[u8; 12]", into = "[u8; 12]"))]
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ksn([u8; 12]);
super::ksn_common!(12, counter_at: 8);

impl Ksn {
    /// Parses a 12-byte KSN, rejecting a counter with more than 16 one-bits.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        Self::checked(bytes)
    }

    /// The KSN for an initial key ID and a counter, checked like [`Ksn::from_bytes`].
    pub fn new(ikid: &[u8; 8], counter: u32) -> Result<Self> {
        let mut ksn = [0u8; 12];
        for (d, s) in ksn
            .iter_mut()
            .zip(ikid.iter().chain(&counter.to_be_bytes()))
        {
            *d = *s;
        }
        Self::from_bytes(&ksn)
    }

    /// The 12 bytes.
    pub fn as_bytes(&self) -> &[u8; 12] {
        &self.0
    }

    /// The initial key ID: BDK ID and derivation ID.
    pub fn ikid(&self) -> [u8; 8] {
        let mut ikid = [0u8; 8];
        for (d, s) in ikid.iter_mut().zip(&self.0) {
            *d = *s;
        }
        ikid
    }

    /// The 4-byte derivation ID (the right half of the IKID).
    pub fn derivation_id(&self) -> [u8; 4] {
        let mut id = [0u8; 4];
        for (d, s) in id.iter_mut().zip(self.0.iter().skip(4)) {
            *d = *s;
        }
        id
    }

    /// The 32-bit transaction counter.
    pub fn counter(&self) -> u32 {
        let mut c = [0u8; 4];
        for (d, s) in c.iter_mut().zip(self.0.iter().skip(8)) {
            *d = *s;
        }
        u32::from_be_bytes(c)
    }

    /// The KSN a terminal uses after this one, or `None` when the counter is exhausted.
    pub fn next(&self) -> Option<Self> {
        let next = next_counter(u64::from(self.counter()), COUNTER_BITS, MAX_COUNTER_ONES)?;
        Self::new(&self.ikid(), u32::try_from(next).ok()?).ok()
    }
}

/// What a derived working key is for (X9.24-3-2017 table 2, key usage indicator).
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyUsage {
    /// Key encryption key (`0002`).
    KeyEncryption,
    /// PIN encryption (`1000`).
    Pin,
    /// MAC generation (`2000`).
    MacGeneration,
    /// MAC verification (`2001`).
    MacVerification,
    /// MAC generation and verification (`2002`).
    MacBoth,
    /// Data encryption (`3000`).
    DataEncryption,
    /// Data decryption (`3001`).
    DataDecryption,
    /// Data encryption and decryption (`3002`).
    DataBoth,
}

impl KeyUsage {
    const fn indicator(self) -> u16 {
        match self {
            Self::KeyEncryption => 0x0002,
            Self::Pin => 0x1000,
            Self::MacGeneration => 0x2000,
            Self::MacVerification => 0x2001,
            Self::MacBoth => 0x2002,
            Self::DataEncryption => 0x3000,
            Self::DataDecryption => 0x3001,
            Self::DataBoth => 0x3002,
        }
    }
}

/// Usage indicator of intermediate derivation keys.
const USAGE_DERIVATION: u16 = 0x8000;
/// Usage indicator of the initial key.
const USAGE_INITIAL_KEY: u16 = 0x8001;

/// The type of a derived key (X9.24-3-2017 table 3, algorithm indicator and length).
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyType {
    /// Two-key TDES (`0000`, 128 bits).
    Tdes2,
    /// Three-key TDES (`0001`, 192 bits).
    Tdes3,
    /// AES-128 (`0002`).
    Aes128,
    /// AES-192 (`0003`).
    Aes192,
    /// AES-256 (`0004`).
    Aes256,
    /// HMAC key of 128 bits (`0005`).
    Hmac128,
    /// HMAC key of 192 bits (`0005`).
    Hmac192,
    /// HMAC key of 256 bits (`0005`).
    Hmac256,
}

impl KeyType {
    const fn algorithm(self) -> u16 {
        match self {
            Self::Tdes2 => 0,
            Self::Tdes3 => 1,
            Self::Aes128 => 2,
            Self::Aes192 => 3,
            Self::Aes256 => 4,
            Self::Hmac128 | Self::Hmac192 | Self::Hmac256 => 5,
        }
    }

    /// Length of the key in bytes.
    pub const fn byte_len(self) -> usize {
        self.width().bytes()
    }

    /// The width of the key: 16, 24 or 32 bytes, as the AES lengths name them.
    const fn width(self) -> AesKeyLength {
        match self {
            Self::Tdes2 | Self::Aes128 | Self::Hmac128 => AesKeyLength::Aes128,
            Self::Tdes3 | Self::Aes192 | Self::Hmac192 => AesKeyLength::Aes192,
            Self::Aes256 | Self::Hmac256 => AesKeyLength::Aes256,
        }
    }

    /// Security strength in bits, for the rule that a derived key is no stronger than the
    /// key it comes from.
    const fn strength(self) -> usize {
        match self {
            Self::Tdes2 | Self::Tdes3 => 112,
            _ => self.byte_len() * 8,
        }
    }

    /// The AES key type of the same length as `key`.
    pub fn aes_for(key: &AesKey) -> Self {
        match key.key_length() {
            AesKeyLength::Aes128 => Self::Aes128,
            AesKeyLength::Aes192 => Self::Aes192,
            AesKeyLength::Aes256 => Self::Aes256,
        }
    }
}

/// Evaluates `$body` with `$c` bound to the encryption-only AES cipher keyed with the first
/// `$width` bytes of the 32-byte array `$key`: one key schedule, no dispatch afterwards.
macro_rules! with_aes_enc {
    ($key:expr, $width:expr, |$c:ident| $body:expr) => {{
        let k = Array::<u8, U32>::cast_from_core($key);
        match $width {
            AesKeyLength::Aes128 => {
                let $c = Aes128Enc::new(k.split_ref::<U16>().0);
                $body
            }
            AesKeyLength::Aes192 => {
                let $c = Aes192Enc::new(k.split_ref::<U24>().0);
                $body
            }
            AesKeyLength::Aes256 => {
                let $c = Aes256Enc::new(k);
                $body
            }
        }
    }};
}

/// A key of the derivation chain: its bytes and width (16, 24 or 32 bytes; a working key of
/// that width may be TDES or HMAC), updated in place so that one buffer carries the chain,
/// wiped on drop.
#[derive(Clone)]
struct Raw {
    bytes: [u8; MAX_KEY_LEN],
    len: AesKeyLength,
}

crate::key::wipe_on_drop!(Raw, bytes);

impl Default for Raw {
    /// An empty register, before the terminal loads its keys.
    fn default() -> Self {
        Self {
            bytes: [0; MAX_KEY_LEN],
            len: AesKeyLength::Aes128,
        }
    }
}

impl Raw {
    fn from_key(key: &AesKey) -> Self {
        let mut raw = Self {
            len: key.key_length(),
            ..Self::default()
        };
        crate::buf::copy_prefix(&mut raw.bytes, key.expose());
        raw
    }

    fn key_bytes(&self) -> &[u8] {
        self.bytes.split_at(self.len.bytes()).0
    }

    fn to_aes(&self) -> Result<AesKey> {
        AesKey::new(self.key_bytes())
    }

    fn to_secret(&self) -> Result<SecretKey> {
        SecretKey::new(self.key_bytes())
    }

    /// The algorithm indicator of this key as a derivation key.
    const fn algorithm(&self) -> u16 {
        match self.len {
            AesKeyLength::Aes128 => 2,
            AesKeyLength::Aes192 => 3,
            AesKeyLength::Aes256 => 4,
        }
    }

    /// Replaces the key by the key of the same length derived under it from `data`.
    fn derive_in_place(&mut self, data: [u8; 16]) {
        let len = self.len;
        // The key schedule is built (a copy) before the key bytes are overwritten.
        with_aes_enc!(&self.bytes, len, |c| encrypt_data(
            &c,
            data,
            &mut self.bytes,
            len
        ));
    }

    /// A key of `out_len` bytes derived under this key from `data`.
    fn derive(&self, data: [u8; 16], out_len: AesKeyLength) -> Self {
        let mut out = Self {
            len: out_len,
            ..Self::default()
        };
        with_aes_enc!(&self.bytes, self.len, |c| encrypt_data(
            &c,
            data,
            &mut out.bytes,
            out_len
        ));
        out
    }
}

/// Encrypts the derivation data (block counter 1, then 2 for keys longer than 128 bits)
/// into the first `len` bytes of `out`; the rest of `out` is cleared.
#[inline(always)]
fn encrypt_data<C: BlockCipherEncrypt<BlockSize = U16>>(
    cipher: &C,
    data: [u8; 16],
    out: &mut [u8; MAX_KEY_LEN],
    len: AesKeyLength,
) {
    let (first, second) = Array::<u8, U32>::cast_from_core_mut(out).split_ref_mut::<U16>();
    cipher.encrypt_block_b2b(&Array::from(data), first);
    if len == AesKeyLength::Aes128 {
        second.fill(0);
    } else {
        // The second block: block counter 2.
        let mut next = data;
        let [_, counter, ..] = &mut next;
        *counter = 2;
        cipher.encrypt_block_b2b(&Array::from(next), second);
        // AES-192 and 3TDEA take only the left half of the second block.
        second
            .iter_mut()
            .skip(len.bytes() - 16)
            .for_each(|b| *b = 0);
    }
}

/// Length in bits of a key of `width`.
const fn bits(width: AesKeyLength) -> u16 {
    match width {
        AesKeyLength::Aes128 => 128,
        AesKeyLength::Aes192 => 192,
        AesKeyLength::Aes256 => 256,
    }
}

/// Derivation data: version 1, block counter 1, usage, algorithm, length in bits, then the
/// IKID or the derivation ID and a counter value.
fn derivation_data(usage: u16, algorithm: u16, len: AesKeyLength, tail: [u8; 8]) -> [u8; 16] {
    let [u0, u1] = usage.to_be_bytes();
    let [a0, a1] = algorithm.to_be_bytes();
    let [b0, b1] = bits(len).to_be_bytes();
    let [t0, t1, t2, t3, t4, t5, t6, t7] = tail;
    [1, 1, u0, u1, a0, a1, b0, b1, t0, t1, t2, t3, t4, t5, t6, t7]
}

fn tail(derivation_id: [u8; 4], counter: u32) -> [u8; 8] {
    let [d0, d1, d2, d3] = derivation_id;
    let [c0, c1, c2, c3] = counter.to_be_bytes();
    [d0, d1, d2, d3, c0, c1, c2, c3]
}

fn initial_raw(bdk: &AesKey, ikid: [u8; 8]) -> Raw {
    let mut key = Raw::from_key(bdk);
    let data = derivation_data(USAGE_INITIAL_KEY, key.algorithm(), key.len, ikid);
    key.derive_in_place(data);
    key
}

/// Turns the initial key into the intermediate derivation key for `counter`: one derivation
/// per set bit, from the top. `counter` is not checked here (the update key uses
/// `FFFFFFFF`).
fn to_intermediate(key: &mut Raw, derivation_id: [u8; 4], counter: u32) {
    let mut remaining = counter;
    while remaining != 0 {
        let bit = 1u32 << (31 - remaining.leading_zeros());
        remaining &= !bit;
        let mask = counter & !(bit - 1);
        let data = derivation_data(
            USAGE_DERIVATION,
            key.algorithm(),
            key.len,
            tail(derivation_id, mask),
        );
        key.derive_in_place(data);
    }
}

fn working_raw(
    intermediate: &Raw,
    derivation_id: [u8; 4],
    counter: u32,
    usage: u16,
    key_type: KeyType,
) -> Result<Raw> {
    if key_type.strength() > usize::from(bits(intermediate.len)) {
        return Err(ErrorKind::KeyStrength.into());
    }
    let len = key_type.width();
    let data = derivation_data(
        usage,
        key_type.algorithm(),
        len,
        tail(derivation_id, counter),
    );
    Ok(intermediate.derive(data, len))
}

/// The initial key (IK) loaded into a device: derived from the BDK and the IKID.
pub fn initial_key(bdk: &AesKey, ikid: &[u8; 8]) -> Result<AesKey> {
    initial_raw(bdk, *ikid).to_aes()
}

/// The intermediate derivation key ("transaction key") for `ksn`, from the device's initial
/// key.
pub fn intermediate_key(ik: &AesKey, ksn: &Ksn) -> Result<AesKey> {
    let mut key = Raw::from_key(ik);
    to_intermediate(&mut key, ksn.derivation_id(), ksn.counter());
    key.to_aes()
}

/// A working key from an intermediate derivation key. The key type may not be stronger
/// than the intermediate key ([`ErrorKind::KeyStrength`]); HMAC types go with the MAC
/// usages only ([`ErrorKind::KeyUsage`]).
pub fn working_key(
    intermediate: &AesKey,
    ksn: &Ksn,
    usage: KeyUsage,
    key_type: KeyType,
) -> Result<SecretKey> {
    check_usage(usage, key_type)?;
    working_raw(
        &Raw::from_key(intermediate),
        ksn.derivation_id(),
        ksn.counter(),
        usage.indicator(),
        key_type,
    )?
    .to_secret()
}

fn check_usage(usage: KeyUsage, key_type: KeyType) -> Result<()> {
    let hmac = matches!(
        key_type,
        KeyType::Hmac128 | KeyType::Hmac192 | KeyType::Hmac256
    );
    let mac = matches!(
        usage,
        KeyUsage::MacGeneration | KeyUsage::MacVerification | KeyUsage::MacBoth
    );
    if hmac && !mac {
        Err(ErrorKind::KeyUsage.into())
    } else {
        Ok(())
    }
}

/// The whole host path in one pass: BDK and KSN to a working key.
pub fn derive(bdk: &AesKey, ksn: &Ksn, usage: KeyUsage, key_type: KeyType) -> Result<SecretKey> {
    check_usage(usage, key_type)?;
    let mut intermediate = initial_raw(bdk, ksn.ikid());
    to_intermediate(&mut intermediate, ksn.derivation_id(), ksn.counter());
    working_raw(
        &intermediate,
        ksn.derivation_id(),
        ksn.counter(),
        usage.indicator(),
        key_type,
    )?
    .to_secret()
}

/// The DUKPT update key (X9.24-3-2017 6.6): the key-encryption working key of the
/// intermediate key for counter `FFFFFFFF`, used to load a new initial key into a device.
pub fn update_key(ik: &AesKey, ikid: &[u8; 8], key_type: KeyType) -> Result<SecretKey> {
    let id = derivation_id_of(ikid);
    let mut intermediate = Raw::from_key(ik);
    to_intermediate(&mut intermediate, id, u32::MAX);
    let usage = KeyUsage::KeyEncryption.indicator();
    working_raw(&intermediate, id, u32::MAX, usage, key_type)?.to_secret()
}

/// The terminal side: 32 intermediate derivation key registers loaded from the initial key,
/// each key derived once, counters with more than 16 one-bits skipped, and an end when the
/// counter is exhausted. Keys are zeroized when used and on drop.
pub struct Terminal {
    ikid: [u8; 8],
    registers: Registers<Raw, 32, MAX_COUNTER_ONES>,
}

impl Terminal {
    /// Loads the initial key of the device with initial key ID `ikid`.
    pub fn new(ik: &AesKey, ikid: &[u8; 8]) -> Self {
        let id = derivation_id_of(ikid);
        let registers = Registers::load(&Raw::from_key(ik), |key, counter| step(key, id, counter));
        Self {
            ikid: *ikid,
            registers,
        }
    }

    /// The KSN of the next transaction, or `None` when exhausted.
    pub fn ksn(&self) -> Option<Ksn> {
        let (counter, _) = self.registers.current()?;
        Ksn::new(&self.ikid, u32::try_from(counter).ok()?).ok()
    }

    /// The KSN and intermediate derivation key of the next transaction; the terminal then
    /// moves on. Derive working keys from it with [`working_key`]. Fails with
    /// [`ErrorKind::KsnExhausted`] after counter `FFFF0000`.
    pub fn next_key(&mut self) -> Result<(Ksn, AesKey)> {
        let (counter, key) = self
            .registers
            .current()
            .ok_or(Error::new(ErrorKind::KsnExhausted))?;
        let counter = u32::try_from(counter).map_err(|_| Error::new(ErrorKind::KsnExhausted))?;
        let ksn = Ksn::new(&self.ikid, counter)?;
        let key = key.to_aes()?;
        let id = derivation_id_of(&self.ikid);
        self.registers
            .advance(|key, counter| step(key, id, counter));
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

fn derivation_id_of(ikid: &[u8; 8]) -> [u8; 4] {
    let mut id = [0u8; 4];
    for (d, s) in id.iter_mut().zip(ikid.iter().skip(4)) {
        *d = *s;
    }
    id
}

/// One register derivation: the key for `counter` from the key of its parent counter.
fn step(key: &Raw, derivation_id: [u8; 4], counter: u64) -> Raw {
    // The registers count with 32 bits: the counter is the low word.
    let [.., c0, c1, c2, c3] = counter.to_be_bytes();
    let counter = u32::from_be_bytes([c0, c1, c2, c3]);
    let data = derivation_data(
        USAGE_DERIVATION,
        key.algorithm(),
        key.len,
        tail(derivation_id, counter),
    );
    key.derive(data, key.len)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hex_literal::hex;

    #[test]
    fn derivation_data_of_the_initial_key() {
        // X9.24-3-2017 supplement: IK derivation data for the AES-128 BDK.
        let data = derivation_data(
            USAGE_INITIAL_KEY,
            2,
            AesKeyLength::Aes128,
            hex!("1234567890123456"),
        );
        assert_eq!(data, hex!("01018001000200801234567890123456"));
    }

    #[test]
    fn ksn_parsing() {
        let ksn = Ksn::from_bytes(&hex!("1234567890123456FFFF0000")).unwrap();
        assert_eq!(ksn.counter(), 0xFFFF_0000);
        assert!(ksn.next().is_none());
        assert_eq!(
            Ksn::from_bytes(&hex!("12345678901234560001FFFF"))
                .unwrap_err()
                .kind(),
            ErrorKind::KsnCounter
        );
        assert!(Ksn::from_bytes(&hex!("1234567890123456FFFF00")).is_err());
        assert_eq!(ksn.derivation_id(), hex!("90123456"));
    }

    #[test]
    fn strength_and_usage_rules() {
        let bdk = AesKey::new(&hex!("FEDCBA9876543210F1F1F1F1F1F1F1F1")).unwrap();
        let ksn = Ksn::from_bytes(&hex!("123456789012345600000001")).unwrap();
        assert_eq!(
            derive(&bdk, &ksn, KeyUsage::Pin, KeyType::Aes256)
                .unwrap_err()
                .kind(),
            ErrorKind::KeyStrength
        );
        assert_eq!(
            derive(&bdk, &ksn, KeyUsage::Pin, KeyType::Hmac128)
                .unwrap_err()
                .kind(),
            ErrorKind::KeyUsage
        );
        assert!(derive(&bdk, &ksn, KeyUsage::Pin, KeyType::Tdes3).is_ok());
        assert!(derive(&bdk, &ksn, KeyUsage::MacGeneration, KeyType::Hmac128).is_ok());
    }
}
