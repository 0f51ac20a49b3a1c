//! The jobs the accounts domain owns, for the worker.

use std::{future::Future, pin::Pin};

use entities::job;

use super::email_job::{AccountEmailJob, send_account_email};
use crate::{
    jobs::{Job, JobHandler, handler::payload},
    state::AppState,
};

pub const JOBS: &[JobHandler] = &[JobHandler {
    kind: AccountEmailJob::KIND,
    run: account_email,
}];

fn account_email<'a>(
    state: &'a AppState,
    job: &'a job::Model,
) -> Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send + 'a>> {
    Box::pin(async move { send_account_email(state, job.id, payload(job)?).await })
}
