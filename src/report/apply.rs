//! What `apply` prints after its plan (report::plan): the consent messages, one line
//! per change, and the closing summary.

use schemars::JsonSchema;
use serde::Serialize;

use super::json::ErrorReport;
use super::plan::{ByHand, by_hand, by_hand_entries, token_interface};
use super::printable;
use super::problem::Problem;
use crate::model::redact::Redaction;
use crate::model::{
    AppOutcome, AppResult, Applied, CallbackConfig, Change, Failure, FileResults, ReadBack,
    ServiceName, Unknowable,
};

/// The JSON outcome's own format version: it changes when the document changes
/// incompatibly.
pub const APPLY_VERSION: u32 = 1;

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
            let to = finding.desired.as_deref().map_or(String::new(), |desired| {
                format!(" to {}", printable(desired, &[]))
            });
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
    format!(
        "{}: {}\n",
        change.app.label(),
        outcome_text(change, applied, redaction)
    )
}

/// What happened to one change, without the app.
fn outcome_text(change: &Change<'_>, applied: &Applied, redaction: &Redaction) -> String {
    let failed = |failure: &Failure| format!("({}): {}", failure.class().id(), failure.message());
    match applied {
        Applied::AlreadyInSync => "not changed: already in sync when cbcheck got to it".to_owned(),
        Applied::ChangedSincePlan { now } => format!(
            "NOT changed: it changed since the plan was shown (run apply again); {}",
            now_shown(now.as_ref(), redaction)
        ),
        Applied::NotChanged {
            failure,
            confirmed: false,
        } => format!("NOT changed {}", failed(failure)),
        Applied::NotChanged {
            failure,
            confirmed: true,
        } => format!(
            "NOT changed when read back; its call failed {}",
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
                "unknown: {} failed {}; {why}",
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
                Ok(true) => format!("{changed}; read back: in sync"),
                Ok(false) => {
                    format!("{changed}; read back: still drifted (run verify for details)")
                }
                Err(failure) => format!("{changed}; could not read it back: {}", failure.message()),
            }
        }
    }
}

/// What `cbcheck apply --yes --format json` did.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "cbcheck apply outcome")]
pub struct ApplyReport {
    /// The document's format version.
    #[schemars(extend("const" = APPLY_VERSION))]
    pub version: u32,
    /// The callbacks files applied, in the order given.
    pub files: Vec<String>,
    pub summary: ApplySummary,
    /// One entry per selected app, in file order; empty when the run stopped before
    /// any app was read.
    pub apps: Vec<AppliedApp>,
    /// The files' own diagnostics (as `cbcheck lint` reports them), then what stopped
    /// the run, if anything. An error among them means nothing was changed.
    pub diagnostics: Vec<Problem>,
}

/// Apps by outcome (each app counted once), and how many still need a person.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplySummary {
    pub apps: usize,
    pub changed: usize,
    pub in_sync: usize,
    pub not_changed: usize,
    pub unknown: usize,
    pub by_hand: usize,
    pub failed: usize,
    /// Apps left with a change apply does not make (Live's token signing), whatever
    /// their outcome.
    pub needs_by_hand: usize,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AppliedApp {
    /// The file that declares the app.
    pub file: String,
    pub name: Option<String>,
    pub sdkappid: u64,
    /// Whose callback configuration this is: `room`, `live` or `call`.
    pub service: ServiceName,
    pub outcome: AppOutcome,
    /// The REST interface of the planned call, e.g. `v4/room_config/update_callback`;
    /// null when no call was planned.
    pub interface: Option<String>,
    /// What reading the app back after its call found; null when it was not read back
    /// (no call was made, or the reply said the call took effect and the read-back is
    /// in `reasons`).
    pub read_back: Option<ReadBack>,
    /// What happened, for a person (URLs redacted unless --show-secrets); empty for an
    /// app that was in sync.
    pub reasons: Vec<String>,
    /// What a person must still change with another interface (apply never does).
    pub by_hand: Vec<ByHand>,
    /// The failure behind the outcome: why the app could not be read, why its call
    /// failed, or why it could not be read back; null when nothing failed.
    pub error: Option<ErrorReport>,
}

