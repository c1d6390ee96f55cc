//! Refreshing a callbacks file in place (`export --from`): only the values that
//! differ from live are rewritten, through the spans of the parsed tree; every other
//! byte (comments, order, `defaults`, anchors, quoting, line endings) stays.
//!
//! Shared values: an app that reads its callback, `url` or `commands` through an
//! alias (`*name`) gets an explicit value in place of the alias when what it must
//! hold differs from what the anchor will hold; the anchor itself belongs to the app
//! that defines it. A value that comes from a merge key (`<<: *name`) is refused,
//! naming its line: changing the merged mapping would change every app merging it.
//! `defaults` are never edited: an app that needs another `extra_commands` (a live
//! word outside the catalog) or `allow_insecure_url` gets the key in its own entry.
//!
//! `plan` says what each app's entry must hold; `entry` walks an entry value by value
//! and decides the edits (or refuses a layout it cannot change safely); `editor`
//! collects them as byte ranges and writes values in the style of the ones they
//! replace; `yaml` reads the parsed tree and the text around it.

mod editor;
mod entry;
mod plan;
#[cfg(test)]
mod tests;
mod yaml;

use std::collections::HashMap;

use super::App;
use super::node::{self, Node, Value};
use crate::model::file_text::LineIndex;
use editor::{Editor, line_ending};
use plan::{Plan, check};
use yaml::get;

/// What an app must declare after the refresh.
pub enum Want<'a> {
    /// Leave the entry as it is (its live URL cannot be declared).
    Keep,
    /// No configuration live: `callback: absent`.
    Absent,
    Present {
        /// The URL to write (`writer::declared_url`).
        url: &'a str,
        /// The live command words, in live order.
        commands: &'a [String],
    },
}

/// The edited text, and how many apps changed.
#[derive(Debug)]
pub struct Refreshed {
    pub text: String,
    pub changed: usize,
}

/// Why the file cannot be refreshed in place.
#[derive(Debug)]
pub struct EditError {
    /// The app, as reports name it.
    pub app: String,
    /// 1-based line of the value concerned.
    pub line: usize,
    pub reason: String,
}

/// Rewrite `text` (the file `apps` were loaded from, unmasked) so that each app
/// declares what `wants` says, in file order; `apps[i].token_auth` is the value a
/// declared `token_auth` must take.
pub fn refresh(text: &str, apps: &[App], wants: &[Want<'_>]) -> Result<Refreshed, EditError> {
    let lines = LineIndex::new(text);
    // App `i` and a reason, at the app's `sdkappid`.
    let error = |i: usize, reason: &str| EditError {
        app: apps.get(i).map(App::label).unwrap_or_default(),
        line: apps
            .get(i)
            .map_or(1, |app| lines.line_of(app.spans.sdkappid.offset()) + 1),
        reason: reason.to_owned(),
    };
    let not_loaded = || error(0, "the text is not the file the apps were loaded from");
    let root = node::parse(text).map_err(|_| not_loaded())?;
    let items = app_items(&root).ok_or_else(not_loaded)?;
    if items.len() != apps.len() || wants.len() != apps.len() {
        return Err(not_loaded());
    }
    let mut editor = Editor {
        text,
        lines: LineIndex::new(text),
        eol: line_ending(text),
        edits: Vec::new(),
        written: HashMap::new(),
        changed: vec![false; apps.len()],
    };
    let plans: Vec<Option<Plan<'_>>> = apps
        .iter()
        .zip(wants)
        .map(|(app, want)| Plan::new(app, want))
        .collect();
    // Values written where they are defined first: an app reading one through an
    // alias then compares with what the anchor will hold.
    for (i, ((item, app), plan)) in items.iter().zip(apps).zip(&plans).enumerate() {
        editor.direct(i, item, app, plan.as_ref())?;
    }
    for (i, (item, plan)) in items.iter().zip(&plans).enumerate() {
        editor.through_aliases(i, item, plan.as_ref());
    }
    let changed_apps = editor.changed.clone();
    let edited = editor
        .apply()
        .map_err(|i| error(i, "two changes to this app would overlap"))?;
    check(&edited, &plans, &changed_apps).map_err(|i| {
        error(
            i,
            "the edited file would not read back as live (a layout this edit does not handle)",
        )
    })?;
    Ok(Refreshed {
        text: edited,
        changed: changed_apps.iter().filter(|c| **c).count(),
    })
}

/// The entries of the `apps` list, in file order.
fn app_items(root: &Node) -> Option<&[Node]> {
    match &get(root, "apps")?.1.value {
        Value::Seq(items) => Some(items),
        _ => None,
    }
}
