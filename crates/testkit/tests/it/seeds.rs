//! The requests the fuzz target is seeded with (`spec-vectors/pos-host-requests.json`): each is
//! answered as expected by the host of the seed session, and the committed file is the one the
//! test kit builds (`CARDWIRE_UPDATE_SEEDS=1 cargo test -p cardwire-testkit --test it seeds` rewrites it).

use cardwire_acquirer::ResponseCode;
use cardwire_testkit::{CounterRng, Fixtures, seed_requests, seed_session};

use cardwire_testkit::HOST_TIME as NOW;

#[test]
fn seed_requests_are_answered_and_committed() {
    let fx = Fixtures::load().unwrap();
    let seeds = seed_requests(&fx);
    let (mut host, mut t) = seed_session(&fx);
    let mut rng = CounterRng(1);
    let mut out = [0u8; 512];
    for (name, frame) in &seeds {
        let a = host.handle(frame, NOW, &mut rng, &mut out).unwrap();
        let r = t.read_reply(&out[..a.len]).unwrap();
        assert!(r.mac, "{name}");
        let expected = match name.as_str() {
            "purchase-wrong-pin" => ResponseCode::IncorrectPin,
            "reversal" => ResponseCode::InvalidTransaction, // the purchase was voided since
            _ => ResponseCode::Approved,
        };
        assert_eq!(r.code, Some(expected), "{name}");
    }
    let vectors: Vec<serde_json::Value> = seeds
        .iter()
        .map(|(name, frame)| {
            serde_json::json!({ "id": name, "hex": cardwire_emv::hex::Hex(frame).to_string() })
        })
        .collect();
    let doc = serde_json::json!({
        "description": "Request frames of every kind from terminal noodle-1 of pos-fixtures.json, signed in with the test kit's deterministic CounterRng (seed 0x00C0FFEE), so the MACs verify under the keys the host_handler fuzz target derives the same way. Seeds for fuzz/corpus/host_handler.",
        "source": "cardwire's own test data, built by cardwire-testkit seed_requests (crates/testkit) (own edge cases)",
        "vectors": vectors,
    });
    let text = serde_json::to_string_pretty(&doc).unwrap() + "\n";
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../spec-vectors/pos-host-requests.json"
    );
    if std::env::var_os("CARDWIRE_UPDATE_SEEDS").is_some() {
        std::fs::write(path, &text).unwrap();
    }
    // Compared as JSON values: the key order of the text depends on whether serde_json's
    // `preserve_order` is unified into the build (the CLI turns it on in workspace runs).
    let stored: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(stored, doc, "run with CARDWIRE_UPDATE_SEEDS=1");
}
