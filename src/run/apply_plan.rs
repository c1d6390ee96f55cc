//! `cbcheck apply --plan PLAN.json --yes`: a saved plan's calls, sent as planned.
//!
//! The plan is untrusted input (it may be an artifact of someone else's CI run): it
//! is read bounded, checked whole before any request, and applied only where each
//! app's live configuration still has the digest the plan was made from.

use std::collections::{BTreeSet, HashSet};
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use miette::SourceSpan;
use serde::Deserialize;
use serde_json::Value;
use url::Url;

use super::error::Error;
use super::load::{Invalid, InvalidEntries, digests, load_all};
use super::outcome::Outcome;
use crate::cli::PlanFormat;
use crate::model::file_text::FileText;
use crate::model::key_names::KeyNames;
use crate::model::redact::Placeholders;
use crate::model::run_info::FileDigest;
use crate::model::tencent::region::Region;
use crate::model::text::printable;
use crate::model::{
    App, AppResult, Applied, CallbackConfig, Change, Config, DeclaredCommand, DesiredCallback,
    ErrorClass, ExtraCommands, Failure, FileResults, Finding, Interface, Kind, Operation,
    PlannedFrom, ServiceName, Severity, template,
};
use crate::report;
use crate::report::human::Stderr;
use crate::report::plan::PLAN_VERSION;
use crate::report::problem::Problem;
use crate::source::api::endpoint::{self, Declared, NotAllowed};
use crate::source::{self, FetchOptions};

/// A plan larger than this is refused unread: a real one is a few KiB per app.
const MAX_PLAN_BYTES: u64 = 16 * 1024 * 1024;
/// How far in the future a plan's `created` may be: clocks of two machines differ.
const CLOCK_SKEW: Duration = Duration::from_secs(5 * 60);

/// `--plan` and `--plan-max-age`.
pub(super) struct Saved {
    path: PathBuf,
    max_age: Duration,
}

impl Saved {
    pub(super) fn new(path: PathBuf, max_age_hours: u32) -> Saved {
        Saved {
            path,
            max_age: Duration::from_secs(u64::from(max_age_hours) * 3600),
        }
    }
}

/// Why a saved plan is not applied at all (exit 2; nothing was sent).
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub(super) enum PlanError {
    #[error(
        "the plan {plan} sends a URL with `${{NAME}}` placeholders ({app}): it is applied with its files only"
    )]
    #[diagnostic(
        code(cbcheck::plan::needs_files),
        help(
            "give the callbacks files the plan was made from (`cbcheck apply --plan PLAN FILE… --yes`): their digests prove which variables the reviewed file names, and nothing else of this environment goes into a URL"
        )
    )]
    NeedsFiles { plan: String, app: String },
    #[error("cannot read the plan {plan}: {reason}")]
    #[diagnostic(code(cbcheck::plan::unreadable))]
    Unreadable { plan: String, reason: String },
    #[error("the plan {plan} is larger than 16 MiB")]
    #[diagnostic(
        code(cbcheck::plan::too_large),
        help("give the JSON that `cbcheck apply FILE --dry-run --format json` printed")
    )]
    TooLarge { plan: String },
    #[error("{plan} is not a cbcheck plan: {what} at line {line}, column {column}")]
    #[diagnostic(
        code(cbcheck::plan::malformed),
        help("give the JSON that `cbcheck apply FILE --dry-run --format json` printed")
    )]
    Malformed {
        plan: String,
        what: &'static str,
        line: usize,
        column: usize,
    },
    #[error(
        "the plan {plan} has version {found}; this cbcheck applies plan version {PLAN_VERSION}"
    )]
    #[diagnostic(
        code(cbcheck::plan::version),
        help(
            "make the plan again with this cbcheck: `cbcheck apply FILE --dry-run --format json`"
        )
    )]
    Version { plan: String, found: String },
    #[error("the plan {plan} was made at {created}, more than {hours} hours ago")]
    #[diagnostic(
        code(cbcheck::plan::too_old),
        help("make the plan again, or allow an older one with --plan-max-age HOURS")
    )]
    TooOld {
        plan: String,
        created: String,
        hours: u64,
    },
    #[error("the plan {plan} is dated {created}, in the future")]
    #[diagnostic(
        code(cbcheck::plan::future),
        help(
            "check this machine's clock and the one the plan was made on, then make the plan again"
        )
    )]
    Future { plan: String, created: String },
    #[error("{file} is not one of the files the plan {plan} was made from")]
    #[diagnostic(
        code(cbcheck::plan::file),
        help("give the plan's files, named as when it was made, or no FILE")
    )]
    NotInPlan { plan: String, file: String },
    #[error("the plan {plan} was made from {file} too, which is not given")]
    #[diagnostic(
        code(cbcheck::plan::file),
        help("give every file of the plan, named as when it was made, or no FILE")
    )]
    NotGiven { plan: String, file: String },
    #[error(
        "{file} changed since the plan {plan} was made (its SHA-256 differs): make the plan again"
    )]
    #[diagnostic(
        code(cbcheck::plan::file_changed),
        help("`cbcheck apply {file} --dry-run --format json` plans from the file as it is now")
    )]
    FileChanged { plan: String, file: String },
    #[error("the plan {plan} does not match {file} for {app}: {what}")]
    #[diagnostic(
        code(cbcheck::plan::mismatch),
        help(
            "the plan was altered, or not made from this file: make the plan again from the file"
        )
    )]
    Mismatch {
        plan: String,
        file: String,
        app: String,
        what: &'static str,
    },
    #[error("the plan {plan} cannot be applied for {app}: {what}")]
    #[diagnostic(
        code(cbcheck::plan::inconsistent),
        help("the plan was altered or made by another program: make the plan again")
    )]
    Inconsistent {
        plan: String,
        app: String,
        what: &'static str,
    },
    #[error("{0}")]
    #[diagnostic(code(cbcheck::plan::endpoint_not_allowed), help("{}", .0.help()))]
    NotAllowed(NotAllowed),
}

