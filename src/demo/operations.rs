//! The registry's yearly rhythm in the demo: Futian's annual report deadline, 2025 reports for
//! most of its organisations (the rest are listed as abnormal by the daily sweep once the server
//! runs), and groups in its incubation base in every state.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use entities::{
    annual_report, incubation_group, incubation_report, organisation, registry_setting,
};
use sea_orm::{ConnectionTrait, EntityTrait, IntoActiveModel};
use uuid::Uuid;

use super::{
    publishing::{announce, at},
    vocabulary::Dice,
};
use crate::{
    disclosures::Category,
    registry::{
        annual::{overdue_year, sweep},
        incubation::{ADMITTED, APPLIED, EXITED, GRADUATED, INCUBATING, graduate},
        model::OrgStatus,
        organisations::service::{HistoryEvent, record_event, yuan},
    },
    tenants::TenantRef,
};

/// Futian's filing deadline (month, day).
const DEADLINE: (u32, u32) = (5, 31);

pub async fn create(
    db: &impl ConnectionTrait,
    key: &crate::audit::AuditKey,
    futian: &TenantRef,
    organisations: &[organisation::Model],
    founder: Uuid,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    registry_setting::Entity::insert(
        registry_setting::Model {
            tenant_id: futian.id(),
            annual_report_deadline: Some(format!("{:02}-{:02}", DEADLINE.0, DEADLINE.1)),
            updated_at: now,
        }
        .into_active_model(),
    )
    .exec_without_returning(db)
    .await?;
    sweep::ensure_scheduled(db, now).await?;
    // The latest year whose deadline has passed, so that the demo means the same whenever it is
    // loaded: most reports of that year are filed, the rest are due for listing.
    let today = now.with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
    let report_year = overdue_year(today, DEADLINE);
    let filed_on = NaiveDate::from_ymd_opt(report_year + 1, 4, 20)
        .unwrap_or_default()
        .min(today);
    let mut dice = Dice::new(2025);
    for (index, model) in organisations
        .iter()
        .filter(|model| {
            model.tenant_id == futian.id()
                && model.status == OrgStatus::Registered.as_str()
                && model
                    .registered_at
                    .is_some_and(|at| at.year() <= report_year)
        })
        .enumerate()
    {
        // One in twenty misses the deadline.
        if index % 20 == 19 {
            continue;
        }
        let mut roll = |bound: usize| i64::try_from(dice.below(bound)).unwrap_or(0);
        let income = 5_000_000 + roll(400) * 1_000_000;
        let expenditure = income * (70 + roll(35)) / 100;
        let (projects, served) = (2 + roll(10), 100 + roll(5000));
        let (staff, volunteers) = (1 + roll(40), roll(300));
        let report = annual_report::Model {
            id: Uuid::now_v7(),
            tenant_id: model.tenant_id,
            organisation_id: model.id,
            year: report_year,
            income_fen: income,
            expenditure_fen: expenditure,
            net_assets_fen: model.registered_funds_fen + income - expenditure,
            activities: format!(
                "围绕{}开展服务项目 {} 个，服务 {} 人次。",
                serde_json::from_str::<Vec<String>>(&model.service_areas)
                    .unwrap_or_default()
                    .join("、"),
                projects,
                served
            ),
            staff_count: i32::try_from(staff).unwrap_or(1),
            volunteer_count: i32::try_from(volunteers).unwrap_or(0),
            document_id: None,
            filed_at: at(filed_on, 3),
            filed_by: None,
            disclosure_id: None,
        };
        let disclosure = announce(
            db,
            key,
            futian,
            model,
            report.filed_at,
            founder,
            (
                Category::AnnualReport,
                format!("{}{report_year}年度工作报告公示", model.name),
                format!(
                    "{name}（统一社会信用代码：{code}）{report_year}年度工作报告摘要：收入 {income} 元；支出 {spent} 元；净资产 {assets} 元；专职工作人员 {staff} 人；志愿者 {volunteers} 人。{activities}",
                    name = model.name,
                    code = model.uscc,
                    income = yuan(report.income_fen),
                    spent = yuan(report.expenditure_fen),
                    assets = yuan(report.net_assets_fen),
                    staff = report.staff_count,
                    volunteers = report.volunteer_count,
                    activities = report.activities,
                ),
            ),
        )
        .await?;
        annual_report::Entity::insert(
            annual_report::Model {
                disclosure_id: Some(disclosure),
                ..report.clone()
            }
            .into_active_model(),
        )
        .exec_without_returning(db)
        .await?;
        record_event(
            db,
            model,
            report.filed_at,
            HistoryEvent {
                event: "annual_report_filed",
                effective_on: filed_on,
                data: serde_json::json!({ "year": report_year }),
                disclosure_id: Some(disclosure),
                actor: None,
            },
        )
        .await?;
    }
    create_incubation(db, key, futian, founder, now).await
}

