//! Questions to the index. The user's text is only ever text: it is analysed into terms and
//! phrases here, never handed to a query language, so no input can make a query fail.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use tantivy::{
    DateTime as TantivyDateTime, DocAddress, Order, TantivyDocument, Term,
    aggregation::{
        AggContextParams, AggregationCollector, AggregationLimitsGuard, agg_req::Aggregations,
    },
    collector::{Count, TopDocs},
    query::{AllQuery, BooleanQuery, BoostQuery, Occur, PhraseQuery, Query, RangeQuery, TermQuery},
    schema::{Field, IndexRecordOption, Value},
    snippet::SnippetGenerator,
};

use crate::{Kind, SearchError, SearchIndex, analysis};

/// How deep paging goes; narrow the query to see further.
pub const MAX_OFFSET: usize = 10_000;

/// The longest query text considered; the rest is ignored.
const MAX_QUERY_CHARS: usize = 200;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Sort {
    #[default]
    Relevance,
    /// Newest first.
    Date,
}

#[derive(Clone, Debug, Default)]
pub struct SearchQuery {
    pub text: String,
    pub kinds: Vec<Kind>,
    /// A tenant's slug: its documents and those of the tenants below it.
    pub tenant: Option<String>,
    pub org_type: Option<String>,
    pub status: Option<String>,
    pub service_area: Option<String>,
    pub grade: Option<String>,
    pub category: Option<String>,
    pub published_from: Option<DateTime<Utc>>,
    pub published_to: Option<DateTime<Utc>>,
    pub sort: Sort,
    pub offset: usize,
    pub limit: usize,
    /// Skip the facet counts (they cost a pass over every match).
    pub without_facets: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct Hit {
    pub kind: String,
    pub id: String,
    pub title: String,
    /// HTML with `<b>` around the matches; the text inside is escaped.
    pub snippet: String,
    pub uscc: Option<String>,
    pub tenant: String,
    pub url: String,
    pub score: f32,
}

/// Counts per value of each facet, over everything the query matched.
pub type Facets = BTreeMap<String, BTreeMap<String, u64>>;

#[derive(Clone, Debug, Serialize)]
pub struct SearchResults {
    pub total: usize,
    pub hits: Vec<Hit>,
    pub facets: Facets,
}

const FACETS: [&str; 8] = [
    "kind",
    "tenant",
    "org_type",
    "status",
    "grade",
    "service_area",
    "category",
    "year",
];

fn term(field: Field, value: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_text(field, value),
        IndexRecordOption::WithFreqs,
    ))
}

fn boosted(query: Box<dyn Query>, boost: f32) -> Box<dyn Query> {
    Box::new(BoostQuery::new(query, boost))
}

/// All terms as a phrase (one term: a term query); `None` without terms.
fn phrase(field: Field, tokens: &[String]) -> Option<Box<dyn Query>> {
    match tokens {
        [] => None,
        [single] => Some(term(field, single)),
        _ => Some(Box::new(PhraseQuery::new(
            tokens
                .iter()
                .map(|token| Term::from_field_text(field, token))
                .collect(),
        ))),
    }
}

/// Any of the words, each term scored.
fn any_word(field: Field, words: &[String]) -> Option<Box<dyn Query>> {
    if words.is_empty() {
        return None;
    }
    Some(Box::new(BooleanQuery::new(
        words
            .iter()
            .map(|word| (Occur::Should, term(field, word)))
            .collect(),
    )))
}

/// Variants of the text under the synonym list: the text itself first.
fn variants(text: &str) -> Vec<String> {
    let mut variants = vec![text.to_owned()];
    for (short, long) in analysis::SYNONYMS {
        for (from, to) in [(short, long), (long, short)] {
            if text.contains(from) {
                let variant = text.replace(from, to);
                if !variants.contains(&variant) {
                    variants.push(variant);
                }
            }
        }
    }
    variants
}

