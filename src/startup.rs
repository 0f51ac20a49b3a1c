//! Building and running the server: `App::build` prepares everything and binds the port, so the
//! caller (main or a test) knows the address before the first request.

use std::{future::Future, net::SocketAddr, sync::Arc, time::Duration};

use anyhow::Context;
use poem::{Server, listener::TcpAcceptor};
use tracing::{info, warn};

use crate::{
    audit,
    auth::password::PasswordHasher,
    clock::SharedClock,
    config::{Config, redacted_url},
    db,
    documents::DocumentStore,
    http::{self, metrics::Metrics},
    mail::Mailer,
    search::{SearchService, tailer::Tailer},
    state::AppState,
    worker::Worker,
};

/// What the search index holds, each kind read by the domain that owns it.
pub const SEARCH_SOURCES: &[crate::search::documents::SearchSource] = &[
    crate::registry::search_source::ORGANISATIONS,
    crate::disclosures::search_source::DISCLOSURES,
];

/// How often committed audit events are chained.
const AUDIT_SEAL_INTERVAL: Duration = Duration::from_secs(1);
/// How long in-flight requests may take to finish after a shutdown signal.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

pub struct App {
    listener: std::net::TcpListener,
    local_addr: SocketAddr,
    state: AppState,
}

impl App {
    /// Creates the data folder, migrates the database, connects and binds the listening socket.
    pub async fn build(mut config: Config, clock: SharedClock) -> anyhow::Result<App> {
        let listener = std::net::TcpListener::bind(config.bind)
            .with_context(|| format!("cannot listen on {}", config.bind))?;
        listener.set_nonblocking(true)?;
        let local_addr = listener.local_addr()?;
        // Links in e-mails must reach this server, also when the port was chosen by the system.
        if config.public_url.is_none() {
            config.public_url = Some(format!("http://{local_addr}"));
        }
        let mut state = prepare_state(config, clock).await?;
        // The registry's daily sweep, if a tenant has an annual report deadline.
        crate::registry::annual::sweep::ensure_scheduled(&state.db, state.clock.now()).await?;
        // Tenants made before rubrics existed get the default ones.
        crate::evaluations::rubrics::ensure_defaults_everywhere(&state.db, state.clock.now())
            .await?;
        let folder = state.config.data_dir.join("search");
        // This server is the index's only writer; `socorg reindex` sees the lock and asks it.
        let search = tokio::task::spawn_blocking(move || SearchService::open_for_writing(&folder))
            .await??
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "another server holds the search index in {}; give each server its own \
                         --data-dir",
                    state.config.data_dir.display()
                )
            })?;
        state.search = Some(Arc::new(search));
        Ok(App {
            listener,
            local_addr,
            state,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves, then lets in-flight requests finish.
    pub async fn run_until(self, shutdown: impl Future<Output = ()> + Send) -> anyhow::Result<()> {
        let sealer = tokio::spawn(seal_audit_events(self.state.clone()));
        let tailer = self.state.search.clone().map(|search| {
            tokio::spawn(
                Tailer::new(self.state.clone(), search, SEARCH_SOURCES)
                    .run_until(std::future::pending::<()>()),
            )
        });
        let (stop_worker, worker_stopped) = tokio::sync::oneshot::channel::<()>();
        let worker = self.state.config.worker_in_serve.then(|| {
            tokio::spawn(Worker::new(self.state.clone()).run_until(async {
                let _ = worker_stopped.await;
            }))
        });
        info!(address = %self.local_addr, "socorg is listening");
        let acceptor = TcpAcceptor::from_std(self.listener)?;
        let served = Server::new_with_acceptor(http::wire::EdgeAcceptor(acceptor))
            .run_with_graceful_shutdown(
                crate::routes::endpoint(self.state.clone()),
                shutdown,
                Some(SHUTDOWN_GRACE),
            )
            .await;
        let _ = stop_worker.send(());
        if let Some(worker) = worker
            && let Err(error) = worker.await
        {
            warn!(%error, "job worker ended abnormally");
        }
        sealer.abort();
        if let Some(tailer) = tailer {
            tailer.abort();
            let _ = tailer.await;
        }
        if let Some(search) = &self.state.search {
            // A rebuild's indexer or a compaction may still be running; neither can take the
            // writer (and its lock) again.
            search.index.close();
        }
        if let Err(error) = seal_once(&self.state, 0).await {
            warn!(%error, "final audit sealing failed");
        }
        self.state.db.clone().close().await?;
        info!("socorg stopped");
        Ok(served?)
    }
}

/// Migrates and connects; used by `serve` and by the commands that need the database.
pub async fn prepare_state(config: Config, clock: SharedClock) -> anyhow::Result<AppState> {
    let master_key = migrate(&config, clock.now()).await?;
    let url = config.database_url();
    let connection = db::connect_app(&url)
        .await
        .context("cannot connect to the database")?;
    let mailer = Mailer::from_config(&config)?;
    let documents = DocumentStore::from_config(&config)
        .await
        .context("cannot open the document store")?;
    Ok(AppState {
        db: connection,
        clock,
        passwords: PasswordHasher::new(config.password_cost),
        config: Arc::new(config),
        metrics: Arc::new(Metrics::default()),
        mailer,
        documents,
        search: None,
        read_limits: Arc::new(crate::ratelimit::LocalLimiter::default()),
        audit: audit::AuditKey::from_master(&master_key),
        pseudonyms: crate::keys::Pseudonyms::from_master(&master_key),
        slow_lane: Arc::default(),
    })
}

/// Creates the data folder (0700), loads the master key, applies pending migrations and readies
/// the audit chain (`audit::prepare_chain`: keys a chain from before keying, or gives a new one
/// its first checkpoint). Returns the master key.
pub async fn migrate(
    config: &Config,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<crate::keys::MasterKey> {
    crate::files::create_private_dir_all(&config.data_dir).with_context(|| {
        format!(
            "cannot create the data folder {}",
            config.data_dir.display()
        )
    })?;
    let master_key = crate::keys::MasterKey::load(
        config
            .master_key
            .as_ref()
            .map(crate::config::Secret::expose),
        &config.data_dir,
    )?;
    let audit_key = audit::AuditKey::from_master(&master_key);
    let url = config.database_url();
    if url.starts_with("sqlite")
        && let Some(file) = db::sqlite_file_of(&url)
        && !file.exists()
    {
        // SQLite gives its journal files the database file's mode.
        crate::files::create_private(&file)
            .with_context(|| format!("cannot create {}", file.display()))?;
    }
    info!(database = %redacted_url(&url), "migrating the database");
    db::migrate(&url)
        .await
        .context("database migration failed")?;
    // Events of a chain from before it was keyed are keyed once, with the owner's rights.
    let store = DocumentStore::from_config(config)
        .await
        .context("cannot open the document store")?;
    let owner = db::connect_owner(&url).await?;
    let keyed = audit::prepare_chain(&owner, &audit_key, &store, now)
        .await
        .context("keying the audit chain");
    owner.close().await?;
    if let Some(events) = keyed? {
        info!(events, "the audit chain is keyed");
    }
    Ok(master_key)
}

/// Runs only the job worker (and the audit sealer) until `shutdown` resolves: `socorg worker`.
pub async fn run_worker(state: AppState, shutdown: impl Future<Output = ()> + Send) {
    let sealer = tokio::spawn(seal_audit_events(state.clone()));
    Worker::new(state.clone()).run_until(shutdown).await;
    sealer.abort();
    if let Err(error) = seal_once(&state, 0).await {
        warn!(%error, "final audit sealing failed");
    }
}

/// Seals pending audit events and checkpoints the head when it passed `checkpointed`.
pub async fn seal_once(state: &AppState, checkpointed: i64) -> anyhow::Result<i64> {
    audit::seal_and_checkpoint(
        &state.db,
        &state.audit,
        &state.documents,
        state.clock.now(),
        checkpointed,
    )
    .await
}

async fn seal_audit_events(state: AppState) {
    let mut ticker = tokio::time::interval(AUDIT_SEAL_INTERVAL);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut checkpointed = 0;
    loop {
        ticker.tick().await;
        match seal_once(&state, checkpointed).await {
            Ok(head) => checkpointed = head,
            Err(error) => warn!(%error, "audit sealing failed; will retry"),
        }
    }
}

/// Resolves on ctrl-c or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            warn!(%error, "cannot listen for ctrl-c");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                warn!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => info!("interrupted; shutting down"),
        () = terminate => info!("terminated; shutting down"),
    }
}
