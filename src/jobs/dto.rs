//! Job responses.

use chrono::{DateTime, Utc};
use entities::job;
use poem_openapi::{Enum, Object};
use uuid::Uuid;

/// A job's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum JobState {
    Queued,
    Running,
    Done,
    Failed,
}

impl JobState {
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => super::queue::QUEUED,
            JobState::Running => super::queue::RUNNING,
            JobState::Done => super::queue::DONE,
            JobState::Failed => super::queue::FAILED,
        }
    }
}

/// A job as platform administrators see it. The payload is not shown: it may name people.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct JobResponse {
    pub id: Uuid,
    pub kind: String,
    pub state: String,
    pub attempts: i32,
    pub max_attempts: i32,
    pub run_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl From<job::Model> for JobResponse {
    fn from(job: job::Model) -> Self {
        Self {
            id: job.id,
            kind: job.kind,
            state: job.state,
            attempts: job.attempts,
            max_attempts: job.max_attempts,
            run_at: job.run_at,
            last_error: job.last_error,
            created_at: job.created_at,
            finished_at: job.finished_at,
        }
    }
}

/// A page of jobs, newest first.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct JobList {
    pub items: Vec<JobResponse>,
    pub next_cursor: Option<String>,
}
