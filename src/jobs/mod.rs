//! The job queue (outbox): side effects recorded as rows in the same transaction as the change
//! that causes them, run later by a worker with retries and backoff, parked as failed after too
//! many attempts. The worker sits at the top of the house and runs the handlers each domain
//! lists (`handler::JobHandler`). Every handler is safe to run twice: a job whose worker died
//! after the effect but before marking it done runs again once its lease expires.

pub mod api;
mod dto;
pub mod handler;
pub mod queue;

pub use handler::JobHandler;
pub use queue::{Job, enqueue};
