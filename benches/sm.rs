//! Criterion groups for the national algorithms in cardwire-crypto, each beside libsm 0.6
//! (Apache-2.0, the SM2/SM3/SM4 crate of the CITA chain) on the same input in the same run:
//!
//! - `sm4_block`: one 16-byte block encrypted with an expanded key (the GB/T 32907 example).
//! - `sm3_1k`: the SM3 digest of 1 KiB.
//! - `sm2_sign`: sign 32 bytes with the default identifier (Z_A, e and the signature) from a
//!   parsed key; both draw `k` from the operating system's source.
//! - `sm2_verify`: verify that signature (Z_A, e and the check) with a parsed public key.
//! - `sm2_encrypt` / `sm2_decrypt`: a 16-byte key (a terminal master key) to C1 ‖ C3 ‖ C2
//!   and back.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::cast_possible_truncation
)] // benches may fail loudly

use std::hint::black_box;

use cardwire::crypto::sm::Sm4Key;
use cardwire::crypto::sm::sm2::{Ciphertext, DEFAULT_ID, PrivateKey, ciphertext_len};
use cardwire::crypto::sm::sm3;
use criterion::{Criterion, criterion_group, criterion_main};
use hex_literal::hex;

const KEY: [u8; 16] = hex!("0123456789ABCDEFFEDCBA9876543210");
/// The GB/T 32918.5 example private key.
const D: [u8; 32] = hex!("3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8");
const MSG: [u8; 32] = [0x5A; 32];

/// The operating system's random source for our side (libsm uses its own thread RNG).
struct Os;

impl rand_core::TryRng for Os {
    type Error = getrandom::Error;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        getrandom::u32()
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        getrandom::u64()
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        getrandom::fill(dst)
    }
}
impl rand_core::TryCryptoRng for Os {}

fn sm4_block(c: &mut Criterion) {
    let mut g = c.benchmark_group("sm4_block");
    let ours = Sm4Key::new(&KEY).unwrap().cipher();
    let peer = libsm::sm4::cipher::Sm4Cipher::new(&KEY).unwrap();
    let mut block = KEY;
    ours.encrypt_block(&mut block);
    assert_eq!(block, hex!("681EDF34D206965E86B3E94F536E4246"));
    assert_eq!(peer.encrypt(&KEY).unwrap(), block);
    g.bench_function("cardwire", |b| {
        b.iter(|| {
            let mut block = black_box(KEY);
            ours.encrypt_block(&mut block);
            block
        })
    });
    g.bench_function("libsm", |b| {
        b.iter(|| peer.encrypt(black_box(&KEY)).unwrap())
    });
    g.finish();
}

fn sm3_1k(c: &mut Criterion) {
    let mut g = c.benchmark_group("sm3_1k");
    let data: Vec<u8> = (0..1024u32).map(|i| i as u8).collect();
    assert_eq!(
        sm3::sm3(&data),
        libsm::sm3::hash::Sm3Hash::new(&data).get_hash()
    );
    g.bench_function("cardwire", |b| b.iter(|| sm3::sm3(black_box(&data))));
    g.bench_function("libsm", |b| {
        b.iter(|| libsm::sm3::hash::Sm3Hash::new(black_box(&data)).get_hash())
    });
    g.finish();
}

fn sm2(c: &mut Criterion) {
    let ours = PrivateKey::from_bytes(&D).unwrap();
    let ctx = libsm::sm2::signature::SigCtx::new();
    let sk = ctx.load_seckey(&D).unwrap();
    let pk = ctx.pk_from_sk(&sk).unwrap();
    assert_eq!(
        ctx.serialize_pubkey(&pk, false).unwrap(),
        ours.public_key().as_bytes()
    );

    let mut g = c.benchmark_group("sm2_sign");
    g.bench_function("cardwire", |b| {
        b.iter(|| ours.sign(&mut Os, DEFAULT_ID, black_box(&MSG)).unwrap())
    });
    g.bench_function("libsm", |b| {
        b.iter(|| ctx.sign(black_box(&MSG), &sk, &pk).unwrap())
    });
    g.finish();

    // Each verifies the other's signature first: the same algorithm, the same Z_A.
    let our_sig = ours.sign(&mut Os, DEFAULT_ID, &MSG).unwrap();
    let peer_sig = ctx.sign(&MSG, &sk, &pk).unwrap();
    let peer_view = libsm::sm2::signature::Signature::new(our_sig.r(), our_sig.s());
    assert!(ctx.verify(&MSG, &pk, &peer_view).unwrap());
    let mut rs = [0u8; 64];
    let (r, s) = (
        peer_sig.get_r().to_bytes_be(),
        peer_sig.get_s().to_bytes_be(),
    );
    rs[32 - r.len()..32].copy_from_slice(&r);
    rs[64 - s.len()..].copy_from_slice(&s);
    let as_ours = cardwire::crypto::sm::sm2::Signature::from_bytes(&rs).unwrap();
    ours.public_key()
        .verify(DEFAULT_ID, &MSG, &as_ours)
        .unwrap();

    let public = *ours.public_key();
    let mut g = c.benchmark_group("sm2_verify");
    g.bench_function("cardwire", |b| {
        b.iter(|| {
            public
                .verify(DEFAULT_ID, black_box(&MSG), &our_sig)
                .unwrap()
        })
    });
    g.bench_function("libsm", |b| {
        b.iter(|| assert!(ctx.verify(black_box(&MSG), &pk, &peer_sig).unwrap()))
    });
    g.finish();

    let enc = libsm::sm2::encrypt::EncryptCtx::new(KEY.len(), pk);
    let dec = libsm::sm2::encrypt::DecryptCtx::new(KEY.len(), sk.clone());
    let mut g = c.benchmark_group("sm2_encrypt");
    g.bench_function("cardwire", |b| {
        b.iter(|| {
            let mut out = [0u8; ciphertext_len(16)];
            public.encrypt(&mut Os, black_box(&KEY), &mut out).unwrap();
            out
        })
    });
    g.bench_function("libsm", |b| {
        b.iter(|| enc.encrypt(black_box(&KEY)).unwrap())
    });
    g.finish();

    let mut ct = [0u8; ciphertext_len(16)];
    public.encrypt(&mut Os, &KEY, &mut ct).unwrap();
    let peer_ct = enc.encrypt(&KEY).unwrap();
    let mut g = c.benchmark_group("sm2_decrypt");
    g.bench_function("cardwire", |b| {
        b.iter(|| {
            let parsed = Ciphertext::parse(black_box(&ct)).unwrap();
            let mut out = [0u8; 16];
            ours.decrypt(&parsed, &mut out).unwrap();
            out
        })
    });
    g.bench_function("libsm", |b| {
        b.iter(|| dec.decrypt(black_box(&peer_ct)).unwrap())
    });
    g.finish();
}

criterion_group!(benches, sm4_block, sm3_1k, sm2);
criterion_main!(benches);
