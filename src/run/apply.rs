//! `cbcheck apply`: plan the calls that make the live configuration match the file,
//! confirm, make them, read each app back.

use std::collections::BTreeSet;
use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
use std::sync::Arc;

use super::error::Error;
use super::load::{Files, Invalid, InvalidEntries, digests, load_all, names, verify_all};
use super::outcome::{Outcome, failure_outcome};
use crate::cli::{self, PlanFormat};
use crate::config::{self, App};
use crate::drift;
use crate::model::redact::Redaction;
use crate::model::run_info::FileDigest;
use crate::model::{Applied, Change, Failure, Operation, PlannedFrom, Unknowable, same_state};
use crate::report;
use crate::report::human::{self, Stderr};
use crate::report::problem::{self, Problem};
use crate::report::progress::Progress;
use crate::source::api::{ApiError, CallbackConfig, Client, Live, Target, WriteReply};
use crate::source::{self, Connection, FetchOptions};

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

/// What `cbcheck apply` was asked to do, checked.
pub(super) struct Settings {
    /// `--plan`: a saved plan to apply instead of one made from the files.
    saved: Option<super::apply_plan::Saved>,
    files: Vec<PathBuf>,
    options: FetchOptions,
    consent: Consent,
    /// `-q`: the plan is only the list of apps that drifted or failed and its totals.
    quiet: bool,
    format: PlanFormat,
}

impl Settings {
    /// The arguments as one value, with keys and placeholder values read from `env`;
    /// no file to read, or JSON that would follow a question on the terminal, is a
    /// usage error.
    pub(super) fn new(args: cli::ApplyArgs, env: source::keys::Env) -> Result<Settings, Error> {
        let consent = Consent::from_flags(args.dry_run, args.yes);
        if args.format == PlanFormat::Json && consent == Consent::Ask {
            return Err(Error::Usage(cli::JSON_NEEDS_CONSENT));
        }
        // clap's `requires` lets `--yes --live-from` through (`--yes` conflicts with
        // `--dry-run`): a recorded state is never the base of a change.
        if args.live_from.is_some() && consent != Consent::DryRun {
            return Err(Error::Usage(
                "`apply --live-from` plans from recorded replies: use it with --dry-run",
            ));
        }
        let quiet = args.apps.quiet;
        if let Some(path) = args.plan {
            if !args.apps.apps.is_empty() {
                return Err(Error::Usage(
                    "`apply --plan` applies the whole plan: make the plan with --app instead",
                ));
            }
            // No FILE is no file (the plan alone), not callbacks.yaml.
            let files = if args.apps.files.is_empty() {
                Vec::new()
            } else {
                super::input::files(args.apps.files)?
            };
            let options = source::FetchOptions {
                redaction: Redaction::new(args.apps.show_secrets),
                ..super::options::network_options(args.network, env)
            };
            return Ok(Settings {
                saved: Some(super::apply_plan::Saved::new(path, args.plan_max_age)),
                files,
                options,
                consent,
                quiet,
                format: args.format,
            });
        }
        let (files, options) =
            super::options::apps_options(args.apps, args.network, args.live_from, env)?;
        Ok(Settings {
            saved: None,
            files,
            options,
            consent,
            quiet,
            format: args.format,
        })
    }
}

