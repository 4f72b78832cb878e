//! The acquirer code (digits 1–3 of a merchant number): banks use their CNAPS bank-category
//! code (105 China Construction Bank), licensed payment institutions an 8xx code; for 801–837
//! the 4-digit UnionPay institution code is 48xx (822 ↔ 4822).

use core::fmt;

use crate::tables;

/// What kind of institution an acquirer code belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AcquirerKind {
    /// A bank (3-digit CNAPS bank-category code).
    Bank,
    /// A licensed non-bank payment institution (8xx).
    PaymentInstitution,
    /// UnionPay itself (001).
    UnionPay,
}

impl AcquirerKind {
    /// `bank`, `payment_institution` or `unionpay`.
    pub const fn id(self) -> &'static str {
        match self {
            Self::Bank => "bank",
            Self::PaymentInstitution => "payment_institution",
            Self::UnionPay => "unionpay",
        }
    }
}

/// An acquirer found in the embedded table (`data/cn_acquirers.tsv`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Acquirer {
    code: u16,
    kind: AcquirerKind,
    institution: Option<u16>,
    index: usize,
}

impl Acquirer {
    /// Looks up a 3-digit acquirer code (0–999).
    pub fn lookup(code: u16) -> Option<Self> {
        let index = usize::from(
            tables::ACQUIRER_INDEX
                .get(usize::from(code))?
                .checked_sub(1)?,
        );
        let &(code, kind, institution) = tables::ACQUIRERS.get(index)?;
        Some(Self {
            code,
            kind,
            institution,
            index,
        })
    }

    /// The 3-digit code.
    pub const fn code(&self) -> u16 {
        self.code
    }

    /// Bank, payment institution or UnionPay.
    pub const fn kind(&self) -> AcquirerKind {
        self.kind
    }

    /// The institution's name as the sources give it (the names parallel the acquirer
    /// table, checked at compile time in `tables.rs`).
    #[cfg(feature = "descriptions")]
    pub fn name(&self) -> &'static str {
        tables::ACQUIRER_NAMES
            .get(self.index)
            .copied()
            .unwrap_or("")
    }

    /// The 4-digit UnionPay institution code of a payment institution (822 → 4822), where
    /// the sources support the 8xx ↔ 48xx correspondence (801–837).
    pub const fn unionpay_institution_code(&self) -> Option<u16> {
        self.institution
    }
}

impl fmt::Display for Acquirer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:03}", self.code)?;
        #[cfg(feature = "descriptions")]
        write!(f, " {}", self.name())?;
        Ok(())
    }
}
