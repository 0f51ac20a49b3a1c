//! Every error leaves the server as `application/problem+json` (RFC 9457) with a stable `code`.
//!
//! Domains keep their own error enums and convert them into [`ApiError`]; errors raised by poem and
//! poem-openapi themselves (routing, parameters, content types, authorization, panics) are turned
//! into the same shape by [`problem_from_poem_error`]. Internal causes are logged, never shown.

use poem::{
    IntoResponse, Response,
    error::{MethodNotAllowedError, NotFoundError, ResponseError},
    http::{HeaderValue, StatusCode, header},
};
use poem_openapi::{
    ApiResponse, Object,
    error::{
        AuthorizationError, ContentTypeError, ParseParamError, ParsePathError,
        ParseRequestPayloadError,
    },
    registry::{MetaMediaType, MetaResponse, MetaResponses, Registry},
    types::Type,
};
use serde::Serialize;

pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";

/// One offending input field of a validation error.
#[derive(Clone, Debug, Serialize, Object, PartialEq, Eq)]
#[oai(skip_serializing_if_is_none)]
pub struct FieldError {
    /// The field, as a dotted path (`roles[1]`, `address.city`).
    pub field: String,
    /// A stable machine-readable reason: `required`, `invalid`, `too_long`, `taken`, …
    pub code: String,
    /// A human-readable explanation.
    pub detail: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: &str, detail: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            code: code.to_owned(),
            detail: detail.into(),
        }
    }
}

/// The body of every error response.
#[derive(Debug, Serialize, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct Problem {
    /// A URI naming the kind of problem: `urn:socorg:problem:<code>`.
    #[serde(rename = "type")]
    #[oai(rename = "type")]
    pub problem_type: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Stable machine-readable error code.
    pub code: String,
    /// For validation errors, every offending field.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[oai(default, skip_serializing_if_is_empty)]
    pub errors: Vec<FieldError>,
    /// For a refused state transition, the state the object is in.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[oai(skip_serializing_if_is_none)]
    pub current_state: Option<String>,
}

/// An error as the HTTP API reports it.
#[derive(Debug, thiserror::Error)]
#[error("{code}: {detail}")]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    detail: String,
    errors: Vec<FieldError>,
    retry_after_seconds: Option<u64>,
    current_state: Option<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status,
            code,
            detail: detail.into(),
            errors: Vec::new(),
            retry_after_seconds: None,
            current_state: None,
        }
    }

    /// 409 `invalid_transition`: the object is in a state that does not allow this action.
    pub fn invalid_transition(what: &str, current: &str, action: &str) -> Self {
        Self {
            current_state: Some(current.to_owned()),
            ..Self::new(
                StatusCode::CONFLICT,
                "invalid_transition",
                format!("the {what} is {current}; it cannot be {action}"),
            )
        }
    }

    /// 422 `validation_failed`, listing every offending field.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        let detail = match errors.as_slice() {
            [single] => format!("{}: {}", single.field, single.detail),
            _ => format!("{} fields are invalid", errors.len()),
        };
        Self {
            errors,
            ..Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                detail,
            )
        }
    }

    /// 422 for a single field.
    pub fn field(field: impl Into<String>, code: &str, detail: impl Into<String>) -> Self {
        Self::validation(vec![FieldError::new(field, code, detail)])
    }

    /// 422 naming `field` unless `text` keeps its type's rule; the text trimmed otherwise.
    pub fn checked<const MAX: usize, const LINES: bool>(
        field: &str,
        text: &crate::types::Text<MAX, LINES>,
    ) -> Result<String, Self> {
        text.check()
            .map_err(|code| Self::field(field, code, crate::types::text_refusal(code, MAX)))
    }

    /// 400: the request cannot be read at all.
    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, detail)
    }

    /// 401: no valid credentials.
    pub fn unauthenticated() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "a valid bearer token is required",
        )
    }

    /// 403: the caller may see the object but not do this.
    pub fn forbidden() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "you are not allowed to perform this action",
        )
    }

    /// 404: no such object, or one the caller may not know about.
    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "no such resource")
    }

    /// 409: the request conflicts with the current state; `field` names the culprit if any.
    pub fn conflict(code: &'static str, field: Option<&str>, detail: impl Into<String>) -> Self {
        let detail = detail.into();
        Self {
            errors: field
                .map(|field| vec![FieldError::new(field, code, detail.clone())])
                .unwrap_or_default(),
            ..Self::new(StatusCode::CONFLICT, code, detail)
        }
    }

    /// For `map_err` on a write that a unique index guards: its violation (the row exists
    /// already) as `conflict(code, field, detail)`, any other database error as itself.
    pub fn conflict_if_unique(
        code: &'static str,
        field: Option<&'static str>,
        detail: &'static str,
    ) -> impl FnOnce(sea_orm::DbErr) -> Self {
        move |error| {
            if crate::db::is_unique_violation(&error) {
                Self::conflict(code, field, detail)
            } else {
                error.into()
            }
        }
    }

    /// 413 with the limit in the detail.
    pub fn payload_too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the request body is larger than {limit} bytes"),
        )
    }

    /// 429 with a `Retry-After` header.
    pub fn too_many_requests(retry_after_seconds: u64) -> Self {
        Self {
            retry_after_seconds: Some(retry_after_seconds.max(1)),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_requests",
                "too many attempts; try again later",
            )
        }
    }

    /// 500: logs the cause and shows nothing of it.
    #[track_caller]
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        let location = std::panic::Location::caller();
        tracing::error!(error = %cause, %location, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "an internal error occurred",
        )
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The seconds a `429` asks the caller to wait.
    pub fn retry_after(&self) -> Option<u64> {
        self.retry_after_seconds
    }

    pub fn code(&self) -> &'static str {
        self.code
    }

    pub fn errors(&self) -> &[FieldError] {
        &self.errors
    }

    pub fn detail(&self) -> &str {
        &self.detail
    }

    pub fn to_problem(&self) -> Problem {
        Problem {
            problem_type: format!("urn:socorg:problem:{}", self.code),
            title: self.status.canonical_reason().unwrap_or("Error").to_owned(),
            status: self.status.as_u16(),
            detail: self.detail.clone(),
            code: self.code.to_owned(),
            errors: self.errors.clone(),
            current_state: self.current_state.clone(),
        }
    }
}

