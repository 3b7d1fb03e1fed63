//! Google service-account authentication: the JSON key's private key signs
//! a JWT (RS256, with ring) that the token endpoint exchanges for an OAuth
//! access token (RFC 7523, `urn:ietf:params:oauth:grant-type:jwt-bearer`).
//! Tokens are reused until a minute before they expire. The key and the
//! tokens never appear in errors or logs.

use base64::Engine as _;
use serde::Deserialize;
use serde_json::json;

/// The scope Settle asks for.
pub const SCOPE: &str = "https://www.googleapis.com/auth/spreadsheets";

/// The fields of a service-account key file Settle reads.
#[derive(Deserialize)]
pub struct ServiceAccount {
    /// The account's email (the JWT's issuer).
    pub client_email: String,
    /// PKCS#8 PEM.
    pub private_key: String,
    /// The key's id (the JWT's `kid`).
    #[serde(default)]
    pub private_key_id: Option<String>,
    /// The token endpoint.
    #[serde(default = "google_token_uri")]
    pub token_uri: String,
}

fn google_token_uri() -> String {
    "https://oauth2.googleapis.com/token".into()
}

impl std::fmt::Debug for ServiceAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceAccount")
            .field("client_email", &self.client_email)
            .finish_non_exhaustive()
    }
}

impl ServiceAccount {
    /// Reads a key file.
    pub fn load(path: &str) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            format!("reading the service-account key {path}: {e}; set [sheets] credentials or GOOGLE_APPLICATION_CREDENTIALS")
        })?;
        serde_json::from_str(&text).map_err(|e| {
            format!("{path} is not a service-account JSON key ({e}); download one in the Google Cloud console (IAM → Service accounts → Keys)")
        })
    }

    /// A signed JWT asserting this account for `aud`, valid an hour from `now` (Unix seconds).
    pub fn assertion(&self, aud: &str, now: i64) -> Result<String, String> {
        let b64 = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        let mut header = json!({"alg": "RS256", "typ": "JWT"});
        if let Some(kid) = &self.private_key_id {
            header["kid"] = json!(kid);
        }
        let claims = json!({
            "iss": self.client_email,
            "scope": SCOPE,
            "aud": aud,
            "iat": now,
            "exp": now + 3600,
        });
        let signing_input = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            b64(claims.to_string().as_bytes())
        );
        let der = rustls_pemfile::private_key(&mut self.private_key.as_bytes())
            .ok()
            .flatten()
            .ok_or("the service-account key holds no PEM private key")?;
        let pair = ring::signature::RsaKeyPair::from_pkcs8(der.secret_der()).map_err(|e| {
            format!("the service-account private key is not a PKCS#8 RSA key ({e})")
        })?;
        let mut signature = vec![0; pair.public().modulus_len()];
        pair.sign(
            &ring::signature::RSA_PKCS1_SHA256,
            &ring::rand::SystemRandom::new(),
            signing_input.as_bytes(),
            &mut signature,
        )
        .map_err(|_| "signing the token request failed".to_string())?;
        Ok(format!("{signing_input}.{}", b64(&signature)))
    }
}
