//! Pinyin of organisation names: every syllable of every reading (for search in any order), and
//! the initials, with and without the leading city, as prefixes (for typing the first letters).

use pinyin::ToPinyinMulti;

/// Leading place names that users leave out when typing initials.
const LEADING_PLACES: [&str; 2] = ["深圳市", "深圳"];

/// Initials combinations kept for names with many characters of several readings.
const MAX_INITIALS_VARIANTS: usize = 8;

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

/// The initials of a name in each reading combination (few), for every ideograph; other
/// characters (Latin letters, digits) stand for themselves in lower case.
fn initials_variants(name: &str) -> Vec<String> {
    let mut variants = vec![String::new()];
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
        let mut next = Vec::new();
        for variant in &variants {
            for letter in &letters {
                if next.len() < MAX_INITIALS_VARIANTS {
                    next.push(format!("{variant}{letter}"));
                }
            }
        }
        variants = next;
    }
    variants
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
    fn initials_with_and_without_the_city() {
        let prefixes = initials_prefixes("深圳市福田区长者关爱中心");
        assert!(prefixes.contains(&"szsftq".to_owned()));
        assert!(prefixes.contains(&"ftq".to_owned()));
        assert!(prefixes.contains(&"ftqzzgazx".to_owned()), "长 read zhang");
        assert!(prefixes.contains(&"ftqczgazx".to_owned()), "长 read chang");
    }
}
