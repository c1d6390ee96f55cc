//! The recipes in examples/ci and .pre-commit-hooks.yaml: valid YAML, and every
//! cbcheck command they run (directly, or through the Action's inputs) parses with the
//! flags it uses; the crontab line and pre-deploy.sh run against the real binary, with
//! a stub mailer.

use clap::Parser;
use serde_json::Value;

use cbcheck::cli::Cli;

use crate::support::{repo_path, workdir};

fn yaml(path: &str) -> Value {
    serde_saphyr::from_str(&text(path)).unwrap_or_else(|e| panic!("{path} is not valid YAML: {e}"))
}

/// The `run:` scripts of every step of every job.
fn workflow_scripts(workflow: &Value) -> Vec<String> {
    workflow["jobs"]
        .as_object()
        .expect("jobs")
        .values()
        .flat_map(|job| job["steps"].as_array().cloned().unwrap_or_default())
        .filter_map(|step| step["run"].as_str().map(str::to_owned))
        .collect()
}

/// The command line action.yml runs for each step that uses the Action: `cbcheck
/// COMMAND --format FORMAT ARGS… FILES…`, with action.yml's defaults for what the step
/// leaves out. Every input a step gives must be one action.yml declares.
fn action_commands(path: &str, workflow: &Value) -> Vec<Vec<String>> {
    let action = yaml("action.yml");
    let inputs = action["inputs"].as_object().expect("action.yml inputs");
    let mut commands = Vec::new();
    for job in workflow["jobs"].as_object().expect("jobs").values() {
        for step in job["steps"].as_array().into_iter().flatten() {
            let Some(uses) = step["uses"].as_str() else {
                continue;
            };
            if !uses.starts_with("cbcheck/") {
                continue;
            }
            assert_eq!(
                uses, "cbcheck/cbcheck@v1",
                "{path}: the Action's documented name"
            );
            let given = step["with"].as_object().cloned().unwrap_or_default();
            for key in given.keys() {
                assert!(
                    inputs.contains_key(key),
                    "{path}: action.yml has no input {key}"
                );
            }
            let input = |name: &str| -> String {
                given
                    .get(name)
                    .or_else(|| inputs[name].get("default"))
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned()
            };
            // As action/run.sh runs it (its own test: .ci/test_install.py).
            let words = |name: &str| -> Vec<String> {
                input(name).split_whitespace().map(str::to_owned).collect()
            };
            let (args, files, format) = (words("args"), words("files"), input("format"));
            let line = |head: &[&str], args: &[String]| -> Vec<String> {
                let mut command: Vec<String> = head.iter().map(|w| (*w).to_owned()).collect();
                command.extend(args.iter().cloned());
                command.extend(files.iter().cloned());
                command
            };
            match input("command").as_str() {
                "plan" => {
                    commands.push(line(
                        &["cbcheck", "verify", "--format", &format, "--base", "BASE"],
                        &args,
                    ));
                    commands.push(line(
                        &["cbcheck", "apply", "--dry-run", "--format", "json"],
                        &[],
                    ));
                }
                "apply" => {
                    let plan = input("plan");
                    let mut head = vec!["cbcheck", "apply"];
                    if !plan.is_empty() {
                        head.extend(["--plan", &plan]);
                    }
                    head.extend(["--yes", "--format", "human"]);
                    commands.push(line(&head, &args));
                }
                command => commands.push(line(&["cbcheck", command, "--format", &format], &args)),
            }
        }
    }
    commands
}

