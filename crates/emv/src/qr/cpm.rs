//! Consumer-presented mode: base64 of BER-TLV.

use core::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::tags::{APPLICATION_TEMPLATE, COMMON_DATA_TEMPLATE, PAYLOAD_FORMAT_INDICATOR};
use crate::tlv::{Reader, Tag, Tlv};
use crate::{Error, ErrorKind};

fn too_small() -> Error {
    Error::new(ErrorKind::BufferTooSmall, 0, None)
}

fn base64_error(e: base64::DecodeSliceError) -> Error {
    use base64::{DecodeError, DecodeSliceError};
    match e {
        DecodeSliceError::OutputSliceTooSmall => too_small(),
        DecodeSliceError::DecodeError(
            DecodeError::InvalidByte(at, _)
            | DecodeError::InvalidLength(at)
            | DecodeError::InvalidLastSymbol { offset: at, .. },
        ) => Error::new(ErrorKind::InvalidBase64, at, None),
        DecodeSliceError::DecodeError(_) => Error::new(ErrorKind::InvalidBase64, 0, None),
    }
}

/// A consumer-presented EMV QR payload: validated BER-TLV whose first data object is the
/// payload format indicator `85` "CPV01", followed by application templates `61` and an
/// optional common data template `62`.
///
/// ```
/// use cardwire_emv::qr::Cpm;
///
/// // The EMVCo CPM specification's example (two application templates).
/// let text = "hQVDUFYwMWETTwegAAAAVVVVUAhQcm9kdWN0MWETTwegAAAAZmZmUAhQcm9kdWN0MmJJWggSNFZ4kBI0WF8gDkNBUkRIT0xERVIvRU1WXy0IcnVlc2RlZW5kIZ8QBwYBCgMAAACfJghYT9OF+iNLzJ82AgABnzcEbVjvEw==";
/// let mut buf = [0u8; 256];
/// let cpm = Cpm::decode(text, &mut buf)?;
/// assert_eq!(cpm.applications().count(), 2);
/// assert!(cpm.common_data().is_some());
/// # Ok::<(), cardwire_emv::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Cpm<'a> {
    data: &'a [u8],
}

impl<'a> Cpm<'a> {
    /// Decodes base64 `text` into `buf` and checks the TLV.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidBase64`] with the character offset, [`ErrorKind::BufferTooSmall`],
    /// or as [`Cpm::from_bytes`] (offsets then count decoded bytes).
    pub fn decode(text: &str, buf: &'a mut [u8]) -> Result<Self, Error> {
        let n = STANDARD
            .decode_slice(text, &mut *buf)
            .map_err(base64_error)?;
        // The engine reports how much of `buf` it wrote.
        let buf: &'a [u8] = buf;
        let (decoded, _) = buf.split_at_checked(n).ok_or(too_small())?;
        Self::from_bytes(decoded)
    }

    /// Checks decoded bytes: strict BER-TLV, `85` "CPV01" first, then only `61` and `62`
    /// templates at the top level.
    ///
    /// # Errors
    /// A TLV malformation, or [`ErrorKind::QrPayloadFormat`] at the offending object.
    pub fn from_bytes(data: &'a [u8]) -> Result<Self, Error> {
        let reader = Reader::new(data);
        reader.validate()?;
        for (i, tlv) in reader.enumerate() {
            let tlv = tlv?;
            let ok = match (i, tlv.tag()) {
                (0, PAYLOAD_FORMAT_INDICATOR) => tlv.value() == b"CPV01",
                (0, _) => false,
                (_, APPLICATION_TEMPLATE | COMMON_DATA_TEMPLATE) => true,
                _ => false,
            };
            if !ok {
                return Err(Error::new(
                    ErrorKind::QrPayloadFormat,
                    tlv.offset(),
                    Some(tlv.tag()),
                ));
            }
        }
        if data.is_empty() {
            return Err(Error::new(ErrorKind::QrPayloadFormat, 0, None));
        }
        Ok(Self { data })
    }

