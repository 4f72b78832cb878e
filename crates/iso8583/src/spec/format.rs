//! Wire formats: content classes, encodings, length prefixes, masks, and the [`Format`] of
//! one field.

use core::fmt;

/// Declares a spec enum with its JSON names in one place.
macro_rules! named_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vm])* $variant),+
        }
        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];
            /// The name used in spec files.
            pub const fn name(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }
            /// The value a spec file names, if any.
            pub fn from_name(name: &str) -> Option<Self> {
                match name { $($text => Some(Self::$variant),)+ _ => None }
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

named_enum! {
    /// Content class of a field (ISO 8583 notation): which characters it may hold.
    Class {
        /// `n`: decimal digits.
        N = "n",
        /// `a`: letters and space.
        A = "a",
        /// `an`: letters, digits and space.
        An = "an",
        /// `ans`: printable ASCII (0x20–0x7E).
        Ans = "ans",
        /// `ns`: digits and special characters (printable ASCII).
        Ns = "ns",
        /// `z`: track data: digits and the separator `=` (written `D` in BCD).
        Z = "z",
        /// `z-hex`: track data that may be enciphered in place (field 53.3 = 1): any packed
        /// BCD nibble, read as the hex digits `0`–`9` and `A`–`F` (`=` is written `D`). A
        /// track in clear reads as under `z`; an enciphered block reads as hex.
        ZHex = "z-hex",
        /// `x+n`: a sign `C` (credit) or `D` (debit) followed by digits.
        XN = "x+n",
        /// `b`: binary bytes.
        B = "b",
    }
}

named_enum! {
    /// How a field's characters are written on the wire.
    Encoding {
        /// One ASCII byte per character.
        Ascii = "ascii",
        /// One EBCDIC (code page 037) byte per character.
        Ebcdic = "ebcdic",
        /// Packed BCD, two digits per byte; an odd count is padded on the left.
        Bcd = "bcd",
        /// Packed BCD, two digits per byte; an odd count is padded on the right.
        BcdRight = "bcd-right",
        /// Raw bytes (class `b`).
        Binary = "binary",
        /// Each byte as two upper-case hex ASCII characters (class `b`).
        Hex = "hex",
    }
}

named_enum! {
    /// How a variable field's length prefix is written.
    PrefixEncoding {
        /// Decimal ASCII digits, one byte per digit.
        Ascii = "ascii",
        /// Decimal EBCDIC digits (`F0`–`F9`).
        Ebcdic = "ebcdic",
        /// Packed BCD, left-padded with a 0 nibble: LL in 1 byte, LLL and LLLL in 2.
        Bcd = "bcd",
        /// Big-endian binary in as many bytes as BCD would take.
        Binary = "binary",
        /// Upper-case hex ASCII digits, one byte per digit.
        Hex = "hex",
    }
}

named_enum! {
    /// What a length prefix counts.
    LengthUnit {
        /// The value's characters: digits of a BCD numeric, bytes of a binary field.
        Chars = "chars",
        /// The bytes the value takes on the wire.
        Bytes = "bytes",
    }
}

named_enum! {
    /// How the MTI is written.
    MtiEncoding {
        /// Four ASCII digits.
        Ascii = "ascii",
        /// Four EBCDIC digits.
        Ebcdic = "ebcdic",
        /// Two bytes of packed BCD.
        Bcd = "bcd",
    }
}

named_enum! {
    /// How each 64-bit bitmap is written.
    BitmapEncoding {
        /// Eight raw bytes.
        Binary = "binary",
        /// Sixteen upper-case hex ASCII characters.
        Hex = "hex",
    }
}

named_enum! {
    /// How a field is masked in describe output and masked JSON.
    Mask {
        /// Shown as is.
        None = "none",
        /// A PAN: first 6 and last 4 digits shown.
        Pan = "pan",
        /// Track data: the PAN masked as [`Mask::Pan`], the separator shown, the rest hidden.
        Track = "track",
        /// Hidden entirely (PIN block, MAC, track 3).
        Hidden = "hidden",
    }
}

/// Fixed length, or the number of decimal digits in the length prefix (`L` = 1 … `LLLLLL` = 6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Length {
    /// No prefix; the value always has [`Format::max`] characters.
    Fixed,
    /// A prefix of this many digits (1–6).
    Var(u8),
}

impl Length {
    /// The spec file's name: `fixed`, `L`, `LL`, … `LLLLLL`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Fixed => "fixed",
            Self::Var(1) => "L",
            Self::Var(2) => "LL",
            Self::Var(3) => "LLL",
            Self::Var(4) => "LLLL",
            Self::Var(5) => "LLLLL",
            Self::Var(_) => "LLLLLL",
        }
    }

    /// The value a spec file names.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "fixed" => Some(Self::Fixed),
            _ if (1..=6).contains(&name.len()) && name.bytes().all(|b| b == b'L') => {
                u8::try_from(name.len()).ok().map(Self::Var)
            }
            _ => None,
        }
    }
}

