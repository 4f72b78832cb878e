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

criterion_group!(benches, aes_dukpt, iso4, tdes_dukpt);
criterion_main!(benches);
