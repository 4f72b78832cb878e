//! Any card answers to the terminal's chip flow, and any scanned text as a consumer-presented
//! QR code or track 2: reading never panics, and what it accepts is card data the terminal can
//! put in a request.
//!
//! Input: a selector byte (bit 0: contactless; bit 1: also run the second GENERATE AC), then
//! the card's responses, each as a 2-byte big-endian length and the bytes (data and SW1 SW2),
//! in the order the terminal asks; the whole input after the selector is also tried as QR text
//! and as track 2. Seeds: `crates/testkit/tests/it/fuzz_seeds.rs` records the simulated card.
#![no_main]

use cardwire_pos::card::chip::{self, Params};
use cardwire_pos::card::{CardData, CardReader, Interface, qr};
use cardwire_pos::{DateTime, Error, ErrorKind};
use libfuzzer_sys::fuzz_target;

/// A reader that answers each command with the next recorded response.
struct Replay<'a> {
    rest: &'a [u8],
}

impl CardReader for Replay<'_> {
    fn transmit(&mut self, _command: &[u8], response: &mut [u8]) -> Result<usize, Error> {
        let [a, b, rest @ ..] = self.rest else {
            return Err(ErrorKind::Card { sw: 0 }.into());
        };
        let n = usize::from(u16::from_be_bytes([*a, *b])).min(rest.len());
        let (answer, rest) = rest.split_at(n);
        self.rest = rest;
        let dst = response.get_mut(..n).ok_or(ErrorKind::BufferTooSmall)?;
        dst.copy_from_slice(answer);
        Ok(n)
    }
}

fuzz_target!(|data: &[u8]| {
    let [selector, rest @ ..] = data else { return };
    let interface = if selector & 1 == 0 {
        Interface::Contact
    } else {
        Interface::Contactless
    };
    let params = Params {
        amount: 12_345,
        amount_other: 0,
        transaction_type: 0,
        when: DateTime::new(2026, 11, 26, 1, 23, 45).expect("date"),
        unpredictable: [0x12, 0x34, 0x56, 0x78],
        sequence: 2,
        ifd_serial: *b"POS-0001",
        no_cvm_limit: 100_000,
    };
    let mut reader = Replay { rest };
    if let Ok(mut session) = chip::read(&mut reader, interface, &params) {
        let card = session.card();
        assert!((12..=19).contains(&card.pan().len()));
        assert!(card.icc().len() <= 255);
        if selector & 2 != 0 {
            let _ = session.complete(&mut reader, true, Some(&[0; 10]), *b"00");
        }
    }
    if let Ok(text) = core::str::from_utf8(rest) {
        if let Ok(card) = qr::from_consumer_qr(text, &params) {
            assert!(card.icc().len() <= 255);
        }
        if let Ok(card) = CardData::swipe(text) {
            assert!(card.track2().is_some());
        }
    }
});
