//! TR-31 against spec-vectors/tr31.json and tr31_more.json, wrap/unwrap round trips, and
//! the typed errors for tampered, mis-keyed and malformed blocks.

use crate::common::{hex, id, text, upper, vectors};
use cardwire_crypto::tr31::{self, KeyBlock, KeyLengthMasking};
use cardwire_crypto::{AesKey, ErrorKind, TdesKey};

fn kbpk(v: &serde_json::Value) -> Vec<u8> {
    match v["kbpk"].as_str() {
        Some(h) => hex(h),
        None => text(v, "kbpk_ascii").as_bytes().to_vec(),
    }
}

fn expected_key(v: &serde_json::Value) -> Option<Vec<u8>> {
    v["expected_key"].as_str().map(hex).or_else(|| {
        v["expected_key_ascii"]
            .as_str()
            .map(|s| s.as_bytes().to_vec())
    })
}

/// The check value the vectors list: TDES (encrypt zeros) or AES-CMAC, as long as given.
fn kcv(algorithm: char, key: &[u8], len: usize) -> String {
    let full = match algorithm {
        'A' => AesKey::new(key).unwrap().check_value().to_vec(),
        _ => TdesKey::new(key).unwrap().check_value().to_vec(),
    };
    upper(&full[..len])
}

#[test]
fn published_key_blocks_unwrap() {
    let mut positive = 0;
    let mut negative = 0;
    let mut extended = 0;
    for file in ["tr31.json", "tr31_more.json"] {
        for v in vectors(file) {
            let block_text = text(&v, "key_block");
            if v["negative"] == true {
                // Invalid as published: the parser or the unwrap must refuse it.
                let refused = KeyBlock::parse(block_text).and_then(|b| b.unwrap(&kbpk(&v)));
                assert!(refused.is_err(), "{} should be refused", id(&v));
                negative += 1;
                continue;
            }
            let block = KeyBlock::parse(block_text).unwrap_or_else(|e| panic!("{}: {e}", id(&v)));
            assert_eq!(block.version().as_char().to_string(), text(&v, "version"));
            let key = block
                .unwrap(&kbpk(&v))
                .unwrap_or_else(|e| panic!("{}: {e}", id(&v)));
            let expected = expected_key(&v).unwrap();
            assert_eq!(key.expose(), expected.as_slice(), "{}", id(&v));
            if let Some(k) = v["expected_kcv"].as_str() {
                assert_eq!(
                    kcv(block.algorithm(), key.expose(), k.len() / 2),
                    k,
                    "{}",
                    id(&v)
                );
            }
            for (field, block_id) in [
                ("expected_opt_block_TT", "TT"),
                ("expected_opt_block_KS", "KS"),
            ] {
                if let Some(data) = v[field].as_str() {
                    let found = block.optional_blocks().find(|b| b.id == block_id).unwrap();
                    assert_eq!(found.data, data);
                }
            }
            if let Some(blocks) = v["optional_blocks"].as_array() {
                let found: Vec<(&str, &str)> = block
                    .optional_blocks()
                    .filter(|b| b.id != "PB")
                    .map(|b| (b.id, b.data))
                    .collect();
                let expected: Vec<(&str, &str)> = blocks
                    .iter()
                    .map(|b| (text(b, "id"), text(b, "data")))
                    .collect();
                assert_eq!(found, expected, "{}", id(&v));
                // Rewritten with the header writer, the header is the same.
                let mut buf = [0u8; 1024];
                let mut header = tr31::HeaderWriter::new(block.header(), &mut buf).unwrap();
                for (block_id, data) in &expected {
                    header.optional_block(block_id, data).unwrap();
                }
                // (The count differs: the block also has its padding block.)
                assert!(
                    block.header()[16..].starts_with(&header.as_str()[16..]),
                    "{}",
                    id(&v)
                );
                extended += 1;
            }
            // The no-allocation form writes the same key into a caller buffer.
            let mut buf = vec![0u8; block.payload_len()];
            let n = block.unwrap_into(&kbpk(&v), &mut buf).unwrap();
            assert_eq!(&buf[..n], expected.as_slice());
            positive += 1;
        }
    }
    assert!(
        positive >= 21 && negative == 2 && extended == 3,
        "{positive} {negative} {extended}"
    );
}

#[test]
fn tampered_blocks_fail_verification() {
    for file in ["tr31.json", "tr31_more.json"] {
        for v in vectors(file).iter().filter(|v| v["negative"] != true) {
            let good = text(v, "key_block");
            // Flip one hex digit of the MAC, then one of the payload, then one header field.
            for at in [good.len() - 1, good.len() - 40, 6] {
                let mut t = good.as_bytes().to_vec();
                t[at] = match t[at] {
                    b'0' => b'1',
                    b'P' => b'K',
                    _ => b'0',
                };
                let t = String::from_utf8(t).unwrap();
                let err = KeyBlock::parse(&t)
                    .and_then(|b| b.unwrap(&kbpk(v)))
                    .unwrap_err();
                assert!(
                    matches!(err.kind(), ErrorKind::Verification | ErrorKind::Payload),
                    "{} at {at}: {err}",
                    id(v)
                );
            }
            // The wrong key of the right length.
            let mut wrong = kbpk(v);
            wrong[0] ^= 0x01;
            if wrong.len() > 8 {
                wrong[9] ^= 0x10;
            }
            let err = KeyBlock::parse(good).unwrap().unwrap(&wrong).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Verification, "{}", id(v));
        }
    }
}

