//! The flags every command that reads live state shares, as the values the lower
//! layers take: the files, `FetchOptions` (apps, redaction, network), and whether
//! warnings fail the run.

use std::sync::Arc;

use super::{error, input};
use crate::cli;
use crate::model::redact::Redaction;
use crate::report::progress::Progress;
use crate::report::summary::Warnings;
use crate::source::{self, api};

/// The files, and the options the app selection, network flags and `--live-from`
/// describe; no file to read is reported here (exit 2).
pub(super) fn apps_options(
    apps: cli::AppsArgs,
    network: cli::NetworkArgs,
    live_from: Option<std::path::PathBuf>,
    env: source::keys::Env,
) -> Result<(Vec<std::path::PathBuf>, source::FetchOptions), error::Error> {
    let files = input::files(apps.files)?;
    let options = source::FetchOptions {
        selectors: apps.apps,
        redaction: Redaction::new(apps.show_secrets),
        live_from,
        ..network_options(network, env)
    };
    Ok((files, options))
}

/// `--deny-warnings`: warnings fail the run.
pub(super) fn warnings(deny_warnings: bool) -> Warnings {
    if deny_warnings {
        Warnings::Fail
    } else {
        Warnings::Pass
    }
}

/// The client options the network flags describe.
pub(super) fn network_options(
    network: cli::NetworkArgs,
    env: source::keys::Env,
) -> source::FetchOptions {
    source::FetchOptions {
        env,
        endpoint: network.endpoint,
        allowed_endpoints: network.allow.hosts(),
        client: api::ClientOptions {
            timeout: network.timeout,
            // The run's clock starts here, as the command starts.
            deadline: network.deadline.and_then(api::Deadline::from_now),
            concurrency: usize::from(network.concurrency),
            max_rps: network.max_rps,
            ..api::ClientOptions::default()
        },
        ..source::FetchOptions::default()
    }
}

/// The options, with each app's read told to `progress`; `doing` is what the bar
/// says is done to the apps ("checking").
pub(super) fn observed(
    options: &source::FetchOptions,
    progress: &Arc<Progress>,
    doing: &'static str,
) -> source::FetchOptions {
    let progress = Arc::clone(progress);
    let mut options = options.clone();
    options.client.observer = api::Observer::new(move |tick| match tick {
        api::Tick::Started { apps } => progress.start(doing, apps),
        api::Tick::Done { failed } => progress.done(failed),
        api::Tick::Finished => progress.clear(),
    });
    options
}
