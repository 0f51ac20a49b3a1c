//! Evaluations (评估): rubrics as data, and the aggregation of a panel's scores into a total and
//! a grade (5A…1A). Campaigns, material, assessors, publicity and review build on these.

pub mod rubric;
pub mod scoring;
