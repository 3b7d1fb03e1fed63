//! Carrier adapters on payloads shaped like each carrier's own, every status
//! of every table, and refusals that keep the carrier's text.

use serde_json::{Value, json};

use super::settings::CarrierSettings;
use super::*;
use crate::events::decode::Typed;
use crate::lake::tables::TrackingRow;

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/carriers/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn settings(format: &str) -> CarrierSettings {
    CarrierSettings {
        format: format.into(),
        store_id: "shop-1".into(),
        ..Default::default()
    }
}

fn rows(carrier: &str, cfg: &CarrierSettings, v: &Value) -> Vec<Result<TrackingRow, String>> {
    adapt(carrier, cfg, v.to_string().as_bytes())
        .unwrap()
        .into_iter()
        .map(|u| match u {
            Update::Tracking { body, .. } => {
                let d = crate::events::tracking::decode(&body.to_string())
                    .expect("a valid tracking_update");
                match d.rows.into_iter().next() {
                    Some(Typed::Tracking(t)) => Ok(t),
                    other => panic!("{other:?}"),
                }
            }
            Update::Refused { reason, .. } => Err(reason),
        })
        .collect()
}

fn one(carrier: &str, cfg: &CarrierSettings, v: &Value) -> Result<TrackingRow, String> {
    rows(carrier, cfg, v).remove(0)
}

#[test]
fn yalidine_parcels_map_with_dzd_cod_amounts_and_local_times() {
    let got = rows(
        "yalidine",
        &settings("yalidine"),
        &fixture("yalidine_parcels.json"),
    );
    let first = got[0].as_ref().unwrap();
    assert_eq!(
        (first.tracking_number.as_str(), first.order_id.as_deref()),
        ("yal-123ABC", Some("CMD-1001"))
    );
    assert_eq!(
        (first.status.as_str(), first.raw_status.as_str()),
        ("delivered", "Livré")
    );
    assert_eq!(
        (first.cod_amount, first.currency.as_deref()),
        (Some(450_000), Some("DZD"))
    );
    // 11:05:10 in Algiers (UTC+1) is 10:05:10 UTC.
    assert_eq!(first.occurred_at.0, 1_791_021_910_000_000);
    let second = got[1].as_ref().unwrap();
    assert_eq!(
        (second.status.as_str(), second.cod_amount),
        ("attempt_failed", Some(320_000))
    );
}

#[test]
fn aramex_updates_map_by_code_with_both_date_shapes() {
    let got = rows(
        "aramex",
        &settings("aramex"),
        &fixture("aramex_tracking.json"),
    );
    let statuses: Vec<&str> = got
        .iter()
        .map(|r| r.as_ref().unwrap().status.as_str())
        .collect();
    assert_eq!(statuses, ["info_received", "out_for_delivery", "delivered"]);
    let last = got[2].as_ref().unwrap();
    assert_eq!(
        last.location.as_deref(),
        Some("Kuwait City, Kuwait: Delivered")
    );
    assert_eq!(
        got[0].as_ref().unwrap().occurred_at.0,
        1_790_841_600_000_000
    );
}

#[test]
fn aftership_uses_the_newest_checkpoint_and_subtags_win_over_tags() {
    let v = fixture("aftership_webhook.json");
    let r = one("dhl-ksa", &settings("aftership"), &v).unwrap();
    assert_eq!(
        (r.status.as_str(), r.raw_status.as_str()),
        ("delivered", "Delivered")
    );
    assert_eq!(r.location.as_deref(), Some("Jeddah, SA"));
    assert_eq!(r.occurred_at.0, 1_790_948_400_000_000, "16:40 at +03:00");
    let mut returned = v.clone();
    returned["msg"]["tag"] = json!("Exception");
    returned["msg"]["subtag"] = json!("Exception_011");
    assert_eq!(
        one("dhl-ksa", &settings("aftership"), &returned)
            .unwrap()
            .status,
        "returned_to_origin"
    );
}

