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

/// Where a list of disclosures (newest publication first) continues: after the record published
/// at `published_at` with `id` (records published in the same instant go by id).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Before {
    pub published_at: chrono::DateTime<chrono::Utc>,
    pub id: Uuid,
}

impl Before {
    pub fn of(model: &disclosure::Model) -> Self {
        Self {
            published_at: model.published_at,
            id: model.id,
        }
    }
}

impl std::fmt::Display for Before {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            formatter,
            "{}_{}",
            self.published_at.timestamp_micros(),
            self.id.simple()
        )
    }
}

impl std::str::FromStr for Before {
    type Err = ();

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (micros, id) = text.split_once('_').ok_or(())?;
        Ok(Self {
            published_at: chrono::DateTime::from_timestamp_micros(micros.parse().map_err(|_| ())?)
                .ok_or(())?,
            id: Uuid::parse_str(id).map_err(|_| ())?,
        })
    }
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
    pub before: Option<Before>,
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
    if let Some(before) = filter.before {
        condition = condition.add(
            Condition::any()
                .add(disclosure::Column::PublishedAt.lt(before.published_at))
                .add(
                    Condition::all()
                        .add(disclosure::Column::PublishedAt.eq(before.published_at))
                        .add(disclosure::Column::Id.lt(before.id)),
                ),
        );
    }
    // By publication: a record of earlier times, recorded late (an import), takes its place.
    disclosure::Entity::find()
        .filter(condition)
        .order_by_desc(disclosure::Column::PublishedAt)
        .order_by_desc(disclosure::Column::Id)
        .limit(limit)
        .all(db)
        .await
}
