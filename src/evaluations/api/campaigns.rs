//! Campaigns: a year's evaluation window over a rubric.

use super::shared::*;

pub struct CampaignApi {
    state: AppState,
}

impl CampaignApi {
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

#[OpenApi(tag = "EvaluationTags::Evaluations")]
impl CampaignApi {
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
}
