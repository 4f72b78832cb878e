//! Decimal digits for the numeric fields the CUPS messages and the date-time carry.

/// `WIDTH` zero-padded ASCII digits of `v` (taken modulo 10^`WIDTH`).
pub(crate) fn digits<const WIDTH: usize>(v: u64) -> [u8; WIDTH] {
    let mut out = [b'0'; WIDTH];
    let mut x = v;
    for d in out.iter_mut().rev() {
        *d = ascii_digit(x);
        x /= 10;
    }
    out
}

/// The last decimal digit of `v` as an ASCII character.
pub(crate) const fn ascii_digit(v: u64) -> u8 {
    // `v % 10` is below 10: the cast cannot truncate.
    #[allow(clippy::cast_possible_truncation)]
    let d = (v % 10) as u8;
    b'0' + d
}
