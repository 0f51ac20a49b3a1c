//! What a query reads of every document it matches, decoded once per segment: its kind, its
//! tie order, its publication time, its facet values as one number, and its folded title.
//!
//! Read from tantivy's columns, these cost a call per column and document: the kind twice (the
//! filter and the bonus), the tie order whenever scores tie (const scores often do), and one
//! read per facet, several for a multi-valued one. Here each document's are plain array entries,
//! and its facet values are counted with one increment: documents with the same values share a
//! combination, and a combination's count is added to each of its values once per query.
//!
//! Segments never change their values (deletes only hide documents), so a segment's values are
//! decoded when a reader first sees it (the reader's warmer) and dropped with its last searcher.

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, RwLock},
};

use tantivy::{
    DocId, Searcher, SearcherGeneration, SegmentReader, Warmer, columnar::StrColumn,
    index::SegmentId,
};

use crate::{Kind, facets::FACETS};

/// The kinds in the order of their number (`kind_number`).
const KINDS: [Kind; 3] = [Kind::Organisation, Kind::Disclosure, Kind::Tender];

/// The kind number of a document without a kind.
pub const NO_KIND: u8 = u8::MAX;

pub fn kind_number(kind: Kind) -> u8 {
    match kind {
        Kind::Organisation => 0,
        Kind::Disclosure => 1,
        Kind::Tender => 2,
    }
}

/// What a query reads of one document, side by side: a match costs one read of memory, not
/// one per value.
#[derive(Clone, Copy)]
pub struct Document {
    /// `tie_order` (`u64::MAX` without one).
    pub tie: u64,
    /// The publication time as an order-preserving number; 0 without one (last, newest first).
    pub published: u64,
    /// Where its folded title ends in `SegmentValues::titles` (it starts where the one before
    /// ends).
    title_end: usize,
    /// The combination of facet values the document has, an index into `combinations`.
    pub combination: u32,
    /// The kind's number (`kind_number`), `NO_KIND` without one.
    pub kind: u8,
}

/// One segment's values, by document.
pub struct SegmentValues {
    documents: Vec<Document>,
    /// The folded titles one after the other, in document order: a query visits its matches in
    /// that order, so it reads this forwards.
    titles: String,
    pub combinations: Combinations,
    /// Per facet (as `FACETS`): its values in this segment.
    pub values: Vec<Vec<String>>,
    /// How many documents of each kind number the segment has (deleted ones included).
    pub kind_counts: [u32; KINDS.len()],
}

/// The distinct combinations of facet values of a segment's documents, one after the other.
#[derive(Default)]
pub struct Combinations {
    /// Each value as (facet's index in `FACETS`, value's index in `SegmentValues::values`).
    values: Vec<(u8, u32)>,
    /// Per combination: where its values end in `values` (they start where the one before's
    /// end).
    ends: Vec<usize>,
}

