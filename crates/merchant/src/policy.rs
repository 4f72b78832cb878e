//! Issuer and pricing policy the rules consult: which MCCs earn no reward points and which
//! settle in the preferential tier. Both are data the caller can replace; the defaults are an
//! example issuer's list and an unverified list (see `data/ORIGINS.md`).

use crate::error::{Error, ErrorKind};
use crate::mcc::{FeeTier, Mcc};
use crate::tables;

/// 64-bit words for one bit per MCC 0000–9999.
const WORDS: usize = 157;

/// A set of MCCs: one bit per code (1.25 KB), so membership is one load, whatever the size of
/// the list.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct McSet {
    words: [u64; WORDS],
}

impl McSet {
    /// The empty set.
    pub const EMPTY: McSet = McSet { words: [0; WORDS] };

    pub(crate) const fn from_words(words: [u64; WORDS]) -> Self {
        Self { words }
    }

    /// The set of `codes` (in any order, duplicates allowed); the error's offset is the index
    /// of the first code above 9999.
    pub fn from_codes(codes: &[u16]) -> Result<Self, Error> {
        let mut set = Self::EMPTY;
        for (i, &code) in codes.iter().enumerate() {
            let mcc = Mcc::new(code).ok_or(Error::new(ErrorKind::OutOfRange, i))?;
            set.insert(mcc);
        }
        Ok(set)
    }

    /// Adds a code.
    pub fn insert(&mut self, mcc: Mcc) {
        let code = mcc.get();
        if let Some(word) = self.words.get_mut(usize::from(code / 64)) {
            *word |= 1 << (code % 64);
        }
    }

    /// Whether the set holds `mcc`.
    #[inline]
    pub fn contains(&self, mcc: Mcc) -> bool {
        let code = mcc.get();
        self.words
            .get(usize::from(code / 64))
            .is_some_and(|w| w & (1 << (code % 64)) != 0)
    }

    /// The codes, ascending.
    pub fn iter(&self) -> impl Iterator<Item = Mcc> + '_ {
        (0..=9999)
            .filter_map(Mcc::new)
            .filter(|m| self.contains(*m))
    }

    /// Number of codes.
    pub fn len(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// No code.
    pub fn is_empty(&self) -> bool {
        self.words.iter().all(|&w| w == 0)
    }
}

impl core::fmt::Debug for McSet {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_set().entries(self.iter().map(Mcc::get)).finish()
    }
}

/// The lists the `no-points-category` and `cheaper-tier` rules use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    no_points: McSet,
    preferential: McSet,
}

impl Policy {
    /// The shipped defaults: one issuer's published no-points list (an **example**, not a
    /// rule of any scheme) and the **unverified** preferential list.
    pub const DEFAULT: Policy = Policy {
        no_points: tables::NO_POINTS_EXAMPLE,
        preferential: tables::PREFERENTIAL_UNVERIFIED,
    };

    /// A policy from the caller's lists of MCC numbers (any order); the error's offset is the
    /// index of the first code above 9999.
    pub fn new(no_points: &[u16], preferential: &[u16]) -> Result<Self, Error> {
        Ok(Self {
            no_points: McSet::from_codes(no_points)?,
            preferential: McSet::from_codes(preferential)?,
        })
    }

    /// The same policy with another no-points list.
    pub fn with_no_points(self, no_points: &[u16]) -> Result<Self, Error> {
        Ok(Self {
            no_points: McSet::from_codes(no_points)?,
            ..self
        })
    }

    /// The same policy with another preferential list.
    pub fn with_preferential(self, preferential: &[u16]) -> Result<Self, Error> {
        Ok(Self {
            preferential: McSet::from_codes(preferential)?,
            ..self
        })
    }

    /// The no-points list.
    pub const fn no_points(&self) -> &McSet {
        &self.no_points
    }

    /// The preferential list.
    pub const fn preferential(&self) -> &McSet {
        &self.preferential
    }

    /// Whether spending under `mcc` earns no reward points under this policy.
    #[inline]
    pub fn earns_no_points(&self, mcc: Mcc) -> bool {
        self.no_points.contains(mcc)
    }

    /// The fee tier of `mcc`: exempt and government from the UnionPay-side lists (facts, not
    /// policy), preferential from this policy's list, else standard.
    #[inline]
    pub fn fee_tier(&self, mcc: Mcc) -> FeeTier {
        match mcc.data_fee_tier() {
            FeeTier::Standard if self.preferential.contains(mcc) => FeeTier::Preferential,
            tier => tier,
        }
    }
}

impl Default for Policy {
    fn default() -> Self {
        Self::DEFAULT
    }
}
