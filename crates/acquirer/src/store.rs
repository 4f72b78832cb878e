//! The registry at rest: merchants, terminals (activation, binding, rotation pool), cardholders
//! and the issuer's keys in tables beside the ledger — the data directory's SQLite file, or
//! the PostgreSQL database the nodes share ([`Location`]) — so that what an operator changes
//! survives a restart and reaches every node.
//!
//! Nothing secret is stored in clear: terminal master keys, the issuer's keys and the
//! acquirer's SM2 key of remote key download are wrapped under the [`KeyStore`]'s KEK (each
//! bound to its row by its label); devices' SM2 public keys are kept as they are (public);
//! card numbers are kept as
//! the keyed hash, the display form and ciphertext under the card-data key (see
//! [`crate::keystore`]).

use alloc::string::String;
use alloc::vec::Vec;
use std::path::{Path, PathBuf};

use alloc::collections::BTreeMap;

use cardwire_crypto::TdesKey;
use cardwire_crypto::emv::CdolProfile;
use cardwire_crypto::sm::Sm4Key;
use cardwire_crypto::sm::cups::MasterKey;
use cardwire_crypto::sm::sm2::{PrivateKey, PublicKey};
use cardwire_merchant::FeeRate;
use rand_core::TryCryptoRng;
use rusqlite::Connection;

