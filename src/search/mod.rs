//! Public search: this node's tantivy index (the `search-index` crate), fed from the search
//! change log that every change to a public document appends to in its own transaction. The
//! tailer applies changes in batches, commits the index and only then advances its cursor,
//! stored beside the index; an index that is missing, unreadable or of an older schema is
//! rebuilt from the database at start while the server keeps answering.

pub mod api;
pub mod documents;
pub mod index;
pub mod tailer;

use entities::search_change;
use sea_orm::{ActiveValue::NotSet, ActiveValue::Set, EntityTrait};

pub use index::{Kind, REBUILD, SearchService, record_change, record_changes};

/// What `socorg reindex` did.
pub enum ReindexOutcome {
    /// The index was rebuilt here, with so many documents.
    Rebuilt(u64),
    /// A running server holds the index; it was asked (through the log) to rebuild.
    Requested,
}

/// Rebuilds this node's index from the database, or asks the running server to.
pub async fn reindex(
    state: &crate::state::AppState,
    sources: &'static [documents::SearchSource],
    progress: &(dyn Fn(u64, u64) + Sync),
) -> anyhow::Result<ReindexOutcome> {
    let folder = state.config.data_dir.join("search");
    let service = match SearchService::open_for_writing(&folder)? {
        Some(service) => std::sync::Arc::new(service),
        // A running server holds it (perhaps of another schema version; it was left alone).
        None => {
            search_change::Entity::insert(search_change::ActiveModel {
                id: NotSet,
                kind: Set(REBUILD.to_owned()),
                object_id: Set(String::new()),
                created_at: Set(state.clock.now()),
            })
            .exec_without_returning(&state.db)
            .await?;
            return Ok(ReindexOutcome::Requested);
        }
    };
    let total = documents::count(&state.db, sources).await?;
    let mut with_search = state.clone();
    with_search.search = Some(service.clone());
    let mut tailer = tailer::Tailer::new(with_search, service.clone(), sources);
    let done = tailer
        .rebuild_reporting(&|done| progress(done, total))
        .await?;
    // One segment for the server to open: most of a query's fixed cost is per segment.
    tokio::task::spawn_blocking(move || service.index.compact()).await??;
    Ok(ReindexOutcome::Rebuilt(done))
}
