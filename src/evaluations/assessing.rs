//! An assessor's own work on a panel: their assignments, the declaration of no conflict of
//! interest (recorded with its time) before they see anything, and their scores, saved leaf by
//! leaf and handed in once every leaf is scored.

use std::collections::BTreeMap;

use entities::{evaluation_application, evaluation_assignment};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{
    Loaded, SUBMITTED,
    panel::{LeafScore, ScoreSheet, sheet_of},
};
use crate::{
    audit::{self, AuditEvent},
    authz::Principal,
    db::{self, Scope},
    error::{ApiError, FieldError},
    state::AppState,
};

/// An assignment of the caller's own (404 for anyone else's), with its application.
pub async fn own_assignment(
    state: &AppState,
    principal: &Principal,
    assignment_id: Uuid,
) -> Result<(evaluation_assignment::Model, Loaded), ApiError> {
    let assignment = evaluation_assignment::Entity::find_by_id(assignment_id)
        .one(&state.db)
        .await?
        .filter(|assignment| assignment.assessor_user_id == principal.user_id)
        .ok_or_else(ApiError::not_found)?;
    let loaded = super::load(state, assignment.application_id).await?;
    Ok((assignment, loaded))
}

/// The caller's assignments, newest first.
pub async fn my_assignments(
    state: &AppState,
    principal: &Principal,
) -> Result<Vec<evaluation_assignment::Model>, ApiError> {
    Ok(evaluation_assignment::Entity::find()
        .filter(evaluation_assignment::Column::AssessorUserId.eq(principal.user_id))
        .order_by_desc(evaluation_assignment::Column::AssignedAt)
        .all(&state.db)
        .await?)
}

/// What an assessor declares before seeing the material.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Declaration {
    /// Not employed by the organisation (nor paid by it) in the last two years.
    pub no_employment_last_two_years: bool,
    /// No other interest in the organisation (family, money, office).
    pub no_other_interest: bool,
    #[serde(default)]
    pub statement: String,
}

