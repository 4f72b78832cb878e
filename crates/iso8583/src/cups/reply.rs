//! Reading the reply fields a POS acts on.

use super::SettlementTotals;
use crate::message::Message;

/// Typed reading of the reply fields a POS acts on.
#[derive(Clone, Copy, Debug)]
pub struct Reply<'m, 'a, 's>(pub &'m Message<'a, 's>);

impl<'a> Reply<'_, 'a, '_> {
    /// Field 39, e.g. `00` approved.
    pub fn response_code(&self) -> Option<&'a str> {
        self.0.field(39)?.as_str()
    }

    /// Whether field 39 is `00`.
    pub fn approved(&self) -> bool {
        self.response_code() == Some("00")
    }

    /// Field 11.
    pub fn stan(&self) -> Option<u32> {
        u32::try_from(self.0.get(11)?.to_u64()?).ok()
    }

    /// Field 37, the retrieval reference number.
    pub fn rrn(&self) -> Option<&'a str> {
        self.0.field(37)?.as_str()
    }

    /// Field 38, the authorisation code.
    pub fn auth_code(&self) -> Option<&'a str> {
        self.0.field(38)?.as_str()
    }

    /// Field 60.2: the batch number (a sign-in reply carries the new one).
    pub fn batch(&self) -> Option<u32> {
        u32::try_from(self.0.field(60)?.subfield(2)?.to_u64()?).ok()
    }

    /// Field 62: the working keys of a sign-in reply (each encrypted under the TMK and
    /// followed by its check value).
    pub fn working_keys(&self) -> Option<&'a [u8]> {
        self.0.field(62)?.bytes()
    }

    /// Field 54 of a balance reply: the balance in fen, from the last 12 digits (the leading
    /// characters carry account type, amount type, currency and sign `C`/`D`).
    pub fn balance(&self) -> Option<i64> {
        let f = self.0.get(54)?;
        let n = f.len();
        let amount = i64::try_from(f.slice(n.checked_sub(12)?, 12)?.to_u64()?).ok()?;
        let sign = f.get(n.checked_sub(13)?)?;
        Some(if sign == b'D' { -amount } else { amount })
    }

    /// Field 48 of a settlement reply.
    pub fn settlement(&self) -> Option<SettlementTotals> {
        SettlementTotals::from_message(self.0)
    }
}
