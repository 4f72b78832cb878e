//! The transactions of the CUPS POS spec: the codes that identify each on the wire, and the
//! classes that terminal and host alike sort them by.

use core::fmt;

use super::settlement::Side;
use crate::message::Message;

/// A CUPS POS transaction (request side; replies share its codes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Transaction {
    /// 签到: sign-in (0800), working keys in the reply's field 62.
    SignIn,
    /// 签退: sign-out (0820).
    SignOut,
    /// 回响测试: echo test (0820).
    EchoTest,
    /// 查询: balance inquiry (0200, 310000).
    Balance,
    /// 预授权: pre-authorisation (0100, 030000, condition 06).
    PreAuth,
    /// 预授权撤销: pre-authorisation void (0100, 200000, condition 06).
    PreAuthVoid,
    /// 预授权完成(请求): pre-authorisation completion (0200, 000000, condition 06).
    PreAuthCompletion,
    /// 预授权完成撤销: pre-authorisation completion void (0200, 200000, condition 06).
    PreAuthCompletionVoid,
    /// 消费: purchase (0200, 000000).
    Purchase,
    /// 消费撤销: purchase void (0200, 200000).
    PurchaseVoid,
    /// 退货: refund (0220, 200000).
    Refund,
    /// 批结算: batch settlement (0500), totals in field 48.
    Settlement,
    /// 批上送: batch upload of one transaction's detail (0320).
    BatchUpload,
    /// 批上送结束: end of batch upload (0320).
    BatchUploadEnd,
    /// IC 卡交易证书上送: upload of an offline-approved IC transaction's TC (0320, 60.1 22).
    TcUpload,
    /// IC 卡脚本处理结果通知: issuer script result (0620).
    ScriptResult,
    /// 主密钥远程下载: remote key download at activation (0800, 60.3 `399`): the terminal sends
    /// its SM2 public key and serial number in field 62, the reply's field 62 carries the
    /// master key sealed to that key and signed by the acquirer
    /// (`cardwire_crypto::sm::rkd`). **60.3 `399` is this project's code**: the CUPS POS
    /// table public to the project lists none for it (its codes: 001–004 sign-in, 002
    /// sign-out, 201/207 settlement and upload, 301 echo, 36x–38x parameter and key
    /// downloads of IC data, 951 script result), and RKD messages are acquirer-specific.
    KeyDownload,
}

/// The codes that identify a transaction on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Codes {
    /// Request MTI.
    pub mti: u16,
    /// Field 3, if the transaction carries it.
    pub processing: Option<&'static str>,
    /// Field 25, if the transaction carries it.
    pub condition: Option<&'static str>,
    /// Field 60.1.
    pub type_code: &'static str,
    /// Field 60.3 (network management information code), if the transaction sends one.
    pub network: Option<&'static str>,
}

impl Transaction {
    /// Every transaction.
    pub const ALL: [Self; 17] = [
        Self::SignIn,
        Self::SignOut,
        Self::EchoTest,
        Self::Balance,
        Self::PreAuth,
        Self::PreAuthVoid,
        Self::PreAuthCompletion,
        Self::PreAuthCompletionVoid,
        Self::Purchase,
        Self::PurchaseVoid,
        Self::Refund,
        Self::Settlement,
        Self::BatchUpload,
        Self::BatchUploadEnd,
        Self::TcUpload,
        Self::ScriptResult,
        Self::KeyDownload,
    ];

    /// Its codes.
    pub const fn codes(self) -> Codes {
        const fn c(
            mti: u16,
            processing: Option<&'static str>,
            condition: Option<&'static str>,
            type_code: &'static str,
            network: Option<&'static str>,
        ) -> Codes {
            Codes {
                mti,
                processing,
                condition,
                type_code,
                network,
            }
        }
        match self {
            // 60.3 003: sign-in with double-length keys, as both public clients send it.
            Self::SignIn => c(800, None, None, "00", Some("003")),
            Self::SignOut => c(820, None, None, "00", Some("002")),
            Self::EchoTest => c(820, None, None, "00", Some("301")),
            Self::Balance => c(200, Some("310000"), Some("00"), "01", None),
            Self::PreAuth => c(100, Some("030000"), Some("06"), "10", None),
            Self::PreAuthVoid => c(100, Some("200000"), Some("06"), "11", None),
            Self::PreAuthCompletion => c(200, Some("000000"), Some("06"), "20", None),
            Self::PreAuthCompletionVoid => c(200, Some("200000"), Some("06"), "21", None),
            Self::Purchase => c(200, Some("000000"), Some("00"), "22", None),
            Self::PurchaseVoid => c(200, Some("200000"), Some("00"), "23", None),
            Self::Refund => c(220, Some("200000"), Some("00"), "25", None),
            Self::Settlement => c(500, None, None, "00", Some("201")),
            Self::BatchUpload => c(320, None, None, "00", Some("201")),
            Self::BatchUploadEnd => c(320, None, None, "00", Some("207")),
            Self::TcUpload => c(320, None, None, "22", None),
            // 60.3 951: script result notification, as commonly cited.
            Self::ScriptResult => c(620, Some("190000"), Some("00"), "22", Some("951")),
            Self::KeyDownload => c(800, None, None, "00", Some("399")),
        }
    }