/// What stops before any request: the plan refused, or a file given invalid.
enum Stop {
    Refused(PlanError),
    Invalid,
}

impl From<PlanError> for Stop {
    fn from(err: PlanError) -> Stop {
        Stop::Refused(err)
    }
}

/// The part of a plan read first, whatever its version.
#[derive(Deserialize)]
struct Versioned {
    version: Option<Value>,
}

/// What `apply --plan` reads of a version 2 plan; other fields are left alone.
#[derive(Deserialize)]
struct SavedPlan {
    created: String,
    files: Vec<String>,
    file_digests: Vec<SavedDigest>,
    apps: Vec<SavedApp>,
}

#[derive(Deserialize)]
struct SavedDigest {
    file: String,
    sha256: Option<String>,
}

#[derive(Deserialize)]
struct SavedApp {
    file: String,
    name: Option<String>,
    sdkappid: u64,
    service: ServiceName,
    interface: Option<String>,
    live: Option<SavedLive>,
    live_sha256: Option<String>,
    request: Option<SavedRequest>,
    #[serde(default)]
    by_hand: Vec<SavedByHand>,
    error: Option<SavedError>,
}

#[derive(Deserialize)]
struct SavedLive {
    callback: Option<SavedCallback>,
}

#[derive(Deserialize)]
struct SavedCallback {
    #[serde(rename = "CallbackCommandList")]
    commands: Vec<String>,
}

#[derive(Deserialize)]
struct SavedRequest {
    region: Option<Region>,
    endpoint: Option<String>,
    identifier: String,
    secret_key_env: Option<String>,
    /// `{}`, or exactly `Url` and `CallbackCommandList`: read by [`body`].
    body: serde_json::Map<String, Value>,
}

#[derive(Deserialize)]
struct SavedByHand {
    message: String,
    desired: Option<String>,
    live: Option<String>,
}

#[derive(Deserialize)]
struct SavedError {
    class: ErrorClass,
    code: Option<i64>,
    message: String,
    request_id: Option<String>,
}

