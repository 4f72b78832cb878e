//! A cryptogram profile where the card's own CDOL decides what the cryptogram covers.
//!
//! The CVN profiles of [`super::Cvn`] fix the AC input to the EMV Book 2 8.1.1 list; a card
//! may instead cover whatever its CDOL asks the terminal for. [`CdolProfile`] is that case: the
//! card computes its ARQC from it, the issuer (the acquirer host of a closed loop, a test host)
//! verifies it and answers with it. The simulated UnionPay cards of cardwire and the acquirer
//! host that checks them both use this one definition.

use crate::block::TdesCipher;
use crate::error::Result;
use crate::key::TdesKey;

use super::{
    AcPadding, MasterKeyOption, arpc_method1, common_session_key_atc, icc_master_key,
    icc_master_key_with, mac_parts, verify_arpc_method1, verify_exact,
};

/// How a card computes its application cryptograms over its CDOL data, and how its issuer
/// verifies them and answers:
///
/// - the ICC master key from the issuer master key for AC by [`CdolProfile::master_key`]
///   (Option B: Option B for PANs over 16 digits, Option A otherwise);
/// - the EMV common session key with `R = ATC ‖ 00 00 00 00 00 00`;
/// - AC = ISO/IEC 9797-1 MAC algorithm 3 over the CDOL data ‖ AIP ‖ ATC ‖ the whole IAD, with
///   [`CdolProfile::padding`] (method 2: `80` then `00`s);
/// - ARPC method 1 under the session key, the ARC being the response code's two characters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CdolProfile {
    /// How the ICC master key is derived.
    pub master_key: MasterKeyOption,
    /// The padding of the AC input.
    pub padding: AcPadding,
}

impl Default for CdolProfile {
    fn default() -> Self {
        Self::STANDARD
    }
}

impl CdolProfile {
    /// Option B (A up to 16 PAN digits), padding method 2: the profile of the cardwire POS
    /// fixtures' cards (`spec-vectors/pos-fixtures.json`, `issuer.card_profile`).
    pub const STANDARD: Self = Self {
        master_key: MasterKeyOption::B,
        padding: AcPadding::Method2,
    };

    /// The ICC master key for AC of the card `pan` (ASCII digits) with sequence number `psn`
    /// (`None` counts as `00`), from the issuer master key.
    ///
    /// Errors: a PAN that is not 1 to 19 digits, a PSN above 99.
    pub fn icc_master_key(&self, imk: &TdesKey, pan: &[u8], psn: Option<u8>) -> Result<TdesKey> {
        icc_master_key(imk, pan, psn, self.master_key)
    }

    /// [`Self::icc_master_key`] with the issuer master key's schedule already expanded.
    ///
    /// Errors: as [`Self::icc_master_key`].
    pub fn icc_master_key_with(
        &self,
        imk: &TdesCipher,
        pan: &[u8],
        psn: Option<u8>,
    ) -> Result<TdesKey> {
        icc_master_key_with(imk, pan, psn, self.master_key)
    }

    /// The session key of the transaction with counter `atc`.
    pub fn session_key(&self, icc_mk: &TdesKey, atc: [u8; 2]) -> TdesKey {
        common_session_key_atc(icc_mk, atc)
    }

    /// The application cryptogram (ARQC, TC or AAC) over `dol_data` (the data the card's
    /// CDOL asked for, CDOL1 ‖ CDOL2 for the second GENERATE AC), then its AIP, ATC and IAD.
    pub fn cryptogram(
        &self,
        session_key: &TdesKey,
        dol_data: &[u8],
        aip: [u8; 2],
        atc: [u8; 2],
        iad: &[u8],
    ) -> [u8; 8] {
        mac_parts(session_key, &[dol_data, &aip, &atc, iad], self.padding)
    }

    /// Checks a cryptogram the card sent, in constant time.
    ///
    /// Errors: [`ErrorKind::Verification`](crate::ErrorKind::Verification) if it does not
    /// match, [`ErrorKind::Length`](crate::ErrorKind::Length) if it is not 8 bytes.
    pub fn verify(
        &self,
        session_key: &TdesKey,
        dol_data: &[u8],
        aip: [u8; 2],
        atc: [u8; 2],
        iad: &[u8],
        ac: &[u8],
    ) -> Result<()> {
        verify_exact(&self.cryptogram(session_key, dol_data, aip, atc, iad), ac)
    }

    /// The issuer's answer to `arqc`: ARPC method 1 with the ARC `arc`.
    pub fn arpc(&self, session_key: &TdesKey, arqc: &[u8; 8], arc: [u8; 2]) -> [u8; 8] {
        arpc_method1(session_key, arqc, arc)
    }

    /// The card's check of the issuer's answer (EXTERNAL AUTHENTICATE), in constant time.
    ///
    /// Errors: [`ErrorKind::Verification`](crate::ErrorKind::Verification) if it does not
    /// match, [`ErrorKind::Length`](crate::ErrorKind::Length) if it is not 8 bytes.
    pub fn verify_arpc(
        &self,
        session_key: &TdesKey,
        arqc: &[u8; 8],
        arc: [u8; 2],
        arpc: &[u8],
    ) -> Result<()> {
        verify_arpc_method1(session_key, arqc, arc, arpc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hex_literal::hex;

    #[test]
    fn the_fixtures_debit_card_arqc() {
        // The fixtures' debit card (PAN 6214830012345673, PSN 01) at ATC 1 for 123.45 yuan on
        // 2026-11-26, UN 12345678; cross-checked with the pyemv 1.5.0 oracle (derive_icc_mk_a,
        // derive_common_sk with R = 0001000000000000, generate_ac with padding 2).
        let imk = TdesKey::new(&hex!("0123456789ABCDEFFEDCBA9876543210")).unwrap();
        let p = CdolProfile::STANDARD;
        let mk = p
            .icc_master_key(&imk, b"6214830012345673", Some(1))
            .unwrap();
        let sk = p.session_key(&mk, [0, 1]);
        let cdol = hex!("000000012345 000000000000 0156 0000000000 0156 261126 00 12345678");
        let iad = hex!("06010A03A00000");
        let arqc = p.cryptogram(&sk, &cdol, [0x58, 0], [0, 1], &iad);
        assert_eq!(arqc, hex!("C50A9F37C5CF062B"));
        p.verify(&sk, &cdol, [0x58, 0], [0, 1], &iad, &arqc)
            .unwrap();
        assert!(
            p.verify(&sk, &cdol, [0x58, 0], [0, 2], &iad, &arqc)
                .is_err()
        );
        let arpc = p.arpc(&sk, &arqc, *b"00");
        p.verify_arpc(&sk, &arqc, *b"00", &arpc).unwrap();
        assert!(p.verify_arpc(&sk, &arqc, *b"51", &arpc).is_err());
        // Up to 16 digits Option B is Option A; above, they differ.
        let ac_under =
            |mk: &TdesKey| p.cryptogram(&p.session_key(mk, [0, 1]), &cdol, [0x58, 0], [0, 1], &iad);
        let a = icc_master_key(&imk, b"6214830012345673", Some(1), MasterKeyOption::A).unwrap();
        assert_eq!(ac_under(&a), arqc);
        let long = p
            .icc_master_key(&imk, b"6217990000123456788", Some(2))
            .unwrap();
        let long_a =
            icc_master_key(&imk, b"6217990000123456788", Some(2), MasterKeyOption::A).unwrap();
        assert_ne!(ac_under(&long), ac_under(&long_a));
    }
}
