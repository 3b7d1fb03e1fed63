//! `POST /webhooks/carriers/{carrier}`: tracking updates in the carrier's
//! own shape (`[carriers.NAME] format`), authenticated by its secret
//! (`X-Settle-Signature`, or AfterShip's `aftership-hmac-sha256`) or token
//! (`Authorization: Bearer …` / `X-Settle-Token`). One payload may carry
//! many updates; each is published keyed by tracking number, and one whose
//! status no table maps is kept for `rejected` with the carrier's text.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::Intake;
use super::reply::{Accepted, Refusal};
use crate::events::Kind;
use crate::sources::carriers::settings::CarrierSettings;
use crate::sources::carriers::{self, Update};
use crate::sources::secret::{Encoding, verify_body};

const SOURCE: &str = "carrier";

/// Receives one carrier payload.
pub async fn receive(
    State(s): State<Arc<Intake>>,
    Path(carrier): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    match accept(&s, &carrier, &headers, body).await {
        Ok(items) => {
            for a in &items {
                s.metrics.answered(SOURCE, a.status);
            }
            let updates: Vec<_> = items
                .into_iter()
                .map(|a| json!({"id": a.id, "status": a.status, "reason": a.reason}))
                .collect();
            let body = json!({"status": "accepted", "topic": s.topics.for_kind(Kind::Tracking), "updates": updates});
            (StatusCode::OK, Json(body)).into_response()
        }
        Err(r) => s.answer(SOURCE, Err(r)),
    }
}

async fn accept(
    s: &Intake,
    carrier: &str,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Vec<Accepted>, Refusal> {
    let Some(cfg) = s.carriers.get(carrier) else {
        return Err(Refusal::NotConfigured(format!(
            "no carrier {carrier:?}: add [carriers.{carrier}] with its format, store_id and secret or token"
        )));
    };
    let body = body.map_err(|r| Refusal::from_body(r, s.settings.max_body_bytes))?;
    authenticate(carrier, cfg, headers, &body)?;
    let updates = carriers::adapt(carrier, cfg, &body).map_err(Refusal::Malformed)?;
    let mut out = Vec::with_capacity(updates.len());
    // Sequential: a 503 half-way leaves the first ones acknowledged, and the
    // sender's retry finds them as duplicates.
    for u in updates {
        let accepted = match u {
            Update::Tracking {
                event_id,
                tracking_number,
                body,
            } => {
                let origin = format!("webhook:carrier:{carrier}:{event_id}");
                let body = Bytes::from(body.to_string());
                let record = s.record(Kind::Tracking, tracking_number, &cfg.store_id, origin, body);
                s.publish(SOURCE, Kind::Tracking, record, event_id).await?
            }
            Update::Refused {
                event_id,
                tracking_number,
                reason,
                raw,
            } => {
                let origin = format!("webhook:carrier:{carrier}:{event_id}");
                let key = tracking_number.unwrap_or_else(|| event_id.clone());
                let body = Bytes::from(raw.to_string());
                let mut record = s.record(Kind::Tracking, key, &cfg.store_id, origin, body);
                record.meta.refusal = Some(reason.clone());
                s.publish(SOURCE, Kind::Tracking, record, event_id)
                    .await?
                    .kept(reason)
            }
        };
        out.push(accepted);
    }
    Ok(out)
}

fn authenticate(
    carrier: &str,
    cfg: &CarrierSettings,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(), Refusal> {
    let header = |name: &str| headers.get(name).map(|v| v.to_str().unwrap_or("\u{fffd}"));
    let token = header("x-settle-token")
        .or_else(|| header("authorization").and_then(|a| a.strip_prefix("Bearer ")));
    if let (Some(expected), Some(given)) = (&cfg.token, token) {
        if expected.matches_token(given.trim()) {
            return Ok(());
        }
        return Err(Refusal::Unauthorized(format!(
            "the token does not match [carriers.{carrier}] token"
        )));
    }
    if !cfg.secret.is_empty() {
        let (name, encoding) = if cfg.format == "aftership" {
            ("aftership-hmac-sha256", Encoding::Base64)
        } else {
            ("X-Settle-Signature", Encoding::Hex)
        };
        return verify_body(cfg.secret.as_slice(), name, header(name), encoding, body)
            .map_err(|e| Refusal::Unauthorized(e.to_string()));
    }
    if cfg.token.is_some() {
        return Err(Refusal::Unauthorized(
            "no token: send Authorization: Bearer TOKEN or X-Settle-Token".into(),
        ));
    }
    Err(Refusal::NotConfigured(format!(
        "carrier {carrier:?} has neither a secret nor a token; set [carriers.{carrier}] secret or token"
    )))
}
