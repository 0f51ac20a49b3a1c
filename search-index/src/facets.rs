//! Facet counts in the same pass as the page and the total: per segment, one counter per term
//! ordinal of each facet's fast column; the ordinals become strings once, when the segment is
//! harvested, so the work per matching document is a few array increments.

use std::collections::BTreeMap;

use tantivy::{
    DocId, Score, SegmentOrdinal, SegmentReader,
    collector::{Collector, SegmentCollector},
    columnar::{Cardinality, StrColumn},
};

/// Counts per value of each facet, over everything the query matched.
pub type Facets = BTreeMap<String, BTreeMap<String, u64>>;

/// The facets counted, by the name of their fast field.
pub const FACETS: [&str; 8] = [
    "kind",
    "tenant",
    "org_type",
    "status",
    "grade",
    "service_area",
    "category",
    "year",
];

pub struct FacetCollector {
    /// The facets to count; the others come out empty.
    pub counted: Vec<&'static str>,
}

pub struct SegmentFacets {
    /// Per facet: its column in this segment (absent when no document has a value) and one
    /// counter per term ordinal.
    columns: Vec<Option<(StrColumn, Vec<u64>)>>,
    /// Matches not yet counted: columns are read a block at a time.
    pending: Vec<DocId>,
    ordinals: Vec<Option<u64>>,
}

/// Matches counted together: single-valued columns decode a block of values in one call.
const BLOCK: usize = 64;

impl Collector for FacetCollector {
    type Fruit = Facets;
    type Child = SegmentFacets;

    fn for_segment(
        &self,
        _segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<SegmentFacets> {
        let mut columns = Vec::with_capacity(FACETS.len());
        for name in FACETS {
            if !self.counted.contains(&name) {
                columns.push(None);
                continue;
            }
            let column = reader.fast_fields().str(name)?;
            columns.push(column.map(|column| {
                let counts = vec![0; column.num_terms()];
                (column, counts)
            }));
        }
        Ok(SegmentFacets {
            columns,
            pending: Vec::with_capacity(BLOCK),
            ordinals: vec![None; BLOCK],
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Facets>) -> tantivy::Result<Facets> {
        let mut merged: Facets = FACETS
            .iter()
            .map(|name| ((*name).to_owned(), BTreeMap::new()))
            .collect();
        for fruit in fruits {
            for (name, counts) in fruit {
                let target = merged.entry(name).or_default();
                for (value, count) in counts {
                    *target.entry(value).or_default() += count;
                }
            }
        }
        Ok(merged)
    }
}

fn increment(counts: &mut [u64], ordinal: u64) {
    if let Some(count) = usize::try_from(ordinal)
        .ok()
        .and_then(|index| counts.get_mut(index))
    {
        *count += 1;
    }
}

impl SegmentFacets {
    fn count_pending(&mut self) {
        let docs = &self.pending;
        for (column, counts) in self.columns.iter_mut().flatten() {
            let ords = column.ords();
            if ords.get_cardinality() == Cardinality::Multivalued {
                for doc in docs {
                    for ordinal in ords.values_for_doc(*doc) {
                        increment(counts, ordinal);
                    }
                }
            } else {
                let ordinals = &mut self.ordinals[..docs.len()];
                ordinals.fill(None);
                ords.first_vals(docs, ordinals);
                for ordinal in ordinals.iter().flatten() {
                    increment(counts, *ordinal);
                }
            }
        }
        self.pending.clear();
    }
}

impl SegmentCollector for SegmentFacets {
    type Fruit = Facets;

    fn collect(&mut self, doc: DocId, _score: Score) {
        self.pending.push(doc);
        if self.pending.len() == BLOCK {
            self.count_pending();
        }
    }

    fn collect_block(&mut self, docs: &[DocId]) {
        for doc in docs {
            self.collect(*doc, 0.0);
        }
    }

    fn harvest(mut self) -> Facets {
        self.count_pending();
        let mut facets = Facets::new();
        for (name, column) in FACETS.iter().zip(self.columns) {
            let mut values = BTreeMap::new();
            if let Some((column, counts)) = column {
                let mut text = String::new();
                for (ordinal, count) in counts.into_iter().enumerate() {
                    if count > 0
                        && column
                            .ord_to_str(ordinal as u64, &mut text)
                            .unwrap_or(false)
                    {
                        values.insert(text.clone(), count);
                    }
                }
            }
            facets.insert((*name).to_owned(), values);
        }
        facets
    }
}
