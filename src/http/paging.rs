//! Paged lists: `limit` (1–200, default 50) and an opaque `cursor` from the previous page.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

use crate::error::ApiError;

pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 200;

/// The `limit` of a paged list: a whole number from 1 to [`MAX_LIMIT`]. The type parses and
/// describes itself, so the OpenAPI document states the bounds that are enforced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit(u32);

impl Limit {
    pub fn get(self) -> u32 {
        self.0
    }
}

impl poem_openapi::types::Type for Limit {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> std::borrow::Cow<'static, str> {
        "page_limit".into()
    }

    fn schema_ref() -> poem_openapi::registry::MetaSchemaRef {
        poem_openapi::registry::MetaSchemaRef::Inline(Box::new(
            poem_openapi::registry::MetaSchema {
                minimum: Some(1.0),
                maximum: Some(f64::from(MAX_LIMIT)),
                description: Some("How many items a page holds (1–200)."),
                ..poem_openapi::registry::MetaSchema::new_with_format("integer", "int32")
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

impl poem_openapi::types::ParseFromParameter for Limit {
    fn parse_from_parameter(value: &str) -> poem_openapi::types::ParseResult<Self> {
        match value.trim().parse::<u32>() {
            Ok(limit) if (1..=MAX_LIMIT).contains(&limit) => Ok(Self(limit)),
            _ => Err(poem_openapi::types::ParseError::custom(format!(
                "a whole number from 1 to {MAX_LIMIT}"
            ))),
        }
    }
}

/// A validated page request; `after` is the decoded cursor.
#[derive(Debug)]
pub struct PageRequest {
    pub limit: u64,
    pub after: Option<String>,
}

impl PageRequest {
    pub fn parse(limit: Option<u32>, cursor: Option<String>) -> Result<Self, ApiError> {
        let limit = limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(ApiError::field(
                "limit",
                "out_of_range",
                format!("limit must be between 1 and {MAX_LIMIT}"),
            ));
        }
        let after = match cursor.filter(|cursor| !cursor.is_empty()) {
            None => None,
            Some(cursor) => Some(
                URL_SAFE_NO_PAD
                    .decode(cursor.as_bytes())
                    .ok()
                    .and_then(|bytes| String::from_utf8(bytes).ok())
                    .ok_or_else(|| {
                        ApiError::field("cursor", "invalid", "this cursor was not issued by us")
                    })?,
            ),
        };
        Ok(Self {
            limit: u64::from(limit),
            after,
        })
    }

    /// The decoded cursor as the key type of the listing (an id, a sequence number).
    pub fn after_as<T: std::str::FromStr>(&self) -> Result<Option<T>, ApiError> {
        self.after
            .as_deref()
            .map(|after| {
                after.parse::<T>().map_err(|_| {
                    ApiError::field("cursor", "invalid", "this cursor was not issued by us")
                })
            })
            .transpose()
    }

    /// Asks the database for one row more than the page, to know whether another page follows.
    pub fn fetch_limit(&self) -> u64 {
        self.limit + 1
    }

    /// Trims the extra row and returns the cursor of the next page, if there is one.
    pub fn finish<T>(
        &self,
        mut rows: Vec<T>,
        key: impl Fn(&T) -> String,
    ) -> (Vec<T>, Option<String>) {
        let more = rows.len() as u64 > self.limit;
        rows.truncate(usize::try_from(self.limit).unwrap_or(usize::MAX));
        let next = if more {
            rows.last().map(|row| URL_SAFE_NO_PAD.encode(key(row)))
        } else {
            None
        };
        (rows, next)
    }
}
