//! sea-orm entities, one module per table. No HTTP types and no business rules live here.

pub mod account_token;
pub mod audit_chain_head;
pub mod audit_event;
pub mod document;
pub mod grant;
pub mod job;
pub mod login_throttle;
pub mod session;
pub mod tenant;
pub mod user;
