//! EMV bit fields as typed values: each decodes from its bytes and encodes back to exactly
//! the same bytes, with every bit named the way the specification says "byte N bit M".
//!
//! | Type | Tag | Bytes | Specification |
//! |---|---|---|---|
//! | [`Tvr`] | `95` (and IACs `9F0D`–`9F0F`, TACs) | 5 | Book 3 Annex C5 |
//! | [`Tsi`] | `9B` | 2 | Book 3 Annex C6 |
//! | [`Aip`] | `82` | 2 | Book 3 Annex C1 |
//! | [`Auc`] | `9F07` | 2 | Book 3 Annex C2 |
//! | [`TerminalCapabilities`] | `9F33` | 3 | Book 4 Annex A2 |
//! | [`AdditionalTerminalCapabilities`] | `9F40` | 5 | Book 4 Annex A3 |
//! | [`Ttq`] | `9F66` | 4 | Books C-3, C-7 |
//! | [`Ctq`] | `9F6C` | 2 | Books C-3, C-7 |
//! | [`Cid`] | `9F27` | 1 | Book 3 Table 14 |
//! | [`CvmList`], [`CvmResults`] | `8E`, `9F34` | 10+, 3 | Book 3 Annex C3, A |
//! | [`TerminalType`] | `9F35` | 1 | Book 4 Annex A1 |
//! | [`Iad`] with [`VisaCvr`], [`MchipCvr`], [`CcdCvr`] | `9F10` | ≤ 32 | VIS, M/Chip 4, Book 3 Annex C9 |
//!
//! The bit-flag types store their bytes in a [`bitvec`] array and share the [`BitField`]
//! trait; the names come from `data/bits.tsv` through the build script, one module of
//! constants per layout ([`tvr`], [`tsi`] …).
//!
//! ```
//! use cardwire_emv::bits::{BitField, Tvr, tvr};
//!
//! let mut tvr = Tvr::from_bytes(&[0x00, 0x00, 0x00, 0x80, 0x00])?;
//! assert!(tvr.contains(tvr::FLOOR_LIMIT_EXCEEDED));
//! assert_eq!(tvr::FLOOR_LIMIT_EXCEEDED.name(), "Transaction exceeds floor limit");
//! tvr.set(tvr::ISSUER_AUTHENTICATION_FAILED, true);
//! assert_eq!(tvr.to_array(), [0x00, 0x00, 0x00, 0x80, 0x40]);
//! let names: Vec<_> = tvr.flags().map(|f| (f.byte(), f.bit())).collect();
//! assert_eq!(names, [(4, 8), (5, 7)]);
//! # Ok::<(), cardwire_emv::Error>(())
//! ```

use core::{fmt, marker::PhantomData, ops::Range};

use bitvec::field::BitField as _;
use bitvec::prelude::{BitArray, BitSlice, Msb0};

use crate::{Error, ErrorKind};

mod cvm;
mod iad;
mod terminal_type;

pub use cvm::{CvmCondition, CvmList, CvmMethod, CvmOutcome, CvmResults, CvmRule};
pub use iad::{CcdIad, Iad, IadLayout, MchipIad, VisaIad};
pub use terminal_type::{Environment, OperationalControl, TerminalType};

mod tables {
    include!(concat!(env!("OUT_DIR"), "/bits.rs"));
}
pub use tables::*;

/// One named bit of a layout `L`, numbered as the specifications do: byte 1 first, bit 8 the
/// most significant.
pub struct Flag<L> {
    byte: u8,
    bit: u8,
    key: &'static str,
    name: &'static str,
    layout: PhantomData<fn() -> L>,
}

impl<L> Flag<L> {
    pub(crate) const fn new(byte: u8, bit: u8, key: &'static str, name: &'static str) -> Self {
        Self {
            byte,
            bit,
            key,
            name,
            layout: PhantomData,
        }
    }

    /// Byte number, from 1.
    pub const fn byte(&self) -> u8 {
        self.byte
    }

    /// Bit number within the byte, 8 (most significant) to 1.
    pub const fn bit(&self) -> u8 {
        self.bit
    }

