//! E-mail: one mailer over SMTP (production), a folder of `.eml` files (default) or memory (unit
//! tests), and messages rendered from `templates/email/<name>/` (subject, plain text, HTML;
//! Chinese first, English below). Messages are only ever sent by jobs, each with a `Message-ID`
//! derived from its job so that a repeated send is recognisable.

mod mailer;
pub mod templates;

pub use mailer::{Mailer, OutgoingEmail};

/// The `Message-ID` (without angle brackets) of the e-mail sent by a job.
pub fn message_id_for_job(job_id: uuid::Uuid, domain: &str) -> String {
    format!("{}@{domain}", job_id.simple())
}
