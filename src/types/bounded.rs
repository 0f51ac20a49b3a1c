//! Money and dates within what the domain allows. Each type checks its bounds when a request is
//! read (JSON bodies go through serde, parameters through poem-openapi) and states the same bounds
//! in the OpenAPI document, so the two cannot drift apart.

use std::borrow::Cow;

use chrono::{Datelike, NaiveDate};
use poem_openapi::{
    registry::{MetaSchema, MetaSchemaRef},
    types::{ParseError, ParseFromJSON, ParseFromParameter, ParseResult, ToJSON, Type},
};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// The largest amount of money taken anywhere: 10^15 fen (ten trillion yuan), which a JavaScript
/// number still holds exactly.
pub const MAX_FEN: i64 = 1_000_000_000_000_000;
/// The years a date may fall in.
pub const FIRST_YEAR: i32 = 1900;
pub const LAST_YEAR: i32 = 2199;

/// An amount of money in fen (CNY cents), from 0 to [`MAX_FEN`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Fen(i64);

impl Fen {
    pub fn new(fen: i64) -> Option<Self> {
        (0..=MAX_FEN).contains(&fen).then_some(Self(fen))
    }

    pub fn get(self) -> i64 {
        self.0
    }

    const EXPECTED: &'static str = "expected a whole number of fen from 0 to 1000000000000000";
}

impl<'de> Deserialize<'de> for Fen {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let fen =
            i64::deserialize(deserializer).map_err(|_| serde::de::Error::custom(Self::EXPECTED))?;
        Self::new(fen).ok_or_else(|| serde::de::Error::custom(Self::EXPECTED))
    }
}

impl Type for Fen {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        "fen".into()
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema {
            minimum: Some(0.0),
            #[allow(clippy::cast_precision_loss, reason = "10^15 is exact in an f64")]
            maximum: Some(MAX_FEN as f64),
            description: Some("An amount in fen (CNY cents)."),
            ..MetaSchema::new_with_format("integer", "int64")
        }))
    }

    fn as_raw_value(&self) -> Option<&Self> {
        Some(self)
    }

    fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a Self> + 'a> {
        Box::new(self.as_raw_value().into_iter())
    }
}

impl ParseFromJSON for Fen {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        value
            .as_ref()
            .and_then(Value::as_i64)
            .and_then(Self::new)
            .ok_or_else(|| ParseError::custom(Self::EXPECTED))
    }
}

impl ToJSON for Fen {
    fn to_json(&self) -> Option<Value> {
        Some(Value::from(self.0))
    }
}

/// A calendar date written `YYYY-MM-DD`, in the years [`FIRST_YEAR`] to [`LAST_YEAR`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Date(NaiveDate);

impl Date {
    pub fn parse(text: &str) -> Option<Self> {
        let bytes = text.as_bytes();
        let shaped = bytes.len() == 10
            && bytes[4] == b'-'
            && bytes[7] == b'-'
            && bytes
                .iter()
                .enumerate()
                .all(|(index, byte)| index == 4 || index == 7 || byte.is_ascii_digit());
        let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
        (shaped && (FIRST_YEAR..=LAST_YEAR).contains(&date.year())).then_some(Self(date))
    }

    pub fn get(self) -> NaiveDate {
        self.0
    }

    const EXPECTED: &'static str = "expected a date written YYYY-MM-DD, in the years 1900 to 2199";
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)
            .map_err(|_| serde::de::Error::custom(Self::EXPECTED))?;
        Self::parse(&text).ok_or_else(|| serde::de::Error::custom(Self::EXPECTED))
    }
}

impl Type for Date {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        "date".into()
    }

    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema {
            pattern: Some("^(19|20|21)[0-9]{2}-[0-9]{2}-[0-9]{2}$".to_owned()),
            ..MetaSchema::new_with_format("string", "date")
        }))
    }

    fn as_raw_value(&self) -> Option<&Self> {
        Some(self)
    }

    fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a Self> + 'a> {
        Box::new(self.as_raw_value().into_iter())
    }
}

