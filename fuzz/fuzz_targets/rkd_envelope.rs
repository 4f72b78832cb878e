//! Any bytes as a remote key download envelope: parsing never panics, and opening one with
//! fixed host and device keys fails cleanly unless the host really sealed it.
#![no_main]

use cardwire_crypto::sm::rkd::{Envelope, Host};
use cardwire_crypto::sm::sm2::{DEFAULT_ID, PrivateKey};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(env) = Envelope::parse(data) else {
        return;
    };
    let _ = (env.key_version(), env.device_id(), env.check_value());
    let host = PrivateKey::from_bytes(&[0x44; 32]).expect("key in range");
    let device = PrivateKey::from_bytes(&[0x55; 32]).expect("key in range");
    let host = Host {
        public_key: host.public_key(),
        id: DEFAULT_ID,
    };
    let _ = env.open(&host, &device, env.device_id(), None);
});
