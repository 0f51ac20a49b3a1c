//! `JsonBody<T>`: a JSON request body read within the size limit and parsed with serde, so that a
//! wrong type or a missing field is reported as a validation problem naming the field.

use futures_util::StreamExt;
use poem::{Request, RequestBody, http::StatusCode};
use poem_openapi::{
    impl_apirequest_for_payload,
    payload::{ParsePayload, Payload},
    registry::{MetaSchemaRef, Registry},
    types::Type,
};
use serde::de::DeserializeOwned;

use crate::error::{ApiError, FieldError};

/// The body size limit in force for a request, placed in its data by the server.
#[derive(Clone, Copy, Debug)]
pub struct BodyLimit(pub usize);

const DEFAULT_LIMIT: usize = 1024 * 1024;

/// A JSON request body. The schema comes from `T`'s `Object` derive, parsing from its `Deserialize`.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<T: Type> Payload for JsonBody<T> {
    const CONTENT_TYPE: &'static str = "application/json; charset=utf-8";

    fn check_content_type(content_type: &str) -> bool {
        matches!(content_type.parse::<mime::Mime>(), Ok(mime)
            if mime.type_() == "application"
                && (mime.subtype() == "json" || mime.suffix().is_some_and(|suffix| suffix == "json")))
    }

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

impl<T: Type + DeserializeOwned> ParsePayload for JsonBody<T> {
    const IS_REQUIRED: bool = true;

    async fn from_request(request: &Request, body: &mut RequestBody) -> poem::Result<Self> {
        let limit = request
            .data::<BodyLimit>()
            .map_or(DEFAULT_LIMIT, |limit| limit.0);
        let bytes = read_limited(body, limit).await?;
        Ok(Self(parse_json(&bytes)?))
    }
}

impl_apirequest_for_payload!(JsonBody<T>, T: Type + DeserializeOwned);

/// Reads a whole body, refusing (413) as soon as it grows past `limit`.
pub async fn read_limited(body: &mut RequestBody, limit: usize) -> Result<Vec<u8>, ApiError> {
    let body = body
        .take()
        .map_err(|_| ApiError::bad_request("missing_body", "the request has no body"))?;
    let mut stream = body.into_bytes_stream();
    let mut bytes = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|error| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "unreadable_body",
                format!("the request body could not be read: {error}"),
            )
        })?;
        if bytes.len() + chunk.len() > limit {
            return Err(ApiError::payload_too_large(limit));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

/// Parses JSON into `T`, naming the offending field on failure.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request(
            "malformed_json",
            "the request body must be a JSON document",
        ));
    }
    let mut document: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|error| malformed(&error))?;
    // One convention for optional fields: a field of the body sent as `null` is a field left out.
    // (Inside, `null` is a value like any other: a map's entry of `null` is refused as one.)
    if let serde_json::Value::Object(members) = &mut document {
        members.retain(|_, member| !member.is_null());
    }
    serde_path_to_error::deserialize(document).map_err(|error| {
        ApiError::validation(vec![field_error(&error.path().to_string(), error.inner())])
    })
}

fn malformed(error: &serde_json::Error) -> ApiError {
    ApiError::bad_request(
        "malformed_json",
        format!(
            "the request body is not valid JSON (line {}, column {})",
            error.line(),
            error.column()
        ),
    )
}

/// What a field should hold, in words, from serde's message (`invalid type: string "…",
/// expected i64`), without echoing the parser's types or the value sent.
fn expectation(message: &str) -> String {
    let expected = message
        .rsplit_once(", expected ")
        .map(|(_, expected)| expected)
        .or_else(|| message.strip_prefix("expected "));
    match expected {
        Some(rust)
            if [
                "i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "usize", "isize",
            ]
            .contains(&rust) =>
        {
            "expected a whole number".to_owned()
        }
        Some("f32" | "f64") => "expected a number".to_owned(),
        Some("a boolean") => "expected true or false".to_owned(),
        Some("a sequence") => "expected a list".to_owned(),
        Some("a string" | "a borrowed string") => "expected a string".to_owned(),
        Some(other) if other.starts_with("one of ") => format!("expected {other}"),
        Some(other) if other.starts_with("struct ") || other.starts_with("a map") => {
            "expected an object".to_owned()
        }
        Some(other) if other.starts_with('a') || other.starts_with("valid") => {
            format!("expected {other}")
        }
        _ if message.starts_with("unknown variant") => message.to_owned(),
        _ => "not a valid value for this field".to_owned(),
    }
}

