//! socorg: a multi-tenant registry of social organisations and a marketplace in which governments
//! buy services from them.

pub mod accounts;
pub mod audit;
pub mod auth;
pub mod authz;
pub mod calendar;
pub mod cli;
pub mod clients;
pub mod clock;
pub mod config;
pub mod counters;
pub mod db;
pub mod demo;
pub mod disclosures;
pub mod documents;
pub mod error;
pub mod evaluations;
pub mod files;
pub mod http;
pub mod jobs;
pub mod keys;
pub mod mail;
pub mod portal;
pub mod ratelimit;
pub mod registry;
pub mod routes;
pub mod search;
pub mod startup;
pub mod state;
pub mod tenants;
#[cfg(test)]
mod testing;
pub mod types;
pub mod users;
pub mod worker;
