//! The generic content check of one field: characters against the class, packed BCD digits
//! and pad, subfields and BER-TLV. The fast walk checks the common formats itself and comes
//! here for the rest; the precise walk and [`Field::validate`](super::Field::validate) come
//! here for every field.

use cardwire_emv::tlv::{Mode, Reader};

use super::subfield::{SubfieldIter, byte_of};
use crate::chars::Chars;
use crate::error::{Error, ErrorKind, FieldPath};
use crate::spec::{Class, Encoding, FieldSpec, Format, Subfields};
use crate::text::{
    ByteTable, char_nibble, char_ok, first_bad_ascii, first_bad_bcd_digit, from_ebcdic_byte,
    hex_value, nibble,
};

/// The longest TLV field checked when it travels as hex text (decoded on the stack).
const MAX_HEX_TLV: u16 = 1024;

/// Validates a field's value: characters, BCD digits and pad, subfields, TLV. `start` is the
/// value's offset in the message (for errors).
// Kept out of line: the decoder's loop stays small enough to live in registers.
#[inline(never)]
pub(crate) fn check_field_value(
    f: &FieldSpec,
    value: &[u8],
    chars: usize,
    start: usize,
) -> Result<(), Error> {
    let fmt = &f.format;
    let path = FieldPath::field(f.number);
    let bad_char = |i: usize| {
        Error::new(
            ErrorKind::InvalidCharacter {
                expected: fmt.class,
            },
            start + i,
            path,
        )
    };
    match fmt.data {
        Encoding::Ascii => {
            if let Some(i) = first_bad_ascii(fmt.class, value) {
                return Err(bad_char(i));
            }
        }
        Encoding::Ebcdic => {
            for (i, &b) in value.iter().enumerate() {
                let c = from_ebcdic_byte(b);
                if c == 0 || !char_ok(fmt.class, c, i) {
                    return Err(bad_char(i));
                }
            }
        }
        Encoding::Bcd | Encoding::BcdRight => {
            check_bcd(fmt, value, chars).map_err(|(i, kind)| Error::new(kind, start + i, path))?
        }
        Encoding::Binary => {}
        Encoding::Hex => {
            if let Some(i) = value.iter().position(|&c| hex_value(c).is_none()) {
                return Err(bad_char(i));
            }
        }
    }
    match &f.subfields {
        Subfields::None => Ok(()),
        Subfields::Tlv(mode) => check_tlv(f, value, start, *mode),
        Subfields::Positional(_) | Subfields::Bitmap(_) => {
            // Digits (already checked) are of every subfield class but `a`: then only the
            // lengths need checking, which positional subfields allow without cutting.
            let digits = fmt.class == Class::N;
            if digits && positional_lengths_fit(&f.subfields, chars) {
                return Ok(());
            }
            let chars = Chars::of_value(fmt, value, chars);
            for sub in SubfieldIter::new(f, chars) {
                let sub = sub.map_err(|e| e.into_error(f, fmt, start))?;
                if digits && sub.spec.class != Class::A {
                    continue;
                }
                if let Some(i) = sub
                    .chars
                    .iter()
                    .enumerate()
                    .position(|(i, c)| !char_ok(sub.spec.class, c, i))
                {
                    let pos = sub.start + i;
                    return Err(Error::new(
                        ErrorKind::InvalidCharacter {
                            expected: sub.spec.class,
                        },
                        start + byte_of(fmt, pos),
                        FieldPath::subfield(f.number, sub.index),
                    ));
                }
            }
            Ok(())
        }
    }
}

/// Whether `chars` characters divide exactly into leading positional subfields (the last one
/// taken may be variable), none of class `a`. `false` sends the caller to the full check.
#[inline]
pub(crate) fn positional_lengths_fit(subfields: &Subfields, chars: usize) -> bool {
    let Subfields::Positional(list) = subfields else {
        return false;
    };
    let mut sum = 0usize;
    for sub in list.iter() {
        if sum >= chars {
            return sum == chars;
        }
        if sub.class == Class::A {
            return false;
        }
        let len = usize::from(sub.len);
        if sub.var {
            return chars - sum <= len;
        }
        if chars - sum < len {
            // The field ends inside this subfield: whole enough when it has its `min`.
            return chars - sum >= usize::from(sub.min);
        }
        sum += len;
    }
    sum == chars
}

