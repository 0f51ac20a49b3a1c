//! A run of Chinese characters in a title: the titles that hold all of its grams, checked
//! against the title itself.
//!
//! A phrase of grams reads every candidate's positions, and tantivy finds a document's positions
//! by adding up the frequencies of the documents before it in its block: for a gram found in
//! thousands of names that was the larger part of a query. Titles are short and decoded per
//! segment (`values`), so the check is a substring search in a few dozen bytes.

use std::sync::Arc;

use memchr::memmem::Finder;

use tantivy::{
    DocId, DocSet, Score, SegmentReader, TERMINATED, Term,
    query::{BooleanQuery, EnableScoring, Explanation, Occur, Query, Scorer, TermQuery, Weight},
    schema::IndexRecordOption,
};

use crate::values::{SegmentValues, ValuesCache};

/// Matches, with a fixed score, the documents whose folded title holds `text`, a run of CJK
/// characters, given by the grams that cover it.
pub struct InTitle {
    grams: Vec<Term>,
    text: String,
    score: Score,
    values: Arc<ValuesCache>,
}

impl std::fmt::Debug for InTitle {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("InTitle")
            .field("text", &self.text)
            .field("grams", &self.grams)
            .field("score", &self.score)
            .finish_non_exhaustive()
    }
}

impl Clone for InTitle {
    fn clone(&self) -> Self {
        Self {
            grams: self.grams.clone(),
            text: self.text.clone(),
            score: self.score,
            values: self.values.clone(),
        }
    }
}

impl InTitle {
    pub fn new(grams: Vec<Term>, text: &str, score: Score, values: Arc<ValuesCache>) -> Self {
        Self {
            grams,
            text: text.to_owned(),
            score,
            values,
        }
    }
}

impl Query for InTitle {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        // Every gram, without positions or scores.
        let grams = BooleanQuery::new(
            self.grams
                .iter()
                .map(|gram| {
                    let query: Box<dyn Query> =
                        Box::new(TermQuery::new(gram.clone(), IndexRecordOption::Basic));
                    (Occur::Must, query)
                })
                .collect(),
        );
        let without_scores = match enable_scoring.searcher() {
            Some(searcher) => EnableScoring::disabled_from_searcher(searcher),
            None => EnableScoring::disabled_from_schema(enable_scoring.schema()),
        };
        let candidates = grams.weight(without_scores)?;
        Ok(Box::new(InTitleWeight {
            candidates,
            text: self.text.clone(),
            score: self.score,
            values: self.values.clone(),
        }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        for gram in &self.grams {
            visitor(gram, false);
        }
    }
}

struct InTitleWeight {
    candidates: Box<dyn Weight>,
    text: String,
    score: Score,
    values: Arc<ValuesCache>,
}

impl Weight for InTitleWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let mut scorer = InTitleScorer {
            candidates: self.candidates.scorer(reader, 1.0)?,
            values: self.values.get(reader)?,
            text: Finder::new(self.text.as_bytes()).into_owned(),
            score: self.score * boost,
        };
        let first = scorer.candidates.doc();
        scorer.settle(first);
        Ok(Box::new(scorer))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut scorer = self.scorer(reader, 1.0)?;
        // A scorer is only sought forwards.
        if scorer.doc() > doc || scorer.seek(doc) != doc {
            return Err(tantivy::TantivyError::InvalidArgument(format!(
                "the title of document {doc} does not hold {:?}",
                self.text
            )));
        }
        Ok(Explanation::new("the title holds the text", scorer.score()))
    }
}

struct InTitleScorer {
    candidates: Box<dyn Scorer>,
    values: Arc<SegmentValues>,
    /// The text, prepared once for the search in each title.
    text: Finder<'static>,
    score: Score,
}

impl InTitleScorer {
    /// From the candidates' document on, the first whose title holds the text.
    fn settle(&mut self, mut doc: DocId) -> DocId {
        while doc != TERMINATED && self.text.find(self.values.title(doc).as_bytes()).is_none() {
            doc = self.candidates.advance();
        }
        doc
    }
}

impl DocSet for InTitleScorer {
    fn advance(&mut self) -> DocId {
        let doc = self.candidates.advance();
        self.settle(doc)
    }

    fn seek(&mut self, target: DocId) -> DocId {
        let doc = self.candidates.seek(target);
        self.settle(doc)
    }

    fn doc(&self) -> DocId {
        self.candidates.doc()
    }

    fn size_hint(&self) -> u32 {
        self.candidates.size_hint()
    }

    fn cost(&self) -> u64 {
        self.candidates.cost()
    }
}

impl Scorer for InTitleScorer {
    fn score(&mut self) -> Score {
        self.score
    }
}
