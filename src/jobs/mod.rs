//! The job queue (outbox): side effects recorded as rows in the same transaction as the change
//! that causes them, run later by a worker with retries and backoff, parked as failed after too
//! many attempts. Every handler is safe to run twice: a job whose worker died after the effect
//! but before marking it done runs again once its lease expires.

pub mod api;
mod dto;
pub mod queue;
pub mod worker;

pub use queue::{Job, enqueue};
pub use worker::Worker;
