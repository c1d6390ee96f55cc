//! `export` of a fleet: many SDKAppIDs of several regions and services in one run,
//! through the real binary against the fake vendor.

use crate::support::cmd::Workdir;
use crate::support::vendor::{self, CALL, LIVE, ROOM, Reply, Vendor, config};
use crate::support::{Out, repo_path, workdir};

const KEY: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";

const ROOM_ONLY: u64 = 1_400_000_001;
const LIVE_ONLY: u64 = 1_400_000_002;
const CALL_ONLY: u64 = 1_400_000_003;
const ROOM_AND_LIVE: u64 = 1_400_000_004;
const NOTHING: u64 = 1_400_000_009;

/// A Live word cbcheck's catalog does not have: left out of the file as a comment.
const FUTURE_LIVE_WORD: &str = "Live.CallbackAfterFutureThing";

/// Five SDKAppIDs: Room only, Live only (with a word the catalog lacks), Call only,
/// Room and Live, and one with nothing configured in any service.
fn fleet_vendor() -> Vendor {
    let vendor = Vendor::start();
    vendor.set(
        ROOM,
        ROOM_ONLY,
        Some(config(
            "https://hooks.example.com/room-1",
            &["Room.CallbackAfterCreateRoom"],
        )),
    );
    vendor.set(
        LIVE,
        LIVE_ONLY,
        Some(config(
            "https://hooks.example.com/live-2",
            &["Live.CallbackAfterCreateRoom", FUTURE_LIVE_WORD],
        )),
    );
    vendor.set(
        CALL,
        CALL_ONLY,
        Some(config(
            "https://hooks.example.com/call-3",
            &["Call.CallbackAfterStartCall"],
        )),
    );
    vendor.set(
        ROOM,
        ROOM_AND_LIVE,
        Some(config(
            "https://hooks.example.com/room-4",
            &["Room.CallbackAfterDestroyRoom"],
        )),
    );
    vendor.set(
        LIVE,
        ROOM_AND_LIVE,
        Some(config(
            "https://hooks.example.com/live-4",
            &["Live.CallbackAfterCreateRoom"],
        )),
    );
    vendor
}

/// `cbcheck ARGS --endpoint <vendor>` in `dir` with the key, which is never shown.
fn run(dir: &Workdir, vendor: &Vendor, args: &[&str]) -> Out {
    dir.cbcheck()
        .args(args)
        .endpoint(vendor)
        .key(KEY)
        .hides(vendor::LIVE_TOKEN)
        .run()
}

/// The fleet as comma lists: three in the default region, two with their own.
const BY_LIST: [&str; 6] = [
    "--sdkappid",
    "1400000001,1400000002,1400000009",
    "--sdkappid",
    "1400000003:seoul,1400000004:seoul",
    "--region",
    "singapore",
];

/// The same fleet as an `--sdkappid-file`, with comments and blank lines.
const FLEET_FILE: &str = "\
# the adopted fleet
1400000001:singapore
1400000002          # live only

1400000009:singapore
  1400000003:seoul
1400000004:seoul # room and live
";

const COUNTS: &str = "wrote callbacks.yaml: 5 SDKAppIDs, 5 service entries (2 room, 2 live, 1 call), 1 SDKAppID with none\n";

/// Exports the fleet with `how` to callbacks.yaml, checks the file through lint and
/// verify against the same vendor, and gives its text.
fn export_round_trip(dir: &Workdir, vendor: &Vendor, how: &[&str]) -> String {
    let out = run(
        dir,
        vendor,
        &[&["export", "-o", "callbacks.yaml"][..], how].concat(),
    );
    out.code(0).stderr_has(COUNTS);
    let written = dir.read("callbacks.yaml");
    let lint = dir.cbcheck().args(["lint", "callbacks.yaml"]).run();
    assert_eq!(lint.code, Some(0), "{}\n{written}", lint.stderr);
    lint.stderr_has("valid: 5 apps");
    let verify = run(dir, vendor, &["verify", "callbacks.yaml"]);
    assert_eq!(verify.code, Some(0), "{}\n{written}", verify.stderr);
    verify.stderr_has("5 apps checked: 5 in sync, 0 drifted, 0 failed");
    assert!(vendor.writes().is_empty(), "export and verify never write");
    written
}

