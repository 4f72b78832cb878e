//! The CUPS fields that real terminals write other than the rest: field 23 (card sequence
//! number) right-aligned, field 63.1 (operator number) of 2 or 3 characters.

use cardwire_emv::hex::Hex;
use cardwire_iso8583::cups::{Request, Transaction};
use cardwire_iso8583::{ErrorKind, Message, json, specs};
use serde_json::json;

const TID: &str = "16688014";
const MID: &str = "102581053110001";

/// The bytes of field `n` in `msg` (its value after any length prefix).
fn raw(msg: &Message<'_, '_>, n: usize) -> String {
    Hex(msg.field(n).unwrap().value()).to_string()
}

#[test]
fn card_sequence_number_travels_right_aligned() {
    let mut buf = [0u8; 256];
    let done = Request::new(Transaction::Purchase, TID, MID)
        .stan(3)
        .batch(1)
        .amount(100)
        .entry_mode("051")
        .card_sequence("001")
        .pan("4392260009942820")
        .encode(&mut buf)
        .unwrap();
    let msg = Message::decode(&specs::CUPS, &buf[..done.len]).unwrap();
    // 右靠: 001 is 00 01; field 22 stays left-aligned (051 is 05 10).
    assert_eq!(raw(&msg, 23), "0001");
    assert_eq!(raw(&msg, 22), "0510");
    assert_eq!(msg.get(23).unwrap().to_string(), "001");
    assert_eq!(msg.get(22).unwrap().to_string(), "051");
}

#[test]
fn card_sequence_number_pad_nibble_is_in_front() {
    // Written left-aligned (00 10) the value would read as 010: a different card.
    let msg_json = json!({"mti": "0200", "fields": {"3": "000000", "11": "000001", "23": "012",
        "41": TID, "42": MID}});
    let bytes = json::encode_to_vec(&specs::CUPS, &msg_json).unwrap();
    let msg = Message::decode(&specs::CUPS, &bytes).unwrap();
    assert_eq!(raw(&msg, 23), "0012");
}

fn sign_in(operator: &str) -> Result<Vec<u8>, cardwire_iso8583::Error> {
    let mut buf = [0u8; 128];
    let done = Request::new(Transaction::SignIn, TID, MID)
        .stan(1)
        .batch(1)
        .operator(operator)
        .encode(&mut buf)?;
    Ok(buf[..done.len].to_vec())
}

#[test]
fn operator_number_of_two_characters_decodes() {
    // Real terminals send LLL 002 and two characters; the book says three.
    let two = sign_in("01").unwrap();
    let msg = Message::decode(&specs::CUPS, &two).unwrap();
    let f63 = msg.field(63).unwrap();
    assert_eq!(f63.value(), b"01");
    assert_eq!(f63.subfield(1).unwrap().to_string(), "01");
    assert!(f63.subfield(2).is_none());
    // Encoded as given: the length prefix says 2.
    let json = json::to_json(&msg, true);
    assert_eq!(json["fields"]["63"], json!({"63.1": "01"}));
    assert_eq!(json::encode_to_vec(&specs::CUPS, &json).unwrap(), two);

    let three = sign_in("001").unwrap();
    let msg = Message::decode(&specs::CUPS, &three).unwrap();
    assert_eq!(
        msg.field(63).unwrap().subfield(1).unwrap().to_string(),
        "001"
    );
}

#[test]
fn operator_number_of_one_character_is_refused() {
    let err = sign_in("1").unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::InvalidLength { max: 3, found: 1 }),
        "{err:?}"
    );
    let msg_json = json!({"mti": "0800", "fields": {"11": "000001", "41": TID, "42": MID,
        "60": {"60.1": "00", "60.2": "000001", "60.3": "003"}, "63": {"63.1": "1"}}});
    assert!(json::encode_to_vec(&specs::CUPS, &msg_json).is_err());
}

#[test]
fn a_short_operator_number_ends_the_field() {
    // "01" then custom data could not be told from "01C…": refused when encoding.
    let msg_json = json!({"mti": "0800", "fields": {"11": "000001", "41": TID, "42": MID,
        "60": {"60.1": "00", "60.2": "000001", "60.3": "003"},
        "63": {"63.1": "01", "63.2": "ABC"}}});
    assert!(json::encode_to_vec(&specs::CUPS, &msg_json).is_err());
}