    /// A stable `snake_case` identifier, e.g. `floor_limit_exceeded`.
    pub const fn key(&self) -> &'static str {
        self.key
    }

    /// The specification's wording, e.g. `Transaction exceeds floor limit`.
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// Index into a most-significant-bit-first bit array.
    const fn index(&self) -> usize {
        (self.byte as usize - 1) * 8 + (8 - self.bit as usize)
    }
}

impl<L> Clone for Flag<L> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<L> Copy for Flag<L> {}
impl<L> PartialEq for Flag<L> {
    fn eq(&self, other: &Self) -> bool {
        (self.byte, self.bit) == (other.byte, other.bit)
    }
}
impl<L> Eq for Flag<L> {}
impl<L> fmt::Debug for Flag<L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Flag(byte {} bit {}: {})", self.byte, self.bit, self.key)
    }
}

/// A named range of bits of a layout `L` holding a number or a coded value, e.g. the
/// cryptogram type in bits 8–7 of the CID.
pub struct Field<L> {
    byte: u8,
    hi: u8,
    lo: u8,
    key: &'static str,
    name: &'static str,
    values: &'static [(u8, &'static str)],
    layout: PhantomData<fn() -> L>,
}

impl<L> Field<L> {
    pub(crate) const fn new(
        byte: u8,
        hi: u8,
        lo: u8,
        key: &'static str,
        name: &'static str,
        values: &'static [(u8, &'static str)],
    ) -> Self {
        Self {
            byte,
            hi,
            lo,
            key,
            name,
            values,
            layout: PhantomData,
        }
    }

    /// Byte number, from 1.
    pub const fn byte(&self) -> u8 {
        self.byte
    }

    /// The most and least significant bit numbers (8 to 1), e.g. `(8, 7)`.
    pub const fn bits(&self) -> (u8, u8) {
        (self.hi, self.lo)
    }

    /// A stable `snake_case` identifier.
    pub const fn key(&self) -> &'static str {
        self.key
    }

    /// The specification's wording.
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// What a coded value means, for fields whose values are coded (the cryptogram type),
    /// `None` for plain numbers and for values the specification leaves undefined.
    pub fn meaning(&self, value: u8) -> Option<&'static str> {
        self.values
            .iter()
            .find(|(v, _)| *v == value)
            .map(|(_, meaning)| *meaning)
    }

    /// The largest value the field holds.
    pub const fn max(&self) -> u8 {
        u8::MAX >> (7 - (self.hi - self.lo))
    }

    fn range(&self) -> Range<usize> {
        let start = (usize::from(self.byte) - 1) * 8 + (8 - usize::from(self.hi));
        start..start + usize::from(self.hi - self.lo) + 1
    }
}

impl<L> Clone for Field<L> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<L> Copy for Field<L> {}
impl<L> PartialEq for Field<L> {
    fn eq(&self, other: &Self) -> bool {
        (self.byte, self.hi, self.lo) == (other.byte, other.hi, other.lo)
    }
}
impl<L> Eq for Field<L> {}
impl<L> fmt::Debug for Field<L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Field(byte {} bits {}-{}: {})",
            self.byte, self.hi, self.lo, self.key
        )
    }
}

