//! Money as the merchant sees it: amounts in fen (1/100 yuan) and the fee rate the acquirer
//! charges. This is the one home of the fee rule — the terminal's quote, the acquirer's
//! posting and the reconciler's check all compute a fee here, so they can only agree.

use core::fmt;

use crate::error::{Error, ErrorKind};
use crate::transaction::CardType;

/// An amount in fen, shown as yuan with two decimals (`-5.00` for a credit).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Fen(pub i64);

impl Fen {
    /// Yuan with at most two decimals, optionally negative (`123.45`, `123.4`, `123`, `-5.00`).
    ///
    /// # Errors
    /// [`ErrorKind::NotAnAmount`] at the offending character, [`ErrorKind::OutOfRange`] when
    /// the amount does not fit.
    pub fn parse_yuan(text: &[u8]) -> Result<Self, Error> {
        let (negative, digits) = match text.split_first() {
            Some((b'-', rest)) => (true, rest),
            _ => (false, text),
        };
        let offset = usize::from(negative);
        let fen = parse_decimal(digits, 2).map_err(|e| shift(e, offset))?;
        let fen = i64::try_from(fen).map_err(|_| Error::new(ErrorKind::OutOfRange, offset))?;
        Ok(Self(if negative { -fen } else { fen }))
    }
}

impl Fen {
    /// Nothing.
    pub const ZERO: Self = Self(0);

    /// The sum, saturating at the bounds of `i64`.
    #[must_use]
    pub const fn saturating_add(self, other: Self) -> Self {
        Self(self.0.saturating_add(other.0))
    }

    /// The difference, saturating at the bounds of `i64`.
    #[must_use]
    pub const fn saturating_sub(self, other: Self) -> Self {
        Self(self.0.saturating_sub(other.0))
    }

    /// The amount without its sign, in fen.
    pub const fn unsigned_abs(self) -> u64 {
        self.0.unsigned_abs()
    }

    /// `fen` as a signed amount (saturating at `i64::MAX`).
    pub const fn from_unsigned(fen: u64) -> Self {
        Self(if fen > i64::MAX as u64 {
            i64::MAX
        } else {
            fen as i64
        })
    }
}

impl fmt::Display for Fen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

/// A fee rate: a share of the amount, in millionths (0.60 % is 6 000), at most 100 %.
///
/// Rates of personal POS in China are quoted in percent with up to four decimals
/// (0.38 %, 0.6 %, 0.78 %, 1.25 %); millionths hold each exactly.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FeeRate(u32);

impl FeeRate {
    /// One hundred percent, the largest rate.
    pub const MAX: Self = Self(1_000_000);

    /// A rate in basis points (1/100 of a percent): `from_bps(60)` is 0.60 %.
    pub const fn from_bps(bps: u16) -> Self {
        // 10 000 bps is 100 %; anything above is capped there.
        let bps = if bps > 10_000 { 10_000 } else { bps };
        Self(bps as u32 * 100)
    }

    /// A rate in millionths of the amount, `None` above 100 %.
    pub const fn from_millionths(millionths: u32) -> Option<Self> {
        if millionths > Self::MAX.0 {
            None
        } else {
            Some(Self(millionths))
        }
    }

    /// A rate written as a percentage with at most four decimals (`0.60`, `0.6`, `1.25`),
    /// an optional `%` at the end.
    ///
    /// # Errors
    /// [`ErrorKind::NotAnAmount`] at the offending character; [`ErrorKind::OutOfRange`] above
    /// 100 %.
    pub fn parse_percent(text: &[u8]) -> Result<Self, Error> {
        let text = text.strip_suffix(b"%").unwrap_or(text);
        let millionths = parse_decimal(text, 4)?;
        u32::try_from(millionths)
            .ok()
            .and_then(Self::from_millionths)
            .ok_or(Error::new(ErrorKind::OutOfRange, 0))
    }

    /// The rate in millionths of the amount.
    pub const fn millionths(self) -> u32 {
        self.0
    }

    /// The fee on `amount` fen at this rate, rounded half up to the fen: 0.60 % of
    /// 123.45 yuan is 0.74 yuan, 0.20 % of 2.50 yuan is 0.01 yuan.
    pub const fn fee(self, amount: u64) -> u64 {
        // Whole millions and the remainder apart, so that nothing overflows a u64: the rate is
        // at most 1 000 000 millionths, so each part is at most its share of the amount.
        let rate = self.0 as u64;
        let whole = amount / 1_000_000 * rate;
        let rest = (amount % 1_000_000 * rate + 500_000) / 1_000_000;
        whole + rest
    }