    /// Whether an unanswered request must be reversed (0400) before the next transaction.
    pub const fn needs_reversal(self) -> bool {
        matches!(
            self,
            Self::PreAuth
                | Self::PreAuthVoid
                | Self::PreAuthCompletion
                | Self::PreAuthCompletionVoid
                | Self::Purchase
                | Self::PurchaseVoid
        )
    }

    /// Whether it moves, holds or asks about a cardholder's money: the balance inquiry, the
    /// pre-authorisation family, the purchase, its void and the refund. An acquirer records
    /// every answered one (declines too, so that a repeat is a duplicate); their 60.1 codes are
    /// unique among them, which is how a ledger stores them
    /// ([`Transaction::financial_from_type_code`]).
    pub const fn is_financial(self) -> bool {
        matches!(
            self,
            Self::Balance
                | Self::PreAuth
                | Self::PreAuthVoid
                | Self::PreAuthCompletion
                | Self::PreAuthCompletionVoid
                | Self::Purchase
                | Self::PurchaseVoid
                | Self::Refund
        )
    }

    /// The financial transaction whose 60.1 code is `code`.
    pub fn financial_from_type_code(code: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|t| t.is_financial() && t.codes().type_code == code)
    }

    /// Whether an approval is kept in the terminal's journal (for receipts, voids and
    /// settlement): the financial transactions except the balance inquiry.
    pub const fn is_journaled(self) -> bool {
        self.is_financial() && !matches!(self, Self::Balance)
    }

    /// Network management (0800, 0820): sign-in, sign-out, echo test. It travels without a
    /// MAC (sign-in is what brings the MAC key) and a pending reversal does not hold it back.
    pub const fn is_network_management(self) -> bool {
        matches!(
            self,
            Self::SignIn | Self::SignOut | Self::EchoTest | Self::KeyDownload
        )
    }

    /// An advice (0320, 0620): the batch upload and its end, the TC upload, the script result.
    /// It reports what already happened, asks for no authorisation and carries no track data;
    /// the host acknowledges it.
    pub const fn is_advice(self) -> bool {
        matches!(
            self,
            Self::BatchUpload | Self::BatchUploadEnd | Self::TcUpload | Self::ScriptResult
        )
    }

    /// Whether it cancels its original in full: the purchase void, the pre-authorisation void
    /// and the completion void. The original then counts nowhere.
    pub const fn is_void(self) -> bool {
        matches!(
            self,
            Self::PurchaseVoid | Self::PreAuthVoid | Self::PreAuthCompletionVoid
        )
    }

    /// Whether money goes back to the cardholder (the voids and the refund): receipts and
    /// statements show the amount negative.
    pub const fn is_credit(self) -> bool {
        self.is_void() || matches!(self, Self::Refund)
    }

    /// The kinds its original (field 61, and 37 for a refund) may be: a purchase void names a
    /// purchase, a refund a purchase or a completion, a completion or a pre-authorisation void
    /// a pre-authorisation, a completion void a completion. Empty for a transaction without an
    /// original.
    pub const fn originals(self) -> &'static [Self] {
        match self {
            Self::PurchaseVoid => &[Self::Purchase],
            Self::Refund => &[Self::Purchase, Self::PreAuthCompletion],
            Self::PreAuthVoid | Self::PreAuthCompletion => &[Self::PreAuth],
            Self::PreAuthCompletionVoid => &[Self::PreAuthCompletion],
            _ => &[],
        }
    }

    /// Which side of the settlement totals (field 48) an approved, unvoided transaction
    /// counts on: purchases and completions are debits, refunds credits. The others do not
    /// count: a pre-authorisation only holds money, a void cancels its original instead.
    pub const fn settles_as(self) -> Option<Side> {
        match self {
            Self::Purchase | Self::PreAuthCompletion => Some(Side::Debit),
            Self::Refund => Some(Side::Credit),
            _ => None,
        }
    }

    /// The MTI of its request (0100, 0200, 0220, 0320, 0500, 0620, 0800, 0820).
    pub const fn request_mti(self) -> u16 {
        self.codes().mti
    }

    /// The MTI of its reply: the request's plus 10.
    pub const fn response_mti(self) -> u16 {
        self.request_mti() + 10
    }

    /// The MTI of a reversal (its reply is [`Transaction::REVERSAL_MTI`] + 10).
    pub const REVERSAL_MTI: u16 = 400;

    /// Whether `mti` is the MTI of a request a CUPS POS host answers: a transaction's or a
    /// reversal's.
    pub fn is_request_mti(mti: u16) -> bool {
        mti == Self::REVERSAL_MTI || Self::ALL.into_iter().any(|t| t.request_mti() == mti)
    }

    /// Identifies the transaction of a request, its reply, or its reversal (0400/0410 carry
    /// the original's field 3, 25 and 60.1).
    pub fn of(msg: &Message<'_, '_>) -> Option<Self> {
        let mti = msg.mti().to_u16();
        // The request MTI: replies (xx1x) map to their request, reversals to the original's.
        let request = mti - (mti / 10 % 2) * 10;
        let f3 = msg.get(3);
        let f25 = msg.get(25);
        let field60 = msg.field(60)?;
        let type_code = field60.subfield(1)?;
        let network = field60.subfield(3);
        let reversal = request == Self::REVERSAL_MTI;
        Self::ALL.into_iter().find(|t| {
            let c = t.codes();
            (reversal || c.mti == request)
                && (!reversal || t.needs_reversal())
                && type_code.eq_str(c.type_code)
                && c.processing.is_none_or(|p| f3.is_some_and(|x| x.eq_str(p)))
                && c.condition.is_none_or(|p| f25.is_some_and(|x| x.eq_str(p)))
                && match (c.network, network) {
                    (Some(want), Some(got)) if c.mti != 620 => got.eq_str(want),
                    _ => true,
                }
        })
    }
}

