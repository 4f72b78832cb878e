//! The one loader of `spec-vectors/pos-fixtures.json`: the keys, cardholders, merchants and
//! terminals that the simulated cards, the terminal, the acquirer host, the examples and the
//! tests share, read into typed values once.

use std::path::PathBuf;

use cardwire_acquirer::{IssuerKeys, Merchant, Registry, TerminalEntry, TerminalProfile};
use cardwire_crypto::TdesKey;
use cardwire_crypto::cups::MacAlgorithm;
use cardwire_crypto::emv::CdolProfile;
use cardwire_crypto::pin::Pin;
use cardwire_crypto::sm::cups::MasterKey;
use cardwire_merchant::FeeRate;
use cardwire_pos::card::sim::{Account, Profile, SimCard, track2};
use cardwire_pos::card::{CardData, Interface};
use cardwire_pos::{Config, Terminal};
use serde::Deserialize;

use crate::request::TestTerminal;

/// The path of the fixtures file, beside this crate in the repository.
pub fn fixtures_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../spec-vectors/pos-fixtures.json")
}

/// The file as it is written (unknown members, such as the notes, are ignored).
#[derive(Deserialize)]
struct File {
    issuer: IssuerJson,
    cards: Vec<CardJson>,
    merchants: Vec<MerchantJson>,
    code_pool: PoolJson,
    terminals: Vec<TerminalJson>,
    floor_limit_fen: u64,
}

#[derive(Deserialize)]
struct IssuerJson {
    imk_ac: String,
    pvk: String,
    pvki: u8,
    card_profile: ProfileJson,
}

#[derive(Deserialize)]
struct ProfileJson {
    aip: String,
    iad: String,
    cdol1: String,
    pdol: String,
    aid: String,
    application_label: String,
}

#[derive(Deserialize)]
struct CardJson {
    id: String,
    pan: String,
    psn: String,
    expiry: String,
    service_code: String,
    pin: String,
    balance_fen: i64,
}

#[derive(Deserialize)]
struct MerchantJson {
    id: String,
    merchant_no: String,
    name: String,
    mcc: String,
    region: String,
    fee_bps: u16,
    group: String,
    city: String,
}

#[derive(Deserialize)]
struct PoolJson {
    merchant_numbers: Vec<String>,
    name: String,
}

#[derive(Deserialize)]
struct TerminalJson {
    id: String,
    terminal_id: String,
    serial: String,
    merchant: Option<String>,
    tmk: String,
    activated: bool,
    rotates_through: Option<String>,
    /// The MAC algorithm of its profile (`retail-x9.19`, or `cups-ecb-legacy`).
    mac: String,
}

/// A card of the fixtures.
#[derive(Clone, Debug)]
pub struct CardFixture {
    /// Fixture id, e.g. `debit-chip`.
    pub id: String,
    /// PAN.
    pub pan: String,
    /// PAN sequence number.
    pub psn: u8,
    /// `YYMM`.
    pub expiry: String,
    /// Service code.
    pub service_code: String,
    /// PIN.
    pub pin: String,
    /// Opening balance, fen.
    pub balance: i64,
}

/// A merchant of the fixtures.
#[derive(Clone, Debug)]
pub struct MerchantFixture {
    /// Fixture id, e.g. `noodle-shop`.
    pub id: String,
    /// The 15-digit merchant number.
    pub merchant_no: String,
    /// Name.
    pub name: String,
    /// MCC.
    pub mcc: String,
    /// Region code (GB/T 2260, 4 digits).
    pub region: String,
    /// The fee rate the acquirer charges it.
    pub fee_rate: FeeRate,
    /// Business group, e.g. `hotel`.
    pub group: String,
    /// City (the merchant QR code's).
    pub city: String,
}

/// A terminal of the fixtures.
#[derive(Clone, Debug)]
pub struct TerminalFixture {
    /// Fixture id, e.g. `noodle-1`.
    pub id: String,
    /// Terminal id (field 41).
    pub terminal_id: String,
    /// Device serial number.
    pub serial: String,
    /// The merchant number it is bound to; for an unbound terminal, the first merchant's,
    /// which it would claim.
    pub merchant_no: String,
    /// TMK.
    pub tmk: TdesKey,
    /// Whether the acquirer activated it.
    pub activated: bool,
    /// Its profile at the acquirer.
    pub profile: TerminalProfile,
}

/// The simulated cards' profile.
#[derive(Clone, Debug)]
pub struct CardProfile {
    /// AID.
    pub aid: Vec<u8>,
    /// Application label.
    pub label: String,
    /// AIP.
    pub aip: [u8; 2],
    /// Issuer application data.
    pub iad: Vec<u8>,
    /// CDOL1.
    pub cdol1: Vec<u8>,
    /// PDOL (contact).
    pub pdol: Vec<u8>,
}

