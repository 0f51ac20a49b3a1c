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
mod traditional;
mod values;

use std::{
    path::Path,
    sync::{Arc, Mutex, MutexGuard},
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
            fields,
            values,
        })
    }

    /// The writer, if one is held. A panic while it was held (a bug, in analysis say) leaves it
    /// in a state nobody knows: it is dropped with its uncommitted changes, as a rollback would
    /// drop them, and the next change takes a new one. The index stays as last committed.
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
        if guard.is_none() {
            *guard = Some(self.index.writer(WRITER_MEMORY)?);
        }
        let writer = guard.as_mut().ok_or(SearchError::WriterUnavailable)?;
        work(writer)
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
    /// Changes not yet committed are committed first (a later commit then has nothing of
    /// them left to do); changes made during the merge are kept, deletes included. Holds the
    /// writer while merges already started finish.
    pub fn compact(&self) -> Result<(), SearchError> {
        let merging = {
            let mut guard = self.writer_slot();
            // Merges the policy started would hold some of the segments: the writer is replaced
            // once they are done, and nothing given to it may be lost with it.
            if let Some(mut writer) = guard.take() {
                writer.commit()?;
                writer.wait_merging_threads()?;
            }
            let mut writer = self.index.writer(WRITER_MEMORY)?;
            let segments = self.index.searchable_segment_ids()?;
            let merging = (segments.len() > 1).then(|| writer.merge(&segments));
            *guard = Some(writer);
            merging
        };
        if let Some(merging) = merging {
            merging.wait()?;
            self.reader.reload()?;
        }
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
}
