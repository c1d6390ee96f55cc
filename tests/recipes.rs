//! The recipes in examples/ci and .pre-commit-hooks.yaml: valid YAML, and every
//! cbcheck command they run (directly, or through the Action's inputs) parses with the
//! flags it uses.

use clap::Parser;
use serde_json::Value;

use cbcheck::cli::Cli;

use crate::support::repo_path;

fn yaml(path: &str) -> Value {
    let text = std::fs::read_to_string(repo_path(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{path} is not valid YAML: {e}"))
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
            let mut command = vec![
                "cbcheck".to_owned(),
                input("command"),
                "--format".to_owned(),
                input("format"),
            ];
            // action.yml splits args and files at whitespace, with no shell quoting.
            command.extend(input("args").split_whitespace().map(str::to_owned));
            command.extend(input("files").split_whitespace().map(str::to_owned));
            commands.push(command);
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
            i == 0 || matches!(words[i - 1].as_str(), "if" | "then" | "do" | "!" | "&&")
        }) {
            commands.push(words[start..].to_vec());
        }
    }
    commands
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
        "cbcheck verify --format github --report sarif=cbcheck.sarif callbacks.yaml",
        "cbcheck verify --format github --report json=cbcheck-audit.json callbacks.yaml",
    ] {
        assert!(
            seen.iter().any(|s| s == expected),
            "{expected} not in {seen:?}"
        );
    }
    let pr = yaml("examples/ci/github-pull-request.yml");
    let uploads = pr["jobs"]["verify"]["steps"]
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
    assert_eq!(
        seen,
        [
            "cbcheck lint callbacks.yaml",
            "cbcheck verify --report junit=cbcheck.xml --report json=cbcheck.json callbacks.yaml",
        ]
    );
}

#[test]
fn the_crontab_and_the_pre_deploy_script_run_real_commands() {
    for path in ["examples/ci/crontab", "examples/ci/pre-deploy.sh"] {
        let text = std::fs::read_to_string(repo_path(path)).expect("recipe");
        let script: String = text
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
    let crontab = std::fs::read_to_string(repo_path("examples/ci/crontab")).expect("crontab");
    let line = crontab
        .lines()
        .find(|l| !l.starts_with('#') && !l.trim().is_empty())
        .expect("a cron line");
    assert_eq!(
        line.split_whitespace().take(5).collect::<Vec<_>>(),
        ["17", "3", "*", "*", "*"]
    );
    assert!(
        line.contains("case $rc in 1|3|4)"),
        "alerts on drift, credentials and API failures"
    );
    assert!(
        !line.replace("\\%", "").contains('%'),
        "cron needs % escaped"
    );
}

#[test]
fn the_pre_commit_hook_runs_lint_on_the_files_it_is_given() {
    let hooks = yaml(".pre-commit-hooks.yaml");
    let hook = &hooks[0];
    assert_eq!(hook["id"], "cbcheck-lint");
    assert_eq!(hook["language"], "rust");
    assert_eq!(hook["pass_filenames"], true);
    let mut args: Vec<String> = hook["entry"]
        .as_str()
        .expect("entry")
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    // pre-commit appends every matching file at once.
    args.extend([
        "callbacks.yaml".to_owned(),
        "envs/callbacks-eu.yaml".to_owned(),
    ]);
    assert_parses(".pre-commit-hooks.yaml", &args);
}

#[test]
fn the_command_extractor_is_not_fooled() {
    let found = cbcheck_commands(
        "cargo install --locked --git \"$X\" cbcheck\nif cbcheck verify --app \"$a\" f.yaml; then echo ok; fi\nx=$(cbcheck --version)",
    );
    assert_eq!(found, [vec!["cbcheck", "verify", "--app", "$a", "f.yaml"]]);
}
