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
use crate::sources::store::Adapted;
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

/// Shopify.
pub async fn shopify(
    State(s): State<Arc<Intake>>,
    Path(store): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let result = async {
        let sig = ("X-Shopify-Hmac-SHA256", Encoding::Base64);
        let body = checked(
            &s,
            &s.settings.shopify,
            "shopify",
            &store,
            &headers,
            body,
            sig,
        )?;
        let topic = header(&headers, "x-shopify-topic").unwrap_or("");
        let webhook_id = header(&headers, "x-shopify-webhook-id");
        let adapted =
            shopify::adapt(topic, &store, webhook_id, &body).map_err(Refusal::Malformed)?;
        let delivery = match webhook_id {
            Some(id) => id.to_string(),
            None => content_id(&body),
        };
        publish_adapted(&s, "shopify", &store, delivery, adapted, body).await
    }
    .await;
    s.answer("shopify", result)
}

/// WooCommerce (answers its `webhook_id=N` ping without producing).
pub async fn woocommerce(
    State(s): State<Arc<Intake>>,
    Path(store): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let result = async {
        if body.as_ref().is_ok_and(|b| b.starts_with(b"webhook_id=")) {
            return Ok(Accepted::ping(s.topics.for_kind(Kind::Order)));
        }
        let sig = ("X-WC-Webhook-Signature", Encoding::Base64);
        let body = checked(
            &s,
            &s.settings.woocommerce,
            "woocommerce",
            &store,
            &headers,
            body,
            sig,
        )?;
        let topic = header(&headers, "x-wc-webhook-topic").unwrap_or("");
        let delivery_id = header(&headers, "x-wc-webhook-delivery-id");
        let adapted =
            woocommerce::adapt(topic, &store, delivery_id, &body).map_err(Refusal::Malformed)?;
        let delivery = match delivery_id {
            Some(id) => id.to_string(),
            None => content_id(&body),
        };
        publish_adapted(&s, "woocommerce", &store, delivery, adapted, body).await
    }
    .await;
    s.answer("woocommerce", result)
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
