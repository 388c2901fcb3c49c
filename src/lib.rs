//! fieldnotes: survey and interview capture for customer profiling.
#![forbid(unsafe_code)]

pub mod allow;
pub mod analysis;
pub mod api;
pub mod app;
pub mod auth;
pub mod backup;
pub mod config;
pub mod contacts;
pub mod durable;
pub mod export;
pub mod form;
pub mod health;
pub mod i18n;
pub mod interview;
pub mod invitations;
pub mod limits;
pub mod mail;
pub mod migrate;
pub mod offline;
pub mod profiles;
pub mod report;
pub mod responses;
pub mod retention;
pub mod store;
pub mod tally;
pub mod texts;
pub mod web;
pub mod webhooks;
