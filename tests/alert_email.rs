//! Issue 6, the email channel against a local SMTP server (PyPI aiosmtpd):
//! plain with AUTH, STARTTLS with a private CA, a transient 451 retried, a
//! permanent 550 not retried, and a wrong password refused.

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;

use common::smtp::{mails, sink};
use settle::alerts::channels::{ChannelSettings, EmailSettings, SmtpTls, deliver};
use settle::alerts::notify::Notification;
use settle::alerts::rules;
use settle::alerts::state::{Change, Group, Status, Transition};
use settle::sources::secret::Secret;

fn notification() -> Notification {
    let rule = rules::select(&["cod_remittance_overdue".into()])
        .unwrap()
        .remove(0);
    let labels: BTreeMap<String, String> = [
        ("store_id", "atlas-home"),
        ("carrier", "swiftpost"),
        ("currency", "KWD"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let t = Transition {
        key: "x".into(),
        change: Change::Firing,
        group: Group {
            status: Status::Firing,
            labels,
            annotations: [("info_amount".to_string(), "14.250".to_string())].into(),
            since: 0,
            last_sent: Some(0),
            value: 14250.0,
            baseline: None,
            volume: Some(1),
        },
    };
    Notification::of(&rule, &t, 1_782_000_000_000_000)
}

fn email(
    port: u16,
    tls: SmtpTls,
    auth: Option<(&str, &str)>,
    ca: Option<PathBuf>,
) -> ChannelSettings {
    ChannelSettings::Email(EmailSettings {
        host: "127.0.0.1".into(),
        port,
        tls,
        ca_cert: ca,
        username: auth.map(|(u, _)| u.to_string()),
        password: auth.map(|(_, p)| Secret::new(p)),
        from: "Settle alerts <alerts@settle.test>".into(),
        to: vec!["finance@settle.test".into(), "ops@settle.test".into()],
    })
}

#[tokio::test]
async fn plain_smtp_with_auth_and_a_transient_failure_retried() {
    let dir = tempfile::tempdir().unwrap();
    let (server, out) = sink(
        dir.path(),
        &["--user", "settle", "--password", "pw-123", "--fail", "1"],
    );
    let channel = email(server.port, SmtpTls::None, Some(("settle", "pw-123")), None);
    deliver("finance", &channel, &notification()).await.unwrap();
    let got = mails(&out);
    assert_eq!(got.len(), 1, "the 451 was retried once");
    let m = &got[0];
    assert_eq!(m["from"], "alerts@settle.test");
    assert_eq!(
        m["to"],
        serde_json::json!(["finance@settle.test", "ops@settle.test"])
    );
    assert_eq!(m["auth"], true);
    let data = m["data"].as_str().unwrap();
    assert!(
        data.contains("Subject: [FIRING] cod_remittance_overdue"),
        "{data}"
    );
    assert!(
        data.contains("swiftpost owes 14.250 KWD of COD cash"),
        "{data}"
    );

    let wrong = email(server.port, SmtpTls::None, Some(("settle", "nope")), None);
    let e = deliver("finance", &wrong, &notification())
        .await
        .unwrap_err();
    assert!(!e.transient, "{e}");
    assert!(!e.to_string().contains("nope"), "{e}");
}

#[tokio::test]
async fn a_rejected_message_is_final() {
    let dir = tempfile::tempdir().unwrap();
    let (server, out) = sink(dir.path(), &["--reject"]);
    let channel = email(server.port, SmtpTls::None, None, None);
    let e = deliver("finance", &channel, &notification())
        .await
        .unwrap_err();
    assert!(!e.transient, "{e}");
    assert!(e.to_string().contains("550"), "{e}");
    assert!(mails(&out).is_empty());
}

#[tokio::test]
async fn starttls_with_a_private_ca() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = common::self_signed(dir.path(), "smtp");
    let (server, out) = sink(
        dir.path(),
        &[
            "--cert",
            cert.to_str().unwrap(),
            "--key",
            key.to_str().unwrap(),
            "--user",
            "settle",
            "--password",
            "pw-123",
        ],
    );
    let channel = email(
        server.port,
        SmtpTls::Starttls,
        Some(("settle", "pw-123")),
        Some(cert.clone()),
    );
    deliver("finance", &channel, &notification()).await.unwrap();
    let got = mails(&out);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["tls"], true);
    // Without trusting the CA, the upgrade fails and nothing is sent.
    let untrusted = email(
        server.port,
        SmtpTls::Starttls,
        Some(("settle", "pw-123")),
        None,
    );
    assert!(
        deliver("finance", &untrusted, &notification())
            .await
            .is_err()
    );
    assert_eq!(mails(&out).len(), 1);
}
