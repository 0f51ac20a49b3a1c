//! Following the change log: batches of changes are re-read from the database and applied, the
//! index is committed, and only then does the cursor move. The cursor is a watermark below which
//! every id was seen.
//!
//! On PostgreSQL an id can commit after a higher one: a missing id (a gap) belongs to a
//! transaction that is still open or was rolled back. A gap is fenced: a moment after it is first
//! seen, the tailer notes the snapshot's `xmax`, above every transaction id assigned so far,
//! the gap's included. Once the oldest running transaction (`xmin`) has passed the fence, the
//! gap's transaction has ended; the rows are read after that check, so a commit would be seen,
//! and a gap still missing was rolled back. A transaction may stay open as long as it likes.
//! On SQLite writers take turns and ids commit in order, so a gap is never filled later.

use std::{
    collections::{BTreeMap, BTreeSet},
    future::Future,
    sync::Arc,
    time::{Duration, Instant},
};

use entities::search_change;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use search_index::Kind;
use tracing::{info, warn};

use super::{
    SearchService,
    documents::{self, Rebuilt, SearchSource, TenantDirectory},
};
use crate::state::AppState;

const BATCH: u64 = 1000;
const POLL: Duration = Duration::from_millis(300);
/// How long after a gap is first seen its fence is set. A transaction takes its id from the
/// sequence a moment before it is assigned a transaction id; the fence must be above both.
const FENCE_DELAY: Duration = Duration::from_secs(1);
/// While a rebuild's fence is open, the cursor stored is this far below the rebuild's starting
/// point, so that a restart meanwhile applies the latest changes again.
const REBUILD_OVERLAP: i64 = 1000;

impl RebuildFence {
    fn to_text(self) -> String {
        format!("{} {} {}", self.xmin, self.xmax, self.through)
    }

    fn parse(text: &str) -> Option<Self> {
        let mut numbers = text.split_whitespace().map(str::parse::<i64>);
        match (numbers.next(), numbers.next(), numbers.next()) {
            (Some(Ok(xmin)), Some(Ok(xmax)), Some(Ok(through))) => Some(Self {
                xmax,
                xmin,
                through,
            }),
            _ => None,
        }
    }
}

/// PostgreSQL: what a rebuild may have missed. Transactions that were running when it began
/// can commit log rows below its starting point after it read the database; once every one of
/// them has ended, the rows they (or anything later) inserted up to that point are applied again.
#[derive(Clone, Copy, Debug)]
struct RebuildFence {
    /// The `xmax` when the rebuild began: above every transaction then running.
    xmax: i64,
    /// The `xmin` then: no row inserted by an older transaction needs applying again.
    xmin: i64,
    /// The highest log id when the rebuild began.
    through: i64,
}

/// A missing id and what it waits for.
struct Gap {
    seen: Instant,
    /// The `xmax` of a snapshot taken `FENCE_DELAY` after the gap was seen.
    fence: Option<i64>,
}

/// What PostgreSQL's current snapshot says of running transactions.
#[derive(Clone, Copy, Debug)]
struct Snapshot {
    /// The oldest transaction still running.
    xmin: i64,
    /// One above the newest transaction id assigned.
    xmax: i64,
    /// When it was taken.
    at: Instant,
}

pub struct Tailer {
    state: AppState,
    service: Arc<SearchService>,
    /// What each kind of document is read from (every domain's, handed in by the top).
    sources: &'static [SearchSource],
    watermark: i64,
    /// The highest id read from the log; ids between the watermark and this are applied or gaps.
    seen_through: i64,
    gaps: BTreeMap<i64, Gap>,
    /// Rebuild requests up to this id are satisfied by the last rebuild.
    rebuilt_through: i64,
    rebuild_fence: Option<RebuildFence>,
    /// When the open fence's `xmax` is to be raised; `None` once it has been.
    fence_raise_at: Option<Instant>,
    /// The compaction the last rebuild started in the background: a next rebuild waits for it,
    /// which would otherwise commit the index that rebuild has half written.
    compaction: Option<tokio::task::JoinHandle<()>>,
}

