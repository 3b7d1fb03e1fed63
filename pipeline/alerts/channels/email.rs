//! Email over SMTP (lettre): plain, STARTTLS or implicit TLS, with optional
//! AUTH; a private CA certificate can be trusted for in-house relays.
//! 4xx answers and connection failures are transient, 5xx permanent.

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use super::super::notify::Notification;
use super::settings::{EmailSettings, SmtpTls};

type Outcome = Result<(), (String, bool)>;

/// Sends `n` as a plain-text email to every recipient.
pub async fn send(cfg: &EmailSettings, n: &Notification) -> Outcome {
    let message = addressed(cfg, subject(n)).map_err(|why| (why, false))?;
    let email = message
        .header(ContentType::TEXT_PLAIN)
        .body(body(n))
        .map_err(|e| (format!("building the email: {e}"), false))?;
    deliver(cfg, email).await
}

/// Sends `text` with the file `name` (`content_type`, `bytes`) attached.
pub async fn send_file(
    cfg: &EmailSettings,
    subject: String,
    text: String,
    name: &str,
    content_type: &str,
    bytes: Vec<u8>,
) -> Outcome {
    use lettre::message::{Attachment, MultiPart, SinglePart};
    let message = addressed(cfg, subject).map_err(|why| (why, false))?;
    let kind = ContentType::parse(content_type)
        .map_err(|e| (format!("content type {content_type:?}: {e}"), false))?;
    let parts = MultiPart::mixed()
        .singlepart(SinglePart::plain(text))
        .singlepart(Attachment::new(name.to_string()).body(bytes, kind));
    let email = message
        .multipart(parts)
        .map_err(|e| (format!("building the email: {e}"), false))?;
    deliver(cfg, email).await
}

/// A message from `from` to every `to`, with `subject`.
fn addressed(
    cfg: &EmailSettings,
    subject: String,
) -> Result<lettre::message::MessageBuilder, String> {
    let from: Mailbox = cfg
        .from
        .parse()
        .map_err(|e| format!("from {:?} is not an address: {e}", cfg.from))?;
    let mut message = Message::builder().from(from).subject(subject);
    for to in &cfg.to {
        let m = to
            .parse::<Mailbox>()
            .map_err(|e| format!("to {to:?} is not an address: {e}"))?;
        message = message.to(m);
    }
    Ok(message)
}

async fn deliver(cfg: &EmailSettings, email: Message) -> Outcome {
    let permanent = |why: String| Err((why, false));
    let transport = match transport(cfg) {
        Ok(t) => t,
        Err(why) => return permanent(why),
    };
    match transport.send(email).await {
        Ok(_) => Ok(()),
        Err(e) => {
            let transient = !e.is_permanent();
            Err((format!("SMTP {}:{}: {e}", cfg.host, cfg.port), transient))
        }
    }
}

fn transport(cfg: &EmailSettings) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
    let tls = |cfg: &EmailSettings| -> Result<TlsParameters, String> {
        let mut params = TlsParameters::builder(cfg.host.clone());
        if let Some(path) = &cfg.ca_cert {
            let pem =
                std::fs::read(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
            let cert = Certificate::from_pem(&pem)
                .map_err(|e| format!("{} is not a PEM certificate: {e}", path.display()))?;
            params = params.add_root_certificate(cert);
        }
        params
            .build()
            .map_err(|e| format!("TLS for {}: {e}", cfg.host))
    };
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&cfg.host)
        .port(cfg.port)
        .timeout(Some(Duration::from_secs(15)));
    builder = match cfg.tls {
        SmtpTls::None => builder.tls(Tls::None),
        SmtpTls::Starttls => builder.tls(Tls::Required(tls(cfg)?)),
        SmtpTls::Tls => builder.tls(Tls::Wrapper(tls(cfg)?)),
    };
    if let Some(user) = &cfg.username {
        let password = cfg
            .password
            .as_ref()
            .map(|p| p.expose().to_string())
            .unwrap_or_default();
        builder = builder.credentials(Credentials::new(user.clone(), password));
    }
    Ok(builder.build())
}

fn subject(n: &Notification) -> String {
    let group: Vec<&str> = n
        .labels
        .iter()
        .filter(|(k, _)| k.as_str() != "severity")
        .map(|(_, v)| v.as_str())
        .collect();
    format!(
        "[{}] {} {}",
        n.state.to_uppercase(),
        n.rule,
        group.join(" ")
    )
}

fn body(n: &Notification) -> String {
    let mut out = format!(
        "{}\n\nrule: {}\nstate: {}\nat: {}\n",
        n.message, n.rule, n.state, n.at
    );
    for (k, v) in &n.labels {
        out.push_str(&format!("{k}: {v}\n"));
    }
    out.push_str(&format!("value: {}\n", n.value));
    if let Some(b) = n.baseline {
        out.push_str(&format!("baseline: {b}\n"));
    }
    if let Some(v) = n.volume {
        out.push_str(&format!("volume: {v}\n"));
    }
    out
}
