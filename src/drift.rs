//! Desired × live → typed findings. Pure: no I/O.

use std::collections::HashSet;

use url::Url;

use crate::model::catalog;
use crate::model::probe::{FailOn, ProbeOutcome, ProbeResult, SLOW, non_public};
use crate::model::redact::{Redaction, hidden_difference};
use crate::model::{App, ExtraCommands, same_url};
use crate::model::{CallbackConfig, Finding, Interface, Kind, Operation, Severity};

/// At most this many live words that the file does not declare are listed, each as
/// its findings; the rest are counted in one more finding. A real configuration has a
/// few dozen words at most (the largest catalog has 19): a longer list is a broken or
/// hostile reply, and every report's size, and the memory it takes, grows with the
/// findings listed, app after app.
pub const LISTED_LIVE_WORDS: usize = 32;

/// Compare an app's declared callback with its live one (`None`: absent).
pub fn compare(app: &App, live: Option<&CallbackConfig>, redaction: &Redaction) -> Vec<Finding> {
    let Some(desired) = &app.callback else {
        return live
            .map(|live| Finding {
                kind: Kind::UnwantedCallback,
                severity: Severity::Error,
                message: format!(
                    "{} must have no callback, but one is configured live",
                    app.title()
                ),
                desired: None,
                live: Some(redaction.url(&live.url)),
                span: app.spans.callback_key,
                label: format!("declared absent; live: {}", redaction.url(&live.url)),
                help: None,
            })
            .into_iter()
            .collect();
    };
    let Some(live) = live else {
        return vec![Finding {
            kind: Kind::Absent,
            severity: Severity::Error,
            message: format!("{} has no callback configuration", app.title()),
            desired: Some(redaction.url(&desired.url)),
            live: None,
            span: app.spans.callback_key,
            label: "no callback is configured live".into(),
            help: None,
        }];
    };
    let mut findings = Vec::new();

    if !same_url(&desired.url, &live.url) {
        let hidden = if redaction.show_secrets {
            None
        } else {
            hidden_difference(&desired.url, &live.url)
        };
        findings.push(Finding {
            kind: Kind::UrlMismatch,
            severity: Severity::Error,
            message: match &hidden {
                Some(part) => format!("the live callback URL differs in {part}"),
                None => "the live callback URL differs from the declared one".into(),
            },
            desired: Some(redaction.url(&desired.url)),
            live: Some(redaction.url(&live.url)),
            span: desired.url_span,
            label: match &hidden {
                Some(part) => format!("live: {} (differs in {part})", redaction.url(&live.url)),
                None => format!("live: {}", redaction.url(&live.url)),
            },
            help: None,
        });
    }

    // Decided on the parsed scheme (as the URL's users see it), parsing only when needed.
    let https = live.url.starts_with("https://")
        || Url::parse(&live.url).is_ok_and(|u| u.scheme() == "https");
    if !https {
        let severity = if app.allow_insecure_url {
            Severity::Warning
        } else {
            Severity::Error
        };
        findings.push(Finding {
            kind: Kind::InsecureUrl,
            severity,
            message: "the live callback URL is not https".into(),
            desired: None,
            live: Some(redaction.url(&live.url)),
            span: desired.url_span,
            label: "live URL is not https".into(),
            help: Some("events (and any token in the URL) cross the network unencrypted".into()),
        });
    }

    // Sets, not scans: the cost stays linear in the two lists, whatever a reply holds.
    let live_words: HashSet<&str> = live.commands.iter().map(String::as_str).collect();
    let declared: HashSet<&str> = desired.commands.iter().map(|c| c.word.as_str()).collect();
    // A word listed twice live is one finding.
    let mut seen: HashSet<&str> = HashSet::new();
    let unexpected: Vec<&String> = live
        .commands
        .iter()
        .filter(|word| !declared.contains(word.as_str()) && seen.insert(word.as_str()))
        .collect();

    for command in desired
        .commands
        .iter()
        .filter(|c| !live_words.contains(c.word.as_str()))
    {
        let twin = catalog::other_update_room_info_spelling(&command.word)
            .filter(|other| seen.contains(other));
        findings.push(Finding {
            kind: Kind::MissingCommand,
            severity: Severity::Error,
            message: format!("`{}` is not configured live", command.word),
            desired: Some(command.word.clone()),
            live: None,
            span: command.span,
            label: "not configured live".into(),
            help: twin.map(|twin| spelling_help(&command.word, twin)),
        });
    }

    let extra_severity = match app.extra_commands {
        ExtraCommands::Error => Some(Severity::Error),
        ExtraCommands::Warn => Some(Severity::Warning),
        ExtraCommands::Ignore => None,
    };
    for word in unexpected.iter().take(LISTED_LIVE_WORDS) {
        // A live word cbcheck does not know is one finding, not also an unexpected one:
        // `unknown_command`, as severe as `extra_commands` makes an undeclared word
        // (a warning when they are ignored: an unknown word is always worth a look).
        if !app.knows(word) {
            let title = app.service.title();
            findings.push(Finding {
                kind: Kind::UnknownCommand,
                severity: extra_severity.unwrap_or(Severity::Warning),
                message: format!(
                    "the live command `{word}` is not declared, nor in cbcheck's {title} catalog"
                ),
                desired: None,
                live: Some((*word).clone()),
                span: desired.commands_key,
                label: format!("`{word}`"),
                help: Some(unknown_live_help(app, word)),
            });
            continue;
        }
        if let Some(severity) = extra_severity {
            let twin = catalog::other_update_room_info_spelling(word)
                .filter(|other| declared.contains(other));
            findings.push(Finding {
                kind: Kind::UnexpectedCommand,
                severity,
                message: format!("`{word}` is configured live but not declared"),
                desired: None,
                live: Some((*word).clone()),
                span: desired.commands_key,
                label: format!("`{word}`"),
                help: twin.map(|twin| spelling_help(twin, word)),
            });
        }
    }
    if let Some(rest) = unexpected
        .get(LISTED_LIVE_WORDS..)
        .filter(|r| !r.is_empty())
    {
        let unknown = rest.iter().filter(|word| !app.knows(word)).count();
        let kind = match extra_severity {
            Some(severity) => Some((Kind::UnexpectedCommand, severity)),
            None => (unknown > 0).then_some((Kind::UnknownCommand, Severity::Warning)),
        };
        if let Some((kind, severity)) = kind {
            findings.push(Finding {
                kind,
                severity,
                message: format!(
                    "{} more live commands are not declared ({unknown} of them not known {} commands): only the first {LISTED_LIVE_WORDS} are listed",
                    rest.len(),
                    app.service.title()
                ),
                desired: None,
                live: None,
                span: desired.commands_key,
                label: format!("and {} more", rest.len()),
                help: Some(
                    "a live list this long is no real configuration: replace it with the declared one".into(),
                ),
            });
        }
    }
    findings
}

