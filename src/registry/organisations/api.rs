//! `/api/v1/organisations…`.

use poem_openapi::{
    OpenApi,
    param::{Path, Query},
    payload::Json,
};
use uuid::Uuid;

use super::{
    answers::{
        DocumentUploaded, FiledResponse, MemberAdded, MemberChanged, OrganisationTags, Recorded,
        optional_text,
    },
    changes::{self, RequestedChanges},
    documents,
    dto::{
        ChangeMemberRequest, ChangeRequest, DecisionRequest, HistoryResponse, InvitationResponse,
        InviteMemberRequest, MemberList, OrganisationApplicationList,
        OrganisationApplicationResponse, OrganisationList, OrganisationResponse, ReasonRequest,
        RecordOrganisationRequest, RevokeRequest,
    },
    existing::{self, ExistingOrganisation},
    members,
    repo::OrganisationFilter,
    service, status,
};
use crate::auth::bearer::{BearerAuth, OptionalBearerAuth};
use crate::http::contract::Rule;
use crate::{
    documents::{dto::DocumentList, upload::UploadBody},
    error::{ApiError, ApiResult},
    http::{json::JsonBody, paging::PageRequest},
    registry::model::{OrgStatus, OrgType},
    state::AppState,
    tenants,
    types::{Email, required_text},
};

impl OrganisationApi {
    /// Statuses this API's operations answer for rules the schema cannot express.
    pub const RULES: &'static [Rule] = &[
        Rule::new(
            "upload_organisation_document",
            415,
            "the content must be PDF, PNG, JPEG, DOCX, XLSX, ODT or plain text, as its file name says",
        ),
        Rule::new(
            "upload_organisation_document",
            422,
            "the document must not be empty",
        ),
        Rule::new("apply_for_change", 422, "at least one field must change"),
        Rule::new(
            "revoke_organisation",
            422,
            "`decision_document_id` must be a public document of the tenant",
        ),
        Rule::new(
            "record_organisation",
            422,
            "`uscc` must carry a right check character, unless `uscc_override_reason` says why not; the code must not be taken",
        ),
    ];
}

pub struct OrganisationApi {
    state: AppState,
}

impl OrganisationApi {
    pub fn new(state: AppState) -> Self {
        Self { state }
    }

    async fn respond(
        &self,
        model: entities::organisation::Model,
    ) -> ApiResult<Json<OrganisationResponse>> {
        let tenant = tenants::service::get_tenant_by_id(&self.state, model.tenant_id).await?;
        Ok(Json(OrganisationResponse::new(
            model,
            tenant.model.slug,
            tenant.model.name_zh,
        )))
    }
}

