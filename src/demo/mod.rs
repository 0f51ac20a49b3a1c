//! The demo data set: Shenzhen and its ten districts, a few thousand organisations with
//! realistic names, types, service areas and histories, registration applications in every
//! state, disclosures (the 2009 work plan of the Shenzhen Civil Affairs Bureau among them), and
//! one account per role. Loading is skipped when the data is already there.

mod evaluations;
mod operations;
mod publishing;
mod register;
pub mod vocabulary;

use anyhow::Context;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use entities::{organisation, registration_application as application, tenant, user};
use publishing::{FEN_PER_YUAN, at};
pub use register::{SampleOrganisation, sample_organisations};
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};
use uuid::Uuid;
use vocabulary::DISTRICTS;

use crate::{
    audit::{self, AuditEvent},
    auth::password::NewPassword,
    authz::Role,
    counters,
    db::{self, Scope},
    disclosures::{Category, NewDisclosure, service::record_existing},
    registry::model::{OrgStatus, OrgType, RegistrationStatus},
    state::AppState,
    tenants::{self, TenantRef},
    types::name_key,
    users,
};

const SEED_DOCUMENT: &str = include_str!("seed_2009_work_plan.txt");
const SEED_INDEX_NO: &str = "11440300007542195T/2009-00032";
const SHENZHEN_CODE: &str = "11440300007542195T";
const DEMO_DOMAIN: &str = "demo.socorg.example";

/// How many organisations the full demo registers.
pub const FULL_SIZE: usize = 3000;

/// One demo account and its password (shown once, when the demo is loaded).
#[derive(Debug, Clone)]
pub struct DemoAccount {
    pub role: &'static str,
    pub email: String,
    pub password: String,
}

#[derive(Debug)]
pub struct DemoReport {
    /// False when the demo data was there already.
    pub loaded: bool,
    pub organisations: usize,
    pub accounts: Vec<DemoAccount>,
}

fn random_password() -> anyhow::Result<String> {
    let mut bytes = [0_u8; 12];
    getrandom::fill(&mut bytes).map_err(|error| anyhow::anyhow!("random source: {error}"))?;
    Ok(format!("demo-{}", URL_SAFE_NO_PAD.encode(bytes)))
}

