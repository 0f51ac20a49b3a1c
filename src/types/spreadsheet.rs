//! CSV cells a spreadsheet will not run: a cell that would start with `=`, `+`, `-`, `@`, a tab
//! or a carriage return (after any apostrophes) gets one more apostrophe in front, which
//! spreadsheets show as text. The mapping is one to one, so `restore` gives back exactly what was
//! written and an export imports unchanged.

fn starts_a_formula(value: &str) -> bool {
    matches!(
        value.trim_start_matches('\'').chars().next(),
        Some('=' | '+' | '-' | '@' | '\t' | '\r')
    )
}

/// The cell as written to a CSV file.
pub fn neutralise(value: &str) -> std::borrow::Cow<'_, str> {
    if starts_a_formula(value) {
        std::borrow::Cow::Owned(format!("'{value}"))
    } else {
        std::borrow::Cow::Borrowed(value)
    }
}

/// The value a CSV cell written by [`neutralise`] holds.
pub fn restore(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if starts_a_formula(rest) => rest,
        _ => cell,
    }
}

#[cfg(test)]
mod tests {
    use super::{neutralise, restore};

    #[test]
    fn formulas_are_defused_and_everything_comes_back() {
        assert_eq!(neutralise("=cmd|'/C calc'!A0"), "'=cmd|'/C calc'!A0");
        assert_eq!(neutralise("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralise("\tx"), "'\tx");
        assert_eq!(neutralise("深圳市福田区社工协会"), "深圳市福田区社工协会");
        assert_eq!(neutralise("1200"), "1200");
        for value in [
            "=1+1", "'=1+1", "''=1", "'", "''", "'plain", "-5", "+86 755", "", "a=b", "\r\n", "'@",
        ] {
            assert_eq!(restore(&neutralise(value)), value, "{value:?}");
        }
    }
}
