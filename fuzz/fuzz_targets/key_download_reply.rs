//! Any bytes as the acquirer's reply to a remote key download: the terminal's reader never
//! panics, and installs a key only from an envelope the trusted acquirer sealed to this
//! device (which random bytes never are).
#![no_main]

use cardwire_crypto::sm::rkd::Host;
use cardwire_crypto::sm::sm2::{DEFAULT_ID, PrivateKey};
use cardwire_pos::Config;
use cardwire_pos::key_download::{Downloaded, KeyDownload};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let config = Config::new("SM4RKD01", "105584070110001", "A noodle shop")
        .and_then(|c| c.with_serial("RKD-SN-0001"))
        .expect("config");
    let acquirer = PrivateKey::from_bytes(&[0x44; 32]).expect("key in range");
    let device = PrivateKey::from_bytes(&[0x55; 32]).expect("key in range");
    let trusted = Host {
        public_key: acquirer.public_key(),
        id: DEFAULT_ID,
    };
    let download = KeyDownload::new(&config, &device, trusted);
    if let Ok(Downloaded::Installed { .. }) = download.accept(1, data) {
        panic!("a key installed from bytes the acquirer never sealed");
    }
});
