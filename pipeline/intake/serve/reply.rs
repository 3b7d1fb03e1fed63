//! What `settle serve` answers: JSON bodies saying what happened, and for
//! refusals what was wrong and what to do. Never a secret, a signature or
//! the payload.

use axum::Json;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The body is over `[intake] max_body_bytes` (413).
    #[error(
        "request body is over the {limit}-byte limit; raise [intake] max_body_bytes if such events are expected"
    )]
    TooLarge {
        /// The limit.
        limit: usize,
    },
    /// The body could not be read (400).
    #[error("request body could not be read: {0}")]
    Unreadable(String),
    /// The signature or token is missing, wrong or stale (401).
    #[error("{0}")]
    Unauthorized(String),
    /// The body is not what this route takes (400).
    #[error("{0}")]
    Malformed(String),
    /// Nothing is configured for this sender (404).
    #[error("{0}")]
    NotConfigured(String),
    /// The bus did not acknowledge in time (503, with Retry-After).
    #[error(
        "the event bus did not acknowledge the event; nothing was accepted, retry after {retry_after} s"
    )]
    Unavailable {
        /// Seconds to wait.
        retry_after: u64,
    },
}

impl Refusal {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            Refusal::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Refusal::Unreadable(_) | Refusal::Malformed(_) => StatusCode::BAD_REQUEST,
            Refusal::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Refusal::NotConfigured(_) => StatusCode::NOT_FOUND,
            Refusal::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// A short machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::TooLarge { .. } => "too_large",
            Refusal::Unreadable(_) => "unreadable",
            Refusal::Unauthorized(_) => "unauthorized",
            Refusal::Malformed(_) => "malformed",
            Refusal::NotConfigured(_) => "not_configured",
            Refusal::Unavailable { .. } => "unavailable",
        }
    }

    /// The refusal for a body extractor's rejection, given the configured limit.
    pub fn from_body(r: BytesRejection, limit: usize) -> Self {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Refusal::TooLarge { limit }
        } else {
            Refusal::Unreadable(r.body_text())
        }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let body = json!({"error": self.code(), "message": self.to_string()});
        let mut r = (self.status(), Json(body)).into_response();
        if let Refusal::Unavailable { retry_after } = self {
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
        }
        r
    }
}

/// An accepted event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// The event or delivery id.
    pub id: String,
    /// The topic it went to.
    pub topic: String,
    /// accepted, duplicate (acknowledged before, not produced again), kept
    /// (on the bus for `rejected`, with `reason`) or ping.
    pub status: &'static str,
    /// Why a kept event cannot be tabled.
    pub reason: Option<String>,
}

impl Accepted {
    /// Marks a produced event as kept for `rejected` with `reason`.
    pub fn kept(mut self, reason: String) -> Self {
        if self.status == "accepted" {
            self.status = "kept";
        }
        self.reason = Some(reason);
        self
    }

    /// A sender's ping, answered without producing.
    pub fn ping(topic: String) -> Self {
        Accepted {
            id: String::new(),
            topic,
            status: "ping",
            reason: None,
        }
    }
}

/// The body of a 200: `{"status", "id", "topic"[, "reason"]}`.
#[derive(serde::Serialize)]
struct AcceptedBody<'a> {
    status: &'a str,
    id: &'a str,
    topic: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
}

impl IntoResponse for Accepted {
    fn into_response(self) -> Response {
        Json(AcceptedBody {
            status: self.status,
            id: &self.id,
            topic: &self.topic,
            reason: self.reason.as_deref(),
        })
        .into_response()
    }
}
