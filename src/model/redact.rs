//! Callback URLs often carry tokens: their query values and userinfo are redacted in
//! every output unless `--show-secrets`. The values of `${NAME}` placeholders are
//! shown as `${NAME}` in every output, `--show-secrets` or not.

use std::borrow::Cow;
use std::ops::Range;
use std::sync::Arc;

use url::Url;

const MASK: &str = "***";

/// The values of a run's `${NAME}` placeholders, each as a URL may carry it, with its
/// NAME; longest first. Made once the run has read them from the environment, and
/// carried by its [`Redaction`] to every output.
#[derive(Clone, Default)]
pub struct Placeholders(Arc<[(String, String)]>);

/// Debug names the variables, never their values.
impl std::fmt::Debug for Placeholders {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set()
            .entries(self.0.iter().map(|(_, name)| name))
            .finish()
    }
}

impl Placeholders {
    /// The placeholders for these `(NAME, value)` pairs: each value as written and
    /// percent-encoded as a URL may carry it. Empty values are no placeholder.
    pub fn new<'a>(values: impl IntoIterator<Item = (&'a str, &'a str)>) -> Placeholders {
        let mut known: Vec<(String, String)> = Vec::new();
        for (name, value) in values {
            if value.is_empty() {
                continue;
            }
            let encoded: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
            for form in [value.to_owned(), encoded] {
                if !known.iter().any(|(v, _)| *v == form) {
                    known.push((form, name.to_owned()));
                }
            }
        }
        // A value that contains another is replaced first, whole.
        known.sort_by_key(|(form, _)| std::cmp::Reverse(form.len()));
        Placeholders(known.into())
    }

    /// Every value (each form a URL may carry) and its name, longest first.
    pub fn values(&self) -> &[(String, String)] {
        &self.0
    }

    /// The text with every value replaced by its `${NAME}`, however a URL spells it:
    /// any of its bytes may be a `%XX` escape, in either case (a vendor may echo the
    /// URL escaped otherwise than the value was sent).
    pub fn hide<'t>(&self, text: &'t str) -> Cow<'t, str> {
        let known = &self.0;
        if known.is_empty() {
            return Cow::Borrowed(text);
        }
        let bytes = text.as_bytes();
        let mut out = String::new();
        let mut last = 0;
        let mut i = 0;
        while i < bytes.len() {
            let found = text
                .is_char_boundary(i)
                .then(|| {
                    known.iter().find_map(|(value, name)| {
                        spelt_at(&bytes[i..], value.as_bytes())
                            .map(|len| (i + len, name))
                            .filter(|(end, _)| *end > i && text.is_char_boundary(*end))
                    })
                })
                .flatten();
            match found {
                Some((end, name)) => {
                    out.push_str(&text[last..i]);
                    out.push_str(&format!("${{{name}}}"));
                    last = end;
                    i = end;
                }
                None => i += 1,
            }
        }
        if last == 0 {
            return Cow::Borrowed(text);
        }
        out.push_str(&text[last..]);
        Cow::Owned(out)
    }
}

/// The length of `value` spelt at the start of `text`, each of its bytes as itself
/// or as a `%XX` escape, a space also as `+`.
fn spelt_at(text: &[u8], value: &[u8]) -> Option<usize> {
    let mut at = 0;
    for &byte in value {
        // The escape first: a `%` of the value may itself be escaped (`%25`).
        let escaped = match text.get(at..at + 3) {
            Some([b'%', high, low]) if high.is_ascii_hexdigit() && low.is_ascii_hexdigit() => {
                std::str::from_utf8(&[*high, *low])
                    .ok()
                    .and_then(|hex| u8::from_str_radix(hex, 16).ok())
            }
            _ => None,
        };
        let next = *text.get(at)?;
        if escaped == Some(byte) {
            at += 3;
        } else if next == byte || (byte == b' ' && next == b'+') {
            at += 1;
        } else {
            return None;
        }
    }
    Some(at)
}

/// A query value that is one `${NAME}` placeholder: it names a secret, and is none.
fn is_placeholder(value: &str) -> bool {
    value
        .strip_prefix("${")
        .and_then(|v| v.strip_suffix('}'))
        .is_some_and(super::template::is_name)
}