/// One app of the plan, ready: its app as the request needs it, its call (`None`:
/// nothing planned), the digest it was planned from, and why it cannot be sent.
struct Ready {
    file: usize,
    app: App,
    fix: Option<Operation>,
    live_sha256: String,
    unsent: Option<Failure>,
    failure: Option<Failure>,
    findings: Vec<Finding>,
}

/// Apply the saved plan; `files` (may be none) must be its files, unchanged.
pub(super) fn run(
    stderr: &Stderr,
    saved: &Saved,
    files: &[PathBuf],
    options: &FetchOptions,
    format: PlanFormat,
) -> Result<Outcome, Error> {
    let json = format == PlanFormat::Json;
    let name = saved.path.display().to_string();
    let plan = match checked(stderr, saved, &name, files, options) {
        Ok(plan) => plan,
        Err(stop) => {
            let outcome = match stop {
                Stop::Refused(err) => {
                    let err = Error::from(err);
                    if json {
                        let problems = [Problem::of_run(&err)];
                        let text = report::apply::render_json(&[], &[], &[], &[], &problems);
                        if let Err(write) = report::print_stdout(&text) {
                            return Err(Error::Then(Box::new(err), Box::new(write.into())));
                        }
                    }
                    return Err(err);
                }
                Stop::Invalid => Outcome::Invalid,
            };
            return Ok(outcome);
        }
    };
    let (plan_files, ready) = plan;

    // Each `${NAME}` is expanded again, from this run's environment.
    let keys = KeyNames::new(ready.iter().filter_map(|r| r.app.secret_key_env.as_deref()));
    let mut used = Vec::new();
    let mut ready = ready;
    for r in &mut ready {
        if r.fix.is_none() {
            continue;
        }
        let expanded = options.env.expand_url(&mut r.app, &keys, &mut used);
        match (expanded, &mut r.fix, &r.app.callback) {
            (Err(unset), _, _) => r.unsent = Some(Failure::from(unset)),
            (Ok(()), Some(fix), Some(desired)) => {
                if let Some(body) = &mut fix.body {
                    body.url.clone_from(&desired.url);
                }
            }
            _ => {}
        }
    }
    let options = &FetchOptions {
        redaction: options
            .redaction
            .clone()
            .with_placeholders(Placeholders::new(
                used.iter().map(|(n, v)| (n.as_str(), v.as_str())),
            )),
        ..options.clone()
    };
    let redaction = &options.redaction;

    // The plan's apps as results, grouped by file: what the outcome reports read.
    let mut runs: Vec<FileResults> = plan_files
        .iter()
        .map(|file| FileResults {
            config: Config {
                file: file.clone(),
                source: Arc::new(FileText::new(file.clone(), String::new())),
                apps: Vec::new(),
            },
            redaction: redaction.clone(),
            results: Vec::new(),
            notices: Vec::new(),
        })
        .collect();
    let mut meta: Vec<Vec<(String, Option<Failure>)>> = vec![Vec::new(); runs.len()];
    for r in ready {
        runs[r.file].results.push(AppResult {
            app: r.app,
            // The plan keeps the digest of the state it was made from, not the state.
            live: r.failure.is_none().then_some(None),
            findings: r.findings,
            remediation: r.fix,
            failure: r.failure,
            base: None,
        });
        meta[r.file].push((r.live_sha256, r.unsent));
    }
    let mut changes = Vec::new();
    let mut unsent = Vec::new();
    for (run, meta) in runs.iter().zip(&meta) {
        for (result, (digest, failure)) in run.results.iter().zip(meta) {
            if let Some(fix) = &result.remediation {
                changes.push(Change {
                    app: &result.app,
                    fix,
                    planned_from: PlannedFrom::Digest(digest),
                });
                unsent.push(failure.clone());
            }
        }
    }

    let progress = Arc::new(stderr.progress(!json));
    let applied = if changes.is_empty() {
        Vec::new()
    } else {
        let mut remote = source::Remote::new(options.client.clone());
        let connection = match remote.connect() {
            Ok(connection) => connection,
            Err(err) => return Err(Error::NothingChanged(err)),
        };
        send(&changes, &unsent, options, connection, &progress)
    };
    let written = if json {
        let text = report::apply::render_json(&plan_files, &runs, &changes, &applied, &[]);
        super::output::stdout_outcome(stderr, &text)
    } else {
        stderr.say_lines(&report::apply::outcomes(&changes, &applied, redaction));
        Outcome::Clean
    };
    let outcome = applied
        .iter()
        .map(super::apply::exit)
        .fold(Outcome::Clean, Outcome::max)
        .max(written);
    // As a run from the files: what apply never sets keeps it at exit 1, and says so.
    match report::apply::by_hand_line(&runs) {
        Some(line) => {
            if outcome == Outcome::Clean && !json {
                stderr.say(&line);
            }
            Ok(outcome.max(Outcome::Drift))
        }
        None => Ok(outcome),
    }
}

