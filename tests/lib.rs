//! One integration-test binary (one link step) with a module per area.

mod support;

mod api;
mod audit;
mod cli;
mod config_rules;
mod credentials;
mod endpoints;
mod formats;
mod inputs;
mod net;
mod odd_text;
mod probe;
mod properties;
mod recipes;
mod reconcile;
mod schema;
mod secrets;
mod services;
mod usersig;
mod verify;
