//! `cbcheck export`: write what is live as a callbacks file.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::error::Error;
use super::input::NewFile;
use super::outcome::{Outcome, failure_outcome};
use crate::cli;
use crate::config::edit::{self, Want};
use crate::config::{self, App, placeholders, writer};
use crate::model::key_names::KeyNames;
use crate::model::redact::{self, Redaction};
use crate::model::tencent::region::Region;
use crate::model::{CallbackConfig, Failure, ServiceName};
use crate::report;
use crate::report::human::{self, Stderr};
use crate::source::api::Live;
use crate::source::{self, FetchOptions};

/// Which apps to export.
enum Scope {
    /// `--sdkappid …`, `--sdkappid-file …`, `--region`, `--service`, `--identifier`
    Ids {
        /// Each SDKAppID once with its region, grouped by region (the most common first).
        fleet: Vec<(u64, Region)>,
        /// The services read for each SDKAppID.
        services: Vec<ServiceName>,
        /// Without `--service`: only the services configured become entries, and an
        /// SDKAppID with none is one comment line.
        configured_only: bool,
        identifier: String,
    },
    /// `--from callbacks.yaml`
    File(PathBuf),
}

/// What `cbcheck export` was asked to do, checked.
pub(super) struct Settings {
    scope: Scope,
    /// `-o`: the file to write; stdout without it.
    output: Option<PathBuf>,
    /// `--force`: `-o` may replace an existing file.
    force: bool,
    literal_urls: bool,
    /// `--secrets-out`: where the placeholders' values go.
    secrets_out: Option<PathBuf>,
    options: FetchOptions,
}

/// `--sdkappid` and `--sdkappid-file` that make no fleet (exit 2).
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub(super) enum FleetError {
    #[error("cannot read {file}: {reason}")]
    #[diagnostic(
        code(cbcheck::usage::sdkappid_file),
        help("--sdkappid-file names a file with one `ID` or `ID:REGION` a line")
    )]
    Unreadable { file: String, reason: String },

    #[error("{file}:{line}: {reason}")]
    #[diagnostic(
        code(cbcheck::usage::sdkappid_file),
        help(
            "each line is one `ID` or `ID:REGION` (e.g. `1400000001:seoul`); blank lines and \
             `#` comments are skipped"
        )
    )]
    Line {
        file: String,
        line: usize,
        reason: String,
    },

    #[error("sdkappid {sdkappid} ({from}) has no region")]
    #[diagnostic(
        code(cbcheck::usage::no_region),
        help("give it as `{sdkappid}:REGION`, or --region for every app given without one")
    )]
    NoRegion { sdkappid: u64, from: String },

    #[error(
        "sdkappid {sdkappid} is given with two regions: {first} ({first_from}) and {second} ({from})"
    )]
    #[diagnostic(
        code(cbcheck::usage::two_regions),
        help("an SDKAppID belongs to one region: give it once, or with the same region")
    )]
    TwoRegions {
        sdkappid: u64,
        first: &'static str,
        first_from: String,
        second: &'static str,
        from: String,
    },

    #[error("no SDKAppID to export: {files} list none")]
    #[diagnostic(
        code(cbcheck::usage::no_sdkappid),
        help("give --sdkappid ID[:REGION], or list them in the file, one a line")
    )]
    Empty { files: String },
}

