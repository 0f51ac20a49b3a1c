//! The panel: the registry assigns assessors to a submitted application; each declares no
//! conflict of interest (recorded with its time) before seeing anything, then scores every leaf
//! from 0 to its maximum, with a reason below the maximum, and submits. Nobody on the panel sees
//! another's scores until all have submitted. The committee (the registry) may set a leaf's
//! final value or mark it not applicable, each with a reason.

use std::collections::BTreeMap;

use entities::{evaluation_application, evaluation_assignment, grant};
use sea_orm::{ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{
    Loaded, PUBLICITY, Role, SUBMITTED,
    scoring::{self, Decision, Outcome, Scores},
};
use crate::{
    audit::{self, AuditEvent},
    authz::{Principal, Role as GrantRole},
    db::{self, Scope},
    error::{ApiError, FieldError},
    jobs,
    state::AppState,
};

/// One leaf as an assessor scored it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeafScore {
    pub score: i64,
    #[serde(default)]
    pub reason: String,
}

pub type ScoreSheet = BTreeMap<String, LeafScore>;

pub fn sheet_of(assignment: &evaluation_assignment::Model) -> ScoreSheet {
    serde_json::from_str(&assignment.scores).unwrap_or_default()
}

/// The committee's decision on a leaf, as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredDecision {
    /// The final value (centi-points), when the committee set one.
    pub value: Option<i64>,
    #[serde(default)]
    pub not_applicable: bool,
    pub reason: String,
}

pub type Decisions = BTreeMap<String, StoredDecision>;

pub fn decisions_of(application: &evaluation_application::Model) -> Decisions {
    serde_json::from_str(&application.decisions).unwrap_or_default()
}

fn as_scoring(decisions: &Decisions) -> BTreeMap<String, Decision> {
    decisions
        .iter()
        .map(|(code, decision)| {
            let decision = match decision.value {
                Some(value) if !decision.not_applicable => Decision::Override {
                    value,
                    reason: decision.reason.clone(),
                },
                _ => Decision::NotApplicable {
                    reason: decision.reason.clone(),
                },
            };
            (code.clone(), decision)
        })
        .collect()
}

/// The submitted sheets, by assessor.
pub fn submitted_scores(loaded: &Loaded) -> Scores {
    loaded
        .assignments
        .iter()
        .filter(|assignment| assignment.submitted_at.is_some())
        .map(|assignment| {
            (
                assignment.assessor_user_id.to_string(),
                sheet_of(assignment)
                    .into_iter()
                    .map(|(code, leaf)| (code, leaf.score))
                    .collect(),
            )
        })
        .collect()
}

/// Whether every assigned assessor (at least three) has submitted.
pub fn panel_complete(loaded: &Loaded) -> bool {
    loaded.assignments.len() >= scoring::MIN_ASSESSORS
        && loaded
            .assignments
            .iter()
            .all(|assignment| assignment.submitted_at.is_some())
}

/// The panel's result with the committee's decisions (once the panel is complete).
pub fn outcome(loaded: &Loaded) -> Result<Outcome, ApiError> {
    if !panel_complete(loaded) {
        return Err(ApiError::conflict(
            "panel_incomplete",
            None,
            format!(
                "at least {} assessors must be assigned and all must have submitted",
                scoring::MIN_ASSESSORS
            ),
        ));
    }
    scoring::aggregate(
        &loaded.rubric,
        &submitted_scores(loaded),
        &as_scoring(&decisions_of(&loaded.application)),
    )
    .map_err(|error| ApiError::conflict("scores_incomplete", None, error.to_string()))
}

