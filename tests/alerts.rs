//! Issue 6, alert rules: a planted one-hour payment-success drop fires once,
//! right after its hour, and resolves the hour after; 30 clean days never
//! fire; a restart neither re-sends nor forgets; an undelivered notification
//! waits in the outbox for the next evaluation; every shipped rule runs.

mod common;

use std::collections::BTreeMap;

use common::recorder::Recorder;
use settle::alerts::channels::{ChannelSettings, Channels};
use settle::alerts::evaluate::{RuleRun, evaluate};
use settle::alerts::rules;
use settle::alerts::state::Change;
use settle::events::Kind;
use settle::generate::History;
use settle::generate::traffic::{Incident, Traffic, payment_traffic};
use settle::lake::Lake;
use settle::sources::secret::Secret;
use settle::sources::stripe::signature::Verifier;

const HOUR_US: i64 = 3_600_000_000;
/// 2026-06-01T00:00:00Z.
const START: i64 = 1_780_272_000;
const SECRET: &str = "whsec_alerts_test";

fn traffic(days: i64, incidents: Vec<Incident>) -> Vec<String> {
    payment_traffic(&Traffic {
        store_id: "acme".into(),
        start: START,
        days,
        per_hour: 40,
        success: 0.93,
        incidents,
        seed: 7,
    })
}

async fn lake_of(lines: Vec<String>) -> (tempfile::TempDir, Lake) {
    let history = History {
        events: BTreeMap::from([(Kind::Stripe, lines)]),
        truth: Vec::new(),
        as_of: START,
    };
    let (dir, lake) = common::temp_lake();
    common::build_lake(&lake, &history, 100_000).await;
    (dir, lake)
}

fn webhook(recorder: &Recorder) -> Channels {
    BTreeMap::from([(
        "default".to_string(),
        ChannelSettings::Webhook {
            url: format!("{}/hooks/settle", recorder.base),
            secret: Secret::new(SECRET),
        },
    )])
}

