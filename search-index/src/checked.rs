//! The documents of a scorer that pass a check, scored the check's way: how `Kinds` and
//! `InTitle` narrow what tantivy's scorers find.

use tantivy::{DocId, DocSet, Score, TERMINATED, query::Scorer};

pub trait Check: Send + 'static {
    /// Whether the document is kept.
    fn keeps(&self, doc: DocId) -> bool;

    /// A kept document's score; `inner` is on it.
    fn score(&self, doc: DocId, inner: &mut dyn Scorer) -> Score;
}

pub struct Checked<C> {
    inner: Box<dyn Scorer>,
    check: C,
}

impl<C: Check> Checked<C> {
    /// On the first document of `inner` the check keeps.
    pub fn new(inner: Box<dyn Scorer>, check: C) -> Self {
        let mut checked = Self { inner, check };
        let first = checked.inner.doc();
        checked.settle(first);
        checked
    }

    /// From the inner scorer's document on, the first the check keeps.
    fn settle(&mut self, mut doc: DocId) -> DocId {
        while doc != TERMINATED && !self.check.keeps(doc) {
            doc = self.inner.advance();
        }
        doc
    }
}

impl<C: Check> DocSet for Checked<C> {
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

impl<C: Check> Scorer for Checked<C> {
    fn score(&mut self) -> Score {
        let doc = self.inner.doc();
        self.check.score(doc, self.inner.as_mut())
    }
}
