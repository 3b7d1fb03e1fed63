//! Issue 5: the lake over the Postgres wire protocol (`settle serve
//! --pg-listen`) with the real psql client and tokio-postgres: catalog
//! commands, a join and an aggregate equal to `settle sql`, prepared
//! statements with parameters, refusals (auth, writes, time and memory
//! limits), 20
//! concurrent clients, TLS, and what BI tools send on connect.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::pg::{self, PASSWORD, psql, psql_ok};

const JOIN: &str = "SELECT o.currency, r.status, COUNT(*) AS orders, SUM(r.expected) AS expected, \
     SUM(r.settled) AS settled \
     FROM lake.order_state o JOIN reports.cod_reconciliation r \
     ON r.store_id = o.store_id AND r.order_id = o.order_id \
     GROUP BY o.currency, r.status ORDER BY o.currency, r.status";

const SUMMARY: &str = "SELECT currency, status, COUNT(*) AS orders, SUM(expected) AS expected, \
     SUM(settled) AS settled, SUM(outstanding) AS outstanding, SUM(exception) AS exception \
     FROM reports.cod_reconciliation GROUP BY currency, status ORDER BY currency, status";

/// A lake with every job's output, in a folder the server is started on.
async fn lake() -> tempfile::TempDir {
    let history = common::history(150, 40, 11);
    let (dir, lake) = common::temp_lake();
    common::build_lake(&lake, &history, 500).await;
    dir
}

/// SUMMARY's rows as `settle sql --format csv` prints them.
fn summary_csv(rows: &[tokio_postgres::Row]) -> Vec<String> {
    rows.iter()
        .map(|r| {
            let n: Vec<String> = (2..7).map(|i| r.get::<_, i64>(i).to_string()).collect();
            format!(
                "{},{},{}",
                r.get::<_, String>(0),
                r.get::<_, String>(1),
                n.join(",")
            )
        })
        .collect()
}

