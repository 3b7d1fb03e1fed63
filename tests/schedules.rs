//! Schedules with a controllable clock (cron in a time zone, one catch-up
//! run for missed slots, no overlap), and exports read back by real readers
//! (openpyxl for XLSX).

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use serde_json::Value;
use settle::exports::ExportSpec;
use settle::jobs::spec::JobSpec;
use settle::lake::Lake;
use settle::money::Currency;
use settle::schedule::clock::ManualClock;
use settle::schedule::runner::{Executor, Scheduler, Slot};
use settle::schedule::runs::JobRunRow;
use settle::schedule::spec;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

fn us(text: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(text)
        .unwrap()
        .timestamp_micros()
}

/// Records runs; each run waits for a permit, so a test can hold one open.
#[derive(Default)]
struct Recorder {
    runs: Mutex<Vec<(i64, &'static str, u32)>>,
    running: Mutex<(u32, u32)>,
    gate: Option<Arc<Semaphore>>,
}

#[async_trait]
impl Executor for Recorder {
    async fn run(&self, slot: &Slot, _jobs: &[JobSpec], _exports: &[ExportSpec]) -> Vec<JobRunRow> {
        {
            let mut r = self.running.lock().unwrap();
            r.0 += 1;
            r.1 = r.1.max(r.0);
        }
        if let Some(gate) = &self.gate {
            gate.acquire().await.unwrap().forget();
        }
        self.runs
            .lock()
            .unwrap()
            .push((slot.at, slot.trigger, slot.missed));
        self.running.lock().unwrap().0 -= 1;
        Vec::new()
    }
}

impl Recorder {
    async fn wait_runs(&self, n: usize) -> Vec<(i64, &'static str, u32)> {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let runs = self.runs.lock().unwrap().clone();
            if runs.len() >= n {
                return runs;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{n} runs expected, got {runs:?}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

fn start(
    lake: &Lake,
    clock: Arc<ManualClock>,
    exec: Arc<Recorder>,
) -> (CancellationToken, tokio::task::JoinHandle<()>) {
    // 07:00 in Kuwait (UTC+3 all year) is 04:00 UTC.
    let text = "description = \"t\"\ncron = \"0 7 * * *\"\ntimezone = \"Asia/Kuwait\"\njobs = [\"revenue_daily\"]\n";
    let s = spec::parse(
        "kuwait_morning",
        "t.toml",
        text,
        &["revenue_daily".to_string()],
    )
    .unwrap();
    let scheduler = Arc::new(Scheduler {
        lake: lake.clone(),
        schedules: vec![s],
        jobs: settle::jobs::spec::all().unwrap(),
        clock,
        executor: exec,
    });
    let token = CancellationToken::new();
    let stop = token.clone();
    let task = tokio::spawn(async move { scheduler.run(stop).await.unwrap() });
    (token, task)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_on_time_in_its_time_zone_catches_up_once_and_never_overlaps() {
    let lake = Lake::open("memory://").unwrap();
    let clock = Arc::new(ManualClock::new(us("2026-12-05T03:00:00Z")));
    let gate = Arc::new(Semaphore::new(0));
    let exec = Arc::new(Recorder {
        gate: Some(gate.clone()),
        ..Default::default()
    });
    let (stop, task) = start(&lake, clock.clone(), exec.clone());
    tokio::time::sleep(Duration::from_millis(100)).await;
    // A new schedule does not run history: nothing at 03:00 UTC.
    clock.set(us("2026-12-05T03:59:59Z"));
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(exec.runs.lock().unwrap().is_empty());
    // 07:00 in Kuwait.
    clock.set(us("2026-12-05T04:00:00Z"));
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        exec.running.lock().unwrap().0,
        1,
        "the 04:00 UTC run started"
    );
    // It runs for three days; the slots of the 6th, 7th and 8th come due meanwhile.
    clock.set(us("2026-12-08T05:00:00Z"));
    tokio::time::sleep(Duration::from_millis(100)).await;
    gate.add_permits(2);
    let runs = exec.wait_runs(2).await;
    assert_eq!(
        runs,
        vec![
            (us("2026-12-05T04:00:00Z"), "schedule", 0),
            (us("2026-12-08T04:00:00Z"), "catch_up", 2),
        ]
    );
    assert_eq!(exec.running.lock().unwrap().1, 1, "never two runs at once");
    stop.cancel();
    task.await.unwrap();

    // Down until the 10th: one catch-up run after the restart, for the 10th.
    clock.set(us("2026-12-10T09:00:00Z"));
    let exec = Arc::new(Recorder::default());
    let (stop, task) = start(&lake, clock.clone(), exec.clone());
    let runs = exec.wait_runs(1).await;
    assert_eq!(runs, vec![(us("2026-12-10T04:00:00Z"), "catch_up", 1)]);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        exec.runs.lock().unwrap().len(),
        1,
        "once, not once per missed slot"
    );
    stop.cancel();
    task.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settle_jobs_run_export_writes_dated_csv_and_xlsx_that_real_readers_agree_with() {
    let history = common::history(300, 30, 21);
    let (dir, lake) = common::temp_lake();
    common::build_lake(&lake, &history, 1_000).await;
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_settle"))
        .args([
            "jobs",
            "run",
            "daily_finance",
            "--export",
            "--lake",
            dir.path().to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let stdout = common::stdout_of(out);
    assert!(stdout.contains("export  cod_reconciliation-"), "{stdout}");

    let ctx = common::ctx(&lake).await;
    let runs = common::rows(
        &common::sql(&ctx, "SELECT kind, name, trigger, status, rows, output FROM job_runs ORDER BY kind DESC, name").await,
    );
    assert_eq!(runs.len(), 8, "5 jobs and 3 exports: {runs:#?}");
    assert!(
        runs.iter()
            .all(|r| r["status"] == "ok" && r["trigger"] == "manual"),
        "{runs:#?}"
    );
    let date = chrono::Utc::now().date_naive();
    let xlsx = runs
        .iter()
        .find(|r| r["name"] == format!("cod_reconciliation-{date}.xlsx"))
        .unwrap();
    assert_eq!(
        xlsx["output"],
        format!("exports/daily_finance/cod_reconciliation-{date}.xlsx")
    );

    // CSV: money in major units, exactly as format_money shows it.
    let csv = std::fs::read_to_string(
        dir.path()
            .join(format!("exports/daily_finance/revenue_daily-{date}.csv")),
    )
    .unwrap();
    let want = common::rows(
        &common::sql(
            &ctx,
            "SELECT format_money(gross, currency) AS gross, format_money(net, currency) AS net, currency \
             FROM revenue_daily",
        )
        .await,
    );
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let header = reader.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let got: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(got.len(), want.len());
    assert!(
        want.iter().any(|r| r["currency"] == "KWD"),
        "the history has a 3-decimal currency"
    );
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g[col("gross")], w["gross"]);
        assert_eq!(g[col("net")], w["net"]);
    }

    // XLSX through openpyxl: typed cells equal the job output.
    let path = dir.path().join(format!(
        "exports/daily_finance/cod_reconciliation-{date}.xlsx"
    ));
    let book: Value =
        serde_json::from_str(&common::python("read_xlsx.py", &[path.to_str().unwrap()])).unwrap();
    assert_eq!(book["sheet"], "cod_reconciliation");
    assert_eq!(book["freeze"], "A2", "the header row stays in view");
    let rows = book["rows"].as_array().unwrap();
    let header: Vec<&str> = rows[0]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["v"].as_str().unwrap())
        .collect();
    let at = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let want = common::rows(
        &common::sql(
            &ctx,
            "SELECT order_id, currency, order_total, outstanding, created_at FROM cod_reconciliation",
        )
        .await,
    );
    assert_eq!(rows.len() - 1, want.len());
    let mut by_id = std::collections::BTreeMap::new();
    for r in &rows[1..] {
        let r = r.as_array().unwrap();
        by_id.insert(
            r[at("order_id")]["v"].as_str().unwrap().to_string(),
            r.clone(),
        );
    }
    let mut currencies = std::collections::BTreeSet::new();
    for w in &want {
        let r = &by_id[&w["order_id"]];
        let cur = Currency::parse(&w["currency"]).unwrap();
        currencies.insert(cur.exponent());
        for money in ["order_total", "outstanding"] {
            let cell = &r[at(money)];
            assert!(
                ["int", "float"].contains(&cell["t"].as_str().unwrap()),
                "{cell}"
            );
            // The number read back is the minor amount, exactly, in major units.
            let minor: i64 = w[money].parse().unwrap();
            assert_eq!(
                cur.parse_major(&cell["v"].to_string()).unwrap(),
                minor,
                "{money} of {}",
                w["order_id"]
            );
        }
        assert_eq!(r[at("created_at")]["t"], "datetime");
        assert_eq!(
            r[at("created_at")]["v"].as_str().unwrap().replace('T', " "),
            w["created_at"]
                .trim_end_matches('Z')
                .replace('T', " ")
                .split('.')
                .next()
                .unwrap()
        );
    }
    assert!(
        currencies.contains(&3) && currencies.contains(&0),
        "KWD and JPY rows: {currencies:?}"
    );
    let formats = book["formats"].as_array().unwrap();
    assert_eq!(formats[at("created_at")], "yyyy-mm-dd hh:mm:ss");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_is_emailed_as_an_attachment_through_the_email_channel() {
    let (dir, lake) = common::temp_lake();
    common::build_lake(&lake, &common::history(100, 20, 3), 1_000).await;
    let (smtp, mail) = common::smtp::sink(dir.path(), &[]);
    let schedules = dir.path().join("schedules");
    std::fs::create_dir(&schedules).unwrap();
    let share = dir.path().join("finance-share");
    std::fs::write(
        schedules.join("mailed.toml"),
        format!(
            "description = \"t\"\ncron = \"0 6 * * *\"\njobs = [\"revenue_daily\"]\n\
             [[exports]]\ntable = \"reports.revenue_daily\"\nformat = \"csv\"\nemail = \"finance\"\n\
             [[exports]]\ntable = \"reports.revenue_daily\"\nformat = \"xlsx\"\nname = \"revenue\"\nto = \"{}\"\n",
            share.display()
        ),
    )
    .unwrap();
    let config = dir.path().join("settle.toml");
    std::fs::write(
        &config,
        format!(
            "[schedules]\ndir = \"{}\"\n[alerts.channels.finance]\nkind = \"email\"\nhost = \"127.0.0.1\"\nport = {}\n\
             tls = \"none\"\nfrom = \"Settle <settle@example.com>\"\nto = [\"finance@example.com\"]\n",
            schedules.display(),
            smtp.port
        ),
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_settle"))
        .args([
            "--config",
            config.to_str().unwrap(),
            "jobs",
            "run",
            "mailed",
            "--export",
        ])
        .args(["--lake", dir.path().to_str().unwrap()])
        .output()
        .unwrap();
    common::stdout_of(out);
    let date = chrono::Utc::now().date_naive();
    let file = format!("revenue_daily-{date}.csv");
    let written = std::fs::read_to_string(dir.path().join("exports/mailed").join(&file)).unwrap();
    let parsed: Value = serde_json::from_str(&common::python(
        "mail_attachments.py",
        &[mail.to_str().unwrap()],
    ))
    .unwrap();
    let mails = parsed.as_array().unwrap();
    assert_eq!(mails.len(), 1, "{parsed}");
    assert_eq!(mails[0]["subject"], format!("Settle export: {file}"));
    let att = &mails[0]["attachments"][0];
    assert_eq!(att["filename"], file.as_str());
    assert_eq!(att["content_type"], "text/csv");
    assert_eq!(
        att["text"],
        written.as_str(),
        "the attachment is the exported file"
    );
    // The workbook went to the local folder named by `to`.
    let book: Value = serde_json::from_str(&common::python(
        "read_xlsx.py",
        &[share.join(format!("revenue-{date}.xlsx")).to_str().unwrap()],
    ))
    .unwrap();
    assert_eq!(book["sheet"], "revenue_daily");
    drop(smtp);
}
