//! The register's organisations as the search index holds them: their public profile, with the
//! evaluation grade each holds today (read from the grades' table, which the evaluations domain
//! writes; the status is the one it writes as `CURRENT`, and the search tests of grades hold
//! both to it).

use std::collections::HashMap;

use entities::{organisation, organisation_grade};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use search_index::{Kind, SearchDocument};
use uuid::Uuid;

use crate::search::documents::{Page, Reading, SearchSource, TenantDirectory};

/// Organisations, for the index.
pub const ORGANISATIONS: SearchSource = SearchSource {
    kind: Kind::Organisation,
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
        let models = organisation::Entity::find()
            .filter(organisation::Column::Id.is_in(ids.iter().copied()))
            .all(db)
            .await?;
        documents_of(db, &models, tenants).await
    })
}

fn page<'a>(
    db: &'a DatabaseConnection,
    after: Option<Uuid>,
    limit: u64,
    tenants: &'a mut TenantDirectory,
) -> Reading<'a, Page> {
    Box::pin(async move {
        let mut query = organisation::Entity::find()
            .order_by_asc(organisation::Column::Id)
            .limit(limit);
        if let Some(after) = after {
            query = query.filter(organisation::Column::Id.gt(after));
        }
        let models = query.all(db).await?;
        let last = models.last().map(|model| model.id);
        Ok((documents_of(db, &models, tenants).await?, last))
    })
}

fn count(db: &DatabaseConnection) -> Reading<'_, u64> {
    Box::pin(organisation::Entity::find().count(db))
}

async fn documents_of(
    db: &impl ConnectionTrait,
    models: &[organisation::Model],
    tenants: &mut TenantDirectory,
) -> Result<Vec<SearchDocument>, DbErr> {
    tenants
        .cover(db, models.iter().map(|model| model.tenant_id))
        .await?;
    let mut grades = grades(db, models, tenants).await?;
    Ok(models
        .iter()
        .map(|model| document(model, tenants, grades.remove(&model.id)))
        .collect())
}

/// The grades the organisations hold today (in their registry's zone), by organisation.
async fn grades(
    db: &impl ConnectionTrait,
    organisations: &[organisation::Model],
    tenants: &TenantDirectory,
) -> Result<HashMap<Uuid, String>, DbErr> {
    if organisations.is_empty() {
        return Ok(HashMap::new());
    }
    let ids: Vec<Uuid> = organisations.iter().map(|model| model.id).collect();
    // A day early in UTC; each grade is then checked against its tenant's day.
    let earliest = tenants.now().date_naive() - chrono::Duration::days(1);
    let grades = organisation_grade::Entity::find()
        .filter(organisation_grade::Column::OrganisationId.is_in(ids))
        .filter(organisation_grade::Column::Status.eq("current"))
        .filter(organisation_grade::Column::ValidUntil.gte(earliest))
        .all(db)
        .await?;
    let tenant_of: HashMap<Uuid, Uuid> = organisations
        .iter()
        .map(|model| (model.id, model.tenant_id))
        .collect();
    Ok(grades
        .into_iter()
        .filter(|grade| {
            tenant_of
                .get(&grade.organisation_id)
                .is_some_and(|tenant| grade.valid_until >= tenants.today(*tenant))
        })
        .map(|grade| (grade.organisation_id, grade.grade))
        .collect())
}

fn document(
    model: &organisation::Model,
    tenants: &TenantDirectory,
    grade: Option<String>,
) -> SearchDocument {
    let areas: Vec<String> = serde_json::from_str(&model.service_areas).unwrap_or_default();
    let body = [
        model.purpose.clone().unwrap_or_default(),
        areas.join("、"),
        model.address.clone(),
        model.legal_representative.clone(),
    ]
    .join(" ");
    SearchDocument {
        kind: Some(Kind::Organisation),
        id: model.id.to_string(),
        tenant: tenants.slug(model.tenant_id),
        tenant_path: tenants.path(model.tenant_id),
        title: model.name.clone(),
        body,
        uscc: Some(model.uscc.clone()),
        org_type: Some(model.org_type.clone()),
        status: Some(model.status.clone()),
        grade,
        service_areas: areas,
        category: None,
        published: model.registered_at.or(Some(model.created_at)),
        url: format!("/orgs/{}", model.uscc),
        year: model
            .registered_at
            .map(|at| tenants.local_year(model.tenant_id, at)),
    }
}
