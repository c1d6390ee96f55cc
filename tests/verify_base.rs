//! `verify --base`: a pull request's changes are pending, not drift; live that
//! differs from the merged files too is drift.

use serde_json::Value;

use crate::support::cmd::Workdir;
use crate::support::vendor::Vendor;
use crate::support::{Cmd, Out, workdir};

const KEY: &str = "5a4b3c2d1e0f5a4b3c2d1e0f5a4b3c2d1e0f5a4b3c2d1e0f5a4b3c2d1e0f5a4b";
const CREATE: &str = "Room.CallbackAfterCreateRoom";
const DESTROY: &str = "Room.CallbackAfterDestroyRoom";

fn app(name: &str, sdkappid: u64, url: &str, commands: &[&str]) -> String {
    format!(
        "  - name: {name}\n    sdkappid: {sdkappid}\n    region: singapore\n    callback:\n      url: {url}\n      commands: [{}]\n",
        commands.join(", ")
    )
}

fn file(apps: &[String]) -> String {
    format!(
        "version: 1\ndefaults:\n  identifier: administrator\napps:\n{}",
        apps.concat()
    )
}

/// The target branch: `changed` at its old URL, `drifted`, `removed`.
fn base() -> String {
    file(&[
        app(
            "changed",
            1_400_000_001,
            "https://old.example.com/cb",
            &[CREATE],
        ),
        app(
            "drifted",
            1_400_000_002,
            "https://b.example.com/cb",
            &[CREATE],
        ),
        app(
            "removed",
            1_400_000_004,
            "https://d.example.com/cb",
            &[CREATE],
        ),
    ])
}

/// The pull request: `changed` moves and gains a word, `drifted` moves, `new` is
/// added, `removed` is gone.
fn pull_request() -> String {
    file(&[
        app(
            "changed",
            1_400_000_001,
            "https://new.example.com/cb",
            &[CREATE, DESTROY],
        ),
        app(
            "drifted",
            1_400_000_002,
            "https://b2.example.com/cb",
            &[CREATE],
        ),
        app("new", 1_400_000_003, "https://c.example.com/cb", &[CREATE]),
    ])
}

/// Live: `changed` as the base has it, `drifted` changed by hand, `new` absent.
fn vendor() -> Vendor {
    let vendor = Vendor::start();
    vendor.room(1_400_000_001, "https://old.example.com/cb", &[CREATE]);
    vendor.room(1_400_000_002, "https://hand.example.com/cb", &[CREATE]);
    vendor
}

fn dir(name: &str) -> Workdir {
    workdir(name)
        .with("base.yaml", base())
        .with("callbacks.yaml", pull_request())
}

/// `cbcheck verify callbacks.yaml --base base.yaml` in `dir` against `vendor`, with the key.
fn verify_cmd(dir: &Workdir, vendor: &Vendor) -> Cmd {
    dir.cbcheck()
        .args(["verify", "callbacks.yaml", "--base", "base.yaml"])
        .endpoint(vendor)
        .key(KEY)
}

fn verify(dir: &Workdir, vendor: &Vendor, args: &[&str]) -> Out {
    verify_cmd(dir, vendor).args(args).run()
}

fn statuses(report: &Value) -> Vec<(String, String, Value)> {
    report["apps"]
        .as_array()
        .expect("apps")
        .iter()
        .map(|app| {
            (
                app["name"].as_str().unwrap_or_default().to_owned(),
                app["status"].as_str().unwrap_or_default().to_owned(),
                app["base"].clone(),
            )
        })
        .collect()
}

