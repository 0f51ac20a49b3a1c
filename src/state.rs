//! The application state every handler and service receives: cheap to clone.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::{
    audit::AuditKey, auth::password::PasswordHasher, clock::SharedClock, config::Config,
    documents::DocumentStore, http::metrics::Metrics, keys::Pseudonyms, mail::Mailer,
    ratelimit::LocalLimiter, search::SearchService,
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
    /// Marks and links audit events (derived from the master key).
    pub audit: AuditKey,
    /// Keyed hashes of personal data for logs and counters (derived from the master key).
    pub pseudonyms: Pseudonyms,
    /// Where slowed login attempts wait their turn, on this node.
    pub slow_lane: Arc<crate::ratelimit::SlowLane>,
}
