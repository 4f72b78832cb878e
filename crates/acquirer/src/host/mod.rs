//! The acquirer host: answers CUPS POS request frames, keeps its ledger.
//!
//! [`Host::handle`] takes one request frame (2-byte length, TPDU, 6-byte header, message) and
//! writes the reply frame into the caller's buffer. It needs `alloc` (the registry and the
//! session cache); the clock and the random source are the caller's, so the same core runs
//! in a server, a test or a fuzzer.
//!
//! What the host checks, in order, and the response code it declines with:
//!
//! | check | code |
//! |---|---|
//! | sign-in: terminal registered, activated, bound, not locked out; field 42 is its merchant; TPDU and header are its profile's; field 62 is the bound device's serial number; field 64 is the proof under the key derived from its TMK; its time (fields 13, 12) within the window of the host's clock ([`Host::with_sign_in_window`]) and, with its STAN, strictly after the last sign-in accepted from it | `03` (reply not MAC'd) |
//! | key download (0800, 60.3 `399`; `key_download.rs`): a signing key configured; terminal registered, activated, bound, not locked out, of the SM4 profile; field 42 its merchant; TPDU and header its profile's; field 62 its registered SM2 public key and serial number | `03` (reply not MAC'd, no field 62) |
//! | any other request: terminal registered, activated, bound, not locked out; field 42 is its merchant; TPDU and header are its profile's; it is signed in; field 64 verifies under its MAK by its profile's algorithm | `A0` (reply not MAC'd) |
//! | a transaction the host knows (after the MAC) | `12` |
//! | no field outside those a POS request carries; field 53 is the profile's and comes with a PIN block (field 52) only, as do field 26 and a PIN digit `1` in field 22 | `30` |
//! | same terminal, batch and STAN already answered | `94` |
//! | card number known (field 2 / track 2), track 2 and expiry agree with the card file | `14` |
//! | card not expired | `54` |
//! | PIN (field 52, format 0 under the PIK) matches the PVV | `55` |
//! | chip data (field 55) agrees with the message: `9F02` with field 4, `5F2A` with field 49, `9A` with the host's date (±1 day, [`Host::with_chip_date_tolerance`]) and field 13 if sent, `9C` with field 3; `9F37` present; the CDOL1 covers all five | `A7` |
//! | ARQC (field 55) verifies under the card's session key | `A7` |
//! | amount present and not zero | `13` |
//! | original of a void, refund or completion found, live and matching, made by this terminal for its merchant (or a number of its pool) | `25` |
//! | original not already voided / completed; refund within the amount left | `12` / `13` |
//! | a reversal of a transaction voided, refunded or completed since | `12` |
//! | enough balance or credit | `51` |
//!
//! Replies to requests the host could verify carry a MAC; an `A0` (and a `03`, and any reply
//! to a terminal without working keys) goes back without field 64, as CUPS hosts answer: the
//! terminal cannot trust a MAC made with keys it has just proved not to share.
//!
//! Unauthenticated requests are answered alike whatever failed — unknown terminal, another
//! merchant's number, a wrong header, no session, a bad MAC, a lockout — `A0` (`03` at
//! sign-in), so that the answers tell nobody which terminals and merchants exist. Echo tests
//! and sign-outs carry no MAC in CUPS: they are answered `00` without looking anything up.
//! Failures of registered terminals count towards their [`Lockout`].
//!
//! Money: a purchase debits the card account, a pre-authorisation holds the amount, its
//! completion releases the hold and debits the completed amount, voids and refunds credit.
//! The merchant's fee on a purchase or completion is its [`FeeRate`](cardwire_merchant::FeeRate)'s
//! fee, rounded half up to the fen (the rule the terminal quotes with); a void returns the
//! original's fee; a refund returns none (the acquirer keeps the fee of a refunded sale).
//!
//! Every answered financial request is recorded (declines too, so that a repeat is a
//! duplicate) with [`Ledger::post`] before the reply is written; a reversal is applied with
//! [`Ledger::reverse`] before its reply. A ledger failure is an `Err`: no reply, and the
//! terminal's timeout and reversal take over.
//!
//! The handlers are grouped by concern, one `impl` block per file: sign-in and the terminal
//! sessions (`sign_in.rs`), financial requests (`financial.rs`), settlement and batch upload
//! (`settlement.rs`), reversals (`reversal.rs`); `card.rs` checks cards as their issuer and
//! `reply.rs` writes the reply frame.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::sync::Arc;
use core::fmt;

