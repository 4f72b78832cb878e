//! What the terminal shows before the cardholder confirms: the amount, the merchant's fee at
//! its rate, and what the card is charged.

use core::fmt;

/// An amount in fen (1/100 yuan), displayed as yuan with two decimals.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Fen(pub u64);

impl fmt::Display for Fen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

/// The fee of `amount` fen at `rate_bps` basis points (1/100 of a percent), rounded half up
/// to the fen: 0.60 % of 123.45 yuan is 0.74 yuan. The acquirer charges the merchant this;
/// the host of this crate computes it the same way.
pub fn fee(amount: u64, rate_bps: u16) -> u64 {
    let scaled = u128::from(amount) * u128::from(rate_bps);
    u64::try_from((scaled + 5_000) / 10_000).unwrap_or(u64::MAX)
}

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
    /// The quote of `amount` fen at the merchant's `rate_bps`.
    pub fn new(amount: u64, rate_bps: u16) -> Self {
        Self {
            amount,
            fee: fee(amount, rate_bps),
            total: amount,
        }
    }

    /// What the merchant receives after the fee, in fen.
    pub const fn net(&self) -> u64 {
        self.total.saturating_sub(self.fee)
    }
}

impl fmt::Display for Quote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "amount RMB {}  fee RMB {} (merchant)  card charged RMB {}  merchant receives RMB {}",
            Fen(self.amount),
            Fen(self.fee),
            Fen(self.total),
            Fen(self.net())
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn fee_rounds_half_up() {
        assert_eq!(fee(12_345, 60), 74);
        assert_eq!(fee(10_000, 60), 60);
        assert_eq!(fee(250, 20), 1); // 0.5 fen rounds up
        assert_eq!(fee(249, 20), 0);
        assert_eq!(fee(u64::MAX, 10_000), u64::MAX);
        let q = Quote::new(12_345, 60);
        assert_eq!(
            (q.amount, q.fee, q.total, q.net()),
            (12_345, 74, 12_345, 12_271)
        );
        assert_eq!(
            q.to_string(),
            "amount RMB 123.45  fee RMB 0.74 (merchant)  card charged RMB 123.45  merchant receives RMB 122.71"
        );
        assert_eq!(Fen(5).to_string(), "0.05");
    }
}
