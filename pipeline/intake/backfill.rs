//! `settle backfill stripe --since DATE`: pages through Stripe's lists and
//! produces each object created since DATE as a snapshot event (an event
//! envelope `evt_bf_<object id>` of the type a webhook would have carried),
//! and Stripe's own events (kept 30 days) as they are. A cursor per list in
//! the lake (`_cursors/stripe/LIST.json`) is saved after each page the bus
//! acknowledged, so an interrupted run resumes where it stopped; a finished
//! pass remembers the newest object it produced, so running again produces
//! only what is new. Typed tables count an event id once either way.

use std::time::Duration;

use bytes::Bytes;
use indicatif::{ProgressBar, ProgressStyle};
use object_store::{ObjectStoreExt, PutPayload};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::bus::{EventBus, Meta, Record, Topics};
use crate::events::Kind;
use crate::lake::Lake;
use crate::sources::stripe::api::{self, Api};

/// Errors of a backfill.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The Stripe API failed after its retries.
    #[error(transparent)]
    Api(#[from] api::Error),
    /// The bus refused.
    #[error("bus: {0}")]
    Bus(#[from] crate::bus::Error),
    /// The cursor could not be read or saved.
    #[error("cursor {0}")]
    Cursor(String),
}

/// Result alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The lists, in order: (endpoint, name).
pub const LISTS: &[(&str, &str)] = &[
    ("/customers", "customers"),
    ("/charges", "charges"),
    ("/payment_intents", "payment_intents"),
    ("/refunds", "refunds"),
    ("/invoices", "invoices"),
    ("/balance_transactions", "balance_transactions"),
    ("/payouts", "payouts"),
    ("/events", "events"),
];

/// Where one list stands.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Cursor {
    /// The `--since` this cursor is for (Unix seconds).
    pub since: i64,
    /// Newest `created` of finished passes: older objects were produced.
    pub done_created: i64,
    /// Ids created in the second `done_created` that were produced.
    pub done_ids: Vec<String>,
    /// Resume an unfinished pass after this id.
    pub after: Option<String>,
    /// Newest `created` (and its ids) of the unfinished pass.
    pub pass_created: i64,
    /// Ids at `pass_created`.
    pub pass_ids: Vec<String>,
}

/// Totals per list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Count {
    /// List name.
    pub list: &'static str,
    /// Objects read.
    pub read: u64,
    /// Snapshot events produced.
    pub produced: u64,
}

/// A backfill run.
pub struct Backfill<'a> {
    /// Stripe.
    pub api: &'a Api,
    /// The bus.
    pub bus: &'a dyn EventBus,
    /// Topic names.
    pub topics: &'a Topics,
    /// Where cursors live.
    pub lake: &'a Lake,
    /// Store for objects whose metadata names none.
    pub store: &'a str,
    /// Unix seconds.
    pub since: i64,
    /// Page size (Stripe allows 1..=100).
    pub page_size: u32,
    /// Show progress bars.
    pub progress: bool,
}

