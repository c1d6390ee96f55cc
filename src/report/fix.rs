//! The two ways out of drift that every report names: the `cbcheck apply` command
//! for the drifted apps, and each app's REST call with its body.

use crate::model::redact::Redaction;
use crate::model::{App, AppResult, FileResults, Kind, Operation, Severity};

/// More `--app` selectors than this, or a longer command, is no longer read at a
/// glance: the command names the files alone (apply changes only what differs).
const MAX_SELECTORS: usize = 10;
const MAX_COMMAND_CHARS: usize = 400;

/// The `cbcheck apply` command that fixes the drifted apps of a verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyCommand {
    /// One shell line, every word quoted as the shell needs.
    pub line: String,
    /// How many apps it fixes.
    pub apps: usize,
    /// How many apps' token signing differs: apply leaves it alone, it is set by hand.
    pub by_hand: usize,
}

impl ApplyCommand {
    /// `the drifted app` / `the 3 drifted apps`.
    pub fn apps_phrase(&self) -> String {
        if self.apps == 1 {
            "the drifted app".into()
        } else {
            format!("the {} drifted apps", self.apps)
        }
    }

    /// What the command does not fix, when there is something: `where` says where
    /// each app's own help is.
    pub fn by_hand_note(&self, place: &str) -> Option<String> {
        let apps = match self.by_hand {
            0 => return None,
            1 => "1 app".to_owned(),
            n => format!("{n} apps"),
        };
        Some(format!(
            "apply leaves token signing alone: set it by hand for {apps}, as {place} says."
        ))
    }
}

/// The command that fixes every app apply can fix (a Live app's token signing is
/// set by hand), or `None` when there is none, or no file name that a shell line
/// can carry. `--app` names each app (its name, else its SDKAppID), unless every
/// app of the files drifted or the list would be too long to read: apply changes
/// only the apps that differ, and shows its plan first.
/// `flags` are the run's own network flags (`--endpoint`, `--allow-endpoint`), which
/// apply needs to reach the same vendor: they end the line.
pub fn apply_command(runs: &[FileResults], flags: &[String]) -> Option<ApplyCommand> {
    let mut files: Vec<String> = Vec::new();
    let mut selectors: Vec<String> = Vec::new();
    // An app in two services is named once; a set, not a scan, for 20,000-app fleets.
    let mut named: std::collections::HashSet<String> = std::collections::HashSet::new();
    let mut apps = 0;
    let mut whole_files = true;
    for run in runs {
        let fixable: Vec<&App> = run
            .results
            .iter()
            // A pending change is made once the file is merged, not by hand now.
            .filter(|r| r.remediation.is_some() && r.status() != crate::model::Status::Pending)
            .map(|r| &r.app)
            .collect();
        if fixable.is_empty() {
            continue;
        }
        files.push(file_word(&run.config.file)?);
        apps += fixable.len();
        whole_files &= fixable.len() == run.config.apps.len();
        for app in fixable {
            let selector = selector(app);
            if named.insert(selector.clone()) {
                selectors.push(selector);
            }
        }
    }
    if apps == 0 {
        return None;
    }
    let by_hand = runs
        .iter()
        .flat_map(|run| &run.results)
        .filter(|result| token_differs(result))
        .count();
    let flags: String = flags
        .iter()
        .map(|flag| {
            shlex::try_quote(flag).map_or_else(|_| String::new(), |word| format!(" {word}"))
        })
        .collect();
    let bare = format!("cbcheck apply {}{flags}", files.join(" "));
    let mut line = format!("cbcheck apply {}", files.join(" "));
    for selector in &selectors {
        line.push_str(" --app ");
        line.push_str(selector);
    }
    line.push_str(&flags);
    let line = if whole_files
        || selectors.len() > MAX_SELECTORS
        || line.chars().count() > MAX_COMMAND_CHARS
    {
        bare
    } else {
        line
    };
    Some(ApplyCommand {
        line,
        apps,
        by_hand,
    })
}

/// Whether a Live app's token signing differs: apply does not set it.
fn token_differs(result: &AppResult) -> bool {
    result
        .findings
        .iter()
        .any(|f| f.kind == Kind::TokenAuthMismatch && f.severity == Severity::Error)
}

