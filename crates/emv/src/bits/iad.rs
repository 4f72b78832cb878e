//! Issuer Application Data, tag `9F10`: the layouts a POS and an acquirer host meet.
//!
//! - **Visa formats 0, 1 and 3** (VIS 1.5; CVN 10 `0A`, CVN 18 `12`) and the UnionPay/PBOC
//!   layout derived from them: byte 1 the length of the Visa discretionary data (`06`, `07`
//!   for PBOC), byte 2 the derivation key index, byte 3 the cryptogram version number,
//!   bytes 4–7 the card verification results (`03` + 3 bytes), further discretionary bytes
//!   (PBOC's algorithm identifier), then optionally the issuer discretionary data.
//! - **Visa format 2** (CVN 22 `22`): byte 1 `1F`, byte 2 the CVN, byte 3 the derivation key
//!   index, bytes 4–8 a 5-byte CVR, then the issuer discretionary data.
//! - **Mastercard M/Chip**: byte 1 the derivation key index, byte 2 the CVN (`10` CVN 16,
//!   `11` CVN 17 …), bytes 3–8 the CVR, bytes 9–10 the DAC or ICC dynamic number, then
//!   counters and other data.
//! - **Common Core Definitions format A** (Book 3 Annex C9): 32 bytes: `0F`, the common core
//!   identifier, the derivation key index, a 5-byte CVR, 8 counter bytes, `0F` and 15 bytes
//!   of issuer discretionary data.
//!
//! Every layout encodes back to exactly the bytes it was read from.

use super::{BitField, CcdCvr, MchipCvr, VisaCvr};
use crate::{Error, ErrorKind};

/// Which layout to read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IadLayout {
    /// Visa formats 0/1/3 and 2, and the PBOC layout.
    Visa,
    /// Mastercard M/Chip.
    Mchip,
    /// Common Core Definitions format A.
    Ccd,
}

/// Issuer application data, read in one of the known layouts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Iad<'a> {
    /// Visa (and PBOC).
    Visa(VisaIad<'a>),
    /// Mastercard M/Chip.
    Mchip(MchipIad<'a>),
    /// Common Core Definitions format A.
    Ccd(CcdIad),
}

/// Visa issuer application data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VisaIad<'a> {
    /// Formats 0, 1 and 3 (and PBOC).
    Format013 {
        /// Derivation key index.
        dki: u8,
        /// Cryptogram version number.
        cvn: u8,
        /// Card verification results.
        cvr: VisaCvr,
        /// Visa discretionary data after the CVR (PBOC: the algorithm identifier).
        extra: &'a [u8],
        /// Everything after the Visa discretionary data: normally a length byte and the
        /// issuer discretionary data.
        issuer_discretionary: &'a [u8],
    },
    /// Format 2.
    Format2 {
        /// Cryptogram version number.
        cvn: u8,
        /// Derivation key index.
        dki: u8,
        /// Card verification results (5 bytes).
        cvr: [u8; 5],
        /// The issuer discretionary data (bytes 9–32).
        issuer_discretionary: &'a [u8],
    },
}

/// Mastercard M/Chip issuer application data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MchipIad<'a> {
    /// Derivation key index.
    pub dki: u8,
    /// Cryptogram version number.
    pub cvn: u8,
    /// Card verification results.
    pub cvr: MchipCvr,
    /// Data authentication code or ICC dynamic number (bytes 9–10).
    pub dac: [u8; 2],
    /// The rest: counters and other data, as present.
    pub rest: &'a [u8],
}

/// Common Core Definitions issuer application data, format A.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CcdIad {
    /// Common core identifier: bits 8–5 the format code (`A`), bits 4–1 the cryptogram
    /// version (`5` triple DES, `6` AES).
    pub cci: u8,
    /// Derivation key index.
    pub dki: u8,
    /// Card verification results.
    pub cvr: CcdCvr,
    /// Counter bytes (payment system-specific).
    pub counters: [u8; 8],
    /// Issuer discretionary data.
    pub issuer_discretionary: [u8; 15],
}

