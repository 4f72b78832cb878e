//! China UnionPay POS (直联POS) transactions on the [`CUPS`] spec: the
//! MTI, processing code (field 3), condition code (field 25) and transaction type code
//! (field 60.1) of each transaction, a typed request builder, and typed readers of the fields
//! a POS needs from replies.
//!
//! The code table is the one of 《中国银联POS终端消息域说明》 (2002-05) as summarised in
//! `shared/research/iso8583.md` §d; network management codes (60.3) marked "commonly cited"
//! there are the values public clients send — confirm them with the acquirer.
//!
//! ```
//! use cardwire_iso8583::cups::{Request, Transaction};
//! use cardwire_iso8583::{Message, specs};
//! let mut buf = [0u8; 256];
//! let done = Request::new(Transaction::Purchase, "16688014", "000000000000001")
//!     .stan(1834)
//!     .batch(1)
//!     .amount(51)
//!     .entry_mode("021")
//!     .pin_capture("06")
//!     .track2("4392260009942820D131210112008439")
//!     .currency("156")
//!     .pin_block(&[0xAC, 0xF4, 0x6E, 0x73, 0x83, 0x8A, 0x82, 0xF9])
//!     .security("2600000000000000")
//!     .with_mac()
//!     .encode(&mut buf)?;
//! // The MAC input block is ready for the MAC; the 8 bytes of field 64 wait at `done.mac`.
//! assert_eq!(done.mab(), Some(0..91));
//! let msg = Message::decode(&specs::CUPS, &buf[..done.len])?;
//! assert_eq!(Transaction::of(&msg), Some(Transaction::Purchase));
//! # Ok::<(), cardwire_iso8583::Error>(())
//! ```

use core::fmt;

use crate::encode::{Encoded, Encoder};
use crate::error::{Error, ErrorKind, FieldPath, at};
use crate::message::Message;
use crate::mti::Mti;
use crate::specs::CUPS;

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
    pub const ALL: [Self; 16] = [
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
        let reversal = request == 400;
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
    matches!(msg.mti().to_u16(), 400 | 410)
}

/// Field 61: the original transaction of a void, refund, completion or reversal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Original {
    /// 61.1 original batch number.
    pub batch: u32,
    /// 61.2 original system trace audit number.
    pub stan: u32,
    /// 61.3 original transaction date, MMDD (0 to leave out, e.g. for a void).
    pub date: u16,
}

/// One card group's totals in a settlement (field 48).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    /// Debit total in fen (n12).
    pub debit_amount: u64,
    /// Number of debits (n3).
    pub debit_count: u16,
    /// Credit total in fen (n12).
    pub credit_amount: u64,
    /// Number of credits (n3).
    pub credit_count: u16,
    /// Reconciliation result (n1): 0 in the request; in the reply 1 balanced, 2 unbalanced,
    /// 3 error (as commonly documented).
    pub result: u8,
}

/// Field 48 of a settlement (0500/0510): domestic-card and foreign-card totals, 62 digits.
///
/// Layout as commonly documented for CUPS POS (amount n12, count n3 for debits, then for
/// credits, then a result digit; domestic first, foreign second) — confirm with the acquirer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SettlementTotals {
    /// Domestic (内卡) totals.
    pub domestic: Totals,
    /// Foreign (外卡) totals.
    pub foreign: Totals,
}

impl SettlementTotals {
    /// Digits in field 48.
    pub const LEN: usize = 62;

    /// Writes the 62 digits.
    pub fn to_digits(&self) -> [u8; Self::LEN] {
        let mut out = [b'0'; Self::LEN];
        let mut pos = 0;
        let mut put = |value: u64, width: usize| {
            let mut v = value;
            for i in (0..width).rev() {
                if let Some(d) = out.get_mut(pos + i) {
                    *d = b'0' + u8::try_from(v % 10).unwrap_or(0);
                }
                v /= 10;
            }
            pos += width;
        };
        for t in [self.domestic, self.foreign] {
            put(t.debit_amount, 12);
            put(u64::from(t.debit_count), 3);
            put(t.credit_amount, 12);
            put(u64::from(t.credit_count), 3);
            put(u64::from(t.result), 1);
        }
        out
    }

