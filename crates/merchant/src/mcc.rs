//! Merchant category codes (ISO 18245): parsing, classification, descriptions, business group and
//! China fee tier. All lookups are binary searches over the generated tables.

use core::fmt;
use core::str::FromStr;

use crate::error::{Error, ErrorKind};
use crate::tables;

/// A merchant category code, 0000–9999 (ISO 8583 field 18, EMV tag 9F15).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Mcc(u16);

impl Mcc {
    /// The code for a number, `None` above 9999.
    pub const fn new(code: u16) -> Option<Self> {
        if code <= 9999 { Some(Self(code)) } else { None }
    }

    /// The code as a number.
    pub const fn get(self) -> u16 {
        self.0
    }

    /// Four ASCII digits already validated by the caller (each byte is taken modulo 10, so
    /// the result stays within 0000–9999 whatever the bytes).
    pub(crate) const fn from_digits(d: [u8; 4]) -> Self {
        Self(four_digits(d))
    }

    /// Parses exactly four ASCII digits (field 18 as text, digits 8–11 of a merchant number).
    pub fn parse(ascii: &[u8]) -> Result<Self, Error> {
        let digits: &[u8; 4] = ascii.try_into().map_err(|_| {
            Error::new(
                ErrorKind::Length {
                    expected: 4,
                    found: ascii.len(),
                },
                0,
            )
        })?;
        let mut code = 0u16;
        for (i, &b) in digits.iter().enumerate() {
            if !b.is_ascii_digit() {
                return Err(Error::new(ErrorKind::NotDigit, i));
            }
            code = code * 10 + u16::from(b - b'0');
        }
        Ok(Self(code))
    }

    /// Parses the 2-byte BCD value of EMV tag 9F15 (or a BCD field 18).
    pub fn from_bcd(bytes: &[u8]) -> Result<Self, Error> {
        let pair: &[u8; 2] = bytes.try_into().map_err(|_| {
            Error::new(
                ErrorKind::Length {
                    expected: 2,
                    found: bytes.len(),
                },
                0,
            )
        })?;
        let mut code = 0u16;
        for (i, &b) in pair.iter().enumerate() {
            let (hi, lo) = (b >> 4, b & 0x0F);
            if hi > 9 || lo > 9 {
                return Err(Error::new(ErrorKind::NotBcd, i));
            }
            code = code * 100 + u16::from(hi * 10 + lo);
        }
        Ok(Self(code))
    }

    /// The four ASCII digits.
    pub const fn to_ascii(self) -> [u8; 4] {
        let c = self.0;
        [
            digit(c / 1000),
            digit(c / 100 % 10),
            digit(c / 10 % 10),
            digit(c % 10),
        ]
    }

    /// The 2-byte BCD encoding (tag 9F15).
    pub const fn to_bcd(self) -> [u8; 2] {
        let [a, b, c, d] = self.to_ascii();
        [
            ((a - b'0') << 4) | (b - b'0'),
            ((c - b'0') << 4) | (d - b'0'),
        ]
    }

    /// The ISO 18245 block the code lies in.
    pub fn iso_range(self) -> IsoRange {
        let i = tables::ISO_RANGES.partition_point(|r| r.end < self.0);
        // The blocks tile 0000–9999 (checked by build.rs), so `i` is always in range; the
        // fallback is unreachable and keeps this panic-free.
        tables::ISO_RANGES.get(i).copied().unwrap_or(IsoRange::new(
            0,
            9999,
            "",
            RangeKind::Reserved,
        ))
    }

    /// The industry sub-range of the private-use block (3000–3350 airlines, 3351–3500 car
    /// rental, 3501–3999 lodging), `None` outside 3000–3999.
    pub fn private_range(self) -> Option<IsoRange> {
        tables::PRIVATE_RANGES
            .iter()
            .find(|r| r.contains(self))
            .copied()
    }

    /// In a block ISO 18245 reserves (0000–0699, 1000–1499, 9000–9199): no merchant can
    /// legitimately carry it.
    #[inline]
    pub fn is_reserved(self) -> bool {
        self.info() & INFO_RESERVED != 0
    }

    /// The byte of `tables::MCC_INFO` for this code (the table has an entry for each of
    /// 0000–9999, checked at compile time in `tables.rs`: the fallback is unreachable).
    #[inline]
    fn info(self) -> u8 {
        tables::MCC_INFO
            .get(usize::from(self.0))
            .copied()
            .unwrap_or(INFO_OTHER)
    }

    /// In the private-use block 3000–3999, whose meaning depends on the network (airlines,
    /// car rental and hotel chains; UnionPay uses 3998 for domestic railway).
    pub fn is_private(self) -> bool {
        self.iso_range().kind() == RangeKind::PrivateUse
    }

    /// Which embedded lists carry the code.
    pub fn lists(self) -> Lists {
        Lists(
            tables::MCC_CODES
                .binary_search(&self.0)
                .ok()
                .and_then(|i| tables::MCC_LISTS.get(i).copied())
                .unwrap_or(0),
        )
    }

    /// On at least one list.
    #[inline]
    pub fn is_known(self) -> bool {
        self.info() & INFO_KNOWN != 0
    }

