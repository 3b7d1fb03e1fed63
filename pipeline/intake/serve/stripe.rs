//! `POST /webhooks/stripe`: a Stripe event, signed with `Stripe-Signature`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::HeaderMap;
use axum::response::Response;

use super::reply::{Accepted, Refusal};
use super::{Intake, now_unix};
use crate::events::Kind;

const SOURCE: &str = "stripe";

/// Verifies, checks the envelope, and publishes keyed by the object's id.
pub async fn receive(
    State(s): State<Arc<Intake>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let result = accept(&s, &headers, body).await;
    s.answer(SOURCE, result)
}

async fn accept(
    s: &Intake,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Accepted, Refusal> {
    if s.settings.stripe.webhook_secrets.is_empty() {
        return Err(Refusal::NotConfigured(
            "Stripe intake is off: set [intake.stripe] webhook_secrets \
             (SETTLE__INTAKE__STRIPE__WEBHOOK_SECRETS) to the endpoint's whsec_ secret"
                .into(),
        ));
    }
    let body = body.map_err(|r| Refusal::from_body(r, s.settings.max_body_bytes))?;
    let header = headers
        .get("stripe-signature")
        .map(|v| v.to_str().unwrap_or("\u{fffd}"));
    s.stripe
        .verify(header, &body, now_unix())
        .map_err(|e| Refusal::Unauthorized(e.to_string()))?;
    let (id, key) = envelope(&body)?;
    let record = s.record(
        Kind::Stripe,
        key,
        &s.settings.stripe.store_id,
        format!("webhook:stripe:{id}"),
        body,
    );
    s.publish(SOURCE, Kind::Stripe, record, id).await
}

/// Only what intake needs from an event; serde skips the rest without building it.
#[derive(serde::Deserialize)]
struct Envelope<'a> {
    #[serde(borrow)]
    id: Option<std::borrow::Cow<'a, str>>,
    #[serde(rename = "type", borrow)]
    type_: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow)]
    data: Option<Data<'a>>,
}

#[derive(serde::Deserialize)]
struct Data<'a> {
    #[serde(borrow)]
    object: Option<Object<'a>>,
}

#[derive(serde::Deserialize)]
struct Object<'a> {
    #[serde(borrow)]
    id: Option<std::borrow::Cow<'a, str>>,
}

/// The event id and the bus key (the object's id) of a Stripe event body.
fn envelope(body: &[u8]) -> Result<(String, String), Refusal> {
    let ev: Envelope = serde_json::from_slice(body).map_err(|e| {
        Refusal::Malformed(format!(
            "body is not JSON, or not a Stripe event ({e}); Stripe sends an event object"
        ))
    })?;
    let (Some(id), Some(_type)) = (ev.id, ev.type_) else {
        return Err(Refusal::Malformed(
            "body is not a Stripe event: it needs string fields id and type".into(),
        ));
    };
    let key = ev
        .data
        .and_then(|d| d.object)
        .and_then(|o| o.id)
        .unwrap_or_else(|| id.clone());
    Ok((id.into_owned(), key.into_owned()))
}
