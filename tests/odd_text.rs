//! Unusual but possible files and replies, through the real binary: one-line fleets
//! far wider than a terminal, old Mac line endings, tabs, and control characters.

use serde_json::Value;

use crate::support::vendor::{Snapshot, configured, fail, with_request_id};
use crate::support::{Out, Workdir, fixture, workdir};

const A: &str = "Room.CallbackAfterCreateRoom";
const B: &str = "Mic.CallbackAfterSeatInfoChanged";

fn run(dir: &Workdir, args: &[&str]) -> Out {
    dir.cbcheck().args(args).run()
}

fn sdkappid(i: usize) -> u64 {
    1_400_000_000 + i as u64
}

/// `n` apps written flow-style on a single line, each declaring commands A and B.
fn one_line_fleet(n: usize, last_app_extra: &str) -> String {
    let apps: Vec<String> = (0..n)
        .map(|i| {
            format!(
                "{{name: app-{i}, sdkappid: {}, callback: {{url: 'https://hooks.example.com/room/{i}', commands: [{A}, {B}]}}{}}}",
                sdkappid(i),
                if i + 1 == n { last_app_extra } else { "" }
            )
        })
        .collect();
    format!(
        "{{version: 1, defaults: {{region: singapore, identifier: administrator}}, apps: [{}]}}\n",
        apps.join(", ")
    )
}

/// A fleet as large as the 4 MiB file cap allows in compact style loads: the
/// parser's node budget is not the tighter limit.
#[test]
fn a_20000_app_fleet_within_the_file_cap_is_valid() {
    let yaml = one_line_fleet(20_000, "");
    assert!(yaml.len() < 4 * 1024 * 1024, "{} bytes", yaml.len());
    let loaded = crate::support::load(&yaml);
    assert_eq!(
        loaded.config.as_ref().map(|c| c.apps.len()),
        Some(20_000),
        "{}",
        crate::support::rendered(&loaded)
    );
}

/// Every app live with command A only: each one has drifted (B is missing).
fn all_drifted_snapshot(n: usize) -> String {
    (0..n)
        .fold(Snapshot::new(), |live, i| {
            let reply = configured(&format!("https://hooks.example.com/room/{i}"), &[A]);
            live.room(sdkappid(i), with_request_id(reply, &format!("Id-{i}")))
        })
        .to_string()
}

/// No line a person is shown may be wider than this (the file's line is ~170,000 characters).
const MAX_SHOWN_LINE: usize = 400;

fn assert_lines_bounded(text: &str) {
    let widest = text.lines().map(|l| l.chars().count()).max().unwrap_or(0);
    assert!(
        widest <= MAX_SHOWN_LINE,
        "a line of {widest} characters was printed"
    );
}

/// Lines of the human report that quote the file (`N │ text`).
fn snippet_lines(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| {
            l.trim_start()
                .split_once(" │ ")
                .is_some_and(|(n, _)| n.trim().parse::<usize>().is_ok())
        })
        .collect()
}

#[test]
fn a_one_line_fleet_lints_with_its_mistake_located_past_column_65535() {
    let yaml = one_line_fleet(1000, ", bogus: 1");
    let column = yaml.find("bogus").expect("present") + 1;
    assert!(column > 65_535);
    let dir = workdir("lint-one-line").with("callbacks.yaml", yaml);
    let Out {
        code,
        stdout,
        stderr,
        ..
    } = run(
        &dir,
        &[
            "lint",
            "callbacks.yaml",
            "--report",
            "sarif=lint.sarif",
            "--report",
            "github=lint.github",
        ],
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stdout.is_empty());
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        stderr.contains(&format!("[callbacks.yaml:1:{column}]")),
        "{stderr}"
    );
    assert!(stderr.contains("unknown key `bogus`"), "{stderr}");
    assert!(
        stderr.ends_with("callbacks.yaml: invalid: 1 error\n"),
        "{stderr}"
    );
    assert_lines_bounded(&stderr);
    // The quoted line is clipped around the key, and says so.
    let quoted = snippet_lines(&stderr);
    assert_eq!(quoted.len(), 1, "{stderr}");
    assert!(quoted[0].contains("bogus: 1"), "{stderr}");
    assert!(quoted[0].contains('…'), "{stderr}");

    let sarif: Value =
        serde_json::from_slice(&std::fs::read(dir.join("lint.sarif")).expect("sarif written"))
            .expect("SARIF is JSON");
    let region = &sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"];
    assert_eq!(region["startLine"], 1);
    assert_eq!(region["startColumn"], column);
    let github = std::fs::read_to_string(dir.join("lint.github")).expect("github written");
    assert!(
        github.contains(&format!("line=1,col={column},")),
        "{github}"
    );
}

