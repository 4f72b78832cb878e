//! The values a finding rests on, and how they read in words.

use core::fmt;

use crate::error::{Error, Input};
use crate::mcc::{FeeTier, Mcc, MccGroup};
use crate::merchant_no::{MerchantId, TerminalId};
use crate::money::{Booked, ContractRate, FeeRate, Fen, Settled};
use crate::region::Region;
use crate::time::{Date, Timestamp};
use crate::transaction::{CardType, TxRef, TxType};

use super::rule::Source;

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
    /// A transaction's amount in the journal and on the statement (`amount-mismatch`).
    Amounts {
        /// The transaction.
        tx: TxRef,
        /// The journal's amount (voids and refunds negative).
        journal: Fen,
        /// The statement's amount.
        statement: Fen,
    },
    /// The fee the terminal quoted and the fee the statement charges (`fee-mismatch`).
    Fees {
        /// The transaction.
        tx: TxRef,
        /// The quoted fee.
        journal: Fen,
        /// The charged fee.
        statement: Fen,
    },
    /// A statement fee that is not the contracted one (`fee-rate-mismatch`).
    ContractFee {
        /// The transaction (statement line).
        tx: TxRef,
        /// Its type.
        kind: TxType,
        /// The card type the contract rate was chosen by, if the statement gives it.
        card: Option<CardType>,
        /// The amount booked.
        amount: Fen,
        /// The fee charged.
        fee: Fen,
        /// The fee of the contract.
        expected: Fen,
        /// The contract's rate (and cap) for the card.
        contract: ContractRate,
    },
    /// The rate a merchant's fees imply, before and after it moved (`fee-rate-changed`).
    RateChanged {
        /// The merchant number.
        merchant: MerchantId,
        /// The card type, if the statement gives it.
        card: Option<CardType>,
        /// The rate before (from the largest amount charged at it).
        before: FeeRate,
        /// The rate after (likewise).
        after: FeeRate,
        /// The first statement line at the rate before.
        since_line: u64,
        /// The first statement line at the rate after.
        line: u64,
    },
    /// A transaction one side does not have (`missing-on-statement`, `missing-on-journal`).
    Missing {
        /// The transaction (the line of the side that has it).
        tx: TxRef,
        /// The merchant number that side shows.
        merchant: MerchantId,
        /// When.
        time: Timestamp,
        /// Its type.
        kind: TxType,
        /// Its amount.
        amount: Fen,
    },
    /// The merchant numbers of one transaction (`merchant-no-mismatch`).
    TxMerchantNos {
        /// The transaction.
        tx: TxRef,
        /// The merchant number the terminal printed.
        journal: MerchantId,
        /// The merchant number the statement settled under.
        statement: MerchantId,
    },
    /// The types of one transaction (`type-mismatch`); a journal type
    /// [`TxType::Reversal`] means the terminal reversed what the statement books.
    Types {
        /// The transaction.
        tx: TxRef,
        /// The journal's type.
        journal: TxType,
        /// The statement's type.
        statement: TxType,
    },
    /// One day of one merchant number: booked against credited (`settlement-short`).
    Settlement {
        /// The business day.
        date: Date,
        /// The merchant number.
        merchant: MerchantId,
        /// The settlement line, if the day has one.
        line: Option<u64>,
        /// What the statement booked.
        booked: Booked,
        /// What the settlement says it credited (`None`: no settlement row for the day).
        credited: Option<Settled>,
    },
    /// The same transaction read twice from one input (`duplicate-booking`).
    Duplicate {
        /// The transaction, with the line of the repeat.
        tx: TxRef,
        /// The input it repeats in.
        input: Input,
        /// The line of its first occurrence.
        first_line: u64,
    },
}

impl Evidence {
    /// How much the credited net falls short of the booked net (negative: more was
    /// credited), for settlement evidence.
    pub const fn settlement_shortfall(booked: &Booked, credited: Option<&Settled>) -> Fen {
        let net = match credited {
            Some(c) => c.net,
            None => Fen::ZERO,
        };
        booked.net().saturating_sub(net)
    }
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
            Self::Amounts {
                tx,
                journal,
                statement,
            } => write!(
                f,
                "{tx}: the journal shows {journal}, the statement books {statement}"
            ),
            Self::Fees {
                tx,
                journal,
                statement,
            } => write!(
                f,
                "{tx}: the terminal quoted a fee of {journal}, the statement charges {statement}"
            ),
            Self::ContractFee {
                tx,
                kind,
                card,
                amount,
                fee,
                expected,
                contract,
            } => {
                write!(f, "{tx}: {kind} of {amount}")?;
                if let Some(card) = card {
                    write!(f, " on a {card} card")?;
                }
                write!(
                    f,
                    " charged {fee}, the contract ({contract}) gives {expected}"
                )?;
                if let Some(rate) = FeeRate::of(fee.unsigned_abs(), amount.unsigned_abs()) {
                    write!(f, " (charged at {rate})")?;
                }
                Ok(())
            }
            Self::RateChanged {
                merchant,
                card,
                before,
                after,
                since_line,
                line,
            } => {
                write!(f, "{merchant}")?;
                if let Some(card) = card {
                    write!(f, " ({card} cards)")?;
                }
                write!(
                    f,
                    ": fees at {before} from statement line {since_line}, at {after} from line {line}"
                )
            }
            Self::Missing {
                tx,
                merchant,
                time,
                kind,
                amount,
            } => write!(f, "{tx}: {kind} of {amount} at {time} under {merchant}"),
            Self::TxMerchantNos {
                tx,
                journal,
                statement,
            } => write!(
                f,
                "{tx}: the terminal printed {journal}, the statement settles under {statement}"
            ),
            Self::Types {
                tx,
                journal: TxType::Reversal,
                statement,
            } => write!(
                f,
                "{tx}: the terminal reversed it, the statement books a {statement}"
            ),
            Self::Types {
                tx,
                journal,
                statement,
            } => write!(
                f,
                "{tx}: the journal shows a {journal}, the statement books a {statement}"
            ),
            Self::Settlement {
                date,
                merchant,
                line,
                booked,
                credited,
            } => {
                write!(
                    f,
                    "{merchant} on {date}: {} booked rows net {} (gross {} less fees {}), ",
                    booked.rows,
                    booked.net(),
                    booked.gross,
                    booked.fee
                )?;
                match (credited, line) {
                    (Some(c), Some(line)) => {
                        write!(f, "credited {} (settlement line {line})", c.net)
                    }
                    (Some(c), None) => write!(f, "credited {}", c.net),
                    (None, _) => f.write_str("no settlement credit"),
                }
            }
            Self::Duplicate {
                tx,
                input,
                first_line,
            } => write!(f, "{tx}: repeats {input} line {first_line}"),
        }
    }
}
