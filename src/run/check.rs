//! Which apps a run checks, and what each one's live state says: the results
//! every report renders.

use std::collections::HashMap;

use crate::drift;
use crate::model::key_names::KeyNames;
use crate::model::probe::{FailOn, ProbeResult, ProbeTarget, UrlTarget, url_target};
use crate::model::redact::Redaction;
use crate::model::{App, AppResult, Config, FileResults, ServiceName};
use crate::source::api::Live;
use crate::source::{self, FetchOptions, Remote, VerifyError};

/// Selectors or files that do not make one set of apps: refused before any
/// request (exit 2).
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub(super) enum SelectionError {
    #[error("--app {} matches no app in {}", .unmatched.join(", "), .files.join(", "))]
    #[diagnostic(
        code(cbcheck::usage::no_such_app),
        help(
            "give an app's `name`, or its `sdkappid` as written in the file (a number is always an `sdkappid`)"
        )
    )]
    NoSuchApp {
        files: Vec<String>,
        unmatched: Vec<String>,
    },

    #[error("--app {name} names more than one app: {}", .apps.join(", "))]
    #[diagnostic(
        code(cbcheck::usage::ambiguous_app),
        help(
            "names are unique within a file, not across files: select the app by its `sdkappid` (`--app 1400000001`)"
        )
    )]
    AmbiguousName {
        name: String,
        /// `sdkappid N in FILE`, each app the name picks.
        apps: Vec<String>,
    },

    #[error("sdkappid {sdkappid}{service} is declared in both {first} and {second}")]
    #[diagnostic(
        code(cbcheck::usage::declared_twice),
        help("an app has one callback configuration: declare it in one file only")
    )]
    DeclaredTwice {
        sdkappid: u64,
        /// ` (live)`, ` (call)`; empty for Room, whose message is as it was.
        service: String,
        first: String,
        second: String,
    },
}

/// A selector of digits only is an SDKAppID, never a name: `--app 1400000003` must
/// not also pick an app named `1400000003` (such names are refused by lint too).
pub(super) fn selected(app: &App, selector: &str) -> bool {
    if is_number(selector) {
        app.sdkappid.to_string() == selector
    } else {
        app.name.as_deref() == Some(selector)
    }
}

fn is_number(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

/// An app declared in two of the files given would be checked (and changed) twice,
/// against two truths: refused before anything is fetched.
fn check_unique(configs: &[Config]) -> Result<(), SelectionError> {
    // An SDKAppID has one configuration per service.
    let mut seen: HashMap<(u64, ServiceName), &str> = HashMap::new();
    for config in configs {
        for app in &config.apps {
            if let Some(first) = seen.insert((app.sdkappid, app.service), &config.file) {
                return Err(SelectionError::DeclaredTwice {
                    sdkappid: app.sdkappid,
                    service: app
                        .service
                        .qualifier()
                        .map(|name| format!(" ({name})"))
                        .unwrap_or_default(),
                    first: first.to_owned(),
                    second: config.file.clone(),
                });
            }
        }
    }
    Ok(())
}

/// Before any request: each app is declared once across the files, and every
/// selector picks an app in one of them (a typo is not a green run).
pub(super) fn check_selectors(
    configs: &[Config],
    selectors: &[String],
) -> Result<(), SelectionError> {
    check_unique(configs)?;
    check_unambiguous(configs, selectors)?;
    check_matched(configs.iter(), selectors)
}

/// A name that apps of two files share would pick both: `apply --app prod` must
/// change the one app meant, so such a selector is refused (an SDKAppID is unique).
fn check_unambiguous(configs: &[Config], selectors: &[String]) -> Result<(), SelectionError> {
    for selector in selectors.iter().filter(|s| !is_number(s)) {
        let apps: Vec<String> = configs
            .iter()
            .flat_map(|config| {
                config
                    .apps
                    .iter()
                    .filter(|app| selected(app, selector))
                    .map(|app| format!("sdkappid {} in {}", app.sdkappid, config.file))
            })
            .collect();
        if apps.len() > 1 {
            return Err(SelectionError::AmbiguousName {
                name: selector.clone(),
                apps,
            });
        }
    }
    Ok(())
}

/// Every selector picks an app in one of the files.
pub(super) fn check_matched<'a>(
    configs: impl Iterator<Item = &'a Config> + Clone,
    selectors: &[String],
) -> Result<(), SelectionError> {
    let unmatched: Vec<String> = selectors
        .iter()
        .filter(|s| {
            !configs
                .clone()
                .flat_map(|c| &c.apps)
                .any(|app| selected(app, s))
        })
        .cloned()
        .collect();
    if unmatched.is_empty() {
        return Ok(());
    }
    Err(SelectionError::NoSuchApp {
        files: configs.map(|c| c.file.clone()).collect(),
        unmatched,
    })
}

