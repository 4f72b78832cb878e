//! The general writer: every format of a spec, short fixed values padded, errors named.

use super::fast::nib;
use crate::error::{Error, ErrorKind, FieldPath};
use crate::message::check_field_value;
use crate::spec::{Class, Encoding, FieldSpec, Length, LengthUnit, Subfields};
use crate::text::{char_nibble, first_bad_ascii, hex_char, hex_nibble, to_ebcdic, write_prefix};

/// Writes one field (prefix and value) at the start of `out`; `base` is its offset in the
/// message (for errors). Returns the bytes written.
#[inline(never)]
pub(super) fn write_field(
    f: &FieldSpec,
    value: &[u8],
    out: &mut [u8],
    base: usize,
) -> Result<usize, Error> {
    let fmt = &f.format;
    let path = FieldPath::field(f.number);
    let max = usize::from(fmt.max);
    let bad_len = |found| {
        Error::new(
            ErrorKind::InvalidLength {
                max: fmt.max,
                found,
            },
            base,
            path,
        )
    };
    let given = value.len();
    let chars = match fmt.length {
        Length::Fixed if given == max => max,
        // Short fixed values are padded: numerics on the left with zeros, text on the right.
        Length::Fixed if given < max && !matches!(fmt.class, Class::B | Class::Z | Class::XN) => {
            max
        }
        Length::Fixed => return Err(bad_len(given)),
        Length::Var(_) if given <= max => given,
        Length::Var(_) => return Err(bad_len(given)),
    };
    let pad_count = chars - given;
    let pl = fmt.prefix_len();
    // The given characters must be of the class (the pad is, by construction).
    if let Some(i) = first_bad_ascii(fmt.class, value) {
        let at = match fmt.data {
            Encoding::Bcd | Encoding::BcdRight => i / 2,
            _ => i,
        };
        return Err(Error::new(
            ErrorKind::InvalidCharacter {
                expected: fmt.class,
            },
            base + pl + at,
            path,
        ));
    }
    let wire = fmt.wire_len(chars);
    let dst = out
        .get_mut(..pl + wire)
        .ok_or(Error::new(ErrorKind::BufferTooSmall, base, path))?;
    let (prefix, data) = dst.split_at_mut(pl);
    if let Length::Var(_) = fmt.length {
        let v = match fmt.unit {
            LengthUnit::Chars => chars,
            LengthUnit::Bytes => wire,
        };
        write_prefix(fmt, v, prefix).ok_or(bad_len(chars))?;
    }
    let left_pad = fmt.class == Class::N;
    let lead = if left_pad { pad_count } else { 0 };
    let pad_char = if left_pad { b'0' } else { fmt.pad };
    match fmt.data {
        Encoding::Ascii | Encoding::Ebcdic => {
            let (head, rest) = data.split_at_mut(lead);
            let (body, tail) = rest.split_at_mut(given);
            head.fill(pad_char);
            body.copy_from_slice(value);
            tail.fill(pad_char);
            if fmt.data == Encoding::Ebcdic {
                // The value's characters were checked (printable); a pad that has no EBCDIC
                // byte is the spec's fault.
                for (i, d) in data.iter_mut().enumerate() {
                    *d = to_ebcdic(*d).ok_or(Error::new(
                        ErrorKind::InvalidSpec("the pad has no EBCDIC character"),
                        base + pl + i,
                        path,
                    ))?;
                }
            }
        }
        Encoding::Binary => data.copy_from_slice(value),
        Encoding::Hex => {
            for (pair, &b) in data.chunks_exact_mut(2).zip(value) {
                if let [h, l] = pair {
                    *h = hex_char(b >> 4);
                    *l = hex_char(b);
                }
            }
        }
        Encoding::Bcd | Encoding::BcdRight => {
            let (digits_out, digits, zeros) = if fmt.class == Class::XN {
                let (sign, rest) = data.split_first_mut().ok_or(bad_len(0))?;
                let (s, digits) = value.split_first().ok_or(bad_len(0))?;
                *sign = *s;
                (rest, digits, 0)
            } else {
                (&mut *data, value, lead)
            };
            let count = zeros + digits.len();
            let pad = char_nibble(fmt.pad).ok_or(Error::new(
                ErrorKind::InvalidSpec("the BCD pad must be 0 or F"),
                base,
                path,
            ))?;
            // `z-hex` digits are any hex digit (an enciphered track); the others go through
            // the digit-and-separator mapping.
            let hex = fmt.class == Class::ZHex;
            let nib = |c: u8| if hex { hex_nibble(c) } else { nib(c) };
            let odd_lead = usize::from(count % 2 == 1 && fmt.data == Encoding::Bcd);
            if odd_lead == 0 && zeros == 0 && count % 2 == 0 && fmt.class == Class::N {
                // The common case: whole bytes of two (checked) digits.
                for (o, pair) in digits_out.iter_mut().zip(digits.chunks_exact(2)) {
                    if let [a, b] = pair {
                        *o = ((a & 0x0F) << 4) | (b & 0x0F);
                    }
                }
            } else if odd_lead == 0 && zeros == 0 && count % 2 == 0 {
                for (o, pair) in digits_out.iter_mut().zip(digits.chunks_exact(2)) {
                    if let [a, b] = pair {
                        *o = (nib(*a) << 4) | nib(*b);
                    }
                }
            } else {
                let nibble_at = |k: usize| -> u8 {
                    match k.checked_sub(odd_lead) {
                        None => pad,
                        Some(i) if i < zeros => 0,
                        Some(i) => digits.get(i - zeros).map_or(pad, |&c| nib(c)),
                    }
                };
                for (k, o) in digits_out.iter_mut().enumerate() {
                    *o = (nibble_at(2 * k) << 4) | nibble_at(2 * k + 1);
                }
            }
        }
    }
    // Composite values are checked as they will read back: subfields and TLV.
    if !matches!(f.subfields, Subfields::None) {
        check_field_value(f, data, chars, base + pl)?;
    }
    Ok(pl + wire)
}
