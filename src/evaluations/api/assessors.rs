//! An assessor's own work: assignments, the declaration of no conflict, scores.

use super::shared::*;

pub struct AssessorApi {
    state: AppState,
}

impl AssessorApi {
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

#[OpenApi(tag = "EvaluationTags::Evaluations")]
impl AssessorApi {
    /// The caller's assignments as an assessor.
    #[oai(
        path = "/me/evaluation-assignments",
        method = "get",
        operation_id = "list_my_evaluation_assignments"
    )]
    async fn my_assignments(&self, auth: BearerAuth) -> ApiResult<Json<AssignmentList>> {
        let principal = auth.principal(&self.state).await?;
        let mut items = Vec::new();
        for assignment in assessing::my_assignments(&self.state, &principal).await? {
            let loaded = evaluations::load(&self.state, assignment.application_id).await?;
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
        let (assignment, loaded) = assessing::own_assignment(&self.state, &principal, id.0).await?;
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
        let assignment = assessing::declare(
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
        let loaded = evaluations::load(&self.state, assignment.application_id).await?;
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
        let assignment = assessing::score(&self.state, &principal, id.0, leaves).await?;
        let loaded = evaluations::load(&self.state, assignment.application_id).await?;
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
        let assignment = assessing::submit_scores(&self.state, &principal, id.0).await?;
        let loaded = evaluations::load(&self.state, assignment.application_id).await?;
        Ok(Json(assignment_response(assignment, &loaded)))
    }
}
