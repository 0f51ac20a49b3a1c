//! Following the change log: batches of changes are re-read from the database and applied, the
//! index is committed, and only then does the cursor move. On PostgreSQL an id can commit after
//! a higher one, so the cursor is a watermark below which every id was seen: a gap waits until
//! its row appears or, after a while, counts as a rolled-back transaction.

use std::{
    collections::{BTreeMap, BTreeSet, HashMap},
    future::Future,
    sync::Arc,
    time::{Duration, Instant},
};

use entities::search_change;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use search_index::Kind;
use tracing::{info, warn};

use super::{
    SearchService,
    documents::{self, TenantDirectory},
};
use crate::state::AppState;

const BATCH: u64 = 1000;
const POLL: Duration = Duration::from_millis(300);
/// How long a gap in the ids may stay open before it counts as a rolled-back transaction.
const GAP_PATIENCE: Duration = Duration::from_secs(30);
/// Changes this far below the rebuild's starting point are applied again after a rebuild, for
/// transactions that were still committing while it read the database.
const REBUILD_OVERLAP: i64 = 1000;

pub struct Tailer {
    state: AppState,
    service: Arc<SearchService>,
    watermark: i64,
    applied: BTreeSet<i64>,
    gaps: HashMap<i64, Instant>,
    /// Rebuild requests up to this id are satisfied by the last rebuild.
    rebuilt_through: i64,
}

impl Tailer {
    pub fn new(state: AppState, service: Arc<SearchService>) -> Self {
        let watermark = service.cursor();
        Self {
            state,
            service,
            watermark,
            applied: BTreeSet::new(),
            gaps: HashMap::new(),
            rebuilt_through: watermark,
        }
    }

    /// Rebuilds the whole index from the database.
    pub async fn rebuild(&mut self) -> anyhow::Result<u64> {
        self.rebuild_reporting(&|_| {}).await
    }

    /// Rebuilds, telling `progress` how many documents are done after each page.
    pub async fn rebuild_reporting(
        &mut self,
        progress: &(dyn Fn(u64) + Sync),
    ) -> anyhow::Result<u64> {
        self.service.set_ready(false);
        let started = Instant::now();
        let high = search_change::Entity::find()
            .select_only()
            .column_as(search_change::Column::Id.max(), "max")
            .into_tuple::<Option<i64>>()
            .one(&self.state.db)
            .await?
            .flatten()
            .unwrap_or(0);
        let tenants = TenantDirectory::load(&self.state.db).await?;
        let service = self.service.clone();
        service.index.clear()?;
        let mut count = 0_u64;
        documents::all(&self.state.db, &tenants, |page| {
            count += page.len() as u64;
            service.index.upsert(&page)?;
            progress(count);
            Ok(())
        })
        .await?;
        let committer = self.service.clone();
        tokio::task::spawn_blocking(move || committer.index.commit()).await??;
        self.watermark = (high - REBUILD_OVERLAP).max(0);
        self.rebuilt_through = high;
        self.applied.clear();
        self.gaps.clear();
        self.service.store_cursor(self.watermark)?;
        self.service.set_ready(true);
        info!(
            documents = count,
            elapsed_ms = started.elapsed().as_millis(),
            "search index rebuilt"
        );
        Ok(count)
    }

    /// Applies what the log holds beyond the watermark; returns how many changes were applied.
    pub async fn tick(&mut self) -> anyhow::Result<usize> {
        let rows = search_change::Entity::find()
            .filter(search_change::Column::Id.gt(self.watermark))
            .order_by_asc(search_change::Column::Id)
            .limit(BATCH)
            .all(&self.state.db)
            .await?;
        let fresh: Vec<&search_change::Model> = rows
            .iter()
            .filter(|row| !self.applied.contains(&row.id))
            .collect();
        if fresh
            .iter()
            .any(|row| row.kind == super::REBUILD && row.id > self.rebuilt_through)
        {
            // `socorg reindex` asked this node to rebuild; the rebuild covers everything so far.
            self.rebuild().await?;
            return Ok(fresh.len());
        }
        if !fresh.is_empty() {
            let mut latest: BTreeMap<(String, String), ()> = BTreeMap::new();
            for row in &fresh {
                latest.insert((row.kind.clone(), row.object_id.clone()), ());
            }
            let tenants = TenantDirectory::load(&self.state.db).await?;
            let mut upserts = Vec::new();
            for (kind, id) in latest.keys() {
                let Some(kind) = Kind::parse(kind) else {
                    continue;
                };
                match documents::current(&self.state.db, kind, id, &tenants).await? {
                    Some(document) => upserts.push(document),
                    None => self.service.index.remove(kind, id)?,
                }
            }
            let writer = self.service.clone();
            tokio::task::spawn_blocking(move || {
                writer.index.upsert(&upserts)?;
                writer.index.commit()
            })
            .await??;
            self.applied.extend(fresh.iter().map(|row| row.id));
        }
        let highest_seen = rows.last().map_or(self.watermark, |row| row.id);
        self.advance(highest_seen);
        self.service.store_cursor(self.watermark)?;
        Ok(fresh.len())
    }

    fn advance(&mut self, highest_seen: i64) {
        loop {
            let next = self.watermark + 1;
            if self.applied.remove(&next) {
                self.watermark = next;
                self.gaps.remove(&next);
                continue;
            }
            if next >= highest_seen {
                return;
            }
            let since = *self.gaps.entry(next).or_insert_with(Instant::now);
            if since.elapsed() < GAP_PATIENCE {
                return;
            }
            self.gaps.remove(&next);
            self.watermark = next;
        }
    }

    /// Rebuilds when the index needs it, then follows the log until `shutdown` resolves.
    pub async fn run_until(mut self, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        loop {
            // A rebuild that failed is tried again before anything else is applied.
            if self.service.take_rebuild_request()
                && let Err(error) = self.rebuild().await
            {
                warn!(%error, "search index rebuild failed; will retry");
                self.service.request_rebuild();
            } else if let Err(error) = self.tick().await {
                warn!(%error, "search index update failed; will retry");
            } else {
                self.service.beat();
            }
            tokio::select! {
                () = &mut shutdown => return,
                () = tokio::time::sleep(POLL) => {}
            }
        }
    }
}
