//! A reply that echoes the request (a proxy's error page, a vendor message quoting
//! the URL) must not carry the UserSig into any message, however it is written:
//! raw, JSON-escaped (`\u002a`), percent-encoded in either case (`%2A`, `%2a`), or
//! both at once. The body is scrubbed before anything is read from it, and every
//! string read from it is scrubbed again once decoded.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::ops::Range;

use serde_json::Value;

use super::wire::{self, Reply};
use crate::model::Service;
use crate::model::redact::Placeholders;
use crate::source::secret::Secret;

const REDACTED: &str = "(redacted)";

/// Classify a reply with the UserSig removed from it.
pub fn read(
    service: &Service,
    status: u16,
    body: &[u8],
    usersig: &Secret,
    placeholders: &Placeholders,
) -> Reply {
    let token = usersig.expose();
    let reply = wire::classify(service, status, &bytes(body, token), placeholders);
    scrub_reply(reply, token)
}

/// The text with every encoding of the token replaced.
pub fn text<'a>(text: &'a str, token: &str) -> Cow<'a, str> {
    match bytes(text.as_bytes(), token) {
        Cow::Borrowed(_) => Cow::Borrowed(text),
        Cow::Owned(clean) => Cow::Owned(String::from_utf8_lossy(&clean).into_owned()),
    }
}

/// The bytes with every encoding of the token replaced.
pub fn bytes<'a>(input: &'a [u8], token: &str) -> Cow<'a, [u8]> {
    if token.is_empty() {
        return Cow::Borrowed(input);
    }
    // Every encoding of the token is at least as long as the token.
    if input.len() < token.len() {
        return Cow::Borrowed(input);
    }
    // A space in the token is `+` once form-encoded.
    let mut patterns = vec![Cow::Borrowed(token.as_bytes())];
    if token.contains(' ') {
        patterns.push(Cow::Owned(token.replace(' ', "+").into_bytes()));
    }
    // Without an escape to decode, only the raw token can be there: a substring
    // search settles the common case, a reply that does not echo it.
    let escapes = memchr::memchr2(b'\\', b'%', input).is_some();
    if !escapes && patterns.iter().all(|pattern| !contains(input, pattern)) {
        return Cow::Borrowed(input);
    }
    let raw = || {
        input.iter().enumerate().map(|(at, &byte)| Unit {
            byte,
            span: at..at + 1,
        })
    };
    let mut found = Vec::new();
    for pattern in &patterns {
        let pattern = Pattern::new(pattern);
        pattern.find(raw(), &mut found);
        // Decoding only matters where there is something to decode.
        if escapes {
            pattern.find(Layer::json(raw()), &mut found);
            pattern.find(Layer::percent(raw()), &mut found);
            pattern.find(Layer::percent(Layer::json(raw())), &mut found);
            pattern.find(Layer::json(Layer::percent(raw())), &mut found);
        }
    }
    if found.is_empty() {
        return Cow::Borrowed(input);
    }
    Cow::Owned(redact(input, found))
}

/// Whether `needle` occurs in `haystack`. A search for a long needle spends most of
/// its time preparing it; the first bytes alone are cheap to look for, and where
/// they are absent so is the whole.
fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    const HEAD: usize = 16;
    if needle.len() > HEAD && memchr::memmem::find(haystack, &needle[..HEAD]).is_none() {
        return false;
    }
    memchr::memmem::find(haystack, needle).is_some()
}

