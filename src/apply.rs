//! `cbcheck apply`: plan the calls that make the live configuration match the file,
//! confirm, make them, read each app back.

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;

use crate::api::{ApiError, Client, Interface, Live, Target, Written};
use crate::config::{self, App};
use crate::drift::{self, Remediation};
use crate::redact::Redaction;
use crate::report::Style;
use crate::report::human::{self, Renderer};
use crate::verify::{self, Failure, VerifyOptions};
use crate::{Outcome, failure_outcome};

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

/// One planned call.
struct Change<'a> {
    app: &'a App,
    fix: &'a Remediation,
}

/// Why a planned change was not made.
enum Skip {
    /// Someone made the app match the file meanwhile.
    AlreadyInSync,
    /// The app changed since the plan was shown: the shown change no longer fits.
    ChangedSincePlan,
}

/// What happened to one planned change.
enum Applied {
    Skipped(Skip),
    /// The call succeeded; `via` names a fallback taken on a race; `converged` says
    /// whether reading back found the app in sync.
    Done {
        interface: Interface,
        via: Option<&'static str>,
        converged: Result<bool, Failure>,
    },
    Failed(Failure),
}

pub fn run(style: Style, files: &[PathBuf], options: &VerifyOptions, consent: Consent) -> Outcome {
    let renderer = Renderer::new(style);
    let loaded = match crate::load_all(&renderer, files, options.redaction) {
        Ok(loaded) => loaded,
        Err(outcome) => return outcome,
    };
    let configs: Vec<config::Config> = loaded.into_iter().filter_map(|l| l.config).collect();
    let runs = match crate::verify_all(&renderer, configs, options) {
        Ok(runs) => runs,
        Err(outcome) => return outcome,
    };
    for notice in runs.iter().flat_map(|run| &run.notices) {
        human::eprint(&format!("warning: {notice}\n"));
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
        .filter_map(|r| {
            r.remediation
                .as_ref()
                .map(|fix| Change { app: &r.app, fix })
        })
        .collect();
    let redaction = options.redaction;
    let mut plan = String::new();
    for change in &changes {
        plan.push_str(&format!(
            "{}: {}\n{}\n",
            change.app.label(),
            change.fix.interface.path(),
            indent(&change.fix.body_text(redaction))
        ));
    }
    let in_sync = runs
        .iter()
        .flat_map(|run| &run.results)
        .filter(|r| r.failure.is_none() && r.remediation.is_none())
        .count();
    human::eprint(&format!(
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

    let setup = verify::runtime().and_then(|runtime| {
        Client::new(options.client.clone())
            .map(|client| (runtime, client))
            .map_err(verify::VerifyError::from)
    });
    let (runtime, client) = match setup {
        Ok(pair) => pair,
        Err(err) => {
            human::eprint(&format!("{}\nnothing was changed\n", renderer.render(&err)));
            return outcome.max(Outcome::Api);
        }
    };
    let applied = execute(&changes, options, &runtime, &client);
    let mut report = String::new();
    for (change, result) in changes.iter().zip(&applied) {
        let (line, code) = describe(change, result);
        report.push_str(&line);
        outcome = outcome.max(code);
    }
    let converged = applied
        .iter()
        .filter(|a| {
            matches!(
                a,
                Applied::Done {
                    converged: Ok(true),
                    ..
                }
            )
        })
        .count();
    human::eprint(&format!(
        "{report}{} applied: {converged} converged, {} not\n",
        plural(changes.len()),
        changes.len() - converged
    ));
    outcome
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
    runtime: &tokio::runtime::Runtime,
    client: &Client,
) -> Vec<Applied> {
    let apps: Vec<App> = changes.iter().map(|c| c.app.clone()).collect();
    // Notices were shown when the plan was made.
    let mut notices = Vec::new();
    let targets = verify::targets(&apps, options, &mut notices);
    changes
        .iter()
        .zip(targets)
        .map(|(change, target)| match target {
            Err(failure) => Applied::Failed(failure),
            Ok(target) => runtime.block_on(apply_one(client, &target, change, options.redaction)),
        })
        .collect()
}

/// What is live for the app now, and the call that would converge it.
async fn fresh_fix(
    client: &Client,
    target: &Target,
    app: &App,
    redaction: Redaction,
) -> Result<Option<Remediation>, ApiError> {
    let live = match client.get_callback(target).await? {
        Live::Present { config, .. } => Some(config),
        Live::Absent { .. } => None,
    };
    let findings = drift::compare(app, live.as_ref(), redaction);
    Ok(drift::remediation(app, live.as_ref(), &findings))
}

/// Make one change, then read back. The app is read again first: the plan may be
/// minutes old, and only the change that was shown is made. A race the API reports
/// (100300 on Create, 100301 on Update) is answered by reading again and making the
/// call the new state needs.
async fn apply_one(
    client: &Client,
    target: &Target,
    change: &Change<'_>,
    redaction: Redaction,
) -> Applied {
    match fresh_fix(client, target, change.app, redaction).await {
        Err(err) => return Applied::Failed(Failure::Api(err)),
        Ok(None) => return Applied::Skipped(Skip::AlreadyInSync),
        Ok(Some(fix)) if fix != *change.fix => return Applied::Skipped(Skip::ChangedSincePlan),
        Ok(Some(_)) => {}
    }
    let mut via = None;
    let mut interface = change.fix.interface;
    match write(client, target, change.fix).await {
        Err(err) => return Applied::Failed(Failure::Api(err)),
        Ok(true) => {}
        Ok(false) => {
            via = Some(match interface {
                Interface::Set => "set_callback found one: someone created it meanwhile",
                _ => "update_callback found none: someone deleted it meanwhile",
            });
            let fix = match fresh_fix(client, target, change.app, redaction).await {
                Err(err) => return Applied::Failed(Failure::Api(err)),
                Ok(None) => return Applied::Skipped(Skip::AlreadyInSync),
                Ok(Some(fix)) => fix,
            };
            interface = fix.interface;
            match write(client, target, &fix).await {
                Err(err) => return Applied::Failed(Failure::Api(err)),
                Ok(true) => {}
                Ok(false) => {
                    return Applied::Failed(Failure::Api(ApiError::Api {
                        interface: interface.path(),
                        sdkappid: target.sdkappid,
                        code: -1,
                        info: "the configuration kept changing while cbcheck wrote it".into(),
                        request_id: None,
                    }));
                }
            }
        }
    }
    let converged = fresh_fix(client, target, change.app, redaction)
        .await
        .map(|fix| fix.is_none())
        .map_err(Failure::Api);
    Applied::Done {
        interface,
        via,
        converged,
    }
}

/// Make the call; `Ok(false)` when the API says the configuration's existence is
/// not what the call assumed (100300 on Create, 100301 on Update).
async fn write(client: &Client, target: &Target, fix: &Remediation) -> Result<bool, ApiError> {
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

fn describe(change: &Change<'_>, applied: &Applied) -> (String, Outcome) {
    let app = change.app.label();
    match applied {
        Applied::Skipped(Skip::AlreadyInSync) => (
            format!("{app}: not changed: already in sync when cbcheck got to it\n"),
            Outcome::Clean,
        ),
        Applied::Skipped(Skip::ChangedSincePlan) => (
            format!("{app}: NOT changed: it changed since the plan was shown; run apply again\n"),
            Outcome::Drift,
        ),
        Applied::Failed(failure) => (
            format!(
                "{app}: NOT changed ({}): {}\n",
                failure.class().id(),
                failure.message()
            ),
            failure_outcome(failure),
        ),
        Applied::Done {
            interface,
            via,
            converged,
        } => {
            let how = match via {
                Some(why) => format!("{} ({why})", interface.path()),
                None => interface.path().to_owned(),
            };
            match converged {
                Ok(true) => (
                    format!("{app}: changed with {how}; read back: in sync\n"),
                    Outcome::Clean,
                ),
                Ok(false) => (
                    format!(
                        "{app}: changed with {how}; read back: still drifted (run verify for details)\n"
                    ),
                    Outcome::Drift,
                ),
                Err(failure) => (
                    format!(
                        "{app}: changed with {how}; could not read it back: {}\n",
                        failure.message()
                    ),
                    failure_outcome(failure),
                ),
            }
        }
    }
}