    /// The decoded bytes.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.data
    }

    /// A strict reader over the decoded bytes.
    pub fn reader(&self) -> Reader<'a> {
        Reader::new(self.data)
    }

    /// The application templates (`61`) in order.
    pub fn applications(&self) -> impl Iterator<Item = Tlv<'a>> + use<'a> {
        self.reader()
            .filter_map(Result::ok)
            .filter(|t| t.tag() == APPLICATION_TEMPLATE)
    }

    /// The common data template (`62`), if present.
    pub fn common_data(&self) -> Option<Tlv<'a>> {
        self.reader()
            .filter_map(Result::ok)
            .find(|t| t.tag() == COMMON_DATA_TEMPLATE)
    }

    /// The first data object with `tag` anywhere in the payload.
    pub fn find(&self, tag: Tag) -> Option<Tlv<'a>> {
        self.reader().find(tag).ok().flatten()
    }
}

impl fmt::Debug for Cpm<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The payload carries card data: show its shape only.
        f.debug_struct("Cpm")
            .field("len", &self.data.len())
            .field("applications", &self.applications().count())
            .finish()
    }
}

/// Encodes consumer-presented TLV `data` as base64 into `out`, after checking it as
/// [`Cpm::from_bytes`] does.
///
/// # Errors
/// As [`Cpm::from_bytes`], or [`ErrorKind::BufferTooSmall`].
pub fn encode_cpm<'o>(data: &[u8], out: &'o mut [u8]) -> Result<&'o str, Error> {
    Cpm::from_bytes(data)?;
    let n = STANDARD
        .encode_slice(data, &mut *out)
        .map_err(|_| too_small())?;
    // The engine reports how much of `out` it wrote.
    let out: &'o [u8] = out;
    let (text, _) = out.split_at_checked(n).ok_or(too_small())?;
    core::str::from_utf8(text).map_err(|_| Error::new(ErrorKind::InvalidBase64, 0, None))
}

#[cfg(test)]
mod tests {
    use super::*;

    const UPI: &str = "hQVDUFYwMWFWTwigAAADMwEBAlcRYmNgAQBxNnLSMSIBAAABiAFfNAEAYzOfJghWite85mtxi58nAYCfEBEHAAEDoAAAAQgwMDAwMDAwMZ82AhEiggIAAJ83BCJgSI4=";

    #[test]
    fn unionpay_sample_round_trips() {
        let mut buf = [0u8; 200];
        let cpm = Cpm::decode(UPI, &mut buf).unwrap();
        let app = cpm.applications().next().unwrap();
        let aid = app.children().unwrap().next().unwrap().unwrap();
        assert_eq!(aid.value(), &[0xA0, 0, 0, 0x03, 0x33, 0x01, 0x01, 0x02]);
        assert!(cpm.common_data().is_none());
        let mut out = [0u8; 200];
        assert_eq!(encode_cpm(cpm.as_bytes(), &mut out).unwrap(), UPI);
    }

    #[test]
    fn rejections() {
        let mut buf = [0u8; 200];
        assert_eq!(
            Cpm::decode("hQ!V", &mut buf).unwrap_err().kind(),
            ErrorKind::InvalidBase64
        );
        assert_eq!(
            Cpm::decode("", &mut buf).unwrap_err().kind(),
            ErrorKind::QrPayloadFormat
        );
        // 85 "CPV02"
        assert_eq!(
            Cpm::from_bytes(b"\x85\x05CPV02").unwrap_err().kind(),
            ErrorKind::QrPayloadFormat
        );
        // A 5A at the top level after the indicator.
        let e = Cpm::from_bytes(b"\x85\x05CPV01\x5A\x01\x00").unwrap_err();
        assert_eq!((e.kind(), e.offset()), (ErrorKind::QrPayloadFormat, 7));
        let mut small = [0u8; 4];
        assert_eq!(
            Cpm::decode(UPI, &mut small).unwrap_err().kind(),
            ErrorKind::BufferTooSmall
        );
    }
}
