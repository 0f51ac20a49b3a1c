//! Evaluations (评估): rubrics as data, campaigns a registry opens, organisations' applications
//! with material and a self-assessment, panels of assessors who declare no conflict of interest
//! and score every leaf, the committee's decisions, publicity with objections and review, and
//! the grades (5A…1A) organisations then hold for five years.
//!
//! An application moves `draft → submitted → publicity → final`; scores are kept in
//! centi-points and aggregated by [`scoring::aggregate`].

pub mod api;
pub mod applications;
pub mod assessing;
pub mod campaigns;
pub mod email;
pub mod grades;
pub mod jobs;
pub mod objections;
pub mod panel;
pub mod publicity;
pub mod rubric;
pub mod rubrics;
pub mod scoring;

use entities::{evaluation_application, evaluation_assignment, evaluation_campaign, organisation};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::{
    authz::{Principal, TenantAccess},
    error::ApiError,
    state::AppState,
    tenants::{self, TenantRef},
};

/// The organisation prepares its application.
pub const DRAFT: &str = "draft";
/// Submitted: the material is fixed, the panel scores.
pub const SUBMITTED: &str = "submitted";
/// The preliminary result is published; objections and a review request are open.
pub const PUBLICITY: &str = "publicity";
/// The result is final (a grade is awarded when the total reaches a band).
pub const FINAL: &str = "final";

pub(crate) async fn lock_rubric(db: &impl ConnectionTrait, id: Uuid) -> Result<(), DbErr> {
    crate::db::lock_row(db, "rubrics", id).await
}

pub(crate) async fn lock_application(db: &impl ConnectionTrait, id: Uuid) -> Result<(), DbErr> {
    crate::db::lock_row(db, "evaluation_applications", id).await
}

pub(crate) async fn lock_assignment(db: &impl ConnectionTrait, id: Uuid) -> Result<(), DbErr> {
    crate::db::lock_row(db, "evaluation_assignments", id).await
}

/// An application with what it belongs to.
#[derive(Clone, Debug)]
pub struct Loaded {
    pub application: evaluation_application::Model,
    pub campaign: evaluation_campaign::Model,
    pub rubric: rubric::RubricContent,
    pub organisation: organisation::Model,
    pub tenant: TenantRef,
    pub assignments: Vec<evaluation_assignment::Model>,
}

/// How the caller stands to an application.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Role {
    /// The campaign's tenant's registry administrators (`Manage`), or a parent's (`Read`).
    Registry(TenantAccess),
    /// A member of the organisation; `admin` may act for it.
    Organisation { admin: bool },
    /// An assessor on the panel; `declared` once they declared no conflict of interest.
    Assessor { assignment: Uuid, declared: bool },
}

impl Loaded {
    /// The caller's standing, or 404 for anyone who has none.
    pub fn role_of(&self, principal: &Principal) -> Result<Role, ApiError> {
        let access = principal.tenant_access(&self.tenant.position());
        if matches!(access, TenantAccess::Manage | TenantAccess::Read) {
            return Ok(Role::Registry(access));
        }
        if principal.has_organisation_role(self.organisation.id) {
            return Ok(Role::Organisation {
                admin: principal.is_organisation_admin(self.organisation.id),
            });
        }
        if let Some(assignment) = self
            .assignments
            .iter()
            .find(|assignment| assignment.assessor_user_id == principal.user_id)
        {
            return Ok(Role::Assessor {
                assignment: assignment.id,
                declared: assignment.declared_at.is_some(),
            });
        }
        Err(ApiError::not_found())
    }

    /// The campaign's registry administrators only (403 for others who may see it).
    pub fn require_registry(&self, principal: &Principal) -> Result<(), ApiError> {
        match self.role_of(principal)? {
            Role::Registry(TenantAccess::Manage) => Ok(()),
            _ => Err(ApiError::forbidden()),
        }
    }

    /// The organisation's administrators only.
    pub fn require_organisation_admin(&self, principal: &Principal) -> Result<(), ApiError> {
        match self.role_of(principal)? {
            Role::Organisation { admin: true } => Ok(()),
            _ => Err(ApiError::forbidden()),
        }
    }
}

/// Loads an application with its campaign, rubric, organisation, tenant and panel.
pub async fn load(state: &AppState, id: Uuid) -> Result<Loaded, ApiError> {
    load_in(&state.db, state, id).await
}

/// The same, read through `db` (inside a transaction).
pub async fn load_in(
    db: &impl ConnectionTrait,
    state: &AppState,
    id: Uuid,
) -> Result<Loaded, ApiError> {
    let application = evaluation_application::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let campaign = evaluation_campaign::Entity::find_by_id(application.campaign_id)
        .one(db)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let rubric = rubrics::content(db, campaign.rubric_id).await?;
    let organisation = organisation::Entity::find_by_id(application.organisation_id)
        .one(db)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let tenant = tenants::service::get_tenant_by_id(state, campaign.tenant_id).await?;
    let assignments = evaluation_assignment::Entity::find()
        .filter(evaluation_assignment::Column::ApplicationId.eq(id))
        .order_by_asc(evaluation_assignment::Column::AssignedAt)
        .order_by_asc(evaluation_assignment::Column::Id)
        .all(db)
        .await?;
    Ok(Loaded {
        application,
        campaign,
        rubric,
        organisation,
        tenant,
        assignments,
    })
}

/// Points with two decimals, as results are written (`873.50`).
pub fn points(centi: i64) -> String {
    format!("{}.{:02}", centi / 100, (centi % 100).abs())
}
