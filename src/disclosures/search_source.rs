//! Disclosure records as the search index holds them.

use entities::disclosure;
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use search_index::{Kind, SearchDocument};
use uuid::Uuid;

use crate::search::documents::{Page, Reading, SearchSource, TenantDirectory};

/// Disclosures, for the index.
pub const DISCLOSURES: SearchSource = SearchSource {
    kind: Kind::Disclosure,
    documents,
    page,
    count,
};

fn documents<'a>(
    db: &'a DatabaseConnection,
    ids: &'a [Uuid],
    tenants: &'a mut TenantDirectory,
) -> Reading<'a, Vec<SearchDocument>> {
    Box::pin(async move {
        let models = disclosure::Entity::find()
            .filter(disclosure::Column::Id.is_in(ids.iter().copied()))
            .all(db)
            .await?;
        tenants
            .cover(db, models.iter().map(|model| model.tenant_id))
            .await?;
        Ok(models
            .iter()
            .map(|model| document(model, tenants))
            .collect())
    })
}

fn page<'a>(
    db: &'a DatabaseConnection,
    after: Option<Uuid>,
    limit: u64,
    tenants: &'a mut TenantDirectory,
) -> Reading<'a, Page> {
    Box::pin(async move {
        let mut query = disclosure::Entity::find()
            .order_by_asc(disclosure::Column::Id)
            .limit(limit);
        if let Some(after) = after {
            query = query.filter(disclosure::Column::Id.gt(after));
        }
        let models = query.all(db).await?;
        let last = models.last().map(|model| model.id);
        tenants
            .cover(db, models.iter().map(|model| model.tenant_id))
            .await?;
        Ok((
            models
                .iter()
                .map(|model| document(model, tenants))
                .collect(),
            last,
        ))
    })
}

fn count(db: &DatabaseConnection) -> Reading<'_, u64> {
    Box::pin(disclosure::Entity::find().count(db))
}

fn document(model: &disclosure::Model, tenants: &TenantDirectory) -> SearchDocument {
    SearchDocument {
        kind: Some(Kind::Disclosure),
        id: model.id.to_string(),
        tenant: tenants.slug(model.tenant_id),
        tenant_path: tenants.path(model.tenant_id),
        title: model.title.clone(),
        body: model.body.clone(),
        category: Some(model.category.clone()),
        published: Some(model.published_at),
        year: Some(tenants.local_year(model.tenant_id, model.published_at)),
        url: format!("/disclosures/{}", model.id),
        ..SearchDocument::default()
    }
}
