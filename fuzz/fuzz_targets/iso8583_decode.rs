//! Any bytes under every built-in spec: full, lazy, partial and on-demand decoding, field
//! access, subfields, masked describe and JSON never panic.
#![no_main]

use core::fmt::Write;

use cardwire_iso8583::{Describe, Message, json, specs};
use libfuzzer_sys::fuzz_target;

/// Discards formatted output while still running every `Display` path.
struct Sink;
impl Write for Sink {
    fn write_str(&mut self, _: &str) -> core::fmt::Result {
        Ok(())
    }
}

fuzz_target!(|data: &[u8]| {
    for spec in specs::ALL {
        let partial = Message::decode_partial(spec, data);
        for f in partial.message.fields() {
            let _ = write!(Sink, "{} {:?}", f.display(false), f);
            let _ = f.subfields().count();
            let _ = f.to_u64();
        }
        let _ = Message::peek(spec, data, 41);
        if let Ok(lazy) = Message::decode_lazy(spec, data) {
            let _ = lazy.validate();
            for f in lazy.fields() {
                let _ = write!(Sink, "{}", f.display(true));
                let _ = f.validate();
            }
        }
        if let Ok(msg) = Message::decode(spec, data) {
            assert_eq!(partial.error, None);
            let _ = write!(Sink, "{}", Describe::new(&msg));
            let _ = json::to_json(&msg, false);
            let _ = msg.mab();
        }
    }
});
