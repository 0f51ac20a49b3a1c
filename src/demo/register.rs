//! The demo's register: organisations planned from the vocabulary (names, types, districts,
//! service areas, funds, founding dates), then registered with their histories; the same plan
//! is the benchmarks' corpus (`sample_organisations`).

use std::collections::HashSet;

use super::publishing::{FEN_PER_YUAN, announce, at};
use super::vocabulary::{
    DISTRICTS, Dice, FOUNDATION_SUFFIXES, GIVEN_NAMES, GROUP_SUFFIXES, INDUSTRIES,
    SERVICE_SUFFIXES, SURNAMES, TOPICS,
};
use anyhow::Context;
use chrono::{Duration, NaiveDate};
use entities::organisation;
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::{
    counters,
    disclosures::Category,
    registry::{
        model::{OrgStatus, OrgType, SubKind},
        organisations::service::{HistoryEvent, record_event, yuan},
    },
    tenants::TenantRef,
    types::{Uscc, name_key},
};

/// An organisation as the benchmark corpus needs it: public fields only.
#[derive(Clone, Debug)]
pub struct SampleOrganisation {
    pub name: String,
    /// `shenzhen` or a district's slug.
    pub tenant: &'static str,
    pub org_type: &'static str,
    pub service_areas: Vec<String>,
    pub representative: String,
    pub address: String,
}

/// `count` distinct, realistic organisation names and fields for benchmarks, beyond what the
/// demo registers: brand words, streets and districts multiply the vocabulary.
pub fn sample_organisations(count: usize) -> Vec<SampleOrganisation> {
    const BRANDS: [&str; 40] = [
        "明德", "和谐", "阳光", "温馨", "仁爱", "春晖", "启航", "同心", "博爱", "康乐", "星光",
        "彩虹", "晨曦", "海燕", "青松", "红棉", "鹏城", "南粤", "百合", "金桥", "春雨", "益友",
        "安心", "乐龄", "善德", "朝阳", "远航", "晓风", "慧心", "知行", "致远", "益行", "润物",
        "聚力", "同行", "众创", "睦邻", "守望", "初心", "筑梦",
    ];
    let mut dice = Dice::new(1979);
    let mut taken = HashSet::new();
    let mut samples = Vec::with_capacity(count);
    while samples.len() < count {
        let district = dice.below(DISTRICTS.len());
        let (slug, place, _, _, streets) = DISTRICTS[district];
        let street = dice.pick(&streets);
        let brand = dice.pick(&BRANDS);
        let (topic, area) = *dice.pick(TOPICS);
        let (org_type, suffix) = match dice.below(10) {
            0..=4 => ("social_group", *dice.pick(GROUP_SUFFIXES)),
            5..=8 => ("social_service_organisation", *dice.pick(SERVICE_SUFFIXES)),
            _ => ("foundation", *dice.pick(FOUNDATION_SUFFIXES)),
        };
        let with_street = dice.chance(50);
        let name = if with_street {
            format!(
                "深圳市{place}{}{brand}{topic}{suffix}",
                street.trim_end_matches("路").trim_end_matches("大道")
            )
        } else {
            format!("深圳市{place}{brand}{topic}{suffix}")
        };
        if !taken.insert(name.clone()) {
            continue;
        }
        samples.push(SampleOrganisation {
            name,
            tenant: slug,
            org_type,
            service_areas: vec![area.to_owned()],
            representative: format!("{}{}", dice.pick(SURNAMES), dice.pick(GIVEN_NAMES)),
            address: format!("深圳市{place}{street}{}号", 1 + dice.below(999)),
        });
        if taken.len() > count * 3 {
            break;
        }
    }
    samples
}