impl ParseFromParameter for Date {
    fn parse_from_parameter(value: &str) -> ParseResult<Self> {
        Self::parse(value).ok_or_else(|| ParseError::custom(Self::EXPECTED))
    }
}

impl ParseFromJSON for Date {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        value
            .as_ref()
            .and_then(Value::as_str)
            .and_then(Self::parse)
            .ok_or_else(|| ParseError::custom(Self::EXPECTED))
    }
}

impl ToJSON for Date {
    fn to_json(&self) -> Option<Value> {
        Some(Value::String(self.0.format("%Y-%m-%d").to_string()))
    }
}

/// A whole number from `MIN` to `MAX`: a count of days, a year.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Int<const MIN: i64, const MAX: i64>(i64);

impl<const MIN: i64, const MAX: i64> Int<MIN, MAX> {
    pub fn new(value: i64) -> Option<Self> {
        (MIN..=MAX).contains(&value).then_some(Self(value))
    }

    pub fn get(self) -> i64 {
        self.0
    }

    fn expected() -> String {
        format!("expected a whole number from {MIN} to {MAX}")
    }
}

impl<'de, const MIN: i64, const MAX: i64> Deserialize<'de> for Int<MIN, MAX> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = i64::deserialize(deserializer)
            .map_err(|_| serde::de::Error::custom(Self::expected()))?;
        Self::new(value).ok_or_else(|| serde::de::Error::custom(Self::expected()))
    }
}

impl<const MIN: i64, const MAX: i64> Type for Int<MIN, MAX> {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        format!("integer_{MIN}_{MAX}").into()
    }

    #[allow(
        clippy::cast_precision_loss,
        reason = "the bounds used are far below 2^53"
    )]
    fn schema_ref() -> MetaSchemaRef {
        MetaSchemaRef::Inline(Box::new(MetaSchema {
            minimum: Some(MIN as f64),
            maximum: Some(MAX as f64),
            ..MetaSchema::new_with_format("integer", "int64")
        }))
    }

    fn as_raw_value(&self) -> Option<&Self> {
        Some(self)
    }

    fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a Self> + 'a> {
        Box::new(self.as_raw_value().into_iter())
    }
}

impl<const MIN: i64, const MAX: i64> ParseFromJSON for Int<MIN, MAX> {
    fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
        value
            .as_ref()
            .and_then(Value::as_i64)
            .and_then(Self::new)
            .ok_or_else(|| ParseError::custom(Self::expected()))
    }
}

impl<const MIN: i64, const MAX: i64> ToJSON for Int<MIN, MAX> {
    fn to_json(&self) -> Option<Value> {
        Some(Value::from(self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::{Date, Fen, Int, MAX_FEN};

    #[test]
    fn whole_numbers_stay_within_their_bounds() {
        assert_eq!(Int::<1, 90>::new(90).map(Int::get), Some(90));
        assert_eq!(Int::<1, 90>::new(0), None);
        assert!(serde_json::from_str::<Int<1, 90>>("-40886313850920336").is_err());
        assert!(serde_json::from_str::<Int<1, 90>>("7").is_ok());
    }

    #[test]
    fn money_stays_within_what_a_register_holds() {
        assert_eq!(Fen::new(0).map(Fen::get), Some(0));
        assert_eq!(Fen::new(MAX_FEN).map(Fen::get), Some(MAX_FEN));
        assert_eq!(Fen::new(MAX_FEN + 1), None);
        assert_eq!(Fen::new(-1), None);
        assert!(serde_json::from_str::<Fen>("9223372036854775807").is_err());
        assert!(serde_json::from_str::<Fen>("3000000").is_ok());
    }

    #[test]
    fn dates_are_written_in_full_and_within_the_years() {
        assert!(Date::parse("2009-06-01").is_some());
        assert!(Date::parse("99999-01-01").is_none());
        assert!(Date::parse("+2009-06-01").is_none());
        assert!(Date::parse("2009-6-1").is_none());
        assert!(Date::parse("1899-12-31").is_none());
        assert!(Date::parse("2200-01-01").is_none());
        assert!(Date::parse("2009-02-30").is_none());
    }
}