/// The document over `files`: each app of `runs` with what happened to its change, if
/// one was planned (`changes` and `applied` go together); `problems` are the files'
/// diagnostics and what stopped the run (when it stopped, `runs` is empty).
pub fn report(
    files: &[String],
    runs: &[FileResults],
    changes: &[Change<'_>],
    applied: &[Applied],
    problems: &[Problem],
) -> ApplyReport {
    let mut summary = ApplySummary::default();
    let mut apps = Vec::new();
    for run in runs {
        for result in &run.results {
            let done = changes
                .iter()
                .zip(applied)
                .find(|(change, _)| std::ptr::eq(change.app, &result.app));
            let app = applied_app(run, result, done);
            summary.apps += 1;
            match app.outcome {
                AppOutcome::Changed => summary.changed += 1,
                AppOutcome::InSync => summary.in_sync += 1,
                AppOutcome::NotChanged => summary.not_changed += 1,
                AppOutcome::Unknown => summary.unknown += 1,
                AppOutcome::ByHand => summary.by_hand += 1,
                AppOutcome::Failed => summary.failed += 1,
            }
            if !app.by_hand.is_empty() {
                summary.needs_by_hand += 1;
            }
            apps.push(app);
        }
    }
    ApplyReport {
        version: APPLY_VERSION,
        files: files.to_vec(),
        summary,
        apps,
        diagnostics: problems.to_vec(),
    }
}

fn applied_app(
    run: &FileResults,
    result: &AppResult,
    done: Option<(&Change<'_>, &Applied)>,
) -> AppliedApp {
    let by_hand = by_hand_entries(result);
    let mut reasons = Vec::new();
    let (outcome, read_back, error) = match (done, &result.failure) {
        (_, Some(failure)) => {
            reasons.push(format!("could not be read: {}", failure.message()));
            (AppOutcome::Failed, None, Some(failure))
        }
        (Some((change, applied)), None) => {
            reasons.push(outcome_text(change, applied, &run.redaction));
            outcome_of(applied)
        }
        (None, None) if by_hand.is_empty() => (AppOutcome::InSync, None, None),
        (None, None) => (AppOutcome::ByHand, None, None),
    };
    reasons.extend(by_hand.iter().map(|entry| {
        format!(
            "{} (by hand with {}; apply never sets the token)",
            entry.message, entry.interface
        )
    }));
    AppliedApp {
        file: run.config.file.clone(),
        name: result.app.name.clone(),
        sdkappid: result.app.sdkappid,
        service: result.app.service,
        outcome,
        interface: done.map(|(change, _)| change.fix.path().to_owned()),
        read_back,
        reasons,
        by_hand,
        error: error.map(ErrorReport::from),
    }
}

/// An applied change's outcome, its read-back and the failure behind it.
fn outcome_of(applied: &Applied) -> (AppOutcome, Option<ReadBack>, Option<&Failure>) {
    match applied {
        Applied::AlreadyInSync => (AppOutcome::InSync, None, None),
        Applied::ChangedSincePlan { .. } => (AppOutcome::NotChanged, None, None),
        Applied::NotChanged { failure, confirmed } => (
            AppOutcome::NotChanged,
            confirmed.then_some(ReadBack::AsBefore),
            Some(failure),
        ),
        Applied::Changed { despite, converged } => {
            let (read_back, unread) = match converged {
                Ok(true) => (ReadBack::InSync, None),
                Ok(false) => (ReadBack::Drifted, None),
                Err(failure) => (ReadBack::Unreadable, Some(failure)),
            };
            (
                AppOutcome::Changed,
                Some(read_back),
                despite.as_ref().or(unread),
            )
        }
        Applied::Unknown { failure, why } => {
            let read_back = match why {
                Unknowable::Unreadable(_) => ReadBack::Unreadable,
                Unknowable::Neither(_) => ReadBack::Neither,
            };
            (AppOutcome::Unknown, Some(read_back), Some(failure))
        }
    }
}

/// The document as JSON.
pub fn render_json(
    files: &[String],
    runs: &[FileResults],
    changes: &[Change<'_>],
    applied: &[Applied],
    problems: &[Problem],
) -> String {
    let report = report(files, runs, changes, applied, problems);
    let text = serde_json::to_string_pretty(&report).expect("the outcome is plain data");
    crate::model::text::json_document_safe(text)
}

/// The JSON Schema of the document, as committed in schemas/apply.schema.json.
pub fn schema_json() -> String {
    let schema = schemars::schema_for!(ApplyReport);
    let mut text = serde_json::to_string_pretty(&schema).expect("a JSON value always serialises");
    text.push('\n');
    text
}
