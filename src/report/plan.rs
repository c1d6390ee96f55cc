//! `apply`'s plan: for a person, each app's change as a `terraform plan`-style diff of
//! live → desired (the file), as verify's diff reads; for machines (`apply --dry-run --format json`), the same plan as JSON,
//! described by schemas/plan.schema.json.

use std::fmt::Write as _;

use schemars::JsonSchema;
use serde::Serialize;

use super::json::{ErrorReport, FileDigestReport, RemediationBody};
use super::printable;

/// The JSON plan's own format version: it changes when the plan changes incompatibly.
/// 2: what `apply --plan` needs (`created`, `file_digests`, each app's `request` and
/// `live_sha256`).
pub const PLAN_VERSION: u32 = 2;
use super::problem::Problem;
use crate::model::redact::{Redaction, hidden_difference, secret_ranges};
use crate::model::run_info::FileDigest;
use crate::model::tencent::region::Region;
use crate::model::{
    Action, AppResult, CallbackConfig, CommandChanges, FileResults, Finding, Kind, Operation,
    ServiceName, state_sha256,
};

/// When a plan was made, and from which file contents.
pub struct Made<'a> {
    pub at: std::time::SystemTime,
    /// The files in the order given.
    pub files: &'a [FileDigest],
}

/// The plan of `cbcheck apply --dry-run`.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "cbcheck apply plan")]
pub struct Plan {
    /// The plan format version.
    #[schemars(extend("const" = PLAN_VERSION))]
    pub version: u32,
    /// When the plan was made (RFC 3339, UTC): `apply --plan` refuses an old one.
    pub created: String,
    /// The callbacks files the plan was made from, in the order given.
    pub files: Vec<String>,
    /// The SHA-256 of each file's bytes, in the same order: `apply --plan` given the
    /// files refuses any that changed since.
    pub file_digests: Vec<FileDigestReport>,
    pub summary: PlanSummary,
    /// One entry per selected app, in file order; empty when nothing was planned.
    pub apps: Vec<PlannedApp>,
    /// The files' own diagnostics (as `cbcheck lint` reports them), then what stopped
    /// the run, if anything. An error among them means nothing was planned (exit 2).
    pub diagnostics: Vec<Problem>,
}

// Apps by action (each app counted once), and how many need a person: the totals
// of the human plan's last line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanSummary {
    pub apps: usize,
    pub create: usize,
    pub update: usize,
    pub delete: usize,
    pub unchanged: usize,
    pub failed: usize,
    /// Apps with something apply does not do (Live's token signing), whatever their action.
    pub by_hand: usize,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlannedApp {
    /// The file that declares the app.
    pub file: String,
    pub name: Option<String>,
    pub sdkappid: u64,
    /// Whose callback configuration this is: `room`, `live` or `call`.
    pub service: ServiceName,
    pub action: Action,
    /// The REST interface apply calls, e.g. `v4/room_config/update_callback`; null
    /// when nothing is sent.
    pub interface: Option<String>,
    /// The exact request body (URL redacted unless --show-secrets): the configuration
    /// for set/update_callback, `{}` for delete_callback; null when nothing is sent.
    pub body: Option<RemediationBody>,
    /// The live state the plan was made from; null when the app could not be read.
    pub live: Option<LiveState>,
    /// The SHA-256 of the live callback configuration the plan was made from,
    /// unredacted: present or absent, the URL as returned, the command words sorted,
    /// each once (hex of the SHA-256 of the compact JSON `null` or `[url, [words]]`).
    /// `apply --plan` changes the app only while it still has this digest. Null when
    /// the app could not be read.
    pub live_sha256: Option<String>,
    /// What `apply --plan` sends; null when nothing is sent, and when the URL as the
    /// file writes it has a secret part (a userinfo or query value written in the
    /// file, not a `${NAME}`) and the plan was made without --show-secrets: such a plan
    /// is not applied (write the value as `${NAME}`).
    pub request: Option<PlannedRequest>,
    /// What a person must change with another interface (apply never does).
    pub by_hand: Vec<ByHand>,
    /// Why the app could not be read; null unless `action` is `failed`.
    pub error: Option<ErrorReport>,
}

