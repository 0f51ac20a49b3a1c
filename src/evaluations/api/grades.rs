//! Grades: an organisation's grades, downgraded or cancelled by its registry.

use super::shared::*;

pub struct GradeApi {
    state: AppState,
}

impl GradeApi {
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

#[OpenApi(tag = "EvaluationTags::Evaluations")]
impl GradeApi {
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
        let today = view.tenant.local_date(self.state.clock.now());
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
