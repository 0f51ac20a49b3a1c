//! `/api/v1/…` for evaluations: rubrics, campaigns, applications, the panel, an assessor's work,
//! publicity and grades, one OpenAPI struct per workflow.

mod applications;
mod assessors;
mod campaigns;
mod dto;
mod grades;
mod panel;
mod panel_dto;
mod publicity;
mod rubrics;
mod shared;
mod sheets;

use crate::{http::contract::Rule, state::AppState};

pub use applications::ApplicationApi;
pub use assessors::AssessorApi;
pub use campaigns::CampaignApi;
pub use grades::GradeApi;
pub use panel::PanelApi;
pub use publicity::PublicityApi;
pub use rubrics::RubricApi;

/// Every evaluation API, as the router mounts them.
pub type EvaluationApi = (
    RubricApi,
    CampaignApi,
    ApplicationApi,
    PanelApi,
    AssessorApi,
    PublicityApi,
    GradeApi,
);

/// The evaluation APIs over `state`.
pub fn apis(state: &AppState) -> EvaluationApi {
    (
        RubricApi::new(state.clone()),
        CampaignApi::new(state.clone()),
        ApplicationApi::new(state.clone()),
        PanelApi::new(state.clone()),
        AssessorApi::new(state.clone()),
        PublicityApi::new(state.clone()),
        GradeApi::new(state.clone()),
    )
}

/// Statuses the evaluation operations answer for rules the schema cannot express.
pub const RULES: &[Rule] = &[
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
