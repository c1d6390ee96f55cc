//! Text from the file or the vendor never reaches a CI log as a workflow command, nor a
//! Markdown report as a link, image, mention or HTML, nor an exported file as a raw
//! line separator (issue 20, points 2, 5 and 10). Through the real binary.

use crate::support::text::{foreign_commands, raw_unsafe};
use crate::support::vendor::{Snapshot, configured};
use crate::support::{Cmd, Out, Workdir, one_app, workdir};

const FORMATS: [&str; 7] = [
    "human",
    "github",
    "json",
    "sarif",
    "junit",
    "markdown",
    "prometheus",
];

/// Export of the one app's Room configuration from `live.json` (which records Room's
/// reply alone).
const EXPORT: [&str; 11] = [
    "export",
    "--live-from",
    "live.json",
    "--sdkappid",
    "1400000001",
    "--region",
    "singapore",
    "--identifier",
    "administrator",
    "--service",
    "room",
];

fn snapshot(url: &str, words: &[&str]) -> String {
    Snapshot::new()
        .room(1_400_000_001, configured(url, words))
        .to_string()
}

/// A scratch directory holding `yaml` as `a.yaml`, and the app live with `url` and
/// `words` in `live.json`.
fn files(name: &str, yaml: &str, url: &str, words: &[&str]) -> Workdir {
    workdir(name)
        .with("a.yaml", yaml)
        .with("live.json", snapshot(url, words))
}

fn run(dir: &Workdir, args: &[&str]) -> Out {
    dir.cbcheck().args(args).run()
}

/// `verify a.yaml --live-from live.json --format <format>` in `dir`.
fn verify(dir: &Workdir, format: &str) -> Cmd {
    dir.cbcheck().args([
        "verify",
        "a.yaml",
        "--format",
        format,
        "--live-from",
        "live.json",
    ])
}

/// Every format of `verify a.yaml --live-from live.json`, on both streams: no foreign
/// command, no raw unsafe character.
fn assert_clean_in_every_format(dir: &Workdir) {
    for format in FORMATS {
        let Out {
            code,
            stdout,
            stderr,
            ..
        } = verify(dir, format).run();
        assert!(matches!(code, Some(1 | 2)), "{format}: {code:?}\n{stderr}");
        let own = format == "github";
        assert_eq!(
            foreign_commands(&stdout, own),
            Vec::<String>::new(),
            "{format} stdout"
        );
        assert_eq!(
            foreign_commands(&stderr, false),
            Vec::<String>::new(),
            "{format} stderr"
        );
        assert_eq!(raw_unsafe(&stdout), None, "{format} stdout:\n{stdout}");
        assert_eq!(raw_unsafe(&stderr), None, "{format} stderr:\n{stderr}");
    }
}

/// (a) A comment beside a typo is drawn in the snippet on stderr.
#[test]
fn a_command_in_a_comment_beside_a_typo_is_escaped_in_the_snippet() {
    let yaml = one_app("a", "    calback: x   # ##[stop-commands]zzz\n");
    let dir = files(
        "comment",
        &yaml,
        "https://hooks.example.com/cb",
        &["Room.CallbackAfterCreateRoom"],
    );
    let Out { code, stderr, .. } = run(&dir, &["lint", "a.yaml", "--format", "github"]);
    assert_eq!(code, Some(2));
    assert_eq!(foreign_commands(&stderr, false), Vec::<String>::new());
    let Out { stderr, .. } = run(&dir, &["lint", "a.yaml"]);
    // Still shown, as a visible escape.
    assert!(stderr.contains("# #\\u{23}[stop-commands]zzz"), "{stderr}");
    assert_clean_in_every_format(&dir);
}

/// (b) An app name is in annotation titles, headings, rows and labels.
#[test]
fn a_command_in_an_app_name_is_escaped_in_every_format() {
    let yaml = one_app("\"app ##[stop-commands]x \\u00a0::add-mask::y\"", "");
    let dir = files("name", &yaml, "https://hooks.example.com/other", &[]);
    assert_clean_in_every_format(&dir);
    let Out { stdout, .. } = verify(&dir, "github").run();
    // cbcheck's own annotations are still there.
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("::error file=a.yaml,")),
        "{stdout}"
    );
}

/// (c) The help text wraps a long key at its spaces: the NBSP then `::` must not
/// begin a line of its own.
#[test]
fn a_long_key_wrapped_onto_its_own_line_starts_no_command() {
    for n in 28..40 {
        let key = format!("callback{} \u{a0}::stop-commands::zzz", " y".repeat(n));
        let yaml = one_app("a", &format!("    \"{key}\": 1\n"));
        let dir = workdir("wrapped").with("a.yaml", yaml);
        for format in ["human", "github"] {
            let Out {
                code,
                stdout,
                stderr,
                ..
            } = run(&dir, &["lint", "a.yaml", "--format", format]);
            assert_eq!(code, Some(2), "{stderr}");
            assert_eq!(
                foreign_commands(&stderr, false),
                Vec::<String>::new(),
                "{n}"
            );
            assert_eq!(
                foreign_commands(&stdout, format == "github"),
                Vec::<String>::new()
            );
        }
    }
}

