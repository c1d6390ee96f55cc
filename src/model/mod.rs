//! The data every layer shares: plain values and pure functions on them, no I/O,
//! and nothing of the crate outside `model`.

/// An enum whose variants each have one name, written once: it is serde's name,
/// the one `$name()` returns, and `ALL` lists every variant (it cannot miss one).
macro_rules! named {
    (
        $(#[$meta:meta])*
        pub enum $enum:ident fn $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal, )*
        }
    ) => {
        $(#[$meta])*
        pub enum $enum {
            $( $(#[$vmeta])* #[serde(rename = $text)] $variant, )*
        }

        impl $enum {
            /// Every variant, in declaration order.
            #[allow(dead_code, reason = "not every enum is listed whole")]
            pub const ALL: [$enum; [$($text),*].len()] = [$($enum::$variant),*];

            /// The name every output and the callbacks file use.
            #[allow(dead_code, reason = "some enums are named by serde alone")]
            pub fn $name(self) -> &'static str {
                match self {
                    $($enum::$variant => $text,)*
                }
            }
        }
    };
}

mod allowed;
mod app;
mod apply;
mod callback;
pub mod catalog;
pub mod file_text;
mod finding;
pub mod key_names;
pub mod probe;
pub mod redact;
mod result;
pub mod run_info;
pub mod template;
pub mod tencent;
pub mod text;

pub use allowed::AllowedHost;
pub use app::{App, AppSpans, Config, DeclaredCommand, DesiredCallback, ExtraCommands};
pub use apply::{
    Action, AppOutcome, Applied, Change, CommandChanges, PlannedFrom, ReadBack, Unknowable,
    same_state, state_sha256,
};
pub use callback::{CallbackConfig, Interface, Operation, same_url};
pub use finding::{Finding, Kind, Severity};
pub use result::{
    AppResult, BaseMatch, BaseRun, ErrorClass, Failure, FileResults, Status, Summary, Undeclared,
};
pub use tencent::{Service, ServiceName};
