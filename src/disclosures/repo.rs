//! Queries on disclosures.

use chrono::NaiveDate;
use entities::disclosure;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use uuid::Uuid;

/// Inserts a disclosure and logs the change for search.
pub async fn insert(db: &impl ConnectionTrait, model: disclosure::Model) -> Result<(), DbErr> {
    let (id, at) = (model.id, model.published_at);
    disclosure::Entity::insert(disclosure::ActiveModel {
        id: Set(model.id),
        tenant_id: Set(model.tenant_id),
        index_no: Set(model.index_no),
        category: Set(model.category),
        publisher: Set(model.publisher),
        written_on: Set(model.written_on),
        published_at: Set(model.published_at),
        document_number: Set(model.document_number),
        subject_terms: Set(model.subject_terms),
        title: Set(model.title),
        body: Set(model.body),
        attachments: Set(model.attachments),
        subject_type: Set(model.subject_type),
        subject_id: Set(model.subject_id),
        supersedes_id: Set(model.supersedes_id),
        created_by: Set(model.created_by),
    })
    .exec_without_returning(db)
    .await?;
    crate::search::record_change(db, crate::search::Kind::Disclosure, id, at).await
}

pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<disclosure::Model>, DbErr> {
    disclosure::Entity::find_by_id(id).one(db).await
}

/// The record that supersedes this one, if any.
pub async fn superseded_by(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<Uuid>, DbErr> {
    Ok(disclosure::Entity::find()
        .filter(disclosure::Column::SupersedesId.eq(id))
        .one(db)
        .await?
        .map(|later| later.id))
}

#[derive(Debug, Default)]
pub struct DisclosureFilter {
    pub tenants: Option<Vec<Uuid>>,
    pub category: Option<String>,
    pub index_no: Option<String>,
    pub subject_type: Option<String>,
    pub subject_id: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub before_id: Option<Uuid>,
}

/// Newest first.
pub async fn list(
    db: &impl ConnectionTrait,
    filter: DisclosureFilter,
    limit: u64,
) -> Result<Vec<disclosure::Model>, DbErr> {
    let mut condition = Condition::all();
    if let Some(tenants) = filter.tenants {
        condition = condition.add(disclosure::Column::TenantId.is_in(tenants));
    }
    if let Some(category) = filter.category {
        condition = condition.add(disclosure::Column::Category.eq(category));
    }
    if let Some(index_no) = filter.index_no {
        condition = condition.add(disclosure::Column::IndexNo.eq(index_no));
    }
    if let Some(subject_type) = filter.subject_type {
        condition = condition.add(disclosure::Column::SubjectType.eq(subject_type));
    }
    if let Some(subject_id) = filter.subject_id {
        condition = condition.add(disclosure::Column::SubjectId.eq(subject_id));
    }
    if let Some(from) = filter.from {
        condition = condition.add(disclosure::Column::WrittenOn.gte(from));
    }
    if let Some(to) = filter.to {
        condition = condition.add(disclosure::Column::WrittenOn.lte(to));
    }
    if let Some(before) = filter.before_id {
        condition = condition.add(disclosure::Column::Id.lt(before));
    }
    disclosure::Entity::find()
        .filter(condition)
        .order_by_desc(disclosure::Column::Id)
        .limit(limit)
        .all(db)
        .await
}
