//! The layers between the network and the routes: request id, tracing and metrics outermost,
//! then panic catching, then the body and address limits and the conversion of every error to a
//! problem.

use std::{sync::Arc, time::Instant};

use poem::{
    Endpoint, EndpointExt, IntoResponse, Request, Response,
    http::{HeaderValue, StatusCode, header},
    middleware::CatchPanic,
};
use poem_openapi::OperationId;
use tracing::Instrument;

use super::{boundary, json::BodyLimit, metrics};
use crate::error::{ApiError, problem_from_poem_error};

/// The longest address served. hyper refuses addresses over 65,534 bytes itself, with an empty
/// 414 this server never sees; below that, this limit answers with a problem.
const MAX_URI_BYTES: usize = 60 * 1024;

/// Wraps `routes` in the edge layers (see the module's documentation).
pub fn with_edge_layers(
    routes: impl Endpoint + 'static,
    body_limit: usize,
    declared_limit: usize,
    metrics: Arc<metrics::Metrics>,
) -> impl Endpoint<Output = Response> {
    routes
        .around(move |endpoint, mut request| async move {
            request.set_data(BodyLimit(body_limit));
            if declared_length(&request).is_some_and(|length| length > declared_limit) {
                return Ok(ApiError::payload_too_large(declared_limit).into_response());
            }
            if request.uri().to_string().len() > MAX_URI_BYTES {
                return Ok(ApiError::new(
                    StatusCode::URI_TOO_LONG,
                    "uri_too_long",
                    format!("the address may have at most {MAX_URI_BYTES} bytes"),
                )
                .into_response());
            }
            Ok(boundary::answer(endpoint.call(request).await))
        })
        .with(CatchPanic::new().with_handler(panic_response))
        .around(move |endpoint, request| observe(endpoint, request, metrics.clone()))
}

fn panic_response(_panic: Box<dyn std::any::Any + Send + 'static>) -> ApiError {
    tracing::error!("a request handler panicked");
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "an internal error occurred",
    )
}

fn declared_length(request: &Request) -> Option<usize> {
    request
        .headers()
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

/// Request id, tracing span, access log and metrics around one request.
async fn observe<E: Endpoint<Output = Response>>(
    endpoint: Arc<E>,
    request: Request,
    metrics: Arc<metrics::Metrics>,
) -> poem::Result<Response> {
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|value| value.to_str().ok())
        .filter(|value| {
            !value.is_empty()
                && value.len() <= 64
                && value
                    .bytes()
                    .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-')
        })
        .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned);
    let method = request.method().to_string();
    let path = request.uri().path().to_owned();
    let span = tracing::info_span!("request", %request_id, %method, %path);
    let started = Instant::now();
    let mut response = endpoint
        .call(request)
        .instrument(span.clone())
        .await
        .unwrap_or_else(problem_from_poem_error);
    let elapsed = started.elapsed();
    let status = response.status();
    let route = route_label(&response, &path, status);
    metrics.observe(&method, route, status.as_u16(), elapsed);
    span.in_scope(|| {
        tracing::info!(
            status = status.as_u16(),
            route,
            elapsed_ms = elapsed.as_secs_f64() * 1000.0,
            "request served"
        );
    });
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("x-request-id", value);
    }
    Ok(response)
}

fn route_label(response: &Response, path: &str, status: StatusCode) -> &'static str {
    if let Some(operation) = response.data::<OperationId>() {
        return operation.0;
    }
    match path {
        "/healthz" => "healthz",
        "/readyz" => "readyz",
        "/metrics" => "metrics",
        "/api/openapi.json" => "openapi",
        "/account/verify" => "account_verify_page",
        "/account/reset-password" => "account_reset_password_page",
        "/account/forgot-password" => "account_forgot_password_page",
        _ if path.starts_with("/api/docs") => "api_docs",
        _ if status == StatusCode::NOT_FOUND => "unmatched",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use poem::{Endpoint, Request, Route, get, handler, http::StatusCode};

    use super::{super::metrics::Metrics, with_edge_layers};

    #[handler]
    fn explode() -> &'static str {
        panic!("boom")
    }

    #[tokio::test]
    async fn a_panic_becomes_a_problem_and_is_counted() {
        let metrics = Arc::new(Metrics::default());
        let endpoint = with_edge_layers(
            Route::new().at("/explode", get(explode)),
            1024,
            1024,
            metrics.clone(),
        );
        let response = endpoint
            .call(Request::builder().uri_str("/explode").finish())
            .await
            .expect("a response, not an error");
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(response.content_type(), Some("application/problem+json"));
        let body = response.into_body().into_string().await.expect("body");
        assert!(body.contains("\"code\":\"internal\""), "{body}");
        assert!(!body.contains("boom"), "the panic message stays inside");
        assert!(metrics.render().contains("status=\"500\""));
    }
}
