//! Questions to the index. The user's text is only ever text: it is analysed into terms and
//! phrases here, never handed to a query language, so no input can make a query fail.

use chrono::{DateTime, Utc};
use serde::Serialize;
use tantivy::{
    DateTime as TantivyDateTime, TantivyDocument, Term,
    query::{
        AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, Occur, PhraseQuery, Query, RangeQuery,
        TermQuery,
    },
    schema::{Field, IndexRecordOption, Value},
};

use crate::{
    Kind, SearchError, SearchIndex, analysis,
    any::AnyOf,
    facets::{FACETS, Facets},
    in_title::InTitle,
    kinds::Kinds,
    page::{By, PageCollector, PageFruit},
    snippet::{escape, snippet_html},
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
    /// The publication year, as its facet counts it (in the publisher's time zone).
    pub year: Option<String>,
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

/// Scores of what a match is: a match in the name always outranks one in the description,
/// whatever the term statistics say. Only the description is scored by BM25, scaled to stay
/// below a single name tier.
mod tier {
    pub const CODE: f32 = 10_000.0;
    pub const EXACT_NAME: f32 = 1_000.0;
    pub const NAME_PREFIX: f32 = 100.0;
    pub const INITIALS: f32 = 50.0;
    pub const ALL_SYLLABLES: f32 = 20.0;
    /// Per term: the term as written in the name.
    pub const NAME_PHRASE: f32 = 8.0;
    /// Per term: each of its words somewhere in the name, or its pinyin syllable.
    pub const NAME_WORDS: f32 = 4.0;
    /// Per term, times BM25 divided by the number of terms summed in it. A term's BM25 is at
    /// most about 25 (idf of a term found once in 100,000 documents, times `k1 + 1`), so a
    /// description match stays below 1.5 points for each variant of a term, under `NAME_WORDS`.
    pub const BODY_PHRASE: f32 = 0.04;
    pub const BODY_WORDS: f32 = 0.02;
    /// A synonym's variant counts a little less than the text as typed.
    pub const VARIANT: f32 = 0.6;
    /// An organisation goes before the notices about it that match as well: more than a
    /// description adds, less than a name tier.
    pub const ORGANISATION: f32 = 2.0;
}

fn term(field: Field, value: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_text(field, value),
        IndexRecordOption::WithFreqs,
    ))
}

/// Matches what `query` matches with a fixed score (and without computing any other).
fn constant(query: Box<dyn Query>, score: f32) -> Box<dyn Query> {
    Box::new(ConstScoreQuery::new(query, score))
}

fn boosted(query: Box<dyn Query>, boost: f32) -> Box<dyn Query> {
    Box::new(BoostQuery::new(query, boost))
}

