//! The registry at rest: merchants, terminals (activation, binding, rotation pool), cardholders
//! and the issuer's keys in tables of the ledger's SQLite file, so that what an operator
//! changes survives a restart.
//!
//! Nothing secret is stored in clear: terminal master keys, the issuer's keys and the
//! acquirer's SM2 key of remote key download are wrapped under the [`KeyStore`]'s KEK (each
//! bound to its row by its label); devices' SM2 public keys are kept as they are (public);
//! card numbers are kept as
//! the keyed hash, the display form and ciphertext under the card-data key (see
//! [`crate::keystore`]).

use alloc::string::String;
use alloc::vec::Vec;
use std::path::Path;

use alloc::collections::BTreeMap;

use cardwire_crypto::TdesKey;
use cardwire_crypto::emv::CdolProfile;
use cardwire_crypto::sm::Sm4Key;
use cardwire_crypto::sm::cups::MasterKey;
use cardwire_crypto::sm::sm2::{PrivateKey, PublicKey};
use cardwire_merchant::FeeRate;
use rand_core::TryCryptoRng;
use rusqlite::{Connection, OptionalExtension, params};

use crate::error::{Error, ErrorKind, Result};
use crate::keystore::{CardDataKey, KeyStore, display_pan};
use crate::registry::{Cardholder, IssuerKeys, Merchant, Registry, TerminalEntry, TerminalProfile};

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

fn db(operation: &'static str) -> impl Fn(rusqlite::Error) -> Error {
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
            .map_err(db("migrating the registry"))?;
        if !has {
            // Hex digits and digits only: safe inside the statement.
            conn.execute_batch(&alloc::format!(
                "ALTER TABLE terminals ADD COLUMN {column} TEXT NOT NULL DEFAULT '{value}'"
            ))
            .map_err(db("migrating the registry (terminal framing)"))?;
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
        .map_err(db("migrating the registry"))?;
    if !has_alg {
        conn.execute_batch(
            "ALTER TABLE terminals ADD COLUMN tmk_alg TEXT NOT NULL DEFAULT 'tdes'; \
             UPDATE terminals SET tmk_alg = 'sm4' WHERE mac = 'sm4-cbc-mac';",
        )
        .map_err(db("migrating the registry (master key cipher)"))?;
    }
    Ok(())
}

/// The registry's tables in a ledger file.
pub struct RegistryStore<'k> {
    conn: Connection,
    keys: &'k dyn KeyStore,
    card: CardDataKey,
}

