//! Must show 3: on a generated history of at least 5,000 orders,
//! cod_reconciliation matches the generator's ground truth for every order.

mod common;

use std::collections::{BTreeMap, HashMap};

use settle::generate::Planted;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconciliation_matches_ground_truth_for_every_order() {
    let history = common::history(6_000, 120, 2026);
    let (_dir, lake) = common::temp_lake();
    let drained = common::build_lake(&lake, &history, 5_000).await;
    let events: usize = history.events.values().map(Vec::len).sum();
    assert_eq!(
        drained.accepted as usize, events,
        "every generated event is accepted"
    );
    assert_eq!(drained.rejected, 0);

    let ctx = common::ctx(&lake).await;
    let got = common::rows(&common::sql(&ctx, "SELECT * FROM cod_reconciliation").await);
    assert_eq!(got.len(), history.truth.len(), "one row per order");
    let by_order: HashMap<_, _> = got
        .iter()
        .map(|r| ((r["store_id"].clone(), r["order_id"].clone()), r))
        .collect();

    let mut mismatches = Vec::new();
    let mut planted_seen: BTreeMap<&str, usize> = BTreeMap::new();
    for t in &history.truth {
        let row = by_order
            .get(&(t.store_id.clone(), t.order_id.clone()))
            .unwrap_or_else(|| panic!("order {} missing from cod_reconciliation", t.order_id));
        let want = [
            ("status", t.status.clone()),
            ("expected", t.expected.to_string()),
            ("settled", t.settled.to_string()),
            ("outstanding", t.outstanding.to_string()),
            ("exception", t.exception.to_string()),
            ("excess", t.excess.to_string()),
            ("currency", t.currency.clone()),
            ("payment_method", t.payment_method.clone()),
        ];
        for (col, v) in want {
            if row[col] != v {
                mismatches.push(format!(
                    "{} {col}: got {} want {v} (truth {t:?})",
                    t.order_id, row[col]
                ));
            }
        }
        match &t.planted {
            Some(p) => {
                let kind = Planted::ALL.iter().find(|k| k.name() == p).unwrap();
                assert_eq!(
                    row["status"],
                    kind.status(),
                    "planted {p} on {} not detected",
                    t.order_id
                );
                *planted_seen.entry(kind.name()).or_default() += 1;
            }
            None => {
                let flagged = [
                    "short_remitted",
                    "over_remitted",
                    "fee_mismatch",
                    "remitted_but_returned",
                    "refunded_but_remitted",
                    "duplicate_payment",
                    "currency_mismatch",
                    "overdue",
                    "refund_due",
                ];
                assert!(
                    !flagged.contains(&row["status"].as_str()),
                    "clean order {} flagged {}",
                    t.order_id,
                    row["status"]
                );
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} mismatches, first: {:#?}",
        mismatches.len(),
        &mismatches[..mismatches.len().min(10)]
    );
    for k in Planted::ALL {
        assert!(
            planted_seen.get(k.name()).copied().unwrap_or(0) >= 3,
            "fewer than 3 {} planted: {planted_seen:?}",
            k.name()
        );
    }

    // Per currency: sum expected = sum settled + sum outstanding + sum exceptions, exactly,
    // both in the job output and in the ground truth, and the two agree.
    let sums = common::rows(
        &common::sql(
            &ctx,
            "SELECT currency, SUM(expected) AS e, SUM(settled) AS s, SUM(outstanding) AS o, SUM(exception) AS x \
             FROM cod_reconciliation GROUP BY currency ORDER BY currency",
        )
        .await,
    );
    let mut truth_sums: BTreeMap<&str, [i64; 4]> = BTreeMap::new();
    for t in &history.truth {
        let s = truth_sums.entry(&t.currency).or_default();
        s[0] += t.expected;
        s[1] += t.settled;
        s[2] += t.outstanding;
        s[3] += t.exception;
    }
    assert_eq!(sums.len(), truth_sums.len());
    for r in &sums {
        let [e, s, o, x] = ["e", "s", "o", "x"].map(|c| r[c].parse::<i64>().unwrap());
        assert_eq!(e, s + o + x, "identity for {}", r["currency"]);
        assert_eq!(
            [e, s, o, x],
            truth_sums[r["currency"].as_str()],
            "sums for {}",
            r["currency"]
        );
        assert!(x > 0, "{} has exceptions", r["currency"]);
    }
    let currencies: Vec<_> = truth_sums.keys().copied().collect();
    assert_eq!(currencies, ["JPY", "KWD", "MAD", "SAR"]);
}

#[test]
fn the_generator_is_deterministic_per_seed_and_realistic() {
    let a = common::history(1_500, 60, 7);
    let b = common::history(1_500, 60, 7);
    assert_eq!(a.events, b.events);
    assert_eq!(a.truth, b.truth);
    let c = common::history(1_500, 60, 8);
    assert_ne!(a.events, c.events);

    let cod =
        a.truth.iter().filter(|t| t.payment_method == "cod").count() as f64 / a.truth.len() as f64;
    assert!((0.52..0.68).contains(&cod), "COD share {cod}");
    // RTO among shipped COD orders, from tracking events.
    let tracking = &a.events[&settle::events::Kind::Tracking];
    let cod_parcels = |status: Option<&str>| -> std::collections::HashSet<String> {
        tracking
            .iter()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .filter(|v| v["cod_amount"].is_string() && status.is_none_or(|s| v["status"] == s))
            .map(|v| v["tracking_number"].as_str().unwrap().to_string())
            .collect()
    };
    let rate =
        cod_parcels(Some("returned_to_origin")).len() as f64 / cod_parcels(None).len() as f64;
    assert!((0.18..0.36).contains(&rate), "COD RTO rate {rate}");
    // 6-12 tracking updates per delivered or returned shipment.
    let mut per: HashMap<String, usize> = HashMap::new();
    let mut done = std::collections::HashSet::new();
    for l in tracking {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        let tn = v["tracking_number"].as_str().unwrap().to_string();
        if matches!(
            v["status"].as_str(),
            Some("delivered" | "returned_to_origin")
        ) {
            done.insert(tn.clone());
        }
        *per.entry(tn).or_default() += 1;
    }
    for tn in &done {
        assert!((6..=12).contains(&per[tn]), "{tn} has {} updates", per[tn]);
    }
}