/// The grams (with their positions) as a phrase; one gram: a term query.
fn phrase(field: Field, tokens: &[(usize, String)]) -> Option<Box<dyn Query>> {
    match tokens {
        [] => None,
        [(_, single)] => Some(term(field, single)),
        [(first, _), ..] => Some(Box::new(PhraseQuery::new_with_offset(
            tokens
                .iter()
                .map(|(position, token)| (position - first, Term::from_field_text(field, token)))
                .collect(),
        ))),
    }
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

/// The words, less the Chinese words of two or three characters inside a longer one. jieba's
/// search mode gives a long word's dictionary words of two and three characters as well
/// ("外来务工": "外来", "务工"), in the index as in the query, so a document that holds the
/// long word holds those too: asking for them as well only costs. Other parts are kept: a
/// single character, a longer word, digits and Latin ("12" in "1201") are no such parts.
fn widest(words: Vec<String>) -> Vec<String> {
    words
        .iter()
        .filter(|word| {
            let word: &str = word;
            let part =
                (2..=3).contains(&word.chars().count()) && word.chars().all(analysis::is_cjk);
            !part
                || !words
                    .iter()
                    .any(|other| other.len() > word.len() && other.contains(word))
        })
        .cloned()
        .collect()
}

/// How a term's ways of matching are gone through.
#[derive(Clone, Copy)]
enum Walked {
    /// From first to last: the only term leads the search, and tantivy's union, which fills a
    /// window of documents from each way at once, is about twice as fast at that.
    Whole,
    /// Document by document: one of several terms, asked only about the documents the term
    /// leading the intersection found (see `AnyOf`).
    Sought,
}

fn is_latin_word(text: &str) -> bool {
    text.chars()
        .all(|character| character.is_ascii_alphabetic())
}

/// Two CJK characters that jieba keeps as one word, or splits into its two characters: the
/// pair as written is what is asked for, so the bigram alone matches (the two characters apart
/// from each other are not a match) and scores as name words too.
fn bigram_says_it_all(text: &str, words: &[String]) -> bool {
    text.chars().count() == 2
        && text.chars().all(analysis::is_cjk)
        && (words.len() == 1 && words[0] == text
            || words.len() == 2 && words.iter().all(|word| word.chars().count() == 1))
}

impl SearchIndex {
    /// The query for the user's text: what it matches and how the matches rank, in one tree so
    /// that each posting list is read once.
    ///
    /// A document matches when it holds every term of the text (as a substring, as all of the
    /// term's words, or as a pinyin syllable), or when the whole text is its code or the
    /// initials of its name. The clauses about the whole name (exact, prefix, all syllables)
    /// only rank what is found; so do common words of a name ("服务", "中心").
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
        let every_term: Box<dyn Query> = match terms.as_slice() {
            [single] => self.term_anywhere(single, Walked::Whole),
            _ => Box::new(BooleanQuery::new(
                terms
                    .iter()
                    .map(|term| (Occur::Must, self.term_anywhere(term, Walked::Sought)))
                    .collect(),
            )),
        };
        let mut matching: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Should, every_term)];
        let mut ranking: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let code: String = terms.concat();
        if code.len() == 18
            && code
                .chars()
                .all(|character| character.is_ascii_alphanumeric())
        {
            matching.push((
                Occur::Should,
                constant(term(fields.uscc, &code.to_ascii_uppercase()), tier::CODE),
            ));
        }
        if terms.iter().all(|word| is_latin_word(word)) {
            if let [single] = terms.as_slice() {
                matching.push((
                    Occur::Should,
                    constant(term(fields.name_initials, single), tier::INITIALS),
                ));
            }
            if terms.len() > 1 {
                ranking.push((
                    Occur::Should,
                    constant(
                        all_words(
                            fields.name_pinyin,
                            &terms
                                .iter()
                                .map(|word| (*word).to_owned())
                                .collect::<Vec<_>>(),
                        )?,
                        tier::ALL_SYLLABLES,
                    ),
                ));
            }
        }
        for (rank, variant) in variants(&terms.join(" ")).iter().enumerate() {
            let weight = if rank == 0 { 1.0 } else { tier::VARIANT };
            let compact: String = variant.split_whitespace().collect();
            ranking.push((
                Occur::Should,
                constant(term(fields.name_exact, variant), tier::EXACT_NAME * weight),
            ));
            ranking.push((
                Occur::Should,
                constant(
                    term(fields.name_prefix, &compact),
                    tier::NAME_PREFIX * weight,
                ),
            ));
        }
        let matching: Box<dyn Query> = match matching.len() {
            1 => matching.pop().map(|(_, query)| query)?,
            _ => Box::new(BooleanQuery::new(matching)),
        };
        let mut clauses = vec![(Occur::Must, matching)];
        clauses.extend(ranking);
        Some(Box::new(BooleanQuery::new(clauses)))
    }

    /// One term of a query, found anywhere in a document and scored by where: as a substring
    /// (its grams in a row), as all of its words, or as a pinyin syllable; or any of its
    /// synonyms.
    fn term_anywhere(&self, text: &str, walked: Walked) -> Box<dyn Query> {
        let fields = &self.fields;
        let mut any: Vec<Box<dyn Query>> = Vec::new();
        for (rank, variant) in variants(text).iter().enumerate() {
            let weight = if rank == 0 { 1.0 } else { tier::VARIANT };
            let grams = analysis::covering_grams(variant);
            let words = analysis::words(&self.index, variant);
            let whole = bigram_says_it_all(variant, &words);
            let name_phrase = if whole {
                tier::NAME_PHRASE + tier::NAME_WORDS
            } else {
                tier::NAME_PHRASE
            };
            if grams.len() > 1 && variant.chars().all(analysis::is_cjk) {
                // Checked against the title itself, without positions.
                any.push(Box::new(InTitle::new(
                    grams
                        .iter()
                        .map(|(_, gram)| Term::from_field_text(fields.title_grams, gram))
                        .collect(),
                    variant,
                    name_phrase * weight,
                    self.values.clone(),
                )));
            } else if let Some(query) = phrase(fields.title_grams, &grams) {
                any.push(constant(query, name_phrase * weight));
            }
            if let Some(query) = phrase(fields.body_grams, &grams) {
                // A phrase's BM25 sums its terms': divided by their number.
                let per_term = tier::BODY_PHRASE / grams.len() as f32;
                any.push(boosted(query, per_term * weight));
            }
            if whole {
                continue;
            }
            let words = widest(words);
            if let Some(query) = all_words(fields.title, &words) {
                any.push(constant(query, tier::NAME_WORDS * weight));
            }
            if let Some(query) = all_words(fields.body, &words) {
                let per_word = tier::BODY_WORDS / words.len() as f32;
                any.push(boosted(query, per_word * weight));
            }
        }
        if is_latin_word(text) {
            any.push(constant(term(fields.name_pinyin, text), tier::NAME_WORDS));
        }
        match walked {
            Walked::Whole => Box::new(BooleanQuery::new(
                any.into_iter()
                    .map(|query| (Occur::Should, query))
                    .collect(),
            )),
            Walked::Sought => Box::new(AnyOf::new(any)),
        }
    }

    /// What to mark in the description: every term as typed and as its synonyms, and the
    /// words of each (folded, as the text they are looked for in).
    fn highlights(&self, text: &str) -> Vec<String> {
        let folded: String = analysis::fold(text.trim())
            .chars()
            .take(MAX_QUERY_CHARS)
            .collect();
        let mut marked: Vec<String> = Vec::new();
        for term in folded.split_whitespace() {
            for variant in variants(term) {
                let words = analysis::words(&self.index, &variant);
                for word in std::iter::once(variant).chain(words) {
                    if word.chars().any(char::is_alphanumeric) && !marked.contains(&word) {
                        marked.push(word);
                    }
                }
            }
        }
        marked
    }

    fn filters(&self, query: &SearchQuery) -> Vec<(Occur, Box<dyn Query>)> {
        let fields = &self.fields;
        let mut filters: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        // Filters decide, never score.
        let zero = |query: Box<dyn Query>| -> Box<dyn Query> { constant(query, 0.0) };
        // The kinds are checked by `Kinds`, around the whole query.
        for (field, value) in [
            (fields.tenant_path, &query.tenant),
            (fields.org_type, &query.org_type),
            (fields.status, &query.status),
            (fields.service_area, &query.service_area),
            (fields.grade, &query.grade),
            (fields.category, &query.category),
            (fields.year, &query.year),
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
        // Listing everything (no text), organisations get no bonus: ties keep their order.
        let full = Kinds::new(
            Box::new(BooleanQuery::new(clauses)),
            &query.kinds,
            text_query
                .is_some()
                .then_some((Kind::Organisation, tier::ORGANISATION)),
            self.values.clone(),
        );
        let limit = query.limit.clamp(1, 200);
        // One pass over the matches: the page, the count and the facets together.
        let counted = (!query.without_facets).then(|| {
            // Only what the kinds searched can have; `kind` itself is the total when one kind
            // is searched.
            (0..FACETS.len())
                .filter(|index| {
                    let name = FACETS[*index];
                    query.kinds.is_empty()
                        || (name == "kind" && query.kinds.len() > 1)
                        || query.kinds.iter().any(|kind| kind.facets().contains(&name))
                })
                .collect()
        });
        // Ties are broken by `tie_order`, never by where a document sits in the segments, so
        // that paging by offset sees one order.
        let page = PageCollector {
            by: match query.sort {
                Sort::Relevance => By::Score,
                Sort::Date => By::Published,
            },
            keep: query.offset + limit,
            counted,
            values: self.values.clone(),
        };
        let PageFruit {
            best,
            total,
            facets: aggregated,
        } = searcher.search(&full, &page)?;
        let addresses = best.into_iter().skip(query.offset).map(|ranked| {
            let score = if query.sort == Sort::Relevance {
                ranked.score
            } else {
                0.0
            };
            (score, ranked.address)
        });
        let highlights = self.highlights(&query.text);
        let mut hits = Vec::with_capacity(limit);
        for (score, address) in addresses {
            let document: TantivyDocument = searcher.doc(address)?;
            hits.push(self.hit(&document, score, &highlights));
        }
        let mut facets = aggregated.unwrap_or_default();
        if let ([kind], Some(counts)) = (query.kinds.as_slice(), facets.get_mut("kind"))
            && total > 0
        {
            counts.insert(kind.as_str().to_owned(), total as u64);
        }
        Ok(SearchResults {
            total,
            hits,
            facets,
        })
    }

    fn hit(&self, document: &TantivyDocument, score: f32, highlights: &[String]) -> Hit {
        let text = |field: Field| {
            document
                .get_first(field)
                .and_then(|value| value.as_str())
                .unwrap_or_default()
                .to_owned()
        };
        let body = text(self.fields.display_body);
        let mut snippet = snippet_html(&body, highlights);
        if snippet.is_empty() {
            snippet = escape(&body.chars().take(120).collect::<String>());
        }
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

#[cfg(test)]
mod tests {
    use super::snippet_html;
    use crate::snippet::SNIPPET_CHARS;

    fn marks(words: &[&str]) -> Vec<String> {
        words.iter().map(|word| (*word).to_owned()).collect()
    }

    #[test]
    fn words_inside_a_longer_word_are_not_asked_for_again() {
        let words = ["外来", "务工", "外来务工", "人员", "服务"]
            .map(str::to_owned)
            .to_vec();
        assert_eq!(super::widest(words), ["外来务工", "人员", "服务"]);
        // Equal words are no sub-words of each other.
        let words = ["长者", "服务"].map(str::to_owned).to_vec();
        assert_eq!(super::widest(words), ["长者", "服务"]);
        // A character alone is asked for as a word of its own.
        let words = ["大鹏", "新区", "大鹏新区", "大"]
            .map(str::to_owned)
            .to_vec();
        assert_eq!(super::widest(words), ["大鹏新区", "大"]);
        // Digits and Latin words are whole tokens: "12" is not indexed with "1201".
        let words = ["12", "栋", "1201"].map(str::to_owned).to_vec();
        assert_eq!(super::widest(words), ["12", "栋", "1201"]);
    }

    #[test]
    fn a_mark_longer_than_the_window_is_shown_marked() {
        let long = "长者".repeat(SNIPPET_CHARS);
        let text = format!("{}{long}结束", "前言".repeat(40));
        let html = snippet_html(&text, &marks(&[&long]));
        assert_eq!(html, format!("<b>{}</b>", &long[..SNIPPET_CHARS * 3]));
    }

    #[test]
    fn overlapping_words_make_one_mark() {
        assert_eq!(
            snippet_html("为长者关爱服务", &marks(&["长者关爱", "长者", "关爱"])),
            "为<b>长者关爱</b>服务"
        );
        assert_eq!(snippet_html("为长者服务", &marks(&["青年"])), "");
    }

    #[test]
    fn a_stemmed_word_is_marked_to_its_end() {
        assert_eq!(
            snippet_html("Social Services & more", &marks(&["servic"])),
            "Social <b>Services</b> &amp; more"
        );
        assert_eq!(snippet_html("We maintain", &marks(&["ai"])), "");
    }

    #[test]
    fn full_width_text_is_marked_as_written() {
        // Folding makes "ＡＢＣ" three bytes of ASCII from nine: the marks land on the original.
        assert_eq!(
            snippet_html("<ＡＢＣ服务>", &marks(&["abc服务"])),
            "&lt;<b>ＡＢＣ服务</b>&gt;"
        );
    }

    #[test]
    fn a_long_text_is_cut_around_the_most_marks() {
        let text = format!(
            "{}长者{}关爱长者的服务{}",
            "甲".repeat(200),
            "乙".repeat(300),
            "丙".repeat(200)
        );
        let snippet = snippet_html(&text, &marks(&["长者", "关爱"]));
        // The window marking four characters rather than two, from a little before them.
        assert!(snippet.starts_with(&"乙".repeat(20)), "{snippet}");
        assert!(snippet.contains("<b>关爱长者</b>的服务"), "{snippet}");
        assert!(!snippet.contains('甲'), "{snippet}");
        let shown = snippet.replace("<b>", "").replace("</b>", "");
        assert_eq!(shown.chars().count(), SNIPPET_CHARS);
    }

    #[test]
    fn a_mark_near_the_end_keeps_a_full_window() {
        let text = format!("{}长者", "甲".repeat(400));
        let snippet = snippet_html(&text, &marks(&["长者"]));
        assert!(snippet.ends_with("<b>长者</b>"), "{snippet}");
        let shown = snippet.replace("<b>", "").replace("</b>", "");
        assert_eq!(shown.chars().count(), SNIPPET_CHARS);
    }
}