impl Tailer {
    pub fn new(
        state: AppState,
        service: Arc<SearchService>,
        sources: &'static [SearchSource],
    ) -> Self {
        let watermark = service.cursor();
        // A fence still open when the node stopped is kept until it closes.
        let rebuild_fence = service
            .rebuild_fence()
            .as_deref()
            .and_then(RebuildFence::parse);
        Self {
            state,
            service,
            sources,
            watermark,
            seen_through: watermark,
            gaps: BTreeMap::new(),
            rebuilt_through: watermark,
            // A fence loaded from disk is raised again: its own raise may not have happened.
            fence_raise_at: rebuild_fence.map(|_| Instant::now() + FENCE_DELAY),
            rebuild_fence,
            compaction: None,
        }
    }

    /// Rebuilds the whole index from the database, then merges it into one segment in the
    /// background while changes keep flowing.
    pub async fn rebuild(&mut self) -> anyhow::Result<u64> {
        let count = self.rebuild_reporting(&|_| {}).await?;
        let service = self.service.clone();
        self.compaction = Some(tokio::task::spawn_blocking(move || {
            let started = Instant::now();
            match service.index.compact() {
                Ok(()) => info!(
                    elapsed_ms = started.elapsed().as_millis(),
                    "search index compacted"
                ),
                Err(error) => warn!(%error, "search index compaction failed"),
            }
        }));
        Ok(count)
    }

    /// Rebuilds, telling `progress` how many documents are done after each page.
    pub async fn rebuild_reporting(
        &mut self,
        progress: &(dyn Fn(u64) + Sync),
    ) -> anyhow::Result<u64> {
        if let Some(compaction) = self.compaction.take() {
            // It failed or finished; either way it no longer holds the writer.
            let _ = compaction.await;
        }
        self.service.set_ready(false);
        let started = Instant::now();
        let snapshot = self.snapshot().await?;
        let high = search_change::Entity::find()
            .select_only()
            .column_as(search_change::Column::Id.max(), "max")
            .into_tuple::<Option<i64>>()
            .one(&self.state.db)
            .await?
            .flatten()
            .unwrap_or(0);
        let high_read_at = Instant::now();
        let mut tenants = TenantDirectory::load(&self.state.db, self.state.clock.now()).await?;
        // The index is written on a thread of its own, a page or two behind the reading: the
        // writer does the analysis, and a compaction may hold it for seconds.
        let (pages, mut received) = tokio::sync::mpsc::channel(2);
        let writer = self.service.clone();
        let indexing = tokio::task::spawn_blocking(move || -> anyhow::Result<u64> {
            let written = (|| {
                writer.index.clear()?;
                let mut count = 0_u64;
                loop {
                    match received.blocking_recv() {
                        Some(Rebuilt::Page(page)) => {
                            count += page.len() as u64;
                            writer.index.upsert(&page)?;
                        }
                        Some(Rebuilt::Complete) => break,
                        None => anyhow::bail!("the rebuild's reading stopped before the end"),
                    }
                }
                writer.index.commit()?;
                Ok(count)
            })();
            if written.is_err() {
                // Nothing of a half-written index is left for the next commit to show.
                writer.index.rollback()?;
            }
            written
        });
        let read =
            documents::all(&self.state.db, self.sources, &mut tenants, &pages, progress).await;
        // Closed: the indexer has stopped, and its error is the one told (it is why the reading
        // stopped, unless both failed at once).
        let indexer_stopped = pages.is_closed();
        drop(pages);
        let indexed = indexing.await?;
        let count = match read {
            Err(error) if !indexer_stopped => return Err(error),
            _ => indexed?,
        };
        // SQLite: ids commit in order, so everything up to `high` was read.
        self.watermark = high;
        self.rebuilt_through = high;
        self.seen_through = high;
        self.gaps.clear();
        // PostgreSQL: fenced (and the fence kept beside the cursor) until every transaction
        // that may hold an id up to `high` has ended.
        self.rebuild_fence = snapshot.map(|before| RebuildFence {
            xmax: before.xmax,
            xmin: before.xmin,
            through: high,
        });
        self.service
            .store_rebuild_fence(self.rebuild_fence.map(RebuildFence::to_text))?;
        self.store_cursor()?;
        self.service.set_ready(true);
        // A transaction takes its log id a moment before its transaction id: the fence is
        // raised to a snapshot taken `FENCE_DELAY` after `high` was read, above both (by a
        // later tick, so that changes keep flowing meanwhile).
        self.fence_raise_at = self.rebuild_fence.map(|_| high_read_at + FENCE_DELAY);
        info!(
            documents = count,
            elapsed_ms = started.elapsed().as_millis(),
            "search index rebuilt"
        );
        Ok(count)
    }

