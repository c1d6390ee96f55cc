//! The Prometheus text exposition format, for node_exporter's textfile collector
//! (`--report prometheus=PATH`): one gauge family per metric, each HELP and TYPE
//! written once, no timestamps in samples (the collector skips files that have them).
//! Labels never carry a URL: it may hold a token, and it would explode cardinality.

use std::fmt::Write as _;

use crate::model::probe::ProbeResult;
use crate::model::run_info::{RunInfo, unix_seconds};
use crate::model::{AppResult, FileResults, Kind, Status};

/// The metrics of a run: `exit_code` is the run's own.
pub fn render(runs: &[FileResults], info: &RunInfo, exit_code: u8) -> String {
    let mut out = Exposition::default();
    out.family(
        "cbcheck_run_timestamp_seconds",
        "When the cbcheck run finished (Unix time).",
        [(vec![], unix_seconds(info.finished))],
    );
    out.family(
        "cbcheck_run_duration_seconds",
        "How long the cbcheck run took.",
        [(vec![], info.duration.as_secs_f64())],
    );
    out.family(
        "cbcheck_run_exit_code",
        "The run's exit code: 0 in sync, 1 drift, 2 invalid file or usage, 3 credentials, 4 API.",
        [(vec![], f64::from(exit_code))],
    );
    out.family(
        "cbcheck_build_info",
        "The cbcheck version that wrote this file (always 1).",
        [(vec![("version", env!("CARGO_PKG_VERSION").to_owned())], 1.0)],
    );
    out.family(
        "cbcheck_file_valid",
        "1 when the callbacks file was valid, 0 when it had errors (then its apps were not checked).",
        file_validity(info)
            .into_iter()
            .map(|(file, valid)| (vec![("file", file)], flag(valid))),
    );
    let summary = crate::model::Summary::of_runs(runs);
    out.family(
        "cbcheck_apps",
        "Apps checked, by verdict.",
        [
            ("in_sync", summary.in_sync),
            // Pending is a pull request's notion (`--base`): live differs from the file.
            ("drifted", summary.drifted + summary.pending),
            ("unhealthy", summary.unhealthy),
            ("failed", summary.failed),
        ]
        .map(|(status, n)| (vec![("status", status.to_owned())], n as f64)),
    );

    let apps = labelled(runs);
    out.family(
        "cbcheck_app_info",
        "One series per checked app, to join on `sdkappid` and `service` (always 1).",
        apps.iter().map(|(label, result)| {
            let region = result
                .app
                .region
                .map_or_else(|| "endpoint".to_owned(), |r| r.name().to_owned());
            let mut labels = app_labels(label, result);
            labels.push(("region", region));
            (labels, 1.0)
        }),
    );
    out.family(
        "cbcheck_app_up",
        "1 when the app's live configuration could be read (none configured counts as read).",
        apps.iter()
            .map(|(label, result)| (app_labels(label, result), flag(result.failure.is_none()))),
    );
    out.family(
        "cbcheck_app_in_sync",
        "1 when the app is in sync with the file (warnings allowed); read it together with cbcheck_app_up.",
        apps.iter().map(|(label, result)| {
            (
                app_labels(label, result),
                // An unhealthy app's configuration is as declared: its endpoint has its own gauge.
                flag(matches!(result.status(), Status::InSync | Status::Unhealthy)),
            )
        }),
    );
    out.family(
        "cbcheck_app_findings",
        "Findings per app and kind; every kind is written, 0 included.",
        apps.iter().flat_map(|(label, result)| {
            Kind::ALL.into_iter().map(move |kind| {
                let mut labels = app_labels(label, result);
                labels.push(("kind", kind.id().to_owned()));
                let count = result.findings.iter().filter(|f| f.kind == kind).count();
                (labels, count as f64)
            })
        }),
    );
    if !info.probes.is_empty() {
        probe_families(&mut out, &info.probes);
        endpoint_families(&mut out, &apps);
    }
    out.text
}

/// verify --probe, per app: whether its endpoint passed, and what failed (a series per
/// kind found, at error or warning level alike).
fn endpoint_families(out: &mut Exposition, apps: &[(String, &AppResult)]) {
    let probed: Vec<&(String, &AppResult)> = apps
        .iter()
        .filter(|(_, result)| result.failure.is_none() && result.app.callback.is_some())
        .collect();
    out.family(
        "cbcheck_app_endpoint_healthy",
        "verify --probe: 1 when the app's callback endpoint passed every probe check at error level under --probe-fail-on (or had no finding), 0 when it failed one; cbcheck_app_in_sync says nothing about it.",
        probed.iter().map(|(label, result)| {
            let failed = result
                .findings
                .iter()
                .any(|f| f.kind.is_probe() && f.severity == crate::model::Severity::Error);
            (app_labels(label, result), flag(!failed))
        }),
    );
    out.family(
        "cbcheck_app_endpoint_problem",
        "verify --probe: 1 for each kind of probe finding of the app's endpoint (endpoint_unresolvable, tls_invalid, cert_expiring, …); no series when there is none.",
        probed.iter().flat_map(|(label, result)| {
            let mut kinds: Vec<Kind> = result
                .findings
                .iter()
                .filter(|f| f.kind.is_probe())
                .map(|f| f.kind)
                .collect();
            kinds.dedup();
            kinds.into_iter().map(move |kind| {
                let mut labels = app_labels(label, result);
                labels.push(("kind", kind.id().to_owned()));
                (labels, 1.0)
            })
        }),
    );
}