    /// The rate that `fee` on `amount` represents, rounded to the nearest millionth; `None`
    /// for a zero amount or a fee above the amount.
    pub fn of(fee: u64, amount: u64) -> Option<Self> {
        if amount == 0 || fee > amount {
            return None;
        }
        let scaled = (u128::from(fee) * 1_000_000 + u128::from(amount) / 2) / u128::from(amount);
        u32::try_from(scaled).ok().and_then(Self::from_millionths)
    }
}

impl FeeRate {
    /// The lowest and highest rates whose fee on `amount` fen is `fee` fen (the fee is
    /// rounded, so a range of rates gives it); `None` for a zero amount or a fee no rate up
    /// to 100 % gives. The wider the range, the less one transaction says about the rate.
    pub fn range_giving(fee: u64, amount: u64) -> Option<(Self, Self)> {
        if amount == 0 {
            return None;
        }
        // fee = ⌊(amount × rate + ½ million) / million⌋, so
        // fee × million − ½ million ≤ amount × rate < fee × million + ½ million.
        let (f, a) = (u128::from(fee) * 1_000_000, u128::from(amount));
        let lo = f.saturating_sub(500_000).div_ceil(a);
        let hi = ((f + 500_000 - 1) / a).min(u128::from(Self::MAX.0));
        if lo > hi {
            return None;
        }
        let lo = u32::try_from(lo).ok()?;
        let hi = u32::try_from(hi).ok()?;
        Some((Self(lo), Self(hi)))
    }
}

/// `0.60%`: at least two decimals, more when the rate has them.
impl fmt::Display for FeeRate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let whole = self.0 / 10_000;
        let frac = self.0 % 10_000;
        if frac.is_multiple_of(100) {
            write!(f, "{whole}.{:02}%", frac / 100)
        } else if frac.is_multiple_of(10) {
            write!(f, "{whole}.{:03}%", frac / 10)
        } else {
            write!(f, "{whole}.{frac:04}%")
        }
    }
}

/// What a merchant's contract says it pays on a transaction: a rate and, optionally, a cap
/// per transaction (debit cards are often priced "0.50 %, at most 20 yuan").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ContractRate {
    /// The rate.
    pub rate: FeeRate,
    /// The largest fee of one transaction, in fen, if capped.
    pub cap: Option<u64>,
}

impl ContractRate {
    /// A rate without a cap.
    pub const fn flat(rate: FeeRate) -> Self {
        Self { rate, cap: None }
    }

    /// The fee on `amount` fen: the rate's fee, rounded half up to the fen, at most the cap.
    pub const fn fee(self, amount: u64) -> u64 {
        let fee = self.rate.fee(amount);
        match self.cap {
            Some(cap) if cap < fee => cap,
            _ => fee,
        }
    }

    /// Whether the cap, not the rate, sets the fee on `amount`.
    pub const fn is_capped(self, amount: u64) -> bool {
        matches!(self.cap, Some(cap) if cap < self.rate.fee(amount))
    }
}

impl fmt::Display for ContractRate {
    /// `0.50%` or `0.50% capped at 20.00`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.rate)?;
        if let Some(cap) = self.cap {
            write!(f, " capped at {}", Fen::from_unsigned(cap))?;
        }
        Ok(())
    }
}

/// The contracted rates of a merchant by card type: one for any card, and one each for
/// debit and credit cards where they differ (a specific rate wins over the general one).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct RateTable {
    /// The rate of a card whose type has no rate of its own, or is not known.
    pub any: Option<ContractRate>,
    /// Debit cards.
    pub debit: Option<ContractRate>,
    /// Credit cards.
    pub credit: Option<ContractRate>,
}

impl RateTable {
    /// One rate for every card.
    pub const fn flat(rate: FeeRate) -> Self {
        Self {
            any: Some(ContractRate::flat(rate)),
            debit: None,
            credit: None,
        }
    }

    /// The rate of a card of this type (`None`: the type is not known), if the table has
    /// one.
    pub const fn for_card(&self, card: Option<CardType>) -> Option<ContractRate> {
        let specific = match card {
            Some(CardType::Debit) => self.debit,
            Some(CardType::Credit) => self.credit,
            None => None,
        };
        match specific {
            Some(rate) => Some(rate),
            None => self.any,
        }
    }

    /// The slot of a card type (`None`: the general rate), to fill the table.
    pub const fn slot(&mut self, card: Option<CardType>) -> &mut Option<ContractRate> {
        match card {
            Some(CardType::Debit) => &mut self.debit,
            Some(CardType::Credit) => &mut self.credit,
            None => &mut self.any,
        }
    }
}

