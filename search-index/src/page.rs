//! One pass over a query's matches: the page (best first, ties by `tie_order`), the total and
//! the facet counts, all from the segment's decoded values (`values`).

use std::{cmp::Ordering, sync::Arc};

use tantivy::{
    DocAddress, DocId, Score, SegmentOrdinal, SegmentReader,
    collector::{Collector, SegmentCollector},
};

use crate::{
    facets::{FACETS, Facets},
    values::{SegmentValues, ValuesCache},
};

/// What the page is ordered by, best first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum By {
    Score,
    /// Newest first; documents without a date last.
    Published,
}

pub struct PageCollector {
    pub by: By,
    /// How many of the best are kept: the offset and the page.
    pub keep: usize,
    /// The facets to count (indices into `FACETS`); `None`: none.
    pub counted: Option<Vec<usize>>,
    pub values: Arc<ValuesCache>,
}

/// A match as the page orders it.
#[derive(Clone, Copy, Debug)]
pub struct Ranked {
    /// The score or the date as a number that orders like it, larger first.
    key: u64,
    tie: u64,
    pub score: Score,
    pub address: DocAddress,
}

impl Ranked {
    /// Better first: larger key, then smaller tie order, then earlier address.
    fn order(&self, other: &Self) -> Ordering {
        other
            .key
            .cmp(&self.key)
            .then(self.tie.cmp(&other.tie))
            .then(self.address.cmp(&other.address))
    }
}

/// A score as a number that orders like it.
fn score_key(score: Score) -> u64 {
    // -0.0 is 0.0.
    let bits = (score + 0.0).to_bits();
    u64::from(if bits & 0x8000_0000 == 0 {
        bits | 0x8000_0000
    } else {
        !bits
    })
}

pub struct PageFruit {
    /// The best `keep`, best first.
    pub best: Vec<Ranked>,
    pub total: usize,
    /// Counted facets (all of `FACETS` present, the uncounted ones empty); `None` when none were
    /// asked for.
    pub facets: Option<Facets>,
}

pub struct SegmentPage {
    by: By,
    keep: usize,
    segment: SegmentOrdinal,
    values: Arc<SegmentValues>,
    /// Up to twice `keep` candidates; cut back to the best `keep` when full.
    best: Vec<Ranked>,
    /// The worst of the best `keep` after a cut: only better ones are taken.
    threshold: Option<(u64, u64)>,
    total: usize,
    /// Matches per combination of facet values (allocated at the first match), and the
    /// combinations matched, in the order first matched.
    combinations: Option<(Vec<u32>, Vec<u32>)>,
    counted: Option<Vec<usize>>,
}

impl Collector for PageCollector {
    type Fruit = PageFruit;
    type Child = SegmentPage;

    fn for_segment(
        &self,
        segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<SegmentPage> {
        Ok(SegmentPage {
            by: self.by,
            keep: self.keep,
            segment,
            values: self.values.get(reader)?,
            best: Vec::new(),
            threshold: None,
            total: 0,
            combinations: None,
            counted: self.counted.clone(),
        })
    }

    fn requires_scoring(&self) -> bool {
        self.by == By::Score
    }

    fn merge_fruits(&self, fruits: Vec<PageFruit>) -> tantivy::Result<PageFruit> {
        let mut best = Vec::new();
        let mut total = 0;
        let mut facets = self.counted.as_ref().map(|_| {
            FACETS
                .iter()
                .map(|name| ((*name).to_owned(), Default::default()))
                .collect::<Facets>()
        });
        for fruit in fruits {
            best.extend(fruit.best);
            total += fruit.total;
            if let (Some(facets), Some(counts)) = (facets.as_mut(), fruit.facets) {
                for (name, counts) in counts {
                    let target = facets.entry(name).or_default();
                    for (value, count) in counts {
                        *target.entry(value).or_default() += count;
                    }
                }
            }
        }
        best.sort_unstable_by(Ranked::order);
        best.truncate(self.keep);
        Ok(PageFruit {
            best,
            total,
            facets,
        })
    }
}

impl SegmentPage {
    /// Keeps the best `keep` of the candidates, and takes only better ones from now on.
    fn cut(&mut self) {
        if self.keep == 0 {
            self.best.clear();
            return;
        }
        if self.best.len() > self.keep {
            self.best
                .select_nth_unstable_by(self.keep - 1, Ranked::order);
            self.best.truncate(self.keep);
        }
        if self.best.len() == self.keep {
            self.threshold = self
                .best
                .iter()
                .max_by(|one, other| one.order(other))
                .map(|worst| (worst.key, worst.tie));
        }
    }
}

impl SegmentCollector for SegmentPage {
    type Fruit = PageFruit;