impl Backfill<'_> {
    /// Runs every list in [`LISTS`].
    pub async fn run(&self) -> Result<Vec<Count>> {
        let mut out = Vec::new();
        for (path, name) in LISTS {
            out.push(self.list(path, name).await?);
        }
        Ok(out)
    }

    async fn list(&self, path: &str, name: &'static str) -> Result<Count> {
        let mut cursor = self.load(name).await?;
        if cursor.since != self.since {
            cursor = Cursor {
                since: self.since,
                done_created: i64::MIN,
                pass_created: i64::MIN,
                ..Default::default()
            };
        }
        let bar = if self.progress {
            ProgressBar::new_spinner()
        } else {
            ProgressBar::hidden()
        };
        bar.set_style(
            ProgressStyle::with_template("{spinner} {prefix:>22} {msg}").expect("template"),
        );
        bar.set_prefix(name);
        bar.enable_steady_tick(Duration::from_millis(120));
        let mut count = Count {
            list: name,
            ..Default::default()
        };
        loop {
            let page = self
                .api
                .page(path, self.page_size, cursor.after.as_deref())
                .await?;
            let mut records = Vec::new();
            let mut newest_first = true;
            let mut prev = i64::MAX;
            let mut older_than_since = false;
            for obj in &page.data {
                count.read += 1;
                let id = obj
                    .get("id")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                let created = obj.get("created").and_then(Value::as_i64).unwrap_or(0);
                newest_first &= created <= prev;
                prev = created;
                if created < self.since {
                    older_than_since = true;
                    continue;
                }
                let seen = created < cursor.done_created
                    || (created == cursor.done_created && cursor.done_ids.contains(&id));
                if seen {
                    continue;
                }
                records.push(self.record(name, obj, &id, created));
                match created.cmp(&cursor.pass_created) {
                    std::cmp::Ordering::Greater => {
                        cursor.pass_created = created;
                        cursor.pass_ids = vec![id.clone()];
                    }
                    std::cmp::Ordering::Equal => cursor.pass_ids.push(id.clone()),
                    std::cmp::Ordering::Less => {}
                }
            }
            if !records.is_empty() {
                count.produced += records.len() as u64;
                self.bus
                    .publish(&self.topics.for_kind(Kind::Stripe), records)
                    .await?;
            }
            // Stripe lists newest first: past --since, or past what an earlier
            // pass produced, nothing older is new.
            let below = page
                .data
                .last()
                .and_then(|o| o.get("created"))
                .and_then(Value::as_i64);
            let exhausted = newest_first
                && (older_than_since || below.is_some_and(|c| c < cursor.done_created));
            let last_id = page
                .data
                .last()
                .and_then(|o| o.get("id"))
                .and_then(Value::as_str);
            if page.has_more && !exhausted && last_id.is_some() {
                cursor.after = last_id.map(str::to_string);
                self.save(name, &cursor).await?;
                bar.set_message(format!("{} read, {} produced", count.read, count.produced));
                continue;
            }
            // The pass is over: what it produced is now "done".
            if cursor.pass_created > cursor.done_created {
                cursor.done_created = cursor.pass_created;
                cursor.done_ids = std::mem::take(&mut cursor.pass_ids);
            } else if cursor.pass_created == cursor.done_created {
                cursor.done_ids.append(&mut cursor.pass_ids);
            }
            cursor.after = None;
            cursor.pass_created = i64::MIN;
            cursor.pass_ids.clear();
            self.save(name, &cursor).await?;
            bar.finish_with_message(format!("{} read, {} produced", count.read, count.produced));
            return Ok(count);
        }
    }

    fn record(&self, list: &str, obj: &Value, id: &str, created: i64) -> Record {
        let body = if list == "events" {
            obj.clone()
        } else {
            snapshot(obj, id, created)
        };
        let key = body
            .pointer("/data/object/id")
            .and_then(Value::as_str)
            .unwrap_or(id)
            .to_string();
        Record {
            key,
            meta: Meta {
                kind: Kind::Stripe,
                store_id: self.store.to_string(),
                origin: format!("backfill:stripe:{list}:{id}"),
                received_at: chrono::Utc::now().timestamp_micros(),
                refusal: None,
            },
            payload: Bytes::from(body.to_string()),
        }
    }

    fn path(&self, list: &str) -> object_store::path::Path {
        self.lake.path(&format!("_cursors/stripe/{list}.json"))
    }

    async fn load(&self, list: &str) -> Result<Cursor> {
        match self.lake.store.get(&self.path(list)).await {
            Ok(r) => {
                let bytes = r
                    .bytes()
                    .await
                    .map_err(|e| Error::Cursor(format!("{list}: {e}")))?;
                serde_json::from_slice(&bytes).map_err(|e| Error::Cursor(format!("{list}: {e}")))
            }
            Err(object_store::Error::NotFound { .. }) => Ok(Cursor {
                since: self.since,
                done_created: i64::MIN,
                pass_created: i64::MIN,
                ..Default::default()
            }),
            Err(e) => Err(Error::Cursor(format!("{list}: {e}"))),
        }
    }

    async fn save(&self, list: &str, c: &Cursor) -> Result<()> {
        let text = serde_json::to_string(c).expect("a cursor serializes");
        self.lake
            .store
            .put(&self.path(list), PutPayload::from(text))
            .await
            .map_err(|e| Error::Cursor(format!("{list}: {e}")))?;
        Ok(())
    }
}

/// The event type a webhook would have carried for the object's state.
pub fn snapshot_type(obj: &Value) -> String {
    let kind = obj
        .get("object")
        .and_then(Value::as_str)
        .unwrap_or("object");
    let status = obj
        .get("status")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let refunded = obj
        .get("amount_refunded")
        .and_then(Value::as_i64)
        .unwrap_or(0)
        > 0;
    let t = match (kind, status) {
        ("charge", "succeeded") if refunded => "charge.refunded",
        ("charge", "succeeded") => "charge.succeeded",
        ("charge", "failed") => "charge.failed",
        ("charge", _) => "charge.pending",
        ("payment_intent", "succeeded") => "payment_intent.succeeded",
        ("payment_intent", "canceled") => "payment_intent.canceled",
        ("payment_intent", "requires_payment_method")
            if obj.get("last_payment_error").is_some_and(|e| !e.is_null()) =>
        {
            "payment_intent.payment_failed"
        }
        ("payment_intent", _) => "payment_intent.created",
        ("refund", "failed") => "refund.failed",
        ("refund", _) => "refund.created",
        ("invoice", "paid") => "invoice.paid",
        ("invoice", "open") => "invoice.finalized",
        ("invoice", "draft") => "invoice.created",
        ("invoice", _) => "invoice.updated",
        ("customer", _) => "customer.created",
        ("payout", "paid") => "payout.paid",
        ("payout", "failed") => "payout.failed",
        ("payout", _) => "payout.created",
        (other, _) => return format!("{other}.created"),
    };
    t.to_string()
}

/// An event envelope around an object read from a list.
pub fn snapshot(obj: &Value, id: &str, created: i64) -> Value {
    json!({
        "id": format!("evt_bf_{id}"),
        "object": "event",
        "api_version": null,
        "created": created,
        "livemode": obj.get("livemode").cloned().unwrap_or(Value::Bool(false)),
        "pending_webhooks": 0,
        "request": {"id": null, "idempotency_key": null},
        "type": snapshot_type(obj),
        "data": {"object": obj},
    })
}
