//! The codec's private plan of a spec: per field number, the few facts the decoder's fast walk
//! and the encoder's fast path need (how the length is found, how the characters are checked,
//! the fixed wire length), derived once from the field table — in `const` for built-in specs —
//! so the hot loops never look at a full [`FieldSpec`].

use crate::spec::{
    Class, Encoding, FieldSpec, Length, LengthUnit, MAX_FIELD, PrefixEncoding, Subfields,
};

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

/// The plans of a spec, by field number (0 ..= [`MAX_FIELD`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Plans([Plan; MAX_FIELD + 1]);

impl Plans {
    /// The plans of a field list. Entries past the 255th, numbers above [`MAX_FIELD`] and
    /// repeated numbers stay unplanned; `MessageSpec::check` reports such a list.
    // A `const fn` cannot call `get_mut` or `u8::try_from`: `n <= MAX_FIELD` is checked right
    // before the indexing expressions and `i < 255` bounds the cast.
    #[allow(clippy::indexing_slicing, clippy::cast_possible_truncation)]
    pub(crate) const fn of(fields: &[FieldSpec]) -> Self {
        let mut plans = [Plan::UNDEFINED; MAX_FIELD + 1];
        let mut rest = fields;
        let mut i = 0usize;
        while let [first, tail @ ..] = rest {
            let n = first.number as usize;
            if i < 255 && n <= MAX_FIELD && plans[n].slot == 0 {
                plans[n] = Plan::of(first, (i + 1) as u8);
            }
            rest = tail;
            i += 1;
        }
        Self(plans)
    }

    /// The plan of field `n` (slot 0 when the spec does not define it); `None` above
    /// [`MAX_FIELD`].
    #[inline(always)]
    pub(crate) fn get(&self, n: usize) -> Option<&Plan> {
        self.0.get(n)
    }
}