/// Every `cbcheck …` command in shell text, as argument lists. `$(…)` becomes one
/// placeholder word; quotes are dropped; redirections and `;`, `&&`, `||`, `|` end it.
fn cbcheck_commands(script: &str) -> Vec<Vec<String>> {
    let mut flattened = String::new();
    let mut depth = 0;
    let mut chars = script.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek() == Some(&'(') {
            depth += 1;
            chars.next();
            flattened.push_str("SUBST");
        } else if depth > 0 {
            match c {
                '(' => depth += 1,
                ')' => depth -= 1,
                _ => {}
            }
        } else {
            flattened.push(c);
        }
    }
    let mut commands = Vec::new();
    for segment in flattened.split(['\n', ';', '|', '&', '>']) {
        let words: Vec<String> = segment
            .split_whitespace()
            .map(|w| w.trim_matches(|c| c == '"' || c == '\'').to_owned())
            .collect();
        let start = words.iter().position(|w| w == "cbcheck");
        // A command word, not an argument (as in `cargo install … cbcheck`).
        if let Some(start) = start.filter(|&i| {
            i == 0
                || matches!(
                    words[i - 1].as_str(),
                    "if" | "then" | "do" | "!" | "&&" | "exec"
                )
        }) {
            commands.push(words[start..].to_vec());
        }
    }
    commands
}

