//! Dashboard tests' helpers: a payment-success alert planted in a lake (so
//! the payments chart has markers) and `settle serve` with only the
//! dashboards on.

use std::collections::BTreeMap;

use settle::alerts::channels::ChannelSettings;
use settle::alerts::state::Change;
use settle::events::Kind;
use settle::generate::History;
use settle::generate::traffic::{Incident, Traffic, payment_traffic};
use settle::lake::Lake;
use settle::sources::secret::Secret;

use super::http::{Server, settle_serve};
use super::recorder::Recorder;

const HOUR: i64 = 3600;

/// Ten days of `store`'s card payments ending the day before `end`, with a
/// one-hour collapse on the ninth day at 14:00 UTC; then the
/// payment-success rule evaluated hourly around it, so `alert_events` has
/// its firing and its resolve. Returns (firing, resolved) times, Unix s.
pub async fn plant_payment_alert(lake: &Lake, store: &str, end: chrono::NaiveDate) -> (i64, i64) {
    let start = (end - chrono::Days::new(10))
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc()
        .timestamp();
    let drop_at = start + (8 * 24 + 14) * HOUR;
    let lines = payment_traffic(&Traffic {
        store_id: store.to_string(),
        start,
        days: 10,
        per_hour: 40,
        success: 0.93,
        incidents: vec![Incident {
            start: drop_at,
            seconds: HOUR,
            success: 0.3,
        }],
        seed: 11,
    });
    let history = History {
        events: BTreeMap::from([(Kind::Stripe, lines)]),
        truth: Vec::new(),
        as_of: start + 10 * 24 * HOUR,
    };
    super::build_lake(lake, &history, 100_000).await;
    let rule = settle::alerts::rules::select(&["payment_success_drop".into()]).unwrap();
    let recorder = Recorder::start().await;
    let channels = BTreeMap::from([(
        "default".to_string(),
        ChannelSettings::Webhook {
            url: format!("{}/hooks", recorder.base),
            secret: Secret::new("whsec_dashboards"),
        },
    )]);
    let ctx = settle::sql::open(lake, None, None).await.unwrap();
    let (mut fired, mut resolved) = (None, None);
    for h in 8 * 24 + 10..9 * 24 {
        let at = start + h * HOUR;
        let runs = settle::alerts::evaluate::evaluate(&ctx, lake, &rule, &channels, at * 1_000_000)
            .await
            .unwrap();
        for (_, change) in runs.iter().flat_map(|r| &r.changes) {
            match change {
                Change::Firing => fired = fired.or(Some(at)),
                Change::Resolved => resolved = resolved.or(Some(at)),
                _ => {}
            }
        }
    }
    (
        fired.expect("the planted drop fires the payment-success rule"),
        resolved.expect("and resolves"),
    )
}

/// `settle serve` with only the dashboards (no bus, no schedules, alerts or
/// triggers) over the lake in `dir`, with extra `SETTLE__…` settings.
pub fn serve(dir: &std::path::Path, env: &[(&str, &str)]) -> Server {
    let mut all = vec![
        ("SETTLE__ALERTS__ENABLED", "false"),
        ("SETTLE__TRIGGERS__ENABLED", "false"),
    ];
    all.extend_from_slice(env);
    settle_serve(dir, "--listen", "dashboards", &all)
}

/// The newest order day in the lake.
pub async fn newest_day(lake: &Lake) -> chrono::NaiveDate {
    let ctx = settle::sql::open(lake, None, None).await.unwrap();
    settle::dashboards::controls::newest_day(&ctx).await
}
