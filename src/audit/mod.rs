//! The append-only, keyed, hash-chained audit log.
//!
//! Every state change inserts an [`AuditEvent`] in its own transaction, marked with a key derived
//! from the master key; nothing else is touched, so writers of different tenants (or of one busy
//! tenant) never wait on a shared row. A sealer then chains the committed, marked events in the
//! order it finds them (`seq`, `prev_hash`, and an HMAC link in `hash`), holding the single head row
//! only while it seals, and writes a signed checkpoint of the head outside the database.
//! `socorg audit verify` walks the chain and reports the first broken link.
//!
//! What it detects, against someone who can write the database but does not have the master key:
//! any edit of a sealed event (even with every later hash recomputed), deletion or reordering
//! inside the chain, events removed from the end with the head rolled back (up to the last
//! checkpoint, written within a second of sealing), a row inserted or edited before sealing
//! (never sealed, and reported). What it cannot detect: events removed or edited in the second
//! between their commit and their sealing *and* checkpoint together; a database and checkpoint
//! both rolled back to an earlier genuine pair; anything done by someone holding the master key.

pub mod api;
mod chain;
pub mod checkpoint;
mod dto;
pub mod listing;
pub(crate) mod repo;
pub mod service;

/// The link of the chain before it was keyed (for upgrade tests).
#[doc(hidden)]
pub use chain::unkeyed_link;
pub use chain::{AuditKey, BrokenLink, VerifyReport};
pub use service::{
    AuditEvent, Sealed, prepare_chain, record, seal_and_checkpoint, seal_pending, verify,
};
