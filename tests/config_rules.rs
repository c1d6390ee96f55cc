//! Every validation rule: which diagnostics, at which lines, and what a user sees.

use insta::assert_snapshot;

use crate::support::{codes_and_lines, fixture, load, rendered};

/// A valid one-app file to break in small ways: `conference-prod.yaml` with a second
/// command.
fn base() -> String {
    fixture("conference-prod.yaml")
        + "        - Mic.CallbackAfterSeatInfoChanged
"
}

fn check(yaml: &str, expected: &[(&str, usize)]) -> String {
    let loaded = load(yaml);
    assert_eq!(
        codes_and_lines(&loaded),
        expected,
        "\n{}",
        rendered(&loaded)
    );
    rendered(&loaded)
}

#[test]
fn the_base_file_is_valid() {
    let loaded = load(&base());
    assert!(loaded.diagnostics.is_empty(), "{}", rendered(&loaded));
    let config = loaded.config.expect("valid");
    assert_eq!(config.apps.len(), 1);
    let app = &config.apps[0];
    assert_eq!(app.sdkappid, 1_400_000_001);
    assert_eq!(app.identifier, "administrator");
    assert_eq!(app.region, Some(cbcheck::testing::Region::Singapore));
    assert_eq!(app.callback.as_ref().map(|c| c.commands.len()), Some(2));
    assert_eq!(
        rendered(&load(&base())),
        "callbacks.yaml: valid: 1 app, no warnings\n"
    );
}

#[test]
fn five_mistakes_give_five_diagnostics_at_their_lines() {
    let yaml = "\
version: 1
defaults:
  region: singapore
  identifier: administrator
apps:
  - name: conference-prod
    sdkappid: 1400000001
    callback:
      url: https://hooks.example.com/tencent/room
      comands:
        - Room.CallbackAfterCreateRoom
  - name: conference-prod
    sdkappid: 1400000001
    region: singapur
    callback:
      url: https://hooks.example.com/tencent/room
      commands:
        - Room.CallbackAfterCreateRooom
";
    let out = check(
        yaml,
        &[
            ("cbcheck::config::unknown-key", 10),
            ("cbcheck::config::duplicate-name", 12),
            ("cbcheck::config::duplicate-sdkappid", 13),
            ("cbcheck::config::unknown-region", 14),
            ("cbcheck::config::unknown-command", 18),
        ],
    );
    assert_snapshot!("five_mistakes", out);
}

#[test]
fn yaml_syntax_error_stops_the_load_with_its_position() {
    let out = check(
        "version: 1\napps: [1, 2\ndefaults: {}\n",
        &[("cbcheck::config::syntax", 3)],
    );
    assert_snapshot!("syntax", out);
}

#[test]
fn duplicate_yaml_keys_are_a_syntax_error() {
    let yaml = base().replace(
        "    sdkappid: 1400000001\n",
        "    sdkappid: 1400000001\n    sdkappid: 1400000002\n",
    );
    check(&yaml, &[("cbcheck::config::syntax", 8)]);
}

#[test]
fn empty_file_and_non_mapping() {
    assert_snapshot!(
        "empty_file",
        check("", &[("cbcheck::config::empty-file", 1)])
    );
    check("# only a comment\n", &[("cbcheck::config::empty-file", 1)]);
    assert_snapshot!(
        "not_a_mapping",
        check("- a\n- b\n", &[("cbcheck::config::wrong-type", 1)])
    );
    check("just text\n", &[("cbcheck::config::wrong-type", 1)]);
}

