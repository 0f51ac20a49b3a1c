//! Liveness, readiness and metrics endpoints.

use poem::{
    IntoResponse, Response, handler,
    http::StatusCode,
    web::{Data, Json},
};
use sea_orm::ConnectionTrait;
use serde_json::json;

use crate::{jobs, state::AppState};

/// The process is up.
#[handler]
pub fn healthz() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

/// The process can serve: the database answers.
#[handler]
pub async fn readyz(Data(state): Data<&AppState>) -> Response {
    let statement = sea_orm::Statement::from_string(state.db.get_database_backend(), "SELECT 1");
    let search = match &state.search {
        None => "off",
        Some(service) if !service.is_ready() => "rebuilding",
        Some(service) if !service.is_following() => "stalled",
        Some(_) => "ok",
    };
    match state.db.execute_raw(statement).await {
        Ok(_) => {
            Json(json!({ "status": "ready", "database": "ok", "search": search })).into_response()
        }
        Err(error) => {
            tracing::warn!(%error, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "unavailable", "database": "unreachable" })),
            )
                .into_response()
        }
    }
}

/// Prometheus metrics, for the machine's own scraper (a direct connection from loopback, with no
/// forwarding headers) or for one holding `SOCORG_METRICS_TOKEN`; anyone else is told nothing is
/// here.
#[handler]
pub async fn metrics(
    request: &poem::Request,
    Data(state): Data<&AppState>,
) -> poem::Result<Response> {
    if !may_read_metrics(request, state) {
        // As any address nothing answers: the portal's page not found.
        return Err(poem::Error::from_status(StatusCode::NOT_FOUND));
    }
    let mut text = state.metrics.render();
    match jobs::queue::depth(&state.db).await {
        Ok(depth) => text.push_str(&crate::http::metrics::render_job_depth(&depth)),
        Err(error) => tracing::warn!(%error, "job queue depth unavailable"),
    }
    Ok(Response::builder()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(text))
}

fn may_read_metrics(request: &poem::Request, state: &AppState) -> bool {
    if let Some(token) = &state.config.metrics_token {
        let presented = request
            .headers()
            .get(poem::http::header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "));
        if presented.is_some_and(|presented| {
            crate::keys::same_secret(presented.as_bytes(), token.expose().as_bytes())
        }) {
            return true;
        }
    }
    // A request a proxy forwarded comes from the proxy's clients, wherever the proxy runs.
    let forwarded = ["x-forwarded-for", "forwarded", "x-real-ip"]
        .iter()
        .any(|name| request.headers().contains_key(*name));
    !forwarded
        && request
            .remote_addr()
            .as_socket_addr()
            .is_some_and(|address| address.ip().is_loopback())
}