fn invalid(kind: ErrorKind, at: usize) -> Error {
    Error::new(kind, at, None)
}

impl<'a> Iad<'a> {
    /// Reads `bytes` in the layout it evidently has: CCD format A (32 bytes, `0F` at bytes 1
    /// and 17, format code `A`), Visa format 2 (`1F`, 32 bytes), Visa formats 0/1/3 and PBOC
    /// (`06`–`0F` then a CVR starting `03`), else M/Chip (CVN `1x`).
    ///
    /// # Errors
    /// [`ErrorKind::UnrecognisedFormat`] if no layout fits.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, Error> {
        let b = |i: usize| bytes.get(i).copied();
        let layout = if bytes.len() == 32
            && b(0) == Some(0x0F)
            && b(16) == Some(0x0F)
            && b(1).is_some_and(|c| c >> 4 == 0xA)
        {
            IadLayout::Ccd
        } else if (bytes.len() == 32 && b(0) == Some(0x1F))
            || matches!(*bytes, [vdd_len @ 6..=15, _, _, 0x03, ..] if bytes.len() > usize::from(vdd_len))
        {
            IadLayout::Visa
        } else if bytes.len() >= 10 && b(1).is_some_and(|c| c >> 4 == 1) {
            IadLayout::Mchip
        } else {
            return Err(invalid(ErrorKind::UnrecognisedFormat, 0));
        };
        Self::parse_as(bytes, layout)
    }

    /// Reads `bytes` in the given layout.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidLength`] or [`ErrorKind::InvalidValue`] with the offset of the
    /// part that does not fit.
    pub fn parse_as(bytes: &'a [u8], layout: IadLayout) -> Result<Self, Error> {
        match layout {
            IadLayout::Visa => VisaIad::parse(bytes).map(Iad::Visa),
            IadLayout::Mchip => match bytes.split_first_chunk::<10>() {
                Some((&[dki, cvn, cvr @ .., d0, d1], rest)) => Ok(Iad::Mchip(MchipIad {
                    dki,
                    cvn,
                    cvr: MchipCvr::from_array(cvr),
                    dac: [d0, d1],
                    rest,
                })),
                None => Err(invalid(ErrorKind::InvalidLength, bytes.len())),
            },
            IadLayout::Ccd => {
                let Ok(
                    &[
                        format,
                        cci,
                        dki,
                        c0,
                        c1,
                        c2,
                        c3,
                        c4,
                        n0,
                        n1,
                        n2,
                        n3,
                        n4,
                        n5,
                        n6,
                        n7,
                        separator,
                        issuer_discretionary @ ..,
                    ],
                ) = <&[u8; 32]>::try_from(bytes)
                else {
                    return Err(invalid(ErrorKind::InvalidLength, bytes.len().min(32)));
                };
                if format != 0x0F {
                    return Err(invalid(ErrorKind::InvalidValue, 0));
                }
                if separator != 0x0F {
                    return Err(invalid(ErrorKind::InvalidValue, 16));
                }
                Ok(Iad::Ccd(CcdIad {
                    cci,
                    dki,
                    cvr: CcdCvr::from_array([c0, c1, c2, c3, c4]),
                    counters: [n0, n1, n2, n3, n4, n5, n6, n7],
                    issuer_discretionary,
                }))
            }
        }
    }

    /// The layout.
    pub fn layout(&self) -> IadLayout {
        match self {
            Iad::Visa(_) => IadLayout::Visa,
            Iad::Mchip(_) => IadLayout::Mchip,
            Iad::Ccd(_) => IadLayout::Ccd,
        }
    }

    /// The cryptogram version number (CCD: the common core identifier).
    pub fn cvn(&self) -> u8 {
        match self {
            Iad::Visa(VisaIad::Format013 { cvn, .. } | VisaIad::Format2 { cvn, .. }) => *cvn,
            Iad::Mchip(m) => m.cvn,
            Iad::Ccd(c) => c.cci,
        }
    }

    /// The CVN as the scheme names it (`CVN 10`, `CVN 18`, `CVN 22`, `CVN 16` …), for the
    /// versions the crate knows.
    pub fn cvn_label(&self) -> Option<&'static str> {
        match (self, self.cvn()) {
            (Iad::Visa(_), 0x0A) => Some("CVN 10"),
            (Iad::Visa(_), 0x0E) => Some("CVN 14"),
            (Iad::Visa(_), 0x12) => Some("CVN 18"),
            (Iad::Visa(_), 0x22) => Some("CVN 22"),
            (Iad::Mchip(_), 0x10) => Some("CVN 16"),
            (Iad::Mchip(_), 0x11) => Some("CVN 17"),
            (Iad::Mchip(_), 0x14) => Some("CVN 20"),
            (Iad::Mchip(_), 0x15) => Some("CVN 21"),
            (Iad::Ccd(_), 0xA5) => Some("CCD format A, cryptogram version 5 (triple DES)"),
            (Iad::Ccd(_), 0xA6) => Some("CCD format A, cryptogram version 6 (AES)"),
            _ => None,
        }
    }

    /// Length of the encoding.
    pub fn encoded_len(&self) -> usize {
        match self {
            Iad::Visa(VisaIad::Format013 {
                extra,
                issuer_discretionary,
                ..
            }) => 7 + extra.len() + issuer_discretionary.len(),
            Iad::Visa(VisaIad::Format2 {
                issuer_discretionary,
                ..
            }) => 8 + issuer_discretionary.len(),
            Iad::Mchip(m) => 10 + m.rest.len(),
            Iad::Ccd(_) => 32,
        }
    }

    /// Encodes into `out`, returning the length.
    ///
    /// # Errors
    /// [`ErrorKind::BufferTooSmall`]; [`ErrorKind::InvalidLength`] if Visa discretionary data
    /// would exceed 255 bytes. Nothing is reported written on error.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, Error> {
        let len = self.encoded_len();
        let dst = out
            .get_mut(..len)
            .ok_or(invalid(ErrorKind::BufferTooSmall, 0))?;
        let mut w = Writer { dst, pos: 0 };
        match self {
            Iad::Visa(VisaIad::Format013 {
                dki,
                cvn,
                cvr,
                extra,
                issuer_discretionary,
            }) => {
                let vdd = u8::try_from(6 + extra.len())
                    .map_err(|_| invalid(ErrorKind::InvalidLength, 0))?;
                w.put(&[vdd, *dki, *cvn]);
                w.put(cvr.as_bytes());
                w.put(extra);
                w.put(issuer_discretionary);
            }
            Iad::Visa(VisaIad::Format2 {
                cvn,
                dki,
                cvr,
                issuer_discretionary,
            }) => {
                w.put(&[0x1F, *cvn, *dki]);
                w.put(cvr);
                w.put(issuer_discretionary);
            }
            Iad::Mchip(m) => {
                w.put(&[m.dki, m.cvn]);
                w.put(m.cvr.as_bytes());
                w.put(&m.dac);
                w.put(m.rest);
            }
            Iad::Ccd(c) => {
                w.put(&[0x0F, c.cci, c.dki]);
                w.put(c.cvr.as_bytes());
                w.put(&c.counters);
                w.put(&[0x0F]);
                w.put(&c.issuer_discretionary);
            }
        }
        Ok(w.pos)
    }
}

