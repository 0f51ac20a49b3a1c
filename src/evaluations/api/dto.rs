//! Requests and answers of rubrics, campaigns, applications and their material.

use crate::types::{Int, Text};
use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use entities::{evaluation_application, evaluation_campaign, evaluation_material};
use poem_openapi::Object;
use serde::Deserialize;
use uuid::Uuid;

use crate::evaluations::{Role, applications, rubric::RubricContent, rubrics::RubricView};

/// A rubric version.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct RubricResponse {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub org_type: String,
    pub version: i32,
    /// A campaign uses it: it can no longer change (make a new version).
    pub in_use: bool,
    /// Centi-points throughout (100 = one point).
    pub content: RubricContent,
    pub total: i64,
    pub updated_at: DateTime<Utc>,
}

impl From<RubricView> for RubricResponse {
    fn from(view: RubricView) -> Self {
        Self {
            id: view.model.id,
            tenant_id: view.model.tenant_id,
            org_type: view.model.org_type,
            version: view.model.version,
            in_use: view.in_use,
            total: view.content.total(),
            content: view.content,
            updated_at: view.model.updated_at,
        }
    }
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct RubricList {
    pub items: Vec<RubricResponse>,
}

/// A new rubric version for an organisation type.
#[derive(Debug, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
#[oai(deny_unknown_fields)]
pub struct NewRubricRequest {
    pub org_type: crate::registry::model::OrgType,
    pub content: RubricContent,
}

#[derive(Debug, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
#[oai(deny_unknown_fields)]
pub struct ReplaceRubricRequest {
    pub content: RubricContent,
}

#[derive(Debug, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
#[oai(deny_unknown_fields)]
pub struct CampaignRequest {
    pub year: Int<2000, 2100>,
    pub title: Text<200>,
    pub rubric_id: Uuid,
    pub applications_open_on: NaiveDate,
    pub applications_close_on: NaiveDate,
    /// The rubric's when omitted.
    pub publicity_days: Option<Int<1, 90>>,
    /// Organisations whose grade is still valid may apply.
    #[serde(default)]
    #[oai(default)]
    pub allow_reevaluation: bool,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct CampaignResponse {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub year: i32,
    pub title: String,
    pub rubric_id: Uuid,
    pub org_type: String,
    pub applications_open_on: NaiveDate,
    pub applications_close_on: NaiveDate,
    pub publicity_days: i32,
    pub allow_reevaluation: bool,
}

impl From<evaluation_campaign::Model> for CampaignResponse {
    fn from(model: evaluation_campaign::Model) -> Self {
        Self {
            id: model.id,
            tenant_id: model.tenant_id,
            year: model.year,
            title: model.title,
            rubric_id: model.rubric_id,
            org_type: model.org_type,
            applications_open_on: model.applications_open_on,
            applications_close_on: model.applications_close_on,
            publicity_days: model.publicity_days,
            allow_reevaluation: model.allow_reevaluation != 0,
        }
    }
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct CampaignList {
    pub items: Vec<CampaignResponse>,
}

#[derive(Debug, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
#[oai(deny_unknown_fields)]
pub struct EvaluationApplyRequest {
    pub organisation_id: Uuid,
}

/// One leaf of a self-assessment.
#[derive(Clone, Debug, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
#[oai(deny_unknown_fields)]
pub struct SelfScoreBody {
    /// Centi-points.
    pub score: i64,
    #[serde(default)]
    #[oai(default)]
    pub note: String,
}

#[derive(Debug, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
#[oai(deny_unknown_fields)]
pub struct SelfAssessmentRequest {
    /// Leaf code → score and note.
    pub leaves: BTreeMap<String, SelfScoreBody>,
}

/// An application as its reader may see it.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ApplicationResponse {
    pub id: Uuid,
    pub campaign_id: Uuid,
    pub organisation_id: Uuid,
    pub organisation_name: String,
    /// `draft`, `submitted`, `publicity` or `final`.
    pub status: String,
    /// Leaf code → score and note; for the organisation, the registry and declared assessors.
    pub self_assessment: Option<BTreeMap<String, SelfScoreBody>>,
    pub submitted_at: Option<DateTime<Utc>>,
    /// The assessors on the panel (the registry only).
    pub assessors: Option<Vec<AssessorStatus>>,
    /// The result once published: centi-points.
    pub total: Option<i64>,
    pub grade: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
    pub publicity_ends_at: Option<DateTime<Utc>>,
    pub preliminary_disclosure_id: Option<Uuid>,
    pub review_requested_at: Option<DateTime<Utc>>,
    pub review_reason: Option<String>,
    pub review_outcome: Option<String>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub finalised_at: Option<DateTime<Utc>>,
    pub final_disclosure_id: Option<Uuid>,
    pub version: i32,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct AssessorStatus {
    pub assignment_id: Uuid,
    pub user_id: Uuid,
    pub declared_at: Option<DateTime<Utc>>,
    pub submitted_at: Option<DateTime<Utc>>,
}

pub(super) fn application_response(
    loaded: &crate::evaluations::Loaded,
    application: evaluation_application::Model,
    role: &Role,
) -> ApplicationResponse {
    let sees_material = match role {
        Role::Registry(_) | Role::Organisation { .. } => true,
        Role::Assessor { declared, .. } => *declared,
    };
    let published = application.published_at.is_some();
    ApplicationResponse {
        id: application.id,
        campaign_id: application.campaign_id,
        organisation_id: application.organisation_id,
        organisation_name: loaded.organisation.name.clone(),
        self_assessment: sees_material.then(|| {
            applications::self_assessment_of(&application)
                .into_iter()
                .map(|(code, entry)| {
                    (
                        code,
                        SelfScoreBody {
                            score: entry.score,
                            note: entry.note,
                        },
                    )
                })
                .collect()
        }),
        assessors: matches!(role, Role::Registry(_)).then(|| {
            loaded
                .assignments
                .iter()
                .map(|assignment| AssessorStatus {
                    assignment_id: assignment.id,
                    user_id: assignment.assessor_user_id,
                    declared_at: assignment.declared_at,
                    submitted_at: assignment.submitted_at,
                })
                .collect()
        }),
        status: application.status,
        submitted_at: application.submitted_at,
        total: application.total.filter(|_| published),
        grade: application.grade.filter(|_| published),
        published_at: application.published_at,
        publicity_ends_at: application.publicity_ends_at,
        preliminary_disclosure_id: application.preliminary_disclosure_id,
        review_requested_at: application.review_requested_at,
        review_reason: application.review_reason,
        review_outcome: application.review_outcome,
        reviewed_at: application.reviewed_at,
        finalised_at: application.finalised_at,
        final_disclosure_id: application.final_disclosure_id,
        version: application.version,
    }
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ApplicationList {
    pub items: Vec<ApplicationSummary>,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ApplicationSummary {
    pub id: Uuid,
    pub organisation_id: Uuid,
    pub status: String,
    pub grade: Option<String>,
    /// A review asked for and not yet decided.
    pub review_pending: bool,
}

#[derive(Debug, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
#[oai(deny_unknown_fields)]
pub struct MaterialRequest {
    pub leaf_code: String,
    /// A document uploaded for the organisation (`POST /organisations/{id}/documents`).
    pub document_id: Uuid,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct MaterialResponse {
    pub id: Uuid,
    pub leaf_code: String,
    pub document_id: Uuid,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub added_at: DateTime<Utc>,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct MaterialList {
    pub items: Vec<MaterialResponse>,
}

pub(super) fn material_response(
    material: evaluation_material::Model,
    document: &entities::document::Model,
) -> MaterialResponse {
    MaterialResponse {
        id: material.id,
        leaf_code: material.leaf_code,
        document_id: material.document_id,
        file_name: document.file_name.clone(),
        content_type: document.content_type.clone(),
        size_bytes: document.size_bytes,
        added_at: material.added_at,
    }
}
