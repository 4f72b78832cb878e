//! TR-31 key blocks (ANSI X9.143, ASC X9 TR 31; version E from ISO 20038).
//!
//! A key block is ASCII: a 16-character header (version, length, key usage, algorithm, mode
//! of use, key version number, exportability, number of optional blocks, reserved),
//! optional blocks, the encrypted payload in hex and the authenticator (MAC) in hex. The
//! payload is the key length in bits (2 bytes), the key and padding; by default [`wrap`]
//! pads every key to the longest key of its algorithm so that the block does not reveal the
//! key's length ("key length obfuscation").
//!
//! | version | protection | KBPK | MAC |
//! |---|---|---|---|
//! | A, C | key variant binding: TDES-CBC (IV = header), CBC-MAC over header and ciphertext | TDES 16/24 | 4 bytes |
//! | B | key derivation binding: TDES-CMAC KDF, CMAC over header and clear payload, CBC (IV = MAC) | TDES 16/24 | 8 bytes |
//! | D | as B with AES | AES 16/24/32 | 16 bytes |
//! | E | as D, payload encrypted with AES-CTR (ISO 20038) | AES 16/24/32 | 16 bytes |
//!
//! [`KeyBlock::parse`] is a view over the text: it checks every header field, the optional
//! blocks, the lengths and the hex, and returns a typed error for anything malformed. The
//! authenticator is verified in constant time before any key byte is handed out.
//!
//! ```
//! use cardwire_crypto::tr31::KeyBlock;
//!
//! // TR-31:2018 A.7.2.2, a version B key block.
//! let kbpk = hex_literal::hex!("DD7515F2BFC17F85CE48F3CA25CB21F6");
//! let block = KeyBlock::parse("B0080P0TE00E000094B420079CC80BA3461F86FE26EFC4A3B8E4FA4C5F5341176EED7B727B8A248E")?;
//! assert_eq!((block.usage(), block.algorithm(), block.mode_of_use()), ("P0", 'T', 'E'));
//! let key = block.unwrap(&kbpk)?;
//! assert_eq!(key.expose(), hex_literal::hex!("3F419E1CB7079442AA37474C2EFBF8B8"));
//! # Ok::<(), cardwire_crypto::Error>(())
//! ```

use core::fmt;

use rand_core::TryCryptoRng;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

use crate::error::{Error, ErrorKind, Result};
use crate::hex;
use crate::key::{AesKey, SecretKey, TdesKey};
use crate::mac::{cbc_mac_parts, cmac_aes_parts, cmac_tdes_parts};

/// Length of the fixed header.
const HEADER_LEN: usize = 16;
/// Largest payload [`KeyBlock::unwrap`] and [`wrap`] handle on the stack.
const MAX_PAYLOAD: usize = 64;

/// Key block version (protection method).
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Version {
    /// TDES key variant binding (deprecated).
    A,
    /// TDES key derivation binding.
    B,
    /// TDES key variant binding (as A).
    C,
    /// AES key derivation binding.
    D,
    /// AES key derivation binding with CTR encryption (ISO 20038).
    E,
}

impl Version {
    fn from_byte(b: u8) -> Result<Self> {
        match b {
            b'A' => Ok(Self::A),
            b'B' => Ok(Self::B),
            b'C' => Ok(Self::C),
            b'D' => Ok(Self::D),
            b'E' => Ok(Self::E),
            version => Err(Error::at(ErrorKind::UnsupportedVersion { version }, 0)),
        }
    }

    /// The version character.
    pub const fn as_char(self) -> char {
        match self {
            Self::A => 'A',
            Self::B => 'B',
            Self::C => 'C',
            Self::D => 'D',
            Self::E => 'E',
        }
    }

    const fn block_size(self) -> usize {
        match self {
            Self::A | Self::B | Self::C => 8,
            Self::D | Self::E => 16,
        }
    }

    const fn mac_len(self) -> usize {
        match self {
            Self::A | Self::C => 4,
            Self::B => 8,
            Self::D | Self::E => 16,
        }
    }

    const fn kbpk_ok(self, len: usize) -> bool {
        match self {
            Self::A | Self::B | Self::C => matches!(len, 16 | 24),
            Self::D | Self::E => matches!(len, 16 | 24 | 32),
        }
    }
}

