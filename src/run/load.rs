//! Loading a run's files: every one read and checked before any request, and the
//! endpoints the operator allowed taken out of their warnings.

use super::{check, error};
use crate::config;
use crate::model;
use crate::model::key_names::KeyNames;
use crate::model::redact::Redaction;
use crate::report::human::{self, Stderr};
use crate::report::summary::Warnings;
use crate::source::{self, api};

/// Files that stop the run before any request: every file read (for the machine
/// formats to say so), and what stderr was shown of the invalid ones.
pub(super) struct Invalid {
    pub loaded: Vec<config::Loaded>,
    pub printed: String,
}

/// The files a run checks, and the key sources they name.
pub(super) struct Files {
    pub loaded: Vec<config::Loaded>,
    pub keys: KeyNames,
}

/// What a command does with a file whose errors are all inside app entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum InvalidEntries {
    /// The whole file is refused (`apply`: it never changes part of a file).
    Refuse,
    /// Its valid apps are checked; the file stays invalid (`verify`).
    CheckTheRest,
}

/// Load every file, and find the run's key sources in them; if one is invalid
/// (a placeholder naming a key source in any file makes it so), each invalid file is
/// reported on stderr as `lint` would (quiet or not) and the run stops (exit 2)
/// before any request is made, unless `entries` lets the valid apps of files whose
/// errors are all inside app entries be checked (those files are shown all the same).
pub(super) fn load_all(
    stderr: &Stderr,
    files: &[std::path::PathBuf],
    redaction: &Redaction,
    quiet: bool,
    entries: InvalidEntries,
) -> Result<Files, Invalid> {
    let mut loaded: Vec<config::Loaded> = files
        .iter()
        .map(|file| config::load(file, redaction))
        .collect();
    let keys = config::check_key_placeholders(&mut loaded);
    let usable = |l: &config::Loaded| {
        l.config.is_some() || (entries == InvalidEntries::CheckTheRest && l.partial.is_some())
    };
    let stops = !loaded.iter().all(usable);
    let printed: String = loaded
        .iter()
        .filter(|l| l.config.is_none())
        .map(|l| human::lint_file(stderr.renderer(), l, quiet, Warnings::Pass))
        .collect();
    stderr.say(&printed);
    if stops {
        Err(Invalid { loaded, printed })
    } else {
        Ok(Files { loaded, keys })
    }
}

/// The files' names, as every report gives them.
pub(super) fn names(loaded: &[config::Loaded]) -> Vec<String> {
    loaded.iter().map(|l| l.file.clone()).collect()
}

/// Each file read, its digest, and whether it was valid.
pub(super) fn digests(loaded: &[config::Loaded]) -> Vec<model::run_info::FileDigest> {
    loaded
        .iter()
        .map(|l| model::run_info::FileDigest {
            file: l.file.clone(),
            sha256: l.sha256.clone(),
            valid: l.config.is_some(),
        })
        .collect()
}

/// An endpoint the operator allowed is not worth a warning (nor, under
/// --deny-warnings, a failure).
pub(super) fn forget_allowed_endpoints(
    loaded: &mut [config::Loaded],
    allowed: &api::endpoint::AllowList,
) {
    for file in loaded {
        file.forget_allowed_endpoints(|url| api::endpoint::file_may_use(url, allowed));
    }
}

/// Check the selectors and verify every file; the error is a problem that stops the
/// run (usage: exit 2; the client could not be set up: 4).
pub(super) fn verify_all(
    configs: Vec<config::Config>,
    keys: &KeyNames,
    options: &source::FetchOptions,
    remote: &mut source::Remote,
) -> Result<Vec<model::FileResults>, error::Error> {
    check::check_selectors(&configs, &options.selectors)?;
    Ok(check::verify(configs, keys, options, remote)?)
}
