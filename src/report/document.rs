//! What a run found, as every format reports it: one document per run, given to
//! [`super::format::render`] once for each output.

use super::annotation::{self, Annotation};
use super::format::Format;
use super::json::RunStatus;
use super::problem::Problem;
use super::summary::Warnings;
use crate::config::Loaded;
use crate::model::run_info::RunInfo;
use crate::model::{BaseRun, FileResults};

/// A run's findings, for every output of it.
#[derive(Debug)]
pub enum Document {
    Verify(Box<Verified>),
    Lint(Linted),
}

impl Document {
    /// Whether the document can be written in `format` (lint's are [`Format::LINT`]).
    pub fn speaks(&self, format: Format) -> bool {
        match self {
            Document::Verify(_) => true,
            Document::Lint(_) => Format::LINT.contains(&format),
        }
    }

    /// Whether the run stopped before any app was checked; stderr has shown why.
    pub fn stopped(&self) -> bool {
        match self {
            Document::Verify(verified) => verified.stopped.is_some(),
            Document::Lint(_) => false,
        }
    }

    /// Record the run's exit code, for the formats that report it.
    pub fn set_exit_code(&mut self, code: u8) {
        if let Document::Verify(verified) = self {
            verified.exit_code = code;
        }
    }
}

/// What a verify run found.
#[derive(Debug)]
pub struct Verified {
    /// The files given, in order.
    pub files: Vec<String>,
    pub runs: Vec<FileResults>,
    /// The files' diagnostics, then what stopped the run.
    pub problems: Vec<Problem>,
    pub status: RunStatus,
    /// Set when the run stopped before any app was checked: what stderr showed.
    pub stopped: Option<String>,
    /// `--quiet`: the human report is the list and the summary line only.
    pub quiet: bool,
    /// Whether warnings fail the run, as the run decided.
    pub warnings: Warnings,
    /// Warnings about the files themselves (verify lints them first).
    pub file_warnings: usize,
    /// When, how long, and which file contents.
    pub info: RunInfo,
    /// The run's exit code, once every other output is written.
    pub exit_code: u8,
    /// The run's network flags that `cbcheck apply` needs too (`--endpoint`,
    /// `--allow-endpoint`), for the command the reports suggest.
    pub apply_flags: Vec<String>,
    /// `--base`: what the base files were, and the apps only they declare.
    pub base: Option<Box<BaseRun>>,
}

impl Verified {
    /// The closing line of the human report, which the GitHub and Markdown formats repeat.
    pub(super) fn summary(&self) -> String {
        match self.stopped {
            Some(_) => super::human::stopped_summary(&self.problems),
            None => format!(
                "{}{}",
                super::human::verify_summary(&self.runs, self.file_warnings, self.warnings),
                super::human::invalid_entries_summary(&self.problems)
            ),
        }
    }

    /// The problems that stopped the run (not a file's own).
    pub(super) fn stopped_by(&self) -> Vec<Problem> {
        self.problems
            .iter()
            .filter(|p| p.file.is_none())
            .cloned()
            .collect()
    }

    /// The problems, then the findings, as annotations on the files.
    pub(super) fn annotations(&self) -> Vec<Annotation> {
        let mut all = annotation::from_problems(&self.problems);
        all.extend(annotation::from_runs(&self.runs));
        all
    }
}

/// What a lint run found: every file, loaded and checked.
#[derive(Debug)]
pub struct Linted {
    pub loaded: Vec<Loaded>,
    /// `--quiet`: one line per diagnostic, without snippets.
    pub quiet: bool,
    /// Whether warnings fail the run, as the run decided.
    pub warnings: Warnings,
}
