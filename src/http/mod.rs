//! The HTTP surface: the JSON API under `/api/v1`, its OpenAPI document and docs, the operational
//! endpoints, and the middleware every request passes through (request id, metrics and tracing,
//! panic catching, body limit, and turning every error into `application/problem+json`).

mod boundary;
pub mod contract;
pub mod json;
pub mod metrics;
mod ops;
pub mod paging;
pub mod security;
pub mod wire;

use std::{sync::Arc, time::Instant};

use poem::{
    Endpoint, EndpointExt, IntoEndpoint, IntoResponse, Request, Response, Route, get,
    http::{HeaderValue, Method, StatusCode, header},
    middleware::{CatchPanic, Cors},
};
use poem_openapi::{OpenApiService, OperationId};
use tracing::Instrument;

use crate::{
    accounts::{self, api::AccountApi},
    audit::api::AuditApi,
    auth::api::AuthApi,
    disclosures::api::DisclosureApi,
    documents::api::DocumentApi,
    error::{ApiError, problem_from_poem_error},
    evaluations::api::EvaluationApi,
    jobs::api::JobApi,
    registry::{
        annual::api::AnnualApi, bulk::api::BulkApi, complaints::api::ComplaintApi,
        incubation::api::IncubationApi, organisations::api::OrganisationApi,
        registrations::api::RegistrationApi,
    },
    search::api::SearchApi,
    state::AppState,
    tenants::api::TenantApi,
    users::api::UserApi,
};
use json::BodyLimit;

pub type Apis = (
    AuthApi,
    AccountApi,
    TenantApi,
    UserApi,
    DocumentApi,
    DisclosureApi,
    RegistrationApi,
    OrganisationApi,
    BulkApi,
    AnnualApi,
    IncubationApi,
    ComplaintApi,
    EvaluationApi,
    SearchApi,
    AuditApi,
    JobApi,
);

/// The OpenAPI service of the JSON API (served under `/api/v1`).
pub fn api_service(state: &AppState) -> OpenApiService<Apis, ()> {
    OpenApiService::new(
        (
            AuthApi::new(state.clone()),
            AccountApi::new(state.clone()),
            TenantApi::new(state.clone()),
            UserApi::new(state.clone()),
            DocumentApi::new(state.clone()),
            DisclosureApi::new(state.clone()),
            RegistrationApi::new(state.clone()),
            OrganisationApi::new(state.clone()),
            BulkApi::new(state.clone()),
            AnnualApi::new(state.clone()),
            IncubationApi::new(state.clone()),
            ComplaintApi::new(state.clone()),
            EvaluationApi::new(state.clone()),
            SearchApi::new(state.clone()),
            AuditApi::new(state.clone()),
            JobApi::new(state.clone()),
        ),
        "socorg",
        env!("CARGO_PKG_VERSION"),
    )
    .description(
        "Registry of social organisations and marketplace for government purchase of services. \
         Errors are application/problem+json with a stable `code`.",
    )
    .server("/api/v1")
}