impl fmt::Display for Transaction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// Whether `msg` is a reversal (0400) or its reply (0410).
pub fn is_reversal(msg: &Message<'_, '_>) -> bool {
    matches!(msg.mti().to_u16(), Transaction::REVERSAL_MTI | 410)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_agree_with_the_codes() {
        for t in Transaction::ALL {
            let c = t.codes();
            assert_eq!(t.response_mti(), c.mti + 10, "{t}");
            assert!(Transaction::is_request_mti(t.request_mti()), "{t}");
            assert!(!Transaction::is_request_mti(t.response_mti()), "{t}");
            // Network management is exactly 0800/0820, advices exactly 0320/0620.
            assert_eq!(t.is_network_management(), matches!(c.mti, 800 | 820), "{t}");
            assert_eq!(t.is_advice(), matches!(c.mti, 320 | 620), "{t}");
            // A financial transaction is found again by its 60.1 code.
            if t.is_financial() {
                assert_eq!(Transaction::financial_from_type_code(c.type_code), Some(t));
                assert!(matches!(c.mti, 100 | 200 | 220), "{t}");
            } else {
                assert!(!t.is_journaled() && !t.needs_reversal(), "{t}");
            }
            // What needs reversing, and what names an original, is journaled.
            if t.needs_reversal() || !t.originals().is_empty() || t.is_credit() {
                assert!(t.is_journaled(), "{t}");
            }
            for o in t.originals() {
                assert!(o.is_journaled() && o.originals().len() <= 1, "{t} → {o}");
            }
            if t.is_void() {
                assert_eq!(t.originals().len(), 1, "{t}");
                assert_eq!(t.settles_as(), None);
            }
        }
        assert!(Transaction::is_request_mti(Transaction::REVERSAL_MTI));
        assert!(!Transaction::is_request_mti(410));
        assert_eq!(Transaction::financial_from_type_code("00"), None);
        assert!(!Transaction::Balance.is_journaled());
        assert_eq!(Transaction::Refund.settles_as(), Some(Side::Credit));
        assert_eq!(
            Transaction::PreAuthCompletion.settles_as(),
            Some(Side::Debit)
        );
        assert_eq!(Transaction::PreAuth.settles_as(), None);
        assert!(Transaction::Refund.is_credit() && !Transaction::Refund.is_void());
    }
}
