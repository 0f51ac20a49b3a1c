//! Disclosure records (信息公开): every public event leaves one, shaped like a government
//! information-disclosure page: index number `<publisher code>/<year>-<sequence>`, category,
//! publisher, written and publication dates, document number, subject terms, title, body,
//! attachments and a link to what it concerns. Records are never edited; a correction is a new
//! record that supersedes the old one.

pub mod api;
mod dto;
pub mod feeds;
pub mod repo;
pub mod search_source;
pub mod service;

pub use service::{Category, NewDisclosure, publish};
