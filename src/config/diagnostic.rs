//! A problem found in a config file, as a miette diagnostic.

use std::fmt;
use std::sync::Arc;

use miette::{Diagnostic, LabeledSpan, Severity, SourceSpan};

use super::SourceFile;

/// The rules the loader enforces. Each has a stable code: scripts and docs refer to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rule {
    Unreadable,
    TooLarge,
    NotUtf8,
    Syntax,
    EmptyFile,
    WrongType,
    MissingKey,
    UnknownKey,
    UnsupportedVersion,
    InvalidSdkappid,
    DuplicateSdkappid,
    DuplicateName,
    NumericName,
    EmptyApps,
    EmptyValue,
    UnknownRegion,
    InvalidEndpoint,
    UnlistedEndpoint,
    InvalidEnvName,
    InvalidValue,
    InvalidUrl,
    InsecureUrl,
    UnknownCommand,
    DuplicateCommand,
    EmptyCommands,
    SecretInFile,
    Interpolation,
    KeyInUrl,
}

impl Rule {
    /// The last part of the code, e.g. `unknown-key`.
    pub fn name(self) -> &'static str {
        self.code().rsplit("::").next().unwrap_or("")
    }

    pub fn code(self) -> &'static str {
        match self {
            Rule::Unreadable => "cbcheck::config::unreadable",
            Rule::TooLarge => "cbcheck::config::too-large",
            Rule::NotUtf8 => "cbcheck::config::not-utf8",
            Rule::Syntax => "cbcheck::config::syntax",
            Rule::EmptyFile => "cbcheck::config::empty-file",
            Rule::WrongType => "cbcheck::config::wrong-type",
            Rule::MissingKey => "cbcheck::config::missing-key",
            Rule::UnknownKey => "cbcheck::config::unknown-key",
            Rule::UnsupportedVersion => "cbcheck::config::unsupported-version",
            Rule::InvalidSdkappid => "cbcheck::config::invalid-sdkappid",
            Rule::DuplicateSdkappid => "cbcheck::config::duplicate-sdkappid",
            Rule::DuplicateName => "cbcheck::config::duplicate-name",
            Rule::NumericName => "cbcheck::config::numeric-name",
            Rule::EmptyApps => "cbcheck::config::empty-apps",
            Rule::EmptyValue => "cbcheck::config::empty-value",
            Rule::UnknownRegion => "cbcheck::config::unknown-region",
            Rule::InvalidEndpoint => "cbcheck::config::invalid-endpoint",
            Rule::UnlistedEndpoint => "cbcheck::config::unlisted-endpoint",
            Rule::InvalidEnvName => "cbcheck::config::invalid-env-name",
            Rule::InvalidValue => "cbcheck::config::invalid-value",
            Rule::InvalidUrl => "cbcheck::config::invalid-url",
            Rule::InsecureUrl => "cbcheck::config::insecure-url",
            Rule::UnknownCommand => "cbcheck::config::unknown-command",
            Rule::DuplicateCommand => "cbcheck::config::duplicate-command",
            Rule::EmptyCommands => "cbcheck::config::empty-commands",
            Rule::SecretInFile => "cbcheck::config::secret-in-file",
            Rule::Interpolation => "cbcheck::config::interpolation",
            Rule::KeyInUrl => "cbcheck::config::key-in-url",
        }
    }
}

/// What names a diagnostic: a config `Rule`, or a fixed code (a verify verdict).
pub trait Code: fmt::Debug {
    fn code(&self) -> &'static str;
}

impl Code for Rule {
    fn code(&self) -> &'static str {
        Rule::code(*self)
    }
}

impl Code for &'static str {
    fn code(&self) -> &'static str {
        self
    }
}

/// One problem in one file: a message, the spans it concerns, and the fix. The
/// one miette diagnostic of the crate's own: config problems (`R = Rule`) and
/// the human report's app verdicts (a fixed code) alike.
#[derive(Debug, Clone)]
pub struct ConfigDiagnostic<R = Rule> {
    pub rule: R,
    pub severity: Severity,
    pub message: String,
    pub labels: Vec<LabeledSpan>,
    pub help: Option<String>,
    /// Attached once the whole file has been checked (secret values are masked in it).
    /// The human report draws snippets from it (`report::human`), clipped and escaped.
    pub source: Option<Arc<SourceFile>>,
}

impl ConfigDiagnostic {
    pub fn error(rule: Rule, message: impl Into<String>) -> Self {
        ConfigDiagnostic::coded(rule, Severity::Error, message)
    }

    pub fn warning(rule: Rule, message: impl Into<String>) -> Self {
        ConfigDiagnostic {
            severity: Severity::Warning,
            ..ConfigDiagnostic::error(rule, message)
        }
    }
}

impl<R> ConfigDiagnostic<R> {
    /// A diagnostic named by any code, with no labels or help yet.
    pub fn coded(rule: R, severity: Severity, message: impl Into<String>) -> Self {
        ConfigDiagnostic {
            rule,
            severity,
            message: message.into(),
            labels: Vec::new(),
            help: None,
            source: None,
        }
    }

    pub fn label(mut self, span: SourceSpan, text: impl Into<String>) -> Self {
        self.labels
            .push(LabeledSpan::new_with_span(Some(text.into()), span));
        self
    }

    pub fn primary(mut self, span: SourceSpan, text: impl Into<String>) -> Self {
        self.labels
            .push(LabeledSpan::new_primary_with_span(Some(text.into()), span));
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The label a one-line report points at: the primary one, else the first.
    fn primary_label(&self) -> Option<&LabeledSpan> {
        self.labels
            .iter()
            .find(|l| l.primary())
            .or_else(|| self.labels.first())
    }

    /// The byte offset the diagnostic is about (0 when it has no label), for ordering.
    pub fn offset(&self) -> usize {
        self.primary_label().map_or(0, LabeledSpan::offset)
    }

    /// The 1-based line and column of the primary label, for machine-readable reports.
    pub fn line_col(&self) -> Option<(usize, usize)> {
        let source = self.source.as_ref()?;
        Some(source.line_col(self.primary_label()?.offset()))
    }
}

impl<R> fmt::Display for ConfigDiagnostic<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl<R: fmt::Debug> std::error::Error for ConfigDiagnostic<R> {}

impl<R: Code> Diagnostic for ConfigDiagnostic<R> {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.rule.code()))
    }

    fn severity(&self) -> Option<Severity> {
        Some(self.severity)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            None
        } else {
            Some(Box::new(self.labels.iter().cloned()))
        }
    }
}
