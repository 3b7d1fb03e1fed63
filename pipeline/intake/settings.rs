//! `[intake]` settings of `settle serve`: where it listens, limits, and the
//! secrets each sender signs with. Secrets never show in `Debug`.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::{self, Deserializer};

use crate::sources::secret::Secret;

/// `[intake]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IntakeSettings {
    /// Where `settle serve` listens (loopback by default; put a TLS proxy in front).
    pub listen: String,
    /// Request bodies above this many bytes are refused with 413.
    pub max_body_bytes: usize,
    /// How long a webhook waits for the bus's acknowledgement before answering
    /// 503 (ms); keep it under the senders' own timeouts (Shopify waits 5 s).
    pub ack_timeout_ms: u64,
    /// Seconds senders are told to wait (`Retry-After`) when the bus is down.
    pub retry_after_secs: u64,
    /// Delivery ids remembered per process, so a re-delivery is answered
    /// without producing the event again.
    pub dedupe_capacity: usize,
    /// `[intake.stripe]`.
    pub stripe: StripeIntake,
    /// `[intake.shopify.STORE]`: one entry per Shopify store.
    pub shopify: BTreeMap<String, StoreIntake>,
    /// `[intake.woocommerce.STORE]`: one entry per WooCommerce store.
    pub woocommerce: BTreeMap<String, StoreIntake>,
    /// `[intake.orders.STORE]`: generic `order_change` senders.
    pub orders: BTreeMap<String, StoreIntake>,
}

impl Default for IntakeSettings {
    fn default() -> Self {
        IntakeSettings {
            listen: "127.0.0.1:8088".into(),
            max_body_bytes: 1 << 20,
            ack_timeout_ms: 4_000,
            retry_after_secs: 10,
            dedupe_capacity: 100_000,
            stripe: StripeIntake::default(),
            shopify: BTreeMap::new(),
            woocommerce: BTreeMap::new(),
            orders: BTreeMap::new(),
        }
    }
}

/// `[intake.stripe]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StripeIntake {
    /// Endpoint secrets (`whsec_…`); during a rotation list both. From the
    /// environment: comma-separated in `SETTLE__INTAKE__STRIPE__WEBHOOK_SECRETS`.
    pub webhook_secrets: Secrets,
    /// Seconds a signature's timestamp may be off from now, either way.
    pub tolerance_secs: i64,
    /// Store Stripe events are attributed to when their metadata names none.
    pub store_id: String,
}

impl Default for StripeIntake {
    fn default() -> Self {
        StripeIntake {
            webhook_secrets: Secrets::default(),
            tolerance_secs: crate::sources::stripe::signature::DEFAULT_TOLERANCE_SECS,
            store_id: "default".into(),
        }
    }
}

/// One store's webhook secrets.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreIntake {
    /// Shared secret(s) the store signs with (a string, comma-separated, or a list).
    pub secret: Secrets,
}

/// One or more secrets: a list, or one comma-separated string.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Secrets(pub Vec<Secret>);

impl Secrets {
    /// Whether none is configured.
    pub fn is_empty(&self) -> bool {
        self.0.iter().all(Secret::is_empty)
    }

    /// The secrets.
    pub fn as_slice(&self) -> &[Secret] {
        &self.0
    }

    /// The secrets in a comma-separated string.
    fn parse(text: &str) -> Self {
        Secrets(
            text.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(Secret::new)
                .collect(),
        )
    }
}

impl<'de> Deserialize<'de> for Secrets {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            One(String),
            // A numeric secret from the environment arrives as a number.
            Number(i64),
            Many(Vec<String>),
        }
        match Raw::deserialize(d)
            .map_err(|_| de::Error::custom("expected a secret string or a list of them"))?
        {
            Raw::One(s) => Ok(Secrets::parse(&s)),
            Raw::Number(n) => Ok(Secrets(vec![Secret::new(n.to_string())])),
            Raw::Many(v) => Ok(Secrets(v.into_iter().map(Secret::new).collect())),
        }
    }
}
