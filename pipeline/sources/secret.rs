//! Shared secrets for signed webhooks and the HMAC-SHA256 checks every
//! source uses (Stripe hex over `t.body`, Shopify and WooCommerce base64
//! over the body, Settle's generic hex over the body). A [`Secret`] never
//! shows in `Debug`, logs or errors; comparisons are constant-time.

use base64::Engine as _;
use hmac::{KeyInit, Mac};
use sha2::Sha256;

/// A shared secret or token from config. Its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(transparent)]
pub struct Secret(#[serde(deserialize_with = "crate::config::lenient_string")] String);

impl Secret {
    /// Wraps a secret.
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }

    /// The secret itself, for handing to a client that sends it (never log it).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether no secret was configured.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// HMAC-SHA256 keyed by this secret over `parts`, in order.
    pub fn mac(&self, parts: &[&[u8]]) -> hmac::Hmac<Sha256> {
        let mut mac = <hmac::Hmac<Sha256> as KeyInit>::new_from_slice(self.0.as_bytes())
            .expect("HMAC takes keys of any length");
        for p in parts {
            mac.update(p);
        }
        mac
    }

    /// Whether `given` (raw MAC bytes) is this secret's MAC of `parts`, in constant time.
    pub fn verifies(&self, parts: &[&[u8]], given: &[u8]) -> bool {
        self.mac(parts).verify_slice(given).is_ok()
    }

    /// Whether `token` equals this secret, in constant time (bearer tokens).
    pub fn matches_token(&self, token: &str) -> bool {
        // Comparing MACs of both sides keeps the time independent of where they differ.
        let key = Secret::new("settle-token-compare");
        let want = key.mac(&[self.0.as_bytes()]).finalize().into_bytes();
        key.verifies(&[token.as_bytes()], &want) && !self.0.is_empty()
    }

    /// The base64 HMAC-SHA256 of `body` (Shopify's and WooCommerce's header value).
    pub fn sign_base64(&self, body: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.mac(&[body]).finalize().into_bytes())
    }

    /// The hex HMAC-SHA256 of `body` (Settle's generic header value).
    pub fn sign_hex(&self, body: &[u8]) -> String {
        hex::encode(self.mac(&[body]).finalize().into_bytes())
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

/// Why a body signature was refused (each answers 401).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodySigError {
    /// No header.
    #[error("no {0} header; is this request from the configured sender?")]
    Missing(&'static str),
    /// The header is not base64/hex.
    #[error("{0} header is not {1}")]
    Garbled(&'static str, &'static str),
    /// No configured secret signed this body.
    #[error(
        "{0} does not match the configured secret; check the secret in [intake] (rotated?) or whether the body was changed"
    )]
    Mismatch(&'static str),
}

/// How a body signature header is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// Standard base64 (Shopify, WooCommerce).
    Base64,
    /// Lower- or upper-case hex, optionally prefixed `sha256=` (generic senders).
    Hex,
}

/// Verifies a header carrying the HMAC-SHA256 of the whole body, against any of `secrets`.
pub fn verify_body(
    secrets: &[Secret],
    header_name: &'static str,
    header: Option<&str>,
    encoding: Encoding,
    body: &[u8],
) -> Result<(), BodySigError> {
    let text = header
        .map(str::trim)
        .ok_or(BodySigError::Missing(header_name))?;
    let given = match encoding {
        Encoding::Base64 => base64::engine::general_purpose::STANDARD
            .decode(text)
            .map_err(|_| BodySigError::Garbled(header_name, "base64"))?,
        Encoding::Hex => hex::decode(text.strip_prefix("sha256=").unwrap_or(text))
            .map_err(|_| BodySigError::Garbled(header_name, "hex"))?,
    };
    if secrets
        .iter()
        .any(|s| !s.is_empty() && s.verifies(&[body], &given))
    {
        Ok(())
    } else {
        Err(BodySigError::Mismatch(header_name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &[u8] = br#"{"id":820982911946154508,"email":"jon@example.com"}"#;
    // Computed independently with Python:
    // base64.b64encode(hmac.new(b"shpss_test", body, hashlib.sha256).digest())
    const B64: &str = "ZPINS/5npCYM+nR4R+feUuIZGvjL1Ncj6BUOKdHVNKQ=";

    #[test]
    fn base64_and_hex_signatures_match_an_independent_implementation() {
        let s = Secret::new("shpss_test");
        assert_eq!(s.sign_base64(BODY), B64);
        let hex = s.sign_hex(BODY);
        let ok = |enc, h: &str| verify_body(std::slice::from_ref(&s), "X-Sig", Some(h), enc, BODY);
        assert_eq!(ok(Encoding::Base64, B64), Ok(()));
        assert_eq!(ok(Encoding::Hex, &hex), Ok(()));
        assert_eq!(ok(Encoding::Hex, &format!("sha256={hex}")), Ok(()));
        assert_eq!(ok(Encoding::Hex, &hex.to_uppercase()), Ok(()));
    }

    #[test]
    fn wrong_secret_tampered_body_missing_and_garbled_headers_are_refused() {
        let s = Secret::new("shpss_test");
        let other = Secret::new("shpss_other");
        let v = |secrets: &[Secret], h: Option<&str>, body: &[u8]| {
            verify_body(secrets, "X-Sig", h, Encoding::Base64, body)
        };
        assert_eq!(
            v(std::slice::from_ref(&other), Some(B64), BODY),
            Err(BodySigError::Mismatch("X-Sig"))
        );
        assert_eq!(
            v(std::slice::from_ref(&s), Some(B64), b"{}"),
            Err(BodySigError::Mismatch("X-Sig"))
        );
        assert_eq!(
            v(std::slice::from_ref(&s), None, BODY),
            Err(BodySigError::Missing("X-Sig"))
        );
        assert_eq!(
            v(std::slice::from_ref(&s), Some("not base64!"), BODY),
            Err(BodySigError::Garbled("X-Sig", "base64"))
        );
        // Rotation: either secret passes.
        assert_eq!(v(&[other, s], Some(B64), BODY), Ok(()));
        // An empty configured secret never verifies anything.
        let empty = Secret::new("");
        let sig = empty.sign_base64(BODY);
        assert_eq!(
            v(&[empty], Some(&sig), BODY),
            Err(BodySigError::Mismatch("X-Sig"))
        );
    }

    #[test]
    fn tokens_compare_exactly_and_never_show() {
        let s = Secret::new("tok_123");
        assert!(s.matches_token("tok_123"));
        assert!(!s.matches_token("tok_124") && !s.matches_token(""));
        assert!(!Secret::new("").matches_token(""));
        assert_eq!(format!("{s:?}"), "Secret(…)");
    }
}
