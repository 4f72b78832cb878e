//! The codec's private plan of a spec: per field number, the few facts the decoder's fast walk
//! and the encoder's fast path need (how the length is found, how the characters are checked,
//! the fixed wire length), derived once from the field table — in `const` for built-in specs —
//! so the hot loops never look at a full [`FieldSpec`].

use crate::spec::{
    Class, Encoding, FieldSpec, Length, LengthUnit, MAX_FIELD, PrefixEncoding, Subfields,
};

/// How the codec reads and writes a field without looking at its full spec.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Plan {
    /// How the length is found.
    pub shape: Shape,
    /// How the characters are checked.
    pub check: Check,
    /// Which run the field's bytes (prefix included) join ([`RUN_NONE`] for none).
    pub run: u8,
    /// The decoder's shortcut: [`Plan::run`] when the field is fixed and its characters are
    /// checked by the run alone (so that one comparison with the pending run's key says
    /// that nothing but its length is to be done), [`NOT_PLAIN`] otherwise.
    pub plain_run: u8,
    /// Prefix bytes (variable fields).
    pub prefix_len: u8,
    /// Maximum (fixed: exact) length in characters.
    pub max: u16,
    /// Wire length of a [`Shape::Fixed`] field.
    pub wire: u16,
    /// The field's class.
    pub class: Class,
    /// Packed BCD data: the pad nibble of an odd count sits on the left (1) or on the right
    /// (2); 0 for other data.
    pub pad_side: u8,
    /// The BCD pad nibble.
    pub pad_nibble: u8,
    /// How the encoder's fast path writes the field.
    pub encode: Encode,
    /// Whether the value has subfields or TLV to check.
    pub composite: bool,
}

/// How the codec finds a field's length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shape {
    /// The spec does not define the field.
    Undefined,
    /// Fixed length: [`Plan::wire`] bytes.
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

/// How the encoder writes a field given at its full length and of its class.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Encode {
    /// Through the general writer only (EBCDIC, hex, signs, unplanned lengths).
    General,
    /// Fixed ASCII or binary data without subfields: the value is copied.
    Copy,
    /// A planned length prefix, packed BCD or subfields: the plan's writer.
    Planned,
}

/// How the decoder checks a field's characters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Check {
    /// Nothing to check (binary, no subfields).
    Nothing,
    /// Checked in a run with its neighbours of the same [`Plan::run`].
    Run,
    /// ASCII text of [`Plan::class`] checked on its own (its prefix is not of its class).
    Ascii,
    /// Packed BCD digits checked in a run; an odd count's pad nibble, on the left, on its own.
    PadLeft,
    /// As [`Check::PadLeft`] with the pad on the right.
    PadRight,
    /// The generic check (subfields, TLV, EBCDIC, tracks in BCD, …).
    Generic,
}

