//! `settle serve --pg-listen` in a child process over a lake, and the real
//! clients: psql and tokio-postgres.

use std::process::{Command, Output};

use super::http::{Server, settle_serve};

/// The user and password every endpoint in the tests has.
pub const USER: &str = "finance";
/// Its password.
pub const PASSWORD: &str = "c0d-recon-S3cret";

/// `settle serve` with only the Postgres endpoint on a free port, over
/// `lake`, with extra `SETTLE__…` settings.
pub fn serve(lake: &std::path::Path, env: &[(&str, &str)]) -> Server {
    let mut all = vec![
        ("SETTLE__SQL__USERS__FINANCE", PASSWORD),
        ("SETTLE__DASHBOARDS__ENABLED", "false"),
    ];
    all.extend_from_slice(env);
    settle_serve(lake, "--pg-listen", "pg", &all)
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
