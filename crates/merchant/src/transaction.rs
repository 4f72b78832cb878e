//! What identifies a card transaction between the terminal's journal and the acquirer's
//! statement: its type, the card type its fee depends on, the retrieval reference number
//! (field 37) and the voucher (batch and STAN), and the lines it was read from.

use core::fmt;

use crate::error::{Error, ErrorKind};
use crate::merchant_no::TerminalId;

/// A transaction type as journals and statements name it.
///
/// The ids are those of the acquirer's statement (`purchase`, `void`, `refund`,
/// `completion`, `completion-void`) plus the terminal-only `preauth`, `preauth-void` and
/// `reversal`; [`TxType::parse`] also reads the Chinese names statements print (消费, 撤销,
/// 退货, 预授权, 预授权撤销, 预授权完成, 预授权完成撤销, 冲正).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TxType {
    /// `purchase` (消费): money to the merchant.
    Purchase,
    /// `void` (消费撤销): a purchase cancelled the same day, amount and fee returned.
    Void,
    /// `refund` (退货): money back to the cardholder, later and possibly in part.
    Refund,
    /// `preauth` (预授权): a hold on the card; moves no money, so not on the statement.
    PreAuth,
    /// `preauth-void` (预授权撤销): the hold released; not on the statement.
    PreAuthVoid,
    /// `completion` (预授权完成): the held amount taken; money to the merchant.
    Completion,
    /// `completion-void` (预授权完成撤销): a completion cancelled.
    CompletionVoid,
    /// `reversal` (冲正): the terminal undid a transaction whose reply it did not get; the
    /// acquirer books neither.
    Reversal,
}

/// The sign an amount of a type carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AmountSign {
    /// Zero or positive: money to the merchant (or a hold).
    Positive,
    /// Zero or negative: money back to the cardholder.
    Negative,
    /// Either (a reversal undoes a debit or a credit).
    Either,
}

/// The journal's header as a terminal writes it (the terminal's journal export): amounts and
/// fees signed yuan, `fee` the quoted fee, `type` one of [`TxType`]'s ids.
pub const JOURNAL_COLUMNS: [&str; 9] = [
    "time",
    "terminal_id",
    "merchant_no",
    "batch",
    "stan",
    "rrn",
    "type",
    "amount",
    "fee",
];

impl TxType {
    /// Every type.
    pub const ALL: [TxType; 8] = [
        Self::Purchase,
        Self::Void,
        Self::Refund,
        Self::PreAuth,
        Self::PreAuthVoid,
        Self::Completion,
        Self::CompletionVoid,
        Self::Reversal,
    ];

    /// The id (`purchase`, `completion-void`, …).
    pub const fn id(self) -> &'static str {
        match self {
            Self::Purchase => "purchase",
            Self::Void => "void",
            Self::Refund => "refund",
            Self::PreAuth => "preauth",
            Self::PreAuthVoid => "preauth-void",
            Self::Completion => "completion",
            Self::CompletionVoid => "completion-void",
            Self::Reversal => "reversal",
        }
    }

    const fn chinese(self) -> &'static str {
        match self {
            Self::Purchase => "消费",
            Self::Void => "消费撤销",
            Self::Refund => "退货",
            Self::PreAuth => "预授权",
            Self::PreAuthVoid => "预授权撤销",
            Self::Completion => "预授权完成",
            Self::CompletionVoid => "预授权完成撤销",
            Self::Reversal => "冲正",
        }
    }

    /// The type from its id (any case), its Chinese name, or a common spelling
    /// (`pre-authorisation`, `pre-authorization`, `撤销`).
    ///
    /// # Errors
    /// [`ErrorKind::UnknownName`].
    pub fn parse(text: &[u8]) -> Result<Self, Error> {
        // The statement's own words first: one comparison each, no case folding.
        if let Some(t) = Self::ALL.into_iter().find(|t| text == t.id().as_bytes()) {
            return Ok(t);
        }
        let found = Self::ALL.into_iter().find(|t| {
            text.eq_ignore_ascii_case(t.id().as_bytes()) || text == t.chinese().as_bytes()
        });
        if let Some(t) = found {
            return Ok(t);
        }
        let lower = |s: &str| text.eq_ignore_ascii_case(s.as_bytes());
        if lower("pre-authorisation") || lower("pre-authorization") || lower("pre-auth") {
            Ok(Self::PreAuth)
        } else if text == "撤销".as_bytes() {
            Ok(Self::Void)
        } else {
            Err(Error::new(ErrorKind::UnknownName, 0))
        }
    }

    /// The sign of its amount in journals and statements: voids and refunds are negative
    /// (money back to the cardholder), as the acquirer books them.
    pub const fn sign(self) -> AmountSign {
        match self {
            Self::Purchase | Self::Completion | Self::PreAuth => AmountSign::Positive,
            Self::Void | Self::Refund | Self::PreAuthVoid | Self::CompletionVoid => {
                AmountSign::Negative
            }
            Self::Reversal => AmountSign::Either,
        }
    }

    /// Whether the acquirer puts it on the statement: it moves the merchant's money
    /// (pre-authorisations and their voids only hold funds; a reversal undoes).
    pub const fn is_booked(self) -> bool {
        matches!(
            self,
            Self::Purchase | Self::Void | Self::Refund | Self::Completion | Self::CompletionVoid
        )
    }

    /// Whether the merchant's fee is charged on it at the contracted rate (purchases and
    /// completions).
    pub const fn charges_fee(self) -> bool {
        matches!(self, Self::Purchase | Self::Completion)
    }

    /// Whether it cancels a charged transaction and returns its fee (voids).
    pub const fn returns_fee(self) -> bool {
        matches!(self, Self::Void | Self::CompletionVoid)
    }
}