/// [`Plan::plain_run`] of a field that needs more than its length: never a run key.
pub(crate) const NOT_PLAIN: u8 = 0xFF;

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
        shape: Shape::Undefined,
        check: Check::Generic,
        run: RUN_NONE,
        plain_run: NOT_PLAIN,
        prefix_len: 0,
        max: 0,
        wire: 0,
        class: Class::B,
        pad_side: 0,
        pad_nibble: 0,
        encode: Encode::General,
        composite: false,
    };

    // `u8::try_from` and `u16::try_from` are not `const`: `prefix_len()` is at most 6 (a
    // prefix has 1–6 digits; longer ones make the shape generic) and `wire` is compared with
    // `u16::MAX` before its cast.
    #[allow(clippy::cast_possible_truncation)]
    const fn of(f: &FieldSpec) -> Self {
        let fmt = &f.format;
        let plain = matches!(f.subfields, Subfields::None);
        let fixed = matches!(fmt.length, Length::Fixed);
        let ascii = matches!(fmt.data, Encoding::Ascii);
        let bcd = matches!(fmt.data, Encoding::Bcd | Encoding::BcdRight);
        let chars_unit = matches!(fmt.unit, LengthUnit::Chars);
        let prefix_len = fmt.prefix_len();
        let wire = fmt.wire_len(fmt.max as usize);
        let (shape, wire) = if fixed {
            if wire <= u16::MAX as usize {
                (Shape::Fixed, wire as u16)
            } else {
                (Shape::Generic, 0)
            }
        } else if prefix_len > 6 {
            (Shape::Generic, 0)
        } else {
            let shape = match (fmt.prefix, fmt.data, fmt.class) {
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
            };
            (shape, 0)
        };
        let ascii_prefix_or_fixed = fixed || matches!(fmt.prefix, PrefixEncoding::Ascii);
        let bcd_prefix_or_fixed = fixed || matches!(fmt.prefix, PrefixEncoding::Bcd);
        let text_class = matches!(
            fmt.class,
            Class::N | Class::A | Class::An | Class::Ans | Class::Ns | Class::Z
        );
        let (check, run) = if !plain {
            (Check::Generic, RUN_NONE)
        } else if matches!(fmt.data, Encoding::Binary) {
            (Check::Nothing, RUN_NONE)
        } else if ascii && text_class && ascii_prefix_or_fixed && !matches!(fmt.class, Class::A) {
            // ASCII prefix digits are of every class but `a`: they join the run.
            (Check::Run, run_ascii(fmt.class))
        } else if ascii && text_class {
            (Check::Ascii, RUN_NONE)
        } else if bcd && matches!(fmt.class, Class::N) && fmt.pad == b'0' && bcd_prefix_or_fixed {
            // An even fixed count has no pad nibble to check.
            let check = if fixed && fmt.max.is_multiple_of(2) {
                Check::Run
            } else if matches!(fmt.data, Encoding::Bcd) {
                Check::PadLeft
            } else {
                Check::PadRight
            };
            (check, RUN_BCD)
        } else {
            (Check::Generic, RUN_NONE)
        };
        Self {
            shape,
            check,
            run,
            plain_run: if matches!(shape, Shape::Fixed)
                && matches!(check, Check::Nothing | Check::Run)
            {
                run
            } else {
                NOT_PLAIN
            },
            prefix_len: prefix_len as u8,
            max: fmt.max,
            wire,
            class: fmt.class,
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
            encode: if matches!(shape, Shape::Generic)
                || matches!(fmt.class, Class::XN)
                || !matches!(
                    fmt.data,
                    Encoding::Ascii | Encoding::Binary | Encoding::Bcd | Encoding::BcdRight
                ) {
                Encode::General
            } else if fixed && plain && matches!(fmt.data, Encoding::Ascii | Encoding::Binary) {
                Encode::Copy
            } else {
                Encode::Planned
            },
            composite: !plain,
        }
    }
}

/// The nibbles of three bitmaps: the groups of four field numbers the decoder reads in one
/// step each (fields 1–4, 5–8, … 189–192).
pub(crate) const GROUPS: usize = 48;

/// The fields one bitmap nibble announces, read together.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Step {
    /// The wire bytes of the fixed fields together.
    pub wire: u16,
    /// Their common run when every one of them is checked by its run alone, [`NOT_PLAIN`]
    /// otherwise (the decoder then reads them one by one).
    pub run: u8,
    /// The class of that run.
    pub class: Class,
    /// When the first field is variable with an ASCII prefix counting ASCII characters (an
    /// LLVAR PAN in front of fixed fields): its prefix bytes; 0 when all are fixed.
    pub var_prefix: u8,
    /// Its maximum length.
    pub var_max: u16,
}

impl Step {
    const EMPTY: Self = Self {
        wire: 0,
        run: RUN_NONE,
        class: Class::B,
        var_prefix: 0,
        var_max: 0,
    };

