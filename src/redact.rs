//! Callback URLs often carry tokens: their query values and userinfo are redacted in
//! every output unless `--show-secrets`.

use std::ops::Range;

const MASK: &str = "***";

/// Byte ranges of the secret parts of a URL: the userinfo and each query value.
pub fn secret_ranges(url: &str) -> Vec<Range<usize>> {
    let mut ranges = Vec::new();
    let end = url.find('#').unwrap_or(url.len());
    if let Some(scheme_end) = url.find("://") {
        let authority_start = scheme_end + 3;
        let authority_end = url[authority_start..end]
            .find(['/', '?'])
            .map_or(end, |i| authority_start + i);
        if let Some(at) = url[authority_start..authority_end].rfind('@') {
            ranges.push(authority_start..authority_start + at);
        }
    }
    if let Some(question) = url[..end].find('?') {
        let mut start = question + 1;
        for pair in url[question + 1..end].split('&') {
            if let Some(eq) = pair.find('=') {
                let value = start + eq + 1..start + pair.len();
                if !value.is_empty() {
                    ranges.push(value);
                }
            }
            start += pair.len() + 1;
        }
    }
    ranges
}

/// The URL with its secret parts replaced by `***`.
pub fn redact_url(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    let mut last = 0;
    for range in secret_ranges(url) {
        out.push_str(&url[last..range.start]);
        out.push_str(MASK);
        last = range.end;
    }
    out.push_str(&url[last..]);
    out
}

/// When two different URLs look the same once redacted, which hidden part differs.
pub fn hidden_difference(a: &str, b: &str) -> Option<String> {
    if a == b || redact_url(a) != redact_url(b) {
        return None;
    }
    let parts = |url: &str| -> Vec<(String, String)> {
        secret_ranges(url)
            .into_iter()
            .map(|range| {
                let before = &url[..range.start];
                let name = if before.ends_with('=') {
                    let key_start = before.rfind(['?', '&']).map_or(0, |i| i + 1);
                    format!(
                        "the value of query parameter `{}`",
                        &before[key_start..before.len() - 1]
                    )
                } else {
                    "the userinfo (user:password@)".to_owned()
                };
                (name, url[range].to_owned())
            })
            .collect()
    };
    parts(a)
        .into_iter()
        .zip(parts(b))
        .find(|((_, va), (_, vb))| va != vb)
        .map(|((name, _), _)| name)
}

/// Whether to redact, as chosen by `--show-secrets`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Redaction {
    pub show_secrets: bool,
}

impl Redaction {
    pub fn url(self, url: &str) -> String {
        if self.show_secrets {
            url.to_owned()
        } else {
            redact_url(url)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_and_userinfo_are_redacted() {
        assert_eq!(
            redact_url("https://user:pw@hooks.example.com/cb?token=abc&x=1&flag#frag"),
            "https://***@hooks.example.com/cb?token=***&x=***&flag#frag"
        );
        assert_eq!(
            redact_url("https://hooks.example.com/cb"),
            "https://hooks.example.com/cb"
        );
        assert_eq!(
            redact_url("https://h.example.com/?a="),
            "https://h.example.com/?a="
        );
        assert_eq!(redact_url("not a url?k=v"), "not a url?k=***");
    }

    #[test]
    fn hidden_differences_are_named() {
        assert_eq!(
            hidden_difference("https://h/cb?token=a&x=1", "https://h/cb?token=b&x=1").as_deref(),
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
}
