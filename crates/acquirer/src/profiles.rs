//! What the configuration file names: terminal profiles (`[profiles.NAME]`, beside the
//! built-in `standard`, `legacy-ecb` and `sm4`) and the fee table (`[fees]`, by MCC or MCC range).
//! `terminal add --profile`, `merchant add` without a rate and `import` resolve against them.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use cardwire_merchant::FeeRate;

use crate::error::{Error, ErrorKind, Result};
use crate::registry::TerminalProfile;

/// Terminal profiles by name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Profiles {
    named: BTreeMap<String, TerminalProfile>,
}

impl Default for Profiles {
    /// The built-in profiles only.
    fn default() -> Self {
        let mut named = BTreeMap::new();
        named.insert(Self::STANDARD.into(), TerminalProfile::STANDARD);
        named.insert(Self::LEGACY_ECB.into(), TerminalProfile::LEGACY_ECB);
        named.insert(Self::SM4.into(), TerminalProfile::SM4);
        Self { named }
    }
}

impl Profiles {
    /// The name of [`TerminalProfile::STANDARD`], the profile of new terminals.
    pub const STANDARD: &'static str = "standard";
    /// The name of [`TerminalProfile::LEGACY_ECB`].
    pub const LEGACY_ECB: &'static str = "legacy-ecb";
    /// The name of [`TerminalProfile::SM4`].
    pub const SM4: &'static str = "sm4";

    /// Adds the profile `name`.
    ///
    /// # Errors
    /// [`ErrorKind::Config`] when the name is taken (the built-in names always are) or empty.
    pub fn add(&mut self, name: &str, profile: TerminalProfile) -> Result<()> {
        if name.is_empty() || self.named.contains_key(name) {
            return Err(Error::new(ErrorKind::Config)
                .during("adding a terminal profile (its name is empty or taken)")
                .about(alloc::format!("profiles.{name}")));
        }
        self.named.insert(name.into(), profile);
        Ok(())
    }

    /// The profile `name`.
    ///
    /// # Errors
    /// [`ErrorKind::Config`] for a name no profile has (the known names are listed).
    pub fn get(&self, name: &str) -> Result<TerminalProfile> {
        self.named.get(name).copied().ok_or_else(|| {
            let known: Vec<&str> = self.named.keys().map(String::as_str).collect();
            Error::new(ErrorKind::Config)
                .during("resolving a terminal profile")
                .about(alloc::format!(
                    "no profile {name:?} (known: {})",
                    known.join(", ")
                ))
        })
    }

    /// The names, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.named.keys().map(String::as_str)
    }
}

/// Fee rates by merchant category: MCCs and MCC ranges that do not overlap, and the rate of
/// every other MCC.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeeTable {
    /// (first MCC, last MCC, rate, the key as written), sorted by first MCC.
    ranges: Vec<(u16, u16, FeeRate, String)>,
    default: FeeRate,
}

impl Default for FeeTable {
    /// No ranges; every MCC at [`FeeTable::DEFAULT_BPS`].
    fn default() -> Self {
        Self {
            ranges: Vec::new(),
            default: FeeRate::from_bps(Self::DEFAULT_BPS),
        }
    }
}

/// An MCC: 4 digits.
fn mcc(text: &str) -> Option<u16> {
    if text.len() == 4 && text.bytes().all(|b| b.is_ascii_digit()) {
        text.parse().ok()
    } else {
        None
    }
}

/// A rate in basis points, at most 100 %.
fn rate(bps: u16, at: &str) -> Result<FeeRate> {
    if bps > 10_000 {
        return Err(Error::new(ErrorKind::Config)
            .during("reading a fee rate (basis points, at most 10000)")
            .about(at));
    }
    Ok(FeeRate::from_bps(bps))
}

impl FeeTable {
    /// The rate of an MCC the table does not name, without `default_fee_bps`: 0.60 %.
    pub const DEFAULT_BPS: u16 = 60;

    /// A table with no ranges and this rate for every MCC.
    ///
    /// # Errors
    /// [`ErrorKind::Config`] above 10 000 bps.
    pub fn with_default(bps: u16) -> Result<Self> {
        Ok(Self {
            ranges: Vec::new(),
            default: rate(bps, "default_fee_bps")?,
        })
    }

