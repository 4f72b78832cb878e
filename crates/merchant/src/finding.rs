//! What the 跳码 rules report: a rule id, a severity and the evidence (the values compared).

use core::fmt;

use crate::error::Error;
use crate::mcc::{FeeTier, Mcc, MccGroup};
use crate::merchant_no::{MerchantId, TerminalId};
use crate::region::Region;

/// How strongly a finding points at code jumping.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Worth knowing (a no-points category, an MCC missing from the lists, an ambiguous region).
    Info,
    /// A pattern code jumping produces, with innocent explanations possible.
    Suspicious,
    /// Two records of the same transaction disagree: something rewrote the merchant data.
    Definitive,
}

impl Severity {
    /// `info`, `suspicious` or `definitive`.
    pub const fn id(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Suspicious => "suspicious",
            Self::Definitive => "definitive",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// The rules, by their stable ids.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    /// `slip-network-mismatch`: the slip's merchant number differs from the network record's.
    SlipNetworkMismatch,
    /// `inconsistent-fields`: field 18 / field 42 MCC / 9F15, field 42 / 9F16 or field 41 /
    /// 9F1C disagree within one transaction.
    InconsistentFields,
    /// `mcc-not-expected`: the MCC is not the code or business group the cardholder expects.
    MccNotExpected,
    /// `region-mismatch`: the region code is not where the merchant is.
    RegionMismatch,
    /// `cheaper-tier`: the MCC settles in a cheaper fee tier than the expected business.
    CheaperTier,
    /// `no-points-category`: the policy lists the MCC as earning no reward points.
    NoPointsCategory,
    /// `reserved-mcc`: the MCC is in an ISO 18245 reserved block.
    ReservedMcc,
    /// `unknown-mcc`: no embedded list carries the MCC.
    UnknownMcc,
    /// `malformed-merchant-no`: not a 15-character UnionPay merchant number.
    MalformedMerchantNo,
    /// `terminal-merchant-changed`: a terminal shows another merchant number than before.
    TerminalMerchantChanged,
    /// `many-merchants-per-terminal`: a terminal has shown more merchant numbers than the
    /// threshold.
    ManyMerchantsPerTerminal,
    /// `mcc-drift`: a terminal's MCC changes between transactions.
    MccDrift,
    /// `region-drift`: a terminal's region code changes between transactions.
    RegionDrift,
}

impl Rule {
    /// Every rule.
    pub const ALL: [Rule; 13] = [
        Self::SlipNetworkMismatch,
        Self::InconsistentFields,
        Self::MccNotExpected,
        Self::RegionMismatch,
        Self::CheaperTier,
        Self::NoPointsCategory,
        Self::ReservedMcc,
        Self::UnknownMcc,
        Self::MalformedMerchantNo,
        Self::TerminalMerchantChanged,
        Self::ManyMerchantsPerTerminal,
        Self::MccDrift,
        Self::RegionDrift,
    ];

    /// The stable id (`slip-network-mismatch`, …).
    pub const fn id(self) -> &'static str {
        match self {
            Self::SlipNetworkMismatch => "slip-network-mismatch",
            Self::InconsistentFields => "inconsistent-fields",
            Self::MccNotExpected => "mcc-not-expected",
            Self::RegionMismatch => "region-mismatch",
            Self::CheaperTier => "cheaper-tier",
            Self::NoPointsCategory => "no-points-category",
            Self::ReservedMcc => "reserved-mcc",
            Self::UnknownMcc => "unknown-mcc",
            Self::MalformedMerchantNo => "malformed-merchant-no",
            Self::TerminalMerchantChanged => "terminal-merchant-changed",
            Self::ManyMerchantsPerTerminal => "many-merchants-per-terminal",
            Self::MccDrift => "mcc-drift",
            Self::RegionDrift => "region-drift",
        }
    }