/// The apps given on the command line and in `--sdkappid-file`s, each SDKAppID once
/// with its region (`--region` for those without their own), grouped by region: the
/// region most of them have first (it becomes `defaults.region`), then the others in
/// the order they were first given. The same SDKAppID given twice with one region is
/// exported once; with two regions it is refused.
fn fleet(
    given: &[cli::ExportApp],
    files: &[PathBuf],
    region: Option<Region>,
) -> Result<Vec<(u64, Region)>, FleetError> {
    let mut listed: Vec<(cli::ExportApp, String)> = given
        .iter()
        .map(|app| (*app, "--sdkappid".to_owned()))
        .collect();
    for file in files {
        let name = file.display().to_string();
        let text = std::fs::read_to_string(file).map_err(|e| FleetError::Unreadable {
            file: name.clone(),
            reason: e.to_string(),
        })?;
        for (index, line) in text.lines().enumerate() {
            let entry = line.split_once('#').map_or(line, |(entry, _)| entry).trim();
            if entry.is_empty() {
                continue;
            }
            let app = cli::parse_export_app(entry).map_err(|reason| FleetError::Line {
                file: name.clone(),
                line: index + 1,
                reason,
            })?;
            listed.push((app, format!("{name}:{}", index + 1)));
        }
    }
    if listed.is_empty() {
        let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
        return Err(FleetError::Empty {
            files: names.join(", "),
        });
    }
    let mut fleet: Vec<(u64, Region)> = Vec::with_capacity(listed.len());
    let mut seen: HashMap<u64, (Region, String)> = HashMap::new();
    for (app, from) in listed {
        let Some(own) = app.region.or(region) else {
            return Err(FleetError::NoRegion {
                sdkappid: app.sdkappid,
                from,
            });
        };
        match seen.get(&app.sdkappid) {
            Some((first, first_from)) if *first != own => {
                return Err(FleetError::TwoRegions {
                    sdkappid: app.sdkappid,
                    first: first.name(),
                    first_from: first_from.clone(),
                    second: own.name(),
                    from,
                });
            }
            Some(_) => {}
            None => {
                seen.insert(app.sdkappid, (own, from));
                fleet.push((app.sdkappid, own));
            }
        }
    }
    // Regions in the order first given, then the most common first (stable: the
    // first given wins a tie).
    let mut regions: Vec<(Region, usize)> = Vec::new();
    for (_, own) in &fleet {
        match regions.iter_mut().find(|(r, _)| r == own) {
            Some((_, count)) => *count += 1,
            None => regions.push((*own, 1)),
        }
    }
    regions.sort_by_key(|(_, count)| std::cmp::Reverse(*count));
    let rank = |r: &Region| regions.iter().position(|(x, _)| x == r);
    fleet.sort_by_key(|(_, own)| rank(own));
    Ok(fleet)
}

impl Settings {
    /// The arguments as one value, with keys and placeholder values read from `env`:
    /// apps by id with their regions, or a file that names them.
    pub(super) fn new(args: cli::ExportArgs, env: source::keys::Env) -> Result<Settings, Error> {
        let scope = match args.from {
            Some(file) => Scope::File(file),
            None => Scope::Ids {
                fleet: fleet(&args.sdkappids, &args.sdkappid_files, args.region)?,
                services: args
                    .service
                    .map_or_else(|| ServiceName::ALL.to_vec(), cli::ServiceChoice::services),
                configured_only: args.service.is_none(),
                identifier: args.identifier,
            },
        };
        // Refused before any request: the file is never replaced.
        if let Some(path) = &args.secrets_out
            && std::fs::symlink_metadata(path).is_ok()
        {
            return Err(Error::Usage(
                "--secrets-out names a file that exists: cbcheck never replaces a file of secret values (remove it, or name another)",
            ));
        }
        Ok(Settings {
            scope,
            output: args.output,
            force: args.force,
            literal_urls: args.literal_urls,
            secrets_out: args.secrets_out,
            options: FetchOptions {
                live_from: args.live_from,
                ..super::options::network_options(args.network, env)
            },
        })
    }
}

