//! Reading the Prometheus text exposition format as cbcheck writes it.

use std::collections::BTreeMap;

/// One sample: its labels and value.
pub type Sample = (BTreeMap<String, String>, f64);

/// A strict reading of the text exposition format as cbcheck writes it: every family
/// announced once by HELP then TYPE gauge, samples only under their own family,
/// `name{labels} value` with no timestamp. Returns family → samples (labels, value).
pub fn parse(text: &str) -> BTreeMap<String, Vec<Sample>> {
    let mut families: BTreeMap<String, Vec<Sample>> = BTreeMap::new();
    let mut current: Option<String> = None;
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let name = rest.split(' ').next().expect("a name").to_owned();
            assert!(
                !families.contains_key(&name),
                "HELP for {name} written twice"
            );
            assert_eq!(
                lines.next(),
                Some(format!("# TYPE {name} gauge").as_str()),
                "TYPE after HELP"
            );
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
                    && !name.starts_with(|c: char| c.is_ascii_digit()),
                "metric name {name}"
            );
            families.insert(name.clone(), Vec::new());
            current = Some(name);
            continue;
        }
        assert!(!line.starts_with('#'), "stray comment {line}");
        let family = current.as_ref().expect("a sample after its HELP");
        let (series, value) = line.rsplit_once(' ').expect("name and value");
        assert!(!value.contains(' '), "a timestamp in {line}");
        let value: f64 = value.parse().expect("a number");
        let (name, labels) = match series.split_once('{') {
            Some((name, labels)) => (name, labels.strip_suffix('}').expect("closing brace")),
            None => (series, ""),
        };
        assert_eq!(name, family, "{line} outside its family");
        let mut parsed = BTreeMap::new();
        let mut rest = labels;
        while !rest.is_empty() {
            let (label, after) = rest.split_once("=\"").expect("label=\"value\"");
            let mut value = String::new();
            let mut chars = after.char_indices();
            let end = loop {
                match chars.next().expect("a closing quote") {
                    (_, '\\') => match chars.next().expect("an escape").1 {
                        'n' => value.push('\n'),
                        c @ ('\\' | '"') => value.push(c),
                        c => panic!("unknown escape \\{c}"),
                    },
                    (i, '"') => break i,
                    (_, c) => value.push(c),
                }
            };
            parsed.insert(label.to_owned(), value);
            rest = after[end + 1..]
                .strip_prefix(',')
                .unwrap_or(&after[end + 1..]);
        }
        families
            .get_mut(family)
            .expect("family")
            .push((parsed, value));
    }
    families
}
