//! The event builder against serde-saphyr's reading ([`read`]): wherever the builder
//! gives a tree, serde-saphyr gives the same one (spans, `defined`, values and their
//! types); where it declines, `parse` is serde-saphyr's reading by construction.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use proptest::prelude::*;

use super::events::{self, Declined};
use super::{Node, Value, parse, read};

/// Both trees alike, spans included; floats by their bits.
fn differences(fast: &Node, oracle: &Node, path: &str, out: &mut String) {
    if fast.span != oracle.span || fast.defined != oracle.defined {
        let _ = writeln!(
            out,
            "{path}: span {:?}/{:?} defined {:?}/{:?}",
            fast.span, oracle.span, fast.defined, oracle.defined
        );
    }
    match (&fast.value, &oracle.value) {
        (Value::Null, Value::Null) => {}
        (Value::Bool(a), Value::Bool(b)) if a == b => {}
        (Value::Int(a), Value::Int(b)) if a == b => {}
        (Value::UInt(a), Value::UInt(b)) if a == b => {}
        (Value::Float(a), Value::Float(b)) if a.to_bits() == b.to_bits() => {}
        (Value::Str(a), Value::Str(b)) if a == b => {}
        (Value::Seq(a), Value::Seq(b)) if a.len() == b.len() => {
            for (i, (a, b)) in a.iter().zip(b).enumerate() {
                differences(a, b, &format!("{path}[{i}]"), out);
            }
        }
        (Value::Map(a), Value::Map(b)) if a.len() == b.len() => {
            for (i, ((ka, va), (kb, vb))) in a.iter().zip(b).enumerate() {
                differences(ka, kb, &format!("{path}.key{i}"), out);
                differences(va, vb, &format!("{path}.value{i}"), out);
            }
        }
        (a, b) => {
            let _ = writeln!(out, "{path}: {a:?} / {b:?}");
        }
    }
}

/// How the builder fared on `text`: `Ok(true)` when it built serde-saphyr's tree,
/// `Ok(false)` when it declined, `Err` with the differences otherwise.
fn compare(text: &str) -> Result<bool, String> {
    let oracle = read(text);
    let built = match events::build(text) {
        Ok(built) => built,
        Err(Declined) => return Ok(false),
    };
    match oracle {
        Ok(oracle) => {
            let mut out = String::new();
            differences(&built, &oracle, "root", &mut out);
            if out.is_empty() { Ok(true) } else { Err(out) }
        }
        Err(err) => Err(format!(
            "built a tree where serde-saphyr refuses: {} at {:?}",
            err.message, err.offset
        )),
    }
}

fn assert_same(text: &str) -> bool {
    match compare(text) {
        Ok(built) => built,
        Err(diff) => panic!("{text:?}\n{diff}"),
    }
}

