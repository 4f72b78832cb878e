//! The decoder's two walks agree on any bytes under every built-in spec: the fast walk (field
//! plans, characters checked in runs) accepts exactly what the precise walk (field by field,
//! the generic reader and checks) accepts, with the same fields in the same places, fully
//! validated and structure only; and decoding reports the precise walk's error.
#![no_main]

use cardwire_iso8583::{Message, specs};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for spec in specs::ALL {
        for full in [true, false] {
            let fast = Message::decode_fast_walk(spec, data, full);
            let precise = Message::decode_precise_walk(spec, data, full);
            match (&fast, &precise.error) {
                (Some(fast), None) => {
                    assert_eq!(fast.present(), precise.message.present());
                    assert_eq!(fast.len(), precise.message.len());
                    let place = |m: &Message<'_, '_>| {
                        m.fields()
                            .map(|f| (f.number(), f.offset(), f.raw().len()))
                            .collect::<Vec<_>>()
                    };
                    assert_eq!(place(fast), place(&precise.message), "{}", spec.name());
                }
                (None, Some(_)) => {}
                _ => panic!(
                    "{} (full {full}): fast walk {} but precise walk says {:?}",
                    spec.name(),
                    if fast.is_some() { "accepts" } else { "refuses" },
                    precise.error
                ),
            }
            let decoded = if full {
                Message::decode(spec, data)
            } else {
                Message::decode_lazy(spec, data)
            };
            assert_eq!(decoded.err(), precise.error);
        }
        let partial = Message::decode_partial(spec, data);
        let precise = Message::decode_precise_walk(spec, data, true);
        assert_eq!(partial.error, precise.error);
        assert_eq!(partial.message.present(), precise.message.present());
    }
});