/// Every string a classified reply carries, scrubbed again after decoding.
fn scrub_reply(reply: Reply, token: &str) -> Reply {
    let clean = |text: String| match self::text(&text, token) {
        Cow::Borrowed(_) => text,
        Cow::Owned(clean) => clean,
    };
    let clean_id = |id: Option<String>| id.map(clean);
    match reply {
        Reply::Ok {
            response,
            request_id,
        } => Reply::Ok {
            response: response.map(|mut value| {
                scrub_value(&mut value, token);
                value
            }),
            request_id: clean_id(request_id),
        },
        Reply::Absent { request_id } => Reply::Absent {
            request_id: clean_id(request_id),
        },
        Reply::AlreadyExists { request_id } => Reply::AlreadyExists {
            request_id: clean_id(request_id),
        },
        Reply::Retry {
            reason,
            cause,
            request_id,
        } => Reply::Retry {
            reason: clean(reason),
            cause,
            request_id: clean_id(request_id),
        },
        Reply::Auth {
            code,
            info,
            request_id,
        } => Reply::Auth {
            code,
            info: clean(info),
            request_id: clean_id(request_id),
        },
        Reply::Api {
            code,
            info,
            request_id,
        } => Reply::Api {
            code,
            info: clean(info),
            request_id: clean_id(request_id),
        },
        Reply::Protocol { status, body_start } => Reply::Protocol {
            status,
            body_start: clean(body_start),
        },
        Reply::Tls { problem } => Reply::Tls {
            problem: clean(problem),
        },
        tokenless @ (Reply::TooLarge(_) | Reply::Redirect { .. }) => tokenless,
    }
}

/// Every string and key of the value scrubbed, in place: a reply that echoes
/// nothing is not rebuilt.
fn scrub_value(value: &mut Value, token: &str) {
    let clean = |text: String| match self::text(&text, token) {
        Cow::Borrowed(_) => text,
        Cow::Owned(clean) => clean,
    };
    match value {
        Value::String(text) => {
            if let Cow::Owned(clean) = self::text(text, token) {
                *text = clean;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| scrub_value(v, token)),
        Value::Object(fields) => {
            if fields
                .keys()
                .any(|k| matches!(self::text(k, token), Cow::Owned(_)))
            {
                *fields = std::mem::take(fields)
                    .into_iter()
                    .map(|(k, v)| (clean(k), v))
                    .collect();
            }
            fields.values_mut().for_each(|v| scrub_value(v, token));
        }
        _ => {}
    }
}

/// One byte of a decoded stream, with the span of the input that encodes it.
struct Unit {
    byte: u8,
    span: Range<usize>,
}

#[derive(Clone, Copy)]
enum Decoding {
    /// JSON string escapes: `\u002a` (surrogate pairs too), `\/`, `\"`, …
    Json,
    /// `%2a`, `%2A`.
    Percent,
}

/// One decoding over a stream of units, streamed: a hostile body costs no more
/// memory than the few bytes of an escape.
struct Layer<I> {
    inner: I,
    decoding: Decoding,
    ahead: VecDeque<Unit>,
    /// The rest of a decoded character.
    decoded: VecDeque<Unit>,
}

impl<I: Iterator<Item = Unit>> Layer<I> {
    fn json(inner: I) -> Self {
        Self::new(inner, Decoding::Json)
    }

    fn percent(inner: I) -> Self {
        Self::new(inner, Decoding::Percent)
    }

    fn new(inner: I, decoding: Decoding) -> Self {
        Layer {
            inner,
            decoding,
            ahead: VecDeque::new(),
            decoded: VecDeque::new(),
        }
    }

    /// Up to `N` bytes ahead, and how many there are (fewer at the end).
    fn peek<const N: usize>(&mut self) -> ([u8; N], usize) {
        while self.ahead.len() < N {
            match self.inner.next() {
                Some(unit) => self.ahead.push_back(unit),
                None => break,
            }
        }
        let mut bytes = [0; N];
        for (byte, unit) in bytes.iter_mut().zip(&self.ahead) {
            *byte = unit.byte;
        }
        (bytes, self.ahead.len().min(N))
    }

    /// The escape at the head of the stream: its decoded bytes, and how many units
    /// it takes.
    fn escape(&mut self, first: u8) -> Option<(Vec<u8>, usize)> {
        match (self.decoding, first) {
            (Decoding::Json, b'\\') => {
                let (ahead, n) = self.peek::<12>();
                let (c, len) = json_escape(&ahead[..n])?;
                Some((c.to_string().into_bytes(), len))
            }
            (Decoding::Percent, b'%') => {
                let (ahead, n) = self.peek::<3>();
                let byte = u8::try_from(hex(ahead[..n].get(1..3)?)?).ok()?;
                Some((vec![byte], 3))
            }
            _ => None,
        }
    }
}

impl<I: Iterator<Item = Unit>> Iterator for Layer<I> {
    type Item = Unit;

    fn next(&mut self) -> Option<Unit> {
        if let Some(unit) = self.decoded.pop_front() {
            return Some(unit);
        }
        if self.ahead.is_empty() {
            self.ahead.push_back(self.inner.next()?);
        }
        let first = self.ahead.front()?.byte;
        let Some((bytes, len)) = self.escape(first) else {
            return self.ahead.pop_front();
        };
        let start = self.ahead.front()?.span.start;
        let end = self.ahead.get(len - 1)?.span.end;
        self.ahead.drain(..len);
        self.decoded.extend(bytes.into_iter().map(|byte| Unit {
            byte,
            span: start..end,
        }));
        self.decoded.pop_front()
    }
}

/// The JSON escape at the start of `input`: the character it stands for and its length.
fn json_escape(input: &[u8]) -> Option<(char, usize)> {
    if input.first() != Some(&b'\\') {
        return None;
    }
    let short = match input.get(1)? {
        b'"' => '"',
        b'\\' => '\\',
        b'/' => '/',
        b'b' => '\u{8}',
        b'f' => '\u{c}',
        b'n' => '\n',
        b'r' => '\r',
        b't' => '\t',
        b'u' => {
            let unit = hex(input.get(2..6)?)?;
            if !(0xD800..0xDC00).contains(&unit) {
                return Some((char::from_u32(unit).unwrap_or('\u{fffd}'), 6));
            }
            // A surrogate pair is two escapes; a lone one stands for nothing a token holds.
            let pair = input
                .get(6..8)
                .filter(|prefix| *prefix == b"\\u")
                .and_then(|_| hex(input.get(8..12)?))
                .filter(|low| (0xDC00..0xE000).contains(low))
                .and_then(|low| char::from_u32(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)));
            return Some(match pair {
                Some(c) => (c, 12),
                None => ('\u{fffd}', 6),
            });
        }
        _ => return None,
    };
    Some((short, 2))
}

