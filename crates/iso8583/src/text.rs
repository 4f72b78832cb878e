//! Character-level building blocks: class checks (eight bytes at a time on the hot classes),
//! EBCDIC code page 037, packed BCD nibbles, hex, and length prefixes.

use crate::spec::{Class, Format, PrefixEncoding};

const DIGIT: u8 = 1;
const ALPHA: u8 = 2;
const SPACE: u8 = 4;
const PRINT: u8 = 8;
const TRACK: u8 = 16;

/// A table with one entry per byte value: a lookup cannot miss.
#[derive(Debug)]
pub(crate) struct ByteTable<T>(pub(crate) [T; 256]);

impl<T: Copy> ByteTable<T> {
    /// The entry of byte `b`.
    // A `u8` indexes a 256-entry array: always in bounds (and compiled without a check).
    #[allow(clippy::indexing_slicing)]
    #[inline(always)]
    pub(crate) const fn get(&self, b: u8) -> T {
        self.0[b as usize]
    }
}

/// The ASCII digit of `v % 10`.
#[inline(always)]
pub(crate) const fn digit(v: usize) -> u8 {
    // `v % 10` is below 10: the mask changes nothing and tells the truncation lint so (which
    // judges a `usize` by no width, a `u64` by its own).
    b'0' + ((v as u64 % 10) & 0x0F) as u8
}

/// The packed BCD byte of the last two decimal digits of `v`.
#[inline(always)]
pub(crate) const fn bcd_pair(v: usize) -> u8 {
    ((digit(v / 10) & 0x0F) << 4) | (digit(v) & 0x0F)
}

/// Class bits of each byte value.
static CLASS_BITS: ByteTable<u8> = ByteTable(class_bits());

// A `const fn` cannot use `get_mut` or `u8::try_from`; `b < 0x7F` bounds both.
#[allow(clippy::indexing_slicing, clippy::cast_possible_truncation)]
const fn class_bits() -> [u8; 256] {
    let mut t = [0u8; 256];
    let mut b = 0x20usize;
    while b < 0x7F {
        let mut bits = PRINT;
        let c = b as u8;
        if c.is_ascii_digit() {
            bits |= DIGIT | TRACK;
        }
        if c.is_ascii_alphabetic() {
            bits |= ALPHA;
        }
        if c == b' ' {
            bits |= SPACE;
        }
        if c == b'=' || c == b'D' {
            bits |= TRACK;
        }
        t[b] = bits;
        b += 1;
    }
    t
}

/// The class bits a character of `class` needs (any one of them).
const fn class_mask(class: Class) -> u8 {
    match class {
        Class::N => DIGIT,
        Class::A => ALPHA | SPACE,
        Class::An => ALPHA | DIGIT | SPACE,
        Class::Ans | Class::Ns => PRINT,
        Class::Z => TRACK,
        // x+n is checked position by position in `char_ok`.
        Class::XN => DIGIT,
        Class::B => 0xFF,
    }
}

