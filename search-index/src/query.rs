//! Questions to the index. The user's text is only ever text: it is analysed into terms and
//! phrases here, never handed to a query language, so no input can make a query fail.

use chrono::{DateTime, Utc};
use serde::Serialize;
use tantivy::{
    DateTime as TantivyDateTime, DocAddress, Order, TantivyDocument, Term,
    collector::{Count, TopDocs},
    query::{AllQuery, BooleanQuery, BoostQuery, Occur, PhraseQuery, Query, RangeQuery, TermQuery},
    schema::{Field, IndexRecordOption, Value},
    snippet::SnippetGenerator,
};

use crate::{
    Kind, SearchError, SearchIndex, analysis,
    facets::{FacetCollector, Facets},
};

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

#[derive(Clone, Debug, Serialize)]
pub struct SearchResults {
    pub total: usize,
    pub hits: Vec<Hit>,
    pub facets: Facets,
}

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

/// All of the words; `None` without words.
fn all_words(field: Field, words: &[String]) -> Option<Box<dyn Query>> {
    match words {
        [] => None,
        [single] => Some(term(field, single)),
        _ => Some(Box::new(BooleanQuery::new(
            words
                .iter()
                .map(|word| (Occur::Must, term(field, word)))
                .collect(),
        ))),
    }
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
    /// The query for the user's text: what it matches, and how the matches rank.
    ///
    /// A document matches when it holds every term of the text (as a substring, as all of the
    /// term's words, or as pinyin), or when the whole text is its code, its pinyin or the
    /// initials of its name. Ranking clauses are only scored on documents that match, so common
    /// words of a name ("服务", "中心") rank what is found without widening it.
    fn text_query(&self, text: &str) -> Option<Box<dyn Query>> {
        let fields = &self.fields;
        let folded: String = analysis::fold(text.trim())
            .chars()
            .take(MAX_QUERY_CHARS)
            .collect();
        // Words without letters, digits or ideographs (`-`, `*`) are no terms.
        let terms: Vec<&str> = folded
            .split_whitespace()
            .filter(|term| term.chars().any(char::is_alphanumeric))
            .collect();
        if terms.is_empty() {
            return None;
        }
        let mut matching: Vec<(Occur, Box<dyn Query>)> = vec![(
            Occur::Should,
            Box::new(BooleanQuery::new(
                terms
                    .iter()
                    .map(|term| (Occur::Must, self.term_anywhere(term)))
                    .collect(),
            )),
        )];
        let mut ranking: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let code: String = terms.concat();
        if code.len() == 18
            && code
                .chars()
                .all(|character| character.is_ascii_alphanumeric())
        {
            let query = term(fields.uscc, &code.to_ascii_uppercase());
            matching.push((Occur::Should, query.box_clone()));
            ranking.push((Occur::Should, boosted(query, 200.0)));
        }
        // Latin letters only: pinyin syllables in any order, or the initials.
        if terms.iter().all(|word| {
            word.chars()
                .all(|character| character.is_ascii_alphabetic())
        }) {
            if let [single] = terms.as_slice() {
                let query = term(fields.name_initials, single);
                matching.push((Occur::Should, query.box_clone()));
                ranking.push((Occur::Should, boosted(query, 10.0)));
            }
            let all_syllables: Box<dyn Query> = Box::new(BooleanQuery::new(
                terms
                    .iter()
                    .map(|word| (Occur::Must, term(fields.name_pinyin, word)))
                    .collect(),
            ));
            ranking.push((Occur::Should, boosted(all_syllables, 8.0)));
        }
        for (rank, variant) in variants(&terms.join(" ")).iter().enumerate() {
            let weight = if rank == 0 { 1.0 } else { 0.6 };
            let compact: String = variant.split_whitespace().collect();
            ranking.push((
                Occur::Should,
                boosted(term(fields.name_exact, variant), 40.0 * weight),
            ));
            ranking.push((
                Occur::Should,
                boosted(term(fields.name_prefix, &compact), 12.0 * weight),
            ));
            let words = analysis::words(&self.index, variant);
            let bigrams = analysis::bigrams(variant);
            for (query, boost) in [
                (phrase(fields.title_bigrams, &bigrams), 6.0),
                (any_word(fields.title, &words), 2.0),
                (phrase(fields.body_bigrams, &bigrams), 1.0),
                (any_word(fields.body, &words), 0.5),
            ] {
                if let Some(query) = query {
                    ranking.push((Occur::Should, boosted(query, boost * weight)));
                }
            }
        }
        Some(Box::new(BooleanQuery::new(vec![
            (
                Occur::Must,
                boosted(Box::new(BooleanQuery::new(matching)), 0.0),
            ),
            (Occur::Should, Box::new(BooleanQuery::new(ranking))),
        ])))
    }

    /// One term of a query, found anywhere in a document: as a substring (its bigrams in a
    /// row), as all of its words, as a pinyin syllable or as initials; or any of its synonyms.
    fn term_anywhere(&self, text: &str) -> Box<dyn Query> {
        let fields = &self.fields;
        let mut any: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for variant in variants(text) {
            let bigrams = analysis::bigrams(&variant);
            let words = analysis::words(&self.index, &variant);
            for query in [
                phrase(fields.title_bigrams, &bigrams),
                phrase(fields.body_bigrams, &bigrams),
                all_words(fields.title, &words),
                all_words(fields.body, &words),
            ]
            .into_iter()
            .flatten()
            {
                any.push((Occur::Should, query));
            }
        }
        any.push((Occur::Should, term(fields.name_initials, text)));
        if text
            .chars()
            .all(|character| character.is_ascii_alphabetic())
        {
            any.push((Occur::Should, term(fields.name_pinyin, text)));
        }
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
            Some(FacetCollector)
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
            Some(text_query) if !addresses.is_empty() => Some(SnippetGenerator::create(
                &searcher,
                &**text_query,
                self.fields.body,
            )?),
            _ => None,
        };
        let mut hits = Vec::with_capacity(addresses.len());
        for (score, address) in addresses {
            let document: TantivyDocument = searcher.doc(address)?;
            hits.push(self.hit(&document, score, snippets.as_ref()));
        }
        let facets = aggregated.unwrap_or_default();
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
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
