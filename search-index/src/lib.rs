//! The public search index of socorg: organisations, disclosures (and later tenders) in one
//! tantivy index that understands Chinese: jieba words for precision, character bigrams and 4-grams
//! so any part of a name matches, pinyin and initials for names, folded widths and traditional
//! characters, and a list of everyday abbreviations. No sea-orm and no poem here: the server
//! feeds documents in and asks questions.

pub mod analysis;
mod any;
mod facets;
mod in_title;
mod kinds;
mod page;
mod pinyin;
mod query;
pub mod schema;
mod snippet;
mod traditional;
mod values;

use std::{
    path::Path,
    sync::{
        Arc, Mutex, MutexGuard,
        atomic::{AtomicBool, Ordering},
    },
};

use chrono::{DateTime, Utc};
use tantivy::{
    DateTime as TantivyDateTime, Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument,
    Term, directory::MmapDirectory,
};

pub use facets::Facets;
pub use query::{Hit, MAX_OFFSET, SearchQuery, SearchResults, Sort};
use schema::Fields;
pub use schema::SCHEMA_VERSION;

/// What a document is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Organisation,
    Disclosure,
    Tender,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Organisation => "organisation",
            Kind::Disclosure => "disclosure",
            Kind::Tender => "tender",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [Kind::Organisation, Kind::Disclosure, Kind::Tender]
            .into_iter()
            .find(|kind| kind.as_str() == value)
    }

    /// The facets documents of this kind can have a value for (besides `kind`): a search of
    /// such kinds only need not count the others, which are empty.
    pub fn facets(self) -> &'static [&'static str] {
        match self {
            Kind::Organisation => &[
                "tenant",
                "org_type",
                "status",
                "grade",
                "service_area",
                "year",
            ],
            Kind::Disclosure => &["tenant", "category", "year"],
            Kind::Tender => &facets::FACETS,
        }
    }
}

/// A public document to index. Only public data may be put here.
#[derive(Clone, Debug, Default)]
pub struct SearchDocument {
    pub kind: Option<Kind>,
    pub id: String,
    /// The tenant's slug.
    pub tenant: String,
    /// Slugs of the tenant and every tenant above it.
    pub tenant_path: Vec<String>,
    pub title: String,
    pub body: String,
    pub uscc: Option<String>,
    pub org_type: Option<String>,
    pub status: Option<String>,
    pub grade: Option<String>,
    pub service_areas: Vec<String>,
    pub category: Option<String>,
    pub published: Option<DateTime<Utc>>,
    /// Where the public reads it.
    pub url: String,
    /// The publication year as the publisher counts it (its time zone); from `published` in UTC
    /// when not given.
    pub year: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error(transparent)]
    Tantivy(#[from] tantivy::TantivyError),
    #[error("cannot open the index folder: {0}")]
    Directory(String),
    #[error("the index writer is not available")]
    WriterUnavailable,
    #[error("results beyond {0} are not paged; narrow the query")]
    OffsetTooLarge(usize),
}

/// The index, its reader, and (in the node that owns it) its single writer.
pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    writer: Mutex<Option<IndexWriter>>,
    /// Set by `close`: no writer is taken again.
    closed: AtomicBool,
    fields: Fields,
    /// Each live segment's values as the queries read them; decoded by the reader's warmer.
    values: Arc<values::ValuesCache>,
}

const WRITER_MEMORY: usize = 64 * 1024 * 1024;

impl SearchIndex {
    /// An index held in memory (tests, benchmarks).
    pub fn in_memory() -> Result<Self, SearchError> {
        let (schema, fields) = schema::build();
        Self::from_index(Index::create_in_ram(schema), fields)
    }

    /// Opens the index in `folder`, creating it when missing. An index of another schema version
    /// or one that cannot be opened is an error the caller answers by rebuilding into a new folder.
    pub fn open_or_create(folder: &Path) -> Result<Self, SearchError> {
        std::fs::create_dir_all(folder)
            .map_err(|error| SearchError::Directory(error.to_string()))?;
        let (schema, fields) = schema::build();
        let directory = MmapDirectory::open(folder)
            .map_err(|error| SearchError::Directory(error.to_string()))?;
        let index = Index::open_or_create(directory, schema)?;
        Self::from_index(index, fields)
    }