/// Whether character `c` at position `i` belongs to `class`.
#[inline]
pub(crate) fn char_ok(class: Class, c: u8, i: usize) -> bool {
    match class {
        Class::B => true,
        Class::XN if i == 0 => c == b'C' || c == b'D',
        _ => CLASS_BITS.get(c) & class_mask(class) != 0,
    }
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// Whether eight ASCII bytes are all digits.
#[inline(always)]
fn digits8(v: u64) -> bool {
    // High nibble 3 everywhere, and adding 6 to each byte does not leave the 0x30 row.
    (v & (0xF0 * ONES)) == 0x30 * ONES
        && (v.wrapping_add(0x06 * ONES) & (0xF0 * ONES)) == 0x30 * ONES
}

/// Whether eight bytes are all printable ASCII (0x20–0x7E).
#[inline(always)]
fn printable8(v: u64) -> bool {
    // No high bit; +0x60 sets the high bit exactly for bytes ≥ 0x20; +1 sets it only for 0x7F.
    (v & HIGH) == 0
        && (v.wrapping_add(0x60 * ONES) & HIGH) == HIGH
        && (v.wrapping_add(ONES) & HIGH) == 0
}

/// High bit of each byte set where the byte is in `lo..=hi`. Only meaningful when no byte has
/// its high bit set (then no addition carries into the next byte).
#[inline(always)]
pub(crate) const fn range8(v: u64, lo: u8, hi: u8) -> u64 {
    let above_lo = v.wrapping_add((0x80 - lo as u64) * ONES);
    let above_hi = v.wrapping_add((0x7F - hi as u64) * ONES);
    above_lo & !above_hi & HIGH
}

/// Whether eight bytes are all letters, digits or space.
#[inline(always)]
fn an8(v: u64) -> bool {
    v & HIGH == 0
        && (range8(v, b'0', b'9')
            | range8(v, b'A', b'Z')
            | range8(v, b'a', b'z')
            | range8(v, b' ', b' '))
            == HIGH
}

/// Whether eight bytes are all letters or space.
#[inline(always)]
fn a8(v: u64) -> bool {
    v & HIGH == 0 && (range8(v, b'A', b'Z') | range8(v, b'a', b'z') | range8(v, b' ', b' ')) == HIGH
}

/// Whether eight bytes are all track characters: digits, `=` or `D`.
#[inline(always)]
fn z8(v: u64) -> bool {
    v & HIGH == 0 && (range8(v, b'0', b'9') | range8(v, b'=', b'=') | range8(v, b'D', b'D')) == HIGH
}

/// The word of up to 8 bytes, read as overlapping pieces of themselves so that every byte of
/// the word is one of theirs (no filler); `None` for no bytes.
#[inline(always)]
fn short_word(bytes: &[u8]) -> Option<u64> {
    if let (Some(lo), Some(hi)) = (bytes.first_chunk::<4>(), bytes.last_chunk::<4>()) {
        return Some(
            u64::from(u32::from_le_bytes(*lo)) | (u64::from(u32::from_le_bytes(*hi)) << 32),
        );
    }
    let (a, b, c) = match *bytes {
        [a] => (a, a, a),
        [a, b] => (a, b, b),
        [a, b, c] => (a, b, c),
        _ => return None,
    };
    let (a, b, c) = (u64::from(a), u64::from(b), u64::from(c));
    let abc = a | (b << 8) | (c << 16);
    Some(abc | (abc << 24) | (a << 48) | (b << 56))
}

/// Whether every byte of `bytes` passes `ok8` (checked eight at a time; the last one to
/// seven bytes as a short word).
#[inline(always)]
fn all8(bytes: &[u8], ok8: fn(u64) -> bool) -> bool {
    let (words, rest) = bytes.as_chunks::<8>();
    let mut ok = true;
    for w in words {
        ok &= ok8(u64::from_le_bytes(*w));
    }
    ok && short_word(rest).is_none_or(ok8)
}

/// Whether every byte of `bytes` (ASCII text) is of `class`.
#[inline(always)]
pub(crate) fn ascii_ok(class: Class, bytes: &[u8]) -> bool {
    match class {
        Class::N => all8(bytes, digits8),
        Class::Ans | Class::Ns => all8(bytes, printable8),
        Class::An => all8(bytes, an8),
        Class::A => all8(bytes, a8),
        Class::Z => all8(bytes, z8),
        Class::B => true,
        Class::XN => first_bad_ascii(class, bytes).is_none(),
    }
}

/// Position of the first byte of `bytes` (ASCII text) that is not of `class`.
#[inline(always)]
pub(crate) fn first_bad_ascii(class: Class, bytes: &[u8]) -> Option<usize> {
    let ok = match class {
        Class::B => return None,
        Class::XN => {
            // The sign, then digits.
            return match bytes.split_first() {
                Some((b'C' | b'D', rest)) => first_bad_ascii(Class::N, rest).map(|i| i + 1),
                Some(_) => Some(0),
                None => None,
            };
        }
        Class::N => all8(bytes, digits8),
        Class::Ans | Class::Ns => all8(bytes, printable8),
        Class::An => all8(bytes, an8),
        Class::A => all8(bytes, a8),
        Class::Z => all8(bytes, z8),
    };
    if ok {
        return None;
    }
    // Cold: find the exact position.
    bytes
        .iter()
        .enumerate()
        .position(|(i, &c)| !char_ok(class, c, i))
}

/// ASCII `0x20..=0x7E` → EBCDIC (code page 037), as Python's `cp037` codec maps them.
static TO_EBCDIC: [u8; 95] = [
    0x40, 0x5A, 0x7F, 0x7B, 0x5B, 0x6C, 0x50, 0x7D, 0x4D, 0x5D, 0x5C, 0x4E, 0x6B, 0x60, 0x4B, 0x61,
    0xF0, 0xF1, 0xF2, 0xF3, 0xF4, 0xF5, 0xF6, 0xF7, 0xF8, 0xF9, 0x7A, 0x5E, 0x4C, 0x7E, 0x6E, 0x6F,
    0x7C, 0xC1, 0xC2, 0xC3, 0xC4, 0xC5, 0xC6, 0xC7, 0xC8, 0xC9, 0xD1, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6,
    0xD7, 0xD8, 0xD9, 0xE2, 0xE3, 0xE4, 0xE5, 0xE6, 0xE7, 0xE8, 0xE9, 0xBA, 0xE0, 0xBB, 0xB0, 0x6D,
    0x79, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x91, 0x92, 0x93, 0x94, 0x95, 0x96,
    0x97, 0x98, 0x99, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7, 0xA8, 0xA9, 0xC0, 0x4F, 0xD0, 0xA1,
];

/// EBCDIC → ASCII for the printable subset; 0 for bytes outside it.
static FROM_EBCDIC: ByteTable<u8> = ByteTable(from_ebcdic());

// Const table inversion: `i < 95` bounds both indexing expressions and the cast.
#[allow(clippy::indexing_slicing, clippy::cast_possible_truncation)]
const fn from_ebcdic() -> [u8; 256] {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 95 {
        t[TO_EBCDIC[i] as usize] = 0x20 + i as u8;
        i += 1;
    }
    t
}

/// The EBCDIC byte of printable ASCII `c`.
#[inline]
pub(crate) fn to_ebcdic(c: u8) -> Option<u8> {
    TO_EBCDIC.get(usize::from(c.checked_sub(0x20)?)).copied()
}

/// The ASCII character of EBCDIC byte `b` (0 when outside the printable subset).
#[inline]
pub(crate) fn from_ebcdic_byte(b: u8) -> u8 {
    FROM_EBCDIC.get(b)
}

/// Upper-case hex character of the low nibble.
#[inline]
pub(crate) const fn hex_char(n: u8) -> u8 {
    let n = n & 0x0F;
    if n < 10 { b'0' + n } else { b'A' + n - 10 }
}

/// Value of an upper-case hex character.
#[inline]
pub(crate) const fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Nibble `i` of `bytes` (0 = high nibble of the first byte).
#[inline]
pub(crate) fn nibble(bytes: &[u8], i: usize) -> Option<u8> {
    let b = *bytes.get(i / 2)?;
    Some(if i.is_multiple_of(2) {
        b >> 4
    } else {
        b & 0x0F
    })
}

/// The character a BCD nibble stands for: digits, and `D` for the track separator.
#[inline]
pub(crate) const fn nibble_char(n: u8) -> u8 {
    hex_char(n)
}

/// The nibble of a character in a BCD value: digits, and `D` or `=` for the separator.
#[inline]
pub(crate) const fn char_nibble(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'D' | b'=' => Some(0x0D),
        b'C' => Some(0x0C),
        b'F' => Some(0x0F),
        _ => None,
    }
}

