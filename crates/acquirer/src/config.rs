//! The service's configuration file (TOML): everything the command line sets, and the limits.
//!
//! ```toml
//! data_dir = "/var/lib/cardwire"
//! listen = "0.0.0.0:5858"
//! metrics_listen = "127.0.0.1:9858"
//! kek_file = "/etc/cardwire/kek.hex"   # or kek_env = "CARDWIRE_KEK"
//! log_json = true
//! durability = "normal"                # or "full"
//! ledger = "postgres://cardwire@db/cardwire"  # a ledger shared by several nodes (else SQLite in data_dir)
//! pool_size = 4                        # PostgreSQL: host workers, each with its own connection (1–64)
//! default_fee_bps = 60                 # for merchants added without a rate
//!
//! [limits]
//! max_connections = 20000
//! max_frame = 4096
//! idle_timeout_secs = 120
//! frame_timeout_secs = 10
//! write_timeout_secs = 10
//! shutdown_grace_secs = 5
//! io_threads = 2
//!
//! [security]
//! lockout_failures = 5                 # authentication failures in a row that lock a terminal out
//! lockout_secs = 900                   # for this long
//! chip_date_days = 1                   # how far field 55's date may be from the host's
//! sign_in_window_secs = 600            # how far a sign-in's clock may be from the host's
//!
//! # Terminal profiles beside the built-in `standard` and `legacy-ecb`: the MAC algorithm
//! # (retail-x9.19 or cups-ecb-legacy), and where they differ from `standard`, the TPDU (10
//! # hex digits), the CUPS header (12 hex digits) and field 53 (16 digits).
//! [profiles.bank-a]
//! mac = "retail-x9.19"
//! tpdu = "6000050000"
//! header = "603100310301"
//! security_control = "2600000000000000"
//!
//! # Fee rates in basis points by MCC or MCC range (ranges may not overlap), for merchants
//! # added or imported without a rate; other MCCs pay default_fee_bps (else 60).
//! [fees]
//! "5812" = 38
//! "5411-5499" = 25
//! ```
//!
//! A flag on the command line wins over the file. `terminal add --profile NAME` and the
//! import file's `profile` of a terminal name one of [`Config::profiles`].

use alloc::collections::BTreeMap;
use alloc::string::String;
use core::time::Duration;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, ErrorKind, Result};
use crate::host::Lockout;
use crate::ledger::Durability;
use crate::profiles::{FeeTable, Profiles};
use crate::registry::TerminalProfile;
use crate::server::ServerConfig;

/// The configuration file.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where the database (`acquirer.db`) lives.
    pub data_dir: Option<PathBuf>,
    /// The terminals' address.
    pub listen: Option<String>,
    /// The address of `GET /metrics` and `GET /healthz`.
    pub metrics_listen: Option<String>,
    /// A file holding the key-encryption key (64 hex digits).
    pub kek_file: Option<PathBuf>,
    /// An environment variable holding the key-encryption key (64 hex digits).
    pub kek_env: Option<String>,
    /// Logs as JSON lines (else text).
    #[serde(default)]
    pub log_json: bool,
    /// `"normal"` or `"full"` (see [`Durability`]).
    pub durability: Option<String>,
    /// A PostgreSQL URL: the ledger lives there, shared by every node configured with it
    /// (without it, in the SQLite file of `data_dir`).
    pub ledger: Option<String>,
    /// With a PostgreSQL ledger, how many host workers the node runs, each with its own
    /// connection (see [`Config::pool_size`]); a SQLite ledger has one.
    pub pool_size: Option<usize>,
    /// The fee rate, in basis points, of a merchant added without one.
    pub default_fee_bps: Option<u16>,
    /// Connection and frame limits.
    #[serde(default)]
    pub limits: Limits,
    /// The host's authentication rules.
    #[serde(default)]
    pub security: Security,
    /// Terminal profiles by name (see [`Config::profiles`]).
    #[serde(default)]
    pub profiles: BTreeMap<String, ProfileConfig>,
    /// Fee rates in basis points by MCC (`"5812"`) or MCC range (`"5411-5499"`).
    #[serde(default)]
    pub fees: BTreeMap<String, u16>,
}

/// A terminal profile as the file declares it (see [`TerminalProfile`]).
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ProfileConfig {
    /// The MAC algorithm's name (`retail-x9.19`, `cups-ecb-legacy`).
    pub mac: String,
    /// The TPDU, 10 hex digits; the standard profile's when left out.
    pub tpdu: Option<String>,
    /// The CUPS header, 12 hex digits; the standard profile's when left out.
    pub header: Option<String>,
    /// Field 53, 16 digits; the standard profile's when left out.
    pub security_control: Option<String>,
}

