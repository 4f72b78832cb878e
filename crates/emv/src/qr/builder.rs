//! Building merchant-presented payloads into a caller buffer.

use core::fmt;

use super::Mpm;
use super::mpm::crc16;
use crate::hex::nibble_char;
use crate::{Error, ErrorKind};

/// Writes a merchant-presented payload into a borrowed buffer; [`MpmBuilder::finish`] appends
/// the CRC and checks the result.
///
/// Each call either appends a whole data object or fails and leaves the payload as it was.
///
/// ```
/// use cardwire_emv::qr::{Mpm, MpmBuilder};
///
/// let mut buf = [0u8; 256];
/// let mut b = MpmBuilder::new(&mut buf);
/// b.value(0, "01")?.value(1, "11")?;
/// b.value(15, "37210116372101160123456789ABCDE")?;
/// b.value(52, "5812")?.value(53, "156")?.value(58, "CN")?;
/// b.value(59, "面馆")?.value(60, "上海")?;
/// b.template(62, |t| t.value(7, "T0000001").map(drop))?;
/// let payload = b.finish()?;
/// let mpm = Mpm::parse(payload)?;
/// assert_eq!(mpm.merchant().name, Some("面馆"));
/// assert_eq!(mpm.unionpay_account(), Some("37210116372101160123456789ABCDE"));
/// # Ok::<(), cardwire_emv::Error>(())
/// ```
pub struct MpmBuilder<'b> {
    buf: &'b mut [u8],
    len: usize,
    /// Characters written so far (lengths in EMV QR count characters, not bytes).
    chars: usize,
    nested: bool,
}

impl fmt::Debug for MpmBuilder<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MpmBuilder")
            .field("len", &self.len)
            .field("capacity", &self.buf.len())
            .finish()
    }
}

fn too_small(at: usize) -> Error {
    Error::new(ErrorKind::BufferTooSmall, at, None)
}

/// Writes `id` and the character count `chars` as two digits each.
fn header(dst: &mut [u8], id: u8, chars: usize) -> Option<()> {
    let chars = u8::try_from(chars).ok()?;
    let [a, b, c, d] = dst.get_mut(..4)? else {
        return None;
    };
    *a = b'0' + id / 10;
    *b = b'0' + id % 10;
    *c = b'0' + chars / 10;
    *d = b'0' + chars % 10;
    Some(())
}

impl<'b> MpmBuilder<'b> {
    /// A builder writing from the start of `buf` (at most 512 characters of payload need at
    /// most 2 KiB).
    pub fn new(buf: &'b mut [u8]) -> Self {
        Self {
            buf,
            len: 0,
            chars: 0,
            nested: false,
        }
    }

    /// Bytes written so far.
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> usize {
        self.len
    }

    fn check_id(&self, id: u8) -> Result<(), Error> {
        if id > 99 || (!self.nested && id == 63) {
            // The CRC is written by `finish`.
            return Err(Error::new(ErrorKind::QrSyntax, self.len, None));
        }
        Ok(())
    }

    /// Appends a data object with a plain value of 1–99 characters.
    ///
    /// # Errors
    /// [`ErrorKind::QrSyntax`] for an ID above 99 (or the CRC's 63 at the top level),
    /// [`ErrorKind::InvalidLength`] for an empty value or more than 99 characters,
    /// [`ErrorKind::BufferTooSmall`].
    pub fn value(&mut self, id: u8, value: &str) -> Result<&mut Self, Error> {
        self.check_id(id)?;
        let chars = value.chars().count();
        if !(1..=99).contains(&chars) {
            return Err(Error::new(ErrorKind::InvalidLength, self.len, None));
        }
        let start = self.len;
        let end = start + 4 + value.len();
        let dst = self.buf.get_mut(start..end).ok_or(too_small(start))?;
        let (head, body) = dst.split_at_mut(4);
        header(head, id, chars).ok_or(too_small(start))?;
        body.copy_from_slice(value.as_bytes());
        self.len = end;
        self.chars += 4 + chars;
        Ok(self)
    }

