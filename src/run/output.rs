//! Where a run's outputs go: the chosen format on the terminal (stdout, or stderr for
//! the human format), every `--report FORMAT=PATH` file, and the step summary. What
//! each output says is the report layer's (`report::render`).

use super::{Outcome, error};
use crate::cli;
use crate::report::human::Stderr;
use crate::report::{self, Document, Format, Stream};

/// Where a rendered report goes: the terminal, standard output (`--report FORMAT=-`)
/// or a file.
enum Sink<'a> {
    Terminal,
    Stdout,
    File(&'a std::path::Path),
}

/// The chosen format on the terminal, then every `--report FORMAT=PATH`.
fn sinks<'a>(
    format: Format,
    reports: &'a [cli::ReportFile],
) -> impl Iterator<Item = (Format, Sink<'a>)> {
    std::iter::once((format, Sink::Terminal)).chain(reports.iter().map(|r| {
        if is_stdout(&r.path) {
            (r.format, Sink::Stdout)
        } else {
            (r.format, Sink::File(&r.path))
        }
    }))
}

/// `--report FORMAT=-`: the report goes to standard output.
fn is_stdout(path: &std::path::Path) -> bool {
    path.as_os_str() == "-"
}

/// Outputs that cannot all be written: refused before any request (exit 2).
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub(super) enum OutputError {
    #[error("--report {first}=- and --report {second}=- both write to standard output")]
    #[diagnostic(
        code(cbcheck::usage::stdout_twice),
        help("one report may go to standard output (`-`): write the others to files")
    )]
    StdoutTwice { first: String, second: String },

    #[error("--report {report}=- writes to standard output, where --format {format} goes already")]
    #[diagnostic(
        code(cbcheck::usage::stdout_twice),
        help(
            "keep --format human (on stderr) beside a report on standard output, or write the report to a file"
        )
    )]
    StdoutTaken { report: String, format: String },

    #[error("--report {format}={path}: the directory {dir} does not exist")]
    #[diagnostic(
        code(cbcheck::usage::report_directory),
        help("create it before the run: reports are written when the run ends")
    )]
    NoDirectory {
        format: String,
        path: String,
        dir: String,
    },
}

/// The outputs a command was asked for: `--format` on the terminal, and every
/// `--report FORMAT=PATH`.
pub(super) struct Outputs {
    pub format: Format,
    pub reports: Vec<cli::ReportFile>,
}

impl Outputs {
    /// The outputs, once they are known to be writable where they go: at most one on
    /// standard output, and every report file's directory there. Checked before any
    /// request: a run that would end unable to write its report does not start.
    pub(super) fn new(
        format: Format,
        reports: Vec<cli::ReportFile>,
    ) -> Result<Outputs, OutputError> {
        let mut on_stdout: Option<Format> =
            (format.stream() == report::Stream::Stdout).then_some(format);
        for r in &reports {
            if is_stdout(&r.path) {
                match on_stdout {
                    Some(first) if first == format && format.stream() == report::Stream::Stdout => {
                        return Err(OutputError::StdoutTaken {
                            report: r.format.name().to_owned(),
                            format: format.name().to_owned(),
                        });
                    }
                    Some(first) => {
                        return Err(OutputError::StdoutTwice {
                            first: first.name().to_owned(),
                            second: r.format.name().to_owned(),
                        });
                    }
                    None => on_stdout = Some(r.format),
                }
                continue;
            }
            let dir = r.path.parent().filter(|dir| !dir.as_os_str().is_empty());
            if let Some(dir) = dir.filter(|dir| !dir.is_dir()) {
                return Err(OutputError::NoDirectory {
                    format: r.format.name().to_owned(),
                    path: r.path.display().to_string(),
                    dir: dir.display().to_string(),
                });
            }
        }
        Ok(Outputs { format, reports })
    }
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
    match sink {
        Sink::File(path) => {
            return report::write_report(format, path, document, style).map_err(fail);
        }
        Sink::Stdout => {
            let text = report::render(format, document, style);
            return report::print_stdout_with(&text, format.commands()).map_err(fail);
        }
        Sink::Terminal => {}
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
            report::render_to(format, document, style, &mut |chunk| stderr.say(chunk));
            Ok(())
        }
        Stream::Stdout => {
            let mut sink = report::StdoutSink::new(format.commands());
            report::render_to(format, document, style, &mut |piece| sink.write(piece));
            sink.finish()
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
