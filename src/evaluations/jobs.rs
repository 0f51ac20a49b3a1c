//! The jobs the evaluations domain owns, for the worker: its e-mails, the end of a result's
//! publicity, and a grade's expiry.

use std::{future::Future, pin::Pin};

use entities::job;

use super::{
    email::{self, EvaluationEmailJob},
    grades::{self, GradeExpiryJob},
    publicity::{self, FinaliseJob},
};
use crate::{
    jobs::{Job, JobHandler, handler::payload},
    state::AppState,
};

type Run<'a> = Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send + 'a>>;

pub const JOBS: &[JobHandler] = &[
    JobHandler {
        kind: EvaluationEmailJob::KIND,
        run: evaluation_email,
    },
    JobHandler {
        kind: FinaliseJob::KIND,
        run: finalise,
    },
    JobHandler {
        kind: GradeExpiryJob::KIND,
        run: grade_expiry,
    },
];

fn evaluation_email<'a>(state: &'a AppState, job: &'a job::Model) -> Run<'a> {
    Box::pin(async move { email::send(state, job.id, payload(job)?).await })
}

fn finalise<'a>(state: &'a AppState, job: &'a job::Model) -> Run<'a> {
    Box::pin(async move { publicity::finalise(state, payload(job)?).await })
}

fn grade_expiry<'a>(state: &'a AppState, job: &'a job::Model) -> Run<'a> {
    Box::pin(async move { grades::run_expiry(state, payload(job)?).await })
}