fn field_error(path: &str, error: &serde_json::Error) -> FieldError {
    let full = error.to_string();
    let message = full
        .rfind(" at line ")
        .map_or(full.as_str(), |position| &full[..position]);
    let prefix = if path == "." { "" } else { path };
    let join = |name: &str| {
        if prefix.is_empty() {
            name.to_owned()
        } else {
            format!("{prefix}.{name}")
        }
    };
    if let Some(name) = backticked_after(message, "missing field ") {
        return FieldError::new(join(name), "required", "this field is required");
    }
    if let Some(name) = backticked_after(message, "unknown field ") {
        // The path of an unknown field already ends with the field itself.
        let field = if prefix == name || prefix.ends_with(&format!(".{name}")) {
            prefix.to_owned()
        } else {
            join(name)
        };
        return FieldError::new(field, "unknown", "this field is not accepted here");
    }
    let field = if prefix.is_empty() { "body" } else { prefix };
    let code = if message.starts_with("invalid type") {
        "invalid_type"
    } else {
        "invalid"
    };
    FieldError::new(field, code, expectation(message))
}

fn backticked_after<'a>(message: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = message.strip_prefix(prefix)?.strip_prefix('`')?;
    rest.split('`').next()
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::parse_json;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Login {
        email: String,
        roles: Vec<String>,
    }

    #[test]
    fn names_the_missing_field() {
        let error = parse_json::<Login>(br#"{"roles": []}"#).unwrap_err();
        assert_eq!(error.code(), "validation_failed");
        assert_eq!(error.errors()[0].field, "email");
        assert_eq!(error.errors()[0].code, "required");
    }

    #[test]
    fn a_field_sent_as_null_is_a_field_left_out() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Draft {
            #[serde(default)]
            roles: Vec<String>,
            note: Option<String>,
            #[serde(default)]
            scores: std::collections::BTreeMap<String, u32>,
        }
        let draft = parse_json::<Draft>(br#"{"roles": null, "note": null}"#).unwrap();
        assert!(draft.roles.is_empty() && draft.note.is_none());
        assert!(parse_json::<Draft>(br#"{"scores": {"1.1": null}}"#).is_err());
        let error = parse_json::<Login>(br#"{"email": null, "roles": []}"#).unwrap_err();
        assert_eq!(error.errors()[0].field, "email");
        assert_eq!(error.errors()[0].code, "required");
    }

    #[test]
    fn names_the_field_of_the_wrong_type() {
        let error = parse_json::<Login>(br#"{"email": "a@b.c", "roles": [1]}"#).unwrap_err();
        assert_eq!(error.errors()[0].field, "roles[0]");
        assert_eq!(error.errors()[0].code, "invalid_type");
        assert_eq!(error.errors()[0].detail, "expected a string");
    }

    #[test]
    fn says_what_was_expected_without_the_parsers_words_or_the_value() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Funds {
            fen: i64,
        }
        let error = parse_json::<Funds>(br#"{"fen": "<script>"}"#).unwrap_err();
        let detail = &error.errors()[0].detail;
        assert_eq!(detail, "expected a whole number");
        let error = parse_json::<Funds>(br#"{"fen": 1"#).unwrap_err();
        assert!(
            error
                .detail()
                .starts_with("the request body is not valid JSON (line 1"),
            "{}",
            error.detail()
        );
        assert!(!error.detail().contains("EOF"), "{}", error.detail());
    }

    #[test]
    fn refuses_unknown_fields_and_bad_syntax() {
        let error =
            parse_json::<Login>(br#"{"email": "a", "roles": [], "tenant_id": "x"}"#).unwrap_err();
        assert_eq!(error.errors()[0].field, "tenant_id");
        let error = parse_json::<Login>(br#"{"email": "#).unwrap_err();
        assert_eq!(error.code(), "malformed_json");
        let error = parse_json::<Login>(br#"{"email": "a", "roles": []} trailing"#).unwrap_err();
        assert_eq!(error.code(), "malformed_json");
    }
}
