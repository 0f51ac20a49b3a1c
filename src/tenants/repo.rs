//! Queries on tenants.

use entities::tenant;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use uuid::Uuid;

pub async fn find_by_slug(
    db: &impl ConnectionTrait,
    slug: &str,
) -> Result<Option<tenant::Model>, DbErr> {
    tenant::Entity::find()
        .filter(tenant::Column::Slug.eq(slug))
        .one(db)
        .await
}

pub async fn find_by_ids(
    db: &impl ConnectionTrait,
    ids: Vec<Uuid>,
) -> Result<Vec<tenant::Model>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    tenant::Entity::find()
        .filter(tenant::Column::Id.is_in(ids))
        .all(db)
        .await
}

pub async fn insert(db: &impl ConnectionTrait, model: tenant::Model) -> Result<(), DbErr> {
    tenant::Entity::insert(tenant::ActiveModel {
        id: Set(model.id),
        slug: Set(model.slug),
        name_zh: Set(model.name_zh),
        name_en: Set(model.name_en),
        division_code: Set(model.division_code),
        parent_id: Set(model.parent_id),
        path: Set(model.path),
        org_code: Set(model.org_code),
        time_zone: Set(model.time_zone),
        created_at: Set(model.created_at),
        updated_at: Set(model.updated_at),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Tenants ordered by slug, after `after_slug`, optionally only the children of `parent_id`.
pub async fn list(
    db: &impl ConnectionTrait,
    parent_id: Option<Uuid>,
    after_slug: Option<String>,
    limit: u64,
) -> Result<Vec<tenant::Model>, DbErr> {
    let mut condition = Condition::all();
    if let Some(parent_id) = parent_id {
        condition = condition.add(tenant::Column::ParentId.eq(parent_id));
    }
    if let Some(after) = after_slug {
        condition = condition.add(tenant::Column::Slug.gt(after));
    }
    tenant::Entity::find()
        .filter(condition)
        .order_by_asc(tenant::Column::Slug)
        .limit(limit)
        .all(db)
        .await
}

/// Ids of the given tenants and all their descendants.
pub async fn subtree_ids(db: &impl ConnectionTrait, roots: &[Uuid]) -> Result<Vec<Uuid>, DbErr> {
    if roots.is_empty() {
        return Ok(Vec::new());
    }
    let mut condition = Condition::any();
    for root in roots {
        condition = condition.add(tenant::Column::Path.contains(format!("/{root}/")));
    }
    let rows = tenant::Entity::find()
        .select_only()
        .column(tenant::Column::Id)
        .filter(condition)
        .into_tuple::<Uuid>()
        .all(db)
        .await?;
    Ok(rows)
}

/// Every tenant's id.
pub async fn all_ids(db: &impl ConnectionTrait) -> Result<Vec<Uuid>, DbErr> {
    tenant::Entity::find()
        .select_only()
        .column(tenant::Column::Id)
        .into_tuple::<Uuid>()
        .all(db)
        .await
}
