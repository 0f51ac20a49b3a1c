//! A disjunction that is asked about one document at a time.
//!
//! tantivy's union fills a window of 4,096 documents from every clause whenever it is moved
//! past its window. In an intersection that only asks it about the documents another clause
//! found, that evaluates every clause over the whole index: for a phrase, the positions of every
//! document holding its grams. This one moves each clause only to the document asked about
//! (or the clause's next match after it), so the documents skipped over are not checked. Its
//! clauses are few (the ways one term can match), so finding the lowest of their documents by a
//! scan is cheap.

use tantivy::{
    DocId, DocSet, Score, SegmentReader, TERMINATED, Term,
    query::{EmptyScorer, EnableScoring, Explanation, Query, Scorer, Weight},
};

/// Matches what any of its queries matches; scores the sum of those that match.
#[derive(Debug)]
pub struct AnyOf {
    queries: Vec<Box<dyn Query>>,
}

impl Clone for AnyOf {
    fn clone(&self) -> Self {
        Self {
            queries: self.queries.iter().map(|query| query.box_clone()).collect(),
        }
    }
}

impl AnyOf {
    pub fn new(queries: Vec<Box<dyn Query>>) -> Self {
        Self { queries }
    }
}

impl Query for AnyOf {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let weights = self
            .queries
            .iter()
            .map(|query| query.weight(enable_scoring))
            .collect::<tantivy::Result<_>>()?;
        Ok(Box::new(AnyOfWeight { weights }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        for query in &self.queries {
            query.query_terms(visitor);
        }
    }
}

struct AnyOfWeight {
    weights: Vec<Box<dyn Weight>>,
}

impl Weight for AnyOfWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let mut scorers = Vec::with_capacity(self.weights.len());
        for weight in &self.weights {
            let scorer = weight.scorer(reader, boost)?;
            // A clause whose terms the segment does not hold matches nothing.
            if scorer.doc() != TERMINATED {
                scorers.push(scorer);
            }
        }
        if scorers.len() > 1 {
            let mut any = AnyOfScorer { scorers, doc: 0 };
            any.doc = any.lowest();
            return Ok(Box::new(any));
        }
        Ok(scorers
            .pop()
            .unwrap_or_else(|| Box::new(EmptyScorer) as Box<dyn Scorer>))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut matched = Vec::new();
        for weight in &self.weights {
            match weight.explain(reader, doc) {
                Ok(explanation) => matched.push(explanation),
                // tantivy's answer for a document that a query does not match.
                Err(tantivy::TantivyError::InvalidArgument(_)) => {}
                Err(error) => return Err(error),
            }
        }
        if matched.is_empty() {
            return Err(tantivy::TantivyError::InvalidArgument(format!(
                "document {doc} does not match"
            )));
        }
        let total = matched.iter().map(Explanation::value).sum();
        let mut explanation = Explanation::new("any of", total);
        for detail in matched {
            explanation.add_detail(detail);
        }
        Ok(explanation)
    }
}

struct AnyOfScorer {
    scorers: Vec<Box<dyn Scorer>>,
    doc: DocId,
}

impl AnyOfScorer {
    fn lowest(&self) -> DocId {
        self.scorers
            .iter()
            .map(|scorer| scorer.doc())
            .min()
            .unwrap_or(TERMINATED)
    }
}

impl DocSet for AnyOfScorer {
    fn advance(&mut self) -> DocId {
        if self.doc == TERMINATED {
            return TERMINATED;
        }
        for scorer in &mut self.scorers {
            if scorer.doc() == self.doc {
                scorer.advance();
            }
        }
        self.doc = self.lowest();
        self.doc
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.doc >= target {
            return self.doc;
        }
        for scorer in &mut self.scorers {
            if scorer.doc() < target {
                scorer.seek(target);
            }
        }
        self.doc = self.lowest();
        self.doc
    }

    fn doc(&self) -> DocId {
        self.doc
    }

    fn size_hint(&self) -> u32 {
        self.scorers
            .iter()
            .map(|scorer| scorer.size_hint())
            .fold(0, u32::saturating_add)
    }

    fn cost(&self) -> u64 {
        self.scorers.iter().map(|scorer| scorer.cost()).sum()
    }
}