    /// The severity the rule reports (region-mismatch drops to info when the region code is
    /// ambiguous).
    pub const fn severity(self) -> Severity {
        match self {
            Self::SlipNetworkMismatch | Self::InconsistentFields => Severity::Definitive,
            Self::NoPointsCategory | Self::UnknownMcc => Severity::Info,
            _ => Severity::Suspicious,
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// Where a value was read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Source {
    /// ISO 8583 field 18 (merchant type).
    Field18,
    /// ISO 8583 field 41 (terminal id).
    Field41,
    /// ISO 8583 field 42 (merchant number).
    Field42,
    /// EMV tag 9F15 (merchant category code).
    Tag9F15,
    /// EMV tag 9F16 (merchant identifier).
    Tag9F16,
    /// EMV tag 9F1C (terminal identification).
    Tag9F1C,
    /// The printed slip (签购单) the cardholder holds.
    Slip,
    /// What the network or issuer reports (云闪付, 95516, the bank app).
    Network,
    /// The `mcc` column of a statement.
    StatementMcc,
    /// The `merchant_no` column of a statement.
    StatementMerchantNo,
}

impl Source {
    /// Short words for messages.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Field18 => "field 18",
            Self::Field41 => "field 41",
            Self::Field42 => "field 42",
            Self::Tag9F15 => "tag 9F15",
            Self::Tag9F16 => "tag 9F16",
            Self::Tag9F1C => "tag 9F1C",
            Self::Slip => "the slip",
            Self::Network => "the network record",
            Self::StatementMcc => "the statement's mcc column",
            Self::StatementMerchantNo => "the statement's merchant number",
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a code or group was expected to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Expected {
    /// A specific MCC.
    Mcc(Mcc),
    /// A business group.
    Group(MccGroup),
}

/// The values a finding rests on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Evidence {
    /// Two merchant numbers that should be equal.
    MerchantNos {
        /// First source.
        a: Source,
        /// Its value.
        a_value: MerchantId,
        /// Second source.
        b: Source,
        /// Its value.
        b_value: MerchantId,
    },
    /// Two MCCs that should be equal.
    Mccs {
        /// First source.
        a: Source,
        /// Its value.
        a_value: Mcc,
        /// Second source.
        b: Source,
        /// Its value.
        b_value: Mcc,
    },
    /// Two terminal ids that should be equal.
    TerminalIds {
        /// First source.
        a: Source,
        /// Its value.
        a_value: TerminalId,
        /// Second source.
        b: Source,
        /// Its value.
        b_value: TerminalId,
    },
    /// An MCC that is not what was expected.
    UnexpectedMcc {
        /// The MCC found.
        got: Mcc,
        /// Its business group.
        got_group: MccGroup,
        /// What was expected.
        expected: Expected,
    },
    /// A region code outside the expected region.
    Region {
        /// The region code found.
        got: Region,
        /// The expected region code.
        expected: Region,
        /// Some reading of either code is in both schemes: the comparison is soft.
        ambiguous: bool,
    },
    /// An MCC in a cheaper fee tier than the expected business.
    Tier {
        /// The MCC found.
        mcc: Mcc,
        /// Its tier.
        got: FeeTier,
        /// The expected business's tier.
        expected: FeeTier,
    },
    /// An MCC (no-points, reserved, unknown).
    Mcc(Mcc),
    /// A merchant number that does not parse.
    Malformed {
        /// Where it was read.
        source: Source,
        /// The value (its first bytes).
        value: Shown,
        /// Why it does not parse.
        error: Error,
    },
    /// A terminal that showed another merchant number.
    MerchantChanged {
        /// The terminal.
        terminal: TerminalId,
        /// Its merchant number before.
        before: MerchantId,
        /// Its merchant number now.
        after: MerchantId,
    },
    /// A terminal with many merchant numbers.
    ManyMerchants {
        /// The terminal.
        terminal: TerminalId,
        /// Distinct merchant numbers seen (saturates at the history's capacity).
        count: usize,
        /// The threshold passed.
        threshold: usize,
    },
    /// A terminal whose MCC changed.
    MccDrift {
        /// The terminal.
        terminal: TerminalId,
        /// MCC before.
        before: Mcc,
        /// MCC now.
        after: Mcc,
    },
    /// A terminal whose region code changed.
    RegionDrift {
        /// The terminal.
        terminal: TerminalId,
        /// Region before.
        before: Region,
        /// Region now.
        after: Region,
    },
}

/// The first bytes of a value that could not be parsed, kept for the evidence without
/// allocation. `Display` shows printable ASCII, `?` for other bytes and `…` when cut.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Shown {
    bytes: [u8; Shown::CAPACITY],
    len: u8,
    cut: bool,
}

impl Shown {
    /// Bytes kept.
    pub const CAPACITY: usize = 20;

