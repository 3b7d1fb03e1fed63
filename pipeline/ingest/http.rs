//! `/metrics`, `/healthz` and `/readyz` of `settle ingest`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;

use super::metrics::Metrics;

/// What the probes report.
#[derive(Default)]
pub struct Health {
    /// Metrics to expose.
    pub metrics: Metrics,
    /// Set once the lake and the brokers answered.
    pub ready: AtomicBool,
    /// Set when shutting down.
    pub stopping: AtomicBool,
    /// When the consume loop last went round (ms since the epoch).
    pub heartbeat_ms: AtomicI64,
}

impl Health {
    /// Records that the consume loop is alive.
    pub fn beat(&self) {
        self.heartbeat_ms
            .store(chrono::Utc::now().timestamp_millis(), Ordering::Relaxed);
    }
}

/// The consume loop counts as stuck after this long without a beat.
const STUCK_MS: i64 = 60_000;

async fn metrics(State(h): State<Arc<Health>>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        h.metrics.encode(),
    )
}

async fn healthz(State(h): State<Arc<Health>>) -> impl IntoResponse {
    let since = chrono::Utc::now().timestamp_millis() - h.heartbeat_ms.load(Ordering::Relaxed);
    if since > STUCK_MS {
        let body =
            format!("{{\"status\":\"stuck\",\"why\":\"consume loop silent for {since} ms\"}}\n");
        return (StatusCode::SERVICE_UNAVAILABLE, body);
    }
    (StatusCode::OK, "{\"status\":\"ok\"}\n".to_string())
}

async fn readyz(State(h): State<Arc<Health>>) -> impl IntoResponse {
    if h.stopping.load(Ordering::Relaxed) {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "{\"status\":\"stopping\"}\n",
        );
    }
    if !h.ready.load(Ordering::Relaxed) {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "{\"status\":\"starting\",\"why\":\"lake or brokers not reached yet\"}\n",
        );
    }
    (StatusCode::OK, "{\"status\":\"ready\"}\n")
}

/// The probe and metrics routes.
pub fn router(health: Arc<Health>) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .with_state(health)
}