    fn collect(&mut self, doc: DocId, score: Score) {
        self.total += 1;
        let values = &*self.values;
        let Some(document) = values.document(doc) else {
            return;
        };
        if self.counted.is_some() {
            let combination = document.combination;
            let (counts, matched) = self
                .combinations
                .get_or_insert_with(|| (vec![0; values.combinations.len()], Vec::new()));
            if let Some(count) = counts.get_mut(combination as usize) {
                if *count == 0 {
                    matched.push(combination);
                }
                *count += 1;
            }
        }
        let key = match self.by {
            By::Score => score_key(score),
            By::Published => document.published,
        };
        let tie = document.tie;
        // Documents come in increasing order, so one equal to the threshold is worse.
        if let Some((worst_key, worst_tie)) = self.threshold
            && (key < worst_key || key == worst_key && tie >= worst_tie)
        {
            return;
        }
        self.best.push(Ranked {
            key,
            tie,
            score,
            address: DocAddress::new(self.segment, doc),
        });
        if self.best.len() >= self.keep.max(8) * 2 {
            self.cut();
        }
    }

    fn collect_block(&mut self, docs: &[DocId]) {
        for doc in docs {
            self.collect(*doc, 0.0);
        }
    }

    fn harvest(mut self) -> PageFruit {
        self.cut();
        self.best.sort_unstable_by(Ranked::order);
        let facets = self.counted.map(|counted| {
            let (counts, matched) = self.combinations.unwrap_or_default();
            count_facets(&self.values, &counts, &matched, &counted)
        });
        PageFruit {
            best: self.best,
            total: self.total,
            facets,
        }
    }
}

/// The counts per value of the counted facets, from the counts of the combinations matched.
fn count_facets(
    values: &SegmentValues,
    counts: &[u32],
    matched: &[u32],
    counted: &[usize],
) -> Facets {
    // Per facet counted: a count per value.
    let mut per_value: Vec<Option<Vec<u64>>> = (0..FACETS.len())
        .map(|facet| {
            counted
                .contains(&facet)
                .then(|| vec![0; values.values.get(facet).map_or(0, Vec::len)])
        })
        .collect();
    for combination in matched {
        let count = counts.get(*combination as usize).copied().unwrap_or(0);
        for (facet, value) in values.combinations.get(*combination) {
            if let Some(slot) = per_value
                .get_mut(usize::from(*facet))
                .and_then(Option::as_mut)
                .and_then(|counts| counts.get_mut(*value as usize))
            {
                *slot += u64::from(count);
            }
        }
    }
    FACETS
        .iter()
        .zip(per_value)
        .enumerate()
        .map(|(facet, (name, counts))| {
            let counts = counts
                .map(|counts| {
                    values.values[facet]
                        .iter()
                        .zip(counts)
                        .filter(|(_, count)| *count > 0)
                        .map(|(value, count)| (value.clone(), count))
                        .collect()
                })
                .unwrap_or_default();
            ((*name).to_owned(), counts)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_order_as_numbers() {
        let scores = [-3.5, -1e-9, 0.0, 1e-9, 0.6, 1.0, 2.0, 1e9];
        for pair in scores.windows(2) {
            assert!(
                score_key(pair[0]) < score_key(pair[1]),
                "{} before {}",
                pair[0],
                pair[1]
            );
        }
        // Equal scores tie, to be ordered by the tie order.
        assert_eq!(score_key(-0.0), score_key(0.0));
    }
}