/// verify --probe: one series per endpoint, named by scheme and host (and port when not
/// the scheme's default), never by URL: `http://h` and `https://h` are two series.
fn probe_families(out: &mut Exposition, probes: &[ProbeResult]) {
    let host = |p: &ProbeResult| {
        let scheme = if p.target.tls { "https" } else { "http" };
        vec![("host", p.target.label()), ("scheme", scheme.to_owned())]
    };
    out.family(
        "cbcheck_probe_success",
        "1 when the callback endpoint was reachable and, for https, its certificate verified (verify --probe).",
        probes.iter().map(|p| (host(p), flag(p.success()))),
    );
    out.family(
        "cbcheck_probe_duration_seconds",
        "Connect plus TLS handshake to the callback endpoint (verify --probe; only when connected).",
        probes
            .iter()
            .filter_map(|p| Some((host(p), p.duration?.as_secs_f64()))),
    );
    out.family(
        "cbcheck_probe_cert_not_after_timestamp_seconds",
        "When the callback endpoint's TLS certificate expires (Unix time; verify --probe, https hosts whose certificate verified).",
        probes
            .iter()
            .filter_map(|p| Some((host(p), unix_seconds(p.certificate?.not_after)))),
    );
}

/// The companion file: the last time a run completed (exit 0 or 1). Written only
/// then, so it keeps its value across failed runs: "audit stale" alerts on it.
pub fn render_success(info: &RunInfo) -> String {
    let mut out = Exposition::default();
    out.family(
        "cbcheck_last_success_timestamp_seconds",
        "When a cbcheck run last completed (exit 0 or 1: the fleet was checked).",
        [(vec![], unix_seconds(info.finished))],
    );
    out.text
}

/// The companion file's path: `cbcheck.prom` → `cbcheck_success.prom`, beside it
/// (the collector reads every `*.prom` file of its directory).
pub fn success_path(path: &std::path::Path) -> std::path::PathBuf {
    let stem = path
        .file_stem()
        .map_or_else(|| "cbcheck".into(), |s| s.to_string_lossy().into_owned());
    let name = match path.extension() {
        Some(ext) => format!("{stem}_success.{}", ext.to_string_lossy()),
        None => format!("{stem}_success"),
    };
    path.with_file_name(name)
}

/// Each file label once, in the order given, valid when every file shown by it is: a
/// file given twice, or two names shown alike (a raw ESC is shown as the text
/// `\u{1b}`), must not write one series twice.
fn file_validity(info: &RunInfo) -> Vec<(String, bool)> {
    let mut files: Vec<(String, bool)> = Vec::new();
    let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for f in &info.files {
        match index.entry(escape_label(&f.file)) {
            std::collections::hash_map::Entry::Occupied(at) => files[*at.get()].1 &= f.valid,
            std::collections::hash_map::Entry::Vacant(at) => {
                at.insert(files.len());
                files.push((f.file.clone(), f.valid));
            }
        }
    }
    files
}

fn flag(on: bool) -> f64 {
    if on { 1.0 } else { 0.0 }
}

/// The labels of a per-app series. An app is one (SDKAppID, service) across every file
/// of the run (a second declaration is refused before any check), so `sdkappid` and
/// `service` make each series unique whatever the names; `app` is for people to read.
fn app_labels(label: &str, result: &AppResult) -> Vec<(&'static str, String)> {
    vec![
        ("app", label.to_owned()),
        ("sdkappid", result.app.sdkappid.to_string()),
        ("service", result.app.service.name().to_owned()),
    ]
}

/// Each app's `app` label: its name, else its SDKAppID. Names may repeat across files
/// (or look like another app's SDKAppID): the label is not what tells series apart.
fn labelled(runs: &[FileResults]) -> Vec<(String, &AppResult)> {
    runs.iter()
        .flat_map(|run| &run.results)
        .map(|result| {
            let label = result
                .app
                .name
                .clone()
                .unwrap_or_else(|| result.app.sdkappid.to_string());
            (label, result)
        })
        .collect()
}

#[derive(Default)]
struct Exposition {
    text: String,
}

