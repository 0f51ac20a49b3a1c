//! Accounts that need e-mail: self sign-up with address verification, password reset, the
//! set-password link of accounts created by administrators, and changes of password or address
//! (each notified to the old address). Links carry random one-time tokens, stored hashed, that
//! expire and die on use; the e-mails themselves are sent by jobs.

pub mod api;
mod dto;
mod email_job;
pub mod jobs;
pub mod pages;
mod service;
mod tokens;

pub use email_job::{AccountEmail, AccountEmailJob, send_account_email};
pub use service::AccountError;
