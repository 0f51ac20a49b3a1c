//! Which kinds of document a search looks at, and the score one kind gets over the others, both
//! read from each match's kind among the segment's decoded values (`values`).
//!
//! As clauses of the query they cost a pass over every document of a kind: a required term
//! found in most documents leads the intersection whenever the text matches more (every one of
//! its documents then seeks the text's union), and a ranking term found in every document fills
//! the union's window with all of them each time it is asked about a match. Here each costs an
//! array read per match.

use std::sync::Arc;

use tantivy::{
    DocId, DocSet, Score, SegmentReader, TERMINATED, Term,
    query::{EmptyScorer, EnableScoring, Explanation, Query, Scorer, Weight},
};

use crate::{
    Kind,
    values::{SegmentValues, ValuesCache, kind_number},
};

/// Matches what `inner` matches among documents of `only` (all kinds when empty); documents of
/// the favoured kind score its bonus more.
pub struct Kinds {
    inner: Box<dyn Query>,
    only: Vec<Kind>,
    favoured: Option<(Kind, Score)>,
    values: Arc<ValuesCache>,
}

impl std::fmt::Debug for Kinds {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Kinds")
            .field("inner", &self.inner)
            .field("only", &self.only)
            .field("favoured", &self.favoured)
            .finish_non_exhaustive()
    }
}

impl Clone for Kinds {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.box_clone(),
            only: self.only.clone(),
            favoured: self.favoured,
            values: self.values.clone(),
        }
    }
}

impl Kinds {
    pub fn new(
        inner: Box<dyn Query>,
        only: &[Kind],
        favoured: Option<(Kind, Score)>,
        values: Arc<ValuesCache>,
    ) -> Self {
        Self {
            inner,
            only: only.to_vec(),
            favoured,
            values,
        }
    }
}

impl Query for Kinds {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(KindsWeight {
            inner: self.inner.weight(enable_scoring)?,
            only: self.only.clone(),
            favoured: self
                .favoured
                .filter(|_| enable_scoring.is_scoring_enabled()),
            values: self.values.clone(),
        }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.inner.query_terms(visitor);
    }
}

struct KindsWeight {
    inner: Box<dyn Weight>,
    only: Vec<Kind>,
    favoured: Option<(Kind, Score)>,
    values: Arc<ValuesCache>,
}

/// The kinds of one segment's documents, and what is asked of them.
struct SegmentKinds {
    values: Arc<SegmentValues>,
    /// By kind number: searched or not; `None`: every document of the segment is searched.
    allowed: Option<[bool; 3]>,
    favoured: Option<(u8, Score)>,
}

impl SegmentKinds {
    fn allows(&self, doc: DocId) -> bool {
        match &self.allowed {
            None => true,
            Some(allowed) => allowed
                .get(usize::from(self.values.kind(doc)))
                .copied()
                .unwrap_or(false),
        }
    }

    fn bonus(&self, doc: DocId) -> Score {
        match self.favoured {
            Some((favoured, bonus)) if doc != TERMINATED && self.values.kind(doc) == favoured => {
                bonus
            }
            _ => 0.0,
        }
    }
}

impl KindsWeight {
    /// `None` when the segment holds nothing searched.
    fn segment(
        &self,
        reader: &SegmentReader,
        boost: Score,
    ) -> tantivy::Result<Option<SegmentKinds>> {
        let values = self.values.get(reader)?;
        let allowed = if self.only.is_empty() {
            None
        } else {
            let mut allowed = [false; 3];
            for kind in &self.only {
                allowed[usize::from(kind_number(*kind))] = true;
            }
            let with_kind: u32 = values.kind_counts.iter().sum();
            let searched: u32 = (values.kind_counts.iter().zip(allowed))
                .filter(|(_, searched)| *searched)
                .map(|(count, _)| count)
                .sum();
            if searched == 0 {
                return Ok(None);
            }
            // When each document of the segment is of a kind searched, all are.
            (searched < with_kind || with_kind < reader.max_doc()).then_some(allowed)
        };
        let favoured = self.favoured.and_then(|(kind, bonus)| {
            let number = kind_number(kind);
            (values.kind_counts[usize::from(number)] > 0).then_some((number, bonus * boost))
        });
        Ok(Some(SegmentKinds {
            values,
            allowed,
            favoured,
        }))
    }
}

impl Weight for KindsWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let Some(kinds) = self.segment(reader, boost)? else {
            return Ok(Box::new(EmptyScorer));
        };
        let inner = self.inner.scorer(reader, boost)?;
        if kinds.allowed.is_none() && kinds.favoured.is_none() {
            return Ok(inner);
        }
        let mut scorer = KindsScorer { inner, kinds };
        let first = scorer.inner.doc();
        scorer.settle(first);
        Ok(Box::new(scorer))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let kinds = self.segment(reader, 1.0)?;
        if !kinds.as_ref().is_some_and(|kinds| kinds.allows(doc)) {
            return Err(tantivy::TantivyError::InvalidArgument(format!(
                "document {doc} is not of a kind searched"
            )));
        }
        let inner = self.inner.explain(reader, doc)?;
        let bonus = kinds.map_or(0.0, |kinds| kinds.bonus(doc));
        let mut explanation = Explanation::new("kinds", inner.value() + bonus);
        explanation.add_detail(inner);
        explanation.add_const("bonus for the kind", bonus);
        Ok(explanation)
    }
}

struct KindsScorer {
    inner: Box<dyn Scorer>,
    kinds: SegmentKinds,
}

impl KindsScorer {
    /// From the inner scorer's document on, the first of a kind searched.
    fn settle(&mut self, mut doc: DocId) -> DocId {
        while doc != TERMINATED && !self.kinds.allows(doc) {
            doc = self.inner.advance();
        }
        doc
    }
}

impl DocSet for KindsScorer {
    fn advance(&mut self) -> DocId {
        let doc = self.inner.advance();
        self.settle(doc)
    }

    fn seek(&mut self, target: DocId) -> DocId {
        let doc = self.inner.seek(target);
        self.settle(doc)
    }

    fn doc(&self) -> DocId {
        self.inner.doc()
    }

    fn size_hint(&self) -> u32 {
        self.inner.size_hint()
    }

    fn cost(&self) -> u64 {
        self.inner.cost()
    }
}

impl Scorer for KindsScorer {
    fn score(&mut self) -> Score {
        let doc = self.inner.doc();
        self.inner.score() + self.kinds.bonus(doc)
    }
}
