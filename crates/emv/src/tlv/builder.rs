//! Encoding into a caller-provided buffer, always with the shortest definite length.

use super::{MAX_DEPTH, Tag, Tlv};
use crate::{Error, ErrorKind};

/// Number of bytes the shortest definite length field for `len` takes.
#[inline]
pub const fn length_len(len: usize) -> usize {
    if len < 0x80 {
        1
    } else if len <= 0xFF {
        2
    } else if len <= 0xFFFF {
        3
    } else if len <= 0xFF_FFFF {
        4
    } else {
        5
    }
}

/// Writes the shortest definite length field for `len` into `out`, returning its size.
fn write_length(len: usize, out: &mut [u8]) -> Option<usize> {
    let n = length_len(len);
    let v = u32::try_from(len).ok()?.to_be_bytes();
    let field = out.get_mut(..n)?;
    match field {
        [b] => *b = v[3],
        [first, rest @ ..] => {
            // 0x81..=0x84: the number of length bytes that follow.
            *first = 0x80 | u8::try_from(rest.len()).ok()?;
            rest.copy_from_slice(v.get(4 - rest.len()..)?);
        }
        [] => return None,
    }
    Some(n)
}

/// Builds BER-TLV into a borrowed buffer.
///
/// Each call either appends a complete data object or returns an error and leaves
/// [`Builder::len`] unchanged, so a failed call never leaves half an object behind.
///
/// ```
/// use cardwire_emv::tags;
/// use cardwire_emv::tlv::Builder;
/// let mut buf = [0u8; 32];
/// let mut b = Builder::new(&mut buf);
/// b.constructed(tags::READ_RECORD_RESPONSE_MESSAGE_TEMPLATE, |b| {
///     b.primitive(tags::AMOUNT_AUTHORISED_NUMERIC, &[0, 0, 0, 0, 0x10, 0])?;
///     Ok(())
/// })?;
/// assert_eq!(b.as_bytes(), &[0x70, 0x09, 0x9F, 0x02, 0x06, 0, 0, 0, 0, 0x10, 0]);
/// # Ok::<(), cardwire_emv::Error>(())
/// ```
pub struct Builder<'b> {
    buf: &'b mut [u8],
    len: usize,
    depth: usize,
}

impl core::fmt::Debug for Builder<'_> {
    // The buffer may hold card data: show only sizes.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Builder")
            .field("len", &self.len)
            .field("capacity", &self.buf.len())
            .field("depth", &self.depth)
            .finish()
    }
}

impl<'b> Builder<'b> {
    /// A builder writing from the start of `buf`.
    pub fn new(buf: &'b mut [u8]) -> Self {
        Self {
            buf,
            len: 0,
            depth: 0,
        }
    }

    /// Bytes written so far.
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> usize {
        self.len
    }

    /// The encoded bytes so far.
    pub fn as_bytes(&self) -> &[u8] {
        // `len` only ever grows to the end of an object just written into `buf`.
        self.buf.split_at(self.len).0
    }

    /// Consumes the builder, returning the number of bytes written.
    pub fn finish(self) -> usize {
        self.len
    }

    /// Appends a data object whose value is `value`, written as is.
    ///
    /// # Errors
    /// [`ErrorKind::BufferTooSmall`], or [`ErrorKind::TooDeep`] inside templates nested
    /// [`MAX_DEPTH`] deep.
    pub fn primitive(&mut self, tag: Tag, value: &[u8]) -> Result<&mut Self, Error> {
        let start = self.len;
        if self.depth >= MAX_DEPTH {
            return Err(Error::new(ErrorKind::TooDeep, start, Some(tag)));
        }
        let tag_bytes = tag.to_bytes();
        let header = tag_bytes.len() + length_len(value.len());
        let end = start + header + value.len();
        let out = self.buf.get_mut(start..end).ok_or(Error::new(
            ErrorKind::BufferTooSmall,
            start,
            Some(tag),
        ))?;
        let (t, rest) = out.split_at_mut(tag_bytes.len());
        t.copy_from_slice(&tag_bytes);
        let n = write_length(value.len(), rest).ok_or(Error::new(
            ErrorKind::BufferTooSmall,
            start,
            Some(tag),
        ))?;
        rest.get_mut(n..)
            .ok_or(Error::new(ErrorKind::BufferTooSmall, start, Some(tag)))?
            .copy_from_slice(value);
        self.len = end;
        Ok(self)
    }

