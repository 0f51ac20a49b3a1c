//! The e-mail telling an applicant what became of their registration application.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    jobs::Job,
    mail::{OutgoingEmail, message_id_for_job, templates},
    registry::model::RegistrationStatus,
    state::AppState,
    users,
};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistrationDecisionJob {
    pub application_id: Uuid,
}

impl Job for RegistrationDecisionJob {
    const KIND: &'static str = "registration_decision_email";
}

pub async fn send_registration_decision(
    state: &AppState,
    job_id: Uuid,
    job: RegistrationDecisionJob,
) -> anyhow::Result<()> {
    use sea_orm::EntityTrait;
    let Some(application) =
        entities::registration_application::Entity::find_by_id(job.application_id)
            .one(&state.db)
            .await?
    else {
        return Ok(());
    };
    let Some(applicant) = users::service::find_user(state, application.applicant_user_id).await?
    else {
        return Ok(());
    };
    let status = RegistrationStatus::parse(&application.status);
    let (decision_zh, decision_en) = match status {
        Some(RegistrationStatus::Approved) => ("已准予登记", "approved"),
        Some(RegistrationStatus::Returned) => ("已退回补正", "returned for amendment"),
        Some(RegistrationStatus::Rejected) => ("不予登记", "rejected"),
        _ => return Ok(()),
    };
    let comments: std::collections::BTreeMap<String, String> =
        serde_json::from_str(&application.review_comments).unwrap_or_default();
    let mut notes: Vec<String> = comments
        .iter()
        .map(|(field, comment)| format!("{field}: {comment}"))
        .collect();
    if let Some(reason) = &application.decision_reason {
        notes.push(reason.clone());
    }
    let code = match application.organisation_id {
        Some(id) => entities::organisation::Entity::find_by_id(id)
            .one(&state.db)
            .await?
            .map(|organisation| organisation.uscc),
        None => None,
    };
    let rendered = templates::registration_decision::Data {
        name: applicant.name.clone(),
        organisation: application.name.clone(),
        decision_zh: decision_zh.to_owned(),
        decision_en: decision_en.to_owned(),
        notes,
        code,
        link: format!(
            "{}/api/v1/registrations/{}",
            state.config.public_url(),
            application.id
        ),
    }
    .render()?;
    state
        .mailer
        .send(&OutgoingEmail {
            to: applicant.email,
            subject: rendered.subject,
            text: rendered.text,
            html: rendered.html,
            message_id: message_id_for_job(job_id, state.mailer.domain()),
        })
        .await
}