/// (d) A live command word or URL holding a line feed then `::error`.
#[test]
fn vendor_line_feeds_stay_escaped_in_human_output_and_export_warnings() {
    let dir = files(
        "vendor",
        &one_app("a", ""),
        "https://hooks.example.com/x?token=t\n::error title=pwned::url ##[stop-commands]q",
        &[
            "Room.CallbackAfterCreateRoom",
            "Room.Evil\n::error title=pwned::word\u{2028}::warning::sep",
        ],
    );
    assert_clean_in_every_format(&dir);
    let Out {
        code,
        stdout,
        stderr,
        ..
    } = run(&dir, &[&EXPORT[..], &["--literal-urls"]].concat());
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("warning:"), "{stderr}");
    assert_eq!(foreign_commands(&stderr, false), Vec::<String>::new());
    assert_eq!(foreign_commands(&stdout, false), Vec::<String>::new());
    assert_eq!(raw_unsafe(&stderr), None, "{stderr}");
    assert_eq!(raw_unsafe(&stdout), None, "{stdout}");
}

/// Point 5: an app name made of Markdown is shown as text in the report.
#[test]
fn markdown_from_an_app_name_makes_no_link_image_mention_or_html() {
    use pulldown_cmark::{Event, Options, Parser, Tag};
    let name = "a1 ![ok](https://attacker.example/beacon.png) [✅ all apps in sync](https://attacker.example/login) @acme/security-team <img src=x> www.attacker.example | x \u{1b}]52;c;aGk=\u{7} \u{9b}2J `code` *em*";
    // YAML takes no raw C1 character: its escape.
    let quoted = serde_json::to_string(name)
        .expect("JSON")
        .replace('\u{9b}', "\\u009b");
    let dir = files(
        "markdown",
        &one_app(&quoted, ""),
        "https://hooks.example.com/other?to=ken\n<b>x</b>",
        &["Room.Bad](https://attacker.example)@team"],
    );
    verify(&dir, "github")
        .env("GITHUB_STEP_SUMMARY", "summary.md")
        .run()
        .code(1);
    let markdown = verify(&dir, "markdown").run().stdout;
    let step = dir.read("summary.md");
    for text in [&markdown, &step] {
        assert_eq!(raw_unsafe(text), None, "{text}");
        // Outside code blocks (where nothing is linked), no bare URL a renderer links.
        let mut in_code = false;
        for line in text.lines() {
            if line.starts_with("```") {
                in_code = !in_code;
            } else if !in_code {
                assert!(!line.contains("://") && !line.contains("www."), "{line}");
            }
        }
        let mut rows = Vec::new();
        let mut cells = 0;
        for event in Parser::new_ext(text, Options::ENABLE_TABLES) {
            match event {
                Event::Start(Tag::Link { .. } | Tag::Image { .. }) => {
                    panic!("{event:?} in\n{text}")
                }
                // The one HTML block is cbcheck's version comment.
                Event::Html(html) | Event::InlineHtml(html)
                    if !html.starts_with("<!-- cbcheck report version") =>
                {
                    panic!("{html} in\n{text}")
                }
                Event::Text(t) => {
                    let chars: Vec<char> = t.chars().collect();
                    let mention = chars
                        .windows(2)
                        .any(|w| w[0] == '@' && w[1].is_ascii_alphanumeric());
                    assert!(!mention, "a mention: {t}");
                }
                Event::Start(Tag::TableCell) => cells += 1,
                Event::End(
                    pulldown_cmark::TagEnd::TableRow | pulldown_cmark::TagEnd::TableHead,
                ) => {
                    rows.push(cells);
                    cells = 0;
                }
                _ => {}
            }
        }
        assert!(!rows.is_empty(), "no table:\n{text}");
        assert!(rows.iter().all(|&n| n == rows[0]), "{rows:?}\n{text}");
        // The name is still there, as text.
        assert!(text.contains("a1 \\!\\[ok\\]"), "{text}");
    }
}

/// Point 10: a live word holding U+2028 (and its kin) is written escaped, and the
/// file lints clean.
#[test]
fn export_writes_no_raw_line_separator() {
    let live = snapshot(
        "https://hooks.example.com/cb",
        &[
            "Room.CallbackAfterCreateRoom",
            "Room.Evil\u{2028}evil: 1\u{2029}more: 2\u{85}x\ry",
        ],
    );
    let dir = workdir("export").with("live.json", live);
    let Out { code, stderr, .. } = run(&dir, &[&EXPORT[..], &["-o", "out.yaml"]].concat());
    assert_eq!(code, Some(0), "{stderr}");
    let written = dir.read("out.yaml");
    for c in ['\u{2028}', '\u{2029}', '\u{85}', '\r'] {
        assert!(!written.contains(c), "raw {c:?} in\n{written}");
    }
    assert_eq!(raw_unsafe(&written), None, "{written}");
    assert!(written.contains("Room.Evil"), "{written}");
    let Out { code, stderr, .. } = run(&dir, &["lint", "out.yaml"]);
    assert_eq!(code, Some(0), "{stderr}");
    // Verified against the same replies, it is in sync but for the word left out.
    let Out { code, stderr, .. } = run(&dir, &["verify", "out.yaml", "--live-from", "live.json"]);
    assert_eq!(code, Some(0), "{stderr}");
}