use cardwire_crypto::block::TdesCipher;
use cardwire_crypto::cups::MacAlgorithm;
use cardwire_crypto::sm::SessionCiphers;
use cardwire_iso8583::cups::{ResponseCode, Transaction};
use cardwire_iso8583::frame::{FrameFormat, Progress, Tpdu};
use cardwire_iso8583::time::DateTime;
use cardwire_iso8583::{Message, specs};
use cardwire_merchant::Fen;
use rand_core::TryCryptoRng;

use crate::error::{Error, ErrorKind, Result};
use crate::ledger::{Ledger, Reversed};
use crate::registry::{Registry, TerminalEntry};

mod card;
mod duplicate;
mod fields;
mod financial;
mod guard;
mod key_download;
mod reply;
mod reversal;
mod settlement;
mod sign_in;

/// Field 41 of a request message (the message of one CUPS frame), read before the request is
/// decoded: every spec variant lays out the fields up to 41 alike (`cups-enc-track` is `cups`
/// with fields 35 and 36 of any nibble; SM4 differs from field 52 on), so their structure is
/// walked and field 41 alone validated.
pub(crate) fn terminal_id(message: &[u8]) -> Option<&str> {
    Message::peek(&specs::CUPS_ENC_TRACK, message, 41)
        .ok()
        .flatten()
        .and_then(|f| f.as_str())
}

pub use guard::{Lockout, SecurityCounts, SecurityEvent};
pub use settlement::batch_totals;

use guard::Guard;

use reply::{ReplyParts, write_reply};

/// A terminal's working keys and batch, as the host holds them between requests.
#[derive(Clone)]
struct Session {
    /// TDES or SM4, as the terminal's profile says, their MAK and PIK schedules expanded
    /// when the keys were opened (shared: a request's copy of the session copies no key).
    keys: Arc<SessionCiphers>,
    batch: u32,
    pool_next: u32,
    /// The terminal profile's MAC algorithm, for the replies.
    algorithm: MacAlgorithm,
}

impl Session {
    /// How the replies to this terminal are MAC'd.
    fn mac(&self) -> Mac<'_> {
        Mac {
            keys: &self.keys,
            algorithm: self.algorithm,
        }
    }
}

/// The working keys whose MAK MACs, and the algorithm it MACs with.
#[derive(Clone, Copy)]
struct Mac<'a> {
    keys: &'a SessionCiphers,
    algorithm: MacAlgorithm,
}

/// What the host did with one request: for logs (no card data in it but the masked card
/// number).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    /// Bytes of the reply frame written.
    pub len: usize,
    /// The request MTI.
    pub mti: u16,
    /// The transaction, when the request was recognised.
    pub transaction: Option<Transaction>,
    /// Field 41 of the request.
    pub terminal_id: String,
    /// Field 11 of the request.
    pub stan: u32,
    /// Field 4 of the request, fen.
    pub amount: Option<u64>,
    /// The response code given (`None` for a reply without field 39).
    pub response: Option<ResponseCode>,
    /// What a reversal did.
    pub reversed: Option<Reversed>,
    /// The merchant number the reply carries in field 42.
    pub merchant_no: String,
    /// What authentication did, when the request was refused as unauthenticated.
    pub security: Option<SecurityEvent>,
    /// The request's card number (field 2, else a track 2 in clear), masked: first 6 and
    /// last 4 digits shown. For the log line, which then needs no second decode.
    pub card: Option<String>,
}

impl fmt::Display for Answer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04} ", self.mti)?;
        match self.transaction {
            Some(t) => write!(f, "{t}")?,
            None => f.write_str("unknown")?,
        }
        write!(f, " terminal {} stan {:06}", self.terminal_id, self.stan)?;
        if let Some(a) = self.amount {
            let fen = i64::try_from(a).map_err(|_| fmt::Error)?;
            write!(f, " amount {}", Fen(fen))?;
        }
        match self.response {
            Some(r) => write!(f, " -> {r}")?,
            None => f.write_str(" -> no code")?,
        }
        if let Some(r) = self.reversed {
            write!(f, " ({r:?})")?;
        }
        if !self.merchant_no.is_empty() {
            write!(f, " merchant {}", self.merchant_no)?;
        }
        if let Some(e) = self.security {
            write!(f, " ({e})")?;
        }
        Ok(())
    }
}