/// Texts the builder must build itself (no syntax error, none of what it declines).
const BUILT: &[&str] = &[
    // Empty files: a null at the stream's end, comments and BOM included.
    "",
    "\n",
    "# only a comment\n",
    "# one\n# two",
    "\u{feff}",
    "\u{feff}a: 1\n",
    "---\n",
    "--- # c\n...\n",
    "...\n",
    "%YAML 1.2\n---\na: 1\n",
    "%TAG !e! tag:example.com,2000:\n---\na: 1\n",
    "a: 1\n...\n# after the end\n",
    // Scalars: null, booleans (YAML 1.2 only), integers, floats, text.
    "a: ~\nb: null\nc: Null\nd: NULL\ne:\nf: nULL\ng: ''\nh: \"~\"\n",
    "[true, True, TRUE, false, False, FALSE, tRUE, yes, no, on, off, y, n, Yes]",
    "[0, -0, +0, 1, -1, +1, 00, 012, -012, +012, 0x1F, 0x1f, 0X1F, -0x1F, +0x1F, 0o17, 0O17, 0b101, 0B101]",
    "[1_000, _1, 1_, 1__0, 0x_1, 0x1_F, -1_0, 0b, 0x, 0o, +, 0x-1, 0o8, 0b2]",
    "[9223372036854775807, 9223372036854775808, -9223372036854775808, -9223372036854775809]",
    "[18446744073709551615, 18446744073709551616, 340282366920938463463374607431768211456]",
    "[-170141183460469231731687303715884105728, -170141183460469231731687303715884105729]",
    "[1.5, -1.5, +1.5, .5, 5., 1e3, 1E3, 1e+3, 1e-3, -1e-3, 0.0, -0.0, 1.5e, e5, 1_0.5]",
    "[inf, -inf, Infinity, nan, NaN, +.nan, -.nan, -.NaN, +.NAN, .Nan, .iNf, 1e308]",
    "[1.7976931348623157e308, 4.9e-324, 1e-400, 0x1p3, 1.0.0, 1:2, 12:30:00]",
    "a: 'single'\nb: \"double\"\nc: \"esc\\t\\u00e9\\n\"\nd: 'it''s'\ne: plain text here\n",
    "a: |\n  literal\n  text\nb: >\n  folded\n  text\nc: |-\n  keep\nd: >+\n  x\n\ne: |2\n   two\n",
    "a: multi\n  line\n  plain\nb: \"multi\n  line\"\n",
    "a: \"true\"\nb: '1'\nc: \"null\"\nd: '~'\ne: \"0x1F\"\n",
    "a:  1  \nb: 'x'  # c\nc: x # c\n",
    // Keys that are not text, and keys that look alike but are not the same key.
    "1: a\n-1: b\ntrue: c\n1.5: d\n~: e\n\"1\": f\n0x10: g\n",
    "~: a\nnull: b\n'': c\n",
    "'a': 1\nb: 2\n\"c\": 3\n",
    "\"<<\": 1\n'x': 2\n",
    "a: <<\nb: [<<]\n",
    // Spans: flow and block, nesting, multi-byte text, CR and CRLF breaks.
    "a: é\nkey: value\n",
    "ключ: значение\n日本: [語, 文]\n",
    "a: 1\r\nb: [x, y]\r\nc:\r\n  - d\r\n",
    "a: 1\rb: 2\rc:\r  - d\r",
    "{a: 1, b: [2, 3], c: {d: e}}",
    "[a, [b, [c]], {d: e}, {}, []]",
    "a: {}\nb: []\nc: [ ]\nd: { }\n",
    "- a\n- - b\n  - c\n- d: e\n  f: g\n",
    "apps:\n  - name: a\n    callback:\n      commands: [x, yy]\n  - name: b\n",
    "a:\n- 1\n- 2\nb: 3\n",
    "? a\n: b\n? c\n",
    "- ? a\n  : b\n",
    "{a, b: c, ? d}",
    "[a: b, c: d]",
    "a: &x 1\n",
    // Anchors and aliases: the alias's nodes spanned at the alias, defined at the anchor.
    "a: &x 1\nb: *x\n",
    "a: &x [1, 2]\nb: *x\nc: [*x, *x]\n",
    "a: &x {k: v, l: [1, {m: n}]}\nb: *x\n",
    "a: &x 1\nb: &y [*x, *x]\nc: *y\n",
    "a: &x 1\nb: &x 2\nc: *x\n",
    "- &a a\n- &b [*a]\n- &c {k: *b}\n- *c\n",
    "&r\na: 1\n",
    "&r [a]\n",
    "a: &x\nb: *x\n",
    "a: &x ~\nb: *x\nc: &y ''\nd: *y\n",
    "\u{feff}\u{feff}a: 1\n",
    // Tabs where YAML allows them.
    "a:\t1\nb: [1,\t2]\nc: \"x\ty\"\n",
    "a: 1 \t# c\n",
];

/// Texts serde-saphyr refuses; the builder must decline them all (it never accepts one).
const REFUSED: &[&str] = &[
    "a: [1, 2\nb: 3\n",
    "apps:\n  - sdkappid: 1400000001\n\tregion: x\n",
    "a:\n\tb: 1\n",
    "a:\n  b: 1\n  \t c: 2\n",
    "- a\n\t- b\n",
    "version: 1\r  apps: [\rfoo: 1\r",
    "a: 1\na: 2\n",
    "a: 1\n'a': 2\n",
    "a: 1\n\"a\": 2\n",
    "1: a\n0x1: b\n",
    "1: a\n0X1: b\n",
    "1: a\n+1: b\n",
    "-0: a\n0: b\n",
    "a: 1\n---\nb: 2\n",
    "a: 1\n---\n",
    "---\n---\n",
    "a: .inf\n",
    "a: -.Inf\n",
    "a: .nan\n",
    "a: 1e999\n",
    "a: -1e999\n",
    "a: *nope\n",
    "a: &x [*x]\n",
    "a: !!float x\n",
    "a: !!int 1.5\n",
    "a: {b: 1, b: 2}\n",
    "[[[[[[[[[[[[[[[[[x]]]]]]]]]]]]]]]]]",
    "a: 'unterminated\n",
    "a: b: c\n",
    "- a\nb: c\n",
    "\"<<\": 1\n'<<': 2\n",
    "%YAML 1.2\n%YAML 1.2\n---\na\n",
];