#[test]
fn wrong_types_are_reported_each_at_its_value() {
    let yaml = "\
version: '1'
apps:
  - sdkappid: '1400000001'
    region: singapore
    identifier: [a, b]
    allow_insecure_url: yes
    callback:
      url: 42
      commands: Room.CallbackAfterCreateRoom
";
    let out = check(
        yaml,
        &[
            ("cbcheck::config::wrong-type", 1),
            ("cbcheck::config::wrong-type", 3),
            ("cbcheck::config::wrong-type", 5),
            ("cbcheck::config::wrong-type", 6),
            ("cbcheck::config::wrong-type", 8),
            ("cbcheck::config::wrong-type", 9),
        ],
    );
    assert!(out.contains("remove the quotes"), "{out}");
    assert_snapshot!("wrong_types", out);
}

#[test]
fn missing_keys() {
    let yaml = "\
apps:
  - name: a
    callback:
      url: https://hooks.example.com/a
";
    let out = check(
        yaml,
        &[
            ("cbcheck::config::missing-key", 1),
            ("cbcheck::config::missing-key", 2),
            ("cbcheck::config::missing-key", 2),
            ("cbcheck::config::missing-key", 2),
            ("cbcheck::config::missing-key", 4),
        ],
    );
    for key in ["version", "sdkappid", "region", "identifier", "commands"] {
        assert!(
            out.contains(&format!("{key}`")),
            "{key} not reported:\n{out}"
        );
    }
    assert_snapshot!("missing_keys", out);
    check("version: 1\n", &[("cbcheck::config::missing-key", 1)]);
}

#[test]
fn region_may_come_from_defaults_or_be_replaced_by_an_endpoint() {
    let yaml = base().replace("  region: singapore\n", "");
    check(&yaml, &[("cbcheck::config::missing-key", 5)]);
    let with_endpoint = yaml.replace(
        "    sdkappid: 1400000001\n",
        "    sdkappid: 1400000001\n    endpoint: https://adminapisgp.my-imcloud.com\n",
    );
    let loaded = load(&with_endpoint);
    assert!(loaded.diagnostics.is_empty(), "{}", rendered(&loaded));
    let app = &loaded.config.expect("valid").apps[0];
    assert_eq!(app.region, None);
    assert_eq!(
        app.endpoint.as_ref().map(|u| u.as_str()),
        Some("https://adminapisgp.my-imcloud.com/")
    );
}

#[test]
fn an_endpoint_off_the_vendor_hosts_is_a_warning() {
    let with = |endpoint: &str| {
        base().replace(
            "    sdkappid: 1400000001\n",
            &format!("    sdkappid: 1400000001\n    endpoint: {endpoint}\n"),
        )
    };
    for documented in [
        "https://ADMINAPISGP.IM.QCLOUD.COM",
        "https://console.tim.qq.com:443/",
        "https://adminapi.my-imcloud.com",
        "https://adminapiusa.my-imcloud.com",
    ] {
        check(&with(documented), &[]);
    }
    for (endpoint, label) in [
        ("http://127.0.0.1:8080", "plain http"),
        ("https://tencent-proxy.example.com", "not a vendor host"),
        ("http://adminapisgp.im.qcloud.com", "plain http"),
        ("https://adminapisgp.im.qcloud.com:8443", "not port 443"),
        (
            "https://adminapisgp.im.qcloud.com.evil.example",
            "not a vendor host",
        ),
    ] {
        let out = check(
            &with(endpoint),
            &[("cbcheck::config::unlisted-endpoint", 8)],
        );
        assert!(out.contains(label), "{endpoint}: {out}");
        assert!(out.contains("--allow-endpoint"), "{out}");
        // A warning: the file stays valid.
        assert!(load(&with(endpoint)).config.is_some());
    }
    assert_snapshot!(
        "unlisted_endpoint",
        check(
            &with("https://tencent-proxy.example.com:8443"),
            &[("cbcheck::config::unlisted-endpoint", 8)]
        )
    );
}

