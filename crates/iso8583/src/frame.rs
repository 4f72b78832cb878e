//! Network framing, separate from the codec: a length header, the TPDU and the CUPS 6-byte
//! message header in front of the message, and a reader that works on a partial buffer.
//!
//! ```
//! use cardwire_iso8583::frame::{FrameFormat, Progress, Tpdu};
//! let format = FrameFormat::CUPS;
//! let frame = [0x00, 0x0D, 0x60, 0x00, 0x03, 0x00, 0x00, 0x60, 0x31, 0x00, 0x31, 0x02, 0x08, 0x08, 0x00];
//! // Only the first 9 bytes have arrived: the reader says how many more it needs.
//! assert_eq!(format.read(&frame[..9])?, Progress::NeedMore(6));
//! let Progress::Complete(f) = format.read(&frame)? else { unreachable!() };
//! assert_eq!(f.message, &[0x08, 0x00]);
//! assert_eq!(f.tpdu.unwrap().reply(), Tpdu { id: 0x60, destination: [0, 0], source: [0, 3] });
//! # Ok::<(), cardwire_iso8583::Error>(())
//! ```

use core::fmt;

use cardwire_emv::hex::Hex;

use crate::error::{Error, ErrorKind, at};
use crate::text::{bcd_pair, digit};

/// The length header in front of each message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LengthHeader {
    /// No header: the transport delimits messages (the whole buffer is one frame).
    None,
    /// Two bytes, binary big-endian (CUPS, jPOS NACChannel).
    Binary2,
    /// Four ASCII digits.
    Ascii4,
    /// Two bytes of packed BCD (at most 9999).
    Bcd2,
}

impl LengthHeader {
    /// Bytes the header takes.
    pub const fn len(self) -> usize {
        match self {
            Self::None => 0,
            Self::Binary2 | Self::Bcd2 => 2,
            Self::Ascii4 => 4,
        }
    }

    /// Whether there is no header.
    pub const fn is_empty(self) -> bool {
        matches!(self, Self::None)
    }

    /// The largest length the header can state.
    pub const fn max(self) -> usize {
        match self {
            Self::None => usize::MAX,
            Self::Binary2 => 0xFFFF,
            Self::Ascii4 | Self::Bcd2 => 9999,
        }
    }

    fn read(self, bytes: &[u8]) -> Option<usize> {
        match (self, bytes) {
            (Self::Binary2, &[a, b]) => Some(usize::from(u16::from_be_bytes([a, b]))),
            (Self::Bcd2, &[a, b]) => [a >> 4, a & 15, b >> 4, b & 15]
                .iter()
                .try_fold(0usize, |acc, &d| {
                    (d <= 9).then(|| acc * 10 + usize::from(d))
                }),
            (Self::Ascii4, digits) if digits.len() == 4 => {
                digits.iter().try_fold(0usize, |acc, &c| {
                    c.is_ascii_digit().then(|| acc * 10 + usize::from(c - b'0'))
                })
            }
            _ => None,
        }
    }

    fn write(self, len: usize, out: &mut [u8]) -> Option<()> {
        if len > self.max() {
            return None;
        }
        match (self, out) {
            (Self::None, _) => {}
            (Self::Binary2, [a, b]) => [*a, *b] = u16::try_from(len).ok()?.to_be_bytes(),
            (Self::Bcd2, [a, b]) => {
                *a = bcd_pair(len / 100);
                *b = bcd_pair(len);
            }
            (Self::Ascii4, [a, b, c, d]) => {
                for (o, x) in [a, b, c, d]
                    .into_iter()
                    .zip([len / 1000, len / 100, len / 10, len])
                {
                    *o = digit(x);
                }
            }
            _ => return None,
        }
        Some(())
    }
}

/// A TPDU: ID `60`, two bytes of destination address and two of source (BCD, NII-like).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Tpdu {
    /// The ID byte, `60` for a transaction TPDU.
    pub id: u8,
    /// Destination address.
    pub destination: [u8; 2],
    /// Source address.
    pub source: [u8; 2],
}

impl Tpdu {
    /// A transaction TPDU from destination and source.
    pub const fn new(destination: [u8; 2], source: [u8; 2]) -> Self {
        Self {
            id: 0x60,
            destination,
            source,
        }
    }