#[test]
fn pending_changes_are_told_apart_from_drift() {
    let vendor = vendor();
    let dir = dir("base-apart");
    let out = verify(&dir, &vendor, &[]);
    out.code(1)
        .stderr_has("Pending changes (live is as the base declares, or the app is new): applying the file makes them; they are not drift.")
        .stderr_has("~ update changed (1400000001): v4/room_config/update_callback")
        .stderr_has("~ url: https://old.example.com/cb -> https://new.example.com/cb")
        .stderr_has("+ Room.CallbackAfterDestroyRoom")
        .stderr_has("+ create new (1400000003): v4/room_config/set_callback")
        .stderr_has("drifted (1400000002) has drifted: 1 url_mismatch; live differs from the base as well")
        .stderr_has("removed (1400000004) is declared in the base base.yaml and in no checked file: nothing deletes its live configuration")
        .stderr_has("3 apps checked: 0 in sync, 2 pending, 1 drifted, 0 failed")
        // Only the drifted app is for a person to fix now.
        .stderr_has(&format!(
            "cbcheck apply callbacks.yaml --app drifted --endpoint {}/\n",
            vendor.uri()
        ));
    // Not one diagnostic for a pending app.
    assert!(
        !out.stderr.contains("changed (1400000001) has drifted"),
        "{}",
        out.stderr
    );
    assert!(
        !out.stderr.contains("new (1400000003) has"),
        "{}",
        out.stderr
    );
    // Nothing was written.
    assert!(
        vendor
            .requests()
            .iter()
            .all(|r| r.interface().ends_with("get_callback"))
    );

    // Without the drifted app, only pending changes: exit 0.
    let only_pending = verify(&dir, &vendor, &["--app", "changed", "--app", "new"]);
    only_pending
        .code(0)
        .stderr_has("2 apps checked: 0 in sync, 2 pending, 0 drifted, 0 failed");
    // The removed app is not among those selected: not reported.
    assert!(
        !only_pending.stderr.contains("removed"),
        "{}",
        only_pending.stderr
    );

    // Without --base, the same pull request is drift, as before.
    dir.cbcheck()
        .args(["verify", "callbacks.yaml", "--app", "changed"])
        .endpoint(&vendor)
        .key(KEY)
        .run()
        .code(1)
        .stderr_has("changed (1400000001) has drifted");
}

