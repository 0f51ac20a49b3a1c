//! `/api/v1/admin/audit`.

use chrono::{DateTime, Utc};
use poem_openapi::{OpenApi, Tags, param::Query, payload::Json};
use uuid::Uuid;

use super::{
    dto::{AuditEventList, AuditEventResponse},
    repo::AuditFilter,
};
use crate::auth::bearer::BearerAuth;
use crate::{error::ApiResult, http::paging::PageRequest, state::AppState};

#[derive(Tags)]
enum AuditTags {
    /// The hash-chained audit log.
    Audit,
}

pub struct AuditApi {
    state: AppState,
}

impl AuditApi {
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

#[OpenApi(tag = "AuditTags::Audit")]
impl AuditApi {
    /// Audit events, newest first. Platform administrators see everything; registry
    /// administrators see the events of their tenants and the tenants below them.
    #[allow(clippy::too_many_arguments)]
    #[oai(
        path = "/admin/audit",
        method = "get",
        operation_id = "list_audit_events"
    )]
    async fn list_audit_events(
        &self,
        auth: BearerAuth,
        /// Only events about objects of this type (`tenant`, `user`, …).
        object_type: Query<Option<String>>,
        /// Only events about this object.
        object_id: Query<Option<String>>,
        /// Only events caused by this user.
        actor: Query<Option<Uuid>>,
        /// Only events of this tenant (slug).
        tenant: Query<Option<String>>,
        /// Events at or after this time.
        from: Query<Option<DateTime<Utc>>>,
        /// Events before this time.
        to: Query<Option<DateTime<Utc>>>,
        limit: Query<Option<crate::http::paging::Limit>>,
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<AuditEventList>> {
        let principal = auth.principal(&self.state).await?;
        let page = PageRequest::parse(limit.0.map(crate::http::paging::Limit::get), cursor.0)?;
        let before_id = page.after_as::<i64>()?;
        let filter = AuditFilter {
            tenants: None,
            object_type: object_type.0,
            object_id: object_id.0,
            actor_user_id: actor.0,
            from: from.0,
            to: to.0,
            before_id,
        };
        let events = super::listing::list_events(
            &self.state,
            &principal,
            tenant.0.as_deref(),
            filter,
            page.fetch_limit(),
        )
        .await?;
        let (events, next_cursor) = page.finish(events, |event| event.id.to_string());
        Ok(Json(AuditEventList {
            items: events.into_iter().map(AuditEventResponse::from).collect(),
            next_cursor,
        }))
    }
}
