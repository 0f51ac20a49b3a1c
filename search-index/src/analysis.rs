//! Text analysis for Chinese and Latin text: folding (full-width forms, traditional characters,
//! case), jieba search-mode words, character n-grams, pinyin, and the synonym list.

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
/// Overlapping character bigrams and 4-grams of CJK runs; Latin words whole (see `grams`).
pub const GRAMS: &str = "socorg_grams";
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
/// grams.
pub const RUN_GAP: usize = 256;

/// The length of the longer grams indexed beside the bigrams.
pub const LONG_GRAM: usize = 4;

/// A stretch of text the gram analysis treats as one: CJK characters in a row, or a Latin word
/// (letters and digits).
struct Run<'a> {
    /// The position of its first token.
    position: usize,
    cjk: bool,
    /// Its characters with their byte offsets in the text.
    characters: &'a [(usize, char)],
    /// The byte offset just past its last character.
    end: usize,
}

fn runs<'a>(text: &str, characters: &'a [(usize, char)]) -> Vec<Run<'a>> {
    let mut runs = Vec::new();
    let mut position = 0;
    let mut index = 0;
    while index < characters.len() {
        let character = characters[index].1;
        let cjk = is_cjk(character);
        if !cjk && !character.is_alphanumeric() {
            index += 1;
            continue;
        }
        let start = index;
        while index < characters.len()
            && (if cjk {
                is_cjk(characters[index].1)
            } else {
                characters[index].1.is_alphanumeric() && !is_cjk(characters[index].1)
            })
        {
            index += 1;
        }
        let end = characters
            .get(index)
            .map_or(text.len(), |(offset, _)| *offset);
        runs.push(Run {
            position,
            cjk,
            characters: &characters[start..index],
            end,
        });
        // A CJK run takes a position for each bigram (one for a single character).
        let taken = if cjk { (index - start - 1).max(1) } else { 1 };
        position += taken + RUN_GAP;
    }
    runs
}

/// The gram tokens of a text with their positions, exactly as the index holds them: for each
/// CJK run its overlapping bigrams (a lone character as itself) and, at the same positions, its
/// overlapping `LONG_GRAM`-grams; each Latin word whole, lower-cased.
pub fn grams(text: &str) -> Vec<(usize, String)> {
    let mut tokenizer = GramTokenizer::default();
    let mut stream = tokenizer.token_stream(text);
    let mut tokens = Vec::new();
    while stream.advance() {
        let token = stream.token();
        tokens.push((token.position, token.text.clone()));
    }
    tokens
}

/// Few grams that pin a text down: in each CJK run its longer grams every `LONG_GRAM`
/// characters and the last one, so that every character is covered (runs too short for one: the
/// bigrams, first and last). A phrase of these matches where the text does, with its runs in
/// the same order (what stands between runs is not compared, and a Latin word or a lone
/// character is matched whole), and reads few posting lists: one for a run of `LONG_GRAM`
/// characters or two characters.
pub fn covering_grams(text: &str) -> Vec<(usize, String)> {
    let characters: Vec<(usize, char)> = text.char_indices().collect();
    let mut chosen = Vec::new();
    for run in runs(text, &characters) {
        let slice = |first: usize, length: usize| -> String {
            run.characters[first..first + length]
                .iter()
                .map(|(_, character)| *character)
                .collect()
        };
        let length = run.characters.len();
        if !run.cjk {
            chosen.push((run.position, slice(0, length).to_lowercase()));
        } else if length <= 2 {
            chosen.push((run.position, slice(0, length)));
        } else if length < LONG_GRAM {
            chosen.push((run.position, slice(0, 2)));
            chosen.push((run.position + length - 2, slice(length - 2, 2)));
        } else {
            let mut starts: Vec<usize> = (0..=length - LONG_GRAM).step_by(LONG_GRAM).collect();
            if starts.last() != Some(&(length - LONG_GRAM)) {
                starts.push(length - LONG_GRAM);
            }
            for first in starts {
                chosen.push((run.position + first, slice(first, LONG_GRAM)));
            }
        }
    }
    chosen
}

