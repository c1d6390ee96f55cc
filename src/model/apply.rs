//! `apply` as data: each planned change, what it does, and what happened to it.

use std::collections::{BTreeSet, HashSet};

use schemars::JsonSchema;
use serde::Serialize;

use super::{App, CallbackConfig, Failure, Operation};

/// One planned call, and the live state it was planned from.
pub struct Change<'a> {
    pub app: &'a App,
    pub fix: &'a Operation,
    pub planned_from: PlannedFrom<'a>,
}

/// The live state a change was planned from, as apply compares the app read again
/// just before its write.
#[derive(Debug, Clone, Copy)]
pub enum PlannedFrom<'a> {
    /// What get_callback answered when this run made the plan (`None`: absent).
    Read(Option<&'a CallbackConfig>),
    /// A saved plan's [`state_sha256`] of that answer (`apply --plan`).
    Digest(&'a str),
}

impl PlannedFrom<'_> {
    /// Whether `now` is still the state the plan was made from.
    pub fn is(&self, now: Option<&CallbackConfig>) -> bool {
        match self {
            PlannedFrom::Read(then) => same_state(now, *then),
            PlannedFrom::Digest(then) => state_sha256(now) == *then,
        }
    }
}

/// A live configuration as two reads of it compare: present or absent, the URL
/// exactly as returned, the set of command words (the vendor's order and repetitions
/// carry no meaning).
fn state(config: Option<&CallbackConfig>) -> Option<(&str, BTreeSet<&str>)> {
    config.map(|c| {
        (
            c.url.as_str(),
            c.commands.iter().map(String::as_str).collect(),
        )
    })
}

/// Two reads of the same app show the same configuration ([`state`]).
pub fn same_state(a: Option<&CallbackConfig>, b: Option<&CallbackConfig>) -> bool {
    state(a) == state(b)
}

/// The SHA-256 (hex) of a live configuration's [`state`], unredacted: `null`, or
/// `["<url>", ["<word>", ...]]` with the words sorted and each once, as compact JSON.
/// Two configurations have the same digest exactly when [`same_state`] holds.
pub fn state_sha256(config: Option<&CallbackConfig>) -> String {
    let canonical = serde_json::to_vec(&state(config)).expect("strings and sets serialise");
    super::run_info::sha256_hex(&canonical)
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

    fn live(url: &str, commands: &[&str]) -> CallbackConfig {
        CallbackConfig {
            url: url.into(),
            commands: words(commands),
        }
    }

    #[test]
    fn the_same_state_ignores_command_order_and_repetition_only() {
        let a = live("https://h.example.com/cb", &["X", "Y"]);
        let same = live("https://h.example.com/cb", &["Y", "X", "Y"]);
        assert!(same_state(Some(&a), Some(&same)));
        assert_eq!(state_sha256(Some(&a)), state_sha256(Some(&same)));
        assert!(same_state(None, None));
        assert!(!same_state(Some(&a), None));
        assert!(!same_state(None, Some(&a)));
        assert_ne!(state_sha256(Some(&a)), state_sha256(None));
        for other in [
            live("https://h.example.com/cb", &["X", "Y", "Z"]),
            live("https://h.example.com/cb", &["X"]),
            live("https://H.example.com/cb", &["X", "Y"]),
            live("https://h.example.com/cb?t=1", &["X", "Y"]),
            // No concatenation of the parts makes two states one.
            live("https://h.example.com/cbX", &["Y"]),
        ] {
            assert!(!same_state(Some(&a), Some(&other)), "{other:?}");
            assert_ne!(state_sha256(Some(&a)), state_sha256(Some(&other)));
        }
        assert!(PlannedFrom::Digest(&state_sha256(Some(&a))).is(Some(&same)));
        assert!(!PlannedFrom::Digest(&state_sha256(None)).is(Some(&a)));
        assert!(PlannedFrom::Read(Some(&a)).is(Some(&same)));
    }

    #[test]
    fn the_state_digest_is_pinned() {
        // A saved plan carries it: a change to the canonical form breaks every plan.
        assert_eq!(
            state_sha256(None),
            super::super::run_info::sha256_hex(b"null")
        );
        assert_eq!(
            state_sha256(Some(&live("https://h/cb", &["B", "A", "B"]))),
            super::super::run_info::sha256_hex(br#"["https://h/cb",["A","B"]]"#)
        );
    }

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
