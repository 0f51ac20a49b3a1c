//! What the index holds of each public object, read from the database.

use std::collections::{BTreeSet, HashMap};

use entities::{disclosure, organisation, tenant};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use search_index::{Kind, SearchDocument};
use uuid::Uuid;

/// Tenants by id with the slugs of themselves and their ancestors.
pub struct TenantDirectory {
    tenants: HashMap<Uuid, tenant::Model>,
    /// When it was read: grades are current as of then.
    now: chrono::DateTime<chrono::Utc>,
}

impl TenantDirectory {
    pub async fn load(
        db: &impl ConnectionTrait,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Self, DbErr> {
        let tenants = tenant::Entity::find().all(db).await?;
        Ok(Self {
            tenants: tenants
                .into_iter()
                .map(|tenant| (tenant.id, tenant))
                .collect(),
            now,
        })
    }

    /// Reads the tenants of objects read after the directory was, with their ancestors: a
    /// tenant created since (in the transaction that created the objects, say) is not in it.
    async fn cover(
        &mut self,
        db: &impl ConnectionTrait,
        ids: impl IntoIterator<Item = Uuid>,
    ) -> Result<(), DbErr> {
        let mut missing: BTreeSet<Uuid> = ids
            .into_iter()
            .filter(|id| !self.tenants.contains_key(id))
            .collect();
        while !missing.is_empty() {
            let found = tenant::Entity::find()
                .filter(tenant::Column::Id.is_in(missing.iter().copied()))
                .all(db)
                .await?;
            for tenant in found {
                self.tenants.insert(tenant.id, tenant);
            }
            // Ancestors the found tenants' paths name that are still unknown; a tenant not
            // found at all is left out, so this ends.
            missing = missing
                .iter()
                .filter_map(|id| self.tenants.get(id))
                .flat_map(|tenant| tenant.path.split('/'))
                .filter_map(|segment| Uuid::parse_str(segment).ok())
                .filter(|id| !self.tenants.contains_key(id))
                .collect();
        }
        Ok(())
    }

    /// Today in the tenant's time zone.
    fn today(&self, id: Uuid) -> chrono::NaiveDate {
        self.tenants
            .get(&id)
            .and_then(|tenant| tenant.time_zone.parse::<chrono_tz::Tz>().ok())
            .map_or_else(
                || self.now.date_naive(),
                |zone| self.now.with_timezone(&zone).date_naive(),
            )
    }

    /// The grades the organisations hold today, by organisation.
    async fn grades(
        &self,
        db: &impl ConnectionTrait,
        organisations: &[organisation::Model],
    ) -> Result<HashMap<Uuid, String>, DbErr> {
        let ids: Vec<Uuid> = organisations.iter().map(|model| model.id).collect();
        // A day early in UTC; each grade is then checked against its tenant's day.
        let earliest = self.now.date_naive() - chrono::Duration::days(1);
        let grades = current_grades(db, &ids, earliest).await?;
        let tenant_of: HashMap<Uuid, Uuid> = organisations
            .iter()
            .map(|model| (model.id, model.tenant_id))
            .collect();
        Ok(grades
            .into_iter()
            .filter(|grade| {
                tenant_of
                    .get(&grade.organisation_id)
                    .is_some_and(|tenant| grade.valid_until >= self.today(*tenant))
            })
            .map(|grade| (grade.organisation_id, grade.grade))
            .collect())
    }

    fn slug(&self, id: Uuid) -> String {
        self.tenants
            .get(&id)
            .map(|tenant| tenant.slug.clone())
            .unwrap_or_default()
    }

    /// The year of an instant in the tenant's time zone.
    fn local_year(&self, id: Uuid, at: chrono::DateTime<chrono::Utc>) -> String {
        self.tenants
            .get(&id)
            .and_then(|tenant| tenant.time_zone.parse::<chrono_tz::Tz>().ok())
            .map_or_else(
                || at.format("%Y").to_string(),
                |zone| at.with_timezone(&zone).format("%Y").to_string(),
            )
    }

    fn path(&self, id: Uuid) -> Vec<String> {
        self.tenants
            .get(&id)
            .map(|tenant| {
                tenant
                    .path
                    .split('/')
                    .filter_map(|segment| Uuid::parse_str(segment).ok())
                    .map(|ancestor| self.slug(ancestor))
                    .collect()
            })
            .unwrap_or_default()
    }
}

pub fn organisation_document(
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

pub fn disclosure_document(model: &disclosure::Model, tenants: &TenantDirectory) -> SearchDocument {
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

/// Objects read in one query when many changed at once (a bulk import).
const BATCH: usize = 500;

/// The current documents of many objects of one kind: for each id, its document or `None` when
/// it no longer exists (or is not public).
pub async fn current_many(
    db: &impl ConnectionTrait,
    kind: Kind,
    ids: &[&str],
    tenants: &mut TenantDirectory,
) -> Result<Vec<(String, Option<SearchDocument>)>, DbErr> {
    let mut found: HashMap<String, SearchDocument> = HashMap::new();
    let parsed: Vec<Uuid> = ids
        .iter()
        .filter_map(|id| Uuid::parse_str(id).ok())
        .collect();
    for chunk in parsed.chunks(BATCH) {
        let documents: Vec<SearchDocument> = match kind {
            Kind::Organisation => {
                let models = organisation::Entity::find()
                    .filter(organisation::Column::Id.is_in(chunk.iter().copied()))
                    .all(db)
                    .await?;
                tenants
                    .cover(db, models.iter().map(|model| model.tenant_id))
                    .await?;
                let mut grades = tenants.grades(db, &models).await?;
                models
                    .iter()
                    .map(|model| organisation_document(model, tenants, grades.remove(&model.id)))
                    .collect()
            }
            Kind::Disclosure => {
                let models = disclosure::Entity::find()
                    .filter(disclosure::Column::Id.is_in(chunk.iter().copied()))
                    .all(db)
                    .await?;
                tenants
                    .cover(db, models.iter().map(|model| model.tenant_id))
                    .await?;
                models
                    .iter()
                    .map(|model| disclosure_document(model, tenants))
                    .collect()
            }
            Kind::Tender => Vec::new(),
        };
        found.extend(
            documents
                .into_iter()
                .map(|document| (document.id.clone(), document)),
        );
    }
    Ok(ids
        .iter()
        .map(|id| {
            // Ids are stored as written by `Uuid::to_string`; look them up the same way.
            let key = Uuid::parse_str(id).map_or_else(|_| (*id).to_owned(), |id| id.to_string());
            ((*id).to_owned(), found.remove(&key))
        })
        .collect())
}

const PAGE: u64 = 1000;

/// How many documents a rebuild writes.
pub async fn count(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    use sea_orm::PaginatorTrait;
    Ok(
        organisation::Entity::find().count(db).await?
            + disclosure::Entity::find().count(db).await?,
    )
}

/// What a rebuild's reading hands its indexer.
pub enum Rebuilt {
    Page(Vec<SearchDocument>),
    /// Every document was sent: the index may be committed.
    Complete,
}

/// Every public document, page by page, for a rebuild: each page is sent to `pages` (an
/// indexer on a thread of its own), then `Complete`; `sent` is told how many documents were
/// sent so far. Ends early when the indexer has stopped.
pub async fn all(
    db: &impl ConnectionTrait,
    tenants: &mut TenantDirectory,
    pages: &tokio::sync::mpsc::Sender<Rebuilt>,
    mut sent: impl FnMut(u64),
) -> anyhow::Result<()> {
    let mut count = 0_u64;
    let mut send = async |page: Vec<SearchDocument>| -> anyhow::Result<()> {
        count += page.len() as u64;
        pages
            .send(Rebuilt::Page(page))
            .await
            .map_err(|_| anyhow::anyhow!("the indexer stopped"))?;
        sent(count);
        Ok(())
    };
    let mut after: Option<Uuid> = None;
    loop {
        let mut query = organisation::Entity::find()
            .order_by_asc(organisation::Column::Id)
            .limit(PAGE);
        if let Some(after) = after {
            query = query.filter(organisation::Column::Id.gt(after));
        }
        let page = query.all(db).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        tenants
            .cover(db, page.iter().map(|model| model.tenant_id))
            .await?;
        let mut grades = tenants.grades(db, &page).await?;
        send(
            page.iter()
                .map(|model| organisation_document(model, tenants, grades.remove(&model.id)))
                .collect(),
        )
        .await?;
    }
    let mut after: Option<Uuid> = None;
    loop {
        let mut query = disclosure::Entity::find()
            .order_by_asc(disclosure::Column::Id)
            .limit(PAGE);
        if let Some(after) = after {
            query = query.filter(disclosure::Column::Id.gt(after));
        }
        let page = query.all(db).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        tenants
            .cover(db, page.iter().map(|model| model.tenant_id))
            .await?;
        send(
            page.iter()
                .map(|model| disclosure_document(model, tenants))
                .collect(),
        )
        .await?;
    }
    pages
        .send(Rebuilt::Complete)
        .await
        .map_err(|_| anyhow::anyhow!("the indexer stopped"))?;
    Ok(())
}

/// The grades `organisations` hold as current and valid on or after `from` (the index reads the
/// evaluation domain's table itself, so that search needs nothing above it; the status is the
/// one `evaluations::grades` writes as `CURRENT`, and the search tests of grades hold both to it).
async fn current_grades(
    db: &impl ConnectionTrait,
    organisations: &[Uuid],
    from: chrono::NaiveDate,
) -> Result<Vec<entities::organisation_grade::Model>, DbErr> {
    use entities::organisation_grade;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

    if organisations.is_empty() {
        return Ok(Vec::new());
    }
    organisation_grade::Entity::find()
        .filter(organisation_grade::Column::OrganisationId.is_in(organisations.to_vec()))
        .filter(organisation_grade::Column::Status.eq("current"))
        .filter(organisation_grade::Column::ValidUntil.gte(from))
        .all(db)
        .await
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use entities::organisation;
    use sea_orm::{ActiveModelTrait, IntoActiveModel};
    use search_index::Kind;

    use super::{TenantDirectory, current_many};

    /// A rebuild reads the tenants, then the objects: an object committed in between with a
    /// tenant of its own (as the demo commits both at once) still names its tenant and the
    /// tenants above it, or a search within the tenant would miss it.
    #[tokio::test]
    async fn an_object_read_after_the_directory_names_a_tenant_created_since() {
        let folder = tempfile::tempdir().unwrap();
        let url = crate::config::sqlite_url(&folder.path().join("socorg.db"));
        crate::db::migrate(&url).await.unwrap();
        let db = crate::db::connect_app(&url).await.unwrap();
        let mut directory = TenantDirectory::load(&db, Utc::now()).await.unwrap();

        let city = crate::testing::tenant("city", None);
        let district = crate::testing::tenant("district", Some(&city));
        for model in [&city, &district] {
            model.clone().into_active_model().insert(&db).await.unwrap();
        }
        let organisation = organisation::Model {
            uscc: "52440304MJL000001X".to_owned(),
            name: "深圳市福田区长者服务中心".to_owned(),
            name_key: crate::types::name_key("深圳市福田区长者服务中心"),
            registered_at: Some(Utc::now()),
            ..crate::testing::organisation(district.id, "registered")
        };
        organisation
            .clone()
            .into_active_model()
            .insert(&db)
            .await
            .unwrap();

        let id = organisation.id.to_string();
        let read = current_many(&db, Kind::Organisation, &[id.as_str()], &mut directory)
            .await
            .unwrap();
        let document = read[0].1.as_ref().expect("the organisation is public");
        assert_eq!(document.tenant, "district");
        assert_eq!(document.tenant_path, ["city", "district"]);
    }
}