fn hex(digits: &[u8]) -> Option<u32> {
    if !digits.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    u32::from_str_radix(std::str::from_utf8(digits).ok()?, 16).ok()
}

/// A byte string to find in a stream, in one pass whatever the stream holds
/// (Knuth–Morris–Pratt).
struct Pattern<'a> {
    bytes: &'a [u8],
    /// For each prefix, the length of its longest proper prefix that is also a suffix.
    fallback: Vec<usize>,
}

impl<'a> Pattern<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        let mut fallback = vec![0; bytes.len()];
        let mut k = 0;
        for i in 1..bytes.len() {
            while k > 0 && bytes[i] != bytes[k] {
                k = fallback[k - 1];
            }
            if bytes[i] == bytes[k] {
                k += 1;
            }
            fallback[i] = k;
        }
        Pattern { bytes, fallback }
    }

    /// Push the input span of each occurrence in the stream.
    fn find(&self, stream: impl Iterator<Item = Unit>, found: &mut Vec<Range<usize>>) {
        let len = self.bytes.len();
        // Where each of the last `len` units starts: the first is a match's start.
        let mut starts = VecDeque::with_capacity(len + 1);
        let mut matched = 0;
        for unit in stream {
            starts.push_back(unit.span.start);
            if starts.len() > len {
                starts.pop_front();
            }
            while matched > 0 && unit.byte != self.bytes[matched] {
                matched = self.fallback[matched - 1];
            }
            if unit.byte == self.bytes[matched] {
                matched += 1;
            }
            if matched == len {
                matched = 0;
                if let Some(&start) = starts.front() {
                    found.push(start..unit.span.end);
                }
            }
        }
    }
}

