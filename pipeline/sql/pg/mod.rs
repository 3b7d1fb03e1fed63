//! The lake over the Postgres wire protocol, read-only (datafusion-postgres
//! on pgwire): psql, DBeaver, Metabase, Grafana and libpq programs connect
//! with a user from `[sql.users]` (SCRAM-SHA-256), optionally over TLS, and
//! see the schemas `raw`, `lake` and `reports` plus `pg_catalog`. Every query
//! has the `[sql]` time limit and all share its memory limit.

mod auth;
mod hook;
mod refuse;

use datafusion_postgres::pgwire;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use datafusion::execution::runtime_env::RuntimeEnv;
use datafusion_postgres::DfSessionService;
use datafusion_postgres::datafusion_pg_catalog::setup_pg_catalog;
use datafusion_postgres::hooks::cursor::CursorStatementHook;
use datafusion_postgres::hooks::set_show::SetShowHook;
use datafusion_postgres::hooks::transactions::TransactionStatementHook;
use pgwire::api::auth::DefaultServerParameterProvider;
use pgwire::api::auth::sasl::SASLAuthStartupHandler;
use pgwire::api::auth::sasl::scram::ScramAuth;
use pgwire::api::cancel::DefaultCancelHandler;
use pgwire::api::{ClientInfo, ConnectionManager, ErrorHandler, PgWireServerHandlers};
use pgwire::error::PgWireError;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

pub use self::auth::Users;
use super::settings::SqlSettings;
use crate::lake::Lake;

/// Errors starting the endpoint.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The settings cannot work.
    #[error("{0}")]
    Config(String),
    /// Reading the TLS files failed.
    #[error("TLS: {0}")]
    Tls(String),
    /// Opening the lake session failed.
    #[error(transparent)]
    Sql(#[from] super::Error),
}

/// Everything connections share.
pub struct Server {
    lake: Lake,
    settings: SqlSettings,
    runtime: Arc<RuntimeEnv>,
    users: Arc<Users>,
    service: RwLock<Arc<DfSessionService>>,
    connections: Arc<ConnectionManager>,
    tls: Option<pgwire::tokio::TlsAcceptor>,
    certificate: Option<Vec<u8>>,
}

impl Server {
    /// Checks the settings and opens the first session over `lake`.
    pub async fn new(lake: Lake, settings: SqlSettings) -> Result<Arc<Self>, Error> {
        let users = Arc::new(Users::new(&settings.users));
        if users.is_empty() {
            return Err(Error::Config(
                "the Postgres endpoint needs at least one user: add [sql.users] NAME = \"password\" \
                 to the config, or SETTLE__SQL__USERS__NAME=password"
                    .into(),
            ));
        }
        let (tls, certificate) = match (&settings.tls_cert, &settings.tls_key) {
            (Some(cert), Some(key)) => {
                let (acceptor, pem) = tls_acceptor(cert, key)?;
                (Some(acceptor), Some(pem))
            }
            (None, None) => (None, None),
            _ => {
                return Err(Error::Config(
                    "[sql] tls_cert and tls_key go together: set both, or neither".into(),
                ));
            }
        };
        let runtime = super::runtime(settings.memory_limit())?;
        let service = session(&lake, &settings, runtime.clone()).await?;
        Ok(Arc::new(Server {
            lake,
            runtime,
            users,
            service: RwLock::new(service),
            connections: Arc::new(ConnectionManager::new()),
            tls,
            certificate,
            settings,
        }))
    }

    /// Re-reads the lake's tables (new job outputs) for new connections.
    pub async fn refresh(&self) -> Result<(), Error> {
        let service = session(&self.lake, &self.settings, self.runtime.clone()).await?;
        *self.service.write().expect("service lock") = service;
        Ok(())
    }

    /// Accepts connections on `listener` until `shutdown`.
    pub async fn serve(
        self: Arc<Self>,
        listener: TcpListener,
        shutdown: CancellationToken,
    ) -> std::io::Result<()> {
        let limit = match self.settings.max_connections {
            0 => Semaphore::MAX_PERMITS,
            n => n,
        };
        let slots = Arc::new(Semaphore::new(limit));
        let refresher = self.clone();
        let every = Duration::from_secs(self.settings.refresh_secs.max(1));
        let stop = shutdown.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = stop.cancelled() => return,
                    _ = tokio::time::sleep(every) => {}
                }
                if let Err(e) = refresher.refresh().await {
                    tracing::warn!(error = %e, "re-reading the lake's tables failed; keeping the previous list");
                }
            }
        });
        loop {
            let (socket, peer) = tokio::select! {
                _ = shutdown.cancelled() => return Ok(()),
                accepted = listener.accept() => match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        tracing::warn!(error = %e, "accepting a Postgres connection failed");
                        continue;
                    }
                },
            };
            let Ok(permit) = slots.clone().try_acquire_owned() else {
                tracing::warn!(%peer, limit, "Postgres connection refused: [sql] max_connections reached");
                tokio::spawn(refuse::too_many(socket));
                continue;
            };
            let handlers = Arc::new(self.handlers());
            let tls = self.tls.clone();
            tokio::spawn(async move {
                let _permit = permit;
                if let Err(e) = pgwire::tokio::process_socket(socket, tls, handlers).await {
                    tracing::info!(%peer, error = %e, "Postgres connection ended with an error");
                }
            });
        }
    }

    fn handlers(&self) -> Handlers {
        let mut scram = ScramAuth::new(self.users.clone());
        scram.set_iterations(auth::ITERATIONS);
        if let Some(pem) = &self.certificate
            && let Err(e) = scram.configure_certificate(pem)
        {
            tracing::warn!(error = %e, "SCRAM channel binding is off: the certificate could not be read");
        }
        let startup =
            SASLAuthStartupHandler::new(Arc::new(DefaultServerParameterProvider::default()))
                .with_scram(scram)
                .with_connection_manager(self.connections.clone());
        Handlers {
            service: self.service.read().expect("service lock").clone(),
            startup: Arc::new(startup),
            cancel: Arc::new(DefaultCancelHandler::new(self.connections.clone())),
        }
    }
}