use crate::error::{Error, ErrorKind, Result};
use crate::keystore::{CardDataKey, KeyStore, display_pan};
use crate::registry::{Cardholder, IssuerKeys, Merchant, Registry, TerminalEntry, TerminalProfile};
use crate::sqldb::{Db, Val, vals};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS keys (
    name TEXT PRIMARY KEY,
    wrapped BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS merchants (
    merchant_no TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    mcc TEXT NOT NULL,
    fee_millionths INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS terminals (
    terminal_id TEXT PRIMARY KEY,
    serial TEXT NOT NULL,
    tmk_wrapped BLOB NOT NULL,
    activated INTEGER NOT NULL,
    merchant_no TEXT,
    pool TEXT NOT NULL,
    mac TEXT NOT NULL,
    tpdu TEXT NOT NULL,
    header TEXT NOT NULL,
    security_control TEXT NOT NULL,
    tmk_alg TEXT NOT NULL DEFAULT 'tdes'
);
CREATE TABLE IF NOT EXISTS device_keys (
    terminal_id TEXT PRIMARY KEY,
    public_key BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS cardholders (
    card_token BLOB PRIMARY KEY,
    card_display TEXT NOT NULL,
    card_cipher BLOB NOT NULL,
    psn INTEGER NOT NULL,
    expiry TEXT NOT NULL,
    service_code TEXT NOT NULL,
    pvv TEXT NOT NULL,
    balance INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS registry_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT OR IGNORE INTO registry_version (id, version) VALUES (1, 0);
CREATE TABLE IF NOT EXISTS issuer (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    imk_ac_wrapped BLOB NOT NULL,
    pvk_wrapped BLOB NOT NULL,
    pvki INTEGER NOT NULL,
    cdol1 BLOB NOT NULL
);
";

fn db_err(operation: &'static str) -> impl Fn(rusqlite::Error) -> Error {
    move |e| Error::new(ErrorKind::Ledger).during(operation).caused_by(e)
}

/// Brings a file of an older version to [`SCHEMA`]: a terminal stored before profiles had
/// their framing had the standard profile's TPDU, header and field 53 (its MAC algorithm
/// was stored), so those are its values.
fn migrate(conn: &Connection) -> Result<()> {
    let s = TerminalProfile::STANDARD;
    for (column, value) in [
        ("tpdu", s.tpdu_text()),
        ("header", s.header_text()),
        ("security_control", s.security_control_text()),
    ] {
        let has: bool = conn
            .query_row(
                "SELECT COUNT(*) FROM pragma_table_info('terminals') WHERE name = ?1",
                [column],
                |r| r.get(0),
            )
            .map_err(db_err("migrating the registry"))?;
        if !has {
            // Hex digits and digits only: safe inside the statement.
            conn.execute_batch(&alloc::format!(
                "ALTER TABLE terminals ADD COLUMN {column} TEXT NOT NULL DEFAULT '{value}'"
            ))
            .map_err(db_err("migrating the registry (terminal framing)"))?;
        }
    }
    // The master key's cipher, stored beside it: older databases kept SM4 keys of the SM4
    // profile in the same column as TDES ones, the profile telling them apart.
    let has_alg: bool = conn
        .query_row(
            "SELECT COUNT(*) FROM pragma_table_info('terminals') WHERE name = 'tmk_alg'",
            [],
            |r| r.get(0),
        )
        .map_err(db_err("migrating the registry"))?;
    if !has_alg {
        conn.execute_batch(
            "ALTER TABLE terminals ADD COLUMN tmk_alg TEXT NOT NULL DEFAULT 'tdes'; \
             UPDATE terminals SET tmk_alg = 'sm4' WHERE mac = 'sm4-cbc-mac';",
        )
        .map_err(db_err("migrating the registry (master key cipher)"))?;
    }
    Ok(())
}

/// Where the acquirer's registry and ledger are: the data directory's SQLite file, or the
/// PostgreSQL database that several nodes share (`ledger = "postgres://…"` in the
/// configuration).
#[derive(Clone, PartialEq, Eq)]
pub enum Location {
    /// The SQLite file (`acquirer.db` in the data directory).
    File(PathBuf),
    /// The PostgreSQL URL.
    Postgres(String),
}

impl core::fmt::Debug for Location {
    // The URL may carry a password: it stays out.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::File(p) => f.debug_tuple("File").field(p).finish(),
            Self::Postgres(_) => f.write_str("Postgres(…)"),
        }
    }
}

impl Location {
    /// The database of a data directory: PostgreSQL when `ledger` names one, else the
    /// directory's `acquirer.db`.
    pub fn of(data_dir: &Path, ledger: Option<&str>) -> Self {
        match ledger {
            Some(url) => Self::Postgres(url.into()),
            None => Self::File(data_dir.join("acquirer.db")),
        }
    }

    /// Opens the tables' database (the PostgreSQL schema migrated, the SQLite file made).
    pub(crate) fn open(&self, during: &'static str) -> Result<Db> {
        match self {
            Self::File(path) => Db::sqlite(path, during),
            #[cfg(feature = "postgres")]
            Self::Postgres(url) => Db::postgres(url),
            #[cfg(not(feature = "postgres"))]
            Self::Postgres(_) => Err(Error::new(ErrorKind::Config)
                .during("opening PostgreSQL (built without the `postgres` feature)")),
        }
    }
}

/// The registry's tables in the ledger's database (SQLite file or PostgreSQL).
pub struct RegistryStore<'k> {
    db: Db,
    keys: &'k dyn KeyStore,
    card: CardDataKey,
}

impl core::fmt::Debug for RegistryStore<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RegistryStore")
            .field("db", &self.db)
            .finish_non_exhaustive()
    }
}

fn tmk_label(terminal_id: &str) -> String {
    alloc::format!("tmk/{terminal_id}")
}

/// The label (and `keys` row) of the acquirer's SM2 key that signs remote key downloads.
const RKD_SIGNER_LABEL: &str = "acquirer/rkd-sm2";

impl<'k> RegistryStore<'k> {
    /// Opens the registry's tables in the SQLite file at `path` (the ledger's), creating them.
    ///
    /// # Errors
    /// [`ErrorKind::Ledger`] for the database, [`ErrorKind::KeyStore`] when the file's
    /// card-data key does not unwrap under `keys`.
    pub fn open(path: impl AsRef<Path>, keys: &'k dyn KeyStore) -> Result<Self> {
        Self::open_at(&Location::File(path.as_ref().into()), keys)
    }

    /// Opens the registry's tables where `location` says: in the SQLite file (created when
    /// missing) or in PostgreSQL (the ledger's migrations applied first, this one's tables
    /// among them).
    ///
    /// # Errors
    /// As [`RegistryStore::open`]; [`ErrorKind::LedgerUnavailable`] when PostgreSQL cannot
    /// be reached, [`ErrorKind::Config`] for a URL that does not parse.
    pub fn open_at(location: &Location, keys: &'k dyn KeyStore) -> Result<Self> {
        let db = location.open("opening the registry")?;
        if let Some(conn) = db.as_sqlite() {
            conn.execute_batch(SCHEMA)
                .map_err(db_err("creating the registry"))?;
            migrate(conn)?;
        }
        let card = db.card_data_key(keys)?;
        Ok(Self { db, keys, card })
    }