#[test]
fn unknown_keys_everywhere_with_suggestions() {
    let yaml = "\
version: 1
defualts:
  region: singapore
apps:
  - name: a
    sdkappid: 1400000001
    regoin: singapore
    identifier: admin
    colour: blue
    callback:
      url: https://hooks.example.com/a
      comands: [Room.CallbackAfterCreateRoom]
";
    let out = check(
        yaml,
        &[
            ("cbcheck::config::unknown-key", 2),
            ("cbcheck::config::unknown-key", 7),
            ("cbcheck::config::unknown-key", 9),
            ("cbcheck::config::unknown-key", 12),
        ],
    );
    for hint in [
        "did you mean `defaults`?",
        "did you mean `region`?",
        "did you mean `commands`?",
    ] {
        assert!(out.contains(hint), "{hint}:\n{out}");
    }
    assert!(
        out.contains("the keys allowed here are: name, sdkappid"),
        "{out}"
    );
    assert_snapshot!("unknown_keys", out);
}

#[test]
fn only_version_1_is_supported() {
    let out = check(
        &base().replace("version: 1", "version: 2"),
        &[("cbcheck::config::unsupported-version", 1)],
    );
    assert_snapshot!("version_2", out);
    check(
        &base().replace("version: 1", "version: -1"),
        &[("cbcheck::config::unsupported-version", 1)],
    );
}

#[test]
fn sdkappid_must_be_a_positive_integer() {
    for (value, code) in [
        ("0", "cbcheck::config::invalid-sdkappid"),
        ("-5", "cbcheck::config::invalid-sdkappid"),
        ("1.5", "cbcheck::config::invalid-sdkappid"),
        ("abc", "cbcheck::config::wrong-type"),
        ("", "cbcheck::config::wrong-type"),
    ] {
        let yaml = base().replace("sdkappid: 1400000001", &format!("sdkappid: {value}"));
        check(&yaml, &[(code, 7)]);
    }
    let out = check(
        &base().replace("sdkappid: 1400000001", "sdkappid: -5"),
        &[("cbcheck::config::invalid-sdkappid", 7)],
    );
    assert_snapshot!("negative_sdkappid", out);
}

#[test]
fn duplicates_are_found_even_in_apps_with_other_problems() {
    let second = "  - name: conference-prod
    sdkappid: 1400000001
    region: nowhere
    callback:
      url: https://hooks.example.com/tencent/room
      commands: [Room.CallbackAfterCreateRoom]
";
    let out = check(
        &format!("{}{second}", base()),
        &[
            ("cbcheck::config::duplicate-name", 13),
            ("cbcheck::config::duplicate-sdkappid", 14),
            ("cbcheck::config::unknown-region", 15),
        ],
    );
    assert!(out.contains("first declared here"), "{out}");
    assert_snapshot!("duplicates", out);
}

#[test]
fn apps_must_not_be_empty() {
    let out = check(
        "version: 1\napps: []\n",
        &[("cbcheck::config::empty-apps", 2)],
    );
    assert_snapshot!("empty_apps", out);
    check("version: 1\napps:\n", &[("cbcheck::config::wrong-type", 2)]);
}

#[test]
fn unknown_region_lists_the_valid_ones() {
    let out = check(
        &base().replace("region: singapore", "region: tokyo"),
        &[("cbcheck::config::unknown-region", 3)],
    );
    assert!(out.contains("china, singapore, seoul, frankfurt, mumbai, silicon-valley, jakarta"));
    assert_snapshot!("unknown_region", out);
}

#[test]
fn endpoint_must_be_an_absolute_http_url() {
    for endpoint in [
        "ftp://proxy.example.com",
        "proxy.example.com",
        "https://proxy.example.com/?a=1",
        "mailto:x@example.com",
    ] {
        let yaml = base().replace(
            "    sdkappid: 1400000001\n",
            &format!("    sdkappid: 1400000001\n    endpoint: \"{endpoint}\"\n"),
        );
        check(&yaml, &[("cbcheck::config::invalid-endpoint", 8)]);
    }
    let yaml = base().replace(
        "    sdkappid: 1400000001\n",
        "    sdkappid: 1400000001\n    endpoint: ftp://proxy.example.com\n",
    );
    assert_snapshot!(
        "invalid_endpoint",
        check(&yaml, &[("cbcheck::config::invalid-endpoint", 8)])
    );
}