/// One optional block of the header: a 2-character ID and its printable data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OptionalBlock<'a> {
    /// The block ID, e.g. `KS` (key set ID), `KC` (key check value), `PB` (padding).
    pub id: &'a str,
    /// The block's data.
    pub data: &'a str,
}

/// Reads one optional block at the start of `text`; returns it and its total length.
/// `at` is the block's offset in the key block, for errors.
fn read_block(text: &[u8], at: usize) -> Result<(OptionalBlock<'_>, usize)> {
    let bad = |offset: usize| Error::at(ErrorKind::OptionalBlock, at + offset);
    let id = text.get(..2).ok_or(bad(0))?;
    if !id.iter().all(u8::is_ascii_alphanumeric) {
        return Err(bad(0));
    }
    let len_field = text.get(2..4).ok_or(bad(2))?;
    let short = hex::number(len_field).ok_or(bad(2))?;
    let (total, data_start) = if short != 0 {
        (short, 4)
    } else {
        // Extended length: `00`, the length of the length in bytes (2 hex digits), then the
        // length in that many bytes of hex.
        let len_len = text.get(4..6).and_then(hex::number).ok_or(bad(4))? * 2;
        if len_len == 0 {
            return Err(bad(4));
        }
        let total = text
            .get(6..6 + len_len)
            .and_then(hex::number)
            .ok_or(bad(6))?;
        (total, 6 + len_len)
    };
    let data = text.get(data_start..total).ok_or(bad(2))?;
    if let Some(i) = data.iter().position(|c| !(0x20..=0x7E).contains(c)) {
        return Err(bad(data_start + i));
    }
    // X9.143 defines the key set ID (the BDK ID and derivation ID of a DUKPT key) as hex.
    if id == b"KS"
        && let Some(i) = data.iter().position(|c| !c.is_ascii_hexdigit())
    {
        return Err(bad(data_start + i));
    }
    let block = OptionalBlock {
        id: core::str::from_utf8(id).map_err(|_| bad(0))?,
        data: core::str::from_utf8(data).map_err(|_| bad(data_start))?,
    };
    Ok((block, total))
}

/// The optional blocks of a header, in order.
#[derive(Clone, Debug)]
pub struct OptionalBlocks<'a> {
    text: &'a [u8],
    at: usize,
    remaining: usize,
}

impl<'a> Iterator for OptionalBlocks<'a> {
    type Item = OptionalBlock<'a>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 {
            return None;
        }
        let (block, len) = read_block(self.text.get(self.at..)?, self.at).ok()?;
        self.at += len;
        self.remaining -= 1;
        Some(block)
    }
}

/// Checks the 16-character header; returns the version and the number of optional blocks.
fn check_header(text: &[u8]) -> Result<(Version, usize)> {
    let header = text
        .get(..HEADER_LEN)
        .ok_or(Error::at(ErrorKind::Header, text.len()))?;
    let version = Version::from_byte(header.first().copied().unwrap_or(0))?;
    let field = |from: usize, to: usize, ok: fn(&u8) -> bool| -> Result<&[u8]> {
        let f = header.get(from..to).unwrap_or_default();
        match f.iter().position(|c| !ok(c)) {
            Some(i) => Err(Error::at(ErrorKind::Header, from + i)),
            None => Ok(f),
        }
    };
    field(1, 5, u8::is_ascii_digit)?;
    // Key usage, algorithm, mode of use, key version number, exportability.
    field(5, 12, u8::is_ascii_alphanumeric)?;
    let count = field(12, 14, u8::is_ascii_digit)?;
    field(14, 16, u8::is_ascii_alphanumeric)?;
    let count = count
        .iter()
        .fold(0usize, |acc, d| acc * 10 + usize::from(d - b'0'));
    Ok((version, count))
}

/// Reads `count` optional blocks after the fixed header; returns the full header length.
fn optional_blocks_end(text: &[u8], count: usize) -> Result<usize> {
    let mut at = HEADER_LEN;
    for _ in 0..count {
        let rest = text
            .get(at..)
            .ok_or(Error::at(ErrorKind::OptionalBlock, at))?;
        let (_, len) = read_block(rest, at)?;
        at += len;
    }
    Ok(at)
}

/// A parsed key block, borrowing its text.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct KeyBlock<'a> {
    text: &'a str,
    version: Version,
    header_len: usize,
    optional_blocks: usize,
}