    /// Adds the rate of `key`: one MCC (`"5812"`) or a range (`"5411-5499"`, both ends in).
    ///
    /// # Errors
    /// [`ErrorKind::Config`] naming the key: not an MCC or range, a rate above 10 000 bps, or
    /// a range that overlaps one already in the table (both named).
    pub fn add(&mut self, key: &str, bps: u16) -> Result<()> {
        let at = || alloc::format!("fees.\"{key}\"");
        let (first, last) = match key.split_once('-') {
            Some((a, b)) => (mcc(a), mcc(b)),
            None => (mcc(key), mcc(key)),
        };
        let (Some(first), Some(last)) = (first, last) else {
            return Err(Error::new(ErrorKind::Config)
                .during("reading the fee table (an MCC, 4 digits, or a range MCC-MCC)")
                .about(at()));
        };
        if first > last {
            return Err(Error::new(ErrorKind::Config)
                .during("reading the fee table (a range runs from the lower MCC)")
                .about(at()));
        }
        let r = rate(bps, &at())?;
        if let Some((_, _, _, other)) = self
            .ranges
            .iter()
            .find(|(a, b, _, _)| first <= *b && *a <= last)
        {
            return Err(Error::new(ErrorKind::Config)
                .during("reading the fee table (ranges overlap)")
                .about(alloc::format!("{} and fees.\"{other}\"", at())));
        }
        let at_index = self.ranges.partition_point(|(a, _, _, _)| *a < first);
        self.ranges.insert(at_index, (first, last, r, key.into()));
        Ok(())
    }

    /// The rate of a merchant of this MCC.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] for an MCC that is not 4 digits.
    pub fn rate_for(&self, mcc_text: &str) -> Result<FeeRate> {
        let code = mcc(mcc_text).ok_or_else(|| {
            Error::new(ErrorKind::InvalidInput)
                .during("finding the fee rate of an MCC (4 digits)")
                .about(mcc_text)
        })?;
        Ok(self
            .ranges
            .iter()
            .find(|(a, b, _, _)| (*a..=*b).contains(&code))
            .map_or(self.default, |(_, _, r, _)| *r))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn mccs_and_ranges_find_their_rate_and_overlaps_are_refused() {
        let mut t = FeeTable::with_default(60).unwrap();
        t.add("5812", 38).unwrap();
        t.add("5411-5499", 25).unwrap();
        assert_eq!(t.rate_for("5812").unwrap(), FeeRate::from_bps(38));
        assert_eq!(t.rate_for("5411").unwrap(), FeeRate::from_bps(25));
        assert_eq!(t.rate_for("5499").unwrap(), FeeRate::from_bps(25));
        assert_eq!(t.rate_for("5500").unwrap(), FeeRate::from_bps(60));
        assert!(t.rate_for("58x2").is_err());
        let e = t.add("5400-5420", 10).unwrap_err();
        assert!(alloc::format!("{e}").contains("5411-5499"), "{e}");
        for bad in ["581", "5812-", "5499-5411", "abcd"] {
            assert!(t.add(bad, 10).is_err(), "{bad}");
        }
        assert!(t.add("7011", 10_001).is_err());
    }

    #[test]
    fn the_built_in_profiles_are_always_there_and_unknown_names_are_listed() {
        let mut p = Profiles::default();
        assert_eq!(p.get("standard").unwrap(), TerminalProfile::STANDARD);
        assert_eq!(p.get("legacy-ecb").unwrap(), TerminalProfile::LEGACY_ECB);
        assert_eq!(p.get("sm4").unwrap(), TerminalProfile::SM4);
        assert!(p.add("standard", TerminalProfile::LEGACY_ECB).is_err());
        p.add("bank-a", TerminalProfile::LEGACY_ECB).unwrap();
        let e = p.get("bank-b").unwrap_err();
        assert!(
            alloc::format!("{e}").contains("bank-a, legacy-ecb, sm4, standard"),
            "{e}"
        );
    }
}
