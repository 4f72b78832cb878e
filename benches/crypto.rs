//! Criterion groups for cardwire-crypto, each with its peer crate on the same input in the
//! same run:
//!
//! - `aes_dukpt_pin_key`: BDK and KSN to the AES-128 PIN key (ANSI X9.24-3-2017 supplement
//!   BDK and IKID) at counters 1 and 0xFFFF, against paysec-dukpt 0.2 `derive_working_key`
//!   with its RustCrypto provider.
//! - `iso4_encrypt`: ISO 9564 format 4 encipherment from raw key bytes, PIN, PAN and the
//!   8 random bytes (the X9.24-3 example), against paysec-pinblock 0.3
//!   `encipher_pinblock_iso_4`.
//! - `tdes_dukpt_pin_key`: BDK and KSN to the TDES PIN key (X9.24-1:2009 A.4 BDK) at counter 1
//!   and at 0x1FF800, the worst valid counter (10 one-bits). No Rust crate implements TDES
//!   DUKPT, so this group has no peer.
//! - `arqc_generation`: the issuer host's ARQC work for one transaction, from raw key bytes:
//!   ICC master key (Option A for a 16-digit PAN, Option B for a 19-digit one), common
//!   session key from the ATC, ARQC over a Visa CVN 18 input (CDOL1 data, AIP, ATC, 9F10:
//!   40 bytes), against emv 0.1.1 (`derive_master_key_option_a`/`_b`,
//!   `derive_session_key_tdes`, `application_cryptogram`), which takes the PAN and PSN in
//!   BCD as the card holds them; `cardwire/cvn18` also assembles the input from the tag
//!   values through `Cvn::generate_ac`.
//!
//! The peers are GPL-3.0 and only ever appear here, as dev-dependencies of the root package.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::cast_possible_truncation
)] // benches may fail loudly

use std::hint::black_box;

use cardwire::crypto::dukpt::{aes, tdes};
use cardwire::crypto::emv::{self as cw, AcData, AcPadding, Cvn, MasterKeyOption};
use cardwire::crypto::pin::{Pin, PinField};
use cardwire::crypto::{AesKey, TdesKey};
use criterion::{Criterion, criterion_group, criterion_main};
use hex_literal::hex;
use paysec_crypto::AesKeySize;
use paysec_crypto_rustcrypto::RustCryptoProvider;

const AES_BDK: [u8; 16] = hex!("FEDCBA9876543210F1F1F1F1F1F1F1F1");
const IKID: [u8; 8] = hex!("1234567890123456");

fn ours_aes_pin_key(bdk: &[u8], ksn: &aes::Ksn) -> [u8; 16] {
    let bdk = AesKey::new(bdk).unwrap();
    let key = aes::derive(&bdk, ksn, aes::KeyUsage::Pin, aes::KeyType::Aes128).unwrap();
    key.expose().try_into().unwrap()
}

fn peer_aes_pin_key(
    provider: &RustCryptoProvider,
    bdk: &[u8],
    ksn: paysec_dukpt::KeySerialNumber,
) -> [u8; 16] {
    let key = paysec_dukpt::derive_working_key(
        provider,
        bdk,
        AesKeySize::Bits128,
        paysec_dukpt::WorkingKeyUsage::PinEncryption,
        AesKeySize::Bits128,
        ksn,
    )
    .unwrap();
    key.expose_secret().try_into().unwrap()
}

fn aes_dukpt(c: &mut Criterion) {
    let provider = RustCryptoProvider::new();
    let mut group = c.benchmark_group("aes_dukpt_pin_key");
    for counter in [1u32, 0xFFFF] {
        let ksn = aes::Ksn::new(&IKID, counter).unwrap();
        let peer_ksn = paysec_dukpt::KeySerialNumber::from_parts(0x1234_5678, 0x9012_3456, counter);
        // Same input, same output: checked once before timing.
        let ours = ours_aes_pin_key(&AES_BDK, &ksn);
        assert_eq!(ours, peer_aes_pin_key(&provider, &AES_BDK, peer_ksn));
        if counter == 1 {
            assert_eq!(ours, hex!("AF8CB133A78F8DC2D1359F18527593FB"));
        }
        group.bench_function(format!("cardwire/{counter:#x}"), |b| {
            b.iter(|| ours_aes_pin_key(black_box(&AES_BDK), black_box(&ksn)))
        });
        group.bench_function(format!("paysec-dukpt/{counter:#x}"), |b| {
            b.iter(|| peer_aes_pin_key(&provider, black_box(&AES_BDK), black_box(peer_ksn)))
        });
    }
    group.finish();
}