#[test]
fn a_valid_one_line_fleet_is_valid() {
    let yaml = one_line_fleet(1000, "");
    let dir = workdir("lint-one-line-valid").with("callbacks.yaml", yaml);
    let Out { code, stderr, .. } = run(&dir, &["lint", "callbacks.yaml"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stderr, "callbacks.yaml: valid: 1000 apps, no warnings\n");
}

#[test]
fn verify_of_a_one_line_fleet_reports_every_drifted_app_and_writes_its_reports() {
    let yaml = one_line_fleet(1000, "");
    let snapshot = all_drifted_snapshot(1000);
    let dir = workdir("verify-one-line")
        .with("callbacks.yaml", &yaml)
        .with("live.json", snapshot);
    let Out {
        code,
        stdout,
        stderr,
        ..
    } = run(
        &dir,
        &[
            "verify",
            "callbacks.yaml",
            "--live-from",
            "live.json",
            "--report",
            "json=report.json",
        ],
    );
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stdout.is_empty());
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        stderr.contains(
            "1000 apps checked: 0 in sync, 1000 drifted, 0 failed\nTo fix the 1000 drifted apps, run:\n  cbcheck apply callbacks.yaml\n"
        ),
        "{}",
        &stderr[stderr.len().saturating_sub(500)..]
    );
    assert_lines_bounded(&stderr);
    // The last app's missing command is quoted from the far end of the line, at its column.
    let last = yaml.rfind(B).expect("present") + 1;
    assert!(last > 65_535);
    assert!(
        stderr.contains(&format!("[callbacks.yaml:1:{last}]")),
        "{}",
        &stderr[stderr.len().saturating_sub(2000)..]
    );

    let report: Value =
        serde_json::from_slice(&std::fs::read(dir.join("report.json")).expect("report written"))
            .expect("the report is JSON");
    assert_eq!(report["summary"]["drifted"], 1000);
    let finding = &report["apps"][999]["findings"][0];
    assert_eq!(finding["kind"], "missing_command");
    assert_eq!(finding["line"], 1);
    assert_eq!(finding["column"], last);
}

