//! `/api/v1/…` for evaluations: rubrics, campaigns, applications, the panel, publicity and
//! grades.

use crate::auth::bearer::{BearerAuth, OptionalBearerAuth};
use crate::types::{Int, Text};
use std::collections::BTreeMap;

use askama::Template;
use chrono::{DateTime, NaiveDate, Utc};
use entities::{
    evaluation_application, evaluation_assignment, evaluation_campaign, evaluation_material,
    evaluation_objection, organisation_grade,
};
use poem_openapi::{
    ApiResponse, Object, OpenApi, Tags,
    param::{Path, Query},
    payload::{Binary, Html, Json},
};
use serde::Deserialize;
use uuid::Uuid;

use super::{
    Role, applications,
    applications::{SelfAssessment, SelfScore},
    campaigns::{self, NewCampaign},
    grades, panel,
    panel::{Declaration, LeafScore, StoredDecision},
    points, publicity,
    rubric::RubricContent,
    rubrics::{self, RubricView},
    scoring::Outcome,
};
use crate::http::contract::Rule;
use crate::{
    documents::dto::DownloadResponse,
    error::{ApiError, ApiResult},
    http::json::JsonBody,
    state::AppState,
};

#[derive(Tags)]
enum EvaluationTags {
    /// Evaluations (评估): rubrics, campaigns, panels, publicity and grades.
    Evaluations,
}

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

