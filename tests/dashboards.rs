//! Dashboards over a demo-sized lake: every shipped dashboard renders as one
//! self-contained HTML file, every panel has data, and filters change it.

mod common;

use std::process::Command;

fn render(lake: &std::path::Path, name: &str, out: &std::path::Path, extra: &[&str]) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_settle"))
        .args(["dashboards", "render", name, "--out", out.to_str().unwrap()])
        .args(["--lake", lake.to_str().unwrap()])
        .args(extra)
        .output()
        .unwrap();
    common::stdout_of(o);
    std::fs::read_to_string(out).unwrap()
}

/// `data-rows="N"` of every panel, in order.
fn panel_rows(html: &str) -> Vec<usize> {
    html.split("data-rows=\"")
        .skip(1)
        .map(|s| s.split('"').next().unwrap().parse().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_shipped_dashboard_renders_with_data_and_filters_change_it() {
    let history = common::history(400, 40, 17);
    let (dir, lake) = common::temp_lake();
    common::build_lake(&lake, &history, 1_000).await;
    let jobs = settle::jobs::spec::all().unwrap();
    settle::jobs::run::run(&lake, &jobs, &Default::default())
        .await
        .unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    for d in settle::dashboards::all().unwrap() {
        let file = out.join(format!("{}.html", d.name));
        let html = render(dir.path(), &d.name, &file, &["--from", "2000-01-01"]);
        assert!(html.starts_with("<!doctype html>"), "{}", d.name);
        // Self-contained: nothing is fetched.
        for fetch in ["<script", "src=\"http", "href=\"http", "@import", "url("] {
            assert!(!html.contains(fetch), "{} fetches: {fetch}", d.name);
        }
        let rows = panel_rows(&html);
        assert_eq!(rows.len(), d.panels.len(), "{}", d.name);
        for (p, n) in d.panels.iter().zip(&rows) {
            assert!(*n > 0, "{} / {} has no data", d.name, p.title);
        }
        let charts = d
            .panels
            .iter()
            .filter(|p| {
                !matches!(
                    p.chart,
                    settle::dashboards::Chart::Table | settle::dashboards::Chart::Number
                )
            })
            .count();
        // At least one chart per chart panel (split panels draw one per currency).
        assert!(
            html.matches("<svg class=\"chart\"").count() >= charts,
            "{}",
            d.name
        );
        assert!(!html.contains("class=\"error\""), "{}", d.name);
    }
    // Exact money in the revenue table: format_money's text, per currency.
    let revenue = std::fs::read_to_string(out.join("revenue.html")).unwrap();
    assert!(
        revenue.contains("<td>KWD</td>"),
        "a 3-decimal currency is shown"
    );

    // A filter changes what the charts show.
    let all = std::fs::read_to_string(out.join("delivery.html")).unwrap();
    let carrier = history
        .events
        .get(&settle::events::Kind::Tracking)
        .and_then(|t| t.first())
        .map(|line| {
            serde_json::from_str::<serde_json::Value>(line).unwrap()["carrier"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .unwrap();
    let one = render(
        dir.path(),
        "delivery",
        &out.join("one.html"),
        &["--from", "2000-01-01", "--carrier", &carrier],
    );
    let (a, b) = (panel_rows(&all), panel_rows(&one));
    assert!(
        b[0] > 0 && b[0] < a[0],
        "one carrier has fewer delivery points: {a:?} vs {b:?}"
    );
    assert!(one.contains(&format!("carrier {carrier}")));
    let none = render(
        dir.path(),
        "delivery",
        &out.join("none.html"),
        &["--from", "2000-01-01", "--store", "no-such-store"],
    );
    assert_eq!(panel_rows(&none), vec![0, 0]);
    assert!(none.contains("No data for these filters."));
}

fn get(server: &common::http::Server, path: &str) -> common::http::Reply {
    common::http::request(&server.addr(), "GET", path, &[], b"").unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn served_pages_have_filters_csv_downloads_and_alert_markers() {
    let history = common::history(400, 40, 17);
    let (dir, lake) = common::temp_lake();
    common::build_lake(&lake, &history, 1_000).await;
    let end = common::dashboards::newest_day(&lake).await;
    let ctx = settle::sql::open(&lake, None, None).await.unwrap();
    let store = common::rows(
        &common::sql(&ctx, "SELECT MIN(store_id) AS s FROM lake.orders").await,
    )[0]["s"]
        .clone();
    let (fired, resolved) = common::dashboards::plant_payment_alert(&lake, &store, end).await;
    let server =
        common::dashboards::serve(dir.path(), &[("SETTLE__DASHBOARDS__REFRESH_SECS", "45")]);

    // The index links every dashboard.
    let index = get(&server, "/dashboards");
    assert_eq!(index.status, 200);
    for d in settle::dashboards::all().unwrap() {
        assert!(
            index
                .body
                .contains(&format!("href=\"/dashboards/{}\"", d.name))
        );
    }
    assert_eq!(get(&server, "/").header("location"), Some("/dashboards"));

    // A page: no fetch allowed, reloads itself, a form with the lake's choices.
    let page = get(&server, "/dashboards/payments");
    assert_eq!(page.status, 200, "{}", page.body);
    let csp = page.header("content-security-policy").unwrap();
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert!(
        page.body
            .contains("<meta http-equiv=\"refresh\" content=\"45\">")
    );
    assert!(page.body.contains(&format!("<option>{store}</option>")));
    assert!(
        page.body.contains(&format!("value=\"{end}\"")),
        "to defaults to the newest day"
    );
    // Markers where the alert fired and resolved, with its message.
    let day = |s: i64| {
        chrono::DateTime::from_timestamp(s, 0)
            .unwrap()
            .format("%Y-%m-%d %H:%M UTC")
            .to_string()
    };
    assert_eq!(
        page.body
            .matches("class=\"alert-marker\" data-change=\"firing\"")
            .count(),
        1
    );
    assert_eq!(
        page.body
            .matches("class=\"alert-marker\" data-change=\"resolved\"")
            .count(),
        1
    );
    assert!(
        page.body
            .contains(&format!("{} firing · {store}: payment success", day(fired))),
        "{}",
        page.body
    );
    assert!(page.body.contains(&format!("{} resolved", day(resolved))));
    // A period without the alert has no markers.
    let before = get(
        &server,
        &format!("/dashboards/payments?to={}", end - chrono::Days::new(5)),
    );
    assert!(!before.body.contains("alert-marker"));
    assert!(before.body.contains("<svg class=\"chart\""));

    // CSV per panel, with the page's filters: money exact in major units.
    // (A new session: planting the alert re-ran the jobs, which replaced files.)
    let ctx = settle::sql::open(&lake, None, None).await.unwrap();
    let csv = get(
        &server,
        "/dashboards/revenue/csv/2?from=2000-01-01&currency=kwd",
    );
    assert_eq!(csv.status, 200);
    assert!(
        csv.header("content-disposition")
            .unwrap()
            .contains(&format!("revenue-net-revenue-by-day-2000-01-01-{end}.csv"))
    );
    let expected = common::rows(
        &common::sql(
            &ctx,
            &format!(
                "SELECT CAST(day AS VARCHAR) AS day, format_money(SUM(net), 'KWD') AS net \
                 FROM reports.revenue_daily WHERE currency = 'KWD' AND day <= DATE '{end}' \
                 GROUP BY day ORDER BY day"
            ),
        )
        .await,
    );
    let mut lines = csv.body.lines();
    assert_eq!(lines.next(), Some("day,currency,net"));
    let got: Vec<&str> = lines.collect();
    assert_eq!(got.len(), expected.len());
    for (line, want) in got.iter().zip(&expected) {
        assert_eq!(*line, format!("{},KWD,{}", want["day"], want["net"]));
        assert_eq!(
            want["net"].split('.').nth(1).map(str::len),
            Some(3),
            "3 decimals"
        );
    }

    // Bad requests say what was wrong.
    let missing = get(&server, "/dashboards/nope");
    assert_eq!(missing.status, 404);
    assert!(
        missing.body.contains("no dashboard &quot;nope&quot;"),
        "{}",
        missing.body
    );
    let bad = get(&server, "/dashboards/payments?from=5%2F6%2F2026");
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("YYYY-MM-DD"), "{}", bad.body);
    let backwards = get(
        &server,
        "/dashboards/payments?from=2026-02-01&to=2026-01-01",
    );
    assert_eq!(backwards.status, 400);
    assert_eq!(get(&server, "/dashboards/revenue/csv/9").status, 404);
    drop(server);

    // With users configured (the Postgres endpoint's), every route asks for one.
    let guarded = common::dashboards::serve(dir.path(), &[("SETTLE__SQL__USERS__FINANCE", "pw-1")]);
    for path in [
        "/dashboards",
        "/dashboards/payments",
        "/dashboards/revenue/csv/1",
    ] {
        let r = get(&guarded, path);
        assert_eq!(r.status, 401, "{path}");
        assert!(r.header("www-authenticate").unwrap().starts_with("Basic"));
    }
    let basic = |user_pw: &str| {
        use base64::Engine as _;
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(user_pw)
        )
    };
    let with = |auth: &str| {
        common::http::request(
            &guarded.addr(),
            "GET",
            "/dashboards/payments",
            &[("Authorization", auth)],
            b"",
        )
        .unwrap()
        .status
    };
    assert_eq!(with(&basic("finance:wrong")), 401);
    assert_eq!(with(&basic("nobody:pw-1")), 401);
    assert_eq!(with(&basic("finance:pw-1")), 200);
}
