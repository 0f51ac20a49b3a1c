//! Which kinds of document a search looks at, and the score one kind gets over the others, both
//! read from the `kind` column of each match.
//!
//! As clauses of the query they cost a pass over every document of a kind: a required term
//! found in most documents leads the intersection whenever the text matches more (every one of
//! its documents then seeks the text's union), and a ranking term found in every document fills
//! the union's window with all of them each time it is asked about a match. Here each costs one
//! column read per match.

use tantivy::{
    DocId, DocSet, Score, SegmentReader, TERMINATED, Term,
    columnar::Column,
    query::{EmptyScorer, EnableScoring, Explanation, Query, Scorer, Weight},
};

use crate::Kind;

/// Matches what `inner` matches among documents of `only` (all kinds when empty); documents of
/// the favoured kind score its bonus more.
#[derive(Debug)]
pub struct Kinds {
    inner: Box<dyn Query>,
    only: Vec<Kind>,
    favoured: Option<(Kind, Score)>,
}

impl Clone for Kinds {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.box_clone(),
            only: self.only.clone(),
            favoured: self.favoured,
        }
    }
}

impl Kinds {
    pub fn new(inner: Box<dyn Query>, only: &[Kind], favoured: Option<(Kind, Score)>) -> Self {
        Self {
            inner,
            only: only.to_vec(),
            favoured,
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
}

/// The kinds of one segment as column ordinals.
struct SegmentKinds {
    ordinals: Column<u64>,
    /// The ordinals searched; `None`: every document of the segment is searched.
    allowed: Option<Vec<u64>>,
    favoured: Option<(u64, Score)>,
}

impl SegmentKinds {
    fn allows(&self, doc: DocId) -> bool {
        match &self.allowed {
            None => true,
            Some(allowed) => self
                .ordinals
                .first(doc)
                .is_some_and(|ordinal| allowed.contains(&ordinal)),
        }
    }

    fn bonus(&self, doc: DocId) -> Score {
        match self.favoured {
            Some((favoured, bonus))
                if doc != TERMINATED && self.ordinals.first(doc) == Some(favoured) =>
            {
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
        let Some(column) = reader.fast_fields().str("kind")? else {
            // No document of the segment has a kind: only an unrestricted search sees them.
            return Ok(self.only.is_empty().then(|| SegmentKinds {
                ordinals: Column::build_empty_column(reader.max_doc()),
                allowed: None,
                favoured: None,
            }));
        };
        let ordinal = |kind: Kind| column.dictionary().term_ord(kind.as_str());
        let allowed = if self.only.is_empty() {
            None
        } else {
            let mut allowed = Vec::with_capacity(self.only.len());
            for kind in &self.only {
                allowed.extend(ordinal(*kind)?);
            }
            allowed.sort_unstable();
            allowed.dedup();
            if allowed.is_empty() {
                return Ok(None);
            }
            // Every document has a kind: when each kind of the segment is searched, all are.
            (allowed.len() < column.num_terms()).then_some(allowed)
        };
        let favoured = match self.favoured {
            Some((kind, bonus)) => ordinal(kind)?.map(|ordinal| (ordinal, bonus * boost)),
            None => None,
        };
        Ok(Some(SegmentKinds {
            ordinals: column.ords().clone(),
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