impl From<sea_orm::DbErr> for ApiError {
    #[track_caller]
    fn from(error: sea_orm::DbErr) -> Self {
        ApiError::internal(error)
    }
}

impl ResponseError for ApiError {
    fn status(&self) -> StatusCode {
        self.status
    }

    fn as_response(&self) -> Response {
        let body = serde_json::to_vec(&self.to_problem()).unwrap_or_default();
        let mut response = Response::builder()
            .status(self.status)
            .content_type(PROBLEM_CONTENT_TYPE)
            .body(body);
        if let Some(seconds) = self.retry_after_seconds {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"socorg\""),
            );
        }
        response
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.as_response()
    }
}

impl ApiResponse for ApiError {
    fn meta() -> MetaResponses {
        MetaResponses {
            responses: vec![MetaResponse {
                description: "An error, as `application/problem+json`.",
                status: None,
                status_range: None,
                content: vec![MetaMediaType {
                    content_type: PROBLEM_CONTENT_TYPE,
                    schema: Problem::schema_ref(),
                }],
                headers: vec![],
            }],
        }
    }

    fn register(registry: &mut Registry) {
        Problem::register(registry);
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// Turns any error that reached the edge of the server into a problem response.
pub fn problem_from_poem_error(error: poem::Error) -> Response {
    if error.is::<ApiError>() {
        return error.into_response();
    }
    api_error_from_poem_error(&error).into_response()
}

fn api_error_from_poem_error(error: &poem::Error) -> ApiError {
    if let Some(parse) = error.downcast_ref::<ParseParamError>() {
        return ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_parameter",
            format!("parameter `{}` is invalid", parse.name),
        )
        .with_errors(vec![FieldError::new(
            parse.name,
            "invalid",
            parameter_expectation(&parse.reason),
        )]);
    }
    if error.is::<ParsePathError>() || error.is::<poem::error::ParsePathError>() {
        return ApiError::not_found();
    }
    if let Some(payload) = error.downcast_ref::<ParseRequestPayloadError>() {
        tracing::debug!(reason = %payload.reason, "unreadable request body");
        return ApiError::bad_request("malformed_body", "the request body could not be read");
    }
    if let Some(content_type) = error.downcast_ref::<ContentTypeError>() {
        return ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            match content_type {
                ContentTypeError::ExpectContentType => "the request needs a content type",
                _ => "this content type is not accepted here",
            },
        );
    }
    if error.is::<AuthorizationError>() {
        return ApiError::unauthenticated();
    }
    if error.is::<NotFoundError>() {
        return ApiError::not_found();
    }
    if error.is::<MethodNotAllowedError>() {
        return ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "this method is not allowed on this resource",
        );
    }
    let status = error.status();
    if status.is_server_error() {
        return ApiError::internal(error);
    }
    ApiError::new(
        status,
        "request_error",
        status.canonical_reason().unwrap_or("the request failed"),
    )
}

/// What a parameter should be, in words, from poem-openapi's parse failure (`failed to parse
/// "<type>": <parser's words>`). The parser's own words (chrono's, the standard library's) stay
/// in the log; the types this crate defines speak for themselves.
fn parameter_expectation(reason: &str) -> String {
    tracing::debug!(%reason, "parameter refused");
    let Some(rest) = reason.strip_prefix("failed to parse \"") else {
        return "not a valid value".to_owned();
    };
    let (kind, words) = rest
        .split_once("\": ")
        .unwrap_or((rest.trim_end_matches('"'), ""));
    let words = words
        .split(" (occurred while parsing")
        .next()
        .unwrap_or_default();
    match kind {
        "page_limit" => words.to_owned(),
        _ if kind.starts_with("integer") => "a whole number".to_owned(),
        _ if kind.starts_with("number") => "a number".to_owned(),
        "boolean" => "true or false".to_owned(),
        "string(naive-date)" | "string(date)" => "a date (YYYY-MM-DD)".to_owned(),
        "string(date-time)" => "an RFC 3339 time (2026-03-02T09:00:00Z)".to_owned(),
        "string(uuid)" => "a UUID".to_owned(),
        _ if kind.starts_with("string") && words.starts_with("expect") => words.to_owned(),
        _ => "not a valid value".to_owned(),
    }
}

impl ApiError {
    fn with_errors(mut self, errors: Vec<FieldError>) -> Self {
        self.errors = errors;
        self
    }
}