#[test]
fn callback_url_must_be_https_unless_allowed() {
    let http = base().replace("https://hooks", "http://hooks");
    assert_snapshot!(
        "http_url",
        check(&http, &[("cbcheck::config::insecure-url", 9)])
    );

    let allowed = http.replace(
        "    sdkappid: 1400000001\n",
        "    sdkappid: 1400000001\n    allow_insecure_url: true\n",
    );
    let loaded = load(&allowed);
    assert_eq!(
        codes_and_lines(&loaded),
        [("cbcheck::config::insecure-url", 10)]
    );
    assert!(
        !loaded.diagnostics[0].is_error(),
        "allowed http is a warning"
    );
    assert!(loaded.config.is_some(), "warnings leave the file valid");
    assert_snapshot!("http_url_allowed", rendered(&loaded));

    for url in [
        "not a url",
        "ftp://hooks.example.com/x",
        "https://",
        "/relative/path",
    ] {
        let yaml = base().replace("https://hooks.example.com/tencent/room", url);
        check(&yaml, &[("cbcheck::config::invalid-url", 9)]);
    }
    assert_snapshot!(
        "invalid_url",
        check(
            &base().replace(
                "https://hooks.example.com/tencent/room",
                "ftp://hooks.example.com/x"
            ),
            &[("cbcheck::config::invalid-url", 9)]
        )
    );
}

#[test]
fn command_words_are_checked_against_the_catalog() {
    let yaml = base().replace(
        "        - Mic.CallbackAfterSeatInfoChanged\n",
        "        - Mic.CallbackAfterSeatInfoChanged\n        - room.callbackafterdestroyroom\n        - Live.CallbackAfterCreateRoom\n        - Room.CallbackOnEverything\n        - Room.CallbackAfterCreateRoom\n",
    );
    let out = check(
        &yaml,
        &[
            ("cbcheck::config::unknown-command", 13),
            ("cbcheck::config::unknown-command", 14),
            ("cbcheck::config::unknown-command", 15),
            ("cbcheck::config::duplicate-command", 16),
        ],
    );
    assert!(
        out.contains("did you mean `Room.CallbackAfterDestroyRoom`?"),
        "{out}"
    );
    assert!(out.contains("live_config"), "{out}");
    assert!(
        out.contains("words cbcheck knows: Room.CallbackAfterCreateRoom"),
        "{out}"
    );
    assert_snapshot!("commands", out);
}

#[test]
fn both_update_room_info_spellings_are_accepted() {
    let yaml = base().replace(
        "        - Mic.CallbackAfterSeatInfoChanged\n",
        "        - Room.CallbackAfterUpdateRoomInfo\n        - Room.CallbackUpdateRoomInfo\n",
    );
    let loaded = load(&yaml);
    assert!(loaded.diagnostics.is_empty(), "{}", rendered(&loaded));
}

#[test]
fn empty_command_list_is_a_warning() {
    let yaml = base().replace(
        "      commands:\n        - Room.CallbackAfterCreateRoom\n        - Mic.CallbackAfterSeatInfoChanged\n",
        "      commands: []\n",
    );
    let loaded = load(&yaml);
    assert_eq!(
        codes_and_lines(&loaded),
        [("cbcheck::config::empty-commands", 10)]
    );
    assert!(loaded.config.is_some());
    assert_snapshot!("empty_commands", rendered(&loaded));
}

