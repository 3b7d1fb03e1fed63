//! Stripe's `Stripe-Signature` header: `t=UNIX,v1=HEX[,v1=HEX…][,v0=…]`,
//! where each `v1` is HMAC-SHA256 of `"{t}.{raw body}"` keyed by an endpoint
//! secret (`whsec_…`). Several secrets are accepted at once, so one can be
//! rotated without dropping events; timestamps outside the tolerance (past
//! or future) are refused, so a captured request cannot be replayed later.
//! Errors never carry a secret or a signature.

use hmac::Mac;

pub use crate::sources::secret::Secret;

/// Stripe's default tolerance, seconds.
pub const DEFAULT_TOLERANCE_SECS: i64 = 300;

/// Why a request's signature was refused (each answers 401).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SigError {
    /// No header.
    #[error("no Stripe-Signature header; is this request from Stripe?")]
    Missing,
    /// The header could not be read.
    #[error("Stripe-Signature header is garbled ({0}); expected t=UNIX,v1=HEX")]
    Garbled(&'static str),
    /// Signed too long ago.
    #[error(
        "Stripe-Signature timestamp is {0} s old, beyond the {1} s tolerance; a replay, or a clock that is off"
    )]
    Stale(i64, i64),
    /// Signed in the future.
    #[error(
        "Stripe-Signature timestamp is {0} s in the future, beyond the {1} s tolerance; check this machine's clock"
    )]
    Future(i64, i64),
    /// No `v1` signature matches any configured secret.
    #[error(
        "no v1 signature matches a configured endpoint secret; check [intake.stripe] webhook secrets (rotated?) or whether the body was changed"
    )]
    Mismatch,
}

/// Checks `Stripe-Signature` headers against one or more endpoint secrets.
#[derive(Debug, Clone)]
pub struct Verifier {
    secrets: Vec<Secret>,
    tolerance: i64,
}

struct Header {
    t: i64,
    v1: Vec<Vec<u8>>,
}

fn parse(header: &str) -> Result<Header, SigError> {
    let mut t = None;
    let mut v1 = Vec::new();
    for item in header.split(',') {
        let (k, v) = item
            .trim()
            .split_once('=')
            .ok_or(SigError::Garbled("an item without '='"))?;
        match k {
            "t" => {
                let n = v
                    .parse::<i64>()
                    .map_err(|_| SigError::Garbled("t is not a number"))?;
                t = Some(n);
            }
            "v1" => v1.push(hex::decode(v).map_err(|_| SigError::Garbled("v1 is not hex"))?),
            _ => {} // v0 (test mode's old scheme) and future schemes are ignored
        }
    }
    let t = t.ok_or(SigError::Garbled("no t="))?;
    if v1.is_empty() {
        return Err(SigError::Garbled("no v1="));
    }
    Ok(Header { t, v1 })
}

impl Verifier {
    /// Accepts signatures by any of `secrets`, within `tolerance_secs` of now.
    pub fn new(secrets: Vec<Secret>, tolerance_secs: i64) -> Self {
        Verifier {
            secrets,
            tolerance: tolerance_secs,
        }
    }

    /// Verifies `header` for `body` at `now` (Unix seconds); returns the
    /// signed timestamp. Comparisons are constant-time.
    pub fn verify(&self, header: Option<&str>, body: &[u8], now: i64) -> Result<i64, SigError> {
        let h = parse(header.ok_or(SigError::Missing)?)?;
        let age = now - h.t;
        if age > self.tolerance {
            return Err(SigError::Stale(age, self.tolerance));
        }
        if -age > self.tolerance {
            return Err(SigError::Future(-age, self.tolerance));
        }
        for secret in &self.secrets {
            let signed = mac(secret, h.t, body);
            if h.v1
                .iter()
                .any(|sig| signed.clone().verify_slice(sig).is_ok())
            {
                return Ok(h.t);
            }
        }
        Err(SigError::Mismatch)
    }

    /// A header Stripe would send for `body` at `t` with `secret` (for tests,
    /// benchmarks and test senders).
    pub fn sign(secret: &Secret, body: &[u8], t: i64) -> String {
        let sig = mac(secret, t, body).finalize().into_bytes();
        format!("t={t},v1={}", hex::encode(sig))
    }
}