pub(super) fn run(stderr: &Stderr, settings: Settings) -> Result<Outcome, Error> {
    let Settings {
        scope,
        output,
        force,
        literal_urls,
        secrets_out,
        options,
    } = settings;
    let (output, options) = (output.as_deref(), &options);
    // A new file is never written over an existing one by surprise (--from refreshes
    // its file in place: that is what it is for). Checked before any request.
    if let (Some(path), Scope::Ids { .. }) = (output, &scope) {
        let who = NewFile {
            command: "export -o",
            help: "give another -o FILE, --force to replace it, or refresh it in place with \
                   `export --from FILE -o FILE`",
        };
        super::input::refuse_existing(path, force, &who)?;
    }
    let from_file = matches!(scope, Scope::File(_));
    // With --from, the file's own text: it is edited in place.
    let mut original = None;
    // The run's key sources: cbcheck's own, and with --from the file's.
    let mut keys = KeyNames::default();
    let (apps, defaults) = match &scope {
        Scope::Ids {
            fleet,
            services,
            identifier,
            ..
        } => {
            let apps = fleet
                .iter()
                .flat_map(|(id, region)| {
                    services.iter().map(|service| App {
                        service: *service,
                        ..App::bare(*id, *region, identifier.clone())
                    })
                })
                .collect();
            // The fleet's first region is the one most of its apps have.
            let region = fleet.first().map(|(_, region)| *region);
            (apps, region.map(|region| (region, identifier.as_str())))
        }
        Scope::File(file) => {
            let (mut loaded, text) = config::load_with_text(file, &Redaction::default());
            keys = config::check_key_placeholders(std::slice::from_mut(&mut loaded));
            let (Some(config), Some(text)) = (loaded.config.as_ref(), text) else {
                stderr.say(&human::lint_report(stderr.renderer(), &loaded));
                return Ok(Outcome::Invalid);
            };
            original = Some((file.as_path(), text));
            (config.apps.clone(), None)
        }
    };

    let progress = Arc::new(stderr.progress(true));
    let options = &super::options::observed(options, &progress, "reading");
    let remote = &mut source::Remote::new(options.client.clone());
    // A file's `${NAME}`s are expanded first: their values are known, and written
    // back as the placeholders they came from.
    let (apps, state, redaction) =
        match source::expanded_live_states(vec![apps], &keys, options, remote, true) {
            Ok(mut expanded) => {
                let (apps, state) = expanded.groups.pop().unwrap_or_default();
                (apps, state, expanded.redaction)
            }
            Err(err) => return Err(err.into()),
        };
    let source::GroupState {
        lives,
        tokens,
        notices,
    } = state;
    for notice in &notices {
        stderr.say(&human::notice_line(notice));
    }
    // Live's signing is written as found (`token_auth`).
    let apps: Vec<App> = apps
        .into_iter()
        .zip(tokens)
        .map(|(app, token)| App {
            token_auth: token.or(app.token_auth),
            ..app
        })
        .collect();

    // Nothing is written unless every app was read: a file missing an app that
    // could not be read would silently drop it.
    let mut outcome = Outcome::Clean;
    for (app, live) in apps.iter().zip(&lives) {
        if let Err(failure) = live {
            // Each service of a bare SDKAppID is read: the message names which.
            stderr.say(&if from_file {
                human::failure_report(app, failure)
            } else {
                report::export::unreadable(app, failure)
            });
            outcome = outcome.max(failure_outcome(failure));
        }
    }
    if outcome != Outcome::Clean {
        stderr.say(report::export::INCOMPLETE);
        return Ok(outcome);
    }

    let known = redaction.placeholders().values();
    // Each `${NAME}` the written file uses, with its value: new ones from live URLs,
    // the file's own from where the run read them.
    let mut secrets = std::collections::BTreeMap::new();
    let lives: Vec<Result<Live, Failure>> = apps
        .iter()
        .zip(lives)
        .map(|(app, live)| match live {
            Ok(Live::Present { config, request_id }) if !literal_urls => {
                let prefix = placeholders::variable_prefix(app.sdkappid, app.service);
                let templated = placeholders::templated(&config.url, &prefix, known);
                for variable in &templated.variables {
                    stderr.say(&report::export::placeholder(
                        app,
                        &variable.param,
                        &variable.name,
                    ));
                    secrets.insert(variable.name.clone(), variable.value.clone());
                }
                let config = CallbackConfig {
                    url: templated.url,
                    ..config
                };
                Ok(Live::Present { config, request_id })
            }
            live => live,
        })
        .collect();
    for (_, name) in known {
        if !secrets.contains_key(name)
            && let Some(value) = options.env.placeholder(name)
        {
            secrets.insert(name.clone(), value);
        }
    }
    let secrets_out = secrets_out.as_deref().map(|path| (path, &secrets));
    if let Some((from, text)) = &original {
        let outcome = refresh(
            stderr,
            (from, text),
            &apps,
            &lives,
            output,
            literal_urls,
            &redaction,
        )?;
        if outcome == Outcome::Clean {
            write_secrets(stderr, secrets_out)?;
        }
        return Ok(outcome);
    }

    let Scope::Ids {
        fleet,
        services,
        configured_only,
        ..
    } = &scope
    else {
        // --from returned above.
        return Ok(Outcome::Clean);
    };
    let entries = new_entries(&apps, &lives, fleet, services, *configured_only);
    let declared = entries.iter().filter(|e| e.declares()).count();
    if declared == 0 {
        stderr.say(&report::export::none_declarable(fleet.len()));
        return Ok(Outcome::Invalid);
    }
    for entry in &entries {
        let writer::Entry::Present(app, live) = entry else {
            continue;
        };
        if let Some(problem) = writer::live_url_problem(&live.url) {
            stderr.say_lines(&report::export::url_undeclarable(
                app,
                &live.url,
                &problem,
                &redaction,
                report::export::Undeclarable::Commented,
            ));
        } else if carries_secrets(&live.url, literal_urls) {
            stderr.say_lines(&report::export::url_with_secrets(
                app, &live.url, &redaction,
            ));
        }
    }
    let text = writer::render(
        &entries,
        defaults
            .map(|(region, identifier)| writer::Defaults { region, identifier })
            .as_ref(),
    );
    match output {
        Some(path) => {
            report::write_file_atomically(path, &text)?;
            stderr.say_lines(&report::export::written(
                path,
                &counted(&entries, fleet.len()),
            ));
        }
        None => {
            report::print_stdout(&text)?;
        }
    }
    write_secrets(stderr, secrets_out)?;
    Ok(Outcome::Clean)
}

