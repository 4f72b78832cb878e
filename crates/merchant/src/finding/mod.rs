//! What the rules report: a rule id, a severity and the evidence (the values compared).
//! The 跳码 rules of [`check`](crate::check), the terminal history and the statement audit
//! report on merchant numbers; the reconciliation reports on transactions and money.

use core::fmt;

use crate::merchant_no::MerchantId;

mod evidence;
mod fields;
mod rule;

pub use evidence::{Evidence, Expected, Shown};
pub use fields::FieldValue;
pub use rule::{Rule, Source};

/// How strongly a finding points at code jumping or at money gone astray.
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
    /// Every severity, the weakest first.
    pub const ALL: [Severity; 3] = [Self::Info, Self::Suspicious, Self::Definitive];

    /// The severity of an id (`info`, `suspicious`, `definitive`).
    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.id() == id)
    }

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
