//! The worker: claims due jobs, runs each with the handler its domain lists for its kind, and
//! records the outcome. It sits at the top of the house: it alone gathers every domain's jobs.

use std::{future::Future, time::Duration as StdDuration};

use chrono::Duration;
use entities::job;
use sea_orm::DbErr;
use tracing::{info, instrument, warn};

use crate::{
    jobs::{JobHandler, queue},
    state::AppState,
};

/// Every domain's jobs.
fn handlers() -> impl Iterator<Item = &'static JobHandler> {
    [
        crate::accounts::jobs::JOBS,
        crate::documents::jobs::JOBS,
        crate::registry::jobs::JOBS,
        crate::evaluations::jobs::JOBS,
    ]
    .into_iter()
    .flatten()
}

/// Jobs claimed per round.
const BATCH: u64 = 10;
/// How often the queue is polled when idle.
const POLL: StdDuration = StdDuration::from_millis(500);

pub struct Worker {
    state: AppState,
    node: String,
}

/// What one pass over the queue did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct WorkerPass {
    pub succeeded: usize,
    pub retried: usize,
    pub parked: usize,
}

impl Worker {
    pub fn new(state: AppState) -> Self {
        let mut suffix = [0_u8; 4];
        let _ = getrandom::fill(&mut suffix);
        let host = hostname();
        Self {
            node: format!("{host}-{}-{}", std::process::id(), hex::encode(suffix)),
            state,
        }
    }

    /// Runs every job that is due now, batch after batch, until none is left.
    pub async fn run_due(&self) -> Result<WorkerPass, DbErr> {
        let mut pass = WorkerPass::default();
        let lease = Duration::seconds(i64::from(self.state.config.job_lease_seconds));
        loop {
            let now = self.state.clock.now();
            let jobs = queue::claim(&self.state.db, now, lease, &self.node, BATCH).await?;
            if jobs.is_empty() {
                return Ok(pass);
            }
            for job in jobs {
                self.run_one(&job, &mut pass).await?;
            }
        }
    }

    #[instrument(skip(self, job, pass), fields(job_id = %job.id, kind = %job.kind, attempt = job.attempts))]
    async fn run_one(&self, job: &job::Model, pass: &mut WorkerPass) -> Result<(), DbErr> {
        match execute(&self.state, job).await {
            Ok(()) => {
                queue::complete(&self.state.db, job, self.state.clock.now()).await?;
                pass.succeeded += 1;
            }
            Err(error) => {
                let message = format!("{error:#}");
                let parked =
                    queue::fail(&self.state.db, job, &message, self.state.clock.now()).await?;
                self.state.metrics.job_failed(&job.kind);
                if parked {
                    warn!(error = %message, "job failed for the last time; parked");
                    pass.parked += 1;
                } else {
                    info!(error = %message, "job failed; will retry");
                    pass.retried += 1;
                }
            }
        }
        Ok(())
    }

    /// Polls the queue until `shutdown` resolves; a job in progress is finished first.
    pub async fn run_until(self, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        info!(node = %self.node, "job worker started");
        loop {
            if let Err(error) = self.run_due().await {
                warn!(%error, "job worker could not reach the database");
            }
            tokio::select! {
                () = &mut shutdown => break,
                () = tokio::time::sleep(POLL) => {}
            }
        }
        info!("job worker stopped");
    }
}

async fn execute(state: &AppState, job: &job::Model) -> anyhow::Result<()> {
    match handlers().find(|handler| handler.kind == job.kind) {
        Some(handler) => (handler.run)(state, job).await,
        None => anyhow::bail!("no handler for jobs of kind `{}`", job.kind),
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "node".to_owned())
}