const PIN_KEY: [u8; 16] = hex!("AF8CB133A78F8DC2D1359F18527593FB");
const FILL: [u8; 8] = hex!("2F69ADDE2E9E7ACE");
const PAN: &str = "4111111111111111";

fn ours_iso4(key: &[u8], pin: &str, pan: &str, fill: &[u8; 8]) -> [u8; 16] {
    let key = AesKey::new(key).unwrap();
    let pin = Pin::new(pin).unwrap();
    PinField::new(&pin, fill).encipher(&key, pan).unwrap()
}

fn iso4(c: &mut Criterion) {
    let provider = RustCryptoProvider::new();
    let peer = |key: &[u8], pin: &str, pan: &str, fill: &[u8; 8]| -> Vec<u8> {
        paysec_pinblock::encipher_pinblock_iso_4(&provider, key, pin, pan, fill.to_vec()).unwrap()
    };
    let expected = hex!("A912150391AB65A67E52883D81CE2D15");
    assert_eq!(ours_iso4(&PIN_KEY, "1234", PAN, &FILL), expected);
    assert_eq!(peer(&PIN_KEY, "1234", PAN, &FILL), expected);
    let mut group = c.benchmark_group("iso4_encrypt");
    group.bench_function("cardwire", |b| {
        b.iter(|| {
            ours_iso4(
                black_box(&PIN_KEY),
                black_box("1234"),
                black_box(PAN),
                black_box(&FILL),
            )
        })
    });
    group.bench_function("paysec-pinblock", |b| {
        b.iter(|| {
            peer(
                black_box(&PIN_KEY),
                black_box("1234"),
                black_box(PAN),
                black_box(&FILL),
            )
        })
    });
    group.finish();
}

const TDES_BDK: [u8; 16] = hex!("0123456789ABCDEFFEDCBA9876543210");

fn tdes_dukpt(c: &mut Criterion) {
    let mut group = c.benchmark_group("tdes_dukpt_pin_key");
    let first = tdes::Ksn::from_bytes(&hex!("FFFF9876543210E00001")).unwrap();
    let worst = first.with_counter(0x1F_F800).unwrap();
    let bdk = TdesKey::new(&TDES_BDK).unwrap();
    assert_eq!(
        tdes::derive(&bdk, &first, tdes::KeyVariant::Pin)
            .unwrap()
            .expose(),
        hex!("042666B49184CF5C68DE9628D0397B36")
    );
    for (name, ksn) in [("cardwire/0x1", first), ("cardwire/0x1ff800", worst)] {
        group.bench_function(name, |b| {
            b.iter(|| {
                let bdk = TdesKey::new(black_box(&TDES_BDK)).unwrap();
                tdes::derive(&bdk, black_box(&ksn), tdes::KeyVariant::Pin).unwrap()
            })
        });
    }
    group.finish();
}

const IMK_AC: [u8; 16] = hex!("0123456789ABCDEFFEDCBA9876543210");
const ATC: [u8; 2] = hex!("001C");
const IAD: [u8; 7] = hex!("06011203A0B800");
/// Visa CVN 18 AC input: 9F02 9F03 9F1A 95 5F2A 9A 9C 9F37, 82, 9F36, 9F10 (pyemv's
/// test_cvn_hsm.py values).
const AC_INPUT: [u8; 40] =
    hex!("0000000040000000000000000124800004800001241911050152BF45851800001C06011203A0B800");

fn ac_data() -> AcData<'static> {
    AcData {
        amount_authorised: hex!("000000004000"),
        amount_other: [0; 6],
        terminal_country_code: hex!("0124"),
        tvr: hex!("8000048000"),
        currency_code: hex!("0124"),
        transaction_date: hex!("191105"),
        transaction_type: 0x01,
        unpredictable_number: hex!("52BF4585"),
        aip: hex!("1800"),
        atc: ATC,
        iad: &IAD,
    }
}

