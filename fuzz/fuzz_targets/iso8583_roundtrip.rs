//! Every message that decodes under a built-in spec re-encodes byte for byte: through its
//! logical field values, through raw field copies, and through its clear JSON form.
#![no_main]

use cardwire_iso8583::{Encoder, Message, json, specs};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for spec in specs::ALL {
        let Ok(msg) = Message::decode(spec, data) else {
            continue;
        };
        let mut out = vec![0u8; data.len() + 64];
        let mut e = Encoder::new(spec, &mut out, msg.mti()).expect("room for the head");
        let mut value = [0u8; 1024];
        for f in msg.fields() {
            let n = f.copy_value(&mut value).expect("value fits");
            e.field(usize::from(f.number()), &value[..n])
                .expect("decoded field re-encodes");
        }
        let done = e.finish().expect("finish");
        assert_eq!(&out[..done.len], data, "{}: logical values", spec.name());
        let back = json::encode_to_vec(spec, &json::to_json(&msg, true)).expect("JSON re-encodes");
        assert_eq!(back, data, "{}: JSON", spec.name());
    }
});
