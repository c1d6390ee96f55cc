//! `cbcheck verify`: compare every app with its live configuration and report.

use std::sync::Arc;

use super::error;
use super::load::{
    Files, Invalid, InvalidEntries, digests, forget_allowed_endpoints, load_all, names, verify_all,
};
use super::options::{apps_options, observed};
use super::outcome::{Outcome, verify_outcome};
use super::output::{self, Outputs};
use crate::cli;
use crate::config;
use crate::model::key_names::KeyNames;
use crate::model::probe::FailOn;
use crate::model::run_info::RunInfo;
use crate::model::{BaseRun, Summary};
use crate::report::human::{self, Stderr};
use crate::report::json::RunStatus;
use crate::report::problem::{self, Problem};
use crate::report::summary::Warnings;
use crate::report::{Document, Format, Verified};
use crate::source;
use crate::source::probe;

/// `--probe` and its options.
pub(super) struct Probe {
    options: probe::ProbeOptions,
    fail_on: Option<FailOn>,
}

impl Probe {
    /// `deadline`: the run's (`--deadline`), which ends the probe too.
    fn from_args(
        args: &cli::ProbeArgs,
        deadline: Option<crate::source::api::Deadline>,
    ) -> Option<Probe> {
        args.probe.then(|| Probe {
            options: probe::ProbeOptions {
                allow_private: args.probe_allow_private,
                timeout: std::time::Duration::from_secs_f64(args.probe_timeout),
                concurrency: usize::from(args.probe_concurrency),
                deadline,
            },
            fail_on: args.probe_fail_on.map(|level| match level {
                cli::ProbeFailOn::Warning => FailOn::Warning,
                cli::ProbeFailOn::Error => FailOn::Error,
            }),
        })
    }
}

/// What `cbcheck verify` was asked to do, checked.
pub(super) struct Settings {
    files: Vec<std::path::PathBuf>,
    options: source::FetchOptions,
    quiet: bool,
    warnings: Warnings,
    probe: Option<Probe>,
    outputs: Outputs,
    /// `--base`: the files of the desired state already merged.
    base: Vec<std::path::PathBuf>,
}

impl Settings {
    /// The arguments as one value, with keys and placeholder values read from `env`;
    /// no file to read is a usage error.
    pub(super) fn new(
        args: cli::VerifyArgs,
        env: source::keys::Env,
    ) -> Result<Settings, error::Error> {
        let quiet = args.apps.quiet;
        let base = args.base;
        let (files, options) = apps_options(args.apps, args.network, args.live_from, env)?;
        let probe = Probe::from_args(&args.probe, options.client.deadline);
        Ok(Settings {
            files,
            options,
            quiet,
            warnings: super::options::warnings(args.deny_warnings),
            probe,
            outputs: Outputs::new(args.format, args.reports)?,
            base,
        })
    }
}