/// Whether the eight bytes of packed BCD hold only decimal nibbles.
#[inline(always)]
fn bcd8(v: u64) -> bool {
    let lo = v & (0x0F * ONES);
    let hi = (v >> 4) & (0x0F * ONES);
    // A nibble above 9 carries into the high half of its byte when 6 is added.
    ((lo + 0x06 * ONES) | (hi + 0x06 * ONES)) & (0xF0 * ONES) == 0
}

/// Position (in nibbles) of the first nibble of `bytes` that is not a digit.
#[inline]
pub(crate) fn first_bad_bcd_digit(bytes: &[u8]) -> Option<usize> {
    let (words, _) = bytes.as_chunks::<8>();
    let start = 8 * words
        .iter()
        .take_while(|w| bcd8(u64::from_le_bytes(**w)))
        .count();
    for (i, &b) in bytes.iter().enumerate().skip(start) {
        if b >> 4 > 9 {
            return Some(2 * i);
        }
        if b & 0x0F > 9 {
            return Some(2 * i + 1);
        }
    }
    None
}

/// Reads a length prefix; `None` when a digit is not of the prefix encoding.
#[inline]
pub(crate) fn read_prefix(format: &Format, bytes: &[u8]) -> Option<usize> {
    let mut v = 0usize;
    match format.prefix {
        PrefixEncoding::Ascii => {
            for &b in bytes {
                if !b.is_ascii_digit() {
                    return None;
                }
                v = v * 10 + usize::from(b - b'0');
            }
        }
        PrefixEncoding::Ebcdic => {
            for &b in bytes {
                if !(0xF0..=0xF9).contains(&b) {
                    return None;
                }
                v = v * 10 + usize::from(b - 0xF0);
            }
        }
        PrefixEncoding::Bcd => {
            for &b in bytes {
                let (hi, lo) = (b >> 4, b & 0x0F);
                if hi > 9 || lo > 9 {
                    return None;
                }
                v = v * 100 + usize::from(hi) * 10 + usize::from(lo);
            }
        }
        PrefixEncoding::Binary => {
            for &b in bytes {
                v = (v << 8) | usize::from(b);
            }
        }
        PrefixEncoding::Hex => {
            for &b in bytes {
                v = (v << 4) | usize::from(hex_value(b)?);
            }
        }
    }
    Some(v)
}

