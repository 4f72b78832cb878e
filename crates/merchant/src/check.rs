//! The per-transaction 跳码 rules: what one transaction's records say, against each other and
//! against what the cardholder expects.

use crate::finding::{Evidence, Expected, Finding, Findings, Rule, Severity, Shown, Source};
use crate::mcc::{Mcc, MccGroup};
use crate::merchant_no::{MerchantNo, TerminalId};
use crate::policy::Policy;
use crate::region::Region;

/// One transaction as seen from any subset of its records. Merchant numbers are raw bytes so
/// that a malformed one becomes a finding; fill in what you have and leave the rest `None`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Observation<'a> {
    /// Field 18, merchant type (acquirer hosts fill it from the merchant record).
    pub field18: Option<Mcc>,
    /// Field 41, terminal id.
    pub field41: Option<TerminalId>,
    /// Field 42, merchant number.
    pub field42: Option<&'a [u8]>,
    /// EMV tag 9F15, merchant category code (decode with [`Mcc::from_bcd`]).
    pub tag_9f15: Option<Mcc>,
    /// EMV tag 9F16, merchant identifier.
    pub tag_9f16: Option<&'a [u8]>,
    /// EMV tag 9F1C, terminal identification.
    pub tag_9f1c: Option<TerminalId>,
    /// The merchant number printed on the slip.
    pub slip_merchant_no: Option<&'a [u8]>,
    /// The merchant number the network reports (云闪付, 95516, the bank app).
    pub network_merchant_no: Option<&'a [u8]>,
}

impl<'a> Observation<'a> {
    /// The merchant number the expectation rules judge: what was settled, so the network
    /// record first, then field 42, tag 9F16 and the slip (the first that parses).
    pub fn settled_merchant_no(&self) -> Option<MerchantNo<'a>> {
        [
            self.network_merchant_no,
            self.field42,
            self.tag_9f16,
            self.slip_merchant_no,
        ]
        .into_iter()
        .flatten()
        .find_map(|raw| MerchantNo::parse(raw).ok())
    }

    /// The MCC the expectation rules judge: the settled merchant number's, else field 18,
    /// else tag 9F15.
    pub fn settled_mcc(&self) -> Option<Mcc> {
        self.settled_merchant_no()
            .map(|m| m.mcc())
            .or(self.field18)
            .or(self.tag_9f15)
    }

    /// The terminal id: field 41, else tag 9F1C.
    pub fn terminal(&self) -> Option<TerminalId> {
        self.field41.or(self.tag_9f1c)
    }
}

/// What the cardholder (or the acquirer's merchant record) says the business is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Expectation {
    /// The MCC the business should have.
    pub mcc: Option<Mcc>,
    /// The business group, when the code is not known.
    pub group: Option<MccGroup>,
    /// The region code where the merchant is (either scheme).
    pub region: Option<Region>,
}

/// Runs every per-transaction rule and returns the findings (at most 15, no allocation).
///
/// ```
/// use cardwire_merchant::{check, Expectation, MccGroup, Observation, Policy, Rule};
///
/// // The canonical case: a hotel whose slip shows 7011, settled as a supermarket (5411).
/// let obs = Observation {
///     slip_merchant_no: Some(b"105290070110392"),
///     network_merchant_no: Some(b"105290054110392"),
///     ..Observation::default()
/// };
/// let exp = Expectation { group: Some(MccGroup::Hotel), ..Expectation::default() };
/// let findings = check(&obs, &exp, &Policy::DEFAULT);
/// assert!(findings.contains(Rule::SlipNetworkMismatch));
/// assert!(findings.contains(Rule::MccNotExpected));
/// assert!(findings.contains(Rule::CheaperTier));
/// ```
#[inline]
pub fn check(obs: &Observation<'_>, exp: &Expectation, policy: &Policy) -> Findings {
    let mut out = Findings::new();
    check_with(obs, exp, policy, &mut |f| out.push(f));
    out
}

/// [`check`] with findings passed to `sink` as they are found.
#[inline]
pub fn check_with(
    obs: &Observation<'_>,
    exp: &Expectation,
    policy: &Policy,
    sink: &mut impl FnMut(Finding),
) {
    let slip = parsed(obs.slip_merchant_no, Source::Slip, sink);
    let network = parsed(obs.network_merchant_no, Source::Network, sink);
    let f42 = parsed(obs.field42, Source::Field42, sink);
    let f9f16 = parsed(obs.tag_9f16, Source::Tag9F16, sink);

    if let (Some(s), Some(n)) = (slip, network)
        && s != n
    {
        sink(Finding::new(
            Rule::SlipNetworkMismatch,
            Evidence::MerchantNos {
                a: Source::Slip,
                a_value: s.to_id(),
                b: Source::Network,
                b_value: n.to_id(),
            },
        ));
    }
    inconsistent_fields(obs, f42, f9f16, sink);
    let settled = network.or(f42).or(f9f16).or(slip);
    let mcc = settled.map(|m| m.mcc()).or(obs.field18).or(obs.tag_9f15);
    if let Some(mcc) = mcc {
        expectation_rules(mcc, exp, policy, sink);
        mcc_rules(mcc, policy, sink);
    }
    if let (Some(m), Some(expected)) = (settled, exp.region)
        && let Some(f) = region_rule(m.region(), expected)
    {
        sink(f);
    }
}

