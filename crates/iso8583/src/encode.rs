//! Encoding into a caller buffer: fields are written as they are given (in ascending order),
//! the bitmap is computed from them when the message is finished.

use core::ops::Range;

use crate::bitmap::Bitmap;
use crate::error::{Error, ErrorKind, FieldPath, at};
use crate::message::{Field, check_field_value, positional_lengths_fit};
use crate::mti::Mti;
use crate::plan::{Plan, Shape};
use crate::spec::{
    BitmapEncoding, Class, Encoding, FieldSpec, Length, LengthUnit, MessageSpec, MtiEncoding,
    Subfields,
};
use crate::text::{
    ascii_ok, bcd_pair, char_nibble, digit, first_bad_ascii, hex_char, to_ebcdic, write_prefix,
};

/// A finished message: its length and where its MAC field lies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Encoded {
    /// Bytes written.
    pub len: usize,
    /// The value of the MAC field (64, or 128/192 in multi-bitmap messages) when it is the
    /// last field: write the MAC computed over [`Encoded::mab`] there.
    pub mac: Option<Range<usize>>,
    mac_field: usize,
}

impl Encoded {
    /// The range of the MAC input block: from the MTI up to the MAC field (for CUPS, MTI
    /// through field 63), so a MAC can be computed without re-encoding.
    pub fn mab(&self) -> Option<Range<usize>> {
        self.mac.as_ref().map(|_| 0..self.mac_field)
    }
}

/// Writes a message into a borrowed buffer.
///
/// ```
/// use cardwire_iso8583::{Encoder, Message, Mti, specs};
/// let mut buf = [0u8; 128];
/// let mut e = Encoder::new(&specs::CUPS, &mut buf, Mti::from_u16(800).unwrap())?;
/// e.field(11, b"000001")?
///     .field(41, b"16688014")?
///     .field(42, b"000000000000001")?
///     .field(60, b"00000001003")?
///     .field(63, b"012")?;
/// let done = e.finish()?;
/// let msg = Message::decode(&specs::CUPS, &buf[..done.len])?;
/// assert_eq!(msg.field(60).unwrap().subfield(3).unwrap().to_string(), "003");
/// # Ok::<(), cardwire_iso8583::Error>(())
/// ```
#[derive(Debug)]
pub struct Encoder<'b, 's> {
    spec: &'s MessageSpec,
    buf: &'b mut [u8],
    bitmap: Bitmap,
    body: usize,
    pos: usize,
    last: usize,
}

impl<'b, 's> Encoder<'b, 's> {
    /// Starts a message: writes the MTI and reserves room for the largest bitmap the spec
    /// allows.
    ///
    /// # Errors
    /// [`ErrorKind::BufferTooSmall`].
    pub fn new(spec: &'s MessageSpec, buf: &'b mut [u8], mti: Mti) -> Result<Self, Error> {
        let mti_len = spec.mti_len();
        let body = mti_len + usize::from(spec.bitmaps()) * spec.bitmap_len();
        if buf.len() < body {
            return Err(at(ErrorKind::BufferTooSmall, 0));
        }
        let d = mti.digits();
        let out = buf
            .get_mut(..mti_len)
            .ok_or(at(ErrorKind::BufferTooSmall, 0))?;
        match (spec.mti_encoding(), out) {
            (MtiEncoding::Ascii, out) => out.copy_from_slice(&d),
            (MtiEncoding::Ebcdic, out) => {
                // An MTI is four ASCII digits; EBCDIC digits are F0–F9.
                for (o, c) in out.iter_mut().zip(d) {
                    *o = 0xF0 | (c & 0x0F);
                }
            }
            (MtiEncoding::Bcd, [a, b]) => {
                let [w, x, y, z] = d.map(|c| c - b'0');
                *a = (w << 4) | x;
                *b = (y << 4) | z;
            }
            _ => return Err(at(ErrorKind::InvalidMti, 0)),
        }
        Ok(Self {
            spec,
            buf,
            bitmap: Bitmap::EMPTY,
            body,
            pos: body,
            last: 0,
        })
    }