    /// Reads field 48 of a decoded settlement message.
    pub fn from_message(msg: &Message<'_, '_>) -> Option<Self> {
        let f = msg.get(48)?;
        if f.len() != Self::LEN {
            return None;
        }
        let mut pos = 0;
        let mut take = |width: usize| {
            let v = f.slice(pos, width).and_then(|c| c.to_u64());
            pos += width;
            v
        };
        let mut group = || {
            Some(Totals {
                debit_amount: take(12)?,
                debit_count: u16::try_from(take(3)?).ok()?,
                credit_amount: take(12)?,
                credit_count: u16::try_from(take(3)?).ok()?,
                result: u8::try_from(take(1)?).ok()?,
            })
        };
        let domestic = group()?;
        let foreign = group()?;
        Some(Self { domestic, foreign })
    }
}

/// A CUPS POS request, built field by field and encoded in field order.
///
/// Field 3, 25 and 60.1 (and 60.3 where the transaction has one) come from the
/// [`Transaction`]; everything card- and terminal-specific is set here. Text is given as it
/// travels (digits, track data with `D` or `=` as separator).
#[derive(Clone, Copy)]
pub struct Request<'v> {
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
    pin_block: Option<&'v [u8; 8]>,
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
        /// Field 52: the encrypted PIN block.
        pin_block: &'v [u8; 8],
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
    fn field60(&self, out: &mut [u8; 13]) -> usize {
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
        push(&digits6(self.batch));
        let network = self.network.or(c.network);
        if network.is_some() || self.read_capability.is_some() || self.ic_condition.is_some() {
            push(network.unwrap_or("000").as_bytes());
        }
        if self.read_capability.is_some() || self.ic_condition.is_some() {
            push(&[b'0' + self.read_capability.unwrap_or(0) % 10]);
        }
        if let Some(ic) = self.ic_condition {
            push(&[b'0' + ic % 10]);
        }
        n
    }

    /// Encodes the request into `out`. With [`Request::with_mac`], field 64 is zeroed and
    /// [`Encoded::mac`] / [`Encoded::mab`] say where the MAC goes and what it covers.
    ///
    /// # Errors
    /// Any field that does not fit its format (path and offset in the error), or
    /// [`ErrorKind::BufferTooSmall`].
    pub fn encode(&self, out: &mut [u8]) -> Result<Encoded, Error> {
        let c = self.transaction.codes();
        let mti = if self.reversal { 400 } else { c.mti };
        let mti = Mti::from_u16(mti).ok_or(at(ErrorKind::InvalidMti, 0))?;
        let mut e = Encoder::new(&CUPS, out, mti)?;
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
        e.field(11, &digits6(self.stan))?;
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
        let n = self.field60(&mut f60);
        e.field(60, f60.get(..n).unwrap_or_default())?;
        if let Some(o) = self.original {
            let mut f61 = [b'0'; 16];
            let (head, date) = f61.split_at_mut(12);
            let (batch, stan) = head.split_at_mut(6);
            batch.copy_from_slice(&digits6(o.batch));
            stan.copy_from_slice(&digits6(o.stan));
            let len = if o.date == 0 {
                12
            } else {
                for (i, d) in date.iter_mut().enumerate() {
                    let div = [1000, 100, 10, 1].get(i).copied().unwrap_or(1);
                    *d = b'0' + u8::try_from(o.date / div % 10).unwrap_or(0);
                }
                16
            };
            e.field(61, f61.get(..len).unwrap_or_default())?;
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

/// Six zero-padded digits of `v` (mod 10⁶).
fn digits6(v: u32) -> [u8; 6] {
    let mut out = [b'0'; 6];
    let mut x = v;
    for d in out.iter_mut().rev() {
        *d = b'0' + u8::try_from(x % 10).unwrap_or(0);
        x /= 10;
    }
    out
}

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
