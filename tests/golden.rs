//! Must show 2: every `queries/*.sql` runs on a small fixture lake and matches
//! a checked-in expected output (tests/snapshots/). Rows are sorted so the
//! comparison does not depend on plan order.

mod common;

use settle::jobs::queries;
use settle::output::{Format, render};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_query_matches_its_expected_output() {
    let history = common::history(150, 40, 11);
    let (_dir, lake) = common::temp_lake();
    common::build_lake(&lake, &history, 500).await;
    let ctx = common::ctx(&lake).await;
    let mut checked = 0;
    for (name, sql) in queries::all() {
        let statements: Vec<&str> = if name == "demo/explore" {
            queries::lines(sql).collect()
        } else {
            vec![sql]
        };
        for (i, stmt) in statements.iter().enumerate() {
            if stmt.starts_with("SHOW") {
                continue;
            }
            let batches = common::sql(&ctx, stmt).await;
            let csv = render(&batches, Format::Csv).unwrap();
            let mut lines: Vec<&str> = csv.lines().collect();
            assert!(!lines.is_empty(), "{name} has a header");
            let header = lines.remove(0);
            lines.sort_unstable();
            let snapshot = format!("{header}\n{}\n", lines.join("\n"));
            let snap_name = format!(
                "{}{}",
                name.replace('/', "__"),
                if statements.len() > 1 {
                    format!("_{i}")
                } else {
                    String::new()
                }
            );
            insta::assert_snapshot!(snap_name, snapshot);
            checked += 1;
        }
    }
    assert!(checked >= 15, "only {checked} queries checked");
    // Every job output carries the store, like every event table.
    for job in settle::jobs::spec::all().unwrap() {
        let df = ctx.table(job.output.as_str()).await.unwrap();
        assert!(
            df.schema().has_column_with_unqualified_name("store_id"),
            "{} has no store_id",
            job.output
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_table_output_for_finance_users() {
    let history = common::history(150, 40, 11);
    let (dir, lake) = common::temp_lake();
    common::build_lake(&lake, &history, 500).await;
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_settle"))
        .args([
            "sql",
            "--lake",
            dir.path().to_str().unwrap(),
            "--",
            queries::get("demo/status_counts").unwrap(),
        ])
        .output()
        .unwrap();
    insta::assert_snapshot!("cli_status_counts", common::stdout_of(out));
}

/// Regression: `settle sql ... | head` panicked in println! once the reader left.
#[test]
fn regression_closed_stdout_is_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    // Far more than a pipe buffer, so the writer meets the closed pipe.
    let cmd = format!(
        "'{}' sql --lake '{}' --format csv 'SELECT * FROM generate_series(1, 200000)' | head -c1 >/dev/null",
        env!("CARGO_BIN_EXE_settle"),
        dir.path().display()
    );
    let out = std::process::Command::new("bash")
        .args(["-o", "pipefail", "-c", &cmd])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(out.status.success(), "exit {:?}: {stderr}", out.status);
}