/// Loads the demo unless it is there already.
pub async fn load(state: &AppState, organisations: usize) -> anyhow::Result<DemoReport> {
    if tenants::repo::find_by_slug(&state.db, "shenzhen")
        .await?
        .is_some()
    {
        return Ok(DemoReport {
            loaded: false,
            organisations: 0,
            accounts: Vec::new(),
        });
    }
    let now = state.clock.now();
    let mut accounts = Vec::new();
    let mut hashed = Vec::new();
    for (role, local) in [
        ("platform_admin", "admin"),
        ("registry_admin (shenzhen)", "registrar.shenzhen"),
        ("registry_admin (futian)", "registrar.futian"),
        ("procurement_officer (futian)", "buyer.futian"),
        ("assessor (futian)", "assessor.futian"),
        ("org_admin", "ngo.admin"),
        ("org_member", "ngo.member"),
    ] {
        let email = format!("{local}@{DEMO_DOMAIN}");
        let password = random_password()?;
        let hash = state
            .passwords
            .hash(
                NewPassword::parse(password.clone(), &email)
                    .map_err(|error| anyhow::anyhow!("{error}"))?,
            )
            .await?;
        hashed.push((email.clone(), hash));
        accounts.push(DemoAccount {
            role,
            email,
            password,
        });
    }

    let transaction = db::begin(&state.db, Scope::Platform).await?;
    let tenants = create_tenants(&transaction, now).await?;
    for tenant in &tenants {
        crate::evaluations::rubrics::ensure_defaults(&transaction, tenant.id(), now).await?;
    }
    let mut user_ids = Vec::new();
    for (email, hash) in &hashed {
        let id = Uuid::now_v7();
        user::Entity::insert(user::ActiveModel {
            id: Set(id),
            email: Set(email.clone()),
            name: Set(email.split('@').next().unwrap_or_default().to_owned()),
            password_hash: Set(Some(hash.clone())),
            email_verified_at: Set(Some(now)),
            disabled_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .exec_without_returning(&transaction)
        .await?;
        user_ids.push(id);
    }
    let (shenzhen, futian) = (&tenants[0], &tenants[1]);
    users::service::grant_role(&transaction, user_ids[0], Role::PlatformAdmin, None, now).await?;
    users::service::grant_role(
        &transaction,
        user_ids[1],
        Role::RegistryAdmin,
        Some(shenzhen.id()),
        now,
    )
    .await?;
    users::service::grant_role(
        &transaction,
        user_ids[2],
        Role::RegistryAdmin,
        Some(futian.id()),
        now,
    )
    .await?;
    users::service::grant_role(
        &transaction,
        user_ids[3],
        Role::ProcurementOfficer,
        Some(futian.id()),
        now,
    )
    .await?;
    users::service::grant_role(
        &transaction,
        user_ids[4],
        Role::Assessor,
        Some(futian.id()),
        now,
    )
    .await?;

    seed_policy_document(&transaction, shenzhen).await?;
    let registered = register::create_organisations(
        &transaction,
        &state.audit,
        &tenants,
        organisations,
        user_ids[2],
    )
    .await?;
    let own = registered
        .iter()
        .find(|model| {
            model.tenant_id == futian.id() && model.status == OrgStatus::Registered.as_str()
        })
        .context("the demo registered no organisation in futian")?;
    users::service::grant_organisation_role(&transaction, user_ids[5], Role::OrgAdmin, own.id, now)
        .await?;
    users::service::grant_organisation_role(
        &transaction,
        user_ids[6],
        Role::OrgMember,
        own.id,
        now,
    )
    .await?;
    create_applications(&transaction, futian, user_ids[5], own, now).await?;
    operations::create(
        &transaction,
        &state.audit,
        futian,
        &registered,
        user_ids[5],
        now,
    )
    .await?;
    evaluations::create(
        &transaction,
        &state.audit,
        futian,
        &registered,
        user_ids[4],
        now,
    )
    .await?;
    audit::record(
        &transaction,
        &state.audit,
        AuditEvent::new(now, "demo", "socorg", "load")
            .data(serde_json::json!({ "organisations": registered.len() })),
    )
    .await?;
    transaction.commit().await?;
    Ok(DemoReport {
        loaded: true,
        organisations: registered.len(),
        accounts,
    })
}

async fn create_tenants(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<TenantRef>> {
    let city_id = Uuid::now_v7();
    let city = tenant::Model {
        id: city_id,
        slug: "shenzhen".to_owned(),
        name_zh: "深圳市民政局".to_owned(),
        name_en: "Shenzhen Civil Affairs Bureau".to_owned(),
        division_code: "440300".to_owned(),
        parent_id: None,
        path: format!("/{city_id}/"),
        org_code: Some(SHENZHEN_CODE.to_owned()),
        time_zone: "Asia/Shanghai".to_owned(),
        created_at: now,
        updated_at: now,
    };
    tenants::repo::insert(db, city.clone()).await?;
    let mut created = vec![TenantRef {
        model: city,
        parent_slug: None,
    }];
    for (slug, name, name_en, division, _) in DISTRICTS {
        let id = Uuid::now_v7();
        let model = tenant::Model {
            id,
            slug: slug.to_owned(),
            name_zh: format!("深圳市{name}民政局"),
            name_en: format!("{name_en} Civil Affairs Bureau, Shenzhen"),
            division_code: division.to_owned(),
            parent_id: Some(city_id),
            path: format!("/{city_id}/{id}/"),
            org_code: None,
            time_zone: "Asia/Shanghai".to_owned(),
            created_at: now,
            updated_at: now,
        };
        tenants::repo::insert(db, model.clone()).await?;
        created.push(TenantRef {
            model,
            parent_slug: Some("shenzhen".to_owned()),
        });
    }
    Ok(created)
}

async fn seed_policy_document(
    db: &impl ConnectionTrait,
    shenzhen: &TenantRef,
) -> anyhow::Result<()> {
    let title = "深圳市民政局2009年工作计划";
    let body = SEED_DOCUMENT
        .find("2009年,我市民政工作")
        .map_or(SEED_DOCUMENT, |start| &SEED_DOCUMENT[start..])
        .trim();
    let written = NaiveDate::from_ymd_opt(2009, 2, 16).context("date")?;
    record_existing(
        db,
        shenzhen,
        SEED_INDEX_NO,
        at(written, 1),
        NewDisclosure {
            category: Category::Policy,
            title: title.to_owned(),
            body: body.to_owned(),
            written_on: Some(written),
            document_number: None,
            subject_terms: vec![
                "民政".to_owned(),
                "工作计划".to_owned(),
                "社会组织".to_owned(),
            ],
            attachments: Vec::new(),
            subject: None,
            supersedes: None,
            created_by: None,
        },
    )
    .await?;
    // Later 2009 records of the bureau continue after the seed's number.
    for _ in 0..32 {
        counters::next(db, &format!("disclosure:{SHENZHEN_CODE}:2009")).await?;
    }
    Ok(())
}

/// Applications of the demo NGO account, one in every state, beside the approved one behind its
/// own organisation.
async fn create_applications(
    db: &impl ConnectionTrait,
    futian: &TenantRef,
    applicant: Uuid,
    own: &organisation::Model,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let states = [
        (RegistrationStatus::Approved, own.name.as_str()),
        (RegistrationStatus::Draft, "深圳市福田区社区花园营造促进会"),
        (
            RegistrationStatus::Submitted,
            "深圳市福田区银龄志愿服务中心",
        ),
        (RegistrationStatus::Returned, "深圳市福田区亲子阅读推广中心"),
        (
            RegistrationStatus::Rejected,
            "深圳市福田区网络游戏爱好者协会",
        ),
        (RegistrationStatus::Withdrawn, "深圳市福田区街舞协会"),
    ];
    for (index, (status, name)) in states.into_iter().enumerate() {
        let decided = !matches!(
            status,
            RegistrationStatus::Draft | RegistrationStatus::Submitted
        );
        let created_at = now - Duration::days(30 - i64::try_from(index).unwrap_or(0));
        let model = application::Model {
            id: Uuid::now_v7(),
            tenant_id: futian.id(),
            applicant_user_id: applicant,
            status: status.as_str().to_owned(),
            name: name.to_owned(),
            name_key: name_key(name),
            org_type: Some(OrgType::SocialServiceOrganisation.as_str().to_owned()),
            sub_kind: None,
            address: Some("深圳市福田区福华路 88 号".to_owned()),
            legal_representative: Some("陈晓燕".to_owned()),
            service_areas: serde_json::to_string(&["社区服务"])?,
            founded_on: None,
            registered_funds_fen: Some(30_000 * FEN_PER_YUAN),
            contact_phone: Some("0755-88886666".to_owned()),
            contact_email: Some(format!("ngo.admin@{DEMO_DOMAIN}")),
            purpose: Some("服务社区居民".to_owned()),
            founding_members: serde_json::to_string(&["陈晓燕", "黄志强", "林嘉欣"])?,
            sponsor: None,
            charter_document_id: None,
            review_comments: if status == RegistrationStatus::Returned {
                serde_json::json!({ "address": "请补充详细门牌号", "charter": "请上传经会员大会通过的章程" }).to_string()
            } else {
                "{}".to_owned()
            },
            decision_reason: (status == RegistrationStatus::Rejected)
                .then(|| "业务范围不属于社会组织登记范围".to_owned()),
            organisation_id: (status == RegistrationStatus::Approved).then_some(own.id),
            submitted_at: (status != RegistrationStatus::Draft)
                .then_some(created_at + Duration::days(1)),
            decided_at: decided.then_some(created_at + Duration::days(5)),
            decided_by: None,
            created_at,
            updated_at: created_at,
            version: 1,
        };
        crate::registry::registrations::insert_for_demo(db, model).await?;
    }
    Ok(())
}
