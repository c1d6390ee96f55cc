//! Human-readable output: miette diagnostics and one-line summaries, on stderr.

use std::fmt::{self, Write as _};

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, NarratableReportHandler, ReportHandler,
};

use super::Style;
use crate::config::Loaded;

/// Renders diagnostics in one style.
pub struct Renderer {
    handler: Box<dyn ReportHandler>,
}

impl Renderer {
    pub fn new(style: Style) -> Renderer {
        let handler: Box<dyn ReportHandler> = if style.narrated {
            Box::new(NarratableReportHandler::new())
        } else {
            let theme = if style.color {
                GraphicalTheme::unicode()
            } else {
                GraphicalTheme::unicode_nocolor()
            };
            Box::new(
                GraphicalReportHandler::new_themed(theme)
                    .with_width(style.width)
                    .with_links(false),
            )
        };
        Renderer { handler }
    }

    pub fn render(&self, diagnostic: &dyn Diagnostic) -> String {
        struct Show<'a>(&'a dyn ReportHandler, &'a dyn Diagnostic);
        impl fmt::Display for Show<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.debug(self.1, f)
            }
        }
        Show(self.handler.as_ref(), diagnostic).to_string()
    }
}

/// Every diagnostic of a linted file, then its summary line.
pub fn lint_report(renderer: &Renderer, loaded: &Loaded) -> String {
    let mut out = String::new();
    for diagnostic in &loaded.diagnostics {
        out.push_str(&renderer.render(diagnostic));
        out.push('\n');
    }
    out.push_str(&lint_summary(loaded));
    out.push('\n');
    out
}

/// e.g. `callbacks.yaml: invalid: 2 errors, 1 warning` or `callbacks.yaml: valid: 3 apps, no warnings`.
pub fn lint_summary(loaded: &Loaded) -> String {
    let mut line = format!("{}: ", loaded.file);
    let warnings = plural(loaded.warnings(), "warning");
    match &loaded.config {
        Some(config) => {
            let _ = write!(line, "valid: {}, ", plural(config.apps.len(), "app"));
            line.push_str(if loaded.warnings() == 0 {
                "no warnings"
            } else {
                &warnings
            });
        }
        None => {
            let _ = write!(line, "invalid: {}", plural(loaded.errors(), "error"));
            if loaded.warnings() > 0 {
                let _ = write!(line, ", {warnings}");
            }
        }
    }
    line
}

fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// Write human output to stderr (ignoring a closed pipe, as for stdout).
pub fn eprint(text: &str) {
    use std::io::Write;
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}