/// Writes `value` as a length prefix filling `out` exactly; `None` if it does not fit.
pub(crate) fn write_prefix(format: &Format, value: usize, out: &mut [u8]) -> Option<()> {
    let mut v = value;
    match format.prefix {
        PrefixEncoding::Ascii | PrefixEncoding::Ebcdic => {
            // EBCDIC digits are F0–F9: the ASCII digit with its high nibble set.
            let high = if format.prefix == PrefixEncoding::Ascii {
                0
            } else {
                0xF0
            };
            for b in out.iter_mut().rev() {
                *b = digit(v) | high;
                v /= 10;
            }
        }
        PrefixEncoding::Bcd => {
            for b in out.iter_mut().rev() {
                *b = bcd_pair(v);
                v /= 100;
            }
        }
        PrefixEncoding::Binary => {
            for b in out.iter_mut().rev() {
                *b = (v as u64 & 0xFF) as u8;
                v >>= 8;
            }
        }
        PrefixEncoding::Hex => {
            for b in out.iter_mut().rev() {
                *b = hex_char((v as u64 & 0x0F) as u8);
                v >>= 4;
            }
        }
    }
    // Whatever did not fit the prefix's digits is left over.
    (v == 0).then_some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{Class, Encoding, Format, Length};

    #[test]
    fn swar_matches_the_table() {
        for b in 0..=255u8 {
            let v = u64::from_le_bytes([b'1', b'2', b, b'3', b'4', b'5', b'6', b'7']);
            assert_eq!(digits8(v), b.is_ascii_digit(), "digit {b:02X}");
            assert_eq!(printable8(v), (0x20..0x7F).contains(&b), "print {b:02X}");
            let w = u64::from_le_bytes([0x12, 0x34, b, 0x56, 0x78, 0x90, 0x12, 0x34]);
            assert_eq!(bcd8(w), b >> 4 <= 9 && b & 15 <= 9, "bcd {b:02X}");
        }
        for class in Class::ALL
            .iter()
            .copied()
            .filter(|c| *c != Class::B && *c != Class::XN)
        {
            for b in 0..=255u8 {
                for pos in [0usize, 3, 7] {
                    let mut w = [if class == Class::A { b'A' } else { b'0' }; 8];
                    w[pos] = b;
                    let word = match class {
                        Class::N => digits8(u64::from_le_bytes(w)),
                        Class::Ans | Class::Ns => printable8(u64::from_le_bytes(w)),
                        Class::An => an8(u64::from_le_bytes(w)),
                        Class::A => a8(u64::from_le_bytes(w)),
                        _ => z8(u64::from_le_bytes(w)),
                    };
                    assert_eq!(word, char_ok(class, b, 1), "{class} {b:02X}");
                }
            }
        }
        assert_eq!(first_bad_ascii(Class::N, b"0123456789012345X7"), Some(16));
        assert_eq!(first_bad_ascii(Class::XN, b"D00012345"), None);
        assert_eq!(first_bad_ascii(Class::XN, b"X00012345"), Some(0));
        assert_eq!(first_bad_ascii(Class::Z, b"4761739001010119=2212"), None);
        assert_eq!(first_bad_ascii(Class::An, b"AB 12c$"), Some(6));
        // Every length and every position of one bad byte.
        for len in 1..40 {
            let good = [b'7'; 40];
            let good = &good[..len];
            assert_eq!(first_bad_ascii(Class::N, good), None, "{len}");
            for bad in 0..len {
                let mut buf = [b'7'; 40];
                let v = &mut buf[..len];
                v[bad] = b'/';
                assert_eq!(first_bad_ascii(Class::N, v), Some(bad), "{len} {bad}");
                assert_eq!(first_bad_ascii(Class::Ans, v), None);
                v[bad] = 0x7F;
                assert_eq!(first_bad_ascii(Class::Ans, v), Some(bad), "{len} {bad}");
            }
        }
        assert_eq!(first_bad_ascii(Class::Ans, b"TERM 001~\x7F"), Some(9));
        assert_eq!(
            first_bad_bcd_digit(&[0x12, 0x34, 0x56, 0x78, 0x90, 0x12, 0x34, 0x56, 0x7A]),
            Some(17)
        );
    }

    #[test]
    fn ebcdic_round_trips() {
        for c in 0x20..0x7Fu8 {
            assert_eq!(from_ebcdic_byte(to_ebcdic(c).unwrap()), c);
        }
        assert_eq!(to_ebcdic(b'A'), Some(0xC1));
        assert_eq!(from_ebcdic_byte(0x00), 0);
    }

    #[test]
    fn prefixes() {
        let mut f = Format::fixed(Class::N, 999, Encoding::Bcd);
        f.length = Length::Var(3);
        for (enc, wire) in [
            (PrefixEncoding::Ascii, &b"123"[..]),
            (PrefixEncoding::Ebcdic, &[0xF1, 0xF2, 0xF3][..]),
            (PrefixEncoding::Bcd, &[0x01, 0x23][..]),
            (PrefixEncoding::Binary, &[0x00, 0x7B][..]),
            (PrefixEncoding::Hex, &b"07B"[..]),
        ] {
            f.prefix = enc;
            assert_eq!(f.prefix_len(), wire.len());
            assert_eq!(read_prefix(&f, wire), Some(123), "{enc}");
            let mut out = [0u8; 3];
            write_prefix(&f, 123, &mut out[..wire.len()]).unwrap();
            assert_eq!(&out[..wire.len()], wire);
        }
        f.prefix = PrefixEncoding::Ascii;
        assert_eq!(read_prefix(&f, b"1A3"), None);
        assert!(write_prefix(&f, 1000, &mut [0u8; 3]).is_none());
    }
}