impl<'a> KeyBlock<'a> {
    /// Parses and checks the structure of a key block (no key needed).
    pub fn parse(text: &'a str) -> Result<Self> {
        let bytes = text.as_bytes();
        let (version, optional_blocks) = check_header(bytes)?;
        let declared = bytes
            .get(1..5)
            .unwrap_or_default()
            .iter()
            .fold(0usize, |acc, d| acc * 10 + usize::from(d - b'0'));
        if declared != bytes.len() {
            return Err(Error::at(
                ErrorKind::BlockLength {
                    declared,
                    actual: bytes.len(),
                },
                1,
            ));
        }
        let header_len = optional_blocks_end(bytes, optional_blocks)?;
        let bs = version.block_size();
        if header_len % bs != 0 {
            return Err(Error::at(ErrorKind::OptionalBlock, header_len));
        }
        let body = bytes.get(header_len..).unwrap_or_default();
        let mac_hex = version.mac_len() * 2;
        let payload_hex = body.len().saturating_sub(mac_hex);
        let payload_ok = match version {
            Version::E => payload_hex >= 4,
            _ => payload_hex >= 2 * bs && payload_hex % (2 * bs) == 0,
        };
        if !payload_ok || payload_hex % 2 != 0 || body.len() < mac_hex {
            return Err(Error::at(
                ErrorKind::Length { len: payload_hex },
                header_len,
            ));
        }
        if let Some(i) = body.iter().position(|c| !c.is_ascii_hexdigit()) {
            return Err(Error::at(ErrorKind::InvalidHex, header_len + i));
        }
        Ok(Self {
            text,
            version,
            header_len,
            optional_blocks,
        })
    }