#[test]
fn wrong_kbpk_length_for_the_version() {
    let b = KeyBlock::parse(
        "B0080P0TE00E000094B420079CC80BA3461F86FE26EFC4A3B8E4FA4C5F5341176EED7B727B8A248E",
    )
    .unwrap();
    for len in [8, 32] {
        assert_eq!(
            b.unwrap(&vec![0x11; len]).unwrap_err().kind(),
            ErrorKind::KeyLength { len }
        );
    }
    let d = KeyBlock::parse("D0112P0AE00E0000B82679114F470F540165EDFBF7E250FCEA43F810D215F8D207E2E417C07156A27E8E31DA05F7425509593D03A457DC34").unwrap();
    assert_eq!(
        d.unwrap(&[0x11; 8]).unwrap_err().kind(),
        ErrorKind::KeyLength { len: 8 }
    );
}

#[test]
fn malformed_blocks_get_typed_errors() {
    let good = "B0080P0TE00E000094B420079CC80BA3461F86FE26EFC4A3B8E4FA4C5F5341176EED7B727B8A248E";
    let kind = |s: &str| KeyBlock::parse(s).unwrap_err().kind();
    assert_eq!(
        kind(&good[..40]),
        ErrorKind::BlockLength {
            declared: 80,
            actual: 40
        }
    );
    assert_eq!(kind(""), ErrorKind::Header);
    assert_eq!(
        kind(&good.replacen('B', "F", 1)),
        ErrorKind::UnsupportedVersion { version: b'F' }
    );
    assert_eq!(kind(&good.replace("P0TE", "P!TE")), ErrorKind::Header);
    assert_eq!(
        kind(&good.replace("E0000", "E0100")),
        ErrorKind::OptionalBlock
    );
    let bad_hex = good.replace("94B4", "94G4");
    assert_eq!(kind(&bad_hex), ErrorKind::InvalidHex);
    assert_eq!(KeyBlock::parse(&bad_hex).unwrap_err().offset(), Some(18));
    // A payload that is not a whole number of cipher blocks.
    let short = format!("B0078{}{}", &good[5..62], &good[64..]);
    assert!(
        matches!(kind(&short), ErrorKind::Length { len: 46 }),
        "{short}"
    );
}

struct Counter(u8);
impl rand_core::TryRng for Counter {
    type Error = core::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        Ok(0)
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        Ok(0)
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        for b in dst {
            self.0 = self.0.wrapping_mul(5).wrapping_add(1);
            *b = self.0;
        }
        Ok(())
    }
}
impl rand_core::TryCryptoRng for Counter {}

#[test]
fn wrap_then_unwrap_every_version_and_key_length() {
    let mut rng = Counter(3);
    let mut out = [0u8; 512];
    let cases: &[(&str, &[usize], &[usize])] = &[
        ("A0000P0TE00N0000", &[16, 24], &[8, 16, 24]),
        ("B0000P0TE00N0000", &[16, 24], &[8, 16, 24]),
        ("C0000P0TE00N0000", &[16, 24], &[8, 16, 24]),
        ("D0000P0AE00N0000", &[16, 24, 32], &[16, 24, 32]),
        ("E0000P0AE00N0000", &[16, 24, 32], &[16, 24, 32]),
        ("D0000B0TX00S0100KS1800604B120F9292800000", &[32], &[16]),
    ];
    for (header, kbpk_lens, key_lens) in cases {
        for &kl in *kbpk_lens {
            for &n in *key_lens {
                let kbpk: Vec<u8> = (0..kl as u8).map(|i| i.wrapping_mul(7)).collect();
                let key: Vec<u8> = (0..n as u8).map(|i| 0xA0 ^ i).collect();
                for masking in [KeyLengthMasking::AlgorithmMaximum, KeyLengthMasking::None] {
                    let len = tr31::wrap(&kbpk, header, &key, masking, &mut rng, &mut out).unwrap();
                    let text = std::str::from_utf8(&out[..len]).unwrap();
                    let block = KeyBlock::parse(text).unwrap();
                    assert_eq!(block.unwrap(&kbpk).unwrap().expose(), key.as_slice());
                    assert_eq!(&text[5..12], &header[5..12]);
                    if masking == KeyLengthMasking::AlgorithmMaximum {
                        // The payload length does not depend on the key length.
                        let max = if header.as_bytes()[7] == b'A' { 32 } else { 24 };
                        assert!(block.payload_len() >= 2 + max, "{text}");
                    }
                }
            }
        }
    }
    // A header whose optional blocks are not aligned gets a padding block; an old one is
    // replaced.
    let len = tr31::wrap(
        &[1; 16],
        "B0000P0TE00N0200TT0EHelloWorldPB06XX",
        &[2; 16],
        KeyLengthMasking::None,
        &mut rng,
        &mut out,
    )
    .unwrap();
    let block = KeyBlock::parse(std::str::from_utf8(&out[..len]).unwrap()).unwrap();
    let ids: Vec<_> = block.optional_blocks().map(|b| (b.id, b.data)).collect();
    assert_eq!(ids, [("TT", "HelloWorld"), ("PB", "000000")]);
    // Wrap errors: the KBPK length for the version, a key too long, a small buffer.
    let err = tr31::wrap(
        &[1; 32],
        "B0000P0TE00N0000",
        &[2; 16],
        KeyLengthMasking::None,
        &mut rng,
        &mut out,
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::KeyLength { len: 32 });
    assert!(
        tr31::wrap(
            &[1; 16],
            "D0000P0AE00N0000",
            &[2; 33],
            KeyLengthMasking::None,
            &mut rng,
            &mut out
        )
        .is_err()
    );
    let err = tr31::wrap(
        &[1; 16],
        "B0000P0TE00N0000",
        &[2; 16],
        KeyLengthMasking::None,
        &mut rng,
        &mut [0; 40],
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BufferTooSmall);
}
