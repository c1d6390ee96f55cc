//! The data every layer shares: plain values, no I/O, and nothing else of the crate.

mod callback;
mod finding;

pub use callback::{CallbackConfig, Interface, Operation};
pub use finding::{Finding, Kind, Severity};
