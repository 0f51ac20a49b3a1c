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

/// The decision as it was taken: the e-mail may be sent later, when the application has moved on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistrationDecisionJob {
    pub application_id: Uuid,
    pub decision: RegistrationStatus,
    /// The reviewer's comments per field, or the reasons of a rejection.
    pub notes: Vec<String>,
}

impl RegistrationDecisionJob {
    pub fn for_application(application: &entities::registration_application::Model) -> Self {
        let decision =
            RegistrationStatus::parse(&application.status).unwrap_or(RegistrationStatus::Submitted);
        let mut notes: Vec<String> = match decision {
            RegistrationStatus::Returned => serde_json::from_str::<
                std::collections::BTreeMap<String, String>,
            >(&application.review_comments)
            .unwrap_or_default()
            .into_iter()
            .map(|(field, comment)| format!("{field}: {comment}"))
            .collect(),
            _ => Vec::new(),
        };
        if decision == RegistrationStatus::Rejected
            && let Some(reason) = &application.decision_reason
        {
            notes.push(reason.clone());
        }
        Self {
            application_id: application.id,
            decision,
            notes,
        }
    }
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
    let (decision_zh, decision_en) = match job.decision {
        RegistrationStatus::Approved => ("已准予登记", "approved"),
        RegistrationStatus::Returned => ("已退回补正", "returned for amendment"),
        RegistrationStatus::Rejected => ("不予登记", "rejected"),
        _ => return Ok(()),
    };
    let organisation_id = application
        .organisation_id
        .filter(|_| job.decision == RegistrationStatus::Approved);
    let code = match organisation_id {
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
        notes: job.notes,
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
