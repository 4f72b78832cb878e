//! The key block header: the 16 fixed characters and the optional blocks after them, read
//! and written. Optional block lengths are 2 hex digits, or `00` followed by the length of
//! the length (2 hex digits, in bytes) and the length itself (X9.143 "extended length")
//! for blocks longer than 255 characters.

use core::fmt;

use super::Version;
use crate::error::{Error, ErrorKind, Result};
use crate::hex;

/// Length of the fixed header.
pub(crate) const FIXED_LEN: usize = 16;
/// Most optional blocks a header can announce (two decimal digits).
pub const MAX_OPTIONAL_BLOCKS: usize = 99;
/// Longest optional block with a 2-digit length field, in characters (ID and length
/// included).
const MAX_SHORT_BLOCK: usize = 0xFF;
/// Zeros of a padding block (at most two cipher blocks of AES, less the ID and length).
const PAD_ZEROS: &str = "0000000000000000000000000000";

/// One optional block of the header: a 2-character ID and its printable data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OptionalBlock<'a> {
    /// The block ID, e.g. `KS` (key set ID), `KC` (key check value), `PB` (padding).
    pub id: &'a str,
    /// The block's data.
    pub data: &'a str,
}

/// The fields of the fixed header, checked.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Fixed {
    pub(crate) version: Version,
    /// The algorithm character of the wrapped key.
    pub(crate) algorithm: u8,
    pub(crate) declared_len: usize,
    pub(crate) optional_blocks: usize,
}

/// Checks the 16-character header.
pub(crate) fn check_fixed(text: &[u8]) -> Result<Fixed> {
    let (header, _) = text
        .split_first_chunk::<FIXED_LEN>()
        .ok_or(Error::at(ErrorKind::Header, text.len()))?;
    let [v, l0, l1, l2, l3, rest @ ..] = *header;
    let version = Version::from_byte(v)?;
    let bad = |from: usize, field: &[u8], ok: fn(&u8) -> bool| -> Result<()> {
        match field.iter().position(|c| !ok(c)) {
            Some(i) => Err(Error::at(ErrorKind::Header, from + i)),
            None => Ok(()),
        }
    };
    let length = [l0, l1, l2, l3];
    bad(1, &length, u8::is_ascii_digit)?;
    // Key usage, algorithm, mode of use, key version number, exportability.
    let [u0, u1, alg, mode, kv0, kv1, exp, n0, n1, r0, r1] = rest;
    bad(
        5,
        &[u0, u1, alg, mode, kv0, kv1, exp],
        u8::is_ascii_alphanumeric,
    )?;
    bad(12, &[n0, n1], u8::is_ascii_digit)?;
    bad(14, &[r0, r1], u8::is_ascii_alphanumeric)?;
    let decimal = |digits: &[u8]| {
        digits
            .iter()
            .fold(0usize, |acc, d| acc * 10 + usize::from(d - b'0'))
    };
    Ok(Fixed {
        version,
        algorithm: alg,
        declared_len: decimal(&length),
        optional_blocks: decimal(&[n0, n1]),
    })
}

/// Reads one optional block at the start of `text`; returns it and its total length.
/// `at` is the block's offset in the key block, for errors.
pub(crate) fn read_block(text: &[u8], at: usize) -> Result<(OptionalBlock<'_>, usize)> {
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
    // X9.143 lets optional blocks carry printable ASCII. It defines a `KS` block (key set
    // ID) as hex, but its own examples carry other characters there (8.2: `KS08VM9A`) and
    // psec accepts them, so any printable data is accepted and left to the application.
    if let Some(i) = data.iter().position(|c| !(0x20..=0x7E).contains(c)) {
        return Err(bad(data_start + i));
    }
    let block = OptionalBlock {
        id: core::str::from_utf8(id).map_err(|_| bad(0))?,
        data: core::str::from_utf8(data).map_err(|_| bad(data_start))?,
    };
    Ok((block, total))
}

/// Reads `count` optional blocks after the fixed header; returns the full header length.
pub(crate) fn optional_blocks_end(text: &[u8], count: usize) -> Result<usize> {
    let mut at = FIXED_LEN;
    for _ in 0..count {
        let rest = text
            .get(at..)
            .ok_or(Error::at(ErrorKind::OptionalBlock, at))?;
        let (_, len) = read_block(rest, at)?;
        at += len;
    }
    Ok(at)
}

/// The optional blocks of a header, in order.
#[derive(Clone, Debug)]
pub struct OptionalBlocks<'a> {
    pub(crate) text: &'a [u8],
    pub(crate) at: usize,
    pub(crate) remaining: usize,
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

