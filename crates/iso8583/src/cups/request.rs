//! Building a CUPS POS request: field 3, 25 and 60 from the transaction, everything card-
//! and terminal-specific from the caller.

use core::fmt;

use super::{Original, SettlementTotals, Transaction};
use crate::decimal::{ascii_digit, digits};
use crate::encode::{Encoded, Encoder};
use crate::error::{Error, ErrorKind, FieldPath, at};
use crate::mti::Mti;
use crate::spec::MessageSpec;
use crate::specs::CUPS;

/// A CUPS POS request, built field by field and encoded in field order.
///
/// Field 3, 25 and 60.1 (and 60.3 where the transaction has one) come from the
/// [`Transaction`]; everything card- and terminal-specific is set here. Text is given as it
/// travels (digits, track data with `D` or `=` as separator).
#[derive(Clone, Copy)]
pub struct Request<'v> {
    spec: &'static MessageSpec,
    transaction: Transaction,
    reversal: bool,
    terminal: &'v str,
    merchant: &'v str,
    stan: u32,
    batch: u32,
    pan: Option<&'v str>,
    amount: Option<u64>,
    time: Option<&'v str>,
    date: Option<&'v str>,
    expiry: Option<&'v str>,
    entry_mode: Option<&'v str>,
    card_sequence: Option<&'v str>,
    pin_capture: Option<&'v str>,
    track2: Option<&'v str>,
    track3: Option<&'v str>,
    rrn: Option<&'v str>,
    auth_code: Option<&'v str>,
    response_code: Option<&'v str>,
    currency: Option<&'v str>,
    settlement: Option<SettlementTotals>,
    pin_block: Option<&'v [u8]>,
    security: Option<&'v str>,
    icc: Option<&'v [u8]>,
    network: Option<&'v str>,
    read_capability: Option<u8>,
    ic_condition: Option<u8>,
    original: Option<Original>,
    private62: Option<&'v [u8]>,
    operator: Option<&'v str>,
    mac: bool,
}

impl fmt::Debug for Request<'_> {
    // Card data stays out of `Debug`: the transaction and terminal identify the request.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("transaction", &self.transaction)
            .field("reversal", &self.reversal)
            .field("terminal", &self.terminal)
            .field("stan", &self.stan)
            .field("batch", &self.batch)
            .finish_non_exhaustive()
    }
}