    /// Reads 5 bytes; the ID must be `60`.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidTpdu`] or [`ErrorKind::Truncated`].
    pub fn parse(bytes: &[u8]) -> Result<Self, Error> {
        match *bytes {
            [0x60, d1, d2, s1, s2, ..] => Ok(Self::new([d1, d2], [s1, s2])),
            [_, _, _, _, _, ..] => Err(at(ErrorKind::InvalidTpdu, 0)),
            _ => Err(at(
                ErrorKind::Truncated {
                    needed: 5 - bytes.len(),
                },
                0,
            )),
        }
    }

    /// The 5 bytes.
    pub const fn to_bytes(&self) -> [u8; 5] {
        let [d1, d2] = self.destination;
        let [s1, s2] = self.source;
        [self.id, d1, d2, s1, s2]
    }

    /// The TPDU of the reply: destination and source swapped.
    #[must_use]
    pub const fn reply(&self) -> Self {
        Self {
            id: self.id,
            destination: self.source,
            source: self.destination,
        }
    }
}

impl fmt::Display for Tpdu {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", Hex(&self.to_bytes()))
    }
}

/// The CUPS POS 6-byte message header (12 BCD digits): application type N2, software version
/// N2, terminal status N1, processing requirement N1, software sub-version N6.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CupsHeader(pub [u8; 6]);

impl CupsHeader {
    /// The twelve nibbles, high nibble first.
    const fn nibbles(&self) -> [u8; 12] {
        let [a, b, c, d, e, f] = self.0;
        [
            a >> 4,
            a & 15,
            b >> 4,
            b & 15,
            c >> 4,
            c & 15,
            d >> 4,
            d & 15,
            e >> 4,
            e & 15,
            f >> 4,
            f & 15,
        ]
    }

    /// Application type (`60` for POS).
    pub fn application(&self) -> u8 {
        let [a, b, ..] = self.nibbles();
        a * 10 + b
    }

    /// Software version (e.g. `31`).
    pub fn version(&self) -> u8 {
        let [_, _, a, b, ..] = self.nibbles();
        a * 10 + b
    }

    /// Terminal status: 0 normal, 1 test.
    pub fn terminal_status(&self) -> u8 {
        let [_, _, _, _, status, ..] = self.nibbles();
        status
    }

    /// Processing requirement: 0 none; non-zero asks the terminal to sign in again or download
    /// parameters (acquirer-defined).
    pub fn processing_requirement(&self) -> u8 {
        let [_, _, _, _, _, requirement, ..] = self.nibbles();
        requirement
    }

    /// Software sub-version (last 6 digits).
    pub fn sub_version(&self) -> u32 {
        let [_, _, _, _, _, _, sub @ ..] = self.nibbles();
        sub.iter().fold(0, |acc, &d| acc * 10 + u32::from(d))
    }
}

impl fmt::Display for CupsHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", Hex(&self.0))
    }
}

/// What comes in front of each message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FrameFormat {
    /// The length header (counting everything after it: TPDU, header, message).
    pub length: LengthHeader,
    /// Whether a 5-byte TPDU follows the length.
    pub tpdu: bool,
    /// Bytes of application header after the TPDU (6 for CUPS, 0 for none).
    pub header: u8,
}

impl FrameFormat {
    /// CUPS POS: 2-byte binary length, TPDU, 6-byte header.
    pub const CUPS: Self = Self {
        length: LengthHeader::Binary2,
        tpdu: true,
        header: 6,
    };

    /// A 2-byte binary length and a TPDU (jPOS NACChannel).
    pub const NAC: Self = Self {
        length: LengthHeader::Binary2,
        tpdu: true,
        header: 0,
    };

    /// Just a length header.
    pub const fn length_only(length: LengthHeader) -> Self {
        Self {
            length,
            tpdu: false,
            header: 0,
        }
    }

    /// Bytes in front of the message: length header, TPDU and header.
    pub const fn head_len(&self) -> usize {
        self.length.len() + if self.tpdu { 5 } else { 0 } + self.header as usize
    }