/// A session over the lake with pg_catalog and the read-only hook first.
async fn session(
    lake: &Lake,
    settings: &SqlSettings,
    runtime: Arc<RuntimeEnv>,
) -> Result<Arc<DfSessionService>, Error> {
    let ctx = super::open(lake, Some(runtime), settings.query_timeout()).await?;
    let catalog = ctx
        .state()
        .config()
        .options()
        .catalog
        .default_catalog
        .clone();
    setup_pg_catalog(
        &ctx,
        &catalog,
        Arc::new(datafusion_postgres::auth::AuthManager::default()),
    )
    .map_err(|e| Error::Config(format!("setting up pg_catalog: {e}")))?;
    let hooks: Vec<Arc<dyn datafusion_postgres::QueryHook>> = vec![
        Arc::new(hook::ReadOnly),
        Arc::new(CursorStatementHook),
        Arc::new(SetShowHook),
        Arc::new(TransactionStatementHook),
    ];
    Ok(Arc::new(DfSessionService::new_with_hooks(
        Arc::new(ctx),
        hooks,
    )))
}

/// One connection's handlers.
struct Handlers {
    service: Arc<DfSessionService>,
    startup: Arc<SASLAuthStartupHandler<DefaultServerParameterProvider>>,
    cancel: Arc<DefaultCancelHandler>,
}

impl PgWireServerHandlers for Handlers {
    fn simple_query_handler(&self) -> Arc<impl pgwire::api::query::SimpleQueryHandler> {
        self.service.clone()
    }

    fn extended_query_handler(&self) -> Arc<impl pgwire::api::query::ExtendedQueryHandler> {
        self.service.clone()
    }

    fn startup_handler(&self) -> Arc<impl pgwire::api::auth::StartupHandler> {
        self.startup.clone()
    }

    fn cancel_handler(&self) -> Arc<impl pgwire::api::cancel::CancelHandler> {
        self.cancel.clone()
    }

    fn error_handler(&self) -> Arc<impl ErrorHandler> {
        Arc::new(LogErrors)
    }
}

/// Logs what was refused or failed (never the query text or parameters).
struct LogErrors;

impl ErrorHandler for LogErrors {
    fn on_error<C>(&self, client: &C, error: &mut PgWireError)
    where
        C: ClientInfo,
    {
        let user = client
            .metadata()
            .get(pgwire::api::METADATA_USER)
            .cloned()
            .unwrap_or_default();
        tracing::info!(peer = %client.socket_addr(), user, error = %error, "Postgres request failed");
    }
}

/// The TLS acceptor and the certificate PEM (for SCRAM channel binding).
fn tls_acceptor(
    cert: &std::path::Path,
    key: &std::path::Path,
) -> Result<(pgwire::tokio::TlsAcceptor, Vec<u8>), Error> {
    use tokio_rustls::rustls;
    let read = |p: &std::path::Path| {
        std::fs::read(p).map_err(|e| Error::Tls(format!("reading {}: {e}", p.display())))
    };
    let cert_pem = read(cert)?;
    let key_pem = read(key)?;
    let certs = rustls_pemfile::certs(&mut cert_pem.as_slice())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Error::Tls(format!("{}: {e}", cert.display())))?;
    if certs.is_empty() {
        return Err(Error::Tls(format!(
            "{} holds no PEM certificate",
            cert.display()
        )));
    }
    let key = rustls_pemfile::private_key(&mut key_pem.as_slice())
        .map_err(|e| Error::Tls(format!("{}: {e}", key.display())))?
        .ok_or_else(|| Error::Tls(format!("{} holds no PEM private key", key.display())))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| Error::Tls(format!("certificate and key do not fit: {e}")))?;
    Ok((pgwire::tokio::TlsAcceptor::from(Arc::new(config)), cert_pem))
}
