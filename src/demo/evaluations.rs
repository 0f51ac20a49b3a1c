//! The demo's evaluations in Futian: last year's finished campaign with an organisation in every
//! grade (and one below them), this year's campaign with two results in publicity (one
//! objected to), and a campaign open for applications.

use chrono::{DateTime, Datelike, Duration, Utc};
use entities::{
    evaluation_application, evaluation_assignment, evaluation_campaign, evaluation_objection,
    organisation, rubric, user,
};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
};
use uuid::Uuid;

use crate::{
    authz::Role,
    disclosures::{self},
    evaluations::{
        FINAL, PUBLICITY, grades,
        panel::{LeafScore, ScoreSheet},
        publicity::{FinaliseJob, notice_of_publicity, notice_of_result, start_of},
        rubric::RubricContent,
        rubrics, scoring,
    },
    jobs,
    registry::model::OrgStatus,
    tenants::TenantRef,
    users,
};

/// Percent of every leaf's maximum the panel gives, per organisation of last year's campaign:
/// 5A, 4A, 3A, 2A, 1A and below every band.
const FINISHED: [i64; 6] = [95, 85, 75, 65, 55, 45];
/// This year's results in publicity.
const IN_PUBLICITY: [i64; 2] = [88, 72];

pub async fn create(
    db: &impl ConnectionTrait,
    key: &crate::audit::AuditKey,
    futian: &TenantRef,
    organisations: &[organisation::Model],
    assessor: Uuid,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    rubrics::ensure_defaults(db, futian.id(), now).await?;
    let default = rubric::Entity::find()
        .filter(rubric::Column::TenantId.eq(futian.id()))
        .filter(rubric::Column::OrgType.eq("social_group"))
        .one(db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("futian has no rubric for social groups"))?;
    let content: RubricContent = serde_json::from_str(&default.content)?;
    // Two more assessors, so that every panel has three (they sign in once given a password).
    let mut panel = vec![assessor];
    for name in ["评估专家乙", "评估专家丙"] {
        let id = Uuid::now_v7();
        user::Entity::insert(user::ActiveModel {
            id: Set(id),
            email: Set(format!("assessor.{}@demo.socorg.invalid", panel.len() + 1)),
            name: Set(name.to_owned()),
            password_hash: Set(None),
            email_verified_at: Set(Some(now)),
            disabled_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .exec_without_returning(db)
        .await?;
        users::service::grant_role(db, id, Role::Assessor, Some(futian.id()), now).await?;
        panel.push(id);
    }
    let today = futian.local_date(now);
    let two_years_ago = now - Duration::days(2 * 366);
    let mut candidates = organisations.iter().filter(|model| {
        model.tenant_id == futian.id()
            && model.org_type == "social_group"
            && model.status == OrgStatus::Registered.as_str()
            && model.registered_at.is_some_and(|at| at <= two_years_ago)
    });
    let year = today.year();
    let campaign =
        |year: i32, title: &str, opens: i64, closes: i64, org_type: &str, rubric: Uuid| {
            evaluation_campaign::Model {
                id: Uuid::now_v7(),
                tenant_id: futian.id(),
                year,
                title: title.to_owned(),
                rubric_id: rubric,
                org_type: org_type.to_owned(),
                applications_open_on: today + Duration::days(opens),
                applications_close_on: today + Duration::days(closes),
                publicity_days: 7,
                allow_reevaluation: 0,
                created_at: now,
                created_by: None,
            }
        };
    let finished = campaign(
        year - 1,
        &format!("{}年度福田区社会团体评估", year - 1),
        -400,
        -340,
        "social_group",
        default.id,
    );
    let current = campaign(
        year,
        &format!("{year}年度福田区社会团体评估"),
        -40,
        -10,
        "social_group",
        default.id,
    );
    let service_rubric = rubric::Entity::find()
        .filter(rubric::Column::TenantId.eq(futian.id()))
        .filter(rubric::Column::OrgType.eq("social_service_organisation"))
        .one(db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("futian has no rubric for social service organisations"))?;
    let open = campaign(
        year,
        &format!("{year}年度福田区社会服务机构评估"),
        0,
        60,
        "social_service_organisation",
        service_rubric.id,
    );
    for model in [&finished, &current, &open] {
        evaluation_campaign::Entity::insert(model.clone().into_active_model())
            .exec_without_returning(db)
            .await?;
    }
    // This year's results first, so that even a small demo has some in publicity.
    for (index, percent) in IN_PUBLICITY.into_iter().enumerate() {
        let Some(organisation) = candidates.next() else {
            break;
        };
        let application = scored(
            db,
            key,
            futian,
            &current,
            &content,
            organisation,
            &panel,
            percent,
            now,
            true,
        )
        .await?;
        if index == 0 {
            evaluation_objection::Entity::insert(
                evaluation_objection::Model {
                    id: Uuid::now_v7(),
                    tenant_id: futian.id(),
                    application_id: application.id,
                    name: "陈女士".to_owned(),
                    contact: "0755-00000000".to_owned(),
                    body: "该会去年的会员大会未按章程按期召开，请核实内部治理一项的得分。"
                        .to_owned(),
                    filed_at: now,
                }
                .into_active_model(),
            )
            .exec_without_returning(db)
            .await?;
        }
    }
    for percent in FINISHED {
        let Some(organisation) = candidates.next() else {
            break;
        };
        let application = scored(
            db,
            key,
            futian,
            &finished,
            &content,
            organisation,
            &panel,
            percent,
            now,
            false,
        )
        .await?;
        finalise(db, key, futian, &finished, organisation, application, now).await?;
    }
    Ok(())
}

/// An application scored by the panel at `percent` of every maximum (the three assessors two
/// points apart) and published for publicity; returns it as stored.
#[allow(clippy::too_many_arguments)]
async fn scored(
    db: &impl ConnectionTrait,
    key: &crate::audit::AuditKey,
    futian: &TenantRef,
    campaign: &evaluation_campaign::Model,
    content: &RubricContent,
    organisation: &organisation::Model,
    panel: &[Uuid],
    percent: i64,
    now: DateTime<Utc>,
    in_publicity: bool,
) -> anyhow::Result<evaluation_application::Model> {
    let leaves = content.leaves();
    let self_assessment: std::collections::BTreeMap<String, serde_json::Value> = leaves
        .iter()
        .map(|leaf| {
            (
                leaf.code.clone(),
                serde_json::json!({ "score": leaf.max * (percent + 5).min(100) / 100, "note": "" }),
            )
        })
        .collect();
    let application_id = Uuid::now_v7();
    let mut scores = scoring::Scores::new();
    let mut assignments = Vec::new();
    for (index, assessor) in panel.iter().enumerate() {
        let delta = [0, -2, 2][index % 3];
        let sheet: ScoreSheet = leaves
            .iter()
            .map(|leaf| {
                let score = (leaf.max * (percent + delta) / 100).clamp(0, leaf.max);
                (
                    leaf.code.clone(),
                    LeafScore {
                        score,
                        reason: if score < leaf.max {
                            "部分材料不够完整".to_owned()
                        } else {
                            String::new()
                        },
                    },
                )
            })
            .collect();
        scores.insert(
            assessor.to_string(),
            sheet
                .iter()
                .map(|(code, leaf)| (code.clone(), leaf.score))
                .collect(),
        );
        assignments.push(evaluation_assignment::Model {
            id: Uuid::now_v7(),
            tenant_id: futian.id(),
            application_id,
            assessor_user_id: *assessor,
            assigned_at: now,
            assigned_by: None,
            declared_at: Some(now),
            declaration: Some(
                r#"{"no_employment_last_two_years":true,"no_other_interest":true,"statement":""}"#
                    .to_owned(),
            ),
            scores: serde_json::to_string(&sheet)?,
            submitted_at: Some(now),
        });
    }
    let outcome = scoring::aggregate(content, &scores, &Default::default())
        .map_err(|error| anyhow::anyhow!("demo scores: {error}"))?;
    let today = futian.local_date(now);
    let last_day = today + Duration::days(i64::from(campaign.publicity_days) - 1);
    let disclosure = disclosures::publish(
        db,
        key,
        futian,
        now,
        notice_of_publicity(
            futian,
            campaign.year,
            organisation,
            outcome.total,
            outcome.grade.as_deref(),
            last_day,
            &format!("/api/v1/evaluation-applications/{application_id}/objections"),
        ),
    )
    .await?;
    let ends_at = start_of(futian, last_day + Duration::days(1));
    let application = evaluation_application::Model {
        id: application_id,
        tenant_id: futian.id(),
        campaign_id: campaign.id,
        organisation_id: organisation.id,
        status: PUBLICITY.to_owned(),
        self_assessment: serde_json::to_string(&self_assessment)?,
        decisions: "{}".to_owned(),
        submitted_at: Some(now),
        total: Some(outcome.total),
        grade: outcome.grade.clone(),
        published_at: Some(now),
        publicity_ends_at: Some(ends_at),
        preliminary_disclosure_id: Some(disclosure.id),
        review_requested_at: None,
        review_reason: None,
        review_outcome: None,
        reviewed_at: None,
        finalised_at: None,
        final_disclosure_id: None,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    evaluation_application::Entity::insert(application.clone().into_active_model())
        .exec_without_returning(db)
        .await?;
    for assignment in assignments {
        evaluation_assignment::Entity::insert(assignment.into_active_model())
            .exec_without_returning(db)
            .await?;
    }
    if in_publicity {
        jobs::queue::enqueue_at(db, now, ends_at, &FinaliseJob { application_id }, 8).await?;
    }
    Ok(application)
}

/// Last year's results are final: the grade awarded and announced.
async fn finalise(
    db: &impl ConnectionTrait,
    key: &crate::audit::AuditKey,
    futian: &TenantRef,
    campaign: &evaluation_campaign::Model,
    organisation: &organisation::Model,
    application: evaluation_application::Model,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let today = futian.local_date(now);
    let total = application.total.unwrap_or(0);
    let disclosure = disclosures::publish(
        db,
        key,
        futian,
        now,
        notice_of_result(
            campaign.year,
            organisation,
            total,
            application.grade.as_deref(),
            true,
            today,
        ),
    )
    .await?;
    if let Some(grade) = &application.grade {
        let tenant = futian.clone();
        grades::award(
            db,
            futian.id(),
            organisation.id,
            Some(application.id),
            grade,
            total,
            today,
            Some(disclosure.id),
            now,
            move |day| start_of(&tenant, day),
        )
        .await?;
    }
    evaluation_application::Entity::update_many()
        .set(evaluation_application::ActiveModel {
            status: Set(FINAL.to_owned()),
            finalised_at: Set(Some(now)),
            final_disclosure_id: Set(Some(disclosure.id)),
            version: Set(2),
            ..Default::default()
        })
        .filter(evaluation_application::Column::Id.eq(application.id))
        .exec(db)
        .await?;
    Ok(())
}