/// The apps the selectors pick (all when there are none), in file order.
pub(super) fn select(config: &Config, selectors: &[String]) -> Vec<App> {
    config
        .apps
        .iter()
        .filter(|app| selectors.is_empty() || selectors.iter().any(|s| selected(app, s)))
        .cloned()
        .collect()
}

/// Verify every file's selected apps, fetched together; one run per file, in order.
pub(super) fn verify(
    configs: Vec<Config>,
    keys: &KeyNames,
    options: &FetchOptions,
    remote: &mut Remote,
) -> Result<Vec<FileResults>, VerifyError> {
    let groups: Vec<Vec<App>> = configs
        .iter()
        .map(|config| select(config, &options.selectors))
        .collect();
    let source::Expanded { groups, redaction } =
        source::expanded_live_states(groups, keys, options, remote, false)?;
    Ok(configs
        .into_iter()
        .zip(groups)
        .map(|(config, (apps, state))| FileResults {
            config,
            redaction: redaction.clone(),
            results: apps
                .into_iter()
                .zip(state.lives)
                .zip(state.tokens)
                .map(|((app, live), token)| result(app, live, token, &redaction))
                .collect(),
            notices: state.notices,
        })
        .collect())
}

fn result(
    app: App,
    live: Result<Live, crate::model::Failure>,
    token: Option<bool>,
    redaction: &Redaction,
) -> AppResult {
    match live {
        Ok(live) => {
            let live = match live {
                Live::Present { config, .. } => Some(config),
                Live::Absent { .. } => None,
            };
            let mut findings = drift::compare(&app, live.as_ref(), redaction);
            findings.extend(drift::compare_token(&app, token));
            let remediation = drift::remediation(&app, live.as_ref(), &findings);
            AppResult {
                app,
                live: Some(live),
                findings,
                remediation,
                failure: None,
                base: None,
            }
        }
        Err(failure) => AppResult {
            app,
            live: None,
            findings: Vec::new(),
            remediation: None,
            failure: Some(failure),
            base: None,
        },
    }
}

/// The distinct endpoints of the selected apps' callback URLs, and per file the
/// notices of apps not probed (a host written with `${VAR}`).
pub(super) fn probe_targets(
    configs: &[Config],
    selectors: &[String],
) -> (Vec<ProbeTarget>, Vec<Vec<String>>) {
    let mut targets = std::collections::BTreeSet::new();
    let notices = configs
        .iter()
        .map(|config| {
            let mut notices = Vec::new();
            for app in select(config, selectors) {
                let Some(desired) = &app.callback else {
                    continue;
                };
                match url_target(&desired.url) {
                    UrlTarget::Probe(target) => {
                        targets.insert(target);
                    }
                    UrlTarget::Interpolated => notices.push(format!(
                        "{}: not probed: the callback URL's host is written with ${{…}}",
                        app.title()
                    )),
                    UrlTarget::Unusable => {}
                }
            }
            notices
        })
        .collect();
    (targets.into_iter().collect(), notices)
}

/// Each checked app's probe findings, at its callback URL, and the notices of apps not
/// probed. An app that could not be checked reports its failure alone (reports show
/// no findings beside it); its endpoint's result is still in the run's probe list.
pub(super) fn add_probe_findings(
    runs: &mut [FileResults],
    probes: &[ProbeResult],
    notices: Vec<Vec<String>>,
    fail_on: Option<FailOn>,
) {
    for (run, notices) in runs.iter_mut().zip(notices) {
        run.notices.extend(notices);
        for result in run.results.iter_mut().filter(|r| r.failure.is_none()) {
            let Some(desired) = &result.app.callback else {
                continue;
            };
            let UrlTarget::Probe(target) = url_target(&desired.url) else {
                continue;
            };
            if let Some(probe) = probes.iter().find(|p| p.target == target) {
                let found = drift::probe_findings(&result.app, probe, fail_on);
                result.findings.extend(found);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::tencent::region::Region;

    #[test]
    fn a_number_selects_by_sdkappid_only() {
        let named = |name: &str, sdkappid: u64| App {
            name: Some(name.to_owned()),
            ..App::bare(sdkappid, Region::Singapore, "admin".to_owned())
        };
        let digits = named("1400000003", 1_400_000_004);
        assert!(!selected(&digits, "1400000003"));
        assert!(selected(&digits, "1400000004"));
        let prod = named("prod", 1_400_000_003);
        assert!(selected(&prod, "1400000003"));
        assert!(selected(&prod, "prod"));
        assert!(!selected(&prod, "01400000003"));
    }
}