    /// The whole key block.
    pub fn as_str(&self) -> &'a str {
        self.text
    }

    fn field(&self, from: usize, to: usize) -> &'a str {
        self.text.get(from..to).unwrap_or_default()
    }

    fn char_at(&self, at: usize) -> char {
        self.text.as_bytes().get(at).map_or('?', |b| char::from(*b))
    }

    /// The version.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The key usage, e.g. `P0` (PIN encryption), `K0` (key encryption), `B0` (BDK).
    pub fn usage(&self) -> &'a str {
        self.field(5, 7)
    }

    /// The algorithm of the wrapped key: `T` TDES, `A` AES, `D` DES, `H` HMAC, …
    pub fn algorithm(&self) -> char {
        self.char_at(7)
    }

    /// The mode of use: `E` encrypt only, `D` decrypt only, `B` both, `G`/`V`/`C` MAC, `X`
    /// derivation, `N` no restriction, …
    pub fn mode_of_use(&self) -> char {
        self.char_at(8)
    }

    /// The key version number (`00` when unused; `c` then a digit for a key component).
    pub fn key_version(&self) -> &'a str {
        self.field(9, 11)
    }

    /// Exportability: `E` exportable under a trusted key, `N` not exportable, `S` sensitive.
    pub fn exportability(&self) -> char {
        self.char_at(11)
    }

    /// The header, optional blocks included.
    pub fn header(&self) -> &'a str {
        self.field(0, self.header_len)
    }

    /// The optional blocks, in order.
    pub fn optional_blocks(&self) -> OptionalBlocks<'a> {
        OptionalBlocks {
            text: self.text.as_bytes(),
            at: HEADER_LEN,
            remaining: self.optional_blocks,
        }
    }

    /// Length of the binary payload in bytes.
    pub fn payload_len(&self) -> usize {
        (self.text.len() - self.header_len - self.version.mac_len() * 2) / 2
    }

    /// Verifies the block under `kbpk` and writes the clear key to the front of `out` (which
    /// needs [`KeyBlock::payload_len`] bytes of room); returns the key length. On any error
    /// `out` holds nothing of the payload.
    pub fn unwrap_into(&self, kbpk: &[u8], out: &mut [u8]) -> Result<usize> {
        let result = self.open(kbpk, out);
        if result.is_err() {
            out.zeroize();
        }
        result
    }

    /// Verifies the block under `kbpk` and returns the clear key (payloads up to 64 bytes;
    /// use [`KeyBlock::unwrap_into`] for larger ones).
    pub fn unwrap(&self, kbpk: &[u8]) -> Result<SecretKey> {
        let mut buf = Zeroizing::new([0u8; MAX_PAYLOAD]);
        let len = self.unwrap_into(kbpk, buf.as_mut_slice())?;
        SecretKey::new(buf.get(..len).unwrap_or_default())
    }

    fn open(&self, kbpk: &[u8], out: &mut [u8]) -> Result<usize> {
        let version = self.version;
        if !version.kbpk_ok(kbpk.len()) {
            return Err(ErrorKind::KeyLength { len: kbpk.len() }.into());
        }
        let n = self.payload_len();
        let payload = out
            .get_mut(..n)
            .ok_or(Error::new(ErrorKind::BufferTooSmall))?;
        let bytes = self.text.as_bytes();
        let header = bytes.get(..self.header_len).unwrap_or_default();
        let payload_hex = bytes.get(self.header_len..self.header_len + 2 * n);
        hex::decode(payload_hex.unwrap_or_default(), payload, self.header_len)?;
        let mut mac = [0u8; 16];
        let mac = mac.get_mut(..version.mac_len()).unwrap_or_default();
        let mac_at = self.header_len + 2 * n;
        hex::decode(bytes.get(mac_at..).unwrap_or_default(), mac, mac_at)?;

        let verified = match version {
            Version::A | Version::C => {
                let kbpk = TdesKey::new(kbpk)?;
                let (kbek, kbak) = variant_keys(&kbpk)?;
                let computed = cbc_mac_parts(&kbak, &[header, payload]);
                let ok = ct_prefix(&computed, mac);
                if ok {
                    kbek.cipher().decrypt_cbc(&first8(header), payload)?;
                }
                ok
            }
            Version::B => {
                let (kbek, kbak) = derive_tdes(&TdesKey::new(kbpk)?)?;
                kbek.cipher().decrypt_cbc(&first8(mac), payload)?;
                ct_prefix(&cmac_tdes_parts(&kbak, &[header, payload]), mac)
            }
            Version::D | Version::E => {
                let (kbek, kbak) = derive_aes(&AesKey::new(kbpk)?, version)?;
                let iv = first16(mac);
                if version == Version::D {
                    kbek.cipher().decrypt_cbc(&iv, payload)?;
                } else {
                    kbek.cipher().apply_ctr(&iv, payload);
                }
                ct_prefix(&cmac_aes_parts(&kbak, &[header, payload]), mac)
            }
        };
        if !verified {
            return Err(ErrorKind::Verification.into());
        }
        let bits = payload.get(..2).map_or(0, |b| {
            b.iter().fold(0usize, |acc, x| acc << 8 | usize::from(*x))
        });
        let key_len = bits / 8;
        if bits % 8 != 0 || key_len == 0 || key_len > n.saturating_sub(2) {
            return Err(Error::at(ErrorKind::Payload, self.header_len));
        }
        payload.copy_within(2..2 + key_len, 0);
        payload.get_mut(key_len..).unwrap_or_default().zeroize();
        Ok(key_len)
    }
}

impl fmt::Debug for KeyBlock<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyBlock")
            .field("header", &self.header())
            .field("payload_len", &self.payload_len())
            .finish_non_exhaustive()
    }
}

fn first8(bytes: &[u8]) -> [u8; 8] {
    let mut out = [0u8; 8];
    for (d, s) in out.iter_mut().zip(bytes) {
        *d = *s;
    }
    out
}

fn first16(bytes: &[u8]) -> [u8; 16] {
    let mut out = [0u8; 16];
    for (d, s) in out.iter_mut().zip(bytes) {
        *d = *s;
    }
    out
}

/// Whether `received` equals the start of `computed`, in constant time.
fn ct_prefix(computed: &[u8], received: &[u8]) -> bool {
    computed
        .get(..received.len())
        .is_some_and(|c| bool::from(c.ct_eq(received)))
}

/// Versions A and C: KBEK = KBPK ⊕ `45…`, KBAK = KBPK ⊕ `4D…`.
fn variant_keys(kbpk: &TdesKey) -> Result<(TdesKey, TdesKey)> {
    let mut mask = Zeroizing::new([0u8; 24]);
    let n = kbpk.len();
    let m = mask.get_mut(..n).unwrap_or_default();
    m.fill(0x45);
    let kbek = kbpk.xor(m)?;
    m.fill(0x4D);
    Ok((kbek, kbpk.xor(m)?))
}

