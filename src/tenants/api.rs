//! `/api/v1/tenants`.

use poem_openapi::{
    ApiResponse, OpenApi, Tags,
    param::{Path, Query},
    payload::Json,
};

use super::{
    dto::{CreateTenantRequest, TenantList, TenantResponse},
    service::{self, NewTenant},
};
use crate::auth::bearer::{BearerAuth, OptionalBearerAuth};
use crate::http::contract::Rule;
use crate::{
    error::ApiResult,
    http::{json::JsonBody, paging::PageRequest},
    state::AppState,
};

#[derive(Tags)]
enum TenantTags {
    /// Civil-affairs jurisdictions.
    Tenants,
}

#[derive(ApiResponse)]
enum CreateTenantResponse {
    /// The tenant was created.
    #[oai(status = 201)]
    Created(Json<TenantResponse>),
}

impl TenantApi {
    /// Statuses this API's operations answer for rules the schema cannot express.
    pub const RULES: &'static [Rule] = &[Rule::new(
        "create_tenant",
        422,
        "`org_code` must carry a right check character, `parent` name an existing tenant",
    )];
}

pub struct TenantApi {
    state: AppState,
    on_created: &'static [service::OnTenantCreated],
}

impl TenantApi {
    /// `on_created` runs inside each new tenant's transaction (see [`service::OnTenantCreated`]).
    pub fn new(state: AppState, on_created: &'static [service::OnTenantCreated]) -> Self {
        Self { state, on_created }
    }
}

#[OpenApi(tag = "TenantTags::Tenants")]
impl TenantApi {
    /// Tenants by slug; `parent` lists the children of one tenant. Public.
    #[oai(path = "/tenants", method = "get", operation_id = "list_tenants")]
    async fn list_tenants(
        &self,
        auth: OptionalBearerAuth,
        parent: Query<Option<String>>,
        limit: Query<Option<crate::http::paging::Limit>>,
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<TenantList>> {
        auth.principal(&self.state).await?;
        let page = PageRequest::parse(limit.0.map(crate::http::paging::Limit::get), cursor.0)?;
        let tenants = service::list_tenants(
            &self.state,
            parent.0.as_deref(),
            page.after.clone(),
            page.fetch_limit(),
        )
        .await?;
        let (tenants, next_cursor) = page.finish(tenants, |tenant| tenant.model.slug.clone());
        Ok(Json(TenantList {
            items: tenants.into_iter().map(Into::into).collect(),
            next_cursor,
        }))
    }

    /// Create a tenant (platform administrators).
    #[oai(path = "/tenants", method = "post", operation_id = "create_tenant")]
    async fn create_tenant(
        &self,
        auth: BearerAuth,
        body: JsonBody<CreateTenantRequest>,
    ) -> ApiResult<CreateTenantResponse> {
        let principal = auth.principal(&self.state).await?;
        let new = NewTenant::try_from(body.0)?;
        let tenant = service::create_tenant(&self.state, &principal, new, self.on_created).await?;
        Ok(CreateTenantResponse::Created(Json(tenant.into())))
    }

    /// One tenant. Public.
    #[oai(path = "/tenants/:slug", method = "get", operation_id = "get_tenant")]
    async fn get_tenant(
        &self,
        auth: OptionalBearerAuth,
        slug: Path<String>,
    ) -> ApiResult<Json<TenantResponse>> {
        auth.principal(&self.state).await?;
        let tenant = service::get_tenant(&self.state, &slug.0).await?;
        Ok(Json(tenant.into()))
    }
}
