//! Organisation names compared as people read them: full-width and half-width forms, spacing and
//! the commonest traditional characters do not make a name different.

/// The key under which two names count as the same: the search index's folding (widths,
/// traditional characters, case) without spaces or middle dots.
pub fn name_key(name: &str) -> String {
    search_index::analysis::fold(name)
        .chars()
        .filter(|character| !character.is_whitespace() && !matches!(character, '·' | '•' | '・'))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::name_key;

    #[test]
    fn widths_spaces_and_traditional_characters_do_not_matter() {
        let simplified = name_key("深圳市福田区长者关爱协会（ABC）");
        assert_eq!(name_key("深圳市福田區長者關愛協會(ＡＢＣ)"), simplified);
        assert_eq!(name_key("深圳市 福田区 长者关爱协会 (abc)"), simplified);
        assert_ne!(name_key("深圳市福田区长者关爱中心"), simplified);
    }
}
