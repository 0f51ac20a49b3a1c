//! Publicity: the result published, objections, and reviews.

use super::shared::*;

pub struct PublicityApi {
    state: AppState,
}

impl PublicityApi {
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

#[OpenApi(tag = "EvaluationTags::Evaluations")]
impl PublicityApi {
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
        application(&self.state, &principal, id.0).await
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
        let objection = objections::object(
            &self.state,
            &client,
            id.0,
            objections::NewObjection {
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
        let items = objections::objections(&self.state, &principal, id.0).await?;
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
        objections::request_review(&self.state, &principal, id.0, &body.0.reason).await?;
        application(&self.state, &principal, id.0).await
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
        objections::record_review(
            &self.state,
            &principal,
            id.0,
            &request.outcome,
            decisions(request.leaves),
        )
        .await?;
        application(&self.state, &principal, id.0).await
    }
}
