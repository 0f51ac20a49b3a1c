//! Objections and reviews during publicity (公示): anyone may object to a preliminary result;
//! the organisation may ask for a review (复核) within the period, whose outcome the registry
//! records, re-scoring through committee decisions when it must.

use chrono::Duration;
use entities::{evaluation_application, evaluation_objection};
use sea_orm::{ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::{
    PUBLICITY,
    applications::save,
    email::EvaluationEmailJob,
    panel,
    publicity::{FinaliseJob, OBJECTIONS_PER_HOUR, in_publicity, publicity_notice, start_of},
};
use crate::{
    audit::{self, AuditEvent},
    authz::Principal,
    db::{self, Scope},
    disclosures::{self, NewDisclosure},
    error::{ApiError, FieldError},
    jobs::{self},
    ratelimit,
    state::AppState,
    types::required_text,
};

/// An objection from anyone, during publicity (limited per address).
pub struct NewObjection {
    pub name: String,
    pub contact: String,
    pub body: String,
}

pub async fn object(
    state: &AppState,
    client: &str,
    id: Uuid,
    new: NewObjection,
) -> Result<evaluation_objection::Model, ApiError> {
    let loaded = super::load(state, id).await?;
    // Before publication an application is nobody else's business.
    if loaded.application.published_at.is_none() {
        return Err(ApiError::not_found());
    }
    let now = state.clock.now();
    if !in_publicity(&loaded.application, now) {
        return Err(ApiError::conflict(
            "not_in_publicity",
            None,
            "objections are taken while the result is in publicity",
        ));
    }
    let mut errors = Vec::new();
    let mut text = |field: &str, value: &str, max: usize| match required_text(value, max) {
        Ok(text) => text,
        Err(code) => {
            errors.push(FieldError::new(field, code, format!("1-{max} characters")));
            String::new()
        }
    };
    let name = text("name", &new.name, 100);
    let contact = text("contact", &new.contact, 200);
    let body = text("text", &new.body, 5000);
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    if let Some(retry_after) = ratelimit::hit(
        &state.db,
        &format!("objection:{client}"),
        OBJECTIONS_PER_HOUR,
        Duration::hours(1),
        now,
    )
    .await?
    {
        return Err(ApiError::too_many_requests(retry_after));
    }
    let objection = evaluation_objection::Model {
        id: Uuid::now_v7(),
        tenant_id: loaded.campaign.tenant_id,
        application_id: id,
        name,
        contact,
        body,
        filed_at: now,
    };
    let transaction = db::begin(&state.db, Scope::Tenant(loaded.campaign.tenant_id)).await?;
    evaluation_objection::Entity::insert(objection.clone().into_active_model())
        .exec_without_returning(&transaction)
        .await?;
    jobs::queue::enqueue(
        &transaction,
        now,
        &EvaluationEmailJob::Objection {
            objection_id: objection.id,
        },
        state.config.job_max_attempts,
    )
    .await?;
    audit::record(
        &transaction,
        &state.audit,
        AuditEvent::new(now, "evaluation_application", id, "objection")
            .tenant(loaded.campaign.tenant_id)
            .data(serde_json::json!({ "objection_id": objection.id })),
    )
    .await?;
    transaction.commit().await?;
    Ok(objection)
}

/// The objections to an application (its registry).
pub async fn objections(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
) -> Result<Vec<evaluation_objection::Model>, ApiError> {
    let loaded = super::load(state, id).await?;
    match loaded.role_of(principal)? {
        super::Role::Registry(_) => {}
        _ => return Err(ApiError::forbidden()),
    }
    Ok(evaluation_objection::Entity::find()
        .filter(evaluation_objection::Column::ApplicationId.eq(id))
        .order_by_asc(evaluation_objection::Column::FiledAt)
        .all(&state.db)
        .await?)
}

/// The organisation asks for a review within the period (once).
pub async fn request_review(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    reason: &str,
) -> Result<evaluation_application::Model, ApiError> {
    let loaded = super::load(state, id).await?;
    loaded.require_organisation_admin(principal)?;
    let now = state.clock.now();
    if !in_publicity(&loaded.application, now) {
        return Err(ApiError::conflict(
            "not_in_publicity",
            None,
            "a review is requested while the result is in publicity",
        ));
    }
    if loaded.application.review_requested_at.is_some() {
        return Err(ApiError::conflict(
            "review_requested",
            None,
            "a review has been requested already",
        ));
    }
    let reason = required_text(reason, 5000)
        .map_err(|code| ApiError::field("reason", code, "the grounds, 1-5000 characters"))?;
    let model = evaluation_application::Model {
        review_requested_at: Some(now),
        review_reason: Some(reason),
        ..loaded.application.clone()
    };
    super::applications::save_with_audit(
        state,
        &loaded,
        model,
        Some(principal.user_id),
        "request_review",
        serde_json::Value::Null,
    )
    .await
}

/// The registry records the review's outcome, re-scoring through committee decisions if need
/// be; a changed result is published as a correction of the notice. A review decided after the
/// period finalises at once.
pub async fn record_review(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    outcome_text: &str,
    decisions: panel::Decisions,
) -> Result<evaluation_application::Model, ApiError> {
    let loaded = super::load(state, id).await?;
    loaded.require_registry(principal)?;
    if loaded.application.status != PUBLICITY
        || loaded.application.review_requested_at.is_none()
        || loaded.application.reviewed_at.is_some()
    {
        return Err(ApiError::conflict(
            "no_review_pending",
            None,
            "no review of this application is waiting for its outcome",
        ));
    }
    let outcome_text = required_text(outcome_text, 5000)
        .map_err(|code| ApiError::field("outcome", code, "the outcome, 1-5000 characters"))?;
    let merged = panel::checked_decisions(&loaded, decisions)?;
    let mut rescored = loaded.clone();
    rescored.application.decisions = serde_json::to_string(&merged).map_err(ApiError::internal)?;
    let result = panel::outcome(&rescored)?;
    let now = state.clock.now();
    let today = loaded.tenant.local_date(now);
    let changed =
        Some(result.total) != loaded.application.total || result.grade != loaded.application.grade;
    let transaction = db::begin(&state.db, Scope::Tenant(loaded.campaign.tenant_id)).await?;
    let mut preliminary = loaded.application.preliminary_disclosure_id;
    let mut publicity_ends_at = loaded.application.publicity_ends_at;
    if changed {
        // A changed result is published for a period of its own.
        let days = i64::from(loaded.campaign.publicity_days.max(1));
        let until = today + Duration::days(days - 1);
        let ends_at = start_of(&loaded.tenant, until + Duration::days(1));
        publicity_ends_at = Some(ends_at);
        jobs::queue::enqueue_at(
            &transaction,
            now,
            ends_at,
            &FinaliseJob { application_id: id },
            state.config.job_max_attempts,
        )
        .await?;
        let notice = publicity_notice(state, &loaded, result.total, result.grade.as_deref(), until);
        let correction = disclosures::publish(
            &transaction,
            &state.audit,
            &loaded.tenant,
            now,
            NewDisclosure {
                title: format!("{}（复核后更正）", notice.title),
                body: format!("{}\n经复核：{outcome_text}", notice.body),
                written_on: Some(today),
                subject_terms: vec!["社会组织".to_owned(), "评估".to_owned(), "复核".to_owned()],
                supersedes: loaded.application.preliminary_disclosure_id,
                created_by: Some(principal.user_id),
                ..notice
            },
        )
        .await?;
        preliminary = Some(correction.id);
    }
    let model = evaluation_application::Model {
        decisions: rescored.application.decisions.clone(),
        total: Some(result.total),
        grade: result.grade.clone(),
        review_outcome: Some(outcome_text),
        reviewed_at: Some(now),
        preliminary_disclosure_id: preliminary,
        publicity_ends_at,
        updated_at: now,
        version: loaded.application.version + 1,
        ..loaded.application.clone()
    };
    save(&transaction, model.clone(), loaded.application.version).await?;
    jobs::queue::enqueue(
        &transaction,
        now,
        &EvaluationEmailJob::ReviewOutcome { application_id: id },
        state.config.job_max_attempts,
    )
    .await?;
    if model.publicity_ends_at.is_some_and(|end| end <= now) {
        jobs::queue::enqueue(
            &transaction,
            now,
            &FinaliseJob { application_id: id },
            state.config.job_max_attempts,
        )
        .await?;
    }
    audit::record(
        &transaction,
        &state.audit,
        AuditEvent::new(now, "evaluation_application", id, "record_review")
            .actor(principal.user_id)
            .tenant(loaded.campaign.tenant_id)
            .data(serde_json::json!({
                "total": result.total,
                "grade": result.grade,
                "changed": changed,
            })),
    )
    .await?;
    transaction.commit().await?;
    Ok(model)
}