macro_rules! setters {
    ($($(#[$m:meta])* $name:ident: $ty:ty),+ $(,)?) => {
        $(
            $(#[$m])*
            #[must_use]
            pub fn $name(mut self, value: $ty) -> Self {
                self.$name = Some(value);
                self
            }
        )+
    };
}

impl<'v> Request<'v> {
    /// A request for `transaction` from terminal `terminal` (field 41, 8 characters) of
    /// merchant `merchant` (field 42, 15 characters).
    pub fn new(transaction: Transaction, terminal: &'v str, merchant: &'v str) -> Self {
        Self {
            spec: &CUPS,
            transaction,
            reversal: false,
            terminal,
            merchant,
            stan: 0,
            batch: 0,
            pan: None,
            amount: None,
            time: None,
            date: None,
            expiry: None,
            entry_mode: None,
            card_sequence: None,
            pin_capture: None,
            track2: None,
            track3: None,
            rrn: None,
            auth_code: None,
            response_code: None,
            currency: None,
            settlement: None,
            pin_block: None,
            security: None,
            icc: None,
            network: None,
            read_capability: None,
            ic_condition: None,
            original: None,
            private62: None,
            operator: None,
            mac: false,
        }
    }

    /// The reversal (0400) of this request: same codes, field 39 gives the reason.
    #[must_use]
    pub fn reversal(mut self, reason: &'v str) -> Self {
        self.reversal = true;
        self.response_code = Some(reason);
        self
    }

    /// Field 11: system trace audit number (1–999999).
    #[must_use]
    pub fn stan(mut self, stan: u32) -> Self {
        self.stan = stan;
        self
    }

    /// Field 60.2: batch number.
    #[must_use]
    pub fn batch(mut self, batch: u32) -> Self {
        self.batch = batch;
        self
    }

    /// Encodes by `spec` instead of [`CUPS`](crate::specs::CUPS): the terminal profile's
    /// variant, e.g. [`CUPS_SM4`](crate::specs::CUPS_SM4) whose field 52 holds the 16-byte
    /// PIN block of the SM4 profile.
    #[must_use]
    pub fn spec(mut self, spec: &'static MessageSpec) -> Self {
        self.spec = spec;
        self
    }

    /// Appends a zeroed field 64 to receive the MAC over [`Encoded::mab`].
    #[must_use]
    pub fn with_mac(mut self) -> Self {
        self.mac = true;
        self
    }

    setters! {
        /// Field 2: PAN (keyed or IC transactions).
        pan: &'v str,
        /// Field 4: amount in fen.
        amount: u64,
        /// Field 12: local time hhmmss (replies; the original's in a TC upload).
        time: &'v str,
        /// Field 13: local date MMDD (replies; the original's in a TC upload).
        date: &'v str,
        /// Field 14: expiry YYMM.
        expiry: &'v str,
        /// Field 22: entry mode, e.g. `021` swiped with PIN, `051` contact IC with PIN.
        entry_mode: &'v str,
        /// Field 23: card sequence number (IC).
        card_sequence: &'v str,
        /// Field 26: PIN capture code (maximum PIN length), e.g. `06` or `12`.
        pin_capture: &'v str,
        /// Field 35: track 2.
        track2: &'v str,
        /// Field 36: track 3.
        track3: &'v str,
        /// Field 37: retrieval reference number of the original (voids, refunds).
        rrn: &'v str,
        /// Field 38: authorisation code of the original (pre-authorisation completion).
        auth_code: &'v str,
        /// Field 49: currency, `156` for CNY.
        currency: &'v str,
        /// Field 48: settlement totals.
        settlement: SettlementTotals,
        /// Field 52: the encrypted PIN block, 8 bytes (16 under the SM4 profile, with
        /// [`Request::spec`] set to [`CUPS_SM4`](crate::specs::CUPS_SM4)).
        pin_block: &'v [u8],
        /// Field 53: security control, e.g. `2600000000000000`.
        security: &'v str,
        /// Field 55: ICC data (BER-TLV).
        icc: &'v [u8],
        /// Field 60.3: network management code, overriding the transaction's.
        network: &'v str,
        /// Field 60.4: terminal read capability (e.g. 5 contact IC, 6 contactless).
        read_capability: u8,
        /// Field 60.5: IC card condition code.
        ic_condition: u8,
        /// Field 61: the original transaction.
        original: Original,
        /// Field 62: private data (terminal status, TC upload detail…).
        private62: &'v [u8],
        /// Field 63: operator number (sign-in) or card organisation code, `an3` then free text.
        operator: &'v str,
    }

    /// Field 60 as digits: 60.1, 60.2, then 60.3–60.5 as far as any is set.
    fn field60<'o>(&self, out: &'o mut [u8; 13]) -> &'o [u8] {
        let c = self.transaction.codes();
        let mut n = 0;
        let mut push = |bytes: &[u8]| {
            for &b in bytes {
                if let Some(slot) = out.get_mut(n) {
                    *slot = b;
                    n += 1;
                }
            }
        };
        push(c.type_code.as_bytes());
        push(&digits::<6>(u64::from(self.batch)));
        let network = self.network.or(c.network);
        if network.is_some() || self.read_capability.is_some() || self.ic_condition.is_some() {
            // 60.3 is positional: a financial transaction that sends 60.4/60.5 writes
            // network management code 000 before them (CUPS field 60 table).
            push(network.unwrap_or("000").as_bytes());
        }
        if self.read_capability.is_some() || self.ic_condition.is_some() {
            // 60.4 is `0` (unspecified) when only 60.5 is given.
            let capability = self.read_capability.map_or(0, u64::from);
            push(&[ascii_digit(capability)]);
        }
        if let Some(ic) = self.ic_condition {
            push(&[ascii_digit(u64::from(ic))]);
        }
        // `push` never goes past the end: `n` is at most the buffer's length.
        out.split_at(n.min(13)).0
    }

    /// Encodes the request into `out`. With [`Request::with_mac`], field 64 is zeroed and
    /// [`Encoded::mac`] / [`Encoded::mab`] say where the MAC goes and what it covers.
    ///
    /// # Errors
    /// Any field that does not fit its format (path and offset in the error), or
    /// [`ErrorKind::BufferTooSmall`].
    pub fn encode(&self, out: &mut [u8]) -> Result<Encoded, Error> {
        let c = self.transaction.codes();
        let mti = if self.reversal {
            Transaction::REVERSAL_MTI
        } else {
            c.mti
        };
        let mti = Mti::from_u16(mti).ok_or(at(ErrorKind::InvalidMti, 0))?;
        let mut e = Encoder::new(self.spec, out, mti)?;
        let text = |s: Option<&'v str>| s.map(str::as_bytes);
        if let Some(pan) = text(self.pan) {
            e.field(2, pan)?;
        }
        if let Some(p) = c.processing {
            e.field(3, p.as_bytes())?;
        }
        if let Some(a) = self.amount {
            e.number(4, a)?;
        }
        if self.stan > 999_999 {
            return Err(Error::new(
                ErrorKind::InvalidLength { max: 6, found: 7 },
                0,
                FieldPath::field(11),
            ));
        }
        e.field(11, &digits::<6>(u64::from(self.stan)))?;
        for (n, v) in [
            (12, self.time),
            (13, self.date),
            (14, self.expiry),
            (22, self.entry_mode),
            (23, self.card_sequence),
        ] {
            if let Some(v) = v {
                e.field(n, v.as_bytes())?;
            }
        }
        if let Some(cond) = c.condition {
            e.field(25, cond.as_bytes())?;
        }
        for (n, v) in [
            (26, self.pin_capture),
            (35, self.track2),
            (36, self.track3),
            (37, self.rrn),
            (38, self.auth_code),
            (39, self.response_code),
        ] {
            if let Some(v) = v {
                e.field(n, v.as_bytes())?;
            }
        }
        e.field(41, self.terminal.as_bytes())?;
        e.field(42, self.merchant.as_bytes())?;
        if let Some(totals) = self.settlement {
            e.field(48, &totals.to_digits())?;
        }
        if let Some(cur) = self.currency {
            e.field(49, cur.as_bytes())?;
        }
        if let Some(pin) = self.pin_block {
            e.field(52, pin)?;
        }
        if let Some(sec) = self.security {
            e.field(53, sec.as_bytes())?;
        }
        if let Some(icc) = self.icc {
            e.field(55, icc)?;
        }
        let mut f60 = [0u8; 13];
        e.field(60, self.field60(&mut f60))?;
        if let Some(o) = self.original {
            let mut f61 = [b'0'; 16];
            let (head, date) = f61.split_at_mut(12);
            let (batch, stan) = head.split_at_mut(6);
            batch.copy_from_slice(&digits::<6>(u64::from(o.batch)));
            stan.copy_from_slice(&digits::<6>(u64::from(o.stan)));
            // 61.3, the original's date, is left out when unknown (a void in the same batch).
            let len = if o.date == 0 {
                12
            } else {
                date.copy_from_slice(&digits::<4>(u64::from(o.date)));
                16
            };
            e.field(61, f61.split_at(len).0)?;
        }
        if let Some(p) = self.private62 {
            e.field(62, p)?;
        }
        if let Some(op) = self.operator {
            e.field(63, op.as_bytes())?;
        }
        if self.mac {
            e.field(64, &[0; 8])?;
        }
        e.finish()
    }
}