fn application_response(
    loaded: &super::Loaded,
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

fn assignment_response(
    assignment: evaluation_assignment::Model,
    loaded: &super::Loaded,
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

fn decisions(request: BTreeMap<String, DecisionBody>) -> panel::Decisions {
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

fn panel_response(loaded: &super::Loaded, outcome: Outcome, registry: bool) -> PanelResponse {
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

#[derive(ApiResponse)]
enum EvaluationCreated<T: poem_openapi::types::ToJSON + Send + Sync> {
    #[oai(status = 201)]
    Created(Json<T>),
}

#[derive(ApiResponse)]
enum SheetFile {
    /// One row per leaf: each assessor's score, the mean, the committee's decision, the value;
    /// then the totals.
    #[oai(status = 200, content_type = "text/csv; charset=utf-8")]
    Ok(
        Binary<Vec<u8>>,
        #[oai(header = "Content-Disposition")] String,
    ),
}

/// The printable score sheet.
#[derive(Template)]
#[template(path = "evaluations/score_sheet.html")]
struct ScoreSheetPage<'a> {
    organisation: &'a str,
    code: &'a str,
    campaign: &'a str,
    assessors: usize,
    rows: Vec<SheetRow>,
    raw: String,
    applicable_max: String,
    total: String,
    grade: String,
}

struct SheetRow {
    code: String,
    name: String,
    max: String,
    scores: Vec<String>,
    mean: String,
    committee: String,
    value: String,
    flag: bool,
    /// The assessors' reasons for scores below the maximum.
    reasons: String,
}

fn sheet_rows(loaded: &super::Loaded, outcome: &Outcome) -> Vec<SheetRow> {
    let names: BTreeMap<String, String> = {
        fn walk(indicator: &super::rubric::Indicator, names: &mut BTreeMap<String, String>) {
            names.insert(indicator.code.clone(), indicator.name_zh.to_string());
            for child in &indicator.children {
                walk(child, names);
            }
        }
        let mut names = BTreeMap::new();
        for indicator in &loaded.rubric.indicators {
            walk(indicator, &mut names);
        }
        names
    };
    let decisions = panel::decisions_of(&loaded.application);
    // In the order of the scores: by assessor.
    let mut sheets: Vec<_> = loaded
        .assignments
        .iter()
        .filter(|assignment| assignment.submitted_at.is_some())
        .collect();
    sheets.sort_by_key(|assignment| assignment.assessor_user_id.to_string());
    let sheets: Vec<panel::ScoreSheet> = sheets.into_iter().map(panel::sheet_of).collect();
    outcome
        .leaves
        .iter()
        .map(|leaf| SheetRow {
            reasons: sheets
                .iter()
                .enumerate()
                .filter_map(|(index, sheet)| {
                    sheet
                        .get(&leaf.code)
                        .filter(|score| !score.reason.is_empty())
                        .map(|score| format!("专家{}：{}", index + 1, score.reason))
                })
                .collect::<Vec<_>>()
                .join("；"),
            name: names.get(&leaf.code).cloned().unwrap_or_default(),
            max: points(leaf.max),
            scores: leaf.scores.iter().map(|score| points(*score)).collect(),
            mean: points(leaf.mean),
            committee: match decisions.get(&leaf.code) {
                Some(decision) if decision.not_applicable => {
                    format!("不适用：{}", decision.reason)
                }
                Some(decision) => format!(
                    "{}：{}",
                    decision.value.map(points).unwrap_or_default(),
                    decision.reason
                ),
                None => String::new(),
            },
            value: if leaf.not_applicable {
                "—".to_owned()
            } else {
                points(leaf.value)
            },
            flag: leaf.disagreement,
            code: leaf.code.clone(),
        })
        .collect()
}

/// One row of a CSV the service writes: cells that would start a formula are made text.
fn write_cells(writer: &mut csv::Writer<Vec<u8>>, cells: &[String]) -> Result<(), ApiError> {
    writer
        .write_record(
            cells
                .iter()
                .map(|cell| crate::types::spreadsheet::neutralise(cell).into_owned()),
        )
        .map_err(ApiError::internal)
}

fn sheet_csv(loaded: &super::Loaded, outcome: &Outcome) -> Result<Vec<u8>, ApiError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let assessors = loaded.assignments.len();
    let mut header = vec!["leaf".to_owned(), "indicator".to_owned(), "max".to_owned()];
    header.extend((1..=assessors).map(|index| format!("assessor_{index}")));
    header.extend(
        [
            "mean",
            "committee",
            "not_applicable",
            "disagreement",
            "value",
            "reasons",
        ]
        .into_iter()
        .map(str::to_owned),
    );
    write_cells(&mut writer, &header)?;
    for (row, leaf) in sheet_rows(loaded, outcome).into_iter().zip(&outcome.leaves) {
        let mut record = vec![row.code, row.name, row.max];
        record.extend(row.scores);
        record.push(row.mean);
        record.push(row.committee);
        record.push(leaf.not_applicable.to_string());
        record.push(leaf.disagreement.to_string());
        record.push(row.value);
        record.push(row.reasons);
        write_cells(&mut writer, &record)?;
    }
    for (label, value) in [
        ("raw", points(outcome.raw)),
        ("applicable_max", points(outcome.applicable_max)),
        ("total", points(outcome.total)),
        ("grade", outcome.grade.clone().unwrap_or_default()),
    ] {
        let mut record = vec![label.to_owned(), String::new(), String::new()];
        record.extend((0..assessors).map(|_| String::new()));
        record.extend([
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            value,
            String::new(),
        ]);
        write_cells(&mut writer, &record)?;
    }
    writer.into_inner().map_err(ApiError::internal)
}

impl EvaluationApi {
    /// Statuses this API's operations answer for rules the schema cannot express.
    pub const RULES: &'static [Rule] = &[
        Rule::new(
            "apply_for_evaluation",
            422,
            "`organisation_id` must be an organisation the caller administers, of the campaign's type",
        ),
        Rule::new(
            "add_evaluation_material",
            422,
            "`leaf_code` must be a leaf indicator of the campaign's rubric, `document_id` a document of the organisation",
        ),
        Rule::new(
            "assess_self",
            422,
            "every key of `leaves` must be a leaf indicator of the campaign's rubric, every score within its maximum",
        ),
        Rule::new(
            "submit_evaluation_application",
            422,
            "the application must hold a self-assessment and material for every leaf indicator; each gap is named",
        ),
        Rule::new(
            "create_rubric",
            422,
            "the rubric must hold together: unique codes, maxima adding up to their parents' and to the total, bands descending",
        ),
        Rule::new(
            "replace_rubric",
            422,
            "the rubric must hold together: unique codes, maxima adding up to their parents' and to the total, bands descending",
        ),
        Rule::new(
            "open_evaluation_campaign",
            422,
            "the window must close on or after the day it opens; `rubric_id` must be a rubric of the tenant",
        ),
        Rule::new(
            "set_committee_decisions",
            422,
            "every key must be a leaf indicator of the rubric, every value within its maximum",
        ),
        Rule::new(
            "score_evaluation",
            422,
            "every key must be a leaf indicator of the rubric, every score within its maximum, a reason below it",
        ),
        Rule::new(
            "assign_assessor",
            422,
            "`user_id` must be an assessor of the tenant or one above it",
        ),
    ];
}

pub struct EvaluationApi {
    state: AppState,
}

impl EvaluationApi {
    pub fn new(state: AppState) -> Self {
        Self { state }
    }

    async fn application(
        &self,
        principal: &crate::authz::Principal,
        id: Uuid,
    ) -> ApiResult<Json<ApplicationResponse>> {
        let loaded = super::load(&self.state, id).await?;
        let role = loaded.role_of(principal)?;
        Ok(Json(application_response(
            &loaded,
            loaded.application.clone(),
            &role,
        )))
    }

    /// The panel's outcome, for those who may see it.
    async fn outcome_for(
        &self,
        principal: &crate::authz::Principal,
        id: Uuid,
    ) -> ApiResult<(super::Loaded, Outcome)> {
        let loaded = super::load(&self.state, id).await?;
        panel::require_panel_access(&loaded, principal)?;
        let outcome = panel::outcome(&loaded)?;
        Ok((loaded, outcome))
    }
}

#[OpenApi(tag = "EvaluationTags::Evaluations")]
impl EvaluationApi {
    /// A tenant's rubric versions (public).
    #[oai(
        path = "/tenants/:slug/rubrics",
        method = "get",
        operation_id = "list_rubrics"
    )]
    async fn list_rubrics(
        &self,
        slug: Path<String>,
        org_type: Query<Option<crate::registry::model::OrgType>>,
    ) -> ApiResult<Json<RubricList>> {
        let views =
            rubrics::list(&self.state, &slug.0, org_type.0.map(|kind| kind.as_str())).await?;
        Ok(Json(RubricList {
            items: views.into_iter().map(Into::into).collect(),
        }))
    }

    /// A new rubric version (the tenant's registry administrators). Children must sum to
    /// their parent; bands descend; all in centi-points.
    #[oai(
        path = "/tenants/:slug/rubrics",
        method = "post",
        operation_id = "create_rubric"
    )]
    async fn create_rubric(
        &self,
        auth: BearerAuth,
        slug: Path<String>,
        body: JsonBody<NewRubricRequest>,
    ) -> ApiResult<EvaluationCreated<RubricResponse>> {
        let principal = auth.principal(&self.state).await?;
        let view = rubrics::create_version(
            &self.state,
            &principal,
            &slug.0,
            body.0.org_type.as_str(),
            body.0.content,
        )
        .await?;
        Ok(EvaluationCreated::Created(Json(view.into())))
    }

    /// A rubric version (public).
    #[oai(path = "/rubrics/:id", method = "get", operation_id = "get_rubric")]
    async fn get_rubric(&self, id: Path<Uuid>) -> ApiResult<Json<RubricResponse>> {
        Ok(Json(rubrics::get(&self.state, id.0).await?.into()))
    }

    /// Replaces a version no campaign uses (409 `rubric_in_use` otherwise).
    #[oai(path = "/rubrics/:id", method = "put", operation_id = "replace_rubric")]
    async fn replace_rubric(
        &self,
        auth: BearerAuth,
        id: Path<Uuid>,
        body: JsonBody<ReplaceRubricRequest>,
    ) -> ApiResult<Json<RubricResponse>> {
        let principal = auth.principal(&self.state).await?;
        Ok(Json(
            rubrics::replace(&self.state, &principal, id.0, body.0.content)
                .await?
                .into(),
        ))
    }

    /// Opens a campaign (the tenant's registry administrators).
    #[oai(
        path = "/tenants/:slug/evaluation-campaigns",
        method = "post",
        operation_id = "open_evaluation_campaign"
    )]
    async fn open_campaign(
        &self,
        auth: BearerAuth,
        slug: Path<String>,
        body: JsonBody<CampaignRequest>,
    ) -> ApiResult<EvaluationCreated<CampaignResponse>> {
        let principal = auth.principal(&self.state).await?;
        let request = body.0;
        let campaign = campaigns::open(
            &self.state,
            &principal,
            &slug.0,
            NewCampaign {
                year: i32::try_from(request.year.get()).unwrap_or_default(),
                title: request.title.into_inner(),
                rubric_id: request.rubric_id,
                applications_open_on: request.applications_open_on,
                applications_close_on: request.applications_close_on,
                publicity_days: request
                    .publicity_days
                    .and_then(|days| u32::try_from(days.get()).ok()),
                allow_reevaluation: request.allow_reevaluation,
            },
        )
        .await?;
        Ok(EvaluationCreated::Created(Json(campaign.into())))
    }

    /// A tenant's campaigns (public).
    #[oai(
        path = "/tenants/:slug/evaluation-campaigns",
        method = "get",
        operation_id = "list_evaluation_campaigns"
    )]
    async fn list_campaigns(&self, slug: Path<String>) -> ApiResult<Json<CampaignList>> {
        let items = campaigns::list(&self.state, &slug.0).await?;
        Ok(Json(CampaignList {
            items: items.into_iter().map(Into::into).collect(),
        }))
    }

    /// A campaign (public).
    #[oai(
        path = "/evaluation-campaigns/:id",
        method = "get",
        operation_id = "get_evaluation_campaign"
    )]
    async fn get_campaign(&self, id: Path<Uuid>) -> ApiResult<Json<CampaignResponse>> {
        Ok(Json(campaigns::get(&self.state, id.0).await?.into()))
    }

    /// Applies for an organisation (its administrators); 422 naming the rule it fails.
    #[oai(
        path = "/evaluation-campaigns/:id/applications",
        method = "post",
        operation_id = "apply_for_evaluation"
    )]
    async fn apply(
        &self,
        auth: BearerAuth,
        id: Path<Uuid>,
        body: JsonBody<EvaluationApplyRequest>,
    ) -> ApiResult<EvaluationCreated<ApplicationResponse>> {
        let principal = auth.principal(&self.state).await?;
        let application =
            applications::apply(&self.state, &principal, id.0, body.0.organisation_id).await?;
        let loaded = super::load(&self.state, application.id).await?;
        let role = loaded.role_of(&principal)?;
        Ok(EvaluationCreated::Created(Json(application_response(
            &loaded,
            application,
            &role,
        ))))
    }

    /// The campaign's applications: all for its registry, one's own for organisations.
    #[oai(
        path = "/evaluation-campaigns/:id/applications",
        method = "get",
        operation_id = "list_evaluation_applications"
    )]
    async fn list_applications(
        &self,
        auth: BearerAuth,
        id: Path<Uuid>,
    ) -> ApiResult<Json<ApplicationList>> {
        let principal = auth.principal(&self.state).await?;
        let items = applications::of_campaign(&self.state, &principal, id.0).await?;
        Ok(Json(ApplicationList {
            items: items
                .into_iter()
                .map(|application| ApplicationSummary {
                    grade: application
                        .grade
                        .clone()
                        .filter(|_| application.published_at.is_some()),
                    review_pending: application.review_requested_at.is_some()
                        && application.reviewed_at.is_none(),
                    id: application.id,
                    organisation_id: application.organisation_id,
                    status: application.status,
                })
                .collect(),
        }))
    }

    /// An application: for the organisation, the registry, and the panel (whose members see
    /// the self-assessment once they declared no conflict of interest).
    #[oai(
        path = "/evaluation-applications/:id",
        method = "get",
        operation_id = "get_evaluation_application"
    )]
    async fn get_application(
        &self,
        auth: BearerAuth,
        id: Path<Uuid>,
    ) -> ApiResult<Json<ApplicationResponse>> {
        let principal = auth.principal(&self.state).await?;
        self.application(&principal, id.0).await
    }

    /// Sets the self-assessment of some leaves (the organisation, while a draft).
    #[oai(
        path = "/evaluation-applications/:id/self-assessment",
        method = "put",
        operation_id = "assess_self"
    )]
    async fn assess_self(
        &self,
        auth: BearerAuth,
        id: Path<Uuid>,
        body: JsonBody<SelfAssessmentRequest>,
    ) -> ApiResult<Json<ApplicationResponse>> {
        let principal = auth.principal(&self.state).await?;
        let leaves: SelfAssessment = body
            .0
            .leaves
            .into_iter()
            .map(|(code, entry)| {
                (
                    code,
                    SelfScore {
                        score: entry.score,
                        note: entry.note,
                    },
                )
            })
            .collect();
        applications::assess_self(&self.state, &principal, id.0, leaves).await?;
        self.application(&principal, id.0).await
    }

    /// Gives a document of the organisation as material for a leaf (while a draft).
    #[oai(
        path = "/evaluation-applications/:id/materials",
        method = "post",
        operation_id = "add_evaluation_material"
    )]
    async fn add_material(
        &self,
        auth: BearerAuth,
        id: Path<Uuid>,
        body: JsonBody<MaterialRequest>,
    ) -> ApiResult<EvaluationCreated<MaterialResponse>> {
        let principal = auth.principal(&self.state).await?;
        let material = applications::add_material(
            &self.state,
            &principal,
            id.0,
            &body.0.leaf_code,
            body.0.document_id,
        )
        .await?;
        let document = crate::documents::service::find_document(&self.state, material.document_id)
            .await?
            .ok_or_else(ApiError::not_found)?;
        Ok(EvaluationCreated::Created(Json(material_response(
            material, &document,
        ))))
    }

    /// The material (the organisation, the registry, declared assessors).
    #[oai(
        path = "/evaluation-applications/:id/materials",
        method = "get",
        operation_id = "list_evaluation_materials"
    )]
    async fn list_materials(
        &self,
        auth: BearerAuth,
        id: Path<Uuid>,
    ) -> ApiResult<Json<MaterialList>> {
        let principal = auth.principal(&self.state).await?;
        let loaded = super::load(&self.state, id.0).await?;
        applications::require_material_access(&loaded, &principal)?;
        let items = applications::materials(&self.state, id.0).await?;
        Ok(Json(MaterialList {
            items: items
                .into_iter()
                .map(|(material, document)| material_response(material, &document))
                .collect(),
        }))
    }

    /// Takes a material off the application (while a draft).
    #[oai(
        path = "/evaluation-applications/:id/materials/:material_id",
        method = "delete",
        operation_id = "remove_evaluation_material"
    )]
    async fn remove_material(
        &self,
        auth: BearerAuth,
        id: Path<Uuid>,
        material_id: Path<Uuid>,
    ) -> ApiResult<Json<MaterialList>> {
        let principal = auth.principal(&self.state).await?;
        applications::remove_material(&self.state, &principal, id.0, material_id.0).await?;
        let items = applications::materials(&self.state, id.0).await?;
        Ok(Json(MaterialList {
            items: items
                .into_iter()
                .map(|(material, document)| material_response(material, &document))
                .collect(),
        }))
    }

    /// A material's content.
    #[oai(
        path = "/evaluation-applications/:id/materials/:material_id/content",
        method = "get",
        operation_id = "download_evaluation_material"
    )]
    async fn download_material(
        &self,
        auth: BearerAuth,
        id: Path<Uuid>,
        material_id: Path<Uuid>,
    ) -> ApiResult<DownloadResponse> {
        let principal = auth.principal(&self.state).await?;
        let (document, bytes) =
            applications::material_content(&self.state, &principal, id.0, material_id.0).await?;
        Ok(DownloadResponse { document, bytes })
    }

    /// Submits the application (every leaf self-assessed); nothing of it changes after.
    #[oai(
        path = "/evaluation-applications/:id/submit",
        method = "post",
        operation_id = "submit_evaluation_application"
    )]
    async fn submit(
        &self,
        auth: BearerAuth,
        id: Path<Uuid>,
    ) -> ApiResult<Json<ApplicationResponse>> {
        let principal = auth.principal(&self.state).await?;
        applications::submit(&self.state, &principal, id.0).await?;
        self.application(&principal, id.0).await
    }

    /// Assigns an assessor to a submitted application (the registry; at least three).
    #[oai(
        path = "/evaluation-applications/:id/assessors",
        method = "post",
        operation_id = "assign_assessor"
    )]
    async fn assign(
        &self,
        auth: BearerAuth,
        id: Path<Uuid>,
        body: JsonBody<AssignRequest>,
    ) -> ApiResult<EvaluationCreated<AssessorStatus>> {
        let principal = auth.principal(&self.state).await?;
        let assignment = panel::assign(&self.state, &principal, id.0, body.0.user_id).await?;
        Ok(EvaluationCreated::Created(Json(AssessorStatus {
            assignment_id: assignment.id,
            user_id: assignment.assessor_user_id,
            declared_at: None,
            submitted_at: None,
        })))
    }

    /// Takes an assessor off the panel before they hand in their sheet (the registry).
    #[oai(
        path = "/evaluation-applications/:id/assessors/:assignment_id",
        method = "delete",
        operation_id = "withdraw_assessor"
    )]
    async fn withdraw(
        &self,
        auth: BearerAuth,
        id: Path<Uuid>,
        assignment_id: Path<Uuid>,
        reason: Query<Text<1000>>,
    ) -> ApiResult<Json<ApplicationResponse>> {
        let principal = auth.principal(&self.state).await?;
        panel::withdraw(&self.state, &principal, id.0, assignment_id.0, &reason.0).await?;
        self.application(&principal, id.0).await
    }

    /// The committee's decisions on leaves: a final value or not applicable, each with a reason.
    #[oai(
        path = "/evaluation-applications/:id/decisions",
        method = "put",
        operation_id = "set_committee_decisions"
    )]
    async fn decide(
        &self,
        auth: BearerAuth,
        id: Path<Uuid>,
        body: JsonBody<DecisionsRequest>,
    ) -> ApiResult<Json<ApplicationResponse>> {
        let principal = auth.principal(&self.state).await?;
        panel::decide(&self.state, &principal, id.0, decisions(body.0.leaves)).await?;
        self.application(&principal, id.0).await
    }

    /// Every assessor's scores with the means, decisions, flags, total and grade: the registry
    /// once the panel is complete; assessors too, then; the organisation once published.
    #[oai(
        path = "/evaluation-applications/:id/panel",
        method = "get",
        operation_id = "get_evaluation_panel"
    )]
    async fn get_panel(&self, auth: BearerAuth, id: Path<Uuid>) -> ApiResult<Json<PanelResponse>> {
        let principal = auth.principal(&self.state).await?;
        let (loaded, outcome) = self.outcome_for(&principal, id.0).await?;
        let registry = matches!(loaded.role_of(&principal)?, Role::Registry(_));
        Ok(Json(panel_response(&loaded, outcome, registry)))
    }

    /// The score sheet as CSV.
    #[oai(
        path = "/evaluation-applications/:id/score-sheet.csv",
        method = "get",
        operation_id = "get_score_sheet_csv"
    )]
    async fn score_sheet_csv(&self, auth: BearerAuth, id: Path<Uuid>) -> ApiResult<SheetFile> {
        let principal = auth.principal(&self.state).await?;
        let (loaded, outcome) = self.outcome_for(&principal, id.0).await?;
        Ok(SheetFile::Ok(
            Binary(sheet_csv(&loaded, &outcome)?),
            format!(
                "attachment; filename=\"score-sheet-{}.csv\"",
                loaded.organisation.uscc
            ),
        ))
    }

    /// The score sheet as a printable page.
    #[oai(
        path = "/evaluation-applications/:id/score-sheet.html",
        method = "get",
        operation_id = "get_score_sheet_html"
    )]
    async fn score_sheet_html(&self, auth: BearerAuth, id: Path<Uuid>) -> ApiResult<Html<String>> {
        let principal = auth.principal(&self.state).await?;
        let (loaded, outcome) = self.outcome_for(&principal, id.0).await?;
        let page = ScoreSheetPage {
            organisation: &loaded.organisation.name,
            code: &loaded.organisation.uscc,
            campaign: &loaded.campaign.title,
            assessors: loaded.assignments.len(),
            rows: sheet_rows(&loaded, &outcome),
            raw: points(outcome.raw),
            applicable_max: points(outcome.applicable_max),
            total: points(outcome.total),
            grade: outcome.grade.clone().unwrap_or_else(|| "—".to_owned()),
        };
        Ok(Html(page.render().map_err(ApiError::internal)?))
    }

    /// Publishes the preliminary result for the campaign's publicity days (the registry).
    #[oai(
        path = "/evaluation-applications/:id/publish",
        method = "post",
        operation_id = "publish_evaluation_result"
    )]
    async fn publish(
        &self,
        auth: BearerAuth,
        id: Path<Uuid>,
    ) -> ApiResult<Json<ApplicationResponse>> {
        let principal = auth.principal(&self.state).await?;
        publicity::publish(&self.state, &principal, id.0).await?;
        self.application(&principal, id.0).await
    }

    /// Files an objection to a result in publicity (anyone; limited per address).
    #[oai(
        path = "/evaluation-applications/:id/objections",
        method = "post",
        operation_id = "file_evaluation_objection"
    )]
    async fn object(
        &self,
        request: &poem::Request,
        id: Path<Uuid>,
        body: JsonBody<ObjectionRequest>,
    ) -> ApiResult<EvaluationCreated<ObjectionReceipt>> {
        let client = crate::clients::client_of(&self.state.config.trusted_proxies, request);
        let request = body.0;
        let objection = publicity::object(
            &self.state,
            &client,
            id.0,
            publicity::NewObjection {
                name: request.name.into_inner(),
                contact: request.contact.into_inner(),
                body: request.text.into_inner(),
            },
        )
        .await?;
        Ok(EvaluationCreated::Created(Json(ObjectionReceipt {
            id: objection.id,
            filed_at: objection.filed_at,
        })))
    }

    /// The objections (the registry).
    #[oai(
        path = "/evaluation-applications/:id/objections",
        method = "get",
        operation_id = "list_evaluation_objections"
    )]
    async fn objections(&self, auth: BearerAuth, id: Path<Uuid>) -> ApiResult<Json<ObjectionList>> {
        let principal = auth.principal(&self.state).await?;
        let items = publicity::objections(&self.state, &principal, id.0).await?;
        Ok(Json(ObjectionList {
            items: items.into_iter().map(Into::into).collect(),
        }))
    }

    /// The organisation asks for a review (复核) within the publicity period.
    #[oai(
        path = "/evaluation-applications/:id/review-request",
        method = "post",
        operation_id = "request_evaluation_review"
    )]
    async fn request_review(
        &self,
        auth: BearerAuth,
        id: Path<Uuid>,
        body: JsonBody<ReviewRequest>,
    ) -> ApiResult<Json<ApplicationResponse>> {
        let principal = auth.principal(&self.state).await?;
        publicity::request_review(&self.state, &principal, id.0, &body.0.reason).await?;
        self.application(&principal, id.0).await
    }

    /// The registry records the review's outcome, with new committee decisions if it re-scores.
    #[oai(
        path = "/evaluation-applications/:id/review",
        method = "post",
        operation_id = "record_evaluation_review"
    )]
    async fn record_review(
        &self,
        auth: BearerAuth,
        id: Path<Uuid>,
        body: JsonBody<ReviewOutcomeRequest>,
    ) -> ApiResult<Json<ApplicationResponse>> {
        let principal = auth.principal(&self.state).await?;
        let request = body.0;
        publicity::record_review(
            &self.state,
            &principal,
            id.0,
            &request.outcome,
            decisions(request.leaves),
        )
        .await?;
        self.application(&principal, id.0).await
    }

    /// The caller's assignments as an assessor.
    #[oai(
        path = "/me/evaluation-assignments",
        method = "get",
        operation_id = "list_my_evaluation_assignments"
    )]
    async fn my_assignments(&self, auth: BearerAuth) -> ApiResult<Json<AssignmentList>> {
        let principal = auth.principal(&self.state).await?;
        let mut items = Vec::new();
        for assignment in panel::my_assignments(&self.state, &principal).await? {
            let loaded = super::load(&self.state, assignment.application_id).await?;
            items.push(assignment_response(assignment, &loaded));
        }
        Ok(Json(AssignmentList { items }))
    }

    /// One of the caller's assignments (404 for anyone else's).
    #[oai(
        path = "/evaluation-assignments/:id",
        method = "get",
        operation_id = "get_evaluation_assignment"
    )]
    async fn get_assignment(
        &self,
        auth: BearerAuth,
        id: Path<Uuid>,
    ) -> ApiResult<Json<AssignmentResponse>> {
        let principal = auth.principal(&self.state).await?;
        let (assignment, loaded) = panel::own_assignment(&self.state, &principal, id.0).await?;
        Ok(Json(assignment_response(assignment, &loaded)))
    }

    /// Declares no conflict of interest (recorded with its time) — before anything is shown.
    #[oai(
        path = "/evaluation-assignments/:id/declaration",
        method = "post",
        operation_id = "declare_no_conflict"
    )]
    async fn declare(
        &self,
        auth: BearerAuth,
        id: Path<Uuid>,
        body: JsonBody<DeclarationRequest>,
    ) -> ApiResult<Json<AssignmentResponse>> {
        let principal = auth.principal(&self.state).await?;
        let request = body.0;
        let assignment = panel::declare(
            &self.state,
            &principal,
            id.0,
            Declaration {
                no_employment_last_two_years: request.no_employment_last_two_years,
                no_other_interest: request.no_other_interest,
                statement: request.statement,
            },
        )
        .await?;
        let loaded = super::load(&self.state, assignment.application_id).await?;
        Ok(Json(assignment_response(assignment, &loaded)))
    }

    /// Scores some leaves (0 to the maximum; a reason below it).
    #[oai(
        path = "/evaluation-assignments/:id/scores",
        method = "put",
        operation_id = "score_evaluation"
    )]
    async fn score(
        &self,
        auth: BearerAuth,
        id: Path<Uuid>,
        body: JsonBody<ScoresRequest>,
    ) -> ApiResult<Json<AssignmentResponse>> {
        let principal = auth.principal(&self.state).await?;
        let leaves = body
            .0
            .leaves
            .into_iter()
            .map(|(code, leaf)| {
                (
                    code,
                    LeafScore {
                        score: leaf.score,
                        reason: leaf.reason,
                    },
                )
            })
            .collect();
        let assignment = panel::score(&self.state, &principal, id.0, leaves).await?;
        let loaded = super::load(&self.state, assignment.application_id).await?;
        Ok(Json(assignment_response(assignment, &loaded)))
    }

    /// Hands in the sheet (every leaf scored).
    #[oai(
        path = "/evaluation-assignments/:id/submit",
        method = "post",
        operation_id = "submit_evaluation_scores"
    )]
    async fn submit_scores(
        &self,
        auth: BearerAuth,
        id: Path<Uuid>,
    ) -> ApiResult<Json<AssignmentResponse>> {
        let principal = auth.principal(&self.state).await?;
        let assignment = panel::submit_scores(&self.state, &principal, id.0).await?;
        let loaded = super::load(&self.state, assignment.application_id).await?;
        Ok(Json(assignment_response(assignment, &loaded)))
    }

    /// An organisation's grades, with the one held today (public).
    #[oai(
        path = "/organisations/:id/grades",
        method = "get",
        operation_id = "list_organisation_grades"
    )]
    async fn grades(
        &self,
        auth: OptionalBearerAuth,
        id: Path<String>,
    ) -> ApiResult<Json<GradeList>> {
        let principal = auth.principal(&self.state).await?;
        let view = crate::registry::organisations::service::get_organisation(
            &self.state,
            &principal,
            &id.0,
        )
        .await?;
        let today = crate::disclosures::service::local_date(&view.tenant, self.state.clock.now());
        let current = grades::current(&self.state.db, view.model.id, today).await?;
        let items = grades::history(&self.state.db, view.model.id).await?;
        Ok(Json(GradeList {
            current: current.map(|grade| grade_response(grade, today)),
            items: items
                .into_iter()
                .map(|grade| grade_response(grade, today))
                .collect(),
        }))
    }

    /// Downgrades the current grade (the awarding registry), with a reason; disclosed.
    #[oai(
        path = "/organisations/:id/grade/downgrade",
        method = "post",
        operation_id = "downgrade_grade"
    )]
    async fn downgrade(
        &self,
        auth: BearerAuth,
        id: Path<Uuid>,
        body: JsonBody<DowngradeRequest>,
    ) -> ApiResult<Json<GradeResponse>> {
        let principal = auth.principal(&self.state).await?;
        let request = body.0;
        let grade = grades::change(
            &self.state,
            &principal,
            id.0,
            grades::Change::Downgrade {
                grade: request.grade,
            },
            &request.reason,
        )
        .await?;
        Ok(Json(grade_response(grade, NaiveDate::MIN)))
    }

    /// Cancels the current grade (the awarding registry), with a reason; disclosed.
    #[oai(
        path = "/organisations/:id/grade/cancel",
        method = "post",
        operation_id = "cancel_grade"
    )]
    async fn cancel(
        &self,
        auth: BearerAuth,
        id: Path<Uuid>,
        body: JsonBody<CancelRequest>,
    ) -> ApiResult<Json<GradeResponse>> {
        let principal = auth.principal(&self.state).await?;
        let grade = grades::change(
            &self.state,
            &principal,
            id.0,
            grades::Change::Cancel,
            &body.0.reason,
        )
        .await?;
        Ok(Json(grade_response(grade, NaiveDate::MIN)))
    }
}

fn material_response(
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