pub(super) fn run(stderr: &Stderr, settings: Settings) -> Result<Outcome, Error> {
    let Settings {
        saved,
        files,
        options,
        consent,
        quiet,
        format,
    } = settings;
    if let Some(saved) = saved {
        return super::apply_plan::run(stderr, &saved, &files, &options, format);
    }
    let (files, options) = (&files[..], &options);
    let style = stderr.style();
    // With --format json: the plan (--dry-run), or what was done (--yes).
    let json = format == PlanFormat::Json;
    let outcome_json = json && consent == Consent::Given;
    // Never beside a JSON document.
    let progress = Arc::new(stderr.progress(!json));
    let options = &super::options::observed(options, &progress, "checking");
    // A JSON document is written however the run ends: a pipeline reading it never
    // gets an empty document, only one whose `diagnostics` say why nothing was done.
    // The plan is made now, from these file contents.
    let created = std::time::SystemTime::now();
    let stopped = |digests: &[FileDigest], problems: &[Problem]| {
        let json = if outcome_json {
            let files: Vec<String> = digests.iter().map(|d| d.file.clone()).collect();
            report::apply::render_json(&files, &[], &[], &[], problems)
        } else {
            let made = report::plan::Made {
                at: created,
                files: digests,
            };
            report::plan::render_json(&made, &[], problems)
        };
        report::print_stdout(&json)
    };
    let Files { loaded, keys } = match load_all(
        stderr,
        files,
        &options.redaction,
        quiet,
        InvalidEntries::Refuse,
    ) {
        Ok(files) => files,
        Err(Invalid { loaded, .. }) if json => {
            stopped(&digests(&loaded), &problem::from_loaded(&loaded))?;
            return Ok(Outcome::Invalid);
        }
        Err(_) => return Ok(Outcome::Invalid),
    };
    let files = names(&loaded);
    let file_digests = digests(&loaded);
    let mut problems = problem::from_loaded(&loaded);
    let configs: Vec<config::Config> = loaded.into_iter().filter_map(|l| l.config).collect();
    // The plan's reads and the writes share the process's one runtime and client.
    let mut remote = source::Remote::new(options.client.clone());
    let runs = match verify_all(configs, &keys, options, &mut remote) {
        Ok(runs) => runs,
        Err(err) => {
            problems.push(Problem::of_run(&err));
            if json && let Err(write) = stopped(&file_digests, &problems) {
                return Err(Error::Then(Box::new(err), Box::new(write.into())));
            }
            return Err(err);
        }
    };
    // From here on, outputs and writes know the placeholder values the reads expanded.
    let options = &source::FetchOptions {
        redaction: runs
            .first()
            .map_or_else(|| options.redaction.clone(), |run| run.redaction.clone()),
        ..options.clone()
    };
    if !quiet {
        for notice in runs.iter().flat_map(|run| &run.notices) {
            stderr.say(&human::notice_line(notice));
        }
    }

    // Apps that could not be read are reported and left alone.
    let mut outcome = Outcome::Clean;
    for result in runs.iter().flat_map(|run| &run.results) {
        if let Some(failure) = &result.failure {
            if format == PlanFormat::Human && !quiet {
                stderr.say(&human::failure_report(&result.app, failure));
            }
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
                planned_from: PlannedFrom::Read(live.as_ref()),
            }),
            _ => None,
        })
        .collect();
    let redaction = &options.redaction;
    // What apply cannot set (Live's token) is left for a person, and is no sync.
    let by_hand = report::apply::by_hand_line(&runs);
    let token = if by_hand.is_some() {
        Outcome::Drift
    } else {
        Outcome::Clean
    };
    // When nothing else fails the run, its last line says why it exits 1.
    let finish = |outcome: Outcome| {
        if outcome == Outcome::Clean
            && format == PlanFormat::Human
            && let Some(line) = &by_hand
        {
            stderr.say(line);
        }
        outcome.max(token)
    };
    match format {
        PlanFormat::Human if quiet => {
            stderr.say(&report::summary::app_list(&runs));
            stderr.say(&format!(
                "{}\n",
                report::plan::totals(&report::plan::summary(&runs))
            ));
        }
        PlanFormat::Human => stderr.say(&report::plan::render_human(&runs, style.color)),
        // With --yes: the outcome follows, as the one document.
        PlanFormat::Json if outcome_json => {}
        PlanFormat::Json => {
            // With --dry-run: nothing follows the plan.
            let made = report::plan::Made {
                at: created,
                files: &file_digests,
            };
            let json = report::plan::render_json(&made, &runs, &problems);
            let planned = super::output::stdout_outcome(stderr, &json);
            let drift = if changes.is_empty() {
                Outcome::Clean
            } else {
                Outcome::Drift
            };
            return Ok(outcome.max(planned).max(drift).max(token));
        }
    }
    // What was done, as one document on stdout.
    let document = |applied: &[Applied]| {
        let json = report::apply::render_json(&files, &runs, &changes, applied, &problems);
        super::output::stdout_outcome(stderr, &json)
    };
    if changes.is_empty() {
        if outcome_json {
            return Ok(finish(outcome.max(document(&[]))));
        }
        return Ok(finish(outcome));
    }
    match consent {
        Consent::DryRun => {
            stderr.say(report::apply::DRY_RUN);
            return Ok(outcome.max(Outcome::Drift));
        }
        Consent::Ask if !std::io::stdin().is_terminal() => {
            stderr.say(report::apply::NOT_A_TERMINAL);
            return Ok(outcome.max(Outcome::Drift));
        }
        Consent::Ask if !confirmed(stderr, changes.len()) => {
            stderr.say(report::apply::DECLINED);
            return Ok(outcome.max(Outcome::Drift));
        }
        Consent::Ask | Consent::Given => {}
    }

    // The error is the run's worst (the API, exit 4) whatever the plan found.
    let connection = match remote.connect() {
        Ok(connection) => connection,
        Err(err) => {
            let err = Error::NothingChanged(err);
            if outcome_json {
                problems.push(Problem::of_run(&err));
                let json = report::apply::render_json(&files, &runs, &[], &[], &problems);
                if let Err(write) = report::print_stdout(&json) {
                    return Err(Error::Then(Box::new(err), Box::new(write.into())));
                }
            }
            return Err(err);
        }
    };
    let applied = execute(&changes, options, connection, &progress);
    let written = if outcome_json {
        document(&applied)
    } else {
        stderr.say_lines(&report::apply::outcomes(&changes, &applied, redaction));
        Outcome::Clean
    };
    Ok(finish(
        applied
            .iter()
            .map(exit)
            .fold(outcome, Outcome::max)
            .max(written),
    ))
}

/// Ask on the terminal; anything but y/yes declines.
fn confirmed(stderr: &Stderr, changes: usize) -> bool {
    stderr.say(&report::apply::prompt(changes));
    let mut answer = String::new();
    if std::io::stdin().lock().read_line(&mut answer).is_err() {
        return false;
    }
    matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}