impl<'a> VisaIad<'a> {
    fn parse(bytes: &'a [u8]) -> Result<Self, Error> {
        let too_short = invalid(ErrorKind::InvalidLength, bytes.len());
        if bytes.first() == Some(&0x1F) {
            let (&[_, cvn, dki, cvr @ ..], issuer_discretionary) =
                bytes.split_first_chunk::<8>().ok_or(too_short)?;
            return Ok(VisaIad::Format2 {
                cvn,
                dki,
                cvr,
                issuer_discretionary,
            });
        }
        let vdd_len = usize::from(*bytes.first().ok_or(too_short)?);
        if vdd_len < 6 {
            return Err(invalid(ErrorKind::InvalidValue, 0));
        }
        if bytes.get(3) != Some(&0x03) {
            return Err(invalid(ErrorKind::InvalidValue, 3));
        }
        // Byte 1 counts the Visa discretionary data after itself: bytes 2 to 1 + vdd_len.
        let (&[_, dki, cvn, cvr @ ..], after_cvr) =
            bytes.split_first_chunk::<7>().ok_or(too_short)?;
        let (extra, issuer_discretionary) =
            after_cvr.split_at_checked(vdd_len - 6).ok_or(too_short)?;
        Ok(VisaIad::Format013 {
            dki,
            cvn,
            cvr: VisaCvr::from_array(cvr),
            extra,
            issuer_discretionary,
        })
    }
}