    /// The description: the UnionPay meaning where China uses the code differently or alone,
    /// else the ISO 18245 text, else the network list's.
    #[cfg(feature = "descriptions")]
    pub fn description(self) -> Option<&'static str> {
        [List::UnionPay, List::Iso18245, List::Networks]
            .into_iter()
            .find_map(|l| self.description_in(l))
    }

    /// The description one list gives, if it has the code and a text for it.
    #[cfg(feature = "descriptions")]
    pub fn description_in(self, list: List) -> Option<&'static str> {
        let i = tables::MCC_CODES.binary_search(&self.0).ok()?;
        let text = tables::MCC_TEXT.get(i)?;
        let column = match list {
            List::Iso18245 => 0,
            List::Networks => 1,
            List::UnionPay => 2,
        };
        text.get(column).copied().filter(|t| !t.is_empty())
    }

    /// The coarse business group (from `data/cn_mcc_groups.tsv`; every info byte names a
    /// group, checked at compile time in `tables.rs`).
    #[inline]
    pub fn group(self) -> MccGroup {
        MccGroup::ALL
            .get(usize::from(self.info() & INFO_GROUP))
            .copied()
            .unwrap_or(MccGroup::Other)
    }

    /// The fee tier the data files state: exempt, government or (for every other code)
    /// standard; preferential membership is policy (see [`Policy::fee_tier`](crate::Policy::fee_tier)).
    #[inline]
    pub fn data_fee_tier(self) -> FeeTier {
        match self.info() & INFO_TIER {
            INFO_EXEMPT => FeeTier::Exempt,
            INFO_GOVERNMENT => FeeTier::Government,
            _ => FeeTier::Standard,
        }
    }

    /// The China fee tier under the default [`Policy`](crate::Policy): exempt and government
    /// from the UnionPay-side lists, preferential from the unverified default list, else
    /// standard.
    pub fn cn_fee_tier(self) -> FeeTier {
        crate::Policy::DEFAULT.fee_tier(self)
    }

    /// In the historic 2013 餐娱类 group (dining and entertainment, 1.25 % until the 2016
    /// reform). The embedded list is partial, so `false` means "not known to be".
    pub fn in_cn_2013_dining_entertainment(self) -> bool {
        tables::DINING_ENTERTAINMENT_2013
            .binary_search(&self.0)
            .is_ok()
    }
}

// The bits of a `tables::MCC_INFO` byte (see build.rs `dense_info`).
pub(crate) const INFO_GROUP: u8 = 0x0F;
const INFO_TIER: u8 = 0x30;
const INFO_EXEMPT: u8 = 0x10;
const INFO_GOVERNMENT: u8 = 0x20;
const INFO_KNOWN: u8 = 0x40;
const INFO_RESERVED: u8 = 0x80;
/// "other", not known, standard, not reserved: the fallback that cannot happen for 0–9999.
const INFO_OTHER: u8 = 9;

/// The number four ASCII digits spell; each byte is taken modulo 10, so the result is at
/// most 9999 whatever the bytes.
pub(crate) const fn four_digits(d: [u8; 4]) -> u16 {
    let [a, b, c, e] = d;
    digit_value(a) * 1000 + digit_value(b) * 100 + digit_value(c) * 10 + digit_value(e)
}

/// The value 0–9 of an ASCII digit (other bytes are taken modulo 10).
const fn digit_value(x: u8) -> u16 {
    (x.wrapping_sub(b'0') % 10) as u16
}

/// The ASCII digit of `v % 10`.
const fn digit(v: u16) -> u8 {
    let [low, _] = (v % 10).to_le_bytes();
    b'0' + low
}

impl fmt::Display for Mcc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}", self.0)
    }
}

/// Parses exactly four ASCII digits.
impl FromStr for Mcc {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Self::parse(s.as_bytes())
    }
}

/// What an ISO 18245 block is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RangeKind {
    /// Assigned to an industry.
    Assigned,
    /// Reserved (0000–0699, 1000–1499, 9000–9199).
    Reserved,
    /// Reserved for private use (3000–3999) and its network sub-ranges.
    PrivateUse,
}

/// An ISO 18245 block or private-use sub-range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IsoRange {
    start: u16,
    end: u16,
    name: &'static str,
    kind: RangeKind,
}

impl IsoRange {
    pub(crate) const fn new(start: u16, end: u16, name: &'static str, kind: RangeKind) -> Self {
        Self {
            start,
            end,
            name,
            kind,
        }
    }

    /// First code of the range.
    pub const fn start(&self) -> Mcc {
        Mcc(self.start)
    }

    /// Last code of the range.
    pub const fn end(&self) -> Mcc {
        Mcc(self.end)
    }

    /// The range's name in ISO 18245 ("Retail outlets").
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// What the range is for.
    pub const fn kind(&self) -> RangeKind {
        self.kind
    }

    /// Whether `mcc` lies in the range.
    pub const fn contains(&self, mcc: Mcc) -> bool {
        self.start <= mcc.0 && mcc.0 <= self.end
    }
}