    /// Keeps the first [`Shown::CAPACITY`] bytes of `value`.
    pub fn new(value: &[u8]) -> Self {
        let mut bytes = [0u8; Self::CAPACITY];
        let mut len = 0u8;
        for (dst, src) in bytes.iter_mut().zip(value) {
            *dst = *src;
            len = len.saturating_add(1);
        }
        Self {
            bytes,
            len,
            cut: value.len() > Self::CAPACITY,
        }
    }

    /// The bytes kept.
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..usize::from(self.len)).unwrap_or(&[])
    }
}

impl fmt::Display for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for &b in self.as_bytes() {
            let c = if (b' '..=b'~').contains(&b) {
                char::from(b)
            } else {
                '?'
            };
            write!(f, "{c}")?;
        }
        if self.cut {
            f.write_str("…")?;
        }
        Ok(())
    }
}

/// One finding: a rule, its severity and the evidence.
///
/// `Display` writes the detail: the evidence in words, plus the statement line and the number
/// of occurrences when the statement audit aggregated it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Finding {
    rule: Rule,
    severity: Severity,
    evidence: Evidence,
    merchant: Option<MerchantId>,
    first_line: Option<u64>,
    occurrences: u64,
}

impl Finding {
    /// A finding with the rule's severity.
    pub const fn new(rule: Rule, evidence: Evidence) -> Self {
        Self {
            rule,
            severity: rule.severity(),
            evidence,
            merchant: None,
            first_line: None,
            occurrences: 1,
        }
    }

    /// The same finding, about a given merchant number (the statement audit names the
    /// merchant number each of its findings concerns).
    #[must_use]
    pub const fn for_merchant(mut self, merchant: MerchantId) -> Self {
        self.merchant = Some(merchant);
        self
    }

    /// The same finding with another severity.
    #[must_use]
    pub const fn with_severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    /// The same finding, located on a statement line and seen `occurrences` times.
    #[must_use]
    pub const fn at(mut self, first_line: u64, occurrences: u64) -> Self {
        self.first_line = Some(first_line);
        self.occurrences = occurrences;
        self
    }

    /// The rule.
    pub const fn rule(&self) -> Rule {
        self.rule
    }

    /// The severity.
    pub const fn severity(&self) -> Severity {
        self.severity
    }

    /// The evidence.
    pub const fn evidence(&self) -> &Evidence {
        &self.evidence
    }

    /// The merchant number the finding concerns, when it is not evident from the context.
    pub const fn merchant(&self) -> Option<MerchantId> {
        self.merchant
    }

    /// The first statement line where it was seen (statement audit only).
    pub const fn first_line(&self) -> Option<u64> {
        self.first_line
    }

    /// How many times it was seen (1 outside the statement audit).
    pub const fn occurrences(&self) -> u64 {
        self.occurrences
    }
}

