//! `apply` as data: each planned change, what it does, and what happened to it.

use std::collections::HashSet;

use schemars::JsonSchema;
use serde::Serialize;

use super::{App, CallbackConfig, Failure, Operation};

/// One planned call, and the live state it was planned from.
pub struct Change<'a> {
    pub app: &'a App,
    pub fix: &'a Operation,
    /// What get_callback answered when the plan was made (`None`: absent).
    pub planned_from: Option<&'a CallbackConfig>,
}

named! {
/// What the plan does to an app's callback configuration, as `terraform plan` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
pub enum Action fn id {
    /// There is none live: set_callback creates it.
    Create = "create",
    /// One is live and differs: update_callback (set_callback for Call) replaces it.
    Update = "update",
    /// The file says `callback: absent`: delete_callback removes the live one.
    Delete = "delete",
    /// Nothing is sent: the callback is as declared (a token may still need a person).
    Unchanged = "unchanged",
    /// The app could not be read: nothing is planned for it.
    Failed = "failed",
}
}

impl Action {
    /// The action of a planned call, from the state it was planned from: the
    /// interface alone does not tell (Call replaces with set_callback).
    pub fn of(fix: &Operation, planned_from: Option<&CallbackConfig>) -> Action {
        match (&fix.body, planned_from) {
            (None, _) => Action::Delete,
            (Some(_), None) => Action::Create,
            (Some(_), Some(_)) => Action::Update,
        }
    }
}

named! {
/// How `apply` left an app, as its JSON document names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
pub enum AppOutcome fn id {
    /// The call took effect (`read_back` says whether the app is now in sync).
    Changed = "changed",
    /// Nothing was needed: the app was in sync when planned, or when cbcheck got to it.
    InSync = "in_sync",
    /// The planned call was not made, or was refused, or failed and the app reads back
    /// as it was: `reasons` and `error` say why.
    NotChanged = "not_changed",
    /// The call failed, and whether it took effect cannot be told.
    Unknown = "unknown",
    /// Nothing apply can send: only a change by hand is left (Live's `token_auth`).
    ByHand = "by_hand",
    /// The app could not be read: nothing was planned for it.
    Failed = "failed",
}
}

named! {
/// What reading an app back after its call found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
pub enum ReadBack fn id {
    /// As the file says.
    InSync = "in_sync",
    /// Changed, but still not as the file says.
    Drifted = "drifted",
    /// As it was before the failed call: it did not take effect.
    AsBefore = "as_before",
    /// Neither as it was nor as sent.
    Neither = "neither",
    /// Reading it back failed.
    Unreadable = "unreadable",
}
}

/// How a call changes the command list, each word once, in file order: what is added
/// (the body's order: the file's, then the live extras it keeps), what is removed (the
/// live order), and how many stay.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct CommandChanges<'a> {
    pub added: Vec<&'a str>,
    pub removed: Vec<&'a str>,
    pub kept: usize,
}

impl<'a> CommandChanges<'a> {
    pub fn between(live: &'a [String], sent: &'a [String]) -> CommandChanges<'a> {
        let mut changes = CommandChanges::default();
        // Sets, not scans: linear in the two lists.
        let live_words: HashSet<&str> = live.iter().map(String::as_str).collect();
        let mut seen: HashSet<&str> = HashSet::new();
        for word in sent {
            if !seen.insert(word) {
                continue;
            }
            if live_words.contains(word.as_str()) {
                changes.kept += 1;
            } else {
                changes.added.push(word);
            }
        }
        for word in live {
            if seen.insert(word) {
                changes.removed.push(word);
            }
        }
        changes
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn words(list: &[&str]) -> Vec<String> {
        list.iter().map(|w| (*w).to_owned()).collect()
    }

    #[test]
    fn command_changes_follow_the_file_then_the_live_order_each_word_once() {
        let live = words(&["D", "B", "A", "D"]);
        let sent = words(&["C", "A", "E", "C", "B"]);
        assert_eq!(
            CommandChanges::between(&live, &sent),
            CommandChanges {
                added: vec!["C", "E"],
                removed: vec!["D"],
                kept: 2,
            }
        );
        let create = CommandChanges::between(&[], &sent);
        assert_eq!((create.added, create.kept), (vec!["C", "A", "E", "B"], 0));
        let delete = CommandChanges::between(&live, &[]);
        assert_eq!((delete.removed, delete.kept), (vec!["D", "B", "A"], 0));
    }
}