/// The acquirer host over a [`Ledger`].
///
/// ```
/// # #[cfg(feature = "std")] {
/// use cardwire_acquirer::ledger::MemoryLedger;
/// use cardwire_acquirer::{
///     DateTime, Host, IssuerKeys, Merchant, OsRng, Registry, ResponseCode, TerminalEntry,
///     TerminalProfile,
/// };
/// use cardwire_crypto::TdesKey;
/// use cardwire_crypto::cups::sign_in_proof;
/// use cardwire_crypto::sm::cups::MasterKey;
/// use cardwire_crypto::emv::CdolProfile;
/// use cardwire_iso8583::cups::{Request, Transaction};
/// use cardwire_iso8583::frame::{FrameFormat, Tpdu};
/// use cardwire_merchant::FeeRate;
///
/// let key = |hex| TdesKey::from_hex(hex);
/// let registry = Registry {
///     merchants: vec![Merchant {
///         merchant_no: "105584070110001".into(),
///         name: "A hotel".into(),
///         mcc: "7011".into(),
///         fee_rate: FeeRate::from_bps(60),
///     }],
///     terminals: vec![TerminalEntry {
///         terminal_id: "10000001".into(),
///         serial: "SN0001".into(),
///         tmk: MasterKey::Tdes(key("0123456789ABCDEFFEDCBA9876543210")?),
///         activated: true,
///         merchant_no: Some("105584070110001".into()),
///         pool: vec![],
///         profile: TerminalProfile::STANDARD,
///         device_key: None,
///     }],
///     cardholders: vec![],
///     issuer: IssuerKeys {
///         imk_ac: key("0123456789ABCDEF0123456789ABCDEF")?,
///         pvk: key("FEDCBA9876543210FEDCBA9876543210")?,
///         pvki: 1,
///         cdol1: vec![],
///         profile: CdolProfile::STANDARD,
///     },
/// };
/// let mut host = Host::new(registry, MemoryLedger::default())?;
/// let now = DateTime::new(2026, 3, 1, 9, 30, 0).ok_or("date")?;
///
/// // A terminal's sign-in (0800), framed as it travels: length, TPDU, header, message. It
/// // carries the device's serial number, its clock and STAN and, in field 64, a proof over
/// // them under the key derived from the terminal master key the device holds.
/// let tmk = key("0123456789ABCDEFFEDCBA9876543210")?;
/// let sign_in = |terminal| -> Result<Vec<u8>, Box<dyn std::error::Error>> {
///     let mut message = [0u8; 256];
///     let done = Request::new(Transaction::SignIn, terminal, "105584070110001")
///         .stan(1)
///         .batch(1)
///         .operator("001")
///         .time("093000")
///         .date("0301")
///         .private62(b"SN0001")
///         .with_mac()
///         .encode(&mut message)?;
///     let n = done.len;
///     let (mab, mac) = done.mab().zip(done.mac.clone()).ok_or("no MAC")?;
///     let proof = sign_in_proof(&tmk, message.get(mab).ok_or("MAB")?)?;
///     message.get_mut(mac).ok_or("MAC")?.copy_from_slice(&proof);
///     let tpdu = Tpdu::parse(&[0x60, 0x00, 0x03, 0x00, 0x00])?;
///     let mut frame = vec![0u8; 300];
///     let header = [0x60, 0x31, 0x00, 0x31, 0x02, 0x08];
///     let len = FrameFormat::CUPS.write(Some(tpdu), &header, &message[..n], &mut frame)?;
///     frame.truncate(len);
///     Ok(frame)
/// };
///
/// // The bound device gets its working keys; a terminal the registry does not know is
/// // refused like any unauthenticated request.
/// let mut reply = [0u8; 512];
/// let answer = host.handle(&sign_in("10000001")?, now, &mut OsRng, &mut reply)?;
/// assert_eq!(answer.response, Some(ResponseCode::Approved));
/// let answer = host.handle(&sign_in("99999999")?, now, &mut OsRng, &mut reply)?;
/// assert_ne!(answer.response, Some(ResponseCode::Approved));
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Host<L: Ledger> {
    /// Shared with the host's copies ([`Host::duplicate`]) until one of them changes it.
    registry: Arc<Registry>,
    ledger: L,
    sessions: BTreeMap<String, Session>,
    seq: u64,
    guard: Guard,
    chip_date_days: u32,
    sign_in_window_secs: u32,
    /// The acquirer's SM2 key that signs remote key downloads; `None`: no download served.
    rkd_signer: Option<cardwire_crypto::sm::sm2::PrivateKey>,
    /// The issuer keys' schedules, expanded once; `None` after the registry may have changed
    /// (expanded again at the next card checked).
    issuer: Option<IssuerCiphers>,
}

