//! `cbcheck apply`: plan the calls that make the live configuration match the file,
//! confirm, make them, read each app back.

use std::collections::BTreeSet;
use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;

use super::{Outcome, failure_outcome, load_all, verify_all};
use crate::config::{self, App};
use crate::drift;
use crate::model::Failure;
use crate::model::Operation;
use crate::model::redact::Redaction;
use crate::report::Style;
use crate::report::human::{self, Renderer};
use crate::source::api::{ApiError, CallbackConfig, Client, Interface, Live, Target, Written};
use crate::source::{self, Connection, VerifyOptions};

/// May apply change anything?
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Consent {
    /// `--dry-run`: show the plan only.
    DryRun,
    /// `--yes`: change without asking.
    Given,
    /// Ask on a terminal; refuse elsewhere.
    Ask,
}

impl Consent {
    pub fn from_flags(dry_run: bool, yes: bool) -> Consent {
        match (dry_run, yes) {
            (true, _) => Consent::DryRun,
            (false, true) => Consent::Given,
            (false, false) => Consent::Ask,
        }
    }
}

/// One planned call, and the live state it was planned from.
struct Change<'a> {
    app: &'a App,
    fix: &'a Operation,
    /// What get_callback answered when the plan was made (`None`: absent).
    planned_from: Option<&'a CallbackConfig>,
}

/// What happened to one planned change.
enum Applied {
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
        interface: Interface,
        despite: Option<Failure>,
        converged: Result<bool, Failure>,
    },
    /// The write failed, and whether it took effect cannot be told.
    Unknown {
        interface: Interface,
        failure: Failure,
        why: Unknowable,
    },
}

/// Why the outcome of a failed write is not known.
enum Unknowable {
    /// Reading the app back failed too.
    Unreadable(Failure),
    /// It reads back neither as it was before the write nor as sent.
    Neither(Option<CallbackConfig>),
}