#[derive(Clone, Default)]
struct GramTokenizer {
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
        unreachable!("gram tokens are not filtered")
    }
}

impl Tokenizer for GramTokenizer {
    type TokenStream<'a> = VecTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        self.tokens.clear();
        let characters: Vec<(usize, char)> = text.char_indices().collect();
        for run in runs(text, &characters) {
            let length = run.characters.len();
            // The byte offset where the character `index` of the run ends.
            let end_of = |index: usize| {
                run.characters
                    .get(index + 1)
                    .map_or(run.end, |(offset, _)| *offset)
            };
            let mut push = |first: usize, last: usize, position: usize, lower: bool| {
                let from = run.characters[first].0;
                let to = end_of(last);
                let written = &text[from..to];
                self.tokens.push(Token {
                    offset_from: from,
                    offset_to: to,
                    position,
                    text: if lower {
                        written.to_lowercase()
                    } else {
                        written.to_owned()
                    },
                    position_length: 1,
                });
            };
            if !run.cjk {
                push(0, length - 1, run.position, true);
            } else if length == 1 {
                push(0, 0, run.position, false);
            } else {
                for first in 0..length - 1 {
                    push(first, first + 1, run.position + first, false);
                    if first + LONG_GRAM <= length {
                        push(first, first + LONG_GRAM - 1, run.position + first, false);
                    }
                }
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
        GRAMS,
        TextAnalyzer::builder(GramTokenizer::default()).build(),
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
    use super::{RUN_GAP, covering_grams, fold, grams};

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
    fn grams_cover_every_pair_and_every_four_and_keep_latin_words() {
        assert_eq!(
            grams("长者关爱服"),
            [
                (0, "长者".to_owned()),
                (0, "长者关爱".to_owned()),
                (1, "者关".to_owned()),
                (1, "者关爱服".to_owned()),
                (2, "关爱".to_owned()),
                (3, "爱服".to_owned()),
            ]
        );
        assert_eq!(texts(&grams("福")), ["福"]);
        assert_eq!(texts(&grams("ABC长者 2026")), ["abc", "长者", "2026"]);
    }

    #[test]
    fn runs_are_kept_apart_by_a_gap_of_positions() {
        let positions: Vec<usize> = grams("长者关，abc长者")
            .iter()
            .map(|(position, _)| *position)
            .collect();
        assert_eq!(positions, [0, 1, 2 + RUN_GAP, 3 + 2 * RUN_GAP]);
    }

    #[test]
    fn covering_grams_keep_every_character_of_each_run() {
        assert_eq!(
            covering_grams("一二三四五六七八"),
            [(0, "一二三四".to_owned()), (4, "五六七八".to_owned())]
        );
        assert_eq!(
            covering_grams("一二三四五"),
            [(0, "一二三四".to_owned()), (1, "二三四五".to_owned())]
        );
        assert_eq!(
            texts(&covering_grams("一二三四五六七八九十")),
            ["一二三四", "五六七八", "七八九十"]
        );
        assert_eq!(texts(&covering_grams("一二三四")), ["一二三四"]);
        assert_eq!(
            covering_grams("一二三"),
            [(0, "一二".to_owned()), (1, "二三".to_owned())]
        );
        assert_eq!(texts(&covering_grams("一二")), ["一二"]);
        assert_eq!(texts(&covering_grams("一")), ["一"]);
        assert_eq!(
            covering_grams("一二三，ab"),
            [
                (0, "一二".to_owned()),
                (1, "二三".to_owned()),
                (2 + RUN_GAP, "ab".to_owned())
            ]
        );
    }

    /// Every covering gram is a token of the text at the same position: a phrase of them finds
    /// the text in itself.
    #[test]
    fn covering_grams_are_grams_of_the_text() {
        for text in [
            "一二三四五六七八九十",
            "深圳市福田区 abc 长者关爱协会",
            "福",
            "ab12",
        ] {
            let all = grams(text);
            for gram in covering_grams(text) {
                assert!(all.contains(&gram), "{gram:?} of {text}");
            }
        }
    }
}