/// The whole application as one endpoint.
pub fn endpoint(state: AppState) -> impl Endpoint<Output = Response> {
    let api = api_service(&state);
    let rules: Vec<contract::Rule> = [
        AccountApi::RULES,
        TenantApi::RULES,
        UserApi::RULES,
        DocumentApi::RULES,
        DisclosureApi::RULES,
        RegistrationApi::RULES,
        OrganisationApi::RULES,
        BulkApi::RULES,
        AnnualApi::RULES,
        IncubationApi::RULES,
        ComplaintApi::RULES,
        EvaluationApi::RULES,
    ]
    .concat();
    let document = Arc::new(contract::amend(&api.spec(), &rules));
    let spec = poem::endpoint::make_sync(move |_| {
        Response::builder()
            .content_type("application/json; charset=utf-8")
            .body(document.as_str().to_owned())
    });
    let docs = api.swagger_ui();
    let body_limit = state.config.max_body_bytes;
    // Requests declaring more than any endpoint accepts are refused before routing; each body
    // extractor then enforces its own limit while reading (JSON bodies, uploads).
    let declared_limit = body_limit.max(
        usize::try_from(
            state
                .config
                .max_upload_bytes
                .max(state.config.max_import_bytes),
        )
        .unwrap_or(usize::MAX),
    );
    let metrics = state.metrics.clone();
    // Public reads may be used from any web page; no cookies are involved (bearer tokens). Other
    // answers of the API lose the CORS headers at its boundary. The portal's pages are for
    // browsers on this site, and vary by the reader's own cookies.
    let cors = || {
        Cors::new()
            .allow_credentials(false)
            .allow_methods([Method::GET, Method::HEAD])
            .expose_headers([
                header::RETRY_AFTER,
                header::ETAG,
                header::CONTENT_DISPOSITION,
            ])
    };
    let shape = Arc::new(boundary::ApiShape::of::<Apis>());
    // Errors become problems inside CORS, which would otherwise answer them as plain text.
    let api = api
        .into_endpoint()
        .around(
            |endpoint, request| async move { Ok(boundary::answer(endpoint.call(request).await)) },
        )
        .with(cors())
        .around(move |endpoint, request| boundary::guard(endpoint, request, shape.clone()));
    let routes = crate::portal::routes(Route::new())
        .nest("/api/v1", api)
        .at("/api/openapi.json", spec.with(cors()))
        .nest("/api/docs", docs)
        .at("/healthz", get(ops::healthz))
        .at("/readyz", get(ops::readyz))
        .at("/metrics", get(ops::metrics))
        .nest("/account", accounts::pages::routes())
        .nest("/feeds", crate::disclosures::feeds::routes().with(cors()))
        .data(state)
        .around(html_not_found);
    with_edge_layers(routes, body_limit, declared_limit, metrics)
}

/// An address nothing answers is the portal's 404 page, except under `/api` (problem+json).
async fn html_not_found<E: Endpoint>(endpoint: Arc<E>, request: Request) -> poem::Result<Response> {
    let path = request.uri().path();
    if path == "/api" || path.starts_with("/api/") {
        return endpoint
            .call(request)
            .await
            .map(IntoResponse::into_response);
    }
    // What the 404 page reads of the request: its address, the reader's cookies, encodings.
    let mut copy = Request::builder().uri(request.uri().clone()).finish();
    for name in [header::COOKIE, header::ACCEPT_ENCODING] {
        for value in request.headers().get_all(&name) {
            copy.headers_mut().append(name.clone(), value.clone());
        }
    }
    match endpoint.call(request).await {
        Err(error) if error.status() == StatusCode::NOT_FOUND => {
            Ok(crate::portal::not_found(&copy))
        }
        other => other.map(IntoResponse::into_response),
    }
}

/// The longest address served. hyper refuses addresses over 65,534 bytes itself, with an empty
/// 414 this server never sees; below that, this limit answers with a problem.
const MAX_URI_BYTES: usize = 60 * 1024;

/// The layers between the network and the routes: request id, tracing and metrics outermost,
/// then panic catching, then the body limit and the conversion of every error to a problem.
fn with_edge_layers(
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

    use super::{Apis, boundary::ApiShape, metrics::Metrics, with_edge_layers};

    #[test]
    fn the_api_declares_public_reads_and_allowed_methods() {
        let shape = ApiShape::of::<Apis>();
        assert!(shape.is_public("search"));
        assert!(shape.is_public("get_disclosure"));
        assert!(!shape.is_public("list_jobs"));
        assert!(!shape.is_public("get_me"));
        assert_eq!(shape.allow("/organisations/export"), Some("GET, HEAD"));
        assert_eq!(shape.allow("/auth/login"), Some("POST"));
        assert!(
            shape
                .allow("/tenants/futian")
                .is_some_and(|allow| allow.contains("GET"))
        );
        assert_eq!(shape.allow("/nowhere/at/all"), None);
    }

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
