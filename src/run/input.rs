//! Which callbacks files a command reads: the ones named, `-` for stdin, or
//! callbacks.yaml in the current directory when none is named.

use std::path::{Path, PathBuf};

use crate::config::STDIN;

/// The file a command reads when none is named.
pub(super) const DEFAULT_FILE: &str = "callbacks.yaml";

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub(super) enum InputError {
    #[error("no FILE given, and there is no {DEFAULT_FILE} in the current directory ({dir})")]
    #[diagnostic(
        code(cbcheck::usage::no_file),
        help(
            "name the callbacks file (e.g. `cbcheck verify envs/prod.yaml`), give `-` to read it \
             from stdin, or write a commented starter {DEFAULT_FILE} with `cbcheck init`"
        )
    )]
    NoDefault { dir: String },

    #[error("`-` (stdin) is given {times} times")]
    #[diagnostic(
        code(cbcheck::usage::stdin_twice),
        help("stdin can be read once: give `-` for one file only")
    )]
    StdinTwice { times: usize },

    #[error("{path} already exists; `cbcheck {command}` leaves it as it is")]
    #[diagnostic(code(cbcheck::usage::file_exists), help("{help}"))]
    Exists {
        path: String,
        command: &'static str,
        help: &'static str,
    },
}

/// Who writes a new file, and what to do when it exists.
pub(super) struct NewFile {
    pub command: &'static str,
    pub help: &'static str,
}

/// Refuses a file that exists (a symlink included) unless `force`: `init FILE` and
/// `export -o FILE` never replace a file by surprise.
pub(super) fn refuse_existing(file: &Path, force: bool, who: &NewFile) -> Result<(), InputError> {
    if !force && std::fs::symlink_metadata(file).is_ok() {
        return Err(InputError::Exists {
            path: file.display().to_string(),
            command: who.command,
            help: who.help,
        });
    }
    Ok(())
}

/// The files to read: as given, or the default one when it exists.
pub(super) fn files(given: Vec<PathBuf>) -> Result<Vec<PathBuf>, InputError> {
    let stdin = given.iter().filter(|f| f.as_os_str() == STDIN).count();
    if stdin > 1 {
        return Err(InputError::StdinTwice { times: stdin });
    }
    if !given.is_empty() {
        return Ok(given);
    }
    let default = Path::new(DEFAULT_FILE);
    // A dangling symlink or an unreadable file is still "there": loading it names the problem.
    if std::fs::symlink_metadata(default).is_ok() {
        return Ok(vec![default.to_path_buf()]);
    }
    Err(InputError::NoDefault {
        dir: std::env::current_dir().map_or_else(|_| ".".into(), |d| d.display().to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_files_are_kept_in_order_and_stdin_once_is_allowed() {
        let given = vec![
            PathBuf::from("b.yaml"),
            PathBuf::from("-"),
            PathBuf::from("a.yaml"),
        ];
        assert_eq!(files(given.clone()).unwrap(), given);
    }

    #[test]
    fn stdin_twice_is_refused() {
        let err = files(vec![PathBuf::from("-"), PathBuf::from("-")]).unwrap_err();
        assert!(matches!(err, InputError::StdinTwice { times: 2 }));
    }
}