    /// Every id at or below this has been applied or is known never to commit.
    pub fn watermark(&self) -> i64 {
        self.watermark
    }

    /// The running transactions, on PostgreSQL; `None` on SQLite.
    async fn snapshot(&self) -> anyhow::Result<Option<Snapshot>> {
        if !crate::db::is_postgres(&self.state.db) {
            return Ok(None);
        }
        let row = self
            .state
            .db
            .query_one_raw(sea_orm::Statement::from_string(
                sea_orm::DbBackend::Postgres,
                "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS xmin, \
                 pg_snapshot_xmax(pg_current_snapshot())::text::bigint AS xmax",
            ))
            .await?
            .ok_or_else(|| anyhow::anyhow!("no snapshot"))?;
        Ok(Some(Snapshot {
            xmin: row.try_get("", "xmin")?,
            xmax: row.try_get("", "xmax")?,
            at: Instant::now(),
        }))
    }

    /// Applies what the log holds beyond what was read, and gaps that have since committed;
    /// returns how many changes were applied.
    pub async fn tick(&mut self) -> anyhow::Result<usize> {
        // Taken before the rows are read: a transaction that ended before it is seen below.
        let snapshot = self.snapshot().await?;
        let mut rows = search_change::Entity::find()
            .filter(search_change::Column::Id.gt(self.seen_through))
            .order_by_asc(search_change::Column::Id)
            .limit(BATCH)
            .all(&self.state.db)
            .await?;
        let read_through = rows.last().map_or(self.seen_through, |row| row.id);
        // The gaps looked for again, a batch at a time; only these can be found to have ended.
        let waiting: BTreeSet<i64> = self.gaps.keys().copied().take(BATCH as usize).collect();
        if !waiting.is_empty() {
            rows.extend(
                search_change::Entity::find()
                    .filter(search_change::Column::Id.is_in(waiting.iter().copied()))
                    .all(&self.state.db)
                    .await?,
            );
        }
        if rows
            .iter()
            .any(|row| row.kind == super::REBUILD && row.id > self.rebuilt_through)
        {
            // `socorg reindex` asked this node to rebuild; the rebuild covers everything so far.
            self.rebuild().await?;
            return Ok(rows.len());
        }
        self.apply(&rows).await?;
        if self.state.config.crash_after_index_commit && !rows.is_empty() {
            warn!("aborting after the index commit, before the cursor moves (crash test)");
            std::process::abort();
        }
        let found: BTreeSet<i64> = rows.iter().map(|row| row.id).collect();
        self.settle(read_through, &found, &waiting, snapshot);
        let mut applied = rows.len();
        if let (Some(fence), Some(snapshot)) = (self.rebuild_fence.as_mut(), snapshot) {
            match self.fence_raise_at {
                Some(at) if Instant::now() >= at => {
                    fence.xmax = fence.xmax.max(snapshot.xmax);
                    self.fence_raise_at = None;
                    let text = fence.to_text();
                    self.service.store_rebuild_fence(Some(text))?;
                }
                Some(_) => {}
                None if snapshot.xmin >= fence.xmax => {
                    let fence = *fence;
                    applied += self.close_rebuild_fence(fence).await?;
                }
                None => {}
            }
        }
        self.store_cursor()?;
        Ok(applied)
    }

    /// The cursor kept beside the index: the watermark, or below it while a rebuild's fence is
    /// open.
    fn store_cursor(&self) -> anyhow::Result<()> {
        let cursor = match self.rebuild_fence {
            Some(fence) => self.watermark.min((fence.through - REBUILD_OVERLAP).max(0)),
            None => self.watermark,
        };
        self.service.store_cursor(cursor)?;
        Ok(())
    }