/// The issuer's fixed keys with their schedules expanded: the PVK (every PIN) and the
/// IMK-AC (every ARQC's ICC master key). Wiped on drop (`des`'s `zeroize`).
#[derive(Clone)]
struct IssuerCiphers {
    pvk: TdesCipher,
    imk_ac: TdesCipher,
}

impl IssuerCiphers {
    fn new(issuer: &crate::registry::IssuerKeys) -> Self {
        Self {
            pvk: issuer.pvk.cipher(),
            imk_ac: issuer.imk_ac.cipher(),
        }
    }
}

impl<L: Ledger> fmt::Debug for Host<L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Host")
            .field("terminals", &self.registry.terminals.len())
            .field("seq", &self.seq)
            .finish_non_exhaustive()
    }
}

/// The request fields every handler needs.
struct Head {
    mti: u16,
    transaction: Option<Transaction>,
    terminal_id: String,
    merchant_no: String,
    stan: u32,
    batch: u32,
    amount: Option<u64>,
    card: Option<String>,
}

/// The request's card number (field 2, else the digits of a track 2 in clear), first 6 and
/// last 4 shown: read from the decoded request, for the log line. An enciphered track names
/// no card here.
fn masked_card(msg: &Message<'_, '_>) -> Option<String> {
    use cardwire_emv::mask::{Masking, write_masked};
    let mut out = String::new();
    if let Some(pan) = msg.get(2) {
        write_masked(&mut out, pan.chars(), Masking::Pan).ok()?;
    } else if core::ptr::eq(msg.spec(), &specs::CUPS) {
        let track2 = msg.get(35)?;
        let digits = track2.chars().take_while(char::is_ascii_digit);
        write_masked(&mut out, digits, Masking::Pan).ok()?;
    } else {
        return None;
    }
    Some(out)
}

fn text(msg: &Message<'_, '_>, n: usize) -> String {
    msg.get(n).map(|c| c.chars().collect()).unwrap_or_default()
}

/// `N` zero-padded ASCII digits of `v` (modulo 10^N).
fn digits<const N: usize>(mut v: u64) -> [u8; N] {
    let mut out = [b'0'; N];
    for d in out.iter_mut().rev() {
        // `v % 10` is below 10: the cast cannot truncate.
        #[allow(clippy::cast_possible_truncation)]
        let digit = (v % 10) as u8;
        *d = b'0' + digit;
        v /= 10;
    }
    out
}

impl<L: Ledger> Host<L> {
    /// A host with this registry and ledger. Opens each cardholder's account (at its opening
    /// balance) unless the ledger has it already.
    ///
    /// # Errors
    /// [`ErrorKind::Ledger`].
    pub fn new(registry: Registry, mut ledger: L) -> Result<Self> {
        for c in &registry.cardholders {
            ledger.open_account(&c.pan, c.balance)?;
        }
        let seq = ledger.last_seq()?;
        Ok(Self {
            registry: Arc::new(registry),
            ledger,
            sessions: BTreeMap::new(),
            seq,
            guard: Guard::default(),
            chip_date_days: 1,
            sign_in_window_secs: Self::SIGN_IN_WINDOW_SECS,
            rkd_signer: None,
            issuer: None,
        })
    }

