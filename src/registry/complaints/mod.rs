//! Complaints (投诉举报): anyone may report a concern about an organisation; the registry
//! administrators of its tenant see, handle and close them. Never public.

pub mod api;
pub mod service;
