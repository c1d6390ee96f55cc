//! Command-line definitions (clap). No logic here.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use url::Url;

use crate::model::AllowedHost;
use crate::model::ServiceName;
use crate::model::tencent::region::Region;
pub use crate::report::format::Format;

const EXIT_CODES: &str = "\
Exit codes:
  0  every app in sync / the file is valid
  1  drift found
  2  invalid config or usage, or an app's endpoint in the file not allowed
  3  credentials missing or rejected
  4  the API could not be reached or kept failing";

/// Declarative drift checker for the callback configuration of Tencent RTC Engine apps:
/// Room, Live and Call.
#[derive(Debug, Parser)]
#[command(name = "cbcheck", version, about, after_help = EXIT_CODES)]
pub struct Cli {
    /// When to colour the output (NO_COLOR is honoured by `auto`).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,

    #[command(subcommand)]
    pub command: Command,
}

/// Why `apply --format json` alone is refused.
pub const JSON_NEEDS_CONSENT: &str =
    "`apply --format json` needs --dry-run (it prints the plan) or --yes (it prints the outcome)";

impl Cli {
    /// Parse the arguments; a usage error exits 2, as clap does, also for the one
    /// combination clap cannot say: `apply --format json` needs `--dry-run` (the plan)
    /// or `--yes` (the outcome), never a question on the terminal.
    pub fn parse_checked() -> Cli {
        let cli = Cli::parse();
        if let Command::Apply(ApplyArgs {
            format: PlanFormat::Json,
            yes: false,
            dry_run: false,
            ..
        }) = cli.command
        {
            <Cli as clap::CommandFactory>::command()
                .error(
                    clap::error::ErrorKind::MissingRequiredArgument,
                    JSON_NEEDS_CONSENT,
                )
                .exit();
        }
        cli
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check callbacks files offline: no credentials, no network.
    #[command(after_help = "\
Examples:
  cbcheck lint callbacks.yaml
  cbcheck lint --deny-warnings envs/*.yaml
  cbcheck lint --format json callbacks.yaml > lint.json

Diagnostics and a summary line per file go to stderr (-q: one line per diagnostic,
without snippets; the other formats go to stdout). Exits 0 when every file is valid
(warnings allowed), 2 when one is invalid or, with --deny-warnings, has warnings.")]
    Lint(LintArgs),

    /// Compare the live callback configuration of every app with the file.
    #[command(after_help = "\
Examples:
  cbcheck verify callbacks.yaml
  cbcheck verify callbacks.yaml --app conference-prod --app 1400000002
  cbcheck verify callbacks.yaml --format json > report.json
  cbcheck verify callbacks.yaml --live-from snapshot.json   # offline, recorded replies
  cbcheck verify callbacks.yaml --probe   # also check each callback endpoint (no request sent)
  git show origin/main:callbacks.yaml > base.yaml
  cbcheck verify callbacks.yaml --base base.yaml   # a pull request: its changes are pending, not drift
  cat callbacks.yaml | cbcheck verify -
  cbcheck verify callbacks.yaml -q              # only the apps that drifted or failed

The human report ends with one line per app that drifted or failed (name, SDKAppID,
finding kinds or error class), then the summary line; -q prints only those.

Credentials come from the environment: the app's `secret_key_env` variable, else
CBCHECK_SECRET_KEY_<SDKAPPID>, else the fleet's CBCHECK_SECRET_KEYS (JSON), the file
CBCHECK_SECRET_KEYS_FILE names, the output of CBCHECK_SECRET_KEY_COMMAND, else
CBCHECK_SECRET_KEY; or a ready UserSig in CBCHECK_USERSIG_<SDKAPPID> /
CBCHECK_USERSIG. A `${NAME}` in a callback URL is read from the environment too
(the variable, else CBCHECK_PLACEHOLDERS; an app whose value is unset or empty is
not checked, exit 3); its value is shown as `${NAME}` in every output.

An app's `endpoint` in the file is used only on the vendor's documented hosts
(https, port 443) or on a host allowed with --allow-endpoint / CBCHECK_ALLOW_ENDPOINTS;
otherwise the app is not checked and nothing is sent to it.

With --base (the desired state already merged, e.g. the target branch's file), an app
whose live configuration is as the base declares has a pending change, not drift:
it is shown as the plan that applying the file makes, and does not fail the run.

Exits 0 when every app is in sync (or pending), 1 on drift, 2 for an invalid file or
usage or an endpoint not allowed, 3 when credentials are missing or refused, 4 when
the API kept failing. An error outranks drift, and every app is still reported.")]
    Verify(VerifyArgs),

    /// Write a callbacks file declaring what is live: adopt an existing fleet.
    #[command(after_help = "\
Examples:
  cbcheck export --sdkappid 1400000001,1400000002 --region singapore -o callbacks.yaml
  cbcheck export --sdkappid 1400000001,1400000003:seoul --region singapore
  cbcheck export --sdkappid-file fleet.txt -o callbacks.yaml   # one ID[:REGION] a line
  cbcheck export --from callbacks.yaml -o callbacks.yaml     # refresh a file from what is live

With --sdkappid, each service that has a configuration becomes an entry (Room, Live,
Call; --service reads one), and an SDKAppID with none is one comment line. The schema
line points at this version's published schema. -o leaves an existing file as it is
unless --force. With --from, the file is edited in place: only the callback values that
differ from live change, and comments, order, defaults and anchors stay as they are.
Nothing is written when an app cannot be read (exit 2 for an endpoint not allowed, else
3 or 4). Running `verify` on the result reports every app in sync.")]
    Export(ExportArgs),

    /// Make the live configuration match the file: plan, confirm, change, read back.
    #[command(after_help = "\
Examples:
  cbcheck apply callbacks.yaml --dry-run        # the plan only; exits as verify would
  cbcheck apply callbacks.yaml --dry-run --format json > plan.json
  cbcheck apply callbacks.yaml                  # asks before changing anything (terminal only)
  cbcheck apply callbacks.yaml --app conference-prod --yes
  cbcheck apply callbacks.yaml --yes --format json > outcome.json

Each app that drifted gets one call: set_callback when it has no configuration,
update_callback when it differs (with the full desired body), delete_callback when
the file says `callback: absent`. Apps in sync are untouched. Without a terminal,
nothing is changed unless --yes is given.

The plan shows each app as a diff of live -> file: `+ create`, `~ update`,
`- delete`, with the URL and the commands added (+) and removed (-), and ends with
`Plan: N to create, N to update, N to delete, N unchanged.` With --dry-run,
--format json prints it as JSON on stdout instead (`cbcheck schema --plan`); with
--yes, --format json prints what happened to each app instead of the plan and the
outcome lines (`cbcheck schema --apply`).

Each app is read again just before its change; if it is no longer what the plan was
made from, it is not changed. A change is sent once: when its reply fails, the app is
read back and reported as changed, NOT changed, or unknown.

Exits 0 when every changed app converged, 1 when the plan was not applied (dry run,
declined, no --yes), an app changed since the plan or did not converge, 2 when an
app's endpoint in the file is not allowed, 3/4 when a call failed, 4 when whether a
change took effect is unknown.")]
    Apply(ApplyArgs),

    /// Write a commented starter callbacks.yaml to begin from.
    #[command(after_help = "\
Examples:
  cbcheck init                   # writes ./callbacks.yaml
  cbcheck init envs/prod.yaml
  cbcheck init -                 # print it instead

The starter file is valid as written: one example app with the documented Room
commands, with commented examples of `callback: absent` and of Live and Call entries.
An existing file is left as it is (exit 2) unless --force is given.")]
    Init {
        /// Where to write it; `-` prints it on stdout.
        #[arg(value_name = "FILE", default_value = "callbacks.yaml")]
        file: PathBuf,

        /// Replace the file if it exists.
        #[arg(long)]
        force: bool,
    },

    /// Print the JSON Schema of the callbacks file.
    #[command(after_help = "\
Examples:
  cbcheck schema > schemas/callbacks.schema.json
  cbcheck schema --report > schemas/report.schema.json
  cbcheck schema --plan > schemas/plan.schema.json
  cbcheck schema --apply > schemas/apply.schema.json
  cbcheck schema --lint > schemas/lint.schema.json

Point editors at it with a modeline on the first line of callbacks.yaml:
  # yaml-language-server: $schema=./schemas/callbacks.schema.json")]
    Schema {
        /// Print the schema of `verify --format json` reports instead.
        #[arg(long, conflicts_with = "lint")]
        report: bool,

        /// Print the schema of `apply --dry-run --format json` plans instead.
        #[arg(long, conflicts_with_all = ["report", "lint"])]
        plan: bool,

        /// Print the schema of `apply --yes --format json` outcomes instead.
        #[arg(long, conflicts_with_all = ["report", "plan", "lint"])]
        apply: bool,

        /// Print the schema of `lint --format json` reports instead.
        #[arg(long)]
        lint: bool,
    },

    /// Print a shell completion script.
    #[command(after_help = "\
Examples:
  cbcheck completions bash > ~/.local/share/bash-completion/completions/cbcheck
  cbcheck completions zsh > ~/.zfunc/_cbcheck
  cbcheck completions fish > ~/.config/fish/completions/cbcheck.fish")]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

// The arguments of `cbcheck lint` (its help is the variant's, above).
#[derive(Debug, Args)]
pub struct LintArgs {
    /// The callbacks files to check; `-` reads one from stdin. Default:
    /// callbacks.yaml in the current directory.
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Only this app's warnings (its name, or its SDKAppID: a number is always an
    /// SDKAppID); repeatable. Errors anywhere
    /// in the file are still reported: verify refuses the whole file for them.
    #[arg(long = "app", value_name = "NAME|SDKAPPID")]
    pub apps: Vec<String>,

    /// Treat warnings as errors (exit 2).
    #[arg(long)]
    pub deny_warnings: bool,

    /// Print one line per diagnostic (file:line:col: severity[rule]: message) and
    /// each file's summary line, without snippets. Other formats are unchanged.
    #[arg(short, long)]
    pub quiet: bool,

    /// Output format (human on stderr; the others on stdout).
    #[arg(long, value_enum, default_value_t = LintFormat(Format::Human))]
    pub format: LintFormat,

    /// Also write a report to a file: FORMAT=PATH (e.g. sarif=lint.sarif,
    /// json=lint.json); repeatable.
    #[arg(long = "report", value_name = "FORMAT=PATH", value_parser = parse_lint_report)]
    pub reports: Vec<ReportFile>,

    #[command(flatten)]
    pub allow: AllowEndpoints,
}

// The arguments of `cbcheck verify` (its help is the variant's, above).
#[derive(Debug, Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub apps: AppsArgs,

    /// Output format: human diagnostics on stderr; the others on stdout.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,

    /// Also write a report to a file: FORMAT=PATH (e.g. sarif=cbcheck.sarif,
    /// junit=cbcheck.xml); repeatable.
    #[arg(long = "report", value_name = "FORMAT=PATH", value_parser = parse_report)]
    pub reports: Vec<ReportFile>,

    /// Compare with recorded get_callback replies (a JSON object: sdkappid → reply)
    /// instead of calling the API.
    #[arg(long, value_name = "SNAPSHOT.json")]
    pub live_from: Option<PathBuf>,

    /// Fail (exit 1) on warning-level findings too.
    #[arg(long)]
    pub deny_warnings: bool,

    /// The desired state already merged (the target branch's callbacks file);
    /// repeatable. Apps are matched by SDKAppID and service: where live is as the
    /// base declares, the file's difference is a pending change, not drift.
    #[arg(long = "base", value_name = "FILE")]
    pub base: Vec<PathBuf>,

    #[command(flatten)]
    pub probe: ProbeArgs,

    #[command(flatten)]
    pub network: NetworkArgs,
}

// The arguments of `cbcheck export` (its help is the variant's, above).
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Apps to export, each `ID` or `ID:REGION` (e.g. `1400000001:seoul`); a comma
    /// list, repeatable.
    #[arg(long = "sdkappid", value_name = "ID[:REGION]", value_delimiter = ',',
          required_unless_present_any = ["from", "sdkappid_files"], conflicts_with = "from",
          value_parser = parse_export_app)]
    pub sdkappids: Vec<ExportApp>,

    /// A file of apps to export: one `ID` or `ID:REGION` a line (blank lines and `#`
    /// comments allowed); repeatable.
    #[arg(long = "sdkappid-file", value_name = "FILE", conflicts_with = "from")]
    pub sdkappid_files: Vec<PathBuf>,

    /// The region of the apps given without one (with --sdkappid, --sdkappid-file).
    #[arg(long, value_enum, conflicts_with = "from")]
    pub region: Option<Region>,

    /// The App administrator account that signs the requests (with --sdkappid).
    #[arg(
        long,
        value_name = "ID",
        default_value = "administrator",
        conflicts_with = "from"
    )]
    pub identifier: String,

    /// Which services to export (with --sdkappid). Without it, every service that has
    /// a configuration: one entry each, and an SDKAppID with none in any service as one
    /// comment line. One service, or `all` (every service, a service with none as a
    /// commented `callback: absent` entry).
    #[arg(long, value_enum, conflicts_with = "from")]
    pub service: Option<ServiceChoice>,

    /// Refresh an existing callbacks file: only the callback values that differ from
    /// live are rewritten, every other line is kept as it is (`-o` the same file to
    /// update it in place).
    #[arg(long, value_name = "FILE")]
    pub from: Option<PathBuf>,

    /// Write to this file instead of stdout (never half-written). An existing file is
    /// left as it is unless --force is given (or it is refreshed with --from).
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Replace the -o file if it exists.
    #[arg(long, requires = "output", conflicts_with = "from")]
    pub force: bool,

    /// Write live URLs with their secrets. By default a query value that looks like
    /// a secret (a parameter named like token, sign, key, auth, or a long random
    /// value) is written as `${CBCHECK_<SDKAPPID>_<PARAM>}`, expanded from the
    /// environment when the file is used, so the file can go into git.
    #[arg(long)]
    pub literal_urls: bool,

    /// Write the value of each `${NAME}` placeholder the exported file uses to this
    /// file, as a JSON object of NAME to value (the format of CBCHECK_PLACEHOLDERS),
    /// created readable by its owner alone (0600); an existing file is never replaced.
    #[arg(long, value_name = "FILE", conflicts_with = "literal_urls")]
    pub secrets_out: Option<PathBuf>,

    /// Read recorded get_callback replies (as verify --live-from) instead of
    /// calling the API.
    #[arg(long, value_name = "SNAPSHOT.json")]
    pub live_from: Option<PathBuf>,

    #[command(flatten)]
    pub network: NetworkArgs,
}

// The arguments of `cbcheck apply` (its help is the variant's, above).
#[derive(Debug, Args)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub apps: AppsArgs,

    /// Print the plan and change nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Change without asking (required when not on a terminal).
    #[arg(long, conflicts_with = "dry_run")]
    pub yes: bool,

    /// How the plan and the outcome are shown: human on stderr, or json on stdout (with
    /// --dry-run: the plan; with --yes: the outcome).
    #[arg(long, value_enum, default_value_t = PlanFormat::Human)]
    pub format: PlanFormat,

    /// Plan from recorded get_callback replies (as for verify) instead of calling
    /// the API; with --dry-run only.
    #[arg(long, value_name = "SNAPSHOT.json", requires = "dry_run")]
    pub live_from: Option<PathBuf>,

    /// Apply a saved JSON plan (`apply --dry-run --format json`): exactly its calls and
    /// bodies, each app changed only while its live configuration is still the one the
    /// plan was made from. Needs --yes. FILEs given must be the plan's files, unchanged;
    /// without FILE the plan alone is applied.
    #[arg(long, value_name = "PLAN.json", requires = "yes",
          conflicts_with_all = ["dry_run", "live_from"])]
    pub plan: Option<PathBuf>,

    /// Hours after which a saved plan is refused (with --plan).
    #[arg(long, value_name = "HOURS", default_value_t = 168, requires = "plan",
          value_parser = clap::value_parser!(u32).range(1..=8760))]
    pub plan_max_age: u32,

    #[command(flatten)]
    pub network: NetworkArgs,
}

/// `--format`: the formats of `report::format`, with what each says in `--help`.
impl ValueEnum for Format {
    fn value_variants<'a>() -> &'a [Self] {
        &Format::ALL
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.name()).help(self.help()))
    }
}

/// `lint --format`: the formats of [`Format::LINT`] (junit and markdown describe
/// verify runs, so lint does not offer them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LintFormat(pub Format);

impl LintFormat {
    const ALL: [LintFormat; Format::LINT.len()] = {
        let mut all = [LintFormat(Format::Human); Format::LINT.len()];
        let mut i = 0;
        while i < all.len() {
            all[i] = LintFormat(Format::LINT[i]);
            i += 1;
        }
        all
    };
}

impl ValueEnum for LintFormat {
    fn value_variants<'a>() -> &'a [Self] {
        &LintFormat::ALL
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.0.name()).help(self.0.lint_help()))
    }
}

impl From<LintFormat> for Format {
    fn from(format: LintFormat) -> Format {
        format.0
    }
}

/// `apply --format`: the plan for a person, or as data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    /// A diff per app and the totals, on stderr.
    Human,
    /// One JSON document on stdout: with --dry-run the plan (`cbcheck schema --plan`), with --yes the outcome (`cbcheck schema --apply`).
    Json,
}

/// When to colour the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour when writing to a terminal and NO_COLOR is not set.
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// Forced on or off; `None` leaves it to the terminal and NO_COLOR.
    pub fn forced(self) -> Option<bool> {
        match self {
            ColorChoice::Auto => None,
            ColorChoice::Always => Some(true),
            ColorChoice::Never => Some(false),
        }
    }
}

/// `export --service` (without it: every service that has a configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ServiceChoice {
    /// TUIRoomKit (v4/room_config).
    Room,
    /// TUILiveKit (v4/live_config).
    Live,
    /// TUICallKit (v4/call_config).
    Call,
    /// Every service, one entry each (a service with none as a comment).
    All,
}

impl ServiceChoice {
    pub fn services(self) -> Vec<ServiceName> {
        match self {
            ServiceChoice::Room => vec![ServiceName::Room],
            ServiceChoice::Live => vec![ServiceName::Live],
            ServiceChoice::Call => vec![ServiceName::Call],
            ServiceChoice::All => ServiceName::ALL.to_vec(),
        }
    }
}

/// `export --sdkappid ID[:REGION]`: an app, with its own region or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportApp {
    pub sdkappid: u64,
    pub region: Option<Region>,
}

/// `ID` or `ID:REGION`, as `--sdkappid` and each line of `--sdkappid-file` give it.
pub fn parse_export_app(text: &str) -> Result<ExportApp, String> {
    let (id, region) = match text.trim().split_once(':') {
        Some((id, region)) => (id.trim(), Some(region.trim())),
        None => (text.trim(), None),
    };
    let sdkappid = id
        .parse::<u64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| format!("`{id}` is not an SDKAppID (a positive number)"))?;
    let region = match region {
        None => None,
        Some(name) => Some(Region::from_name(name).ok_or_else(|| {
            let names: Vec<&str> = Region::ALL.iter().map(|r| r.name()).collect();
            format!("`{name}` is not a region (one of: {})", names.join(", "))
        })?),
    };
    Ok(ExportApp { sdkappid, region })
}

/// `--region`: the names of callbacks.yaml, each with its place and host.
impl ValueEnum for Region {
    fn value_variants<'a>() -> &'a [Self] {
        &Region::ALL
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.name()).help(format!(
            "{} ({})",
            self.place(),
            self.host()
        )))
    }
}

/// `--report FORMAT=PATH`.
#[derive(Debug, Clone)]
pub struct ReportFile {
    pub format: Format,
    pub path: PathBuf,
}

fn parse_report(text: &str) -> Result<ReportFile, String> {
    let (format, path) = split_report(text)?;
    let format = Format::named(format)
        .ok_or_else(|| format!("unknown format `{format}`: use {}", spelled(&Format::ALL)))?;
    Ok(ReportFile { format, path })
}

/// `lint --report FORMAT=PATH`: refused here, before any report is written.
fn parse_lint_report(text: &str) -> Result<ReportFile, String> {
    let (name, path) = split_report(text)?;
    let format = Format::named(name)
        .filter(|format| Format::LINT.contains(format))
        .ok_or_else(|| {
            format!(
                "lint does not write `{name}` (junit and markdown describe verify runs): use {}",
                spelled(&Format::LINT)
            )
        })?;
    Ok(ReportFile { format, path })
}

/// e.g. `json, github, sarif or human`: the default (first) last.
fn spelled(formats: &[Format]) -> String {
    let Some((default, others)) = formats.split_first() else {
        return String::new();
    };
    let others: Vec<&str> = others.iter().map(|format| format.name()).collect();
    format!("{} or {}", others.join(", "), default.name())
}

fn split_report(text: &str) -> Result<(&str, PathBuf), String> {
    let (format, path) = text
        .split_once('=')
        .ok_or("expected FORMAT=PATH, e.g. sarif=cbcheck.sarif")?;
    if path.is_empty() {
        return Err("the PATH after `=` is empty".into());
    }
    Ok((format, PathBuf::from(path)))
}

/// The files and apps verify and apply work on, and how URLs are shown.
#[derive(Debug, Args)]
pub struct AppsArgs {
    /// The callbacks files (each is validated before any request is made); `-` reads
    /// one from stdin. Default: callbacks.yaml in the current directory.
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Only this app (its name, or its SDKAppID: a number is always an SDKAppID);
    /// repeatable.
    #[arg(long = "app", value_name = "NAME|SDKAPPID")]
    pub apps: Vec<String>,

    /// Show callback URLs' query values and userinfo instead of redacting them.
    #[arg(long)]
    pub show_secrets: bool,

    /// Print only the list of apps that drifted or failed (one line each) and the
    /// summary line, without snippets. Other formats are unchanged.
    #[arg(short, long)]
    pub quiet: bool,
}

/// How to reach the vendor's API.
#[derive(Debug, Args)]
pub struct NetworkArgs {
    /// Send every request to this base URL instead of each app's host (a proxy, or
    /// a local fake server; plain http is allowed, with a warning unless loopback).
    #[arg(long, env = "CBCHECK_ENDPOINT", value_name = "URL", value_parser = parse_endpoint)]
    pub endpoint: Option<Url>,

    #[command(flatten)]
    pub allow: AllowEndpoints,

    /// Seconds allowed to connect and for each whole request (fractions allowed, e.g. 1.5).
    #[arg(long, value_name = "SECONDS", default_value = "10", allow_negative_numbers = true,
          value_parser = parse_seconds::<MAX_TIMEOUT_SECS>)]
    pub timeout: Duration,

    /// Seconds the whole run may take (fractions allowed). When they have passed, every
    /// app not yet finished fails with class `timeout` (exit 4) and the report is still
    /// written; apply sends no further change. Without it, a hung app can hold the run
    /// for 4 x --timeout.
    #[arg(long, value_name = "SECONDS", allow_negative_numbers = true,
          value_parser = parse_seconds::<MAX_DEADLINE_SECS>)]
    pub deadline: Option<Duration>,

    /// Apps in flight at once.
    #[arg(long, value_name = "N", default_value_t = 64,
          value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub concurrency: u16,

    /// Cap on all calls together, per second (each SDKAppID is always held to the
    /// vendor's 200 per second).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub max_rps: Option<u32>,
}

/// `verify --probe`: check that each callback endpoint could receive events.
#[derive(Debug, Args)]
pub struct ProbeArgs {
    /// Also check each callback host: DNS, a TCP connect and, for https, a verified
    /// TLS handshake (then close: no HTTP request is ever sent). Findings are
    /// warnings: this shows what is reachable from here, not from the vendor.
    #[arg(long)]
    pub probe: bool,

    /// Probe hosts on private, loopback and link-local addresses too (internal
    /// staging, tests) instead of reporting them as endpoint_private.
    #[arg(long, requires = "probe")]
    pub probe_allow_private: bool,

    /// Seconds for the whole probe of one host (DNS, connect, handshake); fractions allowed.
    #[arg(long, value_name = "SECONDS", default_value_t = 3.0, requires = "probe",
          value_parser = parse_probe_timeout)]
    pub probe_timeout: f64,

    /// Hosts probed at once.
    #[arg(long, value_name = "N", default_value_t = 16, requires = "probe",
          value_parser = clap::value_parser!(u16).range(1..=256))]
    pub probe_concurrency: u16,

    /// Make probe findings count as drift (exit 1): `error` those that mean events
    /// cannot be delivered now (unresolvable, private, unreachable, tls_invalid),
    /// `warning` every one (cert_expiring and endpoint_slow too).
    #[arg(long, value_enum, value_name = "LEVEL", requires = "probe")]
    pub probe_fail_on: Option<ProbeFailOn>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProbeFailOn {
    Warning,
    Error,
}

fn parse_probe_timeout(text: &str) -> Result<f64, String> {
    let seconds: f64 = text
        .parse()
        .map_err(|_| "expected a number of seconds, e.g. 3 or 0.5".to_owned())?;
    if !(0.001..=60.0).contains(&seconds) {
        return Err("expected between 0.001 and 60 seconds".into());
    }
    Ok(seconds)
}

/// Hosts besides the vendor's that an app's `endpoint` in the file may name.
#[derive(Debug, Args)]
pub struct AllowEndpoints {
    /// Let an app's `endpoint` in the callbacks file send requests (and its UserSig)
    /// to this host: HOST allows https on port 443, HOST:PORT that port (plain http
    /// only this way);
    /// repeatable, or comma-separated in the variable (the flag replaces the
    /// variable's list). Without it the file may name only the vendor's documented
    /// hosts (https, port 443): an app pointing elsewhere fails unchecked (exit 2),
    /// and lint warns. Not needed for --endpoint, nor for export --sdkappid.
    #[arg(long = "allow-endpoint", value_name = "HOST[:PORT]", env = "CBCHECK_ALLOW_ENDPOINTS",
          value_delimiter = ',', value_parser = parse_allowed_host)]
    entries: Vec<Option<AllowedHost>>,
}

impl AllowEndpoints {
    pub fn hosts(self) -> Vec<AllowedHost> {
        self.entries.into_iter().flatten().collect()
    }
}

/// An empty entry (`a,,b`, or the variable set to nothing) allows nothing.
fn parse_allowed_host(text: &str) -> Result<Option<AllowedHost>, String> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    text.parse().map(Some)
}

/// The longest `--timeout`: ten minutes for one request is already more than any proxy waits.
const MAX_TIMEOUT_SECS: u32 = 600;

/// The longest `--deadline`: a day.
const MAX_DEADLINE_SECS: u32 = 86_400;

/// Shorter than this is no time for a request: it would fail every app unsent.
const MIN_SECONDS: f64 = 0.001;

/// Seconds as a plain decimal (`10`, `1.5`), from a millisecond up to `MAX`.
fn parse_seconds<const MAX: u32>(text: &str) -> Result<Duration, String> {
    let expected = || format!("expected seconds from {MIN_SECONDS} to {MAX}, e.g. 1.5");
    // Only digits and one point: `f64`'s parser also takes `inf`, `NaN` and `1e9`.
    let plain = text.chars().all(|c| c.is_ascii_digit() || c == '.')
        && text.chars().any(|c| c.is_ascii_digit());
    let seconds: f64 = match text.parse() {
        Ok(seconds) if plain => seconds,
        _ => return Err(format!("not a number of seconds; {}", expected())),
    };
    if !(MIN_SECONDS..=f64::from(MAX)).contains(&seconds) {
        return Err(expected());
    }
    Duration::try_from_secs_f64(seconds).map_err(|_| expected())
}

fn parse_endpoint(text: &str) -> Result<Url, String> {
    let url = Url::parse(text).map_err(|e| format!("not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err("expected an absolute http(s) URL, e.g. https://proxy.example.com".into());
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("the endpoint must not have a query or fragment".into());
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_are_plain_decimals_within_their_bounds() {
        let parse = parse_seconds::<600>;
        assert_eq!(parse("1.5"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse("10"), Ok(Duration::from_secs(10)));
        assert_eq!(parse("600"), Ok(Duration::from_secs(600)));
        assert_eq!(parse("0.001"), Ok(Duration::from_millis(1)));
        for refused in [
            "600.5", "0", "0.0009", "-1", "nan", "inf", "1e2", "+1", " 1", ".", "",
        ] {
            assert!(parse(refused).is_err(), "{refused:?}");
        }
    }
}
