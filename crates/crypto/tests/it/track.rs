//! Track data under the TDK against spec-vectors/track.json (computed independently by
//! spec-vectors/tools/track_oracle.py with `cryptography` TDES and `gmssl` SM4): each vector
//! enciphers to the oracle's value and deciphers back. A vector of an unknown kind fails.

use crate::common::{bytes, id, text, vectors};
use cardwire_crypto::TdesKey;
use cardwire_crypto::sm::Sm4Key;
use cardwire_crypto::track::{self, MAX_TRACK_LEN, TrackKey};

#[test]
fn track_vectors() {
    let all = vectors("track.json");
    assert!(all.len() >= 8);
    for v in &all {
        let name = id(v);
        let key = bytes(v, "key");
        let (tdes, sm4);
        let key = match text(v, "kind") {
            "track-tdes" => {
                tdes = TdesKey::new(&key).unwrap();
                TrackKey::Tdes(&tdes)
            }
            "track-sm4" => {
                sm4 = Sm4Key::new(&key).unwrap();
                TrackKey::Sm4(&sm4)
            }
            other => panic!("{name}: unknown kind {other}"),
        };
        let (clear, enciphered) = (text(v, "clear"), text(v, "enciphered"));
        let mut out = [0u8; MAX_TRACK_LEN];
        let n = track::encrypt(key, clear.as_bytes(), &mut out).unwrap();
        assert_eq!(
            std::str::from_utf8(&out[..n]).unwrap(),
            enciphered,
            "{name}"
        );
        let n = track::decrypt(key, enciphered.as_bytes(), &mut out).unwrap();
        assert_eq!(
            std::str::from_utf8(&out[..n]).unwrap(),
            clear.replace('=', "D"),
            "{name}"
        );
    }
}
