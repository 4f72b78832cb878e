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
        let [a, b, c, d] = digits;
        if a.is_ascii_digit() && b.is_ascii_digit() && c.is_ascii_digit() && d.is_ascii_digit() {
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
