//! `cbcheck export`: write what is live as a callbacks file.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::error::Error;
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
    /// `--sdkappid … --region … --identifier …`
    Ids {
        sdkappids: Vec<u64>,
        /// `--service`: one, or every service.
        services: Vec<ServiceName>,
        region: Region,
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
    literal_urls: bool,
    options: FetchOptions,
}

impl Settings {
    /// The arguments as one value, with keys and placeholder values read from `env`:
    /// apps by id need a region, or a file names them.
    pub(super) fn new(args: cli::ExportArgs, env: source::keys::Env) -> Result<Settings, Error> {
        let scope = match (args.from, args.region) {
            (Some(file), _) => Scope::File(file),
            (None, Some(region)) => Scope::Ids {
                sdkappids: args.sdkappids,
                services: args.service.services(),
                region,
                identifier: args.identifier,
            },
            // clap requires one of them.
            (None, None) => {
                return Err(Error::Usage(
                    "export needs --sdkappid with --region, or --from FILE",
                ));
            }
        };
        Ok(Settings {
            scope,
            output: args.output,
            literal_urls: args.literal_urls,
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
        literal_urls,
        options,
    } = settings;
    let (output, options) = (output.as_deref(), &options);
    let from_file = matches!(scope, Scope::File(_));
    // With --from, the file's own text: it is edited in place.
    let mut original = None;
    // The run's key sources: cbcheck's own, and with --from the file's.
    let mut keys = KeyNames::default();
    let (apps, defaults) = match &scope {
        Scope::Ids {
            sdkappids,
            services,
            region,
            identifier,
        } => {
            let mut seen = std::collections::HashSet::new();
            let apps = sdkappids
                .iter()
                .filter(|id| seen.insert(**id))
                .flat_map(|id| {
                    services.iter().map(|service| App {
                        service: *service,
                        ..App::bare(*id, *region, identifier.clone())
                    })
                })
                .collect();
            (apps, Some((*region, identifier.as_str())))
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
            stderr.say(&human::failure_report(app, failure));
            outcome = outcome.max(failure_outcome(failure));
        }
    }
    if outcome != Outcome::Clean {
        stderr.say(report::export::INCOMPLETE);
        return Ok(outcome);
    }

    let known = redaction.placeholders().values();
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
    if let Some((from, text)) = &original {
        return refresh(
            stderr,
            (from, text),
            &apps,
            &lives,
            output,
            literal_urls,
            &redaction,
        );
    }

    let entries: Vec<writer::Entry<'_>> = apps
        .iter()
        .zip(&lives)
        .filter_map(|(app, live)| match live {
            Ok(Live::Present { config, .. }) => Some(writer::Entry::Present(app, config)),
            Ok(Live::Absent { .. }) => Some(writer::Entry::Absent {
                app,
                // Only a file can say `callback: absent`; bare ids have no declaration.
                declared: from_file && app.callback.is_none(),
            }),
            Err(_) => None,
        })
        .collect();
    let declared = entries.iter().filter(|e| e.declares()).count();
    if declared == 0 {
        stderr.say(&report::export::none_declarable(apps.len()));
        return Ok(Outcome::Invalid);
    }
    for entry in &entries {
        let writer::Entry::Present(app, live) = entry else {
            continue;
        };
        if let Some(problem) = writer::live_url_problem(&live.url) {
            stderr.say_lines(&report::export::url_commented(
                app, &live.url, &problem, &redaction,
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
    let commented = entries.len() - declared;
    match output {
        Some(path) => {
            report::write_file_atomically(path, &text)?;
            stderr.say_lines(&report::export::written(path, declared, commented));
        }
        None => {
            report::print_stdout(&text)?;
        }
    }
    Ok(Outcome::Clean)
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
                    stderr.say_lines(&report::export::url_kept(
                        app,
                        &config.url,
                        &problem,
                        redaction,
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
