//! Carrier webhooks on the real broker: three carrier formats, each with its
//! own way of proving who it is, land in `tracking_events`; re-sent updates
//! count once; an unknown status lands in `rejected` with the carrier's text.

mod common;

use std::time::Duration;

use common::daemon::{self, Ingest, Setup};
use common::http::{Reply, post};
use common::intake::start_intake_with;
use serde_json::{Value, json};
use settle::intake::serve::Carriers;
use settle::intake::settings::{IntakeSettings, Secrets};
use settle::lake::Lake;
use settle::sources::carriers::settings::CarrierSettings;
use settle::sources::secret::Secret;

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/carriers/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn carrier(format: &str, secret: Option<&str>, token: Option<&str>) -> CarrierSettings {
    CarrierSettings {
        format: format.into(),
        store_id: "shop-dz".into(),
        secret: Secrets(secret.into_iter().map(Secret::new).collect()),
        token: token.map(Secret::new),
        ..Default::default()
    }
}

fn statuses(r: &Reply) -> Vec<String> {
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["updates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["status"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn carrier_webhooks_land_in_tracking_events_and_unknown_statuses_in_rejected() {
    let topics = daemon::unique_topics("carriers");
    let mut carriers = Carriers::new();
    carriers.insert(
        "yalidine".into(),
        carrier("yalidine", None, Some("yal-token-1")),
    );
    carriers.insert(
        "aramex".into(),
        carrier("aramex", Some("aramex-secret"), None),
    );
    carriers.insert("dhl".into(), carrier("aftership", Some("as-secret"), None));
    let running = start_intake_with(
        &daemon::brokers(),
        &topics,
        IntakeSettings::default(),
        carriers,
    );
    let addr = running.addr.as_str();

    let mut yal = fixture("yalidine_parcels.json");
    yal["data"][1]["last_status"] = json!("Perdu en route");
    let yal = yal.to_string();
    let send_yal = |auth: &str| {
        post(
            addr,
            "/webhooks/carriers/yalidine",
            &[("Authorization", auth)],
            yal.as_bytes(),
        )
    };
    assert_eq!(
        statuses(&send_yal("Bearer yal-token-1")),
        ["accepted", "kept"]
    );
    let again = send_yal("Bearer yal-token-1");
    assert_eq!(statuses(&again), ["duplicate", "duplicate"]);
    let wrong = send_yal("Bearer nope");
    assert_eq!(
        (wrong.status, wrong.json()["error"].as_str()),
        (401, Some("unauthorized"))
    );
    assert!(!wrong.body.contains("yal-token-1"), "{}", wrong.body);
    let unknown = post(addr, "/webhooks/carriers/fedex", &[], b"{}");
    assert_eq!(unknown.status, 404, "{}", unknown.body);
    let junk = post(
        addr,
        "/webhooks/carriers/yalidine",
        &[("X-Settle-Token", "yal-token-1")],
        b"nope",
    );
    assert_eq!(
        (junk.status, junk.json()["error"].as_str()),
        (400, Some("malformed"))
    );

    let aramex = fixture("aramex_tracking.json").to_string();
    let sig = format!(
        "sha256={}",
        Secret::new("aramex-secret").sign_hex(aramex.as_bytes())
    );
    let r = post(
        addr,
        "/webhooks/carriers/aramex",
        &[("X-Settle-Signature", &sig)],
        aramex.as_bytes(),
    );
    assert_eq!(statuses(&r), ["accepted", "accepted", "accepted"]);
    let forged = post(
        addr,
        "/webhooks/carriers/aramex",
        &[("X-Settle-Signature", "00")],
        aramex.as_bytes(),
    );
    assert_eq!(forged.status, 401);

    let aftership = fixture("aftership_webhook.json").to_string();
    let sig = Secret::new("as-secret").sign_base64(aftership.as_bytes());
    let r = post(
        addr,
        "/webhooks/carriers/dhl",
        &[("aftership-hmac-sha256", &sig)],
        aftership.as_bytes(),
    );
    assert_eq!(statuses(&r), ["accepted"]);

    let dir = tempfile::tempdir().unwrap();
    let lake_dir = dir.path().join("lake");
    let ingest = Ingest::start(&Setup::new(&topics, &lake_dir));
    let lake = Lake::open(lake_dir.to_str().unwrap()).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(daemon::wait_for_lake(&lake, 6, Duration::from_secs(60)));
    assert!(ingest.stop().success());
    let (tracking, rejected) = rt.block_on(async {
        let ctx = common::ctx(&lake).await;
        let q = "SELECT carrier, tracking_number, status, raw_status, cod_amount FROM tracking_events ORDER BY carrier, occurred_at";
        let t = common::rows(&common::sql(&ctx, q).await);
        let r = common::rows(&common::sql(&ctx, "SELECT reason, payload, store_id FROM rejected").await);
        (t, r)
    });
    let got: Vec<String> = tracking
        .iter()
        .map(|r| {
            format!(
                "{} {} {} {} {}",
                r["carrier"], r["tracking_number"], r["status"], r["raw_status"], r["cod_amount"]
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            "aramex 44625631390 info_received SH014 NULL",
            "aramex 44625631390 out_for_delivery SH003 NULL",
            "aramex 44625631390 delivered SH005 NULL",
            "dhl 1234567890 delivered Delivered NULL",
            "yalidine yal-123ABC delivered Livré 450000",
        ]
    );
    assert_eq!(rejected.len(), 1);
    assert!(
        rejected[0]["reason"].contains("\"Perdu en route\""),
        "{:?}",
        rejected[0]
    );
    let kept: Value = serde_json::from_str(&rejected[0]["payload"]).unwrap();
    assert_eq!(
        kept["tracking"], "yal-456DEF",
        "the carrier's own update is kept"
    );
}