/// A file as one shell word. A file name the terminal or Markdown cannot show as
/// it is (a control character, a line break) gets no command rather than a wrong one.
fn file_word(file: &str) -> Option<String> {
    if file.chars().any(super::is_unsafe) {
        return None;
    }
    // A leading `-` would read as an option.
    let file = if file.starts_with('-') {
        format!("./{file}")
    } else {
        file.to_owned()
    };
    shlex::try_quote(&file).ok().map(|word| word.into_owned())
}

/// How `--app` names the app: its name, quoted for the shell, when it can be shown
/// as it is and does not read as an option; else its SDKAppID, always one plain word.
fn selector(app: &App) -> String {
    app.name
        .as_deref()
        .filter(|name| !name.starts_with('-') && !name.chars().any(super::is_unsafe))
        .and_then(|name| shlex::try_quote(name).ok())
        .map_or_else(|| app.sdkappid.to_string(), |word| word.into_owned())
}

/// Whether the body of a fix, as `redaction` shows it, hides parts of its URL
/// (`***`): it is then not the body to send.
pub fn is_redacted(redaction: &Redaction, fix: &Operation) -> bool {
    fix.body
        .as_ref()
        .is_some_and(|body| redaction.url(&body.url) != body.url)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::file_text::FileText;
    use crate::model::tencent::region::Region;
    use crate::model::{AppResult, CallbackConfig, Config, Interface, Service};

    fn app(name: Option<&str>, sdkappid: u64) -> App {
        App {
            name: name.map(str::to_owned),
            ..App::bare(sdkappid, Region::Singapore, "administrator".into())
        }
    }

    fn fix(url: &str) -> Operation {
        Operation {
            service: &Service::ROOM,
            interface: Interface::Update,
            body: Some(CallbackConfig {
                url: url.into(),
                commands: vec!["Room.CallbackAfterCreateRoom".into()],
            }),
        }
    }

    /// A run of `file` whose apps are `(app, drifted)`.
    fn run(file: &str, apps: Vec<(App, bool)>) -> FileResults {
        FileResults {
            config: Config {
                file: file.into(),
                source: std::sync::Arc::new(FileText::new(file, String::new())),
                apps: apps.iter().map(|(app, _)| app.clone()).collect(),
            },
            redaction: Redaction::default(),
            results: apps
                .into_iter()
                .map(|(app, drifted)| AppResult {
                    app,
                    live: Some(None),
                    findings: Vec::new(),
                    remediation: drifted.then(|| fix("https://h.example.com/cb")),
                    failure: None,
                    base: None,
                })
                .collect(),
            notices: Vec::new(),
        }
    }

    fn line(runs: &[FileResults]) -> Option<String> {
        apply_command(runs, &[]).map(|c| c.line)
    }

    #[test]
    fn each_drifted_app_is_selected_by_name_else_by_sdkappid() {
        let runs = [run(
            "callbacks.yaml",
            vec![
                (app(Some("prod"), 1), true),
                (app(None, 2), true),
                (app(Some("fine"), 3), false),
            ],
        )];
        assert_eq!(
            apply_command(&runs, &[]),
            Some(ApplyCommand {
                line: "cbcheck apply callbacks.yaml --app prod --app 2".into(),
                apps: 2,
                by_hand: 0
            })
        );
    }

    #[test]
    fn no_drift_no_command() {
        let runs = [run("a.yaml", vec![(app(Some("fine"), 1), false)])];
        assert_eq!(line(&runs), None);
        assert_eq!(line(&[]), None);
    }

    #[test]
    fn every_app_of_the_file_drifted_needs_no_selector() {
        let runs = [
            run(
                "a.yaml",
                vec![(app(Some("x"), 1), true), (app(Some("y"), 2), true)],
            ),
            run("clean.yaml", vec![(app(Some("z"), 3), false)]),
        ];
        assert_eq!(line(&runs).as_deref(), Some("cbcheck apply a.yaml"));
    }

    #[test]
    fn too_many_selectors_leave_the_file_alone() {
        let mut apps: Vec<(App, bool)> = (1..=11).map(|i| (app(None, i), true)).collect();
        apps.push((app(Some("fine"), 99), false));
        assert_eq!(
            line(&[run("fleet.yaml", apps.clone())]).as_deref(),
            Some("cbcheck apply fleet.yaml")
        );
        apps.truncate(10);
        apps.push((app(Some("fine"), 99), false));
        assert!(
            line(&[run("fleet.yaml", apps)])
                .is_some_and(|l| l.ends_with("--app 9 --app 10") && l.contains("--app 1 ")),
        );
        let long = "n".repeat(MAX_COMMAND_CHARS);
        let runs = [run(
            "f.yaml",
            vec![(app(Some(&long), 1), true), (app(None, 2), false)],
        )];
        assert_eq!(line(&runs).as_deref(), Some("cbcheck apply f.yaml"));
    }

    #[test]
    fn words_are_quoted_for_the_shell_and_never_read_as_options() {
        let runs = [
            run(
                "my fleet.yaml",
                vec![
                    (app(Some("it's $HOME"), 1), true),
                    (app(Some("-dash"), 2), true),
                    (app(Some("line\nbreak"), 3), true),
                    (app(Some("fine"), 4), false),
                ],
            ),
            run("-odd.yaml", vec![(app(None, 5), true)]),
        ];
        let line = line(&runs).expect("a command");
        assert_eq!(
            shlex::split(&line).expect("shell words"),
            [
                "cbcheck",
                "apply",
                "my fleet.yaml",
                "./-odd.yaml",
                "--app",
                "it's $HOME",
                "--app",
                "2",
                "--app",
                "3",
                "--app",
                "5"
            ]
        );
        let unshowable = [run("a\u{1b}[2J.yaml", vec![(app(None, 1), true)])];
        assert_eq!(apply_command(&unshowable, &[]), None);
    }

    #[test]
    fn an_app_in_two_services_is_named_once() {
        let mut live = app(None, 1);
        live.service = crate::model::ServiceName::Live;
        let runs = [run(
            "a.yaml",
            vec![(app(None, 1), true), (live, true), (app(None, 2), false)],
        )];
        assert_eq!(
            apply_command(&runs, &[]),
            Some(ApplyCommand {
                line: "cbcheck apply a.yaml --app 1".into(),
                apps: 2,
                by_hand: 0
            })
        );
    }

    #[test]
    fn token_signing_is_left_to_the_hand_and_said_so() {
        let token = crate::model::Finding {
            kind: Kind::TokenAuthMismatch,
            severity: Severity::Error,
            message: "callback signing is disabled live".into(),
            desired: None,
            live: None,
            span: (0, 0).into(),
            label: String::new(),
            help: None,
        };
        let mut only_token = run("a.yaml", vec![(app(Some("live"), 1), false)]);
        only_token.results[0].findings.push(token.clone());
        assert_eq!(line(std::slice::from_ref(&only_token)), None);

        let mut both = run(
            "a.yaml",
            vec![(app(Some("x"), 1), true), (app(Some("y"), 2), false)],
        );
        both.results[0].findings.push(token.clone());
        both.results[1].findings.push(token);
        let fix = apply_command(&[both], &[]).expect("a command");
        assert_eq!(
            (fix.line.as_str(), fix.apps, fix.by_hand),
            ("cbcheck apply a.yaml --app x", 1, 2)
        );
        assert_eq!(
            fix.by_hand_note("its help").as_deref(),
            Some("apply leaves token signing alone: set it by hand for 2 apps, as its help says.")
        );
        let none = ApplyCommand { by_hand: 0, ..fix };
        assert_eq!(none.by_hand_note("its help"), None);
    }

    #[test]
    fn a_body_is_redacted_when_its_url_shows_masks() {
        let shown = &Redaction::new(true);
        let hidden = &Redaction::default();
        assert!(is_redacted(hidden, &fix("https://h/cb?token=t")));
        assert!(!is_redacted(shown, &fix("https://h/cb?token=t")));
        assert!(!is_redacted(hidden, &fix("https://h/cb")));
        let delete = Operation {
            body: None,
            ..fix("https://h/cb?token=t")
        };
        assert!(!is_redacted(hidden, &delete));
    }
}