impl fmt::Display for TxType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// The card type a merchant's fee rate depends on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CardType {
    /// `debit` (借记卡): often at a lower rate with a cap per transaction.
    Debit,
    /// `credit` (贷记卡, and 准贷记卡 semi-credit cards).
    Credit,
}

impl CardType {
    /// `debit` or `credit`.
    pub const fn id(self) -> &'static str {
        match self {
            Self::Debit => "debit",
            Self::Credit => "credit",
        }
    }

    /// The type from its id (any case) or Chinese name (借记卡, 借记, 贷记卡, 贷记, 准贷记卡).
    ///
    /// # Errors
    /// [`ErrorKind::UnknownName`].
    pub fn parse(text: &[u8]) -> Result<Self, Error> {
        let is = |s: &str| text.eq_ignore_ascii_case(s.as_bytes());
        if is("debit") || is("借记卡") || is("借记") {
            Ok(Self::Debit)
        } else if is("credit") || is("贷记卡") || is("贷记") || is("准贷记卡") {
            Ok(Self::Credit)
        } else {
            Err(Error::new(ErrorKind::UnknownName, 0))
        }
    }
}

impl fmt::Display for CardType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// A retrieval reference number (field 37): 1 to 12 letters or digits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Rrn {
    bytes: [u8; Rrn::LEN],
    len: u8,
}

impl Rrn {
    /// The length of field 37.
    pub const LEN: usize = 12;

    /// Validates and copies an RRN.
    ///
    /// # Errors
    /// [`ErrorKind::Length`] for none or more than 12 characters (a card number in the wrong
    /// column is refused here, never kept); [`ErrorKind::NotAlphanumeric`] at the offending
    /// character.
    pub fn parse(text: &[u8]) -> Result<Self, Error> {
        if text.is_empty() || text.len() > Self::LEN {
            return Err(Error::new(
                ErrorKind::Length {
                    expected: Self::LEN,
                    found: text.len(),
                },
                0,
            ));
        }
        if let Some(i) = text.iter().position(|b| !b.is_ascii_alphanumeric()) {
            return Err(Error::new(ErrorKind::NotAlphanumeric, i));
        }
        let mut bytes = [0u8; Self::LEN];
        let mut len = 0u8;
        for (dst, src) in bytes.iter_mut().zip(text) {
            *dst = *src;
            len += 1;
        }
        Ok(Self { bytes, len })
    }

    /// The RRN as text (ASCII letters and digits by construction).
    pub fn as_str(&self) -> &str {
        let used = self.bytes.split_at(usize::from(self.len)).0;
        crate::ascii::as_str(used)
    }
}

impl fmt::Display for Rrn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The voucher number a slip prints (凭证号): the batch (field 60.2) and the system trace
/// audit number (field 11), each up to six digits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Voucher {
    /// The batch number.
    pub batch: u32,
    /// The STAN.
    pub stan: u32,
}

impl Voucher {
    /// One to six decimal digits, as the batch or the STAN.
    ///
    /// # Errors
    /// [`ErrorKind::Length`] for none or more than six; [`ErrorKind::NotDigit`].
    pub fn parse_number(text: &[u8]) -> Result<u32, Error> {
        if text.is_empty() || text.len() > 6 {
            return Err(Error::new(
                ErrorKind::Length {
                    expected: 6,
                    found: text.len(),
                },
                0,
            ));
        }
        text.iter().enumerate().try_fold(0u32, |n, (i, &b)| {
            if b.is_ascii_digit() {
                Ok(n * 10 + u32::from(b - b'0'))
            } else {
                Err(Error::new(ErrorKind::NotDigit, i))
            }
        })
    }
}

impl fmt::Display for Voucher {
    /// `batch/stan`, six digits each: `000001/000123`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:06}/{:06}", self.batch, self.stan)
    }
}

/// One transaction as the reconciler names it in a finding: the terminal, its RRN and
/// voucher where known, and the lines of the journal and the statement it was read from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TxRef {
    /// The terminal (field 41).
    pub terminal: TerminalId,
    /// The retrieval reference number, when a row gave one.
    pub rrn: Option<Rrn>,
    /// The voucher (batch and STAN), when a row gave one.
    pub voucher: Option<Voucher>,
    /// The journal line (1-based, the header is line 1).
    pub journal_line: Option<u64>,
    /// The statement line.
    pub statement_line: Option<u64>,
}

impl fmt::Display for TxRef {
    /// `terminal 10000001 RRN 261102000101 (journal line 2, statement line 3)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "terminal {}", self.terminal)?;
        if let Some(rrn) = self.rrn {
            write!(f, " RRN {rrn}")?;
        }
        if let Some(v) = self.voucher {
            write!(f, " voucher {v}")?;
        }
        match (self.journal_line, self.statement_line) {
            (Some(j), Some(s)) => write!(f, " (journal line {j}, statement line {s})"),
            (Some(j), None) => write!(f, " (journal line {j})"),
            (None, Some(s)) => write!(f, " (statement line {s})"),
            (None, None) => Ok(()),
        }
    }
}
