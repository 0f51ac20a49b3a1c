//! The facets a search counts, and their counts. They are counted in the same pass as the page
//! and the total (`page`), from each segment's decoded values (`values`).

use std::collections::BTreeMap;

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