struct Planned {
    tenant: usize,
    name: String,
    org_type: OrgType,
    sub_kind: Option<SubKind>,
    areas: Vec<String>,
    registered_on: NaiveDate,
    representative: String,
    address: String,
    funds_fen: i64,
    fate: Fate,
    renamed_to: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Fate {
    Registered,
    Abnormal,
    Deregistered,
    Revoked,
}

fn plan(count: usize) -> Vec<Planned> {
    let mut dice = Dice::new(2009_0216);
    let mut taken = HashSet::new();
    let mut planned = Vec::new();
    let first = NaiveDate::from_ymd_opt(2009, 3, 1).unwrap_or_default();
    let span_days = 17 * 365;
    let mut attempts = 0;
    while planned.len() < count && attempts < count * 20 {
        attempts += 1;
        // Index 0 is the city; districts are 1..=10. The city registers a tenth.
        let tenant = if dice.chance(10) {
            0
        } else {
            1 + dice.below(DISTRICTS.len())
        };
        let place = if tenant == 0 {
            String::new()
        } else {
            DISTRICTS[tenant - 1].1.to_owned()
        };
        let (topic, area) = *dice.pick(TOPICS);
        let roll = dice.below(100);
        let (org_type, sub_kind, name, areas) = if roll < 12 {
            let industry = dice.pick(INDUSTRIES);
            let suffix = if dice.chance(30) {
                "商会"
            } else {
                "行业协会"
            };
            (
                OrgType::SocialGroup,
                Some(SubKind::IndustryAssociation),
                format!("深圳市{place}{industry}{suffix}"),
                vec!["行业服务".to_owned()],
            )
        } else if roll < 50 {
            let suffix = dice.pick(GROUP_SUFFIXES);
            (
                OrgType::SocialGroup,
                None,
                format!("深圳市{place}{topic}{suffix}"),
                vec![area.to_owned()],
            )
        } else if roll < 90 {
            let suffix = *dice.pick(SERVICE_SUFFIXES);
            let sub_kind = (suffix == "社工服务社").then_some(SubKind::SocialWorkAgency);
            let mut areas = vec![area.to_owned()];
            if sub_kind.is_some() {
                areas.push("社会工作".to_owned());
            }
            (
                OrgType::SocialServiceOrganisation,
                sub_kind,
                format!("深圳市{place}{topic}{suffix}"),
                areas,
            )
        } else {
            let suffix = dice.pick(FOUNDATION_SUFFIXES);
            (
                OrgType::Foundation,
                Some(SubKind::Charity),
                format!("深圳市{topic}{suffix}"),
                vec![area.to_owned(), "慈善救助".to_owned()],
            )
        };
        if !taken.insert(name_key(&name)) {
            continue;
        }
        let registered_on =
            first + Duration::days(i64::try_from(dice.below(span_days)).unwrap_or(0));
        let street = if tenant == 0 {
            "深南大道"
        } else {
            dice.pick(&DISTRICTS[tenant - 1].4)
        };
        let fate = match dice.below(100) {
            0..=87 => Fate::Registered,
            88..=93 => Fate::Abnormal,
            94..=97 => Fate::Deregistered,
            _ => Fate::Revoked,
        };
        let renamed_to = (dice.chance(5) && org_type != OrgType::Foundation)
            .then(|| name.replacen("深圳市", "深圳市新", 1));
        if let Some(new_name) = &renamed_to
            && !taken.insert(name_key(new_name))
        {
            continue;
        }
        let funds_fen = match org_type {
            OrgType::Foundation => {
                (2_000_000 + i64::try_from(dice.below(8)).unwrap_or(0) * 1_000_000) * FEN_PER_YUAN
            }
            _ => (30_000 + i64::try_from(dice.below(50)).unwrap_or(0) * 10_000) * FEN_PER_YUAN,
        };
        planned.push(Planned {
            tenant,
            name,
            org_type,
            sub_kind,
            areas,
            registered_on,
            representative: format!("{}{}", dice.pick(SURNAMES), dice.pick(GIVEN_NAMES)),
            address: format!(
                "深圳市{}{street}{}号",
                if tenant == 0 {
                    "福田区"
                } else {
                    DISTRICTS[tenant - 1].1
                },
                1 + dice.below(999)
            ),
            funds_fen,
            fate,
            renamed_to,
        });
    }
    planned.sort_by_key(|planned| planned.registered_on);
    planned
}

pub(super) async fn create_organisations(
    db: &impl ConnectionTrait,
    key: &crate::audit::AuditKey,
    tenants: &[TenantRef],
    count: usize,
    registrar: Uuid,
) -> anyhow::Result<Vec<organisation::Model>> {
    let mut created = Vec::new();
    for planned in plan(count) {
        let tenant = &tenants[planned.tenant];
        let serial = counters::next(
            db,
            &format!(
                "uscc:{}:{}",
                planned.org_type.code_digit(),
                tenant.model.division_code
            ),
        )
        .await?;
        let code = Uscc::issue(
            planned.org_type.code_digit(),
            &tenant.model.division_code,
            u32::try_from(serial)?,
        )
        .context("demo code serials exhausted")?;
        let registered_at = at(planned.registered_on, 2);
        let mut model = organisation::Model {
            id: Uuid::now_v7(),
            tenant_id: tenant.id(),
            uscc: code.to_string(),
            uscc_override_reason: None,
            name: planned.name.clone(),
            name_key: name_key(&planned.name),
            org_type: planned.org_type.as_str().to_owned(),
            sub_kind: planned.sub_kind.map(|kind| kind.as_str().to_owned()),
            address: planned.address.clone(),
            legal_representative: planned.representative.clone(),
            service_areas: serde_json::to_string(&planned.areas)?,
            founded_on: Some(planned.registered_on - Duration::days(90)),
            registered_funds_fen: planned.funds_fen,
            contact_phone: Some(format!("0755-{:08}", serial * 7919 % 100_000_000)),
            contact_email: None,
            purpose: Some(format!(
                "围绕{}开展服务，促进社会和谐。",
                planned.areas.join("、")
            )),
            status: OrgStatus::Registered.as_str().to_owned(),
            status_reason: None,
            status_date: Some(planned.registered_on),
            registered_at: Some(registered_at),
            created_at: registered_at,
            updated_at: registered_at,
            version: 1,
        };
        crate::registry::organisations::repo::insert(db, model.clone()).await?;
        let disclosure = announce(
            db,
            key,
            tenant,
            &model,
            registered_at,
            registrar,
            (Category::Registration,
            format!("关于准予{}成立登记的公告", model.name),
            format!(
                "经审核，准予{name}成立登记。\n\n统一社会信用代码：{code}\n组织类型：{kind}\n住所：{address}\n法定代表人：{representative}\n业务范围：{areas}\n注册资金：{funds}",
                name = model.name,
                code = model.uscc,
                kind = planned.org_type.label_zh(),
                address = model.address,
                representative = model.legal_representative,
                areas = planned.areas.join("、"),
                funds = yuan(model.registered_funds_fen),
            )),
        )
        .await?;
        record_event(
            db,
            &model,
            registered_at,
            HistoryEvent {
                event: "registered",
                effective_on: planned.registered_on,
                data: serde_json::json!({ "name": model.name, "uscc": model.uscc }),
                disclosure_id: Some(disclosure),
                actor: Some(registrar),
            },
        )
        .await?;
        let mut later = planned.registered_on + Duration::days(400);
        if let Some(new_name) = &planned.renamed_to {
            let when = at(later, 3);
            let disclosure = announce(
                db,
                key,
                tenant,
                &model,
                when,
                registrar,
                (Category::Change,
                format!("关于{}变更登记的公告", model.name),
                format!("经审核，准予{}（统一社会信用代码：{}）变更登记：\n名称：由“{}”变更为“{new_name}”", model.name, model.uscc, model.name)),
            )
            .await?;
            record_event(
                db,
                &model,
                when,
                HistoryEvent {
                    event: "name_changed",
                    effective_on: later,
                    data: serde_json::json!({ "from": model.name, "to": new_name }),
                    disclosure_id: Some(disclosure),
                    actor: Some(registrar),
                },
            )
            .await?;
            model.name = new_name.clone();
            model.name_key = name_key(new_name);
            later += Duration::days(200);
        }
        let (status, event, category, title, reason) = match planned.fate {
            Fate::Registered => (OrgStatus::Registered, None, None, String::new(), ""),
            Fate::Abnormal => (
                OrgStatus::Abnormal,
                Some("listed_abnormal"),
                Some(Category::AbnormalListing),
                format!("关于将{}列入活动异常名录的公告", model.name),
                "未按规定报送年度工作报告",
            ),
            Fate::Deregistered => (
                OrgStatus::Deregistered,
                Some("deregistered"),
                Some(Category::Deregistration),
                format!("关于准予{}注销登记的公告", model.name),
                "完成章程规定的宗旨，自愿注销",
            ),
            Fate::Revoked => (
                OrgStatus::Revoked,
                Some("revoked"),
                Some(Category::Revocation),
                format!("关于撤销{}登记的公告", model.name),
                "连续两年未参加年度检查，经责令改正仍不改正",
            ),
        };
        let today = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap_or_default();
        if let (Some(event), Some(category)) = (event, category)
            && later < today
        {
            let when = at(later, 4);
            let disclosure = announce(
                db,
                key,
                tenant,
                &model,
                when,
                registrar,
                (
                    category,
                    title,
                    format!(
                        "{}（统一社会信用代码：{}）：{reason}。",
                        model.name, model.uscc
                    ),
                ),
            )
            .await?;
            record_event(db, &model, when, HistoryEvent {
                event,
                effective_on: later,
                data: serde_json::json!({ "from": "registered", "to": status.as_str(), "reason": reason }),
                disclosure_id: Some(disclosure),
                actor: Some(registrar),
            })
            .await?;
            model.status = status.as_str().to_owned();
            model.status_reason = Some(reason.to_owned());
            model.status_date = Some(later);
        }
        if model.version == 1
            && (model.name != planned.name || model.status != OrgStatus::Registered.as_str())
        {
            model.version = 2;
            crate::registry::organisations::repo::save_if_version(db, model.clone(), 1).await?;
        }
        created.push(model);
    }
    Ok(created)
}