/// Texts the builder declines that serde-saphyr may accept; `parse` is its reading.
const DECLINED: &[&str] = &[
    "base: &b {x: 1}\nm:\n  <<: *b\n  y: 2\n",
    "m:\n  <<: [{x: 1}, {x: 2, y: 3}]\n  x: 0\n",
    "a: !!str 1\nb: !!int '2'\nc: !custom x\nd: ! 3\n",
    "a: !!str\n",
    "a: !!null\n",
    "a: !!binary aGVsbG8=\n",
    "? [a, b]\n: c\n",
    "? {a: b}\n: c\n",
    "&k a: 1\n*k : 2\n",
    "~: a\n'~': b\n",
];

#[test]
fn the_builder_builds_what_serde_saphyr_builds() {
    let declined: Vec<_> = BUILT
        .iter()
        .filter(|text| !assert_same(text))
        .map(|text| (text, read(text).map(|_| ()).map_err(|e| e.message)))
        .collect();
    assert!(declined.is_empty(), "declined {declined:#?}");
}

#[test]
fn the_builder_declines_what_serde_saphyr_refuses() {
    let accepted: Vec<_> = REFUSED.iter().filter(|text| read(text).is_ok()).collect();
    assert!(accepted.is_empty(), "serde-saphyr accepts {accepted:#?}");
    for text in REFUSED {
        assert!(events::build(text).is_err(), "built {text:?}");
        let (ours, theirs) = (
            parse(text).expect_err("refused"),
            read(text).expect_err("refused"),
        );
        assert_eq!((ours.message, ours.offset), (theirs.message, theirs.offset));
    }
    for text in DECLINED {
        assert!(events::build(text).is_err(), "built {text:?}");
    }
}

#[test]
fn the_tree_is_the_same_at_the_budgets_edges() {
    // 16 levels are allowed, 17 are not; an alias may not lift a tree past 16.
    let nested = |n: usize| format!("{}x{}", "[".repeat(n), "]".repeat(n));
    assert!(assert_same(&nested(16)));
    assert!(!assert_same(&nested(17)));
    assert!(read(&nested(17)).is_err());
    let lifted = format!("a: &x {}\nb: [*x]\n", nested(15));
    assert!(!assert_same(&lifted));
    assert!(read(&lifted).is_err());
    // The alias/anchor ratio: at 100 aliases, more than ten per anchor is refused.
    let aliases = |n: usize| {
        let mut text = String::from("a: &x 1\nb:\n");
        for _ in 0..n {
            text.push_str("  - *x\n");
        }
        text
    };
    assert!(assert_same(&aliases(10)));
    assert!(!assert_same(&aliases(100)));
    assert!(read(&aliases(100)).is_err());
    // The replay budget (200,000 events).
    let mut bomb = String::from("a: &a [x,x,x,x,x,x,x,x,x,x]\n");
    for i in 1..6u8 {
        let (prev, this) = ((b'a' + i - 1) as char, (b'a' + i) as char);
        bomb.push_str(&format!(
            "{this}: &{this} [{}]\n",
            vec![format!("*{prev}"); 10].join(",")
        ));
    }
    assert!(!assert_same(&bomb));
    assert!(read(&bomb).is_err());
}

/// Every file of the repository a YAML reader might see, and the YAML blocks of its docs.
fn repository_texts() -> Vec<(PathBuf, String)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if path.is_dir() {
                if !name.starts_with("target") && name != ".git" {
                    walk(&path, out);
                }
            } else {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(Path::new(env!("CARGO_MANIFEST_DIR")), &mut files);
    files.sort();
    let mut texts = Vec::new();
    for path in files {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        match path.extension().and_then(|e| e.to_str()) {
            Some("yaml" | "yml") => texts.push((path, text)),
            Some("md") => {
                for block in text.split("```yaml").skip(1) {
                    if let Some((block, _)) = block.split_once("```") {
                        let block = block.strip_prefix('\n').unwrap_or(block);
                        texts.push((path.clone(), block.to_owned()));
                    }
                }
            }
            Some("rs") => {
                for literal in string_literals(&text) {
                    if literal.len() < 100_000 && literal.contains([':', '-', '[', '{']) {
                        texts.push((path.clone(), literal));
                    }
                }
            }
            _ => {}
        }
    }
    texts
}

