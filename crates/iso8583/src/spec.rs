//! Message specs: what each field of a dialect looks like on the wire.
//!
//! A [`MessageSpec`] is plain data. The built-in specs are `static`s generated from the JSON
//! files in `specs/`; the same JSON loads at run time through serde (feature `serde`), so a
//! host can add or edit a dialect without recompiling. A spec can also be written as Rust
//! `const` data with [`MessageSpec::from_static`].

use core::fmt;
use core::ops::Deref;

use cardwire_emv::tlv::Mode;

/// The largest field number: three bitmaps of 64 bits.
pub const MAX_FIELD: usize = 192;

/// Text held by a spec: `'static` for built-in and `const` specs, owned for specs loaded at
/// run time.
#[derive(Clone)]
pub enum SpecStr {
    /// Borrowed for the whole program (built-in specs).
    Static(&'static str),
    /// Owned (specs loaded from JSON).
    #[cfg(feature = "alloc")]
    Owned(alloc::boxed::Box<str>),
}

impl Deref for SpecStr {
    type Target = str;
    fn deref(&self) -> &str {
        match self {
            Self::Static(s) => s,
            #[cfg(feature = "alloc")]
            Self::Owned(s) => s,
        }
    }
}

impl PartialEq for SpecStr {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}
impl Eq for SpecStr {}

impl fmt::Debug for SpecStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl fmt::Display for SpecStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self)
    }
}

/// A list held by a spec: `'static` for built-in and `const` specs, owned for loaded specs.
#[derive(Clone)]
pub enum SpecList<T: 'static> {
    /// Borrowed for the whole program (built-in specs).
    Static(&'static [T]),
    /// Owned (specs loaded from JSON).
    #[cfg(feature = "alloc")]
    Owned(alloc::boxed::Box<[T]>),
}

impl<T> Deref for SpecList<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        match self {
            Self::Static(s) => s,
            #[cfg(feature = "alloc")]
            Self::Owned(s) => s,
        }
    }
}

impl<T: PartialEq> PartialEq for SpecList<T> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}
impl<T: Eq> Eq for SpecList<T> {}

impl<T: fmt::Debug> fmt::Debug for SpecList<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

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
        if bcd && !matches!(self.class, Class::N | Class::Z | Class::XN) {
            return Err("BCD data needs class n, z or x+n");
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
        Class::N | Class::Z | Class::XN => b'0',
        Class::B => 0,
        _ => b' ',
    }
}

/// One subfield of a positional or bitmap-driven composite field.
///
/// Lengths count the parent's characters (bytes for a class `b` parent).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubfieldSpec {
    /// Name for describe output.
    pub name: SpecStr,
    /// Content class of the subfield's characters.
    pub class: Class,
    /// Length (for a `var` subfield: the most it may take).
    pub len: u16,
    /// Takes whatever is left of the field, up to `len` (only as the last subfield).
    pub var: bool,
}

/// How a field's value divides further.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Subfields {
    /// An atomic value.
    None,
    /// Subfields one after another; trailing subfields may be absent.
    Positional(SpecList<SubfieldSpec>),
    /// A 64-bit bitmap (8 bytes for class `b`, 16 hex characters for text) announces which
    /// subfields follow, in order; bit 1 is subfield 1.
    Bitmap(SpecList<SubfieldSpec>),
    /// BER-TLV data objects (class `b`), read strictly or leniently.
    Tlv(Mode),
}

/// One field of a message spec.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldSpec {
    /// Field number, 2–192 (1 and 65 are bitmap indicators when the spec has more bitmaps).
    pub number: u8,
    /// Name for describe output.
    pub name: SpecStr,
    /// Wire format.
    pub format: Format,
    /// Masking in describe output and masked JSON.
    pub mask: Mask,
    /// Composite structure, if any.
    pub subfields: Subfields,
}

/// A dialect: MTI and bitmap encoding, how many bitmaps, and the field table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageSpec {
    name: SpecStr,
    note: SpecStr,
    mti: MtiEncoding,
    bitmap: BitmapEncoding,
    bitmaps: u8,
    fields: SpecList<FieldSpec>,
    /// Per field number: where its spec is and how the decoder's fast path reads it.
    plans: [Plan; MAX_FIELD + 1],
}