#[test]
fn other_values_are_checked() {
    let yaml = base()
        .replace(
            "  identifier: administrator\n",
            "  identifier: administrator\n  extra_commands: warning\n",
        )
        .replace(
            "    sdkappid: 1400000001\n",
            "    sdkappid: 1400000001\n    identifier: ''\n    secret_key_env: 1BAD-NAME\n",
        );
    let out = check(
        &yaml,
        &[
            ("cbcheck::config::invalid-value", 5),
            ("cbcheck::config::empty-value", 9),
            ("cbcheck::config::invalid-env-name", 10),
        ],
    );
    assert!(out.contains("did you mean `warn`?"), "{out}");
    assert_snapshot!("other_values", out);
}

#[test]
fn secrets_in_the_file_are_refused_and_never_echoed() {
    let key = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e";
    let sig = "eJyrVgrxCdYrSy1SslJQMtIzUNJRAItkpqTmlWSmZUIkElNyM";
    let yaml = base()
        .replace(
            "    sdkappid: 1400000001\n",
            &format!("    sdkappid: 1400000001\n    secret_key: {key}\n    usersig: \"{sig}\"\n"),
        )
        .replace(
            "      url: https://hooks.example.com/tencent/room\n",
            &format!("      url: https://hooks.example.com/tencent/room\n      token: tok-{key}\n"),
        );
    let loaded = load(&yaml);
    assert_eq!(
        codes_and_lines(&loaded),
        [
            ("cbcheck::config::secret-in-file", 8),
            ("cbcheck::config::secret-in-file", 9),
            ("cbcheck::config::secret-in-file", 12),
        ]
    );
    let out = rendered(&loaded);
    assert!(
        !out.contains(key) && !out.contains(&key[..16]),
        "key leaked:\n{out}"
    );
    assert!(
        !out.contains(sig) && !out.contains(&sig[..16]),
        "usersig leaked:\n{out}"
    );
    assert!(
        out.contains("secret_key_env"),
        "the help names the fix:\n{out}"
    );
    assert_snapshot!("secrets", out);

    let as_env_name = base().replace(
        "    sdkappid: 1400000001\n",
        &format!("    sdkappid: 1400000001\n    secret_key_env: {key}\n"),
    );
    let loaded = load(&as_env_name);
    assert_eq!(
        codes_and_lines(&loaded),
        [("cbcheck::config::secret-in-file", 8)]
    );
    assert!(!rendered(&loaded).contains(&key[..16]));
}

#[test]
fn aliases_and_flow_style_are_accepted() {
    let yaml = "\
version: 1
defaults: {region: seoul, identifier: admin}
x-common: &common
  - Room.CallbackAfterCreateRoom
apps:
  - {sdkappid: 1400000001, callback: {url: 'https://a.example.com/cb', commands: *common}}
";
    // `x-common` is not a key of the file: anchors live inside known keys instead.
    check(yaml, &[("cbcheck::config::unknown-key", 3)]);
    let yaml = "\
version: 1
defaults: {region: seoul, identifier: admin}
apps:
  - sdkappid: 1400000001
    callback: &cb
      url: https://a.example.com/cb
      commands: [Room.CallbackAfterCreateRoom]
  - sdkappid: 1400000002
    callback: *cb
";
    let loaded = load(yaml);
    assert!(loaded.diagnostics.is_empty(), "{}", rendered(&loaded));
    assert_eq!(loaded.config.expect("valid").apps.len(), 2);
}