/// Key derivation input of TR-31:2018 5.3.2: counter, usage, separator, algorithm, length.
fn kdf_input(counter: u8, usage: u8, algorithm: u8, bits: u16) -> [u8; 8] {
    let [hi, lo] = bits.to_be_bytes();
    [counter, 0, usage, 0, 0, algorithm, hi, lo]
}

/// Version B: KBEK and KBAK derived with TDES-CMAC.
fn derive_tdes(kbpk: &TdesKey) -> Result<(TdesKey, TdesKey)> {
    let n = kbpk.len();
    let (algorithm, bits) = if n == 16 { (0, 0x80) } else { (1, 0xC0) };
    let mut kbek = Zeroizing::new([0u8; 24]);
    let mut kbak = Zeroizing::new([0u8; 24]);
    for (i, (e, a)) in kbek
        .chunks_exact_mut(8)
        .zip(kbak.chunks_exact_mut(8))
        .take(n / 8)
        .enumerate()
    {
        let counter = u8::try_from(i + 1).unwrap_or(0);
        e.copy_from_slice(&cmac_tdes_parts(
            kbpk,
            &[&kdf_input(counter, 0, algorithm, bits)],
        ));
        a.copy_from_slice(&cmac_tdes_parts(
            kbpk,
            &[&kdf_input(counter, 1, algorithm, bits)],
        ));
    }
    Ok((
        TdesKey::new(kbek.get(..n).unwrap_or_default())?,
        TdesKey::new(kbak.get(..n).unwrap_or_default())?,
    ))
}

/// Versions D and E: KBEK and KBAK derived with AES-CMAC (E's KBEK is for CTR mode).
fn derive_aes(kbpk: &AesKey, version: Version) -> Result<(AesKey, AesKey)> {
    let n = kbpk.len();
    let (algorithm, bits) = match n {
        16 => (2, 0x80),
        24 => (3, 0xC0),
        _ => (4, 0x100),
    };
    let enc_usage = if version == Version::E { 2 } else { 0 };
    let mut kbek = Zeroizing::new([0u8; 32]);
    let mut kbak = Zeroizing::new([0u8; 32]);
    for (i, (e, a)) in kbek.chunks_mut(16).zip(kbak.chunks_mut(16)).enumerate() {
        if i * 16 >= n {
            break;
        }
        let counter = u8::try_from(i + 1).unwrap_or(0);
        e.copy_from_slice(&cmac_aes_parts(
            kbpk,
            &[&kdf_input(counter, enc_usage, algorithm, bits)],
        ));
        a.copy_from_slice(&cmac_aes_parts(
            kbpk,
            &[&kdf_input(counter, 1, algorithm, bits)],
        ));
    }
    Ok((
        AesKey::new(kbek.get(..n).unwrap_or_default())?,
        AesKey::new(kbak.get(..n).unwrap_or_default())?,
    ))
}

/// How [`wrap`] pads the key.
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum KeyLengthMasking {
    /// Pad every key to the longest key of its algorithm (TDES 24 bytes, AES 32), so that
    /// the block does not reveal the key's length. The default.
    #[default]
    AlgorithmMaximum,
    /// Pad to this many key bytes (at least the key's length).
    To(usize),
    /// Only the padding the cipher block needs.
    None,
}

/// Wraps `key` under `kbpk` with the header fields of `header` (its length digits are
/// ignored and filled in; optional blocks are kept, a `PB` padding block is added or
/// replaced as the block size needs). Random padding comes from `rng`. Writes the ASCII key
/// block to `out` and returns its length. Keys of up to 32 bytes.
pub fn wrap<R: TryCryptoRng + ?Sized>(
    kbpk: &[u8],
    header: &str,
    key: &[u8],
    masking: KeyLengthMasking,
    rng: &mut R,
    out: &mut [u8],
) -> Result<usize> {
    let result = seal(kbpk, header.as_bytes(), key, masking, rng, out);
    if result.is_err() {
        out.zeroize();
    }
    result
}

/// [`wrap`] into a new `String`.
#[cfg(feature = "alloc")]
pub fn wrap_to_string<R: TryCryptoRng + ?Sized>(
    kbpk: &[u8],
    header: &str,
    key: &[u8],
    masking: KeyLengthMasking,
    rng: &mut R,
) -> Result<alloc::string::String> {
    let mut out = alloc::vec![0u8; 9999];
    let n = wrap(kbpk, header, key, masking, rng, &mut out)?;
    out.truncate(n);
    alloc::string::String::from_utf8(out).map_err(|_| Error::new(ErrorKind::Header))
}