/// Characters an optional block with `data_len` characters of data takes: ID and 2-digit
/// length when the whole fits 255, otherwise ID, `00`, `02` and a 4-digit length.
pub const fn optional_block_len(data_len: usize) -> usize {
    if data_len + 4 <= MAX_SHORT_BLOCK {
        data_len + 4
    } else {
        data_len + 10
    }
}

/// Writes one optional block into the front of `out` and returns its length
/// ([`optional_block_len`]).
fn write_block(id: &str, data: &str, out: &mut [u8]) -> Result<usize> {
    if id.len() != 2 || !id.bytes().all(|c| c.is_ascii_alphanumeric()) {
        return Err(ErrorKind::OptionalBlock.into());
    }
    if let Some(i) = data.bytes().position(|c| !(0x20..=0x7E).contains(&c)) {
        return Err(Error::at(ErrorKind::OptionalBlock, i));
    }
    let total = optional_block_len(data.len());
    let [hi, lo] = u16::try_from(total)
        .map_err(|_| ErrorKind::Length { len: data.len() })?
        .to_be_bytes();
    let out = out
        .get_mut(..total)
        .ok_or(Error::new(ErrorKind::BufferTooSmall))?;
    let (head, body) = out.split_at_mut(total - data.len());
    let (id_part, len_part) = head.split_at_mut(2);
    crate::buf::copy_prefix(id_part, id.as_bytes());
    if total <= MAX_SHORT_BLOCK {
        hex::encode(&[lo], len_part);
    } else {
        let (marker, len) = len_part.split_at_mut(4);
        crate::buf::copy_prefix(marker, b"0002");
        hex::encode(&[hi, lo], len);
    }
    body.copy_from_slice(data.as_bytes());
    Ok(total)
}

/// Builds a header in a caller buffer: the fixed part of a template, then optional blocks
/// added one by one, each with the short or the extended length its size needs; the count
/// of optional blocks is kept up to date. Pass [`HeaderWriter::as_str`] to
/// [`super::wrap`], which adds the padding block.
///
/// ```
/// use cardwire_crypto::tr31::{HeaderWriter, KeyBlock};
///
/// let mut buf = [0u8; 512];
/// let mut header = HeaderWriter::new("D0000P0AE00E0000", &mut buf)?;
/// header.optional_block("KS", "00604B120F9292800000")?;
/// header.optional_block("CT", &"A".repeat(300))?; // extended length: CT 00 02 0136
/// assert!(header.as_str().starts_with("D0000P0AE00E0200KS1800604B120F9292800000CT00020136"));
/// # Ok::<(), cardwire_crypto::Error>(())
/// ```
pub struct HeaderWriter<'a> {
    out: &'a mut [u8],
    len: usize,
    blocks: usize,
}

impl<'a> HeaderWriter<'a> {
    /// Starts from the first 16 characters of `template` (its optional blocks, if any, are
    /// not copied; its block count is reset to `00`).
    pub fn new(template: &str, out: &'a mut [u8]) -> Result<Self> {
        let fixed = template.as_bytes();
        check_fixed(fixed)?;
        let dst = out
            .get_mut(..FIXED_LEN)
            .ok_or(Error::new(ErrorKind::BufferTooSmall))?;
        crate::buf::copy_prefix(dst, fixed);
        let mut writer = Self {
            out,
            len: FIXED_LEN,
            blocks: 0,
        };
        writer.set_count()?;
        Ok(writer)
    }

    /// Starts from all of `template`: its fixed part and its optional blocks, except a
    /// padding block ([`super::wrap`] adds the one the final header needs). Blocks added
    /// later go after them.
    pub fn from_header(template: &str, out: &'a mut [u8]) -> Result<Self> {
        let bytes = template.as_bytes();
        let fixed = check_fixed(bytes)?;
        let mut writer = Self::new(template, out)?;
        let mut at = FIXED_LEN;
        for _ in 0..fixed.optional_blocks {
            let rest = bytes
                .get(at..)
                .ok_or(Error::at(ErrorKind::OptionalBlock, at))?;
            let (block, len) = read_block(rest, at)?;
            if block.id != "PB" {
                writer.optional_block(block.id, block.data)?;
            }
            at += len;
        }
        Ok(writer)
    }

    fn set_count(&mut self) -> Result<()> {
        let digits = ascii_decimal::<2>(self.blocks);
        let dst = self
            .out
            .get_mut(12..14)
            .ok_or(Error::new(ErrorKind::BufferTooSmall))?;
        dst.copy_from_slice(&digits);
        Ok(())
    }

