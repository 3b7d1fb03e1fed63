//! `settle serve --pg-listen` in a child process over a lake, and the real
//! clients: psql and tokio-postgres.

use std::process::{Command, Output, Stdio};

use super::http::{Server, free_port, wait_listening};

/// The user and password every endpoint in the tests has.
pub const USER: &str = "finance";
/// Its password.
pub const PASSWORD: &str = "c0d-recon-S3cret";

/// `settle serve` with only the Postgres endpoint on a free port, over
/// `lake`, with extra `SETTLE__…` settings.
pub fn serve(lake: &std::path::Path, env: &[(&str, &str)]) -> Server {
    let port = free_port();
    let log = std::fs::File::create(lake.join(format!("serve-pg-{port}.log"))).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_settle"));
    cmd.args(["serve", "--lake", lake.to_str().unwrap()])
        .args(["--pg-listen", &format!("127.0.0.1:{port}")])
        .env_remove("SETTLE__BUS__BROKERS")
        .env("SETTLE__SQL__USERS__FINANCE", PASSWORD)
        // Only the endpoint: no scheduled job may change the lake under a test.
        .env("SETTLE__SCHEDULES__ENABLED", "false")
        .env("SETTLE_LOG", "info")
        .stdout(Stdio::null())
        .stderr(log);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let child = cmd.spawn().unwrap();
    let server = Server { child, port };
    wait_listening(port, "settle serve --pg-listen");
    server
}

/// psql, unaligned and tuples-only, with `password` (None: no password at all).
pub fn psql(port: u16, password: Option<&str>, args: &[&str]) -> Output {
    let mut cmd = Command::new("psql");
    cmd.args(["-X", "-w", "-A", "-h", "127.0.0.1", "-p", &port.to_string()])
        .args(["-U", USER, "-d", "settle"])
        .args(args)
        .env_remove("PGPASSWORD")
        .env_remove("PGSERVICE")
        .env("PGCONNECT_TIMEOUT", "10");
    if let Some(p) = password {
        cmd.env("PGPASSWORD", p);
    }
    cmd.output().expect("psql is installed")
}

/// psql's output, which must have succeeded.
pub fn psql_ok(port: u16, args: &[&str]) -> String {
    let out = psql(port, Some(PASSWORD), args);
    assert!(
        out.status.success(),
        "psql {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A tokio-postgres client (its connection task is spawned).
pub async fn connect(
    port: u16,
    password: &str,
) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
    let conf = format!(
        "host=127.0.0.1 port={port} user={USER} password={password} dbname=settle connect_timeout=10"
    );
    let (client, connection) = tokio_postgres::connect(&conf, tokio_postgres::NoTls).await?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(client)
}
