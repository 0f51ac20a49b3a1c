//! What every evaluation operation shares: the crates and types its handlers use (each file
//! brings them in with `use super::shared::*`), the tag, the requests and answers, and the
//! lookups of an application and of a panel's outcome.

pub(super) use crate::auth::bearer::{BearerAuth, OptionalBearerAuth};
pub(super) use crate::types::Text;

pub(super) use askama::Template;
pub(super) use chrono::NaiveDate;
pub(super) use poem_openapi::{
    OpenApi, Tags,
    param::{Path, Query},
    payload::{Binary, Html, Json},
};
pub(super) use uuid::Uuid;

pub(super) use crate::evaluations::{
    Role, applications,
    applications::{SelfAssessment, SelfScore},
    assessing,
    assessing::Declaration,
    campaigns::{self, NewCampaign},
    grades, objections, panel,
    panel::LeafScore,
    points, publicity,
    rubrics::{self},
    scoring::Outcome,
};
pub(super) use crate::{
    documents::dto::DownloadResponse,
    error::{ApiError, ApiResult},
    http::json::JsonBody,
    state::AppState,
};

pub(super) use super::dto::*;
pub(super) use super::panel_dto::*;
pub(super) use super::sheets::*;
pub(super) use crate::evaluations;

#[derive(Tags)]
pub(super) enum EvaluationTags {
    /// Evaluations (评估): rubrics, campaigns, panels, publicity and grades.
    Evaluations,
}

/// The application, as the caller may see it.
pub(super) async fn application(
    state: &AppState,
    principal: &crate::authz::Principal,
    id: Uuid,
) -> ApiResult<Json<ApplicationResponse>> {
    let loaded = evaluations::load(state, id).await?;
    let role = loaded.role_of(principal)?;
    Ok(Json(application_response(
        &loaded,
        loaded.application.clone(),
        &role,
    )))
}

/// The panel's outcome, for those who may see it.
pub(super) async fn outcome_for(
    state: &AppState,
    principal: &crate::authz::Principal,
    id: Uuid,
) -> ApiResult<(evaluations::Loaded, Outcome)> {
    let loaded = evaluations::load(state, id).await?;
    panel::require_panel_access(&loaded, principal)?;
    let outcome = panel::outcome(&loaded)?;
    Ok((loaded, outcome))
}