    /// How far, by default, a sign-in's time (fields 13 and 12) may be from the host's clock:
    /// 10 minutes (terminal clocks are set from the host's replies; a recording older than
    /// this is refused even if the terminal never signed in since).
    pub const SIGN_IN_WINDOW_SECS: u32 = 600;

    /// With this many seconds allowed between a sign-in's time and the host's (default
    /// [`Self::SIGN_IN_WINDOW_SECS`]).
    #[must_use]
    pub fn with_sign_in_window(mut self, seconds: u32) -> Self {
        self.sign_in_window_secs = seconds;
        self
    }

    /// With this many days allowed between a chip's transaction date (`9A`) and the host's
    /// (default 1: terminal clocks and time zones differ by hours, not days).
    #[must_use]
    pub fn with_chip_date_tolerance(mut self, days: u32) -> Self {
        self.chip_date_days = days;
        self
    }

    /// With this lockout rule instead of the default (5 failures, 15 minutes).
    #[must_use]
    pub fn with_lockout(mut self, lockout: Lockout) -> Self {
        self.guard.policy = lockout;
        self
    }

    /// What authentication refused since the host started.
    pub fn security_counts(&self) -> SecurityCounts {
        self.guard.counts
    }

    /// The registry.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The registry, to activate and bind terminals or add cardholders while serving.
    pub fn registry_mut(&mut self) -> &mut Registry {
        // The issuer keys may change through it.
        self.issuer = None;
        Arc::make_mut(&mut self.registry)
    }

    /// Puts `registry` in place of the host's (an operator changed the stored registry while
    /// the host serves): opens the accounts of cardholders it did not know. A terminal
    /// unbound or deactivated in `registry` is refused from its next request; cached
    /// sessions stay, their terminals checked against the new registry at every request.
    ///
    /// # Errors
    /// [`ErrorKind::Ledger`] (the registry is then not replaced).
    pub fn replace_registry(&mut self, registry: Registry) -> Result<()> {
        let known: alloc::collections::BTreeSet<&str> = self
            .registry
            .cardholders
            .iter()
            .map(|c| c.pan.as_str())
            .collect();
        for c in &registry.cardholders {
            if !known.contains(c.pan.as_str()) {
                self.ledger.open_account(&c.pan, c.balance)?;
            }
        }
        self.registry = Arc::new(registry);
        self.issuer = None;
        // Terminals may have come or gone: their lockout counts are read again.
        self.guard.forget();
        Ok(())
    }

    /// The ledger.
    pub fn ledger(&mut self) -> &mut L {
        &mut self.ledger
    }

    /// Forgets the cached terminal sessions and lockout counts (they are read again from the
    /// ledger): after a group commit failed, the cache may hold keys or counts the ledger
    /// does not.
    pub fn forget_sessions(&mut self) {
        self.sessions.clear();
        self.guard.forget();
    }

    /// The ledger, giving up the host.
    pub fn into_ledger(self) -> L {
        self.ledger
    }

