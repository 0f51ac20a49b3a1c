//! The whole application as one endpoint: the JSON API under `/api/v1` (every domain's
//! operations, gathered here and nowhere below), its OpenAPI document and docs, the portal and
//! account pages, the feeds and the operational endpoints, inside the edge layers. This is the
//! top of the house: it alone knows every domain.

mod ops;

use std::sync::Arc;

use poem::{
    Endpoint, EndpointExt, IntoEndpoint, IntoResponse, Request, Response, Route, get,
    http::{Method, StatusCode, header},
    middleware::Cors,
};
use poem_openapi::OpenApiService;

use crate::http::{boundary, contract, edge::with_edge_layers};
use crate::{
    accounts::{self, api::AccountApi},
    audit::api::AuditApi,
    auth::api::AuthApi,
    disclosures::api::DisclosureApi,
    documents::api::DocumentApi,
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
            TenantApi::new(
                state.clone(),
                crate::evaluations::rubrics::ON_TENANT_CREATED,
            ),
            UserApi::new(state.clone()),
            DocumentApi::new(state.clone()),
            DisclosureApi::new(state.clone()),
            RegistrationApi::new(state.clone()),
            OrganisationApi::new(state.clone()),
            BulkApi::new(state.clone()),
            AnnualApi::new(state.clone()),
            IncubationApi::new(state.clone()),
            ComplaintApi::new(state.clone()),
            crate::evaluations::api::apis(state),
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
        crate::evaluations::api::RULES,
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

#[cfg(test)]
mod tests {
    use super::{Apis, boundary::ApiShape};

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
}
