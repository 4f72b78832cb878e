//! The encoder's fast path: a field of a common format (ASCII, binary or packed BCD data,
//! fixed or with an ASCII or BCD length prefix) given at its full length and of its class is
//! written straight through its plan. Anything else — padding, EBCDIC, hex, signs, errors —
//! goes to the general writer, so that errors are reported one way.

use crate::message::{check_field_value, positional_lengths_fit};
use crate::plan::{Plan, Shape};
use crate::spec::{Class, MessageSpec};
use crate::text::{bcd_pair, digit, value_ok};

/// Writes field `n` of plan `p` at the start of `out`; `base` is its offset in the message
/// (for the composite check). Returns the bytes written; `None` sends the field to the
/// general writer (what this may have written is overwritten then).
#[inline(always)]
pub(super) fn fast_field(
    spec: &MessageSpec,
    n: usize,
    p: &Plan,
    value: &[u8],
    out: &mut [u8],
    base: usize,
) -> Option<usize> {
    let chars = value.len();
    let (pl, wire) = match p.shape {
        Shape::Fixed if chars == usize::from(p.max) => (0, usize::from(p.wire)),
        Shape::AsciiChars | Shape::BcdBytes if chars <= usize::from(p.max) => {
            (usize::from(p.prefix_len), chars)
        }
        Shape::BcdDigits if chars <= usize::from(p.max) => {
            (usize::from(p.prefix_len), chars.div_ceil(2))
        }
        _ => return None,
    };
    if !value_ok(p.class, value) {
        return None;
    }
    let (prefix, rest) = out.split_at_mut_checked(pl)?;
    let (data, _) = rest.split_at_mut_checked(wire)?;
    match p.shape {
        Shape::AsciiChars => {
            let mut v = chars;
            for b in prefix.iter_mut().rev() {
                *b = digit(v);
                v /= 10;
            }
        }
        Shape::BcdBytes | Shape::BcdDigits => {
            let mut v = chars;
            for b in prefix.iter_mut().rev() {
                *b = bcd_pair(v);
                v /= 100;
            }
        }
        Shape::Fixed | Shape::Generic | Shape::Undefined => {}
    }
    if p.pad_side == 0 {
        copy(data, value);
    } else {
        pack(p, data, value);
    }
    // The characters were checked above and packing keeps them valid: what is left to check
    // is the structure of composite values (digits that divide into the positional subfields
    // need nothing more).
    if p.composite {
        let f = spec.field(n)?;
        if !(p.class == Class::N && positional_lengths_fit(&f.subfields, chars))
            && check_field_value(f, data, chars, base + pl).is_err()
        {
            return None;
        }
    }
    Some(pl + wire)
}

/// Writes a fixed ASCII or binary field without subfields at `pos` of `buf`: a value of the
/// field's length and class is copied. Returns the bytes written; `None` sends the field to
/// the general writer.
#[inline(always)]
pub(super) fn copy_field(p: &Plan, value: &[u8], buf: &mut [u8], pos: usize) -> Option<usize> {
    let len = value.len();
    if len != usize::from(p.wire) || !value_ok(p.class, value) {
        return None;
    }
    copy(buf.get_mut(pos..pos + len)?, value);
    Some(len)
}

/// Copies `src` into `dst` of the same length: short values (most fields are) in one or two
/// overlapping word moves rather than a call to `memcpy`.
#[inline(always)]
fn copy(dst: &mut [u8], src: &[u8]) {
    let n = src.len();
    if n > 16 || dst.len() != n {
        dst.copy_from_slice(src);
    } else if n >= 8 {
        copy_ends::<8>(dst, src);
    } else if n >= 4 {
        copy_ends::<4>(dst, src);
    } else {
        for (d, s) in dst.iter_mut().zip(src) {
            *d = *s;
        }
    }
}

/// Copies the first and the last `N` bytes of `src` (which overlap or meet when it holds at
/// most `2 N`) into `dst` of the same length.
#[inline(always)]
fn copy_ends<const N: usize>(dst: &mut [u8], src: &[u8]) {
    if let (Some(d), Some(s)) = (dst.first_chunk_mut::<N>(), src.first_chunk::<N>()) {
        *d = *s;
    }
    if let (Some(d), Some(s)) = (dst.last_chunk_mut::<N>(), src.last_chunk::<N>()) {
        *d = *s;
    }
}