/// The changes, those that cannot be sent (`unsent`) reported as not changed.
fn send(
    changes: &[Change<'_>],
    unsent: &[Option<Failure>],
    options: &FetchOptions,
    connection: &source::Connection,
    progress: &report::progress::Progress,
) -> Vec<Applied> {
    let sendable: Vec<Change<'_>> = changes
        .iter()
        .zip(unsent)
        .filter(|(_, failure)| failure.is_none())
        .map(|(change, _)| Change {
            app: change.app,
            fix: change.fix,
            planned_from: change.planned_from,
        })
        .collect();
    let mut sent = super::apply::execute(&sendable, options, connection, progress).into_iter();
    unsent
        .iter()
        .map(|failure| match failure {
            Some(failure) => Applied::NotChanged {
                failure: failure.clone(),
                confirmed: false,
            },
            None => sent.next().unwrap_or_else(|| Applied::NotChanged {
                failure: Failure::new(ErrorClass::Api, "not sent".into(), String::new()),
                confirmed: false,
            }),
        })
        .collect()
}

/// The plan read and checked whole, and the files given checked against it: its
/// files, and each app ready.
fn checked(
    stderr: &Stderr,
    saved: &Saved,
    name: &str,
    files: &[PathBuf],
    options: &FetchOptions,
) -> Result<(Vec<String>, Vec<Ready>), Stop> {
    let plan = read(&saved.path, name)?;
    fresh(&plan.created, saved.max_age, name)?;
    let mut ready = ready(&plan, name)?;
    // Where each request would go, for every app, before any is sent.
    for r in ready.iter().filter(|r| r.fix.is_some()) {
        let declared = Declared {
            sdkappid: r.app.sdkappid,
            region: r.app.region,
            endpoint: r.app.endpoint.clone(),
        };
        endpoint::resolve(
            &declared,
            options.endpoint.as_ref(),
            &options.allowed_endpoints,
        )
        .map_err(PlanError::NotAllowed)?;
    }
    if files.is_empty() {
        // Without its files, nothing says which `${NAME}`s the reviewed file used: a
        // plan could name any variable of this environment (another app's key) and
        // have it stored in a callback URL. Such a plan is applied with its files only.
        if let Some(r) = ready.iter().find(|r| {
            r.fix.is_some()
                && r.app
                    .callback
                    .as_ref()
                    .is_some_and(|d| crate::model::template::is_template(&d.url))
        }) {
            return Err(PlanError::NeedsFiles {
                plan: name.to_owned(),
                app: r.app.title(),
            }
            .into());
        }
    } else {
        let declared = same_files(stderr, &plan, name, files, options)?;
        // The apps declare what their files declare: a word the plan sends beyond them
        // is sent only if it is live just before the write (apply checks it then), not
        // because the plan says it saw it.
        for r in &mut ready {
            let key = (r.app.sdkappid, r.app.service);
            if let (Some(desired), Some(words)) = (r.app.callback.as_mut(), declared.get(&key)) {
                desired.commands.clone_from(words);
            }
        }
    }
    Ok((plan.files, ready))
}

/// The plan file, bounded, parsed; its version first, whatever the rest holds.
fn read(path: &Path, name: &str) -> Result<SavedPlan, PlanError> {
    let unreadable = |err: std::io::Error| PlanError::Unreadable {
        plan: name.to_owned(),
        reason: err.kind().to_string(),
    };
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|file| file.take(MAX_PLAN_BYTES + 1).read_to_end(&mut bytes))
        .map_err(unreadable)?;
    if bytes.len() as u64 > MAX_PLAN_BYTES {
        return Err(PlanError::TooLarge {
            plan: name.to_owned(),
        });
    }
    let malformed = |err: serde_json::Error| PlanError::Malformed {
        plan: name.to_owned(),
        // The error's own text may quote the plan: only its kind and place are shown.
        what: match err.classify() {
            serde_json::error::Category::Syntax => "invalid JSON",
            serde_json::error::Category::Eof => "the JSON ends early",
            serde_json::error::Category::Data => "a field is missing or has the wrong type",
            serde_json::error::Category::Io => "it cannot be read",
        },
        line: err.line(),
        column: err.column(),
    };
    let versioned: Versioned = serde_json::from_slice(&bytes).map_err(malformed)?;
    match versioned.version {
        Some(Value::Number(n)) if n.as_u64() == Some(u64::from(PLAN_VERSION)) => {}
        found => {
            return Err(PlanError::Version {
                plan: name.to_owned(),
                found: match found {
                    Some(Value::Number(n)) => n.to_string(),
                    Some(_) => "(not a number)".to_owned(),
                    None => "(none)".to_owned(),
                },
            });
        }
    }
    serde_json::from_slice(&bytes).map_err(malformed)
}