/// The place each output format gives a lint run's first diagnostic: human (from the
/// snippet header), GitHub and SARIF.
fn places(dir: &Workdir, file: &str) -> [(usize, usize); 3] {
    let Out {
        code,
        stderr: human,
        ..
    } = run(dir, &["lint", file]);
    assert_eq!(code, Some(2), "{human}");
    let header = human
        .split_once(&format!("[{file}:"))
        .and_then(|(_, rest)| rest.split_once(']'))
        .map(|(place, _)| place.to_owned())
        .unwrap_or_else(|| panic!("no located snippet:\n{human}"));
    let (line, column) = header.split_once(':').expect("line:column");
    let human_place = (line.parse().expect("line"), column.parse().expect("column"));

    let Out { stdout: github, .. } = run(dir, &["lint", file, "--format", "github"]);
    let annotation = github
        .lines()
        .find(|l| l.starts_with("::error"))
        .unwrap_or_else(|| panic!("no annotation:\n{github}"));
    let property = |name: &str| -> usize {
        annotation
            .split_once(&format!("{name}="))
            .and_then(|(_, rest)| rest.split(',').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {name} in {annotation}"))
    };
    let github_place = (property("line"), property("col"));

    let Out { stdout: sarif, .. } = run(dir, &["lint", file, "--format", "sarif"]);
    let sarif: Value = serde_json::from_str(&sarif).expect("SARIF is JSON");
    let region = &sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"];
    let sarif_place = (
        region["startLine"].as_u64().expect("line") as usize,
        region["startColumn"].as_u64().expect("column") as usize,
    );
    [human_place, github_place, sarif_place]
}

/// A file whose one mistake is the unknown key `bogus`, at line 4, column 5.
const COMPLETE: &str = "version: 1\napps:\n  - sdkappid: 1400000001\n    bogus: 1\n    region: singapore\n    identifier: admin\n    callback: {url: 'https://h.example.com/cb', commands: [Room.CallbackAfterCreateRoom]}\n";

#[test]
fn bare_cr_line_endings_give_one_place_in_every_format() {
    let unknown_key = COMPLETE.replace('\n', "\r");
    let syntax = "version: 1\r  apps: [\rfoo: 1\r";
    let dir = workdir("bare-cr")
        .with("key.yaml", unknown_key)
        .with("syntax.yaml", syntax);
    assert_eq!(places(&dir, "key.yaml"), [(4, 5); 3]);
    // The parser counts a bare CR as a line break, as YAML says: line 2, at the `:`.
    assert_eq!(places(&dir, "syntax.yaml"), [(2, 7); 3]);

    // The snippet numbers its lines the same way, and prints no bare CR.
    let Out { stderr: human, .. } = run(&dir, &["lint", "key.yaml"]);
    assert!(human.contains(" 4 │     bogus: 1\n"), "{human}");
    assert!(!human.contains('\r'), "{human:?}");
}

#[test]
fn crlf_and_lf_files_agree_too() {
    let lf = COMPLETE;
    let crlf = lf.replace('\n', "\r\n");
    let dir = workdir("crlf").with("lf.yaml", lf).with("crlf.yaml", crlf);
    assert_eq!(places(&dir, "lf.yaml"), [(4, 5); 3]);
    assert_eq!(places(&dir, "crlf.yaml"), [(4, 5); 3]);
}

#[test]
fn columns_count_characters_in_every_format() {
    // Three 3-byte characters before the key: byte column 45, character column 39.
    let yaml = "version: 1\napps:\n  - {name: 日本語, sdkappid: 1400000001, bogus: 1, region: seoul, identifier: admin, callback: absent}\n";
    let dir = workdir("columns").with("callbacks.yaml", yaml);
    assert_eq!(places(&dir, "callbacks.yaml"), [(3, 39); 3]);
}

#[test]
fn a_tab_in_indentation_is_reported_at_the_tab() {
    let yaml = "version: 1\napps:\n  - sdkappid: 1400000001\n\tregion: singapore\n";
    let block = "version: 1\napps:\n\t- sdkappid: 1400000001\n";
    let dir = workdir("tab")
        .with("scalar.yaml", yaml)
        .with("block.yaml", block);
    assert_eq!(places(&dir, "scalar.yaml"), [(4, 1); 3]);
    assert_eq!(places(&dir, "block.yaml"), [(3, 1); 3]);
}

/// Raw terminal controls: C0 (ESC, BEL, NUL, backspace), DEL, C1 (CSI, NEL) and bidi overrides.
const CONTROLS: [char; 11] = [
    '\u{1b}', '\u{7}', '\u{0}', '\u{8}', '\u{7f}', '\u{9b}', '\u{85}', '\u{202e}', '\u{2066}',
    '\u{200f}', '\u{2028}',
];

fn assert_no_controls(what: &str, text: &str) {
    for c in CONTROLS {
        assert!(!text.contains(c), "{what} holds a raw {c:?}:\n{text:?}");
    }
}

#[test]
fn control_characters_in_the_file_are_escaped_in_human_and_github_output() {
    // Raw controls make a YAML syntax error, whose snippet quotes the line.
    let raw = "version: 1\napps:\n  - sdkappid: 1400000001\n    \u{1b}[2Jbo\u{7}gus\u{9b}: \"x\u{202e}y\u{85}\u{0}\u{8}\u{7f}\"\n";
    // Escaped ones parse, and reach messages: an unknown key, and a raw bidi override
    // and NEL (printable in YAML) in a value quoted by its snippet and message.
    let escaped = "version: 1\napps:\n  - sdkappid: 1400000001\n    region: \"sing\u{202e}a\u{85}pore\u{2066}\u{200f}\u{2028}\"\n    identifier: admin\n    callback: {url: 'https://h.example.com/cb', commands: [Room.CallbackAfterCreateRoom]}\n    \"\\e[2Jbo\\agus\\x9b\\0\\b\\x7f\": 1\n";
    let dir = workdir("controls-file")
        .with("raw.yaml", raw)
        .with("escaped.yaml", escaped);
    for file in ["raw.yaml", "escaped.yaml"] {
        let Out {
            code,
            stdout,
            stderr: human,
            ..
        } = run(&dir, &["lint", file]);
        assert_eq!(code, Some(2), "{human}");
        assert!(stdout.is_empty());
        assert_no_controls("lint's human output", &human);
        // Escaped, not dropped: the reader can still see what is there.
        assert!(human.contains("\\u{1b}[2Jbo\\u{7}gus\\u{9b}"), "{human}");

        let Out {
            code,
            stdout: github,
            stderr,
            ..
        } = run(&dir, &["lint", file, "--format", "github"]);
        assert_eq!(code, Some(2), "{stderr}");
        assert_no_controls("lint's GitHub annotations", &github);
        assert!(github.contains("::error file="), "{github}");
    }
    let Out { stdout: github, .. } = run(&dir, &["lint", "escaped.yaml", "--format", "github"]);
    assert!(github.contains("\\u{1b}[2Jbo\\u{7}gus\\u{9b}"), "{github}");
    let Out { stderr: human, .. } = run(&dir, &["lint", "escaped.yaml"]);
    assert!(human.contains("unknown region"), "{human}");
    assert!(human.contains("sing\\u{202e}a\\u{85}pore"), "{human}");
}

#[test]
fn control_characters_from_the_vendor_are_escaped_in_human_and_github_output() {
    let live = Snapshot::new()
        .room(
            1_400_000_001,
            with_request_id(
                configured(
                    "https://hooks.example.com/\u{1b}]8;;evil\u{7}a\u{9b}",
                    &[
                        "Room.CallbackAfterCreateRoom",
                        "Room.\u{1b}[31mEvil\u{202e}\u{0}",
                    ],
                ),
                "Id-\u{1b}[2J-1",
            ),
        )
        .room(
            1_400_000_002,
            with_request_id(
                fail(70001, "bad \u{1b}[31mthing\u{7}\u{85}\u{2066}"),
                "Id-\u{1b}-2",
            ),
        );
    let dir = workdir("controls-vendor")
        .with("callbacks.yaml", fixture("two-apps.yaml"))
        .with("live.json", live.to_string());
    let Out {
        code,
        stdout,
        stderr: human,
        ..
    } = run(
        &dir,
        &["verify", "callbacks.yaml", "--live-from", "live.json"],
    );
    assert!(matches!(code, Some(1..=4)), "{human}");
    assert!(stdout.is_empty());
    assert_no_controls("verify's human output", &human);
    assert!(human.contains("2 apps checked"), "{human}");

    let Out {
        stdout: github,
        stderr,
        ..
    } = run(
        &dir,
        &[
            "verify",
            "callbacks.yaml",
            "--live-from",
            "live.json",
            "--format",
            "github",
        ],
    );
    assert_no_controls("verify's GitHub annotations", &github);
    assert_no_controls("verify's stderr beside GitHub annotations", &stderr);
    assert!(github.contains("::error"), "{github}");
}

#[test]
fn distant_labels_get_a_snippet_each_drawn_or_narrated() {
    let mut yaml =
        String::from("version: 1\ndefaults:\n  region: singapore\n  identifier: admin\napps:\n");
    for i in 0..30 {
        let id = if i == 0 || i == 29 {
            1_400_000_001
        } else {
            sdkappid(100 + i)
        };
        yaml.push_str(&format!(
            "  - sdkappid: {id}\n    callback:\n      url: https://h.example.com/{i}\n      commands: [{A}]\n"
        ));
    }
    let dir = workdir("distant").with("callbacks.yaml", yaml);
    let Out {
        code,
        stderr: drawn,
        ..
    } = run(&dir, &["lint", "callbacks.yaml"]);
    assert_eq!(code, Some(2), "{drawn}");
    assert!(drawn.contains("[callbacks.yaml:6:15]"), "{drawn}");
    assert!(drawn.contains("[callbacks.yaml:122:15]"), "{drawn}");
    // Only the lines around each label are quoted, not the 115 between them.
    assert_eq!(snippet_lines(&drawn).len(), 6, "{drawn}");

    let narrated = dir
        .cbcheck()
        .env("NO_GRAPHICS", "1")
        .args(["lint", "callbacks.yaml"])
        .run()
        .stderr;
    let labels: Vec<&str> = narrated
        .lines()
        .filter(|l| l.contains("label at"))
        .collect();
    assert_eq!(
        labels,
        [
            "    label at line 6, columns 15 to 24: first declared here",
            "    label at line 122, columns 15 to 24: declared again here"
        ],
        "{narrated}"
    );
}

#[test]
fn a_byte_that_is_not_utf8_is_located() {
    // Latin-1 `é` (0xE9) where UTF-8 was expected.
    let mut latin1 = b"version: 1\napps:\n  - name: caf".to_vec();
    latin1.extend([0xE9, b'\n']);
    let dir = workdir("latin1").with("latin1.yaml", &latin1);
    assert_eq!(places(&dir, "latin1.yaml"), [(3, 14); 3]);
    let Out { stderr: human, .. } = run(&dir, &["lint", "latin1.yaml"]);
    assert!(human.contains("latin1.yaml is not UTF-8 text"), "{human}");
    assert!(human.contains(" 3 │   - name: caf\u{fffd}\n"), "{human}");
}
