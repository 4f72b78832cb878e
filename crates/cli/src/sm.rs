//! `cardwire sm3`, `sm4 …`, `sm2 …` and `rkd …`: the national algorithms (国密).

use cardwire_crypto::mac::Padding;
use cardwire_crypto::pin::{Pin, PinField};
use cardwire_crypto::sm::mac::Sm4Mac;
use cardwire_crypto::sm::rkd::{self, Envelope, Host, Recipient};
use cardwire_crypto::sm::sm2::{self, Ciphertext, PrivateKey, PublicKey, Signature};
use cardwire_crypto::sm::{Sm4Key, cups, pin, sm3};
use cardwire_emv::hex::Hex;
use clap::{Args, Subcommand};
use serde_json::{Value, json};

use crate::{input, random};

/// Hex bytes of the argument `name`; the error names it.
fn hex_arg(name: &str, value: &str) -> Result<Vec<u8>, String> {
    input::hex(value).map_err(|e| format!("--{name}: {e}"))
}

/// The first `n` bytes (all of them when shorter).
fn head(bytes: &[u8], n: usize) -> &[u8] {
    bytes.get(..n).unwrap_or(bytes)
}

fn sm4_key(name: &str, value: &str) -> Result<Sm4Key, String> {
    Sm4Key::new(&hex_arg(name, value)?)
        .map_err(|e| format!("--{name}: {e} (SM4 keys are 16 bytes)"))
}

fn private_key(value: &str) -> Result<PrivateKey, String> {
    let bytes = zeroize::Zeroizing::new(hex_arg("private", value)?);
    PrivateKey::from_bytes(&bytes).map_err(|e| format!("--private: {e}"))
}

fn public_key(name: &str, value: &str) -> Result<PublicKey, String> {
    PublicKey::from_bytes(&hex_arg(name, value)?)
        .map_err(|e| format!("--{name}: {e} (65 bytes 04 ‖ x ‖ y)"))
}

// ---------------------------------------------------------------------------------------
// sm3

#[derive(Debug, Args)]
pub struct Sm3Args {
    /// The data as hex (or `-` for standard input).
    #[arg(long)]
    data: String,
}

pub fn run_sm3(args: &Sm3Args) -> Result<String, String> {
    let data = hex_arg("data", &args.data)?;
    Ok(Hex(&sm3::sm3(&data)).to_string())
}

// ---------------------------------------------------------------------------------------
// sm4

