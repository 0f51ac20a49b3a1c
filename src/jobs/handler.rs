//! What a domain hands the worker for each kind of job it owns: the kind and the function that
//! runs one. Each domain lists its own (`JOBS`); the worker, at the top, gathers the lists, so
//! that no room below it needs to know every kind.

use std::{future::Future, pin::Pin};

use entities::job;

use crate::state::AppState;

/// Runs one job (its payload is the job's JSON); an error retries it, or parks it at the last
/// attempt.
pub type RunJob = for<'a> fn(
    &'a AppState,
    &'a job::Model,
) -> Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send + 'a>>;

/// One kind of job and how to run it.
#[derive(Clone, Copy)]
pub struct JobHandler {
    pub kind: &'static str,
    pub run: RunJob,
}

/// The payload of `job` as the job type it was enqueued as.
pub fn payload<T: serde::de::DeserializeOwned>(job: &job::Model) -> anyhow::Result<T> {
    Ok(serde_json::from_str(&job.payload)?)
}
