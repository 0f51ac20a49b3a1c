//! Registration applications: `draft → submitted → approved | returned | rejected`,
//! `returned → submitted` after amendment, `submitted → withdrawn`.

pub mod api;
mod dto;
mod repo;
pub mod service;
