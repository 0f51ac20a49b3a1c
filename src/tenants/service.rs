//! Creating and reading tenants.

use entities::tenant;
use poem::http::StatusCode;
use tracing::{info, instrument};
use uuid::Uuid;

use super::repo;
use crate::{
    audit::{self, AuditEvent},
    authz::{Principal, TenantPosition},
    db::{self, Scope, is_unique_violation},
    error::ApiError,
    state::AppState,
};

#[derive(Debug, thiserror::Error)]
pub enum TenantError {
    /// 404: no tenant with that slug.
    #[error("no such tenant")]
    NotFound,
    /// 422 on `parent`: the named parent does not exist.
    #[error("the parent tenant does not exist")]
    UnknownParent,
    /// 409 on `slug`.
    #[error("a tenant with this slug already exists")]
    SlugTaken,
    /// 403/404 from the access rules.
    #[error("access denied")]
    Access(ApiError),
    /// 500.
    #[error(transparent)]
    Database(#[from] sea_orm::DbErr),
}

impl From<TenantError> for ApiError {
    #[track_caller]
    fn from(error: TenantError) -> Self {
        match error {
            TenantError::NotFound => ApiError::not_found(),
            TenantError::UnknownParent => {
                ApiError::field("parent", "not_found", "no tenant has this slug")
            }
            TenantError::SlugTaken => ApiError::conflict(
                "slug_taken",
                Some("slug"),
                "a tenant with this slug already exists",
            ),
            TenantError::Access(error) => error,
            TenantError::Database(cause) => ApiError::internal(cause),
        }
    }
}

impl From<ApiError> for TenantError {
    fn from(error: ApiError) -> Self {
        debug_assert!(matches!(
            error.status(),
            StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
        ));
        TenantError::Access(error)
    }
}

/// A validated new tenant.
#[derive(Debug)]
pub struct NewTenant {
    pub slug: String,
    pub name_zh: String,
    pub name_en: String,
    pub division_code: String,
    pub parent: Option<String>,
    pub org_code: Option<String>,
    pub time_zone: String,
}

/// A tenant with the slug of its parent.
#[derive(Clone, Debug)]
pub struct TenantRef {
    pub model: tenant::Model,
    pub parent_slug: Option<String>,
}

impl TenantRef {
    pub fn position(&self) -> TenantPosition {
        TenantPosition::from_path(self.model.id, &self.model.path)
    }

    pub fn id(&self) -> Uuid {
        self.model.id
    }

    /// The date of `at` in the tenant's time zone (its calendar day: deadlines, publicity,
    /// validity).
    pub fn local_date(&self, at: chrono::DateTime<chrono::Utc>) -> chrono::NaiveDate {
        crate::calendar::local_date(&self.model.time_zone, at)
    }

    /// The first instant of `day` in the tenant's time zone.
    pub fn start_of(&self, day: chrono::NaiveDate) -> chrono::DateTime<chrono::Utc> {
        crate::calendar::start_of_day(&self.model.time_zone, day)
    }
}

async fn with_parent_slug(
    db: &impl sea_orm::ConnectionTrait,
    model: tenant::Model,
) -> Result<TenantRef, TenantError> {
    let parent_slug = match model.parent_id {
        Some(parent_id) => repo::find_by_ids(db, vec![parent_id])
            .await?
            .into_iter()
            .next()
            .map(|parent| parent.slug),
        None => None,
    };
    Ok(TenantRef { model, parent_slug })
}

/// What another domain does inside the transaction that creates a tenant. The top, which knows
/// the domains, hands the list to the tenant API (evaluations gives a new tenant its default
/// rubrics), so that tenants, low in the house, need not know who listens.
pub type OnTenantCreated = for<'a> fn(
    &'a sea_orm::DatabaseTransaction,
    Uuid,
    chrono::DateTime<chrono::Utc>,
) -> std::pin::Pin<
    Box<dyn std::future::Future<Output = Result<(), sea_orm::DbErr>> + Send + 'a>,
>;

#[instrument(skip(state, principal, new, on_created), fields(slug = %new.slug))]
pub async fn create_tenant(
    state: &AppState,
    principal: &Principal,
    new: NewTenant,
    on_created: &[OnTenantCreated],
) -> Result<TenantRef, TenantError> {
    principal.require_platform_admin()?;
    let now = state.clock.now();
    let id = Uuid::now_v7();
    let transaction = db::begin(&state.db, Scope::Tenant(id)).await?;
    let parent = match &new.parent {
        Some(slug) => Some(
            repo::find_by_slug(&transaction, slug)
                .await?
                .ok_or(TenantError::UnknownParent)?,
        ),
        None => None,
    };
    let path = match &parent {
        Some(parent) => format!("{}{id}/", parent.path),
        None => format!("/{id}/"),
    };
    let model = tenant::Model {
        id,
        slug: new.slug,
        name_zh: new.name_zh,
        name_en: new.name_en,
        division_code: new.division_code,
        parent_id: parent.as_ref().map(|parent| parent.id),
        path,
        org_code: new.org_code,
        time_zone: new.time_zone,
        created_at: now,
        updated_at: now,
    };
    match repo::insert(&transaction, model.clone()).await {
        Err(error) if is_unique_violation(&error) => return Err(TenantError::SlugTaken),
        result => result?,
    }
    audit::record(
        &transaction,
        &state.audit,
        AuditEvent::new(now, "tenant", id, "create")
            .actor(principal.user_id)
            .tenant(id)
            .data(serde_json::json!({
                "slug": model.slug,
                "name_zh": model.name_zh,
                "parent": new.parent,
            })),
    )
    .await?;
    for listener in on_created {
        listener(&transaction, id, now).await?;
    }
    transaction.commit().await?;
    info!(tenant_id = %id, "tenant created");
    Ok(TenantRef {
        model,
        parent_slug: parent.map(|parent| parent.slug),
    })
}

pub async fn get_tenant(state: &AppState, slug: &str) -> Result<TenantRef, TenantError> {
    let model = repo::find_by_slug(&state.db, slug)
        .await?
        .ok_or(TenantError::NotFound)?;
    with_parent_slug(&state.db, model).await
}

pub async fn get_tenant_by_id(state: &AppState, id: Uuid) -> Result<TenantRef, TenantError> {
    let model = repo::find_by_ids(&state.db, vec![id])
        .await?
        .into_iter()
        .next()
        .ok_or(TenantError::NotFound)?;
    with_parent_slug(&state.db, model).await
}

/// A page of tenants ordered by slug; `parent` narrows to the children of one tenant.
pub async fn list_tenants(
    state: &AppState,
    parent: Option<&str>,
    after_slug: Option<String>,
    limit: u64,
) -> Result<Vec<TenantRef>, TenantError> {
    let parent_id = match parent {
        Some(slug) => Some(get_tenant(state, slug).await?.id()),
        None => None,
    };
    let models = repo::list(&state.db, parent_id, after_slug, limit).await?;
    let parent_ids: Vec<Uuid> = models.iter().filter_map(|model| model.parent_id).collect();
    let parents = repo::find_by_ids(&state.db, parent_ids).await?;
    Ok(models
        .into_iter()
        .map(|model| {
            let parent_slug = model.parent_id.and_then(|parent_id| {
                parents
                    .iter()
                    .find(|parent| parent.id == parent_id)
                    .map(|parent| parent.slug.clone())
            });
            TenantRef { model, parent_slug }
        })
        .collect())
}
