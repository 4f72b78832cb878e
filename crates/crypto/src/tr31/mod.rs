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
//! blocks (short and extended lengths), the lengths and the hex, and returns a typed error
//! for anything malformed. Unwrapping decrypts block by block in fixed memory, whatever the
//! payload length, and verifies the authenticator in constant time before any key byte is
//! handed out. [`wrapped_len`] tells from the header how long a wrapped block will be.
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

mod header;
mod keys;
mod open;
mod wrap;

pub use header::{
    HeaderWriter, MAX_OPTIONAL_BLOCKS, OptionalBlock, OptionalBlocks, optional_block_len,
};
#[cfg(feature = "alloc")]
pub use wrap::wrap_to_string;
pub use wrap::{KeyLengthMasking, wrap, wrapped_len};

use core::fmt;

use zeroize::{Zeroize, Zeroizing};

use crate::error::{Error, ErrorKind, Result};
use crate::key::{MAX_KEY_LEN, SecretKey};
use header::{FIXED_LEN, check_fixed, optional_blocks_end};

/// Longest key block the 4-digit length field allows.
pub const MAX_BLOCK_LEN: usize = 9999;

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

    /// The cipher block size in bytes: 8 (TDES) or 16 (AES).
    pub const fn block_size(self) -> usize {
        match self {
            Self::A | Self::B | Self::C => 8,
            Self::D | Self::E => 16,
        }
    }

    /// The authenticator length in bytes.
    pub const fn mac_len(self) -> usize {
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

/// A parsed key block, borrowing its text.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct KeyBlock<'a> {
    text: &'a str,
    version: Version,
    header: &'a str,
    header_len: usize,
    optional_blocks: usize,
    payload_len: usize,
    usage: &'a str,
    key_version: &'a str,
    algorithm: char,
    mode_of_use: char,
    exportability: char,
}

impl<'a> KeyBlock<'a> {
    /// Parses and checks the structure of a key block (no key needed).
    pub fn parse(text: &'a str) -> Result<Self> {
        let bytes = text.as_bytes();
        let fixed = check_fixed(bytes)?;
        if fixed.declared_len != bytes.len() {
            return Err(Error::at(
                ErrorKind::BlockLength {
                    declared: fixed.declared_len,
                    actual: bytes.len(),
                },
                1,
            ));
        }
        let version = fixed.version;
        let header_len = optional_blocks_end(bytes, fixed.optional_blocks)?;
        let bs = version.block_size();
        if !header_len.is_multiple_of(bs) {
            return Err(Error::at(ErrorKind::OptionalBlock, header_len));
        }
        let (_, body) = bytes
            .split_at_checked(header_len)
            .ok_or(Error::at(ErrorKind::OptionalBlock, header_len))?;
        let mac_hex = version.mac_len() * 2;
        let short = || Error::at(ErrorKind::Length { len: body.len() }, header_len);
        let payload_hex = body.len().checked_sub(mac_hex).ok_or_else(short)?;
        let payload_ok = match version {
            Version::E => payload_hex >= 4,
            _ => payload_hex >= 2 * bs && payload_hex.is_multiple_of(2 * bs),
        };
        if !payload_ok || !payload_hex.is_multiple_of(2) {
            return Err(Error::at(
                ErrorKind::Length { len: payload_hex },
                header_len,
            ));
        }
        if let Some(i) = body.iter().position(|c| !c.is_ascii_hexdigit()) {
            return Err(Error::at(ErrorKind::InvalidHex, header_len + i));
        }
        // The fixed header is checked ASCII: these fields are there.
        let field =
            |from: usize, to: usize| text.get(from..to).ok_or(Error::at(ErrorKind::Header, from));
        let char_at = |at: usize| {
            bytes
                .get(at)
                .map(|b| char::from(*b))
                .ok_or(Error::at(ErrorKind::Header, at))
        };
        Ok(Self {
            text,
            version,
            header: field(0, header_len)?,
            header_len,
            optional_blocks: fixed.optional_blocks,
            payload_len: payload_hex / 2,
            usage: field(5, 7)?,
            algorithm: char_at(7)?,
            mode_of_use: char_at(8)?,
            key_version: field(9, 11)?,
            exportability: char_at(11)?,
        })
    }

