//! What `export` tells a person on stderr: the apps it wrote as comments or with
//! placeholders, the words it left out, and what it wrote.

use super::printable;

/// `export` stops when an app could not be read.
pub const INCOMPLETE: &str =
    "nothing was written: every app must be readable to export a complete file\n";

/// `export` found nothing a callbacks file could declare.
pub fn none_declarable(sdkappids: usize) -> String {
    format!(
        "error: nothing of the {} can be declared (no configuration live, or none a callbacks file accepts): a callbacks file needs at least one app\n  help: declare them by hand, with `callback: absent` for apps that must stay without one\n",
        plural(sdkappids, "SDKAppID")
    )
}

/// `export --sdkappid` could not read one service of an SDKAppID.
pub fn unreadable(app: &crate::model::App, failure: &crate::model::Failure) -> String {
    format!(
        "error: sdkappid {} ({}) could not be read ({}): {}\n  help: {}\n",
        app.sdkappid,
        app.service.name(),
        failure.class().id(),
        printable(&failure.message(), &[]),
        printable(&failure.help(), &[])
    )
}

/// What `export` does with an app whose live URL cannot be declared.
#[derive(Debug, Clone, Copy)]
pub enum Undeclarable {
    /// A new file: the app is written as a comment.
    Commented,
    /// `--from`: the app is left as the file has it.
    Kept,
}

/// `export` cannot declare an app's live URL: what it did with the app, and why.
pub fn url_undeclarable(
    app: &crate::model::App,
    url: &str,
    problem: &str,
    redaction: &crate::model::redact::Redaction,
    done: Undeclarable,
) -> String {
    let done = match done {
        Undeclarable::Commented => "is written as a comment",
        Undeclarable::Kept => "is left as the file has it",
    };
    format!(
        "warning: {} {done}: its live URL {} cannot be declared: {}\n",
        printable(&app.label(), &[]),
        printable(&redaction.url(url), &[]),
        printable(problem, &[])
    )
}

/// `export` writes a live URL that carries a token as it is.
pub fn url_with_secrets(
    app: &crate::model::App,
    url: &str,
    redaction: &crate::model::redact::Redaction,
) -> String {
    format!(
        "warning: the live URL of {} carries query values or userinfo ({}); it is written as is: keep the file private, or move the token out of the URL\n",
        printable(&app.label(), &[]),
        printable(&redaction.url(url), &[])
    )
}

/// `export` wrote a query value of a live URL as a placeholder: which variable to set.
pub fn placeholder(app: &crate::model::App, param: &str, variable: &str) -> String {
    format!(
        "note: {}: the live URL's query parameter `{}` looks like a secret: written as ${{{variable}}}; set {variable} to its value where verify and apply run (or export with --literal-urls)\n",
        printable(&app.label(), &[]),
        printable(param, &[]),
    )
}

/// `export --from` leaves out a live word the file cannot declare.
pub fn word_left_out(app: &crate::model::App, word: &str) -> String {
    format!(
        "note: {}: live also has `{}`, not a {} command word: left out of the file (`extra_commands: warn` reports it)\n",
        printable(&app.label(), &[]),
        printable(word, &[]),
        app.service.title()
    )
}

/// `export --from` declares `callback: absent` for an app that has none live.
pub fn now_absent(app: &crate::model::App) -> String {
    format!(
        "note: {} has no callback configuration live (get_callback answered 100301): it is now declared `callback: absent`\n",
        printable(&app.label(), &[])
    )
}

/// `export --from` could not edit the file in place.
pub fn not_refreshed(from: &std::path::Path, err: &crate::config::edit::EditError) -> String {
    format!(
        "error: {} cannot be refreshed in place: {} (line {}): {}\n  help: nothing was written; change that value by hand, then run export again\n",
        printable(&from.display().to_string(), &[]),
        printable(&err.app, &[]),
        err.line,
        printable(&err.reason.to_string(), &[])
    )
}

/// What `export --from -o` wrote.
pub fn refreshed(path: &std::path::Path, changed: usize, apps: usize) -> String {
    format!(
        "wrote {}: {changed} of {apps} apps changed to match live; every other line kept as it was\n",
        path.display()
    )
}

/// What `export -o` wrote, counted.
pub struct Written {
    /// The SDKAppIDs exported.
    pub sdkappids: usize,
    /// The entries declared, by service (in `ServiceName::ALL` order, none left out).
    pub entries: Vec<(crate::model::ServiceName, usize)>,
    /// SDKAppIDs with no configuration in any service read (one comment line each).
    pub with_none: usize,
    /// Entries written as comments (no configuration, or a URL a file cannot hold).
    pub commented: usize,
}

/// What `export -o` wrote: `wrote F: 5 SDKAppIDs, 6 service entries (3 room, 2 live,
/// 1 call), 1 SDKAppID with none`.
pub fn written(path: &std::path::Path, counts: &Written) -> String {
    let declared: usize = counts.entries.iter().map(|(_, n)| n).sum();
    let by_service: Vec<String> = counts
        .entries
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(service, n)| format!("{n} {}", service.name()))
        .collect();
    let mut line = format!(
        "wrote {}: {}, {}",
        printable(&path.display().to_string(), &[]),
        plural(counts.sdkappids, "SDKAppID"),
        if declared == 1 {
            "1 service entry".to_owned()
        } else {
            format!("{declared} service entries")
        }
    );
    if !by_service.is_empty() {
        line.push_str(&format!(" ({})", by_service.join(", ")));
    }
    if counts.with_none > 0 {
        line.push_str(&format!(
            ", {} with none",
            plural(counts.with_none, "SDKAppID")
        ));
    }
    if counts.commented > 0 {
        line.push_str(&format!(
            ", {} as {}",
            counts.commented,
            if counts.commented == 1 {
                "a comment"
            } else {
                "comments"
            }
        ));
    }
    line.push('\n');
    line
}

fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// `--secrets-out`: where the placeholder values went (never what they are).
pub fn secrets_written(path: &std::path::Path, names: &[&str]) -> String {
    format!(
        "wrote {} (mode 0600): the values of {} placeholder(s), the format of CBCHECK_PLACEHOLDERS{}\n",
        printable(&path.display().to_string(), &[]),
        names.len(),
        if names.is_empty() {
            String::new()
        } else {
            format!(" ({})", printable(&names.join(", "), &[]))
        }
    )
}