/// What to do about a live word neither the catalog nor `known_commands` has: a near
/// catalog word may be what was meant; a far one may be a word the vendor added.
fn unknown_live_help(app: &App, word: &str) -> String {
    let declare = format!(
        "declare it in the file's top-level `known_commands` (`{}: [{word}]`)",
        app.service.name()
    );
    match catalog::suggest_command(app.service, word) {
        Some(near) => {
            format!("is the live `{word}` a typo for `{near}`? If the vendor added it, {declare}")
        }
        None => format!("if the vendor added it, {declare}"),
    }
}

/// Compare a Live app's declared `token_auth` with whether the vendor signs its
/// callbacks (`live_enabled`; "no token configured" is disabled). Only the flag is
/// compared: the token itself is never read.
pub fn compare_token(app: &App, live_enabled: Option<bool>) -> Option<Finding> {
    let (declared, live) = (app.token_auth?, live_enabled?);
    if declared == live {
        return None;
    }
    let word = |enabled: bool| if enabled { "enabled" } else { "disabled" };
    let path = app.service.row().token.map_or("", |(_, set)| set);
    Some(Finding {
        kind: Kind::TokenAuthMismatch,
        severity: Severity::Error,
        message: format!(
            "callback signing is {} live, but the file declares `token_auth: {}`",
            word(live),
            word(declared)
        ),
        desired: Some(word(declared).into()),
        live: Some(word(live).into()),
        span: app.spans.token_auth.unwrap_or(app.spans.sdkappid),
        label: format!("live: {}", word(live)),
        help: Some(format!(
            "set it by hand with {path} (cbcheck never sets, stores or shows the token)"
        )),
    })
}

