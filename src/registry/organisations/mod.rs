//! The organisation record: its public profile and private parts, its status, its full history,
//! and the applications through which it changes.

mod answers;
pub mod api;
mod changes;
mod documents;
mod dto;
mod existing;
mod members;
pub mod repo;
pub mod service;
pub(crate) mod status;
