//! Text that a person writes into one field (a name, a reason, a complaint), as requests carry it.
//! The type holds the rule and states it in the OpenAPI document: at most `MAX` characters, at least
//! one that is not a space, none that is a control character or an invisible one. A request's text
//! is read as sent and checked by the handler with [`Text::check`] (so that one answer can name
//! every field that is wrong), against the bounds the schema declares.

use std::{borrow::Cow, fmt::Write as _};

use poem_openapi::{
    registry::{MetaSchema, MetaSchemaRef},
    types::{ParseError, ParseFromJSON, ParseFromParameter, ParseResult, ToJSON, Type},
};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use super::{is_invisible, required_text};

/// Required text of 1 to `MAX` characters, trimmed: one line, or with `LINES` several (tabs and
/// line breaks are then allowed).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Text<const MAX: usize, const LINES: bool = false>(String);

/// Text of several lines: a complaint, a disclosure's body, a report.
pub type Prose<const MAX: usize> = Text<MAX, true>;

/// The controls that text of several lines may hold.
const LINE_CONTROLS: [char; 3] = ['\t', '\n', '\r'];

impl<const MAX: usize, const LINES: bool> Text<MAX, LINES> {
    /// The text trimmed, or why it is refused: `required` (nothing but spaces), `too_long`
    /// (counted as sent, as the schema's `maxLength` counts), `invalid` (a control character),
    /// `invisible_character`.
    pub fn parse(text: &str) -> Result<Self, &'static str> {
        if text.chars().count() > MAX {
            return Err("too_long");
        }
        if !LINES {
            return required_text(text, MAX).map(Self);
        }
        // Line breaks and tabs are checked as spaces; everything else as in one line.
        let flattened: String = text
            .chars()
            .map(|character| {
                if LINE_CONTROLS.contains(&character) {
                    ' '
                } else {
                    character
                }
            })
            .collect();
        required_text(&flattened, MAX)?;
        Ok(Self(text.trim().to_owned()))
    }

    /// The text trimmed, or why it is refused (see [`Text::parse`]).
    pub fn check(&self) -> Result<String, &'static str> {
        Self::parse(&self.0).map(Self::into_inner)
    }

    /// The text as sent (checked only if it came through [`Text::parse`]).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

impl<const MAX: usize, const LINES: bool> std::ops::Deref for Text<MAX, LINES> {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

/// Read as sent, so that the handler can check every field of a request and name each one that is
/// wrong in one answer; [`Text::check`] holds it to the rule.
impl<'de, const MAX: usize, const LINES: bool> Deserialize<'de> for Text<MAX, LINES> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self)
    }
}

/// Characters no text field takes: controls (Unicode category Cc; but tabs and line breaks in text
/// of several lines) and [`is_invisible`] ones, as ranges for a regular expression's class.
fn refused_ranges(lines: bool) -> String {
    let mut ranges = String::from(if lines {
        "\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F"
    } else {
        "\\u0000-\\u001F\\u007F-\\u009F"
    });
    let mut start: Option<char> = None;
    let mut previous = '\0';
    let push = |ranges: &mut String, from: char, to: char| {
        let _ = write!(ranges, "\\u{:04X}", u32::from(from));
        if to != from {
            let _ = write!(ranges, "-\\u{:04X}", u32::from(to));
        }
    };
    for character in ('\u{00A0}'..='\u{FFFF}').filter(|character| is_invisible(*character)) {
        match start {
            Some(_) if u32::from(character) == u32::from(previous) + 1 => {}
            Some(from) => {
                push(&mut ranges, from, previous);
                start = Some(character);
            }
            None => start = Some(character),
        }
        previous = character;
    }
    if let Some(from) = start {
        push(&mut ranges, from, previous);
    }
    ranges
}

/// White space as Rust's `trim` sees it (the Unicode White_Space property), spelled out so that
/// every regular-expression engine reads the pattern alike.
const WHITE_SPACE: &str =
    "\\u0009-\\u000D\\u0020\\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000";