/// The entries of a new file, an SDKAppID's services together: each service read, or
/// (`configured_only`) those with a configuration, and one line for an SDKAppID
/// with none.
fn new_entries<'a>(
    apps: &'a [App],
    lives: &'a [Result<Live, Failure>],
    fleet: &[(u64, Region)],
    services: &'a [ServiceName],
    configured_only: bool,
) -> Vec<writer::Entry<'a>> {
    let mut entries = Vec::with_capacity(apps.len());
    // `apps` holds each SDKAppID's services in a row, in fleet order.
    for ((sdkappid, region), (apps, lives)) in fleet.iter().zip(
        apps.chunks(services.len())
            .zip(lives.chunks(services.len())),
    ) {
        let mut any = false;
        for (app, live) in apps.iter().zip(lives) {
            match live {
                Ok(Live::Present { config, .. }) => {
                    any = true;
                    entries.push(writer::Entry::Present(app, config));
                }
                Ok(Live::Absent { .. }) if !configured_only => {
                    entries.push(writer::Entry::Absent(app));
                }
                // Every app was read before this is reached.
                Ok(Live::Absent { .. }) | Err(_) => {}
            }
        }
        if configured_only && !any {
            entries.push(writer::Entry::Nothing {
                sdkappid: *sdkappid,
                region: *region,
                services,
            });
        }
    }
    entries
}

