//! The end of a batch: settlement with the journal's totals, the batch upload after an
//! unbalanced one, and closing the batch.

use cardwire_iso8583::cups::{Original, Transaction};
use cardwire_iso8583::time::DateTime;

use super::{Pending, Sent, Terminal};
use crate::card::CardData;
use crate::error::{ErrorKind, Result};
use crate::text::Text;

impl<const J: usize> Terminal<J> {
    /// Settlement (0500) of the open batch with the journal's totals in field 48.
    ///
    /// # Errors
    /// [`ErrorKind::NotSignedIn`], [`ErrorKind::Busy`], or an encoding error.
    pub fn settle(&mut self, now: DateTime, out: &mut [u8]) -> Result<Sent> {
        let mut p = Pending::new(Transaction::Settlement, now);
        p.totals = Some(self.journal.totals());
        self.start(p, out)
    }

    /// The next message of the batch upload after an unbalanced settlement: one 0320 per
    /// journal record (its PAN, amount, entry mode, RRN and authorisation code, and field
    /// 61 naming it by batch, STAN and date), then the end-of-upload 0320 (60.3 `207`).
    ///
    /// # Errors
    /// [`ErrorKind::NothingPending`] when no upload was asked for; as [`Terminal::settle`].
    pub fn batch_upload(&mut self, now: DateTime, out: &mut [u8]) -> Result<Sent> {
        let next = self.upload.ok_or(ErrorKind::NothingPending)?;
        let p = match self.journal.get(next) {
            Some(r) => {
                let mut p = Pending::new(Transaction::BatchUpload, now);
                p.amount = Some(r.amount);
                p.card = Some(CardData::keyed(
                    r.pan(),
                    r.expiry.as_ref().map(Text::as_str),
                )?);
                if let Some(c) = p.card.as_mut() {
                    c.entry = r.entry;
                }
                p.original = Some(Original {
                    batch: r.batch,
                    stan: r.stan,
                    date: r.when.mmdd(),
                });
                p.rrn = Some(r.rrn).filter(|t| !t.is_empty());
                p.auth_code = Some(r.auth_code).filter(|t| !t.is_empty());
                p
            }
            None => {
                let mut p = Pending::new(Transaction::BatchUploadEnd, now);
                p.totals = Some(self.journal.totals());
                p
            }
        };
        self.start(p, out)
    }

    pub(super) fn close_batch(&mut self) {
        self.journal.clear();
        self.upload = None;
        self.batch = if self.batch >= 999_999 {
            1
        } else {
            self.batch + 1
        };
    }
}
