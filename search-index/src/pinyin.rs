//! Pinyin of organisation names: every syllable of every reading (for search in any order), and
//! the initials, with and without the leading city, as prefixes (for typing the first letters).

use pinyin::ToPinyinMulti;

/// Leading place names that users leave out when typing initials.
const LEADING_PLACES: [&str; 2] = ["深圳市", "深圳"];

/// Every combination of readings is indexed up to this many; beyond it (names with many
/// characters of several readings), each reading of each character still appears in some
/// combination: the first readings together, the second ones together, and so on.
const MAX_INITIALS_COMBINATIONS: usize = 16;

/// Every plain syllable of every reading of every character, space separated.
pub fn syllables(name: &str) -> String {
    let mut syllables: Vec<&str> = Vec::new();
    for character in name.chars() {
        if let Some(readings) = character.to_pinyin_multi() {
            for reading in readings {
                if !syllables.contains(&reading.plain()) {
                    syllables.push(reading.plain());
                }
            }
        }
    }
    syllables.join(" ")
}

/// The initial letters of each character of a name: one per reading of an ideograph; other
/// characters (Latin letters, digits) stand for themselves in lower case.
fn letters_per_character(name: &str) -> Vec<Vec<String>> {
    let mut positions = Vec::new();
    for character in name.chars() {
        let letters: Vec<String> = match character.to_pinyin_multi() {
            Some(readings) => {
                let mut letters: Vec<String> = Vec::new();
                for reading in readings {
                    let letter = reading.first_letter().to_owned();
                    if !letters.contains(&letter) {
                        letters.push(letter);
                    }
                }
                letters
            }
            None if character.is_ascii_alphanumeric() => {
                vec![character.to_ascii_lowercase().to_string()]
            }
            None => continue,
        };
        if !letters.is_empty() {
            positions.push(letters);
        }
    }
    positions
}

/// The initials of a name in its reading combinations: all of them when there are few,
/// otherwise enough for every reading of every character to appear.
fn initials_variants(name: &str) -> Vec<String> {
    let positions = letters_per_character(name);
    let combinations = positions.iter().try_fold(1_usize, |product, letters| {
        product.checked_mul(letters.len())
    });
    if combinations.is_some_and(|count| count <= MAX_INITIALS_COMBINATIONS) {
        let mut variants = vec![String::new()];
        for letters in &positions {
            variants = variants
                .iter()
                .flat_map(|variant| {
                    letters
                        .iter()
                        .map(move |letter| format!("{variant}{letter}"))
                })
                .collect();
        }
        return variants;
    }
    let most = positions.iter().map(Vec::len).max().unwrap_or(1);
    (0..most)
        .map(|round| {
            positions
                .iter()
                .map(|letters| letters[round % letters.len()].as_str())
                .collect()
        })
        .collect()
}

/// Index tokens for initials: every prefix (of two letters or more) of the initials of the name,
/// and of the name without its leading city.
pub fn initials_prefixes(name: &str) -> Vec<String> {
    let mut names = vec![name];
    for place in LEADING_PLACES {
        if let Some(rest) = name.strip_prefix(place) {
            names.push(rest);
            break;
        }
    }
    let mut prefixes = Vec::new();
    for name in names {
        for variant in initials_variants(name) {
            // By characters: a few readings start with a letter outside ASCII (ê).
            let letters: Vec<char> = variant.chars().collect();
            for length in 2..=letters.len() {
                let prefix: String = letters[..length].iter().collect();
                if !prefixes.contains(&prefix) {
                    prefixes.push(prefix);
                }
            }
        }
    }
    prefixes
}

#[cfg(test)]
mod tests {
    use super::{initials_prefixes, syllables};

    #[test]
    fn names_are_spelled_in_every_reading() {
        let spelled = syllables("深圳市福田区长者关爱中心");
        for syllable in ["shen", "zhen", "fu", "tian", "zhang", "chang", "guan", "ai"] {
            assert!(
                spelled.split(' ').any(|word| word == syllable),
                "{syllable} in {spelled}"
            );
        }
    }

    #[test]
    fn readings_outside_ascii_do_not_break_prefixes() {
        let prefixes = initials_prefixes("协欸誒会");
        assert!(!prefixes.is_empty());
    }

    #[test]
    fn every_reading_is_indexed_even_in_long_names_of_many_readings() {
        // 长 (zhang, chang), 行 (xing, hang), 重 (zhong, chong, tong), 乐 (le, yue), 朝 (chao, zhao)
        // twice each: far more combinations than are kept.
        let name = "长行重乐朝长行重乐朝";
        let prefixes = initials_prefixes(name);
        assert!(
            prefixes.contains(&"zxzlczxzlc".to_owned()),
            "first readings"
        );
        assert!(
            prefixes.contains(&"chcyzchcyz".to_owned()),
            "second readings"
        );
        // 重 also reads tong: its third reading is there too.
        assert!(
            prefixes.contains(&"zxtlczxtlc".to_owned()),
            "third readings"
        );
        assert!(prefixes.len() < 100, "{} prefixes", prefixes.len());
    }

    #[test]
    fn initials_with_and_without_the_city() {
        let prefixes = initials_prefixes("深圳市福田区长者关爱中心");
        assert!(prefixes.contains(&"szsftq".to_owned()));
        assert!(prefixes.contains(&"ftq".to_owned()));
        assert!(prefixes.contains(&"ftqzzgazx".to_owned()), "长 read zhang");
        assert!(prefixes.contains(&"ftqczgazx".to_owned()), "长 read chang");
    }
}
