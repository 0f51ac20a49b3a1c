//! Validated value types, parsed once at the edge and trusted everywhere after.

mod bounded;
mod division_code;
mod email;
mod names;
mod slug;
pub mod spreadsheet;
mod text;
mod uscc;

pub use bounded::{Date, FIRST_YEAR, Fen, Int, LAST_YEAR, MAX_FEN};
pub use division_code::DivisionCode;
pub use email::{Email, EmailInput};
pub use names::name_key;
pub use slug::TenantSlug;
pub use text::{Prose, Text, optional_text_pattern, optional_text_schema, text_pattern};
pub use uscc::{Uscc, UsccError};

/// Trims a required text field and checks its length in characters.
pub fn required_text(value: &str, max_chars: usize) -> Result<String, &'static str> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err("required");
    }
    if trimmed.chars().count() > max_chars {
        return Err("too_long");
    }
    if trimmed.chars().any(|character| character.is_control()) {
        return Err("invalid");
    }
    if trimmed.chars().any(is_invisible) {
        return Err("invisible_character");
    }
    Ok(trimmed.to_owned())
}

/// What a refusal of [`required_text`] means, in words for the problem's field entry.
pub fn text_refusal(code: &str, max_chars: usize) -> String {
    match code {
        "required" => "required".to_owned(),
        "too_long" => format!("at most {max_chars} characters"),
        "invisible_character" => {
            "contains an invisible character (a direction override or a zero-width space)"
                .to_owned()
        }
        _ => "contains a control character".to_owned(),
    }
}

/// Characters that change how text around them reads without showing themselves: direction
/// overrides and isolates (a name can be made to read backwards), zero-width spaces and joiners,
/// the byte-order mark. Names and titles refuse them.
pub fn is_invisible(character: char) -> bool {
    matches!(
        character,
        '\u{061C}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
    )
}

#[cfg(test)]
mod tests {
    use super::required_text;

    #[test]
    fn names_refuse_direction_overrides_and_zero_width_characters() {
        assert_eq!(required_text(" 福田社工 ", 10), Ok("福田社工".to_owned()));
        assert_eq!(
            required_text("福田\u{202E}工社", 10),
            Err("invisible_character")
        );
        assert_eq!(
            required_text("福\u{200B}田", 10),
            Err("invisible_character")
        );
        assert_eq!(
            required_text("\u{FEFF}福田", 10),
            Err("invisible_character")
        );
        assert_eq!(required_text("福田\u{0007}", 10), Err("invalid"));
    }
}
