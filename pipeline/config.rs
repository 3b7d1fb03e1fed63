//! Settings: an optional TOML file, then `SETTLE__SECTION__KEY` environment
//! overrides, then command-line flags. Defaults live here and only here.

use serde::Deserialize;

/// Errors from loading settings.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file could not be read.
    #[error("config {path}: {source}")]
    Io {
        /// File.
        path: String,
        /// I/O error.
        source: std::io::Error,
    },
    /// The file or an override is not valid.
    #[error("config {origin}: {why}")]
    Invalid {
        /// File or environment variable.
        origin: String,
        /// What was wrong.
        why: String,
    },
}

/// All settings.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Where the lake lives.
    pub lake: LakeSettings,
    /// The event bus.
    pub bus: BusSettings,
    /// Bus-to-lake ingestion.
    pub ingest: IngestSettings,
    /// Webhook intake (`settle serve`).
    pub intake: crate::intake::settings::IntakeSettings,
    /// `[stripe]`: the Stripe API.
    pub stripe: StripeSettings,
    /// `[sql]`: `settle sql` and the Postgres-wire endpoint.
    pub sql: crate::sql::settings::SqlSettings,
    /// `[alerts]`: evaluation schedule and notification channels.
    pub alerts: crate::alerts::AlertSettings,
    /// `[triggers]`: the event trigger runner.
    pub triggers: crate::triggers::TriggerSettings,
    /// `[schedules]`: scheduled jobs and exports.
    pub schedules: crate::schedule::ScheduleSettings,
    /// `[dashboards]`: the dashboards `settle serve` serves.
    pub dashboards: crate::dashboards::DashboardSettings,
    /// `[sheets]`: Google Sheets exports.
    pub sheets: crate::exports::sheets::SheetsSettings,
    /// `[carriers.NAME]`: each carrier's format, store, secrets and mappings.
    pub carriers:
        std::collections::BTreeMap<String, crate::sources::carriers::settings::CarrierSettings>,
}

/// `[lake]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LakeSettings {
    /// Lake location: a path, file:///abs, s3://bucket/prefix or memory://.
    pub url: String,
}

impl Default for LakeSettings {
    fn default() -> Self {
        LakeSettings {
            url: "./lake".into(),
        }
    }
}

/// `[bus]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BusSettings {
    /// Kafka bootstrap servers (`host:port,...`); empty means the in-process bus.
    pub brokers: String,
    /// Client id reported to Kafka.
    pub client_id: String,
    /// Prefix of every topic name.
    pub topic_prefix: String,
    /// Partitions per topic.
    pub partitions: i32,
    /// Seconds a publish may wait for the brokers' acknowledgement.
    pub ack_timeout_secs: u64,
    /// Extra librdkafka settings passed through as is (security.protocol, sasl.*, ssl.*).
    #[serde(deserialize_with = "lenient_map")]
    pub librdkafka: std::collections::BTreeMap<String, String>,
}

impl Default for BusSettings {
    fn default() -> Self {
        BusSettings {
            brokers: String::new(),
            client_id: "settle".into(),
            topic_prefix: "settle.".into(),
            partitions: 4,
            ack_timeout_secs: 30,
            librdkafka: Default::default(),
        }
    }
}

impl BusSettings {
    /// The Kafka settings, when brokers are configured.
    pub fn kafka(&self) -> Option<crate::bus::kafka::KafkaConfig> {
        (!self.brokers.trim().is_empty()).then(|| crate::bus::kafka::KafkaConfig {
            brokers: self.brokers.clone(),
            client_id: self.client_id.clone(),
            partitions: self.partitions,
            options: self.librdkafka.clone(),
            ack_timeout: std::time::Duration::from_secs(self.ack_timeout_secs),
            idempotent: true,
        })
    }
}

/// `[stripe]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StripeSettings {
    /// Secret or restricted key (`sk_…`/`rk_…`); else the environment's `STRIPE_API_KEY`.
    pub api_key: Option<crate::sources::secret::Secret>,
    /// API base URL.
    pub api_base: String,
    /// Attempts per request (exponential backoff on 409, 429 and 5xx).
    pub max_attempts: u32,
    /// Objects per list page (1 to 100).
    pub page_size: u32,
}