/// Byte ranges of the secret parts of a URL as written: the userinfo and each query
/// value (a query pair without `=` is masked whole). Sorted, disjoint, in bounds, on
/// ASCII delimiters; never panics, whatever the text.
pub fn secret_ranges(url: &str) -> Vec<Range<usize>> {
    let mut ranges = Vec::new();
    let end = url.find('#').unwrap_or(url.len());
    let query_start = url[..end].find('?');
    let before_query = query_start.unwrap_or(end);
    // `scheme:` then an optional `//`, then the authority up to `/`, `?` or `#`.
    let scheme_end = url[..before_query].find(':').filter(|&i| {
        i > 0
            && url[..i]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    });
    if let Some(colon) = scheme_end {
        let mut start = colon + 1;
        if url[start..before_query].starts_with("//") {
            start += 2;
        }
        let authority_end = url[start..before_query]
            .find('/')
            .map_or(before_query, |i| start + i);
        if let Some(at) = url[start..authority_end].rfind('@') {
            ranges.push(start..start + at);
        }
    }
    if let Some(question) = query_start {
        let mut start = question + 1;
        for pair in url[question + 1..end].split('&') {
            let value = match pair.find('=') {
                Some(eq) => start + eq + 1..start + pair.len(),
                None => start..start + pair.len(),
            };
            if !value.is_empty() && !is_placeholder(&url[value.clone()]) {
                ranges.push(value);
            }
            start += pair.len() + 1;
        }
    }
    ranges
}

/// The URL with its secret parts replaced by `***`. Placeholder values outside them
/// are shown only through a run's [`Redaction`], which knows them.
pub fn redact_url(url: &str) -> String {
    mask(url)
}

/// A URL as Debug prints it: its origin only. Debug knows no run, so not the run's
/// placeholder values, which may sit anywhere in a path or query.
pub fn origin_only(url: &str) -> String {
    match Url::parse(url) {
        Ok(parsed) if parsed.has_host() => {
            let port = parsed.port().map(|p| format!(":{p}")).unwrap_or_default();
            format!(
                "{}://{}{port}/…",
                parsed.scheme(),
                parsed.host_str().unwrap_or_default()
            )
        }
        _ => "(a URL, not shown)".to_owned(),
    }
}

/// The URL with its secret parts replaced by `***`.
fn mask(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    let mut last = 0;
    for range in secret_ranges(url) {
        out.push_str(url.get(last..range.start).unwrap_or(""));
        out.push_str(MASK);
        last = range.end;
    }
    out.push_str(url.get(last..).unwrap_or(""));
    out
}

/// Free text (a reply body, a vendor message) with every URL in it redacted,
/// percent-encoded ones too (`Url=https%3A%2F%2Fh%2Fcb%3Ftoken%3D…`, shown decoded),
/// and every placeholder value shown as its `${NAME}`.
pub fn redact_urls_in(text: &str, placeholders: &Placeholders) -> String {
    let text = &*placeholders.hide(text);
    let is_delimiter = |c: char| c.is_whitespace() || "\"'<>`".contains(c);
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        let end = rest.find(is_delimiter).unwrap_or(rest.len());
        let (word, tail) = rest.split_at(end);
        out.push_str(&redact_word(word));
        let delimiter_len = tail.chars().next().map_or(0, char::len_utf8);
        out.push_str(&tail[..delimiter_len]);
        rest = &tail[delimiter_len..];
    }
    out
}

/// One whitespace-free word: a URL in it (from its scheme on) is redacted.
fn redact_word(word: &str) -> String {
    if let Some(found) = word.find("://") {
        let start = word[..found]
            .char_indices()
            .rev()
            .find(|(_, c)| !(c.is_ascii_alphanumeric() || "+-.".contains(*c)))
            .map_or(0, |(i, c)| i + c.len_utf8());
        return format!("{}{}", &word[..start], redact_url(&word[start..]));
    }
    if word.to_ascii_lowercase().contains("%3a%2f%2f") {
        let decoded = url::form_urlencoded::parse(format!("x={word}").as_bytes())
            .next()
            .map(|(_, value)| value.into_owned())
            .unwrap_or_default();
        if decoded.contains("://") {
            return redact_word(&decoded);
        }
    }
    word.to_owned()
}

