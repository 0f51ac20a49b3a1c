//! The organisation's side: applying to a campaign (if eligible), material per leaf indicator,
//! a self-assessment, and submission, after which nothing of it changes.

use std::collections::BTreeMap;

use chrono::{Months, NaiveDate};
use entities::{document, evaluation_application, evaluation_material, organisation};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{DRAFT, Loaded, Role, SUBMITTED, grades};
use crate::{
    audit::{self, AuditEvent},
    authz::Principal,
    db::{self, Scope},
    error::{ApiError, FieldError},
    registry::model::OrgStatus,
    state::AppState,
    tenants,
};

/// One leaf of the self-assessment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SelfScore {
    /// Centi-points, 0 to the leaf's maximum.
    pub score: i64,
    #[serde(default)]
    pub note: String,
}

pub type SelfAssessment = BTreeMap<String, SelfScore>;

pub fn self_assessment_of(application: &evaluation_application::Model) -> SelfAssessment {
    serde_json::from_str(&application.self_assessment).unwrap_or_default()
}

/// Why an organisation may not apply, as the rule it fails (`None`: it may).
pub fn ineligibility(
    organisation: &organisation::Model,
    org_type: &str,
    registered_on: Option<NaiveDate>,
    today: NaiveDate,
    grade_valid: bool,
    allow_reevaluation: bool,
) -> Option<(&'static str, &'static str)> {
    if organisation.org_type != org_type {
        return Some((
            "wrong_type",
            "the campaign evaluates another type of organisation",
        ));
    }
    match OrgStatus::parse(&organisation.status) {
        Some(OrgStatus::Registered) => {}
        Some(OrgStatus::Abnormal) => {
            return Some((
                "abnormal",
                "the organisation is on the abnormal-activity list",
            ));
        }
        _ => {
            return Some((
                "not_registered",
                "the organisation is deregistered or its registration revoked",
            ));
        }
    }
    let two_years = registered_on.and_then(|day| day.checked_add_months(Months::new(24)));
    if two_years.is_none_or(|day| day > today) {
        return Some((
            "registered_less_than_two_years",
            "an organisation registered at least two full years may apply",
        ));
    }
    if grade_valid && !allow_reevaluation {
        return Some((
            "grade_still_valid",
            "the organisation holds a grade that is still valid",
        ));
    }
    None
}

