//! Issue 8 in a real browser: every shipped dashboard, served by `settle
//! serve` over a `settle demo` lake, loads in Debian's headless Chromium
//! (driven by Playwright, tests/peers/dashboards_browser.py) with no console
//! error and no request leaving 127.0.0.1; every panel has data; choosing a
//! filter and pressing Apply changes the charts; each panel's CSV link
//! downloads; the payments chart shows the planted alert; pages reload
//! themselves. Screenshots are kept in
//! `$CARGO_TARGET_DIR/test-artifacts/dashboards/` (or `target/…`).

mod common;

use std::path::PathBuf;
use std::process::Command;

use serde_json::{Value, json};

fn artifacts() -> PathBuf {
    let target = std::env::var("CARGO_TARGET_DIR")
        .unwrap_or_else(|_| format!("{}/target", env!("CARGO_MANIFEST_DIR")));
    let dir = PathBuf::from(target).join("test-artifacts/dashboards");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn chromium() -> String {
    let path = std::env::var("SETTLE_TEST_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        std::path::Path::new(&path).exists(),
        "{path} is missing: install Debian's chromium (`apt-get install chromium`; .ci/run does) \
         or point SETTLE_TEST_CHROMIUM at one"
    );
    path
}

/// The first value of `kind` the filter form offers, and a panel to watch.
fn option(ctx_rows: &[std::collections::BTreeMap<String, String>], kind: &str) -> String {
    ctx_rows
        .iter()
        .find(|r| r["kind"] == kind)
        .map(|r| r["value"].clone())
        .unwrap_or_else(|| panic!("the demo lake has no {kind}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_dashboard_loads_in_headless_chromium_and_filters_change_it() {
    let chromium = chromium();
    let dir = tempfile::tempdir().unwrap();
    let lake_dir = dir.path().to_str().unwrap();
    let demo = Command::new(env!("CARGO_BIN_EXE_settle"))
        .args(["demo", "--orders", "5000", "--days", "60", "--quiet"])
        .args(["--lake", lake_dir])
        .output()
        .unwrap();
    common::stdout_of(demo);
    let lake = settle::lake::Lake::open(lake_dir).unwrap();
    let ctx = settle::sql::open(&lake, None, None).await.unwrap();
    let sql = settle::dashboards::query("filter_options").unwrap();
    let choices = common::rows(&common::sql(&ctx, sql).await);
    let (store, carrier) = (option(&choices, "store"), option(&choices, "carrier"));
    let end = common::dashboards::newest_day(&lake).await;
    common::dashboards::plant_payment_alert(&lake, &store, end).await;

    let server = common::dashboards::serve(dir.path(), &[]);
    let reloading =
        common::dashboards::serve(dir.path(), &[("SETTLE__DASHBOARDS__REFRESH_SECS", "1")]);
    let out = artifacts();
    // Per dashboard, the filter to change: one each panel's query reads.
    let filters = [
        ("cod_cash", "carrier", carrier.clone()),
        ("delivery", "carrier", carrier.clone()),
        ("refunds", "store", store.clone()),
        ("payments", "store", store.clone()),
        ("revenue", "currency", "KWD".to_string()),
    ];
    let shipped: Vec<String> = settle::dashboards::all()
        .unwrap()
        .into_iter()
        .map(|d| d.name)
        .collect();
    assert_eq!(
        shipped,
        filters.iter().map(|f| f.0.to_string()).collect::<Vec<_>>()
    );
    let spec = json!({
        "base": format!("http://{}", server.addr()),
        "out": out,
        "chromium": chromium,
        "dashboards": filters.iter().map(|(n, f, v)| json!({"name": n, "filter": f, "value": v})).collect::<Vec<_>>(),
        "refresh_url": format!("http://{}/dashboards/revenue", reloading.addr()),
    });
    let spec_file = dir.path().join("browser.json");
    std::fs::write(&spec_file, spec.to_string()).unwrap();
    let seen: Value = serde_json::from_str(&common::python(
        "dashboards_browser.py",
        &[spec_file.to_str().unwrap()],
    ))
    .unwrap();

    for (d, (name, filter, value)) in seen["dashboards"].as_array().unwrap().iter().zip(&filters) {
        assert_eq!(d["status"], 200, "{name}");
        let errors: Vec<&Value> = d["console"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["type"] == "error" || m["type"] == "warning")
            .collect();
        assert!(errors.is_empty(), "{name}: console {errors:?}");
        assert_eq!(d["page_errors"], json!([]), "{name}");
        assert_eq!(d["failed"], json!([]), "{name}: failed requests");
        assert_eq!(d["outside"], json!([]), "{name}: requests off the machine");
        assert!(d["csp"].as_str().unwrap().contains("default-src 'none'"));
        let before = d["panels"].as_array().unwrap();
        for p in before {
            assert!(p["rows"].as_u64().unwrap() > 0, "{name}: {p}");
            assert!(p["error"].is_null(), "{name}: {p}");
            let drawn = p["marks"].as_u64().unwrap()
                + p["table_rows"].as_u64().unwrap()
                + u64::from(p["number"].is_string());
            assert!(drawn > 0, "{name}: a panel with nothing drawn: {p}");
            assert!(p["visible_width"].as_f64().unwrap() > 300.0, "{name}: {p}");
        }
        // The filter took: the URL, the form and the charts changed.
        assert_eq!(d["selected"], json!(value), "{name}");
        assert!(
            d["filtered_url"]
                .as_str()
                .unwrap()
                .contains(&format!("{filter}={value}")),
            "{name}: {}",
            d["filtered_url"]
        );
        let after = d["filtered_panels"].as_array().unwrap();
        assert!(
            before
                .iter()
                .zip(after)
                .any(|(a, b)| a["fingerprint"] != b["fingerprint"] || a["rows"] != b["rows"]),
            "{name}: choosing {filter}={value} changed no chart"
        );
        // The first panel's CSV, named for the dashboard and its filters.
        let csv = d["csv"].as_str().unwrap();
        assert!(
            d["csv_name"]
                .as_str()
                .unwrap()
                .starts_with(&format!("{name}-"))
        );
        assert!(csv.lines().count() > 1, "{name}: {csv}");
        for shot in [format!("{name}.png"), format!("{name}-filtered.png")] {
            let len = std::fs::metadata(out.join(&shot)).unwrap().len();
            assert!(len > 10_000, "{shot}: {len} bytes");
        }
    }
    // The planted alert, on the payment-success chart.
    let payments = &seen["dashboards"][3]["panels"][1];
    assert_eq!(payments["alert_markers"], json!(["firing", "resolved"]));
    // Pages reload themselves every refresh_secs (1 s here): 3.5 s, >= 3 loads.
    assert!(
        seen["refresh_loads"].as_u64().unwrap() >= 3,
        "{}",
        seen["refresh_loads"]
    );
    println!("screenshots: {}", out.display());
}
