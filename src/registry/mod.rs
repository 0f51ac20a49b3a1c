//! The register of social organisations: registration applications and their review, the
//! organisation record with its statuses and full history, change and deregistration
//! applications, and the disclosures each public step leaves.

pub mod annual;
pub mod bulk;
pub mod complaints;
pub mod email;
pub mod incubation;
pub mod jobs;
pub mod model;
pub mod organisations;
pub mod registrations;
pub mod search_source;

/// Why an organisation cannot take a name: a registered organisation of its tenant has it.
const NAME_TAKEN: &str = "a registered organisation of this tenant already has this name";

/// The conflict when a check finds the name taken.
pub(crate) fn name_taken() -> crate::error::ApiError {
    crate::error::ApiError::conflict("name_taken", Some("name"), NAME_TAKEN)
}

/// The same conflict when the tenant's unique name index refuses a write (a race the check
/// lost); other database errors pass through.
pub(crate) fn name_taken_if_unique() -> impl FnOnce(sea_orm::DbErr) -> crate::error::ApiError {
    crate::error::ApiError::conflict_if_unique("name_taken", Some("name"), NAME_TAKEN)
}