/// What `apply --plan` needs to send an app's call, as the file declares it: where
/// to, as whom, and the body with its URL as written. Never a key, a UserSig or the
/// value of a `${NAME}`: those are read from the environment when the plan is applied.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlannedRequest {
    /// The app's region, when it has one.
    pub region: Option<Region>,
    /// The app's `endpoint`, when it has one: it wins over the region, and
    /// `--allow-endpoint` decides again whether it may be used.
    pub endpoint: Option<String>,
    /// The administrator account the UserSig is made for.
    pub identifier: String,
    /// The name of the variable the app's secret key is read from (never its value).
    pub secret_key_env: Option<String>,
    /// The body to send, its `Url` as the file writes it (`${NAME}` unexpanded);
    /// `{}` for delete_callback.
    pub body: RemediationBody,
}

/// What get_callback (and, for Live's `token_auth`, get_callback_token) answered.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LiveState {
    /// The live configuration (URL redacted unless --show-secrets); null when there is none.
    pub callback: Option<LiveCallback>,
    /// Whether the vendor signs the app's callbacks; null when not read (it is read
    /// for Live apps that declare `token_auth`). The token itself is never read.
    pub token_auth: Option<bool>,
}

/// A live callback configuration, as get_callback returns it.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LiveCallback {
    #[serde(rename = "Url")]
    pub url: String,
    #[serde(rename = "CallbackCommandList")]
    pub commands: Vec<String>,
}

/// A difference apply leaves to a person.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ByHand {
    pub kind: Kind,
    /// The interface to call, e.g. `v4/live_config/set_callback_token`.
    pub interface: String,
    pub message: String,
    pub desired: Option<String>,
    pub live: Option<String>,
}

/// Each result with its file and redaction, in file order.
pub fn results(runs: &[FileResults]) -> impl Iterator<Item = (&FileResults, &AppResult)> {
    runs.iter()
        .flat_map(|run| run.results.iter().map(move |r| (run, r)))
}

fn action(result: &AppResult) -> Action {
    match (&result.live, &result.remediation) {
        (None, _) => Action::Failed,
        (Some(live), Some(fix)) => Action::of(fix, live.as_ref()),
        (Some(_), None) => Action::Unchanged,
    }
}

/// What apply does not fix: Live's token signing.
pub(super) fn by_hand(result: &AppResult) -> impl Iterator<Item = &Finding> {
    result
        .findings
        .iter()
        .filter(|f| f.kind == Kind::TokenAuthMismatch)
}

/// The interface a person calls to set the token flag.
pub(super) fn token_interface(result: &AppResult) -> &'static str {
    result.app.service.row().token.map_or("", |(_, set)| set)
}

pub fn summary(runs: &[FileResults]) -> PlanSummary {
    results(runs).fold(PlanSummary::default(), |mut summary, (_, result)| {
        summary.apps += 1;
        match action(result) {
            Action::Create => summary.create += 1,
            Action::Update => summary.update += 1,
            Action::Delete => summary.delete += 1,
            Action::Unchanged => summary.unchanged += 1,
            Action::Failed => summary.failed += 1,
        }
        if by_hand(result).next().is_some() {
            summary.by_hand += 1;
        }
        summary
    })
}

/// The plan over `made.files`; `problems` are their diagnostics and what stopped the
/// run (when it stopped, `runs` is empty).
pub fn plan(made: &Made<'_>, runs: &[FileResults], problems: &[Problem]) -> Plan {
    Plan {
        version: PLAN_VERSION,
        created: super::json::rfc3339(made.at),
        files: made.files.iter().map(|f| f.file.clone()).collect(),
        file_digests: super::json::file_digests(made.files),
        summary: summary(runs),
        apps: results(runs)
            .map(|(run, result)| planned_app(run, result))
            .collect(),
        diagnostics: problems.to_vec(),
    }
}

fn planned_app(run: &FileResults, result: &AppResult) -> PlannedApp {
    let redaction = &run.redaction;
    let fix = result.remediation.as_ref();
    PlannedApp {
        file: run.config.file.clone(),
        name: result.app.name.clone(),
        sdkappid: result.app.sdkappid,
        service: result.app.service,
        action: action(result),
        interface: fix.map(|fix| fix.path().to_owned()),
        body: fix.map(|fix| match &fix.body {
            Some(body) => RemediationBody::Callback {
                url: redaction.url(&body.url),
                commands: body.commands.clone(),
            },
            None => RemediationBody::Empty {},
        }),
        live: result.live.as_ref().map(|live| LiveState {
            callback: live.as_ref().map(|config| LiveCallback {
                url: redaction.url(&config.url),
                commands: config.commands.clone(),
            }),
            token_auth: result.live_token_auth(),
        }),
        live_sha256: result.live.as_ref().map(|live| state_sha256(live.as_ref())),
        request: fix
            .filter(|_| appliable(result, redaction))
            .map(|fix| PlannedRequest {
                region: result.app.region,
                endpoint: result.app.endpoint.as_ref().map(ToString::to_string),
                identifier: result.app.identifier.clone(),
                secret_key_env: result.app.secret_key_env.clone(),
                body: match (&fix.body, &result.app.callback) {
                    (Some(body), Some(desired)) => RemediationBody::Callback {
                        url: desired.written.clone(),
                        commands: body.commands.clone(),
                    },
                    _ => RemediationBody::Empty {},
                },
            }),
        by_hand: by_hand_entries(result),
        error: result.failure.as_ref().map(ErrorReport::from),
    }
}

