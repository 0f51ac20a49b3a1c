//! The register of social organisations: registration applications and their review, the
//! organisation record with its statuses and full history, change and deregistration
//! applications, and the disclosures each public step leaves.

pub mod annual;
pub mod bulk;
pub mod complaints;
pub mod email;
pub mod incubation;
pub mod model;
pub mod organisations;
pub mod registrations;