/// The plan is no older than `max_age`, and not from the future.
fn fresh(created: &str, max_age: Duration, name: &str) -> Result<(), PlanError> {
    let at = time::OffsetDateTime::parse(created, &time::format_description::well_known::Rfc3339)
        .map_err(|_| PlanError::Inconsistent {
        plan: name.to_owned(),
        app: "the plan".to_owned(),
        what: "its `created` is not an RFC 3339 time",
    })?;
    let at = SystemTime::from(at);
    let created = printable(created, &[]).into_owned();
    match SystemTime::now().duration_since(at) {
        Ok(age) if age > max_age => Err(PlanError::TooOld {
            plan: name.to_owned(),
            created,
            hours: max_age.as_secs() / 3600,
        }),
        Ok(_) => Ok(()),
        Err(ahead) if ahead.duration() > CLOCK_SKEW => Err(PlanError::Future {
            plan: name.to_owned(),
            created,
        }),
        Err(_) => Ok(()),
    }
}

/// How a plan's message names an app: its title, made printable.
fn title(app: &SavedApp) -> String {
    let mut named = App::bare(app.sdkappid, Region::Singapore, String::new());
    named.name.clone_from(&app.name);
    named.service = app.service;
    printable(&named.title(), &[]).into_owned()
}

/// A request's body: `None` for `{}`, else exactly `Url` (a string) and
/// `CallbackCommandList` (strings).
fn body(map: &serde_json::Map<String, Value>) -> Option<Option<(String, Vec<String>)>> {
    if map.is_empty() {
        return Some(None);
    }
    if map.len() != 2 {
        return None;
    }
    let url = map.get("Url")?.as_str()?.to_owned();
    let commands = map
        .get("CallbackCommandList")?
        .as_array()?
        .iter()
        .map(|word| word.as_str().map(str::to_owned))
        .collect::<Option<Vec<String>>>()?;
    Some(Some((url, commands)))
}

/// The interface a service's path names, for a body or none.
fn interface(app: &SavedApp, path: &str, with_body: bool) -> Option<Interface> {
    let row = app.service.row();
    let candidates: &[Interface] = if with_body {
        &[Interface::Set, Interface::Update]
    } else {
        &[Interface::Delete]
    };
    candidates.iter().copied().find(|i| row.path(*i) == path)
}