impl fmt::Display for Evidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MerchantNos {
                a,
                a_value,
                b,
                b_value,
            } => write!(f, "{a} shows {a_value} but {b} shows {b_value}"),
            Self::Mccs {
                a,
                a_value,
                b,
                b_value,
            } => write!(f, "{a} says MCC {a_value} but {b} says {b_value}"),
            Self::TerminalIds {
                a,
                a_value,
                b,
                b_value,
            } => write!(f, "{a} says terminal {a_value} but {b} says {b_value}"),
            Self::UnexpectedMcc {
                got,
                got_group,
                expected,
            } => match expected {
                Expected::Mcc(e) => write!(f, "MCC {got} ({got_group}) where {e} was expected"),
                Expected::Group(g) => {
                    write!(
                        f,
                        "MCC {got} ({got_group}) where a {g} business was expected"
                    )
                }
            },
            Self::Region {
                got,
                expected,
                ambiguous,
            } => {
                write!(
                    f,
                    "region {got} is not in the province of the expected region {expected}"
                )?;
                if *ambiguous {
                    f.write_str(" (a code reads under both UnionPay and GB/T 2260 schemes)")?;
                }
                Ok(())
            }
            Self::Tier { mcc, got, expected } => write!(
                f,
                "MCC {mcc} settles in the {got} fee tier; the expected business is {expected}"
            ),
            Self::Mcc(mcc) => write!(f, "MCC {mcc}"),
            Self::Malformed {
                source,
                value,
                error,
            } => write!(
                f,
                "{source} shows \"{value}\", not a UnionPay merchant number: {error}"
            ),
            Self::MerchantChanged {
                terminal,
                before,
                after,
            } => write!(f, "terminal {terminal} showed {before}, then {after}"),
            Self::ManyMerchants {
                terminal,
                count,
                threshold,
            } => write!(
                f,
                "terminal {terminal} has shown {count} merchant numbers, more than {threshold}"
            ),
            Self::MccDrift {
                terminal,
                before,
                after,
            } => write!(
                f,
                "terminal {terminal} settled under MCC {before}, then {after}"
            ),
            Self::RegionDrift {
                terminal,
                before,
                after,
            } => write!(
                f,
                "terminal {terminal} settled in region {before}, then {after}"
            ),
        }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(m) = self.merchant {
            write!(f, "{m}: ")?;
        }
        match (self.rule, &self.evidence) {
            (Rule::NoPointsCategory, Evidence::Mcc(m)) => {
                write!(f, "MCC {m} is on the policy's no-points list")?;
            }
            (Rule::ReservedMcc, Evidence::Mcc(m)) => {
                write!(
                    f,
                    "MCC {m} lies in the reserved ISO 18245 block {}",
                    m.iso_range()
                )?;
            }
            (Rule::UnknownMcc, Evidence::Mcc(m)) => {
                write!(f, "MCC {m} is on none of the embedded MCC lists")?;
            }
            (_, e) => write!(f, "{e}")?,
        }
        if let Some(line) = self.first_line {
            write!(f, " (line {line}")?;
            if self.occurrences > 1 {
                write!(f, ", {} rows", self.occurrences)?;
            }
            f.write_str(")")?;
        }
        Ok(())
    }
}

/// A fixed-capacity list of findings (no allocation), as [`check`](crate::check) returns it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Findings {
    items: [Option<Finding>; Findings::CAPACITY],
    len: usize,
    overflow: usize,
}

impl Default for Findings {
    fn default() -> Self {
        Self::new()
    }
}

impl Findings {
    /// More than one [`check`](crate::check) can produce (at most 15), so nothing is lost.
    pub const CAPACITY: usize = 16;

    /// An empty list.
    #[inline]
    pub const fn new() -> Self {
        Self {
            items: [None; Self::CAPACITY],
            len: 0,
            overflow: 0,
        }
    }

    /// Appends a finding; past the capacity it is counted in [`Findings::overflow`] instead.
    #[inline]
    pub fn push(&mut self, finding: Finding) {
        match self.items.get_mut(self.len) {
            Some(slot) => {
                *slot = Some(finding);
                self.len += 1;
            }
            None => self.overflow = self.overflow.saturating_add(1),
        }
    }

    /// Number of findings held.
    pub const fn len(&self) -> usize {
        self.len
    }

    /// No findings.
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Findings that did not fit (never for [`check`](crate::check), whose maximum is below
    /// the capacity).
    pub const fn overflow(&self) -> usize {
        self.overflow
    }

    /// The findings, in the order they were found.
    pub fn iter(&self) -> impl Iterator<Item = &Finding> {
        self.items.iter().flatten()
    }

    /// Whether some finding has this rule.
    pub fn contains(&self, rule: Rule) -> bool {
        self.iter().any(|f| f.rule == rule)
    }

    /// The most severe finding's severity.
    pub fn max_severity(&self) -> Option<Severity> {
        self.iter().map(|f| f.severity).max()
    }
}

impl<'a> IntoIterator for &'a Findings {
    type Item = &'a Finding;
    type IntoIter = core::iter::Flatten<core::slice::Iter<'a, Option<Finding>>>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.iter().flatten()
    }
}

impl Extend<Finding> for Findings {
    fn extend<T: IntoIterator<Item = Finding>>(&mut self, iter: T) {
        iter.into_iter().for_each(|f| self.push(f));
    }
}
