//! The fields the host does not read for money are still checked: under the legacy CUPS "ECB"
//! MAC every field is a place to compensate a forged flip in another, so a request may carry
//! only the fields a POS request carries, and those the host does not otherwise read must be
//! what the terminal profile and the rest of the message say they are.

use cardwire_iso8583::Message;
use cardwire_iso8583::cups::ResponseCode;

use crate::registry::TerminalProfile;

/// Fields a CUPS POS request may carry (primary account number through MAC).
const ALLOWED: [u8; 28] = [
    2, 3, 4, 11, 12, 13, 14, 22, 23, 25, 26, 35, 36, 37, 38, 39, 41, 42, 48, 49, 52, 53, 55, 60,
    61, 62, 63, 64,
];

/// Entry modes of field 22's first two digits: keyed, swiped, QR, chip, contactless.
const ENTRY_MODES: [&str; 5] = ["01", "02", "03", "05", "07"];

/// Checks the request's fields against what a POS request carries and the terminal's
/// profile; `Err(FormatError)` otherwise.
pub(super) fn check(msg: &Message<'_, '_>, profile: &TerminalProfile) -> Result<(), ResponseCode> {
    let bad = ResponseCode::FormatError;
    if msg.fields().any(|f| !ALLOWED.contains(&f.number())) {
        return Err(bad);
    }
    let pin = msg.field(52).is_some();
    let tracks = msg.field(35).is_some() || msg.field(36).is_some();
    // Field 53 is the profile's, and comes with a PIN block, or with track data the profile
    // enciphers (53.3 `1`): a request whose 53.3 says otherwise than the profile is refused,
    // never read the other way.
    let with_53 = pin || (tracks && profile.encrypts_tracks());
    let security = core::str::from_utf8(&profile.security_control).map_err(|_| bad)?;
    match msg.get(53) {
        Some(c) if with_53 && c.eq_str(security) => {}
        None if !with_53 => {}
        _ => return Err(bad),
    }
    // The PIN capture code comes with a PIN block only: 2 digits, 04 to 12.
    if let Some(c) = msg.get(26) {
        let ok = pin && c.len() == 2 && c.to_u64().is_some_and(|n| (4..=12).contains(&n));
        if !ok {
            return Err(bad);
        }
    }
    // Field 22: a known entry mode, and PIN digit 1 exactly when a PIN block is sent.
    if let Some(c) = msg.get(22) {
        let pin_digit = if pin { "1" } else { "2" };
        let ok = c.len() == 3
            && c.slice(0, 2)
                .is_some_and(|m| ENTRY_MODES.iter().any(|e| m.eq_str(e)))
            && c.slice(2, 1).is_some_and(|d| d.eq_str(pin_digit));
        if !ok {
            return Err(bad);
        }
    }
    Ok(())
}