/// What `verify --probe` found about the endpoint of the app's callback URL, as
/// findings at the URL. Warnings, unless `fail_on` promotes them: `Error` promotes
/// those that mean events cannot be delivered now, `Warning` every one.
pub fn probe_findings(app: &App, probe: &ProbeResult, fail_on: Option<FailOn>) -> Vec<Finding> {
    let Some(desired) = &app.callback else {
        return Vec::new();
    };
    let host = probe.target.label();
    let mut found: Vec<(Kind, String, String, Option<String>)> = Vec::new();
    match &probe.outcome {
        ProbeOutcome::Reachable => {}
        ProbeOutcome::Unresolvable { reason } => found.push((
            Kind::EndpointUnresolvable,
            format!("the callback host {host} does not resolve: {reason}"),
            format!("{host} does not resolve: {reason}"),
            Some("the vendor cannot deliver events to a name without an address".into()),
        )),
        ProbeOutcome::Private { addresses } => {
            // A name's addresses are its kinds only: a file can name internal hosts,
            // and reports are often public. An address written in the URL tells nothing new.
            let literal = probe.target.host.parse::<std::net::IpAddr>().is_ok();
            let mut listed: Vec<String> = Vec::new();
            for address in addresses {
                let kind = non_public(*address).unwrap_or("private");
                let shown = if literal {
                    format!("{address} ({kind})")
                } else {
                    format!("{kind} addresses")
                };
                if !listed.contains(&shown) {
                    listed.push(shown);
                }
            }
            found.push((
                Kind::EndpointPrivate,
                format!(
                    "the callback host {host} resolves only to addresses the vendor cannot reach: {}",
                    listed.join(", ")
                ),
                format!("{host} resolves only to {}", listed.join(", ")),
                Some("the vendor calls from the internet; --probe-allow-private probes such hosts anyway (internal staging)".into()),
            ));
        }
        ProbeOutcome::Unreachable { reason } => found.push((
            Kind::EndpointUnreachable,
            format!("cannot connect to the callback host {host}: {reason}"),
            format!("cannot connect to {host} from here: {reason}"),
            None,
        )),
        ProbeOutcome::TlsInvalid { problem, detail } => found.push((
            Kind::TlsInvalid,
            format!(
                "the TLS certificate of {host} is not valid: {}: {detail}",
                problem.name()
            ),
            format!("{host}'s certificate is not valid: {}", problem.name()),
            Some("the vendor refuses an endpoint whose certificate does not verify".into()),
        )),
    }
    if let Some(validity) = probe
        .certificate
        .filter(|validity| validity.expiring(probe.at))
    {
        let days = |d: std::time::Duration| d.as_secs() / (24 * 3600);
        let left = validity
            .not_after
            .duration_since(probe.at)
            .unwrap_or_default();
        let lifetime = validity
            .not_after
            .duration_since(validity.not_before)
            .unwrap_or_default();
        let until = time::OffsetDateTime::from(validity.not_after)
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        found.push((
            Kind::CertExpiring,
            format!(
                "the TLS certificate of {host} expires at {until}: {} days left of its {} days",
                days(left),
                days(lifetime)
            ),
            format!("{host}'s certificate expires in {} days", days(left)),
            Some("renew it: less than a third of its lifetime (or a week) remains".into()),
        ));
    }
    if let Some(took) = probe.duration.filter(|took| *took > SLOW) {
        found.push((
            Kind::EndpointSlow,
            format!(
                "connecting to {host} took {} ms, more than {} s: the vendor waits about 2 s for a callback",
                took.as_millis(),
                SLOW.as_secs()
            ),
            format!("connect and handshake took {} ms", took.as_millis()),
            None,
        ));
    }
    found
        .into_iter()
        .map(|(kind, message, label, help)| {
            let now = matches!(
                kind,
                Kind::EndpointUnresolvable
                    | Kind::EndpointPrivate
                    | Kind::EndpointUnreachable
                    | Kind::TlsInvalid
            );
            let severity = match fail_on {
                Some(FailOn::Warning) => Severity::Error,
                Some(FailOn::Error) if now => Severity::Error,
                _ => Severity::Warning,
            };
            Finding {
                kind,
                severity,
                message,
                desired: None,
                live: None,
                span: desired.url_span,
                label,
                help,
            }
        })
        .collect()
}

