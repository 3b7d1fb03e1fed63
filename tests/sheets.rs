//! Google Sheets exports against the test server in
//! `tests/common/sheets_server.rs`: the service account's JWT is checked
//! with the public half of a test key before a token is issued, every
//! values request carries it, and the cells equal the job output exactly.

mod common;

use std::process::Command;

use common::sheets_server::SheetsServer;
use serde_json::Value;
use settle::money::Currency;

const EMAIL: &str = "settle-export@settle-test.iam.gserviceaccount.com";
const SHEET: &str = "1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789";

/// A 2048-bit RSA key: (PKCS#8 PEM, PKCS#1 DER public key), made by openssl.
fn test_key(dir: &std::path::Path) -> (String, Vec<u8>) {
    let key = dir.join("sa-key.pem");
    let public = dir.join("sa-pub.der");
    let run = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .output()
            .expect("openssl is installed");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&[
        "genpkey",
        "-algorithm",
        "RSA",
        "-pkeyopt",
        "rsa_keygen_bits:2048",
        "-out",
        key.to_str().unwrap(),
    ]);
    run(&[
        "rsa",
        "-in",
        key.to_str().unwrap(),
        "-RSAPublicKey_out",
        "-outform",
        "DER",
        "-out",
        public.to_str().unwrap(),
    ]);
    (
        std::fs::read_to_string(key).unwrap(),
        std::fs::read(public).unwrap(),
    )
}

fn serial(date: chrono::NaiveDate) -> i64 {
    (date - chrono::NaiveDate::from_ymd_opt(1899, 12, 30).unwrap()).num_days()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sheets_export_writes_exact_typed_cells_after_a_verified_token_exchange() {
    let dir = tempfile::tempdir().unwrap();
    let (pem, public) = test_key(dir.path());
    let server = SheetsServer::start(public, EMAIL, SHEET).await;
    let key_file = dir.path().join("service-account.json");
    let key = serde_json::json!({
        "type": "service_account", "project_id": "settle-test", "private_key_id": "k1",
        "private_key": pem, "client_email": EMAIL, "token_uri": format!("{}token", server.base),
    });
    std::fs::write(&key_file, key.to_string()).unwrap();
    let schedules = dir.path().join("schedules");
    std::fs::create_dir(&schedules).unwrap();
    std::fs::write(
        schedules.join("finance_sheets.toml"),
        format!(
            "description = \"t\"\ncron = \"0 6 * * *\"\njobs = [\"cod_reconciliation\", \"revenue_daily\"]\n\
             [[exports]]\ntable = \"reports.cod_reconciliation\"\nformat = \"sheets\"\nspreadsheet_id = \"{SHEET}\"\nsheet = \"Reconciliation\"\n\
             [[exports]]\ntable = \"reports.revenue_daily\"\nformat = \"sheets\"\nspreadsheet_id = \"{SHEET}\"\nsheet = \"Revenue snapshots\"\nmode = \"append\"\n"
        ),
    )
    .unwrap();
    let lake_dir = dir.path().join("lake");
    let lake = settle::lake::Lake::open(lake_dir.to_str().unwrap()).unwrap();
    common::build_lake(&lake, &common::history(200, 30, 5), 1_000).await;

    // Two 503s on the way: retried.
    server.fail_next(2);
    for _ in 0..2 {
        let (lake_dir, schedules, key_file) =
            (lake_dir.clone(), schedules.clone(), key_file.clone());
        let base = server.base.clone();
        let out = tokio::task::spawn_blocking(move || {
            Command::new(env!("CARGO_BIN_EXE_settle"))
                .args([
                    "jobs",
                    "run",
                    "finance_sheets",
                    "--export",
                    "--lake",
                    lake_dir.to_str().unwrap(),
                ])
                .env("SETTLE__SCHEDULES__DIR", &schedules)
                .env("SETTLE__SHEETS__CREDENTIALS", &key_file)
                .env("SETTLE__SHEETS__API_BASE", &base)
                .env("SETTLE__SHEETS__CHUNK_ROWS", "40")
                .output()
                .unwrap()
        })
        .await
        .unwrap();
        let stdout = common::stdout_of(out);
        assert!(stdout.contains("sheets:"), "{stdout}");
    }
    assert_eq!(server.tokens(), 2, "one token per run");

    let ctx = common::ctx(&lake).await;
    let want = common::rows(
        &common::sql(&ctx, "SELECT * FROM cod_reconciliation ORDER BY order_id").await,
    );
    let tab = server
        .tab(SHEET, "Reconciliation")
        .expect("the tab was created");
    let header: Vec<&str> = tab.grid[0].iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(header.len(), want[0].len());
    assert_eq!(
        tab.grid.len() - 1,
        want.len(),
        "replace mode: the second run did not add rows"
    );
    let at = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let by_id: std::collections::BTreeMap<String, &Vec<Value>> = tab.grid[1..]
        .iter()
        .map(|r| (r[at("order_id")].as_str().unwrap().to_string(), r))
        .collect();
    let mut exponents = std::collections::BTreeSet::new();
    let money = [
        "order_total",
        "expected_cod",
        "collected",
        "net_remitted",
        "outstanding",
        "stripe_paid",
    ];
    for w in &want {
        let r = by_id[&w["order_id"]];
        let cur = Currency::parse(&w["currency"]).unwrap();
        exponents.insert(cur.exponent());
        for m in money {
            let minor: i64 = w[m].parse().unwrap();
            assert!(r[at(m)].is_number(), "{m} is a number: {}", r[at(m)]);
            assert_eq!(
                cur.parse_major(&r[at(m)].to_string()).unwrap(),
                minor,
                "{m} of {}",
                w["order_id"]
            );
        }
        let created =
            chrono::NaiveDateTime::parse_from_str(&w["created_at"][..19], "%Y-%m-%dT%H:%M:%S")
                .unwrap();
        let cell = r[at("created_at")].as_f64().unwrap();
        assert_eq!(
            cell.floor() as i64,
            serial(created.date()),
            "created_at is a date serial"
        );
        assert_eq!(r[at("payment_method")], w["payment_method"].as_str());
    }
    assert!(
        exponents.contains(&3),
        "3-decimal currencies are in the export"
    );
    let formatted: Vec<i64> = tab
        .formats
        .iter()
        .filter_map(|f| f["range"]["startColumnIndex"].as_i64())
        .collect();
    assert!(
        formatted.contains(&(at("created_at") as i64)),
        "{:?}",
        tab.formats
    );
    assert!(formatted.contains(&(at("order_total") as i64)));
    let puts = server
        .log()
        .iter()
        .filter(|(m, p)| m == "PUT" && p.contains("Reconciliation"))
        .count();
    assert!(
        puts >= 2 * want.len().div_ceil(40),
        "written in chunks of 40 rows: {puts} requests"
    );

    // Append mode: a header once, then each run's rows with its date first.
    let revenue = common::rows(&common::sql(&ctx, "SELECT * FROM revenue_daily").await);
    let snaps = server.tab(SHEET, "Revenue snapshots").unwrap();
    assert_eq!(snaps.grid[0][0], "snapshot_date");
    assert_eq!(snaps.grid.len(), 1 + 2 * revenue.len());
    let today = serial(chrono::Utc::now().date_naive());
    assert!(snaps.grid[1..].iter().all(|r| r[0].as_i64() == Some(today)));
}