/// Every entry of every built-in table, through each format's own payload shape.
#[test]
fn every_status_in_every_table_maps_to_its_normalized_status() {
    for (raw, want) in yalidine::STATUSES {
        let mut v = fixture("yalidine_parcels.json")["data"][0].clone();
        v["last_status"] = json!(raw);
        assert_eq!(
            one("yalidine", &settings("yalidine"), &v).unwrap().status,
            *want,
            "{raw}"
        );
    }
    for (raw, want) in aramex::STATUSES {
        let mut v = fixture("aramex_tracking.json")["TrackingResults"][0]["Value"][0].clone();
        v["UpdateCode"] = json!(raw);
        assert_eq!(
            one("aramex", &settings("aramex"), &v).unwrap().status,
            *want,
            "{raw}"
        );
    }
    for (raw, want) in aftership::STATUSES {
        let mut v = fixture("aftership_webhook.json");
        let (tag, sub) = match raw.split_once('_') {
            Some((tag, _)) => (tag.to_string(), json!(raw)),
            None => (raw.to_string(), json!(null)),
        };
        v["msg"]["tag"] = json!(tag);
        v["msg"]["subtag"] = sub;
        assert_eq!(
            one("as", &settings("aftership"), &v).unwrap().status,
            *want,
            "{raw}"
        );
    }
    for (_, want) in yalidine::STATUSES
        .iter()
        .chain(aramex::STATUSES)
        .chain(aftership::STATUSES)
    {
        assert!(
            NORMALIZED.contains(want),
            "{want} is not a normalized status"
        );
    }
}

#[test]
fn unknown_statuses_are_refused_with_the_carriers_text_and_config_can_add_them() {
    let mut v = fixture("yalidine_parcels.json")["data"][0].clone();
    v["last_status"] = json!("Perdu en route");
    let cfg = settings("yalidine");
    let why = one("yalidine", &cfg, &v).unwrap_err();
    assert!(
        why.contains("\"Perdu en route\"") && why.contains("[carriers.yalidine.statuses]"),
        "{why}"
    );
    let Update::Refused {
        raw,
        tracking_number,
        ..
    } = adapt("yalidine", &cfg, v.to_string().as_bytes())
        .unwrap()
        .remove(0)
    else {
        panic!()
    };
    assert_eq!(
        (raw, tracking_number.as_deref()),
        (v.clone(), Some("yal-123ABC"))
    );
    // Ops add the status; a typo in the target is refused too.
    let mut fixed = cfg.clone();
    fixed
        .statuses
        .insert("Perdu en route".into(), "exception".into());
    assert_eq!(one("yalidine", &fixed, &v).unwrap().status, "exception");
    fixed
        .statuses
        .insert("Perdu en route".into(), "lost".into());
    assert!(
        one("yalidine", &fixed, &v)
            .unwrap_err()
            .contains("\"lost\"")
    );
    // Unknown Aramex codes and AfterShip tags likewise.
    let mut a = fixture("aramex_tracking.json")["TrackingResults"][0]["Value"][0].clone();
    a["UpdateCode"] = json!("SH999");
    assert!(
        one("aramex", &settings("aramex"), &a)
            .unwrap_err()
            .contains("\"SH999\"")
    );
}

#[test]
fn a_generic_carrier_reads_through_its_field_map_and_status_table() {
    let mut cfg = settings("generic");
    cfg.currency = Some("MAD".into());
    cfg.utc_offset = Some("+01:00".into());
    for (k, p) in [
        ("items", "/colis"),
        ("tracking_number", "/code"),
        ("status", "/etat"),
        ("occurred_at", "/date"),
        ("order_id", "/ref"),
        ("cod_amount", "/crbt"),
        ("location", "/ville"),
    ] {
        cfg.fields.insert(k.into(), p.into());
    }
    cfg.statuses.insert("LIVRE".into(), "delivered".into());
    cfg.statuses
        .insert("RETOURNE".into(), "returned_to_origin".into());
    let v = json!({"colis": [
        {"code": "AM-1", "etat": "LIVRE", "date": "02/10/2026 15:00", "ref": "o-1", "crbt": "249.50", "ville": "Fès"},
        {"code": "AM-2", "etat": "RETOURNE", "date": "2026-10-02 16:00:00", "ref": "o-2", "crbt": null},
        {"code": "AM-3", "etat": "EN COURS", "date": "2026-10-02 17:00:00"}
    ]});
    let got = rows("ameex", &cfg, &v);
    let first = got[0].as_ref().unwrap();
    assert_eq!(
        (
            first.status.as_str(),
            first.cod_amount,
            first.currency.as_deref()
        ),
        ("delivered", Some(24_950), Some("MAD"))
    );
    assert_eq!(first.location.as_deref(), Some("Fès"));
    assert_eq!(got[1].as_ref().unwrap().status, "returned_to_origin");
    assert!(got[2].as_ref().unwrap_err().contains("\"EN COURS\""));
    // A missing field map is a clear error, not a panic.
    let bare = settings("generic");
    let err = adapt("ameex", &bare, b"{}").unwrap_err();
    assert!(err.contains("fields.tracking_number"), "{err}");
    assert!(
        adapt("x", &settings("fedex-ish"), b"{}")
            .unwrap_err()
            .contains("yalidine, aramex, aftership, generic")
    );
}