impl fmt::Display for Length {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The wire format of one field (or of the whole value of a composite field).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Format {
    /// Content class.
    pub class: Class,
    /// Fixed or variable with a length prefix.
    pub length: Length,
    /// Maximum (for fixed fields: exact) length in characters (bytes for class `b`).
    pub max: u16,
    /// Data encoding.
    pub data: Encoding,
    /// Length prefix encoding (ignored for fixed fields).
    pub prefix: PrefixEncoding,
    /// What the prefix counts.
    pub unit: LengthUnit,
    /// Pad character: the BCD pad nibble (`0` or `F`) for odd digit counts, and the filler the
    /// encoder adds to short fixed text values (numerics on the left, text on the right).
    pub pad: u8,
}

impl Format {
    /// A fixed-length format with the usual defaults (prefix unused, pad `0` for numerics and
    /// space for text).
    pub const fn fixed(class: Class, max: u16, data: Encoding) -> Self {
        Self {
            class,
            length: Length::Fixed,
            max,
            data,
            prefix: PrefixEncoding::Ascii,
            unit: LengthUnit::Chars,
            pad: default_pad(class),
        }
    }

    /// A variable format with `digits` prefix digits counting characters.
    pub const fn var(
        class: Class,
        digits: u8,
        max: u16,
        data: Encoding,
        prefix: PrefixEncoding,
    ) -> Self {
        Self {
            class,
            length: Length::Var(digits),
            max,
            data,
            prefix,
            unit: LengthUnit::Chars,
            pad: default_pad(class),
        }
    }

    /// Bytes the length prefix takes (0 for fixed fields).
    #[inline]
    pub const fn prefix_len(&self) -> usize {
        match self.length {
            Length::Fixed => 0,
            Length::Var(d) => match self.prefix {
                PrefixEncoding::Ascii | PrefixEncoding::Ebcdic | PrefixEncoding::Hex => d as usize,
                PrefixEncoding::Bcd | PrefixEncoding::Binary => (d as usize).div_ceil(2),
            },
        }
    }

    /// Bytes a value of `chars` characters takes on the wire.
    #[inline]
    pub const fn wire_len(&self, chars: usize) -> usize {
        match self.data {
            Encoding::Ascii | Encoding::Ebcdic | Encoding::Binary => chars,
            Encoding::Hex => chars * 2,
            Encoding::Bcd | Encoding::BcdRight => match self.class {
                // The sign travels as one ASCII byte in front of the packed digits.
                Class::XN if chars > 0 => 1 + (chars - 1).div_ceil(2),
                _ => chars.div_ceil(2),
            },
        }
    }

    /// Characters in a value of `wire` bytes when the prefix counts bytes (no pad nibble).
    #[inline]
    pub const fn chars_in(&self, wire: usize) -> Option<usize> {
        match self.data {
            Encoding::Ascii | Encoding::Ebcdic | Encoding::Binary => Some(wire),
            Encoding::Hex => {
                if wire.is_multiple_of(2) {
                    Some(wire / 2)
                } else {
                    None
                }
            }
            Encoding::Bcd | Encoding::BcdRight => match self.class {
                Class::XN if wire > 0 => Some(1 + (wire - 1) * 2),
                _ => Some(wire * 2),
            },
        }
    }

    /// The largest value the prefix can hold, in its own unit.
    // `prefix_len()` is at most 3 here (6 digits), so the cast cannot truncate; `u32::try_from`
    // is not available in a `const fn`.
    #[allow(clippy::cast_possible_truncation)]
    pub const fn prefix_max(&self) -> u64 {
        match self.length {
            Length::Fixed => 0,
            Length::Var(d) => match self.prefix {
                PrefixEncoding::Ascii | PrefixEncoding::Ebcdic | PrefixEncoding::Bcd => {
                    10u64.pow(d as u32) - 1
                }
                PrefixEncoding::Hex => 16u64.pow(d as u32) - 1,
                PrefixEncoding::Binary => 256u64.pow(self.prefix_len() as u32) - 1,
            },
        }
    }

    /// Whether the format is coherent; the reason when it is not.
    ///
    /// # Errors
    /// A short sentence naming the problem.
    pub fn check(&self) -> Result<(), &'static str> {
        let binary_data = matches!(self.data, Encoding::Binary | Encoding::Hex);
        if (self.class == Class::B) != binary_data {
            return Err("class b goes with data binary or hex, and only it does");
        }
        let bcd = matches!(self.data, Encoding::Bcd | Encoding::BcdRight);
        if bcd && !matches!(self.class, Class::N | Class::Z | Class::ZHex | Class::XN) {
            return Err("BCD data needs class n, z, z-hex or x+n");
        }
        if bcd && !matches!(self.pad, b'0' | b'F') {
            return Err("the BCD pad must be 0 or F");
        }
        if self.max == 0 {
            return Err("max must be at least 1");
        }
        if let Length::Var(d) = self.length {
            if !(1..=6).contains(&d) {
                return Err("a length prefix has 1 to 6 digits");
            }
            let limit = match self.unit {
                LengthUnit::Chars => usize::from(self.max),
                LengthUnit::Bytes => self.wire_len(usize::from(self.max)),
            };
            // A limit beyond `u64` (on a wider `usize`) does not fit any prefix either.
            if u64::try_from(limit).unwrap_or(u64::MAX) > self.prefix_max() {
                return Err("max does not fit the length prefix");
            }
        }
        if self.class == Class::XN && self.max < 2 {
            return Err("x+n needs a sign and at least one digit");
        }
        Ok(())
    }
}

/// The default pad of a class: `0` for numerics, space for text, 0 for binary.
pub const fn default_pad(class: Class) -> u8 {
    match class {
        Class::N | Class::Z | Class::ZHex | Class::XN => b'0',
        Class::B => 0,
        _ => b' ',
    }
}