/// The text of a file in the repository.
fn text(path: &str) -> String {
    std::fs::read_to_string(repo_path(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The first line of a crontab that is neither a comment nor blank.
fn cron_line(path: &str) -> String {
    text(path)
        .lines()
        .find(|l| !l.starts_with('#') && !l.trim().is_empty())
        .unwrap_or_else(|| panic!("{path}: a cron line"))
        .to_owned()
}

fn assert_parses(origin: &str, args: &[String]) {
    if let Err(err) = Cli::try_parse_from(args) {
        panic!("{origin}: `{}` does not parse: {err}", args.join(" "));
    }
}

#[test]
fn the_github_workflows_are_valid_and_run_real_commands() {
    let mut seen = Vec::new();
    for path in [
        "examples/ci/github-pull-request.yml",
        "examples/ci/github-apply-on-merge.yml",
        "examples/ci/github-nightly-audit.yml",
    ] {
        let workflow = yaml(path);
        assert!(workflow["on"].is_object(), "{path}: triggers");
        let scripts = workflow_scripts(&workflow);
        let run = scripts.iter().flat_map(|script| cbcheck_commands(script));
        for command in run.chain(action_commands(path, &workflow)) {
            assert_parses(path, &command);
            seen.push(command.join(" "));
        }
    }
    for expected in [
        "cbcheck lint --format github callbacks.yaml",
        "cbcheck verify --format github --base BASE --report sarif=cbcheck.sarif callbacks.yaml",
        "cbcheck apply --dry-run --format json callbacks.yaml",
        "cbcheck apply --plan .cbcheck/cbcheck-plan.json --yes --format human callbacks.yaml",
        "cbcheck verify --format github --probe --probe-fail-on error --report json=cbcheck-audit.json callbacks.yaml",
    ] {
        assert!(
            seen.iter().any(|s| s == expected),
            "{expected} not in {seen:?}"
        );
    }
    let pr = yaml("examples/ci/github-pull-request.yml");
    let uploads = pr["jobs"]["plan"]["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("github/codeql-action/upload-sarif"))
        })
        .count();
    assert_eq!(uploads, 1, "SARIF goes to code scanning");
    assert_eq!(
        yaml("examples/ci/github-nightly-audit.yml")["on"]["schedule"][0]["cron"],
        "17 3 * * *"
    );
}

#[test]
fn the_gitlab_recipe_runs_real_commands_on_a_binary_checked_against_its_pin() {
    let path = "examples/ci/gitlab-ci.yml";
    let pipeline = yaml(path);
    let install = pipeline[".cbcheck"]["before_script"]
        .as_array()
        .expect("the install steps")
        .iter()
        .filter_map(Value::as_str)
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        install.contains(r#"echo "${CBCHECK_SHA256}  $asset.tar.gz" | sha256sum -c -"#),
        "{path}: the archive is checked against the pinned hash before it is unpacked"
    );
    let mut seen = Vec::new();
    for (name, job) in pipeline.as_object().expect("jobs") {
        let Some(script) = job["script"].as_array() else {
            continue;
        };
        assert_eq!(
            job["extends"], ".cbcheck",
            "{path}: {name} installs cbcheck first"
        );
        for line in script.iter().filter_map(Value::as_str) {
            for command in cbcheck_commands(line) {
                assert_parses(path, &command);
                seen.push(command.join(" "));
            }
        }
    }
    // The jobs as the YAML map holds them: in no particular order.
    seen.sort();
    assert_eq!(
        seen,
        [
            "cbcheck apply --dry-run --format json callbacks.yaml",
            "cbcheck apply --plan cbcheck-plan.json --yes callbacks.yaml",
            "cbcheck lint callbacks.yaml",
            "cbcheck verify --base base.yaml --report junit=cbcheck.xml --report markdown=cbcheck-plan.md callbacks.yaml",
            "cbcheck verify --report junit=cbcheck.xml --report json=cbcheck.json callbacks.yaml",
        ]
    );
}

#[test]
fn the_crontab_and_the_pre_deploy_script_run_real_commands() {
    for path in ["examples/ci/crontab", "examples/ci/pre-deploy.sh"] {
        let script: String = text(path)
            .lines()
            .filter(|l| !l.trim_start().starts_with('#'))
            .collect::<Vec<_>>()
            .join("\n");
        let commands = cbcheck_commands(&script);
        assert!(!commands.is_empty(), "{path} runs cbcheck");
        for command in commands {
            assert_parses(path, &command);
        }
    }
    let line = cron_line("examples/ci/crontab");
    assert_eq!(
        line.split_whitespace().take(5).collect::<Vec<_>>(),
        ["17", "3", "*", "*", "*"]
    );
    assert!(
        line.contains("cbcheck verify --probe "),
        "the nightly audit probes"
    );
    assert!(
        !line.replace("\\%", "").contains('%'),
        "cron needs % escaped"
    );
}

/// The textfile-collector cron line parses, and every metric the alert rules query is
/// one cbcheck writes (a renamed metric would silence an alert).
#[test]
fn the_prometheus_recipe_runs_a_real_command_and_alerts_on_real_metrics() {
    let path = "examples/ci/crontab-textfile-collector";
    let line = cron_line(path);
    let commands = cbcheck_commands(&line);
    assert_eq!(commands.len(), 1, "{line}");
    assert_parses(path, &commands[0]);
    assert!(line.contains("--report prometheus="), "{line}");

    let dir = workdir("alert-rules");
    let prom = dir.join("cbcheck.prom");
    dir.cbcheck()
        .arg("verify")
        .arg(repo_path("examples/fleet.yaml"))
        .arg("--live-from")
        .arg(repo_path("examples/live-snapshot.json"))
        .arg("--report")
        .arg(format!("prometheus={}", prom.display()))
        .run()
        .code(1);
    let mut written = dir.read("cbcheck.prom") + &dir.read("cbcheck_success.prom");
    // The endpoint's series come with --probe: a host that does not resolve.
    let url = "https://cbcheck-probe-test.invalid/cb";
    dir.write(
        "dead.yaml",
        crate::support::fixture("two-apps.yaml").replace("https://hooks.example.com/cb", url),
    );
    let live = crate::support::vendor::Snapshot::new()
        .room(
            1_400_000_001,
            crate::support::vendor::configured(url, &["Room.CallbackAfterCreateRoom"]),
        )
        .room(
            1_400_000_002,
            crate::support::vendor::configured(url, &["Room.CallbackAfterCreateRoom"]),
        );
    dir.write("dead.json", live.to_string());
    dir.cbcheck()
        .args(["verify", "dead.yaml", "--live-from", "dead.json", "--probe"])
        .args(["--probe-fail-on", "error", "--probe-timeout", "20"])
        .args(["--report", "prometheus=dead.prom"])
        .run()
        .code(1);
    written.push_str(&dir.read("dead.prom"));

    let rules = yaml("examples/ci/prometheus-alerts.yml");
    let rules = rules["groups"][0]["rules"].as_array().expect("rules");
    let names: Vec<&str> = rules.iter().filter_map(|r| r["alert"].as_str()).collect();
    assert_eq!(
        names,
        [
            "CallbackAuditStale",
            "CallbackConfigDrifted",
            "CallbackEndpointUnhealthy",
            "CallbackAppUnreadable"
        ]
    );
    for rule in rules {
        let expr = rule["expr"].as_str().expect("expr");
        let metrics: Vec<&str> = expr
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .filter(|word| word.starts_with("cbcheck_"))
            .collect();
        assert!(!metrics.is_empty(), "{expr}");
        for metric in &metrics {
            assert!(
                written.contains(&format!("\n{metric}")),
                "{metric} (in {expr}) is not written by cbcheck"
            );
        }
        // Every label an annotation names is on every series the rule queries.
        let annotations = serde_json::to_string(&rule["annotations"]).expect("text");
        for label in annotations.split("$labels.").skip(1) {
            let label: String = label
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            for series in written.lines().filter(|l| {
                metrics
                    .iter()
                    .any(|m| l.starts_with(&format!("{m}{{")) || l.starts_with(&format!("{m} ")))
            }) {
                assert!(
                    series.contains(&format!("{label}=\"")),
                    "$labels.{label} (in {}) is not on {series}",
                    rule["alert"]
                );
            }
        }
    }
}

#[test]
fn the_pre_commit_hooks_run_lint_on_the_files_they_are_given() {
    let hooks = yaml(".pre-commit-hooks.yaml");
    let hooks = hooks.as_array().expect("a list of hooks");
    let languages: Vec<(&str, &str)> = hooks
        .iter()
        .map(|hook| {
            (
                hook["id"].as_str().expect("id"),
                hook["language"].as_str().expect("language"),
            )
        })
        .collect();
    // Built from source, the released binary on PATH, the released image.
    assert_eq!(
        languages,
        [
            ("cbcheck-lint", "rust"),
            ("cbcheck-lint-system", "system"),
            ("cbcheck-lint-docker", "docker_image"),
        ]
    );
    for hook in hooks {
        assert_eq!(hook["pass_filenames"], true);
        let mut words = hook["entry"].as_str().expect("entry").split_whitespace();
        if hook["language"] == "docker_image" {
            // The image, whose entrypoint is cbcheck (Dockerfile).
            let image = words.next().expect("an image");
            assert!(image.starts_with("ghcr.io/cbcheck/cbcheck:"), "{image}");
            assert_eq!(words.clone().next(), Some("lint"));
        }
        let mut args: Vec<String> = words.map(str::to_owned).collect();
        if hook["language"] == "docker_image" {
            args.insert(0, "cbcheck".to_owned());
        }
        // pre-commit appends every matching file at once.
        args.extend([
            "callbacks.yaml".to_owned(),
            "envs/callbacks-eu.yaml".to_owned(),
        ]);
        assert_parses(".pre-commit-hooks.yaml", &args);
    }
}

#[test]
fn the_command_extractor_is_not_fooled() {
    let found = cbcheck_commands(
        "cargo install --locked --git \"$X\" cbcheck\nif cbcheck verify --app \"$a\" f.yaml; then echo ok; fi\nx=$(cbcheck --version)",
    );
    assert_eq!(found, [vec!["cbcheck", "verify", "--app", "$a", "f.yaml"]]);
}

/// A cron host as the recipes expect it: the callbacks file, an audit directory, an
/// env file with the key and a fake API, and a PATH of the real cbcheck and a stub
/// `mail` that records what it is sent.
#[cfg(unix)]
mod host {
    use std::os::unix::fs::PermissionsExt;
    use std::path::Path;
    use std::process::Output;

    use serde_json::Value;

    use crate::support::cmd::Workdir;
    use crate::support::vendor::Vendor;
    use crate::support::{repo_path, workdir};

    const KEY: &str = "3c2b1a0f9e8d7c6b5a4f3e2d1c0b5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b5e4d";
    const URL: &str = "https://hooks.example.com/rooms";
    const SDKAPPID: u64 = 1_400_000_001;
    const FILE: &str = "\
version: 1
apps:
  - name: rooms
    sdkappid: 1400000001
    region: singapore
    identifier: administrator
    callback:
      url: https://hooks.example.com/rooms
      commands: [Room.CallbackAfterCreateRoom]
";

    /// A fake vendor whose one app has a Room callback with these commands.
    fn api(commands: &[&str]) -> Vendor {
        let vendor = Vendor::start();
        vendor.room(SDKAPPID, URL, commands);
        vendor
    }

    /// The vendor was asked, and only to read the one app's Room callback.
    #[track_caller]
    fn only_read(vendor: &Vendor) {
        let requests = vendor.requests();
        assert!(!requests.is_empty(), "the vendor was asked");
        for request in requests {
            assert_eq!(
                (
                    request.method.as_str(),
                    request.path.as_str(),
                    request.sdkappid()
                ),
                ("POST", "/v4/room_config/get_callback", SDKAPPID)
            );
        }
    }

    /// A cron host (see the module) named `name` whose env file points at `vendor`.
    #[track_caller]
    fn host(name: &str, yaml: &str, vendor: &Vendor) -> Workdir {
        let dir = workdir(name).with("callbacks.yaml", yaml).with(
            "env",
            format!(
                "CBCHECK_SECRET_KEY={KEY}\nCBCHECK_ENDPOINT={}\nHOOK_HOST=hooks.example.com\n",
                vendor.uri()
            ),
        );
        let mail = dir.write(
            "bin/mail",
            format!(
                "#!/bin/sh\n{{ printf '%s to %s\\n' \"$2\" \"$3\"; cat; }} >> '{}'\n",
                dir.join("mails").display()
            ),
        );
        std::fs::set_permissions(&mail, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_cbcheck"), dir.join("bin/cbcheck"))
            .expect("cbcheck on PATH");
        std::fs::create_dir_all(dir.join("audit")).expect("audit dir");
        dir
    }

    /// `sh -c script` in `dir`, with cron's bare environment plus the host's bin/.
    fn sh(dir: &Path, script: &str, env: &[(&str, String)]) -> Output {
        let mut cmd = std::process::Command::new("/bin/sh");
        cmd.arg("-c").arg(script).current_dir(dir).env_clear().env(
            "PATH",
            format!("{}:/usr/bin:/bin", dir.join("bin").display()),
        );
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().expect("sh runs")
    }

    /// The crontab's command as cron runs it: after the five time fields, with `\%`
    /// unescaped, on this host's paths.
    fn cron_command(dir: &Path, env_file: &Path) -> String {
        let line = super::cron_line("examples/ci/crontab");
        let mut rest = line.as_str();
        for _ in 0..5 {
            rest = rest.trim_start();
            rest = &rest[rest.find(char::is_whitespace).unwrap_or(rest.len())..];
        }
        rest.trim()
            .replace("\\%", "%")
            .replace("/srv/callbacks", &dir.display().to_string())
            .replace("/etc/cbcheck/env", &env_file.display().to_string())
    }

    fn mails(dir: &Path) -> String {
        std::fs::read_to_string(dir.join("mails")).unwrap_or_default()
    }

    /// The one dated report in audit/, parsed.
    fn audit_report(dir: &Path) -> Option<Value> {
        let entry = std::fs::read_dir(dir.join("audit")).ok()?.next()?.ok()?;
        serde_json::from_str(&std::fs::read_to_string(entry.path()).ok()?).ok()
    }

    #[test]
    fn the_crontab_mails_on_every_exit_but_0_and_always_keeps_the_report() {
        let in_sync = api(&["Room.CallbackAfterCreateRoom"]);
        let drifted = api(&["Room.CallbackAfterDestroyRoom"]);
        // The crontab probes every endpoint it can and fails on a dead one: a host
        // written with ${HOOK_HOST} is not probed (the test makes no DNS query for it),
        // a `.invalid` one never resolves.
        let unprobed = FILE.replace(URL, "https://${HOOK_HOST}/rooms");
        let broken = unprobed.replace("commands:", "comands:");
        let dead_url = "https://cbcheck-probe-test.invalid/rooms";
        let dead = Vendor::start();
        dead.room(SDKAPPID, dead_url, &["Room.CallbackAfterCreateRoom"]);
        let dead_file = FILE.replace(URL, dead_url);
        for (name, yaml, server, code, status) in [
            ("cron-in-sync", unprobed.as_str(), &in_sync, 0, "in_sync"),
            ("cron-drift", unprobed.as_str(), &drifted, 1, "drifted"),
            (
                "cron-dead-endpoint",
                dead_file.as_str(),
                &dead,
                1,
                "unhealthy",
            ),
            ("cron-invalid", broken.as_str(), &in_sync, 2, "invalid"),
        ] {
            let dir = host(name, yaml, server);
            let out = sh(&dir, &cron_command(&dir, &dir.join("env")), &[]);
            assert_eq!(
                out.status.code(),
                Some(0),
                "{name}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let report = audit_report(&dir).unwrap_or_else(|| panic!("{name}: no report"));
            assert_eq!(report["status"], status, "{name}");
            let mails = mails(&dir);
            if code == 0 {
                assert_eq!(mails, "", "{name}");
            } else {
                assert!(
                    mails.starts_with("callback audit failed to ops@example.com\n")
                        && mails.contains(&format!("cbcheck exited {code}")),
                    "{name}: {mails}"
                );
            }
        }
        // No env file: cbcheck never runs, and that too is mailed.
        let dir = host("cron-no-env", FILE, &in_sync);
        let out = sh(&dir, &cron_command(&dir, &dir.join("missing-env")), &[]);
        assert_eq!(out.status.code(), Some(0));
        assert!(audit_report(&dir).is_none());
        let mails = mails(&dir);
        assert!(
            mails.contains("cbcheck exited ") && !mails.contains("cbcheck exited 0"),
            "{mails}"
        );
        only_read(&in_sync);
        only_read(&drifted);
    }

    #[test]
    fn pre_deploy_deploys_only_when_in_sync_and_passes_the_exit_code_on() {
        let in_sync = api(&["Room.CallbackAfterCreateRoom"]);
        let drifted = api(&["Room.CallbackAfterDestroyRoom"]);
        let broken = FILE.replace("commands:", "comands:");
        let script = repo_path("examples/ci/pre-deploy.sh");
        for (name, yaml, server, code) in [
            ("deploy-in-sync", FILE, &in_sync, 0),
            ("deploy-drift", FILE, &drifted, 1),
            ("deploy-invalid", broken.as_str(), &in_sync, 2),
            ("deploy-unknown-app", FILE, &in_sync, 2),
        ] {
            let dir = host(name, yaml, server);
            let app = if name == "deploy-unknown-app" {
                "no-such-app"
            } else {
                "rooms"
            };
            let out = sh(
                &dir,
                &format!("sh '{}' {app} callbacks.yaml", script.display()),
                &[
                    ("CBCHECK_SECRET_KEY", KEY.to_owned()),
                    ("CBCHECK_ENDPOINT", server.uri()),
                ],
            );
            let stdout = String::from_utf8_lossy(&out.stdout);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(code), "{name}: {stderr}");
            if code == 0 {
                assert_eq!(stdout, "callback of rooms is in sync: deploying\n");
            } else {
                assert!(
                    stderr.contains(&format!("not deploying: cbcheck exited {code} for {app}")),
                    "{name}: {stderr}"
                );
                assert!(!stdout.contains("deploying"), "{name}: {stdout}");
            }
        }
        only_read(&in_sync);
        only_read(&drifted);
    }
}
