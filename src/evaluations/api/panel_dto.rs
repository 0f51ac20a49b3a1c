//! Requests and answers of the panel, the assessors' scores, publicity, objections, reviews
//! and grades.

use crate::types::Text;
use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use entities::{evaluation_assignment, evaluation_objection, organisation_grade};
use poem_openapi::Object;
use serde::Deserialize;
use uuid::Uuid;

use crate::evaluations::{grades, panel, panel::StoredDecision, scoring::Outcome};

#[derive(Debug, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
#[oai(deny_unknown_fields)]
pub struct AssignRequest {
    pub user_id: Uuid,
}

/// An assessor's assignment, as the assessor sees it.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct AssignmentResponse {
    pub id: Uuid,
    pub application_id: Uuid,
    pub organisation_name: String,
    pub campaign_title: String,
    pub assigned_at: DateTime<Utc>,
    pub declared_at: Option<DateTime<Utc>>,
    /// Leaf code → the assessor's own score and reason.
    pub scores: BTreeMap<String, LeafScoreBody>,
    pub submitted_at: Option<DateTime<Utc>>,
}

pub(super) fn assignment_response(
    assignment: evaluation_assignment::Model,
    loaded: &crate::evaluations::Loaded,
) -> AssignmentResponse {
    AssignmentResponse {
        scores: panel::sheet_of(&assignment)
            .into_iter()
            .map(|(code, leaf)| {
                (
                    code,
                    LeafScoreBody {
                        score: leaf.score,
                        reason: leaf.reason,
                    },
                )
            })
            .collect(),
        id: assignment.id,
        application_id: assignment.application_id,
        organisation_name: loaded.organisation.name.clone(),
        campaign_title: loaded.campaign.title.clone(),
        assigned_at: assignment.assigned_at,
        declared_at: assignment.declared_at,
        submitted_at: assignment.submitted_at,
    }
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct AssignmentList {
    pub items: Vec<AssignmentResponse>,
}

#[derive(Debug, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
#[oai(deny_unknown_fields)]
pub struct DeclarationRequest {
    /// Not employed by or working for the organisation in the last two years.
    pub no_employment_last_two_years: bool,
    /// No other interest in it (family, money, office).
    pub no_other_interest: bool,
    #[serde(default)]
    #[oai(default)]
    pub statement: String,
}

#[derive(Clone, Debug, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
#[oai(deny_unknown_fields)]
pub struct LeafScoreBody {
    /// Centi-points, 0 to the leaf's maximum.
    pub score: i64,
    /// Required below the maximum.
    #[serde(default)]
    #[oai(default)]
    pub reason: String,
}

#[derive(Debug, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
#[oai(deny_unknown_fields)]
pub struct ScoresRequest {
    pub leaves: BTreeMap<String, LeafScoreBody>,
}

#[derive(Clone, Debug, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
#[oai(deny_unknown_fields)]
pub struct DecisionBody {
    /// The leaf's final value (centi-points).
    pub value: Option<i64>,
    #[serde(default)]
    #[oai(default)]
    pub not_applicable: bool,
    pub reason: String,
}

#[derive(Debug, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
#[oai(deny_unknown_fields)]
pub struct DecisionsRequest {
    /// Leaf code → decision; neither a value nor `not_applicable` withdraws it.
    pub leaves: BTreeMap<String, DecisionBody>,
}

pub(super) fn decisions(request: BTreeMap<String, DecisionBody>) -> panel::Decisions {
    request
        .into_iter()
        .map(|(code, body)| {
            (
                code,
                StoredDecision {
                    value: body.value,
                    not_applicable: body.not_applicable,
                    reason: body.reason,
                },
            )
        })
        .collect()
}

/// One leaf of the panel's result.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct PanelLeaf {
    pub code: String,
    pub max: i64,
    /// Each assessor's score, in the order of `assessors`.
    pub scores: Vec<i64>,
    pub mean: i64,
    pub committee_value: Option<i64>,
    pub not_applicable: bool,
    /// Spread over 30 % of the maximum.
    pub disagreement: bool,
    pub value: i64,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct PanelResponse {
    /// Assessors' user ids, in the order of each leaf's `scores`.
    pub assessors: Vec<Uuid>,
    pub leaves: Vec<PanelLeaf>,
    pub raw: i64,
    pub applicable_max: i64,
    pub total: i64,
    pub grade: Option<String>,
}

pub(super) fn panel_response(
    loaded: &crate::evaluations::Loaded,
    outcome: Outcome,
    registry: bool,
) -> PanelResponse {
    let decisions = panel::decisions_of(&loaded.application);
    let mut assessors: Vec<Uuid> = loaded
        .assignments
        .iter()
        .map(|assignment| assignment.assessor_user_id)
        .collect();
    // The scores come in the order of the assessors' ids (as text).
    assessors.sort_by_key(ToString::to_string);
    PanelResponse {
        // Who gave which score is the registry's to know.
        assessors: if registry { assessors } else { Vec::new() },
        leaves: outcome
            .leaves
            .into_iter()
            .map(|leaf| PanelLeaf {
                committee_value: decisions
                    .get(&leaf.code)
                    .and_then(|decision| decision.value),
                code: leaf.code,
                max: leaf.max,
                scores: leaf.scores,
                mean: leaf.mean,
                not_applicable: leaf.not_applicable,
                disagreement: leaf.disagreement,
                value: leaf.value,
            })
            .collect(),
        raw: outcome.raw,
        applicable_max: outcome.applicable_max,
        total: outcome.total,
        grade: outcome.grade,
    }
}

#[derive(Debug, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
#[oai(deny_unknown_fields)]
pub struct ObjectionRequest {
    pub name: Text<100>,
    /// A telephone number or e-mail address.
    pub contact: Text<200>,
    pub text: Text<5000>,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ObjectionResponse {
    pub id: Uuid,
    pub name: String,
    pub contact: String,
    pub text: String,
    pub filed_at: DateTime<Utc>,
}

impl From<evaluation_objection::Model> for ObjectionResponse {
    fn from(model: evaluation_objection::Model) -> Self {
        Self {
            id: model.id,
            name: model.name,
            contact: model.contact,
            text: model.body,
            filed_at: model.filed_at,
        }
    }
}

/// An objection as its author sees it: received.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ObjectionReceipt {
    pub id: Uuid,
    pub filed_at: DateTime<Utc>,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ObjectionList {
    pub items: Vec<ObjectionResponse>,
}

#[derive(Debug, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
#[oai(deny_unknown_fields)]
pub struct ReviewRequest {
    pub reason: Text<5000>,
}

#[derive(Debug, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
#[oai(deny_unknown_fields)]
pub struct ReviewOutcomeRequest {
    pub outcome: Text<5000>,
    /// New committee decisions, when the review re-scores.
    #[serde(default)]
    #[oai(default)]
    pub leaves: BTreeMap<String, DecisionBody>,
}

/// A grade an organisation holds or held.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct GradeResponse {
    pub id: Uuid,
    pub grade: String,
    pub total: i64,
    pub awarded_on: NaiveDate,
    /// The last day it is valid.
    pub valid_until: NaiveDate,
    /// `current`, `downgraded`, `cancelled`, `superseded` or `expired`.
    pub status: String,
    pub reason: Option<String>,
    pub disclosure_id: Option<Uuid>,
}

pub fn grade_response(model: organisation_grade::Model, today: NaiveDate) -> GradeResponse {
    let status = if model.status == grades::CURRENT && model.valid_until < today {
        "expired".to_owned()
    } else {
        model.status
    };
    GradeResponse {
        id: model.id,
        grade: model.grade,
        total: model.total,
        awarded_on: model.awarded_on,
        valid_until: model.valid_until,
        status,
        reason: model.reason,
        disclosure_id: model.disclosure_id,
    }
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct GradeList {
    /// The grade held today, if any.
    pub current: Option<GradeResponse>,
    pub items: Vec<GradeResponse>,
}

#[derive(Debug, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
#[oai(deny_unknown_fields)]
pub struct DowngradeRequest {
    pub grade: String,
    pub reason: Text<1000>,
}

#[derive(Debug, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[serde(deny_unknown_fields)]
#[oai(deny_unknown_fields)]
pub struct CancelRequest {
    pub reason: Text<1000>,
}