#[test]
fn hostile_input_gets_a_diagnostic_not_a_panic() {
    let mut bomb = String::from("version: 1\na: &a [x,x,x,x,x,x,x,x,x,x]\n");
    for i in 1..12u8 {
        let (prev, this) = ((b'a' + i - 1) as char, (b'a' + i) as char);
        bomb.push_str(&format!(
            "{this}: &{this} [{}]\n",
            vec![format!("*{prev}"); 10].join(",")
        ));
    }
    assert_eq!(
        load(&bomb).diagnostics[0].rule.code(),
        "cbcheck::config::syntax"
    );

    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert_eq!(
        load(&deep).diagnostics[0].rule.code(),
        "cbcheck::config::syntax"
    );

    let nested_maps = format!(
        "version: 1\napps:\n{}",
        (0..200)
            .map(|i| format!("{}k:\n", " ".repeat(i)))
            .collect::<String>()
    );
    assert_eq!(
        load(&nested_maps).diagnostics[0].rule.code(),
        "cbcheck::config::syntax"
    );

    let binary = cbcheck::testing::load_bytes(
        "junk.bin".into(),
        vec![0xff, 0xfe, 0x00, 0x81, 0x13],
        &cbcheck::testing::Redaction::default(),
    );
    assert_eq!(codes_and_lines(&binary), [("cbcheck::config::not-utf8", 1)]);

    let nul = load("version: 1\n\u{0}\u{1}apps: []\n");
    assert_eq!(nul.diagnostics[0].rule.code(), "cbcheck::config::syntax");

    let documents = load(&format!("{0}---\n{0}", base()));
    assert_eq!(
        documents.diagnostics[0].rule.code(),
        "cbcheck::config::syntax"
    );
}

#[test]
fn callback_may_be_declared_absent_and_a_typo_of_it_is_caught() {
    let absent = base().replace(
        "    callback:\n      url: https://hooks.example.com/tencent/room\n      commands:\n        - Room.CallbackAfterCreateRoom\n        - Mic.CallbackAfterSeatInfoChanged\n",
        "    callback: absent\n",
    );
    let loaded = load(&absent);
    assert!(loaded.diagnostics.is_empty(), "{}", rendered(&loaded));
    assert!(loaded.config.expect("valid").apps[0].callback.is_none());
    let out = check(
        &absent.replace("callback: absent", "callback: absnet"),
        &[("cbcheck::config::wrong-type", 8)],
    );
    assert!(out.contains("did you mean `absent`?"), "{out}");
}

#[test]
fn masking_keeps_line_numbers_and_covers_nested_secrets() {
    let yaml = base()
        .replace(
            "      url: https://hooks.example.com/tencent/room\n",
            "      url: >-\n        https://hooks.example.com/tencent/room?token=line-one\n",
        )
        .replace(
            "    sdkappid: 1400000001\n",
            "    sdkappid: 1400000001\n    password: [hunter2, hunter3]\n    secret_key:\n      value: 5bd2850fff3ecb11d7c8\n",
        )
        .replace("- Mic.CallbackAfterSeatInfoChanged", "- Mic.CallbackAfterSeatInfoChangedd");
    let loaded = load(&yaml);
    let out = rendered(&loaded);
    for leaked in ["hunter2", "hunter3", "5bd2850f", "line-one"] {
        assert!(!out.contains(leaked), "{leaked} leaked:\n{out}");
    }
    // The findings after the multi-line masked values keep their real lines.
    let lines: Vec<usize> = codes_and_lines(&loaded)
        .into_iter()
        .map(|(_, l)| l)
        .collect();
    assert_eq!(lines, [8, 9, 16], "{out}");
}

fn three_services() -> String {
    fixture("three-services.yaml")
}

#[test]
fn one_sdkappid_may_appear_once_per_service() {
    let loaded = load(&three_services());
    assert!(loaded.diagnostics.is_empty(), "{}", rendered(&loaded));
    let config = loaded.config.expect("valid");
    let services: Vec<&str> = config.apps.iter().map(|a| a.service.name()).collect();
    assert_eq!(services, ["room", "live", "call"]);
    assert_eq!(config.apps[1].token_auth, Some(true));
    assert_eq!(config.apps[2].title(), "support-calls (1400000002, call)");
    assert_eq!(config.apps[0].title(), "classroom (1400000001)");

    let twice = three_services()
        .replace("    sdkappid: 1400000002\n", "    sdkappid: 1400000001\n")
        .replace("service: call\n", "service: live\n")
        .replace(
            "Call.CallbackAfterStartCall, Call.CallbackAfterEndCall",
            "Live.CallbackAfterEndBattle",
        );
    let out = check(&twice, &[("cbcheck::config::duplicate-sdkappid", 15)]);
    assert!(
        out.contains("sdkappid 1400000001 is declared twice for service `live`"),
        "{out}"
    );
}