impl core::fmt::Debug for RegistryStore<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RegistryStore").finish_non_exhaustive()
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
        let path = path.as_ref();
        let conn = Connection::open(path).map_err(|e| {
            db("opening the registry")(e).about(alloc::format!("{}", path.display()))
        })?;
        conn.busy_timeout(core::time::Duration::from_secs(5))
            .map_err(db("opening the registry"))?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(db("opening the registry"))?;
        conn.execute_batch(SCHEMA)
            .map_err(db("creating the registry"))?;
        migrate(&conn)?;
        let card = crate::ledger::card_data_key(&conn, keys)?;
        Ok(Self { conn, keys, card })
    }

    /// Stores the whole of `registry` (rows of the same keys are replaced), in one transaction.
    ///
    /// # Errors
    /// As [`RegistryStore::open`].
    pub fn save(&mut self, registry: &Registry) -> Result<()> {
        let tx = self
            .conn
            .transaction()
            .map_err(db("storing the registry"))?;
        for m in &registry.merchants {
            put_merchant(&tx, m)?;
        }
        for t in &registry.terminals {
            put_terminal(&tx, self.keys, t)?;
        }
        for c in &registry.cardholders {
            tx.execute(
                "INSERT OR REPLACE INTO cardholders (card_token, card_display, card_cipher, psn, \
                 expiry, service_code, pvv, balance) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    self.card.token(&c.pan)?,
                    display_pan(&c.pan),
                    self.card.seal(&c.pan)?,
                    c.psn,
                    c.expiry,
                    c.service_code,
                    c.pvv,
                    c.balance
                ],
            )
            .map_err(db("storing a cardholder"))?;
        }
        let i = &registry.issuer;
        tx.execute(
            "INSERT OR REPLACE INTO issuer (id, imk_ac_wrapped, pvk_wrapped, pvki, cdol1) \
             VALUES (1, ?1, ?2, ?3, ?4)",
            params![
                self.keys.wrap("issuer/imk-ac", i.imk_ac.expose())?,
                self.keys.wrap("issuer/pvk", i.pvk.expose())?,
                i.pvki,
                i.cdol1
            ],
        )
        .map_err(db("storing the issuer keys"))?;
        bump(&tx)?;
        tx.commit().map_err(db("storing the registry"))
    }

    /// The registry's version: every change through this store raises it (in the same
    /// transaction), so that a running host sees that it must load the registry again.
    ///
    /// # Errors
    /// As [`RegistryStore::open`].
    pub fn version(&self) -> Result<u64> {
        let v: i64 = self
            .conn
            .prepare_cached("SELECT version FROM registry_version WHERE id = 1")
            .and_then(|mut s| s.query_row([], |r| r.get(0)))
            .map_err(db("reading the registry version"))?;
        u64::try_from(v).map_err(|_| {
            Error::new(ErrorKind::Ledger).during("reading the registry version (negative)")
        })
    }

    /// Runs `change` and raises the version, in one transaction.
    fn changing<T>(&mut self, change: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let tx = self
            .conn
            .transaction()
            .map_err(db("changing the registry"))?;
        let out = change(&tx)?;
        bump(&tx)?;
        tx.commit().map_err(db("changing the registry"))?;
        Ok(out)
    }

    /// Adds (or replaces) a merchant.
    ///
    /// # Errors
    /// As [`RegistryStore::open`].
    pub fn add_merchant(&mut self, m: &Merchant) -> Result<()> {
        self.changing(|c| put_merchant(c, m))
    }

    /// Whether `sql` (one `?1` parameter, `key`) finds a row.
    fn has_row(&self, sql: &str, key: &str, during: &'static str) -> Result<bool> {
        let row: Option<i64> = self
            .conn
            .query_row(sql, [key], |r| r.get(0))
            .optional()
            .map_err(db(during))?;
        Ok(row.is_some())
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
        if self.has_row(
            "SELECT 1 FROM terminals WHERE terminal_id = ?1",
            terminal_id,
            "adding a terminal",
        )? {
            return Err(Error::new(ErrorKind::InvalidInput)
                .during("adding a terminal (it exists)")
                .about(terminal_id));
        }
        let keys = self.keys;
        self.changing(|c| {
            put_terminal(
                c,
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
        if self.has_row(
            "SELECT 1 FROM terminals WHERE terminal_id = ?1",
            terminal_id,
            "adding a terminal",
        )? {
            return Err(Error::new(ErrorKind::InvalidInput)
                .during("adding a terminal (it exists)")
                .about(terminal_id));
        }
        let tmk = Sm4Key::generate(rng)?;
        let keys = self.keys;
        self.changing(|c| {
            put_terminal(
                c,
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

    /// The acquirer's SM2 key that signs remote key downloads: unwrapped from the file, or
    /// drawn from `rng` and stored wrapped under the KEK the first time.
    ///
    /// # Errors
    /// [`ErrorKind::KeyStore`] when it does not unwrap; [`ErrorKind::Crypto`]; as
    /// [`RegistryStore::open`].
    pub fn acquirer_sm2_key<R: TryCryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
    ) -> Result<PrivateKey> {
        let stored: Option<Vec<u8>> = self
            .conn
            .query_row(
                "SELECT wrapped FROM keys WHERE name = ?1",
                [RKD_SIGNER_LABEL],
                |row| row.get(0),
            )
            .optional()
            .map_err(db("reading the acquirer's SM2 key"))?;
        if let Some(wrapped) = stored {
            let clear = self.keys.unwrap_key(RKD_SIGNER_LABEL, &wrapped)?;
            return Ok(PrivateKey::from_bytes(&clear)?);
        }
        let key = PrivateKey::generate(rng)?;
        let wrapped = self
            .keys
            .wrap(RKD_SIGNER_LABEL, key.to_bytes().as_slice())?;
        self.conn
            .execute(
                "INSERT INTO keys (name, wrapped) VALUES (?1, ?2)",
                params![RKD_SIGNER_LABEL, wrapped],
            )
            .map_err(db("storing the acquirer's SM2 key"))?;
        Ok(key)
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
            merchant_no,
        )
    }

    /// Activates a terminal (it may sign in once bound too).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] for an unknown terminal.
    pub fn activate(&mut self, terminal_id: &str) -> Result<()> {
        self.update(
            "UPDATE terminals SET activated = 1 WHERE terminal_id = ?1 AND ?2 = ?2",
            terminal_id,
            "",
        )
    }

    /// Unbinds a terminal: it can no longer sign in or transact (a running host refuses it
    /// once it has loaded the registry again), until it is bound again.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidInput`] for an unknown terminal.
    pub fn unbind(&mut self, terminal_id: &str) -> Result<()> {
        self.update(
            "UPDATE terminals SET merchant_no = NULL WHERE terminal_id = ?1 AND ?2 = ?2",
            terminal_id,
            "",
        )
    }

    fn update(&mut self, sql: &str, terminal_id: &str, value: &str) -> Result<()> {
        self.changing(|c| {
            let n = c
                .execute(sql, params![terminal_id, value])
                .map_err(db("changing a terminal"))?;
            if n == 1 {
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
        let c = &self.conn;
        let merchants = c
            .prepare(
                "SELECT merchant_no, name, mcc, fee_millionths FROM merchants ORDER BY merchant_no",
            )
            .and_then(|mut s| {
                s.query_map([], |r| {
                    let fee: u32 = r.get(3)?;
                    Ok(Merchant {
                        merchant_no: r.get(0)?,
                        name: r.get(1)?,
                        mcc: r.get(2)?,
                        fee_rate: FeeRate::from_millionths(fee)
                            .ok_or(rusqlite::Error::IntegralValueOutOfRange(3, i64::from(fee)))?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()
            })
            .map_err(db("reading the merchants"))?;
        let rows: Vec<TerminalRow> = c
            .prepare(
                "SELECT terminal_id, serial, tmk_wrapped, activated, merchant_no, pool, mac, tpdu, \
                 header, security_control, tmk_alg FROM terminals ORDER BY terminal_id",
            )
            .and_then(|mut s| {
                s.query_map([], |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        [r.get(6)?, r.get(7)?, r.get(8)?, r.get(9)?, r.get(10)?],
                    ))
                })?
                .collect()
            })
            .map_err(db("reading the terminals"))?;
        let device_keys: Vec<(String, Vec<u8>)> = c
            .prepare("SELECT terminal_id, public_key FROM device_keys")
            .and_then(|mut s| s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect())
            .map_err(db("reading the device keys"))?;
        let mut device_keys: BTreeMap<String, PublicKey> = device_keys
            .into_iter()
            .map(|(id, key)| Ok((id, PublicKey::from_bytes(&key)?)))
            .collect::<Result<_>>()?;
        let mut terminals = Vec::with_capacity(rows.len());
        for (terminal_id, serial, wrapped, activated, merchant_no, pool, profile) in rows {
            let [mac, tpdu, header, control, alg] = &profile;
            let profile =
                TerminalProfile::from_text(mac, tpdu, header, control).map_err(|part| {
                    Error::new(ErrorKind::InvalidInput)
                        .during("reading the terminals (a profile that does not read)")
                        .about(alloc::format!("{terminal_id}: {part}"))
                })?;
            let clear = self.keys.unwrap_key(&tmk_label(&terminal_id), &wrapped)?;
            let tmk = MasterKey::from_parts(alg, &clear)?;
            terminals.push(TerminalEntry {
                pool: pool
                    .split(',')
                    .filter(|p| !p.is_empty())
                    .map(String::from)
                    .collect(),
                device_key: device_keys.remove(&terminal_id),
                terminal_id,
                serial,
                tmk,
                activated,
                merchant_no,
                profile,
            });
        }
        type CardRow = (Vec<u8>, u8, String, String, String, i64);
        let rows: Vec<CardRow> = c
            .prepare(
                "SELECT card_cipher, psn, expiry, service_code, pvv, balance FROM cardholders \
                 ORDER BY card_display",
            )
            .and_then(|mut s| {
                s.query_map([], |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                    ))
                })?
                .collect()
            })
            .map_err(db("reading the cardholders"))?;
        let mut cardholders = Vec::with_capacity(rows.len());
        for (sealed, psn, expiry, service_code, pvv, balance) in rows {
            cardholders.push(Cardholder {
                pan: self.card.open(&sealed)?,
                psn,
                expiry,
                service_code,
                pvv,
                balance,
            });
        }
        type IssuerRow = (Vec<u8>, Vec<u8>, u8, Vec<u8>);
        let issuer: Option<IssuerRow> = c
            .query_row(
                "SELECT imk_ac_wrapped, pvk_wrapped, pvki, cdol1 FROM issuer WHERE id = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()
            .map_err(db("reading the issuer keys"))?;
        let (imk, pvk, pvki, cdol1) = issuer.ok_or(
            Error::new(ErrorKind::InvalidInput).during("reading the registry: nothing imported"),
        )?;
        Ok(Registry {
            merchants,
            terminals,
            cardholders,
            issuer: IssuerKeys {
                imk_ac: TdesKey::new(&self.keys.unwrap_key("issuer/imk-ac", &imk)?)?,
                pvk: TdesKey::new(&self.keys.unwrap_key("issuer/pvk", &pvk)?)?,
                pvki,
                cdol1,
                profile: CdolProfile::STANDARD,
            },
        })
    }
}

/// Raises the registry's version (see [`RegistryStore::version`]).
fn bump(c: &Connection) -> Result<()> {
    c.execute(
        "UPDATE registry_version SET version = version + 1 WHERE id = 1",
        [],
    )
    .map_err(db("raising the registry version"))?;
    Ok(())
}

fn put_merchant(c: &Connection, m: &Merchant) -> Result<()> {
    c.execute(
        "INSERT OR REPLACE INTO merchants (merchant_no, name, mcc, fee_millionths) \
         VALUES (?1, ?2, ?3, ?4)",
        params![m.merchant_no, m.name, m.mcc, m.fee_rate.millionths()],
    )
    .map_err(db("storing a merchant"))?;
    Ok(())
}

/// A terminal's row: id, serial, wrapped TMK, activated, merchant number, pool, profile (MAC
/// name, TPDU, header, field 53).
type TerminalRow = (
    String,
    String,
    Vec<u8>,
    bool,
    Option<String>,
    String,
    [String; 5],
);

fn put_terminal(c: &Connection, keys: &dyn KeyStore, t: &TerminalEntry) -> Result<()> {
    c.execute(
        "INSERT OR REPLACE INTO terminals (terminal_id, serial, tmk_wrapped, activated, \
         merchant_no, pool, mac, tpdu, header, security_control, tmk_alg) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            t.terminal_id,
            t.serial,
            keys.wrap(&tmk_label(&t.terminal_id), t.tmk.expose())?,
            t.activated,
            t.merchant_no,
            t.pool.join(","),
            t.profile.mac.name(),
            t.profile.tpdu_text(),
            t.profile.header_text(),
            t.profile.security_control_text(),
            t.tmk.algorithm()
        ],
    )
    .map_err(db("storing a terminal"))?;
    match &t.device_key {
        Some(key) => c.execute(
            "INSERT OR REPLACE INTO device_keys (terminal_id, public_key) VALUES (?1, ?2)",
            params![t.terminal_id, key.as_bytes().as_slice()],
        ),
        None => c.execute(
            "DELETE FROM device_keys WHERE terminal_id = ?1",
            params![t.terminal_id],
        ),
    }
    .map_err(db("storing a device key"))?;
    Ok(())
}
