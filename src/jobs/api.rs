//! `/api/v1/admin/jobs` (platform administrators).

use poem_openapi::{
    OpenApi, Tags,
    param::{Path, Query},
    payload::Json,
};
use uuid::Uuid;

use super::{
    dto::{JobList, JobResponse, JobState},
    queue,
};
use crate::auth::bearer::BearerAuth;
use crate::{
    error::{ApiError, ApiResult},
    http::paging::PageRequest,
    state::AppState,
};

#[derive(Tags)]
enum JobTags {
    /// The background job queue.
    Jobs,
}

pub struct JobApi {
    state: AppState,
}

impl JobApi {
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

#[OpenApi(tag = "JobTags::Jobs")]
impl JobApi {
    /// Jobs, newest first, with their state, attempts and last error.
    #[oai(path = "/admin/jobs", method = "get", operation_id = "list_jobs")]
    async fn list_jobs(
        &self,
        auth: BearerAuth,
        state: Query<Option<JobState>>,
        kind: Query<Option<String>>,
        limit: Query<Option<crate::http::paging::Limit>>,
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<JobList>> {
        let principal = auth.principal(&self.state).await?;
        principal.require_platform_admin()?;
        let page = PageRequest::parse(limit.0.map(crate::http::paging::Limit::get), cursor.0)?;
        let before = page.after_as::<Uuid>()?;
        let jobs = queue::list(
            &self.state.db,
            state.0.map(JobState::as_str),
            kind.0.as_deref(),
            before,
            page.fetch_limit(),
        )
        .await?;
        let (jobs, next_cursor) = page.finish(jobs, |job| job.id.to_string());
        Ok(Json(JobList {
            items: jobs.into_iter().map(Into::into).collect(),
            next_cursor,
        }))
    }

    /// Put a failed job back in the queue with a fresh set of attempts.
    #[oai(
        path = "/admin/jobs/:id/retry",
        method = "post",
        operation_id = "retry_job"
    )]
    async fn retry_job(&self, auth: BearerAuth, id: Path<Uuid>) -> ApiResult<Json<JobResponse>> {
        let principal = auth.principal(&self.state).await?;
        principal.require_platform_admin()?;
        let now = self.state.clock.now();
        if !queue::retry(&self.state.db, id.0, now).await? {
            return match queue::find(&self.state.db, id.0).await? {
                Some(_) => Err(ApiError::conflict(
                    "job_not_failed",
                    None,
                    "only failed jobs can be retried",
                )),
                None => Err(ApiError::not_found()),
            };
        }
        let job = queue::find(&self.state.db, id.0)
            .await?
            .ok_or_else(ApiError::not_found)?;
        Ok(Json(job.into()))
    }
}