#[derive(Debug, Subcommand)]
pub enum Sm4Command {
    /// Encrypt whole 16-byte blocks (no padding) and print the ciphertext.
    Encrypt(Sm4Args),
    /// Decrypt whole 16-byte blocks and print the plaintext.
    Decrypt(Sm4Args),
    /// Encipher an ISO 9564-1 format 4 PIN block under an SM4 key.
    PinEncode {
        /// The PIN, 4 to 12 digits.
        #[arg(long)]
        pin: String,
        /// The PAN.
        #[arg(long)]
        pan: String,
        /// The SM4 PIN key as hex.
        #[arg(long)]
        key: String,
        /// 8 bytes of hex: the random half of the PIN field (random when absent).
        #[arg(long)]
        fill: Option<String>,
    },
    /// Decipher a format 4 PIN block under an SM4 key and print the PIN.
    PinDecode {
        /// The 16-byte enciphered block as hex.
        #[arg(long)]
        block: String,
        /// The PAN.
        #[arg(long)]
        pan: String,
        /// The SM4 PIN key as hex.
        #[arg(long)]
        key: String,
    },
    /// Decrypt a CUPS sign-in field 62 under an SM4 master key, checking each check value;
    /// prints the working keys as JSON.
    Field62Open {
        /// The SM4 terminal master key as hex.
        #[arg(long)]
        tmk: String,
        /// Field 62 as hex: 40 bytes (PIK, MAK) or 60 (PIK, MAK, TDK).
        #[arg(long)]
        data: String,
    },
    /// Build a CUPS sign-in field 62: each SM4 working key under the master key, then its
    /// 4-byte check value.
    Field62Build {
        /// The SM4 terminal master key as hex.
        #[arg(long)]
        tmk: String,
        /// The PIN key.
        #[arg(long)]
        pik: String,
        /// The MAC key.
        #[arg(long)]
        mak: String,
        /// The track data key, if any.
        #[arg(long)]
        tdk: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct Sm4Args {
    /// The key as hex (16 bytes).
    #[arg(long)]
    key: String,
    /// The data as hex, a multiple of 16 bytes (or `-` for standard input).
    #[arg(long)]
    data: String,
    /// ecb (the default) or cbc.
    #[arg(long, default_value = "ecb")]
    mode: String,
    /// The CBC initial value, 16 bytes of hex (zeros when absent).
    #[arg(long)]
    iv: Option<String>,
}

pub fn run_sm4(cmd: Sm4Command) -> Result<String, String> {
    match cmd {
        Sm4Command::Encrypt(args) => crypt(&args, true),
        Sm4Command::Decrypt(args) => crypt(&args, false),
        Sm4Command::PinEncode {
            pin,
            pan,
            key,
            fill,
        } => {
            let pin = Pin::new(&pin).map_err(|e| format!("--pin: {e}"))?;
            let fill: [u8; 8] = match fill {
                Some(f) => hex_arg("fill", &f)?
                    .try_into()
                    .map_err(|v: Vec<u8>| format!("--fill: 8 bytes, got {}", v.len()))?,
                None => random::bytes()?,
            };
            let field = PinField::new(&pin, &fill);
            let block = pin::encipher(&field, &sm4_key("key", &key)?, &pan)
                .map_err(|e| format!("--pan: {e}"))?;
            Ok(Hex(&block).to_string())
        }
        Sm4Command::PinDecode { block, pan, key } => {
            let block: [u8; 16] = hex_arg("block", &block)?
                .try_into()
                .map_err(|v: Vec<u8>| format!("--block: 16 bytes, got {}", v.len()))?;
            let field = pin::decipher(&block, &sm4_key("key", &key)?, &pan)
                .map_err(|e| format!("--pan: {e}"))?;
            let pin = field
                .decode()
                .map_err(|e| format!("--block: {e} (wrong key or PAN?)"))?;
            Ok(pin.as_str().to_owned())
        }
        Sm4Command::Field62Open { tmk, data } => {
            let tmk = sm4_key("tmk", &tmk)?;
            let data = hex_arg("data", &data)?;
            let keys = cups::Field62::parse(&data)
                .and_then(|f| f.decrypt(&tmk))
                .map_err(|e| format!("--data: {e}"))?;
            let key = |k: &Sm4Key| {
                json!({
                    "key": Hex(k.expose()).to_string(),
                    "check_value": Hex(head(&k.check_value(), 4)).to_string(),
                })
            };
            let out = json!({
                "pik": key(&keys.pin),
                "mak": key(&keys.mac),
                "tdk": keys.track.as_ref().map_or(Value::Null, key),
            });
            Ok(out.to_string())
        }
        Sm4Command::Field62Build { tmk, pik, mak, tdk } => {
            let tdk = tdk.map(|t| sm4_key("tdk", &t)).transpose()?;
            let mut out = [0u8; 60];
            let n = cups::encrypt_field62(
                &sm4_key("tmk", &tmk)?,
                &sm4_key("pik", &pik)?,
                &sm4_key("mak", &mak)?,
                tdk.as_ref(),
                &mut out,
            )
            .map_err(|e| format!("field 62: {e}"))?;
            Ok(Hex(head(&out, n)).to_string())
        }
    }
}

fn crypt(args: &Sm4Args, encrypt: bool) -> Result<String, String> {
    let cipher = sm4_key("key", &args.key)?.cipher();
    let mut data = hex_arg("data", &args.data)?;
    if data.is_empty() || data.len() % 16 != 0 {
        return Err(format!(
            "--data: {} bytes; SM4 takes whole 16-byte blocks (pad first)",
            data.len()
        ));
    }
    let iv: Option<[u8; 16]> = args
        .iv
        .as_deref()
        .map(|iv| {
            hex_arg("iv", iv)?
                .try_into()
                .map_err(|v: Vec<u8>| format!("--iv: 16 bytes, got {}", v.len()))
        })
        .transpose()?;
    let done = match (args.mode.as_str(), encrypt) {
        ("ecb", _) if iv.is_some() => return Err("--iv: ECB takes no IV".to_owned()),
        ("ecb", true) => cipher.encrypt_ecb(&mut data),
        ("ecb", false) => cipher.decrypt_ecb(&mut data),
        ("cbc", true) => cipher.encrypt_cbc(&iv.unwrap_or_default(), &mut data),
        ("cbc", false) => cipher.decrypt_cbc(&iv.unwrap_or_default(), &mut data),
        (other, _) => return Err(format!("--mode {other:?}: use ecb or cbc")),
    };
    done.map_err(|e| format!("--data: {e}"))?;
    Ok(Hex(&data).to_string())
}

/// The SM4 MACs of `cardwire mac --alg sm4-cbc|sm4-cmac`.
pub fn sm4_mac(
    alg: &str,
    padding: Option<Padding>,
    key: &str,
    data: &str,
) -> Result<String, String> {
    let alg = match alg {
        "sm4-cbc" => Sm4Mac::CbcMac(padding.unwrap_or_default()),
        _ if padding.is_some() => {
            return Err(format!("--alg {alg} has a fixed padding; drop --padding"));
        }
        _ => Sm4Mac::Cmac,
    };
    let key = sm4_key("key", key)?;
    let data = hex_arg("data", data)?;
    Ok(Hex(&alg.compute(&key, &data)).to_string())
}

/// HMAC-SM3, for `cardwire mac --alg hmac-sm3`.
pub fn hmac_sm3(padding: Option<Padding>, key: &str, data: &str) -> Result<String, String> {
    if padding.is_some() {
        return Err("--alg hmac-sm3 takes no --padding".to_owned());
    }
    let key = zeroize::Zeroizing::new(hex_arg("key", key)?);
    let data = hex_arg("data", data)?;
    Ok(Hex(&sm3::hmac(&key, &data)).to_string())
}

/// The SM4 check value (first 3 bytes, as the other `kcv` algorithms print).
pub fn kcv(key: &str) -> Result<String, String> {
    Ok(Hex(head(&sm4_key("key", key)?.check_value(), 3)).to_string())
}

// ---------------------------------------------------------------------------------------
// sm2

#[derive(Debug, Subcommand)]
pub enum Sm2Command {
    /// Generate a key pair: {"private": HEX, "public": "04…"}.
    Keygen,
    /// Sign data; prints the 64-byte signature r ‖ s.
    Sign {
        /// The private key, 32 bytes of hex.
        #[arg(long)]
        private: String,
        /// The data as hex (or `-` for standard input).
        #[arg(long)]
        data: String,
        /// The signer's identifier.
        #[arg(long, default_value = "1234567812345678")]
        id: String,
    },
    /// Verify a signature: {"valid": true|false}; exit status 0 when valid, 1 when not.
    Verify {
        /// The public key, 65 bytes of hex `04 ‖ x ‖ y`.
        #[arg(long)]
        public: String,
        /// The data as hex (or `-` for standard input).
        #[arg(long)]
        data: String,
        /// The signature r ‖ s, 64 bytes of hex.
        #[arg(long)]
        signature: String,
        /// The signer's identifier.
        #[arg(long, default_value = "1234567812345678")]
        id: String,
    },
    /// Encrypt data to a public key; prints C1 ‖ C3 ‖ C2 (C1 as 04 ‖ x ‖ y).
    Encrypt {
        /// The public key, 65 bytes of hex `04 ‖ x ‖ y`.
        #[arg(long)]
        public: String,
        /// The data as hex, at least one byte (or `-` for standard input).
        #[arg(long)]
        data: String,
    },
    /// Decrypt C1 ‖ C3 ‖ C2 and print the data.
    Decrypt {
        /// The private key, 32 bytes of hex.
        #[arg(long)]
        private: String,
        /// The ciphertext as hex (or `-` for standard input).
        #[arg(long)]
        data: String,
    },
}

/// Runs an `sm2` command: its output, and whether it succeeded (a signature that does not
/// verify is a result, printed, with exit status 1).
pub fn run_sm2(cmd: Sm2Command) -> Result<(String, bool), String> {
    let mut rng = random::Os;
    match cmd {
        Sm2Command::Keygen => {
            let key = PrivateKey::generate(&mut rng).map_err(|e| format!("keygen: {e}"))?;
            let out = json!({
                "private": Hex(key.to_bytes().as_slice()).to_string(),
                "public": Hex(key.public_key().as_bytes()).to_string(),
            });
            Ok((out.to_string(), true))
        }
        Sm2Command::Sign { private, data, id } => {
            let key = private_key(&private)?;
            let data = hex_arg("data", &data)?;
            let sig = key
                .sign(&mut rng, id.as_bytes(), &data)
                .map_err(|e| format!("--id: {e}"))?;
            Ok((Hex(sig.as_bytes()).to_string(), true))
        }
        Sm2Command::Verify {
            public,
            data,
            signature,
            id,
        } => {
            let key = public_key("public", &public)?;
            let data = hex_arg("data", &data)?;
            let sig = hex_arg("signature", &signature)?;
            // A signature of the right length whose r or s is out of range is simply not
            // valid; a wrong length is a usage mistake.
            if sig.len() != sm2::SIGNATURE_LEN {
                return Err(format!(
                    "--signature: {} bytes, expected 64 (r ‖ s)",
                    sig.len()
                ));
            }
            if id.len() > sm2::MAX_ID_LEN {
                return Err(format!(
                    "--id: {} bytes, at most {}",
                    id.len(),
                    sm2::MAX_ID_LEN
                ));
            }
            let valid = Signature::from_bytes(&sig)
                .and_then(|s| key.verify(id.as_bytes(), &data, &s))
                .is_ok();
            Ok((json!({ "valid": valid }).to_string(), valid))
        }
        Sm2Command::Encrypt { public, data } => {
            let key = public_key("public", &public)?;
            let data = hex_arg("data", &data)?;
            if data.is_empty() {
                return Err("--data: SM2 encrypts at least one byte".to_owned());
            }
            let mut out = vec![0u8; sm2::ciphertext_len(data.len())];
            let n = key
                .encrypt(&mut rng, &data, &mut out)
                .map_err(|e| format!("encrypt: {e}"))?;
            Ok((Hex(head(&out, n)).to_string(), true))
        }
        Sm2Command::Decrypt { private, data } => {
            let key = private_key(&private)?;
            let data = hex_arg("data", &data)?;
            let ct = Ciphertext::parse(&data).map_err(|e| format!("--data: {e}"))?;
            let mut out = zeroize::Zeroizing::new(vec![0u8; ct.message_len()]);
            let n = key
                .decrypt(&ct, &mut out)
                .map_err(|e| format!("--data: {e} (wrong key, or the ciphertext was changed)"))?;
            Ok((Hex(head(&out, n)).to_string(), true))
        }
    }
}

// ---------------------------------------------------------------------------------------
// rkd

#[derive(Debug, Subcommand)]
pub enum RkdCommand {
    /// Host side: seal a terminal master key to a device; prints the envelope.
    Seal {
        /// The SM4 terminal master key as hex.
        #[arg(long)]
        tmk: String,
        /// The key version, 0 to 4294967295; the terminal takes only a newer one.
        #[arg(long)]
        key_version: u32,
        /// The device identifier (its registered serial number), 1 to 32 characters.
        #[arg(long)]
        device_id: String,
        /// The device's SM2 public key, 65 bytes of hex.
        #[arg(long)]
        device_public: String,
        /// The host's SM2 private key, 32 bytes of hex.
        #[arg(long)]
        host_private: String,
        /// The host's signer identifier.
        #[arg(long, default_value = "1234567812345678")]
        host_id: String,
    },
    /// Terminal side: check and open an envelope; prints {"key", "key_version",
    /// "check_value"}.
    Open {
        /// The envelope as hex (or `-` for standard input).
        #[arg(long)]
        envelope: String,
        /// The host's SM2 public key, 65 bytes of hex.
        #[arg(long)]
        host_public: String,
        /// The host's signer identifier.
        #[arg(long, default_value = "1234567812345678")]
        host_id: String,
        /// The device's SM2 private key, 32 bytes of hex.
        #[arg(long)]
        device_private: String,
        /// The device's identifier.
        #[arg(long)]
        device_id: String,
        /// The key version the device holds now; the envelope must be newer.
        #[arg(long)]
        installed_version: Option<u32>,
    },
}

pub fn run_rkd(cmd: RkdCommand) -> Result<String, String> {
    match cmd {
        RkdCommand::Seal {
            tmk,
            key_version,
            device_id,
            device_public,
            host_private,
            host_id,
        } => {
            let tmk = sm4_key("tmk", &tmk)?;
            let device = public_key("device-public", &device_public)?;
            let host = PrivateKey::from_bytes(&zeroize::Zeroizing::new(hex_arg(
                "host-private",
                &host_private,
            )?))
            .map_err(|e| format!("--host-private: {e}"))?;
            let recipient = Recipient {
                device_id: device_id.as_bytes(),
                public_key: &device,
            };
            let mut out = [0u8; rkd::MAX_ENVELOPE_LEN];
            let n = rkd::seal(
                &mut random::Os,
                &tmk,
                key_version,
                &recipient,
                &host,
                host_id.as_bytes(),
                &mut out,
            )
            .map_err(|e| format!("--device-id / --host-id: {e}"))?;
            Ok(Hex(head(&out, n)).to_string())
        }
        RkdCommand::Open {
            envelope,
            host_public,
            host_id,
            device_private,
            device_id,
            installed_version,
        } => {
            let bytes = hex_arg("envelope", &envelope)?;
            let env = Envelope::parse(&bytes).map_err(|e| format!("--envelope: {e}"))?;
            let host_key = public_key("host-public", &host_public)?;
            let device = PrivateKey::from_bytes(&zeroize::Zeroizing::new(hex_arg(
                "device-private",
                &device_private,
            )?))
            .map_err(|e| format!("--device-private: {e}"))?;
            let host = Host {
                public_key: &host_key,
                id: host_id.as_bytes(),
            };
            let key = env
                .open(&host, &device, device_id.as_bytes(), installed_version)
                .map_err(|e| format!("--envelope: refused: {e}"))?;
            let out = json!({
                "key": Hex(key.expose()).to_string(),
                "key_version": env.key_version(),
                "check_value": Hex(env.check_value()).to_string(),
            });
            Ok(out.to_string())
        }
    }
}
