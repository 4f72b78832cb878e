//! `Host::duplicate`: a copy of an in-memory host goes on from the same state — the session
//! signed in, the accounts — and from there neither changes the other.

use cardwire_acquirer::ResponseCode;
use cardwire_acquirer::ledger::Ledger;
use cardwire_testkit::{CounterRng, Entry, Fixtures, HOST_TIME, Req, seed_session};

#[test]
fn a_copy_answers_from_the_same_state_and_keeps_its_own() {
    let fx = Fixtures::load().unwrap();
    let (mut host, mut t) = seed_session(&fx);
    let card = fx.card("debit-chip").clone();
    let pan = card.pan.clone();
    let opening = host.ledger().balance(&pan).unwrap().unwrap();
    let mut copy = host.duplicate();

    let mut buf = [0u8; 512];
    let (n, _) = t.request(
        &Req::purchase(&card, Entry::Swipe, Some("123456"), 1_000),
        &mut buf,
    );
    let mut out = [0u8; 512];
    // The copy holds the signed-in session: the purchase passes its MAC check and is approved.
    let a = copy
        .handle(&buf[..n], HOST_TIME, &mut CounterRng(1), &mut out)
        .unwrap();
    assert_eq!(a.response, Some(ResponseCode::Approved));
    assert_eq!(copy.ledger().balance(&pan).unwrap(), Some(opening - 1_000));
    // The original's ledger did not see it, and approves the same request once itself.
    assert_eq!(host.ledger().balance(&pan).unwrap(), Some(opening));
    let b = host
        .handle(&buf[..n], HOST_TIME, &mut CounterRng(1), &mut out)
        .unwrap();
    assert_eq!(b.response, Some(ResponseCode::Approved));
    assert_eq!(host.ledger().balance(&pan).unwrap(), Some(opening - 1_000));
    assert_eq!(copy.ledger().balance(&pan).unwrap(), Some(opening - 1_000));

    // A frame whose MAC fails is refused by the copy and counted by the copy only.
    let mut forged = buf[..n].to_vec();
    let last = forged.len() - 1;
    forged[last] ^= 0x01;
    let refused = copy
        .handle(&forged, HOST_TIME, &mut CounterRng(2), &mut out)
        .unwrap();
    assert_eq!(refused.response, Some(ResponseCode::MacFailed));
    assert_eq!(copy.security_counts().auth_failures, 1);
    assert_eq!(host.security_counts().auth_failures, 0);
}