pub(super) fn verify_files(stderr: &Stderr, settings: Settings) -> Outcome {
    let Settings {
        files,
        options,
        quiet,
        warnings,
        probe,
        outputs,
        base,
    } = settings;
    let files = &files[..];
    let options = &options;
    let format = outputs.format;
    let started = std::time::SystemTime::now();
    let clock = std::time::Instant::now();
    let renderer = stderr.renderer();
    // Progress while the apps are read, never beside a machine format.
    let progress = Arc::new(stderr.progress(format == Format::Human));
    let options = &observed(options, &progress, "checking");
    // A base that cannot be read stops the run before anything else.
    let mut base = match super::base::Base::load(&base, &options.redaction) {
        Ok(base) => base,
        Err(err) => return error::fail(stderr, err),
    };
    let (mut loaded, keys, stopped) = match load_all(
        stderr,
        files,
        &options.redaction,
        quiet,
        InvalidEntries::CheckTheRest,
    ) {
        Ok(Files { loaded, keys }) => (loaded, keys, None),
        Err(Invalid { loaded, printed }) => (loaded, KeyNames::default(), Some(printed)),
    };
    forget_allowed_endpoints(&mut loaded, &options.allowed_endpoints);
    // A base's key variables are key variables of this run too: the checked files
    // never expand one into a URL, whatever they declare themselves.
    let keys = match &base {
        Some(base) => keys.union(base.key_names()),
        None => keys,
    };
    let mut verified = Verified {
        files: names(&loaded),
        runs: Vec::new(),
        problems: problem::from_loaded(&loaded),
        status: RunStatus::Invalid,
        stopped: None,
        quiet,
        warnings,
        file_warnings: 0,
        info: RunInfo {
            started,
            finished: started,
            duration: std::time::Duration::ZERO,
            files: digests(&loaded),
            probes: Vec::new(),
        },
        exit_code: 0,
        apply_flags: apply_flags(options),
        base: base.as_ref().map(|base| {
            Box::new(BaseRun {
                files: base.files.clone(),
                undeclared: Vec::new(),
            })
        }),
    };
    // An invalid file stops the run before any request (load_all has shown it as lint
    // would), and every report says so.
    if let Some(printed) = stopped {
        verified.stopped = Some(printed);
        verified.info.finish(clock);
        let document = &mut Document::Verify(Box::new(verified));
        return output::write(document, stderr, &outputs, Outcome::Invalid);
    }
    // Quiet: the file's warnings are counted by the summary line instead. A file with
    // invalid entries has been shown as lint shows it.
    if format == Format::Human && !quiet {
        for diagnostic in loaded
            .iter()
            .filter(|l| l.config.is_some())
            .flat_map(config::Loaded::listed)
        {
            stderr.say(&format!("{}\n", renderer.render_config(&diagnostic)));
        }
    }
    // The file's own warnings: reported beside the findings, and failing the run
    // under --deny-warnings as they do for lint.
    let config_warnings = loaded.iter().map(config::Loaded::warnings).sum::<usize>();
    // Files with invalid entries: their valid apps are checked, and the run is invalid.
    let mut entry_notices: Vec<Option<String>> = Vec::with_capacity(loaded.len());
    let configs: Vec<config::Config> = loaded
        .into_iter()
        .filter_map(|l| {
            let notice = (!l.invalid_entries.is_empty())
                .then(|| human::invalid_entries_notice(&l.file, &l.invalid_entries));
            let config = l.config.or(l.partial)?;
            entry_notices.push(notice);
            Some(config)
        })
        .collect();
    let invalid_entries = entry_notices.iter().any(Option::is_some);
    // The base's placeholder values are named in every output, as the files' are.
    let with_base;
    let options = match &mut base {
        Some(base) => {
            let used = base.expand(&keys, &options.env);
            with_base = source::FetchOptions {
                redaction: options.redaction.clone().with_more_placeholders(
                    used.iter()
                        .map(|(name, value)| (name.as_str(), value.as_str())),
                ),
                ..options.clone()
            };
            &with_base
        }
        None => options,
    };
    // Started before the configuration checks and run beside them, on its own thread.
    let probing = probe.map(|probe| {
        let (targets, notices) = super::check::probe_targets(&configs, &options.selectors);
        (probe::start(targets, probe.options), notices, probe.fail_on)
    });
    verified.runs = match verify_all(
        configs,
        &keys,
        options,
        &mut source::Remote::new(options.client.clone()),
    ) {
        Ok(runs) => runs,
        Err(err) => {
            let printed = format!("{}\n", renderer.render(&err));
            stderr.say(&printed);
            verified.problems.push(Problem::of_run(&err));
            let outcome = err.outcome();
            verified.status = if outcome == Outcome::Invalid {
                RunStatus::Invalid
            } else {
                RunStatus::Failed
            };
            verified.stopped = Some(printed);
            verified.info.finish(clock);
            let document = &mut Document::Verify(Box::new(verified));
            return output::write(document, stderr, &outputs, outcome);
        }
    };
    for (run, notice) in verified.runs.iter_mut().zip(entry_notices) {
        run.notices.splice(0..0, notice);
    }
    if let Some((probing, notices, fail_on)) = probing {
        let probes = probing.finish();
        super::check::add_probe_findings(&mut verified.runs, &probes, notices, fail_on);
        verified.info.probes = probes;
    }
    if let Some(base) = &base {
        let undeclared = base.compare(&mut verified.runs, &options.selectors);
        if let Some(first) = verified.runs.first_mut() {
            first.notices.extend(base.notices.iter().cloned());
            first
                .notices
                .extend(undeclared.iter().map(human::undeclared_notice));
        }
        if let Some(run) = &mut verified.base {
            run.undeclared = undeclared;
        }
    }
    if format != Format::Human {
        for notice in verified.runs.iter().flat_map(|run| &run.notices) {
            stderr.say(&human::notice_line(notice));
        }
    }
    verified.file_warnings = config_warnings;
    let mut outcome = verify_outcome(&verified.runs, warnings);
    // An invalid entry outranks drift, though the valid apps were checked.
    if warnings.fail(config_warnings) || invalid_entries {
        outcome = outcome.max(Outcome::Invalid);
    }
    let failed = verified
        .runs
        .iter()
        .flat_map(|run| &run.results)
        .any(|result| result.failure.is_some());
    verified.status = match outcome {
        _ if failed => RunStatus::Failed,
        Outcome::Clean if Summary::of_runs(&verified.runs).pending > 0 => RunStatus::Pending,
        Outcome::Clean => RunStatus::InSync,
        Outcome::Drift if endpoint_only(&verified.runs) => RunStatus::Unhealthy,
        Outcome::Drift => RunStatus::Drifted,
        Outcome::Invalid | Outcome::Credentials | Outcome::Api => RunStatus::Invalid,
    };
    verified.info.finish(clock);
    output::write(
        &mut Document::Verify(Box::new(verified)),
        stderr,
        &outputs,
        outcome,
    )
}

/// Whether the apps that fail the run are unhealthy ones (their endpoints) only.
fn endpoint_only(runs: &[crate::model::FileResults]) -> bool {
    let summary = Summary::of_runs(runs);
    summary.unhealthy > 0 && summary.drifted == 0
}

/// The network flags the suggested `cbcheck apply` needs to reach what this run
/// reached: the endpoint (its secret parts masked) and each allowed host, when they
/// were flags. What the environment gave (`CBCHECK_ENDPOINT`,
/// `CBCHECK_ALLOW_ENDPOINTS`), the next command in it gets too.
fn apply_flags(options: &source::FetchOptions) -> Vec<String> {
    let from_env = |name: &str| options.env.var(name).is_some_and(|v| !v.trim().is_empty());
    let mut flags = Vec::new();
    if let Some(endpoint) = options
        .endpoint
        .as_ref()
        .filter(|_| !from_env("CBCHECK_ENDPOINT"))
    {
        flags.push("--endpoint".to_owned());
        flags.push(crate::model::redact::redact_url(endpoint.as_str()));
    }
    if !from_env("CBCHECK_ALLOW_ENDPOINTS") {
        for host in &options.allowed_endpoints {
            flags.push("--allow-endpoint".to_owned());
            flags.push(host.to_string());
        }
    }
    flags
}
