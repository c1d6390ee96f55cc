//! One integration-test binary (one link step) with a module per area.

mod support;

mod api;
mod apply_json;
mod apply_plan;
mod architecture;
mod audit;
mod cli;
mod config_rules;
mod credentials;
mod docs;
mod endpoints;
mod export_in_place;
mod formats;
mod inputs;
mod log_commands;
mod machine;
mod man;
mod net;
mod odd_text;
mod placeholders;
mod plan;
mod probe;
mod properties;
mod recipes;
mod reconcile;
mod report_paths;
mod runtime;
mod schema;
mod seams;
mod secrets;
mod services;
mod summary;
mod usersig;
mod verify;
mod verify_base;