    /// The whole key block.
    pub fn as_str(&self) -> &'a str {
        self.text
    }

    /// The version.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The key usage, e.g. `P0` (PIN encryption), `K0` (key encryption), `B0` (BDK).
    pub fn usage(&self) -> &'a str {
        self.usage
    }

    /// The algorithm of the wrapped key: `T` TDES, `A` AES, `D` DES, `H` HMAC, …
    pub fn algorithm(&self) -> char {
        self.algorithm
    }

    /// The mode of use: `E` encrypt only, `D` decrypt only, `B` both, `G`/`V`/`C` MAC, `X`
    /// derivation, `N` no restriction, …
    pub fn mode_of_use(&self) -> char {
        self.mode_of_use
    }

    /// The key version number (`00` when unused; `c` then a digit for a key component).
    pub fn key_version(&self) -> &'a str {
        self.key_version
    }

    /// Exportability: `E` exportable under a trusted key, `N` not exportable, `S` sensitive.
    pub fn exportability(&self) -> char {
        self.exportability
    }

    /// The header, optional blocks included.
    pub fn header(&self) -> &'a str {
        self.header
    }

    /// The optional blocks, in order.
    pub fn optional_blocks(&self) -> OptionalBlocks<'a> {
        OptionalBlocks {
            text: self.text.as_bytes(),
            at: FIXED_LEN,
            remaining: self.optional_blocks,
        }
    }

    /// Length of the binary payload in bytes (key length field, key and padding).
    pub fn payload_len(&self) -> usize {
        self.payload_len
    }

    /// The key length the payload announces, checked against the payload.
    fn key_len(&self, head: &[u8]) -> Result<usize> {
        let bits = head
            .iter()
            .take(2)
            .fold(0usize, |acc, x| (acc << 8) | usize::from(*x));
        let key_len = bits / 8;
        if !bits.is_multiple_of(8) || key_len == 0 || key_len > self.payload_len.saturating_sub(2) {
            return Err(Error::at(ErrorKind::Payload, self.header_len));
        }
        Ok(key_len)
    }

    /// Verifies the block under `kbpk` and writes the clear key to the front of `out` (which
    /// needs [`KeyBlock::payload_len`] bytes of room); returns the key length. On any error
    /// `out` holds nothing of the payload. For keys of any length, such as wrapped private
    /// keys; [`KeyBlock::unwrap`] needs no buffer for keys of up to 32 bytes.
    pub fn unwrap_into(&self, kbpk: &[u8], out: &mut [u8]) -> Result<usize> {
        let result = self.open_into(kbpk, out);
        if result.is_err() {
            out.zeroize();
        }
        result
    }

    fn open_into(&self, kbpk: &[u8], out: &mut [u8]) -> Result<usize> {
        let payload = out
            .get_mut(..self.payload_len)
            .ok_or(Error::new(ErrorKind::BufferTooSmall))?;
        self.open(kbpk, |at, clear| {
            if let Some(dst) = payload.get_mut(at..) {
                crate::buf::copy_prefix(dst, clear);
            }
        })?;
        let key_len = self.key_len(payload)?;
        payload.copy_within(2..2 + key_len, 0);
        payload.split_at_mut(key_len).1.zeroize();
        Ok(key_len)
    }

    /// Verifies the block under `kbpk` and returns the clear key (up to 32 bytes; a longer
    /// key is [`ErrorKind::KeyLength`], use [`KeyBlock::unwrap_into`] for it). Works in fixed
    /// memory whatever the payload length.
    pub fn unwrap(&self, kbpk: &[u8]) -> Result<SecretKey> {
        // The key length field and the longest key this type holds.
        let mut head = Zeroizing::new([0u8; 2 + MAX_KEY_LEN]);
        self.open(kbpk, |at, clear| {
            if let Some(dst) = head.get_mut(at..) {
                crate::buf::copy_prefix(dst, clear);
            }
        })?;
        let key_len = self.key_len(head.as_slice())?;
        let key = head
            .get(2..2 + key_len)
            .ok_or(Error::new(ErrorKind::KeyLength { len: key_len }))?;
        SecretKey::new(key)
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

#[cfg(test)]
mod tests;