/// A fixed-length bit field with named bits ([`Flag`]s) and bit ranges ([`Field`]s).
///
/// Decoding keeps every bit, named or not, so `from_bytes(b)?.as_bytes() == b` always.
pub trait BitField: Copy + Sized + 'static {
    /// Length in bytes.
    const LEN: usize;
    /// Every named single bit, in byte and bit order.
    const FLAGS: &'static [Flag<Self>];
    /// Every named bit range, in byte and bit order.
    const FIELDS: &'static [Field<Self>];

    /// Decodes exactly [`Self::LEN`] bytes.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidLength`] for any other length.
    fn from_bytes(bytes: &[u8]) -> Result<Self, Error>;

    /// The encoded bytes.
    fn as_bytes(&self) -> &[u8];

    /// The bits, most significant bit of byte 1 first.
    fn bits(&self) -> &BitSlice<u8, Msb0>;

    /// The bits, mutable.
    fn bits_mut(&mut self) -> &mut BitSlice<u8, Msb0>;

    /// Whether `flag` is set.
    fn contains(&self, flag: Flag<Self>) -> bool {
        self.bits().get(flag.index()).is_some_and(|b| *b)
    }

    /// Sets or clears `flag`.
    fn set(&mut self, flag: Flag<Self>, on: bool) {
        if let Some(mut b) = self.bits_mut().get_mut(flag.index()) {
            *b = on;
        }
    }

    /// The value held in `field`.
    fn field(&self, field: Field<Self>) -> u8 {
        self.bits()
            .get(field.range())
            .map_or(0, |s| s.load_be::<u8>())
    }

    /// Stores `value` in `field`.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidValue`] if `value` does not fit the field's bits.
    fn set_field(&mut self, field: Field<Self>, value: u8) -> Result<(), Error> {
        if value > field.max() {
            return Err(Error::new(
                ErrorKind::InvalidValue,
                usize::from(field.byte - 1),
                None,
            ));
        }
        if let Some(bits) = self.bits_mut().get_mut(field.range()) {
            bits.store_be(value);
        }
        Ok(())
    }

    /// The named flags that are set, in byte and bit order.
    fn flags(&self) -> impl Iterator<Item = Flag<Self>> + '_ {
        Self::FLAGS.iter().copied().filter(|f| self.contains(*f))
    }

    /// Set bits that no flag or field names (RFU or proprietary), as `(byte, bit)` pairs.
    fn unnamed_bits(&self) -> impl Iterator<Item = (u8, u8)> + '_ {
        self.bits().iter_ones().filter_map(|i| {
            let named = Self::FLAGS.iter().any(|f| f.index() == i)
                || Self::FIELDS.iter().any(|f| f.range().contains(&i));
            let byte = u8::try_from(i / 8 + 1).ok()?;
            let bit = u8::try_from(8 - i % 8).ok()?;
            (!named).then_some((byte, bit))
        })
    }
}

macro_rules! bit_field {
    ($(#[$doc:meta])* $name:ident, $len:literal, $layout:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
        pub struct $name(BitArray<[u8; $len], Msb0>);

        impl $name {
            /// From its bytes.
            pub fn from_array(bytes: [u8; $len]) -> Self {
                Self(BitArray::new(bytes))
            }

            /// Its bytes.
            pub fn to_array(self) -> [u8; $len] {
                self.0.into_inner()
            }
        }

        impl BitField for $name {
            const LEN: usize = $len;
            const FLAGS: &'static [Flag<Self>] = $layout::FLAGS;
            const FIELDS: &'static [Field<Self>] = $layout::FIELDS;

            fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
                <[u8; $len]>::try_from(bytes)
                    .map(Self::from_array)
                    .map_err(|_| Error::new(ErrorKind::InvalidLength, bytes.len().min($len), None))
            }

            fn as_bytes(&self) -> &[u8] {
                self.0.as_raw_slice()
            }

            fn bits(&self) -> &BitSlice<u8, Msb0> {
                self.0.as_bitslice()
            }

            fn bits_mut(&mut self) -> &mut BitSlice<u8, Msb0> {
                self.0.as_mut_bitslice()
            }
        }

        impl fmt::Display for $name {
            /// Upper-case hex.
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&crate::hex::Hex(self.as_bytes()), f)
            }
        }

        impl fmt::Debug for $name {
            /// The hex, then the keys of the flags set.
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({self}", stringify!($name))?;
                for (i, flag) in self.flags().enumerate() {
                    f.write_str(if i == 0 { ": " } else { ", " })?;
                    f.write_str(flag.key())?;
                }
                f.write_str(")")
            }
        }
    };
}

