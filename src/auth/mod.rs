//! Accounts and sessions: password rules and hashing, login with throttling, bearer tokens,
//! logout, and turning a token into the [`Principal`](crate::authz::Principal) of a request.

pub mod api;
pub mod bearer;
mod dto;
pub mod password;
mod repo;
pub mod service;
pub mod throttle;
pub mod token;

pub use service::AuthError;
