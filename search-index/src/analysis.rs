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

/// Words: jieba in search mode (also the sub-words), lower-cased, English stemmed.
pub const WORDS: &str = "socorg_words";
/// Overlapping character bigrams of CJK runs; Latin words whole.
pub const BIGRAMS: &str = "socorg_bigrams";
/// The whole value as one token (already folded by the caller).
pub const KEYWORD: &str = "socorg_keyword";
/// Whitespace-separated Latin words, lower-cased (pinyin syllables).
pub const LATIN: &str = "socorg_latin";

/// Traditional → simplified for characters frequent in organisation names and notices.
const TRADITIONAL: &[(char, char)] = &[
    ('會', '会'),
    ('協', '协'),
    ('務', '务'),
    ('區', '区'),
    ('門', '门'),
    ('國', '国'),
    ('華', '华'),
    ('東', '东'),
    ('學', '学'),
    ('愛', '爱'),
    ('關', '关'),
    ('發', '发'),
    ('業', '业'),
    ('團', '团'),
    ('體', '体'),
    ('興', '兴'),
    ('醫', '医'),
    ('療', '疗'),
    ('養', '养'),
    ('護', '护'),
    ('兒', '儿'),
    ('書', '书'),
    ('藝', '艺'),
    ('術', '术'),
    ('環', '环'),
    ('實', '实'),
    ('進', '进'),
    ('聯', '联'),
    ('勞', '劳'),
    ('動', '动'),
    ('職', '职'),
    ('員', '员'),
    ('長', '长'),
    ('樂', '乐'),
    ('應', '应'),
    ('創', '创'),
    ('廣', '广'),
    ('龍', '龙'),
    ('灣', '湾'),
    ('寶', '宝'),
    ('鄉', '乡'),
    ('鎮', '镇'),
    ('鄰', '邻'),
    ('後', '后'),
    ('為', '为'),
    ('與', '与'),
    ('舊', '旧'),
    ('壯', '壮'),
    ('殘', '残'),
    ('設', '设'),
    ('計', '计'),
    ('經', '经'),
    ('濟', '济'),
    ('貿', '贸'),
    ('運', '运'),
    ('輸', '输'),
    ('電', '电'),
    ('腦', '脑'),
    ('網', '网'),
    ('絡', '络'),
    ('圖', '图'),
    ('館', '馆'),
    ('場', '场'),
    ('農', '农'),
    ('銀', '银'),
    ('綠', '绿'),
    ('義', '义'),
    ('願', '愿'),
    ('幫', '帮'),
    ('兩', '两'),
    ('機', '机'),
    ('構', '构'),
    ('單', '单'),
    ('辦', '办'),
    ('導', '导'),
    ('報', '报'),
    ('壇', '坛'),
];

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
/// to a space, traditional characters to simplified ones, and lower case.
pub fn fold(text: &str) -> String {
    text.chars()
        .map(|character| match character {
            '\u{3000}' => ' ',
            '\u{FF01}'..='\u{FF5E}' => {
                char::from_u32(u32::from(character) - 0xFEE0).unwrap_or(character)
            }
            other => TRADITIONAL
                .iter()
                .find(|(traditional, _)| *traditional == other)
                .map_or(other, |(_, simplified)| *simplified),
        })
        .flat_map(char::to_lowercase)
        .collect()
}

/// Whether a character belongs to the CJK ideographs.
pub fn is_cjk(character: char) -> bool {
    matches!(character,
        '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{2A6DF}')
}

/// The bigram tokens of a text, in order.
pub fn bigrams(text: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut run: Vec<char> = Vec::new();
    let mut word = String::new();
    let flush_run = |run: &mut Vec<char>, tokens: &mut Vec<String>| {
        match run.len() {
            0 => {}
            1 => tokens.push(run[0].to_string()),
            _ => tokens.extend(run.windows(2).map(|pair| pair.iter().collect::<String>())),
        }
        run.clear();
    };
    for character in text.chars() {
        if is_cjk(character) {
            if !word.is_empty() {
                tokens.push(std::mem::take(&mut word));
            }
            run.push(character);
        } else if character.is_alphanumeric() {
            flush_run(&mut run, &mut tokens);
            word.extend(character.to_lowercase());
        } else {
            flush_run(&mut run, &mut tokens);
            if !word.is_empty() {
                tokens.push(std::mem::take(&mut word));
            }
        }
    }
    flush_run(&mut run, &mut tokens);
    if !word.is_empty() {
        tokens.push(word);
    }
    tokens
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
        let mut position = 0;
        let mut index = 0;
        while index < characters.len() {
            let (start, character) = characters[index];
            if is_cjk(character) {
                let run_start = index;
                while index < characters.len() && is_cjk(characters[index].1) {
                    index += 1;
                }
                let run = &characters[run_start..index];
                let pairs: Vec<(usize, usize)> = if run.len() == 1 {
                    vec![(run_start, run_start + 1)]
                } else {
                    (run_start..index - 1)
                        .map(|first| (first, first + 2))
                        .collect()
                };
                for (first, last) in pairs {
                    let from = characters[first].0;
                    let to = end_of(last);
                    self.tokens.push(Token {
                        offset_from: from,
                        offset_to: to,
                        position,
                        text: text[from..to].to_owned(),
                        position_length: 1,
                    });
                    position += 1;
                }
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
                    position,
                    text: text[start..to].to_lowercase(),
                    position_length: 1,
                });
                position += 1;
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
    use super::{bigrams, fold};

    #[test]
    fn folding_normalises_width_case_and_traditional_characters() {
        assert_eq!(
            fold("深圳市福田區長者關愛協會（ＡＢＣ）"),
            "深圳市福田区长者关爱协会(abc)"
        );
    }

    #[test]
    fn bigrams_cover_every_pair_and_keep_latin_words() {
        assert_eq!(bigrams("长者关爱"), ["长者", "者关", "关爱"]);
        assert_eq!(bigrams("福"), ["福"]);
        assert_eq!(bigrams("ABC长者 2026"), ["abc", "长者", "2026"]);
    }
}
