//! Character-level building blocks: class checks (eight bytes at a time on the hot classes),
//! EBCDIC code page 037, packed BCD nibbles, hex, and length prefixes.

use crate::spec::{Class, Format, PrefixEncoding};

const DIGIT: u8 = 1;
const ALPHA: u8 = 2;
const SPACE: u8 = 4;
const PRINT: u8 = 8;
const TRACK: u8 = 16;
/// Characters of a track that may be enciphered: digits, `=` and the hex letters `A`–`F`.
const TRACK_HEX: u8 = 32;

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
        if c.is_ascii_digit() || c == b'=' || matches!(c, b'A'..=b'F') {
            bits |= TRACK_HEX;
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
        Class::ZHex => TRACK_HEX,
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
    // Digits become 0–9 and every other byte 10 or more; adding 0x76 sets the high bit of
    // each byte of 10 or more (a byte that already has it is caught by `| x`, and only such a
    // byte can carry into its neighbour).
    let x = v ^ (0x30 * ONES);
    (x.wrapping_add(0x76 * ONES) | x) & HIGH == 0
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
    // Setting bit 5 turns capitals into small letters, and no other byte into one.
    v & HIGH == 0
        && (range8(v, b'0', b'9') | range8(v | (0x20 * ONES), b'a', b'z') | range8(v, b' ', b' '))
            == HIGH
}

/// Whether eight bytes are all letters or space.
#[inline(always)]
fn a8(v: u64) -> bool {
    v & HIGH == 0 && (range8(v | (0x20 * ONES), b'a', b'z') | range8(v, b' ', b' ')) == HIGH
}

/// Whether eight bytes are all track characters: digits, `=` or `D`.
#[inline(always)]
fn z8(v: u64) -> bool {
    v & HIGH == 0 && (range8(v, b'0', b'9') | range8(v, b'=', b'=') | range8(v, b'D', b'D')) == HIGH
}

/// Whether every byte of `bytes` is of `class`: eight at a time with `ok8` (the last word
/// overlapping the one before), fewer than four one at a time through the class table.
#[inline(always)]
fn all8(bytes: &[u8], class: Class, ok8: fn(u64) -> bool) -> bool {
    let Some(last) = bytes.last_chunk::<8>() else {
        // Four to seven bytes: two overlapping halves of one word; fewer: one at a time.
        if let (Some(lo), Some(hi)) = (bytes.first_chunk::<4>(), bytes.last_chunk::<4>()) {
            let lo = u64::from(u32::from_le_bytes(*lo));
            let hi = u64::from(u32::from_le_bytes(*hi));
            return ok8(lo | (hi << 32));
        }
        let mask = class_mask(class);
        return bytes.iter().all(|&b| CLASS_BITS.get(b) & mask != 0);
    };
    // Stops at the first bad word: fields are short, and a loop that runs to the end is
    // vectorised with a setup that costs more than it saves on them.
    let (words, _) = bytes.as_chunks::<8>();
    for w in words {
        if !ok8(u64::from_le_bytes(*w)) {
            return false;
        }
    }
    // The last eight bytes cover what the whole words left (checking some bytes twice).
    ok8(u64::from_le_bytes(*last))
}

/// Whether every byte of `bytes` (ASCII text) is of `class`.
#[inline(always)]
pub(crate) fn ascii_ok(class: Class, bytes: &[u8]) -> bool {
    match class {
        Class::N => all_digits(bytes),
        Class::Ans | Class::Ns => all_printable(bytes),
        Class::An => all_an(bytes),
        Class::A => all_a(bytes),
        Class::Z => all_z(bytes),
        Class::ZHex => first_bad_ascii(Class::ZHex, bytes).is_none(),
        Class::B => true,
        Class::XN => all_xn(bytes),
    }
}

/// [`ascii_ok`] for a field's value (usually short): four to sixteen characters of the
/// common classes in line, in one or two overlapping words.
#[inline(always)]
pub(crate) fn value_ok(class: Class, bytes: &[u8]) -> bool {
    let short = match class {
        Class::N => short_ok(bytes, digits8),
        Class::Ans | Class::Ns => short_ok(bytes, printable8),
        Class::An => short_ok(bytes, an8),
        _ => None,
    };
    // The eight-at-a-time check where one exists, else the per-character one.
    short.unwrap_or_else(|| ascii_ok(class, bytes))
}

/// Whether four to sixteen bytes all pass `ok8`; `None` for other lengths.
#[inline(always)]
fn short_ok(bytes: &[u8], ok8: fn(u64) -> bool) -> Option<bool> {
    if bytes.len() > 16 {
        return None;
    }
    if let (Some(a), Some(b)) = (bytes.first_chunk::<8>(), bytes.last_chunk::<8>()) {
        return Some(ok8(u64::from_le_bytes(*a)) & ok8(u64::from_le_bytes(*b)));
    }
    let (a, b) = (bytes.first_chunk::<4>()?, bytes.last_chunk::<4>()?);
    let (a, b) = (u32::from_le_bytes(*a), u32::from_le_bytes(*b));
    Some(ok8(u64::from(a) | (u64::from(b) << 32)))
}

