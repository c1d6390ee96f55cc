//! What `apply` prints after its plan (report::plan): the consent messages, one line
//! per change, and the closing summary.

use super::plan::{by_hand, token_interface};
use super::printable;
use crate::model::redact::Redaction;
use crate::model::{Applied, CallbackConfig, Change, Failure, FileResults};

pub const DRY_RUN: &str = "dry run: nothing was changed\n";
pub const NOT_A_TERMINAL: &str =
    "refusing to change anything without --yes: stdin is not a terminal\n";
pub const DECLINED: &str = "declined: nothing was changed\n";
/// Appended to the error when no change could be attempted at all.
pub const NOTHING_CHANGED: &str = "nothing was changed\n";

/// The question asked on a terminal.
pub fn prompt(changes: usize) -> String {
    format!("apply these {changes} change(s)? [y/N] ")
}

/// One line per change, then the summary.
pub fn outcomes(changes: &[Change<'_>], applied: &[Applied], redaction: &Redaction) -> String {
    let mut text = String::new();
    for (change, result) in changes.iter().zip(applied) {
        text.push_str(&outcome_line(change, result, redaction));
    }
    text.push_str(&summary(applied));
    text.push('\n');
    text
}

/// The closing line: how many planned changes took effect, and how each app ended.
fn summary(applied: &[Applied]) -> String {
    let (mut in_sync, mut drifted, mut unread, mut not_changed, mut unknown) = (0, 0, 0, 0, 0);
    for result in applied {
        match result {
            Applied::Changed {
                converged: Ok(true),
                ..
            } => in_sync += 1,
            Applied::Changed {
                converged: Ok(false),
                ..
            } => drifted += 1,
            Applied::Changed {
                converged: Err(_), ..
            } => unread += 1,
            Applied::AlreadyInSync
            | Applied::ChangedSincePlan { .. }
            | Applied::NotChanged { .. } => not_changed += 1,
            Applied::Unknown { .. } => unknown += 1,
        }
    }
    if in_sync + drifted + unread + unknown == 0 {
        return format!(
            "apply: nothing was changed ({} planned)",
            plural(applied.len())
        );
    }
    let unread = if unread > 0 {
        format!(", {unread} changed but not read back")
    } else {
        String::new()
    };
    format!(
        "apply: {in_sync} changed and in sync, {drifted} changed but still drifted{unread}, \
         {not_changed} not changed, {unknown} unknown"
    )
}

/// More apps than this in the by-hand line are counted, not named.
const MAX_NAMED: usize = 10;

/// The run's last line when it exits 1 only for what apply never changes (Live's
/// token signing): which apps, and the call that sets it; `None` when there is none.
pub fn by_hand_line(runs: &[FileResults]) -> Option<String> {
    let apps: Vec<String> = runs
        .iter()
        .flat_map(|run| &run.results)
        .filter_map(|result| {
            let finding = by_hand(result).next()?;
            let to = finding
                .desired
                .as_deref()
                .map_or(String::new(), |desired| format!(" to {desired}"));
            Some(format!(
                "{} (token_auth: set it{to} with {})",
                printable(&result.app.label(), &[]),
                token_interface(result)
            ))
        })
        .collect();
    let (count, verb) = match apps.len() {
        0 => return None,
        1 => ("1 app".to_owned(), "needs"),
        n => (format!("{n} apps"), "need"),
    };
    let mut named = apps[..apps.len().min(MAX_NAMED)].join(", ");
    if apps.len() > MAX_NAMED {
        named.push_str(&format!(" and {} more", apps.len() - MAX_NAMED));
    }
    Some(format!(
        "exit 1: {count} {verb} a change apply cannot make: {named}\n"
    ))
}

fn plural(n: usize) -> String {
    if n == 1 {
        "1 app".into()
    } else {
        format!("{n} apps")
    }
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `now:` and a live configuration, as the plan shows bodies: JSON, URL redacted as
/// configured.
fn now_shown(live: Option<&CallbackConfig>, redaction: &Redaction) -> String {
    match live {
        None => "now: no callback configuration".into(),
        Some(config) => format!("now:\n{}", indent(&config.text(|url| redaction.url(url)))),
    }
}

/// The line that says what happened to one change.
fn outcome_line(change: &Change<'_>, applied: &Applied, redaction: &Redaction) -> String {
    use crate::model::Unknowable;
    let app = change.app.label();
    let failed = |failure: &Failure| format!("({}): {}", failure.class().id(), failure.message());
    match applied {
        Applied::AlreadyInSync => {
            format!("{app}: not changed: already in sync when cbcheck got to it\n")
        }
        Applied::ChangedSincePlan { now } => format!(
            "{app}: NOT changed: it changed since the plan was shown (run apply again); {}\n",
            now_shown(now.as_ref(), redaction)
        ),
        Applied::NotChanged {
            failure,
            confirmed: false,
        } => format!("{app}: NOT changed {}\n", failed(failure)),
        Applied::NotChanged {
            failure,
            confirmed: true,
        } => format!(
            "{app}: NOT changed when read back; its call failed {}\n",
            failed(failure)
        ),
        Applied::Unknown { failure, why } => {
            let why = match why {
                Unknowable::Unreadable(unreadable) => {
                    format!("reading it back failed too {}", failed(unreadable))
                }
                Unknowable::Neither(now) => format!(
                    "it reads back neither as it was nor as sent; {}",
                    now_shown(now.as_ref(), redaction)
                ),
            };
            format!(
                "{app}: unknown: {} failed {}; {why}\n",
                change.fix.path(),
                failed(failure)
            )
        }
        Applied::Changed { despite, converged } => {
            let how = change.fix.path();
            let changed = match despite {
                None => format!("changed with {how}"),
                Some(failure) => format!(
                    "changed (confirmed by read-back) with {how}, though its reply failed {}",
                    failed(failure)
                ),
            };
            match converged {
                Ok(true) => format!("{app}: {changed}; read back: in sync\n"),
                Ok(false) => {
                    format!("{app}: {changed}; read back: still drifted (run verify for details)\n")
                }
                Err(failure) => format!(
                    "{app}: {changed}; could not read it back: {}\n",
                    failure.message()
                ),
            }
        }
    }
}
