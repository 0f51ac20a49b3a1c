//! What the index holds of each public object, read from the database through the sources
//! each domain hands in (`SearchSource`: the register's organisations, the disclosures), and
//! the tenant directory every document names its tenant from.

use std::{
    collections::{BTreeSet, HashMap},
    future::Future,
    pin::Pin,
};

use entities::tenant;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};
use search_index::{Kind, SearchDocument};
use uuid::Uuid;

/// What a source's reading resolves to.
pub type Reading<'a, T> = Pin<Box<dyn Future<Output = Result<T, DbErr>> + Send + 'a>>;

/// A page of documents and the last id read (`None` past the end).
pub type Page = (Vec<SearchDocument>, Option<Uuid>);

/// One kind of public object the index holds, as the domain that owns it reads it.
#[derive(Clone, Copy)]
pub struct SearchSource {
    pub kind: Kind,
    /// The current documents of those of `ids` that exist and are public.
    pub documents: for<'a> fn(
        &'a DatabaseConnection,
        &'a [Uuid],
        &'a mut TenantDirectory,
    ) -> Reading<'a, Vec<SearchDocument>>,
    /// At most `limit` documents after the object `after` (in id order), with the last id read
    /// (`None` past the end), for a rebuild.
    pub page: for<'a> fn(
        &'a DatabaseConnection,
        Option<Uuid>,
        u64,
        &'a mut TenantDirectory,
    ) -> Reading<'a, Page>,
    /// How many objects it has, for a rebuild's progress.
    pub count: for<'a> fn(&'a DatabaseConnection) -> Reading<'a, u64>,
}

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

    /// When it was read: what is current (a grade) is current as of then.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.now
    }

    /// Reads the tenants of objects read after the directory was, with their ancestors: a
    /// tenant created since (in the transaction that created the objects, say) is not in it.
    pub async fn cover(
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
    pub fn today(&self, id: Uuid) -> chrono::NaiveDate {
        self.tenants
            .get(&id)
            .and_then(|tenant| tenant.time_zone.parse::<chrono_tz::Tz>().ok())
            .map_or_else(
                || self.now.date_naive(),
                |zone| self.now.with_timezone(&zone).date_naive(),
            )
    }

    pub fn slug(&self, id: Uuid) -> String {
        self.tenants
            .get(&id)
            .map(|tenant| tenant.slug.clone())
            .unwrap_or_default()
    }

    /// The year of an instant in the tenant's time zone.
    pub fn local_year(&self, id: Uuid, at: chrono::DateTime<chrono::Utc>) -> String {
        self.tenants
            .get(&id)
            .and_then(|tenant| tenant.time_zone.parse::<chrono_tz::Tz>().ok())
            .map_or_else(
                || at.format("%Y").to_string(),
                |zone| at.with_timezone(&zone).format("%Y").to_string(),
            )
    }

    pub fn path(&self, id: Uuid) -> Vec<String> {
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

/// Objects read in one query when many changed at once (a bulk import).
const BATCH: usize = 500;

/// The current documents of many objects of one kind: for each id, its document or `None` when
/// it no longer exists (or is not public, or no source reads its kind).
pub async fn current_many(
    db: &DatabaseConnection,
    sources: &[SearchSource],
    kind: Kind,
    ids: &[&str],
    tenants: &mut TenantDirectory,
) -> Result<Vec<(String, Option<SearchDocument>)>, DbErr> {
    let mut found: HashMap<String, SearchDocument> = HashMap::new();
    let parsed: Vec<Uuid> = ids
        .iter()
        .filter_map(|id| Uuid::parse_str(id).ok())
        .collect();
    if let Some(source) = sources.iter().find(|source| source.kind == kind) {
        for chunk in parsed.chunks(BATCH) {
            let documents = (source.documents)(db, chunk, tenants).await?;
            found.extend(
                documents
                    .into_iter()
                    .map(|document| (document.id.clone(), document)),
            );
        }
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
pub async fn count(db: &DatabaseConnection, sources: &[SearchSource]) -> Result<u64, DbErr> {
    let mut total = 0;
    for source in sources {
        total += (source.count)(db).await?;
    }
    Ok(total)
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
    db: &DatabaseConnection,
    sources: &[SearchSource],
    tenants: &mut TenantDirectory,
    pages: &tokio::sync::mpsc::Sender<Rebuilt>,
    mut sent: impl FnMut(u64),
) -> anyhow::Result<()> {
    let mut count = 0_u64;
    for source in sources {
        let mut after: Option<Uuid> = None;
        loop {
            let (page, last) = (source.page)(db, after, PAGE, tenants).await?;
            let Some(last) = last else { break };
            after = Some(last);
            count += page.len() as u64;
            pages
                .send(Rebuilt::Page(page))
                .await
                .map_err(|_| anyhow::anyhow!("the indexer stopped"))?;
            sent(count);
        }
    }
    pages
        .send(Rebuilt::Complete)
        .await
        .map_err(|_| anyhow::anyhow!("the indexer stopped"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use entities::organisation;
    use sea_orm::{ActiveModelTrait, IntoActiveModel};
    use search_index::Kind;

    use super::{TenantDirectory, current_many};
    use crate::startup::SEARCH_SOURCES;

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
        let read = current_many(
            &db,
            SEARCH_SOURCES,
            Kind::Organisation,
            &[id.as_str()],
            &mut directory,
        )
        .await
        .unwrap();
        let document = read[0].1.as_ref().expect("the organisation is public");
        assert_eq!(document.tenant, "district");
        assert_eq!(document.tenant_path, ["city", "district"]);
    }
}