#[test]
fn defaults_service_applies_to_every_app_without_its_own() {
    let yaml = three_services().replace("  identifier: administrator\n", "  identifier: administrator\n  service: call\n")
        .replace("    callback: {url: https://hooks.example.com/room, commands: [Room.CallbackAfterCreateRoom]}\n",
                 "    service: room\n    callback: {url: https://hooks.example.com/room, commands: [Room.CallbackAfterCreateRoom]}\n")
        .replace("    service: call\n    callback", "    callback");
    let loaded = load(&yaml);
    let config = loaded.config.expect("valid");
    let services: Vec<&str> = config.apps.iter().map(|a| a.service.name()).collect();
    assert_eq!(services, ["room", "live", "call"]);
}

#[test]
fn words_are_checked_against_their_service_catalog_not_by_prefix() {
    let yaml = three_services()
        .replace("[Live.CallbackAfterCreateRoom, Mic.CallbackAfterSeatInfoChanged]", "[Live.CallbackAfterCreateRoom, Room.CallbackAfterMemberEnter]")
        .replace("[Call.CallbackAfterStartCall, Call.CallbackAfterEndCall]", "[Call.CallbackAfterStartCall, Mic.CallbackAfterSeatInfoChanged, Call.CallbackAfterStart]");
    let out = check(
        &yaml,
        &[
            ("cbcheck::config::unknown-command", 13),
            ("cbcheck::config::unknown-command", 17),
            ("cbcheck::config::unknown-command", 17),
        ],
    );
    assert!(
        out.contains("`Room.CallbackAfterMemberEnter` belongs to the sibling service room"),
        "{out}"
    );
    assert!(
        out.contains("this entry configures v4/live_config: declare it"),
        "{out}"
    );
    // The seat word is Room's and Live's: a Call entry is told of the first that has it.
    assert!(
        out.contains("`Mic.CallbackAfterSeatInfoChanged` belongs to the sibling service room"),
        "{out}"
    );
    assert!(out.contains("in an entry with `service: room`"), "{out}");
    assert!(
        out.contains("did you mean `Call.CallbackAfterStartCall`?"),
        "{out}"
    );
}

#[test]
fn token_auth_is_for_live_entries_only() {
    let yaml = three_services().replace(
        "    service: call\n",
        "    service: call\n    token_auth: disabled\n",
    );
    let out = check(&yaml, &[("cbcheck::config::invalid-value", 17)]);
    assert!(out.contains("applies to `service: live` only"), "{out}");
    let yaml = three_services().replace("token_auth: enabled", "token_auth: on");
    let out = check(&yaml, &[("cbcheck::config::invalid-value", 12)]);
    assert!(out.contains("use one of: enabled, disabled"), "{out}");
}

/// `--app 1400000003` means an SDKAppID: a name of digits only could be mistaken for
/// one, and is refused at the name.
#[test]
fn a_name_of_digits_only_is_refused() {
    for name in ["\"1400000003\"", "'7'", "\"0042\""] {
        let yaml = base().replace("name: conference-prod", &format!("name: {name}"));
        let out = check(&yaml, &[("cbcheck::config::numeric-name", 6)]);
        assert!(out.contains("callbacks.yaml:6:11"), "{out}");
        assert!(out.contains("SDKAppID"), "{out}");
    }
    let digits = base().replace("name: conference-prod", "name: \"1400000003\"");
    assert_snapshot!("numeric_name", rendered(&load(&digits)));
    for name in ["prod-1400000003", "1400000003a", "\"1400000003 \"", "'+1'"] {
        let yaml = base().replace("name: conference-prod", &format!("name: {name}"));
        check(&yaml, &[]);
    }
}