bit_field!(
    /// Terminal Verification Results, tag `95`; also the layout of the issuer action codes
    /// `9F0D`–`9F0F` and the terminal action codes.
    Tvr, 5, tvr
);
bit_field!(
    /// Transaction Status Information, tag `9B`.
    Tsi, 2, tsi
);
bit_field!(
    /// Application Interchange Profile, tag `82`.
    Aip, 2, aip
);
bit_field!(
    /// Application Usage Control, tag `9F07`.
    Auc, 2, auc
);
bit_field!(
    /// Terminal Capabilities, tag `9F33`.
    TerminalCapabilities, 3, terminal_capabilities
);
bit_field!(
    /// Additional Terminal Capabilities, tag `9F40`.
    AdditionalTerminalCapabilities, 5, additional_terminal_capabilities
);
bit_field!(
    /// Terminal Transaction Qualifiers, tag `9F66` (Visa, UnionPay QuickPass).
    Ttq, 4, ttq
);
bit_field!(
    /// Card Transaction Qualifiers, tag `9F6C` (Visa, UnionPay QuickPass).
    Ctq, 2, ctq
);
bit_field!(
    /// Cryptogram Information Data, tag `9F27`.
    Cid, 1, cid
);
bit_field!(
    /// Visa Card Verification Results in issuer application data formats 0, 1 and 3 (and the
    /// PBOC layout derived from it): 4 bytes, byte 1 being the CVR's own length `03`.
    VisaCvr, 4, visa_cvr
);
bit_field!(
    /// Mastercard M/Chip 4 Card Verification Results: bytes 3–8 of the issuer application
    /// data.
    MchipCvr, 6, mchip_cvr
);
bit_field!(
    /// Common Core Definitions Card Verification Results: bytes 4–8 of issuer application
    /// data format A.
    CcdCvr, 5, ccd_cvr
);

/// The kind of application cryptogram (CID bits 8–7, and the "returned in first GENERATE AC"
/// bits of the card verification results).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CryptogramType {
    /// Application Authentication Cryptogram: declined.
    Aac,
    /// Transaction Certificate: approved.
    Tc,
    /// Authorisation Request Cryptogram: go online.
    Arqc,
    /// `11`: reserved.
    Rfu,
}

impl CryptogramType {
    const fn from_bits(v: u8) -> Self {
        match v & 3 {
            0 => Self::Aac,
            1 => Self::Tc,
            2 => Self::Arqc,
            _ => Self::Rfu,
        }
    }

    const fn to_bits(self) -> u8 {
        match self {
            Self::Aac => 0,
            Self::Tc => 1,
            Self::Arqc => 2,
            Self::Rfu => 3,
        }
    }

    /// `AAC`, `TC`, `ARQC` or `RFU`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Aac => "AAC",
            Self::Tc => "TC",
            Self::Arqc => "ARQC",
            Self::Rfu => "RFU",
        }
    }
}

/// What the card returned in the second GENERATE AC (card verification results byte bits 8–7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SecondGenerateAc {
    /// An AAC.
    Aac,
    /// A TC.
    Tc,
    /// No second GENERATE AC was requested.
    NotRequested,
    /// `11`: reserved.
    Rfu,
}

impl SecondGenerateAc {
    const fn from_bits(v: u8) -> Self {
        match v & 3 {
            0 => Self::Aac,
            1 => Self::Tc,
            2 => Self::NotRequested,
            _ => Self::Rfu,
        }
    }
}

impl Cid {
    /// A CID from its parts: cryptogram type, payment system-specific bits (0–3), advice
    /// required, reason/advice code (0–7).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidValue`] if a part does not fit its bits.
    pub fn new(
        kind: CryptogramType,
        payment_system: u8,
        advice_required: bool,
        reason: u8,
    ) -> Result<Self, Error> {
        let mut cid = Self::default();
        cid.set_field(cid::CRYPTOGRAM_TYPE, kind.to_bits())?;
        cid.set_field(cid::PAYMENT_SYSTEM, payment_system)?;
        cid.set(cid::ADVICE_REQUIRED, advice_required);
        cid.set_field(cid::REASON, reason)?;
        Ok(cid)
    }

    /// The type of cryptogram returned.
    pub fn cryptogram_type(&self) -> CryptogramType {
        CryptogramType::from_bits(self.field(cid::CRYPTOGRAM_TYPE))
    }

