//! The application state every handler and service receives: cheap to clone.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::{
    auth::password::PasswordHasher, clock::SharedClock, config::Config, documents::DocumentStore,
    http::metrics::Metrics, mail::Mailer, ratelimit::LocalLimiter, search::SearchService,
};

#[derive(Clone)]
pub struct AppState {
    /// The application's pool (on PostgreSQL, connected as the non-owner role).
    pub db: DatabaseConnection,
    pub clock: SharedClock,
    pub config: Arc<Config>,
    pub passwords: PasswordHasher,
    pub metrics: Arc<Metrics>,
    pub mailer: Mailer,
    pub documents: DocumentStore,
    /// This node's search index; only `serve` opens it (commands never hold its writer).
    pub search: Option<Arc<SearchService>>,
    /// Limits on anonymous public reads, counted by this node.
    pub read_limits: Arc<LocalLimiter>,
}
