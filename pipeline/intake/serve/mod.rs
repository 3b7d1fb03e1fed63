//! `settle serve`: signed webhooks in, bus records out. A request is
//! answered 2xx only after the bus acknowledged its event; when the bus does
//! not answer within `[intake] ack_timeout_ms` the sender gets 503 with
//! `Retry-After` and retries later, so nothing is acknowledged that was not
//! produced.

mod carriers;
mod metrics;
pub mod reply;
mod stores;
mod stripe;

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use tokio_util::sync::CancellationToken;

use self::metrics::Metrics;
use self::reply::{Accepted, Refusal};
use super::dedupe::Dedupe;
use super::settings::IntakeSettings;
use crate::bus::{EventBus, Meta, Record, Topics};
use crate::events::Kind;
use crate::sources::carriers::settings::CarrierSettings;
use crate::sources::stripe::signature::Verifier;

/// `[carriers.NAME]` by name.
pub type Carriers = std::collections::BTreeMap<String, CarrierSettings>;

/// librdkafka settings of the intake producer unless `[bus.librdkafka]`
/// says otherwise. Each request waits for its own event's acknowledgement,
/// so the linger is short; but not zero: one produce request per event
/// capped Tansu at ~10k events/s, while 1 ms lets concurrent requests share
/// one (`settle bench webhooks`, 128 in flight: 24.6k -> 37.5k req/s, p99
/// 13.6 -> 8.1 ms; linger 2 ms gave no more, 5 ms cost latency).
///
/// One produce request in flight per broker connection: the intake producer
/// is not idempotent (see [`KafkaConfig::idempotent`](crate::bus::kafka::KafkaConfig)),
/// and with several requests in flight a retried batch can land behind a
/// later one, reordering one entity's events; with one, events that wait
/// pile into the next request, so batches grow with the load (Tansu's CPU
/// per event fell from ~19 to ~13 µs, Settle's rate rose ~10% at 32 and
/// 128 in flight).
pub const PRODUCER_DEFAULTS: &[(&str, &str)] = &[
    ("linger.ms", "1"),
    ("max.in.flight.requests.per.connection", "1"),
];

/// Everything the routes share.
pub struct Intake {
    bus: Arc<dyn EventBus>,
    topics: Topics,
    settings: IntakeSettings,
    carriers: Carriers,
    stripe: Verifier,
    seen: Dedupe,
    metrics: Metrics,
}

impl Intake {
    /// Intake onto `bus` with `settings` and the carriers' settings.
    pub fn new(
        bus: Arc<dyn EventBus>,
        topics: Topics,
        settings: IntakeSettings,
        carriers: Carriers,
    ) -> Self {
        let stripe = Verifier::new(
            settings.stripe.webhook_secrets.0.clone(),
            settings.stripe.tolerance_secs,
        );
        Intake {
            bus,
            topics,
            stripe,
            seen: Dedupe::new(settings.dedupe_capacity),
            metrics: Metrics::default(),
            settings,
            carriers,
        }
    }

    /// The routes that have secrets configured, for the startup log.
    pub fn enabled_routes(&self) -> Vec<String> {
        let s = &self.settings;
        let mut out = Vec::new();
        if !s.stripe.webhook_secrets.is_empty() {
            out.push("/webhooks/stripe".to_string());
        }
        for (section, stores) in [
            ("shopify", &s.shopify),
            ("woocommerce", &s.woocommerce),
            ("orders", &s.orders),
        ] {
            for (store, cfg) in stores {
                if !cfg.secret.is_empty() {
                    out.push(format!("/webhooks/{section}/{store}"));
                }
            }
        }
        for (name, cfg) in &self.carriers {
            if !cfg.secret.is_empty() || cfg.token.is_some() {
                out.push(format!("/webhooks/carriers/{name}"));
            }
        }
        out
    }

