//! Secrets written in a callbacks file, under any name or in any form, never reach an
//! output: each case runs the real binary in every format that could show it.

use cbcheck::testing::{Secret, SigParams, mint};

use crate::support::cmd::Workdir;
use crate::support::vendor::{Snapshot, configured};
use crate::support::{Cmd, Out, codes_and_lines, fixture, load, rendered, workdir};

/// A SecretKey as the console shows it: 64 hex digits.
const KEY: &str = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e";

const SECRET_IN_FILE: &str = "cbcheck::config::secret-in-file";
const UNKNOWN_KEY: &str = "cbcheck::config::unknown-key";
const INSECURE_URL: &str = "cbcheck::config::insecure-url";

/// A valid one-app file; line 8 is `callback:`.
fn base() -> String {
    fixture("conference-prod.yaml")
}

/// `base()` with `lines` inserted after the `sdkappid` line (they start at line 8).
fn with_app_lines(lines: &str) -> String {
    base().replace(
        "    sdkappid: 1400000001\n",
        &format!("    sdkappid: 1400000001\n{lines}"),
    )
}

/// `base()` with the callback URL line replaced by `url` (which may span lines, from line 9).
fn with_url(url: &str) -> String {
    base().replace(
        "      url: https://hooks.example.com/tencent/room\n",
        &format!("      url: {url}\n"),
    )
}

/// The secret and pieces of it long enough to identify it.
fn fragments(secret: &str) -> Vec<&str> {
    let n = secret.len();
    let mut pieces = vec![secret];
    if n > 12 {
        pieces.extend([&secret[..12], &secret[n - 12..]]);
    }
    pieces
}

/// `cmd`, checked (when it runs) to show neither the secrets nor their fragments.
fn hiding(mut cmd: Cmd, secrets: &[&str]) -> Cmd {
    for secret in secrets {
        for piece in fragments(secret) {
            cmd = cmd.hides(piece);
        }
    }
    cmd
}

/// `lint --format FORMAT callbacks.yaml` in `dir`, in every format `lint` speaks:
/// each run fails and shows none of the secrets.
fn lint_every_format(dir: &Workdir, secrets: &[&str], mut each: impl FnMut(&str, &Out)) {
    for format in ["human", "github", "sarif"] {
        let cmd = dir
            .cbcheck()
            .args(["lint", "--format", format, "callbacks.yaml"]);
        let out = hiding(cmd, secrets).run();
        out.code(2);
        each(format, &out);
    }
}

fn assert_hidden(what: &str, text: &str, secrets: &[&str]) {
    for secret in secrets {
        for piece in fragments(secret) {
            assert!(!text.contains(piece), "{what} shows `{piece}`:\n{text}");
        }
    }
}

/// Check the diagnostics and their lines, then lint with the real binary in every
/// format `lint` speaks: the secrets appear in no stdout or stderr, and the run fails.
/// Returns the human report.
fn lint_hides(name: &str, yaml: &str, secrets: &[&str], expected: &[(&str, usize)]) -> String {
    let loaded = load(yaml);
    let human = rendered(&loaded);
    assert_eq!(codes_and_lines(&loaded), expected, "\n{human}");
    assert_hidden("the rendered report", &human, secrets);
    let dir = workdir(name).with("callbacks.yaml", yaml);
    lint_every_format(&dir, secrets, |format, out| {
        if format == "github" {
            // The annotation is on the line of the first problem.
            out.stdout_has(&format!("line={},", expected[0].1));
        }
    });
    human
}

/// A key-shaped value under a key whose name says it is a secret: refused on its line.
fn named_secret(name: &str, key: &str) {
    let yaml = with_app_lines(&format!("    {key}: {KEY}\n"));
    let human = lint_hides(name, &yaml, &[KEY], &[(SECRET_IN_FILE, 8)]);
    assert!(human.contains(&format!("`{key}`")), "{human}");
    assert!(human.contains("callbacks.yaml:8:5"), "{human}");
}

#[test]
fn app_key_is_masked() {
    named_secret("app_key", "app_key");
}

#[test]
fn signing_key_is_masked() {
    named_secret("signing_key", "signing_key");
}

#[test]
fn hmac_key_is_masked() {
    named_secret("hmac_key", "hmac_key");
}

#[test]
fn private_key_pem_is_masked() {
    named_secret("private_key_pem", "private_key_pem");
}

#[test]
fn camel_case_api_key_is_masked() {
    named_secret("apiKey2", "apiKey2");
}

#[test]
fn fullwidth_secret_is_masked() {
    named_secret("fullwidth", "ｓｅｃｒｅｔ");
}