    /// Answers one request frame. `now` is the host's local time, `rng` draws fresh working
    /// keys at sign-in and authorisation codes. Returns what was done; the reply frame is in
    /// `out[..answer.len]`.
    ///
    /// # Errors
    /// A frame that is not one CUPS frame, or a message too broken to answer (no MTI of a
    /// request, or no terminal id): the caller closes the connection. [`ErrorKind::Ledger`]
    /// when the ledger fails (nothing is answered), [`ErrorKind::BufferTooSmall`] for an
    /// `out` too small for the reply (512 bytes always suffice), [`ErrorKind::Crypto`] when
    /// `rng` fails.
    pub fn handle<R: TryCryptoRng + ?Sized>(
        &mut self,
        frame: &[u8],
        now: DateTime,
        rng: &mut R,
        out: &mut [u8],
    ) -> Result<Answer> {
        let not_one_frame = || {
            Error::new(ErrorKind::Message(
                cardwire_iso8583::ErrorKind::InvalidFrameLength,
            ))
            .during("reading a request frame")
        };
        let Progress::Complete(f) = FrameFormat::CUPS.read(frame)? else {
            return Err(not_one_frame());
        };
        if f.len != frame.len() {
            return Err(not_one_frame());
        }
        // Field 41 names the terminal, whose profile's spec reads the request, decoded once.
        let spec = terminal_id(f.message)
            .and_then(|tid| self.registry.terminal(tid))
            .map_or(&specs::CUPS, |e| e.profile.spec());
        let (msg, malformed) = decode(spec, f.message)?;
        let mti = msg.mti().to_u16();
        if !Transaction::is_request_mti(mti) {
            return Err(Error::new(ErrorKind::NotARequest).about(alloc::format!("MTI {mti:04}")));
        }
        let head = Head {
            mti,
            transaction: Transaction::of(&msg),
            terminal_id: text(&msg, 41),
            merchant_no: text(&msg, 42),
            stan: msg
                .get(11)
                .and_then(|c| c.to_u64())
                .and_then(|v| u32::try_from(v).ok())
                .unwrap_or(0),
            batch: msg
                .field(60)
                .and_then(|f| f.subfield(2))
                .and_then(|c| c.to_u64())
                .and_then(|v| u32::try_from(v).ok())
                .unwrap_or(0),
            amount: msg.get(4).and_then(|c| c.to_u64()),
            card: masked_card(&msg),
        };
        let mut io = Io {
            msg: &msg,
            tpdu: f.tpdu,
            header: f.header,
            now,
            out,
        };
        if malformed {
            return io.answer(&head, simple(ResponseCode::FormatError, now));
        }
        // `Transaction::of` matched the MTI with the transaction's codes (a reversal carries
        // its original's).
        let reversal = mti == Transaction::REVERSAL_MTI;
        match head.transaction {
            Some(Transaction::SignIn) if !reversal => self.sign_in(&head, &mut io, rng),
            Some(Transaction::KeyDownload) if !reversal => self.key_download(&head, &mut io, rng),
            // Sign-out and echo test carry no MAC: answered alike for every terminal, known
            // or not, so that they tell nothing.
            Some(t) if t.is_network_management() && !reversal => {
                io.answer(&head, simple(ResponseCode::Approved, now))
            }
            _ => {
                // Everything else is answered only once the MAC verified.
                let session = match self.verified(&head, &mut io)? {
                    Ok(s) => s,
                    Err(refusal) => return Ok(refusal),
                };
                let refuse = |io: &mut Io<'_, '_, '_, '_>, code| {
                    io.answer(
                        &head,
                        ReplyParts {
                            mac: Some(session.mac()),
                            ..simple(code, now)
                        },
                    )
                };
                let profile = self.registry.terminal(&head.terminal_id).map(|e| e.profile);
                let checked =
                    profile.map_or(Err(ResponseCode::SystemError), |p| fields::check(&msg, &p));
                if let Err(code) = checked {
                    return refuse(&mut io, code);
                }
                match head.transaction {
                    Some(t) if reversal && t.needs_reversal() => {
                        self.reversal(&head, &session, &mut io)
                    }
                    Some(Transaction::Settlement) if !reversal => {
                        self.settlement(&head, session, &mut io)
                    }
                    Some(t) if t.is_advice() && !reversal => {
                        self.acknowledge(&head, &session, &mut io)
                    }
                    Some(t) if t.is_financial() && !reversal => {
                        self.financial(&head, t, session, &mut io, rng)
                    }
                    _ => refuse(&mut io, ResponseCode::InvalidTransaction),
                }
            }
        }
    }

    /// The issuer keys' expanded schedules, expanded now if the registry may have changed.
    fn issuer_ciphers(&mut self) -> IssuerCiphers {
        self.issuer
            .get_or_insert_with(|| IssuerCiphers::new(&self.registry.issuer))
            .clone()
    }

    /// The terminal's registry entry, if it is bound to the merchant of field 42.
    fn bound(&self, head: &Head) -> Option<&TerminalEntry> {
        self.registry.terminal(&head.terminal_id).filter(|entry| {
            entry.is_bound() && entry.merchant_no.as_deref() == Some(head.merchant_no.as_str())
        })
    }

    /// The next sequence number and the RRN made of it: the ledger's when it hands them out
    /// (shared by several nodes), else the host's own count.
    fn next_seq(&mut self) -> Result<(u64, [u8; 12])> {
        let seq = match self.ledger.next_seq()? {
            Some(seq) => seq,
            None => {
                self.seq += 1;
                self.seq
            }
        };
        Ok((seq, digits::<12>(seq)))
    }
}

