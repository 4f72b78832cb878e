//! Any bytes, strict and lenient: reading, walking, lookup and masked display never panic.
#![no_main]

use core::fmt::Write;

use cardwire_emv::describe::Describe;
use cardwire_emv::mask::MaskedValue;
use cardwire_emv::tags;
use cardwire_emv::tlv::{Mode, Path, Reader};
use libfuzzer_sys::fuzz_target;

/// Discards formatted output while still running every `Display` path.
struct Sink;
impl Write for Sink {
    fn write_str(&mut self, _: &str) -> core::fmt::Result {
        Ok(())
    }
}

fuzz_target!(|data: &[u8]| {
    for mode in [Mode::Strict, Mode::Lenient] {
        let reader = Reader::with_mode(data, mode);
        let _ = reader.validate();
        for tlv in reader.clone().flatten() {
            let _ = write!(Sink, "{tlv} {:?}", tlv);
            if let Some(children) = tlv.children() {
                let _ = children.count();
            }
        }
        for tlv in reader.walk().flatten() {
            let _ = write!(Sink, "{}", MaskedValue::new(&tlv, false));
        }
        let _ = reader.find(tags::PAN);
        if let Ok(path) = "70/5A".parse::<Path>() {
            let _ = reader.find_path(&path);
        }
        if let Ok(d) = Describe::new(data, mode) {
            let _ = write!(Sink, "{d}");
        }
    }
});
