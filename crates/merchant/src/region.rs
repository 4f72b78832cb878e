//! The 4-digit region code inside a merchant number (digits 4–7), decoded under both schemes
//! acquirers use: the UnionPay cross-bank region code (most acquirers) and the first four
//! digits of a GB/T 2260 administrative code (a few). A code that reads under both is
//! ambiguous and both readings are returned; "province = code / 100" is never assumed.

use core::fmt;

use crate::error::Error;
use crate::tables;

/// A 4-digit region code, 0000–9999, as found in a merchant number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Region(u16);

impl Region {
    /// The code for a number, `None` above 9999.
    pub const fn new(code: u16) -> Option<Self> {
        if code <= 9999 { Some(Self(code)) } else { None }
    }

    /// Parses exactly four ASCII digits.
    pub fn parse(ascii: &[u8]) -> Result<Self, Error> {
        // Same shape as an MCC: four decimal digits.
        crate::Mcc::parse(ascii).map(|m| Self(m.get()))
    }

    /// Four ASCII digits already validated by the caller.
    pub(crate) const fn from_digits(d: [u8; 4]) -> Self {
        Self(crate::mcc::four_digits(d))
    }

    /// The code as a number.
    pub const fn get(self) -> u16 {
        self.0
    }

    /// The readings of the code under each scheme.
    pub fn candidates(self) -> RegionCandidates {
        RegionCandidates {
            unionpay: self.unionpay(),
            gb2260: self.gb2260(),
        }
    }

    fn unionpay(self) -> Option<RegionCandidate> {
        let prefix = usize::from(self.0 / 100);
        let province = tables::UNIONPAY_PREFIX_PROVINCE
            .get(prefix)
            .copied()
            .filter(|&p| p != 0)?;
        let city = tables::UNIONPAY_CITIES
            .binary_search(&self.0)
            .ok()
            .and_then(|i| u8::try_from(i).ok());
        Some(RegionCandidate {
            scheme: Scheme::UnionPay,
            province: Province(province),
            city,
        })
    }

    fn gb2260(self) -> Option<RegionCandidate> {
        let prefix = self.0 / 100;
        // "xx00" reads as the province itself (the form slip guides print, e.g. 1100 Beijing).
        if !tables::GB_PROVINCE_CODE
            .get(usize::from(prefix))
            .copied()
            .unwrap_or(false)
        {
            return None;
        }
        let city = tables::GB_PREFECTURES
            .binary_search(&self.0)
            .ok()
            .and_then(|i| u8::try_from(i).ok());
        Some(RegionCandidate {
            scheme: Scheme::Gb2260,
            province: Province(u8::try_from(prefix).ok()?),
            city,
        })
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}", self.0)
    }
}

/// Parses exactly four ASCII digits.
impl core::str::FromStr for Region {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Self::parse(s.as_bytes())
    }
}

/// A region-code scheme.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// UnionPay's cross-bank region code (银联地区码): provinces span prefix ranges
    /// (Guangdong 58–60), cities usually end in 0 (5840 Shenzhen).
    UnionPay,
    /// The first four digits of a GB/T 2260 administrative code (2101 Shenyang).
    Gb2260,
}

impl Scheme {
    /// `unionpay` or `gb2260`.
    pub const fn id(self) -> &'static str {
        match self {
            Self::UnionPay => "unionpay",
            Self::Gb2260 => "gb2260",
        }
    }
}

/// A province, identified by its GB/T 2260 code (44 = Guangdong).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Province(u8);

impl Province {
    /// The GB/T 2260 province code.
    pub const fn code(self) -> u8 {
        self.0
    }

    /// The Chinese name (广东省).
    #[cfg(feature = "descriptions")]
    pub fn name_zh(self) -> &'static str {
        self.names().map_or("", |[zh, _]| zh)
    }

    /// The English name (Guangdong).
    #[cfg(feature = "descriptions")]
    pub fn name_en(self) -> &'static str {
        self.names().map_or("", |[_, en]| en)
    }

    #[cfg(feature = "descriptions")]
    fn names(self) -> Option<[&'static str; 2]> {
        let i = tables::GB_PROVINCES.binary_search(&self.0).ok()?;
        tables::GB_PROVINCE_NAMES.get(i).copied()
    }
}

/// One reading of a region code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RegionCandidate {
    scheme: Scheme,
    province: Province,
    /// Index into the scheme's city table, when the exact code is a known city.
    city: Option<u8>,
}

impl RegionCandidate {
    /// The scheme of this reading.
    pub const fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The province the code falls in under this scheme.
    pub const fn province(&self) -> Province {
        self.province
    }

    /// Whether the exact code is a city in the embedded (partial) city tables.
    pub const fn has_city(&self) -> bool {
        self.city.is_some()
    }

    /// The city's name, when the exact code is in the embedded (partial) city tables.
    #[cfg(feature = "descriptions")]
    pub fn city(&self) -> Option<&'static str> {
        let i = usize::from(self.city?);
        match self.scheme {
            Scheme::UnionPay => tables::UNIONPAY_CITIES_NAMES.get(i).copied(),
            Scheme::Gb2260 => tables::GB_PREFECTURES_NAMES.get(i).copied(),
        }
    }
}

/// The readings of a region code: at most one per scheme.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RegionCandidates {
    /// The UnionPay reading, if the prefix belongs to a province.
    pub unionpay: Option<RegionCandidate>,
    /// The GB/T 2260 reading, if the first two digits are a province code.
    pub gb2260: Option<RegionCandidate>,
}

impl RegionCandidates {
    /// Both schemes read the code: which one the acquirer used cannot be told.
    pub const fn is_ambiguous(&self) -> bool {
        self.unionpay.is_some() && self.gb2260.is_some()
    }

    /// Neither scheme reads the code.
    pub const fn is_empty(&self) -> bool {
        self.unionpay.is_none() && self.gb2260.is_none()
    }

    /// The readings, UnionPay first.
    pub fn iter(&self) -> impl Iterator<Item = RegionCandidate> {
        self.unionpay.into_iter().chain(self.gb2260)
    }

    /// Whether any reading lies in `province`.
    pub fn in_province(&self, province: Province) -> bool {
        self.iter().any(|c| c.province == province)
    }

    /// Whether some reading of `self` and some reading of `other` share a province.
    pub fn share_province(&self, other: &RegionCandidates) -> bool {
        self.iter().any(|c| other.in_province(c.province))
    }
}