// The checks of the common classes stay out of line and small: a caller's loop keeps its
// registers, and each check needs few of its own.

/// Whether every byte is a decimal digit.
#[inline(never)]
fn all_digits(bytes: &[u8]) -> bool {
    all8(bytes, Class::N, digits8)
}

/// Whether every byte is printable ASCII.
#[inline(never)]
fn all_printable(bytes: &[u8]) -> bool {
    all8(bytes, Class::Ans, printable8)
}

/// Whether every byte is a letter, a digit or space.
#[inline(never)]
fn all_an(bytes: &[u8]) -> bool {
    all8(bytes, Class::An, an8)
}

/// Whether every byte is a letter or space.
#[inline(never)]
fn all_a(bytes: &[u8]) -> bool {
    all8(bytes, Class::A, a8)
}

/// Whether every byte is a track character.
#[inline(never)]
fn all_z(bytes: &[u8]) -> bool {
    all8(bytes, Class::Z, z8)
}

/// Whether the bytes are a sign (`C` or `D`) and digits.
#[inline(never)]
fn all_xn(bytes: &[u8]) -> bool {
    first_bad_ascii(Class::XN, bytes).is_none()
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
        Class::N => all8(bytes, Class::N, digits8),
        Class::Ans | Class::Ns => all8(bytes, Class::Ans, printable8),
        Class::An => all8(bytes, Class::An, an8),
        Class::A => all8(bytes, Class::A, a8),
        Class::Z => all8(bytes, Class::Z, z8),
        // Rare (enciphered tracks): the position loop below is the check.
        Class::ZHex => false,
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

/// The nibble of a `z-hex` character (checked before): a hex digit's value, `=` the
/// separator `D`.
#[inline]
pub(crate) const fn hex_nibble(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'A'..=b'F' => c - b'A' + 10,
        _ => 0x0D,
    }
}

/// Upper-case hex character of the low nibble.
#[inline]
pub(crate) const fn hex_char(n: u8) -> u8 {
    let n = n & 0x0F;
    if n < 10 { b'0' + n } else { b'A' + n - 10 }
}

/// A 64-bit word as sixteen upper-case hex characters, most significant first.
#[inline]
pub(crate) fn hex16(w: u64) -> [u8; 16] {
    let [hi, lo] = [w >> 32, w & 0xFFFF_FFFF].map(|half| hex8_chars(half).to_be_bytes());
    let mut out = [0u8; 16];
    let (a, b) = out.split_at_mut(8);
    a.copy_from_slice(&hi);
    b.copy_from_slice(&lo);
    out
}

/// Eight hex characters of the low 32 bits of `x`, in the bytes of the result read
/// big-endian.
#[inline(always)]
fn hex8_chars(x: u64) -> u64 {
    // Spread the eight nibbles over eight bytes, most significant in the top byte.
    let x = (x | (x << 16)) & 0x0000_FFFF_0000_FFFF;
    let x = (x | (x << 8)) & 0x00FF_00FF_00FF_00FF;
    let x = (x | (x << 4)) & 0x0F0F_0F0F_0F0F_0F0F;
    // Nibbles of 10 and more get bit 4 from adding 6: they take the seven characters
    // between `9` and `A` more.
    let letters = ((x + 0x0606_0606_0606_0606) >> 4) & ONES;
    x + 0x30 * ONES + letters * 7
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

/// Whether every nibble of `bytes` is a decimal digit.
#[inline(never)]
pub(crate) fn all_bcd_digits(bytes: &[u8]) -> bool {
    first_bad_bcd_digit(bytes).is_none()
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
            .filter(|c| !matches!(c, Class::B | Class::XN | Class::ZHex))
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
        // An enciphered track: hex digits and `=`, upper case only.
        assert_eq!(first_bad_ascii(Class::ZHex, b"4761739001010119=2A9F"), None);
        assert_eq!(first_bad_ascii(Class::ZHex, b"47617390010G"), Some(11));
        assert_eq!(first_bad_ascii(Class::ZHex, b"4761a"), Some(4));
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
    fn value_checks_match_the_table() {
        for class in Class::ALL.iter().copied() {
            for len in 0..24usize {
                for bad in [None, Some(0), Some(len / 2), Some(len.saturating_sub(1))] {
                    for b in [b'/', b':', b' ', b'A', b'z', b'~', 0x7F, 0x80, b'=', b'D'] {
                        let mut v = [if class == Class::A { b'Q' } else { b'7' }; 24];
                        if let Some(i) = bad.filter(|&i| i < len) {
                            v[i] = b;
                        }
                        let v = &v[..len];
                        assert_eq!(value_ok(class, v), ascii_ok(class, v), "{class} {v:?}");
                        let by_table = v.iter().enumerate().all(|(i, &c)| char_ok(class, c, i));
                        assert_eq!(ascii_ok(class, v), by_table, "{class} {v:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn hex_of_words() {
        assert_eq!(&hex16(0x723C_4480_08C0_8000), b"723C448008C08000");
        assert_eq!(&hex16(u64::MAX), b"FFFFFFFFFFFFFFFF");
        assert_eq!(&hex16(0x0123_4567_89AB_CDEF), b"0123456789ABCDEF");
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