/// Assigns an assessor (a user with the assessor role in the campaign's tenant or above).
pub async fn assign(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    assessor: Uuid,
) -> Result<evaluation_assignment::Model, ApiError> {
    let loaded = super::load(state, id).await?;
    loaded.require_registry(principal)?;
    if loaded.application.status != SUBMITTED {
        return Err(ApiError::conflict(
            "not_submitted",
            None,
            "assessors are assigned to submitted applications still being scored",
        ));
    }
    let mut registries = loaded.tenant.position().ancestors.clone();
    registries.push(loaded.tenant.id());
    let is_assessor = grant::Entity::find()
        .filter(grant::Column::UserId.eq(assessor))
        .filter(grant::Column::Role.eq(GrantRole::Assessor.as_str()))
        .filter(grant::Column::TenantId.is_in(registries))
        .one(&state.db)
        .await?
        .is_some();
    if !is_assessor {
        return Err(ApiError::field(
            "user_id",
            "not_an_assessor",
            "a user with the assessor role in this registry",
        ));
    }
    let insider = grant::Entity::find()
        .filter(grant::Column::UserId.eq(assessor))
        .filter(grant::Column::OrganisationId.eq(loaded.organisation.id))
        .one(&state.db)
        .await?
        .is_some();
    if insider {
        return Err(ApiError::field(
            "user_id",
            "conflict_of_interest",
            "a member of the organisation may not assess it",
        ));
    }
    let now = state.clock.now();
    let assignment = evaluation_assignment::Model {
        id: Uuid::now_v7(),
        tenant_id: loaded.campaign.tenant_id,
        application_id: id,
        assessor_user_id: assessor,
        assigned_at: now,
        assigned_by: Some(principal.user_id),
        declared_at: None,
        declaration: None,
        scores: "{}".to_owned(),
        submitted_at: None,
    };
    let transaction = db::begin(&state.db, Scope::Tenant(loaded.campaign.tenant_id)).await?;
    super::lock_application(&transaction, id).await?;
    // As it is now: not published meanwhile, and the panel not complete (an assessor added
    // after all have scored could tip the trimming of five).
    let current = super::load_in(&transaction, state, id).await?;
    if current.application.status != SUBMITTED {
        return Err(ApiError::conflict(
            "not_submitted",
            None,
            "assessors are assigned to submitted applications still being scored",
        ));
    }
    if panel_complete(&current) {
        return Err(ApiError::conflict(
            "panel_complete",
            None,
            "every assessor on the panel has scored; the panel is complete",
        ));
    }
    evaluation_assignment::Entity::insert(assignment.clone().into_active_model())
        .exec_without_returning(&transaction)
        .await
        .map_err(ApiError::conflict_if_unique(
            "already_assigned",
            Some("user_id"),
            "the assessor is on this panel already",
        ))?;
    jobs::queue::enqueue(
        &transaction,
        now,
        &super::email::EvaluationEmailJob::Assigned {
            assignment_id: assignment.id,
        },
        state.config.job_max_attempts,
    )
    .await?;
    audit::record(
        &transaction,
        &state.audit,
        AuditEvent::new(now, "evaluation_application", id, "assign_assessor")
            .actor(principal.user_id)
            .tenant(loaded.campaign.tenant_id)
            .data(serde_json::json!({ "assessor_user_id": assessor })),
    )
    .await?;
    transaction.commit().await?;
    Ok(assignment)
}

/// Takes an assessor off the panel before they hand in their sheet (one who has a conflict of
/// interest, or does not answer), so that another can be assigned.
pub async fn withdraw(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    assignment_id: Uuid,
    reason: &str,
) -> Result<(), ApiError> {
    let loaded = super::load(state, id).await?;
    loaded.require_registry(principal)?;
    let reason = crate::types::required_text(reason, 1000)
        .map_err(|code| ApiError::field("reason", code, "the reason, 1-1000 characters"))?;
    let assignment = loaded
        .assignments
        .iter()
        .find(|assignment| assignment.id == assignment_id)
        .ok_or_else(ApiError::not_found)?;
    if assignment.submitted_at.is_some() || loaded.application.status != SUBMITTED {
        return Err(ApiError::conflict(
            "scores_submitted",
            None,
            "an assessor who has handed in their sheet stays on the panel",
        ));
    }
    let now = state.clock.now();
    let transaction = db::begin(&state.db, Scope::Tenant(loaded.campaign.tenant_id)).await?;
    super::lock_application(&transaction, id).await?;
    let result = evaluation_assignment::Entity::delete_many()
        .filter(evaluation_assignment::Column::Id.eq(assignment_id))
        .filter(evaluation_assignment::Column::SubmittedAt.is_null())
        .exec(&transaction)
        .await?;
    if result.rows_affected != 1 {
        return Err(ApiError::conflict(
            "scores_submitted",
            None,
            "an assessor who has handed in their sheet stays on the panel",
        ));
    }
    audit::record(
        &transaction,
        &state.audit,
        AuditEvent::new(now, "evaluation_application", id, "withdraw_assessor")
            .actor(principal.user_id)
            .tenant(loaded.campaign.tenant_id)
            .data(serde_json::json!({
                "assessor_user_id": assignment.assessor_user_id,
                "declared_at": assignment.declared_at,
                "reason": reason,
            })),
    )
    .await?;
    transaction.commit().await?;
    Ok(())
}