/// The call that converges the app, when it has error-level drift.
///
/// With `extra_commands: warn` or `ignore`, undeclared live commands are tolerated,
/// so the Update body keeps them (Update replaces the whole list). A service without
/// update_callback (Call) is always sent `set_callback` with the full desired body.
pub fn remediation(
    app: &App,
    live: Option<&CallbackConfig>,
    findings: &[Finding],
) -> Option<Operation> {
    // The token is fixed by hand, and an endpoint on its own side: neither is a
    // reason to rewrite the callback.
    if !findings.iter().any(|f| {
        f.severity == Severity::Error && f.kind != Kind::TokenAuthMismatch && !f.kind.is_probe()
    }) {
        return None;
    }
    let Some(desired) = &app.callback else {
        return Some(Operation {
            service: app.service.row(),
            interface: Interface::Delete,
            body: None,
        });
    };
    let mut commands: Vec<String> = desired.commands.iter().map(|c| c.word.clone()).collect();
    let interface = match live {
        None => Interface::Set,
        Some(live) => {
            if app.extra_commands != ExtraCommands::Error {
                let mut kept: HashSet<&str> = commands.iter().map(String::as_str).collect();
                let extras: Vec<String> = live
                    .commands
                    .iter()
                    .filter(|word| kept.insert(word.as_str()))
                    .cloned()
                    .collect();
                commands.extend(extras);
            }
            app.service.row().replace()
        }
    };
    Some(Operation {
        service: app.service.row(),
        interface,
        body: Some(CallbackConfig {
            url: desired.url.clone(),
            commands,
        }),
    })
}