fn ours_arqc(imk: &[u8], pan: &[u8], psn: u8, option: MasterKeyOption, data: &[u8]) -> [u8; 8] {
    let imk = TdesKey::new(imk).unwrap();
    let mk = cw::icc_master_key(&imk, pan, Some(psn), option).unwrap();
    let sk = cw::common_session_key_atc(&mk, ATC);
    cw::application_cryptogram(&sk, data, AcPadding::Method2)
}

fn ours_cvn18(imk: &[u8], pan: &[u8], psn: u8, data: &AcData<'_>) -> [u8; 8] {
    let imk = TdesKey::new(imk).unwrap();
    let mk = Cvn::Visa18.icc_master_key(&imk, pan, Some(psn)).unwrap();
    Cvn::Visa18.generate_ac(&mk, data).unwrap()
}

fn peer_arqc(imk: &[u8; 16], pan_bcd: &[u8], psn_bcd: u8, option_b: bool, data: &[u8]) -> [u8; 8] {
    use emv::core::{application_cryptogram, master_key_derivation as mkd, secure_messaging};
    let mk = if option_b {
        mkd::derive_master_key_option_b(imk, pan_bcd, Some(psn_bcd)).unwrap()
    } else {
        mkd::derive_master_key_option_a(imk, pan_bcd, Some(psn_bcd)).unwrap()
    };
    let r = secure_messaging::diversification_for_ac_session_key(u16::from_be_bytes(ATC));
    let sk = secure_messaging::derive_session_key_tdes(&mk, &r);
    application_cryptogram::application_cryptogram(&sk, data)
}

fn arqc(c: &mut Criterion) {
    let pan16 = b"1234567890123456";
    let pan19 = b"1234567890123456789";
    let bcd16 = hex!("1234567890123456");
    let bcd19 = hex!("1234567890123456789F");
    // pyemv test_cvn_hsm.py: Visa CVN 18, PAN 1234567890123456, PSN 00.
    let expected = hex!("7A788EA6B8A3E733");
    assert_eq!(
        ours_arqc(&IMK_AC, pan16, 0, MasterKeyOption::B, &AC_INPUT),
        expected
    );
    assert_eq!(ours_cvn18(&IMK_AC, pan16, 0, &ac_data()), expected);
    assert_eq!(peer_arqc(&IMK_AC, &bcd16, 0x00, true, &AC_INPUT), expected);
    let ours19 = ours_arqc(&IMK_AC, pan19, 1, MasterKeyOption::B, &AC_INPUT);
    assert_eq!(peer_arqc(&IMK_AC, &bcd19, 0x01, true, &AC_INPUT), ours19);

    let mut group = c.benchmark_group("arqc_generation");
    let data = ac_data();
    group.bench_function("cardwire/option_a_16", |b| {
        b.iter(|| {
            let pan = black_box(&pan16[..]);
            ours_arqc(
                black_box(&IMK_AC),
                pan,
                0,
                MasterKeyOption::A,
                black_box(&AC_INPUT),
            )
        })
    });
    group.bench_function("emv/option_a_16", |b| {
        b.iter(|| {
            peer_arqc(
                black_box(&IMK_AC),
                black_box(&bcd16),
                0x00,
                false,
                black_box(&AC_INPUT),
            )
        })
    });
    group.bench_function("cardwire/option_b_19", |b| {
        b.iter(|| {
            let pan = black_box(&pan19[..]);
            ours_arqc(
                black_box(&IMK_AC),
                pan,
                1,
                MasterKeyOption::B,
                black_box(&AC_INPUT),
            )
        })
    });
    group.bench_function("emv/option_b_19", |b| {
        b.iter(|| {
            peer_arqc(
                black_box(&IMK_AC),
                black_box(&bcd19),
                0x01,
                true,
                black_box(&AC_INPUT),
            )
        })
    });
    group.bench_function("cardwire/cvn18", |b| {
        b.iter(|| {
            ours_cvn18(
                black_box(&IMK_AC),
                black_box(&pan16[..]),
                0,
                black_box(&data),
            )
        })
    });
    group.finish();
}

criterion_group!(benches, aes_dukpt, iso4, tdes_dukpt, arqc);
criterion_main!(benches);