/// Each app of the plan made ready; anything a plan cannot hold is refused.
fn ready(plan: &SavedPlan, name: &str) -> Result<Vec<Ready>, PlanError> {
    let mut seen = HashSet::new();
    let nowhere = SourceSpan::new(0.into(), 0);
    plan.apps
        .iter()
        .map(|saved| {
            let inconsistent = |what| PlanError::Inconsistent {
                plan: name.to_owned(),
                app: title(saved),
                what,
            };
            let file = plan
                .files
                .iter()
                .position(|f| *f == saved.file)
                .ok_or_else(|| inconsistent("its file is not among the plan's files"))?;
            if !seen.insert((saved.sdkappid, saved.service)) {
                return Err(inconsistent("it is planned twice"));
            }
            let mut app = App::bare(saved.sdkappid, Region::Singapore, String::new());
            app.region = None;
            app.name.clone_from(&saved.name);
            app.service = saved.service;
            let failure = saved.error.as_ref().map(|e| {
                Failure::new(e.class, e.message.clone(), String::new())
                    .with_vendor(e.code, e.request_id.clone())
            });
            let findings = saved
                .by_hand
                .iter()
                .map(|entry| Finding {
                    kind: Kind::TokenAuthMismatch,
                    severity: Severity::Error,
                    message: entry.message.clone(),
                    desired: entry.desired.clone(),
                    live: entry.live.clone(),
                    span: nowhere,
                    label: String::new(),
                    help: None,
                })
                .collect();
            let (fix, live_sha256) = match (&saved.request, &saved.interface) {
                (None, None) => (None, String::new()),
                (None, Some(_)) => {
                    return Err(inconsistent(
                        "the plan holds no request for its call: its URL has a secret written in the file (write it as `${NAME}`, or make the plan with --show-secrets)",
                    ));
                }
                (Some(_), None) => return Err(inconsistent("it has a request but no interface")),
                (Some(request), Some(path)) => {
                    let digest = saved
                        .live_sha256
                        .clone()
                        .filter(|d| d.len() == 64 && d.bytes().all(|b| b.is_ascii_hexdigit()))
                        .ok_or_else(|| inconsistent("its `live_sha256` is not a SHA-256"))?;
                    let body =
                        body(&request.body).ok_or_else(|| inconsistent("its body is not a callback configuration or {}"))?;
                    let interface = interface(saved, path, body.is_some())
                        .ok_or_else(|| inconsistent("its interface does not fit its service and body"))?;
                    app.region = request.region;
                    app.endpoint = match &request.endpoint {
                        None => None,
                        Some(text) => Some(
                            Url::parse(text)
                                .ok()
                                .filter(|u| matches!(u.scheme(), "http" | "https") && u.has_host())
                                .ok_or_else(|| inconsistent("its endpoint is not an http(s) URL"))?,
                        ),
                    };
                    if app.region.is_none() && app.endpoint.is_none() {
                        return Err(inconsistent("it has neither a region nor an endpoint"));
                    }
                    app.identifier.clone_from(&request.identifier);
                    app.secret_key_env.clone_from(&request.secret_key_env);
                    app.callback = match &body {
                        None => None,
                        Some((url, commands)) => {
                            if !callback_url(url) {
                                return Err(inconsistent(
                                    "its URL is not an http(s) URL with well-formed `${NAME}`s",
                                ));
                            }
                            Some(DesiredCallback {
                                url: url.clone(),
                                written: url.clone(),
                                commands: commands
                                    .iter()
                                    .map(|word| DeclaredCommand {
                                        word: word.clone(),
                                        span: nowhere,
                                    })
                                    .collect(),
                                url_span: nowhere,
                                commands_key: nowhere,
                            })
                        }
                    };
                    let fix = Operation {
                        service: app.service.row(),
                        interface,
                        body: body.map(|(url, commands)| CallbackConfig { url, commands }),
                    };
                    (Some(fix), digest)
                }
            };
            Ok(Ready {
                file,
                app,
                fix,
                live_sha256,
                unsent: None,
                failure,
                findings,
            })
        })
        .collect()
}

/// A URL as a plan may carry it: its `${NAME}`s well formed, and an http(s) URL with
/// a host once each stands for its name.
fn callback_url(url: &str) -> bool {
    let Ok(segments) = template::parse(url) else {
        return false;
    };
    let shape = template::expand(&segments, |name| Some(name.to_owned())).unwrap_or_default();
    Url::parse(&shape).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.has_host())
}

