//! The job that sends an account e-mail. A link's token is created when the e-mail is sent, so
//! the clear token is never stored anywhere but in the message.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::tokens::{self, Purpose};
use crate::{
    jobs::Job,
    mail::{OutgoingEmail, message_id_for_job, templates},
    state::AppState,
};

/// Which account e-mail to send.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "email", rename_all = "snake_case")]
pub enum AccountEmail {
    VerifyAddress,
    AccountExists,
    ResetPassword,
    SetPassword,
    /// Sent to the address the account had when the password changed.
    PasswordChanged {
        to: String,
    },
    ConfirmNewAddress {
        new_email: String,
    },
    /// Sent to the old address.
    AddressChanged {
        old_email: String,
        new_email: String,
    },
    /// An existing account was added to an organisation.
    AddedToOrganisation {
        organisation: String,
    },
    /// An existing account was given roles in a tenant.
    AddedToTenant {
        tenant: String,
        roles: Vec<String>,
    },
    /// An existing account was invited into a tenant (roles offered, not yet held).
    InvitedToTenant {
        tenant: String,
        roles: Vec<String>,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountEmailJob {
    pub user_id: Uuid,
    #[serde(flatten)]
    pub email: AccountEmail,
}

impl Job for AccountEmailJob {
    const KIND: &'static str = "account_email";
}

fn link(state: &AppState, path: &str, token: &str) -> String {
    format!("{}{path}?token={token}", state.config.public_url())
}

/// Renders and sends one account e-mail; the `Message-ID` is the job's.
pub async fn send_account_email(
    state: &AppState,
    job_id: Uuid,
    job: AccountEmailJob,
) -> anyhow::Result<()> {
    let Some(user) = <entities::user::Entity as sea_orm::EntityTrait>::find_by_id(job.user_id)
        .one(&state.db)
        .await?
    else {
        tracing::info!(user_id = %job.user_id, "account e-mail for a deleted user dropped");
        return Ok(());
    };
    let now = state.clock.now();
    let name = user.name.clone();
    let reset_link = format!("{}/account/forgot-password", state.config.public_url());
    let (to, rendered) = match job.email {
        AccountEmail::VerifyAddress => {
            let token = tokens::issue(&state.db, user.id, Purpose::VerifyEmail, None, now).await?;
            let data = templates::verify_address::Data {
                name,
                link: link(state, "/account/verify", &token),
                valid_hours: Purpose::VerifyEmail.lifetime().num_hours(),
            };
            (user.email, data.render()?)
        }
        AccountEmail::AccountExists => {
            let data = templates::account_exists::Data { name, reset_link };
            (user.email, data.render()?)
        }
        AccountEmail::ResetPassword => {
            let token =
                tokens::issue(&state.db, user.id, Purpose::ResetPassword, None, now).await?;
            let data = templates::reset_password::Data {
                name,
                link: link(state, "/account/reset-password", &token),
                valid_minutes: Purpose::ResetPassword.lifetime().num_minutes(),
            };
            (user.email, data.render()?)
        }
        AccountEmail::SetPassword => {
            let token = tokens::issue(&state.db, user.id, Purpose::SetPassword, None, now).await?;
            let data = templates::set_password::Data {
                name,
                link: link(state, "/account/reset-password", &token),
                valid_days: Purpose::SetPassword.lifetime().num_days(),
            };
            (user.email, data.render()?)
        }
        AccountEmail::PasswordChanged { to } => {
            let data = templates::password_changed::Data { name, reset_link };
            (to, data.render()?)
        }
        AccountEmail::ConfirmNewAddress { new_email } => {
            let token = tokens::issue(
                &state.db,
                user.id,
                Purpose::ChangeEmail,
                Some(new_email.clone()),
                now,
            )
            .await?;
            let data = templates::confirm_new_address::Data {
                name,
                new_email: new_email.clone(),
                link: link(state, "/account/verify", &token),
                valid_hours: Purpose::ChangeEmail.lifetime().num_hours(),
            };
            (new_email, data.render()?)
        }
        AccountEmail::AddedToOrganisation { organisation } => {
            let data = templates::added_to_organisation::Data {
                name,
                organisation,
                link: format!("{}/api/v1/me", state.config.public_url()),
            };
            (user.email, data.render()?)
        }
        AccountEmail::AddedToTenant { tenant, roles } => {
            let data = templates::added_to_tenant::Data {
                name,
                tenant,
                roles: roles.join(", "),
                link: format!("{}/api/v1/me", state.config.public_url()),
            };
            (user.email, data.render()?)
        }
        AccountEmail::InvitedToTenant { tenant, roles } => {
            let data = templates::invited_to_tenant::Data {
                name,
                tenant,
                roles: roles.join(", "),
                link: format!("{}/api/v1/me/invitations", state.config.public_url()),
            };
            (user.email, data.render()?)
        }
        AccountEmail::AddressChanged {
            old_email,
            new_email,
        } => {
            let data = templates::address_changed::Data { name, new_email };
            (old_email, data.render()?)
        }
    };
    state
        .mailer
        .send(&OutgoingEmail {
            to,
            subject: rendered.subject,
            text: rendered.text,
            html: rendered.html,
            message_id: message_id_for_job(job_id, state.mailer.domain()),
        })
        .await
}