    /// Whether the card asks for an advice.
    pub fn advice_required(&self) -> bool {
        self.contains(cid::ADVICE_REQUIRED)
    }

    /// The reason/advice code (0 no information, 1 service not allowed, 2 PIN Try Limit
    /// exceeded, 3 issuer authentication failed, 4–7 RFU).
    pub fn reason(&self) -> u8 {
        self.field(cid::REASON)
    }
}

macro_rules! cvr_generate_ac {
    ($name:ident, $layout:ident) => {
        impl $name {
            /// The cryptogram returned in the first GENERATE AC (or GPO).
            pub fn first_generate_ac(&self) -> CryptogramType {
                CryptogramType::from_bits(self.field($layout::FIRST_GENERATE_AC))
            }

            /// What the second GENERATE AC returned.
            pub fn second_generate_ac(&self) -> SecondGenerateAc {
                SecondGenerateAc::from_bits(self.field($layout::SECOND_GENERATE_AC))
            }
        }
    };
}
cvr_generate_ac!(VisaCvr, visa_cvr);
cvr_generate_ac!(MchipCvr, mchip_cvr);
cvr_generate_ac!(CcdCvr, ccd_cvr);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_round_trip_and_name_positions() {
        let tvr = Tvr::from_bytes(&[0xD8, 0x60, 0x9C, 0xA8, 0x00]).unwrap();
        let keys: [&str; 11] = [
            "offline_data_authentication_not_performed",
            "sda_failed",
            "card_on_exception_file",
            "dda_failed",
            "expired_application",
            "application_not_yet_effective",
            "cardholder_verification_not_successful",
            "pin_pad_not_working",
            "pin_not_entered",
            "online_cvm_captured",
            "floor_limit_exceeded",
        ];
        let got: [&str; 11] = core::array::from_fn(|i| tvr.flags().nth(i).unwrap().key());
        assert_eq!(got, keys);
        assert_eq!(tvr.flags().count(), 13);
        assert_eq!(tvr.as_bytes(), &[0xD8, 0x60, 0x9C, 0xA8, 0x00]);
        assert_eq!(
            Tvr::from_bytes(&[0; 4]).unwrap_err().kind(),
            ErrorKind::InvalidLength
        );
    }

    #[test]
    fn unnamed_bits_are_kept_and_reported() {
        let tsi = Tsi::from_bytes(&[0xF9, 0x01]).unwrap();
        let unnamed: [(u8, u8); 2] = [(1, 1), (2, 1)];
        assert!(tsi.unnamed_bits().eq(unnamed));
        assert_eq!(tsi.to_array(), [0xF9, 0x01]);
    }

    #[test]
    fn cid_parts() {
        let cid = Cid::from_bytes(&[0x80]).unwrap();
        assert_eq!(cid.cryptogram_type(), CryptogramType::Arqc);
        assert!(!cid.advice_required());
        let built = Cid::new(CryptogramType::Aac, 0, true, 2).unwrap();
        assert_eq!(built.to_array(), [0x0A]);
        assert!(Cid::new(CryptogramType::Tc, 4, false, 0).is_err());
        assert_eq!(cid::CRYPTOGRAM_TYPE.meaning(2), Some("ARQC"));
    }

    #[test]
    fn visa_cvr_fields() {
        let cvr = VisaCvr::from_bytes(&[0x03, 0xA0, 0xA8, 0x02]).unwrap();
        assert_eq!(cvr.first_generate_ac(), CryptogramType::Arqc);
        assert_eq!(cvr.second_generate_ac(), SecondGenerateAc::NotRequested);
        assert_eq!(cvr.field(visa_cvr::SCRIPT_COMMANDS), 0);
        let mut c = cvr;
        c.set_field(visa_cvr::SCRIPT_COMMANDS, 15).unwrap();
        assert_eq!(c.to_array(), [0x03, 0xA0, 0xA8, 0xF2]);
        assert!(c.set_field(visa_cvr::SCRIPT_COMMANDS, 16).is_err());
    }
}