/// The fixtures, read.
#[derive(Clone, Debug)]
pub struct Fixtures {
    /// The acquirer's registry: merchants (and the rotation pool's), terminals, cardholders
    /// (with PVVs), issuer keys.
    pub registry: Registry,
    /// The cards.
    pub cards: Vec<CardFixture>,
    /// The merchants (without the pool).
    pub merchants: Vec<MerchantFixture>,
    /// The terminals.
    pub terminals: Vec<TerminalFixture>,
    /// The card profile.
    pub profile: CardProfile,
    /// IMK-AC (for the simulated cards and the independent oracle).
    pub imk_ac: TdesKey,
    /// The contactless no-CVM limit, fen.
    pub floor_limit: u64,
}

fn hex(text: &str) -> Result<Vec<u8>, String> {
    cardwire_emv::hex::decode_to_vec(text).map_err(|e| format!("{text}: {e}"))
}

fn key(text: &str) -> Result<TdesKey, String> {
    TdesKey::new(&hex(text)?).map_err(|e| format!("key {text}: {e}"))
}

impl Fixtures {
    /// Reads the fixtures file.
    ///
    /// # Errors
    /// A message naming what could not be read.
    pub fn load() -> Result<Self, String> {
        let path = fixtures_path();
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        Self::from_json(&text)
    }

    /// Reads fixtures from their JSON.
    ///
    /// # Errors
    /// A message naming what is missing or malformed.
    pub fn from_json(text: &str) -> Result<Self, String> {
        let file: File = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let p = &file.issuer.card_profile;
        let profile = CardProfile {
            aid: hex(&p.aid)?,
            label: p.application_label.clone(),
            aip: hex(&p.aip)?
                .try_into()
                .map_err(|_| "aip: 2 bytes".to_string())?,
            iad: hex(&p.iad)?,
            cdol1: hex(&p.cdol1)?,
            pdol: hex(&p.pdol)?,
        };
        let mut registry = Registry {
            merchants: Vec::new(),
            terminals: Vec::new(),
            cardholders: Vec::new(),
            issuer: IssuerKeys {
                imk_ac: key(&file.issuer.imk_ac)?,
                pvk: key(&file.issuer.pvk)?,
                pvki: file.issuer.pvki,
                cdol1: profile.cdol1.clone(),
                profile: CdolProfile::STANDARD,
            },
        };
        let merchants: Vec<MerchantFixture> = file
            .merchants
            .iter()
            .map(|m| MerchantFixture {
                id: m.id.clone(),
                merchant_no: m.merchant_no.clone(),
                name: m.name.clone(),
                mcc: m.mcc.clone(),
                region: m.region.clone(),
                fee_rate: FeeRate::from_bps(m.fee_bps),
                group: m.group.clone(),
                city: m.city.clone(),
            })
            .collect();
        for m in &merchants {
            registry.merchants.push(Merchant {
                merchant_no: m.merchant_no.clone(),
                name: m.name.clone(),
                mcc: m.mcc.clone(),
                fee_rate: m.fee_rate,
            });
        }
        for no in &file.code_pool.merchant_numbers {
            registry.merchants.push(Merchant {
                merchant_no: no.clone(),
                name: file.code_pool.name.clone(),
                // The MCC inside the merchant number (digits 8–11).
                mcc: no.get(7..11).ok_or("a pool number of 15 digits")?.into(),
                fee_rate: FeeRate::default(),
            });
        }
        let mut cards = Vec::new();
        for c in &file.cards {
            let card = CardFixture {
                id: c.id.clone(),
                pan: c.pan.clone(),
                psn: c.psn.parse().map_err(|_| format!("psn of {}", c.id))?,
                expiry: c.expiry.clone(),
                service_code: c.service_code.clone(),
                pin: c.pin.clone(),
                balance: c.balance_fen,
            };
            registry
                .add_cardholder(
                    &card.pan,
                    card.psn,
                    &card.expiry,
                    &card.service_code,
                    &card.pin,
                    card.balance,
                )
                .map_err(|e| e.to_string())?;
            cards.push(card);
        }
        let first = merchants
            .first()
            .ok_or("at least one merchant")?
            .merchant_no
            .clone();
        let mut terminals = Vec::new();
        for t in &file.terminals {
            let bound = match &t.merchant {
                Some(id) => Some(
                    merchants
                        .iter()
                        .find(|m| &m.id == id)
                        .ok_or(format!("terminal {}: no merchant {id}", t.id))?
                        .merchant_no
                        .clone(),
                ),
                None => None,
            };
            let rotates = t.rotates_through.as_deref() == Some("code_pool");
            let profile = TerminalProfile {
                mac: MacAlgorithm::from_name(&t.mac)
                    .ok_or(format!("terminal {}: no MAC algorithm {}", t.id, t.mac))?,
                ..TerminalProfile::STANDARD
            };
            let tmk = key(&t.tmk)?;
            let entry = TerminalEntry {
                terminal_id: t.terminal_id.clone(),
                serial: t.serial.clone(),
                tmk: MasterKey::Tdes(tmk.clone()),
                activated: t.activated,
                merchant_no: bound.clone(),
                pool: if rotates {
                    file.code_pool.merchant_numbers.clone()
                } else {
                    Vec::new()
                },
                profile,
                device_key: None,
            };
            terminals.push(TerminalFixture {
                id: t.id.clone(),
                terminal_id: t.terminal_id.clone(),
                serial: t.serial.clone(),
                merchant_no: bound.unwrap_or_else(|| first.clone()),
                tmk,
                activated: t.activated,
                profile,
            });
            registry.terminals.push(entry);
        }
        Ok(Self {
            imk_ac: registry.issuer.imk_ac.clone(),
            registry,
            cards,
            merchants,
            terminals,
            profile,
            floor_limit: file.floor_limit_fen,
        })
    }