/// Sets the committee's decisions on some leaves (the registry, while scoring or in review).
pub async fn decide(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    decisions: Decisions,
) -> Result<evaluation_application::Model, ApiError> {
    let loaded = super::load(state, id).await?;
    loaded.require_registry(principal)?;
    let in_review = loaded.application.status == PUBLICITY
        && loaded.application.review_requested_at.is_some()
        && loaded.application.reviewed_at.is_none();
    if loaded.application.status != SUBMITTED && !in_review {
        return Err(ApiError::conflict(
            "decisions_closed",
            None,
            "the committee decides while the panel scores, or during a review",
        ));
    }
    let merged = checked_decisions(&loaded, decisions)?;
    let model = evaluation_application::Model {
        decisions: serde_json::to_string(&merged).map_err(ApiError::internal)?,
        ..loaded.application.clone()
    };
    super::applications::save_with_audit(
        state,
        &loaded,
        model,
        Some(principal.user_id),
        "committee_decision",
        serde_json::to_value(&merged).map_err(ApiError::internal)?,
    )
    .await
}

/// The application's decisions with `changes` merged in, each checked; a decision with neither
/// a value nor `not_applicable` withdraws the leaf's decision.
pub fn checked_decisions(loaded: &Loaded, changes: Decisions) -> Result<Decisions, ApiError> {
    let maxima: BTreeMap<String, i64> = loaded
        .rubric
        .leaves()
        .into_iter()
        .map(|leaf| (leaf.code, leaf.max))
        .collect();
    let mut errors = Vec::new();
    let mut merged = decisions_of(&loaded.application);
    for (code, decision) in changes {
        let Some(max) = maxima.get(&code) else {
            errors.push(FieldError::new(
                format!("leaves.{code}"),
                "unknown_leaf",
                "a leaf indicator of the campaign's rubric",
            ));
            continue;
        };
        if decision.value.is_none() && !decision.not_applicable {
            merged.remove(&code);
            continue;
        }
        if decision.value.is_some() && decision.not_applicable {
            errors.push(FieldError::new(
                format!("leaves.{code}"),
                "invalid",
                "either a final value or not applicable",
            ));
        }
        if decision
            .value
            .is_some_and(|value| !(0..=*max).contains(&value))
        {
            errors.push(FieldError::new(
                format!("leaves.{code}.value"),
                "out_of_range",
                format!("0 to {max} centi-points"),
            ));
        }
        let reason = decision.reason.trim().to_owned();
        if reason.is_empty() || reason.chars().count() > 2000 {
            errors.push(FieldError::new(
                format!("leaves.{code}.reason"),
                "required",
                "the committee's written reason, 1-2000 characters",
            ));
        }
        merged.insert(code, StoredDecision { reason, ..decision });
    }
    if merged.len() == maxima.len() && merged.values().all(|decision| decision.not_applicable) {
        errors.push(FieldError::new(
            "leaves",
            "nothing_applies",
            "at least one leaf indicator must apply",
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    Ok(merged)
}

/// Who may see the panel's scores: the registry always, assessors once all have submitted.
pub fn require_panel_access(loaded: &Loaded, principal: &Principal) -> Result<(), ApiError> {
    match loaded.role_of(principal)? {
        Role::Registry(_) => Ok(()),
        Role::Assessor { declared: true, .. } if panel_complete(loaded) => Ok(()),
        Role::Assessor { .. } => Err(ApiError::new(
            poem::http::StatusCode::FORBIDDEN,
            "panel_incomplete",
            "the panel's scores are shown once every assessor has submitted",
        )),
        // The organisation's administrators see the result once published.
        Role::Organisation { admin: true } if loaded.application.published_at.is_some() => Ok(()),
        Role::Organisation { .. } => Err(ApiError::forbidden()),
    }
}
