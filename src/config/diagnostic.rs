//! A problem found in a config file, as a miette diagnostic.

use std::fmt;
use std::sync::Arc;

use miette::{Diagnostic, LabeledSpan, Severity, SourceSpan};

use super::FileText;

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
    /// A notice: `known_commands` declares words the catalog does not have yet.
    DeclaredCommands,
    /// A word in `known_commands` that the catalog has: the declaration can go.
    CatalogedCommand,
    SecretInFile,
    Interpolation,
    KeyInUrl,
    /// A key whose value would be a command to run (`secret_key_command`).
    CommandInFile,
    /// Not a rule of the file: the line that counts a file's problems past the first
    /// [`MAX_DIAGNOSTICS`].
    TooManyProblems,
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
            Rule::DeclaredCommands => "cbcheck::config::declared-commands",
            Rule::CatalogedCommand => "cbcheck::config::cataloged-command",
            Rule::SecretInFile => "cbcheck::config::secret-in-file",
            Rule::Interpolation => "cbcheck::config::interpolation",
            Rule::KeyInUrl => "cbcheck::config::key-in-url",
            Rule::CommandInFile => "cbcheck::config::command-in-file",
            Rule::TooManyProblems => "cbcheck::config::too-many-problems",
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
    pub source: Option<Arc<FileText>>,
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

    /// Something worth knowing that is no problem: it fails no run, even under
    /// `--deny-warnings`.
    pub fn notice(rule: Rule, message: impl Into<String>) -> Self {
        ConfigDiagnostic {
            severity: Severity::Advice,
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

    pub fn is_warning(&self) -> bool {
        self.severity == Severity::Warning
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

/// The most diagnostics kept of one file: the first ones in file order. Past them
/// each problem is only counted, so a file of one mistake repeated a few hundred
/// thousand times costs no more memory or output than a small multiple of itself.
pub const MAX_DIAGNOSTICS: usize = 1000;

/// A problem past [`MAX_DIAGNOSTICS`]: what it takes to count it, and to forget it
/// as a kept one would be forgotten (an allowed endpoint, an unselected app).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Omitted {
    pub rule: Rule,
    pub error: bool,
    pub offset: usize,
}

/// A file's diagnostics as they are found: the first [`MAX_DIAGNOSTICS`] in file order
/// (an equal offset in the order found, as a stable sort of them all would put them)
/// are kept, the rest counted.
#[derive(Debug, Default)]
pub struct Collected {
    kept: Vec<ConfigDiagnostic>,
    omitted: Vec<Omitted>,
}

impl Collected {
    /// Problems already collected (what [`Collected::finish`] gave), to push more.
    pub fn resume(kept: Vec<ConfigDiagnostic>, omitted: Vec<Omitted>) -> Collected {
        Collected { kept, omitted }
    }

    pub fn push(&mut self, diagnostic: ConfigDiagnostic) {
        self.kept.push(diagnostic);
        // Trimmed in batches: a sort every MAX_DIAGNOSTICS problems, not one each.
        if self.kept.len() >= 2 * MAX_DIAGNOSTICS {
            self.trim();
        }
    }

    pub fn has_errors(&self) -> bool {
        self.kept.iter().any(ConfigDiagnostic::is_error) || self.omitted.iter().any(|o| o.error)
    }

    /// Both files' problems, as if they had been pushed here in order.
    pub fn append(&mut self, other: Collected) {
        self.omitted.extend(other.omitted);
        for diagnostic in other.kept {
            self.push(diagnostic);
        }
    }

    fn trim(&mut self) {
        self.kept.sort_by_key(ConfigDiagnostic::offset);
        if self.kept.len() > MAX_DIAGNOSTICS {
            self.omitted
                // A notice past the kept ones is no problem to count.
                .extend(
                    self.kept
                        .drain(MAX_DIAGNOSTICS..)
                        .filter(|d| d.is_error() || d.is_warning())
                        .map(|d| Omitted {
                            rule: d.rule,
                            error: d.is_error(),
                            offset: d.offset(),
                        }),
                );
        }
    }

    /// The kept diagnostics in file order, and the problems past them.
    pub fn finish(mut self) -> (Vec<ConfigDiagnostic>, Vec<Omitted>) {
        self.trim();
        (self.kept, self.omitted)
    }
}

/// The diagnostic that stands for the problems past the kept ones, at the first of them.
pub fn omitted_note(omitted: &[Omitted]) -> Option<ConfigDiagnostic> {
    let first = omitted.iter().min_by_key(|o| o.offset)?;
    let errors = omitted.iter().filter(|o| o.error).count();
    let warnings = omitted.len() - errors;
    let counts = match (errors, warnings) {
        (_, 0) => plural(errors, "error"),
        (0, _) => plural(warnings, "warning"),
        _ => format!(
            "{}, {}",
            plural(errors, "error"),
            plural(warnings, "warning")
        ),
    };
    let severity = if errors > 0 {
        Severity::Error
    } else {
        Severity::Warning
    };
    Some(
        ConfigDiagnostic::coded(
            Rule::TooManyProblems,
            severity,
            format!(
                "… and {} more {} not shown ({counts}): only a file's first {} are listed",
                thousands(omitted.len()),
                if omitted.len() == 1 { "problem" } else { "problems" },
                thousands(MAX_DIAGNOSTICS)
            ),
        )
        .primary(SourceSpan::new(first.offset.into(), 0), "the first problem not shown")
        .help("fix the problems listed (often one mistake, repeated), then lint the file again to see the rest"),
    )
}

fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{} {noun}s", thousands(n))
    }
}

