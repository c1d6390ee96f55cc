//! `cbcheck apply`: plan the calls that make the live configuration match the file,
//! confirm, make them, read each app back.

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;

use crate::Outcome;
use crate::api::{ApiError, CallbackConfig, Client, Interface, Live, Target, Written};
use crate::config::{self, App};
use crate::drift::{self, Remediation, Severity};
use crate::report::Style;
use crate::report::human::{self, Renderer};
use crate::verify::{self, Failure, VerifyOptions};

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

/// What happened to one planned change.
enum Applied {
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
    let loaded: Vec<config::Loaded> = files
        .iter()
        .map(|f| config::load(f, options.redaction))
        .collect();
    if loaded.iter().any(|l| l.config.is_none()) {
        for file in loaded.iter().filter(|l| l.config.is_none()) {
            human::eprint(&human::lint_report(&renderer, file));
        }
        return Outcome::Invalid;
    }
    let configs: Vec<config::Config> = loaded.into_iter().filter_map(|l| l.config).collect();
    if let Err(err) = verify::check_selectors(&configs, &options.selectors) {
        human::eprint(&format!("{}\n", renderer.render(&err)));
        return Outcome::Invalid;
    }
    let mut runs = Vec::new();
    for config in configs {
        match verify::verify(config, options) {
            Ok(run) => runs.push(run),
            Err(err) => {
                human::eprint(&format!("{}\n", renderer.render(&err)));
                return Outcome::Api;
            }
        }
    }
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

fn failure_outcome(failure: &Failure) -> Outcome {
    if failure.is_credentials() {
        Outcome::Credentials
    } else {
        Outcome::Api
    }
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

/// Make one change, falling back on the races the API reports, then read back.
async fn apply_one(
    client: &Client,
    target: &Target,
    change: &Change<'_>,
    redaction: crate::redact::Redaction,
) -> Applied {
    let written = write(client, target, change.fix).await;
    let (interface, via) = match written {
        Ok(done) => done,
        Err(err) => return Applied::Failed(Failure::Api(err)),
    };
    let converged = match client.get_callback(target).await {
        Ok(live) => {
            let live = match live {
                Live::Present { config, .. } => Some(config),
                Live::Absent { .. } => None,
            };
            Ok(!drift::compare(change.app, live.as_ref(), redaction)
                .iter()
                .any(|f| f.severity == Severity::Error))
        }
        Err(err) => Err(Failure::Api(err)),
    };
    Applied::Done {
        interface,
        via,
        converged,
    }
}

/// The call, and the fallback when someone changed the app meanwhile: a Create
/// answered 100300 becomes an Update, an Update answered 100301 becomes a Create.
async fn write(
    client: &Client,
    target: &Target,
    fix: &Remediation,
) -> Result<(Interface, Option<&'static str>), ApiError> {
    let Some(body) = &fix.body else {
        // Deleting what is already gone is done too.
        client.delete_callback(target).await?;
        return Ok((Interface::Delete, None));
    };
    match client.write_callback(target, fix.interface, body).await? {
        Written::Done { .. } => Ok((fix.interface, None)),
        Written::AlreadyExists { .. } => {
            retry(
                client,
                target,
                Interface::Update,
                body,
                "set_callback found one",
            )
            .await
        }
        Written::Absent { .. } => {
            retry(
                client,
                target,
                Interface::Set,
                body,
                "update_callback found none",
            )
            .await
        }
    }
}

async fn retry(
    client: &Client,
    target: &Target,
    interface: Interface,
    body: &CallbackConfig,
    why: &'static str,
) -> Result<(Interface, Option<&'static str>), ApiError> {
    match client.write_callback(target, interface, body).await? {
        Written::Done { .. } => Ok((interface, Some(why))),
        Written::AlreadyExists { request_id } | Written::Absent { request_id } => {
            Err(ApiError::Api {
                interface: interface.path(),
                sdkappid: target.sdkappid,
                code: -1,
                info: format!(
                    "the configuration kept changing under us ({why}, then the fallback failed too)"
                ),
                request_id,
            })
        }
    }
}

fn describe(change: &Change<'_>, applied: &Applied) -> (String, Outcome) {
    let app = change.app.label();
    match applied {
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
