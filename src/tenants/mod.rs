//! Tenants: civil-affairs jurisdictions at any depth (city → district → street → community).
//! Tenants themselves are public; what they hold is private to their administrators and to the
//! administrators of their ancestors (read only).

pub mod api;
mod dto;
pub mod repo;
pub mod service;

pub use service::{TenantError, TenantRef};