/// What a new file holds, counted for the line that says it was written.
fn counted(entries: &[writer::Entry<'_>], sdkappids: usize) -> report::export::Written {
    let declared = |service: ServiceName| {
        entries
            .iter()
            .filter(|e| {
                e.declares()
                    && matches!(e, writer::Entry::Present(app, _) if app.service == service)
            })
            .count()
    };
    let with_none = entries
        .iter()
        .filter(|e| matches!(e, writer::Entry::Nothing { .. }))
        .count();
    report::export::Written {
        sdkappids,
        entries: ServiceName::ALL
            .iter()
            .map(|s| (*s, declared(*s)))
            .collect(),
        with_none,
        commented: entries.iter().filter(|e| !e.declares()).count() - with_none,
    }
}

/// `--secrets-out`: the placeholders' values as `CBCHECK_PLACEHOLDERS` reads them, in
/// a new file only its owner may read.
fn write_secrets(
    stderr: &Stderr,
    out: Option<(&Path, &std::collections::BTreeMap<String, String>)>,
) -> Result<(), Error> {
    let Some((path, secrets)) = out else {
        return Ok(());
    };
    let text = serde_json::to_string_pretty(secrets).unwrap_or_else(|_| "{}".to_owned());
    report::create_private_file(path, &format!("{text}\n"))?;
    let names: Vec<&str> = secrets.keys().map(String::as_str).collect();
    stderr.say(&report::export::secrets_written(path, &names));
    Ok(())
}

/// Whether a URL written to the file may still carry a secret: with `--literal-urls`
/// any query value or userinfo; otherwise only userinfo, which is never templated
/// (each secret-looking query value was).
fn carries_secrets(url: &str, literal_urls: bool) -> bool {
    if literal_urls {
        !redact::secret_ranges(url).is_empty()
    } else {
        url::Url::parse(url).is_ok_and(|u| !u.username().is_empty() || u.password().is_some())
    }
}

/// `export --from`: the file, with only the callback values that differ from live
/// changed in place.
fn refresh(
    stderr: &Stderr,
    (from, text): (&Path, &str),
    apps: &[App],
    lives: &[Result<Live, Failure>],
    output: Option<&Path>,
    literal_urls: bool,
    redaction: &Redaction,
) -> Result<Outcome, Error> {
    let wants: Vec<Want<'_>> = apps
        .iter()
        .zip(lives)
        .map(|(app, live)| match live {
            Ok(Live::Present { config, .. }) => {
                if let Some(problem) = writer::live_url_problem(&config.url) {
                    stderr.say_lines(&report::export::url_undeclarable(
                        app,
                        &config.url,
                        &problem,
                        redaction,
                        report::export::Undeclarable::Kept,
                    ));
                    return Want::Keep;
                }
                if carries_secrets(&config.url, literal_urls) {
                    stderr.say_lines(&report::export::url_with_secrets(
                        app,
                        &config.url,
                        redaction,
                    ));
                }
                let mut unknown: Vec<&str> = Vec::new();
                for word in &config.commands {
                    if !app.knows(word) && !unknown.contains(&word.as_str()) {
                        stderr.say_lines(&report::export::word_left_out(app, word));
                        unknown.push(word);
                    }
                }
                Want::Present {
                    url: writer::declared_url(config),
                    commands: &config.commands,
                }
            }
            Ok(Live::Absent { .. }) => {
                if app.callback.is_some() {
                    stderr.say_lines(&report::export::now_absent(app));
                }
                Want::Absent
            }
            // Every app was read before this is reached.
            Err(_) => Want::Keep,
        })
        .collect();
    let refreshed = match edit::refresh(text, apps, &wants) {
        Ok(refreshed) => refreshed,
        Err(err) => {
            stderr.say(&report::export::not_refreshed(from, &err));
            return Ok(Outcome::Invalid);
        }
    };
    match output {
        Some(path) => {
            report::write_file_atomically(path, &refreshed.text)?;
            stderr.say_lines(&report::export::refreshed(
                path,
                refreshed.changed,
                apps.len(),
            ));
        }
        None => {
            report::print_stdout(&refreshed.text)?;
        }
    }
    Ok(Outcome::Clean)
}