/// The host's authentication rules (every one optional: the host's default otherwise).
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Security {
    /// [`Lockout::failures`].
    pub lockout_failures: Option<u32>,
    /// [`Lockout::seconds`].
    pub lockout_secs: Option<u32>,
    /// [`crate::Host::with_chip_date_tolerance`], days.
    pub chip_date_days: Option<u32>,
    /// [`crate::Host::with_sign_in_window`], seconds.
    pub sign_in_window_secs: Option<u32>,
}

/// The server's limits (every one optional: the default of [`ServerConfig`] otherwise).
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// [`ServerConfig::max_connections`].
    pub max_connections: Option<usize>,
    /// [`ServerConfig::max_frame`].
    pub max_frame: Option<usize>,
    /// [`ServerConfig::idle_timeout`], seconds.
    pub idle_timeout_secs: Option<u64>,
    /// [`ServerConfig::frame_timeout`], seconds.
    pub frame_timeout_secs: Option<u64>,
    /// [`ServerConfig::write_timeout`], seconds.
    pub write_timeout_secs: Option<u64>,
    /// [`ServerConfig::shutdown_grace`], seconds.
    pub shutdown_grace_secs: Option<u64>,
    /// [`ServerConfig::io_threads`].
    pub io_threads: Option<usize>,
}

impl Config {
    /// The configuration's name in a data directory: commands given `--data-dir DIR` and no
    /// `--config` read `DIR/acquirer.toml` when it exists, and so does the merchant platform.
    pub const FILE_NAME: &'static str = "acquirer.toml";

    /// The configuration in the data directory `dir` ([`Self::FILE_NAME`]); the defaults
    /// when there is none.
    ///
    /// # Errors
    /// As [`Config::read`].
    pub fn in_data_dir(dir: &Path) -> Result<Self> {
        let path = dir.join(Self::FILE_NAME);
        if path.is_file() {
            Self::read(&path)
        } else {
            Ok(Self::default())
        }
    }

    /// Where the registry and the ledger of data directory `dir` are under this
    /// configuration: the PostgreSQL URL of [`Self::ledger`] when set, else `dir`'s
    /// `acquirer.db`.
    pub fn location(&self, dir: &Path) -> crate::store::Location {
        crate::store::Location::of(dir, self.ledger.as_deref())
    }

