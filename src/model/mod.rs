//! The data every layer shares: plain values and pure functions on them, no I/O,
//! and nothing of the crate outside `model`.

mod app;
mod callback;
mod finding;
pub mod redact;
pub mod region;
mod result;
pub mod source;

pub use app::{App, AppSpans, Config, DeclaredCommand, DesiredCallback, ExtraCommands};
pub use callback::{CallbackConfig, Interface, Operation};
pub use finding::{Finding, Kind, Severity};
pub use result::{AppResult, ErrorClass, Failure, Run, Status, Summary};
