//! Users of the Postgres endpoint, from `[sql.users]`. Clients prove the
//! password with SCRAM-SHA-256; the server keeps only salted hashes.

use datafusion_postgres::pgwire;
use std::collections::BTreeMap;

use async_trait::async_trait;
use pgwire::api::auth::sasl::scram::gen_salted_password;
use pgwire::api::auth::{AuthSource, LoginInfo, Password};
use pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use rand::RngCore;

use crate::sources::secret::Secret;

/// PBKDF2 rounds clients are told to use (RFC 7677's minimum).
pub const ITERATIONS: usize = 4096;

/// Salted SCRAM passwords by user name.
pub struct Users {
    salted: BTreeMap<String, (Vec<u8>, Vec<u8>)>,
}

impl std::fmt::Debug for Users {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Users")
            .field("names", &self.salted.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Users {
    /// Salts and hashes every configured password.
    pub fn new(users: &BTreeMap<String, Secret>) -> Self {
        let salted = users
            .iter()
            .filter(|(_, p)| !p.is_empty())
            .map(|(name, password)| {
                let mut salt = vec![0u8; 16];
                rand::rng().fill_bytes(&mut salt);
                let hash = gen_salted_password(password.expose(), &salt, ITERATIONS);
                (name.clone(), (salt, hash))
            })
            .collect();
        Users { salted }
    }

    /// Whether no user can log in.
    pub fn is_empty(&self) -> bool {
        self.salted.is_empty()
    }
}

#[async_trait]
impl AuthSource for Users {
    async fn get_password(&self, login: &LoginInfo) -> PgWireResult<Password> {
        let user = login.user().unwrap_or_default();
        match self.salted.get(user) {
            Some((salt, hash)) => Ok(Password::new(Some(salt.clone()), hash.clone())),
            None => {
                tracing::info!(user, host = login.host(), "login refused: no such user");
                // The same answer as a wrong password, as Postgres gives.
                Err(PgWireError::UserError(Box::new(ErrorInfo::new(
                    "FATAL".into(),
                    "28P01".into(),
                    format!("password authentication failed for user \"{user}\""),
                ))))
            }
        }
    }
}