#[test]
fn a_mixed_fleet_of_two_regions_exports_each_service_and_verifies_in_sync() {
    let vendor = fleet_vendor();
    let dir = workdir("comma-lists");
    let written = export_round_trip(&dir, &vendor, &BY_LIST);

    // Singapore has most apps: it is the default, Seoul's apps say their region.
    assert!(
        written.contains("defaults:\n  region: singapore\n  identifier: administrator\n"),
        "{written}"
    );
    for (entry, service, region) in [
        (ROOM_ONLY, None, None),
        (LIVE_ONLY, Some("live"), None),
        (CALL_ONLY, Some("call"), Some("seoul")),
        (ROOM_AND_LIVE, None, Some("seoul")),
        (ROOM_AND_LIVE, Some("live"), Some("seoul")),
    ] {
        let mut lines = format!("  - sdkappid: {entry}\n");
        if let Some(service) = service {
            lines.push_str(&format!("    service: {service}\n"));
        }
        // Live's token signing is read and written as found (none configured here).
        if service == Some("live") {
            lines.push_str("    token_auth: disabled\n");
        }
        if let Some(region) = region {
            lines.push_str(&format!("    region: {region}\n"));
        }
        assert!(written.contains(&lines), "{lines} in\n{written}");
    }
    // Live-only and Call-only apps are no commented-out Room entries.
    assert!(!written.contains("# - sdkappid"), "{written}");
    assert!(!written.contains("service: room"), "{written}");
    // The app with nothing anywhere is one comment line, and nothing else.
    assert!(
        written.contains(
            "\n  # sdkappid 1400000009 (singapore): no callback configured in room, live or call\n"
        ),
        "{written}"
    );
    assert_eq!(
        written.matches(&NOTHING.to_string()).count(),
        1,
        "{written}"
    );
    // The Live app's unknown word is named as not a Live word.
    assert!(
        written.contains(&format!(
            "# live also has {FUTURE_LIVE_WORD}, not a Live command word: left out"
        )),
        "{written}"
    );
    assert!(!written.contains("not a Room command word"), "{written}");
    // Every service of every SDKAppID was read (and Live's token), nothing else.
    let mut calls: Vec<String> = vendor.requests().iter().map(|r| r.call()).collect();
    calls.sort();
    calls.dedup();
    assert_eq!(
        calls,
        [
            "call_config/get_callback",
            "live_config/get_callback",
            "live_config/get_callback_token",
            "room_config/get_callback",
        ]
    );
}

#[test]
fn an_sdkappid_file_exports_the_same_file_as_comma_lists() {
    let vendor = fleet_vendor();
    let by_list = export_round_trip(&workdir("list"), &vendor, &BY_LIST);
    let dir = workdir("file").with("fleet.txt", FLEET_FILE);
    let by_file = export_round_trip(
        &dir,
        &vendor,
        &["--sdkappid-file", "fleet.txt", "--region", "singapore"],
    );
    assert_eq!(by_file, by_list);
}

#[test]
fn a_bad_line_of_an_sdkappid_file_is_refused_naming_the_file_and_line() {
    let vendor = fleet_vendor();
    let dir = workdir("bad-line").with(
        "fleet.txt",
        "# fleet\n1400000001:singapore\n\n1400000003:mars\n",
    );
    let out = run(&dir, &vendor, &["export", "--sdkappid-file", "fleet.txt"]);
    out.code(2)
        .stderr_has("fleet.txt:4: `mars` is not a region (one of: china, singapore,");
    let out = run(
        &dir,
        &vendor,
        &["export", "--sdkappid-file", "fleet.txt", "--sdkappid", "x1"],
    );
    out.code(2).stderr_has("`x1` is not an SDKAppID");
    assert!(vendor.requests().is_empty(), "nothing is read");
}

#[test]
fn an_sdkappid_needs_one_region() {
    let vendor = fleet_vendor();
    let dir = workdir("regions");
    run(&dir, &vendor, &["export", "--sdkappid", "1400000001"])
        .code(2)
        .stderr_has("sdkappid 1400000001 (--sdkappid) has no region");
    dir.write("fleet.txt", "1400000001:singapore\n");
    run(
        &dir,
        &vendor,
        &[
            "export",
            "--sdkappid-file",
            "fleet.txt",
            "--sdkappid",
            "1400000001:seoul",
        ],
    )
    .code(2)
    .stderr_has(
        "sdkappid 1400000001 is given with two regions: seoul (--sdkappid) and singapore (fleet.txt:1)",
    );
    assert!(vendor.requests().is_empty(), "nothing is read");

    // The same app twice in one region is exported once.
    let out = run(
        &dir,
        &vendor,
        &[
            "export",
            "--sdkappid-file",
            "fleet.txt",
            "--sdkappid",
            "1400000001",
            "--region",
            "singapore",
        ],
    );
    out.code(0);
    assert_eq!(
        out.stdout.matches("sdkappid: 1400000001").count(),
        1,
        "{}",
        out.stdout
    );
}