type Labels = Vec<(&'static str, String)>;

impl Exposition {
    /// One gauge family: HELP and TYPE once, then its samples.
    fn family(&mut self, name: &str, help: &str, samples: impl IntoIterator<Item = (Labels, f64)>) {
        let _ = writeln!(self.text, "# HELP {name} {}", escape_help(help));
        let _ = writeln!(self.text, "# TYPE {name} gauge");
        for (labels, value) in samples {
            self.text.push_str(name);
            if !labels.is_empty() {
                let pairs: Vec<String> = labels
                    .iter()
                    .map(|(label, value)| format!("{label}=\"{}\"", escape_label(value)))
                    .collect();
                let _ = write!(self.text, "{{{}}}", pairs.join(","));
            }
            let _ = writeln!(self.text, " {value}");
        }
    }
}

/// Label values: backslash, double quote and line feed are escaped (the format's rules);
/// the characters the format has no escape for, and workflow commands, as the human
/// output shows them.
fn escape_label(value: &str) -> String {
    let value = super::printable(value, &['\n']);
    crate::model::text::escape_each(&value, |c| match c {
        '\\' => Some("\\\\".to_owned()),
        '"' => Some("\\\"".to_owned()),
        '\n' => Some("\\n".to_owned()),
        _ => None,
    })
}

/// HELP text: backslash and line feed, then as [`escape_label`].
fn escape_help(value: &str) -> String {
    let value = super::printable(value, &['\n']);
    crate::model::text::escape_each(&value, |c| match c {
        '\\' => Some("\\\\".to_owned()),
        '\n' => Some("\\n".to_owned()),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::file_text::FileText;
    use crate::model::redact::Redaction;
    use crate::model::tencent::region::Region;
    use crate::model::{App, Config};

    /// The names: `1400000003 (1400000003)`, `1400000003`, and an unnamed app
    /// with SDKAppID 1400000003 (once labelled `1400000003 (1400000003)` too).
    #[test]
    fn names_that_look_like_sdkappids_share_no_series() {
        let app = |sdkappid: u64, name: Option<&str>| {
            let mut app = App::bare(sdkappid, Region::Singapore, "administrator".into());
            app.name = name.map(str::to_owned);
            AppResult {
                app,
                live: Some(None),
                findings: Vec::new(),
                remediation: None,
                failure: None,
                base: None,
            }
        };
        let run = |file: &str, results: Vec<AppResult>| FileResults {
            config: Config {
                file: file.into(),
                source: std::sync::Arc::new(FileText::new(file, String::new())),
                apps: results.iter().map(|r| r.app.clone()).collect(),
            },
            redaction: Redaction::default(),
            results,
            notices: Vec::new(),
        };
        let runs = [
            run(
                "a.yaml",
                vec![
                    app(1_400_000_001, Some("1400000003 (1400000003)")),
                    app(1_400_000_002, Some("1400000003")),
                ],
            ),
            run("b.yaml", vec![app(1_400_000_003, None)]),
        ];
        let info = RunInfo {
            started: std::time::SystemTime::UNIX_EPOCH,
            finished: std::time::SystemTime::UNIX_EPOCH,
            duration: std::time::Duration::ZERO,
            files: Vec::new(),
            probes: Vec::new(),
        };
        let text = render(&runs, &info, 0);
        let series: Vec<&str> = text
            .lines()
            .filter(|line| line.starts_with("cbcheck_app_in_sync"))
            .collect();
        assert_eq!(
            series,
            [
                "cbcheck_app_in_sync{app=\"1400000003 (1400000003)\",sdkappid=\"1400000001\",service=\"room\"} 1",
                "cbcheck_app_in_sync{app=\"1400000003\",sdkappid=\"1400000002\",service=\"room\"} 1",
                "cbcheck_app_in_sync{app=\"1400000003\",sdkappid=\"1400000003\",service=\"room\"} 1",
            ]
        );
    }

    #[test]
    fn label_values_are_escaped_and_paths_pair_up() {
        assert_eq!(escape_label("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
        assert_eq!(
            success_path(std::path::Path::new("/var/lib/node/cbcheck.prom")),
            std::path::Path::new("/var/lib/node/cbcheck_success.prom")
        );
        assert_eq!(
            success_path(std::path::Path::new("metrics")),
            std::path::Path::new("metrics_success")
        );
    }

    #[test]
    fn each_family_has_one_help_and_type_and_integral_values_print_plainly() {
        let mut out = Exposition::default();
        out.family(
            "x_total",
            "line\nbreak",
            [(vec![("a", "1".to_owned())], 2.0), (vec![], 0.25)],
        );
        assert_eq!(
            out.text,
            "# HELP x_total line\\nbreak\n# TYPE x_total gauge\nx_total{a=\"1\"} 2\nx_total 0.25\n"
        );
    }
}