    /// Reads the file at `path`.
    ///
    /// # Errors
    /// [`ErrorKind::Io`] when it cannot be read, [`ErrorKind::Config`] when it is not this
    /// configuration (the cause says where).
    pub fn read(path: &Path) -> Result<Self> {
        let at = || alloc::format!("{}", path.display());
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::from(e)
                .during("reading the configuration")
                .about(at())
        })?;
        Self::parse(&text).map_err(|e| e.about(at()))
    }

    /// Parses a configuration.
    ///
    /// # Errors
    /// [`ErrorKind::Config`].
    pub fn parse(text: &str) -> Result<Self> {
        toml::from_str(text).map_err(|e| {
            Error::new(ErrorKind::Config)
                .during("reading the configuration")
                .caused_by(e)
        })
    }

    /// The server's configuration: the defaults, with what the file sets.
    ///
    /// # Errors
    /// [`ErrorKind::Config`] for a zero limit.
    pub fn server(&self) -> Result<ServerConfig> {
        let l = &self.limits;
        let d = ServerConfig::default();
        let secs = |v: Option<u64>, default: Duration| v.map_or(default, Duration::from_secs);
        let c = ServerConfig {
            max_connections: l.max_connections.unwrap_or(d.max_connections),
            max_frame: l.max_frame.unwrap_or(d.max_frame),
            idle_timeout: secs(l.idle_timeout_secs, d.idle_timeout),
            frame_timeout: secs(l.frame_timeout_secs, d.frame_timeout),
            write_timeout: secs(l.write_timeout_secs, d.write_timeout),
            shutdown_grace: secs(l.shutdown_grace_secs, d.shutdown_grace),
            io_threads: l.io_threads.unwrap_or(d.io_threads),
        };
        if c.max_connections == 0 || c.max_frame < 4 || c.io_threads == 0 {
            return Err(Error::new(ErrorKind::Config)
                .during("checking the limits (connections, frame size, threads above zero)"));
        }
        Ok(c)
    }

    /// The default of [`Config::pool_size`]: enough connections that one's round trip to
    /// the database is not the node's pace, few enough for a database serving many nodes.
    pub const DEFAULT_POOL_SIZE: usize = 4;

    /// How many host workers, each with its own ledger connection, a node on a PostgreSQL
    /// ledger runs: `over` (the command line's) or the file's, else
    /// [`Config::DEFAULT_POOL_SIZE`]; from 1 to [`ServerConfig`]'s bound,
    /// [`crate::server::Server::MAX_POOL`].
    ///
    /// # Errors
    /// [`ErrorKind::Config`] outside those bounds.
    pub fn pool_size(&self, over: Option<usize>) -> Result<usize> {
        let n = over.or(self.pool_size).unwrap_or(Self::DEFAULT_POOL_SIZE);
        if n == 0 || n > crate::server::Server::MAX_POOL {
            return Err(Error::new(ErrorKind::Config)
                .during("checking the pool size")
                .about(alloc::format!(
                    "pool_size {n}: from 1 to {}",
                    crate::server::Server::MAX_POOL
                )));
        }
        Ok(n)
    }

    /// The lockout rule: the host's default, with what the file sets.
    ///
    /// # Errors
    /// [`ErrorKind::Config`] for zero failures or zero seconds (no lockout is not a choice).
    pub fn lockout(&self) -> Result<Lockout> {
        let d = Lockout::default();
        let l = Lockout {
            failures: self.security.lockout_failures.unwrap_or(d.failures),
            seconds: self.security.lockout_secs.unwrap_or(d.seconds),
        };
        if l.failures == 0 || l.seconds == 0 {
            return Err(Error::new(ErrorKind::Config)
                .during("checking the lockout (failures and seconds above zero)"));
        }
        Ok(l)
    }

    /// The terminal profiles: the built-in ones and the file's.
    ///
    /// # Errors
    /// [`ErrorKind::Config`] naming the profile and the part that does not read, or a
    /// profile that takes a built-in name.
    pub fn profiles(&self) -> Result<Profiles> {
        let mut all = Profiles::default();
        let s = TerminalProfile::STANDARD;
        for (name, p) in &self.profiles {
            let tpdu = p.tpdu.clone().unwrap_or_else(|| s.tpdu_text());
            let header = p.header.clone().unwrap_or_else(|| s.header_text());
            let control = p
                .security_control
                .clone()
                .unwrap_or_else(|| s.security_control_text());
            let profile =
                TerminalProfile::from_text(&p.mac, &tpdu, &header, &control).map_err(|part| {
                    Error::new(ErrorKind::Config)
                        .during(match part {
                            "mac" => "reading a profile's mac (retail-x9.19 or cups-ecb-legacy)",
                            "tpdu" => "reading a profile's tpdu (10 hex digits, starting 60)",
                            "header" => "reading a profile's header (12 hex digits)",
                            _ => "reading a profile's security_control (16 digits)",
                        })
                        .about(alloc::format!("profiles.{name}.{part}"))
                })?;
            all.add(name, profile)?;
        }
        Ok(all)
    }

    /// The fee table: `[fees]`, every other MCC at `default_fee_bps` (else
    /// [`FeeTable::DEFAULT_BPS`]).
    ///
    /// # Errors
    /// [`ErrorKind::Config`] naming the key (see [`FeeTable::add`]).
    pub fn fees(&self) -> Result<FeeTable> {
        let mut table =
            FeeTable::with_default(self.default_fee_bps.unwrap_or(FeeTable::DEFAULT_BPS))?;
        for (key, bps) in &self.fees {
            table.add(key, *bps)?;
        }
        Ok(table)
    }

    /// The ledger's durability.
    ///
    /// # Errors
    /// [`ErrorKind::Config`] for anything but `normal` or `full`.
    pub fn durability(&self) -> Result<Durability> {
        match self.durability.as_deref() {
            None | Some("normal") => Ok(Durability::Normal),
            Some("full") => Ok(Durability::Full),
            Some(other) => Err(Error::new(ErrorKind::Config)
                .during("reading durability (normal or full)")
                .about(other)),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use cardwire_merchant::FeeRate;

    #[test]
    fn a_file_sets_the_limits_and_refuses_unknown_keys() {
        let c = Config::parse(
            "listen = \"127.0.0.1:0\"\ndurability = \"full\"\n[limits]\nmax_connections = 7\nframe_timeout_secs = 3\n",
        )
        .unwrap();
        let s = c.server().unwrap();
        assert_eq!(s.max_connections, 7);
        assert_eq!(s.frame_timeout, Duration::from_secs(3));
        assert_eq!(s.max_frame, ServerConfig::default().max_frame);
        assert_eq!(c.durability().unwrap(), Durability::Full);
        assert!(Config::parse("lisen = \"x\"").is_err());
        assert!(
            Config::parse("[limits]\nmax_connections = 0")
                .unwrap()
                .server()
                .is_err()
        );
    }

    #[test]
    fn profiles_and_fees_are_read_and_errors_name_the_place() {
        let c = Config::parse(
            "default_fee_bps = 55\n[profiles.bank-a]\nmac = \"cups-ecb-legacy\"\ntpdu = \"6000050000\"\n\
             header = \"603100310301\"\n[fees]\n\"5812\" = 38\n\"5411-5499\" = 25\n",
        )
        .unwrap();
        let p = c.profiles().unwrap().get("bank-a").unwrap();
        assert_eq!(p.mac, cardwire_crypto::cups::MacAlgorithm::CupsEcbLegacy);
        assert_eq!(p.tpdu_text(), "6000050000");
        assert_eq!(p.header, [0x60, 0x31, 0x00, 0x31, 0x03, 0x01]);
        assert_eq!(
            p.security_control,
            TerminalProfile::STANDARD.security_control
        );
        let f = c.fees().unwrap();
        assert_eq!(f.rate_for("5812").unwrap(), FeeRate::from_bps(38));
        assert_eq!(f.rate_for("5422").unwrap(), FeeRate::from_bps(25));
        assert_eq!(f.rate_for("7011").unwrap(), FeeRate::from_bps(55));
        assert_eq!(
            Config::default().fees().unwrap().rate_for("7011").unwrap(),
            FeeRate::from_bps(FeeTable::DEFAULT_BPS)
        );
        for (text, place) in [
            ("[profiles.x]\nmac = \"md5\"\n", "profiles.x.mac"),
            (
                "[profiles.x]\nmac = \"retail-x9.19\"\ntpdu = \"7000030000\"\n",
                "profiles.x.tpdu",
            ),
            (
                "[profiles.x]\nmac = \"retail-x9.19\"\nheader = \"6031\"\n",
                "profiles.x.header",
            ),
            (
                "[profiles.x]\nmac = \"retail-x9.19\"\nsecurity_control = \"26000000000000x0\"\n",
                "profiles.x.security_control",
            ),
            (
                "[profiles.standard]\nmac = \"retail-x9.19\"\n",
                "profiles.standard",
            ),
            ("[fees]\n\"58\" = 38\n", "fees.\"58\""),
            ("[fees]\n\"5812\" = 20000\n", "fees.\"5812\""),
            ("[fees]\n\"5800-5899\" = 1\n\"5812\" = 2\n", "fees.\"5812\""),
        ] {
            let c = Config::parse(text).unwrap();
            let e = c.profiles().and(c.fees()).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Config, "{text}");
            assert!(alloc::format!("{e}").contains(place), "{text}: {e}");
        }
        let e = Config::parse("[profiles.x]\nmac = \"retail-x9.19\"\nmak = 1\n").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config);
        assert!(Config::parse("[fees]\n\"5812\" = -1\n").is_err());
    }

    #[test]
    fn a_file_sets_the_lockout_and_refuses_none() {
        let c = Config::parse("[security]\nlockout_failures = 3\nchip_date_days = 2\n").unwrap();
        let l = c.lockout().unwrap();
        assert_eq!((l.failures, l.seconds), (3, Lockout::default().seconds));
        assert_eq!(c.security.chip_date_days, Some(2));
        assert_eq!(Config::default().lockout().unwrap(), Lockout::default());
        for zero in ["lockout_failures = 0", "lockout_secs = 0"] {
            let c = Config::parse(&alloc::format!("[security]\n{zero}\n")).unwrap();
            assert!(c.lockout().is_err(), "{zero}");
        }
    }

    #[test]
    fn the_pool_size_is_bounded_and_the_command_line_wins() {
        assert_eq!(
            Config::default().pool_size(None).unwrap(),
            Config::DEFAULT_POOL_SIZE
        );
        let c = Config::parse("pool_size = 8").unwrap();
        assert_eq!(c.pool_size(None).unwrap(), 8);
        assert_eq!(c.pool_size(Some(2)).unwrap(), 2);
        assert!(c.pool_size(Some(0)).is_err());
        let max = crate::server::Server::MAX_POOL;
        assert_eq!(c.pool_size(Some(max)).unwrap(), max);
        assert!(c.pool_size(Some(max + 1)).is_err());
        assert!(
            Config::parse("pool_size = 0")
                .unwrap()
                .pool_size(None)
                .is_err()
        );
    }
}
