//! `/api/v1/disclosures` and `/api/v1/tenants/{slug}/disclosures`.

use chrono::NaiveDate;
use poem_openapi::{
    ApiResponse, OpenApi, Tags,
    param::{Path, Query},
    payload::Json,
};
use uuid::Uuid;

use super::{
    dto::{DisclosureList, DisclosureResponse, PublishDisclosureRequest},
    repo::DisclosureFilter,
    service::{self, Category, NewDisclosure},
};
use crate::auth::bearer::{BearerAuth, OptionalBearerAuth};
use crate::http::contract::Rule;
use crate::{
    error::{ApiError, ApiResult, FieldError},
    http::{json::JsonBody, paging::PageRequest},
    state::AppState,
};

#[derive(Tags)]
enum DisclosureTags {
    /// Public disclosure records (信息公开).
    Disclosures,
}

#[derive(ApiResponse)]
enum PublishResponse {
    /// Published.
    #[oai(status = 201)]
    Created(Json<DisclosureResponse>),
}

impl DisclosureApi {
    /// Statuses this API's operations answer for rules the schema cannot express.
    pub const RULES: &'static [Rule] = &[Rule::new(
        "publish_disclosure",
        422,
        "`supersedes` must be a disclosure of the tenant, `attachments` its public documents",
    )];
}

pub struct DisclosureApi {
    state: AppState,
}

impl DisclosureApi {
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

#[OpenApi(tag = "DisclosureTags::Disclosures")]
impl DisclosureApi {
    /// Disclosures, newest first. `index_no` finds one record by its index number.
    #[allow(clippy::too_many_arguments)]
    #[oai(
        path = "/disclosures",
        method = "get",
        operation_id = "list_disclosures"
    )]
    async fn list_disclosures(
        &self,
        auth: OptionalBearerAuth,
        /// A tenant's slug; its children's records are included.
        tenant: Query<Option<String>>,
        category: Query<Option<Category>>,
        index_no: Query<Option<String>>,
        subject_type: Query<Option<String>>,
        subject_id: Query<Option<String>>,
        /// Written on or after this date.
        from: Query<Option<NaiveDate>>,
        /// Written on or before this date.
        to: Query<Option<NaiveDate>>,
        limit: Query<Option<crate::http::paging::Limit>>,
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<DisclosureList>> {
        auth.principal(&self.state).await?;
        let page = PageRequest::parse(limit.0.map(crate::http::paging::Limit::get), cursor.0)?;
        let before = page.after_as::<super::repo::Before>()?;
        let filter = DisclosureFilter {
            tenants: None,
            category: category.0.map(|category| category.as_str().to_owned()),
            index_no: index_no.0,
            subject_type: subject_type.0,
            subject_id: subject_id.0,
            from: from.0,
            to: to.0,
            before,
        };
        let views =
            service::list_disclosures(&self.state, tenant.0.as_deref(), filter, page.fetch_limit())
                .await?;
        let (views, next_cursor) = page.finish(views, |view| {
            super::repo::Before::of(&view.model).to_string()
        });
        Ok(Json(DisclosureList {
            items: views.into_iter().map(Into::into).collect(),
            next_cursor,
        }))
    }

    /// One disclosure record.
    #[oai(
        path = "/disclosures/:id",
        method = "get",
        operation_id = "get_disclosure"
    )]
    async fn get_disclosure(
        &self,
        auth: OptionalBearerAuth,
        id: Path<Uuid>,
    ) -> ApiResult<Json<DisclosureResponse>> {
        auth.principal(&self.state).await?;
        Ok(Json(
            service::get_disclosure(&self.state, id.0).await?.into(),
        ))
    }

    /// Publish a policy document, or a correction superseding an earlier record (registry
    /// administrators of the tenant).
    #[oai(
        path = "/tenants/:slug/disclosures",
        method = "post",
        operation_id = "publish_disclosure"
    )]
    async fn publish_disclosure(
        &self,
        auth: BearerAuth,
        slug: Path<String>,
        body: JsonBody<PublishDisclosureRequest>,
    ) -> ApiResult<PublishResponse> {
        let principal = auth.principal(&self.state).await?;
        let request = body.0;
        let mut errors = Vec::new();
        let title = request
            .title
            .check()
            .map_err(|code| errors.push(FieldError::new("title", code, "1-300 characters")))
            .ok();
        let body_text = request
            .body
            .check()
            .map_err(|code| {
                errors.push(FieldError::new(
                    "body",
                    code,
                    crate::types::text_refusal(code, 100_000),
                ));
            })
            .unwrap_or_default();
        let document_number = request.document_number.as_ref().and_then(|number| {
            number
                .check()
                .map_err(|code| {
                    errors.push(FieldError::new(
                        "document_number",
                        code,
                        crate::types::text_refusal(code, 50),
                    ));
                })
                .ok()
        });
        let mut subject_terms = Vec::with_capacity(request.subject_terms.len());
        for (index, term) in request.subject_terms.iter().enumerate() {
            match term.check() {
                Ok(term) => subject_terms.push(term),
                Err(code) => errors.push(FieldError::new(
                    format!("subject_terms[{index}]"),
                    code,
                    crate::types::text_refusal(code, 30),
                )),
            }
        }
        let (Some(title), true) = (title, errors.is_empty()) else {
            return Err(ApiError::validation(errors));
        };
        let new = NewDisclosure {
            category: Category::Policy,
            title,
            body: body_text,
            written_on: request.written_on,
            document_number,
            subject_terms,
            attachments: request.attachments,
            subject: None,
            supersedes: request.supersedes,
            created_by: None,
        };
        let view = service::publish_by_administrator(&self.state, &principal, &slug.0, new).await?;
        Ok(PublishResponse::Created(Json(view.into())))
    }
}