/// Whether the plan may carry the app's request: its URL as written holds no secret
/// part, or secrets are shown.
fn appliable(result: &AppResult, redaction: &Redaction) -> bool {
    redaction.show_secrets
        || result
            .app
            .callback
            .as_ref()
            .is_none_or(|desired| secret_ranges(&desired.written).is_empty())
}

/// What apply leaves to a person for the app, as both JSON documents list it.
pub(super) fn by_hand_entries(result: &AppResult) -> Vec<ByHand> {
    by_hand(result)
        .map(|finding| ByHand {
            kind: finding.kind,
            interface: token_interface(result).to_owned(),
            message: finding.message.clone(),
            desired: finding.desired.clone(),
            live: finding.live.clone(),
        })
        .collect()
}

/// The plan as JSON.
pub fn render_json(made: &Made<'_>, runs: &[FileResults], problems: &[Problem]) -> String {
    let text =
        serde_json::to_string_pretty(&plan(made, runs, problems)).expect("the plan is plain data");
    crate::model::text::json_document_safe(text)
}

/// The JSON Schema of the plan, as committed in schemas/plan.schema.json.
pub fn schema_json() -> String {
    let schema = schemars::schema_for!(Plan);
    let mut text = serde_json::to_string_pretty(&schema).expect("a JSON value always serialises");
    text.push('\n');
    text
}

/// Lines of the human plan: each marked `+` (added), `-` (removed), `~` (changed),
/// `!` (for a person) or unmarked (context), painted by their mark when colour is on.
struct Lines {
    text: String,
    color: bool,
}

impl Lines {
    /// One line at `depth` (in steps of two spaces after the block's margin); every
    /// value in it was made printable.
    fn push(&mut self, depth: usize, mark: char, line: &str) {
        let paint = match mark {
            '+' => "\u{1b}[32m",
            '-' => "\u{1b}[31m",
            '~' | '!' => "\u{1b}[33m",
            _ => "",
        };
        let line = format!("{:width$}{mark} {line}", "", width = 2 + depth * 2);
        if self.color && !paint.is_empty() {
            let _ = writeln!(self.text, "{paint}{line}\u{1b}[0m");
        } else {
            let _ = writeln!(self.text, "{line}");
        }
    }
}

/// A value from the file or the vendor, on one line.
fn shown(text: &str) -> String {
    printable(text, &[]).into_owned()
}

/// The human plan: a block per app that changes or needs a person, in file order,
/// then the totals. In-sync apps are only counted; failed ones are reported apart.
pub fn render_human(runs: &[FileResults], color: bool) -> String {
    let mut text = blocks(results(runs), color);
    text.push_str(&totals(&summary(runs)));
    text.push('\n');
    text
}

/// The header and a block per app of `results` that changes or needs a person, in
/// the order given; empty when none does. `verify --base` shows its pending changes so.
pub fn blocks<'a>(
    results: impl Iterator<Item = (&'a FileResults, &'a AppResult)>,
    color: bool,
) -> String {
    let mut lines = Lines {
        text: String::new(),
        color,
    };
    // The files with a block, for the header.
    let mut files: Vec<&str> = Vec::new();
    for (run, result) in results {
        let tokens: Vec<&Finding> = by_hand(result).collect();
        match (&result.live, &result.remediation) {
            (Some(live), Some(fix)) => {
                block(&mut lines, result, fix, live.as_ref(), &run.redaction);
            }
            (Some(_), None) if !tokens.is_empty() => {
                lines.push(0, '!', &format!("by hand {}", shown(&result.app.title())));
            }
            _ => continue,
        }
        for finding in tokens {
            let (desired, live) = (
                finding.desired.as_deref().unwrap_or(""),
                finding.live.as_deref().unwrap_or(""),
            );
            lines.push(
                2,
                '~',
                &format!(
                    "token_auth: {live} -> {desired} (by hand with {}; apply never sets the token)",
                    token_interface(result)
                ),
            );
        }
        lines.text.push('\n');
        if !files.contains(&run.config.file.as_str()) {
            files.push(&run.config.file);
        }
    }
    if !lines.text.is_empty() {
        lines.text.insert_str(0, &header(&files));
    }
    lines.text
}