/// Writes the header of `template` to `out`: its fixed fields, its optional blocks without
/// any padding block, then a padding block if the header is not a whole number of `bs`-byte
/// cipher blocks. Returns the header length; the length digits are filled in later.
fn write_header(template: &[u8], count: usize, bs: usize, out: &mut [u8]) -> Result<usize> {
    let too_small = || Error::new(ErrorKind::BufferTooSmall);
    let fixed = template.get(..HEADER_LEN).ok_or(too_small())?;
    out.get_mut(..HEADER_LEN)
        .ok_or(too_small())?
        .copy_from_slice(fixed);
    let mut at = HEADER_LEN;
    let mut kept = 0usize;
    let mut src = HEADER_LEN;
    for _ in 0..count {
        let rest = template.get(src..).unwrap_or_default();
        let (block, len) = read_block(rest, src)?;
        if block.id != "PB" {
            let raw = rest.get(..len).unwrap_or_default();
            out.get_mut(at..at + len)
                .ok_or(too_small())?
                .copy_from_slice(raw);
            at += len;
            kept += 1;
        }
        src += len;
    }
    if !at.is_multiple_of(bs) {
        let mut len = bs - at % bs;
        if len < 4 {
            len += bs;
        }
        let pb = out.get_mut(at..at + len).ok_or(too_small())?;
        pb.fill(b'0');
        let mut len_hex = [0u8; 2];
        hex::encode(&[u8::try_from(len).unwrap_or(0)], &mut len_hex);
        for (d, s) in pb.iter_mut().zip(b"PB".iter().chain(&len_hex)) {
            *d = *s;
        }
        at += len;
        kept += 1;
    }
    if kept > 99 {
        return Err(Error::at(ErrorKind::OptionalBlock, HEADER_LEN));
    }
    let digits = [kept / 10, kept % 10].map(|d| b'0' + u8::try_from(d).unwrap_or(0));
    out.get_mut(12..14)
        .ok_or(too_small())?
        .copy_from_slice(&digits);
    Ok(at)
}