#[test]
fn a_secret_name_masks_a_value_of_any_shape() {
    let yaml =
        with_app_lines("    hmacKey: not-hex hunter2\n    x-auth:\n      Pass_Word: [hunter3]\n");
    lint_hides(
        "any_shape",
        &yaml,
        &["hunter2", "hunter3"],
        &[(SECRET_IN_FILE, 8), (UNKNOWN_KEY, 9), (SECRET_IN_FILE, 10)],
    );
}

#[test]
fn key_material_written_as_a_key_is_masked_and_not_quoted() {
    let yaml = with_app_lines(&format!("    {KEY}: x\n"));
    lint_hides("material_key", &yaml, &[KEY], &[(SECRET_IN_FILE, 8)]);
}

#[test]
fn an_anchored_secret_is_masked_where_it_is_written() {
    // The anchor is on line 8, the alias that makes it a secret on line 9.
    let yaml = with_app_lines(&format!("    holder: &k {KEY}\n    secret_key: *k\n"));
    lint_hides(
        "anchor_key",
        &yaml,
        &[KEY],
        &[(UNKNOWN_KEY, 8), (SECRET_IN_FILE, 8), (SECRET_IN_FILE, 9)],
    );
    // A value of no particular shape is a secret only through the alias.
    let yaml = with_app_lines("    holder: &k hunter2-in-anchor\n    password: *k\n");
    lint_hides(
        "anchor_word",
        &yaml,
        &["hunter2-in-anchor"],
        &[(UNKNOWN_KEY, 8), (SECRET_IN_FILE, 9)],
    );
    // An alias of a secret used where a string is read is never quoted in a message.
    let yaml = with_app_lines("    password: &p hunter4-in-anchor\n    region: *p\n");
    lint_hides(
        "anchor_reused",
        &yaml,
        &["hunter4-in-anchor"],
        &[(SECRET_IN_FILE, 8)],
    );
}

#[test]
fn a_key_in_secret_key_env_is_refused_in_either_case() {
    let upper = KEY.to_ascii_uppercase();
    // Starting with a digit, it also fails as a variable name: that message must not quote it.
    let yaml = with_app_lines(&format!("    secret_key_env: {upper}\n"));
    lint_hides("env_upper", &yaml, &[&upper], &[(SECRET_IN_FILE, 8)]);
    // Starting with a letter, it is a valid variable name: it must still be refused.
    let letter_first = format!("F{}", &upper[1..]);
    let yaml = with_app_lines(&format!("    secret_key_env: {letter_first}\n"));
    lint_hides(
        "env_upper_letter",
        &yaml,
        &[&letter_first],
        &[(SECRET_IN_FILE, 8)],
    );
    // A variable name stays accepted.
    let yaml = with_app_lines("    secret_key_env: CBCHECK_SECRET_KEY_PROD_1400000001\n");
    let loaded = load(&yaml);
    assert!(loaded.diagnostics.is_empty(), "{}", rendered(&loaded));
}

#[test]
fn a_usersig_under_an_innocuous_key_is_masked_and_refused() {
    let token = mint(
        &Secret::new(KEY),
        &SigParams {
            sdkappid: 1_400_000_001,
            identifier: "administrator",
            time: 1_700_000_000,
            expire: 3600,
        },
    );
    let token = token.expose();
    let yaml = with_app_lines(&format!("    x-note: {token}\n"));
    lint_hides(
        "usersig_note",
        &yaml,
        &[token],
        &[(UNKNOWN_KEY, 8), (SECRET_IN_FILE, 8)],
    );
    // As an app's name it would title the app in every report: refused at load.
    let yaml = base().replace("conference-prod", token);
    lint_hides("usersig_name", &yaml, &[token], &[(SECRET_IN_FILE, 6)]);
}

#[test]
fn a_pem_block_is_masked_and_refused() {
    let body = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7";
    let yaml = with_app_lines(&format!(
        "    x-tls: |\n      -----BEGIN PRIVATE KEY-----\n      {body}\n      -----END PRIVATE KEY-----\n"
    ));
    let human = lint_hides(
        "pem",
        &yaml,
        &[body, "BEGIN PRIVATE KEY"],
        &[(UNKNOWN_KEY, 8), (SECRET_IN_FILE, 9)],
    );
    // Line numbers after the masked block are unchanged.
    assert!(human.contains("callbacks.yaml:9:7"), "{human}");
}

