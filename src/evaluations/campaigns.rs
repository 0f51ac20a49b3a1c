//! Campaigns: a registry opens one for a year with one rubric version (and so one organisation
//! type), an application window and the days of publicity.

use chrono::NaiveDate;
use entities::{evaluation_campaign, rubric};
use sea_orm::{ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::{
    audit::{self, AuditEvent},
    authz::Principal,
    db::{self, Scope},
    error::{ApiError, FieldError},
    state::AppState,
    tenants,
    types::required_text,
};

/// What a registry administrator gives to open a campaign.
#[derive(Clone, Debug)]
pub struct NewCampaign {
    pub year: i32,
    pub title: String,
    pub rubric_id: Uuid,
    pub applications_open_on: NaiveDate,
    pub applications_close_on: NaiveDate,
    /// The rubric's when not given.
    pub publicity_days: Option<u32>,
    /// Organisations whose grade is still valid may apply.
    pub allow_reevaluation: bool,
}

pub async fn open(
    state: &AppState,
    principal: &Principal,
    slug: &str,
    new: NewCampaign,
) -> Result<evaluation_campaign::Model, ApiError> {
    let tenant = tenants::service::get_tenant(state, slug).await?;
    principal
        .tenant_access(&tenant.position())
        .require_manage_public()?;
    let mut errors = Vec::new();
    let title = required_text(&new.title, 200)
        .map_err(|code| errors.push(FieldError::new("title", code, "1-200 characters")))
        .unwrap_or_default();
    if !(2000..=2100).contains(&new.year) {
        errors.push(FieldError::new(
            "year",
            "out_of_range",
            "a year from 2000 to 2100",
        ));
    }
    if new.applications_close_on < new.applications_open_on {
        errors.push(FieldError::new(
            "applications_close_on",
            "out_of_range",
            "the window closes on or after the day it opens",
        ));
    }
    if new
        .publicity_days
        .is_some_and(|days| days == 0 || days > 90)
    {
        errors.push(FieldError::new(
            "publicity_days",
            "out_of_range",
            "between 1 and 90 days",
        ));
    }
    // Only a version of this tenant's rubrics.
    let rubric = rubric::Entity::find_by_id(new.rubric_id)
        .one(&state.db)
        .await?
        .filter(|rubric| rubric.tenant_id == tenant.id());
    if rubric.is_none() {
        errors.push(FieldError::new(
            "rubric_id",
            "not_found",
            "a rubric version of this tenant",
        ));
    }
    let (Some(rubric), true) = (rubric, errors.is_empty()) else {
        return Err(ApiError::validation(errors));
    };
    let content = super::rubrics::content(&state.db, rubric.id).await?;
    let now = state.clock.now();
    let campaign = evaluation_campaign::Model {
        id: Uuid::now_v7(),
        tenant_id: tenant.id(),
        year: new.year,
        title,
        rubric_id: rubric.id,
        org_type: rubric.org_type.clone(),
        applications_open_on: new.applications_open_on,
        applications_close_on: new.applications_close_on,
        publicity_days: i32::try_from(new.publicity_days.unwrap_or(content.publicity_days))
            .unwrap_or(7),
        allow_reevaluation: i32::from(new.allow_reevaluation),
        created_at: now,
        created_by: Some(principal.user_id),
    };
    let transaction = db::begin(&state.db, Scope::Tenant(tenant.id())).await?;
    // The rubric version becomes fixed with this campaign; a replacement waits for us.
    super::lock_rubric(&transaction, rubric.id).await?;
    evaluation_campaign::Entity::insert(campaign.clone().into_active_model())
        .exec_without_returning(&transaction)
        .await?;
    audit::record(
        &transaction,
        &state.audit,
        AuditEvent::new(now, "evaluation_campaign", campaign.id, "open")
            .actor(principal.user_id)
            .tenant(tenant.id())
            .data(serde_json::json!({
                "year": campaign.year,
                "rubric_id": campaign.rubric_id,
                "org_type": campaign.org_type,
            })),
    )
    .await?;
    transaction.commit().await?;
    Ok(campaign)
}

/// Campaigns are public.
pub async fn get(state: &AppState, id: Uuid) -> Result<evaluation_campaign::Model, ApiError> {
    evaluation_campaign::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or_else(ApiError::not_found)
}

/// A tenant's campaigns, newest first (public).
pub async fn list(
    state: &AppState,
    slug: &str,
) -> Result<Vec<evaluation_campaign::Model>, ApiError> {
    let tenant = tenants::service::get_tenant(state, slug).await?;
    Ok(evaluation_campaign::Entity::find()
        .filter(evaluation_campaign::Column::TenantId.eq(tenant.id()))
        .order_by_desc(evaluation_campaign::Column::Year)
        .order_by_desc(evaluation_campaign::Column::Id)
        .all(&state.db)
        .await?)
}
