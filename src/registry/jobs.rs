//! The jobs the registry owns, for the worker: registration decisions by e-mail, the daily
//! sweep of missed annual reports, and the e-mail to an organisation it listed.

use std::{future::Future, pin::Pin};

use entities::job;

use super::{
    annual::sweep::{self, AbnormalListingEmailJob, RegistryDailyJob},
    email::{self, RegistrationDecisionJob},
};
use crate::{
    jobs::{Job, JobHandler, handler::payload},
    state::AppState,
};

type Run<'a> = Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send + 'a>>;

pub const JOBS: &[JobHandler] = &[
    JobHandler {
        kind: RegistrationDecisionJob::KIND,
        run: registration_decision,
    },
    JobHandler {
        kind: RegistryDailyJob::KIND,
        run: daily_sweep,
    },
    JobHandler {
        kind: AbnormalListingEmailJob::KIND,
        run: abnormal_listing,
    },
];

fn registration_decision<'a>(state: &'a AppState, job: &'a job::Model) -> Run<'a> {
    Box::pin(async move { email::send_registration_decision(state, job.id, payload(job)?).await })
}

fn daily_sweep<'a>(state: &'a AppState, _job: &'a job::Model) -> Run<'a> {
    Box::pin(sweep::run_daily(state))
}

fn abnormal_listing<'a>(state: &'a AppState, job: &'a job::Model) -> Run<'a> {
    Box::pin(async move { sweep::send_abnormal_listing(state, job.id, payload(job)?).await })
}
