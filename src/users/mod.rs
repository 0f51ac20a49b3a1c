//! Users and their grants: accounts created by administrators, roles granted in a tenant,
//! existing accounts invited into a tenant (accepted or declined by their owners), disabling
//! accounts, and the first platform administrator created from the command line.

pub mod api;
mod dto;
mod error;
pub mod invitations;
mod repo;
pub mod service;

pub use dto::GrantView;
pub use error::UserError;
