//! The e-mails of an evaluation: an assessor's assignment, the result to the organisation
//! (preliminary and final), an objection received (to the registry's administrators) and a
//! review's outcome. Each is a job written with the change that causes it.

use entities::{
    evaluation_application, evaluation_assignment, evaluation_objection, grant, organisation,
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::points;
use crate::{
    authz::Role,
    jobs::Job,
    mail::{OutgoingEmail, message_id_for_job, templates},
    state::AppState,
    users,
};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum EvaluationEmailJob {
    Assigned {
        assignment_id: Uuid,
    },
    Result {
        application_id: Uuid,
        preliminary: bool,
    },
    Objection {
        objection_id: Uuid,
    },
    ReviewOutcome {
        application_id: Uuid,
    },
    /// To the registry: a review requested in publicity still waits for its outcome.
    ReviewPending {
        application_id: Uuid,
    },
}

impl Job for EvaluationEmailJob {
    const KIND: &'static str = "evaluation_email";
}

/// Where the organisation is written to: its contact address, else its administrators'.
async fn organisation_addresses(
    state: &AppState,
    organisation: &organisation::Model,
) -> anyhow::Result<Vec<String>> {
    if let Some(email) = organisation
        .contact_email
        .as_deref()
        .filter(|email| !email.is_empty())
    {
        return Ok(vec![email.to_owned()]);
    }
    addresses_of(
        state,
        grant::Entity::find()
            .filter(grant::Column::OrganisationId.eq(organisation.id))
            .filter(grant::Column::Role.eq(Role::OrgAdmin.as_str()))
            .all(&state.db)
            .await?,
    )
    .await
}

/// The registry administrators of a tenant, who hear of objections and waiting reviews.
async fn registry_admin_addresses(
    state: &AppState,
    tenant_id: Uuid,
) -> anyhow::Result<Vec<String>> {
    addresses_of(
        state,
        grant::Entity::find()
            .filter(grant::Column::TenantId.eq(tenant_id))
            .filter(grant::Column::Role.eq(Role::RegistryAdmin.as_str()))
            .all(&state.db)
            .await?,
    )
    .await
}

/// The addresses of the users holding these grants.
async fn addresses_of(state: &AppState, grants: Vec<grant::Model>) -> anyhow::Result<Vec<String>> {
    let mut addresses = Vec::new();
    for grant in grants {
        if let Some(user) = users::service::find_user(state, grant.user_id).await? {
            addresses.push(user.email);
        }
    }
    Ok(addresses)
}

pub async fn send(state: &AppState, job_id: Uuid, job: EvaluationEmailJob) -> anyhow::Result<()> {
    let base = state.config.public_url();
    let (application_id, recipients, subject, lines_zh, lines_en, link) = match job {
        EvaluationEmailJob::Assigned { assignment_id } => {
            let Some(assignment) = evaluation_assignment::Entity::find_by_id(assignment_id)
                .one(&state.db)
                .await?
            else {
                return Ok(());
            };
            let Some(assessor) =
                users::service::find_user(state, assignment.assessor_user_id).await?
            else {
                return Ok(());
            };
            (
                assignment.application_id,
                vec![assessor.email],
                ("评估任务", "Evaluation assignment"),
                vec![
                    "您已被指派为该社会组织评估的评估专家。查看材料前，请先声明与该组织无利益冲突。"
                        .to_owned(),
                ],
                vec![
                    "You have been assigned to assess this organisation. Before you see its material, declare that you have no conflict of interest."
                        .to_owned(),
                ],
                format!("{base}/api/v1/evaluation-assignments/{assignment_id}"),
            )
        }
        EvaluationEmailJob::Result {
            application_id,
            preliminary,
        } => {
            let Some(application) = evaluation_application::Entity::find_by_id(application_id)
                .one(&state.db)
                .await?
            else {
                return Ok(());
            };
            let organisation = organisation_of(state, &application).await?;
            let total = points(application.total.unwrap_or(0));
            let grade = application.grade.clone();
            let (zh, en) = if preliminary {
                (
                    format!(
                        "初步评估结果：总分{total}分，{}。结果正在公示，公示期内可申请复核。",
                        grade
                            .as_deref()
                            .map_or("未达到评估等级".to_owned(), |g| format!("{g}级"))
                    ),
                    format!(
                        "Preliminary result: {total} points, {}. It is published for comment; you may ask for a review during that period.",
                        grade
                            .as_deref()
                            .map_or("no grade".to_owned(), |g| format!("grade {g}"))
                    ),
                )
            } else {
                (
                    format!(
                        "评估结果已确定：总分{total}分，{}。",
                        grade
                            .as_deref()
                            .map_or("未达到评估等级".to_owned(), |g| format!(
                                "{g}级，有效期五年"
                            ))
                    ),
                    format!(
                        "The result is final: {total} points, {}.",
                        grade.as_deref().map_or("no grade".to_owned(), |g| format!(
                            "grade {g}, valid five years"
                        ))
                    ),
                )
            };
            (
                application_id,
                organisation_addresses(state, &organisation).await?,
                if preliminary {
                    ("评估结果公示", "Evaluation result for comment")
                } else {
                    ("评估结果", "Evaluation result")
                },
                vec![zh],
                vec![en],
                format!("{base}/orgs/{}", organisation.uscc),
            )
        }
        EvaluationEmailJob::Objection { objection_id } => {
            let Some(objection) = evaluation_objection::Entity::find_by_id(objection_id)
                .one(&state.db)
                .await?
            else {
                return Ok(());
            };
            let recipients = registry_admin_addresses(state, objection.tenant_id).await?;
            (
                objection.application_id,
                recipients,
                ("收到评估结果异议", "Objection to an evaluation result"),
                vec![format!(
                    "{}（{}）对公示中的评估结果提出异议：{}",
                    objection.name, objection.contact, objection.body
                )],
                vec![format!(
                    "{} ({}) objects to the result in publicity: {}",
                    objection.name, objection.contact, objection.body
                )],
                format!(
                    "{base}/api/v1/evaluation-applications/{}/objections",
                    objection.application_id
                ),
            )
        }
        EvaluationEmailJob::ReviewPending { application_id } => {
            let Some(application) = evaluation_application::Entity::find_by_id(application_id)
                .one(&state.db)
                .await?
            else {
                return Ok(());
            };
            if application.reviewed_at.is_some() {
                return Ok(());
            }
            let recipients = registry_admin_addresses(state, application.tenant_id).await?;
            (
                application_id,
                recipients,
                ("评估复核待处理", "Evaluation review waiting"),
                vec![format!(
                    "公示期已结束，该组织申请的复核尚未记录结果，评估结果因此未能确定。复核理由：{}",
                    application.review_reason.clone().unwrap_or_default()
                )],
                vec![format!(
                    "The publicity period has ended, but the review the organisation asked for has no outcome yet, so the result cannot become final. Grounds: {}",
                    application.review_reason.clone().unwrap_or_default()
                )],
                format!("{base}/api/v1/evaluation-applications/{application_id}/review"),
            )
        }
        EvaluationEmailJob::ReviewOutcome { application_id } => {
            let Some(application) = evaluation_application::Entity::find_by_id(application_id)
                .one(&state.db)
                .await?
            else {
                return Ok(());
            };
            let organisation = organisation_of(state, &application).await?;
            let outcome = application.review_outcome.clone().unwrap_or_default();
            let total = points(application.total.unwrap_or(0));
            let grade = application.grade.clone().unwrap_or_else(|| "—".to_owned());
            (
                application_id,
                organisation_addresses(state, &organisation).await?,
                ("评估复核结果", "Outcome of the evaluation review"),
                vec![format!(
                    "复核结果：{outcome}。复核后总分{total}分，等级{grade}。"
                )],
                vec![format!(
                    "Outcome of the review: {outcome}. After it: {total} points, grade {grade}."
                )],
                format!("{base}/orgs/{}", organisation.uscc),
            )
        }
    };
    let Some(application) = evaluation_application::Entity::find_by_id(application_id)
        .one(&state.db)
        .await?
    else {
        return Ok(());
    };
    let organisation = organisation_of(state, &application).await?;
    let campaign = entities::evaluation_campaign::Entity::find_by_id(application.campaign_id)
        .one(&state.db)
        .await?
        .map(|campaign| campaign.title)
        .unwrap_or_default();
    let rendered = templates::evaluation_notice::Data {
        subject_zh: subject.0.to_owned(),
        subject_en: subject.1.to_owned(),
        organisation: organisation.name.clone(),
        campaign,
        lines_zh,
        lines_en,
        link,
    }
    .render()?;
    for (index, to) in recipients.into_iter().enumerate() {
        // One message per recipient, each with an id of its own that a repeat keeps.
        let id = Uuid::from_u128(job_id.as_u128() ^ index as u128);
        state
            .mailer
            .send(&OutgoingEmail {
                to,
                subject: rendered.subject.clone(),
                text: rendered.text.clone(),
                html: rendered.html.clone(),
                message_id: message_id_for_job(id, state.mailer.domain()),
            })
            .await?;
    }
    Ok(())
}

async fn organisation_of(
    state: &AppState,
    application: &evaluation_application::Model,
) -> anyhow::Result<organisation::Model> {
    organisation::Entity::find_by_id(application.organisation_id)
        .one(&state.db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the application's organisation is gone"))
}
