//! Black-box tests of the HTTP API, each on SQLite and on PostgreSQL.

#![allow(clippy::unwrap_used, reason = "a failing unwrap is a failing test")]

mod helpers;
mod services;

mod accounts;

mod audit;
mod auth;
mod authorization;
mod bulk;
mod cli;
mod demo;
mod documents;
mod errors;
mod evaluations;
mod feeds;
mod isolation;
mod jobs;
mod migrations;
mod ops;
mod portal;
mod registry;
mod registry_operations;
mod search;
mod tenants;
