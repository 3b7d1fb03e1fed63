//! `[sql]`: the SQL endpoints over the lake (`settle sql` and the Postgres
//! wire protocol of `settle serve`). Passwords never show in `Debug`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

use crate::sources::secret::Secret;

/// `[sql]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SqlSettings {
    /// Where `settle serve` speaks the Postgres wire protocol, e.g.
    /// `127.0.0.1:5433`; empty leaves it off (`--pg-listen` overrides).
    pub pg_listen: String,
    /// `[sql.users]`: user name = password. Clients authenticate with
    /// SCRAM-SHA-256; from the environment: `SETTLE__SQL__USERS__NAME=password`.
    pub users: BTreeMap<String, Secret>,
    /// Seconds one query may run before it is cancelled (0: no limit).
    pub query_timeout_secs: u64,
    /// MiB all queries of the endpoint may hold at once; above it operators
    /// spill to disk or the query fails (0: no limit).
    pub memory_limit_mb: usize,
    /// TLS certificate chain (PEM); with `tls_key`, clients may use `sslmode=require`.
    pub tls_cert: Option<PathBuf>,
    /// TLS private key (PEM, PKCS#8).
    pub tls_key: Option<PathBuf>,
    /// Connections served at once; more are refused (0: no limit).
    pub max_connections: usize,
    /// Seconds between re-reading the lake's list of tables, so new job
    /// outputs appear for new connections.
    pub refresh_secs: u64,
}

impl Default for SqlSettings {
    fn default() -> Self {
        SqlSettings {
            pg_listen: String::new(),
            users: BTreeMap::new(),
            query_timeout_secs: 300,
            memory_limit_mb: 4096,
            tls_cert: None,
            tls_key: None,
            max_connections: 64,
            refresh_secs: 60,
        }
    }
}

impl SqlSettings {
    /// The per-query limit, if any.
    pub fn query_timeout(&self) -> Option<std::time::Duration> {
        (self.query_timeout_secs > 0)
            .then(|| std::time::Duration::from_secs(self.query_timeout_secs))
    }

    /// The memory limit in bytes, if any.
    pub fn memory_limit(&self) -> Option<usize> {
        (self.memory_limit_mb > 0).then_some(self.memory_limit_mb << 20)
    }
}
