//! Where a run's outputs go: the chosen format on the terminal (stdout, or stderr for
//! the human format), every `--report FORMAT=PATH` file, and the step summary. What
//! each output says is the report layer's (`report::render`).

use super::{Outcome, error};
use crate::cli;
use crate::report::human::Stderr;
use crate::report::{self, Document, Format, Stream};

/// Where a rendered report goes: the terminal or a file.
enum Sink<'a> {
    Terminal,
    File(&'a std::path::Path),
}

/// The chosen format on the terminal, then every `--report FORMAT=PATH`.
fn sinks<'a>(
    format: Format,
    reports: &'a [cli::ReportFile],
) -> impl Iterator<Item = (Format, Sink<'a>)> {
    std::iter::once((format, Sink::Terminal))
        .chain(reports.iter().map(|r| (r.format, Sink::File(&r.path))))
}

/// The outputs a command was asked for: `--format` on the terminal, and every
/// `--report FORMAT=PATH`.
pub(super) struct Outputs {
    pub format: Format,
    pub reports: Vec<cli::ReportFile>,
}

/// Write the document in the terminal's format and in every `--report`; an output
/// that cannot be written is reported and raises the outcome to 2. The formats that
/// record the exit code come last, each given the outcome so far.
pub(super) fn write(
    document: &mut Document,
    stderr: &Stderr,
    outputs: &Outputs,
    mut outcome: Outcome,
) -> Outcome {
    for last in [false, true] {
        let chosen = sinks(outputs.format, &outputs.reports);
        for (format, sink) in chosen.filter(|(f, _)| f.records_exit_code() == last) {
            if last {
                document.set_exit_code(outcome.code());
            }
            if let Err(code) = emit(document, format, sink, stderr) {
                outcome = outcome.max(code);
            }
        }
    }
    outcome
}

/// Write one output; a failed write is reported (exit 2) and the others still written.
fn emit(
    document: &Document,
    format: Format,
    sink: Sink<'_>,
    stderr: &Stderr,
) -> Result<(), Outcome> {
    let style = stderr.style();
    let fail = |err| error::fail(stderr, err);
    if let Sink::File(path) = sink {
        return report::write_report(format, path, document, style).map_err(fail);
    }
    let mut result = Ok(());
    // An output like any other: one that cannot be written fails the run (exit 2),
    // and the terminal's output is still written.
    if let Some(summary) = format.step_summary().filter(|f| document.speaks(*f))
        && let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY")
        && let Err(err) = report::append_file(
            std::path::Path::new(&path),
            &report::render(summary, document, style),
        )
    {
        result = Err(fail(err));
    }
    let written = match format.stream() {
        // A run that stopped has shown why on stderr already.
        Stream::Stderr if document.stopped() => Ok(()),
        Stream::Stderr => {
            stderr.say(&report::render(format, document, style));
            Ok(())
        }
        Stream::Stdout => {
            report::print_stdout_with(&report::render(format, document, style), format.commands())
        }
    };
    result.and(written.map_err(fail))
}

/// Print to stdout; a failed write (not a closed pipe) is reported and exits 2.
pub(super) fn stdout_outcome(stderr: &Stderr, text: &str) -> Outcome {
    match report::print_stdout(text) {
        Ok(()) => Outcome::Clean,
        Err(err) => error::fail(stderr, err),
    }
}