/// `settle sql --format csv` rows (no header) of `sql` on the lake in `dir`.
fn settle_sql_rows(dir: &std::path::Path, sql: &str) -> Vec<String> {
    let out = Command::new(env!("CARGO_BIN_EXE_settle"))
        .args([
            "sql",
            "--lake",
            dir.to_str().unwrap(),
            "--format",
            "csv",
            "-e",
            sql,
        ])
        .output()
        .unwrap();
    let text = common::stdout_of(out);
    text.lines().skip(1).map(str::to_string).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn psql_lists_describes_and_agrees_with_settle_sql() {
    let dir = lake().await;
    let server = pg::serve(dir.path(), &[]);

    let tables = psql_ok(server.port, &["-c", "\\dt"]);
    for want in [
        "reports|cod_reconciliation|",
        "raw|raw_events|",
        "raw|rejected|",
    ] {
        assert!(tables.contains(want), "\\dt lacks {want}:\n{tables}");
    }
    let described = psql_ok(server.port, &["-c", "\\d reports.cod_reconciliation"]);
    for column in ["order_id|", "currency|", "expected|bigint", "status|"] {
        assert!(
            described.contains(column),
            "\\d lacks {column}:\n{described}"
        );
    }

    for sql in [JOIN, SUMMARY] {
        let by_psql: Vec<String> = psql_ok(server.port, &["-t", "-F", ",", "-c", sql])
            .lines()
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect();
        let by_settle = settle_sql_rows(dir.path(), sql);
        assert!(
            by_settle.len() >= 4,
            "too few rows to compare: {by_settle:?}"
        );
        assert_eq!(by_psql, by_settle, "{sql}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokio_postgres_prepared_statements_with_parameters() {
    let dir = lake().await;
    let server = pg::serve(dir.path(), &[]);
    let client = pg::connect(server.port, PASSWORD).await.unwrap();

    let statement = client
        .prepare(
            "SELECT order_id, expected FROM reports.cod_reconciliation \
             WHERE currency = $1 AND expected > $2 ORDER BY order_id LIMIT 5",
        )
        .await
        .unwrap();
    for (currency, above) in [("MAD", 10_000i64), ("KWD", 1_000i64)] {
        let rows = client
            .query(&statement, &[&currency, &above])
            .await
            .unwrap();
        let got: Vec<String> = rows
            .iter()
            .map(|r| format!("{},{}", r.get::<_, String>(0), r.get::<_, i64>(1)))
            .collect();
        let want = settle_sql_rows(
            dir.path(),
            &format!(
                "SELECT order_id, expected FROM reports.cod_reconciliation \
                 WHERE currency = '{currency}' AND expected > {above} ORDER BY order_id LIMIT 5"
            ),
        );
        assert!(!want.is_empty(), "no {currency} rows to compare");
        assert_eq!(got, want, "{currency} > {above}");
    }

    // The aggregate through the extended protocol too.
    let got = summary_csv(&client.query(SUMMARY, &[]).await.unwrap());
    assert_eq!(got, settle_sql_rows(dir.path(), SUMMARY));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refuses_bad_logins_writes_and_long_queries() {
    let dir = lake().await;
    let server = pg::serve(
        dir.path(),
        &[
            ("SETTLE__SQL__QUERY_TIMEOUT_SECS", "2"),
            ("SETTLE__SQL__MEMORY_LIMIT_MB", "16"),
        ],
    );

    let none = psql(server.port, None, &["-c", "SELECT 1"]);
    assert!(!none.status.success());
    let err = String::from_utf8_lossy(&none.stderr);
    assert!(err.contains("no password supplied"), "{err}");

    let wrong = psql(server.port, Some("not-the-password"), &["-c", "SELECT 1"]);
    assert!(!wrong.status.success());
    let err = String::from_utf8_lossy(&wrong.stderr).to_lowercase();
    assert!(err.contains("password authentication failed"), "{err}");
    assert!(pg::connect(server.port, "not-the-password").await.is_err());

    for sql in [
        "CREATE TABLE lake.mine (a INT)",
        "DROP TABLE reports.cod_reconciliation",
        "INSERT INTO lake.orders (order_id) VALUES ('x')",
        "UPDATE reports.cod_reconciliation SET expected = 0",
        "DELETE FROM raw.raw_events",
        "COPY reports.cod_reconciliation TO '/tmp/settle-copy.csv'",
        "CREATE VIEW v AS SELECT 1",
        "SET datafusion.execution.batch_size = 1",
    ] {
        let out = psql(server.port, Some(PASSWORD), &["-c", sql]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{sql} was not refused");
        assert!(
            err.contains("is refused") && err.contains("read-only"),
            "{sql}: {err}"
        );
    }
    let client = pg::connect(server.port, PASSWORD).await.unwrap();
    // Extended protocol: refused at parse time, with SQLSTATE 25006.
    let e = client
        .execute("INSERT INTO lake.orders (order_id) VALUES ($1)", &[&"x"])
        .await
        .unwrap_err();
    assert_eq!(e.code().map(|c| c.code()), Some("25006"), "{e}");
    assert!(!std::path::Path::new("/tmp/settle-copy.csv").exists());

    // Over the 2 s limit: cancelled with a clear error, the connection lives on.
    let started = Instant::now();
    let e = client
        .simple_query(
            "SELECT SUM(a.value * b.value) FROM generate_series(1, 300000) a \
             CROSS JOIN generate_series(1, 300000) b",
        )
        .await
        .unwrap_err();
    let took = started.elapsed();
    assert!(format!("{e:?}").contains("statement timeout"), "{e:?}");
    assert!(took < Duration::from_secs(20), "the limit took {took:?}");
    let one = client.query_one("SELECT 1::BIGINT", &[]).await.unwrap();
    assert_eq!(one.get::<_, i64>(0), 1);

    // Over the 16 MiB memory limit: refused, not the server's death.
    let e = client
        .simple_query("SELECT array_length(array_agg(value), 1) FROM generate_series(1, 20000000)")
        .await
        .unwrap_err();
    assert!(format!("{e:?}").contains("Resources exhausted"), "{e:?}");
    let n = client
        .query_one("SELECT COUNT(*) FROM reports.cod_reconciliation", &[])
        .await
        .unwrap();
    assert_eq!(n.get::<_, i64>(0), 150);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_clients_at_once_get_the_right_summary() {
    let dir = lake().await;
    let server = pg::serve(dir.path(), &[]);
    let want = settle_sql_rows(dir.path(), SUMMARY);
    let port = server.port;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..20 {
        tasks.spawn(async move {
            let client = pg::connect(port, PASSWORD).await.unwrap();
            summary_csv(&client.query(SUMMARY, &[]).await.unwrap())
        });
    }
    let mut answers = 0;
    while let Some(got) = tasks.join_next().await {
        assert_eq!(got.unwrap(), want);
        answers += 1;
    }
    assert_eq!(answers, 20);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_when_a_certificate_is_configured() {
    let dir = lake().await;
    let (cert, key) = common::self_signed(dir.path(), "server");
    let server = pg::serve(
        dir.path(),
        &[
            ("SETTLE__SQL__TLS_CERT", cert.to_str().unwrap()),
            ("SETTLE__SQL__TLS_KEY", key.to_str().unwrap()),
        ],
    );
    let out = psql_require_tls(
        server.port,
        "SELECT COUNT(*) FROM reports.cod_reconciliation",
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let n: i64 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
    assert_eq!(n, 150);

    // Without TLS configured, sslmode=require is refused by the client.
    let plain = pg::serve(dir.path(), &[]);
    assert!(!psql_require_tls(plain.port, "SELECT 1").status.success());
}

fn psql_require_tls(port: u16, sql: &str) -> std::process::Output {
    Command::new("psql")
        .args(["-X", "-w", "-A", "-t"])
        .arg(format!(
            "host=127.0.0.1 port={port} user={} dbname=settle sslmode=require",
            pg::USER
        ))
        .args(["-c", sql])
        .env("PGPASSWORD", PASSWORD)
        .output()
        .unwrap()
}

/// What DBeaver, Metabase and psql send on connect (from datafusion-postgres's
/// client tests and psql 15).
const ON_CONNECT: &[&str] = &[
    "SET extra_float_digits = 3",
    "SET application_name = 'Metabase v0.55.1'",
    "SHOW TRANSACTION ISOLATION LEVEL",
    "SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL READ COMMITTED",
    "SELECT current_schema(), session_user",
    "SELECT version()",
    "SHOW search_path",
    "show timezone",
    "SELECT nspname FROM pg_catalog.pg_namespace ORDER BY nspname",
    "SELECT c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n \
     ON n.oid = c.relnamespace WHERE n.nspname = 'reports' ORDER BY 1",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bi_tool_connection_queries_work() {
    let dir = lake().await;
    let server = pg::serve(dir.path(), &[]);
    let client = pg::connect(server.port, PASSWORD).await.unwrap();
    for sql in ON_CONNECT {
        client
            .simple_query(sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e:?}"));
    }
    let names: Vec<String> = client
        .simple_query("SELECT nspname FROM pg_catalog.pg_namespace ORDER BY nspname")
        .await
        .unwrap()
        .into_iter()
        .filter_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(r) => r.get(0).map(str::to_string),
            _ => None,
        })
        .collect();
    for schema in ["lake", "raw", "reports"] {
        assert!(
            names.iter().any(|n| n == schema),
            "{schema} not in {names:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn beyond_max_connections_a_client_is_told_why() {
    let dir = lake().await;
    let server = pg::serve(dir.path(), &[("SETTLE__SQL__MAX_CONNECTIONS", "1")]);
    // The readiness probe's connection holds the one slot until the server
    // sees it close: the first client may have to wait a moment.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let first = loop {
        match pg::connect(server.port, PASSWORD).await {
            Ok(c) => break c,
            Err(e)
                if std::time::Instant::now() < deadline && format!("{e:?}").contains("E53300") =>
            {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => panic!("{e:?}"),
        }
    };
    let out = psql(server.port, Some(PASSWORD), &["-c", "SELECT 1"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("too many clients"), "{err}");
    // The first connection is unaffected; once it closes, there is room again.
    assert_eq!(
        first
            .query_one("SELECT 1::BIGINT", &[])
            .await
            .unwrap()
            .get::<_, i64>(0),
        1
    );
    drop(first);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let again = psql(server.port, Some(PASSWORD), &["-t", "-c", "SELECT 2"]);
        if again.status.success() {
            assert_eq!(String::from_utf8_lossy(&again.stdout).trim(), "2");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no room after the first client left"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
