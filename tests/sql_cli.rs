//! Issue 5: `settle sql` for finance users: table, CSV and JSON output
//! (insta snapshots), Parquet files, -e/-f with several statements, the REPL's
//! commands on piped input, read-only refusals, and the documented report
//! views (schemas/reports.md) matching what the lake serves.

mod common;

use std::io::Write;
use std::process::{Command, Output, Stdio};

const OUTSTANDING: &str = "SELECT carrier, currency, ageing_bucket, orders, outstanding, \
     outstanding_display, overdue_orders FROM reports.outstanding_by_carrier \
     ORDER BY carrier, currency, bucket_order";

async fn lake() -> tempfile::TempDir {
    let history = common::history(150, 40, 11);
    let (dir, lake) = common::temp_lake();
    common::build_lake(&lake, &history, 500).await;
    dir
}

fn settle_sql(dir: &std::path::Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_settle"))
        .args(["sql", "--lake", dir.to_str().unwrap()])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).unwrap();
    }
    drop(input);
    child.wait_with_output().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn table_csv_and_json_output() {
    let dir = lake().await;
    for (format, name) in [
        ("table", "sql_outstanding_table"),
        ("csv", "sql_outstanding_csv"),
        ("json", "sql_outstanding_json"),
    ] {
        let out = settle_sql(dir.path(), &["--format", format, "-e", OUTSTANDING], None);
        insta::assert_snapshot!(name, common::stdout_of(out));
    }
    // Nulls, money in three exponents, timestamps and an empty result.
    let mixed = "SELECT order_id, currency, expected, format_money(expected, currency) AS shown, \
         carrier, delivered_at FROM reports.cod_reconciliation \
         WHERE order_id IN (SELECT MIN(order_id) FROM reports.cod_reconciliation GROUP BY currency) \
         ORDER BY currency; \
         SELECT order_id FROM reports.cod_reconciliation WHERE false";
    for (format, name) in [("table", "sql_mixed_table"), ("csv", "sql_mixed_csv")] {
        let out = settle_sql(dir.path(), &["--format", format, "-e", mixed], None);
        insta::assert_snapshot!(name, common::stdout_of(out));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_parquet_and_refusals() {
    let dir = lake().await;
    let script = dir.path().join("two.sql");
    std::fs::write(
        &script,
        "-- two statements\nSELECT COUNT(*) AS orders FROM reports.cod_reconciliation;\n\
         SELECT COUNT(*) AS events FROM raw.raw_events WHERE kind = 'order_change';\n",
    )
    .unwrap();
    let out = common::stdout_of(settle_sql(
        dir.path(),
        &["-f", script.to_str().unwrap(), "--format", "csv"],
        None,
    ));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0..2], ["orders", "150"], "{out}");
    assert_eq!(lines[2], "events", "{out}");
    assert!(lines[3].parse::<u64>().unwrap() >= 150, "{out}");

    let file = dir.path().join("outstanding.parquet");
    common::stdout_of(settle_sql(
        dir.path(),
        &[
            "--format",
            "parquet",
            "--output",
            file.to_str().unwrap(),
            "-e",
            OUTSTANDING,
        ],
        None,
    ));
    let ctx = datafusion::prelude::SessionContext::new();
    let df = ctx
        .read_parquet(file.to_str().unwrap(), Default::default())
        .await
        .unwrap();
    let from_file = df.count().await.unwrap();
    let csv = common::stdout_of(settle_sql(
        dir.path(),
        &["--format", "csv", "-e", OUTSTANDING],
        None,
    ));
    assert_eq!(from_file, csv.lines().count() - 1);
    assert!(from_file > 0);

    let no_file = settle_sql(dir.path(), &["--format", "parquet", "-e", "SELECT 1"], None);
    assert!(!no_file.status.success());
    assert!(String::from_utf8_lossy(&no_file.stderr).contains("--output FILE"));

    for (sql, what) in [
        (
            "DROP TABLE reports.cod_reconciliation",
            "DROP TABLE is refused",
        ),
        ("CREATE TABLE t AS SELECT 1", "CREATE TABLE is refused"),
        (
            "INSERT INTO lake.orders (order_id) VALUES ('x')",
            "INSERT is refused",
        ),
        (
            "COPY (SELECT 1) TO '/tmp/settle-cli-copy.csv'",
            "COPY is refused",
        ),
        (
            "CREATE EXTERNAL TABLE x STORED AS CSV LOCATION '/tmp'",
            "CREATE EXTERNAL TABLE is refused",
        ),
    ] {
        let out = settle_sql(dir.path(), &["-e", sql], None);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{sql} ran");
        assert!(
            err.contains(what) && err.contains("read-only"),
            "{sql}: {err}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repl_commands_on_piped_input() {
    let dir = lake().await;
    let session = "\\d\n\\d reports.cod_reconciliation\n\\d outstanding_by_carrier\n\
                   SELECT COUNT(*) AS orders\n  FROM reports.cod_reconciliation;\n\
                   \\timing\nSELECT 1 AS one;\n\\timing off\nDROP TABLE lake.orders;\n\
                   SELECT 2 AS two;\n\\nonsense\n\\q\nSELECT 3 AS never;\n";
    let out = settle_sql(dir.path(), &["--format", "csv"], Some(session));
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    // Two commands failed (the DROP and \nonsense): piped sessions exit 1.
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("DROP TABLE is refused"), "{stderr}");
    assert!(stderr.contains("invalid command \\nonsense"), "{stderr}");
    // Timings vary; check them, then snapshot the rest.
    let timed: Vec<&str> = stdout.lines().filter(|l| l.starts_with("Time: ")).collect();
    assert_eq!(timed.len(), 1, "{stdout}");
    assert!(timed[0].ends_with(" ms"), "{stdout}");
    let stable: Vec<&str> = stdout
        .lines()
        .filter(|l| !l.starts_with("Time: "))
        .collect();
    assert!(!stdout.contains("never"), "{stdout}");
    insta::assert_snapshot!("sql_repl_session", stable.join("\n"));
}

/// schemas/reports.md documents each report's columns; they must be exactly
/// what `reports.*` serves, in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documented_report_columns_match_the_lake() {
    let dir = lake().await;
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schemas/reports.md"))
        .unwrap();
    let mut documented: Vec<(String, Vec<String>)> = Vec::new();
    for line in doc.lines() {
        if let Some(name) = line.strip_prefix("## reports.") {
            documented.push((name.trim().to_string(), Vec::new()));
        } else if let Some((_, cols)) = documented.last_mut()
            && let Some(rest) = line.strip_prefix("| `")
            && let Some((col, _)) = rest.split_once('`')
        {
            cols.push(col.to_string());
        }
    }
    assert!(documented.len() >= 6, "{documented:?}");
    let listed = common::stdout_of(settle_sql(
        dir.path(),
        &[
            "--format",
            "csv",
            "-e",
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'reports' \
             ORDER BY table_name",
        ],
        None,
    ));
    let mut served: Vec<&str> = listed.lines().skip(1).collect();
    served.sort_unstable();
    let mut names: Vec<&str> = documented.iter().map(|(n, _)| n.as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, served, "documented reports vs served");
    for (name, cols) in &documented {
        let sql = format!(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'reports' \
             AND table_name = '{name}' ORDER BY ordinal_position"
        );
        let out = common::stdout_of(settle_sql(
            dir.path(),
            &["--format", "csv", "-e", &sql],
            None,
        ));
        let actual: Vec<&str> = out.lines().skip(1).collect();
        assert_eq!(&actual, cols, "reports.{name}");
    }
}

/// On a terminal the REPL is rustyline: prompts, continuation lines, and a
/// history file that keeps each entry.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn terminal_session_with_history() {
    let dir = lake().await;
    let history = dir.path().join("history");
    let out = Command::new("python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/peers/pty_session.py"
        ))
        .args([
            "settle[=-]> $",
            "--",
            env!("CARGO_BIN_EXE_settle"),
            "sql",
            "--lake",
        ])
        .arg(dir.path())
        .args([
            "--",
            "\\timing",
            "SELECT COUNT(*) AS orders",
            "FROM cod_reconciliation;",
            "\\q",
        ])
        .env("SETTLE_HISTORY", &history)
        .output()
        .unwrap();
    let screen = common::stdout_of(out);
    for want in [
        "settle=> \\timing",
        "Timing is on.",
        "settle-> FROM cod_reconciliation;",
        "| 150    |",
        "(1 row)",
        "Time: ",
    ] {
        assert!(
            screen.contains(want),
            "no {want:?} on the screen:\n{screen}"
        );
    }
    let kept = std::fs::read_to_string(&history).unwrap();
    assert!(
        kept.contains("SELECT COUNT(*) AS orders\\nFROM cod_reconciliation;"),
        "{kept}"
    );
}
