//! Issuer and pricing policy the rules consult: which MCCs earn no reward points and which
//! settle in the preferential tier. Both are data the caller can replace; the defaults are an
//! example issuer's list and an unverified list (see `data/ORIGINS.md`).

use crate::error::{Error, ErrorKind};
use crate::mcc::{FeeTier, Mcc};
use crate::tables;

/// The lists the `no-points-category` and `cheaper-tier` rules use. Lists are ascending MCC
/// numbers without duplicates (checked by [`Policy::new`]) so lookups are binary searches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy<'a> {
    no_points: &'a [u16],
    preferential: &'a [u16],
}

impl Policy<'static> {
    /// The shipped defaults: one issuer's published no-points list (an **example**, not a
    /// rule of any scheme) and the **unverified** preferential list.
    pub const DEFAULT: Policy<'static> = Policy {
        no_points: &tables::NO_POINTS_EXAMPLE,
        preferential: &tables::PREFERENTIAL_UNVERIFIED,
    };
}

impl Default for Policy<'static> {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl<'a> Policy<'a> {
    /// A policy from the caller's lists; each must be ascending, without duplicates, and hold
    /// codes 0–9999. The error's offset is the index of the first bad entry.
    pub fn new(no_points: &'a [u16], preferential: &'a [u16]) -> Result<Self, Error> {
        check_sorted(no_points)?;
        check_sorted(preferential)?;
        Ok(Self {
            no_points,
            preferential,
        })
    }

    /// The same policy with another no-points list.
    pub fn with_no_points(self, no_points: &'a [u16]) -> Result<Self, Error> {
        Self::new(no_points, self.preferential)
    }

    /// The same policy with another preferential list.
    pub fn with_preferential(self, preferential: &'a [u16]) -> Result<Self, Error> {
        Self::new(self.no_points, preferential)
    }

    /// The no-points list.
    pub const fn no_points(&self) -> &'a [u16] {
        self.no_points
    }

    /// The preferential list.
    pub const fn preferential(&self) -> &'a [u16] {
        self.preferential
    }

    /// Whether spending under `mcc` earns no reward points under this policy.
    pub fn earns_no_points(&self, mcc: Mcc) -> bool {
        self.no_points.binary_search(&mcc.get()).is_ok()
    }

    /// The fee tier of `mcc`: exempt and government from the UnionPay-side lists (facts, not
    /// policy), preferential from this policy's list, else standard.
    pub fn fee_tier(&self, mcc: Mcc) -> FeeTier {
        let code = mcc.get();
        if tables::EXEMPT.binary_search(&code).is_ok() {
            FeeTier::Exempt
        } else if tables::GOVERNMENT.binary_search(&code).is_ok() {
            FeeTier::Government
        } else if self.preferential.binary_search(&code).is_ok() {
            FeeTier::Preferential
        } else {
            FeeTier::Standard
        }
    }
}

fn check_sorted(list: &[u16]) -> Result<(), Error> {
    if let Some(i) = list.iter().position(|&c| c > 9999) {
        return Err(Error::new(ErrorKind::OutOfRange, i));
    }
    match list.windows(2).position(|w| matches!(w, [a, b] if a >= b)) {
        Some(i) => Err(Error::new(ErrorKind::Unsorted, i.saturating_add(1))),
        None => Ok(()),
    }
}
