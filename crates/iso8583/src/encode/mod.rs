//! Encoding into a caller buffer: fields are written as they are given (in ascending order),
//! the bitmap is computed from them when the message is finished.
//!
//! `fast` writes the common formats straight through the spec's plan; `write` is the general
//! writer for every format, which also names what is wrong.

mod fast;
mod write;

use core::ops::Range;

use fast::{copy_field, fast_field};
use write::write_field;

use crate::bitmap::Bitmap;
use crate::error::{Error, ErrorKind, FieldPath, at};
use crate::message::Field;
use crate::mti::Mti;
use crate::plan::Encode;
use crate::spec::{BitmapEncoding, FieldSpec, MessageSpec, MtiEncoding};
use crate::text::hex16;

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
    /// Bitmaps the room was made for: one at first, more when a field needs them.
    bitmaps: usize,
    /// Where the first field goes (after the MTI and `bitmaps` bitmaps).
    body: usize,
    pos: usize,
    last: usize,
}

impl<'b, 's> Encoder<'b, 's> {
    /// Starts a message: writes the MTI and makes room for the primary bitmap (a field beyond
    /// 64 makes room for the next one).
    ///
    /// # Errors
    /// [`ErrorKind::BufferTooSmall`].
    pub fn new(spec: &'s MessageSpec, buf: &'b mut [u8], mti: Mti) -> Result<Self, Error> {
        let mti_len = spec.mti_len();
        let body = mti_len + spec.bitmap_len();
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
                let [w, x, y, z] = d.map(|c| c & 0x0F);
                *a = (w << 4) | x;
                *b = (y << 4) | z;
            }
            _ => return Err(at(ErrorKind::InvalidMti, 0)),
        }
        Ok(Self {
            spec,
            buf,
            bitmap: Bitmap::EMPTY,
            bitmaps: 1,
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
    #[inline]
    pub fn field(&mut self, n: usize, value: &[u8]) -> Result<&mut Self, Error> {
        // The most common format, copied in place (kept small enough to be inlined).
        if n > self.last
            && n <= 64 * self.bitmaps
            && let Some(p) = self.spec.plans().get(n)
            && p.encode == Encode::Copy
            && let Some(written) = copy_field(p, value, self.buf, self.pos)
        {
            self.wrote(n, written);
            return Ok(self);
        }
        self.planned_field(n, value)
    }

    /// Records that field `n` took `written` bytes.
    #[inline(always)]
    fn wrote(&mut self, n: usize, written: usize) {
        self.pos += written;
        self.last = n;
        self.bitmap.insert(n);
    }

    /// [`Encoder::field`] for the other common formats: straight through the field's plan.
    #[inline(never)]
    fn planned_field(&mut self, n: usize, value: &[u8]) -> Result<&mut Self, Error> {
        if n > self.last
            && n <= 64 * self.bitmaps
            && let Some(p) = self.spec.plans().get(n)
            && p.encode == Encode::Planned
            && let Some(out) = self.buf.get_mut(self.pos..)
            && let Some(written) = fast_field(self.spec, n, p, value, out, self.pos)
        {
            self.wrote(n, written);
            return Ok(self);
        }
        self.general_field(n, value)
    }

    /// [`Encoder::field`] through the general writer: padding, EBCDIC, hex, signs, a further
    /// bitmap, and every error.
    #[inline(never)]
    fn general_field(&mut self, n: usize, value: &[u8]) -> Result<&mut Self, Error> {
        let f = self.spec_of(n)?;
        self.make_room_for(n)?;
        // `pos` never passes the end of the buffer: it only advances over what was written.
        let out = self
            .buf
            .get_mut(self.pos..)
            .ok_or(at(ErrorKind::BufferTooSmall, self.pos))?;
        let written = write_field(f, value, out, self.pos)?;
        self.wrote(n, written);
        Ok(self)
    }

    /// Makes room for the bitmaps field `n` needs (the fields written so far move along).
    fn make_room_for(&mut self, n: usize) -> Result<(), Error> {
        let needed = (n - 1) / 64 + 1;
        if needed <= self.bitmaps {
            return Ok(());
        }
        let shift = (needed - self.bitmaps) * self.spec.bitmap_len();
        if self.pos + shift > self.buf.len() {
            return Err(at(ErrorKind::BufferTooSmall, self.pos));
        }
        self.buf.copy_within(self.body..self.pos, self.body + shift);
        self.body += shift;
        self.pos += shift;
        self.bitmaps = needed;
        Ok(())
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
        self.make_room_for(n)?;
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

    /// Writes the bitmaps and returns the message's length and MAC position.
    ///
    /// # Errors
    /// None in practice (the room for the bitmaps was made as the fields came).
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
        // Room made for a further bitmap by a field that then failed is given back.
        let gap = self
            .bitmaps
            .checked_sub(needed)
            .ok_or(at(ErrorKind::BufferTooSmall, mti_len))?
            * step;
        if gap > 0 {
            self.buf.copy_within(self.body..self.pos, self.body - gap);
        }
        let heads = self
            .buf
            .get_mut(mti_len..mti_len + needed * step)
            .ok_or(at(ErrorKind::BufferTooSmall, mti_len))?;
        let words = bitmap.words();
        match spec.bitmap_encoding() {
            BitmapEncoding::Binary => {
                for (out, w) in heads.as_chunks_mut::<8>().0.iter_mut().zip(words) {
                    *out = w.to_be_bytes();
                }
            }
            BitmapEncoding::Hex => {
                for (out, w) in heads.as_chunks_mut::<16>().0.iter_mut().zip(words) {
                    *out = hex16(w);
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)] // tests fail loudly
    use super::*;
    use crate::specs;

    /// A field beyond 64 makes room for the secondary bitmap; the fields before it move.
    #[test]
    fn a_secondary_field_makes_room_for_its_bitmap() {
        let mut buf = [0u8; 128];
        let mut e =
            Encoder::new(&specs::ISO87_ASCII, &mut buf, Mti::from_u16(800).unwrap()).unwrap();
        e.field(7, b"1125153012")
            .unwrap()
            .field(70, b"301")
            .unwrap();
        let done = e.finish().unwrap();
        let expected = [
            &b"0800"[..],
            b"8200000000000000",
            b"0400000000000000",
            b"1125153012",
            b"301",
        ];
        assert_eq!(&buf[..done.len], expected.concat());
        // Without it, one bitmap.
        let mut e =
            Encoder::new(&specs::ISO87_ASCII, &mut buf, Mti::from_u16(800).unwrap()).unwrap();
        e.field(7, b"1125153012").unwrap();
        let done = e.finish().unwrap();
        assert_eq!(&buf[..done.len], b"080002000000000000001125153012");
    }
}
