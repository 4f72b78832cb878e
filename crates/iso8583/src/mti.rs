//! The message type indicator.

use core::fmt;

/// An MTI: four ASCII digits (version, class, function, origin), e.g. `0200`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Mti([u8; 4]);

impl Mti {
    /// `0000`: the placeholder of a view that has not read its MTI.
    pub(crate) const UNSET: Self = Self(*b"0000");

    /// An MTI from four ASCII digits; `None` if any is not a digit.
    pub const fn new(digits: [u8; 4]) -> Option<Self> {
        // All four at once: digits become 0–9 and every other byte 10 or more; adding 0x76
        // sets the high bit of each byte of 10 or more (a byte that already has it is caught
        // by `| x`, and only such a byte can carry into its neighbour).
        let x = u32::from_le_bytes(digits) ^ 0x3030_3030;
        if (x.wrapping_add(0x7676_7676) | x) & 0x8080_8080 == 0 {
            Some(Self(digits))
        } else {
            None
        }
    }

    /// An MTI from its number, e.g. `Mti::from_u16(200)` is `0200`.
    pub const fn from_u16(n: u16) -> Option<Self> {
        if n > 9999 {
            return None;
        }
        Some(Self([
            digit(n / 1000),
            digit(n / 100),
            digit(n / 10),
            digit(n),
        ]))
    }

    /// The four ASCII digits.
    pub const fn digits(&self) -> [u8; 4] {
        self.0
    }

    /// The MTI as a number, e.g. 200.
    pub const fn to_u16(&self) -> u16 {
        let [a, b, c, d] = self.0;
        (a - b'0') as u16 * 1000
            + (b - b'0') as u16 * 100
            + (c - b'0') as u16 * 10
            + (d - b'0') as u16
    }

    /// The MTI as text.
    pub fn as_str(&self) -> &str {
        // Every constructor admits ASCII digits only, which are UTF-8.
        core::str::from_utf8(&self.0).unwrap_or("????")
    }

    /// Whether the function digit says request or advice (even), not response.
    pub const fn is_request(&self) -> bool {
        (self.0[2] - b'0').is_multiple_of(2)
    }

    /// The response to this request (`0200` → `0210`); `None` if it already is a response.
    pub const fn response(&self) -> Option<Self> {
        if !self.is_request() {
            return None;
        }
        let [a, b, c, d] = self.0;
        Some(Self([a, b, c + 1, d]))
    }
}

/// The ASCII digit of `x % 10`.
// `x % 10` is below 10, so the cast cannot truncate (`u8::try_from` is not `const`).
#[allow(clippy::cast_possible_truncation)]
const fn digit(x: u16) -> u8 {
    b'0' + (x % 10) as u8
}

impl fmt::Display for Mti {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Mti {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Mti({self})")
    }
}

impl core::str::FromStr for Mti {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        let digits: [u8; 4] = s.as_bytes().try_into().map_err(drop)?;
        Self::new(digits).ok_or(())
    }
}

#[cfg(test)]
mod tests {
    use super::Mti;

    #[test]
    fn four_digits_and_nothing_else() {
        // Every byte value in every position, the others digits: accepted exactly when it is
        // a digit (the check of all four at once must not let a carry hide a bad byte).
        for pos in 0..4 {
            for b in 0..=u8::MAX {
                for other in [b'0', b'9'] {
                    let mut digits = [other; 4];
                    digits[pos] = b;
                    assert_eq!(Mti::new(digits).is_some(), b.is_ascii_digit(), "{digits:?}");
                }
            }
        }
        // Two bad bytes side by side, one of which would carry into the other.
        assert!(Mti::new([0xFF, b'/', b'0', b'0']).is_none());
        assert!(Mti::new([b'0', 0xFF, b':', b'0']).is_none());
    }
}
