//! Text analysis for Chinese and Latin text: folding (full-width forms, traditional characters,
//! case), jieba search-mode words, character bigrams, pinyin, and the synonym list.

use tantivy::{
    Index,
    tokenizer::{
        Language, LowerCaser, RawTokenizer, SimpleTokenizer, Stemmer, TextAnalyzer, Token,
        TokenStream, Tokenizer,
    },
};
use tantivy_jieba::JiebaTokenizer;

use crate::traditional::TRADITIONAL;

/// Words: jieba in search mode (also the sub-words), lower-cased, English stemmed.
pub const WORDS: &str = "socorg_words";
/// Overlapping character bigrams of CJK runs; Latin words whole.
pub const BIGRAMS: &str = "socorg_bigrams";
/// The whole value as one token (already folded by the caller).
pub const KEYWORD: &str = "socorg_keyword";
/// Whitespace-separated Latin words, lower-cased (pinyin syllables).
pub const LATIN: &str = "socorg_latin";

/// Everyday abbreviations and the words they stand for; a query for either finds both.
pub const SYNONYMS: &[(&str, &str)] = &[
    ("社工", "社会工作"),
    ("民非", "民办非企业单位"),
    ("民非", "社会服务机构"),
    ("社团", "社会团体"),
    ("义工", "志愿者"),
    ("慈善会", "慈善总会"),
    ("残联", "残疾人联合会"),
    ("妇联", "妇女联合会"),
    ("养老院", "养老服务中心"),
];

/// Folds text for indexing and querying: full-width forms to half-width, the ideographic space
/// to a space, traditional characters to simplified ones (the Unihan table), and lower case.
/// Each character folds to exactly one character, so a position in the folded text is the same
/// position in the original.
pub fn fold(text: &str) -> String {
    text.chars().map(fold_char).collect()
}

fn fold_char(character: char) -> char {
    match character {
        '\u{3000}' => ' ',
        '\u{FF01}'..='\u{FF5E}' => {
            char::from_u32(u32::from(character) - 0xFEE0).map_or(character, lower)
        }
        other if is_cjk(other) => TRADITIONAL
            .binary_search_by_key(&other, |(traditional, _)| *traditional)
            .map_or(other, |index| TRADITIONAL[index].1),
        other => lower(other),
    }
}

/// Lower case where it is one character (`İ` lower-cases to two and is kept).
fn lower(character: char) -> char {
    let mut lowered = character.to_lowercase();
    match (lowered.next(), lowered.next()) {
        (Some(single), None) => single,
        _ => character,
    }
}

/// Whether a character belongs to the CJK ideographs.
pub fn is_cjk(character: char) -> bool {
    matches!(character,
        '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{F900}'..='\u{FAFF}'
        // Extensions B to I and the compatibility supplement.
        | '\u{20000}'..='\u{2FFFF}' | '\u{30000}'..='\u{323AF}')
}

/// Positions left between runs (a CJK run, a Latin word): more than the longest query, so a
/// phrase never lines up across a break in the text, even when it checks only some of its
/// bigrams.
pub const RUN_GAP: usize = 256;

/// The bigram tokens of a text with their positions, exactly as the index holds them.
pub fn bigrams(text: &str) -> Vec<(usize, String)> {
    let mut tokenizer = BigramTokenizer::default();
    let mut stream = tokenizer.token_stream(text);
    let mut tokens = Vec::new();
    while stream.advance() {
        let token = stream.token();
        tokens.push((token.position, token.text.clone()));
    }
    tokens
}

/// Enough of a text's bigrams to pin it down: in each run the first, every other one and the
/// last, so that every character is covered. A phrase of these matches exactly where the
/// phrase of all of them does, and reads fewer posting lists.
pub fn covering_bigrams(text: &str) -> Vec<(usize, String)> {
    let tokens = bigrams(text);
    let mut chosen: Vec<(usize, String)> = Vec::with_capacity(tokens.len());
    for (index, (position, token)) in tokens.iter().enumerate() {
        let run_start = index == 0 || tokens[index - 1].0 + 1 != *position;
        let run_end = tokens
            .get(index + 1)
            .is_none_or(|(next, _)| *next != position + 1);
        let since_chosen = chosen
            .last()
            .map_or(usize::MAX, |(last, _)| position - last);
        if run_start || run_end || since_chosen >= 2 {
            chosen.push((*position, token.clone()));
        }
    }
    chosen
}

#[derive(Clone, Default)]
struct BigramTokenizer {
    tokens: Vec<Token>,
}

struct VecTokenStream<'a> {
    tokens: &'a [Token],
    next: usize,
}

impl TokenStream for VecTokenStream<'_> {
    fn advance(&mut self) -> bool {
        if self.next < self.tokens.len() {
            self.next += 1;
            true
        } else {
            false
        }
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        unreachable!("bigram tokens are not filtered")
    }
}