/// A callback URL with userinfo and a query token, written in every scalar style: the
/// insecure-url error shows the line, never the password or the token.
#[test]
fn url_userinfo_and_tokens_are_masked_in_every_scalar_style() {
    let password = "Pa55w0rdXyz";
    let token = "T0kenQwerty";
    let url = format!("http://user:{password}@hooks.example.com/cb?token={token}");
    // (name, as written, line of the value, whether the host stays readable)
    let cases = [
        ("double_quoted", format!("\"{url}\""), 9, true),
        ("single_quoted", format!("'{url}'"), 9, true),
        ("literal_block", format!("|-\n        {url}"), 10, true),
        ("folded_block", format!(">-\n        {url}"), 10, true),
        (
            "plain_two_lines",
            format!("http://user:{password}@hooks.example.com/cb?token=\n        {token}"),
            9,
            true,
        ),
        // An escape: which written bytes spell the password is not known, so the
        // whole value is masked.
        (
            "escaped",
            format!("\"{}\"", url.replace("Pa55", "P\\x6155")),
            9,
            false,
        ),
    ];
    for (name, written, line, host_shown) in cases {
        let yaml = with_url(&written);
        let human = lint_hides(
            name,
            &yaml,
            &[password, token, "w0rdXyz"],
            &[(INSECURE_URL, line)],
        );
        assert_eq!(
            human.contains("hooks.example.com"),
            host_shown,
            "{name}: {human}"
        );
    }
}

/// The same URL in a valid file: `verify` shows it in snippets of drift findings, in
/// every format, and must mask it there too.
#[test]
fn a_quoted_url_with_userinfo_is_masked_in_every_verify_format() {
    let yaml = with_url("\"https://user:Pa55w0rdXyz@hooks.example.com/cb\"");
    let live = Snapshot::new().room(
        1_400_000_001,
        configured(
            "https://hooks.example.com/other",
            &["Room.CallbackAfterCreateRoom"],
        ),
    );
    let dir = workdir("verify_quoted_url")
        .with("callbacks.yaml", &yaml)
        .with("live.json", live.to_string());
    for format in ["human", "github", "sarif", "json", "junit", "markdown"] {
        let cmd = dir
            .cbcheck()
            .args(["verify", "callbacks.yaml", "--live-from", "live.json"])
            .args(["--format", format]);
        let out = hiding(cmd, &["Pa55w0rdXyz"]).run();
        out.code(1);
        if format == "human" {
            out.stderr_has("callbacks.yaml:9:")
                .stderr_has("hooks.example.com/cb");
        }
    }
}

/// A file that does not parse has no tree to find secrets in, but its syntax error
/// shows the lines around the error.
#[test]
fn secrets_around_a_syntax_error_are_masked() {
    const SYNTAX: &str = "cbcheck::config::syntax";
    let cases = [
        (
            "syntax_url",
            "    x: \"https://u:Pa55w0rdXyz@h/cb?token=T0kenQwerty\"\n".to_owned(),
            vec!["Pa55w0rdXyz", "T0kenQwerty"],
        ),
        (
            "syntax_password",
            "    password: hunter2-by-name\n".to_owned(),
            vec!["hunter2-by-name"],
        ),
        ("syntax_key", format!("    holder: {KEY}\n"), vec![KEY]),
        (
            "syntax_comment",
            format!("    # old key {KEY}\n    x: y\n"),
            vec![KEY],
        ),
    ];
    for (name, lines, secrets) in cases {
        let yaml = with_app_lines(&format!("    region: [unclosed\n{lines}"));
        let line = if name == "syntax_comment" { 10 } else { 9 };
        lint_hides(name, &yaml, &secrets, &[(SYNTAX, line)]);
    }
}

/// Comments are not in the tree, but they are in the snippets.
#[test]
fn secrets_in_comments_are_masked() {
    let yaml = with_app_lines(&format!(
        "    # password: hunter5-in-comment\n    regoin: x  # old key {KEY}\n    # see https://u:Pa55w0rdXyz@h/\n"
    ));
    let human = lint_hides(
        "comments",
        &yaml,
        &["hunter5-in-comment", KEY, "Pa55w0rdXyz"],
        &[(UNKNOWN_KEY, 9)],
    );
    assert!(human.contains("did you mean `region`?"), "{human}");
}

/// A file that is not UTF-8 still gets a snippet around the bad byte: the lines it
/// shows are masked like those around a syntax error.
#[test]
fn secrets_beside_a_byte_that_is_not_utf8_are_masked() {
    let yaml = with_app_lines(&format!(
        "    password: hunter9-near-bad-byte\n    holder: {KEY}\n    note: \u{1}\n"
    ));
    let mut bytes = yaml.into_bytes();
    let at = bytes
        .iter()
        .position(|&b| b == 1)
        .expect("placeholder byte");
    bytes[at] = 0xff;
    let dir = workdir("not_utf8").with("callbacks.yaml", bytes);
    lint_every_format(&dir, &["hunter9-near-bad-byte", KEY], |format, out| {
        assert!(
            out.stderr.contains("not-utf8") || out.stdout.contains("not-utf8"),
            "{format}:\n{}\n{}",
            out.stdout,
            out.stderr
        );
    });
}