impl SearchIndex {
    fn text_query(&self, text: &str) -> Option<Box<dyn Query>> {
        let fields = &self.fields;
        let folded: String = analysis::fold(text.trim())
            .chars()
            .take(MAX_QUERY_CHARS)
            .collect();
        if folded.trim().is_empty() {
            return None;
        }
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let code: String = folded
            .chars()
            .filter(|character| !character.is_whitespace())
            .collect();
        if code.len() == 18
            && code
                .chars()
                .all(|character| character.is_ascii_alphanumeric())
        {
            clauses.push((
                Occur::Should,
                boosted(term(fields.uscc, &code.to_ascii_uppercase()), 200.0),
            ));
        }
        for (rank, variant) in variants(&folded).iter().enumerate() {
            let weight = if rank == 0 { 1.0 } else { 0.6 };
            let compact: String = variant.split_whitespace().collect();
            clauses.push((
                Occur::Should,
                boosted(term(fields.name_exact, variant), 40.0 * weight),
            ));
            clauses.push((
                Occur::Should,
                boosted(term(fields.name_prefix, &compact), 12.0 * weight),
            ));
            let words = analysis::words(&self.index, variant);
            let bigrams = analysis::bigrams(variant);
            if let Some(query) = phrase(fields.title_bigrams, &bigrams) {
                clauses.push((Occur::Should, boosted(query, 6.0 * weight)));
            }
            if let Some(query) = any_word(fields.title, &words) {
                clauses.push((Occur::Should, boosted(query, 2.0 * weight)));
            }
            if let Some(query) = phrase(fields.body_bigrams, &bigrams) {
                clauses.push((Occur::Should, boosted(query, 1.0 * weight)));
            }
            if let Some(query) = any_word(fields.body, &words) {
                clauses.push((Occur::Should, boosted(query, 0.5 * weight)));
            }
        }
        // Latin letters only: pinyin syllables in any order, or the initials.
        let latin: Vec<&str> = folded.split_whitespace().collect();
        if !latin.is_empty()
            && latin.iter().all(|word| {
                word.chars()
                    .all(|character| character.is_ascii_alphabetic())
            })
        {
            if latin.len() == 1 {
                clauses.push((
                    Occur::Should,
                    boosted(term(fields.name_initials, latin[0]), 10.0),
                ));
            }
            let all_syllables: Vec<(Occur, Box<dyn Query>)> = latin
                .iter()
                .map(|word| (Occur::Must, term(fields.name_pinyin, word)))
                .collect();
            clauses.push((
                Occur::Should,
                boosted(Box::new(BooleanQuery::new(all_syllables)), 8.0),
            ));
        }
        let ranking: Box<dyn Query> = Box::new(BooleanQuery::new(clauses));
        // Several terms with Chinese among them: each term must be found (all words of the
        // query, as users expect), and the clauses above rank what is found.
        // Words without letters, digits or ideographs (`-`, `*`) are no terms.
        let terms: Vec<&str> = folded
            .split_whitespace()
            .filter(|term| term.chars().any(char::is_alphanumeric))
            .collect();
        if terms.len() > 1 && folded.chars().any(analysis::is_cjk) {
            let mut required: Vec<(Occur, Box<dyn Query>)> = terms
                .iter()
                .map(|term| (Occur::Must, self.term_anywhere(term)))
                .collect();
            required.push((Occur::Should, ranking));
            return Some(Box::new(BooleanQuery::new(required)));
        }
        Some(ranking)
    }

    /// One term of a query, found anywhere in a document (as words or as a substring).
    fn term_anywhere(&self, text: &str) -> Box<dyn Query> {
        let fields = &self.fields;
        let mut any: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        // The term or any of its synonyms.
        for variant in variants(text) {
            let bigrams = analysis::bigrams(&variant);
            let words = analysis::words(&self.index, &variant);
            for query in [
                phrase(fields.title_bigrams, &bigrams),
                phrase(fields.body_bigrams, &bigrams),
                any_word(fields.title, &words),
                any_word(fields.body, &words),
            ]
            .into_iter()
            .flatten()
            {
                any.push((Occur::Should, query));
            }
        }
        any.push((Occur::Should, term(fields.name_initials, text)));
        Box::new(BooleanQuery::new(any))
    }

    fn filters(&self, query: &SearchQuery) -> Vec<(Occur, Box<dyn Query>)> {
        let fields = &self.fields;
        let mut filters: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let zero = |query: Box<dyn Query>| -> Box<dyn Query> { boosted(query, 0.0) };
        if !query.kinds.is_empty() {
            let kinds = query
                .kinds
                .iter()
                .map(|kind| (Occur::Should, term(fields.kind, kind.as_str())))
                .collect();
            filters.push((Occur::Must, zero(Box::new(BooleanQuery::new(kinds)))));
        }
        for (field, value) in [
            (fields.tenant_path, &query.tenant),
            (fields.org_type, &query.org_type),
            (fields.status, &query.status),
            (fields.service_area, &query.service_area),
            (fields.grade, &query.grade),
            (fields.category, &query.category),
        ] {
            if let Some(value) = value {
                filters.push((Occur::Must, zero(term(field, value))));
            }
        }
        if query.published_from.is_some() || query.published_to.is_some() {
            // Within the range tantivy's nanosecond dates hold; a missing side is open.
            let bound = |at: Option<DateTime<Utc>>| match at {
                Some(at) => std::ops::Bound::Included(Term::from_field_date(
                    fields.published,
                    TantivyDateTime::from_timestamp_secs(
                        at.timestamp().clamp(-9_000_000_000, 9_000_000_000),
                    ),
                )),
                None => std::ops::Bound::Unbounded,
            };
            let range = RangeQuery::new(bound(query.published_from), bound(query.published_to));
            filters.push((Occur::Must, zero(Box::new(range))));
        }
        filters
    }