impl MessageSpec {
    /// A spec from `'static` data, usable in `const` and `static` items.
    ///
    /// `fields` must be sorted by number without duplicates; [`MessageSpec::check`] says
    /// whether a spec is coherent (the codec never panics on an incoherent one, it just
    /// rejects messages).
    pub const fn from_static(
        name: &'static str,
        note: &'static str,
        mti: MtiEncoding,
        bitmap: BitmapEncoding,
        bitmaps: u8,
        fields: &'static [FieldSpec],
    ) -> Self {
        Self {
            name: SpecStr::Static(name),
            note: SpecStr::Static(note),
            mti,
            bitmap,
            bitmaps,
            plans: plans_of(fields),
            fields: SpecList::Static(fields),
        }
    }

    /// A spec from owned parts (used by the JSON loader).
    #[cfg(feature = "alloc")]
    pub fn from_parts(
        name: &str,
        note: &str,
        mti: MtiEncoding,
        bitmap: BitmapEncoding,
        bitmaps: u8,
        fields: alloc::vec::Vec<FieldSpec>,
    ) -> Self {
        Self {
            name: SpecStr::Owned(name.into()),
            note: SpecStr::Owned(note.into()),
            mti,
            bitmap,
            bitmaps,
            plans: plans_of(&fields),
            fields: SpecList::Owned(fields.into_boxed_slice()),
        }
    }

    /// The spec's name, e.g. `cups`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A sentence on the dialect and the source of its field table.
    pub fn note(&self) -> &str {
        &self.note
    }

    /// MTI encoding.
    pub const fn mti_encoding(&self) -> MtiEncoding {
        self.mti
    }

    /// Bitmap encoding.
    pub const fn bitmap_encoding(&self) -> BitmapEncoding {
        self.bitmap
    }

    /// How many bitmaps a message may carry (1–3).
    pub const fn bitmaps(&self) -> u8 {
        self.bitmaps
    }

    /// Every field spec, by number.
    pub fn fields(&self) -> &[FieldSpec] {
        &self.fields
    }

    /// The spec of field `n`.
    #[inline]
    pub fn field(&self, n: usize) -> Option<&FieldSpec> {
        let at = usize::from(self.plans.get(n)?.slot);
        self.fields.get(at.checked_sub(1)?)
    }

    /// The decoder's plan for field `n` (slot 0 when undefined).
    #[inline(always)]
    pub(crate) fn plan(&self, n: usize) -> Plan {
        self.plans.get(n).copied().unwrap_or(Plan::UNDEFINED)
    }

    /// Every plan, by field number.
    #[inline(always)]
    pub(crate) fn plans(&self) -> &[Plan; MAX_FIELD + 1] {
        &self.plans
    }

    /// Bytes one bitmap takes on the wire.
    pub const fn bitmap_len(&self) -> usize {
        match self.bitmap {
            BitmapEncoding::Binary => 8,
            BitmapEncoding::Hex => 16,
        }
    }

    /// Bytes the MTI takes on the wire.
    pub const fn mti_len(&self) -> usize {
        match self.mti {
            MtiEncoding::Ascii | MtiEncoding::Ebcdic => 4,
            MtiEncoding::Bcd => 2,
        }
    }

    /// Whether field `n` is a bitmap indicator rather than data (1 with a secondary bitmap
    /// allowed, 65 with a tertiary one).
    pub const fn is_indicator(&self, n: usize) -> bool {
        (n == 1 && self.bitmaps >= 2) || (n == 65 && self.bitmaps >= 3)
    }