/// When two URLs that are not the same look the same once redacted, which hidden
/// part differs. Compared as parsed URLs (scheme and host case, default port
/// ignored), query parameters matched by name.
pub fn hidden_difference(a: &str, b: &str) -> Option<String> {
    let (ua, ub) = (Url::parse(a).ok()?, Url::parse(b).ok()?);
    // Masked as written, placeholder values too: they are hidden parts like any other.
    if ua == ub || mask(ua.as_str()) != mask(ub.as_str()) {
        return None;
    }
    if ua.username() != ub.username() || ua.password() != ub.password() {
        return Some("the userinfo (user:password@)".into());
    }
    let (qa, qb): (Vec<_>, Vec<_>) = (ua.query_pairs().collect(), ub.query_pairs().collect());
    qa.iter()
        .zip(&qb)
        .find(|(x, y)| x != y)
        .map(|((name, _), _)| format!("the value of query parameter `{name}`"))
}

/// How a run shows secrets: URL tokens as `***` unless `--show-secrets`, and the
/// values of its `${NAME}` placeholders as `${NAME}` always.
#[derive(Debug, Clone, Default)]
pub struct Redaction {
    pub show_secrets: bool,
    placeholders: Placeholders,
}

impl Redaction {
    pub fn new(show_secrets: bool) -> Redaction {
        Redaction {
            show_secrets,
            placeholders: Placeholders::default(),
        }
    }

    /// The same choice, knowing the run's placeholder values.
    pub fn with_placeholders(self, placeholders: Placeholders) -> Redaction {
        Redaction {
            placeholders,
            ..self
        }
    }

    /// The same choice, knowing these `(NAME, value)` placeholder values too.
    pub fn with_more_placeholders<'a>(
        self,
        more: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Redaction {
        // `values()` holds each value as written and percent-encoded, with its name.
        let mut pairs: Vec<(String, String)> = self
            .placeholders
            .values()
            .iter()
            .map(|(value, name)| (name.clone(), value.clone()))
            .collect();
        pairs.extend(more.into_iter().map(|(n, v)| (n.to_owned(), v.to_owned())));
        let placeholders = Placeholders::new(
            pairs
                .iter()
                .map(|(name, value)| (name.as_str(), value.as_str())),
        );
        self.with_placeholders(placeholders)
    }

    pub fn placeholders(&self) -> &Placeholders {
        &self.placeholders
    }

    pub fn url(&self, url: &str) -> String {
        let url = self.placeholders.hide(url);
        if self.show_secrets {
            url.into_owned()
        } else {
            mask(&url)
        }
    }