fn seal<R: TryCryptoRng + ?Sized>(
    kbpk: &[u8],
    template: &[u8],
    key: &[u8],
    masking: KeyLengthMasking,
    rng: &mut R,
    out: &mut [u8],
) -> Result<usize> {
    let (version, count) = check_header(template)?;
    if !version.kbpk_ok(kbpk.len()) {
        return Err(ErrorKind::KeyLength { len: kbpk.len() }.into());
    }
    if key.is_empty() || key.len() > 32 {
        return Err(ErrorKind::KeyLength { len: key.len() }.into());
    }
    let too_small = || Error::new(ErrorKind::BufferTooSmall);
    let bs = version.block_size();
    let header_len = write_header(template, count, bs, out)?;
    let fixed = template.get(..HEADER_LEN).ok_or(too_small())?;

    // Payload: key length in bits, the key, random padding.
    let algorithm = fixed.get(7).copied().unwrap_or(0);
    let masked = match masking {
        KeyLengthMasking::AlgorithmMaximum => match algorithm {
            b'T' | b'D' => key.len().max(24),
            b'A' => key.len().max(32),
            _ => key.len(),
        },
        KeyLengthMasking::To(n) => key.len().max(n).min(32),
        KeyLengthMasking::None => key.len(),
    };
    let mut n = 2 + masked;
    if version != Version::E && n % bs != 0 {
        n += bs - n % bs;
    }
    let mut payload = Zeroizing::new([0u8; MAX_PAYLOAD]);
    let payload = payload.get_mut(..n).ok_or(too_small())?;
    let bits = u16::try_from(key.len() * 8).unwrap_or(0);
    let (len_field, rest) = payload.split_at_mut(2);
    len_field.copy_from_slice(&bits.to_be_bytes());
    let (key_part, padding) = rest.split_at_mut(key.len());
    key_part.copy_from_slice(key);
    rng.try_fill_bytes(padding)
        .map_err(|_| Error::new(ErrorKind::Random))?;

    let total = header_len + 2 * n + 2 * version.mac_len();
    if total > 9999 {
        return Err(ErrorKind::Length { len: total }.into());
    }
    let mut digits = [0u8; 4];
    let mut t = total;
    for d in digits.iter_mut().rev() {
        *d = b'0' + u8::try_from(t % 10).unwrap_or(0);
        t /= 10;
    }
    out.get_mut(1..5)
        .ok_or(too_small())?
        .copy_from_slice(&digits);
    let out = out.get_mut(..total).ok_or(too_small())?;
    let (header, body) = out.split_at_mut(header_len);

    let mut mac = [0u8; 16];
    let mac_len = version.mac_len();
    match version {
        Version::A | Version::C => {
            let (kbek, kbak) = variant_keys(&TdesKey::new(kbpk)?)?;
            kbek.cipher().encrypt_cbc(&first8(header), payload)?;
            let m = cbc_mac_parts(&kbak, &[header, payload]);
            for (d, s) in mac.iter_mut().zip(m) {
                *d = s;
            }
        }
        Version::B => {
            let (kbek, kbak) = derive_tdes(&TdesKey::new(kbpk)?)?;
            let m = cmac_tdes_parts(&kbak, &[header, payload]);
            kbek.cipher().encrypt_cbc(&m, payload)?;
            for (d, s) in mac.iter_mut().zip(m) {
                *d = s;
            }
        }
        Version::D | Version::E => {
            let (kbek, kbak) = derive_aes(&AesKey::new(kbpk)?, version)?;
            mac = cmac_aes_parts(&kbak, &[header, payload]);
            if version == Version::D {
                kbek.cipher().encrypt_cbc(&mac, payload)?;
            } else {
                kbek.cipher().apply_ctr(&mac, payload);
            }
        }
    }
    let (payload_hex, mac_hex) = body.split_at_mut(2 * n);
    hex::encode(payload, payload_hex);
    hex::encode(mac.get(..mac_len).unwrap_or_default(), mac_hex);
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixed(u8);
    impl rand_core::TryRng for Fixed {
        type Error = core::convert::Infallible;
        fn try_next_u32(&mut self) -> core::result::Result<u32, Self::Error> {
            Ok(u32::from(self.0))
        }
        fn try_next_u64(&mut self) -> core::result::Result<u64, Self::Error> {
            Ok(u64::from(self.0))
        }
        fn try_fill_bytes(&mut self, dst: &mut [u8]) -> core::result::Result<(), Self::Error> {
            dst.fill(self.0);
            Ok(())
        }
    }
    impl TryCryptoRng for Fixed {}

    #[test]
    fn header_errors_are_typed() {
        let kind = |s: &str| KeyBlock::parse(s).unwrap_err().kind();
        assert_eq!(kind("B0016P0TE00N00"), ErrorKind::Header);
        assert_eq!(
            kind("Z0016P0TE00N0000"),
            ErrorKind::UnsupportedVersion { version: b'Z' }
        );
        assert_eq!(kind("B00x6P0TE00N0000"), ErrorKind::Header);
        assert_eq!(
            kind("B0017P0TE00N0000"),
            ErrorKind::BlockLength {
                declared: 17,
                actual: 16
            }
        );
        // An optional block announced but missing.
        assert_eq!(kind("B0016P0TE00N0100"), ErrorKind::OptionalBlock);
    }

    #[test]
    fn wrap_adds_a_padding_block_and_round_trips() {
        let kbpk = [0x11u8; 16];
        let key = [0x22u8; 16];
        let mut out = [0u8; 256];
        for version in ["A", "B", "C"] {
            let header = format!("{version}0000P0TE00N0100KS0600");
            let n = wrap(
                &kbpk,
                &header,
                &key,
                KeyLengthMasking::default(),
                &mut Fixed(7),
                &mut out,
            )
            .unwrap();
            let text = core::str::from_utf8(&out[..n]).unwrap();
            let block = KeyBlock::parse(text).unwrap();
            assert_eq!(block.header().len() % 8, 0);
            let ids: alloc::vec::Vec<_> = block.optional_blocks().map(|b| b.id).collect();
            assert_eq!(ids, ["KS", "PB"]);
            assert_eq!(block.unwrap(&kbpk).unwrap().expose(), key);
            // Masked to 24 bytes: 2 + 24 padded to 32 bytes of payload.
            assert_eq!(block.payload_len(), 32);
        }
    }
}