    fn spec_of(&self, n: usize) -> Result<&'s FieldSpec, Error> {
        // A number beyond 255 names no field of any spec: the error is the message's.
        let path = u8::try_from(n).map_or(FieldPath::MESSAGE, FieldPath::field);
        if n <= self.last || self.spec.is_indicator(n) {
            return Err(Error::new(ErrorKind::FieldOrder, self.pos, path));
        }
        self.spec
            .field(n)
            .ok_or(Error::new(ErrorKind::UndefinedField, self.pos, path))
    }

    /// Appends field `n` from its logical value: the characters of a text or numeric field
    /// (a short fixed numeric is left-padded with zeros, short fixed text right-padded with
    /// the spec's pad), the bytes of a binary field. Fields must come in ascending order.
    /// On error nothing is appended.
    ///
    /// # Errors
    /// [`ErrorKind::FieldOrder`], [`ErrorKind::UndefinedField`], [`ErrorKind::InvalidLength`],
    /// [`ErrorKind::InvalidCharacter`], a TLV error for a malformed TLV field, or
    /// [`ErrorKind::BufferTooSmall`].
    pub fn field(&mut self, n: usize, value: &[u8]) -> Result<&mut Self, Error> {
        let spec = self.spec;
        // `pos` never passes the end of the buffer: it only advances over what was written.
        let room = || Error::new(ErrorKind::BufferTooSmall, self.pos, FieldPath::MESSAGE);
        // The common formats go straight through the field's plan; anything else (padding,
        // EBCDIC, hex, errors) through the general writer.
        let fast = match spec.plan(n) {
            Some(p) if n > self.last && p.encode_fast => {
                let out = self.buf.get_mut(self.pos..).ok_or_else(room)?;
                fast_field(spec, n, p, value, out, self.pos)
            }
            _ => None,
        };
        let written = match fast {
            Some(w) => w,
            None => {
                let f = self.spec_of(n)?;
                let out = self.buf.get_mut(self.pos..).ok_or_else(room)?;
                write_field(f, value, out, self.pos)?
            }
        };
        self.pos += written;
        self.last = n;
        self.bitmap.insert(n);
        Ok(self)
    }

    /// Appends a numeric field from a number: zero-padded to the length of a fixed field.
    ///
    /// # Errors
    /// As [`Encoder::field`].
    pub fn number(&mut self, n: usize, value: u64) -> Result<&mut Self, Error> {
        // `u64::MAX` has 20 digits.
        let mut digits = [0u8; 20];
        let mut count = 0;
        let mut v = value;
        for d in digits.iter_mut().rev() {
            *d = b'0' | ((v % 10) & 0x0F) as u8;
            count += 1;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        let (_, used) = digits.split_at(digits.len() - count);
        self.field(n, used)
    }

    /// Copies a field of a decoded message as it was on the wire (the fastest way to echo a
    /// request field into a response under the same spec).
    ///
    /// # Errors
    /// As [`Encoder::field`]; [`ErrorKind::InvalidSpec`] if the field's format differs in
    /// this spec.
    pub fn copy(&mut self, field: &Field<'_, '_>) -> Result<&mut Self, Error> {
        let n = usize::from(field.number());
        let f = self.spec_of(n)?;
        if f.format != field.spec().format {
            return Err(Error::new(
                ErrorKind::InvalidSpec("field format differs between the two specs"),
                self.pos,
                FieldPath::field(field.number()),
            ));
        }
        let raw = field.raw();
        self.buf
            .get_mut(self.pos..self.pos + raw.len())
            .ok_or(Error::new(
                ErrorKind::BufferTooSmall,
                self.pos,
                FieldPath::field(f.number),
            ))?
            .copy_from_slice(raw);
        self.pos += raw.len();
        self.last = n;
        self.bitmap.insert(n);
        Ok(self)
    }

    /// The fields written so far.
    pub fn bitmap(&self) -> Bitmap {
        self.bitmap
    }

    /// Writes the bitmap, closes the gap if fewer bitmaps were needed than reserved, and
    /// returns the message's length and MAC position.
    ///
    /// # Errors
    /// None in practice (the bitmap space was reserved by [`Encoder::new`]).
    pub fn finish(self) -> Result<Encoded, Error> {
        let spec = self.spec;
        let mut bitmap = self.bitmap;
        let needed = match bitmap.last() {
            // An empty message still carries its primary bitmap.
            None | Some(0..=64) => 1,
            Some(65..=128) => 2,
            Some(_) => 3,
        };
        if needed >= 2 {
            bitmap.insert(1);
        }
        if needed >= 3 {
            bitmap.insert(65);
        }
        let step = spec.bitmap_len();
        let mti_len = spec.mti_len();
        let gap = (usize::from(spec.bitmaps()) - needed.min(usize::from(spec.bitmaps()))) * step;
        if gap > 0 {
            self.buf.copy_within(self.body..self.pos, self.body - gap);
        }
        let words = bitmap.words();
        for (i, w) in words.iter().take(needed).enumerate() {
            let start = mti_len + i * step;
            let out = self
                .buf
                .get_mut(start..start + step)
                .ok_or(at(ErrorKind::BufferTooSmall, start))?;
            match spec.bitmap_encoding() {
                BitmapEncoding::Binary => out.copy_from_slice(&w.to_be_bytes()),
                BitmapEncoding::Hex => {
                    for (k, o) in out.iter_mut().enumerate() {
                        *o = hex_char(((w >> (60 - 4 * k)) & 0xF) as u8);
                    }
                }
            }
        }
        let len = self.pos - gap;
        // The MAC is the last field when its number closes a bitmap (64, 128, 192).
        let mac = match bitmap.last() {
            Some(n) if n % 64 == 0 && n > 1 => spec.field(n).map(|f| {
                let value_len = f.format.wire_len(usize::from(f.format.max));
                (
                    len - value_len..len,
                    len - value_len - f.format.prefix_len(),
                )
            }),
            _ => None,
        };
        Ok(Encoded {
            len,
            mac_field: mac.as_ref().map_or(0, |m| m.1),
            mac: mac.map(|m| m.0),
        })
    }
}