#[OpenApi(tag = "OrganisationTags::Organisations")]
impl OrganisationApi {
    /// Organisations, newest first: their public profiles. Filter by tenant (with the tenants
    /// below it), status, type and service area.
    #[allow(clippy::too_many_arguments)]
    #[oai(
        path = "/organisations",
        method = "get",
        operation_id = "list_organisations"
    )]
    async fn list_organisations(
        &self,
        auth: OptionalBearerAuth,
        tenant: Query<Option<String>>,
        status: Query<Option<OrgStatus>>,
        #[oai(name = "type")] org_type: Query<Option<OrgType>>,
        service_area: Query<Option<String>>,
        limit: Query<Option<crate::http::paging::Limit>>,
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<OrganisationList>> {
        auth.principal(&self.state).await?;
        let page = PageRequest::parse(limit.0.map(crate::http::paging::Limit::get), cursor.0)?;
        let before_id = page.after_as::<Uuid>()?;
        let filter = OrganisationFilter {
            tenants: None,
            status: status.0.map(|status| status.as_str().to_owned()),
            org_type: org_type.0.map(|kind| kind.as_str().to_owned()),
            service_area: service_area.0,
            before_id,
        };
        let models = service::list_organisations(
            &self.state,
            tenant.0.as_deref(),
            filter,
            page.fetch_limit(),
        )
        .await?;
        let (models, next_cursor) = page.finish(models, |model| model.id.to_string());
        let tenant_ids = models.iter().map(|model| model.tenant_id).collect();
        let tenants = tenants::repo::find_by_ids(&self.state.db, tenant_ids).await?;
        let items = models
            .into_iter()
            .map(|model| {
                let tenant = tenants.iter().find(|tenant| tenant.id == model.tenant_id);
                let (slug, name) = tenant.map_or_else(Default::default, |tenant| {
                    (tenant.slug.clone(), tenant.name_zh.clone())
                });
                OrganisationResponse::new(model, slug, name)
            })
            .collect();
        Ok(Json(OrganisationList { items, next_cursor }))
    }

    /// Record an organisation registered before socorg under its existing code (the tenant's
    /// registry administrators). A code failing its check character needs a written reason.
    #[oai(
        path = "/tenants/:slug/organisations",
        method = "post",
        operation_id = "record_organisation"
    )]
    async fn record_organisation(
        &self,
        auth: BearerAuth,
        slug: Path<String>,
        body: JsonBody<RecordOrganisationRequest>,
    ) -> ApiResult<Recorded> {
        let principal = auth.principal(&self.state).await?;
        let request = body.0;
        let text = |value: &str, field: &str, max: usize| {
            required_text(value, max)
                .map_err(|code| ApiError::field(field, code, format!("1-{max} characters")))
        };
        let existing = ExistingOrganisation {
            uscc: request.uscc,
            override_reason: request.uscc_override_reason,
            name: text(&request.name, "name", 100)?,
            org_type: request.org_type,
            sub_kind: request.sub_kind,
            address: text(&request.address, "address", 200)?,
            legal_representative: text(&request.legal_representative, "legal_representative", 50)?,
            service_areas: request.service_areas,
            founded_on: request.founded_on.map(crate::types::Date::get),
            registered_funds_fen: request.registered_funds_fen.get(),
        };
        let model = existing::record_existing(&self.state, &principal, &slug.0, existing).await?;
        let tenant = tenants::service::get_tenant_by_id(&self.state, model.tenant_id).await?;
        Ok(Recorded::Created(Json(OrganisationResponse::new(
            model,
            tenant.model.slug,
            tenant.model.name_zh,
        ))))
    }

    /// One organisation's public profile, by id or by unified social credit code.
    #[oai(
        path = "/organisations/:id",
        method = "get",
        operation_id = "get_organisation"
    )]
    async fn get_organisation(
        &self,
        auth: OptionalBearerAuth,
        id: Path<String>,
    ) -> ApiResult<Json<OrganisationResponse>> {
        let principal = auth.principal(&self.state).await?;
        let view = service::get_organisation(&self.state, &principal, &id.0).await?;
        Ok(Json(OrganisationResponse::new(
            view.model,
            view.tenant.model.slug,
            view.tenant.model.name_zh,
        )))
    }

    /// An organisation's full history: registration, every change, every status.
    #[oai(
        path = "/organisations/:id/history",
        method = "get",
        operation_id = "get_organisation_history"
    )]
    async fn get_organisation_history(
        &self,
        auth: OptionalBearerAuth,
        id: Path<String>,
    ) -> ApiResult<Json<HistoryResponse>> {
        let principal = auth.principal(&self.state).await?;
        let view = service::get_organisation(&self.state, &principal, &id.0).await?;
        let items = service::history(&self.state, view.model.id).await?;
        Ok(Json(HistoryResponse {
            items: items.into_iter().map(Into::into).collect(),
        }))
    }

    /// Change and deregistration applications (the organisation's members and the registry).
    #[oai(
        path = "/organisations/:id/changes",
        method = "get",
        operation_id = "list_organisation_changes"
    )]
    async fn list_organisation_changes(
        &self,
        auth: BearerAuth,
        id: Path<Uuid>,
    ) -> ApiResult<Json<OrganisationApplicationList>> {
        let principal = auth.principal(&self.state).await?;
        let items = changes::list_applications(&self.state, &principal, id.0).await?;
        Ok(Json(OrganisationApplicationList {
            items: items.into_iter().map(Into::into).collect(),
        }))
    }

    /// Apply to change the name, address, legal representative or service areas (the
    /// organisation's administrators). The registry decides; the profile keeps the history.
    #[oai(
        path = "/organisations/:id/changes",
        method = "post",
        operation_id = "apply_for_change"
    )]
    async fn apply_for_change(
        &self,
        auth: BearerAuth,
        id: Path<Uuid>,
        body: JsonBody<ChangeRequest>,
    ) -> ApiResult<FiledResponse> {
        let principal = auth.principal(&self.state).await?;
        let request = body.0;
        let service_areas = request.service_areas.map(|areas| {
            areas
                .into_iter()
                .map(|area| area.trim().to_owned())
                .filter(|area| !area.is_empty())
                .collect::<Vec<_>>()
        });
        if service_areas.as_ref().is_some_and(Vec::is_empty) {
            return Err(ApiError::field(
                "service_areas",
                "required",
                "at least one service area",
            ));
        }
        let requested = RequestedChanges {
            name: optional_text(request.name, "name", 100)?,
            address: optional_text(request.address, "address", 200)?,
            legal_representative: optional_text(
                request.legal_representative,
                "legal_representative",
                50,
            )?,
            service_areas,
        };
        let filed =
            changes::apply_for_change(&self.state, &principal, id.0, requested, request.reason)
                .await?;
        Ok(FiledResponse::Filed(Json(filed.into())))
    }

    /// Apply to deregister (注销) the organisation (its administrators).
    #[oai(
        path = "/organisations/:id/deregistration",
        method = "post",
        operation_id = "apply_for_deregistration"
    )]
    async fn apply_for_deregistration(
        &self,
        auth: BearerAuth,
        id: Path<Uuid>,
        body: JsonBody<ReasonRequest>,
    ) -> ApiResult<FiledResponse> {
        let principal = auth.principal(&self.state).await?;
        let filed = changes::apply_for_deregistration(
            &self.state,
            &principal,
            id.0,
            ApiError::checked("reason", &body.0.reason)?,
        )
        .await?;
        Ok(FiledResponse::Filed(Json(filed.into())))
    }

    /// Approve a change or deregistration application (the tenant's registry administrators).
    #[oai(
        path = "/organisations/:id/changes/:application/approve",
        method = "post",
        operation_id = "approve_organisation_change"
    )]
    async fn approve_organisation_change(
        &self,
        auth: BearerAuth,
        id: Path<Uuid>,
        application: Path<Uuid>,
        body: JsonBody<DecisionRequest>,
    ) -> ApiResult<Json<OrganisationApplicationResponse>> {
        let principal = auth.principal(&self.state).await?;
        let (decided, _) = changes::decide_application(
            &self.state,
            &principal,
            id.0,
            application.0,
            true,
            body.0.reason,
        )
        .await?;
        Ok(Json(decided.into()))
    }

    /// Reject a change or deregistration application, with reasons.
    #[oai(
        path = "/organisations/:id/changes/:application/reject",
        method = "post",
        operation_id = "reject_organisation_change"
    )]
    async fn reject_organisation_change(
        &self,
        auth: BearerAuth,
        id: Path<Uuid>,
        application: Path<Uuid>,
        body: JsonBody<ReasonRequest>,
    ) -> ApiResult<Json<OrganisationApplicationResponse>> {
        let principal = auth.principal(&self.state).await?;
        let (decided, _) = changes::decide_application(
            &self.state,
            &principal,
            id.0,
            application.0,
            false,
            Some(ApiError::checked("reason", &body.0.reason)?),
        )
        .await?;
        Ok(Json(decided.into()))
    }

    /// The organisation's members (its members and the registry).
    #[oai(
        path = "/organisations/:id/members",
        method = "get",
        operation_id = "list_members"
    )]
    async fn list_members(&self, auth: BearerAuth, id: Path<Uuid>) -> ApiResult<Json<MemberList>> {
        let principal = auth.principal(&self.state).await?;
        let items = members::list_members(&self.state, &principal, id.0).await?;
        Ok(Json(MemberList {
            items: items.into_iter().map(Into::into).collect(),
        }))
    }

    /// Add a person by e-mail (the organisation's administrators). An address without an account
    /// gets one, with a link to set its password.
    #[oai(
        path = "/organisations/:id/members",
        method = "post",
        operation_id = "invite_member"
    )]
    async fn invite_member(
        &self,
        auth: BearerAuth,
        id: Path<Uuid>,
        body: JsonBody<InviteMemberRequest>,
    ) -> ApiResult<MemberAdded> {
        let principal = auth.principal(&self.state).await?;
        let request = body.0;
        let email = Email::parse(&request.email)
            .map_err(|code| ApiError::field("email", code, "a valid e-mail address"))?;
        let name = required_text(&request.name, 100)
            .map_err(|code| ApiError::field("name", code, "1-100 characters"))?;
        let member = members::invite_member(
            &self.state,
            &principal,
            id.0,
            email,
            name,
            request.role.into(),
        )
        .await?;
        Ok(MemberAdded::Added(Json(InvitationResponse {
            email: member.user.email,
            role: member.role.as_str().to_owned(),
        })))
    }

    /// Change a member's role; the last administrator keeps theirs.
    #[oai(
        path = "/organisations/:id/members/:user",
        method = "put",
        operation_id = "change_member"
    )]
    async fn change_member(
        &self,
        auth: BearerAuth,
        id: Path<Uuid>,
        user: Path<Uuid>,
        body: JsonBody<ChangeMemberRequest>,
    ) -> ApiResult<MemberChanged> {
        let principal = auth.principal(&self.state).await?;
        members::change_member(
            &self.state,
            &principal,
            id.0,
            user.0,
            Some(body.0.role.into()),
        )
        .await?;
        Ok(MemberChanged::Done)
    }

    /// Remove a member; the last administrator stays.
    #[oai(
        path = "/organisations/:id/members/:user",
        method = "delete",
        operation_id = "remove_member"
    )]
    async fn remove_member(
        &self,
        auth: BearerAuth,
        id: Path<Uuid>,
        user: Path<Uuid>,
    ) -> ApiResult<MemberChanged> {
        let principal = auth.principal(&self.state).await?;
        members::change_member(&self.state, &principal, id.0, user.0, None).await?;
        Ok(MemberChanged::Done)
    }

    /// Upload a private document of the organisation (its administrators): raw bytes with their
    /// `Content-Type`, or a form with a `file` part.
    #[oai(
        path = "/organisations/:id/documents",
        method = "post",
        operation_id = "upload_organisation_document"
    )]
    async fn upload_organisation_document(
        &self,
        auth: BearerAuth,
        id: Path<Uuid>,
        file_name: Query<Option<String>>,
        body: UploadBody,
    ) -> ApiResult<DocumentUploaded> {
        let principal = auth.principal(&self.state).await?;
        let document = documents::upload(
            &self.state,
            &principal,
            id.0,
            body.file_name.or(file_name.0),
            body.claimed_type,
            body.reader,
        )
        .await?;
        Ok(DocumentUploaded::Created(Json(document.into())))
    }

    /// The organisation's documents (its members and the registry).
    #[oai(
        path = "/organisations/:id/documents",
        method = "get",
        operation_id = "list_organisation_documents"
    )]
    async fn list_organisation_documents(
        &self,
        auth: BearerAuth,
        id: Path<Uuid>,
    ) -> ApiResult<Json<DocumentList>> {
        let principal = auth.principal(&self.state).await?;
        let items = documents::list(&self.state, &principal, id.0).await?;
        Ok(Json(DocumentList {
            items: items.into_iter().map(Into::into).collect(),
        }))
    }

    /// List the organisation on the abnormal-activity list, with the reason.
    #[oai(
        path = "/organisations/:id/abnormal",
        method = "post",
        operation_id = "list_as_abnormal"
    )]
    async fn list_as_abnormal(
        &self,
        auth: BearerAuth,
        id: Path<Uuid>,
        body: JsonBody<ReasonRequest>,
    ) -> ApiResult<Json<OrganisationResponse>> {
        let principal = auth.principal(&self.state).await?;
        let model = status::list_as_abnormal(
            &self.state,
            &principal,
            id.0,
            &ApiError::checked("reason", &body.0.reason)?,
        )
        .await?;
        self.respond(model).await
    }

    /// Remove the organisation from the abnormal-activity list, with the reason.
    #[oai(
        path = "/organisations/:id/abnormal/remove",
        method = "post",
        operation_id = "remove_from_abnormal_list"
    )]
    async fn remove_from_abnormal_list(
        &self,
        auth: BearerAuth,
        id: Path<Uuid>,
        body: JsonBody<ReasonRequest>,
    ) -> ApiResult<Json<OrganisationResponse>> {
        let principal = auth.principal(&self.state).await?;
        let model = status::remove_from_abnormal_list(
            &self.state,
            &principal,
            id.0,
            &ApiError::checked("reason", &body.0.reason)?,
        )
        .await?;
        self.respond(model).await
    }

    /// Revoke (撤销) the organisation's registration, with the decision document.
    #[oai(
        path = "/organisations/:id/revoke",
        method = "post",
        operation_id = "revoke_organisation"
    )]
    async fn revoke_organisation(
        &self,
        auth: BearerAuth,
        id: Path<Uuid>,
        body: JsonBody<RevokeRequest>,
    ) -> ApiResult<Json<OrganisationResponse>> {
        let principal = auth.principal(&self.state).await?;
        let request = body.0;
        let model = status::revoke(
            &self.state,
            &principal,
            id.0,
            &ApiError::checked("reason", &request.reason)?,
            request.decision_document_id,
        )
        .await?;
        self.respond(model).await
    }
}