    /// The card with this fixture id.
    ///
    /// # Panics
    /// When there is none (test support).
    pub fn card(&self, id: &str) -> &CardFixture {
        self.cards
            .iter()
            .find(|c| c.id == id)
            .unwrap_or_else(|| panic!("no card {id} in the fixtures"))
    }

    /// The merchant with this fixture id.
    ///
    /// # Panics
    /// When there is none (test support).
    pub fn merchant(&self, id: &str) -> &MerchantFixture {
        self.merchants
            .iter()
            .find(|m| m.id == id)
            .unwrap_or_else(|| panic!("no merchant {id} in the fixtures"))
    }

    /// The terminal with this fixture id.
    ///
    /// # Panics
    /// When there is none (test support).
    pub fn terminal(&self, id: &str) -> &TerminalFixture {
        self.terminals
            .iter()
            .find(|t| t.id == id)
            .unwrap_or_else(|| panic!("no terminal {id} in the fixtures"))
    }

    /// The independent request builder (the test suite's terminal) of terminal `id`: its
    /// serial number and its profile's MAC algorithm.
    pub fn test_terminal(&self, id: &str) -> TestTerminal {
        let t = self.terminal(id);
        let mut tt = TestTerminal::new(&t.terminal_id, &t.merchant_no, t.tmk.clone(), self);
        tt.serial = Some(t.serial.clone());
        tt.mac = t.profile.mac;
        tt
    }

    /// The configuration of terminal `id` for the merchant number `merchant_no` it claims
    /// (its own, or another's): that merchant's name, city and fee rate, its serial number,
    /// the fixtures' floor limit.
    pub fn config_for(&self, id: &str, merchant_no: &str) -> Config {
        let t = self.terminal(id);
        let m = self
            .merchants
            .iter()
            .find(|m| m.merchant_no == merchant_no)
            .unwrap_or_else(|| panic!("no merchant {merchant_no} in the fixtures"));
        Config::new(&t.terminal_id, merchant_no, &m.name)
            .and_then(|c| c.with_serial(&t.serial))
            .and_then(|c| c.with_city(&m.city))
            .unwrap_or_else(|e| panic!("terminal {id}: {e}"))
            .with_fee_rate(m.fee_rate)
            .with_floor_limit(self.floor_limit)
            .with_mac(t.profile.mac)
    }

    /// The configuration of terminal `id` for its own merchant.
    pub fn config(&self, id: &str) -> Config {
        self.config_for(id, &self.terminal(id).merchant_no)
    }

    /// A cardwire-pos terminal for terminal `id`, with its TMK, before sign-in.
    pub fn pos_terminal<const J: usize>(&self, id: &str) -> Terminal<J> {
        Terminal::new(self.config(id), self.terminal(id).tmk.clone())
    }

    /// The simulated cards' profile, as the simulated card takes it.
    pub fn sim_profile(&self) -> Profile<'_> {
        let p = &self.profile;
        Profile {
            aid: &p.aid,
            label: &p.label,
            aip: p.aip,
            iad: &p.iad,
            cdol1: &p.cdol1,
            pdol: &p.pdol,
            cryptogram: self.registry.issuer.profile,
        }
    }

    /// The cardholder data on card `id` (discretionary data `0000000000`).
    pub fn account(&self, id: &str) -> Account<'_> {
        let c = self.card(id);
        Account {
            pan: &c.pan,
            psn: c.psn,
            expiry: &c.expiry,
            service_code: &c.service_code,
            discretionary: "0000000000",
        }
    }

    /// Card `id`, simulated, presented on `interface`.
    pub fn sim_card(&self, id: &str, interface: Interface) -> SimCard {
        SimCard::new(
            &self.sim_profile(),
            &self.account(id),
            &self.imk_ac,
            interface,
        )
        .unwrap_or_else(|e| panic!("card {id}: {e}"))
    }

    /// Card `id`'s stripe, swiped.
    pub fn swipe(&self, id: &str) -> CardData {
        let t2 = track2(&self.account(id)).unwrap_or_else(|e| panic!("card {id}: {e}"));
        CardData::swipe(t2.as_str()).unwrap_or_else(|e| panic!("card {id}: {e}"))
    }

    /// Card `id`'s PIN.
    pub fn pin(&self, id: &str) -> Pin {
        Pin::new(&self.card(id).pin).unwrap_or_else(|e| panic!("card {id}: {e}"))
    }
}