#[test]
fn output_refuses_an_existing_file_without_force() {
    let vendor = fleet_vendor();
    let dir = workdir("force").with("callbacks.yaml", "# keep me\n");
    let args = ["export", "--sdkappid", "1400000001:singapore"];
    let out = run(
        &dir,
        &vendor,
        &[&args[..], &["-o", "callbacks.yaml"]].concat(),
    );
    out.code(2)
        .stderr_has("callbacks.yaml already exists; `cbcheck export -o` leaves it as it is")
        .stderr_has("--force");
    assert_eq!(dir.read("callbacks.yaml"), "# keep me\n");
    assert!(vendor.requests().is_empty(), "refused before any request");

    let out = run(
        &dir,
        &vendor,
        &[&args[..], &["-o", "callbacks.yaml", "--force"]].concat(),
    );
    out.code(0)
        .stderr_has("wrote callbacks.yaml: 1 SDKAppID, 1 service entry (1 room)\n");
    let written = dir.read("callbacks.yaml");
    assert!(written.contains("  - sdkappid: 1400000001\n"), "{written}");

    // --from refreshes its file in place without --force.
    run(
        &dir,
        &vendor,
        &["export", "--from", "callbacks.yaml", "-o", "callbacks.yaml"],
    )
    .code(0);
    assert_eq!(dir.read("callbacks.yaml"), written);
}

#[test]
fn the_schema_line_points_at_this_version_published_schema() {
    let vendor = fleet_vendor();
    let dir = workdir("schema");
    let out = run(&dir, &vendor, &["export", "--sdkappid", "1400000001:seoul"]);
    out.code(0);
    let cargo = std::fs::read_to_string(repo_path("Cargo.toml")).expect("Cargo.toml");
    let repository = cargo
        .lines()
        .find_map(|l| l.strip_prefix("repository = \""))
        .and_then(|l| l.strip_suffix('"'))
        .expect("Cargo.toml names its repository");
    let slug = repository
        .strip_prefix("https://github.com/")
        .expect("a GitHub repository");
    let first = out.stdout.lines().next().unwrap_or_default();
    assert_eq!(
        first,
        format!(
            "# yaml-language-server: $schema=https://raw.githubusercontent.com/{slug}/v{}/schemas/callbacks.schema.json",
            env!("CARGO_PKG_VERSION")
        )
    );
    // The file at that path of the release tag is the schema this binary prints.
    let committed =
        std::fs::read_to_string(repo_path("schemas/callbacks.schema.json")).expect("schema");
    let printed = dir.cbcheck().arg("schema").run();
    printed.code(0);
    assert_eq!(printed.stdout.trim_end(), committed.trim_end());
}

#[test]
fn an_app_that_cannot_be_read_writes_nothing_and_names_its_service() {
    let vendor = fleet_vendor();
    vendor.answer_with(Some(ROOM_AND_LIVE), |request| match request.service() {
        Some("live") if request.interface() == "get_callback" => {
            Reply::json(&vendor::fail(70_009, "signature mismatch"))
        }
        _ => Reply::json(&vendor::not_configured()),
    });
    let dir = workdir("unreadable");
    let out = run(
        &dir,
        &vendor,
        &[&["export", "-o", "callbacks.yaml"][..], &BY_LIST].concat(),
    );
    out.code(3)
        .stderr_has("error: sdkappid 1400000004 (live) could not be read (auth)")
        .stderr_has("nothing was written");
    assert!(!dir.join("callbacks.yaml").exists());
}

#[test]
fn explicit_services_keep_their_commented_absent_entries() {
    let vendor = fleet_vendor();
    let dir = workdir("explicit");
    let out = run(
        &dir,
        &vendor,
        &[
            "export",
            "--sdkappid",
            "1400000001,1400000002",
            "--region",
            "singapore",
            "--service",
            "room",
        ],
    );
    out.code(0);
    // Room was asked for: the Live-only app is the entry to uncomment.
    assert!(
        out.stdout.contains("  - sdkappid: 1400000001\n"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("  # - sdkappid: 1400000002\n  #   callback: absent\n"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("service: live"), "{}", out.stdout);
}
