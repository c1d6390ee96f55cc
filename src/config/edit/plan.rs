//! What an app's entry must hold after the refresh, from the live side, and the
//! comparisons with what it holds: before the edit (what differs) and after it (the
//! edited text read back).

use super::App;
use super::Want;
use super::app_items;
use super::yaml::{get, is_absent, str_of};
use crate::config::node::{self, Node, Value};
use crate::model::ExtraCommands;

/// What one app's entry must say, from the live side.
pub(super) struct Plan<'a> {
    pub(super) callback: Option<(&'a str, Vec<&'a str>)>,
    pub(super) allow_insecure_url: bool,
    pub(super) extra_commands: Option<ExtraCommands>,
    pub(super) token_auth: Option<&'static str>,
}

impl<'a> Plan<'a> {
    pub(super) fn new(app: &App, want: &Want<'a>) -> Option<Plan<'a>> {
        let callback = match want {
            Want::Keep => return None,
            Want::Absent => None,
            Want::Present { url, commands } => {
                let mut known: Vec<&str> = Vec::new();
                for word in commands.iter().filter(|w| app.knows(w)) {
                    if !known.contains(&word.as_str()) {
                        known.push(word);
                    }
                }
                Some((*url, known))
            }
        };
        let (insecure, unknown) = match want {
            Want::Present { url, commands } => (
                url::Url::parse(url).is_ok_and(|u| u.scheme() == "http"),
                commands.iter().any(|w| !app.knows(w)),
            ),
            _ => (false, false),
        };
        Some(Plan {
            callback,
            allow_insecure_url: insecure && !app.allow_insecure_url,
            // An unknown live word cannot be declared; `warn` keeps it reported without failing.
            extra_commands: (unknown && app.extra_commands == ExtraCommands::Error)
                .then_some(ExtraCommands::Warn),
            token_auth: app
                .spans
                .token_auth
                .and(app.token_auth)
                .map(|enabled| if enabled { "enabled" } else { "disabled" }),
        })
    }
}

/// Read the edited text back: every app must hold exactly what it was meant to. The
/// app that does not (the first changed one when the text does not parse).
pub(super) fn check(
    edited: &str,
    plans: &[Option<Plan<'_>>],
    changed: &[bool],
) -> Result<(), usize> {
    let first_changed = changed.iter().position(|c| *c).unwrap_or(0);
    let root = node::parse(edited).map_err(|_| first_changed)?;
    let items = app_items(&root).ok_or(first_changed)?;
    for (i, (item, plan)) in items.iter().zip(plans).enumerate() {
        let Some(plan) = plan else {
            continue;
        };
        let value_of = |name: &str| get(item, name).and_then(|(_, v)| str_of(v));
        let callback = get(item, "callback").map(|(_, v)| v);
        let ok = callback.is_some_and(|cb| match &plan.callback {
            None => is_absent(cb),
            Some((url, commands)) => {
                get(cb, "url").and_then(|(_, n)| str_of(n)) == Some(*url)
                    && get(cb, "commands").map(|(_, n)| words(n)) == Some(sorted(commands))
            }
        }) && (!plan.allow_insecure_url
            || get(item, "allow_insecure_url")
                .is_some_and(|(_, v)| matches!(v.value, Value::Bool(true))))
            && plan
                .extra_commands
                .is_none_or(|p| value_of("extra_commands") == Some(p.name()))
            && plan
                .token_auth
                .is_none_or(|word| value_of("token_auth") == Some(word));
        if !ok {
            return Err(i);
        }
    }
    Ok(())
}

/// Whether an entry reached through an alias would have to change.
pub(super) fn app_differs(item: &Node, plan: &Plan<'_>) -> bool {
    plan.allow_insecure_url
        || plan.extra_commands.is_some()
        || get(item, "callback").is_some_and(|(_, v)| callback_differs(v, plan))
}

pub(super) fn callback_differs(value: &Node, plan: &Plan<'_>) -> bool {
    match &plan.callback {
        None => !is_absent(value),
        Some((url, commands)) => {
            get(value, "url").and_then(|(_, n)| str_of(n)) != Some(*url)
                || get(value, "commands").map(|(_, n)| words(n)) != Some(sorted(commands))
        }
    }
}

/// The kept words in file order, then the new ones in live order.
pub(super) fn ordered<'w>(file: &[&'w str], live: &[&'w str]) -> Vec<&'w str> {
    let mut list: Vec<&str> = Vec::with_capacity(live.len());
    for word in file.iter().chain(live) {
        if live.contains(word) && !list.contains(word) {
            list.push(word);
        }
    }
    list
}

pub(super) fn sorted(words: &[&str]) -> Vec<String> {
    let mut words: Vec<String> = words.iter().map(|w| (*w).to_owned()).collect();
    words.sort();
    words.dedup();
    words
}

/// A sequence's string items, sorted and without repeats.
pub(super) fn words(seq: &Node) -> Vec<String> {
    match &seq.value {
        Value::Seq(items) => sorted(&items.iter().filter_map(str_of).collect::<Vec<_>>()),
        _ => Vec::new(),
    }
}