impl StripeSettings {
    /// The API key: `api_key`, else the environment's `STRIPE_API_KEY`.
    pub fn key(&self) -> Option<crate::sources::secret::Secret> {
        self.api_key.clone().filter(|k| !k.is_empty()).or_else(|| {
            std::env::var("STRIPE_API_KEY")
                .ok()
                .filter(|k| !k.is_empty())
                .map(crate::sources::secret::Secret::new)
        })
    }
}

impl Default for StripeSettings {
    fn default() -> Self {
        StripeSettings {
            api_key: None,
            api_base: "https://api.stripe.com/".into(),
            max_attempts: 6,
            page_size: 100,
        }
    }
}

/// `[ingest]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IngestSettings {
    /// A lake batch closes at this many events per partition.
    pub max_rows: usize,
    /// A lake batch closes when its oldest event has waited this long (ms).
    pub max_age_ms: u64,
    /// Event bodies above this many bytes go to the DLQ and `rejected`.
    pub max_event_bytes: usize,
    /// When the open batches of all partitions hold more bytes than this,
    /// the biggest closes early; while open batches and batches being
    /// written hold more, consumption pauses (bounds memory).
    pub max_buffered_bytes: usize,
    /// Consumer group of `settle ingest`.
    pub group_id: String,
    /// Where `settle ingest` serves /metrics, /healthz and /readyz.
    pub listen: String,
}

impl Default for IngestSettings {
    fn default() -> Self {
        IngestSettings {
            max_rows: 50_000,
            max_age_ms: 10_000,
            max_event_bytes: 1 << 20,
            max_buffered_bytes: 16 << 20,
            group_id: "settle-ingest".into(),
            listen: "127.0.0.1:9464".into(),
        }
    }
}

impl Settings {
    /// Loads `path` (if given) and applies environment overrides from `env`.
    pub fn load(
        path: Option<&str>,
        env: impl Iterator<Item = (String, String)>,
    ) -> Result<Settings, Error> {
        let mut value: toml::Table = match path {
            Some(p) => {
                let text = std::fs::read_to_string(p).map_err(|source| Error::Io {
                    path: p.into(),
                    source,
                })?;
                toml::from_str(&text).map_err(|e| Error::Invalid {
                    origin: p.into(),
                    why: e.to_string(),
                })?
            }
            None => toml::Table::new(),
        };
        for (key, raw) in env {
            let Some(rest) = key.strip_prefix("SETTLE__") else {
                continue;
            };
            let path: Vec<String> = rest.split("__").map(str::to_ascii_lowercase).collect();
            if path.len() < 2 || path.iter().any(String::is_empty) {
                continue;
            }
            // Numbers and booleans as such; text fields that may look like
            // numbers (passwords, chat ids) read them back as text
            // (`lenient_string`).
            let parsed = match raw.as_str() {
                "true" => toml::Value::Boolean(true),
                "false" => toml::Value::Boolean(false),
                _ => raw
                    .parse::<i64>()
                    .map(toml::Value::Integer)
                    .unwrap_or(toml::Value::String(raw.clone())),
            };
            let mut table = &mut value;
            for part in &path[..path.len() - 1] {
                let entry = table
                    .entry(part.clone())
                    .or_insert_with(|| toml::Value::Table(toml::Table::new()));
                if !entry.is_table() {
                    *entry = toml::Value::Table(toml::Table::new());
                }
                table = entry.as_table_mut().expect("made a table above");
            }
            table.insert(path[path.len() - 1].clone(), parsed);
        }
        value
            .try_into()
            .map_err(|e: toml::de::Error| Error::Invalid {
                origin: path.map_or_else(
                    || "environment (SETTLE__*)".to_string(),
                    |p| format!("{p} + environment"),
                ),
                why: e.to_string(),
            })
    }
}