    /// Stores the whole of `registry` (rows of the same keys are replaced), in one transaction.
    ///
    /// # Errors
    /// As [`RegistryStore::open`].
    pub fn save(&mut self, registry: &Registry) -> Result<()> {
        let (keys, card) = (self.keys, &self.card);
        self.db.transaction("storing the registry", |db| {
            for m in &registry.merchants {
                put_merchant(db, m)?;
            }
            for t in &registry.terminals {
                put_terminal(db, keys, t)?;
            }
            for c in &registry.cardholders {
                db.execute(
                    "INSERT INTO cardholders (card_token, card_display, card_cipher, psn, \
                     expiry, service_code, pvv, balance) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) \
                     ON CONFLICT (card_token) DO UPDATE SET card_display = excluded.card_display, \
                     card_cipher = excluded.card_cipher, psn = excluded.psn, \
                     expiry = excluded.expiry, service_code = excluded.service_code, \
                     pvv = excluded.pvv, balance = excluded.balance",
                    vals![
                        card.token(&c.pan)?,
                        display_pan(&c.pan),
                        card.seal(&c.pan)?,
                        c.psn,
                        &c.expiry,
                        &c.service_code,
                        &c.pvv,
                        c.balance
                    ],
                    "storing a cardholder",
                )?;
            }
            let i = &registry.issuer;
            db.execute(
                "INSERT INTO issuer (id, imk_ac_wrapped, pvk_wrapped, pvki, cdol1) \
                 VALUES (1, ?1, ?2, ?3, ?4) ON CONFLICT (id) DO UPDATE SET \
                 imk_ac_wrapped = excluded.imk_ac_wrapped, pvk_wrapped = excluded.pvk_wrapped, \
                 pvki = excluded.pvki, cdol1 = excluded.cdol1",
                vals![
                    keys.wrap("issuer/imk-ac", i.imk_ac.expose())?,
                    keys.wrap("issuer/pvk", i.pvk.expose())?,
                    i.pvki,
                    i.cdol1.clone()
                ],
                "storing the issuer keys",
            )?;
            bump(db)
        })
    }

    /// The registry's version: every change through this store raises it (in the same
    /// transaction), so that a running host sees that it must load the registry again.
    ///
    /// # Errors
    /// As [`RegistryStore::open`].
    pub fn version(&self) -> Result<u64> {
        self.db
            .query_opt(
                "SELECT version FROM registry_version WHERE id = 1",
                vals![],
                "reading the registry version",
            )?
            .ok_or_else(|| {
                Error::new(ErrorKind::LedgerCorrupt).during("reading the registry version (no row)")
            })?
            .int_as(0)
    }

    /// Runs `change` and raises the version, in one transaction.
    fn changing<T>(&mut self, change: impl FnOnce(&Db) -> Result<T>) -> Result<T> {
        self.db.transaction("changing the registry", |db| {
            let out = change(db)?;
            bump(db)?;
            Ok(out)
        })
    }

    /// Adds (or replaces) a merchant.
    ///
    /// # Errors
    /// As [`RegistryStore::open`].
    pub fn add_merchant(&mut self, m: &Merchant) -> Result<()> {
        self.changing(|db| put_merchant(db, m))
    }

    /// Whether `sql` (one `?1` parameter, `key`) finds a row.
    fn has_row(&self, sql: &str, key: &str, during: &'static str) -> Result<bool> {
        Ok(self.db.query_opt(sql, vals![key], during)?.is_some())
    }

    fn refuse_existing(&self, terminal_id: &str) -> Result<()> {
        if self.has_row(
            "SELECT 1 FROM terminals WHERE terminal_id = ?1",
            terminal_id,
            "adding a terminal",
        )? {
            return Err(Error::new(ErrorKind::InvalidInput)
                .during("adding a terminal (it exists)")
                .about(terminal_id));
        }
        Ok(())
    }

