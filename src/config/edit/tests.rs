use super::yaml::{get, str_of};
use super::*;
use crate::model::redact::Redaction;

/// What live has for one app: `None` for 100301.
type Live<'a> = Option<(&'a str, &'a [&'a str])>;

fn refreshed(text: &str, live: &[Live<'_>]) -> Result<Refreshed, EditError> {
    let loaded = super::super::load_bytes(
        "t.yaml".to_owned(),
        text.as_bytes().to_vec(),
        &Redaction::default(),
    );
    let config = loaded
        .config
        .unwrap_or_else(|| panic!("valid: {:?}", loaded.diagnostics));
    let commands: Vec<Vec<String>> = live
        .iter()
        .map(|l| {
            l.map_or_else(Vec::new, |(_, c)| {
                c.iter().map(|w| (*w).to_owned()).collect()
            })
        })
        .collect();
    let wants: Vec<Want<'_>> = live
        .iter()
        .zip(&commands)
        .map(|(l, commands)| match l {
            Some((url, _)) => Want::Present { url, commands },
            None => Want::Absent,
        })
        .collect();
    refresh(text, &config.apps, &wants)
}

fn edited(text: &str, live: &[Live<'_>]) -> String {
    refreshed(text, live)
        .unwrap_or_else(|err| panic!("{err:?}"))
        .text
}

const CREATE: &str = "Room.CallbackAfterCreateRoom";
const DESTROY: &str = "Room.CallbackAfterDestroyRoom";
const ENTER: &str = "Room.CallbackAfterMemberEnter";
const LEAVE: &str = "Room.CallbackAfterMemberLeave";
const WORDS: [&str; 5] = [
    CREATE,
    DESTROY,
    ENTER,
    LEAVE,
    "Mic.CallbackAfterSeatInfoChanged",
];

fn one_app(callback: &str) -> String {
    format!(
        "version: 1\napps:\n  - sdkappid: 1400000001\n    region: seoul\n    identifier: ops\n    callback:{callback}"
    )
}

#[test]
fn a_url_keeps_its_quoting_style_where_that_style_can_hold_it() {
    let cases = [
        // (file's url value, live url, written)
        (
            "https://a.example.com",
            "https://b.example.com/x",
            "https://b.example.com/x",
        ),
        (
            "'https://a.example.com'",
            "https://b.example.com/it's",
            "'https://b.example.com/it''s'",
        ),
        (
            "\"https://a.example.com\"",
            "https://b.example.com/\"q\"",
            "\"https://b.example.com/\\\"q\\\"\"",
        ),
        // Plain cannot hold ` #` or `: `; single quotes cannot hold a line break.
        (
            "https://a.example.com",
            "https://b.example.com/ #x",
            "\"https://b.example.com/ #x\"",
        ),
        (
            "https://a.example.com",
            "https://b.example.com/a: b",
            "\"https://b.example.com/a: b\"",
        ),
        // Flow indicators are plain text in a block mapping.
        (
            "https://a.example.com",
            "https://b.example.com/?x=[1,2]",
            "https://b.example.com/?x=[1,2]",
        ),
        (
            "'https://a.example.com'",
            "https://b.example.com/\n",
            "\"https://b.example.com/\\n\"",
        ),
    ];
    for (file, live, written) in cases {
        let text = one_app(&format!(
            "\n      url: {file}   # note\n      commands: [{CREATE}]\n"
        ));
        let out = edited(&text, &[Some((live, &[CREATE]))]);
        assert_eq!(
            out,
            text.replace(&format!("url: {file}"), &format!("url: {written}")),
            "{file} -> {live:?}"
        );
    }
}

#[test]
fn a_block_scalar_url_becomes_a_one_line_scalar() {
    let text = one_app(&format!(
        "\n      url: |-\n        https://a.example.com\n      commands: [{CREATE}]\n"
    ));
    let out = edited(&text, &[Some(("https://b.example.com", &[CREATE]))]);
    assert_eq!(
        out,
        one_app(&format!(
            "\n      url: https://b.example.com\n      commands: [{CREATE}]\n"
        ))
    );
}

#[test]
fn block_commands_keep_file_order_and_comments_and_new_ones_follow_in_live_order() {
    let text = one_app(&format!(
        "\n      url: https://a.example.com\n      commands:\n        # the events we need\n        - {CREATE}   # create\n        - {DESTROY}  # destroy\n        - {ENTER}\n"
    ));
    let out = edited(
        &text,
        &[Some(("https://a.example.com", &[LEAVE, ENTER, CREATE]))],
    );
    assert_eq!(
        out,
        one_app(&format!(
            "\n      url: https://a.example.com\n      commands:\n        # the events we need\n        - {CREATE}   # create\n        - {ENTER}\n        - {LEAVE}\n"
        ))
    );
    // Every command gone: an empty flow list, as a block list cannot be empty.
    let out = edited(&text, &[Some(("https://a.example.com", &[]))]);
    assert_eq!(
        out,
        one_app("\n      url: https://a.example.com\n      commands: []\n")
    );
}

#[test]
fn flow_commands_are_rewritten_as_one_flow_list() {
    let text = one_app(&format!(
        "\n      url: https://a.example.com\n      commands: [ {CREATE},  '{DESTROY}' ]  # two\n"
    ));
    let out = edited(&text, &[Some(("https://a.example.com", &[ENTER, DESTROY]))]);
    assert_eq!(
        out,
        one_app(&format!(
            "\n      url: https://a.example.com\n      commands: ['{DESTROY}', {ENTER}]  # two\n"
        ))
    );
    let empty = one_app("\n      url: https://a.example.com\n      commands: []\n");
    let out = edited(&empty, &[Some(("https://a.example.com", &[CREATE]))]);
    assert_eq!(out, empty.replace("[]", &format!("[{CREATE}]")));
}

#[test]
fn a_command_added_at_the_end_of_a_file_without_a_last_line_break() {
    let text = one_app(&format!(
        "\n      url: https://a.example.com\n      commands:\n        - {CREATE}"
    ));
    let out = edited(&text, &[Some(("https://a.example.com", &[CREATE, ENTER]))]);
    assert_eq!(out, format!("{text}\n        - {ENTER}"));
}

#[test]
fn absent_and_present_trade_places_in_block_and_flow_entries() {
    let before = "version: 1\r\ndefaults: {region: seoul, identifier: ops}\r\napps:\r\n  - sdkappid: 1400000001\r\n    callback: absent  # off\r\n  - {sdkappid: 1400000002, callback: absent}\r\n  - sdkappid: 1400000003\r\n    callback:\r\n      url: https://a.example.com\r\n      commands: [Room.CallbackAfterCreateRoom]\r\n  - {sdkappid: 1400000004, callback: {url: https://a.example.com, commands: []}}\r\n";
    let after = "version: 1\r\ndefaults: {region: seoul, identifier: ops}\r\napps:\r\n  - sdkappid: 1400000001\r\n    callback:  # off\r\n      url: https://n.example.com\r\n      commands:\r\n        - Room.CallbackAfterMemberEnter\r\n  - {sdkappid: 1400000002, callback: {url: \"https://f.example.com/a,b\", commands: [Room.CallbackAfterMemberEnter]}}\r\n  - sdkappid: 1400000003\r\n    callback: absent\r\n  - {sdkappid: 1400000004, callback: absent}\r\n";
    // Added lines end as the file's do: CRLF, or a bare CR.
    for eol in ["\r\n", "\r"] {
        let out = edited(
            &before.replace("\r\n", eol),
            &[
                Some(("https://n.example.com", &[ENTER])),
                Some(("https://f.example.com/a,b", &[ENTER])),
                None,
                None,
            ],
        );
        assert_eq!(out, after.replace("\r\n", eol));
    }
}

#[test]
fn keys_the_file_inherits_are_overridden_on_the_app_and_defaults_stay() {
    // An unknown live word needs `extra_commands: warn`; an http URL needs
    // `allow_insecure_url: true`; a declared `token_auth` follows live.
    let text = "version: 1\ndefaults:\n  region: seoul\n  identifier: ops\n  extra_commands: error\napps:\n  - sdkappid: 1400000001\n    callback:\n      url: https://a.example.com\n      commands: [Room.CallbackAfterCreateRoom]\n  - sdkappid: 1400000002\n    service: live\n    token_auth: disabled\n    extra_commands: error\n    callback: {url: https://a.example.com, commands: [Live.CallbackAfterCreateRoom]}\n";
    let loaded = super::super::load_bytes(
        "t.yaml".to_owned(),
        text.as_bytes().to_vec(),
        &Redaction::default(),
    );
    let mut apps = loaded.config.expect("valid").apps;
    apps[1].token_auth = Some(true);
    let first = vec![CREATE.to_owned(), "Room.CallbackFuture".to_owned()];
    let second = vec![
        "Live.CallbackAfterCreateRoom".to_owned(),
        "Live.Future".to_owned(),
    ];
    let wants = [
        Want::Present {
            url: "http://a.example.com",
            commands: &first,
        },
        Want::Present {
            url: "https://a.example.com",
            commands: &second,
        },
    ];
    let out = refresh(text, &apps, &wants).expect("refreshed");
    assert_eq!(
        out.text,
        "version: 1\ndefaults:\n  region: seoul\n  identifier: ops\n  extra_commands: error\napps:\n  - sdkappid: 1400000001\n    allow_insecure_url: true\n    extra_commands: warn\n    callback:\n      url: http://a.example.com\n      commands: [Room.CallbackAfterCreateRoom]\n  - sdkappid: 1400000002\n    service: live\n    token_auth: enabled\n    extra_commands: warn\n    callback: {url: https://a.example.com, commands: [Live.CallbackAfterCreateRoom]}\n"
    );
    assert_eq!(out.changed, 2);
}

#[test]
fn a_key_added_to_a_flow_entry_over_several_lines_stays_inside_it() {
    let text = "version: 1\napps:\n  - {sdkappid: 1400000001, region: seoul, identifier: ops,\n     callback: {url: https://a.example.com, commands: []}}\n";
    let out = edited(text, &[Some(("http://a.example.com", &[]))]);
    assert_eq!(
        out,
        "version: 1\napps:\n  - {sdkappid: 1400000001, region: seoul, identifier: ops,\n     allow_insecure_url: true, callback: {url: http://a.example.com, commands: []}}\n"
    );
}

#[test]
fn an_alias_gets_its_own_value_only_where_it_must_differ_from_its_anchor() {
    let text = format!(
        "version: 1\ndefaults: {{region: seoul, identifier: ops}}\napps:\n  - sdkappid: 1400000001\n    callback:\n      url: &hook https://a.example.com\n      commands: &events [{CREATE}]\n  - sdkappid: 1400000002\n    callback:\n      url: *hook\n      commands: *events\n  - sdkappid: 1400000003\n    callback:\n      url: *hook\n      commands: *events\n"
    );
    // The anchor's app moves; the second follows it; the third stays where it was.
    let out = edited(
        &text,
        &[
            Some(("https://b.example.com", &[ENTER])),
            Some(("https://b.example.com", &[ENTER])),
            Some(("https://a.example.com", &[CREATE])),
        ],
    );
    assert_eq!(
        out,
        format!(
            "version: 1\ndefaults: {{region: seoul, identifier: ops}}\napps:\n  - sdkappid: 1400000001\n    callback:\n      url: &hook https://b.example.com\n      commands: &events [{ENTER}]\n  - sdkappid: 1400000002\n    callback:\n      url: *hook\n      commands: *events\n  - sdkappid: 1400000003\n    callback:\n      url: https://a.example.com\n      commands: [{CREATE}]\n"
        )
    );
}

#[test]
fn an_anchor_survives_its_list_emptying_and_a_shared_callback_is_not_switched() {
    let text = format!(
        "version: 1\ndefaults: {{region: seoul, identifier: ops}}\napps:\n  - sdkappid: 1400000001\n    callback: &cb\n      url: https://a.example.com\n      commands: &events  # shared\n        - {CREATE}\n  - sdkappid: 1400000002\n    callback:\n      url: https://b.example.com\n      commands: *events\n"
    );
    let out = edited(
        &text,
        &[
            Some(("https://a.example.com", &[])),
            Some(("https://b.example.com", &[CREATE])),
        ],
    );
    assert_eq!(
        out,
        format!(
            "version: 1\ndefaults: {{region: seoul, identifier: ops}}\napps:\n  - sdkappid: 1400000001\n    callback: &cb\n      url: https://a.example.com\n      commands: &events []\n  - sdkappid: 1400000002\n    callback:\n      url: https://b.example.com\n      commands: [{CREATE}]\n"
        )
    );
    // `&cb` is shared once an entry uses it: then it cannot become `absent` here.
    let own = text.replace("commands: *events", &format!("commands: [{CREATE}]"));
    let unused = refreshed(&own, &[None, Some(("https://b.example.com", &[CREATE]))])
        .expect("an anchor nobody uses is no obstacle");
    assert!(
        unused
            .text
            .contains("    callback: absent\n  - sdkappid: 1400000002")
    );
    let shared = format!("{own}  - sdkappid: 1400000003\n    callback: *cb\n");
    let err = refreshed(
        &shared,
        &[None, Some(("https://b.example.com", &[CREATE])), None],
    )
    .expect_err("refused");
    assert!(err.reason.contains("anchored"), "{err:?}");
    assert_eq!(err.line, 5);
}

#[test]
fn a_value_from_a_merge_key_is_refused_naming_its_line() {
    let text = format!(
        "version: 1\ndefaults: {{region: seoul, identifier: ops}}\napps:\n  - sdkappid: 1400000001\n    callback: &cb\n      url: https://a.example.com\n      commands: [{CREATE}]\n  - sdkappid: 1400000002\n    <<: {{callback: *cb}}\n"
    );
    let loaded = super::super::load_bytes(
        "t.yaml".to_owned(),
        text.as_bytes().to_vec(),
        &Redaction::default(),
    );
    if loaded.config.is_none() {
        // The validator refuses `<<` as a key: nothing to refresh.
        return;
    }
    let err = refreshed(
        &text,
        &[
            Some(("https://a.example.com", &[CREATE])),
            Some(("https://b.example.com", &[CREATE])),
        ],
    )
    .expect_err("refused");
    assert!(err.reason.contains("merge key"), "{err:?}");
    assert_eq!(err.line, 9);
}

#[test]
fn an_unchanged_file_is_returned_byte_for_byte() {
    let text = one_app(&format!(
        "  # why\n      url: 'https://a.example.com'\n      commands:\n        - {CREATE}\n"
    ));
    let out = refreshed(&text, &[Some(("https://a.example.com", &[CREATE]))]).expect("ok");
    assert_eq!(out.text, text);
    assert_eq!(out.changed, 0);
}

mod properties {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Any file list against any live list, block or flow: the words read back
        /// as live's, the kept ones in file order and the new ones after them in
        /// live order, and no line outside the list moves.
        #[test]
        fn any_commands_read_back_in_file_then_live_order(
            file in proptest::sample::subsequence(WORDS.to_vec(), 1..=WORDS.len()).prop_shuffle(),
            live in proptest::sample::subsequence(WORDS.to_vec(), 0..=WORDS.len()).prop_shuffle(),
            flow in any::<bool>(),
        ) {
            let list = if flow {
                format!(" [{}]  # flow\n", file.join(", "))
            } else {
                file.iter().map(|w| format!("\n        - {w}  # why")).collect::<String>() + "\n"
            };
            let head = "version: 1\napps:\n  - sdkappid: 1400000001\n    region: seoul\n    identifier: ops\n    callback:\n      url: https://a.example.com\n      commands:";
            let tail = "  - sdkappid: 1400000002  # next\n    region: seoul\n    identifier: ops\n    callback: absent\n";
            let text = format!("{head}{list}{tail}");
            let out = refreshed(&text, &[Some(("https://a.example.com", &live)), None]).expect("refreshed").text;
            prop_assert!(out.starts_with(head) && out.ends_with(tail), "{}", out);
            let root = node::parse(&out).expect("parses");
            let items = app_items(&root).expect("apps");
            let callback = &get(&items[0], "callback").expect("callback").1;
            let read: Vec<&str> = match &get(callback, "commands").expect("commands").1.value {
                Value::Seq(items) => items.iter().filter_map(str_of).collect(),
                other => panic!("{other:?}"),
            };
            let expected: Vec<&str> = file
                .iter()
                .filter(|w| live.contains(w))
                .chain(live.iter().filter(|w| !file.contains(w)))
                .copied()
                .collect();
            prop_assert_eq!(read, expected);
        }

        /// Any live URL, written over any style of scalar, reads back as itself,
        /// and every other line stays as it was.
        #[test]
        fn any_url_reads_back_and_nothing_else_moves(
            url in "(https://[a-z.]{1,8}/)?[\\PC\\p{Cc}\\u{2028}\\u{2029}\\u{feff} #:'\"\\[\\]{},|>&*!%@`\\\\-]{0,24}",
            style in 0..5usize,
        ) {
            let old = ["https://a.example.com", "'https://a.example.com'", "\"https://a.example.com\"", "|-\n        https://a.example.com", "https://a.example.com"][style];
            let comment = if style == 3 { "" } else { "  # old" };
            let text = if style == 4 {
                format!("version: 1\napps:\n  - {{sdkappid: 1400000001, region: seoul, identifier: ops, callback: {{url: {old}, commands: [{CREATE}]}}}}\n  - sdkappid: 1400000002  # next\n    region: seoul\n    identifier: ops\n    callback: absent\n")
            } else {
                format!("version: 1\napps:\n  - sdkappid: 1400000001  # first\n    region: seoul\n    identifier: ops\n    callback:\n      url: {old}{comment}\n      commands: [{CREATE}]\n  - sdkappid: 1400000002  # next\n    region: seoul\n    identifier: ops\n    callback: absent\n")
            };
            let out = refreshed(&text, &[Some((&url, &[CREATE])), None]).expect("refreshed").text;
            let root = node::parse(&out).expect("parses");
            let items = app_items(&root).expect("apps");
            let callback = &get(&items[0], "callback").expect("callback").1;
            prop_assert_eq!(get(callback, "url").and_then(|(_, n)| str_of(n)), Some(url.as_str()));
            let url_line = text.lines().position(|l| l.contains("url:")).expect("url line");
            let before: Vec<&str> = text.lines().collect();
            let after: Vec<&str> = out.lines().collect();
            let skip = if style == 3 { 2 } else { 1 };
            prop_assert_eq!(&before[..url_line], &after[..url_line]);
            prop_assert_eq!(&before[url_line + skip..], &after[after.len() - (before.len() - url_line - skip)..]);
        }
    }
}
