//! Documents: files kept in a [`DocumentStore`] (local folder by default, S3 in production) with
//! metadata in the database. Uploads stream within a size limit, are typed by their content
//! against an allow-list, hashed (SHA-256) and stored under server-generated keys; downloads go
//! through authorisation and verify the hash. Deleting a document removes its object by a job.

pub mod api;
pub mod dto;
pub mod jobs;
mod repo;
pub mod service;
pub mod sniff;
pub mod store;
pub mod upload;
mod zip;

pub use service::{DeleteObjectJob, DocumentError, delete_object_job};
pub use store::DocumentStore;
