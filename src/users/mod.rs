//! Users and their grants: accounts created by administrators, roles granted in a tenant,
//! disabling accounts, and the first platform administrator created from the command line.

pub mod api;
mod dto;
mod repo;
pub mod service;

pub use dto::GrantView;
pub use service::UserError;