impl fmt::Display for RateTable {
    /// `0.60%`, or `debit 0.50% capped at 20.00, credit 0.60%, other 0.60%`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let (Some(any), None, None) = (self.any, self.debit, self.credit) {
            return write!(f, "{any}");
        }
        let mut sep = "";
        for (name, rate) in [
            ("debit", self.debit),
            ("credit", self.credit),
            ("other", self.any),
        ] {
            if let Some(rate) = rate {
                write!(f, "{sep}{name} {rate}")?;
                sep = ", ";
            }
        }
        Ok(())
    }
}

/// The money of one business day of one merchant number as the statement books it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Booked {
    /// Statement rows.
    pub rows: u64,
    /// Their amounts (voids and refunds negative).
    pub gross: Fen,
    /// Their fees.
    pub fee: Fen,
}

impl Booked {
    /// What the merchant should be credited: the amounts less the fees.
    pub const fn net(&self) -> Fen {
        self.gross.saturating_sub(self.fee)
    }
}

/// What a settlement credit says: the gross amount, the fee withheld, the net credited.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Settled {
    /// The amount settled before fees.
    pub gross: Fen,
    /// The fees withheld.
    pub fee: Fen,
    /// What reached the merchant's account.
    pub net: Fen,
}

/// Digits with at most `places` decimals, scaled by 10^`places`.
fn parse_decimal(digits: &[u8], places: usize) -> Result<u64, Error> {
    let (whole, frac) = match digits.iter().position(|&b| b == b'.') {
        Some(dot) => digits.split_at(dot),
        None => (digits, &[][..]),
    };
    let bad = |i: usize| Error::new(ErrorKind::NotAnAmount, i);
    if whole.is_empty() {
        return Err(bad(0));
    }
    let frac = frac.get(1..).unwrap_or(&[]);
    if frac.len() > places {
        return Err(bad(whole.len() + 1 + places));
    }
    if digits.len() > whole.len() && frac.is_empty() {
        return Err(bad(whole.len()));
    }
    let mut value: u64 = 0;
    let zeros = [b'0'; 8];
    let padded = frac.iter().chain(zeros.iter()).take(places);
    for (i, &b) in whole.iter().chain(padded).enumerate() {
        if !b.is_ascii_digit() {
            let at = if i < whole.len() { i } else { i + 1 };
            return Err(bad(at));
        }
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(b - b'0')))
            .ok_or(Error::new(ErrorKind::OutOfRange, 0))?;
    }
    Ok(value)
}