/// Writes a field of a common format through its plan: a value of the right length and
/// class, ASCII, binary or BCD data, ASCII or BCD length prefix. `None` when the general writer
/// must handle it (including every error, so that errors are reported one way; what this may
/// have written is overwritten then).
#[inline(always)]
fn fast_field(
    spec: &MessageSpec,
    n: usize,
    p: &Plan,
    value: &[u8],
    out: &mut [u8],
    base: usize,
) -> Option<usize> {
    let chars = value.len();
    let (pl, wire) = match p.shape {
        Shape::Fixed if chars == usize::from(p.max) => (0, usize::from(p.wire)),
        Shape::AsciiChars | Shape::BcdBytes if chars <= usize::from(p.max) => {
            (usize::from(p.prefix_len), chars)
        }
        Shape::BcdDigits if chars <= usize::from(p.max) => {
            (usize::from(p.prefix_len), chars.div_ceil(2))
        }
        _ => return None,
    };
    let bcd = p.pad_side != 0;
    if !ascii_ok(p.class, value) {
        return None;
    }
    let dst = out.get_mut(..pl + wire)?;
    let (prefix, data) = dst.split_at_mut(pl);
    match p.shape {
        Shape::AsciiChars => {
            let mut v = chars;
            for b in prefix.iter_mut().rev() {
                *b = digit(v);
                v /= 10;
            }
        }
        Shape::BcdBytes | Shape::BcdDigits => {
            let mut v = chars;
            for b in prefix.iter_mut().rev() {
                *b = bcd_pair(v);
                v /= 100;
            }
        }
        _ => {}
    }
    if !bcd {
        data.copy_from_slice(value);
    } else {
        let odd = chars % 2 == 1;
        let pad = p.pad_nibble;
        // Left padding puts the pad nibble first and shifts the digits by one nibble.
        let lead = usize::from(odd && p.pad_side == 1);
        let nibble_at = |k: usize| -> u8 {
            match k.checked_sub(lead).and_then(|i| value.get(i)) {
                Some(&c) => nib(c),
                None => pad,
            }
        };
        if lead == 0 && p.class == Class::N {
            // Checked digits: the low nibble of each ASCII digit is its value.
            let mut pairs = value.chunks_exact(2);
            for (o, pair) in data.iter_mut().zip(&mut pairs) {
                if let [a, b] = pair {
                    *o = ((a & 0x0F) << 4) | (b & 0x0F);
                }
            }
            if let (Some(last), [c]) = (data.last_mut(), pairs.remainder()) {
                *last = ((c & 0x0F) << 4) | pad;
            }
        } else if lead == 0 {
            let mut pairs = value.chunks_exact(2);
            for (o, pair) in data.iter_mut().zip(&mut pairs) {
                if let [a, b] = pair {
                    *o = (nib(*a) << 4) | nib(*b);
                }
            }
            if let (Some(last), [c]) = (data.last_mut(), pairs.remainder()) {
                *last = (nib(*c) << 4) | pad;
            }
        } else {
            for (k, o) in data.iter_mut().enumerate() {
                *o = (nibble_at(2 * k) << 4) | nibble_at(2 * k + 1);
            }
        }
    }
    // The characters were checked above and packing keeps them valid: what is left to check
    // is the structure of composite values (digits that divide into the positional subfields
    // need nothing more).
    if p.composite {
        let f = spec.field(n)?;
        if !(p.class == Class::N && positional_lengths_fit(&f.subfields, chars))
            && check_field_value(f, data, chars, base + pl).is_err()
        {
            // The general writer reports it.
            return None;
        }
    }
    Some(pl + wire)
}

/// The BCD nibble of a validated character: a digit, or the track separator (`=` is 0x3D;
/// `D`, 0x44, is the one character above 0x3F and gets 0x0D from its top bits).
#[inline(always)]
fn nib(c: u8) -> u8 {
    (c & 0x0F) | ((c >> 6) * 0x0D)
}

/// Writes one field (prefix and value) at the start of `out`; `base` is its offset in the
/// message (for errors). Returns the bytes written.
#[inline(never)]
pub(crate) fn write_field(
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