    /// The step of the fields of group `g` that `value` (a bitmap nibble) announces.
    // A `const fn` cannot call `get` or `u16::try_from`: the field number is at most
    // 4 × 47 + 4 = 192 (`g < GROUPS`), and the sum is compared with `u16::MAX` before its cast.
    #[allow(clippy::indexing_slicing, clippy::cast_possible_truncation)]
    const fn of(plans: &[Plan; TABLE], g: usize, value: usize) -> Self {
        let mut wire = 0usize;
        let mut run = NOT_PLAIN;
        let mut class = Class::B;
        let mut var_prefix = 0;
        let mut var_max = 0;
        let mut first = true;
        let mut i = 0;
        while i < 4 {
            // The nibble's high bit is the group's first field.
            if value & (8 >> i) != 0 {
                let p = &plans[4 * g + i + 1];
                // Fixed and checked by its run alone; or, first, an ASCII LLVAR of the same.
                let var_first = first
                    && matches!(p.shape, Shape::AsciiChars)
                    && matches!(p.check, Check::Nothing | Check::Run);
                let field_run = if var_first { p.run } else { p.plain_run };
                if field_run == NOT_PLAIN || (run != NOT_PLAIN && field_run != run) {
                    return Self::NOT_PLAIN;
                }
                run = field_run;
                class = p.class;
                if var_first {
                    var_prefix = p.prefix_len;
                    var_max = p.max;
                } else {
                    wire += p.wire as usize;
                }
                first = false;
            }
            i += 1;
        }
        if wire > u16::MAX as usize {
            return Self::NOT_PLAIN;
        }
        Self {
            wire: wire as u16,
            run,
            class,
            var_prefix,
            var_max,
        }
    }

    const NOT_PLAIN: Self = Self {
        wire: 0,
        run: NOT_PLAIN,
        class: Class::B,
        var_prefix: 0,
        var_max: 0,
    };
}

/// Entries of the plan table: field numbers 0 ..= [`MAX_FIELD`].
const TABLE: usize = MAX_FIELD + 1;

/// The plans of a spec, by field number (0 ..= [`MAX_FIELD`]), and where each field's spec
/// is in the field list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Plans {
    plans: [Plan; TABLE],
    /// 1 + the position of the field's spec in the list; 0 when the field is undefined.
    slots: [u8; MAX_FIELD + 1],
    /// Per bitmap nibble and value: the fields it announces read in one step (padded to 64
    /// nibbles so that a masked index needs no bounds check).
    steps: [[Step; 16]; 64],
}

impl Plans {
    /// The plans of a field list. Entries past the 255th, numbers above [`MAX_FIELD`] and
    /// repeated numbers stay unplanned; `MessageSpec::check` reports such a list.
    // A `const fn` cannot call `get_mut` or `u8::try_from`: `n <= MAX_FIELD` is checked right
    // before the indexing expressions and `i < 255` bounds the cast.
    #[allow(clippy::indexing_slicing, clippy::cast_possible_truncation)]
    pub(crate) const fn of(fields: &[FieldSpec]) -> Self {
        let mut plans = [Plan::UNDEFINED; TABLE];
        let mut slots = [0u8; MAX_FIELD + 1];
        let mut rest = fields;
        let mut i = 0usize;
        while let [first, tail @ ..] = rest {
            let n = first.number as usize;
            if i < 255 && n <= MAX_FIELD && slots[n] == 0 {
                plans[n] = Plan::of(first);
                slots[n] = (i + 1) as u8;
            }
            rest = tail;
            i += 1;
        }
        let mut steps = [[Step::EMPTY; 16]; 64];
        let mut g = 0;
        while g < GROUPS {
            let mut value = 1;
            while value < 16 {
                steps[g][value] = Step::of(&plans, g, value);
                value += 1;
            }
            g += 1;
        }
        Self {
            plans,
            slots,
            steps,
        }
    }

    /// The step of bitmap nibble `g` (0–47) holding `value` (0–15).
    #[inline(always)]
    pub(crate) fn step(&self, g: usize, value: u64) -> Option<&Step> {
        // Masked to the table's sizes: the compiler needs no bounds check.
        self.steps.get(g & 63)?.get((value & 15) as usize)
    }

    /// The plan of field `n` ([`Shape::Undefined`] when the spec does not define it); `None`
    /// above [`MAX_FIELD`].
    #[inline(always)]
    pub(crate) fn get(&self, n: usize) -> Option<&Plan> {
        self.plans.get(n)
    }

    /// Where the spec of field `n` is in the field list.
    #[inline(always)]
    pub(crate) fn position(&self, n: usize) -> Option<usize> {
        usize::from(*self.slots.get(n)?).checked_sub(1)
    }
}