    /// Appends a template whose data objects `children` writes (1–99 characters in all).
    ///
    /// # Errors
    /// As [`MpmBuilder::value`], or whatever `children` returns.
    pub fn template<F>(&mut self, id: u8, children: F) -> Result<&mut Self, Error>
    where
        F: FnOnce(&mut MpmBuilder<'_>) -> Result<(), Error>,
    {
        self.check_id(id)?;
        let start = self.len;
        let rest = self.buf.get_mut(start + 4..).ok_or(too_small(start))?;
        let mut inner = MpmBuilder {
            buf: rest,
            len: 0,
            chars: 0,
            nested: true,
        };
        children(&mut inner).map_err(|e| Error::new(e.kind(), e.offset() + start + 4, None))?;
        let (written, chars) = (inner.len, inner.chars);
        if !(1..=99).contains(&chars) {
            return Err(Error::new(ErrorKind::InvalidLength, start, None));
        }
        let head = self.buf.get_mut(start..start + 4).ok_or(too_small(start))?;
        header(head, id, chars).ok_or(too_small(start))?;
        self.len = start + 4 + written;
        self.chars += 4 + chars;
        Ok(self)
    }

    /// Appends the CRC (`6304` and four upper-case hex digits), checks the whole payload with
    /// [`Mpm::parse`] and returns it.
    ///
    /// # Errors
    /// [`ErrorKind::BufferTooSmall`], or the payload's first fault (for example
    /// [`ErrorKind::QrPayloadFormat`] when it does not start with `000201`).
    pub fn finish(self) -> Result<&'b str, Error> {
        let Self { buf, len, .. } = self;
        // The payload so far, `6304`, and the CRC's four hex digits.
        let (payload, _) = buf.split_at_mut_checked(len + 8).ok_or(too_small(len))?;
        let (covered, digits) = payload.split_last_chunk_mut::<4>().ok_or(too_small(len))?;
        let (_, crc_tag) = covered.split_last_chunk_mut::<4>().ok_or(too_small(len))?;
        *crc_tag = *b"6304";
        let [hi, lo] = crc16(covered).to_be_bytes();
        *digits = [hi >> 4, hi, lo >> 4, lo].map(nibble_char);
        let text = core::str::from_utf8(payload)
            .map_err(|_| Error::new(ErrorKind::InvalidValue, 0, None))?;
        Mpm::parse(text)?;
        Ok(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rebuilds_the_emvco_sample() {
        let mut buf = [0u8; 300];
        let mut b = MpmBuilder::new(&mut buf);
        b.value(0, "01").unwrap().value(1, "12").unwrap();
        b.template(29, |t| {
            t.value(0, "D15600000000")?.value(5, "A93FO3230Q")?;
            Ok(())
        })
        .unwrap();
        b.template(31, |t| {
            t.value(0, "D15600000001")?.value(3, "12345678")?;
            Ok(())
        })
        .unwrap();
        b.value(52, "4111").unwrap().value(58, "CN").unwrap();
        b.value(59, "BEST TRANSPORT")
            .unwrap()
            .value(60, "BEIJING")
            .unwrap();
        b.template(64, |t| {
            t.value(0, "ZH")?.value(1, "最佳运输")?.value(2, "北京")?;
            Ok(())
        })
        .unwrap();
        b.value(54, "23.72")
            .unwrap()
            .value(53, "156")
            .unwrap()
            .value(55, "01")
            .unwrap();
        b.template(62, |t| {
            t.value(3, "1234")?
                .value(6, "***")?
                .value(7, "A6008667")?
                .value(9, "ME")?;
            Ok(())
        })
        .unwrap();
        b.template(91, |t| {
            t.value(0, "A011223344998877")?.value(7, "12345678")?;
            Ok(())
        })
        .unwrap();
        let payload = b.finish().unwrap();
        assert!(payload.ends_with("6304A13A"), "{payload}");
    }

    #[test]
    fn failed_calls_leave_nothing() {
        let mut buf = [0u8; 16];
        let mut b = MpmBuilder::new(&mut buf);
        b.value(0, "01").unwrap();
        assert_eq!(
            b.value(59, "TOO LONG FOR THIS").unwrap_err().kind(),
            ErrorKind::BufferTooSmall
        );
        assert_eq!(b.len(), 6);
        assert_eq!(b.value(63, "0000").unwrap_err().kind(), ErrorKind::QrSyntax);
        assert_eq!(
            b.value(59, "").unwrap_err().kind(),
            ErrorKind::InvalidLength
        );
        assert!(b.template(62, |_| Ok(())).is_err());
        assert_eq!(b.len(), 6);
        let mut small = [0u8; 12];
        let mut s = MpmBuilder::new(&mut small);
        s.value(0, "01").unwrap();
        assert_eq!(s.finish().unwrap_err().kind(), ErrorKind::BufferTooSmall);
        let mut bad = [0u8; 32];
        let mut s = MpmBuilder::new(&mut bad);
        s.value(1, "11").unwrap();
        assert_eq!(s.finish().unwrap_err().kind(), ErrorKind::QrPayloadFormat);
    }
}