/// The string literals of Rust source (plain, raw and byte), unescaped; a heuristic
/// that may also pick up odd pieces, which are inputs like any other.
fn string_literals(source: &str) -> Vec<String> {
    let bytes = source.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'\'' if bytes.get(i + 2) == Some(&b'\'') => i += 3,
            b'\'' if bytes.get(i + 1) == Some(&b'\\') => {
                i += 2;
                while i < bytes.len() && bytes[i] != b'\'' {
                    i += 1;
                }
                i += 1;
            }
            b'r' if matches!(bytes.get(i + 1), Some(b'"' | b'#'))
                && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric()) =>
            {
                let hashes = bytes[i + 1..].iter().take_while(|&&b| b == b'#').count();
                let open = i + 1 + hashes;
                if bytes.get(open) != Some(&b'"') {
                    i += 1;
                    continue;
                }
                let close = format!("\"{}", "#".repeat(hashes));
                let body = &source[open + 1..];
                match body.find(&close) {
                    Some(end) => {
                        out.push(body[..end].to_owned());
                        i = open + 1 + end + close.len();
                    }
                    None => break,
                }
            }
            b'"' => {
                let mut text = String::new();
                let mut chars = source[i + 1..].char_indices();
                let mut end = None;
                while let Some((at, c)) = chars.next() {
                    match c {
                        '"' => {
                            end = Some(i + 1 + at + 1);
                            break;
                        }
                        '\\' => match chars.next().map(|(_, c)| c) {
                            Some('n') => text.push('\n'),
                            Some('r') => text.push('\r'),
                            Some('t') => text.push('\t'),
                            Some('0') => text.push('\0'),
                            Some('u') => {
                                let mut hex = String::new();
                                for (_, c) in chars.by_ref() {
                                    if c == '}' {
                                        break;
                                    }
                                    if c != '{' {
                                        hex.push(c);
                                    }
                                }
                                if let Some(c) =
                                    u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32)
                                {
                                    text.push(c);
                                }
                            }
                            Some('\n') => {
                                while chars.clone().next().is_some_and(|(_, c)| c.is_whitespace()) {
                                    chars.next();
                                }
                            }
                            Some(c) => text.push(c),
                            None => {}
                        },
                        c => text.push(c),
                    }
                }
                match end {
                    Some(end) => {
                        out.push(text);
                        i = end;
                    }
                    None => break,
                }
            }
            _ => i += 1,
        }
    }
    out
}

#[test]
fn the_repositorys_yaml_reads_the_same() {
    let texts = repository_texts();
    let (mut built, mut declined) = (0, 0);
    let mut failures = String::new();
    for (path, text) in &texts {
        match compare(text) {
            Ok(true) => built += 1,
            Ok(false) => declined += 1,
            Err(diff) => {
                let _ = writeln!(failures, "{}: {text:?}\n{diff}", path.display());
            }
        }
        // The shipped examples are built, not handed to serde-saphyr.
        let shipped = path.extension().is_some_and(|e| e == "yaml")
            && path.components().any(|c| c.as_os_str() == "examples");
        if shipped {
            assert!(events::build(text).is_ok(), "{} declined", path.display());
        }
    }
    assert!(failures.is_empty(), "{failures}");
    assert!(built > 500, "built {built}, declined {declined}");
}

/// A YAML-ish node from a small grammar, rendered in block or flow style.
#[derive(Clone, Debug)]
enum Gen {
    Scalar(String),
    Alias(u8),
    Seq(Vec<Gen>, bool),
    Map(Vec<(String, Gen)>, bool),
}