pub fn run(style: Style, files: &[PathBuf], options: &VerifyOptions, consent: Consent) -> Outcome {
    let renderer = Renderer::new(style);
    let loaded = match load_all(&renderer, files, options.redaction) {
        Ok(loaded) => loaded,
        Err(outcome) => return outcome,
    };
    let configs: Vec<config::Config> = loaded.into_iter().filter_map(|l| l.config).collect();
    // The plan's reads and the writes share the process's one runtime and client.
    let mut remote = source::Remote::new(options.client.clone());
    let runs = match verify_all(&renderer, configs, options, &mut remote) {
        Ok(runs) => runs,
        Err(outcome) => return outcome,
    };
    for notice in runs.iter().flat_map(|run| &run.notices) {
        human::eprint(&human::notice_line(notice));
    }

    // Apps that could not be read are reported and left alone.
    let mut outcome = Outcome::Clean;
    for result in runs.iter().flat_map(|run| &run.results) {
        if let Some(failure) = &result.failure {
            human::eprint(&human::failure_report(&result.app, failure));
            outcome = outcome.max(failure_outcome(failure));
        }
    }
    let changes: Vec<Change<'_>> = runs
        .iter()
        .flat_map(|run| &run.results)
        .filter_map(|r| match (&r.remediation, &r.live) {
            (Some(fix), Some(live)) => Some(Change {
                app: &r.app,
                fix,
                planned_from: live.as_ref(),
            }),
            _ => None,
        })
        .collect();
    let redaction = options.redaction;
    let mut plan = String::new();
    for change in &changes {
        plan.push_str(&format!(
            "{}: {}\n{}\n",
            change.app.label(),
            change.fix.interface.path(),
            indent(&change.fix.body_text(|url| redaction.url(url)))
        ));
    }
    let in_sync = runs
        .iter()
        .flat_map(|run| &run.results)
        .filter(|r| r.failure.is_none() && r.remediation.is_none())
        .count();
    human::eprint_lines(&format!(
        "plan: {} to change, {in_sync} in sync (untouched)\n{plan}",
        plural(changes.len())
    ));
    if changes.is_empty() {
        return outcome;
    }
    match consent {
        Consent::DryRun => {
            human::eprint("dry run: nothing was changed\n");
            return outcome.max(Outcome::Drift);
        }
        Consent::Ask if !std::io::stdin().is_terminal() => {
            human::eprint("refusing to change anything without --yes: stdin is not a terminal\n");
            return outcome.max(Outcome::Drift);
        }
        Consent::Ask if !confirmed(changes.len()) => {
            human::eprint("declined: nothing was changed\n");
            return outcome.max(Outcome::Drift);
        }
        Consent::Ask | Consent::Given => {}
    }

    let connection = match remote.connect() {
        Ok(connection) => connection,
        Err(err) => {
            return outcome.max(super::error::fail(&renderer, err, "nothing was changed\n"));
        }
    };
    let applied = execute(&changes, options, connection);
    let mut report = String::new();
    for (change, result) in changes.iter().zip(&applied) {
        let (line, code) = describe(change, result, redaction);
        report.push_str(&line);
        outcome = outcome.max(code);
    }
    human::eprint_lines(&format!("{report}{}\n", summary(&applied)));
    outcome
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

/// Ask on the terminal; anything but y/yes declines.
fn confirmed(changes: usize) -> bool {
    human::eprint(&format!("apply these {changes} change(s)? [y/N] "));
    let mut answer = String::new();
    if std::io::stdin().lock().read_line(&mut answer).is_err() {
        return false;
    }
    matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}

fn execute(
    changes: &[Change<'_>],
    options: &VerifyOptions,
    connection: &Connection,
) -> Vec<Applied> {
    let apps: Vec<App> = changes.iter().map(|c| c.app.clone()).collect();
    // Notices were shown when the plan was made.
    let mut notices = Vec::new();
    let targets = source::targets(&apps, options, &mut notices);
    changes
        .iter()
        .zip(targets)
        .map(|(change, target)| match target {
            Err(failure) => Applied::NotChanged {
                failure,
                confirmed: false,
            },
            Ok(target) => connection.block_on(apply_one(
                connection.client(),
                &target,
                change,
                options.redaction,
            )),
        })
        .collect()
}

/// What is live for the app now (`None`: absent).
async fn read(client: &Client, target: &Target) -> Result<Option<CallbackConfig>, Failure> {
    match client.get_callback(target).await {
        Ok(Live::Present { config, .. }) => Ok(Some(config)),
        Ok(Live::Absent { .. }) => Ok(None),
        Err(err) => Err(Failure::from(err)),
    }
}

/// The call that would converge the app from `live`; `None` when it is in sync.
fn needed(app: &App, live: Option<&CallbackConfig>, redaction: Redaction) -> Option<Operation> {
    let findings = drift::compare(app, live, redaction);
    drift::remediation(app, live, &findings)
}

/// Two reads of the same app show the same configuration: present or absent alike,
/// the URL exactly as returned, the same command words (the vendor's order and
/// repetitions carry no meaning).
fn same_state(a: Option<&CallbackConfig>, b: Option<&CallbackConfig>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => a.url == b.url && words(a) == words(b),
        _ => false,
    }
}

fn words(config: &CallbackConfig) -> BTreeSet<&str> {
    config.commands.iter().map(String::as_str).collect()
}

/// What was read back is what the call sent (the URL as the drift engine compares it).
fn as_sent(live: Option<&CallbackConfig>, fix: &Operation) -> bool {
    match (live, &fix.body) {
        (None, None) => true,
        (Some(live), Some(sent)) => {
            drift::same_url(&live.url, &sent.url) && words(live) == words(sent)
        }
        _ => false,
    }
}

/// Make one change, then read back. The app is read again first: the plan may be
/// minutes old, and the change shown is made only if the app is still exactly what
/// the plan was made from. A race the API reports (100300 on Create, 100301 on
/// Update) proves the app changed since: it is read again and left as it is. A
/// write is made once: when its reply fails, reading the app back tells whether it
/// took effect.
async fn apply_one(
    client: &Client,
    target: &Target,
    change: &Change<'_>,
    redaction: Redaction,
) -> Applied {
    let not_sent = |failure| Applied::NotChanged {
        failure,
        confirmed: false,
    };
    let before = match read(client, target).await {
        Ok(live) => live,
        Err(failure) => return not_sent(failure),
    };
    if needed(change.app, before.as_ref(), redaction).is_none() {
        return Applied::AlreadyInSync;
    }
    if !same_state(before.as_ref(), change.planned_from) {
        return Applied::ChangedSincePlan { now: before };
    }
    let fix = change.fix;
    let (despite, read_back) = match write(client, target, fix).await {
        Ok(true) => (None, None),
        // Someone created or deleted the configuration between the read and the write:
        // the change shown no longer fits, so nothing more is sent.
        Ok(false) => {
            return match read(client, target).await {
                Err(failure) => not_sent(failure),
                Ok(now) if needed(change.app, now.as_ref(), redaction).is_none() => {
                    Applied::AlreadyInSync
                }
                Ok(now) => Applied::ChangedSincePlan { now },
            };
        }
        Err(err) if !err.may_have_taken_effect() => return not_sent(Failure::from(err)),
        Err(err) => {
            let failure = Failure::from(err);
            let now = match read(client, target).await {
                Ok(now) => now,
                Err(unreadable) => {
                    return Applied::Unknown {
                        interface: fix.interface,
                        failure,
                        why: Unknowable::Unreadable(unreadable),
                    };
                }
            };
            if same_state(now.as_ref(), before.as_ref()) {
                return Applied::NotChanged {
                    failure,
                    confirmed: true,
                };
            }
            if !as_sent(now.as_ref(), fix) {
                return Applied::Unknown {
                    interface: fix.interface,
                    failure,
                    why: Unknowable::Neither(now),
                };
            }
            (Some(failure), Some(now))
        }
    };
    let read_back = match read_back {
        Some(now) => Ok(now),
        None => read(client, target).await,
    };
    Applied::Changed {
        interface: fix.interface,
        despite,
        converged: read_back.map(|now| needed(change.app, now.as_ref(), redaction).is_none()),
    }
}

/// Make the call; `Ok(false)` when the API says the configuration's existence is
/// not what the call assumed (100300 on Create, 100301 on Update).
async fn write(client: &Client, target: &Target, fix: &Operation) -> Result<bool, ApiError> {
    let Some(body) = &fix.body else {
        // Deleting what is already gone is done too.
        client.delete_callback(target).await?;
        return Ok(true);
    };
    Ok(matches!(
        client.write_callback(target, fix.interface, body).await?,
        Written::Done { .. }
    ))
}

/// `now:` and a live configuration, as the plan shows bodies: JSON, URL redacted as
/// configured.
fn now_shown(live: Option<&CallbackConfig>, redaction: Redaction) -> String {
    match live {
        None => "now: no callback configuration".into(),
        Some(config) => format!(
            "now:\n{}",
            indent(
                &Operation {
                    interface: Interface::Update,
                    body: Some(config.clone()),
                }
                .body_text(|url| redaction.url(url))
            )
        ),
    }
}

fn describe(change: &Change<'_>, applied: &Applied, redaction: Redaction) -> (String, Outcome) {
    let app = change.app.label();
    let failed = |failure: &Failure| format!("({}): {}", failure.class().id(), failure.message());
    match applied {
        Applied::AlreadyInSync => (
            format!("{app}: not changed: already in sync when cbcheck got to it\n"),
            Outcome::Clean,
        ),
        Applied::ChangedSincePlan { now } => (
            format!(
                "{app}: NOT changed: it changed since the plan was shown (run apply again); {}\n",
                now_shown(now.as_ref(), redaction)
            ),
            Outcome::Drift,
        ),
        Applied::NotChanged {
            failure,
            confirmed: false,
        } => (
            format!("{app}: NOT changed {}\n", failed(failure)),
            failure_outcome(failure),
        ),
        Applied::NotChanged {
            failure,
            confirmed: true,
        } => (
            format!(
                "{app}: NOT changed when read back; its call failed {}\n",
                failed(failure)
            ),
            failure_outcome(failure),
        ),
        Applied::Unknown {
            interface,
            failure,
            why,
        } => {
            let why = match why {
                Unknowable::Unreadable(unreadable) => {
                    format!("reading it back failed too {}", failed(unreadable))
                }
                Unknowable::Neither(now) => format!(
                    "it reads back neither as it was nor as sent; {}",
                    now_shown(now.as_ref(), redaction)
                ),
            };
            (
                format!(
                    "{app}: unknown: {} failed {}; {why}\n",
                    interface.path(),
                    failed(failure)
                ),
                Outcome::Api,
            )
        }
        Applied::Changed {
            interface,
            despite,
            converged,
        } => {
            let how = interface.path();
            let changed = match despite {
                None => format!("changed with {how}"),
                Some(failure) => format!(
                    "changed (confirmed by read-back) with {how}, though its reply failed {}",
                    failed(failure)
                ),
            };
            match converged {
                Ok(true) => (
                    format!("{app}: {changed}; read back: in sync\n"),
                    Outcome::Clean,
                ),
                Ok(false) => (
                    format!(
                        "{app}: {changed}; read back: still drifted (run verify for details)\n"
                    ),
                    Outcome::Drift,
                ),
                Err(failure) => (
                    format!(
                        "{app}: {changed}; could not read it back: {}\n",
                        failure.message()
                    ),
                    failure_outcome(failure),
                ),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn live(url: &str, commands: &[&str]) -> CallbackConfig {
        CallbackConfig {
            url: url.into(),
            commands: commands.iter().map(|c| (*c).to_owned()).collect(),
        }
    }

    #[test]
    fn the_same_state_ignores_command_order_and_repetition_only() {
        let a = live("https://h.example.com/cb", &["X", "Y"]);
        assert!(same_state(
            Some(&a),
            Some(&live("https://h.example.com/cb", &["Y", "X", "Y"]))
        ));
        assert!(same_state(None, None));
        assert!(!same_state(Some(&a), None));
        assert!(!same_state(None, Some(&a)));
        for other in [
            live("https://h.example.com/cb", &["X", "Y", "Z"]),
            live("https://h.example.com/cb", &["X"]),
            live("https://H.example.com/cb", &["X", "Y"]),
            live("https://h.example.com/cb?t=1", &["X", "Y"]),
        ] {
            assert!(!same_state(Some(&a), Some(&other)), "{other:?}");
        }
    }

    #[test]
    fn what_was_sent_is_recognised_as_the_drift_engine_compares_urls() {
        let update = Operation {
            interface: Interface::Update,
            body: Some(live("https://h.example.com/cb", &["X", "Y"])),
        };
        assert!(as_sent(
            Some(&live("HTTPS://H.example.com:443/cb", &["Y", "X"])),
            &update
        ));
        assert!(!as_sent(
            Some(&live("https://h.example.com/cb", &["X"])),
            &update
        ));
        assert!(!as_sent(None, &update));
        let delete = Operation {
            interface: Interface::Delete,
            body: None,
        };
        assert!(as_sent(None, &delete));
        assert!(!as_sent(
            Some(&live("https://h.example.com/cb", &[])),
            &delete
        ));
    }
}