    /// Every transaction running when the last rebuild began has ended: applies again the log
    /// rows up to the rebuild's start that they, or later transactions, inserted.
    async fn close_rebuild_fence(&mut self, fence: RebuildFence) -> anyhow::Result<usize> {
        // Row `xmin`s are 32-bit transaction ids, the fence's are 64-bit (epoch and id): rows
        // are compared by `age(xmin)`, which counts back from the current id and so holds
        // across a wraparound. The margin covers the difference between the id `age` counts
        // from and the snapshot's `xmax`; it only applies a few more rows again.
        let late: Vec<i64> = self
            .state
            .db
            .query_all_raw(sea_orm::Statement::from_sql_and_values(
                sea_orm::DbBackend::Postgres,
                "SELECT id FROM search_changes WHERE id <= $1 \
                 AND age(xmin) <= pg_snapshot_xmax(pg_current_snapshot())::text::bigint - $2 + 1000 \
                 ORDER BY id",
                [fence.through.into(), fence.xmin.into()],
            ))
            .await?
            .iter()
            .map(|row| row.try_get::<i64>("", "id"))
            .collect::<Result<_, _>>()?;
        let mut applied = 0;
        for ids in late.chunks(BATCH as usize) {
            let rows = search_change::Entity::find()
                .filter(search_change::Column::Id.is_in(ids.iter().copied()))
                .all(&self.state.db)
                .await?;
            applied += self.apply(&rows).await?;
        }
        if applied > 0 {
            info!(
                changes = applied,
                "changes that committed during the rebuild applied"
            );
        }
        self.rebuild_fence = None;
        self.service.store_rebuild_fence(None)?;
        Ok(applied)
    }

    /// Brings the documents the rows name up to date in the index, and commits it.
    async fn apply(&self, rows: &[search_change::Model]) -> anyhow::Result<usize> {
        if rows.is_empty() {
            return Ok(0);
        }
        let latest: BTreeSet<(&str, &str)> = rows
            .iter()
            .map(|row| (row.kind.as_str(), row.object_id.as_str()))
            .collect();
        let mut tenants = TenantDirectory::load(&self.state.db, self.state.clock.now()).await?;
        let mut by_kind: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (kind, id) in latest {
            by_kind.entry(kind).or_default().push(id);
        }
        let mut upserts = Vec::new();
        let mut removals = Vec::new();
        for (kind, ids) in by_kind {
            let Some(kind) = Kind::parse(kind) else {
                continue;
            };
            for (id, document) in
                documents::current_many(&self.state.db, self.sources, kind, &ids, &mut tenants)
                    .await?
            {
                match document {
                    Some(document) => upserts.push(document),
                    None => removals.push((kind, id)),
                }
            }
        }
        // Off the async workers: the writer can be held for seconds (a compaction waits for
        // merges under it).
        let writer = self.service.clone();
        tokio::task::spawn_blocking(move || {
            for (kind, id) in &removals {
                writer.index.remove(*kind, id)?;
            }
            writer.index.upsert(&upserts)?;
            writer.index.commit()
        })
        .await??;
        Ok(rows.len())
    }

    /// Records the gaps below what was read, drops those filled or ended, and moves the
    /// watermark up to the first gap still open. A gap can only be found to have ended if it
    /// was looked for (`waiting`) after the snapshot was taken.
    fn settle(
        &mut self,
        read_through: i64,
        found: &BTreeSet<i64>,
        waiting: &BTreeSet<i64>,
        snapshot: Option<Snapshot>,
    ) {
        self.gaps.retain(|id, _| !found.contains(id));
        if let Some(snapshot) = snapshot {
            let now = Instant::now();
            for id in self.seen_through + 1..read_through {
                if !found.contains(&id) {
                    self.gaps.insert(
                        id,
                        Gap {
                            seen: now,
                            fence: None,
                        },
                    );
                }
            }
            // Every gap is timed and fenced, not only the first. The fence is a snapshot taken
            // `FENCE_DELAY` or more after the gap was seen.
            self.gaps.retain(|id, gap| {
                if gap.fence.is_none()
                    && snapshot.at.saturating_duration_since(gap.seen) >= FENCE_DELAY
                {
                    gap.fence = Some(snapshot.xmax);
                }
                // Kept until the transaction that took the id has ended without committing it.
                !waiting.contains(id) || gap.fence.is_none_or(|fence| snapshot.xmin < fence)
            });
        }
        // SQLite: writers take turns and ids commit in order, so no gap is ever filled later.
        self.seen_through = read_through;
        self.watermark = self
            .gaps
            .keys()
            .next()
            .map_or(self.seen_through, |first| first - 1);
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