fn scalar_text() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "a",
            "b",
            "key",
            "value",
            "é",
            "日本",
            "~",
            "null",
            "NULL",
            "",
            "true",
            "False",
            "yes",
            "no",
            "0",
            "-0",
            "+1",
            "012",
            "0x1F",
            "0X1F",
            "0o17",
            "0b11",
            "1_000",
            "-12",
            "1.5",
            "-1.5e3",
            ".5",
            "1e999",
            ".inf",
            "-.nan",
            ".nan",
            "'q'",
            "\"dq\"",
            "\"e\\t\\n\"",
            "'it''s'",
            "\"<<\"",
            "<<",
            "a b",
            "x # c",
            "!!str s",
            "!t t",
            "18446744073709551616",
            "-9223372036854775809",
            "9223372036854775808",
            "1:2",
            "http://x",
            "- x",
            "? x",
            "\"multi\n  line\"",
            "plain\n  folded",
        ])
        .prop_map(str::to_owned),
        "[a-z0-9_.+-]{1,6}",
    ]
}

fn gen_node() -> impl Strategy<Value = Gen> {
    let leaf = prop_oneof![
        4 => scalar_text().prop_map(Gen::Scalar),
        1 => (0u8..3).prop_map(Gen::Alias),
    ];
    leaf.prop_recursive(5, 40, 5, |inner| {
        prop_oneof![
            (prop::collection::vec(inner.clone(), 0..5), any::<bool>())
                .prop_map(|(items, flow)| Gen::Seq(items, flow)),
            (
                prop::collection::vec((scalar_text(), inner), 0..5),
                any::<bool>()
            )
                .prop_map(|(entries, flow)| Gen::Map(entries, flow)),
        ]
    })
}

/// Render a node; anchors are laid on some nodes as they come (`&a0`…), aliases refer
/// to them (or to none yet).
fn render(node: &Gen, indent: usize, anchors: &mut u8, out: &mut String) {
    let pad = " ".repeat(indent);
    match node {
        Gen::Scalar(text) => out.push_str(text),
        Gen::Alias(n) => {
            let _ = write!(out, "*a{n}");
        }
        Gen::Seq(items, true) | Gen::Seq(items, false) if items.is_empty() => {
            out.push_str("[]");
        }
        Gen::Map(entries, _) if entries.is_empty() => out.push_str("{}"),
        Gen::Seq(items, true) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                render(item, indent, anchors, out);
            }
            out.push(']');
        }
        Gen::Map(entries, true) => {
            out.push('{');
            for (i, (key, value)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                let _ = write!(out, "{key}: ");
                render(value, indent, anchors, out);
            }
            out.push('}');
        }
        Gen::Seq(items, false) => {
            for item in items {
                let _ = write!(out, "\n{pad}- ");
                anchor(item, anchors, out);
                render(item, indent + 2, anchors, out);
            }
        }
        Gen::Map(entries, false) => {
            for (key, value) in entries {
                let _ = write!(out, "\n{pad}{key}: ");
                anchor(value, anchors, out);
                render(value, indent + 2, anchors, out);
            }
        }
    }
}

fn anchor(node: &Gen, anchors: &mut u8, out: &mut String) {
    if !matches!(node, Gen::Alias(_)) && *anchors < 3 && out.len().is_multiple_of(3) {
        let _ = write!(out, "&a{anchors} ");
        *anchors += 1;
    }
}

/// Small changes that turn good YAML into odd or broken YAML.
fn noise() -> impl Strategy<Value = Vec<(prop::sample::Index, &'static str)>> {
    prop::collection::vec(
        (
            any::<prop::sample::Index>(),
            prop::sample::select(vec![
                "\t",
                " ",
                "  ",
                "\n",
                "\r\n",
                "\r",
                "# c",
                " # c\n",
                ":",
                ": ",
                "- ",
                "[",
                "]",
                "{",
                "}",
                ",",
                "'",
                "\"",
                "&a0 ",
                "*a0",
                "*a1",
                "<<: *a0\n",
                "---\n",
                "...\n",
                "? ",
                "|\n",
                ">-\n",
                "!!str ",
                "\u{feff}",
                "é",
                "~",
                "\\",
            ]),
        ),
        0..3,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1500))]

    #[test]
    fn generated_yaml_reads_the_same(root in gen_node(), noise in noise(), crlf in any::<bool>()) {
        let mut text = String::new();
        let mut anchors = 0;
        render(&root, 0, &mut anchors, &mut text);
        let mut text = text.trim_start_matches('\n').to_owned();
        if crlf {
            text = text.replace('\n', "\r\n");
        }
        for (at, piece) in noise {
            let mut at = at.index(text.len() + 1);
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            text.insert_str(at, piece);
        }
        if let Err(diff) = compare(&text) {
            prop_assert!(false, "{:?}\n{}", text, diff);
        }
    }
}