/// Make the changes one by one; `progress` counts them, and is cleared at the end.
pub(super) fn execute(
    changes: &[Change<'_>],
    options: &FetchOptions,
    connection: &Connection,
    progress: &Progress,
) -> Vec<Applied> {
    let apps: Vec<App> = changes.iter().map(|c| c.app.clone()).collect();
    // Notices were shown when the plan was made.
    let mut notices = Vec::new();
    let targets = source::targets(&apps, options, &mut notices);
    progress.start("changing", changes.len());
    let applied = changes
        .iter()
        .zip(targets)
        .map(|(change, target)| {
            let applied = match target {
                Err(failure) => Applied::NotChanged {
                    failure,
                    confirmed: false,
                },
                Ok(target) => connection.block_on(apply_one(
                    connection.client(),
                    &target,
                    change,
                    &options.redaction,
                )),
            };
            // Drift (an app changed since the plan) is no failure of the call.
            progress.done(exit(&applied) > Outcome::Drift);
            applied
        })
        .collect();
    progress.clear();
    applied
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
fn needed(app: &App, live: Option<&CallbackConfig>, redaction: &Redaction) -> Option<Operation> {
    let findings = drift::compare(app, live, redaction);
    drift::remediation(app, live, &findings)
}

/// Whether the app is as the change means to leave it: as the file says (a plan this
/// run made), or as the call sends (a saved plan, which carries no file).
fn in_sync(change: &Change<'_>, now: Option<&CallbackConfig>, redaction: &Redaction) -> bool {
    match change.planned_from {
        PlannedFrom::Read(_) => needed(change.app, now, redaction).is_none(),
        PlannedFrom::Digest(_) => as_sent(now, change.fix),
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
            crate::model::same_url(&live.url, &sent.url) && words(live) == words(sent)
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
    redaction: &Redaction,
) -> Applied {
    let not_sent = |failure| Applied::NotChanged {
        failure,
        confirmed: false,
    };
    let before = match read(client, target).await {
        Ok(live) => live,
        Err(failure) => return not_sent(failure),
    };
    if in_sync(change, before.as_ref(), redaction) {
        return Applied::AlreadyInSync;
    }
    if !change.planned_from.is(before.as_ref()) {
        return Applied::ChangedSincePlan { now: before };
    }
    let fix = change.fix;
    if let Some(word) = unlisted_word(change.app, fix, before.as_ref()) {
        return not_sent(Failure::new(
            crate::model::ErrorClass::Protocol,
            format!(
                "the change sends `{}`, which the file does not declare and the app does not have live: nothing was sent",
                crate::model::text::printable(word, &[])
            ),
            "a plan altered after it was made would do this: make the plan again from the file"
                .into(),
        ));
    }
    let (despite, read_back) = match write(client, target, fix).await {
        Ok(true) => (None, None),
        // Someone created or deleted the configuration between the read and the write:
        // the change shown no longer fits, so nothing more is sent.
        Ok(false) => {
            return match read(client, target).await {
                Err(failure) => not_sent(failure),
                Ok(now) if in_sync(change, now.as_ref(), redaction) => Applied::AlreadyInSync,
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
        despite,
        converged: read_back.map(|now| in_sync(change, now.as_ref(), redaction)),
    }
}

/// A word the call would send that the app neither declares nor has live now: the
/// only words a change keeps beyond the file's are live ones (`extra_commands`), and
/// that is checked on the state read just before the write, not taken from a plan.
fn unlisted_word<'f>(
    app: &App,
    fix: &'f Operation,
    live: Option<&CallbackConfig>,
) -> Option<&'f str> {
    let (Some(sent), Some(desired)) = (&fix.body, &app.callback) else {
        return None;
    };
    let declared: BTreeSet<&str> = desired.commands.iter().map(|c| c.word.as_str()).collect();
    let live: BTreeSet<&str> = live
        .map(|l| l.commands.iter().map(String::as_str).collect())
        .unwrap_or_default();
    sent.commands
        .iter()
        .map(String::as_str)
        .find(|word| !declared.contains(word) && !live.contains(word))
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
        WriteReply::Done { .. }
    ))
}

/// The exit code one change's outcome asks for.
pub(super) fn exit(applied: &Applied) -> Outcome {
    match applied {
        Applied::AlreadyInSync
        | Applied::Changed {
            converged: Ok(true),
            ..
        } => Outcome::Clean,
        Applied::ChangedSincePlan { .. }
        | Applied::Changed {
            converged: Ok(false),
            ..
        } => Outcome::Drift,
        Applied::NotChanged { failure, .. }
        | Applied::Changed {
            converged: Err(failure),
            ..
        } => failure_outcome(failure),
        Applied::Unknown { .. } => Outcome::Api,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Interface, Service};

    fn live(url: &str, commands: &[&str]) -> CallbackConfig {
        CallbackConfig {
            url: url.into(),
            commands: commands.iter().map(|c| (*c).to_owned()).collect(),
        }
    }

    #[test]
    fn what_was_sent_is_recognised_as_the_drift_engine_compares_urls() {
        let update = Operation {
            service: &Service::ROOM,
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
            service: &Service::ROOM,
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
