//! Applications: an organisation applies, assesses itself, adds material and submits.

use super::shared::*;

pub struct ApplicationApi {
    state: AppState,
}

impl ApplicationApi {
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

#[OpenApi(tag = "EvaluationTags::Evaluations")]
impl ApplicationApi {
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
        let loaded = evaluations::load(&self.state, application.id).await?;
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
        application(&self.state, &principal, id.0).await
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
        application(&self.state, &principal, id.0).await
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
        let loaded = evaluations::load(&self.state, id.0).await?;
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
        application(&self.state, &principal, id.0).await
    }
}
