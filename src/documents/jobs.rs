//! The jobs the documents domain owns, for the worker.

use std::{future::Future, pin::Pin};

use entities::job;

use super::service::{DeleteObjectJob, delete_object_job};
use crate::{
    jobs::{Job, JobHandler, handler::payload},
    state::AppState,
};

pub const JOBS: &[JobHandler] = &[JobHandler {
    kind: DeleteObjectJob::KIND,
    run: delete_object,
}];

fn delete_object<'a>(
    state: &'a AppState,
    job: &'a job::Model,
) -> Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send + 'a>> {
    Box::pin(async move { delete_object_job(state, payload(job)?).await })
}
