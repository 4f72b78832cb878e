//! China UnionPay POS (直联POS) transactions on the [`CUPS`](crate::specs::CUPS) spec: the
//! MTI, processing code (field 3), condition code (field 25) and transaction type code
//! (field 60.1) of each transaction and the classes terminals and hosts sort them by
//! ([`transaction`]), a typed request builder ([`Request`]), typed readers of the fields a POS
//! needs from replies ([`Reply`]), the settlement totals of field 48 ([`SettlementTotals`]),
//! the response codes of field 39 ([`ResponseCode`]) and, under `std`, reading and writing
//! whole frames on a stream ([`io`]).
//!
//! This is the one home of these facts: the terminal (`cardwire-pos`) and the acquirer host
//! (`cardwire-acquirer`) both take them from here.
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

use crate::MessageSpec;

#[cfg(feature = "std")]
pub mod io;
mod reply;
mod request;
mod response;
mod settlement;
pub mod transaction;

pub use reply::Reply;
pub use request::Request;
pub use response::ResponseCode;
pub use settlement::{SettlementTotals, Side, Totals};
pub use transaction::{Codes, Transaction, is_reversal};

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

/// Field 53 (security control) of a request with a PIN under the TDES profile: 53.1 `2` PIN
/// block ISO 9564 format 0 with the PAN, 53.2 `6` double-length TDES, 53.3 `0` track data in
/// clear (shared/research/iso8583.md, the CUPS field table).
pub const SECURITY_CONTROL_TDES: &str = "2600000000000000";

/// Field 53 of a request with a PIN or track data under a TDES profile whose tracks are
/// enciphered under the TDK ([`crate::specs::CUPS_ENC_TRACK`]): as
/// [`SECURITY_CONTROL_TDES`] with 53.3 `1`, track data enciphered.
pub const SECURITY_CONTROL_TDES_TRACK: &str = "2610000000000000";

/// Field 53 of a request with a PIN or track data under the SM4 profile (the 16-byte format
/// 4 PIN block of [`CUPS_SM4`](crate::specs::CUPS_SM4)): 53.1 `4` ISO 9564 format 4, 53.2
/// `4` SM4, 53.3 `1` track data enciphered under the SM4 TDK (the SM4 profile always
/// enciphers its tracks). **This project's value** for 53.1 and 53.2: no public CUPS
/// document available to the project gives the SM4 digits, so an acquirer with its own sets
/// them in the terminal profile; terminal and host must agree, as the host refuses any other.
pub const SECURITY_CONTROL_SM4: &str = "4410000000000000";

/// Whether field 53 (its 16 digits) says the tracks are enciphered: 53.3, the third digit,
/// is `1`.
pub fn tracks_enciphered(security_control: &[u8]) -> bool {
    security_control.get(2) == Some(&b'1')
}

/// The spec and field 53 of a CUPS terminal's requests: the SM4 profile's
/// ([`crate::specs::CUPS_SM4`], [`SECURITY_CONTROL_SM4`]); a TDES profile's with its tracks
/// enciphered ([`crate::specs::CUPS_ENC_TRACK`], [`SECURITY_CONTROL_TDES_TRACK`]); or in clear
/// ([`crate::specs::CUPS`], [`SECURITY_CONTROL_TDES`]). One home for the choice the terminal
/// and the host both make.
pub fn profile_spec(sm4: bool, tracks_enciphered: bool) -> (&'static MessageSpec, &'static str) {
    match (sm4, tracks_enciphered) {
        (true, _) => (&crate::specs::CUPS_SM4, SECURITY_CONTROL_SM4),
        (false, true) => (&crate::specs::CUPS_ENC_TRACK, SECURITY_CONTROL_TDES_TRACK),
        (false, false) => (&crate::specs::CUPS, SECURITY_CONTROL_TDES),
    }
}