    /// Checks that the spec is coherent.
    ///
    /// # Errors
    /// The field number (0 for the message level) and a sentence naming the problem.
    pub fn check(&self) -> Result<(), (u8, &'static str)> {
        if !(1..=3).contains(&self.bitmaps) {
            return Err((0, "bitmaps must be 1, 2 or 3"));
        }
        let mut last = 0u8;
        for f in self.fields.iter() {
            let n = usize::from(f.number);
            if f.number <= last {
                return Err((
                    f.number,
                    "fields must be sorted by number, without duplicates",
                ));
            }
            last = f.number;
            if n < 2 || n > 64 * usize::from(self.bitmaps) || self.is_indicator(n) {
                return Err((f.number, "field number outside the spec's bitmaps"));
            }
            f.format.check().map_err(|e| (f.number, e))?;
            check_subfields(f).map_err(|e| (f.number, e))?;
        }
        Ok(())
    }
}

fn check_subfields(f: &FieldSpec) -> Result<(), &'static str> {
    match &f.subfields {
        Subfields::None => Ok(()),
        Subfields::Tlv(_) if f.format.class == Class::B => Ok(()),
        Subfields::Tlv(_) => Err("TLV subfields need class b"),
        Subfields::Positional(list) | Subfields::Bitmap(list) => {
            if list.is_empty() || list.len() > 64 {
                return Err("a composite field has 1 to 64 subfields");
            }
            for (i, s) in list.iter().enumerate() {
                if s.len == 0 {
                    return Err("a subfield needs a length of at least 1");
                }
                if s.var && i + 1 != list.len() {
                    return Err("only the last subfield may be variable");
                }
                if s.class == Class::B && f.format.class != Class::B {
                    return Err("binary subfields need a binary field");
                }
            }
            Ok(())
        }
    }
}

/// How the decoder reads a field without looking at its full spec: derived once from the
/// spec (in `const` for built-in specs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Plan {
    /// 1 + the position of the field's spec in the list; 0 when the field is undefined.
    pub slot: u8,
    /// How the length is found.
    pub shape: Shape,
    /// How the characters are checked.
    pub check: Check,
    /// Which run the field's characters join (`RUN_NONE` for none).
    pub run: u8,
    /// The field's class (for errors found in a run).
    pub class: Class,
    /// Prefix bytes (variable fields).
    pub prefix_len: u8,
    /// Maximum (fixed: exact) length in characters.
    pub max: u16,
    /// Wire length of a fixed field.
    pub wire: u16,
    /// For BCD checks: the pad nibble sits on the left (1), on the right (2), or nowhere (0)
    /// for odd lengths.
    pub pad_side: u8,
    /// The BCD pad nibble.
    pub pad_nibble: u8,
    /// Whether the encoder's fast path can write the field (ASCII, binary or BCD data, no
    /// sign, a plain length).
    pub encode_fast: bool,
    /// Whether the value has subfields or TLV to check.
    pub composite: bool,
}

/// How the decoder finds a field's length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shape {
    /// Fixed length: `wire` bytes.
    Fixed,
    /// ASCII decimal prefix counting characters of one byte each.
    AsciiChars,
    /// BCD prefix counting digits packed two per byte.
    BcdDigits,
    /// BCD prefix counting bytes (binary and text fields).
    BcdBytes,
    /// Anything else: the generic reader.
    Generic,
}

/// How the decoder checks a field's characters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Check {
    /// Nothing to check (binary, no subfields).
    Nothing,
    /// Checked in a run with its neighbours of the same [`Plan::run`].
    Run,
    /// Packed BCD digits checked in a run, and an odd length's pad nibble on its own.
    RunPad,
    /// The generic check (subfields, TLV, EBCDIC, tracks in BCD, …).
    Generic,
}

/// Run keys: fields with the same non-zero key are checked together.
pub(crate) const RUN_NONE: u8 = 0;
/// Run key of packed BCD digits.
pub(crate) const RUN_BCD: u8 = 1;

/// Run key of ASCII text of `class`.
pub(crate) const fn run_ascii(class: Class) -> u8 {
    2 + class as u8
}

impl Plan {
    pub(crate) const UNDEFINED: Self = Self {
        slot: 0,
        shape: Shape::Generic,
        check: Check::Generic,
        run: RUN_NONE,
        class: Class::B,
        prefix_len: 0,
        max: 0,
        wire: 0,
        pad_side: 0,
        pad_nibble: 0,
        encode_fast: false,
        composite: false,
    };