/// A request decoded by `spec`: whole, or as far as it reads when it still names its terminal
/// (field 41) — then `true`, answered `30`.
fn decode<'a>(
    spec: &'static cardwire_iso8583::MessageSpec,
    message: &'a [u8],
) -> Result<(Message<'a, 'static>, bool)> {
    match Message::decode(spec, message) {
        Ok(m) => Ok((m, false)),
        Err(e) => {
            let partial = Message::decode_partial(spec, message);
            if partial.message.field(41).is_none() {
                return Err(Error::from(e).during("decoding a request"));
            }
            Ok((partial.message, true))
        }
    }
}

/// A reply with just a response code (and the echoed fields).
fn simple<'a>(code: ResponseCode, time: DateTime) -> ReplyParts<'a> {
    ReplyParts {
        code: Some(code),
        ..ReplyParts::at(time)
    }
}

/// The request being answered and where the reply goes.
struct Io<'m, 'a, 's, 'o> {
    msg: &'m Message<'a, 's>,
    tpdu: Option<Tpdu>,
    header: &'a [u8],
    now: DateTime,
    out: &'o mut [u8],
}

impl Io<'_, '_, '_, '_> {
    fn answer(&mut self, head: &Head, parts: ReplyParts<'_>) -> Result<Answer> {
        let len = write_reply(self.msg, self.tpdu, self.header, &parts, self.out)?;
        Ok(Answer {
            len,
            mti: head.mti,
            transaction: head.transaction,
            terminal_id: head.terminal_id.clone(),
            stan: head.stan,
            amount: head.amount,
            response: parts.code,
            reversed: None,
            merchant_no: parts
                .merchant_no
                .map_or_else(|| head.merchant_no.clone(), Into::into),
            security: None,
            card: head.card.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::ledger::MemoryLedger;
    use crate::registry::IssuerKeys;
    use cardwire_crypto::TdesKey;
    use cardwire_crypto::emv::CdolProfile;

    fn issuer(pvk: u8, imk: u8) -> IssuerKeys {
        IssuerKeys {
            imk_ac: TdesKey::new(&[imk; 16]).unwrap(),
            pvk: TdesKey::new(&[pvk; 16]).unwrap(),
            pvki: 1,
            cdol1: alloc::vec![],
            profile: CdolProfile::STANDARD,
        }
    }

    /// What the host's expanded PVK and IMK-AC make of a block, beside what the keys make.
    fn expanded_and_keys(host: &mut Host<MemoryLedger>) -> ([[u8; 8]; 2], [[u8; 8]; 2]) {
        let ciphers = host.issuer_ciphers();
        let (mut a, mut b) = ([7u8; 8], [7u8; 8]);
        ciphers.pvk.encrypt_block(&mut a);
        ciphers.imk_ac.encrypt_block(&mut b);
        let keys = &host.registry().issuer;
        let (mut c, mut d) = ([7u8; 8], [7u8; 8]);
        keys.pvk.cipher().encrypt_block(&mut c);
        keys.imk_ac.cipher().encrypt_block(&mut d);
        ([a, b], [c, d])
    }

    #[test]
    fn issuer_keys_changed_while_serving_are_the_ones_used() {
        let registry = |issuer| Registry {
            merchants: alloc::vec![],
            terminals: alloc::vec![],
            cardholders: alloc::vec![],
            issuer,
        };
        let mut host = Host::new(registry(issuer(0x13, 0x25)), MemoryLedger::default()).unwrap();
        let (expanded, keys) = expanded_and_keys(&mut host);
        assert_eq!(expanded, keys);
        // Through the registry handle: a stale expanded PVK would verify PINs against the
        // old key.
        host.registry_mut().issuer = issuer(0x31, 0x52);
        let (after, keys_after) = expanded_and_keys(&mut host);
        assert_eq!(after, keys_after);
        assert_ne!(after, expanded);
        // Through a replaced registry, and in a copy of the host.
        host.replace_registry(registry(issuer(0x45, 0x67))).unwrap();
        let mut copy = host.duplicate();
        let (expanded, keys) = expanded_and_keys(&mut copy);
        assert_eq!(expanded, keys);
        assert_ne!(expanded, after);
    }
}