/// Packs checked characters into BCD, an odd count padded on the plan's side.
#[inline(always)]
fn pack(p: &Plan, data: &mut [u8], value: &[u8]) {
    let odd = value.len() % 2 == 1;
    let pad = p.pad_nibble;
    if odd && p.pad_side == 1 {
        // Left padding puts the pad nibble first and shifts the digits by one nibble.
        let nibble_at = |k: usize| -> u8 {
            match k.checked_sub(1).and_then(|i| value.get(i)) {
                Some(&c) => nib(c),
                None => pad,
            }
        };
        for (k, o) in data.iter_mut().enumerate() {
            *o = (nibble_at(2 * k) << 4) | nibble_at(2 * k + 1);
        }
        return;
    }
    // Checked characters (digits, and `=` or `D` in tracks): eight at a time, then in pairs.
    let (octets, rest) = value.as_chunks::<8>();
    let (packed, tail) = data.split_at_mut(octets.len() * 4);
    for (o, octet) in packed.as_chunks_mut::<4>().0.iter_mut().zip(octets) {
        *o = pack8(u64::from_le_bytes(*octet));
    }
    let (pairs, rest) = rest.as_chunks::<2>();
    if p.class == Class::N {
        // Digits: the low nibble is the value.
        for (o, &[a, b]) in tail.iter_mut().zip(pairs) {
            *o = ((a & 0x0F) << 4) | (b & 0x0F);
        }
    } else {
        for (o, &[a, b]) in tail.iter_mut().zip(pairs) {
            *o = (nib(a) << 4) | nib(b);
        }
    }
    let pairs = pairs.len() + octets.len() * 4;
    if let (Some(o), [c]) = (data.get_mut(pairs), rest) {
        *o = (nib(*c) << 4) | pad;
    }
}

/// Eight checked characters (in memory order) as four packed BCD bytes: [`nib`] of each.
#[inline(always)]
fn pack8(v: u64) -> [u8; 4] {
    const LOW: u64 = 0x0F0F_0F0F_0F0F_0F0F;
    const ONES: u64 = 0x0101_0101_0101_0101;
    let x = (v & LOW) | (((v >> 6) & ONES) * 0x0D);
    // Byte 2k takes digit 2k in its high nibble and digit 2k + 1 in its low one.
    let x = ((x << 4) | (x >> 8)) & 0x00FF_00FF_00FF_00FF;
    let x = (x | (x >> 8)) & 0x0000_FFFF_0000_FFFF;
    let x = (x | (x >> 16)) & 0x0000_0000_FFFF_FFFF;
    // Four bytes are left: the mask changes nothing.
    ((x & 0xFFFF_FFFF) as u32).to_le_bytes()
}

/// The BCD nibble of a validated character: a digit, or the track separator (`=` is 0x3D;
/// `D`, 0x44, is the one character above 0x3F and gets 0x0D from its top bits).
#[inline(always)]
pub(super) fn nib(c: u8) -> u8 {
    (c & 0x0F) | ((c >> 6) * 0x0D)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::indexing_slicing, clippy::unwrap_used)] // tests fail loudly
    use super::*;

    #[test]
    fn packs_eight_digits_at_a_time() {
        assert_eq!(
            pack8(u64::from_le_bytes(*b"12345678")),
            [0x12, 0x34, 0x56, 0x78]
        );
        assert_eq!(pack8(u64::from_le_bytes(*b"90000001")), [0x90, 0, 0, 0x01]);
        assert_eq!(
            pack8(u64::from_le_bytes(*b"4820D131")),
            [0x48, 0x20, 0xD1, 0x31]
        );
        assert_eq!(
            pack8(u64::from_le_bytes(*b"4820=131")),
            [0x48, 0x20, 0xD1, 0x31]
        );
    }

    #[test]
    fn copies_every_short_length() {
        let src: [u8; 20] = core::array::from_fn(|i| u8::try_from(i + 1).unwrap());
        for n in 0..=20 {
            let mut dst = [0u8; 20];
            copy(&mut dst[..n], &src[..n]);
            assert_eq!(dst[..n], src[..n], "{n}");
            assert!(dst[n..].iter().all(|&b| b == 0));
        }
    }
}