    /// Free text: URLs in it redacted (whatever `--show-secrets` says: it is not a
    /// URL the user declared), placeholder values named.
    pub fn text(&self, text: &str) -> String {
        redact_urls_in(text, &self.placeholders)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_and_userinfo_are_redacted() {
        assert_eq!(
            redact_url("https://user:pw@hooks.example.com/cb?token=abc&x=1&flag#frag"),
            "https://***@hooks.example.com/cb?token=***&x=***&***#frag"
        );
        assert_eq!(
            redact_url("https://hooks.example.com/cb"),
            "https://hooks.example.com/cb"
        );
        assert_eq!(
            redact_url("https://h.example.com/?a="),
            "https://h.example.com/?a="
        );
        assert_eq!(redact_url("https://h/cb?SECRETBARE"), "https://h/cb?***");
        assert_eq!(
            redact_url("https:user:pw@hooks.example.com/cb"),
            "https:***@hooks.example.com/cb"
        );
        assert_eq!(redact_url("not a url?k=v"), "not a url?k=***");
    }

    #[test]
    fn odd_urls_never_panic_and_ranges_stay_sorted() {
        for url in [
            "https:hooks.example.com/cb#a://b",
            "http:x/cb?next=https://u:p@h/",
            "://",
            "?",
            "#",
            "a:@",
            "é://ü@ñ?ß=ø#",
            "https://@/?&=&#?",
        ] {
            let ranges = secret_ranges(url);
            assert!(
                ranges.windows(2).all(|w| w[0].end <= w[1].start),
                "{url}: {ranges:?}"
            );
            assert!(
                ranges.iter().all(|r| url.get(r.clone()).is_some()),
                "{url}: {ranges:?}"
            );
            let _ = redact_url(url);
            let _ = redact_urls_in(url, &Placeholders::default());
            let _ = hidden_difference(url, url);
        }
        // Every string over a small alphabet of delimiters.
        let alphabet = [':', '/', '?', '#', '@', '&', '=', 'a', 'é'];
        let mut word = Vec::new();
        for n in 0..alphabet.len().pow(5) {
            word.clear();
            let mut k = n;
            for _ in 0..5 {
                word.push(alphabet[k % alphabet.len()]);
                k /= alphabet.len();
            }
            let url: String = word.iter().collect();
            let ranges = secret_ranges(&url);
            assert!(ranges.windows(2).all(|w| w[0].end <= w[1].start), "{url}");
            let _ = redact_url(&url);
        }
    }

    #[test]
    fn percent_encoded_urls_in_free_text_are_redacted() {
        let text = "invalid param Url=https%3A%2F%2Fa.example.com%2Fcb%3Fsig%3DSEKRET3 here";
        let shown = redact_urls_in(text, &Placeholders::default());
        assert!(!shown.contains("SEKRET3"), "{shown}");
        assert!(
            shown.contains("https://a.example.com/cb?sig=***"),
            "{shown}"
        );
        assert!(shown.ends_with(" here"));
    }

    #[test]
    fn urls_in_free_text_are_redacted() {
        assert_eq!(
            redact_urls_in(
                r#"{"Url":"https://h/cb?token=SUPERSECRET","x":1} see http://a@b/"#,
                &Placeholders::default()
            ),
            r#"{"Url":"https://h/cb?token=***","x":1} see http://***@b/"#
        );
    }

    #[test]
    fn hidden_differences_are_named() {
        assert_eq!(
            hidden_difference("https://h/cb?token=a&x=1", "https://h/cb?token=b&x=1").as_deref(),
            Some("the value of query parameter `token`")
        );
        assert_eq!(
            hidden_difference(
                "https://Hooks.example.com/cb?token=aaa",
                "https://hooks.example.com/cb?token=bbb"
            )
            .as_deref(),
            Some("the value of query parameter `token`")
        );
        assert_eq!(
            hidden_difference("https://u:a@h/cb", "https://u:b@h/cb").as_deref(),
            Some("the userinfo (user:password@)")
        );
        assert_eq!(
            hidden_difference("https://h/a?t=1", "https://h/b?t=1"),
            None
        );
        assert_eq!(
            hidden_difference("https://h/a?t=1", "https://h/a?t=1"),
            None
        );
    }

    #[test]
    fn debug_shows_a_url_by_its_origin_and_placeholders_by_name() {
        assert_eq!(
            origin_only("https://u:p@h.example.com:8443/v4lue/cb?t=1"),
            "https://h.example.com:8443/…"
        );
        assert_eq!(origin_only("not a url v4lue"), "(a URL, not shown)");
        let known = Placeholders::new([("REDACT_TEST_TOKEN", "v4lue")]);
        let debug = format!("{:?}", Redaction::new(false).with_placeholders(known));
        assert!(
            debug.contains("REDACT_TEST_TOKEN") && !debug.contains("v4lue"),
            "{debug}"
        );
    }

    #[test]
    fn placeholder_values_show_as_their_names_even_with_show_secrets() {
        let known = Placeholders::new([("REDACT_TEST_TOKEN", "v4lue+/=Z9q")]);
        let shown = Redaction::new(true).with_placeholders(known.clone());
        let hidden = Redaction::new(false).with_placeholders(known.clone());
        let url = "https://h.example.com/cb?t=v4lue+/=Z9q&e=v4lue%2B%2F%3DZ9q&x=1";
        let named = "https://h.example.com/cb?t=${REDACT_TEST_TOKEN}&e=${REDACT_TEST_TOKEN}";
        assert_eq!(shown.url(url), format!("{named}&x=1"));
        assert_eq!(hidden.url(url), format!("{named}&x=***"));
        assert_eq!(
            hidden.text("refused v4lue+/=Z9q"),
            "refused ${REDACT_TEST_TOKEN}"
        );
        // Without the run's placeholders the query values are masked all the same.
        assert_eq!(
            redact_url(url),
            "https://h.example.com/cb?t=***&e=***&x=***"
        );
        // Escaped otherwise than sent: lowercase, in part, or double.
        assert_eq!(
            shown
                .url("https://h.example.com/v4lue%2b%2f%3dZ9q/cb?t=v4lue%2B/=Z9q&u=v4lue%252B%252F%253DZ9q"),
            "https://h.example.com/${REDACT_TEST_TOKEN}/cb?t=${REDACT_TEST_TOKEN}&u=${REDACT_TEST_TOKEN}"
        );
        // A placeholder written in the file is no secret; text around one still is.
        assert_eq!(
            redact_url("https://h/cb?t=${A_B}&u=x${A_B}&v=${}"),
            "https://h/cb?t=${A_B}&u=***&v=***"
        );
    }
}