/// Sequential writes into a slice already checked to be long enough.
struct Writer<'b> {
    dst: &'b mut [u8],
    pos: usize,
}

impl Writer<'_> {
    fn put(&mut self, bytes: &[u8]) {
        if let Some(d) = self.dst.get_mut(self.pos..self.pos + bytes.len()) {
            d.copy_from_slice(bytes);
            self.pos += bytes.len();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bits::{CryptogramType, SecondGenerateAc, visa_cvr};

    fn round_trip(bytes: &[u8]) -> Iad<'_> {
        let iad = Iad::parse(bytes).unwrap();
        let mut out = [0u8; 64];
        let n = iad.encode(&mut out).unwrap();
        assert_eq!(&out[..n], bytes);
        iad
    }

    #[test]
    fn unionpay_pboc_genac() {
        // binaryfoo/emv-bertlv contact-upi-out.txt, GENERATE AC (ARQC) response.
        let iad = round_trip(&[0x07, 0x00, 0x01, 0x03, 0xA0, 0xA8, 0x02, 0x01]);
        let Iad::Visa(VisaIad::Format013 {
            dki,
            cvn,
            cvr,
            extra,
            issuer_discretionary,
        }) = iad
        else {
            panic!("{iad:?}");
        };
        assert_eq!(
            (dki, cvn, extra, issuer_discretionary),
            (0, 1, &[0x01][..], &[][..])
        );
        assert_eq!(cvr.first_generate_ac(), CryptogramType::Arqc);
        assert_eq!(cvr.second_generate_ac(), SecondGenerateAc::NotRequested);
        assert!(cvr.contains(visa_cvr::LAST_ONLINE_NOT_COMPLETED));
        assert!(cvr.contains(visa_cvr::DDA_PERFORMED));
    }

    #[test]
    fn layouts() {
        let visa10 = round_trip(&[0x06, 0x01, 0x0A, 0x03, 0xA0, 0x00, 0x00]);
        assert_eq!(visa10.cvn_label(), Some("CVN 10"));
        let mut f2 = [0u8; 32];
        f2[0] = 0x1F;
        f2[1] = 0x22;
        assert_eq!(round_trip(&f2).cvn_label(), Some("CVN 22"));
        let mc = round_trip(&[
            0x01, 0x10, 0xA0, 0x00, 0x03, 0x22, 0x00, 0x00, 0xB6, 0xA4, 0, 0, 0, 0, 0, 0, 0, 0xFF,
        ]);
        assert_eq!(mc.layout(), IadLayout::Mchip);
        assert_eq!(mc.cvn_label(), Some("CVN 16"));
        let mut ccd = [0u8; 32];
        ccd[0] = 0x0F;
        ccd[1] = 0xA5;
        ccd[16] = 0x0F;
        assert_eq!(round_trip(&ccd).layout(), IadLayout::Ccd);
        assert_eq!(
            Iad::parse(&[0x00, 0x01]).unwrap_err().kind(),
            ErrorKind::UnrecognisedFormat
        );
        assert!(Iad::parse_as(&ccd[..31], IadLayout::Ccd).is_err());
        assert!(Iad::parse_as(&[0x06, 0x01, 0x0A, 0x03, 0xA0], IadLayout::Visa).is_err());
    }
}