/// The input with each span (possibly overlapping) replaced by one marker.
fn redact(input: &[u8], mut spans: Vec<Range<usize>>) -> Vec<u8> {
    spans.sort_by_key(|span| span.start);
    let mut out = Vec::with_capacity(input.len());
    let mut last = 0;
    for span in spans {
        if span.end <= last {
            continue;
        }
        if span.start >= last {
            out.extend_from_slice(&input[last..span.start]);
            out.extend_from_slice(REDACTED.as_bytes());
        }
        last = span.end;
    }
    out.extend_from_slice(&input[last..]);
    out
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn contains_finds_a_long_needle_only_where_all_of_it_is() {
        let needle = b"eJyrVkrxUbIyMjAwNDJQ0lEyMQDxDI1MTAwtzAwMDSzMzI";
        let mut haystack = b"{\"ErrorInfo\":\"".to_vec();
        haystack.extend_from_slice(&needle[..30]);
        haystack.extend_from_slice(b"\"}");
        assert!(
            !contains(&haystack, needle),
            "the head alone is not the needle"
        );
        haystack.extend_from_slice(needle);
        assert!(contains(&haystack, needle));
        assert!(contains(b"a short one", b"short"));
        assert!(!contains(b"a short one", b"shorter"));
    }
    use crate::source::api::settle::{live_from, settle};

    /// `CBCHECK_PROPTEST_CASES` raises the case count (CI keeps the default small).
    fn config() -> ProptestConfig {
        let cases = std::env::var("CBCHECK_PROPTEST_CASES")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(64);
        ProptestConfig::with_cases(cases)
    }

    /// How one character of the token is written in the reply.
    #[derive(Debug, Clone, Copy)]
    enum Encoding {
        Raw,
        /// `\u002a` / `\u002A`
        JsonEscape {
            upper: bool,
        },
        /// `%2a` / `%2A`
        Percent {
            upper: bool,
        },
        /// `\u00252a`: a percent-encoding whose `%` is JSON-escaped.
        JsonPercent {
            upper: bool,
        },
    }

    fn encoding() -> impl Strategy<Value = Encoding> {
        prop_oneof![
            Just(Encoding::Raw),
            any::<bool>().prop_map(|upper| Encoding::JsonEscape { upper }),
            any::<bool>().prop_map(|upper| Encoding::Percent { upper }),
            any::<bool>().prop_map(|upper| Encoding::JsonPercent { upper }),
        ]
    }

    fn encode(token: &str, encodings: &[Encoding]) -> String {
        let hex = |byte: u8, upper: bool| {
            if upper {
                format!("{byte:02X}")
            } else {
                format!("{byte:02x}")
            }
        };
        token
            .bytes()
            .zip(encodings.iter().cycle())
            .map(|(byte, encoding)| match *encoding {
                Encoding::Raw => char::from(byte).to_string(),
                Encoding::JsonEscape { upper } => format!("\\u00{}", hex(byte, upper)),
                Encoding::Percent { upper } => format!("%{}", hex(byte, upper)),
                Encoding::JsonPercent { upper } => format!("\\u0025{}", hex(byte, upper)),
            })
            .collect()
    }

    /// Where the echo sits in the reply.
    #[derive(Debug, Clone, Copy)]
    enum Place {
        ErrorInfo(i64),
        RequestId(i64),
        ResponseUrl,
        /// Not JSON, with this status.
        Page(u16),
    }

    fn place() -> impl Strategy<Value = Place> {
        let code = prop_oneof![
            Just(70_003i64),
            Just(100_002),
            Just(100_001),
            Just(100_301),
            Just(0)
        ];
        prop_oneof![
            code.clone().prop_map(Place::ErrorInfo),
            code.prop_map(Place::RequestId),
            Just(Place::ResponseUrl),
            prop_oneof![Just(200u16), Just(403), Just(502)].prop_map(Place::Page),
        ]
    }

    fn reply_body(place: Place, echo: &str) -> (u16, String) {
        match place {
            Place::ErrorInfo(code) => (
                200,
                format!(
                    r#"{{"ActionStatus":"FAIL","ErrorCode":{code},"ErrorInfo":"{echo}","RequestId":"Id-1"}}"#
                ),
            ),
            Place::RequestId(code) => (
                200,
                format!(
                    r#"{{"ActionStatus":"FAIL","ErrorCode":{code},"ErrorInfo":"no","RequestId":"{echo}"}}"#
                ),
            ),
            Place::ResponseUrl => (
                200,
                format!(
                    r#"{{"ActionStatus":"OK","ErrorCode":0,"RequestId":"Id-2","Response":{{"Url":"{echo}","CallbackCommandList":[]}}}}"#
                ),
            ),
            Place::Page(status) => (status, format!("<html><p>{echo}</p></html>")),
        }
    }

    /// `\uXXXX` and the short escapes decoded; anything else kept.
    fn json_unescape(text: &str) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(at) = rest.find('\\') {
            out.push_str(&rest[..at]);
            rest = &rest[at..];
            let unicode = rest
                .get(2..6)
                .filter(|_| rest.starts_with("\\u"))
                .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                .and_then(char::from_u32);
            if let Some(c) = unicode {
                out.push(c);
                rest = &rest[6..];
                continue;
            }
            let short = match rest.as_bytes().get(1) {
                Some(b'/') => Some('/'),
                Some(b'\\') => Some('\\'),
                Some(b'"') => Some('"'),
                _ => None,
            };
            match short {
                Some(c) => {
                    out.push(c);
                    rest = &rest[2..];
                }
                None => {
                    out.push('\\');
                    rest = &rest[1..];
                }
            }
        }
        out.push_str(rest);
        out
    }

    /// `%XX` decoded (either case); anything else kept.
    fn percent_decode(text: &str) -> String {
        percent_encoding::percent_decode_str(text)
            .decode_utf8_lossy()
            .into_owned()
    }

    /// The text, and each way of decoding it, hold no trace of the token.
    fn assert_clean(shown: &str, token: &str) -> Result<(), TestCaseError> {
        for decoded in [
            shown.to_owned(),
            json_unescape(shown),
            percent_decode(shown),
            percent_decode(&json_unescape(shown)),
            json_unescape(&percent_decode(shown)),
        ] {
            prop_assert!(!decoded.contains(token), "token in {decoded:?}");
        }
        Ok(())
    }

    /// Everything a classified reply can become: the reply, the error, its help.
    fn everything_shown(reply: &Reply) -> String {
        let mut shown = format!("{reply:?}\n{reply:#?}\n");
        match settle(Service::ROOM.get, 1_400_000_001, reply.clone(), 1) {
            Err(err) => {
                let help = miette::Diagnostic::help(&err).map(|h| h.to_string());
                shown.push_str(&format!("{err}\n{err:?}\n{help:?}\n"));
            }
            Ok(reply) => {
                let live = live_from(Service::ROOM.get, 1_400_000_001, reply);
                shown.push_str(&format!("{live:?}\n"));
                if let Err(err) = live {
                    shown.push_str(&format!("{err}\n"));
                }
            }
        }
        shown
    }

    /// A UserSig: base64 with `+/=` written `*-_`.
    fn usersig() -> impl Strategy<Value = String> {
        "[A-Za-z0-9*_-]{24,300}"
    }

    const TOKEN: &str = "eJw1jcEKgjAQRO9*xeK5Q3a0vkQ6ePDSIw_-x";

    #[test]
    fn the_issue_s_encodings_are_found() {
        let escaped: String = TOKEN
            .chars()
            .map(|c| match c {
                '*' => "\\u002a".to_owned(),
                '-' => "\\u002D".to_owned(),
                '_' => "\\u005f".to_owned(),
                c => c.to_string(),
            })
            .collect();
        let percent = TOKEN
            .replace('*', "%2a")
            .replace('-', "%2D")
            .replace('_', "%5F");
        let body = format!(
            r#"{{"ActionStatus":"FAIL","ErrorCode":70003,"ErrorInfo":"bad usersig={escaped}","RequestId":"Id-{percent}-9"}}"#
        );
        let reply = read(
            &Service::ROOM,
            200,
            body.as_bytes(),
            &Secret::new(TOKEN),
            &Placeholders::default(),
        );
        assert_eq!(
            reply,
            Reply::Auth {
                code: 70_003,
                info: "bad usersig=(redacted)".into(),
                request_id: Some("Id-(redacted)-9".into()),
            }
        );
    }

    #[test]
    fn every_occurrence_is_replaced_once_and_the_rest_kept() {
        let input = format!("a{TOKEN}{TOKEN}b %{TOKEN} \\{TOKEN}");
        assert_eq!(
            text(&input, TOKEN),
            "a(redacted)(redacted)b %(redacted) \\(redacted)"
        );
        assert!(matches!(
            text("nothing here % \\u12", TOKEN),
            Cow::Borrowed(_)
        ));
        assert!(matches!(text(TOKEN, ""), Cow::Borrowed(_)));
        // A token with a space is `+` when form-encoded.
        assert_eq!(text("x=a+b&y", "a b"), "x=(redacted)&y");
    }

    #[test]
    fn escapes_cut_short_or_invalid_are_left_alone() {
        for input in [
            "\\",
            "\\u",
            "\\u00",
            "\\ud83d",
            "\\ud83d\\u0041",
            "%",
            "%4",
            "%zz",
            "\\u00zz",
        ] {
            assert_eq!(text(input, "never"), input);
        }
        // A surrogate pair decodes to its character.
        assert_eq!(text("<\\ud83d\\ude00>", "\u{1f600}"), "<(redacted)>");
    }

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn an_echoed_token_never_survives_in_any_encoding(
            token in usersig(),
            encodings in prop::collection::vec(encoding(), 1..8),
            place in place(),
            before in "[a-zA-Z0-9 .:=&?/%]{0,20}",
            after in "[a-zA-Z0-9 .:=&?/%]{0,20}",
        ) {
            let echo = format!("{before}{}{after}", encode(&token, &encodings));
            let (status, body) = reply_body(place, &echo);
            let reply = read(
                &Service::ROOM,
                status,
                body.as_bytes(),
                &Secret::new(token.as_str()),
                &Placeholders::default(),
            );
            assert_clean(&everything_shown(&reply), &token)?;
            // Scrubbing keeps the reply's meaning: same class as with no token at all.
            let (_, plain) = reply_body(place, &format!("{before}(redacted){after}"));
            let expected = wire::classify(
                &Service::ROOM,
                status,
                plain.as_bytes(),
                &Placeholders::default(),
            );
            prop_assert_eq!(
                std::mem::discriminant(&reply),
                std::mem::discriminant(&expected)
            );
        }

        #[test]
        fn random_bodies_never_panic_nor_show_the_token(
            token in usersig(),
            status in 100u16..600,
            mut body in prop::collection::vec(any::<u8>(), 0..600),
            at in any::<prop::sample::Index>(),
        ) {
            let at = at.index(body.len() + 1);
            body.splice(at..at, token.bytes());
            let reply = read(
                &Service::ROOM,
                status,
                &body,
                &Secret::new(token.as_str()),
                &Placeholders::default(),
            );
            assert_clean(&everything_shown(&reply), &token)?;
        }
    }
}
