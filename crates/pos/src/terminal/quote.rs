//! What the terminal shows before the cardholder confirms: the amount, the merchant's fee at
//! its rate, and what the card is charged. The fee is cardwire-merchant's [`FeeRate::fee`],
//! the rule the acquirer's posting and the reconciliation use too.

use core::fmt;

use cardwire_merchant::{FeeRate, Fen};

/// The amount, fee and total shown for confirmation.
///
/// The merchant bears the fee (the acquirer deducts it when settling), so the card is
/// charged `total` = `amount` and the merchant receives [`Quote::net`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quote {
    /// The amount keyed in, in fen: field 4.
    pub amount: u64,
    /// The merchant's fee at its rate, in fen.
    pub fee: u64,
    /// What the card is charged, in fen.
    pub total: u64,
}

impl Quote {
    /// The quote of `amount` fen at the merchant's `rate`.
    pub fn new(amount: u64, rate: FeeRate) -> Self {
        Self {
            amount,
            fee: rate.fee(amount),
            total: amount,
        }
    }

    /// What the merchant receives after the fee, in fen.
    pub const fn net(&self) -> u64 {
        self.total.saturating_sub(self.fee)
    }
}

/// `fen` as yuan; an amount beyond what yuan can show (above 9.2 × 10^16 yuan) is a
/// formatting error rather than a wrong figure.
pub(crate) fn yuan(fen: u64) -> Result<Fen, fmt::Error> {
    i64::try_from(fen).map(Fen).map_err(|_| fmt::Error)
}

impl fmt::Display for Quote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "amount RMB {}  fee RMB {} (merchant)  card charged RMB {}  merchant receives RMB {}",
            yuan(self.amount)?,
            yuan(self.fee)?,
            yuan(self.total)?,
            yuan(self.net())?
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn quote_shows_the_fee_rounded_half_up() {
        let rate = FeeRate::from_bps(60);
        let q = Quote::new(12_345, rate);
        assert_eq!(
            (q.amount, q.fee, q.total, q.net()),
            (12_345, 74, 12_345, 12_271)
        );
        assert_eq!(
            q.to_string(),
            "amount RMB 123.45  fee RMB 0.74 (merchant)  card charged RMB 123.45  merchant receives RMB 122.71"
        );
        assert_eq!(Quote::new(10_000, rate).fee, 60);
        assert_eq!(Quote::new(250, FeeRate::from_bps(20)).fee, 1); // 0.5 fen rounds up
        assert_eq!(Quote::new(249, FeeRate::from_bps(20)).fee, 0);
        assert_eq!(Quote::new(u64::MAX, FeeRate::MAX).fee, u64::MAX);
        assert_eq!(yuan(5).unwrap().to_string(), "0.05");
        assert!(yuan(u64::MAX).is_err());
    }
}