    fn from_index(index: Index, fields: Fields) -> Result<Self, SearchError> {
        analysis::register(&index);
        let values = Arc::new(values::ValuesCache::default());
        let warmer: Arc<dyn tantivy::Warmer> = values.clone();
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .warmers(vec![Arc::downgrade(&warmer)])
            .try_into()?;
        Ok(Self {
            index,
            reader,
            writer: Mutex::new(None),
            closed: AtomicBool::new(false),
            fields,
            values,
        })
    }

    /// The writer, if one is held. A panic while it was held (a bug in making a document, say)
    /// leaves it in a state nobody knows: it is dropped with its uncommitted changes, as a
    /// rollback would drop them, and the next change takes a new one. The index stays as last
    /// committed.
    fn writer_slot(&self) -> MutexGuard<'_, Option<IndexWriter>> {
        self.writer.lock().unwrap_or_else(|poisoned| {
            let mut guard = poisoned.into_inner();
            *guard = None;
            self.writer.clear_poison();
            guard
        })
    }

    fn with_writer<T>(
        &self,
        work: impl FnOnce(&mut IndexWriter) -> Result<T, SearchError>,
    ) -> Result<T, SearchError> {
        let mut guard = self.writer_slot();
        if self.closed.load(Ordering::SeqCst) {
            return Err(SearchError::WriterUnavailable);
        }
        if guard.is_none() {
            *guard = Some(self.index.writer(WRITER_MEMORY)?);
        }
        let writer = guard.as_mut().ok_or(SearchError::WriterUnavailable)?;
        let result = work(writer);
        if let Err(SearchError::Tantivy(_)) = &result {
            // One of its indexing threads may have died (a panic while analysing a document, a
            // full disk while writing a segment), and tantivy does not start it again: a writer
            // short of threads loses documents, or stops taking them. It is dropped with its
            // uncommitted changes, and the next change takes a new one.
            *guard = None;
        }
        result
    }

    fn key(kind: Kind, id: &str) -> String {
        format!("{}:{id}", kind.as_str())
    }

    /// Takes the index's writer now; `false` when another process holds it (a running server).
    pub fn try_acquire_writer(&self) -> Result<bool, SearchError> {
        match self.with_writer(|_| Ok(())) {
            Ok(()) => Ok(true),
            Err(SearchError::Tantivy(tantivy::TantivyError::LockFailure(..))) => Ok(false),
            Err(error) => Err(error),
        }
    }

    /// Lets go of the writer (and its lock), so that another process may take it.
    pub fn release_writer(&self) {
        if let Some(writer) = self.writer_slot().take() {
            let _ = writer.wait_merging_threads();
        }
    }

    /// Lets go of the writer for good (at shutdown). Work still running on other threads, a
    /// rebuild's indexer or a compaction, can no longer take it again, so the directory's lock
    /// is free for the next process; its changes not yet committed are dropped.
    pub fn close(&self) {
        let writer = {
            let mut guard = self.writer_slot();
            self.closed.store(true, Ordering::SeqCst);
            guard.take()
        };
        if let Some(writer) = writer {
            let _ = writer.wait_merging_threads();
        }
    }

    /// Whether a writer, of another process or of an index opened here, holds the index in
    /// `folder`; a folder that does not exist is held by none.
    pub fn is_held(folder: &Path) -> Result<bool, SearchError> {
        use tantivy::directory::{Directory, INDEX_WRITER_LOCK, error::LockError};
        if !folder.exists() {
            return Ok(false);
        }
        let directory = MmapDirectory::open(folder)
            .map_err(|error| SearchError::Directory(error.to_string()))?;
        match directory.acquire_lock(&INDEX_WRITER_LOCK) {
            Ok(_lock) => Ok(false),
            Err(LockError::LockBusy) => Ok(true),
            Err(error) => Err(SearchError::Directory(error.to_string())),
        }
    }

    /// Adds or replaces documents (not visible until `commit`).
    pub fn upsert(&self, documents: &[SearchDocument]) -> Result<(), SearchError> {
        self.with_writer(|writer| {
            for document in documents {
                let Some(kind) = document.kind else { continue };
                let key = Self::key(kind, &document.id);
                writer.delete_term(Term::from_field_text(self.fields.key, &key));
                writer.add_document(self.to_tantivy(kind, &key, document))?;
            }
            Ok(())
        })
    }

    /// Removes a document (not visible until `commit`).
    pub fn remove(&self, kind: Kind, id: &str) -> Result<(), SearchError> {
        self.with_writer(|writer| {
            writer.delete_term(Term::from_field_text(self.fields.key, &Self::key(kind, id)));
            Ok(())
        })
    }

    /// Removes every document (before a rebuild).
    pub fn clear(&self) -> Result<(), SearchError> {
        self.with_writer(|writer| {
            writer.delete_all_documents()?;
            Ok(())
        })
    }

    /// Forgets every change since the last commit. Without a writer there are none (a writer
    /// let go of forgets them), and none is taken.
    pub fn rollback(&self) -> Result<(), SearchError> {
        if let Some(writer) = self.writer_slot().as_mut() {
            writer.rollback()?;
        }
        Ok(())
    }

    /// Makes every change so far durable and searchable.
    pub fn commit(&self) -> Result<(), SearchError> {
        self.with_writer(|writer| {
            writer.commit()?;
            Ok(())
        })?;
        self.reader.reload()?;
        Ok(())
    }

    /// Waits until background merges are done and shows their result (benchmarks measure a
    /// settled index). Lets go of the writer, which the next change takes again.
    pub fn settle(&self) -> Result<(), SearchError> {
        self.release_writer();
        self.reader.reload()?;
        Ok(())
    }

    /// Merges every segment into one and shows the result. A query visits each segment, so
    /// after a rebuild (which leaves about one segment per writer flush) this saves most of a
    /// query's fixed cost; later changes add small segments, which the merge policy keeps few.
    /// Changes not yet committed are committed first (a later commit then has nothing of them
    /// left to do); changes made during the merge are kept, deletes included.
    ///
    /// The writer is held only to start the merge, so changes keep flowing while it runs. The
    /// merge policy is off meanwhile, so that no commit starts a merge of its own. A merge the
    /// policy started before may still end first and replace some of the segments; this
    /// merge's result is then dropped (tantivy keeps whichever ends first), and it starts again
    /// over the segments there are now, up to five times in all.
    pub fn compact(&self) -> Result<(), SearchError> {
        self.with_writer(|writer| {
            writer.set_merge_policy(Box::new(tantivy::indexer::NoMergePolicy));
            Ok(())
        })?;
        let merged = self.merge_all();
        // A writer taken since (the one above was dropped or closed) has the policy already.
        if let Some(writer) = self.writer_slot().as_ref() {
            writer.set_merge_policy(Box::<tantivy::indexer::DefaultMergePolicy>::default());
        }
        merged
    }

    fn merge_all(&self) -> Result<(), SearchError> {
        const ATTEMPTS: usize = 5;
        for attempt in 1.. {
            let merging = self.with_writer(|writer| {
                writer.commit()?;
                let segments = self.index.searchable_segment_ids()?;
                Ok((segments.len() > 1).then(|| writer.merge(&segments)))
            })?;
            let Some(merging) = merging else { break };
            match merging.wait() {
                Ok(_) => break,
                // Some of the segments were replaced by a merge that ended first.
                Err(tantivy::TantivyError::InvalidArgument(_)) if attempt < ATTEMPTS => {}
                Err(error) => return Err(error.into()),
            }
        }
        self.reader.reload()?;
        Ok(())
    }

    /// How many documents are searchable.
    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// How many segments the searchable index has (each query visits every one).
    pub fn segments(&self) -> usize {
        self.reader.searcher().segment_readers().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn to_tantivy(&self, kind: Kind, key: &str, document: &SearchDocument) -> TantivyDocument {
        let fields = &self.fields;
        let title = analysis::fold(&document.title);
        let body = analysis::fold(&document.body);
        let mut out = TantivyDocument::default();
        out.add_text(fields.key, key);
        out.add_text(fields.kind, kind.as_str());
        out.add_text(fields.id, &document.id);
        out.add_text(fields.tenant, &document.tenant);
        for slug in &document.tenant_path {
            out.add_text(fields.tenant_path, slug);
        }
        out.add_text(fields.title, &title);
        out.add_text(fields.title_grams, &title);
        out.add_text(fields.title_text, &title);
        out.add_text(fields.display_title, &document.title);
        out.add_text(fields.body, &body);
        out.add_text(fields.display_body, &document.body);
        out.add_text(fields.body_grams, &body);
        if kind == Kind::Organisation {
            out.add_text(fields.name_exact, &title);
            for (index, _) in title.char_indices().skip(1).take(40) {
                out.add_text(fields.name_prefix, &title[..index]);
            }
            out.add_text(fields.name_prefix, &title);
            out.add_text(fields.name_pinyin, pinyin::syllables(&title));
            for prefix in pinyin::initials_prefixes(&title) {
                out.add_text(fields.name_initials, prefix);
            }
        }
        for (field, value) in [
            (fields.uscc, &document.uscc),
            (fields.org_type, &document.org_type),
            (fields.status, &document.status),
            (fields.grade, &document.grade),
            (fields.category, &document.category),
        ] {
            if let Some(value) = value {
                out.add_text(field, value);
            }
        }
        for area in &document.service_areas {
            out.add_text(fields.service_area, area);
        }
        if let Some(published) = document.published {
            let year = document
                .year
                .clone()
                .unwrap_or_else(|| published.format("%Y").to_string());
            out.add_text(fields.year, year);
            out.add_date(
                fields.published,
                TantivyDateTime::from_timestamp_secs(published.timestamp()),
            );
        }
        out.add_text(fields.url, &document.url);
        out.add_u64(fields.tie_order, schema::tie_order(&title, key));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::{Kind, SearchDocument, SearchIndex, SearchQuery};

    fn organisation(id: &str, title: &str) -> SearchDocument {
        SearchDocument {
            kind: Some(Kind::Organisation),
            id: id.to_owned(),
            title: title.to_owned(),
            ..SearchDocument::default()
        }
    }

    fn total(index: &SearchIndex, text: &str) -> usize {
        index
            .search(&SearchQuery {
                text: text.to_owned(),
                limit: 10,
                ..SearchQuery::default()
            })
            .unwrap()
            .total
    }

    /// A panic while the writer is held (here, by a change half given to it) drops that change
    /// and that writer; the index keeps what was committed and takes changes again.
    #[test]
    fn a_panic_while_writing_loses_only_what_was_not_committed() {
        let index = SearchIndex::in_memory().unwrap();
        index
            .upsert(&[organisation("1", "福田长者服务中心")])
            .unwrap();
        index.commit().unwrap();

        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            index
                .with_writer::<()>(|writer| {
                    writer.delete_all_documents()?;
                    panic!("a bug while writing");
                })
                .unwrap();
        }));
        assert!(panicked.is_err());

        index
            .upsert(&[organisation("2", "南山青年发展中心")])
            .unwrap();
        index.commit().unwrap();
        assert_eq!(
            total(&index, "长者"),
            1,
            "the delete given before the panic is gone"
        );
        assert_eq!(total(&index, "青年"), 1);
    }

    /// A panic in the writer's indexing threads (here, in the analysis of a title) fails that
    /// commit; the writer is replaced, and the next changes are indexed.
    #[test]
    fn a_writer_whose_indexing_thread_died_is_replaced() {
        use tantivy::tokenizer::{RawTokenizer, TextAnalyzer, Tokenizer};

        #[derive(Clone, Default)]
        struct Exploding(RawTokenizer);
        impl Tokenizer for Exploding {
            type TokenStream<'a> = <RawTokenizer as Tokenizer>::TokenStream<'a>;
            fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
                assert!(!text.contains('💥'), "a bug in analysis");
                self.0.token_stream(text)
            }
        }

        let index = SearchIndex::in_memory().unwrap();
        index.index.tokenizers().register(
            crate::analysis::GRAMS,
            TextAnalyzer::builder(Exploding::default()).build(),
        );
        // As many as the writer may have threads: each dies on the first it takes.
        for id in 0..8 {
            let _ = index.upsert(&[organisation(&format!("x{id}"), "💥")]);
        }
        assert!(
            index.commit().is_err(),
            "the threads that indexed them died"
        );
        index.upsert(&[organisation("2", "青年")]).unwrap();
        index.commit().unwrap();
        assert_eq!(index.len(), 1);
    }

    /// After `close`, work still running (a rebuild's indexer at shutdown) cannot take the
    /// writer, nor its lock, again.
    #[test]
    fn a_closed_index_takes_no_writer_again() {
        let folder = tempfile::tempdir().unwrap();
        assert!(!SearchIndex::is_held(&folder.path().join("missing")).unwrap());
        let index = SearchIndex::open_or_create(folder.path()).unwrap();
        assert!(index.try_acquire_writer().unwrap());
        assert!(SearchIndex::is_held(folder.path()).unwrap());
        index.close();
        assert!(!SearchIndex::is_held(folder.path()).unwrap());
        assert!(
            index
                .upsert(&[organisation("1", "福田长者服务中心")])
                .is_err()
        );
        assert!(!SearchIndex::is_held(folder.path()).unwrap());
        let next = SearchIndex::open_or_create(folder.path()).unwrap();
        assert!(next.try_acquire_writer().unwrap());
    }
}