#[test]
fn every_format_carries_pending() {
    let vendor = vendor();
    let dir = dir("base-formats");
    let json = verify(&dir, &vendor, &["--format", "json"]);
    json.code(1);
    let report = json.stdout_json();
    assert_eq!(report["version"], 3);
    assert_eq!(report["status"], "drifted");
    assert_eq!(
        report["summary"],
        serde_json::json!({"apps": 3, "in_sync": 0, "drifted": 1, "pending": 2, "unhealthy": 0, "failed": 0, "warnings": 0})
    );
    assert_eq!(
        statuses(&report),
        [
            ("changed".into(), "pending".into(), "matches".into()),
            ("drifted".into(), "drifted".into(), "differs".into()),
            ("new".into(), "pending".into(), "not_declared".into()),
        ]
    );
    assert_eq!(
        report["base"]["no_longer_declared"],
        serde_json::json!([{"file": "base.yaml", "name": "removed", "sdkappid": 1_400_000_004u64, "service": "room"}])
    );
    assert_eq!(report["base"]["file_digests"][0]["file"], "base.yaml");

    let only_pending = ["--app", "changed", "--app", "new"];
    let json = verify(
        &dir,
        &vendor,
        &[&only_pending[..], &["--format", "json"]].concat(),
    );
    json.code(0);
    assert_eq!(json.stdout_json()["status"], "pending");

    let github = verify(&dir, &vendor, &["--format", "github"]);
    github
        .code(1)
        .stdout_has("::notice file=callbacks.yaml,line=9,col=12,title=changed (1400000001)%3A pending url_mismatch::")
        .stdout_has("::notice file=callbacks.yaml,line=20,col=5,title=new (1400000003)%3A pending absent::callbacks.yaml:20: new (1400000003) has no callback configuration. Pending: the app is new in the file; applying the file calls v4/room_config/set_callback")
        .stdout_has("::error file=callbacks.yaml,line=15,col=12,title=drifted (1400000002)%3A url_mismatch::");

    let sarif = verify(&dir, &vendor, &["--format", "sarif"]).stdout_json();
    let levels: Vec<(String, String)> = sarif["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| {
            (
                r["ruleId"].as_str().unwrap_or_default().to_owned(),
                r["level"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        levels,
        [
            ("cbcheck/url_mismatch".into(), "note".into()),
            ("cbcheck/missing_command".into(), "note".into()),
            ("cbcheck/url_mismatch".into(), "error".into()),
            ("cbcheck/absent".into(), "note".into()),
        ]
    );

    let junit = verify(&dir, &vendor, &["--format", "junit"]);
    let xml = &junit.stdout;
    let case = |name: &str| {
        let start = xml.find(&format!("<testcase name=\"{name}")).expect(name);
        let end = start + xml[start..].find("</testcase>").expect("closed");
        xml[start..end].to_owned()
    };
    let changed = case("changed");
    assert!(!changed.contains("<failure"), "{changed}");
    assert!(
        changed.contains("<system-out>pending: live is as the base declares"),
        "{changed}"
    );
    assert!(
        changed.contains("~ update changed (1400000001): v4/room_config/update_callback"),
        "{changed}"
    );
    assert!(case("drifted").contains("<failure type=\"drift\""));
    assert!(xml.contains("failures=\"1\""), "{xml}");

    let markdown = verify(&dir, &vendor, &["--format", "markdown"]).stdout;
    let changes = markdown
        .find("### Changes this pull request makes")
        .expect("a changes section");
    let drift = markdown.find("| drifted |").expect("the drifted row");
    assert!(changes < drift, "{markdown}");
    assert!(
        markdown.contains("+ create new (1400000003): v4/room_config/set_callback"),
        "{markdown}"
    );
    assert!(markdown.contains("### No longer declared"), "{markdown}");
    assert!(markdown.contains("📝 pending"), "{markdown}");

    // Prometheus is the audit's: a pending change is live that differs from the file.
    let metrics = verify(&dir, &vendor, &["--format", "prometheus"]).stdout;
    assert!(
        metrics.contains("cbcheck_apps{status=\"drifted\"} 3"),
        "{metrics}"
    );

    let quiet = verify(&dir, &vendor, &["-q"]);
    quiet
        .code(1)
        .stderr_has("pending  changed  1400000001  1 url_mismatch, 1 missing_command\n")
        .stderr_has("pending  new      1400000003  1 absent\n");
}

#[test]
fn live_that_matches_neither_is_drift_even_for_a_new_app() {
    let vendor = vendor();
    // Someone configured the new app by hand, otherwise than the pull request says.
    vendor.room(1_400_000_003, "https://elsewhere.example.com/cb", &[CREATE]);
    let dir = dir("base-new-configured");
    verify(&dir, &vendor, &["--app", "new"])
        .code(1)
        .stderr_has("new (1400000003) has drifted: 1 url_mismatch; the app is new in the file, yet configured live");
    // Live already as the pull request says: in sync, whatever the base.
    vendor.room(
        1_400_000_001,
        "https://new.example.com/cb",
        &[DESTROY, CREATE],
    );
    verify(&dir, &vendor, &["--app", "changed"])
        .code(0)
        .stderr_has("1 app checked: 1 in sync, 0 drifted, 0 failed");
}

#[test]
fn an_unreadable_base_stops_the_run_and_an_invalid_one_is_a_notice() {
    let vendor = vendor();
    let dir = dir("base-bad");
    dir.cbcheck()
        .args(["verify", "callbacks.yaml", "--base", "missing.yaml"])
        .endpoint(&vendor)
        .key(KEY)
        .run()
        .code(2)
        .stderr_has("--base missing.yaml:");
    assert!(vendor.requests().is_empty(), "nothing is sent");

    // A blank base (`git show` found no such file on the target branch) declares
    // nothing: every app is new, without a notice.
    dir.write("base.yaml", "\n");
    let blank = verify(&dir, &vendor, &["--app", "new", "--app", "changed"]);
    blank
        .code(1)
        .stderr_lacks("invalid")
        .stderr_has("pending  new      1400000003  1 absent")
        .stderr_has("drifted  changed  1400000001  1 url_mismatch, 1 missing_command");
    // A broken base: the pull request that fixes it must still be checkable.
    dir.write("base.yaml", "version: 1\napps:\n  - sdkappid: [\n");
    verify(&dir, &vendor, &["--app", "changed"])
        .code(1)
        .stderr_has(
            "the base file base.yaml is invalid (1 error): no app of it is used as the base",
        )
        .stderr_has("changed (1400000001) has drifted");
}

#[test]
fn base_placeholder_values_are_named_never_shown() {
    const OLD: &str = "old-secret-path-7731";
    let vendor = Vendor::start();
    vendor.room(
        1_400_000_001,
        &format!("https://old.example.com/{OLD}/cb"),
        &[CREATE],
    );
    let dir = workdir("base-placeholders")
        .with(
            "base.yaml",
            file(&[app(
                "changed",
                1_400_000_001,
                "https://old.example.com/${OLD_PATH}/cb",
                &[CREATE],
            )]),
        )
        .with(
            "callbacks.yaml",
            file(&[app(
                "changed",
                1_400_000_001,
                "https://new.example.com/cb",
                &[CREATE],
            )]),
        );
    let out = verify_cmd(&dir, &vendor)
        .args(["--format", "json"])
        .env("OLD_PATH", OLD)
        .hides(OLD)
        .run();
    out.code(0);
    let report = out.stdout_json();
    assert_eq!(report["apps"][0]["status"], "pending");
    assert_eq!(
        report["apps"][0]["findings"][0]["live"],
        "https://old.example.com/${OLD_PATH}/cb"
    );
    // A base naming a key variable in its URL is never expanded: it matches nothing.
    dir.write(
        "base.yaml",
        file(&[app(
            "changed",
            1_400_000_001,
            "https://old.example.com/${CBCHECK_SECRET_KEY}/cb",
            &[CREATE],
        )]),
    );
    verify_cmd(&dir, &vendor)
        .run()
        .code(1)
        .stderr_has("the base file base.yaml is invalid");
    assert!(
        vendor
            .requests()
            .iter()
            .all(|r| r.interface().ends_with("get_callback"))
    );
}

/// The whole loop, as the recipes run it: the pull request's plan (pending, exit 0),
/// the JSON plan saved; then live changes for one app and the file is edited after the
/// review; the merge applies the saved plan alone: exactly the planned body for the
/// other app, the changed one left alone (exit 1), the edit ignored.
#[test]
fn the_reviewed_plan_is_what_the_merge_applies() {
    let vendor = vendor();
    let dir = dir("base-loop");
    let pending = ["--app", "changed", "--app", "new"];
    verify(&dir, &vendor, &pending)
        .code(0)
        .stderr_has("2 apps checked: 0 in sync, 2 pending, 0 drifted, 0 failed");
    let plan = dir
        .cbcheck()
        .args(["apply", "callbacks.yaml", "--dry-run", "--format", "json"])
        .args(pending)
        .endpoint(&vendor)
        .key(KEY)
        .run();
    plan.code(1);
    dir.write("plan.json", &plan.stdout);

    // After the review: someone creates `new` by hand, and the file is edited.
    vendor.room(1_400_000_003, "https://hand.example.com/cb", &[CREATE]);
    dir.write(
        "callbacks.yaml",
        pull_request().replace(
            "https://new.example.com/cb",
            "https://edited.example.com/cb",
        ),
    );
    let before = vendor.requests().len();
    dir.cbcheck()
        .args(["apply", "--plan", "plan.json", "--yes"])
        .endpoint(&vendor)
        .key(KEY)
        .run()
        .code(1)
        .stderr_has("NOT changed: it changed since the plan was shown");
    let writes: Vec<(u64, String, Value)> = vendor.requests()[before..]
        .iter()
        .filter(|r| !r.interface().ends_with("get_callback"))
        .map(|r| (r.sdkappid(), r.interface().to_owned(), r.json()))
        .collect();
    assert_eq!(
        writes,
        [(
            1_400_000_001,
            "update_callback".to_owned(),
            serde_json::json!({
                "Url": "https://new.example.com/cb",
                "CallbackCommandList": [CREATE, DESTROY]
            })
        )],
        "the planned body, not the edited file's; nothing for the app that changed"
    );
    assert_eq!(
        vendor.get(crate::support::vendor::ROOM, 1_400_000_003),
        Some(crate::support::vendor::config(
            "https://hand.example.com/cb",
            &[CREATE]
        )),
        "the app changed since the plan is left as it is"
    );
}

/// The base's key variables are the run's: a pull request cannot expand one of them
/// into a URL by leaving `secret_key_env` out of its own file.
#[test]
fn a_pull_request_cannot_expand_a_key_variable_the_base_names() {
    const PROD_KEY: &str = "prod-key-value-6161";
    let vendor = Vendor::start();
    vendor.room(
        1_400_000_001,
        &format!("https://hooks.example.com/a?k={PROD_KEY}"),
        &[CREATE],
    );
    let dir = workdir("base-key")
        .with(
            "base.yaml",
            file(&[app(
                "changed",
                1_400_000_001,
                "https://hooks.example.com/a",
                &[CREATE],
            )])
            .replace(
                "    region: singapore\n",
                "    region: singapore\n    secret_key_env: TRTC_PROD_KEY\n",
            ),
        )
        .with(
            "callbacks.yaml",
            file(&[app(
                "changed",
                1_400_000_001,
                "https://hooks.example.com/a?k=${TRTC_PROD_KEY}",
                &[CREATE],
            )]),
        );
    let out = verify_cmd(&dir, &vendor)
        .args(["--format", "json"])
        .env("TRTC_PROD_KEY", PROD_KEY)
        .hides(PROD_KEY)
        .run();
    let report = out.stdout_json();
    assert_eq!(report["apps"][0]["status"], "failed", "{report}");
    assert!(
        report["apps"][0]["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("a credential variable"),
        "{report}"
    );
}