fn shift(e: Error, by: usize) -> Error {
    Error::new(e.kind(), e.offset().saturating_add(by))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn fee_rounds_half_up_to_the_fen() {
        let r = FeeRate::from_bps(60);
        assert_eq!(r.fee(12_345), 74); // 74.07
        assert_eq!(r.fee(1_999), 12); // 11.994
        assert_eq!(r.fee(2_500), 15);
        assert_eq!(FeeRate::from_bps(38).fee(12_500), 48); // 47.5 → 48
        assert_eq!(FeeRate::from_bps(20).fee(250), 1); // 0.5 → 1
        assert_eq!(FeeRate::from_bps(20).fee(249), 0);
        assert_eq!(r.fee(1), 0);
        assert_eq!(FeeRate::MAX.fee(u64::MAX), u64::MAX);
        assert_eq!(FeeRate::from_bps(u16::MAX), FeeRate::MAX);
    }

    #[test]
    fn rates_parse_and_print_as_percent() {
        let p = |s: &str| FeeRate::parse_percent(s.as_bytes());
        assert_eq!(p("0.60"), Ok(FeeRate::from_bps(60)));
        assert_eq!(p("0.6"), Ok(FeeRate::from_bps(60)));
        assert_eq!(p("0.6%"), Ok(FeeRate::from_bps(60)));
        assert_eq!(p("1.25").map(FeeRate::millionths), Ok(12_500));
        assert_eq!(p("0.595").map(FeeRate::millionths), Ok(5_950));
        assert_eq!(p("100"), Ok(FeeRate::MAX));
        assert_eq!(
            p("100.01").map_err(|e| e.kind()),
            Err(ErrorKind::OutOfRange)
        );
        assert_eq!(
            p("0.60001").map_err(|e| e.kind()),
            Err(ErrorKind::NotAnAmount)
        );
        assert_eq!(p("x").map_err(|e| e.kind()), Err(ErrorKind::NotAnAmount));
        assert_eq!(p("").map_err(|e| e.kind()), Err(ErrorKind::NotAnAmount));
        assert_eq!(p("1.").map_err(|e| e.kind()), Err(ErrorKind::NotAnAmount));
        assert_eq!(FeeRate::from_bps(60).to_string(), "0.60%");
        assert_eq!(FeeRate::from_bps(78).to_string(), "0.78%");
        assert_eq!(p("0.595").map(|r| r.to_string()), Ok("0.595%".into()));
        assert_eq!(p("0.5955").map(|r| r.to_string()), Ok("0.5955%".into()));
        assert_eq!(FeeRate::MAX.to_string(), "100.00%");
    }

    #[test]
    fn effective_rate_of_a_fee() {
        assert_eq!(FeeRate::of(60, 10_000), Some(FeeRate::from_bps(60)));
        assert_eq!(FeeRate::of(78, 10_000), Some(FeeRate::from_bps(78)));
        assert_eq!(FeeRate::of(1, 0), None);
        assert_eq!(FeeRate::of(2, 1), None);
    }

    #[test]
    fn the_rates_a_fee_allows() {
        // 5.28 on 880.00 is exactly 0.60 %, and every rate that rounds to it.
        let (lo, hi) = FeeRate::range_giving(528, 88_000).unwrap_or_default();
        assert!(lo <= FeeRate::from_bps(60) && FeeRate::from_bps(60) <= hi);
        assert!(FeeRate::from_bps(78) > hi);
        for amount in [1u64, 7, 99, 250, 12_345, 88_000, 1_000_000, 123_456_789] {
            for millionths in [0u32, 1, 3_800, 6_000, 7_800, 12_500, 999_999, 1_000_000] {
                let rate = FeeRate(millionths);
                let fee = rate.fee(amount);
                let (lo, hi) = FeeRate::range_giving(fee, amount).unwrap_or_default();
                assert!(lo <= rate && rate <= hi, "{amount} {millionths}");
                assert_eq!(lo.fee(amount), fee, "{amount} {millionths}");
                assert_eq!(hi.fee(amount), fee, "{amount} {millionths}");
                if lo.0 > 0 {
                    assert_ne!(FeeRate(lo.0 - 1).fee(amount), fee);
                }
                if hi < FeeRate::MAX {
                    assert_ne!(FeeRate(hi.0 + 1).fee(amount), fee);
                }
            }
        }
        assert_eq!(FeeRate::range_giving(1, 0), None);
        assert_eq!(FeeRate::range_giving(3, 2), None);
    }

    #[test]
    fn contract_rates_cap_the_fee() {
        let debit = ContractRate {
            rate: FeeRate::from_bps(50),
            cap: Some(2_000),
        };
        assert_eq!(debit.fee(100_000), 500);
        assert_eq!(debit.fee(1_000_000), 2_000); // 50.00 capped at 20.00
        assert!(debit.is_capped(1_000_000));
        assert!(!debit.is_capped(400_000)); // exactly the cap
        assert_eq!(debit.to_string(), "0.50% capped at 20.00");
        let table = RateTable {
            debit: Some(debit),
            ..RateTable::flat(FeeRate::from_bps(60))
        };
        assert_eq!(table.for_card(Some(CardType::Debit)), Some(debit));
        assert_eq!(table.for_card(Some(CardType::Credit)), table.any);
        assert_eq!(table.for_card(None), table.any);
        assert_eq!(
            table.to_string(),
            "debit 0.50% capped at 20.00, other 0.60%"
        );
        assert_eq!(RateTable::flat(FeeRate::from_bps(60)).to_string(), "0.60%");
        assert_eq!(RateTable::default().for_card(None), None);
    }

    #[test]
    fn yuan_amounts() {
        let p = |s: &str| Fen::parse_yuan(s.as_bytes());
        assert_eq!(p("123.45"), Ok(Fen(12_345)));
        assert_eq!(p("123.4"), Ok(Fen(12_340)));
        assert_eq!(p("123"), Ok(Fen(12_300)));
        assert_eq!(p("-5.00"), Ok(Fen(-500)));
        assert_eq!(p("1.234").map_err(|e| e.offset()), Err(4));
        assert_eq!(p("-1.2x").map_err(|e| e.offset()), Err(4));
        assert_eq!(p("12.").map_err(|e| e.offset()), Err(2));
        assert_eq!(Fen(-500).to_string(), "-5.00");
        assert_eq!(Fen(5).to_string(), "0.05");
        assert_eq!(Fen(i64::MIN).to_string(), "-92233720368547758.08");
    }
}