async fn create_incubation(
    db: &impl ConnectionTrait,
    key: &crate::audit::AuditKey,
    futian: &TenantRef,
    founder: Uuid,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let groups = [
        (
            "福田区邻里互助小组",
            vec!["社区服务", "养老服务"],
            INCUBATING,
        ),
        ("福田区青少年阅读推广小组", vec!["教育", "文化"], INCUBATING),
        ("福田区环保志愿者小组", vec!["环境保护"], INCUBATING),
        ("福田区残障人士就业支持小组", vec!["助残"], ADMITTED),
        ("福田区社区议事协商小组", vec!["社区治理"], APPLIED),
        ("福田区流动儿童陪伴小组", vec!["儿童服务"], GRADUATED),
        ("福田区街坊手工艺小组", vec!["文化"], EXITED),
    ];
    let today = now.date_naive();
    for (name, areas, status) in groups {
        let started = matches!(status, INCUBATING | ADMITTED | GRADUATED | EXITED)
            .then(|| today - Duration::days(120));
        let mut group = incubation_group::Model {
            id: Uuid::now_v7(),
            tenant_id: futian.id(),
            name: name.to_owned(),
            service_areas: serde_json::to_string(&areas)?,
            description: format!(
                "{name}由社区居民发起，围绕{}开展公益活动。",
                areas.join("、")
            ),
            contact_name: "陈小红".to_owned(),
            contact_email: "incubation@demo.socorg.example".to_owned(),
            contact_phone: None,
            applicant_user_id: founder,
            status: status.to_owned(),
            mentor: started.map(|_| "王老师".to_owned()),
            started_on: started,
            planned_end_on: started.map(|day| day + Duration::days(365)),
            ended_on: matches!(status, GRADUATED | EXITED).then_some(today - Duration::days(10)),
            outcome_reason: (status == EXITED).then(|| "成员流失，暂停活动".to_owned()),
            registration_id: None,
            disclosure_id: None,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        if status == GRADUATED {
            // Graduated as the base graduates a group: with its pre-filled application and
            // the graduation notice.
            let mut graduating = incubation_group::Model {
                status: INCUBATING.to_owned(),
                ended_on: None,
                ..group
            };
            graduate(
                db,
                key,
                futian,
                &mut graduating,
                now - Duration::days(10),
                founder,
            )
            .await
            .map_err(|error| anyhow::anyhow!("demo graduation: {error}"))?;
            group = graduating;
        }
        incubation_group::Entity::insert(group.clone().into_active_model())
            .exec_without_returning(db)
            .await?;
        if status == INCUBATING {
            incubation_report::Entity::insert(
                incubation_report::Model {
                    id: Uuid::now_v7(),
                    tenant_id: group.tenant_id,
                    group_id: group.id,
                    reported_at: now - Duration::days(30),
                    author_user_id: Some(founder),
                    body: "完成骨干培训 3 次，开展活动 5 场。".to_owned(),
                }
                .into_active_model(),
            )
            .exec_without_returning(db)
            .await?;
        }
    }
    Ok(())
}