/// Checks packed BCD: the sign byte of `x+n`, the pad nibble, and each digit.
/// Errors carry the byte position inside the value.
fn check_bcd(fmt: &Format, value: &[u8], chars: usize) -> Result<(), (usize, ErrorKind)> {
    let bad = ErrorKind::InvalidCharacter {
        expected: fmt.class,
    };
    let (digits, digit_count, base) = if fmt.class == Class::XN {
        match value.split_first() {
            Some((&(b'C' | b'D'), rest)) => (rest, chars.saturating_sub(1), 1),
            _ => return Err((0, bad)),
        }
    } else {
        (value, chars, 0)
    };
    let nibbles = digits.len() * 2;
    let left = fmt.data == Encoding::Bcd;
    let padded = nibbles != digit_count;
    // `MessageSpec::check` allows the pads 0 and F only; an unchecked spec is refused here.
    let pad =
        char_nibble(fmt.pad).ok_or((0, ErrorKind::InvalidSpec("the BCD pad must be 0 or F")))?;
    if padded {
        let at_nib = if left { 0 } else { nibbles.saturating_sub(1) };
        if nibble(digits, at_nib) != Some(pad) {
            return Err((
                base + at_nib / 2,
                ErrorKind::InvalidPad { expected: fmt.pad },
            ));
        }
    }
    if fmt.class == Class::ZHex {
        // An enciphered track: every nibble is a value (the pad was checked above).
        return Ok(());
    }
    if fmt.class != Class::Z && (!padded || pad <= 9) {
        // The pad (if any) is a digit too: one pass over whole bytes.
        return match first_bad_bcd_digit(digits) {
            Some(i) => Err((base + i / 2, bad)),
            None => Ok(()),
        };
    }
    // Track data: digits and the separator D; the pad nibble (checked above) may be F. The
    // inner bytes hold two characters each; the first and last may hold the pad.
    let z = fmt.class == Class::Z;
    let ok = |n: u8| n <= 9 || (z && n == 0x0D);
    let table = if z { &TRACK_BYTE } else { &DIGIT_BYTE };
    let (first, inner, last) = match digits {
        [] => return Ok(()),
        [only] => (*only, &[][..], None),
        [first, inner @ .., last] => (*first, inner, Some(*last)),
    };
    if let Some(i) = inner.iter().position(|&b| !table.get(b)) {
        return Err((base + 1 + i, bad));
    }
    let edge_ok = |b: u8, is_first: bool, is_last: bool| {
        let hi_is_pad = padded && left && is_first;
        let lo_is_pad = padded && !left && is_last;
        (hi_is_pad || ok(b >> 4)) && (lo_is_pad || ok(b & 0x0F))
    };
    if !edge_ok(first, true, last.is_none()) {
        return Err((base, bad));
    }
    match last {
        Some(b) if !edge_ok(b, false, true) => Err((base + digits.len() - 1, bad)),
        _ => Ok(()),
    }
}

/// Bytes whose two nibbles are decimal digits.
static DIGIT_BYTE: ByteTable<bool> = ByteTable(nibble_table(false));
/// Bytes whose two nibbles are digits or the track separator D.
static TRACK_BYTE: ByteTable<bool> = ByteTable(nibble_table(true));

// `b < 256` bounds the index; `get_mut` is not `const`.
#[allow(clippy::indexing_slicing, clippy::cast_possible_truncation)]
const fn nibble_table(track: bool) -> [bool; 256] {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let (hi, lo) = ((b >> 4) as u8, (b & 0x0F) as u8);
        t[b] = (hi <= 9 || (track && hi == 0x0D)) && (lo <= 9 || (track && lo == 0x0D));
        b += 1;
    }
    t
}

/// Validates a TLV field.
#[cold]
fn check_tlv(f: &FieldSpec, value: &[u8], start: usize, mode: Mode) -> Result<(), Error> {
    let tlv_error = |e: cardwire_emv::Error, scale: usize| {
        let path = match e.tag() {
            Some(t) => FieldPath::tag(f.number, t),
            None => FieldPath::field(f.number),
        };
        Error::new(ErrorKind::Tlv(e.kind()), start + e.offset() * scale, path)
    };
    if f.format.data != Encoding::Hex {
        return Reader::with_mode(value, mode)
            .validate()
            .map_err(|e| tlv_error(e, 1));
    }
    let mut bytes = [0u8; MAX_HEX_TLV as usize];
    let n = value.len() / 2;
    let dst = bytes.get_mut(..n).ok_or(Error::new(
        ErrorKind::InvalidLength {
            max: MAX_HEX_TLV,
            found: n,
        },
        start,
        FieldPath::field(f.number),
    ))?;
    let (pairs, _) = value.as_chunks::<2>();
    for (i, (d, &[h, l])) in dst.iter_mut().zip(pairs).enumerate() {
        // The characters were checked as hex by the caller; were one not, it is named here.
        let bad = |k| {
            Error::new(
                ErrorKind::InvalidCharacter { expected: Class::B },
                start + 2 * i + k,
                FieldPath::field(f.number),
            )
        };
        *d = (hex_value(h).ok_or_else(|| bad(0))? << 4) | hex_value(l).ok_or_else(|| bad(1))?;
    }
    Reader::with_mode(dst, mode)
        .validate()
        .map_err(|e| tlv_error(e, 2))
}
