//! Per-terminal memory across transactions, in fixed capacity: a terminal is bound to one
//! merchant (银发〔2021〕259号), so a terminal id that shows another merchant number, MCC or
//! region — or many merchant numbers, the code-pool pattern of 一机多商户 POS — is suspicious.

use crate::check::Observation;
use crate::finding::{Evidence, Finding, Rule};
use crate::merchant_no::{MerchantId, MerchantNo, TerminalId};

/// What is remembered about one terminal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Slot<const M: usize> {
    terminal: TerminalId,
    last: MerchantId,
    /// The first `M` distinct merchant numbers seen.
    seen: [Option<MerchantId>; M],
    /// Distinct merchant numbers seen, exact up to `M`, then a lower bound.
    distinct: usize,
    /// When the slot was last used, for least-recently-used eviction.
    used: u64,
    /// `many-merchants-per-terminal` already reported for this terminal.
    reported_many: bool,
}

/// Remembers up to `N` terminals and, per terminal, up to `M` distinct merchant numbers, with
/// no allocation. When full, the least recently seen terminal is forgotten.
///
/// ```
/// use cardwire_merchant::{MerchantNo, Rule, TerminalHistory, TerminalId};
///
/// let mut history = TerminalHistory::<64>::new(3);
/// let tid = TerminalId::parse(b"12345678")?;
/// let hotel = MerchantNo::parse(b"105584070110001")?;
/// let market = MerchantNo::parse(b"105290054110007")?;
/// assert!(history.record(tid, hotel).is_empty());
/// let findings = history.record(tid, market);
/// assert!(findings.contains(Rule::TerminalMerchantChanged));
/// assert!(findings.contains(Rule::MccDrift));
/// assert!(findings.contains(Rule::RegionDrift));
/// # Ok::<(), cardwire_merchant::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TerminalHistory<const N: usize, const M: usize = 8> {
    slots: [Option<Slot<M>>; N],
    clock: u64,
    threshold: usize,
}

impl<const N: usize, const M: usize> TerminalHistory<N, M> {
    /// An empty history; `many-merchants-per-terminal` fires once a terminal has shown more
    /// than `threshold` distinct merchant numbers (keep `threshold` below `M`, the number
    /// counted exactly).
    pub const fn new(threshold: usize) -> Self {
        Self {
            slots: [None; N],
            clock: 0,
            threshold,
        }
    }

    /// Records one transaction of `terminal` under `merchant` and returns the findings:
    /// `terminal-merchant-changed`, `mcc-drift`, `region-drift` (against the terminal's
    /// previous transaction) and `many-merchants-per-terminal` (once per terminal).
    pub fn record(&mut self, terminal: TerminalId, merchant: MerchantNo<'_>) -> crate::Findings {
        let mut out = crate::Findings::new();
        self.record_with(terminal, merchant, &mut |f| out.push(f));
        out
    }

    /// [`record`](Self::record) for an [`Observation`]: the terminal from field 41 (else 9F1C),
    /// the merchant number that was settled. Nothing is recorded when either is missing.
    pub fn observe(&mut self, obs: &Observation<'_>) -> crate::Findings {
        match (obs.terminal(), obs.settled_merchant_no()) {
            (Some(t), Some(m)) => self.record(t, m),
            _ => crate::Findings::new(),
        }
    }

    /// [`record`](Self::record) with findings passed to `sink`.
    pub fn record_with(
        &mut self,
        terminal: TerminalId,
        merchant: MerchantNo<'_>,
        sink: &mut impl FnMut(Finding),
    ) {
        self.clock = self.clock.wrapping_add(1);
        let now = self.clock;
        let id = merchant.to_id();
        let threshold = self.threshold;
        let found = self
            .slots
            .iter_mut()
            .flatten()
            .find(|s| s.terminal == terminal);
        let Some(slot) = found else {
            self.insert(Slot {
                terminal,
                last: id,
                seen: first_seen(id),
                distinct: 1,
                used: now,
                reported_many: false,
            });
            return;
        };
        slot.used = now;
        if slot.last == id {
            return;
        }
        let before = slot.last.view();
        sink(Finding::new(
            Rule::TerminalMerchantChanged,
            Evidence::MerchantChanged {
                terminal,
                before: slot.last,
                after: id,
            },
        ));
        if before.mcc() != merchant.mcc() {
            sink(Finding::new(
                Rule::MccDrift,
                Evidence::MccDrift {
                    terminal,
                    before: before.mcc(),
                    after: merchant.mcc(),
                },
            ));
        }
        if before.region() != merchant.region() {
            sink(Finding::new(
                Rule::RegionDrift,
                Evidence::RegionDrift {
                    terminal,
                    before: before.region(),
                    after: merchant.region(),
                },
            ));
        }
        slot.last = id;
        if !slot.seen.iter().flatten().any(|m| *m == id) {
            if let Some(free) = slot.seen.iter_mut().find(|m| m.is_none()) {
                *free = Some(id);
            }
            slot.distinct = slot.distinct.saturating_add(1);
        }
        if slot.distinct > threshold && !slot.reported_many {
            slot.reported_many = true;
            sink(Finding::new(
                Rule::ManyMerchantsPerTerminal,
                Evidence::ManyMerchants {
                    terminal,
                    count: slot.distinct,
                    threshold,
                },
            ));
        }
    }

    /// Distinct merchant numbers seen on `terminal` (exact up to `M`), 0 if not remembered.
    pub fn merchants_seen(&self, terminal: TerminalId) -> usize {
        self.slots
            .iter()
            .flatten()
            .find(|s| s.terminal == terminal)
            .map_or(0, |s| s.distinct)
    }

    /// Terminals remembered.
    pub fn len(&self) -> usize {
        self.slots.iter().flatten().count()
    }

    /// No terminal remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Puts a new terminal in a free slot, or in place of the least recently used one.
    fn insert(&mut self, slot: Slot<M>) {
        let target = match self.slots.iter().position(Option::is_none) {
            Some(i) => Some(i),
            None => self
                .slots
                .iter()
                .enumerate()
                .min_by_key(|(_, s)| s.map_or(0, |s| s.used))
                .map(|(i, _)| i),
        };
        if let Some(place) = target.and_then(|i| self.slots.get_mut(i)) {
            *place = Some(slot);
        }
    }
}

impl<const N: usize, const M: usize> Default for TerminalHistory<N, M> {
    /// Threshold 3.
    fn default() -> Self {
        Self::new(3)
    }
}

fn first_seen<const M: usize>(id: MerchantId) -> [Option<MerchantId>; M] {
    let mut seen = [None; M];
    if let Some(first) = seen.first_mut() {
        *first = Some(id);
    }
    seen
}