/// The merchant number from `raw`, or a `malformed-merchant-no` finding.
fn parsed<'a>(
    raw: Option<&'a [u8]>,
    source: Source,
    sink: &mut impl FnMut(Finding),
) -> Option<MerchantNo<'a>> {
    let raw = raw?;
    match MerchantNo::parse(raw) {
        Ok(m) => Some(m),
        Err(error) => {
            sink(Finding::new(
                Rule::MalformedMerchantNo,
                Evidence::Malformed {
                    source,
                    value: Shown::new(raw),
                    error,
                },
            ));
            None
        }
    }
}

/// Field 42 vs 9F16, field 41 vs 9F1C, and the three MCC sources pairwise.
fn inconsistent_fields(
    obs: &Observation<'_>,
    f42: Option<MerchantNo<'_>>,
    f9f16: Option<MerchantNo<'_>>,
    sink: &mut impl FnMut(Finding),
) {
    if let (Some(a), Some(b)) = (f42, f9f16)
        && a != b
    {
        sink(Finding::new(
            Rule::InconsistentFields,
            Evidence::MerchantNos {
                a: Source::Field42,
                a_value: a.to_id(),
                b: Source::Tag9F16,
                b_value: b.to_id(),
            },
        ));
    }
    if let (Some(a), Some(b)) = (obs.field41, obs.tag_9f1c)
        && a != b
    {
        sink(Finding::new(
            Rule::InconsistentFields,
            Evidence::TerminalIds {
                a: Source::Field41,
                a_value: a,
                b: Source::Tag9F1C,
                b_value: b,
            },
        ));
    }
    let mccs = [
        (Source::Field18, obs.field18),
        (Source::Field42, f42.map(|m| m.mcc())),
        (Source::Tag9F15, obs.tag_9f15),
    ];
    for (i, &(a, a_value)) in mccs.iter().enumerate() {
        for &(b, b_value) in mccs.iter().skip(i + 1) {
            if let (Some(a_value), Some(b_value)) = (a_value, b_value)
                && a_value != b_value
            {
                sink(Finding::new(
                    Rule::InconsistentFields,
                    Evidence::Mccs {
                        a,
                        a_value,
                        b,
                        b_value,
                    },
                ));
            }
        }
    }
}

/// `mcc-not-expected` and `cheaper-tier` against the expectation.
pub(crate) fn expectation_rules(
    mcc: Mcc,
    exp: &Expectation,
    policy: &Policy,
    sink: &mut impl FnMut(Finding),
) {
    let got_group = mcc.group();
    let unexpected = match (exp.mcc, exp.group) {
        (Some(e), _) if e != mcc => Some(Expected::Mcc(e)),
        (None, Some(g)) if g != got_group => Some(Expected::Group(g)),
        _ => None,
    };
    if let Some(expected) = unexpected {
        sink(Finding::new(
            Rule::MccNotExpected,
            Evidence::UnexpectedMcc {
                got: mcc,
                got_group,
                expected,
            },
        ));
    }
    let expected_tier = match (exp.mcc, exp.group) {
        (Some(e), _) => Some(policy.fee_tier(e)),
        (None, Some(g)) => Some(g.usual_fee_tier()),
        _ => None,
    };
    let got = policy.fee_tier(mcc);
    if let Some(expected) = expected_tier
        && got.rank() < expected.rank()
    {
        sink(Finding::new(
            Rule::CheaperTier,
            Evidence::Tier { mcc, got, expected },
        ));
    }
}

/// `no-points-category`, `reserved-mcc`, `unknown-mcc`: properties of the MCC itself.
pub(crate) fn mcc_rules(mcc: Mcc, policy: &Policy, sink: &mut impl FnMut(Finding)) {
    if policy.earns_no_points(mcc) {
        sink(Finding::new(Rule::NoPointsCategory, Evidence::Mcc(mcc)));
    }
    if mcc.is_reserved() {
        sink(Finding::new(Rule::ReservedMcc, Evidence::Mcc(mcc)));
    } else if !mcc.is_known() {
        sink(Finding::new(Rule::UnknownMcc, Evidence::Mcc(mcc)));
    }
}

/// `region-mismatch`: no reading of the merchant's region shares a province with a reading of
/// the expected one. Suspicious when both codes read under one scheme only, info otherwise.
pub(crate) fn region_rule(got: Region, expected: Region) -> Option<Finding> {
    if got == expected {
        return None;
    }
    let (g, e) = (got.candidates(), expected.candidates());
    if g.share_province(&e) {
        return None;
    }
    let ambiguous = g.is_ambiguous() || e.is_ambiguous();
    let finding = Finding::new(
        Rule::RegionMismatch,
        Evidence::Region {
            got,
            expected,
            ambiguous,
        },
    );
    Some(if ambiguous {
        finding.with_severity(Severity::Info)
    } else {
        finding
    })
}