/// The files given are the plan's, unchanged, and declare what it plans.
fn same_files(
    stderr: &Stderr,
    plan: &SavedPlan,
    name: &str,
    files: &[PathBuf],
    options: &FetchOptions,
) -> Result<DeclaredWords, Stop> {
    let (loaded, valid) = match load_all(
        stderr,
        files,
        &options.redaction,
        false,
        InvalidEntries::Refuse,
    ) {
        Ok(files) => (files.loaded, true),
        Err(Invalid { loaded, .. }) => (loaded, false),
    };
    let given: Vec<FileDigest> = digests(&loaded);
    for file in &given {
        let shown = printable(&file.file, &[]).into_owned();
        let Some(planned) = plan.file_digests.iter().find(|d| d.file == file.file) else {
            return Err(PlanError::NotInPlan {
                plan: name.to_owned(),
                file: shown,
            }
            .into());
        };
        if planned.sha256.is_none() || planned.sha256 != file.sha256 {
            return Err(PlanError::FileChanged {
                plan: name.to_owned(),
                file: shown,
            }
            .into());
        }
    }
    if let Some(missing) = plan
        .files
        .iter()
        .find(|f| !given.iter().any(|g| g.file == **f))
    {
        return Err(PlanError::NotGiven {
            plan: name.to_owned(),
            file: printable(missing, &[]).into_owned(),
        }
        .into());
    }
    if !valid {
        return Err(Stop::Invalid);
    }
    let configs: Vec<&Config> = loaded.iter().filter_map(|l| l.config.as_ref()).collect();
    let mut words = DeclaredWords::new();
    for saved in &plan.apps {
        if let Some(request) = &saved.request {
            let app = declared(saved, request, &configs).map_err(|what| PlanError::Mismatch {
                plan: name.to_owned(),
                file: printable(&saved.file, &[]).into_owned(),
                app: title(saved),
                what,
            })?;
            if let Some(desired) = &app.callback {
                words.insert((app.sdkappid, app.service), desired.commands.clone());
            }
        }
    }
    Ok(words)
}

/// Each planned app's command words as its file declares them.
type DeclaredWords =
    std::collections::HashMap<(u64, crate::model::ServiceName), Vec<DeclaredCommand>>;

/// The planned request is what the file declares for the app: where it goes, as whom,
/// the URL as written and the commands (with the live extras the file keeps, those the
/// plan was made from).
fn declared<'c>(
    saved: &SavedApp,
    request: &SavedRequest,
    configs: &[&'c Config],
) -> Result<&'c App, &'static str> {
    let app = configs
        .iter()
        .filter(|c| c.file == saved.file)
        .flat_map(|c| &c.apps)
        .find(|a| a.sdkappid == saved.sdkappid && a.service == saved.service)
        .ok_or("the file declares no such app")?;
    if app.region != request.region
        || app.endpoint.as_ref().map(ToString::to_string) != request.endpoint
    {
        return Err("another region or endpoint");
    }
    if app.identifier != request.identifier || app.secret_key_env != request.secret_key_env {
        return Err("another identifier or secret_key_env");
    }
    let sent = body(&request.body).ok_or("a malformed body")?;
    match (&app.callback, sent) {
        (None, None) => Ok(app),
        (Some(_), None) => Err("the plan deletes a callback the file declares"),
        (None, Some(_)) => Err("the plan sends a callback the file declares absent"),
        (Some(desired), Some((url, commands))) => {
            if desired.written != url {
                return Err("another callback URL");
            }
            let declared: BTreeSet<&str> =
                desired.commands.iter().map(|c| c.word.as_str()).collect();
            let sent: BTreeSet<&str> = commands.iter().map(String::as_str).collect();
            let live: BTreeSet<&str> = saved
                .live
                .as_ref()
                .and_then(|l| l.callback.as_ref())
                .map(|c| c.commands.iter().map(String::as_str).collect())
                .unwrap_or_default();
            let extras_kept = app.extra_commands != ExtraCommands::Error;
            let fits = declared.is_subset(&sent)
                && sent
                    .difference(&declared)
                    .all(|extra| extras_kept && live.contains(extra));
            if fits {
                Ok(app)
            } else {
                Err("another set of commands")
            }
        }
    }
}
