//! The panel as the registry runs it: assessors assigned and withdrawn, the committee's decisions, the panel's outcome and its score sheets.

use super::shared::*;

pub struct PanelApi {
    state: AppState,
}

impl PanelApi {
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

#[OpenApi(tag = "EvaluationTags::Evaluations")]
impl PanelApi {
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
        application(&self.state, &principal, id.0).await
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
        application(&self.state, &principal, id.0).await
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
        let (loaded, outcome) = outcome_for(&self.state, &principal, id.0).await?;
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
        let (loaded, outcome) = outcome_for(&self.state, &principal, id.0).await?;
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
        let (loaded, outcome) = outcome_for(&self.state, &principal, id.0).await?;
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
}