    /// Reads one frame from the start of `buf`, which may hold less than a frame (the reader
    /// then says how many more bytes it needs) or more (the rest is the next frame).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidFrameLength`] for a length header that is not of its encoding or
    /// too short to hold the TPDU and header; [`ErrorKind::InvalidTpdu`].
    pub fn read<'a>(&self, buf: &'a [u8]) -> Result<Progress<'a>, Error> {
        let ll = self.length.len();
        let total = if self.length == LengthHeader::None {
            buf.len()
        } else {
            let Some(head) = buf.get(..ll) else {
                return Ok(Progress::NeedMore(ll - buf.len()));
            };
            let declared = self
                .length
                .read(head)
                .ok_or(at(ErrorKind::InvalidFrameLength, 0))?;
            ll + declared
        };
        let inner = self.head_len() - ll;
        if total < self.head_len() {
            return Err(at(ErrorKind::InvalidFrameLength, 0));
        }
        let Some(frame) = buf.get(..total) else {
            return Ok(Progress::NeedMore(total - buf.len()));
        };
        // `total` covers the whole head (checked above): the splits cannot fail.
        let bad = || at(ErrorKind::InvalidFrameLength, 0);
        let (_, after_length) = frame.split_at_checked(ll).ok_or_else(bad)?;
        let (head, message) = after_length.split_at_checked(inner).ok_or_else(bad)?;
        let (tpdu, header) = if self.tpdu {
            let t = Tpdu::parse(head).map_err(|e| e.shifted(ll))?;
            (Some(t), head.get(5..).ok_or_else(bad)?)
        } else {
            (None, head)
        };
        Ok(Progress::Complete(Frame {
            tpdu,
            header,
            message,
            len: total,
        }))
    }

    /// Writes the length header, TPDU and header into `out[..head_len()]` for a message of
    /// `message_len` bytes that the caller has placed (or will place) right after them.
    ///
    /// # Errors
    /// [`ErrorKind::BufferTooSmall`]; [`ErrorKind::InvalidFrameLength`] when the length does
    /// not fit the header; [`ErrorKind::InvalidSpec`] when `tpdu` or `header` disagree with
    /// the format.
    pub fn write_head(
        &self,
        tpdu: Option<Tpdu>,
        header: &[u8],
        message_len: usize,
        out: &mut [u8],
    ) -> Result<usize, Error> {
        let head = self.head_len();
        let out = out
            .get_mut(..head)
            .ok_or(at(ErrorKind::BufferTooSmall, 0))?;
        if tpdu.is_some() != self.tpdu || header.len() != usize::from(self.header) {
            return Err(at(
                ErrorKind::InvalidSpec("TPDU or header do not match the frame format"),
                0,
            ));
        }
        let ll = self.length.len();
        let (len_out, rest) = out.split_at_mut(ll);
        self.length
            .write(head - ll + message_len, len_out)
            .ok_or(at(ErrorKind::InvalidFrameLength, 0))?;
        let (tpdu_out, header_out) = rest.split_at_mut(if self.tpdu { 5 } else { 0 });
        if let Some(t) = tpdu {
            tpdu_out.copy_from_slice(&t.to_bytes());
        }
        header_out.copy_from_slice(header);
        Ok(head)
    }

    /// Frames a message: head and message copied into `out`. Returns the frame's length.
    ///
    /// # Errors
    /// As [`FrameFormat::write_head`].
    pub fn write(
        &self,
        tpdu: Option<Tpdu>,
        header: &[u8],
        message: &[u8],
        out: &mut [u8],
    ) -> Result<usize, Error> {
        let head = self.head_len();
        let end = head + message.len();
        if out.len() < end {
            return Err(at(ErrorKind::BufferTooSmall, 0));
        }
        self.write_head(tpdu, header, message.len(), out)?;
        out.get_mut(head..end)
            .ok_or(at(ErrorKind::BufferTooSmall, head))?
            .copy_from_slice(message);
        Ok(end)
    }
}

/// A frame read by [`FrameFormat::read`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Frame<'a> {
    /// The TPDU, if the format has one.
    pub tpdu: Option<Tpdu>,
    /// The application header (empty if none); for CUPS see [`Frame::cups_header`].
    pub header: &'a [u8],
    /// The message: MTI onwards.
    pub message: &'a [u8],
    /// Bytes the whole frame took (length header included): where the next frame starts.
    pub len: usize,
}

impl Frame<'_> {
    /// The CUPS header, when the header is 6 bytes.
    pub fn cups_header(&self) -> Option<CupsHeader> {
        self.header.try_into().ok().map(CupsHeader)
    }

    /// Offset of the message within the frame.
    pub fn message_offset(&self) -> usize {
        self.len - self.message.len()
    }
}

/// The state of a frame read from a partial buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Progress<'a> {
    /// A whole frame is there.
    Complete(Frame<'a>),
    /// This many more bytes are needed before a frame (or its length) can be read.
    NeedMore(usize),
}