    /// Adds a terminal with this profile, not activated and not bound; its master key is
    /// stored wrapped.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] when the terminal exists, else as [`RegistryStore::open`].
    pub fn add_terminal(
        &mut self,
        terminal_id: &str,
        serial: &str,
        tmk: &TdesKey,
        profile: TerminalProfile,
    ) -> Result<()> {
        self.refuse_existing(terminal_id)?;
        let keys = self.keys;
        self.changing(|db| {
            put_terminal(
                db,
                keys,
                &TerminalEntry {
                    terminal_id: terminal_id.into(),
                    serial: serial.into(),
                    // The profile's cipher: `--profile sm4 --tmk HEX` is an SM4 key.
                    tmk: if profile.mac.is_sm4() {
                        MasterKey::from_parts("sm4", tmk.expose())?
                    } else {
                        MasterKey::Tdes(tmk.clone())
                    },
                    activated: false,
                    merchant_no: None,
                    pool: Vec::new(),
                    profile,
                    device_key: None,
                },
            )
        })
    }

    /// Adds a terminal of the SM4 profile that gets its master key by remote key download:
    /// the device's SM2 public key is registered with it, and its SM4 master key is drawn
    /// here from `rng` and stored wrapped — nobody types or sees it. Not activated, not
    /// bound.
    ///
    /// # Errors
    /// As [`RegistryStore::add_terminal`]; [`ErrorKind::Crypto`] when `rng` fails.
    pub fn add_key_download_terminal<R: TryCryptoRng + ?Sized>(
        &mut self,
        terminal_id: &str,
        serial: &str,
        device_key: &PublicKey,
        rng: &mut R,
    ) -> Result<()> {
        self.refuse_existing(terminal_id)?;
        let tmk = Sm4Key::generate(rng)?;
        let keys = self.keys;
        self.changing(|db| {
            put_terminal(
                db,
                keys,
                &TerminalEntry {
                    terminal_id: terminal_id.into(),
                    serial: serial.into(),
                    tmk: MasterKey::Sm4(tmk),
                    activated: false,
                    merchant_no: None,
                    pool: Vec::new(),
                    profile: TerminalProfile::SM4,
                    device_key: Some(*device_key),
                },
            )
        })
    }

