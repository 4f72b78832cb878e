//! A copy of an in-memory host, for running many independent request sequences from one
//! prepared state (a fuzzer, tests): the sign-in and the session's key opening are done once,
//! each sequence starts from a copy.

use alloc::sync::Arc;

use super::Host;
use crate::ledger::MemoryLedger;

impl Host<MemoryLedger> {
    /// A copy of this host and its in-memory ledger: registry (shared until either changes
    /// it), cached terminal sessions
    /// (working keys included), lockout rule and counts, settings, sequence, the remote key
    /// download signer, and every account, transaction, session and strike of the ledger.
    /// What either does afterwards does not change the other.
    ///
    /// Only a host over a [`MemoryLedger`] can be copied: a copy of a host over a shared or
    /// persistent ledger would keep a session cache and a sequence the ledger does not know.
    #[must_use]
    pub fn duplicate(&self) -> Self {
        Self {
            registry: Arc::clone(&self.registry),
            ledger: self.ledger.clone(),
            sessions: self.sessions.clone(),
            seq: self.seq,
            guard: self.guard.clone(),
            chip_date_days: self.chip_date_days,
            sign_in_window_secs: self.sign_in_window_secs,
            rkd_signer: self.rkd_signer.clone(),
            issuer: self.issuer.clone(),
        }
    }
}