impl Tokenizer for BigramTokenizer {
    type TokenStream<'a> = VecTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        self.tokens.clear();
        let characters: Vec<(usize, char)> = text.char_indices().collect();
        let end_of = |index: usize| {
            characters
                .get(index)
                .map_or(text.len(), |(offset, _)| *offset)
        };
        // The position of the next run's first token.
        let mut run_position = 0;
        let mut index = 0;
        while index < characters.len() {
            let (start, character) = characters[index];
            if is_cjk(character) {
                let run_start = index;
                while index < characters.len() && is_cjk(characters[index].1) {
                    index += 1;
                }
                let pairs: Vec<(usize, usize)> = if index - run_start == 1 {
                    vec![(run_start, run_start + 1)]
                } else {
                    (run_start..index - 1)
                        .map(|first| (first, first + 2))
                        .collect()
                };
                let count = pairs.len();
                for (offset, (first, last)) in pairs.into_iter().enumerate() {
                    let from = characters[first].0;
                    let to = end_of(last);
                    self.tokens.push(Token {
                        offset_from: from,
                        offset_to: to,
                        position: run_position + offset,
                        text: text[from..to].to_owned(),
                        position_length: 1,
                    });
                }
                run_position += count + RUN_GAP;
            } else if character.is_alphanumeric() {
                while index < characters.len()
                    && characters[index].1.is_alphanumeric()
                    && !is_cjk(characters[index].1)
                {
                    index += 1;
                }
                let to = end_of(index);
                self.tokens.push(Token {
                    offset_from: start,
                    offset_to: to,
                    position: run_position,
                    text: text[start..to].to_lowercase(),
                    position_length: 1,
                });
                run_position += 1 + RUN_GAP;
            } else {
                index += 1;
            }
        }
        VecTokenStream {
            tokens: &self.tokens,
            next: 0,
        }
    }
}

/// Registers the analyzers on an index.
pub fn register(index: &Index) {
    let tokenizers = index.tokenizers();
    tokenizers.register(
        WORDS,
        TextAnalyzer::builder(JiebaTokenizer::new())
            .filter(LowerCaser)
            .filter(Stemmer::new(Language::English))
            .build(),
    );
    tokenizers.register(
        BIGRAMS,
        TextAnalyzer::builder(BigramTokenizer::default()).build(),
    );
    tokenizers.register(
        KEYWORD,
        TextAnalyzer::builder(RawTokenizer::default()).build(),
    );
    tokenizers.register(
        LATIN,
        TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(LowerCaser)
            .build(),
    );
}

/// The words jieba finds in a text, as the index holds them.
pub fn words(index: &Index, text: &str) -> Vec<String> {
    let mut analyzer = index
        .tokenizers()
        .get(WORDS)
        .unwrap_or_else(|| TextAnalyzer::builder(SimpleTokenizer::default()).build());
    let mut stream = analyzer.token_stream(text);
    let mut words = Vec::new();
    while stream.advance() {
        let token = stream.token();
        if token.text.chars().any(char::is_alphanumeric) && !words.contains(&token.text) {
            words.push(token.text.clone());
        }
    }
    words
}

#[cfg(test)]
mod tests {
    use super::{RUN_GAP, bigrams, covering_bigrams, fold};

    #[test]
    fn folding_keeps_one_character_for_each() {
        for text in ["İstanbul ＡＢＣ　深圳市福田區", "婦聯 慈善總會 衛生 國際"]
        {
            assert_eq!(fold(text).chars().count(), text.chars().count());
        }
        assert_eq!(fold("婦聯 慈善總會 衛生 國際"), "妇联 慈善总会 卫生 国际");
    }

    #[test]
    fn the_traditional_table_is_sorted_and_within_the_ideographs() {
        let table = crate::traditional::TRADITIONAL;
        assert!(table.windows(2).all(|pair| pair[0].0 < pair[1].0));
        assert!(
            table
                .iter()
                .all(|(from, to)| super::is_cjk(*from) && super::is_cjk(*to))
        );
    }

    #[test]
    fn folding_normalises_width_case_and_traditional_characters() {
        assert_eq!(
            fold("深圳市福田區長者關愛協會（ＡＢＣ）"),
            "深圳市福田区长者关爱协会(abc)"
        );
    }

    fn texts(tokens: &[(usize, String)]) -> Vec<&str> {
        tokens.iter().map(|(_, text)| text.as_str()).collect()
    }

    #[test]
    fn bigrams_cover_every_pair_and_keep_latin_words() {
        assert_eq!(texts(&bigrams("长者关爱")), ["长者", "者关", "关爱"]);
        assert_eq!(texts(&bigrams("福")), ["福"]);
        assert_eq!(texts(&bigrams("ABC长者 2026")), ["abc", "长者", "2026"]);
    }

    #[test]
    fn runs_are_kept_apart_by_a_gap_of_positions() {
        let positions: Vec<usize> = bigrams("长者关爱，abc长者")
            .iter()
            .map(|(position, _)| *position)
            .collect();
        assert_eq!(positions, [0, 1, 2, 3 + RUN_GAP, 4 + 2 * RUN_GAP]);
    }

    #[test]
    fn covering_bigrams_keep_every_character_of_each_run() {
        let chosen = covering_bigrams("一二三四五六七八");
        assert_eq!(
            chosen,
            [
                (0, "一二".to_owned()),
                (2, "三四".to_owned()),
                (4, "五六".to_owned()),
                (6, "七八".to_owned()),
            ]
        );
        assert_eq!(
            texts(&covering_bigrams("一二三四五")),
            ["一二", "三四", "四五"]
        );
        assert_eq!(texts(&covering_bigrams("一二")), ["一二"]);
        assert_eq!(
            texts(&covering_bigrams("一二三，ab")),
            ["一二", "二三", "ab"]
        );
    }
}
