//! The rules by their stable ids, and where a compared value was read.

use core::fmt;

use super::Severity;

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
    /// `amount-mismatch`: the statement books another amount than the journal shows.
    AmountMismatch,
    /// `fee-mismatch`: the statement charges another fee than the terminal quoted.
    FeeMismatch,
    /// `fee-rate-mismatch`: the statement's fee is not the amount at the contracted rate,
    /// rounded half up to the fen.
    FeeRateMismatch,
    /// `fee-rate-changed`: the rate the statement's fees imply moves within the period.
    FeeRateChanged,
    /// `missing-on-statement`: the journal has a transaction the statement does not book.
    MissingOnStatement,
    /// `missing-on-journal`: the statement books a transaction the journal does not have.
    MissingOnJournal,
    /// `merchant-no-mismatch`: the statement names another merchant number than the terminal
    /// printed.
    MerchantNoMismatch,
    /// `type-mismatch`: the statement books another transaction type than the journal
    /// shows (a purchase booked as a pre-authorisation, a reversed one booked at all).
    TypeMismatch,
    /// `settlement-short`: the net credited for a day is not the day's booked amounts less
    /// their fees.
    SettlementShort,
    /// `duplicate-booking`: the same transaction (terminal and RRN or voucher) twice.
    DuplicateBooking,
}

impl Rule {
    /// Every rule.
    pub const ALL: [Rule; 23] = [
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
        Self::AmountMismatch,
        Self::FeeMismatch,
        Self::FeeRateMismatch,
        Self::FeeRateChanged,
        Self::MissingOnStatement,
        Self::MissingOnJournal,
        Self::MerchantNoMismatch,
        Self::TypeMismatch,
        Self::SettlementShort,
        Self::DuplicateBooking,
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
            Self::AmountMismatch => "amount-mismatch",
            Self::FeeMismatch => "fee-mismatch",
            Self::FeeRateMismatch => "fee-rate-mismatch",
            Self::FeeRateChanged => "fee-rate-changed",
            Self::MissingOnStatement => "missing-on-statement",
            Self::MissingOnJournal => "missing-on-journal",
            Self::MerchantNoMismatch => "merchant-no-mismatch",
            Self::TypeMismatch => "type-mismatch",
            Self::SettlementShort => "settlement-short",
            Self::DuplicateBooking => "duplicate-booking",
        }
    }

    /// The severity the rule reports (region-mismatch drops to info when the region code is
    /// ambiguous, a duplicate in the journal is suspicious).
    ///
    /// Definitive: two records of the same transaction or day disagree. Suspicious: a
    /// pattern with innocent explanations (a rate that moved, a transaction at the edge of
    /// the period, a contract table that is out of date).
    pub const fn severity(self) -> Severity {
        match self {
            Self::SlipNetworkMismatch
            | Self::InconsistentFields
            | Self::AmountMismatch
            | Self::FeeMismatch
            | Self::MerchantNoMismatch
            | Self::TypeMismatch
            | Self::SettlementShort
            | Self::DuplicateBooking => Severity::Definitive,
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