    /// The acquirer's SM2 key that signs remote key downloads: unwrapped from the database,
    /// or drawn from `rng` and stored wrapped under the KEK the first time (of two nodes
    /// drawing it at once, the second takes the first's).
    ///
    /// # Errors
    /// [`ErrorKind::KeyStore`] when it does not unwrap; [`ErrorKind::Crypto`]; as
    /// [`RegistryStore::open`].
    pub fn acquirer_sm2_key<R: TryCryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
    ) -> Result<PrivateKey> {
        let read = |db: &Db| -> Result<Option<Vec<u8>>> {
            db.query_opt(
                "SELECT wrapped FROM keys WHERE name = ?1",
                vals![RKD_SIGNER_LABEL],
                "reading the acquirer's SM2 key",
            )?
            .map(|r| r.bytes(0))
            .transpose()
        };
        if read(&self.db)?.is_none() {
            let key = PrivateKey::generate(rng)?;
            let wrapped = self
                .keys
                .wrap(RKD_SIGNER_LABEL, key.to_bytes().as_slice())?;
            self.db.execute(
                "INSERT INTO keys (name, wrapped) VALUES (?1, ?2) ON CONFLICT (name) DO NOTHING",
                vals![RKD_SIGNER_LABEL, wrapped],
                "storing the acquirer's SM2 key",
            )?;
        }
        let wrapped = read(&self.db)?.ok_or_else(|| {
            Error::new(ErrorKind::Ledger).during("storing the acquirer's SM2 key")
        })?;
        let clear = self.keys.unwrap_key(RKD_SIGNER_LABEL, &wrapped)?;
        Ok(PrivateKey::from_bytes(&clear)?)
    }

    /// Binds a terminal to a merchant of the registry (it then settles under that number).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] for an unknown terminal or merchant.
    pub fn bind(&mut self, terminal_id: &str, merchant_no: &str) -> Result<()> {
        if !self.has_row(
            "SELECT 1 FROM merchants WHERE merchant_no = ?1",
            merchant_no,
            "binding a terminal",
        )? {
            return Err(Error::new(ErrorKind::InvalidInput)
                .during("binding a terminal to an unknown merchant")
                .about(merchant_no));
        }
        self.update(
            "UPDATE terminals SET merchant_no = ?2 WHERE terminal_id = ?1",
            terminal_id,
            Some(merchant_no),
        )
    }

    /// Activates a terminal (it may sign in once bound too).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] for an unknown terminal.
    pub fn activate(&mut self, terminal_id: &str) -> Result<()> {
        self.update(
            "UPDATE terminals SET activated = TRUE WHERE terminal_id = ?1",
            terminal_id,
            None,
        )
    }

    /// Unbinds a terminal: it can no longer sign in or transact (a running host refuses it
    /// once it has loaded the registry again), until it is bound again.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] for an unknown terminal.
    pub fn unbind(&mut self, terminal_id: &str) -> Result<()> {
        self.update(
            "UPDATE terminals SET merchant_no = NULL WHERE terminal_id = ?1",
            terminal_id,
            None,
        )
    }

    /// Runs `sql` on one terminal (`?1`; `?2` is `value` when given).
    fn update(&mut self, sql: &str, terminal_id: &str, value: Option<&str>) -> Result<()> {
        self.changing(|db| {
            let mut params = vals![terminal_id];
            params.extend(value.map(Val::from));
            if db.execute(sql, params, "changing a terminal")? == 1 {
                Ok(())
            } else {
                Err(Error::new(ErrorKind::InvalidInput)
                    .during("changing an unknown terminal")
                    .about(terminal_id))
            }
        })
    }

    /// The registry as stored, keys unwrapped.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] when no issuer was imported, [`ErrorKind::KeyStore`] when a
    /// key does not unwrap, else as [`RegistryStore::open`].
    pub fn load(&self) -> Result<Registry> {
        let db = &self.db;
        let merchants = db
            .query(
                "SELECT merchant_no, name, mcc, fee_millionths FROM merchants ORDER BY merchant_no",
                vals![],
                "reading the merchants",
            )?
            .iter()
            .map(|r| {
                Ok(Merchant {
                    merchant_no: r.text(0)?,
                    name: r.text(1)?,
                    mcc: r.text(2)?,
                    fee_rate: FeeRate::from_millionths(r.int_as(3)?).ok_or_else(|| {
                        Error::new(ErrorKind::LedgerCorrupt).during("reading a merchant's fee rate")
                    })?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let mut device_keys: BTreeMap<String, PublicKey> = db
            .query(
                "SELECT terminal_id, public_key FROM device_keys",
                vals![],
                "reading the device keys",
            )?
            .iter()
            .map(|r| Ok((r.text(0)?, PublicKey::from_bytes(&r.bytes(1)?)?)))
            .collect::<Result<_>>()?;
        let rows = db.query(
            "SELECT terminal_id, serial, tmk_wrapped, activated, merchant_no, pool, mac, tpdu, \
             header, security_control, tmk_alg FROM terminals ORDER BY terminal_id",
            vals![],
            "reading the terminals",
        )?;
        let mut terminals = Vec::with_capacity(rows.len());
        for r in &rows {
            let terminal_id = r.text(0)?;
            let profile =
                TerminalProfile::from_text(&r.text(6)?, &r.text(7)?, &r.text(8)?, &r.text(9)?)
                    .map_err(|part| {
                        Error::new(ErrorKind::InvalidInput)
                            .during("reading the terminals (a profile that does not read)")
                            .about(alloc::format!("{terminal_id}: {part}"))
                    })?;
            let clear = self
                .keys
                .unwrap_key(&tmk_label(&terminal_id), &r.bytes(2)?)?;
            let tmk = MasterKey::from_parts(&r.text(10)?, &clear)?;
            terminals.push(TerminalEntry {
                pool: r
                    .text(5)?
                    .split(',')
                    .filter(|p| !p.is_empty())
                    .map(String::from)
                    .collect(),
                device_key: device_keys.remove(&terminal_id),
                serial: r.text(1)?,
                tmk,
                activated: r.flag(3)?,
                merchant_no: r.opt_text(4)?,
                profile,
                terminal_id,
            });
        }
        let cardholders = db
            .query(
                "SELECT card_cipher, psn, expiry, service_code, pvv, balance FROM cardholders \
                 ORDER BY card_display",
                vals![],
                "reading the cardholders",
            )?
            .iter()
            .map(|r| {
                Ok(Cardholder {
                    pan: self.card.open(&r.bytes(0)?)?,
                    psn: r.int_as(1)?,
                    expiry: r.text(2)?,
                    service_code: r.text(3)?,
                    pvv: r.text(4)?,
                    balance: r.int(5)?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let issuer = db
            .query_opt(
                "SELECT imk_ac_wrapped, pvk_wrapped, pvki, cdol1 FROM issuer WHERE id = 1",
                vals![],
                "reading the issuer keys",
            )?
            .ok_or(
                Error::new(ErrorKind::InvalidInput)
                    .during("reading the registry: nothing imported"),
            )?;
        Ok(Registry {
            merchants,
            terminals,
            cardholders,
            issuer: IssuerKeys {
                imk_ac: TdesKey::new(&self.keys.unwrap_key("issuer/imk-ac", &issuer.bytes(0)?)?)?,
                pvk: TdesKey::new(&self.keys.unwrap_key("issuer/pvk", &issuer.bytes(1)?)?)?,
                pvki: issuer.int_as(2)?,
                cdol1: issuer.bytes(3)?,
                profile: CdolProfile::STANDARD,
            },
        })
    }
}

/// Raises the registry's version (see [`RegistryStore::version`]).
fn bump(db: &Db) -> Result<()> {
    db.execute(
        "UPDATE registry_version SET version = version + 1 WHERE id = 1",
        vals![],
        "raising the registry version",
    )?;
    Ok(())
}

fn put_merchant(db: &Db, m: &Merchant) -> Result<()> {
    db.execute(
        "INSERT INTO merchants (merchant_no, name, mcc, fee_millionths) \
         VALUES (?1, ?2, ?3, ?4) ON CONFLICT (merchant_no) DO UPDATE SET \
         name = excluded.name, mcc = excluded.mcc, fee_millionths = excluded.fee_millionths",
        vals![&m.merchant_no, &m.name, &m.mcc, m.fee_rate.millionths()],
        "storing a merchant",
    )?;
    Ok(())
}

fn put_terminal(db: &Db, keys: &dyn KeyStore, t: &TerminalEntry) -> Result<()> {
    db.execute(
        "INSERT INTO terminals (terminal_id, serial, tmk_wrapped, activated, \
         merchant_no, pool, mac, tpdu, header, security_control, tmk_alg) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) ON CONFLICT (terminal_id) DO UPDATE \
         SET serial = excluded.serial, tmk_wrapped = excluded.tmk_wrapped, \
         activated = excluded.activated, merchant_no = excluded.merchant_no, \
         pool = excluded.pool, mac = excluded.mac, tpdu = excluded.tpdu, \
         header = excluded.header, security_control = excluded.security_control, \
         tmk_alg = excluded.tmk_alg",
        vals![
            &t.terminal_id,
            &t.serial,
            keys.wrap(&tmk_label(&t.terminal_id), t.tmk.expose())?,
            t.activated,
            t.merchant_no.as_deref(),
            t.pool.join(","),
            t.profile.mac.name(),
            t.profile.tpdu_text(),
            t.profile.header_text(),
            t.profile.security_control_text(),
            t.tmk.algorithm()
        ],
        "storing a terminal",
    )?;
    match &t.device_key {
        Some(key) => db.execute(
            "INSERT INTO device_keys (terminal_id, public_key) VALUES (?1, ?2) \
             ON CONFLICT (terminal_id) DO UPDATE SET public_key = excluded.public_key",
            vals![&t.terminal_id, key.as_bytes().as_slice()],
            "storing a device key",
        ),
        None => db.execute(
            "DELETE FROM device_keys WHERE terminal_id = ?1",
            vals![&t.terminal_id],
            "storing a device key",
        ),
    }?;
    Ok(())
}