/// Which way the blocks read, as verify's diff says it: live → desired, so `+` is
/// what apply adds.
fn header(files: &[&str]) -> String {
    let files: Vec<String> = files.iter().map(|file| shown(file)).collect();
    format!(
        "  --- live (get_callback)\n  +++ desired ({})\n\n",
        files.join(", ")
    )
}

/// One app's call: its header, then the URL and command changes from live to sent.
fn block(
    lines: &mut Lines,
    result: &AppResult,
    fix: &Operation,
    live: Option<&CallbackConfig>,
    redaction: &Redaction,
) {
    let action = Action::of(fix, live);
    let mark = match action {
        Action::Create => '+',
        Action::Delete => '-',
        _ => '~',
    };
    let title = shown(&result.app.title());
    lines.push(0, mark, &format!("{} {title}: {}", action.id(), fix.path()));
    let url = |url: &str| shown(&redaction.url(url));
    let no_commands: &[String] = &[];
    let (live_commands, sent_commands) = (
        live.map_or(no_commands, |l| &l.commands),
        fix.body.as_ref().map_or(no_commands, |b| &b.commands),
    );
    let changes = CommandChanges::between(live_commands, sent_commands);
    match (live, &fix.body) {
        (Some(live), Some(sent)) => {
            // The URL as the drift engine compares it: a case or default-port
            // difference alone is no change.
            if crate::model::same_url(&live.url, &sent.url) {
                lines.push(2, ' ', &format!("url: {}", url(&sent.url)));
            } else {
                // Two URLs that differ only in a redacted part would read the same.
                let hidden = hidden_difference(&live.url, &sent.url)
                    .filter(|_| !redaction.show_secrets)
                    .map_or(String::new(), |part| format!(" (differs in {part})"));
                lines.push(
                    2,
                    '~',
                    &format!("url: {} -> {}{hidden}", url(&live.url), url(&sent.url)),
                );
            }
            if changes.added.is_empty() && changes.removed.is_empty() {
                let kept = match changes.kept {
                    0 => "[]".to_owned(),
                    n => format!("({n} unchanged)"),
                };
                lines.push(2, ' ', &format!("commands: {kept}"));
                return;
            }
            lines.push(2, ' ', "commands:");
        }
        (_, Some(sent)) => {
            lines.push(2, '+', &format!("url: {}", url(&sent.url)));
            lines.push(2, '+', &commands_key(sent_commands));
        }
        (Some(live), None) => {
            lines.push(2, '-', &format!("url: {}", url(&live.url)));
            lines.push(2, '-', &commands_key(live_commands));
        }
        (None, None) => return,
    }
    for word in &changes.added {
        lines.push(4, '+', &shown(word));
    }
    for word in &changes.removed {
        lines.push(4, '-', &shown(word));
    }
    if changes.kept > 0 {
        lines.push(4, ' ', &format!("({} unchanged)", changes.kept));
    }
}

/// `commands:` over the list that follows, or `commands: []` for none.
fn commands_key(commands: &[String]) -> String {
    if commands.is_empty() {
        "commands: []".into()
    } else {
        "commands:".into()
    }
}

/// The last line, e.g. `Plan: 1 to create, 2 to update, 0 to delete, 5 unchanged.`, and
/// what the plan leaves out; `No changes.` when every app is as the file says.
pub fn totals(summary: &PlanSummary) -> String {
    let calls = summary.create + summary.update + summary.delete;
    if calls == 0 && summary.failed == 0 && summary.by_hand == 0 {
        return format!(
            "No changes. The live configuration matches the file ({}).",
            apps(summary.apps)
        );
    }
    let mut line = format!(
        "Plan: {} to create, {} to update, {} to delete, {} unchanged.",
        summary.create, summary.update, summary.delete, summary.unchanged
    );
    if summary.by_hand > 0 {
        let _ = write!(line, " {} to fix by hand.", apps(summary.by_hand));
    }
    if summary.failed > 0 {
        let _ = write!(line, " {} could not be read.", apps(summary.failed));
    }
    line
}

fn apps(n: usize) -> String {
    if n == 1 {
        "1 app".into()
    } else {
        format!("{n} apps")
    }
}