    /// Publishes one event and waits for the bus's acknowledgement; a
    /// `delivery` id already acknowledged is answered as a duplicate.
    async fn publish(
        &self,
        source: &'static str,
        kind: Kind,
        record: Record,
        delivery: String,
    ) -> Result<Accepted, Refusal> {
        let topic = self.topics.for_kind(kind);
        let dedupe_key = format!("{source}:{delivery}");
        if self.seen.seen(&dedupe_key) {
            tracing::info!(source, id = %delivery, "re-delivery answered without producing");
            return Ok(Accepted {
                id: delivery,
                topic,
                status: "duplicate",
                reason: None,
            });
        }
        let started = Instant::now();
        // The producer's own message timeout is the ack timeout (see
        // `serve`); this guard is only a backstop.
        let limit = Duration::from_millis(self.settings.ack_timeout_ms) + Duration::from_secs(1);
        match tokio::time::timeout(limit, self.bus.publish(&topic, vec![record])).await {
            Ok(Ok(())) => {
                self.metrics.acked(started.elapsed());
                self.seen.remember(dedupe_key);
                Ok(Accepted {
                    id: delivery,
                    topic,
                    status: "accepted",
                    reason: None,
                })
            }
            failed => {
                let why = match failed {
                    Ok(Err(e)) => e.to_string(),
                    _ => format!("no acknowledgement in {limit:?}"),
                };
                tracing::warn!(source, id = %delivery, error = %why, "bus unavailable: answering 503");
                Err(Refusal::Unavailable {
                    retry_after: self.settings.retry_after_secs,
                })
            }
        }
    }

    /// The bus record for a body, with its headers.
    fn record(
        &self,
        kind: Kind,
        key: String,
        store: &str,
        origin: String,
        body: bytes::Bytes,
    ) -> Record {
        Record {
            key,
            meta: Meta {
                kind,
                store_id: store.to_string(),
                origin,
                received_at: chrono::Utc::now().timestamp_micros(),
                refusal: None,
            },
            payload: body,
        }
    }

    /// Counts an answer and passes it on.
    fn answer(
        &self,
        source: &'static str,
        result: Result<Accepted, Refusal>,
    ) -> axum::response::Response {
        match result {
            Ok(a) => {
                self.metrics.answered(source, a.status);
                a.into_response()
            }
            Err(r) => {
                if !matches!(r, Refusal::Unavailable { .. }) {
                    tracing::info!(source, status = r.status().as_u16(), reason = %r, "refused");
                }
                self.metrics.answered(source, r.code());
                r.into_response()
            }
        }
    }
}

async fn metrics_route(State(s): State<Arc<Intake>>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        s.metrics.encode(),
    )
}

async fn healthz() -> impl IntoResponse {
    (StatusCode::OK, "{\"status\":\"ok\"}\n")
}

async fn not_found() -> Refusal {
    Refusal::NotConfigured(
        "no such route; webhooks go to /webhooks/stripe, /webhooks/shopify/STORE, \
         /webhooks/woocommerce/STORE, /webhooks/orders/STORE or /webhooks/carriers/CARRIER"
            .into(),
    )
}

/// Every route of `settle serve`.
pub fn router(intake: Arc<Intake>) -> Router {
    let limit = intake.settings.max_body_bytes;
    Router::new()
        .route("/webhooks/stripe", post(stripe::receive))
        .route("/webhooks/shopify/{store}", post(stores::shopify))
        .route("/webhooks/woocommerce/{store}", post(stores::woocommerce))
        .route("/webhooks/orders/{store}", post(stores::orders))
        .route("/webhooks/carriers/{carrier}", post(carriers::receive))
        .route("/metrics", get(metrics_route))
        .route("/healthz", get(healthz))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(limit))
        .with_state(intake)
}

/// Serves `intake` on `listener` until `shutdown` is cancelled; requests in
/// flight finish first.
pub async fn serve(
    listener: tokio::net::TcpListener,
    intake: Arc<Intake>,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    axum::serve(listener, router(intake))
        .with_graceful_shutdown(async move { shutdown.cancelled().await })
        .await
}

/// Seconds since the epoch, for signature tolerances.
fn now_unix() -> i64 {
    chrono::Utc::now().timestamp()
}