/// HMAC-SHA256 of `"{t}.{body}"` keyed by `secret`, as Stripe signs.
fn mac(secret: &Secret, t: i64, body: &[u8]) -> hmac::Hmac<sha2::Sha256> {
    secret.mac(&[t.to_string().as_bytes(), b".", body])
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &[u8] = br#"{"id":"evt_1","object":"event","type":"charge.succeeded"}"#;
    const T: i64 = 1_780_000_000;
    // Computed independently with Python's hmac/hashlib:
    // hmac.new(secret, f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    const V1_SECRET_1: &str = "01673f3d7b51f6bd6e069efec597450ecf8de19e7c7d43c86e46de4f96b100b4";
    const V1_SECRET_2: &str = "6654b488184180d580507c52a73477ecb89966a46cbe2a900eca3e17a92e051e";

    fn old() -> Secret {
        Secret::new("whsec_test_secret_1")
    }
    fn new() -> Secret {
        Secret::new("whsec_rotated_secret_2")
    }
    fn only(s: Secret) -> Verifier {
        Verifier::new(vec![s], DEFAULT_TOLERANCE_SECS)
    }
    fn header(v1: &str) -> String {
        format!("t={T},v1={v1}")
    }

    #[test]
    fn signs_like_an_independent_implementation() {
        assert_eq!(Verifier::sign(&old(), BODY, T), header(V1_SECRET_1));
        assert_eq!(Verifier::sign(&new(), BODY, T), header(V1_SECRET_2));
    }

    #[test]
    fn a_valid_signature_passes_and_gives_its_timestamp() {
        let h = header(V1_SECRET_1);
        assert_eq!(only(old()).verify(Some(&h), BODY, T + 10), Ok(T));
        // Extra schemes and spaces are tolerated, as Stripe documents.
        let h = format!("t={T}, v1={V1_SECRET_1}, v0=abc");
        assert_eq!(only(old()).verify(Some(&h), BODY, T), Ok(T));
    }

    #[test]
    fn a_tampered_body_or_wrong_secret_is_a_mismatch() {
        let h = header(V1_SECRET_1);
        let tampered = br#"{"id":"evt_1","object":"event","type":"charge.refunded"}"#;
        assert_eq!(
            only(old()).verify(Some(&h), tampered, T),
            Err(SigError::Mismatch)
        );
        assert_eq!(
            only(new()).verify(Some(&h), BODY, T),
            Err(SigError::Mismatch)
        );
        // The signed timestamp is part of the signature.
        let moved = format!("t={},v1={V1_SECRET_1}", T + 1);
        assert_eq!(
            only(old()).verify(Some(&moved), BODY, T),
            Err(SigError::Mismatch)
        );
    }

    #[test]
    fn stale_and_future_timestamps_are_refused() {
        let h = header(V1_SECRET_1);
        let v = only(old());
        assert_eq!(v.verify(Some(&h), BODY, T + 300), Ok(T), "at the edge");
        assert_eq!(
            v.verify(Some(&h), BODY, T + 301),
            Err(SigError::Stale(301, 300))
        );
        assert_eq!(v.verify(Some(&h), BODY, T - 300), Ok(T), "at the edge");
        assert_eq!(
            v.verify(Some(&h), BODY, T - 301),
            Err(SigError::Future(301, 300))
        );
    }

    #[test]
    fn missing_or_garbled_headers_are_refused() {
        let v = only(old());
        assert_eq!(v.verify(None, BODY, T), Err(SigError::Missing));
        for (h, why) in [
            ("", "an item without '='"),
            ("garbage", "an item without '='"),
            ("t=abc,v1=00", "t is not a number"),
            ("v1=00", "no t="),
            ("t=1780000000", "no v1="),
            ("t=1780000000,v0=00", "no v1="),
            ("t=1780000000,v1=zz", "v1 is not hex"),
        ] {
            assert_eq!(
                v.verify(Some(h), BODY, T),
                Err(SigError::Garbled(why)),
                "{h:?}"
            );
        }
    }

    #[test]
    fn rotated_secrets_are_accepted_together() {
        let both = Verifier::new(vec![new(), old()], DEFAULT_TOLERANCE_SECS);
        // Stripe still signs with the old secret during the rotation window…
        assert_eq!(both.verify(Some(&header(V1_SECRET_1)), BODY, T), Ok(T));
        // …and with the new one after it.
        assert_eq!(both.verify(Some(&header(V1_SECRET_2)), BODY, T), Ok(T));
        // A header carrying both signatures passes with either secret alone.
        let two = format!("t={T},v1={V1_SECRET_1},v1={V1_SECRET_2}");
        assert_eq!(only(new()).verify(Some(&two), BODY, T), Ok(T));
        assert_eq!(only(old()).verify(Some(&two), BODY, T), Ok(T));
    }

    #[test]
    fn secrets_and_signatures_never_show_in_debug_or_errors() {
        let v = Verifier::new(vec![old(), new()], DEFAULT_TOLERANCE_SECS);
        let debug = format!("{v:?}");
        assert!(!debug.contains("whsec_"), "{debug}");
        let errors = [
            SigError::Missing,
            SigError::Garbled("no t="),
            SigError::Stale(301, 300),
            SigError::Future(301, 300),
            SigError::Mismatch,
        ];
        for e in errors {
            let text = e.to_string();
            assert!(
                !text.contains("whsec_") && !text.contains(&V1_SECRET_1[..16]),
                "{text}"
            );
        }
    }
}
