//! One integration-test binary (one link step) with a module per area.

mod support;

mod api;
mod cli;
mod config_rules;
mod credentials;
mod formats;
mod odd_text;
mod properties;
mod recipes;
mod reconcile;
mod schema;
mod usersig;
mod verify;