/// `5000-5599 Retail outlets`.
impl fmt::Display for IsoRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:04} {}", self.start, self.end, self.name)
    }
}

/// An embedded MCC list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum List {
    /// The ISO 18245:2003 official list (280 codes).
    Iso18245,
    /// The combined network list (greggles/mcc-codes: Visa, USDA, IRS; 981 codes).
    Networks,
    /// Codes used in China that the other lists lack or use with another meaning.
    UnionPay,
}

impl List {
    /// Every list, in the order [`Lists`] iterates.
    pub const ALL: [List; 3] = [List::Iso18245, List::Networks, List::UnionPay];

    /// The list's identifier: `iso18245`, `networks`, `unionpay`.
    pub const fn id(self) -> &'static str {
        match self {
            Self::Iso18245 => "iso18245",
            Self::Networks => "networks",
            Self::UnionPay => "unionpay",
        }
    }

    const fn bit(self) -> u8 {
        match self {
            Self::Iso18245 => 1,
            Self::Networks => 2,
            Self::UnionPay => 4,
        }
    }
}

/// The set of lists that carry a code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lists(u8);

impl Lists {
    /// Whether `list` carries the code.
    pub const fn contains(self, list: List) -> bool {
        self.0 & list.bit() != 0
    }

    /// No list carries the code.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The lists, in [`List::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = List> {
        List::ALL.into_iter().filter(move |l| self.contains(*l))
    }
}

/// Coarse business groups a cardholder can name without knowing codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MccGroup {
    /// Restaurants, bars, tea houses, fast food, caterers.
    Dining,
    /// Hotels and lodging (7011, the private-use lodging range).
    Hotel,
    /// Supermarkets, warehouse and discount stores, food retail.
    Supermarket,
    /// Service stations and fuel dealers.
    Fuel,
    /// Wholesale (50xx/51xx).
    Wholesale,
    /// Car dealers and real estate.
    AutoRealEstate,
    /// Medical, schools, charities, government services.
    HealthEducationGovernment,
    /// Jewellery, watches, antiques and crafts.
    Jewellery,
    /// Amusement, recreation, spas.
    Entertainment,
    /// Everything else.
    Other,
}

impl MccGroup {
    /// Every group.
    pub const ALL: [MccGroup; 10] = [
        Self::Dining,
        Self::Hotel,
        Self::Supermarket,
        Self::Fuel,
        Self::Wholesale,
        Self::AutoRealEstate,
        Self::HealthEducationGovernment,
        Self::Jewellery,
        Self::Entertainment,
        Self::Other,
    ];

    /// The group's identifier (`dining`, `hotel`, …, `auto-real-estate`,
    /// `health-education-government`).
    pub const fn id(self) -> &'static str {
        match self {
            Self::Dining => "dining",
            Self::Hotel => "hotel",
            Self::Supermarket => "supermarket",
            Self::Fuel => "fuel",
            Self::Wholesale => "wholesale",
            Self::AutoRealEstate => "auto-real-estate",
            Self::HealthEducationGovernment => "health-education-government",
            Self::Jewellery => "jewellery",
            Self::Entertainment => "entertainment",
            Self::Other => "other",
        }
    }

    /// The fee tier such a business normally settles under: supermarkets and fuel are
    /// preferential, health/education/government exempt, everything else standard.
    pub const fn usual_fee_tier(self) -> FeeTier {
        match self {
            Self::Supermarket | Self::Fuel => FeeTier::Preferential,
            Self::HealthEducationGovernment => FeeTier::Exempt,
            _ => FeeTier::Standard,
        }
    }
}

impl fmt::Display for MccGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// Parses a group identifier ([`MccGroup::id`]).
impl FromStr for MccGroup {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Self::ALL
            .into_iter()
            .find(|g| g.id() == s)
            .ok_or(Error::new(ErrorKind::UnknownName, 0))
    }
}

/// China merchant fee tier since the 2016 reform (发改价格〔2016〕557号).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FeeTier {
    /// 标准类: the default.
    Standard,
    /// 优惠类: transitional preferential rate (supermarkets, fuel, utilities, transport);
    /// membership comes from the [`Policy`](crate::Policy) (the default list is unverified).
    Preferential,
    /// 减免类: issuer and network fees waived (non-profit hospitals, schools, charities).
    Exempt,
    /// 政府服务类: government services; merged into the exempt group on 2017-01-06.
    Government,
}

impl FeeTier {
    /// The tier's identifier: `standard`, `preferential`, `exempt`, `government`.
    pub const fn id(self) -> &'static str {
        match self {
            Self::Standard => "standard",
            Self::Preferential => "preferential",
            Self::Exempt => "exempt",
            Self::Government => "government",
        }
    }

    /// How much the merchant pays, relatively: standard 2, preferential 1, exempt and
    /// government 0. Settling under a lower rank than the business deserves is the motive
    /// of most code jumping.
    pub const fn rank(self) -> u8 {
        match self {
            Self::Standard => 2,
            Self::Preferential => 1,
            Self::Exempt | Self::Government => 0,
        }
    }
}

impl fmt::Display for FeeTier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}
