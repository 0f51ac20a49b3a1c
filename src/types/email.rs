//! An e-mail address, trimmed and lower-cased.

use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    /// A pragmatic check: one `@`, a non-empty local part, a dotted domain, no spaces or controls,
    /// at most 254 characters. Whether it exists is for the verification e-mail to find out.
    pub fn parse(value: &str) -> Result<Self, &'static str> {
        let value = value.trim().to_lowercase();
        if value.is_empty() {
            return Err("required");
        }
        if value.len() > 254 {
            return Err("too_long");
        }
        let Some((local, domain)) = value.split_once('@') else {
            return Err("invalid");
        };
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && !domain.contains('@');
        let characters_ok = value
            .chars()
            .all(|character| !character.is_whitespace() && !character.is_control());
        if local.is_empty() || local.len() > 64 || !domain_ok || !characters_ok {
            return Err("invalid");
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An e-mail address as a request carries it: read as sent, checked by the handler with
/// [`Email::parse`], declared in the schema as an address of at most 254 characters.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(transparent)]
pub struct EmailInput(String);

impl std::ops::Deref for EmailInput {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl poem_openapi::types::Type for EmailInput {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> std::borrow::Cow<'static, str> {
        "email".into()
    }

    fn schema_ref() -> poem_openapi::registry::MetaSchemaRef {
        poem_openapi::registry::MetaSchemaRef::Inline(Box::new(
            poem_openapi::registry::MetaSchema {
                max_length: Some(254),
                ..poem_openapi::registry::MetaSchema::new_with_format("string", "email")
            },
        ))
    }

    fn as_raw_value(&self) -> Option<&Self> {
        Some(self)
    }

    fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a Self> + 'a> {
        Box::new(self.as_raw_value().into_iter())
    }
}

impl poem_openapi::types::ParseFromJSON for EmailInput {
    fn parse_from_json(value: Option<serde_json::Value>) -> poem_openapi::types::ParseResult<Self> {
        match value {
            Some(serde_json::Value::String(text)) => Ok(Self(text)),
            _ => Err(poem_openapi::types::ParseError::custom("expected a string")),
        }
    }
}

impl poem_openapi::types::ToJSON for EmailInput {
    fn to_json(&self) -> Option<serde_json::Value> {
        Some(serde_json::Value::String(self.0.clone()))
    }
}

impl fmt::Display for Email {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::Email;

    #[test]
    fn normalises_and_refuses_malformed_addresses() {
        assert_eq!(
            Email::parse("  Li.Lei@Example.ORG ").unwrap().as_str(),
            "li.lei@example.org"
        );
        for bad in [
            "",
            "no-at-sign",
            "@example.org",
            "a@b",
            "a@.org",
            "a b@c.org",
            "a@b..org",
            "a@b@c.org",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }
}
