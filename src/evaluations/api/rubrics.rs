//! Rubrics: the versions a tenant scores by.

use super::shared::*;

pub struct RubricApi {
    state: AppState,
}

impl RubricApi {
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

#[OpenApi(tag = "EvaluationTags::Evaluations")]
impl RubricApi {
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
}