/// Applies for the organisation (its administrators) while the window is open.
pub async fn apply(
    state: &AppState,
    principal: &Principal,
    campaign_id: Uuid,
    organisation_id: Uuid,
) -> Result<evaluation_application::Model, ApiError> {
    let campaign = super::campaigns::get(state, campaign_id).await?;
    let organisation = organisation::Entity::find_by_id(organisation_id)
        .one(&state.db)
        .await?
        .filter(|_| principal.has_organisation_role(organisation_id))
        .ok_or_else(|| {
            ApiError::field("organisation_id", "not_found", "an organisation of yours")
        })?;
    if !principal.is_organisation_admin(organisation_id) {
        return Err(ApiError::forbidden());
    }
    let tenant = tenants::service::get_tenant_by_id(state, campaign.tenant_id).await?;
    let now = state.clock.now();
    let today = tenant.local_date(now);
    if today < campaign.applications_open_on || today > campaign.applications_close_on {
        return Err(ApiError::conflict(
            "applications_closed",
            None,
            format!(
                "applications are taken from {} to {}",
                campaign.applications_open_on, campaign.applications_close_on
            ),
        ));
    }
    let registries = tenants::repo::subtree_ids(&state.db, &[campaign.tenant_id]).await?;
    if !registries.contains(&organisation.tenant_id) {
        return Err(ApiError::field(
            "organisation_id",
            "other_registry",
            "the organisation is registered outside this campaign's registry",
        ));
    }
    let registered_on = organisation
        .registered_at
        .map(|at| tenant.local_date(at))
        .or(organisation.founded_on);
    let grade_valid = grades::current(&state.db, organisation.id, today)
        .await?
        .is_some();
    // One evaluation at a time: an application still open elsewhere waits for its result.
    let open_elsewhere = evaluation_application::Entity::find()
        .filter(evaluation_application::Column::OrganisationId.eq(organisation_id))
        .filter(evaluation_application::Column::Status.ne(super::FINAL))
        .filter(evaluation_application::Column::CampaignId.ne(campaign_id))
        .one(&state.db)
        .await?
        .is_some();
    if open_elsewhere {
        return Err(ApiError::conflict(
            "evaluation_in_progress",
            Some("organisation_id"),
            "the organisation's application to another campaign has no final result yet",
        ));
    }
    if let Some((code, detail)) = ineligibility(
        &organisation,
        &campaign.org_type,
        registered_on,
        today,
        grade_valid,
        campaign.allow_reevaluation != 0,
    ) {
        return Err(ApiError::field("organisation_id", code, detail));
    }
    let application = evaluation_application::Model {
        id: Uuid::now_v7(),
        tenant_id: campaign.tenant_id,
        campaign_id,
        organisation_id,
        status: DRAFT.to_owned(),
        self_assessment: "{}".to_owned(),
        decisions: "{}".to_owned(),
        submitted_at: None,
        total: None,
        grade: None,
        published_at: None,
        publicity_ends_at: None,
        preliminary_disclosure_id: None,
        review_requested_at: None,
        review_reason: None,
        review_outcome: None,
        reviewed_at: None,
        finalised_at: None,
        final_disclosure_id: None,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    let transaction = db::begin(&state.db, Scope::Tenant(campaign.tenant_id)).await?;
    evaluation_application::Entity::insert(application.clone().into_active_model())
        .exec_without_returning(&transaction)
        .await
        .map_err(ApiError::conflict_if_unique(
            "already_applied",
            Some("organisation_id"),
            "the organisation has applied to this campaign already",
        ))?;
    audit::record(
        &transaction,
        &state.audit,
        AuditEvent::new(now, "evaluation_application", application.id, "apply")
            .actor(principal.user_id)
            .tenant(campaign.tenant_id)
            .data(serde_json::json!({ "organisation_id": organisation_id, "year": campaign.year })),
    )
    .await?;
    transaction.commit().await?;
    Ok(application)
}

/// Saves an application after a change made while it is a draft, refusing a concurrent one.
/// Saves an application one version on, refusing it when another change came first.
pub(crate) async fn save(
    db: &impl ConnectionTrait,
    model: evaluation_application::Model,
    expected_version: i32,
) -> Result<evaluation_application::Model, ApiError> {
    let result = evaluation_application::Entity::update_many()
        .set(model.clone().into_active_model().reset_all())
        .filter(evaluation_application::Column::Id.eq(model.id))
        .filter(evaluation_application::Column::Version.eq(expected_version))
        .exec(db)
        .await?;
    if result.rows_affected != 1 {
        return Err(ApiError::conflict(
            "edit_conflict",
            None,
            "the application changed meanwhile; try again",
        ));
    }
    Ok(model)
}

/// Saves `model` (one version on from `loaded`) inside a new transaction with an audit event.
pub(crate) async fn save_with_audit(
    state: &AppState,
    loaded: &Loaded,
    mut model: evaluation_application::Model,
    actor: Option<Uuid>,
    action: &'static str,
    data: serde_json::Value,
) -> Result<evaluation_application::Model, ApiError> {
    let now = state.clock.now();
    model.updated_at = now;
    model.version = loaded.application.version + 1;
    let transaction = db::begin(&state.db, Scope::Tenant(loaded.campaign.tenant_id)).await?;
    let model = save(&transaction, model, loaded.application.version).await?;
    let mut event = AuditEvent::new(now, "evaluation_application", model.id, action)
        .tenant(loaded.campaign.tenant_id)
        .data(data);
    if let Some(actor) = actor {
        event = event.actor(actor);
    }
    audit::record(&transaction, &state.audit, event).await?;
    transaction.commit().await?;
    Ok(model)
}

fn require_draft(state: &AppState, loaded: &Loaded) -> Result<(), ApiError> {
    if loaded.application.status != DRAFT {
        return Err(ApiError::conflict(
            "application_submitted",
            None,
            "the application has been submitted; it can no longer change",
        ));
    }
    if loaded.tenant.local_date(state.clock.now()) > loaded.campaign.applications_close_on {
        return Err(ApiError::conflict(
            "applications_closed",
            None,
            format!(
                "applications closed on {}",
                loaded.campaign.applications_close_on
            ),
        ));
    }
    Ok(())
}

/// Sets the self-assessment of some leaves (the organisation's administrators, while a draft).
pub async fn assess_self(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    leaves: SelfAssessment,
) -> Result<evaluation_application::Model, ApiError> {
    let loaded = super::load(state, id).await?;
    loaded.require_organisation_admin(principal)?;
    require_draft(state, &loaded)?;
    let maxima: BTreeMap<String, i64> = loaded
        .rubric
        .leaves()
        .into_iter()
        .map(|leaf| (leaf.code, leaf.max))
        .collect();
    let mut errors = Vec::new();
    for (code, entry) in &leaves {
        match maxima.get(code) {
            None => errors.push(FieldError::new(
                format!("leaves.{code}"),
                "unknown_leaf",
                "a leaf indicator of the campaign's rubric",
            )),
            Some(max) if !(0..=*max).contains(&entry.score) => errors.push(FieldError::new(
                format!("leaves.{code}.score"),
                "out_of_range",
                format!("0 to {max} centi-points"),
            )),
            Some(_) if entry.note.chars().count() > 2000 => errors.push(FieldError::new(
                format!("leaves.{code}.note"),
                "too_long",
                "at most 2000 characters",
            )),
            Some(_) => {}
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let mut assessment = self_assessment_of(&loaded.application);
    for (code, entry) in leaves {
        assessment.insert(
            code,
            SelfScore {
                score: entry.score,
                note: entry.note.trim().to_owned(),
            },
        );
    }
    let model = evaluation_application::Model {
        self_assessment: serde_json::to_string(&assessment).map_err(ApiError::internal)?,
        ..loaded.application.clone()
    };
    save_with_audit(
        state,
        &loaded,
        model,
        Some(principal.user_id),
        "assess_self",
        serde_json::Value::Null,
    )
    .await
}

/// Adds a document of the organisation as material for a leaf (while a draft).
pub async fn add_material(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    leaf_code: &str,
    document_id: Uuid,
) -> Result<evaluation_material::Model, ApiError> {
    let loaded = super::load(state, id).await?;
    loaded.require_organisation_admin(principal)?;
    require_draft(state, &loaded)?;
    if !loaded
        .rubric
        .leaves()
        .iter()
        .any(|leaf| leaf.code == leaf_code)
    {
        return Err(ApiError::field(
            "leaf_code",
            "unknown_leaf",
            "a leaf indicator of the campaign's rubric",
        ));
    }
    let document = crate::documents::service::find_document(state, document_id)
        .await?
        .filter(|document| owned_by(document, loaded.organisation.id))
        .ok_or_else(|| {
            ApiError::field(
                "document_id",
                "not_found",
                "a document uploaded for the organisation",
            )
        })?;
    let now = state.clock.now();
    let material = evaluation_material::Model {
        id: Uuid::now_v7(),
        tenant_id: loaded.campaign.tenant_id,
        application_id: id,
        leaf_code: leaf_code.to_owned(),
        document_id: document.id,
        added_at: now,
    };
    let transaction = db::begin(&state.db, Scope::Tenant(loaded.campaign.tenant_id)).await?;
    super::lock_application(&transaction, id).await?;
    let current = evaluation_application::Entity::find_by_id(id)
        .one(&transaction)
        .await?
        .ok_or_else(ApiError::not_found)?;
    if current.status != DRAFT {
        return Err(ApiError::conflict(
            "application_submitted",
            None,
            "the application has been submitted; it can no longer change",
        ));
    }
    evaluation_material::Entity::insert(material.clone().into_active_model())
        .exec_without_returning(&transaction)
        .await?;
    audit::record(
        &transaction,
        &state.audit,
        AuditEvent::new(now, "evaluation_application", id, "add_material")
            .actor(principal.user_id)
            .tenant(loaded.campaign.tenant_id)
            .data(serde_json::json!({ "leaf_code": leaf_code, "document_id": document.id })),
    )
    .await?;
    transaction.commit().await?;
    Ok(material)
}

/// Takes a material off a draft (its document stays with the organisation).
pub async fn remove_material(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    material_id: Uuid,
) -> Result<(), ApiError> {
    let loaded = super::load(state, id).await?;
    loaded.require_organisation_admin(principal)?;
    require_draft(state, &loaded)?;
    let now = state.clock.now();
    let transaction = db::begin(&state.db, Scope::Tenant(loaded.campaign.tenant_id)).await?;
    super::lock_application(&transaction, id).await?;
    let current = evaluation_application::Entity::find_by_id(id)
        .one(&transaction)
        .await?
        .ok_or_else(ApiError::not_found)?;
    if current.status != DRAFT {
        return Err(ApiError::conflict(
            "application_submitted",
            None,
            "the application has been submitted; it can no longer change",
        ));
    }
    let removed = evaluation_material::Entity::delete_many()
        .filter(evaluation_material::Column::Id.eq(material_id))
        .filter(evaluation_material::Column::ApplicationId.eq(id))
        .exec(&transaction)
        .await?;
    if removed.rows_affected != 1 {
        return Err(ApiError::not_found());
    }
    audit::record(
        &transaction,
        &state.audit,
        AuditEvent::new(now, "evaluation_application", id, "remove_material")
            .actor(principal.user_id)
            .tenant(loaded.campaign.tenant_id)
            .data(serde_json::json!({ "material_id": material_id })),
    )
    .await?;
    transaction.commit().await?;
    Ok(())
}

fn owned_by(document: &document::Model, organisation_id: Uuid) -> bool {
    document.owner_type == "organisation" && document.owner_id == organisation_id.to_string()
}

/// The material of an application, with its documents, in the rubric's order of leaves.
pub async fn materials(
    state: &AppState,
    id: Uuid,
) -> Result<Vec<(evaluation_material::Model, document::Model)>, ApiError> {
    let materials = evaluation_material::Entity::find()
        .filter(evaluation_material::Column::ApplicationId.eq(id))
        .order_by_asc(evaluation_material::Column::LeafCode)
        .order_by_asc(evaluation_material::Column::AddedAt)
        .all(&state.db)
        .await?;
    let mut out = Vec::with_capacity(materials.len());
    for material in materials {
        if let Some(document) =
            crate::documents::service::find_document(state, material.document_id).await?
        {
            out.push((material, document));
        }
    }
    Ok(out)
}

/// Whether the caller may see the material: the organisation, the registry, and assessors who
/// declared no conflict of interest (others on the panel get 403, anyone else 404).
pub fn require_material_access(loaded: &Loaded, principal: &Principal) -> Result<(), ApiError> {
    match loaded.role_of(principal)? {
        Role::Registry(_) | Role::Organisation { .. } => Ok(()),
        Role::Assessor { declared: true, .. } => Ok(()),
        Role::Assessor {
            declared: false, ..
        } => Err(ApiError::new(
            poem::http::StatusCode::FORBIDDEN,
            "declaration_required",
            "declare that you have no conflict of interest first",
        )),
    }
}

/// A material's document and content, for those who may see the material.
pub async fn material_content(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
    material_id: Uuid,
) -> Result<(document::Model, Vec<u8>), ApiError> {
    let loaded = super::load(state, id).await?;
    require_material_access(&loaded, principal)?;
    let material = evaluation_material::Entity::find_by_id(material_id)
        .one(&state.db)
        .await?
        .filter(|material| material.application_id == id)
        .ok_or_else(ApiError::not_found)?;
    let document = crate::documents::service::find_document(state, material.document_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let bytes = crate::documents::service::content_of(state, &document).await?;
    Ok((document, bytes))
}

/// Submits the application: every leaf needs a self-assessment.
pub async fn submit(
    state: &AppState,
    principal: &Principal,
    id: Uuid,
) -> Result<evaluation_application::Model, ApiError> {
    let loaded = super::load(state, id).await?;
    loaded.require_organisation_admin(principal)?;
    require_draft(state, &loaded)?;
    let assessment = self_assessment_of(&loaded.application);
    let missing = loaded.rubric.missing_leaves(
        |code| assessment.contains_key(code),
        "a self-assessment of every leaf indicator",
    );
    if !missing.is_empty() {
        return Err(ApiError::validation(missing));
    }
    // Still eligible: listed abnormal, deregistered or revoked since applying, it may not go on.
    match OrgStatus::parse(&loaded.organisation.status) {
        Some(OrgStatus::Registered) => {}
        Some(OrgStatus::Abnormal) => {
            return Err(ApiError::field(
                "organisation_id",
                "abnormal",
                "the organisation is on the abnormal-activity list",
            ));
        }
        _ => {
            return Err(ApiError::field(
                "organisation_id",
                "not_registered",
                "the organisation is deregistered or its registration revoked",
            ));
        }
    }
    let now = state.clock.now();
    let model = evaluation_application::Model {
        status: SUBMITTED.to_owned(),
        submitted_at: Some(now),
        ..loaded.application.clone()
    };
    save_with_audit(
        state,
        &loaded,
        model,
        Some(principal.user_id),
        "submit",
        serde_json::Value::Null,
    )
    .await
}

/// Applications of one organisation (its members) or of a campaign (its registry).
pub async fn of_campaign(
    state: &AppState,
    principal: &Principal,
    campaign_id: Uuid,
) -> Result<Vec<evaluation_application::Model>, ApiError> {
    let campaign = super::campaigns::get(state, campaign_id).await?;
    let tenant = tenants::service::get_tenant_by_id(state, campaign.tenant_id).await?;
    let registry = matches!(
        principal.tenant_access(&tenant.position()),
        crate::authz::TenantAccess::Manage | crate::authz::TenantAccess::Read
    );
    let mut query = evaluation_application::Entity::find()
        .filter(evaluation_application::Column::CampaignId.eq(campaign_id))
        .order_by_asc(evaluation_application::Column::Id);
    if !registry {
        let own: Vec<Uuid> = principal
            .grants
            .iter()
            .filter_map(|grant| grant.organisation_id)
            .collect();
        query = query.filter(evaluation_application::Column::OrganisationId.is_in(own));
    }
    Ok(query.all(&state.db).await?)
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::ineligibility;

    fn organisation(status: &str) -> entities::organisation::Model {
        crate::testing::organisation(uuid::Uuid::now_v7(), status)
    }

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn each_rule_of_eligibility_is_named() {
        let today = day("2026-06-01");
        let registered = organisation("registered");
        let rule = |organisation: &entities::organisation::Model,
                    org_type: &str,
                    on: Option<&str>,
                    grade: bool,
                    again: bool| {
            ineligibility(organisation, org_type, on.map(day), today, grade, again)
                .map(|(code, _)| code)
        };
        assert_eq!(
            rule(
                &registered,
                "social_group",
                Some("2024-06-01"),
                false,
                false
            ),
            None
        );
        assert_eq!(
            rule(
                &registered,
                "social_group",
                Some("2024-06-02"),
                false,
                false
            ),
            Some("registered_less_than_two_years")
        );
        assert_eq!(
            rule(&registered, "social_group", None, false, false),
            Some("registered_less_than_two_years")
        );
        assert_eq!(
            rule(&registered, "foundation", Some("2010-01-01"), false, false),
            Some("wrong_type")
        );
        assert_eq!(
            rule(
                &organisation("abnormal"),
                "social_group",
                Some("2010-01-01"),
                false,
                false
            ),
            Some("abnormal")
        );
        assert_eq!(
            rule(
                &organisation("revoked"),
                "social_group",
                Some("2010-01-01"),
                false,
                false
            ),
            Some("not_registered")
        );
        assert_eq!(
            rule(&registered, "social_group", Some("2010-01-01"), true, false),
            Some("grade_still_valid")
        );
        assert_eq!(
            rule(&registered, "social_group", Some("2010-01-01"), true, true),
            None
        );
    }
}
