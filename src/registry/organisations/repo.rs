//! Queries on organisations, their history and their applications.

use entities::{organisation, organisation_application, organisation_event};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use crate::registry::model::OrgStatus;

/// Inserts an organisation and logs the change for search.
pub async fn insert(db: &impl ConnectionTrait, model: organisation::Model) -> Result<(), DbErr> {
    let (id, at) = (model.id, model.updated_at);
    organisation::Entity::insert(model.into_active_model().reset_all())
        .exec_without_returning(db)
        .await?;
    crate::search::record_change(db, crate::search::Kind::Organisation, id, at).await
}

pub async fn find(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<organisation::Model>, DbErr> {
    organisation::Entity::find_by_id(id).one(db).await
}

pub async fn find_by_uscc(
    db: &impl ConnectionTrait,
    uscc: &str,
) -> Result<Option<organisation::Model>, DbErr> {
    organisation::Entity::find()
        .filter(organisation::Column::Uscc.eq(uscc))
        .one(db)
        .await
}

/// A live organisation of the tenant holding this name key, other than `except`.
pub async fn live_with_name(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    name_key: &str,
    except: Option<Uuid>,
) -> Result<Option<organisation::Model>, DbErr> {
    let mut query = organisation::Entity::find()
        .filter(organisation::Column::TenantId.eq(tenant_id))
        .filter(organisation::Column::NameKey.eq(name_key))
        .filter(
            organisation::Column::Status
                .is_in([OrgStatus::Registered.as_str(), OrgStatus::Abnormal.as_str()]),
        );
    if let Some(except) = except {
        query = query.filter(organisation::Column::Id.ne(except));
    }
    query.one(db).await
}

pub async fn save_if_version(
    db: &impl ConnectionTrait,
    model: organisation::Model,
    expected_version: i32,
) -> Result<bool, DbErr> {
    let (id, at) = (model.id, model.updated_at);
    let result = organisation::Entity::update_many()
        .set(model.into_active_model().reset_all())
        .filter(organisation::Column::Id.eq(id))
        .filter(organisation::Column::Version.eq(expected_version))
        .exec(db)
        .await?;
    if result.rows_affected == 1 {
        crate::search::record_change(db, crate::search::Kind::Organisation, id, at).await?;
    }
    Ok(result.rows_affected == 1)
}

#[derive(Debug, Default)]
pub struct OrganisationFilter {
    pub tenants: Option<Vec<Uuid>>,
    pub status: Option<String>,
    pub org_type: Option<String>,
    pub service_area: Option<String>,
    pub before_id: Option<Uuid>,
}

pub async fn list(
    db: &impl ConnectionTrait,
    filter: OrganisationFilter,
    limit: u64,
) -> Result<Vec<organisation::Model>, DbErr> {
    let mut condition = Condition::all();
    if let Some(tenants) = filter.tenants {
        condition = condition.add(organisation::Column::TenantId.is_in(tenants));
    }
    if let Some(status) = filter.status {
        condition = condition.add(organisation::Column::Status.eq(status));
    }
    if let Some(org_type) = filter.org_type {
        condition = condition.add(organisation::Column::OrgType.eq(org_type));
    }
    if let Some(area) = filter.service_area {
        // Service areas are a JSON array of strings: match the quoted element.
        let quoted = serde_json::to_string(&area).unwrap_or_default();
        condition = condition.add(organisation::Column::ServiceAreas.contains(quoted));
    }
    if let Some(before) = filter.before_id {
        condition = condition.add(organisation::Column::Id.lt(before));
    }
    organisation::Entity::find()
        .filter(condition)
        .order_by_desc(organisation::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

pub async fn insert_event(
    db: &impl ConnectionTrait,
    event: organisation_event::Model,
) -> Result<(), DbErr> {
    organisation_event::Entity::insert(event.into_active_model().reset_all())
        .exec_without_returning(db)
        .await?;
    Ok(())
}

pub async fn events(
    db: &impl ConnectionTrait,
    organisation_id: Uuid,
) -> Result<Vec<organisation_event::Model>, DbErr> {
    organisation_event::Entity::find()
        .filter(organisation_event::Column::OrganisationId.eq(organisation_id))
        .order_by_asc(organisation_event::Column::OccurredAt)
        .order_by_asc(organisation_event::Column::Id)
        .all(db)
        .await
}

pub async fn insert_application(
    db: &impl ConnectionTrait,
    model: organisation_application::Model,
) -> Result<(), DbErr> {
    organisation_application::Entity::insert(model.into_active_model().reset_all())
        .exec_without_returning(db)
        .await?;
    Ok(())
}

pub async fn find_application(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<organisation_application::Model>, DbErr> {
    organisation_application::Entity::find_by_id(id)
        .one(db)
        .await
}

/// Decides a submitted application; returns false if it was no longer submitted.
pub async fn decide_application(
    db: &impl ConnectionTrait,
    model: organisation_application::Model,
) -> Result<bool, DbErr> {
    let id = model.id;
    let result = organisation_application::Entity::update_many()
        .set(model.into_active_model().reset_all())
        .filter(organisation_application::Column::Id.eq(id))
        .filter(organisation_application::Column::Status.eq("submitted"))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

pub async fn applications_of(
    db: &impl ConnectionTrait,
    organisation_id: Uuid,
) -> Result<Vec<organisation_application::Model>, DbErr> {
    organisation_application::Entity::find()
        .filter(organisation_application::Column::OrganisationId.eq(organisation_id))
        .order_by_desc(organisation_application::Column::SubmittedAt)
        .all(db)
        .await
}

/// Rejects every application still waiting, with the reason (the organisation was revoked).
pub async fn reject_pending_applications(
    db: &impl ConnectionTrait,
    organisation_id: Uuid,
    reason: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), DbErr> {
    use sea_orm::sea_query::Expr;
    organisation_application::Entity::update_many()
        .col_expr(
            organisation_application::Column::Status,
            Expr::value("rejected"),
        )
        .col_expr(
            organisation_application::Column::DecisionReason,
            Expr::value(Some(reason.to_owned())),
        )
        .col_expr(
            organisation_application::Column::DecidedAt,
            Expr::value(Some(now)),
        )
        .filter(organisation_application::Column::OrganisationId.eq(organisation_id))
        .filter(organisation_application::Column::Status.eq("submitted"))
        .exec(db)
        .await?;
    Ok(())
}

/// Locks the organisation's row until the transaction ends (PostgreSQL; SQLite's write
/// transactions already exclude each other).
pub async fn lock(db: &impl ConnectionTrait, id: Uuid) -> Result<(), DbErr> {
    db.execute_raw(crate::db::raw_statement(
        db.get_database_backend(),
        "SELECT id FROM organisations WHERE id = $1 FOR UPDATE",
        [id.into()],
    ))
    .await?;
    Ok(())
}