fn spelling_help(declared: &str, live: &str) -> String {
    format!(
        "`{declared}` and `{live}` are the two spellings of the room-info-updated event; \
         declare the spelling that is live, or update the live list to `{declared}`"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config;

    fn app(extra: &str, commands: &[&str]) -> App {
        let list: String = commands
            .iter()
            .map(|c| format!("        - {c}\n"))
            .collect();
        let yaml = format!(
            "version: 1\napps:\n  - name: prod\n    sdkappid: 1400000001\n    region: singapore\n    identifier: admin\n{extra}    callback:\n      url: https://hooks.example.com/cb?token=t1\n      commands:\n{list}"
        );
        let loaded = config::load_bytes("c.yaml".into(), yaml.into_bytes(), &Redaction::default());
        let mut config = loaded.config.expect("valid test config");
        config.apps.remove(0)
    }

    fn live(url: &str, commands: &[&str]) -> CallbackConfig {
        CallbackConfig {
            url: url.into(),
            commands: commands.iter().map(|c| c.to_string()).collect(),
        }
    }

    fn kinds(findings: &[Finding]) -> Vec<(Kind, Severity)> {
        findings.iter().map(|f| (f.kind, f.severity)).collect()
    }

    const A: &str = "Room.CallbackAfterCreateRoom";
    const B: &str = "Mic.CallbackAfterSeatInfoChanged";
    const URL: &str = "https://hooks.example.com/cb?token=t1";

    #[test]
    fn identical_configs_in_any_order_are_in_sync() {
        let app = app("", &[A, B]);
        assert!(compare(&app, Some(&live(URL, &[B, A])), &Redaction::default()).is_empty());
        assert_eq!(remediation(&app, Some(&live(URL, &[B, A])), &[]), None);
    }

    #[test]
    fn absent_calls_for_create() {
        let app = app("", &[A]);
        let findings = compare(&app, None, &Redaction::default());
        assert_eq!(kinds(&findings), [(Kind::Absent, Severity::Error)]);
        let fix = remediation(&app, None, &findings).expect("a fix");
        assert_eq!(fix.interface, Interface::Set);
        assert_eq!(fix.body, Some(live(URL, &[A])));
    }

    #[test]
    fn url_comparison_ignores_host_case_and_default_port_only() {
        let app = app("", &[A]);
        for same in ["HTTPS://Hooks.Example.COM:443/cb?token=t1", URL] {
            assert!(
                compare(&app, Some(&live(same, &[A])), &Redaction::default()).is_empty(),
                "{same}"
            );
        }
        for different in [
            "https://hooks.example.com/CB?token=t1",
            "https://hooks.example.com:8443/cb?token=t1",
            "https://hooks.example.com/cb?token=t2",
        ] {
            let findings = compare(&app, Some(&live(different, &[A])), &Redaction::default());
            assert_eq!(
                kinds(&findings),
                [(Kind::UrlMismatch, Severity::Error)],
                "{different}"
            );
        }
    }

    #[test]
    fn url_tokens_are_redacted_and_a_hidden_difference_is_named() {
        let app = app("", &[A]);
        let findings = compare(
            &app,
            Some(&live("https://hooks.example.com/cb?token=t2", &[A])),
            &Redaction::default(),
        );
        let f = &findings[0];
        assert!(
            f.message.contains("query parameter `token`"),
            "{}",
            f.message
        );
        assert_eq!(
            f.live.as_deref(),
            Some("https://hooks.example.com/cb?token=***")
        );
        assert!(!format!("{f:?}").contains("t2"));
        let shown = compare(
            &app,
            Some(&live("https://hooks.example.com/cb?token=t2", &[A])),
            &Redaction::new(true),
        );
        assert_eq!(
            shown[0].live.as_deref(),
            Some("https://hooks.example.com/cb?token=t2")
        );
    }

    #[test]
    fn insecure_live_url_is_an_error_unless_allowed() {
        let http = "http://hooks.example.com/cb?token=t1";
        let findings = compare(
            &app("", &[A]),
            Some(&live(http, &[A])),
            &Redaction::default(),
        );
        assert_eq!(
            kinds(&findings),
            [
                (Kind::UrlMismatch, Severity::Error),
                (Kind::InsecureUrl, Severity::Error)
            ]
        );
        let allowed = app("    allow_insecure_url: true\n", &[A]);
        let findings = compare(&allowed, Some(&live(http, &[A])), &Redaction::default());
        assert_eq!(findings[1].severity, Severity::Warning);
    }

    #[test]
    fn missing_and_unexpected_commands_one_finding_each() {
        let app = app("", &[A, B]);
        let findings = compare(
            &app,
            Some(&live(
                URL,
                &[
                    "Room.CallbackAfterMemberEnter",
                    "Room.CallbackAfterMemberLeave",
                ],
            )),
            &Redaction::default(),
        );
        assert_eq!(
            kinds(&findings),
            [
                (Kind::MissingCommand, Severity::Error),
                (Kind::MissingCommand, Severity::Error),
                (Kind::UnexpectedCommand, Severity::Error),
                (Kind::UnexpectedCommand, Severity::Error),
            ]
        );
        let desired = app.callback.as_ref().expect("declared");
        assert_eq!(findings[0].span, desired.commands[0].span);
        assert_eq!(findings[1].span, desired.commands[1].span);
        let fix = remediation(&app, Some(&live(URL, &[])), &findings).expect("a fix");
        assert_eq!(fix.interface, Interface::Update);
        assert_eq!(fix.body, Some(live(URL, &[A, B])));
    }

    #[test]
    fn extra_commands_policy_sets_the_severity_and_the_update_body() {
        let extra = "Room.CallbackAfterMemberEnter";
        let warn = app("    extra_commands: warn\n", &[A]);
        let findings = compare(&warn, Some(&live(URL, &[A, extra])), &Redaction::default());
        assert_eq!(
            kinds(&findings),
            [(Kind::UnexpectedCommand, Severity::Warning)]
        );
        assert_eq!(
            remediation(&warn, Some(&live(URL, &[A, extra])), &findings),
            None
        );

        let ignore = app("    extra_commands: ignore\n", &[A, B]);
        let findings = compare(
            &ignore,
            Some(&live(URL, &[A, extra])),
            &Redaction::default(),
        );
        assert_eq!(kinds(&findings), [(Kind::MissingCommand, Severity::Error)]);
        let fix = remediation(&ignore, Some(&live(URL, &[A, extra])), &findings).expect("fix");
        assert_eq!(
            fix.body.expect("update body").commands,
            [A, B, extra],
            "tolerated extras are kept"
        );
    }

    #[test]
    fn a_long_live_list_lists_its_first_words_and_counts_the_rest() {
        let words: Vec<String> = (0..200).map(|i| format!("w{i}")).collect();
        let listed: Vec<&str> = words.iter().map(String::as_str).chain([A]).collect();
        // Each unknown live word is one finding, whatever `extra_commands` says.
        for (extra, per_word, kind) in [
            ("", 1, Kind::UnexpectedCommand),
            ("    extra_commands: ignore\n", 1, Kind::UnknownCommand),
        ] {
            let app = app(extra, &[A]);
            let findings = compare(&app, Some(&live(URL, &listed)), &Redaction::default());
            assert_eq!(findings.len(), LISTED_LIVE_WORDS * per_word + 1, "{extra}");
            let last = findings.last().expect("the count");
            assert_eq!(last.kind, kind);
            assert!(
                last.message
                    .starts_with("168 more live commands are not declared (168 of them"),
                "{}",
                last.message
            );
            assert_eq!(last.label, "and 168 more");
            // The fix is made from the lists, not the findings: nothing is lost.
            let fix = remediation(&app, Some(&live(URL, &listed)), &findings);
            if extra.is_empty() {
                assert_eq!(fix.expect("a fix").body.expect("body").commands, [A]);
            }
        }
        // Known words past the listed ones, with extras ignored: nothing to count.
        let known: Vec<&str> = std::iter::repeat_n(A, 1)
            .chain(crate::model::Service::ROOM.commands.iter().copied())
            .collect();
        let app = app("    extra_commands: ignore\n", &[A]);
        assert!(compare(&app, Some(&live(URL, &known)), &Redaction::default()).is_empty());
    }

    #[test]
    fn a_live_word_listed_twice_is_one_finding_and_kept_once() {
        let extra = "Room.CallbackAfterMemberEnter";
        let app = app("    extra_commands: warn\n", &[A, B]);
        let twice = live(URL, &[extra, A, extra]);
        let findings = compare(&app, Some(&twice), &Redaction::default());
        assert_eq!(
            kinds(&findings),
            [
                (Kind::MissingCommand, Severity::Error),
                (Kind::UnexpectedCommand, Severity::Warning)
            ]
        );
        let fix = remediation(&app, Some(&twice), &findings).expect("a fix");
        assert_eq!(fix.body.expect("update body").commands, [A, B, extra]);
    }

    #[test]
    fn an_unknown_live_word_is_one_finding_as_severe_as_an_undeclared_one() {
        let typo = "Room.CallbackAfterCreateRooom";
        for (extra, severity) in [
            ("", Severity::Error),
            ("    extra_commands: warn\n", Severity::Warning),
            ("    extra_commands: ignore\n", Severity::Warning),
        ] {
            let app = app(extra, &[A]);
            let findings = compare(&app, Some(&live(URL, &[A, typo])), &Redaction::default());
            assert_eq!(
                kinds(&findings),
                [(Kind::UnknownCommand, severity)],
                "{extra}"
            );
            assert!(findings[0].help.as_deref().unwrap_or("").contains(A));
            assert!(
                findings[0]
                    .message
                    .contains("is not declared, nor in cbcheck's Room catalog")
            );
            // As an undeclared word, an error one is removed by the update.
            let fix = remediation(&app, Some(&live(URL, &[A, typo])), &findings);
            assert_eq!(fix.is_some(), severity == Severity::Error, "{extra}");
        }
    }

    #[test]
    fn words_known_commands_declares_are_compared_like_the_catalogs() {
        const NEW: &str = "Room.CallbackAfterFutureThing";
        const OTHER: &str = "Room.CallbackAfterOtherThing";
        let yaml = format!(
            "version: 1\nknown_commands:\n  room: [{NEW}]\napps:\n  - sdkappid: 1400000001\n    region: seoul\n    identifier: admin\n    extra_commands: warn\n    callback:\n      url: {URL}\n      commands: [{A}, {NEW}]\n"
        );
        let loaded = config::load_bytes("c.yaml".into(), yaml.into_bytes(), &Redaction::default());
        let app = loaded
            .config
            .expect("a declared word is valid")
            .apps
            .remove(0);
        let redaction = Redaction::default();
        assert!(compare(&app, Some(&live(URL, &[NEW, A])), &redaction).is_empty());
        let findings = compare(&app, Some(&live(URL, &[A])), &redaction);
        assert_eq!(kinds(&findings), [(Kind::MissingCommand, Severity::Error)]);
        // A far word is no typo of a catalog word: the help says how to declare it.
        let findings = compare(&app, Some(&live(URL, &[A, NEW, OTHER])), &redaction);
        assert_eq!(
            kinds(&findings),
            [(Kind::UnknownCommand, Severity::Warning)]
        );
        let help = findings[0].help.as_deref().unwrap_or("");
        assert!(!help.contains("typo"), "{help}");
        assert!(
            help.contains("`known_commands` (`room: [Room.CallbackAfterOtherThing]`)"),
            "{help}"
        );
    }

    #[test]
    fn declared_absent_wants_no_callback() {
        let yaml = "version: 1\napps:\n  - sdkappid: 1400000009\n    region: seoul\n    identifier: admin\n    callback: absent\n";
        let loaded = config::load_bytes(
            "c.yaml".into(),
            yaml.as_bytes().to_vec(),
            &Redaction::default(),
        );
        let app = loaded
            .config
            .expect("`callback: absent` is valid")
            .apps
            .remove(0);
        assert!(app.callback.is_none());
        assert!(
            compare(&app, None, &Redaction::default()).is_empty(),
            "absent and absent: in sync"
        );
        let findings = compare(&app, Some(&live(URL, &[A])), &Redaction::default());
        assert_eq!(
            kinds(&findings),
            [(Kind::UnwantedCallback, Severity::Error)]
        );
        assert_eq!(findings[0].span, app.spans.callback_key);
        assert!(
            !findings[0].label.contains("t1"),
            "redacted: {}",
            findings[0].label
        );
        let fix = remediation(&app, Some(&live(URL, &[A])), &findings).expect("a fix");
        assert_eq!((fix.interface, fix.body.clone()), (Interface::Delete, None));
        assert_eq!(fix.body_text(|url| Redaction::default().url(url)), "{}");
    }

    #[test]
    fn the_two_update_room_info_spellings_are_explained() {
        let app = app("", &["Room.CallbackAfterUpdateRoomInfo"]);
        let findings = compare(
            &app,
            Some(&live(URL, &["Room.CallbackUpdateRoomInfo"])),
            &Redaction::default(),
        );
        assert_eq!(
            kinds(&findings),
            [
                (Kind::MissingCommand, Severity::Error),
                (Kind::UnexpectedCommand, Severity::Error)
            ]
        );
        for f in &findings {
            assert!(
                f.help.as_deref().unwrap_or("").contains("two spellings"),
                "{f:?}"
            );
        }
    }

    #[test]
    fn probe_findings_are_warnings_unless_fail_on_promotes_them() {
        use crate::model::probe::{ProbeTarget, TlsProblem, Validity};
        use std::time::{Duration, SystemTime};
        let app = app("", &[A]);
        let day = Duration::from_secs(24 * 3600);
        let at = SystemTime::UNIX_EPOCH + 20_000 * day;
        let probe = |outcome, duration, certificate| ProbeResult {
            target: ProbeTarget {
                host: "hooks.example.com".into(),
                port: 443,
                tls: true,
            },
            outcome,
            duration,
            certificate,
            at,
        };
        let broken = probe(
            ProbeOutcome::TlsInvalid {
                problem: TlsProblem::Expired,
                detail: "invalid peer certificate: Expired".into(),
            },
            None,
            None,
        );
        // Slow, and 10 days left of 90.
        let ailing = probe(
            ProbeOutcome::Reachable,
            Some(Duration::from_millis(1500)),
            Some(Validity {
                not_before: at - 80 * day,
                not_after: at + 10 * day,
            }),
        );
        let healthy = probe(
            ProbeOutcome::Reachable,
            Some(Duration::from_millis(20)),
            Some(Validity {
                not_before: at - day,
                not_after: at + 89 * day,
            }),
        );
        let (w, e) = (Severity::Warning, Severity::Error);
        for (fail_on, broken_is, ailing_is) in [
            (None, w, w),
            (Some(FailOn::Error), e, w),
            (Some(FailOn::Warning), e, e),
        ] {
            let found = probe_findings(&app, &broken, fail_on);
            assert_eq!(kinds(&found), [(Kind::TlsInvalid, broken_is)]);
            assert!(
                found[0].message.contains("is not valid: expired"),
                "{found:?}"
            );
            assert_eq!(found[0].span, app.callback.as_ref().expect("url").url_span);
            let found = probe_findings(&app, &ailing, fail_on);
            assert_eq!(
                kinds(&found),
                [
                    (Kind::CertExpiring, ailing_is),
                    (Kind::EndpointSlow, ailing_is)
                ]
            );
            assert!(probe_findings(&app, &healthy, fail_on).is_empty());
            // No token from the URL: the host alone names the endpoint.
            assert!(found.iter().all(|f| !f.message.contains("t1")), "{found:?}");
        }
        // Error-level probe findings call for no change to the callback.
        let found = probe_findings(&app, &broken, Some(FailOn::Warning));
        assert_eq!(remediation(&app, Some(&live(URL, &[A])), &found), None);
    }
}
