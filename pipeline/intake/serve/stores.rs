//! `POST /webhooks/shopify/{store}`, `/webhooks/woocommerce/{store}` and
//! `/webhooks/orders/{store}`: store order webhooks, each verified with its
//! store's secret, adapted into `order_change` and keyed by order id. A
//! payload Settle cannot table (an unknown status, a delete without a
//! snapshot) is kept: it goes to the bus with the reason and lands in
//! `rejected`, and the sender gets 200 so it does not retry forever.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;

use super::Intake;
use super::reply::{Accepted, Refusal};
use crate::events::Kind;
use crate::intake::settings::StoreIntake;
use crate::sources::secret::{Encoding, verify_body};
use crate::sources::store::{Adapted, Adapter};
use crate::sources::{shopify, woocommerce};

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).map(|v| v.to_str().unwrap_or("\u{fffd}"))
}

/// The store's settings, the body, and the signature check shared by every store route.
fn checked(
    s: &Intake,
    stores: &std::collections::BTreeMap<String, StoreIntake>,
    section: &str,
    store: &str,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
    (sig_header, encoding): (&'static str, Encoding),
) -> Result<Bytes, Refusal> {
    let Some(cfg) = stores.get(store).filter(|c| !c.secret.is_empty()) else {
        return Err(Refusal::NotConfigured(format!(
            "no secret for store {store:?}: set [intake.{section}.{store}] secret"
        )));
    };
    let body = body.map_err(|r| Refusal::from_body(r, s.settings.max_body_bytes))?;
    verify_body(
        cfg.secret.as_slice(),
        sig_header,
        header(headers, sig_header),
        encoding,
        &body,
    )
    .map_err(|e| Refusal::Unauthorized(e.to_string()))?;
    Ok(body)
}

/// Publishes what an adapter made of a webhook.
async fn publish_adapted(
    s: &Intake,
    source: &'static str,
    store: &str,
    delivery: String,
    adapted: Adapted,
    raw: Bytes,
) -> Result<Accepted, Refusal> {
    let origin = format!("webhook:{source}:{store}:{delivery}");
    match adapted {
        Adapted::Order { order_id, body } => {
            let body = Bytes::from(body.to_string());
            let record = s.record(Kind::Order, order_id, store, origin, body);
            s.publish(source, Kind::Order, record, delivery).await
        }
        Adapted::Refused(why) => {
            let mut record = s.record(Kind::Order, delivery.clone(), store, origin, raw);
            record.meta.refusal = Some(why.clone());
            s.publish(source, Kind::Order, record, delivery)
                .await
                .map(|a| a.kept(why))
        }
    }
}

/// How one store platform sends its webhooks.
struct Platform {
    /// Metrics and origin label; also the `[intake.NAME]` section.
    source: &'static str,
    /// Signature header and its encoding.
    signature: (&'static str, Encoding),
    /// Header naming the topic.
    topic: &'static str,
    /// Header naming the delivery.
    delivery: &'static str,
    /// The adapter: (topic, store, delivery id, body).
    adapt: Adapter,
}

const SHOPIFY: Platform = Platform {
    source: "shopify",
    signature: ("X-Shopify-Hmac-SHA256", Encoding::Base64),
    topic: "x-shopify-topic",
    delivery: "x-shopify-webhook-id",
    adapt: shopify::adapt,
};

const WOOCOMMERCE: Platform = Platform {
    source: "woocommerce",
    signature: ("X-WC-Webhook-Signature", Encoding::Base64),
    topic: "x-wc-webhook-topic",
    delivery: "x-wc-webhook-delivery-id",
    adapt: woocommerce::adapt,
};

async fn platform(
    s: &Intake,
    p: &Platform,
    stores: &std::collections::BTreeMap<String, StoreIntake>,
    store: &str,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Accepted, Refusal> {
    let body = checked(s, stores, p.source, store, headers, body, p.signature)?;
    let topic = header(headers, p.topic).unwrap_or("");
    let delivery_id = header(headers, p.delivery);
    let adapted = (p.adapt)(topic, store, delivery_id, &body).map_err(Refusal::Malformed)?;
    let delivery = delivery_id.map_or_else(|| content_id(&body), str::to_string);
    publish_adapted(s, p.source, store, delivery, adapted, body).await
}

/// Shopify.
pub async fn shopify(
    State(s): State<Arc<Intake>>,
    Path(store): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let result = platform(&s, &SHOPIFY, &s.settings.shopify, &store, &headers, body).await;
    s.answer(SHOPIFY.source, result)
}

/// WooCommerce (answers its `webhook_id=N` ping without producing).
pub async fn woocommerce(
    State(s): State<Arc<Intake>>,
    Path(store): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let result = if body.as_ref().is_ok_and(|b| b.starts_with(b"webhook_id=")) {
        Ok(Accepted::ping(s.topics.for_kind(Kind::Order)))
    } else {
        let stores = &s.settings.woocommerce;
        platform(&s, &WOOCOMMERCE, stores, &store, &headers, body).await
    };
    s.answer(WOOCOMMERCE.source, result)
}

/// A generic store sending `order_change` bodies signed with `X-Settle-Signature`
/// (hex HMAC-SHA256 of the body, optionally `sha256=`-prefixed). The body is
/// checked against the contract here, so the sender learns at once what to fix.
pub async fn orders(
    State(s): State<Arc<Intake>>,
    Path(store): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let result = async {
        let sig = ("X-Settle-Signature", Encoding::Hex);
        let body = checked(&s, &s.settings.orders, "orders", &store, &headers, body, sig)?;
        let text = std::str::from_utf8(&body)
            .map_err(|_| Refusal::Malformed("body is not UTF-8 JSON".into()))?;
        let decoded = crate::events::order::decode(text).map_err(|r| Refusal::Malformed(r.reason))?;
        if decoded.store_id != store {
            return Err(Refusal::Malformed(format!(
                "body is for store {:?} but was sent to /webhooks/orders/{store}; each store signs its own orders",
                decoded.store_id
            )));
        }
        let key = crate::intake::load::key_of(Kind::Order, text, &decoded.event_id);
        let origin = format!("webhook:orders:{store}:{}", decoded.event_id);
        let record = s.record(Kind::Order, key, &store, origin, body);
        s.publish("orders", Kind::Order, record, decoded.event_id).await
    }
    .await;
    s.answer("orders", result)
}

/// A delivery id from the body's content, for senders that send none.
pub fn content_id(body: &[u8]) -> String {
    use sha2::Digest;
    format!("sha256:{}", hex::encode(&sha2::Sha256::digest(body)[..12]))
}