    /// Appends an optional block: a 2-character alphanumeric ID and printable data.
    pub fn optional_block(&mut self, id: &str, data: &str) -> Result<&mut Self> {
        if self.blocks >= MAX_OPTIONAL_BLOCKS {
            return Err(Error::at(ErrorKind::OptionalBlock, FIXED_LEN));
        }
        let dst = self
            .out
            .get_mut(self.len..)
            .ok_or(Error::new(ErrorKind::BufferTooSmall))?;
        self.len += write_block(id, data, dst)?;
        self.blocks += 1;
        self.set_count()?;
        Ok(self)
    }

    /// The header written so far.
    pub fn as_str(&self) -> &str {
        // Only ASCII was written: the fallback is never taken.
        self.out
            .get(..self.len)
            .and_then(|h| core::str::from_utf8(h).ok())
            .unwrap_or_default()
    }
}

impl fmt::Debug for HeaderWriter<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("HeaderWriter").field(&self.as_str()).finish()
    }
}

/// The last `N` decimal digits of `n` as ASCII.
pub(crate) fn ascii_decimal<const N: usize>(n: usize) -> [u8; N] {
    let mut out = [b'0'; N];
    let mut rest = n;
    for d in out.iter_mut().rev() {
        // `rest % 10` is below 10.
        #[allow(clippy::cast_possible_truncation)]
        let digit = (rest % 10) as u8;
        *d = b'0' + digit;
        rest /= 10;
    }
    out
}

/// The header [`super::wrap`] writes for `template`: its fixed fields, its optional blocks
/// except padding, and a padding block if those do not fill whole `bs`-byte cipher blocks.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Plan {
    /// Length of the fixed header and the kept optional blocks.
    pub(crate) kept_len: usize,
    /// Optional blocks kept.
    pub(crate) kept: usize,
    /// Length of the padding block (0 when none is needed).
    pub(crate) pad_len: usize,
}

impl Plan {
    /// The header length, padding block included.
    pub(crate) const fn len(&self) -> usize {
        self.kept_len + self.pad_len
    }

    /// Optional blocks written, padding block included.
    pub(crate) const fn count(&self) -> usize {
        self.kept + if self.pad_len > 0 { 1 } else { 0 }
    }
}

/// Plans the header of `template` for cipher blocks of `bs` bytes.
pub(crate) fn plan(template: &[u8], count: usize, bs: usize) -> Result<Plan> {
    let mut kept_len = FIXED_LEN;
    let mut kept = 0usize;
    let mut src = FIXED_LEN;
    for _ in 0..count {
        let rest = template
            .get(src..)
            .ok_or(Error::at(ErrorKind::OptionalBlock, src))?;
        let (block, len) = read_block(rest, src)?;
        if block.id != "PB" {
            kept_len += len;
            kept += 1;
        }
        src += len;
    }
    let pad_len = match kept_len % bs {
        0 => 0,
        r if bs - r < 4 => 2 * bs - r,
        r => bs - r,
    };
    let plan = Plan {
        kept_len,
        kept,
        pad_len,
    };
    if plan.count() > MAX_OPTIONAL_BLOCKS {
        return Err(Error::at(ErrorKind::OptionalBlock, FIXED_LEN));
    }
    Ok(plan)
}

/// Writes the planned header of `template` into `out` (exactly `plan.len()` long); the
/// length digits are left for the caller.
pub(crate) fn write(template: &[u8], count: usize, plan: &Plan, out: &mut [u8]) -> Result<()> {
    let too_small = || Error::new(ErrorKind::BufferTooSmall);
    let (fixed, blocks) = out.split_at_mut_checked(FIXED_LEN).ok_or(too_small())?;
    crate::buf::copy_prefix(fixed, template);
    let mut at = 0;
    let mut src = FIXED_LEN;
    for _ in 0..count {
        let rest = template
            .get(src..)
            .ok_or(Error::at(ErrorKind::OptionalBlock, src))?;
        let (block, len) = read_block(rest, src)?;
        if block.id != "PB" {
            let raw = rest.get(..len).ok_or(too_small())?;
            blocks
                .get_mut(at..at + len)
                .ok_or(too_small())?
                .copy_from_slice(raw);
            at += len;
        }
        src += len;
    }
    if plan.pad_len > 0 {
        let zeros = PAD_ZEROS
            .get(..plan.pad_len - 4)
            .ok_or(Error::new(ErrorKind::OptionalBlock))?;
        let dst = blocks.get_mut(at..).ok_or(too_small())?;
        write_block("PB", zeros, dst)?;
    }
    fixed
        .get_mut(12..14)
        .ok_or(too_small())?
        .copy_from_slice(&ascii_decimal::<2>(plan.count()));
    Ok(())
}