/// Text from config that may arrive as a number or boolean from the
/// environment (`SETTLE__…=12345`): every scalar reads as its text.
pub fn lenient_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    struct Text;
    impl serde::de::Visitor<'_> for Text {
        type Value = String;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("text")
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<String, E> {
            Ok(v.to_string())
        }
        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<String, E> {
            Ok(v.to_string())
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<String, E> {
            Ok(v.to_string())
        }
        fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<String, E> {
            Ok(v.to_string())
        }
        fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<String, E> {
            Ok(v.to_string())
        }
    }
    d.deserialize_any(Text)
}

/// The `NAME.toml` files of folder `dir`, sorted: (name, path, text). The
/// error says which file or folder failed, and why.
pub fn toml_files(dir: &str, what: &str) -> Result<Vec<(String, String, String)>, Error> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::Invalid {
        origin: format!("{dir:?}"),
        why: format!("{e}; point it at a folder of NAME.toml {what} files"),
    })?;
    let mut paths: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    let mut out = Vec::new();
    for path in paths {
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(&path).map_err(|source| Error::Io {
            path: origin.clone(),
            source,
        })?;
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        out.push((name, origin, text));
    }
    Ok(out)
}

/// A table of text settings whose values may arrive as numbers or
/// booleans (`SETTLE__BUS__LIBRDKAFKA__linger.ms=5`).
pub fn lenient_map<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<std::collections::BTreeMap<String, String>, D::Error> {
    #[derive(Deserialize)]
    struct Text(#[serde(deserialize_with = "lenient_string")] String);
    let m: std::collections::BTreeMap<String, Text> = serde::Deserialize::deserialize(d)?;
    Ok(m.into_iter().map(|(k, Text(v))| (k, v)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_overrides_defaults_and_unknown_keys_fail() {
        let env = [
            ("SETTLE__LAKE__URL".to_string(), "s3://b/p".to_string()),
            ("SETTLE__BUS__PARTITIONS".into(), "8".into()),
        ];
        let s = Settings::load(None, env.into_iter()).unwrap();
        assert_eq!(
            (s.lake.url.as_str(), s.bus.partitions, s.ingest.max_rows),
            ("s3://b/p", 8, 50_000)
        );
        let bad = [("SETTLE__LAKE__URLL".to_string(), "x".to_string())];
        let err = Settings::load(None, bad.into_iter())
            .unwrap_err()
            .to_string();
        assert!(err.contains("urll"), "{err}");
    }

    #[test]
    fn environment_reaches_nested_tables() {
        let env = [
            (
                "SETTLE__INTAKE__STRIPE__WEBHOOK_SECRETS".to_string(),
                "whsec_a, whsec_b".to_string(),
            ),
            (
                "SETTLE__INTAKE__SHOPIFY__SHOP1__SECRET".into(),
                "shpss_x".into(),
            ),
        ];
        let s = Settings::load(None, env.into_iter()).unwrap();
        assert_eq!(s.intake.stripe.webhook_secrets.0.len(), 2);
        // Booleans, and text that looks like a number.
        let env = [
            ("SETTLE__ALERTS__ENABLED".to_string(), "false".to_string()),
            ("SETTLE__SQL__USERS__FINANCE".into(), "123456".into()),
            (
                "SETTLE__ALERTS__CHANNELS__TG__KIND".into(),
                "telegram".into(),
            ),
            ("SETTLE__ALERTS__CHANNELS__TG__TOKEN".into(), "1:abc".into()),
            (
                "SETTLE__ALERTS__CHANNELS__TG__CHAT_ID".into(),
                "-100123".into(),
            ),
        ];
        let t = Settings::load(None, env.into_iter()).unwrap();
        assert!(!t.alerts.enabled);
        assert_eq!(t.sql.users["finance"].expose(), "123456");
        assert!(matches!(
            &t.alerts.channels["tg"],
            crate::alerts::channels::ChannelSettings::Telegram { chat_id, .. } if chat_id == "-100123"
        ));
        assert!(s.intake.shopify.contains_key("shop1"));
        let debug = format!("{s:?}");
        assert!(
            !debug.contains("whsec_a") && !debug.contains("shpss_x"),
            "{debug}"
        );
    }
}