    // `prefix_len` is at most 6 and `wire_len(max)` at most 2 × 65535 for hex (checked);
    // `u8/u16::try_from` are not `const`.
    #[allow(clippy::cast_possible_truncation)]
    const fn of(f: &FieldSpec, slot: u8) -> Self {
        let fmt = &f.format;
        let plain = matches!(f.subfields, Subfields::None);
        let fixed = matches!(fmt.length, Length::Fixed);
        let ascii = matches!(fmt.data, Encoding::Ascii);
        let bcd = matches!(fmt.data, Encoding::Bcd | Encoding::BcdRight);
        let chars_unit = matches!(fmt.unit, LengthUnit::Chars);
        let wire = fmt.wire_len(fmt.max as usize);
        let shape = if fixed {
            if wire <= u16::MAX as usize {
                Shape::Fixed
            } else {
                Shape::Generic
            }
        } else {
            match (fmt.prefix, fmt.data, fmt.class) {
                (PrefixEncoding::Ascii, Encoding::Ascii | Encoding::Binary, _) if chars_unit => {
                    Shape::AsciiChars
                }
                (PrefixEncoding::Bcd, Encoding::Bcd | Encoding::BcdRight, Class::N | Class::Z)
                    if chars_unit =>
                {
                    Shape::BcdDigits
                }
                (PrefixEncoding::Bcd, Encoding::Ascii | Encoding::Binary, _) => Shape::BcdBytes,
                _ => Shape::Generic,
            }
        };
        let ascii_prefix_or_fixed = fixed || matches!(fmt.prefix, PrefixEncoding::Ascii);
        let bcd_prefix_or_fixed = fixed || matches!(fmt.prefix, PrefixEncoding::Bcd);
        let (check, run) = if !plain {
            (Check::Generic, RUN_NONE)
        } else if matches!(fmt.data, Encoding::Binary) {
            (Check::Nothing, RUN_NONE)
        } else if ascii
            && matches!(
                fmt.class,
                Class::N | Class::An | Class::Ans | Class::Ns | Class::Z
            )
            && ascii_prefix_or_fixed
        {
            (Check::Run, run_ascii(fmt.class))
        } else if bcd && matches!(fmt.class, Class::N) && fmt.pad == b'0' && bcd_prefix_or_fixed {
            (Check::RunPad, RUN_BCD)
        } else {
            (Check::Generic, RUN_NONE)
        };
        Self {
            slot,
            shape,
            check,
            run,
            class: fmt.class,
            prefix_len: fmt.prefix_len() as u8,
            max: fmt.max,
            wire: wire as u16,
            pad_side: match fmt.data {
                Encoding::Bcd => 1,
                Encoding::BcdRight => 2,
                _ => 0,
            },
            pad_nibble: match fmt.pad {
                b'0'..=b'9' => fmt.pad - b'0',
                b'A'..=b'F' => fmt.pad - b'A' + 10,
                _ => 0,
            },
            encode_fast: !matches!(shape, Shape::Generic)
                && !matches!(fmt.class, Class::XN)
                && matches!(
                    fmt.data,
                    Encoding::Ascii | Encoding::Binary | Encoding::Bcd | Encoding::BcdRight
                ),
            composite: !plain,
        }
    }
}

/// The plans of a field list, by field number.
// A `const fn` cannot call `get_mut` or `u8::try_from`; the bounds are checked right before the
// indexing expressions and `i < 255` bounds the cast.
#[allow(clippy::indexing_slicing, clippy::cast_possible_truncation)]
const fn plans_of(fields: &[FieldSpec]) -> [Plan; MAX_FIELD + 1] {
    let mut plans = [Plan::UNDEFINED; MAX_FIELD + 1];
    let mut rest = fields;
    let mut i = 0usize;
    // A list longer than 255 entries cannot be valid (at most 190 data fields): later entries
    // stay unindexed and `check` reports the list.
    while let [first, tail @ ..] = rest {
        let n = first.number as usize;
        if i < 255 && n <= MAX_FIELD && plans[n].slot == 0 {
            plans[n] = Plan::of(first, (i + 1) as u8);
        }
        rest = tail;
        i += 1;
    }
    plans
}
