//! sea-orm entities, one module per table. No HTTP types and no business rules live here.

pub mod account_token;
pub mod annual_report;
pub mod audit_chain_head;
pub mod audit_event;
pub mod complaint;
pub mod counter;
pub mod disclosure;
pub mod document;
pub mod grant;
pub mod incubation_group;
pub mod incubation_report;
pub mod job;
pub mod login_throttle;
pub mod organisation;
pub mod organisation_application;
pub mod organisation_event;
pub mod registration_application;
pub mod registry_setting;
pub mod search_change;
pub mod serious_violation_flag;
pub mod session;
pub mod tenant;
pub mod user;