/// Records the declaration with its time; an assessor with a conflict cannot declare (the
/// registry then assigns someone else).
pub async fn declare(
    state: &AppState,
    principal: &Principal,
    assignment_id: Uuid,
    declaration: Declaration,
) -> Result<evaluation_assignment::Model, ApiError> {
    let (assignment, loaded) = own_assignment(state, principal, assignment_id).await?;
    if assignment.declared_at.is_some() {
        return Err(ApiError::conflict(
            "already_declared",
            None,
            "the declaration has been made",
        ));
    }
    let mut errors = Vec::new();
    if !declaration.no_employment_last_two_years {
        errors.push(FieldError::new(
            "no_employment_last_two_years",
            "conflict_of_interest",
            "an assessor employed by the organisation in the last two years may not score it",
        ));
    }
    if !declaration.no_other_interest {
        errors.push(FieldError::new(
            "no_other_interest",
            "conflict_of_interest",
            "an assessor with an interest in the organisation may not score it",
        ));
    }
    if declaration.statement.chars().count() > 2000 {
        errors.push(FieldError::new(
            "statement",
            "too_long",
            "at most 2000 characters",
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let now = state.clock.now();
    let updated = evaluation_assignment::Model {
        declared_at: Some(now),
        declaration: Some(serde_json::to_string(&declaration).map_err(ApiError::internal)?),
        ..assignment.clone()
    };
    let transaction = db::begin(&state.db, Scope::Tenant(loaded.campaign.tenant_id)).await?;
    let result = evaluation_assignment::Entity::update_many()
        .set(updated.clone().into_active_model().reset_all())
        .filter(evaluation_assignment::Column::Id.eq(assignment.id))
        .filter(evaluation_assignment::Column::DeclaredAt.is_null())
        .exec(&transaction)
        .await?;
    if result.rows_affected != 1 {
        return Err(ApiError::conflict(
            "already_declared",
            None,
            "the declaration has been made",
        ));
    }
    audit::record(
        &transaction,
        &state.audit,
        AuditEvent::new(now, "evaluation_assignment", assignment.id, "declare")
            .actor(principal.user_id)
            .tenant(loaded.campaign.tenant_id)
            .data(serde_json::to_value(&declaration).map_err(ApiError::internal)?),
    )
    .await?;
    transaction.commit().await?;
    Ok(updated)
}

fn require_declared(assignment: &evaluation_assignment::Model) -> Result<(), ApiError> {
    if assignment.declared_at.is_none() {
        return Err(ApiError::new(
            poem::http::StatusCode::FORBIDDEN,
            "declaration_required",
            "declare that you have no conflict of interest first",
        ));
    }
    Ok(())
}

/// Scoring is open while the application is submitted and the sheet not yet handed in.
fn require_scoring_open(
    assignment: &evaluation_assignment::Model,
    application: &evaluation_application::Model,
) -> Result<(), ApiError> {
    if application.status != SUBMITTED {
        return Err(ApiError::conflict(
            "scoring_closed",
            None,
            "scoring of this application is closed",
        ));
    }
    if assignment.submitted_at.is_some() {
        return Err(ApiError::conflict(
            "scores_submitted",
            None,
            "your scores have been submitted",
        ));
    }
    Ok(())
}

/// Sets scores of some leaves (0 to the maximum; a reason when below it).
pub async fn score(
    state: &AppState,
    principal: &Principal,
    assignment_id: Uuid,
    leaves: ScoreSheet,
) -> Result<evaluation_assignment::Model, ApiError> {
    let (assignment, loaded) = own_assignment(state, principal, assignment_id).await?;
    require_declared(&assignment)?;
    require_scoring_open(&assignment, &loaded.application)?;
    let maxima: BTreeMap<String, i64> = loaded
        .rubric
        .leaves()
        .into_iter()
        .map(|leaf| (leaf.code, leaf.max))
        .collect();
    let mut errors = Vec::new();
    for (code, leaf) in &leaves {
        let Some(max) = maxima.get(code) else {
            errors.push(FieldError::new(
                format!("leaves.{code}"),
                "unknown_leaf",
                "a leaf indicator of the campaign's rubric",
            ));
            continue;
        };
        if !(0..=*max).contains(&leaf.score) {
            errors.push(FieldError::new(
                format!("leaves.{code}.score"),
                "out_of_range",
                format!("0 to {max} centi-points"),
            ));
        } else if leaf.score < *max && leaf.reason.trim().is_empty() {
            errors.push(FieldError::new(
                format!("leaves.{code}.reason"),
                "required",
                "a score below the maximum needs a reason",
            ));
        }
        if leaf.reason.chars().count() > 2000 {
            errors.push(FieldError::new(
                format!("leaves.{code}.reason"),
                "too_long",
                "at most 2000 characters",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let changes = leaves
        .into_iter()
        .map(|(code, leaf)| {
            (
                code,
                LeafScore {
                    score: leaf.score,
                    reason: leaf.reason.trim().to_owned(),
                },
            )
        })
        .collect();
    save_sheet(state, principal, &loaded, assignment.id, changes, false).await
}

/// Hands in the sheet: every leaf scored.
pub async fn submit_scores(
    state: &AppState,
    principal: &Principal,
    assignment_id: Uuid,
) -> Result<evaluation_assignment::Model, ApiError> {
    let (assignment, loaded) = own_assignment(state, principal, assignment_id).await?;
    require_declared(&assignment)?;
    require_scoring_open(&assignment, &loaded.application)?;
    save_sheet(
        state,
        principal,
        &loaded,
        assignment.id,
        ScoreSheet::new(),
        true,
    )
    .await
}

/// Merges `changes` into the sheet as stored (read again under the locks, so that two saves
/// never lose each other's leaves) and, with `submit`, hands it in once every leaf is scored.
async fn save_sheet(
    state: &AppState,
    principal: &Principal,
    loaded: &Loaded,
    assignment_id: Uuid,
    changes: ScoreSheet,
    submit: bool,
) -> Result<evaluation_assignment::Model, ApiError> {
    let now = state.clock.now();
    let transaction = db::begin(&state.db, Scope::Tenant(loaded.campaign.tenant_id)).await?;
    // Scoring closes when the result is published: that waits for this, and this for it.
    super::lock_application(&transaction, loaded.application.id).await?;
    super::lock_assignment(&transaction, assignment_id).await?;
    let application = evaluation_application::Entity::find_by_id(loaded.application.id)
        .one(&transaction)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let assignment = evaluation_assignment::Entity::find_by_id(assignment_id)
        .one(&transaction)
        .await?
        .ok_or_else(ApiError::not_found)?;
    require_scoring_open(&assignment, &application)?;
    let mut sheet = sheet_of(&assignment);
    sheet.extend(changes);
    if submit {
        let missing = loaded.rubric.missing_leaves(
            |code| sheet.contains_key(code),
            "a score for every leaf indicator",
        );
        if !missing.is_empty() {
            return Err(ApiError::validation(missing));
        }
    }
    let updated = evaluation_assignment::Model {
        scores: serde_json::to_string(&sheet).map_err(ApiError::internal)?,
        submitted_at: submit.then_some(now),
        ..assignment.clone()
    };
    evaluation_assignment::Entity::update_many()
        .set(updated.clone().into_active_model().reset_all())
        .filter(evaluation_assignment::Column::Id.eq(assignment.id))
        .exec(&transaction)
        .await?;
    audit::record(
        &transaction,
        &state.audit,
        AuditEvent::new(
            now,
            "evaluation_assignment",
            assignment.id,
            if submit { "submit_scores" } else { "score" },
        )
        .actor(principal.user_id)
        .tenant(loaded.campaign.tenant_id),
    )
    .await?;
    transaction.commit().await?;
    Ok(updated)
}
