//! The append-only, hash-chained audit log.
//!
//! Every state change inserts an [`AuditEvent`] in its own transaction; nothing else is touched, so
//! writers of different tenants (or of one busy tenant) never wait on a shared row. A sealer then
//! chains the committed events in the order it finds them (`seq`, `prev_hash`, `hash`), holding the
//! single head row only while it seals; `socorg audit verify` walks the chain and reports the first
//! broken link after any edit, deletion or reordering.

pub mod api;
mod chain;
mod dto;
pub(crate) mod repo;
pub mod service;

pub use chain::{BrokenLink, VerifyReport};
pub use service::{AuditEvent, record, seal_pending, verify};