    /// Runs a search. Any text is accepted; an empty text lists everything the filters allow.
    /// Paging stops at `MAX_OFFSET` results.
    pub fn search(&self, query: &SearchQuery) -> Result<SearchResults, SearchError> {
        if query.offset > MAX_OFFSET {
            return Err(SearchError::OffsetTooLarge(MAX_OFFSET));
        }
        let searcher = self.reader.searcher();
        let text_query = self.text_query(&query.text);
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(
            Occur::Must,
            text_query.as_ref().map_or_else(
                || Box::new(AllQuery) as Box<dyn Query>,
                |query| query.box_clone(),
            ),
        )];
        clauses.extend(self.filters(query));
        let full = BooleanQuery::new(clauses);
        let limit = query.limit.clamp(1, 200);
        // One pass over the matches: the page, the count and the facets together.
        let aggregations = if query.without_facets {
            None
        } else {
            Some(self.facet_collector()?)
        };
        let (addresses, total, aggregated): (Vec<(f32, DocAddress)>, usize, _) = match query.sort {
            Sort::Relevance => searcher.search(
                &full,
                &(
                    TopDocs::with_limit(limit)
                        .and_offset(query.offset)
                        .order_by_score(),
                    Count,
                    aggregations,
                ),
            )?,
            Sort::Date => {
                let (top, total, aggregated) = searcher.search(
                    &full,
                    &(
                        TopDocs::with_limit(limit)
                            .and_offset(query.offset)
                            .order_by_fast_field::<TantivyDateTime>("published", Order::Desc),
                        Count,
                        aggregations,
                    ),
                )?;
                let addresses = top.into_iter().map(|(_, address)| (0.0, address)).collect();
                (addresses, total, aggregated)
            }
        };
        let snippets = match &text_query {
            Some(text_query) => Some(SnippetGenerator::create(
                &searcher,
                &**text_query,
                self.fields.body,
            )?),
            None => None,
        };
        let mut hits = Vec::with_capacity(addresses.len());
        for (score, address) in addresses {
            let document: TantivyDocument = searcher.doc(address)?;
            hits.push(self.hit(&document, score, snippets.as_ref()));
        }
        let facets = match aggregated {
            Some(results) => facets_from(&results)?,
            None => Facets::new(),
        };
        Ok(SearchResults {
            total,
            hits,
            facets,
        })
    }

    fn hit(
        &self,
        document: &TantivyDocument,
        score: f32,
        snippets: Option<&SnippetGenerator>,
    ) -> Hit {
        let text = |field: Field| {
            document
                .get_first(field)
                .and_then(|value| value.as_str())
                .unwrap_or_default()
                .to_owned()
        };
        let snippet = snippets
            .map(|generator| generator.snippet_from_doc(document).to_html())
            .filter(|snippet| !snippet.is_empty())
            .unwrap_or_else(|| {
                let body = text(self.fields.body);
                escape(&body.chars().take(120).collect::<String>())
            });
        let uscc = text(self.fields.uscc);
        Hit {
            kind: text(self.fields.kind),
            id: text(self.fields.id),
            title: text(self.fields.display_title),
            snippet,
            uscc: (!uscc.is_empty()).then_some(uscc),
            tenant: text(self.fields.tenant),
            url: text(self.fields.url),
            score,
        }
    }

    fn facet_collector(&self) -> Result<AggregationCollector, SearchError> {
        let mut request = serde_json::Map::new();
        for name in FACETS {
            request.insert(
                name.to_owned(),
                serde_json::json!({ "terms": { "field": name, "size": 1000 } }),
            );
        }
        let aggregations: Aggregations = serde_json::from_value(serde_json::Value::Object(request))
            .map_err(|error| tantivy::TantivyError::InvalidArgument(error.to_string()))?;
        let context = AggContextParams::new(
            AggregationLimitsGuard::default(),
            self.index.tokenizers().clone(),
        );
        Ok(AggregationCollector::from_aggs(aggregations, context))
    }
}

fn facets_from(
    results: &tantivy::aggregation::agg_result::AggregationResults,
) -> Result<Facets, SearchError> {
    let value = serde_json::to_value(results)
        .map_err(|error| tantivy::TantivyError::InvalidArgument(error.to_string()))?;
    let mut facets = Facets::new();
    for name in FACETS {
        let mut counts = BTreeMap::new();
        for bucket in value[name]["buckets"].as_array().into_iter().flatten() {
            let key = match &bucket["key"] {
                serde_json::Value::String(text) => text.clone(),
                other => other.to_string(),
            };
            let count = bucket["doc_count"].as_u64().unwrap_or(0);
            if count > 0 {
                counts.insert(key, count);
            }
        }
        facets.insert(name.to_owned(), counts);
    }
    Ok(facets)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
