//! Yalidine (Algeria): parcel objects as its API returns them (`tracking`,
//! `order_id`, `price`, `delivery_fee`, `last_status`, `date_last_status`,
//! `payment_status`, `payment_id`), one parcel, a list, or `{"data": [...]}`.
//! Statuses are French; times are Algerian local time (UTC+1) unless
//! `[carriers.NAME] utc_offset` says otherwise; amounts are DZD.

use serde_json::Value;

use super::settings::CarrierSettings;
use super::{Format, Scan, time};
use crate::sources::store::{amount, text};

/// Yalidine status -> normalized status.
pub const STATUSES: &[(&str, &str)] = &[
    ("En préparation", "info_received"),
    ("Pas encore expédié", "info_received"),
    ("A vérifier", "info_received"),
    ("Prêt à expédier", "info_received"),
    ("Expédié", "in_transit"),
    ("Centre", "in_transit"),
    ("Vers Wilaya", "in_transit"),
    ("Reçu à Wilaya", "in_transit"),
    ("Transfert", "in_transit"),
    ("Débloqué", "in_transit"),
    ("En attente du client", "out_for_delivery"),
    ("Sorti en livraison", "out_for_delivery"),
    ("Tentative échouée", "attempt_failed"),
    ("Livré", "delivered"),
    ("Echèc livraison", "exception"),
    ("Échec livraison", "exception"),
    ("Alerte", "exception"),
    ("Bloqué", "exception"),
    ("Echange échoué", "exception"),
    ("Retour vers centre", "returned_to_origin"),
    ("Retourné au centre", "returned_to_origin"),
    ("Retour transfert", "returned_to_origin"),
    ("Retour groupé", "returned_to_origin"),
    ("Retour à retirer", "returned_to_origin"),
    ("Retour vers vendeur", "returned_to_origin"),
    ("Retourné au vendeur", "returned_to_origin"),
];

/// The format.
pub fn format() -> Format {
    Format {
        name: "yalidine",
        statuses: STATUSES,
        read,
    }
}

fn read(v: &Value, cfg: &CarrierSettings) -> Result<Vec<Scan>, String> {
    let parcels: Vec<&Value> = match v {
        Value::Array(a) => a.iter().collect(),
        Value::Object(o) if o.contains_key("data") => v["data"]
            .as_array()
            .ok_or("Yalidine payload's data is not a list")?
            .iter()
            .collect(),
        _ => vec![v],
    };
    let offset = cfg.utc_offset.as_deref().unwrap_or("+01:00");
    parcels
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            let at = |f: &str| format!("parcel {i} {f}");
            let tracking_number = text(p, "/tracking").ok_or_else(|| at("has no tracking"))?;
            let raw_status = text(p, "/last_status").ok_or_else(|| at("has no last_status"))?;
            Ok(Scan {
                occurred_at: time::utc(&p["date_last_status"], offset, &at("date_last_status"))?,
                order_id: text(p, "/order_id"),
                raw_status,
                sub_status: None,
                location: text(p, "/current_center_name").or_else(|| text(p, "/to_wilaya_name")),
                cod_amount: amount(p, "/price").map_err(|e| at(&e))?,
                currency: Some("DZD".into()),
                tracking_number,
                raw: p.clone(),
            })
        })
        .collect()
}