    /// Appends a constructed data object whose children `children` writes.
    ///
    /// # Errors
    /// [`ErrorKind::NotConstructed`] if `tag` is primitive, [`ErrorKind::TooDeep`] past
    /// [`MAX_DEPTH`], [`ErrorKind::BufferTooSmall`], or whatever `children` returns.
    pub fn constructed<F>(&mut self, tag: Tag, children: F) -> Result<&mut Self, Error>
    where
        F: FnOnce(&mut Builder<'_>) -> Result<(), Error>,
    {
        let start = self.len;
        if !tag.is_constructed() {
            return Err(Error::new(ErrorKind::NotConstructed, start, Some(tag)));
        }
        // Same bound as the reader: objects live at depths 0..MAX_DEPTH.
        if self.depth >= MAX_DEPTH {
            return Err(Error::new(ErrorKind::TooDeep, start, Some(tag)));
        }
        let tag_len = tag.len();
        // Children go after the tag and a one-byte length guess; a longer length field
        // then shifts them right.
        let value_start = start + tag_len + 1;
        let child_len = {
            let rest = self
                .buf
                .get_mut(value_start..)
                .ok_or(self_too_small(start, tag))?;
            let mut child = Builder {
                buf: rest,
                len: 0,
                depth: self.depth + 1,
            };
            children(&mut child).map_err(|e| {
                Error::new(e.kind(), e.offset() + value_start, e.tag().or(Some(tag)))
            })?;
            child.len
        };
        let len_len = length_len(child_len);
        let end = value_start + child_len + (len_len - 1);
        if end > self.buf.len() {
            return Err(self_too_small(start, tag));
        }
        if len_len > 1 {
            self.buf.copy_within(
                value_start..value_start + child_len,
                value_start + len_len - 1,
            );
        }
        let header = self
            .buf
            .get_mut(start..start + tag_len + len_len)
            .ok_or(self_too_small(start, tag))?;
        let (t, l) = header.split_at_mut(tag_len);
        t.copy_from_slice(&tag.to_bytes());
        write_length(child_len, l).ok_or(self_too_small(start, tag))?;
        self.len = end;
        Ok(self)
    }

    /// Appends a copy of a data object read elsewhere, re-encoding its header in the shortest
    /// form and its children one by one, so lenient input comes out strict.
    ///
    /// # Errors
    /// As [`Builder::primitive`] and [`Builder::constructed`], plus any malformation met in the
    /// children of `tlv`.
    pub fn copy(&mut self, tlv: &Tlv<'_>) -> Result<&mut Self, Error> {
        match tlv.children() {
            None => self.primitive(tlv.tag(), tlv.value()),
            Some(children) => self.constructed(tlv.tag(), |b| {
                for child in children {
                    b.copy(&child?)?;
                }
                Ok(())
            }),
        }
    }
}

fn self_too_small(start: usize, tag: Tag) -> Error {
    Error::new(ErrorKind::BufferTooSmall, start, Some(tag))
}

/// Size of `tlv` re-encoded by [`Builder::copy`].
///
/// # Errors
/// Any malformation met in its children.
pub fn encoded_len(tlv: &Tlv<'_>) -> Result<usize, Error> {
    let value_len = match tlv.children() {
        None => tlv.len(),
        Some(children) => {
            let mut n = 0;
            for child in children {
                n += encoded_len(&child?)?;
            }
            n
        }
    };
    Ok(tlv.tag().len() + length_len(value_len) + value_len)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tags;
    use crate::tlv::Reader;

    #[test]
    fn length_forms() {
        let mut out = [0u8; 5];
        assert_eq!(write_length(0x7F, &mut out), Some(1));
        assert_eq!(out[0], 0x7F);
        assert_eq!(write_length(0x80, &mut out), Some(2));
        assert_eq!(out[..2], [0x81, 0x80]);
        assert_eq!(write_length(0x1234, &mut out), Some(3));
        assert_eq!(out[..3], [0x82, 0x12, 0x34]);
        assert_eq!(write_length(0x12_3456, &mut out), Some(4));
        assert_eq!(out[..4], [0x83, 0x12, 0x34, 0x56]);
        assert_eq!(write_length(0x1234_5678, &mut out), Some(5));
        assert_eq!(out, [0x84, 0x12, 0x34, 0x56, 0x78]);
    }

    #[test]
    fn long_constructed_value_shifts() {
        let mut buf = [0u8; 300];
        let mut b = Builder::new(&mut buf);
        let t70 = tags::READ_RECORD_RESPONSE_MESSAGE_TEMPLATE;
        let t9f4e = tags::MERCHANT_NAME_AND_LOCATION;
        b.constructed(t70, |b| b.primitive(t9f4e, &[0x41; 200]).map(drop))
            .unwrap();
        let n = b.len();
        assert_eq!(&buf[..3], &[0x70, 0x81, 0xCC]);
        assert_eq!(&buf[3..7], &[0x9F, 0x4E, 0x81, 0xC8]);
        let tlv = Reader::new(&buf[..n]).next().unwrap().unwrap();
        assert_eq!(tlv.len(), 0xCC);
    }

    #[test]
    fn failed_calls_leave_nothing_behind() {
        let mut buf = [0u8; 10];
        let mut b = Builder::new(&mut buf);
        let t9f02 = tags::AMOUNT_AUTHORISED_NUMERIC;
        b.primitive(t9f02, &[1, 2, 3]).unwrap();
        assert_eq!(b.len(), 6);
        assert_eq!(
            b.primitive(t9f02, &[1, 2, 3]).unwrap_err().kind(),
            ErrorKind::BufferTooSmall
        );
        assert_eq!(b.len(), 6);
        let t70 = tags::READ_RECORD_RESPONSE_MESSAGE_TEMPLATE;
        let e = b
            .constructed(t70, |b| b.primitive(t9f02, &[1, 2]).map(drop))
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::BufferTooSmall);
        assert_eq!(b.len(), 6);
        assert_eq!(
            b.constructed(t9f02, |_| Ok(())).unwrap_err().kind(),
            ErrorKind::NotConstructed
        );
    }
}
