//! `apply` as data: each planned change, and what happened to it.

use super::{App, CallbackConfig, Failure, Operation};

/// One planned call, and the live state it was planned from.
pub struct Change<'a> {
    pub app: &'a App,
    pub fix: &'a Operation,
    /// What get_callback answered when the plan was made (`None`: absent).
    pub planned_from: Option<&'a CallbackConfig>,
}

/// What happened to one planned change.
pub enum Applied {
    /// Nothing was sent: someone made the app match the file meanwhile.
    AlreadyInSync,
    /// Nothing was sent: the app is no longer what the plan was made from.
    ChangedSincePlan { now: Option<CallbackConfig> },
    /// Not changed: nothing was sent (the app could not be signed for or read again),
    /// the vendor refused the write, or the write failed and reading the app back found
    /// it as it was (`confirmed`).
    NotChanged { failure: Failure, confirmed: bool },
    /// The write took effect: its reply said so, or its reply failed (`despite`) and
    /// reading back found what was sent. `converged` says whether the read-back
    /// found the app in sync.
    Changed {
        despite: Option<Failure>,
        converged: Result<bool, Failure>,
    },
    /// The write failed, and whether it took effect cannot be told.
    Unknown { failure: Failure, why: Unknowable },
}

/// Why the outcome of a failed write is not known.
pub enum Unknowable {
    /// Reading the app back failed too.
    Unreadable(Failure),
    /// It reads back neither as it was before the write nor as sent.
    Neither(Option<CallbackConfig>),
}