fn notified(runs: &[RuleRun]) -> Vec<Change> {
    runs.iter()
        .flat_map(|r| r.changes.iter().map(|(_, c)| *c))
        .filter(|c| c.notifies())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_planted_drop_fires_once_and_resolves_and_clean_days_never_fire() {
    let drop_at = START + (20 * 24 + 14) * 3600;
    let (_dir, lake) = lake_of(traffic(
        30,
        vec![Incident {
            start: drop_at,
            seconds: 3600,
            success: 0.35,
        }],
    ))
    .await;
    let rule = rules::select(&["payment_success_drop".into()]).unwrap();
    let recorder = Recorder::start().await;
    let channels = webhook(&recorder);
    let mut ctx = settle::sql::open(&lake, None, None).await.unwrap();
    let mut fired = Vec::new();
    // Hourly evaluations from day 18 to day 23.
    for h in 18 * 24..23 * 24 {
        let at = (START + h * 3600) * 1_000_000;
        if h == 20 * 24 + 15 {
            // The moment it fired: a restart must not send it again.
            let runs = evaluate(&ctx, &lake, &rule, &channels, at).await.unwrap();
            fired.extend(notified(&runs).into_iter().map(|c| (h, c)));
            ctx = settle::sql::open(&lake, None, None).await.unwrap();
        }
        let runs = evaluate(&ctx, &lake, &rule, &channels, at).await.unwrap();
        assert!(runs[0].error.is_none(), "{:?}", runs[0].error);
        fired.extend(notified(&runs).into_iter().map(|c| (h, c)));
    }
    let window_end = 20 * 24 + 15;
    assert_eq!(
        fired,
        [
            (window_end, Change::Firing),
            (window_end + 1, Change::Resolved)
        ],
        "one firing right after the drop's hour, resolved the hour after"
    );
    let got = recorder.received();
    assert_eq!(got.len(), 2, "{got:?}");
    let verifier = Verifier::new(vec![Secret::new(SECRET)], 300);
    for (r, state) in got.iter().zip(["firing", "resolved"]) {
        let sig = r
            .headers
            .get("settle-signature")
            .and_then(|v| v.to_str().ok());
        verifier
            .verify(sig, r.body.as_bytes(), chrono::Utc::now().timestamp())
            .expect("the webhook is signed with the channel's secret");
        let n = r.json();
        assert_eq!(n["state"], state);
        assert_eq!(n["labels"]["store_id"], "acme");
        assert_eq!(n["labels"]["severity"], "critical");
        assert!(
            n["message"]
                .as_str()
                .unwrap()
                .contains("acme: payment success"),
            "{n}"
        );
    }
    // Every transition is in the lake, for dashboards.
    let ctx = settle::sql::open(&lake, None, None).await.unwrap();
    let rows = common::rows(
        &common::sql(
            &ctx,
            "SELECT change, COUNT(*) AS n FROM lake.alert_events GROUP BY change ORDER BY change",
        )
        .await,
    );
    let counts: Vec<(String, String)> = rows
        .into_iter()
        .map(|r| (r["change"].clone(), r["n"].clone()))
        .collect();
    assert_eq!(
        counts,
        [
            ("firing".into(), "1".into()),
            ("resolved".into(), "1".into())
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_clean_days_never_fire() {
    let (_dir, lake) = lake_of(traffic(30, Vec::new())).await;
    let rule = rules::select(&["payment_success_drop".into()]).unwrap();
    let recorder = Recorder::start().await;
    let channels = webhook(&recorder);
    let ctx = settle::sql::open(&lake, None, None).await.unwrap();
    let mut evaluated = 0;
    let mut groups = 0;
    for h in 1..30 * 24 {
        let at = (START + h * 3600) * 1_000_000;
        let runs = evaluate(&ctx, &lake, &rule, &channels, at).await.unwrap();
        assert!(
            notified(&runs).is_empty(),
            "fired at hour {h}: {:?}",
            runs[0].changes
        );
        groups += runs[0].rows;
        evaluated += 1;
    }
    assert_eq!(evaluated, 719);
    // From day 8 on, every hour had a row to judge (the first 7 lack a baseline).
    assert!(groups >= 22 * 24, "only {groups} rows judged");
    assert!(recorder.received().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undelivered_alert_waits_for_the_next_evaluation() {
    let (_dir, lake) = lake_of(traffic(1, Vec::new())).await;
    // Any failed payment in the last day fires; repeats only after 4 hours.
    let text = rules::RULES
        .iter()
        .find(|(n, _)| *n == "failed_payment_burst")
        .unwrap()
        .1
        .replace("threshold = 15", "threshold = 0")
        .replace("window = \"10m\"", "window = \"1d\"")
        .replace("repeat_interval = \"1h\"", "repeat_interval = \"4h\"");
    let rule = vec![rules::parse("failed_payment_burst", &text).unwrap()];
    let recorder = Recorder::start().await;
    let channels = webhook(&recorder);
    // The endpoint fails every attempt of the first evaluation.
    recorder.answer(&[500, 502, 503]);
    let ctx = settle::sql::open(&lake, None, None).await.unwrap();
    let at = (START + 24 * 3600) * 1_000_000;
    let first = evaluate(&ctx, &lake, &rule, &channels, at).await.unwrap();
    assert_eq!(notified(&first), [Change::Firing]);
    assert_eq!(first[0].sent, 0);
    assert_eq!(first[0].failed.len(), 1, "{:?}", first[0].failed);
    assert_eq!(recorder.received().len(), 3, "three attempts with backoff");
    // Ten minutes later: nothing new to say, but the outbox is delivered.
    let second = evaluate(&ctx, &lake, &rule, &channels, at + HOUR_US / 6)
        .await
        .unwrap();
    assert!(notified(&second).is_empty());
    assert_eq!(second[0].sent, 1);
    let got = recorder.received();
    assert_eq!(got.len(), 4);
    assert_eq!(got[3].json()["state"], "firing");
    assert_eq!(got[3].json()["at_us"], at);
    let third = evaluate(&ctx, &lake, &rule, &channels, at + HOUR_US / 3)
        .await
        .unwrap();
    assert_eq!(third[0].sent, 0);
    assert_eq!(recorder.received().len(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_shipped_rule_runs_on_the_demo_lake() {
    let history = common::history(150, 40, 11);
    let (_dir, lake) = common::temp_lake();
    common::build_lake(&lake, &history, 500).await;
    let rules = rules::all().unwrap();
    let ctx = settle::sql::open(&lake, None, None).await.unwrap();
    let at = history.as_of * 1_000_000;
    // No channel configured: nothing is sent, and nothing fails loudly.
    let runs = evaluate(&ctx, &lake, &rules, &BTreeMap::new(), at)
        .await
        .unwrap();
    assert_eq!(runs.len(), rules.len());
    for r in &runs {
        assert!(r.error.is_none(), "{}: {:?}", r.rule, r.error);
    }
    // The generated history has overdue COD remittances: that rule fires.
    let overdue = runs
        .iter()
        .find(|r| r.rule == "cod_remittance_overdue")
        .unwrap();
    assert!(overdue.rows > 0);
    assert!(
        overdue.changes.iter().any(|(_, c)| *c == Change::Firing),
        "{overdue:?}"
    );
    assert!(overdue.failed.iter().all(|f| f.contains("not configured")));
    // The amount shown in the message is not part of the group: a changing
    // amount must not resolve one group and fire another.
    assert!(
        overdue.changes.iter().all(|(k, _)| !k.contains("info_")),
        "{overdue:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settle_alerts_list_and_run_from_the_command_line() {
    let history = common::history(150, 40, 11);
    let (dir, lake) = common::temp_lake();
    common::build_lake(&lake, &history, 500).await;
    let settle = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_settle"))
            .args(["--lake", dir.path().to_str().unwrap()])
            .args(args)
            .output()
            .unwrap()
    };
    let listed = common::stdout_of(settle(&["alerts", "list"]));
    for r in rules::all().unwrap() {
        assert!(listed.contains(&r.name), "{listed}");
    }
    let at = chrono::DateTime::from_timestamp(history.as_of, 0)
        .unwrap()
        .to_rfc3339();
    let out = common::stdout_of(settle(&[
        "alerts",
        "run",
        "cod_remittance_overdue",
        "--at",
        &at,
    ]));
    assert!(
        out.contains("cod_remittance_overdue") && out.contains("firing"),
        "{out}"
    );
    assert!(out.contains("not configured"), "{out}");
    // Run again at the same time: already firing, nothing new.
    let again = common::stdout_of(settle(&[
        "alerts",
        "run",
        "cod_remittance_overdue",
        "--at",
        &at,
    ]));
    assert!(again.contains("no change"), "{again}");
}
