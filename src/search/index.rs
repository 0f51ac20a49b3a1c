//! This node's index handle: the tantivy index, where it stands (ready, the cursor of the
//! change log applied, a rebuild asked for), and the change log every change to a public
//! document appends to. A foundation room: it knows neither the domains nor `AppState`.

use std::{
    path::{Path, PathBuf},
    sync::atomic::{AtomicBool, Ordering},
};

use chrono::{DateTime, Utc};
use entities::search_change;
use sea_orm::{ActiveValue::NotSet, ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait};
pub use search_index::Kind;
use search_index::{SCHEMA_VERSION, SearchIndex};
use tracing::warn;

/// Appends a change of a public document to the log; call inside the transaction that changes it.
pub async fn record_change(
    db: &impl ConnectionTrait,
    kind: Kind,
    object_id: impl ToString,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    search_change::Entity::insert(search_change::ActiveModel {
        id: NotSet,
        kind: Set(kind.as_str().to_owned()),
        object_id: Set(object_id.to_string()),
        created_at: Set(now),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Logs a change to many objects of one kind at once (bulk imports).
pub async fn record_changes(
    db: &impl ConnectionTrait,
    kind: Kind,
    object_ids: &[impl ToString],
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    if object_ids.is_empty() {
        return Ok(());
    }
    search_change::Entity::insert_many(object_ids.iter().map(|id| search_change::ActiveModel {
        id: NotSet,
        kind: Set(kind.as_str().to_owned()),
        object_id: Set(id.to_string()),
        created_at: Set(now),
    }))
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// The change-log kind that asks every node to rebuild its index.
pub const REBUILD: &str = "rebuild";

/// Another process (a running server) holds the index's writer: its folder is left alone.
#[derive(Debug, thiserror::Error)]
#[error("another process holds the search index in {}", .0.display())]
pub(super) struct IndexHeld(PathBuf);

/// This node's index and where it stands.
pub struct SearchService {
    pub index: SearchIndex,
    pub(super) folder: PathBuf,
    /// False while the index is being rebuilt.
    ready: AtomicBool,
    /// Set when the index had to be created or replaced at start.
    needs_rebuild: AtomicBool,
    /// When the tailer last finished a round (seconds since the epoch), for readiness.
    heartbeat: std::sync::atomic::AtomicU64,
}

fn epoch_seconds() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

const VERSION_FILE: &str = "schema-version";
const CURSOR_FILE: &str = "cursor";
const REBUILD_FENCE_FILE: &str = "rebuild-fence";

impl SearchService {
    /// Opens the index in `folder`; an unreadable index or one of another schema version is
    /// moved aside and a fresh one created, to be rebuilt. An index another process holds is
    /// not touched (`IndexHeld`), whatever its version.
    pub fn open(folder: &Path) -> anyhow::Result<Self> {
        if SearchIndex::is_held(folder)? {
            return Err(IndexHeld(folder.to_path_buf()).into());
        }
        let version = std::fs::read_to_string(folder.join(VERSION_FILE)).ok();
        let current =
            version.as_deref().map(str::trim) == Some(SCHEMA_VERSION.to_string().as_str());
        let mut needs_rebuild = !current || !folder.join(CURSOR_FILE).exists();
        if folder.exists() && !current {
            warn!(folder = %folder.display(), "search index of another schema version; rebuilding");
            std::fs::remove_dir_all(folder)?;
        }
        let index = match SearchIndex::open_or_create(folder) {
            Ok(index) => index,
            Err(error) => {
                warn!(%error, "search index unreadable; rebuilding");
                std::fs::remove_dir_all(folder)?;
                needs_rebuild = true;
                SearchIndex::open_or_create(folder)?
            }
        };
        std::fs::write(folder.join(VERSION_FILE), SCHEMA_VERSION.to_string())?;
        Ok(Self {
            index,
            folder: folder.to_path_buf(),
            ready: AtomicBool::new(!needs_rebuild),
            needs_rebuild: AtomicBool::new(needs_rebuild),
            heartbeat: std::sync::atomic::AtomicU64::new(epoch_seconds()),
        })
    }

    /// Opens the index in `folder` and takes its writer; `None` when another process (a running
    /// server) holds it, which leaves it untouched.
    pub fn open_for_writing(folder: &Path) -> anyhow::Result<Option<Self>> {
        match Self::open(folder) {
            Ok(service) if service.index.try_acquire_writer()? => Ok(Some(service)),
            Ok(_) => Ok(None),
            Err(error) if error.is::<IndexHeld>() => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// Whether the tailer has finished a round lately (a dead or stuck tailer shows here).
    pub fn is_following(&self) -> bool {
        epoch_seconds().saturating_sub(self.heartbeat.load(Ordering::SeqCst)) < 60
    }

    pub(super) fn beat(&self) {
        self.heartbeat.store(epoch_seconds(), Ordering::SeqCst);
    }

    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::SeqCst)
    }

    pub(super) fn set_ready(&self, ready: bool) {
        self.ready.store(ready, Ordering::SeqCst);
    }

    pub(super) fn request_rebuild(&self) {
        self.needs_rebuild.store(true, Ordering::SeqCst);
    }

    pub(super) fn take_rebuild_request(&self) -> bool {
        self.needs_rebuild.swap(false, Ordering::SeqCst)
    }

    /// The last change-log id whose effect the index holds durably.
    pub fn cursor(&self) -> i64 {
        std::fs::read_to_string(self.folder.join(CURSOR_FILE))
            .ok()
            .and_then(|text| text.trim().parse().ok())
            .unwrap_or(0)
    }

    /// The open fence of the last rebuild (PostgreSQL), as the tailer wrote it.
    pub(super) fn rebuild_fence(&self) -> Option<String> {
        std::fs::read_to_string(self.folder.join(REBUILD_FENCE_FILE)).ok()
    }

    /// Keeps the rebuild's fence beside the cursor, or removes it once closed.
    pub(super) fn store_rebuild_fence(&self, fence: Option<String>) -> std::io::Result<()> {
        let path = self.folder.join(REBUILD_FENCE_FILE);
        match fence {
            Some(text) => {
                let partial = self.folder.join(format!("{REBUILD_FENCE_FILE}.partial"));
                std::fs::write(&partial, text)?;
                std::fs::rename(partial, path)
            }
            None => match std::fs::remove_file(path) {
                Err(error) if error.kind() != std::io::ErrorKind::NotFound => Err(error),
                _ => Ok(()),
            },
        }
    }

    /// Stores the cursor (write to a new file, then rename, so it is never half written).
    pub(super) fn store_cursor(&self, cursor: i64) -> std::io::Result<()> {
        let partial = self.folder.join(format!("{CURSOR_FILE}.partial"));
        std::fs::write(&partial, cursor.to_string())?;
        std::fs::rename(partial, self.folder.join(CURSOR_FILE))
    }
}

#[cfg(test)]
mod tests {
    use super::{SCHEMA_VERSION, SearchService, VERSION_FILE};

    #[test]
    fn an_index_of_another_version_or_unreadable_is_not_ready_until_rebuilt() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("search");
        let fresh = SearchService::open(&path).unwrap();
        assert!(!fresh.is_ready(), "a new index waits for its rebuild");
        drop(fresh);
        std::fs::write(path.join("cursor"), "7").unwrap();
        let current = SearchService::open(&path).unwrap();
        assert!(
            current.is_ready(),
            "a current index with a cursor serves at once"
        );
        assert_eq!(current.cursor(), 7);
        drop(current);

        std::fs::write(path.join(VERSION_FILE), "0").unwrap();
        let outdated = SearchService::open(&path).unwrap();
        assert!(!outdated.is_ready());
        assert!(outdated.take_rebuild_request());
        assert_eq!(
            outdated.cursor(),
            0,
            "the old cursor went with the old index"
        );
        drop(outdated);

        std::fs::write(path.join("cursor"), "7").unwrap();
        std::fs::write(path.join("meta.json"), "{ not json").unwrap();
        let unreadable = SearchService::open(&path).unwrap();
        assert!(!unreadable.is_ready());
        assert!(unreadable.take_rebuild_request());
        assert_eq!(
            std::fs::read_to_string(path.join(VERSION_FILE)).unwrap(),
            SCHEMA_VERSION.to_string()
        );
    }
}
