//! The test suite's own ARQC and ARPC arithmetic, written from the cryptographic primitives
//! on purpose: the simulated card and the acquirer host both compute with cardwire-crypto's
//! `CdolProfile`, so checking either against that would verify the code with itself. The
//! fake host (terminal tests) and the test terminal (host tests) use this instead.

use cardwire_crypto::TdesKey;
use cardwire_crypto::emv::{
    AcPadding, MasterKeyOption, application_cryptogram, common_session_key_atc, icc_master_key,
};

/// The card's session key: ICC master key by Option A up to 16 PAN digits and Option B
/// above (EMV Book 2 A1.4), then the EMV common session key with R = ATC ‖ 0.
///
/// # Panics
/// For a PAN or PSN the derivation refuses (test support).
pub fn session_key(imk: &TdesKey, pan: &str, psn: Option<u8>, atc: [u8; 2]) -> TdesKey {
    let option = if pan.len() > 16 {
        MasterKeyOption::B
    } else {
        MasterKeyOption::A
    };
    let mk = icc_master_key(imk, pan.as_bytes(), psn, option).expect("ICC master key");
    common_session_key_atc(&mk, atc)
}

/// The cryptogram over the CDOL data, AIP, ATC and IAD (MAC algorithm 3, padding method 2).
pub fn cryptogram(
    session_key: &TdesKey,
    cdol_data: &[u8],
    aip: &[u8],
    atc: [u8; 2],
    iad: &[u8],
) -> [u8; 8] {
    let data = [cdol_data, aip, &atc, iad].concat();
    application_cryptogram(session_key, &data, AcPadding::Method2)
}
