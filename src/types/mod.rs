//! Validated value types, parsed once at the edge and trusted everywhere after.

mod division_code;
mod email;
mod names;
mod slug;
mod uscc;

pub use division_code::DivisionCode;
pub use email::Email;
pub use names::name_key;
pub use slug::TenantSlug;
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
    Ok(trimmed.to_owned())
}