/// The pattern of a required text: allowed characters, at least one of them not white space.
pub fn text_pattern(lines: bool) -> String {
    let refused = refused_ranges(lines);
    format!("^[^{refused}]*[^{refused}{WHITE_SPACE}][^{refused}]*$")
}

/// The pattern of an optional text, where nothing but spaces counts as no text: allowed
/// characters only.
pub fn optional_text_pattern(lines: bool) -> String {
    format!("^[^{}]*$", refused_ranges(lines))
}

/// The schema of an optional one-line text of at most `max` characters (see
/// [`optional_text_pattern`]), for fields that are read by hand.
pub fn optional_text_schema(max: usize) -> MetaSchema {
    MetaSchema {
        max_length: Some(max),
        pattern: Some(optional_text_pattern(false)),
        ..MetaSchema::new("string")
    }
}

impl<const MAX: usize, const LINES: bool> Type for Text<MAX, LINES> {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        if LINES {
            format!("prose_{MAX}").into()
        } else {
            format!("text_{MAX}").into()
        }
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema {
            min_length: Some(1),
            max_length: Some(MAX),
            pattern: Some(text_pattern(LINES)),
            ..MetaSchema::new("string")
        }))
    }

    fn as_raw_value(&self) -> Option<&Self> {
        Some(self)
    }

    fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a Self> + 'a> {
        Box::new(self.as_raw_value().into_iter())
    }
}

impl<const MAX: usize, const LINES: bool> ParseFromJSON for Text<MAX, LINES> {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        match value {
            Some(Value::String(text)) => Self::parse_from_parameter(&text),
            _ => Err(ParseError::custom("expected a string")),
        }
    }
}

impl<const MAX: usize, const LINES: bool> ParseFromParameter for Text<MAX, LINES> {
    fn parse_from_parameter(value: &str) -> ParseResult<Self> {
        Self::parse(value).map_err(|code| ParseError::custom(super::text_refusal(code, MAX)))
    }
}

impl<const MAX: usize, const LINES: bool> ToJSON for Text<MAX, LINES> {
    fn to_json(&self) -> Option<Value> {
        Some(Value::String(self.0.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::{Prose, Text, text_pattern};

    #[test]
    fn text_is_trimmed_bounded_and_visible() {
        assert_eq!(
            Text::<5>::parse(" 福田 ").map(Text::into_inner),
            Ok("福田".to_owned())
        );
        assert_eq!(Text::<5>::parse("   "), Err("required"));
        assert_eq!(Text::<5>::parse("福田区社工站"), Err("too_long"));
        assert_eq!(Text::<5>::parse("福\u{200B}田"), Err("invisible_character"));
        assert_eq!(Text::<5>::parse("福\u{0}田"), Err("invalid"));
        let read: Text<5> = serde_json::from_str("\" 福田 \"").unwrap();
        assert_eq!(read.check(), Ok("福田".to_owned()));
    }

    #[test]
    fn the_pattern_names_the_refused_characters() {
        let pattern = text_pattern(false);
        for range in [
            "\\u0000-\\u001F",
            "\\u200B-\\u200F",
            "\\u202A-\\u202E",
            "\\uFEFF",
        ] {
            assert!(pattern.contains(range), "{pattern}");
        }
        assert!(pattern.starts_with("^[^") && pattern.ends_with("]*$"));
        assert!(text_pattern(true).contains("\\u0000-\\u0008\\u000B"));
    }

    #[test]
    fn prose_keeps_its_lines() {
        assert_eq!(
            Prose::<20>::parse(" 第一行\n\t第二行 ").map(Prose::into_inner),
            Ok("第一行\n\t第二行".to_owned())
        );
        assert_eq!(Prose::<20>::parse("\n\n"), Err("required"));
        assert_eq!(Prose::<20>::parse("一\u{7}二"), Err("invalid"));
        assert_eq!(Text::<20>::parse("一\n二"), Err("invalid"));
    }
}