impl Combinations {
    fn push(&mut self, values: &[(u8, u32)]) -> u32 {
        self.values.extend_from_slice(values);
        self.ends.push(self.values.len());
        (self.ends.len() - 1) as u32
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// The values of a combination.
    pub fn get(&self, combination: u32) -> &[(u8, u32)] {
        let combination = combination as usize;
        let end = self.ends.get(combination).copied().unwrap_or(0);
        let start = match combination.checked_sub(1) {
            Some(before) => self.ends.get(before).copied().unwrap_or(0),
            None => 0,
        };
        self.values.get(start..end).unwrap_or_default()
    }
}

/// A date as a number that orders like it; above 0, which stands for no date.
fn date_key(nanos: i64) -> u64 {
    (nanos as u64 ^ (1 << 63)).max(1)
}

/// Every term of a string column, by ordinal.
fn terms(column: &StrColumn) -> std::io::Result<Vec<String>> {
    let mut terms = Vec::with_capacity(column.num_terms());
    let mut stream = column.dictionary().stream()?;
    while stream.advance() {
        terms.push(String::from_utf8_lossy(stream.key()).into_owned());
    }
    Ok(terms)
}

impl SegmentValues {
    pub fn decode(reader: &SegmentReader) -> tantivy::Result<Self> {
        let fast = reader.fast_fields();
        let documents = reader.max_doc();
        let size = documents as usize;

        let mut kinds = vec![NO_KIND; size];
        let mut kind_counts = [0; KINDS.len()];
        if let Some(column) = fast.str("kind")? {
            let numbers: Vec<u8> = terms(&column)?
                .iter()
                .map(|name| Kind::parse(name).map_or(NO_KIND, kind_number))
                .collect();
            for (doc, kind) in (0..documents).zip(kinds.iter_mut()) {
                if let Some(ordinal) = column.ords().first(doc) {
                    *kind = numbers.get(ordinal as usize).copied().unwrap_or(NO_KIND);
                    if let Some(count) = kind_counts.get_mut(usize::from(*kind)) {
                        *count += 1;
                    }
                }
            }
        }

        // A column no document of the segment has a value for may be missing.
        let ties = match fast.column_opt::<u64>("tie_order")? {
            Some(column) => (0..documents)
                .map(|doc| column.first(doc).unwrap_or(u64::MAX))
                .collect(),
            None => vec![u64::MAX; size],
        };
        let published = match fast.column_opt::<tantivy::DateTime>("published")? {
            Some(column) => (0..documents)
                .map(|doc| {
                    column
                        .first(doc)
                        .map_or(0, |at| date_key(at.into_timestamp_nanos()))
                })
                .collect(),
            None => vec![0; size],
        };

        let mut columns = Vec::with_capacity(FACETS.len());
        let mut values = Vec::with_capacity(FACETS.len());
        for name in FACETS {
            let column = fast.str(name)?;
            values.push(match &column {
                Some(column) => terms(column)?,
                None => Vec::new(),
            });
            columns.push(column);
        }
        let mut combination = Vec::with_capacity(size);
        let mut combinations = Combinations::default();
        let mut numbered: HashMap<Box<[(u8, u32)]>, u32> = HashMap::new();
        let mut these: Vec<(u8, u32)> = Vec::new();
        for doc in 0..documents {
            these.clear();
            for (facet, column) in (0u8..).zip(&columns) {
                if let Some(column) = column {
                    for ordinal in column.ords().values_for_doc(doc) {
                        // Ordinals index `values`, which has one entry per term.
                        these.push((facet, ordinal as u32));
                    }
                }
            }
            // A value given twice is counted once.
            these.sort_unstable();
            these.dedup();
            let number = match numbered.get(these.as_slice()) {
                Some(number) => *number,
                None => {
                    let number = combinations.push(&these);
                    numbered.insert(these.as_slice().into(), number);
                    number
                }
            };
            combination.push(number);
        }
        let mut titles = String::new();
        let mut title_ends = Vec::with_capacity(size);
        if let Some(column) = fast.str("title_text")? {
            let terms = terms(&column)?;
            for doc in 0..documents {
                if let Some(title) = column
                    .ords()
                    .first(doc)
                    .and_then(|ordinal| terms.get(ordinal as usize))
                {
                    titles.push_str(title);
                }
                title_ends.push(titles.len());
            }
        } else {
            title_ends.resize(size, 0);
        }
        let documents = (0..size)
            .map(|doc| Document {
                tie: ties[doc],
                published: published[doc],
                title_end: title_ends[doc],
                combination: combination[doc],
                kind: kinds[doc],
            })
            .collect();
        Ok(Self {
            documents,
            titles,
            combinations,
            values,
            kind_counts,
        })
    }

    pub fn document(&self, doc: DocId) -> Option<&Document> {
        self.documents.get(doc as usize)
    }

    pub fn kind(&self, doc: DocId) -> u8 {
        self.document(doc).map_or(NO_KIND, |document| document.kind)
    }

    /// The document's folded title; empty without one.
    pub fn title(&self, doc: DocId) -> &str {
        let Some(end) = self.document(doc).map(|document| document.title_end) else {
            return "";
        };
        let start = match doc.checked_sub(1).and_then(|before| self.document(before)) {
            Some(before) => before.title_end,
            None => 0,
        };
        self.titles.get(start..end).unwrap_or_default()
    }
}

/// The values of the segments live searchers use, by segment; the reader's warmer decodes a
/// new segment's before its searcher is handed out.
#[derive(Default)]
pub struct ValuesCache {
    segments: RwLock<HashMap<SegmentId, Arc<SegmentValues>>>,
}

impl ValuesCache {
    /// The segment's values, as the warmer decoded them; decoded now (and not kept) for a
    /// segment no searcher of this reader has, which only a searcher of another reader could ask
    /// about.
    pub fn get(&self, reader: &SegmentReader) -> tantivy::Result<Arc<SegmentValues>> {
        if let Some(values) = self
            .segments
            .read()
            .ok()
            .and_then(|segments| segments.get(&reader.segment_id()).cloned())
        {
            return Ok(values);
        }
        Ok(Arc::new(SegmentValues::decode(reader)?))
    }

    /// Decodes and keeps the segment's values unless they are kept already.
    fn warm_segment(&self, reader: &SegmentReader) -> tantivy::Result<()> {
        let id = reader.segment_id();
        let kept = self
            .segments
            .read()
            .map(|segments| segments.contains_key(&id))
            .unwrap_or(false);
        if !kept {
            let values = Arc::new(SegmentValues::decode(reader)?);
            if let Ok(mut segments) = self.segments.write() {
                segments.insert(id, values);
            }
        }
        Ok(())
    }
}

impl Warmer for ValuesCache {
    fn warm(&self, searcher: &Searcher) -> tantivy::Result<()> {
        for reader in searcher.segment_readers() {
            self.warm_segment(reader)?;
        }
        Ok(())
    }

    fn garbage_collect(&self, live_generations: &[&SearcherGeneration]) {
        let live: HashSet<SegmentId> = live_generations
            .iter()
            .flat_map(|generation| generation.segments().keys().copied())
            .collect();
        if let Ok(mut segments) = self.segments.write() {
            segments.retain(|id, _| live.contains(id));
        }
    }
}