/// `359000` as `359,000`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(offset: usize, error: bool) -> ConfigDiagnostic {
        let d = if error {
            ConfigDiagnostic::error(Rule::UnknownKey, format!("at {offset}"))
        } else {
            ConfigDiagnostic::warning(Rule::InsecureUrl, format!("at {offset}"))
        };
        d.primary(SourceSpan::new(offset.into(), 1), "here")
    }

    #[test]
    fn the_first_problems_in_file_order_are_kept_and_the_rest_counted() {
        let mut collected = Collected::default();
        // Found out of order, as the checks of one file and its secret scan are.
        for offset in (0..3 * MAX_DIAGNOSTICS).rev() {
            collected.push(at(offset, offset % 3 != 0));
        }
        let mut secrets = Collected::default();
        secrets.push(
            ConfigDiagnostic::error(Rule::SecretInFile, "a secret")
                .primary(SourceSpan::new(5.into(), 1), "here"),
        );
        collected.append(secrets);
        let (kept, omitted) = collected.finish();
        assert_eq!(kept.len(), MAX_DIAGNOSTICS);
        assert_eq!(omitted.len(), 2 * MAX_DIAGNOSTICS + 1);
        let offsets: Vec<usize> = kept.iter().map(ConfigDiagnostic::offset).collect();
        assert_eq!(offsets[..7], [0, 1, 2, 3, 4, 5, 5]);
        // Of an equal offset, the one found first comes first.
        assert_eq!(
            (kept[5].rule, kept[6].rule),
            (Rule::UnknownKey, Rule::SecretInFile)
        );
        assert_eq!(offsets.last(), Some(&(MAX_DIAGNOSTICS - 2)));

        let note = omitted_note(&omitted).expect("a note");
        assert_eq!(
            note.message,
            "… and 2,001 more problems not shown (1,334 errors, 667 warnings): only a file's first 1,000 are listed"
        );
        assert!(note.is_error());
        assert_eq!(note.offset(), MAX_DIAGNOSTICS - 1);
        assert!(omitted_note(&[]).is_none());
    }

    #[test]
    fn a_few_problems_are_all_kept_in_file_order() {
        let mut collected = Collected::default();
        for offset in [9, 3, 7] {
            collected.push(at(offset, false));
        }
        let (kept, omitted) = collected.finish();
        assert_eq!(
            kept.iter()
                .map(ConfigDiagnostic::offset)
                .collect::<Vec<_>>(),
            [3, 7, 9]
        );
        assert!(omitted.is_empty());
    }

    #[test]
    fn warnings_alone_make_a_warning() {
        let omitted = [Omitted {
            rule: Rule::InsecureUrl,
            error: false,
            offset: 4,
        }];
        let note = omitted_note(&omitted).expect("a note");
        assert!(!note.is_error());
        assert!(
            note.message
                .starts_with("… and 1 more problem not shown (1 warning)")
        );
        assert_eq!(thousands(359_000), "359,000");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000_000), "1,000,000");
    }
}
