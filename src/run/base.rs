//! `verify --base`: the desired state already merged (the target branch's files),
//! which tells a change a pull request makes from drift. Each checked app is matched
//! by SDKAppID and service with the base's: when live is as the base declares, the
//! file's difference is a change not yet applied (pending), not drift.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::check::selected;
use super::error::Error;
use crate::config;
use crate::drift;
use crate::model::key_names::KeyNames;
use crate::model::redact::Redaction;
use crate::model::{App, AppResult, BaseMatch, Config, FileResults, ServiceName, Undeclared};
use crate::source::keys::Env;

/// The base files, loaded. An invalid base is no reason to fail a pull request (the
/// pull request may be what fixes it): its apps are then unknown to the base, and a
/// notice says why. A base that cannot be read at all is a usage error (a typo in
/// the path must not pass for "everything is new").
pub(super) struct Base {
    /// The valid base files.
    configs: Vec<Config>,
    /// The secret key variables the base files name: never expanded into a URL.
    key_names: KeyNames,
    /// Each app of the valid base files by SDKAppID and service (the first
    /// declaration), expanded; `None` when its URL could not be expanded.
    declared: HashMap<(u64, ServiceName), Option<App>>,
    /// One per invalid base file.
    pub notices: Vec<String>,
    /// Each base file read, and its digest.
    pub files: Vec<crate::model::run_info::FileDigest>,
}

/// A `--base` file that could not be read.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("--base {file}: {reason}")]
#[diagnostic(
    code(cbcheck::usage::base_unreadable),
    help(
        "give the target branch's version of the file, e.g. `git show origin/main:callbacks.yaml > base.yaml`; for a file the target branch does not have yet, leave --base out"
    )
)]
pub(super) struct Unreadable {
    file: String,
    reason: String,
}

impl Base {
    /// Read every base file; `None` when none was given.
    pub(super) fn load(files: &[PathBuf], redaction: &Redaction) -> Result<Option<Base>, Error> {
        if files.is_empty() {
            return Ok(None);
        }
        // An empty base declares nothing: what `git show BRANCH:FILE > base.yaml ||
        // : > base.yaml` leaves for a file the target branch does not have yet.
        let mut blank = Vec::with_capacity(files.len());
        for path in files {
            blank.push(readable(path)?);
        }
        let mut loaded: Vec<config::Loaded> = files
            .iter()
            .map(|path| config::load(path, redaction))
            .collect();
        // A base URL naming a key source is refused as in a checked file.
        let key_names = config::check_key_placeholders(&mut loaded);
        let mut base = Base {
            configs: Vec::new(),
            key_names,
            declared: HashMap::new(),
            notices: Vec::new(),
            files: Vec::new(),
        };
        base.files = super::load::digests(&loaded);
        for (loaded, blank) in loaded.into_iter().zip(blank) {
            let errors = loaded.errors();
            match loaded.config {
                Some(config) => base.configs.push(config),
                None if blank => {}
                None => base.notices.push(format!(
                    "the base file {} is invalid ({errors} error{}): no app of it is used as the base, so each is compared as new (run `cbcheck lint` on the target branch's file)",
                    loaded.file,
                    if errors == 1 { "" } else { "s" }
                )),
            }
        }
        Ok(Some(base))
    }

    /// The key variables the base files name.
    pub(super) fn key_names(&self) -> &KeyNames {
        &self.key_names
    }

    /// Expand the base's placeholders from `env` (never a key variable of the run or
    /// of the base: such a URL matches nothing), and give the values used: the run's
    /// outputs must name them as they do the checked files' ones, since a live URL
    /// as the base has it holds them.
    pub(super) fn expand(&mut self, key_names: &KeyNames, env: &Env) -> Vec<(String, String)> {
        let key_names = key_names.union(&self.key_names);
        let mut used = Vec::new();
        for config in &self.configs {
            for app in &config.apps {
                let mut expanded = app.clone();
                let usable = env.expand_url(&mut expanded, &key_names, &mut used).is_ok();
                self.declared
                    .entry((app.sdkappid, app.service))
                    .or_insert_with(|| usable.then_some(expanded));
            }
        }
        used
    }

    /// Set each checked app's [`BaseMatch`] (after [`Base::expand`]), and return the
    /// base's apps no checked file declares (of those the selectors pick).
    pub(super) fn compare(
        &self,
        runs: &mut [FileResults],
        selectors: &[String],
    ) -> Vec<Undeclared> {
        for run in runs.iter_mut() {
            for result in &mut run.results {
                if result.failure.is_some() {
                    continue;
                }
                let key = (result.app.sdkappid, result.app.service);
                result.base = Some(match self.declared.get(&key) {
                    None => BaseMatch::NotDeclared,
                    Some(Some(base)) if live_matches(base, result, &run.redaction) => {
                        BaseMatch::Matches
                    }
                    Some(_) => BaseMatch::Differs,
                });
            }
        }
        let checked: std::collections::HashSet<(u64, ServiceName)> = runs
            .iter()
            .flat_map(|run| &run.config.apps)
            .map(|app| (app.sdkappid, app.service))
            .collect();
        self.configs
            .iter()
            .flat_map(|config| config.apps.iter().map(move |app| (config, app)))
            .filter(|(_, app)| !checked.contains(&(app.sdkappid, app.service)))
            .filter(|(_, app)| selectors.is_empty() || selectors.iter().any(|s| selected(app, s)))
            .map(|(config, app)| Undeclared {
                file: config.file.clone(),
                name: app.name.clone(),
                sdkappid: app.sdkappid,
                service: app.service,
            })
            .collect()
    }
}

/// Whether the base file can be read, and is blank (nothing but white space).
fn readable(path: &Path) -> Result<bool, Error> {
    let unreadable = |reason: String| {
        Error::from(Unreadable {
            file: path.display().to_string(),
            reason,
        })
    };
    if path.as_os_str() == "-" {
        return Err(unreadable(
            "standard input is for the checked files: give the base as a file".into(),
        ));
    }
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => Err(unreadable("is a directory".into())),
        // Blank files are small; a large one is read by the loader, within its limit.
        Ok(meta) if meta.len() <= 4096 => match std::fs::read(path) {
            Ok(bytes) => Ok(bytes.iter().all(u8::is_ascii_whitespace)),
            Err(err) => Err(unreadable(err.to_string())),
        },
        Ok(_) => Ok(false),
        Err(err) => Err(unreadable(err.to_string())),
    }
}

/// Whether live is what the base declares: apply would send nothing for the base's
/// app, and its token signing (when the base declares one) is as live has it.
fn live_matches(base: &App, result: &AppResult, redaction: &Redaction) -> bool {
    let Some(live) = &result.live else {
        return false;
    };
    let findings = drift::compare(base, live.as_ref(), redaction);
    let callback = drift::remediation(base, live.as_ref(), &findings).is_none();
    let token = match (base.token_auth, result.live_token_auth()) {
        (Some(wanted), Some(live)) => wanted == live,
        // Live's flag is read only when the checked file declares one: unknown here.
        _ => true,
    };
    callback && token
}