impl Scorer for AnyOfScorer {
    fn score(&mut self) -> Score {
        let doc = self.doc;
        if doc == TERMINATED {
            return 0.0;
        }
        self.scorers
            .iter_mut()
            .filter(|scorer| scorer.doc() == doc)
            .map(|scorer| scorer.score())
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use tantivy::{
        DocAddress, Index, TantivyDocument, Term,
        collector::{Count, DocSetCollector, TopDocs},
        query::{BooleanQuery, Occur, Query, TermQuery},
        schema::{IndexRecordOption, STRING, Schema},
    };

    use super::AnyOf;

    fn tag(field: tantivy::schema::Field, value: &str) -> Box<dyn Query> {
        Box::new(TermQuery::new(
            Term::from_field_text(field, value),
            IndexRecordOption::WithFreqs,
        ))
    }

    /// Matches and scores what tantivy's own disjunction does, alone and inside an
    /// intersection (where it is sought rather than walked), over several segments.
    #[test]
    fn agrees_with_the_boolean_disjunction() {
        let mut builder = Schema::builder();
        let tags = builder.add_text_field("tags", STRING);
        let index = Index::create_in_ram(builder.build());
        let mut writer: tantivy::IndexWriter = index.writer(15_000_000).unwrap();
        let mut seed: u64 = 42;
        for doc in 0..3_000 {
            let mut document = TantivyDocument::default();
            for name in ["a", "b", "c", "d", "e"] {
                seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                // Sparse and dense tags alike: "a" in about 1 in 16, "d" in about half.
                let odds = match name {
                    "a" => 16,
                    "b" => 8,
                    "c" => 3,
                    "d" => 2,
                    _ => 64,
                };
                if (seed >> 33).is_multiple_of(odds) {
                    document.add_text(tags, name);
                }
            }
            writer.add_document(document).unwrap();
            if doc % 1_000 == 999 {
                writer.commit().unwrap();
            }
        }
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        assert!(searcher.segment_readers().len() > 1);
        let ours = |names: &[&str]| -> Box<dyn Query> {
            Box::new(AnyOf::new(
                names.iter().map(|name| tag(tags, name)).collect(),
            ))
        };
        let theirs = |names: &[&str]| -> Box<dyn Query> {
            Box::new(BooleanQuery::new(
                names
                    .iter()
                    .map(|name| (Occur::Should, tag(tags, name)))
                    .collect(),
            ))
        };
        // With "d" (dense) the disjunction leads; with "e" (sparse) it is sought.
        let within = |query: Box<dyn Query>, other: &str| -> Box<dyn Query> {
            Box::new(BooleanQuery::new(vec![
                (Occur::Must, query),
                (Occur::Must, tag(tags, other)),
            ]))
        };
        let scored = |query: &dyn Query| -> Vec<(u32, DocAddress)> {
            searcher
                .search(query, &TopDocs::with_limit(5_000).order_by_score())
                .unwrap()
                .into_iter()
                .map(|(score, address)| ((score * 1_000.0).round() as u32, address))
                .collect()
        };
        for names in [
            &["a", "b"][..],
            &["a", "c", "missing"],
            &["missing"],
            &["b"],
        ] {
            let (ours, theirs) = (ours(names), theirs(names));
            let docs = searcher.search(ours.as_ref(), &DocSetCollector).unwrap();
            assert_eq!(
                docs,
                searcher.search(theirs.as_ref(), &DocSetCollector).unwrap()
            );
            assert_eq!(searcher.search(ours.as_ref(), &Count).unwrap(), docs.len());
            let (mut ours_scored, mut theirs_scored) =
                (scored(ours.as_ref()), scored(theirs.as_ref()));
            ours_scored.sort();
            theirs_scored.sort();
            assert_eq!(ours_scored, theirs_scored, "{names:?}");
            // Explained as scored; a document it does not match is refused.
            for (score, address) in ours_scored.iter().take(20) {
                let explained = ours.explain(&searcher, *address).unwrap();
                assert_eq!((explained.value() * 1_000.0).round() as u32, *score);
            }
            let unmatched = (0..searcher.segment_reader(0).max_doc())
                .map(|doc| DocAddress::new(0, doc))
                .find(|address| !docs.contains(address));
            if let Some(address) = unmatched {
                assert!(ours.explain(&searcher, address).is_err(), "{names:?}");
            }
            for other in ["d", "e"] {
                let (ours, theirs) = (
                    within(ours.box_clone(), other),
                    within(theirs.box_clone(), other),
                );
                assert_eq!(
                    searcher.search(ours.as_ref(), &DocSetCollector).unwrap(),
                    searcher.search(theirs.as_ref(), &DocSetCollector).unwrap(),
                    "{names:?} and {other}"
                );
                let (mut ours_scored, mut theirs_scored) =
                    (scored(ours.as_ref()), scored(theirs.as_ref()));
                ours_scored.sort();
                theirs_scored.sort();
                assert_eq!(ours_scored, theirs_scored, "{names:?} and {other}");
            }
        }
    }
}
