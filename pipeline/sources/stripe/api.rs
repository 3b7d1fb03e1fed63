//! Reading Stripe's list endpoints through async-stripe's client (auth,
//! API version, retries with exponential backoff on 409/429/5xx as Stripe
//! documents), keeping each object's JSON as Stripe sent it: typed structs
//! would drop fields Settle keeps in `raw_events` and refuse objects of
//! older API versions. The API key never appears in errors.

use serde_json::Value;
use stripe::{Client, ClientBuilder, StripeError};
use stripe_client_core::{RequestBuilder, RequestStrategy, StripeMethod};

use crate::sources::secret::Secret;

/// Errors from the Stripe API.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Stripe (or the configured server) refused or failed.
    #[error("Stripe {path}: {why}")]
    Api {
        /// Endpoint.
        path: String,
        /// What happened (key redacted).
        why: String,
    },
}

/// A Stripe API client.
pub struct Api {
    client: Client,
    key: Secret,
}

/// One page of a list.
#[derive(Debug)]
pub struct Page {
    /// Objects as Stripe sent them.
    pub data: Vec<Value>,
    /// Whether more pages follow.
    pub has_more: bool,
}

impl Api {
    /// A client for `base` (e.g. `https://api.stripe.com/`), retrying up to `attempts` times.
    pub fn new(key: &Secret, base: &str, attempts: u32) -> Result<Self, Error> {
        let strategy = RequestStrategy::ExponentialBackoff(attempts.max(1));
        let client = client(key, base, strategy).map_err(|why| Error::Api {
            path: String::new(),
            why,
        })?;
        Ok(Api {
            client,
            key: key.clone(),
        })
    }

    /// GET `path` (`/charges`) with `limit` and `starting_after`.
    pub async fn page(
        &self,
        path: &str,
        limit: u32,
        starting_after: Option<&str>,
    ) -> Result<Page, Error> {
        let mut query = std::collections::BTreeMap::from([("limit", limit.to_string())]);
        if let Some(after) = starting_after {
            query.insert("starting_after", after.to_string());
        }
        let fail = |why: String| Error::Api {
            path: path.to_string(),
            why: redact(&why, &self.key),
        };
        let raw: miniserde::json::Value = RequestBuilder::new(StripeMethod::Get, path)
            .query(&query)
            .customize()
            .send(&self.client)
            .await
            .map_err(|e| fail(describe(e)))?;
        let v: Value = serde_json::from_str(&miniserde::json::to_string(&raw))
            .map_err(|e| fail(format!("unreadable list: {e}")))?;
        let data = match v.get("data") {
            Some(Value::Array(items)) => items.clone(),
            _ => return Err(fail("the answer is not a list object".into())),
        };
        Ok(Page {
            data,
            has_more: v.get("has_more").and_then(Value::as_bool).unwrap_or(false),
        })
    }
}

/// An async-stripe client for `base` (a trailing `/` is added) with `strategy`;
/// the error never shows the key.
pub(crate) fn client(
    key: &Secret,
    base: &str,
    strategy: RequestStrategy,
) -> Result<Client, String> {
    let base = if base.ends_with('/') {
        base.to_string()
    } else {
        format!("{base}/")
    };
    ClientBuilder::new(key.expose())
        .url(base)
        .request_strategy(strategy)
        .build()
        .map_err(|e| redact(&e.to_string(), key))
}

fn describe(e: StripeError) -> String {
    match e {
        StripeError::Stripe(errors, status) => format!(
            "HTTP {status}: {}{}",
            errors.message.as_deref().unwrap_or("no message"),
            if status == 401 {
                " (check [stripe] api_key or STRIPE_API_KEY)"
            } else {
                ""
            }
        ),
        other => other.to_string(),
    }
}

/// Removes the key from a message, whole or in part.
pub(crate) fn redact(text: &str, key: &Secret) -> String {
    let k = key.expose();
    if k.len() < 8 {
        return text.to_string();
    }
    text.replace(k, "sk_…").replace(&k[k.len() - 8..], "…")
}
